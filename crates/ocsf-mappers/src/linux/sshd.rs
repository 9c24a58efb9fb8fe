//! OpenSSH server (`sshd`) messages.

use super::{MessageContext, Miss, Recognized};
use crate::normalized::{
    Activity, AppActivity, AppInfo, AuthActivity, AuthInfo, AuthProtocol, ConnectionInfo,
    EndpointInfo, KeyInfo, LogonType, NetworkActivity, Normalized, Outcome, ProcessActivity,
    ProcessInfo, SessionInfo, Severity, UserInfo,
};
use crate::util::TrimWs;
use crate::util::{endpoint, host_port, is_placeholder_user, number, rfind, split_user_domain};

pub(super) fn handles(program: &str) -> bool {
    matches!(program, "sshd" | "sshd-session" | "sshd-auth")
}

fn malformed(what: &'static str) -> Miss {
    Miss::Malformed(what.into())
}

/// The user of a message, with its domain split off (`alice@corp` is
/// `alice` in domain `corp`); a placeholder (`unknown`, `LOGIN`, `*****`)
/// names nobody and is left out.
pub(crate) fn user(name: &str) -> UserInfo {
    let name = name.trim_ws();
    if is_placeholder_user(name) {
        return UserInfo::default();
    }
    let (name, domain) = split_user_domain(name);
    UserInfo {
        name: Some(crate::strings::owned(name)),
        uid: None,
        domain: domain.map(crate::strings::owned),
    }
}

/// An Authentication record for sshd.
fn auth(ctx: &MessageContext<'_>, activity: AuthActivity, severity: Severity) -> Box<Normalized> {
    let mut n = ctx.event(Activity::Authentication(activity), severity);
    n.service_name = Some(n.string(ctx.program_name()));
    n.dst = Some(ctx.local_endpoint_for(&mut n, "ssh"));
    n.actor_process = Some(ctx.process_for(&mut n));
    n.auth = Some(AuthInfo {
        protocol: None,
        logon_type: Some(LogonType::RemoteInteractive),
        is_remote: Some(true),
        ..AuthInfo::default()
    });
    n
}

/// Whether an sshd message ends its connection.
pub(super) fn ends_connection(msg: &str) -> bool {
    const ENDS: [&str; 10] = [
        "Connection closed by ",
        "Received disconnect from ",
        "Disconnected from ",
        "Connection reset by ",
        "Disconnecting",
        "Did not receive identification string",
        "Bad protocol version identification",
        "Unable to negotiate with ",
        "Timeout before authentication",
        "Close session: ",
    ];
    let body = msg
        .strip_prefix("error: ")
        .or_else(|| msg.strip_prefix("fatal: "))
        .unwrap_or(msg);
    // Most messages (`Failed ...`, `Accepted ...`) start with a letter no prefix starts with:
    // one byte compared per prefix, rather than a `memcmp` call per prefix.
    let Some(&first) = body.as_bytes().first() else {
        return false;
    };
    ENDS.iter().any(|p| p.as_bytes().first() == Some(&first))
        && ENDS.iter().any(|p| body.starts_with(p))
}

/// Whether an sshd message starts a connection (`LogLevel VERBOSE`).
pub(super) fn starts_connection(msg: &str) -> bool {
    msg.starts_with("Connection from ")
}

/// A corroborating Authentication record: a line about an attempt whose
/// canonical Logon is another line (`Failed ...`, `Accepted ...`), with its
/// own `Other` activity and caption so that counting Logons counts attempts.
fn corroborating(
    ctx: &MessageContext<'_>,
    caption: &'static str,
    severity: Severity,
) -> Box<Normalized> {
    auth(ctx, AuthActivity::Other(caption.into()), severity)
}

/// An SSH Activity record for sshd.
fn ssh(ctx: &MessageContext<'_>, activity: NetworkActivity, severity: Severity) -> Box<Normalized> {
    let mut n = ctx.event(Activity::Ssh(activity), severity);
    n.dst = Some(ctx.local_endpoint_for(&mut n, "ssh"));
    n.actor_process = Some(ctx.process_for(&mut n));
    n
}

fn set_method(n: &mut Normalized, method: &str) {
    if let Some(a) = n.auth.as_mut() {
        a.protocol = Some(if method == "gssapi-with-mic" || method == "gssapi-keyex" {
            AuthProtocol::Kerberos
        } else {
            AuthProtocol::Other(std::borrow::Cow::Owned(crate::strings::owned(method)))
        });
    }
}

/// `[invalid user |illegal user |authenticating user |user ]NAME`: the name
/// and whether the user is invalid.
fn user_phrase(s: &str) -> (&str, bool) {
    for (prefix, invalid) in [
        ("invalid user ", true),
        ("illegal user ", true),
        ("authenticating user ", false),
        ("user ", false),
    ] {
        if let Some(rest) = s.strip_prefix(prefix) {
            return (rest, invalid);
        }
    }
    (s, false)
}

/// `for [invalid user ]USER from HOST port N PROTO[: KEY]` (the `from` part optional).
fn for_user_from(s: &str) -> Result<(UserInfo, bool, Option<EndpointInfo>, &str), Miss> {
    user_from(s.strip_prefix("for ").ok_or(Miss::Unrecognized)?)
}

/// `[invalid user ]USER[ from HOST[ port N]] REST`.
fn user_from(s: &str) -> Result<(UserInfo, bool, Option<EndpointInfo>, &str), Miss> {
    match rfind(s, " from ") {
        Some(i) => {
            let (name, invalid) = user_phrase(&s[..i]);
            let (host, port, rest) =
                host_port(&s[i + 6..]).ok_or_else(|| malformed("bad port number"))?;
            Ok((user(name), invalid, endpoint(host, port), rest.trim_ws()))
        }
        None => {
            let (name, invalid) = user_phrase(s);
            Ok((user(name), invalid, None, ""))
        }
    }
}

/// `[invalid user |authenticating user ]USER HOST port N` or `HOST port N` (a
/// user phrase that may be empty before the host).
fn user_host_port(s: &str) -> Result<(Option<UserInfo>, bool, Option<EndpointInfo>), Miss> {
    let s = s.trim_ws();
    let (phrase, invalid) = user_phrase(s);
    let named = phrase.len() != s.len();
    if let Some(i) = rfind(phrase, " port ") {
        let port = crate::util::port(
            phrase[i + 6..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap_or_default(),
        )
        .ok_or_else(|| malformed("bad port number"))?;
        let before = phrase[..i].trim_end();
        let (name, host) = match before.rsplit_once(' ') {
            Some((name, host)) => (Some(name), host),
            None => (None, before),
        };
        let u = name.filter(|n| named && !n.trim_ws().is_empty()).map(user);
        return Ok((u, invalid, endpoint(host, Some(port))));
    }
    let host = phrase.split(' ').next_back().unwrap_or_default();
    let name = phrase[..phrase.len() - host.len()].trim_ws();
    let u = (named && !name.is_empty()).then(|| user(name));
    Ok((u, invalid, endpoint(host, None)))
}

pub(super) fn map(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    let (msg, preauth) = match msg.strip_suffix("[preauth]") {
        Some(m) => (m.trim_end(), true),
        None => (msg, false),
    };
    let body = msg
        .strip_prefix("error: ")
        .or_else(|| msg.strip_prefix("fatal: "))
        .unwrap_or(msg);
    let mut n = recognize(ctx, body, preauth)?;
    if preauth {
        n.put("phase", "preauth");
    }
    Ok(n)
}

fn recognize(ctx: &MessageContext<'_>, body: &str, preauth: bool) -> Recognized {
    if let Some(r) = body.strip_prefix("Accepted ") {
        return accepted(ctx, r);
    }
    if let Some(r) = body.strip_prefix("Failed ") {
        let (method, rest) = r.split_once(' ').ok_or(Miss::Unrecognized)?;
        let (u, invalid, src, tail) = for_user_from(rest)?;
        let mut n = auth(ctx, AuthActivity::Logon, Severity::Low).with_outcome(Outcome::Failure);
        n.status_detail = Some(if invalid {
            crate::strings::concat(&["Failed ", method, " for invalid user"])
        } else {
            crate::strings::concat(&["Failed ", method])
        });
        set_method(&mut n, method);
        n.user = Some(u);
        n.src = src;
        n.put("protocol", tail);
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("Postponed ") {
        let (method, rest) = r.split_once(' ').ok_or(Miss::Unrecognized)?;
        let (u, _, src, tail) = for_user_from(rest)?;
        let mut n = corroborating(ctx, "Postponed", Severity::Informational)
            .with_outcome(Outcome::Other("Postponed".into()))
            .with_detail_owned(crate::strings::concat(&["Postponed ", method]));
        set_method(&mut n, method);
        n.user = Some(u);
        n.src = src;
        n.put("protocol", tail);
        return Ok(n);
    }
    if let Some(r) = body
        .strip_prefix("Invalid user ")
        .or_else(|| body.strip_prefix("Illegal user "))
    {
        let (name, from) = match rfind(r, " from ") {
            Some(i) => (&r[..i], Some(&r[i + 6..])),
            None => (r, None),
        };
        let mut n = corroborating(ctx, "Invalid User", Severity::Low)
            .with_outcome(Outcome::Failure)
            .with_detail("Invalid user");
        n.user = Some(user(name));
        if let Some(from) = from {
            let (host, port, _) = host_port(from).ok_or_else(|| malformed("bad port number"))?;
            n.src = endpoint(host, port);
        }
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("input_userauth_request: ") {
        let (name, invalid) = user_phrase(r);
        if !invalid {
            return Err(Miss::Unrecognized);
        }
        let mut n = corroborating(ctx, "Invalid User Request", Severity::Low)
            .with_outcome(Outcome::Failure)
            .with_detail("Invalid user");
        n.user = Some(user(name));
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("User ")
        && let Some((name, rest)) = r.split_once(" from ")
        && let Some((host, reason)) = rest.split_once(" not allowed because ")
    {
        let mut n = corroborating(ctx, "User Not Allowed", Severity::Low)
            .with_outcome(Outcome::Failure)
            .with_detail_owned(crate::strings::concat(&["not allowed because ", reason]));
        n.user = Some(user(name));
        n.src = endpoint(host, None);
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("maximum authentication attempts exceeded ") {
        let (u, _, src, tail) = for_user_from(r)?;
        let mut n = corroborating(ctx, "Attempts Exceeded", Severity::Medium)
            .with_outcome(Outcome::Failure)
            .with_detail("maximum authentication attempts exceeded");
        n.user = Some(u);
        n.src = src;
        n.put("protocol", tail);
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("PAM: ") {
        // `PAM: Authentication failure for [illegal user ]USER from HOST`
        let (what, rest) = r.split_once(" for ").ok_or(Miss::Unrecognized)?;
        let (u, _, src, _) = user_from(rest)?;
        let mut n = corroborating(ctx, "PAM Authentication Failure", Severity::Low)
            .with_outcome(Outcome::Failure)
            .with_detail(what);
        n.user = Some(u);
        n.src = src;
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("Disconnecting") {
        return disconnecting(ctx, r);
    }
    if let Some(r) = body.strip_prefix("Received disconnect from ") {
        return received_disconnect(ctx, r, preauth);
    }
    if let Some(r) = body.strip_prefix("Disconnected from ") {
        let (u, invalid, src) = user_host_port(r)?;
        if !preauth && u.is_some() {
            let mut n = auth(ctx, AuthActivity::Logoff, Severity::Informational)
                .with_outcome(Outcome::Success);
            n.user = u;
            n.src = src;
            return Ok(n);
        }
        let mut n = ssh(ctx, NetworkActivity::Close, Severity::Informational);
        if invalid || u.is_some() {
            n.outcome = Some(Outcome::Failure);
            n.status_detail = Some(crate::strings::owned(
                "disconnected before authentication completed",
            ));
        }
        n.actor_user = u;
        n.src = src;
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("Connection closed by ") {
        if r == "remote host" {
            return Ok(ssh(ctx, NetworkActivity::Close, Severity::Informational));
        }
        let (u, invalid, src) = user_host_port(r)?;
        let mut n = ssh(ctx, NetworkActivity::Close, Severity::Informational);
        if invalid || (preauth && u.is_some()) {
            n.outcome = Some(Outcome::Failure);
            n.status_detail = Some(crate::strings::owned(
                "closed before authentication completed",
            ));
        }
        n.actor_user = u;
        n.src = src;
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("Connection reset by ") {
        let mut n = ssh(ctx, NetworkActivity::Reset, Severity::Low);
        if r != "peer" {
            let (u, _, src) = user_host_port(r)?;
            n.actor_user = u;
            n.src = src;
        }
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("Connection from ") {
        // `Connection from HOST port N on HOST port N [rdomain "x"]`
        let (host, port, rest) = host_port(r).ok_or_else(|| malformed("bad port number"))?;
        let mut n = ssh(ctx, NetworkActivity::Open, Severity::Informational);
        n.src = endpoint(host, port);
        if let Some(local) = rest.trim_ws().strip_prefix("on ") {
            let (lhost, lport, _) = host_port(local).ok_or_else(|| malformed("bad port number"))?;
            let mut dst = endpoint(lhost, lport).unwrap_or_default();
            dst.svc_name = Some(crate::strings::owned("ssh"));
            dst.hostname = dst.hostname.or_else(|| ctx.hostname.map(str::to_owned));
            n.dst = Some(dst);
        }
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("Did not receive identification string from ") {
        let (host, port, _) = host_port(r).ok_or_else(|| malformed("bad port number"))?;
        let mut n = ssh(ctx, NetworkActivity::Fail, Severity::Low)
            .with_outcome(Outcome::Failure)
            .with_detail("Did not receive identification string");
        n.src = endpoint(host, port);
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("Bad protocol version identification ") {
        let (ident, from) = r.rsplit_once(" from ").ok_or(Miss::Unrecognized)?;
        let (host, port, _) = host_port(from).ok_or_else(|| malformed("bad port number"))?;
        let mut n = ssh(ctx, NetworkActivity::Fail, Severity::Low)
            .with_outcome(Outcome::Failure)
            .with_detail("Bad protocol version identification");
        n.src = endpoint(host, port);
        n.put("identification", ident.trim_matches('\''));
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("Unable to negotiate with ") {
        let (host, port, rest) = host_port(r).ok_or_else(|| malformed("bad port number"))?;
        let reason = rest.trim_start_matches(':').trim_ws();
        let (reason, offer) = match reason.split_once(". Their offer: ") {
            Some((r, o)) => (r, Some(o)),
            None => (reason, None),
        };
        let mut n = ssh(ctx, NetworkActivity::Refuse, Severity::Low)
            .with_outcome(Outcome::Failure)
            .with_detail(reason);
        n.src = endpoint(host, port);
        if let Some(o) = offer {
            n.put("client_offer", o);
        }
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("reverse mapping checking getaddrinfo for ") {
        // `NAME [IP] failed - POSSIBLE BREAK-IN ATTEMPT!`
        let (name, rest) = r.split_once(" [").ok_or(Miss::Unrecognized)?;
        let (addr, _) = rest.split_once(']').ok_or(Miss::Unrecognized)?;
        return Ok(break_in(ctx, name, addr, body));
    }
    if let Some(r) = body.strip_prefix("Address ")
        && body.contains("POSSIBLE BREAK-IN ATTEMPT")
    {
        let (addr, rest) = r.split_once(" maps to ").ok_or(Miss::Unrecognized)?;
        let name = rest.split([',', ' ']).next().unwrap_or_default();
        return Ok(break_in(ctx, name, addr, body));
    }
    if let Some(r) = body.strip_prefix("Starting session: ") {
        // `KIND for USER from HOST port N id N`
        let (kind, rest) = r.split_once(" for ").ok_or(Miss::Unrecognized)?;
        let (u, _, src, tail) = user_from(rest)?;
        let mut n = ssh(ctx, NetworkActivity::Open, Severity::Informational)
            .with_outcome(Outcome::Success)
            .with_detail_owned(crate::strings::concat(&["Starting session: ", kind]));
        n.actor_user = Some(u);
        n.src = src;
        let mut session = SessionInfo {
            uid: tail.strip_prefix("id ").map(str::to_owned),
            ..SessionInfo::default()
        };
        if let Some(t) = kind.strip_prefix("shell on ") {
            session.terminal = Some(crate::strings::owned(t));
        }
        n.connection = Some(ConnectionInfo {
            protocol_name: Some(crate::strings::owned("tcp")),
            protocol_num: Some(6),
            direction: Some(crate::normalized::Direction::Inbound),
            session: Some(session),
            ..ConnectionInfo::default()
        });
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("Close session: ") {
        // `user USER from HOST port N id N`
        let r = r.strip_prefix("user ").ok_or(Miss::Unrecognized)?;
        let (u, _, src, tail) = user_from(r)?;
        let mut n = ssh(ctx, NetworkActivity::Close, Severity::Informational);
        n.actor_user = Some(u);
        n.src = src;
        n.connection = Some(ConnectionInfo {
            session: Some(SessionInfo {
                uid: tail.strip_prefix("id ").map(str::to_owned),
                ..SessionInfo::default()
            }),
            ..ConnectionInfo::default()
        });
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("User child is on pid ") {
        let pid = number::<u32>(r).ok_or_else(|| malformed("bad pid"))?;
        let mut n = ctx.event(
            Activity::Process(ProcessActivity::Launch),
            Severity::Informational,
        );
        let mut child = ProcessInfo::named(ctx.program_name(), Some(pid));
        child.parent = Some(Box::new(ctx.process()));
        n.process = Some(child);
        n.actor_process = Some(ctx.process());
        n.outcome = Some(Outcome::Success);
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("subsystem request for ") {
        // `sftp by user USER[ failed, subsystem not found]`
        let (sub, rest) = r.split_once(" by user ").ok_or(Miss::Unrecognized)?;
        let failed = rest.contains(" failed");
        let name = rest.split(' ').next().unwrap_or_default();
        let mut n = ctx.event(
            Activity::Process(ProcessActivity::Launch),
            Severity::Informational,
        );
        n.process = Some(ProcessInfo {
            name: Some(crate::strings::owned(sub)),
            user: Some(user(name)),
            parent: Some(Box::new(ctx.process())),
            ..ProcessInfo::default()
        });
        n.actor_user = Some(user(name));
        n.actor_process = Some(ctx.process());
        n.outcome = Some(if failed {
            Outcome::Failure
        } else {
            Outcome::Success
        });
        if failed {
            n.status_detail = rest
                .split_once(' ')
                .map(|(_, d)| crate::strings::owned(d.trim_ws()));
        }
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("Server listening on ") {
        let (host, port, _) =
            host_port(r.trim_end_matches('.')).ok_or_else(|| malformed("bad port number"))?;
        let mut n = lifecycle(ctx, AppActivity::Start);
        n.outcome = Some(Outcome::Success);
        n.put("listen_address", host);
        if let Some(p) = port {
            n.put_value("listen_port", serde_json::Value::from(p));
        }
        return Ok(n);
    }
    if body.starts_with("Received signal ") && body.contains("terminating") {
        let mut n = lifecycle(ctx, AppActivity::Stop).with_detail(body);
        n.outcome = Some(Outcome::Success);
        return Ok(n);
    }
    if body.starts_with("Received SIGHUP") {
        let n = lifecycle(ctx, AppActivity::Other("Restart".into())).with_detail(body);
        return Ok(n);
    }
    if body.contains("algorithm is disabled") || body.starts_with("main: sshd: ") {
        let mut n = ctx.event(Activity::DeviceConfigState, Severity::Informational);
        n.message = Some(n.string(body));
        n.actor_process = Some(ctx.process());
        n.put("setting", body.trim_start_matches("main: sshd: "));
        return Ok(n);
    }
    if let Some(r) = body.strip_prefix("Timeout before authentication for ") {
        let (host, port, _) = host_port(r).ok_or_else(|| malformed("bad port number"))?;
        let mut n = ssh(ctx, NetworkActivity::Fail, Severity::Low)
            .with_outcome(Outcome::Failure)
            .with_detail("Timeout before authentication");
        n.src = endpoint(host, port);
        return Ok(n);
    }
    connection_error(ctx, body)
}

fn lifecycle(ctx: &MessageContext<'_>, activity: AppActivity) -> Box<Normalized> {
    let mut n = ctx.event(
        Activity::ApplicationLifecycle(activity),
        Severity::Informational,
    );
    n.app = Some(AppInfo {
        name: crate::strings::owned(ctx.program_name()),
        ..AppInfo::default()
    });
    n.actor_process = Some(ctx.process());
    n
}

fn break_in(ctx: &MessageContext<'_>, name: &str, addr: &str, body: &str) -> Box<Normalized> {
    let mut n = ssh(
        ctx,
        NetworkActivity::Other("Reverse Mapping Check".into()),
        // A DNS mismatch, common and rarely an attack: informational noise
        // that must not dominate triage.
        Severity::Low,
    )
    .with_outcome(Outcome::Failure)
    .with_detail(body);
    let mut src = endpoint(addr, None).unwrap_or_default();
    if crate::util::is_hostname(name) {
        src.hostname = Some(crate::strings::owned(name));
    }
    n.src = Some(src);
    n
}

fn accepted(ctx: &MessageContext<'_>, r: &str) -> Recognized {
    let (method, rest) = r.split_once(' ').ok_or(Miss::Unrecognized)?;
    if method == "key" {
        // `Accepted key RSA SHA256:... found at PATH:LINE`
        let (key, path) = rest.split_once(" found at ").ok_or(Miss::Unrecognized)?;
        let mut n = corroborating(ctx, "Key Accepted", Severity::Informational)
            .with_outcome(Outcome::Success)
            .with_detail("Accepted key");
        set_method(&mut n, "publickey");
        ssh_key(&mut n, key);
        n.put("authorized_keys", path);
        return Ok(n);
    }
    let (u, _, src, tail) = for_user_from(rest)?;
    let mut n = auth(ctx, AuthActivity::Logon, Severity::Informational)
        .with_outcome(Outcome::Success)
        .with_detail_owned(crate::strings::concat(&["Accepted ", method]));
    set_method(&mut n, method);
    n.user = Some(u);
    n.src = src;
    let (proto, key) = match tail.split_once(": ") {
        Some((p, k)) => (p, Some(k)),
        None => (tail, None),
    };
    n.put("protocol", proto);
    if let Some(k) = key {
        ssh_key(&mut n, k);
    }
    Ok(n)
}

/// `TYPE FINGERPRINT` (`RSA SHA256:...`, or a bare fingerprint): typed in
/// the record's [`AuthInfo::key`] (rendered as a `Fingerprint` observable and
/// `unmapped.ssh_key`).
fn ssh_key(n: &mut Normalized, key: &str) {
    let key = key.trim_ws();
    if key.is_empty() {
        return;
    }
    let (key_type, fingerprint) = match key.split_once(' ') {
        Some((t, f)) => (Some(crate::strings::owned(t)), f.trim_ws()),
        None => (None, key),
    };
    let fingerprint = fingerprint.split(' ').next().unwrap_or(fingerprint);
    let fingerprint = crate::strings::owned(fingerprint);
    if let Some(a) = n.auth.as_mut() {
        a.key = Some(KeyInfo {
            key_type,
            fingerprint,
        });
    }
}

fn disconnecting(ctx: &MessageContext<'_>, r: &str) -> Recognized {
    // `: Too many authentication failures[ for USER]`
    // ` [invalid |authenticating ]user USER HOST port N: REASON`
    // ` HOST port N: REASON`
    let (who, reason) = match r.strip_prefix(": ") {
        Some(reason) => ("", reason),
        None => r.trim_start().split_once(": ").ok_or(Miss::Unrecognized)?,
    };
    let (u, invalid, src) = if who.is_empty() {
        (None, false, None)
    } else {
        user_host_port(who)?
    };
    let (reason, for_user) = match reason.split_once(" for ") {
        Some((reason, name)) if reason.starts_with("Too many") => (reason, Some(user(name))),
        _ => (reason, None),
    };
    let u = u.or(for_user);
    let auth_failure = reason.contains("authentication") || invalid;
    let mut n = if auth_failure {
        let mut n = corroborating(ctx, "Too Many Failures", Severity::Medium)
            .with_outcome(Outcome::Failure)
            .with_detail(reason);
        n.user = u;
        n
    } else {
        let mut n = ssh(ctx, NetworkActivity::Close, Severity::Low).with_detail(reason);
        n.actor_user = u;
        n
    };
    n.src = src;
    Ok(n)
}

fn received_disconnect(ctx: &MessageContext<'_>, r: &str, preauth: bool) -> Recognized {
    // `HOST port N:CODE: REASON` (OpenSSH 7.x and later) or `HOST: CODE: REASON`.
    let (src, rest) = match r.find(" port ") {
        Some(i) => {
            let after = &r[i + 6..];
            let num_end = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            let p = crate::util::port(&after[..num_end]).ok_or_else(|| malformed("bad port"))?;
            (endpoint(&r[..i], Some(p)), &after[num_end..])
        }
        None => {
            let (host, rest) = r.split_once(": ").ok_or(Miss::Unrecognized)?;
            (endpoint(host, None), rest)
        }
    };
    let rest = rest.strip_prefix(':').unwrap_or(rest).trim_start();
    let (code, reason) = rest.split_once(':').unwrap_or((rest, ""));
    let code = code.trim_ws();
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed("bad disconnect code"));
    }
    let reason = reason.trim_ws();
    // SSH2_DISCONNECT_PROTOCOL_ERROR (2) and NO_MORE_AUTH_METHODS_AVAILABLE (14).
    let failure = code == "14" || code == "2" || reason.contains("Auth fail");
    let mut n =
        ssh(ctx, NetworkActivity::Close, Severity::Informational).with_outcome(if failure {
            Outcome::Failure
        } else {
            Outcome::Success
        });
    n.status_code = Some(crate::strings::owned(code));
    if !reason.is_empty() {
        n.status_detail = Some(crate::strings::owned(reason));
    }
    n.src = src;
    if !preauth {
        n.put("phase", "session");
    }
    Ok(n)
}

fn connection_error(ctx: &MessageContext<'_>, body: &str) -> Recognized {
    const FAILS: &[&str] = &[
        "kex_exchange_identification: ",
        "kex_protocol_error: ",
        "ssh_dispatch_run_fatal: ",
        "userauth_finish: ",
        "banner exchange: ",
        "Protocol major versions differ",
        "Read error from remote host ",
        "Read from socket failed: ",
        "Write failed: ",
        "Timeout, client not responding",
        "ssh_packet_set_maxsize: ",
        "Connection timed out",
    ];
    if !FAILS.iter().any(|p| body.starts_with(p)) {
        return Err(Miss::Unrecognized);
    }
    let reset = body.ends_with("Connection reset by peer") || body.contains("reset by peer");
    let activity = if reset {
        NetworkActivity::Reset
    } else {
        NetworkActivity::Fail
    };
    let mut n = ssh(ctx, activity, Severity::Low)
        .with_outcome(Outcome::Failure)
        .with_detail(body);
    // `... Connection from HOST port N: ...` or `... from user USER HOST port N`
    if let Some(i) = body.find("Connection from ") {
        let (host, port, _) =
            host_port(&body[i + 16..]).ok_or_else(|| malformed("bad port number"))?;
        n.src = endpoint(host, port);
    } else if let Some(i) = body.find(" from ") {
        let (u, _, src) = user_host_port(&body[i + 6..]).unwrap_or((None, false, None));
        n.actor_user = u;
        n.src = src;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::ends_connection;

    #[test]
    fn ends_connection_takes_each_closing_message_and_no_other() {
        for msg in [
            "Connection closed by 203.0.113.4 port 22 [preauth]",
            "Received disconnect from 203.0.113.4 port 22:11: Bye Bye [preauth]",
            "Disconnected from user alice 192.0.2.10 port 50022",
            "Connection reset by 203.0.113.4 port 22",
            "Disconnecting: Too many authentication failures [preauth]",
            "Did not receive identification string from 203.0.113.4 port 22",
            "Bad protocol version identification 'GET / HTTP/1.1' from 203.0.113.4 port 22",
            "Unable to negotiate with 203.0.113.4 port 22: no matching key exchange method found.",
            "Timeout before authentication for 203.0.113.4 port 22",
            "Close session: user alice from 192.0.2.10 port 50022 id 0",
            "error: Received disconnect from 203.0.113.4 port 22:3: Bye [preauth]",
            "fatal: Timeout before authentication for 203.0.113.4 port 22",
        ] {
            assert!(ends_connection(msg), "{msg}");
        }
        for msg in [
            "",
            "Failed password for root from 203.0.113.4 port 22 ssh2",
            "Accepted publickey for alice from 192.0.2.10 port 50022 ssh2",
            "Connection from 203.0.113.4 port 22 on 10.0.0.1 port 22",
            "Connection closed",
            "Disconnected",
            "error: maximum authentication attempts exceeded for root",
            "debug1: Connection closed by 203.0.113.4",
            "connection closed by 203.0.113.4",
        ] {
            assert!(!ends_connection(msg), "{msg}");
        }
    }
}

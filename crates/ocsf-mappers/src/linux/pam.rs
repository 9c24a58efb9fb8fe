//! PAM module messages, from whatever program loaded the module:
//! `pam_unix(sshd:auth): ...`, the older `sshd(pam_unix)[42]: ...` tag form,
//! OpenSSH's own `PAM ...` lines, and `unix_chkpwd`.

use serde_json::Value;

use super::sshd::user;
use super::{MessageContext, Miss, Recognized};
use crate::normalized::{
    AccountActivity, Activity, AuthActivity, AuthInfo, LogonType, ModuleActivity, Normalized,
    Outcome, SessionInfo, Severity, UserInfo,
};
use crate::util::TrimWs;
use crate::util::{endpoint, is_placeholder_user as is_placeholder, number, unquote};

/// The module, service and PAM function of a message.
struct Pam<'a> {
    module: &'a str,
    service: &'a str,
    kind: Option<&'a str>,
}

/// Recognizes PAM-shaped messages; `None` when the message is not one.
pub(super) fn map(ctx: &MessageContext<'_>, msg: &str) -> Option<Recognized> {
    if let Some(rest) = msg.strip_prefix("pam_")
        && let Some((head, body)) = rest.split_once("): ")
        && let Some((name, svc)) = head.split_once('(')
        && !name.contains(' ')
    {
        let (service, kind) = match svc.split_once(':') {
            Some((s, k)) => (s, Some(k)),
            None => (svc, None),
        };
        let module = &msg[..4 + name.len()];
        return Some(
            module_message(
                ctx,
                &Pam {
                    module,
                    service,
                    kind,
                },
                body,
            )
            .map(|n| corroborate(n, service)),
        );
    }
    if let Some(sub) = ctx.sub_program.filter(|s| s.starts_with("pam_")) {
        let pam = Pam {
            module: sub,
            service: ctx.program_name(),
            kind: None,
        };
        return Some(module_message(ctx, &pam, msg).map(|n| corroborate(n, pam.service)));
    }
    if let Some(rest) = msg.strip_prefix("PAM ") {
        return Some(pam_prefixed(ctx, rest).map(|n| corroborate(n, ctx.program_name())));
    }
    if ctx.program_name() == "unix_chkpwd"
        && let Some(rest) = msg.strip_prefix("password check failed for user ")
    {
        let pam = Pam {
            module: "pam_unix",
            service: "unix_chkpwd",
            kind: Some("auth"),
        };
        let mut n = logon(ctx, &pam, Outcome::Failure, "password check failed");
        n.user = Some(user(rest.trim_matches(['(', ')'])));
        return Some(Ok(n));
    }
    None
}

/// Whether the program behind a PAM service logs each attempt's outcome
/// itself (sshd `Failed` / `Accepted`, login `FAILED LOGIN` / `LOGIN ON`,
/// sudo's own lines, polkitd's `Operator of ... authenticated`): then its PAM lines corroborate that canonical line.
fn logs_own_outcome(service: &str) -> bool {
    matches!(
        service,
        "sshd" | "sshd-session" | "sshd-auth" | "login" | "sudo" | "sudo-i" | "polkit-1"
    )
}

/// Gives a PAM Logon / Logoff of a service that logs its own outcome a
/// corroborating `Other` activity with an explicit caption, so that counting
/// Logons counts attempts once.
fn corroborate(mut n: Box<Normalized>, service: &str) -> Box<Normalized> {
    if !logs_own_outcome(service) {
        return n;
    }
    let session = n.status_detail.as_deref() == Some("session opened");
    let caption = match (&n.activity, &n.outcome) {
        (Activity::Authentication(AuthActivity::Logon), _) if session => "PAM Session Opened",
        (Activity::Authentication(AuthActivity::Logon), Some(Outcome::Success)) => {
            "PAM Authentication Success"
        }
        (Activity::Authentication(AuthActivity::Logon), _) => "PAM Authentication Failure",
        (Activity::Authentication(AuthActivity::Logoff), _) => "PAM Session Closed",
        _ => return n,
    };
    n.activity = Activity::Authentication(AuthActivity::Other(caption.into()));
    n
}

/// The logon type that fits a PAM service.
fn logon_type(service: &str) -> Option<LogonType> {
    Some(match service {
        "sshd" => LogonType::RemoteInteractive,
        "login" | "gdm" | "gdm-password" | "gdm-autologin" | "gdm-fingerprint" | "lightdm"
        | "sddm" | "kdm" | "xdm" | "lxdm" => LogonType::Interactive,
        "su" | "su-l" | "sudo" | "sudo-i" | "runuser" | "runuser-l" | "pkexec" | "polkit-1" => {
            LogonType::NewCredentials
        }
        "cron" | "crond" | "atd" | "anacron" => LogonType::Batch,
        "systemd-user" => LogonType::OsService,
        "vsftpd" | "proftpd" | "ftp" | "dovecot" | "samba" => LogonType::Network,
        _ => return None,
    })
}

/// Puts the PAM module, service and type under `unmapped.pam`.
fn put_pam_info(n: &mut Normalized, pam: &Pam<'_>) {
    put_pam_members(n, pam, &[]);
}

/// Puts the PAM module, service, type and `more` members under `unmapped.pam`, in one put:
/// the record then refills an object of these members, kept from an earlier line of the
/// same shape (`Unmapped::insert_strs`).
fn put_pam_members(n: &mut Normalized, pam: &Pam<'_>, more: &[(&str, &str)]) {
    let mut members = [("", ""); 6];
    members[0] = ("module", pam.module);
    members[1] = ("service", pam.service);
    let mut used = 2;
    if let Some(k) = pam.kind {
        members[used] = ("type", k);
        used += 1;
    }
    for &m in more {
        if let Some(slot) = members.get_mut(used) {
            *slot = m;
            used += 1;
        }
    }
    n.unmapped.insert_strs("pam", &members[..used]);
}

fn logon(
    ctx: &MessageContext<'_>,
    pam: &Pam<'_>,
    outcome: Outcome,
    detail: &str,
) -> Box<Normalized> {
    activity(ctx, pam, AuthActivity::Logon, outcome, detail)
}

fn activity(
    ctx: &MessageContext<'_>,
    pam: &Pam<'_>,
    act: AuthActivity,
    outcome: Outcome,
    detail: &str,
) -> Box<Normalized> {
    let severity = if outcome == Outcome::Failure {
        Severity::Low
    } else {
        Severity::Informational
    };
    let mut n = ctx
        .event(Activity::Authentication(act), severity)
        .with_outcome(outcome);
    if !detail.is_empty() {
        n.status_detail = Some(crate::strings::owned(detail));
    }
    n.service_name = Some(n.string(pam.service));
    n.actor_process = Some(ctx.process_for(&mut n));
    let lt = logon_type(pam.service);
    n.auth = Some(AuthInfo {
        protocol: None,
        is_remote: lt.as_ref().map(|l| *l == LogonType::RemoteInteractive),
        logon_type: lt,
        ..AuthInfo::default()
    });
    if pam.service == "sshd" {
        n.dst = Some(ctx.local_endpoint_for(&mut n, "ssh"));
    }
    put_pam_info(&mut n, pam);
    n
}

/// `logname=X uid=N euid=N tty=T ruser=R rhost=H [user=U]`.
fn failure_fields(n: &mut Normalized, pam: &Pam<'_>, fields: &str) {
    let f = FailureFields::read(fields);
    n.user = f.user.filter(|u| !is_placeholder(u)).map(user);
    n.src = f.rhost.and_then(|h| endpoint(h, None));
    if let Some(tty) = f.tty {
        n.session = Some(SessionInfo {
            terminal: Some(crate::strings::owned(tty)),
            ..SessionInfo::default()
        });
    }
    if let Some(r) = f.ruser.filter(|r| !is_placeholder(r)) {
        n.actor_user = Some(user(r));
    }
    // `uid` / `euid` are the ids of the process that called PAM (su, sshd,
    // sudo), not of `ruser` or `logname`: they type the actor process.
    let uid = f.uid.filter(|u| number::<u32>(u).is_some());
    let euid = f.euid.and_then(number::<i32>);
    if let Some(p) = n.actor_process.as_mut() {
        if p.user.is_none() {
            p.user = uid.map(|u| UserInfo::with_uid(crate::strings::owned(u)));
        }
        p.euid = p.euid.or(euid);
    }
    let mut more = [("", ""); 3];
    let mut used = 0;
    for (key, value) in [("logname", f.logname), ("uid", f.uid), ("euid", f.euid)] {
        if let Some(v) = value {
            more[used] = (key, v);
            used += 1;
        }
    }
    put_pam_members(n, pam, &more[..used]);
}

/// The fields of pam_unix's `authentication failure;` (`logname= uid=0 euid=0 tty=ssh ruser=
/// rhost=203.0.113.4  user=root`), read in one pass over the words: each the first `key=` word's
/// value, as [`kv`](crate::util::kv) finds it, and absent when empty (nine lookups of `kv` cost
/// about 4,000 instructions per line).
#[derive(Default)]
struct FailureFields<'a> {
    logname: Option<&'a str>,
    uid: Option<&'a str>,
    euid: Option<&'a str>,
    tty: Option<&'a str>,
    ruser: Option<&'a str>,
    rhost: Option<&'a str>,
    user: Option<&'a str>,
}

impl<'a> FailureFields<'a> {
    fn read(fields: &'a str) -> Self {
        let mut f = FailureFields::default();
        // Whether each field's first word was seen (its value may be empty, and a later word of
        // the same key does not count).
        let mut seen = [false; 7];
        for word in fields.split(' ') {
            let Some((key, value)) = word.split_once('=') else {
                continue;
            };
            let (i, slot) = match key {
                "logname" => (0, &mut f.logname),
                "uid" => (1, &mut f.uid),
                "euid" => (2, &mut f.euid),
                "tty" => (3, &mut f.tty),
                "ruser" => (4, &mut f.ruser),
                "rhost" => (5, &mut f.rhost),
                "user" => (6, &mut f.user),
                _ => continue,
            };
            if !std::mem::replace(&mut seen[i], true) {
                *slot = (!value.is_empty()).then_some(value);
            }
        }
        f
    }
}

/// `NAME(uid=N)`, `(uid=N)`, `NAME`.
fn named_uid(s: &str) -> Option<UserInfo> {
    let s = s.trim_ws();
    let (name, uid) = match s.split_once("(uid=") {
        Some((name, rest)) => (name, rest.strip_suffix(')')),
        None => (s, None),
    };
    let mut u = user(name);
    u.uid = uid
        .filter(|u| number::<u32>(u).is_some())
        .map(crate::strings::owned);
    (u.name.is_some() || u.uid.is_some()).then_some(u)
}

fn module_message(ctx: &MessageContext<'_>, pam: &Pam<'_>, body: &str) -> Recognized {
    let body = body.trim_ws();
    if let Some(fields) = body.strip_prefix("authentication failure;") {
        let mut n = logon(ctx, pam, Outcome::Failure, "authentication failure");
        failure_fields(&mut n, pam, fields);
        return Ok(n);
    }
    if let Some(fields) = body.strip_prefix("authentication success;") {
        let mut n = logon(ctx, pam, Outcome::Success, "authentication success");
        failure_fields(&mut n, pam, fields);
        return Ok(n);
    }
    if let Some(rest) = body.strip_prefix("check pass; user ") {
        let mut n = logon(
            ctx,
            pam,
            Outcome::Failure,
            body.trim_start_matches("check pass; "),
        );
        n.user = (!is_placeholder(rest)).then(|| user(rest));
        return Ok(n);
    }
    if let Some(rest) = body.strip_prefix("session opened for user ") {
        let (target, by) = match rest.rsplit_once(" by ") {
            Some((t, b)) => (t, Some(b)),
            None => (rest, None),
        };
        let mut n = logon(ctx, pam, Outcome::Success, "session opened");
        n.user = Some(named_uid(target).ok_or_else(|| Miss::Malformed("no user".into()))?);
        // `by LOGNAME(uid=N)`: pam_unix writes the login name of the
        // terminal and the real uid of the calling process (`by
        // alice(uid=0)` under sudo): two identities, not one user.
        if let Some(UserInfo { name, uid, domain }) = by.and_then(named_uid) {
            match n.actor_process.as_mut() {
                Some(p) if p.user.is_none() => p.user = uid.map(UserInfo::with_uid),
                _ => crate::strings::keep_opt(uid),
            }
            if name.is_some() {
                n.actor_user = Some(UserInfo {
                    name,
                    uid: None,
                    domain,
                });
            } else {
                crate::strings::keep_opt(domain);
            }
        }
        return Ok(n);
    }
    if let Some(rest) = body.strip_prefix("session closed for user ") {
        let mut n = activity(
            ctx,
            pam,
            AuthActivity::Logoff,
            Outcome::Success,
            "session closed",
        );
        n.user = Some(named_uid(rest).ok_or_else(|| Miss::Malformed("no user".into()))?);
        return Ok(n);
    }
    if let Some(rest) = body.strip_prefix("password changed for ") {
        let mut n = ctx
            .event(
                Activity::AccountChange(AccountActivity::PasswordChange),
                Severity::Informational,
            )
            .with_outcome(Outcome::Success);
        n.user = Some(user(unquote(rest)));
        n.actor_process = Some(ctx.process_for(&mut n));
        put_pam_info(&mut n, pam);
        return Ok(n);
    }
    if let Some(rest) = body.strip_prefix("Consecutive login failures for user ") {
        let (name, detail) = rest.split_once(' ').unwrap_or((rest, ""));
        let mut n = ctx
            .event(
                Activity::AccountChange(AccountActivity::Lock),
                Severity::Medium,
            )
            .with_outcome(Outcome::Success)
            .with_detail_owned(crate::strings::concat(&[
                "Consecutive login failures; ",
                detail.trim_ws(),
            ]));
        n.user = Some(user(name));
        n.actor_process = Some(ctx.process_for(&mut n));
        put_pam_info(&mut n, pam);
        return Ok(n);
    }
    if body == "User unknown" || body == "conversation failed" {
        return Ok(logon(ctx, pam, Outcome::Failure, body));
    }
    if let Some(reason) = body.strip_prefix("Failed to create session: ") {
        return Ok(logon(ctx, pam, Outcome::Failure, reason));
    }
    if let Some(rest) = body.strip_prefix("user ") {
        // pam_winbind / pam_sss: `user 'NAME' granted access`, `... denied access`;
        // pam_tally2: `user NAME (UID) tally N, deny M`.
        if let Some(name) = rest.strip_suffix(" granted access") {
            let mut n = logon(ctx, pam, Outcome::Success, "granted access");
            n.user = Some(user(unquote(name)));
            return Ok(n);
        }
        if let Some(name) = rest.strip_suffix(" denied access") {
            let mut n = logon(ctx, pam, Outcome::Failure, "denied access");
            n.user = Some(user(unquote(name)));
            return Ok(n);
        }
        if let Some((who, tally)) = rest.split_once(" tally ") {
            let name = who.split(' ').next().unwrap_or(who);
            let mut n = logon(
                ctx,
                pam,
                Outcome::Failure,
                &crate::strings::format(format_args!("tally {tally}")),
            );
            n.user = Some(user(name));
            return Ok(n);
        }
    }
    for (prefix, detail) in [
        (
            "auth could not identify password for ",
            "could not identify password",
        ),
        ("bad username ", "bad username"),
        ("account ", "account expired"),
        ("expired password for user ", "password expired"),
    ] {
        if let Some(rest) = body.strip_prefix(prefix) {
            let name = rest.split([' ', ']']).next().unwrap_or_default();
            let name = name.trim_start_matches('[');
            let mut n = logon(ctx, pam, Outcome::Failure, detail);
            n.user = Some(user(name));
            return Ok(n);
        }
    }
    if let Some(rest) = body.strip_prefix("received for user ") {
        // pam_sss: `received for user NAME: 7 (Authentication failure)`
        let (name, result) = rest.split_once(": ").ok_or(Miss::Unrecognized)?;
        let (code, text) = result.split_once(' ').unwrap_or((result, ""));
        let ok = code == "0";
        let mut n = logon(
            ctx,
            pam,
            if ok {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            text.trim_matches(['(', ')']),
        );
        n.status_code = Some(crate::strings::owned(code));
        n.user = Some(user(name));
        return Ok(n);
    }
    Err(Miss::Unrecognized)
}

/// OpenSSH's `PAM ...` lines.
fn pam_prefixed(ctx: &MessageContext<'_>, rest: &str) -> Recognized {
    let service = ctx.program_name();
    let pam = Pam {
        module: "pam",
        service,
        kind: None,
    };
    if let Some((count, tail)) = rest.split_once(" more authentication failure")
        && let Some(count) = number::<i32>(count)
    {
        let fields = tail.split_once(';').map_or("", |(_, f)| f);
        let mut n = logon(ctx, &pam, Outcome::Failure, "more authentication failures");
        failure_fields(&mut n, &pam, fields);
        // The failures were each logged already: a number, not `count`
        // (summing `count` would count them twice).
        n.put_value("more_failures", Value::from(count));
        return Ok(n);
    }
    if let Some(r) = rest.strip_prefix("service(") {
        let (svc, reason) = r.split_once(") ").ok_or(Miss::Unrecognized)?;
        let pam = Pam {
            module: "pam",
            service: svc,
            kind: None,
        };
        return Ok(logon(ctx, &pam, Outcome::Failure, reason));
    }
    let module_failure = |path: &str, detail: &str| {
        let mut n = ctx
            .event(Activity::Module(ModuleActivity::Load), Severity::Medium)
            .with_outcome(Outcome::Failure)
            .with_detail(detail);
        n.module_path = Some(crate::strings::owned(path));
        n.actor_process = Some(ctx.process_for(&mut n));
        n
    };
    if let Some(path) = rest.strip_prefix("adding faulty module: ") {
        return Ok(module_failure(path.trim_ws(), "adding faulty module"));
    }
    if let Some(r) = rest.strip_prefix("unable to dlopen(") {
        let (path, err) = r.split_once("): ").ok_or(Miss::Unrecognized)?;
        return Ok(module_failure(path, err.trim_ws()));
    }
    Err(Miss::Unrecognized)
}

#[cfg(test)]
mod tests {
    use super::FailureFields;
    use crate::util::kv;

    /// One pass finds what a lookup of each key with `kv` finds (the first `key=` word, empty
    /// as absent).
    #[test]
    fn failure_fields_are_those_kv_finds() {
        for fields in [
            " logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.4  user=root",
            "logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=root",
            "uid=0 uid=5 user= user=bob rhost=h1 rhost=h2",
            "username=x uidx=1 xuid=2 ttyS=3 user=a=b euid=-1",
            "user=root",
            "",
            "   ",
            "no fields at all",
            "tty=ssh\tuser=x ruser=\u{e9}t\u{e9}",
        ] {
            let f = FailureFields::read(fields);
            let get = |k: &str| kv(fields, k).filter(|v| !v.is_empty());
            let read = [f.logname, f.uid, f.euid, f.tty, f.ruser, f.rhost, f.user];
            let keys = ["logname", "uid", "euid", "tty", "ruser", "rhost", "user"];
            for (key, value) in keys.iter().zip(read) {
                assert_eq!(value, get(key), "{key} in {fields:?}");
            }
        }
    }
}

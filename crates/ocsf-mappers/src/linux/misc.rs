//! Classic daemons (`ftpd`, `klogind`, `xinetd`, `snmpd`, `udev`, `gdm`,
//! `logrotate`, `syslogd`) and the init-script lines any program may write
//! (`cupsd startup succeeded`, `Starting pcmcia: succeeded`).

use super::sshd::user;
use super::{MessageContext, Miss, Recognized};
use crate::normalized::{
    Activity, AppActivity, AppInfo, AuthActivity, AuthInfo, AuthProtocol, FileActivity, FileInfo,
    FileType, LogonType, NetworkActivity, Normalized, Outcome, ProcessActivity, Severity, UserInfo,
};
use crate::util::{UNKNOWN, endpoint, is_ip, port, signed, unquote};

pub(super) fn handles(program: &str) -> bool {
    matches!(
        program,
        "ftpd"
            | "in.ftpd"
            | "klogind"
            | "logrotate"
            | "udev"
            | "udevd"
            | "systemd-udevd"
            | "xinetd"
            | "snmpd"
            | "gdm"
            | "gdm-binary"
            | "syslogd"
            | "rsyslogd"
            | "syslog"
            | "login"
    )
}

pub(super) fn map(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    let msg = msg.trim();
    match ctx.program_name() {
        "ftpd" | "in.ftpd" => ftpd(ctx, msg),
        "klogind" => klogind(ctx, msg),
        "logrotate" => logrotate(ctx, msg),
        "udev" | "udevd" | "systemd-udevd" => udev(ctx, msg),
        "xinetd" => xinetd(ctx, msg),
        "snmpd" => snmpd(ctx, msg),
        "gdm" | "gdm-binary" => gdm(ctx, msg),
        "syslogd" | "rsyslogd" | "syslog" => syslogd(ctx, msg),
        "login" => login(ctx, msg),
        _ => Err(Miss::Unrecognized),
    }
}

fn network(ctx: &MessageContext<'_>, act: NetworkActivity, svc: &str) -> Box<Normalized> {
    let severity = if matches!(act, NetworkActivity::Fail | NetworkActivity::Reset) {
        Severity::Low
    } else {
        Severity::Informational
    };
    let mut n = ctx.event(Activity::Network(act), severity);
    n.dst = Some(ctx.local_endpoint(svc));
    n.actor_process = Some(ctx.process());
    n.app = Some(AppInfo {
        name: svc.to_owned(),
        ..AppInfo::default()
    });
    n
}

fn logon(ctx: &MessageContext<'_>, ok: bool, service: &str, detail: &str) -> Box<Normalized> {
    let mut n = ctx
        .event(
            Activity::Authentication(AuthActivity::Logon),
            if ok {
                Severity::Informational
            } else {
                Severity::Low
            },
        )
        .with_outcome(if ok {
            Outcome::Success
        } else {
            Outcome::Failure
        })
        .with_detail(detail);
    n.service_name = Some(service.to_owned());
    n.actor_process = Some(ctx.process());
    n
}

/// `IP (HOSTNAME)` with an optional empty hostname.
fn ip_and_name(s: &str) -> (Option<crate::normalized::EndpointInfo>, &str) {
    let s = s.trim();
    let (addr, rest) = s.split_once(' ').unwrap_or((s, ""));
    let mut ep = endpoint(addr.trim_end_matches(','), None);
    let rest = rest.trim_start();
    if let Some(r) = rest.strip_prefix('(')
        && let Some((name, tail)) = r.split_once(')')
    {
        if let Some(e) = ep.as_mut()
            && crate::util::is_hostname(name)
            && !is_ip(name)
        {
            e.hostname = Some(name.to_owned());
        }
        return (ep, tail.trim_start());
    }
    (ep, rest)
}

fn ftpd(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    if let Some(rest) = msg.strip_prefix("connection from ") {
        let (src, tail) = ip_and_name(rest);
        let mut n = network(ctx, NetworkActivity::Open, "ftp");
        n.src = Some(src.ok_or_else(|| Miss::Malformed("bad client address".into()))?);
        if let Some(at) = tail.strip_prefix("at ") {
            n.put("client_time", at.trim());
        }
        return Ok(n);
    }
    for (prefix, anonymous) in [
        ("ANONYMOUS FTP LOGIN FROM ", true),
        ("FTP LOGIN FROM ", false),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            // `IP, (anonymous)` / `HOST [IP], USER`
            let (addr, who) = rest.split_once(',').unwrap_or((rest, ""));
            let who = who.trim().trim_matches(['(', ')']);
            let addr = addr.trim();
            let src = match addr.split_once(" [") {
                Some((host, ip)) => {
                    let mut e = endpoint(ip.trim_end_matches(']'), None);
                    if let Some(e) = e.as_mut()
                        && crate::util::is_hostname(host)
                    {
                        e.hostname = Some(host.to_owned());
                    }
                    e
                }
                None => endpoint(addr, None),
            };
            let mut n = logon(
                ctx,
                true,
                "ftp",
                if anonymous {
                    "anonymous login"
                } else {
                    "login"
                },
            );
            n.user = Some(if who.is_empty() {
                UserInfo::named(if anonymous { "anonymous" } else { UNKNOWN })
            } else {
                user(who)
            });
            n.src = src;
            n.auth = Some(AuthInfo {
                protocol: None,
                logon_type: Some(LogonType::Network),
                is_remote: Some(true),
                ..AuthInfo::default()
            });
            return Ok(n);
        }
    }
    if let Some(rest) = msg.strip_prefix("FTP LOGIN REFUSED ") {
        let mut n = logon(ctx, false, "ftp", rest);
        if let Some((_, from)) = rest.split_once(" FROM ") {
            n.src = endpoint(from.split([',', ' ']).next().unwrap_or_default(), None);
        }
        return Ok(n);
    }
    if let Some(rest) = msg.strip_prefix("User ")
        && let Some((name, tail)) = rest.split_once(" timed out after ")
    {
        let mut n = network(ctx, NetworkActivity::Close, "ftp").with_detail(format!(
            "timed out after {}",
            tail.split(" at ").next().unwrap_or(tail).trim()
        ));
        if name != "unknown" {
            n.actor_user = Some(user(name));
        }
        return Ok(n);
    }
    if msg.starts_with("getpeername") || msg.contains("Transport endpoint is not connected") {
        return Ok(network(ctx, NetworkActivity::Fail, "ftp")
            .with_outcome(Outcome::Failure)
            .with_detail(msg));
    }
    if msg.starts_with("FTP session closed") {
        return Ok(network(ctx, NetworkActivity::Close, "ftp"));
    }
    Err(Miss::Unrecognized)
}

fn klogind(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    if let Some(rest) = msg.strip_prefix("Authentication failed from ") {
        let (src, tail) = ip_and_name(rest);
        let reason = tail.trim_start_matches(':').trim();
        let mut n = logon(ctx, false, "klogin", reason);
        n.src = src;
        n.auth = Some(AuthInfo {
            protocol: Some(AuthProtocol::Kerberos),
            logon_type: Some(LogonType::RemoteInteractive),
            is_remote: Some(true),
            ..AuthInfo::default()
        });
        return Ok(n);
    }
    if msg.starts_with("Kerberos authentication failed") {
        let mut n = logon(ctx, false, "klogin", msg);
        n.auth = Some(AuthInfo {
            protocol: Some(AuthProtocol::Kerberos),
            logon_type: Some(LogonType::RemoteInteractive),
            is_remote: Some(true),
            ..AuthInfo::default()
        });
        return Ok(n);
    }
    Err(Miss::Unrecognized)
}

fn logrotate(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    // `ALERT exited abnormally with [1]`
    let rest = msg
        .strip_prefix("ALERT exited abnormally with ")
        .ok_or(Miss::Unrecognized)?;
    let code = signed::<i32>(rest.trim_matches(['[', ']']))
        .ok_or_else(|| Miss::Malformed("bad exit code".into()))?;
    let mut n = ctx
        .event(Activity::Process(ProcessActivity::Terminate), Severity::Low)
        .with_outcome(Outcome::Failure)
        .with_detail("exited abnormally");
    n.process = Some(ctx.process());
    n.exit_code = Some(code);
    n.status_code = Some(code.to_string());
    Ok(n)
}

fn udev(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    for (prefix, act) in [
        ("creating device node ", FileActivity::Create),
        ("removing device node ", FileActivity::Delete),
    ] {
        if let Some(path) = msg.strip_prefix(prefix) {
            let mut n = ctx.event(Activity::FileSystem(act), Severity::Informational);
            n.file = Some(FileInfo::at(unquote(path), FileType::Unknown));
            n.actor_process = Some(ctx.process());
            n.outcome = Some(Outcome::Success);
            return Ok(n);
        }
    }
    Err(Miss::Unrecognized)
}

fn xinetd(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    if let Some(rest) = msg.strip_prefix("START: ") {
        // `ftp pid=1234 from=192.0.2.1`
        let svc = rest.split(' ').next().unwrap_or_default();
        let mut n = network(ctx, NetworkActivity::Open, svc);
        n.src = crate::util::kv(rest, "from").and_then(|h| endpoint(h, None));
        if let Some(pid) = crate::util::kv(rest, "pid") {
            n.put("service_pid", pid);
        }
        return Ok(n);
    }
    if let Some(rest) = msg.strip_prefix("EXIT: ") {
        let svc = rest.split(' ').next().unwrap_or_default();
        let mut n = network(ctx, NetworkActivity::Close, svc);
        if let Some(st) = crate::util::kv(rest, "status") {
            n.status_code = Some(st.to_owned());
        }
        return Ok(n);
    }
    if msg.contains("Connection reset by peer") {
        return Ok(network(ctx, NetworkActivity::Reset, "xinetd")
            .with_outcome(Outcome::Failure)
            .with_detail(msg.trim_start_matches("warning: ")));
    }
    Err(Miss::Unrecognized)
}

fn snmpd(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    if let Some(rest) = msg.strip_prefix("Received SNMP packet(s) from ") {
        let mut n = network(ctx, NetworkActivity::Traffic, "snmp");
        let host = rest.trim().trim_start_matches("UDP: ");
        let (host, p) = match host.strip_prefix('[').and_then(|h| h.split_once("]:")) {
            Some((h, p)) => (h, port(p)),
            None => (host, None),
        };
        n.src = endpoint(host, p);
        return Ok(n);
    }
    Err(Miss::Unrecognized)
}

fn gdm(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    if msg.starts_with("Couldn't authenticate user") {
        let mut n = logon(ctx, false, "gdm", msg);
        n.auth = Some(AuthInfo {
            protocol: None,
            logon_type: Some(LogonType::Interactive),
            is_remote: Some(false),
            ..AuthInfo::default()
        });
        return Ok(n);
    }
    Err(Miss::Unrecognized)
}

fn syslogd(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    if msg.contains("] start") || msg.ends_with("restart.") || msg.ends_with("restart") {
        return Ok(lifecycle(
            ctx,
            AppActivity::Start,
            ctx.program_name(),
            None,
            Some(Outcome::Success),
        ));
    }
    if msg.contains("exiting on signal") || msg.contains("] exiting") {
        let mut n = lifecycle(
            ctx,
            AppActivity::Stop,
            ctx.program_name(),
            None,
            Some(Outcome::Success),
        );
        n.status_detail = Some(msg.to_owned());
        return Ok(n);
    }
    Err(Miss::Unrecognized)
}

/// `login`: `ROOT LOGIN ON tty2 [FROM host]`, `LOGIN ON pts/0 BY alice [FROM host]`,
/// `FAILED LOGIN 1 FROM host FOR root, Authentication failure`.
fn login(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    let msg = msg.trim();
    let (name, rest) = if let Some(i) = msg.find("ROOT LOGIN ON ") {
        ("root", &msg[i + 14..])
    } else if let Some(r) = msg.strip_prefix("LOGIN ON ") {
        let (tty, by) = r.split_once(" BY ").ok_or(Miss::Unrecognized)?;
        let (who, from) = by.split_once(" FROM ").unwrap_or((by, ""));
        let mut n = interactive(ctx, true, who, tty);
        n.src = endpoint(from, None);
        return Ok(n);
    } else if let Some(r) = msg.strip_prefix("FAILED LOGIN ") {
        let (_, who) = r.split_once(" FOR ").ok_or(Miss::Unrecognized)?;
        let (who, reason) = who.split_once(", ").unwrap_or((who, ""));
        let tty = r
            .split_once(" on ")
            .map(|(_, t)| unquote(t.split(' ').next().unwrap_or_default()))
            .unwrap_or_default();
        // `FROM` names the remote host, or on a console login the
        // terminal (`FAILED LOGIN 1 FROM tty1 FOR root`): never a host then.
        let from = r
            .split_once(" FROM ")
            .map(|(_, f)| f.split(' ').next().unwrap_or_default());
        let (tty, from) = match from {
            Some(f) if tty.is_empty() && is_terminal(f) => (f, None),
            other => (tty, other),
        };
        let mut n = interactive(ctx, false, unquote(who), tty.trim_start_matches("/dev/"));
        n.src = from.and_then(|f| endpoint(f, None));
        if !reason.is_empty() {
            n.status_detail = Some(reason.to_owned());
        }
        return Ok(n);
    } else {
        return Err(Miss::Unrecognized);
    };
    let (tty, from) = rest.split_once(" FROM ").unwrap_or((rest, ""));
    let mut n = interactive(ctx, true, name, tty.trim());
    n.src = endpoint(from, None);
    Ok(n)
}

/// Whether a word is a terminal name (`tty1`, `pts/0`, `/dev/ttyS0`,
/// `console`, `:0`), not a host.
fn is_terminal(word: &str) -> bool {
    let w = word.trim_start_matches("/dev/");
    w.starts_with("tty") || w.starts_with("pts/") || w == "console" || w.starts_with(':')
}

fn interactive(ctx: &MessageContext<'_>, ok: bool, name: &str, tty: &str) -> Box<Normalized> {
    let mut n = logon(ctx, ok, "login", if ok { "login" } else { "login failed" });
    n.user = Some(user(name));
    if !tty.is_empty() {
        n.session = Some(crate::normalized::SessionInfo {
            terminal: Some(tty.to_owned()),
            ..crate::normalized::SessionInfo::default()
        });
    }
    n.auth = Some(AuthInfo {
        protocol: None,
        logon_type: Some(LogonType::Interactive),
        is_remote: Some(false),
        ..AuthInfo::default()
    });
    if ctx.program.is_none() {
        n.service_name = Some("login".into());
    }
    n
}

fn lifecycle(
    ctx: &MessageContext<'_>,
    act: AppActivity,
    name: &str,
    version: Option<&str>,
    outcome: Option<Outcome>,
) -> Box<Normalized> {
    let failed = outcome == Some(Outcome::Failure);
    let mut n = ctx.event(
        Activity::ApplicationLifecycle(act),
        if failed {
            Severity::Low
        } else {
            Severity::Informational
        },
    );
    n.outcome = outcome;
    n.app = Some(AppInfo {
        name: name.to_owned(),
        version: version.map(str::to_owned),
        uid: None,
    });
    if ctx.program.is_some() {
        n.actor_process = Some(ctx.process());
    }
    n
}

fn result_word(w: &str) -> Option<Outcome> {
    match w.trim().trim_end_matches('.').to_ascii_lowercase().as_str() {
        "succeeded" | "ok" | "done" => Some(Outcome::Success),
        "failed" | "failure" => Some(Outcome::Failure),
        _ => None,
    }
}

/// Init-script and daemon start/stop lines from any program, and the
/// `syslogd 1.4.1: restart.` line that carries no tag.
pub(super) fn generic(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    // A `login` line whose tag the header parser could not read
    // (`combo  -- root[2421]: ROOT LOGIN ON tty2`).
    if msg.contains("ROOT LOGIN ON ") {
        return login(ctx, msg);
    }
    // `cupsd startup succeeded`, `cupsd shutdown failed`
    for (word, act) in [
        (" startup ", AppActivity::Start),
        (" shutdown ", AppActivity::Stop),
    ] {
        if let Some((name, result)) = msg.split_once(word)
            && !name.is_empty()
            && !name.contains(' ')
            && let Some(outcome) = result_word(result)
        {
            return Ok(lifecycle(ctx, act, name, None, Some(outcome)));
        }
    }
    // `Starting pcmcia: succeeded`, `Stopping httpd: [  OK  ]`
    for (word, act) in [
        ("Starting ", AppActivity::Start),
        ("Stopping ", AppActivity::Stop),
    ] {
        if let Some(rest) = msg.strip_prefix(word)
            && let Some((name, result)) = rest.rsplit_once(':')
            && let Some(outcome) = result_word(result.trim().trim_matches(['[', ']']))
        {
            return Ok(lifecycle(ctx, act, name.trim(), None, Some(outcome)));
        }
    }
    // `syslogd 1.4.1: restart.` (no tag), `rpc.statd: Version 1.0.6 Starting`,
    // `sdpd v1.5 started`, `HCI daemon ver 2.4 started`.
    if let Some((head, tail)) = msg.split_once(": ")
        && tail.trim_end_matches('.') == "restart"
        && let Some((name, version)) = head.split_once(' ')
        && ctx.program.is_none()
    {
        return Ok(lifecycle(
            ctx,
            AppActivity::Start,
            name,
            Some(version),
            Some(Outcome::Success),
        ));
    }
    if let Some(version) = msg
        .strip_prefix("Version ")
        .and_then(|r| r.strip_suffix(" Starting"))
        && ctx.program.is_some()
    {
        return Ok(lifecycle(
            ctx,
            AppActivity::Start,
            ctx.program_name(),
            Some(version),
            None,
        ));
    }
    if let Some(head) = msg.strip_suffix(" started")
        && ctx.program.is_some()
    {
        let version = head
            .rsplit_once(" ver ")
            .or_else(|| head.rsplit_once(" v"))
            .map(|(_, v)| v)
            .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()));
        if let Some(v) = version {
            return Ok(lifecycle(
                ctx,
                AppActivity::Start,
                ctx.program_name(),
                Some(v),
                Some(Outcome::Success),
            ));
        }
    }
    Err(Miss::Unrecognized)
}

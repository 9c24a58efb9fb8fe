//! `sudo` and `su`.

use super::sshd::user;
use super::{MessageContext, Miss, Recognized};
use crate::normalized::{
    Action, Activity, AuthActivity, AuthInfo, Disposition, GroupInfo, LogonType, Normalized,
    Outcome, ProcessActivity, ProcessInfo, SessionInfo, Severity, UserInfo,
};
use crate::util::{basename, number};

pub(super) fn handles(program: &str) -> bool {
    matches!(program, "sudo" | "su" | "su-l")
}

pub(super) fn map(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    if ctx.program_name() == "sudo" {
        sudo(ctx, msg)
    } else {
        su(ctx, msg)
    }
}

/// `USER : [REASON ; ]TTY=... ; PWD=... ; USER=... ; COMMAND=...`
fn sudo(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    let (invoker, rest) = msg.trim().split_once(" : ").ok_or(Miss::Unrecognized)?;
    let invoker = invoker.trim();
    if invoker.is_empty() || invoker.contains(' ') {
        return Err(Miss::Unrecognized);
    }
    let (fields, command) = match rest.find("COMMAND=") {
        Some(i) => (&rest[..i], Some(rest[i + 8..].trim())),
        None => (rest, None),
    };
    let mut reason = None;
    let mut tty = None;
    let mut pwd = None;
    let mut runas = None;
    let mut group = None;
    let mut env = None;
    for part in fields.split(" ; ").map(str::trim).filter(|p| !p.is_empty()) {
        let part = part.trim_end_matches(';').trim();
        match part.split_once('=') {
            Some(("TTY", v)) => tty = Some(v),
            Some(("PWD", v)) => pwd = Some(v),
            Some(("USER", v)) => runas = Some(v),
            Some(("GROUP", v)) => group = Some(v),
            Some(("ENV", v)) => env = Some(v),
            _ if reason.is_none() && !part.contains('=') => reason = Some(part),
            _ => {}
        }
    }
    if command.is_none() && tty.is_none() {
        return Err(Miss::Unrecognized);
    }
    let session = tty.filter(|t| *t != "unknown").map(|t| SessionInfo {
        terminal: Some(t.to_owned()),
        ..SessionInfo::default()
    });
    let mut n = match reason {
        Some(r) if r.contains("incorrect password") => {
            let mut n = ctx
                .event(
                    Activity::Authentication(AuthActivity::Logon),
                    Severity::Medium,
                )
                .with_outcome(Outcome::Failure)
                .with_detail(r);
            // The attempt is to act as the run-as user (sudo's default is
            // root); the invoker typed the wrong password.
            n.user = Some(runas.map_or_else(|| UserInfo::named("root"), user));
            n.actor_user = Some(user(invoker));
            n.service_name = Some("sudo".into());
            let mut p = ctx.process();
            p.cmd_line = command.filter(|c| !c.is_empty()).map(str::to_owned);
            n.actor_process = Some(p);
            n.auth = Some(AuthInfo {
                protocol: None,
                logon_type: Some(LogonType::NewCredentials),
                is_remote: Some(false),
                ..AuthInfo::default()
            });
            n.count = r.split(' ').next().and_then(number::<i32>);
            n.session = session;
            if let Some(g) = group {
                n.put("run_as_group", g);
            }
            n
        }
        _ => {
            let mut n = ctx.event(
                Activity::Process(ProcessActivity::Launch),
                if reason.is_some() {
                    Severity::Medium
                } else {
                    Severity::Informational
                },
            );
            let cmd = command.unwrap_or_default();
            let exe = cmd.split(' ').next().unwrap_or_default();
            n.process = Some(ProcessInfo {
                name: Some(basename(exe).to_owned()).filter(|s| !s.is_empty()),
                path: exe.starts_with('/').then(|| exe.to_owned()),
                cmd_line: Some(cmd.to_owned()).filter(|c| !c.is_empty()),
                user: Some(runas.map_or_else(|| UserInfo::named("root"), user)),
                group: group.map(|g| GroupInfo {
                    name: Some(g.to_owned()),
                    uid: None,
                }),
                parent: Some(Box::new(ctx.process())),
                ..ProcessInfo::default()
            });
            n.actor_user = Some(user(invoker));
            n.actor_process = Some(ctx.process());
            n.session = session;
            match reason {
                Some(r) => {
                    n.outcome = Some(Outcome::Failure);
                    n.status_detail = Some(r.to_owned());
                    n.action = Some(Action::Denied);
                    n.disposition = Some(Disposition::Blocked);
                }
                None => {
                    n.outcome = Some(Outcome::Success);
                    n.action = Some(Action::Allowed);
                    n.disposition = Some(Disposition::Allowed);
                }
            }
            n
        }
    };
    if let Some(p) = pwd {
        n.put("cwd", p);
    }
    if let Some(e) = env {
        n.put("env", e);
    }
    Ok(n)
}

fn su_event(
    ctx: &MessageContext<'_>,
    ok: bool,
    target: &str,
    invoker: &str,
    tty: Option<&str>,
) -> Box<Normalized> {
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
        });
    n.user = Some(if target.is_empty() {
        UserInfo::default()
    } else {
        user(target)
    });
    if !invoker.is_empty() {
        n.actor_user = Some(user(invoker));
    }
    n.service_name = Some("su".into());
    n.actor_process = Some(ctx.process());
    n.auth = Some(AuthInfo {
        protocol: None,
        logon_type: Some(LogonType::NewCredentials),
        is_remote: Some(false),
        ..AuthInfo::default()
    });
    n.session = tty
        .filter(|t| !t.is_empty() && *t != "none")
        .map(|t| SessionInfo {
            terminal: Some(t.trim_start_matches("/dev/").to_owned()),
            ..SessionInfo::default()
        });
    n
}

fn su(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    let msg = msg.trim();
    // util-linux: `(to root) alice on pts/0`, `FAILED SU (to root) alice on pts/0`
    let (ok, rest) = match msg.strip_prefix("FAILED SU ") {
        Some(r) => (false, r),
        None => (true, msg),
    };
    if let Some(r) = rest.strip_prefix("(to ") {
        let (target, who) = r.split_once(") ").ok_or(Miss::Unrecognized)?;
        let (invoker, tty) = who.split_once(" on ").unwrap_or((who, ""));
        let mut n = su_event(ctx, ok, target, invoker, Some(tty));
        if !ok {
            n.status_detail = Some("FAILED SU".into());
        }
        return Ok(n);
    }
    // shadow-utils: `Successful su for root by alice`, `FAILED su for root by alice`
    for (prefix, ok) in [("Successful su for ", true), ("FAILED su for ", false)] {
        if let Some(r) = msg.strip_prefix(prefix) {
            let (target, invoker) = r.split_once(" by ").ok_or(Miss::Unrecognized)?;
            return Ok(su_event(ctx, ok, target, invoker, None));
        }
    }
    // shadow-utils sulog: `+ pts/0 alice:root`, `- pts/0 alice:root`
    if let Some((sign, r)) = msg.split_at_checked(2)
        && (sign == "+ " || sign == "- ")
        && let Some((tty, pair)) = r.split_once(' ')
        && let Some((invoker, target)) = pair.split_once(':')
    {
        return Ok(su_event(ctx, sign == "+ ", target, invoker, Some(tty)));
    }
    // BusyBox: `SU alice to root on /dev/pts/0`, `BAD SU alice to root on ...`
    let (ok, rest) = match msg.strip_prefix("BAD SU ") {
        Some(r) => (false, Some(r)),
        None => (true, msg.strip_prefix("SU ")),
    };
    if let Some(r) = rest {
        let (invoker, r) = r.split_once(" to ").ok_or(Miss::Unrecognized)?;
        let (target, tty) = r.split_once(" on ").unwrap_or((r, ""));
        return Ok(su_event(ctx, ok, target, invoker, Some(tty)));
    }
    if let Some(r) = msg.strip_prefix("pam_authenticate: ") {
        let mut n = su_event(ctx, false, "", "", None);
        n.status_detail = Some(r.to_owned());
        return Ok(n);
    }
    if msg.starts_with("Authentication failure") {
        let mut n = su_event(ctx, false, "", "", None);
        n.status_detail = Some(msg.to_owned());
        return Ok(n);
    }
    Err(Miss::Unrecognized)
}

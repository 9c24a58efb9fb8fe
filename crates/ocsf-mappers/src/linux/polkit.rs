//! `polkitd`: authorization by authentication (pkexec, systemctl, package
//! installs from a desktop) and authentication agents.
//!
//! ```text
//! Operator of unix-session:3 successfully authenticated as unix-user:root to gain ONE-SHOT authorization for action org.freedesktop.policykit.exec for unix-process:4242:1234 [pkexec /bin/bash] (owned by unix-user:alice)
//! Operator of unix-session:3 FAILED to authenticate to gain authorization for action ACTION for SUBJECT [CMD] (owned by unix-user:alice)
//! Registered Authentication Agent for unix-session:3 (system bus name :1.60 [/usr/bin/gnome-shell], object path /org/freedesktop/PolicyKit1/AuthenticationAgent, locale en_US.UTF-8)
//! Unregistered Authentication Agent for unix-session:3 (system bus name :1.60, object path ..., locale en_US.UTF-8) (disconnected from bus)
//! ```
//!
//! The `Operator of ...` line is the canonical outcome of the authentication
//! (PAM's `polkit-1` lines corroborate it).

use serde_json::{Map, Value};

use super::sshd::user;
use super::{MessageContext, Miss, Recognized};
use crate::normalized::{
    Activity, AuthActivity, AuthInfo, EntityActivity, EntityInfo, LogonType, Outcome, ProcessInfo,
    SessionInfo, Severity, UserInfo,
};
use crate::util::{basename, number};

pub(super) fn handles(program: &str) -> bool {
    matches!(program, "polkitd" | "polkit-agent-helper-1")
}

/// `unix-user:alice` (or a uid) as a user.
fn unix_user(s: &str) -> Option<UserInfo> {
    let id = s.trim().strip_prefix("unix-user:")?;
    Some(if number::<u32>(id).is_some() {
        UserInfo::with_uid(id)
    } else {
        user(id)
    })
}

/// `unix-session:3` as a session.
fn unix_session(s: &str) -> Option<SessionInfo> {
    let id = s.trim().strip_prefix("unix-session:")?;
    Some(SessionInfo {
        uid: Some(id.to_owned()),
        ..SessionInfo::default()
    })
}

pub(super) fn map(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    let msg = msg.trim();
    if let Some(rest) = msg.strip_prefix("Operator of ") {
        return operator(ctx, rest);
    }
    for (prefix, act) in [
        (
            "Registered Authentication Agent for ",
            EntityActivity::Create,
        ),
        (
            "Unregistered Authentication Agent for ",
            EntityActivity::Delete,
        ),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            return agent(ctx, act, rest);
        }
    }
    Err(Miss::Unrecognized)
}

/// `unix-session:3 successfully authenticated as unix-user:root to gain
/// ONE-SHOT authorization for action A for SUBJECT [CMD] (owned by U)`.
fn operator(ctx: &MessageContext<'_>, rest: &str) -> Recognized {
    let (subject, tail) = rest.split_once(' ').ok_or(Miss::Unrecognized)?;
    let (outcome, tail) = if let Some(t) = tail.strip_prefix("successfully authenticated as ") {
        (Outcome::Success, t)
    } else if let Some(t) = tail.strip_prefix("FAILED to authenticate") {
        (Outcome::Failure, t)
    } else {
        return Err(Miss::Unrecognized);
    };
    let mut polkit = Map::new();
    polkit.insert("operator".into(), Value::from(subject));
    let (target, tail) = match outcome {
        Outcome::Success => {
            let (who, t) = tail.split_once(' ').unwrap_or((tail, ""));
            (unix_user(who), t)
        }
        _ => (None, tail),
    };
    // ` to gain [KIND ]authorization for action A for SUBJECT [CMD] (owned by U)`
    let tail = tail.trim_start().strip_prefix("to gain ").unwrap_or(tail);
    let (kind, tail) = tail.split_once("authorization").unwrap_or(("", tail));
    if !kind.trim().is_empty() {
        polkit.insert("authorization".into(), Value::from(kind.trim()));
    }
    let tail = tail
        .trim_start()
        .strip_prefix("for action ")
        .unwrap_or(tail);
    let (action, tail) = tail.split_once(" for ").unwrap_or((tail, ""));
    let (subject_part, owner) = match tail.rsplit_once(" (owned by ") {
        Some((s, o)) => (s, unix_user(o.trim_end_matches(')'))),
        None => (tail, None),
    };
    let (requester, cmd) = match subject_part.split_once(" [") {
        Some((r, c)) => (r, Some(c.trim_end_matches(']'))),
        None => (subject_part, None),
    };
    if !action.is_empty() {
        polkit.insert("action".into(), Value::from(action.trim()));
    }
    if !requester.is_empty() {
        polkit.insert("subject".into(), Value::from(requester.trim()));
    }
    if let Some(c) = cmd {
        polkit.insert("subject_cmd_line".into(), Value::from(c));
    }
    let severity = if outcome == Outcome::Failure {
        Severity::Low
    } else {
        Severity::Informational
    };
    let detail = match outcome {
        Outcome::Success => "authenticated",
        _ => "FAILED to authenticate",
    };
    let mut n = ctx
        .event(Activity::Authentication(AuthActivity::Logon), severity)
        .with_outcome(outcome)
        .with_detail(detail);
    n.user = target;
    n.actor_user = owner;
    n.session = unix_session(subject);
    n.service_name = Some("polkit".into());
    n.actor_process = Some(ctx.process());
    n.auth = Some(AuthInfo {
        logon_type: Some(LogonType::NewCredentials),
        is_remote: Some(false),
        ..AuthInfo::default()
    });
    // The process that asked (`unix-process:PID:START`) and its command.
    if let Some(pid) = requester
        .trim()
        .strip_prefix("unix-process:")
        .and_then(|p| p.split(':').next())
        .and_then(number::<u32>)
    {
        polkit.insert("subject_pid".into(), Value::from(pid));
    }
    n.put_value("polkit", Value::Object(polkit));
    Ok(n)
}

/// `unix-session:3 (system bus name :1.60 [/usr/bin/gnome-shell], object
/// path P, locale L)[ (disconnected from bus)]`.
fn agent(ctx: &MessageContext<'_>, act: EntityActivity, rest: &str) -> Recognized {
    let (subject, detail) = rest.split_once(" (").unwrap_or((rest, ""));
    let mut n = ctx
        .event(Activity::EntityManagement(act), Severity::Informational)
        .with_outcome(Outcome::Success);
    n.entity = Some(EntityInfo {
        name: Some(subject.trim().to_owned()),
        uid: None,
        kind: Some("Authentication Agent".into()),
    });
    n.session = unix_session(subject);
    let mut actor = ctx.process();
    if let Some((_, exe)) = detail.split_once(" [")
        && let Some(exe) = exe.split(']').next()
        && exe.starts_with('/')
    {
        // The agent's program (the desktop shell) registered it.
        actor = ProcessInfo {
            name: Some(basename(exe).to_owned()),
            path: Some(exe.to_owned()),
            ..ProcessInfo::default()
        };
    }
    n.actor_process = Some(actor);
    if let Some(bus) = detail
        .strip_prefix("system bus name ")
        .and_then(|b| b.split([' ', ',']).next())
    {
        n.put("bus_name", bus);
    }
    if let Some(path) = detail
        .split_once("object path ")
        .and_then(|(_, p)| p.split(',').next())
    {
        n.put("object_path", path.trim());
    }
    if let Some(reason) = detail
        .rsplit_once(") (")
        .map(|(_, r)| r.trim_end_matches(')'))
    {
        n.status_detail = Some(reason.to_owned());
    }
    Ok(n)
}

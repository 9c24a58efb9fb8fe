//! systemd (PID 1 and user managers) unit lifecycle, and `systemd-logind`
//! sessions.

use super::sshd::user;
use super::{MessageContext, Miss, Recognized};
use crate::normalized::{
    Activity, AppActivity, AppInfo, AuthActivity, AuthInfo, EntityActivity, EntityInfo, Normalized,
    Outcome, SessionInfo, Severity,
};

pub(super) fn handles(program: &str) -> bool {
    matches!(program, "systemd" | "init" | "systemd-logind")
}

const UNIT_SUFFIXES: &[&str] = &[
    ".service",
    ".socket",
    ".target",
    ".timer",
    ".mount",
    ".automount",
    ".swap",
    ".path",
    ".slice",
    ".scope",
    ".device",
];

fn is_unit(s: &str) -> bool {
    !s.contains(' ') && UNIT_SUFFIXES.iter().any(|x| s.ends_with(x))
}

fn unit_event(
    ctx: &MessageContext<'_>,
    act: AppActivity,
    name: &str,
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
    // `ssh.service - OpenBSD Secure Shell server` (systemd 247+) names the unit.
    let (unit, desc) = match name.split_once(" - ") {
        Some((u, d)) if is_unit(u) => (Some(u), d),
        _ if is_unit(name) => (Some(name), name),
        _ => (ctx.unit.filter(|u| is_unit(u)), name),
    };
    n.app = Some(AppInfo {
        name: desc.to_owned(),
        version: None,
        uid: unit.map(str::to_owned),
    });
    n.actor_process = Some(ctx.process());
    n
}

pub(super) fn map(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    let msg = msg.trim();
    if ctx.program_name() == "systemd-logind" {
        return logind(ctx, msg);
    }
    let strip = |m: &'static str| -> Option<&str> {
        msg.strip_prefix(m)
            .map(|r| r.trim_end_matches("...").trim_end_matches('.'))
    };
    for (prefix, act, outcome) in [
        ("Started ", AppActivity::Start, Some(Outcome::Success)),
        ("Starting ", AppActivity::Start, None),
        ("Stopped target ", AppActivity::Stop, Some(Outcome::Success)),
        ("Stopped ", AppActivity::Stop, Some(Outcome::Success)),
        ("Stopping ", AppActivity::Stop, None),
        (
            "Failed to start ",
            AppActivity::Start,
            Some(Outcome::Failure),
        ),
        (
            "Reached target ",
            AppActivity::Start,
            Some(Outcome::Success),
        ),
        ("Created slice ", AppActivity::Start, Some(Outcome::Success)),
        ("Removed slice ", AppActivity::Stop, Some(Outcome::Success)),
        ("Listening on ", AppActivity::Start, Some(Outcome::Success)),
        ("Closed ", AppActivity::Stop, Some(Outcome::Success)),
        ("Mounted ", AppActivity::Start, Some(Outcome::Success)),
        ("Unmounted ", AppActivity::Stop, Some(Outcome::Success)),
        ("Reloading ", AppActivity::Other("Reload".into()), None),
        (
            "Reloaded ",
            AppActivity::Other("Reload".into()),
            Some(Outcome::Success),
        ),
    ] {
        if let Some(name) = strip(prefix)
            && !name.is_empty()
        {
            return Ok(unit_event(ctx, act, name, outcome));
        }
    }
    // `UNIT: ...` messages about one unit.
    let (unit, what) = msg.split_once(": ").ok_or(Miss::Unrecognized)?;
    if !is_unit(unit) {
        return Err(Miss::Unrecognized);
    }
    let what = what.trim_end_matches('.');
    if let Some(result) = what.strip_prefix("Failed with result ") {
        let mut n = unit_event(ctx, AppActivity::Stop, unit, Some(Outcome::Failure));
        n.status_code = Some(result.trim_matches('\'').to_owned());
        n.status_detail = Some(what.to_owned());
        return Ok(n);
    }
    if let Some(rest) = what.strip_prefix("Main process exited, ") {
        // `code=exited, status=1/FAILURE`
        let status = rest.split(", ").find_map(|p| p.strip_prefix("status="));
        let ok = status.is_some_and(|s| s.starts_with("0/"));
        let mut n = unit_event(
            ctx,
            AppActivity::Stop,
            unit,
            Some(if ok {
                Outcome::Success
            } else {
                Outcome::Failure
            }),
        );
        n.status_code = status.map(str::to_owned);
        n.status_detail = Some(what.to_owned());
        return Ok(n);
    }
    if what == "Deactivated successfully" || what == "Succeeded" {
        return Ok(unit_event(
            ctx,
            AppActivity::Stop,
            unit,
            Some(Outcome::Success),
        ));
    }
    if what.starts_with("Scheduled restart job") {
        let mut n = unit_event(ctx, AppActivity::Other("Restart".into()), unit, None);
        n.status_detail = Some(what.to_owned());
        return Ok(n);
    }
    if what.starts_with("Consumed ") {
        let mut n = unit_event(ctx, AppActivity::Other("Resource Usage".into()), unit, None);
        n.message = Some(what.to_owned());
        return Ok(n);
    }
    Err(Miss::Unrecognized)
}

fn logind(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    let msg = msg.trim_end_matches('.');
    let session = |id: &str| SessionInfo {
        uid: Some(id.to_owned()),
        ..SessionInfo::default()
    };
    let event = |act: AuthActivity, id: &str| {
        let mut n = ctx
            .event(Activity::Authentication(act), Severity::Informational)
            .with_outcome(Outcome::Success);
        n.session = Some(session(id));
        n.service_name = Some("systemd-logind".into());
        n.actor_process = Some(ctx.process());
        n.auth = Some(AuthInfo::default());
        n
    };
    if let Some(rest) = msg.strip_prefix("New session ") {
        let (id, name) = rest.split_once(" of user ").ok_or(Miss::Unrecognized)?;
        // Corroborating: the logon itself is the daemon's line (`Accepted ...`,
        // `LOGIN ON ...`); logind records the session it made for it.
        let mut n =
            event(AuthActivity::Other("Session Created".into()), id).with_detail("New session");
        n.user = Some(user(name));
        return Ok(n);
    }
    if let Some(rest) = msg.strip_prefix("Session ")
        && let Some((id, _)) = rest.split_once(" logged out")
    {
        let n = event(AuthActivity::Other("Session Logged Out".into()), id)
            .with_detail("Session logged out");
        return Ok(n);
    }
    if let Some(id) = msg.strip_prefix("Removed session ") {
        let n =
            event(AuthActivity::Other("Session Removed".into()), id).with_detail("Removed session");
        return Ok(n);
    }
    // Seats (a local console, or one a USB hub adds): `New seat seat0.`,
    // `Removed seat seat1.`
    for (prefix, act) in [
        ("New seat ", EntityActivity::Create),
        ("Removed seat ", EntityActivity::Delete),
    ] {
        if let Some(seat) = msg.strip_prefix(prefix) {
            let mut n = ctx
                .event(Activity::EntityManagement(act), Severity::Informational)
                .with_outcome(Outcome::Success);
            n.entity = Some(EntityInfo {
                name: Some(seat.to_owned()),
                uid: None,
                kind: Some("Seat".into()),
            });
            n.actor_process = Some(ctx.process());
            return Ok(n);
        }
    }
    // `System is powering down.`, `System is rebooting.`, `System is halting.`
    if let Some(what) = msg.strip_prefix("System is ") {
        let caption = match what {
            "powering down" => "Power Off",
            "rebooting" => "Reboot",
            "halting" => "Halt",
            _ => return Err(Miss::Unrecognized),
        };
        let mut n = ctx
            .event(
                Activity::ApplicationLifecycle(AppActivity::Stop),
                Severity::Informational,
            )
            .with_outcome(Outcome::Success)
            .with_detail(caption);
        n.app = Some(AppInfo {
            name: "system".into(),
            version: None,
            uid: None,
        });
        n.actor_process = Some(ctx.process());
        return Ok(n);
    }
    Err(Miss::Unrecognized)
}

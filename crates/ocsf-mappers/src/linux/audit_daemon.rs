//! The audit daemon's own syslog messages (`auditd[PID]: ...`): start, stop,
//! log rotation and the states in which audit records stop being written.
//! (Audit *records* forwarded through syslog by `audisp-syslog` or printed by
//! the kernel go to the auditd record mapping instead.)
//!
//! ```text
//! Init complete, auditd 3.1.2 listening for events (startup state enable)
//! The audit daemon is exiting.
//! Audit daemon rotating log files
//! Audit daemon is low on disk space for logging
//! Audit daemon has no space left on logging partition
//! Audit daemon is suspending logging due to no space left on logging partition.
//! Audit daemon log file is larger than max size
//! Audit daemon is attempting to resume logging.
//! ```

use super::{MessageContext, Miss, Recognized};
use crate::normalized::{Activity, AppActivity, AppInfo, Outcome, Severity};

pub(super) fn handles(program: &str) -> bool {
    program == "auditd"
}

pub(super) fn map(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    let msg = msg.trim().trim_end_matches('.');
    let event = |act: AppActivity, outcome: Outcome, severity: Severity, version: Option<&str>| {
        let mut n = ctx
            .event(Activity::ApplicationLifecycle(act), severity)
            .with_outcome(outcome)
            .with_detail(msg);
        n.app = Some(AppInfo {
            name: "auditd".into(),
            version: version.map(str::to_owned),
            uid: None,
        });
        n.actor_process = Some(ctx.process());
        n
    };
    if let Some(rest) = msg.strip_prefix("Init complete, auditd ") {
        let version = rest.split(' ').next().filter(|v| !v.is_empty());
        let mut n = event(
            AppActivity::Start,
            Outcome::Success,
            Severity::Informational,
            version,
        );
        if let Some(state) = rest
            .split_once("(startup state ")
            .map(|(_, s)| s.trim_end_matches(')'))
        {
            n.put("startup_state", state);
        }
        return Ok(n);
    }
    if msg == "The audit daemon is exiting" {
        return Ok(event(
            AppActivity::Stop,
            Outcome::Success,
            Severity::Informational,
            None,
        ));
    }
    if msg.starts_with("Audit daemon rotating log files") {
        return Ok(event(
            AppActivity::Other("Log Rotation".into()),
            Outcome::Success,
            Severity::Informational,
            None,
        ));
    }
    // Audit records are being lost or about to be: what an attacker filling
    // the disk wants, so these stand out.
    let (caption, severity) = if msg.starts_with("Audit daemon is suspending logging") {
        ("Logging Suspended", Severity::High)
    } else if msg.starts_with("Audit daemon has no space left") {
        ("Disk Full", Severity::High)
    } else if msg.starts_with("Audit daemon is low on disk space") {
        ("Low Disk Space", Severity::Medium)
    } else if msg.starts_with("Audit daemon log file is larger than max size") {
        ("Log File Full", Severity::Medium)
    } else if msg.starts_with("Audit daemon is attempting to resume logging") {
        return Ok(event(
            AppActivity::Other("Logging Resumed".into()),
            Outcome::Success,
            Severity::Informational,
            None,
        ));
    } else {
        return Err(Miss::Unrecognized);
    };
    Ok(event(
        AppActivity::Other(caption.into()),
        Outcome::Failure,
        severity,
        None,
    ))
}

//! `cron` / `crond` (Vixie cron, cronie) and `anacron`.

use super::sshd::user;
use super::{MessageContext, Miss, Recognized};
use crate::normalized::{
    Activity, AppActivity, AppInfo, FileInfo, FileType, JobActivity, JobInfo, Normalized, Outcome,
    Severity,
};
use crate::util::{basename, unquote};

pub(super) fn handles(program: &str) -> bool {
    matches!(program, "cron" | "CRON" | "crond" | "anacron" | "crontab")
}

fn job(ctx: &MessageContext<'_>, act: JobActivity, info: JobInfo) -> Box<Normalized> {
    let mut n = ctx.event(Activity::ScheduledJob(act), Severity::Informational);
    n.actor_process = Some(ctx.process());
    n.job = Some(info);
    n
}

/// A job running `command` as `owner`.
fn command_job(owner: &str, command: &str) -> JobInfo {
    let exe = command.split_whitespace().next().unwrap_or_default();
    let mut file = FileInfo::default();
    if exe.starts_with('/') {
        file.path = Some(exe.to_owned());
    }
    file.name = Some(basename(exe).to_owned()).filter(|s| !s.is_empty());
    file.file_type = FileType::Regular;
    JobInfo {
        name: command.to_owned(),
        cmd_line: Some(command.to_owned()),
        file,
        user: Some(user(owner)),
    }
}

/// The crontab of `owner` (or a system crontab file).
fn crontab_job(owner: &str, file: Option<&str>) -> JobInfo {
    let mut f = FileInfo {
        file_type: FileType::Regular,
        ..FileInfo::default()
    };
    match file.filter(|f| f.starts_with('/')) {
        Some(path) => f.path = Some(path.to_owned()),
        None => f.name = Some("crontab".into()),
    }
    JobInfo {
        name: file.unwrap_or("crontab").to_owned(),
        cmd_line: None,
        file: f,
        user: (!owner.starts_with('*')).then(|| user(owner)),
    }
}

pub(super) fn map(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    let msg = msg.trim();
    if ctx.program_name() == "anacron" {
        return anacron(ctx, msg);
    }
    // `(OWNER) VERB (ARGUMENT)`
    let rest = msg.strip_prefix('(').ok_or(Miss::Unrecognized)?;
    let (owner, rest) = rest.split_once(") ").ok_or(Miss::Unrecognized)?;
    let (verb, arg) = match rest.find(" (") {
        Some(i) => (
            &rest[..i],
            rest[i + 2..].strip_suffix(')').unwrap_or(&rest[i + 2..]),
        ),
        None => (rest, ""),
    };
    if owner == "CRON" {
        return daemon(ctx, verb, arg);
    }
    let mut n = match verb {
        "CMD" => {
            let mut n = job(ctx, JobActivity::Start, command_job(owner, arg));
            n.outcome = Some(Outcome::Success);
            n
        }
        "CMDEND" => job(
            ctx,
            JobActivity::Other("Complete".into()),
            command_job(owner, arg),
        ),
        "CMDOUT" => {
            let mut n = job(
                ctx,
                JobActivity::Other("Output".into()),
                crontab_job(owner, None),
            );
            n.message = Some(arg.to_owned());
            n
        }
        "MAIL" => {
            let mut n = job(
                ctx,
                JobActivity::Other("Mail".into()),
                crontab_job(owner, None),
            );
            n.message = Some(arg.to_owned());
            n
        }
        "REPLACE" | "END EDIT" | "RELOAD" => {
            let file = (verb == "RELOAD").then_some(arg);
            job(ctx, JobActivity::Update, crontab_job(owner, file))
        }
        "BEGIN EDIT" => job(
            ctx,
            JobActivity::Other("Begin Edit".into()),
            crontab_job(owner, None),
        ),
        "LIST" => job(
            ctx,
            JobActivity::Other("List".into()),
            crontab_job(owner, None),
        ),
        "DELETE" => job(ctx, JobActivity::Delete, crontab_job(owner, None)),
        "ERROR" | "AUTH" | "BAD FILE MODE" | "WRONG FILE OWNER" | "WRONG INODE INFO" => {
            let mut n = job(
                ctx,
                JobActivity::Other("Error".into()),
                crontab_job(owner, None),
            )
            .with_outcome(Outcome::Failure)
            .with_detail(if arg.is_empty() { verb } else { arg });
            n.severity = Severity::Low;
            n
        }
        _ => return Err(Miss::Unrecognized),
    };
    n.put("cron_verb", verb);
    Ok(n)
}

/// `(CRON) INFO (...)`, `(CRON) STARTUP (fork ok)`.
fn daemon(ctx: &MessageContext<'_>, verb: &str, arg: &str) -> Recognized {
    let act = match verb {
        "STARTUP" => AppActivity::Start,
        "INFO" if arg.starts_with("Running @reboot") || arg.starts_with("pidfile") => {
            AppActivity::Start
        }
        "INFO" | "DEATH" | "bad command" => AppActivity::Other("Info".into()),
        _ => return Err(Miss::Unrecognized),
    };
    let mut n = ctx.event(Activity::ApplicationLifecycle(act), Severity::Informational);
    n.app = Some(AppInfo {
        name: ctx.program_name().to_owned(),
        ..AppInfo::default()
    });
    n.actor_process = Some(ctx.process());
    n.message = Some(arg.to_owned()).filter(|a| !a.is_empty());
    if verb == "DEATH" || verb == "bad command" {
        n.outcome = Some(Outcome::Failure);
        n.status_detail = Some(format!("{verb} {arg}").trim().to_owned());
    }
    Ok(n)
}

/// `Job `cron.daily' started`, `Job `cron.daily' terminated`, `Anacron 2.3 started on ...`.
fn anacron(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    if let Some(rest) = msg.strip_prefix("Job ") {
        let (name, what) = rest.rsplit_once(' ').ok_or(Miss::Unrecognized)?;
        let name = unquote(name);
        let info = JobInfo {
            name: name.to_owned(),
            cmd_line: None,
            file: FileInfo {
                name: Some(name.to_owned()),
                file_type: FileType::Regular,
                ..FileInfo::default()
            },
            user: None,
        };
        let act = match what {
            "started" => JobActivity::Start,
            "terminated" => JobActivity::Other("Complete".into()),
            _ => return Err(Miss::Unrecognized),
        };
        let mut n = job(ctx, act, info);
        n.outcome = Some(Outcome::Success);
        return Ok(n);
    }
    if msg.starts_with("Anacron ") && msg.contains(" started") {
        let mut n = ctx.event(
            Activity::ApplicationLifecycle(AppActivity::Start),
            Severity::Informational,
        );
        n.app = Some(AppInfo {
            name: "anacron".into(),
            version: msg.split(' ').nth(1).map(str::to_owned),
            ..AppInfo::default()
        });
        n.actor_process = Some(ctx.process());
        return Ok(n);
    }
    Err(Miss::Unrecognized)
}

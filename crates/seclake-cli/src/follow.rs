//! `seclake publish --follow`: one followed file (`tail -F`) published continuously into a
//! local lake, every class to its own custom source, by the machinery of `seclake run`
//! (its checkpoints and replay, ADR 0303): publish's arguments become the in-memory
//! configuration of one `follow` input.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::{Error, Result};
use crate::mapping::{Family, LogFormat, MapArgs, detect_head};
use crate::publish::TargetArgs;
use crate::run::config::{FollowOne, follow_one};

/// The default state directory under the lake: `<lake>/.seclake/publish-follow`.
const DEFAULT_STATE: &str = ".seclake/publish-follow";

/// The `--follow` arguments of `seclake publish`.
#[derive(Debug, Args)]
pub struct FollowArgs {
    /// Follow the --from file like `tail -F` (rotation, truncation, a file that comes back)
    /// and publish every class continuously into --lake, with a checkpoint, until SIGTERM or
    /// Ctrl-C; then flush, commit and exit 0. A restart resumes from the checkpoint.
    #[arg(long)]
    pub follow: bool,
    /// With --follow: where the checkpoint, spool and dead letters are kept, in
    /// `inputs/<file name>/` (default: `<lake>/.seclake/publish-follow`).
    #[arg(long, value_name = "DIR", requires = "follow")]
    pub state_dir: Option<PathBuf>,
}

/// What `publish --follow` takes from publish's other arguments.
pub struct Follow<'a> {
    /// The mapper's options (`--from` is the followed file).
    pub map: &'a MapArgs,
    /// Where and as what to write.
    pub target: &'a TargetArgs,
    /// `--lake`.
    pub lake: Option<&'a Path>,
    /// Whether an S3 destination was asked for (`--location`, `--role-arn`, `--external-id`).
    pub s3: bool,
    /// The `--follow` arguments.
    pub args: &'a FollowArgs,
}

/// Runs `seclake publish --follow`; `region` resolves the region partition value (called
/// only once the arguments are accepted).
pub async fn publish(follow: Follow<'_>, region: impl FnOnce() -> Result<String>) -> Result<u8> {
    let lake = follow.lake.ok_or_else(|| {
        Error::input(
            "--follow writes into a local lake only: give --lake DIR (publishing a followed file to S3 is not supported; `seclake run` neither)",
        )
    })?;
    if follow.s3 {
        return Err(Error::input(
            "--follow writes into a local lake only: --location, --role-arn and --external-id do not apply",
        ));
    }
    refuse_unsupported(follow.map, follow.target)?;
    let path = PathBuf::from(&follow.map.from);
    let name = input_name(&path)?;
    let family = family(follow.map.format, &path)?;
    let target = follow.target;
    let state_dir = follow
        .args
        .state_dir
        .clone()
        .unwrap_or_else(|| lake.join(DEFAULT_STATE));
    let config = follow_one(FollowOne {
        name: name.clone(),
        path,
        family,
        map: follow.map.clone(),
        source_prefix: target
            .source_prefix
            .clone()
            .unwrap_or_else(|| family.name().to_owned()),
        lake_dir: lake.to_path_buf(),
        region: region()?,
        account: target.account_id.clone(),
        source_version: target.source_version.clone(),
        state_dir: state_dir.clone(),
    })?;
    eprintln!(
        "seclake publish: following {} (checkpoint and dead letters in {}); SIGTERM or Ctrl-C stops",
        follow.map.from,
        state_dir.join("inputs").join(&name).display()
    );
    crate::run::run_agent(config, "publish").await
}

/// The options of a one-shot publish that a followed one does not take, refused by name.
fn refuse_unsupported(map: &MapArgs, target: &TargetArgs) -> Result<()> {
    let given = [
        ("--class", target.class.is_some()),
        ("--source-name", target.source_name.is_some()),
        ("--spool-dir", target.spool_dir.is_some()),
        ("--max-file-bytes", target.max_file_bytes.is_some()),
        ("--dead-letters", target.dead_letters.is_some()),
        ("--all-columns", target.all_columns),
        ("--json", target.json),
        ("--reference-time", map.reference_time.is_some()),
    ];
    let refused: Vec<&str> = given
        .iter()
        .filter(|(_, set)| *set)
        .map(|(flag, _)| *flag)
        .collect();
    if !refused.is_empty() {
        return Err(Error::input(format!(
            "--follow does not take {}: it publishes every class, each to `<prefix>-<class>-<uid>` (--source-prefix), keeps its spool and dead letters in the state directory (--state-dir) and prints counters on stderr",
            refused.join(", ")
        )));
    }
    if map.from == "-" {
        return Err(Error::input(
            "--follow follows a file: give it with --from FILE (stdin cannot be followed; use `seclake run` with a `stdin` input)",
        ));
    }
    Ok(())
}

/// The input's name, from the file's name: letters, digits, `-`, `_` and `.` kept, any other
/// character `_` (it names the state directory).
fn input_name(path: &Path) -> Result<String> {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::input(format!("--from {}: not a file name", path.display())))?;
    let name: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = name.trim_start_matches('.');
    Ok(if name.is_empty() { "input" } else { name }.to_owned())
}

/// The mapper family: the named format's, or for `auto` the first non-blank line's when the
/// file is there (Linux lines otherwise).
fn family(format: LogFormat, path: &Path) -> Result<Family> {
    let family = match format {
        LogFormat::Auto => match std::fs::File::open(path) {
            Ok(file) => detect_head(&mut BufReader::new(file), &mut Vec::new())
                .map_err(|e| Error::io(format!("reading {}", path.display()), e))?,
            Err(_) => Family::Linux,
        },
        other => other.family(),
    };
    if family == Family::JournalExport {
        return Err(Error::input(
            "--follow maps lines: the journald export format is not followed (use `journalctl -o json -f` lines, --format journald-json)",
        ));
    }
    Ok(family)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_names_are_state_directory_names() -> Result<()> {
        assert_eq!(input_name(Path::new("/var/log/auth.log"))?, "auth.log");
        assert_eq!(input_name(Path::new("logs/a b:c"))?, "a_b_c");
        assert_eq!(input_name(Path::new(".hidden"))?, "hidden");
        assert!(input_name(Path::new("/")).is_err());
        Ok(())
    }
}

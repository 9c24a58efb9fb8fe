//! The agent configuration of `seclake run`: a TOML file with one `[lake]` table and one or
//! more `[[inputs]]`, checked whole before anything runs.

mod input;
mod raw;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use self::input::check_input;
use self::raw::{RawConfig, RawInput, RawLake};
use super::target::{RawTarget, Target, check_target};
use crate::error::{Error, Result};
use crate::mapping::{Family, MapArgs};

/// The default `flush_interval_secs`.
const DEFAULT_FLUSH_SECS: u64 = 5;
/// The default `batch_lines`.
const DEFAULT_BATCH_LINES: u64 = 10_000;
/// The default `progress_interval_secs`.
const DEFAULT_PROGRESS_SECS: u64 = 10;

/// The kinds of input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A file read once, to its end.
    File,
    /// A file followed by path (`tail -F`).
    Follow,
    /// Standard input.
    Stdin,
    /// A syslog receiver (UDP and/or TCP).
    Syslog,
    /// A file of OCSF JSON lines, read once.
    OcsfJson,
    /// A RELP receiver (acknowledged syslog, exactly once across restarts).
    Relp,
    /// The systemd journal, followed (`journalctl -o export --follow`), checkpointed by cursor.
    Journald,
    /// The line-oriented objects (plain or gzip) under a prefix of S3 or of a local
    /// directory, each read once in key order (a backfill), checkpointed by key and offset.
    Objects,
}

impl Kind {
    /// The kind with its article, for messages ("a file", "an objects").
    pub fn a(self) -> String {
        let article = if matches!(self, Kind::OcsfJson | Kind::Objects) {
            "an"
        } else {
            "a"
        };
        format!("{article} {}", self.as_str())
    }

    /// The kind as the configuration names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Follow => "follow",
            Kind::Stdin => "stdin",
            Kind::Syslog => "syslog",
            Kind::OcsfJson => "ocsf-json",
            Kind::Relp => "relp",
            Kind::Journald => "journald",
            Kind::Objects => "objects",
        }
    }
}

/// The checked `[lake]` table.
#[derive(Debug, Clone)]
pub struct Lake {
    /// Where the lake is: a local directory or an S3 bucket (with its registration).
    pub target: Target,
    /// The region partition value.
    pub region: String,
    /// The accountId partition value.
    pub account: String,
    /// The custom source version, if any.
    pub source_version: Option<String>,
    /// Checkpoints, spools and dead letters, a directory per input.
    pub state_dir: PathBuf,
    /// The longest an uncommitted line waits for its flush.
    pub flush_interval: Duration,
    /// Lines per flush at most.
    pub batch_lines: u64,
    /// How often the counters are printed.
    pub progress_interval: Duration,
}

/// Where a syslog input listens.
#[derive(Debug, Clone, Copy)]
pub struct Listen {
    /// The address.
    pub addr: SocketAddr,
    /// Listen on UDP.
    pub udp: bool,
    /// Listen on TCP.
    pub tcp: bool,
}

/// Where and how a RELP input listens.
#[derive(Debug, Clone)]
pub struct RelpListen {
    /// The address.
    pub addr: SocketAddr,
    /// The TLS certificate chain and key (PEM files), if TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The longest message kept.
    pub max_message_bytes: usize,
    /// The committed message digests kept to recognise retransmissions.
    pub dedupe_window: usize,
}

/// How a journald input runs `journalctl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    /// The program (default `journalctl`).
    pub command: PathBuf,
    /// Extra arguments (filters such as `-u sshd`), after the input's own.
    pub args: Vec<String>,
}

/// Where an objects input lists its objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Objects {
    /// `url = "s3://bucket/prefix/"`: the objects under the prefix of an S3 bucket.
    S3 {
        /// The bucket.
        bucket: String,
        /// The key prefix (empty: every object of the bucket).
        prefix: String,
    },
    /// `dir = "..."`: the files under a local directory, as a local object store.
    Dir(PathBuf),
}

/// One checked `[[inputs]]` entry.
#[derive(Debug, Clone)]
pub struct InputConfig {
    /// The unique name (its state directory and the key of its counters).
    pub name: String,
    /// The kind.
    pub kind: Kind,
    /// The file, for file kinds.
    pub path: Option<PathBuf>,
    /// The listen address, for syslog.
    pub listen: Option<Listen>,
    /// The listener, for RELP.
    pub relp: Option<RelpListen>,
    /// The `journalctl` to run, for journald.
    pub journal: Option<Journal>,
    /// Where the objects are, for objects.
    pub objects: Option<Objects>,
    /// The mapper family.
    pub family: Family,
    /// The mapper's source options (`from` unused).
    pub map: MapArgs,
    /// The prefix of its custom source names.
    pub source_prefix: String,
    /// The classes registered for it (`classes`, only with `[lake.registration]`; default:
    /// every class its mapper can emit).
    pub classes: Option<Vec<i32>>,
    /// Custom source names given for some classes (`[inputs.sources]`), by class_uid,
    /// instead of the names derived from the prefix.
    pub sources: BTreeMap<i32, String>,
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The lake.
    pub lake: Lake,
    /// The inputs, in file order.
    pub inputs: Vec<InputConfig>,
}

/// Reads and checks the configuration at `path`; relative paths in it are taken from the
/// file's directory. Every error names the file, and the input and field when it has one.
pub fn load(path: &Path) -> Result<AgentConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::io(
            format!("cannot read the configuration {}", path.display()),
            e,
        )
    })?;
    let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    parse(&text, &base).map_err(|e| {
        let retry = e.is_retryable();
        Error::input(format!("{}: {e}", path.display())).retryable(retry)
    })
}

/// Parses and checks a configuration's text; relative paths are joined to `base`.
pub fn parse(text: &str, base: &Path) -> Result<AgentConfig> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        Error::input(format!(
            "invalid configuration: {}",
            e.to_string().trim_end()
        ))
    })?;
    check(raw, base)
}

/// One followed file into a local lake, as `seclake publish --follow` runs it: the
/// configuration of one `kind = "follow"` input, checked like a configuration file's.
#[derive(Debug, Clone)]
pub struct FollowOne {
    /// The input's name (its state directory `<state_dir>/inputs/<name>`).
    pub name: String,
    /// The followed file.
    pub path: PathBuf,
    /// The mapper family.
    pub family: Family,
    /// The mapper's source options (`from`, `format` and `reference_time` unused).
    pub map: MapArgs,
    /// The prefix of the custom source names.
    pub source_prefix: String,
    /// The local lake directory.
    pub lake_dir: PathBuf,
    /// The region partition value.
    pub region: String,
    /// The accountId partition value.
    pub account: String,
    /// The custom source version, if any.
    pub source_version: Option<String>,
    /// Where the checkpoint, spool and dead letters are kept.
    pub state_dir: PathBuf,
}

/// The checked configuration of one followed file (see [`FollowOne`]).
pub fn follow_one(one: FollowOne) -> Result<AgentConfig> {
    let map = one.map;
    let raw = RawConfig {
        lake: RawLake {
            dir: Some(one.lake_dir),
            bucket: None,
            endpoint_url: None,
            profile: None,
            role_arn: None,
            external_id: None,
            registration: None,
            region: one.region,
            account: Some(one.account),
            source_prefix: Some(one.source_prefix),
            source_version: one.source_version,
            state_dir: one.state_dir,
            flush_interval_secs: None,
            batch_lines: None,
            progress_interval_secs: None,
        },
        inputs: vec![RawInput {
            name: one.name,
            kind: Kind::Follow,
            path: Some(one.path),
            listen: None,
            transport: None,
            format: Some(one.family.name().to_owned()),
            source_prefix: None,
            zone: Some(map.zone.clone()),
            hostname: map.hostname.clone(),
            product: map.product.clone(),
            vendor: map.vendor.clone(),
            log_name: map.log_name.clone(),
            tenant_uid: map.tenant_uid.clone(),
            raw_data: Some(!map.no_raw_data),
            classes: None,
            sources: None,
            tls_cert: None,
            tls_key: None,
            max_message_bytes: None,
            dedupe_window: None,
            command: None,
            args: None,
            url: None,
            dir: None,
        }],
    };
    let mut config = check(raw, Path::new(""))?;
    for input in &mut config.inputs {
        input.map.product_version = map.product_version.clone();
    }
    Ok(config)
}

/// Checks a configuration as written; relative paths are joined to `base`.
fn check(raw: RawConfig, base: &Path) -> Result<AgentConfig> {
    let default_prefix = raw.lake.source_prefix.clone();
    let lake = check_lake(raw.lake, base)?;
    let registered = lake.target.registration().is_some();
    if raw.inputs.is_empty() {
        return Err(Error::input(
            "no [[inputs]]: name at least one input (kind = file | follow | stdin | syslog | relp | ocsf-json | journald | objects)",
        ));
    }
    let mut names = BTreeSet::new();
    let mut inputs = Vec::with_capacity(raw.inputs.len());
    let mut stdin = 0;
    for (i, input) in raw.inputs.into_iter().enumerate() {
        let checked = check_input(input, i, base, default_prefix.as_deref(), registered)?;
        if !names.insert(checked.name.clone()) {
            return Err(Error::input(format!(
                "input {:?}: field `name`: the name is used by an earlier input (names must be unique: each has its own checkpoint)",
                checked.name
            )));
        }
        stdin += usize::from(checked.kind == Kind::Stdin);
        if stdin > 1 {
            return Err(Error::input(format!(
                "input {:?}: field `kind`: only one input can read stdin",
                checked.name
            )));
        }
        inputs.push(checked);
    }
    let mut classes_of = BTreeMap::new();
    for input in &inputs {
        for (uid, source) in &input.sources {
            if let Some(other) = classes_of.insert(source.clone(), *uid)
                && other != *uid
            {
                return Err(Error::input(format!(
                    "input {:?}: field `sources`: {source:?} is named for class_uid {other} by another input (one class per custom source)",
                    input.name
                )));
            }
        }
    }
    Ok(AgentConfig { lake, inputs })
}

fn secs(field: &str, value: Option<u64>, default: u64) -> Result<Duration> {
    match value.unwrap_or(default) {
        0 => Err(Error::input(format!(
            "[lake]: field `{field}`: must be at least 1 second"
        ))),
        n => Ok(Duration::from_secs(n)),
    }
}

fn check_lake(raw: RawLake, base: &Path) -> Result<Lake> {
    if raw.region.trim().is_empty() {
        return Err(Error::input("[lake]: field `region`: must not be empty"));
    }
    let batch_lines = raw.batch_lines.unwrap_or(DEFAULT_BATCH_LINES);
    if batch_lines == 0 {
        return Err(Error::input(
            "[lake]: field `batch_lines`: must be at least 1",
        ));
    }
    let account = raw.account.unwrap_or_else(|| "external".to_owned());
    securitylake_core::layout::AccountId::parse(&account)
        .map_err(|e| Error::input(format!("[lake]: field `account`: {e}")))?;
    let target = RawTarget {
        dir: raw.dir,
        bucket: raw.bucket,
        endpoint_url: raw.endpoint_url,
        profile: raw.profile,
        role_arn: raw.role_arn,
        external_id: raw.external_id,
        registration: raw.registration,
    };
    Ok(Lake {
        target: check_target(target, &raw.region, base)?,
        region: raw.region,
        account,
        source_version: raw.source_version,
        state_dir: base.join(raw.state_dir),
        flush_interval: secs(
            "flush_interval_secs",
            raw.flush_interval_secs,
            DEFAULT_FLUSH_SECS,
        )?,
        batch_lines,
        progress_interval: secs(
            "progress_interval_secs",
            raw.progress_interval_secs,
            DEFAULT_PROGRESS_SECS,
        )?,
    })
}

//! The agent configuration of `seclake run`: a TOML file with one `[lake]` table and one or
//! more `[[inputs]]`, checked whole before anything runs.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::target::{RawRegistration, RawTarget, Target, check_target};
use crate::error::{Error, Result};
use crate::mapping::{Family, LogFormat, MapArgs};

/// The default `flush_interval_secs`.
const DEFAULT_FLUSH_SECS: u64 = 5;
/// The default `batch_lines`.
const DEFAULT_BATCH_LINES: u64 = 10_000;
/// The default `progress_interval_secs`.
const DEFAULT_PROGRESS_SECS: u64 = 10;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    lake: RawLake,
    #[serde(default)]
    inputs: Vec<RawInput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLake {
    #[serde(default)]
    dir: Option<PathBuf>,
    #[serde(default)]
    bucket: Option<String>,
    #[serde(default)]
    endpoint_url: Option<String>,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    role_arn: Option<String>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    registration: Option<RawRegistration>,
    region: String,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    source_prefix: Option<String>,
    #[serde(default)]
    source_version: Option<String>,
    state_dir: PathBuf,
    #[serde(default)]
    flush_interval_secs: Option<u64>,
    #[serde(default)]
    batch_lines: Option<u64>,
    #[serde(default)]
    progress_interval_secs: Option<u64>,
}

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
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Follow => "follow",
            Kind::Stdin => "stdin",
            Kind::Syslog => "syslog",
            Kind::OcsfJson => "ocsf-json",
            Kind::Relp => "relp",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    name: String,
    kind: Kind,
    #[serde(default)]
    path: Option<PathBuf>,
    #[serde(default)]
    listen: Option<String>,
    #[serde(default)]
    transport: Option<String>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    source_prefix: Option<String>,
    #[serde(default)]
    zone: Option<String>,
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    vendor: Option<String>,
    #[serde(default)]
    log_name: Option<String>,
    #[serde(default)]
    tenant_uid: Option<String>,
    #[serde(default)]
    raw_data: Option<bool>,
    #[serde(default)]
    classes: Option<Vec<String>>,
    #[serde(default)]
    sources: Option<BTreeMap<String, String>>,
    #[serde(default)]
    tls_cert: Option<PathBuf>,
    #[serde(default)]
    tls_key: Option<PathBuf>,
    #[serde(default)]
    max_message_bytes: Option<usize>,
    #[serde(default)]
    dedupe_window: Option<usize>,
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
            "no [[inputs]]: name at least one input (kind = file | follow | stdin | syslog | relp | ocsf-json)",
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

/// The formats `run` maps with, by the names `publish --format` takes (and `deep-security`).
fn family_of(name: &str) -> Option<Family> {
    if name == "deep-security" {
        return Some(Family::DeepSecurity);
    }
    let format = <LogFormat as clap::ValueEnum>::from_str(name, false).ok()?;
    match format {
        LogFormat::Auto | LogFormat::JournaldExport => None,
        other => Some(other.family()),
    }
}

const FORMATS: &str = "linux, syslog, auditd, journald-json, cef, leef, deep-security, ocsf-json";

fn check_input(
    raw: RawInput,
    index: usize,
    base: &Path,
    default_prefix: Option<&str>,
    registered: bool,
) -> Result<InputConfig> {
    let name = raw.name.trim().to_owned();
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !name.starts_with('.');
    if !valid_name {
        return Err(Error::input(format!(
            "input {} ({:?}): field `name`: use letters, digits, '-', '_' and '.' (it names the input's state directory)",
            index + 1,
            raw.name
        )));
    }
    let at =
        |field: &str, why: String| Error::input(format!("input {name:?}: field `{field}`: {why}"));
    let kind = raw.kind;
    let family = match (kind, raw.format.as_deref()) {
        (Kind::OcsfJson, None | Some("ocsf-json")) => Family::OcsfJson,
        (Kind::OcsfJson, Some(other)) => {
            return Err(at(
                "format",
                format!(
                    "an ocsf-json input is OCSF JSON (leave out `format`, or say \"ocsf-json\"), not {other:?}"
                ),
            ));
        }
        (_, None) => {
            return Err(at(
                "format",
                format!("missing: name the mapper ({FORMATS})"),
            ));
        }
        (_, Some(format)) => family_of(format).ok_or_else(|| {
            at(
                "format",
                format!("unknown format {format:?} (one of {FORMATS})"),
            )
        })?,
    };
    let path = match kind {
        Kind::File | Kind::Follow | Kind::OcsfJson => {
            let path = base.join(raw.path.as_ref().ok_or_else(|| {
                at(
                    "path",
                    format!("missing: a {} input reads a file", kind.as_str()),
                )
            })?);
            if kind == Kind::Follow {
                // A followed file may appear later; its directory must be there.
                let dir = path
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                if !dir.is_dir() {
                    return Err(at(
                        "path",
                        format!("the directory {} does not exist", dir.display()),
                    ));
                }
            } else {
                std::fs::File::open(&path)
                    .map_err(|e| at("path", format!("cannot read {}: {e}", path.display())))?;
            }
            Some(path)
        }
        Kind::Stdin | Kind::Syslog | Kind::Relp => {
            if raw.path.is_some() {
                return Err(at(
                    "path",
                    format!("a {} input reads no file", kind.as_str()),
                ));
            }
            None
        }
    };
    let listen = match kind {
        Kind::Syslog => {
            let text = raw.listen.as_deref().ok_or_else(|| {
                at(
                    "listen",
                    "missing: the address to listen on, e.g. \"127.0.0.1:5514\"".to_owned(),
                )
            })?;
            let addr: SocketAddr = text.parse().map_err(|e| {
                at(
                    "listen",
                    format!("{text:?} is not an address and port: {e}"),
                )
            })?;
            let (udp, tcp) = match raw.transport.as_deref() {
                None | Some("both") => (true, true),
                Some("udp") => (true, false),
                Some("tcp") => (false, true),
                Some(other) => {
                    return Err(at(
                        "transport",
                        format!("unknown transport {other:?} (udp, tcp or both)"),
                    ));
                }
            };
            Some(Listen { addr, udp, tcp })
        }
        Kind::Relp => None,
        _ => {
            if raw.listen.is_some() || raw.transport.is_some() {
                return Err(at(
                    if raw.listen.is_some() {
                        "listen"
                    } else {
                        "transport"
                    },
                    format!(
                        "a {} input does not listen (only syslog and relp do)",
                        kind.as_str()
                    ),
                ));
            }
            None
        }
    };
    let relp = check_relp(&raw, kind, base, &at)?;
    let source_prefix = raw
        .source_prefix
        .or_else(|| default_prefix.map(str::to_owned))
        .unwrap_or_else(|| name.clone());
    // The names derived from the prefix must be valid source names.
    let probe = securitylake_source::sink::ClassInfo::find::<ocsf_model::v1_1_0::Event>(3002)
        .ok_or_else(|| Error::input("the OCSF 1.1.0 schema has no Authentication class"))?;
    securitylake_source::sink::source_name(&source_prefix, &probe)
        .map_err(|e| at("source_prefix", e.to_string()))?;
    let map = MapArgs {
        from: "-".to_owned(),
        format: LogFormat::Auto,
        zone: raw.zone.unwrap_or_else(|| "UTC".to_owned()),
        reference_time: None,
        hostname: raw.hostname,
        product: raw.product,
        vendor: raw.vendor,
        product_version: None,
        log_name: raw.log_name,
        tenant_uid: raw.tenant_uid,
        no_raw_data: raw.raw_data == Some(false),
    };
    if family != Family::OcsfJson {
        map.config(family).map_err(|e| at("zone", e.to_string()))?;
    }
    let classes = match (raw.classes, registered) {
        (Some(_), false) => {
            return Err(at(
                "classes",
                "names the custom sources to register: only with [lake.registration]".to_owned(),
            ));
        }
        (None, true) if family == Family::OcsfJson && raw.sources.is_none() => {
            return Err(at(
                "classes",
                "missing: with [lake.registration], an ocsf-json input names the classes to register (e.g. [\"authentication\"], or in [inputs.sources])".to_owned(),
            ));
        }
        (Some(names), true) => Some(
            names
                .iter()
                .map(|n| {
                    crate::schema::find_class(&ocsf_model::v1_1_0::SCHEMA, n)
                        .map(|c| c.uid)
                        .map_err(|e| at("classes", e.to_string()))
                })
                .collect::<Result<Vec<i32>>>()?,
        ),
        (None, _) => None,
    };
    let mut sources = BTreeMap::new();
    let mut named = BTreeSet::new();
    for (class, source) in raw.sources.unwrap_or_default() {
        let uid = crate::schema::find_class(&ocsf_model::v1_1_0::SCHEMA, &class)
            .map_err(|e| at("sources", e.to_string()))?
            .uid;
        securitylake_core::layout::CustomSource::new(source.clone(), None)
            .map_err(|e| at("sources", e.to_string()))?;
        if source.len() > securitylake_source::sink::MAX_SOURCE_NAME_LEN {
            return Err(at(
                "sources",
                format!(
                    "{source:?} is longer than Security Lake's {} characters",
                    securitylake_source::sink::MAX_SOURCE_NAME_LEN
                ),
            ));
        }
        // Not the name the prefix gives another class (two classes in one source).
        let derived_for_other = source
            .rsplit_once('-')
            .and_then(|(_, n)| n.parse::<i32>().ok())
            .filter(|n| *n != uid)
            .and_then(securitylake_source::sink::ClassInfo::find::<ocsf_model::v1_1_0::Event>)
            .and_then(|other| securitylake_source::sink::source_name(&source_prefix, &other).ok())
            .is_some_and(|derived| derived == source);
        if derived_for_other
            || !named.insert(source.clone())
            || sources.insert(uid, source.clone()).is_some()
        {
            return Err(at(
                "sources",
                format!(
                    "{source:?}: one custom source holds one class, and a class goes to one source"
                ),
            ));
        }
    }
    Ok(InputConfig {
        name,
        kind,
        path,
        listen,
        relp,
        family,
        map,
        source_prefix,
        classes,
        sources,
    })
}

/// The RELP fields: required and checked for a relp input, refused for the others.
fn check_relp(
    raw: &RawInput,
    kind: Kind,
    base: &Path,
    at: &dyn Fn(&str, String) -> Error,
) -> Result<Option<RelpListen>> {
    use securitylake_source::input::relp::{DEFAULT_DEDUPE_WINDOW, DEFAULT_MAX_MESSAGE_BYTES};
    if kind != Kind::Relp {
        let given = [
            ("tls_cert", raw.tls_cert.is_some()),
            ("tls_key", raw.tls_key.is_some()),
            ("max_message_bytes", raw.max_message_bytes.is_some()),
            ("dedupe_window", raw.dedupe_window.is_some()),
        ];
        if let Some((field, _)) = given.iter().find(|(_, given)| *given) {
            return Err(at(
                field,
                format!("only a relp input takes it, not a {} input", kind.as_str()),
            ));
        }
        return Ok(None);
    }
    if raw.transport.is_some() {
        return Err(at(
            "transport",
            "a relp input is TCP (give tls_cert and tls_key for TLS)".to_owned(),
        ));
    }
    let text = raw.listen.as_deref().ok_or_else(|| {
        at(
            "listen",
            "missing: the address to listen on, e.g. \"127.0.0.1:2514\"".to_owned(),
        )
    })?;
    let addr: SocketAddr = text.parse().map_err(|e| {
        at(
            "listen",
            format!("{text:?} is not an address and port: {e}"),
        )
    })?;
    let tls = match (&raw.tls_cert, &raw.tls_key) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some((base.join(cert), base.join(key))),
        (Some(_), None) => {
            return Err(at("tls_key", "missing: tls_cert needs its key".to_owned()));
        }
        (None, Some(_)) => {
            return Err(at(
                "tls_cert",
                "missing: tls_key needs its certificate".to_owned(),
            ));
        }
    };
    let max_message_bytes = raw.max_message_bytes.unwrap_or(DEFAULT_MAX_MESSAGE_BYTES);
    if !(480..=1 << 30).contains(&max_message_bytes) {
        return Err(at(
            "max_message_bytes",
            format!("{max_message_bytes} is out of range (480 to 1073741824)"),
        ));
    }
    let dedupe_window = raw.dedupe_window.unwrap_or(DEFAULT_DEDUPE_WINDOW);
    if !(1..=1_000_000).contains(&dedupe_window) {
        return Err(at(
            "dedupe_window",
            format!("{dedupe_window} is out of range (1 to 1000000)"),
        ));
    }
    Ok(Some(RelpListen {
        addr,
        tls,
        max_message_bytes,
        dedupe_window,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAKE: &str = "[lake]\ndir = \"lake\"\nregion = \"us-east-1\"\nstate_dir = \"state\"\n";

    #[test]
    fn defaults_and_relative_paths() -> Result<()> {
        let text = format!(
            "{LAKE}source_prefix = \"bastion\"\n\n[[inputs]]\nname = \"net\"\nkind = \"syslog\"\nlisten = \"127.0.0.1:5514\"\ntransport = \"tcp\"\nformat = \"syslog\"\n\n[[inputs]]\nname = \"auth\"\nkind = \"follow\"\npath = \"auth.log\"\nformat = \"deep-security\"\nsource_prefix = \"ds\"\n"
        );
        let base = std::env::temp_dir();
        let config = parse(&text, &base)?;
        assert!(matches!(&config.lake.target, Target::Local(d) if *d == base.join("lake")));
        assert_eq!(config.lake.account, "external");
        assert_eq!(config.lake.flush_interval, Duration::from_secs(5));
        assert_eq!(config.lake.batch_lines, 10_000);
        let [net, auth] = &config.inputs[..] else {
            return Err(Error::input("two inputs expected"));
        };
        assert_eq!(net.source_prefix, "bastion");
        assert!(net.listen.is_some_and(|l| l.tcp && !l.udp));
        assert_eq!(auth.family, Family::DeepSecurity);
        assert_eq!(auth.source_prefix, "ds");
        assert_eq!(auth.path, Some(base.join("auth.log")));
        Ok(())
    }

    fn one(prefix: &str) -> FollowOne {
        FollowOne {
            name: "app.log".to_owned(),
            path: PathBuf::from("app.log"),
            family: Family::Linux,
            map: MapArgs {
                from: "app.log".to_owned(),
                format: LogFormat::Linux,
                zone: "+02:00".to_owned(),
                reference_time: None,
                hostname: None,
                product: None,
                vendor: None,
                product_version: Some("9".to_owned()),
                log_name: None,
                tenant_uid: None,
                no_raw_data: false,
            },
            source_prefix: prefix.to_owned(),
            lake_dir: PathBuf::from("lake"),
            region: "us-east-1".to_owned(),
            account: "external".to_owned(),
            source_version: None,
            state_dir: PathBuf::from("state"),
        }
    }

    #[test]
    fn one_followed_file_is_checked_like_a_configured_input() -> Result<()> {
        // A file in the current directory (its directory is "").
        let config = follow_one(one("app"))?;
        assert!(matches!(&config.lake.target, Target::Local(d) if d == Path::new("lake")));
        let [input] = &config.inputs[..] else {
            return Err(Error::input("one input expected"));
        };
        assert_eq!(input.kind, Kind::Follow);
        assert_eq!(input.path.as_deref(), Some(Path::new("app.log")));
        assert_eq!(input.source_prefix, "app");
        assert_eq!(input.map.zone, "+02:00");
        assert_eq!(input.map.product_version.as_deref(), Some("9"));
        let long = follow_one(one("a-very-long-prefix-indeed"));
        assert!(long.is_err_and(|e| e.to_string().contains("source_prefix")));
        Ok(())
    }

    #[test]
    fn relp_inputs_take_their_fields() -> Result<()> {
        let text = format!(
            "{LAKE}\n[[inputs]]\nname = \"r\"\nkind = \"relp\"\nlisten = \"127.0.0.1:2514\"\nformat = \"syslog\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\nmax_message_bytes = 8192\ndedupe_window = 100\n"
        );
        let base = std::env::temp_dir();
        let config = parse(&text, &base)?;
        let relp = config.inputs[0]
            .relp
            .clone()
            .ok_or_else(|| Error::input("no relp listener"))?;
        assert_eq!(relp.addr.port(), 2514);
        assert_eq!(relp.tls, Some((base.join("c.pem"), base.join("k.pem"))));
        assert_eq!((relp.max_message_bytes, relp.dedupe_window), (8192, 100));
        Ok(())
    }

    #[test]
    fn mistakes_name_the_input_and_the_field() {
        let cases = [
            (
                "[[inputs]]\nname = \"r\"\nkind = \"relp\"\nformat = \"syslog\"\n",
                "input \"r\": field `listen`: missing",
            ),
            (
                "[[inputs]]\nname = \"r\"\nkind = \"relp\"\nlisten = \"1.2.3.4\"\nformat = \"syslog\"\n",
                "input \"r\": field `listen`",
            ),
            (
                "[[inputs]]\nname = \"r\"\nkind = \"relp\"\nlisten = \"127.0.0.1:1\"\nformat = \"syslog\"\ntls_cert = \"c.pem\"\n",
                "input \"r\": field `tls_key`: missing",
            ),
            (
                "[[inputs]]\nname = \"r\"\nkind = \"relp\"\nlisten = \"127.0.0.1:1\"\nformat = \"syslog\"\nmax_message_bytes = 10\n",
                "input \"r\": field `max_message_bytes`",
            ),
            (
                "[[inputs]]\nname = \"r\"\nkind = \"relp\"\nlisten = \"127.0.0.1:1\"\nformat = \"syslog\"\ndedupe_window = 0\n",
                "input \"r\": field `dedupe_window`",
            ),
            (
                "[[inputs]]\nname = \"r\"\nkind = \"relp\"\nlisten = \"127.0.0.1:1\"\nformat = \"syslog\"\ntransport = \"udp\"\n",
                "input \"r\": field `transport`",
            ),
            (
                "[[inputs]]\nname = \"s\"\nkind = \"syslog\"\nlisten = \"127.0.0.1:1\"\nformat = \"syslog\"\ndedupe_window = 5\n",
                "input \"s\": field `dedupe_window`: only a relp input",
            ),
            (
                "[[inputs]]\nname = \"r\"\nkind = \"relp\"\nlisten = \"127.0.0.1:1\"\nformat = \"syslog\"\nwindow = 5\n",
                "unknown field `window`",
            ),
            ("", "no [[inputs]]"),
            (
                "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\n[[inputs]]\nname = \"b\"\nkind = \"stdin\"\nformat = \"linux\"\n",
                "input \"b\": field `kind`: only one input can read stdin",
            ),
            (
                "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"journald-export\"\n",
                "input \"a\": field `format`: unknown format",
            ),
            (
                "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\nlisten = \"127.0.0.1:1\"\n",
                "input \"a\": field `listen`",
            ),
            (
                "[[inputs]]\nname = \"../a\"\nkind = \"stdin\"\nformat = \"linux\"\n",
                "field `name`",
            ),
            (
                "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\nzone = \"Mars\"\n",
                "input \"a\": field `zone`",
            ),
            (
                "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\nsource_prefix = \"a-very-long-prefix-indeed\"\n",
                "input \"a\": field `source_prefix`",
            ),
            (
                "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\nclasses = [\"authentication\"]\n",
                "input \"a\": field `classes`: names the custom sources to register",
            ),
            (
                "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\n[inputs.sources]\nauthentication = \"x\"\nssh_activity = \"x\"\n",
                "input \"a\": field `sources`",
            ),
            (
                "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\n[inputs.sources]\nauthentication = \"a-name-of-twenty-ones\"\n",
                "longer than Security Lake's 20",
            ),
            (
                "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\n[inputs.sources]\nnot_a_class = \"x\"\n",
                "input \"a\": field `sources`",
            ),
        ];
        for (inputs, wanted) in cases {
            let text = format!("{LAKE}\n{inputs}");
            match parse(&text, Path::new(".")) {
                Ok(_) => panic!("accepted: {inputs}"),
                Err(e) => assert!(e.to_string().contains(wanted), "{wanted:?} not in {e}"),
            }
        }
    }
}

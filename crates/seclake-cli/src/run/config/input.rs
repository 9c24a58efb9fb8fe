//! The checks of one `[[inputs]]` entry: the fields each kind takes, required and refused.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::raw::RawInput;
use super::{InputConfig, Journal, Kind, Listen, Objects, RelpListen};
use crate::error::{Error, Result};
use crate::mapping::{Family, LogFormat, MapArgs};

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

pub(super) fn check_input(
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
        (Kind::Journald, None | Some("journald-export")) => Family::JournalExport,
        (Kind::Journald, Some(other)) => {
            return Err(at(
                "format",
                format!(
                    "a journald input reads journald export entries (leave out `format`, or say \"journald-export\"), not {other:?}"
                ),
            ));
        }
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
            let path =
                base.join(raw.path.as_ref().ok_or_else(|| {
                    at("path", format!("missing: {} input reads a file", kind.a()))
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
        Kind::Stdin | Kind::Syslog | Kind::Relp | Kind::Journald | Kind::Objects => {
            if raw.path.is_some() {
                return Err(at("path", format!("{} input reads no file", kind.a())));
            }
            None
        }
    };
    let listen = match kind {
        Kind::Syslog => {
            let addr = listen_addr(raw.listen.as_deref(), "127.0.0.1:5514", &at)?;
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
                        "{} input does not listen (only syslog and relp do)",
                        kind.a()
                    ),
                ));
            }
            None
        }
    };
    let relp = check_relp(&raw, kind, base, &at)?;
    let journal = check_journal(&raw, kind, base, &at)?;
    let objects = check_objects(&raw, kind, base, &at)?;
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
        journal,
        objects,
        family,
        map,
        source_prefix,
        classes,
        sources,
    })
}

/// The `listen` address of a syslog or RELP input (`example` shows one in
/// the message when it is missing).
fn listen_addr(
    listen: Option<&str>,
    example: &str,
    at: &dyn Fn(&str, String) -> Error,
) -> Result<SocketAddr> {
    let text = listen.ok_or_else(|| {
        at(
            "listen",
            format!("missing: the address to listen on, e.g. {example:?}"),
        )
    })?;
    text.parse().map_err(|e| {
        at(
            "listen",
            format!("{text:?} is not an address and port: {e}"),
        )
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
        return refuse_others(Kind::Relp, kind, &given, at);
    }
    if raw.transport.is_some() {
        return Err(at(
            "transport",
            "a relp input is TCP (give tls_cert and tls_key for TLS)".to_owned(),
        ));
    }
    let addr = listen_addr(raw.listen.as_deref(), "127.0.0.1:2514", at)?;
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

/// `journalctl` options this input gives itself: refused in `args`.
const OWN_JOURNALCTL_OPTIONS: [&str; 8] = [
    "-o",
    "--output",
    "-f",
    "--follow",
    "--after-cursor",
    "--cursor",
    "-r",
    "--reverse",
];

/// The journald fields (`command`, `args`): checked for a journald input, refused for the
/// others.
fn check_journal(
    raw: &RawInput,
    kind: Kind,
    base: &Path,
    at: &dyn Fn(&str, String) -> Error,
) -> Result<Option<Journal>> {
    if kind != Kind::Journald {
        let given = [
            ("command", raw.command.is_some()),
            ("args", raw.args.is_some()),
        ];
        return refuse_others(Kind::Journald, kind, &given, at);
    }
    let command = match &raw.command {
        None => PathBuf::from("journalctl"),
        Some(command) if command.as_os_str().is_empty() => {
            return Err(at(
                "command",
                "must not be empty (leave it out for journalctl on the PATH)".to_owned(),
            ));
        }
        // A bare name is looked up on the PATH; a path is taken from the file's directory.
        Some(command) if command.components().count() > 1 => base.join(command),
        Some(command) => command.clone(),
    };
    let args = raw.args.clone().unwrap_or_default();
    for arg in &args {
        let option = arg.split_once('=').map_or(arg.as_str(), |(name, _)| name);
        let short = (option.len() > 2 && !option.starts_with("--")).then(|| &option[..2]);
        if OWN_JOURNALCTL_OPTIONS.contains(&option)
            || short.is_some_and(|s| OWN_JOURNALCTL_OPTIONS.contains(&s))
        {
            return Err(at(
                "args",
                format!(
                    "{arg:?}: the input gives journalctl its output format, --follow and the cursor itself"
                ),
            ));
        }
    }
    Ok(Some(Journal { command, args }))
}

/// The objects fields (`url` or `dir`): exactly one for an objects input, refused for the
/// others.
fn check_objects(
    raw: &RawInput,
    kind: Kind,
    base: &Path,
    at: &dyn Fn(&str, String) -> Error,
) -> Result<Option<Objects>> {
    if kind != Kind::Objects {
        let given = [("url", raw.url.is_some()), ("dir", raw.dir.is_some())];
        return refuse_others(Kind::Objects, kind, &given, at);
    }
    match (&raw.url, &raw.dir) {
        (Some(_), Some(_)) => Err(at(
            "dir",
            "give `url` (objects in S3) or `dir` (files in a local directory), not both".to_owned(),
        )),
        (None, None) => Err(at(
            "url",
            "missing: the objects to read, `url = \"s3://bucket/prefix/\"` or a local `dir`"
                .to_owned(),
        )),
        (Some(url), None) => {
            let (bucket, prefix) = crate::common::parse_s3_url(url)
                .ok_or_else(|| at("url", format!("{url:?} is not an s3://bucket/prefix/ URL")))?;
            Ok(Some(Objects::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.to_owned(),
            }))
        }
        (None, Some(dir)) => {
            let dir = base.join(dir);
            if !dir.is_dir() {
                return Err(at("dir", format!("{} is not a directory", dir.display())));
            }
            Ok(Some(Objects::Dir(dir)))
        }
    }
}

/// The fields that only an input of kind `owner` takes, checked on an input of another kind:
/// the first one `given` (name, whether it is set) is refused; `Ok(None)` when none is.
fn refuse_others<T>(
    owner: Kind,
    kind: Kind,
    given: &[(&str, bool)],
    at: &dyn Fn(&str, String) -> Error,
) -> Result<Option<T>> {
    match given.iter().find(|(_, set)| *set) {
        Some((field, _)) => Err(at(
            field,
            format!("only {} input takes it, not {} input", owner.a(), kind.a()),
        )),
        None => Ok(None),
    }
}

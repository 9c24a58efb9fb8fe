//! Raw logs to typed OCSF 1.1.0 events: format detection and the mapper's
//! source configuration, shared by `convert` and `publish`.

use std::io::{BufRead, Cursor, Read};

use clap::{Args, ValueEnum};
use ocsf_mappers::formats::journald::ExportReader;
use ocsf_mappers::linux::JournalEvents;
use ocsf_mappers::stream::{self, Events};
use ocsf_mappers::{LinuxMapper, MapperStats, SourceConfig, TrendMicroMapper, V1_1_0};
use ocsf_model::v1_1_0::Event;

use crate::common::{open_input, parse_offset_secs, parse_time_ms};
use crate::error::{Error, Result};

/// The raw log formats `convert` and `publish` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Detect from the first non-blank line: CEF/LEEF, journald export, else Linux lines.
    Auto,
    /// Linux lines of any kind, detected per line: syslog (RFC 3164/5424, auth.log), auditd, journald JSON.
    Linux,
    /// Syslog (RFC 3164 / 5424 / 3339), e.g. /var/log/auth.log.
    Syslog,
    /// auditd records (/var/log/audit/audit.log).
    Auditd,
    /// journald JSON lines (`journalctl -o json`).
    JournaldJson,
    /// journald export format (`journalctl -o export`).
    JournaldExport,
    /// Trend Micro Deep Security CEF (optionally inside syslog).
    Cef,
    /// Trend Micro Deep Security LEEF (optionally inside syslog).
    Leef,
    /// OCSF events as JSON (lines, concatenated or arrays), e.g. another tool's output:
    /// `convert` writes them as JSON lines of `--to-version` (default: their own).
    OcsfJson,
}

/// Options of the mapper's source configuration.
#[derive(Debug, Clone, Args)]
pub struct MapArgs {
    /// The raw log file, or - for stdin.
    #[arg(long, default_value = "-", value_name = "FILE|-")]
    pub from: String,
    /// The input format.
    #[arg(long, value_enum, default_value_t = LogFormat::Auto)]
    pub format: LogFormat,
    /// The fixed UTC offset of the sender's clock, for timestamps without a zone (UTC, +02:00, -0500).
    #[arg(long, default_value = "UTC")]
    pub zone: String,
    /// The reference clock for year inference and lines without a time
    /// (epoch ms, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; default: now).
    #[arg(long, value_name = "TIME")]
    pub reference_time: Option<String>,
    /// Hostname used when a line carries none.
    #[arg(long)]
    pub hostname: Option<String>,
    /// `metadata.product.name` (default: Linux, or Deep Security for CEF/LEEF).
    #[arg(long)]
    pub product: Option<String>,
    /// `metadata.product.vendor_name` (default: Linux, or Trend Micro for CEF/LEEF).
    #[arg(long)]
    pub vendor: Option<String>,
    /// `metadata.product.version`.
    #[arg(long)]
    pub product_version: Option<String>,
    /// `metadata.log_name` (e.g. auth.log).
    #[arg(long)]
    pub log_name: Option<String>,
    /// `metadata.tenant_uid`.
    #[arg(long)]
    pub tenant_uid: Option<String>,
    /// Do not copy mapped lines to `raw_data` (fallback events always keep it).
    #[arg(long)]
    pub no_raw_data: bool,
}

/// Which mapper a format needs (`DeepSecurity`: the Trend Micro mapper): ocsf-mappers'
/// line formats.
pub use ocsf_mappers::lines::LineFormat as Family;

impl LogFormat {
    /// The mapper family of a named format (`Auto` is decided from the input: Linux here).
    pub fn family(self) -> Family {
        match self {
            LogFormat::Auto
            | LogFormat::Linux
            | LogFormat::Syslog
            | LogFormat::Auditd
            | LogFormat::JournaldJson => Family::Linux,
            LogFormat::JournaldExport => Family::JournalExport,
            LogFormat::Cef | LogFormat::Leef => Family::DeepSecurity,
            LogFormat::OcsfJson => Family::OcsfJson,
        }
    }
}

/// Reads `input` into `head` up to its first non-blank line and decides the mapper from that
/// line ([`Family::detect_head`]).
pub fn detect_head(input: &mut impl BufRead, head: &mut Vec<u8>) -> std::io::Result<Family> {
    Family::detect_head(input, head)
}

/// A stream of mapped events with the mapper's counters.
pub enum EventStream {
    /// Linux lines.
    Linux(Events<LinuxMapper, Box<dyn BufRead + Send>>),
    /// journald export.
    Journal(JournalEvents<V1_1_0, ExportReader<Box<dyn BufRead + Send>>>),
    /// Trend Micro CEF / LEEF (Deep Security family, Apex One; other products
    /// fall back).
    DeepSecurity(Events<TrendMicroMapper, Box<dyn BufRead + Send>>),
}

impl EventStream {
    /// The mapper's counters so far.
    pub fn stats(&self) -> &MapperStats {
        match self {
            EventStream::Linux(e) => ocsf_mappers::stream::LineMapper::stats(e.mapper()),
            EventStream::Journal(e) => e.mapper().stats(),
            EventStream::DeepSecurity(e) => ocsf_mappers::stream::LineMapper::stats(e.mapper()),
        }
    }

    /// The attribute paths the mapper in use can fill in events of class `class_uid` (its
    /// declared projection); `None` for a class it does not emit.
    pub fn projection(&self, class_uid: i32) -> Option<ocsf_mappers::Projection> {
        match self {
            EventStream::Linux(e) => e.mapper().projection(class_uid),
            EventStream::Journal(e) => e.mapper().projection(class_uid),
            EventStream::DeepSecurity(e) => e.mapper().projection(class_uid),
        }
    }

    /// The OCSF classes the mapper in use emits (`class_uid`s; 0 is the Base Event of a
    /// fallback).
    pub fn classes(&self) -> &'static [i32] {
        match self {
            EventStream::Linux(_) | EventStream::Journal(_) => LinuxMapper::<V1_1_0>::CLASSES,
            EventStream::DeepSecurity(_) => TrendMicroMapper::<V1_1_0>::CLASSES,
        }
    }

    /// The name of the mapper in use.
    pub fn mapper_name(&self) -> &'static str {
        match self {
            EventStream::Linux(_) => "linux",
            EventStream::Journal(_) => "journald-export",
            EventStream::DeepSecurity(_) => "deep-security",
        }
    }
}

impl EventStream {
    /// The events of the next line (or journald entry), lent until the next call, which maps
    /// the following line into them: written by reference, they are encoded where they are
    /// and never rebuilt. A line may have none; the mapper's buffered events come last, then
    /// `None`.
    pub fn next_events(&mut self) -> Option<Result<&[Event]>> {
        let item = match self {
            EventStream::Linux(e) => e.next_events(),
            EventStream::Journal(e) => e.next_events(),
            EventStream::DeepSecurity(e) => e.next_events(),
        }?;
        Some(item.map_err(read_error))
    }
}

/// An input error of the mapped stream.
fn read_error(e: ocsf_mappers::Error) -> Error {
    let retry = e.is_retryable();
    Error::input(format!("reading the input: {e}"))
        .retryable(retry)
        .with_source(e)
}

/// An opened input: raw logs being mapped, or OCSF JSON to pass through.
pub enum Input {
    /// Raw logs, mapped to OCSF 1.1.0 events.
    Mapped(Box<EventStream>),
    /// OCSF events as JSON.
    OcsfJson(Box<dyn BufRead + Send>),
}

impl MapArgs {
    /// The source configuration for a mapper family.
    pub fn config(&self, family: Family) -> Result<SourceConfig> {
        let mut config = match family {
            Family::DeepSecurity => SourceConfig::deep_security(),
            _ => SourceConfig::linux(),
        };
        if let Some(product) = &self.product {
            config.product_name = product.clone();
        }
        if let Some(vendor) = &self.vendor {
            config.vendor_name = vendor.clone();
        }
        if let Some(v) = &self.product_version {
            config = config.with_product_version(v.clone());
        }
        if let Some(v) = &self.log_name {
            config = config.with_log_name(v.clone());
        }
        if let Some(v) = &self.tenant_uid {
            config = config.with_tenant_uid(v.clone());
        }
        if let Some(v) = &self.hostname {
            config = config.with_hostname_fallback(v.clone());
        }
        if let Some(v) = &self.reference_time {
            config = config.with_reference_ms(parse_time_ms(v)?);
        }
        config = config
            .with_utc_offset_secs(parse_offset_secs(&self.zone)?)
            .with_raw_data(!self.no_raw_data);
        Ok(config)
    }

    /// Opens the input and starts mapping it (raw logs only).
    pub fn events(&self) -> Result<EventStream> {
        match self.input()? {
            Input::Mapped(events) => Ok(*events),
            Input::OcsfJson(_) => Err(Error::input(
                "the input is OCSF JSON, not raw logs: it has nothing to map; `seclake convert` writes it in another OCSF version (--to-version)",
            )),
        }
    }

    /// Opens the input: raw logs start being mapped, OCSF JSON is handed
    /// back as it is.
    pub fn input(&self) -> Result<Input> {
        let mut input = open_input(&self.from)?;
        let family = match self.format {
            LogFormat::Auto => {
                // Read up to the first non-blank line, then put it back in front.
                let mut head = Vec::new();
                let family = detect_head(&mut input, &mut head)
                    .map_err(|e| Error::io(format!("reading {}", self.from), e))?;
                input = Box::new(Cursor::new(head).chain(input));
                family
            }
            other => other.family(),
        };
        if family == Family::OcsfJson {
            return Ok(Input::OcsfJson(input));
        }
        let config = self.config(family)?;
        tracing::debug!(?family, from = %self.from, "mapping");
        Ok(Input::Mapped(Box::new(match family {
            Family::Linux => EventStream::Linux(stream::events(LinuxMapper::new(config), input)),
            Family::JournalExport => {
                EventStream::Journal(LinuxMapper::new(config).journal_export(input))
            }
            Family::DeepSecurity | Family::OcsfJson => {
                EventStream::DeepSecurity(stream::events(TrendMicroMapper::new(config), input))
            }
        })))
    }
}

/// The caption of a class of OCSF 1.1.0, for messages.
pub fn class_caption(uid: i32) -> &'static str {
    ocsf_model::v1_1_0::CLASSES
        .iter()
        .find(|c| c.0 == uid)
        .map(|c| c.2)
        .unwrap_or("unknown class")
}

/// Prints the mapper's counters to stderr.
pub fn print_stats(command: &str, mapper: &str, stats: &MapperStats) {
    eprintln!(
        "seclake {command}: {} inputs ({} blank) -> {} events: {} mapped, {} fallback [{mapper} mapper]",
        stats.accepted,
        stats.blank,
        stats.events(),
        stats.mapped_total(),
        stats.fallback_total()
    );
    for (uid, n) in &stats.mapped {
        eprintln!(
            "  mapped   {:<34} {n}",
            format!("{} ({uid})", class_caption(*uid))
        );
    }
    for (reason, n) in &stats.fallback {
        eprintln!("  fallback {reason:<34} {n}");
    }
}

/// The counters as JSON.
pub fn stats_json(stats: &MapperStats) -> serde_json::Value {
    let mapped: serde_json::Map<String, serde_json::Value> = stats
        .mapped
        .iter()
        .map(|(uid, n)| (uid.to_string(), (*n).into()))
        .collect();
    let fallback: serde_json::Map<String, serde_json::Value> = stats
        .fallback
        .iter()
        .map(|(r, n)| (r.as_str().to_owned(), (*n).into()))
        .collect();
    serde_json::json!({
        "accepted": stats.accepted,
        "blank": stats.blank,
        "events": stats.events(),
        "mapped": mapped,
        "fallback": fallback,
    })
}

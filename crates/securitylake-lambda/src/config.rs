//! The transform function's configuration, from environment variables ([`TransformConfig::from_env`])
//! or set in code.

use std::path::PathBuf;
use std::time::Duration;

pub use ocsf_mappers::lines::LineFormat;
use ocsf_mappers::lines::parse_utc_offset;

use crate::error::{Error, ErrorKind, Result};

/// The default size of a batch: 16 MiB of (decompressed) input. The writers' spool of one
/// batch of Linux lines is about four times that (measured: 279 MB for 64 MiB), under `/tmp`.
pub const DEFAULT_BATCH_BYTES: u64 = 16 * 1024 * 1024;
/// The default bound of each class writer's spool: 64 MiB (a roll by size past it).
pub const DEFAULT_WRITER_BUFFER_BYTES: u64 = 64 * 1024 * 1024;
/// The default margin before the invocation deadline at which the transform stops reading: 30 s.
pub const DEFAULT_DEADLINE_MARGIN: Duration = Duration::from_secs(30);
/// The default key prefix of dead-letter files in the staging bucket.
pub const DEFAULT_DEAD_LETTER_PREFIX: &str = "seclake-dead-letters/";

/// Which mapper reads an object's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapperChoice {
    /// Decided per object from its first non-blank line (Linux, CEF / LEEF or OCSF JSON).
    Auto,
    /// Always this format's mapper.
    Fixed(LineFormat),
}

/// What the transform function needs to know. [`from_env`](Self::from_env) reads:
///
/// | variable | meaning | default |
/// |---|---|---|
/// | `SECLAKE_LAKE_BUCKET` | the Security Lake bucket (`aws-security-data-lake-<region>-<id>`) | required |
/// | `SECLAKE_SOURCE_PREFIX` | custom source names `<prefix>-<class>-<uid>` (at most 13 characters) | required |
/// | `SECLAKE_ACCOUNT_ID` | the `accountId=` partition of the objects | required |
/// | `SECLAKE_REGION` | the `region=` partition | `AWS_REGION` |
/// | `SECLAKE_SOURCE_VERSION` | the custom sources' version path segment | none |
/// | `SECLAKE_PROVIDER_ROLE_ARN` / `SECLAKE_EXTERNAL_ID` | the provider role the writes assume; `{source}` in it is each source's name (one role per custom source, as Security Lake makes them) | the function's role |
/// | `SECLAKE_MAPPER` | `auto`, `linux`, `deep-security`, `ocsf-json` | `auto` |
/// | `SECLAKE_ZONE` | fixed UTC offset of timestamps without a zone | `UTC` |
/// | `SECLAKE_REFERENCE_TIME` | the mappers' reference clock (epoch ms or RFC 3339) | the object's `Last-Modified` |
/// | `SECLAKE_BATCH_BYTES` | input bytes per batch (one flush each) | 16 MiB |
/// | `SECLAKE_WRITER_BUFFER_BYTES` | spool bound of each class writer (it rolls past it) | 64 MiB |
/// | `SECLAKE_DEADLINE_MARGIN_SECS` | stop reading this long before the deadline | 30 |
/// | `SECLAKE_SPOOL_DIR` | where the writers spool (one directory per invocation) | the temp dir (`/tmp`) |
/// | `SECLAKE_DEAD_LETTER_PREFIX` | key prefix of dead-letter files in the staging bucket | `seclake-dead-letters/` |
/// | `SECLAKE_VERIFY_GZIP` | read a gzip object through once before writing any of it | `true` |
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransformConfig {
    /// The Security Lake bucket.
    pub lake_bucket: String,
    /// The custom sources' name prefix.
    pub source_prefix: String,
    /// The custom sources' version segment, if any.
    pub source_version: Option<String>,
    /// The `accountId=` partition.
    pub account_id: String,
    /// The `region=` partition.
    pub region: String,
    /// The provider role to assume for the writes, and its external id.
    pub provider_role: Option<(String, Option<String>)>,
    /// The mapper.
    pub mapper: MapperChoice,
    /// The fixed UTC offset (seconds) of timestamps without a zone.
    pub utc_offset_secs: i32,
    /// The mappers' reference clock; `None`: each object's `Last-Modified`.
    pub reference_ms: Option<i64>,
    /// Input bytes per batch.
    pub batch_bytes: u64,
    /// The spool bound of each class writer (`max_buffered_bytes`; a roll by size past it).
    pub writer_buffer_bytes: u64,
    /// How long before the deadline reading stops.
    pub deadline_margin: Duration,
    /// The spool root.
    pub spool_dir: PathBuf,
    /// Key prefix of dead-letter files in the staging bucket.
    pub dead_letter_prefix: String,
    /// Whether a gzip object is read through once (its CRC checked) before any of it is written.
    pub verify_gzip: bool,
}

impl TransformConfig {
    /// A configuration with the defaults above.
    pub fn new(
        lake_bucket: impl Into<String>,
        source_prefix: impl Into<String>,
        account_id: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        Self {
            lake_bucket: lake_bucket.into(),
            source_prefix: source_prefix.into(),
            source_version: None,
            account_id: account_id.into(),
            region: region.into(),
            provider_role: None,
            mapper: MapperChoice::Auto,
            utc_offset_secs: 0,
            reference_ms: None,
            batch_bytes: DEFAULT_BATCH_BYTES,
            writer_buffer_bytes: DEFAULT_WRITER_BUFFER_BYTES,
            deadline_margin: DEFAULT_DEADLINE_MARGIN,
            spool_dir: std::env::temp_dir(),
            dead_letter_prefix: DEFAULT_DEAD_LETTER_PREFIX.to_owned(),
            verify_gzip: true,
        }
    }

    /// Reads the environment variables in the table above.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// As [`from_env`](Self::from_env), with the variables from `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let required = |name: &str| {
            get(name).ok_or_else(|| {
                Error::new(
                    ErrorKind::Config,
                    format!("environment variable {name} is not set"),
                )
            })
        };
        let region = get("SECLAKE_REGION")
            .or_else(|| get("AWS_REGION"))
            .ok_or_else(|| Error::new(ErrorKind::Config, "set SECLAKE_REGION or AWS_REGION"))?;
        let mut config = Self::new(
            required("SECLAKE_LAKE_BUCKET")?,
            required("SECLAKE_SOURCE_PREFIX")?,
            required("SECLAKE_ACCOUNT_ID")?,
            region,
        );
        config.source_version = get("SECLAKE_SOURCE_VERSION");
        config.provider_role =
            get("SECLAKE_PROVIDER_ROLE_ARN").map(|arn| (arn, get("SECLAKE_EXTERNAL_ID")));
        if let Some(name) = get("SECLAKE_MAPPER") {
            config.mapper = match name.as_str() {
                "auto" => MapperChoice::Auto,
                other => MapperChoice::Fixed(LineFormat::from_name(other).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Config,
                        format!(
                            "SECLAKE_MAPPER={other:?}: give auto, linux, deep-security or ocsf-json"
                        ),
                    )
                })?),
            };
        }
        if let Some(zone) = get("SECLAKE_ZONE") {
            config.utc_offset_secs = parse_utc_offset(&zone).ok_or_else(|| {
                Error::new(
                    ErrorKind::Config,
                    format!("SECLAKE_ZONE={zone:?}: give a fixed UTC offset such as UTC, +02:00 or -0500"),
                )
            })?;
        }
        if let Some(text) = get("SECLAKE_REFERENCE_TIME") {
            let ms = text
                .parse::<i64>()
                .ok()
                .or_else(|| ocsf_model::time::parse_lenient_ms(&text));
            config.reference_ms = Some(ms.ok_or_else(|| {
                Error::new(
                    ErrorKind::Config,
                    format!("SECLAKE_REFERENCE_TIME={text:?}: give epoch milliseconds or YYYY-MM-DDTHH:MM:SSZ"),
                )
            })?);
        }
        if let Some(n) = get("SECLAKE_BATCH_BYTES") {
            config.batch_bytes = parse_number("SECLAKE_BATCH_BYTES", &n)?.max(1);
        }
        if let Some(n) = get("SECLAKE_WRITER_BUFFER_BYTES") {
            config.writer_buffer_bytes = parse_number("SECLAKE_WRITER_BUFFER_BYTES", &n)?;
        }
        if let Some(n) = get("SECLAKE_DEADLINE_MARGIN_SECS") {
            config.deadline_margin =
                Duration::from_secs(parse_number("SECLAKE_DEADLINE_MARGIN_SECS", &n)?);
        }
        if let Some(dir) = get("SECLAKE_SPOOL_DIR") {
            config.spool_dir = PathBuf::from(dir);
        }
        if let Some(prefix) = get("SECLAKE_DEAD_LETTER_PREFIX") {
            config.dead_letter_prefix = prefix;
        }
        if let Some(verify) = get("SECLAKE_VERIFY_GZIP") {
            config.verify_gzip = match verify.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                other => {
                    return Err(Error::new(
                        ErrorKind::Config,
                        format!("SECLAKE_VERIFY_GZIP={other:?}: give true or false"),
                    ));
                }
            };
        }
        Ok(config)
    }
}

fn parse_number(name: &str, text: &str) -> Result<u64> {
    text.parse().map_err(|_| {
        Error::new(
            ErrorKind::Config,
            format!("{name}={text:?}: give a whole number"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn reads_the_environment() {
        let config = TransformConfig::from_lookup(lookup(&[
            ("SECLAKE_LAKE_BUCKET", "lake"),
            ("SECLAKE_SOURCE_PREFIX", "bastion"),
            ("SECLAKE_ACCOUNT_ID", "123456789012"),
            ("AWS_REGION", "eu-west-1"),
            ("SECLAKE_MAPPER", "cef"),
            ("SECLAKE_ZONE", "+02:00"),
            ("SECLAKE_REFERENCE_TIME", "2024-03-01T00:00:00Z"),
            ("SECLAKE_BATCH_BYTES", "1000"),
        ]))
        .expect("config");
        assert_eq!(config.region, "eu-west-1");
        assert_eq!(config.mapper, MapperChoice::Fixed(LineFormat::DeepSecurity));
        assert_eq!(config.utc_offset_secs, 7200);
        assert_eq!(config.reference_ms, Some(1_709_251_200_000));
        assert_eq!(config.batch_bytes, 1000);
        assert!(config.verify_gzip);
    }

    #[test]
    fn names_what_is_missing_or_malformed() {
        let missing = TransformConfig::from_lookup(lookup(&[("AWS_REGION", "eu-west-1")]))
            .expect_err("no bucket");
        assert!(
            missing.message().contains("SECLAKE_LAKE_BUCKET"),
            "{missing}"
        );
        let bad = TransformConfig::from_lookup(lookup(&[
            ("SECLAKE_LAKE_BUCKET", "lake"),
            ("SECLAKE_SOURCE_PREFIX", "p"),
            ("SECLAKE_ACCOUNT_ID", "1"),
            ("AWS_REGION", "eu-west-1"),
            ("SECLAKE_ZONE", "Europe/Paris"),
        ]))
        .expect_err("zone");
        assert_eq!(bad.kind(), ErrorKind::Config);
        assert!(bad.message().contains("SECLAKE_ZONE"), "{bad}");
    }
}

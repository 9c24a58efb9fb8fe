//! Helpers shared by the commands: input files, AWS configuration, object
//! stores named by a local path or an `s3://` URL, and output.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use securitylake_core::aws::{AssumeRoleProvider, AwsConfig};
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::S3StoreBuilder;

use crate::error::{Error, ErrorKind, Result};

/// Opens `path` for reading, or stdin for `-`.
pub fn open_input(path: &str) -> Result<Box<dyn BufRead + Send>> {
    if path == "-" {
        return Ok(Box::new(BufReader::new(std::io::stdin())));
    }
    let file = std::fs::File::open(path).map_err(|e| file_error(path, e))?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(Error::input(format!(
            "{path} is a directory; give a file or - for stdin"
        )));
    }
    Ok(Box::new(BufReader::new(file)))
}

/// Reads all of `path` (or stdin for `-`) as text (invalid UTF-8 is an input
/// error).
pub fn read_text(path: &str) -> Result<String> {
    let mut reader = open_input(path)?;
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(format!("reading {path}"), e))?;
    String::from_utf8(bytes).map_err(|e| {
        Error::input(format!(
            "{path} is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// The error for a file that cannot be opened: "no such file: X" for a
/// missing one.
pub fn file_error(path: &str, err: std::io::Error) -> Error {
    if err.kind() == std::io::ErrorKind::NotFound {
        Error::new(ErrorKind::NotFound, format!("no such file: {path}")).with_source(err)
    } else {
        Error::io(format!("cannot open {path}"), err)
    }
}

/// Options that point the AWS SDK somewhere (all commands that talk to AWS).
#[derive(Debug, Clone, Args)]
pub struct AwsArgs {
    /// AWS region (default: the SDK's chain, AWS_REGION or the profile).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Endpoint URL for every AWS service (default: AWS_ENDPOINT_URL, else
    /// the real services). S3 then uses path-style addressing.
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// Named profile from the shared AWS configuration files (default: AWS_PROFILE).
    #[arg(long = "aws-profile", value_name = "PROFILE", global = true)]
    pub profile: Option<String>,
}

impl AwsArgs {
    /// Loads the AWS configuration: the SDK's standard chains with the
    /// overrides given. S3 uses path-style addressing when an endpoint
    /// override is in effect (flag, `AWS_ENDPOINT_URL` or
    /// `AWS_ENDPOINT_URL_S3`), as local emulators need.
    pub async fn load(&self) -> Result<AwsConfig> {
        let mut builder = AwsConfig::builder();
        if let Some(region) = &self.region {
            builder = builder.region(region.clone());
        }
        if let Some(url) = &self.endpoint_url {
            builder = builder.endpoint_url(url.clone());
        }
        if let Some(profile) = &self.profile {
            builder = builder.profile_name(profile.clone());
        }
        let overridden = self.endpoint_url.is_some()
            || std::env::var_os("AWS_ENDPOINT_URL").is_some_and(|v| !v.is_empty())
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some_and(|v| !v.is_empty());
        builder = builder.force_path_style(overridden);
        Ok(builder.load().await?)
    }
}

/// Assumes `role_arn` (with an external id) on top of `base`.
pub async fn assume(
    base: &AwsConfig,
    role_arn: &str,
    external_id: Option<&str>,
) -> Result<AwsConfig> {
    let mut provider = AssumeRoleProvider::builder(role_arn.to_owned()).session_name("seclake");
    if let Some(id) = external_id {
        provider = provider.external_id(id.to_owned());
    }
    Ok(base.assume_role(provider).await?)
}

/// Splits `s3://bucket/rest` into `(bucket, rest)`.
pub fn parse_s3_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then_some((bucket, key))
}

/// An S3 store of `bucket` built from the configuration.
pub fn s3_store(config: &AwsConfig, bucket: &str) -> Result<Arc<dyn ObjectStore>> {
    Ok(Arc::new(
        S3StoreBuilder::new(config).bucket(bucket).build()?,
    ))
}

/// A local lake directory as a store; the directory must exist.
pub fn local_store(dir: &Path) -> Result<Arc<dyn ObjectStore>> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(securitylake_core::store::local_store(dir)?),
        Ok(_) => Err(Error::input(format!(
            "{} is not a directory",
            dir.display()
        ))),
        Err(e) => Err(file_error(&dir.display().to_string(), e)),
    }
}

/// A store and a key prefix named by a local directory or an `s3://bucket/prefix` URL.
pub async fn store_for(target: &str, aws: &AwsArgs) -> Result<(Arc<dyn ObjectStore>, String)> {
    let store = if target.starts_with("s3://") {
        let (bucket, prefix) = parse_s3_url(target)
            .ok_or_else(|| Error::input(format!("{target} is not an s3://bucket/prefix URL")))?;
        let config = aws.load().await?;
        return Ok((s3_store(&config, bucket)?, prefix.to_owned()));
    } else {
        local_store(&PathBuf::from(target))?
    };
    Ok((store, String::new()))
}

/// Writes one JSON value as a line.
pub fn write_json_line(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, value)
        .map_err(|e| Error::new(ErrorKind::Io, format!("writing JSON: {e}")).with_source(e))?;
    out.write_all(b"\n")
        .map_err(|e| Error::io("writing output", e))
}

/// Prints a JSON value, pretty, to stdout.
pub fn print_json(value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::new(ErrorKind::Io, format!("encoding JSON: {e}")).with_source(e))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| Error::io("writing output", e))
}

/// Parses a time given as epoch milliseconds or in the time module's lenient
/// grammar ([`ocsf_model::time::parse_lenient_ms`]: RFC 3339, `YYYY-MM-DD`,
/// a space for `T`, a missing offset read as UTC) into epoch milliseconds UTC.
pub fn parse_time_ms(text: &str) -> Result<i64> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    ocsf_model::time::parse_lenient_ms(text).ok_or_else(|| {
        Error::input(format!(
            "cannot read time {text:?}: give epoch milliseconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"
        ))
    })
}

/// Parses a UTC offset: `UTC`, `Z`, `+02:00`, `-0500`, `+2`.
pub fn parse_offset_secs(text: &str) -> Result<i32> {
    ocsf_mappers::lines::parse_utc_offset(text).ok_or_else(|| {
        Error::input(format!(
            "cannot read zone {text:?}: give a fixed UTC offset such as UTC, +02:00 or -0500"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse() -> Result<()> {
        assert_eq!(parse_time_ms("1718000000000")?, 1_718_000_000_000);
        assert_eq!(parse_time_ms("1970-01-02")?, 86_400_000);
        assert_eq!(
            parse_time_ms("2024-02-29T23:59:59.999Z")?,
            1_709_251_199_999
        );
        assert!(parse_time_ms("2024-13-01").is_err());
        assert!(parse_time_ms("yesterday").is_err());
        Ok(())
    }

    #[test]
    fn offsets_parse() -> Result<()> {
        assert_eq!(parse_offset_secs("UTC")?, 0);
        assert_eq!(parse_offset_secs("+02:00")?, 7200);
        assert_eq!(parse_offset_secs("-0530")?, -(5 * 3600 + 30 * 60));
        assert_eq!(parse_offset_secs("+3")?, 3 * 3600);
        assert!(parse_offset_secs("Europe/Paris").is_err());
        Ok(())
    }

    #[test]
    fn s3_urls_split() {
        assert_eq!(parse_s3_url("s3://b/k/x"), Some(("b", "k/x")));
        assert_eq!(parse_s3_url("s3://b"), Some(("b", "")));
        assert_eq!(parse_s3_url("s3:///k"), None);
        assert_eq!(parse_s3_url("/tmp/x"), None);
    }
}

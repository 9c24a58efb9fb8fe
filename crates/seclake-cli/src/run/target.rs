//! Where `seclake run` writes: the `[lake]` table's target, a local lake directory or an
//! S3 bucket, and its optional `[lake.registration]`, checked with the rest of the
//! configuration (see [`super::config`]).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::common::AwsArgs;
use crate::error::{Error, Result};

/// The `[lake]` fields that say where the lake is, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    /// A local lake directory.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// An S3 lake bucket.
    #[serde(default)]
    pub bucket: Option<String>,
    /// The AWS endpoint (an emulator on loopback, for example).
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// The named profile of the shared AWS configuration files.
    #[serde(default)]
    pub profile: Option<String>,
    /// The role assumed for writing.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// The external id the role is assumed with.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Custom sources reconciled before the inputs start.
    #[serde(default)]
    pub registration: Option<RawRegistration>,
}

/// `[lake.registration]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegistration {
    principal: String,
    external_id: String,
    crawler_role_arn: String,
}

/// The checked target of the lake.
#[derive(Debug, Clone)]
pub enum Target {
    /// A local lake directory (bucket `local-lake`).
    Local(PathBuf),
    /// Security Lake's S3 bucket.
    S3(S3Lake),
}

/// An S3 lake: the bucket (or the registered sources' locations) and how to reach it.
#[derive(Debug, Clone)]
pub struct S3Lake {
    /// The bucket, when the names are derived from the prefix (no registration).
    pub bucket: Option<String>,
    /// The AWS endpoint, region and profile.
    pub aws: AwsArgs,
    /// The role to write as (default: none without registration, else each source's
    /// provider role).
    pub role_arn: Option<String>,
    /// The external id the role is assumed with (default: the registration's).
    pub external_id: Option<String>,
    /// The custom sources to reconcile, one per class of each input.
    pub registration: Option<Registration>,
}

/// The checked `[lake.registration]`: what every custom source is registered with.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The AWS account that writes the sources' data.
    pub principal: String,
    /// The external id the provider roles are assumed with.
    pub external_id: String,
    /// The IAM role of the sources' Glue crawlers.
    pub crawler_role_arn: String,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Local(dir) => write!(f, "{}", dir.display()),
            Target::S3(S3Lake {
                bucket: Some(bucket),
                ..
            }) => write!(f, "s3://{bucket}/"),
            Target::S3(_) => f.write_str("the registered custom sources"),
        }
    }
}

impl Target {
    /// The registration, when the sources are reconciled.
    pub fn registration(&self) -> Option<&Registration> {
        match self {
            Target::S3(s3) => s3.registration.as_ref(),
            Target::Local(_) => None,
        }
    }
}

fn not_empty(field: &str, value: String) -> Result<String> {
    if value.trim().is_empty() {
        return Err(Error::input(format!(
            "[lake]: field `{field}`: must not be empty"
        )));
    }
    Ok(value)
}

/// Checks the target fields of `[lake]`; a relative `dir` is joined to `base`, `region` is
/// the SDK's region for S3.
pub fn check_target(raw: RawTarget, region: &str, base: &Path) -> Result<Target> {
    let s3_only = [
        ("endpoint_url", raw.endpoint_url.is_some()),
        ("profile", raw.profile.is_some()),
        ("role_arn", raw.role_arn.is_some()),
        ("external_id", raw.external_id.is_some()),
        ("registration", raw.registration.is_some()),
    ];
    match (raw.dir, raw.bucket, raw.registration) {
        (Some(dir), None, None) => {
            if let Some((field, _)) = s3_only.iter().find(|(_, set)| *set) {
                return Err(Error::input(format!(
                    "[lake]: field `{field}`: only for an S3 lake (`bucket` or [lake.registration]), not a local `dir`"
                )));
            }
            Ok(Target::Local(base.join(dir)))
        }
        (Some(_), _, _) => Err(Error::input(
            "[lake]: field `dir`: a local lake has no `bucket` or [lake.registration]; name one of them",
        )),
        (None, Some(_), Some(_)) => Err(Error::input(
            "[lake]: field `bucket`: with [lake.registration] each class is written where its registered source says; leave `bucket` out",
        )),
        (None, None, None) => Err(Error::input(
            "[lake]: missing `dir` (a local lake), `bucket` (an S3 lake) or [lake.registration]",
        )),
        (None, bucket, registration) => {
            let bucket = bucket.map(|b| not_empty("bucket", b)).transpose()?;
            let registration = registration
                .map(|r| {
                    Ok::<_, Error>(Registration {
                        principal: not_empty("registration.principal", r.principal)?,
                        external_id: not_empty("registration.external_id", r.external_id)?,
                        crawler_role_arn: not_empty(
                            "registration.crawler_role_arn",
                            r.crawler_role_arn,
                        )?,
                    })
                })
                .transpose()?;
            Ok(Target::S3(S3Lake {
                bucket,
                aws: AwsArgs {
                    region: Some(region.to_owned()),
                    endpoint_url: raw.endpoint_url,
                    profile: raw.profile,
                },
                role_arn: raw.role_arn,
                external_id: raw.external_id,
                registration,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(text: &str) -> Result<Target> {
        let raw: RawTarget =
            toml::from_str(text).map_err(|e| Error::input(format!("invalid: {e}")))?;
        check_target(raw, "us-east-1", Path::new("/base"))
    }

    #[test]
    fn local_s3_and_registered_lakes() -> Result<()> {
        assert!(
            matches!(target("dir = \"lake\"")?, Target::Local(d) if d == Path::new("/base/lake"))
        );
        let Target::S3(s3) = target("bucket = \"b\"\nendpoint_url = \"http://127.0.0.1:9\"")?
        else {
            return Err(Error::input("an S3 lake expected"));
        };
        assert_eq!(s3.bucket.as_deref(), Some("b"));
        assert_eq!(s3.aws.region.as_deref(), Some("us-east-1"));
        assert!(s3.registration.is_none());
        let registered = target(
            "[registration]\nprincipal = \"123456789012\"\nexternal_id = \"x\"\ncrawler_role_arn = \"arn:aws:iam::123456789012:role/C\"",
        )?;
        assert!(registered.registration().is_some());
        assert_eq!(registered.to_string(), "the registered custom sources");
        Ok(())
    }

    #[test]
    fn mistakes_name_the_field() {
        let cases = [
            ("", "missing `dir`"),
            ("dir = \"a\"\nbucket = \"b\"", "field `dir`"),
            (
                "dir = \"a\"\nendpoint_url = \"http://x\"",
                "field `endpoint_url`",
            ),
            (
                "bucket = \"b\"\n[registration]\nprincipal = \"1\"\nexternal_id = \"x\"\ncrawler_role_arn = \"r\"",
                "field `bucket`",
            ),
            (
                "[registration]\nprincipal = \"\"\nexternal_id = \"x\"\ncrawler_role_arn = \"r\"",
                "registration.principal",
            ),
        ];
        for (text, wanted) in cases {
            match target(text) {
                Ok(t) => panic!("accepted {text:?}: {t:?}"),
                Err(e) => assert!(e.to_string().contains(wanted), "{wanted:?} not in {e}"),
            }
        }
    }
}

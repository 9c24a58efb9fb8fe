//! Destinations derived from a prefix: one custom source per class, named
//! within Security Lake's limits.
//!
//! Security Lake wants one OCSF class per custom source, and a source name
//! of at most [`MAX_SOURCE_NAME_LEN`] characters of `[A-Za-z0-9_\-:.]` (so
//! that the provider role `AmazonSecurityLake-Provider-<name>-<region>`
//! stays within IAM's 64). [`source_name`] derives
//! `<prefix>-<class name, shortened>-<class_uid>`: it depends only on the
//! prefix and the class (the same class always gets the same name, whatever
//! other classes a mapper emits), and the `class_uid` makes names of
//! different classes differ. [`PrefixDestinations`] turns the names into
//! writer configurations of a lake bucket, for a
//! [`LakeSink`](super::LakeSink)'s explicit map or its catch-all.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use ocsf_model::OcsfEventEnum;
use ocsf_model::columnar::ColumnarOptions;
use securitylake_core::layout::{CustomSource, LakeSource, SourceLocation};

use super::builder::DestinationResolver;
use super::registry::ClassInfo;
use crate::error::{Error, ErrorKind, Result};
use crate::writer::{WriterConfig, WriterConfigBuilder};

/// The longest custom source name Security Lake registers: 20 characters.
pub const MAX_SOURCE_NAME_LEN: usize = 20;

/// The shortest part of the class name worth keeping in a source name.
const MIN_ABBREVIATION: usize = 3;

fn valid_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.')
}

/// The custom source name of `class` under `prefix`:
/// `<prefix>-<class name>-<class_uid>`, the class name (with `_` and `/` as
/// `-`) cut to what fits in [`MAX_SOURCE_NAME_LEN`] characters, and left out
/// when fewer than 3 of its characters would fit.
///
/// Fails with [`ErrorKind::InvalidInput`] when the prefix is empty, holds a
/// character a source name cannot (only `[A-Za-z0-9_\-:.]`), or is too long
/// to leave room for `-<class_uid>` (a prefix of at most 13 characters fits
/// every class, extension classes' 6-digit `class_uid`s included).
///
/// ```
/// use ocsf_model::v1_1_0::events::{Authentication, BaseEvent, SshActivity};
/// use securitylake_source::sink::{ClassInfo, source_name};
///
/// assert_eq!(source_name("bastion", &ClassInfo::of::<Authentication>())?, "bastion-authent-3002");
/// assert_eq!(source_name("bastion", &ClassInfo::of::<SshActivity>())?, "bastion-ssh-act-4007");
/// assert_eq!(source_name("bastion", &ClassInfo::of::<BaseEvent>())?, "bastion-base-event-0");
/// assert_eq!(source_name("bastion-host-01", &ClassInfo::of::<Authentication>())?, "bastion-host-01-3002");
/// assert!(source_name("a prefix", &ClassInfo::of::<Authentication>()).is_err());
/// # Ok::<(), securitylake_source::Error>(())
/// ```
pub fn source_name(prefix: &str, class: &ClassInfo) -> Result<String> {
    if prefix.is_empty() || !prefix.chars().all(valid_name_char) {
        return Err(Error::invalid_input(format!(
            "source name prefix {prefix:?}: use 1 or more characters of [A-Za-z0-9_-:.]"
        )));
    }
    let uid = class.class_uid.to_string();
    let fixed = prefix.len() + 1 + uid.len();
    if fixed > MAX_SOURCE_NAME_LEN {
        return Err(Error::invalid_input(format!(
            "source name prefix {prefix:?} is too long: `{prefix}-{uid}` exceeds Security Lake's {MAX_SOURCE_NAME_LEN} characters"
        )));
    }
    let room = MAX_SOURCE_NAME_LEN - fixed;
    let class_name: String = class
        .name
        .chars()
        .map(|c| {
            if valid_name_char(c) && c != '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    // Room for `-` and at least a few characters of the class name.
    let part = if room > MIN_ABBREVIATION {
        class_name[..class_name.len().min(room - 1)].trim_end_matches('-')
    } else {
        ""
    };
    Ok(if part.len() >= MIN_ABBREVIATION {
        format!("{prefix}-{part}-{uid}")
    } else {
        format!("{prefix}-{uid}")
    })
}

/// The column options of a class, e.g. from a mapper's declared projection.
type ColumnarFn = Arc<dyn Fn(&ClassInfo) -> Option<ColumnarOptions> + Send + Sync>;

/// Writer configurations of one custom source per class, named from a
/// prefix ([`source_name`]) in one lake bucket: location
/// `s3://<bucket>/ext/<name>/[<version>/]`, spool directory
/// `<spool root>/<name>`, and the rest (store, account, region, limits,
/// durability) from a template [`WriterConfigBuilder`].
///
/// Use it for a local lake, or for a bucket whose registrations were made
/// with the same names (`securitylake_control` reconciles them; with a
/// registration at hand prefer its `provider.location`). It is a
/// [`DestinationResolver`]: give it to
/// [`Unrouted::CatchAll`](super::Unrouted::CatchAll), or build an explicit
/// map for the classes a mapper declares with [`configs`](Self::configs).
///
/// ```
/// use ocsf_model::v1_1_0::Event;
/// use securitylake_core::store::local_store;
/// use securitylake_source::WriterConfig;
/// use securitylake_source::sink::PrefixDestinations;
///
/// let dir = tempfile::tempdir()?;
/// let template = WriterConfig::builder()
///     .region("us-east-1")
///     .account_id("external")
///     .store(local_store(dir.path().join("lake"))?);
/// let destinations = PrefixDestinations::new("bastion", "local-lake", dir.path().join("spool"), template)
///     .source_version("1.0");
/// let configs = destinations.configs::<Event>(&[3002, 4001])?;
/// assert_eq!(configs[&3002].location().to_string(), "s3://local-lake/ext/bastion-authent-3002/1.0/");
/// assert_eq!(configs[&4001].spool_dir(), dir.path().join("spool/bastion-network-4001"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct PrefixDestinations {
    prefix: String,
    bucket: String,
    source_version: Option<String>,
    spool_root: PathBuf,
    template: WriterConfigBuilder,
    columnar: Option<ColumnarFn>,
}

impl fmt::Debug for PrefixDestinations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrefixDestinations")
            .field("prefix", &self.prefix)
            .field("bucket", &self.bucket)
            .field("source_version", &self.source_version)
            .field("spool_root", &self.spool_root)
            .finish_non_exhaustive()
    }
}

impl PrefixDestinations {
    /// Destinations named from `prefix` in `bucket`, spooled under
    /// `spool_root`, configured otherwise by `template` (whose location and
    /// spool directory are replaced per class).
    pub fn new(
        prefix: impl Into<String>,
        bucket: impl Into<String>,
        spool_root: impl Into<PathBuf>,
        template: WriterConfigBuilder,
    ) -> Self {
        Self {
            prefix: prefix.into(),
            bucket: bucket.into(),
            source_version: None,
            spool_root: spool_root.into(),
            template,
            columnar: None,
        }
    }

    /// The custom source version of every source (`ext/<name>/<version>/`).
    pub fn source_version(mut self, version: impl Into<String>) -> Self {
        self.source_version = Some(version.into());
        self
    }

    /// The column options of each class (for example the projection a
    /// mapper declares for it); `None` keeps the template's.
    pub fn columnar_options(
        mut self,
        options: impl Fn(&ClassInfo) -> Option<ColumnarOptions> + Send + Sync + 'static,
    ) -> Self {
        self.columnar = Some(Arc::new(options));
        self
    }

    /// The source name of `class` ([`source_name`] of the prefix).
    pub fn source_name(&self, class: &ClassInfo) -> Result<String> {
        source_name(&self.prefix, class)
    }

    /// The location of `class`'s source.
    pub fn location(&self, class: &ClassInfo) -> Result<SourceLocation> {
        let source = CustomSource::new(self.source_name(class)?, self.source_version.clone())?;
        Ok(SourceLocation::new(
            self.bucket.clone(),
            LakeSource::Custom(source),
        )?)
    }

    /// The writer configuration of `class`.
    pub fn config(&self, class: &ClassInfo) -> Result<WriterConfig> {
        let name = self.source_name(class)?;
        let mut builder = self
            .template
            .clone()
            .location(self.location(class)?)
            .spool_dir(self.spool_root.join(&name));
        if let Some(options) = self.columnar.as_ref().and_then(|f| f(class)) {
            builder = builder.columnar_options(options);
        }
        builder.build()
    }

    /// The writer configurations of the classes `class_uids` of the version
    /// of `Ev` (for example a mapper's `CLASSES`), by `class_uid`. Fails
    /// with [`ErrorKind::InvalidInput`] for a `class_uid` the version does
    /// not define.
    pub fn configs<Ev: OcsfEventEnum>(
        &self,
        class_uids: &[i32],
    ) -> Result<BTreeMap<i32, WriterConfig>> {
        class_uids
            .iter()
            .map(|&uid| {
                let class = ClassInfo::find::<Ev>(uid).ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidInput,
                        format!(
                            "class_uid {uid} is not a class of OCSF {}",
                            Ev::OCSF_VERSION
                        ),
                    )
                })?;
                Ok((uid, self.config(&class)?))
            })
            .collect()
    }
}

impl DestinationResolver for PrefixDestinations {
    fn resolve(&self, class: &ClassInfo) -> Result<WriterConfig> {
        self.config(class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocsf_model::{ClassVisitor, OcsfEvent};
    use std::collections::BTreeSet;

    /// Every class of the version.
    fn classes<Ev: OcsfEventEnum>() -> Vec<ClassInfo> {
        struct All(Vec<ClassInfo>);
        impl ClassVisitor for All {
            fn visit<E: OcsfEvent>(&mut self) {
                self.0.push(ClassInfo::of::<E>());
            }
        }
        let mut all = All(Vec::new());
        Ev::visit_classes(&mut all);
        all.0
    }

    #[test]
    fn names_fit_are_valid_and_distinct_for_every_class_and_prefix_length() {
        let all = classes::<ocsf_model::v1_1_0::Event>();
        assert!(all.len() > 30);
        // 13 characters leave room for a 6-digit class_uid (extension classes).
        for len in 1..=13 {
            let prefix = "p".repeat(len);
            let mut seen = BTreeSet::new();
            for class in &all {
                let name = source_name(&prefix, class).expect("fits");
                assert!(name.len() <= MAX_SOURCE_NAME_LEN, "{name}");
                assert!(name.starts_with(&format!("{prefix}-")), "{name}");
                assert!(name.ends_with(&format!("-{}", class.class_uid)), "{name}");
                assert!(!name.contains("--"), "{name}");
                CustomSource::new(name.clone(), None).expect("a valid source name");
                assert!(seen.insert(name.clone()), "{name} twice");
            }
        }
    }

    #[test]
    fn a_prefix_without_room_for_the_uid_is_refused() {
        let auth = ClassInfo::find::<ocsf_model::v1_1_0::Event>(3002).expect("a class");
        assert_eq!(
            source_name(&"p".repeat(15), &auth).expect("fits"),
            "ppppppppppppppp-3002"
        );
        let err = source_name(&"p".repeat(16), &auth).expect_err("too long");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(source_name("", &auth).is_err());
        assert!(source_name("a/b", &auth).is_err());
    }
}

//! Linting a lake: every object of a prefix against Security Lake's key layout and the Parquet
//! rule book, and the files of each source against each other. `seclake lint` prints what
//! [`lint_store`] (or a [`LakeLinter`] fed by hand) finds.
//!
//! The rules of one file are the rule book's ([`ParquetRules::check`]); this module adds the
//! rules that need the object's key or other objects:
//!
//! | code | severity | rule |
//! |---|---|---|
//! | `key-layout` | error | the key is not `<ext/name/[version/] or aws/SOURCE/version/>region=/accountId=/eventDay=/<file>` |
//! | `partition-case` | error | a partition name in the wrong case (`eventday=`, `accountid=`) |
//! | `file-name` | warning | the file name is not `<32 hex>.<codec>.parquet` |
//! | `event-day` | error | rows whose `time` falls on another UTC day than the key's `eventDay` |
//! | `schema-drift` | error | a column whose type differs from the source's first file |
//! | `columns-differ` | warning | columns present in only some files of a source |
//!
//! Memory is bounded by one object: [`lint_store`] lists the keys, then reads and checks one
//! object at a time, keeping only each source's first column list.

use std::collections::BTreeMap;

use bytes::Bytes;
use futures::TryStreamExt;
use securitylake_core::layout::{EventDay, NonConformity, ParsedKey};
use securitylake_core::object_store::{ObjectStore, ObjectStoreExt, path::Path};
use securitylake_parquet::ParquetRules;
pub use securitylake_parquet::check::Severity;
use serde::Serialize;

use crate::error::Result;

/// One problem found in one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// Error or warning.
    #[serde(serialize_with = "severity_name")]
    pub severity: Severity,
    /// The rule's code (see the [module documentation](self) and
    /// [`securitylake_parquet::check`]).
    pub code: &'static str,
    /// The object key.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

fn severity_name<S: serde::Serializer>(severity: &Severity, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(severity.as_str())
}

/// Lints objects one at a time; [`finish`](LakeLinter::finish) returns the findings.
///
/// ```
/// use securitylake_subscriber::lint::{LakeLinter, Severity};
///
/// let mut linter = LakeLinter::new();
/// linter.object(
///     "ext/app/region=us-east-1/accountId=123456789012/eventDay=20240102/x.parquet",
///     bytes::Bytes::from_static(b"not parquet"),
/// );
/// let findings = linter.finish();
/// assert!(findings.iter().any(|f| f.code == "not-parquet" && f.severity == Severity::Error));
/// assert!(findings.iter().any(|f| f.code == "file-name"));
/// ```
#[derive(Debug, Default)]
pub struct LakeLinter {
    rules: ParquetRules,
    findings: Vec<Finding>,
    /// Per source prefix: the first object's key and its columns.
    first_of_source: BTreeMap<String, (String, BTreeMap<String, String>)>,
    objects: u64,
}

impl LakeLinter {
    /// A linter with the default rule book.
    pub fn new() -> Self {
        Self::default()
    }

    /// The objects checked so far.
    pub fn objects(&self) -> u64 {
        self.objects
    }

    /// Checks one object (its key and its whole content).
    pub fn object(&mut self, key: &str, bytes: Bytes) {
        self.objects += 1;
        let parsed = match ParsedKey::parse(key) {
            Ok(parsed) => {
                for nc in parsed.non_conformities() {
                    match nc {
                        NonConformity::PartitionNameCase { expected, found } => self.add(
                            Severity::Error,
                            "partition-case",
                            key,
                            format!("partition name `{found}=` must be `{expected}=` (Athena partitions are case-sensitive)"),
                        ),
                        NonConformity::FileName => self.add(
                            Severity::Warning,
                            "file-name",
                            key,
                            "file name is not <32 hex>.<codec>.parquet (some subscribers filter on it)".to_owned(),
                        ),
                        other => self.add(Severity::Warning, "key-layout", key, format!("{other:?}")),
                    }
                }
                Some(parsed)
            }
            Err(e) => {
                self.add(Severity::Error, "key-layout", key, e.to_string());
                None
            }
        };
        let day = parsed.as_ref().map(|p| p.partition().event_day());
        let window = day.map(|d| {
            let start = d.start_epoch_millis();
            start..start.saturating_add(86_400_000)
        });
        let check = self.rules.check(bytes, window);
        for v in &check.violations {
            self.add(v.rule.severity(), v.rule.code(), key, v.message.clone());
        }
        if let (Some(day), (off, Some(first))) = (day, check.outside_window) {
            let actual = EventDay::from_epoch_millis(first)
                .map(|d| d.to_string())
                .unwrap_or_else(|_| "an invalid day".to_owned());
            self.add(
                Severity::Error,
                "event-day",
                key,
                format!("{off} rows are not on eventDay={day} (the first falls on {actual}); eventDay must be the UTC day of each row's time"),
            );
        }
        if let Some(parsed) = parsed
            && !check.columns.is_empty()
        {
            self.drift(key, parsed.source().prefix(), check.columns);
        }
    }

    /// Compares an object's columns with the first object of its source.
    fn drift(&mut self, key: &str, source: String, columns: BTreeMap<String, String>) {
        let Some((first_key, reference)) = self.first_of_source.get(&source) else {
            self.first_of_source
                .insert(source, (key.to_owned(), columns));
            return;
        };
        let mut conflicts = Vec::new();
        let mut only_one_side = 0usize;
        for (path, ty) in &columns {
            match reference.get(path) {
                Some(other) if other != ty => {
                    conflicts.push(format!("`{path}` is {ty}, was {other}"))
                }
                Some(_) => {}
                None => only_one_side += 1,
            }
        }
        only_one_side += reference
            .keys()
            .filter(|p| !columns.contains_key(*p))
            .count();
        let first_key = first_key.clone();
        if !conflicts.is_empty() {
            self.add(
                Severity::Error,
                "schema-drift",
                key,
                format!(
                    "schema differs from {first_key} of the same source (HIVE_PARTITION_SCHEMA_MISMATCH in Athena): {}",
                    conflicts.join("; ")
                ),
            );
        }
        if only_one_side > 0 {
            self.add(
                Severity::Warning,
                "columns-differ",
                key,
                format!("{only_one_side} columns differ from {first_key} of the same source"),
            );
        }
    }

    fn add(&mut self, severity: Severity, code: &'static str, key: &str, message: String) {
        self.findings.push(Finding {
            severity,
            code,
            key: key.to_owned(),
            message,
        });
    }

    /// The findings, sorted by key, errors before warnings.
    pub fn finish(mut self) -> Vec<Finding> {
        self.findings
            .sort_by(|a, b| a.key.cmp(&b.key).then(b.severity.cmp(&a.severity)));
        self.findings
    }
}

/// Lints every `.parquet` object whose key starts with `prefix` (a string prefix, which may end
/// inside a path segment), in key order, reading one object at a time. `progress` is called
/// once with the number of objects, then after each object.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use securitylake_core::object_store::{ObjectStoreExt, memory::InMemory, path::Path};
/// use securitylake_subscriber::lint::lint_store;
///
/// let store = InMemory::new();
/// store.put(&Path::from("ext/app/region=us-east-1/accountId=123456789012/eventDay=20240102/0123456789abcdef0123456789abcdef.zstd.parquet"), "junk".into()).await?;
/// let (objects, findings) = lint_store(&store, "ext/", |_| {}).await?;
/// assert_eq!(objects, 1);
/// assert_eq!(findings[0].code, "not-parquet");
/// # Ok(()) }
/// ```
pub async fn lint_store(
    store: &dyn ObjectStore,
    prefix: &str,
    mut progress: impl FnMut(LintProgress),
) -> Result<(u64, Vec<Finding>)> {
    let dir = prefix.rfind('/').map(|end| &prefix[..end]).unwrap_or("");
    let dir = (!dir.is_empty()).then(|| Path::from(dir));
    let mut paths: Vec<Path> = match store
        .list(dir.as_ref())
        .try_filter_map(|m| {
            let key = m.location.as_ref();
            let wanted = key.starts_with(prefix) && key.ends_with(".parquet");
            std::future::ready(Ok(wanted.then_some(m.location)))
        })
        .try_collect()
        .await
    {
        Ok(paths) => paths,
        Err(securitylake_core::object_store::Error::NotFound { .. }) => Vec::new(),
        Err(e) => return Err(securitylake_core::Error::from(e).into()),
    };
    paths.sort();
    progress(LintProgress::Listed(paths.len() as u64));
    let mut linter = LakeLinter::new();
    for path in &paths {
        let bytes = store
            .get(path)
            .await
            .map_err(securitylake_core::Error::from)?
            .bytes()
            .await
            .map_err(securitylake_core::Error::from)?;
        linter.object(path.as_ref(), bytes);
        progress(LintProgress::Checked);
    }
    Ok((linter.objects(), linter.finish()))
}

/// What [`lint_store`] reports while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LintProgress {
    /// The listing found this many objects.
    Listed(u64),
    /// One more object was checked.
    Checked,
}

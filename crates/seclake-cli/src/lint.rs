//! `seclake lint`: checks a lake directory or S3 prefix for what breaks
//! Security Lake, Glue and Athena.
//!
//! | code | severity | rule |
//! |---|---|---|
//! | `key-layout` | error | the key is not `<ext/name/[version/] or aws/SOURCE/version/>region=/accountId=/eventDay=/<file>` |
//! | `partition-case` | error | a partition name in the wrong case (`eventday=`, `accountid=`) |
//! | `file-name` | warning | the file name is not `<32 hex>.<codec>.parquet` |
//! | `not-parquet` | error | magic bytes missing or an unreadable footer |
//! | `no-time` | error | no INT64 `time` column, or null times |
//! | `event-day` | error | rows whose `time` falls on another UTC day than the key's `eventDay` |
//! | `mixed-classes` | error | more than one `class_uid` in the object |
//! | `unsorted` | warning | rows not sorted by `time` |
//! | `page-size` | error | a data page over 1 MiB uncompressed (warning for dictionary pages) |
//! | `row-group-size` | error | a row group over 256 MB compressed |
//! | `repeated-without-list` | error | a repeated field not inside a LIST or MAP group |
//! | `map-type` | error | `unmapped` that is neither a MAP nor a string |
//! | `null-column` | error | a Null-typed column (Parquet logical type UNKNOWN) |
//! | `empty-struct` | error | a group without fields |
//! | `schema-drift` | error | a column whose type differs from the source's first file |
//! | `columns-differ` | warning | columns present in only some files of a source |

use std::collections::BTreeMap;
use std::io::Write;

use arrow_array::{Array, Int32Array, Int64Array, TimestampMillisecondArray};
use bytes::Bytes;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget};
use ocsf_model::columnar::ParquetRules;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{ConvertedType, LogicalType, PageType, Repetition};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::Type;
use securitylake_core::layout::{EventDay, NonConformity, ParsedKey};
use serde::Serialize;

use crate::common::{AwsArgs, print_json, store_for};
use crate::error::{EXIT_FINDINGS, EXIT_OK, Error, Result};

/// The largest data page, uncompressed (the rule book's).
const MAX_DATA_PAGE_BYTES: usize = ParquetRules::MAX_DATA_PAGE_BYTES;

/// Arguments of `seclake lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// A lake directory or s3://bucket/prefix.
    target: String,
    /// Print the findings as JSON.
    #[arg(long)]
    json: bool,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Works, but against the documented rules.
    Warning,
    /// Breaks Security Lake, Glue or Athena.
    Error,
}

/// One problem found in one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The rule (see the module documentation).
    pub code: &'static str,
    /// The object key.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// The facts of one object that other objects are compared with.
#[derive(Debug, Default)]
struct Shape {
    /// The source prefix, when the key parses.
    source: Option<String>,
    /// Leaf path to physical/logical type.
    columns: BTreeMap<String, String>,
}

struct Linter {
    findings: Vec<Finding>,
}

impl Linter {
    fn add(
        &mut self,
        severity: Severity,
        code: &'static str,
        key: &str,
        message: impl Into<String>,
    ) {
        self.findings.push(Finding {
            severity,
            code,
            key: key.to_owned(),
            message: message.into(),
        });
    }

    fn error(&mut self, code: &'static str, key: &str, message: impl Into<String>) {
        self.add(Severity::Error, code, key, message);
    }

    fn warn(&mut self, code: &'static str, key: &str, message: impl Into<String>) {
        self.add(Severity::Warning, code, key, message);
    }

    /// Checks one object; returns its shape for the cross-file checks.
    fn object(&mut self, key: &str, bytes: Bytes) -> Shape {
        let mut shape = Shape::default();
        let day = match ParsedKey::parse(key) {
            Ok(parsed) => {
                for nc in parsed.non_conformities() {
                    match nc {
                        NonConformity::PartitionNameCase { expected, found } => self.error(
                            "partition-case",
                            key,
                            format!("partition name `{found}=` must be `{expected}=` (Athena partitions are case-sensitive)"),
                        ),
                        NonConformity::FileName => self.warn(
                            "file-name",
                            key,
                            "file name is not <32 hex>.<codec>.parquet (some subscribers filter on it)",
                        ),
                        other => self.warn("key-layout", key, format!("{other:?}")),
                    }
                }
                shape.source = Some(parsed.source().prefix());
                Some(parsed.partition().event_day())
            }
            Err(e) => {
                self.error("key-layout", key, e.to_string());
                None
            }
        };
        if bytes.len() < 12 || !bytes.starts_with(b"PAR1") || !bytes.ends_with(b"PAR1") {
            self.error(
                "not-parquet",
                key,
                "not a Parquet file (magic bytes missing)",
            );
            return shape;
        }
        let reader = match SerializedFileReader::new(bytes.clone()) {
            Ok(r) => r,
            Err(e) => {
                self.error(
                    "not-parquet",
                    key,
                    format!("unreadable Parquet footer: {e}"),
                );
                return shape;
            }
        };
        let meta = reader.metadata();
        let root = meta.file_metadata().schema_descr().root_schema_ptr();
        for field in root.get_fields() {
            self.schema_node(key, field, field.name(), false, &mut shape);
        }
        for (i, rg) in meta.row_groups().iter().enumerate() {
            if u64::try_from(rg.compressed_size()).unwrap_or(0) > ParquetRules::MAX_ROW_GROUP_BYTES
            {
                self.error(
                    "row-group-size",
                    key,
                    format!(
                        "row group {i} is {} bytes compressed, over 256 MB",
                        rg.compressed_size()
                    ),
                );
            }
        }
        self.pages(key, &reader);
        self.rows(key, bytes, day);
        shape
    }

    fn schema_node(
        &mut self,
        key: &str,
        node: &Type,
        path: &str,
        in_list: bool,
        shape: &mut Shape,
    ) {
        let info = node.get_basic_info();
        if info.has_repetition() && info.repetition() == Repetition::REPEATED && !in_list {
            self.error(
                "repeated-without-list",
                key,
                format!(
                    "`{path}` is repeated without the LIST logical type (Athena reads it wrongly)"
                ),
            );
        }
        let logical = info.logical_type_ref().cloned();
        let converted = info.converted_type();
        let is_list =
            matches!(logical, Some(LogicalType::List)) || converted == ConvertedType::LIST;
        let is_map = matches!(logical, Some(LogicalType::Map))
            || matches!(converted, ConvertedType::MAP | ConvertedType::MAP_KEY_VALUE);
        if path == "unmapped"
            && !is_map
            && !(node.is_primitive()
                && node.get_physical_type() == parquet::basic::Type::BYTE_ARRAY)
        {
            self.error(
                "map-type",
                key,
                "`unmapped` must be a MAP<string,string> (or JSON text), not another type",
            );
        }
        if node.is_group() {
            let fields = node.get_fields();
            if fields.is_empty() {
                self.error(
                    "empty-struct",
                    key,
                    format!("`{path}` is a group without fields"),
                );
            }
            for child in fields {
                let child_path = format!("{path}.{}", child.name());
                self.schema_node(key, child, &child_path, is_list || is_map, shape);
            }
        } else {
            if matches!(logical, Some(LogicalType::Unknown)) {
                self.error(
                    "null-column",
                    key,
                    format!("`{path}` is Null-typed (Glue cannot type it; write a real type)"),
                );
            }
            let repetition = if info.has_repetition() {
                format!("{:?}", info.repetition())
            } else {
                String::new()
            };
            shape.columns.insert(
                path.to_owned(),
                format!(
                    "{:?} {} {repetition}",
                    node.get_physical_type(),
                    logical.map_or_else(|| format!("{converted:?}"), |l| format!("{l:?}"))
                ),
            );
        }
    }

    fn pages(&mut self, key: &str, reader: &SerializedFileReader<Bytes>) {
        let meta = reader.metadata();
        for rg in 0..meta.num_row_groups() {
            let Ok(row_group) = reader.get_row_group(rg) else {
                self.error("not-parquet", key, format!("row group {rg} is unreadable"));
                continue;
            };
            for col in 0..meta.row_group(rg).num_columns() {
                let path = meta.row_group(rg).column(col).column_path().string();
                let mut pages = match row_group.get_column_page_reader(col) {
                    Ok(p) => p,
                    Err(e) => {
                        self.error("not-parquet", key, format!("column {path}: {e}"));
                        continue;
                    }
                };
                loop {
                    match pages.get_next_page() {
                        Ok(Some(page)) => {
                            let size = page.buffer().len();
                            if size > MAX_DATA_PAGE_BYTES {
                                let dictionary = page.page_type() == PageType::DICTIONARY_PAGE;
                                let message = format!(
                                    "{} page of `{path}` in row group {rg} is {size} bytes uncompressed, over {MAX_DATA_PAGE_BYTES}",
                                    if dictionary { "dictionary" } else { "data" }
                                );
                                if dictionary {
                                    self.warn("page-size", key, message);
                                } else {
                                    self.error("page-size", key, message);
                                }
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            self.error("not-parquet", key, format!("column {path}: {e}"));
                            break;
                        }
                    }
                }
            }
        }
    }

    fn rows(&mut self, key: &str, bytes: Bytes, day: Option<EventDay>) {
        let builder = match ParquetRecordBatchReaderBuilder::try_new(bytes) {
            Ok(b) => b,
            Err(e) => {
                self.error("not-parquet", key, e.to_string());
                return;
            }
        };
        let schema = builder.parquet_schema();
        let leaves: Vec<usize> = (0..schema.num_columns())
            .filter(|&i| {
                matches!(
                    schema.column(i).path().string().as_str(),
                    "time" | "class_uid"
                )
            })
            .collect();
        let has_time = leaves
            .iter()
            .any(|&i| schema.column(i).path().string() == "time");
        if !has_time {
            self.error(
                "no-time",
                key,
                "no top-level `time` column (epoch milliseconds)",
            );
        }
        let mask = ProjectionMask::leaves(schema, leaves);
        let reader = match builder.with_projection(mask).build() {
            Ok(r) => r,
            Err(e) => {
                self.error("not-parquet", key, e.to_string());
                return;
            }
        };
        let mut classes = std::collections::BTreeSet::new();
        let (mut previous, mut unsorted, mut off_day, mut nulls, mut first_off) =
            (i64::MIN, 0u64, 0u64, 0u64, None);
        for batch in reader {
            let batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    self.error("not-parquet", key, format!("reading rows: {e}"));
                    return;
                }
            };
            if let Some(col) = batch.column_by_name("class_uid") {
                if let Some(a) = col.as_any().downcast_ref::<Int32Array>() {
                    classes.extend(a.iter().flatten().map(i64::from));
                } else if let Some(a) = col.as_any().downcast_ref::<Int64Array>() {
                    classes.extend(a.iter().flatten());
                }
            }
            let Some(col) = batch.column_by_name("time") else {
                continue;
            };
            let times: Vec<Option<i64>> = if let Some(a) = col.as_any().downcast_ref::<Int64Array>()
            {
                a.iter().collect()
            } else if let Some(a) = col.as_any().downcast_ref::<TimestampMillisecondArray>() {
                a.iter().collect()
            } else {
                self.error(
                    "no-time",
                    key,
                    format!(
                        "`time` is {}, not INT64 epoch milliseconds",
                        col.data_type()
                    ),
                );
                return;
            };
            for t in times {
                let Some(t) = t else {
                    nulls += 1;
                    continue;
                };
                if t < previous {
                    unsorted += 1;
                }
                previous = t;
                if let Some(day) = day
                    && !day.contains_epoch_millis(t)
                {
                    off_day += 1;
                    first_off.get_or_insert(t);
                }
            }
        }
        if nulls > 0 {
            self.error("no-time", key, format!("{nulls} rows have a null `time`"));
        }
        if let (Some(day), Some(t)) = (day, first_off) {
            let actual = EventDay::from_epoch_millis(t)
                .map(|d| d.to_string())
                .unwrap_or_else(|_| "an invalid day".to_owned());
            self.error(
                "event-day",
                key,
                format!("{off_day} rows are not on eventDay={day} (the first falls on {actual}); eventDay must be the UTC day of each row's time"),
            );
        }
        if unsorted > 0 {
            self.warn(
                "unsorted",
                key,
                format!("rows are not sorted by `time` ({unsorted} out of order)"),
            );
        }
        if classes.len() > 1 {
            let list: Vec<String> = classes.iter().map(i64::to_string).collect();
            self.error(
                "mixed-classes",
                key,
                format!(
                    "{} classes in one object (class_uid {}); one class per object and per source",
                    classes.len(),
                    list.join(", ")
                ),
            );
        }
    }

    /// Compares each object's columns with the first object of its source.
    fn drift(&mut self, shapes: &[(String, Shape)]) {
        let mut first: BTreeMap<&str, (&str, &Shape)> = BTreeMap::new();
        for (key, shape) in shapes {
            let Some(source) = shape.source.as_deref() else {
                continue;
            };
            if shape.columns.is_empty() {
                continue;
            }
            let Some((first_key, reference)) = first.get(source).copied() else {
                first.insert(source, (key, shape));
                continue;
            };
            let mut conflicts = Vec::new();
            let mut only_one_side = 0usize;
            for (path, ty) in &shape.columns {
                match reference.columns.get(path) {
                    Some(other) if other != ty => {
                        conflicts.push(format!("`{path}` is {ty}, was {other}"))
                    }
                    Some(_) => {}
                    None => only_one_side += 1,
                }
            }
            only_one_side += reference
                .columns
                .keys()
                .filter(|p| !shape.columns.contains_key(*p))
                .count();
            if !conflicts.is_empty() {
                self.error(
                    "schema-drift",
                    key,
                    format!(
                        "schema differs from {first_key} of the same source (HIVE_PARTITION_SCHEMA_MISMATCH in Athena): {}",
                        conflicts.join("; ")
                    ),
                );
            }
            if only_one_side > 0 {
                self.warn(
                    "columns-differ",
                    key,
                    format!("{only_one_side} columns differ from {first_key} of the same source"),
                );
            }
        }
    }
}

/// Lints objects given as `(key, bytes)`; the findings sorted by key.
pub fn lint_objects(objects: Vec<(String, Bytes)>) -> Vec<Finding> {
    let mut linter = Linter {
        findings: Vec::new(),
    };
    let mut shapes = Vec::new();
    for (key, bytes) in objects {
        let shape = linter.object(&key, bytes);
        shapes.push((key, shape));
    }
    linter.drift(&shapes);
    linter
        .findings
        .sort_by(|a, b| a.key.cmp(&b.key).then(b.severity.cmp(&a.severity)));
    linter.findings
}

/// Runs `seclake lint`.
pub async fn run(args: LintArgs, aws: &AwsArgs) -> Result<u8> {
    let (store, prefix) = store_for(&args.target, aws).await?;
    let listed = store.list(&prefix).await?;
    let parquet: Vec<_> = listed
        .into_iter()
        .filter(|m| m.key.ends_with(".parquet"))
        .collect();
    let bar =
        ProgressBar::with_draw_target(Some(parquet.len() as u64), ProgressDrawTarget::stderr());
    let mut objects = Vec::with_capacity(parquet.len());
    for meta in &parquet {
        let bytes = store.get(&meta.key).await?;
        objects.push((meta.key.clone(), bytes));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let count = objects.len();
    let findings = lint_objects(objects);
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    if args.json {
        print_json(&serde_json::json!({
            "target": args.target,
            "objects": count,
            "errors": errors,
            "warnings": warnings,
            "findings": findings,
        }))?;
    } else {
        let mut out = std::io::stdout().lock();
        let io = |e| Error::io("writing output", e);
        for f in &findings {
            let severity = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            writeln!(out, "{severity:<7} {:<22} {}: {}", f.code, f.key, f.message).map_err(io)?;
        }
        writeln!(
            out,
            "{count} objects checked: {errors} errors, {warnings} warnings"
        )
        .map_err(io)?;
    }
    Ok(if errors > 0 { EXIT_FINDINGS } else { EXIT_OK })
}

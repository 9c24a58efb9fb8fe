//! Checking a Parquet file against the rule book: [`ParquetRules::check`].
//!
//! The writers follow [`ParquetRules`] by construction; this module verifies any file, whoever
//! wrote it (`seclake lint`, the lake linter of `securitylake-subscriber`, and the writers' own
//! tests use it). Each broken rule is a [`Violation`] naming its [`Rule`]; the rules that need
//! more than one file (schema drift between the files of a source) or the object's key (the
//! `eventDay` partition) are checked by the lake linter from the facts a [`FileCheck`] returns.
//!
//! | code | severity | rule |
//! |---|---|---|
//! | `not-parquet` | error | magic bytes missing, an unreadable footer or an unreadable page |
//! | `no-time` | error | no INT64 `time` column, or null times |
//! | `mixed-classes` | error | more than one `class_uid` in the file |
//! | `unsorted` | warning | rows not sorted by `time` |
//! | `page-size` | error | a data page over 1 MiB uncompressed (warning for dictionary pages) |
//! | `row-group-size` | error | a row group over 256 MiB compressed |
//! | `file-size` | error | a file over 256 MiB |
//! | `repeated-without-list` | error | a repeated field not inside a LIST or MAP group |
//! | `map-type` | error | `unmapped` that is neither a MAP nor a string |
//! | `null-column` | error | a Null-typed column (Parquet logical type UNKNOWN) |
//! | `empty-struct` | error | a group without fields |

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use arrow_array::{Array, Int32Array, Int64Array, TimestampMillisecondArray};
use bytes::Bytes;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{ConvertedType, LogicalType, PageType, Repetition};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::Type;

use crate::rules::ParquetRules;

/// How serious a broken rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// Readable, but against the documented rules.
    Warning,
    /// Breaks Security Lake, Glue or Athena.
    Error,
}

impl Severity {
    /// `warning` or `error`.
    ///
    /// ```
    /// use securitylake_parquet::check::Severity;
    /// assert_eq!(Severity::Error.as_str(), "error");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A rule of the book that a single file can break (see the [module documentation](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// Magic bytes missing, or the footer or a page cannot be read.
    NotParquet,
    /// No INT64 `time` column, or rows without a time.
    NoTime,
    /// More than one `class_uid` in the file.
    MixedClasses,
    /// Rows not sorted by `time`.
    Unsorted,
    /// A data page over [`ParquetRules::MAX_DATA_PAGE_BYTES`] uncompressed.
    PageSize,
    /// A dictionary page over [`ParquetRules::MAX_DATA_PAGE_BYTES`] uncompressed.
    DictionaryPageSize,
    /// A row group over [`ParquetRules::MAX_ROW_GROUP_BYTES`] compressed.
    RowGroupSize,
    /// A file over [`ParquetRules::MAX_FILE_BYTES`].
    FileSize,
    /// A repeated field outside a LIST or MAP group.
    RepeatedWithoutList,
    /// `unmapped` neither a MAP nor a string.
    MapType,
    /// A Null-typed column.
    NullColumn,
    /// A group without fields.
    EmptyStruct,
}

impl Rule {
    /// The rule's stable code (`page-size`, ...), as `seclake lint` prints it.
    ///
    /// ```
    /// use securitylake_parquet::check::Rule;
    /// assert_eq!(Rule::PageSize.code(), "page-size");
    /// ```
    pub const fn code(self) -> &'static str {
        match self {
            Rule::NotParquet => "not-parquet",
            Rule::NoTime => "no-time",
            Rule::MixedClasses => "mixed-classes",
            Rule::Unsorted => "unsorted",
            Rule::PageSize | Rule::DictionaryPageSize => "page-size",
            Rule::RowGroupSize => "row-group-size",
            Rule::FileSize => "file-size",
            Rule::RepeatedWithoutList => "repeated-without-list",
            Rule::MapType => "map-type",
            Rule::NullColumn => "null-column",
            Rule::EmptyStruct => "empty-struct",
        }
    }

    /// How serious breaking it is.
    ///
    /// ```
    /// use securitylake_parquet::check::{Rule, Severity};
    /// assert_eq!(Rule::Unsorted.severity(), Severity::Warning);
    /// assert_eq!(Rule::PageSize.severity(), Severity::Error);
    /// ```
    pub const fn severity(self) -> Severity {
        match self {
            Rule::Unsorted | Rule::DictionaryPageSize => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One broken rule, with what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.rule.severity().as_str(),
            self.rule,
            self.message
        )
    }
}

/// What [`ParquetRules::check`] found in one file: the broken rules, and the facts that rules
/// across files or involving the object's key need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileCheck {
    /// The broken rules, in the order found.
    pub violations: Vec<Violation>,
    /// Each leaf column's path and its physical, logical and repetition types (for schema drift
    /// between the files of one source). Empty when the footer cannot be read.
    pub columns: BTreeMap<String, String>,
    /// The `class_uid` values present.
    pub classes: BTreeSet<i64>,
    /// The rows read.
    pub rows: u64,
    /// The smallest and largest `time`, when any row has one.
    pub time_range: Option<(i64, i64)>,
    /// The rows whose `time` is outside the window given to [`ParquetRules::check`], and the
    /// first such time.
    pub outside_window: (u64, Option<i64>),
}

impl FileCheck {
    /// Whether no rule of severity [`Severity::Error`] is broken.
    ///
    /// ```
    /// use securitylake_parquet::check::FileCheck;
    /// assert!(FileCheck::default().is_conforming());
    /// ```
    pub fn is_conforming(&self) -> bool {
        self.violations
            .iter()
            .all(|v| v.rule.severity() != Severity::Error)
    }

    fn add(&mut self, rule: Rule, message: impl Into<String>) {
        self.violations.push(Violation {
            rule,
            message: message.into(),
        });
    }
}

impl ParquetRules {
    /// Checks one whole Parquet file against the rule book. `window`, when given, is the
    /// half-open range of epoch milliseconds every row's `time` must fall in (a partition's
    /// day); the rows outside it are counted in [`FileCheck::outside_window`].
    ///
    /// Never panics on any input: what cannot be read is a [`Rule::NotParquet`] violation.
    /// Reads the `time` and `class_uid` columns only, one batch at a time.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use securitylake_parquet::check::Rule;
    /// use ocsf_model::columnar::ColumnarOptions;
    /// use securitylake_parquet::{ParquetRules, write_parquet};
    /// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    /// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
    ///
    /// let event = Authentication::new(AuthenticationActivityId::Logon,
    ///     Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low,
    ///     1_700_000_000_000, User::default());
    /// let file = write_parquet(&[event], &ColumnarOptions::default())?;
    ///
    /// let check = ParquetRules::new().check(file.into(), None);
    /// assert!(check.is_conforming(), "{:?}", check.violations);
    /// assert_eq!(check.rows, 1);
    ///
    /// let garbage = ParquetRules::new().check(bytes::Bytes::from_static(b"not parquet"), None);
    /// assert_eq!(garbage.violations[0].rule, Rule::NotParquet);
    /// # Ok(()) }
    /// ```
    pub fn check(&self, bytes: Bytes, window: Option<std::ops::Range<i64>>) -> FileCheck {
        let mut check = FileCheck::default();
        if bytes.len() < 12 || !bytes.starts_with(b"PAR1") || !bytes.ends_with(b"PAR1") {
            check.add(Rule::NotParquet, "not a Parquet file (magic bytes missing)");
            return check;
        }
        if bytes.len() as u64 > Self::MAX_FILE_BYTES {
            check.add(
                Rule::FileSize,
                format!(
                    "the file is {} bytes, over {}",
                    bytes.len(),
                    Self::MAX_FILE_BYTES
                ),
            );
        }
        let reader = match SerializedFileReader::new(bytes.clone()) {
            Ok(r) => r,
            Err(e) => {
                check.add(Rule::NotParquet, format!("unreadable Parquet footer: {e}"));
                return check;
            }
        };
        let meta = reader.metadata();
        let root = meta.file_metadata().schema_descr().root_schema_ptr();
        for field in root.get_fields() {
            schema_node(&mut check, field, field.name(), false);
        }
        for (i, rg) in meta.row_groups().iter().enumerate() {
            if u64::try_from(rg.compressed_size()).unwrap_or(0) > Self::MAX_ROW_GROUP_BYTES {
                check.add(
                    Rule::RowGroupSize,
                    format!(
                        "row group {i} is {} bytes compressed, over {}",
                        rg.compressed_size(),
                        Self::MAX_ROW_GROUP_BYTES
                    ),
                );
            }
        }
        pages(&mut check, &reader);
        rows(&mut check, bytes, window);
        check
    }
}

fn schema_node(check: &mut FileCheck, node: &Type, path: &str, in_list: bool) {
    let info = node.get_basic_info();
    if info.has_repetition() && info.repetition() == Repetition::REPEATED && !in_list {
        check.add(
            Rule::RepeatedWithoutList,
            format!("`{path}` is repeated without the LIST logical type (Athena reads it wrongly)"),
        );
    }
    let logical = info.logical_type_ref().cloned();
    let converted = info.converted_type();
    let is_list = matches!(logical, Some(LogicalType::List)) || converted == ConvertedType::LIST;
    let is_map = matches!(logical, Some(LogicalType::Map))
        || matches!(converted, ConvertedType::MAP | ConvertedType::MAP_KEY_VALUE);
    if path == "unmapped"
        && !is_map
        && !(node.is_primitive() && node.get_physical_type() == parquet::basic::Type::BYTE_ARRAY)
    {
        check.add(
            Rule::MapType,
            "`unmapped` must be a MAP<string,string> (or JSON text), not another type",
        );
    }
    if node.is_group() {
        let fields = node.get_fields();
        if fields.is_empty() {
            check.add(
                Rule::EmptyStruct,
                format!("`{path}` is a group without fields"),
            );
        }
        for child in fields {
            let child_path = format!("{path}.{}", child.name());
            schema_node(check, child, &child_path, is_list || is_map);
        }
        return;
    }
    if matches!(logical, Some(LogicalType::Unknown)) {
        check.add(
            Rule::NullColumn,
            format!("`{path}` is Null-typed (Glue cannot type it; write a real type)"),
        );
    }
    let repetition = if info.has_repetition() {
        format!("{:?}", info.repetition())
    } else {
        String::new()
    };
    check.columns.insert(
        path.to_owned(),
        format!(
            "{:?} {} {repetition}",
            node.get_physical_type(),
            logical.map_or_else(|| format!("{converted:?}"), |l| format!("{l:?}"))
        ),
    );
}

fn pages(check: &mut FileCheck, reader: &SerializedFileReader<Bytes>) {
    let limit = ParquetRules::MAX_DATA_PAGE_BYTES;
    let meta = reader.metadata();
    for rg in 0..meta.num_row_groups() {
        let Ok(row_group) = reader.get_row_group(rg) else {
            check.add(Rule::NotParquet, format!("row group {rg} is unreadable"));
            continue;
        };
        for col in 0..meta.row_group(rg).num_columns() {
            let path = meta.row_group(rg).column(col).column_path().string();
            let mut pages = match row_group.get_column_page_reader(col) {
                Ok(p) => p,
                Err(e) => {
                    check.add(Rule::NotParquet, format!("column {path}: {e}"));
                    continue;
                }
            };
            loop {
                match pages.get_next_page() {
                    Ok(Some(page)) => {
                        let size = page.buffer().len();
                        if size <= limit {
                            continue;
                        }
                        let (rule, kind) = if page.page_type() == PageType::DICTIONARY_PAGE {
                            (Rule::DictionaryPageSize, "dictionary")
                        } else {
                            (Rule::PageSize, "data")
                        };
                        check.add(
                            rule,
                            format!(
                                "{kind} page of `{path}` in row group {rg} is {size} bytes uncompressed, over {limit}"
                            ),
                        );
                    }
                    Ok(None) => break,
                    Err(e) => {
                        check.add(Rule::NotParquet, format!("column {path}: {e}"));
                        break;
                    }
                }
            }
        }
    }
}

/// Reads `time` and `class_uid`: nulls, order, classes and the window.
fn rows(check: &mut FileCheck, bytes: Bytes, window: Option<std::ops::Range<i64>>) {
    let builder = match ParquetRecordBatchReaderBuilder::try_new(bytes) {
        Ok(b) => b,
        Err(e) => {
            check.add(Rule::NotParquet, e.to_string());
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
        .any(|&i| schema.column(i).path().string() == ParquetRules::SORT_COLUMN);
    if !has_time {
        check.add(
            Rule::NoTime,
            "no top-level `time` column (epoch milliseconds)",
        );
    }
    let mask = ProjectionMask::leaves(schema, leaves);
    let reader = match builder.with_projection(mask).build() {
        Ok(r) => r,
        Err(e) => {
            check.add(Rule::NotParquet, e.to_string());
            return;
        }
    };
    let (mut previous, mut unsorted, mut nulls) = (i64::MIN, 0u64, 0u64);
    for batch in reader {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                check.add(Rule::NotParquet, format!("reading rows: {e}"));
                return;
            }
        };
        check.rows += batch.num_rows() as u64;
        if let Some(col) = batch.column_by_name("class_uid") {
            if let Some(a) = col.as_any().downcast_ref::<Int32Array>() {
                check.classes.extend(a.iter().flatten().map(i64::from));
            } else if let Some(a) = col.as_any().downcast_ref::<Int64Array>() {
                check.classes.extend(a.iter().flatten());
            }
        }
        let Some(col) = batch.column_by_name(ParquetRules::SORT_COLUMN) else {
            continue;
        };
        let mut visit = |t: Option<i64>| {
            let Some(t) = t else {
                nulls += 1;
                return;
            };
            if t < previous {
                unsorted += 1;
            }
            previous = t;
            check.time_range = Some(match check.time_range {
                Some((lo, hi)) => (lo.min(t), hi.max(t)),
                None => (t, t),
            });
            if let Some(w) = &window
                && !w.contains(&t)
            {
                check.outside_window.0 += 1;
                check.outside_window.1.get_or_insert(t);
            }
        };
        if let Some(a) = col.as_any().downcast_ref::<Int64Array>() {
            a.iter().for_each(&mut visit);
        } else if let Some(a) = col.as_any().downcast_ref::<TimestampMillisecondArray>() {
            a.iter().for_each(&mut visit);
        } else {
            check.add(
                Rule::NoTime,
                format!(
                    "`time` is {}, not INT64 epoch milliseconds",
                    col.data_type()
                ),
            );
            return;
        }
    }
    if nulls > 0 {
        check.add(Rule::NoTime, format!("{nulls} rows have a null `time`"));
    }
    if unsorted > 0 {
        check.add(
            Rule::Unsorted,
            format!("rows are not sorted by `time` ({unsorted} out of order)"),
        );
    }
    if check.classes.len() > 1 {
        let list: Vec<String> = check.classes.iter().map(i64::to_string).collect();
        check.add(
            Rule::MixedClasses,
            format!(
                "{} classes in one file (class_uid {}); one class per object and per source",
                check.classes.len(),
                list.join(", ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_and_garbage_files_are_not_parquet_never_a_panic() {
        let rules = ParquetRules::new();
        for bytes in [
            &b""[..],
            b"PAR1",
            b"PAR1PAR1PAR1",
            b"PAR1\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00PAR1",
        ] {
            let check = rules.check(Bytes::copy_from_slice(bytes), None);
            assert!(!check.is_conforming(), "{bytes:?}");
            assert_eq!(check.violations[0].rule, Rule::NotParquet);
        }
    }

    #[test]
    fn codes_are_the_documented_ones() {
        assert_eq!(Rule::DictionaryPageSize.code(), "page-size");
        assert_eq!(Rule::DictionaryPageSize.severity(), Severity::Warning);
        assert_eq!(Rule::MixedClasses.to_string(), "mixed-classes");
    }
}

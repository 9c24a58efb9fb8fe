//! Reading only the columns of a Parquet file that hold values.
//!
//! A class schema is wide (hundreds of leaf columns for Authentication) and a source populates a
//! few dozen of them; Security Lake files written with a full class schema are mostly null
//! columns. Decoding a null column still costs its definition levels for every row, so a reader
//! that skips columns the footer proves empty is several times faster, and produces the same
//! typed events: a column that is absent reads as an absent attribute, exactly like a null one.
//!
//! What the footer proves: a leaf column is *empty* when no row reaches its maximum definition
//! level (the definition-level histogram of every row group, which this crate's writer and
//! `parquet` >= 53 write), or when its statistics count every value as null. Skipping empty
//! leaves must not lose an object that is present but has no non-null attribute (`{}`), or a
//! list that is present but empty: for every optional or repeated group that some row reaches,
//! one of its leaves is kept as a witness, whose definition levels carry the group's presence.
//! Without histograms the reach of an empty leaf is unknown and witnesses are kept
//! conservatively.

use std::sync::Arc;

use arrow_schema::{DataType, FieldRef, Fields, Schema};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::basic::Repetition;
use parquet::file::metadata::ParquetMetaData;
use parquet::schema::types::Type;

/// The leaf columns of a file worth reading: every leaf that holds a value in some row, plus one
/// witness leaf for each optional or repeated group that is present in some row without any of
/// its non-empty leaves.
///
/// Decoding with this projection gives the same events as decoding every column.
///
/// ```
/// use bytes::Bytes;
/// use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
/// use ocsf_model::columnar::{ColumnarOptions, decode_batch};
/// use securitylake_parquet::{populated_columns, write_parquet};
/// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
/// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
///
/// let event = Authentication::new(AuthenticationActivityId::Logon,
///     Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, 1_000, User::default());
/// let bytes = Bytes::from(write_parquet(&[event.clone()], &ColumnarOptions::default())?);
/// let builder = ParquetRecordBatchReaderBuilder::try_new(bytes)?;
/// let mask = populated_columns(builder.metadata());
/// let mut reader = builder.with_projection(mask).build()?;
/// let batch = reader.next().expect("one batch")?;
/// assert!(batch.num_columns() < 20); // of the ~50 top-level columns of the class
/// assert_eq!(decode_batch::<Authentication>(&batch)?, vec![event]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn populated_columns(metadata: &ParquetMetaData) -> ProjectionMask {
    let schema = metadata.file_metadata().schema_descr();
    let leaves = schema.num_columns();
    let mut kept = vec![false; leaves];
    // The deepest definition level any row reaches in each leaf.
    let mut reach = vec![0i16; leaves];
    for (i, column) in schema.columns().iter().enumerate() {
        let max_def = column.max_def_level();
        let mut holds_values = false;
        let mut deepest = 0i16;
        for row_group in metadata.row_groups() {
            if row_group.num_rows() == 0 {
                continue;
            }
            let chunk = row_group.column(i);
            if max_def == 0 {
                // A required leaf under required groups: every row has a value.
                holds_values = true;
                break;
            }
            if let Some(histogram) = chunk.definition_level_histogram() {
                for (level, &count) in histogram.values().iter().enumerate() {
                    if count > 0 {
                        let level = i16::try_from(level).unwrap_or(i16::MAX);
                        deepest = deepest.max(level);
                        holds_values |= level >= max_def;
                    }
                }
            } else {
                let all_null = chunk
                    .statistics()
                    .and_then(|s| s.null_count_opt())
                    .is_some_and(|nulls| i64::try_from(nulls).ok() == Some(chunk.num_values()));
                if all_null {
                    // The groups above may be present in some rows: assume they are.
                    deepest = deepest.max(max_def - 1);
                } else {
                    holds_values = true;
                }
            }
        }
        kept[i] = holds_values;
        reach[i] = if holds_values { max_def } else { deepest };
    }

    // Optional and repeated groups with the range of leaves under them, deepest first.
    let mut groups = Vec::new();
    let mut next_leaf = 0;
    for field in schema.root_schema().get_fields() {
        collect_groups(field, 0, &mut next_leaf, &mut groups);
    }
    groups.sort_by_key(|g: &Group| std::cmp::Reverse(g.def_level));
    for group in &groups {
        let range = group.first_leaf..group.end_leaf;
        let present = range.clone().any(|i| reach[i] >= group.def_level);
        let witnessed = range.clone().any(|i| kept[i]);
        if present
            && !witnessed
            && let Some(witness) = range.max_by_key(|&i| (reach[i], std::cmp::Reverse(i)))
        {
            kept[witness] = true;
        }
    }

    let indices = kept.iter().enumerate().filter_map(|(i, &k)| k.then_some(i));
    ProjectionMask::leaves(schema, indices)
}

/// An optional or repeated group: present in a row when a leaf under it reaches `def_level`.
struct Group {
    def_level: i16,
    first_leaf: usize,
    end_leaf: usize,
}

fn collect_groups(node: &Type, parent_def: i16, next_leaf: &mut usize, out: &mut Vec<Group>) {
    let info = node.get_basic_info();
    let optional = info.has_repetition() && info.repetition() != Repetition::REQUIRED;
    let def_level = parent_def + i16::from(optional);
    if node.is_primitive() {
        *next_leaf += 1;
        return;
    }
    let first_leaf = *next_leaf;
    for child in node.get_fields() {
        collect_groups(child, def_level, next_leaf, out);
    }
    if optional {
        out.push(Group {
            def_level,
            first_leaf,
            end_leaf: *next_leaf,
        });
    }
}

/// `metadata` with every string column of the file read as Arrow `Utf8View` rather than `Utf8`.
///
/// A dictionary-encoded string column (the common case in Security Lake files: captions,
/// product names, hosts and users repeat) then decodes into 16-byte views of the dictionary
/// page, where `Utf8` copies every value into a new buffer. The decoders of this crate read
/// `Utf8`, `LargeUtf8` and `Utf8View` alike, so the events are the same, and
/// [`read_parquet`](crate::read_parquet) reads this way. Strings inside `Map` columns
/// (`unmapped`) keep their type. When the file's schema cannot be read with views (no string
/// column, or a type the `parquet` crate does not convert), `metadata` is returned unchanged.
///
/// ```
/// use arrow_schema::DataType;
/// use bytes::Bytes;
/// use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
/// use ocsf_model::columnar::ColumnarOptions;
/// use securitylake_parquet::{string_views, write_parquet};
/// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
/// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
///
/// let event = Authentication::new(AuthenticationActivityId::Logon,
///     Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, 1_000, User::default());
/// let bytes = Bytes::from(write_parquet(&[event], &ColumnarOptions::default())?);
/// let metadata = string_views(ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new())?);
/// let message = metadata.schema().field_with_name("message")?;
/// assert_eq!(message.data_type(), &DataType::Utf8View);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn string_views(metadata: ArrowReaderMetadata) -> ArrowReaderMetadata {
    let fields = metadata.schema().fields();
    let mut changed = false;
    let viewed: Vec<FieldRef> = fields
        .iter()
        .map(|f| match view_type(f.data_type()) {
            Some(t) => {
                changed = true;
                Arc::new(f.as_ref().clone().with_data_type(t))
            }
            None => f.clone(),
        })
        .collect();
    if !changed {
        return metadata;
    }
    let schema = Schema::new_with_metadata(viewed, metadata.schema().metadata().clone());
    let options = ArrowReaderOptions::new().with_schema(Arc::new(schema));
    ArrowReaderMetadata::try_new(metadata.metadata().clone(), options).unwrap_or(metadata)
}

/// The type of `t` with its strings as views (outside maps); `None` when nothing changes.
fn view_type(t: &DataType) -> Option<DataType> {
    let field = |f: &FieldRef| {
        view_type(f.data_type()).map(|t| Arc::new(f.as_ref().clone().with_data_type(t)))
    };
    match t {
        DataType::Utf8 | DataType::LargeUtf8 => Some(DataType::Utf8View),
        DataType::List(item) => field(item).map(DataType::List),
        DataType::LargeList(item) => field(item).map(DataType::LargeList),
        DataType::Struct(children) => {
            let viewed: Vec<Option<FieldRef>> = children.iter().map(field).collect();
            viewed.iter().any(Option::is_some).then(|| {
                let fields: Fields = children
                    .iter()
                    .zip(viewed)
                    .map(|(f, v)| v.unwrap_or_else(|| f.clone()))
                    .collect();
                DataType::Struct(fields)
            })
        }
        _ => None,
    }
}

//! The Security Lake Parquet rule book: every rule a file written for Amazon Security Lake
//! follows, in one type ([`ParquetRules`]). [`write_parquet`](crate::write_parquet), the
//! `securitylake-source` writer and `seclake lint` (for its limits) all read it.
//!
//! # The rules
//!
//! | rule | value | where it comes from |
//! |---|---|---|
//! | codec | ZSTD (level [`ParquetRules::ZSTD_LEVEL`]) | Security Lake prefers ZSTD |
//! | data pages | at most [`ParquetRules::MAX_DATA_PAGE_BYTES`] (1 MiB) uncompressed | Security Lake |
//! | row groups | at most [`ParquetRules::MAX_ROW_GROUP_BYTES`] (256 MiB) compressed; closed at [`ParquetRules::DEFAULT_ROW_GROUP_BYTES`] (128 MiB, encoded) unless a writer asks for less | Security Lake |
//! | files | at most [`ParquetRules::MAX_FILE_BYTES`] (256 MiB) | Security Lake |
//! | order | rows sorted by [`ParquetRules::SORT_COLUMN`] (`time`, INT64 epoch milliseconds) | Security Lake |
//! | lists | the standard 3-level LIST (element field `element`) | Parquet format; Athena |
//! | maps | `unmapped` as MAP<UTF8,UTF8> | Security Lake's own files |
//! | types | no Null-typed column, no empty struct | Glue / Athena |
//! | encodings | `time` / `time_dt` delta-encoded (sorted), other columns dictionary then plain | size |
//!
//! The schema rules (lists, maps, types) hold by construction for the schemas of
//! [`arrow_schema`](ocsf_model::columnar::arrow_schema); [`ParquetRules::check`] (used by `seclake lint`)
//! verifies every rule on any file.
//!
//! # How pages stay under 1 MiB (measured)
//!
//! parquet-rs 60 checks a page's size only after each *mini-batch* of values, and counts only
//! the values' bytes (not the definition and repetition levels). A mini-batch is
//! `write_batch_size` levels for columns with nulls or lists, but a whole
//! `data_page_row_count_limit` of rows for columns whose levels are uniform (no nulls in the
//! batch), cut into sub-batches whose length is fixed from the sizes of the values at the start
//! of the chunk. Short values followed by long ones therefore overshoot the byte limit by up to
//! a whole row limit of long values. With the former settings (limit 960 KiB, 20,000 rows per
//! page) 30,000 Authentication events with 400–2,000-byte messages had data pages of up to
//! 1,975,767 bytes. The settings bound every way a page grows, from the largest value, within
//! 1 MiB less 64 KiB left for levels:
//!
//! - the byte limit leaves a *slack* of a quarter of the page (or one whole declared value,
//!   [`ParquetRules::with_largest_value`], when values are larger);
//! - a mini-batch of `write_batch_size` values (columns with nulls or lists) adds at most 64 KiB;
//! - a column of uniform levels is written in mini-batches of a whole write call, so writers
//!   write through [`ParquetRules::write_batch`], which cuts each batch into calls of
//!   [`ParquetRules::rows_per_write`] rows: rows × the batch's largest value fit in the slack;
//! - pages hold at most 20,000 rows, whatever the column: an empty column's pages are not
//!   sized for other columns' values;
//! - above 4 KiB per value dictionaries are off (large values rarely repeat), per column when
//!   the batches are known ([`ParquetRules::writer_properties_for_batches`]).
//!
//! Until session 9 the row limit of every byte-array column was sized for the file's largest
//! value (about 120 rows per page at the default 4 KiB bound), so a wide file had thousands of
//! pages per empty column: page headers in the file and a large offset index for readers (see
//! `docs/adr/0020-parquet-rule-book.md`).
//!
//! A single value larger than the page itself cannot be split: such a value makes a page over
//! 1 MiB, which [`ParquetRules::check`] reports.

use std::collections::BTreeMap;

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;

/// The Security Lake Parquet rule book (see the [module documentation](self) for the rules).
///
/// The limits are associated constants; an instance carries the two facts a writer may vary:
/// the size at which it closes row groups (within the limit) and a bound on the largest value
/// it writes, from which the page settings follow.
///
/// ```
/// use securitylake_parquet::ParquetRules;
///
/// let rules = ParquetRules::new().with_largest_value(2_000);
/// let properties = rules.writer_properties();
/// assert!(properties.data_page_size_limit() < ParquetRules::MAX_DATA_PAGE_BYTES);
/// assert_eq!(properties.max_row_group_bytes(), Some(ParquetRules::DEFAULT_ROW_GROUP_BYTES));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParquetRules {
    row_group_bytes: usize,
    largest_value: u64,
}

impl Default for ParquetRules {
    fn default() -> Self {
        Self::new()
    }
}

/// The page settings of one file (see the [module documentation](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageSettings {
    /// The data (and dictionary) page byte limit given to parquet-rs.
    pub(crate) byte_limit: usize,
    /// Values per mini-batch for columns with nulls or lists (`write_batch_size`).
    pub(crate) write_batch: usize,
    /// What one mini-batch may add to a page past the byte limit, in bytes (the page less the
    /// byte limit): [`ParquetRules::write_batch`] cuts batches so that a mini-batch stays within
    /// it.
    pub(crate) slack: usize,
    /// Whether dictionary encoding is on.
    pub(crate) dictionary: bool,
}

impl ParquetRules {
    /// The largest data page, uncompressed: 1 MiB.
    pub const MAX_DATA_PAGE_BYTES: usize = 1024 * 1024;
    /// The largest row group, compressed: 256 MiB.
    pub const MAX_ROW_GROUP_BYTES: u64 = 256 * 1024 * 1024;
    /// The largest object: 256 MiB.
    pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
    /// The encoded size (parquet-rs's estimate, before compression) at which a row group is
    /// closed unless [`ParquetRules::with_row_group_bytes`] says otherwise: 128 MiB, so a row
    /// group stays under [`ParquetRules::MAX_ROW_GROUP_BYTES`] even if it did not compress.
    pub const DEFAULT_ROW_GROUP_BYTES: usize = 128 * 1024 * 1024;
    /// The ZSTD level.
    pub const ZSTD_LEVEL: i32 = 3;
    /// The column rows are sorted by: INT64 epoch milliseconds.
    pub const SORT_COLUMN: &'static str = "time";
    /// The bound on values that [`ParquetRules::new`] assumes: 4 KiB. Larger values need
    /// [`ParquetRules::with_largest_value`] to keep pages under the limit.
    pub const DEFAULT_LARGEST_VALUE: u64 = 4096;

    /// What parquet-rs leaves out of its page size estimate (definition and repetition levels),
    /// kept free in every page.
    const LEVELS_ALLOWANCE: usize = 64 * 1024;
    /// What one mini-batch may add to a page past its byte limit.
    const MINI_BATCH_BYTES: usize = 64 * 1024;
    /// Values per mini-batch at most.
    const MAX_WRITE_BATCH: usize = 64;
    /// Rows per page at most (fixed-width columns: 20,000 × 8 bytes).
    const MAX_PAGE_ROWS: usize = 20_000;

    /// The rules with the default row group size and value bound.
    pub const fn new() -> Self {
        Self {
            row_group_bytes: Self::DEFAULT_ROW_GROUP_BYTES,
            largest_value: Self::DEFAULT_LARGEST_VALUE,
        }
    }

    /// Closes row groups at `bytes` (encoded size), between 1 MiB and
    /// [`ParquetRules::MAX_ROW_GROUP_BYTES`] (clamped). A writer that streams a file chooses
    /// less than the default to bound the memory a row group holds.
    ///
    /// ```
    /// use securitylake_parquet::ParquetRules;
    /// let rules = ParquetRules::new().with_row_group_bytes(8 << 20);
    /// assert_eq!(rules.row_group_bytes(), 8 << 20);
    /// assert_eq!(ParquetRules::new().with_row_group_bytes(1 << 40).row_group_bytes(), 256 << 20);
    /// ```
    pub const fn with_row_group_bytes(mut self, bytes: usize) -> Self {
        let max = Self::MAX_ROW_GROUP_BYTES as usize;
        self.row_group_bytes = if bytes < Self::MAX_DATA_PAGE_BYTES {
            Self::MAX_DATA_PAGE_BYTES
        } else if bytes > max {
            max
        } else {
            bytes
        };
        self
    }

    /// Declares a bound on the largest value (a string's bytes; any bound, such as the length
    /// of an event's JSON, will do) the file will hold, from which the page settings follow.
    ///
    /// ```
    /// use securitylake_parquet::ParquetRules;
    /// let small = ParquetRules::new().with_largest_value(100).writer_properties();
    /// let large = ParquetRules::new().with_largest_value(500_000).writer_properties();
    /// assert!(large.data_page_size_limit() < small.data_page_size_limit());
    /// ```
    pub const fn with_largest_value(mut self, bytes: u64) -> Self {
        self.largest_value = bytes;
        self
    }

    /// The row group size in force.
    pub const fn row_group_bytes(&self) -> usize {
        self.row_group_bytes
    }

    /// The value bound in force.
    pub const fn largest_value(&self) -> u64 {
        self.largest_value
    }

    /// The compression codec: ZSTD at [`ParquetRules::ZSTD_LEVEL`].
    pub fn compression() -> Compression {
        Compression::ZSTD(ZstdLevel::try_new(Self::ZSTD_LEVEL).unwrap_or_default())
    }

    /// The page settings for the value bound (see the [module documentation](self)).
    pub(crate) fn page_settings(&self) -> PageSettings {
        // A value's plain encoding is its bytes and a 4-byte length.
        let value = usize::try_from(self.largest_value)
            .unwrap_or(usize::MAX)
            .saturating_add(4);
        let page = Self::MAX_DATA_PAGE_BYTES - Self::LEVELS_ALLOWANCE;
        // A quarter of the page is left for the last mini-batch, or one whole value when values
        // are larger than that (a value larger than the page cannot be split).
        let slack = (page / 4).max(value.min(page));
        let write_batch = (Self::MINI_BATCH_BYTES / value).clamp(1, Self::MAX_WRITE_BATCH);
        PageSettings {
            byte_limit: (page - slack).max(1),
            write_batch,
            slack,
            dictionary: self.largest_value <= Self::DEFAULT_LARGEST_VALUE,
        }
    }

    /// The rows of `batch` that one `ArrowWriter::write` call may take so that no page grows
    /// past the limit: a column without nulls is written in mini-batches of a whole write call
    /// (up to the page row limit), so a call's rows times the batch's largest value must fit
    /// in the slack the byte limit leaves.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use arrow_array::{RecordBatch, StringArray};
    /// use securitylake_parquet::ParquetRules;
    ///
    /// let long = Arc::new(StringArray::from(vec!["x".repeat(10_000); 100]));
    /// let batch = RecordBatch::try_from_iter([("message", long as _)])?;
    /// let rows = ParquetRules::new().with_largest_value(10_000).rows_per_write(&batch);
    /// assert!(rows < 100 && rows * 10_004 <= ParquetRules::MAX_DATA_PAGE_BYTES / 4);
    /// # Ok::<(), arrow_schema::ArrowError>(())
    /// ```
    pub fn rows_per_write(&self, batch: &RecordBatch) -> usize {
        self.rows_per_write_for(Self::largest_value_in(batch))
    }

    /// [`ParquetRules::rows_per_write`] for a batch whose largest value is `largest` bytes.
    fn rows_per_write_for(&self, largest: u64) -> usize {
        let value = usize::try_from(largest)
            .unwrap_or(usize::MAX)
            .saturating_add(4);
        (self.page_settings().slack / value).clamp(1, Self::MAX_PAGE_ROWS)
    }

    /// Writes `batch` through `writer` in slices of [`ParquetRules::rows_per_write`] rows (views,
    /// no copy). Every writer that writes by these rules writes its batches this way: the page
    /// limit holds whatever the mix of values, and no column gets pages smaller than the byte
    /// limit needs (an empty column's pages hold up to 20,000 rows).
    ///
    /// ```
    /// use ocsf_model::columnar::{BatchEncoder, ColumnarOptions};
    /// use securitylake_parquet::ParquetRules;
    /// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    /// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
    /// use parquet::arrow::ArrowWriter;
    ///
    /// let rules = ParquetRules::new();
    /// let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())?;
    /// encoder.append(&Authentication::new(AuthenticationActivityId::Logon,
    ///     Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, 1_000,
    ///     User::default()));
    /// let batch = encoder.finish()?;
    /// let mut out = Vec::new();
    /// let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(rules.writer_properties()))?;
    /// rules.write_batch(&mut writer, &batch)?;
    /// writer.close()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_batch<W: std::io::Write + Send>(
        &self,
        writer: &mut ArrowWriter<W>,
        batch: &RecordBatch,
    ) -> Result<(), ParquetError> {
        self.write_batch_with_largest(writer, batch, Self::largest_value_in(batch))
    }

    /// [`ParquetRules::write_batch`] for a batch whose largest value is known, at most
    /// `largest` bytes (a spool frame's header records it): the batch is not walked again to
    /// find it. A bound above the batch's value only makes the write calls smaller.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use arrow_array::{RecordBatch, StringArray};
    /// use parquet::arrow::ArrowWriter;
    /// use securitylake_parquet::ParquetRules;
    ///
    /// let column = Arc::new(StringArray::from(vec!["a", "four", "xyz"]));
    /// let batch = RecordBatch::try_from_iter([("message", column as _)])?;
    /// let largest = ParquetRules::largest_value_in(&batch);
    /// let rules = ParquetRules::new();
    /// let mut out = Vec::new();
    /// let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(rules.writer_properties()))?;
    /// rules.write_batch_with_largest(&mut writer, &batch, largest)?;
    /// assert_eq!(writer.close()?.file_metadata().num_rows(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_batch_with_largest<W: std::io::Write + Send>(
        &self,
        writer: &mut ArrowWriter<W>,
        batch: &RecordBatch,
        largest: u64,
    ) -> Result<(), ParquetError> {
        let step = self.rows_per_write_for(largest.max(8));
        if step >= batch.num_rows() {
            return writer.write(batch);
        }
        let mut offset = 0;
        while offset < batch.num_rows() {
            let len = step.min(batch.num_rows() - offset);
            writer.write(&batch.slice(offset, len))?;
            offset += len;
        }
        Ok(())
    }

    /// Writer properties by these rules, for any schema: ZSTD, the page byte limit from the
    /// value bound, at most 20,000 rows per page, row groups closed at
    /// [`ParquetRules::row_group_bytes`], column-chunk statistics, delta-encoded `time` and
    /// `time_dt`. Batches are written with [`ParquetRules::write_batch`].
    pub fn writer_properties(&self) -> WriterProperties {
        self.builder().build()
    }

    /// [`ParquetRules::writer_properties`]; the schema is not needed any more (pages are
    /// bounded by [`ParquetRules::write_batch`], whatever the column) and kept for callers.
    ///
    /// ```
    /// use ocsf_model::columnar::{ColumnarOptions, arrow_schema};
    /// use securitylake_parquet::ParquetRules;
    /// use ocsf_model::v1_1_0::events::Authentication;
    ///
    /// let schema = arrow_schema::<Authentication>(&ColumnarOptions::default())?;
    /// let rules = ParquetRules::new().with_largest_value(2_000);
    /// assert_eq!(
    ///     rules.writer_properties_for(&schema).data_page_size_limit(),
    ///     rules.writer_properties().data_page_size_limit()
    /// );
    /// # Ok::<(), ocsf_model::columnar::ColumnarError>(())
    /// ```
    pub fn writer_properties_for(&self, _schema: &Schema) -> WriterProperties {
        self.writer_properties()
    }

    /// [`ParquetRules::writer_properties`] with the dictionary of each byte-array column chosen
    /// from the largest value that column holds in `batches`: columns of short strings keep
    /// their dictionary beside a column of long ones. The batches must be all the file will
    /// hold.
    pub fn writer_properties_for_batches(
        &self,
        schema: &Schema,
        batches: &[RecordBatch],
    ) -> WriterProperties {
        let mut largest: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        for batch in batches {
            for (field, array) in schema.fields().iter().zip(batch.columns()) {
                byte_array_leaves(field, array, &mut Vec::new(), &mut largest);
            }
        }
        let mut builder = self.builder();
        for (path, bytes) in largest {
            builder = builder.set_column_dictionary_enabled(
                ColumnPath::new(path),
                bytes <= Self::DEFAULT_LARGEST_VALUE,
            );
        }
        builder.build()
    }

    fn builder(&self) -> parquet::file::properties::WriterPropertiesBuilder {
        let pages = self.page_settings();
        let mut builder = WriterProperties::builder();
        // Rows are sorted by `time`: delta encoding stores the sorted timestamps in a few bits
        // each, where a dictionary would store every distinct value.
        for column in [Self::SORT_COLUMN, "time_dt"] {
            let path = ColumnPath::from(column);
            builder = builder
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_encoding(path, Encoding::DELTA_BINARY_PACKED);
        }
        builder
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(Self::compression())
            .set_dictionary_enabled(pages.dictionary)
            .set_data_page_size_limit(pages.byte_limit)
            .set_dictionary_page_size_limit(pages.byte_limit)
            .set_write_batch_size(pages.write_batch)
            .set_data_page_row_count_limit(Self::MAX_PAGE_ROWS)
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_max_row_group_bytes(Some(self.row_group_bytes))
            .set_created_by(concat!("ocsf-model ", env!("CARGO_PKG_VERSION")).to_string())
    }

    /// Arrow writer options for a file of the class `class_name` (`authentication` or a path
    /// ending in it) with `properties` (one of the `writer_properties` methods): the root
    /// schema named after the class (as in Security Lake's own files), and no Arrow schema in
    /// the footer (hundreds of bytes per column that no reader of Security Lake data needs).
    pub fn arrow_writer_options(
        class_name: &str,
        properties: WriterProperties,
    ) -> ArrowWriterOptions {
        let root = class_name.rsplit('/').next().unwrap_or(class_name);
        ArrowWriterOptions::new()
            .with_properties(properties)
            .with_schema_root(root.to_owned())
            .with_skip_arrow_metadata(true)
    }

    /// The largest value of a batch, in bytes: the longest string (or binary value) of any
    /// column, nested ones included, or 8 for a batch of fixed-width columns. A bound for
    /// [`ParquetRules::with_largest_value`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use arrow_array::{RecordBatch, StringArray};
    /// use securitylake_parquet::ParquetRules;
    ///
    /// let column = Arc::new(StringArray::from(vec!["a", "four", "xyz"]));
    /// let batch = RecordBatch::try_from_iter([("message", column as _)])?;
    /// assert_eq!(ParquetRules::largest_value_in(&batch), 8);
    /// # Ok::<(), arrow_schema::ArrowError>(())
    /// ```
    pub fn largest_value_in(batch: &RecordBatch) -> u64 {
        Self::largest_value_given(
            batch
                .columns()
                .iter()
                .map(largest_value_of)
                .max()
                .unwrap_or(0),
        )
    }

    /// The largest value of a batch whose longest string or binary value is `longest` bytes
    /// (what [`ParquetRules::largest_value_in`] finds by scanning the batch): for a writer that
    /// kept the longest as it built the batch.
    ///
    /// ```
    /// use securitylake_parquet::ParquetRules;
    ///
    /// assert_eq!(ParquetRules::largest_value_given(300), 300);
    /// assert_eq!(ParquetRules::largest_value_given(3), 8);
    /// ```
    pub fn largest_value_given(longest: u64) -> u64 {
        // A fixed-width value takes up to 8 bytes.
        longest.max(8)
    }
}

/// The longest byte-array value of an array and its children. Walks the typed arrays (offsets
/// read in place, children borrowed): it runs on every spool frame, and building `ArrayData`
/// and offset vectors for each of hundreds of columns was 3.6% of the write path (profiled).
fn largest_value_of(array: &ArrayRef) -> u64 {
    use arrow_array::cast::AsArray;
    fn longest<O: arrow_array::OffsetSizeTrait>(offsets: &[O]) -> u64 {
        offsets
            .windows(2)
            .map(|w| (w[1] - w[0]).as_usize() as u64)
            .max()
            .unwrap_or(0)
    }
    let largest = |arrays: &mut dyn Iterator<Item = &ArrayRef>| {
        arrays.map(largest_value_of).max().unwrap_or(0)
    };
    match array.data_type() {
        DataType::Utf8 => longest(array.as_string::<i32>().value_offsets()),
        DataType::LargeUtf8 => longest(array.as_string::<i64>().value_offsets()),
        DataType::Binary => longest(array.as_binary::<i32>().value_offsets()),
        DataType::LargeBinary => longest(array.as_binary::<i64>().value_offsets()),
        DataType::Struct(_) => largest(&mut array.as_struct().columns().iter()),
        DataType::List(_) => largest_value_of(array.as_list::<i32>().values()),
        DataType::LargeList(_) => largest_value_of(array.as_list::<i64>().values()),
        DataType::Map(_, _) => {
            let map = array.as_map();
            largest(&mut [map.keys(), map.values()].into_iter())
        }
        // Any other nested type, through its generic children.
        _ => array
            .to_data()
            .child_data()
            .iter()
            .map(|child| largest_value_of(&arrow_array::make_array(child.clone())))
            .max()
            .unwrap_or(0),
    }
}

/// The largest value of each byte-array leaf under `field` (Parquet column paths).
fn byte_array_leaves(
    field: &Field,
    array: &ArrayRef,
    prefix: &mut Vec<String>,
    out: &mut BTreeMap<Vec<String>, u64>,
) {
    use arrow_array::cast::AsArray;
    prefix.push(field.name().clone());
    match (field.data_type(), array.data_type()) {
        (DataType::Struct(fields), DataType::Struct(_)) => {
            for (child, values) in fields.iter().zip(array.as_struct().columns()) {
                byte_array_leaves(child, values, prefix, out);
            }
        }
        (DataType::List(element), DataType::List(_)) => {
            prefix.push("list".to_owned());
            byte_array_leaves(element, array.as_list::<i32>().values(), prefix, out);
            prefix.pop();
        }
        (DataType::Map(entries, _), DataType::Map(_, _)) => {
            let entries_array: ArrayRef = std::sync::Arc::new(array.as_map().entries().clone());
            byte_array_leaves(entries, &entries_array, prefix, out);
        }
        (DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary, _) => {
            let bytes = largest_value_of(array);
            let entry = out.entry(prefix.clone()).or_insert(0);
            *entry = (*entry).max(bytes);
        }
        _ => {}
    }
    prefix.pop();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_a_page_grows_stays_within_the_limit() {
        let page = ParquetRules::MAX_DATA_PAGE_BYTES - ParquetRules::LEVELS_ALLOWANCE;
        for largest in [
            0u64, 1, 100, 400, 2_000, 2_048, 4_096, 4_097, 10_000, 65_532, 100_000, 300_000,
        ] {
            let s = ParquetRules::new()
                .with_largest_value(largest)
                .page_settings();
            let value = largest as usize + 4;
            assert!(s.byte_limit >= 1 && s.write_batch >= 1 && s.slack >= 1);
            // The byte limit plus the slack is the page.
            assert!(s.byte_limit + s.slack <= page, "{largest}");
            // A mini-batch of `write_batch` values (columns with nulls) fits in the slack.
            assert!(s.write_batch * value <= s.slack.max(value), "{largest}");
            // One whole value fits in the slack (up to the page).
            assert!(value.min(page) <= s.slack, "{largest}");
            assert_eq!(s.dictionary, largest <= 4096, "{largest}");
        }
        // Small values: most of a mebibyte per page.
        let s = ParquetRules::new().with_largest_value(100).page_settings();
        assert!(s.byte_limit >= 700 * 1024, "{s:?}");
    }

    /// A batch written with its largest value given is the file `write_batch` writes; a larger
    /// bound only cuts smaller write calls, and every page stays within the limit either way.
    #[test]
    fn a_given_largest_value_writes_what_a_computed_one_does() -> Result<(), ParquetError> {
        use arrow_array::StringArray;
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let values: Vec<String> = (0..600)
            .map(|i| "x".repeat(10 + (i * 37) % 9_000))
            .collect();
        let column = std::sync::Arc::new(StringArray::from(values));
        let batch = RecordBatch::try_from_iter([("message", column as ArrayRef)])?;
        let largest = ParquetRules::largest_value_in(&batch);
        let rules = ParquetRules::new().with_largest_value(largest);
        let write = |bound: Option<u64>| -> Result<Vec<u8>, ParquetError> {
            let mut out = Vec::new();
            let mut writer =
                ArrowWriter::try_new(&mut out, batch.schema(), Some(rules.writer_properties()))?;
            match bound {
                None => rules.write_batch(&mut writer, &batch)?,
                Some(bound) => rules.write_batch_with_largest(&mut writer, &batch, bound)?,
            }
            writer.close()?;
            Ok(out)
        };
        let computed = write(None)?;
        assert_eq!(write(Some(largest))?, computed);
        for bytes in [computed, write(Some(largest * 4))?] {
            let file = SerializedFileReader::new(bytes::Bytes::from(bytes))?;
            let group = file.get_row_group(0)?;
            let mut pages = group.get_column_page_reader(0)?;
            while let Some(page) = pages.get_next_page()? {
                assert!(page.buffer().len() <= ParquetRules::MAX_DATA_PAGE_BYTES);
            }
            assert_eq!(file.metadata().file_metadata().num_rows(), 600);
        }
        Ok(())
    }
}

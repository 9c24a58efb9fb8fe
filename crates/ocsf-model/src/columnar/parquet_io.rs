//! Parquet files that follow Amazon Security Lake's rules, and reading any Parquet back.

use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;

use super::decode::decode_batch_at;
use super::{
    BatchEncoder, Columnar, ColumnarError, ColumnarOptions, populated_columns, string_views,
    validate_pages,
};
use crate::OcsfEvent;

/// The largest uncompressed data page written (Security Lake: data pages <= 1 MB).
pub const MAX_DATA_PAGE_BYTES: usize = 1024 * 1024;

/// How far under [`MAX_DATA_PAGE_BYTES`] the writer aims, for the values written between two
/// page-size checks.
const PAGE_HEADROOM_BYTES: usize = 64 * 1024;

/// A row group is closed once its encoded size reaches this many bytes, well under Security
/// Lake's 256 MB (compressed) limit even before compression.
pub const MAX_ROW_GROUP_BYTES: usize = 128 * 1024 * 1024;

/// Rows encoded per Arrow batch while writing.
const BATCH_ROWS: usize = 8192;

/// Writer properties by Security Lake's rules: ZSTD, data pages and dictionary pages <= 1 MB,
/// row groups closed at [`MAX_ROW_GROUP_BYTES`], column-chunk statistics, and delta-encoded
/// `time` / `time_dt` (the rows are sorted by time).
pub fn writer_properties() -> WriterProperties {
    let mut builder = WriterProperties::builder();
    // Rows are sorted by `time`: delta encoding stores the sorted timestamps in a few bits each,
    // where a dictionary would store every distinct value.
    for column in ["time", "time_dt"] {
        let path = ColumnPath::from(column);
        builder = builder
            .set_column_dictionary_enabled(path.clone(), false)
            .set_column_encoding(path, Encoding::DELTA_BINARY_PACKED);
    }
    builder
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
        // The page size is checked after every write batch; small batches and headroom keep
        // every page under the limit even with long strings.
        .set_data_page_size_limit(MAX_DATA_PAGE_BYTES - PAGE_HEADROOM_BYTES)
        .set_write_batch_size(64)
        .set_dictionary_page_size_limit(MAX_DATA_PAGE_BYTES)
        .set_data_page_row_count_limit(20_000)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_max_row_group_bytes(Some(MAX_ROW_GROUP_BYTES))
        .set_created_by(concat!("ocsf-model ", env!("CARGO_PKG_VERSION")).to_string())
        .build()
}

/// Writes events of one class as one Parquet file: rows sorted by `time` (stable), the root
/// schema named after the class, ZSTD, bounded pages and row groups.
///
/// ```
/// # #[cfg(feature = "v1_1_0")] {
/// use ocsf_model::columnar::{ColumnarOptions, read_parquet, write_parquet};
/// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
/// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
///
/// let event = |time| {
///     let mut product = Product::default();
///     product.name = Some("sshd".into());
///     Authentication::new(AuthenticationActivityId::Logon, Metadata::new(product, "1.1.0".into()),
///         SeverityId::Low, time, User::default())
/// };
/// let bytes = write_parquet(&[event(2_000), event(1_000)], &ColumnarOptions::default())?;
/// let back: Vec<Authentication> = read_parquet(bytes.into())?;
/// assert_eq!(back.iter().map(|e| e.time).collect::<Vec<_>>(), [1_000, 2_000]);
/// # }
/// # Ok::<(), ocsf_model::columnar::ColumnarError>(())
/// ```
pub fn write_parquet<E: OcsfEvent + Columnar>(
    events: &[E],
    options: &ColumnarOptions,
) -> Result<Vec<u8>, ColumnarError> {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| events[i].time());
    let mut encoder = BatchEncoder::<E>::new(options)?;
    let root = E::CLASS_NAME
        .rsplit('/')
        .next()
        .unwrap_or(E::CLASS_NAME)
        .to_string();
    // The footer would otherwise carry the Arrow schema (IPC, base64) as well: hundreds of bytes
    // per column, and no reader of Security Lake data needs it (the Parquet schema is complete).
    let writer_options = ArrowWriterOptions::new()
        .with_properties(writer_properties())
        .with_schema_root(root)
        .with_skip_arrow_metadata(true);
    let mut out = Vec::new();
    let mut writer =
        ArrowWriter::try_new_with_options(&mut out, encoder.schema().clone(), writer_options)?;
    for chunk in order.chunks(BATCH_ROWS) {
        for &i in chunk {
            encoder.append(&events[i]);
        }
        writer.write(&encoder.finish()?)?;
    }
    writer.close()?;
    Ok(out)
}

/// Reads every row of a Parquet file into typed events of one class (GZIP, SNAPPY and ZSTD
/// pages; 2- and 3-level lists; see [`decode_batch`](super::decode_batch) for the tolerated differences).
///
/// Only the columns that hold values are read ([`populated_columns`]), strings as views of
/// their dictionary pages ([`string_views`]).
///
/// A corrupt file is an error, never a panic, and never an allocation that the file's bytes
/// cannot back: the sizes and counts in the page headers are checked first
/// ([`validate_pages`]; the `parquet_decode` fuzz target found a 6 KB file whose dictionary page
/// claims hundreds of millions of values). The `parquet` crate also panics on some malformed
/// pages (e.g. a division by zero in its dictionary decoder for a page that declares no values);
/// such a panic is caught here and returned as [`ColumnarError::Parquet`]. The process's panic
/// hook still runs (by default it prints the panic message to stderr).
pub fn read_parquet<E: Columnar>(bytes: Bytes) -> Result<Vec<E>, ColumnarError> {
    let mut events = Vec::new();
    read_parquet_into(bytes, &mut events)?;
    Ok(events)
}

/// Like [`read_parquet`], replacing the contents of `events` with the file's rows and reusing
/// the allocations of the events already there ([`decode_batch_reusing`](super::decode_batch_reusing)):
/// a consumer that reads file after file into one vector allocates little once the events have
/// taken their shape. On error, `events` holds a mix of old and new rows (every one a valid
/// event).
///
/// ```
/// # #[cfg(feature = "v1_1_0")] {
/// use ocsf_model::columnar::{ColumnarOptions, read_parquet_into, write_parquet};
/// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
/// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
///
/// let event = |time| Authentication::new(AuthenticationActivityId::Logon,
///     Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, time, User::default());
/// let files = [write_parquet(&[event(1), event(2)], &ColumnarOptions::default())?,
///              write_parquet(&[event(3)], &ColumnarOptions::default())?];
/// let mut events: Vec<Authentication> = Vec::new();
/// for file in files {
///     read_parquet_into(file.into(), &mut events)?;
/// }
/// assert_eq!(events.iter().map(|e| e.time).collect::<Vec<_>>(), [3]);
/// # }
/// # Ok::<(), ocsf_model::columnar::ColumnarError>(())
/// ```
pub fn read_parquet_into<E: Columnar>(
    bytes: Bytes,
    events: &mut Vec<E>,
) -> Result<(), ColumnarError> {
    // Last resort: the reader's internals cannot be validated up front. What outlives a caught
    // panic is the reader's output vector, whose events are each either an old or a newly
    // decoded value (the panics come from the Parquet reader, never from the middle of writing
    // an event), so asserting unwind safety is sound.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_parquet_unguarded(bytes, events)
    }))
    .unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Err(ColumnarError::Parquet(
            parquet::errors::ParquetError::General(format!(
                "corrupt Parquet file (the reader panicked: {detail})"
            )),
        ))
    })
}

/// [`read_parquet`] without the panic guard.
fn read_parquet_unguarded<E: Columnar>(
    bytes: Bytes,
    events: &mut Vec<E>,
) -> Result<(), ColumnarError> {
    let metadata = ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new())?;
    // The reader sizes buffers from the page headers' claims: check them against the bytes first.
    validate_pages(metadata.metadata(), &bytes)?;
    let builder =
        ParquetRecordBatchReaderBuilder::new_with_metadata(bytes.clone(), string_views(metadata));
    let projection = populated_columns(builder.metadata());
    let rows = usize::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let reader = builder.with_projection(projection).build()?;
    // The footer's row count is not trusted beyond a preallocation hint.
    events.reserve(rows.min(1 << 16).saturating_sub(events.len()));
    let mut end = 0;
    for batch in reader {
        end = decode_batch_at::<E>(&batch?, events, end)?;
    }
    events.truncate(end);
    Ok(())
}

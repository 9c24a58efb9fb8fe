//! Parquet files that follow Amazon Security Lake's rules, and reading any Parquet back.

use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};

use ocsf_model::OcsfEvent;
use ocsf_model::columnar::{BatchDecoder, BatchEncoder, Columnar, ColumnarError, ColumnarOptions};

use crate::{ParquetResultExt, ParquetRules, populated_columns, string_views, validate_pages};

/// Rows encoded per Arrow batch while writing.
const BATCH_ROWS: usize = 8192;

/// Writes events of one class as one Parquet file by the [`ParquetRules`]: rows sorted by `time`
/// (stable), the root schema named after the class, ZSTD, data pages within 1 MiB whatever the
/// length of the values, bounded row groups.
///
/// The events are encoded into Arrow batches first (held until the file is written: about the
/// size of the events' values), so that the page settings can follow the largest value
/// ([`ParquetRules::with_largest_value`]).
///
/// ```
/// use ocsf_model::columnar::ColumnarOptions;
/// use securitylake_parquet::{read_parquet, write_parquet};
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
/// # Ok::<(), ocsf_model::columnar::ColumnarError>(())
/// ```
pub fn write_parquet<E: OcsfEvent + Columnar>(
    events: &[E],
    options: &ColumnarOptions,
) -> Result<Vec<u8>, ColumnarError> {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| events[i].time());
    let mut encoder = BatchEncoder::<E>::new(options)?;
    let mut batches = Vec::with_capacity(order.len().div_ceil(BATCH_ROWS));
    let mut largest = 0;
    for chunk in order.chunks(BATCH_ROWS) {
        for &i in chunk {
            encoder.append(&events[i]);
        }
        let batch = encoder.finish()?;
        largest = largest.max(ParquetRules::largest_value_in(&batch));
        batches.push(batch);
    }
    let rules = ParquetRules::new().with_largest_value(largest);
    let writer_options = ParquetRules::arrow_writer_options(
        E::CLASS_NAME,
        rules.writer_properties_for_batches(encoder.schema(), &batches),
    );
    let mut out = Vec::new();
    let mut writer =
        ArrowWriter::try_new_with_options(&mut out, encoder.schema().clone(), writer_options)
            .pq()?;
    for batch in &batches {
        rules.write_batch(&mut writer, batch).pq()?;
    }
    writer.close().pq()?;
    Ok(out)
}

/// Reads every row of a Parquet file into typed events of one class (GZIP, SNAPPY and ZSTD
/// pages; 2- and 3-level lists; see [`decode_batch`](ocsf_model::columnar::decode_batch) for the tolerated differences).
///
/// Only the columns that hold values are read ([`populated_columns`]), strings as views of
/// their dictionary pages ([`string_views`]).
///
/// A corrupt file is an error, never a panic, and never an allocation that the file's bytes
/// cannot back: the sizes and counts in the page headers are checked first
/// ([`validate_pages`]; the `parquet_decode` fuzz target found a 6 KB file whose dictionary page
/// claims hundreds of millions of values). The `parquet` crate also panics on some malformed
/// pages (e.g. a division by zero in its dictionary decoder for a page that declares no values);
/// such a panic is caught here and returned as an error of kind [`ColumnarErrorKind::Parquet`](ocsf_model::columnar::ColumnarErrorKind::Parquet). The process's panic
/// hook still runs (by default it prints the panic message to stderr).
pub fn read_parquet<E: Columnar>(bytes: Bytes) -> Result<Vec<E>, ColumnarError> {
    let mut events = Vec::new();
    read_parquet_into(bytes, &mut events)?;
    Ok(events)
}

/// Like [`read_parquet`], replacing the contents of `events` with the file's rows and reusing
/// the allocations of the events already there ([`decode_batch_reusing`](ocsf_model::columnar::decode_batch_reusing)):
/// a consumer that reads file after file into one vector allocates little once the events have
/// taken their shape. On error, `events` holds a mix of old and new rows (every one a valid
/// event).
///
/// ```
/// use ocsf_model::columnar::ColumnarOptions;
/// use securitylake_parquet::{read_parquet_into, write_parquet};
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
        Err(ColumnarError::corrupt(format_args!(
            "the reader panicked: {detail}"
        )))
    })
}

/// [`read_parquet`] without the panic guard.
fn read_parquet_unguarded<E: Columnar>(
    bytes: Bytes,
    events: &mut Vec<E>,
) -> Result<(), ColumnarError> {
    let metadata = ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new()).pq()?;
    // The reader sizes buffers from the page headers' claims: check them against the bytes first.
    validate_pages(metadata.metadata(), &bytes)?;
    let builder =
        ParquetRecordBatchReaderBuilder::new_with_metadata(bytes.clone(), string_views(metadata));
    let projection = populated_columns(builder.metadata());
    let rows = usize::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let reader = builder.with_projection(projection).build().pq()?;
    // The footer's row count is not trusted beyond a preallocation hint.
    events.reserve(rows.min(1 << 16).saturating_sub(events.len()));
    let mut decoder = BatchDecoder::<E>::new();
    let mut end = 0;
    for batch in reader {
        end = decoder.decode_at(&batch?, events, end)?;
    }
    events.truncate(end);
    Ok(())
}

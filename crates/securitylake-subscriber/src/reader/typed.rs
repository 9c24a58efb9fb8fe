//! Typed reads: the Arrow batches of an object decoded into OCSF events of one class, on the
//! caller's task, where the Parquet pages were just decompressed (ADR 0219: decoding on other
//! threads cost 1.2-1.7x the CPU time for little or no gain in wall time).

use arrow_array::RecordBatch;
use futures::StreamExt;
use ocsf_model::OcsfEvent;
use ocsf_model::columnar::BatchDecoder;

use super::{BatchStream, EventStream};
use crate::error::Result;

/// The rows of `batches` decoded by `decode`, a vector per batch.
pub(crate) fn decoded_stream<T: Send + 'static>(
    batches: BatchStream,
    decode: fn(&RecordBatch) -> Result<Vec<T>>,
) -> EventStream<T> {
    EventStream::from_stream(batches.map(move |batch| decode(&batch?)))
}

/// The typed events of one object, batch by batch, decoded into vectors of events that are
/// reused from batch to batch (from [`ObjectReader::typed_batches`](super::ObjectReader::typed_batches)).
///
/// ```no_run
/// # async fn run(reader: securitylake_subscriber::reader::ObjectReader)
/// # -> Result<(), securitylake_subscriber::Error> {
/// use ocsf_model::v1_1_0::events::Authentication;
///
/// let mut batches = reader.typed_batches::<Authentication>()?;
/// let mut events = Vec::new();
/// while batches.next_into(&mut events).await? {
///     for event in &events {
///         println!("{:?}", event.user.as_ref().and_then(|u| u.name.as_deref()));
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct TypedBatches<E> {
    batches: BatchStream,
    /// Keeps what one batch's events gave up for the next batch.
    decoder: BatchDecoder<E>,
}

impl<E: OcsfEvent> TypedBatches<E> {
    pub(crate) fn new(batches: BatchStream) -> Self {
        Self {
            batches,
            decoder: BatchDecoder::new(),
        }
    }

    /// Replaces the contents of `events` with the next batch's rows, reusing the events already
    /// there ([`BatchDecoder::decode_reusing`], with the values earlier batches' events gave up):
    /// a long read allocates little once the events have taken their shape. Returns `false`, leaving `events` as it was, once the object has no more
    /// rows.
    pub async fn next_into(&mut self, events: &mut Vec<E>) -> Result<bool> {
        match self.batches.next().await {
            None => Ok(false),
            Some(batch) => {
                self.decoder.decode_reusing(&batch?, events)?;
                Ok(true)
            }
        }
    }
}

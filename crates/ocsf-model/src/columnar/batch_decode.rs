//! The entry points of decoding: a batch's rows into typed events, fresh or in place.

use std::marker::PhantomData;

use arrow_array::RecordBatch;

use super::decode::decode_rows_at;
use super::spares::SpareTree;
use super::{Columnar, ColumnarError};

/// Decodes batch after batch of one class into reused events, keeping what a batch's events
/// gave up for the next batch.
///
/// Decoding in place overwrites an event's strings, boxed objects and lists with the next row's.
/// Where a row lacks a value its slot held (a null string, an absent object, a shorter list),
/// the value is kept aside, and a later row that has one takes it back instead of allocating.
/// The free functions ([`decode_batch_reusing`], [`decode_batch_at`]) keep those values for one
/// batch only, so every batch starts without any; a `BatchDecoder` keeps them for the next
/// batch too, so a long read of rows whose shape varies stops allocating once it has seen the
/// largest shape. The events and the kept values together never hold more values than the
/// events held at one time.
///
/// ```
/// # #[cfg(feature = "v1_1_0")] {
/// use ocsf_model::columnar::{BatchDecoder, BatchEncoder, ColumnarOptions, decode_batch};
/// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
/// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
///
/// let event = |time, name: Option<&str>| {
///     let mut user = User::default();
///     user.name = name.map(Into::into);
///     Authentication::new(AuthenticationActivityId::Logon,
///         Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, time, user)
/// };
/// let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())?;
/// encoder.append(&event(1, Some("alice")));
/// let named = encoder.finish()?;
/// encoder.append(&event(2, None));
/// let unnamed = encoder.finish()?;
///
/// let mut decoder = BatchDecoder::<Authentication>::new();
/// let mut events = Vec::new();
/// decoder.decode_reusing(&named, &mut events)?;
/// decoder.decode_reusing(&unnamed, &mut events)?; // the name's string is kept aside
/// decoder.decode_reusing(&named, &mut events)?; // and taken back here
/// assert_eq!(events, decode_batch::<Authentication>(&named)?);
/// # }
/// # Ok::<(), ocsf_model::columnar::ColumnarError>(())
/// ```
pub struct BatchDecoder<E> {
    spares: SpareTree,
    class: PhantomData<fn() -> E>,
}

impl<E: Columnar> BatchDecoder<E> {
    /// A decoder that has kept nothing yet.
    ///
    /// ```
    /// # #[cfg(feature = "v1_1_0")] {
    /// let decoder = ocsf_model::columnar::BatchDecoder::<
    ///     ocsf_model::v1_1_0::events::Authentication>::new();
    /// # let _ = decoder; }
    /// ```
    pub fn new() -> Self {
        Self {
            spares: SpareTree::default(),
            class: PhantomData,
        }
    }

    /// [`decode_batch_reusing`], with the values kept from earlier batches: replaces the contents
    /// of `events` with the rows of `batch`. On error, `events` holds a mix of old and new rows.
    ///
    /// ```
    /// # #[cfg(feature = "v1_1_0")] {
    /// use ocsf_model::columnar::{BatchDecoder, BatchEncoder, ColumnarOptions};
    /// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    /// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
    ///
    /// let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())?;
    /// encoder.append(&Authentication::new(AuthenticationActivityId::Logon,
    ///     Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, 7, User::default()));
    /// let batch = encoder.finish()?;
    /// let mut events = Vec::new();
    /// BatchDecoder::<Authentication>::new().decode_reusing(&batch, &mut events)?;
    /// assert_eq!(events[0].time, 7);
    /// # }
    /// # Ok::<(), ocsf_model::columnar::ColumnarError>(())
    /// ```
    pub fn decode_reusing(
        &mut self,
        batch: &RecordBatch,
        events: &mut Vec<E>,
    ) -> Result<(), ColumnarError> {
        let end = self.decode_at(batch, events, 0)?;
        events.truncate(end);
        Ok(())
    }

    /// [`decode_batch_at`], with the values kept from earlier batches: decodes the rows of
    /// `batch` over `events[start..]` and returns the index after the last row.
    ///
    /// ```
    /// # #[cfg(feature = "v1_1_0")] {
    /// use ocsf_model::columnar::{BatchDecoder, BatchEncoder, ColumnarOptions};
    /// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    /// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
    ///
    /// let event = |time| Authentication::new(AuthenticationActivityId::Logon,
    ///     Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, time, User::default());
    /// let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())?;
    /// encoder.append(&event(1));
    /// let first = encoder.finish()?;
    /// encoder.append(&event(2));
    /// let second = encoder.finish()?;
    ///
    /// let mut decoder = BatchDecoder::new();
    /// let mut events: Vec<Authentication> = Vec::new();
    /// let end = decoder.decode_at(&first, &mut events, 0)?;
    /// let end = decoder.decode_at(&second, &mut events, end)?;
    /// assert_eq!(end, 2);
    /// # }
    /// # Ok::<(), ocsf_model::columnar::ColumnarError>(())
    /// ```
    pub fn decode_at(
        &mut self,
        batch: &RecordBatch,
        events: &mut Vec<E>,
        start: usize,
    ) -> Result<usize, ColumnarError> {
        decode_rows_at(batch, events, start, &mut self.spares)
    }
}

impl<E: Columnar> Default for BatchDecoder<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> std::fmt::Debug for BatchDecoder<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchDecoder").finish_non_exhaustive()
    }
}

/// Decodes every row of a batch into typed events of one class.
///
/// Columns the class does not define are kept in each event's `unknown` map; columns it defines
/// but the batch lacks are absent attributes.
pub fn decode_batch<E: Columnar>(batch: &RecordBatch) -> Result<Vec<E>, ColumnarError> {
    let mut out = Vec::with_capacity(batch.num_rows());
    decode_batch_into(batch, &mut out)?;
    Ok(out)
}

/// Like [`decode_batch`], appending to `out` (no intermediate vector when a reader collects
/// the rows of many batches). On error, `out` keeps the rows decoded before the failing one.
pub fn decode_batch_into<E: Columnar>(
    batch: &RecordBatch,
    out: &mut Vec<E>,
) -> Result<(), ColumnarError> {
    decode_batch_at(batch, out, out.len()).map(|_| ())
}

/// Replaces the contents of `events` with the rows of `batch`, reusing the allocations of the
/// events already there (a reader of many batches keeps a [`BatchDecoder`], which also keeps
/// the values a batch's events gave up for the next batch): the first `events.len()` rows are decoded in place
/// ([`Columnar::decode_into`]: strings, boxed objects and lists overwritten), the rest are
/// appended, and events beyond the batch's rows are dropped. A reader that decodes batch after
/// batch into the same vector allocates little once the events have taken their shape.
///
/// The result equals [`decode_batch`] of the same batch. On error, `events` holds a mix of the
/// old and the new rows.
///
/// ```
/// # #[cfg(feature = "v1_1_0")] {
/// use ocsf_model::columnar::{BatchEncoder, ColumnarOptions, decode_batch, decode_batch_reusing};
/// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
/// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
///
/// let event = |time, name: &str| {
///     let mut user = User::default();
///     user.name = Some(name.into());
///     Authentication::new(AuthenticationActivityId::Logon,
///         Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, time, user)
/// };
/// let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())?;
/// encoder.append(&event(1_000, "alice"));
/// encoder.append(&event(2_000, "bob"));
/// let first = encoder.finish()?;
/// encoder.append(&event(3_000, "carol"));
/// let second = encoder.finish()?;
///
/// let mut events: Vec<Authentication> = Vec::new();
/// decode_batch_reusing(&first, &mut events)?;
/// assert_eq!(events.len(), 2);
/// decode_batch_reusing(&second, &mut events)?; // reuses the first event's strings and boxes
/// assert_eq!(events, decode_batch::<Authentication>(&second)?);
/// # }
/// # Ok::<(), ocsf_model::columnar::ColumnarError>(())
/// ```
pub fn decode_batch_reusing<E: Columnar>(
    batch: &RecordBatch,
    events: &mut Vec<E>,
) -> Result<(), ColumnarError> {
    BatchDecoder::new().decode_reusing(batch, events)
}

/// Decodes the rows of `batch` over `events[start..]`, reusing the events there and appending
/// the rest; returns the index after the last row. Events beyond it are left alone: a reader
/// decodes the batches of one file one after the other into one reused vector, then truncates
/// it to the last index.
///
/// ```
/// # #[cfg(feature = "v1_1_0")] {
/// use ocsf_model::columnar::{BatchEncoder, ColumnarOptions, decode_batch_at};
/// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
/// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
///
/// let event = |time| Authentication::new(AuthenticationActivityId::Logon,
///     Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, time, User::default());
/// let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())?;
/// encoder.append(&event(1));
/// let first = encoder.finish()?;
/// encoder.append(&event(2));
/// encoder.append(&event(3));
/// let second = encoder.finish()?;
///
/// let mut events: Vec<Authentication> = Vec::new();
/// let end = decode_batch_at(&first, &mut events, 0)?;
/// let end = decode_batch_at(&second, &mut events, end)?;
/// events.truncate(end);
/// assert_eq!(events.iter().map(|e| e.time).collect::<Vec<_>>(), [1, 2, 3]);
/// # }
/// # Ok::<(), ocsf_model::columnar::ColumnarError>(())
/// ```
pub fn decode_batch_at<E: Columnar>(
    batch: &RecordBatch,
    events: &mut Vec<E>,
    start: usize,
) -> Result<usize, ColumnarError> {
    decode_rows_at(batch, events, start, &mut SpareTree::default())
}

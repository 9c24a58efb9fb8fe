//! Events encoded into columns before they reach the writer: an
//! [`EventEncoder`] runs wherever the events are made (a mapping thread,
//! while each event is still in that core's cache), and
//! [`Writer::write_encoded`] places its [`EncodedEvents`] as they are: each
//! run of rows that fits its partition's open segment becomes a spool frame
//! without being encoded again (docs/adr/0218).

use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::Arc;

use arrow_array::{RecordBatch, UInt32Array};
use ocsf_model::OcsfEvent;
use ocsf_model::columnar::{BatchEncoder, ColumnarOptions, EncodeStats};
use securitylake_core::layout::PartitionKey;

use super::early::EARLY_WAIT_BYTES;
use super::frames;
use super::open_wal::{FRAME_BYTES, FRAME_ROWS};
use super::{Writer, in_batch};
use crate::error::{Error, ErrorKind, Result};

/// The milliseconds of a day: a partition is a UTC day.
const DAY_MILLIS: i64 = 86_400_000;

/// Encodes events of one class into columns, on any thread, for
/// [`Writer::write_encoded`]: each event is encoded once, where it is
/// appended, and its encoded size is kept with it (the writer sizes files
/// from it).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
///
/// use securitylake_core::object_store::memory::InMemory;
/// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
/// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
/// use securitylake_core::layout::SourceLocation;
/// use securitylake_source::writer::{EventEncoder, Writer, WriterConfig};
///
/// let spool = tempfile::tempdir()?;
/// let config = WriterConfig::builder()
///     .location(SourceLocation::parse("s3://aws-security-data-lake-us-east-1-x/ext/app/1.0/")?)
///     .region("us-east-1")
///     .account_id("123456789012")
///     .store(Arc::new(InMemory::new()))
///     .spool_dir(spool.path())
///     .build()?;
/// let mut writer = Writer::<Authentication>::open(config).await?;
///
/// // On another thread, for instance: the encoder is `Send`.
/// let mut encoder: EventEncoder<Authentication> = writer.encoder();
/// let mut event = Authentication::new(
///     AuthenticationActivityId::Logon,
///     Metadata::new(Product::default(), "1.1.0".into()),
///     SeverityId::Low,
///     1_700_000_000_000,
///     User::default(),
/// );
/// for user in ["alice", "bob"] {
///     event.message = Some(format!("{user} logged on"));
///     encoder.append(&event); // encoded now: the event may be overwritten
/// }
/// let encoded = encoder.finish()?;
/// assert_eq!(encoded.len(), 2);
///
/// writer.write_encoded(&encoded).await?;
/// assert_eq!(writer.close().await?.rows(), 2);
/// # Ok(())
/// # }
/// ```
pub struct EventEncoder<E: OcsfEvent> {
    encoder: BatchEncoder<E>,
    /// The encoded bytes of each row of the open batch.
    sizes: Vec<u64>,
    /// The encoder's counters when the last batch was finished.
    carried: EncodeStats,
}

impl<E: OcsfEvent> std::fmt::Debug for EventEncoder<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventEncoder")
            .field("class", &E::CLASS_NAME)
            .field("rows", &self.sizes.len())
            .finish_non_exhaustive()
    }
}

impl<E: OcsfEvent> EventEncoder<E> {
    /// An encoder of the columns `options` select ([`Writer::encoder`] makes
    /// one with the writer's own options). Fails with
    /// [`ErrorKind::InvalidInput`] when the options do not fit the class.
    pub fn new(options: &ColumnarOptions) -> Result<Self> {
        let encoder = BatchEncoder::<E>::new(options)
            .map_err(|e| Error::invalid_input(format!("columnar options: {e}")).with_source(e))?;
        Ok(Self::with(encoder))
    }

    fn with(encoder: BatchEncoder<E>) -> Self {
        Self {
            encoder,
            sizes: Vec::new(),
            carried: EncodeStats::default(),
        }
    }

    /// Another encoder of the same columns, with nothing appended.
    pub fn new_like(&self) -> Self {
        Self::with(self.encoder.new_like())
    }

    /// Encodes `event` (the caller keeps it, and may overwrite it for the
    /// next one).
    pub fn append(&mut self, event: &E) {
        let size = self.encoder.append_sized(event);
        self.sizes.push(size);
    }

    /// The events appended since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.sizes.len()
    }

    /// Whether no event was appended since the last [`finish`](Self::finish).
    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }

    /// The events appended so far, as one batch; the encoder starts a new
    /// one (its buffers kept).
    pub fn finish(&mut self) -> Result<EncodedEvents<E>> {
        let longest = self.encoder.longest_value() as u64;
        let batch = self.encoder.finish().map_err(|e| {
            Error::invalid_input(format!("encode {}: {e}", E::CLASS_NAME)).with_source(e)
        })?;
        let total = self.encoder.stats();
        let stats = total.saturating_sub(self.carried);
        self.carried = total;
        let sizes = std::mem::replace(&mut self.sizes, Vec::with_capacity(batch.num_rows()));
        Ok(EncodedEvents {
            batch,
            sizes,
            stats,
            longest,
            class: PhantomData,
        })
    }
}

/// Events of `E` encoded by an [`EventEncoder`]: their columns, and the
/// encoded size of each.
pub struct EncodedEvents<E: OcsfEvent> {
    batch: RecordBatch,
    sizes: Vec<u64>,
    stats: EncodeStats,
    /// The bytes of the batch's longest string value (kept by the encoder):
    /// a bound for any part of the batch.
    longest: u64,
    class: PhantomData<fn() -> E>,
}

impl<E: OcsfEvent> std::fmt::Debug for EncodedEvents<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodedEvents")
            .field("class", &E::CLASS_NAME)
            .field("rows", &self.sizes.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<E: OcsfEvent> EncodedEvents<E> {
    /// The number of events.
    pub fn len(&self) -> usize {
        self.sizes.len()
    }

    /// Whether there is no event.
    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }

    /// The events' columns.
    pub fn batch(&self) -> &RecordBatch {
        &self.batch
    }

    /// What the encoding could not represent.
    pub fn stats(&self) -> EncodeStats {
        self.stats
    }
}

/// The rows of one partition of an [`EncodedEvents`].
struct PartitionRows {
    partition: PartitionKey,
    /// The rows, or `None` for all of them.
    rows: Option<Vec<u32>>,
}

impl<E: OcsfEvent> Writer<E> {
    /// An encoder of this writer's columns, for [`Writer::write_encoded`]
    /// (make one per thread; see [`EventEncoder`]).
    pub fn encoder(&self) -> EventEncoder<E> {
        self.proto.new_like()
    }

    /// Accepts events encoded by an [`EventEncoder`] as
    /// [`Writer::write_batch`] accepts events: every time is checked first
    /// (one bad time rejects the whole batch, nothing written); then the
    /// rows go to their partitions' open segments without another encoding,
    /// each run of rows that fits one segment as one frame; each touched
    /// spool file gets one fsync (group commit). Rolls, backpressure, errors
    /// and a dropped future behave as in [`Writer::write_batch`]; an event
    /// too large for a file stops the batch, the events before it accepted.
    ///
    /// Fails with [`ErrorKind::InvalidInput`] when the batch's columns are
    /// not this writer's (an encoder made with other options).
    pub async fn write_encoded(&mut self, events: &EncodedEvents<E>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let ours = self.proto.encoder.schema();
        let theirs = events.batch.schema();
        if !Arc::ptr_eq(&theirs, ours) && theirs != *ours {
            return Err(Error::invalid_input(format!(
                "the encoded {} events do not have this writer's columns (an encoder made with other options)",
                E::CLASS_NAME
            )));
        }
        let times = frames::times(&events.batch)?.clone();
        let groups = self.partition_rows(times.values())?;
        self.roll_aged().await?;
        self.progress().await?;
        let mut touched: Vec<PartitionKey> = Vec::new();
        let mut accepted = 0;
        let mut stats = Some(events.stats);
        for group in groups {
            let (batch, sizes): (RecordBatch, Cow<'_, [u64]>) = match &group.rows {
                None => (events.batch.clone(), Cow::Borrowed(&events.sizes)),
                Some(rows) => {
                    let taken = arrow_select::take::take_record_batch(
                        &events.batch,
                        &UInt32Array::from(rows.clone()),
                    )
                    .map_err(|e| {
                        Error::new(ErrorKind::Io, format!("split a batch by partition: {e}"))
                            .with_source(e)
                    })?;
                    let sizes = rows.iter().map(|&r| events.sizes[r as usize]).collect();
                    (taken, Cow::Owned(sizes))
                }
            };
            let placed = self
                .place_rows(
                    &group.partition,
                    &batch,
                    events.longest,
                    &sizes,
                    &mut stats,
                    &touched,
                )
                .await;
            touched.push(group.partition);
            match placed {
                Ok((rows, None)) => accepted += rows,
                Ok((rows, Some(err))) => {
                    accepted += rows;
                    self.cut_and_commit(&touched)?;
                    let context = format!("an event of the batch, after accepting {accepted}");
                    return Err(in_batch(context, err));
                }
                Err(err) => {
                    let context = format!("after accepting {accepted} events of the batch");
                    return Err(in_batch(context, err));
                }
            }
        }
        self.cut_and_commit(&touched)
    }

    /// Checks every time of a batch (as [`Writer::write`] checks an
    /// event's) and groups the rows by partition, in the order partitions
    /// first appear.
    fn partition_rows(&self, times: &[i64]) -> Result<Vec<PartitionRows>> {
        let now = self.config.clock.now_millis();
        let mut days: Vec<i64> = Vec::new();
        for (i, &time) in times.iter().enumerate() {
            self.check_time(time, now)
                .map_err(|e| in_batch(format!("event {i} of the batch"), e))?;
            if !days.contains(&(time / DAY_MILLIS)) {
                days.push(time / DAY_MILLIS);
            }
        }
        // Row lists only when the batch spans days (a batch of one day is
        // placed whole).
        let mut rows: Vec<Vec<u32>> = vec![Vec::new(); if days.len() > 1 { days.len() } else { 0 }];
        if !rows.is_empty() {
            let batch_rows = u32::try_from(times.len())
                .map_err(|_| Error::invalid_input("a batch of more than 2^32 events".to_owned()))?;
            for (row, &time) in (0..batch_rows).zip(times) {
                let day = days
                    .iter()
                    .position(|&d| d == time / DAY_MILLIS)
                    .unwrap_or(0);
                rows[day].push(row);
            }
        }
        let mut rows = rows.into_iter();
        days.into_iter()
            .map(|day| {
                let partition = PartitionKey::for_event_time(
                    self.config.region.clone(),
                    self.config.account_id.clone(),
                    day * DAY_MILLIS,
                )?;
                Ok(PartitionRows {
                    partition,
                    rows: rows.next(),
                })
            })
            .collect()
    }

    /// Places the rows of one partition: each run that fits the open
    /// segment (and a frame) is appended as a frame; when the segment must
    /// roll or the memory bound is reached, room is made as for an event.
    /// Returns the rows kept and, when a row is too large for any file, its
    /// error (the rows after it are not placed). `stats` goes with the first
    /// frame.
    async fn place_rows(
        &mut self,
        partition: &PartitionKey,
        batch: &RecordBatch,
        longest: u64,
        sizes: &[u64],
        stats: &mut Option<EncodeStats>,
        touched: &[PartitionKey],
    ) -> Result<(usize, Option<Error>)> {
        let times = frames::times(batch)?.clone();
        let times = times.values();
        let room = self.segments.limits().room();
        let mut start = 0;
        while start < sizes.len() {
            if self.early.queued.load(std::sync::atomic::Ordering::Relaxed) > EARLY_WAIT_BYTES {
                // As for an event: wait for the encoder thread rather than
                // let the frames it seals while open pile up.
                self.encoder.run(|| ()).await?;
            }
            let (mut end, mut stored, mut encoded) = (start, 0u64, 0u64);
            let mut stop = None;
            while end < sizes.len() && end - start < FRAME_ROWS && stored < FRAME_BYTES {
                let size = self.sizing.stored(sizes[end]);
                if size > room {
                    stop = Some(Err(Error::invalid_input(format!(
                        "an event of {size} bytes does not fit in one file or in `max_buffered_bytes` ({room} bytes)"
                    ))));
                    break;
                }
                if self.segments.needs_roll(partition, stored + size)
                    || self.stats.buffered_bytes + stored + size > self.config.max_buffered_bytes
                {
                    stop = Some(Ok(size));
                    break;
                }
                stored += size;
                encoded += sizes[end];
                end += 1;
            }
            if end > start {
                let rows = batch.slice(start, end - start);
                let frame = Run {
                    rows: &rows,
                    times: &times[start..end],
                    sizes: &sizes[start..end],
                    stats: stats.take().unwrap_or_default(),
                    encoded,
                    stored,
                    longest,
                };
                self.keep_run(partition, frame)?;
                start = end;
            }
            match stop {
                None => {}
                Some(Err(too_large)) => return Ok((start, Some(too_large))),
                Some(Ok(size)) => {
                    let mut durable = touched.to_vec();
                    durable.push(partition.clone());
                    self.commit_all(&durable)?;
                    self.make_room(partition, size, size).await?;
                }
            }
        }
        Ok((start, None))
    }

    /// Appends a run of rows to `partition`'s segment (opened if it has
    /// none) as one frame, and counts them as accepted.
    fn keep_run(&mut self, partition: &PartitionKey, run: Run<'_>) -> Result<()> {
        let first = run.times.first().copied().unwrap_or(0);
        let sizing = self.sizing;
        let segment = self.open_segment(partition, first)?;
        segment
            .spool
            .append_encoded(run.rows, run.stats, run.encoded, run.stored, run.longest)?;
        for (&time, &encoded) in run.times.iter().zip(run.sizes) {
            segment.push(time, sizing.stored(encoded), encoded);
        }
        self.stats.buffered_bytes += run.stored;
        self.stats.peak_buffered_bytes = self
            .stats
            .peak_buffered_bytes
            .max(self.stats.buffered_bytes);
        self.stats.events_accepted += run.sizes.len() as u64;
        Ok(())
    }
}

/// A run of rows placed as one frame.
struct Run<'a> {
    rows: &'a RecordBatch,
    times: &'a [i64],
    /// The encoded bytes of each row.
    sizes: &'a [u64],
    stats: EncodeStats,
    /// The sum of `sizes`.
    encoded: u64,
    /// What the rows are accounted at (their estimated stored bytes).
    stored: u64,
    /// A bound on the rows' longest string value (their batch's).
    longest: u64,
}

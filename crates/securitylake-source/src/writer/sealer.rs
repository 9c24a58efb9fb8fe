//! The sealer: turns a segment's spooled events into Security Lake Parquet
//! through the one rule book ([`ParquetRules`]), on the writer's encoder
//! thread, off the async executor.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ocsf_model::OcsfEvent;
use ocsf_model::columnar::{BatchEncoder, ColumnarError, ColumnarOptions, EncodeStats};
use securitylake_core::layout::PartitionKey;
#[cfg(doc)]
use securitylake_parquet::ParquetRules;

use super::merge::RunWriter;
use super::segments::{Segment, Slot};
use crate::error::{Error, ErrorKind, Result};
use crate::record;
use crate::spool::{self, RecordReader, SealFile};

/// Segments encoded in the background at most: starting another seal first
/// waits for the oldest (it bounds the encoder's memory and work queue).
pub(super) const MAX_SEALING: usize = 1;

/// Encodes one segment into its sealed file. The writer seals with
/// [`ParquetSealer`]; the crate's tests wrap it in doubles that hold or fail
/// an encoding.
pub(super) trait SealSegment<E>: Send + Sync {
    /// Encodes the events of the write-ahead file at `wal` (of spool
    /// `format`) found at `slots` into `out`, returning it with the values
    /// the Parquet schema could not carry. `max_event_bytes` bounds every
    /// event's size. Once `cancel` is set (the writer was dropped), the
    /// encoding may stop early with an error.
    fn seal(
        &self,
        wal: &Path,
        format: u32,
        slots: &mut [Slot],
        max_event_bytes: u64,
        cancel: &AtomicBool,
        out: SealFile,
    ) -> Result<(SealFile, EncodeStats)>;

    /// Whether the writer may seal segments while they are open (see
    /// [`early`](super::early)) instead of calling [`Self::seal`] when they
    /// roll. The test doubles that hold or fail [`Self::seal`] say no.
    fn seals_early(&self) -> bool {
        false
    }
}

/// The production sealer: [`encode_segment`] with the writer's columnar
/// options.
#[derive(Debug, Clone)]
pub(super) struct ParquetSealer {
    options: ColumnarOptions,
}

impl ParquetSealer {
    pub(super) fn new(options: ColumnarOptions) -> Self {
        Self { options }
    }
}

impl<E: OcsfEvent> SealSegment<E> for ParquetSealer {
    fn seal(
        &self,
        wal: &Path,
        format: u32,
        slots: &mut [Slot],
        max_event_bytes: u64,
        cancel: &AtomicBool,
        out: SealFile,
    ) -> Result<(SealFile, EncodeStats)> {
        if spool::is_columnar(format) {
            return super::merge::encode_columnar::<E, _>(wal, cancel, out);
        }
        encode_segment::<E, _>(
            wal,
            format,
            slots,
            &self.options,
            max_event_bytes,
            cancel,
            out,
        )
    }

    fn seals_early(&self) -> bool {
        true
    }
}

/// The sealer of a writer of class `E`.
pub(super) type SharedSealer<E> = Arc<dyn SealSegment<E>>;

/// What the encoder thread gives back for a segment: its slots (so that a
/// failed encoding loses nothing) and the sealed file with its counts.
pub(super) type Encoded = (Vec<Slot>, Result<(SealFile, EncodeStats)>);

/// A segment being encoded on the encoder thread. Its write-ahead file stays
/// in the spool (and its events in `buffered_bytes`) until its sealed file is
/// durable.
pub(super) struct Sealing<S> {
    pub partition: PartitionKey,
    /// The segment, without its slots (they are with the encoder).
    pub segment: Segment<S>,
    pub rows: u64,
    pub done: tokio::sync::oneshot::Receiver<std::thread::Result<Encoded>>,
    /// Set to abandon the encoding.
    pub cancel: Arc<AtomicBool>,
}

impl<S> Sealing<S> {
    /// Asks the encoding to stop early (the writer is dropped and will not
    /// take its result).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// The Parquet footer estimate of class `E` with `options`, in bytes: the
/// footer grows with row groups and statistics, so twice the empty file is a
/// safe margin.
pub(super) fn footer_overhead<E: OcsfEvent>(options: &ColumnarOptions) -> Result<u64> {
    let (empty, _) = encode_parquet::<E, _>(Vec::new(), 0, options, 0, |_| Ok(()))?;
    Ok(2 * empty.len() as u64)
}

fn columnar_error(context: &str, err: ColumnarError) -> Error {
    Error::invalid_input(format!("{context}: {err}")).with_source(err)
}

/// A job for the [`EncoderThread`].
pub(super) type EncodeJob = Box<dyn FnOnce() + Send>;

/// A handle that queues jobs on a writer's [`EncoderThread`] (an open
/// segment's [`EarlySeal`](super::early::EarlySeal) keeps one). A job that
/// panics is caught, and the thread goes on.
#[derive(Clone)]
pub(super) struct JobSender(std::sync::mpsc::Sender<EncodeJob>);

impl JobSender {
    /// Queues `job`; `false` when the thread is gone.
    pub fn send(&self, job: EncodeJob) -> bool {
        let job: EncodeJob = Box::new(move || {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        });
        self.0.send(job).is_ok()
    }
}

/// The thread a writer encodes its files on, started at the first seal (or
/// the first segment sealed while open) and ended when the writer and its
/// segments are dropped.
///
/// Encoding is CPU work of up to seconds, so it does not run on the async
/// executor; and it runs on one thread for the writer's whole life rather
/// than on tokio's blocking pool, because the allocator keeps a thread's
/// freed memory for that thread: encodes spread over several pool threads
/// each kept a file's worth of encoder memory (measured: 505 MB peak RSS
/// writing 400 MB, against 270 MB on one thread).
#[derive(Default)]
pub(super) struct EncoderThread {
    jobs: Option<std::sync::mpsc::Sender<EncodeJob>>,
}

impl EncoderThread {
    /// Runs `job` on the encoder thread and waits for its result without
    /// blocking the executor. A panic in the job is an [`ErrorKind::Io`]
    /// error (the segment stays in the spool).
    pub(super) async fn run<T: Send + 'static>(
        &mut self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let done = self.submit(job)?;
        Self::outcome(done.await.map_err(|_| ()))
    }

    /// A handle that queues jobs on the thread (starting it if needed), in
    /// order with [`Self::submit`]'s.
    pub(super) fn sender(&mut self) -> Result<JobSender> {
        let jobs = match &self.jobs {
            Some(jobs) => jobs,
            None => self.jobs.insert(Self::start()?),
        };
        Ok(JobSender(jobs.clone()))
    }

    /// Queues `job` on the encoder thread (starting it if needed); the
    /// receiver gets its result, or the panic it ended with.
    pub(super) fn submit<T: Send + 'static>(
        &mut self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<tokio::sync::oneshot::Receiver<std::thread::Result<T>>> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: EncodeJob = Box::new(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            let _ = done.send(outcome);
        });
        let jobs = match &self.jobs {
            Some(jobs) => jobs,
            None => self.jobs.insert(Self::start()?),
        };
        if let Err(std::sync::mpsc::SendError(job)) = jobs.send(job) {
            // The thread is gone: start another one.
            let jobs = self.jobs.insert(Self::start()?);
            jobs.send(job)
                .map_err(|_| Error::new(ErrorKind::Io, "the Parquet encoding thread stopped"))?;
        }
        Ok(result)
    }

    /// The result of a job from what its receiver got (`Err(())` when the
    /// job was dropped unrun).
    pub(super) fn outcome<T, R>(
        received: std::result::Result<std::thread::Result<T>, R>,
    ) -> Result<T> {
        match received {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(Error::new(ErrorKind::Io, "Parquet encoding panicked")),
            Err(_) => Err(Error::new(
                ErrorKind::Io,
                "the Parquet encoding thread stopped",
            )),
        }
    }

    fn start() -> Result<std::sync::mpsc::Sender<EncodeJob>> {
        let (jobs, queue) = std::sync::mpsc::channel::<EncodeJob>();
        std::thread::Builder::new()
            .name("securitylake-encode".into())
            .spawn(move || {
                while let Ok(job) = queue.recv() {
                    job();
                }
            })
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot start the Parquet encoding thread: {e}"),
                )
                .with_source(e)
            })?;
        Ok(jobs)
    }
}

/// Row groups are closed at this many bytes (the parquet crate's estimate of
/// the row group being written), which bounds the encoded pages a writer
/// holds in memory while it writes a file.
pub(super) const ROW_GROUP_BYTES: usize = 8 * 1024 * 1024;
/// Rows encoded per Arrow batch at most.
pub(super) const BATCH_ROWS: usize = 4096;
/// Event bytes ([`record::encode`]) encoded per Arrow batch at most, so that a
/// batch of large events stays small.
pub(super) const BATCH_BYTES: u64 = 8 * 1024 * 1024;

/// Encodes one file by the Security Lake rule book ([`ParquetRules`]: ZSTD,
/// statistics, delta-encoded `time`, data pages within 1 MiB for values up to
/// `max_event_bytes`), rows sorted by `time` (stable), the root schema named
/// after the class, and row groups closed at [`ROW_GROUP_BYTES`]. Arrow batches hold at most [`BATCH_ROWS`]
/// rows and about [`BATCH_BYTES`] of events. `max_event_bytes` is the size of
/// the largest event (its encoded bytes: at least its largest value's length). The output is deterministic: the same events
/// give the same bytes.
pub(super) fn encode_parquet<E: OcsfEvent, W: std::io::Write + Send>(
    out: W,
    rows: usize,
    options: &ColumnarOptions,
    max_event_bytes: u64,
    mut append: impl FnMut(&mut BatchEncoder<E>) -> Result<()>,
) -> Result<(W, EncodeStats)> {
    let mut encoder =
        BatchEncoder::<E>::new(options).map_err(|e| columnar_error("columnar options", e))?;
    let mut file = RunWriter::new(
        encoder.schema().clone(),
        max_event_bytes,
        E::CLASS_NAME,
        out,
    )?;
    let mut done = 0;
    while done < rows {
        let chunk = file.batch_rows.min(rows - done);
        for _ in 0..chunk {
            append(&mut encoder)?;
        }
        done += chunk;
        let batch = encoder
            .finish()
            .map_err(|e| columnar_error("encode Parquet", e))?;
        file.write_batch(&batch)?;
    }
    let out = file.finish()?;
    Ok((out, encoder.stats()))
}

/// Encodes a segment whose events are in the write-ahead file at `path`:
/// the slots are sorted by time (stable: equal times keep the order of
/// acceptance) and each event is read, decoded and appended to the batch in
/// that order, one at a time, so memory holds one Arrow batch, not the
/// segment's events.
pub(super) fn encode_segment<E: OcsfEvent, W: std::io::Write + Send>(
    path: &Path,
    format: u32,
    slots: &mut [Slot],
    options: &ColumnarOptions,
    max_event_bytes: u64,
    cancel: &AtomicBool,
    out: W,
) -> Result<(W, EncodeStats)> {
    slots.sort_by_key(|slot| slot.time);
    let mut reader = RecordReader::open(path)?;
    let mut payload = Vec::new();
    let mut next = slots.iter();
    encode_parquet::<E, W>(out, slots.len(), options, max_event_bytes, |encoder| {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::new(ErrorKind::Io, "encoding abandoned"));
        }
        let slot = next
            .next()
            .ok_or_else(|| Error::new(ErrorKind::Integrity, "segment ended early"))?;
        reader.read_at(slot.offset, slot.len as usize, &mut payload)?;
        encoder.append(&decode_event::<E>(format, &payload, path)?);
        Ok(())
    })
}

/// Decodes one spooled event of a write-ahead file of `format` (see
/// [`record`]); a record that does not decode is an
/// [`ErrorKind::Integrity`] error.
pub(super) fn decode_event<E: OcsfEvent>(format: u32, payload: &[u8], path: &Path) -> Result<E> {
    record::decode(format, payload, &|| {
        format!("spool file {}", path.display())
    })
}

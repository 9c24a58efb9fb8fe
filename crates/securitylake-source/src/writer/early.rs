//! Sealing a segment while it is open: every frame the writer cuts is also
//! handed (the same Arrow batch, sorted by time) to the encoder thread, which
//! writes it into the segment's Parquet file as it comes, so that rolling the
//! segment only writes what is left of the last row group and the footer.
//! Sealed only when it rolls, a segment is encoded after its last event, on
//! one core: for a finite input, that is the whole tail of the run.
//!
//! It applies while the segment is one sorted run (no frame starts before
//! the one before it ends) and no frame exceeds the first frame's value
//! bound ([`seal_bound`]): then the file is the one the seal from the
//! write-ahead file writes (same batches, same writer properties). Otherwise
//! (a frame goes back in time or is larger, a write fails, the queue is over
//! [`EARLY_QUEUE_BYTES`]) the early file is dropped and the segment is sealed
//! from its write-ahead file when it rolls, as before.
//!
//! Durability does not change: the write-ahead file stays the segment's
//! durable copy until the sealed file is, and the early file is a
//! `.sealed.tmp` file, deleted by recovery like any interrupted seal.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;
use ocsf_model::columnar::EncodeStats;

use super::frames::FrameHeader;
use super::merge::{RunWriter, seal_bound};
use super::sealer::JobSender;
use crate::error::{Error, ErrorKind, Result};
use crate::spool::SealFile;

/// The frames handed to the encoder thread and not yet written, in encoded
/// bytes, above which a frame is not handed over any more (its segment is
/// sealed from the spool instead): the most this costs in memory.
pub(super) const EARLY_QUEUE_BYTES: u64 = 64 * 1024 * 1024;
/// The queued bytes above which a write waits for the encoder thread before
/// it encodes an event (see [`Writer::place`](super::Writer)), so that a
/// writer that can wait stays well below [`EARLY_QUEUE_BYTES`] (between two
/// waits, a batch adds at most one frame per partition it touches).
pub(super) const EARLY_WAIT_BYTES: u64 = 16 * 1024 * 1024;

/// What a writer's early seals share: the bytes of the frames they queued on
/// the encoder thread, and how many files they finished.
#[derive(Debug, Default)]
pub(super) struct Shared {
    pub queued: AtomicU64,
    pub finished: AtomicU64,
}

/// The early seal of one open segment, on the writer's side.
pub(super) struct EarlySeal {
    jobs: JobSender,
    state: Arc<Mutex<State>>,
    class_name: &'static str,
    /// The value bound, from the first frame.
    bound: Option<u64>,
    /// The latest time of the last frame handed over.
    last_max_time: Option<i64>,
    shared: Arc<Shared>,
    /// Set when the early file is given up (or the segment dropped): frames
    /// still queued are skipped.
    cancel: Arc<AtomicBool>,
    /// Whether frames are still handed over.
    live: bool,
}

/// The early file, on the encoder thread.
enum State {
    /// Before the first frame (whose bound gives the writer properties).
    Waiting(SealFile),
    /// Frames written so far, with their encoding counters.
    Writing(Box<RunWriter<SealFile>>, EncodeStats),
    /// Given up: the segment is sealed from the spool.
    Dropped,
}

/// Finishes an early file on the encoder thread: its Parquet bytes and
/// counters, or an error when it was given up (the caller then seals from
/// the spool).
pub(super) type Finish = Box<dyn FnOnce(&AtomicBool) -> Result<(SealFile, EncodeStats)> + Send>;

impl EarlySeal {
    /// The early seal of a segment of class `class_name` into `file`.
    pub fn new(
        jobs: JobSender,
        file: SealFile,
        class_name: &'static str,
        shared: Arc<Shared>,
    ) -> Self {
        Self {
            jobs,
            state: Arc::new(Mutex::new(State::Waiting(file))),
            class_name,
            bound: None,
            last_max_time: None,
            shared,
            cancel: Arc::new(AtomicBool::new(false)),
            live: true,
        }
    }

    /// Hands a frame (`batch` sorted by time, as its `header` says, of
    /// `encoded` bytes) to the encoder thread, or gives the early file up
    /// when the frame cannot follow the ones before it.
    pub fn push(&mut self, batch: &RecordBatch, header: &FrameHeader, encoded: u64) {
        if !self.live {
            return;
        }
        let bound = *self
            .bound
            .get_or_insert_with(|| seal_bound(header.largest_value));
        let in_order = self
            .last_max_time
            .is_none_or(|last| last <= header.min_time);
        let queued = self.shared.queued.load(Ordering::Relaxed);
        if !in_order
            || seal_bound(header.largest_value) > bound
            || queued.saturating_add(encoded) > EARLY_QUEUE_BYTES
        {
            self.give_up();
            return;
        }
        self.last_max_time = Some(header.max_time);
        let job = {
            let (state, cancel, shared) =
                (self.state.clone(), self.cancel.clone(), self.shared.clone());
            let (batch, header, class_name) = (batch.clone(), *header, self.class_name);
            move || {
                let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
                let taken = std::mem::replace(&mut *state, State::Dropped);
                // Given up meanwhile: the file is dropped (and deleted).
                if !cancel.load(Ordering::Relaxed) {
                    *state = write(taken, &batch, &header, bound, class_name, &cancel);
                }
                shared.queued.fetch_sub(encoded, Ordering::Relaxed);
            }
        };
        self.shared.queued.fetch_add(encoded, Ordering::Relaxed);
        if !self.jobs.send(Box::new(job)) {
            self.shared.queued.fetch_sub(encoded, Ordering::Relaxed);
            self.give_up();
        }
    }

    /// Gives the early file up: queued frames are skipped, and the segment
    /// will be sealed from the spool.
    fn give_up(&mut self) {
        self.live = false;
        self.cancel.store(true, Ordering::Relaxed);
        // Frees the file's buffers now, not when the segment rolls (if the
        // thread is gone, they go with the segment).
        let state = self.state.clone();
        let _ = self.jobs.send(Box::new(move || {
            *state.lock().unwrap_or_else(|p| p.into_inner()) = State::Dropped;
        }));
    }

    /// What finishes the early file, to run on the encoder thread after the
    /// frames handed over (jobs run in order); `None` when it was given up.
    pub fn finish(mut self) -> Option<Finish> {
        if !self.live {
            return None;
        }
        self.live = false;
        let (state, shared) = (self.state.clone(), self.shared.clone());
        Some(Box::new(move |cancel: &AtomicBool| {
            let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
            match std::mem::replace(&mut *state, State::Dropped) {
                State::Writing(writer, stats) if !cancel.load(Ordering::Relaxed) => {
                    let file = writer.finish()?;
                    shared.finished.fetch_add(1, Ordering::Relaxed);
                    Ok((file, stats))
                }
                _ => Err(Error::new(
                    ErrorKind::Io,
                    "the segment's early file was given up",
                )),
            }
        }))
    }
}

impl Drop for EarlySeal {
    fn drop(&mut self) {
        // Dropped without being finished (the segment was closed empty, or
        // the writer dropped): the frames still queued are not written.
        if self.live {
            self.cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// Writes one frame into the early file.
fn write(
    state: State,
    batch: &RecordBatch,
    header: &FrameHeader,
    bound: u64,
    class_name: &str,
    cancel: &AtomicBool,
) -> State {
    let (mut writer, mut total) = match state {
        State::Waiting(file) => match RunWriter::new(batch.schema(), bound, class_name, file) {
            Ok(writer) => (Box::new(writer), EncodeStats::default()),
            Err(err) => {
                tracing::debug!(error = %err, "early seal given up");
                return State::Dropped;
            }
        },
        State::Writing(writer, total) => (writer, total),
        State::Dropped => return State::Dropped,
    };
    match writer.write_frame(batch, header.largest_value, cancel) {
        Ok(()) => {
            total += header.stats;
            State::Writing(writer, total)
        }
        Err(err) => {
            tracing::debug!(error = %err, "early seal given up");
            State::Dropped
        }
    }
}

//! An open segment's write-ahead file in the columnar format: events are
//! encoded into the segment's column buffers as they are accepted, and cut
//! into frames (see [`frames`](super::frames)) appended to the file.

use arrow_array::RecordBatch;
use ocsf_model::OcsfEvent;
use ocsf_model::columnar::{BatchEncoder, ColumnarOptions, EncodeStats};

use super::early::EarlySeal;
use super::frames;
use super::sample::Sampled;
use crate::error::{Error, Result};
use crate::spool::Wal;

/// Rows per frame at most: a frame is cut when the open batch reaches it.
pub(super) const FRAME_ROWS: usize = 4096;
/// Event bytes (as accounted) per frame at most: a frame is cut when the
/// open batch reaches it, so that a frame of large events stays small in
/// memory, when it is encoded and when it is merged.
pub(super) const FRAME_BYTES: u64 = 8 * 1024 * 1024;
/// The bound on what merging a segment's runs holds (the largest frame of
/// each run, as accounted): a segment whose runs would exceed it rolls
/// early.
pub(super) const MERGE_BYTES: u64 = 64 * 1024 * 1024;

/// The write-ahead file of an open segment and its open batch.
pub(super) struct OpenWal<E: OcsfEvent> {
    pub wal: Wal,
    encoder: BatchEncoder<E>,
    /// The encoder's counters when the last frame was cut.
    carried: EncodeStats,
    /// Encodes the frames (the writer's, shared by its open files).
    frames: frames::SharedFrameEncoder,
    /// Bytes of the frames appended.
    pub frame_bytes: u64,
    /// The encoded bytes (column buffers) of the events in those frames.
    pub framed_encoded: u64,
    /// The columnar options (a retracted event is encoded alone again).
    options: ColumnarOptions,
    /// The latest time of the last frame: a frame starting before it starts
    /// a new sorted run.
    last_max_time: Option<i64>,
    /// The sorted runs of the frames appended.
    pub runs: u64,
    /// The largest frame (as accounted) of the current run.
    run_max: u64,
    /// The sum over runs of their largest frame (as accounted): what the
    /// merge of the segment holds at most.
    pub merge_bytes: u64,
    /// The bytes the events of the open batch were accounted at.
    accounted: u64,
    /// Bytes the frames appended took in the file beyond what their events
    /// were accounted at and beyond their encoded bytes (a small frame of a
    /// wide schema carries the metadata of every leaf column): the writer
    /// adds them to the buffered bytes, and resets this.
    pub unaccounted: u64,
    /// The most a frame took beyond what its events were accounted at.
    pub max_extra: u64,
    /// The unaccounted bytes the writer took into its buffered bytes (not
    /// into the segment's file size estimate: frame metadata is spool only).
    pub extra_total: u64,
    /// The segment's file sealed while it is open, while that goes on.
    pub early: Option<EarlySeal>,
    /// Whether the writer still samples frames for its size estimate.
    pub sampling: bool,
    /// The frames cut since the writer last took them (only while
    /// `sampling`).
    pub sampled: Vec<Sampled>,
}

impl<E: OcsfEvent> std::fmt::Debug for OpenWal<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenWal")
            .field("wal", &self.wal)
            .field("pending", &self.encoder.len())
            .field("frame_bytes", &self.frame_bytes)
            .field("runs", &self.runs)
            .finish_non_exhaustive()
    }
}

impl<E: OcsfEvent> OpenWal<E> {
    /// Wraps a new write-ahead file (header and schema records written).
    pub fn new(
        wal: Wal,
        options: &ColumnarOptions,
        frames: frames::SharedFrameEncoder,
    ) -> Result<Self> {
        let encoder = BatchEncoder::<E>::new(options)
            .map_err(|e| Error::invalid_input(format!("columnar options: {e}")).with_source(e))?;
        Ok(Self {
            wal,
            encoder,
            carried: EncodeStats::default(),
            frames,
            frame_bytes: 0,
            framed_encoded: 0,
            options: options.clone(),
            last_max_time: None,
            runs: 0,
            run_max: 0,
            merge_bytes: 0,
            accounted: 0,
            unaccounted: 0,
            max_extra: 0,
            extra_total: 0,
            early: None,
            sampling: true,
            sampled: Vec::new(),
        })
    }

    /// Encodes an event into the open batch and returns its encoded size
    /// (the bytes it added to the column buffers). The event is not yet
    /// kept: the caller either [`keep`](Self::keep)s it with the size it
    /// accounts it at, or [`retract`](Self::retract)s it.
    pub fn encode(&mut self, event: &E) -> u64 {
        self.encoder.append_sized(event)
    }

    /// Keeps the event encoded last, accounted at `size` bytes; cuts a frame
    /// at [`FRAME_ROWS`] or [`FRAME_BYTES`].
    pub fn keep(&mut self, size: u64) -> Result<()> {
        self.accounted += size;
        if self.encoder.len() >= FRAME_ROWS || self.accounted >= FRAME_BYTES {
            self.cut()?;
        }
        Ok(())
    }

    /// Takes back the event encoded last (`event`, of `encoded` bytes), not
    /// kept: the open batch's other events are cut into a frame without it.
    /// Rare (an event that does not fit where it was encoded), so it may
    /// cost a frame and a second encoding of the event for its counters.
    pub fn retract(&mut self, event: &E, encoded: u64) -> Result<()> {
        let before = self.encoder.buffered_bytes();
        let batch = self.encoder.finish().map_err(|e| {
            Error::invalid_input(format!("encode a spool frame: {e}")).with_source(e)
        })?;
        // The retracted event's own counters leave the frame's.
        let mut alone = BatchEncoder::<E>::new(&self.options)
            .map_err(|e| Error::invalid_input(format!("columnar options: {e}")).with_source(e))?;
        alone.append(event);
        let delta = self.stats_delta().saturating_sub(alone.stats());
        let rows = batch.num_rows().saturating_sub(1);
        if rows == 0 {
            self.accounted = 0;
            return Ok(());
        }
        // The retracted event may hold the longest value: the frame's is found by a scan.
        self.write_frame(
            &batch.slice(0, rows),
            delta,
            before.saturating_sub(encoded),
            None,
        )
    }

    /// Appends rows encoded elsewhere (`encoded` bytes in their column
    /// buffers, accounted at `accounted` bytes) as one frame, after the
    /// open batch's events (cut first, so the file keeps the order of
    /// acceptance). `longest` bounds the rows' longest string value.
    pub fn append_encoded(
        &mut self,
        rows: &RecordBatch,
        stats: EncodeStats,
        encoded: u64,
        accounted: u64,
        longest: u64,
    ) -> Result<()> {
        self.cut()?;
        self.accounted = accounted;
        self.write_frame(rows, stats, encoded, Some(longest))
    }

    /// The encoder's counters since the last frame; they now count as cut.
    fn stats_delta(&mut self) -> EncodeStats {
        let total = self.encoder.stats();
        let delta = total.saturating_sub(self.carried);
        self.carried = total;
        delta
    }

    /// Appends the open batch, if any, to the file as one frame (not yet
    /// fsynced).
    pub fn cut(&mut self) -> Result<()> {
        if self.encoder.is_empty() {
            return Ok(());
        }
        let encoded = self.encoder.buffered_bytes();
        let longest = self.encoder.longest_value() as u64;
        let batch = self.encoder.finish().map_err(|e| {
            Error::invalid_input(format!("encode a spool frame: {e}")).with_source(e)
        })?;
        let delta = self.stats_delta();
        self.write_frame(&batch, delta, encoded, Some(longest))
    }

    /// Appends `batch` (its events `encoded` bytes in the column buffers, its
    /// longest string value `longest` bytes if known) as one frame.
    fn write_frame(
        &mut self,
        batch: &RecordBatch,
        delta: EncodeStats,
        encoded: u64,
        longest: Option<u64>,
    ) -> Result<()> {
        let mut frames = self.frames.lock();
        let (frame, header, sorted) = frames.encode(batch, delta, longest)?;
        let frame_len = frame.len() as u64;
        self.wal.append(frame)?;
        drop(frames);
        if let Some(early) = &mut self.early {
            early.push(&sorted, &header, encoded);
        }
        if self.sampling {
            self.sampled.push(Sampled {
                batch: batch.clone(),
                largest: header.largest_value,
                encoded,
            });
        }
        let grown = crate::spool::record_size(frame_len);
        let accounted = std::mem::take(&mut self.accounted);
        // Beyond the events' encoded bytes, not their estimated Parquet
        // bytes: a frame compresses what it holds, so it outgrows its
        // events' column buffers only by its metadata (small frames of a
        // wide schema). Compared with the estimate, every frame of
        // dictionary-friendly events would count the Parquet encoding's
        // advantage (3x for sshd) and roll files early (docs/adr/0216).
        let extra = grown.saturating_sub(accounted.max(encoded));
        self.unaccounted += extra;
        self.max_extra = self.max_extra.max(extra);
        self.frame_bytes += frame_len;
        self.framed_encoded += encoded;
        if self.last_max_time.is_none_or(|last| header.min_time < last) {
            self.runs += 1;
            self.run_max = accounted;
            self.merge_bytes += accounted;
        } else if accounted > self.run_max {
            self.merge_bytes += accounted - self.run_max;
            self.run_max = accounted;
        }
        self.last_max_time = Some(header.max_time);
        Ok(())
    }

    /// Cuts the open batch and fsyncs the file. Returns whether an fsync was
    /// needed.
    pub fn sync(&mut self) -> Result<bool> {
        self.cut()?;
        self.wal.sync()
    }
}

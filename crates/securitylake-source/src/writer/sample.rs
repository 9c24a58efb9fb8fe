//! The size sample: until a writer has sealed a file of its own, what a
//! Parquet file of its events will weigh is learned by encoding its first
//! frames' batches to Parquet by the rule book (in memory, counted, not
//! kept): a trial of the real encoding, so the first file of a stream lands
//! near `max_file_bytes` whatever the data, and the spool frames'
//! compression has no say in it.
//!
//! The first trial is made at [`FIRST_TRIAL_ROWS`] and repeated each time
//! the sampled rows have doubled, up to [`SAMPLE_ROWS`], so a stream of
//! one-event frames costs at most five trials, not one per frame.

use std::sync::atomic::AtomicBool;

use arrow_array::RecordBatch;
use ocsf_model::OcsfEvent;

use super::merge::{RunWriter, seal_bound};
use crate::error::Result;

/// The rows the sample stops at: enough for the dictionaries and pages of
/// a Parquet file to weigh as they do in a full one (sshd events: 66.6 bytes
/// per event at 10,000 rows, 61.9 at 100,000, 60.8 at 1,000,000).
pub(super) const SAMPLE_ROWS: usize = 16_384;

/// The rows of the first trial: below them the estimate stays 1:1 (a file
/// of a few rows is mostly its own overhead, and a short-lived writer of
/// one-event frames would pay for a trial per doubling from one row).
const FIRST_TRIAL_ROWS: usize = 1024;

/// A frame handed to the sample: its batch, its largest value (its
/// header's) and its events' encoded bytes.
#[derive(Debug)]
pub(super) struct Sampled {
    pub batch: RecordBatch,
    pub largest: u64,
    pub encoded: u64,
}

/// The frames' batches sampled so far and when the next trial is due.
#[derive(Debug, Default)]
pub(super) struct SizeSample {
    batches: Vec<RecordBatch>,
    /// The largest value of the sampled batches (their headers').
    largest: u64,
    rows: usize,
    encoded: u64,
    /// The rows of the last trial (the next one is due at twice as many).
    tried: usize,
}

impl SizeSample {
    /// A sample that wants no frames (after a failed trial).
    pub fn done() -> Self {
        Self {
            rows: SAMPLE_ROWS,
            ..Self::default()
        }
    }

    /// Whether frames are still wanted.
    pub fn wants_more(&self) -> bool {
        self.rows < SAMPLE_ROWS
    }

    /// Adds a frame. Returns `(encoded, stored)` of a new trial when one is
    /// due: the sample's encoded bytes and the bytes its Parquet encoding
    /// took, `overhead` (the footer allowance of a file) left out.
    pub fn add<E: OcsfEvent>(
        &mut self,
        frame: Sampled,
        overhead: u64,
    ) -> Result<Option<(u64, u64)>> {
        if !self.wants_more() || frame.batch.num_rows() == 0 {
            return Ok(None);
        }
        self.rows += frame.batch.num_rows();
        self.encoded += frame.encoded;
        self.largest = self.largest.max(frame.largest);
        self.batches.push(frame.batch);
        if self.rows < (self.tried * 2).max(FIRST_TRIAL_ROWS) && self.wants_more() {
            return Ok(None);
        }
        self.tried = self.rows;
        let stored = self.trial::<E>()?.saturating_sub(overhead);
        if !self.wants_more() {
            // The last trial: the batches are not needed any more.
            self.batches = Vec::new();
        }
        Ok(Some((self.encoded, stored)))
    }

    /// The bytes of the sampled rows as one Parquet file, written as a
    /// sealed file is ([`RunWriter`]): the sampled batches one after the
    /// other, as the frames of a segment are, not concatenated first (a
    /// concatenated copy of the sample was the largest allocation of a
    /// writer's first seconds, and set its peak memory).
    fn trial<E: OcsfEvent>(&self) -> Result<u64> {
        let Some(first) = self.batches.first() else {
            return Ok(0);
        };
        let mut counted = Counted(0);
        let mut file = RunWriter::new(
            first.schema(),
            seal_bound(self.largest),
            E::CLASS_NAME,
            &mut counted,
        )?;
        let cancel = AtomicBool::new(false);
        for batch in &self.batches {
            file.write_frame(batch, self.largest, &cancel)?;
        }
        file.finish()?;
        Ok(counted.0)
    }
}

/// A sink that counts the bytes written to it.
struct Counted(u64);

impl std::io::Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

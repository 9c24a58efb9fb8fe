//! Sealing a columnar segment (write-ahead formats 3 and 4): its frames, each
//! sorted by `time`, form sorted runs (consecutive frames whose times do not
//! go back); the runs are merged k-way into Parquet batches, so memory holds
//! one frame per run, not the segment. A segment that is one sorted run (a
//! source writing in time order) is written frame by frame, unmerged.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use ocsf_model::OcsfEvent;
use ocsf_model::columnar::EncodeStats;
use securitylake_parquet::ParquetRules;

use super::frames::{self, FrameHeader};
use super::sealer::{BATCH_BYTES, BATCH_ROWS, ROW_GROUP_BYTES};
use crate::error::{Error, ErrorKind, Result};
use crate::spool::RecordReader;

/// One frame of a segment: where its record is and what its header says.
#[derive(Debug, Clone, Copy)]
pub(super) struct FrameInfo {
    pub offset: u64,
    pub len: usize,
    pub header: FrameHeader,
}

/// The frames of a columnar write-ahead file (a torn tail dropped) and its
/// schema message.
#[derive(Debug, Default)]
pub(super) struct Frames {
    pub schema: Vec<u8>,
    pub frames: Vec<FrameInfo>,
    pub torn: bool,
}

impl Frames {
    /// Reads the frame headers of the file at `path`, one record at a time.
    pub fn scan(path: &Path) -> Result<Self> {
        let mut reader = RecordReader::open(path)?;
        let mut payload = Vec::new();
        let mut found = Frames::default();
        if reader.next_record(&mut payload)?.is_none() {
            return Ok(found);
        }
        if reader.next_record(&mut payload)?.is_none() {
            found.torn = reader.torn();
            return Ok(found);
        }
        found.schema = std::mem::take(&mut payload);
        while let Some(offset) = reader.next_record(&mut payload)? {
            found.frames.push(FrameInfo {
                offset,
                len: payload.len(),
                header: FrameHeader::read(&payload)?,
            });
        }
        found.torn = reader.torn();
        Ok(found)
    }

    pub fn rows(&self) -> u64 {
        self.frames.iter().map(|f| f.header.rows).sum()
    }

    pub fn min_time(&self) -> i64 {
        self.frames
            .iter()
            .map(|f| f.header.min_time)
            .min()
            .unwrap_or(0)
    }

    pub fn max_time(&self) -> i64 {
        self.frames
            .iter()
            .map(|f| f.header.max_time)
            .max()
            .unwrap_or(0)
    }

    /// The sorted runs: consecutive frames whose times do not go back.
    pub fn runs(&self) -> Vec<VecDeque<FrameInfo>> {
        let mut runs: Vec<VecDeque<FrameInfo>> = Vec::new();
        for frame in &self.frames {
            match runs.last_mut() {
                Some(run)
                    if run
                        .back()
                        .is_some_and(|last| last.header.max_time <= frame.header.min_time) =>
                {
                    run.push_back(*frame);
                }
                _ => runs.push(VecDeque::from([*frame])),
            }
        }
        runs
    }
}

/// A run being merged: its current batch (in `sources`) and row.
struct Cursor {
    frames: VecDeque<FrameInfo>,
    source: usize,
    row: usize,
    times: Vec<i64>,
}

/// Reads the next frame of a cursor into `sources`; returns whether there
/// was one (it may hold no rows).
fn advance(
    cursor: &mut Cursor,
    reader: &mut RecordReader<std::fs::File>,
    schema: &[u8],
    payload: &mut Vec<u8>,
    sources: &mut Vec<RecordBatch>,
) -> Result<bool> {
    let Some(frame) = cursor.frames.pop_front() else {
        return Ok(false);
    };
    reader.read_at(frame.offset, frame.len, payload)?;
    let batch = frames::decode_frame(schema, payload)?;
    cursor.times = frames::times(&batch)?.values().to_vec();
    cursor.row = 0;
    cursor.source = sources.len();
    sources.push(batch);
    Ok(true)
}

/// Encodes the columnar segment at `path` to Parquet by the rule book into
/// `out`: its runs merged by time (stable: equal times keep the order of
/// acceptance), in Arrow batches of at most [`BATCH_ROWS`] rows. Returns
/// `out` and the encoding counters of the frames.
pub(super) fn encode_columnar<E: OcsfEvent, W: std::io::Write + Send>(
    path: &Path,
    cancel: &AtomicBool,
    out: W,
) -> Result<(W, EncodeStats)> {
    let scanned = Frames::scan(path)?;
    let arrow_error = |e: arrow_schema::ArrowError| {
        Error::new(ErrorKind::Integrity, format!("merge spool frames: {e}")).with_source(e)
    };
    let schema = StreamReader::try_new(scanned.schema.as_slice(), None)
        .map_err(arrow_error)?
        .schema();
    let mut stats = EncodeStats::default();
    let mut largest = 0;
    for frame in &scanned.frames {
        stats += frame.header.stats;
        largest = largest.max(frame.header.largest_value);
    }
    let mut file = RunWriter::new(schema, seal_bound(largest), E::CLASS_NAME, out)?;
    let mut reader = RecordReader::open(path)?;
    let mut payload = Vec::new();
    let mut runs = scanned.runs();
    if runs.len() <= 1 {
        // One sorted run (the usual case: a source writes in time order):
        // its frames are already in the file's order, so they are written
        // as they are, in slices, with no merge and no copy.
        for frame in runs.pop().unwrap_or_default() {
            reader.read_at(frame.offset, frame.len, &mut payload)?;
            let batch = frames::decode_frame(&scanned.schema, &payload)?;
            file.write_frame(&batch, frame.header.largest_value, cancel)?;
        }
        return Ok((file.finish()?, stats));
    }
    let RunWriter {
        mut writer,
        rules,
        batch_rows,
    } = file;
    let mut sources: Vec<RecordBatch> = Vec::new();
    let mut cursors: Vec<Cursor> = Vec::new();
    let mut heap = BinaryHeap::new();
    for frames in runs {
        let mut cursor = Cursor {
            frames,
            source: 0,
            row: 0,
            times: Vec::new(),
        };
        while cursor.times.is_empty()
            && advance(
                &mut cursor,
                &mut reader,
                &scanned.schema,
                &mut payload,
                &mut sources,
            )?
        {}
        if let Some(&time) = cursor.times.first() {
            heap.push(Reverse((time, cursors.len())));
        }
        cursors.push(cursor);
    }
    let mut indices: Vec<(usize, usize)> = Vec::with_capacity(batch_rows);
    while let Some(Reverse((_, run))) = heap.pop() {
        let cursor = &mut cursors[run];
        indices.push((cursor.source, cursor.row));
        cursor.row += 1;
        // Keeps an exhausted batch in `sources` until the output batch that
        // refers to it is written.
        while cursor.row >= cursor.times.len()
            && advance(
                cursor,
                &mut reader,
                &scanned.schema,
                &mut payload,
                &mut sources,
            )?
        {}
        if let Some(&time) = cursor.times.get(cursor.row) {
            heap.push(Reverse((time, run)));
        }
        if indices.len() >= batch_rows {
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::new(ErrorKind::Io, "encoding abandoned"));
            }
            write_merged(&mut writer, &rules, &sources, &indices)?;
            indices.clear();
            compact(&mut sources, &mut cursors);
        }
    }
    if !indices.is_empty() {
        write_merged(&mut writer, &rules, &sources, &indices)?;
    }
    let out = writer.into_inner().map_err(parquet_error)?;
    Ok((out, stats))
}

/// The value bound a segment is sealed with, from its frames' largest value:
/// the next power of two (at least 256) up to 64 KiB, then the next multiple
/// of 64 KiB (so that a bound stays close to a large value, whose pages it
/// sizes). A bound, not the exact value, so that a segment sealed while open
/// (from its first frame's bound, see `early`) gets the writer properties its
/// seal from the spool would: both are the bound of the segment's largest
/// value whenever no frame exceeds the first one's bound.
pub(super) fn seal_bound(largest: u64) -> u64 {
    const STEP: u64 = 64 * 1024;
    if largest <= STEP {
        largest.max(256).next_power_of_two()
    } else {
        largest.div_ceil(STEP).saturating_mul(STEP)
    }
}

/// A Parquet file of one sorted run being written frame by frame: the writer
/// with the rule book's properties for a value bound, and the rows per Arrow
/// batch that bound allows.
pub(super) struct RunWriter<W: std::io::Write + Send> {
    pub writer: parquet::arrow::ArrowWriter<W>,
    pub rules: ParquetRules,
    pub batch_rows: usize,
}

impl<W: std::io::Write + Send> RunWriter<W> {
    /// A file of the class named `class_name` into `out`, for values up to
    /// `bound` bytes.
    pub fn new(
        schema: arrow_schema::SchemaRef,
        bound: u64,
        class_name: &str,
        out: W,
    ) -> Result<Self> {
        let batch_rows = usize::try_from(BATCH_BYTES / bound.max(1))
            .unwrap_or(BATCH_ROWS)
            .clamp(1, BATCH_ROWS);
        let rules = ParquetRules::new()
            .with_largest_value(bound)
            .with_row_group_bytes(ROW_GROUP_BYTES);
        let writer_options =
            ParquetRules::arrow_writer_options(class_name, rules.writer_properties());
        let writer = parquet::arrow::ArrowWriter::try_new_with_options(out, schema, writer_options)
            .map_err(parquet_error)?;
        Ok(Self {
            writer,
            rules,
            batch_rows,
        })
    }

    /// Writes one frame's batch (sorted by time, after the frames before it
    /// in time), whose largest value is `largest` (its header's), in slices
    /// of `batch_rows` (views, no copy).
    pub fn write_frame(
        &mut self,
        batch: &RecordBatch,
        largest: u64,
        cancel: &AtomicBool,
    ) -> Result<()> {
        let mut offset = 0;
        while offset < batch.num_rows() {
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::new(ErrorKind::Io, "encoding abandoned"));
            }
            let len = self.batch_rows.min(batch.num_rows() - offset);
            self.rules
                .write_batch_with_largest(&mut self.writer, &batch.slice(offset, len), largest)
                .map_err(parquet_error)?;
            offset += len;
        }
        Ok(())
    }

    /// Writes `batch` (of at most `batch_rows` rows) by the rule book.
    pub fn write_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        write_batch(&mut self.writer, &self.rules, batch)
    }

    /// Writes the footer and gives the output back.
    pub fn finish(self) -> Result<W> {
        self.writer.into_inner().map_err(parquet_error)
    }
}

fn parquet_error(e: parquet::errors::ParquetError) -> Error {
    Error::invalid_input(format!("encode Parquet: {e}")).with_source(e)
}

fn write_merged<W: std::io::Write + Send>(
    writer: &mut parquet::arrow::ArrowWriter<W>,
    rules: &ParquetRules,
    sources: &[RecordBatch],
    indices: &[(usize, usize)],
) -> Result<()> {
    let refs: Vec<&RecordBatch> = sources.iter().collect();
    let batch = arrow_select::interleave::interleave_record_batch(&refs, indices).map_err(|e| {
        Error::new(ErrorKind::Integrity, format!("merge spool frames: {e}")).with_source(e)
    })?;
    write_batch(writer, rules, &batch)
}

fn write_batch<W: std::io::Write + Send>(
    writer: &mut parquet::arrow::ArrowWriter<W>,
    rules: &ParquetRules,
    batch: &RecordBatch,
) -> Result<()> {
    rules.write_batch(writer, batch).map_err(parquet_error)
}

/// Drops the batches no cursor is on any more (after an output batch was
/// written), renumbering the cursors' sources.
fn compact(sources: &mut Vec<RecordBatch>, cursors: &mut [Cursor]) {
    let mut kept = Vec::with_capacity(cursors.len());
    for cursor in cursors.iter_mut() {
        if cursor.row < cursor.times.len()
            && let Some(batch) = sources.get(cursor.source)
        {
            kept.push(batch.clone());
            cursor.source = kept.len() - 1;
        }
    }
    *sources = kept;
}

#[cfg(test)]
mod tests {
    use super::seal_bound;

    #[test]
    fn seal_bounds_are_powers_of_two_then_steps_of_64_kib() {
        let cases = [
            (0, 256),
            (8, 256),
            (256, 256),
            (257, 512),
            (4_096, 4_096),
            (4_097, 8_192),
            (65_536, 65_536),
            (65_537, 131_072),
            (600_000, 655_360),
            (u64::MAX, u64::MAX),
        ];
        for (largest, bound) in cases {
            assert_eq!(seal_bound(largest), bound, "{largest}");
            assert!(seal_bound(largest) >= largest);
        }
    }
}

//! Columnar spool frames (write-ahead formats 3 and 4).
//!
//! A columnar `.wal` holds, after its JSON header record, one record with
//! the Arrow IPC schema message of the segment's batches, then one record
//! per *frame*: a fixed [`FrameHeader`] (rows, time range, largest value,
//! encoding counters) followed by the frame's body, the Arrow IPC message of
//! one `RecordBatch`, rows sorted by `time` (stable). The record framing
//! (length, CRC) is the spool's, so a torn frame is dropped like a torn
//! record.
//!
//! In format 4 the body is one LZ4 block of the whole uncompressed IPC
//! message, after [`BLOCK_MAGIC`] and the message's length (docs/adr/0315).
//! Frames of format 3 hold the IPC messages themselves, each buffer
//! compressed by Arrow (LZ4 frames, or ZSTD): their body starts with the IPC
//! continuation marker, never with [`BLOCK_MAGIC`], and they still decode.

use std::io::Read;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arrow_array::{Array, Int64Array, RecordBatch, UInt32Array};
#[cfg(test)]
use arrow_ipc::CompressionType;
use arrow_ipc::reader::StreamReader;
#[cfg(test)]
use arrow_ipc::writer::{DictionaryTracker, IpcDataGenerator, IpcWriteContext, write_message};
use arrow_ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow_schema::{ArrowError, SchemaRef};
use lz4_flex::block::{
    CompressTable, compress_into_with_table, decompress_into, get_maximum_output_size,
};
use ocsf_model::columnar::EncodeStats;
use securitylake_parquet::ParquetRules;

use crate::error::{Error, ErrorKind, Result};

/// The bytes of a [`FrameHeader`].
pub(super) const FRAME_HEADER_BYTES: usize = 64;

fn arrow_error(context: &str, err: ArrowError) -> Error {
    Error::new(ErrorKind::Io, format!("{context}: {err}")).with_source(err)
}

/// IPC options whose buffers are compressed by `codec` (frames of earlier
/// versions; tests).
#[cfg(test)]
fn ipc_options_with(codec: CompressionType) -> Result<IpcWriteOptions> {
    ipc_options()?
        .try_with_compression(Some(codec))
        .map_err(|e| arrow_error("IPC options", e))
}

fn ipc_options() -> Result<IpcWriteOptions> {
    // 8-byte alignment: the default 64 pads every buffer of every leaf
    // column, which doubled a one-row frame of a full OCSF schema (65 KB
    // against 131 KB, measured).
    IpcWriteOptions::try_new(8, false, arrow_ipc::MetadataVersion::V5)
        .map_err(|e| arrow_error("IPC options", e))
}

/// The first bytes of a frame body that is one LZ4 block (this version's
/// frames). An IPC message starts with the continuation marker `0xFFFFFFFF`
/// (or, in the legacy format, a length under 2^31), so the two never meet.
const BLOCK_MAGIC: [u8; 4] = *b"SLZ4";

/// The most an LZ4 block expands on decompression: a sequence of a few bytes
/// stands for at most 255 bytes per length byte. A body claiming more is
/// damaged, and is refused before anything is allocated for it.
const LZ4_MAX_RATIO: u64 = 255;

/// What a frame's header says about its batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct FrameHeader {
    pub rows: u64,
    pub min_time: i64,
    pub max_time: i64,
    /// The largest value of the batch ([`ParquetRules::largest_value_in`]), or
    /// a bound on it (a part of an encoded batch carries the batch's).
    pub largest_value: u64,
    /// What the encoding of this frame's events could not carry.
    pub stats: EncodeStats,
}

impl FrameHeader {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.rows.to_le_bytes());
        out.extend_from_slice(&self.min_time.to_le_bytes());
        out.extend_from_slice(&self.max_time.to_le_bytes());
        out.extend_from_slice(&self.largest_value.to_le_bytes());
        out.extend_from_slice(&self.stats.unknown_attributes.to_le_bytes());
        out.extend_from_slice(&self.stats.invalid_datetimes.to_le_bytes());
        out.extend_from_slice(&self.stats.out_of_range.to_le_bytes());
        out.extend_from_slice(&self.stats.left_out.to_le_bytes());
    }

    /// Reads the header at the start of a frame payload.
    pub fn read(payload: &[u8]) -> Result<Self> {
        let field = |i: usize| -> Result<[u8; 8]> {
            payload
                .get(i * 8..i * 8 + 8)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| Error::new(ErrorKind::Integrity, "a spool frame is too short"))
        };
        let mut stats = EncodeStats::default();
        stats.unknown_attributes = u64::from_le_bytes(field(4)?);
        stats.invalid_datetimes = u64::from_le_bytes(field(5)?);
        stats.out_of_range = u64::from_le_bytes(field(6)?);
        stats.left_out = u64::from_le_bytes(field(7)?);
        Ok(Self {
            rows: u64::from_le_bytes(field(0)?),
            min_time: i64::from_le_bytes(field(1)?),
            max_time: i64::from_le_bytes(field(2)?),
            largest_value: u64::from_le_bytes(field(3)?),
            stats,
        })
    }
}

/// The IPC schema message of `schema` (the second record of a columnar
/// write-ahead file).
pub(super) fn schema_message(schema: &SchemaRef) -> Result<Vec<u8>> {
    let writer = StreamWriter::try_new_with_options(Vec::new(), schema, ipc_options()?)
        .map_err(|e| arrow_error("encode the spool schema", e))?;
    Ok(writer.get_ref().clone())
}

/// The `time` column of a batch.
pub(super) fn times(batch: &RecordBatch) -> Result<&Int64Array> {
    batch
        .column_by_name("time")
        .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
        .ok_or_else(|| Error::new(ErrorKind::Integrity, "a spool frame has no time column"))
}

/// Sorts `batch` by `time` (stable: equal times keep their order).
pub(super) fn sort_by_time(batch: &RecordBatch) -> Result<RecordBatch> {
    let time = times(batch)?;
    let values = time.values();
    if values.windows(2).all(|w| w[0] <= w[1]) {
        return Ok(batch.clone());
    }
    let mut order: Vec<u32> = (0..u32::try_from(batch.num_rows()).unwrap_or(u32::MAX)).collect();
    order.sort_by_key(|&i| values[i as usize]);
    arrow_select::take::take_record_batch(batch, &UInt32Array::from(order))
        .map_err(|e| arrow_error("sort a spool frame", e))
}

/// Encodes frames, keeping from one frame to the next its IPC stream writer
/// (its flatbuffer builder), the uncompressed message, the LZ4 hash table and
/// the frame buffer: one per writer, shared by its open write-ahead files
/// ([`SharedFrameEncoder`]; docs/adr/0310, 0315).
pub(super) struct FrameEncoder {
    /// Writes each batch's IPC message into its `Vec` (cleared per frame): the
    /// columns' buffers go straight into it, with no body buffer between.
    message: StreamWriter<Vec<u8>>,
    table: CompressTable,
    /// The frame being encoded (reused).
    out: Vec<u8>,
}

/// A buffer larger than this is not kept for the next frame. A frame holds at
/// most [`FRAME_BYTES`](super::open_wal::FRAME_BYTES) of events (as
/// accounted), so only a frame of one outsized event lets its buffers go.
const KEPT_FRAME_CAPACITY: usize = 16 * 1024 * 1024;

/// The writer's one [`FrameEncoder`], used by whichever open write-ahead file
/// cuts a frame (frames are cut one at a time, on the writer's task; the lock
/// is never contended).
#[derive(Clone)]
pub(super) struct SharedFrameEncoder(Arc<Mutex<FrameEncoder>>);

impl SharedFrameEncoder {
    /// A shared encoder of frames of `schema`'s batches.
    pub fn new(schema: &SchemaRef) -> Result<Self> {
        Ok(Self(Arc::new(Mutex::new(FrameEncoder::new(schema)?))))
    }

    /// The encoder, for one frame. A panic while another frame was encoded
    /// leaves nothing to repair: every frame starts from cleared buffers.
    pub fn lock(&self) -> MutexGuard<'_, FrameEncoder> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Clears `buffer` for the next frame, or lets it go if an outsized frame grew
/// it past [`KEPT_FRAME_CAPACITY`].
fn reset(buffer: &mut Vec<u8>) {
    if buffer.capacity() > KEPT_FRAME_CAPACITY {
        *buffer = Vec::new();
    }
    buffer.clear();
}

impl FrameEncoder {
    /// An encoder of frames of `schema`'s batches, whose body is one LZ4 block.
    pub fn new(schema: &SchemaRef) -> Result<Self> {
        let mut message = StreamWriter::try_new_with_options(Vec::new(), schema, ipc_options()?)
            .map_err(|e| arrow_error("encode the spool schema", e))?;
        // The schema message is the segment's record, not a frame's.
        message.get_mut().clear();
        Ok(FrameEncoder {
            message,
            table: CompressTable::large(),
            out: Vec::new(),
        })
    }

    /// Encodes one frame of `batch` (sorted by time here): the header, then
    /// the IPC message of the batch (the schema message is the segment's) as
    /// one LZ4 block. `longest` is the batch's longest string value, or a
    /// bound on it, if its encoder kept one (else the batch is scanned). Returns the frame's
    /// bytes, its header and the sorted batch (what the frame holds).
    pub fn encode(
        &mut self,
        batch: &RecordBatch,
        stats: EncodeStats,
        longest: Option<u64>,
    ) -> Result<(&[u8], FrameHeader, RecordBatch)> {
        let sorted = sort_by_time(batch)?;
        let time = times(&sorted)?;
        let header = FrameHeader {
            rows: sorted.num_rows() as u64,
            min_time: time.values().first().copied().unwrap_or(0),
            max_time: time.values().last().copied().unwrap_or(0),
            largest_value: longest.map_or_else(
                || ParquetRules::largest_value_in(&sorted),
                ParquetRules::largest_value_given,
            ),
            stats,
        };
        reset(self.message.get_mut());
        // The spool's schema has no dictionary-encoded fields: the stream writer tracks none.
        self.message
            .write(&sorted)
            .map_err(|e| arrow_error("encode a spool frame", e))?;
        let message = self.message.get_ref();
        // The frame is written over the kept buffer, which only grows: no zeroing of a
        // compression bound's worth of bytes per frame.
        let prefix = FRAME_HEADER_BYTES + BLOCK_MAGIC.len() + 8;
        let need = prefix + get_maximum_output_size(message.len());
        if self.out.capacity() > KEPT_FRAME_CAPACITY.max(need) {
            self.out = Vec::new();
        }
        if self.out.len() < need {
            self.out.resize(need, 0);
        }
        let mut head = Vec::with_capacity(prefix);
        header.write(&mut head);
        head.extend_from_slice(&BLOCK_MAGIC);
        head.extend_from_slice(&(message.len() as u64).to_le_bytes());
        self.out[..prefix].copy_from_slice(&head);
        let written =
            compress_into_with_table(message, &mut self.out[prefix..need], &mut self.table)
                .map_err(|e| {
                    Error::new(ErrorKind::Io, format!("compress a spool frame: {e}")).with_source(e)
                })?;
        let frame = &self.out[..prefix + written];
        Ok((frame, header, sorted))
    }
}

/// Decodes the batch of a frame payload, given the segment's schema
/// message.
pub(super) fn decode_frame(schema: &[u8], payload: &[u8]) -> Result<RecordBatch> {
    let body = payload
        .get(FRAME_HEADER_BYTES..)
        .ok_or_else(|| Error::new(ErrorKind::Integrity, "a spool frame is too short"))?;
    let integrity = |e: ArrowError| {
        Error::new(
            ErrorKind::Integrity,
            format!("a spool frame does not decode: {e}"),
        )
        .with_source(e)
    };
    let decompressed;
    let message = match body.strip_prefix(&BLOCK_MAGIC) {
        Some(block) => {
            decompressed = decompress_block(block)?;
            &decompressed[..]
        }
        None => body,
    };
    let mut reader = StreamReader::try_new(schema.chain(message), None).map_err(integrity)?;
    reader
        .next()
        .ok_or_else(|| Error::new(ErrorKind::Integrity, "a spool frame holds no batch"))?
        .map_err(integrity)
}

/// The IPC message of a frame body that is one LZ4 block (after
/// [`BLOCK_MAGIC`]).
fn decompress_block(block: &[u8]) -> Result<Vec<u8>> {
    let damaged = |what: String| Error::new(ErrorKind::Integrity, format!("a spool frame {what}"));
    let (length, data) = block
        .split_first_chunk::<8>()
        .ok_or_else(|| damaged("is too short".into()))?;
    let length = u64::from_le_bytes(*length);
    if length > (data.len() as u64).saturating_mul(LZ4_MAX_RATIO) {
        return Err(damaged(format!(
            "claims {length} bytes from a block of {}",
            data.len()
        )));
    }
    let length = usize::try_from(length).map_err(|_| damaged("is too large".into()))?;
    let mut message = vec![0; length];
    let written = decompress_into(data, &mut message)
        .map_err(|e| damaged(format!("does not decompress: {e}")).with_source(e))?;
    if written != length {
        return Err(damaged(format!(
            "decompresses to {written} bytes, not the {length} it claims"
        )));
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocsf_model::columnar::{BatchEncoder, ColumnarOptions};
    use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    use ocsf_model::v1_1_0::objects::{Metadata, Product, User};

    fn encoder_one() -> Result<RecordBatch> {
        let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())
            .map_err(|e| Error::invalid_input(e.to_string()))?;
        encoder.append(&Authentication::new(
            AuthenticationActivityId::Logon,
            Metadata::new(Product::default(), "1.1.0".into()),
            SeverityId::Low,
            1,
            User::default(),
        ));
        encoder
            .finish()
            .map_err(|e| Error::invalid_input(e.to_string()))
    }

    /// A frame decodes to its batch sorted by time (stable), and its header
    /// says so.
    #[test]
    fn frames_round_trip_sorted_by_time() -> Result<()> {
        let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())
            .map_err(|e| Error::invalid_input(e.to_string()))?;
        for (i, time) in [5_i64, 3, 5, 1].into_iter().enumerate() {
            let mut event = Authentication::new(
                AuthenticationActivityId::Logon,
                Metadata::new(Product::default(), "1.1.0".into()),
                SeverityId::Low,
                time,
                User::default(),
            );
            event.message = Some(format!("m{i}"));
            encoder.append(&event);
        }
        let batch = encoder
            .finish()
            .map_err(|e| Error::invalid_input(e.to_string()))?;
        let schema = schema_message(&batch.schema())?;
        let mut frames = FrameEncoder::new(&batch.schema())?;
        let (payload, header, _) = frames.encode(&batch, EncodeStats::default(), None)?;
        let payload = payload.to_vec();
        // A second frame through the same encoder (its context kept).
        let one = encoder_one()?;
        let single = frames
            .encode(&one, EncodeStats::default(), None)?
            .0
            .to_vec();
        assert_eq!(decode_frame(&schema, &single)?, one);
        assert_eq!((header.rows, header.min_time, header.max_time), (4, 1, 5));
        assert_eq!(FrameHeader::read(&payload)?, header);
        let back = decode_frame(&schema, &payload)?;
        assert_eq!(times(&back)?.values().to_vec(), vec![1, 3, 5, 5]);
        let messages = back
            .column_by_name("message")
            .and_then(|c| c.as_any().downcast_ref::<arrow_array::StringArray>())
            .map(|c| {
                c.iter()
                    .map(|m| m.unwrap_or_default().to_owned())
                    .collect::<Vec<_>>()
            });
        assert_eq!(
            messages,
            Some(vec!["m3".into(), "m1".into(), "m0".into(), "m2".into()])
        );
        Ok(())
    }

    /// The longest value the event encoder keeps is what a scan of the
    /// finished batch finds, wherever the value is: a top-level string, a
    /// map value or key (`unmapped`), a struct in a list (`observables`).
    #[test]
    fn the_encoders_longest_value_is_the_scans() -> Result<()> {
        use ocsf_model::v1_1_0::objects::Observable;
        let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())
            .map_err(|e| Error::invalid_input(e.to_string()))?;
        let cases: [(usize, usize, usize, usize); 5] = [
            (3, 0, 0, 0),
            (300, 10, 5, 7),
            (10, 900, 5, 7),
            (10, 20, 1_000, 7),
            (10, 20, 5, 2_000),
        ];
        for (message, value, key, observed) in cases {
            for i in 0..3 {
                let mut event = Authentication::new(
                    AuthenticationActivityId::Logon,
                    Metadata::new(Product::default(), "1.1.0".into()),
                    SeverityId::Low,
                    i,
                    User::default(),
                );
                event.message = Some("m".repeat(message));
                if value + key > 0 {
                    let mut unmapped = serde_json::Map::new();
                    unmapped.insert("k".repeat(key.max(1)), "v".repeat(value).into());
                    event.unmapped = Some(unmapped);
                }
                if observed > 0 {
                    let mut observable = Observable::default();
                    observable.value = Some("o".repeat(observed));
                    event.observables = Some(vec![Observable::default(), observable]);
                }
                encoder.append(&event);
            }
            let longest = encoder.longest_value() as u64;
            let batch = encoder
                .finish()
                .map_err(|e| Error::invalid_input(e.to_string()))?;
            assert_eq!(encoder.longest_value(), 0, "finish starts it over");
            assert_eq!(
                ParquetRules::largest_value_given(longest),
                ParquetRules::largest_value_in(&batch),
                "case {message}/{value}/{key}/{observed}"
            );
            // The events' captions (`category_name`...) are up to 28 bytes.
            let put = message.max(value).max(key).max(observed);
            assert_eq!(longest as usize, put.max(28), "case {put}");
        }
        Ok(())
    }

    /// An earlier version's frame: a whole IPC stream of the batch (ZSTD
    /// buffers, the end-of-stream marker) less its schema message.
    fn earlier_frame(batch: &RecordBatch, header: &FrameHeader) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        header.write(&mut out);
        let options = ipc_options_with(CompressionType::ZSTD)?;
        let mut writer = StreamWriter::try_new_with_options(Vec::new(), &batch.schema(), options)
            .map_err(|e| arrow_error("encode", e))?;
        let schema_len = writer.get_ref().len();
        writer.write(batch).map_err(|e| arrow_error("encode", e))?;
        let bytes = writer.into_inner().map_err(|e| arrow_error("encode", e))?;
        out.extend_from_slice(bytes.get(schema_len..).unwrap_or_default());
        Ok(out)
    }

    /// A frame of the versions between (docs/adr/0310): the IPC message of
    /// the batch, each buffer compressed by `codec`, no end-of-stream marker.
    fn per_buffer_frame(
        batch: &RecordBatch,
        header: &FrameHeader,
        codec: CompressionType,
    ) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        header.write(&mut out);
        let options = ipc_options_with(codec)?;
        let mut dictionaries = DictionaryTracker::new(false);
        let (dicts, message) = IpcDataGenerator::default()
            .encode(
                batch,
                &mut dictionaries,
                &options,
                &mut IpcWriteContext::default(),
            )
            .map_err(|e| arrow_error("encode", e))?;
        for encoded in dicts.into_iter().chain(std::iter::once(message)) {
            write_message(&mut out, encoded, &options).map_err(|e| arrow_error("encode", e))?;
        }
        Ok(out)
    }

    fn batches_of_three_chunks() -> Result<Vec<RecordBatch>> {
        let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())
            .map_err(|e| Error::invalid_input(e.to_string()))?;
        let mut batches = Vec::new();
        for chunk in 0..3_i64 {
            for i in 0..200_i64 {
                let mut event = Authentication::new(
                    AuthenticationActivityId::Logon,
                    Metadata::new(Product::default(), "1.1.0".into()),
                    SeverityId::Low,
                    chunk * 1000 + i,
                    User::default(),
                );
                event.message = Some(format!("Accepted publickey for user{} port {i}", i % 7));
                encoder.append(&event);
            }
            batches.push(
                encoder
                    .finish()
                    .map_err(|e| Error::invalid_input(e.to_string()))?,
            );
        }
        Ok(batches)
    }

    /// This version's frames are one LZ4 block; frames of earlier versions (a
    /// stream per frame with ZSTD buffers; a message per frame with LZ4 or
    /// ZSTD buffers) still decode, to the same batch. One encoder's state
    /// carries from frame to frame.
    #[test]
    fn frames_of_earlier_spools_decode_like_this_versions() -> Result<()> {
        let batches = batches_of_three_chunks()?;
        let schema = schema_message(&batches[0].schema())?;
        let mut frames = FrameEncoder::new(&batches[0].schema())?;
        for batch in &batches {
            let (frame, header, _) = frames.encode(batch, EncodeStats::default(), None)?;
            let frame = frame.to_vec();
            assert_eq!(
                frame.get(FRAME_HEADER_BYTES..FRAME_HEADER_BYTES + 4),
                Some(&BLOCK_MAGIC[..])
            );
            let stream = earlier_frame(batch, &header)?;
            let lz4 = per_buffer_frame(batch, &header, CompressionType::LZ4_FRAME)?;
            let zstd = per_buffer_frame(batch, &header, CompressionType::ZSTD)?;
            assert!(
                frame.len() < lz4.len(),
                "one block ({} B) is smaller than LZ4 per buffer ({} B)",
                frame.len(),
                lz4.len()
            );
            for bytes in [&frame, &stream, &lz4, &zstd] {
                assert_eq!(FrameHeader::read(bytes)?, header);
                assert_eq!(&decode_frame(&schema, bytes)?, batch);
            }
        }
        Ok(())
    }

    /// A damaged block is an integrity error, never a panic or a huge
    /// allocation: a claimed length beyond what LZ4 can expand to, a cut
    /// block, a length that disagrees with the data, flipped bytes.
    #[test]
    fn damaged_blocks_are_integrity_errors() -> Result<()> {
        let batches = batches_of_three_chunks()?;
        let schema = schema_message(&batches[0].schema())?;
        let mut frames = FrameEncoder::new(&batches[0].schema())?;
        let frame = frames
            .encode(&batches[0], EncodeStats::default(), None)?
            .0
            .to_vec();
        let length_at = FRAME_HEADER_BYTES + BLOCK_MAGIC.len();
        let claimed = |frame: &mut Vec<u8>, length: u64| {
            frame[length_at..length_at + 8].copy_from_slice(&length.to_le_bytes());
        };
        let mut huge = frame.clone();
        claimed(&mut huge, u64::MAX / 2);
        let mut longer = frame.clone();
        claimed(&mut longer, (frame.len() as u64) * 2);
        let cut = frame[..frame.len() - 9].to_vec();
        let no_length = frame[..length_at + 3].to_vec();
        let mut flipped = frame.clone();
        for byte in flipped.iter_mut().skip(length_at + 8).step_by(7) {
            *byte ^= 0x5a;
        }
        for (what, bytes) in [
            ("huge", huge),
            ("longer", longer),
            ("cut", cut),
            ("no length", no_length),
            ("flipped", flipped),
        ] {
            match decode_frame(&schema, &bytes) {
                Err(e) => assert_eq!(e.kind(), ErrorKind::Integrity, "{what}: {e}"),
                Ok(batch) => panic!("{what}: decoded {} rows", batch.num_rows()),
            }
        }
        Ok(())
    }
}

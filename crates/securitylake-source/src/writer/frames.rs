//! Columnar spool frames (write-ahead format 3).
//!
//! A format-3 `.wal` holds, after its JSON header record, one record with
//! the Arrow IPC schema message of the segment's batches, then one record
//! per *frame*: a fixed [`FrameHeader`] (rows, time range, largest value,
//! encoding counters) followed by the Arrow IPC messages of one
//! `RecordBatch` (its dictionaries, if any, and the batch; buffers LZ4
//! compressed, ZSTD in spools of earlier versions), rows sorted by `time`
//! (stable). The record framing (length, CRC) is the spool's, so a torn
//! frame is dropped like a torn record.

use std::io::Read;

use arrow_array::{Array, Int64Array, RecordBatch, UInt32Array};
use arrow_ipc::CompressionType;
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::{
    DictionaryTracker, IpcDataGenerator, IpcWriteContext, IpcWriteOptions, StreamWriter,
    write_message,
};
use arrow_schema::{ArrowError, SchemaRef};
use ocsf_model::columnar::EncodeStats;
use securitylake_parquet::ParquetRules;

use crate::error::{Error, ErrorKind, Result};

/// The bytes of a [`FrameHeader`].
pub(super) const FRAME_HEADER_BYTES: usize = 64;

fn arrow_error(context: &str, err: ArrowError) -> Error {
    Error::new(ErrorKind::Io, format!("{context}: {err}")).with_source(err)
}

fn ipc_options_with(codec: CompressionType) -> Result<IpcWriteOptions> {
    // 8-byte alignment: the default 64 pads every buffer of every leaf
    // column, which doubled a one-row frame of a full OCSF schema (65 KB
    // against 131 KB, measured).
    IpcWriteOptions::try_new(8, false, arrow_ipc::MetadataVersion::V5)
        .map_err(|e| arrow_error("IPC options", e))?
        .try_with_compression(Some(codec))
        .map_err(|e| arrow_error("IPC options", e))
}

/// The codec of spool frames' buffers. A frame is compressed once, on the
/// writer's thread, and read back only by recovery, so the fastest codec
/// wins: LZ4 instead of ZSTD level 1 saved about 4% of the write path's CPU
/// for 44% more frame bytes (docs/adr/0309). Frames written by earlier
/// versions (ZSTD) still decode: each IPC message names its codec.
pub(super) const FRAME_COMPRESSION: CompressionType = CompressionType::LZ4_FRAME;

/// What a frame's header says about its batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct FrameHeader {
    pub rows: u64,
    pub min_time: i64,
    pub max_time: i64,
    /// The largest value of the batch ([`ParquetRules::largest_value_in`]).
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

/// The IPC schema message of `schema` (the second record of a format-3
/// write-ahead file).
pub(super) fn schema_message(schema: &SchemaRef) -> Result<Vec<u8>> {
    let writer = StreamWriter::try_new_with_options(
        Vec::new(),
        schema,
        ipc_options_with(FRAME_COMPRESSION)?,
    )
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

/// Encodes frames, keeping its IPC context (the flatbuffer builder, a ZSTD
/// compressor if that is the codec) and its buffer from one frame to the
/// next: one per open write-ahead file (docs/adr/0310).
pub(super) struct FrameEncoder {
    options: IpcWriteOptions,
    context: IpcWriteContext,
    /// The frame being encoded (reused).
    out: Vec<u8>,
}

/// A frame buffer larger than this is not kept for the next frame.
const KEPT_FRAME_CAPACITY: usize = 4 * 1024 * 1024;

impl FrameEncoder {
    /// An encoder of frames compressed by [`FRAME_COMPRESSION`].
    pub fn new() -> Result<Self> {
        Self::with_codec(FRAME_COMPRESSION)
    }

    /// An encoder of frames compressed by `codec`.
    fn with_codec(codec: CompressionType) -> Result<Self> {
        let mut context = IpcWriteContext::default();
        // The batch's message body is built in the context's scratch buffer: kept from one
        // frame to the next, not allocated (about a megabyte) for each.
        context.set_reserve_scratch(true);
        Ok(FrameEncoder {
            options: ipc_options_with(codec)?,
            context,
            out: Vec::new(),
        })
    }

    /// Encodes one frame of `batch` (sorted by time here): the header, then
    /// the IPC message of the batch (the schema message is the segment's).
    /// Returns the frame's bytes, its header and the sorted batch (what the
    /// frame holds).
    pub fn encode(
        &mut self,
        batch: &RecordBatch,
        stats: EncodeStats,
    ) -> Result<(&[u8], FrameHeader, RecordBatch)> {
        let sorted = sort_by_time(batch)?;
        let time = times(&sorted)?;
        let header = FrameHeader {
            rows: sorted.num_rows() as u64,
            min_time: time.values().first().copied().unwrap_or(0),
            max_time: time.values().last().copied().unwrap_or(0),
            largest_value: ParquetRules::largest_value_in(&sorted),
            stats,
        };
        if self.out.capacity() > KEPT_FRAME_CAPACITY {
            self.out = Vec::new();
        }
        self.out.clear();
        header.write(&mut self.out);
        // The spool's schema has no dictionary-encoded fields: nothing to track.
        let mut dictionaries = DictionaryTracker::new(false);
        let (dicts, message) = IpcDataGenerator::default()
            .encode(&sorted, &mut dictionaries, &self.options, &mut self.context)
            .map_err(|e| arrow_error("encode a spool frame", e))?;
        for encoded in dicts.into_iter().chain(std::iter::once(message)) {
            write_message(&mut self.out, encoded, &self.options)
                .map_err(|e| arrow_error("encode a spool frame", e))?;
        }
        Ok((&self.out, header, sorted))
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
    let mut reader = StreamReader::try_new(schema.chain(body), None).map_err(integrity)?;
    reader
        .next()
        .ok_or_else(|| Error::new(ErrorKind::Integrity, "a spool frame holds no batch"))?
        .map_err(integrity)
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
        let mut frames = FrameEncoder::new()?;
        let (payload, header, _) = frames.encode(&batch, EncodeStats::default())?;
        let payload = payload.to_vec();
        // A second frame through the same encoder (its context kept).
        let one = encoder_one()?;
        let single = frames.encode(&one, EncodeStats::default())?.0.to_vec();
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

    /// Frames of earlier versions (a stream per frame, ZSTD) still
    /// decode, to the same batch as this version's frames, in either codec;
    /// one encoder's context carries from frame to frame.
    #[test]
    fn frames_of_earlier_spools_and_either_codec_decode() -> Result<()> {
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
        let schema = schema_message(&batches[0].schema())?;
        let mut zstd = FrameEncoder::with_codec(CompressionType::ZSTD)?;
        let mut lz4 = FrameEncoder::with_codec(CompressionType::LZ4_FRAME)?;
        for batch in &batches {
            let (frame, header, _) = zstd.encode(batch, EncodeStats::default())?;
            let frame = frame.to_vec();
            let old = earlier_frame(batch, &header)?;
            let other = lz4.encode(batch, EncodeStats::default())?.0.to_vec();
            assert_ne!(frame, other, "the two codecs wrote different bytes");
            assert_ne!(frame, old, "no end-of-stream marker now");
            for bytes in [&frame, &other, &old] {
                assert_eq!(FrameHeader::read(bytes)?, header);
                assert_eq!(&decode_frame(&schema, bytes)?, batch);
            }
        }
        Ok(())
    }
}

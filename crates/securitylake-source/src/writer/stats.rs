//! The counters of a [`Writer`](super::Writer).

use ocsf_model::columnar::EncodeStats;

#[cfg(doc)]
use super::{Writer, WriterConfigBuilder};

/// Counters of a [`Writer`], as a plain struct to export to any metrics
/// system.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriterStats {
    /// Events accepted by `write` (durable in the spool as configured).
    pub events_accepted: u64,
    /// Events in objects written to the store.
    pub events_written: u64,
    /// Objects written to the store (including ones found already present).
    pub files_written: u64,
    /// Bytes of the objects written.
    pub bytes_written: u64,
    /// Uploads whose key already held the object (a replay after a crash).
    pub already_present: u64,
    /// Files whose encoded size exceeded `max_file_bytes` despite the
    /// estimate (expected to stay 0).
    pub oversize_files: u64,
    /// Segments recovered from the spool by [`Writer::open`].
    pub segments_recovered: u64,
    /// Events in the segments recovered by [`Writer::open`].
    pub events_recovered: u64,
    /// Events waiting in open segments and in segments being sealed in the
    /// background (in their write-ahead files, not yet in a durable sealed
    /// file), in bytes: each event's estimated bytes in the Parquet file
    /// (what it added to the column buffers times the learned ratio), plus
    /// what the spool frames took beyond them. A
    /// segment being sealed stops counting when a later call completes its
    /// seal.
    pub buffered_bytes: u64,
    /// The largest value `buffered_bytes` has had.
    pub peak_buffered_bytes: u64,
    /// Fsyncs of write-ahead files.
    pub spool_syncs: u64,
    /// Segments rolled because the next event would have made the file
    /// exceed `max_file_bytes`.
    pub rolls_by_size: u64,
    /// Segments rolled because they were `max_age` old.
    pub rolls_by_age: u64,
    /// Segments rolled early to stay within `max_buffered_bytes` (the bound
    /// on events waiting in open segments).
    pub rolls_by_memory: u64,
    /// Segments whose Parquet file was encoded while they were open, frame
    /// by frame, so that rolling them only wrote its footer. The others
    /// were encoded from their write-ahead file when they rolled: segments
    /// whose frames go back in time (merged by time), hold a value much
    /// larger than their first frame's, or were written faster than the
    /// encoder thread could follow without waiting ([`Writer::try_write`]).
    pub sealed_while_open: u64,
    /// Values of accepted events that the Parquet files could not carry as
    /// given, summed over the segments this writer sealed (recovered ones
    /// included): attributes the schema version does not define, `*_dt`
    /// values that are not RFC 3339 date-times and integers out of their
    /// column's range (written as null), and values of attributes the
    /// [`columnar_options`](WriterConfigBuilder::columnar_options) leave out. The
    /// events themselves are written; each sealed segment with a non-zero
    /// count is also logged as a warning.
    pub encoding: EncodeStats,
}

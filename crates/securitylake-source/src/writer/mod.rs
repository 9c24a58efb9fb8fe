//! The typed custom-source writer.
//!
//! A [`Writer<E>`] writes events of one OCSF class `E` (one class per custom
//! source: a writer of another class is another type, and a spool written by
//! another class is refused on [`Writer::open`]) into the lake layout:
//!
//! ```text
//! <location prefix>region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/<32 hex>.zstd.parquet
//! ```
//!
//! * **Partitions**: each event goes to the partition of its own UTC `time`
//!   ([`PartitionKey::for_event_time`]), so one flush can write several days.
//! * **Files**: rows sorted by `time`, ZSTD, data pages within 1 MiB and
//!   row groups bounded: the Security Lake rule book [`ParquetRules`] (as in
//!   [`write_parquet`](securitylake_parquet::write_parquet)), with the page
//!   settings sized from the largest event of the file and row groups closed
//!   at 8 MiB. The object name is the hash of
//!   the file's bytes ([`ObjectName::from_content`]), so retries and replays
//!   land on the same key; puts are conditional creates
//!   ([`put_if_absent`]: `If-None-Match: *` on S3) and an existing object
//!   at that key counts as written.
//! * **Rolling**: a partition's open segment becomes an object when it is
//!   [`max_age`](WriterConfigBuilder::max_age) old (5 minutes to 1 day, as
//!   Security Lake asks; checked on every write and by [`Writer::roll_due`]),
//!   earlier only when the next event would make the file exceed
//!   [`max_file_bytes`](WriterConfigBuilder::max_file_bytes), or when the
//!   `max_buffered_bytes` bound forces it (below), and on [`Writer::flush`] /
//!   [`Writer::close`]. The size of a file is estimated as the size of its
//!   events plus the Parquet footer of the class, where an event's *size*
//!   is what it added to its segment's column buffers when it was encoded
//!   (its only encoding before Parquet), times the ratio of file bytes to
//!   encoded bytes the writer learned (from a trial Parquet encoding of its
//!   first frames, up to 16,384 rows, until it sealed a file, then from its
//!   sealed files), plus 3% headroom: files land at 90-97% of the limit (the actual
//!   sizes are checked and counted in [`WriterStats::oversize_files`]). An
//!   event that would not fit where it was encoded is taken back out of the
//!   column buffers and encoded again after the roll.
//! * **Memory**: an accepted event is encoded at once into its segment's
//!   open Arrow batch (a [`BatchEncoder`](ocsf_model::columnar::BatchEncoder)),
//!   which is cut into a *frame* of the write-ahead file (below, and
//!   [spool]) per [`Durability::EveryWrite`] write, per
//!   [`Writer::write_batch`], per [`Writer::sync`], per seal and every 4,096
//!   rows; memory keeps the open batch and 16 bytes per event. A frame is
//!   the batch sorted by `time`, its Arrow IPC message compressed as one
//!   LZ4 block (the writer's one frame encoder, shared by its open
//!   segments, keeps its buffers). Sealing
//!   merges the segment's sorted runs (consecutive frames whose times do not
//!   go back) k-way into Arrow batches of at most 4,096 rows and streams the
//!   Parquet bytes into the sealed spool file (row groups closed at 8 MiB),
//!   holding one frame per run. An upload reads its file in pieces of at
//!   most 1 MiB as the store takes them, and runs while the next segment
//!   encodes. Encoding runs on one thread per
//!   writer, off the async executor, for at most one segment at a time
//!   (see [Pipelining](#pipelining)).
//! * **Backpressure**: at most
//!   [`max_buffered_bytes`](WriterConfigBuilder::max_buffered_bytes) of
//!   events (by their size, above) wait in open segments and in the segment
//!   being sealed, across partitions, which also bounds the spool's disk use
//!   for them. When an event would exceed it, [`Writer::write`] first waits
//!   for the segment being sealed, then seals the largest open segment and
//!   waits for its encoding, while [`Writer::try_write`] returns
//!   [`ErrorKind::Backpressure`] instead. At most two sealed segments wait
//!   for their upload: a further seal waits for the oldest upload.
//! * **Floats**: NaN, the infinities, `-0.0` and subnormals are data. A
//!   frame holds the Arrow columns the file will hold (a record of the older
//!   formats keeps a float's bits), so recovery gives back what was
//!   written, and the file holds it as the columnar layer does (see
//!   [its floats](ocsf_model::columnar#floats)): Float32 columns keep NaN
//!   and the signs of infinities and zeros; JSON text can only hold `null`.
//!
//! # Durability
//!
//! Every accepted event reaches the segment's write-ahead file in the
//! [spool] directory in a frame (above). With [`Durability::EveryWrite`]
//! (the default) each write cuts its frame and the file is fsynced before
//! [`Writer::write`] returns, so an acknowledged event survives a crash of
//! the machine; [`Writer::write_batch`] appends one frame per partition it
//! touched and fsyncs once each (group commit). With
//! [`Durability::Interval`] a single write stays in the open batch until a
//! frame is cut (every 4,096 rows, on the interval's fsync, on
//! [`Writer::sync`] and on a seal), so a crash of the process may lose the
//! events of the open batches, and a crash of the machine up to one
//! interval of acknowledged events; [`Writer::write_batch`] cuts its frames
//! before returning (they survive a crash of the process). With
//! [`Durability::OnFlush`] nothing is cut or fsynced by the clock: the files
//! depend on the events and calls only, so a caller that replays its input
//! after a crash makes the same objects again (and their conditional puts
//! are no-ops).
//!
//! A frame of a wide schema carries the metadata of every leaf column
//! (about 65 KB for a one-row frame of the full `Authentication` schema):
//! frame bytes beyond the events' sizes count in
//! [`WriterStats::buffered_bytes`], not in the file size estimate. Project
//! the columns a source writes, or write in batches.
//!
//! A segment leaves the spool only after its object is in the store:
//! encode, write the `.sealed` file durably, delete the `.wal`, upload, then
//! delete the `.sealed` file. [`Writer::open`] recovers what a dead writer
//! left: sealed segments are uploaded, unsealed ones are sealed from their
//! records first. A replay cannot duplicate data: the key is the hash of the
//! sealed bytes and the put is conditional.
//!
//! # Pipelining
//!
//! Sealing and uploading overlap with accepting further events. A roll
//! (by size, age or the memory bound) fsyncs the segment's write-ahead file
//! and hands its encoding to the encoder thread, then returns: the next
//! events go to a new segment of the partition, with a write-ahead file of
//! its own. Each call to [`Writer::write`] or [`Writer::write_batch`] first
//! takes, without waiting, what finished in the background: an encoded
//! segment's sealed file is made durable (its write-ahead file deleted, its
//! events leave [`WriterStats::buffered_bytes`]), and the oldest sealed
//! segment's upload is started as a Tokio task (one at a time, in the order
//! the segments were sealed) or, once it ended, counted and its sealed file
//! deleted. So the writer needs a Tokio runtime (any flavor); with a
//! current-thread runtime the upload progresses whenever the caller awaits.
//!
//! A segment written in time order is encoded while it is open: each frame
//! cut into its write-ahead file is also written into its Parquet file on
//! the encoder thread, so its roll only writes the footer
//! ([`WriterStats::sealed_while_open`]). A segment whose frames go back in
//! time, or hold values much larger than its first frame's, is encoded from
//! its write-ahead file when it rolls (merged by time), as is one written
//! faster than the encoder thread follows: a write waits for the encoder
//! thread when 16 MiB of frames are queued on it, and
//! [`Writer::try_write`], which cannot wait, stops encoding a segment early
//! when 64 MiB are.
//!
//! The work in flight is bounded: one segment encoding and two sealed
//! segments waiting for (or in) their upload. A roll beyond that first waits
//! for the oldest seal or upload (backpressure), and so does the memory
//! bound (above).
//!
//! An error in the background is returned by the next call that takes it
//! (`write`, `write_batch`, `try_write` for encodings, `flush`, `close`,
//! `roll_due`), which then accepts nothing; nothing is lost:
//!
//! * a failed encoding puts the segment back, with its write-ahead file: as
//!   its partition's open segment if the partition has none (later events
//!   append to it, as before pipelining), otherwise aside, to be sealed
//!   again by the next [`Writer::flush`], [`Writer::roll_due`] or the memory
//!   bound; its events stay in `buffered_bytes`;
//! * a failed upload leaves the segment sealed in the spool, first in line:
//!   the next call starts its upload again;
//! * if the encoder itself fails (a panic) or a sealed file cannot be made
//!   durable, the segment leaves memory but its write-ahead file stays in
//!   the spool, and [`Writer::open`] recovers it.
//!
//! [`Writer::flush`], [`Writer::close`] and [`Writer::roll_due`] wait for
//! every seal and upload in flight, so once they return the manifest and
//! [`Writer::stats`] are complete. Dropping a writer waits for
//! nothing: it abandons the upload in flight (the segment stays sealed in
//! the spool; the next open uploads it, and the conditional put makes the
//! replay harmless) and the encoding in flight (asked to stop early, it
//! writes only into a temporary file of its own, which it deletes; the
//! segment's write-ahead file stays in the spool for the next open to seal
//! again). Because object names are content digests, the order of
//! uploads does not matter for correctness; the manifest lists objects in
//! the order their segments were sealed.
//!
//! ```
//! use std::sync::Arc;
//!
//! use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
//! use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
//! use futures::TryStreamExt;
//! use securitylake_core::layout::SourceLocation;
//! use securitylake_core::object_store::{ObjectStore, path::Path};
//! use securitylake_core::store::local_store;
//! use securitylake_source::writer::{Writer, WriterConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let lake = local_store(dir.path().join("lake"))?;
//! let config = WriterConfig::builder()
//!     // The region (`region=`) comes from the lake bucket's name.
//!     .location(SourceLocation::parse("s3://aws-security-data-lake-us-east-1-abc/ext/myapp/1.0/")?)
//!     .account_id("123456789012")
//!     .store(lake.clone())
//!     .spool_dir(dir.path().join("spool"))
//!     .build()?;
//! let mut writer = Writer::<Authentication>::open(config).await?;
//!
//! let mut product = Product::default();
//! product.name = Some("sshd".into());
//! let event = Authentication::new(
//!     AuthenticationActivityId::Logon,
//!     Metadata::new(product, "1.1.0".into()),
//!     SeverityId::Low,
//!     1_709_251_199_999, // 2024-02-29T23:59:59.999Z
//!     User::default(),
//! );
//! writer.write(&event).await?;
//!
//! let manifest = writer.close().await?;
//! assert_eq!(manifest.rows(), 1);
//! let key = &manifest.objects[0].key;
//! assert!(key.starts_with("ext/myapp/1.0/region=us-east-1/accountId=123456789012/eventDay=20240229/"));
//! assert!(key.ends_with(".zstd.parquet"));
//! let listed: Vec<_> = lake.list(Some(&Path::from("ext/myapp"))).try_collect().await?;
//! assert_eq!(listed.len(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! # Events encoded where they are made
//!
//! [`Writer::write`] and [`Writer::write_batch`] encode each event on the
//! caller's thread. An application that makes its events on another thread
//! (a mapping thread, say) can encode them there instead, while each event
//! is still in that core's cache: an [`EventEncoder`] (from
//! [`Writer::encoder`]; it is `Send`) appends events as columns, and
//! [`Writer::write_encoded`] places its [`EncodedEvents`] without encoding
//! them again, with the same checks, rolls and files (byte for byte) as
//! `write_batch`. With `ocsf_mappers::map_thread::MapThread::spawn_taking`
//! this halved the CPU time of the harness's write path (docs/adr/0218).
//!
//! # Layers
//!
//! The writer is built in layers, each in a module of its own:
//! configuration (`config`: [`WriterConfig`], [`Durability`]; `clock`:
//! [`Clock`]), a pure segment table (`segments`: which partition has which
//! open segment, their sizes and ages, when one rolls; no I/O), the
//! [spool] (write-ahead and sealed files), the sealer (`sealer`: Parquet by
//! [`ParquetRules`] on the encoder thread), the uploader (`uploader`: one
//! upload at a time; the store's retry configuration is the only retry
//! layer), and the [`Writer`] facade with its seal pipeline (`pipeline`),
//! its placing of events (`place`) and of encoded events (`encoded`), and
//! recovery (`recovery`).
//!
//! # One class per writer, checked at compile time
//!
//! An event of another class is a type error, not a runtime check:
//!
//! ```compile_fail
//! use ocsf_model::v1_1_0::events::{ApiActivity, Authentication};
//! use securitylake_source::writer::Writer;
//!
//! async fn wrong_class(writer: &mut Writer<Authentication>, event: ApiActivity) {
//!     // error[E0308]: mismatched types: expected `Authentication`, found `ApiActivity`
//!     let _ = writer.write(&event).await;
//! }
//! ```
//!
//! while the same function with the writer's own class compiles:
//!
//! ```no_run
//! use ocsf_model::v1_1_0::events::{ApiActivity, Authentication};
//! use securitylake_source::writer::Writer;
//!
//! async fn right_class(writer: &mut Writer<ApiActivity>, event: ApiActivity) {
//!     let _ = writer.write(&event).await;
//! }
//! # let _ = std::marker::PhantomData::<Authentication>;
//! ```
//!
//! A spool directory written by a writer of another class is refused by
//! [`Writer::open`] with [`ErrorKind::Config`].

pub(crate) mod admit;
mod clock;
mod config;
mod early;
mod encoded;
mod frames;
mod merge;
mod open_wal;
mod pipeline;
mod place;
mod recovery;
mod sample;
mod sealer;
mod segments;
mod sizing;
mod stats;
#[cfg(test)]
mod tests;
mod uploader;

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use ocsf_model::OcsfEvent;
use securitylake_core::layout::PartitionKey;

pub use self::clock::{Clock, ManualClock, SystemClock};
pub use self::config::{
    DEFAULT_MAX_AGE, DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FUTURE_SKEW,
    Durability, MAX_FILE_BYTES, MAX_MAX_AGE, MIN_FILE_BYTES, MIN_MAX_AGE, WriterConfig,
    WriterConfigBuilder,
};
pub use self::encoded::{EncodedEvents, EventEncoder};
pub use self::stats::WriterStats;

use self::open_wal::OpenWal;
use self::place::Placed;
use self::sample::SizeSample;
use self::sealer::{EncoderThread, ParquetSealer, Sealing, SharedSealer};
use self::segments::{Limits, SegmentTable};
use self::sizing::Sizing;
use self::uploader::Uploader;
use crate::error::{Error, ErrorKind, Result};
use crate::manifest::Manifest;
use crate::spool::Spool;
#[cfg(doc)]
use {
    crate::spool, securitylake_core::layout::ObjectName, securitylake_core::store::put_if_absent,
    securitylake_parquet::ParquetRules,
};

/// `err` of an event of a batch, its message prefixed by `context` (which
/// event, how many were accepted before it); the kind stays `err`'s.
fn in_batch(context: String, err: Error) -> Error {
    Error::new(err.kind(), format!("{context}: {}", err.message())).with_source(err)
}

/// An event checked by [`Writer::prepare`]: its partition and time.
struct Prepared {
    partition: PartitionKey,
    time: i64,
}

/// A durable, typed writer of one custom source and one event class.
///
/// See the [module documentation](self) for the layout, rolling, memory and
/// durability rules.
pub struct Writer<E: OcsfEvent> {
    config: WriterConfig,
    spool: Spool,
    encoder: EncoderThread,
    sealer: SharedSealer<E>,
    /// The open segments and those whose encoding failed while their
    /// partition already had a new open segment (sealed again by `flush`,
    /// `roll_due` and the memory bound).
    segments: SegmentTable<OpenWal<E>>,
    /// What the segments sealed while open share (see [`early`]).
    early: Arc<early::Shared>,
    /// Segments being encoded in the background, oldest first (at most
    /// [`MAX_SEALING`](sealer::MAX_SEALING)).
    sealing: VecDeque<Sealing<OpenWal<E>>>,
    /// The IPC schema message of the segments' frames.
    schema: Vec<u8>,
    /// The encoder of the open segments' frames (one for all: its buffers are
    /// a frame's size).
    frames: frames::SharedFrameEncoder,
    /// Sealed segments waiting for their upload, and the upload in flight.
    uploads: Uploader,
    manifest: Manifest,
    stats: WriterStats,
    last_sync: i64,
    /// The most a frame took beyond what its events were accounted at: a
    /// single write with [`Durability::EveryWrite`] reserves it, since it
    /// cuts a frame of its own.
    frame_extra: u64,
    /// Bytes of the sealed file per encoded byte, learned.
    sizing: Sizing,
    /// The trial Parquet encoding of the first frames, until files teach
    /// the sizing.
    sample: SizeSample,
    /// An encoder of the writer's columns, never appended to: what
    /// [`Writer::encoder`] copies, and the schema encoded events must have.
    proto: EventEncoder<E>,
    class: PhantomData<fn() -> E>,
}

impl<E: OcsfEvent> fmt::Debug for Writer<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("class", &E::CLASS_NAME)
            .field("config", &self.config)
            .field("open_partitions", &self.segments.len())
            .field("sealing", &self.sealing.len())
            .field("failed_seals", &self.segments.has_failed())
            .field("pending_uploads", &self.uploads.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<E: OcsfEvent> Writer<E> {
    /// Opens the writer: locks the spool directory and recovers what a
    /// previous writer left in it (sealed segments are uploaded; unsealed
    /// ones are sealed from their records, then uploaded). The recovered
    /// objects are reported by the next [`Writer::flush`].
    ///
    /// Fails with [`ErrorKind::Config`] when the spool is in use or holds
    /// another class's events, and with the store's error when a recovered
    /// upload fails (the spool is left intact; opening again retries).
    pub async fn open(config: WriterConfig) -> Result<Self> {
        let sealer = Arc::new(ParquetSealer::new(config.columnar.clone()));
        Self::open_with(config, sealer).await
    }

    /// [`Writer::open`] with the given sealer (the crate's tests pass
    /// doubles that hold or fail an encoding).
    async fn open_with(config: WriterConfig, sealer: SharedSealer<E>) -> Result<Self> {
        let overhead = sealer::footer_overhead::<E>(&config.columnar)?;
        if overhead + MIN_FILE_BYTES / 2 > config.max_file_bytes {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "max_file_bytes {} leaves no room for events: the Parquet footer of {} alone needs about {overhead} bytes \
                     (project the columns the source writes, or raise the limit)",
                    config.max_file_bytes,
                    E::CLASS_NAME
                ),
            ));
        }
        let (spool, found) = Spool::open(&config.spool_dir)?;
        let now = config.clock.now_millis();
        let limits = Limits {
            max_file_bytes: config.max_file_bytes,
            overhead,
            max_age_millis: i64::try_from(config.max_age.as_millis()).unwrap_or(i64::MAX),
            max_buffered_bytes: config.max_buffered_bytes,
        };
        let uploads = Uploader::new(config.store.clone(), config.upload);
        let schema = ocsf_model::columnar::arrow_schema::<E>(&config.columnar)
            .map_err(|e| Error::invalid_input(format!("columnar options: {e}")).with_source(e))?;
        let frames = frames::SharedFrameEncoder::new(&schema)?;
        let schema = frames::schema_message(&schema)?;
        let proto = EventEncoder::new(&config.columnar)?;
        let mut writer = Self {
            config,
            spool,
            encoder: EncoderThread::default(),
            sealer,
            segments: SegmentTable::new(limits),
            early: Arc::default(),
            sealing: VecDeque::new(),
            schema,
            frames,
            uploads,
            manifest: Manifest::default(),
            stats: WriterStats::default(),
            last_sync: now,
            frame_extra: 0,
            sizing: Sizing::default(),
            sample: SizeSample::default(),
            proto,
            class: PhantomData,
        };
        writer.recover(found).await?;
        Ok(writer)
    }

    /// The counters.
    pub fn stats(&self) -> WriterStats {
        let mut stats = self.stats;
        stats.sealed_while_open = self.early.finished.load(Ordering::Relaxed);
        stats
    }

    /// The configuration.
    pub fn config(&self) -> &WriterConfig {
        &self.config
    }

    /// The partitions with an open segment.
    pub fn open_partitions(&self) -> Vec<PartitionKey> {
        self.segments.partitions()
    }

    /// Checks an event time against the writer's clock reading `now`: not
    /// before 1970, not more than `max_future_skew` ahead.
    fn check_time(&self, time: i64, now: i64) -> Result<()> {
        if time < 0 {
            return Err(Error::invalid_input(format!(
                "event time {time} is before 1970-01-01T00:00:00Z"
            )));
        }
        let skew = i64::try_from(self.config.max_future_skew.as_millis()).unwrap_or(i64::MAX);
        if time > now.saturating_add(skew) {
            return Err(Error::invalid_input(format!(
                "event time {time} is more than {:?} ahead of the writer's clock ({now})",
                self.config.max_future_skew
            )));
        }
        Ok(())
    }

    /// Checks an event's time, returning its partition.
    fn partition_of(&self, event: &E) -> Result<PartitionKey> {
        let time = event.time();
        self.check_time(time, self.config.clock.now_millis())?;
        Ok(PartitionKey::for_event_time(
            self.config.region.clone(),
            self.config.account_id.clone(),
            time,
        )?)
    }

    /// Checks an event's time: its partition.
    fn prepare(&self, event: &E) -> Result<Prepared> {
        Ok(Prepared {
            partition: self.partition_of(event)?,
            time: event.time(),
        })
    }

    /// What a single write reserves beyond its event's size: the frame
    /// overhead when it cuts a frame of its own.
    fn single_write_extra(&self) -> u64 {
        match self.config.durability {
            Durability::EveryWrite => self.frame_extra,
            _ => 0,
        }
    }

    /// Counts the bytes frames took beyond what their events were accounted
    /// at, in their segments and in the buffered bytes.
    fn settle(&mut self) {
        let mut extra = 0;
        let overhead = self.segments.limits().overhead;
        for segment in self.segments.open_segments() {
            let more = std::mem::take(&mut segment.spool.unaccounted);
            self.frame_extra = self.frame_extra.max(segment.spool.max_extra);
            for frame in std::mem::take(&mut segment.spool.sampled) {
                match self.sample.add::<E>(frame, overhead) {
                    Ok(Some((encoded, stored))) => self.sizing.sample(encoded, stored),
                    Ok(None) => {}
                    Err(err) => {
                        // The estimate stays as it was; the files will teach it.
                        tracing::warn!(error = %err, "size sample failed");
                        self.sample = SizeSample::done();
                    }
                }
            }
            segment.spool.sampling = self.sample.wants_more() && !self.sizing.learned_from_files();
            segment.spool.extra_total += more;
            extra += more;
        }
        self.stats.buffered_bytes += extra;
        self.stats.peak_buffered_bytes = self
            .stats
            .peak_buffered_bytes
            .max(self.stats.buffered_bytes);
    }

    /// Applies the durability policy to the segments in `touched`, then
    /// counts the frames it cut ([`Self::settle`]).
    fn commit(&mut self, touched: &[PartitionKey]) -> Result<()> {
        let result = self.commit_inner(touched);
        self.settle();
        result
    }

    fn commit_inner(&mut self, touched: &[PartitionKey]) -> Result<()> {
        match self.config.durability {
            Durability::EveryWrite => {
                for partition in touched {
                    if let Some(segment) = self.segments.get_mut(partition)
                        && segment.spool.sync()?
                    {
                        self.stats.spool_syncs += 1;
                    }
                }
            }
            // Only this policy reads the clock (a single write's hot path).
            Durability::Interval(interval) => {
                let interval = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
                let now = self.config.clock.now_millis();
                if now.saturating_sub(self.last_sync) >= interval {
                    self.sync()?;
                }
            }
            // No cut and no fsync by the clock: the frames depend on the writes only.
            Durability::OnFlush => {}
        }
        Ok(())
    }

    /// Fsyncs every open write-ahead file (useful with
    /// [`Durability::Interval`]).
    pub fn sync(&mut self) -> Result<()> {
        for segment in self.segments.open_segments() {
            if segment.spool.sync()? {
                self.stats.spool_syncs += 1;
            }
        }
        self.last_sync = self.config.clock.now_millis();
        self.settle();
        Ok(())
    }

    /// Makes room for `size` bytes in `partition`: rolls it when the file
    /// would exceed its limit (the seal runs in the background), then, while
    /// the memory bound would be exceeded, waits for the segment being
    /// sealed (its events leave `buffered_bytes` once its sealed file is
    /// durable) or seals the largest segment. Then takes what background
    /// work finished (see [`Self::progress`]).
    async fn make_room(&mut self, partition: &PartitionKey, size: u64, spooled: u64) -> Result<()> {
        if self.segments.needs_roll(partition, size) {
            self.seal(partition).await?;
            self.stats.rolls_by_size += 1;
        } else if self
            .segments
            .get_mut(partition)
            .is_some_and(|s| s.spool.merge_bytes + size > open_wal::MERGE_BYTES)
        {
            // Its sealing would hold too many runs: roll it early.
            self.seal(partition).await?;
            self.stats.rolls_by_memory += 1;
        }
        while self.stats.buffered_bytes + spooled > self.config.max_buffered_bytes {
            if !self.sealing.is_empty() {
                self.finish_oldest_seal().await?;
                continue;
            }
            if self.segments.has_failed() {
                self.make_seal_room().await?;
                if let Some((failed, segment)) = self.segments.pop_failed() {
                    self.start_seal(failed, segment)?;
                    self.stats.rolls_by_memory += 1;
                }
                continue;
            }
            let Some(largest) = self.segments.largest() else {
                break;
            };
            self.seal(&largest).await?;
            self.stats.rolls_by_memory += 1;
        }
        self.progress().await
    }

    /// Accepts one event: checks its time, encodes it at once into its
    /// partition's open segment (its only encoding before Parquet; the
    /// caller keeps the event, and may overwrite it for the next one) and
    /// makes it durable in the spool (see [`Durability`]) before returning.
    ///
    /// A segment due by age, or whose file would exceed the size limit, is
    /// sealed in the background (see [Pipelining](self#pipelining)): the
    /// write waits only when another segment is still being sealed, when
    /// sealed segments wait for their upload, or when `max_buffered_bytes`
    /// is reached (backpressure). An event whose time is before 1970 or more
    /// than `max_future_skew` ahead of the clock, or too large for a file or
    /// for `max_buffered_bytes`, fails with [`ErrorKind::InvalidInput`] and
    /// nothing of it is written. If an encoding or
    /// an upload fails (in this call or in the background since the previous
    /// call), the error is returned and the event is not accepted; everything
    /// accepted before stays in the spool.
    pub async fn write(&mut self, event: &E) -> Result<()> {
        let prepared = self.prepare(event)?;
        self.write_prepared(&prepared, event).await?.into_result()
    }

    /// The part of [`Writer::write`] after the event was checked.
    async fn write_prepared(&mut self, prepared: &Prepared, event: &E) -> Result<Placed> {
        self.roll_aged().await?;
        self.progress().await?;
        let extra = self.single_write_extra();
        let placed = self.place(prepared, event, extra, &[]).await?;
        if matches!(placed, Placed::Kept) {
            self.commit(std::slice::from_ref(&prepared.partition))?;
        }
        Ok(placed)
    }

    /// Accepts a batch: every event's time is checked first (one bad time
    /// rejects the whole batch, nothing written), then all are encoded into
    /// their segments and each touched spool file gets one frame and one
    /// fsync (group commit). Rolls happen as in [`Writer::write`], in the
    /// background. An encoding or upload error that happened in the
    /// background before the batch is returned first, with nothing of the
    /// batch accepted; on an error midway (an event too large for a file is
    /// one, found as it is encoded), the events appended so far are accepted
    /// and durable and the error reports how many.
    ///
    /// If the future is dropped before it completes (a timeout, a
    /// `select!`), the events it had appended stay in their segments and
    /// are written by a later `flush` (if the process stops first, the next
    /// [`Writer::open`] recovers what reached the spool file): the batch was
    /// partly accepted without an acknowledgement, so a caller that retries
    /// it writes those events twice (at least once).
    ///
    /// `events` is anything that yields the events by reference: a slice or
    /// a `Vec`, or an iterator, for example over the events of one class
    /// among a mapper's output:
    ///
    /// ```no_run
    /// # async fn demo(
    /// #     writer: &mut securitylake_source::Writer<ocsf_model::v1_1_0::events::Authentication>,
    /// #     mapped: &[ocsf_model::v1_1_0::Event],
    /// # ) -> securitylake_source::Result<()> {
    /// use ocsf_model::v1_1_0::Event;
    ///
    /// writer
    ///     .write_batch(mapped.iter().filter_map(|event| match event {
    ///         Event::Authentication(auth) => Some(&**auth),
    ///         _ => None,
    ///     }))
    ///     .await
    /// # }
    /// ```
    pub async fn write_batch<'a, I>(&mut self, events: I) -> Result<()>
    where
        I: IntoIterator<Item = &'a E>,
        E: 'a,
    {
        let events: Vec<&E> = events.into_iter().collect();
        let mut prepared = Vec::with_capacity(events.len());
        for (i, event) in events.iter().enumerate() {
            let prepared_event = self
                .prepare(event)
                .map_err(|e| in_batch(format!("event {i} of the batch"), e))?;
            prepared.push(prepared_event);
        }
        self.append_batch(prepared, &events, true).await.map(drop)
    }

    /// The part of [`Writer::write_batch`] after every event was checked:
    /// `prepared[i]` is `events[i]`'s check. An event too large for a file
    /// stops the batch with its error (the events before it accepted) when
    /// `stop` is set; otherwise it is left out and its index and reason
    /// returned.
    async fn append_batch(
        &mut self,
        prepared: Vec<Prepared>,
        events: &[&E],
        stop: bool,
    ) -> Result<Vec<(usize, Error)>> {
        self.roll_aged().await?;
        self.progress().await?;
        let mut touched: Vec<PartitionKey> = Vec::new();
        let mut refused = Vec::new();
        let mut accepted = 0;
        for (i, (prepared, &event)) in prepared.into_iter().zip(events).enumerate() {
            let placed = match self.place(&prepared, event, 0, &touched).await {
                Ok(placed) => placed,
                Err(err) => {
                    return Err(in_batch(
                        format!("after accepting {accepted} events of the batch"),
                        err,
                    ));
                }
            };
            match placed {
                Placed::Kept => accepted += 1,
                Placed::TooLarge(err) if stop => {
                    self.cut_and_commit(&touched)?;
                    return Err(in_batch(
                        format!("event {i} of the batch, after accepting {accepted}"),
                        err,
                    ));
                }
                Placed::TooLarge(err) => {
                    refused.push((i, err));
                    continue;
                }
            }
            if !touched.contains(&prepared.partition) {
                touched.push(prepared.partition);
            }
        }
        self.cut_and_commit(&touched)?;
        Ok(refused)
    }

    /// Cuts a frame per touched partition, then applies the durability
    /// policy to them.
    fn cut_and_commit(&mut self, touched: &[PartitionKey]) -> Result<()> {
        // A frame per batch and partition: the batch reaches the file (a
        // crash of the process keeps it) whatever the durability.
        for partition in touched {
            if let Some(segment) = self.segments.get_mut(partition) {
                segment.spool.cut()?;
            }
        }
        self.commit(touched)
    }

    fn commit_all(&mut self, touched: &[PartitionKey]) -> Result<()> {
        for partition in touched {
            if let Some(segment) = self.segments.get_mut(partition)
                && segment.spool.sync()?
            {
                self.stats.spool_syncs += 1;
            }
        }
        self.settle();
        Ok(())
    }

    /// Accepts one event without waiting: fails with
    /// [`ErrorKind::Backpressure`] (and writes nothing) when the event would
    /// need a segment to be rolled first — its file is full or the memory
    /// bound is reached (events of a segment still being sealed count,
    /// see [`WriterStats::buffered_bytes`]). Segments due by age are left for
    /// the next [`Writer::write`] or [`Writer::roll_due`]. It takes the
    /// background seals that finished (returning their error, if any, with
    /// the event not accepted) but starts no upload.
    pub fn try_write(&mut self, event: &E) -> Result<()> {
        let prepared = self.prepare(event)?;
        self.try_finish_seals()?;
        self.try_place(&prepared, event, self.single_write_extra())?;
        self.commit(std::slice::from_ref(&prepared.partition))
    }

    /// Rolls (seals and uploads) every segment that is `max_age` old, seals
    /// again the segments whose background encoding failed, retries pending
    /// uploads, and waits for every seal and upload in flight (so the
    /// objects are in the store when it returns). Call it periodically when
    /// writes are sparse (e.g. from a `tokio::time::interval` of a minute):
    /// without writes, nothing else checks the ages or finishes background
    /// work. Returns the number of segments rolled by age.
    pub async fn roll_due(&mut self) -> Result<usize> {
        let rolled = self.roll_aged().await?;
        self.reseal_failed().await?;
        self.drain().await?;
        Ok(rolled)
    }

    /// Starts sealing every segment that is `max_age` old (in the
    /// background); returns how many.
    async fn roll_aged(&mut self) -> Result<usize> {
        let due = self.segments.due(self.config.clock.now_millis());
        for partition in &due {
            self.seal(partition).await?;
            self.stats.rolls_by_age += 1;
        }
        Ok(due.len())
    }

    /// Starts sealing again every segment whose background encoding failed.
    async fn reseal_failed(&mut self) -> Result<()> {
        while self.segments.has_failed() {
            self.make_seal_room().await?;
            if let Some((partition, segment)) = self.segments.pop_failed() {
                self.start_seal(partition, segment)?;
            }
        }
        Ok(())
    }

    /// Rolls every open segment (and seals again those whose encoding
    /// failed), waits for every seal and upload in flight and uploads
    /// everything pending. Returns the manifest of every object written
    /// since the previous `flush` (objects rolled by age, size or memory
    /// pressure during writes, and those recovered by [`Writer::open`],
    /// included), in the order the segments were sealed. Once it returns,
    /// [`Writer::stats`] counts every object of the manifest.
    pub async fn flush(&mut self) -> Result<Manifest> {
        self.reseal_failed().await?;
        let partitions: Vec<PartitionKey> = self.segments.partitions();
        for partition in &partitions {
            self.seal(partition).await?;
        }
        self.drain().await?;
        Ok(std::mem::take(&mut self.manifest))
    }

    /// Flushes and releases the spool directory.
    pub async fn close(mut self) -> Result<Manifest> {
        self.flush().await
    }
}

impl<E: OcsfEvent> Drop for Writer<E> {
    /// Stops the upload in flight (its segment stays sealed in the spool and
    /// the next [`Writer::open`] uploads it) and abandons the encodings in
    /// flight, without waiting for either: an abandoned encoding writes only
    /// into a temporary file of its own, which it deletes when it ends, and
    /// the segment's write-ahead file stays in the spool for the next
    /// [`Writer::open`] to seal again.
    fn drop(&mut self) {
        self.uploads.abort();
        for sealing in &self.sealing {
            sealing.cancel();
        }
    }
}

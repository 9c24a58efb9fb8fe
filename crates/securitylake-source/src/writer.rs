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
//!   [`write_parquet`](ocsf_model::columnar::write_parquet)), with the page
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
//!   [`Writer::close`]. The size of a file is estimated before encoding as the
//!   size of its events plus the Parquet footer of the class, where an
//!   event's *size* is the length of its JSON (computed from its spool
//!   record, without writing the JSON) or of its spool record, whichever is
//!   larger: columnar ZSTD Parquet is smaller than the JSON of the same
//!   events, so files stay under the limit (the actual sizes are checked and
//!   counted in [`WriterStats::oversize_files`]).
//! * **Memory**: the writer does not keep accepted events in memory. An
//!   event is serialized into its segment's write-ahead file (below) and
//!   memory keeps 24 bytes per event (its time and where its record is; a
//!   record is the event in a compact binary encoding, see [spool]);
//!   sealing reads the records back in time order, one at a time, into one
//!   Arrow batch of at most 4,096 rows, and streams the Parquet bytes into
//!   the sealed spool file (row groups closed at 8 MiB). An upload holds its
//!   file's bytes, and runs while the next segment encodes. So memory is
//!   bounded by the encoding of one batch and one row group plus one file
//!   being uploaded, whatever the number of partitions or the rate of
//!   events (measured in `BENCHMARKS.md`, before uploads overlapped
//!   encoding: 234 MB peak RSS for the whole process writing 2 GB of events
//!   with the default settings). Encoding runs on one thread per
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
//!   spool record keeps a float's bits, so recovery gives back what was
//!   written, and the file holds it as the columnar layer does (see
//!   [its floats](ocsf_model::columnar#floats)): Float32 columns keep NaN
//!   and the signs of infinities and zeros; JSON text can only hold `null`.
//!
//! # Durability
//!
//! Every accepted event is first appended to the segment's write-ahead file
//! in the [spool] directory. With [`Durability::EveryWrite`]
//! (the default) the file is fsynced before [`Writer::write`] returns, so an
//! acknowledged event survives a crash of the machine;
//! [`Writer::write_batch`] appends a whole batch and fsyncs once per
//! partition it touched (group commit). With [`Durability::Interval`] the
//! records are written to the file (surviving a crash of the process) but
//! fsynced at most once per interval and before every seal, so a crash of the
//! machine may lose up to one interval of acknowledged events.
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
//! [`Writer::stats`] are complete. Dropping a writer waits for the encoding
//! in flight (so that nothing writes into the spool once its lock is
//! released) and abandons the upload in flight (the segment stays sealed in
//! the spool; the next open uploads it, and the conditional put makes the
//! replay harmless). Because object names are content digests, the order of
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
//! writer.write(event).await?;
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
//!     let _ = writer.write(event).await;
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
//!     let _ = writer.write(event).await;
//! }
//! # let _ = std::marker::PhantomData::<Authentication>;
//! ```
//!
//! A spool directory written by a writer of another class is refused by
//! [`Writer::open`] with [`ErrorKind::Config`].

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ocsf_model::OcsfEvent;
use ocsf_model::columnar::{
    BatchEncoder, ColumnarError, ColumnarOptions, EncodeStats, ParquetRules,
};
#[cfg(feature = "s3")]
use securitylake_core::aws::AwsConfig;
use securitylake_core::layout::{
    AccountId, Codec, ObjectName, PartitionKey, Region, SourceLocation,
};
use securitylake_core::object_store::ObjectStore;
#[cfg(feature = "s3")]
use securitylake_core::store::S3StoreBuilder;
use securitylake_core::store::{Created, UploadOptions, object_path, put_if_absent};
use tracing::Instrument;

use crate::error::{Error, ErrorKind, Result};
use crate::manifest::{Manifest, ManifestEntry};
use crate::record;
use crate::spool::{
    self, RecordReader, SEALED_FORMAT, SealFile, SealedHeader, SegmentHeader, Spool, WAL_FORMAT,
    Wal,
};

/// The shortest roll interval Security Lake accepts: 5 minutes.
pub const MIN_MAX_AGE: Duration = Duration::from_secs(5 * 60);
/// The longest roll interval Security Lake accepts: 1 day.
pub const MAX_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// The default roll interval: 5 minutes.
pub const DEFAULT_MAX_AGE: Duration = MIN_MAX_AGE;
/// The largest file size a writer can be configured with: 250 MB, under
/// Security Lake's 256 MB.
pub const MAX_FILE_BYTES: u64 = 250_000_000;
/// The smallest file size a writer can be configured with: 16 KiB (tests use
/// small files; production files should be large).
pub const MIN_FILE_BYTES: u64 = 16 * 1024;
/// The default file size limit: 128 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 128 * 1024 * 1024;
/// The default bound on events waiting in open segments and the segment being
/// sealed: 256 MiB (of event sizes: JSON or spool record length, whichever is
/// larger) across partitions, so that one partition can fill a file of
/// [`DEFAULT_MAX_FILE_BYTES`]. The events wait in the spool directory, not in
/// memory.
pub const DEFAULT_MAX_BUFFERED_BYTES: u64 = 256 * 1024 * 1024;
/// The default tolerance for event times ahead of the writer's clock: 1 day.
pub const DEFAULT_MAX_FUTURE_SKEW: Duration = Duration::from_secs(24 * 60 * 60);

/// A source of the current time, injectable for tests.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to (for tests and simulations). Clones
/// share the same time.
///
/// ```
/// use securitylake_source::writer::{Clock, ManualClock};
///
/// let clock = ManualClock::new(1_000);
/// clock.advance(std::time::Duration::from_secs(1));
/// assert_eq!(clock.now_millis(), 2_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock showing `millis`.
    pub fn new(millis: i64) -> Self {
        Self(Arc::new(AtomicI64::new(millis)))
    }

    /// Sets the time.
    pub fn set(&self, millis: i64) {
        self.0.store(millis, Ordering::SeqCst);
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(by))
            })
            .ok();
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// When an accepted event becomes durable in the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// Fsync the write-ahead file before [`Writer::write`] returns (once per
    /// touched partition for [`Writer::write_batch`]). An acknowledged event
    /// survives a crash of the process and of the machine.
    #[default]
    EveryWrite,
    /// Write each record to the file before returning (it survives a crash
    /// of the process) but fsync at most once per interval, and always
    /// before a segment is sealed and on [`Writer::sync`]. A crash of the
    /// machine may lose up to one interval of acknowledged events.
    Interval(Duration),
}

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
    /// file), in bytes: the length of each event's JSON or of its spool
    /// record, whichever is larger, plus 8 bytes of record overhead. A
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

/// The configuration of a [`Writer`]; build it with [`WriterConfig::builder`].
#[derive(Clone)]
pub struct WriterConfig {
    location: SourceLocation,
    region: Region,
    account_id: AccountId,
    store: Arc<dyn ObjectStore>,
    spool_dir: PathBuf,
    columnar: ColumnarOptions,
    max_age: Duration,
    max_file_bytes: u64,
    max_buffered_bytes: u64,
    max_future_skew: Duration,
    durability: Durability,
    clock: Arc<dyn Clock>,
    upload: UploadOptions,
}

impl fmt::Debug for WriterConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriterConfig")
            .field("location", &self.location.to_string())
            .field("region", &self.region.as_str())
            .field("account_id", &self.account_id.to_string())
            .field("store", &self.store)
            .field("spool_dir", &self.spool_dir)
            .field("max_age", &self.max_age)
            .field("max_file_bytes", &self.max_file_bytes)
            .field("max_buffered_bytes", &self.max_buffered_bytes)
            .field("max_future_skew", &self.max_future_skew)
            .field("durability", &self.durability)
            .field("upload", &self.upload)
            .finish_non_exhaustive()
    }
}

impl WriterConfig {
    /// A builder with the defaults ([`DEFAULT_MAX_AGE`],
    /// [`DEFAULT_MAX_FILE_BYTES`], [`DEFAULT_MAX_BUFFERED_BYTES`],
    /// [`DEFAULT_MAX_FUTURE_SKEW`], [`Durability::EveryWrite`],
    /// [`SystemClock`], default [`UploadOptions`] and [`ColumnarOptions`]).
    pub fn builder() -> WriterConfigBuilder {
        WriterConfigBuilder::default()
    }

    /// The source location.
    pub fn location(&self) -> &SourceLocation {
        &self.location
    }

    /// The spool directory.
    pub fn spool_dir(&self) -> &std::path::Path {
        &self.spool_dir
    }

    /// The file size limit.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    /// The bound on events waiting in open segments and the segment being
    /// sealed, in bytes (see [`WriterStats::buffered_bytes`]).
    pub fn max_buffered_bytes(&self) -> u64 {
        self.max_buffered_bytes
    }
}

/// Builds a [`WriterConfig`]; `location`, `account_id`, `spool_dir` and a
/// store ([`store`](Self::store) or [`s3`](Self::s3)) are required, and
/// `region` unless the location's bucket is a Security Lake bucket (whose
/// name carries the lake region).
///
/// The store must be rooted at the location's bucket: keys are written as
/// `<location prefix>region=...`. [`s3`](Self::s3) builds that store from
/// the location; with [`store`](Self::store), pass any `object_store`
/// (an `AmazonS3` of the bucket with no prefix,
/// [`local_store`](securitylake_core::store::local_store) of a directory
/// that stands for the bucket, `InMemory` in tests). The store's retry
/// configuration is the only retry layer of uploads: the writer does not
/// retry a failed upload itself (it stays sealed in the spool, and the next
/// call uploads it again).
#[derive(Default, Clone)]
pub struct WriterConfigBuilder {
    location: Option<SourceLocation>,
    region: Option<String>,
    account_id: Option<String>,
    store: Option<Arc<dyn ObjectStore>>,
    #[cfg(feature = "s3")]
    aws: Option<AwsConfig>,
    spool_dir: Option<PathBuf>,
    columnar: Option<ColumnarOptions>,
    max_age: Option<Duration>,
    max_file_bytes: Option<u64>,
    max_buffered_bytes: Option<u64>,
    max_future_skew: Option<Duration>,
    durability: Option<Durability>,
    clock: Option<Arc<dyn Clock>>,
    upload: Option<UploadOptions>,
}

impl fmt::Debug for WriterConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriterConfigBuilder")
            .field("location", &self.location.as_ref().map(ToString::to_string))
            .field("region", &self.region)
            .field("account_id", &self.account_id)
            .field("spool_dir", &self.spool_dir)
            .finish_non_exhaustive()
    }
}

impl WriterConfigBuilder {
    /// Where the source's objects live (`provider.location` of the
    /// registration).
    pub fn location(mut self, location: SourceLocation) -> Self {
        self.location = Some(location);
        self
    }

    /// Takes the location from a registered source (anything that holds
    /// one, such as `securitylake_control::RegisteredSource`).
    pub fn source(self, source: &impl AsRef<SourceLocation>) -> Self {
        self.location(source.as_ref().clone())
    }

    /// The lake's region (`region=` partition); by default the region in
    /// the name of the location's bucket
    /// ([`SourceLocation::lake_region`]).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The account the records pertain to (`accountId=` partition): 12
    /// digits, `external` or `external_<id>`.
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    /// The object store, rooted at the location's bucket: any
    /// `Arc<dyn ObjectStore>`.
    pub fn store(mut self, store: Arc<dyn ObjectStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Writes to the location's bucket on S3 with `aws`'s credentials and
    /// endpoint (an [`S3StoreBuilder`] of the location, built by
    /// [`build`](Self::build)); for example the configuration returned by
    /// [`AwsConfig::assume_role`] for the source's provider role.
    #[cfg(feature = "s3")]
    #[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
    pub fn s3(mut self, aws: &AwsConfig) -> Self {
        self.aws = Some(aws.clone());
        self
    }

    /// The spool directory (created if absent; one writer at a time).
    pub fn spool_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spool_dir = Some(dir.into());
        self
    }

    /// The columnar options (projection, nesting) of every file. Keep them
    /// stable for a source: they decide its Parquet schema.
    pub fn columnar_options(mut self, options: ColumnarOptions) -> Self {
        self.columnar = Some(options);
        self
    }

    /// How long a partition's segment stays open: [`MIN_MAX_AGE`] to
    /// [`MAX_MAX_AGE`].
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// The file size limit: [`MIN_FILE_BYTES`] to [`MAX_FILE_BYTES`].
    pub fn max_file_bytes(mut self, bytes: u64) -> Self {
        self.max_file_bytes = Some(bytes);
        self
    }

    /// The bound on events waiting in open segments and in the segment being
    /// sealed (spooled, not yet in a durable sealed file) across partitions,
    /// in bytes (the length of each event's JSON or of its spool record,
    /// whichever is larger: see [`WriterStats::buffered_bytes`]), at least
    /// [`MIN_FILE_BYTES`]; default [`DEFAULT_MAX_BUFFERED_BYTES`]. Reaching
    /// it waits for the segment being sealed, then seals the largest segment
    /// early. The events wait on disk: the
    /// writer's memory does not grow with this bound.
    pub fn max_buffered_bytes(mut self, bytes: u64) -> Self {
        self.max_buffered_bytes = Some(bytes);
        self
    }

    /// How far ahead of the clock an event's time may be before it is
    /// refused as invalid.
    pub fn max_future_skew(mut self, skew: Duration) -> Self {
        self.max_future_skew = Some(skew);
        self
    }

    /// When accepted events become durable.
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = Some(durability);
        self
    }

    /// The clock for segment ages and the future-time check.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How objects are uploaded (multipart threshold, part size, parts in
    /// flight); default [`UploadOptions::new`].
    pub fn upload_options(mut self, upload: UploadOptions) -> Self {
        self.upload = Some(upload);
        self
    }

    /// Validates and builds the configuration.
    pub fn build(self) -> Result<WriterConfig> {
        let missing = |what: &str| {
            Error::new(
                ErrorKind::Config,
                format!("writer config: {what} is required"),
            )
        };
        let location = self.location.ok_or_else(|| missing("location"))?;
        if !location.source().is_custom() {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "writer config: {location} is a native source; writers write custom sources"
                ),
            ));
        }
        let region = match self.region {
            Some(region) => Region::new(region)?,
            None => location.lake_region().ok_or_else(|| {
                Error::new(
                    ErrorKind::Config,
                    format!(
                        "writer config: region is required (the bucket of {location} does not name one)"
                    ),
                )
            })?,
        };
        let account_id = AccountId::parse(&self.account_id.ok_or_else(|| missing("account_id"))?)?;
        #[cfg(feature = "s3")]
        let store = match (self.store, &self.aws) {
            (Some(store), _) => store,
            (None, Some(aws)) => Arc::new(S3StoreBuilder::new(aws).location(&location).build()?),
            (None, None) => return Err(missing("store (or s3)")),
        };
        #[cfg(not(feature = "s3"))]
        let Some(store) = self.store else {
            return Err(missing("store"));
        };
        let spool_dir = self.spool_dir.ok_or_else(|| missing("spool_dir"))?;
        let max_age = self.max_age.unwrap_or(DEFAULT_MAX_AGE);
        if !(MIN_MAX_AGE..=MAX_MAX_AGE).contains(&max_age) {
            return Err(Error::new(
                ErrorKind::Config,
                format!("writer config: max_age {max_age:?} must be between 5 minutes and 1 day"),
            ));
        }
        let max_file_bytes = self.max_file_bytes.unwrap_or(DEFAULT_MAX_FILE_BYTES);
        if !(MIN_FILE_BYTES..=MAX_FILE_BYTES).contains(&max_file_bytes) {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "writer config: max_file_bytes {max_file_bytes} must be between {MIN_FILE_BYTES} and {MAX_FILE_BYTES}"
                ),
            ));
        }
        let max_buffered_bytes = self
            .max_buffered_bytes
            .unwrap_or(DEFAULT_MAX_BUFFERED_BYTES);
        if max_buffered_bytes < MIN_FILE_BYTES {
            return Err(Error::new(
                ErrorKind::Config,
                format!("writer config: max_buffered_bytes must be at least {MIN_FILE_BYTES}"),
            ));
        }
        if let Some(Durability::Interval(interval)) = self.durability
            && interval.is_zero()
        {
            return Err(Error::new(
                ErrorKind::Config,
                "writer config: a zero durability interval is Durability::EveryWrite",
            ));
        }
        Ok(WriterConfig {
            location,
            region,
            account_id,
            store,
            spool_dir,
            columnar: self.columnar.unwrap_or_default(),
            max_age,
            max_file_bytes,
            max_buffered_bytes,
            max_future_skew: self.max_future_skew.unwrap_or(DEFAULT_MAX_FUTURE_SKEW),
            durability: self.durability.unwrap_or_default(),
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            upload: self.upload.unwrap_or_default(),
        })
    }
}

/// Where one accepted event of an open segment is: its time and its record
/// in the segment's write-ahead file.
#[derive(Debug, Clone, Copy)]
struct Slot {
    time: i64,
    /// The payload's offset in the write-ahead file.
    offset: u64,
    /// The payload's length.
    len: u32,
}

/// A partition's open segment. Its events stay on disk, in the write-ahead
/// file, until the segment is sealed; memory holds a [`Slot`] per event.
struct OpenSegment {
    wal: Wal,
    slots: Vec<Slot>,
    /// The size of the spooled events ([`record::encode`]: JSON or record
    /// length, whichever is larger; record overhead included).
    bytes: u64,
    /// The size of the largest event ([`record::encode`]; it bounds every
    /// value's size, the JSON text of `json_t` and `unmapped` values
    /// included).
    max_event_bytes: u64,
    opened_at: i64,
    min_time: i64,
    max_time: i64,
}

/// An event checked and serialized by [`Writer::prepare`], ready to append.
struct Prepared {
    partition: PartitionKey,
    /// Where the record payload is in the buffer it was serialized into.
    payload: std::ops::Range<usize>,
    time: i64,
    /// The event's size ([`record::encode`]): the larger of the payload's
    /// length and the event's JSON length.
    event_size: u64,
}

impl Prepared {
    /// The bytes the event counts for in its segment and in the buffered
    /// bytes: its size plus the record overhead.
    fn size(&self) -> u64 {
        spool::record_size(self.event_size)
    }
}

/// A segment sealed in the spool, waiting for its upload.
#[derive(Debug)]
struct Sealed {
    path: PathBuf,
    partition: PartitionKey,
}

/// Segments encoded in the background at most: starting another seal first
/// waits for the oldest (it bounds the encoder's memory and work queue).
const MAX_SEALING: usize = 1;
/// Sealed segments waiting for their upload (the one being uploaded
/// included) at most: starting another seal first waits for the oldest
/// upload (it bounds the spool's disk use when the store is slow).
const MAX_PENDING: usize = 2;

/// What the encoder thread gives back for a segment: its slots (so that a
/// failed encoding loses nothing) and the sealed file with its counts.
type Encoded = (Vec<Slot>, Result<(SealFile, EncodeStats)>);

/// A segment being encoded on the encoder thread. Its write-ahead file stays
/// in the spool (and its events in `buffered_bytes`) until its sealed file is
/// durable.
struct Sealing {
    partition: PartitionKey,
    /// The segment, without its slots (they are with the encoder).
    segment: OpenSegment,
    rows: u64,
    done: tokio::sync::oneshot::Receiver<std::thread::Result<Encoded>>,
}

/// What an upload task gives back.
struct UploadOutcome {
    result: Result<ManifestEntry>,
    already_present: u64,
}

/// A durable, typed writer of one custom source and one event class.
///
/// See the [module documentation](self) for the layout, rolling, memory and
/// durability rules.
pub struct Writer<E: OcsfEvent> {
    config: WriterConfig,
    spool: Spool,
    encoder: EncoderThread,
    open: BTreeMap<PartitionKey, OpenSegment>,
    /// Segments being encoded in the background, oldest first (at most
    /// [`MAX_SEALING`]).
    sealing: VecDeque<Sealing>,
    /// Segments whose encoding failed while their partition already had a
    /// new open segment: sealed again by `flush`, `roll_due` and the memory
    /// bound.
    failed: Vec<(PartitionKey, OpenSegment)>,
    /// Sealed segments waiting for their upload, in the order they were
    /// sealed; the first is the one being uploaded when `uploading` is set.
    pending: VecDeque<Sealed>,
    /// The upload of `pending[0]`, running as a Tokio task.
    uploading: Option<tokio::task::JoinHandle<UploadOutcome>>,
    manifest: Manifest,
    stats: WriterStats,
    /// The Parquet footer estimate of this class and options, in bytes.
    overhead: u64,
    last_sync: i64,
    class: PhantomData<fn() -> E>,
}

impl<E: OcsfEvent> fmt::Debug for Writer<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("class", &E::CLASS_NAME)
            .field("config", &self.config)
            .field("open_partitions", &self.open.len())
            .field("sealing", &self.sealing.len())
            .field("failed_seals", &self.failed.len())
            .field("pending_uploads", &self.pending.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

fn columnar_error(context: &str, err: ocsf_model::columnar::ColumnarError) -> Error {
    Error::invalid_input(format!("{context}: {err}")).with_source(err)
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
        let (empty, _) = encode_parquet::<E, _>(Vec::new(), 0, &config.columnar, 0, |_| Ok(()))?;
        // The footer grows with row groups and statistics: twice the empty
        // file is a safe margin.
        let overhead = 2 * empty.len() as u64;
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
        let mut writer = Self {
            config,
            spool,
            encoder: EncoderThread::default(),
            open: BTreeMap::new(),
            sealing: VecDeque::new(),
            failed: Vec::new(),
            pending: VecDeque::new(),
            uploading: None,
            manifest: Manifest::default(),
            stats: WriterStats::default(),
            overhead,
            last_sync: now,
            class: PhantomData,
        };
        for (_, path) in found.sealed {
            let (header, _) = spool::read_sealed(&path)?;
            writer.check_class(header.class_uid, &header.class_name, &path)?;
            let partition = PartitionKey::parse(&header.partition)?;
            writer.stats.segments_recovered += 1;
            writer.stats.events_recovered += header.rows;
            writer.pending.push_back(Sealed { path, partition });
        }
        for (id, path) in found.wals {
            writer.recover_wal(id, &path).await?;
        }
        writer.drain().await?;
        Ok(writer)
    }

    fn check_class(&self, class_uid: i32, class_name: &str, path: &std::path::Path) -> Result<()> {
        if class_uid != E::CLASS_UID || class_name != E::CLASS_NAME {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "spool file {} holds events of class {class_name} ({class_uid}), not {} ({}): \
                     one spool directory per source and class",
                    path.display(),
                    E::CLASS_NAME,
                    E::CLASS_UID
                ),
            ));
        }
        Ok(())
    }

    /// Seals what a dead writer left in a write-ahead file: every intact
    /// record (a torn tail is dropped), read one at a time.
    async fn recover_wal(&mut self, id: u64, path: &Path) -> Result<()> {
        let mut reader = RecordReader::open(path)?;
        let mut payload = Vec::new();
        if reader.next_record(&mut payload)?.is_none() {
            return self.spool.remove_wal(path);
        }
        let header: SegmentHeader = serde_json::from_slice(&payload).map_err(|e| {
            Error::new(
                ErrorKind::Integrity,
                format!("spool file {} has a bad header", path.display()),
            )
            .with_source(e)
        })?;
        if !record::readable(header.format) {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "spool file {} has format {}, this writer reads formats {} and {WAL_FORMAT}",
                    path.display(),
                    header.format,
                    record::FORMAT_JSON,
                ),
            ));
        }
        self.check_class(header.class_uid, &header.class_name, path)?;
        let partition = PartitionKey::parse(&header.partition)?;
        let mut slots = Vec::new();
        let mut max_event_bytes = 0;
        let mut scratch = Vec::new();
        while let Some(offset) = reader.next_record(&mut payload)? {
            let event = decode_event::<E>(header.format, &payload, path)?;
            let size = record::size_of(header.format, &payload, &event, &mut scratch)?;
            max_event_bytes = size.max(max_event_bytes);
            slots.push(Slot {
                time: event.time(),
                offset,
                len: u32::try_from(payload.len()).unwrap_or(u32::MAX),
            });
        }
        if reader.torn() {
            tracing::warn!(path = %path.display(), "dropping the torn tail of a spool file (a write that never returned)");
        }
        drop(reader);
        if slots.is_empty() {
            return self.spool.remove_wal(path);
        }
        let min_time = slots.iter().map(|s| s.time).min().unwrap_or(0);
        let max_time = slots.iter().map(|s| s.time).max().unwrap_or(0);
        let rows = slots.len() as u64;
        self.stats.segments_recovered += 1;
        self.stats.events_recovered += rows;
        let file = self.spool.begin_seal(id)?;
        let (_, result) = self
            .encode(
                path.to_path_buf(),
                header.format,
                slots,
                max_event_bytes,
                file,
            )
            .await?;
        let (file, encoding) = result?;
        self.finish_seal(partition, rows, min_time, max_time, file, encoding)
    }

    /// The counters.
    pub fn stats(&self) -> WriterStats {
        self.stats
    }

    /// The configuration.
    pub fn config(&self) -> &WriterConfig {
        &self.config
    }

    /// The partitions with an open segment.
    pub fn open_partitions(&self) -> Vec<PartitionKey> {
        self.open.keys().cloned().collect()
    }

    /// Checks an event's time, returning its partition.
    fn partition_of(&self, event: &E) -> Result<PartitionKey> {
        let time = event.time();
        if time < 0 {
            return Err(Error::invalid_input(format!(
                "event time {time} is before 1970-01-01T00:00:00Z"
            )));
        }
        let now = self.config.clock.now_millis();
        let skew = i64::try_from(self.config.max_future_skew.as_millis()).unwrap_or(i64::MAX);
        if time > now.saturating_add(skew) {
            return Err(Error::invalid_input(format!(
                "event time {time} is more than {:?} ahead of the writer's clock ({now})",
                self.config.max_future_skew
            )));
        }
        Ok(PartitionKey::for_event_time(
            self.config.region.clone(),
            self.config.account_id.clone(),
            time,
        )?)
    }

    /// Validates and serializes one event into a payload of its own.
    fn prepare(&self, event: &E) -> Result<(Prepared, Vec<u8>)> {
        let partition = self.partition_of(event)?;
        let (payload, event_size) = record::encode_new(event)?;
        let prepared = self.prepared(event, partition, 0..payload.len(), event_size)?;
        Ok((prepared, payload))
    }

    /// Validates and serializes one event of a batch, appending its payload
    /// to the batch's `payloads` (one buffer for the batch rather than an
    /// allocation per event).
    fn prepare_into(&self, event: &E, payloads: &mut Vec<u8>) -> Result<Prepared> {
        let partition = self.partition_of(event)?;
        let start = payloads.len();
        let event_size = record::encode_append(event, payloads)?;
        self.prepared(event, partition, start..payloads.len(), event_size)
    }

    /// Checks that a serialized event fits in a file and in the buffered
    /// bytes.
    fn prepared(
        &self,
        event: &E,
        partition: PartitionKey,
        payload: std::ops::Range<usize>,
        event_size: u64,
    ) -> Result<Prepared> {
        let size = spool::record_size(event_size);
        let room = (self.config.max_file_bytes.saturating_sub(self.overhead))
            .min(self.config.max_buffered_bytes);
        if size > room {
            return Err(Error::invalid_input(format!(
                "an event of {size} bytes does not fit in one file or in `max_buffered_bytes` ({room} bytes)"
            )));
        }
        Ok(Prepared {
            partition,
            payload,
            time: event.time(),
            event_size,
        })
    }

    /// Whether appending `size` bytes to `partition` requires rolling it first.
    fn needs_roll(&self, partition: &PartitionKey, size: u64) -> bool {
        self.open
            .get(partition)
            .is_some_and(|s| self.overhead + s.bytes + size > self.config.max_file_bytes)
    }

    /// Appends a prepared event whose payload is `payloads[prepared.payload]`;
    /// the caller made room.
    fn append(&mut self, prepared: &Prepared, payloads: &[u8]) -> Result<()> {
        let Prepared {
            partition,
            payload,
            time,
            event_size,
        } = prepared;
        let payload = payloads
            .get(payload.clone())
            .ok_or_else(|| Error::new(ErrorKind::Io, "a prepared event lost its payload"))?;
        let (time, size) = (*time, prepared.size());
        let len = u32::try_from(payload.len())
            .map_err(|_| Error::invalid_input("an event larger than 4 GiB"))?;
        if !self.open.contains_key(partition) {
            let header = SegmentHeader {
                format: WAL_FORMAT,
                class_uid: E::CLASS_UID,
                class_name: E::CLASS_NAME.to_owned(),
                partition: partition.to_string(),
            };
            let wal = self.spool.create_wal(&header)?;
            self.stats.spool_syncs += 1;
            self.open.insert(
                partition.clone(),
                OpenSegment {
                    wal,
                    slots: Vec::new(),
                    bytes: 0,
                    max_event_bytes: 0,
                    opened_at: self.config.clock.now_millis(),
                    min_time: time,
                    max_time: time,
                },
            );
        }
        let Some(segment) = self.open.get_mut(partition) else {
            return Err(Error::new(ErrorKind::Io, "open segment vanished"));
        };
        let offset = segment.wal.append(payload)?;
        segment.slots.push(Slot { time, offset, len });
        segment.bytes += size;
        segment.max_event_bytes = segment.max_event_bytes.max(*event_size);
        segment.min_time = segment.min_time.min(time);
        segment.max_time = segment.max_time.max(time);
        self.stats.buffered_bytes += size;
        self.stats.peak_buffered_bytes = self
            .stats
            .peak_buffered_bytes
            .max(self.stats.buffered_bytes);
        self.stats.events_accepted += 1;
        Ok(())
    }

    /// Applies the durability policy to the segments in `touched`.
    fn commit(&mut self, touched: &[PartitionKey]) -> Result<()> {
        let now = self.config.clock.now_millis();
        let due = match self.config.durability {
            Durability::EveryWrite => true,
            Durability::Interval(interval) => {
                let interval = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
                now.saturating_sub(self.last_sync) >= interval
            }
        };
        if !due {
            return Ok(());
        }
        if matches!(self.config.durability, Durability::EveryWrite) {
            for partition in touched {
                if let Some(segment) = self.open.get_mut(partition)
                    && segment.wal.sync()?
                {
                    self.stats.spool_syncs += 1;
                }
            }
        } else {
            self.sync()?;
        }
        self.last_sync = now;
        Ok(())
    }

    /// Fsyncs every open write-ahead file (useful with
    /// [`Durability::Interval`]).
    pub fn sync(&mut self) -> Result<()> {
        for segment in self.open.values_mut() {
            if segment.wal.sync()? {
                self.stats.spool_syncs += 1;
            }
        }
        self.last_sync = self.config.clock.now_millis();
        Ok(())
    }

    /// Makes room for `size` bytes in `partition`: rolls it when the file
    /// would exceed its limit (the seal runs in the background), then, while
    /// the memory bound would be exceeded, waits for the segment being
    /// sealed (its events leave `buffered_bytes` once its sealed file is
    /// durable) or seals the largest segment. Then takes what background
    /// work finished (see [`Self::progress`]).
    async fn make_room(&mut self, partition: &PartitionKey, size: u64) -> Result<()> {
        if self.needs_roll(partition, size) {
            self.seal(partition).await?;
            self.stats.rolls_by_size += 1;
        }
        while self.stats.buffered_bytes + size > self.config.max_buffered_bytes {
            if !self.sealing.is_empty() {
                self.finish_oldest_seal().await?;
                continue;
            }
            if !self.failed.is_empty() {
                self.make_seal_room().await?;
                if let Some((failed, segment)) = self.failed.pop() {
                    self.start_seal(failed, segment)?;
                    self.stats.rolls_by_memory += 1;
                }
                continue;
            }
            let Some(largest) = self
                .open
                .iter()
                .max_by_key(|(_, s)| (s.bytes, std::cmp::Reverse(s.opened_at)))
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.seal(&largest).await?;
            self.stats.rolls_by_memory += 1;
        }
        self.progress().await
    }

    /// Accepts one event: checks its time, appends it to its partition's
    /// spool file and makes it durable (see [`Durability`]) before returning.
    ///
    /// A segment due by age, or whose file would exceed the size limit, is
    /// sealed in the background (see [Pipelining](self#pipelining)): the
    /// write waits only when another segment is still being sealed, when
    /// sealed segments wait for their upload, or when `max_buffered_bytes`
    /// is reached (backpressure). An event whose time is before 1970 or more
    /// than `max_future_skew` ahead of the clock fails with
    /// [`ErrorKind::InvalidInput`] and nothing is written. If an encoding or
    /// an upload fails (in this call or in the background since the previous
    /// call), the error is returned and the event is not accepted; everything
    /// accepted before stays in the spool.
    pub async fn write(&mut self, event: E) -> Result<()> {
        let (prepared, payload) = self.prepare(&event)?;
        self.roll_aged().await?;
        self.make_room(&prepared.partition, prepared.size()).await?;
        self.append(&prepared, &payload)?;
        self.commit(std::slice::from_ref(&prepared.partition))
    }

    /// Accepts a batch: every event is checked first (one bad event rejects
    /// the whole batch, nothing written), then all are appended and each
    /// touched spool file is fsynced once (group commit). Rolls happen as in
    /// [`Writer::write`], in the background. An encoding or upload error
    /// that happened in the background before the batch is returned first,
    /// with nothing of the batch accepted; on an error midway, the events
    /// appended so far are accepted and durable and the error reports how
    /// many.
    ///
    /// If the future is dropped before it completes (a timeout, a
    /// `select!`), the events it had appended stay in their segments and
    /// are written by a later `flush` (if the process stops first, the next
    /// [`Writer::open`] recovers what reached the spool file): the batch was
    /// partly accepted without an acknowledgement, so a caller that retries
    /// it writes those events twice (at least once).
    pub async fn write_batch(&mut self, events: Vec<E>) -> Result<()> {
        let mut prepared = Vec::with_capacity(events.len());
        let mut payloads = Vec::new();
        for (i, event) in events.into_iter().enumerate() {
            let prepared_event = self.prepare_into(&event, &mut payloads).map_err(|e| {
                Error::new(e.kind(), format!("event {i} of the batch: {}", e.message()))
                    .with_source(e)
            })?;
            prepared.push(prepared_event);
        }
        self.roll_aged().await?;
        self.progress().await?;
        let mut touched: Vec<PartitionKey> = Vec::new();
        for (accepted, prepared) in prepared.into_iter().enumerate() {
            let size = prepared.size();
            if self.needs_roll(&prepared.partition, size)
                || self.stats.buffered_bytes + size > self.config.max_buffered_bytes
            {
                // Make the appended records durable before sealing anything.
                self.commit_all(&touched)?;
                if let Err(err) = self.make_room(&prepared.partition, size).await {
                    return Err(Error::new(
                        err.kind(),
                        format!(
                            "after accepting {accepted} events of the batch: {}",
                            err.message()
                        ),
                    )
                    .with_source(err));
                }
            }
            self.append(&prepared, &payloads)?;
            if !touched.contains(&prepared.partition) {
                touched.push(prepared.partition);
            }
        }
        self.commit(&touched)
    }

    fn commit_all(&mut self, touched: &[PartitionKey]) -> Result<()> {
        for partition in touched {
            if let Some(segment) = self.open.get_mut(partition)
                && segment.wal.sync()?
            {
                self.stats.spool_syncs += 1;
            }
        }
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
        let (prepared, payload) = self.prepare(event)?;
        self.try_finish_seals()?;
        let size = prepared.size();
        if self.needs_roll(&prepared.partition, size)
            || self.stats.buffered_bytes + size > self.config.max_buffered_bytes
        {
            return Err(Error::new(
                ErrorKind::Backpressure,
                format!(
                    "{} bytes buffered of {}: a segment must be uploaded first",
                    self.stats.buffered_bytes, self.config.max_buffered_bytes
                ),
            ));
        }
        self.append(&prepared, &payload)?;
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
        let now = self.config.clock.now_millis();
        let age = i64::try_from(self.config.max_age.as_millis()).unwrap_or(i64::MAX);
        let due: Vec<PartitionKey> = self
            .open
            .iter()
            .filter(|(_, s)| now.saturating_sub(s.opened_at) >= age)
            .map(|(k, _)| k.clone())
            .collect();
        for partition in &due {
            self.seal(partition).await?;
            self.stats.rolls_by_age += 1;
        }
        Ok(due.len())
    }

    /// Starts sealing again every segment whose background encoding failed.
    async fn reseal_failed(&mut self) -> Result<()> {
        while !self.failed.is_empty() {
            self.make_seal_room().await?;
            if let Some((partition, segment)) = self.failed.pop() {
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
        let partitions: Vec<PartitionKey> = self.open.keys().cloned().collect();
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

    /// Encodes a segment to Parquet into its sealed file off the async
    /// executor, reading its events from the write-ahead file at `path`.
    /// Gives the slots back with the result so that a failed encoding loses
    /// nothing.
    async fn encode(
        &mut self,
        path: PathBuf,
        format: u32,
        slots: Vec<Slot>,
        max_event_bytes: u64,
        out: SealFile,
    ) -> Result<(Vec<Slot>, Result<(SealFile, EncodeStats)>)> {
        let options = self.config.columnar.clone();
        self.encoder
            .run(move || {
                let mut slots = slots;
                let result = encode_segment::<E, _>(
                    &path,
                    format,
                    &mut slots,
                    &options,
                    max_event_bytes,
                    out,
                );
                (slots, result)
            })
            .await
    }

    /// Starts sealing a partition's open segment in the background (see
    /// [`Self::start_seal`]).
    async fn seal(&mut self, partition: &PartitionKey) -> Result<()> {
        if !self.open.contains_key(partition) {
            return Ok(());
        }
        self.make_seal_room().await?;
        let Some(segment) = self.open.remove(partition) else {
            return Ok(());
        };
        self.start_seal(partition.clone(), segment)
    }

    /// Puts back a segment whose seal did not happen: as the partition's
    /// open segment when it has none (later events append to it), otherwise
    /// among the failed segments (sealed again by `flush`, `roll_due` and
    /// the memory bound). Its events stay in `buffered_bytes`.
    fn restore(&mut self, partition: PartitionKey, segment: OpenSegment) {
        match self.open.entry(partition) {
            std::collections::btree_map::Entry::Occupied(taken) => {
                self.failed.push((taken.key().clone(), segment));
            }
            std::collections::btree_map::Entry::Vacant(free) => {
                free.insert(segment);
            }
        }
    }

    /// Starts sealing a segment, without waiting: fsyncs the write-ahead
    /// file, then hands the encoding to the encoder thread.
    /// [`Self::finish_sealing`] completes it. On an error the segment is put
    /// back ([`Self::restore`]). Callers wait for room first
    /// ([`Self::make_seal_room`]) while the segment is still in `open` or
    /// `failed`, so that a future dropped during that wait loses nothing.
    fn start_seal(&mut self, partition: PartitionKey, mut segment: OpenSegment) -> Result<()> {
        if let Err(err) = segment.wal.sync() {
            self.restore(partition, segment);
            return Err(err);
        }
        let file = match self.spool.begin_seal(segment.wal.id) {
            Ok(file) => file,
            Err(err) => {
                self.restore(partition, segment);
                return Err(err);
            }
        };
        let slots = std::mem::take(&mut segment.slots);
        let rows = slots.len() as u64;
        let path = segment.wal.path.clone();
        let options = self.config.columnar.clone();
        let max_event_bytes = segment.max_event_bytes;
        let submitted = self.encoder.submit(move || {
            let mut slots = slots;
            let result = encode_segment::<E, _>(
                &path,
                WAL_FORMAT,
                &mut slots,
                &options,
                max_event_bytes,
                file,
            );
            (slots, result)
        });
        match submitted {
            Ok(done) => {
                self.sealing.push_back(Sealing {
                    partition,
                    segment,
                    rows,
                    done,
                });
                Ok(())
            }
            Err(err) => {
                // The slots went with the job: the segment leaves memory but
                // not the spool, and a reopen recovers it.
                self.stats.buffered_bytes -= segment.bytes;
                Err(err)
            }
        }
    }

    /// Waits until another seal may start: fewer than [`MAX_SEALING`]
    /// segments being encoded and fewer than [`MAX_PENDING`] waiting for
    /// their upload.
    async fn make_seal_room(&mut self) -> Result<()> {
        while self.sealing.len() >= MAX_SEALING {
            self.finish_oldest_seal().await?;
        }
        while self.pending.len() >= MAX_PENDING {
            self.finish_upload(true).await?;
        }
        Ok(())
    }

    /// Waits for the oldest background seal and completes it.
    async fn finish_oldest_seal(&mut self) -> Result<()> {
        // Waits with the seal still in the queue, so that a caller's future
        // dropped during the wait (a timeout, a `select!`) leaves it there
        // for the next call instead of losing track of the segment.
        let Some(front) = self.sealing.front_mut() else {
            return Ok(());
        };
        let received = (&mut front.done).await;
        let Some(sealing) = self.sealing.pop_front() else {
            return Ok(());
        };
        self.finish_sealing(sealing, EncoderThread::outcome(received))
    }

    /// Completes the background seals that finished, oldest first, without
    /// waiting.
    fn try_finish_seals(&mut self) -> Result<()> {
        while let Some(front) = self.sealing.front_mut() {
            let received = match front.done.try_recv() {
                Ok(value) => Ok(value),
                Err(tokio::sync::oneshot::error::TryRecvError::Empty) => break,
                Err(tokio::sync::oneshot::error::TryRecvError::Closed) => Err(()),
            };
            let Some(sealing) = self.sealing.pop_front() else {
                break;
            };
            let outcome = EncoderThread::outcome(received);
            self.finish_sealing(sealing, outcome)?;
        }
        Ok(())
    }

    /// Completes a seal whose encoding ended: makes the sealed file durable
    /// (replacing the write-ahead file) and queues its upload; the events
    /// leave `buffered_bytes`. A failed encoding puts the segment back
    /// ([`Self::restore`]) and returns the error; if the encoder itself
    /// failed (a panic, a dead thread), or the sealed file cannot be made
    /// durable, the segment leaves memory but its write-ahead file stays in
    /// the spool, and a reopen recovers it.
    fn finish_sealing(&mut self, sealing: Sealing, outcome: Result<Encoded>) -> Result<()> {
        let Sealing {
            partition,
            mut segment,
            rows,
            ..
        } = sealing;
        let (slots, result) = match outcome {
            Ok(pair) => pair,
            Err(err) => {
                self.stats.buffered_bytes -= segment.bytes;
                return Err(err);
            }
        };
        let (file, encoding) = match result {
            Ok(done) => done,
            Err(err) => {
                segment.slots = slots;
                self.restore(partition, segment);
                return Err(err);
            }
        };
        drop(slots);
        let sealed = self.finish_seal(
            partition,
            rows,
            segment.min_time,
            segment.max_time,
            file,
            encoding,
        );
        self.stats.buffered_bytes -= segment.bytes;
        // On an error the write-ahead file is intact: a reopen recovers the
        // segment.
        sealed
    }

    /// Names the object after the encoded file's content and makes the
    /// sealed file durable (replacing the write-ahead file); counts what the
    /// encoding could not carry once the sealed file is durable.
    fn finish_seal(
        &mut self,
        partition: PartitionKey,
        rows: u64,
        min_time: i64,
        max_time: i64,
        file: SealFile,
        encoding: EncodeStats,
    ) -> Result<()> {
        if file.len() > self.config.max_file_bytes {
            self.stats.oversize_files += 1;
            tracing::warn!(
                bytes = file.len(),
                limit = self.config.max_file_bytes,
                "a Parquet file exceeds max_file_bytes despite the estimate"
            );
        }
        let name = ObjectName::from_digest(file.digest(), Codec::Zstd);
        let key = self.config.location.object_key(&partition, &name);
        let header = SealedHeader {
            format: SEALED_FORMAT,
            class_uid: E::CLASS_UID,
            class_name: E::CLASS_NAME.to_owned(),
            partition: partition.to_string(),
            key,
            rows,
            min_time,
            max_time,
        };
        let path = self.spool.finish_seal(file, &header)?;
        if encoding.total() > 0 {
            tracing::warn!(
                key = %header.key,
                unknown_attributes = encoding.unknown_attributes,
                invalid_datetimes = encoding.invalid_datetimes,
                out_of_range = encoding.out_of_range,
                left_out = encoding.left_out,
                "values the Parquet schema cannot carry as given (see WriterStats::encoding)"
            );
        }
        self.stats.encoding += encoding;
        self.pending.push_back(Sealed { path, partition });
        Ok(())
    }

    /// Takes the background work that finished, without waiting: completes
    /// finished seals and uploads (returning the first error), and starts
    /// the next upload.
    async fn progress(&mut self) -> Result<()> {
        self.try_finish_seals()?;
        while self.finish_upload(false).await? {}
        Ok(())
    }

    /// Waits for every seal in flight, then uploads every sealed segment,
    /// in order.
    async fn drain(&mut self) -> Result<()> {
        while !self.sealing.is_empty() {
            self.finish_oldest_seal().await?;
        }
        while !self.pending.is_empty() {
            self.finish_upload(true).await?;
        }
        Ok(())
    }

    /// Starts the upload of the oldest sealed segment as a Tokio task, if
    /// none is running.
    fn start_upload(&mut self) -> Result<()> {
        if self.uploading.is_some() {
            return Ok(());
        }
        let Some(sealed) = self.pending.front() else {
            return Ok(());
        };
        let runtime = tokio::runtime::Handle::try_current().map_err(|e| {
            Error::new(ErrorKind::Config, "the writer uploads from a Tokio runtime").with_source(e)
        })?;
        let task = upload_sealed(
            self.config.store.clone(),
            sealed.path.clone(),
            sealed.partition.clone(),
            self.config.upload,
        );
        self.uploading = Some(runtime.spawn(task));
        Ok(())
    }

    /// Completes the upload of the oldest sealed segment (starting it if
    /// needed): deletes it from the spool and counts it. Without `wait`,
    /// returns `false` when the upload is still running (or there is none).
    /// A failed upload keeps the segment first in line (the next call starts
    /// it again) and returns the error.
    async fn finish_upload(&mut self, wait: bool) -> Result<bool> {
        self.start_upload()?;
        let Some(handle) = self.uploading.as_mut() else {
            return Ok(false);
        };
        if !wait && !handle.is_finished() {
            return Ok(false);
        }
        let joined = handle.await;
        self.uploading = None;
        let outcome = joined.map_err(|e| {
            Error::new(ErrorKind::Io, format!("the upload task failed: {e}")).with_source(e)
        })?;
        self.stats.already_present += outcome.already_present;
        let entry = outcome.result?;
        let Some(sealed) = self.pending.front() else {
            return Err(Error::new(ErrorKind::Io, "an uploaded segment vanished"));
        };
        self.spool.remove(&sealed.path)?;
        self.pending.pop_front();
        self.stats.files_written += 1;
        self.stats.events_written += entry.rows;
        self.stats.bytes_written += entry.bytes;
        self.manifest.objects.push(entry);
        Ok(true)
    }
}

impl<E: OcsfEvent> Drop for Writer<E> {
    /// Stops the upload in flight (its segment stays sealed in the spool and
    /// the next [`Writer::open`] uploads it) and waits for the encoding in
    /// flight, so that nothing writes into the spool once it is released.
    fn drop(&mut self) {
        if let Some(upload) = self.uploading.take() {
            upload.abort();
        }
        if !self.sealing.is_empty() {
            self.encoder.wait_idle();
            // Drops the finished encodings (and their unfinished sealed
            // files) before the spool's lock.
            self.sealing.clear();
        }
    }
}

/// Uploads one sealed segment (a Tokio task): reads it off the executor,
/// puts it (the store retries; this does not), and counts a key that
/// already held the object.
async fn upload_sealed(
    store: Arc<dyn ObjectStore>,
    path: PathBuf,
    partition: PartitionKey,
    options: UploadOptions,
) -> UploadOutcome {
    let mut outcome = UploadOutcome {
        result: Err(Error::new(ErrorKind::Io, "upload not attempted")),
        already_present: 0,
    };
    let read = tokio::task::spawn_blocking(move || spool::read_sealed(&path)).await;
    let (header, body) = match read {
        Ok(Ok(read)) => read,
        Ok(Err(err)) => {
            outcome.result = Err(err);
            return outcome;
        }
        Err(err) => {
            outcome.result = Err(Error::new(
                ErrorKind::Io,
                format!("reading a sealed segment failed: {err}"),
            )
            .with_source(err));
            return outcome;
        }
    };
    outcome.result = upload(
        store.as_ref(),
        &header,
        partition,
        body,
        &options,
        &mut outcome.already_present,
    )
    .await;
    outcome
}

/// Puts one sealed segment's object once (a conditional create).
async fn upload(
    store: &dyn ObjectStore,
    header: &SealedHeader,
    partition: PartitionKey,
    body: Bytes,
    options: &UploadOptions,
    already_present: &mut u64,
) -> Result<ManifestEntry> {
    let span = tracing::info_span!(
        "object_write",
        key = %header.key,
        rows = header.rows,
        bytes = body.len(),
        partition = %partition,
    );
    let bytes = body.len() as u64;
    let path = object_path(&header.key)?;
    let etag = match put_if_absent(store, &path, body, options)
        .instrument(span.clone())
        .await?
    {
        Created::New { e_tag, .. } => e_tag,
        // Same key means same content: an earlier attempt (or a writer that
        // died before acknowledging) stored it.
        _ => {
            *already_present += 1;
            None
        }
    };
    span.in_scope(|| tracing::info!("object written"));
    Ok(ManifestEntry {
        key: header.key.clone(),
        partition,
        rows: header.rows,
        bytes,
        min_time: header.min_time,
        max_time: header.max_time,
        etag,
    })
}

/// A job for the [`EncoderThread`].
type EncodeJob = Box<dyn FnOnce() + Send>;

/// The thread a writer encodes its files on, started at the first seal and
/// ended when the writer is dropped.
///
/// Encoding is CPU work of up to seconds, so it does not run on the async
/// executor; and it runs on one thread for the writer's whole life rather
/// than on tokio's blocking pool, because the allocator keeps a thread's
/// freed memory for that thread: encodes spread over several pool threads
/// each kept a file's worth of encoder memory (measured: 505 MB peak RSS
/// writing 400 MB, against 270 MB on one thread).
#[derive(Default)]
struct EncoderThread {
    jobs: Option<std::sync::mpsc::Sender<EncodeJob>>,
}

impl EncoderThread {
    /// Runs `job` on the encoder thread and waits for its result without
    /// blocking the executor. A panic in the job is an [`ErrorKind::Io`]
    /// error (the segment stays in the spool).
    async fn run<T: Send + 'static>(
        &mut self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let done = self.submit(job)?;
        Self::outcome(done.await.map_err(|_| ()))
    }

    /// Queues `job` on the encoder thread (starting it if needed); the
    /// receiver gets its result, or the panic it ended with.
    fn submit<T: Send + 'static>(
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
    fn outcome<T, R>(received: std::result::Result<std::thread::Result<T>, R>) -> Result<T> {
        match received {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(Error::new(ErrorKind::Io, "Parquet encoding panicked")),
            Err(_) => Err(Error::new(
                ErrorKind::Io,
                "the Parquet encoding thread stopped",
            )),
        }
    }

    /// Blocks the calling thread until every job queued so far has run.
    fn wait_idle(&self) {
        let Some(jobs) = &self.jobs else {
            return;
        };
        let (done, wait) = std::sync::mpsc::sync_channel::<()>(1);
        let barrier: EncodeJob = Box::new(move || {
            let _ = done.send(());
        });
        if jobs.send(barrier).is_ok() {
            let _ = wait.recv();
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
const ROW_GROUP_BYTES: usize = 8 * 1024 * 1024;
/// Rows encoded per Arrow batch at most.
const BATCH_ROWS: usize = 4096;
/// Event bytes ([`record::encode`]) encoded per Arrow batch at most, so that a
/// batch of large events stays small.
const BATCH_BYTES: u64 = 8 * 1024 * 1024;

/// Encodes one file by the Security Lake rule book ([`ParquetRules`]: ZSTD,
/// statistics, delta-encoded `time`, data pages within 1 MiB for values up to
/// `max_event_bytes`), rows sorted by `time` (stable), the root schema named
/// after the class, and row groups closed at [`ROW_GROUP_BYTES`]. Arrow batches hold at most [`BATCH_ROWS`]
/// rows and about [`BATCH_BYTES`] of events. `max_event_bytes` is the size of
/// the largest event ([`record::encode`]: at least its JSON length). The output is deterministic: the same events
/// give the same bytes.
fn encode_parquet<E: OcsfEvent, W: std::io::Write + Send>(
    out: W,
    rows: usize,
    options: &ColumnarOptions,
    max_event_bytes: u64,
    mut append: impl FnMut(&mut BatchEncoder<E>) -> Result<()>,
) -> Result<(W, EncodeStats)> {
    use parquet::arrow::ArrowWriter;

    let parquet_error =
        |e: parquet::errors::ParquetError| columnar_error("encode Parquet", ColumnarError::from(e));
    let mut encoder =
        BatchEncoder::<E>::new(options).map_err(|e| columnar_error("columnar options", e))?;
    let batch_rows = usize::try_from(BATCH_BYTES / max_event_bytes.max(1))
        .unwrap_or(BATCH_ROWS)
        .clamp(1, BATCH_ROWS);
    let rules = ParquetRules::new()
        .with_largest_value(max_event_bytes)
        .with_row_group_bytes(ROW_GROUP_BYTES);
    let properties = rules.writer_properties();
    let writer_options = ParquetRules::arrow_writer_options(E::CLASS_NAME, properties);
    let mut writer =
        ArrowWriter::try_new_with_options(out, encoder.schema().clone(), writer_options)
            .map_err(parquet_error)?;
    let mut done = 0;
    while done < rows {
        let chunk = batch_rows.min(rows - done);
        for _ in 0..chunk {
            append(&mut encoder)?;
        }
        done += chunk;
        let batch = encoder
            .finish()
            .map_err(|e| columnar_error("encode Parquet", e))?;
        rules
            .write_batch(&mut writer, &batch)
            .map_err(parquet_error)?;
    }
    let out = writer.into_inner().map_err(parquet_error)?;
    Ok((out, encoder.stats()))
}

/// Encodes a segment whose events are in the write-ahead file at `path`:
/// the slots are sorted by time (stable: equal times keep the order of
/// acceptance) and each event is read, decoded and appended to the batch in
/// that order, one at a time, so memory holds one Arrow batch, not the
/// segment's events.
fn encode_segment<E: OcsfEvent, W: std::io::Write + Send>(
    path: &Path,
    format: u32,
    slots: &mut [Slot],
    options: &ColumnarOptions,
    max_event_bytes: u64,
    out: W,
) -> Result<(W, EncodeStats)> {
    #[cfg(test)]
    tests::encode_hook(path)?;
    slots.sort_by_key(|slot| slot.time);
    let mut reader = RecordReader::open(path)?;
    let mut payload = Vec::new();
    let mut next = slots.iter();
    encode_parquet::<E, W>(out, slots.len(), options, max_event_bytes, |encoder| {
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
fn decode_event<E: OcsfEvent>(format: u32, payload: &[u8], path: &Path) -> Result<E> {
    record::decode(format, payload, &|| {
        format!("spool file {}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
    use securitylake_core::object_store::ObjectStore;
    use securitylake_core::store::local_store;

    /// Spool directories whose next encoding waits until its channel sends
    /// (once each).
    static HOLD_NEXT_ENCODE: std::sync::Mutex<Vec<(PathBuf, std::sync::mpsc::Receiver<()>)>> =
        std::sync::Mutex::new(Vec::new());

    /// Spool directories whose next encoding fails (once each).
    static FAIL_NEXT_ENCODE: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

    /// Called by `encode_segment` first: holds the encoding of a write-ahead
    /// file under a directory queued in [`HOLD_NEXT_ENCODE`], then fails it
    /// if its directory is queued in [`FAIL_NEXT_ENCODE`] (once each).
    pub(super) fn encode_hook(path: &Path) -> Result<()> {
        let gate = {
            let mut gates = HOLD_NEXT_ENCODE
                .lock()
                .map_err(|_| Error::new(ErrorKind::Io, "poisoned"))?;
            gates
                .iter()
                .position(|(dir, _)| path.starts_with(dir))
                .map(|i| gates.remove(i).1)
        };
        if let Some(gate) = gate {
            // Held until the test opens the gate (or gives up after a while).
            let _ = gate.recv_timeout(Duration::from_secs(30));
        }
        let mut queue = FAIL_NEXT_ENCODE
            .lock()
            .map_err(|_| Error::new(ErrorKind::Io, "poisoned"))?;
        if let Some(i) = queue.iter().position(|dir| path.starts_with(dir)) {
            queue.remove(i);
            drop(queue);
            // Fails as a real encoding would: after a while, so that the
            // write that rolled the segment has opened the next one.
            std::thread::sleep(Duration::from_millis(50));
            return Err(Error::new(ErrorKind::Io, "injected encoding failure"));
        }
        Ok(())
    }

    /// Holds the next encoding under `spool` until the returned sender
    /// sends (or drops).
    fn hold_next_encode(spool: &Path) -> std::sync::mpsc::Sender<()> {
        let (release, gate) = std::sync::mpsc::channel();
        HOLD_NEXT_ENCODE
            .lock()
            .expect("lock")
            .push((spool.to_path_buf(), gate));
        release
    }

    /// One partition, files of 32 KiB (a roll every ~50 events), on a fixed
    /// clock.
    fn config(lake: &Arc<dyn ObjectStore>, spool: &Path) -> WriterConfig {
        WriterConfig::builder()
            .location(
                SourceLocation::parse("s3://aws-security-data-lake-us-east-1-t/ext/t/1.0/")
                    .expect("location"),
            )
            .region("us-east-1")
            .account_id("123456789012")
            .store(lake.clone())
            .spool_dir(spool)
            .clock(Arc::new(ManualClock::new(1_709_164_800_000 + 86_400_000)))
            .max_file_bytes(32 * 1024)
            .columnar_options(ColumnarOptions::default().with_projection(["message"]))
            .build()
            .expect("config")
    }

    fn event(seq: u64) -> Authentication {
        let mut product = Product::default();
        product.name = Some("test".into());
        let mut event = Authentication::new(
            AuthenticationActivityId::Logon,
            Metadata::new(product, "1.1.0".into()),
            SeverityId::Low,
            1_709_164_800_000 + seq as i64,
            User::default(),
        );
        event.message = Some(format!("seq-{seq} {}", "x".repeat(200)));
        event
    }

    /// The sequence numbers in the lake, sorted, with duplicates.
    async fn lake_seqs(lake: &Arc<dyn ObjectStore>) -> Vec<u64> {
        use futures::TryStreamExt;
        use securitylake_core::object_store::{ObjectStoreExt, path::Path as ObjectPath};
        let mut seqs = Vec::new();
        let listed: Vec<_> = lake
            .list(Some(&ObjectPath::from("ext")))
            .try_collect()
            .await
            .expect("list");
        for meta in listed {
            let body = lake
                .get(&meta.location)
                .await
                .expect("get")
                .bytes()
                .await
                .expect("body");
            let events: Vec<Authentication> =
                ocsf_model::columnar::read_parquet(body).expect("parquet");
            for event in events {
                let message = event.message.unwrap_or_default();
                let seq = message
                    .split(' ')
                    .next()
                    .and_then(|s| s.strip_prefix("seq-"))
                    .and_then(|s| s.parse().ok())
                    .expect("a sequence number");
                seqs.push(seq);
            }
        }
        seqs.sort_unstable();
        seqs
    }

    /// While a segment is being encoded, the writer goes on filling the
    /// next one; the roll after that waits for the encoding ([`MAX_SEALING`]):
    /// the writer stalls with exactly two write-ahead files (the one being
    /// encoded and the full one) and one sealed file being written, then
    /// writes everything once the encoding is let go.
    #[tokio::test]
    async fn a_second_roll_waits_for_the_encoding_in_flight() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let dir = tempfile::tempdir().expect("tempdir");
        let lake = local_store(dir.path().join("lake")).expect("lake");
        let spool = dir.path().join("spool");
        let config = config(&lake, &spool);
        let release = hold_next_encode(&spool);
        let mut writer = Writer::<Authentication>::open(config).await.expect("open");
        let total = 2_000u64;
        let written = Arc::new(AtomicU64::new(0));
        let first_roll = Arc::new(AtomicU64::new(0));
        let (progress, rolled) = (written.clone(), first_roll.clone());
        let task = tokio::spawn(async move {
            for seq in 0..total {
                writer.write(event(seq)).await?;
                progress.store(seq + 1, Ordering::SeqCst);
                if writer.stats().rolls_by_size == 1 && rolled.load(Ordering::SeqCst) == 0 {
                    rolled.store(seq, Ordering::SeqCst);
                }
                tokio::task::yield_now().await;
            }
            writer.close().await
        });
        let count = |suffix: &str| {
            std::fs::read_dir(&spool)
                .expect("spool")
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
                .count()
        };
        let (mut last, mut still) = (u64::MAX, 0);
        while still < 3 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(
                !task.is_finished(),
                "the writer never waited for the encoding"
            );
            let now = written.load(Ordering::SeqCst);
            still = if now == last { still + 1 } else { 0 };
            last = now;
        }
        let first = first_roll.load(Ordering::SeqCst);
        assert!(first > 0, "a segment rolled");
        // Stalled within the second file: a third would mean two encodings.
        assert!(last > first && last < 2 * first + 2, "{first} {last}");
        assert_eq!(count(".wal"), 2, "the encoding segment and the full one");
        assert_eq!(count(".sealed.tmp"), 1, "one segment encoding");
        release.send(()).expect("release");
        let manifest = tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .expect("in time")
            .expect("joined")
            .expect("written");
        assert_eq!(manifest.rows(), total);
        assert_eq!(lake_seqs(&lake).await, (0..total).collect::<Vec<_>>());
    }

    /// A write dropped while it waits for the encoding in flight (a
    /// timeout, a `select!`) loses nothing: neither the segment being
    /// encoded nor the full one waiting for its turn. The dropped write's
    /// own event is not accepted, and `flush` writes every accepted one.
    #[tokio::test]
    async fn a_write_dropped_while_it_waits_for_an_encoding_loses_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lake = local_store(dir.path().join("lake")).expect("lake");
        let spool = dir.path().join("spool");
        let config = config(&lake, &spool);
        let release = hold_next_encode(&spool);
        let mut writer = Writer::<Authentication>::open(config).await.expect("open");
        let mut accepted = Vec::new();
        let mut dropped = None;
        for seq in 0..2_000u64 {
            let write = writer.write(event(seq));
            match tokio::time::timeout(Duration::from_millis(300), write).await {
                Ok(result) => {
                    result.expect("write");
                    accepted.push(seq);
                }
                Err(_) => {
                    dropped = Some(seq);
                    break;
                }
            }
        }
        let dropped = dropped.expect("a write waited for the held encoding");
        assert_eq!(writer.stats().rolls_by_size, 1, "the second roll waited");
        release.send(()).expect("release");
        for seq in dropped + 1..dropped + 10 {
            writer.write(event(seq)).await.expect("write");
            accepted.push(seq);
        }
        let manifest = writer.flush().await.expect("flush");
        assert_eq!(manifest.rows(), accepted.len() as u64);
        let stats = writer.stats();
        assert_eq!(stats.events_written, accepted.len() as u64, "{stats:?}");
        assert_eq!(stats.buffered_bytes, 0, "{stats:?}");
        writer.close().await.expect("close");
        assert_eq!(lake_seqs(&lake).await, accepted);
    }

    /// A background encoding failure surfaces from a later write; the
    /// segment (whose partition has a new open segment by then) is sealed
    /// again by `flush`, or recovered by a reopen: every accepted event is
    /// in the lake exactly once.
    #[tokio::test]
    async fn a_background_encoding_failure_surfaces_later_and_loses_nothing() {
        for reopen in [false, true] {
            let dir = tempfile::tempdir().expect("tempdir");
            let lake = local_store(dir.path().join("lake")).expect("lake");
            let spool = dir.path().join("spool");
            let config = config(&lake, &spool);
            let mut writer = Writer::<Authentication>::open(config.clone())
                .await
                .expect("open");
            FAIL_NEXT_ENCODE.lock().expect("lock").push(spool.clone());
            let mut accepted = Vec::new();
            let mut failed = None;
            for seq in 0..2_000u64 {
                if writer.stats().rolls_by_size > 0 {
                    // Gives the encoder time: the failure is taken by a
                    // later write.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                match writer.write(event(seq)).await {
                    Ok(()) => accepted.push(seq),
                    Err(err) => {
                        failed = Some((seq, err));
                        break;
                    }
                }
            }
            let (rejected, err) = failed.expect("the encoding failure surfaced");
            assert!(err.message().contains("injected encoding failure"), "{err}");
            let stats = writer.stats();
            assert_eq!(stats.events_accepted, accepted.len() as u64);
            assert_eq!(writer.failed.len(), 1, "a new segment took the partition");
            assert_eq!(
                stats.buffered_bytes,
                writer.failed[0].1.bytes + writer.open.values().map(|s| s.bytes).sum::<u64>(),
                "{stats:?}"
            );
            for seq in rejected + 1..rejected + 50 {
                writer.write(event(seq)).await.expect("write");
                accepted.push(seq);
            }
            if reopen {
                drop(writer);
                let writer = Writer::<Authentication>::open(config)
                    .await
                    .expect("reopen");
                writer.close().await.expect("close");
            } else {
                let manifest = writer.flush().await.expect("flush");
                assert_eq!(manifest.rows(), accepted.len() as u64);
                let stats = writer.stats();
                assert_eq!(stats.events_written, accepted.len() as u64);
                assert_eq!(stats.buffered_bytes, 0, "{stats:?}");
                writer.close().await.expect("close");
            }
            assert_eq!(lake_seqs(&lake).await, accepted, "reopen: {reopen}");
            let left: Vec<_> = std::fs::read_dir(&spool)
                .expect("spool")
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.contains(".wal") || name.contains(".sealed"))
                .collect();
            assert!(left.is_empty(), "{left:?}");
        }
    }
}

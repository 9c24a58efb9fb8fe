//! The grouped configuration of a [`Writer`](super::Writer): limits,
//! durability, the clock, the store and the upload options.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ocsf_model::columnar::ColumnarOptions;
#[cfg(feature = "s3")]
use securitylake_core::aws::AwsConfig;
use securitylake_core::layout::{
    AccountId, CustomSource, LOCAL_BUCKET, LakeSource, Region, SourceLocation,
};
use securitylake_core::object_store::ObjectStore;
#[cfg(feature = "s3")]
use securitylake_core::store::S3StoreBuilder;
use securitylake_core::store::{UploadOptions, local_store};

use super::clock::{Clock, SystemClock};
#[cfg(doc)]
use super::{Writer, WriterStats};
use crate::error::{Error, ErrorKind, Result};

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
/// sealed: 256 MiB (of event sizes: their estimated bytes in the Parquet file,
/// see the [writer](super)'s rolling rules) across partitions, so that one partition can fill a file of
/// [`DEFAULT_MAX_FILE_BYTES`]. The events wait in the spool directory, not in
/// memory.
pub const DEFAULT_MAX_BUFFERED_BYTES: u64 = 256 * 1024 * 1024;
/// The default tolerance for event times ahead of the writer's clock: 1 day.
pub const DEFAULT_MAX_FUTURE_SKEW: Duration = Duration::from_secs(24 * 60 * 60);

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
    /// Neither cut a frame nor fsync for a write or an interval: single
    /// writes stay in the open batch until it holds 4,096 rows (or its frame
    /// size), a [`Writer::write_batch`] or [`Writer::sync`] cuts it, or the
    /// segment is sealed; files are fsynced when sealed and on
    /// [`Writer::sync`]. Frames, and so the files, depend only on the events
    /// written and the calls made, never on the clock: writing the same
    /// events again makes the same objects (the same keys). A crash of the
    /// process may lose every event since the last flush. For a caller that
    /// replays its input from its own checkpoint after a crash (such as
    /// `seclake run`'s file inputs, or a Lambda function's retried batch).
    ///
    /// ```
    /// use securitylake_source::writer::{Durability, WriterConfig};
    ///
    /// let template = WriterConfig::builder().durability(Durability::OnFlush);
    /// # let _ = template;
    /// ```
    OnFlush,
}

/// The configuration of a [`Writer`]; build it with [`WriterConfig::builder`].
#[derive(Clone)]
pub struct WriterConfig {
    pub(super) location: SourceLocation,
    pub(super) region: Region,
    pub(super) account_id: AccountId,
    pub(super) store: Arc<dyn ObjectStore>,
    pub(super) spool_dir: PathBuf,
    pub(super) columnar: ColumnarOptions,
    pub(super) max_age: Duration,
    pub(super) max_file_bytes: u64,
    pub(super) max_buffered_bytes: u64,
    pub(super) max_future_skew: Duration,
    pub(super) durability: Durability,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) upload: UploadOptions,
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

    /// A builder for a writer of the custom source `source_name` (version
    /// `1.0`) in the local lake directory `lake_dir` (created if absent), with
    /// nothing else to give: the store is a
    /// [`local_store`](securitylake_core::store::local_store) of the
    /// directory, the location is the source in the
    /// [`LOCAL_BUCKET`](securitylake_core::layout::LOCAL_BUCKET), the
    /// partitions are `region=us-east-1` and `accountId=external` (the
    /// builder's [`region`](WriterConfigBuilder::region) and
    /// [`account_id`](WriterConfigBuilder::account_id) change them), and the
    /// spool is `<lake_dir>/.seclake/spool/ext_<source>_<version>` (no reader of
    /// the lake lists it: it holds no `.parquet` file).
    ///
    /// Fails with [`ErrorKind::Config`] when the name is not a valid custom
    /// source name, and with an I/O error when the directory cannot be created.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ocsf_model::v1_1_0::events::Authentication;
    /// use securitylake_source::{Writer, WriterConfig};
    ///
    /// let lake = tempfile::tempdir()?;
    /// let config = WriterConfig::local(lake.path(), "bastion")?.build()?;
    /// assert_eq!(config.location().to_string(), "s3://local/ext/bastion/1.0/");
    /// let writer = Writer::<Authentication>::open(config).await?;
    /// assert!(writer.close().await?.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn local(lake_dir: impl AsRef<Path>, source_name: &str) -> Result<WriterConfigBuilder> {
        let lake_dir = lake_dir.as_ref();
        let source = CustomSource::new(source_name, Some("1.0".to_owned()))
            .map_err(|e| Error::new(ErrorKind::Config, e.to_string()).with_source(e))?;
        let location = SourceLocation::new(LOCAL_BUCKET, LakeSource::Custom(source))?;
        let spool = lake_dir
            .join(".seclake")
            .join("spool")
            .join(location.prefix().trim_end_matches('/').replace('/', "_"));
        Ok(WriterConfigBuilder::default()
            .store(local_store(lake_dir)?)
            .location(location)
            .region("us-east-1")
            .account_id("external")
            .spool_dir(spool))
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
    /// in bytes (each event's estimated bytes in the Parquet file: see
    /// [`WriterStats::buffered_bytes`]), at least
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

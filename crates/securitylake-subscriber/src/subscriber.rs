//! The [`Subscriber`], its builder and its notification sources.

#[cfg(feature = "s3")]
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
#[cfg(feature = "s3")]
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
#[cfg(feature = "s3")]
use securitylake_core::aws::{AssumeRoleProvider, AwsConfig};
use securitylake_core::object_store::ObjectStore;
use securitylake_core::retry::RetryPolicy;
use securitylake_core::store::local_store;
use tokio::sync::watch;

use crate::checkpoint::{CheckpointStore, MemoryCheckpoint};
use crate::deadletter::{DeadLetterSink, MemoryDeadLetterSink};
use crate::delivery::{Deliveries, Delivery, Pump};
use crate::engine::Handled;
use crate::engine::{DEFAULT_HANDLER_RETRY, Engine, Filters, Stores};
use crate::error::{Error, Result};
use crate::feed::Feed;
use crate::feeds::SharedLocalState;
use crate::handler::Handler;
#[cfg(feature = "https")]
use crate::https::HttpsSource;
#[cfg(feature = "sqs")]
use crate::sqs::SqsSource;
use crate::stats::{StatsCell, SubscriberStats};

/// The bucket name given to objects of a [`LocalSource`] (the lake layout's
/// [`LOCAL_BUCKET`](securitylake_core::layout::LOCAL_BUCKET)).
pub use securitylake_core::layout::LOCAL_BUCKET;

/// A lake directory watched by polling (the embedded default, in the
/// lake's key layout): new or changed `.parquet` objects are processed.
#[derive(Debug, Clone)]
pub struct LocalSource {
    root: PathBuf,
    prefix: String,
    pub(crate) interval: Duration,
    pub(crate) visibility: Duration,
    pub(crate) state: SharedLocalState,
}

impl LocalSource {
    /// Watches the lake directory `root`, every second.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            prefix: String::new(),
            interval: Duration::from_secs(1),
            visibility: Duration::from_secs(60),
            state: SharedLocalState::default(),
        }
    }

    /// Only watches keys under this prefix (for example `ext/myapp/`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The polling interval.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// How long an object handed out by [`Subscriber::deliveries`] stays invisible before it
    /// is handed out again unless settled or extended (default 60 s).
    pub fn visibility_timeout(mut self, visibility: Duration) -> Self {
        self.visibility = visibility;
        self
    }

    /// The lake directory.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    pub(crate) fn prefix_str(&self) -> &str {
        &self.prefix
    }
}

/// Where notifications come from.
#[derive(Debug)]
#[non_exhaustive]
pub enum Source {
    /// A local lake directory.
    Local(LocalSource),
    /// An HTTPS endpoint (EventBridge API destination).
    #[cfg(feature = "https")]
    #[cfg_attr(docsrs, doc(cfg(feature = "https")))]
    Https(HttpsSource),
    /// An SQS queue.
    #[cfg(feature = "sqs")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sqs")))]
    Sqs(SqsSource),
    /// Any other [`Feed`] (a [`MemoryFeed`](crate::feed::MemoryFeed), your own).
    Feed(Arc<dyn Feed>),
}

impl From<LocalSource> for Source {
    fn from(s: LocalSource) -> Self {
        Self::Local(s)
    }
}

#[cfg(feature = "https")]
#[cfg_attr(docsrs, doc(cfg(feature = "https")))]
impl From<HttpsSource> for Source {
    fn from(s: HttpsSource) -> Self {
        Self::Https(s)
    }
}

impl From<Arc<dyn Feed>> for Source {
    fn from(feed: Arc<dyn Feed>) -> Self {
        Self::Feed(feed)
    }
}

#[cfg(feature = "sqs")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqs")))]
impl From<SqsSource> for Source {
    fn from(s: SqsSource) -> Self {
        Self::Sqs(s)
    }
}

/// The source as the subscriber keeps it.
#[derive(Debug)]
enum Inner {
    Local(LocalSource),
    #[cfg(feature = "https")]
    Https(Arc<HttpsSource>),
    /// Only through the feed (SQS, custom feeds): `run` is a loop over deliveries.
    Feed,
}

/// Builds a [`Subscriber`]; see the crate documentation for an example.
pub struct SubscriberBuilder {
    source: Option<Source>,
    store: Option<Arc<dyn ObjectStore>>,
    #[cfg(feature = "s3")]
    aws: Option<AwsConfig>,
    #[cfg(feature = "s3")]
    role: Option<(String, String)>,
    checkpoint: Option<Arc<dyn CheckpointStore>>,
    dead_letter: Option<Arc<dyn DeadLetterSink>>,
    handler: Option<Arc<dyn Handler>>,
    filters: Filters,
    retry: RetryPolicy,
    concurrency: usize,
    heartbeat: bool,
}

impl std::fmt::Debug for SubscriberBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriberBuilder")
            .field("source", &self.source)
            .field("filters", &self.filters)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl SubscriberBuilder {
    /// The notification source.
    pub fn source(mut self, source: impl Into<Source>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The notification source: any [`Feed`] (an in-memory feed, your own transport).
    pub fn feed(self, feed: Arc<dyn Feed>) -> Self {
        self.source(Source::Feed(feed))
    }

    /// Whether the visibility of notifications whose objects are handed out by
    /// [`Subscriber::deliveries`] is extended every half of the feed's visibility timeout
    /// until they are settled (default `true`). Off, work that outlasts the timeout must call
    /// [`Delivery::extend`] or the notification is handed out again.
    pub fn visibility_heartbeat(mut self, on: bool) -> Self {
        self.heartbeat = on;
        self
    }

    /// Reads every object from this store, whatever the bucket (tests, or a
    /// store built by hand). Without it, objects are read from S3 with the
    /// AWS configuration (or from the lake directory of a [`LocalSource`]).
    pub fn store(mut self, store: Arc<dyn ObjectStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The base AWS configuration (for S3 and SQS).
    #[cfg(feature = "s3")]
    #[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
    pub fn aws_config(mut self, config: AwsConfig) -> Self {
        self.aws = Some(config);
        self
    }

    /// The subscriber role that Security Lake created and its external id,
    /// assumed through STS (and refreshed) for S3 and SQS.
    #[cfg(feature = "s3")]
    #[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
    pub fn subscriber_role(
        mut self,
        role_arn: impl Into<String>,
        external_id: impl Into<String>,
    ) -> Self {
        self.role = Some((role_arn.into(), external_id.into()));
        self
    }

    /// Where processed objects are remembered (default: in memory).
    pub fn checkpoint(mut self, checkpoint: Arc<dyn CheckpointStore>) -> Self {
        self.checkpoint = Some(checkpoint);
        self
    }

    /// Where permanent failures go (default: logged and kept in memory).
    pub fn dead_letter(mut self, sink: Arc<dyn DeadLetterSink>) -> Self {
        self.dead_letter = Some(sink);
        self
    }

    /// The handler (required by [`Subscriber::run`] and [`Subscriber::run_once`]; not by
    /// [`Subscriber::deliveries`]).
    pub fn handler(mut self, handler: impl Handler) -> Self {
        self.handler = Some(Arc::new(handler));
        self
    }

    /// The handler, shared.
    pub fn shared_handler(mut self, handler: Arc<dyn Handler>) -> Self {
        self.handler = Some(handler);
        self
    }

    /// The filters.
    pub fn filters(mut self, filters: Filters) -> Self {
        self.filters = filters;
        self
    }

    /// How the handler's retryable failures are retried (default
    /// [`DEFAULT_HANDLER_RETRY`]). Reads are retried by the object store's
    /// own policy, not again here: an object whose read fails after those
    /// attempts is left unacknowledged for redelivery.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How many objects are processed at once (default 4).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Builds the subscriber, assuming the subscriber role if one was given.
    pub async fn build(self) -> Result<Subscriber> {
        let source = self
            .source
            .ok_or_else(|| Error::config("a notification source is required"))?;
        let handler = self.handler;
        #[cfg(feature = "s3")]
        let aws = match (self.aws, self.role) {
            (Some(base), Some((arn, external_id))) => Some(
                base.assume_role(
                    AssumeRoleProvider::builder(arn)
                        .external_id(external_id)
                        .session_name("securitylake-subscriber"),
                )
                .await?,
            ),
            (None, Some(_)) => {
                return Err(Error::config(
                    "a subscriber role needs an AWS configuration",
                ));
            }
            (aws, None) => aws,
        };
        #[cfg(feature = "s3")]
        let stores = match (self.store, &source, &aws) {
            (Some(store), _, _) => Stores::Single(store),
            (None, Source::Local(local), _) => Stores::Single(local_store(&local.root)?),
            (None, _, Some(config)) => Stores::S3 {
                config: Box::new(config.clone()),
                cache: Mutex::new(HashMap::new()),
            },
            (None, _, None) => {
                return Err(Error::config(
                    "an object store or an AWS configuration is required",
                ));
            }
        };
        #[cfg(not(feature = "s3"))]
        let stores = match (self.store, &source) {
            (Some(store), _) => Stores::Single(store),
            (None, Source::Local(local)) => Stores::Single(local_store(&local.root)?),
            (None, _) => {
                return Err(Error::config(
                    "an object store is required (or the `s3` feature and an AWS configuration)",
                ));
            }
        };
        let (source, feed): (Inner, Arc<dyn Feed>) = match source {
            #[cfg(feature = "sqs")]
            Source::Sqs(sqs) => {
                let sqs = sqs.resolve(aws.as_ref()).await?;
                (Inner::Feed, Arc::new(sqs))
            }
            Source::Local(local) => (Inner::Local(local.clone()), Arc::new(local)),
            #[cfg(feature = "https")]
            Source::Https(https) => {
                let https = Arc::new(https);
                let spool: Arc<dyn Feed> = https.spool_arc();
                (Inner::Https(https), spool)
            }
            Source::Feed(feed) => (Inner::Feed, feed),
        };
        let stats = Arc::new(StatsCell::default());
        let engine = Arc::new(Engine {
            stores,
            checkpoint: self
                .checkpoint
                .unwrap_or_else(|| Arc::new(MemoryCheckpoint::new())),
            dead_letter: self
                .dead_letter
                .unwrap_or_else(|| Arc::new(MemoryDeadLetterSink::new())),
            handler,
            filters: self.filters,
            retry: self.retry,
            stats: stats.clone(),
        });
        let (shutdown, _) = watch::channel(false);
        Ok(Subscriber {
            engine,
            source,
            feed,
            heartbeat: self.heartbeat,
            accepting: AtomicBool::new(false),
            concurrency: self.concurrency,
            shutdown: Arc::new(shutdown),
            stats,
        })
    }
}

/// Stops a running [`Subscriber`] gracefully: no new notifications are
/// received, in-flight objects are finished, the rest is released.
#[derive(Debug, Clone)]
pub struct ShutdownHandle(Arc<watch::Sender<bool>>);

impl ShutdownHandle {
    /// Asks the subscriber to stop.
    pub fn shutdown(&self) {
        self.0.send_replace(true);
    }
}

/// Reads the current counters of a running [`Subscriber`].
#[derive(Debug, Clone)]
pub struct StatsHandle(Arc<StatsCell>);

impl StatsHandle {
    /// A snapshot of the counters.
    pub fn get(&self) -> SubscriberStats {
        self.0.snapshot()
    }
}

/// Consumes Security Lake notifications and hands each new object to a
/// [`Handler`], at least once.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt").block_on(async {
/// use securitylake_subscriber::{Handler, HandlerError, LakeObject, LocalSource, Subscriber};
///
/// struct Print;
/// #[securitylake_subscriber::async_trait]
/// impl Handler for Print {
///     async fn handle(&self, object: &LakeObject) -> Result<(), HandlerError> {
///         println!("{} rows in {}", object.info().rows, object.info().object.key);
///         Ok(())
///     }
/// }
///
/// let lake = tempfile::tempdir().expect("tempdir");
/// let subscriber = Subscriber::builder()
///     .source(LocalSource::new(lake.path()))
///     .handler(Print)
///     .build()
///     .await?;
/// let stats = subscriber.run_once().await?;
/// assert_eq!(stats.objects_processed, 0);
/// # Ok::<(), securitylake_subscriber::Error>(()) }).expect("example");
/// ```
#[derive(Debug)]
pub struct Subscriber {
    engine: Arc<Engine>,
    source: Inner,
    feed: Arc<dyn Feed>,
    heartbeat: bool,
    /// Whether the HTTPS listener was started for [`Self::deliveries`].
    #[cfg_attr(not(feature = "https"), allow(dead_code))]
    accepting: AtomicBool,
    concurrency: usize,
    shutdown: Arc<watch::Sender<bool>>,
    stats: Arc<StatsCell>,
}

impl Subscriber {
    /// A builder.
    pub fn builder() -> SubscriberBuilder {
        SubscriberBuilder {
            source: None,
            store: None,
            #[cfg(feature = "s3")]
            aws: None,
            #[cfg(feature = "s3")]
            role: None,
            checkpoint: None,
            dead_letter: None,
            handler: None,
            filters: Filters::new(),
            retry: DEFAULT_HANDLER_RETRY,
            concurrency: 4,
            heartbeat: true,
        }
    }

    /// The new objects, one [`Delivery`] each, until [`ShutdownHandle::shutdown`] is called:
    /// filtered and deduplicated (bucket + key + etag), malformed and poison notifications
    /// dead-lettered, each object opened (footer read, class and version detected). Settle each
    /// one with [`Delivery::ack`] after your own effect is durable, or [`Delivery::nack`]; a
    /// delivery dropped unsettled is handed out again after the feed's visibility timeout.
    /// While a delivery is unsettled its notification's visibility is extended (see
    /// [`SubscriberBuilder::visibility_heartbeat`]). A failed receive is yielded as an error,
    /// and the stream goes on.
    ///
    /// With an [`HttpsSource`], the first call starts its listener. Do not mix `deliveries`
    /// and [`Self::run`] on one subscriber.
    ///
    /// See [`Delivery`] for an example.
    pub fn deliveries(&self) -> Deliveries {
        #[cfg(feature = "https")]
        if let Inner::Https(https) = &self.source
            && !self.accepting.swap(true, Ordering::SeqCst)
        {
            tokio::spawn(crate::https::accept_loop(
                https.clone(),
                self.stats.clone(),
                self.shutdown.subscribe(),
            ));
        }
        let pump = Pump::new(
            self.engine.clone(),
            self.feed.clone(),
            self.concurrency.max(10),
            self.heartbeat,
            self.shutdown.subscribe(),
        );
        let pump = match self.source {
            #[cfg(feature = "https")]
            Inner::Https(_) => pump.counted_by_feed(),
            _ => pump,
        };
        Deliveries::from_stream(pump.into_stream())
    }

    fn handler(&self) -> Result<Arc<dyn Handler>> {
        self.engine
            .handler
            .clone()
            .ok_or_else(|| Error::config("a handler is required to run (or use deliveries())"))
    }

    /// A handle that stops [`Self::run`].
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shutdown.clone())
    }

    /// A handle on the counters.
    pub fn stats_handle(&self) -> StatsHandle {
        StatsHandle(self.stats.clone())
    }

    /// The counters so far.
    pub fn stats(&self) -> SubscriberStats {
        self.stats.snapshot()
    }

    /// Runs until [`ShutdownHandle::shutdown`] is called, then finishes the
    /// objects in flight and returns the counters.
    pub async fn run(self) -> Result<SubscriberStats> {
        let shutdown = self.shutdown.subscribe();
        let handler = self.handler()?;
        match self.source {
            Inner::Feed => {
                let pump = Pump::new(
                    self.engine.clone(),
                    self.feed.clone(),
                    self.concurrency,
                    self.heartbeat,
                    shutdown,
                );
                run_deliveries(self.engine.clone(), handler, pump, self.concurrency).await?;
            }
            Inner::Local(_) => {
                let pump = Pump::new(
                    self.engine.clone(),
                    self.feed.clone(),
                    self.concurrency,
                    self.heartbeat,
                    shutdown,
                );
                run_deliveries(self.engine.clone(), handler, pump, self.concurrency).await?;
            }
            #[cfg(feature = "https")]
            Inner::Https(https) => {
                let acceptor = tokio::spawn(crate::https::accept_loop(
                    https.clone(),
                    self.stats.clone(),
                    shutdown.clone(),
                ));
                let pump = Pump::new(
                    self.engine.clone(),
                    self.feed.clone(),
                    self.concurrency,
                    self.heartbeat,
                    shutdown,
                )
                .counted_by_feed();
                let ran =
                    run_deliveries(self.engine.clone(), handler, pump, self.concurrency).await;
                let _ = acceptor.await;
                ran?;
            }
        }
        Ok(self.stats.snapshot())
    }

    /// Processes what is available now and returns: one scan of a
    /// [`LocalSource`], the current spool of an [`HttpsSource`], or one
    /// receive of an [`SqsSource`].
    pub async fn run_once(&self) -> Result<SubscriberStats> {
        let handler = self.handler()?;
        let (_tx, rx) = watch::channel(false);
        let pump = match &self.source {
            Inner::Feed => Pump::new(
                self.engine.clone(),
                self.feed.clone(),
                self.concurrency,
                self.heartbeat,
                rx,
            ),
            Inner::Local(local) => {
                // One scan that offers every object it finds (those already processed are
                // then counted as duplicates): a fresh feed state per call.
                let scan = LocalSource {
                    state: SharedLocalState::default(),
                    ..local.clone()
                };
                Pump::new(
                    self.engine.clone(),
                    Arc::new(scan),
                    usize::MAX,
                    self.heartbeat,
                    rx,
                )
            }
            #[cfg(feature = "https")]
            Inner::Https(_) => Pump::new(
                self.engine.clone(),
                self.feed.clone(),
                usize::MAX,
                self.heartbeat,
                rx,
            )
            .counted_by_feed(),
        };
        let deliveries = pump.once().await?;
        futures::stream::iter(deliveries)
            .for_each_concurrent(self.concurrency, |d| {
                handle_delivery(self.engine.clone(), handler.clone(), Ok(d))
            })
            .await;
        Ok(self.stats.snapshot())
    }
}

/// Consecutive failed receives before [`Subscriber::run`] gives up, and the backoff between
/// them (the feed's client retried each request by its own policy already).
const RECEIVE_RETRY: RetryPolicy = RetryPolicy::new()
    .with_max_attempts(11)
    .with_max_backoff(std::time::Duration::from_secs(13));

/// `run` as a loop over deliveries: each through the handler, `concurrency` at once. A
/// retryable receive failure backs off; a permanent one, or too many in a row, ends the run.
async fn run_deliveries(
    engine: Arc<Engine>,
    handler: Arc<dyn Handler>,
    pump: Pump,
    concurrency: usize,
) -> Result<()> {
    let failures = std::sync::atomic::AtomicU32::new(0);
    let failures = &failures;
    pump.into_stream()
        .then(|item| async move {
            match item {
                Ok(d) => {
                    failures.store(0, Ordering::Relaxed);
                    Ok(Some(d))
                }
                Err(e) => {
                    let n = failures.fetch_add(1, Ordering::Relaxed) + 1;
                    if !e.is_retryable() || n >= RECEIVE_RETRY.max_attempts() {
                        return Err(e);
                    }
                    tracing::warn!(error = %e, failures = n, "receive failed; backing off");
                    tokio::time::sleep(RECEIVE_RETRY.backoff(n, fastrand::f64())).await;
                    Ok(None)
                }
            }
        })
        .try_for_each_concurrent(concurrency, |d| {
            let (engine, handler) = (engine.clone(), handler.clone());
            async move {
                if let Some(d) = d {
                    handle_delivery(engine, handler, Ok(d)).await;
                }
                Ok(())
            }
        })
        .await
}

/// One delivery through the handler: ack when handled (or dead-lettered), left unsettled for
/// redelivery otherwise.
async fn handle_delivery(engine: Arc<Engine>, handler: Arc<dyn Handler>, d: Result<Delivery>) {
    let delivery = match d {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "receive failed; backing off");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            return;
        }
    };
    let (object, acker) = delivery.into_parts();
    let settled = match engine.handle(handler.as_ref(), &object).await {
        Handled::Ok => acker.ack().await,
        Handled::DeadLettered => acker.ack_unrecorded().await,
        // Dropped unsettled: handed out again after the visibility timeout.
        Handled::Keep => Ok(()),
    };
    if let Err(e) = settled {
        tracing::warn!(error = %e, "settling a delivery failed; it will be redelivered");
    }
}

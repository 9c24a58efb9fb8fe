//! Deliveries: one announced object with its reader and the [`Acker`] that settles it, and the
//! stream [`Subscriber::deliveries`](crate::Subscriber::deliveries) that hands them out.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures::{Stream, StreamExt};
use tokio::sync::watch;

use crate::deadletter::DeadLetter;
use crate::engine::{Engine, Outcome, Prepared};
use crate::error::{Error, ErrorKind, Result};
use crate::feed::{Feed, Notice, NoticeContent, Receipt, Settle};
use crate::handler::LakeObject;
use crate::notification::{Notification, ObjectRef, parse_notification};
use crate::stats::inc;

/// How long the stream pauses after a receive that returned nothing (feeds that long-poll,
/// such as SQS, wait inside `receive` instead).
const IDLE_PAUSE: Duration = Duration::from_millis(50);

/// The stream [`Subscriber::deliveries`](crate::Subscriber::deliveries) returns.
pub type Deliveries = crate::stream::ResultStream<Delivery>;

/// One new object, ready to read, and the [`Acker`] that settles it.
///
/// Settle it exactly once: [`ack`](Self::ack) after your own effect is durable,
/// [`nack`](Self::nack) to have it redelivered after a delay. Both take the delivery by value,
/// so a second settle does not compile. [`extend`](Self::extend) keeps it invisible longer
/// while you work. To settle several objects with one effect (one database transaction for a
/// batch), keep their ackers ([`into_parts`](Self::into_parts)) and ack them after it.
///
/// **Dropping an unsettled delivery settles nothing**: `Drop` does no I/O and spawns nothing.
/// The subscriber stops extending its visibility, and the feed hands the notification out
/// again once its visibility timeout lapses (SQS visibility timeout, the spool's or the memory
/// feed's lease). Objects of the same notification that were already acknowledged are then
/// skipped as duplicates.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt").block_on(async {
/// use std::sync::Arc;
/// use std::time::Duration;
/// use futures::{StreamExt, TryStreamExt};
/// use ocsf_model::columnar::ColumnarOptions;
/// use securitylake_parquet::write_parquet;
/// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
/// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
/// use securitylake_core::object_store::{ObjectStoreExt, path::Path};
/// use securitylake_core::store::local_store;
/// use securitylake_subscriber::{ObjectRef, Subscriber};
/// use securitylake_subscriber::feed::MemoryFeed;
///
/// let dir = tempfile::tempdir().expect("tempdir");
/// let store = local_store(dir.path())?;
/// let key = "ext/app/region=us-east-1/accountId=external/eventDay=19700101/a.zstd.parquet";
/// let event = Authentication::new(AuthenticationActivityId::Logon,
///     Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, 1_000, User::default());
/// store.put(&Path::from(key), write_parquet(&[event], &ColumnarOptions::default())?.into()).await?;
///
/// let feed = Arc::new(MemoryFeed::new(Duration::from_secs(30)));
/// feed.push(vec![ObjectRef::new("lake", key)]);
/// let subscriber = Subscriber::builder().feed(feed.clone()).store(store).build().await?;
/// let mut deliveries = subscriber.deliveries();
/// let delivery = deliveries.next().await.expect("one delivery")?;
/// let mut rows = 0;
/// let mut events = delivery.object().typed::<Authentication>()?;
/// while let Some(batch) = events.try_next().await? {
///     rows += batch.len();
/// }
/// // ... make the effect durable, then:
/// delivery.ack().await?;
/// assert_eq!(rows, 1);
/// assert!(feed.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(()) }).expect("example");
/// ```
#[derive(Debug)]
pub struct Delivery {
    object: LakeObject,
    acker: Acker,
}

impl Delivery {
    /// The object: read it as typed events, Arrow batches, [`Event`](ocsf_model::v1_1_0::Event)s
    /// or dynamic events.
    pub fn object(&self) -> &LakeObject {
        &self.object
    }

    /// The object's reference (bucket, key, etag as resolved when it was opened).
    pub fn object_ref(&self) -> &ObjectRef {
        &self.acker.object
    }

    /// How many times the feed has handed out the notification (1 the first time).
    pub fn receive_count(&self) -> u32 {
        self.acker.shared.receive_count
    }

    /// The object and the acker, to settle later (for example after a batch of objects was
    /// written in one effect).
    pub fn into_parts(self) -> (LakeObject, Acker) {
        (self.object, self.acker)
    }

    /// The object is done: see [`Acker::ack`].
    pub async fn ack(self) -> Result<()> {
        self.acker.ack().await
    }

    /// The object is not done: see [`Acker::nack`].
    pub async fn nack(self, retry_after: Duration) -> Result<()> {
        self.acker.nack(retry_after).await
    }

    /// Keeps the notification invisible for `visibility` from now: see [`Acker::extend`].
    pub async fn extend(&self, visibility: Duration) -> Result<()> {
        self.acker.extend(visibility).await
    }
}

/// Settles one delivered object exactly once (`ack` and `nack` take it by value).
///
/// A notification may announce several objects; it is acknowledged at the feed when the last
/// of its objects is acknowledged, and put back (the longest `retry_after` asked) when any was
/// nacked. Dropping an acker unsettled does nothing; see [`Delivery`].
#[derive(Debug)]
pub struct Acker {
    shared: Arc<Shared>,
    object: ObjectRef,
}

impl Acker {
    /// The object is done: it is recorded in the checkpoint store (later notifications of the
    /// same bucket + key + etag are skipped), and the notification is acknowledged at the feed
    /// once all its objects are.
    pub async fn ack(self) -> Result<()> {
        if let Err(e) = self.shared.engine.checkpoint.record(&self.object).await {
            inc(&self.shared.engine.stats.unacknowledged);
            return Err(e);
        }
        inc(&self.shared.engine.stats.objects_processed);
        self.shared.finish(Part::Ack).await
    }

    /// Done without being processed (dead-lettered): acknowledged, not recorded.
    pub(crate) async fn ack_unrecorded(self) -> Result<()> {
        self.shared.finish(Part::Ack).await
    }

    /// The object is not done: the notification is handed out again after `retry_after`
    /// (once its other objects are settled).
    pub async fn nack(self, retry_after: Duration) -> Result<()> {
        self.shared.finish(Part::Retry(Some(retry_after))).await
    }

    /// Keeps the notification invisible for `visibility` from now, for work that outlasts the
    /// visibility timeout. The subscriber's heartbeat does this on its own unless turned off
    /// ([`SubscriberBuilder::visibility_heartbeat`](crate::SubscriberBuilder::visibility_heartbeat)).
    pub async fn extend(&self, visibility: Duration) -> Result<()> {
        self.shared
            .feed
            .settle(&self.shared.receipt, Settle::Extend { visibility })
            .await
    }
}

#[derive(Debug, Clone, Copy)]
enum Part {
    Ack,
    /// Not done; `None`: let the visibility timeout lapse.
    Retry(Option<Duration>),
}

#[derive(Debug)]
struct Parts {
    open: usize,
    /// Whether any part was not done, and the longest delay asked.
    retry: Option<Option<Duration>>,
    settled: bool,
}

/// One received notice, shared by the ackers of its objects.
#[derive(Debug)]
struct Shared {
    engine: Arc<Engine>,
    feed: Arc<dyn Feed>,
    receipt: Receipt,
    receive_count: u32,
    parts: Mutex<Parts>,
}

impl Shared {
    fn new(engine: Arc<Engine>, feed: Arc<dyn Feed>, notice: &Notice, open: usize) -> Self {
        Self {
            engine,
            feed,
            receipt: notice.receipt.clone(),
            receive_count: notice.receive_count,
            parts: Mutex::new(Parts {
                open,
                retry: None,
                settled: false,
            }),
        }
    }

    /// Records one part's outcome; settles the notice at the feed after the last one.
    async fn finish(&self, part: Part) -> Result<()> {
        let settle = {
            let mut parts = self
                .parts
                .lock()
                .map_err(|_| Error::new(ErrorKind::Io, "delivery lock poisoned"))?;
            parts.open = parts.open.saturating_sub(1);
            if let Part::Retry(delay) = part {
                parts.retry = Some(match (parts.retry.flatten(), delay) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                });
            }
            if parts.open > 0 {
                return Ok(());
            }
            parts.settled = true;
            match parts.retry {
                None => Some(Settle::Ack),
                Some(Some(retry_after)) => Some(Settle::Nack { retry_after }),
                Some(None) => None,
            }
        };
        match settle {
            Some(s) => {
                self.feed.settle(&self.receipt, s).await?;
                if s == Settle::Ack {
                    inc(&self.engine.stats.acknowledged);
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn settled(&self) -> bool {
        self.parts.lock().map(|p| p.settled).unwrap_or(true)
    }
}

/// Extends the notice's visibility every half of it while any of its ackers is alive and it
/// is unsettled. Holds the notice weakly: once every acker is gone (settled or dropped), it
/// stops, and an unsettled notice becomes visible again when its timeout lapses.
fn spawn_heartbeat(shared: &Arc<Shared>) {
    let weak: Weak<Shared> = Arc::downgrade(shared);
    let visibility = shared.feed.visibility_timeout();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(visibility / 2).await;
            let Some(shared) = weak.upgrade() else { return };
            if shared.settled() {
                return;
            }
            let (feed, receipt) = (shared.feed.clone(), shared.receipt.clone());
            // Do not keep the notice alive across the request.
            drop(shared);
            if let Err(e) = feed.settle(&receipt, Settle::Extend { visibility }).await {
                tracing::warn!(error = %e, "visibility extension failed");
            }
        }
    });
}

/// The state of a deliveries stream.
pub(crate) struct Pump {
    pub engine: Arc<Engine>,
    pub feed: Arc<dyn Feed>,
    pub batch: usize,
    pub heartbeat: bool,
    pub shutdown: watch::Receiver<bool>,
    ready: VecDeque<Delivery>,
    /// Whether received notices count as `notifications` (not for the HTTPS spool, whose
    /// endpoint counted each request it spooled).
    count_notices: bool,
}

impl Pump {
    pub fn new(
        engine: Arc<Engine>,
        feed: Arc<dyn Feed>,
        batch: usize,
        heartbeat: bool,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            engine,
            feed,
            batch: batch.max(1),
            heartbeat,
            shutdown,
            ready: VecDeque::new(),
            count_notices: true,
        }
    }

    /// Does not count received notices as `notifications` (the feed counted them).
    #[cfg_attr(not(feature = "https"), allow(dead_code))]
    pub fn counted_by_feed(mut self) -> Self {
        self.count_notices = false;
        self
    }

    /// The deliveries, until shutdown (those received and not yet handed out are then put
    /// back). A failed receive is yielded as an error and the stream
    /// goes on.
    pub fn into_stream(self) -> impl Stream<Item = Result<Delivery>> + Send + 'static {
        futures::stream::unfold(self, |mut pump| async move {
            loop {
                if *pump.shutdown.borrow() {
                    pump.release().await;
                    return None;
                }
                if let Some(d) = pump.ready.pop_front() {
                    return Some((Ok(d), pump));
                }
                let received = {
                    let mut shutdown = pump.shutdown.clone();
                    tokio::select! {
                        r = pump.feed.receive(pump.batch) => r,
                        _ = shutdown.wait_for(|s| *s) => return None,
                    }
                };
                match received {
                    Ok(notices) if notices.is_empty() => {
                        let mut shutdown = pump.shutdown.clone();
                        tokio::select! {
                            _ = tokio::time::sleep(IDLE_PAUSE) => {}
                            _ = shutdown.wait_for(|s| *s) => return None,
                        }
                    }
                    Ok(notices) => pump.accept(notices).await,
                    Err(e) => return Some((Err(e), pump)),
                }
            }
        })
    }

    /// At shutdown: the deliveries received but not handed out are put back at once (nack
    /// with no delay) instead of waiting out their visibility timeout.
    async fn release(&mut self) {
        for d in self.ready.drain(..) {
            if let Err(e) = d.nack(Duration::ZERO).await {
                tracing::warn!(error = %e, "releasing a delivery at shutdown failed");
            }
        }
    }

    /// One receive, as deliveries (for `run_once`).
    pub async fn once(mut self) -> Result<Vec<Delivery>> {
        let notices = self.feed.receive(self.batch).await?;
        self.accept(notices).await;
        Ok(self.ready.into_iter().collect())
    }

    /// Turns received notices into deliveries: poison and malformed notices are
    /// dead-lettered, objects filtered and deduplicated, readers opened (concurrently).
    async fn accept(&mut self, notices: Vec<Notice>) {
        for notice in notices {
            if self.count_notices {
                inc(&self.engine.stats.notifications);
            }
            let objects = match self.objects(&notice).await {
                Ok(objects) => objects,
                Err(outcome) => {
                    self.settle_alone(&notice, outcome).await;
                    continue;
                }
            };
            if objects.is_empty() {
                self.settle_alone(&notice, Outcome::Ack).await;
                continue;
            }
            let shared = Arc::new(Shared::new(
                self.engine.clone(),
                self.feed.clone(),
                &notice,
                objects.len(),
            ));
            let engine = self.engine.clone();
            let prepared: Vec<Prepared> = futures::stream::iter(objects)
                .map(|o| {
                    let engine = engine.clone();
                    async move { engine.prepare(o).await }
                })
                .buffered(self.batch)
                .collect()
                .await;
            let mut delivered = false;
            for p in prepared {
                match p {
                    Prepared::Deliver(object, resolved) => {
                        delivered = true;
                        self.ready.push_back(Delivery {
                            object: *object,
                            acker: Acker {
                                shared: shared.clone(),
                                object: resolved,
                            },
                        });
                    }
                    Prepared::Done(outcome) => {
                        let part = match outcome {
                            Outcome::Ack => Part::Ack,
                            Outcome::Keep => Part::Retry(None),
                        };
                        if let Err(e) = shared.finish(part).await {
                            tracing::warn!(error = %e, "settling a notification failed");
                        }
                    }
                }
            }
            if delivered && self.heartbeat {
                spawn_heartbeat(&shared);
            }
        }
    }

    /// The objects of a notice, or how to settle it when it has none to deliver.
    async fn objects(&self, notice: &Notice) -> std::result::Result<Vec<ObjectRef>, Outcome> {
        if let Some(max) = self.feed.max_receive_count()
            && notice.receive_count > max
        {
            let mut letter = DeadLetter::new(
                "poison",
                format!("received {} times (more than {max})", notice.receive_count),
                notice.receive_count,
            );
            match &notice.content {
                NoticeContent::Body(body) => letter = letter.with_body(body),
                NoticeContent::Objects(objects) => {
                    if let Some(o) = objects.first() {
                        letter = letter.with_object(o.clone());
                    }
                }
            }
            return Err(self.engine.send_dead_letter(&letter).await);
        }
        match &notice.content {
            NoticeContent::Objects(objects) => Ok(objects.clone()),
            NoticeContent::Body(body) => match parse_notification(body) {
                Ok(Notification::TestEvent) => {
                    inc(&self.engine.stats.test_events);
                    Err(Outcome::Ack)
                }
                Ok(Notification::Objects(objects)) => Ok(objects),
                Err(e) => {
                    inc(&self.engine.stats.malformed);
                    let letter =
                        DeadLetter::new(e.kind().as_str(), e.to_string(), 1).with_body(body);
                    Err(self.engine.send_dead_letter(&letter).await)
                }
            },
        }
    }

    /// Settles a notice that produced no delivery.
    async fn settle_alone(&self, notice: &Notice, outcome: Outcome) {
        if outcome == Outcome::Ack {
            match self.feed.settle(&notice.receipt, Settle::Ack).await {
                Ok(()) => inc(&self.engine.stats.acknowledged),
                Err(e) => tracing::warn!(error = %e, "acknowledging a notification failed"),
            }
        }
    }
}

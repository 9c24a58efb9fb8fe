//! Where notifications come from: the [`Feed`] trait, what it hands out ([`Notice`]) and how a
//! notice is settled ([`Settle`]), and [`MemoryFeed`], a feed in memory.
//!
//! The crate implements [`Feed`] for [`SqsSource`](crate::SqsSource) (an SQS queue),
//! [`Spool`](crate::https::Spool) (the durable spool an [`HttpsSource`](crate::HttpsSource)
//! writes into), [`LocalSource`](crate::LocalSource) (a lake directory) and [`MemoryFeed`].
//! Implement it for any other transport (Kinesis, EventBridge Pipes, a test feed) and pass it to
//! [`SubscriberBuilder::feed`](crate::SubscriberBuilder::feed).
//!
//! A feed has visibility semantics like SQS: a received notice is invisible to other receives
//! until it is settled ([`Settle::Ack`] removes it), put back ([`Settle::Nack`]), or its
//! visibility timeout lapses, after which it is received again.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Result};
use crate::notification::ObjectRef;

/// A feed's handle on one received notice, used to settle it (an SQS receipt handle, a spool
/// path, an object key). Opaque to the subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Receipt(String);

impl Receipt {
    /// A receipt from the feed's own handle.
    pub fn new(handle: impl Into<String>) -> Self {
        Self(handle.into())
    }

    /// The feed's handle.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a notice carries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoticeContent {
    /// A notification body (S3 event notification or EventBridge event JSON), parsed by the
    /// subscriber; a malformed body is dead-lettered.
    Body(Vec<u8>),
    /// Objects the feed already knows (a directory listing, an in-memory feed).
    Objects(Vec<ObjectRef>),
}

/// One notification received from a [`Feed`], not yet settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The handle to settle it with.
    pub receipt: Receipt,
    /// The notification.
    pub content: NoticeContent,
    /// How many times the feed has handed it out, this time included (1 on the first
    /// receive); feeds that do not count say 1.
    pub receive_count: u32,
}

impl Notice {
    /// A notice received for the first time.
    pub fn new(receipt: Receipt, content: NoticeContent) -> Self {
        Self {
            receipt,
            content,
            receive_count: 1,
        }
    }

    /// Sets how many times the feed has handed it out.
    pub fn with_receive_count(mut self, count: u32) -> Self {
        self.receive_count = count.max(1);
        self
    }
}

/// How a notice is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Settle {
    /// Done: remove it from the feed.
    Ack,
    /// Not done: receive it again after `retry_after`.
    Nack {
        /// How long it stays invisible.
        retry_after: Duration,
    },
    /// Still being worked on: keep it invisible for `visibility` from now.
    Extend {
        /// The new visibility timeout, from now.
        visibility: Duration,
    },
}

/// Where notifications come from.
///
/// `receive` hands out notices that stay invisible until settled or until their visibility
/// timeout lapses; `settle` acknowledges, puts back or extends one. A notice that is never
/// settled is received again after its visibility timeout: that is how a crashed or dropped
/// consumer's work is redelivered.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt").block_on(async {
/// use std::time::Duration;
/// use securitylake_subscriber::ObjectRef;
/// use securitylake_subscriber::feed::{Feed, MemoryFeed, Settle};
///
/// let feed = MemoryFeed::new(Duration::from_secs(30));
/// feed.push(vec![ObjectRef::new("lake", "ext/app/a.parquet")]);
/// let notices = feed.receive(10).await?;
/// assert_eq!(notices.len(), 1);
/// // Invisible while received.
/// assert!(feed.receive(10).await?.is_empty());
/// feed.settle(&notices[0].receipt, Settle::Ack).await?;
/// assert!(feed.is_empty());
/// # Ok::<(), securitylake_subscriber::Error>(()) }).expect("example");
/// ```
#[async_trait::async_trait]
pub trait Feed: Send + Sync + std::fmt::Debug + 'static {
    /// Receives up to `max` notices; may wait for some (a long poll), and may return none.
    async fn receive(&self, max: usize) -> Result<Vec<Notice>>;

    /// Settles one received notice.
    async fn settle(&self, receipt: &Receipt, settle: Settle) -> Result<()>;

    /// How long a received notice stays invisible; a subscriber extends it every half of this
    /// while the notice's objects are worked on (its visibility heartbeat).
    fn visibility_timeout(&self) -> Duration;

    /// Notices handed out more often than this are poison: dead-lettered and acknowledged
    /// (default: never).
    fn max_receive_count(&self) -> Option<u32> {
        None
    }
}

#[derive(Debug)]
struct Entry {
    id: u64,
    objects: Vec<ObjectRef>,
    visible_at: Instant,
    receives: u32,
}

#[derive(Debug, Default)]
struct Queue {
    next_id: u64,
    entries: VecDeque<Entry>,
}

/// A feed in memory, with SQS's visibility semantics: for tests, and for applications that
/// learn of objects themselves (push them with [`MemoryFeed::push`]).
#[derive(Debug)]
pub struct MemoryFeed {
    queue: Mutex<Queue>,
    visibility: Duration,
}

impl MemoryFeed {
    /// An empty feed whose received notices stay invisible for `visibility`.
    pub fn new(visibility: Duration) -> Self {
        Self {
            queue: Mutex::new(Queue::default()),
            visibility,
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Queue>> {
        self.queue
            .lock()
            .map_err(|_| Error::new(ErrorKind::Io, "memory feed lock poisoned"))
    }

    /// Adds one notice announcing `objects`.
    pub fn push(&self, objects: Vec<ObjectRef>) {
        if let Ok(mut q) = self.lock() {
            q.next_id += 1;
            let id = q.next_id;
            q.entries.push_back(Entry {
                id,
                objects,
                visible_at: Instant::now(),
                receives: 0,
            });
        }
    }

    /// Notices not yet acknowledged (visible or not).
    pub fn len(&self) -> usize {
        self.lock().map(|q| q.entries.len()).unwrap_or(0)
    }

    /// Whether every notice was acknowledged.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait::async_trait]
impl Feed for MemoryFeed {
    async fn receive(&self, max: usize) -> Result<Vec<Notice>> {
        let now = Instant::now();
        let mut q = self.lock()?;
        let mut out = Vec::new();
        for e in q.entries.iter_mut() {
            if out.len() >= max {
                break;
            }
            if e.visible_at <= now {
                e.visible_at = now + self.visibility;
                e.receives += 1;
                out.push(
                    Notice::new(
                        Receipt::new(e.id.to_string()),
                        NoticeContent::Objects(e.objects.clone()),
                    )
                    .with_receive_count(e.receives),
                );
            }
        }
        Ok(out)
    }

    async fn settle(&self, receipt: &Receipt, settle: Settle) -> Result<()> {
        let mut q = self.lock()?;
        let Some(pos) = q
            .entries
            .iter()
            .position(|e| e.id.to_string() == receipt.as_str())
        else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "memory feed: no notice {} (already acknowledged)",
                    receipt.as_str()
                ),
            ));
        };
        match settle {
            Settle::Ack => {
                q.entries.remove(pos);
            }
            Settle::Nack { retry_after } => {
                q.entries[pos].visible_at = Instant::now() + retry_after
            }
            Settle::Extend { visibility } => {
                q.entries[pos].visible_at = Instant::now() + visibility
            }
        }
        Ok(())
    }

    fn visibility_timeout(&self) -> Duration {
        self.visibility
    }
}

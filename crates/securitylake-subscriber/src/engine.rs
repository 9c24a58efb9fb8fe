//! The processing core shared by every source: filters, deduplication,
//! reading, the handler with retries, and dead letters.

#[cfg(feature = "s3")]
use std::collections::HashMap;
use std::sync::Arc;
#[cfg(feature = "s3")]
use std::sync::Mutex;

use futures::FutureExt;
#[cfg(feature = "s3")]
use securitylake_core::aws::AwsConfig;
use securitylake_core::layout::ParsedKey;
use securitylake_core::object_store::ObjectStore;
use securitylake_core::retry::RetryPolicy;
#[cfg(feature = "s3")]
use securitylake_core::store::S3StoreBuilder;
use tracing::Instrument;

use crate::checkpoint::CheckpointStore;
use crate::deadletter::{DeadLetter, DeadLetterSink};
use crate::error::{Error, Result};
use crate::handler::{Handler, HandlerError, LakeObject};
use crate::notification::ObjectRef;
use crate::reader::ObjectReader;
use crate::stats::{StatsCell, inc};

/// Which objects are handed to the handler; the others are acknowledged
/// without being read (class filters need the footer, and at most one row).
///
/// ```
/// use securitylake_subscriber::Filters;
///
/// let filters = Filters::new().source_name("VPC_FLOW").key_glob("aws/*/2.0/**");
/// assert!(filters.matches_key("aws/VPC_FLOW/2.0/region=us-east-1/accountId=123456789012/eventDay=20240101/a.gz.parquet"));
/// assert!(!filters.matches_key("aws/ROUTE53/2.0/region=us-east-1/accountId=123456789012/eventDay=20240101/a.gz.parquet"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Filters {
    source_names: Vec<String>,
    class_uids: Vec<i32>,
    key_globs: Vec<String>,
}

impl Filters {
    /// No filter: every object.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts objects of this source name (any of the names given).
    pub fn source_name(mut self, name: impl Into<String>) -> Self {
        self.source_names.push(name.into());
        self
    }

    /// Accepts objects of this `class_uid` (any of the classes given).
    pub fn class_uid(mut self, uid: i32) -> Self {
        self.class_uids.push(uid);
        self
    }

    /// Accepts keys matching this glob (any of the globs given): `*` matches
    /// within a segment, `**` across segments, `?` one character.
    pub fn key_glob(mut self, glob: impl Into<String>) -> Self {
        self.key_globs.push(glob.into());
        self
    }

    /// Whether a key passes the source and key filters.
    pub fn matches_key(&self, key: &str) -> bool {
        if !self.key_globs.is_empty()
            && !self
                .key_globs
                .iter()
                .any(|g| glob_match(g.as_bytes(), key.as_bytes()))
        {
            return false;
        }
        if !self.source_names.is_empty() {
            let Ok(parsed) = ParsedKey::parse(key) else {
                return false;
            };
            if !self
                .source_names
                .iter()
                .any(|s| s == parsed.source().name())
            {
                return false;
            }
        }
        true
    }

    /// Whether a detected class passes the class filter (an undetected one
    /// passes only when there is no class filter).
    pub fn matches_class(&self, class_uid: Option<i32>) -> bool {
        self.class_uids.is_empty() || class_uid.is_some_and(|u| self.class_uids.contains(&u))
    }
}

/// Glob matching on bytes: `**` any sequence, `*` any sequence without `/`,
/// `?` one byte other than `/`.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => {
            let (cross, rest) = match rest.split_first() {
                Some((b'*', r)) => (true, r),
                _ => (false, rest),
            };
            for i in 0..=text.len() {
                if glob_match(rest, &text[i..]) {
                    return true;
                }
                if i < text.len() && !cross && text[i] == b'/' {
                    return false;
                }
            }
            false
        }
        Some((b'?', rest)) => {
            matches!(text.split_first(), Some((c, t)) if *c != b'/' && glob_match(rest, t))
        }
        Some((p, rest)) => {
            matches!(text.split_first(), Some((c, t)) if c == p && glob_match(rest, t))
        }
    }
}

/// The default retry policy of a handler's retryable failures: 4 attempts,
/// backoff ceilings from 200 ms to 10 s (full jitter).
pub const DEFAULT_HANDLER_RETRY: RetryPolicy = RetryPolicy::new().with_max_attempts(4);

/// Where objects are read from: one store for every bucket, or S3 stores
/// built per bucket from an AWS configuration.
#[derive(Debug)]
pub(crate) enum Stores {
    Single(Arc<dyn ObjectStore>),
    #[cfg(feature = "s3")]
    S3 {
        config: Box<AwsConfig>,
        cache: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
    },
}

impl Stores {
    #[cfg_attr(not(feature = "s3"), allow(unused_variables))]
    fn for_bucket(&self, bucket: &str) -> Result<Arc<dyn ObjectStore>> {
        match self {
            Self::Single(store) => Ok(store.clone()),
            #[cfg(feature = "s3")]
            Self::S3 { config, cache } => {
                let mut cache = cache.lock().map_err(|_| {
                    Error::new(crate::error::ErrorKind::Io, "store cache lock poisoned")
                })?;
                if let Some(store) = cache.get(bucket) {
                    return Ok(store.clone());
                }
                let store: Arc<dyn ObjectStore> =
                    Arc::new(S3StoreBuilder::new(config).bucket(bucket).build()?);
                cache.insert(bucket.to_owned(), store.clone());
                Ok(store)
            }
        }
    }
}

/// What became of a notification or object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Done (handled, skipped or dead-lettered): acknowledge.
    Ack,
    /// Not done: leave unacknowledged for redelivery.
    Keep,
}

#[derive(Debug)]
struct Failure {
    retryable: bool,
    kind: String,
    reason: String,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self {
            retryable: e.is_retryable(),
            kind: e.kind().as_str().to_owned(),
            reason: e.to_string(),
        }
    }
}

impl Failure {
    fn from_panic(panic: &(dyn std::any::Any + Send)) -> Self {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Self {
            retryable: false,
            kind: "panic".to_owned(),
            reason: format!("reading or handling the object panicked: {message}"),
        }
    }
}

impl From<HandlerError> for Failure {
    fn from(e: HandlerError) -> Self {
        Self {
            retryable: e.is_retryable(),
            kind: "handler".to_owned(),
            reason: e.to_string(),
        }
    }
}

pub(crate) struct Engine {
    pub stores: Stores,
    pub checkpoint: Arc<dyn CheckpointStore>,
    pub dead_letter: Arc<dyn DeadLetterSink>,
    pub handler: Option<Arc<dyn Handler>>,
    pub filters: Filters,
    pub retry: RetryPolicy,
    pub stats: Arc<StatsCell>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("stores", &self.stores)
            .field("filters", &self.filters)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub async fn send_dead_letter(&self, letter: &DeadLetter) -> Outcome {
        match self.dead_letter.send(letter).await {
            Ok(()) => {
                inc(&self.stats.dead_lettered);
                Outcome::Ack
            }
            Err(e) => {
                tracing::error!(error = %e, "dead-letter sink failed; leaving unacknowledged");
                Outcome::Keep
            }
        }
    }
}

/// What [`Engine::prepare`] made of one announced object.
pub(crate) enum Prepared {
    /// Opened and new: hand it out; the reference is the resolved one (etag from `HEAD`).
    Deliver(Box<LakeObject>, ObjectRef),
    /// Nothing to hand out (filtered, duplicate, dead-lettered): this outcome settles it.
    Done(Outcome),
}

impl Engine {
    /// The first half of [`Self::process_object`] for deliveries: filters, deduplication and
    /// opening the reader, without the handler. A permanent failure to open is dead-lettered;
    /// a retryable one leaves the object for redelivery.
    pub(crate) async fn prepare(&self, object: ObjectRef) -> Prepared {
        let span = tracing::info_span!("object", bucket = %object.bucket, key = %object.key, etag = ?object.etag);
        self.prepare_inner(object).instrument(span).await
    }

    async fn prepare_inner(&self, object: ObjectRef) -> Prepared {
        if !self.filters.matches_key(&object.key) {
            inc(&self.stats.filtered);
            return Prepared::Done(Outcome::Ack);
        }
        if object.etag.is_some() {
            match self.checkpoint.contains(&object).await {
                Ok(true) => {
                    inc(&self.stats.duplicates);
                    return Prepared::Done(Outcome::Ack);
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(error = %e, "checkpoint lookup failed");
                    return Prepared::Done(Outcome::Keep);
                }
            }
        }
        let opened = std::panic::AssertUnwindSafe(self.open(&object))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| Err(Failure::from_panic(panic.as_ref())));
        match opened {
            Ok(Some((reader, resolved))) => {
                Prepared::Deliver(Box::new(LakeObject::new(reader)), resolved)
            }
            Ok(None) => Prepared::Done(Outcome::Ack),
            Err(f) if f.retryable => {
                tracing::warn!(reason = %f.reason, "not opened; leaving unacknowledged for redelivery");
                inc(&self.stats.unacknowledged);
                Prepared::Done(Outcome::Keep)
            }
            Err(f) => {
                let letter = DeadLetter::new(f.kind, f.reason, 1).with_object(object);
                Prepared::Done(self.send_dead_letter(&letter).await)
            }
        }
    }

    /// Opens the reader; `None` when the object is a duplicate or filtered by class.
    async fn open(
        &self,
        object: &ObjectRef,
    ) -> std::result::Result<Option<(ObjectReader, ObjectRef)>, Failure> {
        let store = self.stores.for_bucket(&object.bucket)?;
        let reader = ObjectReader::open(store, object).await?;
        let resolved = reader.info().object.clone();
        if object.etag.is_none() && self.checkpoint.contains(&resolved).await? {
            inc(&self.stats.duplicates);
            return Ok(None);
        }
        if !self.filters.matches_class(reader.info().class_uid) {
            inc(&self.stats.filtered);
            return Ok(None);
        }
        Ok(Some((reader, resolved)))
    }

    /// The second half for [`Subscriber::run`](crate::Subscriber::run) over deliveries: the
    /// handler with retries; a permanent failure is dead-lettered. Returns whether the
    /// delivery is done (acknowledge it) and whether the handler succeeded (record it as
    /// processed).
    pub(crate) async fn handle(&self, handler: &dyn Handler, object: &LakeObject) -> Handled {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let attempted = std::panic::AssertUnwindSafe(handler.handle(object))
                .catch_unwind()
                .await
                .map_err(|panic| Failure::from_panic(panic.as_ref()))
                .and_then(|r| r.map_err(Failure::from));
            match attempted {
                Ok(()) => return Handled::Ok,
                Err(f) if f.retryable && attempt < self.retry.max_attempts() => {
                    inc(&self.stats.retries);
                    let delay = self.retry.backoff(attempt, fastrand::f64());
                    tracing::warn!(attempt, reason = %f.reason, ?delay, "retrying");
                    tokio::time::sleep(delay).await;
                }
                Err(f) if f.retryable => {
                    tracing::warn!(attempt, reason = %f.reason, "not done; leaving unacknowledged for redelivery");
                    inc(&self.stats.unacknowledged);
                    return Handled::Keep;
                }
                Err(f) => {
                    let letter = DeadLetter::new(f.kind, f.reason, attempt)
                        .with_object(object.info().object.clone());
                    return match self.send_dead_letter(&letter).await {
                        Outcome::Ack => Handled::DeadLettered,
                        Outcome::Keep => Handled::Keep,
                    };
                }
            }
        }
    }
}

/// What [`Engine::handle`] made of a delivered object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handled {
    /// Handled: acknowledge and record.
    Ok,
    /// Permanently failed and dead-lettered: acknowledge without recording.
    DeadLettered,
    /// Not done: leave for redelivery.
    Keep,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(b"ext/*/x", b"ext/app/x"));
        assert!(!glob_match(b"ext/*/x", b"ext/a/b/x"));
        assert!(glob_match(b"ext/**/x", b"ext/a/b/x"));
        assert!(glob_match(b"**.parquet", b"a/b.zstd.parquet"));
        assert!(glob_match(b"a?c", b"abc"));
        assert!(!glob_match(b"a?c", b"a/c"));
        assert!(!glob_match(b"abc", b"abcd"));
    }
}

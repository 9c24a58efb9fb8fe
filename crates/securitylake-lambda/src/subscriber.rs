//! The subscriber function: an SQS event source mapping hands a batch of Security Lake
//! notifications; each message becomes a notice of a one-shot [`Feed`] for a
//! [`Subscriber`], which runs your [`Handler`] per object with its dedupe, retries and dead
//! letters. The response ([`SqsBatchResponse`]) names the messages that were not settled as
//! done: only those return to the queue (enable `ReportBatchItemFailures` on the mapping).
//!
//! What counts as done is what the subscriber acknowledges: handled, filtered, a duplicate
//! (bucket + key + etag seen before by the [`CheckpointStore`]), or a permanent failure sent
//! to the [`DeadLetterSink`]. A retryable failure that outlasts the handler's retries, or a
//! dead-letter sink that fails, leaves the message in `batchItemFailures`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;
use securitylake_core::aws::{AssumeRoleProvider, AwsConfig};
use securitylake_core::object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use securitylake_core::retry::RetryPolicy;
use securitylake_core::store::{S3StoreBuilder, object_path};
use securitylake_subscriber::checkpoint::{CheckpointStore, MemoryCheckpoint};
use securitylake_subscriber::feed::{Feed, Notice, NoticeContent, Receipt, Settle};
use securitylake_subscriber::{DeadLetter, DeadLetterSink, Handler, Subscriber, async_trait};

use crate::error::{Error, ErrorKind, Result};

/// One invocation's messages as a [`Feed`]: handed out once, settlements recorded.
#[derive(Debug)]
struct BatchFeed {
    notices: Mutex<Option<Vec<Notice>>>,
    settled: Mutex<HashMap<String, bool>>,
}

impl BatchFeed {
    fn new(event: SqsEvent) -> (Self, Vec<String>) {
        let mut ids = Vec::new();
        let mut notices = Vec::new();
        for (i, message) in event.records.into_iter().enumerate() {
            // A message without an id cannot be reported; it gets a placeholder that is
            // never acknowledged to Lambda differently from the rest of the batch.
            let id = message.message_id.unwrap_or_else(|| format!("message-{i}"));
            let count = message
                .attributes
                .get("ApproximateReceiveCount")
                .and_then(|c| c.parse().ok())
                .unwrap_or(1);
            let body = message.body.unwrap_or_default().into_bytes();
            notices.push(
                Notice::new(Receipt::new(id.clone()), NoticeContent::Body(body))
                    .with_receive_count(count),
            );
            ids.push(id);
        }
        let feed = Self {
            notices: Mutex::new(Some(notices)),
            settled: Mutex::new(HashMap::new()),
        };
        (feed, ids)
    }

    /// Whether message `id` was acknowledged.
    fn acked(&self, id: &str) -> bool {
        self.settled
            .lock()
            .map(|s| s.get(id).copied().unwrap_or(false))
            .unwrap_or(false)
    }
}

#[async_trait]
impl Feed for BatchFeed {
    async fn receive(&self, _max: usize) -> securitylake_subscriber::Result<Vec<Notice>> {
        Ok(self
            .notices
            .lock()
            .map(|mut n| n.take().unwrap_or_default())
            .unwrap_or_default())
    }

    async fn settle(
        &self,
        receipt: &Receipt,
        settle: Settle,
    ) -> securitylake_subscriber::Result<()> {
        let done = match settle {
            Settle::Ack => true,
            Settle::Nack { .. } => false,
            // Lambda owns the visibility of the messages it handed over.
            _ => return Ok(()),
        };
        if let Ok(mut settled) = self.settled.lock() {
            settled.insert(receipt.as_str().to_owned(), done);
        }
        Ok(())
    }

    fn visibility_timeout(&self) -> Duration {
        // Lambda extends nothing: the mapping's queue visibility covers the invocation.
        Duration::from_secs(15 * 60)
    }
}

/// Where objects are read from.
#[derive(Debug, Clone)]
enum Reads {
    Aws(Box<AwsConfig>),
    Store(Arc<dyn ObjectStore>),
}

/// The subscriber function (see the [module documentation](self)).
#[derive(Clone)]
pub struct SubscriberFunction {
    handler: Arc<dyn Handler>,
    reads: Option<Reads>,
    checkpoint: Arc<dyn CheckpointStore>,
    dead_letter: Option<Arc<dyn DeadLetterSink>>,
    retry: Option<RetryPolicy>,
    concurrency: usize,
}

impl std::fmt::Debug for SubscriberFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriberFunction")
            .field("reads", &self.reads)
            .field("checkpoint", &self.checkpoint)
            .field("dead_letter", &self.dead_letter)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl SubscriberFunction {
    /// A function running `handler` per object. Set where objects are read from with
    /// [`aws_config`](Self::aws_config) or [`store`](Self::store) (or use
    /// [`from_env`](Self::from_env)). The default checkpoint is in memory: it drops
    /// duplicates within one execution environment; give a shared [`CheckpointStore`] to
    /// drop them across concurrent ones.
    pub fn new(handler: impl Handler) -> Self {
        Self {
            handler: Arc::new(handler),
            reads: None,
            checkpoint: Arc::new(MemoryCheckpoint::new()),
            dead_letter: None,
            retry: None,
            concurrency: 10,
        }
    }

    /// Reads objects from S3 with this configuration (the subscriber role's credentials).
    pub fn aws_config(mut self, aws: AwsConfig) -> Self {
        self.reads = Some(Reads::Aws(Box::new(aws)));
        self
    }

    /// Reads every object from this store.
    pub fn store(mut self, store: Arc<dyn ObjectStore>) -> Self {
        self.reads = Some(Reads::Store(store));
        self
    }

    /// The dedupe checkpoint (default: in memory).
    pub fn checkpoint(mut self, checkpoint: Arc<dyn CheckpointStore>) -> Self {
        self.checkpoint = checkpoint;
        self
    }

    /// Where permanent failures go (default: the subscriber's, a file in the temp dir).
    pub fn dead_letter(mut self, sink: Arc<dyn DeadLetterSink>) -> Self {
        self.dead_letter = Some(sink);
        self
    }

    /// The retry policy of the handler's retryable failures.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// How many objects are handled at once (default 10, a standard queue's batch).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// `handler` with the AWS configuration of the environment; with
    /// `SECLAKE_SUBSCRIBER_ROLE_ARN` (and `SECLAKE_EXTERNAL_ID`) that role is assumed once, at
    /// the cold start; with `SECLAKE_DEAD_LETTER_BUCKET` (and `SECLAKE_DEAD_LETTER_PREFIX`,
    /// default `seclake-dead-letters/`) dead letters are objects there
    /// ([`StoreDeadLetters`]). With `AWS_ENDPOINT_URL` set (a local emulator), S3 is addressed
    /// by path.
    pub async fn from_env(handler: impl Handler) -> Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let local = var("AWS_ENDPOINT_URL").is_some() || var("AWS_ENDPOINT_URL_S3").is_some();
        let base = AwsConfig::builder().force_path_style(local).load().await?;
        let aws = match var("SECLAKE_SUBSCRIBER_ROLE_ARN") {
            Some(arn) => {
                let mut provider =
                    AssumeRoleProvider::builder(arn).session_name("seclake-lambda-subscriber");
                if let Some(id) = var("SECLAKE_EXTERNAL_ID") {
                    provider = provider.external_id(id);
                }
                base.assume_role(provider).await?
            }
            None => base.clone(),
        };
        let mut function = Self::new(handler).aws_config(aws);
        if let Some(bucket) = var("SECLAKE_DEAD_LETTER_BUCKET") {
            let store: Arc<dyn ObjectStore> =
                Arc::new(S3StoreBuilder::new(&base).bucket(bucket).build()?);
            let prefix = var("SECLAKE_DEAD_LETTER_PREFIX")
                .unwrap_or_else(|| crate::config::DEFAULT_DEAD_LETTER_PREFIX.to_owned());
            function = function.dead_letter(Arc::new(StoreDeadLetters::new(store, prefix)));
        }
        Ok(function)
    }

    /// Handles one batch: the response names the messages not done.
    pub async fn handle(&self, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse> {
        let (feed, ids) = BatchFeed::new(event.payload);
        let feed = Arc::new(feed);
        let mut builder = Subscriber::builder()
            .feed(feed.clone())
            .shared_handler(self.handler.clone())
            .checkpoint(self.checkpoint.clone())
            .visibility_heartbeat(false)
            .concurrency(self.concurrency);
        builder = match &self.reads {
            Some(Reads::Aws(aws)) => builder.aws_config((**aws).clone()),
            Some(Reads::Store(store)) => builder.store(store.clone()),
            None => {
                return Err(Error::new(
                    ErrorKind::Config,
                    "the subscriber function needs an AWS configuration or a store",
                ));
            }
        };
        if let Some(sink) = &self.dead_letter {
            builder = builder.dead_letter(sink.clone());
        }
        if let Some(retry) = self.retry {
            builder = builder.retry(retry);
        }
        let subscriber = builder.build().await?;
        let stats = subscriber.run_once().await?;
        tracing::info!(?stats, "subscriber batch");
        let mut response = SqsBatchResponse::default();
        for id in ids {
            if !feed.acked(&id) {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
        }
        Ok(response)
    }
}

/// Runs `function` under the Lambda runtime.
pub async fn run(function: SubscriberFunction) -> std::result::Result<(), lambda_runtime::Error> {
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        let function = function.clone();
        async move { function.handle(event).await }
    }))
    .await
}

/// Dead letters as JSON objects in a store (a bucket of your own): one object per letter,
/// `<prefix><hash>-<file name>.json`, the hash (16 hex digits) of the object's bucket, key and
/// etag (a second letter for the same object version replaces the first), or of the letter for
/// an unreadable notification body (`<prefix><hash>-body.json`). The letter holds the full
/// bucket and key.
#[derive(Debug)]
pub struct StoreDeadLetters {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

impl StoreDeadLetters {
    /// Letters under `prefix` of `store`.
    pub fn new(store: Arc<dyn ObjectStore>, prefix: impl Into<String>) -> Self {
        Self {
            store,
            prefix: prefix.into(),
        }
    }
}

#[async_trait]
impl DeadLetterSink for StoreDeadLetters {
    async fn send(&self, letter: &DeadLetter) -> securitylake_subscriber::Result<()> {
        let json = serde_json::to_vec(letter).map_err(|e| {
            securitylake_subscriber::Error::new(
                securitylake_subscriber::ErrorKind::Io,
                format!("encoding a dead letter: {e}"),
            )
        })?;
        let (identity, name) = match &letter.object {
            Some(object) => (
                object.identity(),
                object.key.rsplit('/').next().unwrap_or("object").to_owned(),
            ),
            None => (
                String::from_utf8_lossy(&json).into_owned(),
                "body".to_owned(),
            ),
        };
        let key = format!("{}{:016x}-{name}.json", self.prefix, stable_hash(&identity));
        let path = object_path(&key)?;
        self.store
            .put(&path, PutPayload::from(json))
            .await
            .map_err(securitylake_core::Error::from)?;
        Ok(())
    }
}

/// FNV-1a, 64 bits: a name that stays the same across builds and platforms.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

//! The SQS notification source: long polling, batches of up to 10, bounded
//! parallelism, visibility-timeout extension while processing, batch
//! deletes after the handler finished, poison handling by
//! `ApproximateReceiveCount`, and graceful shutdown.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use futures::StreamExt;
use securitylake_core::aws::AwsConfig;
use securitylake_core::retry::RetryPolicy;

/// Consecutive failed polls before the receive loop gives up, and the
/// backoff between them.
const RECEIVE_RETRY: RetryPolicy = RetryPolicy::new()
    .with_max_attempts(11)
    .with_max_backoff(Duration::from_secs(13));
use tokio::sync::watch;

use crate::deadletter::DeadLetter;
use crate::engine::{Engine, Outcome};
use crate::error::{Error, ErrorKind, Result};
use crate::stats::inc;

/// An SQS queue of Security Lake notifications (the subscriber's
/// `AmazonSecurityLake-<id>-Main-Queue`), by URL or ARN.
///
/// ```
/// use std::time::Duration;
/// use securitylake_subscriber::SqsSource;
///
/// let source = SqsSource::new("arn:aws:sqs:us-east-1:123456789012:AmazonSecurityLake-abc-Main-Queue")
///     .visibility_timeout(Duration::from_secs(120))
///     .max_receive_count(5);
/// assert_eq!(source.queue(), "arn:aws:sqs:us-east-1:123456789012:AmazonSecurityLake-abc-Main-Queue");
/// ```
#[derive(Debug, Clone)]
pub struct SqsSource {
    queue: String,
    queue_url: Option<String>,
    client: Option<aws_sdk_sqs::Client>,
    pub(crate) wait_time: Duration,
    pub(crate) visibility_timeout: Duration,
    pub(crate) max_receive_count: u32,
    max_messages: i32,
}

impl SqsSource {
    /// A queue by URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`)
    /// or ARN (`arn:aws:sqs:<region>:<account>:<name>`).
    pub fn new(queue: impl Into<String>) -> Self {
        Self {
            queue: queue.into(),
            queue_url: None,
            client: None,
            wait_time: Duration::from_secs(20),
            visibility_timeout: Duration::from_secs(60),
            max_receive_count: 5,
            max_messages: 10,
        }
    }

    /// The queue as given.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// The queue URL, once resolved by the builder.
    pub fn queue_url(&self) -> Option<&str> {
        self.queue_url.as_deref()
    }

    /// Uses this SQS client instead of one built from the AWS configuration.
    pub fn client(mut self, client: aws_sdk_sqs::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The long-polling wait (default and maximum 20 s).
    pub fn wait_time(mut self, wait: Duration) -> Self {
        self.wait_time = wait.min(Duration::from_secs(20));
        self
    }

    /// The visibility timeout requested on receive and renewed every half of
    /// it while a message is processed (default 60 s).
    pub fn visibility_timeout(mut self, timeout: Duration) -> Self {
        self.visibility_timeout = timeout.max(Duration::from_secs(2));
        self
    }

    /// Messages received more often than this go to the dead-letter sink
    /// and are deleted (default 5).
    pub fn max_receive_count(mut self, count: u32) -> Self {
        self.max_receive_count = count.max(1);
        self
    }

    /// Messages per receive, 1 to 10 (default 10).
    pub fn max_messages(mut self, n: i32) -> Self {
        self.max_messages = n.clamp(1, 10);
        self
    }

    pub(crate) async fn resolve(mut self, aws: Option<&AwsConfig>) -> Result<Self> {
        let client = match (self.client.take(), aws) {
            (Some(c), _) => c,
            (None, Some(aws)) => aws_sdk_sqs::Client::new(aws.sdk_config()),
            (None, None) => {
                return Err(Error::config(
                    "an SQS source needs an SQS client or an AWS configuration",
                ));
            }
        };
        let url = if let Some(rest) = self.queue.strip_prefix("arn:") {
            let parts: Vec<&str> = rest.split(':').collect();
            let [_, "sqs", _region, account, name] = parts.as_slice() else {
                return Err(Error::config(format!(
                    "{:?} is not an SQS queue ARN",
                    self.queue
                )));
            };
            let out = client
                .get_queue_url()
                .queue_name(*name)
                .queue_owner_aws_account_id(*account)
                .send()
                .await
                .map_err(|e| sdk_error("GetQueueUrl", e))?;
            out.queue_url()
                .map(str::to_owned)
                .ok_or_else(|| Error::new(ErrorKind::Service, "GetQueueUrl returned no URL"))?
        } else {
            self.queue.clone()
        };
        self.queue_url = Some(url);
        self.client = Some(client);
        Ok(self)
    }

    pub(crate) fn parts(&self) -> Result<(&aws_sdk_sqs::Client, &str)> {
        match (&self.client, &self.queue_url) {
            (Some(c), Some(u)) => Ok((c, u)),
            _ => Err(Error::config("SQS source not resolved")),
        }
    }
}

pub(crate) fn sdk_error<E: std::error::Error + Send + Sync + 'static>(
    op: &str,
    err: aws_sdk_sqs::error::SdkError<E>,
) -> Error {
    use aws_sdk_sqs::error::SdkError;
    let (kind, retryable) = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            (ErrorKind::Transient, true)
        }
        SdkError::ServiceError(s) if s.raw().status().as_u16() >= 500 => {
            (ErrorKind::Transient, true)
        }
        SdkError::ServiceError(s) if s.raw().status().as_u16() == 403 => {
            (ErrorKind::AccessDenied, false)
        }
        _ => (ErrorKind::Service, false),
    };
    let detail = aws_sdk_sqs::error::DisplayErrorContext(&err).to_string();
    Error::new(kind, format!("{op}: {detail}"))
        .with_retryable(retryable)
        .with_source(err)
}

pub(crate) fn receive_count(msg: &Message) -> u32 {
    msg.attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// Renews the visibility of the unfinished messages until dropped.
fn spawn_extender(
    client: aws_sdk_sqs::Client,
    url: String,
    open: Arc<Mutex<HashSet<String>>>,
    visibility: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let seconds = i32::try_from(visibility.as_secs()).unwrap_or(i32::MAX);
        loop {
            tokio::time::sleep(visibility / 2).await;
            let handles: Vec<String> = open
                .lock()
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            for handle in handles {
                let result = client
                    .change_message_visibility()
                    .queue_url(&url)
                    .receipt_handle(&handle)
                    .visibility_timeout(seconds)
                    .send()
                    .await;
                if let Err(e) = result {
                    tracing::warn!(error = %sdk_error("ChangeMessageVisibility", e), "visibility extension failed");
                }
            }
        }
    })
}

async fn release(client: &aws_sdk_sqs::Client, url: &str, handle: &str) {
    let result = client
        .change_message_visibility()
        .queue_url(url)
        .receipt_handle(handle)
        .visibility_timeout(0)
        .send()
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %sdk_error("ChangeMessageVisibility", e), "release failed");
    }
}

async fn delete_batch(
    engine: &Engine,
    client: &aws_sdk_sqs::Client,
    url: &str,
    handles: Vec<String>,
) -> Result<()> {
    for chunk in handles.chunks(10) {
        let mut entries = Vec::with_capacity(chunk.len());
        for (i, handle) in chunk.iter().enumerate() {
            entries.push(
                DeleteMessageBatchRequestEntry::builder()
                    .id(format!("m{i}"))
                    .receipt_handle(handle)
                    .build()
                    .map_err(|e| {
                        Error::new(ErrorKind::Service, format!("DeleteMessageBatch entry: {e}"))
                    })?,
            );
        }
        let out = client
            .delete_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| sdk_error("DeleteMessageBatch", e))?;
        for _ in out.successful() {
            inc(&engine.stats.acknowledged);
        }
        for failed in out.failed() {
            tracing::warn!(
                id = failed.id(),
                code = failed.code(),
                "delete failed; the message will be redelivered"
            );
        }
    }
    Ok(())
}

/// Receives one batch, processes it and deletes what was handled. Returns
/// whether shutdown interrupted the batch.
async fn process_batch(
    engine: &Arc<Engine>,
    source: &SqsSource,
    concurrency: usize,
    messages: Vec<Message>,
    shutdown: &watch::Receiver<bool>,
) -> Result<()> {
    let (client, url) = source.parts()?;
    let open: Arc<Mutex<HashSet<String>>> = Arc::new(Mutex::new(
        messages
            .iter()
            .filter_map(|m| m.receipt_handle().map(str::to_owned))
            .collect(),
    ));
    let extender = spawn_extender(
        client.clone(),
        url.to_owned(),
        open.clone(),
        source.visibility_timeout,
    );
    let acked: Vec<Option<String>> = futures::stream::iter(messages)
        .map(|msg| {
            let open = open.clone();
            async move {
                let handle = msg.receipt_handle()?.to_owned();
                inc(&engine.stats.notifications);
                let outcome = if *shutdown.borrow() {
                    release(client, url, &handle).await;
                    Outcome::Keep
                } else {
                    let body = msg.body().unwrap_or("");
                    let count = receive_count(&msg);
                    if count > source.max_receive_count {
                        let letter = DeadLetter::new(
                            "poison",
                            format!(
                                "received {count} times (more than {})",
                                source.max_receive_count
                            ),
                            count,
                        )
                        .with_body(body.as_bytes());
                        engine.send_dead_letter(&letter).await
                    } else {
                        let span = tracing::info_span!(
                            "sqs_message",
                            id = msg.message_id().unwrap_or(""),
                            receive_count = count
                        );
                        tracing::Instrument::instrument(engine.process_body(body.as_bytes()), span)
                            .await
                    }
                };
                if let Ok(mut set) = open.lock() {
                    set.remove(&handle);
                }
                (outcome == Outcome::Ack).then_some(handle)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    extender.abort();
    let handles: Vec<String> = acked.into_iter().flatten().collect();
    if !handles.is_empty() {
        delete_batch(engine, client, url, handles).await?;
    }
    Ok(())
}

pub(crate) async fn receive(source: &SqsSource, wait: Duration) -> Result<Vec<Message>> {
    let (client, url) = source.parts()?;
    let out = client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(source.max_messages)
        .wait_time_seconds(i32::try_from(wait.as_secs()).unwrap_or(20))
        .visibility_timeout(i32::try_from(source.visibility_timeout.as_secs()).unwrap_or(i32::MAX))
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await
        .map_err(|e| sdk_error("ReceiveMessage", e))?;
    Ok(out.messages.unwrap_or_default())
}

pub(crate) async fn receive_once(
    engine: &Arc<Engine>,
    source: &SqsSource,
    concurrency: usize,
) -> Result<()> {
    let messages = receive(source, Duration::from_secs(1)).await?;
    let (_tx, rx) = watch::channel(false);
    process_batch(engine, source, concurrency, messages, &rx).await
}

pub(crate) async fn run(
    engine: Arc<Engine>,
    source: SqsSource,
    concurrency: usize,
    mut shutdown: watch::Receiver<bool>,
) -> Result<()> {
    let mut failures = 0u32;
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        let received = tokio::select! {
            r = receive(&source, source.wait_time) => r,
            _ = shutdown.wait_for(|s| *s) => return Ok(()),
        };
        match received {
            Ok(messages) => {
                failures = 0;
                process_batch(&engine, &source, concurrency, messages, &shutdown).await?;
            }
            Err(e) if e.is_retryable() && failures + 1 < RECEIVE_RETRY.max_attempts() => {
                // The SDK retried the request by its own policy; this backs
                // off between polls of the loop.
                failures += 1;
                tracing::warn!(error = %e, failures, "receive failed; backing off");
                let delay = RECEIVE_RETRY.backoff(failures, fastrand::f64());
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.wait_for(|s| *s) => return Ok(()),
                }
            }
            Err(e) => return Err(e),
        }
    }
}

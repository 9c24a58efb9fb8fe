//! The SQS notification source: long polling, batches of up to 10, poison
//! handling by `ApproximateReceiveCount`. It is a [`Feed`](crate::Feed) (in
//! `feeds.rs`): the subscriber's deliveries extend the visibility while an
//! object is worked on, delete after it is acknowledged, and release what
//! was received but not started at shutdown.

use std::time::Duration;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use securitylake_core::aws::AwsConfig;

use crate::error::{Error, ErrorKind, Result};

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

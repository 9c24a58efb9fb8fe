//! The transform function: raw log objects in a staging bucket, announced by S3 (directly or
//! through SQS), into Security Lake Parquet in one custom source per OCSF class.
//!
//! # How an object is read
//! The object is streamed (no copy on local disk): gzip is detected by its magic bytes and
//! decoded on the fly. With [`TransformConfig::verify_gzip`] (the default) a gzip object is
//! read through once first, so a corrupt object is reported before anything of it is written.
//!
//! # Batches, retries and the deadline
//! The decompressed content is cut into batches at the first line end at or past each multiple
//! of [`TransformConfig::batch_bytes`]: the boundaries depend on the content only. Each batch
//! has a fresh mapper (with the object's reference time) and its own sink, flushed at the end
//! of the batch; the writers name objects by their content and put them only when absent. So
//! a retried invocation (Lambda's own retry, an SQS redelivery) makes the same objects, and
//! their puts are no-ops: nothing is written twice.
//!
//! Before each line the function looks at the clock (every 1024 lines): once the invocation's
//! deadline is nearer than [`TransformConfig::deadline_margin`], it stops, abandons the batch
//! in progress (flushing it would cut the content at a boundary a retry would not reproduce)
//! and reports the object as `remaining` with the batch's start offset. Give
//! `{"resume": [...]}` (the report's `remaining`) as the next payload to go on from there, or
//! let the event be retried: the batches already written are no-ops then.

mod batch;
mod lake;
mod object;
pub mod report;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse};
use lambda_runtime::LambdaEvent;
use securitylake_core::aws::{AssumeRoleProvider, AwsConfig};
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::S3StoreBuilder;
use serde_json::Value;
use tokio::time::Instant;

use self::lake::LakeStores;
pub use self::lake::SOURCE_PLACEHOLDER;
pub use self::report::{ObjectReport, ObjectStatus, Remaining, TransformReport};
use crate::config::TransformConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::event::{ObjectTask, tasks};

/// Gives the store of a staging bucket.
pub type StagingStores = Arc<dyn Fn(&str) -> Result<Arc<dyn ObjectStore>> + Send + Sync>;

/// The transform function (see the [module documentation](self)).
#[derive(Clone)]
pub struct Transform {
    config: TransformConfig,
    lake: Arc<LakeStores>,
    staging: StagingStores,
}

impl std::fmt::Debug for Transform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transform")
            .field("config", &self.config)
            .field("lake", &self.lake)
            .finish_non_exhaustive()
    }
}

impl Transform {
    /// A transform writing into `lake` (the Security Lake bucket's store, with the provider
    /// role's credentials) and reading staging objects from the stores `staging` gives.
    pub fn new(
        config: TransformConfig,
        lake: Arc<dyn ObjectStore>,
        staging: StagingStores,
    ) -> Self {
        Self {
            config,
            lake: Arc::new(LakeStores::One(lake)),
            staging,
        }
    }

    /// The transform of [`TransformConfig::from_env`], with S3 stores from the AWS
    /// configuration of the environment (the function's role); the lake's store assumes the
    /// provider role when one is configured, and with [`SOURCE_PLACEHOLDER`] in its ARN
    /// (`arn:aws:iam::<account>:role/AmazonSecurityLake-Provider-{source}-<region>`) each
    /// custom source is written with its own provider role, assumed on its first event. With `AWS_ENDPOINT_URL` set (a local emulator),
    /// S3 is addressed by path.
    pub async fn from_env() -> Result<Self> {
        let config = TransformConfig::from_env()?;
        let local = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()));
        let aws = AwsConfig::builder().force_path_style(local).load().await?;
        let lake = match &config.provider_role {
            Some((template, external_id)) if template.contains(SOURCE_PLACEHOLDER) => {
                LakeStores::PerSource {
                    aws: Box::new(aws.clone()),
                    bucket: config.lake_bucket.clone(),
                    role_template: template.clone(),
                    external_id: external_id.clone(),
                    cache: tokio::sync::Mutex::new(HashMap::new()),
                }
            }
            Some((arn, external_id)) => {
                let mut provider =
                    AssumeRoleProvider::builder(arn.clone()).session_name("seclake-lambda");
                if let Some(id) = external_id {
                    provider = provider.external_id(id.clone());
                }
                let role = aws.assume_role(provider).await?;
                LakeStores::One(Arc::new(
                    S3StoreBuilder::new(&role)
                        .bucket(config.lake_bucket.clone())
                        .build()?,
                ))
            }
            None => LakeStores::One(Arc::new(
                S3StoreBuilder::new(&aws)
                    .bucket(config.lake_bucket.clone())
                    .build()?,
            )),
        };
        let cache: Mutex<HashMap<String, Arc<dyn ObjectStore>>> = Mutex::new(HashMap::new());
        let staging: StagingStores = Arc::new(move |bucket: &str| {
            let mut cache = cache
                .lock()
                .map_err(|_| Error::new(ErrorKind::Io, "staging store cache poisoned"))?;
            if let Some(store) = cache.get(bucket) {
                return Ok(store.clone());
            }
            let store: Arc<dyn ObjectStore> =
                Arc::new(S3StoreBuilder::new(&aws).bucket(bucket).build()?);
            cache.insert(bucket.to_owned(), store.clone());
            Ok(store)
        });
        Ok(Self {
            config,
            lake: Arc::new(lake),
            staging,
        })
    }

    /// The same stores with another configuration.
    pub fn with_config(mut self, config: TransformConfig) -> Self {
        self.config = config;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &TransformConfig {
        &self.config
    }

    /// Handles one invocation: an S3 event, an SQS event of S3 notifications, an EventBridge
    /// `Object Created` event or a resume request.
    ///
    /// From SQS the response is an `SqsBatchResponse` naming the messages whose objects are
    /// not done (enable `ReportBatchItemFailures`); otherwise the [`TransformReport`] when
    /// every object is done, else an [`ErrorKind::Incomplete`] error whose message is the
    /// report as JSON (so Lambda retries the event and its failure destination gets the report).
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value> {
        let (tasks, from_sqs) = tasks(event.payload)?;
        let stop_at = stop_instant(event.context.deadline, self.config.deadline_margin);
        let report = self.run(&tasks, &event.context.request_id, stop_at).await?;
        let json = serde_json::to_value(&report)
            .map_err(|e| Error::new(ErrorKind::Io, format!("report: {e}")).with_source(e))?;
        tracing::info!(report = %json, "transform");
        if from_sqs {
            let mut response = SqsBatchResponse::default();
            let mut failed: Vec<&str> = report
                .objects
                .iter()
                .filter(|o| o.status != ObjectStatus::Done)
                .filter_map(|o| o.message_id.as_deref())
                .collect();
            failed.dedup();
            for id in failed {
                if response
                    .batch_item_failures
                    .iter()
                    .all(|f| f.item_identifier != id)
                {
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = id.to_owned();
                    response.batch_item_failures.push(failure);
                }
            }
            return serde_json::to_value(response)
                .map_err(|e| Error::new(ErrorKind::Io, format!("response: {e}")).with_source(e));
        }
        if report.is_complete() {
            Ok(json)
        } else {
            let retryable = report.objects.iter().any(|o| o.retryable);
            Err(Error::new(ErrorKind::Incomplete, json.to_string()).with_retryable(retryable))
        }
    }

    /// Transforms `tasks` in order, stopping at `stop_at`; what the deadline leaves is
    /// reported as `remaining`.
    pub async fn run(
        &self,
        tasks: &[ObjectTask],
        request_id: &str,
        stop_at: Instant,
    ) -> Result<TransformReport> {
        // One invocation at a time per execution environment: what an earlier one left
        // (killed at its timeout) is removed.
        self.clean_spool().await?;
        let root = self
            .config
            .spool_dir
            .join(format!("seclake-lambda-{}", sanitize(request_id)));
        let mut report = TransformReport::default();
        for (i, task) in tasks.iter().enumerate() {
            let object = self
                .transform_object(task, stop_at, &root.join(i.to_string()))
                .await;
            report.push(object);
        }
        batch::remove_dir(&root).await;
        Ok(report)
    }

    async fn clean_spool(&self) -> Result<()> {
        let mut dir = match tokio::fs::read_dir(&self.config.spool_dir).await {
            Ok(dir) => dir,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return tokio::fs::create_dir_all(&self.config.spool_dir)
                    .await
                    .map_err(|e| batch::io_error("creating the spool directory", e));
            }
            Err(e) => return Err(batch::io_error("reading the spool directory", e)),
        };
        while let Some(entry) = dir
            .next_entry()
            .await
            .map_err(|e| batch::io_error("reading the spool directory", e))?
        {
            if entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with("seclake-lambda-"))
            {
                batch::remove_dir(&entry.path()).await;
            }
        }
        Ok(())
    }
}

/// The instant `margin` before the deadline (epoch milliseconds).
fn stop_instant(deadline_ms: u64, margin: Duration) -> Instant {
    let deadline = SystemTime::UNIX_EPOCH + Duration::from_millis(deadline_ms);
    let left = deadline
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    let now = Instant::now();
    now + left.saturating_sub(margin)
}

/// A request id as a file name.
fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Runs the transform of [`Transform::from_env`] under the Lambda runtime: the `main` of the
/// `seclake-lambda-transform` bootstrap.
pub async fn run_from_env() -> std::result::Result<(), lambda_runtime::Error> {
    crate::init_logging();
    let transform = Transform::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        let transform = transform.clone();
        async move { transform.handle(event).await }
    }))
    .await
}

//! Making new partitions queryable through the AWS Glue Data Catalog.
//!
//! Security Lake creates a Glue table per custom source, partitioned by
//! `region`, `accountid` and `eventday`, and a crawler that discovers new
//! partitions. After writing objects, a writer makes their partitions
//! visible to Athena in one of two ways ([`PartitionMode`]):
//!
//! * [`PartitionMode::BatchCreatePartition`] (the default) adds exactly the
//!   partitions written: one `GetTable` (for the table's storage descriptor
//!   and partition-key order), then `BatchCreatePartition` in chunks of
//!   [`MAX_PARTITIONS_PER_REQUEST`]. Each partition gets the table's storage
//!   descriptor (SerDe, formats, columns) with its own location
//!   `s3://<bucket>/<prefix>region=<r>/accountId=<a>/eventDay=<d>/`.
//!   Partitions that already exist (`AlreadyExistsException` entries) count
//!   as success; entries that failed with a retryable code are retried.
//!   The table must exist, which it does once the source's crawler has run
//!   at least once; otherwise the call fails with
//!   [`ErrorKind::NotFound`].
//! * [`PartitionMode::StartCrawler`] starts the source's crawler. If it is
//!   already running (`CrawlerRunningException`), the start is retried under
//!   the retry policy, because a crawl that began before the objects were
//!   written may miss them; when it is still running after the last
//!   attempt, [`CrawlerRun::AlreadyRunning`] is reported.
//!
//! Database, table and crawler names are read from the registration
//! response's ARNs ([`RegisteredSource`]), never derived.
//!
//! Retries follow the partitioner's one `RetryPolicy` (the SDK client does
//! not retry on its own): throttling, conflicts and transient failures of
//! `GetTable`, `BatchCreatePartition` and `StartCrawler`, and per entry the
//! partitions that failed with a retryable code.

use std::collections::BTreeSet;

use aws_sdk_glue::types::{PartitionInput, StorageDescriptor};
use securitylake_core::layout::PartitionKey;
use securitylake_core::store::RetryPolicy;

use securitylake_core::aws::AwsConfig;

use crate::error::{Error, ErrorKind, Result, classify};
use crate::registration::RegisteredSource;
use crate::retry;

#[cfg(test)]
mod tests;

/// The most partitions one `BatchCreatePartition` request may carry.
pub const MAX_PARTITIONS_PER_REQUEST: usize = 100;
/// The default retry policy of a [`GluePartitioner`]: 5 attempts, backoff
/// ceilings from 200 ms up to 10 s.
pub const DEFAULT_RETRY_POLICY: RetryPolicy = RetryPolicy::new().with_max_attempts(5);
/// The partition keys of Security Lake's tables, lowercased as Glue stores them.
const PARTITION_KEYS: [&str; 3] = ["region", "accountid", "eventday"];

/// How new partitions are made queryable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PartitionMode {
    /// Add the exact partitions with `BatchCreatePartition`.
    #[default]
    BatchCreatePartition,
    /// Start the source's Glue crawler.
    StartCrawler,
}

/// What happened to the crawler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrawlerRun {
    /// A new crawl was started.
    Started,
    /// A crawl was still running after the last attempt; it may or may not
    /// pick up the new partitions.
    AlreadyRunning,
}

/// The result of [`GluePartitioner::make_queryable`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PartitionReport {
    /// Partitions added by this call, sorted.
    pub created: Vec<PartitionKey>,
    /// Partitions that already existed, sorted.
    pub already_existed: Vec<PartitionKey>,
    /// The crawler outcome, in [`PartitionMode::StartCrawler`].
    pub crawler: Option<CrawlerRun>,
}

/// Adds partitions to a custom source's Glue table, or starts its crawler.
///
/// ```no_run
/// use securitylake_control::glue::{GluePartitioner, PartitionMode};
/// use securitylake_core::aws::AwsConfig;
/// # async fn run(
/// #     source: securitylake_control::RegisteredSource,
/// #     written: Vec<securitylake_core::layout::PartitionKey>,
/// # ) -> Result<(), Box<dyn std::error::Error>> {
/// let config = AwsConfig::load_defaults().await?;
/// let glue = GluePartitioner::new(&config).with_mode(PartitionMode::BatchCreatePartition);
/// let report = glue.make_queryable(&source, &written).await?;
/// println!("{} new partitions", report.created.len());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct GluePartitioner {
    client: aws_sdk_glue::Client,
    mode: PartitionMode,
    catalog_id: Option<String>,
    retry: RetryPolicy,
}

impl GluePartitioner {
    /// A partitioner of the Glue catalog that `config` points at (its region,
    /// endpoint and credentials) in [`PartitionMode::BatchCreatePartition`]
    /// with [`DEFAULT_RETRY_POLICY`].
    pub fn new(config: &AwsConfig) -> Self {
        Self::from_client(crate::clients::glue(config))
    }

    /// A partitioner over a Glue client (the unit tests' mocked clients).
    pub(crate) fn from_client(client: aws_sdk_glue::Client) -> Self {
        Self {
            client,
            mode: PartitionMode::default(),
            catalog_id: None,
            retry: DEFAULT_RETRY_POLICY,
        }
    }

    /// Selects how partitions are made queryable.
    pub fn with_mode(mut self, mode: PartitionMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the Glue catalog id (default: the caller's account).
    pub fn with_catalog_id(mut self, catalog_id: impl Into<String>) -> Self {
        self.catalog_id = Some(catalog_id.into());
        self
    }

    /// Replaces the retry policy for throttling, conflicts and transient
    /// failures.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The selected mode.
    pub fn mode(&self) -> PartitionMode {
        self.mode
    }

    /// Makes `partitions` of `source` queryable according to the mode.
    /// Duplicates are ignored; an empty set makes no call.
    pub async fn make_queryable<'a>(
        &self,
        source: &RegisteredSource,
        partitions: impl IntoIterator<Item = &'a PartitionKey>,
    ) -> Result<PartitionReport> {
        let partitions: BTreeSet<PartitionKey> = partitions.into_iter().cloned().collect();
        if partitions.is_empty() {
            return Ok(PartitionReport::default());
        }
        match self.mode {
            PartitionMode::BatchCreatePartition => self.add_partitions(source, partitions).await,
            PartitionMode::StartCrawler => Ok(PartitionReport {
                crawler: Some(self.start_crawler(source).await?),
                ..PartitionReport::default()
            }),
        }
    }

    async fn sleep_before_retry(&self, attempt: u32, err: &Error) {
        retry::pause(&self.retry, "Glue", attempt, err).await;
    }

    /// Starts the source's crawler (see [`PartitionMode::StartCrawler`]).
    pub async fn start_crawler(&self, source: &RegisteredSource) -> Result<CrawlerRun> {
        let name = source.crawler_name().ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                format!(
                    "the registration of {} has no crawlerArn to start",
                    source.source_name
                ),
            )
        })?;
        let mut attempt = 1;
        loop {
            let result = self.client.start_crawler().name(name).send().await;
            let err = match result {
                Ok(_) => {
                    tracing::info!(crawler = name, "crawler started");
                    return Ok(CrawlerRun::Started);
                }
                Err(e) => Error::from_sdk("StartCrawler", e),
            };
            let running = err.code() == Some("CrawlerRunningException");
            if err.is_retryable() && attempt < self.retry.max_attempts() {
                self.sleep_before_retry(attempt, &err).await;
                attempt += 1;
            } else if running {
                tracing::warn!(crawler = name, "crawler still running; not restarted");
                return Ok(CrawlerRun::AlreadyRunning);
            } else {
                return Err(err);
            }
        }
    }

    /// Adds the partitions with `BatchCreatePartition` (see
    /// [`PartitionMode::BatchCreatePartition`]), whatever the mode.
    pub async fn add_partitions(
        &self,
        source: &RegisteredSource,
        partitions: BTreeSet<PartitionKey>,
    ) -> Result<PartitionReport> {
        let missing = |what: &str| {
            Error::new(
                ErrorKind::Config,
                format!("the registration of {} has no {what}", source.source_name),
            )
        };
        let database = source
            .glue_database()
            .ok_or_else(|| missing("databaseArn"))?;
        let table = source.glue_table().ok_or_else(|| missing("tableArn"))?;
        let (order, template) = self.table_layout(database, table).await?;

        let mut report = PartitionReport::default();
        let all: Vec<PartitionKey> = partitions.into_iter().collect();
        for chunk in all.chunks(MAX_PARTITIONS_PER_REQUEST) {
            let inputs: Vec<(PartitionKey, Vec<String>, PartitionInput)> = chunk
                .iter()
                .map(|key| {
                    let values = partition_values(key, &order);
                    let mut descriptor = template.clone();
                    descriptor.location = Some(format!(
                        "s3://{}/{}",
                        source.location.bucket(),
                        source.location.partition_prefix(key)
                    ));
                    let input = PartitionInput::builder()
                        .set_values(Some(values.clone()))
                        .storage_descriptor(descriptor)
                        .build();
                    (key.clone(), values, input)
                })
                .collect();
            self.create_chunk(database, table, inputs, &mut report)
                .await?;
        }
        report.created.sort();
        report.already_existed.sort();
        Ok(report)
    }

    /// Reads the table's partition-key order and storage descriptor.
    async fn table_layout(
        &self,
        database: &str,
        table: &str,
    ) -> Result<([usize; 3], StorageDescriptor)> {
        let mut attempt = 1;
        let output = loop {
            let result = self
                .client
                .get_table()
                .set_catalog_id(self.catalog_id.clone())
                .database_name(database)
                .name(table)
                .send()
                .await;
            match result {
                Ok(output) => break output,
                Err(e) => {
                    let err = Error::from_sdk("GetTable", e);
                    if err.kind() == ErrorKind::NotFound {
                        return Err(Error::new(
                            ErrorKind::NotFound,
                            format!(
                                "Glue table {database}.{table} does not exist yet; run the \
                                 source's crawler once (PartitionMode::StartCrawler)"
                            ),
                        )
                        .with_source(err));
                    }
                    if err.is_retryable() && attempt < self.retry.max_attempts() {
                        self.sleep_before_retry(attempt, &err).await;
                        attempt += 1;
                    } else {
                        return Err(err);
                    }
                }
            }
        };
        let table_def = output.table().ok_or_else(|| {
            Error::new(
                ErrorKind::Service,
                format!("GetTable returned no table for {table}"),
            )
        })?;
        let keys: Vec<String> = table_def
            .partition_keys()
            .iter()
            .map(|c| c.name().to_ascii_lowercase())
            .collect();
        // order[i] = which of (region, accountId, eventDay) goes at position i.
        let mut order = [0usize; 3];
        let positions: Option<Vec<usize>> = keys
            .iter()
            .map(|k| PARTITION_KEYS.iter().position(|p| p == k))
            .collect();
        match positions {
            Some(positions)
                if positions.len() == 3 && {
                    let mut sorted = positions.clone();
                    sorted.sort_unstable();
                    sorted == [0, 1, 2]
                } =>
            {
                for (slot, position) in order.iter_mut().zip(positions) {
                    *slot = position;
                }
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::Service,
                    format!(
                        "Glue table {database}.{table} is partitioned by {keys:?}, not by \
                         region, accountId and eventDay"
                    ),
                ));
            }
        }
        let template = table_def
            .storage_descriptor()
            .cloned()
            .unwrap_or_else(|| StorageDescriptor::builder().build());
        Ok((order, template))
    }

    async fn create_chunk(
        &self,
        database: &str,
        table: &str,
        mut pending: Vec<(PartitionKey, Vec<String>, PartitionInput)>,
        report: &mut PartitionReport,
    ) -> Result<()> {
        let mut attempt = 1;
        loop {
            let result = self
                .client
                .batch_create_partition()
                .set_catalog_id(self.catalog_id.clone())
                .database_name(database)
                .table_name(table)
                .set_partition_input_list(Some(
                    pending.iter().map(|(_, _, input)| input.clone()).collect(),
                ))
                .send()
                .await;
            let output = match result {
                Ok(output) => output,
                Err(e) => {
                    let err = Error::from_sdk("BatchCreatePartition", e);
                    if err.is_retryable() && attempt < self.retry.max_attempts() {
                        self.sleep_before_retry(attempt, &err).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(err);
                }
            };
            let mut retry = Vec::new();
            let mut fatal: Option<Error> = None;
            let mut last_retryable: Option<Error> = None;
            for (key, values, input) in pending {
                let failure = output
                    .errors()
                    .iter()
                    .find(|e| e.partition_values() == values.as_slice());
                let Some(failure) = failure else {
                    report.created.push(key);
                    continue;
                };
                let detail = failure.error_detail();
                let code = detail
                    .and_then(|d| d.error_code())
                    .unwrap_or("UnknownError");
                let message = detail.and_then(|d| d.error_message()).unwrap_or_default();
                if code == "AlreadyExistsException" {
                    report.already_existed.push(key);
                    continue;
                }
                let err = Error::new(
                    classify(Some(code), 400),
                    format!("BatchCreatePartition: partition {key}: {message}"),
                )
                .with_code(code);
                if err.is_retryable() {
                    last_retryable = Some(err);
                    retry.push((key, values, input));
                } else if fatal.is_none() {
                    fatal = Some(err);
                }
            }
            if let Some(err) = fatal {
                return Err(err);
            }
            match last_retryable {
                None => return Ok(()),
                Some(err) if attempt < self.retry.max_attempts() => {
                    self.sleep_before_retry(attempt, &err).await;
                    attempt += 1;
                    pending = retry;
                }
                Some(err) => return Err(err),
            }
        }
    }
}

/// The partition values in the table's key order.
fn partition_values(key: &PartitionKey, order: &[usize; 3]) -> Vec<String> {
    let canonical = [
        key.region().as_str().to_owned(),
        key.account_id().to_string(),
        key.event_day().to_string(),
    ];
    order
        .iter()
        .map(|&i| canonical.get(i).cloned().unwrap_or_default())
        .collect()
}

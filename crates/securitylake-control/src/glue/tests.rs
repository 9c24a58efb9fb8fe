//! Glue partitions with `aws-smithy-mocks`: request shapes, AlreadyExists
//! handling, retries and the crawler mode. (Unit tests: the mocked client is
//! handed in through the crate-private `GluePartitioner::from_client`.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_glue::Client;
use aws_sdk_glue::error::ErrorMetadata;
use aws_sdk_glue::operation::batch_create_partition::{
    BatchCreatePartitionInput, BatchCreatePartitionOutput,
};
use aws_sdk_glue::operation::get_table::{GetTableError, GetTableOutput};
use aws_sdk_glue::operation::start_crawler::{StartCrawlerError, StartCrawlerOutput};
use aws_sdk_glue::types::error::{CrawlerRunningException, EntityNotFoundException};
use aws_sdk_glue::types::{
    Column, ErrorDetail, PartitionError, SerDeInfo, StorageDescriptor, Table,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use securitylake_core::layout::SourceLocation;
use securitylake_core::layout::{AccountId, EventDay, PartitionKey, Region};
use securitylake_core::store::RetryPolicy;

use super::{CrawlerRun, GluePartitioner, PartitionMode};
use crate::{ErrorKind, RegisteredSource};

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

const DATABASE: &str = "amazon_security_lake_glue_db_us_east_1";
const TABLE: &str = "amazon_security_lake_table_us_east_1_ext_my_app";
const BUCKET: &str = "aws-security-data-lake-us-east-1-abcdefghijklmnopqrstuvwxyz1234";
const PARQUET_SERDE: &str = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";

/// A registration as `CreateCustomLogSource` returns it.
fn registered() -> Result<RegisteredSource, securitylake_core::Error> {
    Ok(RegisteredSource::new(
        "my-app",
        "arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-my-app-us-east-1",
        SourceLocation::parse(&format!("s3://{BUCKET}/ext/my-app/1.0/"))?,
    )
    .with_source_version("1.0")
    .with_glue(
        "arn:aws:glue:us-east-1:123456789012:crawler/my-app",
        format!("arn:aws:glue:us-east-1:123456789012:database/{DATABASE}"),
        format!("arn:aws:glue:us-east-1:123456789012:table/{DATABASE}/{TABLE}"),
    ))
}

fn partition(account: &str, day: u8) -> Result<PartitionKey, securitylake_core::Error> {
    Ok(PartitionKey::new(
        Region::new("us-east-1")?,
        AccountId::parse(account)?,
        EventDay::from_ymd(2024, 2, day)?,
    ))
}

fn table(keys: &[&str]) -> Result<Table, aws_sdk_glue::error::BuildError> {
    let mut builder = Table::builder()
        .name(TABLE)
        .database_name(DATABASE)
        .storage_descriptor(
            StorageDescriptor::builder()
                .location(format!("s3://{BUCKET}/ext/my-app/1.0/"))
                .input_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
                .output_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat")
                .serde_info(
                    SerDeInfo::builder()
                        .serialization_library(PARQUET_SERDE)
                        .build(),
                )
                .columns(Column::builder().name("time").r#type("bigint").build()?)
                .build(),
        );
    for key in keys {
        builder = builder.partition_keys(Column::builder().name(*key).r#type("string").build()?);
    }
    builder.build()
}

fn security_lake_table() -> Result<GetTableOutput, aws_sdk_glue::error::BuildError> {
    Ok(GetTableOutput::builder()
        .table(table(&["region", "accountid", "eventday"])?)
        .build())
}

fn fast() -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
}

fn entry_error(values: &[&str], code: &str) -> PartitionError {
    PartitionError::builder()
        .set_partition_values(Some(values.iter().map(|v| (*v).to_owned()).collect()))
        .error_detail(
            ErrorDetail::builder()
                .error_code(code)
                .error_message(format!("{code} for {values:?}"))
                .build(),
        )
        .build()
}

type Seen = Arc<Mutex<Vec<BatchCreatePartitionInput>>>;

fn recorder() -> Seen {
    Arc::default()
}

fn record(seen: &Seen, input: &BatchCreatePartitionInput) -> bool {
    if let Ok(mut seen) = seen.lock() {
        seen.push(input.clone());
    }
    true
}

fn seen(seen: &Seen) -> Vec<BatchCreatePartitionInput> {
    seen.lock().map(|s| s.clone()).unwrap_or_default()
}

#[tokio::test]
async fn batch_create_partition_sends_exact_partitions() -> TestResult {
    let source = registered()?;
    let get_table = mock!(Client::get_table)
        .match_requests(|req| req.database_name() == Some(DATABASE) && req.name() == Some(TABLE))
        .then_output(|| security_lake_table().unwrap_or_else(|e| panic!("{e}")));
    let requests = recorder();
    let log = Arc::clone(&requests);
    let create = mock!(Client::batch_create_partition)
        .match_requests(move |req| record(&log, req))
        .then_output(|| BatchCreatePartitionOutput::builder().build());
    let client = mock_client!(aws_sdk_glue, RuleMode::Sequential, [&get_table, &create]);

    let a = partition("123456789012", 28)?;
    let b = partition("external", 29)?;
    // Duplicates are sent once.
    let report = GluePartitioner::from_client(client)
        .with_retry_policy(fast())
        .make_queryable(&source, [&b, &a, &a])
        .await?;
    assert_eq!(report.created, [a.clone(), b.clone()]);
    assert!(report.already_existed.is_empty());
    assert_eq!(report.crawler, None);
    assert_eq!(get_table.num_calls(), 1);
    assert_eq!(create.num_calls(), 1);

    let sent = seen(&requests);
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.database_name(), Some(DATABASE));
    assert_eq!(request.table_name(), Some(TABLE));
    assert_eq!(request.catalog_id(), None);
    let inputs = request.partition_input_list();
    assert_eq!(inputs.len(), 2);
    assert_eq!(
        inputs[0].values(),
        ["us-east-1", "123456789012", "20240228"]
    );
    assert_eq!(inputs[1].values(), ["us-east-1", "external", "20240229"]);
    let first = inputs[0]
        .storage_descriptor()
        .ok_or("no storage descriptor")?;
    assert_eq!(
        first.location(),
        Some(
            format!("s3://{BUCKET}/ext/my-app/1.0/region=us-east-1/accountId=123456789012/eventDay=20240228/")
                .as_str()
        )
    );
    // The table's SerDe, formats and columns are kept.
    assert_eq!(
        first.serde_info().and_then(|s| s.serialization_library()),
        Some(PARQUET_SERDE)
    );
    assert!(
        first
            .input_format()
            .is_some_and(|f| f.ends_with("MapredParquetInputFormat"))
    );
    assert_eq!(first.columns().len(), 1);
    assert_eq!(
        inputs[1].storage_descriptor().and_then(|d| d.location()),
        Some(
            format!("s3://{BUCKET}/ext/my-app/1.0/region=us-east-1/accountId=external/eventDay=20240229/")
                .as_str()
        )
    );
    Ok(())
}

#[tokio::test]
async fn already_existing_partitions_count_as_success() -> TestResult {
    let source = registered()?;
    let get_table = mock!(Client::get_table)
        .then_output(|| security_lake_table().unwrap_or_else(|e| panic!("{e}")));
    let create = mock!(Client::batch_create_partition).then_output(|| {
        BatchCreatePartitionOutput::builder()
            .errors(entry_error(
                &["us-east-1", "123456789012", "20240228"],
                "AlreadyExistsException",
            ))
            .build()
    });
    let client = mock_client!(aws_sdk_glue, RuleMode::Sequential, [&get_table, &create]);
    let a = partition("123456789012", 28)?;
    let b = partition("123456789012", 29)?;
    let report = GluePartitioner::from_client(client)
        .with_retry_policy(fast())
        .make_queryable(&source, [&a, &b])
        .await?;
    assert_eq!(report.already_existed, [a]);
    assert_eq!(report.created, [b]);
    assert_eq!(create.num_calls(), 1);
    Ok(())
}

#[tokio::test]
async fn throttled_entries_are_retried_alone_and_fatal_entries_fail() -> TestResult {
    let source = registered()?;
    let get_table = mock!(Client::get_table)
        .then_output(|| security_lake_table().unwrap_or_else(|e| panic!("{e}")));
    let requests = recorder();
    let log = Arc::clone(&requests);
    let first = mock!(Client::batch_create_partition)
        .match_requests(move |req| record(&log, req))
        .then_output(|| {
            BatchCreatePartitionOutput::builder()
                .errors(entry_error(
                    &["us-east-1", "123456789012", "20240229"],
                    "ThrottlingException",
                ))
                .build()
        });
    let log = Arc::clone(&requests);
    let second = mock!(Client::batch_create_partition)
        .match_requests(move |req| record(&log, req))
        .then_output(|| BatchCreatePartitionOutput::builder().build());
    let client = mock_client!(
        aws_sdk_glue,
        RuleMode::Sequential,
        [&get_table, &first, &second]
    );
    let a = partition("123456789012", 28)?;
    let b = partition("123456789012", 29)?;
    let report = GluePartitioner::from_client(client)
        .with_retry_policy(fast())
        .make_queryable(&source, [&a, &b])
        .await?;
    assert_eq!(report.created, [a, b]);
    let sent = seen(&requests);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].partition_input_list().len(), 2);
    assert_eq!(
        sent[1].partition_input_list().len(),
        1,
        "only the throttled entry is resent"
    );
    assert_eq!(
        sent[1].partition_input_list()[0].values(),
        ["us-east-1", "123456789012", "20240229"]
    );

    // A non-retryable entry error fails the call with its kind.
    let get_table = mock!(Client::get_table)
        .then_output(|| security_lake_table().unwrap_or_else(|e| panic!("{e}")));
    let invalid = mock!(Client::batch_create_partition).then_output(|| {
        BatchCreatePartitionOutput::builder()
            .errors(entry_error(
                &["us-east-1", "123456789012", "20240228"],
                "InvalidInputException",
            ))
            .build()
    });
    let client = mock_client!(aws_sdk_glue, RuleMode::Sequential, [&get_table, &invalid]);
    let err = GluePartitioner::from_client(client)
        .with_retry_policy(fast())
        .make_queryable(&source, [&partition("123456789012", 28)?])
        .await
        .err()
        .ok_or("an invalid partition must fail")?;
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.code(), Some("InvalidInputException"));
    assert_eq!(invalid.num_calls(), 1);
    Ok(())
}

#[tokio::test]
async fn large_sets_are_sent_in_chunks_of_one_hundred() -> TestResult {
    let source = registered()?;
    let get_table = mock!(Client::get_table)
        .then_output(|| security_lake_table().unwrap_or_else(|e| panic!("{e}")));
    let requests = recorder();
    let log = Arc::clone(&requests);
    let first = mock!(Client::batch_create_partition)
        .match_requests(move |req| record(&log, req))
        .then_output(|| BatchCreatePartitionOutput::builder().build());
    let log = Arc::clone(&requests);
    let second = mock!(Client::batch_create_partition)
        .match_requests(move |req| record(&log, req))
        .then_output(|| BatchCreatePartitionOutput::builder().build());
    let client = mock_client!(
        aws_sdk_glue,
        RuleMode::Sequential,
        [&get_table, &first, &second]
    );
    let mut partitions = Vec::new();
    for account in 0..6u64 {
        for day in 1..=25u8 {
            partitions.push(partition(
                &format!("{:012}", 100_000_000_000 + account),
                day,
            )?);
        }
    }
    let report = GluePartitioner::from_client(client)
        .with_retry_policy(fast())
        .make_queryable(&source, &partitions)
        .await?;
    assert_eq!(report.created.len(), 150);
    let sizes: Vec<usize> = seen(&requests)
        .iter()
        .map(|r| r.partition_input_list().len())
        .collect();
    assert_eq!(sizes, [100, 50]);
    Ok(())
}

#[tokio::test]
async fn missing_tables_and_wrong_layouts_are_reported() -> TestResult {
    let source = registered()?;
    let missing = mock!(Client::get_table).then_error(|| {
        GetTableError::EntityNotFoundException(
            EntityNotFoundException::builder()
                .message("Table not found")
                .meta(
                    ErrorMetadata::builder()
                        .code("EntityNotFoundException")
                        .build(),
                )
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_glue, RuleMode::Sequential, [&missing]);
    let err = GluePartitioner::from_client(client)
        .with_retry_policy(fast())
        .make_queryable(&source, [&partition("123456789012", 28)?])
        .await
        .err()
        .ok_or("a missing table must fail")?;
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("crawler"), "{err}");
    assert!(std::error::Error::source(&err).is_some());

    let odd = mock!(Client::get_table).then_output(|| {
        GetTableOutput::builder()
            .table(table(&["dt"]).unwrap_or_else(|e| panic!("{e}")))
            .build()
    });
    let client = mock_client!(aws_sdk_glue, RuleMode::Sequential, [&odd]);
    let err = GluePartitioner::from_client(client)
        .make_queryable(&source, [&partition("123456789012", 28)?])
        .await
        .err()
        .ok_or("a table with other partition keys must fail")?;
    assert_eq!(err.kind(), ErrorKind::Service);

    // Keys in another order are followed.
    let reordered = mock!(Client::get_table).then_output(|| {
        GetTableOutput::builder()
            .table(table(&["eventDay", "region", "accountId"]).unwrap_or_else(|e| panic!("{e}")))
            .build()
    });
    let requests = recorder();
    let log = Arc::clone(&requests);
    let create = mock!(Client::batch_create_partition)
        .match_requests(move |req| record(&log, req))
        .then_output(|| BatchCreatePartitionOutput::builder().build());
    let client = mock_client!(aws_sdk_glue, RuleMode::Sequential, [&reordered, &create]);
    GluePartitioner::from_client(client)
        .make_queryable(&source, [&partition("123456789012", 28)?])
        .await?;
    assert_eq!(
        seen(&requests)[0].partition_input_list()[0].values(),
        ["20240228", "us-east-1", "123456789012"]
    );

    // Nothing to do: no call at all (the client has no rules).
    let client = mock_client!(
        aws_sdk_glue,
        RuleMode::Sequential,
        Vec::<&aws_smithy_mocks::Rule>::new()
    );
    let report = GluePartitioner::from_client(client)
        .make_queryable(&source, Vec::<&PartitionKey>::new())
        .await?;
    assert!(report.created.is_empty());

    // A registration without Glue ARNs cannot be partitioned.
    let bare = RegisteredSource::new(
        "my-app",
        "arn:aws:iam::123456789012:role/R",
        SourceLocation::parse(&format!("s3://{BUCKET}/ext/my-app/"))?,
    );
    let client = mock_client!(
        aws_sdk_glue,
        RuleMode::Sequential,
        Vec::<&aws_smithy_mocks::Rule>::new()
    );
    let err = GluePartitioner::from_client(client)
        .make_queryable(&bare, [&partition("123456789012", 28)?])
        .await
        .err()
        .ok_or("no ARNs must fail")?;
    assert_eq!(err.kind(), ErrorKind::Config);
    Ok(())
}

fn crawler_running() -> StartCrawlerError {
    StartCrawlerError::CrawlerRunningException(
        CrawlerRunningException::builder()
            .message("Crawler with name my-app has already started")
            .meta(
                ErrorMetadata::builder()
                    .code("CrawlerRunningException")
                    .build(),
            )
            .build(),
    )
}

#[tokio::test]
async fn crawler_mode_starts_the_sources_crawler() -> TestResult {
    let source = registered()?;
    let start = mock!(Client::start_crawler)
        .match_requests(|req| req.name() == Some("my-app"))
        .then_output(|| StartCrawlerOutput::builder().build());
    let client = mock_client!(aws_sdk_glue, RuleMode::Sequential, [&start]);
    let partitioner = GluePartitioner::from_client(client)
        .with_mode(PartitionMode::StartCrawler)
        .with_retry_policy(fast());
    assert_eq!(partitioner.mode(), PartitionMode::StartCrawler);
    let report = partitioner
        .make_queryable(&source, [&partition("123456789012", 28)?])
        .await?;
    assert_eq!(report.crawler, Some(CrawlerRun::Started));
    assert!(report.created.is_empty());
    assert_eq!(start.num_calls(), 1);

    // Running, then started: retried.
    let running = mock!(Client::start_crawler).then_error(crawler_running);
    let started =
        mock!(Client::start_crawler).then_output(|| StartCrawlerOutput::builder().build());
    let client = mock_client!(aws_sdk_glue, RuleMode::Sequential, [&running, &started]);
    let run = GluePartitioner::from_client(client)
        .with_retry_policy(fast())
        .start_crawler(&source)
        .await?;
    assert_eq!(run, CrawlerRun::Started);
    assert_eq!((running.num_calls(), started.num_calls()), (1, 1));

    // Still running after every attempt: reported, not an error.
    let always = mock!(Client::start_crawler)
        .sequence()
        .error(crawler_running)
        .times(3)
        .build();
    let client = mock_client!(aws_sdk_glue, RuleMode::Sequential, [&always]);
    let run = GluePartitioner::from_client(client)
        .with_retry_policy(fast())
        .start_crawler(&source)
        .await?;
    assert_eq!(run, CrawlerRun::AlreadyRunning);
    assert_eq!(always.num_calls(), 3);
    Ok(())
}

#[test]
fn values_follow_the_table_order() -> Result<(), securitylake_core::Error> {
    let key = partition("123456789012", 29)?;
    assert_eq!(
        super::partition_values(&key, &[0, 1, 2]),
        ["us-east-1", "123456789012", "20240229"]
    );
    assert_eq!(
        super::partition_values(&key, &[2, 0, 1]),
        ["20240229", "us-east-1", "123456789012"]
    );
    Ok(())
}

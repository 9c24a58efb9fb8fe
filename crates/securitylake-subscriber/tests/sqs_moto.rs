//! SQS end to end against `moto_server` on 127.0.0.1 (S3 -> SQS event
//! notifications of objects written by our source writer, by hand and the
//! native samples, every row read typed; deletes only after the handler
//! finished; duplicates; malformed bodies, missing and truncated objects
//! and poison messages to the dead-letter sink).
//! Skipped with a note when `MOTO_SERVER` (the path of the `moto_server`
//! binary) is unset.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use common::PutKey;
use common::*;
use futures::TryStreamExt;
use ocsf_model::columnar::ColumnarOptions;
use ocsf_model::v1_1_0::events::Authentication;
use ocsf_model::{OcsfEvent, columnar::Columnar};
use securitylake_core::aws::AwsConfig;
use securitylake_core::layout::SourceLocation;
use securitylake_parquet::write_parquet;
use securitylake_source::{Writer, WriterConfig};
use securitylake_subscriber::{
    Handler, HandlerError, LakeObject, MemoryDeadLetterSink, SqsSource, Subscriber,
};

async fn count<E: OcsfEvent + Columnar>(object: &LakeObject) -> Result<usize, HandlerError> {
    let rows: Vec<Vec<E>> = object.typed::<E>()?.try_collect().await?;
    Ok(rows.concat().len())
}

/// Reads every object typed by its detected version and class; checks that
/// its own message is still in flight (not deleted) while it runs.
#[derive(Clone)]
struct Typed {
    sqs: aws_sdk_sqs::Client,
    queue: String,
    rows: Arc<Mutex<Vec<(String, usize)>>>,
    in_flight_seen: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl Handler for Typed {
    async fn handle(&self, object: &LakeObject) -> Result<(), HandlerError> {
        use ocsf_model::v1_0_0_rc2::events as rc2;
        use ocsf_model::v1_1_0::events as v11;
        let info = object.info();
        if info.object.key.contains("stuck") {
            return Err(HandlerError::retryable("always failing"));
        }
        let n = match (info.ocsf_version.as_deref(), info.class_uid) {
            (Some("1.1.0"), Some(uid)) if uid == v11::Authentication::CLASS_UID => {
                count::<v11::Authentication>(object).await?
            }
            (Some("1.0.0-rc.2"), Some(uid)) if uid == rc2::AccountChange::CLASS_UID => {
                count::<rc2::AccountChange>(object).await?
            }
            (Some("1.0.0-rc.2"), Some(uid)) if uid == rc2::ApiActivity::CLASS_UID => {
                count::<rc2::ApiActivity>(object).await?
            }
            (Some("1.0.0-rc.2"), Some(uid)) if uid == rc2::Authentication::CLASS_UID => {
                count::<rc2::Authentication>(object).await?
            }
            (Some("1.0.0-rc.2"), Some(uid)) if uid == rc2::NetworkActivity::CLASS_UID => {
                count::<rc2::NetworkActivity>(object).await?
            }
            other => return Err(HandlerError::permanent(format!("unexpected {other:?}"))),
        };
        let attrs = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.queue)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| HandlerError::retryable(format!("{e:?}")))?;
        let not_visible: usize = attrs
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessagesNotVisible))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if not_visible > 0 {
            self.in_flight_seen.fetch_add(1, Ordering::SeqCst);
        }
        self.rows
            .lock()
            .map_err(|_| HandlerError::permanent("lock"))?
            .push((info.object.key.clone(), n));
        Ok(())
    }
}

async fn queue_depth(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
) -> Result<(usize, usize), Box<dyn std::error::Error + Send + Sync>> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await?;
    let get = |n: QueueAttributeName| -> usize {
        out.attributes()
            .and_then(|a| a.get(&n))
            .and_then(|v| v.parse().ok())
            .unwrap_or(usize::MAX)
    };
    Ok((
        get(QueueAttributeName::ApproximateNumberOfMessages),
        get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    ))
}

fn sample_files() -> Vec<(String, PathBuf)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/samples/securitylake-parquet/1.0.0-rc.2");
    let mut out = Vec::new();
    for (source, dir) in [
        ("CLOUD_TRAIL_MGMT", root.join("CLOUD_TRAIL/authentication")),
        ("CLOUD_TRAIL_MGMT", root.join("CLOUD_TRAIL/account_change")),
        (
            "CLOUD_TRAIL_MGMT",
            root.join("CLOUD_TRAIL/api_activity(general CT events)"),
        ),
        ("VPC_FLOW", root.join("VPC_FLOW")),
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|it| {
                it.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.to_string_lossy().ends_with(".parquet"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        out.extend(files.into_iter().map(|f| (source.to_owned(), f)));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_end_to_end_against_moto() -> TestResult {
    let Some(moto) = common::start_moto("the SQS end-to-end test") else {
        return Ok(());
    };
    let config = AwsConfig::builder()
        .region("us-east-1")
        .endpoint_url(&moto.url)
        .static_credentials("test", "test", None)
        .force_path_style(true)
        .load()
        .await?;
    let sqs = aws_sdk_sqs::Client::new(config.sdk_config());
    let s3 = config.s3_client();
    let bucket = "aws-security-data-lake-us-east-1-test";
    s3.create_bucket().bucket(bucket).send().await?;
    let queue = sqs
        .create_queue()
        .queue_name("AmazonSecurityLake-test-Main-Queue")
        .send()
        .await?;
    let queue_url = queue.queue_url().ok_or("no queue url")?.to_owned();
    let arn = "arn:aws:sqs:us-east-1:123456789012:AmazonSecurityLake-test-Main-Queue";
    s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(
            aws_sdk_s3::types::NotificationConfiguration::builder()
                .queue_configurations(
                    aws_sdk_s3::types::QueueConfiguration::builder()
                        .queue_arn(arn)
                        .events(aws_sdk_s3::types::Event::S3ObjectCreated)
                        .build()?,
                )
                .build(),
        )
        .send()
        .await?;

    // Objects: ours (custom source) and the native samples under synthetic keys.
    let writer = securitylake_core::store::S3StoreBuilder::new(&config)
        .bucket(bucket)
        .build()?;
    let mut expected = Vec::new();
    for i in 0..3 {
        let key = custom_key(&format!("{i:032x}.zstd.parquet"));
        writer
            .put_key(
                &key,
                write_parquet(&auth_events(5 + i), &ColumnarOptions::default())?.into(),
            )
            .await?;
        expected.push((key, 5 + i as usize));
    }
    for (i, (source, file)) in sample_files().into_iter().enumerate() {
        let bytes = std::fs::read(&file)?;
        let rows = {
            use parquet::file::reader::FileReader;
            let reader = parquet::file::reader::SerializedFileReader::new(bytes::Bytes::from(
                bytes.clone(),
            ))?;
            usize::try_from(reader.metadata().file_metadata().num_rows())?
        };
        let key = format!(
            "aws/{source}/1.0/region=us-east-1/accountId=123456789012/eventDay=20221110/{:032x}.gz.parquet",
            100 + i
        );
        writer.put_key(&key, bytes.into()).await?;
        expected.push((key, rows));
    }
    // Objects written by our source writer (several partitions).
    let spool = tempfile::tempdir()?;
    let mut source_writer = Writer::<Authentication>::open(
        WriterConfig::builder()
            .location(SourceLocation::parse(&format!(
                "s3://{bucket}/ext/partner-app/1.0/"
            ))?)
            .region("us-east-1")
            .account_id("123456789012")
            .store(Arc::new(writer.clone()))
            .spool_dir(spool.path())
            .max_file_bytes(64 * 1024)
            .build()?,
    )
    .await?;
    let day = 86_400_000;
    source_writer
        .write_batch(
            &(0..600)
                .map(|i| {
                    let mut e = auth_event(i);
                    e.time += (i % 3) * day;
                    e
                })
                .collect::<Vec<_>>(),
        )
        .await?;
    let manifest = source_writer.close().await?;
    assert!(manifest.len() >= 3, "{manifest:?}");
    assert_eq!(manifest.rows(), 600);
    for object in &manifest.objects {
        expected.push((object.key.clone(), usize::try_from(object.rows)?));
    }
    // Malformed notifications and objects: a body without the object key, a
    // key that does not exist, a truncated Parquet object (announced by S3).
    let truncated = custom_key("truncated.zstd.parquet");
    let whole = write_parquet(&auth_events(50), &ColumnarOptions::default())?;
    writer
        .put_key(&truncated, whole[..whole.len() / 2].to_vec().into())
        .await?;
    for body in [
        serde_json::json!({"source": "aws.s3", "detail": {"bucket": {"name": bucket}}}),
        serde_json::json!({"source": "aws.s3", "detail": {"bucket": {"name": bucket},
            "object": {"key": custom_key("missing.zstd.parquet"), "etag": "0", "size": 100}}}),
    ] {
        sqs.send_message()
            .queue_url(&queue_url)
            .message_body(body.to_string())
            .send()
            .await?;
    }
    // A duplicate notification (same etag) sent by hand in EventBridge form.
    let head = securitylake_core::object_store::ObjectStoreExt::head(
        &writer,
        &securitylake_core::object_store::path::Path::from(expected[0].0.as_str()),
    )
    .await?;
    let etag = head.e_tag.unwrap_or_default().trim_matches('"').to_owned();
    let dup = serde_json::json!({"source": "aws.s3", "detail": {"bucket": {"name": bucket},
        "object": {"key": expected[0].0.replace('=', "%3D"), "etag": etag, "size": head.size}}});
    sqs.send_message()
        .queue_url(&queue_url)
        .message_body(dup.to_string())
        .send()
        .await?;
    sqs.send_message()
        .queue_url(&queue_url)
        .message_body("{not json")
        .send()
        .await?;

    let dead = Arc::new(MemoryDeadLetterSink::new());
    let handler = Typed {
        sqs: sqs.clone(),
        queue: queue_url.clone(),
        rows: Arc::default(),
        in_flight_seen: Arc::default(),
    };
    let subscriber = Subscriber::builder()
        .source(
            SqsSource::new(arn)
                .wait_time(Duration::from_secs(1))
                .visibility_timeout(Duration::from_secs(2))
                .max_receive_count(2),
        )
        .aws_config(config.clone())
        .handler(handler.clone())
        .dead_letter(dead.clone())
        .retry(securitylake_core::retry::RetryPolicy::no_retry())
        .concurrency(3)
        .build()
        .await?;
    let stats = subscriber.stats_handle();
    let stop = subscriber.shutdown_handle();
    let task = tokio::spawn(subscriber.run());

    let n = expected.len() as u64;
    for _ in 0..600 {
        if stats.get().objects_processed >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stats.get().objects_processed, n, "{:?}", stats.get());

    // A poison message: its object always fails retryably; after two
    // receives it goes to the dead-letter sink and is deleted.
    let stuck = custom_key("stuck.zstd.parquet");
    writer
        .put_key(
            &stuck,
            write_parquet(&auth_events(1), &ColumnarOptions::default())?.into(),
        )
        .await?;
    for _ in 0..400 {
        if dead.letters().iter().any(|l| l.kind == "poison") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Everything acknowledged: the queue drains.
    let mut depth = (usize::MAX, usize::MAX);
    for _ in 0..100 {
        depth = queue_depth(&sqs, &queue_url).await?;
        if depth == (0, 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.shutdown();
    let final_stats = task.await??;

    let mut got = handler.rows.lock().expect("lock").clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    assert!(expected.iter().all(|(_, rows)| *rows > 0));
    assert_eq!(
        handler.in_flight_seen.load(Ordering::SeqCst),
        expected.len(),
        "a message was deleted before its handler finished"
    );
    assert_eq!(depth, (0, 0), "queue not drained");
    let letters = dead.letters();
    assert!(
        letters
            .iter()
            .any(|l| l.kind == "poison" && l.body.as_deref().is_some_and(|b| b.contains("stuck"))),
        "{letters:?}"
    );
    let count = |kind: &str| letters.iter().filter(|l| l.kind == kind).count();
    assert_eq!(count("invalid_notification"), 2, "{letters:?}");
    assert_eq!(count("not_found"), 1, "{letters:?}");
    assert!(
        letters
            .iter()
            .any(|l| l.kind == "invalid_object"
                && l.object.as_ref().is_some_and(|o| o.key == truncated)),
        "{letters:?}"
    );
    assert!(final_stats.duplicates >= 1, "{final_stats:?}");
    Ok(())
}

/// Blocks the first object until released, counting handled objects.
#[derive(Clone, Default)]
struct Gate {
    started: Arc<AtomicUsize>,
    finished: Arc<AtomicUsize>,
    open: Arc<tokio::sync::Notify>,
}

#[async_trait::async_trait]
impl Handler for Gate {
    async fn handle(&self, _object: &LakeObject) -> Result<(), HandlerError> {
        if self.started.fetch_add(1, Ordering::SeqCst) == 0 {
            self.open.notified().await;
        }
        self.finished.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_graceful_shutdown_finishes_in_flight_and_releases_the_rest() -> TestResult {
    let Some(moto) = common::start_moto("the SQS end-to-end test") else {
        return Ok(());
    };
    let config = AwsConfig::builder()
        .region("us-east-1")
        .endpoint_url(&moto.url)
        .static_credentials("test", "test", None)
        .force_path_style(true)
        .load()
        .await?;
    let sqs = aws_sdk_sqs::Client::new(config.sdk_config());
    let bucket = "lake";
    config
        .s3_client()
        .create_bucket()
        .bucket(bucket)
        .send()
        .await?;
    let queue_url = sqs
        .create_queue()
        .queue_name("q")
        .send()
        .await?
        .queue_url()
        .ok_or("no queue url")?
        .to_owned();
    let writer = securitylake_core::store::S3StoreBuilder::new(&config)
        .bucket(bucket)
        .build()?;
    for i in 0..3 {
        let key = custom_key(&format!("{i:032x}.zstd.parquet"));
        writer
            .put_key(
                &key,
                write_parquet(&auth_events(2), &ColumnarOptions::default())?.into(),
            )
            .await?;
        let body = serde_json::json!({"source": "aws.s3", "detail": {"bucket": {"name": bucket}, "object": {"key": key}}});
        sqs.send_message()
            .queue_url(&queue_url)
            .message_body(body.to_string())
            .send()
            .await?;
    }
    let gate = Gate::default();
    let subscriber = Subscriber::builder()
        .source(
            SqsSource::new(&queue_url)
                .wait_time(Duration::from_secs(1))
                .visibility_timeout(Duration::from_secs(60)),
        )
        .aws_config(config.clone())
        .handler(gate.clone())
        .concurrency(1)
        .build()
        .await?;
    let stop = subscriber.shutdown_handle();
    let task = tokio::spawn(subscriber.run());
    for _ in 0..200 {
        if gate.started.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(gate.started.load(Ordering::SeqCst), 1);
    // All three were received in one batch and are invisible now.
    assert_eq!(queue_depth(&sqs, &queue_url).await?, (0, 3));
    stop.shutdown();
    gate.open.notify_one();
    let stats = task.await??;
    assert_eq!(
        gate.finished.load(Ordering::SeqCst),
        1,
        "in-flight object finished, no new one started"
    );
    assert_eq!(stats.acknowledged, 1);
    // The finished one was deleted; the other two were released at once
    // (visibility 0) instead of waiting out the 60 s timeout.
    assert_eq!(queue_depth(&sqs, &queue_url).await?, (2, 0));
    Ok(())
}

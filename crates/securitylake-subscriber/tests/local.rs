//! The subscriber on a local lake: filters, retries with backoff, dead
//! letters, dynamic events, deduplication across restarts.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use futures::TryStreamExt;
use ocsf_model::columnar::{ColumnarOptions, write_parquet};
use securitylake_core::store::{LocalLake, ObjectStore, PutOptions};
use securitylake_subscriber::checkpoint::FileCheckpoint;
use securitylake_subscriber::{
    Filters, Handler, HandlerError, LakeObject, LocalSource, MemoryDeadLetterSink, RetryConfig,
    Subscriber,
};

/// Fails with a retryable error `fail_first` times per object, then counts
/// dynamic rows; objects whose key contains `poison` fail permanently.
#[derive(Clone, Default)]
struct Flaky {
    fail_first: usize,
    calls: Arc<AtomicUsize>,
    rows: Arc<Mutex<Vec<(String, usize)>>>,
}

#[async_trait::async_trait]
impl Handler for Flaky {
    async fn handle(&self, object: &LakeObject) -> Result<(), HandlerError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        if object.info().object.key.contains("poison") {
            return Err(HandlerError::permanent("cannot handle poison"));
        }
        if call < self.fail_first {
            return Err(HandlerError::retryable("downstream unavailable"));
        }
        let rows: Vec<_> = object.dynamic()?.try_collect().await?;
        let rows = rows.concat();
        assert!(rows.iter().all(|r| r.class_uid() == Some(3002)));
        self.rows
            .lock()
            .map_err(|_| HandlerError::permanent("lock"))?
            .push((object.info().object.key.clone(), rows.len()));
        Ok(())
    }
}

fn fast_retry(max_attempts: u32) -> RetryConfig {
    RetryConfig {
        max_attempts,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    }
}

#[tokio::test]
async fn retries_dead_letters_filters_and_restart_dedupe() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("lake");
    let lake = LocalLake::new(&root);
    let bytes = |n| write_parquet(&auth_events(n), &ColumnarOptions::default());
    let put = |key: String, b: Vec<u8>| {
        let lake = &lake;
        async move { lake.put(&key, b.into(), PutOptions::new()).await }
    };
    put(custom_key("good.zstd.parquet"), bytes(4)?).await?;
    put(custom_key("poison.zstd.parquet"), bytes(1)?).await?;
    put(
        "ext/other/region=us-east-1/accountId=external/eventDay=20231114/x.zstd.parquet".into(),
        bytes(2)?,
    )
    .await?;
    put(custom_key("notes.txt"), b"not an object".to_vec()).await?;

    let handler = Flaky {
        fail_first: 2,
        ..Flaky::default()
    };
    let dead = Arc::new(MemoryDeadLetterSink::new());
    let cp_path = dir.path().join("cp.log");
    let subscriber = Subscriber::builder()
        .source(LocalSource::new(&root))
        .handler(handler.clone())
        .filters(
            Filters::new()
                .source_name("app")
                .class_uid(3002)
                .key_glob("ext/**.parquet"),
        )
        .retry(fast_retry(5))
        .checkpoint(Arc::new(FileCheckpoint::open(&cp_path)?))
        .dead_letter(dead.clone())
        .concurrency(1)
        .build()
        .await?;
    let stats = subscriber.run_once().await?;
    assert_eq!(
        handler.rows.lock().expect("lock").clone(),
        vec![(custom_key("good.zstd.parquet"), 4)],
        "{:?}",
        dead.letters()
    );
    assert_eq!(stats.objects_processed, 1);
    assert_eq!(stats.filtered, 1, "the other source");
    assert!(stats.retries >= 2, "{stats:?}");
    assert_eq!(stats.dead_lettered, 1);
    let letters = dead.letters();
    assert_eq!(letters[0].kind, "handler");
    assert!(letters[0].reason.contains("poison"));
    assert_eq!(
        letters[0].object.as_ref().map(|o| o.key.as_str()),
        Some(custom_key("poison.zstd.parquet").as_str())
    );
    drop(subscriber);

    // Restart: the checkpoint file remembers both (handled and dead-lettered).
    let again = Flaky::default();
    let subscriber = Subscriber::builder()
        .source(LocalSource::new(&root))
        .handler(again.clone())
        .checkpoint(Arc::new(FileCheckpoint::open(&cp_path)?))
        .filters(Filters::new().source_name("app"))
        .build()
        .await?;
    let stats = subscriber.run_once().await?;
    assert_eq!(stats.duplicates, 1, "{stats:?}");
    assert_eq!(
        again.calls.load(Ordering::SeqCst),
        1,
        "only the dead-lettered poison object is retried"
    );
    Ok(())
}

#[tokio::test]
async fn exhausted_retries_leave_the_object_unacknowledged() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake = LocalLake::new(dir.path());
    lake.put(
        &custom_key("a.zstd.parquet"),
        write_parquet(&auth_events(2), &ColumnarOptions::default())?.into(),
        PutOptions::new(),
    )
    .await?;
    let handler = Flaky {
        fail_first: usize::MAX,
        ..Flaky::default()
    };
    let dead = Arc::new(MemoryDeadLetterSink::new());
    let subscriber = Subscriber::builder()
        .source(LocalSource::new(dir.path()).interval(Duration::from_millis(20)))
        .handler(handler.clone())
        .retry(fast_retry(3))
        .dead_letter(dead.clone())
        .build()
        .await?;
    let stats = subscriber.run_once().await?;
    assert_eq!(handler.calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        (
            stats.unacknowledged,
            stats.acknowledged,
            stats.dead_lettered
        ),
        (1, 0, 0)
    );
    assert!(dead.letters().is_empty());
    // Running continuously retries it on the next scans until shutdown.
    let stop = subscriber.shutdown_handle();
    let task = tokio::spawn(subscriber.run());
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.shutdown();
    let stats = task.await??;
    assert!(handler.calls.load(Ordering::SeqCst) >= 6);
    assert_eq!(stats.objects_processed, 0);
    Ok(())
}

#[tokio::test]
async fn builder_requires_a_source_and_a_handler() {
    let err = Subscriber::builder()
        .handler(Flaky::default())
        .build()
        .await
        .err();
    assert_eq!(
        err.map(|e| e.kind()),
        Some(securitylake_subscriber::ErrorKind::Config)
    );
    let err = Subscriber::builder()
        .source(LocalSource::new("/nonexistent"))
        .build()
        .await
        .err();
    assert_eq!(
        err.map(|e| e.kind()),
        Some(securitylake_subscriber::ErrorKind::Config)
    );
    let err = Subscriber::builder()
        .source(securitylake_subscriber::SqsSource::new(
            "https://sqs.example/1/q",
        ))
        .handler(Flaky::default())
        .build()
        .await
        .err();
    assert_eq!(
        err.map(|e| e.kind()),
        Some(securitylake_subscriber::ErrorKind::Config)
    );
}

#[tokio::test]
async fn class_filter_skips_without_calling_the_handler() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = Arc::new(LocalLake::new(dir.path()));
    lake.put(
        &custom_key("a.zstd.parquet"),
        write_parquet(&auth_events(2), &ColumnarOptions::default())?.into(),
        PutOptions::new(),
    )
    .await?;
    let handler = Flaky::default();
    let subscriber = Subscriber::builder()
        .source(LocalSource::new(dir.path()))
        .handler(handler.clone())
        .filters(Filters::new().class_uid(4001))
        .build()
        .await?;
    let stats = subscriber.run_once().await?;
    assert_eq!((stats.filtered, stats.objects_processed), (1, 0));
    assert_eq!(handler.calls.load(Ordering::SeqCst), 0);
    Ok(())
}

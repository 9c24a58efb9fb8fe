//! The subscriber on a local lake: filters, retries with backoff, dead
//! letters, dynamic events, deduplication across restarts.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::PutKey;
use common::*;
use futures::TryStreamExt;
use ocsf_model::columnar::ColumnarOptions;
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::local_store;
use securitylake_parquet::write_parquet;
use securitylake_subscriber::checkpoint::FileCheckpoint;
use securitylake_subscriber::{
    Filters, Handler, HandlerError, LakeObject, LocalSource, MemoryDeadLetterSink, Subscriber,
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

fn fast_retry(max_attempts: u32) -> securitylake_core::retry::RetryPolicy {
    securitylake_core::retry::RetryPolicy::new()
        .with_max_attempts(max_attempts)
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
}

#[tokio::test]
async fn retries_dead_letters_filters_and_restart_dedupe() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("lake");
    let lake = local_store(&root)?;
    let bytes = |n| write_parquet(&auth_events(n), &ColumnarOptions::default());
    let put = |key: String, b: Vec<u8>| {
        let lake = &lake;
        async move { lake.put_key(&key, b.into()).await }
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
    let lake = local_store(dir.path())?;
    lake.put_key(
        &custom_key("a.zstd.parquet"),
        write_parquet(&auth_events(2), &ColumnarOptions::default())?.into(),
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
    // Without a handler, only deliveries() is available: running is a configuration error.
    let subscriber = Subscriber::builder()
        .source(LocalSource::new("/nonexistent"))
        .build()
        .await
        .expect("deliveries() needs no handler");
    let err = subscriber.run_once().await.err();
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
    let lake: Arc<dyn ObjectStore> = local_store(dir.path())?;
    lake.put_key(
        &custom_key("a.zstd.parquet"),
        write_parquet(&auth_events(2), &ColumnarOptions::default())?.into(),
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

/// A Parquet file that makes the `parquet` crate's page decoding fail (found by fuzzing
/// `ocsf-model`), and a handler that panics on another object: both objects are dead-lettered
/// and the loop goes on with the next one.
#[tokio::test]
async fn corrupt_objects_and_panicking_handlers_are_dead_lettered() -> TestResult {
    #[derive(Clone, Default)]
    struct PanicsOnKey(Flaky);

    #[async_trait::async_trait]
    impl Handler for PanicsOnKey {
        async fn handle(&self, object: &LakeObject) -> Result<(), HandlerError> {
            if object.info().object.key.contains("panics") {
                panic!("handler bug on {}", object.info().object.key);
            }
            self.0.handle(object).await
        }
    }

    let dir = tempfile::tempdir()?;
    let root = dir.path().join("lake");
    let lake = local_store(&root)?;
    let corrupt =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../securitylake-parquet/tests/fixtures/fuzz/parquet_dict_page_no_values.parquet",
        ))?;
    lake.put_key(&custom_key("corrupt.zstd.parquet"), corrupt.into())
        .await?;
    let good = write_parquet(&auth_events(3), &ColumnarOptions::default())?;
    lake.put_key(&custom_key("good.zstd.parquet"), good.clone().into())
        .await?;
    lake.put_key(&custom_key("panics.zstd.parquet"), good.into())
        .await?;

    let handler = PanicsOnKey::default();
    let dead = Arc::new(MemoryDeadLetterSink::new());
    let subscriber = Subscriber::builder()
        .source(LocalSource::new(&root))
        .handler(handler.clone())
        .retry(fast_retry(2))
        .dead_letter(dead.clone())
        .concurrency(1)
        .build()
        .await?;
    let stats = subscriber.run_once().await?;
    let mut letters: Vec<_> = dead
        .letters()
        .into_iter()
        .map(|l| {
            (
                l.object.map(|o| o.key).unwrap_or_default(),
                l.kind,
                l.reason,
            )
        })
        .collect();
    letters.sort();
    assert_eq!(stats.dead_lettered, 2, "{letters:?}");
    assert_eq!(letters[0].0, custom_key("corrupt.zstd.parquet"));
    assert!(letters[0].2.contains("Parquet"), "{letters:?}");
    assert_eq!(letters[1].0, custom_key("panics.zstd.parquet"));
    assert_eq!(letters[1].1, "panic");
    assert!(letters[1].2.contains("handler bug"), "{letters:?}");
    assert_eq!(
        handler.0.rows.lock().expect("lock").clone(),
        vec![(custom_key("good.zstd.parquet"), 3)]
    );
    Ok(())
}

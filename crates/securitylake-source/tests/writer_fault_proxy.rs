//! The writer through a fault-injecting proxy (securitylake_emulator's
//! `FaultProxy`) in front of the emulator's S3 (`s3s-fs` over HTTP): 500,
//! 503 `ServiceUnavailable` and `SlowDown` error documents and connection
//! resets, before and after forwarding, on single puts and on every step of
//! multipart uploads. The store retries by its policy (the writer does not
//! retry on top of it); a failure that outlasts the store's attempts is
//! returned to the caller, whose next call uploads the sealed segment again;
//! every accepted event is in the lake exactly once.

mod writer_support;

use std::sync::Arc;
use std::time::Duration;

use ocsf_model::v1_1_0::events::Authentication;
use securitylake_core::aws::AwsConfig;
use securitylake_core::object_store::ObjectStore;
use securitylake_core::retry::RetryPolicy;
use securitylake_core::store::{S3StoreBuilder, UploadOptions};
use securitylake_emulator::{Emulator, FaultProxy, ProxyFault, ProxyRule};
use securitylake_source::Manifest;
use securitylake_source::writer::ManualClock;
use securitylake_source::{Writer, WriterConfig};
use writer_support::*;

/// Parts of the multipart uploads: 5 MiB, the smallest S3 accepts.
const PART: u64 = 5 * 1024 * 1024;

async fn emulator_config(emulator: &Emulator, endpoint: String) -> BoxResult<AwsConfig> {
    let (access_key, secret) = emulator.credentials();
    Ok(AwsConfig::builder()
        .region(emulator.region())
        .endpoint_url(endpoint)
        .static_credentials(access_key, secret, None)
        .force_path_style(true)
        // No SDK retries: the store's are under test.
        .max_attempts(1)
        .load()
        .await?)
}

fn writer_config(
    store: Arc<dyn ObjectStore>,
    spool: &std::path::Path,
    max_file_bytes: u64,
) -> BoxResult<WriterConfig> {
    Ok(WriterConfig::builder()
        .location(location())
        .region("us-east-1")
        .account_id(ACCOUNT)
        .store(store)
        .spool_dir(spool)
        .max_file_bytes(max_file_bytes)
        .max_buffered_bytes(64 * 1024 * 1024)
        .columnar_options(small_columns())
        .clock(Arc::new(ManualClock::new(LEAP_DAY + 3 * DAY)))
        .upload_options(
            UploadOptions::new()
                .with_multipart_threshold(4 * 1024 * 1024)
                .with_part_size(PART),
        )
        .build()?)
}

/// Writes `batch`, calling again with the events not yet accepted after a
/// retryable error (as a caller does), counting those errors.
async fn write_all(
    writer: &mut Writer<Authentication>,
    batch: &[Authentication],
    errors: &mut u32,
) -> TestResult {
    let mut rest = batch;
    while !rest.is_empty() {
        let before = writer.stats().events_accepted;
        match writer.write_batch(rest).await {
            Ok(()) => return Ok(()),
            Err(e) if e.is_retryable() && *errors < 500 => {
                *errors += 1;
                let accepted = usize::try_from(writer.stats().events_accepted - before)?;
                rest = &rest[accepted..];
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Flushes until the flush succeeds (after retryable errors).
async fn flush_all(writer: &mut Writer<Authentication>, errors: &mut u32) -> BoxResult<Manifest> {
    loop {
        match writer.flush().await {
            Ok(manifest) => return Ok(manifest),
            Err(e) if e.is_retryable() && *errors < 500 => *errors += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_through_injected_faults_lose_and_duplicate_nothing() -> TestResult {
    let emulator = Emulator::builder().lake_id("test").start().await?;
    assert_eq!(emulator.lake_bucket(), BUCKET);
    let proxy = FaultProxy::start_with_seed(emulator.endpoint_url(), 42).await?;
    let through_proxy = emulator_config(&emulator, proxy.url()).await?;
    let store: Arc<dyn ObjectStore> = Arc::new(
        S3StoreBuilder::new(&through_proxy)
            .bucket(BUCKET)
            .retry_policy(
                RetryPolicy::new()
                    .with_max_attempts(4)
                    .with_initial_backoff(Duration::from_millis(1))
                    .with_max_backoff(Duration::from_millis(20)),
            )
            .build()?,
    );
    let spool = tempfile::tempdir()?;
    // Errors that outlasted the store's attempts and reached the caller.
    let mut errors = 0;

    // Phase 1: small files, single PutObject requests.
    for fault in [
        ProxyFault::InternalError,
        ProxyFault::SlowDown,
        ProxyFault::ServiceUnavailable,
        ProxyFault::ResetBeforeForward,
        ProxyFault::ResetAfterForward,
    ] {
        proxy.inject(ProxyRule::new(fault).method("PUT").skip(1));
    }
    let mut writer =
        Writer::<Authentication>::open(writer_config(store.clone(), spool.path(), 64 * 1024)?)
            .await?;
    // About 700 random letters per event: 1,500 events take ~1 MB of Parquet,
    // so 64 KB files roll by size many times over.
    let small: Vec<_> = (0..1_500u64)
        .map(|i| event(LEAP_DAY + (i % 2) as i64 * DAY + i as i64, i, 700))
        .collect();
    for chunk in small.chunks(100) {
        write_all(&mut writer, chunk, &mut errors).await?;
    }
    let manifest = flush_all(&mut writer, &mut errors).await?;
    writer.close().await?;
    assert!(manifest.len() >= 8, "{} small files", manifest.len());
    assert_eq!(proxy.pending_rules(), 0, "every single-put fault fired");

    // Phase 2: large files, multipart uploads with faults on every step.
    let rules = [
        ProxyRule::new(ProxyFault::ServiceUnavailable)
            .method("POST")
            .query_contains("uploads"),
        ProxyRule::new(ProxyFault::ResetBeforeForward)
            .method("PUT")
            .query_contains("partNumber=")
            .skip(1),
        ProxyRule::new(ProxyFault::InternalError)
            .method("PUT")
            .query_contains("partNumber="),
        ProxyRule::new(ProxyFault::SlowDown)
            .method("PUT")
            .query_contains("partNumber="),
        ProxyRule::new(ProxyFault::ResetAfterForward)
            .method("PUT")
            .query_contains("partNumber="),
        ProxyRule::new(ProxyFault::InternalError)
            .method("POST")
            .query_contains("uploadId="),
        // The completion succeeds but its answer is lost.
        ProxyRule::new(ProxyFault::ResetAfterForward)
            .method("POST")
            .query_contains("uploadId="),
    ];
    for rule in rules {
        proxy.inject(rule);
    }
    let mut writer = Writer::<Authentication>::open(writer_config(
        store.clone(),
        spool.path(),
        14 * 1024 * 1024,
    )?)
    .await?;
    // About 14 MB of events per day for two days: one file of ~9 MB
    // (two parts) per day.
    let large: Vec<_> = (0..4_400u64)
        .map(|i| {
            event(
                LEAP_DAY + (i % 2) as i64 * DAY + i as i64,
                100_000 + i,
                6_000,
            )
        })
        .collect();
    for chunk in large.chunks(400) {
        write_all(&mut writer, chunk, &mut errors).await?;
    }
    let manifest = flush_all(&mut writer, &mut errors).await?;
    writer.close().await?;
    assert!(
        manifest.iter().any(|e| e.bytes > PART),
        "no multipart-sized file: {:?}",
        manifest.iter().map(|e| e.bytes).collect::<Vec<_>>()
    );
    assert_eq!(proxy.pending_rules(), 0, "every multipart fault fired");

    // Phase 3: random faults on about a fifth of all puts.
    for fault in [
        ProxyFault::InternalError,
        ProxyFault::SlowDown,
        ProxyFault::ResetBeforeForward,
        ProxyFault::ResetAfterForward,
    ] {
        proxy.inject(
            ProxyRule::new(fault)
                .method("PUT")
                .probability(0.05)
                .times(u64::MAX),
        );
    }
    let mut writer =
        Writer::<Authentication>::open(writer_config(store.clone(), spool.path(), 32 * 1024)?)
            .await?;
    let random: Vec<_> = (0..2_000u64)
        .map(|i| event(LEAP_DAY + (i % 3) as i64 * DAY + i as i64, 200_000 + i, 200))
        .collect();
    for chunk in random.chunks(50) {
        write_all(&mut writer, chunk, &mut errors).await?;
    }
    flush_all(&mut writer, &mut errors).await?;
    writer.close().await?;
    proxy.clear_rules();

    // Read the lake directly from the emulator, not through the proxy.
    let direct = emulator_config(&emulator, emulator.endpoint_url()).await?;
    let reader = S3StoreBuilder::new(&direct).bucket(BUCKET).build()?;
    let lake = read_lake(&reader).await?;
    for key in lake.keys() {
        assert_key_layout(key)?;
    }
    let counts = seq_counts(&lake)?;
    let expected: Vec<u64> = (0..1_500)
        .chain(100_000..104_400)
        .chain(200_000..202_000)
        .collect();
    assert_eq!(counts.len(), expected.len(), "events missing or extra");
    for seq in &expected {
        assert_eq!(counts.get(seq), Some(&1), "event {seq}");
    }

    let requests = proxy.requests();
    let faulted: Vec<_> = requests.iter().filter(|r| r.fault.is_some()).collect();
    let part_faults = faulted
        .iter()
        .filter(|r| r.query.contains("partNumber="))
        .count();
    let random_faults = faulted.len() - 5 - 7;
    eprintln!(
        "{} requests through the proxy, {} faults ({part_faults} on parts, {random_faults} random); \
         {errors} errors returned to the caller; {} objects",
        requests.len(),
        faulted.len(),
        lake.len()
    );
    assert_eq!(proxy.faults_injected(), faulted.len() as u64);
    assert!(part_faults >= 4, "{part_faults} faults on parts");
    assert!(random_faults > 0, "no random fault fired");
    // The store's retries absorbed most faults: far fewer errors reached
    // the caller than faults were injected.
    assert!(
        (errors as usize) < faulted.len(),
        "{errors} errors for {} faults",
        faulted.len()
    );
    let spool_files: Vec<_> = std::fs::read_dir(spool.path())?
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .filter(|n| n != "LOCK")
        .collect();
    assert!(spool_files.is_empty(), "spool not drained: {spool_files:?}");
    proxy.shutdown().await;
    emulator.shutdown().await;
    Ok(())
}

/// Retries never stack: with the store's policy at 3 attempts, one object
/// whose every PUT fails with 503 is sent exactly 3 times per writer call
/// (not 3 x writer attempts x SDK attempts); the error reaches the caller,
/// the segment stays sealed, and the next call uploads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_object_is_attempted_at_most_the_configured_number_of_times() -> TestResult {
    let emulator = Emulator::builder().lake_id("test").start().await?;
    let proxy = FaultProxy::start(emulator.endpoint_url()).await?;
    let through_proxy = emulator_config(&emulator, proxy.url()).await?;
    let store: Arc<dyn ObjectStore> = Arc::new(
        S3StoreBuilder::new(&through_proxy)
            .bucket(BUCKET)
            .retry_policy(
                RetryPolicy::new()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(1))
                    .with_max_backoff(Duration::from_millis(5)),
            )
            .build()?,
    );
    let spool = tempfile::tempdir()?;
    let mut writer =
        Writer::<Authentication>::open(writer_config(store, spool.path(), 64 * 1024)?).await?;
    writer.write(&event(LEAP_DAY, 1, 100)).await?;
    proxy.inject(
        ProxyRule::new(ProxyFault::ServiceUnavailable)
            .method("PUT")
            .times(u64::MAX),
    );
    let puts = || {
        proxy
            .requests()
            .iter()
            .filter(|r| r.method == "PUT")
            .map(|r| r.path.clone())
            .collect::<Vec<_>>()
    };
    let err = writer
        .flush()
        .await
        .err()
        .ok_or("an upload through 503s succeeded")?;
    assert!(err.is_retryable(), "{err}");
    let first = puts();
    assert_eq!(first.len(), 3, "{first:?}");
    assert!(
        first.iter().all(|p| p == &first[0]),
        "one object: {first:?}"
    );
    // The next call makes one more round of the store's attempts.
    assert!(writer.flush().await.is_err());
    assert_eq!(puts().len(), 6);
    proxy.clear_rules();
    let manifest = writer.flush().await?;
    assert_eq!(manifest.len(), 1);
    assert_eq!(puts().len(), 7);
    writer.close().await?;
    proxy.shutdown().await;
    emulator.shutdown().await;
    Ok(())
}

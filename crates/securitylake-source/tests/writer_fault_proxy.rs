//! The writer through a fault-injecting proxy (securitylake_emulator's
//! `FaultProxy`) in front of the emulator's S3 (`s3s-fs` over HTTP): 500,
//! 503 `ServiceUnavailable` and `SlowDown` error documents and connection
//! resets, before and after forwarding, on single puts and on every step of
//! multipart uploads. The writer retries, and every accepted event is in the
//! lake exactly once.

mod writer_support;

use std::sync::Arc;
use std::time::Duration;

use ocsf_model::v1_1_0::events::Authentication;
use securitylake_core::aws::AwsConfig;
use securitylake_core::store::{ObjectStore, RetryPolicy, S3Store};
use securitylake_emulator::{Emulator, FaultProxy, ProxyFault, ProxyRule};
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
        // No SDK retries: the store's and the writer's are under test.
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
        .upload_attempts(6)
        .retry_backoff(Duration::from_millis(1))
        .build()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_through_injected_faults_lose_and_duplicate_nothing() -> TestResult {
    let emulator = Emulator::builder().lake_id("test").start().await?;
    assert_eq!(emulator.lake_bucket(), BUCKET);
    let proxy = FaultProxy::start_with_seed(emulator.endpoint_url(), 42).await?;
    let through_proxy = emulator_config(&emulator, proxy.url()).await?;
    let store: Arc<dyn ObjectStore> = Arc::new(
        S3Store::builder()
            .client(through_proxy.s3_client())
            .bucket(BUCKET)
            .multipart_threshold(4 * 1024 * 1024)
            .part_size(PART)
            .retry_policy(
                RetryPolicy::new()
                    .with_max_attempts(4)
                    .with_initial_backoff(Duration::from_millis(1))
                    .with_max_backoff(Duration::from_millis(20)),
            )
            .build()?,
    );
    let spool = tempfile::tempdir()?;
    let mut retries = 0;
    let mut already_present = 0;

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
    let small: Vec<_> = (0..1_500u64)
        .map(|i| event(LEAP_DAY + (i % 2) as i64 * DAY + i as i64, i, 300))
        .collect();
    for chunk in small.chunks(100) {
        writer.write_batch(chunk.to_vec()).await?;
    }
    let manifest = writer.flush().await?;
    retries += writer.stats().retries;
    already_present += writer.stats().already_present;
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
        writer.write_batch(chunk.to_vec()).await?;
    }
    let manifest = writer.flush().await?;
    retries += writer.stats().retries;
    already_present += writer.stats().already_present;
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
        writer.write_batch(chunk.to_vec()).await?;
    }
    writer.flush().await?;
    retries += writer.stats().retries;
    already_present += writer.stats().already_present;
    writer.close().await?;
    proxy.clear_rules();

    // Read the lake directly from the emulator, not through the proxy.
    let direct = emulator_config(&emulator, emulator.endpoint_url()).await?;
    let reader = S3Store::builder()
        .client(direct.s3_client())
        .bucket(BUCKET)
        .build()?;
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
         writer retries {retries}, already present {already_present}; {} objects",
        requests.len(),
        faulted.len(),
        lake.len()
    );
    assert_eq!(proxy.faults_injected(), faulted.len() as u64);
    assert!(part_faults >= 4, "{part_faults} faults on parts");
    assert!(random_faults > 0, "no random fault fired");
    assert!(
        retries > 0 && already_present > 0,
        "retries {retries}, already present {already_present}"
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

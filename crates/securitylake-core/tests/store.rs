//! The stores of `securitylake_core::store` against a local directory, the
//! emulator's S3 (`s3s-fs` over HTTP on loopback) and, through the
//! emulator's fault proxy, with injected failures.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use securitylake_core::aws::AwsConfig;
use securitylake_core::object_store::path::Path;
use securitylake_core::object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use securitylake_core::retry::RetryPolicy;
use securitylake_core::store::{
    Created, MIN_PART_SIZE, S3StoreBuilder, UploadOptions, local_store, object_path, put_if_absent,
};
use securitylake_core::{Error, ErrorKind};
use securitylake_emulator::{Emulator, FaultProxy, ProxyFault, ProxyRule};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const KEY_A: &str =
    "ext/app/1.0/region=us-east-1/accountId=123456789012/eventDay=20240229/a.zstd.parquet";
const KEY_B: &str =
    "ext/app/1.0/region=us-east-1/accountId=external/eventDay=20240301/b.zstd.parquet";

fn pattern(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed)
        .collect::<Vec<u8>>()
        .into()
}

async fn emulator_aws(emulator: &Emulator, endpoint: String) -> Result<AwsConfig, Error> {
    let (key, secret) = emulator.credentials();
    AwsConfig::builder()
        .region(emulator.region())
        .endpoint_url(endpoint)
        .static_credentials(key, secret, None)
        .load()
        .await
}

fn fast(attempts: u32) -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(attempts)
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
}

/// What every store must do for the lake: conditional creates that a
/// replay cannot overwrite, range reads, streaming lists, deletes.
async fn suite(store: Arc<dyn ObjectStore>) -> TestResult {
    let a = pattern(1000, 1);
    let path_a = object_path(KEY_A)?;
    let first = put_if_absent(store.as_ref(), &path_a, a.clone(), &UploadOptions::new()).await?;
    assert!(matches!(first, Created::New { .. }), "{first:?}");
    // A replay (here with other bytes, to see that nothing is written).
    let replay = put_if_absent(
        store.as_ref(),
        &path_a,
        pattern(10, 9),
        &UploadOptions::new(),
    )
    .await?;
    assert_eq!(replay, Created::AlreadyPresent);
    assert_eq!(store.get(&path_a).await?.bytes().await?, a);

    let meta = store.head(&path_a).await?;
    assert_eq!(meta.size, 1000);
    assert_eq!(store.get_range(&path_a, 10..20).await?, a.slice(10..20));
    let ranges = store.get_ranges(&path_a, &[0..1, 500..700]).await?;
    assert_eq!(ranges, vec![a.slice(0..1), a.slice(500..700)]);

    let b = pattern(64, 4);
    let path_b = object_path(KEY_B)?;
    put_if_absent(store.as_ref(), &path_b, b.clone(), &UploadOptions::new()).await?;
    let mut listed: Vec<String> = store
        .list(Some(&Path::from("ext/app")))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await?;
    listed.sort();
    assert_eq!(listed, vec![KEY_A.to_owned(), KEY_B.to_owned()]);
    let one_day: Vec<_> = store
        .list(Some(&Path::from(
            "ext/app/1.0/region=us-east-1/accountId=external",
        )))
        .try_collect()
        .await?;
    assert_eq!(one_day.len(), 1);

    let missing = object_path("ext/app/missing.parquet")?;
    let err = Error::from(
        store
            .get(&missing)
            .await
            .err()
            .ok_or("missing object read")?,
    );
    assert_eq!(err.kind(), ErrorKind::NotFound);

    store.delete(&path_a).await?;
    let err = Error::from(
        store
            .head(&path_a)
            .await
            .err()
            .ok_or("deleted object found")?,
    );
    assert_eq!(err.kind(), ErrorKind::NotFound);
    // A deleted key can be created again.
    let again = put_if_absent(store.as_ref(), &path_a, a, &UploadOptions::new()).await?;
    assert!(matches!(again, Created::New { .. }));
    Ok(())
}

#[tokio::test]
async fn local_directory_store() -> TestResult {
    let dir = tempfile::tempdir()?;
    suite(local_store(dir.path().join("lake"))?).await?;
    assert!(
        dir.path().join("lake").join(KEY_A).is_file(),
        "keys are paths"
    );
    Ok(())
}

#[tokio::test]
async fn emulator_s3_store() -> TestResult {
    let emulator = Emulator::builder().lake_id("test").start().await?;
    let aws = emulator_aws(&emulator, emulator.endpoint_url()).await?;
    let store = S3StoreBuilder::new(&aws)
        .bucket(emulator.lake_bucket())
        .retry_policy(fast(3))
        .build()?;
    suite(Arc::new(store)).await?;
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn plain_unconditional_puts_replace_and_conditional_ones_do_not() -> TestResult {
    let emulator = Emulator::builder().lake_id("test").start().await?;
    let aws = emulator_aws(&emulator, emulator.endpoint_url()).await?;
    let store = S3StoreBuilder::new(&aws)
        .bucket(emulator.lake_bucket())
        .build()?;
    let path = object_path(KEY_A)?;
    store.put(&path, PutPayload::from_static(b"one")).await?;
    // `If-None-Match: *` is honoured by the emulator's S3 (s3s-fs).
    let refused = store
        .put_opts(
            &path,
            PutPayload::from_static(b"two"),
            securitylake_core::object_store::PutMode::Create.into(),
        )
        .await;
    let err = Error::from(
        refused
            .err()
            .ok_or("conditional put over an object succeeded")?,
    );
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert_eq!(
        store.get(&path).await?.bytes().await?,
        Bytes::from_static(b"one")
    );
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn multipart_uploads_above_the_threshold() -> TestResult {
    let emulator = Emulator::builder().lake_id("test").start().await?;
    let proxy = FaultProxy::start(emulator.endpoint_url()).await?;
    let aws = emulator_aws(&emulator, proxy.url()).await?;
    let store = S3StoreBuilder::new(&aws)
        .bucket(emulator.lake_bucket())
        .retry_policy(fast(3))
        .build()?;
    let options = UploadOptions::new()
        .with_multipart_threshold(MIN_PART_SIZE)
        .with_part_size(MIN_PART_SIZE)
        .with_max_concurrency(2);
    let big = pattern(MIN_PART_SIZE as usize * 2 + 123, 7);
    let path = object_path("ext/app/1.0/big.zstd.parquet")?;
    let created = put_if_absent(&store, &path, big.clone(), &options).await?;
    assert!(matches!(created, Created::New { .. }));
    assert_eq!(store.get(&path).await?.bytes().await?, big);
    let parts = proxy
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.query.contains("partNumber="))
        .count();
    assert_eq!(parts, 3, "three parts of at least 5 MiB");
    let again = put_if_absent(&store, &path, big, &options).await?;
    assert_eq!(again, Created::AlreadyPresent);
    emulator.shutdown().await;
    Ok(())
}

/// The retry policy is the store's only retry layer: a PUT that always
/// fails is sent exactly `max_attempts` times, and one that fails once is
/// retried and succeeds.
#[tokio::test]
async fn one_object_is_attempted_at_most_max_attempts_times() -> TestResult {
    let emulator = Emulator::builder().lake_id("test").start().await?;
    let proxy = FaultProxy::start(emulator.endpoint_url()).await?;
    let aws = emulator_aws(&emulator, proxy.url()).await?;
    let store = S3StoreBuilder::new(&aws)
        .bucket(emulator.lake_bucket())
        .retry_policy(fast(4))
        .build()?;
    let path = object_path(KEY_A)?;

    proxy.inject(
        ProxyRule::new(ProxyFault::ServiceUnavailable)
            .method("PUT")
            .times(100),
    );
    let failed = put_if_absent(&store, &path, pattern(100, 1), &UploadOptions::new()).await;
    let err = failed
        .err()
        .ok_or("the put succeeded through permanent faults")?;
    assert!(err.is_retryable(), "{err}");
    let puts = proxy
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .count();
    assert_eq!(puts, 4, "max_attempts requests, no more");

    proxy.clear_rules();
    proxy.inject(ProxyRule::new(ProxyFault::InternalError).method("PUT"));
    let before = proxy.requests().len();
    put_if_absent(&store, &path, pattern(100, 1), &UploadOptions::new()).await?;
    let puts = proxy.requests()[before..]
        .iter()
        .filter(|r| r.method == "PUT")
        .count();
    assert_eq!(puts, 2, "one failure, one retry");
    emulator.shutdown().await;
    Ok(())
}

/// A conditional put whose response was lost (the connection reset after
/// the request was forwarded) is not resent by `object_store` (a create is
/// not idempotent); a `HEAD` finds the object: written once, reported as
/// new.
#[tokio::test]
async fn a_lost_put_response_is_recovered_without_a_second_put() -> TestResult {
    let emulator = Emulator::builder().lake_id("test").start().await?;
    let proxy = FaultProxy::start(emulator.endpoint_url()).await?;
    let aws = emulator_aws(&emulator, proxy.url()).await?;
    let store = S3StoreBuilder::new(&aws)
        .bucket(emulator.lake_bucket())
        .retry_policy(fast(3))
        .build()?;
    proxy.inject(ProxyRule::new(ProxyFault::ResetAfterForward).method("PUT"));
    let path = object_path(KEY_A)?;
    let data = pattern(100, 3);
    let outcome = put_if_absent(&store, &path, data.clone(), &UploadOptions::new()).await?;
    assert!(matches!(outcome, Created::New { .. }), "{outcome:?}");
    let puts = proxy
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .count();
    assert_eq!(puts, 1);
    assert_eq!(store.get(&path).await?.bytes().await?, data);
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_endpoint_and_region_come_from_the_configuration_and_location() -> TestResult {
    let emulator = Emulator::builder().lake_id("test").start().await?;
    let aws = emulator_aws(&emulator, emulator.endpoint_url()).await?;
    assert_eq!(aws.s3_endpoint_url(), Some(emulator.endpoint_url()));
    let location = securitylake_core::layout::SourceLocation::parse(&format!(
        "s3://{}/ext/app/1.0/",
        emulator.lake_bucket()
    ))?;
    let store = S3StoreBuilder::new(&aws).location(&location).build()?;
    let path = object_path(KEY_A)?;
    put_if_absent(&store, &path, pattern(10, 1), &UploadOptions::new()).await?;
    assert!(emulator.lake_dir().join(KEY_A).is_file());
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn missing_credentials_are_a_config_error() -> TestResult {
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("us-east-1"))
        .build();
    let aws = AwsConfig::from_sdk_config(sdk).with_force_path_style(true);
    let store = S3StoreBuilder::new(&aws)
        .bucket("b")
        .retry_policy(RetryPolicy::no_retry())
        .build()?;
    let path = object_path(KEY_A)?;
    let err = put_if_absent(&store, &path, pattern(1, 1), &UploadOptions::new())
        .await
        .err()
        .ok_or("a put without credentials succeeded")?;
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    Ok(())
}

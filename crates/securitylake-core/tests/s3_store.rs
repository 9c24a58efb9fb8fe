//! `S3Store` against an in-process s3s-fs server.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{BUCKET, Fault, Harness, assert_kind, object_store_suite, pattern};
use securitylake_core::ErrorKind;
use securitylake_core::store::{
    ChecksumAlgorithm, ConditionalPutMode, ObjectStore, PutOptions, RetryPolicy, S3Store,
    S3StoreBuilder,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const MIB: usize = 1024 * 1024;

fn fast_retries() -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
}

async fn store_with(
    harness: &Harness,
    configure: impl FnOnce(S3StoreBuilder) -> S3StoreBuilder,
) -> Result<S3Store, Box<dyn std::error::Error>> {
    harness.create_bucket().await?;
    let builder = S3Store::builder()
        .client(harness.config().await?.s3_client())
        .bucket(BUCKET)
        .retry_policy(fast_retries());
    Ok(configure(builder).build()?)
}

#[tokio::test]
async fn shared_suite() -> TestResult {
    let harness = Harness::new(&[]);
    object_store_suite(&store_with(&harness, |b| b).await?).await?;
    Ok(())
}

#[tokio::test]
async fn shared_suite_with_head_then_put_and_sha256() -> TestResult {
    let harness = Harness::new(&[]);
    let store = store_with(&harness, |b| {
        b.conditional_put(ConditionalPutMode::HeadThenPut)
            .checksum(ChecksumAlgorithm::Sha256)
    })
    .await?;
    object_store_suite(&store).await?;
    Ok(())
}

#[tokio::test]
async fn shared_suite_under_a_prefix_with_content_md5() -> TestResult {
    let harness = Harness::new(&[]);
    let store = store_with(&harness, |b| {
        b.prefix("lake").checksum(ChecksumAlgorithm::ContentMd5)
    })
    .await?;
    // An object outside the prefix must stay invisible.
    let outside = S3Store::builder()
        .client(harness.config().await?.s3_client())
        .bucket(BUCKET)
        .build()?;
    outside
        .put("elsewhere/x", Bytes::from_static(b"x"), PutOptions::new())
        .await?;
    object_store_suite(&store).await?;
    let everything: Vec<String> = outside.list("").await?.into_iter().map(|m| m.key).collect();
    assert!(everything.contains(&"elsewhere/x".to_owned()));
    assert!(
        everything
            .iter()
            .filter(|k| *k != "elsewhere/x")
            .all(|k| k.starts_with("lake/ext/")),
        "{everything:?}"
    );
    Ok(())
}

#[tokio::test]
async fn multipart_upload_above_the_threshold() -> TestResult {
    for checksum in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Sha256,
        ChecksumAlgorithm::ContentMd5,
    ] {
        let harness = Harness::new(&[]);
        let store = store_with(&harness, |b| {
            b.multipart_threshold(MIB as u64)
                .part_size(5 * MIB as u64)
                .checksum(checksum)
        })
        .await?;
        let data = pattern(11 * MIB + 123, 7);
        let put = store
            .put("ext/app/big.parquet", data.clone(), PutOptions::new())
            .await?;
        assert!(
            put.etag.ends_with("-3"),
            "three parts of 5 MiB, 5 MiB, 1 MiB+: {}",
            put.etag
        );
        let head = store.head("ext/app/big.parquet").await?;
        assert_eq!(head.size, data.len() as u64);
        assert_eq!(head.etag.as_deref(), Some(put.etag.as_str()));
        assert_eq!(
            store.get("ext/app/big.parquet").await?,
            data,
            "{checksum:?}"
        );
        let across = (5 * MIB - 10) as u64..(5 * MIB + 10) as u64;
        assert_eq!(
            store.get_range("ext/app/big.parquet", across).await?,
            data.slice(5 * MIB - 10..5 * MIB + 10)
        );
        // At or below the threshold: a single PutObject (plain MD5 ETag).
        let small = store
            .put("ext/app/small.parquet", pattern(MIB, 1), PutOptions::new())
            .await?;
        assert!(!small.etag.contains('-'), "{}", small.etag);
    }
    Ok(())
}

fn pending_parts(harness: &Harness) -> Vec<String> {
    std::fs::read_dir(harness.root())
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".upload_id-"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn conditional_multipart_upload_is_refused_and_aborted() -> TestResult {
    let harness = Harness::new(&[]);
    let store = store_with(&harness, |b| {
        b.multipart_threshold(MIB as u64).part_size(5 * MIB as u64)
    })
    .await?;
    let original = pattern(6 * MIB, 1);
    store
        .put(
            "ext/app/x.parquet",
            original.clone(),
            PutOptions::new().if_none_match(true),
        )
        .await?;
    let refused = store
        .put(
            "ext/app/x.parquet",
            pattern(6 * MIB, 2),
            PutOptions::new().if_none_match(true),
        )
        .await;
    assert_kind(refused, ErrorKind::AlreadyExists);
    assert_eq!(store.get("ext/app/x.parquet").await?, original);
    assert!(
        pending_parts(&harness).is_empty(),
        "parts left behind: {:?}",
        pending_parts(&harness)
    );
    Ok(())
}

#[tokio::test]
async fn failed_part_upload_aborts_the_multipart_upload() -> TestResult {
    let harness = Harness::new(&[]);
    let store = store_with(&harness, |b| {
        b.multipart_threshold(MIB as u64).part_size(5 * MIB as u64)
    })
    .await?;
    // Part 1 succeeds, part 2 is denied (not retryable): the upload is aborted.
    harness.inject([Fault::matching(403, "AccessDenied", "partNumber=2")]);
    let denied = store
        .put(
            "ext/app/partial.parquet",
            pattern(12 * MIB, 3),
            PutOptions::new(),
        )
        .await;
    assert_kind(denied, ErrorKind::AccessDenied);
    assert!(
        pending_parts(&harness).is_empty(),
        "parts left behind: {:?}",
        pending_parts(&harness)
    );
    assert_kind(
        store.head("ext/app/partial.parquet").await,
        ErrorKind::NotFound,
    );
    Ok(())
}

#[tokio::test]
async fn transient_part_failures_are_retried() -> TestResult {
    let harness = Harness::new(&[]);
    let store = store_with(&harness, |b| {
        b.multipart_threshold(MIB as u64).part_size(5 * MIB as u64)
    })
    .await?;
    harness.inject([
        Fault::matching(500, "InternalError", "partNumber=2"),
        Fault::matching(503, "SlowDown", "partNumber=2"),
    ]);
    let data = pattern(12 * MIB, 4);
    let before = harness.s3_requests();
    store
        .put("ext/app/retried.parquet", data.clone(), PutOptions::new())
        .await?;
    // create + 3 parts + 2 retried part attempts + complete
    assert_eq!(harness.s3_requests() - before, 7);
    assert_eq!(store.get("ext/app/retried.parquet").await?, data);
    Ok(())
}

#[tokio::test]
async fn retryable_errors_are_retried_with_backoff_up_to_the_limit() -> TestResult {
    let harness = Harness::new(&[]);
    let store = store_with(&harness, |b| b).await?;
    store
        .put("k", Bytes::from_static(b"v"), PutOptions::new())
        .await?;

    // Two throttles, then success: 3 requests.
    harness.inject([
        Fault::next(503, "SlowDown"),
        Fault::next(429, "TooManyRequestsException"),
    ]);
    let before = harness.s3_requests();
    assert_eq!(store.get("k").await?, Bytes::from_static(b"v"));
    assert_eq!(harness.s3_requests() - before, 3);

    // Three throttles exhaust the 3 attempts: the last error is returned.
    harness.inject([
        Fault::next(503, "SlowDown"),
        Fault::next(503, "SlowDown"),
        Fault::next(500, "InternalError"),
    ]);
    let before = harness.s3_requests();
    let err = store.get("k").await.err().ok_or("expected an error")?;
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(err.code(), Some("InternalError"));
    assert_eq!(err.status(), Some(500));
    assert!(err.is_retryable());
    assert_eq!(harness.s3_requests() - before, 3);

    // Not retryable: one request only.
    harness.inject([Fault::next(403, "AccessDenied")]);
    let before = harness.s3_requests();
    assert_kind(store.get("k").await, ErrorKind::AccessDenied);
    assert_eq!(harness.s3_requests() - before, 1);
    Ok(())
}

#[tokio::test]
async fn retry_after_is_honoured() -> TestResult {
    let harness = Harness::new(&[]);
    let store = store_with(&harness, |b| {
        b.retry_policy(
            RetryPolicy::new()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_secs(5)),
        )
    })
    .await?;
    store
        .put("k", Bytes::from_static(b"v"), PutOptions::new())
        .await?;
    harness.inject([Fault {
        retry_after: Some("1"),
        ..Fault::next(503, "SlowDown")
    }]);
    let started = Instant::now();
    assert_eq!(store.get("k").await?, Bytes::from_static(b"v"));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    Ok(())
}

fn methods_since(harness: &Harness, start: usize) -> Vec<String> {
    harness.s3_log()[start..]
        .iter()
        .map(|line| line.split(' ').next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn conditional_put_modes_against_s3s_fs() -> TestResult {
    // s3s-fs 0.14.1 implements `If-None-Match: *` on PutObject: in the default
    // mode the server itself refuses (HTTP 412), with no HeadObject first.
    let harness = Harness::new(&[]);
    let store = store_with(&harness, |b| b).await?;
    store
        .put("k", Bytes::from_static(b"1"), PutOptions::new())
        .await?;
    let start = harness.s3_log().len();
    let err = store
        .put(
            "k",
            Bytes::from_static(b"2"),
            PutOptions::new().if_none_match(true),
        )
        .await
        .err()
        .ok_or("expected AlreadyExists")?;
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert!(!err.is_retryable());
    assert_eq!(methods_since(&harness, start), ["PUT"]);

    // The head-then-put fallback refuses after a HeadObject alone ...
    let fallback = S3Store::builder()
        .client(harness.config().await?.s3_client())
        .bucket(BUCKET)
        .conditional_put(ConditionalPutMode::HeadThenPut)
        .build()?;
    let start = harness.s3_log().len();
    assert_kind(
        fallback
            .put(
                "k",
                Bytes::from_static(b"3"),
                PutOptions::new().if_none_match(true),
            )
            .await,
        ErrorKind::AlreadyExists,
    );
    assert_eq!(methods_since(&harness, start), ["HEAD"]);
    // ... and writes a new key with HeadObject then an unconditional PutObject.
    let start = harness.s3_log().len();
    fallback
        .put(
            "new",
            Bytes::from_static(b"4"),
            PutOptions::new().if_none_match(true),
        )
        .await?;
    assert_eq!(methods_since(&harness, start), ["HEAD", "PUT"]);
    assert_eq!(store.get("k").await?, Bytes::from_static(b"1"));
    assert_eq!(store.get("new").await?, Bytes::from_static(b"4"));
    Ok(())
}

#[tokio::test]
async fn lost_completion_response_is_recovered() -> TestResult {
    // The first CompleteMultipartUpload completes on the server but its
    // response is lost (500); the retry finds no upload (404 NoSuchUpload, as
    // Amazon S3 answers; s3s-fs would say AccessDenied, so it is injected), and
    // the store confirms the object with HeadObject instead of failing.
    let harness = Harness::new(&[]);
    let store = store_with(&harness, |b| {
        b.multipart_threshold(MIB as u64).part_size(5 * MIB as u64)
    })
    .await?;
    harness.inject([
        Fault {
            after_forwarding: true,
            ..Fault::matching(500, "InternalError", "POST uploadId=")
        },
        Fault::matching(404, "NoSuchUpload", "POST uploadId="),
    ]);
    let data = pattern(7 * MIB, 5);
    let put = store
        .put("ext/app/lost.parquet", data.clone(), PutOptions::new())
        .await?;
    assert!(put.etag.ends_with("-2"), "{}", put.etag);
    assert_eq!(store.get("ext/app/lost.parquet").await?, data);
    Ok(())
}

#[tokio::test]
async fn lost_conditional_put_response_reports_already_exists() -> TestResult {
    // Documented limit: a conditional PutObject that succeeded but whose
    // response was lost is refused on retry. With content-derived names the
    // stored object is the one the caller meant to write.
    let harness = Harness::new(&[]);
    let store = store_with(&harness, |b| b).await?;
    harness.inject([Fault {
        after_forwarding: true,
        ..Fault::matching(503, "ServiceUnavailable", "PUT")
    }]);
    let result = store
        .put(
            "ext/app/once",
            Bytes::from_static(b"payload"),
            PutOptions::new().if_none_match(true),
        )
        .await;
    assert_kind(result, ErrorKind::AlreadyExists);
    assert_eq!(
        store.get("ext/app/once").await?,
        Bytes::from_static(b"payload")
    );
    Ok(())
}

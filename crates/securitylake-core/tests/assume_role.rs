//! Role assumption through STS, with the S3 calls signed by the assumed
//! credentials (s3s-fs only knows the keys it was given).

mod common;

use bytes::Bytes;
use common::{BUCKET, Harness, StsCredentials, assert_kind};
use securitylake_core::ErrorKind;
use securitylake_core::aws::AssumeRoleProvider;
use securitylake_core::store::{ObjectStore, PutOptions, S3Store};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const ROLE: &str = "arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-app-us-east-1";

fn form_value<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    body.split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

fn assumed(expiration: &str) -> StsCredentials {
    StsCredentials {
        access_key: "ASIAASSUMED".to_owned(),
        secret_key: "assumed-secret".to_owned(),
        expiration: expiration.to_owned(),
    }
}

#[tokio::test]
async fn assumed_credentials_sign_s3_requests_and_are_cached() -> TestResult {
    let harness = Harness::new(&[("ASIAASSUMED", "assumed-secret")]);
    harness.create_bucket().await?;
    harness.set_sts_credentials(assumed("2099-01-01T00:00:00Z"));
    let base = harness.config().await?;
    let role = base
        .assume_role(
            AssumeRoleProvider::builder(ROLE)
                .external_id("ext-123")
                .session_name("writer-1"),
        )
        .await?;
    let store = S3Store::builder()
        .client(role.s3_client())
        .bucket(BUCKET)
        .build()?;
    store
        .put("ext/app/a", Bytes::from_static(b"a"), PutOptions::new())
        .await?;
    store.get("ext/app/a").await?;
    store.head("ext/app/a").await?;

    let sts = harness.sts_requests();
    assert_eq!(sts.len(), 1, "long-lived credentials are cached: {sts:?}");
    let body = &sts[0];
    assert_eq!(form_value(body, "Action"), Some("AssumeRole"));
    assert_eq!(form_value(body, "ExternalId"), Some("ext-123"));
    assert_eq!(form_value(body, "RoleSessionName"), Some("writer-1"));
    assert_eq!(form_value(body, "DurationSeconds"), Some("3600"));
    assert!(
        form_value(body, "RoleArn")
            .is_some_and(|v| v.contains("AmazonSecurityLake-Provider-app-us-east-1"))
    );
    Ok(())
}

#[tokio::test]
async fn credentials_inside_the_refresh_buffer_are_refreshed() -> TestResult {
    let harness = Harness::new(&[("ASIAASSUMED", "assumed-secret")]);
    harness.create_bucket().await?;
    // Valid for a few more minutes only: within the 5-minute refresh buffer,
    // so every use asks STS again instead of risking expiry mid-request.
    let soon = std::time::SystemTime::now() + std::time::Duration::from_secs(120);
    let soon = aws_smithy_types::DateTime::from(soon)
        .fmt(aws_smithy_types::date_time::Format::DateTime)?;
    harness.set_sts_credentials(assumed(&soon));
    let role = harness
        .config()
        .await?
        .assume_role(AssumeRoleProvider::builder(ROLE).external_id("ext-123"))
        .await?;
    let store = S3Store::builder()
        .client(role.s3_client())
        .bucket(BUCKET)
        .build()?;
    store
        .put("k", Bytes::from_static(b"v"), PutOptions::new())
        .await?;
    store.get("k").await?;
    let sts = harness.sts_requests();
    assert_eq!(sts.len(), 2, "{sts:?}");
    assert_eq!(
        form_value(&sts[0], "RoleSessionName"),
        Some("securitylake-rs")
    );
    Ok(())
}

#[tokio::test]
async fn s3_rejects_unknown_assumed_credentials() -> TestResult {
    // The base keys are known to s3s-fs; the assumed ones are not. A failure
    // proves that S3 requests are signed with the assumed credentials.
    let harness = Harness::new(&[]);
    harness.create_bucket().await?;
    harness.set_sts_credentials(assumed("2099-01-01T00:00:00Z"));
    let role = harness
        .config()
        .await?
        .assume_role(AssumeRoleProvider::builder(ROLE).external_id("ext-123"))
        .await?;
    let store = S3Store::builder()
        .client(role.s3_client())
        .bucket(BUCKET)
        .build()?;
    let denied = store
        .put("k", Bytes::from_static(b"v"), PutOptions::new())
        .await;
    assert_kind(denied, ErrorKind::AccessDenied);
    assert_eq!(harness.sts_requests().len(), 1);
    Ok(())
}

#[tokio::test]
async fn sts_refusal_surfaces_as_an_error() -> TestResult {
    let harness = Harness::new(&[]);
    harness.create_bucket().await?;
    // No credentials configured: the fake STS answers AccessDenied.
    let role = harness
        .config()
        .await?
        .assume_role(AssumeRoleProvider::builder(ROLE).external_id("ext-123"))
        .await?;
    let store = S3Store::builder()
        .client(role.s3_client())
        .bucket(BUCKET)
        .build()?;
    let err = store.get("k").await.err().ok_or("expected an error")?;
    assert_eq!(err.kind(), ErrorKind::AccessDenied, "{err}");
    assert!(!err.is_retryable());
    assert_eq!(
        harness.s3_requests(),
        1,
        "only the bucket creation reached S3"
    );
    Ok(())
}

#[tokio::test]
async fn sts_throttling_is_retryable() -> TestResult {
    let harness = Harness::new(&[]);
    harness.create_bucket().await?;
    harness.set_sts_error(400, "Throttling");
    let role = harness
        .config()
        .await?
        .assume_role(AssumeRoleProvider::builder(ROLE).external_id("ext-123"))
        .await?;
    let store = S3Store::builder()
        .client(role.s3_client())
        .bucket(BUCKET)
        .retry_policy(securitylake_core::store::RetryPolicy::no_retry())
        .build()?;
    let err = store.get("k").await.err().ok_or("expected an error")?;
    assert_eq!(err.kind(), ErrorKind::Throttled, "{err}");
    assert!(err.is_retryable());
    Ok(())
}

//! Shared helpers for the registration tests.

#![allow(dead_code, missing_docs)]

use std::time::Duration;

use securitylake_control::{CustomSource, Registrar, SubscriberRegistrar};
use securitylake_core::aws::AwsConfig;
use securitylake_core::store::RetryPolicy;
use securitylake_emulator::Emulator;

pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;
pub type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub const CRAWLER_ROLE: &str = "arn:aws:iam::123456789012:role/GlueCrawler";
pub const EXTERNAL_ID: &str = "partner-external-id";

/// The configuration every control-plane component takes, pointed at the
/// emulator with its credentials.
pub async fn config(emulator: &Emulator) -> BoxResult<AwsConfig> {
    let (access_key, secret) = emulator.credentials();
    Ok(AwsConfig::builder()
        .region(emulator.region())
        .endpoint_url(emulator.endpoint_url())
        .static_credentials(access_key, secret, None)
        .load()
        .await?)
}

/// Fast retries for tests; the maximum backoff leaves room for a
/// `Retry-After` of one second.
pub fn fast_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(attempts)
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_secs(2))
}

pub async fn registrar(emulator: &Emulator) -> BoxResult<Registrar> {
    Ok(Registrar::new(&config(emulator).await?).with_retry_policy(fast_retries(5)))
}

pub async fn subscribers(emulator: &Emulator) -> BoxResult<SubscriberRegistrar> {
    Ok(SubscriberRegistrar::new(&config(emulator).await?).with_retry_policy(fast_retries(5)))
}

pub fn spec(
    name: &str,
    version: Option<&str>,
) -> Result<CustomSource, securitylake_control::Error> {
    let mut builder = CustomSource::builder(name)
        .event_class("AUTHENTICATION")
        .principal("210987654321")
        .external_id(EXTERNAL_ID)
        .crawler_role_arn(CRAWLER_ROLE);
    if let Some(version) = version {
        builder = builder.version(version);
    }
    builder.build()
}

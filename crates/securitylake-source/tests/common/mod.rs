//! Shared helpers for the registration tests.

#![allow(dead_code, missing_docs)]

use std::time::Duration;

use securitylake_core::store::RetryPolicy;
use securitylake_emulator::Emulator;
use securitylake_source::{CustomSource, Registrar};

pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub const CRAWLER_ROLE: &str = "arn:aws:iam::123456789012:role/GlueCrawler";
pub const EXTERNAL_ID: &str = "partner-external-id";

/// A Security Lake client for the emulator, without SDK retries so that the
/// registrar's own retries are what the emulator counts.
pub fn securitylake(emulator: &Emulator) -> aws_sdk_securitylake::Client {
    use aws_sdk_securitylake::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_securitylake::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(emulator.endpoint_url())
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .retry_config(aws_sdk_securitylake::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_securitylake::Client::from_conf(config)
}

/// Fast retries for tests; the maximum backoff leaves room for a
/// `Retry-After` of one second.
pub fn fast_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(attempts)
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_secs(2))
}

pub fn registrar(emulator: &Emulator) -> Registrar {
    Registrar::new(securitylake(emulator)).with_retry_policy(fast_retries(5))
}

pub fn spec(name: &str, version: Option<&str>) -> Result<CustomSource, securitylake_source::Error> {
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

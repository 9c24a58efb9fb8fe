//! The SDK clients of this crate, built from the one [`AwsConfig`].
//!
//! The SDK's own retries are switched off in every client: this crate
//! retries each operation itself, under one [`RetryPolicy`] per component
//! (see [`crate::retry`]), so that retries never stack (a policy of 5
//! attempts means at most 5 requests, not 5 times the SDK's 3).
//!
//! [`RetryPolicy`]: securitylake_core::store::RetryPolicy

use aws_smithy_types::retry::RetryConfig;
use securitylake_core::aws::AwsConfig;

/// A Security Lake client of `config`, without SDK retries.
pub(crate) fn securitylake(config: &AwsConfig) -> aws_sdk_securitylake::Client {
    let conf = aws_sdk_securitylake::config::Builder::from(config.sdk_config())
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_securitylake::Client::from_conf(conf)
}

/// A Glue client of `config`, without SDK retries.
#[cfg(feature = "glue")]
pub(crate) fn glue(config: &AwsConfig) -> aws_sdk_glue::Client {
    let conf = aws_sdk_glue::config::Builder::from(config.sdk_config())
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_glue::Client::from_conf(conf)
}

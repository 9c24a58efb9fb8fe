//! [`S3StoreBuilder`]: an `object_store` `AmazonS3` configured from an
//! [`AwsConfig`].

use std::sync::Arc;

use object_store::ClientOptions;
use object_store::aws::{AmazonS3, AmazonS3Builder, Checksum, S3ConditionalPut};

use super::PARQUET_CONTENT_TYPE;
use super::SdkCredentialProvider;
use crate::aws::AwsConfig;
use crate::error::{Error, Result};
use crate::layout::SourceLocation;
use crate::retry::RetryPolicy;

/// Builds an `AmazonS3` store from an [`AwsConfig`].
///
/// * **Credentials**: the configuration's provider through
///   [`SdkCredentialProvider`] (so [`AwsConfig::assume_role`] with an
///   external id works, refreshed before expiry).
/// * **Region**: [`region`](Self::region) if set, else the lake region in a
///   Security Lake bucket name ([`SourceLocation::lake_region`]), else the
///   configuration's region.
/// * **Endpoint**: [`AwsConfig::s3_endpoint_url`] (`AWS_ENDPOINT_URL_S3`,
///   `AWS_ENDPOINT_URL`, a profile's `endpoint_url`, or
///   [`AwsConfigBuilder::endpoint_url`](crate::aws::AwsConfigBuilder::endpoint_url)):
///   path-style requests to it, plain HTTP allowed for `http://` URLs.
///   Without one, Amazon S3 with virtual-hosted-style requests (path-style
///   with [`AwsConfigBuilder::force_path_style`](crate::aws::AwsConfigBuilder::force_path_style)).
/// * **Integrity**: a SHA-256 checksum on every upload and part
///   (`x-amz-checksum-sha256`), checked by S3.
/// * **Conditional puts**: `PutMode::Create` sends `If-None-Match: *`.
/// * **Retries**: [`RetryPolicy`] (default [`RetryPolicy::new`]) as
///   `object_store`'s retry configuration, the only retry layer of the
///   store's requests.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> securitylake_core::Result<()> {
/// use securitylake_core::aws::AwsConfig;
/// use securitylake_core::layout::SourceLocation;
/// use securitylake_core::store::S3StoreBuilder;
///
/// let aws = AwsConfig::builder()
///     .region("us-east-1")
///     .static_credentials("AKIDEXAMPLE", "secret", None)
///     .load()
///     .await?;
/// let location = SourceLocation::parse("s3://aws-security-data-lake-eu-west-1-abc/ext/myapp/1.0/")?;
/// // The bucket and its region come from the location.
/// let store = S3StoreBuilder::new(&aws).location(&location).build()?;
/// assert!(store.to_string().contains("aws-security-data-lake-eu-west-1-abc"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct S3StoreBuilder {
    aws: AwsConfig,
    bucket: Option<String>,
    region: Option<String>,
    retry: RetryPolicy,
    checksum: bool,
    client_options: Option<ClientOptions>,
}

impl S3StoreBuilder {
    /// A builder using `aws` for credentials, region and endpoint.
    pub fn new(aws: &AwsConfig) -> Self {
        Self {
            aws: aws.clone(),
            bucket: None,
            region: None,
            retry: RetryPolicy::new(),
            checksum: true,
            client_options: None,
        }
    }

    /// The store of a source's location: its bucket, and the lake region
    /// read from the bucket name.
    pub fn location(mut self, location: &SourceLocation) -> Self {
        self.bucket = Some(location.bucket().to_owned());
        if self.region.is_none() {
            self.region = location.lake_region().map(|r| r.as_str().to_owned());
        }
        self
    }

    /// Sets the bucket (or use [`location`](Self::location)).
    pub fn bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = Some(bucket.into());
        self
    }

    /// Overrides the region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sets the retry policy of every request (default [`RetryPolicy::new`]).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Whether uploads carry a SHA-256 checksum (default `true`; turn it off
    /// only for S3-compatible servers that reject flexible checksums).
    pub fn checksum(mut self, enabled: bool) -> Self {
        self.checksum = enabled;
        self
    }

    /// Replaces the HTTP client options (timeouts, proxies, ...); the
    /// Parquet content type and plain HTTP for `http://` endpoints are added
    /// to them.
    pub fn client_options(mut self, options: ClientOptions) -> Self {
        self.client_options = Some(options);
        self
    }

    /// Builds the store. Fails with
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) without a bucket, a
    /// region or a credentials provider.
    pub fn build(self) -> Result<AmazonS3> {
        let bucket = self.bucket.ok_or_else(|| {
            Error::config("an S3 store needs a bucket (S3StoreBuilder::location or ::bucket)")
        })?;
        let region = self
            .region
            .or_else(|| self.aws.region().map(str::to_owned))
            .ok_or_else(|| Error::config("an S3 store needs a region"))?;
        let endpoint = self.aws.s3_endpoint_url();
        let mut options = self
            .client_options
            .unwrap_or_default()
            .with_content_type_for_suffix("parquet", PARQUET_CONTENT_TYPE);
        if endpoint
            .as_deref()
            .is_some_and(|e| e.starts_with("http://"))
        {
            options = options.with_allow_http(true);
        }
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&bucket)
            .with_region(&region)
            .with_credentials(Arc::new(SdkCredentialProvider::new(&self.aws)?))
            .with_conditional_put(S3ConditionalPut::ETagMatch)
            .with_retry(self.retry.object_store_config())
            .with_client_options(options);
        builder = match &endpoint {
            Some(url) => builder
                .with_endpoint(url.trim_end_matches('/'))
                .with_virtual_hosted_style_request(false),
            None => builder.with_virtual_hosted_style_request(!self.aws.is_force_path_style()),
        };
        if self.checksum {
            builder = builder.with_checksum_algorithm(Checksum::SHA256);
        }
        builder.build().map_err(|e| {
            Error::from_object_store(format!("configuring the S3 store of {bucket}"), e)
        })
    }
}

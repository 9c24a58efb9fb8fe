//! AWS configuration: credentials, region, endpoints, and role assumption.
//!
//! [`AwsConfig`] wraps the SDK's [`SdkConfig`]. [`AwsConfigBuilder::load`]
//! starts from `aws_config::defaults(BehaviorVersion::latest())`, so the
//! standard credential chain (environment, profiles, SSO, web identity, ECS,
//! IMDS), region chain and endpoint variables (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_S3`, ...) apply as in every AWS SDK. Explicit overrides
//! (region, endpoint URL, static credentials, path-style S3, an HTTP client)
//! exist for tests and emulators.
//!
//! Writing to a custom source and reading as a subscriber both go through a
//! role that Security Lake created: [`AwsConfig::assume_role`] returns a
//! configuration whose credentials come from STS `AssumeRole` with the
//! external id. Those credentials are held in the SDK's lazy identity cache,
//! which refreshes them before they expire: a cached identity is treated as
//! expired once the time left is below the refresh buffer
//! ([`AwsConfigBuilder::credentials_refresh_buffer`], default
//! [`DEFAULT_CREDENTIALS_REFRESH_BUFFER`], plus up to half of it in random
//! jitter), so a request never goes out with credentials that expire
//! mid-flight, and concurrent requests share one refresh.

use std::time::Duration;

use aws_config::identity::IdentityCache;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_smithy_runtime_api::client::http::{HttpClient, SharedHttpClient};

use crate::error::{Error, Result};
use crate::retry::RetryPolicy;

/// What to configure when no credentials were found.
pub(crate) const MISSING_CREDENTIALS_HINT: &str = "configure credentials with \
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile (AWS_PROFILE and ~/.aws/credentials, \
or SSO), web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN), an ECS task or EC2 \
instance role, or AwsConfigBuilder::static_credentials; writers then assume the source's \
provider role with AwsConfig::assume_role";

/// How long before expiry cached temporary credentials are refreshed by default.
pub const DEFAULT_CREDENTIALS_REFRESH_BUFFER: Duration = Duration::from_secs(5 * 60);
/// The default STS role session name.
pub const DEFAULT_SESSION_NAME: &str = "securitylake-rs";
/// The default requested lifetime of assumed-role credentials (1 hour).
pub const DEFAULT_SESSION_LENGTH: Duration = Duration::from_secs(3600);

/// Loaded AWS configuration, ready to build service clients.
#[derive(Debug, Clone)]
pub struct AwsConfig {
    sdk: SdkConfig,
    force_path_style: bool,
    refresh_buffer: Duration,
}

/// Builder of an [`AwsConfig`]; every setting is optional.
#[derive(Debug, Clone)]
pub struct AwsConfigBuilder {
    region: Option<String>,
    endpoint_url: Option<String>,
    credentials: Option<Credentials>,
    profile: Option<String>,
    force_path_style: bool,
    http_client: Option<SharedHttpClient>,
    retry: Option<RetryPolicy>,
    zero_attempts: bool,
    refresh_buffer: Duration,
}

impl AwsConfigBuilder {
    /// Overrides the region (otherwise `AWS_REGION`, the profile, IMDS, ...).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Overrides the endpoint of every service, for example
    /// `http://127.0.0.1:5000` for an emulator (otherwise `AWS_ENDPOINT_URL`
    /// and the per-service variables apply).
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Uses fixed credentials instead of the default chain.
    pub fn static_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        self.credentials = Some(Credentials::new(
            access_key_id,
            secret_access_key,
            session_token,
            None,
            "securitylake-static",
        ));
        self
    }

    /// Selects a named profile from the shared config files.
    pub fn profile_name(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Makes S3 clients address buckets by path (`http://host/bucket/key`), as
    /// local S3 servers need.
    pub fn force_path_style(mut self, force: bool) -> Self {
        self.force_path_style = force;
        self
    }

    /// Replaces the HTTP client (for tests: an in-process server).
    pub fn http_client(mut self, client: impl HttpClient + 'static) -> Self {
        self.http_client = Some(SharedHttpClient::new(client));
        self
    }

    /// Sets the retry policy of the SDK clients built from this
    /// configuration (the SDK's standard retry strategy with the policy's
    /// attempts and backoffs: [`RetryPolicy::sdk_config`]); otherwise the
    /// SDK's defaults apply. Object stores take their policy from
    /// [`S3StoreBuilder::retry_policy`](crate::store::S3StoreBuilder::retry_policy).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Shorthand for [`retry_policy`](Self::retry_policy) with the default
    /// policy and `attempts` attempts (0 is refused by [`load`](Self::load)).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.zero_attempts = attempts == 0;
        self.retry = Some(RetryPolicy::new().with_max_attempts(attempts));
        self
    }

    /// Sets how long before their expiry temporary credentials are refreshed
    /// (default [`DEFAULT_CREDENTIALS_REFRESH_BUFFER`]).
    pub fn credentials_refresh_buffer(mut self, buffer: Duration) -> Self {
        self.refresh_buffer = buffer;
        self
    }

    /// Loads the configuration. Fails with
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when no region can be
    /// determined or an override is malformed.
    pub async fn load(self) -> Result<AwsConfig> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = self.region {
            if region.is_empty() {
                return Err(Error::config("the region override is empty"));
            }
            loader = loader.region(Region::new(region));
        }
        if let Some(url) = self.endpoint_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(Error::config(format!(
                    "endpoint URL {url:?} must start with http:// or https://"
                )));
            }
            loader = loader.endpoint_url(url);
        }
        if let Some(credentials) = self.credentials {
            loader = loader.credentials_provider(credentials);
        }
        if let Some(profile) = self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(client) = self.http_client {
            loader = loader.http_client(client);
        }
        if self.zero_attempts {
            return Err(Error::config("max attempts must be at least 1"));
        }
        if let Some(retry) = self.retry {
            loader = loader.retry_config(retry.sdk_config());
        }
        loader = loader.identity_cache(lazy_cache(self.refresh_buffer));
        let sdk = loader.load().await;
        if sdk.region().is_none() {
            return Err(Error::config(
                "no AWS region: set AWS_REGION, a profile region, or AwsConfigBuilder::region",
            ));
        }
        Ok(AwsConfig {
            sdk,
            force_path_style: self.force_path_style,
            refresh_buffer: self.refresh_buffer,
        })
    }
}

/// The credentials provider of a configuration that has none: every
/// request fails with "credentials not loaded" (mapped to a `Config` error
/// with a hint) instead of going out unsigned.
#[derive(Debug)]
struct MissingCredentials;

impl ProvideCredentials for MissingCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(
            aws_credential_types::provider::error::CredentialsError::not_loaded(
                "the AWS configuration has no credentials provider",
            ),
        ))
    }
}

fn lazy_cache(buffer: Duration) -> aws_smithy_runtime_api::client::identity::SharedIdentityCache {
    IdentityCache::lazy().buffer_time(buffer).build()
}

impl AwsConfig {
    /// A builder with no overrides.
    pub fn builder() -> AwsConfigBuilder {
        AwsConfigBuilder {
            region: None,
            endpoint_url: None,
            credentials: None,
            profile: None,
            force_path_style: false,
            http_client: None,
            retry: None,
            zero_attempts: false,
            refresh_buffer: DEFAULT_CREDENTIALS_REFRESH_BUFFER,
        }
    }

    /// Loads the default configuration (the SDK's standard chains).
    pub async fn load_defaults() -> Result<Self> {
        Self::builder().load().await
    }

    /// Wraps an existing [`SdkConfig`].
    ///
    /// A configuration without a credentials provider would send unsigned
    /// requests, which S3 answers with a puzzling `AccessDenied`; it gets a
    /// provider that fails every request with
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) and a message saying
    /// which credentials to configure.
    pub fn from_sdk_config(sdk: SdkConfig) -> Self {
        let sdk = if sdk.credentials_provider().is_none() {
            sdk.to_builder()
                .credentials_provider(SharedCredentialsProvider::new(MissingCredentials))
                .build()
        } else {
            sdk
        };
        Self {
            sdk,
            force_path_style: false,
            refresh_buffer: DEFAULT_CREDENTIALS_REFRESH_BUFFER,
        }
    }

    /// Sets path-style addressing for S3 clients built from this configuration.
    pub fn with_force_path_style(mut self, force: bool) -> Self {
        self.force_path_style = force;
        self
    }

    /// The underlying SDK configuration, to build other service clients.
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk
    }

    /// The region.
    pub fn region(&self) -> Option<&str> {
        self.sdk.region().map(|r| r.as_ref())
    }

    /// Whether S3 clients use path-style addressing.
    pub fn is_force_path_style(&self) -> bool {
        self.force_path_style
    }

    /// How long before their expiry temporary credentials are refreshed.
    pub fn credentials_refresh_buffer(&self) -> Duration {
        self.refresh_buffer
    }

    /// The S3 endpoint, resolved as the AWS SDK for S3 resolves it: an
    /// explicit [`AwsConfigBuilder::endpoint_url`], else
    /// `AWS_ENDPOINT_URL_S3` (or the profile's `s3` `endpoint_url`), else
    /// `AWS_ENDPOINT_URL` (or the profile's `endpoint_url`); `None` for
    /// Amazon S3 itself.
    pub fn s3_endpoint_url(&self) -> Option<String> {
        if self.sdk.get_origin("endpoint_url").is_client_config() {
            return self.sdk.endpoint_url().map(str::to_owned);
        }
        let key = aws_types::service_config::ServiceConfigKey::builder()
            .service_id("S3")
            .env("AWS_ENDPOINT_URL")
            .profile("endpoint_url")
            .build()
            .ok()?;
        self.sdk
            .service_config()
            .and_then(|conf| conf.load_config(key))
            .or_else(|| self.sdk.endpoint_url().map(str::to_owned))
    }

    /// An S3 client.
    pub fn s3_client(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk)
            .force_path_style(self.force_path_style)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// An STS client.
    pub fn sts_client(&self) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.sdk)
    }

    /// A configuration whose credentials come from the given provider (for
    /// example an [`AssumeRoleProvider`]), cached in a fresh lazy identity
    /// cache that refreshes them before expiry.
    pub fn with_credentials_provider(&self, provider: impl ProvideCredentials + 'static) -> Self {
        let sdk = self
            .sdk
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .identity_cache(lazy_cache(self.refresh_buffer))
            .build();
        Self {
            sdk,
            force_path_style: self.force_path_style,
            refresh_buffer: self.refresh_buffer,
        }
    }

    /// A configuration that acts as the role of `builder`: this configuration's
    /// credentials call STS `AssumeRole`, and the temporary credentials are
    /// cached and refreshed before expiry.
    ///
    /// ```no_run
    /// # async fn example() -> securitylake_core::Result<()> {
    /// use securitylake_core::aws::{AssumeRoleProvider, AwsConfig};
    ///
    /// let base = AwsConfig::load_defaults().await?;
    /// let writer = base
    ///     .assume_role(
    ///         AssumeRoleProvider::builder("arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-app-us-east-1")
    ///             .external_id("my-external-id")
    ///             .session_name("app-writer"),
    ///     )
    ///     .await?;
    /// let s3 = writer.s3_client();
    /// # let _ = s3;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn assume_role(&self, builder: AssumeRoleProviderBuilder) -> Result<Self> {
        let provider = builder.build(self).await?;
        Ok(self.with_credentials_provider(provider))
    }
}

/// Credentials from STS `AssumeRole` into a role ARN, with an external id and a
/// session name, wrapping `aws_config::sts::AssumeRoleProvider`.
///
/// Every call of [`ProvideCredentials::provide_credentials`] asks STS; use it
/// through [`AwsConfig::with_credentials_provider`] or
/// [`AwsConfig::assume_role`], whose identity cache keeps the credentials
/// until shortly before they expire.
#[derive(Debug)]
pub struct AssumeRoleProvider {
    inner: aws_config::sts::AssumeRoleProvider,
    role_arn: String,
    session_name: String,
}

impl AssumeRoleProvider {
    /// A builder for assuming `role_arn`.
    pub fn builder(role_arn: impl Into<String>) -> AssumeRoleProviderBuilder {
        AssumeRoleProviderBuilder {
            role_arn: role_arn.into(),
            external_id: None,
            session_name: DEFAULT_SESSION_NAME.to_owned(),
            session_length: DEFAULT_SESSION_LENGTH,
            region: None,
        }
    }

    /// The role ARN.
    pub fn role_arn(&self) -> &str {
        &self.role_arn
    }

    /// The role session name.
    pub fn session_name(&self) -> &str {
        &self.session_name
    }
}

impl ProvideCredentials for AssumeRoleProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.inner.provide_credentials()
    }
}

/// Builder of an [`AssumeRoleProvider`].
#[derive(Debug, Clone)]
pub struct AssumeRoleProviderBuilder {
    role_arn: String,
    external_id: Option<String>,
    session_name: String,
    session_length: Duration,
    region: Option<String>,
}

impl AssumeRoleProviderBuilder {
    /// Sets the external id that the role's trust policy requires (Security
    /// Lake's `providerIdentity.externalId` / `subscriberIdentity.externalId`).
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// Sets the role session name, seen in CloudTrail (default
    /// [`DEFAULT_SESSION_NAME`]); 2 to 64 characters of `[A-Za-z0-9+=,.@_-]`.
    pub fn session_name(mut self, name: impl Into<String>) -> Self {
        self.session_name = name.into();
        self
    }

    /// Sets the requested credential lifetime, 15 minutes to 12 hours (default
    /// [`DEFAULT_SESSION_LENGTH`]; the role's maximum session duration caps it).
    pub fn session_length(mut self, length: Duration) -> Self {
        self.session_length = length;
        self
    }

    /// Sets the STS region (default: the base configuration's region).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Validates the settings and builds the provider, which calls STS with
    /// the credentials, region, endpoint and HTTP client of `base`.
    pub async fn build(self, base: &AwsConfig) -> Result<AssumeRoleProvider> {
        validate_role_arn(&self.role_arn)?;
        let name_ok = (2..=64).contains(&self.session_name.len())
            && self
                .session_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
        if !name_ok {
            return Err(Error::config(format!(
                "role session name {:?} must be 2 to 64 characters of [A-Za-z0-9+=,.@_-]",
                self.session_name
            )));
        }
        if let Some(id) = &self.external_id {
            let id_ok = (2..=1224).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/_-".contains(c));
            if !id_ok {
                return Err(Error::config(
                    "external id must be 2 to 1224 characters of [A-Za-z0-9+=,.@:/_-]",
                ));
            }
        }
        let secs = self.session_length.as_secs();
        if !(900..=43_200).contains(&secs) {
            return Err(Error::config(format!(
                "session length {secs}s must be between 900 and 43200 seconds"
            )));
        }
        let mut builder = aws_config::sts::AssumeRoleProvider::builder(self.role_arn.clone())
            .session_name(self.session_name.clone())
            .session_length(self.session_length)
            .configure(base.sdk_config());
        if let Some(id) = self.external_id {
            builder = builder.external_id(id);
        }
        if let Some(region) = self.region {
            builder = builder.region(Region::new(region));
        }
        Ok(AssumeRoleProvider {
            inner: builder.build().await,
            role_arn: self.role_arn,
            session_name: self.session_name,
        })
    }
}

/// Checks `arn:<partition>:iam::<12 digits>:role/<path/name>`.
fn validate_role_arn(arn: &str) -> Result<()> {
    let bad = || {
        Error::config(format!(
            "{arn:?} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
        ))
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(bad());
    };
    let ok = *prefix == "arn"
        && partition.starts_with("aws")
        && *service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource
            .strip_prefix("role/")
            .is_some_and(|name| !name.is_empty());
    if ok { Ok(()) } else { Err(bad()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn role_arns() {
        assert!(
            validate_role_arn(
                "arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-app-us-east-1"
            )
            .is_ok()
        );
        assert!(validate_role_arn("arn:aws-us-gov:iam::123456789012:role/path/name").is_ok());
        for bad in [
            "",
            "arn:aws:iam::123456789012:user/bob",
            "arn:aws:iam::12345678901:role/x",
            "arn:aws:sts::123456789012:role/x",
            "arn:aws:iam:us-east-1:123456789012:role/x",
            "arn:aws:iam::123456789012:role/",
        ] {
            assert!(validate_role_arn(bad).is_err(), "{bad}");
        }
    }

    async fn base() -> Result<AwsConfig> {
        AwsConfig::builder()
            .region("us-east-1")
            .static_credentials("AKID", "SECRET", None)
            .force_path_style(true)
            .load()
            .await
    }

    #[tokio::test]
    async fn builder_overrides_apply() -> Result<()> {
        let conf = base().await?;
        assert_eq!(conf.region(), Some("us-east-1"));
        assert!(conf.is_force_path_style());
        assert_eq!(
            conf.s3_client().config().region().map(|r| r.as_ref()),
            Some("us-east-1")
        );
        assert_eq!(
            conf.sts_client().config().region().map(|r| r.as_ref()),
            Some("us-east-1")
        );
        Ok(())
    }

    #[tokio::test]
    async fn malformed_overrides_are_config_errors() {
        let bad_url = AwsConfig::builder()
            .region("us-east-1")
            .endpoint_url("127.0.0.1:9000")
            .load()
            .await;
        assert_eq!(bad_url.err().map(|e| e.kind()), Some(ErrorKind::Config));
        let zero = AwsConfig::builder()
            .region("us-east-1")
            .max_attempts(0)
            .load()
            .await;
        assert_eq!(zero.err().map(|e| e.kind()), Some(ErrorKind::Config));
        let empty = AwsConfig::builder().region("").load().await;
        assert_eq!(empty.err().map(|e| e.kind()), Some(ErrorKind::Config));
    }

    #[tokio::test]
    async fn assume_role_settings_are_validated() -> Result<()> {
        let conf = base().await?;
        let arn = "arn:aws:iam::123456789012:role/r";
        let cases = [
            AssumeRoleProvider::builder("not-an-arn"),
            AssumeRoleProvider::builder(arn).session_name("x"),
            AssumeRoleProvider::builder(arn).session_name("has space"),
            AssumeRoleProvider::builder(arn).external_id("a"),
            AssumeRoleProvider::builder(arn).session_length(Duration::from_secs(60)),
            AssumeRoleProvider::builder(arn).session_length(Duration::from_secs(50_000)),
        ];
        for case in cases {
            let debug = format!("{case:?}");
            assert_eq!(
                case.build(&conf).await.err().map(|e| e.kind()),
                Some(ErrorKind::Config),
                "{debug}"
            );
        }
        let ok = AssumeRoleProvider::builder(arn)
            .external_id("ext-id")
            .session_name("writer")
            .build(&conf)
            .await?;
        assert_eq!(ok.role_arn(), arn);
        assert_eq!(ok.session_name(), "writer");
        Ok(())
    }
}

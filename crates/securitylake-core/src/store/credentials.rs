//! The bridge from the AWS SDK's credential providers to `object_store`'s.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use object_store::CredentialProvider;
use object_store::aws::AwsCredential;

use crate::aws::AwsConfig;
use crate::error::{Error, ErrorKind};

/// An `object_store` [`CredentialProvider`] that asks an AWS SDK credentials
/// provider: the default chain (environment, profiles, SSO, web identity,
/// ECS, IMDS), static keys, or [`AwsConfig::assume_role`]'s STS
/// `AssumeRole` with an external id.
///
/// The credentials are cached and shared by concurrent requests (one
/// refresh at a time); temporary credentials are refreshed once less than
/// the configuration's refresh buffer
/// ([`AwsConfigBuilder::credentials_refresh_buffer`](crate::aws::AwsConfigBuilder::credentials_refresh_buffer))
/// is left before they expire, so no request goes out with credentials that
/// expire in flight.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> securitylake_core::Result<()> {
/// use securitylake_core::aws::AwsConfig;
/// use securitylake_core::object_store::CredentialProvider;
/// use securitylake_core::store::SdkCredentialProvider;
///
/// let aws = AwsConfig::builder()
///     .region("us-east-1")
///     .static_credentials("AKIDEXAMPLE", "secret", None)
///     .load()
///     .await?;
/// let provider = SdkCredentialProvider::new(&aws)?;
/// let credential = provider.get_credential().await.map_err(securitylake_core::Error::from)?;
/// assert_eq!(credential.key_id, "AKIDEXAMPLE");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct SdkCredentialProvider {
    provider: SharedCredentialsProvider,
    refresh_buffer: Duration,
    cached: tokio::sync::Mutex<Option<Cached>>,
}

#[derive(Debug)]
struct Cached {
    credential: Arc<AwsCredential>,
    expiry: Option<SystemTime>,
}

impl SdkCredentialProvider {
    /// The credentials of `aws`. Fails with
    /// [`ErrorKind::Config`] when the configuration has no credentials
    /// provider.
    pub fn new(aws: &AwsConfig) -> crate::Result<Self> {
        let provider = aws.sdk_config().credentials_provider().ok_or_else(|| {
            Error::config(format!(
                "the AWS configuration has no credentials provider; {}",
                crate::aws::MISSING_CREDENTIALS_HINT
            ))
        })?;
        Ok(Self::from_provider(
            provider,
            aws.credentials_refresh_buffer(),
        ))
    }

    /// Credentials from any SDK provider, refreshed `refresh_buffer` before
    /// they expire.
    pub fn from_provider(provider: SharedCredentialsProvider, refresh_buffer: Duration) -> Self {
        Self {
            provider,
            refresh_buffer,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    fn fresh(&self, cached: &Cached) -> bool {
        match cached.expiry {
            None => true,
            Some(expiry) => SystemTime::now()
                .checked_add(self.refresh_buffer)
                .is_some_and(|deadline| deadline < expiry),
        }
    }
}

#[async_trait]
impl CredentialProvider for SdkCredentialProvider {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let mut cached = self.cached.lock().await;
        if let Some(entry) = cached.as_ref()
            && self.fresh(entry)
        {
            return Ok(entry.credential.clone());
        }
        let credentials = self.provider.provide_credentials().await.map_err(|e| {
            let kind = credentials_error_kind(&e).unwrap_or(ErrorKind::AccessDenied);
            let message = if kind == ErrorKind::Config {
                format!(
                    "no AWS credentials were found; {}",
                    crate::aws::MISSING_CREDENTIALS_HINT
                )
            } else {
                "could not obtain AWS credentials".to_owned()
            };
            object_store::Error::Generic {
                store: "S3",
                source: Box::new(Error::new(kind, message).with_source(e)),
            }
        })?;
        let credential = Arc::new(AwsCredential {
            key_id: credentials.access_key_id().to_owned(),
            secret_key: credentials.secret_access_key().to_owned(),
            token: credentials.session_token().map(str::to_owned),
        });
        *cached = Some(Cached {
            credential: credential.clone(),
            expiry: credentials.expiry(),
        });
        Ok(credential)
    }
}

/// The kind of a failure to obtain credentials, if that is what `err` (or
/// an error in its source chain) is.
pub(crate) fn credentials_error_kind(err: &(dyn std::error::Error + 'static)) -> Option<ErrorKind> {
    use aws_credential_types::provider::error::CredentialsError;
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(creds) = e.downcast_ref::<CredentialsError>() {
            return Some(match creds {
                CredentialsError::CredentialsNotLoaded(_)
                | CredentialsError::InvalidConfiguration(_) => ErrorKind::Config,
                CredentialsError::ProviderError(_) => ErrorKind::AccessDenied,
                _ => ErrorKind::Transient,
            });
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug)]
    struct Counting {
        calls: Arc<AtomicU32>,
        lifetime: Duration,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(
            &'a self,
        ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            aws_credential_types::provider::future::ProvideCredentials::ready(Ok(Credentials::new(
                format!("AKID{n}"),
                "secret",
                Some("token".into()),
                SystemTime::now().checked_add(self.lifetime),
                "test",
            )))
        }
    }

    fn provider(lifetime: Duration, buffer: Duration) -> (SdkCredentialProvider, Arc<AtomicU32>) {
        let calls = Arc::new(AtomicU32::new(0));
        let inner = SharedCredentialsProvider::new(Counting {
            calls: calls.clone(),
            lifetime,
        });
        (SdkCredentialProvider::from_provider(inner, buffer), calls)
    }

    #[tokio::test]
    async fn long_lived_credentials_are_cached() -> object_store::Result<()> {
        let (p, calls) = provider(Duration::from_secs(3600), Duration::from_secs(300));
        let a = p.get_credential().await?;
        let b = p.get_credential().await?;
        assert_eq!(a.key_id, "AKID0");
        assert_eq!(b.key_id, "AKID0");
        assert_eq!(b.token.as_deref(), Some("token"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        Ok(())
    }

    #[tokio::test]
    async fn credentials_inside_the_refresh_buffer_are_refreshed() -> object_store::Result<()> {
        let (p, calls) = provider(Duration::from_secs(60), Duration::from_secs(300));
        assert_eq!(p.get_credential().await?.key_id, "AKID0");
        assert_eq!(p.get_credential().await?.key_id, "AKID1");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        Ok(())
    }
}

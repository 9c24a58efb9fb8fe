//! The access keys the S3 endpoint accepts.
//!
//! A leaf module: the state holds the keys, the S3 endpoint checks requests
//! against them, STS adds temporary ones; none of those is needed here.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::SystemTime;

use s3s::auth::{S3Auth, SecretKey};
use s3s::{S3Result, s3_error};

#[derive(Debug, Clone)]
struct KeyEntry {
    secret: String,
    expires: Option<SystemTime>,
}

/// Access keys the S3 endpoint accepts: the configured long-term keys plus
/// the temporary keys issued by the emulator's STS `AssumeRole`.
///
/// S3 requests are SigV4-verified by `s3s` against these secrets (the
/// Security Lake routes are not verified; see the crate docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct DynamicAuth {
    keys: Arc<RwLock<HashMap<String, KeyEntry>>>,
}

impl DynamicAuth {
    pub fn register(&self, access_key: &str, secret: &str, expires: Option<SystemTime>) {
        self.keys
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                access_key.to_owned(),
                KeyEntry {
                    secret: secret.to_owned(),
                    expires,
                },
            );
    }
}

#[async_trait::async_trait]
impl S3Auth for DynamicAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        let entry = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(access_key)
            .cloned();
        match entry {
            None => Err(s3_error!(
                InvalidAccessKeyId,
                "The AWS access key id you provided does not exist in the emulator"
            )),
            Some(KeyEntry {
                expires: Some(expires),
                ..
            }) if expires <= SystemTime::now() => {
                Err(s3_error!(ExpiredToken, "The provided token has expired"))
            }
            Some(entry) => Ok(SecretKey::from(entry.secret)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn auth_refuses_unknown_and_expired_keys() {
        let auth = DynamicAuth::default();
        auth.register("AK", "SK", None);
        auth.register("OLD", "SK", Some(SystemTime::UNIX_EPOCH));
        assert!(auth.get_secret_key("AK").await.is_ok());
        assert!(auth.get_secret_key("OLD").await.is_err());
        assert!(auth.get_secret_key("NOPE").await.is_err());
    }
}

//! The stores the transform writes the lake with: one store for every source, or one per
//! custom source, each with the credentials of that source's provider role (Security Lake makes
//! one role per custom source: `AmazonSecurityLake-Provider-<source>-<region>`).

use std::collections::HashMap;
use std::sync::Arc;

use securitylake_core::aws::{AssumeRoleProvider, AwsConfig};
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::S3StoreBuilder;

use crate::error::Result;

/// The placeholder of the source name in a provider role ARN.
pub const SOURCE_PLACEHOLDER: &str = "{source}";

/// Where the lake is written.
#[derive(Debug)]
pub(crate) enum LakeStores {
    /// One store for every source.
    One(Arc<dyn ObjectStore>),
    /// An S3 store per source, assuming the role named by the template (with
    /// [`SOURCE_PLACEHOLDER`] replaced by the source name).
    PerSource {
        aws: Box<AwsConfig>,
        bucket: String,
        role_template: String,
        external_id: Option<String>,
        cache: tokio::sync::Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
    },
}

impl LakeStores {
    /// The store of source `name` (the role assumed once per source and cached).
    pub(crate) async fn store(&self, name: &str) -> Result<Arc<dyn ObjectStore>> {
        match self {
            LakeStores::One(store) => Ok(store.clone()),
            LakeStores::PerSource {
                aws,
                bucket,
                role_template,
                external_id,
                cache,
            } => {
                let mut cache = cache.lock().await;
                if let Some(store) = cache.get(name) {
                    return Ok(store.clone());
                }
                let mut provider =
                    AssumeRoleProvider::builder(role_template.replace(SOURCE_PLACEHOLDER, name))
                        .session_name("seclake-lambda");
                if let Some(id) = external_id {
                    provider = provider.external_id(id.clone());
                }
                let role = aws.assume_role(provider).await?;
                let store: Arc<dyn ObjectStore> =
                    Arc::new(S3StoreBuilder::new(&role).bucket(bucket.clone()).build()?);
                cache.insert(name.to_owned(), store.clone());
                Ok(store)
            }
        }
    }
}

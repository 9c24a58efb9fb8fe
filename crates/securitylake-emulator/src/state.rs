//! The emulator's in-memory control-plane state.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::auth::DynamicAuth;
use crate::delivery::Delivery;
use crate::fault::{Fault, Operation};
use crate::util::rfc3339;

/// How HTTPS notifications are delivered.
#[derive(Debug, Clone)]
pub(crate) struct DeliveryPolicy {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub timeout: Duration,
    pub encode_keys: bool,
}

/// Fixed settings of one emulator instance.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub region: String,
    pub account_id: String,
    pub bucket: String,
    pub data_dir: PathBuf,
    pub delivery: DeliveryPolicy,
}

impl Settings {
    /// `amazon_security_lake_glue_db_<region with _>`.
    pub fn glue_database(&self) -> String {
        format!(
            "amazon_security_lake_glue_db_{}",
            self.region.replace('-', "_")
        )
    }

    /// `amazon_security_lake_table_<region_>_ext_<name lowercased, non-alphanumerics to _>`.
    pub fn glue_table(&self, source_name: &str) -> String {
        let name: String = source_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!(
            "amazon_security_lake_table_{}_ext_{name}",
            self.region.replace('-', "_")
        )
    }

    pub fn provider_role_name(&self, source_name: &str) -> String {
        format!("AmazonSecurityLake-Provider-{source_name}-{}", self.region)
    }

    pub fn role_arn(&self, role_name: &str) -> String {
        format!("arn:aws:iam::{}:role/{role_name}", self.account_id)
    }

    pub fn glue_arn(&self, resource: &str) -> String {
        format!(
            "arn:aws:glue:{}:{}:{resource}",
            self.region, self.account_id
        )
    }
}

/// A registered custom log source.
#[derive(Debug, Clone)]
pub(crate) struct SourceRecord {
    pub name: String,
    pub version: Option<String>,
    pub event_classes: Vec<String>,
    pub crawler_role_arn: String,
    pub principal: String,
    pub external_id: String,
    pub provider_role_arn: String,
    pub location: String,
    pub crawler_arn: String,
    pub database_arn: String,
    pub table_arn: String,
}

impl SourceRecord {
    /// The key prefix of the source's objects inside the lake bucket.
    pub fn key_prefix(&self) -> String {
        match &self.version {
            Some(version) => format!("ext/{}/{version}/", self.name),
            None => format!("ext/{}/", self.name),
        }
    }

    /// The public snapshot.
    pub fn snapshot(&self) -> CustomSourceSnapshot {
        CustomSourceSnapshot {
            source_name: self.name.clone(),
            source_version: self.version.clone(),
            event_classes: self.event_classes.clone(),
            principal: self.principal.clone(),
            external_id: self.external_id.clone(),
            crawler_role_arn: self.crawler_role_arn.clone(),
            provider_role_arn: self.provider_role_arn.clone(),
            location: self.location.clone(),
        }
    }

    /// The `CustomLogSourceResource` JSON shape.
    pub fn to_json(&self) -> Value {
        let mut resource = json!({
            "sourceName": self.name,
            "provider": { "roleArn": self.provider_role_arn, "location": self.location },
            "attributes": {
                "crawlerArn": self.crawler_arn,
                "databaseArn": self.database_arn,
                "tableArn": self.table_arn,
            },
        });
        if let (Some(version), Some(object)) = (&self.version, resource.as_object_mut()) {
            object.insert("sourceVersion".to_owned(), json!(version));
        }
        resource
    }
}

/// What the emulator holds for a custom source, including the request
/// members that the API never returns (see
/// [`Emulator::custom_sources`](crate::Emulator::custom_sources)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CustomSourceSnapshot {
    /// `sourceName`.
    pub source_name: String,
    /// `sourceVersion`, if one was given.
    pub source_version: Option<String>,
    /// `eventClasses`, as sent.
    pub event_classes: Vec<String>,
    /// `configuration.providerIdentity.principal`.
    pub principal: String,
    /// `configuration.providerIdentity.externalId`.
    pub external_id: String,
    /// `configuration.crawlerConfiguration.roleArn`.
    pub crawler_role_arn: String,
    /// The provider role the emulator returned.
    pub provider_role_arn: String,
    /// The location the emulator returned.
    pub location: String,
}

/// A source a subscriber reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SubscribedSource {
    Aws {
        name: String,
        version: Option<String>,
    },
    Custom {
        name: String,
        version: Option<String>,
    },
}

/// Where a subscriber's notifications go.
#[derive(Debug, Clone)]
pub(crate) enum NotificationTarget {
    /// Recorded in an in-memory queue (the emulator has no SQS).
    Sqs,
    /// Delivered over HTTP.
    Https(HttpsTarget),
}

/// An HTTP(S) notification endpoint.
#[derive(Debug, Clone)]
pub(crate) struct HttpsTarget {
    pub endpoint: http::Uri,
    pub method: http::Method,
    pub api_key: Option<(http::HeaderName, http::HeaderValue)>,
}

/// A subscriber.
#[derive(Debug, Clone)]
pub(crate) struct SubscriberRecord {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub principal: String,
    pub external_id: String,
    pub sources: Vec<SubscribedSource>,
    pub access_types: Vec<String>,
    pub role_arn: String,
    pub resource_share_arn: Option<String>,
    pub resource_share_name: Option<String>,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
    pub endpoint: Option<String>,
    pub notification: Option<NotificationTarget>,
}

impl SubscriberRecord {
    pub fn arn(&self, settings: &Settings) -> String {
        format!(
            "arn:aws:securitylake:{}:{}:subscriber/{}",
            settings.region, settings.account_id, self.id
        )
    }

    /// The `SubscriberResource` JSON shape.
    pub fn to_json(&self, settings: &Settings, sources: &BTreeMap<String, SourceRecord>) -> Value {
        let source_json: Vec<Value> = self
            .sources
            .iter()
            .map(|source| match source {
                SubscribedSource::Aws { name, version } => {
                    let mut aws = json!({ "sourceName": name });
                    if let (Some(v), Some(o)) = (version, aws.as_object_mut()) {
                        o.insert("sourceVersion".to_owned(), json!(v));
                    }
                    json!({ "awsLogSource": aws })
                }
                SubscribedSource::Custom { name, version } => {
                    let custom = match sources.get(name) {
                        Some(record) => record.to_json(),
                        None => {
                            let mut custom = json!({ "sourceName": name });
                            if let (Some(v), Some(o)) = (version, custom.as_object_mut()) {
                                o.insert("sourceVersion".to_owned(), json!(v));
                            }
                            custom
                        }
                    };
                    json!({ "customLogSource": custom })
                }
            })
            .collect();
        let mut out = json!({
            "subscriberId": self.id,
            "subscriberArn": self.arn(settings),
            "subscriberIdentity": { "principal": self.principal, "externalId": self.external_id },
            "subscriberName": self.name,
            "sources": source_json,
            "accessTypes": self.access_types,
            "roleArn": self.role_arn,
            "s3BucketArn": format!("arn:aws:s3:::{}", settings.bucket),
            "subscriberStatus": "ACTIVE",
            "createdAt": rfc3339(self.created_at),
            "updatedAt": rfc3339(self.updated_at),
        });
        if let Some(object) = out.as_object_mut() {
            let optional = [
                ("subscriberDescription", &self.description),
                ("subscriberEndpoint", &self.endpoint),
                ("resourceShareArn", &self.resource_share_arn),
                ("resourceShareName", &self.resource_share_name),
            ];
            for (key, value) in optional {
                if let Some(value) = value {
                    object.insert(key.to_owned(), json!(value));
                }
            }
        }
        out
    }

    /// Whether an object key of the lake bucket belongs to one of the
    /// subscriber's sources.
    pub fn covers(&self, key: &str, sources: &BTreeMap<String, SourceRecord>) -> bool {
        self.sources.iter().any(|source| match source {
            SubscribedSource::Aws { name, version } => {
                let prefix = match version {
                    Some(v) => format!("aws/{name}/{v}/"),
                    None => format!("aws/{name}/"),
                };
                key.starts_with(&prefix)
            }
            SubscribedSource::Custom { name, .. } => sources
                .get(name)
                .is_some_and(|record| key.starts_with(&record.key_prefix())),
        })
    }
}

/// An object that was created through the S3 endpoint.
#[derive(Debug, Clone)]
pub(crate) struct ObjectCreated {
    pub bucket: String,
    pub key: String,
    pub reason: &'static str,
}

/// Mutable state behind one lock.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub sources: BTreeMap<String, SourceRecord>,
    pub subscribers: BTreeMap<String, SubscriberRecord>,
    pub faults: HashMap<Operation, VecDeque<Fault>>,
    pub counts: HashMap<Operation, u64>,
    pub queues: HashMap<String, VecDeque<String>>,
    pub deliveries: Vec<Delivery>,
}

/// Everything the request handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub settings: Settings,
    pub state: Mutex<State>,
    pub auth: DynamicAuth,
    pub events: mpsc::UnboundedSender<ObjectCreated>,
}

impl Shared {
    /// Locks the state. A panic while the lock was held cannot leave the
    /// maps half-updated (every update is a single insert or remove), so a
    /// poisoned lock is recovered.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A shared handle.
pub(crate) type SharedRef = Arc<Shared>;

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            region: "us-east-1".to_owned(),
            account_id: "123456789012".to_owned(),
            bucket: "aws-security-data-lake-us-east-1-emu123456789012".to_owned(),
            data_dir: PathBuf::from("/tmp"),
            delivery: DeliveryPolicy {
                max_attempts: 1,
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(1),
                timeout: Duration::from_secs(1),
                encode_keys: true,
            },
        }
    }

    fn record(name: &str, version: Option<&str>) -> SourceRecord {
        SourceRecord {
            name: name.to_owned(),
            version: version.map(str::to_owned),
            event_classes: vec![],
            crawler_role_arn: String::new(),
            principal: String::new(),
            external_id: String::new(),
            provider_role_arn: String::new(),
            location: String::new(),
            crawler_arn: String::new(),
            database_arn: String::new(),
            table_arn: String::new(),
        }
    }

    #[test]
    fn glue_names_follow_the_contract() {
        let s = settings();
        assert_eq!(s.glue_database(), "amazon_security_lake_glue_db_us_east_1");
        assert_eq!(
            s.glue_table("My-App.v:2"),
            "amazon_security_lake_table_us_east_1_ext_my_app_v_2"
        );
        assert_eq!(
            s.provider_role_name("myapp"),
            "AmazonSecurityLake-Provider-myapp-us-east-1"
        );
    }

    #[test]
    fn subscribers_cover_their_sources_only() {
        let mut sources = BTreeMap::new();
        sources.insert("app".to_owned(), record("app", Some("2.0")));
        sources.insert("other".to_owned(), record("other", None));
        let now = SystemTime::now();
        let sub = SubscriberRecord {
            id: "id".to_owned(),
            name: "n".to_owned(),
            description: None,
            principal: "p".to_owned(),
            external_id: "e".to_owned(),
            sources: vec![
                SubscribedSource::Custom {
                    name: "app".to_owned(),
                    version: None,
                },
                SubscribedSource::Aws {
                    name: "ROUTE53".to_owned(),
                    version: Some("2.0".to_owned()),
                },
            ],
            access_types: vec!["S3".to_owned()],
            role_arn: String::new(),
            resource_share_arn: None,
            resource_share_name: None,
            created_at: now,
            updated_at: now,
            endpoint: None,
            notification: None,
        };
        assert!(sub.covers("ext/app/2.0/region=x/f", &sources));
        assert!(!sub.covers("ext/app/region=x/f", &sources));
        assert!(!sub.covers("ext/other/region=x/f", &sources));
        assert!(sub.covers("aws/ROUTE53/2.0/region=x/f", &sources));
        assert!(!sub.covers("aws/ROUTE53/1.0/region=x/f", &sources));
        let json = sub.to_json(&settings(), &sources);
        assert_eq!(
            json["sources"][0]["customLogSource"]["sourceVersion"],
            "2.0"
        );
        assert_eq!(json["sources"][1]["awsLogSource"]["sourceName"], "ROUTE53");
        assert!(json.get("subscriberEndpoint").is_none());
    }
}

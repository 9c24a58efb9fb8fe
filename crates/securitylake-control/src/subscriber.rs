//! Subscribers: who may read which sources, and how they hear of new
//! objects.
//!
//! A [`SubscriberSpec`] names the subscriber, its AWS identity (principal and
//! external id), the sources it reads ([`SubscribedSource`]) and its
//! [`AccessType`]. [`SubscriberRegistrar::create`] creates it and returns the
//! [`RegisteredSubscriber`] (its id, the role it reads with, the bucket);
//! [`SubscriberRegistrar::create_notification`] then sets up how it is told
//! of new objects ([`Notification`]: an SQS queue Security Lake creates, or
//! an HTTPS endpoint). The data plane (`securitylake-subscriber`) reads from
//! there.
//!
//! # Retries
//!
//! `CreateSubscriber` makes a new subscriber each time it succeeds, so only
//! errors that show the request was not carried out (throttling, a
//! conflict) are retried, never a timeout or a 5xx after which a subscriber
//! may exist. Notification and delete calls act on one subscriber id and
//! are retried like any idempotent call.

use std::fmt;
use std::str::FromStr;

use aws_sdk_securitylake::types::{
    AwsIdentity, AwsLogSourceName, AwsLogSourceResource, CustomLogSourceResource, HttpMethod,
    HttpsNotificationConfiguration, LogSourceResource, NotificationConfiguration,
    SqsNotificationConfiguration,
};
use securitylake_core::aws::AwsConfig;
use securitylake_core::store::RetryPolicy;

use crate::error::{Error, ErrorKind, Result};
use crate::retry::{self, Idempotency};

/// The default retry policy of a [`SubscriberRegistrar`]: 5 attempts,
/// backoff ceilings from 200 ms up to 10 s.
pub const DEFAULT_RETRY_POLICY: RetryPolicy = RetryPolicy::new().with_max_attempts(5);
/// The longest subscriber name the API accepts.
pub const MAX_SUBSCRIBER_NAME_LEN: usize = 64;

/// A source a subscriber reads.
///
/// Parsed from `NAME` or `NAME:VERSION` with [`SubscribedSource::parse_custom`]
/// and [`SubscribedSource::parse_aws`] (the form the `seclake` CLI takes).
///
/// ```
/// use securitylake_control::SubscribedSource;
///
/// assert_eq!(
///     SubscribedSource::parse_aws("CLOUD_TRAIL_MGMT:2.0")?,
///     SubscribedSource::aws("CLOUD_TRAIL_MGMT", Some("2.0"))
/// );
/// assert_eq!(SubscribedSource::parse_custom("my-app")?, SubscribedSource::custom("my-app", None));
/// assert!(SubscribedSource::parse_custom(":1.0").is_err());
/// # Ok::<(), securitylake_control::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscribedSource {
    /// A custom source of the lake.
    Custom {
        /// The source name.
        name: String,
        /// The source version; all versions when absent.
        version: Option<String>,
    },
    /// A log source of AWS (`CLOUD_TRAIL_MGMT`, `VPC_FLOW`, `ROUTE53`, ...).
    Aws {
        /// The source name.
        name: String,
        /// The source version (`1.0`, `2.0`); the service's default when
        /// absent.
        version: Option<String>,
    },
}

fn split_version(spec: &str) -> Result<(String, Option<String>)> {
    let (name, version) = match spec.split_once(':') {
        Some((name, version)) => (name, Some(version).filter(|v| !v.is_empty())),
        None => (spec, None),
    };
    if name.is_empty() {
        return Err(Error::invalid_input(format!(
            "{spec:?} names no source (expected NAME or NAME:VERSION)"
        )));
    }
    Ok((name.to_owned(), version.map(str::to_owned)))
}

impl SubscribedSource {
    /// A custom source.
    pub fn custom(name: impl Into<String>, version: Option<&str>) -> Self {
        Self::Custom {
            name: name.into(),
            version: version.map(str::to_owned),
        }
    }

    /// An AWS source.
    pub fn aws(name: impl Into<String>, version: Option<&str>) -> Self {
        Self::Aws {
            name: name.into(),
            version: version.map(str::to_owned),
        }
    }

    /// A custom source from `NAME` or `NAME:VERSION`.
    pub fn parse_custom(spec: &str) -> Result<Self> {
        let (name, version) = split_version(spec)?;
        Ok(Self::Custom { name, version })
    }

    /// An AWS source from `NAME` or `NAME:VERSION`.
    pub fn parse_aws(spec: &str) -> Result<Self> {
        let (name, version) = split_version(spec)?;
        Ok(Self::Aws { name, version })
    }

    fn to_resource(&self) -> LogSourceResource {
        match self {
            Self::Custom { name, version } => LogSourceResource::CustomLogSource(
                CustomLogSourceResource::builder()
                    .source_name(name)
                    .set_source_version(version.clone())
                    .build(),
            ),
            Self::Aws { name, version } => LogSourceResource::AwsLogSource(
                AwsLogSourceResource::builder()
                    .source_name(AwsLogSourceName::from(name.as_str()))
                    .set_source_version(version.clone())
                    .build(),
            ),
        }
    }
}

/// How a subscriber reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AccessType {
    /// Data access: the subscriber reads the objects from S3.
    #[default]
    S3,
    /// Query access: the tables are shared through Lake Formation.
    LakeFormation,
}

impl AccessType {
    fn to_sdk(self) -> aws_sdk_securitylake::types::AccessType {
        match self {
            Self::S3 => aws_sdk_securitylake::types::AccessType::S3,
            Self::LakeFormation => aws_sdk_securitylake::types::AccessType::Lakeformation,
        }
    }
}

impl FromStr for AccessType {
    type Err = Error;

    /// `s3` or `lakeformation`, in any case.
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "s3" => Ok(Self::S3),
            "lakeformation" => Ok(Self::LakeFormation),
            _ => Err(Error::invalid_input(format!(
                "access type {s:?} is neither s3 nor lakeformation"
            ))),
        }
    }
}

/// The specification of a subscriber.
///
/// ```
/// use securitylake_control::{AccessType, SubscribedSource, SubscriberSpec};
///
/// let spec = SubscriberSpec::builder("siem")
///     .principal("210987654321")
///     .external_id("siem-external-id")
///     .source(SubscribedSource::custom("my-app", Some("1.0")))
///     .source(SubscribedSource::aws("CLOUD_TRAIL_MGMT", Some("2.0")))
///     .access_type(AccessType::S3)
///     .build()?;
/// assert_eq!(spec.sources().len(), 2);
/// assert!(SubscriberSpec::builder("siem").principal("210987654321").external_id("x").build().is_err());
/// # Ok::<(), securitylake_control::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberSpec {
    name: String,
    principal: String,
    external_id: String,
    sources: Vec<SubscribedSource>,
    access_type: AccessType,
    description: Option<String>,
}

impl SubscriberSpec {
    /// A builder for a subscriber named `name`.
    pub fn builder(name: impl Into<String>) -> SubscriberSpecBuilder {
        SubscriberSpecBuilder {
            name: name.into(),
            principal: None,
            external_id: None,
            sources: Vec::new(),
            access_type: AccessType::default(),
            description: None,
        }
    }

    /// The subscriber name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The subscriber's AWS account id.
    pub fn principal(&self) -> &str {
        &self.principal
    }

    /// The external id of the subscriber's role.
    pub fn external_id(&self) -> &str {
        &self.external_id
    }

    /// The sources read.
    pub fn sources(&self) -> &[SubscribedSource] {
        &self.sources
    }

    /// The access type.
    pub fn access_type(&self) -> AccessType {
        self.access_type
    }

    /// The description, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

/// Builder of a [`SubscriberSpec`]; [`build`](Self::build) validates.
#[derive(Debug, Clone)]
pub struct SubscriberSpecBuilder {
    name: String,
    principal: Option<String>,
    external_id: Option<String>,
    sources: Vec<SubscribedSource>,
    access_type: AccessType,
    description: Option<String>,
}

impl SubscriberSpecBuilder {
    /// Sets the subscriber's AWS account id (required).
    pub fn principal(mut self, principal: impl Into<String>) -> Self {
        self.principal = Some(principal.into());
        self
    }

    /// Sets the external id the subscriber assumes its role with (required).
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// Adds a source to read (at least one is required).
    pub fn source(mut self, source: SubscribedSource) -> Self {
        self.sources.push(source);
        self
    }

    /// Sets the access type (default [`AccessType::S3`]).
    pub fn access_type(mut self, access_type: AccessType) -> Self {
        self.access_type = access_type;
        self
    }

    /// Sets a description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Validates and builds the specification: a name of 1 to
    /// [`MAX_SUBSCRIBER_NAME_LEN`] printable characters, a 12-digit
    /// principal, an external id and at least one source, else
    /// [`ErrorKind::InvalidInput`].
    pub fn build(self) -> Result<SubscriberSpec> {
        let len = self.name.chars().count();
        if !(1..=MAX_SUBSCRIBER_NAME_LEN).contains(&len) || self.name.chars().any(char::is_control)
        {
            return Err(Error::invalid_input(format!(
                "subscriber name {:?} must be 1 to {MAX_SUBSCRIBER_NAME_LEN} printable characters",
                self.name
            )));
        }
        let principal = self
            .principal
            .ok_or_else(|| Error::invalid_input("the subscriber's principal is required"))?;
        if principal.len() != 12 || !principal.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid_input(format!(
                "principal {principal:?} is not a 12-digit AWS account id"
            )));
        }
        let external_id = self
            .external_id
            .filter(|e| !e.is_empty())
            .ok_or_else(|| Error::invalid_input("the subscriber's external id is required"))?;
        if self.sources.is_empty() {
            return Err(Error::invalid_input(
                "name at least one source for the subscriber to read",
            ));
        }
        Ok(SubscriberSpec {
            name: self.name,
            principal,
            external_id,
            sources: self.sources,
            access_type: self.access_type,
            description: self.description,
        })
    }
}

/// A subscriber as Security Lake created it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegisteredSubscriber {
    /// The subscriber id, which notification calls take.
    pub subscriber_id: String,
    /// The subscriber ARN.
    pub subscriber_arn: String,
    /// The subscriber name.
    pub subscriber_name: String,
    /// The role the subscriber reads with (S3 access).
    pub role_arn: Option<String>,
    /// The bucket the subscriber reads (S3 access).
    pub s3_bucket_arn: Option<String>,
    /// Where notifications go, once set up.
    pub subscriber_endpoint: Option<String>,
    /// The Lake Formation resource share (query access).
    pub resource_share_arn: Option<String>,
}

/// How a subscriber is told of new objects.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notification {
    /// Security Lake creates an SQS queue and sends a message per new object.
    Sqs,
    /// Security Lake calls an HTTPS endpoint per new object.
    Https(HttpsNotification),
}

/// The HTTP method of an HTTPS notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NotificationMethod {
    /// `POST` (the default).
    #[default]
    Post,
    /// `PUT`.
    Put,
}

impl FromStr for NotificationMethod {
    type Err = Error;

    /// `POST` or `PUT`, in any case.
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_uppercase().as_str() {
            "POST" => Ok(Self::Post),
            "PUT" => Ok(Self::Put),
            _ => Err(Error::invalid_input(format!(
                "HTTP method {s:?} is neither POST nor PUT"
            ))),
        }
    }
}

/// An HTTPS notification endpoint (an EventBridge API destination).
///
/// ```
/// use securitylake_control::{HttpsNotification, Notification, NotificationMethod};
///
/// let https = HttpsNotification::new(
///     "https://siem.example.com/security-lake",
///     "arn:aws:iam::123456789012:role/EventBridgeApiDestinations",
/// )
/// .method(NotificationMethod::Put)
/// .api_key("x-api-key", "secret");
/// let notification = Notification::Https(https);
/// # let _ = notification;
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct HttpsNotification {
    endpoint: String,
    target_role_arn: String,
    method: NotificationMethod,
    api_key: Option<(String, String)>,
}

impl fmt::Debug for HttpsNotification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsNotification")
            .field("endpoint", &self.endpoint)
            .field("target_role_arn", &self.target_role_arn)
            .field("method", &self.method)
            .field("api_key_name", &self.api_key.as_ref().map(|(name, _)| name))
            .finish_non_exhaustive()
    }
}

impl HttpsNotification {
    /// Notifications to `endpoint`, sent by EventBridge as `target_role_arn`.
    pub fn new(endpoint: impl Into<String>, target_role_arn: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            target_role_arn: target_role_arn.into(),
            method: NotificationMethod::default(),
            api_key: None,
        }
    }

    /// Sets the HTTP method.
    pub fn method(mut self, method: NotificationMethod) -> Self {
        self.method = method;
        self
    }

    /// Sends an API-key header `name: value` with each notification.
    pub fn api_key(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.api_key = Some((name.into(), value.into()));
        self
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

impl Notification {
    fn to_sdk(&self) -> Result<NotificationConfiguration> {
        Ok(match self {
            Self::Sqs => NotificationConfiguration::SqsNotificationConfiguration(
                SqsNotificationConfiguration::builder().build(),
            ),
            Self::Https(https) => {
                let mut builder = HttpsNotificationConfiguration::builder()
                    .endpoint(&https.endpoint)
                    .target_role_arn(&https.target_role_arn)
                    .http_method(match https.method {
                        NotificationMethod::Post => HttpMethod::Post,
                        NotificationMethod::Put => HttpMethod::Put,
                    });
                if let Some((name, value)) = &https.api_key {
                    builder = builder
                        .authorization_api_key_name(name)
                        .authorization_api_key_value(value);
                }
                NotificationConfiguration::HttpsNotificationConfiguration(builder.build().map_err(
                    |e| Error::invalid_input("the HTTPS notification is incomplete").with_source(e),
                )?)
            }
        })
    }
}

/// Creates and deletes subscribers and their notifications.
///
/// ```no_run
/// use securitylake_control::{Notification, SubscribedSource, SubscriberRegistrar, SubscriberSpec};
/// use securitylake_core::aws::AwsConfig;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let subscribers = SubscriberRegistrar::new(&AwsConfig::load_defaults().await?);
/// let spec = SubscriberSpec::builder("siem")
///     .principal("210987654321")
///     .external_id("siem-external-id")
///     .source(SubscribedSource::custom("my-app", None))
///     .build()?;
/// let subscriber = subscribers.create(&spec).await?;
/// let queue = subscribers
///     .create_notification(&subscriber.subscriber_id, &Notification::Sqs)
///     .await?;
/// println!("{} reads as {:?}, notified at {queue:?}", subscriber.subscriber_id, subscriber.role_arn);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SubscriberRegistrar {
    client: aws_sdk_securitylake::Client,
    retry: RetryPolicy,
}

impl SubscriberRegistrar {
    /// A registrar of the lake that `config` points at, with
    /// [`DEFAULT_RETRY_POLICY`].
    pub fn new(config: &AwsConfig) -> Self {
        Self {
            client: crate::clients::securitylake(config),
            retry: DEFAULT_RETRY_POLICY,
        }
    }

    /// Replaces the retry policy.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Creates a subscriber. Each success creates a new subscriber (the
    /// service has no idempotency token for it); see the [module
    /// docs](self) for what is retried.
    pub async fn create(&self, spec: &SubscriberSpec) -> Result<RegisteredSubscriber> {
        let identity = AwsIdentity::builder()
            .principal(spec.principal())
            .external_id(spec.external_id())
            .build()
            .map_err(|e| {
                Error::invalid_input("the subscriber identity is incomplete").with_source(e)
            })?;
        let sources: Vec<LogSourceResource> = spec
            .sources()
            .iter()
            .map(SubscribedSource::to_resource)
            .collect();
        retry::run(
            &self.retry,
            "CreateSubscriber",
            Idempotency::CreatesOnEachSuccess,
            || async {
                let output = self
                    .client
                    .create_subscriber()
                    .subscriber_name(spec.name())
                    .subscriber_identity(identity.clone())
                    .set_sources(Some(sources.clone()))
                    .access_types(spec.access_type().to_sdk())
                    .set_subscriber_description(spec.description().map(str::to_owned))
                    .send()
                    .await
                    .map_err(|e| Error::from_sdk("CreateSubscriber", e))?;
                let sub = output.subscriber().ok_or_else(|| {
                    Error::new(
                        ErrorKind::Service,
                        "CreateSubscriber returned no subscriber",
                    )
                })?;
                Ok(RegisteredSubscriber {
                    subscriber_id: sub.subscriber_id().to_owned(),
                    subscriber_arn: sub.subscriber_arn().to_owned(),
                    subscriber_name: sub.subscriber_name().to_owned(),
                    role_arn: sub.role_arn().map(str::to_owned),
                    s3_bucket_arn: sub.s3_bucket_arn().map(str::to_owned),
                    subscriber_endpoint: sub.subscriber_endpoint().map(str::to_owned),
                    resource_share_arn: sub.resource_share_arn().map(str::to_owned),
                })
            },
        )
        .await
    }

    /// Sets up how subscriber `subscriber_id` is notified; returns the
    /// endpoint the service reports (the queue URL or the HTTPS endpoint).
    /// A subscriber that already has a notification gets
    /// [`ErrorKind::AlreadyExists`] at once (the service's conflict, which no
    /// retry resolves).
    pub async fn create_notification(
        &self,
        subscriber_id: &str,
        notification: &Notification,
    ) -> Result<Option<String>> {
        if subscriber_id.is_empty() {
            return Err(Error::invalid_input("the subscriber id is empty"));
        }
        let configuration = notification.to_sdk()?;
        retry::run(
            &self.retry,
            "CreateSubscriberNotification",
            Idempotency::Idempotent,
            || async {
                let output = self
                    .client
                    .create_subscriber_notification()
                    .subscriber_id(subscriber_id)
                    .configuration(configuration.clone())
                    .send()
                    .await
                    .map_err(|e| {
                        let err = Error::from_sdk("CreateSubscriberNotification", e);
                        // A subscriber has at most one notification: a conflict
                        // means it exists, which waiting does not change.
                        if err.kind() == ErrorKind::Conflict {
                            err.with_kind(ErrorKind::AlreadyExists)
                        } else {
                            err
                        }
                    })?;
                Ok(output.subscriber_endpoint().map(str::to_owned))
            },
        )
        .await
    }

    /// Deletes subscriber `subscriber_id`. Deleting an absent subscriber
    /// succeeds.
    pub async fn delete(&self, subscriber_id: &str) -> Result<()> {
        if subscriber_id.is_empty() {
            return Err(Error::invalid_input("the subscriber id is empty"));
        }
        retry::run(
            &self.retry,
            "DeleteSubscriber",
            Idempotency::Idempotent,
            || async {
                match self
                    .client
                    .delete_subscriber()
                    .subscriber_id(subscriber_id)
                    .send()
                    .await
                {
                    Ok(_) => Ok(()),
                    Err(e) => {
                        let err = Error::from_sdk("DeleteSubscriber", e);
                        if err.kind() == ErrorKind::NotFound {
                            Ok(())
                        } else {
                            Err(err)
                        }
                    }
                }
            },
        )
        .await
    }
}

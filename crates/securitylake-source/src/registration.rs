//! Registering custom sources with Security Lake, idempotently.
//!
//! A [`CustomSource`] is the specification of one custom source; a
//! [`Registrar`] reconciles it with the service through
//! `aws-sdk-securitylake`: it lists the existing sources (all pages), creates
//! the source when it is absent, and otherwise reports how the existing
//! source differs from the specification ([`Drift`]) **without changing it**
//! (Security Lake has no update call for custom sources; changing one means
//! deleting and re-creating it, which is left to the caller).
//!
//! The result is a [`RegisteredSource`] built from the API response — the
//! provider role and the location are never derived from the name.
//!
//! # What drift can be seen
//!
//! `ListLogSources` returns a custom source's name, version, provider
//! (`roleArn`, `location`) and Glue attributes, but not its event classes,
//! provider identity or crawler role. Drift is therefore reported for the
//! source version only; a change of the other fields is invisible to this
//! API and goes unreported.
//!
//! # Retries
//!
//! `409 ConflictException` and `429 ThrottlingException` (and transient
//! failures) are retried with exponential backoff and full jitter, waiting at
//! least the `Retry-After` the service sent (capped at the policy's maximum
//! backoff). A conflict on create (someone else registering the same source
//! concurrently) is resolved by listing again. Other errors are returned
//! typed at once. These retries come on top of the SDK client's own retry
//! configuration.

use std::fmt;

use aws_sdk_securitylake::types::{
    AwsIdentity, CustomLogSourceConfiguration, CustomLogSourceCrawlerConfiguration,
    CustomLogSourceResource, LogSourceResource,
};
use securitylake_core::layout::{LakeSource, SourceLocation};
use securitylake_core::store::RetryPolicy;

use crate::error::{Error, ErrorKind, Result};

/// The longest source name accepted: 20 characters, so that the provider
/// role name `AmazonSecurityLake-Provider-<name>-<region>` stays within
/// IAM's 64 characters in every region.
pub const MAX_SOURCE_NAME_LEN: usize = 20;
/// The longest source version accepted.
pub const MAX_SOURCE_VERSION_LEN: usize = 32;
/// The default retry policy of a [`Registrar`]: 5 attempts, backoff ceilings
/// from 200 ms up to 10 s.
pub const DEFAULT_RETRY_POLICY: RetryPolicy = RetryPolicy::new().with_max_attempts(5);

/// The specification of a custom source.
///
/// ```
/// use securitylake_source::CustomSource;
///
/// let spec = CustomSource::builder("my-app")
///     .version("1.0")
///     .event_class("AUTHENTICATION")
///     .principal("123456789012")
///     .external_id("my-external-id")
///     .crawler_role_arn("arn:aws:iam::123456789012:role/GlueCrawler")
///     .build()?;
/// assert_eq!(spec.name(), "my-app");
/// assert_eq!(spec.event_classes(), ["AUTHENTICATION"]);
///
/// let too_long = CustomSource::builder("a-name-longer-than-twenty")
///     .event_class("AUTHENTICATION")
///     .principal("123456789012")
///     .external_id("x")
///     .crawler_role_arn("arn:aws:iam::123456789012:role/GlueCrawler")
///     .build();
/// assert!(too_long.is_err());
/// # Ok::<(), securitylake_source::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomSource {
    name: String,
    version: Option<String>,
    event_classes: Vec<String>,
    principal: String,
    external_id: String,
    crawler_role_arn: String,
}

impl CustomSource {
    /// A builder for a source named `name`.
    pub fn builder(name: impl Into<String>) -> CustomSourceBuilder {
        CustomSourceBuilder {
            name: name.into(),
            version: None,
            event_classes: Vec::new(),
            principal: None,
            external_id: None,
            crawler_role_arn: None,
        }
    }

    /// The source name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The source version, if one is given.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The OCSF event class names (such as `AUTHENTICATION`), passed through
    /// to the API as given.
    pub fn event_classes(&self) -> &[String] {
        &self.event_classes
    }

    /// The principal (AWS account id) allowed to write to the source.
    pub fn principal(&self) -> &str {
        &self.principal
    }

    /// The external id that the provider role requires.
    pub fn external_id(&self) -> &str {
        &self.external_id
    }

    /// The role that the source's Glue crawler runs as.
    pub fn crawler_role_arn(&self) -> &str {
        &self.crawler_role_arn
    }
}

/// Builder of a [`CustomSource`]; [`build`](Self::build) validates.
#[derive(Debug, Clone)]
pub struct CustomSourceBuilder {
    name: String,
    version: Option<String>,
    event_classes: Vec<String>,
    principal: Option<String>,
    external_id: Option<String>,
    crawler_role_arn: Option<String>,
}

impl CustomSourceBuilder {
    /// Sets the source version: 1 to 32 characters of `[A-Za-z0-9\-._]`.
    /// Sources created with a version get the location
    /// `.../ext/<name>/<version>/`.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Adds an OCSF event class name such as `AUTHENTICATION` (required; the
    /// accepted list differs between AWS documents, so names are not
    /// checked against one). Security Lake expects one class per custom
    /// source: register one source per class.
    pub fn event_class(mut self, class: impl Into<String>) -> Self {
        self.event_classes.push(class.into());
        self
    }

    /// Sets the principal (the AWS account id) that writes to the source
    /// (required).
    pub fn principal(mut self, principal: impl Into<String>) -> Self {
        self.principal = Some(principal.into());
        self
    }

    /// Sets the external id required to assume the provider role (required).
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// Sets the IAM role ARN of the source's Glue crawler (required).
    pub fn crawler_role_arn(mut self, arn: impl Into<String>) -> Self {
        self.crawler_role_arn = Some(arn.into());
        self
    }

    /// Validates and builds the specification.
    ///
    /// Fails with [`ErrorKind::InvalidInput`] when the name is not 1 to
    /// [`MAX_SOURCE_NAME_LEN`] characters of `[A-Za-z0-9_\-:.]`, the version
    /// is not 1 to [`MAX_SOURCE_VERSION_LEN`] characters of
    /// `[A-Za-z0-9\-._]`, no event class or an empty or duplicate one is
    /// given, the principal is not a 12-digit account id, the external id is
    /// missing, or the crawler role is not an IAM role ARN.
    pub fn build(self) -> Result<CustomSource> {
        validate_name(&self.name)?;
        if let Some(version) = &self.version {
            validate_version(version)?;
        }
        if self.event_classes.is_empty() {
            return Err(Error::invalid_input(format!(
                "custom source {:?} needs an OCSF event class",
                self.name
            )));
        }
        for (i, class) in self.event_classes.iter().enumerate() {
            if class.is_empty() || class.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(Error::invalid_input(format!(
                    "event class {class:?} is empty or contains whitespace"
                )));
            }
            if self.event_classes[..i].contains(class) {
                return Err(Error::invalid_input(format!(
                    "event class {class:?} is given twice"
                )));
            }
        }
        let principal = self
            .principal
            .ok_or_else(|| Error::invalid_input("the principal (account id) is required"))?;
        if principal.len() != 12 || !principal.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid_input(format!(
                "principal {principal:?} is not a 12-digit AWS account id"
            )));
        }
        let external_id = self
            .external_id
            .filter(|e| !e.is_empty())
            .ok_or_else(|| Error::invalid_input("the external id is required"))?;
        let crawler_role_arn = self
            .crawler_role_arn
            .ok_or_else(|| Error::invalid_input("the Glue crawler role ARN is required"))?;
        validate_role_arn(&crawler_role_arn)?;
        Ok(CustomSource {
            name: self.name,
            version: self.version,
            event_classes: self.event_classes,
            principal,
            external_id,
            crawler_role_arn,
        })
    }
}

fn validate_name(name: &str) -> Result<()> {
    let len = name.chars().count();
    if !(1..=MAX_SOURCE_NAME_LEN).contains(&len) {
        return Err(Error::invalid_input(format!(
            "source name {name:?} must be 1 to {MAX_SOURCE_NAME_LEN} characters, got {len}"
        )));
    }
    validate_api_name(name)
}

/// The API's pattern for source names, `[\w\-_:.]`.
fn validate_api_name(name: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > 64 {
        return Err(Error::invalid_input(format!(
            "source name {name:?} must be 1 to 64 characters"
        )));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.')))
    {
        return Err(Error::invalid_input(format!(
            "source name {name:?} contains {c:?}; allowed are A-Z a-z 0-9 _ - : ."
        )));
    }
    Ok(())
}

fn validate_version(version: &str) -> Result<()> {
    let len = version.chars().count();
    if !(1..=MAX_SOURCE_VERSION_LEN).contains(&len)
        || !version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(Error::invalid_input(format!(
            "source version {version:?} must be 1 to {MAX_SOURCE_VERSION_LEN} characters of \
             A-Z a-z 0-9 - . _"
        )));
    }
    Ok(())
}

fn validate_role_arn(arn: &str) -> Result<()> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = matches!(
        parts.as_slice(),
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty())
    );
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "{arn:?} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
        )))
    }
}

/// A custom source as Security Lake registered it.
///
/// Every value comes from the API response (`CreateCustomLogSource` or
/// `ListLogSources`); writers use [`provider_role_arn`](Self::provider_role_arn)
/// and [`location`](Self::location) as given.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegisteredSource {
    /// The source name.
    pub source_name: String,
    /// The source version, when the source has one.
    pub source_version: Option<String>,
    /// The role writers assume (with the external id) to write objects.
    pub provider_role_arn: String,
    /// Where the source's objects go (`provider.location`).
    pub location: SourceLocation,
    /// The source's Glue crawler ARN, if returned.
    pub crawler_arn: Option<String>,
    /// The Glue database ARN, if returned.
    pub database_arn: Option<String>,
    /// The Glue table ARN, if returned.
    pub table_arn: Option<String>,
}

impl RegisteredSource {
    /// Reads a source from the API's `CustomLogSourceResource`.
    ///
    /// Fails with [`ErrorKind::Service`] when the name, the provider role or
    /// the location is missing, or the location is not a custom-source
    /// location (`s3://<bucket>/ext/<name>/[<version>/]`).
    ///
    /// ```
    /// use aws_sdk_securitylake::types::{CustomLogSourceProvider, CustomLogSourceResource};
    /// use securitylake_source::RegisteredSource;
    ///
    /// let resource = CustomLogSourceResource::builder()
    ///     .source_name("my-app")
    ///     .source_version("1.0")
    ///     .provider(
    ///         CustomLogSourceProvider::builder()
    ///             .role_arn("arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-my-app-us-east-1")
    ///             .location("s3://aws-security-data-lake-us-east-1-abc/ext/my-app/1.0/")
    ///             .build(),
    ///     )
    ///     .build();
    /// let source = RegisteredSource::from_resource(&resource)?;
    /// assert_eq!(source.location.prefix(), "ext/my-app/1.0/");
    /// assert_eq!(source.source_version.as_deref(), Some("1.0"));
    /// # Ok::<(), securitylake_source::Error>(())
    /// ```
    pub fn from_resource(resource: &CustomLogSourceResource) -> Result<Self> {
        let invalid = |what: &str| {
            Error::new(
                ErrorKind::Service,
                format!("Security Lake returned a custom source without {what}"),
            )
        };
        let source_name = resource
            .source_name()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid("a sourceName"))?
            .to_owned();
        let provider = resource.provider().ok_or_else(|| invalid("a provider"))?;
        let provider_role_arn = provider
            .role_arn()
            .filter(|r| !r.is_empty())
            .ok_or_else(|| invalid("provider.roleArn"))?
            .to_owned();
        let raw_location = provider
            .location()
            .ok_or_else(|| invalid("provider.location"))?;
        let location = SourceLocation::parse(raw_location).map_err(|e| {
            Error::new(
                ErrorKind::Service,
                format!("Security Lake returned an unusable location {raw_location:?}"),
            )
            .with_source(e)
        })?;
        if !matches!(location.source(), LakeSource::Custom(_)) {
            return Err(Error::new(
                ErrorKind::Service,
                format!(
                    "location {raw_location:?} of custom source {source_name} is not under ext/"
                ),
            ));
        }
        let attributes = resource.attributes();
        Ok(Self {
            source_name,
            source_version: resource.source_version().map(str::to_owned),
            provider_role_arn,
            location,
            crawler_arn: attributes.and_then(|a| a.crawler_arn()).map(str::to_owned),
            database_arn: attributes.and_then(|a| a.database_arn()).map(str::to_owned),
            table_arn: attributes.and_then(|a| a.table_arn()).map(str::to_owned),
        })
    }

    /// The Glue database name, from `databaseArn`
    /// (`arn:aws:glue:<region>:<account>:database/<name>`).
    pub fn glue_database(&self) -> Option<&str> {
        arn_resource(self.database_arn.as_deref()?, "database/")
    }

    /// The Glue table name, from `tableArn`
    /// (`arn:aws:glue:<region>:<account>:table/<database>/<table>`).
    pub fn glue_table(&self) -> Option<&str> {
        let rest = arn_resource(self.table_arn.as_deref()?, "table/")?;
        rest.split_once('/')
            .map(|(_, table)| table)
            .filter(|t| !t.is_empty())
    }

    /// The Glue crawler name, from `crawlerArn`
    /// (`arn:aws:glue:<region>:<account>:crawler/<name>`).
    pub fn crawler_name(&self) -> Option<&str> {
        arn_resource(self.crawler_arn.as_deref()?, "crawler/")
    }
}

/// The part of an ARN's resource after `kind` (`database/`, `table/`, ...).
fn arn_resource<'a>(arn: &'a str, kind: &str) -> Option<&'a str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    resource.strip_prefix(kind).filter(|r| !r.is_empty())
}

/// One field in which the registered source differs from the specification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriftedField {
    /// The source version differs.
    SourceVersion {
        /// The specification's version.
        expected: Option<String>,
        /// The registered version.
        actual: Option<String>,
    },
}

impl fmt::Display for DriftedField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SourceVersion { expected, actual } => write!(
                f,
                "sourceVersion: expected {}, registered {}",
                expected.as_deref().unwrap_or("none"),
                actual.as_deref().unwrap_or("none")
            ),
        }
    }
}

/// How a registered source differs from its specification. The source was
/// left unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    fields: Vec<DriftedField>,
}

impl Drift {
    /// The differing fields (never empty).
    pub fn fields(&self) -> &[DriftedField] {
        &self.fields
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{field}")?;
        }
        Ok(())
    }
}

/// Compares a registered source with a specification.
///
/// ```
/// use aws_sdk_securitylake::types::{CustomLogSourceProvider, CustomLogSourceResource};
/// use securitylake_source::{CustomSource, DriftedField, RegisteredSource, registration::drift};
///
/// let registered = RegisteredSource::from_resource(
///     &CustomLogSourceResource::builder()
///         .source_name("my-app")
///         .provider(
///             CustomLogSourceProvider::builder()
///                 .role_arn("arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-my-app-us-east-1")
///                 .location("s3://aws-security-data-lake-us-east-1-abc/ext/my-app/")
///                 .build(),
///         )
///         .build(),
/// )?;
/// let spec = CustomSource::builder("my-app")
///     .version("2.0")
///     .event_class("AUTHENTICATION")
///     .principal("123456789012")
///     .external_id("x")
///     .crawler_role_arn("arn:aws:iam::123456789012:role/Glue")
///     .build()?;
/// let drift = drift(&spec, &registered).expect("the versions differ");
/// assert_eq!(
///     drift.fields(),
///     [DriftedField::SourceVersion { expected: Some("2.0".into()), actual: None }]
/// );
/// # Ok::<(), securitylake_source::Error>(())
/// ```
pub fn drift(spec: &CustomSource, registered: &RegisteredSource) -> Option<Drift> {
    let mut fields = Vec::new();
    if spec.version() != registered.source_version.as_deref() {
        fields.push(DriftedField::SourceVersion {
            expected: spec.version.clone(),
            actual: registered.source_version.clone(),
        });
    }
    (!fields.is_empty()).then_some(Drift { fields })
}

/// What [`Registrar::reconcile`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The source was absent and has been created.
    Created,
    /// The source exists and matches the specification.
    Unchanged,
    /// The source exists and differs from the specification; it was not
    /// changed.
    Drifted(Drift),
}

/// The result of [`Registrar::reconcile`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reconciliation {
    /// The source as Security Lake has it.
    pub source: RegisteredSource,
    /// What was done.
    pub outcome: Outcome,
}

/// Registers and deletes custom sources through `aws-sdk-securitylake`.
///
/// ```no_run
/// use securitylake_source::{CustomSource, Outcome, Registrar};
///
/// # async fn run() -> Result<(), securitylake_source::Error> {
/// let sdk = aws_config::load_from_env().await;
/// let registrar = Registrar::new(aws_sdk_securitylake::Client::new(&sdk));
/// let spec = CustomSource::builder("my-app")
///     .event_class("AUTHENTICATION")
///     .principal("123456789012")
///     .external_id("my-external-id")
///     .crawler_role_arn("arn:aws:iam::123456789012:role/GlueCrawler")
///     .build()?;
/// let reconciled = registrar.reconcile(&spec).await?;
/// if let Outcome::Drifted(drift) = &reconciled.outcome {
///     eprintln!("registered source differs from the spec: {drift}");
/// }
/// println!("write to {} as {}", reconciled.source.location, reconciled.source.provider_role_arn);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Registrar {
    client: aws_sdk_securitylake::Client,
    retry: RetryPolicy,
    page_size: Option<i32>,
}

impl Registrar {
    /// A registrar over `client` with [`DEFAULT_RETRY_POLICY`].
    pub fn new(client: aws_sdk_securitylake::Client) -> Self {
        Self {
            client,
            retry: DEFAULT_RETRY_POLICY,
            page_size: None,
        }
    }

    /// Replaces the retry policy for conflicts, throttling and transient
    /// failures.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets `maxResults` of each `ListLogSources` page (default: the
    /// service's default).
    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// The SDK client.
    pub fn client(&self) -> &aws_sdk_securitylake::Client {
        &self.client
    }

    /// Runs `attempt` under the retry policy, honouring `Retry-After`.
    async fn retrying<T, F, Fut>(&self, operation: &str, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut number = 1;
        loop {
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(err) if err.is_retryable() && number < self.retry.max_attempts() => {
                    let backoff = self.retry.backoff(number, fastrand::f64());
                    let ceiling = self.retry.backoff(u32::MAX, 1.0);
                    let delay = match err.retry_after() {
                        Some(asked) => backoff.max(asked.min(ceiling)),
                        None => backoff,
                    };
                    tracing::warn!(
                        operation,
                        attempt = number,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        error = %err,
                        "retrying Security Lake call"
                    );
                    tokio::time::sleep(delay).await;
                    number += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Finds a custom source by name, reading every page of
    /// `ListLogSources`.
    pub async fn find(&self, name: &str) -> Result<Option<RegisteredSource>> {
        validate_api_name(name)?;
        self.retrying("ListLogSources", || self.find_once(name))
            .await
    }

    async fn find_once(&self, name: &str) -> Result<Option<RegisteredSource>> {
        let mut request = self.client.list_log_sources();
        if let Some(size) = self.page_size {
            request = request.max_results(size);
        }
        let mut pages = request.into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::from_sdk("ListLogSources", e))?;
            for entry in page.sources() {
                for resource in entry.sources() {
                    if let LogSourceResource::CustomLogSource(custom) = resource
                        && custom.source_name() == Some(name)
                    {
                        return RegisteredSource::from_resource(custom).map(Some);
                    }
                }
            }
        }
        Ok(None)
    }

    async fn create_once(&self, spec: &CustomSource) -> Result<RegisteredSource> {
        let build_error = |e: aws_smithy_types::error::operation::BuildError| {
            Error::invalid_input("the custom source specification is incomplete").with_source(e)
        };
        let configuration = CustomLogSourceConfiguration::builder()
            .crawler_configuration(
                CustomLogSourceCrawlerConfiguration::builder()
                    .role_arn(spec.crawler_role_arn())
                    .build()
                    .map_err(build_error)?,
            )
            .provider_identity(
                AwsIdentity::builder()
                    .principal(spec.principal())
                    .external_id(spec.external_id())
                    .build()
                    .map_err(build_error)?,
            )
            .build();
        let output = self
            .client
            .create_custom_log_source()
            .source_name(spec.name())
            .set_source_version(spec.version.clone())
            .set_event_classes(Some(spec.event_classes.clone()))
            .configuration(configuration)
            .send()
            .await
            .map_err(|e| Error::from_sdk("CreateCustomLogSource", e))?;
        let resource = output.source().ok_or_else(|| {
            Error::new(
                ErrorKind::Service,
                "CreateCustomLogSource returned no source",
            )
        })?;
        RegisteredSource::from_resource(resource)
    }

    /// Makes sure the source exists: creates it when absent, otherwise
    /// compares it with `spec` and reports [`Outcome::Drifted`] without
    /// changing it. Safe to call repeatedly and concurrently.
    pub async fn reconcile(&self, spec: &CustomSource) -> Result<Reconciliation> {
        self.retrying("reconcile", || async {
            if let Some(existing) = self.find_once(spec.name()).await? {
                let outcome = match drift(spec, &existing) {
                    Some(drift) => {
                        tracing::warn!(source = spec.name(), %drift, "custom source drifted");
                        Outcome::Drifted(drift)
                    }
                    None => Outcome::Unchanged,
                };
                return Ok(Reconciliation {
                    source: existing,
                    outcome,
                });
            }
            // A ConflictException here (a concurrent create) is retried, and
            // the next attempt finds the source.
            let source = self.create_once(spec).await?;
            tracing::info!(source = spec.name(), location = %source.location, "custom source created");
            Ok(Reconciliation {
                source,
                outcome: Outcome::Created,
            })
        })
        .await
    }

    /// Deletes a custom source. Deleting an absent source succeeds. As in
    /// the service, the crawler, its role and the data stay behind.
    pub async fn delete(&self, name: &str) -> Result<()> {
        validate_api_name(name)?;
        self.retrying("DeleteCustomLogSource", || async {
            match self
                .client
                .delete_custom_log_source()
                .source_name(name)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => {
                    let err = Error::from_sdk("DeleteCustomLogSource", e);
                    if err.kind() == ErrorKind::NotFound {
                        Ok(())
                    } else {
                        Err(err)
                    }
                }
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder(name: &str) -> CustomSourceBuilder {
        CustomSource::builder(name)
            .event_class("AUTHENTICATION")
            .principal("123456789012")
            .external_id("ext")
            .crawler_role_arn("arn:aws:iam::123456789012:role/Glue")
    }

    fn kind<T: fmt::Debug>(result: Result<T>) -> ErrorKind {
        match result {
            Ok(value) => panic!("expected an error, got {value:?}"),
            Err(err) => err.kind(),
        }
    }

    #[test]
    fn specs_are_validated() {
        assert!(builder("my-app_1:x.y").build().is_ok());
        assert!(builder(&"a".repeat(20)).build().is_ok());
        assert_eq!(
            kind(builder(&"a".repeat(21)).build()),
            ErrorKind::InvalidInput
        );
        assert_eq!(kind(builder("").build()), ErrorKind::InvalidInput);
        assert_eq!(kind(builder("my app").build()), ErrorKind::InvalidInput);
        assert_eq!(kind(builder("my/app").build()), ErrorKind::InvalidInput);
        assert!(builder("a").version("1.0-rc_2").build().is_ok());
        assert_eq!(
            kind(builder("a").version("").build()),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(builder("a").version("1/0").build()),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(builder("a").version("1".repeat(33)).build()),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(builder("a").event_class("AUTHENTICATION").build()),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(builder("a").event_class(" ").build()),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(
                CustomSource::builder("a")
                    .principal("123456789012")
                    .external_id("e")
                    .crawler_role_arn("arn:aws:iam::123456789012:role/G")
                    .build()
            ),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(builder("a").principal("12345").build()),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(builder("a").external_id("").build()),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(
                builder("a")
                    .crawler_role_arn("arn:aws:iam::123456789012:user/G")
                    .build()
            ),
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn glue_names_come_from_the_arns() {
        let source = RegisteredSource {
            source_name: "a".into(),
            source_version: None,
            provider_role_arn: "r".into(),
            location: SourceLocation::parse("s3://aws-security-data-lake-us-east-1-x/ext/a/")
                .unwrap_or_else(|e| panic!("{e}")),
            crawler_arn: Some("arn:aws:glue:us-east-1:123456789012:crawler/a".into()),
            database_arn: Some(
                "arn:aws:glue:us-east-1:123456789012:database/amazon_security_lake_glue_db_us_east_1"
                    .into(),
            ),
            table_arn: Some(
                "arn:aws:glue:us-east-1:123456789012:table/amazon_security_lake_glue_db_us_east_1/amazon_security_lake_table_us_east_1_ext_a"
                    .into(),
            ),
        };
        assert_eq!(source.crawler_name(), Some("a"));
        assert_eq!(
            source.glue_database(),
            Some("amazon_security_lake_glue_db_us_east_1")
        );
        assert_eq!(
            source.glue_table(),
            Some("amazon_security_lake_table_us_east_1_ext_a")
        );
        let bare = RegisteredSource {
            crawler_arn: Some("arn:aws:glue:us-east-1:1:crawler/".into()),
            database_arn: None,
            table_arn: Some("arn:aws:glue:us-east-1:1:table/db".into()),
            ..source
        };
        assert_eq!(bare.crawler_name(), None);
        assert_eq!(bare.glue_database(), None);
        assert_eq!(bare.glue_table(), None);
    }

    #[test]
    fn responses_without_a_usable_location_are_refused() {
        use aws_sdk_securitylake::types::CustomLogSourceProvider;
        let resource = |location: &str| {
            CustomLogSourceResource::builder()
                .source_name("a")
                .provider(
                    CustomLogSourceProvider::builder()
                        .role_arn("arn:aws:iam::123456789012:role/R")
                        .location(location)
                        .build(),
                )
                .build()
        };
        assert!(RegisteredSource::from_resource(&resource("s3://bucket-x/ext/a/")).is_ok());
        assert_eq!(
            kind(RegisteredSource::from_resource(&resource(
                "s3://bucket-x/aws/ROUTE53/2.0/"
            ))),
            ErrorKind::Service
        );
        assert_eq!(
            kind(RegisteredSource::from_resource(&resource(
                "https://x/ext/a/"
            ))),
            ErrorKind::Service
        );
        assert_eq!(
            kind(RegisteredSource::from_resource(
                &CustomLogSourceResource::builder().source_name("a").build()
            )),
            ErrorKind::Service
        );
    }

    #[test]
    fn drift_is_reported_per_field() {
        let registered = RegisteredSource {
            source_name: "a".into(),
            source_version: Some("1.0".into()),
            provider_role_arn: "r".into(),
            location: SourceLocation::parse("s3://bucket-x/ext/a/1.0/")
                .unwrap_or_else(|e| panic!("{e}")),
            crawler_arn: None,
            database_arn: None,
            table_arn: None,
        };
        let same = builder("a")
            .version("1.0")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(drift(&same, &registered), None);
        let other = builder("a")
            .version("2.0")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let found = drift(&other, &registered).unwrap_or_else(|| panic!("expected drift"));
        assert_eq!(
            found.to_string(),
            "sourceVersion: expected 2.0, registered 1.0"
        );
    }
}

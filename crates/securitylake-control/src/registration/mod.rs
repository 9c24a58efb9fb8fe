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
//! Security Lake wants one OCSF class per custom source. A [`SourceSet`]
//! derives one specification per class from a prefix (the naming rule is
//! in [`naming`]), and [`Registrar::reconcile_all`] reconciles the whole
//! set with one listing.
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
//! typed at once. The SDK client does not retry on its own: the
//! [`RetryPolicy`] bounds the requests per operation.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_securitylake::types::{
    AwsIdentity, CustomLogSourceConfiguration, CustomLogSourceCrawlerConfiguration,
    LogSourceResource,
};
use securitylake_core::aws::AwsConfig;
use securitylake_core::store::RetryPolicy;

use crate::error::{Error, ErrorKind, Result};
use crate::retry::{self, Idempotency};

mod drift;
pub mod naming;
mod registered;
mod set;
mod spec;
#[cfg(test)]
mod tests;

pub use drift::{Drift, DriftedField, drift};
pub use naming::{OcsfClass, max_prefix_len, source_name_for};
pub use registered::RegisteredSource;
pub use set::{SourceSet, SourceSetBuilder};
pub use spec::{CustomSource, CustomSourceBuilder, MAX_SOURCE_NAME_LEN, MAX_SOURCE_VERSION_LEN};

use spec::validate_api_name;

/// The default retry policy of a [`Registrar`]: 5 attempts, backoff ceilings
/// from 200 ms up to 10 s.
pub const DEFAULT_RETRY_POLICY: RetryPolicy = RetryPolicy::new().with_max_attempts(5);

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

impl Reconciliation {
    fn of_existing(spec: &CustomSource, existing: RegisteredSource) -> Self {
        let outcome = match drift(spec, &existing) {
            Some(drift) => {
                tracing::warn!(source = spec.name(), %drift, "custom source drifted");
                Outcome::Drifted(drift)
            }
            None => Outcome::Unchanged,
        };
        Self {
            source: existing,
            outcome,
        }
    }
}

/// A log source of AWS itself (CloudTrail, VPC flow logs, ...) enabled in the
/// lake, as `ListLogSources` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AwsLogSource {
    /// The account the source is enabled in.
    pub account: Option<String>,
    /// The region the source is enabled in.
    pub region: Option<String>,
    /// The source name (`CLOUD_TRAIL_MGMT`, `VPC_FLOW`, ...).
    pub source_name: String,
    /// The source version (`2.0`).
    pub source_version: Option<String>,
}

/// Every log source of the lake: [`Registrar::list`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LogSources {
    /// The custom sources.
    pub custom: Vec<RegisteredSource>,
    /// The AWS sources.
    pub aws: Vec<AwsLogSource>,
}

/// Registers, lists and deletes custom sources.
///
/// Built from the same [`AwsConfig`] as every other part of the SDK (from
/// the environment, from an `aws_config::SdkConfig` with
/// [`AwsConfig::from_sdk_config`], or as an assumed role with
/// [`AwsConfig::assume_role`]).
///
/// ```no_run
/// use securitylake_control::{CustomSource, Outcome, Registrar};
/// use securitylake_core::aws::AwsConfig;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = AwsConfig::load_defaults().await?;
/// let registrar = Registrar::new(&config);
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
    /// A registrar of the lake that `config` points at (its region, endpoint
    /// and credentials), with [`DEFAULT_RETRY_POLICY`].
    pub fn new(config: &AwsConfig) -> Self {
        Self {
            client: crate::clients::securitylake(config),
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

    /// Reads every page of `ListLogSources`, giving each resource to `visit`
    /// until it returns `false`.
    async fn each_source(
        &self,
        mut visit: impl FnMut(Option<&str>, Option<&str>, &LogSourceResource) -> Result<bool>,
    ) -> Result<()> {
        let mut request = self.client.list_log_sources();
        if let Some(size) = self.page_size {
            request = request.max_results(size);
        }
        let mut pages = request.into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::from_sdk("ListLogSources", e))?;
            for entry in page.sources() {
                for resource in entry.sources() {
                    if !visit(entry.account(), entry.region(), resource)? {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// Lists every log source of the lake (all pages).
    pub async fn list(&self) -> Result<LogSources> {
        retry::run(
            &self.retry,
            "ListLogSources",
            Idempotency::Idempotent,
            || async {
                let mut sources = LogSources::default();
                self.each_source(|account, region, resource| {
                    match resource {
                        LogSourceResource::CustomLogSource(custom) => {
                            sources
                                .custom
                                .push(RegisteredSource::from_resource(custom)?);
                        }
                        LogSourceResource::AwsLogSource(aws) => sources.aws.push(AwsLogSource {
                            account: account.map(str::to_owned),
                            region: region.map(str::to_owned),
                            source_name: aws
                                .source_name()
                                .map(|n| n.as_str().to_owned())
                                .unwrap_or_default(),
                            source_version: aws.source_version().map(str::to_owned),
                        }),
                        // A kind of source this SDK version does not know.
                        _ => tracing::debug!("skipping an unknown kind of log source"),
                    }
                    Ok(true)
                })
                .await?;
                Ok(sources)
            },
        )
        .await
    }

    /// Finds a custom source by name, reading every page of
    /// `ListLogSources`.
    pub async fn find(&self, name: &str) -> Result<Option<RegisteredSource>> {
        validate_api_name(name)?;
        retry::run(
            &self.retry,
            "ListLogSources",
            Idempotency::Idempotent,
            || self.find_once(name),
        )
        .await
    }

    async fn find_once(&self, name: &str) -> Result<Option<RegisteredSource>> {
        let mut found = None;
        self.each_source(|_, _, resource| {
            if let LogSourceResource::CustomLogSource(custom) = resource
                && custom.source_name() == Some(name)
            {
                found = Some(RegisteredSource::from_resource(custom)?);
                return Ok(false);
            }
            Ok(true)
        })
        .await?;
        Ok(found)
    }

    /// The custom sources named in `names`, from one listing.
    async fn find_many_once(
        &self,
        names: &BTreeSet<&str>,
    ) -> Result<BTreeMap<String, RegisteredSource>> {
        let mut found = BTreeMap::new();
        self.each_source(|_, _, resource| {
            if let LogSourceResource::CustomLogSource(custom) = resource
                && let Some(name) = custom.source_name()
                && names.contains(name)
            {
                found.insert(name.to_owned(), RegisteredSource::from_resource(custom)?);
            }
            Ok(found.len() < names.len())
        })
        .await?;
        Ok(found)
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
            .set_source_version(spec.version().map(str::to_owned))
            .set_event_classes(Some(spec.event_classes().to_vec()))
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

    /// Creates a source the caller found absent. A conflict (a concurrent
    /// create, or a source that appeared since the listing) is resolved by
    /// looking the source up; when it is not there yet, the conflict is
    /// retried.
    async fn create_or_find(&self, spec: &CustomSource) -> Result<Reconciliation> {
        retry::run(
            &self.retry,
            "CreateCustomLogSource",
            Idempotency::Idempotent,
            || async {
                match self.create_once(spec).await {
                    Ok(source) => {
                        tracing::info!(source = spec.name(), location = %source.location, "custom source created");
                        Ok(Reconciliation {
                            source,
                            outcome: Outcome::Created,
                        })
                    }
                    Err(err)
                        if matches!(err.kind(), ErrorKind::Conflict | ErrorKind::AlreadyExists) =>
                    {
                        match self.find_once(spec.name()).await? {
                            Some(existing) => Ok(Reconciliation::of_existing(spec, existing)),
                            None => Err(err),
                        }
                    }
                    Err(err) => Err(err),
                }
            },
        )
        .await
    }

    /// Makes sure the source exists: creates it when absent, otherwise
    /// compares it with `spec` and reports [`Outcome::Drifted`] without
    /// changing it. Safe to call repeatedly and concurrently.
    pub async fn reconcile(&self, spec: &CustomSource) -> Result<Reconciliation> {
        match self.find(spec.name()).await? {
            Some(existing) => Ok(Reconciliation::of_existing(spec, existing)),
            None => self.create_or_find(spec).await,
        }
    }

    /// Reconciles several sources (a [`SourceSet`]'s, typically) with one
    /// listing: each absent source is created, each existing one is
    /// compared. The results come in the order of `specs`.
    ///
    /// Stops at the first error; the sources created before it stay, and
    /// running the same call again finds them ([`Outcome::Unchanged`]) and
    /// creates the rest. Fails with
    /// [`ErrorKind::InvalidInput`] before any request when two
    /// specifications share a name.
    ///
    /// ```no_run
    /// use securitylake_control::{OcsfClass, Outcome, Registrar, SourceSet};
    /// use securitylake_core::aws::AwsConfig;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let set = SourceSet::builder("acme")
    ///     .version("1.0")
    ///     .class(OcsfClass::new(3002, "authentication")?)
    ///     .class(OcsfClass::new(4001, "network_activity")?)
    ///     .principal("123456789012")
    ///     .external_id("acme-external-id")
    ///     .crawler_role_arn("arn:aws:iam::123456789012:role/GlueCrawler")
    ///     .build()?;
    /// let registrar = Registrar::new(&AwsConfig::load_defaults().await?);
    /// for done in registrar.reconcile_all(set.sources()).await? {
    ///     println!("{}: {:?}", done.source.source_name, done.outcome);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn reconcile_all<'a>(
        &self,
        specs: impl IntoIterator<Item = &'a CustomSource>,
    ) -> Result<Vec<Reconciliation>> {
        let specs: Vec<&CustomSource> = specs.into_iter().collect();
        let mut names = BTreeSet::new();
        for spec in &specs {
            if !names.insert(spec.name()) {
                return Err(Error::invalid_input(format!(
                    "custom source {:?} is specified twice",
                    spec.name()
                )));
            }
        }
        if specs.is_empty() {
            return Ok(Vec::new());
        }
        let mut existing = retry::run(
            &self.retry,
            "ListLogSources",
            Idempotency::Idempotent,
            || self.find_many_once(&names),
        )
        .await?;
        let mut done = Vec::with_capacity(specs.len());
        for spec in specs {
            let reconciliation = match existing.remove(spec.name()) {
                Some(found) => Reconciliation::of_existing(spec, found),
                None => self.create_or_find(spec).await?,
            };
            done.push(reconciliation);
        }
        Ok(done)
    }

    /// Deletes a custom source. Deleting an absent source succeeds. As in
    /// the service, the crawler, its role and the data stay behind.
    pub async fn delete(&self, name: &str) -> Result<()> {
        validate_api_name(name)?;
        retry::run(
            &self.retry,
            "DeleteCustomLogSource",
            Idempotency::Idempotent,
            || async {
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
            },
        )
        .await
    }
}

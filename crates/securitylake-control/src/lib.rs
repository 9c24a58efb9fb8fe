//! The Amazon Security Lake control plane: custom-source registration,
//! Glue partitions and crawlers, subscribers and their notifications.
//!
//! This crate changes what the lake *knows*; it never writes data (that is
//! `securitylake-source`, the data plane, which needs none of the Security
//! Lake or Glue APIs).
//!
//! * [`registration`]: a validated [`CustomSource`] specification,
//!   reconciled idempotently by a [`Registrar`] (list, create if absent,
//!   report [`Drift`], delete), returning the [`RegisteredSource`] whose
//!   provider role and location writers use. A [`SourceSet`] names one
//!   source per OCSF class from a prefix ([`source_name_for`]), and
//!   [`Registrar::reconcile_all`] reconciles the set at once.
//! * [`glue`]: after writing, make the new partitions queryable with
//!   `BatchCreatePartition` or by starting the source's crawler.
//! * [`subscriber`]: create subscribers ([`SubscriberSpec`]) and their
//!   notifications ([`Notification`]: SQS or HTTPS).
//! * [`error`]: the crate's single [`Error`] type, with [`Error::kind`] and
//!   [`Error::is_retryable`].
//!
//! # One configuration
//!
//! Every component is built from the `securitylake_core::aws::AwsConfig`
//! that the rest of the SDK uses: [`Registrar::new`],
//! [`GluePartitioner::new`](glue::GluePartitioner::new) and
//! [`SubscriberRegistrar::new`] take `&AwsConfig`, never an SDK client. Make
//! one from the environment (`AwsConfig::load_defaults`), from an
//! `aws_config::SdkConfig` you already have (`AwsConfig::from_sdk_config`),
//! or act as another role (`AwsConfig::assume_role`). `AWS_ENDPOINT_URL`
//! points it at the loopback emulator. The SDK clients do not retry on their
//! own; each component retries under its one `RetryPolicy`.
//!
//! # Register, write, make queryable
//!
//! Runs offline against the loopback emulator (`securitylake-emulator`);
//! against AWS, load the configuration with `AwsConfig::load_defaults()`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use securitylake_control::{OcsfClass, Outcome, Registrar, SourceSet};
//! use securitylake_core::aws::AwsConfig;
//! use securitylake_emulator::Emulator;
//!
//! let emulator = Emulator::builder().start().await?;
//! let (key, secret) = emulator.credentials();
//! let config = AwsConfig::builder()
//!     .region(emulator.region())
//!     .endpoint_url(emulator.endpoint_url())
//!     .static_credentials(key, secret, None)
//!     .load()
//!     .await?;
//!
//! // One custom source per OCSF class the product writes.
//! let set = SourceSet::builder("acme")
//!     .version("1.0")
//!     .class(OcsfClass::new(3002, "authentication")?)
//!     .class(OcsfClass::new(4001, "network_activity")?)
//!     .principal("123456789012")
//!     .external_id("acme-external-id")
//!     .crawler_role_arn("arn:aws:iam::123456789012:role/GlueCrawler")
//!     .build()?;
//! let registrar = Registrar::new(&config);
//! let first = registrar.reconcile_all(set.sources()).await?;
//! assert!(first.iter().all(|r| r.outcome == Outcome::Created));
//! // Idempotent: a second run changes nothing.
//! let again = registrar.reconcile_all(set.sources()).await?;
//! assert!(again.iter().all(|r| r.outcome == Outcome::Unchanged));
//!
//! let auth = &first[0].source; // ordered by class uid: 3002 first
//! assert_eq!(auth.source_name, "acme-3002-authentica");
//! assert_eq!(auth.location.prefix(), "ext/acme-3002-authentica/1.0/");
//! // Write as auth.provider_role_arn (assumed with the external id) under
//! // auth.location with securitylake-source's Writer, then make the written
//! // partitions queryable with glue::GluePartitioner::make_queryable.
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `registration` | yes | custom-source registration ([`Registrar`], [`SourceSet`]) and subscribers ([`SubscriberRegistrar`]): `aws-sdk-securitylake`, `securitylake-core/s3` |
//! | `glue` | yes | Glue partitions ([`GluePartitioner`]): `aws-sdk-glue`; implies `registration` |
//!
//! Without features the crate holds only its error type.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "registration")]
mod clients;
pub mod error;
#[cfg(feature = "glue")]
#[cfg_attr(docsrs, doc(cfg(feature = "glue")))]
pub mod glue;
#[cfg(feature = "registration")]
#[cfg_attr(docsrs, doc(cfg(feature = "registration")))]
pub mod registration;
#[cfg(feature = "registration")]
mod retry;
#[cfg(feature = "registration")]
#[cfg_attr(docsrs, doc(cfg(feature = "registration")))]
pub mod subscriber;

pub use error::{Error, ErrorKind, Result};
#[cfg(feature = "glue")]
#[cfg_attr(docsrs, doc(cfg(feature = "glue")))]
pub use glue::{GluePartitioner, PartitionMode, PartitionReport};
#[cfg(feature = "registration")]
#[cfg_attr(docsrs, doc(cfg(feature = "registration")))]
pub use registration::{
    AwsLogSource, CustomSource, CustomSourceBuilder, Drift, DriftedField, LogSources, OcsfClass,
    Outcome, Reconciliation, RegisteredSource, Registrar, SourceSet, SourceSetBuilder,
    source_name_for,
};
#[cfg(feature = "registration")]
#[cfg_attr(docsrs, doc(cfg(feature = "registration")))]
pub use subscriber::{
    AccessType, HttpsNotification, Notification, NotificationMethod, RegisteredSubscriber,
    SubscribedSource, SubscriberRegistrar, SubscriberSpec, SubscriberSpecBuilder,
};

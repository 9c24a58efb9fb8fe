//! Amazon Security Lake custom sources: registration, Glue partitions and
//! typed, crash-safe writers.
//!
//! * [`registration`]: a validated [`CustomSource`] specification, reconciled
//!   idempotently with Security Lake by a [`Registrar`] (list, create if
//!   absent, report [`Drift`], delete), returning the [`RegisteredSource`]
//!   whose provider role and location the writers use.
//! * [`glue`]: after writing, make the new partitions queryable with
//!   `BatchCreatePartition` or by starting the source's crawler.
//! * [`writer`]: a [`Writer<E>`](Writer) typed by event class that
//!   partitions events by their own UTC day, rolls files by age and size,
//!   writes Parquet by Security Lake's rules, bounds its memory with
//!   backpressure and keeps every accepted event in a local [`spool`] until
//!   the object holding it is in the store; [`Manifest`]s report what was
//!   written.
//! * [`error`]: the crate's single [`Error`] type.
//!
//! # Publish your first custom source
//!
//! 1. **Register** the source once per account and region: a
//!    [`CustomSource`] names it, its OCSF event class, the account allowed
//!    to write (`principal`) and the external id; [`Registrar::reconcile`]
//!    creates it, or finds it unchanged, or reports [`Drift`]. The
//!    [`RegisteredSource`] it returns carries the provider role and the S3
//!    location.
//! 2. **Write** as the provider role (assumed with the external id, see
//!    `securitylake_core::aws::AwsConfig::assume_role`): a
//!    [`Writer`] of the source's class over an `S3Store` of the location's
//!    bucket, configured with [`WriterConfigBuilder::source`]. The
//!    [`writer`] module shows a complete, runnable writer over a local lake.
//! 3. **Make it queryable**: add the written partitions to the source's Glue
//!    table ([`glue::GluePartitioner`]).
//!
//! Against AWS (the repository's `register_custom_source` example runs the
//! same steps against the loopback emulator, offline):
//!
//! ```no_run
//! use securitylake_source::glue::GluePartitioner;
//! use securitylake_source::{CustomSource, Registrar};
//!
//! # async fn run(written: Vec<securitylake_core::layout::PartitionKey>) -> Result<(), securitylake_source::Error> {
//! let sdk = aws_config::load_from_env().await;
//! let spec = CustomSource::builder("my-app")
//!     .version("1.0")
//!     .event_class("AUTHENTICATION")
//!     .principal("123456789012")
//!     .external_id("my-external-id")
//!     .crawler_role_arn("arn:aws:iam::123456789012:role/GlueCrawler")
//!     .build()?;
//! let source = Registrar::new(aws_sdk_securitylake::Client::new(&sdk))
//!     .reconcile(&spec)
//!     .await?
//!     .source;
//! // ... assume source.provider_role_arn with the external id, write objects
//! // under source.location ...
//! GluePartitioner::new(aws_sdk_glue::Client::new(&sdk))
//!     .make_queryable(&source, &written)
//!     .await?;
//! # Ok(())
//! # }
//! ```

mod binary;
pub mod error;
pub mod glue;
pub mod manifest;
mod record;
pub mod registration;
pub mod spool;
pub mod writer;

pub use error::{Error, ErrorKind, Result};
pub use manifest::{Manifest, ManifestEntry};
pub use registration::{
    CustomSource, CustomSourceBuilder, Drift, DriftedField, Outcome, Reconciliation,
    RegisteredSource, Registrar,
};
pub use writer::{Durability, Writer, WriterConfig, WriterConfigBuilder, WriterStats};

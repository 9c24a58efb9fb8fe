//! # securitylake
//!
//! A Rust SDK for [Amazon Security Lake](https://aws.amazon.com/security-lake/).
//! This facade crate holds no logic of its own: it re-exports the crates of
//! the workspace behind cargo features, so an application depends on one
//! crate and switches on what it uses. Every module below is the named crate,
//! unchanged.
//!
//! | feature | default | module | crate | what it is |
//! |---|---|---|---|---|
//! | `model` | yes | [`model`] | `ocsf-model` | typed OCSF 1.1.0 events, objects and enums, validation |
//! | `arrow` | yes (via `parquet`) | [`model::columnar`] | `ocsf-model` | Arrow schemas, typed batches |
//! | `parquet` | yes (via `source`) | [`parquet`] | `securitylake-parquet` | Security Lake Parquet: the rule book, typed files, the checker |
//! | `v1_0_0_rc2`, `v1_3_0`, `v1_8_0` | no | `model::v1_3_0`, ... | `ocsf-model` | further OCSF versions |
//! | `schemars`, `jsonschema` | no | | `ocsf-model` | `JsonSchema` derives; validation with the `jsonschema` crate |
//! | `mappers` | yes | [`mappers`] | `ocsf-mappers` | Linux (syslog, auditd, journald) and Trend Micro Deep Security (CEF, LEEF) logs into OCSF |
//! | `mappers-async` | no | | `ocsf-mappers` | tokio `AsyncBufRead` line streams |
//! | `lake` | yes | [`lake`] | `securitylake-core` | lake layout, local object stores, retries, atomic files (no AWS crate) |
//! | `source` | yes | [`source`] | `securitylake-source` | custom sources, the data plane: crash-safe typed writers to any object store |
//! | `subscriber` | yes | [`subscriber`] | `securitylake-subscriber` | subscribers: local lakes and your own feeds, typed reads |
//! | `s3` | yes | `lake::aws`, `lake::store::S3StoreBuilder` | `securitylake-core` (+ `source`, `subscriber`) | S3 stores, AWS configuration and role assumption (AWS SDK: S3, STS) |
//! | `sqs` | yes | `subscriber::SqsSource` | `securitylake-subscriber` | notifications from an SQS queue (`aws-sdk-sqs`) |
//! | `https` | yes | `subscriber::HttpsSource` | `securitylake-subscriber` | the HTTPS endpoint EventBridge API destinations call (hyper, rustls) |
//! | `control` | yes | [`control`] | `securitylake-control` | the control plane: custom-source registration (one source per class), subscribers and notifications (`aws-sdk-securitylake`) |
//! | `glue` | no | `control::GluePartitioner` | `securitylake-control` | Glue partitions (`aws-sdk-glue`, the costliest SDK crate to build) |
//! | `emulator` | no | `emulator` | `securitylake-emulator` | a loopback Security Lake (API, S3, STS, notifications) for development and tests |
//! | `compiler` | no | `compiler` | `ocsf-compiler` | the OCSF schema compiler |
//!
//! With `default-features = false` and `features = ["lake", "source",
//! "subscriber", "mappers"]` the graph holds no AWS SDK, hyper or rustls
//! crate: a local lake written and read back (cold debug build figures in
//! the repository's BENCHMARKS.md). One HTTP/TLS stack serves every AWS
//! feature (hyper 1, rustls 0.23 with aws-lc-rs).
//!
//! The data flow, one direction only:
//!
//! ```text
//! raw log -> mappers -> typed event (model) -> RecordBatch -> Parquet
//!   -> source (Writer) -> object store -> notification -> subscriber -> typed event
//! ```
//!
//! The control plane ([`control`]) registers the sources and subscribers
//! that the data flows between, and makes written partitions queryable.
//!
//! The common types are one short path away in the [`prelude`]:
//! `use securitylake::prelude::*;`.
//!
//! The repository's `examples/` run every part offline (`cargo run --example
//! quickstart` first); the `seclake` command-line tool wraps the same crates.
//!
//! # Publish your first custom source
//!
//! A custom source writes events of one OCSF class under the location
//! Security Lake gave it. Map raw lines with a mapper, keep the class of the
//! source and write them with a [`Writer`](source::Writer). Here the lake is a
//! local directory ([`WriterConfig::local`](source::WriterConfig::local)); against AWS,
//! give the writer the source's provider role (`WriterConfigBuilder::s3`,
//! an `object_store` S3 store of the location's bucket) and the location
//! that [`Registrar::reconcile`](control::Registrar::reconcile) returned
//! (`WriterConfigBuilder::source`). Any `Arc<dyn object_store::ObjectStore>`
//! works as the store.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use securitylake::mappers::{LinuxMapper, SourceConfig};
//! use securitylake::model::v1_1_0::events::Authentication;
//! use securitylake::source::{Writer, WriterConfig};
//!
//! let dir = tempfile::tempdir()?;
//! let mut mapper = LinuxMapper::new(SourceConfig::linux().with_reference_ms(1_718_000_000_000));
//! let logons: Vec<Authentication> = [
//!     "Jun 10 09:00:01 bastion sshd[811]: Failed password for root from 203.0.113.9 port 4022 ssh2",
//!     "Jun 10 09:00:07 bastion sshd[812]: Accepted publickey for alice from 10.0.4.21 port 50022 ssh2",
//! ]
//! .iter()
//! .flat_map(|line| mapper.map_line(line))
//! .filter_map(|event| Authentication::try_from(event).ok())
//! .collect();
//!
//! // A local lake directory: no bucket, region or account to make up
//! // (`WriterConfig::builder()` takes the location, store and role for AWS).
//! let config = WriterConfig::local(dir.path().join("lake"), "bastion")?.build()?;
//! let mut writer = Writer::<Authentication>::open(config).await?;
//! writer.write_batch(&logons).await?;
//! let manifest = writer.close().await?; // what became durable in the lake
//! assert_eq!(manifest.rows(), 2);
//! assert!(manifest.objects[0].key.contains("/eventDay=20240610/"));
//! # Ok(())
//! # }
//! ```
//!
//! # Write your first subscriber
//!
//! A [`Subscriber`](subscriber::Subscriber) takes notifications from a
//! source (a local lake directory here; an SQS queue or an HTTPS endpoint
//! in production), reads each new object and gives it to your
//! [`Handler`](subscriber::Handler), which reads it as typed events. A
//! notification is acknowledged only once the handler finished the object.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! use securitylake::lake::object_store::{ObjectStoreExt, path::Path};
//! use securitylake::lake::store::local_store;
//! use securitylake::model::columnar::ColumnarOptions;
//! use securitylake::parquet::write_parquet;
//! use securitylake::model::v1_1_0::enums::StatusId;
//! use securitylake::model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
//! use securitylake::model::v1_1_0::objects::{Metadata, Product, User};
//! use securitylake::subscriber::{Handler, HandlerError, LakeObject, LocalSource, Subscriber};
//!
//! struct FailedLogons(Arc<AtomicU64>);
//!
//! #[securitylake::subscriber::async_trait]
//! impl Handler for FailedLogons {
//!     async fn handle(&self, object: &LakeObject) -> Result<(), HandlerError> {
//!         let mut batches = object.typed::<Authentication>()?;
//!         while let Some(batch) = batches.try_next().await? {
//!             let failed = batch.iter().filter(|e| e.status_id == Some(StatusId::Failure));
//!             self.0.fetch_add(failed.count() as u64, Ordering::Relaxed);
//!         }
//!         Ok(())
//!     }
//! }
//!
//! // An object in the lake (a writer would have put it there).
//! let dir = tempfile::tempdir()?;
//! let mut failed = Authentication::new(AuthenticationActivityId::Logon,
//!     Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, 1_000, User::default());
//! failed.status_id = Some(StatusId::Failure);
//! local_store(dir.path())?
//!     .put(&Path::from("ext/app/1.0/region=us-east-1/accountId=123456789012/eventDay=19700101/a.zstd.parquet"),
//!          write_parquet(&[failed], &ColumnarOptions::default())?.into())
//!     .await?;
//!
//! let count = Arc::new(AtomicU64::new(0));
//! let subscriber = Subscriber::builder()
//!     .source(LocalSource::new(dir.path()))
//!     .handler(FailedLogons(count.clone()))
//!     .build()
//!     .await?;
//! subscriber.run_once().await?; // `run()` keeps polling until shut down
//! assert_eq!(count.load(Ordering::Relaxed), 1);
//! # Ok(())
//! # }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "model")]
#[cfg_attr(docsrs, doc(cfg(feature = "model")))]
#[doc(inline)]
pub use ocsf_model as model;

#[cfg(feature = "parquet")]
#[cfg_attr(docsrs, doc(cfg(feature = "parquet")))]
#[doc(inline)]
pub use securitylake_parquet as parquet;

#[cfg(feature = "mappers")]
#[cfg_attr(docsrs, doc(cfg(feature = "mappers")))]
#[doc(inline)]
pub use ocsf_mappers as mappers;

// The lake's foundation (`securitylake-core`): layout, object stores, AWS
// configuration. Named `lake`, not `core`, so that it never shadows the
// language's `core` crate in paths (see docs/adr/0041).
#[cfg(feature = "lake")]
#[cfg_attr(docsrs, doc(cfg(feature = "lake")))]
#[doc(inline)]
pub use securitylake_core as lake;

#[cfg(feature = "source")]
#[cfg_attr(docsrs, doc(cfg(feature = "source")))]
#[doc(inline)]
pub use securitylake_source as source;

#[cfg(feature = "control")]
#[cfg_attr(docsrs, doc(cfg(feature = "control")))]
#[doc(inline)]
pub use securitylake_control as control;

#[cfg(feature = "subscriber")]
#[cfg_attr(docsrs, doc(cfg(feature = "subscriber")))]
#[doc(inline)]
pub use securitylake_subscriber as subscriber;

#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
#[doc(inline)]
pub use securitylake_emulator as emulator;

#[cfg(feature = "compiler")]
#[cfg_attr(docsrs, doc(cfg(feature = "compiler")))]
#[doc(inline)]
pub use ocsf_compiler as compiler;

pub mod prelude;

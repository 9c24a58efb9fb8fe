//! The Amazon Security Lake data plane for custom sources: typed,
//! crash-safe writers.
//!
//! * [`writer`]: a [`Writer<E>`](Writer) typed by event class that
//!   partitions events by their own UTC day, rolls files by age and size,
//!   writes Parquet by Security Lake's rules, bounds its memory with
//!   backpressure and keeps every accepted event in a local [`spool`] until
//!   the object holding it is in the store; [`Manifest`]s report what was
//!   written.
//! * [`input`]: where raw logs come from: line inputs (a file read once, a
//!   followed file with `tail -F` semantics, stdin) with durable
//!   [`Checkpoints`](input::Checkpoints), and a syslog receiver over UDP,
//!   TCP and TLS.
//! * [`sink`]: a [`LakeSink`](sink::LakeSink) that routes events of every
//!   class of one OCSF version to one writer (and custom source) per class,
//!   dead-lettering the events a writer refuses.
//! * [`error`]: the crate's single [`Error`] type.
//!
//! Registering the source, making written partitions queryable in Glue and
//! creating subscribers are the control plane, in `securitylake-control`;
//! this crate calls neither the Security Lake nor the Glue API.
//!
//! # Publish your first custom source
//!
//! 1. **Register** the source once per account and region with
//!    `securitylake_control::Registrar::reconcile`; the registration it
//!    returns carries the provider role and the S3 location.
//! 2. **Write** as the provider role (assumed with the external id, see
//!    `securitylake_core::aws::AwsConfig::assume_role`): a [`Writer`] of the
//!    source's class over an `object_store` S3 store of the location's bucket
//!    (`securitylake_core::store::S3StoreBuilder::location`), configured
//!    with [`WriterConfigBuilder::source`] (or
//!    [`location`](WriterConfigBuilder::location)). The [`writer`] module
//!    shows a complete, runnable writer over a local lake.
//! 3. **Make it queryable**: add the partitions of the [`Manifest`] to the
//!    source's Glue table (`securitylake_control::GluePartitioner`).
//!
//! The repository's `register_custom_source` example runs the three steps
//! against the loopback emulator, offline.

//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `s3` | yes | [`WriterConfigBuilder::s3`]: an S3 store of the location's bucket built from an `AwsConfig` (`securitylake-core/s3`: the AWS SDK, `object_store`'s S3 client) |
//! | `syslog-tls` | yes | `input::syslog::SyslogReceiverBuilder::tls`: syslog over TLS, RFC 5425 (`rustls`, `tokio-rustls`) |
//!
//! Without `s3` the crate has no AWS dependency: give the writer any
//! `Arc<dyn ObjectStore>` with [`WriterConfigBuilder::store`], such as
//! `securitylake_core::store::local_store`.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod binary;
pub mod error;
pub mod input;
pub mod manifest;
mod record;
pub mod sink;
pub mod spool;
pub mod writer;

pub use error::{Error, ErrorKind, Result};
pub use manifest::{Manifest, ManifestEntry};
pub use writer::{Durability, Writer, WriterConfig, WriterConfigBuilder, WriterStats};

// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

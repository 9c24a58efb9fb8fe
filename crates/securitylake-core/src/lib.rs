//! The foundation of the Security Lake crates: the lake's object layout,
//! [`object_store`] stores built from AWS configuration (with role
//! assumption), the one retry policy, the one atomic file write, and the
//! shared error type. It knows nothing about OCSF classes.
//!
//! # Layout rules
//!
//! A custom source's objects are stored at
//!
//! ```text
//! <provider.location>region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/<32 hex>.<codec>.parquet
//! ```
//!
//! * `provider.location` is what Security Lake returned for the source
//!   (`s3://<bucket>/ext/<name>/`, or `s3://<bucket>/ext/<name>/<version>/` for
//!   sources created with a `sourceVersion`). Parse it with
//!   [`SourceLocation::parse`](layout::SourceLocation::parse); never build the
//!   prefix by hand when the API gave one. Native sources live under
//!   `aws/<SOURCE>/<1.0|2.0>/`.
//! * `region` is the lake's region; `accountId` is the 12-digit account the
//!   records pertain to, or `external` / `external_<id>` for data from outside
//!   AWS. The partition names are cased exactly `accountId=` and `eventDay=`.
//! * `eventDay` is the UTC day of each record's own event time (`time`, epoch
//!   milliseconds), never the write time, so one flush can span several
//!   partitions.
//! * File names are 32 lowercase hex digits with a codec infix
//!   (`.zstd.parquet`, `.gz.parquet`, `.snappy.parquet`). Deriving the hex from
//!   the content ([`ObjectName::from_content`](layout::ObjectName::from_content))
//!   makes retried uploads idempotent.
//!
//! [`ParsedKey::parse`](layout::ParsedKey::parse) is the inverse: it recognises
//! custom and native keys and reports tolerated deviations (lowercase
//! `accountid=` / `eventday=`) as flags.
//!
//! ```
//! use securitylake_core::layout::{AccountId, Codec, ObjectName, PartitionKey, Region, SourceLocation};
//!
//! let location = SourceLocation::parse("s3://aws-security-data-lake-us-east-1-abc/ext/myapp/")?;
//! // 2024-02-29T23:59:59.999Z: the event's own time decides the day.
//! let partition = PartitionKey::for_event_time(
//!     Region::new("us-east-1")?,
//!     AccountId::parse("123456789012")?,
//!     1_709_251_199_999,
//! )?;
//! assert_eq!(partition.to_string(), "region=us-east-1/accountId=123456789012/eventDay=20240229/");
//!
//! let name = ObjectName::from_content(b"parquet bytes", Codec::Zstd);
//! assert_eq!(name.to_string().len(), 32 + ".zstd.parquet".len());
//! let key = location.object_key(&partition, &name);
//! assert_eq!(
//!     key,
//!     format!("ext/myapp/region=us-east-1/accountId=123456789012/eventDay=20240229/{name}")
//! );
//! # Ok::<(), securitylake_core::Error>(())
//! ```
//!
//! # Object stores
//!
//! Storage is [`object_store::ObjectStore`] (re-exported as
//! [`securitylake_core::object_store`](object_store), the version `parquet`
//! uses). [`store`] builds one from what you have:
//! [`S3StoreBuilder`](store::S3StoreBuilder) from an
//! [`AwsConfig`](aws::AwsConfig) and a [`SourceLocation`](layout::SourceLocation)
//! (credentials from the SDK chain or an assumed role, `AWS_ENDPOINT_URL`,
//! checksums, conditional puts, the retry policy), or
//! [`local_store`](store::local_store) from a directory.
//! [`put_if_absent`](store::put_if_absent) writes an object once (a
//! conditional create, multipart above a threshold), in a `tracing` span
//! named `object_put`.
//!
//! # Retries and files
//!
//! [`retry::RetryPolicy`] is the one retry policy (exponential backoff with
//! full jitter, an attempt and a time budget), applied at one layer per
//! operation; [`fs::write_atomic`] is the one atomic, durable file write.
//!
//! # AWS configuration
//!
//! [`AwsConfig`](aws::AwsConfig) loads the SDK's standard configuration with
//! explicit overrides for tests, and assumes Security Lake's provider or
//! subscriber roles with an external id, refreshing the temporary credentials
//! before they expire.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `s3` | yes | [`aws`] (`AwsConfig`, role assumption), `store::S3StoreBuilder`, `store::SdkCredentialProvider`, `RetryPolicy::sdk_config` / `object_store_config`: the AWS SDK (S3, STS, aws-config) and `object_store`'s S3 client |
//!
//! Without `s3` the crate has no AWS, hyper or rustls dependency: the
//! layout, [`store::local_store`], [`store::put_if_absent`], the retry
//! policy and the atomic file write.
//!
//! # Errors
//!
//! Every fallible function returns [`Error`]; branch on [`Error::kind`] and
//! ask [`Error::is_retryable`]. Foreign errors are only reachable through
//! [`std::error::Error::source`].

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "s3")]
#[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
pub mod aws;
pub mod error;
pub mod fs;
pub mod layout;
pub mod retry;
pub mod store;
/// The workspace's one civil-date and RFC 3339 module (the grammar, leap seconds, year range):
/// [`ocsf_model::time`], re-exported so that users of this crate need no OCSF dependency of
/// their own. `securitylake-core` takes its day arithmetic from it (`eventDay`).
pub use ocsf_model::time;

/// The `object_store` crate, in the version this crate (and `parquet`'s
/// `object_store` feature) is built against.
pub use object_store;

pub use error::{Error, ErrorKind, Result};

// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

//! A subscriber client for Amazon Security Lake.
//!
//! Two ways to consume: [`Subscriber::deliveries`], a stream of [`Delivery`] values you settle
//! yourself (ack after your own effect is durable, nack, extend; see [`Delivery`]), or
//! [`Subscriber::run`] with a [`Handler`], which acknowledges for you. Notifications come from
//! a [`Feed`]: the built-in sources below, a [`MemoryFeed`], or your own.
//!
//! A [`Subscriber`] receives object notifications from an SQS queue
//! ([`SqsSource`]), an HTTPS endpoint that EventBridge API destinations call
//! ([`HttpsSource`]), or a local lake directory ([`LocalSource`]); drops
//! duplicates by bucket + key + etag ([`checkpoint`]); reads each object
//! with range requests one row group at a time ([`reader`]); and hands it to
//! a [`Handler`] as Arrow batches, typed OCSF events of the detected class
//! and version, or [`DynamicEvent`](ocsf_model::DynamicEvent)s.
//!
//! Delivery is at least once: a notification is acknowledged (SQS message
//! deleted, HTTPS spool entry removed, local object marked) only after the
//! handler finished the whole object. Retryable failures are retried with
//! backoff; permanent ones go to a [`DeadLetterSink`] with the reason and
//! are then acknowledged.
//!
//! # Write your first subscriber
//!
//! Implement [`Handler`] (one call per object; read it as typed events with
//! [`LakeObject::typed`], as Arrow batches, or as dynamic events), choose a
//! source, and run the [`Subscriber`]: [`Subscriber::run`] until shut down,
//! or [`Subscriber::run_once`] for one pass. With a Security Lake
//! subscriber, give the builder the AWS configuration and the subscriber
//! role with its external id (`SubscriberBuilder::subscriber_role`) and a
//! [`SqsSource`] or [`HttpsSource`]. Here, a local lake:
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt").block_on(async {
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use ocsf_model::columnar::ColumnarOptions;
//! use securitylake_parquet::write_parquet;
//! use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
//! use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
//! use securitylake_core::object_store::{ObjectStoreExt, path::Path};
//! use securitylake_core::store::local_store;
//! use securitylake_subscriber::{Handler, HandlerError, LakeObject, LocalSource, Subscriber};
//!
//! struct CountLogons(Arc<AtomicUsize>);
//!
//! #[securitylake_subscriber::async_trait]
//! impl Handler for CountLogons {
//!     async fn handle(&self, object: &LakeObject) -> Result<(), HandlerError> {
//!         let mut events = object.typed::<Authentication>()?;
//!         while let Some(batch) = events.try_next().await? {
//!             self.0.fetch_add(batch.len(), Ordering::SeqCst);
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let dir = tempfile::tempdir().expect("tempdir");
//! let event = Authentication::new(AuthenticationActivityId::Logon,
//!     Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, 1_000, User::default());
//! let bytes = write_parquet(&[event.clone(), event], &ColumnarOptions::default())?;
//! local_store(dir.path())?
//!     .put(&Path::from("ext/app/region=us-east-1/accountId=external/eventDay=19700101/a.zstd.parquet"),
//!          bytes.into())
//!     .await?;
//!
//! let count = Arc::new(AtomicUsize::new(0));
//! let subscriber = Subscriber::builder()
//!     .source(LocalSource::new(dir.path()))
//!     .handler(CountLogons(count.clone()))
//!     .build()
//!     .await?;
//! let stats = subscriber.run_once().await?;
//! assert_eq!((stats.objects_processed, count.load(Ordering::SeqCst)), (1, 2));
//! // A second scan finds nothing new.
//! assert_eq!(subscriber.run_once().await?.duplicates, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(()) }).expect("example");
//! ```
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `s3` | yes | reading objects from S3 with an `AwsConfig` (`SubscriberBuilder::aws_config`, `SubscriberBuilder::subscriber_role`; `securitylake-core/s3`) |
//! | `sqs` | yes | `SqsSource`, notifications from an SQS queue (`aws-sdk-sqs`; implies `s3`) |
//! | `https` | yes | `HttpsSource`, the HTTPS endpoint EventBridge API destinations call (`hyper`, `rustls`) |
//!
//! With none of them the crate has no AWS, hyper or rustls dependency:
//! [`LocalSource`], [`MemoryFeed`], your own [`Feed`] and any `ObjectStore`
//! given with [`SubscriberBuilder::store`] all work.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod checkpoint;
mod deadletter;
mod delivery;
mod engine;
mod error;
mod events;
pub mod feed;
mod feeds;
mod handler;
#[cfg(feature = "https")]
#[cfg_attr(docsrs, doc(cfg(feature = "https")))]
pub mod https;
pub mod lint;
pub mod notification;
pub mod reader;
#[cfg(feature = "sqs")]
mod sqs;
mod stats;
mod stream;
mod subscriber;

pub use deadletter::{DeadLetter, DeadLetterSink, FileDeadLetterSink, MemoryDeadLetterSink};
pub use delivery::{Acker, Deliveries, Delivery};
pub use engine::{DEFAULT_HANDLER_RETRY, Filters};
pub use error::{BoxError, Error, ErrorKind, Result};
pub use feed::{Feed, MemoryFeed};
pub use handler::{Handler, HandlerError, LakeObject};
#[cfg(feature = "https")]
#[cfg_attr(docsrs, doc(cfg(feature = "https")))]
pub use https::{HttpsSource, HttpsSourceBuilder};
pub use notification::{Notification, ObjectRef};
#[cfg(feature = "sqs")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqs")))]
pub use sqs::SqsSource;
pub use stats::SubscriberStats;
pub use stream::ResultStream;

/// The attribute that implements [`Handler`], [`Feed`] and [`DeadLetterSink`] (their methods are
/// `async`): re-exported so an implementation needs no dependency of its own, as in
/// `#[securitylake_subscriber::async_trait]`.
pub use async_trait::async_trait;
pub use subscriber::{
    LOCAL_BUCKET, LocalSource, ShutdownHandle, Source, StatsHandle, Subscriber, SubscriberBuilder,
};

// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

//! The common types, one short path away: `use securitylake::prelude::*;`.
//!
//! What an application touches in most programs: the event trait, the
//! mappers, the lake's location and AWS configuration, the writer, the
//! control plane's registrars and the subscriber. Each name is re-exported
//! only with its feature. Left out on purpose: the crates' `Error` types
//! (every crate has one; name them through their module, such as
//! `securitylake::source::Error`), the versioned OCSF types (pick a version
//! module: `securitylake::model::v1_1_0::events::Authentication`) and names
//! that two crates share (`Notification`).
//!
//! ```
//! use securitylake::prelude::*;
//!
//! let location = SourceLocation::parse("s3://aws-security-data-lake-us-east-1-abc/ext/my-app/1.0/")?;
//! let set = SourceSet::builder("my-app")
//!     .class(OcsfClass::new(3002, "authentication")?)
//!     .principal("123456789012")
//!     .external_id("my-external-id")
//!     .crawler_role_arn("arn:aws:iam::123456789012:role/GlueCrawler")
//!     .build()?;
//! assert_eq!(set.sources()[0].name(), "my-app-3002-authenti");
//! let _writer = WriterConfig::builder().location(location);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "model")]
pub use ocsf_model::OcsfEvent;

#[cfg(feature = "mappers")]
pub use ocsf_mappers::{DeepSecurityMapper, LinuxMapper, SourceConfig};

#[cfg(feature = "s3")]
pub use securitylake_core::aws::{AssumeRoleProvider, AwsConfig};
#[cfg(feature = "lake")]
pub use securitylake_core::layout::{PartitionKey, SourceLocation};

#[cfg(feature = "source")]
pub use securitylake_source::{Manifest, Writer, WriterConfig};

#[cfg(feature = "control")]
pub use securitylake_control::{
    CustomSource, OcsfClass, Outcome, RegisteredSource, Registrar, SourceSet, SubscribedSource,
    SubscriberRegistrar, SubscriberSpec,
};

#[cfg(feature = "glue")]
pub use securitylake_control::GluePartitioner;

#[cfg(feature = "subscriber")]
pub use securitylake_subscriber::{
    Handler, HandlerError, LakeObject, LocalSource, ResultStream, Subscriber, async_trait,
};

//! AWS Lambda functions for Amazon Security Lake, on the crates of this workspace:
//!
//! * [`transform`]: the custom-source side. An S3 `ObjectCreated` notification (directly, or
//!   through SQS) for a raw log object (plain or gzip; Linux logs, Deep Security CEF / LEEF,
//!   OCSF JSON) streams the object through ocsf-mappers and the `LakeSink` router into one
//!   custom source per OCSF class. Configured from environment variables
//!   ([`TransformConfig::from_env`]); the `seclake-lambda-transform` binary is the function.
//! * [`subscriber`]: the subscriber side. An SQS event source mapping hands a batch of Security
//!   Lake notifications; your [`Handler`](securitylake_subscriber::Handler) runs per object,
//!   with the subscriber crate's dedupe, retries and dead letters, and the response names only
//!   the failed messages (`ReportBatchItemFailures`).
//!
//! Deployment (`cargo lambda build --release --arm64`, SAM templates with the IAM permissions
//! each function needs) is in the crate's `examples/` and README.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod config;
mod error;
pub mod event;
mod object_lines;
pub mod subscriber;
pub mod transform;

pub use config::{MapperChoice, TransformConfig};
pub use error::{BoxError, Error, ErrorKind, Result};
pub use transform::{Transform, TransformReport};

/// Logs `tracing` events as plain lines on standard error (CloudWatch Logs keeps them), at the
/// level of `RUST_LOG` (default `info`). Call it once, first thing in `main`; a second call
/// does nothing.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .try_init();
}

/// The Lambda runtime and event types this crate is built on, for functions that use it.
pub use aws_lambda_events;
pub use lambda_runtime;

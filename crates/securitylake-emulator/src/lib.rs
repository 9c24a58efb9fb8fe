//! A loopback Amazon Security Lake for offline development and tests: the
//! control-plane routes that the SDK uses, an in-process S3 (`s3s-fs` over a
//! directory), a minimal STS, and subscriber notifications for new objects.
//!
//! It is a development tool: nothing in the SDK needs it at run time.
//!
//! ```
//! use securitylake_emulator::Emulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), securitylake_emulator::Error> {
//! let emulator = Emulator::builder().region("us-east-1").start().await?;
//! for (name, value) in emulator.env_vars() {
//!     println!("export {name}={value}");
//! }
//! // Point aws-sdk-securitylake at emulator.endpoint_url() and aws-sdk-s3 at
//! // emulator.s3_endpoint_url() with force_path_style(true).
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # One port, three protocols
//!
//! The listener (default `127.0.0.1:0`; loopback only) dispatches by request:
//!
//! * paths under `/v1/`: Security Lake, rest-json, as `aws-sdk-securitylake`
//!   speaks it;
//! * a form-encoded `POST /`: STS (`AssumeRole`, `GetCallerIdentity`);
//! * everything else: path-style S3, served by `s3s` over `s3s-fs`.
//!
//! No S3 bucket can be named `v1` (bucket names have at least three
//! characters), so the routes cannot collide, and one `AWS_ENDPOINT_URL`
//! serves every client ([`Emulator::env_vars`]).
//!
//! # Security Lake routes
//!
//! | operation | route |
//! |---|---|
//! | `CreateCustomLogSource` | `POST /v1/datalake/logsources/custom` |
//! | `DeleteCustomLogSource` | `DELETE /v1/datalake/logsources/custom/{sourceName}[?sourceVersion=]` |
//! | `ListLogSources` | `POST /v1/datalake/logsources/list` |
//! | `CreateSubscriber` | `POST /v1/subscribers` |
//! | `GetSubscriber` / `DeleteSubscriber` | `GET` / `DELETE /v1/subscribers/{subscriberId}` |
//! | `Create`/`Update`/`DeleteSubscriberNotification` | `POST` / `PUT` / `DELETE /v1/subscribers/{subscriberId}/notification` |
//!
//! Names are those of the service: the provider role
//! `arn:aws:iam::<account>:role/AmazonSecurityLake-Provider-<sourceName>-<region>`,
//! the location `s3://aws-security-data-lake-<region>-<lake id>/ext/<sourceName>/`
//! (or `.../ext/<sourceName>/<sourceVersion>/` when a version is given), the
//! Glue database `amazon_security_lake_glue_db_<region with _>`, the table
//! `amazon_security_lake_table_<region with _>_ext_<source name lowercased,
//! characters other than letters and digits as _>` and the crawler named
//! after the source. The emulator serves no Glue API: the ARNs are names.
//!
//! Errors use the service's shapes: `x-amzn-ErrorType` plus a JSON body
//! with `message` (and `resourceName`/`resourceType` where modelled).
//!
//! * 400 `BadRequestException`: a malformed body, a missing required member,
//!   a `sourceName` that is not 1 to 64 characters of `[\w\-_:.]` or whose
//!   provider role name would exceed IAM's 64 characters (so at most 26
//!   characters in `us-east-1`), an invalid `sourceVersion` (1 to 32 of
//!   `[A-Za-z0-9\-._]`), a crawler role that is not an IAM role ARN, more
//!   than 50 custom sources, a bad page token. The SDK's model has no
//!   `ValidationException`; validation errors are `BadRequestException`.
//! * 403 `AccessDeniedException`: no `Authorization` header.
//! * 404 `ResourceNotFoundException`: an unknown subscriber, or a subscriber
//!   naming a custom source that does not exist.
//! * 409 `ConflictException`: a duplicate source name, or a second
//!   notification for a subscriber (update it with `PUT` instead).
//! * Any status injected with [`Emulator::inject_fault`] (for example 429
//!   `ThrottlingException` with `Retry-After`).
//!
//! `DeleteCustomLogSource` is idempotent and, as in the service, leaves the
//! data behind. `ListLogSources` returns one entry (`account`, `region`,
//! `sources: [{customLogSource}]`) per custom source, sorted by name, and
//! honours `maxResults` (1 to 1000, default 50), `nextToken` and the
//! `accounts`, `regions` and `sources` filters.
//!
//! # Signatures
//!
//! Security Lake requests must carry an `Authorization` header, but the
//! SigV4 signature is **not verified**: any credentials work. That is why
//! the emulator only binds loopback addresses. S3 requests are verified by
//! `s3s` against the configured key pairs (default
//! [`DEFAULT_ACCESS_KEY_ID`]/[`DEFAULT_SECRET_ACCESS_KEY`], `test`/`test`)
//! and the temporary keys issued by the emulator's STS.
//!
//! # STS
//!
//! `AssumeRole` succeeds for the provider role of a registered custom
//! source and for a subscriber's role when the `ExternalId` equals the one
//! given at registration (`providerIdentity.externalId` or
//! `subscriberIdentity.externalId`), and refuses anything else with
//! `AccessDenied`. The temporary keys it returns are accepted by the S3
//! endpoint until they expire. The session token is not checked and keys
//! are not scoped to the source's location.
//!
//! # Notifications
//!
//! New objects are detected by hooking the S3 service at the HTTP layer:
//! after a successful `PutObject`, `CopyObject` or `CompleteMultipartUpload`
//! in the lake bucket, the emulator reads the object's size and ETag from
//! `s3s-fs` and notifies every subscriber whose sources cover the key
//! (`ext/<name>/[<version>/]` of a registered custom source, or
//! `aws/<SOURCE>/[<version>/]`). There is no polling, so files written into
//! the data directory by other means are not announced.
//!
//! * HTTPS configuration: the body (see below) is sent with the configured
//!   method (`POST` or `PUT`), `content-type: application/json` and the
//!   `authorizationApiKeyName: authorizationApiKeyValue` header. Statuses
//!   that EventBridge API destinations retry (401, 407, 408, 409, 429, 5xx),
//!   transport errors and timeouts are retried up to
//!   [`DEFAULT_NOTIFICATION_MAX_ATTEMPTS`] times with exponential backoff
//!   (see [`EmulatorBuilder::notification_max_attempts`]); each outcome is
//!   recorded ([`Emulator::deliveries`]). The emulator has no TLS client, so
//!   endpoints must be `http://` (a loopback receiver); `https://`
//!   endpoints are refused with `BadRequestException`.
//! * SQS configuration: the emulator has no SQS; the bodies are queued in
//!   memory ([`Emulator::take_queued_notifications`]) and the subscriber
//!   endpoint is the queue ARN `AmazonSecurityLake-<subscriberId>-Main-Queue`.
//!
//! The body has the documented fields (`source: "aws.s3"`, `time`,
//! `account`, `region`, `resources`, `detail.bucket.name`,
//! `detail.object.key|size|etag`, `detail.request-id`, `detail.requester`)
//! inside the EventBridge `Object Created` envelope (`version`, `id`,
//! `detail-type`, `detail.version`, `detail.object.sequencer`,
//! `detail.reason`). The key is URL-encoded as S3 encodes event keys
//! (`region%3Dus-east-1/...`) unless
//! [`EmulatorBuilder::url_encode_notification_keys`] turns that off.
//!
//! # Fault proxy
//!
//! [`FaultProxy`] sits between an S3 client and any loopback S3 (the
//! emulator's, an `s3s-fs` server, `moto_server`) and answers chosen
//! requests with 500, 503 `ServiceUnavailable` / `SlowDown` or a connection
//! reset, before or after forwarding them, to test writers' retries.
//!
//! # State and storage
//!
//! Sources and subscribers live in memory; only S3 objects persist in the
//! data directory. The lake bucket is created at start and stored in the
//! sub-directory `_lake` ([`Emulator::lake_dir`]); other buckets are
//! sub-directories named after themselves.
//!
//! `s3s-fs` 0.14 names its per-object metadata files after the base64 of
//! bucket and key, so their lengths add up against the 255-byte file-name
//! limit; with a real lake bucket name, real lake keys would not fit and
//! `s3s-fs` would fail after writing the object but before its metadata.
//! Hence the short directory name for the lake bucket. Keys up to 163 bytes
//! (130 bytes for multipart uploads) fit in the lake bucket, which covers
//! the documented layout (`ext/<name up to 20>/<version>/region=.../
//! accountId=.../eventDay=.../<32 hex>.<codec>.parquet`) for single puts;
//! longer keys are refused with `KeyTooLongError` before anything is
//! written.

mod api;
mod auth;
mod delivery;
mod emulator;
mod encoding;
mod error;
mod fault;
mod notify;
mod proxy;
mod s3;
mod server;
mod state;
mod sts;
mod util;

pub use delivery::{Delivery, DeliveryOutcome};
pub use emulator::{
    DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCOUNT_ID, DEFAULT_NOTIFICATION_BACKOFF,
    DEFAULT_NOTIFICATION_MAX_ATTEMPTS, DEFAULT_NOTIFICATION_TIMEOUT, DEFAULT_REGION,
    DEFAULT_SECRET_ACCESS_KEY, Emulator, EmulatorBuilder, MAX_NOTIFICATION_BACKOFF,
};
pub use error::{Error, ErrorKind, Result};
pub use fault::{Fault, Operation};
pub use proxy::{FaultProxy, ProxiedRequest, ProxyFault, ProxyRule};
pub use state::CustomSourceSnapshot;

// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

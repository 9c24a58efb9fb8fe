//! Log mappers for Amazon Security Lake: Linux operating-system logs and Trend
//! Micro Deep Security events, normalized into typed OCSF events.
//!
//! # Layers
//!
//! 1. **Formats** ([`formats`]): allocation-light parsers that turn raw bytes
//!    into typed records borrowing from the input — syslog (RFC 3164 / 5424 /
//!    3339, multi-line joins), CEF, LEEF, auditd (with record grouping) and
//!    journald (export and JSON). They know nothing about OCSF.
//! 2. **Recognizers** ([`LinuxMapper`], [`DeepSecurityMapper`]): decide what a
//!    record means — which program, which message, which protection module —
//!    and produce a version-neutral [`Normalized`] record: the OCSF class and
//!    activity ([`normalized::Activity`]) and the facts (users, endpoints,
//!    process, session, file, finding, status and status detail, ...).
//! 3. **Renderers** ([`render`]): lay a [`Normalized`] record out as the typed
//!    events of one OCSF version from `ocsf-model`. [`V1_1_0`] renders
//!    [`ocsf_model::v1_1_0::Event`], the generated sum of every OCSF 1.1.0
//!    class (the mappers produce 14 of them).
//!
//! ## Why a neutral record and a `Target` trait
//!
//! Recognition is the hard, source-specific part; the OCSF layout is
//! mechanical and differs between versions (1.3.0 renames and adds
//! attributes). Splitting them lets a 1.3.0 target be added as one more
//! [`Target`] implementation (`impl Target for V1_3_0 { type Event = ...; fn
//! render(..) }`) while every recognizer stays as it is; users then pick it
//! with `LinuxMapper::<V1_3_0>::with_target(config)`. The alternatives were
//! worse: recognizers writing 1.1.0 structs directly would have to be
//! duplicated per version, and a dynamic JSON output would lose the typed
//! model. The mappers are generic over the target with 1.1.0 as the default
//! type parameter, so the common case needs no turbofish; the trait has one
//! method and one associated type.
//!
//! # Streaming
//!
//! Every mapper takes one line at a time (`map_line`) and is a
//! [`stream::LineMapper`], so [`stream::events`] maps a whole [`std::io::BufRead`]
//! (and, with the `async` feature, `stream::events_async` a tokio
//! `AsyncBufRead`). journald export streams are read with
//! [`LinuxMapper::journal_export`] (and `journal_export_async`). Lines are
//! bounded ([`SourceConfig::max_line_len`]); invalid UTF-8 is replaced.
//!
//! # Nothing is dropped
//!
//! Every non-blank input produces at least one event. A line that is not
//! recognized, or is recognized but malformed, becomes a Base Event
//! (`class_uid` 0) with the line in `raw_data`, and the reason and parse error
//! in `unmapped.fallback`; [`MapperStats`] counts accepted inputs, events per
//! class and fallbacks per [`FallbackReason`].
//!
//! # Configuration and time
//!
//! [`SourceConfig`] names the product, vendor, version, log name and tenant,
//! the fixed UTC offset of the sender's clock, a hostname fallback and the
//! reference clock used to infer the year of RFC 3164 timestamps. Event `time`
//! is always epoch milliseconds UTC; injecting the reference clock makes
//! mapping deterministic.
//!
//! # Observables
//!
//! The renderer adds an `observable` for every IP address, hostname, user
//! name, file hash, process name, MAC address and URL it writes to a typed
//! field, named by the attribute path (`src_endpoint.ip`, `actor.user.name`).
//!
//! `MAPPINGS.md` in the crate lists every recognized message with its class,
//! activity and fields.
//!
//! ```
//! use ocsf_mappers::{LinuxMapper, SourceConfig};
//!
//! let config = SourceConfig::linux()
//!     .with_log_name("auth.log")
//!     .with_tenant_uid("123456789012")
//!     .with_reference_ms(1_718_000_000_000); // 2024-06-10
//! let mut mapper = LinuxMapper::new(config);
//! let events = mapper.map_line(
//!     "Jun  9 12:00:00 bastion sshd[4242]: Accepted publickey for alice from 192.0.2.10 port 50022 ssh2: ED25519 SHA256:abc",
//! );
//! let json = serde_json::to_value(&events[0])?;
//! assert_eq!(json["class_name"], "Authentication");
//! assert_eq!(json["activity_name"], "Logon");
//! assert_eq!(json["status"], "Success");
//! assert_eq!(json["auth_protocol"], "publickey");
//! assert_eq!(json["metadata"]["tenant_uid"], "123456789012");
//! assert_eq!(json["observables"][0]["type"], "User Name");
//! # Ok::<(), serde_json::Error>(())
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod config;
pub mod deep_security;
pub mod error;
pub mod formats;
pub mod lines;
pub mod linux;
#[cfg(feature = "async")]
pub mod map_thread;
pub mod normalized;
pub mod ocsf_json;
pub mod projection;
pub mod render;
pub mod stats;
pub mod stream;
pub mod trend_micro;

mod strings;
mod unmapped;
mod util;

pub use config::SourceConfig;
pub use deep_security::DeepSecurityMapper;
pub use error::{Error, ErrorKind, Format};
pub use linux::{LinuxMapper, MessageContext};
pub use normalized::Normalized;
pub use projection::Projection;
#[cfg(feature = "v1_3_0")]
#[cfg_attr(docsrs, doc(cfg(feature = "v1_3_0")))]
pub use render::V1_3_0;
pub use render::{Target, V1_1_0};
pub use stats::{FallbackReason, MapperStats};
pub use trend_micro::TrendMicroMapper;

// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

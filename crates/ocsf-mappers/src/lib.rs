//! Raw log parsing for the Security Lake OCSF mappers.
//!
//! This crate will normalize Linux operating-system logs and Trend Micro Deep
//! Security logs into typed OCSF events. It is built in two layers:
//!
//! 1. **The format layer** ([`formats`], this release): fast, allocation-light
//!    parsers that turn raw bytes into typed records which borrow from the input
//!    wherever possible. They know nothing about OCSF.
//!    * [`formats::syslog`] — RFC 3164, RFC 5424 and RFC 3339-prefixed syslog
//!      lines, plus a [`formats::syslog::Multiline`] combiner for continuation lines.
//!    * [`formats::cef`] — ArcSight CEF, optionally behind a syslog header.
//!    * [`formats::leef`] — IBM LEEF 1.0 and 2.0, optionally behind a syslog header.
//!    * [`formats::auditd`] — Linux audit records and an
//!      [`formats::auditd::AuditGrouper`] that assembles multi-record events.
//!    * [`formats::journald`] — `journalctl -o export` and `-o json` streams.
//! 2. **The mapping layer** (to come): consumes these records and builds OCSF
//!    events.
//!
//! Every parser reports failures through the single [`Error`] type: bad input
//! never panics and is never dropped silently.
//!
//! ```
//! use ocsf_mappers::formats::syslog::{self, SyslogContext};
//!
//! // RFC 3164 lines carry no year and no zone: the caller supplies a reference
//! // clock (epoch ms) and the UTC offset the sender's clock used.
//! let ctx = SyslogContext::new(1_718_000_000_000).with_utc_offset_secs(0);
//! let rec = syslog::parse("<38>Jun 14 15:16:01 combo sshd[19939]: Accepted password", &ctx)?;
//! assert_eq!(rec.hostname, Some("combo"));
//! assert_eq!(rec.app, Some("sshd"));
//! assert_eq!(rec.pid, Some(19939));
//! assert_eq!(rec.message, "Accepted password");
//! # Ok::<(), ocsf_mappers::Error>(())
//! ```

pub mod error;
pub mod formats;

pub use error::{Error, ErrorKind, Format};

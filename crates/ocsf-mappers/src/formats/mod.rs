//! The raw-format parsing layer.
//!
//! Each submodule parses one wire format into typed records. Records borrow from
//! the input line (`&'a str`) and only allocate where decoding changes the text
//! (escapes, hex), which is why decoded values are [`std::borrow::Cow`]s. The
//! journald readers own their entries because they read from a stream.
//!
//! None of these parsers depends on an OCSF model: they are the input of the
//! mapping layer.

pub mod auditd;
pub mod cef;
pub mod date_pattern;
pub mod journald;
pub mod leef;
pub mod syslog;
mod syslog_year;
pub mod time;

mod text;

//! The crate's single error type.
//!
//! Every parser in [`crate::formats`] reports failures through [`Error`]: which
//! [`Format`] was being read, a coarse [`ErrorKind`] to branch on, the byte offset
//! where the problem was found (when that is meaningful) and a human-readable
//! detail naming what was wrong.

use std::borrow::Cow;
use std::fmt;

/// The input format a parser was reading when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// RFC 3164 / RFC 5424 / RFC 3339-prefixed syslog lines.
    Syslog,
    /// ArcSight Common Event Format.
    Cef,
    /// IBM QRadar Log Event Extended Format.
    Leef,
    /// Linux audit daemon (`auditd`) records.
    Auditd,
    /// `journalctl -o export` stream.
    JournaldExport,
    /// `journalctl -o json` stream.
    JournaldJson,
    /// A stand-alone timestamp (see [`crate::formats::time`]).
    Timestamp,
    /// A stream of lines read by the mapping layer (see [`crate::stream`]).
    Lines,
    /// OCSF events as JSON (see [`crate::ocsf_json`]).
    OcsfJson,
}

impl Format {
    /// A short lowercase name for the format, as used in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Syslog => "syslog",
            Format::Cef => "cef",
            Format::Leef => "leef",
            Format::Auditd => "auditd",
            Format::JournaldExport => "journald export",
            Format::JournaldJson => "journald json",
            Format::Timestamp => "timestamp",
            Format::Lines => "lines",
            Format::OcsfJson => "ocsf json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What class of problem an [`Error`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input was empty or only whitespace.
    Empty,
    /// The input ended before a required part.
    Truncated,
    /// A syslog `<PRI>` was malformed or out of range.
    InvalidPriority,
    /// A timestamp was malformed or named an impossible date or time.
    InvalidTimestamp,
    /// A format version (syslog, CEF, LEEF) was missing or unsupported.
    InvalidVersion,
    /// A header (CEF/LEEF pipes, audit `type=`/`msg=audit(...)`) was malformed.
    InvalidHeader,
    /// RFC 5424 structured data was malformed.
    InvalidStructuredData,
    /// A key/value section (CEF extension, LEEF attributes, audit fields) was malformed.
    InvalidField,
    /// A LEEF 2.0 delimiter specification was malformed.
    InvalidDelimiter,
    /// A number (pid, serial, priority, length, ...) was malformed or out of range.
    InvalidNumber,
    /// Bytes that must be UTF-8 were not.
    InvalidUtf8,
    /// A JSON document was malformed or had an unexpected shape.
    InvalidJson,
    /// A configured size limit was exceeded.
    LimitExceeded,
    /// Reading from the underlying reader failed.
    Io,
}

impl ErrorKind {
    /// A short lowercase description of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Empty => "empty input",
            ErrorKind::Truncated => "truncated input",
            ErrorKind::InvalidPriority => "invalid priority",
            ErrorKind::InvalidTimestamp => "invalid timestamp",
            ErrorKind::InvalidVersion => "invalid version",
            ErrorKind::InvalidHeader => "invalid header",
            ErrorKind::InvalidStructuredData => "invalid structured data",
            ErrorKind::InvalidField => "invalid field",
            ErrorKind::InvalidDelimiter => "invalid delimiter",
            ErrorKind::InvalidNumber => "invalid number",
            ErrorKind::InvalidUtf8 => "invalid UTF-8",
            ErrorKind::InvalidJson => "invalid JSON",
            ErrorKind::LimitExceeded => "limit exceeded",
            ErrorKind::Io => "I/O error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parse or read failure from one of the format parsers.
///
/// ```
/// use ocsf_mappers::{ErrorKind, Format};
/// use ocsf_mappers::formats::cef;
///
/// let err = cef::parse("CEF:0|Vendor|Product").unwrap_err();
/// assert_eq!(err.format(), Format::Cef);
/// assert_eq!(err.kind(), ErrorKind::Truncated);
/// assert!(!err.is_retryable());
/// ```
#[derive(Debug)]
pub struct Error {
    format: Format,
    kind: ErrorKind,
    offset: Option<u64>,
    detail: Cow<'static, str>,
    source: Option<std::io::Error>,
}

impl Error {
    /// Builds an error without an offset.
    pub fn new(format: Format, kind: ErrorKind, detail: impl Into<Cow<'static, str>>) -> Self {
        Error {
            format,
            kind,
            offset: None,
            detail: detail.into(),
            source: None,
        }
    }

    /// Wraps an I/O error raised while reading `format` at stream offset `offset`.
    pub fn io(format: Format, offset: u64, source: std::io::Error) -> Self {
        Error {
            format,
            kind: ErrorKind::Io,
            offset: Some(offset),
            detail: Cow::Owned(source.to_string()),
            source: Some(source),
        }
    }

    /// Sets the byte offset (within the parsed input) where the problem was found.
    #[must_use]
    pub fn at(mut self, offset: usize) -> Self {
        self.offset = Some(offset as u64);
        self
    }

    /// Sets the byte offset from a 64-bit stream position.
    #[must_use]
    pub fn at_u64(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Shifts an existing offset by `base` (used when a sub-parser saw a slice).
    #[must_use]
    pub(crate) fn shifted(mut self, base: usize) -> Self {
        if let Some(o) = self.offset.as_mut() {
            *o += base as u64;
        }
        self
    }

    /// Re-attributes the error to another format (used when a wrapper parser
    /// delegates, e.g. CEF reading a syslog header).
    #[must_use]
    pub(crate) fn in_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// The format that was being parsed.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The class of problem.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The byte offset of the problem within the parsed line (line parsers) or the
    /// stream (journald readers), when known.
    pub fn offset(&self) -> Option<u64> {
        self.offset
    }

    /// A human-readable description of what was wrong.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Whether retrying the same operation could succeed.
    ///
    /// Always `false` for parse errors: the same bytes fail the same way. Only I/O
    /// errors of a transient kind (interrupted, would block, timed out) are
    /// retryable.
    pub fn is_retryable(&self) -> bool {
        match &self.source {
            Some(e) => matches!(
                e.kind(),
                std::io::ErrorKind::Interrupted
                    | std::io::ErrorKind::WouldBlock
                    | std::io::ErrorKind::TimedOut
            ),
            None => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.format, self.kind)?;
        if let Some(o) = self.offset {
            write!(f, " at byte {o}")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.source {
            Some(e) => Some(e),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_format_kind_offset_and_detail() {
        let e = Error::new(Format::Leef, ErrorKind::InvalidDelimiter, "bad x0G").at(17);
        assert_eq!(e.to_string(), "leef: invalid delimiter at byte 17: bad x0G");
        assert_eq!(e.offset(), Some(17));
        assert_eq!(e.shifted(3).offset(), Some(20));
    }

    #[test]
    fn only_transient_io_is_retryable() {
        let parse = Error::new(Format::Syslog, ErrorKind::InvalidPriority, "x");
        assert!(!parse.is_retryable());
        let transient = Error::io(
            Format::JournaldExport,
            5,
            std::io::Error::from(std::io::ErrorKind::Interrupted),
        );
        assert!(transient.is_retryable());
        assert_eq!(transient.kind(), ErrorKind::Io);
        assert!(std::error::Error::source(&transient).is_some());
        let fatal = Error::io(
            Format::JournaldJson,
            0,
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        assert!(!fatal.is_retryable());
    }
}

//! The crate's single error type.
//!
//! Every fallible function in this crate returns [`Error`]. Branch on
//! [`Error::kind`] (a `#[non_exhaustive]` [`ErrorKind`]) and ask
//! [`Error::is_retryable`]. Foreign errors (the `securitylake-core`
//! errors) are only reachable through
//! [`std::error::Error::source`], so that the public API does not depend on
//! their versions.

use std::fmt;
use std::time::Duration;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A shorthand for `std::result::Result<T, securitylake_source::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, coarsely: the basis for handling an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument or specification is malformed (a source name, a version,
    /// an ARN) or the service refused the request as invalid (HTTP 400).
    /// Repeating the call cannot help.
    InvalidInput,
    /// The resource does not exist (HTTP 404, Glue `EntityNotFoundException`).
    NotFound,
    /// The resource already exists.
    AlreadyExists,
    /// Credentials were missing, invalid or expired, or the principal lacks
    /// permission (HTTP 401/403).
    AccessDenied,
    /// The service asked the caller to slow down (HTTP 429).
    Throttled,
    /// A concurrent operation conflicted with this one (HTTP 409); retry
    /// after a backoff.
    Conflict,
    /// A transient failure: a timeout, a dropped connection, an HTTP 5xx.
    Transient,
    /// Data failed an integrity check.
    Integrity,
    /// A local file-system error.
    Io,
    /// The service returned an error that fits no other kind, or a response
    /// that lacks what the API promises.
    Service,
    /// The configuration is incomplete or inconsistent.
    Config,
    /// A writer's bound on events waiting in open segments is reached:
    /// [`Writer::try_write`](crate::writer::Writer::try_write) would have to
    /// wait for an upload. Call [`Writer::write`](crate::writer::Writer::write)
    /// (which waits) or [`Writer::flush`](crate::writer::Writer::flush).
    Backpressure,
}

impl ErrorKind {
    /// Whether an error of this kind may go away when the same call is
    /// repeated after a backoff.
    pub const fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::Throttled | Self::Conflict | Self::Transient | Self::Integrity
        )
    }

    /// A short, stable, lowercase name for logs and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::NotFound => "not_found",
            Self::AlreadyExists => "already_exists",
            Self::AccessDenied => "access_denied",
            Self::Throttled => "throttled",
            Self::Conflict => "conflict",
            Self::Transient => "transient",
            Self::Integrity => "integrity",
            Self::Io => "io",
            Self::Service => "service",
            Self::Config => "config",
            Self::Backpressure => "backpressure",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<securitylake_core::ErrorKind> for ErrorKind {
    fn from(kind: securitylake_core::ErrorKind) -> Self {
        use securitylake_core::ErrorKind as Core;
        match kind {
            Core::InvalidInput => Self::InvalidInput,
            Core::NotFound => Self::NotFound,
            Core::AlreadyExists => Self::AlreadyExists,
            Core::AccessDenied => Self::AccessDenied,
            Core::Throttled => Self::Throttled,
            Core::Conflict => Self::Conflict,
            Core::Transient => Self::Transient,
            Core::Integrity => Self::Integrity,
            Core::Io => Self::Io,
            Core::Config => Self::Config,
            _ => Self::Service,
        }
    }
}

/// The error type of this crate.
///
/// ```
/// use securitylake_source::{Error, ErrorKind};
///
/// let err = Error::new(ErrorKind::Conflict, "source is being modified");
/// assert!(err.is_retryable());
/// assert_eq!(err.to_string(), "conflict: source is being modified");
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    code: Option<String>,
    status: Option<u16>,
    retry_after: Option<Duration>,
    source: Option<BoxError>,
}

impl Error {
    /// Creates an error of `kind` with a human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            code: None,
            status: None,
            retry_after: None,
            source: None,
        }
    }

    /// Creates an [`ErrorKind::InvalidInput`] error.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// An error of a local I/O operation, its kind derived from the
    /// `std::io::ErrorKind`: not found, access denied, transient
    /// (interrupted, timed out, would block) or [`ErrorKind::Io`].
    pub(crate) fn from_io(context: impl fmt::Display, err: std::io::Error) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match err.kind() {
            Io::NotFound => ErrorKind::NotFound,
            Io::PermissionDenied => ErrorKind::AccessDenied,
            Io::Interrupted | Io::TimedOut | Io::WouldBlock => ErrorKind::Transient,
            _ => ErrorKind::Io,
        };
        Self::new(kind, format!("{context}: {err}")).with_source(err)
    }

    /// Attaches the underlying cause, reachable through
    /// [`std::error::Error::source`].
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Attaches the service's error code (for example `ConflictException`).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Attaches the HTTP status of the failed response.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Attaches the delay the service asked for (`Retry-After`).
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether the same call may succeed when repeated after a backoff.
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }

    /// The message, without the kind prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The service's error code, when the error came from a service response.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The HTTP status, when the error came from a service response.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The delay the service asked for before a retry, if it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl From<securitylake_core::Error> for Error {
    fn from(err: securitylake_core::Error) -> Self {
        let mut error = Self::new(err.kind().into(), err.message().to_owned());
        error.code = err.code().map(str::to_owned);
        error.status = err.status();
        error.retry_after = err.retry_after();
        error.with_source(err)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        match (&self.code, self.status) {
            (Some(code), Some(status)) => write!(f, " ({code}, HTTP {status})"),
            (Some(code), None) => write!(f, " ({code})"),
            (None, Some(status)) => write!(f, " (HTTP {status})"),
            (None, None) => Ok(()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn core_errors_convert_with_their_chain() {
        let core = securitylake_core::Error::new(securitylake_core::ErrorKind::Throttled, "slow")
            .with_code("SlowDown")
            .with_status(503)
            .with_retry_after(Duration::from_secs(2));
        let err = Error::from(core);
        assert_eq!(err.kind(), ErrorKind::Throttled);
        assert!(err.is_retryable());
        assert_eq!(err.code(), Some("SlowDown"));
        assert_eq!(err.status(), Some(503));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(err.to_string(), "throttled: slow (SlowDown, HTTP 503)");
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("throttled: slow (SlowDown, HTTP 503)")
        );
    }

    #[test]
    fn retryable_kinds() {
        for kind in [
            ErrorKind::Throttled,
            ErrorKind::Conflict,
            ErrorKind::Transient,
            ErrorKind::Integrity,
        ] {
            assert!(kind.is_retryable(), "{kind}");
        }
        for kind in [
            ErrorKind::InvalidInput,
            ErrorKind::NotFound,
            ErrorKind::AlreadyExists,
            ErrorKind::AccessDenied,
            ErrorKind::Io,
            ErrorKind::Service,
            ErrorKind::Config,
            ErrorKind::Backpressure,
        ] {
            assert!(!kind.is_retryable(), "{kind}");
        }
        assert_eq!(Error::invalid_input("x").message(), "x");
        assert!(Error::invalid_input("x").source().is_none());
    }

    #[test]
    fn error_is_send_sync_static() {
        fn assert_traits<T: Send + Sync + 'static + std::error::Error>() {}
        assert_traits::<Error>();
    }
}

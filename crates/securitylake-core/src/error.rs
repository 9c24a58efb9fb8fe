//! The crate's single error type.
//!
//! Every fallible function in this crate returns [`Error`]. Callers branch on
//! [`Error::kind`] (a `#[non_exhaustive]` [`ErrorKind`]) and ask
//! [`Error::is_retryable`] whether repeating the same call may succeed. The
//! underlying foreign error (an AWS SDK error, an I/O error, ...) is only
//! reachable through [`std::error::Error::source`], so that this crate's public
//! API does not depend on the versions of those crates.

use std::fmt;
use std::time::Duration;

/// A boxed foreign error kept behind [`std::error::Error::source`].
type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A shorthand for `std::result::Result<T, securitylake_core::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, coarsely: the basis for handling an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument was malformed: a location, a key, a partition value, a
    /// range. Repeating the call cannot help.
    InvalidInput,
    /// The object, bucket or file does not exist.
    NotFound,
    /// A conditional write (`If-None-Match: *`) found an object already at the
    /// key. With deterministic object names this usually means an earlier
    /// attempt already succeeded.
    AlreadyExists,
    /// Credentials were missing, invalid or expired, or the principal lacks
    /// permission.
    AccessDenied,
    /// The service asked the caller to slow down (HTTP 429, S3 `SlowDown`).
    Throttled,
    /// A concurrent operation conflicted with this one (HTTP 409); it may be
    /// retried after a backoff.
    Conflict,
    /// A transient failure: a timeout, a dropped connection, an HTTP 5xx.
    Transient,
    /// Data failed an integrity check (checksum or `Content-MD5` mismatch).
    Integrity,
    /// A local file-system error that is not one of the kinds above.
    Io,
    /// The service returned an error that fits no other kind.
    Service,
    /// The configuration is incomplete or inconsistent (region, endpoint,
    /// credentials, builder values).
    Config,
}

impl ErrorKind {
    /// Whether an error of this kind may go away when the same call is repeated
    /// after a backoff.
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
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error type of this crate.
///
/// ```
/// use securitylake_core::{Error, ErrorKind};
///
/// let err = Error::new(ErrorKind::Throttled, "slow down");
/// assert_eq!(err.kind(), ErrorKind::Throttled);
/// assert!(err.is_retryable());
/// assert_eq!(err.to_string(), "throttled: slow down");
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

    /// Attaches the underlying cause, reachable through
    /// [`std::error::Error::source`].
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Attaches the service's error code (for example `NoSuchKey`).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Attaches the HTTP status code of the failed response.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Attaches the delay the service asked for (`Retry-After`).
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// Creates an [`ErrorKind::InvalidInput`] error.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// Creates an [`ErrorKind::Config`] error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    /// Converts an I/O error, classifying it by [`std::io::ErrorKind`].
    pub fn from_io(context: impl Into<String>, err: std::io::Error) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match err.kind() {
            Io::NotFound => ErrorKind::NotFound,
            Io::PermissionDenied => ErrorKind::AccessDenied,
            Io::AlreadyExists => ErrorKind::AlreadyExists,
            Io::InvalidInput | Io::InvalidFilename => ErrorKind::InvalidInput,
            Io::TimedOut | Io::Interrupted | Io::WouldBlock => ErrorKind::Transient,
            Io::InvalidData | Io::UnexpectedEof => ErrorKind::Integrity,
            _ => ErrorKind::Io,
        };
        Self::new(kind, context).with_source(err)
    }

    /// Converts an `object_store` error, classifying it by variant and, for
    /// HTTP failures, by status: `NotFound`, `AlreadyExists` (also a failed
    /// precondition), `AccessDenied` (401, 403, and credentials that could
    /// not be obtained), `Throttled` (429, 503 `SlowDown`), `Transient`
    /// (other 5xx, connection and timeout errors), `InvalidInput` (a bad
    /// path), `Config` (an operation the store does not implement).
    ///
    /// `object_store` has already retried retryable failures by its retry
    /// configuration when such an error reaches the caller.
    pub fn from_object_store(context: impl Into<String>, err: object_store::Error) -> Self {
        let kind = object_store_kind(&err);
        let mut context = context.into();
        match our_error(&err) {
            Some(ours) => context = format!("{context}: {}", ours.message()),
            None => context = format!("{context}: {}", short_message(&err)),
        }
        let mut out = Self::new(kind, context);
        if let Some(status) = http_status(&err) {
            out = out.with_status(status);
        }
        out.with_source(err)
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

    /// The HTTP status code, when the error came from a service response.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The delay the service asked for before a retry, if it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl From<object_store::Error> for Error {
    fn from(err: object_store::Error) -> Self {
        let context = match &err {
            object_store::Error::NotFound { path, .. } => format!("object {path} not found"),
            object_store::Error::AlreadyExists { path, .. } => {
                format!("an object already exists at {path}")
            }
            _ => "object store operation failed".to_owned(),
        };
        Self::from_object_store(context, err)
    }
}

/// The kind of an `object_store` error.
fn object_store_kind(err: &object_store::Error) -> ErrorKind {
    use object_store::Error as E;
    if let Some(kind) = chain_kind(err) {
        return kind;
    }
    match err {
        E::NotFound { .. } => ErrorKind::NotFound,
        E::AlreadyExists { .. } | E::Precondition { .. } => ErrorKind::AlreadyExists,
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => ErrorKind::AccessDenied,
        E::InvalidPath { .. } => ErrorKind::InvalidInput,
        E::NotSupported { .. } | E::NotImplemented { .. } | E::UnknownConfigurationKey { .. } => {
            ErrorKind::Config
        }
        E::JoinError { .. } => ErrorKind::Io,
        _ => match http_status(err) {
            Some(429 | 503) => ErrorKind::Throttled,
            Some(500..=599) | Some(408) => ErrorKind::Transient,
            Some(400)
                if mentions(err, "BadDigest") || mentions(err, "XAmzContentSHA256Mismatch") =>
            {
                ErrorKind::Integrity
            }
            Some(400) | Some(411) | Some(413) | Some(416) => ErrorKind::InvalidInput,
            Some(_) => ErrorKind::Service,
            None => ErrorKind::Service,
        },
    }
}

/// A kind decided by an error in the source chain: our own error (raised by
/// a credentials bridge), an SDK credentials error, an I/O error.
fn chain_kind(err: &object_store::Error) -> Option<ErrorKind> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = current {
        if let Some(ours) = e.downcast_ref::<Error>() {
            return Some(ours.kind());
        }
        #[cfg(feature = "s3")]
        if e.is::<object_store::client::HttpError>() {
            return Some(ErrorKind::Transient);
        }
        #[cfg(feature = "s3")]
        if let Some(kind) = crate::store::credentials_error_kind(e) {
            return Some(kind);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && !matches!(err, object_store::Error::NotFound { .. })
        {
            return Some(Error::from_io(String::new(), std::io::Error::from(io.kind())).kind());
        }
        current = e.source();
    }
    None
}

/// An error of this crate in the source chain (raised by the credentials
/// bridge), whose message says what to fix.
fn our_error(err: &object_store::Error) -> Option<&Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = current {
        if let Some(ours) = e.downcast_ref::<Error>() {
            return Some(ours);
        }
        current = e.source();
    }
    None
}

/// The innermost message of an `object_store` error (its outer layers
/// repeat the path and the store's name).
fn short_message(err: &object_store::Error) -> String {
    let mut text = err.to_string();
    let mut current: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = current {
        text = e.to_string();
        current = e.source();
    }
    text
}

fn mentions(err: &object_store::Error, needle: &str) -> bool {
    err.to_string().contains(needle)
}

/// The HTTP status of a failed `object_store` request. `object_store` keeps
/// its request error type private; its message reads `... status code: 503
/// ...`.
fn http_status(err: &object_store::Error) -> Option<u16> {
    let text = err.to_string();
    let at = text.find("status code: ")? + "status code: ".len();
    text.get(at..at + 3)?.parse().ok()
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
        ] {
            assert!(!kind.is_retryable(), "{kind}");
        }
    }

    #[test]
    fn io_errors_are_classified_and_chained() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let err = Error::from_io("reading x", io);
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.to_string(), "not_found: reading x");
        let source = err.source().map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("gone"));

        let denied = Error::from_io(
            "writing",
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        assert_eq!(denied.kind(), ErrorKind::AccessDenied);
        let other = Error::from_io("disk", std::io::Error::other("full"));
        assert_eq!(other.kind(), ErrorKind::Io);
        assert!(!other.is_retryable());
    }

    #[test]
    fn display_includes_code_and_status() {
        let err = Error::new(ErrorKind::Service, "boom")
            .with_code("Weird")
            .with_status(418)
            .with_retry_after(Duration::from_secs(2));
        assert_eq!(err.to_string(), "service: boom (Weird, HTTP 418)");
        assert_eq!(err.code(), Some("Weird"));
        assert_eq!(err.status(), Some(418));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(err.message(), "boom");
    }

    #[test]
    fn error_is_send_sync_static() {
        fn assert_traits<T: Send + Sync + 'static + std::error::Error>() {}
        assert_traits::<Error>();
    }
}

//! The crate's single error type.
//!
//! Every fallible function in this crate returns [`Error`]. Branch on
//! [`Error::kind`] (a `#[non_exhaustive]` [`ErrorKind`]) and ask
//! [`Error::is_retryable`]. Foreign errors (AWS SDK errors of Security Lake
//! and Glue, the `securitylake-core` errors) are only reachable through
//! [`std::error::Error::source`], so that the public API does not depend on
//! their versions.

use std::fmt;
use std::time::Duration;

#[cfg(feature = "registration")]
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
#[cfg(feature = "registration")]
use aws_smithy_runtime_api::client::result::SdkError;
#[cfg(feature = "registration")]
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A shorthand for `std::result::Result<T, securitylake_control::Error>`.
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
    /// The service returned an error that fits no other kind, or a response
    /// that lacks what the API promises.
    Service,
    /// The configuration is incomplete or inconsistent.
    Config,
}

impl ErrorKind {
    /// Whether an error of this kind may go away when the same call is
    /// repeated after a backoff.
    pub const fn is_retryable(self) -> bool {
        matches!(self, Self::Throttled | Self::Conflict | Self::Transient)
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
            Core::Config => Self::Config,
            _ => Self::Service,
        }
    }
}

/// The error type of this crate.
///
/// ```
/// use securitylake_control::{Error, ErrorKind};
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

    /// Attaches the underlying cause, reachable through
    /// [`std::error::Error::source`].
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Replaces the kind (an operation that knows better than the generic
    /// classification, such as a conflict that no retry resolves).
    #[cfg(feature = "registration")]
    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
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

    /// Converts an AWS SDK error of `operation`, classifying it by error code
    /// and HTTP status and keeping `Retry-After`.
    #[cfg(feature = "registration")]
    pub(crate) fn from_sdk<E>(operation: &str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let (kind, code, status, retry_after, detail) = match &err {
            SdkError::ServiceError(context) => {
                let raw = context.raw();
                let status = raw.status().as_u16();
                let code = context.err().code().map(str::to_owned);
                let retry_after = raw
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let kind = classify(code.as_deref(), status);
                let detail = context
                    .err()
                    .message()
                    .map(str::to_owned)
                    .unwrap_or_else(|| context.err().to_string());
                (kind, code, Some(status), retry_after, detail)
            }
            SdkError::ConstructionFailure(_) => (
                ErrorKind::Config,
                None,
                None,
                None,
                "the request could not be built (check region, endpoint and credentials)"
                    .to_owned(),
            ),
            SdkError::TimeoutError(_) => (
                ErrorKind::Transient,
                None,
                None,
                None,
                "the request timed out".to_owned(),
            ),
            SdkError::DispatchFailure(failure) => {
                let kind = if failure.is_user() {
                    ErrorKind::Config
                } else {
                    ErrorKind::Transient
                };
                (
                    kind,
                    None,
                    None,
                    None,
                    "the request could not be sent".to_owned(),
                )
            }
            SdkError::ResponseError(_) => (
                ErrorKind::Transient,
                None,
                None,
                None,
                "the response could not be read".to_owned(),
            ),
            _ => (
                ErrorKind::Service,
                None,
                None,
                None,
                "the call failed".to_owned(),
            ),
        };
        let mut error = Self::new(kind, format!("{operation}: {detail}")).with_source(err);
        error.code = code;
        error.status = status;
        error.retry_after = retry_after;
        error
    }
}

/// Maps an error code (first) or HTTP status to a kind.
#[cfg_attr(not(feature = "registration"), allow(dead_code))]
pub(crate) fn classify(code: Option<&str>, status: u16) -> ErrorKind {
    match code {
        Some(
            "ThrottlingException"
            | "TooManyRequestsException"
            | "Throttling"
            | "RequestLimitExceeded"
            | "SlowDown",
        ) => return ErrorKind::Throttled,
        Some(
            "ConflictException" | "ConcurrentModificationException" | "CrawlerRunningException",
        ) => {
            return ErrorKind::Conflict;
        }
        Some("ResourceNotFoundException" | "EntityNotFoundException") => {
            return ErrorKind::NotFound;
        }
        Some("AlreadyExistsException") => return ErrorKind::AlreadyExists,
        Some(
            "AccessDeniedException"
            | "AccessDenied"
            | "UnrecognizedClientException"
            | "ExpiredTokenException"
            | "InvalidSignatureException",
        ) => return ErrorKind::AccessDenied,
        Some(
            "BadRequestException"
            | "ValidationException"
            | "InvalidInputException"
            | "ResourceNumberLimitExceededException",
        ) => return ErrorKind::InvalidInput,
        Some(
            "InternalServerException"
            | "InternalServiceException"
            | "ServiceUnavailableException"
            | "OperationTimeoutException",
        ) => return ErrorKind::Transient,
        _ => {}
    }
    match status {
        400 => ErrorKind::InvalidInput,
        401 | 403 => ErrorKind::AccessDenied,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        429 => ErrorKind::Throttled,
        500..=599 => ErrorKind::Transient,
        _ => ErrorKind::Service,
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
    fn codes_win_over_statuses() {
        assert_eq!(
            classify(Some("ThrottlingException"), 400),
            ErrorKind::Throttled
        );
        assert_eq!(
            classify(Some("ConflictException"), 409),
            ErrorKind::Conflict
        );
        assert_eq!(
            classify(Some("EntityNotFoundException"), 400),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify(Some("AlreadyExistsException"), 400),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            classify(Some("BadRequestException"), 400),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            classify(Some("AccessDeniedException"), 403),
            ErrorKind::AccessDenied
        );
        assert_eq!(
            classify(Some("InternalServerException"), 500),
            ErrorKind::Transient
        );
        assert_eq!(classify(Some("Weird"), 409), ErrorKind::Conflict);
        assert_eq!(classify(None, 429), ErrorKind::Throttled);
        assert_eq!(classify(None, 503), ErrorKind::Transient);
        assert_eq!(classify(None, 404), ErrorKind::NotFound);
        assert_eq!(classify(None, 401), ErrorKind::AccessDenied);
        assert_eq!(classify(None, 418), ErrorKind::Service);
    }

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
        ] {
            assert!(kind.is_retryable(), "{kind}");
        }
        for kind in [
            ErrorKind::InvalidInput,
            ErrorKind::NotFound,
            ErrorKind::AlreadyExists,
            ErrorKind::AccessDenied,
            ErrorKind::Service,
            ErrorKind::Config,
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

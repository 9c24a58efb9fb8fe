//! The crate's error type.

use std::fmt;

/// A boxed error usable as a [`std::error::Error::source`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A shorthand for `std::result::Result<T, securitylake_subscriber::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, coarsely: the basis for handling an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A notification body is not JSON or lacks a required field.
    InvalidNotification,
    /// An object is not a readable Parquet file, or its rows do not fit the
    /// requested class.
    InvalidObject,
    /// The object (or queue, or file) does not exist.
    NotFound,
    /// Credentials were missing or refused.
    AccessDenied,
    /// A transient failure: a timeout, throttling, a dropped connection.
    Transient,
    /// A local file-system error.
    Io,
    /// The configuration is incomplete or inconsistent.
    Config,
    /// A handler failed.
    Handler,
    /// The service returned an error that fits no other kind.
    Service,
}

impl ErrorKind {
    /// A short, stable, lowercase name for logs and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidNotification => "invalid_notification",
            Self::InvalidObject => "invalid_object",
            Self::NotFound => "not_found",
            Self::AccessDenied => "access_denied",
            Self::Transient => "transient",
            Self::Io => "io",
            Self::Config => "config",
            Self::Handler => "handler",
            Self::Service => "service",
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
/// use securitylake_subscriber::{Error, ErrorKind};
///
/// let err = Error::new(ErrorKind::Transient, "slow down");
/// assert!(err.is_retryable());
/// assert_eq!(err.to_string(), "transient: slow down");
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    retryable: bool,
    source: Option<BoxError>,
}

impl Error {
    /// Creates an error; it is retryable when the kind is
    /// [`ErrorKind::Transient`].
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            retryable: matches!(kind, ErrorKind::Transient),
            source: None,
        }
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Overrides whether the error is retryable.
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    /// An invalid notification body.
    pub fn invalid_notification(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidNotification, message)
    }

    /// An object that cannot be read.
    pub fn invalid_object(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidObject, message)
    }

    /// A local I/O error with context.
    pub fn io(context: impl Into<String>, err: std::io::Error) -> Self {
        let kind = if err.kind() == std::io::ErrorKind::NotFound {
            ErrorKind::NotFound
        } else {
            ErrorKind::Io
        };
        Self::new(kind, format!("{}: {err}", context.into())).with_source(err)
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether repeating the operation after a backoff may succeed.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// The message, without the kind.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e.as_ref() as &(dyn std::error::Error + 'static))
    }
}

impl From<securitylake_core::Error> for Error {
    fn from(err: securitylake_core::Error) -> Self {
        use securitylake_core::ErrorKind as K;
        let kind = match err.kind() {
            K::NotFound => ErrorKind::NotFound,
            K::AccessDenied => ErrorKind::AccessDenied,
            K::Throttled | K::Conflict | K::Transient | K::Integrity => ErrorKind::Transient,
            K::Io => ErrorKind::Io,
            K::Config => ErrorKind::Config,
            K::InvalidInput => ErrorKind::InvalidObject,
            _ => ErrorKind::Service,
        };
        let retryable = err.is_retryable();
        Self::new(kind, err.to_string())
            .with_retryable(retryable)
            .with_source(err)
    }
}

impl From<ocsf_model::columnar::ColumnarError> for Error {
    fn from(err: ocsf_model::columnar::ColumnarError) -> Self {
        Self::invalid_object(err.to_string()).with_source(err)
    }
}

impl From<parquet::errors::ParquetError> for Error {
    fn from(err: parquet::errors::ParquetError) -> Self {
        // Errors of the underlying store come back wrapped as `External`.
        if let parquet::errors::ParquetError::External(inner) = &err
            && let Some(store) = inner.downcast_ref::<Error>()
        {
            return Self::new(store.kind(), store.message().to_owned())
                .with_retryable(store.is_retryable())
                .with_source(err);
        }
        // `ParquetObjectReader` returns the store's own error.
        let from_store = matches!(
            &err,
            parquet::errors::ParquetError::External(inner)
                if inner.is::<securitylake_core::object_store::Error>()
        );
        if from_store && let parquet::errors::ParquetError::External(inner) = err {
            return match inner.downcast::<securitylake_core::object_store::Error>() {
                Ok(store) => Self::from(securitylake_core::Error::from(*store)),
                Err(other) => Self::invalid_object(format!("parquet: {other}")),
            };
        }
        Self::invalid_object(format!("parquet: {err}")).with_source(err)
    }
}

impl From<arrow_schema::ArrowError> for Error {
    fn from(err: arrow_schema::ArrowError) -> Self {
        Self::invalid_object(format!("arrow: {err}")).with_source(err)
    }
}

//! The crate's error type: one [`Error`] with an [`ErrorKind`], `is_retryable()` and the source
//! chain of the crate that failed.

use std::fmt;

/// A boxed error, the source of an [`Error`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A shorthand for `std::result::Result<T, securitylake_lambda::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, coarsely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The function's configuration (environment variables) is missing or malformed.
    Config,
    /// The invocation payload or an object cannot be read (not a known event, corrupt gzip).
    InvalidInput,
    /// Reading or writing storage failed; see [`Error::is_retryable`].
    Storage,
    /// A local file (the spool under `/tmp`) could not be used.
    Io,
    /// The invocation left work undone (failed objects, or input left for lack of time):
    /// the message holds the JSON report.
    Incomplete,
}

impl ErrorKind {
    /// A short, stable, lowercase name (the Lambda `errorType`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::InvalidInput => "invalid_input",
            Self::Storage => "storage",
            Self::Io => "io",
            Self::Incomplete => "incomplete",
        }
    }
}

/// An error of a Lambda function of this crate.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    retryable: bool,
    source: Option<BoxError>,
}

impl Error {
    /// A new error; retryable only for [`ErrorKind::Incomplete`] (what remains can be done
    /// again) until [`with_retryable`](Self::with_retryable) says otherwise.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            retryable: matches!(kind, ErrorKind::Incomplete),
            source: None,
        }
    }

    /// Sets whether repeating the call may help.
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// Sets the underlying error.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether the same call may succeed when repeated after a backoff.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// The message, without the source chain.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e.as_ref() as &(dyn std::error::Error + 'static))
    }
}

impl From<securitylake_source::Error> for Error {
    fn from(e: securitylake_source::Error) -> Self {
        let kind = match e.kind() {
            securitylake_source::ErrorKind::Io => ErrorKind::Io,
            securitylake_source::ErrorKind::Config => ErrorKind::Config,
            _ => ErrorKind::Storage,
        };
        let retryable = e.is_retryable();
        Self::new(kind, e.to_string())
            .with_retryable(retryable)
            .with_source(e)
    }
}

impl From<securitylake_core::Error> for Error {
    fn from(e: securitylake_core::Error) -> Self {
        let kind = match e.kind() {
            securitylake_core::ErrorKind::Config => ErrorKind::Config,
            _ => ErrorKind::Storage,
        };
        let retryable = e.is_retryable();
        Self::new(kind, e.to_string())
            .with_retryable(retryable)
            .with_source(e)
    }
}

impl From<securitylake_subscriber::Error> for Error {
    fn from(e: securitylake_subscriber::Error) -> Self {
        let retryable = e.is_retryable();
        Self::new(ErrorKind::Storage, e.to_string())
            .with_retryable(retryable)
            .with_source(e)
    }
}

impl From<Error> for lambda_runtime::Diagnostic {
    fn from(e: Error) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.kind.as_str().to_owned(),
            error_message: e.message,
        }
    }
}

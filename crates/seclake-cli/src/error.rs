//! The CLI's single error type and its exit codes.

use std::fmt;

/// The exit code of a successful run.
pub const EXIT_OK: u8 = 0;
/// The exit code when the command ran but found problems (validation or lint
/// errors, a drifted registration).
pub const EXIT_FINDINGS: u8 = 1;
/// The exit code of a usage or input error (bad flag, missing file, not a
/// Parquet file, invalid JSON, unknown class); also what clap uses.
pub const EXIT_USAGE: u8 = 2;
/// The exit code of a failure while running: AWS or store errors, I/O
/// errors writing output, a writer or subscriber failure.
pub const EXIT_FAILURE: u8 = 3;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The command line or the input is wrong; fix it and run again.
    Input,
    /// A file or object named on the command line does not exist.
    NotFound,
    /// An AWS service, object store or network failure.
    Service,
    /// A local I/O failure (writing output, reading a directory).
    Io,
}

impl ErrorKind {
    /// A short name for the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Input => "input",
            ErrorKind::NotFound => "not found",
            ErrorKind::Service => "service",
            ErrorKind::Io => "io",
        }
    }
}

/// A failure of a `seclake` command: a message that says what to do, a
/// kind that decides the exit code, and the underlying error as source.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    retryable: bool,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The CLI's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            retryable: false,
            source: None,
        }
    }

    /// An input or usage error.
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Input, message)
    }

    /// A local I/O error.
    pub fn io(context: impl fmt::Display, err: std::io::Error) -> Self {
        let kind = if err.kind() == std::io::ErrorKind::NotFound {
            ErrorKind::NotFound
        } else {
            ErrorKind::Io
        };
        Self::new(kind, format!("{context}: {err}")).with_source(err)
    }

    /// Attaches the underlying error.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Marks the error as retryable (the same command may succeed later).
    #[must_use]
    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether running the same command again may succeed.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// Whether the error is a write to a closed pipe (`seclake convert | head`): the reader
    /// went away, which ends the command quietly rather than as a failure.
    pub fn is_broken_pipe(&self) -> bool {
        let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(self);
        while let Some(err) = next {
            let kind = match (
                err.downcast_ref::<std::io::Error>(),
                err.downcast_ref::<serde_json::Error>(),
            ) {
                (Some(io), _) => Some(io.kind()),
                // serde_json's `source()` skips the io::Error it wraps.
                (None, Some(json)) => json.io_error_kind(),
                (None, None) => None,
            };
            if kind == Some(std::io::ErrorKind::BrokenPipe) {
                return true;
            }
            next = err.source();
        }
        false
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self.kind {
            ErrorKind::Input | ErrorKind::NotFound => EXIT_USAGE,
            ErrorKind::Service | ErrorKind::Io => EXIT_FAILURE,
        }
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

impl From<securitylake_core::Error> for Error {
    fn from(err: securitylake_core::Error) -> Self {
        use securitylake_core::ErrorKind as K;
        let kind = match err.kind() {
            K::InvalidInput | K::Config => ErrorKind::Input,
            K::NotFound => ErrorKind::NotFound,
            _ => ErrorKind::Service,
        };
        let retryable = err.is_retryable();
        Error::new(kind, err.to_string())
            .retryable(retryable)
            .with_source(err)
    }
}

impl From<securitylake_source::Error> for Error {
    fn from(err: securitylake_source::Error) -> Self {
        use securitylake_source::ErrorKind as K;
        let kind = match err.kind() {
            K::InvalidInput | K::Config => ErrorKind::Input,
            K::NotFound => ErrorKind::NotFound,
            _ => ErrorKind::Service,
        };
        let retryable = err.is_retryable();
        Error::new(kind, err.to_string())
            .retryable(retryable)
            .with_source(err)
    }
}

impl From<securitylake_control::Error> for Error {
    fn from(err: securitylake_control::Error) -> Self {
        use securitylake_control::ErrorKind as K;
        let kind = match err.kind() {
            K::InvalidInput | K::Config => ErrorKind::Input,
            K::NotFound => ErrorKind::NotFound,
            _ => ErrorKind::Service,
        };
        let retryable = err.is_retryable();
        Error::new(kind, err.to_string())
            .retryable(retryable)
            .with_source(err)
    }
}

impl From<securitylake_subscriber::Error> for Error {
    fn from(err: securitylake_subscriber::Error) -> Self {
        use securitylake_subscriber::ErrorKind as K;
        let kind = match err.kind() {
            K::Config | K::InvalidObject | K::InvalidNotification => ErrorKind::Input,
            K::NotFound => ErrorKind::NotFound,
            _ => ErrorKind::Service,
        };
        let retryable = err.is_retryable();
        Error::new(kind, err.to_string())
            .retryable(retryable)
            .with_source(err)
    }
}

/// Prints an error and its source chain to stderr.
pub fn report(err: &Error) {
    eprintln!("seclake: error: {err}");
    let mut source = std::error::Error::source(err);
    let mut last = err.to_string();
    while let Some(s) = source {
        let text = s.to_string();
        if !last.contains(&text) {
            eprintln!("  caused by: {text}");
        }
        last = text;
        source = s.source();
    }
    if err.is_retryable() {
        eprintln!(
            "  (a transient {} error: running the command again may succeed)",
            err.kind().as_str()
        );
    }
}

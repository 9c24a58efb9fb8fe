//! The emulator's error type (start-up and configuration failures).
//!
//! Request-level failures are not Rust errors: they are answered over HTTP
//! with the service's own error shapes (see the crate documentation).

use std::fmt;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A shorthand for `std::result::Result<T, securitylake_emulator::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong while configuring or starting the emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A builder value is invalid (region, account id, address, lake id).
    Config,
    /// A socket or file-system operation failed.
    Io,
}

impl ErrorKind {
    /// A short, stable, lowercase name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Io => "io",
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
/// use securitylake_emulator::{Emulator, ErrorKind};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let err = Emulator::builder().region("Mars").start().await.err();
/// let err = err.expect("an invalid region is refused");
/// assert_eq!(err.kind(), ErrorKind::Config);
/// assert!(err.to_string().starts_with("config: "));
/// # }
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<BoxError>,
}

impl Error {
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Config,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn io(message: impl Into<String>, source: std::io::Error) -> Self {
        Self {
            kind: ErrorKind::Io,
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the kind prefix.
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
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn io_errors_keep_their_source() {
        let err = Error::io("binding", std::io::Error::other("in use"));
        assert_eq!(err.kind(), ErrorKind::Io);
        assert_eq!(err.to_string(), "io: binding");
        assert_eq!(err.message(), "binding");
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("in use")
        );
        assert!(Error::config("x").source().is_none());
    }
}

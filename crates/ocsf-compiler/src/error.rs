//! The one error type of this crate.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong while loading or resolving a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file or directory could not be read.
    Io,
    /// A file is not valid JSON, or its JSON does not have the expected shape.
    Json,
    /// An attribute names a data type that neither the dictionary's types nor the objects define.
    UnknownType,
    /// An item `extends` (or patches) an item that does not exist.
    DanglingExtends,
    /// An `$include` names a file that does not exist.
    MissingInclude,
    /// An included file itself includes other files (the OCSF compiler resolves one level only).
    NestedInclude,
    /// An enum key is not an integer where the attribute's type requires one.
    InvalidEnumKey,
    /// An event class names a category that is not defined.
    UnknownCategory,
    /// An extension's `extension.json` is missing or invalid, or two extensions collide.
    InvalidExtension,
    /// Two items resolve to the same identifier (class uid, observable type id, ...).
    Collision,
    /// An attribute is used but the dictionary does not define it.
    UndefinedAttribute,
    /// A constraint names an attribute that the item does not have.
    InvalidConstraint,
}

impl ErrorKind {
    /// A short, stable name of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Json => "json",
            ErrorKind::UnknownType => "unknown-type",
            ErrorKind::DanglingExtends => "dangling-extends",
            ErrorKind::MissingInclude => "missing-include",
            ErrorKind::NestedInclude => "nested-include",
            ErrorKind::InvalidEnumKey => "invalid-enum-key",
            ErrorKind::UnknownCategory => "unknown-category",
            ErrorKind::InvalidExtension => "invalid-extension",
            ErrorKind::Collision => "collision",
            ErrorKind::UndefinedAttribute => "undefined-attribute",
            ErrorKind::InvalidConstraint => "invalid-constraint",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from loading or resolving an OCSF schema.
///
/// Every error names the file it concerns (where one is known) and the item and attribute, so a
/// schema author can go straight to the mistake.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.render())]
pub struct Error {
    kind: ErrorKind,
    file: Option<PathBuf>,
    item: Option<String>,
    attribute: Option<String>,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            file: None,
            item: None,
            attribute: None,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn with_file(mut self, file: impl AsRef<Path>) -> Self {
        self.file = Some(file.as_ref().to_path_buf());
        self
    }

    pub(crate) fn with_item(mut self, item: impl Into<String>) -> Self {
        self.item = Some(item.into());
        self
    }

    pub(crate) fn with_attribute(mut self, attribute: impl Into<String>) -> Self {
        self.attribute = Some(attribute.into());
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether trying again could succeed. Schema errors are in the files, so only I/O errors are.
    pub fn is_retryable(&self) -> bool {
        self.kind == ErrorKind::Io
    }

    /// The schema file the error concerns, if known.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The class, object, profile or include the error concerns, if known.
    pub fn item(&self) -> Option<&str> {
        self.item.as_deref()
    }

    /// The attribute the error concerns, if known.
    pub fn attribute(&self) -> Option<&str> {
        self.attribute.as_deref()
    }

    /// The message, without the location.
    pub fn message(&self) -> &str {
        &self.message
    }

    fn render(&self) -> String {
        let mut out = String::new();
        if let Some(file) = &self.file {
            out.push_str(&file.display().to_string());
            out.push_str(": ");
        }
        match (&self.item, &self.attribute) {
            (Some(item), Some(attr)) => out.push_str(&format!("{item}.{attr}: ")),
            (Some(item), None) => out.push_str(&format!("{item}: ")),
            (None, Some(attr)) => out.push_str(&format!("{attr}: ")),
            (None, None) => {}
        }
        out.push_str(&self.message);
        out.push_str(&format!(" [{}]", self.kind));
        out
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

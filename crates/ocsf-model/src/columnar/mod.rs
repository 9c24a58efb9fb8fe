//! Columnar OCSF (feature `arrow`): Arrow schemas with the physical types Amazon Security Lake's
//! own files use, typed encoding of events straight into a [`RecordBatch`], and tolerant decoding
//! back into typed events. Parquet files that follow Security Lake's rules (the rule book, typed
//! file I/O, the checker) are the `securitylake-parquet` crate's, built on this module; this
//! crate does not depend on `parquet`, so it compiles beside it.
//!
//! # Physical types
//!
//! | OCSF | Arrow / Parquet |
//! |---|---|
//! | `integer_t`, `port_t`, integer enums | Int32 |
//! | `long_t`, `timestamp_t` (epoch milliseconds) | Int64 (no logical type) |
//! | `datetime_t` (`*_dt`) | Timestamp(ms, UTC) |
//! | `float_t` | Float32 |
//! | `boolean_t` | Boolean |
//! | `string_t` and its subtypes, string-keyed enums | Utf8 |
//! | `json_t` | Utf8 holding JSON text |
//! | object | Struct (beyond the recursion depth: Utf8 holding JSON text) |
//! | free-form object (`unmapped`, ...) | Map<Utf8, Utf8> |
//! | array | standard 3-level List (element field `element`) |
//!
//! # Floats
//!
//! `float_t` values are `f64` in the model and Float32 in the files, narrowed as `as f32` narrows
//! them: rounded to the nearest `f32`, beyond its range to an infinity and below its subnormals to
//! a zero, each of the value's sign. NaN and the infinities are data: a Float32 column keeps NaN
//! (its payload is not promised) and the signs of infinities and zeros. JSON has neither NaN nor
//! infinities, so where a float is JSON text (in an object beyond the recursion depth or the
//! nesting) `serde_json` writes it as `null`, which reads back as an absent attribute, or as NaN
//! in a `float_t` array; finite values in JSON text keep their `f64` value.
//!
//! A source gets the same schema for every file it writes: the schema is a function of the class,
//! the OCSF version and [`ColumnarOptions`] only — never of the data. No column is ever
//! `Null`-typed, and no struct is empty (an object whose attributes are all projected away is
//! left out).
//!
//! # Encoding
//!
//! The generated types implement [`Columnar`]: `encode` hands each attribute to a
//! [`StructEncoder`] by its index in the schema tables, which appends it to the column's own
//! buffers (a string is its bytes and one offset). Absent values cost one test: columns are
//! padded with nulls lazily, so a row with 20 attributes set costs 20 appends whatever the
//! width of the schema. No JSON is involved, except
//! for `json_t` values and objects beyond the recursion depth, which are JSON text by definition.
//!
//! # Decoding
//!
//! [`decode_batch`] accepts what real files contain: 2- and 3-level lists (the `parquet` crate
//! reads both into List arrays), any integer width, timestamps of any unit or plain Int64
//! milliseconds, `unmapped` as a Map or JSON text, missing columns (absent attributes), and
//! extra columns, which are kept in the events' `unknown` maps as JSON.

mod batch_decode;
mod decode;
mod encode;
mod layout;
mod spares;

pub use batch_decode::{
    BatchDecoder, decode_batch, decode_batch_at, decode_batch_into, decode_batch_reusing,
};
pub use decode::RowDecoder;
pub use encode::{BatchEncoder, EncodeStats, StructEncoder};
pub use layout::{ColumnarOptions, arrow_schema};

use crate::schema::{ItemDef, SchemaVersion};

/// A generated class or object that can be written to and read from Arrow columns.
pub trait Columnar: Sized {
    /// The schema facts of the type's OCSF version.
    fn schema_version() -> &'static SchemaVersion;
    /// The class or object the type represents.
    fn item() -> &'static ItemDef;
    /// Appends the value's attributes to the encoder of one row.
    fn encode(&self, encoder: &mut StructEncoder);
    /// Reads one row.
    fn decode(decoder: &RowDecoder<'_>) -> Result<Self, ColumnarError>;
    /// Reads one row into an existing value, reusing its allocations: strings, boxed objects
    /// and lists already present are overwritten in place. Every attribute is written (an
    /// attribute the row lacks becomes absent), so the result equals [`Columnar::decode`] of
    /// the same row. On error the value holds a mix of the old and the new row.
    ///
    /// The generated types implement it in place; the default replaces the whole value.
    fn decode_into(&mut self, decoder: &RowDecoder<'_>) -> Result<(), ColumnarError> {
        *self = Self::decode(decoder)?;
        Ok(())
    }
}

/// What went wrong while building a schema, encoding, decoding, or doing Parquet I/O.
///
/// [`ColumnarError::kind`] says what; the path and row of the attribute are given where they
/// are known. An error of the Arrow or Parquet library is the [`source`](std::error::Error::source)
/// of an error of kind [`ColumnarErrorKind::Arrow`] or [`ColumnarErrorKind::Parquet`]; the
/// libraries' types are not part of this type's API.
///
/// ```
/// use ocsf_model::columnar::{ColumnarErrorKind, ColumnarOptions, arrow_schema};
/// # #[cfg(feature = "v1_1_0")] {
/// use ocsf_model::v1_1_0::events::Authentication;
/// let options = ColumnarOptions::default().with_projection(["no_such.path"]);
/// let error = arrow_schema::<Authentication>(&options).unwrap_err();
/// assert_eq!(error.kind(), ColumnarErrorKind::InvalidOptions);
/// assert!(!error.is_retryable());
/// # }
/// ```
#[derive(Debug)]
pub struct ColumnarError {
    kind: ColumnarErrorKind,
    path: Option<String>,
    row: Option<usize>,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The kinds of [`ColumnarError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnarErrorKind {
    /// The options are inconsistent with the schema (an unknown profile or projection path).
    InvalidOptions,
    /// A column holds a type that cannot be read as the attribute's type.
    TypeMismatch,
    /// A required attribute is null or missing.
    MissingRequired,
    /// A value does not fit the attribute's type (an integer out of range, bad JSON text).
    InvalidValue,
    /// The Arrow library refused the arrays.
    Arrow,
    /// The Parquet library failed, or the file is corrupt.
    Parquet,
}

impl ColumnarError {
    fn new(kind: ColumnarErrorKind, message: impl Into<String>) -> Self {
        ColumnarError {
            kind,
            path: None,
            row: None,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn invalid_options(message: impl Into<String>) -> Self {
        Self::new(ColumnarErrorKind::InvalidOptions, message)
    }

    pub(crate) fn type_mismatch(path: impl Into<String>, found: impl std::fmt::Display) -> Self {
        let path = path.into();
        let mut e = Self::new(
            ColumnarErrorKind::TypeMismatch,
            format!("column `{path}` holds {found}, which does not fit its attribute"),
        );
        e.path = Some(path);
        e
    }

    pub(crate) fn missing_required(path: impl Into<String>, row: usize) -> Self {
        let path = path.into();
        let mut e = Self::new(
            ColumnarErrorKind::MissingRequired,
            format!("row {row}: required attribute `{path}` is missing"),
        );
        e.path = Some(path);
        e.row = Some(row);
        e
    }

    pub(crate) fn invalid_value(path: impl Into<String>, row: usize, message: &str) -> Self {
        let path = path.into();
        let mut e = Self::new(
            ColumnarErrorKind::InvalidValue,
            format!("row {row}: `{path}`: {message}"),
        );
        e.path = Some(path);
        e.row = Some(row);
        e
    }

    /// A corrupt Parquet file (kind [`ColumnarErrorKind::Parquet`]), for the Parquet layer
    /// built on this module.
    ///
    /// ```
    /// use ocsf_model::columnar::{ColumnarError, ColumnarErrorKind};
    /// let error = ColumnarError::corrupt("a page claims more bytes than the file has");
    /// assert_eq!(error.kind(), ColumnarErrorKind::Parquet);
    /// assert!(error.to_string().contains("corrupt Parquet file"));
    /// ```
    pub fn corrupt(message: impl std::fmt::Display) -> Self {
        Self::new(
            ColumnarErrorKind::Parquet,
            format!("parquet: corrupt Parquet file: {message}"),
        )
    }

    /// What went wrong.
    pub fn kind(&self) -> ColumnarErrorKind {
        self.kind
    }

    /// The attribute path (`src_endpoint.ip`), when the error concerns one.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The row, when the error concerns one.
    pub fn row(&self) -> Option<usize> {
        self.row
    }

    /// Whether trying again could succeed (never: the data, the file or the options are at
    /// fault).
    pub fn is_retryable(&self) -> bool {
        false
    }
}

impl std::fmt::Display for ColumnarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            ColumnarErrorKind::InvalidOptions => {
                write!(f, "invalid columnar options: {}", self.message)
            }
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ColumnarError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<arrow_schema::ArrowError> for ColumnarError {
    fn from(e: arrow_schema::ArrowError) -> Self {
        let mut error = Self::new(ColumnarErrorKind::Arrow, format!("arrow: {e}"));
        error.source = Some(Box::new(e));
        error
    }
}

impl ColumnarError {
    /// An error of the Parquet library (kind [`ColumnarErrorKind::Parquet`]), kept as the
    /// [`source`](std::error::Error::source), for the Parquet layer built on this module.
    ///
    /// ```
    /// use ocsf_model::columnar::{ColumnarError, ColumnarErrorKind};
    /// let io = std::io::Error::other("short read");
    /// let error = ColumnarError::parquet(io);
    /// assert_eq!(error.kind(), ColumnarErrorKind::Parquet);
    /// assert!(std::error::Error::source(&error).is_some());
    /// ```
    pub fn parquet(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        let mut error = Self::new(ColumnarErrorKind::Parquet, format!("parquet: {e}"));
        error.source = Some(Box::new(e));
        error
    }
}

pub use arrow_array::RecordBatch;

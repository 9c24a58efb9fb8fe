//! Amazon Security Lake's Parquet: the one rule book every writer and linter of
//! `securitylake-rs` follows ([`ParquetRules`]), typed OCSF files written and read by it
//! ([`write_parquet`], [`read_parquet`], [`read_parquet_into`]), the checker that verifies any
//! file against it ([`check`]), the guard that validates a file's page headers before the
//! `parquet` reader trusts them ([`validate_pages`]), and reads of only the columns a file
//! populates ([`populated_columns`], [`string_views`]).
//!
//! The columns themselves (Arrow schemas, typed encoding and decoding) are
//! [`ocsf_model::columnar`]'s, which does not depend on `parquet`: the generated model
//! compiles beside the `parquet` crate, and this small crate joins the two
//! (`docs/adr/0251-parquet-crate.md`). Errors are [`ColumnarError`]s of kind
//! [`ColumnarErrorKind::Parquet`](ocsf_model::columnar::ColumnarErrorKind::Parquet) for the
//! Parquet library's failures and corrupt files.
//!
//! ```
//! use ocsf_model::columnar::ColumnarOptions;
//! use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
//! use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
//! use securitylake_parquet::{ParquetRules, read_parquet, write_parquet};
//!
//! let mut product = Product::default();
//! product.name = Some("sshd".into());
//! let event = Authentication::new(
//!     AuthenticationActivityId::Logon,
//!     Metadata::new(product, "1.1.0".into()),
//!     SeverityId::Low,
//!     1_700_000_000_000,
//!     User::default(),
//! );
//! let file = write_parquet(&[event.clone()], &ColumnarOptions::default())?;
//! assert!(ParquetRules::default().check(file.clone().into(), None).is_conforming());
//! let back: Vec<Authentication> = read_parquet(file.into())?;
//! assert_eq!(back, [event]);
//! # Ok::<(), ocsf_model::columnar::ColumnarError>(())
//! ```

pub mod check;
mod guard;
mod parquet_io;
mod projection;
pub mod rules;

pub use guard::{
    DATA_PAGE_ALLOWANCE, DICTIONARY_PAGE_ALLOWANCE, MAX_COMPRESSION_RATIO, chunk_range,
    validate_column_chunk, validate_pages,
};
pub use ocsf_model::columnar::ColumnarError;
pub use parquet_io::{read_parquet, read_parquet_into, write_parquet};
pub use projection::{populated_columns, string_views};
pub use rules::ParquetRules;

/// `?` for the `parquet` crate's results in functions returning [`ColumnarError`].
pub(crate) trait ParquetResultExt<T> {
    /// The result, its error as a [`ColumnarError`] of kind `Parquet`.
    fn pq(self) -> Result<T, ColumnarError>;
}

impl<T> ParquetResultExt<T> for Result<T, parquet::errors::ParquetError> {
    fn pq(self) -> Result<T, ColumnarError> {
        self.map_err(ColumnarError::parquet)
    }
}

// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

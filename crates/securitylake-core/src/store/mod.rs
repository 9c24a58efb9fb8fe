//! A small object-store abstraction with two backends.
//!
//! [`ObjectStore`] is modelled on arrow-rs `object_store`, cut down to what a
//! lake writer and reader need: whole-object puts (optionally conditional),
//! whole and ranged gets, head, list by prefix and delete.
//!
//! * [`LocalLake`] keeps objects as files under a directory with the same key
//!   layout as the bucket (the embedded default, for development and tests).
//! * [`S3Store`] talks to Amazon S3 (or anything that speaks its protocol)
//!   through `aws-sdk-s3`.
//!
//! Keys are relative to the store's root (for [`S3Store`], to its optional
//! prefix) and validated the same way by both backends; see [`validate_key`].

use std::ops::Range;
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::{Error, Result};

mod local;
mod retry;
mod s3;

pub use local::LocalLake;
pub use retry::RetryPolicy;
pub use s3::{
    ChecksumAlgorithm, ConditionalPutMode, MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, S3Store,
    S3StoreBuilder,
};

/// The longest key S3 accepts, in bytes.
pub const MAX_KEY_LEN: usize = 1024;

/// Options of [`ObjectStore::put`].
///
/// ```
/// use securitylake_core::store::PutOptions;
///
/// let opts = PutOptions::new().if_none_match(true).content_type("application/vnd.apache.parquet");
/// assert!(opts.is_if_none_match());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PutOptions {
    /// Refuse to overwrite: fail with
    /// [`ErrorKind::AlreadyExists`](crate::ErrorKind::AlreadyExists) when an
    /// object already exists at the key (`If-None-Match: *`).
    pub if_none_match: bool,
    /// The `Content-Type` to store with the object (S3 only; [`LocalLake`]
    /// keeps no metadata).
    pub content_type: Option<String>,
}

impl PutOptions {
    /// Default options: unconditional, no content type.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`PutOptions::if_none_match`].
    pub fn if_none_match(mut self, value: bool) -> Self {
        self.if_none_match = value;
        self
    }

    /// Sets [`PutOptions::content_type`].
    pub fn content_type(mut self, value: impl Into<String>) -> Self {
        self.content_type = Some(value.into());
        self
    }

    /// Whether the put is conditional on the key being absent.
    pub fn is_if_none_match(&self) -> bool {
        self.if_none_match
    }
}

/// What [`ObjectStore::put`] returns once the object is durable.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PutResult {
    /// The entity tag, without quotes: the hex MD5 of the content for
    /// single-part uploads without SSE-KMS, `<hex>-<parts>` for multipart
    /// uploads.
    pub etag: String,
    /// The version id, when the bucket is versioned.
    pub version: Option<String>,
}

impl PutResult {
    /// Creates a put result (for implementors of [`ObjectStore`]).
    pub fn new(etag: impl Into<String>, version: Option<String>) -> Self {
        Self {
            etag: etag.into(),
            version,
        }
    }
}

/// Metadata of one stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectMeta {
    /// The key, relative to the store's root.
    pub key: String,
    /// The size in bytes.
    pub size: u64,
    /// The entity tag, without quotes. [`ObjectStore::head`] always reports
    /// it; [`ObjectStore::list`] reports it when the backend lists it (S3
    /// does; [`LocalLake`] and the `s3s-fs` test server do not, to avoid
    /// reading every file).
    pub etag: Option<String>,
    /// When the object was last written, if the backend reports it.
    pub last_modified: Option<SystemTime>,
}

impl ObjectMeta {
    /// Creates object metadata (for implementors of [`ObjectStore`]).
    pub fn new(
        key: impl Into<String>,
        size: u64,
        etag: Option<String>,
        last_modified: Option<SystemTime>,
    ) -> Self {
        Self {
            key: key.into(),
            size,
            etag,
            last_modified,
        }
    }
}

/// An object store holding lake objects.
///
/// All keys are validated with [`validate_key`] (list prefixes with
/// [`validate_prefix`]); an invalid one fails with
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) before any I/O.
/// A missing object fails with [`ErrorKind::NotFound`](crate::ErrorKind::NotFound).
#[async_trait]
pub trait ObjectStore: Send + Sync + std::fmt::Debug {
    /// Stores `bytes` at `key`, replacing any existing object unless
    /// [`PutOptions::if_none_match`] is set. The object is complete and
    /// durable when this returns `Ok`; readers never see a partial object.
    async fn put(&self, key: &str, bytes: Bytes, options: PutOptions) -> Result<PutResult>;

    /// Reads a whole object.
    async fn get(&self, key: &str) -> Result<Bytes>;

    /// Reads the bytes `range.start..range.end` of an object. An `end` past
    /// the object's size is clamped to it (as S3 does); an empty range or a
    /// `start` at or past the size fails with
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput).
    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes>;

    /// Reads an object's metadata.
    async fn head(&self, key: &str) -> Result<ObjectMeta>;

    /// Lists every object whose key starts with `prefix` (a plain string
    /// prefix, not only a directory), sorted by key.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>>;

    /// Deletes an object. Deleting a missing object succeeds (as on S3).
    async fn delete(&self, key: &str) -> Result<()>;
}

/// Checks that `key` is usable as an object key by every backend.
///
/// A key is 1 to [`MAX_KEY_LEN`] bytes, does not start or end with `/`, has no
/// empty, `.` or `..` segments, and contains no control characters or `\`.
pub fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(Error::invalid_input(format!(
            "object key must be 1 to {MAX_KEY_LEN} bytes, got {}",
            key.len()
        )));
    }
    if key.ends_with('/') {
        return Err(Error::invalid_input(format!(
            "object key {key:?} must not end with '/'"
        )));
    }
    validate_segments(key, "object key")
}

/// Checks that `prefix` is usable as a list prefix: empty, or like a key
/// except that it may end with `/` (and its last segment may be partial).
pub fn validate_prefix(prefix: &str) -> Result<()> {
    if prefix.is_empty() {
        return Ok(());
    }
    if prefix.len() > MAX_KEY_LEN {
        return Err(Error::invalid_input(format!(
            "list prefix must be at most {MAX_KEY_LEN} bytes, got {}",
            prefix.len()
        )));
    }
    validate_segments(prefix.strip_suffix('/').unwrap_or(prefix), "list prefix")
}

fn validate_segments(value: &str, what: &str) -> Result<()> {
    if let Some(bad) = value.chars().find(|c| c.is_control() || *c == '\\') {
        return Err(Error::invalid_input(format!(
            "{what} {value:?} contains {bad:?}"
        )));
    }
    if value
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(Error::invalid_input(format!(
            "{what} {value:?} has an empty, '.' or '..' segment (or starts with '/')"
        )));
    }
    Ok(())
}

/// Checks a range for [`ObjectStore::get_range`] before any I/O.
pub(crate) fn validate_range(range: &Range<u64>) -> Result<()> {
    if range.start >= range.end {
        return Err(Error::invalid_input(format!(
            "byte range {}..{} is empty or inverted",
            range.start, range.end
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for ok in [
            "a",
            "ext/app/region=us-east-1/accountId=external/eventDay=20240101/x.parquet",
            "a/.b/c",
        ] {
            assert!(validate_key(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(MAX_KEY_LEN + 1);
        for bad in [
            "",
            "/a",
            "a/",
            "a//b",
            "a/./b",
            "a/../b",
            "..",
            "a\\b",
            "a\nb",
            long.as_str(),
        ] {
            assert!(validate_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes() {
        for ok in ["", "ext/", "ext/ap", "ext/app/region=us-east-1/"] {
            assert!(validate_prefix(ok).is_ok(), "{ok}");
        }
        for bad in ["/", "/ext", "ext//", "ext/../", "a\u{0}"] {
            assert!(validate_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges() {
        assert!(validate_range(&(0..1)).is_ok());
        assert!(validate_range(&(1..1)).is_err());
        #[allow(clippy::reversed_empty_ranges)]
        let inverted = 2..1;
        assert!(validate_range(&inverted).is_err());
    }

    #[test]
    fn put_options_builder() {
        let opts = PutOptions::new()
            .if_none_match(true)
            .content_type("text/plain");
        assert!(opts.if_none_match);
        assert_eq!(opts.content_type.as_deref(), Some("text/plain"));
        assert!(!PutOptions::default().is_if_none_match());
    }
}

//! Object stores for lake objects: [`object_store`] built from what a user
//! of Security Lake already has.
//!
//! The storage API of every crate is [`object_store::ObjectStore`] (the
//! version `parquet` is built against, re-exported as
//! [`securitylake_core::object_store`](crate::object_store)): writers and
//! subscribers take any `Arc<dyn ObjectStore>`, so an `InMemory` store in
//! tests, a `PrefixStore`, a `LimitStore` or a store with your own S3 client
//! settings all work. This module adds what Security Lake needs on top:
//!
//! * [`S3StoreBuilder`]: an `AmazonS3` whose credentials come from an
//!   [`AwsConfig`] (the SDK's chain, including
//!   [`AwsConfig::assume_role`] with an external id, refreshed before expiry;
//!   see [`SdkCredentialProvider`]), whose endpoint follows
//!   `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_S3` (the emulator, moto),
//!   with SHA-256 checksums on every upload, conditional puts
//!   (`If-None-Match: *`) and this crate's [`RetryPolicy`] as its only retry
//!   layer. [`S3StoreBuilder::location`] takes the bucket and the region
//!   from a custom source's [`SourceLocation`], so neither is named twice.
//! * [`local_store`]: a directory with the bucket's key layout
//!   (`LocalFileSystem` with fsync on every write), asking for no bucket,
//!   region or account.
//! * [`put_if_absent`]: the one way lake objects are written: a conditional
//!   create (`PutMode::Create`), with multipart uploads above a threshold
//!   ([`UploadOptions`]); a key that already holds the object is reported as
//!   [`Created::AlreadyPresent`], so a replayed upload never writes twice.
//! * [`object_path`]: a lake key as an `object_store` [`Path`], checked.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> securitylake_core::Result<()> {
//! use bytes::Bytes;
//! use securitylake_core::object_store::ObjectStoreExt;
//! use securitylake_core::store::{Created, UploadOptions, local_store, object_path, put_if_absent};
//!
//! let dir = tempfile::tempdir().map_err(|e| securitylake_core::Error::from_io("tempdir", e))?;
//! let store = local_store(dir.path())?;
//! let path = object_path("ext/app/region=us-east-1/accountId=external/eventDay=20240229/a.zstd.parquet")?;
//! let bytes = Bytes::from_static(b"PAR1...");
//! let first = put_if_absent(store.as_ref(), &path, bytes.clone(), &UploadOptions::new()).await?;
//! assert!(matches!(first, Created::New { .. }));
//! // A replay of the same upload does not write again.
//! let replay = put_if_absent(store.as_ref(), &path, bytes.clone(), &UploadOptions::new()).await?;
//! assert_eq!(replay, Created::AlreadyPresent);
//! assert_eq!(store.get(&path).await?.bytes().await?, bytes);
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path;

use crate::error::{Error, Result};

#[cfg(feature = "s3")]
mod credentials;
mod put;
#[cfg(feature = "s3")]
mod s3;

#[cfg(feature = "s3")]
#[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
pub use credentials::SdkCredentialProvider;
#[cfg(feature = "s3")]
pub(crate) use credentials::credentials_error_kind;
pub use put::{
    Created, DEFAULT_MAX_CONCURRENCY, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE,
    MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, UploadOptions, put_file_if_absent, put_if_absent,
};
#[cfg(feature = "s3")]
#[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
pub use s3::S3StoreBuilder;

// The control-plane code still names the policy by its old path; the policy
// itself lives in `crate::retry`.
#[doc(hidden)]
pub use crate::retry::RetryPolicy;

#[cfg(all(doc, feature = "s3"))]
use crate::aws::AwsConfig;
#[cfg(doc)]
use crate::layout::SourceLocation;

/// The content type of the Parquet objects stored through a store of
/// `S3StoreBuilder` (keys ending in `.parquet`).
pub const PARQUET_CONTENT_TYPE: &str = "application/vnd.apache.parquet";

/// The longest key S3 accepts, in bytes.
pub const MAX_KEY_LEN: usize = 1024;

/// A lake key as an `object_store` path.
///
/// A key is 1 to [`MAX_KEY_LEN`] bytes, does not start or end with `/`, has
/// no empty, `.` or `..` segments, and contains no control characters or
/// `\`; anything else fails with
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) before any
/// I/O.
///
/// ```
/// use securitylake_core::store::object_path;
///
/// assert_eq!(object_path("ext/app/x.parquet")?.as_ref(), "ext/app/x.parquet");
/// assert!(object_path("ext//x").is_err());
/// assert!(object_path("/ext/x").is_err());
/// # Ok::<(), securitylake_core::Error>(())
/// ```
pub fn object_path(key: &str) -> Result<Path> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(Error::invalid_input(format!(
            "object key must be 1 to {MAX_KEY_LEN} bytes, got {}",
            key.len()
        )));
    }
    if let Some(bad) = key.chars().find(|c| c.is_control() || *c == '\\') {
        return Err(Error::invalid_input(format!(
            "object key {key:?} contains {bad:?}"
        )));
    }
    if key
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(Error::invalid_input(format!(
            "object key {key:?} has an empty, '.' or '..' segment (or starts or ends with '/')"
        )));
    }
    Path::parse(key).map_err(|e| {
        Error::invalid_input(format!("object key {key:?} is not a valid path")).with_source(e)
    })
}

/// A store over a local directory that stands for the bucket: keys are
/// files at their key path below it. The directory is created if absent.
///
/// Writes are atomic and durable (a staged file, fsync, rename or hard link
/// for conditional creates, directory fsync): `LocalFileSystem` with
/// `with_fsync(true)`. Empty directories left by deletes are removed.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let store = securitylake_core::store::local_store(dir.path().join("lake"))?;
/// assert!(dir.path().join("lake").is_dir());
/// # let _ = store;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn local_store(dir: impl AsRef<std::path::Path>) -> Result<Arc<dyn ObjectStore>> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::from_io(format!("creating the lake directory {}", dir.display()), e))?;
    let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
        .map_err(|e| Error::from_object_store(format!("opening {}", dir.display()), e))?
        .with_fsync(true)
        .with_automatic_cleanup(true);
    Ok(Arc::new(store))
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
            assert!(object_path(ok).is_ok(), "{ok}");
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
            assert!(object_path(bad).is_err(), "{bad}");
        }
    }
}

//! [`LocalLake`]: objects as files under a directory.

use std::io::SeekFrom;
use std::ops::Range;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tracing::Instrument;

use super::{
    ObjectMeta, ObjectStore, PutOptions, PutResult, validate_key, validate_prefix, validate_range,
};
use crate::error::{Error, ErrorKind, Result};

/// The directory under the root where objects are staged before they are
/// moved into place. It is not an object key: keys starting with it are
/// rejected and listings skip it.
pub(crate) const STAGING_DIR: &str = ".staging";

/// The read buffer size used when hashing a file.
const HASH_CHUNK: usize = 64 * 1024;

/// The embedded lake: a directory holding one file per object, at the path
/// given by the key (`<root>/ext/<name>/region=.../<file>.parquet`).
///
/// * Writes are atomic: the content is written and `fsync`ed in
///   `<root>/.staging/`, then renamed into place, and the directory is synced,
///   so readers never see a partial object and a returned `Ok` is durable.
/// * [`PutOptions::if_none_match`] is honoured atomically by hard-linking the
///   staged file to the key, which fails if the key exists (the file system
///   must support hard links, as local Linux/macOS file systems do).
/// * ETags are the hex MD5 of the content, like S3 single-part uploads;
///   [`ObjectStore::head`] computes it by reading the file and
///   [`ObjectStore::list`] does not report it.
/// * Unlike S3, a key cannot be both an object and a "directory" of other
///   objects (`a` and `a/b`): such a put fails with
///   [`ErrorKind::InvalidInput`]. Symbolic links are not followed by `list`.
/// * Content types are not stored.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> securitylake_core::Result<()> {
/// use securitylake_core::store::{LocalLake, ObjectStore, PutOptions};
///
/// let dir = std::env::temp_dir().join(format!("lake-doc-{}", std::process::id()));
/// let lake = LocalLake::new(&dir);
/// let put = lake.put("ext/app/a.parquet", "hello".into(), PutOptions::new()).await?;
/// assert_eq!(put.etag, "5d41402abc4b2a76b9719d911017c592");
/// assert_eq!(lake.get("ext/app/a.parquet").await?, "hello");
/// # lake.delete("ext/app/a.parquet").await?;
/// # let _ = std::fs::remove_dir_all(&dir);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct LocalLake {
    root: PathBuf,
}

impl LocalLake {
    /// A lake rooted at `root`. Nothing is touched on disk until the first
    /// write, which creates the directories it needs.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file path of a validated key.
    fn path_of(&self, key: &str) -> Result<PathBuf> {
        validate_key(key)?;
        if key.split('/').next() == Some(STAGING_DIR) {
            return Err(Error::invalid_input(format!(
                "object key {key:?} is inside the reserved directory {STAGING_DIR:?}"
            )));
        }
        let mut path = self.root.clone();
        path.extend(key.split('/'));
        Ok(path)
    }

    async fn put_inner(&self, key: &str, bytes: &Bytes, options: &PutOptions) -> Result<PutResult> {
        let dest = self.path_of(key)?;
        let parent = dest.parent().ok_or_else(|| {
            Error::invalid_input(format!("object key {key:?} has no parent directory"))
        })?;
        if let Err(err) = tokio::fs::create_dir_all(parent).await {
            return Err(match err.kind() {
                std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::NotADirectory => Error::invalid_input(format!(
                    "object key {key:?} lies below an existing object (a local lake cannot hold both `a` and `a/b`)"
                ))
                .with_source(err),
                _ => Error::from_io(format!("creating the directory of {key:?}"), err),
            });
        }
        let staging = self.root.join(STAGING_DIR);
        tokio::fs::create_dir_all(&staging)
            .await
            .map_err(|e| Error::from_io("creating the staging directory", e))?;
        let tmp = staging.join(format!("{:032x}.tmp", fastrand::u128(..)));
        let result = self
            .stage_and_commit(key, bytes, options, &tmp, &dest)
            .await;
        if result.is_err() {
            // Best effort: the staged file is garbage whatever happened.
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        let etag = result?;
        sync_dir(parent).await;
        Ok(PutResult::new(etag, None))
    }

    async fn stage_and_commit(
        &self,
        key: &str,
        bytes: &Bytes,
        options: &PutOptions,
        tmp: &Path,
        dest: &Path,
    ) -> Result<String> {
        let mut file = tokio::fs::File::create(tmp)
            .await
            .map_err(|e| Error::from_io(format!("staging {key:?}"), e))?;
        file.write_all(bytes)
            .await
            .map_err(|e| Error::from_io(format!("writing {key:?}"), e))?;
        file.sync_all()
            .await
            .map_err(|e| Error::from_io(format!("syncing {key:?}"), e))?;
        drop(file);
        let etag = hex_md5(bytes);
        if options.if_none_match {
            match tokio::fs::hard_link(tmp, dest).await {
                Ok(()) => {
                    let _ = tokio::fs::remove_file(tmp).await;
                }
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!("an object already exists at {key:?}"),
                    )
                    .with_source(err));
                }
                Err(err) => return Err(Error::from_io(format!("linking {key:?} into place"), err)),
            }
        } else {
            tokio::fs::rename(tmp, dest).await.map_err(|err| match err.kind() {
                std::io::ErrorKind::IsADirectory | std::io::ErrorKind::DirectoryNotEmpty => Error::invalid_input(format!(
                    "object key {key:?} is a prefix of other objects (a local lake cannot hold both `a` and `a/b`)"
                ))
                .with_source(err),
                _ => Error::from_io(format!("moving {key:?} into place"), err),
            })?;
        }
        Ok(etag)
    }

    async fn open_object(&self, key: &str) -> Result<(tokio::fs::File, std::fs::Metadata)> {
        let path = self.path_of(key)?;
        let not_found = || Error::new(ErrorKind::NotFound, format!("no object at {key:?}"));
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|err| match err.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => {
                    not_found().with_source(err)
                }
                _ => Error::from_io(format!("opening {key:?}"), err),
            })?;
        let meta = file
            .metadata()
            .await
            .map_err(|e| Error::from_io(format!("reading metadata of {key:?}"), e))?;
        if !meta.is_file() {
            return Err(not_found());
        }
        Ok((file, meta))
    }

    async fn collect_files(&self, start: PathBuf, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let mut out = Vec::new();
        let mut dirs = vec![start];
        while let Some(dir) = dirs.pop() {
            let mut entries = match tokio::fs::read_dir(&dir).await {
                Ok(entries) => entries,
                Err(err)
                    if matches!(
                        err.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                    ) =>
                {
                    continue;
                }
                Err(err) => return Err(Error::from_io(format!("listing {}", dir.display()), err)),
            };
            while let Some(entry) = entries
                .next_entry()
                .await
                .map_err(|e| Error::from_io(format!("listing {}", dir.display()), e))?
            {
                let path = entry.path();
                let file_type = entry
                    .file_type()
                    .await
                    .map_err(|e| Error::from_io(format!("inspecting {}", path.display()), e))?;
                if file_type.is_dir() {
                    if dir == self.root && entry.file_name() == STAGING_DIR {
                        continue;
                    }
                    dirs.push(path);
                } else if file_type.is_file() {
                    let Some(key) = self.key_of(&path) else {
                        continue;
                    };
                    if !key.starts_with(prefix) {
                        continue;
                    }
                    let meta = entry
                        .metadata()
                        .await
                        .map_err(|e| Error::from_io(format!("reading metadata of {key:?}"), e))?;
                    out.push(ObjectMeta::new(key, meta.len(), None, meta.modified().ok()));
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// The key of a file below the root, if its path is valid UTF-8.
    fn key_of(&self, path: &Path) -> Option<String> {
        let relative = path.strip_prefix(&self.root).ok()?;
        let segments: Option<Vec<&str>> = relative
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect();
        let key = segments?.join("/");
        if key.split('/').next() == Some(STAGING_DIR) {
            return None;
        }
        validate_key(&key).ok().map(|()| key)
    }
}

fn hex_md5(bytes: &[u8]) -> String {
    let digest = Md5::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Syncs a directory so that a rename inside it is durable (Unix only; best effort).
async fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    {
        if let Ok(handle) = tokio::fs::File::open(dir).await
            && let Err(err) = handle.sync_all().await
        {
            tracing::debug!(dir = %dir.display(), error = %err, "directory sync failed");
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
    }
}

#[async_trait]
impl ObjectStore for LocalLake {
    async fn put(&self, key: &str, bytes: Bytes, options: PutOptions) -> Result<PutResult> {
        let span = tracing::info_span!(
            "object_put",
            backend = "local",
            key,
            size = bytes.len(),
            if_none_match = options.if_none_match
        );
        async {
            let result = self.put_inner(key, &bytes, &options).await;
            match &result {
                Ok(put) => tracing::debug!(etag = %put.etag, "object stored"),
                Err(err) => tracing::debug!(error = %err, "object not stored"),
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn get(&self, key: &str) -> Result<Bytes> {
        let span = tracing::info_span!("object_get", backend = "local", key);
        async {
            let (mut file, meta) = self.open_object(key).await?;
            let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
            file.read_to_end(&mut buf)
                .await
                .map_err(|e| Error::from_io(format!("reading {key:?}"), e))?;
            tracing::debug!(size = buf.len(), "object read");
            Ok(Bytes::from(buf))
        }
        .instrument(span)
        .await
    }

    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes> {
        let span = tracing::info_span!(
            "object_get",
            backend = "local",
            key,
            start = range.start,
            end = range.end
        );
        async {
            validate_range(&range)?;
            let (mut file, meta) = self.open_object(key).await?;
            let size = meta.len();
            if range.start >= size {
                return Err(Error::invalid_input(format!(
                    "range start {} is at or past the end of {key:?} ({size} bytes)",
                    range.start
                )));
            }
            let end = range.end.min(size);
            let len = usize::try_from(end - range.start)
                .map_err(|_| Error::invalid_input("range too large for this platform"))?;
            file.seek(SeekFrom::Start(range.start))
                .await
                .map_err(|e| Error::from_io(format!("seeking in {key:?}"), e))?;
            let mut buf = vec![0u8; len];
            file.read_exact(&mut buf)
                .await
                .map_err(|e| Error::from_io(format!("reading {key:?}"), e))?;
            Ok(Bytes::from(buf))
        }
        .instrument(span)
        .await
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        let (mut file, meta) = self.open_object(key).await?;
        let mut hasher = Md5::new();
        let mut buf = vec![0u8; HASH_CHUNK];
        loop {
            let n = file
                .read(&mut buf)
                .await
                .map_err(|e| Error::from_io(format!("reading {key:?}"), e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let etag: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(ObjectMeta::new(
            key,
            meta.len(),
            Some(etag),
            meta.modified().ok(),
        ))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        validate_prefix(prefix)?;
        let mut start = self.root.clone();
        if let Some((dirs, _)) = prefix.rsplit_once('/') {
            start.extend(dirs.split('/'));
        }
        self.collect_files(start, prefix).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let path = self.path_of(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(err)
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(())
            }
            Err(err) if err.kind() == std::io::ErrorKind::IsADirectory => Ok(()),
            Err(err) => Err(Error::from_io(format!("deleting {key:?}"), err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_hex_matches_s3_single_part_etag() {
        assert_eq!(hex_md5(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hex_md5(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn staging_dir_is_not_a_key() {
        let lake = LocalLake::new("/nonexistent");
        assert!(lake.path_of(".staging/x").is_err());
        assert!(lake.path_of("a/.staging/x").is_ok());
    }

    #[test]
    fn keys_map_back_from_paths() {
        let lake = LocalLake::new("/lake");
        let path = lake.path_of("ext/a/b.parquet").ok();
        assert_eq!(path.as_deref(), Some(Path::new("/lake/ext/a/b.parquet")));
        assert_eq!(
            lake.key_of(Path::new("/lake/ext/a/b.parquet")).as_deref(),
            Some("ext/a/b.parquet")
        );
        assert_eq!(lake.key_of(Path::new("/elsewhere/x")), None);
    }
}

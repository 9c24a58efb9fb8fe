//! [`put_if_absent`]: conditional creates, multipart above a threshold;
//! [`put_file_if_absent`], the same for the first bytes of a file, read part
//! by part (an object larger than the threshold is never whole in memory).

use bytes::Bytes;
use object_store::path::Path;
use object_store::{
    ObjectStore, ObjectStoreExt, PutMode, PutMultipartOptions, PutOptions, PutPayload,
    WriteMultipart,
};

use crate::error::{Error, ErrorKind, Result};

/// The smallest part S3 accepts in a multipart upload, except the last: 5 MiB.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// The largest part S3 accepts: 5 GiB.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// The most parts one multipart upload may have.
pub const MAX_PARTS: u64 = 10_000;
/// Objects larger than this are uploaded in parts by default: 16 MiB.
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;
/// The default part size: 8 MiB.
pub const DEFAULT_PART_SIZE: u64 = 8 * 1024 * 1024;
/// The default number of parts in flight at once.
pub const DEFAULT_MAX_CONCURRENCY: usize = 4;

/// How [`put_if_absent`] uploads.
///
/// ```
/// use securitylake_core::store::{MIN_PART_SIZE, UploadOptions};
///
/// let options = UploadOptions::new().with_multipart_threshold(64 << 20).with_part_size(1);
/// assert_eq!(options.part_size(), MIN_PART_SIZE, "raised to what S3 accepts");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadOptions {
    multipart_threshold: u64,
    part_size: u64,
    max_concurrency: usize,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl UploadOptions {
    /// [`DEFAULT_MULTIPART_THRESHOLD`], [`DEFAULT_PART_SIZE`],
    /// [`DEFAULT_MAX_CONCURRENCY`].
    pub const fn new() -> Self {
        Self {
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
            part_size: DEFAULT_PART_SIZE,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
        }
    }

    /// Objects strictly larger than this many bytes are uploaded in parts.
    pub const fn with_multipart_threshold(mut self, bytes: u64) -> Self {
        self.multipart_threshold = bytes;
        self
    }

    /// The size of each part but the last, clamped to [`MIN_PART_SIZE`] ..=
    /// [`MAX_PART_SIZE`] (and raised further when an object would need more
    /// than [`MAX_PARTS`] parts).
    pub const fn with_part_size(mut self, bytes: u64) -> Self {
        self.part_size = if bytes < MIN_PART_SIZE {
            MIN_PART_SIZE
        } else if bytes > MAX_PART_SIZE {
            MAX_PART_SIZE
        } else {
            bytes
        };
        self
    }

    /// How many parts are uploaded at once (at least 1).
    pub const fn with_max_concurrency(mut self, parts: usize) -> Self {
        self.max_concurrency = if parts == 0 { 1 } else { parts };
        self
    }

    /// The multipart threshold.
    pub const fn multipart_threshold(&self) -> u64 {
        self.multipart_threshold
    }

    /// The part size.
    pub const fn part_size(&self) -> u64 {
        self.part_size
    }

    /// The parts in flight at once.
    pub const fn max_concurrency(&self) -> usize {
        self.max_concurrency
    }

    fn effective_part_size(&self, len: u64) -> u64 {
        self.part_size.max(len.div_ceil(MAX_PARTS))
    }
}

/// What [`put_if_absent`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Created {
    /// The object was written.
    New {
        /// Its entity tag, if the store reports one.
        e_tag: Option<String>,
        /// Its version, if the bucket is versioned.
        version: Option<String>,
    },
    /// An object was already at the key (with deterministic, content-derived
    /// keys: an earlier attempt, or a replay, stored it); nothing was
    /// written.
    AlreadyPresent,
}

/// Writes `bytes` at `path` unless an object is already there.
///
/// * Objects up to the multipart threshold: one `put_opts` with
///   `PutMode::Create` (on S3, `If-None-Match: *`): atomic. A store that
///   cannot create conditionally (`NotImplemented`) gets the check below.
/// * Larger objects: a `HEAD` first (an object there is
///   [`Created::AlreadyPresent`]), then a multipart upload of
///   [`UploadOptions::part_size`] parts, at most
///   [`UploadOptions::max_concurrency`] at once; a failed upload is aborted.
///   `object_store` 0.14 has no conditional multipart completion, so two
///   writers racing on one key can both complete (see `docs/adr/0001`); with
///   content-derived keys both write the same bytes. A completion whose
///   answer was lost is recognised by a `HEAD` that finds the object with
///   the uploaded size.
///
/// The store's own retry configuration is the only retry layer: this
/// function does not retry.
pub async fn put_if_absent(
    store: &dyn ObjectStore,
    path: &Path,
    bytes: Bytes,
    options: &UploadOptions,
) -> Result<Created> {
    put_body(store, path, Body::Bytes(bytes), options).await
}

/// [`put_if_absent`] for the first `len` bytes of `file`, from its current
/// position: an object up to the multipart threshold is read whole, a larger
/// one is read part by part as the upload takes them (at most
/// [`UploadOptions::max_concurrency`] parts, plus the one being read, are in
/// memory). Reads run on Tokio's blocking threads. A file shorter than `len`
/// fails with [`ErrorKind::Io`], its upload aborted.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::io::Write;
///
/// use object_store::memory::InMemory;
/// use object_store::path::Path;
/// use securitylake_core::store::{Created, UploadOptions, put_file_if_absent};
///
/// let mut file = tempfile::tempfile()?;
/// file.write_all(b"PAR1 ... PAR1, then a trailer the object leaves out")?;
/// std::io::Seek::rewind(&mut file)?;
/// let store = InMemory::new();
/// let key = Path::from("ext/app/x.zstd.parquet");
/// let created = put_file_if_absent(&store, &key, file, 13, &UploadOptions::new()).await?;
/// assert!(matches!(created, Created::New { .. }));
/// # Ok(())
/// # }
/// ```
pub async fn put_file_if_absent(
    store: &dyn ObjectStore,
    path: &Path,
    file: std::fs::File,
    len: u64,
    options: &UploadOptions,
) -> Result<Created> {
    put_body(store, path, Body::File { file, len }, options).await
}

/// What is uploaded: bytes in memory, or the first bytes of a file.
enum Body {
    Bytes(Bytes),
    File { file: std::fs::File, len: u64 },
}

impl Body {
    fn len(&self) -> u64 {
        match self {
            Body::Bytes(bytes) => bytes.len() as u64,
            Body::File { len, .. } => *len,
        }
    }

    /// The next `n` bytes (the first call starts at the beginning), as pieces of at most
    /// [`READ_PIECE`] bytes when read from a file.
    async fn next_part(&mut self, offset: u64, n: usize) -> Result<PutPayload> {
        match self {
            Body::Bytes(bytes) => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                Ok(bytes
                    .slice(start..start.saturating_add(n).min(bytes.len()))
                    .into())
            }
            Body::File { file, .. } => {
                let mut taken = file.try_clone().map_err(|e| {
                    Error::new(ErrorKind::Io, format!("read a part to upload: {e}")).with_source(e)
                })?;
                let read = tokio::task::spawn_blocking(move || read_pieces(&mut taken, n)).await;
                match read {
                    Ok(Ok(pieces)) => Ok(pieces),
                    Ok(Err(e)) => Err(Error::new(
                        ErrorKind::Io,
                        format!("read a part to upload at offset {offset}: {e}"),
                    )
                    .with_source(e)),
                    Err(e) => Err(
                        Error::new(ErrorKind::Io, format!("read a part to upload: {e}"))
                            .with_source(e),
                    ),
                }
            }
        }
    }

    /// The whole body (a file is read).
    async fn into_payload(mut self) -> Result<PutPayload> {
        match self {
            Body::Bytes(bytes) => Ok(bytes.into()),
            Body::File { len, .. } => {
                let n = usize::try_from(len)
                    .map_err(|_| Error::invalid_input("object does not fit in memory"))?;
                self.next_part(0, n).await
            }
        }
    }
}

/// The largest buffer a file is read into for an upload: parts are read as pieces of this
/// size and handed to the store together. One buffer per part (8 MiB by default) made every
/// upload allocate and free buffers that large, and glibc then raises its mmap threshold to
/// their size and keeps such buffers of every thread in its heaps: peak RSS grew by 10-40 MB at
/// each sealed file (docs/adr/0310).
const READ_PIECE: usize = 1 << 20;

/// Reads exactly `n` bytes of `file` from its position, in pieces of at most [`READ_PIECE`].
fn read_pieces(file: &mut std::fs::File, n: usize) -> std::io::Result<PutPayload> {
    let mut pieces = Vec::with_capacity(n.div_ceil(READ_PIECE).max(1));
    let mut left = n;
    while left > 0 {
        let mut piece = vec![0; left.min(READ_PIECE)];
        std::io::Read::read_exact(file, &mut piece)?;
        left -= piece.len();
        pieces.push(Bytes::from(piece));
    }
    Ok(pieces.into_iter().collect())
}

async fn put_body(
    store: &dyn ObjectStore,
    path: &Path,
    body: Body,
    options: &UploadOptions,
) -> Result<Created> {
    use tracing::Instrument;
    let span = tracing::info_span!("object_put", key = %path, size = body.len());
    put_inner(store, path, body, options).instrument(span).await
}

async fn put_inner(
    store: &dyn ObjectStore,
    path: &Path,
    body: Body,
    options: &UploadOptions,
) -> Result<Created> {
    let len = body.len();
    if len <= options.multipart_threshold {
        let payload = body.into_payload().await?;
        return put_whole(store, path, payload).await;
    }
    match store.head(path).await {
        Ok(_) => return Ok(Created::AlreadyPresent),
        Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => return Err(Error::from_object_store(format!("HEAD {path}"), e)),
    }
    put_multipart(store, path, body, options).await
}

/// A conditional create of an object up to the multipart threshold.
async fn put_whole(store: &dyn ObjectStore, path: &Path, payload: PutPayload) -> Result<Created> {
    let len = payload.content_length() as u64;
    let put = PutOptions {
        mode: PutMode::Create,
        ..PutOptions::default()
    };
    match store.put_opts(path, payload.clone(), put).await {
        Ok(result) => {
            return Ok(Created::New {
                e_tag: result.e_tag.map(unquote),
                version: result.version,
            });
        }
        Err(object_store::Error::AlreadyExists { .. }) => return Ok(Created::AlreadyPresent),
        Err(object_store::Error::NotImplemented { .. }) => {
            tracing::debug!(key = %path, "the store cannot create conditionally; checking first");
        }
        Err(e) => {
            let err = Error::from_object_store(format!("PUT {path}"), e);
            // Only a failure after the request may have been sent.
            if !err.is_retryable() {
                return Err(err);
            }
            return recover_lost_answer(store, path, len, err).await;
        }
    }
    match store.head(path).await {
        Ok(_) => return Ok(Created::AlreadyPresent),
        Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => return Err(Error::from_object_store(format!("HEAD {path}"), e)),
    }
    let result = store
        .put(path, payload)
        .await
        .map_err(|e| Error::from_object_store(format!("PUT {path}"), e))?;
    Ok(Created::New {
        e_tag: result.e_tag.map(unquote),
        version: result.version,
    })
}

async fn put_multipart(
    store: &dyn ObjectStore,
    path: &Path,
    mut body: Body,
    options: &UploadOptions,
) -> Result<Created> {
    let len = body.len();
    let part = options.effective_part_size(len);
    let part_bytes = usize::try_from(part)
        .map_err(|_| Error::invalid_input("part size does not fit in memory"))?;
    let upload = store
        .put_multipart_opts(path, PutMultipartOptions::default())
        .await
        .map_err(|e| Error::from_object_store(format!("starting the upload of {path}"), e))?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, part_bytes);
    let mut offset = 0u64;
    while offset < len {
        if let Err(e) = writer.wait_for_capacity(options.max_concurrency).await {
            let _ = writer.abort().await;
            return Err(Error::from_object_store(format!("uploading {path}"), e));
        }
        let n = part.min(len - offset);
        let next = match body.next_part(offset, n as usize).await {
            Ok(next) => next,
            Err(err) => {
                let _ = writer.abort().await;
                return Err(err);
            }
        };
        for piece in &next {
            writer.put(piece.clone());
        }
        offset += n;
    }
    match writer.finish().await {
        Ok(result) => Ok(Created::New {
            e_tag: result.e_tag.map(unquote),
            version: result.version,
        }),
        // `WriteMultipart` aborts a failed completion and reports the
        // abort's error when that fails too (a completed upload cannot be
        // aborted), so any error is checked.
        Err(err) => {
            let err = Error::from_object_store(format!("uploading {path}"), err);
            recover_lost_answer(store, path, len, err).await
        }
    }
}

/// After a failed write whose request may have reached the store (a
/// connection reset after sending, a lost completion answer), which
/// `object_store` does not resend: a `HEAD` that finds an object of the
/// written size at the (content-derived) key means the write took effect.
async fn recover_lost_answer(
    store: &dyn ObjectStore,
    path: &Path,
    len: u64,
    err: Error,
) -> Result<Created> {
    match store.head(path).await {
        Ok(meta) if meta.size == len => {
            tracing::debug!(key = %path, error = %err, "the write took effect; its answer was lost");
            Ok(Created::New {
                e_tag: meta.e_tag.map(unquote),
                version: meta.version,
            })
        }
        Ok(meta) => Err(Error::new(
            ErrorKind::Integrity,
            format!(
                "writing {path} failed and an object of {} bytes (not {len}) is there",
                meta.size
            ),
        )
        .with_source(err)),
        Err(_) => Err(err),
    }
}

/// Strips the quotes S3 puts around entity tags.
fn unquote(etag: String) -> String {
    match etag.strip_prefix('"').and_then(|e| e.strip_suffix('"')) {
        Some(inner) => inner.to_owned(),
        None => etag,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    fn path() -> Path {
        Path::from("ext/app/x.zstd.parquet")
    }

    /// The bytes of the object at `at`.
    async fn stored_at(store: &InMemory, at: &Path) -> Result<Bytes> {
        let got = store.get(at).await.map_err(Error::from)?;
        got.bytes().await.map_err(Error::from)
    }

    #[tokio::test]
    async fn a_second_put_finds_the_object_and_writes_nothing() -> Result<()> {
        let store = InMemory::new();
        let first = put_if_absent(
            &store,
            &path(),
            Bytes::from_static(b"one"),
            &UploadOptions::new(),
        )
        .await?;
        assert!(matches!(first, Created::New { e_tag: Some(_), .. }));
        let second = put_if_absent(
            &store,
            &path(),
            Bytes::from_static(b"two"),
            &UploadOptions::new(),
        )
        .await?;
        assert_eq!(second, Created::AlreadyPresent);
        let stored = stored_at(&store, &path()).await?;
        assert_eq!(stored, Bytes::from_static(b"one"));
        Ok(())
    }

    #[tokio::test]
    async fn large_objects_go_in_parts_and_are_not_rewritten() -> Result<()> {
        let store = InMemory::new();
        let options = UploadOptions::new()
            .with_multipart_threshold(1024)
            .with_part_size(MIN_PART_SIZE);
        let big: Bytes = (0..(MIN_PART_SIZE as usize * 2 + 17))
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>()
            .into();
        let first = put_if_absent(&store, &path(), big.clone(), &options).await?;
        assert!(matches!(first, Created::New { .. }));
        let stored = stored_at(&store, &path()).await?;
        assert_eq!(stored, big);
        let again = put_if_absent(&store, &path(), big, &options).await?;
        assert_eq!(again, Created::AlreadyPresent);
        Ok(())
    }

    /// A file is uploaded from its position, part by part above the
    /// threshold, only its first `len` bytes (a trailer stays out); a file
    /// shorter than `len` fails and leaves no object.
    #[tokio::test]
    async fn a_file_is_uploaded_part_by_part_without_its_trailer() -> Result<()> {
        use std::io::{Seek, Write};
        let store = InMemory::new();
        let options = UploadOptions::new()
            .with_multipart_threshold(1024)
            .with_part_size(MIN_PART_SIZE);
        let body: Vec<u8> = (0..(MIN_PART_SIZE as usize * 2 + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        let file = |trailer: &[u8]| -> Result<std::fs::File> {
            let mut file =
                tempfile::tempfile().map_err(|e| Error::new(ErrorKind::Io, e.to_string()))?;
            file.write_all(&body)
                .and_then(|()| file.write_all(trailer))
                .and_then(|()| file.rewind())
                .map_err(|e| Error::new(ErrorKind::Io, e.to_string()))?;
            Ok(file)
        };
        let len = body.len() as u64;
        let first = put_file_if_absent(&store, &path(), file(b"TRAILER")?, len, &options).await?;
        assert!(matches!(first, Created::New { .. }));
        let stored = stored_at(&store, &path()).await?;
        assert_eq!(stored, Bytes::from(body.clone()));
        let again = put_file_if_absent(&store, &path(), file(b"")?, len, &options).await?;
        assert_eq!(again, Created::AlreadyPresent);

        let short = Path::from("ext/app/short.zstd.parquet");
        let err = put_file_if_absent(&store, &short, file(b"")?, len + 1, &options)
            .await
            .expect_err("the file is shorter than the object");
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(store.head(&short).await.is_err(), "no object is left");
        let small = Path::from("ext/app/small.zstd.parquet");
        put_file_if_absent(&store, &small, file(b"")?, 100, &options).await?;
        let small_stored = stored_at(&store, &small).await?;
        assert_eq!(&small_stored[..], &body[..100]);
        Ok(())
    }

    #[test]
    fn part_size_grows_to_stay_within_10000_parts() {
        let options = UploadOptions::new().with_part_size(MIN_PART_SIZE);
        assert_eq!(options.effective_part_size(1024), MIN_PART_SIZE);
        let huge = MIN_PART_SIZE * MAX_PARTS * 2;
        assert_eq!(options.effective_part_size(huge), MIN_PART_SIZE * 2);
        assert_eq!(
            UploadOptions::new()
                .with_max_concurrency(0)
                .max_concurrency(),
            1
        );
        assert_eq!(unquote("\"abc-2\"".to_owned()), "abc-2");
    }
}

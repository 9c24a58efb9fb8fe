//! An object's lines, streamed: the object read in ranges of [`RANGE`] bytes (one request each,
//! the next one fetched while the current one is read), through a gzip decoder when the object
//! starts with the gzip magic (whatever its name), split at `\n`. Nothing is copied to local
//! disk and memory holds at most two ranges, whatever the object's size.
//!
//! Ranges rather than one `GET`: the mapping is slower than the network, so one response body
//! would stay open for minutes on a large object, and `object_store`'s request timeout (30 s by
//! default) covers the whole body.

use std::sync::Arc;

use async_compression::tokio::bufread::GzipDecoder;
use futures::{StreamExt, TryStreamExt};
use securitylake_core::object_store::path::Path;
use securitylake_core::object_store::{GetOptions, ObjectMeta, ObjectStore};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio_util::io::StreamReader;

use crate::error::{Error, ErrorKind, Result};

/// The read buffer of the object stream and of the decoder's output.
const BUFFER: usize = 256 * 1024;
/// The bytes of one ranged request.
pub(crate) const RANGE: u64 = 8 * 1024 * 1024;

/// A stream of an object's (decompressed) lines with the offset after each.
pub(crate) struct ObjectLines {
    key: String,
    reader: Box<dyn AsyncBufRead + Send + Unpin>,
    offset: u64,
    gzip: bool,
    buf: Vec<u8>,
}

impl ObjectLines {
    /// Opens `key` of `store`; with `meta`, the object read is the one described (its etag
    /// when the store gives one, so a later version is not mixed in).
    pub(crate) async fn open(
        store: &Arc<dyn ObjectStore>,
        path: &Path,
        meta: &ObjectMeta,
    ) -> Result<Self> {
        Self::open_in_ranges(store, path, meta, RANGE).await
    }

    /// [`open`](Self::open) with ranges of `range` bytes.
    async fn open_in_ranges(
        store: &Arc<dyn ObjectStore>,
        path: &Path,
        meta: &ObjectMeta,
        range: u64,
    ) -> Result<Self> {
        let range_len = range.max(1);
        let store = store.clone();
        let location = path.clone();
        let etag = meta.e_tag.clone();
        let size = meta.size;
        let ranges = (0..size.div_ceil(range_len))
            .map(move |i| i * range_len..((i + 1) * range_len).min(size));
        let stream = futures::stream::iter(ranges)
            .map(move |range| {
                let store = store.clone();
                let location = location.clone();
                let options = GetOptions::default()
                    .with_if_match(etag.clone())
                    .with_range(Some(range));
                async move { store.get_opts(&location, options).await?.bytes().await }
            })
            .buffered(2)
            .map_err(std::io::Error::other);
        // The first two bytes (the gzip magic or not), however the stream is cut.
        let mut raw = StreamReader::new(stream);
        let mut head = Vec::with_capacity(2);
        while head.len() < 2 {
            let mut byte = [0u8; 2];
            let want = 2 - head.len();
            let n = raw
                .read(&mut byte[..want])
                .await
                .map_err(|e| read_error(path.as_ref(), e))?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&byte[..n]);
        }
        let gzip = head == [0x1f, 0x8b];
        let raw = BufReader::with_capacity(BUFFER, std::io::Cursor::new(head).chain(raw));
        let reader: Box<dyn AsyncBufRead + Send + Unpin> = if gzip {
            let mut decoder = GzipDecoder::new(raw);
            decoder.multiple_members(true);
            Box::new(BufReader::with_capacity(BUFFER, decoder))
        } else {
            Box::new(raw)
        };
        Ok(Self {
            key: path.to_string(),
            reader,
            offset: 0,
            gzip,
            buf: Vec::new(),
        })
    }

    /// Whether the object is gzip.
    pub(crate) fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// The offset in the decompressed content after the last line read.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads up to `limit` bytes of the content and discards them; the number read (0 at the
    /// end). Corrupt compressed data fails here as in [`next_line`](Self::next_line).
    pub(crate) async fn discard(&mut self, limit: usize) -> Result<usize> {
        self.buf.resize(limit.min(BUFFER), 0);
        let n = self
            .reader
            .read(&mut self.buf)
            .await
            .map_err(|e| read_error(&self.key, e))?;
        self.offset += n as u64;
        Ok(n)
    }

    /// Replaces `line` with the next line (without `\n` or `\r\n`, invalid UTF-8 replaced) and
    /// returns `true`; `false` at the end.
    pub(crate) async fn next_line(&mut self, line: &mut String) -> Result<bool> {
        self.buf.clear();
        let read = self
            .reader
            .read_until(b'\n', &mut self.buf)
            .await
            .map_err(|e| read_error(&self.key, e))?;
        if read == 0 {
            return Ok(false);
        }
        self.offset += read as u64;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
        }
        line.clear();
        match std::str::from_utf8(&self.buf) {
            Ok(text) => line.push_str(text),
            Err(_) => line.push_str(&String::from_utf8_lossy(&self.buf)),
        }
        Ok(true)
    }
}

/// An error reading the object: the store's own (with its retryability) when the stream
/// failed, else the content's (corrupt compression: [`ErrorKind::InvalidInput`]).
fn read_error(key: &str, e: std::io::Error) -> Error {
    type StoreError = securitylake_core::object_store::Error;
    if e.get_ref().is_some_and(|inner| inner.is::<StoreError>()) {
        if let Some(inner) = e.into_inner()
            && let Ok(store) = inner.downcast::<StoreError>()
        {
            let core = securitylake_core::Error::from(*store);
            let retryable = core.is_retryable();
            return Error::new(ErrorKind::Storage, format!("reading object {key}: {core}"))
                .with_retryable(retryable)
                .with_source(core);
        }
        return Error::new(ErrorKind::Storage, format!("reading object {key} failed"))
            .with_retryable(true);
    }
    Error::new(
        ErrorKind::InvalidInput,
        format!("object {key} cannot be read: {e} (corrupt or truncated compressed data)"),
    )
    .with_source(e)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use securitylake_core::object_store::memory::InMemory;
    use securitylake_core::object_store::{ObjectStoreExt, PutPayload};

    use super::*;

    async fn lines_of(bytes: Vec<u8>, range: u64) -> Result<(Vec<String>, bool, u64)> {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let path = Path::from("raw/x");
        store
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(securitylake_core::Error::from)?;
        let meta = store
            .head(&path)
            .await
            .map_err(securitylake_core::Error::from)?;
        let mut lines = ObjectLines::open_in_ranges(&store, &path, &meta, range).await?;
        let mut out = Vec::new();
        let mut line = String::new();
        while lines.next_line(&mut line).await? {
            out.push(line.clone());
        }
        Ok((out, lines.is_gzip(), lines.offset()))
    }

    fn text() -> String {
        (0..500)
            .map(|i| format!("line {i} {}\r\n", "x".repeat(i % 37)))
            .collect()
    }

    fn gzip(members: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        for member in members {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(member.as_bytes()).expect("gzip");
            out.extend(encoder.finish().expect("gzip"));
        }
        out
    }

    #[tokio::test]
    async fn lines_across_ranges_plain_and_gzip() {
        let text = text();
        let want: Vec<String> = text.lines().map(str::to_owned).collect();
        for range in [1, 7, 1000, 1 << 20] {
            let (plain, gzip_seen, end) = lines_of(text.clone().into_bytes(), range)
                .await
                .expect("plain");
            assert_eq!(
                (plain.len(), gzip_seen, end),
                (want.len(), false, text.len() as u64)
            );
            assert_eq!(plain, want);
            // Two gzip members (as `cat a.gz b.gz` makes).
            let (half, rest) = text.split_at(text.len() / 2);
            let (unzipped, gzip_seen, end) =
                lines_of(gzip(&[half, rest]), range).await.expect("gzip");
            assert!(gzip_seen);
            assert_eq!(end, text.len() as u64);
            assert_eq!(unzipped.concat(), want.concat());
        }
    }

    #[tokio::test]
    async fn corrupt_gzip_is_invalid_input() {
        let mut bytes = gzip(&[&text()]);
        let n = bytes.len();
        bytes[n - 6] ^= 0xff; // the CRC
        let error = lines_of(bytes, 1000).await.expect_err("corrupt");
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
        assert!(!error.is_retryable());
    }
}

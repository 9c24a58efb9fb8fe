//! Lines of the objects under a prefix of an object store (plain or gzip), for backfills.
//!
//! The objects are listed once, in key order. Each is fetched and, when it is gzip (its first
//! bytes are the gzip magic, whatever its name), decompressed into a temporary file on the
//! blocking pool, then read line by line from there: memory stays bounded for objects of any
//! size, and an object whose compressed data turns out corrupt (gzip checks its CRC at the
//! end) yields an error for that object *before* any of its lines, so nothing of it is written
//! partly. An [`ObjectPosition`] (key and byte offset after the line in the decompressed
//! bytes) is the checkpoint: an input given one skips the keys before it and the lines of its
//! object up to the offset.
//!
//! ```
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async {
//! use std::sync::Arc;
//! use securitylake_core::object_store::{ObjectStore, ObjectStoreExt, memory::InMemory, path::Path};
//! use securitylake_source::input::objects::ObjectLinesInput;
//!
//! let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
//! store.put(&Path::from("raw/a.log"), "one\ntwo\n".into()).await?;
//! let mut input = ObjectLinesInput::new(store, Some(Path::from("raw")));
//! let mut line = String::new();
//! let mut lines = Vec::new();
//! while let Some(position) = input.next_line(&mut line).await? {
//!     lines.push((line.clone(), position.key().to_owned(), position.offset()));
//! }
//! assert_eq!(lines[1], ("two".to_owned(), "raw/a.log".to_owned(), 8));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::VecDeque;
use std::io::{Read, Seek, Write};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use securitylake_core::object_store::path::Path;
use securitylake_core::object_store::{ObjectStore, ObjectStoreExt};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

use crate::error::{Error, ErrorKind, Result};

/// Where an [`ObjectLinesInput`] is: an object's key and the byte offset just after a line in
/// its (decompressed) content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObjectPosition {
    key: String,
    offset: u64,
}

impl ObjectPosition {
    /// A position in object `key`.
    pub fn new(key: impl Into<String>, offset: u64) -> Self {
        Self {
            key: key.into(),
            offset,
        }
    }

    /// The object's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The byte offset just after the line, in the decompressed content.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

/// The input's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectInputStats {
    /// Objects listed under the prefix.
    pub objects_listed: u64,
    /// Objects read to their end.
    pub objects_done: u64,
    /// Objects that could not be read (corrupt compression); each was reported as an error.
    pub objects_failed: u64,
    /// Objects that were gzip.
    pub gzip_objects: u64,
    /// Lines returned.
    pub lines: u64,
    /// Lines with bytes that are not UTF-8 (returned with U+FFFD).
    pub invalid_utf8_lines: u64,
}

/// The lines of every object under a prefix (see the [module documentation](self)).
pub struct ObjectLinesInput {
    store: Arc<dyn ObjectStore>,
    prefix: Option<Path>,
    keys: Option<VecDeque<Path>>,
    resume: Option<ObjectPosition>,
    current: Option<Current>,
    stats: ObjectInputStats,
    buf: Vec<u8>,
}

impl std::fmt::Debug for ObjectLinesInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectLinesInput")
            .field("prefix", &self.prefix)
            .field("current", &self.current.as_ref().map(|c| &c.key))
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

struct Current {
    key: String,
    reader: tokio::io::BufReader<tokio::fs::File>,
    offset: u64,
}

impl ObjectLinesInput {
    /// The objects under `prefix` (every object of the store with `None`).
    pub fn new(store: Arc<dyn ObjectStore>, prefix: Option<Path>) -> Self {
        Self {
            store,
            prefix,
            keys: None,
            resume: None,
            current: None,
            stats: ObjectInputStats::default(),
            buf: Vec::new(),
        }
    }

    /// Resumes after `position` (a committed checkpoint): keys before its key are skipped, and
    /// in its object the lines up to its offset.
    pub fn resume_from(mut self, position: Option<ObjectPosition>) -> Self {
        self.resume = position;
        self
    }

    /// The counters.
    pub fn stats(&self) -> ObjectInputStats {
        self.stats
    }

    /// Replaces `line` with the next line (without `\n` or `\r\n`) and returns the position
    /// just after it; `Ok(None)` once every object is read.
    ///
    /// An object that cannot be read as a whole (corrupt gzip data) fails with
    /// [`ErrorKind::InvalidInput`] naming the key, before any of its lines; the next call goes
    /// on with the next object. A store error is returned as the store's kind (retryable ones
    /// are retried by the next call, for the same object).
    ///
    /// Cancel-safe: a call dropped before it returns (a `tokio::select!` branch that lost)
    /// loses nothing; the next call goes on with the same line (an object being fetched is
    /// fetched again).
    pub async fn next_line(&mut self, line: &mut String) -> Result<Option<ObjectPosition>> {
        loop {
            if let Some(current) = &mut self.current {
                // `buf` holds what a call cancelled inside this line read of it already (the
                // reader consumed those bytes): the line goes on after them.
                let read = current
                    .reader
                    .read_until(b'\n', &mut self.buf)
                    .await
                    .map_err(|e| io_error(&current.key, e))?;
                if read == 0 && self.buf.is_empty() {
                    self.current = None;
                    self.stats.objects_done += 1;
                    continue;
                }
                current.offset += self.buf.len() as u64;
                if self.buf.last() == Some(&b'\n') {
                    self.buf.pop();
                    if self.buf.last() == Some(&b'\r') {
                        self.buf.pop();
                    }
                }
                line.clear();
                match std::str::from_utf8(&self.buf) {
                    Ok(text) => line.push_str(text),
                    Err(_) => {
                        self.stats.invalid_utf8_lines += 1;
                        line.push_str(&String::from_utf8_lossy(&self.buf));
                    }
                }
                self.buf.clear();
                self.stats.lines += 1;
                return Ok(Some(ObjectPosition::new(
                    current.key.clone(),
                    current.offset,
                )));
            }
            let Some(key) = self.next_key().await? else {
                return Ok(None);
            };
            self.open(key).await?;
        }
    }

    async fn next_key(&mut self) -> Result<Option<Path>> {
        if self.keys.is_none() {
            let mut listed: Vec<Path> = self
                .store
                .list(self.prefix.as_ref())
                .map_ok(|meta| meta.location)
                .try_collect()
                .await
                .map_err(securitylake_core::Error::from)?;
            listed.sort();
            self.stats.objects_listed = listed.len() as u64;
            if let Some(resume) = &self.resume {
                listed.retain(|k| k.as_ref() >= resume.key.as_str());
            }
            self.keys = Some(listed.into());
        }
        Ok(self.keys.as_ref().and_then(|keys| keys.front()).cloned())
    }

    /// Fetches `key` into a temporary file, decompressed; on success it becomes the current
    /// object (and leaves the queue), skipping to the resume offset.
    async fn open(&mut self, key: Path) -> Result<()> {
        let name = key.to_string();
        // The object, streamed into a temporary file (never whole in memory).
        let mut body = self
            .store
            .get(&key)
            .await
            .map_err(securitylake_core::Error::from)?
            .into_stream();
        let raw = tokio::task::spawn_blocking(tempfile::tempfile)
            .await
            .map_err(|e| Error::new(ErrorKind::Io, format!("a temporary file: {e}")))?
            .map_err(|e| io_error(&name, e))?;
        let mut raw = tokio::fs::File::from_std(raw);
        let mut head = [0u8; 2];
        let mut head_len = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(securitylake_core::Error::from)?;
            for &b in chunk.iter().take(2 - head_len) {
                head[head_len] = b;
                head_len += 1;
            }
            raw.write_all(&chunk)
                .await
                .map_err(|e| io_error(&name, e))?;
        }
        raw.flush().await.map_err(|e| io_error(&name, e))?;
        let gzip = head_len == 2 && head == [0x1f, 0x8b];
        let raw = raw.into_std().await;
        let decoded = tokio::task::spawn_blocking(move || decode(raw, gzip))
            .await
            .map_err(|e| Error::new(ErrorKind::Io, format!("decoding an object: {e}")))?;
        let mut file = match decoded {
            Ok(file) => file,
            Err(e) => {
                if let Some(keys) = &mut self.keys {
                    keys.pop_front();
                }
                self.stats.objects_failed += 1;
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("object {name} cannot be read: {e}; none of its lines were returned"),
                )
                .with_source(e));
            }
        };
        // From here on nothing is awaited: a call cancelled at any await above fetches the
        // object again (its key is still first in the queue, the resume offset still kept).
        let offset = match &self.resume {
            Some(resume) if resume.key == name => {
                // A seek within a local temporary file: no I/O wait.
                file.seek(std::io::SeekFrom::Start(resume.offset))
                    .map_err(|e| io_error(&name, e))?;
                resume.offset
            }
            _ => 0,
        };
        self.resume = None;
        if let Some(keys) = &mut self.keys {
            keys.pop_front();
        }
        if gzip {
            self.stats.gzip_objects += 1;
        }
        self.current = Some(Current {
            key: name,
            reader: tokio::io::BufReader::with_capacity(64 * 1024, tokio::fs::File::from_std(file)),
            offset,
        });
        Ok(())
    }
}

/// The object's content, rewound: `raw` itself, or a new temporary file with its gzip content
/// decompressed (every member of a multi-member file).
fn decode(mut raw: std::fs::File, gzip: bool) -> std::io::Result<std::fs::File> {
    raw.rewind()?;
    if !gzip {
        return Ok(raw);
    }
    let mut file = tempfile::tempfile()?;
    let mut decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(raw));
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = decoder.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        file.write_all(&chunk[..n])?;
    }
    file.rewind()?;
    Ok(file)
}

fn io_error(key: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("reading object {key}: {e}")).with_source(e)
}

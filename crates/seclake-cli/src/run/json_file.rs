//! An OCSF JSON file of arrays read element by element for `seclake run`: positional reads
//! on the blocking pool into a [`Splitter`], each element returned with the position just
//! after it (the checkpoint), so that a restart resumes after the last committed element.
//!
//! A read whose future is dropped loses nothing (the offset advances only when its bytes
//! are pushed), so `next` is cancel-safe like the line inputs.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use securitylake_source::input::{FINGERPRINT_BYTES, FileIdentity, Position};

use super::json_split::Splitter;
use crate::error::{Error, Result};

/// Bytes read per read call.
const READ_CHUNK: usize = 64 * 1024;
/// The longest element held in memory: an OCSF event is kilobytes; a longer "element" is
/// rather a file that is not an array of events.
pub const MAX_ELEMENT_BYTES: usize = 16 * 1024 * 1024;

/// Whether the file at `path` holds JSON arrays: its first byte other than whitespace (and
/// a byte order mark) is `[`. Files of JSON lines are read line by line instead.
pub async fn holds_arrays(path: &Path) -> Result<bool> {
    let shown = path.display().to_string();
    let path = path.to_path_buf();
    let head = blocking(move || {
        let file = File::open(&path)?;
        read_at(&file, 0, 4096)
    })
    .await
    .map_err(|e| Error::io(format!("reading {shown}"), e))?;
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&head);
    Ok(head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'['))
}

/// A file of JSON arrays (and objects), element by element.
#[derive(Debug)]
pub struct JsonFile {
    path: PathBuf,
    file: Arc<File>,
    identity: FileIdentity,
    splitter: Splitter,
    eof: bool,
}

async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(std::io::Error::other)?
}

/// Up to `len` bytes at `offset` (fewer only at the end of the file).
fn read_at(file: &File, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0; len];
    let mut filled = 0;
    while filled < len {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

impl JsonFile {
    /// Opens `path`, resumed after `committed` when it is a position in this file (else
    /// from the start, with a warning).
    pub async fn open(path: &Path, committed: Option<Position>) -> Result<Self> {
        let owned = path.to_path_buf();
        let (file, identity, len, head) = blocking(move || {
            use std::os::unix::fs::MetadataExt;
            let file = File::open(&owned)?;
            let meta = file.metadata()?;
            let head = read_at(&file, 0, FINGERPRINT_BYTES as usize)?;
            let identity = FileIdentity::new(meta.dev(), meta.ino(), &head);
            Ok((file, identity, meta.len(), head))
        })
        .await
        .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        let start = match committed {
            None => 0,
            Some(position)
                if position.offset() <= len
                    && position.identity().is_some_and(|id| {
                        id.matches(identity.device(), identity.inode(), &head)
                    }) =>
            {
                position.offset()
            }
            Some(position) => {
                tracing::warn!(path = %path.display(), offset = position.offset(), "the checkpoint is not a position in this file: reading it from the start");
                0
            }
        };
        Ok(Self {
            path: path.to_path_buf(),
            file: Arc::new(file),
            identity,
            splitter: Splitter::at(start),
            eof: false,
        })
    }

    /// The next element as text (invalid UTF-8 replaced) and the position after it;
    /// `Ok(None)` at the end of the file. A file cut inside an element, an element longer
    /// than [`MAX_ELEMENT_BYTES`], or bytes that are no element, are an input error naming
    /// the offset.
    pub async fn next(&mut self, element: &mut String) -> Result<Option<Position>> {
        loop {
            match self.splitter.next() {
                Ok(Some((range, end))) => {
                    element.clear();
                    element.push_str(&String::from_utf8_lossy(self.splitter.bytes(range)));
                    return Ok(Some(Position::in_file(self.identity, end)));
                }
                Ok(None) if self.eof => {
                    if self.splitter.inside_element() {
                        return Err(Error::input(format!(
                            "{}: the file ends inside a JSON element (at byte {}): the elements before it were read",
                            self.path.display(),
                            self.splitter.end_offset()
                        )));
                    }
                    return Ok(None);
                }
                Ok(None) if self.splitter.pending_len() > MAX_ELEMENT_BYTES => {
                    return Err(Error::input(format!(
                        "{}: the JSON element at byte {} is longer than {MAX_ELEMENT_BYTES} bytes: the elements before it were read",
                        self.path.display(),
                        self.splitter.end_offset() - self.splitter.pending_len() as u64
                    )));
                }
                Ok(None) => {
                    let file = Arc::clone(&self.file);
                    let offset = self.splitter.end_offset();
                    let chunk = blocking(move || read_at(&file, offset, READ_CHUNK))
                        .await
                        .map_err(|e| Error::io(format!("reading {}", self.path.display()), e))?;
                    self.eof = chunk.is_empty();
                    self.splitter.push(&chunk);
                }
                Err(why) => {
                    return Err(Error::input(format!("{}: {why}", self.path.display())));
                }
            }
        }
    }
}

//! An open file read by offset on the blocking pool, its identity, and where
//! a checkpoint lets it resume.
//!
//! Every file-system call runs in `tokio::task::spawn_blocking`; reads are
//! positional (`pread`), so no seek state is shared, and a read whose
//! future is dropped loses nothing (the offset advances only when its bytes
//! are appended).

use std::fs::{File, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::lines::READ_CHUNK;
use super::position::{FINGERPRINT_BYTES, FileIdentity, Position};
use crate::error::{Error, Result};

/// Runs a blocking file-system call on the blocking pool.
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(io::Error::other)?
}

#[cfg(unix)]
fn device_inode(metadata: &Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (metadata.dev(), metadata.ino())
}

#[cfg(not(unix))]
fn device_inode(_metadata: &Metadata) -> (u64, u64) {
    // No stable file id on stable Rust elsewhere: the fingerprint alone.
    (0, 0)
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

#[cfg(not(any(unix, windows)))]
fn read_at(_file: &File, _buf: &mut [u8], _offset: u64) -> io::Result<usize> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "positional reads are not supported on this platform",
    ))
}

/// Reads up to `FINGERPRINT_BYTES` (fewer when the file is shorter).
fn read_head(file: &File, len: u64) -> io::Result<Vec<u8>> {
    let want = len.min(FINGERPRINT_BYTES) as usize;
    let mut head = vec![0; want];
    let mut filled = 0;
    while filled < want {
        match read_at(file, &mut head[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(filled);
    Ok(head)
}

/// A file opened by path, with the identity it had when opened (or last
/// refreshed).
#[derive(Debug)]
pub(crate) struct OpenFile {
    path: PathBuf,
    file: Arc<File>,
    identity: FileIdentity,
    device: u64,
    inode: u64,
}

/// What [`OpenFile::open`] found: the file's length and first bytes.
pub(crate) struct Opened {
    pub(crate) file: OpenFile,
    pub(crate) len: u64,
    pub(crate) head: Vec<u8>,
}

/// The state of an open file and of its path, seen at the end of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileState {
    /// The path still names the open file, which is at least as long as
    /// `len` and still starts with the bytes of its identity.
    Same { len: u64 },
    /// The open file shrank below the read offset or its first bytes
    /// changed: truncated in place (copy-truncate).
    Truncated,
    /// The path names another file (rotated by rename, or deleted and
    /// created again).
    Replaced,
    /// Nothing is at the path (deleted or renamed, not yet created again).
    Missing,
}

impl OpenFile {
    /// Opens `path` and fingerprints it.
    pub(crate) async fn open(path: &Path) -> io::Result<Opened> {
        let path = path.to_path_buf();
        blocking(move || open_blocking(path)).await
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn identity(&self) -> FileIdentity {
        self.identity
    }

    /// Reads at most `READ_CHUNK` bytes at `offset` into `chunk` (cleared
    /// first; its allocation is reused). Returns the chunk with the bytes.
    pub(crate) async fn read_at(&self, mut chunk: Vec<u8>, offset: u64) -> Result<Vec<u8>> {
        let file = Arc::clone(&self.file);
        blocking(move || {
            chunk.resize(READ_CHUNK, 0);
            loop {
                match read_at(&file, &mut chunk, offset) {
                    Ok(n) => {
                        chunk.truncate(n);
                        return Ok(chunk);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        })
        .await
        .map_err(|e| Error::from_io(format!("reading {}", self.path.display()), e))
    }

    /// Looks at the open file and at its path once the file is read to
    /// `read_offset`. When the file is the same and has grown past its
    /// fingerprint, the fingerprint grows with it.
    pub(crate) async fn state(&mut self, read_offset: u64) -> Result<FileState> {
        let file = Arc::clone(&self.file);
        let path = self.path.clone();
        let identity = self.identity;
        let (device, inode) = (self.device, self.inode);
        let (state, grown) = blocking(move || {
            let len = file.metadata()?.len();
            let head = read_head(&file, len)?;
            if len < read_offset || !identity.matches(device, inode, &head) {
                return Ok((FileState::Truncated, None));
            }
            let grown = (identity.fingerprint_len() < FINGERPRINT_BYTES
                && head.len() as u64 > identity.fingerprint_len())
            .then(|| FileIdentity::new(device, inode, &head));
            let state = match std::fs::metadata(&path) {
                Ok(at_path) if device_inode(&at_path) == (device, inode) => FileState::Same { len },
                Ok(_) => FileState::Replaced,
                Err(e) if e.kind() == io::ErrorKind::NotFound => FileState::Missing,
                Err(e) => return Err(e),
            };
            Ok((state, grown))
        })
        .await
        .map_err(|e| Error::from_io(format!("checking {}", self.path.display()), e))?;
        if let Some(grown) = grown {
            self.identity = grown;
        }
        Ok(state)
    }

    /// Whether the fingerprint covers fewer bytes than it could: the file
    /// was shorter than [`FINGERPRINT_BYTES`] when it was taken and has
    /// been read past it since.
    pub(crate) fn fingerprint_can_grow(&self, read_offset: u64) -> bool {
        let len = self.identity.fingerprint_len();
        len < FINGERPRINT_BYTES && read_offset > len
    }

    /// Grows the fingerprint over the file's current first bytes when they
    /// still start with the fingerprinted ones (else the file was truncated
    /// and the next look at its end says so).
    pub(crate) async fn grow_fingerprint(&mut self) -> Result<()> {
        let file = Arc::clone(&self.file);
        let identity = self.identity;
        let (device, inode) = (self.device, self.inode);
        let grown = blocking(move || {
            let len = file.metadata()?.len();
            let head = read_head(&file, len)?;
            Ok((identity.matches(device, inode, &head)
                && head.len() as u64 > identity.fingerprint_len())
            .then(|| FileIdentity::new(device, inode, &head)))
        })
        .await
        .map_err(|e| Error::from_io(format!("fingerprinting {}", self.path.display()), e))?;
        if let Some(grown) = grown {
            self.identity = grown;
        }
        Ok(())
    }

    /// Takes a new identity from the file's current first bytes (after it
    /// was truncated in place).
    pub(crate) async fn refresh(&mut self) -> Result<()> {
        let file = Arc::clone(&self.file);
        let (device, inode) = (self.device, self.inode);
        self.identity = blocking(move || {
            let len = file.metadata()?.len();
            Ok(FileIdentity::new(device, inode, &read_head(&file, len)?))
        })
        .await
        .map_err(|e| Error::from_io(format!("fingerprinting {}", self.path.display()), e))?;
        Ok(())
    }
}

fn open_blocking(path: PathBuf) -> io::Result<Opened> {
    let file = File::open(&path)?;
    let metadata = file.metadata()?;
    let (device, inode) = device_inode(&metadata);
    let len = metadata.len();
    let head = read_head(&file, len)?;
    let identity = FileIdentity::new(device, inode, &head);
    Ok(Opened {
        file: OpenFile {
            path,
            file: Arc::new(file),
            identity,
            device,
            inode,
        },
        len,
        head,
    })
}

/// Looks in the directory of `followed` for the file `checkpoint` names
/// (renamed by a rotation while the input was stopped) and opens it, when
/// it is still at least as long as the checkpoint's offset. The open file
/// watches `followed`, so that the input switches to the file there once
/// the renamed one is read.
pub(crate) async fn find_renamed(followed: &Path, checkpoint: &Position) -> Result<Option<Opened>> {
    let Some(identity) = checkpoint.identity().copied() else {
        return Ok(None);
    };
    let offset = checkpoint.offset();
    let dir = match followed.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let watched = followed.to_path_buf();
    let context = format!("looking for the checkpoint's file in {}", dir.display());
    blocking(move || {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let Ok(metadata) = entry.metadata() else {
                continue; // deleted meanwhile
            };
            if !metadata.is_file()
                || device_inode(&metadata) != (identity.device(), identity.inode())
            {
                continue;
            }
            let mut opened = match open_blocking(entry.path()) {
                Ok(opened) => opened,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let file = &opened.file;
            if identity.matches(file.device, file.inode, &opened.head) && offset <= opened.len {
                tracing::info!(
                    path = %file.path.display(),
                    offset,
                    "checkpoint names a rotated file: reading its rest first"
                );
                opened.file.path = watched;
                return Ok(Some(opened));
            }
        }
        Ok(None)
    })
    .await
    .map_err(|e| Error::from_io(context, e))
}

/// Where to start reading a freshly opened file given a checkpoint: its
/// offset when the checkpoint names this file (same device, inode and first
/// bytes) and the file is at least that long, else 0 (`false`: the
/// checkpoint did not apply).
pub(crate) fn start_offset(opened: &Opened, checkpoint: Option<&Position>) -> (u64, bool) {
    let Some(checkpoint) = checkpoint else {
        return (0, true);
    };
    let file = &opened.file;
    match checkpoint.identity() {
        Some(identity)
            if identity.matches(file.device, file.inode, &opened.head)
                && checkpoint.offset() <= opened.len =>
        {
            (checkpoint.offset(), true)
        }
        _ => {
            tracing::info!(
                path = %file.path.display(),
                offset = checkpoint.offset(),
                len = opened.len,
                "checkpoint does not match the file at the path (rotated, replaced or truncated)"
            );
            (0, false)
        }
    }
}

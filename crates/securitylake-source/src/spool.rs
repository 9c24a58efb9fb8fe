//! The writer's local spool: write-ahead files that make accepted events
//! survive a crash of the process (or, with [`Durability::EveryWrite`], of
//! the machine).
//!
//! # Files
//!
//! A spool directory belongs to one writer at a time: `LOCK` is held with an
//! exclusive advisory lock (released by the operating system when the process
//! dies, so a killed writer never blocks its own recovery).
//!
//! * `<id>.wal` — the write-ahead log of one *open segment* (one partition,
//!   one future object). A sequence of records, each
//!   `[u32 LE length][u32 LE CRC-32 of the payload][payload]`. The first
//!   payload is a JSON `SegmentHeader` (format, class, partition). In format
//!   3 the second payload is the Arrow IPC schema message of the segment's
//!   batches and every further payload is a *frame*: a 64-byte header (rows,
//!   time range, largest value, encoding counters) and the IPC messages of
//!   one batch of events sorted by `time`. In the formats of earlier
//!   versions, still recovered, every further payload is one event, in a
//!   compact self-describing binary encoding of its serde data model
//!   (format 2) or as JSON (format 1). A record is appended with one
//!   `write` call; a torn tail (an incomplete record or a CRC mismatch) can
//!   only come from a write that had not returned, so recovery drops it.
//! * `<id>.sealed` — a *sealed segment*: the exact Parquet bytes to upload,
//!   then a JSON `SealedHeader` (partition, object key, rows, time range),
//!   its length (`u32 LE`) and `SLSEAL02`. The Parquet bytes are streamed
//!   into `<id>.<nonce>.sealed.tmp` as they are encoded (their SHA-256, which names
//!   the object, computed on the way; `<nonce>` makes the name unique per
//!   attempt), the trailer appended, the file
//!   fsynced, renamed and the directory fsynced before the `.wal` is
//!   deleted, so at every instant one of the two holds the segment.
//! * `*.tmp` files are leftovers of an interrupted seal and are deleted on
//!   open.
//!
//! The object name is the hash of the sealed Parquet bytes, so uploading a
//! sealed segment twice (after a crash between the upload and the deletion of
//! the `.sealed` file) lands on the same key: with a conditional put the
//! second attempt finds the object and is counted as done.
//!
//! [`Durability::EveryWrite`]: crate::writer::Durability::EveryWrite

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, BufWriter, IoSlice, Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind, Result};

/// The format number written in the header of a new `.wal` file: format 4,
/// columnar frames (an Arrow IPC schema record, then one record per frame of
/// encoded events, each one LZ4 block; see the writer's `frames` module).
/// Files of format 3 (the same frames, each buffer compressed by Arrow IPC), 2
/// (binary event records, see [`crate::record`]) and 1 (JSON event records)
/// are still recovered. A writer of an earlier version refuses a format-4 file
/// as configuration, leaving it in place, instead of failing on its frames.
pub(crate) const WAL_FORMAT: u32 = 4;
/// The format of the first columnar write-ahead files (frames of IPC messages
/// whose buffers Arrow compressed).
pub(crate) const WAL_FORMAT_IPC_BUFFERS: u32 = 3;

/// Whether a write-ahead file of `format` holds columnar frames (sealed from
/// its frames, not from event records).
pub(crate) fn is_columnar(format: u32) -> bool {
    matches!(format, WAL_FORMAT | WAL_FORMAT_IPC_BUFFERS)
}
/// The format number written in `.sealed` headers. A sealed file holds no
/// event records (only Parquet bytes and its header), so it did not change
/// with the record format.
pub(crate) const SEALED_FORMAT: u32 = 1;
const SEALED_MAGIC: &[u8; 8] = b"SLSEAL02";
const RECORD_OVERHEAD: u64 = 8;
/// Records larger than this are refused (and treated as a torn tail when read).
pub(crate) const MAX_RECORD_BYTES: usize = 256 * 1024 * 1024;

/// The first record of a `.wal` file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct SegmentHeader {
    pub format: u32,
    pub class_uid: i32,
    pub class_name: String,
    /// `region=<r>/accountId=<a>/eventDay=<d>/`
    pub partition: String,
}

/// The header of a `.sealed` file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct SealedHeader {
    pub format: u32,
    pub class_uid: i32,
    pub class_name: String,
    pub partition: String,
    pub key: String,
    pub rows: u64,
    pub min_time: i64,
    pub max_time: i64,
}

fn io_error(context: impl Into<String>, err: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{}: {err}", context.into())).with_source(err)
}

/// Fsyncs a directory so that creations, renames and deletions in it are
/// durable.
fn sync_dir(dir: &Path) -> Result<()> {
    securitylake_core::fs::sync_dir(dir)
        .map_err(|e| io_error(format!("fsync spool directory {}", dir.display()), e))
}

/// What [`Spool::open`] found.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// `.wal` files without a sealed counterpart, by id.
    pub wals: Vec<(u64, PathBuf)>,
    /// `.sealed` files, by id.
    pub sealed: Vec<(u64, PathBuf)>,
}

/// The spool directory, locked by this process.
#[derive(Debug)]
pub(crate) struct Spool {
    dir: PathBuf,
    next_id: u64,
    _lock: File,
}

impl Spool {
    /// Creates (if needed) and locks `dir`, deletes leftovers of interrupted
    /// seals, and lists the segments to recover.
    pub fn open(dir: &Path) -> Result<(Self, Found)> {
        fs::create_dir_all(dir)
            .map_err(|e| io_error(format!("create spool directory {}", dir.display()), e))?;
        let lock_path = dir.join("LOCK");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_error(format!("open {}", lock_path.display()), e))?;
        lock.try_lock().map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!(
                    "spool directory {} is in use by another writer: {e}",
                    dir.display()
                ),
            )
        })?;
        let mut wals = Vec::new();
        let mut sealed = Vec::new();
        let entries = fs::read_dir(dir)
            .map_err(|e| io_error(format!("list spool directory {}", dir.display()), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error("list spool directory", e))?;
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name.ends_with(".tmp") {
                fs::remove_file(&path)
                    .map_err(|e| io_error(format!("remove {}", path.display()), e))?;
                continue;
            }
            let parsed = name
                .split_once('.')
                .and_then(|(id, ext)| id.parse::<u64>().ok().map(|id| (id, ext)));
            match parsed {
                Some((id, "wal")) => wals.push((id, path)),
                Some((id, "sealed")) => sealed.push((id, path)),
                _ => {}
            }
        }
        wals.sort();
        sealed.sort();
        // A crash between sealing and deleting the log leaves both: the
        // sealed file is authoritative.
        let mut kept = Vec::with_capacity(wals.len());
        for (id, path) in wals {
            if sealed.iter().any(|(s, _)| *s == id) {
                fs::remove_file(&path)
                    .map_err(|e| io_error(format!("remove {}", path.display()), e))?;
            } else {
                kept.push((id, path));
            }
        }
        let next_id = kept
            .iter()
            .chain(sealed.iter())
            .map(|(id, _)| *id + 1)
            .max()
            .unwrap_or(1);
        Ok((
            Self {
                dir: dir.to_path_buf(),
                next_id,
                _lock: lock,
            },
            Found { wals: kept, sealed },
        ))
    }

    /// Reserves a new segment id.
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Creates the write-ahead file of a new segment with its header record,
    /// durable (file and directory entry fsynced) when this returns.
    pub fn create_wal(&mut self, header: &SegmentHeader) -> Result<Wal> {
        let id = self.next_id();
        let path = self.dir.join(format!("{id:020}.wal"));
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| io_error(format!("create {}", path.display()), e))?;
        let mut wal = Wal {
            id,
            path,
            file,
            bytes: 0,
            dirty: false,
        };
        let payload = serde_json::to_vec(header)
            .map_err(|e| Error::new(ErrorKind::Io, "encode segment header").with_source(e))?;
        wal.append(&payload)?;
        wal.sync()?;
        sync_dir(&self.dir)?;
        Ok(wal)
    }

    /// Starts the sealed file of segment `id`: the Parquet bytes are
    /// written into the returned [`SealFile`], then [`Spool::finish_seal`]
    /// makes it durable.
    pub fn begin_seal(&self, id: u64) -> Result<SealFile> {
        SealFile::create(&self.dir, id)
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends the header to a sealed file, makes it durable under its final
    /// name, then deletes the segment's write-ahead file. Returns the sealed
    /// file's path.
    pub fn finish_seal(&self, mut file: SealFile, header: &SealedHeader) -> Result<PathBuf> {
        let id = file.id;
        let path = self.dir.join(format!("{id:020}.sealed"));
        let header_bytes = serde_json::to_vec(header)
            .map_err(|e| Error::new(ErrorKind::Io, "encode sealed header").with_source(e))?;
        let header_len = u32::try_from(header_bytes.len())
            .map_err(|_| Error::invalid_input("sealed header too large"))?;
        let out = file
            .out
            .take()
            .ok_or_else(|| Error::new(ErrorKind::Io, "sealed file already finished"))?;
        let tmp = file.tmp.clone();
        let write_error = |e| io_error(format!("write {}", tmp.display()), e);
        let mut out = out;
        out.write_all(&header_bytes)
            .and_then(|()| out.write_all(&header_len.to_le_bytes()))
            .and_then(|()| out.write_all(SEALED_MAGIC))
            .map_err(write_error)?;
        let inner = out.into_inner().map_err(|e| write_error(e.into_error()))?;
        // The one atomic write: fsync, rename, directory fsync.
        securitylake_core::fs::commit(inner, &tmp, &path)
            .map_err(|e| io_error(format!("commit {}", tmp.display()), e))?;
        let wal = self.dir.join(format!("{id:020}.wal"));
        match fs::remove_file(&wal) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(format!("remove {}", wal.display()), e)),
        }
        Ok(path)
    }

    /// Deletes an acknowledged (uploaded) sealed segment.
    pub fn remove(&self, path: &Path) -> Result<()> {
        match fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(format!("remove {}", path.display()), e)),
        }
    }

    /// Deletes an empty write-ahead file.
    pub fn remove_wal(&self, path: &Path) -> Result<()> {
        self.remove(path)
    }
}

/// An open segment's write-ahead file.
#[derive(Debug)]
pub(crate) struct Wal {
    pub id: u64,
    pub path: PathBuf,
    file: File,
    /// The file's length: the end of the last complete record.
    bytes: u64,
    /// Whether records were written since the last fsync.
    dirty: bool,
}

impl Wal {
    /// Appends one record, its header and payload in one `writev` call (not
    /// yet fsynced).
    /// Returns the file offset of the record's payload.
    ///
    /// When the write fails, the file is cut back to its last complete
    /// record (best effort: recovery drops a torn tail anyway), so that
    /// records appended later are not stranded behind a torn one.
    pub fn append(&mut self, payload: &[u8]) -> Result<u64> {
        let header = record_header(payload)?;
        if let Err(e) = write_all_vectored(&mut self.file, &header, payload) {
            let _ = self.file.set_len(self.bytes);
            return Err(io_error(format!("append to {}", self.path.display()), e));
        }
        let offset = self.bytes + RECORD_OVERHEAD;
        self.bytes = offset + payload.len() as u64;
        self.dirty = true;
        Ok(offset)
    }

    /// Closes the file on a blocking thread of the current tokio runtime
    /// (inline without one). The last close of a write-ahead file that
    /// sealing deleted frees its pages in the page cache: 67 ms for the
    /// 236 MB file of 10^6 sshd events, which delayed the upload queued just
    /// before it (ADR 0320).
    pub fn close_in_background(self) {
        let file = self.file;
        match tokio::runtime::Handle::try_current() {
            // Dropped by the task, or with the closure if the runtime is
            // shutting down.
            Ok(runtime) => drop(runtime.spawn_blocking(move || drop(file))),
            Err(_) => drop(file),
        }
    }

    /// Makes every appended record durable. Returns whether an fsync was
    /// needed.
    pub fn sync(&mut self) -> Result<bool> {
        if !self.dirty {
            return Ok(false);
        }
        self.file
            .sync_data()
            .map_err(|e| io_error(format!("fsync {}", self.path.display()), e))?;
        self.dirty = false;
        Ok(true)
    }
}

/// A sealed file being written ([`Spool::begin_seal`]): the Parquet bytes
/// go to `<id>.<nonce>.sealed.tmp` through a buffer while their SHA-256 is computed.
/// Dropped unfinished, the temporary file is deleted.
pub(crate) struct SealFile {
    id: u64,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
    hasher: Sha256,
    len: u64,
}

impl SealFile {
    /// Starts the sealed file of segment `id` in the spool directory `dir`
    /// (see [`Spool::begin_seal`]).
    pub fn create(dir: &Path, id: u64) -> Result<SealFile> {
        // A name of its own per attempt: an encoding abandoned by a dropped
        // writer may still be writing (and then deletes) its file while a
        // new writer of the spool seals the same segment again.
        let nonce = fastrand::u64(..);
        let tmp = dir.join(format!("{id:020}.{nonce:016x}.sealed.tmp"));
        let file =
            File::create(&tmp).map_err(|e| io_error(format!("create {}", tmp.display()), e))?;
        Ok(SealFile {
            id,
            tmp,
            out: Some(BufWriter::with_capacity(256 * 1024, file)),
            hasher: Sha256::new(),
            len: 0,
        })
    }

    /// The first 16 bytes of the SHA-256 of the bytes written so far.
    pub fn digest(&self) -> [u8; 16] {
        let hash = self.hasher.clone().finalize();
        let mut digest = [0u8; 16];
        digest.copy_from_slice(&hash[..16]);
        digest
    }

    /// The number of bytes written.
    pub fn len(&self) -> u64 {
        self.len
    }
}

impl Write for SealFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| std::io::Error::other("sealed file already finished"))?;
        let n = out.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.out.as_mut() {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for SealFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

impl std::fmt::Debug for SealFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealFile")
            .field("tmp", &self.tmp)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// The on-disk size of a record holding `payload_len` bytes.
pub(crate) fn record_size(payload_len: u64) -> u64 {
    payload_len.saturating_add(RECORD_OVERHEAD)
}

/// The header of the record of `payload`: its length and CRC.
fn record_header(payload: &[u8]) -> Result<[u8; RECORD_OVERHEAD as usize]> {
    if payload.len() > MAX_RECORD_BYTES {
        return Err(Error::invalid_input(format!(
            "a spool record of {} bytes exceeds {MAX_RECORD_BYTES}",
            payload.len()
        )));
    }
    let len =
        u32::try_from(payload.len()).map_err(|_| Error::invalid_input("spool record too large"))?;
    let mut header = [0u8; RECORD_OVERHEAD as usize];
    header[..4].copy_from_slice(&len.to_le_bytes());
    header[4..].copy_from_slice(&crc32fast::hash(payload).to_le_bytes());
    Ok(header)
}

/// Appends the record of `payload` (length, CRC, payload) to `out`.
#[cfg(test)]
fn append_record(out: &mut Vec<u8>, payload: &[u8]) -> Result<()> {
    let header = record_header(payload)?;
    out.extend_from_slice(&header);
    out.extend_from_slice(payload);
    Ok(())
}

/// Writes `header` then `payload` with as few `writev` calls as the file
/// takes (one, for a regular file), without copying them into one buffer
/// first: a frame is up to a few MB, and the copy was a `memcpy` of every
/// spooled byte.
fn write_all_vectored(out: &mut impl Write, header: &[u8], payload: &[u8]) -> std::io::Result<()> {
    let mut slices = [IoSlice::new(header), IoSlice::new(payload)];
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        match out.write_vectored(rest) {
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::WriteZero,
                    "failed to write a whole spool record",
                ));
            }
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads the records of a write-ahead file, in order or at the offsets
/// [`Wal::append`] returned, checking each record's length and CRC.
///
/// Sequential reads go through one buffer; a read at another offset seeks
/// (within the buffer when the offset is close ahead).
pub(crate) struct RecordReader<R> {
    reader: BufReader<R>,
    /// The file offset the reader is at.
    position: u64,
    torn: bool,
}

impl RecordReader<File> {
    /// Opens a write-ahead file for reading.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| io_error(format!("open {}", path.display()), e))?;
        Ok(Self::new(file))
    }
}

impl<R: Read + Seek> RecordReader<R> {
    /// Reads records from `inner`, which is at offset 0.
    pub fn new(inner: R) -> Self {
        Self {
            reader: BufReader::with_capacity(256 * 1024, inner),
            position: 0,
            torn: false,
        }
    }

    /// Whether the sequential read stopped at a torn tail (an incomplete
    /// record or a CRC mismatch) rather than at the end of the file.
    pub fn torn(&self) -> bool {
        self.torn
    }

    /// Reads up to `buf.len()` bytes; fewer only at the end of the file.
    fn fill(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut read = 0;
        while read < buf.len() {
            match self.reader.read(&mut buf[read..]) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.position += read as u64;
        Ok(read)
    }

    /// The next record in file order into `payload`: its payload offset, or
    /// `None` at the end of the file or at a torn tail (see [`Self::torn`]).
    pub fn next_record(&mut self, payload: &mut Vec<u8>) -> Result<Option<u64>> {
        self.read_record(payload, None)
    }

    /// Reads the record at the current position; with `expected`, a record
    /// of another length is not read (and counts as torn).
    fn read_record(
        &mut self,
        payload: &mut Vec<u8>,
        expected: Option<usize>,
    ) -> Result<Option<u64>> {
        let io = |e| io_error("read spool file", e);
        let mut head = [0u8; RECORD_OVERHEAD as usize];
        let got = self.fill(&mut head).map_err(io)?;
        if got == 0 {
            return Ok(None);
        }
        let (len, crc) = split_head(&head);
        if got < head.len() || len > MAX_RECORD_BYTES || expected.is_some_and(|e| e != len) {
            self.torn = true;
            return Ok(None);
        }
        let offset = self.position;
        payload.clear();
        payload.resize(len, 0);
        let got = self.fill(payload).map_err(io)?;
        if got < len || crc32fast::hash(payload) != crc {
            self.torn = true;
            return Ok(None);
        }
        Ok(Some(offset))
    }

    /// The record whose payload is at `offset` and `len` bytes long (as
    /// [`Wal::append`] returned), into `payload`. A record that is not there
    /// intact is an [`ErrorKind::Integrity`] error.
    pub fn read_at(&mut self, offset: u64, len: usize, payload: &mut Vec<u8>) -> Result<()> {
        let start = offset
            .checked_sub(RECORD_OVERHEAD)
            .ok_or_else(|| Error::new(ErrorKind::Integrity, "spool record offset out of range"))?;
        if start != self.position {
            let delta = i64::try_from(start)
                .ok()
                .and_then(|s| s.checked_sub(i64::try_from(self.position).ok()?))
                .ok_or_else(|| {
                    Error::new(ErrorKind::Integrity, "spool record offset out of range")
                })?;
            self.reader
                .seek_relative(delta)
                .map_err(|e| io_error("seek in spool file", e))?;
            self.position = start;
        }
        let before = self.torn;
        let found = self.read_record(payload, Some(len))?;
        self.torn = before;
        match found {
            Some(at) if at == offset && payload.len() == len => Ok(()),
            _ => Err(Error::new(
                ErrorKind::Integrity,
                format!("spool record at offset {offset} is missing or damaged"),
            )),
        }
    }
}

fn split_head(head: &[u8; RECORD_OVERHEAD as usize]) -> (usize, u32) {
    let [a, b, c, d, e, f, g, h] = *head;
    (
        u32::from_le_bytes([a, b, c, d]) as usize,
        u32::from_le_bytes([e, f, g, h]),
    )
}

/// Opens a sealed file: its header (read from the trailer), the file
/// positioned at the start of the Parquet bytes, and their length. The
/// Parquet bytes are not read: an upload streams them.
pub(crate) fn open_sealed(path: &Path) -> Result<(SealedHeader, File, u64)> {
    let corrupt = || {
        Error::new(
            ErrorKind::Integrity,
            format!("sealed spool file {} is corrupt", path.display()),
        )
    };
    let io = |e: std::io::Error| io_error(format!("read {}", path.display()), e);
    let mut file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let trailer = (SEALED_MAGIC.len() + 4) as u64;
    let len_at = size.checked_sub(trailer).ok_or_else(corrupt)?;
    let mut tail = [0u8; 12];
    file.seek(std::io::SeekFrom::Start(len_at)).map_err(io)?;
    file.read_exact(&mut tail).map_err(io)?;
    if &tail[4..] != SEALED_MAGIC {
        return Err(corrupt());
    }
    let header_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    let header_at = len_at.checked_sub(header_len).ok_or_else(corrupt)?;
    let mut header = vec![0u8; usize::try_from(header_len).map_err(|_| corrupt())?];
    file.seek(std::io::SeekFrom::Start(header_at)).map_err(io)?;
    file.read_exact(&mut header).map_err(io)?;
    let header: SealedHeader =
        serde_json::from_slice(&header).map_err(|e| corrupt().with_source(e))?;
    file.rewind().map_err(io)?;
    Ok((header, file, header_at))
}

/// Reads a sealed file: its header and the Parquet bytes.
#[cfg(test)]
pub(crate) fn read_sealed(path: &Path) -> Result<(SealedHeader, bytes::Bytes)> {
    let (header, mut file, len) = open_sealed(path)?;
    let mut body = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
    file.read_exact(&mut body)
        .map_err(|e| io_error(format!("read {}", path.display()), e))?;
    Ok((header, bytes::Bytes::from(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that takes at most `step` bytes per call, and is interrupted
    /// before every other call.
    struct Trickle {
        out: Vec<u8>,
        step: usize,
        calls: usize,
    }

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.write_vectored(&[IoSlice::new(buf)])
        }

        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> std::io::Result<usize> {
            self.calls += 1;
            if self.calls % 2 == 1 {
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            let mut room = self.step;
            for buf in bufs {
                let n = buf.len().min(room);
                self.out.extend_from_slice(&buf[..n]);
                room -= n;
                if room == 0 {
                    break;
                }
            }
            Ok(self.step - room)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_record_written_in_pieces_is_the_whole_record() -> Result<()> {
        let payload: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut expected = Vec::new();
        append_record(&mut expected, &payload)?;
        for step in [1, 3, 8, 9, 999, 1008, 4096] {
            let mut sink = Trickle {
                out: Vec::new(),
                step,
                calls: 0,
            };
            let header = record_header(&payload)?;
            write_all_vectored(&mut sink, &header, &payload).map_err(|e| io_error("trickle", e))?;
            assert_eq!(sink.out, expected, "{step} bytes per call");
        }
        // A sink that takes nothing fails, rather than looping.
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Ok(0)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let err = write_all_vectored(&mut Full, b"head", b"body").err();
        assert_eq!(err.map(|e| e.kind()), Some(std::io::ErrorKind::WriteZero));
        Ok(())
    }

    #[test]
    fn records_round_trip_and_torn_tails_are_dropped() -> Result<()> {
        let payloads = [&b"{}"[..], b"{\"a\":1}", b""];
        let mut data = Vec::new();
        for payload in payloads {
            append_record(&mut data, payload)?;
        }
        type Records = Vec<(u64, Vec<u8>)>;
        let read_all = |data: &[u8]| -> Result<(Records, bool)> {
            let mut reader = RecordReader::new(std::io::Cursor::new(data.to_vec()));
            let mut out = Vec::new();
            let mut payload = Vec::new();
            while let Some(offset) = reader.next_record(&mut payload)? {
                out.push((offset, payload.clone()));
            }
            Ok((out, reader.torn()))
        };
        let (records, torn) = read_all(&data)?;
        assert_eq!(
            records,
            vec![
                (8, b"{}".to_vec()),
                (18, b"{\"a\":1}".to_vec()),
                (33, Vec::new())
            ]
        );
        assert!(!torn);
        // Random access at the offsets, in any order, and a wrong offset or
        // length is an integrity error.
        let mut reader = RecordReader::new(std::io::Cursor::new(data.clone()));
        let mut payload = Vec::new();
        for &(offset, ref expected) in records.iter().rev().chain(records.iter()) {
            reader.read_at(offset, expected.len(), &mut payload)?;
            assert_eq!(&payload, expected);
        }
        for (offset, len) in [(9, 2), (18, 3), (0, 0), (400, 1)] {
            let err = reader
                .read_at(offset, len, &mut payload)
                .err()
                .map(|e| e.kind());
            assert_eq!(err, Some(ErrorKind::Integrity), "{offset} {len}");
        }
        // Every truncation keeps exactly the complete records before it.
        for cut in 0..data.len() {
            let (records, torn) = read_all(&data[..cut])?;
            let complete = [0usize, 10, 25, 33]
                .iter()
                .filter(|&&end| end <= cut)
                .count()
                - 1;
            assert_eq!(records.len(), complete, "cut at {cut}");
            assert_eq!(torn, ![0, 10, 25, 33].contains(&cut), "cut at {cut}");
        }
        // A flipped payload byte ends the log there.
        let mut bad = data.clone();
        bad[20] ^= 0x40;
        let (records, torn) = read_all(&bad)?;
        assert_eq!(records.len(), 1);
        assert!(torn);
        Ok(())
    }

    /// The open file descriptors of this process that name `path`.
    #[cfg(target_os = "linux")]
    fn open_handles(path: &Path) -> usize {
        fs::read_dir("/proc/self/fd")
            .map(|fds| {
                fds.flatten()
                    .filter(|fd| fs::read_link(fd.path()).is_ok_and(|p| p == path))
                    .count()
            })
            .unwrap_or(0)
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_write_ahead_file_is_closed_in_the_background_or_inline() -> Result<()> {
        let dir = tempfile_dir()?;
        let (mut spool, _) = Spool::open(&dir)?;
        let header = SegmentHeader {
            format: WAL_FORMAT,
            class_uid: 3002,
            class_name: "authentication".into(),
            partition: "region=us-east-1/accountId=external/eventDay=20240101/".into(),
        };
        // Without a runtime: closed before the call returns.
        let wal = spool.create_wal(&header)?;
        let path = fs::canonicalize(&wal.path).map_err(|e| io_error("canonicalize", e))?;
        assert_eq!(open_handles(&path), 1);
        wal.close_in_background();
        assert_eq!(open_handles(&path), 0);
        // In a runtime: closed by a blocking task, which the runtime's
        // shutdown waits for.
        let wal = spool.create_wal(&header)?;
        let path = fs::canonicalize(&wal.path).map_err(|e| io_error("canonicalize", e))?;
        assert_eq!(open_handles(&path), 1);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| io_error("runtime", e))?;
        runtime.block_on(async { wal.close_in_background() });
        drop(runtime);
        assert_eq!(open_handles(&path), 0);
        drop(spool);
        fs::remove_dir_all(&dir).map_err(|e| io_error("cleanup", e))?;
        Ok(())
    }

    #[test]
    fn spool_is_exclusive_and_seal_replaces_the_log() -> Result<()> {
        let dir = tempfile_dir()?;
        let (mut spool, found) = Spool::open(&dir)?;
        assert!(found.wals.is_empty() && found.sealed.is_empty());
        let err = Spool::open(&dir).err().map(|e| e.kind());
        assert_eq!(err, Some(ErrorKind::Config));
        let header = SegmentHeader {
            format: WAL_FORMAT,
            class_uid: 3002,
            class_name: "authentication".into(),
            partition: "region=us-east-1/accountId=external/eventDay=20240101/".into(),
        };
        let mut wal = spool.create_wal(&header)?;
        let offset = wal.append(b"{\"x\":1}")?;
        let mut reader = RecordReader::open(&wal.path)?;
        let mut payload = Vec::new();
        reader.read_at(offset, 7, &mut payload)?;
        assert_eq!(payload, b"{\"x\":1}");
        assert!(wal.sync()?);
        assert!(!wal.sync()?);
        let sealed = SealedHeader {
            format: SEALED_FORMAT,
            class_uid: 3002,
            class_name: "authentication".into(),
            partition: header.partition.clone(),
            key: "k".into(),
            rows: 1,
            min_time: 5,
            max_time: 5,
        };
        // An abandoned seal leaves nothing behind.
        let mut abandoned = spool.begin_seal(wal.id)?;
        let io = |e| io_error("test", e);
        abandoned.write_all(b"PAR").map_err(io)?;
        drop(abandoned);
        assert_eq!(
            fs::read_dir(&dir).map_err(io)?.count(),
            2,
            "LOCK and the log only"
        );
        let mut file = spool.begin_seal(wal.id)?;
        file.write_all(b"PAR1").map_err(io)?;
        assert_eq!(file.len(), 4);
        let expected = Sha256::digest(b"PAR1");
        assert_eq!(file.digest()[..], expected[..16]);
        let path = spool.finish_seal(file, &sealed)?;
        assert!(!wal.path.exists());
        let (back, body) = read_sealed(&path)?;
        assert_eq!(back, sealed);
        assert_eq!(&body[..], b"PAR1");
        drop(spool);
        let (spool, found) = Spool::open(&dir)?;
        assert_eq!(found.sealed.len(), 1);
        assert!(found.wals.is_empty());
        assert!(spool.next_id > wal.id);
        fs::remove_dir_all(&dir).map_err(|e| io_error("cleanup", e))?;
        Ok(())
    }

    fn tempfile_dir() -> Result<PathBuf> {
        let dir = std::env::temp_dir().join(format!(
            "securitylake-spool-test-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        Ok(dir)
    }
}

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
//!   payload is a JSON `SegmentHeader` (format, class, partition); every
//!   further payload is one event as JSON. A record is appended with one
//!   `write` call; a torn tail (an incomplete record or a CRC mismatch) can
//!   only come from a write that had not returned, so recovery drops it.
//! * `<id>.sealed` — a *sealed segment*: `SLSEAL01`, a `u32 LE` header length,
//!   a JSON `SealedHeader` (partition, object key, rows, time range) and the
//!   exact Parquet bytes to upload. It is written to `<id>.sealed.tmp`,
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
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// The format number written in spool headers.
pub(crate) const FORMAT: u32 = 1;
const SEALED_MAGIC: &[u8; 8] = b"SLSEAL01";
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
    File::open(dir)
        .and_then(|d| d.sync_all())
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

    /// Writes the sealed form of segment `id` durably, then deletes its
    /// write-ahead file. Returns the sealed file's path.
    pub fn seal(&self, id: u64, header: &SealedHeader, parquet: &[u8]) -> Result<PathBuf> {
        let path = self.dir.join(format!("{id:020}.sealed"));
        let tmp = self.dir.join(format!("{id:020}.sealed.tmp"));
        let header_bytes = serde_json::to_vec(header)
            .map_err(|e| Error::new(ErrorKind::Io, "encode sealed header").with_source(e))?;
        let header_len = u32::try_from(header_bytes.len())
            .map_err(|_| Error::invalid_input("sealed header too large"))?;
        let mut file =
            File::create(&tmp).map_err(|e| io_error(format!("create {}", tmp.display()), e))?;
        let mut head = Vec::with_capacity(12 + header_bytes.len());
        head.extend_from_slice(SEALED_MAGIC);
        head.extend_from_slice(&header_len.to_le_bytes());
        head.extend_from_slice(&header_bytes);
        file.write_all(&head)
            .and_then(|()| file.write_all(parquet))
            .and_then(|()| file.sync_all())
            .map_err(|e| io_error(format!("write {}", tmp.display()), e))?;
        drop(file);
        fs::rename(&tmp, &path).map_err(|e| io_error(format!("rename {}", tmp.display()), e))?;
        sync_dir(&self.dir)?;
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
    bytes: u64,
    dirty: bool,
}

impl Wal {
    /// Appends one record with a single `write` call (not yet fsynced).
    pub fn append(&mut self, payload: &[u8]) -> Result<()> {
        let record = encode_record(payload)?;
        self.file
            .write_all(&record)
            .map_err(|e| io_error(format!("append to {}", self.path.display()), e))?;
        self.bytes += record.len() as u64;
        self.dirty = true;
        Ok(())
    }

    /// Makes every appended record durable.
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

/// The on-disk size of a record holding `payload_len` bytes.
pub(crate) fn record_size(payload_len: usize) -> u64 {
    payload_len as u64 + RECORD_OVERHEAD
}

fn encode_record(payload: &[u8]) -> Result<Vec<u8>> {
    if payload.len() > MAX_RECORD_BYTES {
        return Err(Error::invalid_input(format!(
            "a spool record of {} bytes exceeds {MAX_RECORD_BYTES}",
            payload.len()
        )));
    }
    let len =
        u32::try_from(payload.len()).map_err(|_| Error::invalid_input("spool record too large"))?;
    let mut record = Vec::with_capacity(payload.len() + 8);
    record.extend_from_slice(&len.to_le_bytes());
    record.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    record.extend_from_slice(payload);
    Ok(record)
}

/// Splits a write-ahead file into its record payloads, stopping at a torn
/// tail. Returns the payloads and whether a tail was dropped.
pub(crate) fn decode_records(data: &[u8]) -> (Vec<&[u8]>, bool) {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let Some((head, body)) = rest.split_at_checked(8) else {
            return (out, true);
        };
        let mut len = [0u8; 4];
        let mut crc = [0u8; 4];
        len.copy_from_slice(&head[..4]);
        crc.copy_from_slice(&head[4..]);
        let len = u32::from_le_bytes(len) as usize;
        let Some((payload, tail)) = body.split_at_checked(len) else {
            return (out, true);
        };
        if crc32fast::hash(payload) != u32::from_le_bytes(crc) {
            return (out, true);
        }
        out.push(payload);
        rest = tail;
    }
    (out, false)
}

/// Reads a write-ahead file.
pub(crate) fn read_wal(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| io_error(format!("read {}", path.display()), e))
}

/// Reads a sealed file: its header and the Parquet bytes.
pub(crate) fn read_sealed(path: &Path) -> Result<(SealedHeader, bytes::Bytes)> {
    let data = fs::read(path).map_err(|e| io_error(format!("read {}", path.display()), e))?;
    let corrupt = || {
        Error::new(
            ErrorKind::Integrity,
            format!("sealed spool file {} is corrupt", path.display()),
        )
    };
    if data.len() < 12 || &data[..8] != SEALED_MAGIC {
        return Err(corrupt());
    }
    let mut len = [0u8; 4];
    len.copy_from_slice(&data[8..12]);
    let len = u32::from_le_bytes(len) as usize;
    let end = 12usize.checked_add(len).ok_or_else(corrupt)?;
    let header_bytes = data.get(12..end).ok_or_else(corrupt)?;
    let header: SealedHeader =
        serde_json::from_slice(header_bytes).map_err(|e| corrupt().with_source(e))?;
    let data = bytes::Bytes::from(data);
    Ok((header, data.slice(end..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_torn_tails_are_dropped() -> Result<()> {
        let mut data = Vec::new();
        for payload in [&b"{}"[..], b"{\"a\":1}", b""] {
            data.extend(encode_record(payload)?);
        }
        let (records, torn) = decode_records(&data);
        assert_eq!(records, vec![&b"{}"[..], b"{\"a\":1}", b""]);
        assert!(!torn);
        // Every truncation keeps exactly the complete records before it.
        for cut in 0..data.len() {
            let (records, torn) = decode_records(&data[..cut]);
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
        let (records, torn) = decode_records(&bad);
        assert_eq!(records.len(), 1);
        assert!(torn);
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
            format: FORMAT,
            class_uid: 3002,
            class_name: "authentication".into(),
            partition: "region=us-east-1/accountId=external/eventDay=20240101/".into(),
        };
        let mut wal = spool.create_wal(&header)?;
        wal.append(b"{\"x\":1}")?;
        assert!(wal.sync()?);
        assert!(!wal.sync()?);
        let sealed = SealedHeader {
            format: FORMAT,
            class_uid: 3002,
            class_name: "authentication".into(),
            partition: header.partition.clone(),
            key: "k".into(),
            rows: 1,
            min_time: 5,
            max_time: 5,
        };
        let path = spool.seal(wal.id, &sealed, b"PAR1")?;
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

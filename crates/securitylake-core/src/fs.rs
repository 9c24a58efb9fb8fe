//! The one atomic, durable file write: write a temporary file in the target's
//! directory, fsync it, rename it over the target, fsync the directory.
//!
//! After [`write_atomic`] (or [`commit`]) returns `Ok`, the target holds the
//! new bytes and survives a crash of the machine; before, it holds the old
//! bytes (or does not exist). A crash in between leaves at most a temporary
//! file whose name starts with `.` and contains `.tmp` ([`is_temporary`]),
//! which readers skip and owners may delete.
//!
//! Used by the writer's spool (sealed segments), the subscriber's
//! checkpoints and its HTTPS notification spool. Objects in a local
//! directory are written by `object_store`'s `LocalFileSystem` with fsync
//! enabled ([`local_store`](crate::store::local_store)), which follows the
//! same protocol.
//!
//! ```
//! use securitylake_core::fs::write_atomic;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("state.json");
//! write_atomic(&path, b"{\"v\":1}")?;
//! write_atomic(&path, b"{\"v\":2}")?;
//! assert_eq!(std::fs::read(&path)?, b"{\"v\":2}");
//! assert_eq!(std::fs::read_dir(dir.path())?.count(), 1, "no temporary file is left");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh temporary path next to `target`: `.<file name>.<pid>-<n>.tmp`
/// in the same directory (so the rename stays on one file system).
pub fn temporary_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    target.with_file_name(format!(".{name}.{}-{n}.tmp", std::process::id()))
}

/// Whether `file_name` is a temporary file of this module (a leftover of a
/// crash between the write and the rename).
pub fn is_temporary(file_name: &str) -> bool {
    file_name.starts_with('.') && file_name.ends_with(".tmp")
}

/// Writes `bytes` to `target` atomically and durably (temporary file, fsync,
/// rename, directory fsync). The temporary file is removed when a step
/// fails.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temporary_path(target);
    let result = File::create(&tmp)
        .and_then(|mut file| file.write_all(bytes).map(|()| file))
        .and_then(|file| commit(file, &tmp, target));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Finishes a file written incrementally at `tmp` (for example through a
/// `BufWriter`, which the caller has flushed and unwrapped): fsyncs it,
/// renames it to `target` and fsyncs the directory. On error the temporary
/// file is left for the caller to remove or recover.
pub fn commit(file: File, tmp: &Path, target: &Path) -> io::Result<()> {
    file.sync_all()?;
    drop(file);
    std::fs::rename(tmp, target)?;
    sync_parent(target)
}

/// Fsyncs `dir`, so that creations, renames and deletions of its entries are
/// durable. A no-op on platforms where directories cannot be opened.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Fsyncs the directory holding `path`.
pub fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => sync_dir(dir),
        None => sync_dir(Path::new(".")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_leaves_no_temporary_file() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("a.json");
        write_atomic(&target, b"one")?;
        write_atomic(&target, b"two")?;
        assert_eq!(std::fs::read(&target)?, b"two");
        let names: Vec<String> = std::fs::read_dir(dir.path())?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<io::Result<_>>()?;
        assert_eq!(names, vec!["a.json".to_owned()]);
        Ok(())
    }

    #[test]
    fn a_failed_write_keeps_the_old_content_and_cleans_up() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("a.json");
        write_atomic(&target, b"old")?;
        // Renaming a file over a non-empty directory fails.
        let blocked = dir.path().join("sub");
        std::fs::create_dir(&blocked)?;
        std::fs::write(blocked.join("x"), b"x")?;
        assert!(write_atomic(&blocked, b"new").is_err());
        assert_eq!(std::fs::read(&target)?, b"old");
        let leftovers = std::fs::read_dir(dir.path())?
            .filter_map(|e| e.ok())
            .filter(|e| is_temporary(&e.file_name().to_string_lossy()))
            .count();
        assert_eq!(leftovers, 0);
        Ok(())
    }

    #[test]
    fn temporary_names_are_recognised_and_distinct() {
        let a = temporary_path(Path::new("/x/state.json"));
        let b = temporary_path(Path::new("/x/state.json"));
        assert_ne!(a, b);
        assert_eq!(a.parent(), Some(Path::new("/x")));
        let name = a.file_name().map(|n| n.to_string_lossy().into_owned());
        assert!(name.as_deref().is_some_and(is_temporary), "{name:?}");
        assert!(!is_temporary("state.json"));
    }
}

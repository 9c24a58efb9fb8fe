//! Deduplication of processed objects by bucket + key + etag.
//!
//! ```
//! # tokio_test_block(async {
//! use securitylake_subscriber::ObjectRef;
//! use securitylake_subscriber::checkpoint::{CheckpointStore, MemoryCheckpoint};
//!
//! let store = MemoryCheckpoint::new();
//! let object = ObjectRef::new("lake", "ext/app/x.parquet").with_etag("e1");
//! assert!(!store.contains(&object).await?);
//! store.record(&object).await?;
//! assert!(store.contains(&object).await?);
//! // A new version of the object (another etag) is not a duplicate.
//! assert!(!store.contains(&object.clone().with_etag("e2")).await?);
//! # Ok::<(), securitylake_subscriber::Error>(()) });
//! # fn tokio_test_block<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(f)
//! # }
//! ```

use std::collections::{HashSet, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::notification::ObjectRef;

/// Where processed objects are remembered.
#[async_trait]
pub trait CheckpointStore: Send + Sync + std::fmt::Debug {
    /// Whether the object (bucket, key and etag) was already processed.
    async fn contains(&self, object: &ObjectRef) -> Result<bool>;
    /// Records the object as processed; durable when this returns `Ok`.
    async fn record(&self, object: &ObjectRef) -> Result<()>;
}

/// An in-memory checkpoint store holding at most `capacity` identities
/// (the oldest are forgotten first).
#[derive(Debug)]
pub struct MemoryCheckpoint {
    inner: Mutex<Bounded>,
}

#[derive(Debug)]
struct Bounded {
    set: HashSet<String>,
    order: VecDeque<String>,
    capacity: usize,
}

impl Bounded {
    fn new(capacity: usize) -> Self {
        Self {
            set: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    fn insert(&mut self, id: String) -> bool {
        if self.set.contains(&id) {
            return false;
        }
        self.set.insert(id.clone());
        self.order.push_back(id);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

/// The default number of identities kept.
pub const DEFAULT_CAPACITY: usize = 1_000_000;

impl MemoryCheckpoint {
    /// An empty store with [`DEFAULT_CAPACITY`].
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// An empty store keeping at most `capacity` identities.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Bounded::new(capacity)),
        }
    }
}

impl Default for MemoryCheckpoint {
    fn default() -> Self {
        Self::new()
    }
}

fn poisoned() -> Error {
    Error::new(crate::ErrorKind::Io, "checkpoint lock poisoned")
}

#[async_trait]
impl CheckpointStore for MemoryCheckpoint {
    async fn contains(&self, object: &ObjectRef) -> Result<bool> {
        let inner = self.inner.lock().map_err(|_| poisoned())?;
        Ok(inner.set.contains(&object.identity()))
    }

    async fn record(&self, object: &ObjectRef) -> Result<()> {
        self.inner
            .lock()
            .map_err(|_| poisoned())?
            .insert(object.identity());
        Ok(())
    }
}

/// A file-backed checkpoint store: one JSON string per line, appended and
/// fsynced on every record, compacted (rewritten atomically with only the
/// kept identities) when the log grows past twice the number kept.
///
/// A torn last line (a crash during an append) is ignored on open.
#[derive(Debug)]
pub struct FileCheckpoint {
    path: PathBuf,
    inner: Mutex<FileState>,
}

#[derive(Debug)]
struct FileState {
    ids: Bounded,
    file: std::fs::File,
    lines: usize,
}

impl FileCheckpoint {
    /// Opens (or creates) the log at `path`, keeping [`DEFAULT_CAPACITY`]
    /// identities.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        Self::open_with_capacity(path, DEFAULT_CAPACITY)
    }

    /// Opens (or creates) the log at `path`, keeping at most `capacity`
    /// identities.
    pub fn open_with_capacity(path: impl Into<PathBuf>, capacity: usize) -> Result<Self> {
        let path = path.into();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        }
        let mut ids = Bounded::new(capacity);
        match std::fs::read(&path) {
            Ok(content) => {
                for line in content.split(|b| *b == b'\n') {
                    if let Ok(id) = serde_json::from_slice::<String>(line) {
                        ids.insert(id);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        }
        // Rewrite on open: drops a torn tail and duplicates.
        let file = rewrite(&path, &ids.order)?;
        let lines = ids.order.len();
        Ok(Self {
            path,
            inner: Mutex::new(FileState { ids, file, lines }),
        })
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many identities are kept.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|s| s.ids.order.len()).unwrap_or(0)
    }

    /// Whether no identity is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn rewrite(path: &Path, ids: &VecDeque<String>) -> Result<std::fs::File> {
    let mut out = Vec::new();
    for id in ids {
        let line = serde_json::to_string(id)
            .map_err(|e| Error::new(crate::ErrorKind::Io, format!("encoding checkpoint: {e}")))?;
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    securitylake_core::fs::write_atomic(path, &out)
        .map_err(|e| Error::io(format!("rewriting {}", path.display()), e))?;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| Error::io(format!("opening {}", path.display()), e))
}

/// Fsyncs the directory holding `path` so that a rename or create is durable.
#[cfg_attr(not(feature = "https"), allow(dead_code))]
pub(crate) fn sync_dir(path: &Path) -> Result<()> {
    securitylake_core::fs::sync_parent(path)
        .map_err(|e| Error::io(format!("syncing the directory of {}", path.display()), e))
}

#[async_trait]
impl CheckpointStore for FileCheckpoint {
    async fn contains(&self, object: &ObjectRef) -> Result<bool> {
        let inner = self.inner.lock().map_err(|_| poisoned())?;
        Ok(inner.ids.set.contains(&object.identity()))
    }

    async fn record(&self, object: &ObjectRef) -> Result<()> {
        let id = object.identity();
        let mut state = self.inner.lock().map_err(|_| poisoned())?;
        if !state.ids.insert(id.clone()) {
            return Ok(());
        }
        let mut line = serde_json::to_string(&id)
            .map_err(|e| Error::new(crate::ErrorKind::Io, format!("encoding checkpoint: {e}")))?;
        line.push('\n');
        let ctx = |e| Error::io(format!("appending to {}", self.path.display()), e);
        state.file.write_all(line.as_bytes()).map_err(ctx)?;
        state.file.sync_data().map_err(ctx)?;
        state.lines += 1;
        if state.lines > 2 * state.ids.order.len().max(1024) {
            state.file = rewrite(&self.path, &state.ids.order)?;
            state.lines = state.ids.order.len();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn file_checkpoint_survives_restart_and_torn_tail() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let path = dir.path().join("cp.log");
        let a = ObjectRef::new("b", "k1").with_etag("e");
        let b = ObjectRef::new("b", "k2");
        {
            let cp = FileCheckpoint::open(&path)?;
            cp.record(&a).await?;
            cp.record(&a).await?;
            cp.record(&b).await?;
            assert_eq!(cp.len(), 2);
        }
        // A crash in the middle of an append.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| Error::io("open", e))?;
        f.write_all(b"\"b\\u001fk3")
            .map_err(|e| Error::io("write", e))?;
        drop(f);
        let cp = FileCheckpoint::open(&path)?;
        assert!(cp.contains(&a).await?);
        assert!(cp.contains(&b).await?);
        assert!(!cp.contains(&ObjectRef::new("b", "k3")).await?);
        assert!(!cp.contains(&a.clone().with_etag("other")).await?);
        assert_eq!(cp.len(), 2);
        Ok(())
    }

    #[tokio::test]
    async fn compaction_bounds_the_log() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let path = dir.path().join("cp.log");
        let cp = FileCheckpoint::open_with_capacity(&path, 10)?;
        for i in 0..3000 {
            cp.record(&ObjectRef::new("b", format!("k{i}"))).await?;
        }
        assert_eq!(cp.len(), 10);
        let lines = std::fs::read_to_string(&path)
            .map_err(|e| Error::io("read", e))?
            .lines()
            .count();
        assert!(lines <= 2 * 1024 + 1, "log has {lines} lines");
        drop(cp);
        let cp = FileCheckpoint::open_with_capacity(&path, 10)?;
        assert!(cp.contains(&ObjectRef::new("b", "k2999")).await?);
        assert!(!cp.contains(&ObjectRef::new("b", "k0")).await?);
        Ok(())
    }

    #[tokio::test]
    async fn memory_capacity() -> Result<()> {
        let cp = MemoryCheckpoint::with_capacity(2);
        for k in ["a", "b", "c"] {
            cp.record(&ObjectRef::new("x", k)).await?;
        }
        assert!(!cp.contains(&ObjectRef::new("x", "a")).await?);
        assert!(cp.contains(&ObjectRef::new("x", "c")).await?);
        Ok(())
    }
}

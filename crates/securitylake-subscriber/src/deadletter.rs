//! Where permanently failing notifications and objects go.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::notification::ObjectRef;

/// One dead letter: what failed and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The object, when the failure concerns one object.
    pub object: Option<ObjectRef>,
    /// The raw notification body, when it could not be parsed (lossy UTF-8).
    pub body: Option<String>,
    /// Why it failed.
    pub reason: String,
    /// A short class of failure (`invalid_notification`, `handler`,
    /// `poison`, `panic` when reading or handling the object panicked, an
    /// [`ErrorKind`] name).
    pub kind: String,
    /// How many times processing was attempted.
    pub attempts: u32,
    /// When the letter was written, epoch milliseconds.
    pub time_ms: u64,
}

impl DeadLetter {
    /// A dead letter with the current time.
    ///
    /// ```
    /// let letter = securitylake_subscriber::DeadLetter::new("handler", "bad row", 3);
    /// assert_eq!(letter.attempts, 3);
    /// ```
    pub fn new(kind: impl Into<String>, reason: impl Into<String>, attempts: u32) -> Self {
        let time_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Self {
            object: None,
            body: None,
            reason: reason.into(),
            kind: kind.into(),
            attempts,
            time_ms,
        }
    }

    /// Sets the object.
    pub fn with_object(mut self, object: ObjectRef) -> Self {
        self.object = Some(object);
        self
    }

    /// Sets the raw body.
    pub fn with_body(mut self, body: &[u8]) -> Self {
        self.body = Some(String::from_utf8_lossy(body).into_owned());
        self
    }
}

/// A destination for dead letters. Sending must be durable when it returns
/// `Ok`: the notification is acknowledged right after.
#[async_trait]
pub trait DeadLetterSink: Send + Sync + std::fmt::Debug {
    /// Stores one dead letter.
    async fn send(&self, letter: &DeadLetter) -> Result<()>;
}

/// Dead letters as JSON lines appended to a file, fsynced on every letter.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().expect("rt").block_on(async {
/// use securitylake_subscriber::{DeadLetter, DeadLetterSink, FileDeadLetterSink};
///
/// let dir = tempfile::tempdir().expect("tempdir");
/// let sink = FileDeadLetterSink::open(dir.path().join("dead.jsonl"))?;
/// sink.send(&DeadLetter::new("handler", "bad row", 1)).await?;
/// assert_eq!(FileDeadLetterSink::read_all(sink.path())?.len(), 1);
/// # Ok::<(), securitylake_subscriber::Error>(()) }).expect("example");
/// ```
#[derive(Debug)]
pub struct FileDeadLetterSink {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl FileDeadLetterSink {
    /// Opens (or creates) the file for appending.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        Ok(Self {
            path,
            file: Mutex::new(file),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads every complete letter of a dead-letter file (a torn last line is
    /// skipped).
    pub fn read_all(path: impl AsRef<Path>) -> Result<Vec<DeadLetter>> {
        let path = path.as_ref();
        let content = match std::fs::read(path) {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        };
        Ok(content
            .split(|b| *b == b'\n')
            .filter_map(|line| serde_json::from_slice(line).ok())
            .collect())
    }
}

#[async_trait]
impl DeadLetterSink for FileDeadLetterSink {
    async fn send(&self, letter: &DeadLetter) -> Result<()> {
        let mut line = serde_json::to_vec(letter)
            .map_err(|e| Error::new(ErrorKind::Io, format!("encoding dead letter: {e}")))?;
        line.push(b'\n');
        let mut file = self
            .file
            .lock()
            .map_err(|_| Error::new(ErrorKind::Io, "dead-letter lock poisoned"))?;
        let ctx = |e| Error::io(format!("appending to {}", self.path.display()), e);
        file.write_all(&line).map_err(ctx)?;
        file.sync_data().map_err(ctx)?;
        Ok(())
    }
}

/// Dead letters kept in memory (tests, or when a log line is enough).
#[derive(Debug, Default)]
pub struct MemoryDeadLetterSink {
    letters: Mutex<Vec<DeadLetter>>,
}

impl MemoryDeadLetterSink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// The letters received so far.
    pub fn letters(&self) -> Vec<DeadLetter> {
        self.letters.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl DeadLetterSink for MemoryDeadLetterSink {
    async fn send(&self, letter: &DeadLetter) -> Result<()> {
        tracing::warn!(kind = %letter.kind, reason = %letter.reason, "dead letter");
        self.letters
            .lock()
            .map_err(|_| Error::new(ErrorKind::Io, "dead-letter lock poisoned"))?
            .push(letter.clone());
        Ok(())
    }
}

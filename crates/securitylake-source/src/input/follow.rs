//! A followed file: `tail -F` by polling.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::LineInput;
use super::file::{FileState, OpenFile, find_renamed, start_offset};
use super::lines::{DEFAULT_MAX_LINE_BYTES, InputStats, LineBuffer};
use super::position::Position;
use crate::error::{Error, Result};

/// The default interval between looks at a followed file at its end.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A file followed by path with `tail -F` semantics, by polling (no
/// inotify): it never ends, [`next_line`](LineInput::next_line) waits for
/// the next complete line.
///
/// At the end of the file, every poll interval, it looks at the file and
/// its path:
///
/// * **Appends** are read as they come; an unterminated last line is held
///   until its newline arrives.
/// * **Rotation by rename** (the path names another file): the old file is
///   read to its end once more (lines appended after the rename are not
///   lost), then the new file is read from its start. An unterminated
///   last line of the old file is returned as a line (counted in
///   [`InputStats::partial_lines_flushed`]).
/// * **Copy-truncate** (the file shrank below the read offset, or its first
///   bytes changed): reading restarts at offset 0 of the same file.
/// * **Restart**: a checkpoint ([`resume_from`](Self::resume_from)) is
///   applied to the file at the path when it names that file; when it
///   names a file renamed meanwhile (a rotation while the input was
///   stopped) and that file is still in the same directory, that file's
///   rest is read first, then the file at the path from its start.
/// * **Deleted**: the open file is still read (a writer may still append
///   to it) until a file appears at the path again, which is then read from
///   its start. A file that does not exist yet is waited for.
///
/// As with `tail -F`, some bytes are not read: those written to a rotated
/// file after the switch, those between the last read and a truncation, and
/// a whole file rotated away again before the input switched to it (the
/// input lags more than one rotation behind).
///
/// [`next_line`](LineInput::next_line) is cancel-safe: dropping its future
/// (in `tokio::select!`, say) loses no line.
///
/// ```
/// use std::io::Write;
/// use std::time::Duration;
/// use securitylake_source::input::{FollowInput, LineInput};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build()?.block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("app.log");
/// std::fs::write(&path, "one\ntw")?;
///
/// let mut input = FollowInput::new(&path).poll_interval(Duration::from_millis(10));
/// let mut line = String::new();
/// input.next_line(&mut line).await?;
/// assert_eq!(line, "one");
///
/// // "tw" is held until its newline arrives.
/// std::fs::OpenOptions::new().append(true).open(&path)?.write_all(b"o\n")?;
/// let position = input.next_line(&mut line).await?;
/// assert_eq!(line, "two");
/// assert_eq!(position.map(|p| p.offset()), Some(8));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FollowInput {
    path: PathBuf,
    poll_interval: Duration,
    /// The checkpoint to apply when the first file is opened.
    resume: Option<Position>,
    file: Option<OpenFile>,
    lines: LineBuffer,
    chunk: Option<Vec<u8>>,
    /// The last read found the end of the file: look at the file and its
    /// path before reading on.
    at_end: bool,
    stats: InputStats,
}

impl FollowInput {
    /// Follows `path` from the start of the file found there (nothing is
    /// opened before the first [`next_line`](LineInput::next_line)).
    pub fn new(path: impl AsRef<Path>) -> Self {
        Self {
            path: path.as_ref().to_path_buf(),
            poll_interval: DEFAULT_POLL_INTERVAL,
            resume: None,
            file: None,
            lines: LineBuffer::new(0, DEFAULT_MAX_LINE_BYTES),
            chunk: None,
            at_end: false,
            stats: InputStats::default(),
        }
    }

    /// Starts at `checkpoint` instead: the first file found at the path is
    /// read from the checkpoint's offset when the checkpoint names it (same
    /// device, inode and first bytes) and it is at least that long. When it
    /// names another file of the same directory (renamed by a rotation), the
    /// rest of that file is read first (counted in
    /// [`InputStats::checkpoints_in_rotated_files`]); otherwise the file at
    /// the path is read from its start (counted in
    /// [`InputStats::checkpoint_mismatches`]). `None` changes nothing.
    pub fn resume_from(mut self, checkpoint: Option<Position>) -> Self {
        self.resume = checkpoint;
        self
    }

    /// Sets how long to wait at the end of the file before looking again
    /// (default [`DEFAULT_POLL_INTERVAL`]).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Sets the longest line returned whole (default
    /// [`DEFAULT_MAX_LINE_BYTES`]); longer lines are returned in pieces.
    pub fn max_line_bytes(mut self, max: usize) -> Self {
        self.lines.set_max_line(max);
        self
    }

    /// The followed path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn idle(&mut self) {
        self.stats.idle_polls += 1;
        tokio::time::sleep(self.poll_interval).await;
    }

    /// Opens the file at the path (applying the checkpoint the first time);
    /// `false` when there is none yet.
    ///
    /// A checkpoint that does not name the file at the path may name a file
    /// renamed by a rotation while the input was stopped: that file's rest
    /// is read first.
    async fn open(&mut self) -> Result<bool> {
        let opened = match OpenFile::open(&self.path).await {
            Ok(opened) => Some(opened),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(Error::from_io(
                    format!("opening {}", self.path.display()),
                    e,
                ));
            }
        };
        let start = match (self.resume, opened) {
            (None, None) => return Ok(false),
            (None, Some(opened)) => (opened, 0),
            (Some(checkpoint), opened) => {
                let applied = opened
                    .as_ref()
                    .map(|opened| start_offset(opened, Some(&checkpoint)));
                match (opened, applied) {
                    (Some(opened), Some((offset, true))) => (opened, offset),
                    (opened, _) => match find_renamed(&self.path, &checkpoint).await? {
                        Some(renamed) => {
                            self.stats.checkpoints_in_rotated_files += 1;
                            (renamed, checkpoint.offset())
                        }
                        // Nothing at the path yet: keep the checkpoint.
                        None => match opened {
                            None => return Ok(false),
                            Some(opened) => {
                                self.stats.checkpoint_mismatches += 1;
                                (opened, 0)
                            }
                        },
                    },
                }
            }
        };
        let (opened, offset) = start;
        self.resume = None;
        self.lines.reset(offset);
        self.file = Some(opened.file);
        self.at_end = false;
        Ok(true)
    }
}

/// Reads the next chunk of `file` into the line buffer; `false` at its end.
async fn read_more(
    file: &OpenFile,
    lines: &mut LineBuffer,
    spare: &mut Option<Vec<u8>>,
) -> Result<bool> {
    let chunk = spare.take().unwrap_or_default();
    let chunk = file.read_at(chunk, lines.end_offset()).await?;
    let read = !chunk.is_empty();
    lines.spare().extend_from_slice(&chunk);
    *spare = Some(chunk);
    Ok(read)
}

impl LineInput for FollowInput {
    // Cancel safety: the state changes only after each await completes
    // (bytes are appended, the file switched or the buffer reset), so a
    // dropped future leaves the input as it was before that step.
    async fn next_line(&mut self, line: &mut String) -> Result<Option<Position>> {
        loop {
            let Some(file) = self.file.as_mut() else {
                if !self.open().await? {
                    self.idle().await;
                }
                continue;
            };
            let identity = file.identity();
            if let Some(end) = self.lines.next_line(line, &mut self.stats) {
                return Ok(Some(Position::in_file(identity, end)));
            }
            // At the end of the file, look before reading on: bytes past the
            // old end may belong to a file truncated and written again.
            if !self.at_end {
                if read_more(file, &mut self.lines, &mut self.chunk).await? {
                    // A file opened empty or short (a new file after a
                    // rotation) gets a fingerprint worth checking.
                    if file.fingerprint_can_grow(self.lines.end_offset()) {
                        file.grow_fingerprint().await?;
                    }
                    continue;
                }
                self.at_end = true;
            }
            match file.state(self.lines.end_offset()).await? {
                FileState::Same { len } if len > self.lines.end_offset() => self.at_end = false,
                FileState::Same { .. } => self.idle().await,
                FileState::Missing => {
                    // Deleted or renamed: a writer may still append to it.
                    if read_more(file, &mut self.lines, &mut self.chunk).await? {
                        self.at_end = false;
                    } else {
                        self.idle().await;
                    }
                }
                FileState::Truncated => {
                    if let Some(end) = self.lines.flush_partial(line, &mut self.stats) {
                        return Ok(Some(Position::in_file(identity, end)));
                    }
                    tracing::info!(path = %file.path().display(), "followed file truncated: reading it from the start");
                    file.refresh().await?;
                    self.stats.truncations += 1;
                    self.lines.reset(0);
                    self.at_end = false;
                }
                FileState::Replaced => {
                    // Lines appended to the old file since the last read
                    // come first.
                    if read_more(file, &mut self.lines, &mut self.chunk).await? {
                        self.at_end = false;
                        continue;
                    }
                    if let Some(end) = self.lines.flush_partial(line, &mut self.stats) {
                        return Ok(Some(Position::in_file(identity, end)));
                    }
                    tracing::info!(path = %file.path().display(), "followed file rotated: switching to the new file");
                    // When the path is empty again, the old file stays.
                    if self.open().await? {
                        self.stats.rotations += 1;
                    }
                }
            }
        }
    }

    fn stats(&self) -> InputStats {
        self.stats
    }
}

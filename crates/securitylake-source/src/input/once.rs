//! A file read once, to its end.

use std::path::Path;

use super::LineInput;
use super::file::{OpenFile, start_offset};
use super::lines::{DEFAULT_MAX_LINE_BYTES, InputStats, LineBuffer};
use super::position::Position;
use crate::error::{Error, Result};

/// A file read once from its start (or from a checkpoint) to its end; an
/// unterminated last line is returned as a line at the end (counted in
/// [`InputStats::partial_lines_flushed`]).
///
/// ```
/// use securitylake_source::input::{FileInput, LineInput};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("app.log");
/// std::fs::write(&path, "one\ntwo")?;
///
/// let mut input = FileInput::open(&path).await?;
/// let mut line = String::new();
/// let mut lines = Vec::new();
/// while let Some(position) = input.next_line(&mut line).await? {
///     lines.push((line.clone(), position.offset()));
/// }
/// assert_eq!(lines, [("one".to_owned(), 4), ("two".to_owned(), 7)]);
/// assert_eq!(input.stats().partial_lines_flushed, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileInput {
    file: OpenFile,
    lines: LineBuffer,
    chunk: Option<Vec<u8>>,
    eof: bool,
    stats: InputStats,
}

impl FileInput {
    /// Opens `path` to read it from its start. Fails with
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) when it does not
    /// exist.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_at(path, None).await
    }

    /// Opens `path` to read it from `checkpoint`: from its offset when the
    /// checkpoint names this file (same device, inode and first bytes) and
    /// the file is at least that long; from the start otherwise (counted in
    /// [`InputStats::checkpoint_mismatches`]).
    pub async fn open_at(path: impl AsRef<Path>, checkpoint: Option<Position>) -> Result<Self> {
        let path = path.as_ref();
        let opened = OpenFile::open(path)
            .await
            .map_err(|e| Error::from_io(format!("opening {}", path.display()), e))?;
        let (start, applied) = start_offset(&opened, checkpoint.as_ref());
        let stats = InputStats {
            checkpoint_mismatches: u64::from(!applied),
            ..InputStats::default()
        };
        Ok(Self {
            file: opened.file,
            lines: LineBuffer::new(start, DEFAULT_MAX_LINE_BYTES),
            chunk: None,
            eof: false,
            stats,
        })
    }

    /// Sets the longest line returned whole (default
    /// [`DEFAULT_MAX_LINE_BYTES`]); longer lines are returned in pieces.
    pub fn max_line_bytes(mut self, max: usize) -> Self {
        self.lines.set_max_line(max);
        self
    }
}

impl LineInput for FileInput {
    async fn next_line(&mut self, line: &mut String) -> Result<Option<Position>> {
        loop {
            let identity = self.file.identity();
            if let Some(end) = self.lines.next_line(line, &mut self.stats) {
                return Ok(Some(Position::in_file(identity, end)));
            }
            if self.eof {
                let end = self.lines.flush_partial(line, &mut self.stats);
                return Ok(end.map(|end| Position::in_file(identity, end)));
            }
            let chunk = self.chunk.take().unwrap_or_default();
            let chunk = self.file.read_at(chunk, self.lines.end_offset()).await?;
            if chunk.is_empty() {
                self.eof = true;
            }
            self.lines.spare().extend_from_slice(&chunk);
            self.chunk = Some(chunk);
        }
    }

    fn stats(&self) -> InputStats {
        self.stats
    }
}

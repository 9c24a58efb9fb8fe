//! Lines of any async reader: stdin, a pipe, a socket.

use tokio::io::{AsyncRead, AsyncReadExt};

use super::LineInput;
use super::lines::{DEFAULT_MAX_LINE_BYTES, InputStats, LineBuffer, READ_CHUNK};
use super::position::Position;
use crate::error::{Error, Result};

/// Lines of standard input.
pub type StdinInput = ReaderInput<tokio::io::Stdin>;

/// The lines of an [`AsyncRead`] until its end; an unterminated last line
/// is returned as a line at the end (counted in
/// [`InputStats::partial_lines_flushed`]).
///
/// Its positions are byte offsets without a file identity
/// ([`Position::stream`]): they can be committed, but a stream cannot be
/// resumed from them.
///
/// ```
/// use securitylake_source::input::{LineInput, ReaderInput};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let mut input = ReaderInput::new(&b"a\r\nb\n"[..]);
/// let mut line = String::new();
/// assert_eq!(input.next_line(&mut line).await?.map(|p| p.offset()), Some(3));
/// assert_eq!(line, "a");
/// assert_eq!(input.next_line(&mut line).await?.map(|p| p.offset()), Some(5));
/// assert_eq!(line, "b");
/// assert_eq!(input.next_line(&mut line).await?, None);
/// # Ok::<(), securitylake_source::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ReaderInput<R> {
    reader: R,
    lines: LineBuffer,
    eof: bool,
    stats: InputStats,
}

impl<R> ReaderInput<R> {
    /// Reads lines of `reader`.
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            lines: LineBuffer::new(0, DEFAULT_MAX_LINE_BYTES),
            eof: false,
            stats: InputStats::default(),
        }
    }

    /// Sets the longest line returned whole (default
    /// [`DEFAULT_MAX_LINE_BYTES`]); longer lines are returned in pieces.
    pub fn max_line_bytes(mut self, max: usize) -> Self {
        self.lines.set_max_line(max);
        self
    }
}

impl StdinInput {
    /// Reads lines of standard input.
    pub fn stdin() -> Self {
        Self::new(tokio::io::stdin())
    }
}

impl<R: AsyncRead + Unpin + Send> LineInput for ReaderInput<R> {
    // Cancel-safe: `read_buf` appends only the bytes it read.
    async fn next_line(&mut self, line: &mut String) -> Result<Option<Position>> {
        loop {
            if let Some(end) = self.lines.next_line(line, &mut self.stats) {
                return Ok(Some(Position::stream(end)));
            }
            if self.eof {
                let end = self.lines.flush_partial(line, &mut self.stats);
                return Ok(end.map(Position::stream));
            }
            let buffer = self.lines.spare();
            buffer.reserve(READ_CHUNK);
            let read = self
                .reader
                .read_buf(buffer)
                .await
                .map_err(|e| Error::from_io("reading the input stream", e))?;
            self.eof = read == 0;
        }
    }

    fn stats(&self) -> InputStats {
        self.stats
    }
}

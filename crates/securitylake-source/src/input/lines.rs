//! Splitting a byte stream into lines in one reused buffer, and the
//! inputs' counters.

/// The default bound on a line's length: a longer line is split (and
/// counted in [`InputStats::long_lines_split`]), so that a file without
/// newlines cannot grow the buffer without bound.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1024 * 1024;

/// How many bytes an input asks for per read.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// What an input has read and decided so far; plain counters.
///
/// ```
/// use securitylake_source::input::InputStats;
///
/// let stats = InputStats::default();
/// assert_eq!(stats.lines, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InputStats {
    /// Lines returned.
    pub lines: u64,
    /// Bytes consumed by the lines returned (line terminators included).
    pub bytes: u64,
    /// Lines that were not valid UTF-8: returned with each invalid sequence
    /// replaced by U+FFFD (lossy), never dropped.
    pub invalid_utf8_lines: u64,
    /// Lines longer than the input's maximum, returned in pieces of at most
    /// the maximum (each piece a line).
    pub long_lines_split: u64,
    /// Unterminated last lines returned as lines: at the end of a file read
    /// once, or of a followed file that was rotated or truncated.
    pub partial_lines_flushed: u64,
    /// Switches of a followed file to a new file at its path (rotation by
    /// rename, or a file deleted and created again).
    pub rotations: u64,
    /// Restarts of a followed file at offset 0 because it shrank or its
    /// first bytes changed (copy-truncate).
    pub truncations: u64,
    /// Checkpoints that did not apply (another file at the path, or the
    /// file is shorter than the offset): the file was read from offset 0.
    pub checkpoint_mismatches: u64,
    /// Checkpoints of a followed file that named a file renamed by a
    /// rotation while the input was stopped: its rest was read first.
    pub checkpoints_in_rotated_files: u64,
    /// Times a followed input waited one poll interval at the end of its
    /// file (or for the file to appear).
    pub idle_polls: u64,
}

/// Bytes read but not yet returned as lines, with the stream offset of the
/// first of them.
#[derive(Debug)]
pub(crate) struct LineBuffer {
    data: Vec<u8>,
    /// The first byte not yet returned.
    start: usize,
    /// Bytes after `start` known to hold no newline.
    scanned: usize,
    /// The stream offset of `data[0]`.
    base: u64,
    max_line: usize,
}

impl LineBuffer {
    pub(crate) fn new(base: u64, max_line: usize) -> Self {
        Self {
            data: Vec::new(),
            start: 0,
            scanned: 0,
            base,
            max_line: max_line.max(1),
        }
    }

    pub(crate) fn set_max_line(&mut self, max_line: usize) {
        self.max_line = max_line.max(1);
    }

    /// Drops everything buffered and continues at stream offset `base`.
    pub(crate) fn reset(&mut self, base: u64) {
        self.data.clear();
        self.start = 0;
        self.scanned = 0;
        self.base = base;
    }

    /// The stream offset of the next byte to read.
    pub(crate) fn end_offset(&self) -> u64 {
        self.base + self.data.len() as u64
    }

    /// Whether bytes of an unterminated line are held.
    pub(crate) fn has_partial(&self) -> bool {
        self.start < self.data.len()
    }

    /// The buffer to append reads to, after dropping the bytes already
    /// returned (when they are worth moving).
    pub(crate) fn spare(&mut self) -> &mut Vec<u8> {
        if self.start == self.data.len() {
            self.base += self.data.len() as u64;
            self.data.clear();
            self.start = 0;
        } else if self.start >= READ_CHUNK {
            self.data.drain(..self.start);
            self.base += self.start as u64;
            self.start = 0;
        }
        &mut self.data
    }

    /// The next complete line into `out` (without its `\n` or `\r\n`),
    /// returning the stream offset after it; `None` when no complete line
    /// is buffered. A line longer than the maximum is returned in pieces.
    pub(crate) fn next_line(&mut self, out: &mut String, stats: &mut InputStats) -> Option<u64> {
        let held = &self.data[self.start..];
        // A line of at most `max_line` bytes and its newline.
        let limit = held.len().min(self.max_line.saturating_add(1));
        if let Some(i) = memchr::memchr(b'\n', &held[self.scanned.min(limit)..limit]) {
            let newline = self.start + self.scanned.min(limit) + i;
            let mut line = &self.data[self.start..newline];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            decode(line, out, stats);
            return Some(self.consume(newline + 1, stats));
        }
        self.scanned = limit;
        if held.len() > self.max_line {
            let end = self.start + self.max_line;
            decode(&self.data[self.start..end], out, stats);
            stats.long_lines_split += 1;
            return Some(self.consume(end, stats));
        }
        None
    }

    /// The held unterminated line into `out` as a line, if there is one.
    pub(crate) fn flush_partial(
        &mut self,
        out: &mut String,
        stats: &mut InputStats,
    ) -> Option<u64> {
        if !self.has_partial() {
            return None;
        }
        decode(&self.data[self.start..], out, stats);
        stats.partial_lines_flushed += 1;
        Some(self.consume(self.data.len(), stats))
    }

    fn consume(&mut self, end: usize, stats: &mut InputStats) -> u64 {
        stats.lines += 1;
        stats.bytes += (end - self.start) as u64;
        self.start = end;
        self.scanned = 0;
        self.base + end as u64
    }
}

/// UTF-8 into `out`; invalid sequences become U+FFFD and are counted.
fn decode(line: &[u8], out: &mut String, stats: &mut InputStats) {
    out.clear();
    match std::str::from_utf8(line) {
        Ok(text) => out.push_str(text),
        Err(_) => {
            out.push_str(&String::from_utf8_lossy(line));
            stats.invalid_utf8_lines += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(buffer: &mut LineBuffer, stats: &mut InputStats) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        let mut line = String::new();
        while let Some(offset) = buffer.next_line(&mut line, stats) {
            out.push((line.clone(), offset));
        }
        out
    }

    #[test]
    fn splits_lines_with_their_end_offsets_across_reads() {
        let mut stats = InputStats::default();
        let mut buffer = LineBuffer::new(100, DEFAULT_MAX_LINE_BYTES);
        buffer.spare().extend_from_slice(b"ab\r\ncd\nef");
        assert_eq!(
            lines(&mut buffer, &mut stats),
            [("ab".to_owned(), 104), ("cd".to_owned(), 107)]
        );
        assert!(buffer.has_partial());
        buffer.spare().extend_from_slice(b"g\n");
        assert_eq!(lines(&mut buffer, &mut stats), [("efg".to_owned(), 111)]);
        assert_eq!(buffer.end_offset(), 111);
        assert_eq!((stats.lines, stats.bytes), (3, 11));
    }

    #[test]
    fn invalid_utf8_is_replaced_and_counted_long_lines_split() {
        let mut stats = InputStats::default();
        let mut buffer = LineBuffer::new(0, 4);
        buffer.spare().extend_from_slice(b"a\xffb\nabcdef");
        let got = lines(&mut buffer, &mut stats);
        assert_eq!(got, [("a\u{fffd}b".to_owned(), 4), ("abcd".to_owned(), 8)]);
        assert_eq!(stats.invalid_utf8_lines, 1);
        assert_eq!(stats.long_lines_split, 1);
        let mut line = String::new();
        assert_eq!(buffer.flush_partial(&mut line, &mut stats), Some(10));
        assert_eq!(line, "ef");
        assert_eq!(stats.partial_lines_flushed, 1);
        assert_eq!(buffer.flush_partial(&mut line, &mut stats), None);
    }
}

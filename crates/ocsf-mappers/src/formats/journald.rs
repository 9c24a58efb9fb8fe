//! systemd journal exports: `journalctl -o export` and `journalctl -o json`.
//!
//! Both readers stream [`JournalEntry`] values from any [`BufRead`]:
//!
//! * [`ExportReader`] — the export format: `KEY=value` lines, entries separated
//!   by a blank line, and binary-safe fields written as the field name on its
//!   own line, a little-endian `u64` length, the raw bytes, then `\n`.
//! * [`JsonReader`] — one JSON object per line. Values are strings, arrays of
//!   byte numbers (binary values), arrays of strings or byte arrays (a field
//!   with several values), or `null` (journalctl prints `null` for values it
//!   does not show, e.g. large ones without `--all`).
//!
//! An entry keeps every field in order (repeated names included) in one byte
//! buffer, so reading an entry costs a handful of allocations regardless of its
//! field count. Errors carry the stream byte offset; after an error the reader
//! resynchronises at the next entry (the next blank line for export, the next
//! line for JSON), so one bad entry does not end the stream and no entry is
//! skipped without an error being returned for it. A non-transient I/O error
//! ends the iteration after it is returned.

use std::borrow::Cow;
use std::fmt;
use std::io::{BufRead, Read};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::{Error, ErrorKind, Format};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Binary,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    name: (usize, usize),
    value: (usize, usize),
    kind: Kind,
}

/// One field of a [`JournalEntry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalField<'e> {
    /// The field name, e.g. `MESSAGE` or `_PID`.
    pub name: &'e str,
    /// The value bytes; `None` for a JSON `null`.
    pub value: Option<&'e [u8]>,
    /// Whether the value was written in binary form (export length-prefixed
    /// form, or a JSON byte array).
    pub binary: bool,
}

/// One journal entry: an ordered list of fields, with typed accessors for the
/// common ones.
///
/// ```
/// use ocsf_mappers::formats::journald::JournalEntry;
///
/// let mut e = JournalEntry::default();
/// e.push("MESSAGE", b"Started Session 3 of user alice.");
/// e.push("_PID", b"1");
/// e.push("__REALTIME_TIMESTAMP", b"1700000000123456");
/// assert_eq!(e.message().as_deref(), Some("Started Session 3 of user alice."));
/// assert_eq!(e.pid()?, Some(1));
/// assert_eq!(e.realtime_ms()?, Some(1_700_000_000_123));
/// assert_eq!(e.uid()?, None);
/// # Ok::<(), ocsf_mappers::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    data: Vec<u8>,
    spans: Vec<Span>,
    format: Format,
    offset: u64,
}

impl Default for JournalEntry {
    fn default() -> Self {
        JournalEntry {
            data: Vec::new(),
            spans: Vec::new(),
            format: Format::JournaldExport,
            offset: 0,
        }
    }
}

impl JournalEntry {
    fn with_origin(format: Format, offset: u64) -> Self {
        JournalEntry {
            data: Vec::with_capacity(1024),
            spans: Vec::with_capacity(32),
            format,
            offset,
        }
    }

    /// The byte offset in the stream where this entry began.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Number of fields (repeated names counted each time).
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the entry has no fields.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    fn push_bytes(&mut self, b: &[u8]) -> (usize, usize) {
        let start = self.data.len();
        self.data.extend_from_slice(b);
        (start, self.data.len())
    }

    fn push_span(&mut self, name: (usize, usize), value: (usize, usize), kind: Kind) {
        self.spans.push(Span { name, value, kind });
    }

    /// Appends a text field.
    pub fn push(&mut self, name: &str, value: &[u8]) {
        let n = self.push_bytes(name.as_bytes());
        let v = self.push_bytes(value);
        self.push_span(n, v, Kind::Text);
    }

    fn name_of(&self, s: &Span) -> &str {
        // Names are only ever stored from `&str` values.
        std::str::from_utf8(&self.data[s.name.0..s.name.1]).unwrap_or_default()
    }

    /// All fields in order.
    pub fn fields(&self) -> impl Iterator<Item = JournalField<'_>> {
        self.spans.iter().map(|s| JournalField {
            name: self.name_of(s),
            value: (s.kind != Kind::Null).then(|| &self.data[s.value.0..s.value.1]),
            binary: s.kind == Kind::Binary,
        })
    }

    /// Whether a field called `name` is present (even with a `null` value).
    pub fn contains(&self, name: &str) -> bool {
        self.spans.iter().any(|s| self.name_of(s) == name)
    }

    /// Every non-null value of field `name`, in order.
    pub fn get_all<'e>(&'e self, name: &str) -> impl Iterator<Item = &'e [u8]> {
        self.fields()
            .filter(move |f| f.name == name)
            .filter_map(|f| f.value)
    }

    /// The first non-null value of field `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.get_all(name).next()
    }

    /// The first value of `name` as text (invalid UTF-8 replaced).
    pub fn get_str(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get(name).map(String::from_utf8_lossy)
    }

    fn number<T: std::str::FromStr>(&self, name: &'static str) -> Result<Option<T>, Error> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let parsed = std::str::from_utf8(v)
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|s| s.parse::<T>().ok());
        match parsed {
            Some(n) => Ok(Some(n)),
            None => Err(Error::new(
                self.format,
                ErrorKind::InvalidNumber,
                format!(
                    "{name} is not a valid number: {:?}",
                    String::from_utf8_lossy(v)
                ),
            )
            .at_u64(self.offset)),
        }
    }

    /// `MESSAGE` as text (journald stores it in binary form when it contains
    /// control characters or invalid UTF-8; those bytes are replaced).
    pub fn message(&self) -> Option<Cow<'_, str>> {
        self.get_str("MESSAGE")
    }

    /// `__REALTIME_TIMESTAMP` (microseconds) converted to epoch milliseconds.
    pub fn realtime_ms(&self) -> Result<Option<i64>, Error> {
        Ok(self
            .number::<u64>("__REALTIME_TIMESTAMP")?
            .map(|us| i64::try_from(us / 1000).unwrap_or(i64::MAX)))
    }

    /// `_HOSTNAME`.
    pub fn hostname(&self) -> Option<Cow<'_, str>> {
        self.get_str("_HOSTNAME")
    }

    /// `SYSLOG_IDENTIFIER`.
    pub fn syslog_identifier(&self) -> Option<Cow<'_, str>> {
        self.get_str("SYSLOG_IDENTIFIER")
    }

    /// `_COMM`.
    pub fn comm(&self) -> Option<Cow<'_, str>> {
        self.get_str("_COMM")
    }

    /// `_SYSTEMD_UNIT`.
    pub fn systemd_unit(&self) -> Option<Cow<'_, str>> {
        self.get_str("_SYSTEMD_UNIT")
    }

    /// `_PID`.
    pub fn pid(&self) -> Result<Option<u32>, Error> {
        self.number("_PID")
    }

    /// `_UID`.
    pub fn uid(&self) -> Result<Option<u32>, Error> {
        self.number("_UID")
    }

    /// `PRIORITY` (syslog severity 0-7).
    pub fn priority(&self) -> Result<Option<u8>, Error> {
        match self.number::<u8>("PRIORITY")? {
            Some(p) if p > 7 => Err(Error::new(
                self.format,
                ErrorKind::InvalidNumber,
                format!("PRIORITY {p} is above 7"),
            )
            .at_u64(self.offset)),
            other => Ok(other),
        }
    }
}

/// Default per-field (and per-line) size limit of the readers: 64 MiB.
pub const DEFAULT_MAX_FIELD_SIZE: usize = 64 << 20;

/// A line reader over a [`BufRead`] that bounds line length, tracks the stream
/// offset and keeps lines aligned after an oversized one.
#[derive(Debug)]
struct Lines<R> {
    reader: R,
    offset: u64,
    buf: Vec<u8>,
    max: usize,
    format: Format,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R, max: usize, format: Format) -> Self {
        Lines {
            reader,
            offset: 0,
            buf: Vec::with_capacity(1024),
            max,
            format,
        }
    }

    /// Appends at most `limit` bytes up to and including `\n` to `buf`.
    fn chunk(&mut self, limit: u64) -> Result<usize, Error> {
        let n = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| Error::io(self.format, self.offset, e))?;
        self.offset += n as u64;
        Ok(n)
    }

    /// Reads the next line (with its `\n`, if any) into `buf`; `Ok(0)` at the
    /// end of the stream. A line longer than `max` is consumed entirely and
    /// reported as [`ErrorKind::LimitExceeded`] at its start.
    fn read_line(&mut self) -> Result<usize, Error> {
        self.buf.clear();
        let start = self.offset;
        let limit = u64::try_from(self.max)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let n = self.chunk(limit)?;
        if n as u64 == limit && self.buf.last() != Some(&b'\n') {
            loop {
                self.buf.clear();
                let m = self.chunk(limit)?;
                if m == 0 || self.buf.last() == Some(&b'\n') {
                    break;
                }
            }
            self.buf.clear();
            return Err(Error::new(
                self.format,
                ErrorKind::LimitExceeded,
                format!("line longer than {} bytes", self.max),
            )
            .at_u64(start));
        }
        Ok(n)
    }

    /// Fills `out` from the stream; a short stream is [`ErrorKind::Truncated`].
    fn read_exact(&mut self, out: &mut [u8], what: &'static str) -> Result<(), Error> {
        let at = self.offset;
        match self.reader.read_exact(out) {
            Ok(()) => {
                self.offset += out.len() as u64;
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                Err(Error::new(self.format, ErrorKind::Truncated, what).at_u64(at))
            }
            Err(e) => Err(Error::io(self.format, at, e)),
        }
    }
}

fn export_err(kind: ErrorKind, offset: u64, detail: impl Into<Cow<'static, str>>) -> Error {
    Error::new(Format::JournaldExport, kind, detail).at_u64(offset)
}

/// Whether an error leaves the stream unusable (a non-transient I/O error).
fn is_fatal(e: &Error) -> bool {
    e.kind() == ErrorKind::Io && !e.is_retryable()
}

/// Streams entries from `journalctl -o export` output.
///
/// ```
/// use ocsf_mappers::formats::journald::ExportReader;
///
/// let mut data = b"__REALTIME_TIMESTAMP=1700000000000000\n_PID=42\nMESSAGE\n".to_vec();
/// data.extend_from_slice(&5u64.to_le_bytes());
/// data.extend_from_slice(b"a\nb c\n\nMESSAGE=second\n");
/// let entries: Vec<_> = ExportReader::new(&data[..]).collect::<Result<_, _>>()?;
/// assert_eq!(entries.len(), 2);
/// assert_eq!(entries[0].message().as_deref(), Some("a\nb c"));
/// assert_eq!(entries[0].pid()?, Some(42));
/// assert_eq!(entries[1].message().as_deref(), Some("second"));
/// # Ok::<(), ocsf_mappers::Error>(())
/// ```
#[derive(Debug)]
pub struct ExportReader<R> {
    lines: Lines<R>,
    max_field_size: usize,
    resync: bool,
    done: bool,
}

impl<R: BufRead> ExportReader<R> {
    /// A reader with the default field size limit.
    pub fn new(reader: R) -> Self {
        ExportReader {
            lines: Lines::new(
                reader,
                DEFAULT_MAX_FIELD_SIZE.saturating_add(1024),
                Format::JournaldExport,
            ),
            max_field_size: DEFAULT_MAX_FIELD_SIZE,
            resync: false,
            done: false,
        }
    }

    /// Sets the largest field (binary value or text line) accepted, in bytes.
    #[must_use]
    pub fn with_max_field_size(mut self, max: usize) -> Self {
        self.max_field_size = max;
        self.lines.max = max.saturating_add(1024);
        self
    }

    /// The number of bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.lines.offset
    }

    /// Skips the rest of a broken entry (up to and including a blank line).
    fn skip_to_blank(&mut self) -> Result<(), Error> {
        loop {
            match self.lines.read_line() {
                Ok(0) => return Ok(()),
                Ok(_) if self.lines.buf == b"\n" => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::LimitExceeded => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn next_entry(&mut self) -> Result<Option<JournalEntry>, Error> {
        if self.resync {
            self.resync = false;
            self.skip_to_blank()?;
        }
        let mut entry = JournalEntry::with_origin(Format::JournaldExport, self.lines.offset);
        loop {
            let line_at = self.lines.offset;
            if self.lines.read_line()? == 0 {
                return Ok((!entry.is_empty()).then_some(entry));
            }
            let line = &mut self.lines.buf;
            let had_newline = line.last() == Some(&b'\n');
            if had_newline {
                line.pop();
            }
            if line.is_empty() {
                if entry.is_empty() {
                    entry.offset = self.lines.offset;
                    continue;
                }
                return Ok(Some(entry));
            }
            if let Some(eq) = memchr::memchr(b'=', line) {
                let name = std::str::from_utf8(&line[..eq])
                    .ok()
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| {
                        export_err(
                            ErrorKind::InvalidField,
                            line_at,
                            "empty or non-UTF-8 field name",
                        )
                    })?;
                let n = entry.push_bytes(name.as_bytes());
                let v = entry.push_bytes(&line[eq + 1..]);
                entry.push_span(n, v, Kind::Text);
                continue;
            }
            // Binary form: NAME\n <u64 LE length> <bytes> \n
            let Ok(name) = std::str::from_utf8(line) else {
                return Err(export_err(
                    ErrorKind::InvalidUtf8,
                    line_at,
                    "non-UTF-8 field name",
                ));
            };
            if !had_newline {
                return Err(export_err(
                    ErrorKind::Truncated,
                    self.lines.offset,
                    format!("stream ends after binary field name {name:?}"),
                ));
            }
            let n = entry.push_bytes(name.as_bytes());
            let len_at = self.lines.offset;
            let mut len_bytes = [0u8; 8];
            self.lines
                .read_exact(&mut len_bytes, "stream ends inside a binary field length")?;
            let len = u64::from_le_bytes(len_bytes);
            let len = usize::try_from(len)
                .ok()
                .filter(|l| *l <= self.max_field_size)
                .ok_or_else(|| {
                    export_err(
                        ErrorKind::LimitExceeded,
                        len_at,
                        format!(
                            "binary field of {len} bytes exceeds the {} byte limit",
                            self.max_field_size
                        ),
                    )
                })?;
            let start = entry.data.len();
            entry.data.resize(start + len, 0);
            self.lines.read_exact(
                &mut entry.data[start..],
                "stream ends inside a binary field",
            )?;
            entry.push_span(n, (start, start + len), Kind::Binary);
            let mut nl = [0u8; 1];
            let nl_at = self.lines.offset;
            self.lines
                .read_exact(&mut nl, "stream ends after a binary field")?;
            if nl[0] != b'\n' {
                return Err(export_err(
                    ErrorKind::InvalidField,
                    nl_at,
                    "binary field value not followed by a newline",
                ));
            }
        }
    }
}

impl<R: BufRead> Iterator for ExportReader<R> {
    type Item = Result<JournalEntry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_entry() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.resync = true;
                self.done = is_fatal(&e);
                Some(Err(e))
            }
        }
    }
}

/// Streams entries from `journalctl -o json` output (one object per line;
/// blank lines are skipped).
///
/// ```
/// use ocsf_mappers::formats::journald::JsonReader;
///
/// let data = concat!(
///     r#"{"__REALTIME_TIMESTAMP":"1700000000123456","_HOSTNAME":"web1","MESSAGE":[104,105,10],"#,
///     r#""SYSLOG_IDENTIFIER":"sshd","_PID":"812","PRIORITY":"6","_SYSTEMD_UNIT":null}"#,
///     "\n",
/// );
/// let entries: Vec<_> = JsonReader::new(data.as_bytes()).collect::<Result<_, _>>()?;
/// let e = &entries[0];
/// assert_eq!(e.realtime_ms()?, Some(1_700_000_000_123));
/// assert_eq!(e.hostname().as_deref(), Some("web1"));
/// assert_eq!(e.message().as_deref(), Some("hi\n"));
/// assert_eq!(e.priority()?, Some(6));
/// assert!(e.contains("_SYSTEMD_UNIT") && e.systemd_unit().is_none());
/// # Ok::<(), ocsf_mappers::Error>(())
/// ```
#[derive(Debug)]
pub struct JsonReader<R> {
    lines: Lines<R>,
    done: bool,
}

impl<R: BufRead> JsonReader<R> {
    /// A reader with the default line size limit.
    pub fn new(reader: R) -> Self {
        JsonReader {
            lines: Lines::new(reader, DEFAULT_MAX_FIELD_SIZE, Format::JournaldJson),
            done: false,
        }
    }

    /// Sets the longest line (one entry) accepted, in bytes.
    #[must_use]
    pub fn with_max_line(mut self, max: usize) -> Self {
        self.lines.max = max;
        self
    }

    /// The number of bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.lines.offset
    }

    fn next_entry(&mut self) -> Result<Option<JournalEntry>, Error> {
        loop {
            let line_at = self.lines.offset;
            if self.lines.read_line()? == 0 {
                return Ok(None);
            }
            let line = &self.lines.buf;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let mut entry = JournalEntry::with_origin(Format::JournaldJson, line_at);
            let mut de = serde_json::Deserializer::from_slice(line);
            let parsed = EntrySeed(&mut entry)
                .deserialize(&mut de)
                .and_then(|()| de.end());
            return match parsed {
                Ok(()) => Ok(Some(entry)),
                Err(e) => {
                    let col = e.column().min(line.len());
                    Err(
                        Error::new(Format::JournaldJson, ErrorKind::InvalidJson, e.to_string())
                            .at_u64(line_at + col.saturating_sub(1) as u64),
                    )
                }
            };
        }
    }
}

impl<R: BufRead> Iterator for JsonReader<R> {
    type Item = Result<JournalEntry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_entry().transpose();
        match &item {
            None => self.done = true,
            Some(Err(e)) => self.done = is_fatal(e),
            Some(Ok(_)) => {}
        }
        item
    }
}

struct EntrySeed<'e>(&'e mut JournalEntry);

impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of journal fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let entry = self.0;
        while let Some(name) = map.next_key_seed(NameSeed(&mut *entry))? {
            map.next_value_seed(ValueSeed {
                entry: &mut *entry,
                name,
            })?;
        }
        Ok(())
    }
}

struct NameSeed<'e>(&'e mut JournalEntry);

impl<'de> DeserializeSeed<'de> for NameSeed<'_> {
    type Value = (usize, usize);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for NameSeed<'_> {
    type Value = (usize, usize);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.is_empty() {
            return Err(E::custom("empty field name"));
        }
        Ok(self.0.push_bytes(v.as_bytes()))
    }
}

struct ValueSeed<'e> {
    entry: &'e mut JournalEntry,
    name: (usize, usize),
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl ValueSeed<'_> {
    fn text(self, v: &[u8]) {
        let span = self.entry.push_bytes(v);
        self.entry.push_span(self.name, span, Kind::Text);
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, null, or an array of bytes or strings")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.text(v.as_bytes());
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.text(v.to_string().as_bytes());
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.text(v.to_string().as_bytes());
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.text(v.to_string().as_bytes());
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.text(if v { b"true" } else { b"false" });
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        let at = self.entry.data.len();
        self.entry.push_span(self.name, (at, at), Kind::Null);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let start = self.entry.data.len();
        let mut mode = Mode::Empty;
        while seq
            .next_element_seed(ElemSeed {
                entry: &mut *self.entry,
                name: self.name,
                mode: &mut mode,
            })?
            .is_some()
        {}
        match mode {
            Mode::Empty | Mode::Bytes => {
                let end = self.entry.data.len();
                self.entry.push_span(self.name, (start, end), Kind::Binary);
            }
            Mode::Values => {}
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Empty,
    /// The array is one binary value (numbers).
    Bytes,
    /// The array holds several values (strings, byte arrays, nulls).
    Values,
}

struct ElemSeed<'e, 'm> {
    entry: &'e mut JournalEntry,
    name: (usize, usize),
    mode: &'m mut Mode,
}

impl ElemSeed<'_, '_> {
    fn want<E: de::Error>(&mut self, mode: Mode) -> Result<(), E> {
        if *self.mode != Mode::Empty && *self.mode != mode {
            return Err(E::custom("array mixes byte numbers with other values"));
        }
        *self.mode = mode;
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for ElemSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElemSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a byte (0-255), a string, null, or an array of bytes")
    }

    fn visit_u64<E: de::Error>(mut self, v: u64) -> Result<(), E> {
        self.want(Mode::Bytes)?;
        let byte = u8::try_from(v).map_err(|_| E::custom(format!("byte value {v} above 255")))?;
        self.entry.data.push(byte);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        let v = u64::try_from(v).map_err(|_| E::custom(format!("negative byte value {v}")))?;
        self.visit_u64(v)
    }

    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<(), E> {
        self.want(Mode::Values)?;
        let span = self.entry.push_bytes(v.as_bytes());
        self.entry.push_span(self.name, span, Kind::Text);
        Ok(())
    }

    fn visit_unit<E: de::Error>(mut self) -> Result<(), E> {
        self.want(Mode::Values)?;
        let at = self.entry.data.len();
        self.entry.push_span(self.name, (at, at), Kind::Null);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        self.want(Mode::Values)?;
        let start = self.entry.data.len();
        while let Some(b) = seq.next_element::<u8>()? {
            self.entry.data.push(b);
        }
        let end = self.entry.data.len();
        self.entry.push_span(self.name, (start, end), Kind::Binary);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn export_binary(name: &str, value: &[u8]) -> Vec<u8> {
        let mut v = format!("{name}\n").into_bytes();
        v.extend_from_slice(&(value.len() as u64).to_le_bytes());
        v.extend_from_slice(value);
        v.push(b'\n');
        v
    }

    fn sample_export() -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(b"__CURSOR=s=abc;i=1\n__REALTIME_TIMESTAMP=1700000000999999\n");
        d.extend_from_slice(b"_HOSTNAME=web1\nSYSLOG_IDENTIFIER=sshd\n_COMM=sshd\n_PID=812\n");
        d.extend_from_slice(b"_UID=0\n_SYSTEMD_UNIT=ssh.service\nPRIORITY=6\n");
        d.extend(export_binary("MESSAGE", b"line one\nline=two\x00\xff"));
        d.extend_from_slice(b"EMPTY=\n\n\n");
        d.extend_from_slice(b"MESSAGE=second\nTAG=a\nTAG=b\n");
        d
    }

    #[test]
    fn export_entries_text_and_binary() {
        let data = sample_export();
        let entries: Vec<_> = ExportReader::new(&data[..])
            .collect::<Result<_, _>>()
            .expect("reads");
        assert_eq!(entries.len(), 2);
        let e = &entries[0];
        assert_eq!(e.offset(), 0);
        assert_eq!(e.len(), 11);
        assert_eq!(e.realtime_ms().ok().flatten(), Some(1_700_000_000_999));
        assert_eq!(e.hostname().as_deref(), Some("web1"));
        assert_eq!(e.syslog_identifier().as_deref(), Some("sshd"));
        assert_eq!(e.comm().as_deref(), Some("sshd"));
        assert_eq!(e.pid().ok().flatten(), Some(812));
        assert_eq!(e.uid().ok().flatten(), Some(0));
        assert_eq!(e.systemd_unit().as_deref(), Some("ssh.service"));
        assert_eq!(e.priority().ok().flatten(), Some(6));
        assert_eq!(e.get("MESSAGE"), Some(&b"line one\nline=two\x00\xff"[..]));
        assert_eq!(
            e.message().as_deref(),
            Some("line one\nline=two\u{0}\u{fffd}")
        );
        let msg = e.fields().find(|f| f.name == "MESSAGE").expect("message");
        assert!(msg.binary);
        assert_eq!(e.get("EMPTY"), Some(&b""[..]));
        let e = &entries[1];
        assert_eq!(e.message().as_deref(), Some("second"));
        let tags: Vec<_> = e.get_all("TAG").collect();
        assert_eq!(tags, vec![&b"a"[..], &b"b"[..]]);
        assert_eq!(e.realtime_ms().ok().flatten(), None);
        assert!(e.offset() > 0);
    }

    /// A binary value may hold what looks like export syntax (an empty line,
    /// `KEY=value` lines): its length, not its content, ends it.
    #[test]
    fn export_binary_value_holding_blank_lines_stays_one_field() {
        let mut d = b"__CURSOR=s=0123;i=9;b=ab;m=1f;t=5;x=77\n".to_vec();
        d.extend_from_slice(
            b"__REALTIME_TIMESTAMP=1700000000123456\n__MONOTONIC_TIMESTAMP=98765\n",
        );
        d.extend(export_binary("MESSAGE", b"first\n\nFAKE=1\n"));
        d.extend_from_slice(b"_PID=5\n\n");
        let entries: Vec<_> = ExportReader::new(&d[..])
            .collect::<Result<_, _>>()
            .expect("reads");
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(e.message().as_deref(), Some("first\n\nFAKE=1\n"));
        assert!(!e.contains("FAKE"));
        assert_eq!(e.get("__MONOTONIC_TIMESTAMP"), Some(&b"98765"[..]));
        assert_eq!(
            e.get("__CURSOR"),
            Some(&b"s=0123;i=9;b=ab;m=1f;t=5;x=77"[..])
        );
        assert_eq!(e.realtime_ms().ok().flatten(), Some(1_700_000_000_123));
        assert_eq!(e.pid().ok().flatten(), Some(5));
    }

    #[test]
    fn export_without_trailing_blank_line_and_crlf_free_values() {
        let data = b"A=1\nB=2";
        let entries: Vec<_> = ExportReader::new(&data[..])
            .collect::<Result<_, _>>()
            .expect("reads");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].get("B"), Some(&b"2"[..]));
        assert_eq!(ExportReader::new(&b""[..]).count(), 0);
        assert_eq!(ExportReader::new(&b"\n\n"[..]).count(), 0);
    }

    #[test]
    fn export_errors_are_reported_and_reader_resyncs() {
        // A truncated binary length, then a good entry.
        let mut data = b"MESSAGE\n\x05\x00\x00".to_vec();
        let r: Vec<_> = ExportReader::new(&data[..]).collect();
        assert_eq!(r.len(), 1);
        let e = r[0].as_ref().expect_err("truncated");
        assert_eq!(e.kind(), ErrorKind::Truncated);
        assert_eq!(e.offset(), Some(8));
        assert_eq!(e.format(), Format::JournaldExport);

        data = b"=novalue\nX=1\n\nGOOD=1\n".to_vec();
        let r: Vec<_> = ExportReader::new(&data[..]).collect();
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[0].as_ref().map(|_| ()).map_err(Error::kind),
            Err(ErrorKind::InvalidField)
        );
        assert_eq!(
            r[1].as_ref().ok().and_then(|e| e.get("GOOD")),
            Some(&b"1"[..])
        );

        // Missing newline after a binary value.
        let mut data = b"M\n".to_vec();
        data.extend_from_slice(&1u64.to_le_bytes());
        data.extend_from_slice(b"xy\n\nOK=1\n");
        let r: Vec<_> = ExportReader::new(&data[..]).collect();
        assert_eq!(r.len(), 2);
        let e = r[0].as_ref().expect_err("no newline");
        assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidField, Some(11)));
        assert!(r[1].is_ok());

        // Oversized binary length.
        let mut data = b"M\n".to_vec();
        data.extend_from_slice(&u64::MAX.to_le_bytes());
        let r: Vec<_> = ExportReader::new(&data[..])
            .with_max_field_size(16)
            .collect();
        let e = r[0].as_ref().expect_err("too big");
        assert_eq!((e.kind(), e.offset()), (ErrorKind::LimitExceeded, Some(2)));

        // Name line at end of stream without newline.
        let r: Vec<_> = ExportReader::new(&b"A=1\nNAME"[..]).collect();
        assert_eq!(
            r[0].as_ref().map_err(Error::kind).err(),
            Some(ErrorKind::Truncated)
        );

        // Bad numbers are errors from the accessor, not silent Nones.
        let r: Vec<_> = ExportReader::new(&b"_PID=12x\nPRIORITY=9\n__REALTIME_TIMESTAMP=\n"[..])
            .collect::<Result<_, _>>()
            .expect("reads");
        assert_eq!(
            r[0].pid().map_err(|e| e.kind()),
            Err(ErrorKind::InvalidNumber)
        );
        assert_eq!(
            r[0].priority().map_err(|e| e.kind()),
            Err(ErrorKind::InvalidNumber)
        );
        assert!(r[0].realtime_ms().is_err());
    }

    #[test]
    fn json_value_shapes() {
        let data = concat!(
            r#"{"MESSAGE":"hello","_PID":"7","BIN":[0,255,65],"MULTI":["a","b"],"#,
            r#""MULTIBIN":[[104,105],"c",null],"GONE":null,"EMPTYARR":[],"N":5,"B":true}"#,
            "\n\n   \n",
            r#"{"MESSAGE":"two\u00e9\n"}"#,
        );
        let entries: Vec<_> = JsonReader::new(data.as_bytes())
            .collect::<Result<_, _>>()
            .expect("reads");
        assert_eq!(entries.len(), 2);
        let e = &entries[0];
        assert_eq!(e.message().as_deref(), Some("hello"));
        assert_eq!(e.pid().ok().flatten(), Some(7));
        assert_eq!(e.get("BIN"), Some(&[0u8, 255, 65][..]));
        assert_eq!(
            e.get_all("MULTI").collect::<Vec<_>>(),
            vec![&b"a"[..], &b"b"[..]]
        );
        let multibin: Vec<_> = e.fields().filter(|f| f.name == "MULTIBIN").collect();
        assert_eq!(multibin.len(), 3);
        assert_eq!(multibin[0].value, Some(&b"hi"[..]));
        assert!(multibin[0].binary);
        assert_eq!(multibin[1].value, Some(&b"c"[..]));
        assert_eq!(multibin[2].value, None);
        assert!(e.contains("GONE"));
        assert_eq!(e.get("GONE"), None);
        assert_eq!(e.get("EMPTYARR"), Some(&b""[..]));
        assert_eq!(e.get("N"), Some(&b"5"[..]));
        assert_eq!(e.get("B"), Some(&b"true"[..]));
        assert_eq!(entries[1].message().as_deref(), Some("two\u{e9}\n"));
        assert_eq!(
            entries[1].offset(),
            data.find(r#"{"MESSAGE":"two"#)
                .map(|p| p as u64)
                .unwrap_or(0)
        );
    }

    #[test]
    fn json_errors_are_reported_and_next_line_still_reads() {
        let data = concat!(
            "[1,2]\n",
            "{\"A\":[1,\"x\"]}\n",
            "{\"A\":[256]}\n",
            "{\"A\":{\"x\":1}}\n",
            "{\"A\":\"1\"} trailing\n",
            "{\"\":\"1\"}\n",
            "{\"A\":\"unterminated\n",
            "{\"OK\":\"1\"}\n",
        );
        let r: Vec<_> = JsonReader::new(data.as_bytes()).collect();
        assert_eq!(r.len(), 8);
        for (i, item) in r.iter().take(7).enumerate() {
            let e = item.as_ref().expect_err("bad line");
            assert_eq!(e.kind(), ErrorKind::InvalidJson, "line {i}: {e}");
            assert_eq!(e.format(), Format::JournaldJson);
        }
        assert_eq!(r[0].as_ref().err().and_then(Error::offset), Some(0));
        assert_eq!(
            r[2].as_ref().err().and_then(Error::offset).map(|o| o >= 20),
            Some(true)
        );
        assert_eq!(
            r[7].as_ref().ok().and_then(|e| e.get("OK")),
            Some(&b"1"[..])
        );
    }

    #[test]
    fn json_line_limit() {
        let data = format!("{{\"A\":\"{}\"}}\n{{\"B\":\"1\"}}\n", "x".repeat(100));
        let r: Vec<_> = JsonReader::new(data.as_bytes()).with_max_line(50).collect();
        assert_eq!(r.len(), 2);
        let e = r[0].as_ref().expect_err("too long");
        assert_eq!((e.kind(), e.offset()), (ErrorKind::LimitExceeded, Some(0)));
        assert_eq!(r[1].as_ref().ok().and_then(|e| e.get("B")), Some(&b"1"[..]));
    }

    #[test]
    fn export_oversized_text_line_is_one_error_and_stream_stays_aligned() {
        let long = "x".repeat(5000);
        // The long line's last chunk is a lone "\n": not a blank line.
        let data = format!("A=1\nLONG={long}\nB=2\n\nC=3\n");
        let r: Vec<_> = ExportReader::new(data.as_bytes())
            .with_max_field_size(100)
            .collect();
        assert_eq!(r.len(), 2, "{r:?}");
        let e = r[0].as_ref().expect_err("too long");
        assert_eq!((e.kind(), e.offset()), (ErrorKind::LimitExceeded, Some(4)));
        assert_eq!(r[1].as_ref().ok().and_then(|e| e.get("C")), Some(&b"3"[..]));
        let exact = format!("L={}\n\nC=3\n", "y".repeat(1123));
        let r: Vec<_> = ExportReader::new(exact.as_bytes())
            .with_max_field_size(100)
            .collect();
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r[0].is_err());
        assert_eq!(r[1].as_ref().ok().and_then(|e| e.get("C")), Some(&b"3"[..]));
    }

    #[test]
    fn fatal_io_errors_end_the_stream() {
        struct Denied;
        impl Read for Denied {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
            }
        }
        let r: Vec<_> = ExportReader::new(std::io::BufReader::new(Denied)).collect();
        assert_eq!(r.len(), 1);
        assert!(r[0].as_ref().is_err_and(|e| !e.is_retryable()));
        let r: Vec<_> = JsonReader::new(std::io::BufReader::new(Denied)).collect();
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn io_errors_are_io_kind() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::from(std::io::ErrorKind::TimedOut))
            }
        }
        let r = std::io::BufReader::new(Failing);
        let first = ExportReader::new(r).next();
        let e = first.and_then(Result::err).expect("io error");
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(e.is_retryable());
        let r = std::io::BufReader::new(Failing);
        let e = JsonReader::new(r)
            .next()
            .and_then(Result::err)
            .expect("io error");
        assert_eq!(e.kind(), ErrorKind::Io);
    }
}

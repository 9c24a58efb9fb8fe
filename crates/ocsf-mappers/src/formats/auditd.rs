//! Linux audit (`auditd`) records and event grouping.
//!
//! A raw record line looks like
//!
//! ```text
//! [node=HOST ]type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 success=no ... key="x"
//! ```
//!
//! [`parse`] reads one line into an [`AuditRecord`]:
//!
//! * the optional `node=` prefix, the record type, the timestamp (seconds and
//!   milliseconds) and the serial number from `msg=audit(SECS.MS:SERIAL):` (the
//!   kernel's `audit(...)` form without `msg=` is accepted too);
//! * `key=value` fields: unquoted, `"quoted"`, or hex-encoded. auditd writes a
//!   value that needs escaping as unquoted uppercase hex; for the fields that
//!   can be encoded this way (`proctitle`, `cmd`, `data`, `name`, `comm`, `exe`,
//!   `cwd`, `path`, `key`, `acct`, `grp`, AppArmor's `profile`, ... and the
//!   `aN` arguments of `EXECVE` records) an unquoted even-length uppercase hex
//!   value is decoded (lossily, as UTF-8; `proctitle`'s NUL argument
//!   separators become spaces), keeping the hex in [`AuditField::raw`];
//! * an unquoted `op=` value runs up to the next ` key=` token, since
//!   shadow-utils writes it with spaces (`op=changing password id=1001`);
//! * a single-quoted `msg='op=PAM:authentication acct="root" ... res=success'`
//!   is kept as a field and its inner `key=value`s are parsed into
//!   [`AuditRecord::msg_fields`];
//! * in the enriched log format a 0x1D (GS) byte separates the raw fields from
//!   the interpreted ones (`UID="root" ...`), which go to
//!   [`AuditRecord::interpreted`];
//! * words that are not `key=value` (the `avc:  denied  { read } for` of an AVC
//!   record) are kept in order in [`AuditRecord::words`].
//!
//! One audit event spans several records with the same `(node, timestamp,
//! serial)`; [`AuditGrouper`] assembles them.

use std::borrow::Cow;
use std::collections::VecDeque;

use crate::error::{Error, ErrorKind, Format};
use crate::formats::text::trim_eol;

mod journal;

pub(crate) use journal::journal_type;
pub use journal::parse_journal_message;

/// How a field's value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueEncoding {
    /// A bare value (`success=no`).
    Unquoted,
    /// A double-quoted value (`exe="/usr/sbin/sshd"`), quotes removed.
    Quoted,
    /// A single-quoted value (`msg='...'`), quotes removed.
    SingleQuoted,
    /// An unquoted hex value that was decoded.
    Hex,
}

/// One `key=value` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditField<'a> {
    /// The key.
    pub key: Cow<'a, str>,
    /// The value as written, without surrounding quotes (hex digits for
    /// [`ValueEncoding::Hex`]).
    pub raw: Cow<'a, str>,
    /// The value: `raw`, or the decoded text for hex values.
    pub value: Cow<'a, str>,
    /// How the value was written.
    pub encoding: ValueEncoding,
}

impl AuditField<'_> {
    /// Converts to a field that owns its text.
    pub fn into_owned(self) -> AuditField<'static> {
        AuditField {
            key: own(self.key),
            raw: own(self.raw),
            value: own(self.value),
            encoding: self.encoding,
        }
    }
}

fn own(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

/// One audit record (one line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord<'a> {
    /// The line as given (without its line terminator).
    pub raw: Cow<'a, str>,
    /// The `node=` prefix, when present.
    pub node: Option<Cow<'a, str>>,
    /// The record type, e.g. `SYSCALL`, `USER_AUTH`, `UNKNOWN[1334]` or `1400`.
    pub record_type: Cow<'a, str>,
    /// The event time in milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// The event serial number.
    pub serial: u64,
    /// The record's fields in order (raw section of enriched lines).
    pub fields: Vec<AuditField<'a>>,
    /// The fields inside a single-quoted `msg='...'` field.
    pub msg_fields: Vec<AuditField<'a>>,
    /// The interpreted fields after the 0x1D separator (enriched format).
    pub interpreted: Vec<AuditField<'a>>,
    /// Tokens that are not `key=value`, in order.
    pub words: Vec<Cow<'a, str>>,
}

impl<'a> AuditRecord<'a> {
    /// The field `key` from [`fields`](Self::fields), else from
    /// [`msg_fields`](Self::msg_fields).
    pub fn field(&self, key: &str) -> Option<&AuditField<'a>> {
        self.fields
            .iter()
            .find(|f| f.key == key)
            .or_else(|| self.msg_fields.iter().find(|f| f.key == key))
    }

    /// The (decoded) value of [`field`](Self::field)`(key)`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.field(key).map(|f| f.value.as_ref())
    }

    /// The value of interpreted field `key` (enriched format), e.g. `UID`.
    ///
    /// The interpreted fields normally follow the 0x1D separator; when a
    /// transport replaced it (by a space, say), they sit among the raw fields
    /// and are found there by their upper-case key (`UID="root"`), which raw
    /// fields never use.
    ///
    /// ```
    /// use ocsf_mappers::formats::auditd;
    ///
    /// let r = auditd::parse("type=LOGIN msg=audit(1.0:1): uid=0 auid=1000 UID=\"root\" AUID=\"alice\"")?;
    /// assert_eq!(r.interpreted("AUID"), Some("alice"));
    /// # Ok::<(), ocsf_mappers::Error>(())
    /// ```
    pub fn interpreted(&self, key: &str) -> Option<&str> {
        let upper = |f: &&AuditField<'_>| f.key.bytes().any(|c| c.is_ascii_uppercase());
        self.interpreted
            .iter()
            .find(|f| f.key == key)
            .or_else(|| self.fields.iter().filter(upper).find(|f| f.key == key))
            .map(|f| f.value.as_ref())
    }

    /// Whether this is an `EOE` (end of event) record.
    pub fn is_eoe(&self) -> bool {
        self.record_type == "EOE"
    }

    /// Converts to a record that owns its text, e.g. to keep it in an
    /// [`AuditGrouper`] after the line buffer is reused.
    pub fn into_owned(self) -> AuditRecord<'static> {
        let fields = |v: Vec<AuditField<'_>>| v.into_iter().map(AuditField::into_owned).collect();
        AuditRecord {
            raw: own(self.raw),
            node: self.node.map(own),
            record_type: own(self.record_type),
            time_ms: self.time_ms,
            serial: self.serial,
            fields: fields(self.fields),
            msg_fields: fields(self.msg_fields),
            interpreted: fields(self.interpreted),
            words: self.words.into_iter().map(own).collect(),
        }
    }
}

fn err(kind: ErrorKind, offset: usize, detail: impl Into<Cow<'static, str>>) -> Error {
    Error::new(Format::Auditd, kind, detail).at(offset)
}

/// Parses one raw audit line.
///
/// ```
/// use ocsf_mappers::formats::auditd;
///
/// let r = auditd::parse(concat!(
///     "node=web1 type=USER_AUTH msg=audit(1700000000.123:4242): pid=812 uid=0 ",
///     "msg='op=PAM:authentication acct=\"alice\" exe=\"/usr/sbin/sshd\" res=success'",
/// ))?;
/// assert_eq!(r.node.as_deref(), Some("web1"));
/// assert_eq!(r.record_type, "USER_AUTH");
/// assert_eq!((r.time_ms, r.serial), (1_700_000_000_123, 4242));
/// assert_eq!(r.get("pid"), Some("812"));
/// assert_eq!(r.get("acct"), Some("alice"));
/// assert_eq!(r.get("res"), Some("success"));
///
/// let r = auditd::parse("type=PROCTITLE msg=audit(1700000000.123:4243): proctitle=2F62696E2F6C73002D6C")?;
/// assert_eq!(r.get("proctitle"), Some("/bin/ls -l"));
/// # Ok::<(), ocsf_mappers::Error>(())
/// ```
pub fn parse(line: &str) -> Result<AuditRecord<'_>, Error> {
    let line = trim_eol(line);
    if line.trim().is_empty() {
        return Err(err(ErrorKind::Empty, 0, "empty audit line"));
    }
    let b = line.as_bytes();
    let main_end = memchr::memchr(0x1d, b).unwrap_or(b.len());
    let mut i = 0;
    let mut node = None;
    if let Some(rest) = line.strip_prefix("node=") {
        let end = rest.find(' ').unwrap_or(rest.len());
        node = Some(Cow::Borrowed(&rest[..end]));
        i = 5 + end;
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
    }
    if !line[i..].starts_with("type=") {
        return Err(err(ErrorKind::InvalidHeader, i, "expected `type=`"));
    }
    i += 5;
    let type_start = i;
    while i < main_end && b[i] != b' ' {
        i += 1;
    }
    if i == type_start {
        return Err(err(ErrorKind::InvalidHeader, i, "empty record type"));
    }
    let record_type = &line[type_start..i];
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    let rest = &line[i..];
    if rest.starts_with("msg=audit(") {
        i += 10;
    } else if rest.starts_with("audit(") {
        i += 6;
    } else {
        return Err(err(ErrorKind::InvalidHeader, i, "expected `msg=audit(`"));
    }
    let (time_ms, serial, after) = parse_stamp(b, i)?;
    let mut rec = AuditRecord {
        raw: Cow::Borrowed(line),
        node,
        record_type: Cow::Borrowed(record_type),
        time_ms,
        serial,
        fields: Vec::new(),
        msg_fields: Vec::new(),
        interpreted: Vec::new(),
        words: Vec::new(),
    };
    read_fields(&mut rec, line, after)?;
    Ok(rec)
}

/// Reads the fields of `rec` from `line[at..]`: the raw fields (and a
/// `msg='...'`'s), then the interpreted ones after a 0x1D separator.
fn read_fields<'a>(rec: &mut AuditRecord<'a>, line: &'a str, at: usize) -> Result<(), Error> {
    let b = line.as_bytes();
    let main_end = memchr::memchr(0x1d, b).unwrap_or(b.len());
    let record_kind = RecordKind::of(&rec.record_type);
    let main = &line[..main_end];
    let mut sink = Sink {
        fields: &mut rec.fields,
        words: &mut rec.words,
        nested: Some(&mut rec.msg_fields),
    };
    parse_fields(main, at, record_kind, true, &mut sink)?;
    if main_end < line.len() {
        let mut sink = Sink {
            fields: &mut rec.interpreted,
            words: &mut rec.words,
            nested: None,
        };
        parse_fields(
            line,
            main_end + 1,
            RecordKind::Interpreted,
            false,
            &mut sink,
        )?;
    }
    Ok(())
}

/// Parses `SECS.FRAC:SERIAL)` then an optional `:` at `b[at..]`.
fn parse_stamp(b: &[u8], at: usize) -> Result<(i64, u64, usize), Error> {
    let mut i = at;
    let mut secs: i64 = 0;
    while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
        if i - at >= 12 {
            return Err(err(
                ErrorKind::InvalidNumber,
                at,
                "audit timestamp seconds too large",
            ));
        }
        secs = secs * 10 + i64::from(c - b'0');
        i += 1;
    }
    if i == at {
        return Err(err(
            ErrorKind::InvalidTimestamp,
            at,
            "expected seconds in audit(...)",
        ));
    }
    let mut millis: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if i - start < 3 {
                millis = millis * 10 + i64::from(c - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return Err(err(
                ErrorKind::InvalidTimestamp,
                start,
                "expected digits after '.'",
            ));
        }
        for _ in n..3 {
            millis *= 10;
        }
    }
    if b.get(i) != Some(&b':') {
        return Err(err(
            ErrorKind::InvalidHeader,
            i,
            "expected ':' before the serial number",
        ));
    }
    i += 1;
    let serial_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let serial = std::str::from_utf8(&b[serial_start..i])
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| {
            err(
                ErrorKind::InvalidNumber,
                serial_start,
                "invalid audit serial number",
            )
        })?;
    if b.get(i) != Some(&b')') {
        return Err(err(
            ErrorKind::InvalidHeader,
            i,
            "expected ')' after the serial number",
        ));
    }
    i += 1;
    if b.get(i) == Some(&b':') {
        i += 1;
    }
    Ok((secs * 1000 + millis, serial, i))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RecordKind {
    Execve,
    Other,
    Interpreted,
}

impl RecordKind {
    fn of(record_type: &str) -> Self {
        if record_type == "EXECVE" {
            RecordKind::Execve
        } else {
            RecordKind::Other
        }
    }
}

/// Fields whose unquoted values auditd writes as hex: the escaped fields of
/// auparse's type table (`proctitle` and TTY `data` included).
const HEX_FIELDS: &[&str] = &[
    "proctitle",
    "cmd",
    "data",
    "name",
    "comm",
    "exe",
    "cwd",
    "path",
    "key",
    "acct",
    "ocomm",
    "watch",
    "dir",
    "file",
    "old-chardev",
    "new-chardev",
    "vm",
    "root_dir",
    "sw",
    "grp",
    "new_group",
    "old-disk",
    "new-disk",
    "old-fs",
    "new-fs",
    "old-net",
    "new-net",
    "device",
    "cgroup",
    "old-rng",
    "new-rng",
    "invalid_context",
    // AppArmor's fields (the kernel escapes a profile named with a space).
    "apparmor",
    "operation",
    "profile",
    "info",
    "denied_mask",
    "requested_mask",
];

fn hex_eligible(kind: RecordKind, key: &str) -> bool {
    match kind {
        RecordKind::Interpreted => false,
        RecordKind::Execve if is_execve_arg(key) => true,
        _ => HEX_FIELDS.contains(&key),
    }
}

/// `a0`, `a12`, `a3[0]`.
fn is_execve_arg(key: &str) -> bool {
    let Some(rest) = key.strip_prefix('a') else {
        return false;
    };
    let digits_end = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits_end == 0 {
        return false;
    }
    let tail = &rest[digits_end..];
    tail.is_empty()
        || tail
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
}

fn is_upper_hex(s: &str) -> bool {
    s.len() >= 2
        && s.len().is_multiple_of(2)
        && s.bytes()
            .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))
}

fn decode_hex(s: &str, nul_to_space: bool) -> String {
    // Callers check `is_upper_hex` first; anything else decodes to nothing.
    let mut bytes = hex::decode(s).unwrap_or_default();
    if nul_to_space {
        while bytes.last() == Some(&0) {
            bytes.pop();
        }
        for c in &mut bytes {
            if *c == 0 {
                *c = b' ';
            }
        }
    }
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

struct Sink<'s, 'a> {
    fields: &'s mut Vec<AuditField<'a>>,
    words: &'s mut Vec<Cow<'a, str>>,
    nested: Option<&'s mut Vec<AuditField<'a>>>,
}

/// Tokenizes `s[at..]` into fields and words. `s` is the whole (main part of
/// the) line so that error offsets are line offsets.
fn parse_fields<'a>(
    s: &'a str,
    at: usize,
    kind: RecordKind,
    allow_nested: bool,
    sink: &mut Sink<'_, 'a>,
) -> Result<(), Error> {
    let b = s.as_bytes();
    let mut i = at;
    loop {
        while b.get(i).is_some_and(|c| *c == b' ' || *c == b'\t') {
            i += 1;
        }
        if i >= b.len() {
            return Ok(());
        }
        let start = i;
        while i < b.len() && !matches!(b[i], b'=' | b' ' | b'\t') {
            i += 1;
        }
        if b.get(i) != Some(&b'=') || i == start {
            // Not key=value: a word (or a stray `=`).
            while i < b.len() && !matches!(b[i], b' ' | b'\t') {
                i += 1;
            }
            sink.words.push(Cow::Borrowed(&s[start..i]));
            continue;
        }
        let key = &s[start..i];
        i += 1;
        match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let close = memchr::memchr(q, &b[i + 1..])
                    .map(|p| i + 1 + p)
                    .ok_or_else(|| {
                        err(
                            ErrorKind::Truncated,
                            i,
                            format!("unterminated quoted value for `{key}`"),
                        )
                    })?;
                let inner = &s[i + 1..close];
                i = close + 1;
                let encoding = if q == b'"' {
                    ValueEncoding::Quoted
                } else {
                    ValueEncoding::SingleQuoted
                };
                if q == b'\''
                    && allow_nested
                    && key == "msg"
                    && let Some(nested) = sink.nested.as_deref_mut()
                {
                    let mut inner_sink = Sink {
                        fields: nested,
                        words: &mut *sink.words,
                        nested: None,
                    };
                    // Parse the inner text in place so offsets stay line offsets.
                    parse_fields(
                        &s[..close],
                        close - inner.len(),
                        kind,
                        false,
                        &mut inner_sink,
                    )?;
                }
                sink.fields.push(AuditField {
                    key: Cow::Borrowed(key),
                    raw: Cow::Borrowed(inner),
                    value: Cow::Borrowed(inner),
                    encoding,
                });
            }
            _ => {
                let v_start = i;
                while i < b.len() && !matches!(b[i], b' ' | b'\t') {
                    i += 1;
                }
                if key == "op" && kind != RecordKind::Interpreted {
                    i = extend_spaced_value(b, i);
                }
                let raw = &s[v_start..i];
                let (value, encoding) = if hex_eligible(kind, key) && is_upper_hex(raw) {
                    (
                        Cow::Owned(decode_hex(raw, key == "proctitle")),
                        ValueEncoding::Hex,
                    )
                } else {
                    (Cow::Borrowed(raw), ValueEncoding::Unquoted)
                };
                sink.fields.push(AuditField {
                    key: Cow::Borrowed(key),
                    raw: Cow::Borrowed(raw),
                    value,
                    encoding,
                });
            }
        }
    }
}

/// shadow-utils and other user-space writers log an unquoted `op=` whose
/// value has spaces (`op=changing password id=1001 ...`): the value runs up to
/// the next ` key=` token (or the end). `end` is where its first word ends.
fn extend_spaced_value(b: &[u8], mut end: usize) -> usize {
    loop {
        let mut j = end;
        while b.get(j).is_some_and(|c| *c == b' ' || *c == b'\t') {
            j += 1;
        }
        if j >= b.len() {
            return end;
        }
        let word_start = j;
        while j < b.len() && !matches!(b[j], b' ' | b'\t' | b'=') {
            j += 1;
        }
        if b.get(j) == Some(&b'=') && j > word_start {
            // The next token is `key=...`: the value ends before it.
            return end;
        }
        while j < b.len() && !matches!(b[j], b' ' | b'\t') {
            j += 1;
        }
        end = j;
    }
}

/// Limits for [`AuditGrouper`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrouperConfig {
    /// How many events may be open (awaiting more records) at once; when a
    /// record of a new event arrives with the window full, the oldest open event
    /// is emitted first. At least 1.
    pub max_open_events: usize,
    /// How many records one event may collect before it is emitted. At least 1.
    pub max_records_per_event: usize,
}

impl Default for GrouperConfig {
    fn default() -> Self {
        GrouperConfig {
            max_open_events: 64,
            max_records_per_event: 256,
        }
    }
}

/// Why an [`AuditEvent`] was emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Completion {
    /// Its `EOE` record arrived (the event is complete).
    EndOfEvent,
    /// The window of open events was full when a new event started; the event
    /// may be missing records that come later (they start a new group).
    Evicted,
    /// It reached `max_records_per_event`; later records start a new group.
    RecordLimit,
    /// [`AuditGrouper::flush`] was called.
    Flushed,
}

/// The records of one audit event: same node, timestamp and serial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent<'a> {
    /// The node of the records.
    pub node: Option<Cow<'a, str>>,
    /// The event time in milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// The event serial number.
    pub serial: u64,
    /// The records in arrival order (including the `EOE` record, if any).
    pub records: Vec<AuditRecord<'a>>,
    /// Why the event was emitted.
    pub completion: Completion,
}

impl<'a> AuditEvent<'a> {
    fn start(record: AuditRecord<'a>) -> Self {
        AuditEvent {
            node: record.node.clone(),
            time_ms: record.time_ms,
            serial: record.serial,
            records: vec![record],
            completion: Completion::Flushed,
        }
    }

    fn matches(&self, record: &AuditRecord<'_>) -> bool {
        self.serial == record.serial && self.time_ms == record.time_ms && self.node == record.node
    }

    /// The first record of type `record_type`.
    pub fn record(&self, record_type: &str) -> Option<&AuditRecord<'a>> {
        self.records.iter().find(|r| r.record_type == record_type)
    }
}

/// Groups records into events by `(node, timestamp, serial)`.
///
/// An event is emitted when its `EOE` record arrives, when a record of a new
/// event arrives while `max_open_events` are already open (the oldest is
/// emitted), or when it reaches `max_records_per_event`. [`flush`](Self::flush)
/// emits whatever is still open, oldest first. No record is ever dropped: a
/// record that arrives after its event was emitted starts a new (partial) group,
/// and every event says why it was emitted.
///
/// Single-record events (most user-space types such as `USER_LOGIN`) have no
/// `EOE`; they are emitted when the window fills or on `flush`.
///
/// ```
/// use ocsf_mappers::formats::auditd::{self, AuditGrouper, Completion, GrouperConfig};
///
/// let lines = [
///     "type=SYSCALL msg=audit(1700000000.100:7): syscall=59 success=yes",
///     "type=EXECVE msg=audit(1700000000.100:7): argc=2 a0=\"ls\" a1=2F746D70",
///     "type=EOE msg=audit(1700000000.100:7): ",
///     "type=USER_LOGIN msg=audit(1700000001.000:8): pid=1 res=success",
/// ];
/// let mut g = AuditGrouper::new(GrouperConfig::default());
/// let mut events = Vec::new();
/// for line in lines {
///     events.extend(g.push(auditd::parse(line)?));
/// }
/// events.extend(g.flush());
/// assert_eq!(events.len(), 2);
/// assert_eq!(events[0].records.len(), 3);
/// assert_eq!(events[0].completion, Completion::EndOfEvent);
/// assert_eq!(events[0].record("EXECVE").and_then(|r| r.get("a1")), Some("/tmp"));
/// assert_eq!(events[1].completion, Completion::Flushed);
/// # Ok::<(), ocsf_mappers::Error>(())
/// ```
#[derive(Debug)]
pub struct AuditGrouper<'a> {
    config: GrouperConfig,
    open: VecDeque<AuditEvent<'a>>,
}

impl<'a> AuditGrouper<'a> {
    /// A grouper with the given limits (each clamped to at least 1).
    pub fn new(config: GrouperConfig) -> Self {
        let config = GrouperConfig {
            max_open_events: config.max_open_events.max(1),
            max_records_per_event: config.max_records_per_event.max(1),
        };
        AuditGrouper {
            config,
            open: VecDeque::new(),
        }
    }

    /// The number of events currently open.
    pub fn open_events(&self) -> usize {
        self.open.len()
    }

    /// Adds a record; returns the events this completes or pushes out, oldest
    /// first (usually none).
    pub fn push(&mut self, record: AuditRecord<'a>) -> Vec<AuditEvent<'a>> {
        let mut out = Vec::new();
        let is_eoe = record.is_eoe();
        let pos = self.open.iter().rposition(|e| e.matches(&record));
        let pos = match pos {
            Some(p) => {
                if let Some(ev) = self.open.get_mut(p) {
                    ev.records.push(record);
                }
                p
            }
            None => {
                if !is_eoe {
                    while self.open.len() >= self.config.max_open_events {
                        match self.open.pop_front() {
                            Some(mut ev) => {
                                ev.completion = Completion::Evicted;
                                out.push(ev);
                            }
                            None => break,
                        }
                    }
                }
                self.open.push_back(AuditEvent::start(record));
                self.open.len() - 1
            }
        };
        let done = self.open.get(pos).and_then(|ev| {
            if is_eoe {
                Some(Completion::EndOfEvent)
            } else if ev.records.len() >= self.config.max_records_per_event {
                Some(Completion::RecordLimit)
            } else {
                None
            }
        });
        if let Some(completion) = done
            && let Some(mut ev) = self.open.remove(pos)
        {
            ev.completion = completion;
            out.push(ev);
        }
        out
    }

    /// Emits every open event, oldest first, marked [`Completion::Flushed`].
    pub fn flush(&mut self) -> Vec<AuditEvent<'a>> {
        self.open
            .drain(..)
            .map(|mut ev| {
                ev.completion = Completion::Flushed;
                ev
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: &AuditRecord<'_>, key: &str) -> Option<ValueEncoding> {
        r.field(key).map(|f| f.encoding)
    }

    #[test]
    fn syscall_record_with_fields() {
        let line = "type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 success=no exit=-13 a0=7fffd19c5592 a1=0 ppid=2686 pid=3538 auid=500 comm=\"cat\" exe=\"/bin/cat\" subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 key=\"sshd_config\"\n";
        let r = parse(line).expect("parses");
        assert_eq!(r.node, None);
        assert_eq!(r.record_type, "SYSCALL");
        assert_eq!(r.time_ms, 1_364_481_363_243);
        assert_eq!(r.serial, 24287);
        assert_eq!(r.get("arch"), Some("c000003e"));
        assert_eq!(r.get("success"), Some("no"));
        assert_eq!(r.get("exit"), Some("-13"));
        assert_eq!(r.get("a1"), Some("0"));
        assert_eq!(r.get("comm"), Some("cat"));
        assert_eq!(enc(&r, "comm"), Some(ValueEncoding::Quoted));
        assert_eq!(r.get("key"), Some("sshd_config"));
        assert_eq!(
            r.get("subj"),
            Some("unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023")
        );
        assert_eq!(r.fields.len(), 13);
        assert!(r.words.is_empty());
        assert!(!r.raw.ends_with('\n'));
    }

    #[test]
    fn node_prefix_and_kernel_form() {
        let r = parse("node=db-2.example type=CWD msg=audit(1700000000.5:1): cwd=\"/root\"")
            .expect("parses");
        assert_eq!(r.node.as_deref(), Some("db-2.example"));
        assert_eq!(r.time_ms, 1_700_000_000_500);
        assert_eq!(r.get("cwd"), Some("/root"));
        let r = parse(
            "type=1400 audit(1700000000.001:9): avc:  denied  { read } for  pid=5 comm=\"x\"",
        )
        .expect("parses");
        assert_eq!(r.record_type, "1400");
        assert_eq!(r.time_ms, 1_700_000_000_001);
        assert_eq!(r.words, vec!["avc:", "denied", "{", "read", "}", "for"]);
        assert_eq!(r.get("pid"), Some("5"));
    }

    #[test]
    fn hex_values_decode_only_where_auditd_encodes() {
        let r = parse(
            "type=PROCTITLE msg=audit(1.000:1): proctitle=2F7573722F62696E2F7375646F0069640000",
        )
        .expect("parses");
        let f = r.field("proctitle").expect("field");
        assert_eq!(f.value, "/usr/bin/sudo id");
        assert_eq!(f.raw, "2F7573722F62696E2F7375646F0069640000");
        assert_eq!(f.encoding, ValueEncoding::Hex);
        let r = parse("type=PATH msg=audit(1.000:1): item=0 name=2F746D702F6120622E747874 inode=12 mode=0100644")
            .expect("parses");
        assert_eq!(r.get("name"), Some("/tmp/a b.txt"));
        // Not eligible keys, lowercase hex, odd length and quoted values stay.
        assert_eq!(r.get("mode"), Some("0100644"));
        let r = parse("type=PATH msg=audit(1.000:1): name=(null) cwd=\"2F\" cmd=abcd data=ABC")
            .expect("parses");
        assert_eq!(r.get("name"), Some("(null)"));
        assert_eq!(r.get("cwd"), Some("2F"));
        assert_eq!(r.get("cmd"), Some("abcd"));
        assert_eq!(r.get("data"), Some("ABC"));
        // EXECVE arguments are hex-eligible only in EXECVE records.
        let r = parse(
            "type=EXECVE msg=audit(1.000:1): argc=3 a0=\"echo\" a1=68692074686572 a2[0]=4142",
        )
        .expect("parses");
        assert_eq!(r.get("a1"), Some("hi ther"));
        assert_eq!(r.get("a2[0]"), Some("AB"));
        assert_eq!(r.get("argc"), Some("3"));
        let r = parse("type=SYSCALL msg=audit(1.000:1): a0=10 a1=AB").expect("parses");
        assert_eq!((r.get("a0"), r.get("a1")), (Some("10"), Some("AB")));
        // Invalid UTF-8 decodes lossily; the raw hex is kept.
        let r = parse("type=PATH msg=audit(1.000:1): name=FF41").expect("parses");
        assert_eq!(r.get("name"), Some("\u{fffd}A"));
        assert_eq!(r.field("name").map(|f| f.raw.as_ref()), Some("FF41"));
    }

    /// Every field auparse's type table reads as escaped is decoded when
    /// written as unquoted hex: shadow-utils' group names (`grp`,
    /// `new_group`), AppArmor's `profile` (a profile named "MongoDB
    /// Compass"), the virtualization and device fields, and the rest.
    #[test]
    fn hex_values_of_every_escaped_field_decode() {
        let r = parse(concat!(
            "type=USER_MGMT msg=audit(1.000:1): pid=1 uid=0 auid=0 ses=1 ",
            "msg='op=add-user-to-group grp=6D7920677270 acct=\"bob\" res=success'"
        ))
        .expect("parses");
        assert_eq!(r.get("grp"), Some("my grp"));
        assert_eq!(enc(&r, "grp"), Some(ValueEncoding::Hex));
        let r = parse(concat!(
            "type=AVC msg=audit(1.000:1): apparmor=\"DENIED\" operation=\"open\" ",
            "profile=4D6F6E676F444220436F6D70617373 name=\"/etc/shadow\" pid=1"
        ))
        .expect("parses");
        assert_eq!(r.get("profile"), Some("MongoDB Compass"));
        for key in [
            "new_group",
            "old-disk",
            "new-disk",
            "old-fs",
            "new-fs",
            "old-net",
            "new-net",
            "device",
            "cgroup",
            "apparmor",
            "operation",
            "denied_mask",
            "info",
            "requested_mask",
            "old-rng",
            "new-rng",
            "invalid_context",
        ] {
            let line = format!("type=VIRT_RESOURCE msg=audit(1.000:1): {key}=6120622063");
            let r = parse(&line).expect("parses");
            assert_eq!(r.get(key), Some("a b c"), "{key}");
            assert_eq!(enc(&r, key), Some(ValueEncoding::Hex), "{key}");
        }
    }

    #[test]
    fn nested_msg_fields() {
        let line = "type=USER_AUTH msg=audit(1700000000.000:77): pid=1234 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication grantors=? acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=203.0.113.9 addr=203.0.113.9 terminal=ssh res=failed'";
        let r = parse(line).expect("parses");
        let msg = r.field("msg").expect("msg field");
        assert_eq!(msg.encoding, ValueEncoding::SingleQuoted);
        assert!(msg.value.starts_with("op=PAM:authentication"));
        let inner: Vec<_> = r
            .msg_fields
            .iter()
            .map(|f| (f.key.as_ref(), f.value.as_ref()))
            .collect();
        assert_eq!(
            inner,
            vec![
                ("op", "PAM:authentication"),
                ("grantors", "?"),
                ("acct", "root"),
                ("exe", "/usr/sbin/sshd"),
                ("hostname", "203.0.113.9"),
                ("addr", "203.0.113.9"),
                ("terminal", "ssh"),
                ("res", "failed"),
            ]
        );
        assert_eq!(r.get("res"), Some("failed"));
        assert_eq!(r.get("pid"), Some("1234"));
        // Hex inside the nested message.
        let r = parse("type=USER_LOGIN msg=audit(1.000:1): msg='acct=616C696365 res=success'")
            .expect("parses");
        assert_eq!(r.get("acct"), Some("alice"));
    }

    #[test]
    fn enriched_format_keeps_raw_and_interpreted() {
        let line = "type=SYSCALL msg=audit(1700000000.000:5): arch=c000003e syscall=257 uid=0 auid=1000 key=(null)\u{1d}ARCH=x86_64 SYSCALL=openat UID=\"root\" AUID=\"alice\"";
        let r = parse(line).expect("parses");
        assert_eq!(r.get("uid"), Some("0"));
        assert_eq!(r.get("key"), Some("(null)"));
        assert_eq!(r.fields.len(), 5);
        assert_eq!(r.interpreted("UID"), Some("root"));
        assert_eq!(r.interpreted("AUID"), Some("alice"));
        assert_eq!(r.interpreted("SYSCALL"), Some("openat"));
        assert_eq!(r.interpreted.len(), 4);
        assert_eq!(r.get("UID"), None);
    }

    #[test]
    fn errors_name_the_problem() {
        let cases: &[(&str, ErrorKind, u64)] = &[
            ("", ErrorKind::Empty, 0),
            ("hello", ErrorKind::InvalidHeader, 0),
            ("node=x hello", ErrorKind::InvalidHeader, 7),
            ("type= msg=audit(1.0:1):", ErrorKind::InvalidHeader, 5),
            ("type=X foo", ErrorKind::InvalidHeader, 7),
            ("type=X msg=audit(abc:1):", ErrorKind::InvalidTimestamp, 17),
            ("type=X msg=audit(1.:1):", ErrorKind::InvalidTimestamp, 19),
            ("type=X msg=audit(1.5):", ErrorKind::InvalidHeader, 20),
            ("type=X msg=audit(1.5:):", ErrorKind::InvalidNumber, 21),
            (
                "type=X msg=audit(1.5:99999999999999999999999):",
                ErrorKind::InvalidNumber,
                21,
            ),
            ("type=X msg=audit(1.5:3 a=b", ErrorKind::InvalidHeader, 22),
            (
                "type=X msg=audit(1234567890123.5:3):",
                ErrorKind::InvalidNumber,
                17,
            ),
            (
                "type=X msg=audit(1.5:3): comm=\"abc",
                ErrorKind::Truncated,
                30,
            ),
            (
                "type=X msg=audit(1.5:3): msg='op=x",
                ErrorKind::Truncated,
                29,
            ),
            (
                "type=X msg=audit(1.5:3): msg='a=\"b'",
                ErrorKind::Truncated,
                32,
            ),
        ];
        for (line, kind, off) in cases {
            let e = parse(line).expect_err(line);
            assert_eq!(e.kind(), *kind, "{line:?}: {e}");
            assert_eq!(e.offset(), Some(*off), "{line:?}: {e}");
            assert_eq!(e.format(), Format::Auditd);
        }
    }

    fn rec(line: &str) -> AuditRecord<'static> {
        parse(line).map(AuditRecord::into_owned).expect("parses")
    }

    fn line(ty: &str, serial: u64) -> String {
        format!("type={ty} msg=audit(1700000000.000:{serial}): x=1")
    }

    #[test]
    fn grouper_emits_on_eoe_and_flush() {
        let mut g = AuditGrouper::new(GrouperConfig::default());
        assert!(g.push(rec(&line("SYSCALL", 1))).is_empty());
        assert!(g.push(rec(&line("USER_LOGIN", 2))).is_empty());
        assert!(g.push(rec(&line("PATH", 1))).is_empty());
        assert_eq!(g.open_events(), 2);
        let out = g.push(rec(&line("EOE", 1)));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].serial, 1);
        assert_eq!(out[0].completion, Completion::EndOfEvent);
        let types: Vec<_> = out[0]
            .records
            .iter()
            .map(|r| r.record_type.as_ref())
            .collect();
        assert_eq!(types, vec!["SYSCALL", "PATH", "EOE"]);
        // A stray EOE is emitted on its own rather than dropped.
        let out = g.push(rec(&line("EOE", 3)));
        assert_eq!((out.len(), out[0].records.len()), (1, 1));
        let rest = g.flush();
        assert_eq!(rest.len(), 1);
        assert_eq!(
            (rest[0].serial, rest[0].completion),
            (2, Completion::Flushed)
        );
        assert_eq!(g.open_events(), 0);
        assert!(g.flush().is_empty());
    }

    #[test]
    fn grouper_keys_on_node_and_time_too() {
        let mut g = AuditGrouper::new(GrouperConfig::default());
        g.push(rec("node=a type=SYSCALL msg=audit(1.000:5): x=1"));
        g.push(rec("node=b type=SYSCALL msg=audit(1.000:5): x=1"));
        g.push(rec("node=a type=SYSCALL msg=audit(2.000:5): x=1"));
        assert_eq!(g.open_events(), 3);
        let out = g.push(rec("node=b type=EOE msg=audit(1.000:5): "));
        assert_eq!(out[0].node.as_deref(), Some("b"));
        assert_eq!(out[0].records.len(), 2);
    }

    #[test]
    fn grouper_window_overflow_emits_oldest_first() {
        let cfg = GrouperConfig {
            max_open_events: 2,
            max_records_per_event: 3,
        };
        let mut g = AuditGrouper::new(cfg);
        g.push(rec(&line("SYSCALL", 1)));
        g.push(rec(&line("SYSCALL", 2)));
        let out = g.push(rec(&line("SYSCALL", 3)));
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].serial, out[0].completion), (1, Completion::Evicted));
        // A late record for the evicted event starts a new partial group.
        let out = g.push(rec(&line("PATH", 1)));
        assert_eq!((out.len(), out[0].serial), (1, 2));
        // Record limit.
        g.push(rec(&line("PATH", 3)));
        let out = g.push(rec(&line("PATH", 3)));
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].serial, out[0].completion),
            (3, Completion::RecordLimit)
        );
        assert_eq!(out[0].records.len(), 3);
        let rest = g.flush();
        assert_eq!(rest.len(), 1);
        assert_eq!(
            (rest[0].serial, rest[0].records[0].record_type.as_ref()),
            (1, "PATH")
        );
        // Total records in == total records out.
    }

    #[test]
    fn grouper_never_loses_records() {
        let cfg = GrouperConfig {
            max_open_events: 3,
            max_records_per_event: 4,
        };
        let mut g = AuditGrouper::new(cfg);
        let mut emitted = 0;
        let mut pushed = 0;
        for i in 0..500u64 {
            let serial = (i * 7) % 11;
            let ty = if i % 13 == 0 { "EOE" } else { "PATH" };
            emitted += g
                .push(rec(&line(ty, serial)))
                .iter()
                .map(|e| e.records.len())
                .sum::<usize>();
            pushed += 1;
            assert!(g.open_events() <= 3);
        }
        emitted += g.flush().iter().map(|e| e.records.len()).sum::<usize>();
        assert_eq!(emitted, pushed);
    }
}

//! Syslog line parsing: RFC 3164, RFC 5424 and RFC 3339-prefixed lines.
//!
//! [`parse`] recognises three header shapes, each with an optional `<PRI>`:
//!
//! * **RFC 5424** — `<PRI>VERSION TIMESTAMP HOST APP PROCID MSGID SD [MSG]`, with
//!   `-` nil values, structured data with `\"` `\\` `\]` escapes and an optional
//!   UTF-8 BOM before the message. A `<PRI>` is required for this shape.
//! * **RFC 3339 prefix** — rsyslog's high-precision file format,
//!   `2024-01-02T03:04:05.123456+01:00 host prog[pid]: msg`.
//! * **RFC 3164** — `Mmm dd hh:mm:ss host prog[pid]: msg`. These timestamps have
//!   no year and no zone: the [`SyslogContext`] supplies the sender's UTC offset
//!   and a reference clock, and the year is inferred so that the timestamp is
//!   never more than [`SyslogContext::max_future_ms`] (one day by default) after
//!   the reference — so a `Dec 10` line read on Dec 4 lands in the previous year,
//!   a `Jan 1` line read on Dec 31 in the next year only when it is at most a day
//!   ahead, and the result is otherwise at most one year before the reference.
//!   The year is chosen by calendar position as if every year had a `Feb 29`;
//!   a `Feb 29` line whose inferred year is not a leap year is refused with
//!   [`ErrorKind::InvalidTimestamp`] (never moved to another day or year).
//!   Network devices (Cisco IOS and ASA among them) write a year after the
//!   day, `Mmm dd yyyy hh:mm:ss`: that year is used as written
//!   ([`TimeSource::Explicit`]), the zone is still the context's, and a day
//!   the month does not have in that year (`Feb 29 2023`) is refused the same
//!   way. Four digits after the day are a year only when a space and a valid
//!   time follow. In either form the time may end with `:` instead of a space
//!   (`Mar 01 2024 12:00:00: %ASA-6-302013: ...`); no hostname follows such a
//!   time. Cisco IOS may also write a sequence number before the month
//!   (`<189>000123: Mar  1 ...`; not kept), a clock-status marker `*` or `.`
//!   right before the month (the time is read as usual), and a common zone
//!   abbreviation between the time and its colon
//!   (`00:01:23.456 UTC: %SYS-...`): `UTC`, `GMT`, `UCT` and `ZULU` are read
//!   at offset 0, any other name (`CET`) at the context's offset, since such
//!   abbreviations are ambiguous. After the sequence number IOS may write an
//!   origin id (`<189>123: router1: Mar  1 ...`), which becomes the hostname.
//!   A Cisco line with no wall-clock time (`no service timestamps`, or an
//!   uptime such as `1d02h:` or `00:01:23:`) is read when its
//!   `%FACILITY-SEVERITY-MNEMONIC:` tag follows (`<189>123: %SYS-5-...`,
//!   `<189>45: 1d02h: %SYS-5-...`): the time is the context's reference clock
//!   ([`TimeSource::Reference`], no UTC offset) and the uptime is not kept.
//!   Two numbers may come first (the message counter, then the sequence
//!   number: `<187>56: 000052: *Mar  1 ...`), the origin id between them.
//!   Cisco NX-OS writes its host and a year-first time
//!   (`<190>sw01: 2017 Jul 28 10:32:11 UTC: %ETHPORT-5-IF_UP: ...`,
//!   `<189>: 2023 Jan 10 ...`): the year is used as written, the zone name
//!   read by the IOS rule, and a name that rule does not know is refused.
//!   The Cisco rules are in `syslog/cisco.rs` and `syslog/nxos.rs`.
//!   In the file a syslog server writes, its own header (RFC 3164, or the
//!   RFC 3339 prefix) comes first and the device's message (without its
//!   `<PRI>`) follows where a program tag would be (`Mar  1 18:46:12 10.1.1.1 56: 000052: *Mar  1 18:46:11.351
//!   UTC: %LINK-3-UPDOWN: ...`, `... 172.22.22.45 : 2005 Sep 04 ...`,
//!   `... 10.1.1.1 *Mar  1 ...`). When that text is read by the rules above
//!   and ends in a Cisco tag after `: `, the tag is `app` and the text after
//!   it the message; the time, offset, PRI and hostname stay the server
//!   header's (the device's time is never used; its origin id or NX-OS host
//!   only when the server wrote no hostname). Any other text there (`host
//!   123: hello`, `sshd[1]: ...`) parses as before (`syslog/relayed.rs`).
//!   When `app` is a Cisco tag (any of the forms above, or one right after
//!   the host as ASA writes it) and the line has no `<PRI>`, the tag's
//!   severity digit is the record's [`severity`](SyslogRecord::severity) (a
//!   written PRI wins; no facility is made up). An NX-OS
//!   `%FACILITY-SEVERITY-SYSTEM_MSG:` message relays a line of one of the
//!   switch's Linux programs and ends with its name, ` - sshd[14213]` or
//!   ` - sudo`: that program is `app` (and its pid `pid`), the text before
//!   ` - ` the message, and the tag the `msgid`. Any other ending, or another
//!   mnemonic, leaves the tag as `app` (`syslog/nxos.rs`).
//!
//! For the 3164 and 3339 shapes the hostname is optional (a token that is itself
//! a tag such as `sshd[1]:` is not taken as a hostname unless it is an IPv6
//! address, and an empty hostname field is accepted) and the tag may be
//! `prog:`, `prog[pid]:`, `prog[pid]` or `prog(sub)[pid]:`. A line whose tag is
//! not recognisable still parses: `app` is then `None` and the message is
//! everything after the hostname. A hostname may be followed by ` : ` before
//! the tag, as a Cisco ASA device id is (`fw01 : %ASA-6-302013: ...`).
//!
//! Messages have rsyslog's control-character escapes (`#011` tab, `#012`
//! newline, ...) decoded; [`SyslogRecord::message_raw`] keeps the text as written.
//!
//! [`Multiline`] joins continuation lines (sudo's `(command continued)`) to the
//! record they continue.

use std::borrow::Cow;

use crate::error::{Error, ErrorKind, Format};
use crate::formats::syslog_year::{Inferred, in_written_year, infer_year, time_of_day_ms};
use crate::formats::text::{decode_octal_escapes, trim_eol};
use crate::formats::time::{
    days_in_month, digits, month_from_abbrev, parse_hms, parse_rfc3339_prefix,
};
use crate::util::TrimWs;

mod cisco;
mod nxos;
mod relayed;

/// The context of the Cisco, NX-OS and relayed forms' tests: 2024-03-02T00:00:00Z, at UTC+01:00
/// (an offset that a line without a wall-clock time must not report).
#[cfg(test)]
fn cisco_test_context() -> SyslogContext {
    SyslogContext::new(crate::formats::time::civil_to_epoch_ms(
        2024, 3, 2, 0, 0, 0, 0,
    ))
    .with_utc_offset_secs(3600)
}

const DAY_MS: i64 = 86_400_000;

/// Caller-supplied context for timestamps that lack a year or zone.
///
/// RFC 3164 timestamps (`Jun 14 15:16:01`) carry neither. The year is chosen
/// relative to [`reference_ms`](Self::reference_ms) (normally the time the log
/// was received or the file's modification time), and the wall-clock time is
/// interpreted at the fixed offset [`utc_offset_secs`](Self::utc_offset_secs).
/// The same reference is used for RFC 5424 lines whose timestamp is `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyslogContext {
    /// The reference clock, milliseconds since the Unix epoch (UTC).
    pub reference_ms: i64,
    /// The sender's fixed UTC offset in seconds (east positive), applied to
    /// timestamps without a zone.
    pub utc_offset_secs: i32,
    /// How far after the reference an inferred timestamp may lie.
    pub max_future_ms: i64,
}

impl SyslogContext {
    /// Default for [`max_future_ms`](Self::max_future_ms): one day, the
    /// future skew the Security Lake writer accepts by default.
    pub const DEFAULT_MAX_FUTURE_MS: i64 = DAY_MS;

    /// A context with the given reference clock, UTC offset 0 and the default
    /// future tolerance.
    pub fn new(reference_ms: i64) -> Self {
        SyslogContext {
            reference_ms,
            utc_offset_secs: 0,
            max_future_ms: Self::DEFAULT_MAX_FUTURE_MS,
        }
    }

    /// Sets the sender's UTC offset in seconds (e.g. `-5 * 3600` for UTC-05:00).
    #[must_use]
    pub fn with_utc_offset_secs(mut self, secs: i32) -> Self {
        self.utc_offset_secs = secs;
        self
    }

    /// Sets how far after the reference an inferred RFC 3164 timestamp may lie.
    #[must_use]
    pub fn with_max_future_ms(mut self, ms: i64) -> Self {
        self.max_future_ms = ms;
        self
    }
}

/// Which header shape a line had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyslogFormat {
    /// BSD syslog, `Mmm dd hh:mm:ss` (or `Mmm dd yyyy hh:mm:ss`).
    Rfc3164,
    /// IETF syslog with a version number.
    Rfc5424,
    /// A BSD-style line whose timestamp is RFC 3339 (rsyslog high precision).
    Rfc3339,
}

/// Where [`SyslogRecord::time_ms`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeSource {
    /// A complete timestamp with date and zone was in the line, or, for
    /// [`SyslogFormat::Rfc3164`] (which never has a zone), a date with its
    /// year (`Mar  1 2024 12:00:00`) read at the [`SyslogContext`]'s UTC offset.
    Explicit,
    /// The line had month, day and time; the year and UTC offset came from the
    /// [`SyslogContext`].
    YearInferred,
    /// The line had a nil timestamp (or, before an embedded CEF or LEEF
    /// message, a bare `<PRI>` and no timestamp, or, from a Cisco device, no
    /// wall-clock time: none or an uptime); the context's reference clock was
    /// used.
    Reference,
}

/// One `name="value"` parameter of an RFC 5424 structured-data element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdParam<'a> {
    /// The parameter name.
    pub name: &'a str,
    /// The value with `\"`, `\\` and `\]` unescaped.
    pub value: Cow<'a, str>,
}

/// One `[id name="value" ...]` RFC 5424 structured-data element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdElement<'a> {
    /// The SD-ID, e.g. `exampleSDID@32473`.
    pub id: &'a str,
    /// The parameters in order; names may repeat.
    pub params: Vec<SdParam<'a>>,
}

impl SdElement<'_> {
    /// The value of the first parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_ref())
    }
}

/// A parsed syslog line. String fields borrow from the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogRecord<'a> {
    /// The whole line as given (without its line terminator).
    pub raw: &'a str,
    /// The header shape.
    pub format: SyslogFormat,
    /// The timestamp as milliseconds since the Unix epoch, UTC.
    pub time_ms: i64,
    /// How [`time_ms`](Self::time_ms) was obtained.
    pub time_source: TimeSource,
    /// The UTC offset (seconds) of the wall-clock time in the line: written in
    /// the timestamp, or the context's for RFC 3164; `None` for a nil or
    /// missing timestamp.
    pub utc_offset_secs: Option<i32>,
    /// The facility (`PRI / 8`) when a `<PRI>` was present.
    pub facility: Option<u8>,
    /// The severity (`PRI % 8`) when a `<PRI>` was present; without one, the
    /// severity digit of a Cisco `%FACILITY-SEVERITY-MNEMONIC:` tag read as
    /// [`app`](Self::app) (`%LINK-3-UPDOWN` gives 3; the facility stays
    /// `None`). A written PRI always wins over the tag.
    pub severity: Option<u8>,
    /// The RFC 5424 version.
    pub version: Option<u16>,
    /// The hostname; `None` when absent, empty or `-`.
    pub hostname: Option<&'a str>,
    /// The application / program name (tag); `None` when absent or `-`.
    pub app: Option<&'a str>,
    /// The sub-facility in parentheses after the program, e.g. `pam_unix` in
    /// `sshd(pam_unix)[123]:`.
    pub sub_program: Option<&'a str>,
    /// The process id field as written (`[...]` content or RFC 5424 PROCID).
    pub procid: Option<&'a str>,
    /// [`procid`](Self::procid) as a number, when it is one.
    pub pid: Option<u32>,
    /// The RFC 5424 MSGID; for a Cisco NX-OS `SYSTEM_MSG` read as the Linux
    /// program's line it relays, the Cisco tag (`%AUTHPRIV-6-SYSTEM_MSG`).
    pub msgid: Option<&'a str>,
    /// RFC 5424 structured data (empty otherwise).
    pub structured_data: Vec<SdElement<'a>>,
    /// The message exactly as in the line (BOM removed).
    pub message_raw: &'a str,
    /// The message with rsyslog `#ooo` control-character escapes decoded.
    pub message: Cow<'a, str>,
}

impl SyslogRecord<'_> {
    /// The `<PRI>` value, when present.
    pub fn priority(&self) -> Option<u8> {
        Some(self.facility? * 8 + self.severity?)
    }

    /// The value of parameter `name` in the first structured-data element `id`.
    pub fn sd_param(&self, id: &str, name: &str) -> Option<&str> {
        self.structured_data
            .iter()
            .find(|e| e.id == id)
            .and_then(|e| e.param(name))
    }
}

fn err(kind: ErrorKind, offset: usize, detail: &'static str) -> Error {
    Error::new(Format::Syslog, kind, detail).at(offset)
}

/// Parses one syslog line (RFC 5424, RFC 3339-prefixed or RFC 3164; see the
/// [module docs](self)). A trailing `\r`/`\n` is ignored.
///
/// ```
/// use ocsf_mappers::formats::syslog::{self, SyslogContext, SyslogFormat, TimeSource};
///
/// // 2024-01-10T00:00:00Z; the December line belongs to 2023.
/// let ctx = SyslogContext::new(1_704_844_800_000);
/// let r = syslog::parse("Dec 31 23:59:59 web1 su(pam_unix)[42]: session opened#011for root", &ctx)?;
/// assert_eq!(r.format, SyslogFormat::Rfc3164);
/// assert_eq!(r.time_ms, 1_704_067_199_000); // 2023-12-31T23:59:59Z
/// assert_eq!(r.time_source, TimeSource::YearInferred);
/// assert_eq!((r.app, r.sub_program, r.pid), (Some("su"), Some("pam_unix"), Some(42)));
/// assert_eq!(r.message, "session opened\tfor root");
///
/// let r = syslog::parse(
///     r#"<165>1 2003-10-11T22:14:15.003Z host app 77 ID47 [x@1 k="a\"b"] hello"#,
///     &ctx,
/// )?;
/// assert_eq!((r.facility, r.severity), (Some(20), Some(5)));
/// assert_eq!(r.sd_param("x@1", "k"), Some("a\"b"));
/// assert_eq!(r.message, "hello");
///
/// // A Cisco message in a syslog server's file: the server's time and host,
/// // the device's tag and text.
/// let r = syslog::parse(
///     "Jan  9 10:11:13 10.1.1.1 56: 000052: *Jan  9 10:11:12.351 UTC: %SYS-5-CONFIG_I: Configured",
///     &ctx,
/// )?;
/// assert_eq!(r.time_ms, 1_704_795_073_000); // 2024-01-09T10:11:13Z
/// assert_eq!((r.hostname, r.app), (Some("10.1.1.1"), Some("%SYS-5-CONFIG_I")));
/// assert_eq!(r.message, "Configured");
/// // No PRI: the tag's severity, and no facility.
/// assert_eq!((r.facility, r.severity), (None, Some(5)));
///
/// // An NX-OS `SYSTEM_MSG` names the Linux program whose line it relays.
/// let r = syslog::parse(
///     "<190>sw01: 2024 Jan  9 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: pam_unix(sshd:session): session closed for user admin - sshd[14213]",
///     &ctx,
/// )?;
/// assert_eq!((r.hostname, r.app, r.pid), (Some("sw01"), Some("sshd"), Some(14213)));
/// assert_eq!(r.msgid, Some("%AUTHPRIV-6-SYSTEM_MSG"));
/// assert_eq!(r.message, "pam_unix(sshd:session): session closed for user admin");
/// # Ok::<(), ocsf_mappers::Error>(())
/// ```
pub fn parse<'a>(line: &'a str, ctx: &SyslogContext) -> Result<SyslogRecord<'a>, Error> {
    let line = trim_eol(line);
    if line.trim_ws().is_empty() {
        return Err(err(ErrorKind::Empty, 0, "empty syslog line"));
    }
    let b = line.as_bytes();
    let start = if line.starts_with('\u{feff}') { 3 } else { 0 };
    let (pri, i) = parse_pri(b, start)?;
    if pri.is_some()
        && let Some((version, next)) = rfc5424_version(b, i)
    {
        return parse_5424(line, pri, version, next, ctx);
    }
    // Both shapes read what a Cisco tag says about the whole line (`whole_line`).
    if digits(b, i, 4).is_some() && b.get(i + 4) == Some(&b'-') {
        return parse_3339_line(line, pri, i);
    }
    parse_3164(line, pri, i, ctx, true)
}

/// Parses a syslog header that precedes an embedded payload (CEF, LEEF):
/// `line[..payload_start]` is the header; the record's message is the payload.
/// A header that is only a `<PRI>` gives a record at the reference time.
pub(crate) fn parse_framing<'a>(
    line: &'a str,
    payload_start: usize,
    ctx: &SyslogContext,
) -> Result<SyslogRecord<'a>, Error> {
    let header = line.get(..payload_start).unwrap_or(line).trim_end();
    let mut rec = match bare_pri(header)? {
        Some(pri) => pri_only_record(line, pri, ctx),
        None => parse(header, ctx)?,
    };
    let payload = line.get(payload_start..).unwrap_or("");
    rec.raw = line;
    rec.message_raw = payload;
    rec.message = Cow::Borrowed(payload);
    Ok(rec)
}

/// Whether `header` is nothing but a `<PRI>` of one to three digits, after an
/// optional BOM: the one rule for a header that only frames an embedded
/// payload (`<134>CEF:0|...`). The digits' value is checked when parsed.
pub(crate) fn is_pri_only(header: &str) -> bool {
    header
        .strip_prefix('\u{feff}')
        .unwrap_or(header)
        .strip_prefix('<')
        .and_then(|r| r.strip_suffix('>'))
        .is_some_and(|d| (1..=3).contains(&d.len()) && d.bytes().all(|c| c.is_ascii_digit()))
}

/// A reference clock for reading only the layout of a line: 2024-12-31T00:00:00Z,
/// in a leap year's last month, so that every yearless day (`Feb 29` too) has
/// a year and the header's time never decides where its fields are.
const LAYOUT_REFERENCE_MS: i64 = 1_735_603_200_000;

/// Where the message starts when it is glued to the colon of the line's syslog
/// tag (`Jan  5 01:02:03 host app[1]:CEF:0|...`): the one place after a colon
/// where an embedded payload may start. The tag is the one the BSD shapes
/// (RFC 3164 and RFC 3339 prefix) read after the timestamp and hostname; `None`
/// for any other line, an RFC 5424 line, or a tag followed by a space.
pub(crate) fn message_glued_to_tag(line: &str) -> Option<usize> {
    let rec = parse(line, &SyslogContext::new(LAYOUT_REFERENCE_MS)).ok()?;
    if rec.format == SyslogFormat::Rfc5424 || rec.app.is_none() {
        return None;
    }
    // Where the message starts in the line (an NX-OS `SYSTEM_MSG` read as its
    // program's line ends before the line does).
    let at = offset_in(rec.raw, rec.message_raw)?;
    (at > 0 && rec.raw.as_bytes().get(at - 1) == Some(&b':')).then_some(at)
}

/// The priority of a header that [is only a `<PRI>`](is_pri_only); `None` for
/// any other header.
fn bare_pri(header: &str) -> Result<Option<u8>, Error> {
    if !is_pri_only(header) {
        return Ok(None);
    }
    let start = if header.starts_with('\u{feff}') { 3 } else { 0 };
    Ok(parse_pri(header.as_bytes(), start)?.0)
}

/// The record of a `<PRI>` with no timestamp or host (RFC 3164 lets a relay
/// receive such a packet): the time is the context's reference clock.
fn pri_only_record<'a>(line: &'a str, pri: u8, ctx: &SyslogContext) -> SyslogRecord<'a> {
    let (facility, severity) = split_pri(Some(pri));
    SyslogRecord {
        raw: line,
        format: SyslogFormat::Rfc3164,
        time_ms: ctx.reference_ms,
        time_source: TimeSource::Reference,
        utc_offset_secs: None,
        facility,
        severity,
        version: None,
        hostname: None,
        app: None,
        sub_program: None,
        procid: None,
        pid: None,
        msgid: None,
        structured_data: Vec::new(),
        message_raw: "",
        message: Cow::Borrowed(""),
    }
}

fn split_pri(pri: Option<u8>) -> (Option<u8>, Option<u8>) {
    match pri {
        Some(p) => (Some(p >> 3), Some(p & 7)),
        None => (None, None),
    }
}

/// Reads an optional `<PRI>` at `b[at..]`.
fn parse_pri(b: &[u8], at: usize) -> Result<(Option<u8>, usize), Error> {
    if b.get(at) != Some(&b'<') {
        return Ok((None, at));
    }
    let mut i = at + 1;
    let mut v: u32 = 0;
    while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
        v = v * 10 + u32::from(c - b'0');
        i += 1;
        if i - at > 4 {
            return Err(err(
                ErrorKind::InvalidPriority,
                at,
                "PRI has more than 3 digits",
            ));
        }
    }
    if i == at + 1 {
        return Err(err(
            ErrorKind::InvalidPriority,
            i,
            "expected digits after '<'",
        ));
    }
    if b.get(i) != Some(&b'>') {
        return Err(err(ErrorKind::InvalidPriority, i, "expected '>' after PRI"));
    }
    let pri = u8::try_from(v)
        .ok()
        .filter(|p| *p <= 191)
        .ok_or_else(|| err(ErrorKind::InvalidPriority, at + 1, "PRI above 191"))?;
    Ok((Some(pri), i + 1))
}

/// Recognises an RFC 5424 `VERSION SP` at `b[at..]`.
fn rfc5424_version(b: &[u8], at: usize) -> Option<(u16, usize)> {
    let first = *b.get(at)?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut i = at;
    let mut v: u16 = 0;
    while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
        v = v * 10 + u16::from(c - b'0');
        i += 1;
        if i - at > 3 {
            return None;
        }
    }
    (b.get(i) == Some(&b' ')).then_some((v, i + 1))
}

/// Reads a space-terminated RFC 5424 header field at `at`; returns it (`None`
/// for `-`) and the index after the separating space.
fn field_5424<'a>(
    line: &'a str,
    at: usize,
    what: &'static str,
) -> Result<(Option<&'a str>, usize), Error> {
    let rest = line.get(at..).unwrap_or("");
    let end = memchr::memchr(b' ', rest.as_bytes())
        .ok_or_else(|| err(ErrorKind::Truncated, line.len(), what))?;
    if end == 0 {
        return Err(err(
            ErrorKind::InvalidHeader,
            at,
            "empty RFC 5424 header field",
        ));
    }
    let v = &rest[..end];
    Ok(((v != "-").then_some(v), at + end + 1))
}

fn parse_5424<'a>(
    line: &'a str,
    pri: Option<u8>,
    version: u16,
    mut i: usize,
    ctx: &SyslogContext,
) -> Result<SyslogRecord<'a>, Error> {
    let b = line.as_bytes();
    let (time_ms, time_source, utc_offset_secs) = if b.get(i) == Some(&b'-') {
        i += 1;
        (ctx.reference_ms, TimeSource::Reference, None)
    } else {
        let (t, used) =
            parse_rfc3339_prefix(&b[i..]).map_err(|e| e.in_format(Format::Syslog).shifted(i))?;
        i += used;
        (t.epoch_ms, TimeSource::Explicit, Some(t.offset_secs))
    };
    match b.get(i) {
        Some(b' ') => i += 1,
        None => return Err(err(ErrorKind::Truncated, i, "line ends after timestamp")),
        Some(_) => {
            return Err(err(
                ErrorKind::InvalidTimestamp,
                i,
                "expected ' ' after timestamp",
            ));
        }
    }
    let (hostname, i) = field_5424(line, i, "line ends in HOSTNAME")?;
    let (app, i) = field_5424(line, i, "line ends in APP-NAME")?;
    let (procid, i) = field_5424(line, i, "line ends in PROCID")?;
    let (msgid, mut i) = field_5424(line, i, "line ends in MSGID")?;
    let structured_data = match b.get(i) {
        Some(b'-') => {
            i += 1;
            Vec::new()
        }
        Some(b'[') => {
            let (sd, next) = parse_sd(line, i)?;
            i = next;
            sd
        }
        None => {
            return Err(err(
                ErrorKind::Truncated,
                i,
                "line ends before STRUCTURED-DATA",
            ));
        }
        Some(_) => {
            return Err(err(
                ErrorKind::InvalidStructuredData,
                i,
                "expected '-' or '[' for STRUCTURED-DATA",
            ));
        }
    };
    let message_raw = match b.get(i) {
        None => "",
        Some(b' ') => {
            let m = &line[i + 1..];
            m.strip_prefix('\u{feff}').unwrap_or(m)
        }
        Some(_) => {
            return Err(err(
                ErrorKind::InvalidStructuredData,
                i,
                "expected ' ' after STRUCTURED-DATA",
            ));
        }
    };
    let (facility, severity) = split_pri(pri);
    Ok(SyslogRecord {
        raw: line,
        format: SyslogFormat::Rfc5424,
        time_ms,
        time_source,
        utc_offset_secs,
        facility,
        severity,
        version: Some(version),
        hostname,
        app,
        sub_program: None,
        procid,
        pid: procid.and_then(parse_pid),
        msgid,
        structured_data,
        message_raw,
        message: decode_octal_escapes(message_raw),
    })
}

/// Parses one or more `[id name="value" ...]` elements starting at `line[at]`.
fn parse_sd(line: &str, at: usize) -> Result<(Vec<SdElement<'_>>, usize), Error> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = at;
    while b.get(i) == Some(&b'[') {
        i += 1;
        let id_start = i;
        while let Some(c) = b.get(i) {
            if matches!(c, b' ' | b']') {
                break;
            }
            if matches!(c, b'=' | b'"') {
                return Err(err(
                    ErrorKind::InvalidStructuredData,
                    i,
                    "invalid character in SD-ID",
                ));
            }
            i += 1;
        }
        if i == id_start {
            return Err(err(ErrorKind::InvalidStructuredData, i, "empty SD-ID"));
        }
        let id = &line[id_start..i];
        let mut params = Vec::new();
        loop {
            match b.get(i) {
                None => {
                    return Err(err(ErrorKind::Truncated, i, "unterminated SD-ELEMENT"));
                }
                Some(b']') => {
                    i += 1;
                    break;
                }
                Some(b' ') => i += 1,
                Some(_) => {
                    let name_start = i;
                    while let Some(c) = b.get(i) {
                        if matches!(c, b'=' | b' ' | b']' | b'"') {
                            break;
                        }
                        i += 1;
                    }
                    if i == name_start || b.get(i) != Some(&b'=') {
                        return Err(err(
                            ErrorKind::InvalidStructuredData,
                            i,
                            "expected PARAM-NAME=\"value\"",
                        ));
                    }
                    let name = &line[name_start..i];
                    i += 1;
                    if b.get(i) != Some(&b'"') {
                        return Err(err(
                            ErrorKind::InvalidStructuredData,
                            i,
                            "expected '\"' before PARAM-VALUE",
                        ));
                    }
                    i += 1;
                    let v_start = i;
                    let mut escaped = false;
                    loop {
                        match b.get(i) {
                            None => {
                                return Err(err(
                                    ErrorKind::Truncated,
                                    v_start,
                                    "unterminated PARAM-VALUE",
                                ));
                            }
                            Some(b'\\') => {
                                escaped = true;
                                i += 2;
                            }
                            Some(b'"') => break,
                            Some(_) => i += 1,
                        }
                    }
                    let raw = &line[v_start..i];
                    i += 1;
                    let value = if escaped {
                        Cow::Owned(unescape_sd(raw))
                    } else {
                        Cow::Borrowed(raw)
                    };
                    params.push(SdParam { name, value });
                }
            }
        }
        out.push(SdElement { id, params });
    }
    Ok((out, i))
}

fn unescape_sd(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('"' | '\\' | ']')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn parse_pid(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_3339_line(line: &str, pri: Option<u8>, at: usize) -> Result<SyslogRecord<'_>, Error> {
    let b = line.as_bytes();
    let (t, used) =
        parse_rfc3339_prefix(&b[at..]).map_err(|e| e.in_format(Format::Syslog).shifted(at))?;
    let i = at + used;
    let i = match b.get(i) {
        None => i,
        Some(b' ') => i + 1,
        Some(_) => {
            return Err(err(
                ErrorKind::InvalidTimestamp,
                i,
                "expected ' ' after timestamp",
            ));
        }
    };
    let mut rec = bsd_body(
        line,
        i,
        SyslogFormat::Rfc3339,
        pri,
        t.epoch_ms,
        TimeSource::Explicit,
        Some(t.offset_secs),
    );
    whole_line(&mut rec);
    Ok(rec)
}

/// Parses the RFC 3164 shape from the month at `line[at]`: `Mmm dd hh:mm:ss`
/// or, as network devices write it, `Mmm dd yyyy hh:mm:ss`; the time may end
/// with `:` instead of a space (see [`host_field_start`]). `server`: the
/// line is a whole line, whose tag position may hold a device's Cisco message
/// ([`whole_line`]); `false` when reading that message itself.
#[inline(always)]
fn parse_3164<'a>(
    line: &'a str,
    pri: Option<u8>,
    at: usize,
    ctx: &SyslogContext,
    server: bool,
) -> Result<SyslogRecord<'a>, Error> {
    let b = line.as_bytes();
    let head = cisco::header(line, at);
    if head.stamp == cisco::Stamp::NoClock {
        // No wall-clock time (none written, or an uptime): the reference clock.
        let mut rec = bsd_body(
            line,
            head.at,
            SyslogFormat::Rfc3164,
            pri,
            ctx.reference_ms,
            TimeSource::Reference,
            None,
        );
        rec.hostname = head.origin;
        if server {
            whole_line(&mut rec);
        }
        return Ok(rec);
    }
    let mut origin = head.origin;
    let (md, nxos_year) = match month_day(b, head.at) {
        Ok(md) => (md, None),
        // Not a month where IOS or BSD syslog has it: an NX-OS year-first time?
        Err(e) => match nxos::header(line, at).filter(|_| head.at == at) {
            Some(nx) => {
                origin = nx.host;
                (month_day(b, nx.month_at)?, Some(nx.year))
            }
            None => return Err(e),
        },
    };
    let (month, day, day_start, i) = md;
    // A year after the day (network devices), unless NX-OS wrote one before the month.
    let (year, hms) = match (nxos_year, year_and_time(b, i + 1)) {
        (None, Some((year, hms))) => (Some(year), hms),
        (year, _) => (
            year,
            parse_hms(b, i + 1).map_err(|e| e.in_format(Format::Syslog))?,
        ),
    };
    let (hour, minute, second, millis, end) = hms;
    let (end, ctx) = match cisco::zone_name(b, end) {
        Some((colon, true)) => (colon, &ctx.with_utc_offset_secs(0)),
        Some((colon, false)) => (colon, ctx),
        None => (end, ctx),
    };
    if (origin.is_some() || nxos_year.is_some()) && b.get(end) != Some(&b':') {
        // After an origin id (or NX-OS's host) the time ends with `:`, as
        // Cisco writes it; a second host field would contradict the device.
        return Err(err(
            ErrorKind::InvalidTimestamp,
            end,
            "expected ':' after a time that follows a Cisco device name",
        ));
    }
    let host_at = host_field_start(b, end)?;
    let time = time_of_day_ms(hour, minute, second, millis);
    let (at, source, no_such_day) = match year {
        Some(year) => (
            in_written_year(year, month, day, time, ctx),
            TimeSource::Explicit,
            "day beyond the end of the month in the written year",
        ),
        None => (
            infer_year(month, day, time, ctx),
            TimeSource::YearInferred,
            "Feb 29 in an inferred year that is not a leap year",
        ),
    };
    let Inferred::At(time_ms) = at else {
        return Err(err(ErrorKind::InvalidTimestamp, day_start, no_such_day));
    };
    let mut rec = bsd_body(
        line,
        host_at,
        SyslogFormat::Rfc3164,
        pri,
        time_ms,
        source,
        Some(ctx.utc_offset_secs),
    );
    if origin.is_some() {
        rec.hostname = origin;
    }
    if server {
        whole_line(&mut rec);
    }
    Ok(rec)
}

/// What only a whole line's record (not a device's message inside it) is
/// read for: a Cisco message where a syslog server's header puts its tag
/// ([`relayed::reread`]), then what the record's Cisco tag says besides the
/// program ([`cisco::read_tag`]). A few byte compares on other lines.
#[inline(always)]
fn whole_line(rec: &mut SyslogRecord<'_>) {
    relayed::reread(rec);
    cisco::read_tag(rec);
}

/// Where `part`, a slice of `line`, starts in `line`; `None` when it is not
/// one.
fn offset_in(line: &str, part: &str) -> Option<usize> {
    let at = (part.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
    (at + part.len() <= line.len()).then_some(at)
}

/// Reads `Mmm dd` (or `Mmm  d`, `Mmm d`) at `b[at..]` and the space after it:
/// returns the month, the day, where the day starts and where that space is.
/// A day that no year's month has (`Feb 30`, `Apr 31`) is refused here.
fn month_day(b: &[u8], at: usize) -> Result<(u32, u32, usize, usize), Error> {
    let month = b
        .get(at..at + 3)
        .and_then(month_from_abbrev)
        .ok_or_else(|| {
            err(
                ErrorKind::InvalidTimestamp,
                at,
                "expected a timestamp (`Mmm dd hh:mm:ss`, RFC 3339 or RFC 5424 header)",
            )
        })?;
    let mut i = at + 3;
    if b.get(i) != Some(&b' ') {
        return Err(err(
            ErrorKind::InvalidTimestamp,
            i,
            "expected ' ' after month",
        ));
    }
    i += 1;
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    let day_start = i;
    let mut day = 0u32;
    while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
        day = day * 10 + u32::from(c - b'0');
        i += 1;
        if i - day_start > 2 {
            return Err(err(
                ErrorKind::InvalidTimestamp,
                day_start,
                "day has more than 2 digits",
            ));
        }
    }
    if i == day_start || day == 0 || day > days_in_month(2000, month) {
        return Err(err(
            ErrorKind::InvalidTimestamp,
            day_start,
            "invalid day of month",
        ));
    }
    if b.get(i) != Some(&b' ') {
        return Err(err(
            ErrorKind::InvalidTimestamp,
            i,
            "expected ' ' after day",
        ));
    }
    Ok((month, day, day_start, i))
}

/// The time fields [`parse_hms`] returns: hour, minute, second, milliseconds
/// and the index after the time.
type Hms = (u32, u32, u32, u32, usize);

/// A year written between the day and the time (`Mar  1 2024 12:00:00`):
/// four digits at `b[at..]`, one space, then a valid `hh:mm:ss[.frac]`.
/// Anything else is not a year (`None`), and the caller reads a time at `at`.
fn year_and_time(b: &[u8], at: usize) -> Option<(i64, Hms)> {
    let year = digits(b, at, 4)?;
    if b.get(at + 4) != Some(&b' ') {
        return None;
    }
    let hms = parse_hms(b, at + 5).ok()?;
    Some((i64::from(year), hms))
}

/// Where the host field starts after a BSD time that ends at `b[end]`: after
/// one space, or at the end of the line. Cisco devices end the time with a
/// colon and write no hostname (`Mar 01 2024 12:00:00: %ASA-6-302013: ...`);
/// a colon followed by a space or the end is taken as that form, and the host
/// field starts at the space so that it reads as empty.
fn host_field_start(b: &[u8], end: usize) -> Result<usize, Error> {
    match (b.get(end), b.get(end + 1)) {
        (None, _) => Ok(end),
        (Some(b' '), _) | (Some(b':'), None | Some(b' ')) => Ok(end + 1),
        _ => Err(err(
            ErrorKind::InvalidTimestamp,
            end,
            "expected ' ' after time",
        )),
    }
}

/// A BSD tag: `prog`, optional `(sub)`, optional `[pid]`, then `:` (or `[pid]`
/// followed by a space or the end).
struct Tag<'a> {
    app: &'a str,
    sub: Option<&'a str>,
    procid: Option<&'a str>,
    /// Bytes used, including the colon and one following space.
    len: usize,
}

fn parse_tag(s: &str) -> Option<Tag<'_>> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && !matches!(b[i], b' ' | b':' | b'[' | b']' | b'(' | b')') {
        i += 1;
    }
    if i == 0 {
        return None;
    }
    let app = &s[..i];
    let mut sub = None;
    if b.get(i) == Some(&b'(') {
        let close = i
            + 1
            + b[i + 1..]
                .iter()
                .position(|c| matches!(c, b')' | b' ' | b'('))?;
        if b[close] != b')' {
            return None;
        }
        sub = Some(&s[i + 1..close]);
        i = close + 1;
    }
    let mut procid = None;
    if b.get(i) == Some(&b'[') {
        let close = i
            + 1
            + b[i + 1..]
                .iter()
                .position(|c| matches!(c, b']' | b' ' | b'['))?;
        if b[close] != b']' {
            return None;
        }
        procid = Some(&s[i + 1..close]);
        i = close + 1;
    }
    match b.get(i) {
        Some(b':') => {
            i += 1;
            if b.get(i) == Some(&b' ') {
                i += 1;
            }
        }
        Some(b' ') if procid.is_some() => i += 1,
        None if procid.is_some() => {}
        _ => return None,
    }
    Some(Tag {
        app,
        sub,
        procid,
        len: i,
    })
}

/// Whether the text up to the first space is an IPv6 address: a hostname
/// such as `2001:db8::1` would otherwise read as the tag `2001:`.
fn first_token_is_ipv6(s: &str) -> bool {
    let end = memchr::memchr(b' ', s.as_bytes()).unwrap_or(s.len());
    s[..end].parse::<std::net::Ipv6Addr>().is_ok()
}

/// The tag after a Cisco ASA device id, which is followed by ` : ` rather than
/// a space (`Mar 01 2024 12:00:00 fw01 : %ASA-6-302013: Built ...`): `tail` is
/// the text after the hostname and its space. Returns the text the tag starts
/// and the tag, or `None` when `tail` is not `: ` followed by a tag (the colon
/// then stays in the message). Only tried when no tag starts at `tail`.
fn tag_after_device_id(tail: &str) -> Option<(&str, Tag<'_>)> {
    let rest = tail.strip_prefix(": ")?;
    parse_tag(rest).map(|t| (rest, t))
}

/// Parses `[HOST SP] [TAG] MSG` starting at `line[at]` for the BSD shapes.
fn bsd_body(
    line: &str,
    at: usize,
    format: SyslogFormat,
    pri: Option<u8>,
    time_ms: i64,
    time_source: TimeSource,
    offset: Option<i32>,
) -> SyslogRecord<'_> {
    let rest = &line[at..];
    let (hostname, tag_at) = if rest.is_empty() {
        (None, at)
    } else if let Some(after_space) = rest.strip_prefix(' ') {
        // An empty hostname field.
        (None, line.len() - after_space.len())
    } else if parse_tag(rest).is_some_and(|t| !rest[..t.len].trim_end().contains(' '))
        && !first_token_is_ipv6(rest)
    {
        // The first token is itself a tag: the hostname was omitted.
        (None, at)
    } else {
        let end = memchr::memchr(b' ', rest.as_bytes()).unwrap_or(rest.len());
        (Some(&rest[..end]), (at + end + 1).min(line.len()))
    };
    let tail = &line[tag_at..];
    let tag = match parse_tag(tail) {
        Some(t) => Some((tail, t)),
        None if hostname.is_some() => tag_after_device_id(tail),
        None => None,
    };
    let (app, sub_program, procid, message_raw) = match tag {
        Some((tail, t)) => (Some(t.app), t.sub, t.procid, &tail[t.len..]),
        None => (None, None, None, tail),
    };
    let (facility, severity) = split_pri(pri);
    SyslogRecord {
        raw: line,
        format,
        time_ms,
        time_source,
        utc_offset_secs: offset,
        facility,
        severity,
        version: None,
        hostname,
        app,
        sub_program,
        procid,
        pid: procid.and_then(parse_pid),
        msgid: None,
        structured_data: Vec::new(),
        message_raw,
        message: decode_octal_escapes(message_raw),
    }
}

/// A syslog line assembled by [`Multiline`] from a record and its continuations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedLine {
    text: String,
    lines: usize,
}

impl JoinedLine {
    /// The joined line: the first line, then each continuation's text after the
    /// marker, separated by single spaces.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// How many input lines were joined (1 when there was no continuation).
    pub fn line_count(&self) -> usize {
        self.lines
    }

    /// Parses the joined line.
    pub fn parse(&self, ctx: &SyslogContext) -> Result<SyslogRecord<'_>, Error> {
        parse(&self.text, ctx)
    }

    /// The joined line as an owned string.
    pub fn into_text(self) -> String {
        self.text
    }
}

#[derive(Debug)]
struct Pending {
    text: String,
    lines: usize,
    hostname: Option<String>,
    app: Option<String>,
    procid: Option<String>,
}

/// Joins continuation lines to the record they continue.
///
/// A line is a continuation when its message — after optional leading spaces
/// and an optional `word : ` prefix, as in sudo's `  alice : (command
/// continued) ...` — starts with one of the markers (default `(command
/// continued)`), and its hostname, program and process id equal those of the
/// immediately preceding record. Its text after the marker is appended to that
/// record with one space. Anything else starts a new record; a continuation
/// with nothing to continue is kept as a record of its own, so no line is lost.
///
/// ```
/// use ocsf_mappers::formats::syslog::{Multiline, SyslogContext};
///
/// let ctx = SyslogContext::new(1_704_844_800_000);
/// let mut ml = Multiline::new(ctx);
/// let mut out = Vec::new();
/// for line in [
///     "Jan  9 10:00:00 h sudo:    alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/echo a",
///     "Jan  9 10:00:00 h sudo:    alice : (command continued) b c",
///     "Jan  9 10:00:01 h cron[7]: tick",
/// ] {
///     out.extend(ml.push(line)?);
/// }
/// out.extend(ml.finish());
/// assert_eq!(out.len(), 2);
/// assert_eq!(out[0].line_count(), 2);
/// let rec = out[0].parse(&ctx)?;
/// assert!(rec.message.ends_with("COMMAND=/bin/echo a b c"));
/// # Ok::<(), ocsf_mappers::Error>(())
/// ```
#[derive(Debug)]
pub struct Multiline {
    ctx: SyslogContext,
    markers: Vec<String>,
    max_len: usize,
    pending: Option<Pending>,
}

impl Multiline {
    /// Default [`with_max_len`](Self::with_max_len): 1 MiB.
    pub const DEFAULT_MAX_LEN: usize = 1 << 20;

    /// A combiner with the sudo `(command continued)` marker.
    pub fn new(ctx: SyslogContext) -> Self {
        Multiline {
            ctx,
            markers: vec!["(command continued)".to_owned()],
            max_len: Self::DEFAULT_MAX_LEN,
            pending: None,
        }
    }

    /// Adds another continuation marker.
    #[must_use]
    pub fn with_marker(mut self, marker: impl Into<String>) -> Self {
        self.markers.push(marker.into());
        self
    }

    /// Caps the joined length in bytes: a continuation that would exceed it
    /// starts a new record instead.
    #[must_use]
    pub fn with_max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len;
        self
    }

    /// The text after a continuation marker, if `msg` is a continuation.
    fn continuation<'m>(markers: &[String], msg: &'m str) -> Option<&'m str> {
        let m = msg.trim_start();
        let after_user = m
            .split_once(" : ")
            .filter(|(user, _)| !user.is_empty() && !user.contains(' '))
            .map(|(_, rest)| rest);
        [Some(m), after_user].into_iter().flatten().find_map(|c| {
            markers
                .iter()
                .find_map(|mk| c.strip_prefix(mk.as_str()))
                .map(str::trim_start)
        })
    }

    /// Feeds one line. Returns the previous record when this line does not
    /// continue it. A line that does not parse is reported as an error and
    /// leaves the pending record untouched.
    pub fn push(&mut self, line: &str) -> Result<Option<JoinedLine>, Error> {
        let line = trim_eol(line);
        let rec = parse(line, &self.ctx)?;
        if let Some(p) = self.pending.as_mut()
            && p.hostname.as_deref() == rec.hostname
            && p.app.as_deref() == rec.app
            && p.procid.as_deref() == rec.procid
            && let Some(more) = Self::continuation(&self.markers, rec.message_raw)
            && p.text.len() + 1 + more.len() <= self.max_len
        {
            p.text.push(' ');
            p.text.push_str(more);
            p.lines += 1;
            return Ok(None);
        }
        let next = Pending {
            text: line.to_owned(),
            lines: 1,
            hostname: rec.hostname.map(str::to_owned),
            app: rec.app.map(str::to_owned),
            procid: rec.procid.map(str::to_owned),
        };
        Ok(self.pending.replace(next).map(|p| JoinedLine {
            text: p.text,
            lines: p.lines,
        }))
    }

    /// Returns the record still being assembled, if any.
    pub fn finish(&mut self) -> Option<JoinedLine> {
        self.pending.take().map(|p| JoinedLine {
            text: p.text,
            lines: p.lines,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each line fails to parse with `InvalidTimestamp` at its offset.
    fn assert_invalid_timestamps(ctx: &SyslogContext, cases: &[(&str, u64)]) {
        for &(line, off) in cases {
            let e = parse(line, ctx).expect_err(line);
            assert_eq!(e.kind(), ErrorKind::InvalidTimestamp, "{line:?}: {e}");
            assert_eq!(e.offset(), Some(off), "{line:?}: {e}");
        }
    }
    use crate::formats::time::{civil_to_epoch_ms, days_from_civil};

    fn ms(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        civil_to_epoch_ms(y, mo, d, h, mi, s, 0)
    }

    fn ctx_at(y: i64, mo: u32, d: u32) -> SyslogContext {
        SyslogContext::new(days_from_civil(y, mo, d) * DAY_MS)
    }

    #[test]
    fn rfc3164_full_header() {
        let ctx = ctx_at(2024, 6, 20);
        let r = parse(
            "<38>Jun 14 15:16:01 combo sshd[19939]: Accepted password\r\n",
            &ctx,
        );
        let r = r.expect("parses");
        assert_eq!(r.format, SyslogFormat::Rfc3164);
        assert_eq!(
            r.raw,
            "<38>Jun 14 15:16:01 combo sshd[19939]: Accepted password"
        );
        assert_eq!(r.priority(), Some(38));
        assert_eq!((r.facility, r.severity), (Some(4), Some(6)));
        assert_eq!(r.time_ms, ms(2024, 6, 14, 15, 16, 1));
        assert_eq!(r.time_source, TimeSource::YearInferred);
        assert_eq!(r.utc_offset_secs, Some(0));
        assert_eq!(r.hostname, Some("combo"));
        assert_eq!(r.app, Some("sshd"));
        assert_eq!(r.procid, Some("19939"));
        assert_eq!(r.pid, Some(19939));
        assert_eq!(r.message, "Accepted password");
        assert!(matches!(r.message, Cow::Borrowed(_)));
    }

    #[test]
    fn rfc3164_without_pri_space_padded_day_and_offset() {
        let ctx = ctx_at(2024, 7, 20).with_utc_offset_secs(2 * 3600);
        let r = parse("Jul  7 08:06:15 combo kernel: Linux version", &ctx).expect("parses");
        assert_eq!(r.facility, None);
        assert_eq!(r.time_ms, ms(2024, 7, 7, 6, 6, 15));
        assert_eq!(r.utc_offset_secs, Some(7200));
        assert_eq!((r.app, r.pid), (Some("kernel"), None));
        assert_eq!(r.message, "Linux version");
        // A single-digit day with one space and fractional seconds.
        let r = parse("Jul 7 08:06:15.250 combo kernel: x", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2024, 7, 7, 6, 6, 15) + 250);
    }

    #[test]
    fn rfc3164_year_inference_rolls_over_december_and_january() {
        // Reference early January: a December line is from last year.
        let ctx = ctx_at(2024, 1, 3);
        let r = parse("Dec 31 23:59:59 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2023, 12, 31, 23, 59, 59));
        // A line from earlier in the same year stays in that year.
        let r = parse("Jan  2 00:00:00 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2024, 1, 2, 0, 0, 0));
        // Up to one day ahead of the reference stays in the reference year...
        let r = parse("Jan  4 00:00:00 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2024, 1, 4, 0, 0, 0));
        // ...one millisecond more would be in the future, so it is last year.
        let r = parse("Jan  4 00:00:00.001 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2023, 1, 4, 0, 0, 0) + 1);
        let r = parse("Feb  1 00:00:00 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2023, 2, 1, 0, 0, 0));
        let r = parse("Mar  5 00:00:00 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2023, 3, 5, 0, 0, 0));
    }

    #[test]
    fn rfc3164_line_days_ahead_of_the_reference_is_last_year() {
        // `Dec 10` read on Dec 4 would be six days in the future: last year.
        let ctx = ctx_at(2026, 12, 4);
        let r = parse("Dec 10 08:00:00 h sshd[1]: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2025, 12, 10, 8, 0, 0));
        // Dec 4 itself and Dec 5 (within a day) stay in the reference year.
        let r = parse("Dec  4 23:00:00 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2026, 12, 4, 23, 0, 0));
        let r = parse("Dec  5 00:00:00 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2026, 12, 5, 0, 0, 0));
        let r = parse("Dec  5 00:00:01 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2025, 12, 5, 0, 0, 1));
        // The default tolerance is the writer's default future skew.
        assert_eq!(SyslogContext::DEFAULT_MAX_FUTURE_MS, DAY_MS);
        // With a sender offset the day boundary is the sender's.
        let ctx = SyslogContext::new(ms(2026, 12, 4, 12, 0, 0)).with_utc_offset_secs(-5 * 3600);
        let r = parse("Dec  5 07:00:00 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2026, 12, 5, 12, 0, 0));
        let r = parse("Dec  5 07:00:01 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2025, 12, 5, 12, 0, 1));
    }

    #[test]
    fn rfc3164_next_year_only_within_the_tolerance() {
        // Rule: the latest year in which the instant is at most max_future_ms
        // (one day) after the reference. Read on Dec 31 at noon, `Jan 1`
        // before noon is next year; later that day it is more than a day
        // ahead, so it is January 1 of the reference year.
        let ctx = SyslogContext::new(ms(2023, 12, 31, 12, 0, 0));
        let r = parse("Jan  1 00:00:30 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2024, 1, 1, 0, 0, 30));
        let r = parse("Jan  1 12:00:00 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2024, 1, 1, 12, 0, 0));
        let r = parse("Jan  1 12:00:01 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2023, 1, 1, 12, 0, 1));
        // Never more than max_future after the reference.
        let ctx = ctx_at(2023, 12, 31).with_max_future_ms(0);
        let r = parse("Jan  1 00:00:30 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2023, 1, 1, 0, 0, 30));
        // A negative tolerance is treated as zero, a huge one as next year.
        let ctx = ctx_at(2023, 6, 1).with_max_future_ms(-DAY_MS);
        let r = parse("Jun  1 00:00:00 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2023, 6, 1, 0, 0, 0));
        let ctx = ctx_at(2023, 6, 1).with_max_future_ms(i64::MAX);
        let r = parse("Jun  1 00:00:00 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2024, 6, 1, 0, 0, 0));
    }

    #[test]
    fn rfc3164_feb_29_needs_a_leap_inferred_year() {
        // Inferred year is a leap year: taken as is.
        let ctx = ctx_at(2024, 3, 1);
        let r = parse("Feb 29 12:00:00 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2024, 2, 29, 12, 0, 0));
        // Read on 2025-01-10 the line is from 2024, a leap year.
        let ctx = ctx_at(2025, 1, 10);
        let r = parse("Feb 29 12:00:00 h p: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2024, 2, 29, 12, 0, 0));
        // Inferred year 2023 is not a leap year: a typed error, never 2020
        // and never March 1.
        for reference in [ctx_at(2023, 6, 1), ctx_at(2026, 12, 4), ctx_at(2025, 3, 2)] {
            let e = parse("Feb 29 12:00:00 h p: m", &reference).expect_err("no Feb 29");
            assert_eq!(e.kind(), ErrorKind::InvalidTimestamp);
            assert_eq!(e.offset(), Some(4));
        }
        let e = parse("Feb 30 12:00:00 h p: m", &ctx).expect_err("no Feb 30");
        assert_eq!(e.kind(), ErrorKind::InvalidTimestamp);
        assert_eq!(e.offset(), Some(4));
    }

    #[test]
    fn rfc3164_with_a_year_uses_it_as_written() {
        // Read years later: the written year wins over inference.
        let ctx = ctx_at(2030, 6, 1).with_utc_offset_secs(3600);
        let r = parse("Mar  1 2024 12:00:00 host app: msg", &ctx).expect("parses");
        assert_eq!(r.format, SyslogFormat::Rfc3164);
        assert_eq!(r.time_ms, ms(2024, 3, 1, 11, 0, 0));
        assert_eq!(r.time_source, TimeSource::Explicit);
        // No zone in the line: the context's offset, as without a year.
        assert_eq!(r.utc_offset_secs, Some(3600));
        assert_eq!((r.hostname, r.app), (Some("host"), Some("app")));
        assert_eq!(r.message, "msg");
        // Zero-padded day, fractional seconds, a `<PRI>`, a date in the future.
        let ctx = ctx_at(2020, 1, 1);
        let r = parse("<13>Mar 01 2024 12:00:00.123 h sshd[7]: x", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2024, 3, 1, 12, 0, 0) + 123);
        assert_eq!(
            (r.hostname, r.app, r.pid),
            (Some("h"), Some("sshd"), Some(7))
        );
        // Header only, and a hostname that is an IPv6 address.
        let r = parse("Dec 31 1999 23:59:59", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(1999, 12, 31, 23, 59, 59));
        assert_eq!((r.hostname, r.message_raw), (None, ""));
        let r = parse("Jan  5 2024 01:02:03 2001:db8::1 sshd[12]: hi", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app), (Some("2001:db8::1"), Some("sshd")));
    }

    #[test]
    fn rfc3164_cisco_time_ending_in_a_colon_has_no_hostname() {
        let ctx = ctx_at(2030, 6, 1);
        let r = parse(
            "<166>Mar 01 2024 12:00:00: %ASA-6-302013: Built outbound TCP connection",
            &ctx,
        )
        .expect("parses");
        assert_eq!(r.time_ms, ms(2024, 3, 1, 12, 0, 0));
        assert_eq!(r.time_source, TimeSource::Explicit);
        assert_eq!((r.facility, r.severity), (Some(20), Some(6)));
        assert_eq!((r.hostname, r.app), (None, Some("%ASA-6-302013")));
        assert_eq!(r.message, "Built outbound TCP connection");
        // A message that is not a tag is not taken as a hostname.
        let r = parse("Mar 01 2024 12:00:00.5: Built it", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2024, 3, 1, 12, 0, 0) + 500);
        assert_eq!((r.hostname, r.app), (None, None));
        assert_eq!(r.message, "Built it");
        let r = parse("Mar 01 2024 12:00:00:", &ctx).expect("parses");
        assert_eq!((r.hostname, r.message_raw), (None, ""));
        // The same colon treatment without a year.
        let ctx = ctx_at(2024, 3, 2);
        let r = parse("<166>Mar  1 12:00:00: %ASA-6-302013: Built", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2024, 3, 1, 12, 0, 0));
        assert_eq!((r.hostname, r.app), (None, Some("%ASA-6-302013")));
        assert_eq!(r.message, "Built");
    }

    #[test]
    fn rfc3164_cisco_sequence_number_is_not_a_hostname() {
        // `service sequence-numbers`: digits, `:` and a space after the PRI.
        let ctx = ctx_at(2024, 3, 2);
        let r = parse(
            "<189>123: Mar  1 00:01:23.456: %SYS-5-CONFIG_I: Configured from console",
            &ctx,
        )
        .expect("parses");
        assert_eq!(r.format, SyslogFormat::Rfc3164);
        assert_eq!(r.time_ms, ms(2024, 3, 1, 0, 1, 23) + 456);
        assert_eq!((r.facility, r.severity), (Some(23), Some(5)));
        assert_eq!((r.hostname, r.app), (None, Some("%SYS-5-CONFIG_I")));
        assert_eq!(r.message, "Configured from console");
        // Zero-padded, with a clock-status marker, with a year, without a PRI.
        let r = parse("<189>000123: *Mar  1 00:01:23.456: %SYS-5-X: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2024, 3, 1, 0, 1, 23) + 456);
        assert_eq!(r.app, Some("%SYS-5-X"));
        let r = parse("7: Mar  1 2020 00:01:23: %SYS-5-X: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2020, 3, 1, 0, 1, 23));
        // Not a sequence number: no space after the colon, nothing after it,
        // no timestamp or Cisco tag after it (a Cisco tag without a time is
        // read in `cisco.rs`); each stays a typed error at the month.
        assert_invalid_timestamps(
            &ctx,
            &[
                ("<189>123:Mar  1 00:01:23: %X-1-Y: m", 5),
                ("<189>123: ", 10),
                ("<189>123: SYS-5-X: m", 10),
                ("123 Mar  1 00:01:23: %X-1-Y: m", 0),
            ],
        );
    }

    #[test]
    fn rfc3164_cisco_clock_status_marker_is_accepted() {
        let ctx = ctx_at(2024, 3, 2);
        // `*`: the clock is not authoritative; `.`: set but not NTP-synced.
        for line in [
            "<189>*Mar  1 00:01:23.456: %SYS-5-CONFIG_I: Configured",
            "<189>.Mar  1 00:01:23.456: %SYS-5-CONFIG_I: Configured",
            "*Mar  1 00:01:23.456: %SYS-5-CONFIG_I: Configured",
        ] {
            let r = parse(line, &ctx).expect(line);
            assert_eq!(r.time_ms, ms(2024, 3, 1, 0, 1, 23) + 456, "{line}");
            assert_eq!(r.time_source, TimeSource::YearInferred, "{line}");
            assert_eq!((r.hostname, r.app), (None, Some("%SYS-5-CONFIG_I")));
            assert_eq!(r.message, "Configured");
        }
        // One marker only, and a month must follow it.
        assert_invalid_timestamps(
            &ctx,
            &[("<189>**Mar  1 00:01:23: m", 6), ("*", 1), ("<1>. x", 4)],
        );
    }

    #[test]
    fn rfc3164_cisco_timezone_name_after_the_time() {
        // A zero-offset name is read as offset 0, whatever the context says.
        let ctx = ctx_at(2030, 6, 1).with_utc_offset_secs(3600);
        let r = parse(
            "<189>Mar  1 2024 00:01:23.456 UTC: %SYS-5-CONFIG_I: Configured",
            &ctx,
        )
        .expect("parses");
        assert_eq!(r.time_ms, ms(2024, 3, 1, 0, 1, 23) + 456);
        assert_eq!(r.time_source, TimeSource::Explicit);
        assert_eq!(r.utc_offset_secs, Some(0));
        assert_eq!((r.hostname, r.app), (None, Some("%SYS-5-CONFIG_I")));
        assert_eq!(r.message, "Configured");
        let r = parse("*Mar  1 2024 00:01:23 GMT: %X-1-Y: m", &ctx).expect("parses");
        assert_eq!(
            (r.time_ms, r.utc_offset_secs),
            (ms(2024, 3, 1, 0, 1, 23), Some(0))
        );
        // Any other name is ambiguous: the context's offset is kept.
        let ctx = ctx_at(2024, 3, 2).with_utc_offset_secs(3600);
        let r = parse("<187>Mar  1 00:01:23 CET: %LINK-3-UPDOWN: down", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2024, 2, 29, 23, 1, 23));
        assert_eq!(r.time_source, TimeSource::YearInferred);
        assert_eq!(r.utc_offset_secs, Some(3600));
        assert_eq!((r.hostname, r.app), (None, Some("%LINK-3-UPDOWN")));
        assert_eq!(r.message, "down");
        // The inferred year of a UTC line is inferred at offset 0 too.
        let r = parse("123: *Mar  1 00:01:23.456 UTC: %X-1-Y: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, ms(2024, 3, 1, 0, 1, 23) + 456);
        assert_eq!(r.utc_offset_secs, Some(0));
        // A zone name that ends the line.
        let r = parse("Mar  1 00:01:23 UTC:", &ctx).expect("parses");
        assert_eq!(
            (r.utc_offset_secs, r.hostname, r.message_raw),
            (Some(0), None, "")
        );
    }

    #[test]
    fn rfc3164_upper_case_hostname_is_not_a_timezone() {
        let ctx = ctx_at(2024, 6, 1);
        // A hostname is followed by a space, a zone name by `:`.
        let r = parse("Jan  5 01:02:03 HOST app: msg", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app), (Some("HOST"), Some("app")));
        assert_eq!(r.utc_offset_secs, Some(0));
        assert_eq!(r.message, "msg");
        let r = parse("Jan  5 01:02:03 UTC app: msg", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app), (Some("UTC"), Some("app")));
        // Not a zone abbreviation: still a hostless tag, as before.
        for (line, app) in [
            ("Jan  5 01:02:03 CRONX: msg", "CRONX"),
            ("Jan  5 01:02:03 Cet: msg", "Cet"),
            ("Jan  5 01:02:03 UT: msg", "UT"),
            ("Jan  5 01:02:03 CRON[12]: msg", "CRON"),
        ] {
            let r = parse(line, &ctx).expect(line);
            assert_eq!((r.hostname, r.app), (None, Some(app)), "{line}");
            assert_eq!(r.message, "msg", "{line}");
        }
        // Only known zone abbreviations end the time: a hostless upper-case
        // tag stays a tag; a configured zone name outside the list is read as
        // the tag, as before.
        for (line, app) in [
            ("Jan  5 01:02:03 CRON: msg", "CRON"),
            ("Jan  5 01:02:03 SSHD: msg", "SSHD"),
            ("Jan  5 01:02:03 ABC: msg", "ABC"),
        ] {
            let r = parse(line, &ctx).expect(line);
            assert_eq!((r.hostname, r.app), (None, Some(app)), "{line}");
            assert_eq!(r.message, "msg", "{line}");
        }
    }

    #[test]
    fn rfc3164_asa_device_id_then_colon_leads_to_the_tag() {
        // ASA `logging device-id hostname`: `HOST : %ASA-...`.
        let ctx = ctx_at(2030, 6, 1);
        let r = parse(
            "<166>Mar 01 2024 12:00:00 fw01 : %ASA-6-302013: Built outbound TCP connection",
            &ctx,
        )
        .expect("parses");
        assert_eq!(r.time_ms, ms(2024, 3, 1, 12, 0, 0));
        assert_eq!((r.hostname, r.app), (Some("fw01"), Some("%ASA-6-302013")));
        assert_eq!(r.message, "Built outbound TCP connection");
        // Without a year, and with a device id that is an address.
        let ctx = ctx_at(2024, 3, 2);
        let r = parse("Mar  1 12:00:00 192.0.2.1 : %ASA-4-106023: Deny", &ctx).expect("parses");
        assert_eq!(
            (r.hostname, r.app, r.message_raw),
            (Some("192.0.2.1"), Some("%ASA-4-106023"), "Deny")
        );
        // A lone colon after the hostname with no tag after it stays in the message.
        let r = parse("Mar  1 12:00:00 fw01 : just text", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app), (Some("fw01"), None));
        assert_eq!(r.message_raw, ": just text");
    }

    #[test]
    fn rfc3164_with_a_year_checks_the_day_in_that_year() {
        let ctx = ctx_at(2030, 6, 1);
        let r = parse("Feb 29 2024 12:00:00 h p: m", &ctx).expect("leap year");
        assert_eq!(r.time_ms, ms(2024, 2, 29, 12, 0, 0));
        let r = parse("Feb 29 2000 00:00:00 h p: m", &ctx).expect("leap century");
        assert_eq!(r.time_ms, ms(2000, 2, 29, 0, 0, 0));
        let cases: &[(&str, u64)] = &[
            ("Feb 29 2023 12:00:00 h p: m", 4),
            ("Feb 29 1900 12:00:00 h p: m", 4),
            ("Feb 30 2024 12:00:00 h p: m", 4),
            ("Apr 31 2024 12:00:00 h p: m", 4),
            ("<13>Feb 29 2023 12:00:00: %X-1-Y: m", 8),
        ];
        // The day is checked against the written year, never moved.
        assert_invalid_timestamps(&ctx, cases);
    }

    #[test]
    fn rfc3164_four_digits_not_followed_by_a_time_are_not_a_year() {
        let ctx = ctx_at(2030, 6, 1);
        let cases: &[(&str, u64)] = &[
            // Year, then no time: the error of a missing time, as before.
            ("Mar  1 2024 host app: msg", 9),
            ("Mar  1 2024", 9),
            ("Mar  1 2024 12:00 h", 9),
            ("Mar  1 2024 25:00:00 h", 9),
            ("Mar  1 2024  12:00:00 h", 9),
            ("Mar  1 2024x12:00:00 h", 9),
            ("Mar  1 202 12:00:00 h", 9),
            ("Mar  1 20245 12:00:00 h", 9),
            // A year's time must end like a yearless one.
            ("Mar  1 2024 12:00:00x h", 20),
            ("Mar  1 2024 12:00:00:x h", 20),
            ("Mar  1 12:00:00:x h", 15),
        ];
        assert_invalid_timestamps(&ctx, cases);
    }

    #[test]
    fn tags_with_sub_program_pid_and_plain() {
        let ctx = ctx_at(2024, 7, 1);
        let r = parse(
            "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass",
            &ctx,
        )
        .expect("parses");
        assert_eq!(r.app, Some("sshd"));
        assert_eq!(r.sub_program, Some("pam_unix"));
        assert_eq!(r.pid, Some(19939));
        assert_eq!(r.message, "check pass");
        let r = parse("Jun 14 15:16:01 combo logrotate: ALERT exited", &ctx).expect("parses");
        assert_eq!(
            (r.app, r.sub_program, r.pid),
            (Some("logrotate"), None, None)
        );
        let r = parse("Jun 14 15:16:01 combo gdm(pam_unix): x", &ctx).expect("parses");
        assert_eq!(
            (r.app, r.sub_program, r.pid),
            (Some("gdm"), Some("pam_unix"), None)
        );
        // `prog[pid]` without a colon.
        let r = parse("Jun 14 15:16:01 combo ftpd[123] connection from x", &ctx).expect("parses");
        assert_eq!((r.app, r.pid), (Some("ftpd"), Some(123)));
        assert_eq!(r.message, "connection from x");
        // Non-numeric pid text is kept but not converted.
        let r = parse("Jun 14 15:16:01 combo app[main]: x", &ctx).expect("parses");
        assert_eq!((r.procid, r.pid), (Some("main"), None));
        // Only one space after the colon is part of the tag.
        let r = parse("Jun 14 15:16:01 combo kernel:  BIOS-e820: x", &ctx).expect("parses");
        assert_eq!(r.message, " BIOS-e820: x");
        // A line whose tag is not recognisable keeps the text as message.
        let r = parse("Jun 14 15:16:01 combo syslogd 1.4.1: restart.", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app), (Some("combo"), None));
        assert_eq!(r.message, "syslogd 1.4.1: restart.");
        let r = parse("Jun 14 15:16:01 combo  -- root[2421]: ROOT LOGIN", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app), (Some("combo"), None));
        assert_eq!(r.message, " -- root[2421]: ROOT LOGIN");
    }

    #[test]
    fn missing_and_empty_hostnames() {
        let ctx = ctx_at(2024, 7, 1);
        let r = parse("<13>Jun 14 15:16:01 sshd[1]: hello", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app, r.pid), (None, Some("sshd"), Some(1)));
        assert_eq!(r.message, "hello");
        let r = parse("Jun 14 15:16:01 su: hello", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app), (None, Some("su")));
        // Empty hostname field: two spaces.
        let r = parse("Jun 14 15:16:01  cron[5]: job", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app, r.pid), (None, Some("cron"), Some(5)));
        // Header only.
        let r = parse("Jun 14 15:16:01 onlyhost", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app), (Some("onlyhost"), None));
        assert_eq!(r.message, "");
        let r = parse("Jun 14 15:16:01", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app, r.message_raw), (None, None, ""));
    }

    #[test]
    fn rfc3164_hostnames_that_are_ip_addresses() {
        let ctx = ctx_at(2024, 7, 1);
        for host in [
            "10.1.2.3",
            "2001:db8::1",
            "fe80::1",
            "::1",
            "2001:db8:0:0:0:0:0:7",
        ] {
            let line = format!("<13>Jan  5 01:02:03 {host} sshd[12]: hi");
            let r = parse(&line, &ctx).expect("parses");
            assert_eq!(r.hostname, Some(host), "{line}");
            assert_eq!((r.app, r.pid), (Some("sshd"), Some(12)), "{line}");
            assert_eq!(r.message, "hi", "{line}");
        }
        // Without a tag after it.
        let r = parse("Jan  5 01:02:03 2001:db8::1 plain text", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app), (Some("2001:db8::1"), None));
        assert_eq!(r.message, "plain text");
        // A hostless `prog:` tag that is not an address is still a tag.
        let r = parse("Jan  5 01:02:03 cafe: hi", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app), (None, Some("cafe")));
    }

    #[test]
    fn octal_escapes_in_messages() {
        let ctx = ctx_at(2024, 7, 1);
        let r = parse("Jun 14 15:16:01 h p[1]: a#011b#012c", &ctx).expect("parses");
        assert_eq!(r.message, "a\tb\nc");
        assert_eq!(r.message_raw, "a#011b#012c");
        assert!(matches!(r.message, Cow::Owned(_)));
    }

    #[test]
    fn rfc5424_full() {
        let ctx = ctx_at(2024, 7, 1);
        let line = "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time";
        let r = parse(line, &ctx).expect("parses");
        assert_eq!(r.format, SyslogFormat::Rfc5424);
        assert_eq!(r.version, Some(1));
        assert_eq!(r.time_ms, ms(2003, 8, 24, 12, 14, 15));
        assert_eq!(r.utc_offset_secs, Some(-7 * 3600));
        assert_eq!(r.time_source, TimeSource::Explicit);
        assert_eq!(r.hostname, Some("192.0.2.1"));
        assert_eq!(r.app, Some("myproc"));
        assert_eq!((r.procid, r.pid), (Some("8710"), Some(8710)));
        assert_eq!(r.msgid, None);
        assert!(r.structured_data.is_empty());
        assert_eq!(r.message, "%% It's time");
    }

    #[test]
    fn rfc5424_nil_values_bom_and_no_message() {
        let ctx = ctx_at(2024, 7, 1);
        let r = parse("<34>1 - - - - - -", &ctx).expect("parses");
        assert_eq!(r.time_ms, ctx.reference_ms);
        assert_eq!(r.time_source, TimeSource::Reference);
        assert_eq!(r.utc_offset_secs, None);
        assert_eq!(
            (r.hostname, r.app, r.procid, r.msgid),
            (None, None, None, None)
        );
        assert_eq!(r.message, "");
        let r = parse(
            "<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 - \u{feff}'su root' failed",
            &ctx,
        )
        .expect("parses");
        assert_eq!(r.msgid, Some("ID47"));
        assert_eq!(r.message, "'su root' failed");
        assert_eq!(r.time_ms, ms(2003, 10, 11, 22, 14, 15) + 3);
    }

    #[test]
    fn rfc5424_structured_data_with_escapes() {
        let ctx = ctx_at(2024, 7, 1);
        let line = r#"<165>1 2003-10-11T22:14:15.003Z h evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="App\"li\]c\\a" eventID="1011"][examplePriority@32473 class="high" path="C:\tmp"]"#;
        let r = parse(line, &ctx).expect("parses");
        assert_eq!(r.structured_data.len(), 2);
        let e = &r.structured_data[0];
        assert_eq!(e.id, "exampleSDID@32473");
        assert_eq!(e.params.len(), 3);
        assert_eq!(e.param("eventSource"), Some(r#"App"li]c\a"#));
        assert_eq!(r.sd_param("examplePriority@32473", "class"), Some("high"));
        // Unknown escapes stay literal.
        assert_eq!(r.sd_param("examplePriority@32473", "path"), Some(r"C:\tmp"));
        assert_eq!(r.message, "");
        let r = parse(r#"<1>1 - h a p m [id] msg"#, &ctx).expect("parses");
        assert_eq!(r.structured_data[0].params.len(), 0);
        assert_eq!(r.message, "msg");
    }

    #[test]
    fn rfc5424_errors_name_the_problem() {
        let ctx = ctx_at(2024, 7, 1);
        let cases: &[(&str, ErrorKind, u64)] = &[
            (
                "<34>1 2003-10-11T22:14:15Z host app",
                ErrorKind::Truncated,
                35,
            ),
            (
                "<34>1 2003-10-11T22:14:15Z h a p m x",
                ErrorKind::InvalidStructuredData,
                35,
            ),
            (
                "<34>1 2003-10-11T22:14:15Z h a p m [x k=\"v]",
                ErrorKind::Truncated,
                41,
            ),
            (
                "<34>1 2003-10-11T22:14:15Z h a p m [x k=v]",
                ErrorKind::InvalidStructuredData,
                40,
            ),
            (
                "<34>1 2003-10-11T22:14:15Z h a p m [x k=\"v\"]x",
                ErrorKind::InvalidStructuredData,
                44,
            ),
            (
                "<34>1 2003-13-11T22:14:15Z h a p m -",
                ErrorKind::InvalidTimestamp,
                11,
            ),
            (
                "<34>1 2003-10-11T22:14:15Z  a p m -",
                ErrorKind::InvalidHeader,
                27,
            ),
        ];
        for (line, kind, off) in cases {
            let e = parse(line, &ctx).expect_err(line);
            assert_eq!(e.kind(), *kind, "{line}: {e}");
            assert_eq!(e.offset(), Some(*off), "{line}: {e}");
            assert_eq!(e.format(), Format::Syslog);
            assert!(!e.is_retryable());
        }
    }

    #[test]
    fn rfc3339_prefixed_lines() {
        let ctx = ctx_at(2024, 7, 1);
        let r = parse(
            "2024-01-02T03:04:05.123456+01:00 host prog[77]: hi#011there",
            &ctx,
        )
        .expect("parses");
        assert_eq!(r.format, SyslogFormat::Rfc3339);
        assert_eq!(r.time_ms, ms(2024, 1, 2, 2, 4, 5) + 123);
        assert_eq!(r.utc_offset_secs, Some(3600));
        assert_eq!(
            (r.hostname, r.app, r.pid),
            (Some("host"), Some("prog"), Some(77))
        );
        assert_eq!(r.message, "hi\tthere");
        let r = parse("<30>2024-01-02T03:04:05Z host systemd[1]: Started", &ctx).expect("parses");
        assert_eq!(r.severity, Some(6));
        assert_eq!(r.time_ms, ms(2024, 1, 2, 3, 4, 5));
    }

    #[test]
    fn header_errors() {
        let ctx = ctx_at(2024, 7, 1);
        let cases: &[(&str, ErrorKind, u64)] = &[
            ("", ErrorKind::Empty, 0),
            ("  \r\n", ErrorKind::Empty, 0),
            ("<>Jun 14 15:16:01 h p: m", ErrorKind::InvalidPriority, 1),
            ("<192>Jun 14 15:16:01 h p: m", ErrorKind::InvalidPriority, 1),
            (
                "<1234>Jun 14 15:16:01 h p: m",
                ErrorKind::InvalidPriority,
                0,
            ),
            ("<12Jun 14 15:16:01 h p: m", ErrorKind::InvalidPriority, 3),
            ("hello world", ErrorKind::InvalidTimestamp, 0),
            ("Jun 14 25:16:01 h p: m", ErrorKind::InvalidTimestamp, 7),
            ("Jun 14 15:16:01x h p: m", ErrorKind::InvalidTimestamp, 15),
            ("Jun 144 15:16:01 h", ErrorKind::InvalidTimestamp, 4),
            ("Jun 00 15:16:01 h", ErrorKind::InvalidTimestamp, 4),
            (
                "2024-01-02T03:04:05 h p: m",
                ErrorKind::InvalidTimestamp,
                19,
            ),
        ];
        for (line, kind, off) in cases {
            let e = parse(line, &ctx).expect_err(line);
            assert_eq!(e.kind(), *kind, "{line:?}: {e}");
            assert_eq!(e.offset(), Some(*off), "{line:?}: {e}");
        }
    }

    #[test]
    fn multiline_joins_sudo_continuations() {
        let ctx = ctx_at(2024, 7, 1);
        let mut ml = Multiline::new(ctx);
        let lines = [
            "Jun 14 10:00:00 h sudo:    alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/cp a",
            "Jun 14 10:00:00 h sudo:    alice : (command continued) b#011c",
            "Jun 14 10:00:00 h sudo:    alice : (command continued) d",
            "Jun 14 10:00:01 h sshd[9]: other",
            // A continuation whose program differs from the previous record.
            "Jun 14 10:00:02 h sudo: (command continued) orphan",
        ];
        let mut out = Vec::new();
        for l in lines {
            out.extend(ml.push(l).expect("parses"));
        }
        out.extend(ml.finish());
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].line_count(), 3);
        let r = out[0].parse(&ctx).expect("joined parses");
        assert_eq!(r.app, Some("sudo"));
        assert_eq!(
            r.message,
            "   alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/cp a b\tc d"
        );
        assert_eq!(out[1].line_count(), 1);
        assert_eq!(out[2].text(), lines[4]);
        assert_eq!(out[2].clone().into_text(), lines[4]);
        assert!(ml.finish().is_none());
    }

    #[test]
    fn multiline_respects_pid_errors_and_limits() {
        let ctx = ctx_at(2024, 7, 1);
        let mut ml = Multiline::new(ctx).with_marker("(cont)").with_max_len(60);
        assert!(
            ml.push("Jun 14 10:00:00 h app[1]: start")
                .expect("ok")
                .is_none()
        );
        // Same program, other pid: not joined.
        let out = ml.push("Jun 14 10:00:00 h app[2]: (cont) x").expect("ok");
        assert_eq!(out.map(|j| j.line_count()), Some(1));
        // A bad line is an error and leaves the pending record alone.
        assert!(ml.push("garbage").is_err());
        assert!(
            ml.push("Jun 14 10:00:00 h app[2]: (cont) y")
                .expect("ok")
                .is_none()
        );
        // Over the length cap: starts a new record instead of growing.
        let out = ml
            .push("Jun 14 10:00:00 h app[2]: (cont) zzzzzzzzzzzzzzzzzzzzzzzz")
            .expect("ok")
            .expect("previous emitted");
        assert_eq!(out.text(), "Jun 14 10:00:00 h app[2]: (cont) x y");
        assert_eq!(out.line_count(), 2);
        assert_eq!(ml.finish().map(|j| j.line_count()), Some(1));
    }
}

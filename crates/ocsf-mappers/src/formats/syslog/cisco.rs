//! The Cisco IOS, IOS-XE and ASA header rules of the RFC 3164 shape: what a
//! Cisco device writes before the month, and the zone name after the time.
//!
//! IOS writes `<PRI>[SEQ: ][ORIGIN: ][SEQ: ][TIMESTAMP: ]%FACILITY-SEVERITY-MNEMONIC:
//! text` ([`header`]):
//!
//! * `SEQ` — a message number: digits, `:` and a space. Not kept. The first
//!   is the counter of messages sent to a syslog host (`logging
//!   message-counter syslog`) or, alone, the device's `service
//!   sequence-numbers` number; when both are on, IOS writes the counter
//!   first and the sequence number right before the time
//!   (`<187>56: 000052: *Mar  1 ...`). A second number is read only when a
//!   time or a Cisco tag follows it.
//! * `ORIGIN` — `logging origin-id hostname|ip|string`: one word, `:` and a
//!   space, after a first number (the order IOS writes, as in
//!   `<189>123: router1: *Mar  1 ...` and `<189>5: router1: 000123: Jan 10 ...`).
//!   It becomes the record's hostname. A `string` id with spaces (allowed
//!   in the configuration when quoted) is not read: the line stays refused.
//! * `TIMESTAMP` — `service timestamps log datetime`: an optional clock-status
//!   marker (`*` not authoritative, `.` not NTP-synced) and the usual
//!   `Mmm dd [yyyy] hh:mm:ss[.mmm] [ZONE]` ([`zone_name`]);
//!   `service timestamps log uptime`: the time since boot (`00:01:23`,
//!   `1d02h`, `1w2d`, `3y12w`), which is not a wall-clock time and is not
//!   kept; or nothing at all (`no service timestamps`).
//!
//! A line without a wall-clock time is only read as Cisco's when the
//! `%FACILITY-SEVERITY-MNEMONIC:` tag ([`is_mnemonic_tag`]) follows, so that
//! any other text after a number (`<189>123: hello`) is still refused.

use super::SyslogRecord;
use crate::formats::time::month_from_abbrev;

/// What [`header`] found before the month or the tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stamp {
    /// A wall-clock time: its month should be at [`Header::at`] (after any
    /// clock-status marker); the caller reads or refuses it.
    Clock,
    /// An uptime or no time at all: the `%FACILITY-SEVERITY-MNEMONIC:` tag
    /// is at [`Header::at`].
    NoClock,
}

/// The Cisco text before a line's time or tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Header<'a> {
    /// The origin id, when one was written.
    pub origin: Option<&'a str>,
    /// What follows the prefix.
    pub stamp: Stamp,
    /// Where the month ([`Stamp::Clock`]) or the tag ([`Stamp::NoClock`]) is.
    pub at: usize,
}

/// Reads what Cisco IOS may write between the PRI (at `at`) and the month or
/// the tag (see the [module docs](self)). A line that starts with its month
/// costs a few byte compares and gives [`Stamp::Clock`] at `at`; anything
/// not recognised is left as [`Stamp::Clock`] for the month reader to read
/// or refuse, as before these forms were read.
pub(super) fn header(line: &str, at: usize) -> Header<'_> {
    let b = line.as_bytes();
    // Only a sequence number, an uptime (digits) or a tag without a time (`%`) come before
    // what is not a month: a line that starts otherwise (its month, a clock-status marker) is
    // not looked at further (the checks below cost about 140 instructions per line).
    if !matches!(b.get(at), Some(b'0'..=b'9' | b'%')) {
        return Header {
            origin: None,
            stamp: Stamp::Clock,
            at: at + usize::from(matches!(b.get(at), Some(b'*' | b'.'))),
        };
    }
    let first = sequence_number_end(b, at);
    let (origin, i) = match (first > at).then(|| origin_id(line, first)).flatten() {
        Some((origin, next)) => (Some(origin), next),
        None => (None, first),
    };
    // After the message counter (and the origin id), the device's own counter.
    let i = if first > at {
        stamp_start(line, i).unwrap_or(i)
    } else {
        i
    };
    match no_clock_tag(line, i) {
        Some(tag) => Header {
            origin,
            stamp: Stamp::NoClock,
            at: tag,
        },
        None => Header {
            origin,
            stamp: Stamp::Clock,
            at: i + usize::from(matches!(b.get(i), Some(b'*' | b'.'))),
        },
    }
}

/// The index after a sequence number at `b[at..]` (digits, `:` and a space,
/// as in `<189>000123: Mar  1 ...`), or `at` when there is none.
fn sequence_number_end(b: &[u8], at: usize) -> usize {
    let n = b
        .get(at..)
        .unwrap_or_default()
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if n > 0 && b.get(at + n) == Some(&b':') && b.get(at + n + 1) == Some(&b' ') {
        at + n + 2
    } else {
        at
    }
}

/// Where the time or tag after the message counter starts: at `at` itself
/// when a stamp ([`is_stamp`]) is there, or after a second number (digits,
/// `:` and a space) when a stamp follows it. With both `logging
/// message-counter syslog` (on by default) and `service sequence-numbers`,
/// IOS writes two numbers, the counter first and the device's sequence
/// number last (`<187>56: 000052: *Mar  1 ...`), with the origin id between
/// them (`<189>5: router1: 000123: Jan 10 ...`). `None` when neither holds.
fn stamp_start(line: &str, at: usize) -> Option<usize> {
    if is_stamp(line, at) {
        return Some(at);
    }
    let next = sequence_number_end(line.as_bytes(), at);
    (next > at && is_stamp(line, next)).then_some(next)
}

/// Whether a Cisco time or tag starts at `line[at..]`: a month and a space
/// after an optional clock-status marker, or what [`no_clock_tag`] accepts.
fn is_stamp(line: &str, at: usize) -> bool {
    let b = line.as_bytes();
    let month_at = at + usize::from(matches!(b.get(at), Some(b'*' | b'.')));
    let month = match b.get(month_at..month_at + 4) {
        Some([m @ .., b' ']) => month_from_abbrev(m).is_some(),
        _ => false,
    };
    month || no_clock_tag(line, at).is_some()
}

/// Whether `id` names a device as IOS and NX-OS write it before a time: a
/// host name, IPv4 address or string of ASCII letters, digits, `.`, `-` and
/// `_`, or an IPv6 address; never empty. IOS writes `logging origin-id
/// string` text as one word; a string with spaces is not read.
pub(super) fn is_device_id(id: &str) -> bool {
    let name = id
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'));
    !id.is_empty() && (name || id.parse::<std::net::Ipv6Addr>().is_ok())
}

/// An origin id at `line[at..]`: a word that [`is_device_id`], ending in
/// `:`, then a space, followed by a stamp, possibly after the device's
/// sequence number ([`stamp_start`]). Returns the id and where the text
/// after it starts. A word that is only digits is a number and an uptime
/// (`1d02h:`) is a time: neither is an origin id.
fn origin_id(line: &str, at: usize) -> Option<(&str, usize)> {
    let rest = line.get(at..)?;
    let word = rest.split(' ').next()?;
    let id = word.strip_suffix(':')?;
    if !is_device_id(id)
        || id.bytes().all(|c| c.is_ascii_digit())
        || uptime_len(rest.as_bytes()).is_some()
    {
        return None;
    }
    let next = at + word.len() + 1;
    if line.as_bytes().get(next - 1) != Some(&b' ') {
        return None;
    }
    stamp_start(line, next).map(|_| (id, next))
}

/// Where the `%FACILITY-SEVERITY-MNEMONIC:` tag of a line without a
/// wall-clock time is: at `at` itself (no timestamp), or after an uptime and
/// its `: ` (`1d02h: %SYS-...`). `None` when no such tag is there.
fn no_clock_tag(line: &str, at: usize) -> Option<usize> {
    let tag = at + uptime_len(line.as_bytes().get(at..)?).map_or(0, |n| n + 2);
    is_mnemonic_tag(line.get(tag..)?).then_some(tag)
}

/// The length of an uptime at the start of `b` that is followed by `: `:
/// `hh:mm:ss` (under a day) or two numbers with units, `1d02h`, `1w2d` or
/// `3y12w` (days and hours, weeks and days, years and weeks).
fn uptime_len(b: &[u8]) -> Option<usize> {
    let n = hms_len(b).or_else(|| units_len(b))?;
    (b.get(n) == Some(&b':') && b.get(n + 1) == Some(&b' ')).then_some(n)
}

/// `hh:mm:ss` at the start of `b`, hours below 24: 8 bytes.
fn hms_len(b: &[u8]) -> Option<usize> {
    let two = |i: usize, max: u8| {
        let (t, u) = (*b.get(i)?, *b.get(i + 1)?);
        (t.is_ascii_digit() && u.is_ascii_digit() && (t - b'0') * 10 + (u - b'0') <= max)
            .then_some(())
    };
    two(0, 23)?;
    two(3, 59)?;
    two(6, 59)?;
    (b.get(2) == Some(&b':') && b.get(5) == Some(&b':')).then_some(8)
}

/// `<digits><unit><digits><unit>` at the start of `b`, with the unit pairs
/// IOS writes: `d`/`h`, `w`/`d`, `y`/`w`.
fn units_len(b: &[u8]) -> Option<usize> {
    let count = |from: usize| {
        b.get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let n = count(0);
    let big = *b.get(n)?;
    let m = count(n + 1);
    let small = *b.get(n + 1 + m)?;
    let units_ok = matches!((big, small), (b'd', b'h') | (b'w', b'd') | (b'y', b'w'));
    ((1..=5).contains(&n) && (1..=2).contains(&m) && units_ok).then_some(n + m + 2)
}

/// Whether `s` starts with a Cisco message tag,
/// `%FACILITY[-SUBFACILITY]-SEVERITY-MNEMONIC:` followed by a space or the
/// end: `%`, at least three `-`-separated words of ASCII letters, digits and
/// `_`, the first starting with a letter, the one before the last a severity
/// digit `0`-`7` (`%SYS-5-CONFIG_I:`, `%ASA-6-302013:`,
/// `%C4K_HWACLMAN-4-CLASSIFCHANGE2:`).
pub(super) fn is_mnemonic_tag(s: &str) -> bool {
    message_tag(s).is_some()
}

/// The severity digit and the mnemonic (the last word) of the Cisco message
/// tag that [`is_mnemonic_tag`] accepts at the start of `s`; `None` when
/// there is none.
fn message_tag(s: &str) -> Option<(u8, &str)> {
    let body = s.strip_prefix('%')?;
    let (tag, rest) = body.split_once(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    // The severity is the word before the last one.
    let (mut words, mut before_last, mut last) = (0, None, None);
    let mut mnemonic = "";
    for w in tag.split('-') {
        let letter_first = words > 0 || w.starts_with(|c: char| c.is_ascii_alphabetic());
        if w.is_empty()
            || !letter_first
            || !w.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            return None;
        }
        let digit = match w.as_bytes() {
            [d @ b'0'..=b'7'] => Some(d - b'0'),
            _ => None,
        };
        (before_last, last, mnemonic) = (last, digit, w);
        words += 1;
    }
    let severity = before_last.filter(|_| words >= 3)?;
    Some((severity, mnemonic))
}

/// What the Cisco message tag in a record's `app` says besides the program:
/// without a `<PRI>`, its severity digit is the record's severity (the
/// facility stays unknown), and an NX-OS `SYSTEM_MSG` that names the Linux
/// program it wraps becomes that program's message
/// ([`nxos::wrapped_program`](super::nxos::wrapped_program)). A record whose
/// `app` does not start with `%` costs a byte compare or two.
#[inline(always)]
pub(super) fn read_tag(rec: &mut SyslogRecord<'_>) {
    if rec
        .app
        .is_some_and(|app| app.as_bytes().first() == Some(&b'%'))
    {
        tag_facts(rec);
    }
}

/// [`read_tag`] of a record whose `app` starts with `%`: the tag must be one
/// as written in the line, followed by `:` ([`is_mnemonic_tag`]), so a pid or
/// sub-program after it (`%SYS-5-X[12]:`) or any other `%word` is not read.
///
/// A `<PRI>` wins over the tag when both are written: it is what the device
/// sent, Cisco derives it from the message's severity (the two agree unless
/// the PRI was rewritten on the way), and the record's PRI
/// ([`SyslogRecord::priority`]) must stay the written one.
#[inline(never)]
fn tag_facts(rec: &mut SyslogRecord<'_>) {
    let Some(app) = rec.app else {
        return;
    };
    let line = rec.raw;
    let Some((severity, mnemonic)) = super::offset_in(line, app)
        .and_then(|at| line.get(at..))
        .and_then(message_tag)
    else {
        return;
    };
    if rec.severity.is_none() {
        rec.severity = Some(severity);
    }
    if mnemonic == "SYSTEM_MSG" {
        super::nxos::wrapped_program(rec, app);
    }
}

/// A zone name written after the time, as Cisco's `show-timezone` does
/// (`00:01:23.456 UTC: %SYS-5-CONFIG_I: ...`): one space at `b[end]`, a
/// name from [`ZONE_NAMES`], then `:` followed by a space or the end of the
/// line. Returns the index of that colon (the time then ends there, as in
/// the caller's host-field rule) and whether the name is a zero-offset one
/// (`UTC`, `GMT`, `UCT`, `ZULU`), which is read at offset 0 instead of the
/// context's. Any other name (`CET`, `EST`, `IST`) is ambiguous and keeps
/// the context's offset. A hostname is followed by a space, never by `:`, so
/// `01:02:03 HOST app: msg` has no zone; only known abbreviations count, so
/// a hostless tag such as `01:02:03 CRON: msg` stays a tag. A configured name
/// outside the list is read as the tag, as before.
pub(super) fn zone_name(b: &[u8], end: usize) -> Option<(usize, bool)> {
    if b.get(end) != Some(&b' ') || !b.get(end + 1).is_some_and(u8::is_ascii_uppercase) {
        return None;
    }
    let name = b.get(end + 1..)?;
    let n = name.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let colon = end + 1 + n;
    if !(3..=4).contains(&n)
        || b.get(colon) != Some(&b':')
        || !matches!(b.get(colon + 1), None | Some(b' '))
    {
        return None;
    }
    let name = name.get(..n)?;
    if !ZONE_NAMES.contains(&name) {
        return None;
    }
    let zero = matches!(name, b"UTC" | b"GMT" | b"UCT" | b"ZULU");
    Some((colon, zero))
}

/// The zone abbreviations [`zone_name`] reads after a time: the zero-offset
/// names and the common abbreviations of Europe, the Americas, Asia and
/// Oceania (three or four letters).
const ZONE_NAMES: &[&[u8]] = &[
    b"UTC", b"GMT", b"UCT", b"ZULU", b"WET", b"WEST", b"BST", b"IST", b"CET", b"CEST", b"EET",
    b"EEST", b"MSK", b"SAST", b"EST", b"EDT", b"CST", b"CDT", b"MST", b"MDT", b"PST", b"PDT",
    b"AKST", b"AKDT", b"HST", b"AST", b"ADT", b"NST", b"NDT", b"BRT", b"ART", b"JST", b"KST",
    b"HKT", b"SGT", b"PHT", b"WIB", b"AEST", b"AEDT", b"ACST", b"ACDT", b"AWST", b"NZST", b"NZDT",
];

#[cfg(test)]
mod tests {
    use super::super::{SyslogFormat, TimeSource, parse};
    use super::*;
    use crate::error::ErrorKind;
    use crate::formats::time::civil_to_epoch_ms;

    use super::super::cisco_test_context as ctx;

    /// Each line parses as a Cisco line with no wall-clock time: the
    /// reference time, no offset, `<189>`'s facility and severity when a
    /// PRI is written, and the given host, tag and message.
    fn assert_no_clock(cases: &[(&str, Option<&str>, &str, &str)]) {
        let ctx = ctx();
        for &(line, host, app, message) in cases {
            let r = parse(line, &ctx).expect(line);
            assert_eq!(r.format, SyslogFormat::Rfc3164, "{line}");
            assert_eq!(r.time_ms, ctx.reference_ms, "{line}");
            assert_eq!(r.time_source, TimeSource::Reference, "{line}");
            assert_eq!(r.utc_offset_secs, None, "{line}");
            if line.starts_with("<189>") {
                assert_eq!((r.facility, r.severity), (Some(23), Some(5)), "{line}");
            }
            assert_eq!((r.hostname, r.app), (host, Some(app)), "{line}");
            assert_eq!((r.sub_program, r.procid), (None, None), "{line}");
            assert_eq!(r.message, message, "{line}");
            assert_eq!(r.raw, line);
        }
    }

    /// Each line fails with `InvalidTimestamp` at its offset, as before the
    /// Cisco forms without a wall-clock time were read.
    fn assert_refused(cases: &[(&str, u64)]) {
        for &(line, off) in cases {
            let e = parse(line, &ctx()).expect_err(line);
            assert_eq!(e.kind(), ErrorKind::InvalidTimestamp, "{line:?}: {e}");
            assert_eq!(e.offset(), Some(off), "{line:?}: {e}");
        }
    }

    #[test]
    fn no_timestamp_uses_the_reference_clock() {
        // `no service timestamps`, with and without a sequence number.
        let text = "Configured from console by vty0 (10.0.0.5)";
        assert_no_clock(&[
            (
                "<189>123: %SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.5)",
                None,
                "%SYS-5-CONFIG_I",
                text,
            ),
            (
                "<189>%SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.5)",
                None,
                "%SYS-5-CONFIG_I",
                text,
            ),
            ("000045: %SYS-5-CONFIG_I: m", None, "%SYS-5-CONFIG_I", "m"),
            ("%ASA-6-302013: Built", None, "%ASA-6-302013", "Built"),
            ("<189>12: %SYS-5-CONFIG_I:", None, "%SYS-5-CONFIG_I", ""),
            (
                "<187>%C4K_HWACLMAN-4-CLASSIFCHANGE2: x",
                None,
                "%C4K_HWACLMAN-4-CLASSIFCHANGE2",
                "x",
            ),
            (
                "<187>%PM-SP-4-ERR_DISABLE: x",
                None,
                "%PM-SP-4-ERR_DISABLE",
                "x",
            ),
        ]);
    }

    #[test]
    fn origin_id_before_no_timestamp_is_the_hostname() {
        // `logging origin-id hostname | ip | string`.
        assert_no_clock(&[
            (
                "<189>123: router1: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up",
                Some("router1"),
                "%LINK-3-UPDOWN",
                "Interface Gi0/1, changed state to up",
            ),
            (
                "<189>7: 192.0.2.1: %SYS-5-X: m",
                Some("192.0.2.1"),
                "%SYS-5-X",
                "m",
            ),
            (
                "<189>7: 2001:db8::1: %SYS-5-X: m",
                Some("2001:db8::1"),
                "%SYS-5-X",
                "m",
            ),
            (
                "<189>7: core-sw.example: %SYS-5-X: m",
                Some("core-sw.example"),
                "%SYS-5-X",
                "m",
            ),
            (
                "<189>7: r1: 1d02h: %SYS-5-X: m",
                Some("r1"),
                "%SYS-5-X",
                "m",
            ),
        ]);
        // Not an uptime IOS writes, so a host name (which may start with a
        // digit) when a Cisco tag follows.
        assert_no_clock(&[
            (
                "<189>45: 1h02d: %SYS-5-X: m",
                Some("1h02d"),
                "%SYS-5-X",
                "m",
            ),
            ("<189>45: 1d: %SYS-5-X: m", Some("1d"), "%SYS-5-X", "m"),
            (
                "<189>45: 1d123h: %SYS-5-X: m",
                Some("1d123h"),
                "%SYS-5-X",
                "m",
            ),
        ]);
    }

    #[test]
    fn uptime_is_not_a_wall_clock_time() {
        // `service timestamps log uptime`: under a day, days and hours,
        // weeks and days, years and weeks. The uptime is not kept.
        assert_no_clock(&[
            (
                "<189>45: 1d02h: %SYS-5-CONFIG_I: Configured",
                None,
                "%SYS-5-CONFIG_I",
                "Configured",
            ),
            (
                "<189>45: 00:01:23: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up",
                None,
                "%LINK-3-UPDOWN",
                "Interface Gi0/1, changed state to up",
            ),
            ("<189>45: 23:59:59: %SYS-5-X: m", None, "%SYS-5-X", "m"),
            ("<189>45: 1w2d: %SYS-5-X: m", None, "%SYS-5-X", "m"),
            ("<189>45: 3y12w: %SYS-5-X: m", None, "%SYS-5-X", "m"),
            ("<189>45: 12345d23h: %SYS-5-X: m", None, "%SYS-5-X", "m"),
            ("<189>1d02h: %SYS-5-X: m", None, "%SYS-5-X", "m"),
            ("00:00:46: %LINK-3-UPDOWN: up", None, "%LINK-3-UPDOWN", "up"),
        ]);
    }

    #[test]
    fn origin_id_before_a_wall_clock_time() {
        let ctx = ctx();
        let r = parse(
            "<189>123: router1: Mar  1 00:01:23.456 UTC: %SYS-5-CONFIG_I: Configured",
            &ctx,
        )
        .expect("parses");
        assert_eq!(r.time_ms, civil_to_epoch_ms(2024, 3, 1, 0, 1, 23, 456));
        assert_eq!(r.time_source, TimeSource::YearInferred);
        assert_eq!(r.utc_offset_secs, Some(0));
        assert_eq!(
            (r.hostname, r.app),
            (Some("router1"), Some("%SYS-5-CONFIG_I"))
        );
        assert_eq!(r.message, "Configured");
        // With a clock-status marker and a year, at the context's offset.
        let r =
            parse("<189>9: 10.0.0.1: *Mar  1 2023 00:01:23: %SYS-5-X: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, civil_to_epoch_ms(2023, 2, 28, 23, 1, 23, 0));
        assert_eq!(r.time_source, TimeSource::Explicit);
        assert_eq!((r.hostname, r.app), (Some("10.0.0.1"), Some("%SYS-5-X")));
        // A time that ends the line.
        let r = parse("9: r1: Mar  1 00:01:23:", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app, r.message_raw), (Some("r1"), None, ""));
    }

    #[test]
    fn message_counter_and_sequence_number_before_the_time() {
        let ctx = ctx();
        let r = parse(
            "<187>56: 000052: *Mar  1 18:46:11.351 UTC: %LINK-3-UPDOWN: Interface FastEthernet0/1, changed state to down",
            &ctx,
        )
        .expect("parses");
        assert_eq!(r.time_ms, civil_to_epoch_ms(2024, 3, 1, 18, 46, 11, 351));
        assert_eq!(r.time_source, TimeSource::YearInferred);
        assert_eq!(r.utc_offset_secs, Some(0));
        assert_eq!((r.hostname, r.app), (None, Some("%LINK-3-UPDOWN")));
        assert_eq!(
            r.message,
            "Interface FastEthernet0/1, changed state to down"
        );
        // The origin id between the two numbers; no zone: the context's offset.
        let r = parse(
            "<189>5: router1: 000123: Jan 10 10:11:12.345: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.0.0.5)",
            &ctx,
        )
        .expect("parses");
        assert_eq!(r.time_ms, civil_to_epoch_ms(2024, 1, 10, 9, 11, 12, 345));
        assert_eq!(r.utc_offset_secs, Some(3600));
        assert_eq!(
            (r.hostname, r.app),
            (Some("router1"), Some("%SYS-5-CONFIG_I"))
        );
        assert_eq!(
            r.message,
            "Configured from console by admin on vty0 (10.0.0.5)"
        );
        // With a year, and with a clock-status dot.
        let r = parse("<189>7: 000008: .Mar  1 2023 00:01:23: %SYS-5-X: m", &ctx).expect("parses");
        assert_eq!(r.time_ms, civil_to_epoch_ms(2023, 2, 28, 23, 1, 23, 0));
        assert_eq!(r.time_source, TimeSource::Explicit);
        // Two numbers before an uptime or before the tag alone.
        assert_no_clock(&[
            ("<189>56: 000052: 1d02h: %SYS-5-X: m", None, "%SYS-5-X", "m"),
            ("<189>56: 000052: %SYS-5-X: m", None, "%SYS-5-X", "m"),
            (
                "<189>56: r1: 000052: 00:01:23: %SYS-5-X: m",
                Some("r1"),
                "%SYS-5-X",
                "m",
            ),
        ]);
    }

    #[test]
    fn near_misses_stay_typed_errors() {
        assert_refused(&[
            // A number followed by text that is not a Cisco tag.
            ("<189>123: hello", 10),
            ("<189>123: router1: hello", 10),
            ("<189>123: CRON: msg", 10),
            ("<13>CRON: msg", 4),
            ("12: x", 4),
            // Not a Cisco tag: severity out of range, too few words, no
            // space after its colon, lower-case or empty words.
            ("<189>123: %SYS-8-X: m", 10),
            ("<189>123: %SYS-X: m", 10),
            ("<189>123: %SYS-5-X:m", 10),
            ("<189>123: %SYS--5-X: m", 10),
            ("<189>123: %5-5-X: m", 10),
            ("<189>123: %SYS-5-: m", 10),
            ("<189>123: %SYS-5-X m", 10),
            ("<189>123: % SYS-5-X: m", 10),
            // An uptime only counts before a Cisco tag, and only as IOS
            // writes it.
            ("<189>45: 1d02h: hello", 9),
            ("<189>45: 1d02h %SYS-5-X: m", 9),
            ("<189>45: 24:00:00: %SYS-5-X: m", 9),
            ("<189>45: 00:60:00: %SYS-5-X: m", 9),
            ("<189>45: 0:01:23: %SYS-5-X: m", 9),
            ("<189>45: *1d02h: %SYS-5-X: m", 10),
            // An origin id needs a sequence number before it, a time or a
            // Cisco tag after it, and the time after it ends with `:` (a
            // second host field would contradict it).
            ("<189>router1: %SYS-5-X: m", 5),
            ("<189>router1: Mar  1 00:01:23: %SYS-5-X: m", 5),
            ("<189>123: router1 %SYS-5-X: m", 10),
            ("<189>123: router1:%SYS-5-X: m", 10),
            ("<189>123: router one: %SYS-5-X: m", 10),
            ("<189>123: 456: 789: %SYS-5-X: m", 10),
            ("<189>123: 456: router1: %SYS-5-X: m", 10),
            ("<189>123: router1: Mar  1 00:01:23 host2 app: m", 34),
            ("<189>123: r1: r2: %SYS-5-X: m", 10),
            ("<189>45: 1d02h: 2d03h: %SYS-5-X: m", 9),
            // A second number only before a time or a Cisco tag, only once,
            // and the origin id only before it.
            ("<189>56: 000052: hello", 9),
            ("<189>56: 000052 Mar  1 00:01:23: %SYS-5-X: m", 9),
            ("<189>56: 000052:Mar  1 00:01:23: %SYS-5-X: m", 9),
            ("<189>56: 000052: 000053: Mar  1 00:01:23: %SYS-5-X: m", 9),
            ("<189>56: 000052: router1: Mar  1 00:01:23: %SYS-5-X: m", 9),
            ("<189>56: router1: 000052: hello", 9),
        ]);
    }

    #[test]
    fn lines_that_parsed_before_are_unchanged() {
        let ctx = ctx();
        // A Linux line whose message starts with a number and a colon.
        let r = parse("Mar  1 00:01:23 host app: 12: x", &ctx).expect("parses");
        assert_eq!(r.time_source, TimeSource::YearInferred);
        assert_eq!((r.hostname, r.app), (Some("host"), Some("app")));
        assert_eq!(r.message, "12: x");
        // A hostless tag, a Cisco tag after a hostname, a sequence number
        // before a time whose message holds an uptime-like text.
        let r = parse("Mar  1 00:01:23 CRON: msg", &ctx).expect("parses");
        assert_eq!(
            (r.hostname, r.app, r.message_raw),
            (None, Some("CRON"), "msg")
        );
        let r = parse("Mar  1 00:01:23 host %SYS-5-X: 1d02h: m", &ctx).expect("parses");
        assert_eq!((r.hostname, r.app), (Some("host"), Some("%SYS-5-X")));
        assert_eq!(r.message, "1d02h: m");
        let r = parse("<189>5: Mar  1 00:01:23: %SYS-5-X: m", &ctx).expect("parses");
        assert_eq!(r.time_source, TimeSource::YearInferred);
        assert_eq!((r.hostname, r.app), (None, Some("%SYS-5-X")));
        // An RFC 5424 line and an RFC 3339 one are not Cisco lines.
        let r = parse("<189>1 - - - - - - %SYS-5-X: m", &ctx).expect("parses");
        assert_eq!(r.format, SyslogFormat::Rfc5424);
        let r = parse("2024-03-01T00:01:23Z host %SYS-5-X: m", &ctx).expect("parses");
        assert_eq!(r.format, SyslogFormat::Rfc3339);
    }

    #[test]
    fn mnemonic_tags() {
        for s in [
            "%SYS-5-CONFIG_I: x",
            "%SYS-5-CONFIG_I:",
            "%ASA-6-302013: x",
            "%LINEPROTO-5-UPDOWN: x",
            "%PM-SP-4-ERR_DISABLE: x",
            "%IOSXE_OIR-6-INSCARD: x",
            "%SYS-0-X: x",
            "%SYS-7-X: x",
        ] {
            assert!(is_mnemonic_tag(s), "{s}");
        }
        for s in [
            "SYS-5-CONFIG_I: x",
            "%SYS-5-CONFIG_I x",
            "%SYS-5-CONFIG_I:x",
            "%SYS-5: x",
            "%SYS-8-X: x",
            "%SYS-55-X: x",
            "%SYS-5-X-Y: x",
            "%-5-X: x",
            "%1SYS-5-X: x",
            "%SYS-5-X.Y: x",
            "%SYS-5-X",
            "%",
            "",
        ] {
            assert!(!is_mnemonic_tag(s), "{s}");
        }
        assert_eq!(message_tag("%SYS-5-CONFIG_I: x"), Some((5, "CONFIG_I")));
        assert_eq!(
            message_tag("%PM-SP-4-ERR_DISABLE:"),
            Some((4, "ERR_DISABLE"))
        );
        assert_eq!(message_tag("%SYS-0-7: x"), Some((0, "7")));
        assert_eq!(message_tag("%SYS-5-X-Y: x"), None);
    }

    #[test]
    fn a_tag_without_a_pri_gives_the_severity() {
        let ctx = ctx();
        for (line, severity) in [
            ("%SYS-0-X: m", 0),
            ("123: %LINK-3-UPDOWN: m", 3),
            ("45: 1d02h: %SYS-7-X: m", 7),
            ("Mar  1 2024 12:00:00: %ASA-6-302013: m", 6),
            ("Mar  1 2024 12:00:00 fw01 : %ASA-4-106023: m", 4),
            ("Mar  1 12:00:00 fw01 %ASA-2-106001: m", 2),
            ("2024-03-01T00:01:23Z host %SEC_LOGIN-5-LOGIN_SUCCESS: m", 5),
            ("10.0.0.1: 2023 Jan 10 10:11:12 CET: %ETHPORT-5-IF_UP: m", 5),
            (
                "Mar  1 18:46:12 10.1.1.1 56: 000052: *Mar  1 18:46:11.351 UTC: %LINK-3-UPDOWN: m",
                3,
            ),
        ] {
            let r = parse(line, &ctx).expect(line);
            assert!(r.app.is_some_and(|a| a.starts_with('%')), "{line}");
            // No facility is made up, so there is still no PRI.
            assert_eq!((r.facility, r.severity), (None, Some(severity)), "{line}");
            assert_eq!(r.priority(), None, "{line}");
            assert_eq!(r.msgid, None, "{line}");
        }
    }

    #[test]
    fn a_pri_wins_and_other_tags_give_no_severity() {
        let ctx = ctx();
        // The PRI says 5, the tag 3: the PRI is what was sent.
        let r = parse("<189>123: %LINK-3-UPDOWN: m", &ctx).expect("parses");
        assert_eq!(
            (r.facility, r.severity, r.priority()),
            (Some(23), Some(5), Some(189))
        );
        let r = parse("<190>Mar  1 12:00:00 fw01 %ASA-2-106001: m", &ctx).expect("parses");
        assert_eq!(r.severity, Some(6));
        for line in [
            "Mar  1 12:00:00 host %foo: m",
            "Mar  1 12:00:00 host %SYS-8-X: m",
            "Mar  1 12:00:00 host %SYS-5: m",
            "Mar  1 12:00:00 host %SYS-5-X[12]: m",
            "Mar  1 12:00:00 host %SYS-5-X(sub): m",
            "Mar  1 12:00:00 host sshd[1]: %SYS-5-X: m",
            "Mar  1 12:00:00 host app: m",
            "Mar  1 12:00:00 host m",
        ] {
            let r = parse(line, &ctx).expect(line);
            assert_eq!((r.facility, r.severity), (None, None), "{line}");
        }
    }
}

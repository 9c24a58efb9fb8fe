//! Cisco messages in a syslog server's file: the server's RFC 3164 (or
//! RFC 3339) header, then the message the device sent without its `<PRI>`.
//!
//! A Cisco message has no program tag, so the server (rsyslog's
//! `%TIMESTAMP% %HOSTNAME% %syslogtag%%msg%`) puts the device's first field
//! where the tag would be:
//!
//! * a number or an uptime, `Mar  1 18:46:12 10.1.1.1 56: 000052: *Mar  1
//!   18:46:11.351 UTC: %LINK-3-UPDOWN: ...` (the tag read as `56`), `... 10.1.1.1
//!   1d02h: %SYS-5-...` or `... 10.1.1.1 00:01:23: %SYS-5-...`;
//! * a clock-status marker and month, `... 10.1.1.1 *Mar  1 18:46:11 UTC:
//!   %SYS-5-...` (no tag read);
//! * NX-OS's empty tag, `... 172.22.22.45 : 2005 Sep 04 18:18:22 UTC:
//!   %AUTHPRIV-3-...`, or its host followed by a year, `... 10.0.0.2 sw01:
//!   2017 Jul 28 ...` (the tag read as `sw01`).
//!
//! [`reread`] reads the text from that position with the rules of a
//! Cisco line on the wire ([`parse_3164`]: `cisco::header`, `nxos::header`,
//! the zone name) and keeps the result only when a
//! `%FACILITY-SEVERITY-MNEMONIC:` tag follows the device's header after `: `.
//! The record then has that tag as `app` and the text after it as the
//! message; its time, offset, `TimeSource`, PRI and hostname stay the server
//! header's. The device's time is never used: it may be a clock that was
//! never set (`*`), a year-old NX-OS clock or a zone the context does not
//! describe, while the server's header is the time the file's writer
//! recorded, read like every other line of the file. The device's own name
//! (an origin id, the NX-OS host) is the hostname only when the server's
//! header has none. Anything else, such as `host 123: hello` or a program
//! tag with a pid, is left as the server's header parsed it.

use super::{LAYOUT_REFERENCE_MS, SyslogContext, SyslogRecord, cisco, offset_in, parse_3164};

/// Re-reads `rec`, a server's line whose tag position holds a Cisco message,
/// as described in the [module docs](self); any other record is left as it
/// is, at the cost of a few byte compares ([`device_part_start`]). `rec` is a
/// BSD-shaped record (RFC 3164 or RFC 3339 header) whose `raw` is the line
/// its fields borrow from.
#[inline(always)]
pub(super) fn reread(rec: &mut SyslogRecord<'_>) {
    if let Some(at) = device_part_start(rec) {
        device_message(rec, at);
    }
}

/// [`reread`] of a record whose device message would start at `at`.
#[inline(never)]
fn device_message(rec: &mut SyslogRecord<'_>, at: usize) {
    let line = rec.raw;
    // Only the layout counts: the device's time is not used, so it must not
    // decide (a `Feb 29` in a year inferred from the caller's clock).
    let layout = SyslogContext::new(LAYOUT_REFERENCE_MS);
    let Ok(dev) = parse_3164(line, None, at, &layout, false) else {
        return;
    };
    let Some(app) = dev.app.filter(|app| {
        offset_in(line, app).is_some_and(|tag| {
            tag > at
                && line.get(..tag).is_some_and(|h| h.ends_with(": "))
                && line.get(tag..).is_some_and(cisco::is_mnemonic_tag)
        })
    }) else {
        return;
    };
    rec.hostname = rec.hostname.or(dev.hostname);
    rec.app = Some(app);
    rec.sub_program = None;
    rec.procid = None;
    rec.pid = None;
    rec.message_raw = dev.message_raw;
    rec.message = dev.message;
}

/// Where the device's message would start in `rec.raw`: at the tag when the
/// tag is a bare word (no pid, no sub-program) that starts with a digit (a
/// number or an uptime) or is followed by a year (`sw01: 2017 Jul ...`), or
/// at the message when no tag was read and it starts with `: ` or a
/// clock-status marker. `None` for every other record, at the cost of a few
/// byte compares.
#[inline]
fn device_part_start(rec: &SyslogRecord<'_>) -> Option<usize> {
    let msg = rec.message_raw.as_bytes();
    match rec.app {
        None if matches!(msg, [b':', b' ', ..] | [b'*' | b'.', ..]) => {
            offset_in(rec.raw, rec.message_raw)
        }
        Some(app) if rec.procid.is_none() && rec.sub_program.is_none() => {
            let digit_first = app.as_bytes().first().is_some_and(u8::is_ascii_digit);
            let year_next = matches!(
                msg,
                [b'0'..=b'9', b'0'..=b'9', b'0'..=b'9', b'0'..=b'9', b' ', ..]
            );
            if digit_first || year_next {
                offset_in(rec.raw, app)
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{SyslogFormat, TimeSource, parse};
    use super::*;
    use crate::formats::time::civil_to_epoch_ms;

    use super::super::cisco_test_context as ctx;

    /// Each line parses with the server header's time (Jan 10 10:11:13 at
    /// UTC+01:00, year inferred) and the given host, Cisco tag and message.
    fn assert_relayed(cases: &[(&str, Option<&str>, &str, &str)]) {
        let ctx = ctx();
        for &(line, host, app, message) in cases {
            let r = parse(line, &ctx).expect(line);
            assert_eq!(r.format, SyslogFormat::Rfc3164, "{line}");
            assert_eq!(
                r.time_ms,
                civil_to_epoch_ms(2024, 1, 10, 9, 11, 13, 0),
                "{line}"
            );
            assert_eq!(r.time_source, TimeSource::YearInferred, "{line}");
            assert_eq!(r.utc_offset_secs, Some(3600), "{line}");
            assert_eq!((r.hostname, r.app), (host, Some(app)), "{line}");
            assert_eq!((r.sub_program, r.procid, r.pid), (None, None, None));
            assert_eq!(r.message, message, "{line}");
            assert_eq!(r.raw, line);
        }
    }

    /// Each line parses as it did before relayed Cisco messages were read:
    /// the given tag and message.
    fn assert_unchanged(cases: &[(&str, Option<&str>, &str)]) {
        for &(line, app, message) in cases {
            let r = parse(line, &ctx()).expect(line);
            assert_eq!((r.app, r.message_raw), (app, message), "{line}");
        }
    }

    #[test]
    fn ios_messages_after_a_server_header() {
        let h = Some("10.1.1.1");
        assert_relayed(&[
            // Two numbers, a clock that is not authoritative.
            (
                "Jan 10 10:11:13 10.1.1.1 56: 000052: *Mar  1 18:46:11.351 UTC: %LINK-3-UPDOWN: Interface Fa0/1, changed state to down",
                h,
                "%LINK-3-UPDOWN",
                "Interface Fa0/1, changed state to down",
            ),
            // One number; a year, a zone the context does not describe.
            (
                "Jan 10 10:11:13 10.1.1.1 123: Jan  9 2019 10:11:12.345 PST: %SYS-5-X: m",
                h,
                "%SYS-5-X",
                "m",
            ),
            // An origin id: the server's host wins.
            (
                "Jan 10 10:11:13 10.1.1.1 5: router1: 000123: Jan 10 10:11:12: %SYS-5-X: m",
                h,
                "%SYS-5-X",
                "m",
            ),
            // No number: a clock-status marker, `*` or `.`.
            (
                "Jan 10 10:11:13 10.1.1.1 *Mar  1 18:46:11: %SYS-5-X: m",
                h,
                "%SYS-5-X",
                "m",
            ),
            (
                "Jan 10 10:11:13 10.1.1.1 .Mar  1 18:46:11 UTC: %SYS-5-X: m",
                h,
                "%SYS-5-X",
                "m",
            ),
            // No wall-clock time: none, or an uptime.
            (
                "Jan 10 10:11:13 10.1.1.1 123: %SYS-5-X: m",
                h,
                "%SYS-5-X",
                "m",
            ),
            (
                "Jan 10 10:11:13 10.1.1.1 45: 1d02h: %SYS-5-X: m",
                h,
                "%SYS-5-X",
                "m",
            ),
            (
                "Jan 10 10:11:13 10.1.1.1 1d02h: %SYS-5-X: m",
                h,
                "%SYS-5-X",
                "m",
            ),
            (
                "Jan 10 10:11:13 10.1.1.1 00:01:23: %SYS-5-X: m",
                h,
                "%SYS-5-X",
                "m",
            ),
            // A tag that ends the line.
            ("Jan 10 10:11:13 10.1.1.1 56: %SYS-5-X:", h, "%SYS-5-X", ""),
            // An IPv6 server host.
            (
                "Jan 10 10:11:13 2001:db8::1 56: 000052: %SYS-5-X: m",
                Some("2001:db8::1"),
                "%SYS-5-X",
                "m",
            ),
            // No server host: the device's own name, or none.
            (
                "Jan 10 10:11:13 123: router1: Jan 10 10:11:12: %SYS-5-X: m",
                Some("router1"),
                "%SYS-5-X",
                "m",
            ),
            ("Jan 10 10:11:13 123: %SYS-5-X: m", None, "%SYS-5-X", "m"),
        ]);
    }

    #[test]
    fn nxos_messages_after_a_server_header() {
        assert_relayed(&[
            (
                "Jan 10 10:11:13 172.22.22.45 : 2005 Sep 04 18:18:22 UTC: %AUTHPRIV-3-SYSTEM_MSG: ttyS1: togetattr: Input/output error",
                Some("172.22.22.45"),
                "%AUTHPRIV-3-SYSTEM_MSG",
                "ttyS1: togetattr: Input/output error",
            ),
            (
                "Jan 10 10:11:13 10.0.0.2 sw01: 2017 Jul 28 10:32:11 CET: %ETHPORT-5-IF_UP: Interface Ethernet1/1 is up",
                Some("10.0.0.2"),
                "%ETHPORT-5-IF_UP",
                "Interface Ethernet1/1 is up",
            ),
        ]);
    }

    #[test]
    fn the_server_header_keeps_its_pri_time_and_offset() {
        // rsyslog's forward format keeps a PRI; the device's time is ignored
        // even when no calendar has it in the inferred year.
        let r = parse(
            "<13>Jan 10 10:11:13 10.1.1.1 56: *Feb 29 00:00:01: %SYS-5-X: m",
            &SyslogContext::new(civil_to_epoch_ms(2023, 3, 2, 0, 0, 0, 0)),
        )
        .expect("parses");
        assert_eq!((r.facility, r.severity), (Some(1), Some(5)));
        assert_eq!(r.time_ms, civil_to_epoch_ms(2023, 1, 10, 10, 11, 13, 0));
        assert_eq!((r.hostname, r.app), (Some("10.1.1.1"), Some("%SYS-5-X")));
        // An RFC 3339 server header: its written offset.
        let r = parse(
            "2024-01-10T10:11:13.5-05:00 10.1.1.1 56: 000052: Mar  1 18:46:11: %SYS-5-X: m",
            &ctx(),
        )
        .expect("parses");
        assert_eq!(r.format, SyslogFormat::Rfc3339);
        assert_eq!(r.time_ms, civil_to_epoch_ms(2024, 1, 10, 15, 11, 13, 500));
        assert_eq!(r.time_source, TimeSource::Explicit);
        assert_eq!(r.utc_offset_secs, Some(-5 * 3600));
        assert_eq!((r.hostname, r.app), (Some("10.1.1.1"), Some("%SYS-5-X")));
        assert_eq!(r.message, "m");
    }

    #[test]
    fn lines_without_a_relayed_cisco_message_are_unchanged() {
        assert_unchanged(&[
            // No Cisco tag after the device's header, or no device header.
            ("Jan 10 10:11:13 host 123: hello", Some("123"), "hello"),
            (
                "Jan 10 10:11:13 host 123: Jan 10 10:11:12: hello",
                Some("123"),
                "Jan 10 10:11:12: hello",
            ),
            (
                "Jan 10 10:11:13 host 45: 1d02h: hello",
                Some("45"),
                "1d02h: hello",
            ),
            (
                "Jan 10 10:11:13 host *Mar  1 00:01:23: hello",
                None,
                "*Mar  1 00:01:23: hello",
            ),
            ("Jan 10 10:11:13 host : hello", None, ": hello"),
            (
                "Jan 10 10:11:13 host backup: 2023 Jan 10 done",
                Some("backup"),
                "2023 Jan 10 done",
            ),
            // Not a Cisco tag: no space after its colon, bad severity.
            (
                "Jan 10 10:11:13 host 123: %SYS-5-X:m",
                Some("123"),
                "%SYS-5-X:m",
            ),
            (
                "Jan 10 10:11:13 host 123: %SYS-9-X: m",
                Some("123"),
                "%SYS-9-X: m",
            ),
            // A second host field after the device's time; three numbers.
            (
                "Jan 10 10:11:13 host *Mar  1 00:01:23 r1 %SYS-5-X: m",
                None,
                "*Mar  1 00:01:23 r1 %SYS-5-X: m",
            ),
            (
                "Jan 10 10:11:13 host 1: 2: 3: %SYS-5-X: m",
                Some("1"),
                "2: 3: %SYS-5-X: m",
            ),
            // An NX-OS zone the Cisco rule does not know.
            (
                "Jan 10 10:11:13 h sw01: 2023 Jan 10 10:11:12 XYZ: %SYS-5-X: m",
                Some("sw01"),
                "2023 Jan 10 10:11:12 XYZ: %SYS-5-X: m",
            ),
            // Program tags: with a pid, a sub-program, a name; a Cisco tag
            // right after the host (ASA) was already the tag.
            (
                "Jan 10 10:11:13 web1 sshd[1]: 12: %SYS-5-X: m",
                Some("sshd"),
                "12: %SYS-5-X: m",
            ),
            (
                "Jan 10 10:11:13 web1 123[4]: %SYS-5-X: m",
                Some("123"),
                "%SYS-5-X: m",
            ),
            (
                "Jan 10 10:11:13 web1 1(x): %SYS-5-X: m",
                Some("1"),
                "%SYS-5-X: m",
            ),
            (
                "Jan 10 10:11:13 web1 CRON: 2024 %SYS-5-X: m",
                Some("CRON"),
                "2024 %SYS-5-X: m",
            ),
            (
                "Jan 10 10:11:13 fw1 %ASA-6-302013: Built",
                Some("%ASA-6-302013"),
                "Built",
            ),
            // A Cisco line on the wire keeps its own rules.
            (
                "<189>123: %SYS-5-X: 45: %SYS-5-Y: m",
                Some("%SYS-5-X"),
                "45: %SYS-5-Y: m",
            ),
        ]);
        let r = parse("<189>1 - h 123 - - - %SYS-5-X: m", &ctx()).expect("parses");
        assert_eq!((r.format, r.app), (SyslogFormat::Rfc5424, Some("123")));
    }

    #[test]
    fn offsets_of_slices() {
        let line = "abc def";
        assert_eq!(offset_in(line, &line[4..]), Some(4));
        assert_eq!(offset_in(line, &line[7..]), Some(7));
        assert_eq!(offset_in(line, "elsewhere"), None);
    }
}

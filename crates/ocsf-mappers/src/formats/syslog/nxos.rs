//! The Cisco NX-OS header of the RFC 3164 shape: the device before a time
//! that starts with its year.
//!
//! NX-OS sends `<PRI>[HOST]: YYYY Mmm DD hh:mm:ss[.fff] [ZONE]: %FACILITY-...`
//! (`<190>sw01: 2017 Jul 28 10:32:11 UTC: %ETHPORT-5-IF_UP: ...`, and with no
//! host `<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: ...`).
//! [`header`] finds the host and the year; the caller reads the month, day
//! and time as in any RFC 3164 line, the zone name by the Cisco rule
//! ([`zone_name`](super::cisco::zone_name): `UTC` and `GMT` at offset 0,
//! other known names at the context's offset) and requires the `:` after the
//! time, as after an IOS origin id. A zone it does not know (or a numeric
//! offset, which NX-OS does not write: it prints the configured zone name)
//! leaves a space there, so the line is refused rather than read in a zone it
//! does not name.
//!
//! NX-OS relays the syslog lines of its Linux programs (sshd, PAM, sudo,
//! getty, its own `vsh`) as `%FACILITY-SEVERITY-SYSTEM_MSG:` messages, the
//! facility being the Linux one (`AUTHPRIV`, `DAEMON`, `USER`, ...), and ends
//! them with the program's name and pid after ` - `; [`wrapped_program`]
//! makes such a record the program's own line.

use super::SyslogRecord;
use super::cisco::is_device_id;
use crate::formats::text::decode_octal_escapes;
use crate::formats::time::{digits, month_from_abbrev};

/// What [`header`] found before an NX-OS month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Header<'a> {
    /// The device's name or address; `None` for the hostless `: ` form.
    pub host: Option<&'a str>,
    /// The year written before the month.
    pub year: i64,
    /// Where the month is.
    pub month_at: usize,
}

/// Reads an NX-OS header at `line[at..]` (after the PRI): an optional word
/// that [`is_device_id`], `:` and a space, then four digits, a space and a
/// month followed by a space. `None` for anything else.
pub(super) fn header(line: &str, at: usize) -> Option<Header<'_>> {
    let rest = line.get(at..)?;
    let word = rest.split(' ').next()?;
    let host = word.strip_suffix(':')?;
    if !(host.is_empty() || is_device_id(host)) {
        return None;
    }
    let b = line.as_bytes();
    let year_at = at + word.len() + 1;
    let month_at = year_at + 5;
    let year = digits(b, year_at, 4)?;
    let spaced = b.get(year_at - 1) == Some(&b' ')
        && b.get(year_at + 4) == Some(&b' ')
        && b.get(month_at + 3) == Some(&b' ');
    (spaced && month_from_abbrev(b.get(month_at..month_at + 3)?).is_some()).then_some(Header {
        host: (!host.is_empty()).then_some(host),
        year: i64::from(year),
        month_at,
    })
}

/// An NX-OS `%FACILITY-SEVERITY-SYSTEM_MSG` message relays a line of one of
/// the switch's Linux programs and names that program at the end, after
/// ` - `: `%AUTHPRIV-6-SYSTEM_MSG: pam_unix(sshd:session): session opened for
/// user admin by (uid=0) - sshd[14213]`, `... - dcos_sshd[12977]`,
/// `... - getty[28224]`, `... - sudo`. When the message ends with ` - ` and a
/// well-formed `name[pid]` or `name` ([`program_suffix`]), the record becomes
/// that program's line: `app` the name, `procid` and `pid` the pid (`None`
/// without one), the message the text before ` - `, and the Cisco `tag` its
/// `msgid` (the type of the message, as RFC 5424's MSGID is). Any other
/// message is left as it is. `tag` is the record's `app`.
pub(super) fn wrapped_program<'a>(rec: &mut SyslogRecord<'a>, tag: &'a str) {
    let text = rec.message_raw;
    let Some(cut) = text.rfind(" - ").filter(|&cut| cut > 0) else {
        return;
    };
    let Some((name, procid)) = program_suffix(&text[cut + 3..]) else {
        return;
    };
    rec.msgid = Some(tag);
    rec.app = Some(name);
    rec.sub_program = None;
    rec.procid = procid;
    rec.pid = procid.and_then(|p| p.parse().ok());
    rec.message_raw = &text[..cut];
    rec.message = decode_octal_escapes(rec.message_raw);
}

/// `name[pid]` or `name`, the whole of `s`: a name of ASCII letters, digits,
/// `_`, `-`, `.` and `/` that starts with a letter, `_` or `/` (at most 64
/// bytes), and a pid of one to ten digits that fits a `u32`. Returns the name
/// and the pid as written.
fn program_suffix(s: &str) -> Option<(&str, Option<&str>)> {
    let (name, pid) = match s.strip_suffix(']') {
        Some(head) => {
            let (name, pid) = head.split_once('[')?;
            let digits = (1..=10).contains(&pid.len()) && pid.bytes().all(|c| c.is_ascii_digit());
            if !digits || pid.parse::<u32>().is_err() {
                return None;
            }
            (name, Some(pid))
        }
        None => (s, None),
    };
    let first = name.bytes().next()?;
    let well_formed = name.len() <= 64
        && (first.is_ascii_alphabetic() || matches!(first, b'_' | b'/'))
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/'));
    well_formed.then_some((name, pid))
}

#[cfg(test)]
mod tests {
    use super::super::{SyslogFormat, TimeSource, parse};
    use super::*;
    use crate::error::ErrorKind;
    use crate::formats::time::civil_to_epoch_ms;

    use super::super::cisco_test_context as ctx;

    #[test]
    fn header_finds_the_host_and_the_year() {
        let h = header("sw01: 2017 Jul 28 10:32:11 UTC: x", 0).expect("header");
        assert_eq!((h.host, h.year, h.month_at), (Some("sw01"), 2017, 11));
        let h = header("<189>: 2023 Jan 10 10:11:12: x", 5).expect("header");
        assert_eq!((h.host, h.year, h.month_at), (None, 2023, 12));
        let h = header("2001:db8::1: 2023 Jan 10 x", 0).expect("header");
        assert_eq!(h.host, Some("2001:db8::1"));
        for line in [
            "sw01 2017 Jul 28 10:32:11: x",
            "sw01:2017 Jul 28 10:32:11: x",
            "sw01: 2017 Jul",
            "sw01: 17 Jul 28 10:32:11: x",
            "sw01: 2017 July 28 10:32:11: x",
            "sw01: 2017  Jul 28 10:32:11: x",
            "sw 01: 2017 Jul 28 10:32:11: x",
            "sw/01: 2017 Jul 28 10:32:11: x",
            "sw01: hello",
            "CRON: msg",
            "",
        ] {
            assert_eq!(header(line, 0), None, "{line}");
        }
    }

    #[test]
    fn nxos_lines_use_the_written_year() {
        let ctx = ctx();
        let r = parse(
            "<190>sw01: 2017 Jul 28 10:32:11 UTC: %ETHPORT-5-IF_UP: Interface Ethernet1/1 is up in mode access",
            &ctx,
        )
        .expect("parses");
        assert_eq!(r.format, SyslogFormat::Rfc3164);
        assert_eq!(r.time_ms, civil_to_epoch_ms(2017, 7, 28, 10, 32, 11, 0));
        assert_eq!(r.time_source, TimeSource::Explicit);
        assert_eq!(r.utc_offset_secs, Some(0));
        assert_eq!((r.facility, r.severity), (Some(23), Some(6)));
        assert_eq!(
            (r.hostname, r.app),
            (Some("sw01"), Some("%ETHPORT-5-IF_UP"))
        );
        assert_eq!(r.message, "Interface Ethernet1/1 is up in mode access");
        // No host, milliseconds, `GMT`.
        let r = parse(
            "<189>: 2023 Jan 10 10:11:12.345 GMT: %AUTHPRIV-6-SYSTEM_MSG: m - sshd[1]",
            &ctx,
        )
        .expect("parses");
        assert_eq!(r.time_ms, civil_to_epoch_ms(2023, 1, 10, 10, 11, 12, 345));
        // The Linux program it names is the program (`wrapped_program`).
        assert_eq!((r.hostname, r.app, r.pid), (None, Some("sshd"), Some(1)));
        assert_eq!(r.msgid, Some("%AUTHPRIV-6-SYSTEM_MSG"));
        assert_eq!(r.message, "m");
        // No zone, or a known zone that is not UTC: the context's offset,
        // never UTC; a written year is used even years before the reference.
        for line in [
            "<189>10.0.0.1: 2023 Jan 10 10:11:12: %SYS-5-X: m",
            "<189>10.0.0.1: 2023 Jan 10 10:11:12 CET: %SYS-5-X: m",
            "10.0.0.1: 2023 Jan 10 10:11:12 CET: %SYS-5-X: m",
        ] {
            let r = parse(line, &ctx).expect(line);
            assert_eq!(
                r.time_ms,
                civil_to_epoch_ms(2023, 1, 10, 9, 11, 12, 0),
                "{line}"
            );
            assert_eq!(r.utc_offset_secs, Some(3600), "{line}");
            assert_eq!((r.hostname, r.app), (Some("10.0.0.1"), Some("%SYS-5-X")));
        }
        // A leap day in its year; the time ends the line.
        let r = parse("<189>sw01: 2024 Feb 29 00:00:00 UTC:", &ctx).expect("parses");
        assert_eq!(r.time_ms, civil_to_epoch_ms(2024, 2, 29, 0, 0, 0, 0));
        assert_eq!((r.hostname, r.app, r.message_raw), (Some("sw01"), None, ""));
    }

    #[test]
    fn nxos_near_misses_stay_typed_errors() {
        for (line, offset) in [
            // A zone the Cisco rule does not know, or a numeric offset: not
            // read in a zone the line does not name.
            ("<189>sw01: 2023 Jan 10 10:11:12 XYZ: %SYS-5-X: m", 31),
            ("<189>sw01: 2023 Jan 10 10:11:12 +01:00: %SYS-5-X: m", 31),
            ("<189>: 2023 Jan 10 10:11:12 PDT-7: %SYS-5-X: m", 27),
            // A second host field after the time.
            ("<189>sw01: 2023 Jan 10 10:11:12 sw02 %SYS-5-X: m", 31),
            // A day the written year does not have; a bad time.
            ("<189>sw01: 2023 Feb 29 10:11:12: %SYS-5-X: m", 20),
            ("<189>sw01: 2023 Jan 10 25:11:12: %SYS-5-X: m", 23),
            ("<189>sw01: 2023 Jan 32 10:11:12: %SYS-5-X: m", 20),
            // Not an NX-OS header: the error of the month as before.
            ("<189>sw01: hello", 5),
            ("<189>sw 01: 2023 Jan 10 10:11:12: %SYS-5-X: m", 5),
            ("<189>sw01 2023 Jan 10 10:11:12: %SYS-5-X: m", 5),
            ("<189>: 23 Jan 10 10:11:12: %SYS-5-X: m", 5),
        ] {
            let e = parse(line, &ctx()).expect_err(line);
            assert_eq!(e.kind(), ErrorKind::InvalidTimestamp, "{line}: {e}");
            assert_eq!(e.offset(), Some(offset), "{line}: {e}");
        }
    }

    #[test]
    fn system_msg_names_the_linux_program_it_wraps() {
        let ctx = ctx();
        for (line, app, procid, pid, message) in [
            (
                "<190>sw01: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: pam_unix(sshd:session): session opened for user admin by (uid=0) - sshd[14213]",
                "sshd",
                Some("14213"),
                Some(14213),
                "pam_unix(sshd:session): session opened for user admin by (uid=0)",
            ),
            (
                "<187>: 2023 Jan 10 10:11:12 UTC: %DAEMON-3-SYSTEM_MSG: error: bind: Address in use - dcos_sshd[77]",
                "dcos_sshd",
                Some("77"),
                Some(77),
                "error: bind: Address in use",
            ),
            // No pid; the last ` - ` counts; escapes are still decoded.
            (
                "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-5-SYSTEM_MSG: a - b#011c - sudo",
                "sudo",
                None,
                None,
                "a - b\tc",
            ),
            // A pid that is not a `u32` is refused below; the largest one is not.
            (
                "<189>: 2023 Jan 10 10:11:12 UTC: %USER-6-SYSTEM_MSG: m - /usr/bin/x-y.z[4294967295]",
                "/usr/bin/x-y.z",
                Some("4294967295"),
                Some(u32::MAX),
                "m",
            ),
        ] {
            let r = parse(line, &ctx).expect(line);
            assert_eq!((r.app, r.procid, r.pid), (Some(app), procid, pid), "{line}");
            assert_eq!(r.sub_program, None, "{line}");
            assert_eq!(r.message, message, "{line}");
            assert!(
                r.msgid.is_some_and(|t| t.ends_with("-SYSTEM_MSG")),
                "{line}"
            );
            assert_eq!(r.raw, line);
        }
        // In a server's file, with no PRI: the tag's severity stays.
        let r = parse(
            "Jan 10 10:11:13 172.22.22.45 : 2005 Sep 04 18:18:22 UTC: %AUTHPRIV-3-SYSTEM_MSG: m - getty[28224]",
            &ctx,
        )
        .expect("parses");
        assert_eq!(
            (r.app, r.pid, r.message_raw),
            (Some("getty"), Some(28224), "m")
        );
        assert_eq!((r.facility, r.severity), (None, Some(3)));
        assert_eq!(r.msgid, Some("%AUTHPRIV-3-SYSTEM_MSG"));
    }

    #[test]
    fn other_suffixes_and_tags_are_left_alone() {
        let ctx = ctx();
        for (line, message) in [
            (
                "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: m - sshd[1x]",
                "m - sshd[1x]",
            ),
            (
                "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: m - sshd[]",
                "m - sshd[]",
            ),
            (
                "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: m - sshd[4294967296]",
                "m - sshd[4294967296]",
            ),
            (
                "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: m - sshd[1] ",
                "m - sshd[1] ",
            ),
            (
                "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: m - two words",
                "m - two words",
            ),
            (
                "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: m - 9lives",
                "m - 9lives",
            ),
            (
                "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: m - ",
                "m - ",
            ),
            (
                "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: m -sshd",
                "m -sshd",
            ),
            (
                "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG:  - sshd[1]",
                " - sshd[1]",
            ),
            (
                "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSGX: m - sshd[1]",
                "m - sshd[1]",
            ),
            (
                "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-LOGIN: m - sshd[1]",
                "m - sshd[1]",
            ),
        ] {
            let r = parse(line, &ctx).expect(line);
            assert!(r.app.is_some_and(|a| a.starts_with('%')), "{line}");
            assert_eq!((r.procid, r.pid, r.msgid), (None, None, None), "{line}");
            assert_eq!(r.message, message, "{line}");
        }
        // A Linux program's line ending like one is not touched.
        let r = parse("Jan 10 10:11:12 h app[5]: done - app[5]", &ctx).expect("parses");
        assert_eq!((r.app, r.pid, r.msgid), (Some("app"), Some(5), None));
        assert_eq!(r.message, "done - app[5]");
        // The name's rules.
        assert_eq!(program_suffix("sshd[1]"), Some(("sshd", Some("1"))));
        assert_eq!(program_suffix("_x"), Some(("_x", None)));
        assert_eq!(program_suffix(&"a".repeat(65)), None);
        assert_eq!(program_suffix("[1]"), None);
        assert_eq!(program_suffix("a[1]]"), None);
        assert_eq!(program_suffix("a[12345678901]"), None);
    }
}

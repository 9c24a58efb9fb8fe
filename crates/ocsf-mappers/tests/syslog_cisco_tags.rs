//! What a Cisco message tag says beyond the program, through the Linux mapper:
//!
//! * the severity digit of `%FACILITY-SEVERITY-MNEMONIC` is the line's
//!   severity when the line has no `<PRI>` (a syslog server's file), read as a
//!   PRI's severity is (`metadata.log_level`); a `<PRI>` wins when both are
//!   written;
//! * an NX-OS `%...-SYSTEM_MSG` message that wraps a Linux daemon's line and
//!   names it at the end (` - sshd[1234]`) maps as that daemon's line: the
//!   program and pid are the named ones and the suffix is not in the message.

mod common;

use common::{check, day_ms};
use ocsf_mappers::{LinuxMapper, SourceConfig};
use serde_json::Value;

/// The one event of `line` read at `reference_ms`, UTC.
fn map_at(reference_ms: i64, line: &str) -> Value {
    let mut m = LinuxMapper::new(SourceConfig::linux().with_reference_ms(reference_ms));
    let mut v = m.map_line(line);
    v.extend(m.finish());
    assert_eq!(v.len(), 1, "{line}");
    check(&v[0])
}

/// The event without the fields a caller names (`raw_data` always).
fn without(mut j: Value, fields: &[(&str, &str)]) -> Value {
    if let Some(o) = j.as_object_mut() {
        o.remove("raw_data");
    }
    for &(obj, key) in fields {
        if let Some(o) = j[obj].as_object_mut() {
            o.remove(key);
        }
    }
    j
}

const REF_2026: i64 = 1_796_414_400_000; // 2026-12-04T20:00:00Z

#[test]
fn tag_severity_without_a_pri_is_the_log_level() {
    for (line, level) in [
        // A syslog server's file: IOS, with two numbers and the device's time.
        (
            "Mar  1 18:46:12 10.1.1.1 56: 000052: *Mar  1 18:46:11.351 UTC: %LINK-3-UPDOWN: Interface FastEthernet0/1, changed state to down",
            "err",
        ),
        (
            "Jan 10 10:11:13 router1 123: Jan 10 10:11:12.345 UTC: %SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: admin] [Source: 10.0.0.5] [localport: 22] at 10:11:12 UTC Wed Jan 10 2024",
            "notice",
        ),
        // NX-OS after the server's header.
        (
            "Jul 28 10:32:12 10.0.0.2 sw01: 2017 Jul 28 10:32:11 UTC: %ETHPORT-5-IF_UP: Interface Ethernet1/1 is up in mode access",
            "notice",
        ),
        // ASA: the tag right after the host, after its ` : ` device id, or
        // after the device's own time.
        (
            "Jan 10 10:11:13 fw1 %ASA-6-302013: Built inbound TCP connection 1 for outside:10.0.0.5/51000 (10.0.0.5/51000) to inside:10.1.1.1/22 (10.1.1.1/22)",
            "info",
        ),
        (
            "Mar 01 2026 12:00:00 fw01 : %ASA-4-106023: Deny tcp src outside:10.0.0.5/51000 dst inside:10.1.1.1/22",
            "warning",
        ),
        (
            "Mar 01 2026 12:00:00: %ASA-2-106001: Inbound TCP connection denied",
            "crit",
        ),
        // No wall-clock time and no PRI.
        ("123: %SYS-5-CONFIG_I: Configured from console", "notice"),
        ("%SYS-0-X: m", "emerg"),
        ("1d02h: %SYS-7-X: m", "debug"),
    ] {
        let j = map_at(REF_2026, line);
        assert_eq!(j["metadata"]["log_level"], level, "{j}");
    }
}

/// A tag's severity takes the path of a PRI's: the event is the one the
/// same line with the PRI that says the same severity gives.
#[test]
fn tag_severity_maps_as_the_same_pri_severity() {
    for (line, pri) in [
        (
            "Mar  1 18:46:12 10.1.1.1 56: 000052: *Mar  1 18:46:11.351 UTC: %LINK-3-UPDOWN: Interface FastEthernet0/1, changed state to down",
            "<187>",
        ),
        (
            "Jan 10 10:11:13 fw1 %ASA-6-302013: Built inbound TCP connection 1 for outside:10.0.0.5/51000 (10.0.0.5/51000) to inside:10.1.1.1/22 (10.1.1.1/22)",
            "<166>",
        ),
    ] {
        let with_pri = format!("{pri}{line}");
        assert_eq!(
            without(map_at(REF_2026, line), &[]),
            without(map_at(REF_2026, &with_pri), &[]),
            "{line}"
        );
    }
}

#[test]
fn a_pri_wins_over_the_tag() {
    // The device's PRI says info, its tag err: the PRI is what was sent.
    let j = map_at(
        REF_2026,
        "<190>Mar  1 18:46:12 10.1.1.1 56: 000052: *Mar  1 18:46:11.351 UTC: %LINK-3-UPDOWN: Interface FastEthernet0/1, changed state to down",
    );
    assert_eq!(j["metadata"]["log_level"], "info", "{j}");
    let j = map_at(REF_2026, "<189>45: 1d02h: %SYS-3-X: m");
    assert_eq!(j["metadata"]["log_level"], "notice", "{j}");
}

#[test]
fn lines_without_a_cisco_tag_get_no_severity() {
    for line in [
        "Jan 10 10:11:13 host %foo: hello",
        "Jan 10 10:11:13 host %SYS-8-X: severity out of range",
        "Jan 10 10:11:13 host %SYS-5: two words",
        "Jan 10 10:11:13 host %SYS-5-X[12]: a pid",
        "Jan 10 10:11:13 host 123: hello",
        "Jan 10 10:11:13 web1 sshd[1]: Failed password for root from 203.0.113.9 port 51000 ssh2",
        "Jan 10 10:11:13 web1 cron[5]: (root) CMD (run-parts /etc/cron.hourly) - cron[5]",
    ] {
        let j = map_at(REF_2026, line);
        assert_eq!(j["metadata"]["log_level"], Value::Null, "{j}");
    }
}

const REF_2023: i64 = 1_673_395_200_000; // 2023-01-11T00:00:00Z

/// An NX-OS `SYSTEM_MSG` line and the plain Linux line it wraps give the same
/// event, field by field, but for `raw_data` and `except`.
fn assert_same_event(reference_ms: i64, nxos: &str, linux: &str, except: &[(&str, &str)]) {
    let a = map_at(reference_ms, nxos);
    let b = map_at(reference_ms, linux);
    assert_eq!(without(a, except), without(b, except), "{nxos}\n{linux}");
}

#[test]
fn nxos_system_msg_maps_as_the_wrapped_linux_line() {
    assert_eq!(REF_2023, day_ms(2023, 1, 11));
    // NX-OS on the wire, with and without its host.
    assert_same_event(
        REF_2023,
        "<189>sw01: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: pam_unix(sshd:session): session opened for user admin by (uid=0) - sshd[14213]",
        "<189>Jan 10 10:11:12 sw01 sshd[14213]: pam_unix(sshd:session): session opened for user admin by (uid=0)",
        &[],
    );
    assert_same_event(
        REF_2023,
        "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: pam_unix(sshd:session): session opened for user admin by (uid=0) - sshd[14213]",
        "<189>Jan 10 10:11:12 sshd[14213]: pam_unix(sshd:session): session opened for user admin by (uid=0)",
        &[],
    );
    let j = map_at(
        REF_2023,
        "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: pam_unix(sshd:session): session opened for user admin by (uid=0) - sshd[14213]",
    );
    assert_eq!(j["actor"]["process"]["name"], "sshd", "{j}");
    assert_eq!(j["actor"]["process"]["pid"], 14213, "{j}");
    assert_eq!(j["metadata"]["log_provider"], "sshd", "{j}");
    // `dcos_sshd`, as NX-OS 7 names its daemon.
    assert_same_event(
        REF_2023,
        "<190>sw01.pdx01: 2023 Jan 10 14:42:46 UTC: %AUTHPRIV-6-SYSTEM_MSG: pam_unix(dcos_sshd:session): session opened for user luke by (uid=0) - dcos_sshd[12977]",
        "<190>Jan 10 14:42:46 sw01.pdx01 dcos_sshd[12977]: pam_unix(dcos_sshd:session): session opened for user luke by (uid=0)",
        &[],
    );
    // A program named without a pid (sudo's lines are joined, then mapped).
    assert_same_event(
        REF_2023,
        "<85>sw01: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-5-SYSTEM_MSG: pam_unix(sudo:session): session opened for user root by admin(uid=0) - sudo",
        "<85>Jan 10 10:11:12 sw01 sudo: pam_unix(sudo:session): session opened for user root by admin(uid=0)",
        &[],
    );
}

#[test]
fn nxos_system_msg_in_a_server_file_maps_as_the_wrapped_linux_line() {
    let reference = day_ms(2026, 9, 22);
    let nxos = "Sep 21 11:09:50 172.22.22.45 : 2005 Sep 04 18:18:22 UTC: %AUTHPRIV-3-SYSTEM_MSG: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.5 user=admin - sshd[1234]";
    let linux = "Sep 21 11:09:50 172.22.22.45 sshd[1234]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.5 user=admin";
    // The Linux line has no severity; the NX-OS one has its tag's.
    assert_same_event(reference, nxos, linux, &[("metadata", "log_level")]);
    let j = map_at(reference, nxos);
    assert_eq!(j["metadata"]["log_level"], "err", "{j}");
    assert_eq!(j["class_uid"], 3002, "{j}");
    assert_eq!(j["actor"]["process"]["name"], "sshd", "{j}");
    assert_eq!(j["actor"]["process"]["pid"], 1234, "{j}");
    assert_eq!(j["user"]["name"], "admin", "{j}");
}

#[test]
fn other_cisco_messages_keep_their_tag_and_text() {
    for (line, provider, message) in [
        // Not a `SYSTEM_MSG`.
        (
            "<189>: 2023 Jan 10 10:11:12 UTC: %ETHPORT-5-IF_UP: Interface Ethernet1/1 is up - sshd[1]",
            "%ETHPORT-5-IF_UP",
            "Interface Ethernet1/1 is up - sshd[1]",
        ),
        // Suffixes that are not ` - name[pid]` or ` - name`.
        (
            "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: session opened - sshd[12x]",
            "%AUTHPRIV-6-SYSTEM_MSG",
            "session opened - sshd[12x]",
        ),
        (
            "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: link is down - see the log",
            "%AUTHPRIV-6-SYSTEM_MSG",
            "link is down - see the log",
        ),
        (
            "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: session opened -sshd[1]",
            "%AUTHPRIV-6-SYSTEM_MSG",
            "session opened -sshd[1]",
        ),
        (
            "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: session opened",
            "%AUTHPRIV-6-SYSTEM_MSG",
            "session opened",
        ),
        (
            "<189>: 2023 Jan 10 10:11:12 UTC: %AUTHPRIV-6-SYSTEM_MSG: - sshd[1]",
            "%AUTHPRIV-6-SYSTEM_MSG",
            "- sshd[1]",
        ),
        // A Linux line with ` - ` in its text.
        (
            "Jan 10 10:11:12 web1 myapp[5]: backup done - myapp[5]",
            "myapp",
            "backup done - myapp[5]",
        ),
    ] {
        let j = map_at(REF_2023, line);
        assert_eq!(j["metadata"]["log_provider"], provider, "{j}");
        assert_eq!(j["message"], message, "{j}");
    }
}

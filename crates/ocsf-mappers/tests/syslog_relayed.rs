//! Cisco messages in the file a syslog server wrote (rsyslog's
//! `%TIMESTAMP% %HOSTNAME% %syslogtag%%msg%`, or its RFC 3339 file format):
//! the server's header first, then the device's message, whose first field
//! lands where a program tag would be. Through the Linux mapper: the time and
//! host are the server's header's, the Cisco tag is the program and the text
//! after it the message. Lines without a Cisco tag map as before.

mod common;

const HOUR_MS: i64 = 3_600_000;

fn ms(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64) -> i64 {
    common::civil_ms(y, mo, d, h, mi, s)
}

const REFERENCE: i64 = 1_796_414_400_000; // 2026-12-04T20:00:00Z

fn map(line: &str) -> serde_json::Value {
    common::map1_at(line, REFERENCE, 3600)
}

/// One relayed Cisco line: the server's time (`time_ms`, at `offset_min`)
/// and host, the Cisco tag as the program, the text after it as the message,
/// and no header fallback.
fn assert_relayed(line: &str, time_ms: i64, offset_min: i64, host: &str, tag: &str, text: &str) {
    let j = map(line);
    assert_eq!(j["time"], time_ms, "{j}");
    assert_eq!(j["timezone_offset"], offset_min, "{j}");
    assert_eq!(
        j["unmapped"]["fallback"]["kind"],
        serde_json::Value::Null,
        "{j}"
    );
    assert_eq!(j["unmapped"]["device"]["hostname"], host, "{j}");
    assert_eq!(j["metadata"]["log_provider"], tag, "{j}");
    assert_eq!(j["message"], text, "{j}");
    assert_eq!(j["raw_data"], line, "{j}");
}

#[test]
fn ios_numbers_and_device_time_after_the_server_header() {
    // Message counter and sequence number; the device's `*` time is not used.
    assert_relayed(
        "Mar  1 18:46:12 10.1.1.1 56: 000052: *Mar  1 18:46:11.351 UTC: %LINK-3-UPDOWN: Interface FastEthernet0/1, changed state to down",
        ms(2026, 3, 1, 18, 46, 12) - HOUR_MS,
        60,
        "10.1.1.1",
        "%LINK-3-UPDOWN",
        "Interface FastEthernet0/1, changed state to down",
    );
    // One number and an authoritative UTC time: still the server's time.
    assert_relayed(
        "Jan 10 10:11:13 router1 123: Jan 10 10:11:12.345 UTC: %SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: admin] [Source: 10.0.0.5] [localport: 22] at 10:11:12 UTC Wed Jan 10 2024",
        ms(2026, 1, 10, 10, 11, 13) - HOUR_MS,
        60,
        "router1",
        "%SEC_LOGIN-5-LOGIN_SUCCESS",
        "Login Success [user: admin] [Source: 10.0.0.5] [localport: 22] at 10:11:12 UTC Wed Jan 10 2024",
    );
    // An origin id: the server's host is kept.
    assert_relayed(
        "Jan 10 10:11:13 10.1.1.1 5: router1: 000123: Jan 10 10:11:12.345: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.0.0.5)",
        ms(2026, 1, 10, 10, 11, 13) - HOUR_MS,
        60,
        "10.1.1.1",
        "%SYS-5-CONFIG_I",
        "Configured from console by admin on vty0 (10.0.0.5)",
    );
    // No number: rsyslog reads the clock-status marker and month as the tag.
    assert_relayed(
        "Jan 10 10:11:13 10.1.1.1 *Mar  1 18:46:11.351 UTC: %SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.5)",
        ms(2026, 1, 10, 10, 11, 13) - HOUR_MS,
        60,
        "10.1.1.1",
        "%SYS-5-CONFIG_I",
        "Configured from console by vty0 (10.0.0.5)",
    );
}

#[test]
fn ios_lines_without_a_wall_clock_take_the_server_time() {
    for (line, tag, text) in [
        (
            "Jan 10 10:11:13 10.1.1.1 45: 1d02h: %SYS-5-CONFIG_I: Configured from console by console",
            "%SYS-5-CONFIG_I",
            "Configured from console by console",
        ),
        (
            "Jan 10 10:11:13 10.1.1.1 00:01:23: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up",
            "%LINK-3-UPDOWN",
            "Interface Gi0/1, changed state to up",
        ),
        (
            "Jan 10 10:11:13 10.1.1.1 1d02h: %SYS-5-X: m",
            "%SYS-5-X",
            "m",
        ),
        ("Jan 10 10:11:13 10.1.1.1 123: %SYS-5-X: m", "%SYS-5-X", "m"),
    ] {
        assert_relayed(
            line,
            ms(2026, 1, 10, 10, 11, 13) - HOUR_MS,
            60,
            "10.1.1.1",
            tag,
            text,
        );
    }
}

#[test]
fn nxos_after_the_server_header() {
    // Hostless NX-OS: rsyslog writes an empty tag (` : `). The message is
    // PAM's, which the PAM rules map: a failed authentication on the device
    // the server named.
    let line = "Sep 21 11:09:50 172.22.22.45 : 2005 Sep 04 18:18:22 UTC: %AUTHPRIV-3-SYSTEM_MSG: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.5 - sshd[1234]";
    let j = map(line);
    assert_eq!(j["time"], ms(2026, 9, 21, 11, 9, 50) - HOUR_MS, "{j}");
    assert_eq!(j["timezone_offset"], 60, "{j}");
    assert_eq!(j["class_uid"], 3002, "{j}");
    assert_eq!(j["status_id"], 2, "{j}");
    assert_eq!(j["device"]["ip"], "172.22.22.45", "{j}");
    assert_eq!(j["src_endpoint"]["ip"], "10.0.0.5", "{j}");
    // The program the `SYSTEM_MSG` names (`tests/syslog_cisco_tags.rs`).
    assert_eq!(j["metadata"]["log_provider"], "sshd", "{j}");
    assert_eq!(j["actor"]["process"]["pid"], 1234, "{j}");
    assert_eq!(j["raw_data"], line, "{j}");
    // NX-OS with its host: the host reads as the tag, the year follows.
    assert_relayed(
        "Jul 28 10:32:12 10.0.0.2 sw01: 2017 Jul 28 10:32:11 UTC: %ETHPORT-5-IF_UP: Interface Ethernet1/1 is up in mode access",
        ms(2026, 7, 28, 10, 32, 12) - HOUR_MS,
        60,
        "10.0.0.2",
        "%ETHPORT-5-IF_UP",
        "Interface Ethernet1/1 is up in mode access",
    );
}

/// rsyslog's `RSYSLOG_FileFormat`: an RFC 3339 time, written with its offset.
#[test]
fn rfc3339_server_header() {
    assert_relayed(
        "2026-03-01T18:46:12.250+02:00 10.1.1.1 56: 000052: *Mar  1 18:46:11.351 UTC: %LINK-3-UPDOWN: Interface FastEthernet0/1, changed state to down",
        ms(2026, 3, 1, 16, 46, 12) + 250,
        120,
        "10.1.1.1",
        "%LINK-3-UPDOWN",
        "Interface FastEthernet0/1, changed state to down",
    );
}

/// Relayed lines with no Cisco tag, a Linux program's line and a Cisco tag
/// right after the host map as they did before relayed Cisco lines were read.
#[test]
fn lines_without_a_relayed_cisco_message_are_unchanged() {
    for (line, provider, message) in [
        ("Jan 10 10:11:13 host 123: hello", "123", "hello"),
        (
            "Jan 10 10:11:13 host 123: Jan 10 10:11:12: hello",
            "123",
            "Jan 10 10:11:12: hello",
        ),
        (
            "Jan 10 10:11:13 host 45: 1d02h: hello",
            "45",
            "1d02h: hello",
        ),
        (
            "Jan 10 10:11:13 host backup: 2023 Jan 10 done",
            "backup",
            "2023 Jan 10 done",
        ),
        (
            "Jan 10 10:11:13 fw1 %ASA-6-302013: Built inbound TCP connection 1 for outside:10.0.0.5/51000 (10.0.0.5/51000) to inside:10.1.1.1/22 (10.1.1.1/22)",
            "%ASA-6-302013",
            "Built inbound TCP connection 1 for outside:10.0.0.5/51000 (10.0.0.5/51000) to inside:10.1.1.1/22 (10.1.1.1/22)",
        ),
    ] {
        let j = map(line);
        assert_eq!(j["time"], ms(2026, 1, 10, 10, 11, 13) - HOUR_MS, "{j}");
        assert_eq!(j["metadata"]["log_provider"], provider, "{j}");
        assert_eq!(j["message"], message, "{j}");
    }
    // A program tag stays a program: sshd's mapper still reads its line.
    let j = map(
        "Jan 10 10:11:13 web1 sshd[1]: Failed password for root from 203.0.113.9 port 51000 ssh2",
    );
    assert_eq!(j["class_uid"], 3002, "{j}");
    assert_eq!(j["time"], ms(2026, 1, 10, 10, 11, 13) - HOUR_MS, "{j}");
}

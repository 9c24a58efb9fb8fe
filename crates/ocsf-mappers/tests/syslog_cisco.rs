//! Cisco IOS / IOS-XE lines without a wall-clock time (`no service
//! timestamps`, `service timestamps log uptime`), with an origin id, with two
//! numbers (message counter and sequence number), and Cisco NX-OS lines,
//! through the Linux mapper: each gives one event, at the configured reference
//! time when the header has no wall-clock time, with the Cisco tag as the
//! program.

mod common;

fn ms(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64) -> i64 {
    common::civil_ms(y, mo, d, h, mi, s)
}

const REFERENCE: i64 = 1_796_414_400_000; // 2026-12-04T20:00:00Z

fn map(line: &str) -> serde_json::Value {
    common::map1_at(line, REFERENCE, 3600)
}

#[test]
fn reference_is_the_documented_instant() {
    assert_eq!(REFERENCE, ms(2026, 12, 4, 20, 0, 0));
}

#[test]
fn lines_without_a_wall_clock_time_get_the_reference_time() {
    for (line, provider, message) in [
        (
            "<189>123: %SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.5)",
            "%SYS-5-CONFIG_I",
            "Configured from console by vty0 (10.0.0.5)",
        ),
        (
            "<189>%SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.5)",
            "%SYS-5-CONFIG_I",
            "Configured from console by vty0 (10.0.0.5)",
        ),
        // Uptimes are not wall-clock times.
        (
            "<189>45: 1d02h: %SYS-5-CONFIG_I: Configured from console by console",
            "%SYS-5-CONFIG_I",
            "Configured from console by console",
        ),
        (
            "<189>45: 00:01:23: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up",
            "%LINK-3-UPDOWN",
            "Interface Gi0/1, changed state to up",
        ),
        ("<189>46: 1w2d: %SYS-5-X: m", "%SYS-5-X", "m"),
        ("<189>47: 3y12w: %SYS-5-X: m", "%SYS-5-X", "m"),
    ] {
        let j = map(line);
        assert_eq!(j["time"], REFERENCE, "{j}");
        // No wall-clock time, so no zone either (not the context's offset).
        assert_eq!(j["timezone_offset"], serde_json::Value::Null, "{j}");
        // Not a fallback for the header: only the program has no rule.
        assert_eq!(
            j["unmapped"]["fallback"]["kind"],
            serde_json::Value::Null,
            "{j}"
        );
        assert_eq!(j["metadata"]["log_provider"], provider, "{j}");
        assert_eq!(j["message"], message, "{j}");
        assert_eq!(j["raw_data"], line, "{j}");
    }
}

#[test]
fn origin_id_is_the_device_hostname() {
    let j = map("<189>123: router1: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up");
    assert_eq!(j["time"], REFERENCE, "{j}");
    // A base event has no `device`: the fallback keeps the hostname in `unmapped`.
    assert_eq!(j["unmapped"]["device"]["hostname"], "router1", "{j}");
    assert_eq!(j["metadata"]["log_provider"], "%LINK-3-UPDOWN");
    assert_eq!(j["message"], "Interface Gi0/1, changed state to up");
    // With a wall-clock time after it, that time is used.
    let j = map("<189>123: router1: Mar  1 00:01:23.456 UTC: %SYS-5-CONFIG_I: Configured");
    assert_eq!(j["time"], ms(2026, 3, 1, 0, 1, 23) + 456, "{j}");
    assert_eq!(j["timezone_offset"], 0, "{j}");
    assert_eq!(j["unmapped"]["device"]["hostname"], "router1", "{j}");
    assert_eq!(j["metadata"]["log_provider"], "%SYS-5-CONFIG_I");
    assert_eq!(j["message"], "Configured");
}

#[test]
fn near_misses_are_unchanged() {
    // A number followed by text that is no Cisco tag: a counted fallback for
    // the header, as before.
    for line in [
        "<189>123: hello",
        "<189>123: router1: hello",
        "<13>CRON: msg",
    ] {
        assert_header_fallback(line);
    }
    // A Linux line whose message starts with a number and a colon.
    let j = map("Mar  1 00:01:23 host cron: 12: x");
    assert_eq!(j["time"], ms(2026, 3, 1, 0, 1, 23) - 3_600_000, "{j}");
    assert_eq!(j["timezone_offset"], 60, "{j}");
}

/// `logging message-counter syslog` and `service sequence-numbers` together:
/// two numbers before the time (the origin id between them), mapped like a
/// line with one.
#[test]
fn message_counter_and_sequence_number_before_the_time() {
    let j = map(
        "<187>56: 000052: *Mar  1 18:46:11.351 UTC: %LINK-3-UPDOWN: Interface FastEthernet0/1, changed state to down",
    );
    assert_eq!(j["time"], ms(2026, 3, 1, 18, 46, 11) + 351, "{j}");
    assert_eq!(j["timezone_offset"], 0, "{j}");
    assert_eq!(
        j["unmapped"]["fallback"]["kind"],
        serde_json::Value::Null,
        "{j}"
    );
    assert_eq!(j["metadata"]["log_provider"], "%LINK-3-UPDOWN", "{j}");
    assert_eq!(
        j["message"], "Interface FastEthernet0/1, changed state to down",
        "{j}"
    );
    assert_eq!(
        j["severity_id"],
        map(
            "<187>56: *Mar  1 18:46:11.351 UTC: %LINK-3-UPDOWN: Interface FastEthernet0/1, changed state to down"
        )["severity_id"]
    );

    let j = map(
        "<189>5: router1: 000123: Jan 10 10:11:12.345: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.0.0.5)",
    );
    // No zone written: the configured offset (UTC+01:00).
    assert_eq!(j["time"], ms(2026, 1, 10, 9, 11, 12) + 345, "{j}");
    assert_eq!(j["timezone_offset"], 60, "{j}");
    assert_eq!(j["unmapped"]["device"]["hostname"], "router1", "{j}");
    assert_eq!(j["metadata"]["log_provider"], "%SYS-5-CONFIG_I", "{j}");
    assert_eq!(
        j["message"], "Configured from console by admin on vty0 (10.0.0.5)",
        "{j}"
    );
}

/// Cisco NX-OS: the host, then a year-first time and its zone name.
#[test]
fn nxos_lines_use_the_written_year_and_host() {
    let j = map(
        "<190>sw01: 2017 Jul 28 10:32:11 UTC: %ETHPORT-5-IF_UP: Interface Ethernet1/1 is up in mode access",
    );
    assert_eq!(j["time"], ms(2017, 7, 28, 10, 32, 11), "{j}");
    assert_eq!(j["timezone_offset"], 0, "{j}");
    assert_eq!(
        j["unmapped"]["fallback"]["kind"],
        serde_json::Value::Null,
        "{j}"
    );
    assert_eq!(j["unmapped"]["device"]["hostname"], "sw01", "{j}");
    assert_eq!(j["metadata"]["log_provider"], "%ETHPORT-5-IF_UP", "{j}");
    assert_eq!(
        j["message"], "Interface Ethernet1/1 is up in mode access",
        "{j}"
    );
    // No host; milliseconds.
    let j = map(
        "<189>: 2023 Jan 10 10:11:12.250 UTC: %AUTHPRIV-6-SYSTEM_MSG: Finished loading the configuration - vsh[4181]",
    );
    assert_eq!(j["time"], ms(2023, 1, 10, 10, 11, 12) + 250, "{j}");
    assert_eq!(j["timezone_offset"], 0, "{j}");
    // A `SYSTEM_MSG` names the program whose line it relays (`vsh`, pid 4181).
    assert_eq!(j["metadata"]["log_provider"], "vsh", "{j}");
    assert_eq!(j["unmapped"]["pid"], 4181, "{j}");
    assert_eq!(j["message"], "Finished loading the configuration", "{j}");
    // A zone name that is not UTC: the configured offset, as for IOS.
    let j = map("<189>sw01: 2023 Jan 10 10:11:12 CET: %SYS-5-X: m");
    assert_eq!(j["time"], ms(2023, 1, 10, 9, 11, 12), "{j}");
    assert_eq!(j["timezone_offset"], 60, "{j}");
}

/// A zone the Cisco rule does not know, a numeric offset and text that is not
/// an NX-OS header stay counted `syslog_header` fallbacks.
#[test]
fn nxos_and_counter_near_misses_are_unchanged() {
    for line in [
        "<189>sw01: 2023 Jan 10 10:11:12 XYZ: %SYS-5-X: m",
        "<189>sw01: 2023 Jan 10 10:11:12 +01:00: %SYS-5-X: m",
        "<189>sw01: hello",
        "<189>sw01 2023 Jan 10 10:11:12: %SYS-5-X: m",
        "<189>56: 000052: hello",
        "<189>56: 000052: 000053: Mar  1 00:01:23: %SYS-5-X: m",
    ] {
        assert_header_fallback(line);
    }
}

/// `line` maps to a counted fallback for its header, at the reference clock.
fn assert_header_fallback(line: &str) {
    let j = map(line);
    assert_eq!(j["class_uid"], 0, "{j}");
    assert_eq!(
        j["unmapped"]["fallback"]["kind"], "invalid timestamp",
        "{j}"
    );
    assert_eq!(j["time"], REFERENCE, "{j}");
    assert_eq!(j["raw_data"], line, "{j}");
}

//! RFC 3164 year inference through the Linux mapper: an inferred timestamp is
//! never more than a day after the reference clock (the writer's default
//! future skew), so year-less lines are never refused for being in the future.

mod common;

use common::check;
use ocsf_mappers::formats::time::days_from_civil;
use ocsf_mappers::{LinuxMapper, SourceConfig};

const DAY_MS: i64 = 86_400_000;

fn ms(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64) -> i64 {
    days_from_civil(y, mo, d) * DAY_MS + ((h * 60 + mi) * 60 + s) * 1000
}

fn map_at(reference_ms: i64, line: &str) -> serde_json::Value {
    let mut m = LinuxMapper::new(SourceConfig::linux().with_reference_ms(reference_ms));
    let mut v = m.map_line(line);
    v.extend(m.finish());
    assert_eq!(v.len(), 1, "{line}");
    check(&v[0])
}

const SSHD: &str = "web1 sshd[1]: Accepted password for root from 192.0.2.1 port 22 ssh2";

#[test]
fn december_line_read_before_its_day_is_last_year() {
    let reference = ms(2026, 12, 4, 20, 0, 0);
    let j = map_at(reference, &format!("Dec 10 08:00:00 {SSHD}"));
    assert_eq!(j["class_uid"], 3002);
    assert_eq!(j["time"], ms(2025, 12, 10, 8, 0, 0));
    // Every month of the year read on the same day stays at most a day ahead.
    for month in [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ] {
        for day in ["1", "5", "28"] {
            let j = map_at(reference, &format!("{month} {day:>2} 23:59:59 {SSHD}"));
            let t = j["time"].as_i64().expect("time");
            assert!(t <= reference + DAY_MS, "{month} {day}: {t}");
            assert!(t > reference - 366 * DAY_MS, "{month} {day}: {t}");
        }
    }
}

#[test]
fn january_line_read_on_new_years_eve_is_next_year_within_a_day() {
    let reference = ms(2026, 12, 31, 18, 0, 0);
    let j = map_at(reference, &format!("Jan  1 00:10:00 {SSHD}"));
    assert_eq!(j["time"], ms(2027, 1, 1, 0, 10, 0));
    let j = map_at(reference, &format!("Jan  1 18:00:01 {SSHD}"));
    assert_eq!(j["time"], ms(2026, 1, 1, 18, 0, 1));
}

#[test]
fn feb_29_in_a_common_inferred_year_is_a_counted_fallback() {
    let j = map_at(ms(2026, 12, 4, 0, 0, 0), &format!("Feb 29 08:00:00 {SSHD}"));
    assert_eq!(j["class_uid"], 0);
    assert_eq!(j["unmapped"]["fallback"]["kind"], "invalid timestamp");
    let j = map_at(ms(2024, 12, 4, 0, 0, 0), &format!("Feb 29 08:00:00 {SSHD}"));
    assert_eq!(j["class_uid"], 3002);
    assert_eq!(j["time"], ms(2024, 2, 29, 8, 0, 0));
}

#[test]
fn a_year_written_in_the_header_is_used_not_inferred() {
    // Read in 2026, a line that says 2024 stays in 2024 (inference would say 2026).
    let reference = ms(2026, 12, 4, 20, 0, 0);
    let j = map_at(reference, &format!("Mar  1 2024 12:00:00 {SSHD}"));
    assert_eq!(j["class_uid"], 3002);
    assert_eq!(j["time"], ms(2024, 3, 1, 12, 0, 0));
    assert_eq!(j["device"]["hostname"], "web1");
    // The day must exist in the written year.
    let j = map_at(reference, &format!("Feb 29 2023 08:00:00 {SSHD}"));
    assert_eq!(j["class_uid"], 0);
    assert_eq!(j["unmapped"]["fallback"]["kind"], "invalid timestamp");
}

#[test]
fn cisco_ios_sequence_number_marker_and_zone_keep_the_time() {
    // `service sequence-numbers` and `service timestamps log datetime msec
    // show-timezone year`: the header's time and zone are used.
    let reference = ms(2026, 12, 4, 20, 0, 0);
    let j = map_at(
        reference,
        "<189>000123: *Mar  1 2024 00:01:23.456 UTC: %SYS-5-CONFIG_I: Configured from console",
    );
    assert_eq!(j["time"], ms(2024, 3, 1, 0, 1, 23) + 456);
    assert_eq!(j["timezone_offset"], 0);
    // Not a timestamp fallback: the Linux mapper only lacks a rule for the program.
    assert_eq!(
        j["unmapped"]["fallback"]["kind"],
        serde_json::Value::Null,
        "{j}"
    );
    assert_eq!(j["metadata"]["log_provider"], "%SYS-5-CONFIG_I");
    let j = map_at(
        reference,
        "<189>123: .Mar  1 00:01:23: %SYS-5-CONFIG_I: Configured",
    );
    assert_eq!(j["time"], ms(2026, 3, 1, 0, 1, 23));
}

#[test]
fn cisco_asa_device_id_keeps_host_time_and_tag() {
    let reference = ms(2026, 12, 4, 20, 0, 0);
    let j = map_at(
        reference,
        "<166>Mar 01 2024 12:00:00 fw01 : %ASA-6-302013: Built outbound TCP connection",
    );
    assert_eq!(j["time"], ms(2024, 3, 1, 12, 0, 0));
    // A base event has no `device`: the fallback keeps the hostname in `unmapped`.
    assert_eq!(j["unmapped"]["device"]["hostname"], "fw01", "{j}");
    assert_eq!(j["metadata"]["log_provider"], "%ASA-6-302013");
    assert_eq!(j["message"], "Built outbound TCP connection");
}

//! Syslog header parsing (RFC 3164 / 5424 / 3339-prefixed), the multi-line
//! joiner and the stand-alone RFC 3339 timestamp parser.
//!
//! The first byte picks the reference clock and the sender's UTC offset (so
//! year inference and offsets at the edges of the calendar are exercised);
//! the rest is split into lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocsf_mappers::formats::syslog::{self, Multiline, SyslogContext};
use ocsf_mappers::formats::time;

/// Reference clocks: 2024-06-10, the epoch, 1969-12-31, 9999-12-31, year 1.
const REFERENCES: [i64; 5] = [
    1_718_000_000_000,
    0,
    -1,
    253_402_300_799_000,
    -62_135_596_800_000,
];
/// UTC offsets of the sender's clock, seconds.
const OFFSETS: [i32; 4] = [0, -5 * 3600, 14 * 3600, -12 * 3600];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let reference = REFERENCES[usize::from(selector) % REFERENCES.len()];
    let offset = OFFSETS[usize::from(selector >> 4) % OFFSETS.len()];
    let ctx = SyslogContext::new(reference).with_utc_offset_secs(offset);
    let text = String::from_utf8_lossy(rest);

    for line in text.split('\n') {
        if let Ok(rec) = syslog::parse(line, &ctx) {
            // The record borrows from the line it was given.
            assert!(line.starts_with(rec.raw), "raw is not a prefix of the line");
            assert!(
                rec.raw.contains(rec.message_raw),
                "message_raw is not in the line"
            );
            if let (Some(f), Some(s)) = (rec.facility, rec.severity) {
                assert!(s < 8, "severity {s} out of range");
                assert_eq!(
                    rec.priority().map(u32::from),
                    Some(u32::from(f) * 8 + u32::from(s))
                );
            }
            for element in &rec.structured_data {
                for param in &element.params {
                    assert!(
                        element.param(param.name).is_some(),
                        "a parsed SD-PARAM is not found by name"
                    );
                }
            }
            // Parsing is deterministic.
            assert_eq!(syslog::parse(line, &ctx).ok(), Some(rec));
        }
        let _ = time::parse_rfc3339(line.trim());
    }

    // The sudo continuation joiner (small cap so the length limit is reached).
    let mut joiner = Multiline::new(ctx).with_max_len(512);
    let mut joined = Vec::new();
    for line in text.split('\n') {
        if let Ok(Some(j)) = joiner.push(line) {
            joined.push(j);
        }
    }
    joined.extend(joiner.finish());
    for j in &joined {
        assert!(j.line_count() >= 1);
        // What the joiner emits always re-parses as syslog.
        assert!(
            j.parse(&ctx).is_ok(),
            "joined line does not re-parse: {:?}",
            j.text()
        );
    }
});

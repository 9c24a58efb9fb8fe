//! Helpers shared by the mapping tests.

#![allow(dead_code)]

use ocsf_model::validate::validate_value;
use serde_json::Value;

/// The checks every produced event must pass: `ocsf-model`'s validator finds
/// zero errors against the OCSF 1.1.0 schema (warnings are allowed), the OCSF
/// base attributes are present and `type_uid` agrees with `class_uid` and
/// `activity_id`. Returns the event as JSON.
pub fn check(event: &impl serde::Serialize) -> Value {
    let v = serde_json::to_value(event).expect("events serialize");
    let report = validate_value(&v, &ocsf_model::v1_1_0::SCHEMA);
    assert!(
        report.is_valid(),
        "validator errors:\n{}\nevent: {v}",
        report
            .errors()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let class_uid = v["class_uid"].as_i64().expect("class_uid");
    let activity_id = v["activity_id"].as_i64().expect("activity_id");
    assert_eq!(
        v["type_uid"].as_i64(),
        Some(class_uid * 100 + activity_id),
        "type_uid of {v}"
    );
    assert!(v["time"].as_i64().is_some(), "time of {v}");
    assert!(v["severity_id"].as_i64().is_some(), "severity_id of {v}");
    assert!(
        v["metadata"]["product"]["name"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "metadata.product.name of {v}"
    );
    assert!(
        v["metadata"]["product"]["vendor_name"].as_str().is_some(),
        "metadata.product.vendor_name of {v}"
    );
    assert_eq!(v["metadata"]["version"], "1.1.0", "metadata.version of {v}");
    if class_uid == 0 {
        assert!(
            v["raw_data"].as_str().is_some(),
            "fallback without raw_data: {v}"
        );
        assert!(
            v["unmapped"]["fallback"]["reason"].as_str().is_some(),
            "fallback without reason: {v}"
        );
    }
    v
}

/// The shared sample corpora (`../shared/samples` beside the checkout).
pub const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/samples");

/// A file or folder of the sample corpora, or `None` (with a note) when it is absent.
pub fn sample(sub: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(SAMPLES).join(sub);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("note: sample {} is absent; skipping it", p.display());
        None
    }
}

/// Midnight UTC of a civil date, epoch milliseconds (a reference time for year inference).
pub fn day_ms(y: i64, m: u32, d: u32) -> i64 {
    ocsf_mappers::formats::time::days_from_civil(y, m, d) * 86_400_000
}

/// 2024-06-10T00:00:00Z: the reference time of the Linux semantic tests.
pub const LINUX_REF_MS: i64 = 1_717_977_600_000;

/// Maps `lines` (then flushes grouped records) through one `LinuxMapper` at
/// [`LINUX_REF_MS`]; every event passes [`check`].
pub fn map(lines: &[&str]) -> Vec<Value> {
    let mut m = ocsf_mappers::LinuxMapper::new(
        ocsf_mappers::SourceConfig::linux().with_reference_ms(LINUX_REF_MS),
    );
    let mut out: Vec<Value> = lines
        .iter()
        .flat_map(|l| m.map_line(l))
        .map(|e| check(&e))
        .collect();
    out.extend(m.finish().iter().map(check));
    out
}

/// The one event `line` maps to (a failure names the line and what it gave).
pub fn map1(line: &str) -> Value {
    let v = map(&[line]);
    assert_eq!(v.len(), 1, "{line}: {v:#?}");
    v.into_iter().next().unwrap_or_default()
}

/// Epoch milliseconds of a civil date and time in UTC.
pub fn civil_ms(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64) -> i64 {
    day_ms(y, mo, d) + ((h * 60 + mi) * 60 + s) * 1000
}

/// The one event `line` maps to (grouped records flushed) through a `LinuxMapper` at
/// `reference_ms` and `utc_offset_secs`; it passes [`check`].
pub fn map1_at(line: &str, reference_ms: i64, utc_offset_secs: i32) -> Value {
    let config = ocsf_mappers::SourceConfig::linux()
        .with_reference_ms(reference_ms)
        .with_utc_offset_secs(utc_offset_secs);
    let mut m = ocsf_mappers::LinuxMapper::new(config);
    let mut v = m.map_line(line);
    v.extend(m.finish());
    assert_eq!(v.len(), 1, "{line}");
    check(&v[0])
}

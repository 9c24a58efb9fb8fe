//! Every `.ocsf` JSON sample of OCSF 1.1.0 (read in place from `../shared/samples/`) deserializes
//! into its typed class and re-serializes to equal JSON.
//!
//! "Equal" treats a member whose value is `null` as absent: OCSF defines no null values, and the
//! typed model reads `null` as an unset attribute (some AWS samples write `"referrer": null`).
#![cfg(feature = "v1_1_0")]

use std::path::PathBuf;

use ocsf_model::OcsfEvent;
use ocsf_model::v1_1_0::events as ev;
use serde_json::Value;

fn samples() -> Option<Vec<PathBuf>> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples/ocsf-json/1.1.0");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} is absent", dir.display());
        return None;
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ocsf"))
        .collect();
    files.sort();
    Some(files)
}

fn round_trip<E: OcsfEvent>(value: &Value) -> Value {
    let typed: E = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("{} does not read: {e}", E::CLASS_NAME));
    assert_eq!(
        typed.type_uid(),
        value["type_uid"].as_i64().unwrap_or_default()
    );
    serde_json::to_value(&typed).expect("serializes")
}

/// Removes object members whose value is `null`, recursively.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

#[test]
fn every_sample_round_trips_through_its_typed_class() {
    let Some(files) = samples() else { return };
    assert!(
        files.len() >= 10,
        "expected the 1.1.0 samples, found {}",
        files.len()
    );
    let mut events = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        let json: Value = serde_json::from_str(&text).expect("sample is JSON");
        let list = match json {
            Value::Array(a) => a,
            other => vec![other],
        };
        for value in list {
            let uid = value["class_uid"].as_i64().expect("class_uid");
            let back = match uid {
                3001 => round_trip::<ev::AccountChange>(&value),
                3002 => round_trip::<ev::Authentication>(&value),
                6003 => round_trip::<ev::ApiActivity>(&value),
                4003 => round_trip::<ev::DnsActivity>(&value),
                4001 => round_trip::<ev::NetworkActivity>(&value),
                4002 => round_trip::<ev::HttpActivity>(&value),
                2001 => round_trip::<ev::SecurityFinding>(&value),
                2002 => round_trip::<ev::VulnerabilityFinding>(&value),
                2003 => round_trip::<ev::ComplianceFinding>(&value),
                2004 => round_trip::<ev::DetectionFinding>(&value),
                other => panic!(
                    "{}: class {other} is not covered by this test",
                    file.display()
                ),
            };
            assert_eq!(
                back,
                without_nulls(value),
                "{} does not round-trip",
                file.display()
            );
            events += 1;
        }
    }
    eprintln!("{events} sample events round-tripped");
}

#[test]
fn a_sample_read_as_another_class_is_refused() {
    let Some(files) = samples() else { return };
    let file = files
        .iter()
        .find(|f| f.to_string_lossy().contains("Authentication"))
        .expect("an authentication sample");
    let value: Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("read")).expect("json");
    let err = serde_json::from_value::<ev::NetworkActivity>(value).expect_err("wrong class");
    assert!(err.to_string().contains("class_uid 3002"), "{err}");
}

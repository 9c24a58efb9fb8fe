//! Golden tests: the fixture lines in `tests/golden/*.log` (written for these
//! tests) must map to exactly the events in the matching `*.json` (reviewed by
//! hand; compare field by field on a failure). After a deliberate mapping
//! change, `GOLDEN_REGENERATE=1 cargo test -p ocsf-mappers --test golden`
//! rewrites the `*.json` files; review their diff before committing.

mod common;

use std::path::Path;

use common::check;
use ocsf_mappers::{DeepSecurityMapper, LinuxMapper, SourceConfig, TrendMicroMapper};
use serde_json::Value;

/// 2024-06-10T00:00:00Z.
const REF_MS: i64 = 1_717_977_600_000;

fn golden(name: &str) -> (String, Vec<Value>) {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden"));
    let input = std::fs::read_to_string(dir.join(format!("{name}.log"))).expect("golden input");
    let expected =
        std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("golden output");
    let expected: Vec<Value> =
        serde_json::from_str(&expected).expect("golden output is a JSON array");
    (input, expected)
}

fn compare(name: &str, got: &[Value], expected: &[Value]) {
    if std::env::var_os("GOLDEN_REGENERATE").is_some() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden"));
        let text = serde_json::to_string_pretty(got).expect("serializes") + "\n";
        std::fs::write(dir.join(format!("{name}.json")), text).expect("golden output written");
        return;
    }
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        if g != e {
            let (gm, em) = (g.as_object(), e.as_object());
            let mut diffs = Vec::new();
            if let (Some(gm), Some(em)) = (gm, em) {
                for k in gm.keys().chain(em.keys()) {
                    if gm.get(k) != em.get(k) && !diffs.contains(k) {
                        diffs.push(k.clone());
                    }
                }
            }
            panic!(
                "{name}: event {i} differs in {diffs:?}\n got: {}\nwant: {}",
                serde_json::to_string(g).unwrap_or_default(),
                serde_json::to_string(e).unwrap_or_default()
            );
        }
    }
    assert_eq!(got.len(), expected.len(), "{name}: event count");
}

#[test]
fn linux_golden() {
    let (input, expected) = golden("linux");
    let config = SourceConfig::linux()
        .with_reference_ms(REF_MS)
        .with_log_name("syslog")
        .with_tenant_uid("123456789012")
        .with_hostname_fallback("fallback-host");
    let mut m = LinuxMapper::new(config);
    let mut got = Vec::new();
    for line in input.lines() {
        got.extend(m.map_line(line).iter().map(check));
    }
    got.extend(m.finish().iter().map(check));
    compare("linux", &got, &expected);
}

#[test]
fn deep_security_golden() {
    let (input, expected) = golden("deep_security");
    let config = SourceConfig::deep_security()
        .with_reference_ms(REF_MS)
        .with_tenant_uid("123456789012");
    let mut m = DeepSecurityMapper::new(config);
    let got: Vec<Value> = input
        .lines()
        .flat_map(|l| m.map_line(l))
        .map(|e| check(&e))
        .collect();
    compare("deep_security", &got, &expected);
}

#[test]
fn trend_micro_golden() {
    let (input, expected) = golden("trend_micro");
    let config = SourceConfig::trend_micro()
        .with_reference_ms(REF_MS)
        .with_tenant_uid("123456789012");
    let mut m = TrendMicroMapper::new(config);
    let got: Vec<Value> = input
        .lines()
        .flat_map(|l| m.map_line(l))
        .map(|e| check(&e))
        .collect();
    compare("trend_micro", &got, &expected);
}

/// The validator assertion in `check` is live: a golden event with a caption
/// that contradicts its id is rejected.
#[test]
#[should_panic(expected = "validator errors")]
fn check_rejects_an_event_the_validator_rejects() {
    let (_, expected) = golden("linux");
    let mut event = expected.into_iter().next().unwrap_or_default();
    event["activity_name"] = Value::from("Logoff");
    check(&event);
}

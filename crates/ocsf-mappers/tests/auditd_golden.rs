//! Golden test for auditd record type groups, orphan records and unknown
//! types: `tests/golden/auditd_types.log` (written for this test) must map to
//! exactly the events in `auditd_types.json` (reviewed by hand). Set
//! `OCSF_MAPPERS_BLESS=1` to rewrite the expected file after a deliberate
//! change, then review the diff.

mod common;

use std::path::Path;

use common::check;
use ocsf_mappers::{LinuxMapper, SourceConfig};
use serde_json::Value;

/// 2024-06-10T00:00:00Z.
const REF_MS: i64 = 1_717_977_600_000;

#[test]
fn auditd_types_golden() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden"));
    let input = std::fs::read_to_string(dir.join("auditd_types.log")).expect("golden input");
    let config = SourceConfig::linux()
        .with_reference_ms(REF_MS)
        .with_log_name("audit")
        .with_tenant_uid("123456789012");
    let mut m = LinuxMapper::new(config);
    let mut got = Vec::new();
    for line in input.lines() {
        got.extend(m.map_line(line).iter().map(check));
    }
    got.extend(m.finish().iter().map(check));
    let path = dir.join("auditd_types.json");
    if std::env::var_os("OCSF_MAPPERS_BLESS").is_some() {
        let text = serde_json::to_string_pretty(&got).expect("serializes");
        std::fs::write(&path, text + "\n").expect("writes the golden file");
    }
    let expected: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("golden output"))
            .expect("golden output is a JSON array");
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "event {i} differs");
    }
    assert_eq!(got.len(), expected.len(), "event count");
}

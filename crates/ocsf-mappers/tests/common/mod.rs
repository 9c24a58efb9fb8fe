//! Helpers shared by the mapping tests.

#![allow(dead_code)]

use serde_json::Value;

/// The checks every produced event must pass: the OCSF base attributes are
/// present and `type_uid` agrees with `class_uid` and `activity_id`. Returns
/// the event as JSON.
///
/// When `ocsf-model`'s validator lands, its zero-error assertion goes here, so
/// every test that maps anything runs it.
pub fn check(event: &impl serde::Serialize) -> Value {
    let v = serde_json::to_value(event).expect("events serialize");
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

//! Version conversions on a generated sample of every class (every attribute filled, objects
//! nested): 1.1.0 -> 1.3.0 -> 1.1.0 gives the event back unchanged, and each down-conversion
//! reports exactly the values the lower version cannot hold, a set computed here independently
//! of the generated code: from the sample JSON and the two versions' resolved schemas as
//! `ocsf_compiler` reads them.
#![cfg(all(feature = "v1_1_0", feature = "v1_3_0", feature = "v1_8_0"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ocsf_compiler::{Attribute, Schema};
use ocsf_model::convert::{
    ConversionReport, ConvertErrorKind, IntoVersion, LossReason, convert_value,
};
use ocsf_model::schema::{AttributeDef, EnumValues, ItemDef, SchemaVersion};
use ocsf_model::{ClassVisitor, OcsfEvent};
use serde_json::{Map, Value, json};

/// A sample event of `class` with every attribute filled, from the version's tables: objects
/// nested up to depth 3 (each object type at most twice on a path), arrays of two elements,
/// the first non-zero value of every enum, `metadata.version` the version's.
struct Sample {
    schema: &'static SchemaVersion,
}

impl Sample {
    fn item(&self, item: &ItemDef, stack: &mut Vec<&'static str>) -> Map<String, Value> {
        let mut out = Map::new();
        for a in item.attributes {
            if let Some(v) = self.attribute(a, stack) {
                out.insert(
                    a.name.to_string(),
                    if a.is_array { json!([v.clone(), v]) } else { v },
                );
            }
        }
        out
    }

    fn attribute(&self, a: &AttributeDef, stack: &mut Vec<&'static str>) -> Option<Value> {
        if let Some(e) = a.enumeration {
            return Some(match e {
                EnumValues::Int(values) => json!(
                    values
                        .iter()
                        .map(|(v, _)| *v)
                        .find(|v| *v != 0)
                        .unwrap_or(0)
                ),
                EnumValues::Str(values) => json!(values.first().map_or("x", |(v, _)| v)),
            });
        }
        if let Some(object) = a.object {
            let def = self.schema.object(object)?;
            if def.attributes.is_empty() {
                return Some(json!({"raw.key": "value", "other": "text"}));
            }
            if stack.len() >= 3 || stack.iter().filter(|s| **s == def.name).count() >= 2 {
                return None;
            }
            stack.push(def.name);
            let v = self.item(def, stack);
            stack.pop();
            return (!v.is_empty()).then_some(Value::Object(v));
        }
        let chain: Vec<&str> = self
            .schema
            .type_chain(a.type_name)
            .iter()
            .map(|t| t.name)
            .collect();
        Some(if chain.contains(&"datetime_t") {
            json!("2024-01-02T03:04:05.123Z")
        } else if chain.contains(&"timestamp_t") || chain.contains(&"long_t") {
            json!(1_704_164_645_123_i64)
        } else if chain.contains(&"integer_t") {
            json!(7)
        } else if chain.contains(&"float_t") {
            json!(1.5)
        } else if chain.contains(&"boolean_t") {
            json!(true)
        } else if chain.contains(&"json_t") {
            json!({"k": [1, "v", null]})
        } else {
            json!(format!("{}-value", a.name))
        })
    }

    fn event(&self, class: &'static ItemDef) -> Value {
        let mut v = self.item(class, &mut vec![class.name]);
        let activity = v.get("activity_id").and_then(Value::as_i64).unwrap_or(0);
        v.insert("class_uid".into(), json!(class.uid));
        v.insert("category_uid".into(), json!(class.category_uid));
        v.insert(
            "type_uid".into(),
            json!(i64::from(class.uid) * 100 + activity),
        );
        if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            m.insert("version".into(), json!(self.schema.version));
        }
        Value::Object(v)
    }
}

/// The project's resolved schema of a version, read with `ocsf_compiler`'s model.
fn resolved(version: &str) -> Schema {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../ocsf-schema")
        .join(version);
    let read = |name: &str| -> Value {
        let text = std::fs::read_to_string(dir.join(name)).expect("resolved schema file");
        serde_json::from_str(&text).expect("JSON")
    };
    let meta = read("meta.json");
    serde_json::from_value(json!({
        "version": meta["version"],
        "extensions": meta["extensions"],
        "categories": meta["categories"],
        "types": read("types.json"),
        "profiles": read("profiles.json"),
        "classes": read("classes.json"),
        "objects": read("objects.json"),
    }))
    .expect("a resolved schema")
}

/// The primitive a data type refines.
fn primitive(schema: &Schema, type_name: &str) -> String {
    let mut t = type_name.to_string();
    for _ in 0..8 {
        match schema.types.get(&t).and_then(|d| d.base.clone()) {
            Some(b) => t = b,
            None => break,
        }
    }
    match t.as_str() {
        "port_t" => "integer_t".into(),
        "timestamp_t" => "long_t".into(),
        _ => t,
    }
}

/// Whether `value` of attribute `a` fits attribute `b` of the target as a scalar.
fn scalar_fits(s: &Schema, d: &Schema, a: &Attribute, b: &Attribute, value: &Value) -> bool {
    let (pa, pb) = (primitive(s, &a.type_name), primitive(d, &b.type_name));
    if pa == pb {
        return true;
    }
    match (pa.as_str(), pb.as_str()) {
        ("integer_t", "long_t" | "float_t" | "string_t") => true,
        ("long_t" | "float_t" | "boolean_t", "string_t") => true,
        ("long_t", "integer_t") => value.as_i64().is_some_and(|v| i32::try_from(v).is_ok()),
        ("string_t" | "datetime_t", "integer_t") => {
            value.as_str().is_some_and(|v| v.parse::<i32>().is_ok())
        }
        ("string_t" | "datetime_t", "long_t") => {
            value.as_str().is_some_and(|v| v.parse::<i64>().is_ok())
        }
        ("string_t", "datetime_t") | ("datetime_t", "string_t") => true,
        _ => false,
    }
}

/// Whether an enum value of the source is one the target's enum lacks.
fn enum_lost(a: &Attribute, b: &Attribute, value: &Value) -> bool {
    let key = match value {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    let known = |x: &Attribute| x.enumeration.as_ref().is_none_or(|e| e.contains_key(&key));
    a.enumeration.is_some() && known(a) && b.enumeration.is_some() && !known(b)
}

/// Every (path, reason) the conversion of `value` (attributes `sa` of the source) to the
/// target (attributes `da`) must report.
fn expected(
    s: &Schema,
    d: &Schema,
    value: &Map<String, Value>,
    sa: &BTreeMap<String, Attribute>,
    da: &BTreeMap<String, Attribute>,
    path: &str,
    out: &mut BTreeSet<(String, LossReason)>,
) {
    for (name, v) in value {
        let here = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        let Some(a) = sa.get(name) else { continue };
        let Some(b) = da.get(name) else {
            out.insert((here, LossReason::Absent));
            continue;
        };
        if a.is_array != b.is_array {
            out.insert((here, LossReason::TypeChanged));
            continue;
        }
        let typed = |x: &Schema, o: &Option<String>| {
            o.as_ref()
                .and_then(|o| x.objects.get(o))
                .is_some_and(|o| !o.attributes.is_empty())
        };
        let objects = (a.type_name == "object_t", b.type_name == "object_t");
        let elements: Vec<(String, &Value)> = match v {
            Value::Array(list) if a.is_array => list
                .iter()
                .enumerate()
                .map(|(i, e)| (format!("{here}[{i}]"), e))
                .collect(),
            _ => vec![(here.clone(), v)],
        };
        match objects {
            (true, true) if a.object_type == b.object_type && typed(s, &a.object_type) => {
                let o = a.object_type.as_deref().unwrap_or_default();
                for (p, e) in elements {
                    if let Some(m) = e.as_object() {
                        expected(
                            s,
                            d,
                            m,
                            &s.objects[o].attributes,
                            &d.objects[o].attributes,
                            &p,
                            out,
                        );
                    }
                }
            }
            (true, true) if !typed(s, &a.object_type) && !typed(d, &b.object_type) => {}
            (false, false) => {
                if a.is_array {
                    // Arrays convert element-wise only between enums, or integer to long.
                    let (pa, pb) = (primitive(s, &a.type_name), primitive(d, &b.type_name));
                    let both_enums = a.enumeration.is_some() && b.enumeration.is_some();
                    if !(pa == pb || both_enums || (pa == "integer_t" && pb == "long_t")) {
                        out.insert((here, LossReason::TypeChanged));
                    } else if elements.iter().any(|(_, e)| enum_lost(a, b, e)) {
                        out.insert((here, LossReason::EnumValueUndefined));
                    }
                } else if !scalar_fits(s, d, a, b, v) {
                    out.insert((here, LossReason::TypeChanged));
                } else if enum_lost(a, b, v) {
                    out.insert((here, LossReason::EnumValueUndefined));
                }
            }
            _ => {
                out.insert((here, LossReason::TypeChanged));
            }
        }
    }
}

fn reported(report: &ConversionReport) -> BTreeSet<(String, LossReason)> {
    report
        .losses()
        .iter()
        .map(|l| (l.path.clone(), l.reason))
        .collect()
}

/// The value at a report path (`a.b[1].c`) of a JSON event.
fn at<'v>(event: &'v Value, path: &str) -> Option<&'v Value> {
    let mut current = event;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, i)) => (n, i.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        current = current.get(name)?;
        if let Some(i) = index {
            current = current.get(i)?;
        }
    }
    Some(current)
}

/// 1.1.0 -> 1.3.0 -> 1.1.0 for every 1.1.0 class, typed.
struct RoundTrip {
    classes: usize,
}

impl ClassVisitor for RoundTrip {
    fn visit<E: OcsfEvent>(&mut self) {
        let schema = E::schema();
        let class = schema
            .class_by_uid(i64::from(E::CLASS_UID))
            .expect("the class is in its tables");
        let sample = Sample { schema }.event(class);
        let event: E = serde_json::from_value(sample.clone())
            .unwrap_or_else(|e| panic!("{}: the sample does not read: {e}", E::CLASS_NAME));
        let mut report = ConversionReport::new();
        let newer = convert_value(sample.clone(), "1.1.0", "1.3.0", &mut report)
            .unwrap_or_else(|e| panic!("{}: {e}", E::CLASS_NAME));
        assert!(
            report.is_empty(),
            "{}: 1.3.0 holds all of 1.1.0: {:?}",
            E::CLASS_NAME,
            report.losses()
        );
        assert_eq!(newer["metadata"]["version"], "1.3.0");
        let back = convert_value(newer, "1.3.0", "1.1.0", &mut report)
            .unwrap_or_else(|e| panic!("{}: {e}", E::CLASS_NAME));
        assert!(
            report.is_empty(),
            "{}: {:?}",
            E::CLASS_NAME,
            report.losses()
        );
        let json = serde_json::to_value(&event).expect("serializes");
        assert_eq!(back, json, "{}: JSON round trip", E::CLASS_NAME);
        let back: E = serde_json::from_value(back).expect("reads back");
        assert_eq!(back, event, "{}: typed round trip", E::CLASS_NAME);
        self.classes += 1;
    }
}

#[test]
fn every_1_1_0_class_round_trips_through_1_3_0_unchanged() {
    let mut visitor = RoundTrip { classes: 0 };
    ocsf_model::v1_1_0::visit_classes(&mut visitor);
    assert_eq!(visitor.classes, ocsf_model::v1_1_0::SCHEMA.classes.len());
}

/// Converts the sample of every class of `from` to `to` and compares the report with the
/// independently computed set; classes `to` lacks must be refused by name.
fn down(from: &str, to: &str, tables: &'static SchemaVersion) -> (usize, usize, usize) {
    let (s, d) = (resolved(from), resolved(to));
    let target_uids: BTreeMap<i64, &String> = d.classes.iter().map(|(n, c)| (c.uid, n)).collect();
    let (mut converted, mut refused, mut losses) = (0, 0, 0);
    for class in tables.classes {
        let sample = Sample { schema: tables }.event(class);
        let mut report = ConversionReport::new();
        let result = convert_value(sample.clone(), from, to, &mut report);
        let Some(target) = target_uids.get(&i64::from(class.uid)) else {
            let e = result.expect_err("a class the target lacks is refused");
            assert_eq!(e.kind(), ConvertErrorKind::ClassNotInTarget);
            assert!(e.to_string().contains(class.name), "{e}");
            refused += 1;
            continue;
        };
        let out = result.unwrap_or_else(|e| panic!("{}: {e}", class.name));
        let mut want = BTreeSet::new();
        expected(
            &s,
            &d,
            sample.as_object().expect("an object"),
            &s.classes[class.name].attributes,
            &d.classes[target.as_str()].attributes,
            "",
            &mut want,
        );
        assert_eq!(
            reported(&report),
            want,
            "{from} -> {to}, {}: the report is the values {to} cannot hold",
            class.name
        );
        assert_eq!(
            report.len(),
            want.len(),
            "{}: one entry per value",
            class.name
        );
        // Every value moved out is in `unmapped` under its path, as JSON text of the value.
        for loss in report.losses() {
            let Some(key) = &loss.unmapped_key else {
                assert!(!loss.reason.in_unmapped(), "{}: {loss:?}", class.name);
                continue;
            };
            assert_eq!(key, &loss.path, "{}: no key collision here", class.name);
            let text = out["unmapped"][key.as_str()]
                .as_str()
                .unwrap_or_else(|| panic!("{}: {key} not in unmapped", class.name));
            let kept: Value = serde_json::from_str(text).expect("JSON text");
            assert_eq!(
                Some(&kept),
                at(&sample, &loss.path),
                "{}: {key} holds the source value",
                class.name
            );
        }
        // The source's own `unmapped` entries are still there.
        assert_eq!(out["unmapped"]["raw.key"], "value", "{}", class.name);
        assert_eq!(out["metadata"]["version"], to);
        converted += 1;
        losses += report.len();
    }
    // The refused classes are exactly those whose uid the target lacks.
    let lacking = s
        .classes
        .values()
        .filter(|c| !target_uids.contains_key(&c.uid))
        .count();
    assert_eq!(refused, lacking, "{from} -> {to}: refused classes");
    (converted, refused, losses)
}

#[test]
fn down_conversion_from_1_3_0_reports_exactly_what_1_1_0_lacks() {
    let (converted, refused, losses) = down("1.3.0", "1.1.0", &ocsf_model::v1_3_0::SCHEMA);
    eprintln!("1.3.0 -> 1.1.0: {converted} classes, {refused} refused, {losses} values reported");
    assert!(converted > 40 && refused > 0 && losses > 0);
}

#[test]
fn down_conversion_from_1_8_0_reports_exactly_what_1_1_0_lacks() {
    let (converted, refused, losses) = down("1.8.0", "1.1.0", &ocsf_model::v1_8_0::SCHEMA);
    eprintln!("1.8.0 -> 1.1.0: {converted} classes, {refused} refused, {losses} values reported");
    assert!(converted > 40 && refused > 0 && losses > 0);
}

#[test]
fn up_conversion_from_1_3_0_to_1_8_0_reports_what_1_8_0_cannot_hold() {
    let (converted, refused, _) = down("1.3.0", "1.8.0", &ocsf_model::v1_3_0::SCHEMA);
    assert!(converted > 40);
    assert!(refused == 0, "every 1.3.0 class uid exists in 1.8.0");
}

#[test]
fn typed_conversion_moves_values_and_recaptions() {
    use ocsf_model::v1_3_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    use ocsf_model::v1_3_0::objects::{Metadata, Product, User};
    let mut product = Product::default();
    product.name = Some("sshd".into());
    let mut user = User::default();
    user.name = Some("bob".into());
    user.risk_score = Some(80); // 1.3.0 only
    let mut event = Authentication::new(
        AuthenticationActivityId::Logon,
        Metadata::new(product, "1.3.0".into()),
        SeverityId::Informational,
        1_700_000_000_000,
        user,
    );
    event.duration = Some(i64::from(i32::MAX) + 1); // does not fit 1.1.0's integer
    let mut unmapped = Map::new();
    unmapped.insert("user.risk_score".into(), json!("taken"));
    event.unmapped = Some(unmapped);
    let mut report = ConversionReport::new();
    let old: ocsf_model::v1_1_0::events::Authentication = event.into_version(&mut report);
    assert_eq!(
        old.user.as_ref().and_then(|u| u.name.as_deref()),
        Some("bob")
    );
    assert_eq!(old.duration, None);
    assert_eq!(old.activity_name.as_deref(), Some("Logon"));
    assert_eq!(old.type_name(), Some("Authentication: Logon"));
    let unmapped = old.unmapped.expect("unmapped");
    assert_eq!(
        unmapped["user.risk_score"], "taken",
        "the source's own entry stays"
    );
    assert_eq!(unmapped["user.risk_score#2"], "80");
    assert_eq!(unmapped["duration"], "2147483648");
    let losses: Vec<_> = report
        .losses()
        .iter()
        .map(|l| (l.path.as_str(), l.reason, l.unmapped_key.as_deref()))
        .collect();
    assert_eq!(
        losses,
        [
            ("duration", LossReason::TypeChanged, Some("duration")),
            (
                "user.risk_score",
                LossReason::Absent,
                Some("user.risk_score#2")
            ),
        ]
    );
}

#[test]
fn renamed_classes_convert_by_uid_and_unknown_versions_are_refused() {
    // `kernel_extension` (1.3.0) is `kernel_extension_activity` in 1.8.0, uid 1002.
    let sample = Sample {
        schema: &ocsf_model::v1_3_0::SCHEMA,
    }
    .event(
        ocsf_model::v1_3_0::SCHEMA
            .class("kernel_extension")
            .expect("class"),
    );
    let mut report = ConversionReport::new();
    let out = convert_value(sample, "1.3.0", "1.8.0", &mut report).expect("converts");
    assert_eq!(
        out["class_name"], "class_name-value",
        "the producer's own text is kept"
    );
    assert_eq!(out["class_uid"], 1002);
    let e = convert_value(
        json!({"class_uid": 3002}),
        "1.0.0-rc.2",
        "1.3.0",
        &mut report,
    )
    .expect_err("no 1.0.0-rc.2 conversion");
    assert_eq!(e.kind(), ConvertErrorKind::UnsupportedVersions);
    let e = convert_value(json!({"class_uid": 1}), "1.1.0", "1.3.0", &mut report)
        .expect_err("no such class");
    assert_eq!(e.kind(), ConvertErrorKind::UnknownClass);
    let e = convert_value(
        json!({"class_uid": 3002, "time": "x"}),
        "1.1.0",
        "1.3.0",
        &mut report,
    )
    .expect_err("not an authentication");
    assert_eq!(e.kind(), ConvertErrorKind::InvalidEvent);
}

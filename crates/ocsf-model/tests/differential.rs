//! Differential test: our validator's verdict (valid = no errors) against JSON Schema validation
//! (the `jsonschema` crate) with the schemas that `ocsf-json-schema==1.2.0` (the oracle) builds
//! from the official OCSF 1.1.0 export, on a corpus of valid and deliberately broken events
//! generated for every 1.1.0 class, without and with the class's profiles. The same corpus is
//! also checked against our own export ([`ocsf_model::json_schema::class_schema`]).
//!
//! ```text
//! python3 crates/ocsf-model/tests/oracle_schemas.py DIR   # with ocsf-json-schema==1.2.0
//! OCSF_ORACLE_SCHEMAS=DIR cargo test -p ocsf-model --features jsonschema --test differential
//! ```
//!
//! Without `OCSF_ORACLE_SCHEMAS` the oracle comparison is skipped (with a note); the comparison
//! with our own export always runs.
//!
//! The corpus exercises the rules JSON Schema can express: required attributes (top level and
//! nested, profile-dependent), enum membership, JSON types, unknown attributes
//! (`additionalProperties: false`) and attributes of inactive profiles, patterns (`ip_t`, `mac_t`,
//! `hostname_t`, `email_t`, `uuid_t`, `datetime_t`, unanchored), `maxLength` (in characters),
//! ranges (`port_t`), `at_least_one` (`anyOf`), `just_one` (`oneOf`), free-form objects, plus
//! valid edge cases on each side of those limits.
//!
//! Excluded, because JSON Schema cannot express them or the two sides deliberately differ
//! (see `ocsf_model::validate`), and so never generated as broken cases:
//! - caption siblings (`activity_name`, `severity`, `class_name`, `type_name`, ...): a caption that
//!   differs from its id's is our error, invisible to JSON Schema;
//! - uid arithmetic: `type_uid` = `class_uid * 100 + activity_id` (the oracle only checks that
//!   `type_uid` is one of the class's type uids);
//! - deprecation: warnings for us, an annotation for JSON Schema (deprecated attributes are in
//!   the corpus as valid cases);
//! - `null` values (a warning for us, a type error for JSON Schema), integers written `1.0`
//!   (an error for us, an integer for JSON Schema), `integer_t` beyond 32 bits and `long_t`
//!   beyond 64 (errors for us);
//! - the profiles an event lists in `metadata.profiles` versus the fixed profile set a JSON
//!   Schema is built for: each corpus event lists exactly the profiles of the schema it is
//!   checked against.
//!
//! One oracle defect is excluded where it shows: `ocsf-json-schema` turns a dotted
//! `at_least_one` path (`patch_state`: `device.os.sp_name`, ...) into a literal property name, so
//! its schema rejects every `patch_state` event with an `anyOf` error at the root. Such a
//! disagreement counts as excluded only when every oracle error is exactly that.
#![cfg(all(feature = "jsonschema", feature = "v1_1_0"))]

use std::collections::BTreeMap;
use std::path::PathBuf;

use ocsf_model::json_schema::{CompiledSchema, class_schema};
use ocsf_model::schema::{AttributeDef, EnumValues, ItemDef, Requirement};
use ocsf_model::v1_1_0::SCHEMA;
use ocsf_model::validate::{ValidateOptions, minimal_event, minimal_object, validate_as_class};
use serde_json::{Map, Value, json};

/// One event of the corpus.
struct Case {
    label: String,
    event: Value,
}

fn active(attr: &AttributeDef, profiles: &[&str]) -> bool {
    attr.profiles.is_empty() || attr.profiles.iter().any(|p| profiles.contains(p))
}

/// Whether an attribute carries the caption of an enumerated attribute of the item: its value is
/// then tied to that enum's (a rule JSON Schema cannot express).
fn is_sibling(item: &ItemDef, name: &str) -> bool {
    item.attributes.iter().any(|a| a.sibling == Some(name))
}

fn has_type(attr: &AttributeDef, type_name: &str) -> bool {
    SCHEMA
        .type_chain(attr.type_name)
        .iter()
        .any(|t| t.name == type_name)
}

/// A valid value of an attribute (arrays with one element).
fn sample(attr: &AttributeDef, profiles: &[&str]) -> Value {
    let one = if let Some(object) = attr.object {
        minimal_object(&SCHEMA, object, profiles).unwrap_or_else(|| json!({}))
    } else if let Some(EnumValues::Int(values)) = attr.enumeration {
        json!(values.first().map_or(0, |v| v.0))
    } else if let Some(EnumValues::Str(values)) = attr.enumeration {
        json!(values.first().map_or("", |v| v.0))
    } else if has_type(attr, "integer_t") || has_type(attr, "long_t") {
        json!(1)
    } else if has_type(attr, "boolean_t") {
        json!(true)
    } else if has_type(attr, "float_t") {
        json!(1.5)
    } else {
        json!("example")
    };
    if attr.is_array { json!([one]) } else { one }
}

fn object_mut(value: &mut Value) -> &mut Map<String, Value> {
    value.as_object_mut().expect("an object")
}

fn remove_path(event: &mut Value, path: &str) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else {
        return;
    };
    let mut current = event;
    for p in parts {
        match current.get_mut(p) {
            Some(next) => current = next,
            None => return,
        }
    }
    if let Some(m) = current.as_object_mut() {
        m.remove(last);
    }
}

/// Sets an attribute matching `pred` (top level, or inside a top-level object attribute; active,
/// not deprecated) to `value`; `None` when the class has no such attribute.
fn with_slot(
    class: &ItemDef,
    profiles: &[&str],
    base: &Value,
    pred: &dyn Fn(&AttributeDef) -> bool,
    value: Value,
) -> Option<Value> {
    let usable = |a: &AttributeDef| active(a, profiles) && a.deprecated.is_none();
    let wrap = |a: &AttributeDef, v: Value| if a.is_array { json!([v]) } else { v };
    let mut event = base.clone();
    if let Some(a) = class
        .attributes
        .iter()
        .find(|a| usable(a) && a.object.is_none() && pred(a))
    {
        object_mut(&mut event).insert(a.name.to_string(), wrap(a, value));
        return Some(event);
    }
    for outer in class.attributes.iter().filter(|a| usable(a)) {
        let Some(def) = outer.object.and_then(|o| SCHEMA.object(o)) else {
            continue;
        };
        let Some(inner) = def
            .attributes
            .iter()
            .find(|a| usable(a) && a.object.is_none() && pred(a))
        else {
            continue;
        };
        let mut object = match base.get(outer.name) {
            Some(existing) if existing.is_object() => existing.clone(),
            _ => minimal_object(&SCHEMA, def.name, profiles)?,
        };
        object_mut(&mut object).insert(inner.name.to_string(), wrap(inner, value));
        object_mut(&mut event).insert(outer.name.to_string(), wrap(outer, object));
        return Some(event);
    }
    None
}

/// The valid and broken events of a class with a profile set.
fn corpus(class: &ItemDef, profiles: &[&str]) -> Vec<Case> {
    let mut cases = Vec::new();
    let Some(base) = minimal_event(&SCHEMA, class.name, profiles) else {
        return cases;
    };
    let mut add = |label: String, event: Value| cases.push(Case { label, event });
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut e = base.clone();
        f(&mut e);
        e
    };

    add("minimal".into(), base.clone());
    add(
        "severity Other with the source's caption".into(),
        edit(&|e| {
            e["severity_id"] = json!(99);
            e["severity"] = json!("Vendor Sev 3");
        }),
    );
    add(
        "free-form unmapped".into(),
        edit(&|e| e["unmapped"] = json!({"k": [1, {"x": "y"}], "n": {"deep": true}})),
    );
    if let Some(attr) = class
        .attributes
        .iter()
        .find(|a| a.deprecated.is_some() && active(a, profiles) && !is_sibling(class, a.name))
    {
        let value = sample(attr, profiles);
        add(
            format!("deprecated {}", attr.name),
            edit(&|e| {
                object_mut(e).insert(attr.name.to_string(), value.clone());
            }),
        );
    }

    for attr in class.attributes {
        if attr.requirement == Requirement::Required && active(attr, profiles) {
            add(
                format!("without {}", attr.name),
                edit(&|e| {
                    object_mut(e).remove(attr.name);
                }),
            );
        }
    }
    add(
        "metadata without version".into(),
        edit(&|e| remove_path(e, "metadata.version")),
    );
    add(
        "metadata without product".into(),
        edit(&|e| remove_path(e, "metadata.product")),
    );

    add(
        "severity_id 98".into(),
        edit(&|e| e["severity_id"] = json!(98)),
    );
    if class.uid != 0 {
        add(
            "activity_id 98".into(),
            edit(&|e| {
                e["activity_id"] = json!(98);
                e["type_uid"] = json!(i64::from(class.uid) * 100 + 98);
                object_mut(e).remove("activity_name");
                object_mut(e).remove("type_name");
            }),
        );
    }

    let types: [(&str, &str, Value); 6] = [
        ("time as a string", "time", json!("yesterday")),
        ("time with a fraction", "time", json!(1.5)),
        ("metadata as a string", "metadata", json!("x")),
        ("message as a number", "message", json!(42)),
        (
            "observables as an object",
            "observables",
            json!({"name": "x"}),
        ),
        ("severity_id as a string", "severity_id", json!("1")),
    ];
    for (label, attr, bad) in types {
        add(label.into(), edit(&|e| e[attr] = bad.clone()));
    }
    add(
        "metadata.profiles with a number".into(),
        edit(&|e| {
            let mut listed: Vec<Value> = profiles.iter().map(|p| json!(p)).collect();
            listed.push(json!(7));
            e["metadata"]["profiles"] = Value::Array(listed);
        }),
    );

    add(
        "unknown attribute".into(),
        edit(&|e| e["x_vendor_score"] = json!(7)),
    );
    add(
        "unknown nested attribute".into(),
        edit(&|e| e["metadata"]["x_extra"] = json!({"a": 1})),
    );
    if let Some(attr) = class
        .attributes
        .iter()
        .find(|a| !a.profiles.is_empty() && !active(a, profiles))
    {
        let value = sample(attr, profiles);
        add(
            format!("{} of an inactive profile", attr.name),
            edit(&|e| {
                object_mut(e).insert(attr.name.to_string(), value.clone());
            }),
        );
    }
    if let Some(attr) = class.attributes.iter().find(|a| {
        !a.profiles.is_empty()
            && active(a, profiles)
            && a.requirement != Requirement::Required
            && !is_sibling(class, a.name)
    }) {
        let value = sample(attr, profiles);
        add(
            format!("{} of an active profile", attr.name),
            edit(&|e| {
                object_mut(e).insert(attr.name.to_string(), value.clone());
            }),
        );
    }

    let patterns: [(&str, &str, &str); 6] = [
        ("ip_t", "not-an-ip", " 2001:db8::1 "),
        ("mac_t", "00:1a:2b", "00-1A-2B-3C-4D-5E"),
        ("hostname_t", "bad_host!", "a-b.example"),
        ("email_t", "nobody", "a.b+c@example.org"),
        (
            "uuid_t",
            "123e4567",
            "urn:uuid:123e4567-e89b-12d3-a456-426614174000",
        ),
        (
            "datetime_t",
            "2023-11-14 22:13:20",
            "2023-11-14T22:13:20.123-05:00",
        ),
    ];
    for (type_name, bad, good) in patterns {
        let pred = |a: &AttributeDef| has_type(a, type_name);
        for (verdict, value) in [("bad", bad), ("good", good)] {
            if let Some(e) = with_slot(class, profiles, &base, &pred, json!(value)) {
                add(format!("{verdict} {type_name} {value:?}"), e);
            }
        }
    }
    add(
        "message of 65535 characters".into(),
        edit(&|e| e["message"] = json!("é".repeat(65_535))),
    );
    add(
        "message of 65536 characters".into(),
        edit(&|e| e["message"] = json!("é".repeat(65_536))),
    );
    for (label, value) in [
        ("subnet_t of 43", "1".repeat(43)),
        ("subnet_t", "192.0.2.0/24".into()),
    ] {
        if let Some(e) = with_slot(
            class,
            profiles,
            &base,
            &|a| has_type(a, "subnet_t"),
            json!(value),
        ) {
            add(label.into(), e);
        }
    }
    for port in [-1, 0, 65_535, 65_536] {
        if let Some(e) = with_slot(
            class,
            profiles,
            &base,
            &|a| has_type(a, "port_t"),
            json!(port),
        ) {
            add(format!("port {port}"), e);
        }
    }

    if !class.at_least_one.is_empty() {
        add(
            "class at_least_one: none".into(),
            edit(&|e| {
                for path in class.at_least_one {
                    remove_path(e, path);
                }
            }),
        );
    }
    if !class.just_one.is_empty() {
        add(
            "class just_one: none".into(),
            edit(&|e| {
                for path in class.just_one {
                    remove_path(e, path);
                }
            }),
        );
        add(
            "class just_one: all".into(),
            edit(&|e| {
                for path in class.just_one {
                    if let Some(attr) = class.attribute(path) {
                        object_mut(e).insert(path.to_string(), sample(attr, profiles));
                    }
                }
            }),
        );
    }
    let object_slot = class.attributes.iter().find(|a| {
        active(a, profiles)
            && a.deprecated.is_none()
            && !a.is_array
            && a.object
                .and_then(|o| SCHEMA.object(o))
                .is_some_and(|d| !d.at_least_one.is_empty())
    });
    if let Some(attr) = object_slot
        && let Some(def) = attr.object.and_then(|o| SCHEMA.object(o))
        && let Some(object) = minimal_object(&SCHEMA, def.name, profiles)
    {
        let mut without = object.clone();
        for path in def.at_least_one {
            remove_path(&mut without, path);
        }
        for (label, value) in [("satisfied", object), ("none", without)] {
            add(
                format!("{}.at_least_one {label}", attr.name),
                edit(&|e| {
                    object_mut(e).insert(attr.name.to_string(), value.clone());
                }),
            );
        }
    }
    cases
}

/// Counts of one comparison.
#[derive(Default)]
struct Tally {
    both_valid: usize,
    both_invalid: usize,
    excluded: BTreeMap<String, usize>,
    disagreements: Vec<String>,
}

impl Tally {
    fn agree(&mut self, valid: bool) {
        if valid {
            self.both_valid += 1;
        } else {
            self.both_invalid += 1;
        }
    }

    fn summary(&self, name: &str) -> String {
        format!(
            "{name}: {} agreements ({} valid, {} invalid), {} excluded {:?}, {} disagreements",
            self.both_valid + self.both_invalid,
            self.both_valid,
            self.both_invalid,
            self.excluded.values().sum::<usize>(),
            self.excluded,
            self.disagreements.len()
        )
    }
}

fn our_verdict(class: &ItemDef, event: &Value) -> (bool, String) {
    let report = validate_as_class(event, &SCHEMA, class, &ValidateOptions::new());
    (report.is_valid(), report.to_string())
}

#[test]
fn our_validator_agrees_with_our_json_schema_export() {
    let mut tally = Tally::default();
    for class in SCHEMA.classes {
        for profiles in [&[][..], class.profiles] {
            let schema = class_schema(&SCHEMA, class.name, profiles).expect("class");
            let compiled = CompiledSchema::new(&schema).expect("our export compiles");
            for case in corpus(class, profiles) {
                let (ours, report) = our_verdict(class, &case.event);
                let errors = compiled.validate(&case.event);
                if ours == errors.is_empty() {
                    tally.agree(ours);
                } else {
                    tally.disagreements.push(format!(
                        "{} {profiles:?} {}: validator {ours} ({report}), export {errors:?}",
                        class.name, case.label
                    ));
                }
            }
        }
    }
    eprintln!("{}", tally.summary("validator vs own export"));
    assert!(
        tally.disagreements.is_empty(),
        "{}\n{}",
        tally.summary("validator vs own export"),
        tally.disagreements.join("\n")
    );
    assert!(
        tally.both_valid > 300 && tally.both_invalid > 1500,
        "{}",
        tally.summary("corpus")
    );
}

#[derive(serde::Deserialize)]
struct Index {
    version: String,
    oracle: String,
    classes: BTreeMap<String, IndexEntry>,
}

#[derive(serde::Deserialize)]
struct IndexEntry {
    plain: String,
    profiles: Vec<String>,
    with_profiles: String,
}

fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn our_validator_agrees_with_the_ocsf_json_schema_oracle() {
    let Some(dir) = std::env::var_os("OCSF_ORACLE_SCHEMAS").map(PathBuf::from) else {
        eprintln!(
            "skipped: set OCSF_ORACLE_SCHEMAS to the output of tests/oracle_schemas.py \
             (ocsf-json-schema==1.2.0) to compare with the oracle"
        );
        return;
    };
    let index: Index = serde_json::from_value(read_json(&dir.join("index.json")))
        .expect("index.json of tests/oracle_schemas.py");
    assert_eq!(index.version, SCHEMA.version);
    assert_eq!(index.oracle, "ocsf-json-schema==1.2.0");
    let ours: Vec<&str> = SCHEMA.classes.iter().map(|c| c.name).collect();
    let theirs: Vec<&str> = index.classes.keys().map(String::as_str).collect();
    assert_eq!(ours, theirs, "the same 1.1.0 classes");

    let mut tally = Tally::default();
    let mut profile_notes = Vec::new();
    for class in SCHEMA.classes {
        let entry = &index.classes[class.name];
        let mut declared: Vec<&str> = class.profiles.to_vec();
        declared.sort_unstable();
        let listed: Vec<&str> = entry.profiles.iter().map(String::as_str).collect();
        // `ItemDef::profiles` is informative (the validator activates attributes by their own
        // profiles), so a different list is a note, and the oracle's list is used on both sides.
        if declared != listed {
            profile_notes.push(format!("{}: {declared:?} vs {listed:?}", class.name));
        }
        let dotted = class.at_least_one.iter().any(|p| p.contains('.'));
        for (file, profiles) in [(&entry.plain, &[][..]), (&entry.with_profiles, &listed[..])] {
            let schema = read_json(&dir.join(file));
            let oracle = jsonschema::validator_for(&schema)
                .unwrap_or_else(|e| panic!("{file}: the oracle schema does not compile: {e}"));
            for case in corpus(class, profiles) {
                let (ours, report) = our_verdict(class, &case.event);
                let errors: Vec<(String, String, String)> = oracle
                    .iter_errors(&case.event)
                    .map(|e| {
                        (
                            e.kind().keyword().to_string(),
                            e.instance_path().as_str().to_string(),
                            e.to_string().chars().take(160).collect(),
                        )
                    })
                    .collect();
                let theirs = errors.is_empty();
                if ours == theirs {
                    tally.agree(ours);
                } else if ours
                    && dotted
                    && errors
                        .iter()
                        .all(|(k, path, _)| k == "anyOf" && path.is_empty())
                {
                    *tally
                        .excluded
                        .entry("oracle: dotted at_least_one as a literal name".into())
                        .or_default() += 1;
                } else {
                    tally.disagreements.push(format!(
                        "{} {profiles:?} {}: ours {} ({report}); oracle {} {errors:?}",
                        class.name,
                        case.label,
                        if ours { "valid" } else { "invalid" },
                        if theirs { "valid" } else { "invalid" },
                    ));
                }
            }
        }
    }
    eprintln!("{}", tally.summary("validator vs ocsf-json-schema 1.2.0"));
    if !profile_notes.is_empty() {
        eprintln!(
            "note: {} classes declare other profiles than the oracle's export (ours vs oracle):\n{}",
            profile_notes.len(),
            profile_notes.join("\n")
        );
    }
    assert!(
        tally.disagreements.is_empty(),
        "{}\n{}",
        tally.summary("validator vs ocsf-json-schema 1.2.0"),
        tally.disagreements.join("\n")
    );
    assert!(
        tally.both_valid > 300 && tally.both_invalid > 1500,
        "{}",
        tally.summary("corpus")
    );
}

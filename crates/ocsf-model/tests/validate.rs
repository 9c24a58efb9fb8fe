//! The validator against the OCSF 1.1.0 tables: a minimal valid event for every class, then one
//! deliberately broken variant per rule, each asserted by its exact code and path; typed events
//! built with the API; profiles, options, depth; the JSON Schema export's shape.
#![cfg(feature = "v1_1_0")]

use ocsf_model::OcsfEvent;
use ocsf_model::schema::{AttributeDef, ItemDef, Requirement, SchemaVersion};
use ocsf_model::v1_1_0::SCHEMA;
use ocsf_model::validate::{
    IssueCode, Report, Severity, ValidateOptions, matches_pattern, minimal_event, minimal_object,
    validate_as_class, validate_value, validate_value_with,
};
use serde_json::{Map, Value, json};

fn errors(report: &Report) -> Vec<(IssueCode, String)> {
    report.errors().map(|i| (i.code, i.path.clone())).collect()
}

fn warnings(report: &Report) -> Vec<(IssueCode, String)> {
    report
        .warnings()
        .map(|i| (i.code, i.path.clone()))
        .collect()
}

fn one(code: IssueCode, path: &str) -> Vec<(IssueCode, String)> {
    vec![(code, path.to_string())]
}

fn minimal(class: &ItemDef, profiles: &[&str]) -> Value {
    minimal_event(&SCHEMA, class.name, profiles).expect("the class exists")
}

fn map(value: &mut Value) -> &mut Map<String, Value> {
    value.as_object_mut().expect("an object")
}

/// Whether an attribute's data-type chain contains `type_name`.
fn has_type(schema: &SchemaVersion, attr: &AttributeDef, type_name: &str) -> bool {
    schema
        .type_chain(attr.type_name)
        .iter()
        .any(|t| t.name == type_name)
}

/// A valid value of an attribute (arrays with one element).
fn sample(attr: &AttributeDef) -> Value {
    let one = if let Some(object) = attr.object {
        minimal_object(&SCHEMA, object, &[]).expect("the object exists")
    } else if let Some(ocsf_model::schema::EnumValues::Int(values)) = attr.enumeration {
        json!(values[0].0)
    } else if has_type(&SCHEMA, attr, "integer_t") || has_type(&SCHEMA, attr, "long_t") {
        json!(1)
    } else if has_type(&SCHEMA, attr, "boolean_t") {
        json!(true)
    } else {
        json!("example")
    };
    if attr.is_array { json!([one]) } else { one }
}

/// Whether a dotted path leads to a value.
fn present(event: &Value, path: &str) -> bool {
    path.split('.')
        .try_fold(event, |v, p| v.get(p))
        .is_some_and(|v| !v.is_null())
}

/// Where a class can hold an attribute matching `pred`: a top-level attribute, or one inside
/// the object of a top-level attribute (no profile, not deprecated).
fn slot(
    class: &ItemDef,
    pred: &dyn Fn(&AttributeDef) -> bool,
) -> Option<(&'static AttributeDef, Option<&'static AttributeDef>)> {
    let usable = |a: &AttributeDef| a.profiles.is_empty() && a.deprecated.is_none();
    let top: Vec<&'static AttributeDef> = class
        .attributes
        .iter()
        .filter_map(|a| class.attribute(a.name))
        .collect();
    if let Some(a) = top
        .iter()
        .find(|a| usable(a) && a.object.is_none() && pred(a))
    {
        return Some((a, None));
    }
    for outer in top.iter().filter(|a| usable(a)) {
        let Some(def) = outer.object.and_then(|o| SCHEMA.object(o)) else {
            continue;
        };
        if let Some(inner) = def
            .attributes
            .iter()
            .find(|a| usable(a) && a.object.is_none() && pred(a))
        {
            return Some((outer, def.attribute(inner.name)));
        }
    }
    None
}

/// Puts `bad` into the slot of a copy of `event`; returns the event and the bad value's path.
fn fill_slot(
    event: &Value,
    (outer, inner): (&AttributeDef, Option<&AttributeDef>),
    bad: Value,
) -> (Value, String) {
    let mut event = event.clone();
    let wrap = |attr: &AttributeDef, v: Value, path: String| {
        if attr.is_array {
            (json!([v]), format!("{path}/0"))
        } else {
            (v, path)
        }
    };
    let path = format!("/{}", outer.name);
    let (value, path) = match inner {
        None => wrap(outer, bad, path),
        Some(inner) => {
            let object = outer.object.expect("an object attribute");
            // Keep an object the event already has (it may satisfy the class's constraints).
            let mut o = match event.get(outer.name) {
                Some(existing) if existing.is_object() => existing.clone(),
                _ => minimal_object(&SCHEMA, object, &[]).expect("the object exists"),
            };
            let (v, inner_path) = wrap(inner, bad, format!("/{}", inner.name));
            map(&mut o).insert(inner.name.to_string(), v);
            let (o, outer_path) = wrap(outer, o, path);
            (o, format!("{outer_path}{inner_path}"))
        }
    };
    map(&mut event).insert(outer.name.to_string(), value);
    (event, path)
}

/// Removes the attribute at a dotted path.
fn remove_path(event: &mut Value, path: &str) {
    let mut current = event;
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else {
        return;
    };
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

/// Collects every mismatch between an expectation and a report, across classes.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    fn expect(&mut self, what: &str, report: &Report, want: &[(IssueCode, String)]) {
        let got = errors(report);
        if got != want {
            self.0
                .push(format!("{what}: expected {want:?}, got {got:?}"));
        }
    }

    fn check(self) {
        assert!(
            self.0.is_empty(),
            "{} failures:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

#[test]
fn every_class_has_a_valid_minimal_event_with_and_without_its_profiles() {
    let mut failures = Failures::default();
    let mut checked = 0;
    for class in SCHEMA.classes {
        for profiles in [&[][..], class.profiles] {
            let event = minimal(class, profiles);
            let report = validate_value(&event, &SCHEMA);
            failures.expect(&format!("{} {profiles:?}", class.name), &report, &[]);
            for w in report.warnings() {
                let deprecation = matches!(
                    w.code,
                    IssueCode::DeprecatedClass
                        | IssueCode::DeprecatedAttribute
                        | IssueCode::DeprecatedObject
                );
                if !deprecation {
                    failures
                        .0
                        .push(format!("{}: unexpected warning {w}", class.name));
                }
            }
            let deprecated_class = report.has(IssueCode::DeprecatedClass);
            if deprecated_class != class.deprecated.is_some() {
                failures.0.push(format!(
                    "{}: deprecated-class is {deprecated_class}",
                    class.name
                ));
            }
            checked += 1;
        }
    }
    failures.check();
    assert_eq!(checked, 2 * SCHEMA.classes.len());
    assert!(SCHEMA.classes.len() >= 50, "every 1.1.0 class");
}

#[test]
fn missing_required_attributes_are_errors_at_their_path() {
    let mut failures = Failures::default();
    for class in SCHEMA.classes {
        let event = minimal(class, &[]);
        for attr in class.attributes {
            if attr.requirement != Requirement::Required || !attr.profiles.is_empty() {
                continue;
            }
            let mut broken = event.clone();
            map(&mut broken).remove(attr.name);
            let mut want = one(IssueCode::MissingRequired, &format!("/{}", attr.name));
            // `patch_state` requires `device` and at least one of `device.os.*`.
            if !class.at_least_one.is_empty()
                && !class.at_least_one.iter().any(|p| present(&broken, p))
            {
                want.push((IssueCode::AtLeastOne, String::new()));
            }
            failures.expect(
                &format!("{} without {}", class.name, attr.name),
                &validate_value(&broken, &SCHEMA),
                &want,
            );
            // `null` is absent.
            let mut null = event.clone();
            map(&mut null).insert(attr.name.to_string(), Value::Null);
            failures.expect(
                &format!("{} with null {}", class.name, attr.name),
                &validate_value(&null, &SCHEMA),
                &want,
            );
        }
        // Nested: the first required attribute of the metadata object.
        let mut broken = event.clone();
        map(&mut broken["metadata"]).remove("version");
        failures.expect(
            &format!("{} without metadata.version", class.name),
            &validate_value(&broken, &SCHEMA),
            &one(IssueCode::MissingRequired, "/metadata/version"),
        );
    }
    failures.check();
}

#[test]
fn enums_siblings_and_uids_are_checked() {
    let mut failures = Failures::default();
    for class in SCHEMA.classes {
        let event = minimal(class, &[]);
        let name = class.name;

        let mut e = event.clone();
        e["severity_id"] = json!(98);
        failures.expect(
            &format!("{name} severity_id 98"),
            &validate_value(&e, &SCHEMA),
            &one(IssueCode::UnknownEnumValue, "/severity_id"),
        );

        let mut e = event.clone();
        e["severity"] = json!("Bogus");
        failures.expect(
            &format!("{name} severity caption"),
            &validate_value(&e, &SCHEMA),
            &one(IssueCode::SiblingMismatch, "/severity"),
        );

        // Other (99) keeps the source's own caption.
        let mut e = event.clone();
        e["severity_id"] = json!(99);
        e["severity"] = json!("Sev-3 (vendor)");
        failures.expect(
            &format!("{name} severity Other"),
            &validate_value(&e, &SCHEMA),
            &[],
        );

        let mut e = event.clone();
        e["class_name"] = json!("Something Else");
        failures.expect(
            &format!("{name} class_name"),
            &validate_value(&e, &SCHEMA),
            &one(IssueCode::SiblingMismatch, "/class_name"),
        );

        let type_uid = event["type_uid"].as_i64().expect("type_uid");
        let mut e = event.clone();
        e["type_uid"] = json!(type_uid + 1);
        failures.expect(
            &format!("{name} type_uid + 1"),
            &validate_value(&e, &SCHEMA),
            &one(IssueCode::UidMismatch, "/type_uid"),
        );

        let mut e = event.clone();
        e["category_uid"] = json!(i64::from(class.category_uid) + 1);
        failures.expect(
            &format!("{name} category_uid + 1"),
            &validate_value(&e, &SCHEMA),
            &one(IssueCode::UidMismatch, "/category_uid"),
        );

        let mut e = event.clone();
        e["class_uid"] = json!(if class.uid == 3002 { 3001 } else { 3002 });
        failures.expect(
            &format!("{name} class_uid of another class"),
            &validate_as_class(&e, &SCHEMA, class, &ValidateOptions::new()),
            &one(IssueCode::UidMismatch, "/class_uid"),
        );

        // An unknown activity makes the arithmetic hold, so only the enum fails.
        if class.uid != 0 {
            let mut e = event.clone();
            e["activity_id"] = json!(98);
            e["type_uid"] = json!(i64::from(class.uid) * 100 + 98);
            map(&mut e).remove("activity_name");
            map(&mut e).remove("type_name");
            failures.expect(
                &format!("{name} activity_id 98"),
                &validate_value(&e, &SCHEMA),
                &one(IssueCode::UnknownEnumValue, "/activity_id"),
            );
        }
    }
    failures.check();
}

#[test]
fn json_types_are_checked() {
    let mut failures = Failures::default();
    for class in SCHEMA.classes {
        let event = minimal(class, &[]);
        let cases: [(&str, Value, &str); 6] = [
            ("time", json!("yesterday"), "/time"),
            ("time", json!(1.5), "/time"),
            ("severity_id", json!(1.0), "/severity_id"),
            ("metadata", json!("x"), "/metadata"),
            ("message", json!(42), "/message"),
            ("observables", json!({"name": "x"}), "/observables"),
        ];
        for (attr, bad, path) in cases {
            let mut e = event.clone();
            e[attr] = bad.clone();
            failures.expect(
                &format!("{} {attr} = {bad}", class.name),
                &validate_value(&e, &SCHEMA),
                &one(IssueCode::TypeMismatch, path),
            );
        }
        let mut e = event.clone();
        e["metadata"]["profiles"] = json!(["datetime", 7]);
        failures.expect(
            &format!("{} metadata.profiles element", class.name),
            &validate_value(&e, &SCHEMA),
            &one(IssueCode::TypeMismatch, "/metadata/profiles/1"),
        );
        let mut e = event.clone();
        e["count"] = json!(1_i64 << 40);
        failures.expect(
            &format!("{} count beyond 32 bits", class.name),
            &validate_value(&e, &SCHEMA),
            &one(IssueCode::OutOfRange, "/count"),
        );
    }
    failures.check();
}

#[test]
fn data_type_constraints_are_checked_where_a_class_can_hold_them() {
    let mut failures = Failures::default();
    let mut seen = [0usize; 4];
    for class in SCHEMA.classes {
        let event = minimal(class, &[]);
        let name = class.name;

        // max_len counts characters: 65535 two-byte characters fit `string_t`.
        let mut e = event.clone();
        e["message"] = json!("é".repeat(65_535));
        failures.expect(
            &format!("{name} 65535 chars"),
            &validate_value(&e, &SCHEMA),
            &[],
        );
        e["message"] = json!("é".repeat(65_536));
        failures.expect(
            &format!("{name} 65536 chars"),
            &validate_value(&e, &SCHEMA),
            &one(IssueCode::TooLong, "/message"),
        );

        if let Some(s) = slot(class, &|a| has_type(&SCHEMA, a, "ip_t")) {
            seen[0] += 1;
            let (e, path) = fill_slot(&event, s, json!("not-an-ip"));
            failures.expect(
                &format!("{name} ip_t"),
                &validate_value(&e, &SCHEMA),
                &one(IssueCode::PatternMismatch, &path),
            );
            let (e, _) = fill_slot(&event, s, json!(" 2001:db8::1 "));
            failures.expect(
                &format!("{name} ip_t v6"),
                &validate_value(&e, &SCHEMA),
                &[],
            );
        }
        if let Some(s) = slot(class, &|a| has_type(&SCHEMA, a, "port_t")) {
            seen[1] += 1;
            for bad in [json!(65_536), json!(-1)] {
                let (e, path) = fill_slot(&event, s, bad.clone());
                failures.expect(
                    &format!("{name} port {bad}"),
                    &validate_value(&e, &SCHEMA),
                    &one(IssueCode::OutOfRange, &path),
                );
            }
        }
        if let Some(s) = slot(class, &|a| has_type(&SCHEMA, a, "subnet_t")) {
            seen[2] += 1;
            let (e, path) = fill_slot(&event, s, json!("1".repeat(43)));
            failures.expect(
                &format!("{name} subnet_t 43"),
                &validate_value(&e, &SCHEMA),
                &one(IssueCode::TooLong, &path),
            );
        }
        if let Some(s) = slot(class, &|a| has_type(&SCHEMA, a, "uuid_t")) {
            seen[3] += 1;
            // Unanchored: the pattern may match inside the string.
            let (e, _) = fill_slot(
                &event,
                s,
                json!("urn:uuid:123e4567-e89b-12d3-a456-426614174000"),
            );
            failures.expect(&format!("{name} uuid_t"), &validate_value(&e, &SCHEMA), &[]);
            let (e, path) = fill_slot(&event, s, json!("123e4567"));
            failures.expect(
                &format!("{name} uuid_t short"),
                &validate_value(&e, &SCHEMA),
                &one(IssueCode::PatternMismatch, &path),
            );
        }
    }
    failures.check();
    assert!(
        seen.iter().all(|n| *n > 0),
        "each constraint reached some class: {seen:?}"
    );
}

#[test]
fn at_least_one_and_just_one_are_checked() {
    let mut failures = Failures::default();
    let mut seen = 0;
    for class in SCHEMA.classes {
        let event = minimal(class, &[]);
        if !class.at_least_one.is_empty() {
            seen += 1;
            let mut e = event.clone();
            for path in class.at_least_one {
                remove_path(&mut e, path);
            }
            failures.expect(
                &format!("{} at_least_one", class.name),
                &validate_value(&e, &SCHEMA),
                &one(IssueCode::AtLeastOne, ""),
            );
        }
        if !class.just_one.is_empty() {
            seen += 1;
            let mut none = event.clone();
            let mut all = event.clone();
            for path in class.just_one {
                remove_path(&mut none, path);
                let attr = class.attribute(path).expect("a top-level attribute");
                map(&mut all).insert(path.to_string(), sample(attr));
            }
            for (what, e) in [("none", none), ("all", all)] {
                failures.expect(
                    &format!("{} just_one {what}", class.name),
                    &validate_value(&e, &SCHEMA),
                    &one(IssueCode::JustOne, ""),
                );
            }
        }
        // Object level: an optional object whose `at_least_one` members are all removed.
        let object_slot = class.attributes.iter().find(|a| {
            a.profiles.is_empty()
                && a.deprecated.is_none()
                && a.requirement != Requirement::Required
                && !a.is_array
                && a.object.and_then(|o| SCHEMA.object(o)).is_some_and(|d| {
                    !d.at_least_one.is_empty() && !d.at_least_one.iter().any(|p| p.contains('.'))
                })
        });
        if let Some(attr) = object_slot {
            let object = attr.object.and_then(|o| SCHEMA.object(o)).expect("object");
            let mut value = minimal_object(&SCHEMA, object.name, &[]).expect("object");
            for path in object.at_least_one {
                remove_path(&mut value, path);
            }
            let mut e = event.clone();
            map(&mut e).insert(attr.name.to_string(), value);
            failures.expect(
                &format!("{}.{} at_least_one", class.name, attr.name),
                &validate_value(&e, &SCHEMA),
                &one(IssueCode::AtLeastOne, &format!("/{}", attr.name)),
            );
        }
    }
    failures.check();
    assert!(
        seen >= 6,
        "1.1.0 has 5 at_least_one classes and 1 just_one class"
    );
}

#[test]
fn unknown_deprecated_and_profile_attributes() {
    let mut failures = Failures::default();
    let mut deprecated_seen = 0;
    let mut profile_seen = 0;
    for class in SCHEMA.classes {
        let event = minimal(class, &[]);
        let name = class.name;

        let mut e = event.clone();
        e["x_vendor_score"] = json!(7);
        failures.expect(
            &format!("{name} unknown"),
            &validate_value(&e, &SCHEMA),
            &one(IssueCode::UnknownAttribute, "/x_vendor_score"),
        );
        let mut e = event.clone();
        e["metadata"]["x_extra"] = json!({"a": 1});
        failures.expect(
            &format!("{name} unknown nested"),
            &validate_value(&e, &SCHEMA),
            &one(IssueCode::UnknownAttribute, "/metadata/x_extra"),
        );
        // `unmapped` is free-form.
        let mut e = event.clone();
        e["unmapped"] = json!({"anything": {"goes": [1, "two", null]}});
        failures.expect(
            &format!("{name} unmapped"),
            &validate_value(&e, &SCHEMA),
            &[],
        );

        // An optional attribute written as null: a warning, not an error.
        let mut e = event.clone();
        e["message"] = Value::Null;
        let report = validate_value(&e, &SCHEMA);
        failures.expect(&format!("{name} null message"), &report, &[]);
        if !warnings(&report).contains(&(IssueCode::NullValue, "/message".into())) {
            failures.0.push(format!("{name}: no null-value warning"));
        }

        if let Some(attr) = class
            .attributes
            .iter()
            .find(|a| a.deprecated.is_some() && a.profiles.is_empty())
        {
            deprecated_seen += 1;
            let mut e = event.clone();
            map(&mut e).insert(attr.name.to_string(), sample(attr));
            let report = validate_value(&e, &SCHEMA);
            failures.expect(&format!("{name} deprecated {}", attr.name), &report, &[]);
            let path = format!("/{}", attr.name);
            if !warnings(&report).contains(&(IssueCode::DeprecatedAttribute, path)) {
                failures.0.push(format!(
                    "{name}: no deprecated-attribute warning for {}",
                    attr.name
                ));
            }
        }

        // A profile attribute: unknown without its profile, required with it when so defined.
        if let Some(attr) = class
            .attributes
            .iter()
            .find(|a| a.profiles == ["cloud"] && a.requirement == Requirement::Required)
        {
            profile_seen += 1;
            let cloud = minimal_object(&SCHEMA, attr.object.expect("cloud"), &[]).expect("cloud");
            let mut e = event.clone();
            map(&mut e).insert(attr.name.to_string(), cloud);
            failures.expect(
                &format!("{name} cloud without the profile"),
                &validate_value(&e, &SCHEMA),
                &one(IssueCode::InactiveProfileAttribute, "/cloud"),
            );
            let mut e = minimal(class, &["cloud"]);
            map(&mut e).remove(attr.name);
            failures.expect(
                &format!("{name} cloud profile without cloud"),
                &validate_value(&e, &SCHEMA),
                &one(IssueCode::MissingRequired, "/cloud"),
            );
        }
    }
    failures.check();
    assert!(
        deprecated_seen > 5 && profile_seen > 40,
        "{deprecated_seen} {profile_seen}"
    );
}

fn product() -> ocsf_model::v1_1_0::objects::Product {
    let mut product = ocsf_model::v1_1_0::objects::Product::default();
    product.name = Some("sshd".into());
    product.vendor_name = Some("OpenBSD".into());
    product
}

fn logon() -> ocsf_model::v1_1_0::events::Authentication {
    use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    use ocsf_model::v1_1_0::objects::{Metadata, NetworkEndpoint, Service, User};
    let mut user = User::default();
    user.name = Some("root".into());
    let mut event = Authentication::new(
        AuthenticationActivityId::Logon,
        Metadata::new(product(), "1.1.0".into()),
        SeverityId::Informational,
        1_700_000_000_000,
        user,
    );
    let mut service = Service::default();
    service.name = Some("ssh".into());
    event.service = Some(service.into());
    let mut src = NetworkEndpoint::default();
    src.ip = Some("192.0.2.10".into());
    src.port = Some(51_000);
    event.src_endpoint = Some(src.into());
    event
}

#[test]
fn typed_events_built_with_the_api_validate_clean() {
    use ocsf_model::v1_1_0::events::{
        AuthenticationActivityId, DetectionFinding, DetectionFindingActivityId, SeverityId,
    };
    use ocsf_model::v1_1_0::objects::{FindingInfo, Metadata};

    let mut event = logon();
    let report = event.validate();
    assert_eq!(report.issues, [], "{report}");

    // Other keeps the source's caption, in activity_name and in type_name.
    event.activity_name = Some("Session Lock".into());
    event.set_activity_id(AuthenticationActivityId::Other);
    assert_eq!(event.type_name(), Some("Authentication: Session Lock"));
    assert!(event.validate().issues.is_empty(), "{}", event.validate());

    // A bad port set through the API is caught too.
    if let Some(src) = event.src_endpoint.as_mut() {
        src.port = Some(70_000);
    }
    assert_eq!(
        errors(&event.validate()),
        one(IssueCode::OutOfRange, "/src_endpoint/port")
    );

    let finding = DetectionFinding::new(
        DetectionFindingActivityId::Create,
        FindingInfo::new("Credential stuffing".into(), "finding-1".into()),
        Metadata::new(product(), "1.1.0".into()),
        SeverityId::High,
        1_700_000_000_000,
    );
    assert!(
        finding.validate().issues.is_empty(),
        "{}",
        finding.validate()
    );

    // A minimal event of the tables reads into the typed class and still validates.
    let json = minimal_event(&SCHEMA, "authentication", &["cloud"]).expect("class");
    let typed: ocsf_model::v1_1_0::events::Authentication =
        serde_json::from_value(json.clone()).expect("reads");
    assert_eq!(serde_json::to_value(&typed).expect("json"), json);
    assert!(typed.validate().is_valid(), "{}", typed.validate());
}

#[test]
fn dynamic_events_and_raw_json_entry_points() {
    let event: ocsf_model::DynamicEvent =
        serde_json::from_value(serde_json::to_value(logon()).expect("json")).expect("map");
    assert!(event.validate(&SCHEMA).issues.is_empty());

    assert_eq!(
        errors(&validate_value(&json!([1]), &SCHEMA)),
        one(IssueCode::TypeMismatch, "")
    );
    assert_eq!(
        errors(&validate_value(&json!({"class_uid": 424_242}), &SCHEMA)),
        one(IssueCode::UnknownClass, "/class_uid")
    );
    assert_eq!(
        errors(&validate_value(&json!({"class_uid": "3002"}), &SCHEMA)),
        one(IssueCode::TypeMismatch, "/class_uid")
    );
    assert_eq!(
        errors(&validate_value(&json!({}), &SCHEMA)),
        one(IssueCode::MissingRequired, "/class_uid")
    );

    // Every issue is returned, in document order, then the missing attributes.
    let mut broken = serde_json::to_value(logon()).expect("json");
    broken["severity_id"] = json!(17);
    broken["src_endpoint"]["ip"] = json!("not-an-ip");
    broken["src_endpoint"]["port"] = json!("22");
    map(&mut broken).remove("time");
    let report = validate_value(&broken, &SCHEMA);
    assert_eq!(
        errors(&report),
        [
            (IssueCode::UnknownEnumValue, "/severity_id".to_string()),
            (IssueCode::PatternMismatch, "/src_endpoint/ip".to_string()),
            (IssueCode::TypeMismatch, "/src_endpoint/port".to_string()),
            (IssueCode::MissingRequired, "/time".to_string()),
        ]
    );
    assert!(!report.is_valid());
    let text = report.to_string();
    assert!(
        text.contains("error[pattern-mismatch] /src_endpoint/ip"),
        "{text}"
    );

    // JSON Pointer escaping of keys.
    broken = serde_json::to_value(logon()).expect("json");
    broken["a/b~c"] = json!(1);
    assert_eq!(
        errors(&validate_value(&broken, &SCHEMA)),
        one(IssueCode::UnknownAttribute, "/a~1b~0c")
    );
}

#[test]
fn options_change_what_is_reported() {
    let mut event = serde_json::to_value(logon()).expect("json");
    event["x_vendor"] = json!(1);
    let lenient = ValidateOptions::new().with_unknown_attribute_severity(Severity::Warning);
    let report = validate_value_with(&event, &SCHEMA, &lenient);
    assert!(report.is_valid());
    assert_eq!(
        warnings(&report),
        one(IssueCode::UnknownAttribute, "/x_vendor")
    );

    let event = serde_json::to_value(logon()).expect("json");
    let strict = ValidateOptions::new().with_missing_recommended(true);
    let report = validate_value_with(&event, &SCHEMA, &strict);
    assert!(report.is_valid());
    let recommended: Vec<String> = report
        .warnings()
        .filter(|i| i.code == IssueCode::MissingRecommended)
        .map(|i| i.path.clone())
        .collect();
    for path in ["/status_id", "/message", "/timezone_offset"] {
        assert!(
            recommended.contains(&path.to_string()),
            "{path}: {recommended:?}"
        );
    }
    assert!(
        !recommended.contains(&"/service".to_string()),
        "present attributes are fine"
    );

    let shallow = ValidateOptions::new().with_max_depth(1);
    let report = validate_value_with(&event, &SCHEMA, &shallow);
    assert!(
        report
            .errors()
            .any(|i| i.code == IssueCode::TooDeep && i.path == "/metadata/product")
    );
}

#[test]
fn deep_nesting_is_cut_off_not_overflowing() {
    let mut process = json!({"name": "init", "pid": 1});
    for i in 0..500 {
        process = json!({"name": format!("p{i}"), "pid": i + 2, "parent_process": process});
    }
    let mut event = minimal(SCHEMA.class("process_activity").expect("class"), &[]);
    event["process"] = process;
    let report = validate_value(&event, &SCHEMA);
    let deep: Vec<&str> = report
        .errors()
        .filter(|i| i.code == IssueCode::TooDeep)
        .map(|i| i.path.as_str())
        .collect();
    assert_eq!(deep.len(), 1, "{report}");
    assert!(deep[0].starts_with("/process/parent_process/"));
}

#[test]
fn patterns_compile_and_follow_json_schema_semantics() {
    for t in SCHEMA.types {
        if let Some(p) = t.regex {
            assert!(
                matches_pattern(p, "").is_some(),
                "{} does not compile",
                t.name
            );
        }
    }
    let datetime = SCHEMA
        .data_type("datetime_t")
        .and_then(|t| t.regex)
        .expect("regex");
    assert_eq!(
        matches_pattern(datetime, "2023-11-14T22:13:20.5+01:00"),
        Some(true)
    );
    // `\d` is ASCII, as in ECMA-262 (Arabic-Indic digits do not match).
    assert_eq!(
        matches_pattern(datetime, "٢٠٢٣-11-14T22:13:20Z"),
        Some(false)
    );
    let uuid = SCHEMA
        .data_type("uuid_t")
        .and_then(|t| t.regex)
        .expect("regex");
    assert_eq!(
        matches_pattern(uuid, "x 123e4567-e89b-12d3-a456-426614174000 y"),
        Some(true),
        "unanchored"
    );
    let mac = SCHEMA
        .data_type("mac_t")
        .and_then(|t| t.regex)
        .expect("regex");
    assert_eq!(matches_pattern(mac, "00:1a:2b:3c:4d:5e"), Some(true));
    assert_eq!(matches_pattern(mac, "00:1a:2b:3c:4d"), Some(false));
}

/// The AWS samples of OCSF 1.1.0 (read in place from `../shared/samples/`) are real Security
/// Lake data: the validator finds exactly these deviations from the 1.1.0 schema in them, and
/// nothing else (no false positives on the rest).
#[test]
fn aws_samples_deviate_from_the_schema_only_where_known() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/samples/ocsf-json/1.1.0");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    };
    let mut found = Vec::new();
    let mut checked = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|x| x != "ocsf") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let value: Value = serde_json::from_str(&text).expect("JSON");
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default()
            .to_string();
        for issue in validate_value(&value, &SCHEMA).errors() {
            found.push((file.clone(), issue.code.as_str(), issue.path.clone()));
        }
        checked += 1;
    }
    found.sort();
    let known: Vec<(String, &str, String)> = [
        // `000` is not an octet of the OCSF `ip_t` pattern.
        (
            "EKS_Audit_Logs__eks.ocsf",
            "pattern-mismatch",
            "/src_endpoint/ip",
        ),
        // `2021-09-07 20:37:30.502000`: a space instead of `T`.
        (
            "EKS_Audit_Logs__eks.ocsf",
            "pattern-mismatch",
            "/start_time_dt",
        ),
        ("EKS_Audit_Logs__eks.ocsf", "pattern-mismatch", "/time_dt"),
        // A trailing dot (a fully qualified DNS name) is outside `hostname_t`.
        (
            "Route53__route53.ocsf",
            "pattern-mismatch",
            "/query/hostname",
        ),
        // `http_activity` requires both in 1.1.0.
        ("WAF__waf.ocsf", "missing-required", "/dst_endpoint"),
        ("WAF__waf.ocsf", "missing-required", "/http_response"),
        // `type_id` 2 (IP Address) captioned "Resource UID".
        ("WAF__waf.ocsf", "sibling-mismatch", "/observables/2/type"),
        ("WAF__waf.ocsf", "sibling-mismatch", "/observables/3/type"),
        ("WAF__waf.ocsf", "pattern-mismatch", "/time_dt"),
    ]
    .into_iter()
    .map(|(f, c, p)| (f.to_string(), c, p.to_string()))
    .collect();
    let mut known = known;
    known.sort();
    assert!(checked >= 10, "{checked} samples");
    assert_eq!(found, known);
}

#[test]
fn the_json_schema_export_covers_every_class_and_resolves_its_refs() {
    use ocsf_model::json_schema::{class_schema, export_all};

    fn refs<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
        match value {
            Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push(r),
                        _ => refs(v, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    let all = export_all(&SCHEMA);
    assert_eq!(all.len(), SCHEMA.classes.len());
    for (name, schema) in &all {
        let mut found = Vec::new();
        refs(schema, &mut found);
        for r in found {
            let key = r.strip_prefix("#/$defs/").expect("a local reference");
            assert!(schema["$defs"].get(key).is_some(), "{name}: {r} dangles");
        }
        assert_eq!(schema["additionalProperties"], json!(false), "{name}");
    }

    let auth = class_schema(&SCHEMA, "authentication", &[]).expect("class");
    let required = auth["required"].as_array().expect("required");
    for r in [
        "activity_id",
        "class_uid",
        "metadata",
        "severity_id",
        "time",
        "type_uid",
        "user",
    ] {
        assert!(required.contains(&json!(r)), "{r}");
    }
    assert!(
        auth["properties"].get("cloud").is_none(),
        "profile attributes need the profile"
    );
    assert_eq!(
        auth["anyOf"],
        json!([{"required": ["service"]}, {"required": ["dst_endpoint"]}])
    );
    assert_eq!(auth["properties"]["class_uid"]["enum"], json!([3002]));
    assert_eq!(
        auth["properties"]["unmapped"],
        json!({"title": "Unmapped Data", "type": "object"})
    );
    let ip = &auth["$defs"]["network_endpoint"]["properties"]["ip"];
    assert_eq!(ip["type"], "string");
    assert_eq!(ip["maxLength"], 40);
    assert!(
        ip["pattern"]
            .as_str()
            .is_some_and(|p| p.contains("25[0-5]"))
    );
    assert_eq!(
        auth["$defs"]["process"]["properties"]["parent_process"]["$ref"], "#/$defs/process",
        "recursion through $ref"
    );

    let cloud = class_schema(&SCHEMA, "authentication", &["cloud"]).expect("class");
    assert!(
        cloud["required"]
            .as_array()
            .expect("required")
            .contains(&json!("cloud"))
    );
    assert!(
        cloud["$id"]
            .as_str()
            .is_some_and(|id| id.ends_with("?profiles=cloud"))
    );

    // A dotted `at_least_one` path nests.
    let patch = class_schema(&SCHEMA, "patch_state", &[]).expect("class");
    assert_eq!(
        patch["anyOf"][0],
        json!({"required": ["device"], "properties": {"device": {"required": ["os"],
            "properties": {"os": {"required": ["sp_name"]}}}}})
    );
    assert!(class_schema(&SCHEMA, "no_such_class", &[]).is_none());
}

#[cfg(feature = "schemars")]
#[test]
fn schemars_describes_enums_with_their_values_and_any_other() {
    let schema = schemars::schema_for!(ocsf_model::v1_1_0::events::Authentication);
    let json = serde_json::to_value(&schema).expect("json");
    let defs = json["$defs"].as_object().expect("$defs");
    let activity = defs
        .iter()
        .find(|(k, _)| k.as_str() == "AuthenticationActivityId")
        .map(|(_, v)| v)
        .expect("the activity enum");
    assert_eq!(activity["type"], "integer");
    let any = activity["anyOf"].as_array().expect("anyOf");
    assert!(any.contains(&json!({"const": 1, "title": "Logon"})));
    assert_eq!(
        any.last().map(|v| &v["title"]),
        Some(&json!("Unrecognized"))
    );
}

//! One test per resolution rule, each on a small schema tree written by the test itself.

use std::path::Path;

use ocsf_compiler::{Compiler, ErrorKind, ExtensionSelection, Requirement, Schema};
use serde_json::{Value, json};

/// Writes a schema tree: a minimal valid core, then `files` (path -> JSON) over it.
fn tree(files: &[(&str, Value)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let base: Vec<(&str, Value)> = vec![
        ("version.json", json!({"version": "0.1.0"})),
        (
            "categories.json",
            json!({"attributes": {"system": {"caption": "System Activity", "uid": 1},
                                  "network": {"caption": "Network Activity", "uid": 4}}}),
        ),
        (
            "dictionary.json",
            json!({
                "attributes": {
                    "activity_id": {"caption": "Activity ID", "type": "integer_t", "sibling": "activity_name",
                                    "enum": {"0": {"caption": "Unknown"}, "99": {"caption": "Other"}}},
                    "activity_name": {"caption": "Activity", "type": "string_t"},
                    "category_uid": {"caption": "Category ID", "type": "integer_t"},
                    "class_uid": {"caption": "Class ID", "type": "integer_t"},
                    "type_uid": {"caption": "Type ID", "type": "long_t"},
                    "time": {"caption": "Event Time", "type": "timestamp_t"},
                    "message": {"caption": "Message", "type": "string_t"},
                    "name": {"caption": "Name", "type": "string_t"},
                    "port": {"caption": "Port", "type": "port_t"},
                    "device": {"caption": "Device", "type": "device"},
                    "user": {"caption": "User", "type": "user"},
                    "process": {"caption": "Process", "type": "process"},
                    "parent_process": {"caption": "Parent Process", "type": "process"},
                    "cloud": {"caption": "Cloud", "type": "string_t"},
                    "ip": {"caption": "IP", "type": "ip_t"},
                    "tags": {"caption": "Tags", "type": "string_t", "is_array": true},
                    "method": {"caption": "Method", "type": "string_t",
                               "enum": {"GET": {"caption": "Get"}, "POST": {"caption": "Post"}}},
                    "type_id": {"caption": "Type ID", "type": "integer_t",
                                "enum": {"0": {"caption": "Unknown"}, "99": {"caption": "Other"}}}
                },
                "types": {"attributes": {
                    "string_t": {"caption": "String", "max_len": 65535},
                    "integer_t": {"caption": "Integer"},
                    "long_t": {"caption": "Long"},
                    "timestamp_t": {"caption": "Timestamp", "type": "long_t"},
                    "datetime_t": {"caption": "Datetime", "type": "string_t"},
                    "port_t": {"caption": "Port", "type": "integer_t", "range": [0, 65535]},
                    "ip_t": {"caption": "IP Address", "type": "string_t", "observable": 2, "max_len": 40},
                    "object_t": {"caption": "Object"}
                }}
            }),
        ),
        (
            "events/base_event.json",
            json!({"caption": "Base Event", "name": "base_event", "category": "other",
                   "attributes": {"activity_id": {"requirement": "required"},
                                  "activity_name": {}, "category_uid": {"requirement": "required"},
                                  "class_uid": {"requirement": "required"},
                                  "type_uid": {"requirement": "required"},
                                  "time": {"requirement": "required"},
                                  "message": {"requirement": "recommended"}}}),
        ),
        (
            "objects/device.json",
            json!({"caption": "Device", "name": "device", "attributes": {"name": {}, "ip": {}}}),
        ),
        (
            "objects/user.json",
            json!({"caption": "User", "name": "user", "attributes": {"name": {"requirement": "recommended"}}}),
        ),
        (
            "objects/process.json",
            json!({"caption": "Process", "name": "process",
                   "attributes": {"name": {}, "parent_process": {}, "user": {}}}),
        ),
        (
            "objects/observable.json",
            json!({"caption": "Observable", "name": "observable", "attributes": {"name": {}, "type_id": {}}}),
        ),
    ];
    for (path, value) in base.iter().chain(files.iter()) {
        write(dir.path(), path, value);
    }
    dir
}

fn write(root: &Path, path: &str, value: &Value) {
    let full = root.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    if value.is_null() {
        let _ = std::fs::remove_file(&full);
    } else {
        std::fs::write(full, serde_json::to_vec_pretty(value).expect("json")).expect("write");
    }
}

fn compile(files: &[(&str, Value)]) -> Schema {
    let dir = tree(files);
    Compiler::new(dir.path())
        .compile()
        .expect("the fixture compiles")
}

fn class(uid: i64, extends: &str, attrs: Value) -> Value {
    json!({"caption": "Thing Activity", "name": "thing", "category": "system", "extends": extends,
           "uid": uid, "attributes": attrs})
}

#[test]
fn includes_merge_underneath_tag_profiles_and_annotate() {
    let s = compile(&[
        (
            "includes/occ.json",
            json!({"caption": "Occ", "annotations": {"group": "occurrence"},
                                     "attributes": {"time": {"requirement": "optional"}, "message": {}}}),
        ),
        (
            "profiles/host.json",
            json!({"caption": "Host", "name": "host", "meta": "profile",
                                       "annotations": {"group": "primary"},
                                       "attributes": {"device": {"requirement": "recommended"}}}),
        ),
        (
            "profiles/cloud.json",
            json!({"caption": "Cloud", "name": "cloud", "meta": "profile",
                                        "attributes": {"cloud": {"requirement": "required"},
                                                       "user": {"requirement": "optional"}}}),
        ),
        (
            "events/thing.json",
            class(
                1,
                "base_event",
                json!({
                    "$include": ["includes/occ.json", "profiles/host.json", "profiles/cloud.json"],
                    "time": {"requirement": "required"},
                    "user": {"profile": null, "requirement": "recommended"}
                }),
            ),
        ),
    ]);
    let c = &s.classes["thing"];
    // The item wins over the include.
    assert_eq!(c.attributes["time"].requirement, Requirement::Required);
    // Annotations are merged underneath each included attribute.
    assert_eq!(c.attributes["message"].group.as_deref(), Some("occurrence"));
    assert_eq!(c.attributes["device"].group.as_deref(), Some("primary"));
    // Profile attributes are tagged, with or without annotations.
    assert_eq!(c.attributes["device"].profiles, ["host"]);
    assert_eq!(c.attributes["device"].requirement, Requirement::Recommended);
    assert_eq!(c.attributes["cloud"].profiles, ["cloud"]);
    // `"profile": null` removes the tag.
    assert!(c.attributes["user"].profiles.is_empty());
    assert_eq!(c.attributes["user"].requirement, Requirement::Recommended);
    // Profiles are listed with their attributes resolved against the dictionary.
    assert_eq!(
        s.profiles["host"].attributes["device"]
            .object_type
            .as_deref(),
        Some("device")
    );
}

#[test]
fn earlier_include_wins_over_later() {
    let s = compile(&[
        (
            "includes/a.json",
            json!({"attributes": {"message": {"requirement": "required"}}}),
        ),
        (
            "includes/b.json",
            json!({"attributes": {"message": {"requirement": "optional", "group": "context"}}}),
        ),
        (
            "events/thing.json",
            class(
                1,
                "base_event",
                json!({"$include": ["includes/a.json", "includes/b.json"]}),
            ),
        ),
    ]);
    let m = &s.classes["thing"].attributes["message"];
    assert_eq!(m.requirement, Requirement::Required);
    assert_eq!(m.group.as_deref(), Some("context"));
}

#[test]
fn attribute_level_enum_include() {
    let s = compile(&[
        (
            "enums/thing.json",
            json!({"enum": {"1": {"caption": "Start"}, "2": {"caption": "Stop"}}}),
        ),
        (
            "events/thing.json",
            class(
                1,
                "base_event",
                json!({"activity_id": {"$include": "enums/thing.json"}}),
            ),
        ),
    ]);
    let e = s.classes["thing"].attributes["activity_id"]
        .enumeration
        .clone()
        .expect("enum");
    let keys: Vec<&str> = e.keys().map(String::as_str).collect();
    // Unioned with the dictionary's 0 / 99.
    assert_eq!(keys, ["0", "1", "2", "99"]);
}

#[test]
fn extends_child_wins_attributes_merge_profiles_union_null_removes() {
    let s = compile(&[
        (
            "events/system.json",
            json!({"caption": "System", "name": "system", "category": "system",
                                       "extends": "base_event", "profiles": ["host"],
                                       "attributes": {"device": {"requirement": "required"}, "user": {}}}),
        ),
        (
            "events/thing.json",
            json!({"caption": "Thing", "name": "thing", "extends": "system", "uid": 7,
                                      "profiles": ["cloud"],
                                      "attributes": {"device": {"group": "primary"}, "user": null,
                                                     "message": {"requirement": "required"}}}),
        ),
    ]);
    // `system` has no uid: it is hidden.
    assert!(!s.classes.contains_key("system"));
    let c = &s.classes["thing"];
    assert_eq!(c.category.as_deref(), Some("system"));
    assert_eq!(c.attributes["device"].requirement, Requirement::Required);
    assert_eq!(c.attributes["device"].group.as_deref(), Some("primary"));
    assert_eq!(c.attributes["message"].requirement, Requirement::Required);
    assert!(
        !c.attributes.contains_key("user"),
        "a null attribute removes the inherited one"
    );
    assert!(c.profiles.iter().any(|p| p == "host") && c.profiles.iter().any(|p| p == "cloud"));
    assert_eq!(c.extends.as_deref(), Some("system"));
}

#[test]
fn hidden_objects_are_dropped_but_inherited() {
    let s = compile(&[
        (
            "objects/_entity.json",
            json!({"caption": "Entity", "name": "_entity", "attributes": {"name": {"requirement": "recommended"}}}),
        ),
        (
            "objects/group.json",
            json!({"caption": "Group", "name": "group", "extends": "_entity", "attributes": {}}),
        ),
    ]);
    assert!(!s.objects.contains_key("_entity"));
    assert_eq!(
        s.objects["group"].attributes["name"].requirement,
        Requirement::Recommended
    );
}

#[test]
fn dictionary_is_merged_underneath_and_enums_union() {
    let s = compile(&[(
        "events/thing.json",
        class(
            3,
            "base_event",
            json!({
                "activity_id": {"enum": {"1": {"caption": "Start"}}},
                "port": {}, "tags": {}, "device": {}, "method": {}
            }),
        ),
    )]);
    let c = &s.classes["thing"];
    let ids: Vec<&str> = c.attributes["activity_id"]
        .enumeration
        .as_ref()
        .expect("enum")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(ids, ["0", "1", "99"]);
    assert_eq!(
        c.attributes["activity_id"].sibling.as_deref(),
        Some("activity_name")
    );
    assert_eq!(c.attributes["port"].type_name, "port_t");
    assert_eq!(c.attributes["port"].caption, "Port");
    assert!(c.attributes["tags"].is_array);
    // A dictionary type that is not a data type names an object.
    assert_eq!(c.attributes["device"].type_name, "object_t");
    assert_eq!(
        c.attributes["device"].object_type.as_deref(),
        Some("device")
    );
    // String-keyed enums are kept as they are.
    let m: Vec<&str> = c.attributes["method"]
        .enumeration
        .as_ref()
        .expect("enum")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(m, ["GET", "POST"]);
    // No requirement stated: optional.
    assert_eq!(c.attributes["port"].requirement, Requirement::Optional);
    assert_eq!(s.types["port_t"].range, Some([0, 65535]));
    assert_eq!(s.types["port_t"].base.as_deref(), Some("integer_t"));
}

#[test]
fn uids_and_derived_enums() {
    let s = compile(&[(
        "events/thing.json",
        class(
            3,
            "base_event",
            json!({
                "activity_id": {"enum": {"1": {"caption": "Start"}, "2": {"caption": "Stop"}}}
            }),
        ),
    )]);
    let c = &s.classes["thing"];
    assert_eq!(c.uid, 1003);
    assert_eq!(c.category_uid, 1);
    let t: Vec<(&str, &str)> = c.attributes["type_uid"]
        .enumeration
        .as_ref()
        .expect("type_uid")
        .iter()
        .map(|(k, v)| (k.as_str(), v.caption.as_str()))
        .collect();
    assert_eq!(
        t,
        [
            ("100300", "Thing Activity: Unknown"),
            ("100301", "Thing Activity: Start"),
            ("100302", "Thing Activity: Stop"),
            ("100399", "Thing Activity: Other")
        ]
    );
    let cu: Vec<&str> = c.attributes["class_uid"]
        .enumeration
        .as_ref()
        .expect("class_uid")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(cu, ["1003"]);
    let cat: Vec<&str> = c.attributes["category_uid"]
        .enumeration
        .as_ref()
        .expect("category_uid")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(cat, ["1"]);
    assert_eq!(s.classes["base_event"].uid, 0);
    assert_eq!(s.class_by_uid(1003).map(|c| c.name.as_str()), Some("thing"));
}

#[test]
fn extension_uids_scoping_and_patches() {
    let dir = tree(&[
        (
            "events/thing.json",
            class(3, "base_event", json!({"user": {}, "process": {}})),
        ),
        (
            "extensions/acme/extension.json",
            json!({"caption": "Acme", "name": "acme", "uid": 7, "version": "1.0.0"}),
        ),
        (
            "extensions/acme/categories.json",
            json!({"attributes": {"gadgets": {"caption": "Gadgets", "uid": 2}}}),
        ),
        (
            "extensions/acme/dictionary.json",
            json!({"attributes": {
                "gadget": {"caption": "Gadget", "type": "gadget"},
                "serial": {"caption": "Serial", "type": "string_t"},
                "name": {"caption": "Redefined Name", "type": "integer_t"}
            }}),
        ),
        (
            "extensions/acme/objects/gadget.json",
            json!({"caption": "Gadget", "name": "gadget", "attributes": {"serial": {}}}),
        ),
        // A patch: no name, extends a core object.
        (
            "extensions/acme/objects/user.json",
            json!({"extends": "user", "profiles": ["acme/badge"],
                                                      "attributes": {"$include": ["profiles/badge.json"]}}),
        ),
        (
            "extensions/acme/profiles/badge.json",
            json!({"caption": "Badge", "name": "badge", "meta": "profile",
                                                        "attributes": {"serial": {"requirement": "optional"}}}),
        ),
        (
            "extensions/acme/events/gadget_activity.json",
            json!({"caption": "Gadget Activity", "name": "gadget_activity",
            "category": "gadgets", "extends": "base_event", "uid": 1, "attributes": {"gadget": {}}}),
        ),
        (
            "extensions/acme/events/gadget_network.json",
            json!({"caption": "Gadget Network", "name": "gadget_network",
            "category": "network", "extends": "base_event", "uid": 2, "attributes": {}}),
        ),
    ]);
    let s = Compiler::new(dir.path()).compile().expect("compiles");
    assert_eq!(s.extensions["acme"].uid, 7);
    assert_eq!(s.categories["acme/gadgets"].uid, 702);
    let ga = &s.classes["acme/gadget_activity"];
    assert_eq!(ga.uid, 702_001);
    assert_eq!(ga.category_uid, 702);
    assert_eq!(ga.extension.as_deref(), Some("acme"));
    assert_eq!(
        ga.attributes["gadget"].object_type.as_deref(),
        Some("acme/gadget")
    );
    // An extension class in a core category: (ext_uid * 100 + category_uid) * 1000 + uid.
    assert_eq!(s.classes["acme/gadget_network"].uid, 704_002);
    assert_eq!(s.classes["acme/gadget_network"].category_uid, 4);
    // The patch adds the profile attribute to the core object, tagged with the scoped profile.
    let user = &s.objects["user"];
    assert_eq!(user.attributes["serial"].profiles, ["acme/badge"]);
    assert!(user.profiles.iter().any(|p| p == "acme/badge"));
    assert!(!s.objects.contains_key("acme/user"));
    // Classes using the patched object take its profiles on.
    assert!(
        s.classes["thing"]
            .profiles
            .iter()
            .any(|p| p == "acme/badge")
    );
    // The core dictionary wins over an extension that redefines an attribute.
    assert_eq!(s.objects["user"].attributes["name"].type_name, "string_t");

    let core_only = Compiler::new(dir.path())
        .extensions(ExtensionSelection::None)
        .compile()
        .expect("compiles");
    assert!(core_only.extensions.is_empty());
    assert!(!core_only.objects["user"].attributes.contains_key("serial"));
    let err = Compiler::new(dir.path())
        .extensions(ExtensionSelection::Only(vec!["nope".into()]))
        .compile()
        .expect_err("unknown extension");
    assert_eq!(err.kind(), ErrorKind::InvalidExtension);
}

#[test]
fn user_extension_directory() {
    let core = tree(&[]);
    let ext = tempfile::tempdir().expect("dir");
    write(
        ext.path(),
        "extension.json",
        &json!({"caption": "Partner", "name": "partner", "uid": 42}),
    );
    write(
        ext.path(),
        "dictionary.json",
        &json!({"attributes": {"widget_id": {"caption": "Widget", "type": "integer_t"}}}),
    );
    write(
        ext.path(),
        "events/widget.json",
        &json!({"caption": "Widget", "name": "widget", "category": "system",
        "extends": "base_event", "uid": 5, "attributes": {"widget_id": {"requirement": "required"}}}),
    );
    let s = Compiler::new(core.path())
        .user_extension(ext.path())
        .compile()
        .expect("compiles");
    let w = &s.classes["partner/widget"];
    assert_eq!(w.uid, 4_201_005);
    assert_eq!(w.attributes["widget_id"].requirement, Requirement::Required);
    // Two extensions with one uid collide.
    let err = Compiler::new(core.path())
        .user_extension(ext.path())
        .user_extension(ext.path())
        .compile()
        .expect_err("collision");
    assert_eq!(err.kind(), ErrorKind::InvalidExtension);
}

#[test]
fn datetime_siblings_only_with_the_datetime_profile() {
    let with = compile(&[
        (
            "profiles/datetime.json",
            json!({"caption": "Date/Time", "name": "datetime", "meta": "profile", "attributes": {}}),
        ),
        ("events/thing.json", class(1, "base_event", json!({}))),
    ]);
    let c = &with.classes["thing"];
    let dt = &c.attributes["time_dt"];
    assert_eq!(dt.type_name, "datetime_t");
    assert_eq!(dt.profiles, ["datetime"]);
    assert_eq!(dt.requirement, Requirement::Optional);
    assert!(c.profiles.iter().any(|p| p == "datetime"));
    let without = compile(&[("events/thing.json", class(1, "base_event", json!({})))]);
    assert!(!without.classes["thing"].attributes.contains_key("time_dt"));
}

#[test]
fn observable_type_ids_are_collected() {
    let s = compile(&[
        (
            "objects/user.json",
            json!({"caption": "User", "name": "user", "observable": 21, "attributes": {"name": {"observable": 4}}}),
        ),
        (
            "events/thing.json",
            json!({"caption": "Thing", "name": "thing", "category": "system", "extends": "base_event",
                                      "uid": 1, "observables": {"device.name": 30}, "attributes": {"device": {}}}),
        ),
    ]);
    let keys: Vec<&str> = s.objects["observable"].attributes["type_id"]
        .enumeration
        .as_ref()
        .expect("enum")
        .keys()
        .map(String::as_str)
        .collect();
    for k in ["0", "2", "4", "21", "30", "99"] {
        assert!(keys.contains(&k), "type_id {k} in {keys:?}");
    }
    assert_eq!(s.objects["user"].observable, Some(21));
    assert_eq!(s.classes["thing"].observables["device.name"], 30);
}

#[test]
fn constraints_and_deprecations() {
    let dir = tree(&[(
        "events/thing.json",
        json!({
            "caption": "Thing", "name": "thing", "category": "system", "extends": "base_event", "uid": 1,
            "@deprecated": {"message": "Use <code>other_thing</code> instead.", "since": "1.2.0"},
            "constraints": {"at_least_one": ["device", "user.name"], "just_one": ["message", "missing"]},
            "attributes": {"device": {}, "user": {"@deprecated": {"message": "Gone.", "since": "1.1.0"}}}
        }),
    )]);
    let (s, warnings) = Compiler::new(dir.path())
        .compile_with_warnings()
        .expect("compiles");
    let c = &s.classes["thing"];
    assert_eq!(c.constraints.at_least_one, ["device", "user.name"]);
    assert_eq!(c.constraints.just_one, ["message", "missing"]);
    let d = c.deprecated.as_ref().expect("deprecated");
    assert_eq!(d.since.as_deref(), Some("1.2.0"));
    assert_eq!(d.replaced_by, ["other_thing"]);
    assert_eq!(
        c.attributes["user"]
            .deprecated
            .as_ref()
            .and_then(|d| d.since.as_deref()),
        Some("1.1.0")
    );
    // A constraint naming a missing attribute is reported, not fatal (upstream has such defects).
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].kind(), ErrorKind::InvalidConstraint);
    assert!(
        warnings[0].to_string().contains("missing"),
        "{}",
        warnings[0]
    );
}

#[test]
fn recursion_edges_are_found() {
    let s = compile(&[(
        "events/thing.json",
        class(1, "base_event", json!({"process": {}})),
    )]);
    let edges = s.recursion_edges();
    assert!(
        edges.contains(&("process".into(), "parent_process".into())),
        "{edges:?}"
    );
    assert!(
        !edges.contains(&("process".into(), "user".into())),
        "{edges:?}"
    );
}

#[test]
fn output_is_deterministic() {
    let files = [(
        "events/thing.json",
        class(1, "base_event", json!({"port": {}, "device": {}})),
    )];
    let a = serde_json::to_string(&compile(&files)).expect("json");
    let b = serde_json::to_string(&compile(&files)).expect("json");
    assert_eq!(a, b);
    let round: Schema = serde_json::from_str(&a).expect("the model round-trips through JSON");
    assert_eq!(serde_json::to_string(&round).expect("json"), a);
}

// ---- broken schemas give typed errors naming the file and attribute ----

fn broken(files: &[(&str, Value)]) -> ocsf_compiler::Error {
    let dir = tree(files);
    Compiler::new(dir.path())
        .compile()
        .expect_err("the broken fixture must not compile")
}

#[test]
fn unknown_type_is_an_error() {
    let e = broken(&[
        (
            "events/thing.json",
            class(1, "base_event", json!({"widget": {}})),
        ),
        ("dictionary.json", Value::Null),
    ]);
    // Without a dictionary the tree is unreadable: an I/O error naming the file.
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.to_string().contains("dictionary.json"), "{e}");

    let dir = tree(&[(
        "events/thing.json",
        class(1, "base_event", json!({"bad": {}})),
    )]);
    let mut dict: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("dictionary.json")).expect("read"))
            .expect("json");
    dict["attributes"]["bad"] = json!({"caption": "Bad", "type": "no_such_t"});
    write(dir.path(), "dictionary.json", &dict);
    let e = Compiler::new(dir.path())
        .compile()
        .expect_err("unknown type");
    assert_eq!(e.kind(), ErrorKind::UnknownType);
    assert_eq!(e.attribute(), Some("bad"));
    assert!(e.to_string().contains("no_such_t"), "{e}");
}

#[test]
fn dangling_extends_is_an_error() {
    let e = broken(&[("events/thing.json", class(1, "no_such_parent", json!({})))]);
    assert_eq!(e.kind(), ErrorKind::DanglingExtends);
    assert_eq!(e.item(), Some("thing"));
    assert!(e.file().is_some_and(|f| f.ends_with("events/thing.json")));
    let e = broken(&[
        (
            "extensions/x/extension.json",
            json!({"name": "x", "uid": 9}),
        ),
        (
            "extensions/x/objects/p.json",
            json!({"extends": "no_such_object", "attributes": {}}),
        ),
    ]);
    assert_eq!(e.kind(), ErrorKind::DanglingExtends);
}

#[test]
fn inheritance_cycles_are_an_error() {
    let e = broken(&[
        (
            "objects/a.json",
            json!({"caption": "A", "name": "a", "extends": "b", "attributes": {}}),
        ),
        (
            "objects/b.json",
            json!({"caption": "B", "name": "b", "extends": "a", "attributes": {}}),
        ),
    ]);
    assert_eq!(e.kind(), ErrorKind::DanglingExtends);
    assert!(e.to_string().contains("cycle"), "{e}");
}

#[test]
fn nested_and_missing_includes_are_errors() {
    let e = broken(&[
        (
            "includes/outer.json",
            json!({"attributes": {"$include": "includes/inner.json"}}),
        ),
        (
            "includes/inner.json",
            json!({"attributes": {"message": {}}}),
        ),
        (
            "events/thing.json",
            class(1, "base_event", json!({"$include": "includes/outer.json"})),
        ),
    ]);
    assert_eq!(e.kind(), ErrorKind::NestedInclude);
    assert!(
        e.file().is_some_and(|f| f.ends_with("includes/outer.json")),
        "{e}"
    );
    let e = broken(&[(
        "events/thing.json",
        class(1, "base_event", json!({"$include": "includes/none.json"})),
    )]);
    assert_eq!(e.kind(), ErrorKind::MissingInclude);
    assert!(e.to_string().contains("includes/none.json"), "{e}");
}

#[test]
fn non_integer_enum_key_is_an_error() {
    let e = broken(&[(
        "events/thing.json",
        class(
            1,
            "base_event",
            json!({"activity_id": {"enum": {"one": {"caption": "One"}}}}),
        ),
    )]);
    assert_eq!(e.kind(), ErrorKind::InvalidEnumKey);
    assert_eq!(e.attribute(), Some("activity_id"));
    assert!(e.to_string().contains("`one`"), "{e}");
}

#[test]
fn invalid_json_and_unknown_category_are_errors() {
    let dir = tree(&[]);
    std::fs::write(dir.path().join("objects/broken.json"), b"{ not json").expect("write");
    let e = Compiler::new(dir.path()).compile().expect_err("bad json");
    assert_eq!(e.kind(), ErrorKind::Json);
    assert!(e.file().is_some_and(|f| f.ends_with("objects/broken.json")));
    assert!(!e.is_retryable());

    let e = broken(&[(
        "events/thing.json",
        json!({"caption": "T", "name": "thing", "category": "nowhere",
                                                  "extends": "base_event", "uid": 1, "attributes": {}}),
    )]);
    assert_eq!(e.kind(), ErrorKind::UnknownCategory);
    let e = broken(&[(
        "events/thing.json",
        class(1, "base_event", json!({"undefined_attr": {}})),
    )]);
    assert_eq!(e.kind(), ErrorKind::UndefinedAttribute);
    assert_eq!(e.attribute(), Some("undefined_attr"));
}

#[test]
fn missing_directory_is_an_io_error() {
    let e = Compiler::new("/nonexistent/ocsf")
        .compile()
        .expect_err("no tree");
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.is_retryable());
}

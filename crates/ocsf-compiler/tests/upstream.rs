//! The compiler on the real upstream schema trees in `../shared/ocsf-schema/<version>` (read in
//! place, never copied). Skipped, with a note, where that directory is absent.

use std::path::PathBuf;
use std::time::Instant;

use ocsf_compiler::{Compiler, ExtensionSelection, Requirement};

fn source(version: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/ocsf-schema")
        .join(version);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent", dir.display());
        None
    }
}

#[test]
fn every_supported_version_resolves_with_known_facts() {
    for version in ["1.0.0-rc.2", "1.1.0", "1.3.0", "1.8.0"] {
        let Some(dir) = source(version) else { return };
        let started = Instant::now();
        let (schema, warnings) = Compiler::new(&dir)
            .compile_with_warnings()
            .expect("upstream resolves");
        eprintln!(
            "{version}: {} classes, {} objects in {:?} ({} warnings)",
            schema.classes.len(),
            schema.objects.len(),
            started.elapsed(),
            warnings.len()
        );
        assert_eq!(schema.version, version);
        let auth = &schema.classes["authentication"];
        assert_eq!(auth.uid, 3002);
        assert_eq!(auth.category_uid, 3);
        assert_eq!(auth.attributes["user"].object_type.as_deref(), Some("user"));
        assert!(
            auth.attributes["type_uid"]
                .enumeration
                .as_ref()
                .is_some_and(|e| e.contains_key("300201"))
        );
        assert_eq!(auth.attributes["time"].requirement, Requirement::Required);
        assert_eq!(auth.attributes["time_dt"].type_name, "datetime_t");
        let edges = schema.recursion_edges();
        assert!(
            edges.contains(&("process".into(), "parent_process".into())),
            "{version}: {edges:?}"
        );
        if version != "1.0.0-rc.2" {
            assert!(
                edges.contains(&("user".into(), "ldap_person".into())),
                "{version}"
            );
            assert!(
                edges.contains(&("ldap_person".into(), "manager".into())),
                "{version}"
            );
            assert!(
                schema.objects["process"].attributes.contains_key("euid"),
                "linux extension patch"
            );
            assert_eq!(schema.classes["win/registry_key_activity"].uid, 201_001);
        }
        let base = &schema.classes["base_event"];
        assert_eq!(base.uid, 0);
        assert!(schema.types["port_t"].range.is_some());
    }
}

#[test]
fn rc2_dev_extension_is_selectable() {
    let Some(dir) = source("1.0.0-rc.2") else {
        return;
    };
    let all = Compiler::new(&dir).compile().expect("resolves");
    assert!(all.classes.contains_key("dev/scan"));
    assert_eq!(all.categories["dev/discovery"].uid, 99_932);
    let core = Compiler::new(&dir)
        .extensions(ExtensionSelection::None)
        .compile()
        .expect("resolves");
    assert_eq!(core.classes.len(), 29);
}

#[test]
fn string_keyed_and_array_enums_survive() {
    let Some(dir) = source("1.8.0") else { return };
    let schema = Compiler::new(&dir).compile().expect("resolves");
    let keyed: Vec<String> = schema
        .objects
        .values()
        .flat_map(|o| {
            o.attributes
                .iter()
                .map(move |(n, a)| (o.name.clone(), n.clone(), a))
        })
        .filter(|(_, _, a)| a.type_name == "string_t" && a.enumeration.is_some())
        .map(|(o, n, _)| format!("{o}.{n}"))
        .collect();
    assert!(!keyed.is_empty(), "1.8.0 has string-keyed enums");
    let arrays = schema
        .objects
        .values()
        .flat_map(|o| o.attributes.values())
        .filter(|a| a.is_array && a.enumeration.is_some())
        .count();
    assert!(arrays > 0, "1.8.0 has array enums");
}

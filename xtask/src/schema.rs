//! `cargo xtask schema [--check]`: resolves each supported upstream version with our compiler and
//! writes the facts to `ocsf-schema/<version>/`, plus `ocsf-schema/versions.toml`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use ocsf_compiler::{Compiler, ExtensionSelection, Schema};

use crate::{VERSIONS, repo_root, schema_source};

/// The extensions compiled into the project's resolved schema of a version. 1.0.0-rc.2's only
/// bundled extension is `dev` (work in progress upstream, not part of any Security Lake data),
/// so it is left out.
pub fn selection(version: &str) -> ExtensionSelection {
    if version == "1.0.0-rc.2" {
        ExtensionSelection::None
    } else {
        ExtensionSelection::All
    }
}

/// The files of one resolved version, by file name, as written to disk.
pub fn render(schema: &Schema) -> Result<BTreeMap<&'static str, String>, String> {
    fn json<T: serde::Serialize>(v: &T) -> Result<String, String> {
        let mut s = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
        s.push('\n');
        Ok(s)
    }
    let meta = serde_json::json!({
        "version": schema.version,
        "extensions": schema.extensions,
        "categories": schema.categories,
    });
    let mut out = BTreeMap::new();
    out.insert("meta.json", json(&meta)?);
    out.insert("types.json", json(&schema.types)?);
    out.insert("profiles.json", json(&schema.profiles)?);
    out.insert("classes.json", json(&schema.classes)?);
    out.insert("objects.json", json(&schema.objects)?);
    Ok(out)
}

/// Reads the project's resolved schema of `version` back from `ocsf-schema/`.
pub fn load(version: &str) -> Result<Schema, String> {
    let dir = repo_root().join("ocsf-schema").join(version);
    let read = |name: &str| -> Result<serde_json::Value, String> {
        let path = dir.join(name);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let meta = read("meta.json")?;
    let value = serde_json::json!({
        "version": meta["version"],
        "extensions": meta["extensions"],
        "categories": meta["categories"],
        "types": read("types.json")?,
        "profiles": read("profiles.json")?,
        "classes": read("classes.json")?,
        "objects": read("objects.json")?,
    });
    serde_json::from_value(value).map_err(|e| format!("ocsf-schema/{version}: {e}"))
}

pub fn run(args: &[String]) -> Result<(), String> {
    let check = args.iter().any(|a| a == "--check");
    let source = schema_source(args);
    let out_root = repo_root().join("ocsf-schema");
    let mut drift = Vec::new();
    let mut versions_toml = String::from(
        "# The upstream OCSF schema versions the project's resolved schema is built from.\n\
         # `sha256` covers every file of the upstream tree (see `ocsf_compiler::source_digest`).\n\
         # Written by `cargo xtask schema`; do not edit.\n",
    );
    for version in VERSIONS {
        let src = source.join(version);
        let started = Instant::now();
        let schema = Compiler::new(&src)
            .extensions(selection(version))
            .compile()
            .map_err(|e| format!("{version}: {e}"))?;
        let elapsed = started.elapsed();
        let digest = ocsf_compiler::source_digest(&src).map_err(|e| e.to_string())?;
        let extensions: Vec<String> = schema
            .extensions
            .keys()
            .map(|e| format!("\"{e}\""))
            .collect();
        versions_toml.push_str(&format!(
            "\n[[version]]\nversion = \"{version}\"\nupstream = \"https://github.com/ocsf/ocsf-schema\"\nsha256 = \"{digest}\"\nextensions = [{}]\n",
            extensions.join(", ")
        ));
        eprintln!(
            "{version}: {} classes, {} objects, resolved in {:.1} ms",
            schema.classes.len(),
            schema.objects.len(),
            elapsed.as_secs_f64() * 1000.0
        );
        for (name, text) in render(&schema)? {
            let path = out_root.join(version).join(name);
            sync(&path, &text, check, &mut drift)?;
        }
    }
    sync(
        &out_root.join("versions.toml"),
        &versions_toml,
        check,
        &mut drift,
    )?;
    if check && !drift.is_empty() {
        return Err(format!(
            "the resolved schema drifted from the committed files; run `cargo xtask schema`:\n  {}",
            drift.join("\n  ")
        ));
    }
    Ok(())
}

/// Writes `text` to `path`, or with `check` records a difference instead.
pub fn sync(path: &Path, text: &str, check: bool, drift: &mut Vec<String>) -> Result<(), String> {
    let current = std::fs::read_to_string(path).ok();
    if current.as_deref() == Some(text) {
        return Ok(());
    }
    if check {
        drift.push(path.display().to_string());
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

//! `seclake schema`: the attributes and enums of a class, from ocsf-model's
//! static schema tables.

use std::io::Write;

use clap::Args;
use ocsf_model::schema::{EnumValues, ItemDef, Requirement, SchemaVersion};

use crate::common::print_json;
use crate::error::{EXIT_OK, Error, ErrorKind, Result};

/// The OCSF versions compiled into this binary.
pub const VERSIONS: &[&str] = &["1.1.0", "1.0.0-rc.2"];

/// The schema tables of a version.
pub fn schema_for(version: &str) -> Result<&'static SchemaVersion> {
    match version {
        "1.1.0" => Ok(&ocsf_model::v1_1_0::SCHEMA),
        "1.0.0-rc.2" | "1.0.0-rc2" => Ok(&ocsf_model::v1_0_0_rc2::SCHEMA),
        other => Err(Error::input(format!(
            "OCSF version {other} is not compiled into seclake; available: {}",
            VERSIONS.join(", ")
        ))),
    }
}

/// A class by name (`authentication`), caption (`Authentication`) or uid (`3002`).
pub fn find_class(schema: &'static SchemaVersion, query: &str) -> Result<&'static ItemDef> {
    let found = if let Ok(uid) = query.parse::<i64>() {
        schema.class_by_uid(uid)
    } else {
        let normalized = query.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        schema.class(&normalized).or_else(|| {
            schema
                .classes
                .iter()
                .find(|c| c.caption.eq_ignore_ascii_case(query.trim()))
        })
    };
    found.ok_or_else(|| {
        Error::new(
            ErrorKind::Input,
            format!(
                "unknown class '{query}' for OCSF {}; try `seclake schema --list`",
                schema.version
            ),
        )
    })
}

/// Arguments of `seclake schema`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct SchemaArgs {
    /// The class: name (authentication), caption or class_uid.
    #[arg(required_unless_present = "list")]
    class: Option<String>,
    /// The OCSF version.
    #[arg(long, default_value = "1.1.0")]
    version: String,
    /// List the classes of the version instead.
    #[arg(long)]
    list: bool,
    /// Only the attributes that exist with these profiles active, plus the
    /// ones of no profile (repeatable; default: every attribute).
    #[arg(long = "profile", value_name = "PROFILE")]
    profiles: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn requirement(r: Requirement) -> &'static str {
    match r {
        Requirement::Required => "required",
        Requirement::Recommended => "recommended",
        Requirement::Optional => "optional",
    }
}

fn enum_json(values: &EnumValues) -> serde_json::Value {
    match values {
        EnumValues::Int(v) => v
            .iter()
            .map(|(id, caption)| serde_json::json!({"value": id, "caption": caption}))
            .collect(),
        EnumValues::Str(v) => v
            .iter()
            .map(|(id, caption)| serde_json::json!({"value": id, "caption": caption}))
            .collect(),
    }
}

fn enum_text(values: &EnumValues) -> String {
    match values {
        EnumValues::Int(v) => v
            .iter()
            .map(|(id, c)| format!("{id}={c}"))
            .collect::<Vec<_>>()
            .join(", "),
        EnumValues::Str(v) => v
            .iter()
            .map(|(id, c)| format!("{id}={c}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Runs `seclake schema`.
pub fn run(args: SchemaArgs) -> Result<u8> {
    let schema = schema_for(&args.version)?;
    let io = |e| Error::io("writing output", e);
    if args.list {
        if args.json {
            let classes: Vec<_> = schema
                .classes
                .iter()
                .map(|c| serde_json::json!({"name": c.name, "caption": c.caption, "class_uid": c.uid, "category_uid": c.category_uid}))
                .collect();
            print_json(&serde_json::json!({"version": schema.version, "classes": classes}))?;
        } else {
            let mut out = std::io::stdout().lock();
            for c in schema.classes {
                writeln!(out, "{:>6}  {:<32} {}", c.uid, c.name, c.caption).map_err(io)?;
            }
        }
        return Ok(EXIT_OK);
    }
    let query = args.class.as_deref().unwrap_or_default();
    let class = find_class(schema, query)?;
    for p in &args.profiles {
        if !schema
            .classes
            .iter()
            .chain(schema.objects)
            .any(|i| i.profiles.contains(&p.as_str()))
            && !class
                .attributes
                .iter()
                .any(|a| a.profiles.contains(&p.as_str()))
        {
            return Err(Error::input(format!(
                "unknown profile '{p}' for OCSF {}; the class has: {}",
                schema.version,
                class.profiles.join(", ")
            )));
        }
    }
    let shown = class.attributes.iter().filter(|a| {
        args.profiles.is_empty()
            || a.profiles.is_empty()
            || a.profiles
                .iter()
                .any(|p| args.profiles.iter().any(|q| q == p))
    });
    if args.json {
        let attributes: Vec<_> = shown
            .map(|a| {
                serde_json::json!({
                    "name": a.name,
                    "caption": a.caption,
                    "type": a.type_name,
                    "object": a.object,
                    "is_array": a.is_array,
                    "requirement": requirement(a.requirement),
                    "profiles": a.profiles,
                    "sibling": a.sibling,
                    "deprecated": a.deprecated,
                    "enum": a.enumeration.as_ref().map(enum_json),
                })
            })
            .collect();
        print_json(&serde_json::json!({
            "version": schema.version,
            "name": class.name,
            "caption": class.caption,
            "class_uid": class.uid,
            "category_uid": class.category_uid,
            "profiles": class.profiles,
            "at_least_one": class.at_least_one,
            "just_one": class.just_one,
            "attributes": attributes,
        }))?;
        return Ok(EXIT_OK);
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} ({}) class_uid {} category_uid {} — OCSF {}",
        class.caption, class.name, class.uid, class.category_uid, schema.version
    )
    .map_err(io)?;
    if !class.profiles.is_empty() {
        writeln!(out, "profiles: {}", class.profiles.join(", ")).map_err(io)?;
    }
    if !class.at_least_one.is_empty() {
        writeln!(out, "at least one of: {}", class.at_least_one.join(", ")).map_err(io)?;
    }
    if !class.just_one.is_empty() {
        writeln!(out, "exactly one of: {}", class.just_one.join(", ")).map_err(io)?;
    }
    writeln!(
        out,
        "\n{:<28} {:<22} {:<12} profile",
        "attribute", "type", "requirement"
    )
    .map_err(io)?;
    let mut enums = Vec::new();
    for a in shown {
        let mut ty = a
            .object
            .map_or_else(|| a.type_name.to_owned(), str::to_owned);
        if a.is_array {
            ty.push_str("[]");
        }
        let mut profile = a.profiles.join(",");
        if a.deprecated.is_some() {
            profile.push_str(" (deprecated)");
        }
        writeln!(
            out,
            "{:<28} {:<22} {:<12} {profile}",
            a.name,
            ty,
            requirement(a.requirement)
        )
        .map_err(io)?;
        if let Some(values) = &a.enumeration {
            enums.push((a.name, enum_text(values)));
        }
    }
    if !enums.is_empty() {
        writeln!(out, "\nenums:").map_err(io)?;
        for (name, values) in enums {
            writeln!(out, "  {name}: {values}").map_err(io)?;
        }
    }
    Ok(EXIT_OK)
}

//! Per-class [JSON Schemas](https://json-schema.org/draft/2020-12) (draft 2020-12), built from
//! the schema tables ([`crate::schema`]), and, with the `jsonschema` feature, validation of raw
//! JSON against them.
//!
//! A class schema is self-contained: the class's attributes are `properties`, its required
//! attributes `required`, and every object it reaches (transitively) is one entry of `$defs`,
//! referenced with `$ref` (`#/$defs/network_endpoint`; scoped names replace `/` by `_`), so
//! recursive objects (`process.parent_process`) are plain references. An attribute carries its
//! caption as `title`, its JSON `type` from the root of its data-type chain, the chain's
//! `pattern`, `maxLength` and `minimum` / `maximum` (`port_t`; and 32 / 64 bits for `integer_t` /
//! `long_t`), its `enum` values, and `deprecated: true` when deprecated; arrays are
//! `{"type": "array", "items": ...}`. Objects forbid other members (`additionalProperties:
//! false`) except free-form ones (an object type without attributes, such as `unmapped`'s), which
//! are `{"type": "object"}`. `at_least_one` becomes `anyOf` and `just_one` `oneOf` of `required`
//! clauses; a dotted path (`device.os.version`) nests `properties` / `required`.
//!
//! Profiles are fixed when the schema is built: the attributes of the given profiles exist (with
//! their requirements), the others are unknown. The rules JSON Schema cannot state (caption
//! siblings, `type_uid` arithmetic, the profiles an event lists, deprecation warnings) are left
//! to the [validator](crate::validate), which is also more lenient about `null` (a warning there,
//! a type error here).
//!
//! ```
//! # #[cfg(feature = "v1_1_0")] {
//! use ocsf_model::json_schema::class_schema;
//!
//! let schema = class_schema(&ocsf_model::v1_1_0::SCHEMA, "authentication", &["cloud"]).unwrap();
//! assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
//! assert_eq!(schema["properties"]["user"]["$ref"], "#/$defs/user");
//! assert!(schema["required"].as_array().unwrap().contains(&"cloud".into()));
//! assert_eq!(schema["$defs"]["network_endpoint"]["properties"]["port"]["maximum"], 65535);
//! # }
//! ```

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::{Map, Value, json};

use crate::schema::{AttributeDef, EnumValues, ItemDef, Requirement, SchemaVersion};

/// The JSON Schema dialect of the exported schemas.
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// The JSON Schema of a class (by its scoped name, `authentication` or `win/...`) with the
/// attributes of the given profiles; `None` when the version has no such class.
pub fn class_schema(schema: &SchemaVersion, class_name: &str, profiles: &[&str]) -> Option<Value> {
    let class = schema.class(class_name)?;
    let mut builder = Builder {
        schema,
        profiles,
        queued: BTreeSet::new(),
        pending: VecDeque::new(),
    };
    let mut sorted: Vec<&str> = profiles.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let query = if sorted.is_empty() {
        String::new()
    } else {
        format!("?profiles={}", sorted.join(","))
    };
    let mut root = Map::new();
    root.insert("$schema".into(), DRAFT_2020_12.into());
    root.insert(
        "$id".into(),
        format!(
            "https://schema.ocsf.io/{}/classes/{}{query}",
            schema.version, class.name
        )
        .into(),
    );
    root.extend(builder.item(class));
    let mut defs = BTreeMap::new();
    while let Some(name) = builder.pending.pop_front() {
        if let Some(def) = schema.object(name) {
            defs.insert(slug(name), Value::Object(builder.item(def)));
        }
    }
    if !defs.is_empty() {
        root.insert("$defs".into(), Value::Object(defs.into_iter().collect()));
    }
    Some(Value::Object(root))
}

/// The schema of every class of a version, without profiles, by class name.
pub fn export_all(schema: &SchemaVersion) -> BTreeMap<String, Value> {
    schema
        .classes
        .iter()
        .filter_map(|c| Some((c.name.to_string(), class_schema(schema, c.name, &[])?)))
        .collect()
}

/// The `$defs` key of an object.
fn slug(name: &str) -> String {
    name.replace('/', "_")
}

struct Builder<'a> {
    schema: &'a SchemaVersion,
    profiles: &'a [&'a str],
    queued: BTreeSet<&'static str>,
    pending: VecDeque<&'static str>,
}

impl Builder<'_> {
    fn active(&self, attr: &AttributeDef) -> bool {
        attr.profiles.is_empty() || attr.profiles.iter().any(|p| self.profiles.contains(p))
    }

    fn item(&mut self, item: &ItemDef) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("title".into(), item.caption.into());
        out.insert("type".into(), "object".into());
        if item.deprecated.is_some() {
            out.insert("deprecated".into(), true.into());
        }
        let mut properties = Map::new();
        let mut required = Vec::new();
        for attr in item.attributes {
            if !self.active(attr) {
                continue;
            }
            properties.insert(attr.name.into(), self.attribute(attr));
            if attr.requirement == Requirement::Required {
                required.push(Value::from(attr.name));
            }
        }
        out.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            out.insert("required".into(), Value::Array(required));
        }
        out.insert("additionalProperties".into(), false.into());
        if !item.at_least_one.is_empty() {
            let any: Vec<Value> = item.at_least_one.iter().map(|p| requiring(p)).collect();
            out.insert("anyOf".into(), Value::Array(any));
        }
        if !item.just_one.is_empty() {
            let one: Vec<Value> = item.just_one.iter().map(|p| requiring(p)).collect();
            out.insert("oneOf".into(), Value::Array(one));
        }
        out
    }

    fn attribute(&mut self, attr: &AttributeDef) -> Value {
        let one = match attr.object {
            Some(name) => match self.schema.object(name) {
                Some(def) if !def.attributes.is_empty() => {
                    if self.queued.insert(def.name) {
                        self.pending.push_back(def.name);
                    }
                    json!({ "$ref": format!("#/$defs/{}", slug(def.name)) })
                }
                _ => json!({ "type": "object" }),
            },
            None => self.scalar(attr),
        };
        let mut out = Map::new();
        out.insert("title".into(), attr.caption.into());
        if attr.deprecated.is_some() {
            out.insert("deprecated".into(), true.into());
        }
        if attr.is_array {
            out.insert("type".into(), "array".into());
            out.insert("items".into(), one);
        } else if let Value::Object(one) = one {
            out.extend(one);
        }
        Value::Object(out)
    }

    fn scalar(&self, attr: &AttributeDef) -> Value {
        let mut out = Map::new();
        let mut root = attr.type_name;
        let mut max_len: Option<u64> = None;
        let mut range: Option<(i64, i64)> = None;
        let mut patterns: Vec<&str> = Vec::new();
        let mut current = self.schema.data_type(attr.type_name);
        let mut step = 0;
        while let Some(t) = current
            && step < 8
        {
            root = t.name;
            if let Some(m) = t.max_len {
                max_len = Some(max_len.map_or(m, |old| old.min(m)));
            }
            if let Some((lo, hi)) = t.range {
                range = Some(range.map_or((lo, hi), |(l, h)| (l.max(lo), h.min(hi))));
            }
            if let Some(p) = t.regex {
                patterns.push(p);
            }
            current = t.base.and_then(|b| self.schema.data_type(b));
            step += 1;
        }
        let bits = match root {
            "integer_t" => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
            "long_t" => Some((i64::MIN, i64::MAX)),
            _ => None,
        };
        let json_type = match root {
            "boolean_t" => Some("boolean"),
            "integer_t" | "long_t" => Some("integer"),
            "float_t" => Some("number"),
            "string_t" => Some("string"),
            _ => None,
        };
        if let Some(t) = json_type {
            out.insert("type".into(), t.into());
        }
        if json_type == Some("string") {
            if let Some(m) = max_len {
                out.insert("maxLength".into(), m.into());
            }
            match patterns.as_slice() {
                [] => {}
                [p] => {
                    out.insert("pattern".into(), (*p).into());
                }
                many => {
                    let all: Vec<Value> = many.iter().map(|p| json!({ "pattern": p })).collect();
                    out.insert("allOf".into(), Value::Array(all));
                }
            }
        }
        if json_type == Some("integer") {
            let (mut lo, mut hi) = bits.unwrap_or((i64::MIN, i64::MAX));
            if let Some((l, h)) = range {
                lo = lo.max(l);
                hi = hi.min(h);
            }
            out.insert("minimum".into(), lo.into());
            out.insert("maximum".into(), hi.into());
        }
        match attr.enumeration {
            Some(EnumValues::Int(values)) => {
                let all: Vec<Value> = values.iter().map(|(v, _)| Value::from(*v)).collect();
                out.insert("enum".into(), Value::Array(all));
            }
            Some(EnumValues::Str(values)) => {
                let all: Vec<Value> = values.iter().map(|(v, _)| Value::from(*v)).collect();
                out.insert("enum".into(), Value::Array(all));
            }
            None => {}
        }
        Value::Object(out)
    }
}

/// The `required` clause of a (dotted) path.
fn requiring(path: &str) -> Value {
    match path.split_once('.') {
        None => json!({ "required": [path] }),
        Some((head, rest)) => {
            let mut properties = Map::new();
            properties.insert(head.into(), requiring(rest));
            json!({ "required": [head], "properties": properties })
        }
    }
}

/// A JSON Schema compiled once for validating many instances (feature `jsonschema`).
#[cfg(feature = "jsonschema")]
#[derive(Debug)]
pub struct CompiledSchema {
    validator: jsonschema::Validator,
}

#[cfg(feature = "jsonschema")]
impl CompiledSchema {
    /// Compiles a schema (a [`class_schema`] or any other), failing with the reason when it is
    /// not a valid JSON Schema.
    pub fn new(schema: &Value) -> Result<Self, String> {
        jsonschema::validator_for(schema)
            .map(|validator| CompiledSchema { validator })
            .map_err(|e| format!("invalid JSON Schema: {e}"))
    }

    /// Every violation, as `"<JSON Pointer>: <message>"`; empty when the instance is valid.
    pub fn validate(&self, instance: &Value) -> Vec<String> {
        self.validator
            .iter_errors(instance)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }

    /// Whether the instance is valid.
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance)
    }
}

/// Validates raw JSON against a JSON Schema (typically a [`class_schema`]) with the `jsonschema`
/// crate: every violation as `"<JSON Pointer>: <message>"`, or the one reason the schema does
/// not compile. Compile once with [`CompiledSchema`] to validate many events.
///
/// ```
/// # #[cfg(feature = "v1_1_0")] {
/// use ocsf_model::json_schema::{class_schema, validate_json_with_schema};
///
/// let schema = class_schema(&ocsf_model::v1_1_0::SCHEMA, "authentication", &[]).unwrap();
/// let errors = validate_json_with_schema(&serde_json::json!({"class_uid": 3002}), &schema);
/// assert!(errors.iter().any(|e| e.contains("\"metadata\" is a required property")), "{errors:?}");
/// # }
/// ```
#[cfg(feature = "jsonschema")]
pub fn validate_json_with_schema(instance: &Value, class_schema: &Value) -> Vec<String> {
    match CompiledSchema::new(class_schema) {
        Ok(compiled) => compiled.validate(instance),
        Err(reason) => vec![reason],
    }
}

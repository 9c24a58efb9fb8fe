//! Events (and objects) generated from a version's schema tables, for tests that need one event
//! of every class (included by path: `#[path = "support/sample.rs"] mod sample;`).

// Each test that includes this module uses part of it.
#![allow(dead_code)]

use ocsf_model::schema::{AttributeDef, EnumValues, ItemDef, Requirement, SchemaVersion};
use serde_json::{Map, Value, json};

/// Builds a JSON event of `class` from the tables: every attribute filled (`full`) or only the
/// required ones; objects nested up to `max_nesting`, each object type at most twice on a path
/// (so that the default recursion depth of 1 stores the second occurrence as JSON text).
pub struct Gen {
    pub schema: &'static SchemaVersion,
    pub full: bool,
    pub max_nesting: usize,
}

impl Gen {
    fn item(&self, item: &ItemDef, stack: &mut Vec<&'static str>) -> Map<String, Value> {
        let mut out = Map::new();
        for a in item.attributes {
            if !self.full && a.requirement != Requirement::Required {
                continue;
            }
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
            if stack.len() >= self.max_nesting
                || stack.iter().filter(|s| **s == def.name).count() >= 2
            {
                return None;
            }
            stack.push(def.name);
            let v = self.item(def, stack);
            stack.pop();
            return if v.is_empty() {
                None
            } else {
                Some(Value::Object(v))
            };
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

    /// The object named `name` with its attributes filled as [`Gen::event`] fills a class's
    /// (`None` for a name the version does not define).
    pub fn object(&self, name: &str) -> Option<Value> {
        let def = self.schema.object(name)?;
        Some(Value::Object(self.item(def, &mut vec![def.name])))
    }

    pub fn event(&self, class: &'static ItemDef) -> Value {
        let mut v = self.item(class, &mut vec![class.name]);
        let activity = v.get("activity_id").and_then(Value::as_i64).unwrap_or(0);
        v.insert("class_uid".into(), json!(class.uid));
        v.insert("category_uid".into(), json!(class.category_uid));
        v.insert(
            "type_uid".into(),
            json!(i64::from(class.uid) * 100 + activity),
        );
        v.insert(
            "time".into(),
            json!(1_704_164_645_000_i64 + i64::from(class.uid)),
        );
        Value::Object(v)
    }
}

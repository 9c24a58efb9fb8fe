//! The resolved schema: what the compiler produces and what code generation reads.
//!
//! Everything here is a fact about the schema (names, captions, types, requirements, enum values,
//! profiles, constraints, uids, deprecations). Upstream description prose is deliberately not
//! part of the model.
//!
//! All maps are [`BTreeMap`]s so that serializing a [`Schema`] is deterministic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A fully resolved OCSF schema of one version, with the extensions that were selected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Schema {
    /// The schema version, from `version.json` (for example `1.1.0`).
    pub version: String,
    /// The extensions that were compiled in, by name (`linux`, `win`, `macos`, ...).
    pub extensions: BTreeMap<String, Extension>,
    /// Event categories by name; extension categories are scoped (`dev/...`).
    pub categories: BTreeMap<String, Category>,
    /// Data types of the dictionary (`string_t`, `port_t`, ...).
    pub types: BTreeMap<String, DataType>,
    /// Profiles by name; extension profiles are scoped (`linux/linux_users`).
    pub profiles: BTreeMap<String, Profile>,
    /// Event classes by name, including `base_event`; extension classes are scoped
    /// (`win/registry_key_activity`).
    pub classes: BTreeMap<String, Class>,
    /// Objects by name; extension objects are scoped (`win/reg_key`).
    pub objects: BTreeMap<String, Object>,
}

/// A schema extension that was compiled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Extension {
    /// The extension's name, used to scope its items (`win`).
    pub name: String,
    /// The extension's uid, used in the uids of its categories and classes.
    pub uid: i64,
    /// The extension's caption.
    pub caption: String,
    /// The extension's own version, if it states one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// An event category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Category {
    /// The category's (scoped) name.
    pub name: String,
    /// The category's caption.
    pub caption: String,
    /// The category uid (for extension categories: `extension uid * 100 + uid`).
    pub uid: i64,
    /// The extension that defines it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
}

/// A data type of the dictionary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DataType {
    /// The type's name (`port_t`).
    pub name: String,
    /// The type's caption.
    pub caption: String,
    /// The primitive type it refines (`integer_t` for `port_t`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// A regular expression that values must match (JSON Schema `pattern` semantics).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// The maximum length of a string value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_len: Option<u64>,
    /// The inclusive range of a numeric value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[i64; 2]>,
    /// The only values allowed, where the type lists them (`boolean_t`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<serde_json::Value>>,
    /// The observable type id of values of this type, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observable: Option<i64>,
}

/// A profile: a named set of attributes that classes and objects can switch on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Profile {
    /// The profile's (scoped) name.
    pub name: String,
    /// The profile's caption.
    pub caption: String,
    /// The extension that defines it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// The attributes the profile adds, resolved against the dictionary.
    pub attributes: BTreeMap<String, Attribute>,
}

/// An event class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Class {
    /// The class's (scoped) name (`authentication`, `win/registry_key_activity`).
    pub name: String,
    /// The class's caption.
    pub caption: String,
    /// The `class_uid` (for extension classes `(ext_uid * 100 + category_uid) * 1000 + uid`).
    pub uid: i64,
    /// The name of its category (`other` for `base_event`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The `category_uid` (0 where the category is undefined).
    pub category_uid: i64,
    /// The extension that defines it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// The class it extends, as written in the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// The profiles that apply to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// Its constraints.
    #[serde(default, skip_serializing_if = "Constraints::is_empty")]
    pub constraints: Constraints,
    /// Deprecation, if the class is deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<Deprecation>,
    /// Attribute paths that are observables of this class, with their observable type id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub observables: BTreeMap<String, i64>,
    /// The attributes, resolved against the dictionary.
    pub attributes: BTreeMap<String, Attribute>,
}

/// An object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Object {
    /// The object's (scoped) name (`user`, `win/reg_key`).
    pub name: String,
    /// The object's caption.
    pub caption: String,
    /// The extension that defines it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// The object it extends, as written in the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// The profiles that apply to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// Its constraints.
    #[serde(default, skip_serializing_if = "Constraints::is_empty")]
    pub constraints: Constraints,
    /// Deprecation, if the object is deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<Deprecation>,
    /// The observable type id of the object, if it is an observable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observable: Option<i64>,
    /// The attributes, resolved against the dictionary.
    pub attributes: BTreeMap<String, Attribute>,
}

/// How strongly an attribute is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    /// Must be present.
    Required,
    /// Should be present when the data has it.
    Recommended,
    /// May be present.
    Optional,
}

impl Requirement {
    /// The name used in the schema (`required`, `recommended`, `optional`).
    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::Required => "required",
            Requirement::Recommended => "recommended",
            Requirement::Optional => "optional",
        }
    }
}

/// An attribute of a class, object or profile, with the dictionary definition merged underneath.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Attribute {
    /// The attribute's caption.
    pub caption: String,
    /// The data type (`string_t`, `integer_t`, ..., `object_t`).
    #[serde(rename = "type")]
    pub type_name: String,
    /// The object type where `type_name` is `object_t` (scoped for extension objects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    /// Whether the attribute holds an array of values.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_array: bool,
    /// The requirement (`optional` where the source states none).
    pub requirement: Requirement,
    /// The profiles that add the attribute (usually none or one; from 1.8.0 several extensions
    /// can add the same attribute). The attribute exists when any of them is switched on; with
    /// none, it always exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// The attribute group (`classification`, `context`, `occurrence`, `primary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The enumeration, keyed by value (integers as decimal strings; string-keyed enums as is).
    #[serde(rename = "enum", default, skip_serializing_if = "Option::is_none")]
    pub enumeration: Option<BTreeMap<String, EnumValue>>,
    /// The sibling attribute that holds the enum value's caption (`activity_name` for
    /// `activity_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sibling: Option<String>,
    /// The observable type id of the attribute, if it is an observable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observable: Option<i64>,
    /// Deprecation, if the attribute is deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<Deprecation>,
}

/// One value of an enumeration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EnumValue {
    /// The value's caption.
    pub caption: String,
    /// Deprecation, if the value is deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<Deprecation>,
}

/// A deprecation: since when, and what replaces the item, where the schema names it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Deprecation {
    /// The version that deprecated the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The names of the items the schema points to as replacements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaced_by: Vec<String>,
}

/// Constraints on which attributes must be present together.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Constraints {
    /// At least one of these attribute paths must be present.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at_least_one: Vec<String>,
    /// Exactly one of these attribute paths must be present.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub just_one: Vec<String>,
}

impl Constraints {
    /// Whether there are no constraints.
    pub fn is_empty(&self) -> bool {
        self.at_least_one.is_empty() && self.just_one.is_empty()
    }
}

impl Schema {
    /// The class with the given `class_uid`.
    pub fn class_by_uid(&self, uid: i64) -> Option<&Class> {
        self.classes.values().find(|c| c.uid == uid)
    }

    /// The recursion edges: every `(object, attribute)` whose object type can lead back to the
    /// object itself (`process.parent_process`, `user.ldap_person` and `ldap_person.manager`, ...).
    ///
    /// An edge is recursive when both ends lie in the same strongly connected component of the
    /// object reference graph. Typed models break these edges with indirection (`Box`), columnar
    /// schemas with a depth limit.
    pub fn recursion_edges(&self) -> Vec<(String, String)> {
        let names: Vec<&str> = self.objects.keys().map(String::as_str).collect();
        let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let adjacency: Vec<Vec<usize>> = names
            .iter()
            .map(|n| {
                self.objects[*n]
                    .attributes
                    .values()
                    .filter_map(|a| a.object_type.as_deref().and_then(|t| index.get(t).copied()))
                    .collect()
            })
            .collect();
        let component = crate::graph::strongly_connected(&adjacency);
        let mut edges = Vec::new();
        for (i, name) in names.iter().enumerate() {
            for (attr_name, attr) in &self.objects[*name].attributes {
                if let Some(j) = attr.object_type.as_deref().and_then(|t| index.get(t))
                    && component[i] == component[*j]
                    && (i != *j || adjacency[i].contains(j))
                {
                    edges.push((name.to_string(), attr_name.clone()));
                }
            }
        }
        edges
    }
}

//! The schema facts of each compiled-in OCSF version, as static tables generated beside the types
//! (`<version>::SCHEMA`): classes, objects, attributes with type, requirement, profiles, enum
//! values, siblings and deprecation, data types with their constraints.
//!
//! The validator, the JSON Schema export and the columnar layer read these tables, so they agree
//! with the generated types by construction.

/// How strongly an attribute is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Requirement {
    /// Must be present.
    Required,
    /// Should be present when the data has it.
    Recommended,
    /// May be present.
    Optional,
}

/// The values of an enumerated attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumValues {
    /// Integer-valued: `(value, caption)`, sorted by value.
    Int(&'static [(i64, &'static str)]),
    /// String-keyed: `(value, caption)`, sorted by value.
    Str(&'static [(&'static str, &'static str)]),
}

impl EnumValues {
    /// The caption of an integer value, if the enum defines it.
    pub fn int_caption(&self, value: i64) -> Option<&'static str> {
        match self {
            EnumValues::Int(values) => values
                .binary_search_by_key(&value, |(v, _)| *v)
                .ok()
                .map(|i| values[i].1),
            EnumValues::Str(_) => None,
        }
    }

    /// The caption of a string value, if the enum defines it.
    pub fn str_caption(&self, value: &str) -> Option<&'static str> {
        match self {
            EnumValues::Str(values) => values
                .binary_search_by_key(&value, |(v, _)| *v)
                .ok()
                .map(|i| values[i].1),
            EnumValues::Int(_) => None,
        }
    }
}

/// An attribute of a class or object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeDef {
    /// The attribute's name.
    pub name: &'static str,
    /// Its caption.
    pub caption: &'static str,
    /// Its data type (`string_t`, `port_t`, ..., `object_t`).
    pub type_name: &'static str,
    /// The object it holds, for `object_t` (an empty-attribute object such as `object` is
    /// free-form JSON).
    pub object: Option<&'static str>,
    /// Whether it holds an array.
    pub is_array: bool,
    /// Its requirement.
    pub requirement: Requirement,
    /// The profiles that add it; empty when it always exists.
    pub profiles: &'static [&'static str],
    /// Its enumeration, if any.
    pub enumeration: Option<EnumValues>,
    /// The attribute that carries the enum value's caption.
    pub sibling: Option<&'static str>,
    /// The version that deprecated it, if deprecated (`""` when the schema names none).
    pub deprecated: Option<&'static str>,
}

/// A class or an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemDef {
    /// The (scoped) name.
    pub name: &'static str,
    /// The caption.
    pub caption: &'static str,
    /// `class_uid` for classes, 0 for objects.
    pub uid: i32,
    /// `category_uid` for classes, 0 for objects.
    pub category_uid: i32,
    /// The profiles that apply.
    pub profiles: &'static [&'static str],
    /// Attributes sorted by name.
    pub attributes: &'static [AttributeDef],
    /// At least one of these paths must be present.
    pub at_least_one: &'static [&'static str],
    /// Exactly one of these paths must be present.
    pub just_one: &'static [&'static str],
    /// The version that deprecated it, if deprecated (`""` when the schema names none).
    pub deprecated: Option<&'static str>,
}

impl ItemDef {
    /// An attribute by name.
    pub fn attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        let attrs: &'static [AttributeDef] = self.attributes;
        attrs
            .binary_search_by_key(&name, |a| a.name)
            .ok()
            .map(|i| &attrs[i])
    }
}

/// A data type of the dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeDef {
    /// The type's name.
    pub name: &'static str,
    /// The type it refines, if any.
    pub base: Option<&'static str>,
    /// A pattern values must match (unanchored, JSON Schema semantics).
    pub regex: Option<&'static str>,
    /// The maximum string length.
    pub max_len: Option<u64>,
    /// The inclusive numeric range.
    pub range: Option<(i64, i64)>,
}

/// The schema facts of one OCSF version.
#[derive(Debug, Clone, Copy)]
pub struct SchemaVersion {
    /// The version (`1.1.0`).
    pub version: &'static str,
    /// Classes sorted by name (including `base_event`).
    pub classes: &'static [ItemDef],
    /// Objects sorted by name.
    pub objects: &'static [ItemDef],
    /// Data types sorted by name.
    pub types: &'static [TypeDef],
}

impl SchemaVersion {
    /// A class by (scoped) name.
    pub fn class(&self, name: &str) -> Option<&'static ItemDef> {
        let classes: &'static [ItemDef] = self.classes;
        classes
            .binary_search_by_key(&name, |c| c.name)
            .ok()
            .map(|i| &classes[i])
    }

    /// A class by `class_uid`.
    pub fn class_by_uid(&self, uid: i64) -> Option<&'static ItemDef> {
        let classes: &'static [ItemDef] = self.classes;
        classes.iter().find(|c| i64::from(c.uid) == uid)
    }

    /// An object by (scoped) name.
    pub fn object(&self, name: &str) -> Option<&'static ItemDef> {
        let objects: &'static [ItemDef] = self.objects;
        objects
            .binary_search_by_key(&name, |o| o.name)
            .ok()
            .map(|i| &objects[i])
    }

    /// A data type by name.
    pub fn data_type(&self, name: &str) -> Option<&'static TypeDef> {
        let types: &'static [TypeDef] = self.types;
        types
            .binary_search_by_key(&name, |t| t.name)
            .ok()
            .map(|i| &types[i])
    }

    /// The chain of a data type and the types it refines (`port_t`, `integer_t`).
    pub fn type_chain(&self, name: &str) -> Vec<&'static TypeDef> {
        let mut out = Vec::new();
        let mut current = self.data_type(name);
        while let Some(t) = current {
            if out.iter().any(|o: &&TypeDef| o.name == t.name) {
                break;
            }
            out.push(t);
            current = t.base.and_then(|b| self.data_type(b));
        }
        out
    }
}

/// The schema facts of every OCSF version compiled in (its version feature on), oldest first.
///
/// ```
/// let versions: Vec<&str> = ocsf_model::schema::compiled().iter().map(|s| s.version).collect();
/// # #[cfg(feature = "v1_1_0")]
/// assert!(versions.contains(&"1.1.0"));
/// ```
pub fn compiled() -> &'static [&'static SchemaVersion] {
    COMPILED
}

static COMPILED: &[&SchemaVersion] = &[
    #[cfg(feature = "v1_0_0_rc2")]
    &crate::v1_0_0_rc2::SCHEMA,
    #[cfg(feature = "v1_1_0")]
    &crate::v1_1_0::SCHEMA,
    #[cfg(feature = "v1_3_0")]
    &crate::v1_3_0::SCHEMA,
    #[cfg(feature = "v1_8_0")]
    &crate::v1_8_0::SCHEMA,
];

/// The schema facts of `version` (`"1.1.0"`), if that version is compiled in.
///
/// ```
/// # #[cfg(feature = "v1_1_0")]
/// assert_eq!(ocsf_model::schema::by_version("1.1.0").map(|s| s.version), Some("1.1.0"));
/// assert!(ocsf_model::schema::by_version("0.9").is_none());
/// ```
pub fn by_version(version: &str) -> Option<&'static SchemaVersion> {
    compiled().iter().copied().find(|s| s.version == version)
}

//! Validation of OCSF events against the schema facts of their version ([`crate::schema`]).
//!
//! The engine works on JSON ([`serde_json::Value`]) and a [`SchemaVersion`], so it checks typed
//! events ([`OcsfEvent::validate`](crate::OcsfEvent::validate), which serializes first), dynamic
//! events ([`DynamicEvent::validate`](crate::DynamicEvent::validate)) and raw JSON
//! ([`validate_value`]) alike. It returns every issue it finds, not only the first, each with a
//! stable [`IssueCode`], a [`Severity`] and the JSON path of the offending value.
//!
//! # Paths
//!
//! Paths are [JSON Pointers](https://www.rfc-editor.org/rfc/rfc6901) into the event: `/user/name`,
//! `/observables/0/type_id`; the empty string is the event itself. A missing attribute is reported
//! at the path it should have (`/finding_info/uid`); an `at_least_one` / `just_one` violation at
//! the object that carries the constraint.
//!
//! # Rules
//!
//! | code | severity | rule |
//! |---|---|---|
//! | `unknown-class` | error | `class_uid` names no class of the version |
//! | `missing-required` | error | a required attribute is absent or `null` |
//! | `missing-recommended` | warning | a recommended attribute is absent (opt-in, [`ValidateOptions::with_missing_recommended`]) |
//! | `type-mismatch` | error | the JSON type does not fit the data type: string / number / boolean / object / array; a number with a fraction (or written `1.0`) for `integer_t` / `long_t` |
//! | `out-of-range` | error | an integer outside its type's `range` (`port_t`: 0..=65535), outside 32 bits for `integer_t` or 64 bits for `long_t` |
//! | `too-long` | error | a string longer (in characters) than its type's `max_len` |
//! | `pattern-mismatch` | error | a string the type's regular expression does not match (unanchored, as in JSON Schema) |
//! | `unknown-enum-value` | error | a value the enumeration does not define (a typed enum's `Unrecognized`) |
//! | `sibling-mismatch` | error | a caption sibling (`activity_name`, `severity`, `class_name`, `type_name`, ...) differs from the caption of its id; free text is allowed for `Other` (99) |
//! | `uid-mismatch` | error | `class_uid` or `category_uid` is not the class's, or `type_uid` is not `class_uid * 100 + activity_id` |
//! | `at-least-one` | error | none of an object's `at_least_one` attributes (dotted paths) is present |
//! | `just-one` | error | not exactly one of an object's `just_one` attributes is present |
//! | `unknown-attribute` | error (configurable) | an attribute the class or object does not define |
//! | `inactive-profile-attribute` | error (configurable) | an attribute of a profile that `metadata.profiles` does not list |
//! | `deprecated-class` / `deprecated-attribute` / `deprecated-object` | warning | a deprecated class, attribute or object |
//! | `null-value` | warning | `null` for an optional attribute (readers treat it as absent) |
//! | `too-deep` | error | objects nested deeper than [`ValidateOptions::max_depth`]; not descended further |
//! | `serialize-failed` | error | a typed event could not be serialized to JSON |
//!
//! # Choices
//!
//! - **Profiles.** `metadata.profiles` (an array of profile names) switches profile attributes on,
//!   in the event and in every nested object; their requirements then apply (`cloud` becomes
//!   required with the `cloud` profile). An attribute whose profiles are all inactive does not
//!   exist for that event: when present it is reported as `inactive-profile-attribute`, with the
//!   severity of unknown attributes, and its value is not checked. This is what the OCSF schema
//!   server's validator and the JSON Schemas of `ocsf-json-schema` do; AWS sources list their
//!   profiles.
//! - **Unknown attributes are errors** by default: OCSF data outside the schema belongs in
//!   `unmapped`, the schema server reports such attributes as errors, and the per-class JSON
//!   Schemas forbid them (`additionalProperties: false`). The typed model still keeps them, so
//!   a reader that prefers leniency can lower them to warnings with
//!   [`ValidateOptions::with_unknown_attribute_severity`]. `unmapped`, and every other free-form
//!   object (an object type without attributes, such as `object`), is never descended into.
//! - **Recommended attributes** are not reported unless asked: they are advice, and most sources
//!   lack some.
//! - **`null`** is not an OCSF value, but some producers write it for "absent" and the typed model
//!   reads it so: it counts as absent (so a required `null` is `missing-required`), with a
//!   `null-value` warning. JSON Schema, which rejects it, is stricter here.
//! - **Integers.** `integer_t` is 32 bits and `long_t` 64 bits, as in the typed model and the
//!   Security Lake tables; `1.0` is not an integer (the typed model cannot read it), where JSON
//!   Schema would accept it.
//! - **Captions.** The uid attributes are checked by arithmetic, so a wrong `type_uid` reports
//!   `uid-mismatch` once rather than also `unknown-enum-value`. A sibling that is absent is fine;
//!   a sibling of `Other` (99, or a `type_uid` whose activity is `Other`) may hold any text, since
//!   it carries the source's own label.
//! - **Patterns** are the OCSF data-type regular expressions with JSON Schema semantics: they match
//!   anywhere in the string unless anchored, and `\d` / `\w` mean ASCII digits / word characters.
//!   Each is compiled once, on first use.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "v1_1_0")] {
//! use ocsf_model::OcsfEvent;
//! use ocsf_model::v1_1_0::events::{DetectionFinding, DetectionFindingActivityId, SeverityId};
//! use ocsf_model::v1_1_0::objects::{FindingInfo, Metadata, Product};
//! use ocsf_model::validate::{IssueCode, validate_value};
//!
//! let mut product = Product::default();
//! product.name = Some("GuardDuty".into());
//! product.vendor_name = Some("AWS".into());
//! let finding = DetectionFinding::new(
//!     DetectionFindingActivityId::Create,
//!     FindingInfo::new("Credential stuffing".into(), "finding-1".into()),
//!     Metadata::new(product, "1.1.0".into()),
//!     SeverityId::High,
//!     1_700_000_000_000,
//! );
//! let report = finding.validate();
//! assert!(report.is_valid(), "{report}");
//!
//! // The same event as JSON, broken: the finding's uid is gone and the severity caption lies.
//! let mut json = serde_json::to_value(&finding).unwrap();
//! json["finding_info"].as_object_mut().unwrap().remove("uid");
//! json["severity"] = "Low".into();
//! let report = validate_value(&json, &ocsf_model::v1_1_0::SCHEMA);
//! assert!(!report.is_valid());
//! let found: Vec<(&str, &str)> =
//!     report.errors().map(|i| (i.code.as_str(), i.path.as_str())).collect();
//! assert!(found.contains(&("missing-required", "/finding_info/uid")));
//! assert!(found.contains(&("sibling-mismatch", "/severity")));
//! assert!(report.has(IssueCode::SiblingMismatch));
//! # }
//! ```

use std::fmt;
use std::sync::{PoisonError, RwLock};

use regex::Regex;
use serde_json::{Map, Value};

use crate::schema::{AttributeDef, EnumValues, ItemDef, Requirement, SchemaVersion, TypeDef};

/// How serious an [`Issue`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Advice: the event is valid.
    Warning,
    /// The event does not conform to the schema.
    Error,
}

impl Severity {
    /// `"warning"` or `"error"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rule an [`Issue`] breaks. The string forms ([`IssueCode::as_str`]) are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum IssueCode {
    /// `unknown-class`: `class_uid` names no class of the schema version.
    UnknownClass,
    /// `missing-required`: a required attribute is absent or `null`.
    MissingRequired,
    /// `missing-recommended`: a recommended attribute is absent (only when asked for).
    MissingRecommended,
    /// `type-mismatch`: the JSON type does not fit the attribute's data type.
    TypeMismatch,
    /// `out-of-range`: an integer outside the range of its data type.
    OutOfRange,
    /// `too-long`: a string longer than its data type's `max_len` characters.
    TooLong,
    /// `pattern-mismatch`: a string that its data type's regular expression does not match.
    PatternMismatch,
    /// `unknown-enum-value`: a value the attribute's enumeration does not define.
    UnknownEnumValue,
    /// `sibling-mismatch`: a caption sibling that differs from the caption of its id.
    SiblingMismatch,
    /// `uid-mismatch`: `class_uid`, `category_uid` or `type_uid` is not what the class and
    /// `activity_id` make it.
    UidMismatch,
    /// `at-least-one`: none of an `at_least_one` constraint's attributes is present.
    AtLeastOne,
    /// `just-one`: not exactly one of a `just_one` constraint's attributes is present.
    JustOne,
    /// `unknown-attribute`: an attribute the class or object does not define.
    UnknownAttribute,
    /// `inactive-profile-attribute`: an attribute of a profile `metadata.profiles` does not list.
    InactiveProfileAttribute,
    /// `deprecated-class`: the event's class is deprecated.
    DeprecatedClass,
    /// `deprecated-attribute`: a deprecated attribute is present.
    DeprecatedAttribute,
    /// `deprecated-object`: a value of a deprecated object type is present.
    DeprecatedObject,
    /// `null-value`: `null` for an optional attribute.
    NullValue,
    /// `too-deep`: objects nested deeper than the configured limit.
    TooDeep,
    /// `serialize-failed`: a typed event could not be serialized to JSON.
    SerializeFailed,
}

impl IssueCode {
    /// The stable kebab-case name (`missing-required`).
    pub const fn as_str(self) -> &'static str {
        match self {
            IssueCode::UnknownClass => "unknown-class",
            IssueCode::MissingRequired => "missing-required",
            IssueCode::MissingRecommended => "missing-recommended",
            IssueCode::TypeMismatch => "type-mismatch",
            IssueCode::OutOfRange => "out-of-range",
            IssueCode::TooLong => "too-long",
            IssueCode::PatternMismatch => "pattern-mismatch",
            IssueCode::UnknownEnumValue => "unknown-enum-value",
            IssueCode::SiblingMismatch => "sibling-mismatch",
            IssueCode::UidMismatch => "uid-mismatch",
            IssueCode::AtLeastOne => "at-least-one",
            IssueCode::JustOne => "just-one",
            IssueCode::UnknownAttribute => "unknown-attribute",
            IssueCode::InactiveProfileAttribute => "inactive-profile-attribute",
            IssueCode::DeprecatedClass => "deprecated-class",
            IssueCode::DeprecatedAttribute => "deprecated-attribute",
            IssueCode::DeprecatedObject => "deprecated-object",
            IssueCode::NullValue => "null-value",
            IssueCode::TooDeep => "too-deep",
            IssueCode::SerializeFailed => "serialize-failed",
        }
    }
}

impl fmt::Display for IssueCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding of the validator.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Issue {
    /// The rule.
    pub code: IssueCode,
    /// Error or warning.
    pub severity: Severity,
    /// The JSON Pointer of the offending value (`/user/name`; empty for the event itself).
    pub path: String,
    /// A human-readable explanation.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "(event)"
        } else {
            &self.path
        };
        write!(
            f,
            "{}[{}] {path}: {}",
            self.severity, self.code, self.message
        )
    }
}

/// Everything the validator found in one event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The issues, in the order they were found.
    pub issues: Vec<Issue>,
}

impl Report {
    /// Whether the event has no errors (warnings allowed).
    pub fn is_valid(&self) -> bool {
        !self.issues.iter().any(|i| i.severity == Severity::Error)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
    }

    /// Whether any issue has this code.
    pub fn has(&self, code: IssueCode) -> bool {
        self.issues.iter().any(|i| i.code == code)
    }

    fn single(code: IssueCode, path: &str, message: String) -> Self {
        Report {
            issues: vec![Issue {
                code,
                severity: Severity::Error,
                path: path.to_string(),
                message,
            }],
        }
    }
}

impl fmt::Display for Report {
    /// One issue per line; `valid` when there is none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.issues.is_empty() {
            return f.write_str("valid");
        }
        for (i, issue) in self.issues.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{issue}")?;
        }
        Ok(())
    }
}

/// The default of [`ValidateOptions::max_depth`].
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// What the validator reports beyond the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidateOptions {
    /// Report absent recommended attributes as `missing-recommended` warnings (default: no).
    pub missing_recommended: bool,
    /// The severity of `unknown-attribute` and `inactive-profile-attribute` (default: error).
    pub unknown_attribute_severity: Severity,
    /// How deep objects may nest below the event before `too-deep` (default:
    /// [`DEFAULT_MAX_DEPTH`]).
    pub max_depth: usize,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ValidateOptions {
    /// The defaults: no recommended warnings, unknown attributes are errors, depth 64.
    pub const fn new() -> Self {
        ValidateOptions {
            missing_recommended: false,
            unknown_attribute_severity: Severity::Error,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }

    /// Sets [`ValidateOptions::missing_recommended`].
    pub const fn with_missing_recommended(mut self, on: bool) -> Self {
        self.missing_recommended = on;
        self
    }

    /// Sets [`ValidateOptions::unknown_attribute_severity`].
    pub const fn with_unknown_attribute_severity(mut self, severity: Severity) -> Self {
        self.unknown_attribute_severity = severity;
        self
    }

    /// Sets [`ValidateOptions::max_depth`].
    pub const fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }
}

/// Validates a JSON event, finding its class by `class_uid`, with the default options.
pub fn validate_value(value: &Value, schema: &SchemaVersion) -> Report {
    validate_value_with(value, schema, &ValidateOptions::new())
}

/// Validates a JSON event, finding its class by `class_uid`.
pub fn validate_value_with(
    value: &Value,
    schema: &SchemaVersion,
    options: &ValidateOptions,
) -> Report {
    match value.as_object() {
        Some(map) => validate_map(map, schema, options),
        None => not_an_object(value),
    }
}

/// Validates a JSON event as an instance of `class` (whose `class_uid` it must then carry).
pub fn validate_as_class(
    value: &Value,
    schema: &SchemaVersion,
    class: &ItemDef,
    options: &ValidateOptions,
) -> Report {
    match value.as_object() {
        Some(map) => validate_map_as(map, schema, class, options),
        None => not_an_object(value),
    }
}

/// The report of a typed event that did not serialize.
pub(crate) fn serialize_failed(error: &serde_json::Error) -> Report {
    Report::single(
        IssueCode::SerializeFailed,
        "",
        format!("the event does not serialize to JSON: {error}"),
    )
}

fn not_an_object(value: &Value) -> Report {
    Report::single(
        IssueCode::TypeMismatch,
        "",
        format!("an event is a JSON object, not {}", json_kind(value)),
    )
}

/// Validates an event held as a JSON map, finding its class by `class_uid`.
pub(crate) fn validate_map(
    map: &Map<String, Value>,
    schema: &SchemaVersion,
    options: &ValidateOptions,
) -> Report {
    let class = match map.get("class_uid") {
        None | Some(Value::Null) => {
            return Report::single(
                IssueCode::MissingRequired,
                "/class_uid",
                "`class_uid` is required to know the event's class".to_string(),
            );
        }
        Some(v) => match v.as_i64() {
            None => {
                return Report::single(
                    IssueCode::TypeMismatch,
                    "/class_uid",
                    format!("`class_uid` must be an integer, not {}", json_kind(v)),
                );
            }
            Some(uid) => match schema.class_by_uid(uid) {
                Some(class) => class,
                None => {
                    return Report::single(
                        IssueCode::UnknownClass,
                        "/class_uid",
                        format!("OCSF {} defines no class {uid}", schema.version),
                    );
                }
            },
        },
    };
    validate_map_as(map, schema, class, options)
}

/// Validates an event held as a JSON map as an instance of `class`.
pub(crate) fn validate_map_as(
    map: &Map<String, Value>,
    schema: &SchemaVersion,
    class: &ItemDef,
    options: &ValidateOptions,
) -> Report {
    let mut engine = Engine::new(schema, options, map);
    engine.class(class, map);
    Report {
        issues: engine.issues,
    }
}

/// A JSON Pointer built on the stack while descending; rendered only when an issue needs it.
#[derive(Clone, Copy)]
enum Loc<'l> {
    Root,
    Key(&'l Loc<'l>, &'l str),
    Index(&'l Loc<'l>, usize),
}

impl Loc<'_> {
    fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Loc::Root => {}
            Loc::Key(parent, key) => {
                parent.write(out);
                out.push('/');
                for c in key.chars() {
                    match c {
                        '~' => out.push_str("~0"),
                        '/' => out.push_str("~1"),
                        c => out.push(c),
                    }
                }
            }
            Loc::Index(parent, index) => {
                parent.write(out);
                out.push('/');
                out.push_str(&index.to_string());
            }
        }
    }
}

/// The longest data-type chain followed (`port_t` -> `integer_t` is 2); guards against cycles.
const MAX_TYPE_CHAIN: usize = 8;

/// The JSON shape a data type's root primitive admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Primitive {
    Boolean,
    /// `integer_t`: 32-bit signed.
    Integer,
    /// `long_t`: 64-bit signed.
    Long,
    Float,
    String,
    /// `json_t`: any JSON, `null` included.
    Json,
    /// A type whose root the tables do not name (`object_t`): not checked here.
    Any,
}

impl Primitive {
    fn of(root: &str) -> Self {
        match root {
            "boolean_t" => Primitive::Boolean,
            "integer_t" => Primitive::Integer,
            "long_t" => Primitive::Long,
            "float_t" => Primitive::Float,
            "string_t" => Primitive::String,
            "json_t" => Primitive::Json,
            _ => Primitive::Any,
        }
    }

    fn admits(self, value: &Value) -> bool {
        match self {
            Primitive::Boolean => value.is_boolean(),
            Primitive::Integer | Primitive::Long => value.is_i64() || value.is_u64(),
            Primitive::Float => value.is_number(),
            Primitive::String => value.is_string(),
            Primitive::Json | Primitive::Any => true,
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Primitive::Boolean => "a boolean",
            Primitive::Integer | Primitive::Long => "an integer",
            Primitive::Float => "a number",
            Primitive::String => "a string",
            Primitive::Json | Primitive::Any => "a value",
        }
    }
}

/// The constraints of a data-type chain, combined.
#[derive(Clone, Copy)]
struct Constraints {
    primitive: Primitive,
    /// The smallest `max_len` and the type that sets it.
    max_len: Option<(u64, &'static str)>,
    /// The intersected `range` and the type that sets it.
    range: Option<(i64, i64, &'static str)>,
    /// The types of the chain that carry a regular expression (rarely more than one).
    patterns: [Option<&'static TypeDef>; MAX_TYPE_CHAIN],
}

impl Constraints {
    fn of(schema: &SchemaVersion, type_name: &str) -> Self {
        let mut out = Constraints {
            primitive: Primitive::Any,
            max_len: None,
            range: None,
            patterns: [None; MAX_TYPE_CHAIN],
        };
        let mut root = type_name;
        let mut current: Option<&'static TypeDef> = schema.data_type(type_name);
        let mut step = 0;
        while let Some(t) = current
            && step < MAX_TYPE_CHAIN
        {
            root = t.name;
            if let Some(max) = t.max_len
                && out.max_len.is_none_or(|(m, _)| max < m)
            {
                out.max_len = Some((max, t.name));
            }
            if let Some((lo, hi)) = t.range {
                out.range = Some(match out.range {
                    None => (lo, hi, t.name),
                    Some((l, h, n)) => (l.max(lo), h.min(hi), n),
                });
            }
            if t.regex.is_some() {
                out.patterns[step] = Some(t);
            }
            current = t.base.and_then(|b| schema.data_type(b));
            step += 1;
        }
        out.primitive = Primitive::of(root);
        out
    }
}

/// A small memo keyed by the tables' `&'static str`s (usually equal by address, so a lookup is
/// a few pointer comparisons); values beyond its capacity are recomputed each time.
struct Memo<V: Copy, const N: usize> {
    entries: [Option<(&'static str, V)>; N],
    len: usize,
}

impl<V: Copy, const N: usize> Memo<V, N> {
    fn new() -> Self {
        Memo {
            entries: [None; N],
            len: 0,
        }
    }

    fn get_or(&mut self, key: &'static str, compute: impl FnOnce() -> V) -> V {
        let known = &self.entries[..self.len];
        if let Some((_, v)) = known.iter().flatten().find(|(k, _)| std::ptr::eq(*k, key)) {
            return *v;
        }
        // Equal text at another address: remembered under this address too.
        let v = match known.iter().flatten().find(|(k, _)| *k == key) {
            Some((_, v)) => *v,
            None => compute(),
        };
        if let Some(slot) = self.entries.get_mut(self.len) {
            *slot = Some((key, v));
            self.len += 1;
        }
        v
    }
}

struct Engine<'a> {
    schema: &'a SchemaVersion,
    options: &'a ValidateOptions,
    profiles: Vec<&'a str>,
    issues: Vec<Issue>,
    /// The constraints of the data types met so far.
    types: Memo<Constraints, 32>,
    /// The object definitions met so far.
    objects: Memo<Option<&'static ItemDef>, 32>,
}

impl<'a> Engine<'a> {
    fn new(
        schema: &'a SchemaVersion,
        options: &'a ValidateOptions,
        root: &'a Map<String, Value>,
    ) -> Self {
        let profiles = root
            .get("metadata")
            .and_then(|m| m.get("profiles"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        Engine {
            schema,
            options,
            profiles,
            issues: Vec::new(),
            types: Memo::new(),
            objects: Memo::new(),
        }
    }

    fn push(&mut self, code: IssueCode, severity: Severity, loc: &Loc<'_>, message: String) {
        self.issues.push(Issue {
            code,
            severity,
            path: loc.render(),
            message,
        });
    }

    fn error(&mut self, code: IssueCode, loc: &Loc<'_>, message: String) {
        self.push(code, Severity::Error, loc, message);
    }

    fn warn(&mut self, code: IssueCode, loc: &Loc<'_>, message: String) {
        self.push(code, Severity::Warning, loc, message);
    }

    /// Whether an attribute exists for this event: it belongs to no profile, or to an active one.
    fn active(&self, attr: &AttributeDef) -> bool {
        attr.profiles.is_empty() || attr.profiles.iter().any(|p| self.profiles.contains(p))
    }

    fn constraints(&mut self, type_name: &'static str) -> Constraints {
        let schema = self.schema;
        self.types
            .get_or(type_name, || Constraints::of(schema, type_name))
    }

    fn object_def(&mut self, name: &'static str) -> Option<&'static ItemDef> {
        let schema = self.schema;
        self.objects.get_or(name, || schema.object(name))
    }

    fn class(&mut self, class: &'a ItemDef, map: &'a Map<String, Value>) {
        let root = Loc::Root;
        if let Some(since) = class.deprecated {
            self.warn(
                IssueCode::DeprecatedClass,
                &root,
                format!("class `{}` is deprecated{}", class.name, since_text(since)),
            );
        }
        self.object(class, map, &root, 0, Some(class));
    }

    /// Checks an object (or the event, when `class` is set) and descends into its attributes.
    fn object(
        &mut self,
        item: &'a ItemDef,
        map: &'a Map<String, Value>,
        loc: &Loc<'_>,
        depth: usize,
        class: Option<&ItemDef>,
    ) {
        let attributes: &'static [AttributeDef] = item.attributes;
        // Serialized typed events list attributes in the tables' (name) order: try the next
        // attribute before searching.
        let mut next = 0;
        // Required attributes present (not null): when all are, the second pass needs no lookup.
        let mut required_present = 0;
        for (key, value) in map {
            let here = Loc::Key(loc, key);
            let found = match attributes.get(next) {
                Some(a) if a.name == key => Some(next),
                _ => attributes.binary_search_by(|a| a.name.cmp(key)).ok(),
            };
            let Some(attr) = found.map(|i| {
                next = i + 1;
                &attributes[i]
            }) else {
                let severity = self.options.unknown_attribute_severity;
                self.push(
                    IssueCode::UnknownAttribute,
                    severity,
                    &here,
                    format!("`{key}` is not an attribute of `{}`", item.name),
                );
                continue;
            };
            if !self.active(attr) {
                let severity = self.options.unknown_attribute_severity;
                self.push(
                    IssueCode::InactiveProfileAttribute,
                    severity,
                    &here,
                    format!(
                        "`{key}` belongs to the {} profile, which `metadata.profiles` does not list",
                        attr.profiles.join(" / ")
                    ),
                );
                continue;
            }
            if let Some(since) = attr.deprecated {
                self.warn(
                    IssueCode::DeprecatedAttribute,
                    &here,
                    format!("`{key}` is deprecated{}", since_text(since)),
                );
            }
            if value.is_null() {
                // A required `null` is reported as missing below.
                if attr.requirement != Requirement::Required
                    && self.constraints(attr.type_name).primitive != Primitive::Json
                {
                    self.warn(
                        IssueCode::NullValue,
                        &here,
                        format!("`{key}` is null, which OCSF does not define; read as absent"),
                    );
                }
                continue;
            }
            if attr.requirement == Requirement::Required {
                required_present += 1;
            }
            let mut check_enum = true;
            if let Some(class) = class
                && let Some((expected, why)) = expected_uid(class, key, map)
                && let Some(actual) = value.as_i64()
            {
                if actual != expected {
                    self.error(
                        IssueCode::UidMismatch,
                        &here,
                        format!("`{key}` is {actual}, but {why} makes it {expected}"),
                    );
                    continue;
                }
                check_enum = false;
            }
            self.value(attr, value, &here, depth, check_enum);
            if !attr.is_array
                && let (Some(sibling), Some(values)) = (attr.sibling, attr.enumeration)
            {
                self.sibling(values, value, sibling, map, loc);
            }
        }

        let required_active = attributes
            .iter()
            .filter(|a| a.requirement == Requirement::Required && self.active(a))
            .count();
        let some_required_missing = required_present < required_active;
        if some_required_missing || self.options.missing_recommended {
            for attr in attributes {
                let (code, severity, kind) = match attr.requirement {
                    Requirement::Required if some_required_missing => {
                        (IssueCode::MissingRequired, Severity::Error, "required")
                    }
                    Requirement::Recommended if self.options.missing_recommended => (
                        IssueCode::MissingRecommended,
                        Severity::Warning,
                        "recommended",
                    ),
                    _ => continue,
                };
                if self.active(attr) && map.get(attr.name).is_none_or(Value::is_null) {
                    self.push(
                        code,
                        severity,
                        &Loc::Key(loc, attr.name),
                        format!("`{}` is {kind} in `{}`", attr.name, item.name),
                    );
                }
            }
        }

        if !item.at_least_one.is_empty() && !item.at_least_one.iter().any(|p| present(map, p)) {
            self.error(
                IssueCode::AtLeastOne,
                loc,
                format!(
                    "at least one of {} must be present in `{}`",
                    item.at_least_one.join(", "),
                    item.name
                ),
            );
        }
        if !item.just_one.is_empty() {
            let found = item.just_one.iter().filter(|p| present(map, p)).count();
            if found != 1 {
                self.error(
                    IssueCode::JustOne,
                    loc,
                    format!(
                        "exactly one of {} must be present in `{}`, found {found}",
                        item.just_one.join(", "),
                        item.name
                    ),
                );
            }
        }
    }

    /// Checks an attribute's value: an array element-wise, or a single value.
    fn value(
        &mut self,
        attr: &'a AttributeDef,
        value: &'a Value,
        loc: &Loc<'_>,
        depth: usize,
        check_enum: bool,
    ) {
        if attr.is_array {
            let Some(items) = value.as_array() else {
                self.error(
                    IssueCode::TypeMismatch,
                    loc,
                    format!("`{}` is an array, not {}", attr.name, json_kind(value)),
                );
                return;
            };
            for (i, item) in items.iter().enumerate() {
                let here = Loc::Index(loc, i);
                self.single(attr, item, &here, depth, check_enum);
            }
        } else {
            self.single(attr, value, loc, depth, check_enum);
        }
    }

    fn single(
        &mut self,
        attr: &'a AttributeDef,
        value: &'a Value,
        loc: &Loc<'_>,
        depth: usize,
        check_enum: bool,
    ) {
        if let Some(object) = attr.object {
            let Some(map) = value.as_object() else {
                self.error(
                    IssueCode::TypeMismatch,
                    loc,
                    format!("expected a `{object}` object, found {}", json_kind(value)),
                );
                return;
            };
            let Some(def) = self.object_def(object) else {
                return;
            };
            if def.attributes.is_empty() {
                // Free-form (`object`, `unmapped`): any content.
                return;
            }
            if let Some(since) = def.deprecated {
                self.warn(
                    IssueCode::DeprecatedObject,
                    loc,
                    format!("object `{object}` is deprecated{}", since_text(since)),
                );
            }
            if depth >= self.options.max_depth {
                self.error(
                    IssueCode::TooDeep,
                    loc,
                    format!(
                        "objects nest deeper than {}; not checked further",
                        self.options.max_depth
                    ),
                );
                return;
            }
            self.object(def, map, loc, depth + 1, None);
            return;
        }
        self.scalar(attr, value, loc, check_enum);
    }

    fn scalar(&mut self, attr: &AttributeDef, value: &Value, loc: &Loc<'_>, check_enum: bool) {
        let c = self.constraints(attr.type_name);
        if !c.primitive.admits(value) {
            let found =
                if value.is_f64() && matches!(c.primitive, Primitive::Integer | Primitive::Long) {
                    "a number with a fraction or exponent"
                } else {
                    json_kind(value)
                };
            self.error(
                IssueCode::TypeMismatch,
                loc,
                format!(
                    "expected {} (`{}`), found {found}",
                    c.primitive.expected(),
                    attr.type_name
                ),
            );
            return;
        }
        if let Some(s) = value.as_str() {
            if let Some((max, type_name)) = c.max_len
                && s.len() as u64 > max
            {
                let chars = s.chars().count() as u64;
                if chars > max {
                    self.error(
                        IssueCode::TooLong,
                        loc,
                        format!("{chars} characters; `{type_name}` allows at most {max}"),
                    );
                }
            }
            for t in c.patterns.iter().flatten() {
                if let Some(pattern) = t.regex
                    && matches_pattern(pattern, s) == Some(false)
                {
                    self.error(
                        IssueCode::PatternMismatch,
                        loc,
                        format!("\"{}\" is not a valid `{}`", shorten(s), t.name),
                    );
                }
            }
        }
        if value.is_number() && matches!(c.primitive, Primitive::Integer | Primitive::Long) {
            let fits = match (c.primitive, value.as_i64()) {
                (Primitive::Integer, Some(i)) => i32::try_from(i).is_ok(),
                (_, i) => i.is_some(),
            };
            if !fits {
                let bits = if c.primitive == Primitive::Integer {
                    32
                } else {
                    64
                };
                self.error(
                    IssueCode::OutOfRange,
                    loc,
                    format!(
                        "{value} does not fit `{}` ({bits}-bit signed)",
                        attr.type_name
                    ),
                );
                return;
            }
        }
        if let (Some((lo, hi, type_name)), Some(i)) = (c.range, value.as_i64())
            && !(lo..=hi).contains(&i)
        {
            self.error(
                IssueCode::OutOfRange,
                loc,
                format!("{i} is outside `{type_name}` ({lo}..={hi})"),
            );
        }
        if check_enum && let Some(values) = attr.enumeration {
            let known = match values {
                EnumValues::Int(_) => value.as_i64().map(|i| values.int_caption(i).is_some()),
                EnumValues::Str(_) => value.as_str().map(|s| values.str_caption(s).is_some()),
            };
            if known == Some(false) {
                self.error(
                    IssueCode::UnknownEnumValue,
                    loc,
                    format!("{value} is not a defined value of `{}`", attr.name),
                );
            }
        }
    }

    fn sibling(
        &mut self,
        values: EnumValues,
        value: &Value,
        sibling: &'static str,
        map: &Map<String, Value>,
        parent: &Loc<'_>,
    ) {
        let caption = match values {
            EnumValues::Int(_) => value.as_i64().and_then(|i| values.int_caption(i)),
            EnumValues::Str(_) => value.as_str().and_then(|s| values.str_caption(s)),
        };
        let Some(caption) = caption else {
            return;
        };
        if value.as_i64() == Some(OTHER) || caption == "Other" || caption.ends_with(": Other") {
            return;
        }
        let Some(text) = map.get(sibling).and_then(Value::as_str) else {
            return;
        };
        if text != caption {
            self.error(
                IssueCode::SiblingMismatch,
                &Loc::Key(parent, sibling),
                format!(
                    "`{sibling}` is \"{}\", but the caption of {value} is \"{caption}\"",
                    shorten(text)
                ),
            );
        }
    }
}

/// The OCSF `Other` value, whose caption siblings carry the source's own label.
const OTHER: i64 = 99;

/// What the class (and `activity_id`) make a uid attribute, with the reason.
fn expected_uid(
    class: &ItemDef,
    key: &str,
    map: &Map<String, Value>,
) -> Option<(i64, &'static str)> {
    match key {
        "class_uid" => Some((i64::from(class.uid), "the class")),
        "category_uid" => Some((i64::from(class.category_uid), "the class's category")),
        "type_uid" => {
            let activity = map.get("activity_id")?.as_i64()?;
            let uid = i64::from(class.uid)
                .checked_mul(100)?
                .checked_add(activity)?;
            Some((uid, "class_uid * 100 + activity_id"))
        }
        _ => None,
    }
}

/// Whether a dotted path (`device.os.version`) leads to a non-null value.
fn present(map: &Map<String, Value>, path: &str) -> bool {
    let mut current = map;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let Some(value) = current.get(part) else {
            return false;
        };
        if value.is_null() {
            return false;
        }
        if parts.peek().is_none() {
            return true;
        }
        let Some(next) = value.as_object() else {
            return false;
        };
        current = next;
    }
    false
}

fn since_text(since: &str) -> String {
    if since.is_empty() {
        String::new()
    } else {
        format!(" since {since}")
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A string for a message, cut at 80 characters.
fn shorten(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s.to_string(),
    }
}

/// Compiled data-type patterns, keyed by pattern (the tables' `&'static str`s, so a lookup is
/// usually a pointer comparison); `None` for a pattern the `regex` crate cannot compile.
static PATTERNS: RwLock<Vec<(&'static str, Option<Regex>)>> = RwLock::new(Vec::new());

/// Whether `text` matches an OCSF data-type pattern with JSON Schema semantics (unanchored
/// search; `\d` and `\w` are ASCII). Each pattern is compiled once, on first use. `None` when the
/// `regex` crate cannot compile the pattern (the validator then skips the check).
pub fn matches_pattern(pattern: &'static str, text: &str) -> Option<bool> {
    let same = |p: &&'static str| std::ptr::eq(*p, pattern) || *p == pattern;
    {
        let cache = PATTERNS.read().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, re)) = cache.iter().find(|(p, _)| same(p)) {
            return re.as_ref().map(|r| r.is_match(text));
        }
    }
    let compiled = regex::RegexBuilder::new(&ecma_to_rust(pattern))
        .size_limit(1 << 26)
        .build()
        .ok();
    let result = compiled.as_ref().map(|r| r.is_match(text));
    let mut cache = PATTERNS.write().unwrap_or_else(PoisonError::into_inner);
    if !cache.iter().any(|(p, _)| same(p)) {
        cache.push((pattern, compiled));
    }
    result
}

/// Rewrites the ECMA-262 constructs whose meaning differs in the `regex` crate: `\d`, `\w`
/// (ASCII in ECMA, Unicode in `regex`), a `[` inside a class (literal in ECMA, nesting in
/// `regex`), and `&&` / `~~` / `--` inside a class (literal in ECMA, set operations in `regex`).
fn ecma_to_rust(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = false;
    let mut previous = '\0';
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                match chars.next() {
                    Some('d') if in_class => out.push_str("0-9"),
                    Some('d') => out.push_str("[0-9]"),
                    Some('D') if !in_class => out.push_str("[^0-9]"),
                    Some('w') if in_class => out.push_str("0-9A-Za-z_"),
                    Some('w') => out.push_str("[0-9A-Za-z_]"),
                    Some('W') if !in_class => out.push_str("[^0-9A-Za-z_]"),
                    Some(other) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => out.push_str(r"\\"),
                }
                previous = '\0';
                continue;
            }
            '[' if in_class => out.push_str(r"\["),
            '[' => {
                in_class = true;
                out.push('[');
                // A leading `]` or `^]` is literal in neither; keep `^` as the negation.
                if let Some(next) = chars.clone().next()
                    && next == '^'
                {
                    out.push('^');
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '~' | '-' if in_class && previous == c => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
        previous = c;
    }
    out
}

/// A minimal valid event of a class: its required attributes (with those of the given
/// profiles, which it lists in `metadata.profiles`), filled with valid sample values and
/// recursively with minimal objects, one attribute of each `at_least_one` / `just_one`
/// constraint, the uids derived from the first `activity_id` value and the caption siblings of
/// the enumerated attributes it sets. `None` when the version has no such class.
///
/// The starting point of tests, fixtures and examples; the validator finds no errors in it.
pub fn minimal_event(schema: &SchemaVersion, class_name: &str, profiles: &[&str]) -> Option<Value> {
    let class = schema.class(class_name)?;
    let sampler = Sampler { schema, profiles };
    let mut map = sampler.object(class, 0);
    let activity = class
        .attribute("activity_id")
        .and_then(|a| a.enumeration)
        .and_then(|e| match e {
            EnumValues::Int(values) => pick(values).map(|(v, _)| *v),
            EnumValues::Str(_) => None,
        })
        .unwrap_or(0);
    let type_uid = i64::from(class.uid) * 100 + activity;
    let identity = [
        ("activity_id", activity),
        ("class_uid", i64::from(class.uid)),
        ("category_uid", i64::from(class.category_uid)),
        ("type_uid", type_uid),
    ];
    for (name, value) in identity {
        let Some(attr) = class.attribute(name) else {
            continue;
        };
        map.insert(name.to_string(), Value::from(value));
        if let (Some(sibling), Some(values)) = (attr.sibling, attr.enumeration) {
            match values.int_caption(value) {
                Some(caption) if class.attribute(sibling).is_some() => {
                    map.insert(sibling.to_string(), Value::from(caption));
                }
                _ => {
                    map.remove(sibling);
                }
            }
        }
    }
    if !profiles.is_empty()
        && let Some(Value::Object(metadata)) = map.get_mut("metadata")
    {
        metadata.insert(
            "profiles".to_string(),
            Value::Array(profiles.iter().map(|p| Value::from(*p)).collect()),
        );
    }
    Some(Value::Object(map))
}

/// A minimal valid object of an object type, built as in [`minimal_event`]; `None` when the
/// version has no such object.
pub fn minimal_object(
    schema: &SchemaVersion,
    object_name: &str,
    profiles: &[&str],
) -> Option<Value> {
    let def = schema.object(object_name)?;
    let sampler = Sampler { schema, profiles };
    Some(Value::Object(sampler.object(def, 0)))
}

/// How deep [`minimal_event`] builds required objects.
const SAMPLE_DEPTH: usize = 16;

struct Sampler<'a> {
    schema: &'a SchemaVersion,
    profiles: &'a [&'a str],
}

impl Sampler<'_> {
    fn active(&self, attr: &AttributeDef) -> bool {
        attr.profiles.is_empty() || attr.profiles.iter().any(|p| self.profiles.contains(p))
    }

    fn object(&self, item: &ItemDef, depth: usize) -> Map<String, Value> {
        let mut map = Map::new();
        for attr in item.attributes {
            if attr.requirement != Requirement::Required || !self.active(attr) {
                continue;
            }
            let value = self.attribute(attr, depth);
            if !attr.is_array
                && let (Some(sibling), Some(values)) = (attr.sibling, attr.enumeration)
                && item.attribute(sibling).is_some_and(|s| self.active(s))
            {
                let caption = match values {
                    EnumValues::Int(_) => value.as_i64().and_then(|i| values.int_caption(i)),
                    EnumValues::Str(_) => value.as_str().and_then(|s| values.str_caption(s)),
                };
                if let Some(caption) = caption {
                    map.insert(sibling.to_string(), Value::from(caption));
                }
            }
            map.insert(attr.name.to_string(), value);
        }
        for constraint in [item.at_least_one, item.just_one] {
            if constraint.is_empty() || constraint.iter().any(|p| present(&map, p)) {
                continue;
            }
            for path in constraint {
                let mut trial = map.clone();
                if self.fill(item, &mut trial, path, depth) {
                    map = trial;
                    break;
                }
            }
        }
        map
    }

    /// Sets the attribute at a dotted path, creating minimal objects on the way.
    fn fill(&self, item: &ItemDef, map: &mut Map<String, Value>, path: &str, depth: usize) -> bool {
        let (head, rest) = match path.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (path, None),
        };
        let Some(attr) = item.attribute(head) else {
            return false;
        };
        if !self.active(attr) {
            return false;
        }
        let Some(rest) = rest else {
            map.insert(head.to_string(), self.attribute(attr, depth));
            return true;
        };
        let Some(def) = attr.object.and_then(|o| self.schema.object(o)) else {
            return false;
        };
        if attr.is_array || depth >= SAMPLE_DEPTH {
            return false;
        }
        let entry = map
            .entry(head.to_string())
            .or_insert_with(|| Value::Object(self.object(def, depth + 1)));
        match entry {
            Value::Object(inner) => self.fill(def, inner, rest, depth + 1),
            _ => false,
        }
    }

    fn attribute(&self, attr: &AttributeDef, depth: usize) -> Value {
        let one = match attr.object {
            Some(object) => match self.schema.object(object) {
                Some(def) if !def.attributes.is_empty() && depth < SAMPLE_DEPTH => {
                    Value::Object(self.object(def, depth + 1))
                }
                _ => Value::Object(Map::new()),
            },
            None => self.scalar(attr),
        };
        if attr.is_array {
            Value::Array(vec![one])
        } else {
            one
        }
    }

    fn scalar(&self, attr: &AttributeDef) -> Value {
        match attr.enumeration {
            Some(EnumValues::Int(values)) => {
                if let Some((v, _)) = pick(values) {
                    return Value::from(*v);
                }
            }
            Some(EnumValues::Str(values)) => {
                if let Some((v, _)) = pick(values) {
                    return Value::from(*v);
                }
            }
            None => {}
        }
        let mut current = self.schema.data_type(attr.type_name);
        let mut step = 0;
        while let Some(t) = current
            && step < MAX_TYPE_CHAIN
        {
            if let Some(sample) = sample_of_type(t.name) {
                return sample;
            }
            if let Some((lo, _)) = t.range {
                return Value::from(lo);
            }
            current = t.base.and_then(|b| self.schema.data_type(b));
            step += 1;
        }
        Value::from("example")
    }
}

/// The first value of an enumeration that is not `Other`.
fn pick<'v, T>(values: &'v [(T, &'static str)]) -> Option<&'v (T, &'static str)> {
    values
        .iter()
        .find(|(_, caption)| *caption != "Other")
        .or(values.first())
}

/// A valid sample of a data type, for the types whose constraints a plain string or number
/// would not meet (and the primitives).
fn sample_of_type(name: &str) -> Option<Value> {
    Some(match name {
        "boolean_t" => Value::Bool(true),
        "integer_t" | "long_t" => Value::from(1),
        "float_t" => Value::from(1.5),
        "timestamp_t" => Value::from(1_700_000_000_000_i64),
        "port_t" => Value::from(443),
        "string_t" | "json_t" => Value::from("example"),
        "ip_t" => Value::from("192.0.2.10"),
        "subnet_t" => Value::from("192.0.2.0/24"),
        "mac_t" => Value::from("00:1a:2b:3c:4d:5e"),
        "email_t" => Value::from("user@example.com"),
        "hostname_t" => Value::from("host.example.com"),
        "url_t" => Value::from("https://example.com/"),
        "datetime_t" => Value::from("2023-11-14T22:13:20Z"),
        "uuid_t" => Value::from("123e4567-e89b-12d3-a456-426614174000"),
        "file_hash_t" => Value::from("9f86d081884c7d659a2feaa0c55ad015"),
        "file_name_t" => Value::from("example.txt"),
        "path_t" => Value::from("example/path"),
        "bytestring_t" => Value::from("ZXhhbXBsZQ=="),
        _ => return None,
    })
}

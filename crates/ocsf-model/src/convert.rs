//! Conversions of events between OCSF versions, generated from the two versions' schemas.
//!
//! Each generated pair module (`v1_1_0_to_v1_3_0`, `v1_3_0_to_v1_1_0`, `v1_3_0_to_v1_8_0`,
//! `v1_8_0_to_v1_1_0`, compiled when both versions' features are on) has one public function
//! per class that both versions define, matched by `class_uid` (a class OCSF renamed keeps its
//! uid), and implements [`IntoVersion`] for it, so code can be generic over the target type.
//! [`convert_value`] converts an event given as JSON, finding its class by `class_uid` and its
//! version in `metadata.version`.
//!
//! Nothing is silently dropped. A value the target version cannot hold (an attribute it does
//! not define, or a shape it cannot take: a string where it wants an object, an integer out of
//! range) is written to the target event's `unmapped` as JSON text under its dotted path
//! (`actor.user.groups[0].domain`) and listed in the [`ConversionReport`]. An enum value the
//! target does not define stays in place as the enum's `Unrecognized` value and is reported.
//! A class the target lacks is a [`ConvertError`] naming it (see ADR 0080 for why it is not
//! folded into a Base Event). `metadata.version` becomes the target version; captions
//! (`activity_name`, `class_name`, `type_name`, ...) that held the source schema's caption take
//! the target's.
//!
//! ```
//! # #[cfg(all(feature = "v1_1_0", feature = "v1_3_0"))] {
//! use ocsf_model::convert::{ConversionReport, IntoVersion};
//! use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
//! use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
//!
//! let mut product = Product::default();
//! product.name = Some("sshd".into());
//! let event = Authentication::new(
//!     AuthenticationActivityId::Logon,
//!     Metadata::new(product, "1.1.0".into()),
//!     SeverityId::Informational,
//!     1_700_000_000_000,
//!     User::default(),
//! );
//! let mut report = ConversionReport::default();
//! let newer: ocsf_model::v1_3_0::events::Authentication = event.clone().into_version(&mut report);
//! assert!(report.is_empty());
//! assert_eq!(newer.metadata.version.as_deref(), Some("1.3.0"));
//! let back: Authentication = newer.into_version(&mut report);
//! assert_eq!(back, event);
//! # }
//! ```

// With fewer than two versions compiled in there is no pair to convert between: the module
// stays (so `convert_value` can report that), and its helpers are unused.
#![cfg_attr(
    not(any(
        all(feature = "v1_1_0", feature = "v1_3_0"),
        all(feature = "v1_3_0", feature = "v1_8_0"),
        all(feature = "v1_1_0", feature = "v1_8_0")
    )),
    allow(dead_code, unused_imports)
)]

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::OcsfEnum;

#[path = "generated/convert/mod.rs"]
mod pairs;
pub use pairs::*;

/// Converts an event into its counterpart class of another OCSF version.
///
/// Implemented by the generated code for every (source class, target class) pair of the
/// conversions in [`PAIRS`].
pub trait IntoVersion<T> {
    /// Converts, adding what the target cannot hold to `report` (and to the event's
    /// `unmapped`).
    fn into_version(self, report: &mut ConversionReport) -> T;
}

/// Why a value is listed in a [`ConversionReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LossReason {
    /// The target version does not define the attribute; the value is in `unmapped`.
    Absent,
    /// The target version types the attribute so that the value does not fit (another shape,
    /// out of range, not a number); the value is in `unmapped`.
    TypeChanged,
    /// The target's enum does not define the value; it is kept as the enum's `Unrecognized`.
    EnumValueUndefined,
}

impl LossReason {
    /// Whether the value was moved to the event's `unmapped` (rather than kept in place).
    pub fn in_unmapped(self) -> bool {
        !matches!(self, LossReason::EnumValueUndefined)
    }

    /// A short name (`absent`, `type-changed`, `enum-value-undefined`).
    pub fn as_str(self) -> &'static str {
        match self {
            LossReason::Absent => "absent",
            LossReason::TypeChanged => "type-changed",
            LossReason::EnumValueUndefined => "enum-value-undefined",
        }
    }
}

impl std::fmt::Display for LossReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One value the target version could not hold as the source did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Loss {
    /// The attribute's dotted path in the event (`actor.user.risk_score`, `resources[1].tags`).
    pub path: String,
    /// Why.
    pub reason: LossReason,
    /// The key in the target event's `unmapped` holding the value (the path, unless the
    /// source's own `unmapped` already used that key), if it went there.
    pub unmapped_key: Option<String>,
}

/// What a conversion could not carry over in place, for one event or many.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversionReport {
    losses: Vec<Loss>,
}

impl ConversionReport {
    /// An empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether everything converted in place.
    pub fn is_empty(&self) -> bool {
        self.losses.is_empty()
    }

    /// The number of values listed.
    pub fn len(&self) -> usize {
        self.losses.len()
    }

    /// The values listed, in the order they were met.
    pub fn losses(&self) -> &[Loss] {
        &self.losses
    }

    /// How many values were listed for a reason.
    pub fn count(&self, reason: LossReason) -> usize {
        self.losses.iter().filter(|l| l.reason == reason).count()
    }

    /// Empties the report (keeping its allocation).
    pub fn clear(&mut self) {
        self.losses.clear();
    }
}

/// What went wrong converting an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConvertErrorKind {
    /// The target version has no class with the event's `class_uid`.
    ClassNotInTarget,
    /// The source version has no class with the event's `class_uid`, or it has none.
    UnknownClass,
    /// No conversion between the two versions is compiled in (or the source version is unknown).
    UnsupportedVersions,
    /// The JSON does not read as the source version's class.
    InvalidEvent,
}

/// The error of a conversion.
#[derive(Debug)]
pub struct ConvertError {
    kind: ConvertErrorKind,
    message: String,
    source: Option<serde_json::Error>,
}

impl ConvertError {
    /// What went wrong.
    pub fn kind(&self) -> ConvertErrorKind {
        self.kind
    }

    /// Whether trying again could succeed: never, a conversion is a pure function.
    pub fn is_retryable(&self) -> bool {
        false
    }

    #[doc(hidden)]
    pub fn class_not_in_target(name: &str, uid: i64, from: &str, to: &str) -> Self {
        ConvertError {
            kind: ConvertErrorKind::ClassNotInTarget,
            message: format!(
                "OCSF {to} has no class {uid} (`{name}` of OCSF {from}); its events cannot be converted"
            ),
            source: None,
        }
    }

    #[doc(hidden)]
    pub fn unknown_class(uid: i64, from: &str) -> Self {
        ConvertError {
            kind: ConvertErrorKind::UnknownClass,
            message: format!("OCSF {from} has no class {uid}"),
            source: None,
        }
    }

    fn unsupported(from: &str, to: &str) -> Self {
        ConvertError {
            kind: ConvertErrorKind::UnsupportedVersions,
            message: format!(
                "no conversion from OCSF {from} to {to} is compiled in (pairs: {})",
                PAIRS
                    .iter()
                    .map(|(a, b)| format!("{a}->{b}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            source: None,
        }
    }

    fn invalid(what: &str, e: serde_json::Error) -> Self {
        ConvertError {
            kind: ConvertErrorKind::InvalidEvent,
            message: what.to_string(),
            source: Some(e),
        }
    }
}

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConvertError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Converts an OCSF event given as JSON from version `from` to version `to`, finding its class
/// by `class_uid`. `from == to` returns the event unchanged. A pair without a generated
/// conversion goes through an intermediate version when both steps exist: 1.1.0 -> 1.8.0 through
/// 1.3.0 (no step loses anything), 1.8.0 -> 1.3.0 through 1.1.0 (what 1.1.0 lacks is reported
/// and stays in `unmapped`, as in a direct down-conversion).
///
/// ```
/// # #[cfg(all(feature = "v1_1_0", feature = "v1_3_0"))] {
/// use ocsf_model::convert::{ConversionReport, LossReason, convert_value};
/// let event = serde_json::json!({
///     "class_uid": 3002, "category_uid": 3, "activity_id": 1, "type_uid": 300201,
///     "severity_id": 1, "time": 1, "metadata": {"version": "1.3.0", "product": {"name": "p"}},
///     "user": {"name": "bob", "risk_score": 80},
/// });
/// let mut report = ConversionReport::default();
/// let old = convert_value(event, "1.3.0", "1.1.0", &mut report)?;
/// assert_eq!(old["unmapped"]["user.risk_score"], "80");
/// assert_eq!(report.losses()[0].path, "user.risk_score");
/// assert_eq!(report.losses()[0].reason, LossReason::Absent);
/// # }
/// # Ok::<(), ocsf_model::convert::ConvertError>(())
/// ```
pub fn convert_value(
    value: Value,
    from: &str,
    to: &str,
    report: &mut ConversionReport,
) -> Result<Value, ConvertError> {
    if from == to {
        return Ok(value);
    }
    if let Some(step) = pair(from, to) {
        return step(value, report);
    }
    // Through an intermediate version, when both steps exist.
    for (a, b) in PAIRS {
        if *a == from
            && let (Some(first), Some(second)) = (pair(from, b), pair(b, to))
        {
            let middle = first(value, report)?;
            return second(middle, report);
        }
    }
    Err(ConvertError::unsupported(from, to))
}

type Step = fn(Value, &mut ConversionReport) -> Result<Value, ConvertError>;

fn pair(from: &str, to: &str) -> Option<Step> {
    match (from, to) {
        #[cfg(all(feature = "v1_1_0", feature = "v1_3_0"))]
        ("1.1.0", "1.3.0") => Some(v1_1_0_to_v1_3_0::convert_value),
        #[cfg(all(feature = "v1_1_0", feature = "v1_3_0"))]
        ("1.3.0", "1.1.0") => Some(v1_3_0_to_v1_1_0::convert_value),
        #[cfg(all(feature = "v1_3_0", feature = "v1_8_0"))]
        ("1.3.0", "1.8.0") => Some(v1_3_0_to_v1_8_0::convert_value),
        #[cfg(all(feature = "v1_1_0", feature = "v1_8_0"))]
        ("1.8.0", "1.1.0") => Some(v1_8_0_to_v1_1_0::convert_value),
        _ => None,
    }
}

/// The `class_uid` of a JSON event. Used by generated code.
#[doc(hidden)]
pub fn class_uid_of(value: &Value) -> Result<i64, ConvertError> {
    value
        .get("class_uid")
        .and_then(Value::as_i64)
        .ok_or_else(|| ConvertError {
            kind: ConvertErrorKind::UnknownClass,
            message: "the event has no integer `class_uid`".into(),
            source: None,
        })
}

/// Reads JSON as `S`, converts to `D`, writes JSON. Used by generated code.
#[doc(hidden)]
pub fn via<S, D>(value: Value, report: &mut ConversionReport) -> Result<Value, ConvertError>
where
    S: IntoVersion<D> + DeserializeOwned,
    D: Serialize,
{
    let source: S = serde_json::from_value(value)
        .map_err(|e| ConvertError::invalid("the event does not read as its class", e))?;
    serde_json::to_value(source.into_version(report))
        .map_err(|e| ConvertError::invalid("the converted event does not serialize", e))
}

/// The caption sibling in the target: the target's caption where the source held the source
/// schema's caption of the value; otherwise the text as it was (a producer's own words).
/// Between a `String` and a [`Caption`](crate::Caption) either way: a derived caption stays
/// borrowed.
#[doc(hidden)]
pub fn recaption<S, D, T>(text: Option<S>, from: Option<&str>, to: Option<T>) -> Option<D>
where
    S: AsRef<str> + Into<D>,
    D: From<crate::Caption>,
    T: Into<crate::Caption>,
{
    match (text, from, to) {
        (Some(t), Some(f), Some(to)) if t.as_ref() == f => {
            let to: crate::Caption = to.into();
            if f == to {
                Some(t.into())
            } else {
                Some(D::from(to))
            }
        }
        (text, _, _) => text.map(Into::into),
    }
}

/// [`recaption`] element-wise, for enum arrays and their caption arrays.
#[doc(hidden)]
pub fn recaption_list(
    text: Option<Vec<String>>,
    from: Option<Vec<Option<&'static str>>>,
    to: Option<Vec<Option<&'static str>>>,
) -> Option<Vec<String>> {
    let (from, to) = (from.unwrap_or_default(), to.unwrap_or_default());
    text.map(|list| {
        list.into_iter()
            .enumerate()
            .map(|(i, t)| {
                recaption::<String, String, &'static str>(
                    Some(t.clone()),
                    from.get(i).copied().flatten(),
                    to.get(i).copied().flatten(),
                )
                .unwrap_or(t)
            })
            .collect()
    })
}

enum Seg {
    Name(&'static str),
    Index(usize),
}

/// The state of one event's conversion: where in the event it is, what went to `unmapped`.
/// Used by generated code.
#[doc(hidden)]
pub struct Converter<'r> {
    report: &'r mut ConversionReport,
    at: Vec<Seg>,
    unmapped: Vec<(String, String, usize)>,
}

impl<'r> Converter<'r> {
    #[doc(hidden)]
    pub fn new(report: &'r mut ConversionReport) -> Self {
        Converter {
            report,
            at: Vec::new(),
            unmapped: Vec::new(),
        }
    }

    fn path(&self, leaf: &str) -> String {
        let mut p = String::new();
        for s in &self.at {
            match s {
                Seg::Name(n) => {
                    if !p.is_empty() {
                        p.push('.');
                    }
                    p.push_str(n);
                }
                Seg::Index(i) => {
                    p.push('[');
                    p.push_str(&i.to_string());
                    p.push(']');
                }
            }
        }
        if !p.is_empty() {
            p.push('.');
        }
        p.push_str(leaf);
        p
    }

    fn keep<T: Serialize + ?Sized>(&mut self, name: &str, value: &T, reason: LossReason) {
        let path = self.path(name);
        // Serializing the generated types cannot fail (string keys, no custom serializers
        // that error); `null` keeps the entry should it ever.
        let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
        self.unmapped
            .push((path.clone(), text, self.report.losses.len()));
        self.report.losses.push(Loss {
            path,
            reason,
            unmapped_key: None,
        });
    }

    /// A value of an attribute the target does not define.
    pub fn absent<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) {
        self.keep(name, value, LossReason::Absent);
    }

    /// A value whose shape the target's attribute cannot take.
    pub fn unfit<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) {
        self.keep(name, value, LossReason::TypeChanged);
    }

    /// A value converted by `f`, or kept in `unmapped` when `f` finds it does not fit.
    pub fn fit<S: Serialize, D>(
        &mut self,
        name: &str,
        value: S,
        f: impl FnOnce(&S) -> Option<D>,
    ) -> Option<D> {
        let out = f(&value);
        if out.is_none() {
            self.unfit(name, &value);
        }
        out
    }

    fn undefined(&mut self, name: &str) {
        let path = self.path(name);
        self.report.losses.push(Loss {
            path,
            reason: LossReason::EnumValueUndefined,
            unmapped_key: None,
        });
    }

    /// An integer enum value re-read by the target's enum (reported when the target does not
    /// define a value the source did).
    pub fn int_enum<S: OcsfEnum, D: OcsfEnum>(&mut self, name: &str, value: S) -> D {
        let out = D::from_id(value.id());
        if value.is_recognized() && !out.is_recognized() {
            self.undefined(name);
        }
        out
    }

    /// [`Self::int_enum`] for an array.
    pub fn int_enums<S: OcsfEnum, D: OcsfEnum>(
        &mut self,
        name: &'static str,
        values: Vec<S>,
    ) -> Vec<D> {
        let lost = values
            .iter()
            .any(|v| v.is_recognized() && !D::from_id(v.id()).is_recognized());
        if lost {
            self.undefined(name);
        }
        values.into_iter().map(|v| D::from_id(v.id())).collect()
    }

    /// A plain integer read as the target's enum (reported when the enum does not define it).
    pub fn enum_of<D: OcsfEnum>(&mut self, name: &str, id: i64) -> D {
        let out = D::from_id(id);
        if !out.is_recognized() {
            self.undefined(name);
        }
        out
    }

    /// A string-keyed enum value re-read by the target's enum.
    pub fn str_enum<D>(
        &mut self,
        name: &str,
        value: &str,
        recognized: bool,
        make: impl FnOnce(&str) -> D,
        known: impl FnOnce(&D) -> bool,
    ) -> D {
        let out = make(value);
        if recognized && !known(&out) {
            self.undefined(name);
        }
        out
    }

    /// A nested object converted by `f`, with the path followed.
    pub fn one<S, D>(
        &mut self,
        name: &'static str,
        value: S,
        f: impl FnOnce(S, &mut Self) -> D,
    ) -> D {
        self.at.push(Seg::Name(name));
        let out = f(value, self);
        self.at.pop();
        out
    }

    /// An array of objects converted by `f`, with the path and index followed.
    pub fn list<S, D>(
        &mut self,
        name: &'static str,
        values: Vec<S>,
        f: impl Fn(S, &mut Self) -> D,
    ) -> Vec<D> {
        self.at.push(Seg::Name(name));
        let out = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                self.at.push(Seg::Index(i));
                let d = f(v, self);
                self.at.pop();
                d
            })
            .collect();
        self.at.pop();
        out
    }

    /// The target's `unmapped`: the source's, plus every value kept on the way (under its
    /// path; under `path#2`, `path#3`, ... where the source's own `unmapped` has the key).
    pub fn finish(&mut self, source: Option<Map<String, Value>>) -> Option<Map<String, Value>> {
        if self.unmapped.is_empty() {
            return source;
        }
        let mut out = source.unwrap_or_default();
        for (path, text, loss) in self.unmapped.drain(..) {
            let mut key = path.clone();
            let mut n = 2;
            while out.contains_key(&key) {
                key = format!("{path}#{n}");
                n += 1;
            }
            if let Some(l) = self.report.losses.get_mut(loss) {
                l.unmapped_key = Some(key.clone());
            }
            out.insert(key, Value::String(text));
        }
        Some(out)
    }
}

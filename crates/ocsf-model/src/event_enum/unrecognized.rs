//! [`UnrecognizedEvent`]: an event whose `class_uid` names no class of the version it is read
//! as, kept as JSON.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::DynamicEvent;

/// An event whose `class_uid` is not a class of the OCSF version it was read as (an extension's
/// class, a newer version's class, a producer's own class), kept whole as its JSON attributes.
///
/// It is the payload of every version's `Event::Unrecognized`: reading such an event loses
/// nothing, and writing it back gives the attributes read. Its `class_uid` is always present and
/// an integer, so that a router can always name the class it cannot type.
///
/// ```
/// use ocsf_model::UnrecognizedEvent;
///
/// let event: UnrecognizedEvent =
///     serde_json::from_str(r#"{"class_uid": 999001, "time": 1700000000000, "x": [1, 2]}"#)?;
/// assert_eq!(event.class_uid(), 999001);
/// assert_eq!(event.time(), Some(1_700_000_000_000));
/// assert_eq!(event.fields()["x"], serde_json::json!([1, 2]));
/// assert_eq!(
///     serde_json::to_string(&event)?,
///     r#"{"class_uid":999001,"time":1700000000000,"x":[1,2]}"#
/// );
///
/// // Without an integer `class_uid` it is not an OCSF event.
/// assert!(serde_json::from_str::<UnrecognizedEvent>(r#"{"time": 1}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct UnrecognizedEvent {
    class_uid: i32,
    fields: Map<String, Value>,
}

/// Why a JSON object is not an OCSF event: it has no `class_uid`, or one that is not an
/// integer in `i32` range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnEvent {
    found: Option<String>,
}

impl NotAnEvent {
    pub(crate) fn new(found: Option<&Value>) -> Self {
        Self {
            found: found.map(Value::to_string),
        }
    }
}

impl std::fmt::Display for NotAnEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.found {
            None => f.write_str("an OCSF event needs a `class_uid`; this object has none"),
            Some(v) => write!(
                f,
                "an OCSF event's `class_uid` is an integer (i32), found `{}`",
                v.chars().take(40).collect::<String>()
            ),
        }
    }
}

impl std::error::Error for NotAnEvent {}

/// `class_uid` as an `i32`, if it is an integer in range.
pub(crate) fn class_uid_of(value: &Value) -> Option<i32> {
    value.as_i64().and_then(|v| i32::try_from(v).ok())
}

impl UnrecognizedEvent {
    /// The event's attributes as JSON, if `class_uid` is an integer in `i32` range.
    ///
    /// ```
    /// use ocsf_model::UnrecognizedEvent;
    /// use serde_json::json;
    ///
    /// let json = json!({"class_uid": 999001, "activity_id": 1});
    /// let serde_json::Value::Object(fields) = json else { unreachable!() };
    /// let event = UnrecognizedEvent::from_fields(fields.clone()).expect("has a class_uid");
    /// assert_eq!(event.into_fields(), fields);
    /// ```
    pub fn from_fields(fields: Map<String, Value>) -> Result<Self, NotAnEvent> {
        match fields.get("class_uid").map(|v| (class_uid_of(v), v)) {
            Some((Some(class_uid), _)) => Ok(Self { class_uid, fields }),
            Some((None, v)) => Err(NotAnEvent::new(Some(v))),
            None => Err(NotAnEvent::new(None)),
        }
    }

    pub(crate) fn from_parts(class_uid: i32, fields: Map<String, Value>) -> Self {
        Self { class_uid, fields }
    }

    /// The event's `class_uid`.
    pub fn class_uid(&self) -> i32 {
        self.class_uid
    }

    /// The event's `category_uid`, if present and an integer in `i32` range.
    pub fn category_uid(&self) -> Option<i32> {
        self.fields.get("category_uid").and_then(class_uid_of)
    }

    /// The event's `class_name`, if present and a string.
    pub fn class_name(&self) -> Option<&str> {
        self.fields.get("class_name").and_then(Value::as_str)
    }

    /// The event's `time` (epoch milliseconds), if present and an integer.
    pub fn time(&self) -> Option<i64> {
        self.fields.get("time").and_then(Value::as_i64)
    }

    /// The event's `type_uid`, if present and an integer.
    pub fn type_uid(&self) -> Option<i64> {
        self.fields.get("type_uid").and_then(Value::as_i64)
    }

    /// A string attribute (`raw_data`, `message`), if present and a string.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }

    /// Every attribute as read, `class_uid` included.
    pub fn fields(&self) -> &Map<String, Value> {
        &self.fields
    }

    /// Every attribute as read, `class_uid` included.
    pub fn into_fields(self) -> Map<String, Value> {
        self.fields
    }
}

impl From<UnrecognizedEvent> for DynamicEvent {
    fn from(event: UnrecognizedEvent) -> Self {
        DynamicEvent(event.fields)
    }
}

impl TryFrom<DynamicEvent> for UnrecognizedEvent {
    type Error = NotAnEvent;

    fn try_from(event: DynamicEvent) -> Result<Self, NotAnEvent> {
        Self::from_fields(event.0)
    }
}

impl Serialize for UnrecognizedEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.fields.serialize(s)
    }
}

impl<'de> Deserialize<'de> for UnrecognizedEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let fields = Map::deserialize(d)?;
        Self::from_fields(fields).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for UnrecognizedEvent {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "UnrecognizedEvent".into()
    }

    /// An object with an integer `class_uid`; any other attribute is allowed.
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "required": ["class_uid"],
            "properties": {"class_uid": {"type": "integer"}},
        })
    }
}

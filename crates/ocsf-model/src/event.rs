//! What writers and readers need to know about an event class, generically.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::validate::{Report, ValidateOptions};

/// An OCSF event class of one schema version.
///
/// Implemented by every generated event struct, so writers and readers can be generic over
/// classes: `fn write<E: OcsfEvent>(events: &[E])`.
///
/// With the `arrow` feature every event class is also [`Columnar`](crate::columnar::Columnar),
/// so code generic over `OcsfEvent` can write and read Parquet.
pub trait OcsfEvent:
    Serialize
    + DeserializeOwned
    + Clone
    + PartialEq
    + std::fmt::Debug
    + Send
    + Sync
    + MaybeColumnar
    + 'static
{
    /// The version's `metadata` object type.
    type Metadata;
    /// The version's `Event` enum (such as [`v1_1_0::Event`](crate::v1_1_0::Event) with the
    /// `v1_1_0` feature), which holds an event of this class as one of its variants: code
    /// generic over classes can move events between the typed and the enum form.
    ///
    /// ```
    /// # #[cfg(feature = "v1_1_0")] {
    /// use ocsf_model::OcsfEvent;
    /// use ocsf_model::v1_1_0::enums::SeverityId;
    /// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, ProcessActivity};
    /// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
    ///
    /// fn take<E: OcsfEvent>(event: E::Event) -> Option<E> {
    ///     E::from_event(event).ok()
    /// }
    /// let metadata = Metadata::new(Product::default(), "1.1.0".into());
    /// let logon = Authentication::new(
    ///     AuthenticationActivityId::Logon,
    ///     metadata,
    ///     SeverityId::Informational,
    ///     1_700_000_000_000,
    ///     User::default(),
    /// );
    /// let event = ocsf_model::v1_1_0::Event::from(logon);
    /// assert!(take::<ProcessActivity>(event.clone()).is_none());
    /// assert!(take::<Authentication>(event).is_some());
    /// # }
    /// ```
    type Event: From<Self> + Send + Sync + std::fmt::Debug + 'static;

    /// Takes an event of this class out of the version's [`Event`](Self::Event) enum; gives
    /// the event back unchanged when it is of another class.
    fn from_event(event: Self::Event) -> Result<Self, Self::Event>;

    /// The class's `class_uid`.
    const CLASS_UID: i32;
    /// The class's name in the schema (`authentication`; scoped for extensions: `win/...`).
    const CLASS_NAME: &'static str;
    /// The class's caption (`Authentication`), which `class_name` carries in data.
    const CLASS_CAPTION: &'static str;
    /// The class's `category_uid`.
    const CATEGORY_UID: i32;
    /// The category's caption, which `category_name` carries in data.
    const CATEGORY_CAPTION: &'static str;
    /// The OCSF version of the generated type (`1.1.0`).
    const OCSF_VERSION: &'static str;

    /// The schema facts of the class's OCSF version.
    fn schema() -> &'static crate::schema::SchemaVersion;

    /// The event time, epoch milliseconds UTC.
    fn time(&self) -> i64;
    /// The event's metadata.
    fn metadata(&self) -> &Self::Metadata;
    /// The event's `type_uid` (`class_uid * 100 + activity_id`).
    fn type_uid(&self) -> i64;

    /// Validates the event against its class in [`Self::schema`], with the default options:
    /// serializes it to JSON and runs the [validator](crate::validate) on that, so attributes
    /// kept in `unknown`, captions set by hand and values outside the enums are all checked.
    fn validate(&self) -> Report {
        self.validate_with(&ValidateOptions::new())
    }

    /// [`Self::validate`] with options.
    fn validate_with(&self, options: &ValidateOptions) -> Report {
        let schema = Self::schema();
        match (serde_json::to_value(self), schema.class(Self::CLASS_NAME)) {
            (Ok(value), Some(class)) => {
                crate::validate::validate_as_class(&value, schema, class, options)
            }
            (Ok(value), None) => crate::validate::validate_value_with(&value, schema, options),
            (Err(e), _) => crate::validate::serialize_failed(&e),
        }
    }
}

/// An event of any class and version, kept as JSON: for classes or versions that are not
/// compiled in, or data that does not fit a typed class.
#[derive(Debug, Clone, PartialEq, Default, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct DynamicEvent(pub serde_json::Map<String, serde_json::Value>);

impl DynamicEvent {
    /// The event's `class_uid`, if present and an integer.
    pub fn class_uid(&self) -> Option<i64> {
        self.0.get("class_uid").and_then(serde_json::Value::as_i64)
    }

    /// The event's `time` (epoch milliseconds), if present and an integer.
    pub fn time(&self) -> Option<i64> {
        self.0.get("time").and_then(serde_json::Value::as_i64)
    }

    /// The event's `metadata.version`, if present.
    pub fn version(&self) -> Option<&str> {
        self.0.get("metadata")?.get("version")?.as_str()
    }

    /// An attribute by dotted path (`src_endpoint.ip`).
    pub fn get(&self, path: &str) -> Option<&serde_json::Value> {
        let mut parts = path.split('.');
        let mut current = self.0.get(parts.next()?)?;
        for p in parts {
            current = current.get(p)?;
        }
        Some(current)
    }

    /// Validates the event against a schema version, finding its class by `class_uid`, with the
    /// default options (see [`crate::validate`]).
    pub fn validate(&self, schema: &crate::schema::SchemaVersion) -> Report {
        crate::validate::validate_map(&self.0, schema, &ValidateOptions::new())
    }

    /// [`Self::validate`] with options.
    pub fn validate_with(
        &self,
        schema: &crate::schema::SchemaVersion,
        options: &ValidateOptions,
    ) -> Report {
        crate::validate::validate_map(&self.0, schema, options)
    }

    /// Converts into a typed event, failing if it does not fit the class.
    pub fn to_typed<E: OcsfEvent>(&self) -> Result<E, serde_json::Error> {
        E::deserialize(serde_json::Value::Object(self.0.clone()))
    }
}

/// [`Columnar`](crate::columnar::Columnar) when the `arrow` feature is on; nothing otherwise.
#[cfg(feature = "arrow")]
pub trait MaybeColumnar: crate::columnar::Columnar {}
#[cfg(feature = "arrow")]
impl<T: crate::columnar::Columnar> MaybeColumnar for T {}

/// [`Columnar`](crate::columnar::Columnar) when the `arrow` feature is on; nothing otherwise.
#[cfg(not(feature = "arrow"))]
pub trait MaybeColumnar {}
#[cfg(not(feature = "arrow"))]
impl<T> MaybeColumnar for T {}

/// Visits event class types: each version module's `visit_classes` calls [`ClassVisitor::visit`]
/// once per class, so code can be generic over every class of a version (registries, tests).
pub trait ClassVisitor {
    /// Called with one class type.
    fn visit<E: OcsfEvent>(&mut self);
}

/// The `type_name` of an event: `"<class caption>: <activity caption>"`,
/// built without the formatting machinery (the generated `set_activity_id`
/// calls it for every event a mapper builds).
#[cfg_attr(
    not(any(
        feature = "v1_0_0_rc2",
        feature = "v1_1_0",
        feature = "v1_3_0",
        feature = "v1_8_0"
    )),
    allow(dead_code)
)]
pub(crate) fn type_name(class: &str, activity: &str) -> String {
    let mut name = String::with_capacity(class.len() + 2 + activity.len());
    name.push_str(class);
    name.push_str(": ");
    name.push_str(activity);
    name
}

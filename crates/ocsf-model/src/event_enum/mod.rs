//! The runtime of the generated `Event` enums (one per version: `v1_1_0::Event`, ...): the
//! macro that expands each version's list of classes, the [`EventVisitor`] a router uses to run
//! generic code per class, and [`UnrecognizedEvent`] for classes a version does not define.

#[doc(hidden)]
// Used by the generated `Event` enums only: unused when no version feature is on.
#[cfg_attr(
    not(any(
        feature = "v1_0_0_rc2",
        feature = "v1_1_0",
        feature = "v1_3_0",
        feature = "v1_8_0"
    )),
    allow(dead_code)
)]
pub mod de;
mod unrecognized;

pub use unrecognized::{NotAnEvent, UnrecognizedEvent};

use crate::OcsfEvent;

/// Generic code run on the class inside an `Event`: [`visit`](EventVisitor::visit) is called
/// with the typed event, so a router can do per-class work (open one typed writer per class)
/// without a `match` of one arm per class.
///
/// ```
/// # #[cfg(feature = "v1_1_0")] {
/// use ocsf_model::{EventVisitor, OcsfEvent, UnrecognizedEvent};
/// use ocsf_model::v1_1_0::Event;
///
/// /// Counts events per class name, as a router opening one writer per class would.
/// #[derive(Default)]
/// struct PerClass(std::collections::BTreeMap<&'static str, usize>);
///
/// impl EventVisitor for PerClass {
///     type Output = ();
///     fn visit<E: OcsfEvent>(&mut self, _event: &E) {
///         *self.0.entry(E::CLASS_NAME).or_default() += 1;
///     }
///     fn visit_unrecognized(&mut self, _event: &UnrecognizedEvent) {
///         *self.0.entry("unrecognized").or_default() += 1;
///     }
/// }
///
/// let event: Event = serde_json::from_str(r#"{"class_uid": 999001, "time": 1}"#)?;
/// let mut counts = PerClass::default();
/// event.visit(&mut counts);
/// assert_eq!(counts.0["unrecognized"], 1);
/// # }
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait EventVisitor {
    /// What a visit returns.
    type Output;
    /// Called with the event when its class is one of the version's classes.
    fn visit<E: OcsfEvent>(&mut self, event: &E) -> Self::Output;
    /// Called with the event when its class is not one of the version's classes.
    fn visit_unrecognized(&mut self, event: &UnrecognizedEvent) -> Self::Output;
}

/// What every version's `Event` enum (`v1_1_0::Event`, ...) offers to code generic over
/// versions: the class of an event and the list of the version's classes. A router such as
/// `securitylake_source::sink::LakeSink` is generic over it and opens one typed writer per
/// class it sees.
///
/// ```
/// # #[cfg(feature = "v1_1_0")] {
/// use ocsf_model::{ClassVisitor, OcsfEvent, OcsfEventEnum};
/// use ocsf_model::v1_1_0::Event;
///
/// /// Collects the class_uids of a version.
/// struct Uids(Vec<i32>);
/// impl ClassVisitor for Uids {
///     fn visit<E: OcsfEvent>(&mut self) {
///         self.0.push(E::CLASS_UID);
///     }
/// }
///
/// fn classes<Ev: OcsfEventEnum>() -> Vec<i32> {
///     let mut uids = Uids(Vec::new());
///     Ev::visit_classes(&mut uids);
///     uids.0
/// }
/// let uids = classes::<Event>();
/// assert_eq!(uids.first(), Some(&0)); // Base Event
/// assert!(uids.contains(&3002)); // Authentication
/// assert_eq!(<Event as OcsfEventEnum>::OCSF_VERSION, "1.1.0");
/// # }
/// ```
pub trait OcsfEventEnum:
    serde::Serialize + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// The OCSF version of the enum (`1.1.0`).
    const OCSF_VERSION: &'static str;
    /// The event's `class_uid`.
    fn class_uid(&self) -> i32;
    /// The class's name in the schema; `None` for a class the version does not define.
    fn class_name(&self) -> Option<&'static str>;
    /// The event's `time`, epoch milliseconds UTC, when it has one.
    fn time(&self) -> Option<i64>;
    /// Calls `visitor.visit::<E>()` for every event class of the version, in `class_uid`
    /// order (as the version module's `visit_classes`).
    fn visit_classes<V: crate::ClassVisitor>(visitor: &mut V);
    /// The event as class `E`, by reference; `None` when it is of another class (each
    /// version's `Event::as_class`).
    fn as_class<E: crate::OcsfEvent>(&self) -> Option<&E>;
}

/// Defines a version's `Event` enum from its list of classes. Used by generated code
/// (`generated/<version>/event.rs`).
#[doc(hidden)]
#[macro_export]
macro_rules! ocsf_event_enum {
    (
        version: $version:literal,
        module: $m:ident,
        classes: { $( $(#[$vmeta:meta])* $variant:ident = $uid:literal, )* }
    ) => {
        #[doc = concat!(
            "An event of any class of OCSF ", $version, ": one variant per event class, each ",
            "boxed (the enum is two words), and [`Unrecognized`](Event::Unrecognized) for a `class_uid` this version ",
            "does not define.\n\n",
            "- Serializes as the class's own JSON (no tag: `class_uid` is in the event).\n",
            "- Deserializes any class's JSON by its `class_uid`: a class of this version is read ",
            "as its typed struct (an error names the class when the JSON does not fit it), any ",
            "other `class_uid` as [`UnrecognizedEvent`](crate::UnrecognizedEvent) with every ",
            "attribute kept; an object without an integer `class_uid` is an error. The ",
            "attributes before `class_uid` are buffered, the rest is read straight into the ",
            "class.\n",
            "- `From<Class>` and `TryFrom<Event>` convert to and from each class; ",
            "[`visit`](Event::visit) runs generic code per class.\n\n",
            "```\n",
            "use ocsf_model::", stringify!($m), "::Event;\n",
            "use ocsf_model::", stringify!($m), "::events::BaseEvent;\n\n",
            "let json = r#\"{\"activity_id\": 0, \"category_uid\": 0, \"class_uid\": 0, ",
            "\"metadata\": {\"product\": {\"name\": \"p\", \"vendor_name\": \"v\"}, ",
            "\"version\": \"", $version, "\"}, \"severity_id\": 1, \"time\": 1700000000000, ",
            "\"type_uid\": 0}\"#;\n",
            "let event: Event = serde_json::from_str(json)?;\n",
            "assert_eq!(event.class_uid(), 0);\n",
            "assert_eq!(event.class_caption(), Some(\"Base Event\"));\n",
            "assert_eq!(event.time(), Some(1_700_000_000_000));\n",
            "let base = BaseEvent::try_from(event.clone()).expect(\"a Base Event\");\n",
            "assert_eq!(Event::from(base), event);\n",
            "assert_eq!(serde_json::to_value(&event)?, serde_json::from_str::<serde_json::Value>(json)?);\n\n",
            "// A class this version does not define keeps every attribute.\n",
            "let other: Event = serde_json::from_str(r#\"{\"class_uid\": 999001, \"x\": 1}\"#)?;\n",
            "assert!(matches!(&other, Event::Unrecognized(u) if u.fields()[\"x\"] == 1));\n",
            "assert_eq!(serde_json::to_string(&other)?, r#\"{\"class_uid\":999001,\"x\":1}\"#);\n\n",
            "// Without a class_uid it is not an event.\n",
            "let err = serde_json::from_str::<Event>(r#\"{\"time\": 1}\"#).unwrap_err();\n",
            "assert!(err.to_string().contains(\"class_uid\"));\n",
            "# Ok::<(), serde_json::Error>(())\n",
            "```"
        )]
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            $( $(#[$vmeta])* $variant(::std::boxed::Box<$crate::$m::events::$variant>), )*
            /// A class this version does not define, kept as its JSON attributes.
            Unrecognized(::std::boxed::Box<$crate::UnrecognizedEvent>),
        }

        /// Binds the typed event of every class variant to `$e` in `$body`, and the
        /// `UnrecognizedEvent` to `$u` in `$other`.
        macro_rules! each {
            ($self:expr, $e:ident => $body:expr, $u:ident => $other:expr) => {
                match $self {
                    $( Event::$variant($e) => $body, )*
                    Event::Unrecognized($u) => $other,
                }
            };
        }

        impl Event {
            /// The event's `class_uid`.
            pub fn class_uid(&self) -> i32 {
                each!(self, e => e.class_uid(), u => u.class_uid())
            }

            /// The class's caption (`Authentication`); `None` for an unrecognized class.
            pub fn class_caption(&self) -> Option<&'static str> {
                fn caption<E: $crate::OcsfEvent>(_: &E) -> &'static str {
                    E::CLASS_CAPTION
                }
                each!(self, e => Some(caption(&**e)), _u => None)
            }

            /// The class's name in the schema (`authentication`; scoped for extension classes:
            /// `win/registry_key_activity`); `None` for an unrecognized class.
            pub fn class_name(&self) -> Option<&'static str> {
                fn name<E: $crate::OcsfEvent>(_: &E) -> &'static str {
                    E::CLASS_NAME
                }
                each!(self, e => Some(name(&**e)), _u => None)
            }

            /// The event's `category_uid` (the class's, for a typed event); for an
            /// unrecognized class, the one it carries, if an integer.
            pub fn category_uid(&self) -> Option<i32> {
                each!(self, e => Some(e.category_uid()), u => u.category_uid())
            }

            /// The event's `time`, epoch milliseconds UTC; for an unrecognized class, the one
            /// it carries, if an integer.
            pub fn time(&self) -> Option<i64> {
                each!(self, e => Some(e.time), u => u.time())
            }

            /// The event's `metadata`; `None` for an unrecognized class (its metadata is in
            /// [`UnrecognizedEvent::fields`](crate::UnrecognizedEvent::fields)).
            pub fn metadata(&self) -> Option<&$crate::$m::objects::Metadata> {
                each!(self, e => Some(&*e.metadata), _u => None)
            }

            /// The event's `type_uid`; for an unrecognized class, the one it carries, if an
            /// integer.
            pub fn type_uid(&self) -> Option<i64> {
                each!(self, e => Some($crate::OcsfEvent::type_uid(&**e)), u => u.type_uid())
            }

            /// The event's `severity_id`; `None` for an unrecognized class.
            pub fn severity_id(&self) -> Option<$crate::$m::enums::SeverityId> {
                each!(self, e => Some(e.severity_id), _u => None)
            }

            /// The event's `message`.
            pub fn message(&self) -> Option<&str> {
                each!(self, e => e.message.as_deref(), u => u.str("message"))
            }

            /// The event's `raw_data`.
            pub fn raw_data(&self) -> Option<&str> {
                each!(self, e => e.raw_data.as_deref(), u => u.str("raw_data"))
            }

            /// The event's `unmapped` object.
            pub fn unmapped(&self) -> Option<&::serde_json::Map<String, ::serde_json::Value>> {
                each!(
                    self,
                    e => e.unmapped.as_ref(),
                    u => u.fields().get("unmapped").and_then(::serde_json::Value::as_object)
                )
            }

            /// The event's `observables`; `None` for an unrecognized class.
            pub fn observables(&self) -> Option<&[$crate::$m::objects::Observable]> {
                each!(self, e => e.observables.as_deref(), _u => None)
            }

            /// Whether the class is not one of this version's.
            pub fn is_unrecognized(&self) -> bool {
                matches!(self, Event::Unrecognized(_))
            }

            /// Runs `visitor` on the typed event (see [`EventVisitor`](crate::EventVisitor)).
            pub fn visit<V: $crate::EventVisitor>(&self, visitor: &mut V) -> V::Output {
                each!(self, e => visitor.visit(&**e), u => visitor.visit_unrecognized(u))
            }

            #[doc = concat!(
                "The event as class `E`, by reference (no copy, no conversion); `None` when ",
                "it is of another class, or of a class of another version. The by-reference ",
                "twin of `E::try_from(event)`, for code generic over classes that reads ",
                "events it does not own (a writer of one class among a mapper's output).\n\n",
                "```\n",
                "use ocsf_model::", stringify!($m), "::Event;\n",
                "use ocsf_model::", stringify!($m), "::events::{Authentication, BaseEvent};\n\n",
                "let json = r#\"{\"activity_id\": 0, \"category_uid\": 0, \"class_uid\": 0, ",
                "\"metadata\": {\"product\": {\"name\": \"p\", \"vendor_name\": \"v\"}, ",
                "\"version\": \"", $version, "\"}, \"severity_id\": 1, \"time\": 1700000000000, ",
                "\"type_uid\": 0}\"#;\n",
                "let event: Event = serde_json::from_str(json)?;\n",
                "let base: &BaseEvent = event.as_class().expect(\"a Base Event\");\n",
                "assert_eq!(base.time, 1_700_000_000_000);\n",
                "assert!(event.as_class::<Authentication>().is_none());\n",
                "# Ok::<(), serde_json::Error>(())\n",
                "```"
            )]
            pub fn as_class<E: $crate::OcsfEvent>(&self) -> Option<&E> {
                each!(
                    self,
                    e => (&**e as &dyn ::std::any::Any).downcast_ref::<E>(),
                    _u => None
                )
            }
        }

        $(
            impl ::std::convert::From<$crate::$m::events::$variant> for Event {
                fn from(event: $crate::$m::events::$variant) -> Self {
                    Event::$variant(::std::boxed::Box::new(event))
                }
            }

            impl ::std::convert::From<::std::boxed::Box<$crate::$m::events::$variant>> for Event {
                fn from(event: ::std::boxed::Box<$crate::$m::events::$variant>) -> Self {
                    Event::$variant(event)
                }
            }

            /// Fails with the event unchanged when it is of another class.
            impl ::std::convert::TryFrom<Event> for $crate::$m::events::$variant {
                type Error = Event;
                fn try_from(event: Event) -> ::std::result::Result<Self, Event> {
                    match event {
                        Event::$variant(e) => Ok(*e),
                        other => Err(other),
                    }
                }
            }

            /// Fails with the event unchanged when it is of another class.
            impl ::std::convert::TryFrom<Event> for ::std::boxed::Box<$crate::$m::events::$variant> {
                type Error = Event;
                fn try_from(event: Event) -> ::std::result::Result<Self, Event> {
                    match event {
                        Event::$variant(e) => Ok(e),
                        other => Err(other),
                    }
                }
            }
        )*

        impl ::std::convert::From<$crate::UnrecognizedEvent> for Event {
            fn from(event: $crate::UnrecognizedEvent) -> Self {
                Event::Unrecognized(::std::boxed::Box::new(event))
            }
        }

        impl $crate::OcsfEventEnum for Event {
            const OCSF_VERSION: &'static str = $version;

            fn class_uid(&self) -> i32 {
                Event::class_uid(self)
            }

            fn class_name(&self) -> Option<&'static str> {
                Event::class_name(self)
            }

            fn time(&self) -> Option<i64> {
                Event::time(self)
            }

            fn visit_classes<V: $crate::ClassVisitor>(visitor: &mut V) {
                $( visitor.visit::<$crate::$m::events::$variant>(); )*
            }

            fn as_class<E: $crate::OcsfEvent>(&self) -> Option<&E> {
                Event::as_class(self)
            }
        }

        impl ::serde::Serialize for Event {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                each!(self, e => ::serde::Serialize::serialize(&**e, s), u => ::serde::Serialize::serialize(u, s))
            }
        }

        impl<'de> ::serde::Deserialize<'de> for Event {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                struct ReadEvent;

                impl<'de> ::serde::de::Visitor<'de> for ReadEvent {
                    type Value = Event;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("an OCSF ", $version, " event (a JSON object with a class_uid)"))
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> ::std::result::Result<Event, A::Error> {
                        let prefix = $crate::event_enum::de::read_prefix(&mut map)?;
                        match prefix.class_uid {
                            $(
                                $uid => $crate::event_enum::de::class::<_, $crate::$m::events::$variant>(
                                    prefix.replay(map),
                                )
                                .map(|e| Event::$variant(::std::boxed::Box::new(e))),
                            )*
                            _ => prefix
                                .unrecognized(map)
                                .map(|u| Event::Unrecognized(::std::boxed::Box::new(u))),
                        }
                    }
                }

                d.deserialize_map(ReadEvent)
            }
        }

        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for Event {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed("Event")
            }

            fn schema_id() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(concat!(module_path!(), "::Event"))
            }

            /// `anyOf` the version's classes, then the unrecognized class.
            fn json_schema(generator: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                let any: ::std::vec::Vec<::serde_json::Value> = ::std::vec![
                    $( generator.subschema_for::<$crate::$m::events::$variant>().to_value(), )*
                    generator.subschema_for::<$crate::UnrecognizedEvent>().to_value(),
                ];
                let mut schema = ::serde_json::Map::new();
                schema.insert("anyOf".into(), ::serde_json::Value::Array(any));
                ::schemars::Schema::from(schema)
            }
        }
    };
}

//! The runtime support of generated OCSF enums.
//!
//! Every enumerated OCSF attribute becomes a `#[non_exhaustive]` Rust enum with one variant per
//! value the schema defines and an `Unrecognized` variant that carries any other value unchanged,
//! so that data from a newer schema round-trips instead of failing. (OCSF itself uses `Unknown`
//! for 0 and `Other` for 99, hence the different name.)
//!
//! With the `schemars` feature every enum implements `schemars::JsonSchema` as its JSON type
//! (`integer` or `string`) with an `anyOf` of the defined values (`const`, captioned by `title`)
//! and a final `Unrecognized` branch admitting any other value of that type: the schema describes
//! what the type accepts, which is every value. The per-class schemas of
//! [`json_schema`](crate::json_schema), built from the schema tables, are the strict ones.

/// An enumerated OCSF attribute with integer values (`activity_id`, `severity_id`, ...).
pub trait OcsfEnum: Copy + Eq + std::fmt::Debug + std::fmt::Display + 'static {
    /// The value as it is written in OCSF data.
    fn id(self) -> i64;
    /// The enum for a value; values the schema does not define become `Unrecognized`.
    fn from_id(id: i64) -> Self;
    /// The schema's caption of the value, or `None` for an `Unrecognized` value.
    fn caption(self) -> Option<&'static str>;
    /// Whether the value is one the schema defines.
    fn is_recognized(self) -> bool {
        self.caption().is_some()
    }
}

/// The error of parsing an enum from a caption that none of its values has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCaption {
    /// The enum's name.
    pub enum_name: &'static str,
    /// The caption that did not match.
    pub caption: String,
}

impl std::fmt::Display for UnknownCaption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is not a caption of {}",
            self.caption, self.enum_name
        )
    }
}

impl std::error::Error for UnknownCaption {}

/// Defines an integer-valued OCSF enum with its trait impls. Used by generated code.
#[doc(hidden)]
#[macro_export]
macro_rules! ocsf_int_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $repr:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $caption:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this schema version does not define, kept unchanged.
            Unrecognized($repr),
        }

        impl $name {
            /// Every value the schema defines, in value order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The value as it is written in OCSF data.
            pub const fn id(self) -> $repr {
                match self {
                    $( $name::$variant => $value, )*
                    $name::Unrecognized(v) => v,
                }
            }

            /// The enum for a value; values the schema does not define become `Unrecognized`.
            pub const fn from_id(id: $repr) -> Self {
                match id {
                    $( $value => $name::$variant, )*
                    other => $name::Unrecognized(other),
                }
            }

            /// The schema's caption, or `"Unrecognized"` for a value it does not define.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $caption, )*
                    $name::Unrecognized(_) => "Unrecognized",
                }
            }
        }

        impl $crate::caption::StaticCaptions for $name {
            #[allow(unreachable_patterns)]
            fn static_caption(text: &str) -> Option<&'static str> {
                match text {
                    $( $caption => Some($caption), )*
                    _ => None,
                }
            }
        }

        impl $crate::OcsfEnum for $name {
            fn id(self) -> i64 {
                i64::from($name::id(self))
            }
            fn from_id(id: i64) -> Self {
                match <$repr>::try_from(id) {
                    Ok(v) => $name::from_id(v),
                    Err(_) => $name::Unrecognized(<$repr>::MAX),
                }
            }
            fn caption(self) -> Option<&'static str> {
                match self {
                    $name::Unrecognized(_) => None,
                    known => Some(known.as_str()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    $name::Unrecognized(v) => write!(f, "Unrecognized({v})"),
                    known => f.write_str(known.as_str()),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownCaption;
            /// Parses a caption (ASCII case-insensitive) or a decimal value.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $( if s.eq_ignore_ascii_case($caption) { return Ok($name::$variant); } )*
                s.trim().parse::<$repr>().map($name::from_id).map_err(|_| $crate::UnknownCaption {
                    enum_name: stringify!($name),
                    caption: s.to_string(),
                })
            }
        }

        impl From<$repr> for $name {
            fn from(v: $repr) -> Self {
                $name::from_id(v)
            }
        }

        impl From<$name> for $repr {
            fn from(v: $name) -> Self {
                v.id()
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                ::serde::Serialize::serialize(&self.id(), s)
            }
        }

        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(stringify!($name))
            }

            fn schema_id() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(concat!(module_path!(), "::", stringify!($name)))
            }

            /// An integer; `anyOf` lists the defined values (`const` + `title` caption) and ends
            /// with an `Unrecognized` branch that admits any other integer, as the type does.
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                let mut schema = ::serde_json::Map::new();
                schema.insert("type".into(), "integer".into());
                schema.insert(
                    "description".into(),
                    concat!(
                        "OCSF enum `", stringify!($name), "`: one of the listed values, or any ",
                        "other integer (kept as `Unrecognized`)."
                    ).into(),
                );
                let known: &[($repr, &str)] = &[$( ($value, $caption), )*];
                let mut any: ::std::vec::Vec<::serde_json::Value> = known
                    .iter()
                    .map(|(value, caption)| {
                        let mut one = ::serde_json::Map::new();
                        one.insert("const".into(), (*value).into());
                        one.insert("title".into(), (*caption).into());
                        ::serde_json::Value::Object(one)
                    })
                    .collect();
                let mut other = ::serde_json::Map::new();
                other.insert("title".into(), "Unrecognized".into());
                other.insert(
                    "description".into(),
                    "A value this schema version does not define.".into(),
                );
                other.insert("type".into(), "integer".into());
                any.push(::serde_json::Value::Object(other));
                schema.insert("anyOf".into(), ::serde_json::Value::Array(any));
                ::schemars::Schema::from(schema)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <$repr as ::serde::Deserialize>::deserialize(d).map($name::from_id)
            }
        }
    };
}

/// Defines a string-keyed OCSF enum (`http_method`, ...). Used by generated code.
#[doc(hidden)]
#[macro_export]
macro_rules! ocsf_str_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $caption:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this schema version does not define, kept unchanged.
            Unrecognized(String),
        }

        impl $name {
            /// The value as it is written in OCSF data.
            pub fn value(&self) -> &str {
                match self {
                    $( $name::$variant => $value, )*
                    $name::Unrecognized(v) => v,
                }
            }

            /// The enum for a value; values the schema does not define become `Unrecognized`.
            pub fn from_value(v: &str) -> Self {
                match v {
                    $( $value => $name::$variant, )*
                    other => $name::Unrecognized(other.to_string()),
                }
            }

            /// The schema's caption, or `None` for a value it does not define.
            pub fn caption(&self) -> Option<&'static str> {
                match self {
                    $( $name::$variant => Some($caption), )*
                    $name::Unrecognized(_) => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.value())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok($name::from_value(s))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.value())
            }
        }

        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(stringify!($name))
            }

            fn schema_id() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(concat!(module_path!(), "::", stringify!($name)))
            }

            /// A string; `anyOf` lists the defined values (`const` + `title` caption) and ends
            /// with an `Unrecognized` branch that admits any other string, as the type does.
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                let mut schema = ::serde_json::Map::new();
                schema.insert("type".into(), "string".into());
                schema.insert(
                    "description".into(),
                    concat!(
                        "OCSF enum `", stringify!($name), "`: one of the listed values, or any ",
                        "other string (kept as `Unrecognized`)."
                    ).into(),
                );
                let known: &[(&str, &str)] = &[$( ($value, $caption), )*];
                let mut any: ::std::vec::Vec<::serde_json::Value> = known
                    .iter()
                    .map(|(value, caption)| {
                        let mut one = ::serde_json::Map::new();
                        one.insert("const".into(), (*value).into());
                        one.insert("title".into(), (*caption).into());
                        ::serde_json::Value::Object(one)
                    })
                    .collect();
                let mut other = ::serde_json::Map::new();
                other.insert("title".into(), "Unrecognized".into());
                other.insert(
                    "description".into(),
                    "A value this schema version does not define.".into(),
                );
                other.insert("type".into(), "string".into());
                any.push(::serde_json::Value::Object(other));
                schema.insert("anyOf".into(), ::serde_json::Value::Array(any));
                ::schemars::Schema::from(schema)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                Ok($name::from_value(&s))
            }
        }
    };
}

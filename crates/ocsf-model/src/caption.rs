//! Captions derived from their enums: `class_name`, `category_name`, `type_name`,
//! `activity_name`, `severity`, `status`, and every caption sibling of an integer enum.
//!
//! A caption sibling holds a [`Caption`]: the schema's own caption is borrowed from a static
//! string (setting an id, or reading a caption that equals one of the enum's, stores no string),
//! and only a caption the enum cannot derive (a source's own text for Other (99), a value from
//! another schema) is owned.
//!
//! ```
//! # #[cfg(feature = "v1_1_0")] {
//! use std::borrow::Cow;
//! use ocsf_model::v1_1_0::objects::{Observable, ObservableTypeId};
//!
//! let mut o = Observable::default();
//! o.set_type_id(ObservableTypeId::IpAddress);
//! assert!(matches!(o.type_, Some(Cow::Borrowed("IP Address"))));
//!
//! let read: Observable = serde_json::from_str(r#"{"type_id":2,"type":"IP Address"}"#).unwrap();
//! assert!(matches!(read.type_, Some(Cow::Borrowed(_))));
//! # }
//! ```

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{Error, Visitor};

/// The text of a caption sibling: borrowed when it is the schema's caption, owned otherwise.
pub type Caption = Cow<'static, str>;

/// The static captions a caption sibling may hold (an enum's, a class's `type_name`s).
pub trait StaticCaptions {
    /// The static caption equal to `text`, if there is one.
    fn static_caption(text: &str) -> Option<&'static str>;
}

/// `text` as a [`Caption`]: the static caption of `C` equal to it, else an owned copy.
pub fn caption_of<C: StaticCaptions>(text: &str) -> Caption {
    match C::static_caption(text) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(text.to_string()),
    }
}

/// The caption strings of a class: implemented by every generated event class.
#[doc(hidden)]
pub trait ClassCaptions {
    /// The class's caption (`class_name`).
    const CLASS: &'static str;
    /// The category's caption (`category_name`).
    const CATEGORY: &'static str;
    /// `"<class caption>: <activity caption>"` for every activity the class defines.
    const TYPE_NAMES: &'static [&'static str];
}

/// The static captions of a class's `class_name`. Used by generated code.
#[doc(hidden)]
pub struct ClassName<E>(PhantomData<E>);
/// The static captions of a class's `category_name`. Used by generated code.
#[doc(hidden)]
pub struct CategoryName<E>(PhantomData<E>);
/// The static captions of a class's `type_name`. Used by generated code.
#[doc(hidden)]
pub struct TypeName<E>(PhantomData<E>);

impl<E: ClassCaptions> StaticCaptions for ClassName<E> {
    fn static_caption(text: &str) -> Option<&'static str> {
        (text == E::CLASS).then_some(E::CLASS)
    }
}

impl<E: ClassCaptions> StaticCaptions for CategoryName<E> {
    fn static_caption(text: &str) -> Option<&'static str> {
        (text == E::CATEGORY).then_some(E::CATEGORY)
    }
}

impl<E: ClassCaptions> StaticCaptions for TypeName<E> {
    fn static_caption(text: &str) -> Option<&'static str> {
        E::TYPE_NAMES.iter().copied().find(|t| *t == text)
    }
}

/// The `type_name` of an event of class `E` whose activity caption is `activity`:
/// `"<class caption>: <activity caption>"`, borrowed from the class's table when the activity
/// caption is one the class defines, else built (a source's own caption for Other).
#[doc(hidden)]
pub fn type_name<E: ClassCaptions>(activity: &str) -> Caption {
    type_name_in(E::CLASS, E::TYPE_NAMES, activity)
}

/// [`type_name`] with the class caption and table given.
pub(crate) fn type_name_in(class: &str, table: &'static [&'static str], activity: &str) -> Caption {
    let len = class.len() + 2 + activity.len();
    let found = table.iter().copied().find(|t| {
        t.len() == len
            && t.starts_with(class)
            && t[class.len()..].starts_with(": ")
            && t.ends_with(activity)
    });
    match found {
        Some(t) => Cow::Borrowed(t),
        None => Cow::Owned(crate::event::type_name(class, activity)),
    }
}

/// Reads an optional caption sibling: the static caption of `C` when the text equals one,
/// an owned string otherwise. Used by generated code.
#[doc(hidden)]
pub fn deserialize<'de, D: Deserializer<'de>, C: StaticCaptions>(
    d: D,
) -> Result<Option<Caption>, D::Error> {
    d.deserialize_option(OptionVisitor::<C>(PhantomData))
}

/// Reads a required caption sibling (see [`deserialize`]). Used by generated code.
#[doc(hidden)]
pub fn deserialize_required<'de, D: Deserializer<'de>, C: StaticCaptions>(
    d: D,
) -> Result<Caption, D::Error> {
    d.deserialize_str(TextVisitor::<C>(PhantomData))
}

struct OptionVisitor<C>(PhantomData<C>);

impl<'de, C: StaticCaptions> Visitor<'de> for OptionVisitor<C> {
    type Value = Option<Caption>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a caption string or null")
    }

    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(TextVisitor::<C>(PhantomData)).map(Some)
    }
}

struct TextVisitor<C>(PhantomData<C>);

impl<C: StaticCaptions> Visitor<'_> for TextVisitor<C> {
    type Value = Caption;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a caption string")
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(caption_of::<C>(v))
    }

    fn visit_string<E: Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(match C::static_caption(&v) {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(v),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Two;
    impl StaticCaptions for Two {
        fn static_caption(text: &str) -> Option<&'static str> {
            ["Logon", "Logoff"].into_iter().find(|c| *c == text)
        }
    }

    struct Class;
    impl ClassCaptions for Class {
        const CLASS: &'static str = "Authentication";
        const CATEGORY: &'static str = "Identity & Access Management";
        const TYPE_NAMES: &'static [&'static str] =
            &["Authentication: Logon", "Authentication: Other"];
    }

    #[derive(serde::Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "deserialize::<_, Two>")]
        name: Option<Caption>,
    }

    #[test]
    fn a_known_caption_is_borrowed_and_other_text_owned() {
        let h: Holder = serde_json::from_str(r#"{"name":"Logon"}"#).expect("test value");
        assert!(matches!(h.name, Some(Cow::Borrowed("Logon"))));
        let h: Holder = serde_json::from_str(r#"{"name":"Log\u006fff"}"#).expect("test value");
        assert!(matches!(h.name, Some(Cow::Borrowed("Logoff"))));
        let h: Holder = serde_json::from_str(r#"{"name":"Sign-in"}"#).expect("test value");
        assert!(matches!(h.name, Some(Cow::Owned(ref s)) if s == "Sign-in"));
        let h: Holder = serde_json::from_str(r#"{"name":null}"#).expect("test value");
        assert!(h.name.is_none());
        let h: Holder = serde_json::from_str("{}").expect("test value");
        assert!(h.name.is_none());
        assert!(serde_json::from_str::<Holder>(r#"{"name":3}"#).is_err());
        let h: Holder =
            serde_json::from_value(serde_json::json!({"name": "Logon"})).expect("test value");
        assert!(matches!(h.name, Some(Cow::Borrowed("Logon"))));
    }

    #[test]
    fn type_names_come_from_the_table_unless_the_activity_is_the_source_s_own() {
        assert!(matches!(
            type_name::<Class>("Logon"),
            Cow::Borrowed("Authentication: Logon")
        ));
        assert!(matches!(
            type_name::<Class>("Other"),
            Cow::Borrowed("Authentication: Other")
        ));
        let own = type_name::<Class>("Sign-in");
        assert!(matches!(own, Cow::Owned(_)));
        assert_eq!(own, "Authentication: Sign-in");
        // Same length as a table entry, other text.
        assert!(matches!(type_name::<Class>("Logxn"), Cow::Owned(_)));
        assert_eq!(
            TypeName::<Class>::static_caption("Authentication: Logon"),
            Some("Authentication: Logon")
        );
        assert_eq!(
            ClassName::<Class>::static_caption("Authentication"),
            Some("Authentication")
        );
        assert_eq!(CategoryName::<Class>::static_caption("x"), None);
    }

    #[cfg(feature = "v1_1_0")]
    fn logons() -> Vec<crate::v1_1_0::events::Authentication> {
        use crate::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
        use crate::v1_1_0::objects::{Metadata, Product, User};
        let new = |id| {
            Authentication::new(
                id,
                Metadata::new(Product::default(), "1.1.0".into()),
                SeverityId::Low,
                1_700_000_000_000,
                User::default(),
            )
        };
        let logon = new(AuthenticationActivityId::Logon);
        let mut own = new(AuthenticationActivityId::Unknown);
        own.activity_name = Some(Cow::Owned("Sign-in".to_string()));
        own.set_activity_id(AuthenticationActivityId::Other);
        vec![logon, own]
    }

    #[cfg(feature = "v1_1_0")]
    fn assert_captions(events: &[crate::v1_1_0::events::Authentication]) {
        let [logon, own] = events else {
            panic!("two events");
        };
        for e in [logon, own] {
            assert!(matches!(
                e.class_name,
                Some(Cow::Borrowed("Authentication"))
            ));
            assert!(matches!(
                e.category_name,
                Some(Cow::Borrowed("Identity & Access Management"))
            ));
            assert!(matches!(e.severity, Some(Cow::Borrowed("Low"))));
        }
        assert!(matches!(logon.activity_name, Some(Cow::Borrowed("Logon"))));
        assert!(matches!(
            logon.type_name,
            Some(Cow::Borrowed("Authentication: Logon"))
        ));
        // A source's own caption for Other cannot be derived: it stays owned.
        assert!(matches!(own.activity_name, Some(Cow::Owned(ref s)) if s == "Sign-in"));
        assert!(matches!(own.type_name, Some(Cow::Owned(ref s)) if s == "Authentication: Sign-in"));
    }

    #[cfg(feature = "v1_1_0")]
    #[test]
    fn setters_borrow_and_json_reads_back_borrowed_captions() {
        let events = logons();
        assert_captions(&events);
        let text = serde_json::to_string(&events).expect("test value");
        assert!(
            text.contains(r#""type_name":"Authentication: Sign-in""#),
            "{text}"
        );
        let back: Vec<crate::v1_1_0::events::Authentication> =
            serde_json::from_str(&text).expect("test value");
        assert_eq!(back, events);
        assert_captions(&back);
        // From a reader (serde_json's scratch buffer) too.
        let back: Vec<crate::v1_1_0::events::Authentication> =
            serde_json::from_reader(text.as_bytes()).expect("test value");
        assert_captions(&back);
        assert_eq!(serde_json::to_string(&back).expect("test value"), text);
    }

    #[cfg(all(feature = "v1_1_0", feature = "arrow"))]
    #[test]
    fn the_columnar_decoder_reads_back_borrowed_captions() {
        use crate::columnar::{BatchEncoder, ColumnarOptions, decode_batch, decode_batch_reusing};
        use crate::v1_1_0::events::Authentication;
        let events = logons();
        let mut encoder =
            BatchEncoder::<Authentication>::new(&ColumnarOptions::default()).expect("test value");
        for e in &events {
            encoder.append(e);
        }
        let batch = encoder.finish().expect("test value");
        let back: Vec<Authentication> = decode_batch(&batch).expect("test value");
        assert_eq!(back, events);
        assert_captions(&back);
        // Into kept events, in the other order: each caption is replaced, not refilled.
        let mut kept: Vec<Authentication> = events.iter().rev().cloned().collect();
        decode_batch_reusing(&batch, &mut kept).expect("test value");
        assert_captions(&kept);
    }
}

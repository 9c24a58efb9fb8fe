//! Reading an `Event` in one pass: the attributes before `class_uid` are buffered as JSON
//! values, then the class's own `Deserialize` reads them back followed by the rest of the
//! input, straight from the input.
//!
//! Only the prefix before `class_uid` is buffered. An event written by this crate has its
//! attributes in name order, so the prefix is the attributes sorting before `class_uid`
//! (`activity_*`, `actor`, `api`, `category_*`, ...); a producer that writes `class_uid`
//! first gets no buffering at all.

use serde::de::value::StringDeserializer;
use serde::de::{DeserializeSeed, Error as _, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserializer, forward_to_deserialize_any};
use serde_json::{Map, Value};

use super::unrecognized::{NotAnEvent, UnrecognizedEvent, class_uid_of};

/// What came before `class_uid`, and `class_uid` itself.
#[doc(hidden)]
pub struct Prefix {
    buffered: Vec<(String, Value)>,
    class_uid_value: Value,
    /// The class uid read.
    pub class_uid: i32,
}

/// Reads entries until `class_uid`, buffering the ones before it.
#[doc(hidden)]
pub fn read_prefix<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Prefix, A::Error> {
    let mut buffered = Vec::new();
    while let Some(key) = map.next_key::<String>()? {
        if key == "class_uid" {
            let value: Value = map.next_value()?;
            let Some(class_uid) = class_uid_of(&value) else {
                return Err(A::Error::custom(NotAnEvent::new(Some(&value))));
            };
            return Ok(Prefix {
                buffered,
                class_uid_value: value,
                class_uid,
            });
        }
        let value: Value = map.next_value()?;
        buffered.push((key, value));
    }
    Err(A::Error::custom(NotAnEvent::new(None)))
}

impl Prefix {
    /// A deserializer that yields the buffered entries, `class_uid`, then the rest of `map`.
    pub fn replay<'de, A: MapAccess<'de>>(self, map: A) -> Replay<A> {
        let mut buffered = self.buffered;
        buffered.push(("class_uid".to_string(), self.class_uid_value));
        Replay {
            buffered: buffered.into_iter(),
            pending: None,
            rest: map,
        }
    }

    /// The whole object as an [`UnrecognizedEvent`]; a repeated attribute is an error, as it
    /// is for a typed class (which attribute's value to keep would be a guess).
    pub fn unrecognized<'de, A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<UnrecognizedEvent, A::Error> {
        let mut fields = Map::new();
        let mut put = |key: String, value: Value| -> Result<(), A::Error> {
            if fields.contains_key(&key) {
                return Err(A::Error::custom(format_args!(
                    "duplicate attribute `{key}`"
                )));
            }
            fields.insert(key, value);
            Ok(())
        };
        for (key, value) in self.buffered {
            put(key, value)?;
        }
        put("class_uid".to_string(), self.class_uid_value)?;
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            put(key, value)?;
        }
        Ok(UnrecognizedEvent::from_parts(self.class_uid, fields))
    }
}

/// A map deserializer over buffered entries followed by the rest of an input map.
#[doc(hidden)]
pub struct Replay<A> {
    buffered: std::vec::IntoIter<(String, Value)>,
    pending: Option<Value>,
    rest: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        if let Some((key, value)) = self.buffered.next() {
            self.pending = Some(value);
            let key: StringDeserializer<A::Error> = key.into_deserializer();
            return seed.deserialize(key).map(Some);
        }
        self.rest.next_key_seed(seed)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.pending.take() {
            Some(value) => seed.deserialize(value).map_err(A::Error::custom),
            None => self.rest.next_value_seed(seed),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.rest.size_hint().map(|n| n + self.buffered.len())
    }
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for Replay<A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_map(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// Reads one class from a replay, naming the class in the error.
#[doc(hidden)]
pub fn class<'de, A: MapAccess<'de>, T: crate::OcsfEvent>(
    replay: Replay<A>,
) -> Result<T, A::Error> {
    T::deserialize(replay).map_err(|e| {
        A::Error::custom(format_args!(
            "{} (class_uid {}, OCSF {}): {e}",
            T::CLASS_CAPTION,
            T::CLASS_UID,
            T::OCSF_VERSION
        ))
    })
}

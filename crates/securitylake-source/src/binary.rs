//! A compact, self-describing binary serde format: the payload of the spool's
//! event records (format 2, see [`crate::record`]).
//!
//! It mirrors what `serde_json` writes, value for value, without text: the
//! same data model choices (a `None` or a unit is `null`, a struct or a
//! `#[serde(flatten)]` struct is a map with string keys, an enum variant with
//! data is a one-entry map, bytes are a sequence of numbers), so that
//! everything reads back as JSON would give it back: a non-negative integer
//! is visited as `u64` and a negative one as `i64` whatever type wrote it (as
//! a JSON number), floats as floats, bit for bit. It is self-describing, so
//! `deserialize_any` works (`serde_json::Value`, flatten buffers).
//!
//! # Grammar
//!
//! A value is a tag byte and what the tag says follows:
//!
//! | tag | value | followed by |
//! |---|---|---|
//! | `0` | null | nothing |
//! | `1`, `2` | false, true | nothing |
//! | `3` | integer `n >= 0` | `n` as a varint |
//! | `4` | integer `n < 0` | `-1 - n` as a varint |
//! | `5` | `f64` | 8 bytes, little-endian |
//! | `6` | `f32` | 4 bytes, little-endian |
//! | `7` | string | its length as a varint, then its UTF-8 bytes |
//! | `8` | sequence | its values, then tag `10` |
//! | `9` | map | key (a string value) and value pairs, then tag `10` |
//!
//! A varint is LEB128: 7 bits per byte, least significant first, the high
//! bit set on every byte but the last (at most 10 bytes). Sequences and maps
//! end with a tag rather than starting with a count, so that a map whose
//! length serde does not know (a struct with a flattened member) is written
//! in one pass.
//!
//! Writing also measures the value: the length of its compact JSON (exact
//! but for floats, counted at the 24 bytes of the longest float) and how many
//! maps and sequences it nests. Reading refuses values nested deeper than
//! [`MAX_DEPTH`], input that ends early, unknown tags, invalid UTF-8 and bytes
//! after the value, with an [`Error`], never a panic.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const UINT: u8 = 3;
const NINT: u8 = 4;
const F64: u8 = 5;
const F32: u8 = 6;
const STR: u8 = 7;
const SEQ: u8 = 8;
const MAP: u8 = 9;
const END: u8 = 10;

/// The most maps and sequences a value may nest (as many as `serde_json`
/// reads back: it refuses the 128th).
pub(crate) const MAX_DEPTH: usize = 127;
/// The JSON length counted for a float (the longest a finite `f64` takes,
/// `-2.2250738585072014e-308`).
const FLOAT_JSON: u64 = 24;

/// A value that does not write or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

fn error(msg: &str) -> Error {
    Error(msg.to_owned())
}

/// What [`to_writer`] measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    /// The length of the value's compact JSON (`serde_json::to_vec`), exact
    /// but for floats, each counted as 24 bytes.
    pub json_size: u64,
}

/// Appends `value` to `out`. Fails (leaving `out` with a partial value) when
/// the value's `Serialize` fails, when it nests more than [`MAX_DEPTH`] maps
/// and sequences, or when a map key is not a string.
pub(crate) fn to_writer<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<Written, Error> {
    let mut serializer = Serializer {
        out,
        json: 0,
        depth: 0,
    };
    value.serialize(&mut serializer)?;
    Ok(Written {
        json_size: serializer.json,
    })
}

/// Reads the one value in `input`.
pub(crate) fn from_slice<'de, T: de::Deserialize<'de>>(input: &'de [u8]) -> Result<T, Error> {
    let mut deserializer = Deserializer { input, depth: 0 };
    let value = T::deserialize(&mut deserializer)?;
    if deserializer.input.is_empty() {
        Ok(value)
    } else {
        Err(error("bytes after the value"))
    }
}

#[inline]
fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The decimal digits of `n`.
fn digits(n: u64) -> u64 {
    u64::from(n.checked_ilog10().unwrap_or(0)) + 1
}

/// The bytes `serde_json` adds to escape `bytes` in a string: `\"`, `\\`
/// and the short escapes of control characters take one more byte, other
/// control characters five more (`\u00XX`).
#[inline]
fn escapes(bytes: &[u8]) -> u64 {
    // A scan 8 bytes at a time first: most strings need no escape.
    let mut chunks = bytes.chunks_exact(8);
    let mut found = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        found |= to_escape(u64::from_le_bytes(word));
    }
    // The tail, padded with a byte that needs no escape.
    let rest = chunks.remainder();
    let mut word = [b'a'; 8];
    word[..rest.len()].copy_from_slice(rest);
    found |= to_escape(u64::from_le_bytes(word));
    if found == 0 {
        return 0;
    }
    bytes
        .iter()
        .map(|&b| match b {
            b'"' | b'\\' | 0x08 | 0x09 | 0x0a | 0x0c | 0x0d => 1,
            0x00..=0x1f => 5,
            _ => 0,
        })
        .sum()
}

/// Non-zero when one of the 8 bytes of `x` is a control character, `"` or
/// `\\` (the zero-byte and less-than word tricks, exact for "any").
#[inline]
fn to_escape(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x;
    let quote = x ^ (ONES * u64::from(b'"'));
    let backslash = x ^ (ONES * u64::from(b'\\'));
    let zero = |y: u64| y.wrapping_sub(ONES) & !y;
    (below_space | zero(quote) | zero(backslash)) & HIGH
}

struct Serializer<'a> {
    out: &'a mut Vec<u8>,
    /// The JSON length of what was written.
    json: u64,
    /// Maps and sequences open.
    depth: usize,
}

impl Serializer<'_> {
    fn open(&mut self, tag: u8) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error(format!(
                "the value nests more than {MAX_DEPTH} maps and sequences"
            )));
        }
        self.out.push(tag);
        Ok(())
    }

    fn close(&mut self) {
        self.depth -= 1;
        self.out.push(END);
    }

    #[inline]
    fn uint(&mut self, n: u64) {
        self.json += digits(n);
        self.out.push(UINT);
        put_varint(self.out, n);
    }

    fn int(&mut self, n: i64) {
        if n >= 0 {
            self.uint(n.unsigned_abs());
        } else {
            self.json += 1 + digits(n.unsigned_abs());
            self.out.push(NINT);
            // -1 - n, in 0..=i64::MAX.
            put_varint(self.out, !n as u64);
        }
    }

    #[inline]
    fn str(&mut self, s: &str) {
        let bytes = s.as_bytes();
        self.json += 2 + bytes.len() as u64 + escapes(bytes);
        self.out.reserve(bytes.len() + 11);
        self.out.push(STR);
        put_varint(self.out, bytes.len() as u64);
        self.out.extend_from_slice(bytes);
    }

    /// Opens the one-entry map `{variant: ...}` of an enum variant with data.
    fn variant(&mut self, variant: &str) -> Result<(), Error> {
        self.open(MAP)?;
        self.str(variant);
        // The braces and the colon.
        self.json += 3;
        Ok(())
    }
}

/// A sequence or map being written; `variant` when it is the value of an
/// enum variant's one-entry map, which closes with it.
struct Compound<'a, 'b> {
    ser: &'b mut Serializer<'a>,
    items: u64,
    map: bool,
    variant: bool,
}

impl<'a, 'b> Compound<'a, 'b> {
    fn open(ser: &'b mut Serializer<'a>, map: bool, variant: Option<&str>) -> Result<Self, Error> {
        if let Some(variant) = variant {
            ser.variant(variant)?;
        }
        ser.open(if map { MAP } else { SEQ })?;
        Ok(Self {
            ser,
            items: 0,
            map,
            variant: variant.is_some(),
        })
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.items += 1;
        value.serialize(&mut *self.ser)
    }

    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.items += 1;
        let at = self.ser.out.len();
        key.serialize(&mut *self.ser)?;
        if self.ser.out.get(at) != Some(&STR) {
            return Err(error("a map key that is not a string"));
        }
        Ok(())
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.items += 1;
        self.ser.str(key);
        value.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<(), Error> {
        // Brackets, commas between items and a colon per entry.
        self.ser.json += 2 + self.items.saturating_sub(1) + if self.map { self.items } else { 0 };
        self.ser.close();
        if self.variant {
            self.ser.close();
        }
        Ok(())
    }
}

impl<'a, 'b> ser::Serializer for &'b mut Serializer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.json += if v { 4 } else { 5 };
        self.out.push(if v { TRUE } else { FALSE });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.int(v);
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        if let Ok(v) = u64::try_from(v) {
            self.uint(v);
        } else {
            self.int(i64::try_from(v).map_err(|_| error("an integer out of the 64-bit range"))?);
        }
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.uint(v.into());
        Ok(())
    }

    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.uint(v.into());
        Ok(())
    }

    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.uint(v.into());
        Ok(())
    }

    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.uint(v);
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.uint(u64::try_from(v).map_err(|_| error("an integer out of the 64-bit range"))?);
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        // serde_json writes `null` for NaN and infinities.
        self.json += if v.is_finite() { FLOAT_JSON } else { 4 };
        self.out.push(F32);
        self.out.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.json += if v.is_finite() { FLOAT_JSON } else { 4 };
        self.out.push(F64);
        self.out.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.str(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.str(v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        // As serde_json: a sequence of numbers.
        let mut seq = Compound::open(self, false, None)?;
        for b in v {
            seq.element(b)?;
        }
        seq.end()
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.json += 4;
        self.out.push(NULL);
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.str(variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.variant(variant)?;
        value.serialize(&mut *self)?;
        self.close();
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        Compound::open(self, false, None)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a, 'b>, Error> {
        Compound::open(self, false, None)
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        Compound::open(self, false, None)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        Compound::open(self, false, Some(variant))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        Compound::open(self, true, None)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a, 'b>, Error> {
        Compound::open(self, true, None)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        Compound::open(self, true, Some(variant))
    }
}

/// The sequence-like compounds: each element is a value, and the sequence
/// ends with its end tag.
macro_rules! element_compounds {
    ($($trait:ident :: $method:ident),* $(,)?) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }

            fn end(self) -> Result<(), Error> {
                Compound::end(self)
            }
        }
    )*};
}

element_compounds!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

struct Deserializer<'de> {
    input: &'de [u8],
    /// Maps and sequences open.
    depth: usize,
}

fn ended() -> Error {
    error("the value ends early")
}

impl<'de> Deserializer<'de> {
    #[inline]
    fn peek(&self) -> Result<u8, Error> {
        self.input.first().copied().ok_or_else(ended)
    }

    #[inline]
    fn byte(&mut self) -> Result<u8, Error> {
        let (&b, rest) = self.input.split_first().ok_or_else(ended)?;
        self.input = rest;
        Ok(b)
    }

    #[inline]
    fn take(&mut self, n: u64) -> Result<&'de [u8], Error> {
        let n = usize::try_from(n).map_err(|_| ended())?;
        let (head, rest) = self.input.split_at_checked(n).ok_or_else(ended)?;
        self.input = rest;
        Ok(head)
    }

    #[inline]
    fn varint(&mut self) -> Result<u64, Error> {
        match self.input.split_first() {
            Some((&b, rest)) if b < 0x80 => {
                self.input = rest;
                Ok(u64::from(b))
            }
            _ => self.long_varint(),
        }
    }

    fn long_varint(&mut self) -> Result<u64, Error> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                break;
            }
            n |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(error("a varint longer than 64 bits"))
    }

    /// The bytes of a string whose tag was read.
    #[inline]
    fn str_bytes(&mut self) -> Result<&'de [u8], Error> {
        let len = self.varint()?;
        self.take(len)
    }

    #[inline]
    fn str(&mut self) -> Result<&'de str, Error> {
        let bytes = self.str_bytes()?;
        std::str::from_utf8(bytes).map_err(|_| error("a string that is not UTF-8"))
    }

    #[inline]
    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error(format!(
                "a value nested more than {MAX_DEPTH} maps and sequences"
            )));
        }
        Ok(())
    }

    /// Reads the `END` of a map or sequence whose visitor stopped before it
    /// (a visitor that read fewer items than there are is an error).
    #[inline]
    fn leave(&mut self, done: bool) -> Result<(), Error> {
        self.depth -= 1;
        if !done && self.byte()? != END {
            return Err(error("a map or sequence with more items than read"));
        }
        Ok(())
    }

    /// Skips one value.
    fn skip(&mut self) -> Result<(), Error> {
        let mut open = 0usize;
        loop {
            match self.byte()? {
                NULL | FALSE | TRUE => {}
                UINT | NINT => {
                    self.varint()?;
                }
                F64 => {
                    self.take(8)?;
                }
                F32 => {
                    self.take(4)?;
                }
                STR => {
                    self.str_bytes()?;
                }
                SEQ | MAP => {
                    self.enter()?;
                    open += 1;
                }
                END if open > 0 => {
                    self.depth -= 1;
                    open -= 1;
                }
                _ => return Err(error("an unknown tag")),
            }
            if open == 0 {
                return Ok(());
            }
        }
    }
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.byte()? {
            NULL => visitor.visit_unit(),
            FALSE => visitor.visit_bool(false),
            TRUE => visitor.visit_bool(true),
            UINT => visitor.visit_u64(self.varint()?),
            NINT => {
                let n = i64::try_from(self.varint()?)
                    .map_err(|_| error("a negative integer out of the 64-bit range"))?;
                visitor.visit_i64(!n)
            }
            F64 => {
                let mut bytes = [0; 8];
                bytes.copy_from_slice(self.take(8)?);
                visitor.visit_f64(f64::from_le_bytes(bytes))
            }
            F32 => {
                let mut bytes = [0; 4];
                bytes.copy_from_slice(self.take(4)?);
                visitor.visit_f32(f32::from_le_bytes(bytes))
            }
            STR => visitor.visit_borrowed_str(self.str()?),
            SEQ => {
                self.enter()?;
                let mut access = Access {
                    de: &mut *self,
                    done: false,
                };
                let value = visitor.visit_seq(&mut access)?;
                let done = access.done;
                self.leave(done)?;
                Ok(value)
            }
            MAP => {
                self.enter()?;
                let mut access = Access {
                    de: &mut *self,
                    done: false,
                };
                let value = visitor.visit_map(&mut access)?;
                let done = access.done;
                self.leave(done)?;
                Ok(value)
            }
            _ => Err(error("an unknown tag")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.peek()? == NULL {
            self.input = &self.input[1..];
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.byte()? {
            // A unit variant, by name.
            STR => visitor.visit_enum(self.str()?.into_deserializer()),
            // `{variant: value}`.
            MAP => {
                self.enter()?;
                let value = visitor.visit_enum(&mut *self)?;
                self.leave(false)?;
                Ok(value)
            }
            _ => Err(error("an enum that is neither a string nor a map")),
        }
    }

    /// Struct field names and enum variant names: matched as bytes, without
    /// a UTF-8 check (a name that is not one of the type's is kept as bytes
    /// by serde, and checked when it becomes a `String`).
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.byte()? {
            STR => visitor.visit_borrowed_bytes(self.str_bytes()?),
            _ => Err(error("a name that is not a string")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip()?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
    }
}

/// The items of a map or sequence, up to its `END`.
struct Access<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    done: bool,
}

impl Access<'_, '_> {
    /// Whether the next item is the `END` (consumed).
    #[inline]
    fn at_end(&mut self) -> Result<bool, Error> {
        if self.done {
            return Ok(true);
        }
        if self.de.peek()? == END {
            self.de.input = &self.de.input[1..];
            self.done = true;
        }
        Ok(self.done)
    }
}

impl<'de> de::SeqAccess<'de> for Access<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.at_end()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }
}

impl<'de> de::MapAccess<'de> for Access<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.at_end()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(&mut *self.de)
    }
}

impl<'de> de::EnumAccess<'de> for &mut Deserializer<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let variant = seed.deserialize(&mut *self)?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(self, visitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};
    use serde_json::{Value, json};

    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum Shape {
        Unit,
        Newtype(i32),
        Tuple(u8, String),
        Struct { a: Option<bool>, b: Vec<u8> },
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Unit;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Pair(i8, char);

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct All {
        shapes: Vec<Shape>,
        unit: Unit,
        pair: Pair,
        nested: Option<Option<u16>>,
        map: BTreeMap<String, Vec<i64>>,
        big: i128,
        small: u128,
        bytes: Vec<u8>,
        #[serde(flatten)]
        rest: serde_json::Map<String, Value>,
    }

    fn all() -> All {
        let mut rest = serde_json::Map::new();
        rest.insert("extra".into(), json!([null, -1, u64::MAX, "x\u{1}"]));
        All {
            shapes: vec![
                Shape::Unit,
                Shape::Newtype(-5),
                Shape::Tuple(9, "t".into()),
                Shape::Struct {
                    a: None,
                    b: vec![0, 255],
                },
            ],
            unit: Unit,
            pair: Pair(-128, 'é'),
            nested: Some(None),
            map: BTreeMap::from([("k\"".into(), vec![i64::MIN, 0, i64::MAX])]),
            big: -(1 << 40),
            small: 1 << 63,
            bytes: vec![1, 2, 3],
            rest,
        }
    }

    #[test]
    fn values_read_back_as_json_reads_them_back() {
        let value = all();
        let mut out = Vec::new();
        let written = to_writer(&value, &mut out).expect("writes");
        let text = serde_json::to_vec(&value).expect("JSON");
        // No floats: the JSON size is exact.
        assert_eq!(written.json_size, text.len() as u64);
        let back: All = from_slice(&out).expect("reads");
        let via_json: All = serde_json::from_slice(&text).expect("JSON reads");
        assert_eq!(back, via_json);
        let back: Value = from_slice(&out).expect("reads as a value");
        let via_json: Value = serde_json::from_slice(&text).expect("JSON reads");
        assert_eq!(back, via_json);
        // Floats: bit for bit, each counted at 24 bytes.
        for x in [0.1, -0.0, 1e300, f64::MIN_POSITIVE, 5e-324] {
            let mut out = Vec::new();
            assert_eq!(to_writer(&x, &mut out).map(|w| w.json_size), Ok(24));
            assert_eq!(from_slice::<f64>(&out).map(f64::to_bits), Ok(x.to_bits()));
            assert_eq!(from_slice::<Value>(&out), Ok(json!(x)));
        }
    }

    #[test]
    fn escapes_are_counted_as_serde_json_writes_them() {
        for b in 0..=0x7fu8 {
            for len in 1..20 {
                for at in 0..len {
                    let mut text = vec![b'a'; len];
                    text[at] = b;
                    let text = String::from_utf8(text).expect("ASCII");
                    let json = serde_json::to_string(&text).expect("JSON").len() as u64;
                    assert_eq!(
                        2 + len as u64 + escapes(text.as_bytes()),
                        json,
                        "{b} {len} {at}"
                    );
                }
            }
        }
        let text = "é ✓ 🦀 \u{7f} \"\\\n\u{1}".repeat(9);
        let json = serde_json::to_string(&text).expect("JSON").len() as u64;
        assert_eq!(2 + text.len() as u64 + escapes(text.as_bytes()), json);
    }

    #[test]
    fn varints_and_integers_at_their_limits() {
        for n in [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            to_writer(&n, &mut out).expect("writes");
            assert_eq!(from_slice::<u64>(&out), Ok(n));
            assert_eq!(from_slice::<Value>(&out), Ok(json!(n)));
        }
        for n in [-1, -64, -65, i64::from(i32::MIN), i64::MIN] {
            let mut out = Vec::new();
            to_writer(&n, &mut out).expect("writes");
            assert_eq!(from_slice::<i64>(&out), Ok(n));
            assert_eq!(from_slice::<Value>(&out), Ok(json!(n)));
        }
        // Eleven varint bytes, a tenth byte over 64 bits, a negative integer
        // under i64::MIN, a non-string key.
        let bad: [&[u8]; 4] = [
            &[
                UINT, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ],
            &[
                UINT, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
            ],
            &[
                NINT, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
            ],
            &[MAP, UINT, 1, NULL, END],
        ];
        for bytes in bad {
            assert!(from_slice::<Value>(bytes).is_err(), "{bytes:?}");
        }
        assert!(to_writer(&BTreeMap::from([(1, 2)]), &mut Vec::new()).is_err());
        assert!(to_writer(&u128::MAX, &mut Vec::new()).is_err());
    }

    #[test]
    fn every_truncation_and_byte_is_an_error_or_a_value() {
        let mut out = Vec::new();
        to_writer(&all(), &mut out).expect("writes");
        for cut in 0..out.len() {
            assert!(from_slice::<Value>(&out[..cut]).is_err(), "cut {cut}");
            assert!(from_slice::<All>(&out[..cut]).is_err(), "cut {cut}");
        }
        for at in 0..out.len() {
            for b in [0u8, 7, 8, 9, 10, 11, 0x80, 0xff] {
                let mut bad = out.clone();
                bad[at] = b;
                let _ = from_slice::<Value>(&bad);
                let _ = from_slice::<All>(&bad);
            }
        }
    }
}

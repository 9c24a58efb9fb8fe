//! The payload of an event record in a write-ahead file.
//!
//! Since spool format 2 an event is spooled in the crate's compact binary
//! serde format ([`crate::binary`]): self-describing like JSON (maps with
//! string keys, so `#[serde(flatten)]` catch-alls, `unmapped` maps and
//! `serde_json::Value`s read back through `deserialize_any`), but without
//! number formatting and parsing or string escaping. Every value comes back as
//! JSON gave it back: integers keep their sign class (a `serde_json::Value`
//! number is `u64` when not negative, `i64` otherwise), floats stay floats
//! (bit-exact), `null` stays `null`, map order is kept.
//!
//! Format 1 (JSON, `serde_json`) is still read, so that a spool written by an
//! earlier writer is recovered after an upgrade. The format of a file's
//! records is the `format` of its header record.

use ocsf_model::OcsfEvent;

use crate::binary;
use crate::error::{Error, ErrorKind, Result};

/// Write-ahead files whose event records are JSON (written before format 2).
pub(crate) const FORMAT_JSON: u32 = 1;
/// Write-ahead files whose event records are in the binary format.
pub(crate) const FORMAT_BINARY: u32 = 2;

/// Whether the event records of a write-ahead file of `format` can be read.
pub(crate) fn readable(format: u32) -> bool {
    matches!(format, FORMAT_JSON | FORMAT_BINARY)
}

/// Serializes `event` as a record payload of the current format into `out`
/// (cleared first). Returns the event's *size*, which the writer accounts
/// for the event: the larger of the payload's length and the length of the
/// event's JSON (measured while writing, exact but for floats, each counted
/// at 24 bytes).
///
/// The writer's size rules were written for JSON payloads and stay true with
/// this size: a value's Parquet encoding (a string's bytes, or the JSON text
/// of a `json_t` attribute or of an `unmapped` value) is at most the event's
/// JSON size, and the spool's disk use is at most the payloads' length.
///
/// An event that does not serialize, or that nests more than
/// [`binary::MAX_DEPTH`] maps and arrays (JSON could not read it back
/// either), is an [`ErrorKind::InvalidInput`] error.
pub(crate) fn encode<E: OcsfEvent>(event: &E, out: &mut Vec<u8>) -> Result<u64> {
    out.clear();
    encode_append(event, out)
}

/// [`encode`] appending to `out` (left as it was on an error).
pub(crate) fn encode_append<E: OcsfEvent>(event: &E, out: &mut Vec<u8>) -> Result<u64> {
    let start = out.len();
    match binary::to_writer(event, out) {
        Ok(written) => Ok(written.json_size.max((out.len() - start) as u64)),
        Err(e) => {
            out.truncate(start);
            Err(Error::invalid_input(format!("event does not serialize: {e}")).with_source(e))
        }
    }
}

thread_local! {
    /// The buffer [`encode_new`] serializes into, reused so that a payload
    /// is not grown from empty, reallocation after reallocation, per event.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`encode`] into a new vector of the payload's exact length (tests write spools of
/// the earlier record formats with it).
#[cfg(test)]
pub(crate) fn encode_new<E: OcsfEvent>(event: &E) -> Result<(Vec<u8>, u64)> {
    SCRATCH.with(|scratch| {
        let Ok(mut scratch) = scratch.try_borrow_mut() else {
            // Re-entered (an event's `Serialize` writing another event).
            let mut out = Vec::new();
            let size = encode(event, &mut out)?;
            return Ok((out, size));
        };
        let size = encode(event, &mut scratch)?;
        let payload = scratch.to_vec();
        if scratch.capacity() > 1024 * 1024 {
            *scratch = Vec::new();
        }
        Ok((payload, size))
    })
}

/// The size ([`encode`]) of an event read from a record of a file of
/// `format`: the payload's length for JSON records, as before, and the
/// event's size written again (into `scratch`) for binary ones.
pub(crate) fn size_of<E: OcsfEvent>(
    format: u32,
    payload: &[u8],
    event: &E,
    scratch: &mut Vec<u8>,
) -> Result<u64> {
    if format == FORMAT_JSON {
        Ok(payload.len() as u64)
    } else {
        encode(event, scratch)
    }
}

/// Deserializes a record payload of a file of `format`. A payload that does
/// not decode as exactly one `E` is an [`ErrorKind::Integrity`] error
/// (`what` names the file in its message).
pub(crate) fn decode<E: OcsfEvent>(
    format: u32,
    payload: &[u8],
    what: &dyn Fn() -> String,
) -> Result<E> {
    let damaged = |detail: String| {
        Error::new(
            ErrorKind::Integrity,
            format!(
                "{} holds an event that does not decode as {}: {detail}",
                what(),
                E::CLASS_NAME
            ),
        )
    };
    match format {
        FORMAT_BINARY => binary::from_slice(payload).map_err(|e| {
            let detail = e.to_string();
            damaged(detail).with_source(e)
        }),
        FORMAT_JSON => serde_json::from_slice(payload).map_err(|e| {
            let detail = e.to_string();
            damaged(detail).with_source(e)
        }),
        other => Err(damaged(format!("unknown record format {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use ocsf_model::schema::{AttributeDef, EnumValues, ItemDef, Requirement, SchemaVersion};
    use ocsf_model::{ClassVisitor, OcsfEvent};
    use serde_json::{Map, Value, json};

    use super::*;

    /// A value of every JSON type and of every number kind, with strings that
    /// need escapes.
    fn every_json_type() -> Value {
        json!({
            "null": null,
            "true": true,
            "false": false,
            "zero": 0,
            "small": 7,
            "byte": 200,
            "negative": -1,
            "negative_byte": -100,
            "i64_min": i64::MIN,
            "i64_max": i64::MAX,
            "u64_max": u64::MAX,
            "u32_edge": 4_294_967_296_u64,
            "float": 1.5,
            "float_integral": 1.0,
            "float_tiny": -2.225_073_858_507_201_4e-308,
            "float_huge": f64::MAX,
            "string": "text",
            "empty": "",
            "escapes": "quote \" backslash \\ newline \n tab \t cr \r nul \u{0} bell \u{7} esc \u{1b} del \u{7f}",
            "unicode": "héllo ✓ 🦀",
            "digits": "123",
            "array": [null, true, false, 1, -1, 1.5, "s", [], {}, [[1]]],
            "object": {"nested": {"deeper": [1, {"k": "v"}], "n": null}},
            "empty_object": {},
            "empty_array": [],
            "long": "x".repeat(300),
        })
    }

    /// Builds the JSON of an event of `class` from the schema tables: every
    /// attribute (`full`) or only the required ones, objects nested a few
    /// levels with an unknown member each, enums recognized or not, and
    /// `unmapped` plus an unknown top-level member holding every JSON type.
    struct Gen {
        schema: &'static SchemaVersion,
        full: bool,
        recognized: bool,
    }

    impl Gen {
        fn item(&self, item: &ItemDef, stack: &mut Vec<&'static str>) -> Map<String, Value> {
            let mut out = Map::new();
            for a in item.attributes {
                if !self.full && a.requirement != Requirement::Required {
                    continue;
                }
                if let Some(v) = self.attribute(a, stack) {
                    let v = if a.is_array { json!([v.clone(), v]) } else { v };
                    out.insert(a.name.to_owned(), v);
                }
            }
            if self.full {
                out.insert(
                    "x_unknown".into(),
                    json!({"n": -3, "f": 0.25, "s": "\"q\""}),
                );
            }
            out
        }

        fn attribute(&self, a: &AttributeDef, stack: &mut Vec<&'static str>) -> Option<Value> {
            if let Some(e) = a.enumeration {
                return Some(match (e, self.recognized) {
                    (EnumValues::Int(values), true) => {
                        json!(
                            values
                                .iter()
                                .map(|(v, _)| *v)
                                .find(|v| *v != 0)
                                .unwrap_or(0)
                        )
                    }
                    (EnumValues::Int(_), false) => json!(12_345),
                    (EnumValues::Str(values), true) => {
                        json!(values.first().map_or("x", |(v, _)| v))
                    }
                    (EnumValues::Str(_), false) => json!("not-in-the-schema"),
                });
            }
            if let Some(object) = a.object {
                let def = self.schema.object(object)?;
                if def.attributes.is_empty() {
                    // Free-form (`unmapped`, `data`, ...).
                    return Some(every_json_type());
                }
                if stack.len() >= 3 || stack.contains(&def.name) {
                    return None;
                }
                stack.push(def.name);
                let v = self.item(def, stack);
                stack.pop();
                return (!v.is_empty()).then_some(Value::Object(v));
            }
            let chain: Vec<&str> = self
                .schema
                .type_chain(a.type_name)
                .iter()
                .map(|t| t.name)
                .collect();
            Some(if chain.contains(&"datetime_t") {
                json!("2024-01-02T03:04:05.123Z")
            } else if chain.contains(&"timestamp_t") || chain.contains(&"long_t") {
                json!(1_704_164_645_123_i64)
            } else if chain.contains(&"integer_t") {
                json!(-7)
            } else if chain.contains(&"float_t") {
                json!(1.5e-7)
            } else if chain.contains(&"boolean_t") {
                json!(false)
            } else if chain.contains(&"json_t") {
                every_json_type()
            } else {
                json!(format!("{}-value \"é\"\n", a.name))
            })
        }

        fn event(&self, class: &'static ItemDef) -> Value {
            let mut v = self.item(class, &mut vec![class.name]);
            let activity = v.get("activity_id").and_then(Value::as_i64).unwrap_or(0);
            v.insert("class_uid".into(), json!(class.uid));
            v.insert("category_uid".into(), json!(class.category_uid));
            v.insert(
                "type_uid".into(),
                json!(i64::from(class.uid) * 100 + activity),
            );
            v.insert("time".into(), json!(1_704_164_645_000_i64));
            if self.full {
                let mut unmapped = every_json_type();
                // Past 64 KiB: the longest string header.
                unmapped["huge"] = json!("y".repeat(70_000));
                v.insert("unmapped".into(), unmapped);
                v.insert("x_unknown_top".into(), every_json_type());
            }
            Value::Object(v)
        }
    }

    fn floats(value: &Value) -> u64 {
        match value {
            Value::Number(n) if n.is_f64() => 1,
            Value::Array(items) => items.iter().map(floats).sum(),
            Value::Object(map) => map.values().map(floats).sum(),
            _ => 0,
        }
    }

    /// Encodes and decodes `event`, checking that it comes back as JSON gives
    /// it back and that the size bound holds.
    fn round_trip<E: OcsfEvent>(event: &E) -> Vec<u8> {
        let name = E::CLASS_NAME;
        let mut payload = Vec::new();
        let size = encode(event, &mut payload).expect("encodes");
        let back: E = decode(FORMAT_BINARY, &payload, &|| "test".into()).expect("decodes");
        let text = serde_json::to_vec(event).expect("JSON");
        let via_json: E = decode(FORMAT_JSON, &text, &|| "test".into()).expect("JSON decodes");
        assert!(back == via_json, "{name}: decodes as JSON does");
        assert!(back == *event, "{name}: decodes to the event");
        // The same values, down to each number's kind (u64, i64, f64).
        let (back_value, json_value) = (
            serde_json::to_value(&back).expect("value"),
            serde_json::to_value(&via_json).expect("value"),
        );
        assert!(back_value == json_value, "{name}: the same JSON values");
        // The JSON size is exact but for floats, at most 24 bytes each.
        let bound = binary::to_writer(event, &mut Vec::new())
            .expect("encodes")
            .json_size;
        let text_len = text.len() as u64;
        let slack = 21 * floats(&json_value);
        assert!(
            (text_len..=text_len + slack).contains(&bound),
            "{name}: JSON size {text_len}, bound {bound}"
        );
        assert_eq!(size, bound.max(payload.len() as u64));
        let mut scratch = Vec::new();
        assert_eq!(
            size_of(FORMAT_BINARY, &payload, &back, &mut scratch).ok(),
            Some(size)
        );
        assert_eq!(
            size_of(FORMAT_JSON, &text, &back, &mut scratch).ok(),
            Some(text_len)
        );
        payload
    }

    struct EveryClass {
        classes: usize,
        msgpack_bytes: usize,
        json_bytes: usize,
    }

    impl ClassVisitor for EveryClass {
        fn visit<E: OcsfEvent>(&mut self) {
            let schema = E::schema();
            let class = schema
                .class_by_uid(i64::from(E::CLASS_UID))
                .expect("the class is in the tables");
            for (full, recognized) in [(true, true), (true, false), (false, true)] {
                let json = Gen {
                    schema,
                    full,
                    recognized,
                }
                .event(class);
                let event: E = serde_json::from_value(json).unwrap_or_else(|e| {
                    panic!("{}: the generated event does not read: {e}", E::CLASS_NAME)
                });
                let payload = round_trip(&event);
                self.msgpack_bytes += payload.len();
                self.json_bytes += serde_json::to_vec(&event).map_or(0, |t| t.len());
            }
            self.classes += 1;
        }
    }

    #[test]
    fn every_1_1_0_class_round_trips_as_json_does() {
        let mut visitor = EveryClass {
            classes: 0,
            msgpack_bytes: 0,
            json_bytes: 0,
        };
        ocsf_model::v1_1_0::visit_classes(&mut visitor);
        assert_eq!(visitor.classes, ocsf_model::v1_1_0::SCHEMA.classes.len());
        eprintln!(
            "{} classes: {} bytes of binary records, {} of JSON",
            visitor.classes, visitor.msgpack_bytes, visitor.json_bytes
        );
    }

    #[test]
    fn every_1_0_0_rc2_class_round_trips_as_json_does() {
        let mut visitor = EveryClass {
            classes: 0,
            msgpack_bytes: 0,
            json_bytes: 0,
        };
        ocsf_model::v1_0_0_rc2::visit_classes(&mut visitor);
        assert_eq!(
            visitor.classes,
            ocsf_model::v1_0_0_rc2::SCHEMA.classes.len()
        );
    }

    fn authentication() -> ocsf_model::v1_1_0::events::Authentication {
        use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
        use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
        let mut product = Product::default();
        product.name = Some("sshd".into());
        Authentication::new(
            AuthenticationActivityId::Logon,
            Metadata::new(product, "1.1.0".into()),
            SeverityId::Low,
            1_709_251_199_999,
            User::default(),
        )
    }

    fn nested(depth: usize) -> Value {
        (1..depth).fold(json!({}), |inner, i| {
            if i % 2 == 0 {
                json!({ "n": inner })
            } else {
                json!([inner])
            }
        })
    }

    #[test]
    fn events_nest_as_deep_as_json_reads_back() {
        use ocsf_model::v1_1_0::events::Authentication;
        let event_with = |depth: usize| {
            let mut event = authentication();
            let mut unmapped = Map::new();
            // The event is one level, `unmapped` another.
            unmapped.insert("deep".into(), nested(depth - 2));
            event.unmapped = Some(unmapped);
            event
        };
        let deepest = event_with(binary::MAX_DEPTH);
        let text = serde_json::to_vec(&deepest).expect("JSON");
        assert!(serde_json::from_slice::<Authentication>(&text).is_ok());
        round_trip(&deepest);

        let too_deep = event_with(binary::MAX_DEPTH + 1);
        let text = serde_json::to_vec(&too_deep).expect("JSON");
        assert!(serde_json::from_slice::<Authentication>(&text).is_err());
        let err = encode(&too_deep, &mut Vec::new()).err().map(|e| e.kind());
        assert_eq!(err, Some(ErrorKind::InvalidInput));
    }

    #[test]
    fn damaged_records_are_integrity_errors() {
        use ocsf_model::v1_1_0::events::{ApiActivity, Authentication};
        let mut event = authentication();
        event.message = Some("hello".into());
        let mut payload = Vec::new();
        encode(&event, &mut payload).expect("encodes");
        let what = || "test".to_owned();
        let kind = |bytes: &[u8], format: u32| {
            decode::<Authentication>(format, bytes, &what)
                .err()
                .map(|e| e.kind())
        };
        let integrity = Some(ErrorKind::Integrity);
        // Every truncation, a byte too many, garbage, another format.
        for cut in 0..payload.len() {
            assert_eq!(kind(&payload[..cut], FORMAT_BINARY), integrity, "cut {cut}");
        }
        let mut longer = payload.clone();
        longer.push(0);
        assert_eq!(kind(&longer, FORMAT_BINARY), integrity);
        assert_eq!(kind(b"{\"time\": 1}", FORMAT_BINARY), integrity);
        assert_eq!(kind(&[0xc1, 0xff, 0x00], FORMAT_BINARY), integrity);
        // Nested deeper than any event can be written.
        let deep = binary::from_slice::<Value>(&[8; 200]).err();
        assert!(deep.is_some_and(|e| e.to_string().contains("nested")));
        assert_eq!(kind(&payload, FORMAT_JSON), integrity);
        assert_eq!(kind(&payload, 3), integrity);
        // Every single-byte change decodes to something or fails cleanly.
        for at in 0..payload.len() {
            for flip in [0x01, 0x10, 0x80, 0xff] {
                let mut bad = payload.clone();
                bad[at] ^= flip;
                let _ = decode::<Authentication>(FORMAT_BINARY, &bad, &what);
            }
        }
        // A record of another class.
        let other = decode::<ApiActivity>(FORMAT_BINARY, &payload, &what);
        assert_eq!(other.err().map(|e| e.kind()), integrity);
        assert!(decode::<Authentication>(FORMAT_BINARY, &payload, &what).is_ok());
    }
}

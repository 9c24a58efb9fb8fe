//! The JSON text of a [`serde_json::Value`], written straight into a byte buffer: byte for byte
//! what `serde_json::to_writer` writes (compact, object members in their order, the same
//! escapes), but a string that needs no escape is copied at once instead of going through
//! serde's formatter byte by byte. `unmapped` values that are objects (an sshd key's type and
//! fingerprint) are written this way for every event that has one.

use serde_json::Value;

/// Appends the JSON text of `value` to `out`.
pub(crate) fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(members) => write_object(members, out),
        // Numbers are rare in free-form values: serde_json's own formatting (integers, and
        // floats in their shortest round-trip form) rather than a second implementation.
        Value::Number(n) => serde_fallback(n, out),
    }
}

/// Appends the JSON text of an object (members in their order).
pub(crate) fn write_object(members: &serde_json::Map<String, Value>, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(key, out);
        out.push(b':');
        write_value(value, out);
    }
    out.push(b'}');
}

/// Appends a JSON string: copied between quotes when no byte needs an escape (the common
/// case), else escaped by serde_json.
fn write_str(s: &str, out: &mut Vec<u8>) {
    if s.bytes().any(needs_escape) {
        serde_fallback(s, out);
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// The bytes serde_json escapes in strings: quote, backslash and control characters.
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// serde_json's text of `value`. Writing a string or a number into a `Vec` cannot fail; if it
/// ever did, what it wrote is taken back and `null` written in its place.
fn serde_fallback<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    let start = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(start);
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(value: &Value) -> String {
        let mut out = Vec::new();
        write_value(value, &mut out);
        String::from_utf8(out).expect("JSON text is UTF-8")
    }

    /// Every kind of value, strings with and without escapes, non-ASCII text, nesting and
    /// member order: the same bytes as serde_json.
    #[test]
    fn writes_what_serde_json_writes() {
        let values = [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-17),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1.5),
            json!(-0.0),
            json!(1e300),
            json!(""),
            json!("plain ascii"),
            json!("quote \" backslash \\ slash /"),
            json!("controls \n\r\t\u{8}\u{c}\u{1}\u{1f} del \u{7f}"),
            json!("héllo wörld ✓ 𝄞"),
            json!([]),
            json!({}),
            json!([1, "two", [3, [4, {}]], {"five": null}]),
            json!({"type": "RSA", "fingerprint": "SHA256:abc/def+ghi="}),
            json!({"z": 1, "a": {"nested\"key": ["x", false]}, "m": "\u{0}"}),
        ];
        for value in &values {
            let expected = serde_json::to_string(value).expect("serde_json writes it");
            assert_eq!(text(value), expected, "{value:?}");
        }
    }

    /// An object of members in insertion order keeps that order, as serde_json does.
    #[test]
    fn objects_keep_their_member_order() {
        let mut members = serde_json::Map::new();
        members.insert("zeta".into(), json!("1"));
        members.insert("alpha".into(), json!("2"));
        let mut out = Vec::new();
        write_object(&members, &mut out);
        let expected = serde_json::to_string(&members).expect("serde_json writes it");
        assert_eq!(String::from_utf8(out).expect("UTF-8"), expected);
    }
}

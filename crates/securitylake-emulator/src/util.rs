//! Small helpers: timestamps, identifiers, percent-encoding.

use std::time::{SystemTime, UNIX_EPOCH};

/// Formats a time as RFC 3339 in UTC with whole seconds (`2021-11-12T00:00:00Z`),
/// with the `time` crate (already a dependency of `s3s`): the emulator keeps
/// no calendar code of its own and shares none with the SDK it tests.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let secs = match time.duration_since(UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    };
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// A random version-4 UUID in its canonical lowercase form.
pub(crate) fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    for b in &mut bytes {
        *b = fastrand::u8(..);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `len` random characters from `alphabet`.
pub(crate) fn random_string(alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| {
            let i = fastrand::usize(..alphabet.len().max(1));
            char::from(alphabet.get(i).copied().unwrap_or(b'x'))
        })
        .collect()
}

/// Upper-case letters and digits.
pub(crate) const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Characters of a secret access key.
pub(crate) const SECRET_CHARS: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";

/// Decodes `%XX` escapes (and, when `plus_is_space`, `+`). Returns `None` for
/// a malformed escape or a result that is not UTF-8.
pub(crate) fn percent_decode(input: &str, plus_is_space: bool) -> Option<String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = hex_value(*bytes.get(i + 1)?)?;
                let lo = hex_value(*bytes.get(i + 2)?)?;
                out.push((hi << 4) | lo);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Encodes an object key the way S3 event notifications do: unreserved
/// characters and `/` stay, a space becomes `+`, everything else `%XX`.
pub(crate) fn s3_event_key_encode(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for &b in key.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Parses an `application/x-www-form-urlencoded` body or query string.
pub(crate) fn parse_form(input: &str) -> Option<Vec<(String, String)>> {
    input
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(k, true)?, percent_decode(v, true)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = UNIX_EPOCH + Duration::from_secs(1_709_251_199);
        assert_eq!(rfc3339(leap), "2024-02-29T23:59:59Z");
        let sample = UNIX_EPOCH + Duration::from_secs(1_636_675_200);
        assert_eq!(rfc3339(sample), "2021-11-12T00:00:00Z");
        let before = UNIX_EPOCH - Duration::from_secs(86_400);
        assert_eq!(rfc3339(before), "1969-12-31T00:00:00Z");
    }

    #[test]
    fn uuids_are_version_4() {
        let id = uuid_v4();
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
        assert!(matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(id, uuid_v4());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%3Ab", false).as_deref(), Some("a:b"));
        assert_eq!(percent_decode("a+b", false).as_deref(), Some("a+b"));
        assert_eq!(percent_decode("a+b", true).as_deref(), Some("a b"));
        assert_eq!(percent_decode("%zz", false), None);
        assert_eq!(percent_decode("%4", false), None);
        assert_eq!(percent_decode("%FF", false), None);
    }

    #[test]
    fn event_keys_are_encoded_like_s3() {
        assert_eq!(
            s3_event_key_encode("ext/app/region=us-east-1/a b.parquet"),
            "ext/app/region%3Dus-east-1/a+b.parquet"
        );
    }

    #[test]
    fn forms_parse() {
        let form =
            parse_form("Action=AssumeRole&RoleArn=arn%3Aaws&Empty=&Flag").unwrap_or_default();
        assert_eq!(
            form,
            vec![
                ("Action".to_owned(), "AssumeRole".to_owned()),
                ("RoleArn".to_owned(), "arn:aws".to_owned()),
                ("Empty".to_owned(), String::new()),
                ("Flag".to_owned(), String::new()),
            ]
        );
        assert!(parse_form("a=%zz").is_none());
    }
}

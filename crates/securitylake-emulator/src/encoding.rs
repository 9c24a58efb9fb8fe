//! Percent-decoding of request paths and forms, and the key encoding of S3
//! event notifications, over the `percent-encoding` crate.
//!
//! A leaf module. Decoding is the crate's: a `%` not followed by two hex
//! digits stays as it is (as browsers and `url` do); a result that is not
//! UTF-8 is refused (`None`), and the caller answers with a 400.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// What S3 event notifications escape in an object key: everything but
/// unreserved characters and `/`. (A space is escaped here and written as
/// `+` by [`s3_event_key_encode`].)
const S3_EVENT_KEY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Decodes `%XX` escapes (and, when `plus_is_space`, `+` as a space, as in
/// forms). Returns `None` when the result is not UTF-8.
pub(crate) fn percent_decode(input: &str, plus_is_space: bool) -> Option<String> {
    if plus_is_space && input.contains('+') {
        // `+` is a space only before decoding: `%2B` stays a plus.
        let spaced = input.replace('+', " ");
        let decoded = percent_decode_str(&spaced).decode_utf8().ok()?;
        Some(decoded.into_owned())
    } else {
        let decoded = percent_decode_str(input).decode_utf8().ok()?;
        Some(decoded.into_owned())
    }
}

/// Encodes an object key the way S3 event notifications do: unreserved
/// characters and `/` stay, a space becomes `+`, everything else `%XX`.
pub(crate) fn s3_event_key_encode(key: &str) -> String {
    utf8_percent_encode(key, S3_EVENT_KEY)
        .to_string()
        .replace("%20", "+")
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

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%3Ab", false).as_deref(), Some("a:b"));
        assert_eq!(percent_decode("a+b", false).as_deref(), Some("a+b"));
        assert_eq!(percent_decode("a+b", true).as_deref(), Some("a b"));
        assert_eq!(percent_decode("a%2Bb+c", true).as_deref(), Some("a+b c"));
        assert_eq!(percent_decode("caf%C3%A9", false).as_deref(), Some("café"));
        // Not UTF-8: refused.
        assert_eq!(percent_decode("%FF", false), None);
        // A malformed escape stays as written.
        assert_eq!(percent_decode("%zz", false).as_deref(), Some("%zz"));
        assert_eq!(percent_decode("%4", false).as_deref(), Some("%4"));
    }

    #[test]
    fn event_keys_are_encoded_like_s3() {
        assert_eq!(
            s3_event_key_encode("ext/app/region=us-east-1/a b.parquet"),
            "ext/app/region%3Dus-east-1/a+b.parquet"
        );
        assert_eq!(s3_event_key_encode("a+b~c/é"), "a%2Bb~c/%C3%A9");
        // Encoding then form-decoding gives the key back.
        for key in ["ext/a b/c+d=e/%41/é.parquet", "plain/key-1_2.3~"] {
            assert_eq!(
                percent_decode(&s3_event_key_encode(key), true).as_deref(),
                Some(key)
            );
        }
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
        assert!(parse_form("a=%FF").is_none());
    }
}

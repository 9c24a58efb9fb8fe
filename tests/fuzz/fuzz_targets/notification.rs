//! Subscriber notification bodies (SQS message bodies and HTTPS request
//! bodies): EventBridge (trimmed and full), S3 event notifications, the S3
//! test event, and S3's key encoding.
//!
//! Invariants: no panic; a failure is an `InvalidNotification` error; every
//! announced object, written back as a trimmed EventBridge body with its key
//! encoded as S3 encodes keys, parses to the same object; `decode_key` of an
//! encoded key gives the key back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use securitylake_subscriber::ErrorKind;
use securitylake_subscriber::notification::{
    Notification, ObjectRef, decode_key, parse_notification,
};

/// Encodes a key as S3 does in event notifications (unreserved bytes kept,
/// everything else `%XX`; a space could also be `+`, which is tested too).
fn encode_key(key: &str, plus_for_space: bool) -> String {
    let mut out = String::with_capacity(key.len() * 3);
    for &b in key.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b));
            }
            b' ' if plus_for_space => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The trimmed EventBridge body Security Lake sends for `object`.
fn eventbridge_body(object: &ObjectRef) -> Vec<u8> {
    let mut obj = serde_json::Map::new();
    obj.insert("key".into(), encode_key(&object.key, true).into());
    if let Some(size) = object.size {
        obj.insert("size".into(), size.into());
    }
    if let Some(etag) = &object.etag {
        obj.insert("etag".into(), etag.clone().into());
    }
    if let Some(seq) = &object.sequencer {
        obj.insert("sequencer".into(), seq.clone().into());
    }
    let mut body = serde_json::json!({
        "source": "aws.s3",
        "detail": {"bucket": {"name": object.bucket}, "object": obj},
    });
    if let Some(time) = &object.event_time {
        body["time"] = time.clone().into();
    }
    serde_json::to_vec(&body).expect("a JSON value serializes")
}

fuzz_target!(|data: &[u8]| {
    match parse_notification(data) {
        Ok(Notification::Objects(objects)) => {
            for object in &objects {
                let _ = object.identity();
                for plus in [false, true] {
                    let encoded = encode_key(&object.key, plus);
                    assert_eq!(
                        decode_key(&encoded).ok().as_deref(),
                        Some(object.key.as_str()),
                        "decode_key(encode(key)) != key"
                    );
                }
                let body = eventbridge_body(object);
                match parse_notification(&body) {
                    Ok(Notification::Objects(again)) => {
                        assert_eq!(again.as_slice(), std::slice::from_ref(object), "round trip");
                    }
                    other => panic!("re-encoded object did not parse: {other:?}"),
                }
            }
        }
        Ok(_) => {}
        Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidNotification, "{e}"),
    }
    // Keys straight from the input.
    if let Ok(text) = std::str::from_utf8(data) {
        match decode_key(text) {
            Ok(key) => assert!(key.len() <= text.len(), "decoding grew the key"),
            Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidNotification),
        }
    }
});

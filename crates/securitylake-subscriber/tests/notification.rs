//! Notification parsing of every documented form, from fixture files.

use securitylake_subscriber::notification::{Notification, parse_notification};
use securitylake_subscriber::{ErrorKind, ObjectRef};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn objects(body: &[u8]) -> Vec<ObjectRef> {
    match parse_notification(body) {
        Ok(Notification::Objects(o)) => o,
        other => panic!("expected objects, got {other:?}"),
    }
}

#[test]
fn trimmed_eventbridge_form() {
    let o = objects(&fixture("eventbridge_trimmed.json"));
    assert_eq!(
        o,
        vec![ObjectRef {
            bucket: "amzn-s3-demo-bucket".into(),
            key: "example-key".into(),
            size: Some(5),
            etag: Some("b57f9512698f4b09e608f4f2a65852e5".into()),
            sequencer: None,
            event_time: Some("2021-11-12T00:00:00Z".into()),
        }]
    );
}

#[test]
fn full_eventbridge_form_with_encoded_key_and_quoted_etag() {
    let o = objects(&fixture("eventbridge_full.json"));
    assert_eq!(o.len(), 1);
    assert_eq!(
        o[0].key,
        "aws/VPC_FLOW/2.0/region=us-east-1/accountId=123456789012/eventDay=20240229/0123456789abcdef0123456789abcdef.gz.parquet"
    );
    assert_eq!(
        o[0].etag.as_deref(),
        Some("d41d8cd98f00b204e9800998ecf8427e")
    );
    assert_eq!(o[0].sequencer.as_deref(), Some("00617F08299329D189"));
    assert_eq!(o[0].size, Some(14648));
    assert!(securitylake_core::layout::ParsedKey::parse(&o[0].key).is_ok());
}

#[test]
fn classic_s3_records_decoded_and_removals_skipped() {
    let o = objects(&fixture("s3_records.json"));
    assert_eq!(o.len(), 2, "{o:?}");
    assert_eq!(o[0].bucket, "lake-bucket");
    assert_eq!(
        o[0].key,
        "ext/my app/region=us-east-1/accountId=external/eventDay=20240101/a b+c.zstd.parquet"
    );
    assert_eq!(o[0].event_time.as_deref(), Some("2024-01-01T00:00:00.000Z"));
    assert_eq!(o[1].key, "ext/app/x.parquet");
    assert_eq!(o[1].size, Some(2048));
    assert_eq!(o[1].etag.as_deref(), Some("abc-2"));
}

#[test]
fn test_event_is_recognised() {
    assert_eq!(
        parse_notification(&fixture("s3_test_event.json")).ok(),
        Some(Notification::TestEvent)
    );
}

#[test]
fn malformed_bodies_are_typed_errors() {
    let truncated = fixture("eventbridge_full.json");
    let truncated = &truncated[..truncated.len() / 2];
    for body in [
        truncated,
        b"not json".as_slice(),
        b"\"a string\"",
        b"{\"detail\": {\"bucket\": {\"name\": \"\"}, \"object\": {\"key\": \"k\"}}}",
        b"{\"detail\": {\"bucket\": {\"name\": \"b\"}, \"object\": {\"key\": 7}}}",
        b"{\"Records\": [{\"eventName\": \"ObjectCreated:Put\", \"s3\": {\"bucket\": {\"name\": \"b\"}}}]}",
    ] {
        match parse_notification(body) {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidNotification, "{e}");
                assert!(!e.is_retryable());
            }
            Ok(n) => panic!("{} parsed as {n:?}", String::from_utf8_lossy(body)),
        }
    }
}

#[test]
fn identity_distinguishes_etags() {
    let a = ObjectRef::new("b", "k").with_etag("\"e1\"");
    assert_eq!(a.etag.as_deref(), Some("e1"));
    assert_ne!(a.identity(), a.clone().with_etag("e2").identity());
    assert_ne!(
        a.identity(),
        ObjectRef::new("b2", "k").with_etag("e1").identity()
    );
}

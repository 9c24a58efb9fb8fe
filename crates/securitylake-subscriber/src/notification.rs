//! Parsing of Security Lake object notifications (SQS message bodies and
//! HTTPS request bodies).
//!
//! Accepted forms:
//!
//! * the trimmed EventBridge form Security Lake documents (`source`, `time`,
//!   `detail.bucket.name`, `detail.object.key|size|etag`);
//! * the full EventBridge `Object Created` envelope (`version`, `id`,
//!   `detail-type`, `detail.object.sequencer`, ...);
//! * classic S3 event notifications (`{"Records": [...]}`);
//! * the S3 `s3:TestEvent`, which carries no object and is ignored.
//!
//! Only the bucket name and the key are required. Keys are URL-decoded as S3
//! encodes them in events (`+` is a space, `%2F` is `/`).
//!
//! ```
//! use securitylake_subscriber::notification::{Notification, parse_notification};
//!
//! let body = br#"{"source": "aws.s3", "detail": {"bucket": {"name": "lake"},
//!     "object": {"key": "ext/app/region%3Dus-east-1/a+b.parquet", "size": 5, "etag": "abc"}}}"#;
//! let Notification::Objects(objects) = parse_notification(body)? else { unreachable!() };
//! assert_eq!(objects[0].key, "ext/app/region=us-east-1/a b.parquet");
//! assert_eq!(objects[0].size, Some(5));
//! # Ok::<(), securitylake_subscriber::Error>(())
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// One object announced by a notification.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// The bucket name.
    pub bucket: String,
    /// The object key, URL-decoded.
    pub key: String,
    /// The size in bytes, if announced.
    pub size: Option<u64>,
    /// The entity tag without quotes, if announced.
    pub etag: Option<String>,
    /// The S3 sequencer, if announced.
    pub sequencer: Option<String>,
    /// The event time (RFC 3339), if announced.
    pub event_time: Option<String>,
}

impl ObjectRef {
    /// An object reference with only a bucket and a key.
    ///
    /// ```
    /// let r = securitylake_subscriber::ObjectRef::new("lake", "ext/app/x.parquet");
    /// assert_eq!(r.etag, None);
    /// ```
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            size: None,
            etag: None,
            sequencer: None,
            event_time: None,
        }
    }

    /// Sets the entity tag (quotes are removed).
    pub fn with_etag(mut self, etag: impl Into<String>) -> Self {
        self.etag = Some(etag.into().trim_matches('"').to_owned());
        self
    }

    /// Sets the size.
    pub fn with_size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }

    /// The deduplication identity: bucket, key and etag.
    pub fn identity(&self) -> String {
        format!(
            "{}\u{1f}{}\u{1f}{}",
            self.bucket,
            self.key,
            self.etag.as_deref().unwrap_or("")
        )
    }
}

/// A parsed notification body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notification {
    /// One or more objects were created.
    Objects(Vec<ObjectRef>),
    /// An `s3:TestEvent` (sent when a notification configuration is set up):
    /// nothing to process.
    TestEvent,
}

/// Decodes a key as S3 encodes keys in event notifications: `+` is a space
/// and `%XX` is a byte. Invalid escapes are kept literally.
///
/// ```
/// use securitylake_subscriber::notification::decode_key;
///
/// assert_eq!(decode_key("a+b%2Fc%3D1")?, "a b/c=1");
/// # Ok::<(), securitylake_subscriber::Error>(())
/// ```
pub fn decode_key(raw: &str) -> Result<String> {
    let plus = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|e| {
            Error::invalid_notification(format!("key {raw:?} is not UTF-8 once decoded: {e}"))
        })
}

/// Parses a notification body. Malformed bodies fail with
/// [`ErrorKind::InvalidNotification`](crate::ErrorKind::InvalidNotification);
/// this function never panics.
pub fn parse_notification(body: &[u8]) -> Result<Notification> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Error::invalid_notification(format!("body is not JSON: {e}")).with_source(e)
    })?;
    let Value::Object(map) = &value else {
        return Err(Error::invalid_notification("body is not a JSON object"));
    };
    if map.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Notification::TestEvent);
    }
    if let Some(records) = map.get("Records") {
        return parse_records(records);
    }
    if let Some(detail) = map.get("detail") {
        let time = map.get("time").and_then(Value::as_str).map(str::to_owned);
        return parse_detail(detail, time).map(|o| Notification::Objects(vec![o]));
    }
    Err(Error::invalid_notification(
        "body has neither `detail` (EventBridge) nor `Records` (S3)",
    ))
}

fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut v = value;
    for p in path {
        v = v.get(p)?;
    }
    v.as_str()
}

fn required<'a>(value: &'a Value, path: &[&str]) -> Result<&'a str> {
    str_at(value, path)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::invalid_notification(format!("missing string `{}`", path.join("."))))
}

fn size_at(value: &Value, path: &[&str]) -> Option<u64> {
    let mut v = value;
    for p in path {
        v = v.get(p)?;
    }
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn etag(value: Option<&str>) -> Option<String> {
    value
        .map(|s| s.trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
}

fn parse_detail(detail: &Value, time: Option<String>) -> Result<ObjectRef> {
    let bucket = required(detail, &["bucket", "name"])?;
    let key = decode_key(required(detail, &["object", "key"])?)?;
    Ok(ObjectRef {
        bucket: bucket.to_owned(),
        key,
        size: size_at(detail, &["object", "size"]),
        etag: etag(str_at(detail, &["object", "etag"])),
        sequencer: str_at(detail, &["object", "sequencer"]).map(str::to_owned),
        event_time: time,
    })
}

fn parse_records(records: &Value) -> Result<Notification> {
    let Value::Array(records) = records else {
        return Err(Error::invalid_notification("`Records` is not an array"));
    };
    if records.is_empty() {
        return Err(Error::invalid_notification("`Records` is empty"));
    }
    let mut out = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let ctx = |e: Error| Error::invalid_notification(format!("record {i}: {}", e.message()));
        if let Some(name) = str_at(record, &["eventName"])
            && !name.starts_with("ObjectCreated")
        {
            continue;
        }
        let bucket = required(record, &["s3", "bucket", "name"]).map_err(ctx)?;
        let key =
            decode_key(required(record, &["s3", "object", "key"]).map_err(ctx)?).map_err(ctx)?;
        out.push(ObjectRef {
            bucket: bucket.to_owned(),
            key,
            size: size_at(record, &["s3", "object", "size"]),
            etag: etag(
                str_at(record, &["s3", "object", "eTag"])
                    .or_else(|| str_at(record, &["s3", "object", "etag"])),
            ),
            sequencer: str_at(record, &["s3", "object", "sequencer"]).map(str::to_owned),
            event_time: str_at(record, &["eventTime"]).map(str::to_owned),
        });
    }
    Ok(Notification::Objects(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn decode_keys() -> Result<()> {
        assert_eq!(decode_key("plain/key.parquet")?, "plain/key.parquet");
        assert_eq!(decode_key("a+b")?, "a b");
        assert_eq!(decode_key("a%2Bb")?, "a+b");
        assert_eq!(decode_key("bad%zz")?, "bad%zz");
        assert!(decode_key("%ff%fe").is_err());
        Ok(())
    }

    #[test]
    fn malformed_never_panics() {
        for body in [
            &b""[..],
            b"null",
            b"[]",
            b"{",
            b"{}",
            b"{\"detail\": 1}",
            b"{\"detail\": {\"bucket\": {\"name\": \"b\"}}}",
            b"{\"detail\": {\"object\": {\"key\": \"k\"}}}",
            b"{\"Records\": 3}",
            b"{\"Records\": []}",
            b"{\"Records\": [{\"s3\": {}}]}",
            b"\xff\xfe",
        ] {
            let err = parse_notification(body).err();
            assert_eq!(
                err.map(|e| e.kind()),
                Some(ErrorKind::InvalidNotification),
                "{body:?}"
            );
        }
    }
}

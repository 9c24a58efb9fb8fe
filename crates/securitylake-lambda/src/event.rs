//! What an invocation asks for: the objects of an S3 event, of the S3 notifications in an SQS
//! batch, of an EventBridge `Object Created` event, or of a resume request.

use aws_lambda_events::sqs::SqsEvent;
use securitylake_subscriber::notification::{Notification, parse_notification};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// One object to transform, from `offset` (a batch boundary in its decompressed content) on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectTask {
    /// The staging bucket.
    pub bucket: String,
    /// The object key (decoded).
    pub key: String,
    /// Where to start, in bytes of the decompressed content: 0, or the `resume_offset` of an
    /// earlier report.
    #[serde(default)]
    pub offset: u64,
    /// The SQS message that announced the object, when the invocation came from SQS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// A resume request: the `remaining` list of an earlier report, given back as the payload
/// (`{"resume": [{"bucket": ..., "key": ..., "offset": ...}]}`).
#[derive(Debug, Clone, Deserialize)]
struct Resume {
    resume: Vec<ObjectTask>,
}

/// The invocation's objects, and whether it came from SQS (then the response is an
/// `SqsBatchResponse`). A message whose body is no S3 notification is returned as a task with
/// an empty key and is reported as failed.
pub(crate) fn tasks(payload: Value) -> Result<(Vec<ObjectTask>, bool)> {
    let source = payload
        .get("Records")
        .and_then(|r| r.get(0))
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str);
    if source == Some("aws:sqs") {
        let event: SqsEvent = serde_json::from_value(payload).map_err(|e| {
            Error::new(ErrorKind::InvalidInput, format!("not an SQS event: {e}")).with_source(e)
        })?;
        let mut out = Vec::new();
        for message in event.records {
            let id = message.message_id.unwrap_or_default();
            let body = message.body.unwrap_or_default();
            match parse_notification(body.as_bytes()) {
                Ok(Notification::Objects(objects)) => {
                    out.extend(objects.into_iter().map(|o| ObjectTask {
                        bucket: o.bucket,
                        key: o.key,
                        offset: 0,
                        message_id: Some(id.clone()),
                    }));
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(message_id = %id, error = %e, "SQS message is no S3 notification");
                    out.push(ObjectTask {
                        bucket: String::new(),
                        key: String::new(),
                        offset: 0,
                        message_id: Some(id),
                    });
                }
            }
        }
        return Ok((out, true));
    }
    if payload.get("resume").is_some() {
        let resume: Resume = serde_json::from_value(payload).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("not a resume request: {e}"),
            )
            .with_source(e)
        })?;
        return Ok((resume.resume, false));
    }
    // S3 event notifications (`Records`) and EventBridge events (`detail`) have the bodies the
    // subscriber crate parses.
    let body = serde_json::to_vec(&payload)
        .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("payload: {e}")).with_source(e))?;
    match parse_notification(&body)? {
        Notification::Objects(objects) => Ok((
            objects
                .into_iter()
                .map(|o| ObjectTask {
                    bucket: o.bucket,
                    key: o.key,
                    offset: 0,
                    message_id: None,
                })
                .collect(),
            false,
        )),
        _ => Ok((Vec::new(), false)),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn s3_sqs_and_resume_payloads() {
        let s3 = serde_json::json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "staging"}, "object": {"key": "logs/a+b%3D1.gz", "size": 3}}}]});
        let (tasks, sqs) = super::tasks(s3).expect("s3");
        assert!(!sqs);
        assert_eq!(
            (tasks[0].bucket.as_str(), tasks[0].key.as_str()),
            ("staging", "logs/a b=1.gz")
        );

        let body = serde_json::json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "staging"}, "object": {"key": "x.log"}}}]}).to_string();
        let sqs_event = serde_json::json!({"Records": [
            {"messageId": "m1", "eventSource": "aws:sqs", "body": body},
            {"messageId": "m2", "eventSource": "aws:sqs", "body": "not json"}]});
        let (tasks, sqs) = super::tasks(sqs_event).expect("sqs");
        assert!(sqs);
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks[0].message_id.as_deref(), Some("m1"));
        assert_eq!(
            (tasks[1].key.as_str(), tasks[1].message_id.as_deref()),
            ("", Some("m2"))
        );

        let resume =
            serde_json::json!({"resume": [{"bucket": "staging", "key": "x.log", "offset": 42}]});
        let (tasks, _) = super::tasks(resume).expect("resume");
        assert_eq!(tasks[0].offset, 42);

        assert!(super::tasks(serde_json::json!({"hello": 1})).is_err());
    }
}

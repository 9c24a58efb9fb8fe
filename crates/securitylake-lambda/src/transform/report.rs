//! What a transform invocation did, per object: the function's response (or, when something
//! remains, its error message).

use std::collections::BTreeMap;

use serde::Serialize;

/// What became of one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ObjectStatus {
    /// Every line was read and its events are in the lake (or dead-lettered).
    Done,
    /// The object could not be transformed; nothing of the batch that failed was written.
    Failed,
    /// Reading stopped before the deadline: the lines from `resume_offset` on were not
    /// written; invoke again with a resume request, or retry the event (the batches already
    /// written are rewritten as the same objects, a no-op).
    Remaining,
}

/// The report of one object.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ObjectReport {
    /// The staging bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// The SQS message that announced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// What became of it.
    pub status: ObjectStatus,
    /// Where this invocation started reading (bytes of decompressed content).
    pub start_offset: u64,
    /// Where to resume (a batch boundary), when the status is not `done`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_offset: Option<u64>,
    /// The mapper used (`linux`, `deep-security`, `ocsf-json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapper: Option<&'static str>,
    /// Whether the object was gzip.
    pub gzip: bool,
    /// Lines read into completed batches.
    pub lines: u64,
    /// Batches completed (each one flush).
    pub batches: u64,
    /// Events written, by class uid.
    pub events: BTreeMap<i32, u64>,
    /// Lake objects put by this invocation.
    pub objects_written: u64,
    /// Lake objects that were present already (a retry: same content, same key).
    pub objects_present: u64,
    /// Events and OCSF JSON lines dead-lettered.
    pub dead_letters: u64,
    /// The keys of the dead-letter files in the staging bucket.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dead_letter_keys: Vec<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether the failure may go away on a retry.
    pub retryable: bool,
}

impl ObjectReport {
    pub(crate) fn new(bucket: &str, key: &str, message_id: Option<String>, offset: u64) -> Self {
        Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            message_id,
            status: ObjectStatus::Done,
            start_offset: offset,
            resume_offset: None,
            mapper: None,
            gzip: false,
            lines: 0,
            batches: 0,
            events: BTreeMap::new(),
            objects_written: 0,
            objects_present: 0,
            dead_letters: 0,
            dead_letter_keys: Vec::new(),
            error: None,
            retryable: false,
        }
    }
}

/// The report of an invocation.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct TransformReport {
    /// Per object, in the order of the event.
    pub objects: Vec<ObjectReport>,
    /// What is left to do (objects stopped by the deadline, retryable failures): give
    /// `{"resume": <this list>}` as a payload to go on.
    pub remaining: Vec<Remaining>,
}

/// An object (from an offset) left undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Remaining {
    /// The staging bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// Where to resume.
    pub offset: u64,
}

impl TransformReport {
    pub(crate) fn push(&mut self, object: ObjectReport) {
        // A permanent failure is not worth resuming: it is reported, not listed here.
        if let Some(offset) = object.resume_offset
            && (object.status == ObjectStatus::Remaining || object.retryable)
            && !object.key.is_empty()
        {
            self.remaining.push(Remaining {
                bucket: object.bucket.clone(),
                key: object.key.clone(),
                offset,
            });
        }
        self.objects.push(object);
    }

    /// Whether every object is done.
    pub fn is_complete(&self) -> bool {
        self.objects.iter().all(|o| o.status == ObjectStatus::Done)
    }
}

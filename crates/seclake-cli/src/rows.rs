//! Rows of a lake object as JSON: decoded to typed events when the class
//! and version are compiled in, otherwise generically (dynamic events).

use arrow_array::RecordBatch;
use ocsf_model::columnar::decode_batch;
use ocsf_model::{ClassVisitor, OcsfEvent};
use securitylake_subscriber::reader::{ObjectInfo, batch_to_dynamic};
use serde_json::Value;

use crate::error::{Error, Result};

/// How rows were decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoding {
    /// Typed events of the detected class.
    Typed,
    /// Generic Arrow-to-JSON conversion.
    Dynamic,
}

struct TypedDecode<'a> {
    uid: i32,
    batch: &'a RecordBatch,
    out: Option<std::result::Result<Vec<Value>, String>>,
}

impl ClassVisitor for TypedDecode<'_> {
    fn visit<E: OcsfEvent>(&mut self) {
        if self.out.is_some() || E::CLASS_UID != self.uid {
            return;
        }
        self.out = Some(
            decode_batch::<E>(self.batch)
                .map_err(|e| e.to_string())
                .and_then(|events| {
                    events
                        .iter()
                        .map(serde_json::to_value)
                        .collect::<std::result::Result<Vec<_>, _>>()
                        .map_err(|e| e.to_string())
                }),
        );
    }
}

/// Decodes a batch as typed events of the object's class when possible,
/// else as dynamic events; says which one was used.
pub fn batch_json(info: &ObjectInfo, batch: &RecordBatch) -> Result<(Vec<Value>, Decoding)> {
    if let Some(uid) = info.class_uid {
        let mut visitor = TypedDecode {
            uid,
            batch,
            out: None,
        };
        match info.ocsf_version.as_deref() {
            Some("1.1.0") => ocsf_model::v1_1_0::visit_classes(&mut visitor),
            Some("1.0.0-rc.2") => ocsf_model::v1_0_0_rc2::visit_classes(&mut visitor),
            _ => {}
        }
        match visitor.out {
            Some(Ok(rows)) => return Ok((rows, Decoding::Typed)),
            Some(Err(e)) => {
                tracing::warn!(key = %info.object.key, error = %e, "typed decoding failed; rows are shown generically");
            }
            None => {}
        }
    }
    let rows = batch_to_dynamic(batch)?
        .into_iter()
        .map(|e| Value::Object(e.0))
        .collect();
    Ok((rows, Decoding::Dynamic))
}

/// Maps a subscriber error to the CLI's error with context.
pub fn read_error(key: &str, err: securitylake_subscriber::Error) -> Error {
    let mut e = Error::from(err);
    e = Error::new(e.kind(), format!("reading {key}: {e}")).with_source(e);
    e
}

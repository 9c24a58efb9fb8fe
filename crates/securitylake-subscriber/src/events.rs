//! Reading an object of any class, or of several, as OCSF 1.1.0 [`Event`]s: each run of rows
//! of one `class_uid` is decoded by that class's typed decoder; rows of a class 1.1.0 does not
//! define are kept as [`UnrecognizedEvent`]s with every attribute.

use std::any::Any;
use std::collections::HashMap;
use std::sync::OnceLock;

use arrow_array::{Array, Int32Array, RecordBatch};
use ocsf_model::columnar::decode_batch;
use ocsf_model::v1_1_0::Event;
use ocsf_model::{ClassVisitor, OcsfEvent, UnrecognizedEvent};

use crate::error::{Error, Result};
use crate::reader::{EventStream, ObjectReader, batch_to_dynamic, decoded_stream};

type Decode = fn(&RecordBatch) -> Result<Vec<Event>>;

/// Decodes rows of class `E` typed and moves them into [`Event`]. The registry holds only the
/// classes of OCSF 1.1.0, whose `E::Event` is [`Event`]: the generic vector is taken as that type
/// (no copy, no per-event work).
fn decode<E: OcsfEvent>(batch: &RecordBatch) -> Result<Vec<Event>> {
    let events: Vec<E::Event> = decode_batch::<E>(batch)?
        .into_iter()
        .map(E::Event::from)
        .collect();
    let events: Box<dyn Any> = Box::new(events);
    events.downcast::<Vec<Event>>().map(|v| *v).map_err(|_| {
        Error::invalid_object(format!(
            "{} is not a class of OCSF 1.1.0's Event",
            E::CLASS_NAME
        ))
    })
}

struct Registry(HashMap<i32, Decode>);

impl ClassVisitor for Registry {
    fn visit<E: OcsfEvent>(&mut self) {
        self.0.insert(E::CLASS_UID, decode::<E> as Decode);
    }
}

fn registry() -> &'static HashMap<i32, Decode> {
    static REGISTRY: OnceLock<HashMap<i32, Decode>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r = Registry(HashMap::new());
        ocsf_model::v1_1_0::visit_classes(&mut r);
        r.0
    })
}

/// The rows of a batch as events, run by run of one `class_uid`.
fn batch_events(batch: &RecordBatch) -> Result<Vec<Event>> {
    let uids = batch
        .column_by_name("class_uid")
        .and_then(|c| c.as_any().downcast_ref::<Int32Array>())
        .ok_or_else(|| Error::invalid_object("the rows have no int32 class_uid column"))?;
    let mut out = Vec::with_capacity(batch.num_rows());
    let mut start = 0;
    while start < batch.num_rows() {
        if uids.is_null(start) {
            return Err(Error::invalid_object(format!(
                "row {start} has no class_uid"
            )));
        }
        let uid = uids.value(start);
        let mut end = start + 1;
        while end < batch.num_rows() && !uids.is_null(end) && uids.value(end) == uid {
            end += 1;
        }
        let run = batch.slice(start, end - start);
        match registry().get(&uid) {
            Some(decode) => out.extend(decode(&run)?),
            None => {
                for row in batch_to_dynamic(&run)? {
                    let event = UnrecognizedEvent::from_fields(row.0).map_err(|e| {
                        Error::invalid_object(format!("class_uid {uid}: {e}")).with_source(e)
                    })?;
                    out.push(Event::from(event));
                }
            }
        }
        start = end;
    }
    Ok(out)
}

/// See [`LakeObject::events`](crate::LakeObject::events).
pub(crate) fn events(reader: &ObjectReader) -> Result<EventStream<Event>> {
    if let Some(v) = &reader.info().ocsf_version
        && v != "1.1.0"
    {
        return Err(Error::invalid_object(format!(
            "object {} holds OCSF {v}; events() reads OCSF 1.1.0 (read it with dynamic())",
            reader.info().object.key
        )));
    }
    Ok(decoded_stream(reader.typed_stream()?, batch_events))
}

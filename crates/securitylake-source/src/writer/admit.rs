//! Writes that hand refused events back instead of failing: what a router
//! needs to dead-letter one bad event and keep the rest of the stream.
//!
//! An event is *refused* when the writer's own check of it fails with
//! [`ErrorKind::InvalidInput`] (its time is before 1970 or more than
//! `max_future_skew` ahead, it does not fit in one file, it does not
//! serialize): nothing of it was written, and the same event would be
//! refused again. Every other error (an encoding or upload failure, an I/O
//! error of the spool) is returned as an error, as by [`Writer::write`].

use ocsf_model::OcsfEvent;

use super::{Prepared, Writer};
use crate::error::{Error, ErrorKind, Result};

/// What [`Writer::admit`] did with an event.
#[derive(Debug)]
pub(crate) enum Admission<E> {
    /// The event was accepted, as by [`Writer::write`].
    Accepted,
    /// The event was refused (nothing written): the event and the reason.
    Refused(E, Error),
}

/// A checked event ready to append, or the refused event and its reason.
type Checked<E> = std::result::Result<(Prepared, Vec<u8>), (E, Error)>;

impl<E: OcsfEvent> Writer<E> {
    /// Checks one event; a refused event is handed back with its reason.
    fn check(&self, event: E) -> Result<Checked<E>> {
        match self.prepare(&event) {
            Ok(prepared) => Ok(Ok(prepared)),
            Err(err) if err.kind() == ErrorKind::InvalidInput => Ok(Err((event, err))),
            Err(err) => Err(err),
        }
    }

    /// [`Writer::write`], except that an event the writer refuses as invalid
    /// is handed back with the reason instead of failing the call.
    pub(crate) async fn admit(&mut self, event: E) -> Result<Admission<E>> {
        match self.check(event)? {
            Ok((prepared, payload)) => {
                self.write_prepared(&prepared, &payload).await?;
                Ok(Admission::Accepted)
            }
            Err((event, reason)) => Ok(Admission::Refused(event, reason)),
        }
    }

    /// [`Writer::write_batch`], except that the events the writer refuses
    /// are left out of the batch and handed back with their reasons (the
    /// others are accepted, with one fsync per touched partition).
    pub(crate) async fn admit_batch(&mut self, events: Vec<E>) -> Result<Vec<(E, Error)>> {
        let mut prepared = Vec::with_capacity(events.len());
        let mut payloads = Vec::new();
        let mut refused = Vec::new();
        for event in events {
            let start = payloads.len();
            match self.prepare_into(&event, &mut payloads) {
                Ok(p) => prepared.push(p),
                Err(err) if err.kind() == ErrorKind::InvalidInput => {
                    // A payload serialized before a later check failed.
                    payloads.truncate(start);
                    refused.push((event, err));
                }
                Err(err) => return Err(err),
            }
        }
        if !prepared.is_empty() {
            self.append_batch(prepared, &payloads).await?;
        }
        Ok(refused)
    }
}

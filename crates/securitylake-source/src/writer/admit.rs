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

use super::Writer;
use super::place::Placed;
use crate::error::{Error, ErrorKind, Result};

/// What [`Writer::admit`] did with an event.
#[derive(Debug)]
pub(crate) enum Admission<E> {
    /// The event was accepted, as by [`Writer::write`].
    Accepted,
    /// The event was refused (nothing written): the event and the reason.
    Refused(E, Error),
}

impl<E: OcsfEvent> Writer<E> {
    /// [`Writer::write`], except that an event the writer refuses as invalid
    /// is handed back with the reason instead of failing the call.
    pub(crate) async fn admit(&mut self, event: E) -> Result<Admission<E>> {
        let prepared = match self.prepare(&event) {
            Ok(prepared) => prepared,
            Err(err) if err.kind() == ErrorKind::InvalidInput => {
                return Ok(Admission::Refused(event, err));
            }
            Err(err) => return Err(err),
        };
        match self.write_prepared(&prepared, &event).await? {
            Placed::Kept => Ok(Admission::Accepted),
            Placed::TooLarge(reason) => Ok(Admission::Refused(event, reason)),
        }
    }

    /// [`Writer::write_batch`], except that the events the writer refuses
    /// are left out of the batch and handed back with their reasons (the
    /// others are accepted, with one fsync per touched partition).
    pub(crate) async fn admit_batch(&mut self, events: Vec<E>) -> Result<Vec<(E, Error)>> {
        let mut prepared = Vec::with_capacity(events.len());
        let mut checked = Vec::with_capacity(events.len());
        let mut refused = Vec::new();
        for event in events {
            match self.prepare(&event) {
                Ok(p) => {
                    prepared.push(p);
                    checked.push(Some(event));
                }
                Err(err) if err.kind() == ErrorKind::InvalidInput => refused.push((event, err)),
                Err(err) => return Err(err),
            }
        }
        if prepared.is_empty() {
            return Ok(refused);
        }
        let events: Vec<E> = checked.into_iter().flatten().collect();
        let refs: Vec<&E> = events.iter().collect();
        let too_large = self.append_batch(prepared, &refs, false).await?;
        if !too_large.is_empty() {
            let mut events: Vec<Option<E>> = events.into_iter().map(Some).collect();
            for (i, err) in too_large {
                if let Some(event) = events.get_mut(i).and_then(Option::take) {
                    refused.push((event, err));
                }
            }
        }
        Ok(refused)
    }
}

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
pub(crate) enum Admission {
    /// The event was accepted, as by [`Writer::write`].
    Accepted,
    /// The event was refused (nothing written), for this reason.
    Refused(Error),
}

impl<E: OcsfEvent> Writer<E> {
    /// [`Writer::write`], except that an event the writer refuses as invalid
    /// is reported with the reason instead of failing the call.
    pub(crate) async fn admit(&mut self, event: &E) -> Result<Admission> {
        let prepared = match self.prepare(event) {
            Ok(prepared) => prepared,
            Err(err) if err.kind() == ErrorKind::InvalidInput => {
                return Ok(Admission::Refused(err));
            }
            Err(err) => return Err(err),
        };
        match self.write_prepared(&prepared, event).await? {
            Placed::Kept => Ok(Admission::Accepted),
            Placed::TooLarge(reason) => Ok(Admission::Refused(reason)),
        }
    }

    /// [`Writer::write_batch`], except that the events the writer refuses
    /// are left out of the batch and reported by their index in `events`
    /// with their reasons (the others are accepted, with one fsync per
    /// touched partition).
    pub(crate) async fn admit_batch(&mut self, events: &[&E]) -> Result<Vec<(usize, Error)>> {
        let mut prepared = Vec::with_capacity(events.len());
        let mut checked = Vec::with_capacity(events.len());
        // Indexes in `events` of the checked events.
        let mut at = Vec::new();
        let mut refused = Vec::new();
        for (i, &event) in events.iter().enumerate() {
            match self.prepare(event) {
                Ok(p) => {
                    prepared.push(p);
                    checked.push(event);
                    at.push(i);
                }
                Err(err) if err.kind() == ErrorKind::InvalidInput => refused.push((i, err)),
                Err(err) => return Err(err),
            }
        }
        if prepared.is_empty() {
            return Ok(refused);
        }
        let too_large = self.append_batch(prepared, &checked, false).await?;
        refused.extend(too_large.into_iter().map(|(i, err)| (at[i], err)));
        refused.sort_by_key(|(i, _)| *i);
        Ok(refused)
    }
}

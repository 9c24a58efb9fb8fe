//! Placing an accepted event in its partition's open segment: the event is
//! encoded once, into the segment's column buffers; what it added there is
//! its encoded size, which [`Sizing`](super::sizing::Sizing) turns into the
//! bytes it is expected to take in the sealed file. When it does not fit
//! where it was encoded (larger than any file may hold, the segment must
//! roll first, or the memory bound is reached), it is taken back out of the
//! buffers, room is made, and it is encoded again where it fits: a second
//! encoding only at a roll, never per event.

use std::sync::atomic::Ordering;

use ocsf_model::OcsfEvent;
use securitylake_core::layout::PartitionKey;

use super::early::{EARLY_WAIT_BYTES, EarlySeal};
use super::open_wal::OpenWal;
use super::segments::Segment;
use super::{Prepared, Writer};
use crate::error::{Error, ErrorKind, Result};
use crate::spool::{SegmentHeader, WAL_FORMAT};

/// What placing an event did.
#[derive(Debug)]
pub(super) enum Placed {
    /// The event is in its segment.
    Kept,
    /// The event does not fit in one file or in `max_buffered_bytes`;
    /// nothing of it was kept.
    TooLarge(Error),
}

impl Placed {
    /// A refusal as an error.
    pub fn into_result(self) -> Result<()> {
        match self {
            Placed::Kept => Ok(()),
            Placed::TooLarge(err) => Err(err),
        }
    }
}

/// Where an encoded event stands against the limits.
enum Fit {
    Fits,
    TooLarge(Error),
    /// The segment must roll, or the memory bound must be made room for.
    NeedsRoom,
}

impl<E: OcsfEvent> Writer<E> {
    /// The partition's open segment, opened (its write-ahead file created
    /// with its header and schema records) when it has none.
    pub(super) fn open_segment(
        &mut self,
        partition: &PartitionKey,
        time: i64,
    ) -> Result<&mut Segment<OpenWal<E>>> {
        if !self.segments.contains(partition) {
            let header = SegmentHeader {
                format: WAL_FORMAT,
                class_uid: E::CLASS_UID,
                class_name: E::CLASS_NAME.to_owned(),
                partition: partition.to_string(),
            };
            let mut wal = self.spool.create_wal(&header)?;
            wal.append(&self.schema)?;
            let mut wal = OpenWal::new(wal, &self.config.columnar, self.frames.clone())?;
            if self.sealer.seals_early() {
                // An optimisation only: if it cannot start, the segment is
                // sealed from its write-ahead file when it rolls.
                match (self.spool.begin_seal(wal.wal.id), self.encoder.sender()) {
                    (Ok(file), Ok(jobs)) => {
                        let shared = self.early.clone();
                        wal.early = Some(EarlySeal::new(jobs, file, E::CLASS_NAME, shared));
                    }
                    (Err(err), _) | (_, Err(err)) => {
                        tracing::debug!(error = %err, "segment not sealed while open");
                    }
                }
            }
            self.stats.spool_syncs += 1;
            let now = self.config.clock.now_millis();
            self.segments
                .insert(partition.clone(), Segment::new(wal, now, time));
        }
        self.segments
            .get_mut(partition)
            .ok_or_else(|| Error::new(ErrorKind::Io, "open segment vanished"))
    }

    /// Encodes the event into its segment: its encoded bytes and the bytes
    /// it counts for.
    fn encode_event(&mut self, prepared: &Prepared, event: &E) -> Result<(u64, u64)> {
        let segment = self.open_segment(&prepared.partition, prepared.time)?;
        let encoded = segment.spool.encode(event);
        Ok((encoded, self.sizing.stored(encoded)))
    }

    /// Where an event of `size` bytes, encoded into `partition`'s segment,
    /// stands; `extra` is what the write reserves beyond it.
    fn fit(&self, partition: &PartitionKey, size: u64, extra: u64) -> Fit {
        let room = self.segments.limits().room();
        if size > room {
            return Fit::TooLarge(Error::invalid_input(format!(
                "an event of {size} bytes does not fit in one file or in `max_buffered_bytes` ({room} bytes)"
            )));
        }
        if self.segments.needs_roll(partition, size)
            || self.stats.buffered_bytes + size + extra > self.config.max_buffered_bytes
        {
            return Fit::NeedsRoom;
        }
        Fit::Fits
    }

    /// Takes back the event just encoded into `partition`'s segment; a
    /// segment left without events is closed and its file removed.
    fn retract(&mut self, partition: &PartitionKey, event: &E, encoded: u64) -> Result<()> {
        let segment = self
            .segments
            .get_mut(partition)
            .ok_or_else(|| Error::new(ErrorKind::Io, "open segment vanished"))?;
        segment.spool.retract(event, encoded)?;
        if segment.rows == 0
            && let Some(empty) = self.segments.take(partition)
        {
            self.spool.remove_wal(&empty.spool.wal.path)?;
        }
        Ok(())
    }

    /// Keeps the event just encoded, counted at `size` bytes.
    fn keep(&mut self, prepared: &Prepared, size: u64, encoded: u64) -> Result<()> {
        let segment = self
            .segments
            .get_mut(&prepared.partition)
            .ok_or_else(|| Error::new(ErrorKind::Io, "open segment vanished"))?;
        segment.spool.keep(size)?;
        segment.push(prepared.time, size, encoded);
        self.stats.buffered_bytes += size;
        self.stats.peak_buffered_bytes = self
            .stats
            .peak_buffered_bytes
            .max(self.stats.buffered_bytes);
        self.stats.events_accepted += 1;
        Ok(())
    }

    /// Places a checked event, making room first when it needs it (rolling
    /// its segment, or waiting for the memory bound); `extra` is what the
    /// write reserves beyond the event, and `touched` the partitions whose
    /// appended events are made durable before anything is sealed.
    pub(super) async fn place(
        &mut self,
        prepared: &Prepared,
        event: &E,
        extra: u64,
        touched: &[PartitionKey],
    ) -> Result<Placed> {
        if self.early.queued.load(Ordering::Relaxed) > EARLY_WAIT_BYTES {
            // The encoder thread is behind the segments it seals while
            // open: wait for it rather than let their frames pile up.
            self.encoder.run(|| ()).await?;
        }
        let (encoded, size) = self.encode_event(prepared, event)?;
        match self.fit(&prepared.partition, size, extra) {
            Fit::Fits => {}
            Fit::TooLarge(err) => {
                self.retract(&prepared.partition, event, encoded)?;
                return Ok(Placed::TooLarge(err));
            }
            Fit::NeedsRoom => {
                self.retract(&prepared.partition, event, encoded)?;
                self.commit_all(touched)?;
                self.make_room(&prepared.partition, size, size + extra)
                    .await?;
                let (encoded, size) = self.encode_event(prepared, event)?;
                self.keep(prepared, size, encoded)?;
                return Ok(Placed::Kept);
            }
        }
        self.keep(prepared, size, encoded)?;
        Ok(Placed::Kept)
    }

    /// Places a checked event without waiting: fails with
    /// [`ErrorKind::Backpressure`] when room must be made first.
    pub(super) fn try_place(&mut self, prepared: &Prepared, event: &E, extra: u64) -> Result<()> {
        let (encoded, size) = self.encode_event(prepared, event)?;
        match self.fit(&prepared.partition, size, extra) {
            Fit::Fits => self.keep(prepared, size, encoded),
            Fit::TooLarge(err) => {
                self.retract(&prepared.partition, event, encoded)?;
                Err(err)
            }
            Fit::NeedsRoom => {
                self.retract(&prepared.partition, event, encoded)?;
                Err(Error::new(
                    ErrorKind::Backpressure,
                    format!(
                        "{} bytes buffered of {}: a segment must be uploaded first",
                        self.stats.buffered_bytes, self.config.max_buffered_bytes
                    ),
                ))
            }
        }
    }
}

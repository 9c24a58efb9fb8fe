//! The seal and upload pipeline of a [`Writer`]: rolling a segment hands
//! its encoding to the encoder thread, a finished encoding is made durable
//! as a sealed file and queued for upload, and uploads run one at a time.
//! Every step is bounded (see [Pipelining](super#pipelining)).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use ocsf_model::OcsfEvent;
use ocsf_model::columnar::EncodeStats;
use securitylake_core::layout::{Codec, ObjectName, PartitionKey};

use super::Writer;
use super::open_wal::OpenWal;
use super::sealer::{Encoded, EncoderThread, MAX_SEALING, Sealing};
use super::segments::{Segment, Slot};
use super::uploader::MAX_PENDING;
use crate::error::Result;
use crate::spool::{SEALED_FORMAT, SealFile, SealedHeader, WAL_FORMAT};

impl<E: OcsfEvent> Writer<E> {
    /// Encodes a segment to Parquet into its sealed file off the async
    /// executor, reading its events from the write-ahead file at `path`.
    /// Gives the slots back with the result so that a failed encoding loses
    /// nothing.
    pub(super) async fn encode(
        &mut self,
        path: PathBuf,
        format: u32,
        slots: Vec<Slot>,
        max_event_bytes: u64,
        out: SealFile,
    ) -> Result<(Vec<Slot>, Result<(SealFile, EncodeStats)>)> {
        let sealer = self.sealer.clone();
        let cancel = Arc::new(AtomicBool::new(false));
        self.encoder
            .run(move || {
                let mut slots = slots;
                let result = sealer.seal(&path, format, &mut slots, max_event_bytes, &cancel, out);
                (slots, result)
            })
            .await
    }

    /// Starts sealing a partition's open segment in the background (see
    /// [`Self::start_seal`]).
    pub(super) async fn seal(&mut self, partition: &PartitionKey) -> Result<()> {
        if !self.segments.contains(partition) {
            return Ok(());
        }
        self.make_seal_room().await?;
        let Some(segment) = self.segments.take(partition) else {
            return Ok(());
        };
        self.start_seal(partition.clone(), segment)
    }

    /// Starts sealing a segment, without waiting: fsyncs the write-ahead
    /// file, then hands the encoding to the encoder thread.
    /// [`Self::finish_sealing`] completes it. On an error the segment is put
    /// back ([`SegmentTable::restore`](super::segments::SegmentTable::restore)). Callers wait for room first
    /// ([`Self::make_seal_room`]) while the segment is still in the segment
    /// table, so that a future dropped during that wait loses nothing.
    pub(super) fn start_seal(
        &mut self,
        partition: PartitionKey,
        mut segment: Segment<OpenWal<E>>,
    ) -> Result<()> {
        if let Err(err) = segment.spool.sync() {
            self.segments.restore(partition, segment);
            return Err(err);
        }
        let extra = std::mem::take(&mut segment.spool.unaccounted);
        segment.spool.extra_total += extra;
        self.stats.buffered_bytes += extra;
        // Sealed while open: only the footer is left, unless the early file
        // was given up (then, or if finishing it fails, from the spool).
        let early = segment.spool.early.take().and_then(|early| early.finish());
        // The file to seal from the spool into: now, unless the early file
        // should do (then only if finishing it fails, on the encoder thread).
        let file = match early {
            Some(_) => None,
            None => match self.spool.begin_seal(segment.spool.wal.id) {
                Ok(file) => Some(file),
                Err(err) => {
                    self.segments.restore(partition, segment);
                    return Err(err);
                }
            },
        };
        let (dir, id) = (self.spool.dir().to_path_buf(), segment.spool.wal.id);
        let rows = segment.rows;
        let path = segment.spool.wal.path.clone();
        let sealer = self.sealer.clone();
        let max_event_bytes = segment.max_event_bytes;
        let cancel = Arc::new(AtomicBool::new(false));
        let cancelled = cancel.clone();
        let submitted = self.encoder.submit(move || {
            // A columnar segment is sealed from its frames: no slots.
            let mut slots = Vec::new();
            let result = match early.map(|finish| finish(&cancelled)) {
                Some(Ok(sealed)) => Ok(sealed),
                _ => file
                    .map_or_else(|| SealFile::create(&dir, id), Ok)
                    .and_then(|file| {
                        sealer.seal(
                            &path,
                            WAL_FORMAT,
                            &mut slots,
                            max_event_bytes,
                            &cancelled,
                            file,
                        )
                    }),
            };
            (slots, result)
        });
        match submitted {
            Ok(done) => {
                self.sealing.push_back(Sealing {
                    partition,
                    segment,
                    rows,
                    done,
                    cancel,
                });
                Ok(())
            }
            Err(err) => {
                // The segment leaves memory but not the spool, and a reopen
                // recovers it.
                self.stats.buffered_bytes -= segment.bytes + segment.spool.extra_total;
                Err(err)
            }
        }
    }

    /// Waits until another seal may start: fewer than [`MAX_SEALING`](super::sealer::MAX_SEALING)
    /// segments being encoded and fewer than [`MAX_PENDING`](super::uploader::MAX_PENDING) waiting for
    /// their upload.
    pub(super) async fn make_seal_room(&mut self) -> Result<()> {
        while self.sealing.len() >= MAX_SEALING {
            self.finish_oldest_seal().await?;
        }
        while self.uploads.len() >= MAX_PENDING {
            self.finish_upload(true).await?;
        }
        Ok(())
    }

    /// Waits for the oldest background seal and completes it.
    pub(super) async fn finish_oldest_seal(&mut self) -> Result<()> {
        // Waits with the seal still in the queue, so that a caller's future
        // dropped during the wait (a timeout, a `select!`) leaves it there
        // for the next call instead of losing track of the segment.
        let Some(front) = self.sealing.front_mut() else {
            return Ok(());
        };
        let received = (&mut front.done).await;
        let Some(sealing) = self.sealing.pop_front() else {
            return Ok(());
        };
        self.finish_sealing(sealing, EncoderThread::outcome(received))
    }

    /// Completes the background seals that finished, oldest first, without
    /// waiting.
    pub(super) fn try_finish_seals(&mut self) -> Result<()> {
        while let Some(front) = self.sealing.front_mut() {
            let received = match front.done.try_recv() {
                Ok(value) => Ok(value),
                Err(tokio::sync::oneshot::error::TryRecvError::Empty) => break,
                Err(tokio::sync::oneshot::error::TryRecvError::Closed) => Err(()),
            };
            let Some(sealing) = self.sealing.pop_front() else {
                break;
            };
            let outcome = EncoderThread::outcome(received);
            self.finish_sealing(sealing, outcome)?;
        }
        Ok(())
    }

    /// Completes a seal whose encoding ended: makes the sealed file durable
    /// (replacing the write-ahead file) and queues its upload; the events
    /// leave `buffered_bytes`. A failed encoding puts the segment back
    /// ([`SegmentTable::restore`](super::segments::SegmentTable::restore)) and returns the error; if the encoder itself
    /// failed (a panic, a dead thread), or the sealed file cannot be made
    /// durable, the segment leaves memory but its write-ahead file stays in
    /// the spool, and a reopen recovers it.
    pub(super) fn finish_sealing(
        &mut self,
        sealing: Sealing<OpenWal<E>>,
        outcome: Result<Encoded>,
    ) -> Result<()> {
        let Sealing {
            partition,
            segment,
            rows,
            ..
        } = sealing;
        let (_, result) = match outcome {
            Ok(pair) => pair,
            Err(err) => {
                self.stats.buffered_bytes -= segment.bytes + segment.spool.extra_total;
                return Err(err);
            }
        };
        let (file, encoding) = match result {
            Ok(done) => done,
            Err(err) => {
                self.segments.restore(partition, segment);
                return Err(err);
            }
        };
        let stored = file.len().saturating_sub(self.segments.limits().overhead);
        self.sizing.file(segment.spool.framed_encoded, stored);
        let sealed = self.finish_seal(
            partition,
            rows,
            segment.min_time,
            segment.max_time,
            file,
            encoding,
        );
        self.stats.buffered_bytes -= segment.bytes + segment.spool.extra_total;
        // Deleted by a durable seal, the write-ahead file is closed while its
        // upload starts; on an error it is intact, and a reopen recovers the
        // segment.
        segment.spool.wal.close_in_background();
        sealed
    }

    /// Names the object after the encoded file's content and makes the
    /// sealed file durable (replacing the write-ahead file); counts what the
    /// encoding could not carry once the sealed file is durable.
    pub(super) fn finish_seal(
        &mut self,
        partition: PartitionKey,
        rows: u64,
        min_time: i64,
        max_time: i64,
        file: SealFile,
        encoding: EncodeStats,
    ) -> Result<()> {
        if file.len() > self.config.max_file_bytes {
            self.stats.oversize_files += 1;
            tracing::warn!(
                bytes = file.len(),
                limit = self.config.max_file_bytes,
                "a Parquet file exceeds max_file_bytes despite the estimate"
            );
        }
        let name = ObjectName::from_digest(file.digest(), Codec::Zstd);
        let key = self.config.location.object_key(&partition, &name);
        let header = SealedHeader {
            format: SEALED_FORMAT,
            class_uid: E::CLASS_UID,
            class_name: E::CLASS_NAME.to_owned(),
            partition: partition.to_string(),
            key,
            rows,
            min_time,
            max_time,
        };
        let path = self.spool.finish_seal(file, &header)?;
        if encoding.total() > 0 {
            tracing::warn!(
                key = %header.key,
                unknown_attributes = encoding.unknown_attributes,
                invalid_datetimes = encoding.invalid_datetimes,
                out_of_range = encoding.out_of_range,
                left_out = encoding.left_out,
                "values the Parquet schema cannot carry as given (see WriterStats::encoding)"
            );
        }
        self.stats.encoding += encoding;
        self.uploads.push(path, partition);
        Ok(())
    }

    /// Takes the background work that finished, without waiting: completes
    /// finished seals and uploads (returning the first error), and starts
    /// the next upload.
    pub(super) async fn progress(&mut self) -> Result<()> {
        self.try_finish_seals()?;
        while self.finish_upload(false).await? {}
        Ok(())
    }

    /// Waits for every seal in flight, then uploads every sealed segment,
    /// in order.
    pub(super) async fn drain(&mut self) -> Result<()> {
        while !self.sealing.is_empty() {
            self.finish_oldest_seal().await?;
        }
        while !self.uploads.is_empty() {
            self.finish_upload(true).await?;
        }
        Ok(())
    }

    /// Completes the upload of the oldest sealed segment (starting it if
    /// needed): deletes it from the spool and counts it. Without `wait`,
    /// returns `false` when the upload is still running (or there is none).
    /// A failed upload keeps the segment first in line (the next call starts
    /// it again) and returns the error.
    pub(super) async fn finish_upload(&mut self, wait: bool) -> Result<bool> {
        let finished = self
            .uploads
            .finish(wait, &self.spool, &mut self.stats.already_present)
            .await?;
        let Some(entry) = finished else {
            return Ok(false);
        };
        self.stats.files_written += 1;
        self.stats.events_written += entry.rows;
        self.stats.bytes_written += entry.bytes;
        self.manifest.objects.push(entry);
        Ok(true)
    }
}

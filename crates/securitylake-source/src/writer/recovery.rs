//! Recovery: what [`Writer::open`] does with what a previous writer left in
//! the spool (sealed segments are uploaded; unsealed ones are sealed from
//! their records first).

use std::path::Path;

use ocsf_model::OcsfEvent;
use securitylake_core::layout::PartitionKey;

use super::merge::Frames;
use super::segments::Slot;
use super::{Writer, sealer};
use crate::error::{Error, ErrorKind, Result};
use crate::record;
use crate::spool::{self, Found, RecordReader, SegmentHeader, WAL_FORMAT};

impl<E: OcsfEvent> Writer<E> {
    /// Recovers the segments `found` in the spool: queues the sealed ones
    /// for upload, seals the write-ahead files, then uploads everything.
    pub(super) async fn recover(&mut self, found: Found) -> Result<()> {
        for (_, path) in found.sealed {
            let (header, _, _) = spool::open_sealed(&path)?;
            self.check_class(header.class_uid, &header.class_name, &path)?;
            let partition = PartitionKey::parse(&header.partition)?;
            self.stats.segments_recovered += 1;
            self.stats.events_recovered += header.rows;
            self.uploads.push(path, partition);
        }
        for (id, path) in found.wals {
            self.recover_wal(id, &path).await?;
        }
        self.drain().await
    }

    pub(super) fn check_class(
        &self,
        class_uid: i32,
        class_name: &str,
        path: &std::path::Path,
    ) -> Result<()> {
        if class_uid != E::CLASS_UID || class_name != E::CLASS_NAME {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "spool file {} holds events of class {class_name} ({class_uid}), not {} ({}): \
                     one spool directory per source and class",
                    path.display(),
                    E::CLASS_NAME,
                    E::CLASS_UID
                ),
            ));
        }
        Ok(())
    }

    /// Seals what a dead writer left in a write-ahead file: every intact
    /// record (a torn tail is dropped), read one at a time.
    pub(super) async fn recover_wal(&mut self, id: u64, path: &Path) -> Result<()> {
        let mut reader = RecordReader::open(path)?;
        let mut payload = Vec::new();
        if reader.next_record(&mut payload)?.is_none() {
            return self.spool.remove_wal(path);
        }
        let header: SegmentHeader = serde_json::from_slice(&payload).map_err(|e| {
            Error::new(
                ErrorKind::Integrity,
                format!("spool file {} has a bad header", path.display()),
            )
            .with_source(e)
        })?;
        if spool::is_columnar(header.format) {
            drop(reader);
            return self.recover_columnar(id, path, &header).await;
        }
        if !record::readable(header.format) {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "spool file {} has format {}, this writer reads formats {}, {}, {} and {WAL_FORMAT}",
                    path.display(),
                    header.format,
                    record::FORMAT_JSON,
                    record::FORMAT_BINARY,
                    spool::WAL_FORMAT_IPC_BUFFERS,
                ),
            ));
        }
        self.check_class(header.class_uid, &header.class_name, path)?;
        let partition = PartitionKey::parse(&header.partition)?;
        let mut slots = Vec::new();
        let mut max_event_bytes = 0;
        let mut scratch = Vec::new();
        while let Some(offset) = reader.next_record(&mut payload)? {
            let event = sealer::decode_event::<E>(header.format, &payload, path)?;
            let size = record::size_of(header.format, &payload, &event, &mut scratch)?;
            max_event_bytes = size.max(max_event_bytes);
            slots.push(Slot {
                time: event.time(),
                offset,
                len: u32::try_from(payload.len()).unwrap_or(u32::MAX),
            });
        }
        if reader.torn() {
            tracing::warn!(path = %path.display(), "dropping the torn tail of a spool file (a write that never returned)");
        }
        drop(reader);
        if slots.is_empty() {
            return self.spool.remove_wal(path);
        }
        let min_time = slots.iter().map(|s| s.time).min().unwrap_or(0);
        let max_time = slots.iter().map(|s| s.time).max().unwrap_or(0);
        let rows = slots.len() as u64;
        self.stats.segments_recovered += 1;
        self.stats.events_recovered += rows;
        let file = self.spool.begin_seal(id)?;
        let (_, result) = self
            .encode(
                path.to_path_buf(),
                header.format,
                slots,
                max_event_bytes,
                file,
            )
            .await?;
        let (file, encoding) = result?;
        self.finish_seal(partition, rows, min_time, max_time, file, encoding)
    }

    /// Seals a columnar write-ahead file (format 3 or 4) a dead writer left:
    /// every intact frame (a torn tail is dropped).
    async fn recover_columnar(
        &mut self,
        id: u64,
        path: &Path,
        header: &SegmentHeader,
    ) -> Result<()> {
        self.check_class(header.class_uid, &header.class_name, path)?;
        let partition = PartitionKey::parse(&header.partition)?;
        let frames = Frames::scan(path)?;
        if frames.torn {
            tracing::warn!(path = %path.display(), "dropping the torn tail of a spool file (a write that never returned)");
        }
        let rows = frames.rows();
        if rows == 0 {
            return self.spool.remove_wal(path);
        }
        self.stats.segments_recovered += 1;
        self.stats.events_recovered += rows;
        let file = self.spool.begin_seal(id)?;
        let (_, result) = self
            .encode(path.to_path_buf(), header.format, Vec::new(), 0, file)
            .await?;
        let (file, encoding) = result?;
        self.finish_seal(
            partition,
            rows,
            frames.min_time(),
            frames.max_time(),
            file,
            encoding,
        )
    }
}

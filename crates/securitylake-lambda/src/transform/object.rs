//! One object through the mapper and the router, batch by batch, within the time left.

use std::path::Path;
use std::sync::Arc;

use ocsf_mappers::lines::LineFormat;
use securitylake_core::object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use securitylake_core::store::object_path;
use tokio::time::Instant;

use super::Transform;
use super::batch::{Batch, Finished, io_error, remove_dir};
use super::report::{ObjectReport, ObjectStatus};
use crate::config::MapperChoice;
use crate::error::{Error, ErrorKind, Result};
use crate::event::ObjectTask;
use crate::object_lines::ObjectLines;

/// Lines read between two looks at the clock.
const CLOCK_EVERY: u64 = 1024;

/// How an object's run ended early.
enum Stop {
    /// The deadline's margin was reached; resume at the offset.
    Deadline(u64),
    /// A failure; the batch from the offset on was not written.
    Failed(u64, Error),
}

impl Transform {
    /// Transforms one object from `task.offset` on, stopping at `stop_at`; `dir` is this
    /// object's spool directory.
    pub(crate) async fn transform_object(
        &self,
        task: &ObjectTask,
        stop_at: Instant,
        dir: &Path,
    ) -> ObjectReport {
        let mut report = ObjectReport::new(
            &task.bucket,
            &task.key,
            task.message_id.clone(),
            task.offset,
        );
        let outcome = self.run_object(task, stop_at, dir, &mut report).await;
        remove_dir(dir).await;
        match outcome {
            Ok(()) => {}
            Err(Stop::Deadline(offset)) => {
                report.status = ObjectStatus::Remaining;
                report.resume_offset = Some(offset);
                report.retryable = true;
            }
            Err(Stop::Failed(offset, e)) => {
                tracing::error!(bucket = %task.bucket, key = %task.key, error = %e, "object failed");
                report.status = ObjectStatus::Failed;
                report.resume_offset = Some(offset);
                report.retryable = e.is_retryable();
                report.error = Some(e.to_string());
            }
        }
        report
    }

    async fn run_object(
        &self,
        task: &ObjectTask,
        stop_at: Instant,
        dir: &Path,
        report: &mut ObjectReport,
    ) -> std::result::Result<(), Stop> {
        let failed = |e: Error| Stop::Failed(task.offset, e);
        if task.key.is_empty() {
            return Err(failed(Error::new(
                ErrorKind::InvalidInput,
                "the message is no S3 object notification",
            )));
        }
        let store = (self.staging)(&task.bucket).map_err(failed)?;
        let path =
            object_path(&task.key).map_err(|e| failed(Error::from(e).with_retryable(false)))?;
        let meta = store
            .head(&path)
            .await
            .map_err(|e| failed(securitylake_core::Error::from(e).into()))?;
        let reference_ms = self
            .config
            .reference_ms
            .unwrap_or_else(|| meta.last_modified.timestamp_millis());
        let mut lines = ObjectLines::open(&store, &path, &meta)
            .await
            .map_err(failed)?;
        report.gzip = lines.is_gzip();
        if lines.is_gzip() && self.config.verify_gzip {
            // Read it through once: a corrupt object fails here, before any of it is written.
            while lines.discard(usize::MAX).await.map_err(failed)? > 0 {
                if Instant::now() >= stop_at {
                    return Err(Stop::Deadline(task.offset));
                }
            }
            lines = ObjectLines::open(&store, &path, &meta)
                .await
                .map_err(failed)?;
        }
        // Skip to the start (a batch boundary, so a line boundary).
        while lines.offset() < task.offset {
            let left = usize::try_from(task.offset - lines.offset()).unwrap_or(usize::MAX);
            if lines.discard(left).await.map_err(failed)? == 0 {
                return Err(failed(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "offset {} is beyond the end of object {} ({} bytes)",
                        task.offset,
                        task.key,
                        lines.offset()
                    ),
                )));
            }
        }
        self.read_batches(task, &store, &mut lines, reference_ms, stop_at, dir, report)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn read_batches(
        &self,
        task: &ObjectTask,
        store: &Arc<dyn ObjectStore>,
        lines: &mut ObjectLines,
        reference_ms: i64,
        stop_at: Instant,
        dir: &Path,
        report: &mut ObjectReport,
    ) -> std::result::Result<(), Stop> {
        let batch_bytes = self.config.batch_bytes.max(1);
        let mut format = match self.config.mapper {
            MapperChoice::Fixed(format) => Some(format),
            MapperChoice::Auto => None,
        };
        let mut line = String::new();
        let mut batch: Option<Batch> = None;
        let mut batch_start = task.offset;
        let mut batch_lines = 0u64;
        let mut read = 0u64;
        loop {
            if read.is_multiple_of(CLOCK_EVERY) && Instant::now() >= stop_at {
                if let Some(batch) = batch.take() {
                    batch.abandon().await;
                }
                return Err(Stop::Deadline(batch_start));
            }
            read += 1;
            let more = match lines.next_line(&mut line).await {
                Ok(more) => more,
                Err(e) => {
                    if let Some(batch) = batch.take() {
                        batch.abandon().await;
                    }
                    return Err(Stop::Failed(batch_start, e));
                }
            };
            if more {
                batch_lines += 1;
                if format.is_none() && !line.trim().is_empty() {
                    format = Some(LineFormat::detect(&line));
                }
                if let Some(format) = format {
                    if batch.is_none() {
                        let batch_dir = dir.join(format!("batch-{batch_start}"));
                        let opened = Batch::open(
                            &self.config,
                            self.lake.clone(),
                            format,
                            reference_ms,
                            batch_dir,
                        );
                        batch = Some(opened.map_err(|e| Stop::Failed(batch_start, e))?);
                        report.mapper = Some(format.name());
                    }
                    if let Some(open) = batch.as_mut()
                        && let Err(e) = open.line(&line).await
                    {
                        if let Some(batch) = batch.take() {
                            batch.abandon().await;
                        }
                        return Err(Stop::Failed(batch_start, e));
                    }
                }
            }
            let end = lines.offset();
            let boundary = end / batch_bytes > batch_start / batch_bytes;
            if boundary || !more {
                if let Some(open) = batch.take() {
                    let finished = open
                        .finish()
                        .await
                        .map_err(|e| Stop::Failed(batch_start, e))?;
                    self.record(task, store, batch_start, finished, report)
                        .await
                        .map_err(|e| Stop::Failed(batch_start, e))?;
                }
                report.lines += batch_lines;
                report.batches += u64::from(batch_lines > 0);
                batch_lines = 0;
                batch_start = end;
            }
            if !more {
                return Ok(());
            }
        }
    }

    /// Adds a finished batch to the report and uploads its dead letters (to a key that is a
    /// function of the object and the batch, so a retry overwrites them with the same).
    async fn record(
        &self,
        task: &ObjectTask,
        store: &Arc<dyn ObjectStore>,
        batch_start: u64,
        finished: Finished,
        report: &mut ObjectReport,
    ) -> Result<()> {
        for entry in &finished.manifest.objects {
            if entry.etag.is_some() {
                report.objects_written += 1;
            } else {
                report.objects_present += 1;
            }
        }
        for (uid, n) in finished.events {
            *report.events.entry(uid).or_default() += n;
        }
        report.dead_letters += finished.dead_letters;
        if let Some(letters) = &finished.letters {
            let bytes = tokio::fs::read(letters)
                .await
                .map_err(|e| io_error("reading the dead letters", e))?;
            if !bytes.is_empty() {
                let key = format!(
                    "{}{}/{}/{batch_start}.jsonl",
                    self.config.dead_letter_prefix, task.bucket, task.key
                );
                let path = object_path(&key)?;
                store
                    .put(&path, PutPayload::from(bytes))
                    .await
                    .map_err(securitylake_core::Error::from)?;
                report.dead_letter_keys.push(key);
            }
        }
        remove_dir(&finished.dir).await;
        Ok(())
    }
}

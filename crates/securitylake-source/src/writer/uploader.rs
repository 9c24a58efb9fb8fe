//! The uploader: puts sealed segments into the store, one at a time, in
//! the order they were sealed, as Tokio tasks.
//!
//! Retries are the store's: its retry configuration (for S3, the
//! [`RetryPolicy`](securitylake_core::store::RetryPolicy) of
//! [`S3StoreBuilder`](securitylake_core::store::S3StoreBuilder)) is the one
//! retry layer of uploads. The uploader does not retry a failed upload
//! itself: the segment stays sealed in the spool, first in line, and the
//! writer's next call starts its upload again.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use securitylake_core::layout::PartitionKey;
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::{Created, UploadOptions, object_path, put_file_if_absent};
use tracing::Instrument;

use crate::error::{Error, ErrorKind, Result};
use crate::manifest::ManifestEntry;
use crate::spool::{self, SealedHeader, Spool};

/// Sealed segments waiting for their upload (the one being uploaded
/// included) at most: starting another seal first waits for the oldest
/// upload (it bounds the spool's disk use when the store is slow).
pub(super) const MAX_PENDING: usize = 2;

/// A segment sealed in the spool, waiting for its upload.
#[derive(Debug)]
struct Sealed {
    path: PathBuf,
    partition: PartitionKey,
}

/// What an upload task gives back.
struct UploadOutcome {
    result: Result<ManifestEntry>,
    already_present: u64,
}

/// The sealed segments waiting for their upload and the upload in flight.
pub(super) struct Uploader {
    store: Arc<dyn ObjectStore>,
    options: UploadOptions,
    /// Sealed segments in the order they were sealed; the first is the one
    /// being uploaded when `uploading` is set.
    pending: VecDeque<Sealed>,
    /// The upload of `pending[0]`, running as a Tokio task.
    uploading: Option<tokio::task::JoinHandle<UploadOutcome>>,
}

impl Uploader {
    pub(super) fn new(store: Arc<dyn ObjectStore>, options: UploadOptions) -> Self {
        Self {
            store,
            options,
            pending: VecDeque::new(),
            uploading: None,
        }
    }

    /// Queues a sealed segment.
    pub(super) fn push(&mut self, path: PathBuf, partition: PartitionKey) {
        self.pending.push_back(Sealed { path, partition });
    }

    /// The sealed segments waiting (the one in flight included).
    pub(super) fn len(&self) -> usize {
        self.pending.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Stops the upload in flight without waiting (its segment stays sealed
    /// in the spool).
    pub(super) fn abort(&mut self) {
        if let Some(upload) = self.uploading.take() {
            upload.abort();
        }
    }

    /// Starts the upload of the oldest sealed segment as a Tokio task, if
    /// none is running.
    fn start(&mut self) -> Result<()> {
        if self.uploading.is_some() {
            return Ok(());
        }
        let Some(sealed) = self.pending.front() else {
            return Ok(());
        };
        let runtime = tokio::runtime::Handle::try_current().map_err(|e| {
            Error::new(ErrorKind::Config, "the writer uploads from a Tokio runtime").with_source(e)
        })?;
        let task = upload_sealed(
            self.store.clone(),
            sealed.path.clone(),
            sealed.partition.clone(),
            self.options,
        );
        self.uploading = Some(runtime.spawn(task));
        Ok(())
    }

    /// Completes the upload of the oldest sealed segment (starting it if
    /// needed): deletes it from `spool` and returns its manifest entry,
    /// adding a key found already holding the object to `already_present`.
    /// Without `wait`, returns `None` when the upload is still running (or
    /// there is none). A failed upload keeps the segment first in line (the
    /// next call starts it again) and returns the error.
    pub(super) async fn finish(
        &mut self,
        wait: bool,
        spool: &Spool,
        already_present: &mut u64,
    ) -> Result<Option<ManifestEntry>> {
        self.start()?;
        let Some(handle) = self.uploading.as_mut() else {
            return Ok(None);
        };
        if !wait && !handle.is_finished() {
            return Ok(None);
        }
        let joined = handle.await;
        self.uploading = None;
        let outcome = joined.map_err(|e| {
            Error::new(ErrorKind::Io, format!("the upload task failed: {e}")).with_source(e)
        })?;
        *already_present += outcome.already_present;
        let entry = outcome.result?;
        let Some(sealed) = self.pending.front() else {
            return Err(Error::new(ErrorKind::Io, "an uploaded segment vanished"));
        };
        spool.remove(&sealed.path)?;
        self.pending.pop_front();
        Ok(Some(entry))
    }
}

/// Uploads one sealed segment (a Tokio task): opens it off the executor,
/// puts it, its Parquet bytes read part by part as the upload takes them
/// (the store retries; this does not), and counts a key that already held
/// the object.
async fn upload_sealed(
    store: Arc<dyn ObjectStore>,
    path: PathBuf,
    partition: PartitionKey,
    options: UploadOptions,
) -> UploadOutcome {
    let mut outcome = UploadOutcome {
        result: Err(Error::new(ErrorKind::Io, "upload not attempted")),
        already_present: 0,
    };
    let read = tokio::task::spawn_blocking(move || spool::open_sealed(&path)).await;
    let (header, file, len) = match read {
        Ok(Ok(read)) => read,
        Ok(Err(err)) => {
            outcome.result = Err(err);
            return outcome;
        }
        Err(err) => {
            outcome.result = Err(Error::new(
                ErrorKind::Io,
                format!("reading a sealed segment failed: {err}"),
            )
            .with_source(err));
            return outcome;
        }
    };
    outcome.result = upload(
        store.as_ref(),
        &header,
        partition,
        (file, len),
        &options,
        &mut outcome.already_present,
    )
    .await;
    outcome
}

/// Puts one sealed segment's object once (a conditional create).
async fn upload(
    store: &dyn ObjectStore,
    header: &SealedHeader,
    partition: PartitionKey,
    (file, bytes): (std::fs::File, u64),
    options: &UploadOptions,
    already_present: &mut u64,
) -> Result<ManifestEntry> {
    let span = tracing::info_span!(
        "object_write",
        key = %header.key,
        rows = header.rows,
        bytes,
        partition = %partition,
    );
    let path = object_path(&header.key)?;
    let etag = match put_file_if_absent(store, &path, file, bytes, options)
        .instrument(span.clone())
        .await?
    {
        Created::New { e_tag, .. } => e_tag,
        // Same key means same content: an earlier attempt (or a writer that
        // died before acknowledging) stored it.
        _ => {
            *already_present += 1;
            None
        }
    };
    span.in_scope(|| tracing::info!("object written"));
    Ok(ManifestEntry {
        key: header.key.clone(),
        partition,
        rows: header.rows,
        bytes,
        min_time: header.min_time,
        max_time: header.max_time,
        etag,
    })
}

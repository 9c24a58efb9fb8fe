//! The pipelined writer: sealing and uploading overlap with accepting
//! events, background errors surface from a later call with nothing lost,
//! and the work in flight stays bounded.

mod writer_support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use ocsf_model::v1_1_0::events::Authentication;
use securitylake_core::object_store::{
    self, CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, path::Path as ObjectPath,
};
use securitylake_core::store::local_store;
use securitylake_source::Writer;
use securitylake_source::writer::ManualClock;
use tokio::sync::Semaphore;
use writer_support::*;

/// A store whose puts wait for a permit of `gate` (none at first), counting
/// the puts that started.
#[derive(Debug)]
struct GateStore {
    inner: Arc<dyn ObjectStore>,
    gate: Semaphore,
    started: AtomicU32,
}

impl GateStore {
    fn closed(inner: Arc<dyn ObjectStore>) -> Self {
        Self {
            inner,
            gate: Semaphore::new(0),
            started: AtomicU32::new(0),
        }
    }

    fn started(&self) -> u32 {
        self.started.load(Ordering::SeqCst)
    }

    /// Lets every put through from now on.
    fn open(&self) {
        self.gate.add_permits(Semaphore::MAX_PERMITS / 2);
    }
}

impl std::fmt::Display for GateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GateStore({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for GateStore {
    async fn put_opts(
        &self,
        location: &ObjectPath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.started.fetch_add(1, Ordering::SeqCst);
        let permit = self
            .gate
            .acquire()
            .await
            .map_err(|e| object_store::Error::Generic {
                store: "gate",
                source: Box::new(e),
            })?;
        permit.forget();
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &ObjectPath,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &ObjectPath,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<ObjectPath>>,
    ) -> BoxStream<'static, object_store::Result<ObjectPath>> {
        self.inner.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&ObjectPath>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&ObjectPath>,
    ) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &ObjectPath,
        to: &ObjectPath,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

/// The spool's files by kind: (write-ahead, sealed, sealed being written).
fn spool_files(spool: &Path) -> BoxResult<(usize, usize, usize)> {
    let (mut wals, mut sealed, mut tmp) = (0, 0, 0);
    for entry in std::fs::read_dir(spool)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".wal") {
            wals += 1;
        } else if name.ends_with(".sealed") {
            sealed += 1;
        } else if name.ends_with(".sealed.tmp") {
            tmp += 1;
        }
    }
    Ok((wals, sealed, tmp))
}

/// One partition, files of 32 KiB: an event of ~200 bytes rolls every ~100
/// events.
fn small_files(
    store: Arc<dyn ObjectStore>,
    spool: &Path,
    clock: &ManualClock,
) -> securitylake_source::writer::WriterConfigBuilder {
    writer_builder(store, spool, clock)
        .max_file_bytes(32 * 1024)
        .columnar_options(small_columns())
}

const WRITE_TIMEOUT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn writes_are_accepted_while_an_upload_is_blocked_and_flush_waits() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let local: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let gate = Arc::new(GateStore::closed(local.clone()));
    let clock = ManualClock::new(LEAP_DAY + DAY);
    let config = small_files(gate.clone(), spool.path(), &clock).build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;

    // Write until a segment rolls, then slowly until its seal is taken and
    // its upload started (and blocks), before the next roll.
    let mut seq = 0u64;
    while writer.stats().rolls_by_size == 0 {
        if seq > 5_000 {
            return Err("no roll".into());
        }
        writer
            .write(&event(LEAP_DAY + seq as i64, seq, 200))
            .await?;
        seq += 1;
    }
    while gate.started() == 0 {
        if writer.stats().rolls_by_size > 1 {
            return Err("the upload did not start within a segment".into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        tokio::time::timeout(
            WRITE_TIMEOUT,
            writer.write(&event(LEAP_DAY + seq as i64, seq, 200)),
        )
        .await??;
        seq += 1;
    }
    let rolls = writer.stats().rolls_by_size;
    assert_eq!(rolls, 1);
    // Writes go on while that upload is blocked: another segment rolls (its
    // seal runs in the background) and more events are accepted. A writer
    // that waited for uploads would hang here (the timeout fails the test).
    while writer.stats().rolls_by_size < rolls + 1 {
        if seq > 10_000 {
            return Err("no second roll".into());
        }
        tokio::time::timeout(
            WRITE_TIMEOUT,
            writer.write(&event(LEAP_DAY + seq as i64, seq, 200)),
        )
        .await??;
        seq += 1;
        tokio::task::yield_now().await;
    }
    for _ in 0..20 {
        tokio::time::timeout(
            WRITE_TIMEOUT,
            writer.write(&event(LEAP_DAY + seq as i64, seq, 200)),
        )
        .await??;
        seq += 1;
    }
    let stats = writer.stats();
    assert_eq!(stats.events_accepted, seq);
    assert_eq!(stats.files_written, 0, "the upload is still blocked");
    assert_eq!(gate.started(), 1, "one upload at a time");

    // flush waits for the blocked upload.
    let flush = tokio::spawn(async move {
        let manifest = writer.flush().await;
        (writer, manifest)
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!flush.is_finished(), "flush returned before the upload");
    gate.open();
    let (writer, manifest) = tokio::time::timeout(WRITE_TIMEOUT, flush).await??;
    let manifest = manifest?;
    assert_eq!(manifest.rows(), seq);
    let stats = writer.stats();
    assert_eq!(stats.events_written, seq, "{stats:?}");
    assert_eq!(stats.files_written, manifest.len() as u64, "{stats:?}");
    assert_eq!(stats.buffered_bytes, 0, "{stats:?}");
    assert!(manifest.len() >= 3, "{manifest:?}");
    // The manifest lists the objects in the order their segments were
    // sealed: by time here, since the events' times grow.
    for pair in manifest.objects.windows(2) {
        assert!(pair[0].max_time < pair[1].min_time, "{manifest:?}");
    }
    writer.close().await?;
    assert_eq!(spool_files(spool.path())?, (0, 0, 0));
    let counts = seq_counts(&read_lake(local.as_ref()).await?)?;
    assert_eq!(counts.len() as u64, seq);
    assert!(
        counts.values().all(|&c| c == 1),
        "every accepted event exactly once"
    );
    Ok(())
}

#[tokio::test]
async fn a_background_upload_failure_surfaces_later_and_loses_nothing() -> TestResult {
    for reopen in [false, true] {
        let lake = tempfile::tempdir()?;
        let spool = tempfile::tempdir()?;
        let local: Arc<dyn ObjectStore> = local_store(lake.path())?;
        let flaky = Arc::new(FlakyStore::new(local.clone()));
        let clock = ManualClock::new(LEAP_DAY + DAY);
        let config = small_files(flaky.clone(), spool.path(), &clock).build()?;
        let mut writer = Writer::<Authentication>::open(config.clone()).await?;
        flaky.inject(&[PutFault::Denied]);
        let mut accepted = Vec::new();
        let mut failed = None;
        for seq in 0..2_000u64 {
            match writer.write(&event(LEAP_DAY + seq as i64, seq, 200)).await {
                Ok(()) => accepted.push(seq),
                Err(err) => {
                    failed = Some((seq, err));
                    break;
                }
            }
            // Lets the upload task run (a current-thread runtime).
            tokio::task::yield_now().await;
        }
        let (rejected, err) = failed.ok_or("the failed upload never surfaced")?;
        assert!(err.message().contains("injected 403"), "{err}");
        assert!(writer.stats().rolls_by_size >= 1);
        assert_eq!(writer.stats().files_written, 0);
        assert_eq!(writer.stats().events_accepted, accepted.len() as u64);
        // The writer goes on; the failed segment is uploaded again.
        for seq in rejected + 1..rejected + 300 {
            writer
                .write(&event(LEAP_DAY + seq as i64, seq, 200))
                .await?;
            accepted.push(seq);
        }
        if reopen {
            drop(writer); // a crash: everything accepted is in the spool
            let writer = Writer::<Authentication>::open(config).await?;
            writer.close().await?;
        } else {
            let manifest = writer.flush().await?;
            let stats = writer.stats();
            assert_eq!(stats.events_written, accepted.len() as u64, "{stats:?}");
            assert_eq!(manifest.rows(), accepted.len() as u64);
            writer.close().await?;
        }
        assert_eq!(spool_files(spool.path())?, (0, 0, 0));
        let counts = seq_counts(&read_lake(local.as_ref()).await?)?;
        assert_eq!(
            counts.keys().copied().collect::<Vec<_>>(),
            accepted,
            "reopen: {reopen}"
        );
        assert!(
            counts.values().all(|&c| c == 1),
            "every accepted event exactly once (reopen: {reopen})"
        );
    }
    Ok(())
}

#[tokio::test]
async fn the_work_in_flight_is_bounded_and_a_further_roll_waits() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let local: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let gate = Arc::new(GateStore::closed(local.clone()));
    let clock = ManualClock::new(LEAP_DAY + DAY);
    let config = small_files(gate.clone(), spool.path(), &clock).build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    let written = Arc::new(AtomicU64::new(0));
    let total = 2_000u64;
    let progress = written.clone();
    let task = tokio::spawn(async move {
        for seq in 0..total {
            writer
                .write(&event(LEAP_DAY + seq as i64, seq, 200))
                .await?;
            progress.store(seq + 1, Ordering::SeqCst);
            tokio::task::yield_now().await;
        }
        let manifest = writer.close().await?;
        Ok::<_, securitylake_source::Error>(manifest)
    });
    // The upload of the first segment blocks; the writer goes on until one
    // segment is uploading, one more waits sealed, and the next roll waits.
    let (mut last, mut still) = (u64::MAX, 0);
    while still < 3 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (wals, sealed, tmp) = spool_files(spool.path())?;
        assert!(wals <= 2, "one open segment and one being sealed: {wals}");
        assert!(sealed <= 2, "at most two sealed segments wait: {sealed}");
        // The open segment's file (sealed while open) and at most one more.
        assert!(tmp <= 2, "at most one segment encoding: {tmp}");
        assert!(!task.is_finished(), "the writer never waited for the store");
        let now = written.load(Ordering::SeqCst);
        still = if now == last { still + 1 } else { 0 };
        last = now;
    }
    let stalled = written.load(Ordering::SeqCst);
    assert!(stalled > 100 && stalled < total, "{stalled}");
    assert_eq!(spool_files(spool.path())?.1, 2, "two sealed segments wait");
    assert_eq!(gate.started(), 1, "one upload at a time");
    gate.open();
    let manifest = tokio::time::timeout(WRITE_TIMEOUT, task).await???;
    assert_eq!(manifest.rows(), total);
    let counts = seq_counts(&read_lake(local.as_ref()).await?)?;
    assert_eq!(counts.len() as u64, total);
    assert!(counts.values().all(|&c| c == 1));
    assert_eq!(spool_files(spool.path())?, (0, 0, 0));
    Ok(())
}

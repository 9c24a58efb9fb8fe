//! The typed writer against real stores: a local directory, the emulator's
//! S3 (`object_store`'s `AmazonS3`), `InMemory`, and the Security Lake
//! emulator end to end with the provider role.

mod writer_support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use ocsf_model::v1_1_0::events::{ApiActivity, Authentication};
use parquet::file::reader::{FileReader, SerializedFileReader};
use securitylake_core::layout::EventDay;
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::local_store;
use securitylake_source::writer::{Durability, ManualClock};
use securitylake_source::{ErrorKind, Writer, WriterConfig};
use writer_support::*;

/// Layout conformance on any store: exact keys, one class per object, rows
/// sorted by time, a stream straddling midnight UTC split into two days.
async fn conformance(store: Arc<dyn ObjectStore>) -> TestResult {
    let dir = tempfile::tempdir()?;
    // The clock is a day after the events.
    let clock = ManualClock::new(LEAP_DAY + 2 * DAY);
    let mut writer =
        Writer::<Authentication>::open(writer_builder(store.clone(), dir.path(), &clock).build()?)
            .await?;
    // 400 events from 23:59:58 on Feb 29 to 00:00:02 on Mar 1, out of order.
    let midnight = LEAP_DAY + DAY;
    let mut times: Vec<i64> = (0..400).map(|i| midnight - 2_000 + i * 10).collect();
    let mut rng = fastrand::Rng::with_seed(7);
    rng.shuffle(&mut times);
    for (seq, time) in times.iter().enumerate() {
        writer.write(&event(*time, seq as u64, 0)).await?;
    }
    let manifest = writer.close().await?;
    assert_eq!(manifest.len(), 2, "{manifest:?}");
    assert_eq!(manifest.rows(), 400);
    let days: BTreeSet<String> = manifest
        .partitions()
        .iter()
        .map(|p| p.event_day().to_string())
        .collect();
    assert_eq!(
        days,
        BTreeSet::from(["20240229".to_owned(), "20240301".to_owned()])
    );

    let lake = read_lake(store.as_ref()).await?;
    assert_eq!(lake.len(), 2);
    for (key, (bytes, events)) in &lake {
        let day = assert_key_layout(key)?;
        let entry = manifest
            .iter()
            .find(|e| &e.key == key)
            .ok_or("object not in the manifest")?;
        assert_eq!(entry.rows, events.len() as u64);
        assert_eq!(entry.bytes, *bytes);
        assert!(
            events
                .iter()
                .all(|e| e.class_uid() == Authentication::CLASS_UID),
            "one class per object"
        );
        assert!(
            events.windows(2).all(|w| w[0].time <= w[1].time),
            "rows sorted by time in {key}"
        );
        assert!(
            events.iter().all(|e| day.contains_epoch_millis(e.time)),
            "eventDay from each event's own time"
        );
        assert_eq!(entry.min_time, events.first().ok_or("empty")?.time);
        assert_eq!(entry.max_time, events.last().ok_or("empty")?.time);
        // 200 events on each side of midnight.
        assert!(day == EventDay::from_ymd(2024, 2, 29)? || day == EventDay::from_ymd(2024, 3, 1)?);
        assert_eq!(events.len(), 200);
    }
    let counts = seq_counts(&lake)?;
    assert_eq!(counts.len(), 400);
    assert!(counts.values().all(|&c| c == 1));
    assert!(
        std::fs::read_dir(dir.path())?.all(|e| e.map(|e| e.file_name() == "LOCK").unwrap_or(false)),
        "spool drained"
    );
    Ok(())
}

#[tokio::test]
async fn layout_conformance_local_lake() -> TestResult {
    let lake = tempfile::tempdir()?;
    conformance(local_store(lake.path())?).await
}

#[tokio::test]
async fn layout_conformance_s3_on_the_emulator() -> TestResult {
    let (store, emulator) = s3_store().await?;
    conformance(store).await?;
    // The objects are real files in the emulator's bucket directory.
    assert!(emulator.lake_dir().join(PREFIX).is_dir());
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn layout_conformance_in_memory() -> TestResult {
    conformance(Arc::new(
        securitylake_core::object_store::memory::InMemory::new(),
    ))
    .await
}

#[tokio::test]
async fn rolls_by_age_with_an_injected_clock() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let clock = ManualClock::new(LEAP_DAY + DAY / 2);
    let config = writer_builder(store.clone(), spool.path(), &clock)
        .max_age(Duration::from_secs(10 * 60))
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    writer.write(&event(LEAP_DAY + 1, 0, 0)).await?;
    clock.advance(Duration::from_secs(9 * 60));
    writer.write(&event(LEAP_DAY + 2, 1, 0)).await?;
    assert_eq!(writer.roll_due().await?, 0);
    assert!(
        list_keys(store.as_ref(), PREFIX).await?.is_empty(),
        "nothing is written before max_age"
    );
    clock.advance(Duration::from_secs(60));
    // The next write rolls the segment that reached 10 minutes first (its
    // seal and upload run in the background: roll_due waits for them).
    writer.write(&event(LEAP_DAY + 3, 2, 0)).await?;
    assert_eq!(writer.stats().rolls_by_age, 1);
    assert_eq!(writer.roll_due().await?, 0);
    let lake_now = read_lake(store.as_ref()).await?;
    assert_eq!(lake_now.len(), 1);
    assert_eq!(lake_now.values().map(|(_, e)| e.len()).sum::<usize>(), 2);
    // Without writes, roll_due rolls it.
    clock.advance(Duration::from_secs(10 * 60));
    assert_eq!(writer.roll_due().await?, 1);
    assert_eq!(list_keys(store.as_ref(), PREFIX).await?.len(), 2);
    let manifest = writer.flush().await?;
    assert_eq!(manifest.len(), 2);
    assert_eq!(manifest.rows(), 3);
    assert_eq!(writer.stats().files_written, 2);
    Ok(())
}

#[tokio::test]
async fn rolls_by_size_and_every_file_stays_under_the_limit() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let clock = ManualClock::new(LEAP_DAY + DAY);
    let max = 64 * 1024;
    let config = writer_builder(store.clone(), spool.path(), &clock)
        .max_file_bytes(max)
        .columnar_options(small_columns())
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    // About 1.6 MB of JSON, in one partition.
    let events: Vec<_> = (0..4_000u64)
        .map(|i| event(LEAP_DAY + i as i64, i, 200))
        .collect();
    for chunk in events.chunks(500) {
        writer.write_batch(chunk).await?;
    }
    let manifest = writer.close().await?;
    assert!(
        manifest.len() >= 10,
        "a 1.6 MB stream rolled into {} files",
        manifest.len()
    );
    let lake_now = read_lake(store.as_ref()).await?;
    assert_eq!(lake_now.len(), manifest.len());
    for (key, (bytes, _)) in &lake_now {
        assert!(*bytes <= max, "{key} has {bytes} bytes, over {max}");
    }
    let counts = seq_counts(&lake_now)?;
    assert_eq!(counts.len(), 4_000);
    assert!(counts.values().all(|&c| c == 1));
    Ok(())
}

#[tokio::test]
async fn parquet_pages_and_row_groups_hold_their_limits() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let clock = ManualClock::new(LEAP_DAY + DAY);
    let config = writer_builder(store.clone(), spool.path(), &clock)
        .columnar_options(small_columns())
        .durability(Durability::Interval(Duration::from_secs(1)))
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    // 12 MB of varied messages in one file: several data pages per column.
    let events: Vec<_> = (0..30_000u64)
        .map(|i| event(LEAP_DAY + i as i64, i, 200 + (i as usize % 7) * 150))
        .collect();
    writer.write_batch(&events).await?;
    let manifest = writer.close().await?;
    assert_eq!(manifest.len(), 1);
    let body = get_bytes(store.as_ref(), &manifest.objects[0].key).await?;
    let reader = SerializedFileReader::new(body)?;
    let meta = reader.metadata();
    assert_eq!(meta.file_metadata().num_rows(), 30_000);
    let mut pages = 0;
    let mut data_pages = 0;
    for rg in 0..meta.num_row_groups() {
        let group = meta.row_group(rg);
        assert!(group.compressed_size() <= 256 * 1024 * 1024);
        let row_group = reader.get_row_group(rg)?;
        for column in 0..group.num_columns() {
            let mut page_reader = row_group.get_column_page_reader(column)?;
            while let Some(page) = page_reader.get_next_page()? {
                pages += 1;
                let size = page.buffer().len();
                // Security Lake: pages of at most 1 MB uncompressed.
                assert!(
                    size <= 1024 * 1024,
                    "column {}: a {} of {size} uncompressed bytes, {} values, {:?}",
                    group.column(column).column_path(),
                    page.page_type(),
                    page.num_values(),
                    page.encoding()
                );
                if page.page_type() != parquet::basic::PageType::DICTIONARY_PAGE {
                    data_pages += 1;
                }
            }
        }
    }
    assert!(pages > 3, "the file has {pages} pages");
    assert!(data_pages > 3, "the file has {data_pages} data pages");
    Ok(())
}

#[tokio::test]
async fn dropping_the_writer_loses_nothing_and_recovery_does_not_duplicate() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let local: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let flaky = Arc::new(FlakyStore::new(local.clone()));
    let clock = ManualClock::new(LEAP_DAY + 3 * DAY);
    let config = writer_builder(flaky.clone(), spool.path(), &clock)
        .max_file_bytes(32 * 1024)
        .columnar_options(small_columns())
        .build()?;
    let mut writer = Writer::<Authentication>::open(config.clone()).await?;
    for i in 0..600u64 {
        // Three days, and rolls by size along the way (200 events of about
        // 400 random letters a day: ~60 KB of Parquet against 32 KB files).
        writer
            .write(&event(LEAP_DAY + (i % 3) as i64 * DAY + i as i64, i, 400))
            .await?;
    }
    let before = writer.stats();
    assert_eq!(before.events_accepted, 600);
    assert!(before.files_written > 0, "some files rolled by size");
    // The object is stored but the writer sees a (non-retryable) error.
    flaky.inject(&[PutFault::StoreThenDeny]);
    assert!(writer.flush().await.is_err());
    drop(writer); // a crash: open segments and a sealed one stay in the spool

    let writer = Writer::<Authentication>::open(config.clone()).await?;
    let stats = writer.stats();
    assert!(stats.segments_recovered >= 3, "{stats:?}");
    // The replayed upload finds its object. An upload in flight when the writer was dropped
    // is stopped at its next await, but the local store's write it started (a blocking task)
    // may still finish: its object is then found too. Either way no event is lost or
    // written twice (below).
    assert!(
        (1..=2).contains(&stats.already_present),
        "the replayed upload found its object: {stats:?}"
    );
    let manifest = writer.close().await?;
    assert!(!manifest.is_empty());
    let counts = seq_counts(&read_lake(local.as_ref()).await?)?;
    assert_eq!(counts.len(), 600);
    assert!(
        counts.values().all(|&c| c == 1),
        "every accepted event exactly once"
    );

    // A spool of another class is refused.
    let mut writer = Writer::<Authentication>::open(config.clone()).await?;
    writer.write(&event(LEAP_DAY, 10_000, 0)).await?;
    drop(writer);
    let other = Writer::<ApiActivity>::open(config.clone()).await;
    assert_eq!(other.err().map(|e| e.kind()), Some(ErrorKind::Config));
    // The spool is locked while a writer holds it.
    let writer = Writer::<Authentication>::open(config.clone()).await?;
    let second = Writer::<Authentication>::open(config).await;
    assert_eq!(second.err().map(|e| e.kind()), Some(ErrorKind::Config));
    assert_eq!(writer.close().await?.rows(), 1);
    Ok(())
}

#[tokio::test]
async fn failed_uploads_stay_in_the_spool_and_the_next_call_uploads_them() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let local: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let flaky = Arc::new(FlakyStore::new(local.clone()));
    let clock = ManualClock::new(LEAP_DAY + DAY);
    let config = writer_builder(flaky.clone(), spool.path(), &clock).build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    writer.write(&event(LEAP_DAY, 1, 0)).await?;
    // The store's retries are used up twice: the writer does not retry on
    // top of them, each call makes one attempt.
    flaky.inject(&[PutFault::Transient, PutFault::Transient]);
    for _ in 0..2 {
        let err = writer
            .flush()
            .await
            .err()
            .ok_or("a failed upload succeeded")?;
        assert!(err.is_retryable(), "{err}");
    }
    assert_eq!(*flaky.puts.lock().map_err(|_| "lock")?, 2);
    let manifest = writer.flush().await?;
    assert_eq!(manifest.len(), 1);
    assert_eq!(*flaky.puts.lock().map_err(|_| "lock")?, 3);
    // A lost answer: the object is stored, the store reports a 503; the
    // writer finds the object and counts it written once.
    writer.write(&event(LEAP_DAY, 3, 0)).await?;
    flaky.inject(&[PutFault::StoreThenFail]);
    assert_eq!(writer.flush().await?.len(), 1);
    writer.write(&event(LEAP_DAY, 2, 0)).await?;
    flaky.inject(&[PutFault::Denied]);
    let err = writer
        .flush()
        .await
        .err()
        .ok_or("a denied upload succeeded")?;
    assert_eq!(err.kind(), ErrorKind::AccessDenied);
    assert_eq!(store_count(local.as_ref()).await?, 2);
    // The next flush uploads the sealed segment.
    let manifest = writer.close().await?;
    assert_eq!(manifest.rows(), 1);
    let counts = seq_counts(&read_lake(local.as_ref()).await?)?;
    assert_eq!(counts, [(1, 1), (2, 1), (3, 1)].into_iter().collect());
    Ok(())
}

async fn store_count(store: &dyn ObjectStore) -> BoxResult<usize> {
    Ok(list_keys(store, PREFIX).await?.len())
}

#[tokio::test]
async fn bad_times_are_typed_errors_and_nothing_is_written() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let now = LEAP_DAY + 10 * DAY;
    let clock = ManualClock::new(now);
    let mut writer = Writer::<Authentication>::open(
        writer_builder(store.clone(), spool.path(), &clock).build()?,
    )
    .await?;
    for time in [-1, i64::MIN, now + DAY + 1, i64::MAX] {
        let err = writer
            .write(&event(time, 1, 0))
            .await
            .err()
            .ok_or("bad time accepted")?;
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let err = writer
            .try_write(&event(time, 1, 0))
            .err()
            .ok_or("bad time accepted")?;
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    }
    // One bad event rejects the whole batch.
    let batch = vec![event(now, 1, 0), event(now - DAY, 2, 0), event(-5, 3, 0)];
    let err = writer
        .write_batch(&batch)
        .await
        .err()
        .ok_or("bad batch accepted")?;
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("event 2"), "{err}");
    let stats = writer.stats();
    assert_eq!(stats.events_accepted, 0);
    assert_eq!(stats.buffered_bytes, 0);
    assert!(writer.open_partitions().is_empty());
    // Within the skew and at the epoch are fine.
    writer.write(&event(now + DAY, 4, 0)).await?;
    writer.write(&event(0, 5, 0)).await?;
    let manifest = writer.close().await?;
    assert_eq!(manifest.rows(), 2);
    let days: Vec<String> = manifest
        .partitions()
        .iter()
        .map(|p| p.event_day().to_string())
        .collect();
    assert_eq!(days, ["19700101", "20240311"]);

    // Configuration rules.
    let base = || writer_builder(store.clone(), spool.path(), &clock);
    for (config, what) in [
        (
            base().max_age(Duration::from_secs(60)),
            "max_age under 5 minutes",
        ),
        (
            base().max_age(Duration::from_secs(2 * 86_400)),
            "max_age over 1 day",
        ),
        (
            base().max_file_bytes(300 * 1024 * 1024),
            "files over 256 MB",
        ),
        (base().max_file_bytes(1024), "tiny files"),
        (base().max_buffered_bytes(10), "tiny memory bound"),
        (
            base().durability(Durability::Interval(Duration::ZERO)),
            "zero interval",
        ),
        (base().region("US East"), "bad region"),
        (base().account_id("12345"), "bad account"),
    ] {
        assert!(config.build().is_err(), "{what} accepted");
    }
    let missing = WriterConfig::builder()
        .location(location())
        .region("us-east-1")
        .account_id(ACCOUNT)
        .build();
    assert_eq!(missing.err().map(|e| e.kind()), Some(ErrorKind::Config));
    Ok(())
}

#[tokio::test]
async fn backpressure_keeps_memory_bounded_and_writes_complete() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let clock = ManualClock::new(LEAP_DAY + 5 * DAY);
    let bound = 24 * 1024;
    let config = writer_builder(store.clone(), spool.path(), &clock)
        .max_buffered_bytes(bound)
        .max_file_bytes(1024 * 1024)
        .columnar_options(small_columns())
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    for i in 0..1_500u64 {
        writer
            .write(&event(LEAP_DAY + (i % 4) as i64 * DAY + i as i64, i, 150))
            .await?;
        assert!(writer.stats().buffered_bytes <= bound);
    }
    let stats = writer.stats();
    assert!(stats.peak_buffered_bytes <= bound, "{stats:?}");
    assert!(stats.peak_buffered_bytes > bound / 2, "{stats:?}");
    assert!(stats.files_written > 4, "the bound forced rolls: {stats:?}");

    // try_write refuses instead of waiting.
    let mut refused = None;
    for i in 0..1_000u64 {
        match writer.try_write(&event(LEAP_DAY + i as i64, 10_000 + i, 150)) {
            Ok(()) => {}
            Err(err) => {
                refused = Some((i, err));
                break;
            }
        }
    }
    let (accepted, err) = refused.ok_or("try_write never hit the bound")?;
    assert_eq!(err.kind(), ErrorKind::Backpressure);
    assert!(writer.stats().buffered_bytes <= bound);
    // write() waits and succeeds.
    writer
        .write(&event(LEAP_DAY + accepted as i64, 10_000 + accepted, 150))
        .await?;
    writer.close().await?;
    let counts = seq_counts(&read_lake(store.as_ref()).await?)?;
    assert_eq!(counts.len() as u64, 1_500 + accepted + 1);
    assert!(counts.values().all(|&c| c == 1));
    Ok(())
}

/// The object keys (content hashes) of 9,000 single writes with `durability`, the clock
/// moving `step` every 100 writes.
async fn keys_of_single_writes(durability: Durability, step: Duration) -> BoxResult<Vec<String>> {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let clock = ManualClock::new(LEAP_DAY + DAY / 2);
    let config = writer_builder(store.clone(), spool.path(), &clock)
        .max_age(securitylake_source::writer::MAX_MAX_AGE)
        .durability(durability)
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    for i in 0..9_000u64 {
        writer.write(&event(LEAP_DAY + i as i64, i, 2_000)).await?;
        if i % 100 == 99 {
            clock.advance(step);
        }
    }
    writer.close().await?;
    list_keys(store.as_ref(), PREFIX).await
}

/// With `Durability::OnFlush` the files depend on the writes only: the same events written
/// slowly (the clock moving between writes) or quickly make the same objects, which is what
/// lets a caller replay its input after a crash without duplicating anything. With an
/// interval the clock cuts frames, so the objects differ.
#[tokio::test]
async fn on_flush_durability_makes_the_same_objects_whatever_the_clock() -> TestResult {
    let still = keys_of_single_writes(Durability::OnFlush, Duration::ZERO).await?;
    let moving = keys_of_single_writes(Durability::OnFlush, Duration::from_secs(2)).await?;
    assert!(!still.is_empty());
    assert_eq!(still, moving);
    let interval = Durability::Interval(Duration::from_secs(1));
    let still = keys_of_single_writes(interval, Duration::ZERO).await?;
    let moving = keys_of_single_writes(interval, Duration::from_secs(2)).await?;
    assert_ne!(
        still, moving,
        "an interval's fsync cuts frames where the clock says"
    );
    Ok(())
}

//! The writer's tests that need its internals: background encodings held
//! or failed through a test double of the sealer.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use ocsf_model::columnar::{ColumnarOptions, EncodeStats};
use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
use securitylake_core::layout::SourceLocation;
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::local_store;

use super::sealer::{ParquetSealer, SealSegment};
use super::segments::Slot;
use super::{ManualClock, Writer, WriterConfig, WriterStats};
use crate::error::{Error, ErrorKind, Result};
use crate::spool::SealFile;

/// What the [`HookedSealer`] does to the next encoding.
#[derive(Default)]
struct Gates {
    /// Holds the next encoding until the sender sends (or drops).
    hold: Mutex<Option<mpsc::Receiver<()>>>,
    /// Fails the next encoding.
    fail_next: AtomicBool,
}

/// A test double of the sealer: the production [`ParquetSealer`], whose
/// next encoding can be held or failed.
struct HookedSealer {
    inner: ParquetSealer,
    gates: Arc<Gates>,
}

impl SealSegment<Authentication> for HookedSealer {
    fn seal(
        &self,
        wal: &Path,
        format: u32,
        slots: &mut [Slot],
        max_event_bytes: u64,
        cancel: &AtomicBool,
        out: SealFile,
    ) -> Result<(SealFile, EncodeStats)> {
        let gate = self.gates.hold.lock().expect("lock").take();
        if let Some(gate) = gate {
            // Held until the test opens the gate (or gives up after a while).
            let _ = gate.recv_timeout(Duration::from_secs(30));
        }
        if self.gates.fail_next.swap(false, Ordering::SeqCst) {
            // Fails as a real encoding would: after a while, so that the
            // write that rolled the segment has opened the next one.
            std::thread::sleep(Duration::from_millis(50));
            return Err(Error::new(ErrorKind::Io, "injected encoding failure"));
        }
        SealSegment::<Authentication>::seal(
            &self.inner,
            wal,
            format,
            slots,
            max_event_bytes,
            cancel,
            out,
        )
    }
}

/// Opens a writer whose encodings go through a [`HookedSealer`].
async fn open_hooked(config: WriterConfig) -> (Writer<Authentication>, Arc<Gates>) {
    let gates = Arc::new(Gates::default());
    let sealer = HookedSealer {
        inner: ParquetSealer::new(config.columnar.clone()),
        gates: gates.clone(),
    };
    let writer = Writer::open_with(config, Arc::new(sealer))
        .await
        .expect("open");
    (writer, gates)
}

/// Holds the next encoding until the returned sender sends (or drops).
fn hold_next_encode(gates: &Gates) -> mpsc::Sender<()> {
    let (release, gate) = mpsc::channel();
    *gates.hold.lock().expect("lock") = Some(gate);
    release
}

/// One partition, files of 32 KiB (a roll every ~50 events), on a fixed
/// clock.
fn config(lake: &Arc<dyn ObjectStore>, spool: &Path) -> WriterConfig {
    config_of(lake, spool, 32 * 1024)
}

/// [`config`] with files of `max_file_bytes`.
fn config_of(lake: &Arc<dyn ObjectStore>, spool: &Path, max_file_bytes: u64) -> WriterConfig {
    WriterConfig::builder()
        .location(
            SourceLocation::parse("s3://aws-security-data-lake-us-east-1-t/ext/t/1.0/")
                .expect("location"),
        )
        .region("us-east-1")
        .account_id("123456789012")
        .store(lake.clone())
        .spool_dir(spool)
        .clock(Arc::new(ManualClock::new(1_709_164_800_000 + 86_400_000)))
        .max_file_bytes(max_file_bytes)
        .columnar_options(ColumnarOptions::default().with_projection(["message"]))
        .build()
        .expect("config")
}

fn event(seq: u64) -> Authentication {
    let mut product = Product::default();
    product.name = Some("test".into());
    let mut event = Authentication::new(
        AuthenticationActivityId::Logon,
        Metadata::new(product, "1.1.0".into()),
        SeverityId::Low,
        1_709_164_800_000 + seq as i64,
        User::default(),
    );
    event.message = Some(format!("seq-{seq} {}", "x".repeat(200)));
    event
}

/// The sequence numbers in the lake, sorted, with duplicates.
async fn lake_seqs(lake: &Arc<dyn ObjectStore>) -> Vec<u64> {
    use futures::TryStreamExt;
    use securitylake_core::object_store::{ObjectStoreExt, path::Path as ObjectPath};
    let mut seqs = Vec::new();
    let listed: Vec<_> = lake
        .list(Some(&ObjectPath::from("ext")))
        .try_collect()
        .await
        .expect("list");
    for meta in listed {
        let body = lake
            .get(&meta.location)
            .await
            .expect("get")
            .bytes()
            .await
            .expect("body");
        let events: Vec<Authentication> =
            securitylake_parquet::read_parquet(body).expect("parquet");
        for event in events {
            let message = event.message.unwrap_or_default();
            let seq = message
                .split(' ')
                .next()
                .and_then(|s| s.strip_prefix("seq-"))
                .and_then(|s| s.parse().ok())
                .expect("a sequence number");
            seqs.push(seq);
        }
    }
    seqs.sort_unstable();
    seqs
}

/// While a segment is being encoded, the writer goes on filling the
/// next one; the roll after that waits for the encoding ([`MAX_SEALING`]):
/// the writer stalls with exactly two write-ahead files (the one being
/// encoded and the full one) and one sealed file being written, then
/// writes everything once the encoding is let go.
#[tokio::test]
async fn a_second_roll_waits_for_the_encoding_in_flight() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = local_store(dir.path().join("lake")).expect("lake");
    let spool = dir.path().join("spool");
    let config = config(&lake, &spool);
    let (mut writer, gates) = open_hooked(config).await;
    let release = hold_next_encode(&gates);
    let total = 2_000u64;
    let written = Arc::new(AtomicU64::new(0));
    let first_roll = Arc::new(AtomicU64::new(0));
    let (progress, rolled) = (written.clone(), first_roll.clone());
    let task = tokio::spawn(async move {
        for seq in 0..total {
            writer.write(&event(seq)).await?;
            progress.store(seq + 1, Ordering::SeqCst);
            if writer.stats().rolls_by_size == 1 && rolled.load(Ordering::SeqCst) == 0 {
                rolled.store(seq, Ordering::SeqCst);
            }
            tokio::task::yield_now().await;
        }
        writer.close().await
    });
    let count = |suffix: &str| {
        std::fs::read_dir(&spool)
            .expect("spool")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
            .count()
    };
    let (mut last, mut still) = (u64::MAX, 0);
    while still < 3 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !task.is_finished(),
            "the writer never waited for the encoding"
        );
        let now = written.load(Ordering::SeqCst);
        still = if now == last { still + 1 } else { 0 };
        last = now;
    }
    let first = first_roll.load(Ordering::SeqCst);
    assert!(first > 0, "a segment rolled");
    // The writer went on filling the next segment while the first was
    // encoded, then stalled within the second file: a third write-ahead file
    // would mean it went on past the second roll. (The segments need not
    // hold as many events: the size sample refines the estimate as the
    // first frames come in, docs/adr/0216.)
    assert!(last > first, "{first} {last}");
    assert_eq!(count(".wal"), 2, "the encoding segment and the full one");
    assert_eq!(count(".sealed.tmp"), 1, "one segment encoding");
    release.send(()).expect("release");
    let manifest = tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .expect("in time")
        .expect("joined")
        .expect("written");
    assert_eq!(manifest.rows(), total);
    assert_eq!(lake_seqs(&lake).await, (0..total).collect::<Vec<_>>());
}

/// A write dropped while it waits for the encoding in flight (a
/// timeout, a `select!`) loses nothing: neither the segment being
/// encoded nor the full one waiting for its turn. The dropped write's
/// own event is not accepted, and `flush` writes every accepted one.
#[tokio::test]
async fn a_write_dropped_while_it_waits_for_an_encoding_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = local_store(dir.path().join("lake")).expect("lake");
    let spool = dir.path().join("spool");
    let config = config(&lake, &spool);
    let (mut writer, gates) = open_hooked(config).await;
    let release = hold_next_encode(&gates);
    let mut accepted = Vec::new();
    let mut dropped = None;
    for seq in 0..2_000u64 {
        let next = event(seq);
        let write = writer.write(&next);
        match tokio::time::timeout(Duration::from_millis(300), write).await {
            Ok(result) => {
                result.expect("write");
                accepted.push(seq);
            }
            Err(_) => {
                dropped = Some(seq);
                break;
            }
        }
    }
    let dropped = dropped.expect("a write waited for the held encoding");
    assert_eq!(writer.stats().rolls_by_size, 1, "the second roll waited");
    release.send(()).expect("release");
    for seq in dropped + 1..dropped + 10 {
        writer.write(&event(seq)).await.expect("write");
        accepted.push(seq);
    }
    let manifest = writer.flush().await.expect("flush");
    assert_eq!(manifest.rows(), accepted.len() as u64);
    let stats = writer.stats();
    assert_eq!(stats.events_written, accepted.len() as u64, "{stats:?}");
    assert_eq!(stats.buffered_bytes, 0, "{stats:?}");
    writer.close().await.expect("close");
    assert_eq!(lake_seqs(&lake).await, accepted);
}

/// A background encoding failure surfaces from a later write; the
/// segment (whose partition has a new open segment by then) is sealed
/// again by `flush`, or recovered by a reopen: every accepted event is
/// in the lake exactly once.
#[tokio::test]
async fn a_background_encoding_failure_surfaces_later_and_loses_nothing() {
    for reopen in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        let lake = local_store(dir.path().join("lake")).expect("lake");
        let spool = dir.path().join("spool");
        let config = config(&lake, &spool);
        let (mut writer, gates) = open_hooked(config.clone()).await;
        gates.fail_next.store(true, Ordering::SeqCst);
        let mut accepted = Vec::new();
        let mut failed = None;
        for seq in 0..2_000u64 {
            if writer.stats().rolls_by_size > 0 {
                // Gives the encoder time: the failure is taken by a
                // later write.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            match writer.write(&event(seq)).await {
                Ok(()) => accepted.push(seq),
                Err(err) => {
                    failed = Some((seq, err));
                    break;
                }
            }
        }
        let (rejected, err) = failed.expect("the encoding failure surfaced");
        assert!(err.message().contains("injected encoding failure"), "{err}");
        let stats = writer.stats();
        assert_eq!(stats.events_accepted, accepted.len() as u64);
        assert_eq!(
            writer.segments.failed().len(),
            1,
            "a new segment took the partition"
        );
        let extra: u64 = writer.segments.failed()[0].1.spool.extra_total
            + writer
                .segments
                .open_segments()
                .map(|s| s.spool.extra_total)
                .sum::<u64>();
        assert_eq!(
            stats.buffered_bytes,
            writer.segments.bytes() + extra,
            "{stats:?}"
        );
        for seq in rejected + 1..rejected + 50 {
            writer.write(&event(seq)).await.expect("write");
            accepted.push(seq);
        }
        if reopen {
            drop(writer);
            let writer = Writer::<Authentication>::open(config)
                .await
                .expect("reopen");
            writer.close().await.expect("close");
        } else {
            let manifest = writer.flush().await.expect("flush");
            assert_eq!(manifest.rows(), accepted.len() as u64);
            let stats = writer.stats();
            assert_eq!(stats.events_written, accepted.len() as u64);
            assert_eq!(stats.buffered_bytes, 0, "{stats:?}");
            writer.close().await.expect("close");
        }
        assert_eq!(lake_seqs(&lake).await, accepted, "reopen: {reopen}");
        let left: Vec<_> = std::fs::read_dir(&spool)
            .expect("spool")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains(".wal") || name.contains(".sealed"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

/// Dropping a writer does not wait for the encoding in flight: the drop
/// returns while the encoding is still held, a writer opened on the spool
/// right after it seals the segment again, and every accepted event is in
/// the lake exactly once, with nothing left in the spool.
#[tokio::test]
async fn drop_does_not_wait_for_the_encoding_in_flight() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = local_store(dir.path().join("lake")).expect("lake");
    let spool = dir.path().join("spool");
    let config = config(&lake, &spool);
    let (mut writer, gates) = open_hooked(config.clone()).await;
    let release = hold_next_encode(&gates);
    let mut accepted = Vec::new();
    for seq in 0..200u64 {
        writer.write(&event(seq)).await.expect("write");
        accepted.push(seq);
        if writer.stats().rolls_by_size == 1 {
            break;
        }
    }
    assert_eq!(writer.stats().rolls_by_size, 1, "a segment is being sealed");
    drop(writer);
    // The encoding is still held: its gate is still there to receive.
    release
        .send(())
        .expect("the drop returned before the encoding ended");
    let writer = Writer::<Authentication>::open(config)
        .await
        .expect("reopen");
    writer.close().await.expect("close");
    assert_eq!(lake_seqs(&lake).await, accepted);
    let left: Vec<_> = std::fs::read_dir(&spool)
        .expect("spool")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".wal") || name.ends_with(".sealed"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A write-ahead file of format 2 (binary event records), as the previous
/// version of the writer left it (written here with that version's record
/// encoder, kept for recovery), is recovered by the columnar writer: every
/// event in the lake once, in time order within the object, and new
/// segments are written in the current columnar format.
#[tokio::test]
async fn a_format_2_spool_left_by_the_previous_version_recovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = local_store(dir.path().join("lake")).expect("lake");
    let spool = dir.path().join("spool");
    std::fs::create_dir_all(&spool).expect("spool dir");
    let header = crate::spool::SegmentHeader {
        format: crate::record::FORMAT_BINARY,
        class_uid: 3002,
        class_name: "authentication".into(),
        partition: "region=us-east-1/accountId=123456789012/eventDay=20240229/".into(),
    };
    let mut wal = Vec::new();
    let mut record = |payload: &[u8]| {
        wal.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        wal.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        wal.extend_from_slice(payload);
    };
    record(&serde_json::to_vec(&header).expect("header"));
    // Out of time order, as events arrive.
    let seqs: Vec<u64> = (0..40).rev().collect();
    for &seq in &seqs {
        let (payload, _) = crate::record::encode_new(&event(seq)).expect("record");
        record(&payload);
    }
    // A torn tail: a write that never returned.
    wal.extend_from_slice(&[9, 0, 0, 0, 1, 2]);
    std::fs::write(spool.join(format!("{:020}.wal", 7)), &wal).expect("wal");
    let config = config(&lake, &spool);
    let mut writer = Writer::<Authentication>::open(config).await.expect("open");
    assert_eq!(writer.stats().events_recovered, 40);
    writer.write(&event(100)).await.expect("write");
    let header = std::fs::read_dir(&spool)
        .expect("spool")
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().ends_with(".wal"))
        .map(|e| std::fs::read(e.path()).expect("read"))
        .expect("a new write-ahead file");
    assert!(
        String::from_utf8_lossy(&header)
            .contains(&format!("\"format\":{}", crate::spool::WAL_FORMAT)),
        "new segments are columnar"
    );
    writer.close().await.expect("close");
    let mut expected: Vec<u64> = (0..40).collect();
    expected.push(100);
    assert_eq!(lake_seqs(&lake).await, expected);
}

/// The object keys in the lake (each names its object by the hash of its
/// bytes), sorted.
async fn lake_keys(lake: &Arc<dyn ObjectStore>) -> Vec<String> {
    use futures::TryStreamExt;
    use securitylake_core::object_store::path::Path as ObjectPath;
    let mut keys: Vec<String> = lake
        .list(Some(&ObjectPath::from("ext")))
        .map_ok(|meta| meta.location.to_string())
        .try_collect()
        .await
        .expect("list");
    keys.sort();
    keys
}

/// Writes `events`, 25 per batch (a frame each), flushing (a file) after
/// every 200, then closes the writer; returns its counters after the last
/// flush. With `encoded`, each batch goes through an [`EventEncoder`]
/// (encoded first, then placed by [`Writer::write_encoded`]); otherwise by
/// reference ([`Writer::write_batch`]).
async fn write_all(
    mut writer: Writer<Authentication>,
    events: &[Authentication],
    encoded: bool,
) -> WriterStats {
    let mut encoder = writer.encoder();
    for file in events.chunks(200) {
        for chunk in file.chunks(25) {
            if encoded {
                chunk.iter().for_each(|e| encoder.append(e));
                let batch = encoder.finish().expect("encode");
                assert_eq!(batch.len(), chunk.len());
                writer.write_encoded(&batch).await.expect("write");
            } else {
                writer.write_batch(chunk).await.expect("write");
            }
        }
        writer.flush().await.expect("flush");
    }
    let stats = writer.stats();
    writer.close().await.expect("close");
    stats
}

/// A segment sealed while it is open is the file its write-ahead file seals
/// to: the same objects (keys are the hash of the bytes) as a writer that
/// seals every segment from the spool (files cut by `flush`, since when a
/// file rolls by size depends on when earlier seals finished), for frames in time order (sealed
/// early) and for frames that go back in time or outgrow the first frame's
/// value bound (the early file given up: sealed from the spool).
#[tokio::test]
async fn a_segment_sealed_while_open_is_the_file_its_spool_seals_to() {
    let t0 = 1_709_164_800_000_i64;
    let events = |time: &dyn Fn(i64) -> i64, large: bool| -> Vec<Authentication> {
        (0..600u64)
            .map(|seq| {
                let mut event = event(seq);
                event.time = time(seq as i64);
                if large && seq % 200 == 55 {
                    event.message = Some(format!("seq-{seq} {}", "y".repeat(5_000)));
                }
                event
            })
            .collect()
    };
    let cases = [
        ("in order", events(&|i| t0 + i, false)),
        // Every other batch of 25 goes back in time.
        (
            "back in time",
            events(
                &|i| t0 + 10_000 + i - if (i / 25) % 2 == 1 { 5_000 } else { 0 },
                false,
            ),
        ),
        // Values larger than the first frame's bound, later in each file.
        ("a larger value later", events(&|i| t0 + i, true)),
    ];
    for (case, events) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut keys = Vec::new();
        for early in [true, false] {
            let lake = local_store(dir.path().join(format!("lake-{early}"))).expect("lake");
            let config = config_of(&lake, &dir.path().join(format!("spool-{early}")), 64 << 20);
            let writer = if early {
                Writer::<Authentication>::open(config).await.expect("open")
            } else {
                open_hooked(config).await.0
            };
            let stats = write_all(writer, &events, false).await;
            assert_eq!(stats.files_written, 3, "{case}");
            let sealed_early = stats.sealed_while_open > 0;
            assert_eq!(sealed_early, early && case == "in order", "{case}");
            assert_eq!(
                lake_seqs(&lake).await,
                (0..600).collect::<Vec<u64>>(),
                "{case}: every event once"
            );
            keys.push(lake_keys(&lake).await);
        }
        assert_eq!(keys[0], keys[1], "{case}: the same objects, byte for byte");
    }
}

/// Events encoded before they reach the writer make the files the same
/// events written by reference make, byte for byte (the same object keys):
/// in one day, and in two days with the rows of a batch interleaved (each
/// batch split by partition, rows in order).
#[tokio::test]
async fn encoded_events_make_the_files_their_events_make() {
    let t0 = 1_709_164_800_000_i64 - 3_600_000;
    let cases: [(&str, &dyn Fn(i64) -> i64); 2] = [
        ("one day", &|i| t0 + 3_600_000 + i),
        ("two days, interleaved", &|i| {
            t0 + i + (i % 3 == 0) as i64 * 3_600_000
        }),
    ];
    for (case, time) in cases {
        let events: Vec<Authentication> = (0..600u64)
            .map(|seq| {
                let mut event = event(seq);
                event.time = time(seq as i64);
                event
            })
            .collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut keys = Vec::new();
        for encoded in [false, true] {
            let lake = local_store(dir.path().join(format!("lake-{encoded}"))).expect("lake");
            let config = config_of(
                &lake,
                &dir.path().join(format!("spool-{encoded}")),
                64 << 20,
            );
            let writer = Writer::<Authentication>::open(config).await.expect("open");
            let stats = write_all(writer, &events, encoded).await;
            assert_eq!(stats.events_accepted, 600, "{case}");
            assert_eq!(
                lake_seqs(&lake).await,
                (0..600).collect::<Vec<u64>>(),
                "{case}: every event once"
            );
            keys.push(lake_keys(&lake).await);
        }
        let days = if case == "one day" { 3 } else { 6 };
        assert_eq!(keys[0].len(), days, "{case}: a file per flush and day");
        assert_eq!(keys[0], keys[1], "{case}: the same objects, byte for byte");
    }
}

/// A batch larger than what a file takes rolls its segment where it is
/// full (the rest goes on in the next file): every event once, and no file
/// over the limit.
#[tokio::test]
async fn an_encoded_batch_rolls_its_segment_where_it_is_full() {
    use futures::TryStreamExt;
    use securitylake_core::object_store::path::Path as ObjectPath;
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = local_store(dir.path().join("lake")).expect("lake");
    let max = 32 * 1024;
    let mut writer =
        Writer::<Authentication>::open(config_of(&lake, &dir.path().join("spool"), max))
            .await
            .expect("open");
    let mut encoder = writer.encoder();
    for batch in 0..4u64 {
        for seq in batch * 500..(batch + 1) * 500 {
            let mut event = event(seq);
            // Values that do not compress to nothing.
            event.message = Some(format!(
                "seq-{seq} {:x}",
                seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ));
            encoder.append(&event);
        }
        writer
            .write_encoded(&encoder.finish().expect("encode"))
            .await
            .expect("write");
    }
    let stats = writer.stats();
    writer.close().await.expect("close");
    assert_eq!(lake_seqs(&lake).await, (0..2000).collect::<Vec<u64>>());
    assert!(stats.rolls_by_size >= 2, "{stats:?}");
    let sizes: Vec<u64> = lake
        .list(Some(&ObjectPath::from("ext")))
        .map_ok(|meta| meta.size)
        .try_collect()
        .await
        .expect("list");
    assert!(sizes.len() >= 3, "{sizes:?}");
    assert!(sizes.iter().all(|&s| s <= max), "{sizes:?}");
}

/// What an encoded batch is refused for: a time before 1970 or too far
/// ahead (nothing of the batch written), columns of other options, and an
/// event too large for a file (the events before it accepted, the error
/// says how many).
#[tokio::test]
async fn encoded_batches_are_refused_with_typed_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = local_store(dir.path().join("lake")).expect("lake");
    let mut writer = Writer::<Authentication>::open(config(&lake, &dir.path().join("spool")))
        .await
        .expect("open");
    let mut encoder = writer.encoder();
    for time in [-1, 1_709_164_800_000 + 30 * 86_400_000] {
        encoder.append(&event(0));
        let mut bad = event(1);
        bad.time = time;
        encoder.append(&bad);
        let err = writer
            .write_encoded(&encoder.finish().expect("encode"))
            .await
            .expect_err("a bad time");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.message().contains("event 1 of the batch"), "{err}");
        assert_eq!(writer.stats().events_accepted, 0);
    }

    let mut other = super::EventEncoder::<Authentication>::new(
        &ColumnarOptions::default().with_projection(["message", "status"]),
    )
    .expect("encoder");
    other.append(&event(0));
    let err = writer
        .write_encoded(&other.finish().expect("encode"))
        .await
        .expect_err("other columns");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    for seq in 0..3 {
        encoder.append(&event(seq));
    }
    let mut large = event(3);
    large.message = Some(format!("seq-3 {}", "z".repeat(200_000)));
    encoder.append(&large);
    encoder.append(&event(4));
    let err = writer
        .write_encoded(&encoder.finish().expect("encode"))
        .await
        .expect_err("too large");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("after accepting 3"), "{err}");
    assert!(
        writer
            .write_encoded(&encoder.finish().expect("empty"))
            .await
            .is_ok()
    );
    writer.close().await.expect("close");
    assert_eq!(lake_seqs(&lake).await, vec![0, 1, 2]);
}

//! The router: a `LakeSink` writes every class of a mapped log to its own
//! custom source in a local lake, dead-letters the events a writer refuses
//! and applies the unrouted-class policies.

mod writer_support;

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use ocsf_mappers::{LinuxMapper, SourceConfig, V1_1_0, stream};
use ocsf_model::UnrecognizedEvent;
use ocsf_model::columnar::ColumnarOptions;
use ocsf_model::v1_1_0::Event;
use ocsf_model::v1_1_0::enums::SeverityId;
use ocsf_model::v1_1_0::events::{Authentication, BaseEvent, BaseEventActivityId};
use ocsf_model::v1_1_0::objects::{Metadata, Product};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::local_store;
use securitylake_source::sink::{
    BoxFuture, ClassInfo, DeadLetter, DeadLetterCause, DeadLetterSink, JsonLinesDeadLetters,
    LakeSink, PrefixDestinations, Unrouted, read_dead_letters,
};
use securitylake_source::writer::ManualClock;
use securitylake_source::{ErrorKind, WriterConfig};
use writer_support::*;

/// The shared sample corpora (`../shared/samples` beside the checkout).
const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/samples");

/// 2025-01-01T00:00:00Z: the clock of the writers (every sample event is
/// before it).
const NOW: i64 = 1_735_689_600_000;

/// A lake directory, a spool root and a dead-letter path in one temporary
/// directory.
struct Lake {
    dir: tempfile::TempDir,
    store: Arc<dyn ObjectStore>,
    clock: ManualClock,
}

impl Lake {
    fn new() -> BoxResult<Self> {
        let dir = tempfile::tempdir()?;
        let store = local_store(dir.path().join("lake"))?;
        Ok(Self {
            dir,
            store,
            clock: ManualClock::new(NOW),
        })
    }

    fn dead_letter_path(&self) -> PathBuf {
        self.dir.path().join("dead/letters.jsonl")
    }

    /// One source per class named from `prefix`, spooled in the lake's
    /// directory.
    fn destinations(&self, prefix: &str) -> PrefixDestinations {
        let template = WriterConfig::builder()
            .region("us-east-1")
            .account_id(ACCOUNT)
            .store(self.store.clone())
            .clock(Arc::new(self.clock.clone()));
        PrefixDestinations::new(
            prefix,
            "local-lake",
            self.dir.path().join("spool"),
            template,
        )
        .source_version("1.0")
    }

    /// Rows per object under `prefix`, each object checked to hold only
    /// class `class_uid` (its `class_uid` column).
    async fn rows_under(&self, prefix: &str, class_uid: i32) -> BoxResult<Vec<u64>> {
        let mut rows = Vec::new();
        for key in list_keys(&*self.store, prefix).await? {
            assert_key_layout_of(&key, prefix)?;
            let body: Bytes = get_bytes(&*self.store, &key).await?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(body)?.build()?;
            let mut n = 0u64;
            for batch in reader {
                let batch = batch?;
                let column = batch
                    .column_by_name("class_uid")
                    .ok_or_else(|| format!("{key}: no class_uid column"))?;
                let uids = column
                    .as_any()
                    .downcast_ref::<arrow_array::Int32Array>()
                    .ok_or_else(|| format!("{key}: class_uid is not INT32"))?;
                for uid in uids.iter() {
                    assert_eq!(uid, Some(class_uid), "{key}: a row of another class");
                }
                n += batch.num_rows() as u64;
            }
            rows.push(n);
        }
        Ok(rows)
    }
}

/// `<prefix>region=us-east-1/accountId=<ACCOUNT>/eventDay=<8 digits>/<32 hex>.zstd.parquet`.
fn assert_key_layout_of(key: &str, prefix: &str) -> BoxResult<()> {
    let rest = key
        .strip_prefix(prefix)
        .ok_or_else(|| format!("{key} is not under {prefix}"))?;
    let parts: Vec<&str> = rest.split('/').collect();
    assert_eq!(parts.len(), 4, "{key}");
    assert_eq!(parts[0], "region=us-east-1", "{key}");
    assert_eq!(parts[1], format!("accountId={ACCOUNT}"), "{key}");
    assert!(
        parts[2].starts_with("eventDay=") && parts[2].len() == 17,
        "{key}"
    );
    assert!(parts[3].ends_with(".zstd.parquet"), "{key}");
    Ok(())
}

/// Mapped events and their count per class.
type Mapped = (Vec<Event>, BTreeMap<i32, u64>);

/// The shared Linux samples, mapped: the events and their count per class.
fn mapped_linux_samples() -> BoxResult<Option<Mapped>> {
    let mut events = Vec::new();
    for file in ["linux/loghub/Linux_2k.log", "linux/loghub/OpenSSH_2k.log"] {
        let path = Path::new(SAMPLES).join(file);
        if !path.exists() {
            eprintln!("note: sample {} is absent; skipping", path.display());
            return Ok(None);
        }
        // The samples carry no year: 2024, before the writers' clock.
        let config = SourceConfig::linux().with_reference_ms(NOW - DAY);
        let mapper = LinuxMapper::new(config);
        let reader = BufReader::new(std::fs::File::open(&path)?);
        for event in stream::events(mapper, reader) {
            events.push(event?);
        }
    }
    let mut per_class = BTreeMap::new();
    for event in &events {
        *per_class.entry(event.class_uid()).or_insert(0u64) += 1;
    }
    Ok(Some((events, per_class)))
}

/// The mapper's projection of each class, as the CLI uses it.
fn projection(class: &ClassInfo) -> Option<ColumnarOptions> {
    let mapper = LinuxMapper::<V1_1_0>::new(SourceConfig::linux());
    mapper
        .projection(class.class_uid)
        .map(|p| ColumnarOptions::default().with_projection(p.paths()))
}

/// Every class the Linux mapper produced from the shared samples lands in a
/// source of its own, one class per object, with exactly the mapper's count
/// of events per class; nothing is unrouted or dead-lettered.
#[tokio::test]
async fn every_class_of_the_linux_samples_lands_in_its_own_source() -> TestResult {
    let Some((events, per_class)) = mapped_linux_samples()? else {
        return Ok(());
    };
    // Several classes, not only Authentication (the loss the router fixes).
    assert!(per_class.len() >= 4, "{per_class:?}");
    assert!(per_class.keys().any(|uid| *uid != 3002));
    let lake = Lake::new()?;
    let destinations = lake.destinations("lx").columnar_options(projection);
    let configs = destinations.configs::<Event>(LinuxMapper::<V1_1_0>::CLASSES)?;
    let mut sink = LakeSink::<Event>::builder()
        .destinations(configs)
        .dead_letters(JsonLinesDeadLetters::open(lake.dead_letter_path())?)
        .build()?;
    let total = events.len() as u64;
    let mut events = events.into_iter();
    loop {
        let batch: Vec<Event> = events.by_ref().take(300).collect();
        if batch.is_empty() {
            break;
        }
        sink.write_batch(&batch).await?;
    }
    let stats = sink.stats();
    assert_eq!(stats.accepted(), total);
    assert_eq!((stats.dead_lettered(), stats.unrouted()), (0, 0));
    let manifest = sink.close().await?;
    assert_eq!(manifest.rows(), total);

    for (&uid, &expected) in &per_class {
        let class = ClassInfo::find::<Event>(uid).ok_or("a class of 1.1.0")?;
        let prefix = format!("ext/{}/1.0/", destinations.source_name(&class)?);
        let rows = lake.rows_under(&prefix, uid).await?;
        assert!(!rows.is_empty(), "no object for {}", class.name);
        assert_eq!(rows.iter().sum::<u64>(), expected, "rows of {}", class.name);
        assert_eq!(stats.classes[&uid].accepted, expected, "{}", class.name);
        assert_eq!(
            stats.classes[&uid].location.as_deref(),
            Some(format!("s3://local-lake/{prefix}").as_str())
        );
    }
    // Nothing else in the lake: as many objects as the manifest lists.
    assert_eq!(list_keys(&*lake.store, "ext/").await?.len(), manifest.len());
    assert!(read_dead_letters(&lake.dead_letter_path())?.is_empty());

    // An independent reader agrees: pyarrow's rows and class_uids per source directory.
    if let Some(per_source) = pyarrow_rows(&lake.dir.path().join("lake/ext"))? {
        let mut expected = serde_json::Map::new();
        for (&uid, &rows) in &per_class {
            let class = ClassInfo::find::<Event>(uid).ok_or("a class of 1.1.0")?;
            expected.insert(
                destinations.source_name(&class)?,
                serde_json::json!([rows, [uid]]),
            );
        }
        assert_eq!(per_source, serde_json::Value::Object(expected));
    }
    Ok(())
}

/// Rows and distinct `class_uid`s per source directory under `ext`, read by pyarrow (the
/// `PYTHON` interpreter with pyarrow that `cargo xtask test` provisions); `None` without it.
fn pyarrow_rows(ext: &Path) -> BoxResult<Option<serde_json::Value>> {
    let Some(python) = std::env::var_os("PYTHON") else {
        if std::env::var_os("SECLAKE_TEST_COMPLETE").is_some() {
            return Err(
                "SECLAKE_TEST_COMPLETE is set but PYTHON is unset: pyarrow cannot check the lake"
                    .into(),
            );
        }
        eprintln!("note: PYTHON is unset; skipping the pyarrow read-back");
        return Ok(None);
    };
    let script = r#"
import json, pathlib, sys
import pyarrow.parquet as pq
out = {}
for f in sorted(pathlib.Path(sys.argv[1]).rglob("*.parquet")):
    source = f.relative_to(sys.argv[1]).parts[0]
    t = pq.read_table(f, columns=["class_uid"])
    rows, uids = out.get(source, (0, set()))
    out[source] = (rows + t.num_rows, uids | set(t.column("class_uid").to_pylist()))
print(json.dumps({s: [r, sorted(u)] for s, (r, u) in out.items()}))
"#;
    let output = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(ext)
        .output()?;
    if !output.status.success() {
        return Err(format!("pyarrow: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(Some(serde_json::from_slice(&output.stdout)?))
}

/// An authentication event at `time` with `message`.
fn logon(time: i64, message: &str) -> Event {
    let mut event = event(time, 0, 0);
    event.message = Some(message.to_owned());
    event.into()
}

/// A Base Event at `time`.
fn base(time: i64) -> Event {
    let mut product = Product::default();
    product.name = Some("p".into());
    product.vendor_name = Some("v".into());
    BaseEvent::new(
        BaseEventActivityId::Other,
        Metadata::new(product, "1.1.0".into()),
        SeverityId::Informational,
        time,
    )
    .into()
}

/// An event far in the future and one before 1970 are dead-lettered with
/// their reasons, in a batch and one by one; every other event lands.
#[tokio::test]
async fn refused_events_are_dead_lettered_and_the_rest_lands() -> TestResult {
    let lake = Lake::new()?;
    let destinations = lake.destinations("dl");
    let mut sink = LakeSink::<Event>::builder()
        .destinations(destinations.configs::<Event>(&[3002])?)
        .dead_letters(JsonLinesDeadLetters::open(lake.dead_letter_path())?)
        .build()?;
    let future = NOW + 30 * DAY;
    let batch = vec![
        logon(NOW - DAY, "a"),
        logon(future, "from the future"),
        logon(NOW - DAY + 1, "b"),
        logon(-1, "before 1970"),
        logon(NOW - DAY + 2, "c"),
    ];
    sink.write_batch(&batch).await?;
    sink.write(&logon(future + 1, "also from the future"))
        .await?;
    sink.write(&logon(NOW - 2, "d")).await?;

    let stats = sink.stats();
    assert_eq!(stats.classes[&3002].accepted, 4);
    assert_eq!(stats.classes[&3002].dead_lettered, 3);
    let manifest = sink.close().await?;
    assert_eq!(manifest.rows(), 4);
    // The name holds as much of the class name as fits in 20 characters.
    let prefix = "ext/dl-authenticati-3002/1.0/";
    assert_eq!(lake.rows_under(prefix, 3002).await?.iter().sum::<u64>(), 4);

    let letters = read_dead_letters(&lake.dead_letter_path())?;
    let got: Vec<(&str, Option<i64>, DeadLetterCause)> = letters
        .iter()
        .map(|l| (l.event["message"].as_str().unwrap_or(""), l.time, l.cause))
        .collect();
    assert_eq!(
        got,
        [
            ("from the future", Some(future), DeadLetterCause::Refused),
            ("before 1970", Some(-1), DeadLetterCause::Refused),
            (
                "also from the future",
                Some(future + 1),
                DeadLetterCause::Refused
            ),
        ]
    );
    assert!(letters[0].reason.contains("ahead of the writer's clock"));
    assert!(letters[1].reason.contains("before 1970"));
    assert_eq!(letters[0].class_uid, 3002);
    assert_eq!(letters[0].class_name.as_deref(), Some("authentication"));
    // The letter holds the whole event, readable as its class.
    let back: Authentication = serde_json::from_value(letters[0].event.clone())?;
    assert_eq!(back.time, future);
    Ok(())
}

/// Without a dead-letter sink a refused event fails the write (it is not
/// dropped), and the other events of its batch are still accepted.
#[tokio::test]
async fn without_a_dead_letter_sink_a_refused_event_is_an_error() -> TestResult {
    let lake = Lake::new()?;
    let mut sink = LakeSink::<Event>::builder()
        .destinations(lake.destinations("nodl").configs::<Event>(&[3002])?)
        .build()?;
    let err = sink
        .write(&logon(NOW + 30 * DAY, "future"))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("ahead"), "{err}");
    let err = sink
        .write_batch(&vec![logon(NOW - 1, "ok"), logon(-5, "old")])
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let stats = sink.stats();
    assert_eq!(
        (
            stats.classes[&3002].accepted,
            stats.classes[&3002].dead_lettered
        ),
        (1, 0)
    );
    assert_eq!(sink.close().await?.rows(), 1);
    Ok(())
}

/// A dead-letter sink that fails every put (a full disk, a lost bucket).
#[derive(Debug)]
struct BrokenDeadLetters;

impl DeadLetterSink for BrokenDeadLetters {
    fn put(&mut self, _letter: DeadLetter) -> BoxFuture<'_, securitylake_source::Result<()>> {
        Box::pin(async {
            Err(securitylake_source::Error::new(
                ErrorKind::Io,
                "no space left",
            ))
        })
    }

    fn flush(&mut self) -> BoxFuture<'_, securitylake_source::Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// A dead-letter sink's error is the write's error, and the letter is not
/// counted as kept.
#[tokio::test]
async fn a_failing_dead_letter_sink_fails_the_write() -> TestResult {
    let lake = Lake::new()?;
    let mut sink = LakeSink::<Event>::builder()
        .destinations(lake.destinations("broken").configs::<Event>(&[3002])?)
        .dead_letters(BrokenDeadLetters)
        .build()?;
    let err = sink
        .write(&logon(NOW + 30 * DAY, "future"))
        .await
        .expect_err("the dead-letter sink fails");
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(sink.stats().dead_lettered(), 0);
    Ok(())
}

/// `Unrouted::Error` (the default): an event of a class without a
/// destination fails the write with a Config error and is counted; the
/// routed class still lands.
#[tokio::test]
async fn unrouted_error_policy_fails_the_write() -> TestResult {
    let lake = Lake::new()?;
    let mut sink = LakeSink::<Event>::builder()
        .destinations(lake.destinations("err").configs::<Event>(&[3002])?)
        .build()?;
    sink.write(&logon(NOW - 1, "ok")).await?;
    let err = sink
        .write(&base(NOW - 1))
        .await
        .expect_err("no destination");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("class_uid 0"), "{err}");
    let stats = sink.stats();
    assert_eq!(stats.classes[&0].unrouted, 1);
    assert_eq!(stats.classes[&3002].accepted, 1);
    assert_eq!(sink.close().await?.rows(), 1);
    assert!(
        list_keys(&*lake.store, "ext/err-base-event-0/")
            .await?
            .is_empty()
    );
    Ok(())
}

/// `Unrouted::Skip`: events of classes without a destination are skipped
/// and counted per class, in single writes and batches.
#[tokio::test]
async fn unrouted_skip_policy_counts_per_class() -> TestResult {
    let lake = Lake::new()?;
    let mut sink = LakeSink::<Event>::builder()
        .destinations(lake.destinations("skip").configs::<Event>(&[3002])?)
        .unrouted(Unrouted::Skip)
        .build()?;
    sink.write(&base(NOW - 1)).await?;
    sink.write_batch(&vec![base(NOW - 2), logon(NOW - 1, "ok"), base(NOW - 3)])
        .await?;
    let stats = sink.stats();
    assert_eq!(stats.classes[&0].unrouted, 3);
    assert_eq!(stats.classes[&0].class_name, Some("base_event"));
    assert_eq!(stats.classes[&3002].accepted, 1);
    assert_eq!((stats.unrouted(), stats.accepted()), (3, 1));
    let manifest = sink.close().await?;
    assert_eq!(manifest.rows(), 1);
    assert_eq!(list_keys(&*lake.store, "ext/").await?.len(), 1);
    Ok(())
}

/// `Unrouted::DeadLetter`: events of classes without a destination are kept
/// as dead letters with cause `unrouted`; the policy needs a dead-letter
/// sink.
#[tokio::test]
async fn unrouted_dead_letter_policy_keeps_the_events() -> TestResult {
    let lake = Lake::new()?;
    let err = LakeSink::<Event>::builder()
        .unrouted(Unrouted::DeadLetter)
        .build()
        .expect_err("no dead-letter sink");
    assert_eq!(err.kind(), ErrorKind::Config);

    let mut sink = LakeSink::<Event>::builder()
        .destinations(lake.destinations("udl").configs::<Event>(&[3002])?)
        .unrouted(Unrouted::DeadLetter)
        .dead_letters(JsonLinesDeadLetters::open(lake.dead_letter_path())?)
        .build()?;
    sink.write_batch(&vec![base(NOW - 2), logon(NOW - 1, "ok")])
        .await?;
    let stats = sink.stats();
    assert_eq!(
        (stats.classes[&0].unrouted, stats.classes[&0].dead_lettered),
        (1, 1)
    );
    sink.close().await?;
    let letters = read_dead_letters(&lake.dead_letter_path())?;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].cause, DeadLetterCause::Unrouted);
    assert_eq!(letters[0].class_uid, 0);
    assert_eq!(letters[0].event["time"], NOW - 2);
    Ok(())
}

/// `Unrouted::CatchAll`: a class without an explicit destination gets the
/// resolver's (its own source, named from the prefix); an event of a class
/// the version does not define is dead-lettered as unrecognized.
#[tokio::test]
async fn unrouted_catch_all_policy_opens_a_source_per_class() -> TestResult {
    let lake = Lake::new()?;
    let destinations = lake.destinations("any");
    let mut sink = LakeSink::<Event>::builder()
        .unrouted(Unrouted::catch_all(destinations.clone()))
        .dead_letters(JsonLinesDeadLetters::open(lake.dead_letter_path())?)
        .build()?;
    let unknown: UnrecognizedEvent =
        serde_json::from_str(r#"{"class_uid": 999001, "time": 1700000000000}"#)?;
    sink.write_batch(&vec![
        base(NOW - 2),
        logon(NOW - 1, "ok"),
        Event::from(unknown),
        base(NOW - 3),
    ])
    .await?;
    let stats = sink.stats();
    assert_eq!(stats.classes[&0].accepted, 2);
    assert_eq!(stats.classes[&3002].accepted, 1);
    assert_eq!(stats.classes[&999_001].dead_lettered, 1);
    assert_eq!(stats.classes[&999_001].class_name, None);
    sink.close().await?;
    assert_eq!(
        lake.rows_under("ext/any-base-event-0/1.0/", BaseEvent::CLASS_UID)
            .await?
            .iter()
            .sum::<u64>(),
        2
    );
    assert_eq!(
        lake.rows_under("ext/any-authenticat-3002/1.0/", 3002)
            .await?
            .iter()
            .sum::<u64>(),
        1
    );
    let letters = read_dead_letters(&lake.dead_letter_path())?;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].cause, DeadLetterCause::Unrecognized);
    assert_eq!(letters[0].class_uid, 999_001);
    Ok(())
}

/// Two classes writing to one source (or one spool) are refused at build
/// time, and so is a destination of a class the version does not define.
#[tokio::test]
async fn destinations_that_share_a_source_are_refused() -> TestResult {
    let lake = Lake::new()?;
    let config = lake
        .destinations("same")
        .configs::<Event>(&[3002])?
        .remove(&3002)
        .ok_or("a config")?;
    let err = LakeSink::<Event>::builder()
        .destination(3002, config.clone())
        .destination(4001, config.clone())
        .build()
        .expect_err("one source, two classes");
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = LakeSink::<Event>::builder()
        .destination(999_001, config)
        .build()
        .expect_err("not a class");
    assert_eq!(err.kind(), ErrorKind::Config);
    Ok(())
}

//! Floats at the edges through the writer: NaN, both infinities, negative
//! zero, subnormals and the limits of `f64` are data. They are spooled (the
//! binary records keep a float's bits), sealed into Parquet and read back by
//! the project's reader, also after a crash, and the writer's size accounting
//! stays consistent for them.
//!
//! OCSF's `float_t` is a Float32 column in Security Lake's files, so what
//! comes back is the value narrowed as `as f32` narrows it: rounded to the
//! nearest `f32`, beyond its range to an infinity and below its subnormals to
//! a zero, each of the value's sign. NaN stays NaN (its payload is not
//! promised), and the signs of infinities and zeros are kept. A value an
//! `f32` holds comes back bit for bit.

mod writer_support;

use std::path::Path;
use std::sync::Arc;

use ocsf_model::columnar::{ColumnarOptions, arrow_schema};
use ocsf_model::v1_1_0::events::Authentication;
use ocsf_model::v1_1_0::objects::{
    Location, NetworkEndpoint, Observable, ObservableTypeId, Reputation, ReputationScoreId,
};
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::local_store;
use securitylake_source::writer::ManualClock;
use securitylake_source::{Writer, WriterConfig};
use writer_support::*;

/// The values under test, with what they are.
fn edges() -> Vec<(&'static str, f64)> {
    vec![
        ("NaN", f64::NAN),
        ("negative NaN", -f64::NAN),
        ("+inf", f64::INFINITY),
        ("-inf", f64::NEG_INFINITY),
        ("+0.0", 0.0),
        ("-0.0", -0.0),
        ("smallest f64 subnormal", f64::from_bits(1)),
        (
            "negative f64 subnormal",
            -f64::from_bits(0x000f_ffff_ffff_ffff),
        ),
        ("f64::MIN_POSITIVE", f64::MIN_POSITIVE),
        ("f64::MAX", f64::MAX),
        ("f64::MIN", f64::MIN),
        ("smallest f32 subnormal", f64::from(f32::from_bits(1))),
        (
            "negative largest f32 subnormal",
            -f64::from(f32::from_bits(0x007f_ffff)),
        ),
        ("f32::MIN_POSITIVE", f64::from(f32::MIN_POSITIVE)),
        ("f32::MAX", f64::from(f32::MAX)),
        ("f32::MIN", f64::from(f32::MIN)),
        ("latitude", 47.625),
        ("longitude", -122.3125),
        ("0.1 (not an f32)", 0.1),
    ]
}

/// What a Float32 column gives back for `v`.
fn narrowed(v: f64) -> f64 {
    f64::from(v as f32)
}

/// The same float: both NaN, or the same bits (so `-0.0` is not `0.0`).
fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

/// An authentication event (`seq-<seq>`) whose source location has
/// `coordinates` and whose one observable has a reputation of `score` (each
/// left out when `None`).
fn float_event(seq: u64, coordinates: Option<Vec<f64>>, score: Option<f64>) -> Authentication {
    let mut event = event(LEAP_DAY + seq as i64, seq, 0);
    if let Some(coordinates) = coordinates {
        let mut location = Location::new();
        location.coordinates = Some(coordinates);
        location.city = Some("Seattle".into());
        let mut endpoint = NetworkEndpoint::new();
        endpoint.location = Some(Box::new(location));
        endpoint.ip = Some("192.0.2.7".into());
        event.src_endpoint = Some(Box::new(endpoint));
    }
    if let Some(score) = score {
        let mut observable = Observable::new("src_endpoint.ip".into(), ObservableTypeId::IpAddress);
        observable.reputation = Some(Box::new(Reputation::new(score, ReputationScoreId::Safe)));
        event.observables = Some(vec![observable]);
    }
    event
}

/// The floats of an event (its coordinates and reputation score), taken out
/// of it, so that the rest compares with `==` (NaN is not equal to itself).
fn take_floats(event: &mut Authentication) -> (Option<Vec<f64>>, Option<f64>) {
    let coordinates = event
        .src_endpoint
        .as_mut()
        .and_then(|e| e.location.as_mut())
        .and_then(|l| l.coordinates.take());
    let score = event
        .observables
        .as_mut()
        .and_then(|o| o.first_mut())
        .and_then(|o| o.reputation.as_mut())
        .and_then(|r| r.base_score.take());
    (coordinates, score)
}

/// The events under test: one per edge value (as a coordinate, with its
/// negation, and as the score), one with every edge value in one list, one
/// without floats, so that an absent value is seen apart from NaN, and,
/// second, one with 4,096 NaN coordinates: its record (9 bytes a float) is
/// larger than its JSON (`null`), which the size accounting must follow.
fn events() -> Vec<Authentication> {
    let mut out: Vec<Authentication> = edges()
        .into_iter()
        .enumerate()
        .map(|(i, (_, v))| float_event(i as u64, Some(vec![v, -v]), Some(v)))
        .collect();
    out.insert(1, float_event(102, Some(vec![f64::NAN; 4_096]), None));
    let all: Vec<f64> = edges().into_iter().map(|(_, v)| v).collect();
    out.push(float_event(100, Some(all), None));
    out.push(float_event(101, None, None));
    out
}

/// Where the floats are stored, and so what comes back for each.
#[derive(Debug, Clone, Copy)]
enum Column {
    /// Float32 columns: each value narrowed to `f32`.
    Float32,
    /// JSON text (objects beyond the columnar options' nesting): finite
    /// values as they are; NaN and infinities, which JSON writes as `null`,
    /// come back as NaN in a list and as an absent scalar.
    JsonText,
}

impl Column {
    fn list_element(self, v: f64) -> f64 {
        match self {
            Column::Float32 => narrowed(v),
            Column::JsonText if v.is_finite() => v,
            Column::JsonText => f64::NAN,
        }
    }

    fn scalar(self, v: f64) -> Option<f64> {
        match self {
            Column::Float32 => Some(narrowed(v)),
            Column::JsonText => v.is_finite().then_some(v),
        }
    }
}

/// Checks that `written` (read back from the lake) are `expected` with their
/// floats as `column` gives them back, and nothing else changed.
fn assert_round_trip(
    expected: &[Authentication],
    written: Vec<Authentication>,
    column: Column,
) -> TestResult {
    assert_eq!(written.len(), expected.len());
    let (mut expected, mut written) = (expected.to_vec(), written);
    expected.sort_by_key(seq_of);
    written.sort_by_key(seq_of);
    for (want, got) in expected.iter().zip(written) {
        let seq = seq_of(want).ok_or("an event without a sequence number")?;
        let (mut want, mut got) = (want.clone(), got);
        let (want_coordinates, want_score) = take_floats(&mut want);
        let (got_coordinates, got_score) = take_floats(&mut got);
        match (&want_coordinates, &got_coordinates) {
            (Some(want), Some(got)) => {
                assert_eq!(want.len(), got.len(), "seq {seq}: coordinates");
                for (w, g) in want.iter().zip(got) {
                    assert!(
                        same(column.list_element(*w), *g),
                        "seq {seq}, {column:?}: coordinate {w:e} came back as {g:e} ({:#x})",
                        g.to_bits()
                    );
                }
            }
            (None, None) => {}
            (want, got) => return Err(format!("seq {seq}: coordinates {want:?} != {got:?}").into()),
        }
        match (want_score.and_then(|w| column.scalar(w)), got_score) {
            (Some(w), Some(g)) => assert!(
                same(w, g),
                "seq {seq}, {column:?}: score {want_score:?} came back as {g:e} ({:#x})",
                g.to_bits()
            ),
            (None, None) => {}
            (want, got) => {
                return Err(format!("seq {seq}, {column:?}: score {want:?} != {got:?}").into());
            }
        }
        assert!(want == got, "seq {seq}: the rest of the event changed");
    }
    Ok(())
}

/// What narrowing to Float32 does to the edge values, as the module's
/// documentation states it.
#[test]
fn narrowing_keeps_nan_and_signs() {
    for (what, v) in edges() {
        let n = narrowed(v);
        assert_eq!(n.is_nan(), v.is_nan(), "{what}");
        if !v.is_nan() {
            assert_eq!(n.is_sign_negative(), v.is_sign_negative(), "{what}");
        }
    }
    assert_eq!(narrowed(f64::MAX), f64::INFINITY);
    assert_eq!(narrowed(f64::MIN), f64::NEG_INFINITY);
    assert_eq!(narrowed(f64::MIN_POSITIVE).to_bits(), 0.0f64.to_bits());
    assert_eq!(narrowed(-f64::from_bits(1)).to_bits(), (-0.0f64).to_bits());
    for v in [f64::from(f32::from_bits(1)), f64::from(f32::MAX), 47.625] {
        assert_eq!(narrowed(v).to_bits(), v.to_bits(), "{v:e} is an f32");
    }
}

fn config(
    store: Arc<dyn ObjectStore>,
    spool: &Path,
    clock: &ManualClock,
) -> BoxResult<WriterConfig> {
    Ok(writer_builder(store, spool, clock).build()?)
}

/// The bytes of the write-ahead files in `spool`.
fn wal_bytes(spool: &Path) -> BoxResult<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(spool)? {
        let entry = entry?;
        if entry.path().extension().is_some_and(|e| e == "wal") {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

/// Writes `events` one at a time, checking the size accounting after each:
/// every event adds to `buffered_bytes` at least the bytes its record adds to
/// the spool, and never more than the bound.
async fn write_checked(
    writer: &mut Writer<Authentication>,
    spool: &Path,
    events: &[Authentication],
) -> TestResult {
    let bound = writer.config().max_buffered_bytes();
    for event in events {
        let before = writer.stats();
        let (buffered, on_disk) = (before.buffered_bytes, wal_bytes(spool)?);
        writer.write(&event.clone()).await?;
        writer.sync()?;
        let stats = writer.stats();
        let added = stats.buffered_bytes - buffered;
        let grown = wal_bytes(spool)? - on_disk;
        assert!(added > 0, "{stats:?}");
        // The first record of a file comes after the file's header.
        assert!(
            added >= grown || on_disk == 0,
            "an event accounted at {added} bytes grew the spool by {grown}"
        );
        assert!(stats.buffered_bytes <= bound, "{stats:?}");
        assert_eq!(
            stats.peak_buffered_bytes,
            before.peak_buffered_bytes.max(stats.buffered_bytes)
        );
    }
    Ok(())
}

#[tokio::test]
async fn edge_floats_round_trip_through_the_lake() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let clock = ManualClock::new(LEAP_DAY + DAY);
    // With the default options both floats are Float32 columns.
    let schema = arrow_schema::<Authentication>(&ColumnarOptions::default())?;
    for (top, float) in [
        (
            "src_endpoint",
            "name: \"coordinates\", data_type: List(Field { name: \"element\", data_type: Float32",
        ),
        ("observables", "name: \"base_score\", data_type: Float32"),
    ] {
        let text = format!("{:?}", schema.field_with_name(top)?.data_type());
        assert!(text.contains(float), "{top}: {text}");
    }
    let mut writer =
        Writer::<Authentication>::open(config(store.clone(), spool.path(), &clock)?).await?;
    let events = events();
    // One at a time, as a batch, and without waiting: the same accounting.
    let (single, rest) = events.split_at(events.len() / 2);
    write_checked(&mut writer, spool.path(), single).await?;
    let (batch, tried) = rest.split_at(rest.len() - 2);
    let (buffered, on_disk) = (writer.stats().buffered_bytes, wal_bytes(spool.path())?);
    writer.write_batch(batch).await?;
    for event in tried {
        writer.try_write(event)?;
    }
    writer.sync()?;
    let stats = writer.stats();
    assert_eq!(stats.events_accepted, events.len() as u64);
    assert!(stats.buffered_bytes <= writer.config().max_buffered_bytes());
    let (added, grown) = (
        stats.buffered_bytes - buffered,
        wal_bytes(spool.path())? - on_disk,
    );
    assert!(
        added >= grown,
        "{added} bytes accounted, the spool grew by {grown}"
    );

    let manifest = writer.flush().await?;
    assert_eq!(manifest.rows(), events.len() as u64);
    let stats = writer.stats();
    assert_eq!(stats.buffered_bytes, 0, "{stats:?}");
    writer.close().await?;

    let lake = read_lake(store.as_ref()).await?;
    assert_eq!(lake.len(), 1);
    let written = lake.into_values().flat_map(|(_, e)| e).collect();
    assert_round_trip(&events, written, Column::Float32)
}

#[tokio::test]
async fn edge_floats_are_recovered_after_a_crash() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let clock = ManualClock::new(LEAP_DAY + DAY);
    let events = events();
    {
        let mut writer =
            Writer::<Authentication>::open(config(store.clone(), spool.path(), &clock)?).await?;
        write_checked(&mut writer, spool.path(), &events).await?;
        // The writer dies before it seals: only the write-ahead file is left.
        drop(writer);
    }
    assert!(list_keys(store.as_ref(), PREFIX).await?.is_empty());
    assert!(wal_bytes(spool.path())? > 0);

    let writer =
        Writer::<Authentication>::open(config(store.clone(), spool.path(), &clock)?).await?;
    let stats = writer.stats();
    assert_eq!(
        (stats.segments_recovered, stats.events_recovered),
        (1, events.len() as u64)
    );
    // Recovered segments are sealed and uploaded when the writer opens.
    assert_eq!(stats.buffered_bytes, 0, "{stats:?}");
    writer.close().await?;

    let lake = read_lake(store.as_ref()).await?;
    assert_eq!(lake.len(), 1);
    let written = lake.into_values().flat_map(|(_, e)| e).collect();
    assert_round_trip(&events, written, Column::Float32)
}

/// Objects deeper than the columnar options' nesting are JSON text, which
/// has no NaN or infinities: `serde_json` writes them as `null`. The file
/// still reads back: a list element comes back as NaN, a scalar as absent;
/// finite values keep their `f64` value (no Float32 column narrows them).
#[tokio::test]
async fn edge_floats_in_json_text_read_back() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let clock = ManualClock::new(LEAP_DAY + DAY);
    let options = ColumnarOptions::default().with_max_nesting(Some(1));
    // `src_endpoint.location` and `observables.reputation` are JSON text.
    let schema = arrow_schema::<Authentication>(&options)?;
    for (top, object) in [("src_endpoint", "location"), ("observables", "reputation")] {
        let text = format!("{:?}", schema.field_with_name(top)?.data_type());
        assert!(
            text.contains(&format!("name: \"{object}\", data_type: Utf8")),
            "{top}.{object} is not JSON text: {text}"
        );
    }
    let config = writer_builder(store.clone(), spool.path(), &clock)
        .columnar_options(options)
        .build()?;
    let events = events();
    let mut writer = Writer::<Authentication>::open(config.clone()).await?;
    // Half sealed by a live writer, half recovered after a crash.
    let (sealed, crashed) = events.split_at(events.len() / 2);
    write_checked(&mut writer, spool.path(), sealed).await?;
    writer.flush().await?;
    assert_eq!(writer.stats().buffered_bytes, 0);
    write_checked(&mut writer, spool.path(), crashed).await?;
    drop(writer);
    let writer = Writer::<Authentication>::open(config).await?;
    assert_eq!(writer.stats().events_recovered, crashed.len() as u64);
    writer.close().await?;

    let lake = read_lake(store.as_ref()).await?;
    assert_eq!(lake.len(), 2);
    let written = lake.into_values().flat_map(|(_, e)| e).collect();
    assert_round_trip(&events, written, Column::JsonText)
}

//! The streaming reader on files written by our writer (a local directory and the emulator's S3)
//! and on the native Security Lake samples.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::*;

// The fuzz findings, rebuilt from our own files by ocsf-model's regression tests' helper.
#[path = "../../securitylake-parquet/tests/support/fuzz_inputs.rs"]
mod fuzz_inputs;
use common::PutKey;
use futures::TryStreamExt;
use ocsf_model::columnar::ColumnarOptions;
use ocsf_model::v1_1_0::events::{Authentication, NetworkActivity};
use parquet::basic::Compression;
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::local_store;
use securitylake_parquet::{read_parquet, write_parquet};
use securitylake_subscriber::reader::{FOOTER_PREFETCH, ObjectReader};
use securitylake_subscriber::{ErrorKind, ObjectRef};

#[tokio::test]
async fn local_lake_single_row_group_reads_footer_then_data() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = local_store(dir.path())?;
    let events = auth_events(500);
    let bytes = write_parquet(&events, &ColumnarOptions::default())?;
    let size = bytes.len() as u64;
    let key = custom_key("0123456789abcdef0123456789abcdef.zstd.parquet");
    lake.put_key(&key, bytes.into()).await?;
    let counting = Counting::new(lake);

    let reader = ObjectReader::open(counting.clone(), &ObjectRef::new("local", &key)).await?;
    let info = reader.info().clone();
    assert_eq!(info.class_uid, Some(3002));
    assert_eq!(info.ocsf_version.as_deref(), Some("1.1.0"));
    assert_eq!(info.rows, 500);
    assert_eq!(info.object.size, Some(size));
    assert!(info.object.etag.is_some(), "etag filled from HEAD");
    assert_eq!(info.source.as_ref().map(|s| s.name()), Some("app"));
    // Detection used the statistics: only the footer was read.
    let opened = counting.ranges();
    assert!(!opened.is_empty() && opened.len() <= 2, "{opened:?}");
    assert_eq!(opened[0].end, size, "the footer comes first");

    let got: Vec<Vec<Authentication>> = reader.typed::<Authentication>()?.try_collect().await?;
    let mut expected = events.clone();
    expected.sort_by_key(|e| e.time);
    assert_eq!(got.concat(), expected);
    assert_eq!(counting.whole_gets(), 0, "never a whole-object GET");
    Ok(())
}

#[tokio::test]
async fn row_groups_are_fetched_one_at_a_time_for_every_codec() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = local_store(dir.path())?;
    let counting = Counting::new(lake.clone());
    let events = auth_events(4000);
    for (codec, compression) in [
        ("gz", gzip()),
        ("snappy", Compression::SNAPPY),
        ("zstd", zstd()),
    ] {
        let bytes = multi_row_group_parquet(&events, 500, compression);
        let size = bytes.len() as u64;
        let key = custom_key(&format!("0123456789abcdef0123456789abcdef.{codec}.parquet"));
        lake.put_key(&key, bytes.clone().into()).await?;
        counting.reset();
        let reader = ObjectReader::open(counting.clone(), &ObjectRef::new("local", &key)).await?;
        assert_eq!(reader.info().row_groups, 8, "{codec}");
        let meta = reader.parquet_metadata().clone();
        let largest_group = meta
            .row_groups()
            .iter()
            .map(|rg| rg.compressed_size() as u64)
            .max()
            .unwrap_or(0);
        counting.reset();
        let mut batches = reader.batches()?;
        let mut rows = 0;
        let mut max_requests_seen = 0;
        while let Some(batch) = batches.try_next().await? {
            rows += batch.num_rows();
            max_requests_seen = max_requests_seen.max(counting.ranges().len());
        }
        assert_eq!(rows, 4000, "{codec}");
        let ranges = counting.ranges();
        // One coalesced request per row group, each no larger than a row group.
        assert_eq!(ranges.len(), 8, "{codec}: {ranges:?}");
        for r in &ranges {
            assert!(
                r.end - r.start <= largest_group + 64,
                "{codec}: {r:?} > {largest_group}"
            );
        }
        let fetched: u64 = ranges.iter().map(|r| r.end - r.start).sum();
        assert!(
            fetched < size,
            "{codec}: data reads {fetched} >= file {size}"
        );
        // Typed decoding of every row.
        let typed: Vec<Vec<Authentication>> =
            reader.typed::<Authentication>()?.try_collect().await?;
        assert_eq!(typed.concat().len(), 4000);
        assert_eq!(read_parquet::<Authentication>(bytes.into())?.len(), 4000);
    }
    Ok(())
}

#[tokio::test]
async fn s3s_fs_range_reads() -> TestResult {
    let s3 = s3s_fs("lake").await?;
    let store = s3_store(&s3, "lake")?;
    let events = auth_events(3000);
    let bytes = multi_row_group_parquet(&events, 1000, zstd());
    let key = custom_key("00000000000000000000000000000001.zstd.parquet");
    let put = store.put_key(&key, bytes.clone().into()).await?;
    let counting = Counting::new(store);
    let object = ObjectRef::new("lake", &key)
        .with_etag(put.etag.clone())
        .with_size(bytes.len() as u64);
    let reader = ObjectReader::open(counting.clone(), &object).await?;
    // The footer first: the tail, and the rest of the footer when it is
    // larger than the prefetch (this wide OCSF schema has a big footer).
    let size = bytes.len() as u64;
    let opened = counting.ranges();
    assert!(!opened.is_empty() && opened.len() <= 2, "{opened:?}");
    assert_eq!(opened[0], size - FOOTER_PREFETCH as u64..size);
    assert!(opened.iter().all(|r| r.end >= size - 8), "{opened:?}");
    let got: Vec<Vec<Authentication>> = reader.typed::<Authentication>()?.try_collect().await?;
    assert_eq!(got.concat().len(), 3000);
    assert_eq!(
        counting.ranges().len(),
        opened.len() + 3,
        "{:?}",
        counting.ranges()
    );
    assert_eq!(counting.whole_gets(), 0);
    // Dynamic events carry the same rows as JSON.
    let dynamic: Vec<_> = reader.dynamic()?.try_collect().await?;
    let dynamic = dynamic.concat();
    assert_eq!(dynamic.len(), 3000);
    assert_eq!(dynamic[0].class_uid(), Some(3002));
    assert_eq!(dynamic[0].version(), Some("1.1.0"));
    assert_eq!(
        dynamic[0].get("user.name").and_then(|v| v.as_str()),
        Some("user-0")
    );
    Ok(())
}

/// One row group of `events` in pages of at most 250 rows, without
/// dictionaries (which every window needs whole) so that the page ranges of
/// the windows are what is measured.
fn one_large_row_group(events: &[Authentication]) -> Vec<u8> {
    use ocsf_model::columnar::BatchEncoder;
    use securitylake_parquet::ParquetRules;
    let mut encoder =
        BatchEncoder::<Authentication>::new(&ColumnarOptions::default()).expect("encoder");
    let props = ParquetRules::new()
        .writer_properties()
        .into_builder()
        .set_data_page_row_count_limit(250)
        .set_dictionary_enabled(false)
        .set_max_row_group_row_count(None)
        .build();
    let mut out = Vec::new();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(&mut out, encoder.schema().clone(), Some(props))
            .expect("writer");
    for chunk in events.chunks(1000) {
        for e in chunk {
            encoder.append(e);
        }
        writer
            .write(&encoder.finish().expect("batch"))
            .expect("write");
    }
    writer.close().expect("close");
    out
}

#[tokio::test]
async fn a_row_group_larger_than_the_window_is_read_in_windows() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = local_store(dir.path())?;
    let events = auth_events(12_000);
    let bytes = one_large_row_group(&events);
    let size = bytes.len() as u64;
    let key = custom_key("0123456789abcdef0123456789abcdef.zstd.parquet");
    lake.put_key(&key, bytes.clone().into()).await?;
    let counting = Counting::new(lake);
    let object = ObjectRef::new("local", &key).with_size(size).with_etag("e");

    // Whole: one coalesced request for the row group.
    let whole = ObjectReader::open(counting.clone(), &object).await?;
    assert_eq!(whole.info().row_groups, 1);
    let group = u64::try_from(whole.parquet_metadata().row_group(0).compressed_size())?;
    counting.reset();
    let expected: Vec<Vec<Authentication>> = whole.typed::<Authentication>()?.try_collect().await?;
    let whole_ranges = counting.ranges();
    assert_eq!(whole_ranges.len(), 1, "{whole_ranges:?}");
    assert_eq!(expected.concat(), events);

    // Windowed: about a quarter of the columns read per window (the typed
    // read reads the populated columns only; their offset index is loaded,
    // no other); no request comes near their size, every row arrives once,
    // in order.
    let meta = whole.parquet_metadata();
    let populated = securitylake_parquet::populated_columns(meta);
    let projected: u64 = (0..meta.row_group(0).num_columns())
        .filter(|&c| populated.leaf_included(c))
        .map(|c| u64::try_from(meta.row_group(0).column(c).compressed_size()).unwrap_or(0))
        .sum();
    assert!(projected <= group);
    let window = projected / 4;
    let reader = ObjectReader::open_with_window(counting.clone(), &object, window)
        .await?
        .with_batch_size(700);
    counting.reset();
    let got: Vec<Vec<Authentication>> = reader.typed::<Authentication>()?.try_collect().await?;
    assert_eq!(got.concat(), events);
    let ranges = counting.ranges();
    let largest = ranges.iter().map(|r| r.end - r.start).max().unwrap_or(0);
    let fetched: u64 = ranges.iter().map(|r| r.end - r.start).sum();
    assert!(ranges.len() >= 4, "{ranges:?}");
    assert!(
        largest <= window + window / 2,
        "a request of {largest} bytes for windows of {window}: {ranges:?}"
    );
    assert!(
        fetched <= projected + projected / 2,
        "{fetched} bytes fetched for {projected} bytes of the columns read"
    );
    // Arrow batches and dynamic events take the same path.
    let rows: usize = reader
        .batches()?
        .try_fold(0, |n, b| futures::future::ready(Ok(n + b.num_rows())))
        .await?;
    assert_eq!(rows, events.len());
    Ok(())
}

/// The rows of `parts`, each read on a task of its own (a multi-thread runtime), concatenated
/// in the parts' order.
async fn read_parts(
    parts: Vec<ObjectReader>,
) -> Result<Vec<Authentication>, Box<dyn std::error::Error + Send + Sync>> {
    let tasks: Vec<_> = parts
        .into_iter()
        .map(|part| {
            tokio::spawn(async move {
                let mut batches = part.typed_batches::<Authentication>()?;
                let (mut events, mut rows) = (Vec::new(), Vec::new());
                while batches.next_into(&mut events).await? {
                    rows.extend(events.iter().cloned());
                }
                Ok::<_, securitylake_subscriber::Error>(rows)
            })
        })
        .collect();
    let mut rows = Vec::new();
    for task in tasks {
        rows.extend(task.await??);
    }
    Ok(rows)
}

/// An object split into parts of consecutive row groups is read once, every row by one part,
/// the parts' rows following one another in the object's order; parts hold about as many rows
/// each; a reader of some row groups reads those, in the object's order, and splits them alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_split_into_row_group_parts_reads_every_row_once() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = local_store(dir.path())?;
    let events = auth_events(4000);
    let key = custom_key("0123456789abcdef0123456789abcdef.zstd.parquet");
    lake.put_key(&key, multi_row_group_parquet(&events, 500, zstd()).into())
        .await?;
    let reader = ObjectReader::open(lake.clone(), &ObjectRef::new("local", &key)).await?;
    assert_eq!(reader.info().row_groups, 8);
    for (asked, sizes) in [
        (1, vec![4000]),
        (2, vec![2000, 2000]),
        (3, vec![1500, 1500, 1000]),
        (8, vec![500; 8]),
        (100, vec![500; 8]),
        (0, vec![4000]),
    ] {
        let parts = reader.split_row_groups(asked);
        assert_eq!(part_sizes(&parts).await?, sizes, "{asked} parts");
        assert_eq!(read_parts(parts).await?, events, "{asked} parts");
    }
    // Some row groups, given out of order and twice: read in the object's order.
    let some = reader.clone().with_row_groups([6, 1, 6])?;
    assert_eq!(some.info().row_groups, 8, "info stays the object's");
    let expected: Vec<Authentication> = events[500..1000]
        .iter()
        .chain(&events[3000..3500])
        .cloned()
        .collect();
    assert_eq!(read_parts(vec![some.clone()]).await?, expected);
    assert_eq!(read_parts(some.split_row_groups(4)).await?, expected);
    assert_eq!(some.split_row_groups(4).len(), 2);
    let arrow_rows: usize = some
        .batches()?
        .try_fold(0, |n, b| futures::future::ready(Ok(n + b.num_rows())))
        .await?;
    assert_eq!(arrow_rows, 1000);
    let dynamic: Vec<_> = some.dynamic()?.try_collect().await?;
    assert_eq!(dynamic.concat().len(), 1000);
    let none = reader.clone().with_row_groups([])?;
    let parts = none.split_row_groups(2);
    assert_eq!(parts.len(), 1, "a reader of no row group is one part");
    assert_eq!(read_parts(parts).await?, Vec::<Authentication>::new());
    let missing = reader
        .clone()
        .with_row_groups([8])
        .err()
        .ok_or("row group 8 accepted")?;
    assert_eq!(missing.kind(), ErrorKind::Config);
    Ok(())
}

/// The parts of an object whose row group is read in windows: one part, the windows whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_windowed_row_group_is_one_part() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = local_store(dir.path())?;
    let events = auth_events(6000);
    let bytes = one_large_row_group(&events);
    let key = custom_key("0123456789abcdef0123456789abcdee.zstd.parquet");
    lake.put_key(&key, bytes.clone().into()).await?;
    let window = bytes.len() as u64 / 8;
    let reader =
        ObjectReader::open_with_window(lake, &ObjectRef::new("local", &key), window).await?;
    let parts = reader.split_row_groups(2);
    assert_eq!(parts.len(), 1);
    assert_eq!(read_parts(parts).await?, events);
    assert_eq!(
        read_parts(vec![reader.with_row_groups([0])?]).await?,
        events
    );
    Ok(())
}

/// The rows each of `parts` reads, through typed events.
async fn part_sizes(parts: &[ObjectReader]) -> Result<Vec<usize>, securitylake_subscriber::Error> {
    let mut sizes = Vec::new();
    for part in parts {
        let rows: Vec<Vec<Authentication>> = part.typed::<Authentication>()?.try_collect().await?;
        sizes.push(rows.concat().len());
    }
    Ok(sizes)
}

/// An object of one row group split into parts of rows: every row read once, in order, and
/// each part fetches the pages of its rows (located with the offset index), about its share
/// of the columns read, not the whole row group.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_group_split_into_row_ranges_reads_its_pages_once() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = local_store(dir.path())?;
    let events = auth_events(6000);
    let key = custom_key("0123456789abcdef0123456789abcded.zstd.parquet");
    lake.put_key(&key, one_large_row_group(&events).into())
        .await?;
    let counting = Counting::new(lake);
    let reader = ObjectReader::open(counting.clone(), &ObjectRef::new("local", &key)).await?;
    assert_eq!(reader.info().row_groups, 1);
    let meta = reader.parquet_metadata();
    let populated = securitylake_parquet::populated_columns(meta);
    let projected: u64 = (0..meta.row_group(0).num_columns())
        .filter(|&c| populated.leaf_included(c))
        .map(|c| u64::try_from(meta.row_group(0).column(c).compressed_size()).unwrap_or(0))
        .sum();
    // Where the column chunks end (the offset index follows them).
    let data_end = (0..meta.row_group(0).num_columns())
        .filter_map(|c| securitylake_parquet::chunk_range(meta.row_group(0).column(c)).ok())
        .map(|(start, len)| (start + len) as u64)
        .max()
        .unwrap_or(0);
    for (asked, sizes) in [
        (1, vec![6000]),
        (2, vec![3000, 3000]),
        (3, vec![2000; 3]),
        (7, vec![858, 858, 858, 858, 858, 858, 852]),
        (0, vec![6000]),
    ] {
        let parts = reader.split_rows(asked);
        assert_eq!(part_sizes(&parts).await?, sizes, "{asked} parts");
        assert_eq!(read_parts(parts).await?, events, "{asked} parts");
    }
    // Half the rows: not much more than half the bytes of the columns read (pages of 250 rows,
    // of a few dozen bytes each: ranges closer than the coalescing gap are fetched in one
    // request, with what lies between). Without the offset index, each half would read the
    // whole row group. The window (larger than the row group, so no windows) sets how
    // far apart ranges are still fetched in one request: small here, as on object stores
    // where the bytes between pages cost more than a request.
    let near = ObjectReader::open_with_window(
        counting.clone(),
        &ObjectRef::new("local", &key),
        projected * 2,
    )
    .await?;
    for half in near.split_rows(2) {
        counting.reset();
        let rows: Vec<Vec<Authentication>> = half.typed::<Authentication>()?.try_collect().await?;
        assert_eq!(rows.concat().len(), 3000);
        let pages: u64 = counting
            .ranges()
            .iter()
            .map(|r| r.end.min(data_end).saturating_sub(r.start))
            .sum();
        assert!(
            pages < projected * 7 / 10,
            "{pages} bytes of pages fetched for half the rows of {projected} bytes of columns"
        );
    }
    // Arrow batches and dynamic events read the same rows.
    let part = &reader.split_rows(3)[1];
    let rows: usize = part
        .batches()?
        .try_fold(0, |n, b| futures::future::ready(Ok(n + b.num_rows())))
        .await?;
    assert_eq!(rows, 2000);
    let dynamic: Vec<_> = part.dynamic()?.try_collect().await?;
    assert_eq!(dynamic.concat().len(), 2000);
    // A part split again, and by row groups, reads its own rows.
    let again = part.split_rows(2);
    assert_eq!(part_sizes(&again).await?, vec![1000, 1000]);
    assert_eq!(read_parts(again).await?, events[2000..4000]);
    assert_eq!(
        read_parts(part.split_row_groups(2)).await?,
        events[2000..4000]
    );
    // Windows of a range: the window splits the part's rows further, and every row comes once.
    let windowed = ObjectReader::open_with_window(
        counting.clone(),
        &ObjectRef::new("local", &key),
        projected / 5,
    )
    .await?;
    let parts = windowed.split_rows(2);
    assert_eq!(part_sizes(&parts).await?, vec![3000, 3000]);
    assert_eq!(read_parts(parts).await?, events);
    Ok(())
}

/// Parts of rows across row groups: cut where a part ends, inside a row group or at its end,
/// whichever row groups a reader was given; more parts than rows are a part per row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_ranges_cut_across_row_groups() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = local_store(dir.path())?;
    let events = auth_events(4000);
    let key = custom_key("0123456789abcdef0123456789abcdec.zstd.parquet");
    lake.put_key(&key, multi_row_group_parquet(&events, 500, zstd()).into())
        .await?;
    let reader = ObjectReader::open(lake.clone(), &ObjectRef::new("local", &key)).await?;
    assert_eq!(reader.info().row_groups, 8);
    for (asked, sizes) in [
        (3, vec![1334, 1334, 1332]),
        (8, vec![500; 8]),
        (16, vec![250; 16]),
    ] {
        let parts = reader.split_rows(asked);
        assert_eq!(part_sizes(&parts).await?, sizes, "{asked} parts");
        assert_eq!(read_parts(parts).await?, events, "{asked} parts");
    }
    let some = reader.clone().with_row_groups([6, 1])?;
    let expected: Vec<Authentication> = events[500..1000]
        .iter()
        .chain(&events[3000..3500])
        .cloned()
        .collect();
    let parts = some.split_rows(3);
    assert_eq!(part_sizes(&parts).await?, vec![334, 334, 332]);
    assert_eq!(read_parts(parts).await?, expected);
    let none = reader.clone().with_row_groups([])?;
    assert_eq!(
        none.split_rows(4).len(),
        1,
        "a reader of no row is one part"
    );
    assert_eq!(
        read_parts(none.split_rows(4)).await?,
        Vec::<Authentication>::new()
    );

    let few = auth_events(5);
    let key = custom_key("0123456789abcdef0123456789abcdeb.zstd.parquet");
    lake.put_key(&key, multi_row_group_parquet(&few, 2, zstd()).into())
        .await?;
    let reader = ObjectReader::open(lake, &ObjectRef::new("local", &key)).await?;
    let parts = reader.split_rows(10);
    assert_eq!(part_sizes(&parts).await?, vec![1; 5]);
    assert_eq!(read_parts(parts).await?, few);
    Ok(())
}

#[tokio::test]
async fn wrong_class_and_bad_objects_are_permanent_errors() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = local_store(dir.path())?;
    let bytes = write_parquet(&auth_events(3), &ColumnarOptions::default())?;
    let good = custom_key("a.zstd.parquet");
    lake.put_key(&good, bytes.clone().into()).await?;
    let reader = ObjectReader::open(lake.clone(), &ObjectRef::new("local", &good)).await?;
    let err = reader
        .typed::<NetworkActivity>()
        .err()
        .ok_or("NetworkActivity accepted")?;
    assert_eq!(err.kind(), ErrorKind::InvalidObject);
    let err = reader
        .typed::<ocsf_model::v1_0_0_rc2::events::Authentication>()
        .err()
        .ok_or("another version accepted")?;
    assert_eq!(err.kind(), ErrorKind::InvalidObject);

    let truncated = custom_key("b.zstd.parquet");
    lake.put_key(&truncated, bytes[..bytes.len() / 2].to_vec().into())
        .await?;
    let not_parquet = custom_key("c.zstd.parquet");
    lake.put_key(
        &not_parquet,
        b"{\"hello\": \"world\"} and more text".to_vec().into(),
    )
    .await?;
    let tiny = custom_key("d.zstd.parquet");
    lake.put_key(&tiny, b"PAR1".to_vec().into()).await?;
    for key in [&truncated, &not_parquet, &tiny] {
        let err = ObjectReader::open(lake.clone(), &ObjectRef::new("local", key))
            .await
            .err()
            .ok_or("opened")?;
        assert_eq!(err.kind(), ErrorKind::InvalidObject, "{key}: {err}");
        assert!(!err.is_retryable());
    }
    let err = ObjectReader::open(
        lake.clone(),
        &ObjectRef::new("local", custom_key("missing.parquet")),
    )
    .await
    .err()
    .ok_or("opened a missing object")?;
    assert_eq!(err.kind(), ErrorKind::NotFound);
    Ok(())
}

fn samples() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/samples/securitylake-parquet/1.0.0-rc.2");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent", dir.display());
        None
    }
}

fn parquet_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|it| {
            it.flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(".parquet"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

async fn check_native<E: ocsf_model::OcsfEvent>(
    lake: &Arc<dyn ObjectStore>,
    source: &str,
    files: &[PathBuf],
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let mut total = 0;
    for (i, file) in files.iter().enumerate() {
        let bytes = std::fs::read(file)?;
        let key = format!(
            "aws/{source}/1.0/region=us-east-1/accountId=123456789012/eventDay=20221110/{:032x}.gz.parquet",
            i + 1
        );
        lake.put_key(&key, bytes.clone().into()).await?;
        let counting = Counting::new(lake.clone());
        let reader = ObjectReader::open(counting.clone(), &ObjectRef::new("lake", &key)).await?;
        let info = reader.info();
        assert_eq!(
            info.ocsf_version.as_deref(),
            Some("1.0.0-rc.2"),
            "{}",
            file.display()
        );
        assert_eq!(info.class_uid, Some(E::CLASS_UID), "{}", file.display());
        let typed: Vec<Vec<E>> = reader.typed::<E>()?.try_collect().await?;
        let typed = typed.concat();
        let expected: Vec<E> = read_parquet(bytes.into())?;
        assert!(!typed.is_empty(), "{}", file.display());
        assert_eq!(typed, expected, "{}", file.display());
        assert_eq!(counting.whole_gets(), 0);
        // Under a source version 2 key the same file is refused for rc.2 classes.
        let v2 = key.replace("/1.0/", "/2.0/");
        lake.put_key(&v2, std::fs::read(file)?.into()).await?;
        let reader = ObjectReader::open(lake.clone(), &ObjectRef::new("lake", &v2)).await?;
        assert_eq!(reader.info().ocsf_version.as_deref(), Some("1.1.0"));
        assert!(reader.typed::<E>().is_err());
        total += typed.len();
    }
    Ok(total)
}

#[tokio::test]
async fn native_rc2_samples_read_typed_by_key_detection() -> TestResult {
    use ocsf_model::v1_0_0_rc2::events as rc2;
    let Some(root) = samples() else { return Ok(()) };
    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = local_store(dir.path())?;
    let ct = root.join("CLOUD_TRAIL");
    let mut rows = 0;
    rows += check_native::<rc2::AccountChange>(
        &lake,
        "CLOUD_TRAIL_MGMT",
        &parquet_files(&ct.join("account_change")),
    )
    .await?;
    rows += check_native::<rc2::ApiActivity>(
        &lake,
        "CLOUD_TRAIL_MGMT",
        &parquet_files(&ct.join("api_activity(general CT events)")),
    )
    .await?;
    rows += check_native::<rc2::Authentication>(
        &lake,
        "CLOUD_TRAIL_MGMT",
        &parquet_files(&ct.join("authentication")),
    )
    .await?;
    rows += check_native::<rc2::NetworkActivity>(
        &lake,
        "VPC_FLOW",
        &parquet_files(&root.join("VPC_FLOW")),
    )
    .await?;
    assert!(rows >= 25, "only {rows} rows");
    Ok(())
}

/// The `parquet_decode` fuzz finding (a dictionary page that claims ~640 million values, which
/// made the `parquet` reader allocate 2.5 GB) is an invalid object here too: the fetched column
/// chunks go through ocsf-model's page-header checks.
#[tokio::test]
async fn page_header_claims_are_checked_before_decoding() -> TestResult {
    let file = fuzz_inputs::dictionary_page_claiming_huge_count(write_parquet(
        &auth_events(1),
        &ColumnarOptions::default(),
    )?);
    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = local_store(dir.path())?;
    let key = custom_key("fuzz.zstd.parquet");
    lake.put_key(&key, file.into()).await?;
    let object = ObjectRef::new("local", &key);
    let err = match ObjectReader::open(lake, &object).await {
        Err(err) => err,
        Ok(reader) => {
            let read: Result<Vec<Vec<Authentication>>, _> =
                reader.typed::<Authentication>()?.try_collect().await;
            read.expect_err("a corrupt object reads as an error")
        }
    };
    assert_eq!(err.kind(), ErrorKind::InvalidObject, "{err}");
    assert!(err.to_string().contains("corrupt Parquet file"), "{err}");
    Ok(())
}

/// `LakeObject::events()` keeps rows of a class OCSF 1.1.0 does not define as
/// `Event::Unrecognized` with their attributes, and types the rows it knows, run by run.
#[tokio::test]
async fn events_of_an_unknown_and_a_known_class() -> TestResult {
    use arrow_array::{Int32Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use ocsf_model::v1_1_0::Event;

    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = local_store(dir.path())?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("class_uid", DataType::Int32, false),
        Field::new("message", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int32Array::from(vec![999_001, 999_001])),
            Arc::new(StringArray::from(vec![Some("a"), Some("b")])),
        ],
    )?;
    let mut bytes = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut bytes, schema, None)?;
    writer.write(&batch)?;
    writer.close()?;
    let key = custom_key("unknown.zstd.parquet");
    lake.put_key(&key, bytes.into()).await?;
    let reader = ObjectReader::open(lake.clone(), &ObjectRef::new("lake", key)).await?;
    let object = securitylake_subscriber::LakeObject::new(reader);
    let events: Vec<Event> = object.events()?.try_collect::<Vec<_>>().await?.concat();
    assert_eq!(events.len(), 2);
    for (e, msg) in events.iter().zip(["a", "b"]) {
        assert!(e.is_unrecognized(), "{e:?}");
        assert_eq!(e.class_uid(), 999_001);
        assert_eq!(e.message(), Some(msg));
    }

    // A known class is typed.
    let key = custom_key("auth.zstd.parquet");
    lake.put_key(
        &key,
        write_parquet(&auth_events(2), &ColumnarOptions::default())?.into(),
    )
    .await?;
    let reader = ObjectReader::open(lake, &ObjectRef::new("lake", key)).await?;
    let object = securitylake_subscriber::LakeObject::new(reader);
    let events: Vec<Event> = object.events()?.try_collect::<Vec<_>>().await?.concat();
    assert_eq!(
        events,
        auth_events(2)
            .into_iter()
            .map(Event::from)
            .collect::<Vec<_>>()
    );
    Ok(())
}

#[tokio::test]
async fn typed_reads_come_in_smaller_batches_than_arrow_reads_unless_one_size_is_set() -> TestResult
{
    use securitylake_subscriber::reader::{DEFAULT_BATCH_SIZE, DEFAULT_TYPED_BATCH_SIZE};
    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = local_store(dir.path())?;
    let rows = DEFAULT_TYPED_BATCH_SIZE * 2 + 3;
    assert!(rows < DEFAULT_BATCH_SIZE);
    let events = auth_events(i64::try_from(rows)?);
    let key = custom_key("batches.zstd.parquet");
    lake.put_key(
        &key,
        write_parquet(&events, &ColumnarOptions::default())?.into(),
    )
    .await?;
    let object = ObjectRef::new("local", &key);
    let reader = ObjectReader::open(lake.clone(), &object).await?;
    assert_eq!(reader.info().row_groups, 1);

    let arrow: Vec<usize> = reader
        .batches()?
        .map_ok(|b| b.num_rows())
        .try_collect()
        .await?;
    assert_eq!(arrow, [rows]);
    let typed: Vec<usize> = reader
        .typed::<Authentication>()?
        .map_ok(|b| b.len())
        .try_collect()
        .await?;
    let expected = [DEFAULT_TYPED_BATCH_SIZE, DEFAULT_TYPED_BATCH_SIZE, 3];
    assert_eq!(typed, expected);
    let mut batches = reader.typed_batches::<Authentication>()?;
    let (mut events_in_place, mut sizes) = (Vec::new(), Vec::new());
    let mut all = Vec::new();
    while batches.next_into(&mut events_in_place).await? {
        sizes.push(events_in_place.len());
        all.extend(events_in_place.iter().cloned());
    }
    assert_eq!(sizes, expected);
    let mut sorted = events.clone();
    sorted.sort_by_key(|e| e.time);
    assert_eq!(all, sorted);

    // One size set: both kinds of read use it.
    let reader = ObjectReader::open(lake, &object)
        .await?
        .with_batch_size(400);
    let arrow: Vec<usize> = reader
        .batches()?
        .map_ok(|b| b.num_rows())
        .try_collect()
        .await?;
    let typed: Vec<usize> = reader
        .typed::<Authentication>()?
        .map_ok(|b| b.len())
        .try_collect()
        .await?;
    assert_eq!(arrow, [400, 400, rows - 800]);
    assert_eq!(typed, arrow);
    Ok(())
}

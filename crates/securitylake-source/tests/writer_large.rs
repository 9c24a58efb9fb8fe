//! A stream of more than 300 MB in one partition, with the largest file size
//! a writer accepts: the writer rolls by size before 256 MB, and the files
//! keep Security Lake's page (<= 1 MB uncompressed) and row-group (<= 256 MB
//! compressed) limits when read back with the `parquet` crate.

mod writer_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ocsf_model::v1_1_0::events::Authentication;
use parquet::file::reader::{FileReader, SerializedFileReader};
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::local_store;
use securitylake_source::writer::{Durability, MAX_FILE_BYTES, ManualClock};
use securitylake_source::{Writer, WriterConfig};
use writer_support::*;

/// Security Lake's object size limit.
const LAKE_MAX_OBJECT: u64 = 256 * 1024 * 1024;
/// Security Lake's page limit (uncompressed).
const LAKE_MAX_PAGE: usize = 1024 * 1024;
/// The size of each event's message: large, so that few events make the
/// stream (and the test stays fast), and larger than the writer's default
/// page-check budget.
const MESSAGE: usize = 48 * 1024;

/// An event whose message is `seq-<n>` and ~48 KB of random letters.
fn large_event(rng: &mut fastrand::Rng, seq: u64) -> Authentication {
    let mut e = event(LEAP_DAY + seq as i64, seq, 0);
    let mut bytes = format!("seq-{seq} ").into_bytes();
    while bytes.len() < MESSAGE {
        let word = rng.u64(..).to_le_bytes();
        bytes.extend(word.iter().map(|b| b'a' + b % 26));
    }
    e.message = String::from_utf8(bytes).ok();
    e
}

/// Ignored by default: it takes about a minute in a debug build (about
/// 480 MB through the column buffers, the spool, Parquet and ZSTD, then
/// every page read back). CI runs it:
/// `cargo test -p securitylake-source --test writer_large -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow in debug builds (~1 min); CI runs it with -- --ignored"]
async fn a_300_mb_stream_rolls_by_size_before_256_mb() -> TestResult {
    // ~480 MB of random letters: ZSTD stores them in about 0.6 of their
    // size, so the stream is over 250 MB in Parquet as well and must roll.
    const EVENTS: u64 = 10_000;
    const BATCH: u64 = 100;
    let started = Instant::now();
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let config = WriterConfig::builder()
        .location(location())
        .region("us-east-1")
        .account_id(ACCOUNT)
        .store(store.clone())
        .spool_dir(spool.path())
        .columnar_options(small_columns())
        .max_file_bytes(MAX_FILE_BYTES)
        // Twice the file size, so that only the size rule can roll.
        .max_buffered_bytes(2 * MAX_FILE_BYTES)
        .durability(Durability::Interval(Duration::from_secs(60)))
        .clock(Arc::new(ManualClock::new(LEAP_DAY + DAY)))
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    let mut rng = fastrand::Rng::with_seed(300);
    let mut json_bytes = 0u64;
    for first in (0..EVENTS).step_by(BATCH as usize) {
        let batch: Vec<_> = (first..first + BATCH)
            .map(|seq| large_event(&mut rng, seq))
            .collect();
        json_bytes += batch
            .iter()
            .map(|e| serde_json::to_vec(e).map(|v| v.len() as u64))
            .sum::<Result<u64, _>>()?;
        writer.write_batch(&batch).await?;
    }
    assert!(
        json_bytes > 450_000_000,
        "the stream has {json_bytes} bytes"
    );
    let rolled = writer.stats();
    let manifest = writer.close().await?;
    let stats_line = format!("{rolled:?}");
    assert!(rolled.rolls_by_size >= 1, "{stats_line}");
    assert_eq!(rolled.rolls_by_memory, 0, "{stats_line}");
    assert_eq!(rolled.rolls_by_age, 0, "{stats_line}");
    assert_eq!(rolled.oversize_files, 0, "{stats_line}");
    assert_eq!(manifest.rows(), EVENTS);
    assert!(manifest.len() >= 2, "{} files", manifest.len());
    // The first file rolled close to the limit, not early: its events are
    // over 200 MB of the stream.
    let first = manifest.objects.first().ok_or("no file")?;
    let per_event = json_bytes / EVENTS;
    assert!(
        first.rows * per_event > 200_000_000,
        "the first file holds only {} events",
        first.rows
    );

    let mut pages = 0u64;
    let mut largest_page = 0usize;
    let mut row_groups = 0usize;
    for entry in &manifest {
        // MAX_FILE_BYTES (250 MB) is under the lake's 256 MiB.
        assert!(
            entry.bytes <= MAX_FILE_BYTES,
            "{} has {} bytes, over {LAKE_MAX_OBJECT}",
            entry.key,
            entry.bytes
        );
        assert_key_layout(&entry.key)?;
        let body = get_bytes(store.as_ref(), &entry.key).await?;
        assert_eq!(body.len() as u64, entry.bytes);
        let reader = SerializedFileReader::new(body)?;
        let meta = reader.metadata();
        assert_eq!(meta.file_metadata().num_rows() as u64, entry.rows);
        for rg in 0..meta.num_row_groups() {
            row_groups += 1;
            let group = meta.row_group(rg);
            assert!(group.compressed_size() as u64 <= LAKE_MAX_OBJECT);
            let row_group = reader.get_row_group(rg)?;
            for column in 0..group.num_columns() {
                let mut page_reader = row_group.get_column_page_reader(column)?;
                while let Some(page) = page_reader.get_next_page()? {
                    pages += 1;
                    let size = page.buffer().len();
                    largest_page = largest_page.max(size);
                    assert!(
                        size <= LAKE_MAX_PAGE,
                        "{}: column {}: a {} of {size} bytes, {} values",
                        entry.key,
                        group.column(column).column_path(),
                        page.page_type(),
                        page.num_values()
                    );
                }
            }
        }
    }
    eprintln!(
        "{:.1} MB of events -> {} files ({:?} bytes), {row_groups} row groups, {pages} pages \
         (largest {largest_page} bytes), in {:.1} s",
        json_bytes as f64 / 1e6,
        manifest.len(),
        manifest.iter().map(|e| e.bytes).collect::<Vec<_>>(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The file size limit of [`objects_land_within_80_to_100_percent_of_the_limit`].
const SMALL_FILES: u64 = 16 * 1024 * 1024;

/// An event whose message is ~2 KB of log-like text: words from a small
/// vocabulary and numbers, which Parquet's ZSTD compresses several times.
fn text_event(rng: &mut fastrand::Rng, words: &[String], seq: u64) -> Authentication {
    let mut e = event(LEAP_DAY + seq as i64, seq, 0);
    let mut text = format!("seq-{seq}");
    while text.len() < 2048 {
        text.push(' ');
        if rng.u8(..) < 40 {
            text.push_str(&rng.u32(..100_000).to_string());
        } else {
            text.push_str(&words[rng.usize(..words.len())]);
        }
    }
    e.message = Some(text);
    e
}

/// Objects are rolled by their encoded size: from a 300 MB stream of
/// compressible events, every object but the last lands within 80-100% of
/// `max_file_bytes`, the first one included (before the writer sealed any
/// file, its spool frames' compression stands in for the file's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow in debug builds (~2 min); CI runs it with -- --ignored"]
async fn objects_land_within_80_to_100_percent_of_the_limit() -> TestResult {
    const BATCH: usize = 500;
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let config = WriterConfig::builder()
        .location(location())
        .region("us-east-1")
        .account_id(ACCOUNT)
        .store(store.clone())
        .spool_dir(spool.path())
        .columnar_options(small_columns())
        .max_file_bytes(SMALL_FILES)
        .durability(Durability::Interval(Duration::from_secs(60)))
        .clock(Arc::new(ManualClock::new(LEAP_DAY + DAY)))
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    let mut rng = fastrand::Rng::with_seed(80);
    let words: Vec<String> = (0..400)
        .map(|_| {
            let len = rng.usize(3..10);
            (0..len).map(|_| rng.lowercase()).collect()
        })
        .collect();
    let (mut json_bytes, mut seq) = (0u64, 0u64);
    while json_bytes < 300_000_000 {
        let batch: Vec<_> = (0..BATCH)
            .map(|_| {
                seq += 1;
                text_event(&mut rng, &words, seq)
            })
            .collect();
        json_bytes += batch
            .iter()
            .map(|e| serde_json::to_vec(e).map(|v| v.len() as u64))
            .sum::<Result<u64, _>>()?;
        writer.write_batch(&batch).await?;
    }
    let stats = writer.stats();
    let manifest = writer.close().await?;
    let sizes: Vec<u64> = manifest.iter().map(|e| e.bytes).collect();
    eprintln!(
        "{:.1} MB of events ({seq}) -> {} files of at most {SMALL_FILES}: {sizes:?}; {stats:?}",
        json_bytes as f64 / 1e6,
        sizes.len()
    );
    assert_eq!(manifest.rows(), seq);
    assert!(sizes.len() >= 3, "{sizes:?}");
    assert_eq!(stats.rolls_by_memory, 0, "{stats:?}");
    assert_eq!(stats.oversize_files, 0, "{stats:?}");
    for (i, bytes) in sizes.iter().enumerate().take(sizes.len() - 1) {
        let share = *bytes as f64 / SMALL_FILES as f64;
        assert!(
            (0.8..=1.0).contains(&share),
            "object {i} holds {bytes} bytes, {:.0}% of max_file_bytes: {sizes:?}",
            share * 100.0
        );
    }
    Ok(())
}

//! Measures the writer's throughput into a local directory store in a temporary
//! directory.
//!
//! ```text
//! # events/s with each durability mode (default 200000 events)
//! cargo run --release -p securitylake-source --example throughput -- [events]
//! # a volume run with the default settings: writes events until their JSON
//! # size reaches <bytes> (e.g. 2000000000), then reports events/s, MB/s and
//! # the process's peak RSS (run it under `/usr/bin/time -v` to compare)
//! cargo run --release -p securitylake-source --example throughput -- --bytes <bytes>
//! ```

use std::time::{Duration, Instant};

use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
use securitylake_core::layout::SourceLocation;
use securitylake_core::store::local_store;
use securitylake_source::{Durability, Writer, WriterConfig};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// 2024-02-29T00:00:00Z
const BASE_TIME: i64 = 1_709_164_800_000;
const DAY: i64 = 86_400_000;

fn event(seq: u64) -> Authentication {
    let mut product = Product::default();
    product.name = Some("partner-app".into());
    let mut event = Authentication::new(
        AuthenticationActivityId::Logon,
        Metadata::new(product, "1.1.0".into()),
        SeverityId::Low,
        BASE_TIME + (seq as i64 * 37) % DAY,
        User::default(),
    );
    event.message = Some(format!(
        "user {seq} logged on from 10.0.{}.{}",
        seq % 256,
        seq % 7
    ));
    event
}

/// An event of about a kilobyte: a varied message and raw data, over three
/// days (three partitions open at once).
fn large_event(seq: u64) -> Authentication {
    let mut event = event(seq);
    event.time = BASE_TIME + (seq % 3) as i64 * DAY + (seq as i64 / 3) % DAY;
    let mut x = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut raw = String::with_capacity(900);
    raw.push_str(&format!("<34>1 host sshd[{}]: ", seq % 65_536));
    while raw.len() < 900 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        raw.push(char::from(b'a' + (x % 26) as u8));
        if x.is_multiple_of(7) {
            raw.push(' ');
        }
    }
    event.raw_data = Some(raw);
    event
}

fn config(dir: &std::path::Path, durability: Durability) -> Result<WriterConfig, BoxError> {
    Ok(WriterConfig::builder()
        .location(SourceLocation::parse(
            "s3://aws-security-data-lake-us-east-1-test/ext/partner-app/1.0/",
        )?)
        .region("us-east-1")
        .account_id("123456789012")
        .store(local_store(dir.join("lake"))?)
        .spool_dir(dir.join("spool"))
        .durability(durability)
        .build()?)
}

async fn run(
    label: &str,
    events: u64,
    durability: Durability,
    batch: usize,
) -> Result<(), BoxError> {
    let dir = tempfile::tempdir()?;
    let mut writer = Writer::<Authentication>::open(config(dir.path(), durability)?).await?;
    let started = Instant::now();
    let mut pending = Vec::with_capacity(batch);
    for seq in 0..events {
        pending.push(event(seq));
        if pending.len() == batch {
            writer.write_batch(&pending).await?;
            pending.clear();
        }
    }
    writer.write_batch(&pending).await?;
    let manifest = writer.close().await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{label}: {events} events in {secs:.2} s = {:.0} events/s; {} files, {} bytes",
        events as f64 / secs,
        manifest.len(),
        manifest.bytes()
    );
    Ok(())
}

/// The process's peak resident set size in kB (Linux `VmHWM`), if known.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Writes ~1 KB events with the default settings (fsync per batch of 1000)
/// until their JSON size reaches `target` bytes.
async fn volume(target: u64) -> Result<(), BoxError> {
    const BATCH: usize = 1000;
    let dir = tempfile::tempdir()?;
    let mut writer =
        Writer::<Authentication>::open(config(dir.path(), Durability::EveryWrite)?).await?;
    let started = Instant::now();
    let mut json_bytes = 0u64;
    let mut events = 0u64;
    while json_bytes < target {
        let batch: Vec<Authentication> = (events..events + BATCH as u64).map(large_event).collect();
        for event in &batch {
            json_bytes += serde_json::to_vec(event)?.len() as u64;
        }
        events += BATCH as u64;
        writer.write_batch(&batch).await?;
    }
    let manifest = writer.close().await?;
    let secs = started.elapsed().as_secs_f64();
    let stats_rows = manifest.rows();
    println!(
        "volume: {events} events, {:.1} MB of JSON in {secs:.1} s = {:.0} events/s, {:.1} MB/s; \
         {} files, {:.1} MB of Parquet, {stats_rows} rows; peak RSS {} kB",
        json_bytes as f64 / 1e6,
        events as f64 / secs,
        json_bytes as f64 / 1e6 / secs,
        manifest.len(),
        manifest.bytes() as f64 / 1e6,
        peak_rss_kb().map_or_else(|| "unknown".to_owned(), |kb| kb.to_string()),
    );
    if stats_rows != events {
        return Err(format!("{events} events written but {stats_rows} rows in the lake").into());
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, bytes] = args.as_slice()
        && flag == "--bytes"
    {
        return volume(bytes.parse()?).await;
    }
    let events: u64 = args
        .first()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(200_000);
    run("fsync per write", events / 20, Durability::EveryWrite, 1).await?;
    run(
        "fsync per batch of 1000",
        events,
        Durability::EveryWrite,
        1000,
    )
    .await?;
    run(
        "fsync every second",
        events,
        Durability::Interval(Duration::from_secs(1)),
        1,
    )
    .await?;
    Ok(())
}

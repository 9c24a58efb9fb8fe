//! Generates a large lake object and streams it back as typed events: the
//! memory and whole-process throughput measurements of `BENCHMARKS.md`.
//!
//! ```text
//! # Write about 1 GiB of OCSF 1.1.0 Authentication events (the writer's
//! # Parquet settings) into a local lake; prints the key.
//! cargo run --release -p securitylake-subscriber --example read_object -- generate <lake dir> 1024
//! # Stream it back one row group at a time as typed events.
//! /usr/bin/time -v target/release/examples/read_object read <lake dir> <key>
//! ```
//!
//! `read` prints the rows, the elapsed time, the typed events per second and
//! the peak resident set size (`VmHWM`) as one JSON object.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ocsf_model::columnar::{BatchEncoder, ColumnarOptions};
use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
use parquet::arrow::ArrowWriter;
use securitylake_core::store::local_store;
use securitylake_parquet::ParquetRules;
use securitylake_subscriber::ObjectRef;
use securitylake_subscriber::reader::ObjectReader;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const KEY_PREFIX: &str = "ext/bench/1.0/region=us-east-1/accountId=external/eventDay=20231114/";

/// One event with a few hundred bytes of text that compresses like log
/// text (an identifier, an address, a random token).
fn event(i: u64, rng: &mut fastrand::Rng) -> Authentication {
    let mut product = Product::default();
    product.name = Some("sshd".into());
    product.vendor_name = Some("OpenBSD".into());
    let mut user = User::default();
    user.name = Some(format!("user-{}", rng.u32(0..50_000)));
    user.uid = Some(format!("{}", 1000 + rng.u32(0..50_000)));
    let mut e = Authentication::new(
        AuthenticationActivityId::Logon,
        Metadata::new(product, "1.1.0".into()),
        SeverityId::Low,
        1_699_920_000_000 + i64::try_from(i).unwrap_or(i64::MAX),
        user,
    );
    let token: String = std::iter::repeat_with(|| rng.alphanumeric())
        .take(48)
        .collect();
    e.message = Some(format!(
        "Accepted publickey for user-{} from 10.{}.{}.{} port {} ssh2: ED25519 SHA256:{token}",
        rng.u32(0..50_000),
        rng.u8(..),
        rng.u8(..),
        rng.u8(..),
        rng.u16(1024..)
    ));
    e.raw_data = Some(format!(
        "<38>Nov 14 00:00:00 host-{} sshd[{}]: session opened {token}",
        rng.u32(0..500),
        rng.u32(1..65_536)
    ));
    e
}

fn generate(lake: &Path, mib: u64) -> Result<(), BoxError> {
    let key = format!("{KEY_PREFIX}large-{mib}mib.zstd.parquet");
    let mut path = PathBuf::from(lake);
    path.extend(key.split('/'));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let target = mib * 1024 * 1024;
    let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())?;
    let file = std::fs::File::create(&path)?;
    let rules = ParquetRules::new();
    let mut writer = ArrowWriter::try_new(
        file,
        encoder.schema().clone(),
        Some(rules.writer_properties()),
    )?;
    let mut rng = fastrand::Rng::with_seed(42);
    let mut rows = 0u64;
    let started = Instant::now();
    while writer.bytes_written() as u64 + writer.in_progress_size() as u64 / 4 < target {
        for _ in 0..8192 {
            encoder.append(&event(rows, &mut rng));
            rows += 1;
        }
        rules.write_batch(&mut writer, &encoder.finish()?)?;
    }
    let meta = writer.close()?;
    let bytes = std::fs::metadata(&path)?.len();
    println!(
        "{}",
        serde_json::json!({
            "key": key,
            "rows": rows,
            "bytes": bytes,
            "row_groups": meta.num_row_groups(),
            "seconds": started.elapsed().as_secs_f64(),
        })
    );
    Ok(())
}

/// The peak resident set size of this process in KiB (Linux), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn read(lake: &Path, key: &str) -> Result<(), BoxError> {
    let mut path = PathBuf::from(lake);
    path.extend(key.split('/'));
    let size = std::fs::metadata(&path)?.len();
    let store = local_store(lake)?;
    // A notification announces the size and etag: no HEAD (which would hash
    // the whole local file) is needed.
    let object = ObjectRef::new("local", key)
        .with_size(size)
        .with_etag("announced");
    let started = Instant::now();
    let reader = ObjectReader::open(store, &object).await?;
    let mut events = reader.typed::<Authentication>()?;
    let (mut rows, mut text_bytes) = (0u64, 0u64);
    while let Some(batch) = events.try_next().await? {
        rows += batch.len() as u64;
        text_bytes += batch
            .iter()
            .map(|e| e.message.as_ref().map_or(0, |m| m.len() as u64))
            .sum::<u64>();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "rows": rows,
            "bytes": size,
            "row_groups": reader.info().row_groups,
            "message_bytes": text_bytes,
            "seconds": seconds,
            "events_per_second": rows as f64 / seconds,
            "peak_rss_kib": peak_rss_kib(),
        })
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [_, "generate", lake, mib] => generate(Path::new(lake), mib.parse()?),
        [_, "read", lake, key] => read(Path::new(lake), key).await,
        _ => Err("usage: read_object generate <lake dir> <MiB> | read <lake dir> <key>".into()),
    }
}

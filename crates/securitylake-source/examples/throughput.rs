//! Measures the writer's throughput into a [`LocalLake`] in a temporary
//! directory, with both durability modes.
//!
//! ```text
//! cargo run --release -p securitylake-source --example throughput -- [events]
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
use securitylake_core::layout::SourceLocation;
use securitylake_core::store::LocalLake;
use securitylake_source::{Durability, Writer, WriterConfig};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// 2024-02-29T00:00:00Z
const BASE_TIME: i64 = 1_709_164_800_000;

fn event(seq: u64) -> Authentication {
    let mut product = Product::default();
    product.name = Some("partner-app".into());
    let mut event = Authentication::new(
        AuthenticationActivityId::Logon,
        Metadata::new(product, "1.1.0".into()),
        SeverityId::Low,
        BASE_TIME + (seq as i64 * 37) % 86_400_000,
        User::default(),
    );
    event.message = Some(format!(
        "user {seq} logged on from 10.0.{}.{}",
        seq % 256,
        seq % 7
    ));
    event
}

async fn run(
    label: &str,
    events: u64,
    durability: Durability,
    batch: usize,
) -> Result<(), BoxError> {
    let dir = tempfile::tempdir()?;
    let config = WriterConfig::builder()
        .location(SourceLocation::parse(
            "s3://aws-security-data-lake-us-east-1-test/ext/partner-app/1.0/",
        )?)
        .region("us-east-1")
        .account_id("123456789012")
        .store(Arc::new(LocalLake::new(dir.path().join("lake"))))
        .spool_dir(dir.path().join("spool"))
        .durability(durability)
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    let started = Instant::now();
    let mut pending = Vec::with_capacity(batch);
    for seq in 0..events {
        pending.push(event(seq));
        if pending.len() == batch {
            writer.write_batch(std::mem::take(&mut pending)).await?;
        }
    }
    writer.write_batch(pending).await?;
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

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let events: u64 = std::env::args()
        .nth(1)
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

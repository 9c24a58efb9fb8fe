//! A writer process for the crash tests (and a small demonstration):
//! writes events with sequence numbers `start..start + count` to a local
//! directory (`local_store`), or with `s3` instead of a directory to S3 (the
//! location's bucket, with the default AWS configuration: for the emulator,
//! its `env_vars()`, whose `AWS_ENDPOINT_URL` the store follows), printing
//! each sequence number to stdout
//! once `write` returned (the event is acknowledged: durable in the spool).
//!
//! ```text
//! cargo run -p securitylake-source --example spool_writer -- <lake dir | s3> <spool dir> <start> <count>
//! ```
//!
//! Small files (32 KiB) make it seal and upload often, so that a kill lands
//! in every phase: appending, sealing, uploading, recovering.

use std::io::Write;

use ocsf_model::columnar::ColumnarOptions;
use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
use securitylake_core::aws::AwsConfig;
use securitylake_core::layout::SourceLocation;
use securitylake_core::store::local_store;
use securitylake_source::{Writer, WriterConfig};

/// 2024-02-29T00:00:00Z
const BASE_TIME: i64 = 1_709_164_800_000;
const DAY: i64 = 86_400_000;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn event(seq: u64) -> Authentication {
    let mut product = Product::default();
    product.name = Some("partner-app".into());
    // Three days, so that several partitions are open at once.
    let time = BASE_TIME + (seq % 3) as i64 * DAY + seq as i64;
    let mut event = Authentication::new(
        AuthenticationActivityId::Logon,
        Metadata::new(product, "1.1.0".into()),
        SeverityId::Low,
        time,
        User::default(),
    );
    event.message = Some(format!("seq-{seq} {}", "x".repeat(64)));
    event
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    let [_, lake, spool, start, count] = args.as_slice() else {
        return Err("usage: spool_writer <lake dir | s3> <spool dir> <start> <count>".into());
    };
    let start: u64 = start.parse()?;
    let count: u64 = count.parse()?;
    let location =
        SourceLocation::parse("s3://aws-security-data-lake-us-east-1-test/ext/partner-app/1.0/")?;
    // The region comes from the lake bucket's name.
    let builder = WriterConfig::builder()
        .location(location)
        .account_id("123456789012");
    let builder = if lake == "s3" {
        builder.s3(&AwsConfig::load_defaults().await?)
    } else {
        builder.store(local_store(lake)?)
    };
    let config = builder
        .spool_dir(spool)
        .max_file_bytes(32 * 1024)
        .columnar_options(ColumnarOptions::default().with_projection(["message"]))
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    let stdout = std::io::stdout();
    for seq in start..start + count {
        writer.write(&event(seq)).await?;
        let mut out = stdout.lock();
        writeln!(out, "{seq}")?;
        out.flush()?;
    }
    writer.close().await?;
    Ok(())
}

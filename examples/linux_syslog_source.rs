//! A Linux log custom source: maps a syslog / `auth.log` file (or the
//! built-in lines) to OCSF and streams every event through a `LakeSink` into
//! a lake, each OCSF class into its own custom source (`linux-authentic-3002`,
//! `linux-ssh-activ-4007`, ...: one class per custom source); events a writer
//! refuses go to `dead-letters.jsonl` beside the spool.
//!
//! ```text
//! cargo run --example linux_syslog_source                         # built-in lines, local lake
//! cargo run --example linux_syslog_source -- /var/log/auth.log    # a file, local lake
//! ```
//!
//! The local lake is `target/linux-syslog-source/lake/` (the spool beside it).
//! To write to a real custom source in S3 instead (its Authentication events;
//! the other classes are counted as skipped: register one source per class
//! and write them with `seclake publish --source-prefix`), set:
//!
//! | variable | value |
//! |---|---|
//! | `SECURITYLAKE_LOCATION` | the source's location, `s3://aws-security-data-lake-<region>-<id>/ext/<name>/[<version>/]` |
//! | `SECURITYLAKE_ACCOUNT_ID` | the account the data is about (the `accountId=` partition) |
//! | `SECURITYLAKE_PROVIDER_ROLE_ARN`, `SECURITYLAKE_EXTERNAL_ID` | optional: the provider role to assume, with its external id |
//! | `AWS_REGION`, credentials | as for any AWS SDK program |
//!
//! RFC 3164 lines carry no year or zone: the mapper takes the year from the
//! current time and assumes UTC (`SourceConfig::with_utc_offset_secs` sets
//! the sender's offset).

mod common;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use securitylake::lake::aws::{AssumeRoleProvider, AwsConfig};
use securitylake::lake::layout::SourceLocation;
use securitylake::lake::object_store::ObjectStore;
use securitylake::lake::store::{S3StoreBuilder, local_store};
use securitylake::mappers::{LinuxMapper, SourceConfig, V1_1_0, stream};
use securitylake::model::columnar::ColumnarOptions;
use securitylake::model::v1_1_0::Event;
use securitylake::model::v1_1_0::events::Authentication;
use securitylake::source::sink::{
    JsonLinesDeadLetters, LakeSink, PrefixDestinations, SinkStats, Unrouted,
};
use securitylake::source::{Manifest, WriterConfig};

use common::BoxError;

/// Where the events go.
struct Target {
    store: Arc<dyn ObjectStore>,
    /// The one source of S3 mode; `None` for the local lake (a source per class).
    location: Option<SourceLocation>,
    region: String,
    account_id: String,
    describe: String,
}

async fn target(lake: &Path) -> Result<Target, BoxError> {
    let Ok(location) = std::env::var("SECURITYLAKE_LOCATION") else {
        return Ok(Target {
            store: local_store(lake)?,
            location: None,
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            describe: format!("the local lake {}", lake.display()),
        });
    };
    let location = SourceLocation::parse(&location)?;
    let account_id = std::env::var("SECURITYLAKE_ACCOUNT_ID")
        .map_err(|_| "SECURITYLAKE_ACCOUNT_ID is required with SECURITYLAKE_LOCATION")?;
    let mut aws = AwsConfig::load_defaults().await?;
    if let Ok(role) = std::env::var("SECURITYLAKE_PROVIDER_ROLE_ARN") {
        let mut provider = AssumeRoleProvider::builder(role).session_name("linux-syslog-source");
        if let Ok(external_id) = std::env::var("SECURITYLAKE_EXTERNAL_ID") {
            provider = provider.external_id(external_id);
        }
        aws = aws.assume_role(provider).await?;
    }
    let region = aws
        .region()
        .ok_or("no AWS region configured (set AWS_REGION)")?
        .to_owned();
    let store = S3StoreBuilder::new(&aws).location(&location).build()?;
    Ok(Target {
        store: Arc::new(store),
        describe: location.to_string(),
        location: Some(location),
        region,
        account_id,
    })
}

/// What a run did.
#[derive(Debug)]
pub struct Report {
    /// Lines read.
    pub lines: u64,
    /// Events per OCSF `class_uid`.
    pub by_class: BTreeMap<i32, u64>,
    /// Lines kept as Base Events.
    pub fallbacks: u64,
    /// The objects written, over every class.
    pub manifest: Manifest,
    /// The sink's counters per class (events accepted, dead-lettered, skipped).
    pub stats: SinkStats,
    /// Where they were written.
    pub target: String,
}

/// Maps `input` (or the built-in lines) and streams the events to the configured lake: every
/// class to its own source of a local lake in `work/lake` (the spool is `work/spool`), or the
/// Authentication events to S3 when `SECURITYLAKE_LOCATION` is set.
pub async fn run(input: Option<&Path>, work: &Path) -> Result<Report, BoxError> {
    let (config, reader): (SourceConfig, Box<dyn BufRead>) = match input {
        Some(path) => {
            let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
            let config = SourceConfig::linux()
                .with_log_name(path.display().to_string())
                .with_reference_ms(i64::try_from(now)?);
            let file = std::fs::File::open(path)
                .map_err(|e| format!("opening {}: {e}", path.display()))?;
            (config, Box::new(std::io::BufReader::new(file)))
        }
        None => (
            common::builtin_config(),
            Box::new(std::io::Cursor::new(common::builtin_lines(7).join("\n"))),
        ),
    };
    let mapper = LinuxMapper::new(config);
    // Each source writes the columns the mapper can fill in its class (its declared
    // projection), not the class's hundreds of mostly null columns.
    let projections: BTreeMap<i32, ColumnarOptions> = LinuxMapper::<V1_1_0>::CLASSES
        .iter()
        .filter_map(|&uid| {
            let paths = mapper.projection(uid)?;
            Some((
                uid,
                ColumnarOptions::default().with_projection(paths.paths()),
            ))
        })
        .collect();

    let target = target(&work.join("lake")).await?;
    let template = WriterConfig::builder()
        .region(target.region.clone())
        .account_id(target.account_id.clone())
        .store(target.store.clone());
    let builder = LakeSink::<Event>::builder()
        .dead_letters(JsonLinesDeadLetters::lazy(work.join("dead-letters.jsonl")));
    let builder = match &target.location {
        // S3: the one registered source holds Authentication; other classes are counted.
        Some(location) => {
            let columns = projections
                .get(&Authentication::CLASS_UID)
                .cloned()
                .ok_or("the Linux mapper declares Authentication")?;
            let config = template
                .location(location.clone())
                .spool_dir(work.join("spool"))
                .columnar_options(columns)
                .build()?;
            builder
                .destination(Authentication::CLASS_UID, config)
                .unrouted(Unrouted::Skip)
        }
        // The local lake: a source per class the mapper emits.
        None => {
            let destinations = PrefixDestinations::new(
                "linux",
                common::LOCAL_BUCKET,
                work.join("spool"),
                template,
            )
            .source_version("1.0")
            .columnar_options(move |class| projections.get(&class.class_uid).cloned());
            builder.destinations(destinations.configs::<Event>(LinuxMapper::<V1_1_0>::CLASSES)?)
        }
    };
    let mut sink = builder.build()?;

    // Stream: map and write a batch at a time, never the whole input in memory.
    let mut by_class: BTreeMap<i32, u64> = BTreeMap::new();
    let mut events = stream::events(mapper, reader);
    let mut batch = Vec::with_capacity(1024);
    for event in events.by_ref() {
        let event = event?;
        *by_class.entry(event.class_uid()).or_default() += 1;
        batch.push(event);
        if batch.len() == batch.capacity() {
            sink.write_batch(&batch).await?;
            batch.clear();
        }
    }
    sink.write_batch(&batch).await?;
    let stats = events.mapper().stats().clone();
    let sink_stats = sink.stats();
    let manifest = sink.close().await?;
    Ok(Report {
        lines: stats.accepted,
        by_class,
        fallbacks: stats.fallback_total(),
        manifest,
        stats: sink_stats,
        target: target.describe,
    })
}

/// Runs the example (see the module documentation).
#[tokio::main(flavor = "current_thread")]
pub async fn main() -> Result<(), BoxError> {
    let input = std::env::args_os().nth(1).map(PathBuf::from);
    let report = run(input.as_deref(), Path::new("target/linux-syslog-source")).await?;
    println!(
        "{} lines: events by class_uid {:?}, {} fell back to Base Events",
        report.lines, report.by_class, report.fallbacks
    );
    println!(
        "wrote {} events in {} object(s) to {} ({} dead-lettered, {} skipped):",
        report.manifest.rows(),
        report.manifest.len(),
        report.target,
        report.stats.dead_lettered(),
        report.stats.unrouted()
    );
    for object in report.manifest.iter() {
        println!(
            "  {} ({} rows, {} bytes)",
            object.key, object.rows, object.bytes
        );
    }
    Ok(())
}

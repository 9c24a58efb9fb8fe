//! The main job on an embedded lake, with no AWS account and no network:
//!
//! 1. about 850 built-in `auth.log` / firewall lines of a bastion host
//!    (with a credential-stuffing burst) are mapped to typed OCSF 1.1.0
//!    events by `ocsf-mappers`;
//! 2. every event is written by a `securitylake-source` [`LakeSink`] into a
//!    local lake directory, each OCSF class into its own custom source
//!    (`bastion-authent-3002`, `bastion-network-4001`, ...: Security Lake
//!    wants one class per source), in Security Lake's layout and Parquet
//!    format;
//! 3. a `securitylake-subscriber` [`Subscriber`] with a [`LocalSource`]
//!    hands out each new object of the Authentication source as a delivery,
//!    read back as typed events;
//! 4. failed logons are counted per source address, and each delivery is
//!    acknowledged once its object is counted.
//!
//! ```text
//! cargo run --example quickstart            # a temporary lake, removed at exit
//! cargo run --example quickstart -- DIR     # keep the lake (and spool) in DIR
//! ```

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use securitylake::lake::store::local_store;
use securitylake::mappers::{LinuxMapper, V1_1_0};
use securitylake::model::columnar::ColumnarOptions;
use securitylake::model::v1_1_0::Event;
use securitylake::model::v1_1_0::enums::StatusId;
use securitylake::model::v1_1_0::events::{Authentication, AuthenticationActivityId};
use securitylake::source::WriterConfig;
use securitylake::source::sink::{ClassInfo, JsonLinesDeadLetters, LakeSink, PrefixDestinations};
use securitylake::subscriber::{LakeObject, LocalSource, Subscriber};

use common::BoxError;

/// What a run did, for printing (and for the end-to-end tests).
#[derive(Debug, Default)]
pub struct Summary {
    /// Lines mapped.
    pub lines: usize,
    /// Events the mappers produced, per OCSF class name.
    pub events_by_class: BTreeMap<String, u64>,
    /// Lines no mapper recognized (kept as Base Events).
    pub fallbacks: u64,
    /// Objects the sink put into the lake, over every class.
    pub objects_written: usize,
    /// Rows in those objects.
    pub rows_written: u64,
    /// Rows written per OCSF class name, each class in its own custom source.
    pub rows_by_class: BTreeMap<String, u64>,
    /// The custom source of each class written, per OCSF class name.
    pub source_by_class: BTreeMap<String, String>,
    /// Events the writers refused (kept in `dead-letters.jsonl`).
    pub dead_lettered: u64,
    /// Objects of the Authentication source.
    pub auth_objects: usize,
    /// Objects the subscriber handled.
    pub objects_read: u64,
    /// Authentication events the subscriber read back.
    pub events_read: u64,
    /// Failed logons per source address, most first.
    pub failed_logons: Vec<(String, u64)>,
}

/// Failed logons per source address, and the events read.
#[derive(Debug, Default)]
struct FailedLogons {
    by_ip: BTreeMap<String, u64>,
    events: u64,
}

impl FailedLogons {
    /// Counts one whole object. The counts are published only once the object is read, so an
    /// object that fails half-way (and is delivered again) is not counted twice.
    async fn count(&mut self, object: &LakeObject) -> Result<(), BoxError> {
        let mut batches = object.typed::<Authentication>()?;
        let mut by_ip: BTreeMap<String, u64> = BTreeMap::new();
        let mut events = 0u64;
        while let Some(batch) = batches.try_next().await? {
            for event in batch {
                events += 1;
                let failed = event.status_id == Some(StatusId::Failure)
                    && event.activity_id == AuthenticationActivityId::Logon;
                if !failed {
                    continue;
                }
                let ip = event
                    .src_endpoint
                    .as_ref()
                    .and_then(|e| e.ip.clone())
                    .unwrap_or_else(|| "(no address)".into());
                *by_ip.entry(ip).or_default() += 1;
            }
        }
        for (ip, n) in by_ip {
            *self.by_ip.entry(ip).or_default() += n;
        }
        self.events += events;
        Ok(())
    }
}

/// Runs the whole job with `work` as the lake's parent directory (`lake/`
/// and `spool/` are created inside).
pub async fn run(work: &Path) -> Result<Summary, BoxError> {
    let mut summary = Summary::default();

    // 1. Map.
    let lines = common::builtin_lines(7);
    summary.lines = lines.len();
    let mut mapper = LinuxMapper::new(common::builtin_config());
    let mut mapped = Vec::new();
    for line in &lines {
        mapper.map_line_into(line, &mut mapped);
    }
    mapper.finish_into(&mut mapped);
    for event in &mapped {
        let class = event.class_caption().unwrap_or("unrecognized");
        *summary.events_by_class.entry(class.into()).or_default() += 1;
    }
    summary.fallbacks = mapper.stats().fallback_total();

    // 2. Write every class into its own custom source of a local lake: one source per class
    //    the mapper declares, named from a prefix, each with the mapper's projection (the
    //    columns it can fill). A writer opens on its class's first event.
    let lake_dir = work.join("lake");
    let store = local_store(&lake_dir)?;
    let template = WriterConfig::builder()
        .region("us-east-1")
        .account_id("123456789012")
        .store(store);
    let projections: BTreeMap<i32, Vec<String>> = LinuxMapper::<V1_1_0>::CLASSES
        .iter()
        .filter_map(|&uid| Some((uid, mapper.projection(uid)?.paths().to_vec())))
        .collect();
    let destinations = PrefixDestinations::new(
        "bastion",
        common::LOCAL_BUCKET,
        work.join("spool"),
        template,
    )
    .source_version("1.0")
    .columnar_options(move |class| {
        let paths = projections.get(&class.class_uid)?;
        Some(ColumnarOptions::default().with_projection(paths))
    });
    let mut sink = LakeSink::<Event>::builder()
        .destinations(destinations.configs::<Event>(LinuxMapper::<V1_1_0>::CLASSES)?)
        // An event a writer refuses (a time more than a day ahead, ...) is kept here with the
        // reason, and the rest lands.
        .dead_letters(JsonLinesDeadLetters::lazy(work.join("dead-letters.jsonl")))
        .build()?;
    sink.write_batch(&mapped).await?;
    summary.dead_lettered = sink.stats().dead_lettered();
    let manifest = sink.close().await?;
    summary.objects_written = manifest.len();
    summary.rows_written = manifest.rows();
    for &uid in LinuxMapper::<V1_1_0>::CLASSES {
        let Some(class) = ClassInfo::find::<Event>(uid) else {
            continue;
        };
        let prefix = destinations.location(&class)?.prefix();
        let rows: u64 = manifest
            .iter()
            .filter(|o| o.key.starts_with(&prefix))
            .map(|o| o.rows)
            .sum();
        if rows > 0 {
            summary.rows_by_class.insert(class.caption.into(), rows);
            summary
                .source_by_class
                .insert(class.caption.into(), destinations.source_name(&class)?);
        }
    }
    let auth_prefix = destinations
        .location(&ClassInfo::of::<Authentication>())?
        .prefix();
    summary.auth_objects = manifest
        .iter()
        .filter(|o| o.key.starts_with(&auth_prefix))
        .count();

    // 3. Subscribe to the lake and read the new objects back as typed events: one delivery
    //    per object, acknowledged once it is counted.
    let subscriber = Subscriber::builder()
        .source(LocalSource::new(&lake_dir).prefix(auth_prefix))
        .build()
        .await?;
    let mut deliveries = subscriber.deliveries();
    let mut counts = FailedLogons::default();
    for _ in 0..summary.auth_objects {
        let delivery = tokio::time::timeout(Duration::from_secs(60), deliveries.next())
            .await
            .map_err(|_| "an object was not delivered within 60 s")?
            .ok_or("the deliveries ended")??;
        counts.count(delivery.object()).await?;
        delivery.ack().await?;
    }
    summary.objects_read = subscriber.stats().objects_processed;
    summary.events_read = counts.events;

    // 4. Report.
    let mut failed: Vec<(String, u64)> = counts.by_ip.into_iter().collect();
    failed.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    summary.failed_logons = failed;
    Ok(summary)
}

/// Runs the example (see the module documentation).
#[tokio::main(flavor = "current_thread")]
pub async fn main() -> Result<(), BoxError> {
    let kept = std::env::args_os().nth(1).map(std::path::PathBuf::from);
    let temp = tempfile::tempdir()?;
    let work = kept.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let started = std::time::Instant::now();
    let s = run(&work).await?;

    let classes: Vec<String> = s
        .events_by_class
        .iter()
        .map(|(class, n)| format!("{n} {class}"))
        .collect();
    println!("mapped {} log lines: {}", s.lines, classes.join(", "));
    println!(
        "wrote {} events in {} Parquet object(s) to {}, one custom source per class:",
        s.rows_written,
        s.objects_written,
        work.join("lake").display()
    );
    for (class, rows) in &s.rows_by_class {
        let source = s.source_by_class.get(class).map_or("?", String::as_str);
        println!("  {class:<22} {rows:>4} rows  ext/{source}/");
    }
    if s.dead_lettered > 0 {
        println!(
            "{} events dead-lettered (see dead-letters.jsonl)",
            s.dead_lettered
        );
    }
    println!(
        "subscriber read back {} events from {} object(s)",
        s.events_read, s.objects_read
    );
    println!("failed logons per source address:");
    for (ip, n) in &s.failed_logons {
        println!("  {ip:<16} {n:>4}");
    }
    if kept.is_none() {
        println!("(temporary lake; pass a directory to keep it)");
    }
    println!("done in {:.2?}", started.elapsed());
    Ok(())
}

//! `seclake convert` and `seclake publish`: raw logs to OCSF JSON lines, or
//! through securitylake-source's `LakeSink` into a lake, one custom source per class
//! (see [`crate::route`]).

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ocsf_model::convert::{ConversionReport, LossReason, convert_value};
use securitylake_control::Registrar;
use securitylake_core::aws::AwsConfig;
use securitylake_core::layout::{CustomSource, LakeSource, SourceLocation};
use securitylake_core::object_store::ObjectStore;
use securitylake_source::sink::ClassInfo;
use securitylake_source::writer::Durability;

use crate::common::{AwsArgs, assume, print_json, s3_store, write_json_line};
use crate::error::{Error, ErrorKind, Result};
use crate::follow::{Follow, FollowArgs};
use crate::mapping::{EventStream, Input, MapArgs, print_stats, stats_json};
use crate::route::{
    Destination, Written, durability_for, registered_destination, selected_classes, source_names,
    write_classes,
};

/// Arguments of `seclake convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    map: MapArgs,
    /// Write the JSON lines to this file instead of stdout.
    #[arg(long, value_name = "FILE", conflicts_with = "lake")]
    out: Option<PathBuf>,
    /// Write Parquet into this local lake directory instead, one custom source per class
    /// (like `publish --lake`).
    #[arg(long, value_name = "DIR")]
    lake: Option<PathBuf>,
    /// Write the events as this OCSF version (converted from the mappers' 1.1.0 with the
    /// generated conversion; the values a version cannot hold are counted and kept in
    /// `unmapped`).
    #[arg(long, value_name = "VERSION", value_parser = ["1.1.0", "1.3.0", "1.8.0"], conflicts_with = "lake")]
    to_version: Option<String>,
    /// The OCSF version of OCSF JSON input (`--format ocsf-json`, or detected), for events
    /// without `metadata.version` or to override it (default: each event's own).
    #[arg(long, value_name = "VERSION", value_parser = ["1.1.0", "1.3.0", "1.8.0"])]
    from_version: Option<String>,
    #[command(flatten)]
    target: TargetArgs,
}

/// Where and as what `publish` (and `convert --lake`) writes.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Publish only these OCSF classes (comma-separated names, captions or uids, e.g.
    /// authentication,ssh_activity; default: every class the mapper emits, each to its own
    /// custom source); events of other classes are skipped and counted.
    #[arg(long, value_name = "CLASS[,CLASS...]")]
    pub class: Option<String>,
    /// The custom source name, for a single class (for --lake, or to look the registration
    /// up).
    #[arg(long)]
    pub source_name: Option<String>,
    /// The prefix of the custom source names, one per class: `<prefix>-<class>-<class_uid>`
    /// within Security Lake's 20 characters (default: the mapper's name, e.g. linux).
    #[arg(long, value_name = "PREFIX", conflicts_with = "source_name")]
    pub source_prefix: Option<String>,
    /// The custom source version (for --lake).
    #[arg(long)]
    pub source_version: Option<String>,
    /// The lake region of the partitions (default: the AWS configuration's).
    #[arg(long = "lake-region", value_name = "REGION")]
    pub lake_region: Option<String>,
    /// The accountId partition value: a 12-digit account, `external` or `external_<id>`.
    #[arg(long, default_value = "external")]
    pub account_id: String,
    /// The writers' spool directory (with several classes, a directory per source inside it;
    /// default: a directory per source and class under the system temporary directory, so
    /// an interrupted run is recovered by the next one).
    #[arg(long, value_name = "DIR")]
    pub spool_dir: Option<PathBuf>,
    /// Largest object size in bytes (16 KiB to 250 MB; default 128 MiB).
    #[arg(long)]
    pub max_file_bytes: Option<u64>,
    /// The dead-letter file: events a writer refuses (a time more than a day ahead or before
    /// 1970, too large) are appended as JSON lines with the reason, and the rest of the input
    /// lands (default: seclake-dead-letters.jsonl in the current directory, created on the
    /// first letter).
    #[arg(long, value_name = "FILE")]
    pub dead_letters: Option<PathBuf>,
    /// Write every column of the class's schema (hundreds, mostly null) instead of the
    /// mapper's declared projection: the attributes it can fill (a few dozen columns).
    #[arg(long)]
    pub all_columns: bool,
    /// Print the manifest as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `seclake publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    #[command(flatten)]
    map: MapArgs,
    #[command(flatten)]
    target: TargetArgs,
    /// Write into this local lake directory.
    #[arg(long, value_name = "DIR", conflicts_with = "location")]
    lake: Option<PathBuf>,
    /// Write to this S3 location (`s3://bucket/ext/<name>/[<version>/]`)
    /// instead of the one registered for --source-name.
    #[arg(long, value_name = "S3_URL")]
    location: Option<String>,
    /// The role to assume for writing (default with a registration: its provider role).
    #[arg(long)]
    role_arn: Option<String>,
    /// The external id given when the source was registered.
    #[arg(long)]
    external_id: Option<String>,
    #[command(flatten)]
    follow: FollowArgs,
}

/// A progress spinner on stderr (drawn only on a terminal).
pub fn spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} {pos} events {msg} ({per_sec})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// The local lake a command writes into, created (with its parents) when it does not exist
/// yet.
fn lake_store(dir: &std::path::Path) -> Result<Arc<dyn ObjectStore>> {
    Ok(securitylake_core::store::local_store(dir)?)
}

/// Runs `seclake convert`.
pub async fn convert(args: ConvertArgs) -> Result<u8> {
    if let Some(lake) = &args.lake {
        let store = lake_store(lake)?;
        let mut events = args.map.events()?;
        let region = args.target.lake_region.clone().ok_or_else(|| {
            Error::input("--lake-region is required with --lake (the region partition value)")
        })?;
        let durability = durability_for(&args.map.from);
        let written = write_local(&mut events, &args.target, store, &region, durability).await?;
        return finish_publish("convert", &events, &args.target, written);
    }
    let input = args.map.input()?;
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let mut report = ConversionReport::new();
    let mut events = match input {
        Input::Mapped(events) => *events,
        Input::OcsfJson(reader) => {
            let to = args.to_version.as_deref();
            let done = crate::ocsf_json::convert(
                reader,
                args.from_version.as_deref(),
                to,
                &mut out,
                &mut report,
            )?;
            out.flush().map_err(|e| Error::io("writing output", e))?;
            eprintln!("{}", crate::ocsf_json::summary(&done, to, &report));
            return Ok(crate::error::EXIT_OK);
        }
    };
    let bar = spinner("converted");
    // Each line is mapped into the events of the line before (lent, never rebuilt).
    while let Some(line) = events.next_events() {
        let line = line?;
        for event in line {
            match args.to_version.as_deref() {
                None | Some("1.1.0") => write_json_line(&mut out, event)?,
                Some(version) => {
                    let json = serde_json::to_value(event).map_err(|e| {
                        Error::new(ErrorKind::Io, format!("encoding JSON: {e}")).with_source(e)
                    })?;
                    let converted = convert_value(json, "1.1.0", version, &mut report)
                        .map_err(|e| Error::input(format!("converting to OCSF {version}: {e}")))?;
                    write_json_line(&mut out, &converted)?;
                }
            }
        }
        bar.inc(line.len() as u64);
    }
    bar.finish_and_clear();
    out.flush().map_err(|e| Error::io("writing output", e))?;
    print_stats("convert", events.mapper_name(), events.stats());
    if let Some(version) = &args.to_version {
        eprintln!(
            "seclake convert: OCSF 1.1.0 -> {version}: {} values not held in place ({} absent, {} type-changed -> unmapped; {} enum values undefined)",
            report.len(),
            report.count(LossReason::Absent),
            report.count(LossReason::TypeChanged),
            report.count(LossReason::EnumValueUndefined)
        );
    }
    Ok(crate::error::EXIT_OK)
}

/// Runs `seclake publish`.
pub async fn publish(args: PublishArgs, aws: &AwsArgs) -> Result<u8> {
    let target = &args.target;
    let local_region = || match &target.lake_region {
        Some(r) => Ok(r.clone()),
        None => aws
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .ok_or_else(|| {
                Error::input("--lake-region (or --region / AWS_REGION) is required with --lake")
            }),
    };
    if args.follow.follow {
        let follow = Follow {
            map: &args.map,
            target,
            lake: args.lake.as_deref(),
            s3: args.location.is_some() || args.role_arn.is_some() || args.external_id.is_some(),
            args: &args.follow,
        };
        return crate::follow::publish(follow, local_region).await;
    }
    if let Some(lake) = &args.lake {
        let store = lake_store(lake)?;
        let region = local_region()?;
        let mut events = args.map.events()?;
        let durability = durability_for(&args.map.from);
        let written = write_local(&mut events, target, store, &region, durability).await?;
        return finish_publish("publish", &events, target, written);
    }
    let base = aws.load().await?;
    let region = target
        .lake_region
        .clone()
        .or_else(|| base.region().map(str::to_owned))
        .ok_or_else(|| Error::input("--lake-region is required (no AWS region configured)"))?;
    let mut events = args.map.events()?;
    let classes = selected_classes(target, &events)?;
    let destinations = match &args.location {
        Some(location) => {
            let [class] = classes.as_slice() else {
                return Err(Error::input(
                    "--location is one custom source, which holds one class: pick it with --class",
                ));
            };
            let location = SourceLocation::parse(location)?;
            let config = match &args.role_arn {
                Some(role) => assume(&base, role, args.external_id.as_deref()).await?,
                None => base.clone(),
            };
            let store = s3_store(&config, location.bucket())?;
            BTreeMap::from([(class.class_uid, Destination { location, store })])
        }
        None => registered(&args, &base, &events, &classes).await?,
    };
    let durability = durability_for(&args.map.from);
    let written = write_classes(
        &mut events,
        target,
        &classes,
        destinations,
        &region,
        durability,
    )
    .await?;
    finish_publish("publish", &events, target, written)
}

/// The destinations of the classes from their registrations in Security Lake (looked up by
/// `--source-name`, or by the names derived from the prefix), each written as its provider
/// role (or `--role-arn`).
async fn registered(
    args: &PublishArgs,
    base: &AwsConfig,
    events: &EventStream,
    classes: &[ClassInfo],
) -> Result<BTreeMap<i32, Destination>> {
    let names = source_names(&args.target, events, classes)?;
    let registrar = Registrar::new(base);
    let mut destinations = BTreeMap::new();
    let mut missing = Vec::new();
    for (uid, name) in names {
        let Some(source) = registrar.find(&name).await? else {
            missing.push(name);
            continue;
        };
        let destination = registered_destination(
            base,
            source,
            args.role_arn.as_deref(),
            args.external_id.as_deref(),
        )
        .await?;
        destinations.insert(uid, destination);
    }
    if !missing.is_empty() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "no custom source named {} is registered; register one per class (`seclake source register`), narrow the classes with --class, or write to --lake DIR / --location s3://...",
                missing.join(", ")
            ),
        ));
    }
    Ok(destinations)
}

/// Writes into a local lake directory: each class to its custom source there.
async fn write_local(
    events: &mut EventStream,
    target: &TargetArgs,
    store: Arc<dyn ObjectStore>,
    region: &str,
    durability: Durability,
) -> Result<Written> {
    let classes = selected_classes(target, events)?;
    let mut destinations = BTreeMap::new();
    for (uid, name) in source_names(target, events, &classes)? {
        let source = CustomSource::new(name, target.source_version.clone())?;
        let location = SourceLocation::new(
            securitylake_subscriber::LOCAL_BUCKET,
            LakeSource::Custom(source),
        )?;
        let store = store.clone();
        destinations.insert(uid, Destination { location, store });
    }
    write_classes(events, target, &classes, destinations, region, durability).await
}

fn finish_publish(
    command: &str,
    events: &EventStream,
    target: &TargetArgs,
    written: Written,
) -> Result<u8> {
    print_stats(command, events.mapper_name(), events.stats());
    let (manifest, encoding) = (&written.manifest, written.encoding);
    let skipped = written.skipped();
    let dead = written.stats.dead_lettered();
    if skipped > 0 {
        eprintln!(
            "seclake {command}: {skipped} events of other classes skipped (one class per source; see --class)"
        );
    }
    if dead > 0 {
        eprintln!(
            "seclake {command}: {dead} events refused by the writers were dead-lettered to {} (one JSON line each, with the reason); the rest landed",
            written.dead_letters.display()
        );
    }
    if encoding.total() > 0 {
        eprintln!(
            "seclake {command}: values the Parquet schema could not carry as given (the events were written): {} unknown attributes, {} invalid date-times, {} integers out of range, {} left out of the schema",
            encoding.unknown_attributes,
            encoding.invalid_datetimes,
            encoding.out_of_range,
            encoding.left_out
        );
    }
    let classes: Vec<serde_json::Value> = written
        .locations
        .iter()
        .map(|(uid, location)| {
            let stats = written.stats.classes.get(uid).cloned().unwrap_or_default();
            let (objects, rows) = written.objects_of(*uid);
            serde_json::json!({
                "class_uid": uid,
                "class_name": securitylake_source::sink::ClassInfo::find::<ocsf_model::v1_1_0::Event>(*uid).map(|c| c.name),
                "location": location.to_string(),
                "events": stats.accepted,
                "dead_lettered": stats.dead_lettered,
                "objects": objects,
                "rows": rows,
            })
        })
        .collect();
    if target.json {
        let objects: Vec<serde_json::Value> = manifest
            .iter()
            .map(|o| {
                serde_json::json!({
                    "key": o.key,
                    "partition": o.partition.to_string(),
                    "rows": o.rows,
                    "bytes": o.bytes,
                    "min_time": o.min_time,
                    "max_time": o.max_time,
                    "etag": o.etag,
                })
            })
            .collect();
        print_json(&serde_json::json!({
            "objects": objects,
            "classes": classes,
            "rows": manifest.rows(),
            "bytes": manifest.bytes(),
            "events_written": written.stats.accepted(),
            "events_skipped": skipped,
            "events_dead_lettered": dead,
            "dead_letters": (dead > 0).then(|| written.dead_letters.display().to_string()),
            "encoding": {
                "unknown_attributes": encoding.unknown_attributes,
                "invalid_datetimes": encoding.invalid_datetimes,
                "out_of_range": encoding.out_of_range,
                "left_out": encoding.left_out,
            },
            "mapper": stats_json(events.stats()),
        }))?;
    } else {
        let mut out = std::io::stdout().lock();
        for o in manifest.iter() {
            writeln!(out, "{}\t{} rows\t{} bytes", o.key, o.rows, o.bytes)
                .map_err(|e| Error::io("writing output", e))?;
        }
        // The classes that received events (every class's line is in the JSON output).
        let active: Vec<&serde_json::Value> = classes
            .iter()
            .filter(|c| c["events"].as_u64() > Some(0) || c["dead_lettered"].as_u64() > Some(0))
            .collect();
        for class in &active {
            writeln!(
                out,
                "{} ({})\t{}\t{} events\t{} objects\t{} dead-lettered",
                class["class_name"].as_str().unwrap_or("?"),
                class["class_uid"],
                class["location"].as_str().unwrap_or("?"),
                class["events"],
                class["objects"],
                class["dead_lettered"],
            )
            .map_err(|e| Error::io("writing output", e))?;
        }
        writeln!(
            out,
            "{} objects, {} rows, {} bytes, {} classes, {} dead-lettered, {} skipped",
            manifest.len(),
            manifest.rows(),
            manifest.bytes(),
            active.len(),
            dead,
            skipped
        )
        .map_err(|e| Error::io("writing output", e))?;
    }
    Ok(crate::error::EXIT_OK)
}

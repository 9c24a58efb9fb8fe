//! `seclake convert` and `seclake publish`: raw logs to OCSF JSON lines, or
//! through securitylake-source's [`Writer`] into a lake.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ocsf_model::OcsfEvent;
use ocsf_model::columnar::{ColumnarOptions, EncodeStats};
use ocsf_model::convert::{ConversionReport, LossReason, convert_value};
use ocsf_model::v1_1_0::Event;
use ocsf_model::v1_1_0::events as ev;
use securitylake_control::Registrar;
use securitylake_core::layout::{CustomSource, LakeSource, SourceLocation};
use securitylake_core::object_store::ObjectStore;
use securitylake_source::Manifest;
use securitylake_source::writer::{Durability, Writer, WriterConfig};

use crate::common::{AwsArgs, assume, print_json, s3_store, write_json_line};
use crate::error::{Error, ErrorKind, Result};
use crate::mapping::{EventStream, Input, MapArgs, print_stats, stats_json};
use crate::schema::find_class;

/// Events written per `write_batch` call (one spool fsync per partition).
const BATCH: usize = 1024;

/// Arguments of `seclake convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    map: MapArgs,
    /// Write the JSON lines to this file instead of stdout.
    #[arg(long, value_name = "FILE", conflicts_with = "lake")]
    out: Option<PathBuf>,
    /// Write Parquet into this local lake directory instead (needs --class
    /// and --source-name, like `publish --lake`).
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
    /// The OCSF class the source holds (name, caption or uid, e.g.
    /// authentication); events of other classes are skipped and counted.
    #[arg(long)]
    class: Option<String>,
    /// The custom source name (for --lake, or to look the registration up).
    #[arg(long)]
    source_name: Option<String>,
    /// The custom source version (for --lake).
    #[arg(long)]
    source_version: Option<String>,
    /// The lake region of the partitions (default: the AWS configuration's).
    #[arg(long = "lake-region", value_name = "REGION")]
    lake_region: Option<String>,
    /// The accountId partition value: a 12-digit account, `external` or `external_<id>`.
    #[arg(long, default_value = "external")]
    account_id: String,
    /// The writer's spool directory (default: a directory per source and
    /// class under the system temporary directory, so an interrupted run is
    /// recovered by the next one).
    #[arg(long, value_name = "DIR")]
    spool_dir: Option<PathBuf>,
    /// Largest object size in bytes (16 KiB to 250 MB; default 128 MiB).
    #[arg(long)]
    max_file_bytes: Option<u64>,
    /// Write every column of the class's schema (hundreds, mostly null) instead of the
    /// mapper's declared projection: the attributes it can fill (a few dozen columns).
    #[arg(long)]
    all_columns: bool,
    /// Print the manifest as JSON.
    #[arg(long)]
    json: bool,
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
}

/// A progress spinner on stderr (drawn only on a terminal).
fn spinner(what: &str) -> ProgressBar {
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
        let manifest = write_lake(&mut events, &args.target, store, None, &region).await?;
        return finish_publish("convert", &events, &args.target, manifest);
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
    for event in events.by_ref() {
        let event = event?;
        match args.to_version.as_deref() {
            None | Some("1.1.0") => write_json_line(&mut out, &event)?,
            Some(version) => {
                let json = serde_json::to_value(&event).map_err(|e| {
                    Error::new(ErrorKind::Io, format!("encoding JSON: {e}")).with_source(e)
                })?;
                let converted = convert_value(json, "1.1.0", version, &mut report)
                    .map_err(|e| Error::input(format!("converting to OCSF {version}: {e}")))?;
                write_json_line(&mut out, &converted)?;
            }
        }
        bar.inc(1);
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
    if let Some(lake) = &args.lake {
        let store = lake_store(lake)?;
        let region = match &target.lake_region {
            Some(r) => r.clone(),
            None => aws
                .region
                .clone()
                .or_else(|| std::env::var("AWS_REGION").ok())
                .ok_or_else(|| {
                    Error::input("--lake-region (or --region / AWS_REGION) is required with --lake")
                })?,
        };
        let mut events = args.map.events()?;
        let manifest = write_lake(&mut events, target, store, None, &region).await?;
        return finish_publish("publish", &events, target, manifest);
    }
    let base = aws.load().await?;
    let (location, role) = match (&args.location, &target.source_name) {
        (Some(location), _) => (SourceLocation::parse(location)?, args.role_arn.clone()),
        (None, Some(name)) => {
            let registrar = Registrar::new(&base);
            let source = registrar.find(name).await?.ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("no custom source named {name:?} is registered; run `seclake source register` or `seclake source list`"),
                )
            })?;
            let role = args
                .role_arn
                .clone()
                .or_else(|| Some(source.provider_role_arn.clone()));
            (source.location, role)
        }
        (None, None) => {
            return Err(Error::input(
                "say where to write: --lake DIR, --location s3://..., or --source-name NAME (looked up in Security Lake)",
            ));
        }
    };
    let config = match &role {
        Some(role) => assume(&base, role, args.external_id.as_deref()).await?,
        None => base.clone(),
    };
    let store = s3_store(&config, location.bucket())?;
    let region = target
        .lake_region
        .clone()
        .or_else(|| base.region().map(str::to_owned))
        .ok_or_else(|| Error::input("--lake-region is required (no AWS region configured)"))?;
    let mut events = args.map.events()?;
    let manifest = write_lake(&mut events, target, store, Some(location), &region).await?;
    finish_publish("publish", &events, target, manifest)
}

fn finish_publish(
    command: &str,
    events: &EventStream,
    target: &TargetArgs,
    Written {
        manifest,
        events: written,
        skipped,
        encoding,
    }: Written,
) -> Result<u8> {
    print_stats(command, events.mapper_name(), events.stats());
    if skipped > 0 {
        eprintln!(
            "seclake {command}: {skipped} events of other classes skipped (one class per source; see --class)"
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
            "rows": manifest.rows(),
            "bytes": manifest.bytes(),
            "events_written": written,
            "events_skipped": skipped,
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
        writeln!(
            out,
            "{} objects, {} rows, {} bytes",
            manifest.len(),
            manifest.rows(),
            manifest.bytes()
        )
        .map_err(|e| Error::io("writing output", e))?;
    }
    Ok(crate::error::EXIT_OK)
}

macro_rules! write_class {
    ($($ty:ty),* $(,)?) => {
        /// Writes the events of class `uid` through a typed writer.
        async fn write_class(
            uid: i32,
            events: &mut EventStream,
            config: WriterConfig,
        ) -> Result<Written> {
            $(if uid == <$ty as OcsfEvent>::CLASS_UID {
                return write_typed::<$ty>(events, config).await;
            })*
            Err(Error::input(format!(
                "the mappers produce no events of class_uid {uid}; classes they produce: {}",
                [$(format!("{} ({})", <$ty as OcsfEvent>::CLASS_NAME, <$ty as OcsfEvent>::CLASS_UID)),*].join(", ")
            )))
        }
    };
}

// The classes the mappers produce (see `ocsf-mappers`' MAPPINGS.md): one typed writer each.
write_class! {
    ev::FileActivity,
    ev::ModuleActivity,
    ev::ScheduledJobActivity,
    ev::ProcessActivity,
    ev::DetectionFinding,
    ev::AccountChange,
    ev::Authentication,
    ev::EntityManagement,
    ev::GroupManagement,
    ev::NetworkActivity,
    ev::SshActivity,
    ev::ConfigState,
    ev::ApplicationLifecycle,
    ev::BaseEvent,
}

/// Writes the events of class `E` through a typed writer; events of other classes are
/// counted as skipped.
async fn write_typed<E: OcsfEvent + TryFrom<Event, Error = Event>>(
    events: &mut EventStream,
    config: WriterConfig,
) -> Result<Written> {
    let mut writer = Writer::<E>::open(config).await?;
    let bar = spinner("written");
    let (mut written, mut skipped) = (0u64, 0u64);
    let mut batch = Vec::with_capacity(BATCH);
    for event in events.by_ref() {
        match E::try_from(event?) {
            Ok(e) => batch.push(e),
            Err(_) => skipped += 1,
        }
        if batch.len() >= BATCH {
            written += batch.len() as u64;
            bar.inc(batch.len() as u64);
            writer.write_batch(std::mem::take(&mut batch)).await?;
        }
    }
    written += batch.len() as u64;
    if !batch.is_empty() {
        writer.write_batch(batch).await?;
    }
    let mut manifest = writer.flush().await?;
    let encoding = writer.stats().encoding;
    manifest.objects.extend(writer.close().await?.objects);
    bar.finish_and_clear();
    Ok(Written {
        manifest,
        events: written,
        skipped,
        encoding,
    })
}

/// What [`write_lake`] wrote.
struct Written {
    /// The objects written.
    manifest: Manifest,
    /// Events handed to the writer.
    events: u64,
    /// Events of other classes than the source's, not written.
    skipped: u64,
    /// Values the Parquet schema could not carry as given.
    encoding: EncodeStats,
}

/// Maps and writes into `store` (at `location`, or at the custom source
/// named by the arguments).
async fn write_lake(
    events: &mut EventStream,
    target: &TargetArgs,
    store: Arc<dyn ObjectStore>,
    location: Option<SourceLocation>,
    region: &str,
) -> Result<Written> {
    let class = target.class.as_deref().ok_or_else(|| {
        Error::input("--class is required: a custom source holds one OCSF class (e.g. --class authentication)")
    })?;
    let class = find_class(&ocsf_model::v1_1_0::SCHEMA, class)?;
    let location = match location {
        Some(l) => l,
        None => {
            let name = target.source_name.clone().ok_or_else(|| {
                Error::input("--source-name is required to write into a lake directory")
            })?;
            let source = CustomSource::new(name, target.source_version.clone())?;
            SourceLocation::new(
                securitylake_subscriber::LOCAL_BUCKET,
                LakeSource::Custom(source),
            )?
        }
    };
    let spool_dir = match &target.spool_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir()
            .join("seclake-spool")
            .join(location.prefix().replace('/', "_"))
            .join(class.name.replace('/', "_")),
    };
    let mut builder = WriterConfig::builder()
        .location(location)
        .region(region.to_owned())
        .account_id(target.account_id.clone())
        .store(store)
        .spool_dir(spool_dir)
        .durability(Durability::Interval(Duration::from_secs(1)));
    if let Some(bytes) = target.max_file_bytes {
        builder = builder.max_file_bytes(bytes);
    }
    // The mapper's declared projection of the class: a stable schema of the columns the source
    // can fill (values outside it would be counted as left out, never silently dropped).
    if !target.all_columns
        && let Some(projection) = events.projection(class.uid)
    {
        builder = builder
            .columnar_options(ColumnarOptions::default().with_projection(projection.paths()));
    }
    write_class(class.uid, events, builder.build()?).await
}

//! `publish` and `convert --lake` through securitylake-source's `LakeSink`: every class the
//! mapper emits (or the `--class` selection) to its own custom source, refused events to a
//! dead-letter file.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ocsf_model::columnar::{ColumnarOptions, EncodeStats};
use ocsf_model::v1_1_0::Event;
use securitylake_control::RegisteredSource;
use securitylake_core::aws::AwsConfig;
use securitylake_core::layout::SourceLocation;
use securitylake_core::object_store::ObjectStore;
use securitylake_source::Manifest;
use securitylake_source::sink::{
    ClassInfo, JsonLinesDeadLetters, LakeSink, SinkStats, Unrouted, source_name,
};
use securitylake_source::writer::{Durability, WriterConfig};

use crate::common::{assume, s3_store};
use crate::error::{Error, Result};
use crate::mapping::EventStream;
use crate::publish::{TargetArgs, spinner};
use crate::schema::find_class;

/// Events written between two updates of the progress bar.
const PROGRESS_EVERY: u64 = 1024;

/// The default dead-letter file, in the current directory (created on the first letter).
pub const DEFAULT_DEAD_LETTERS: &str = "seclake-dead-letters.jsonl";

/// Where one class goes: its source location and the store of its bucket.
pub struct Destination {
    /// The custom source's location.
    pub location: SourceLocation,
    /// The store rooted at the location's bucket.
    pub store: Arc<dyn ObjectStore>,
}

/// The destination of a registered custom source: its location, written as `role_arn`, or
/// as its provider role when `None`, assumed with `external_id` (shared by `publish` and
/// `run`).
pub async fn registered_destination(
    base: &AwsConfig,
    source: RegisteredSource,
    role_arn: Option<&str>,
    external_id: Option<&str>,
) -> Result<Destination> {
    let role = role_arn.unwrap_or(&source.provider_role_arn);
    let config = assume(base, role, external_id).await?;
    let store = s3_store(&config, source.location.bucket())?;
    Ok(Destination {
        location: source.location,
        store,
    })
}

/// The classes to publish: the `--class` selection (comma-separated names, captions or
/// uids), or every class the mapper emits.
pub fn selected_classes(target: &TargetArgs, events: &EventStream) -> Result<Vec<ClassInfo>> {
    let uids: Vec<i32> = match target.class.as_deref() {
        Some(list) => list
            .split(',')
            .filter(|c| !c.trim().is_empty())
            .map(|c| find_class(&ocsf_model::v1_1_0::SCHEMA, c.trim()).map(|c| c.uid))
            .collect::<Result<_>>()?,
        None => events.classes().to_vec(),
    };
    if uids.is_empty() {
        return Err(Error::input("--class names no class"));
    }
    let mut classes: Vec<ClassInfo> = uids
        .into_iter()
        .map(|uid| {
            ClassInfo::find::<Event>(uid)
                .ok_or_else(|| Error::input(format!("class_uid {uid} is not an OCSF 1.1.0 class")))
        })
        .collect::<Result<_>>()?;
    classes.sort_by_key(|c| c.class_uid);
    classes.dedup_by_key(|c| c.class_uid);
    Ok(classes)
}

/// The custom source name of each class: `--source-name` for a single class, else names
/// derived from `--source-prefix` (default: the mapper's name).
pub fn source_names(
    target: &TargetArgs,
    events: &EventStream,
    classes: &[ClassInfo],
) -> Result<BTreeMap<i32, String>> {
    if let Some(name) = &target.source_name {
        return match classes {
            [one] => Ok(BTreeMap::from([(one.class_uid, name.clone())])),
            _ => Err(Error::input(format!(
                "--source-name names one custom source, which holds one class; the mapper emits {} classes: pick one with --class, or name one source per class with --source-prefix",
                classes.len()
            ))),
        };
    }
    let prefix = target
        .source_prefix
        .clone()
        .unwrap_or_else(|| events.mapper_name().to_owned());
    classes
        .iter()
        .map(|class| Ok((class.class_uid, source_name(&prefix, class)?)))
        .collect()
}

/// What [`write_classes`] wrote.
pub struct Written {
    /// The objects written, over every class.
    pub manifest: Manifest,
    /// The sink's counters per class.
    pub stats: SinkStats,
    /// Each class's source location.
    pub locations: BTreeMap<i32, SourceLocation>,
    /// Values the Parquet schema could not carry as given, over every class.
    pub encoding: EncodeStats,
    /// The dead-letter file.
    pub dead_letters: PathBuf,
}

impl Written {
    /// Events of classes without a destination (skipped).
    pub fn skipped(&self) -> u64 {
        self.stats.unrouted()
    }

    /// The objects and rows of class `uid`.
    pub fn objects_of(&self, uid: i32) -> (usize, u64) {
        let Some(location) = self.locations.get(&uid) else {
            return (0, 0);
        };
        let prefix = location.prefix();
        self.manifest
            .iter()
            .filter(|o| o.key.starts_with(&prefix))
            .fold((0, 0), |(n, rows), o| (n + 1, rows + o.rows))
    }
}

/// The writer configuration of one class.
fn class_config(
    target: &TargetArgs,
    events: &EventStream,
    class: &ClassInfo,
    destination: Destination,
    region: &str,
    single: bool,
    durability: Durability,
) -> Result<WriterConfig> {
    let spool_dir = match &target.spool_dir {
        // One class: the directory itself (as before the router); several: one per source.
        Some(dir) if single => dir.clone(),
        Some(dir) => dir.join(destination.location.source().name()),
        None => std::env::temp_dir()
            .join("seclake-spool")
            .join(destination.location.prefix().replace('/', "_"))
            .join(class.name.replace('/', "_")),
    };
    let mut builder = WriterConfig::builder()
        .location(destination.location)
        .region(region.to_owned())
        .account_id(target.account_id.clone())
        .store(destination.store)
        .spool_dir(spool_dir)
        .durability(durability);
    if let Some(bytes) = target.max_file_bytes {
        builder = builder.max_file_bytes(bytes);
    }
    // The mapper's declared projection of the class: a stable schema of the columns the source
    // can fill (values outside it would be counted as left out, never silently dropped).
    if !target.all_columns
        && let Some(projection) = events.projection(class.class_uid)
    {
        builder = builder
            .columnar_options(ColumnarOptions::default().with_projection(projection.paths()));
    }
    Ok(builder.build()?)
}

/// When the writers make accepted events durable, for an input at `from` (a path, or `-`):
/// a regular file can be published again, so it is replayable ([`durability`]).
pub fn durability_for(from: &str) -> Durability {
    durability(from != "-" && std::fs::metadata(from).is_ok_and(|m| m.is_file()))
}

/// When the writers make accepted events durable, for `publish` and `run` alike.
///
/// A replayable input (a regular file; `run`'s inputs that replay from their checkpoint) has
/// its frames cut by the writes alone ([`Durability::OnFlush`]): the same input makes the same
/// objects, which the store then finds already there. Standard input, pipes and receivers
/// cannot be read again: their events are made durable within a second
/// ([`Durability::Interval`]).
pub fn durability(replayable: bool) -> Durability {
    if replayable {
        Durability::OnFlush
    } else {
        Durability::Interval(Duration::from_secs(1))
    }
}

/// Maps the input and writes each class to its destination through a `LakeSink`; events of
/// other classes are skipped and counted, events a writer refuses go to the dead-letter file.
pub async fn write_classes(
    events: &mut EventStream,
    target: &TargetArgs,
    classes: &[ClassInfo],
    mut destinations: BTreeMap<i32, Destination>,
    region: &str,
    durability: Durability,
) -> Result<Written> {
    let single = classes.len() == 1;
    let mut configs = BTreeMap::new();
    let mut locations = BTreeMap::new();
    for class in classes {
        let destination = destinations
            .remove(&class.class_uid)
            .ok_or_else(|| Error::input(format!("no destination for class {}", class.name)))?;
        locations.insert(class.class_uid, destination.location.clone());
        let config = class_config(
            target,
            events,
            class,
            destination,
            region,
            single,
            durability,
        )?;
        configs.insert(class.class_uid, config);
    }
    let dead_letters = target
        .dead_letters
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DEAD_LETTERS));
    let mut sink = LakeSink::<Event>::builder()
        .destinations(configs)
        .unrouted(Unrouted::Skip)
        .dead_letters(JsonLinesDeadLetters::lazy(&dead_letters))
        .build()?;
    let bar = spinner("written");
    // Each line's events are written by reference as soon as they are mapped (encoded while
    // they are in the core's cache), and the next line is mapped into them.
    let mut unreported = 0u64;
    while let Some(line) = events.next_events() {
        for event in line? {
            sink.write(event).await?;
            unreported += 1;
        }
        if unreported >= PROGRESS_EVERY {
            bar.inc(unreported);
            unreported = 0;
        }
    }
    bar.inc(unreported);
    let manifest = sink.flush().await?;
    let stats = sink.stats();
    sink.close().await?;
    bar.finish_and_clear();
    let mut encoding = EncodeStats::default();
    for class in stats.classes.values() {
        if let Some(writer) = &class.writer {
            encoding += writer.encoding;
        }
    }
    Ok(Written {
        manifest,
        stats,
        locations,
        encoding,
        dead_letters,
    })
}

//! One batch of an object: its own sink (spool and dead-letter file in a directory of its own),
//! a fresh mapper with the object's reference time, flushed once at its end. A batch's objects
//! depend only on its lines and that reference time, so a retry makes the same objects.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ocsf_mappers::lines::{LineFormat, LineMapping, Mapped};
use ocsf_model::columnar::ColumnarOptions;
use ocsf_model::v1_1_0::Event;
use securitylake_core::object_store::ObjectStore;
use securitylake_source::sink::{
    ClassInfo, DeadLetter, JsonLinesDeadLetters, LakeSink, PrefixDestinations, Unrouted,
    source_name,
};
use securitylake_source::writer::{MAX_FILE_BYTES, MAX_MAX_AGE, MIN_FILE_BYTES};
use securitylake_source::{Durability, Manifest, WriterConfig};

use super::lake::LakeStores;
use crate::config::TransformConfig;
use crate::error::{Error, ErrorKind, Result};

/// A batch being read.
pub(crate) struct Batch {
    sink: LakeSink<Event>,
    mapper: LineMapping,
    mapped: Mapped,
    dir: PathBuf,
    letters: PathBuf,
    lake: Arc<LakeStores>,
    prefix: String,
    stores: Arc<Mutex<HashMap<i32, Arc<dyn ObjectStore>>>>,
}

impl Batch {
    /// A batch spooled under `dir` (created by the writers as needed).
    pub(crate) fn open(
        config: &TransformConfig,
        lake: Arc<LakeStores>,
        format: LineFormat,
        reference_ms: i64,
        dir: PathBuf,
    ) -> Result<Self> {
        let source = format
            .default_config()
            .with_utc_offset_secs(config.utc_offset_secs)
            .with_reference_ms(reference_ms);
        let projections = LineMapping::new(format, source.clone());
        let mapper = LineMapping::new(format, source);
        // No roll by age (only by size, which depends on the events), and no fsync or frame
        // cut by the clock: the spool lives for one invocation, a crash is a retry of the whole
        // batch, which must make the same objects.
        let template = WriterConfig::builder()
            .region(config.region.clone())
            .account_id(config.account_id.clone())
            .max_age(MAX_MAX_AGE)
            .max_buffered_bytes(config.writer_buffer_bytes)
            .max_file_bytes(
                config
                    .writer_buffer_bytes
                    .clamp(MIN_FILE_BYTES, MAX_FILE_BYTES),
            )
            .durability(Durability::OnFlush);
        let spool = dir.join("spool");
        let mut names = PrefixDestinations::new(
            config.source_prefix.clone(),
            config.lake_bucket.clone(),
            &spool,
            template.clone(),
        );
        if let Some(version) = &config.source_version {
            names = names.source_version(version.clone());
        }
        // Each class's store is resolved (asynchronously) before its first event reaches the
        // sink, see `write`; the router's resolver only looks it up.
        let stores: Arc<Mutex<HashMap<i32, Arc<dyn ObjectStore>>>> = Arc::default();
        let resolved = stores.clone();
        let resolver = move |class: &ClassInfo| -> securitylake_source::Result<WriterConfig> {
            let store = resolved
                .lock()
                .ok()
                .and_then(|s| s.get(&class.class_uid).cloned())
                .ok_or_else(|| {
                    securitylake_source::Error::new(
                        securitylake_source::ErrorKind::Config,
                        format!("no store resolved for class {}", class.class_uid),
                    )
                })?;
            let mut builder = template
                .clone()
                .store(store)
                .location(names.location(class)?)
                .spool_dir(spool.join(names.source_name(class)?));
            if let Some(projection) = projections.projection(class.class_uid) {
                builder = builder.columnar_options(
                    ColumnarOptions::default().with_projection(projection.paths()),
                );
            }
            builder.build()
        };
        let letters = dir.join("dead-letters.jsonl");
        let sink = LakeSink::<Event>::builder()
            .unrouted(Unrouted::catch_all(resolver))
            .dead_letters(JsonLinesDeadLetters::lazy(&letters))
            .build()?;
        Ok(Self {
            sink,
            mapper,
            mapped: Mapped::default(),
            dir,
            letters,
            lake,
            prefix: config.source_prefix.clone(),
            stores,
        })
    }

    /// Maps one line and hands its events to the sink at once, while they are in this core's
    /// cache (docs/adr/0308).
    pub(crate) async fn line(&mut self, line: &str) -> Result<()> {
        self.mapper.map_line(line, &mut self.mapped);
        self.write().await
    }

    async fn write(&mut self) -> Result<()> {
        for rejected in std::mem::take(&mut self.mapped.rejected) {
            let reason = format!("invalid OCSF JSON: {}", rejected.reasons.join("; "));
            self.sink
                .dead_letter(DeadLetter::invalid(rejected.raw, reason))
                .await?;
        }
        if !self.mapped.events.is_empty() {
            self.resolve_stores().await?;
            // By reference: each event is encoded as it is written, then recycled for the
            // next lines to be rendered into.
            for event in &self.mapped.events {
                self.sink.write(event).await?;
            }
            self.mapped.recycle();
        }
        Ok(())
    }

    /// Resolves the store of every class of the waiting events that has none yet.
    async fn resolve_stores(&mut self) -> Result<()> {
        let mut missing: Vec<i32> = Vec::new();
        {
            let known = self
                .stores
                .lock()
                .map_err(|_| Error::new(ErrorKind::Io, "store map poisoned"))?;
            for event in &self.mapped.events {
                let uid = event.class_uid();
                if !known.contains_key(&uid) && !missing.contains(&uid) {
                    missing.push(uid);
                }
            }
        }
        for uid in missing {
            // A class the version does not know is the router's to report (unrouted).
            let Some(class) = ClassInfo::find::<Event>(uid) else {
                continue;
            };
            let name = source_name(&self.prefix, &class)?;
            let store = self.lake.store(&name).await?;
            self.stores
                .lock()
                .map_err(|_| Error::new(ErrorKind::Io, "store map poisoned"))?
                .insert(uid, store);
        }
        Ok(())
    }

    /// Ends the batch: what the mapper holds is written, every writer sealed and uploaded.
    /// Returns the manifest, the events per class, the dead letters and the dead-letter file
    /// (when there are some).
    pub(crate) async fn finish(mut self) -> Result<Finished> {
        let mut rest = Mapped::default();
        self.mapper.finish(&mut rest);
        self.mapped.events.append(&mut rest.events);
        self.mapped.rejected.append(&mut rest.rejected);
        self.write().await?;
        let stats = self.sink.stats();
        let manifest = self.sink.close().await?;
        let events = stats
            .classes
            .iter()
            .filter(|(_, c)| c.accepted > 0)
            .map(|(uid, c)| (*uid, c.accepted))
            .collect();
        // Refused events and rejected OCSF JSON alike.
        let dead_letters = stats.dead_lettered();
        let letters = tokio::fs::try_exists(&self.letters)
            .await
            .unwrap_or(false)
            .then_some(self.letters);
        Ok(Finished {
            manifest,
            events,
            dead_letters,
            letters,
            dir: self.dir,
        })
    }

    /// Abandons the batch: nothing more of it is uploaded, its directory is removed.
    pub(crate) async fn abandon(self) {
        let dir = self.dir.clone();
        drop(self);
        remove_dir(&dir).await;
    }
}

/// A batch's result.
pub(crate) struct Finished {
    pub(crate) manifest: Manifest,
    pub(crate) events: Vec<(i32, u64)>,
    pub(crate) dead_letters: u64,
    pub(crate) letters: Option<PathBuf>,
    pub(crate) dir: PathBuf,
}

/// Removes a directory tree, logging a failure (it is under the invocation's directory,
/// which is removed again at the next invocation).
pub(crate) async fn remove_dir(dir: &Path) {
    if let Err(e) = tokio::fs::remove_dir_all(dir).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot remove a spool directory");
    }
}

/// An I/O error on a local path.
pub(crate) fn io_error(what: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{what}: {e}")).with_source(e)
}

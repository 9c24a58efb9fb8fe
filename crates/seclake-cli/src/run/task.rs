//! One input of `seclake run` as its own task: read lines, map them, write the events
//! through the input's own `LakeSink`, and every `batch_lines` lines or `flush_interval`
//! flush and then commit (see ADR 0303 for the replay that makes a killed run's flush a
//! no-op when it is made again).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ocsf_mappers::MapperStats;
use ocsf_model::v1_1_0::Event;
use securitylake_source::input::relp::{
    Admission, MessageDigest, RelpAck, RelpMessage, RetransmitFilter, digests_hex, parse_digests,
};
use securitylake_source::sink::{
    DeadLetter, JsonLinesDeadLetters, LakeSink, PrefixDestinations, Unrouted,
};
use securitylake_source::writer::{Durability, WriterConfig};
use tokio::sync::watch;
use tokio::time::Instant;

use super::config::{InputConfig, Kind, Lake};
use super::lines::{Item, Lines, open};
use super::mapper::{LineMapping, Mapped, MapperSpec, map_journal_entry};
use super::progress::Counters;
use super::routes::Routes;
use super::state::{Checkpoint, Pending, RelpBatch, RelpState, StateFile, now_ms};
use crate::error::{Error, Result};

/// Lines between two updates of the shared counters (and at every flush).
const UPDATE_EVERY: u64 = 1024;
/// A writer's segments roll only at the run's flushes: their age limit is Security Lake's
/// longest (a day), far above any flush interval.
const MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// A RELP input's batch: the acknowledgements it owes, the messages it wrote and the
/// retransmission filter (ADR 0304).
struct Relp {
    filter: RetransmitFilter,
    acks: Vec<RelpAck>,
    texts: Vec<String>,
    /// `relp-pending.json`: the batch being flushed.
    pending_path: PathBuf,
}

/// The lines read since the last commit.
#[derive(Default)]
struct Segment {
    lines: u64,
    last: Option<Checkpoint>,
    started: Option<Instant>,
}

/// One input's running state.
struct Task {
    config: InputConfig,
    lake: Lake,
    state: Option<StateFile>,
    sink: LakeSink<Event>,
    /// The sink's dead-letter file (its length is committed with the position).
    letters_path: PathBuf,
    spec: MapperSpec,
    mapper: LineMapping,
    mapped: Mapped,
    mapper_totals: MapperStats,
    rejected: u64,
    segment: Segment,
    counters: Arc<Mutex<Counters>>,
    relp: Option<Relp>,
}

/// Runs the input `config` until its end or until `shutdown` turns true, then drains,
/// flushes and commits.
pub async fn run_input(
    config: InputConfig,
    lake: Lake,
    routes: Routes,
    mut shutdown: watch::Receiver<bool>,
    counters: Arc<Mutex<Counters>>,
) -> Result<()> {
    let dir = lake.state_dir.join("inputs").join(&config.name);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let replayable = matches!(
        config.kind,
        Kind::File | Kind::Follow | Kind::OcsfJson | Kind::Relp | Kind::Journald | Kind::Objects
    );
    let spool = dir.join("spool");
    let letters_path = dir.join("dead-letters.jsonl");
    let mut state = None;
    if replayable {
        let file = StateFile::open(&dir).await?;
        // What the spool and the dead letters hold past the commit belongs to lines that are
        // read again: dropped here, made again by the replay.
        remove_dir(&spool).await?;
        truncate(&letters_path, file.state.dead_letter_bytes).await?;
        state = Some(file);
    }
    let spec = MapperSpec::new(config.family, &config.map)?;
    tracing::info!(input = %config.name, mapper = spec.name(), prefix = %config.source_prefix, "starting");
    let reference = state.as_ref().map_or_else(now_ms, |s| s.state.reference_ms);
    // A replayed input's spool is dropped on start: its files need no fsync or cut by the
    // clock, and must depend on the lines only, so that a replay makes the same objects.
    let durability = crate::route::durability(replayable);
    let sink = build_sink(
        &config,
        &lake,
        routes,
        &spool,
        &letters_path,
        spec.clone(),
        durability,
    )?;
    let relp = match (&config.relp, &state) {
        (Some(listen), Some(file)) => {
            let mut filter = RetransmitFilter::new(listen.dedupe_window);
            if let Some(relp) = &file.state.relp {
                filter.restore(&relp.window)?;
            }
            Some(Relp {
                filter,
                acks: Vec::new(),
                texts: Vec::new(),
                pending_path: dir.join("relp-pending.json"),
            })
        }
        _ => None,
    };
    let committed = state.as_ref().and_then(|s| s.state.committed.clone());
    let mut replay = state.as_ref().and_then(|s| s.state.pending.clone());
    if let Some(pending) = &replay {
        eprintln!(
            "seclake run: input {:?}: replaying the flush the last run did not commit ({} lines)",
            config.name, pending.lines
        );
        lock(&counters).replays += 1;
    }
    let mut task = Task {
        mapper: spec.build(reference),
        spec,
        letters_path,
        state,
        sink,
        mapped: Mapped::default(),
        mapper_totals: MapperStats::default(),
        rejected: 0,
        segment: Segment::default(),
        counters,
        config,
        lake,
        relp,
    };
    task.replay_relp().await?;
    let mut lines = open(&task.config, &task.lake, committed).await?;
    let mut line = String::new();
    let mut entry = Vec::new();
    let mut ended = None;
    let mut stop = *shutdown.borrow();
    loop {
        if let Some(pending) = &replay
            && task.segment.lines >= pending.lines
        {
            let same =
                (task.segment.last.as_ref()).is_some_and(|p| p.same_place(&pending.position));
            if !same {
                tracing::warn!(input = %task.config.name, "the replayed lines end elsewhere than the pending flush: its objects may be written twice");
                lock(&task.counters).replay_mismatches += 1;
            }
            task.flush_commit(true).await?;
            replay = None;
        }
        if stop {
            break;
        }
        let deadline = task.segment.started.map(|t| t + task.lake.flush_interval);
        let timed = deadline.is_some() && replay.is_none();
        let deadline = deadline.unwrap_or_else(Instant::now);
        tokio::select! {
            biased;
            _ = shutdown.changed(), if !stop => stop = true,
            () = tokio::time::sleep_until(deadline), if timed => task.flush_commit(false).await?,
            next = lines.next(&mut line, &mut entry) => match next {
                Ok(Some(item)) => {
                    match item {
                        Item::Line(position) => task.take_line(&line, position).await?,
                        Item::Entry(cursor) => task.take_entry(&mut entry, cursor).await?,
                        Item::Relp(message) => task.take_relp(message).await?,
                    }
                    if replay.is_none() && task.segment.lines >= task.lake.batch_lines {
                        task.flush_commit(false).await?;
                    }
                }
                Ok(None) => break,
                // A JSON file that cannot be framed further, journalctl failing, an object
                // that cannot be read: what came before it is flushed and committed, then
                // the input stops with the error.
                Err(e) if matches!(lines, Lines::Json(_) | Lines::Journal(_) | Lines::Objects(_)) => {
                    ended = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            },
        }
    }
    if replay.is_some() {
        if stop {
            // A replay cut short would make other objects: nothing of it is flushed (the
            // sink is dropped, its spool discarded on the next start, which replays again).
            eprintln!(
                "seclake run: input {:?}: stopped during the replay of an uncommitted flush; the next start replays it",
                task.config.name
            );
            return Ok(());
        }
        // The file ended before the recorded boundary: it changed while the run was down.
        lock(&task.counters).replay_mismatches += 1;
    }
    // Stopping: what the receiver has queued is read too.
    if let Lines::Syslog(receiver) = &mut lines {
        receiver.close();
        while let Some(message) = receiver.try_recv() {
            task.take_line(&message.text, None).await?;
        }
    }
    if let Lines::Relp(receiver) = &mut lines {
        receiver.close();
        while let Some(message) = receiver.try_recv() {
            task.take_relp(message).await?;
        }
    }
    task.flush_commit(false).await?;
    task.update();
    task.sink.close().await?;
    ended.map_or(Ok(()), Err)
}

impl Task {
    /// Takes one RELP message: written when new, only acknowledged (with the batch) when it
    /// is a retransmission of a committed one.
    async fn take_relp(&mut self, message: RelpMessage) -> Result<()> {
        let Some(relp) = &mut self.relp else {
            return Ok(());
        };
        let digest = MessageDigest::of(message.peer.ip(), message.text.as_bytes());
        let admission = relp.filter.admit(&message.ack, digest);
        relp.acks.push(message.ack);
        match admission {
            Admission::New => {
                self.take_line(&message.text, None).await?;
                if let Some(relp) = &mut self.relp {
                    relp.texts.push(message.text);
                }
            }
            Admission::Retransmitted => {
                self.segment.lines += 1;
                self.segment.started.get_or_insert_with(Instant::now);
                lock(&self.counters).retransmitted += 1;
            }
        }
        Ok(())
    }

    /// A RELP input killed during a flush: its batch, recorded before the flush, is mapped
    /// and flushed again (the same objects), then committed.
    async fn replay_relp(&mut self) -> Result<()> {
        let pending = self
            .state
            .as_ref()
            .and_then(|f| f.state.relp.as_ref())
            .is_some_and(|r| r.pending);
        let Some(relp) = &mut self.relp else {
            return Ok(());
        };
        if !pending {
            return Ok(());
        }
        let path = relp.pending_path.clone();
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        let batch: RelpBatch = serde_json::from_slice(&bytes)
            .map_err(|e| Error::input(format!("{} is not a RELP batch: {e}", path.display())))?;
        for digest in parse_digests(&batch.digests)? {
            relp.filter.add(digest);
        }
        eprintln!(
            "seclake run: input {:?}: replaying the flush the last run did not commit ({} RELP messages)",
            self.config.name,
            batch.texts.len()
        );
        lock(&self.counters).replays += 1;
        for text in &batch.texts {
            self.take_line(text, None).await?;
        }
        // A batch of retransmissions only still commits its digests.
        self.segment.lines = self.segment.lines.max(1);
        self.flush_commit(true).await
    }

    /// Maps one line; writes a batch when one is full.
    async fn take_line(&mut self, line: &str, position: Option<Checkpoint>) -> Result<()> {
        self.mapper.map_line(line, &mut self.mapped);
        self.taken(position).await
    }

    /// Maps one journal entry (its export bytes); writes a batch when one is full.
    async fn take_entry(&mut self, entry: &mut Vec<u8>, cursor: Checkpoint) -> Result<()> {
        map_journal_entry(&mut self.mapper, entry, &mut self.mapped);
        self.taken(Some(cursor)).await
    }

    /// Counts a line or entry just mapped, ending at `position`.
    async fn taken(&mut self, position: Option<Checkpoint>) -> Result<()> {
        self.segment.lines += 1;
        if position.is_some() {
            self.segment.last = position;
        }
        self.segment.started.get_or_insert_with(Instant::now);
        lock(&self.counters).lines += 1;
        self.write().await?;
        if self.segment.lines.is_multiple_of(UPDATE_EVERY) {
            self.update();
        }
        Ok(())
    }

    /// Hands the events just mapped to the sink one by one, while they are in this core's
    /// cache (1.8x faster than batches of 1,024 events: docs/adr/0308), then recycles them
    /// for the next line to be rendered into; the rejected ones go to its dead letters.
    async fn write(&mut self) -> Result<()> {
        for rejected in std::mem::take(&mut self.mapped.rejected) {
            let reason = format!("invalid OCSF JSON: {}", rejected.reasons.join("; "));
            self.sink
                .dead_letter(DeadLetter::invalid(rejected.raw, reason))
                .await?;
            self.rejected += 1;
        }
        for event in &self.mapped.events {
            self.sink.write(event).await?;
        }
        self.mapped.recycle();
        Ok(())
    }

    /// Flushes the segment and then commits it; `replayed`: its boundary is the pending one
    /// already recorded.
    async fn flush_commit(&mut self, replayed: bool) -> Result<()> {
        if self.segment.lines == 0 {
            return Ok(());
        }
        let mut rest = Mapped::default();
        self.mapper.finish(&mut rest);
        self.mapped.events.append(&mut rest.events);
        self.write().await?;
        self.update();
        let last = self.segment.last.clone();
        if let (Some(file), Some(position), false) = (&mut self.state, last.clone(), replayed) {
            file.state.pending = Some(Pending {
                position,
                lines: self.segment.lines,
            });
            file.save().await?;
        }
        if let (Some(file), Some(relp), false) = (&mut self.state, &mut self.relp, replayed) {
            // The batch first, then the mark that it is pending (ADR 0304).
            let batch = RelpBatch {
                texts: std::mem::take(&mut relp.texts),
                digests: digests_hex(relp.filter.batch().iter()),
            };
            let bytes = serde_json::to_vec(&batch)
                .map_err(|e| Error::input(format!("encoding the RELP batch: {e}")))?;
            write_atomic(relp.pending_path.clone(), bytes).await?;
            file.state.relp = Some(RelpState {
                window: relp.filter.committed_hex(),
                pending: true,
            });
            file.save().await?;
        }
        // Flushes the dead letters too.
        self.sink.flush().await?;
        let reference = now_ms();
        if let Some(file) = &mut self.state {
            let letters = match tokio::fs::metadata(&self.letters_path).await {
                Ok(meta) => meta.len(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
                Err(e) => {
                    return Err(Error::io(
                        format!("reading {}", self.letters_path.display()),
                        e,
                    ));
                }
            };
            if let Some(relp) = &mut self.relp {
                relp.filter.commit();
                relp.texts.clear();
                file.state.relp = Some(RelpState {
                    window: relp.filter.committed_hex(),
                    pending: false,
                });
            }
            if let Some(last) = last {
                file.state.committed = Some(last);
            }
            file.state.pending = None;
            file.state.reference_ms = reference;
            file.state.dead_letter_bytes = letters;
            file.save().await?;
        }
        // Durable: the acknowledgements go out (ADR 0304).
        if let Some(relp) = &mut self.relp {
            for ack in relp.acks.drain(..) {
                ack.acknowledge();
            }
        }
        // A fresh mapper per segment: a replay from the commit maps its lines as the first
        // run did (no state carried over from lines before the commit).
        if let Some(stats) = self.mapper.stats() {
            self.mapper_totals.merge(stats);
        }
        self.mapper = self.spec.build(reference);
        self.segment = Segment::default();
        lock(&self.counters).flushes += 1;
        self.update();
        Ok(())
    }

    /// Publishes the counters.
    fn update(&self) {
        let stats = self.sink.stats();
        let mut mapper = self.mapper_totals.clone();
        if let Some(current) = self.mapper.stats() {
            mapper.merge(current);
        }
        let mut counters = lock(&self.counters);
        counters.fallbacks = mapper.fallback_total();
        counters.rejected = self.rejected;
        counters.dead_letters = stats.dead_lettered();
        counters.classes = stats
            .classes
            .iter()
            .filter(|(_, class)| class.accepted > 0)
            .map(|(uid, class)| (*uid, class.accepted))
            .collect();
    }
}

/// The counters, even if a task panicked while holding them.
pub fn lock(counters: &Mutex<Counters>) -> std::sync::MutexGuard<'_, Counters> {
    counters
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The input's own sink: every class to its own custom source (named in the configuration,
/// from the prefix, or registered), each with the mapper's projection, spooled under
/// `spool` with `durability`; refused events dead-lettered to `letters`.
fn build_sink(
    config: &InputConfig,
    lake: &Lake,
    routes: Routes,
    spool: &Path,
    letters: &Path,
    spec: MapperSpec,
    durability: Durability,
) -> Result<LakeSink<Event>> {
    let template = WriterConfig::builder()
        .region(lake.region.clone())
        .account_id(lake.account.clone())
        .max_age(MAX_AGE)
        .durability(durability);
    let mut configs = BTreeMap::new();
    for (uid, destination) in routes.explicit {
        let dir = spool.join(destination.location.source().name());
        let mut class = template
            .clone()
            .location(destination.location)
            .store(destination.store)
            .spool_dir(dir);
        if let Some(options) = spec.columnar_options(uid) {
            class = class.columnar_options(options);
        }
        configs.insert(uid, class.build()?);
    }
    let unrouted = match routes.others {
        Some((bucket, store)) => {
            let prefix = config.source_prefix.clone();
            let mut destinations =
                PrefixDestinations::new(prefix, bucket, spool, template.store(store))
                    .columnar_options(move |class| spec.columnar_options(class.class_uid));
            if let Some(version) = &lake.source_version {
                destinations = destinations.source_version(version.clone());
            }
            Unrouted::catch_all(destinations)
        }
        // Registered: classes without a registered source are kept in the dead letters.
        None => Unrouted::DeadLetter,
    };
    let builder = LakeSink::<Event>::builder()
        .destinations(configs)
        .unrouted(unrouted)
        .dead_letters(JsonLinesDeadLetters::lazy(letters));
    Ok(builder.build()?)
}

/// Writes `bytes` to `path` atomically and durably (on the blocking pool).
async fn write_atomic(path: PathBuf, bytes: Vec<u8>) -> Result<()> {
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || securitylake_core::fs::write_atomic(&path, &bytes))
        .await
        .map_err(std::io::Error::other)
        .and_then(|written| written)
        .map_err(|e| Error::io(format!("writing {shown}"), e))
}

/// Removes a directory and what it holds (absent is fine).
async fn remove_dir(dir: &Path) -> Result<()> {
    match tokio::fs::remove_dir_all(dir).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io(format!("removing {}", dir.display()), e))
        }
        _ => Ok(()),
    }
}

/// Cuts the file at `path` to `len` bytes when it is longer (absent is fine).
async fn truncate(path: &Path, len: u64) -> Result<()> {
    let file = match tokio::fs::OpenOptions::new().write(true).open(path).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(format!("opening {}", path.display()), e)),
    };
    let io = |e| Error::io(format!("truncating {}", path.display()), e);
    if file.metadata().await.map_err(io)?.len() > len {
        file.set_len(len).await.map_err(io)?;
        file.sync_all().await.map_err(io)?;
    }
    Ok(())
}

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
use securitylake_source::input::journald::JournaldInput;
use securitylake_source::input::objects::{ObjectLinesInput, ObjectPosition};
use securitylake_source::input::relp::{
    Admission, MessageDigest, RelpAck, RelpMessage, RelpReceiver, RetransmitFilter, digests_hex,
    parse_digests,
};
use securitylake_source::input::syslog::SyslogReceiver;
use securitylake_source::input::{FileInput, FollowInput, Input, LineInput, Position, StdinInput};
use securitylake_source::sink::{
    DeadLetter, JsonLinesDeadLetters, LakeSink, PrefixDestinations, Unrouted,
};
use securitylake_source::writer::{Durability, WriterConfig};
use tokio::sync::watch;
use tokio::time::Instant;

use super::config::{InputConfig, Kind, Lake, Objects};
use super::json_file::{self, JsonFile};
use super::mapper::{LineMapping, Mapped, MapperSpec, map_journal_entry};
use super::progress::Counters;
use super::routes::Routes;
use super::state::{Checkpoint, Pending, RelpBatch, RelpState, StateFile, now_ms};
use super::target::Target;
use crate::common::AwsArgs;
use crate::error::{Error, Result};

/// Events handed to the sink per `write_batch` call.
const BATCH: usize = 1024;
/// How often a followed file is looked at at its end.
const FOLLOW_POLL: Duration = Duration::from_millis(100);
/// A writer's segments roll only at the run's flushes: their age limit is Security Lake's
/// longest (a day), far above any flush interval.
const MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// Where an input's lines come from.
enum Lines {
    /// A file, a followed file or stdin: lines with positions.
    Line(Box<Input>),
    /// A syslog receiver: messages without positions.
    Syslog(Box<SyslogReceiver>),
    /// A file of OCSF JSON arrays: elements with positions.
    Json(Box<JsonFile>),
    /// A RELP receiver: messages to acknowledge once durable.
    Relp(Box<RelpReceiver>),
    /// The journal: entries with their cursors.
    Journal(Box<JournaldInput>),
    /// Objects under a prefix: lines with their object positions.
    Objects(Box<ObjectLinesInput>),
}

/// What [`Lines::next`] read.
enum Item {
    /// A line (in the caller's line buffer) and its place, if it has one.
    Line(Option<Checkpoint>),
    /// A journal entry (in the caller's entry buffer) and its cursor.
    Entry(Checkpoint),
    /// A RELP message.
    Relp(RelpMessage),
}

impl Lines {
    /// The next line, entry or message: `Ok(None)` at the end.
    async fn next(&mut self, line: &mut String, entry: &mut Vec<u8>) -> Result<Option<Item>> {
        let placed = |p: Option<Position>| p.map(|p| Item::Line(Some(Checkpoint::Line(p))));
        match self {
            Lines::Line(input) => Ok(placed(input.next_line(line).await?)),
            Lines::Syslog(receiver) => Ok(receiver.recv().await.map(|message| {
                line.clear();
                line.push_str(&message.text);
                Item::Line(None)
            })),
            Lines::Json(file) => Ok(placed(file.next(line).await?)),
            Lines::Relp(receiver) => Ok(receiver.recv().await.map(Item::Relp)),
            Lines::Journal(journal) => Ok(journal
                .next_entry(entry)
                .await?
                .map(|cursor| Item::Entry(Checkpoint::Journal { cursor }))),
            Lines::Objects(objects) => Ok(objects
                .next_line(line)
                .await?
                .map(|p| Item::Line(Some(Checkpoint::Object(p))))),
        }
    }
}

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
    let sink = build_sink(&config, &lake, routes, &spool, &letters_path, spec.clone())?;
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
        if self.mapped.events.len() >= BATCH {
            self.write().await?;
        }
        Ok(())
    }

    /// Hands the mapped events to the sink, and the rejected ones to its dead letters.
    async fn write(&mut self) -> Result<()> {
        for rejected in std::mem::take(&mut self.mapped.rejected) {
            let reason = format!("invalid OCSF JSON: {}", rejected.reasons.join("; "));
            self.sink
                .dead_letter(DeadLetter::invalid(rejected.raw, reason))
                .await?;
            self.rejected += 1;
        }
        if !self.mapped.events.is_empty() {
            let events = std::mem::take(&mut self.mapped.events);
            self.sink.write_batch(events).await?;
        }
        self.update();
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
/// `spool`; refused events dead-lettered to `letters`.
fn build_sink(
    config: &InputConfig,
    lake: &Lake,
    routes: Routes,
    spool: &Path,
    letters: &Path,
    spec: MapperSpec,
) -> Result<LakeSink<Event>> {
    let template = WriterConfig::builder()
        .region(lake.region.clone())
        .account_id(lake.account.clone())
        .max_age(MAX_AGE)
        .durability(Durability::Interval(Duration::from_secs(1)));
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

/// Opens the input, resumed after `committed` where it can be.
async fn open(config: &InputConfig, lake: &Lake, committed: Option<Checkpoint>) -> Result<Lines> {
    let path = || {
        config
            .path
            .clone()
            .ok_or_else(|| Error::input(format!("input {:?} has no path", config.name)))
    };
    // A checkpoint of another kind of input: the input was given another kind under the
    // same name.
    let mismatch = |checkpoint: &Checkpoint| {
        Error::input(format!(
            "input {:?}: its state holds {} but it is {} input: move {} away to start it over",
            config.name,
            checkpoint.what(),
            config.kind.a(),
            lake.state_dir.join("inputs").join(&config.name).display()
        ))
    };
    let mut cursor = None;
    let mut object = None;
    let mut position = None;
    match committed {
        None => {}
        Some(Checkpoint::Journal { cursor: c }) if config.kind == Kind::Journald => {
            cursor = Some(c);
        }
        Some(Checkpoint::Object(p)) if config.kind == Kind::Objects => object = Some(p),
        Some(Checkpoint::Line(p)) if !matches!(config.kind, Kind::Journald | Kind::Objects) => {
            position = Some(p);
        }
        Some(other) => return Err(mismatch(&other)),
    }
    let committed = position;
    Ok(match config.kind {
        Kind::OcsfJson if json_file::holds_arrays(&path()?).await? => {
            Lines::Json(Box::new(JsonFile::open(&path()?, committed).await?))
        }
        Kind::File | Kind::OcsfJson => Lines::Line(Box::new(Input::File(
            FileInput::open_at(path()?, committed).await?,
        ))),
        Kind::Follow => Lines::Line(Box::new(Input::Follow(
            FollowInput::new(path()?)
                .poll_interval(FOLLOW_POLL)
                .resume_from(committed),
        ))),
        Kind::Stdin => Lines::Line(Box::new(Input::Stdin(StdinInput::stdin()))),
        Kind::Syslog => {
            let listen = config.listen.ok_or_else(|| {
                Error::input(format!("input {:?} has no listen address", config.name))
            })?;
            let mut builder = SyslogReceiver::builder();
            if listen.udp {
                builder = builder.udp(listen.addr);
            }
            if listen.tcp {
                builder = builder.tcp(listen.addr);
            }
            let receiver = builder.bind().await.map_err(|e| {
                Error::input(format!(
                    "input {:?}: field `listen`: cannot listen on {}: {e}",
                    config.name, listen.addr
                ))
            })?;
            Lines::Syslog(Box::new(receiver))
        }
        Kind::Relp => {
            let listen = config.relp.as_ref().ok_or_else(|| {
                Error::input(format!("input {:?} has no listen address", config.name))
            })?;
            let mut builder = RelpReceiver::builder().max_message_bytes(listen.max_message_bytes);
            builder = match &listen.tls {
                None => builder.tcp(listen.addr),
                Some((cert, key)) => builder.tls(listen.addr, cert, key),
            };
            let receiver = builder.bind().await.map_err(|e| {
                Error::input(format!(
                    "input {:?}: field `listen`: cannot listen on {}: {e}",
                    config.name, listen.addr
                ))
            })?;
            Lines::Relp(Box::new(receiver))
        }
        Kind::Journald => {
            let journal = config.journal.as_ref().ok_or_else(|| {
                Error::input(format!("input {:?} has no journalctl", config.name))
            })?;
            let mut builder = JournaldInput::builder()
                .command(&journal.command)
                .after_cursor(cursor);
            for arg in &journal.args {
                builder = builder.arg(arg);
            }
            Lines::Journal(Box::new(builder.spawn()?))
        }
        Kind::Objects => Lines::Objects(Box::new(open_objects(config, lake, object).await?)),
    })
}

/// The objects of an objects input, resumed after `committed`. An S3 source is reached as
/// the lake's S3 target is (its region, endpoint and profile; the SDK's chains otherwise),
/// without the lake's writer role.
async fn open_objects(
    config: &InputConfig,
    lake: &Lake,
    committed: Option<ObjectPosition>,
) -> Result<ObjectLinesInput> {
    use securitylake_core::object_store::path::Path as Key;
    let objects = config
        .objects
        .as_ref()
        .ok_or_else(|| Error::input(format!("input {:?} has no objects", config.name)))?;
    let (store, prefix) = match objects {
        Objects::Dir(dir) => (crate::common::local_store(dir)?, None),
        Objects::S3 { bucket, prefix } => {
            let aws = match &lake.target {
                Target::S3(s3) => s3.aws.clone(),
                Target::Local(_) => AwsArgs {
                    region: Some(lake.region.clone()),
                    endpoint_url: None,
                    profile: None,
                },
            };
            let store = crate::common::s3_store(&aws.load().await?, bucket)?;
            let prefix = prefix.trim_matches('/');
            (store, (!prefix.is_empty()).then(|| Key::from(prefix)))
        }
    };
    Ok(ObjectLinesInput::new(store, prefix).resume_from(committed))
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

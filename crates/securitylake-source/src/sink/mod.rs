//! The router: a [`LakeSink`] takes events of every class of one OCSF
//! version and writes each class to its own custom source.
//!
//! Security Lake wants one OCSF class per custom source and per object; a
//! log source (a Linux host, a security product) emits several classes. A
//! `LakeSink<Ev>` takes events of the version's `Event` enum `Ev` (such as
//! [`ocsf_model::v1_1_0::Event`]) and:
//!
//! * **routes** each class to its destination: a [`Writer<E>`](crate::Writer)
//!   of the class's own [`WriterConfig`] (custom source location, spool
//!   directory, column projection), opened on the class's first event. The
//!   destinations are an explicit map ([`LakeSinkBuilder::destination`]),
//!   and the [`Unrouted`] policy says what happens to a class without one:
//!   fail, skip (counted), dead-letter, or ask a catch-all
//!   [`DestinationResolver`] (such as [`PrefixDestinations`], which names
//!   one source per class from a prefix within Security Lake's 20
//!   characters: [`source_name`]);
//! * **dead-letters** an event its writer refuses as invalid input (time
//!   before 1970 or more than `max_future_skew` ahead, too large for a file)
//!   into a [`DeadLetterSink`] with the reason, counts it, and goes on with
//!   the rest of the stream; [`write_batch`](LakeSink::write_batch) never
//!   rejects a whole batch for one such event. Every other error (an I/O
//!   error of the spool, a failed upload) is returned: nothing is dropped
//!   silently;
//! * **reports** one [`Manifest`] over every writer from
//!   [`flush`](LakeSink::flush) / [`close`](LakeSink::close), and counters
//!   per class ([`LakeSink::stats`]).
//!
//! ```
//! use ocsf_model::v1_1_0::Event;
//! use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SshActivity, SshActivityActivityId};
//! use ocsf_model::v1_1_0::objects::{Metadata, NetworkEndpoint, Product, User};
//! use ocsf_model::v1_1_0::enums::SeverityId;
//! use securitylake_core::store::local_store;
//! use securitylake_source::WriterConfig;
//! use securitylake_source::sink::{JsonLinesDeadLetters, LakeSink, PrefixDestinations, Unrouted, read_dead_letters};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let template = WriterConfig::builder()
//!     .region("us-east-1")
//!     .account_id("external")
//!     .store(local_store(dir.path().join("lake"))?);
//! let destinations = PrefixDestinations::new("bastion", "local", dir.path().join("spool"), template);
//! let mut sink = LakeSink::<Event>::builder()
//!     // An explicit destination for Authentication, a catch-all for the rest.
//!     .destinations(destinations.configs::<Event>(&[3002])?)
//!     .unrouted(Unrouted::catch_all(destinations))
//!     .dead_letters(JsonLinesDeadLetters::open(dir.path().join("dead-letters.jsonl"))?)
//!     .build()?;
//!
//! let metadata = || Metadata::new(Product::default(), "1.1.0".into());
//! let logon = |time| Authentication::new(
//!     AuthenticationActivityId::Logon, metadata(), SeverityId::Low, time, User::default());
//! let ssh = SshActivity::new(SshActivityActivityId::Open, NetworkEndpoint::default(), metadata(),
//!     SeverityId::Low, NetworkEndpoint::default(), 1_717_977_600_000);
//! let events: Vec<Event> = vec![
//!     logon(1_717_977_600_000).into(),
//!     ssh.into(),
//!     logon(i64::MAX / 2).into(), // far in the future: dead-lettered
//! ];
//! sink.write_batch(&events).await?; // by reference: `events` stays the caller's
//!
//! let stats = sink.stats();
//! assert_eq!((stats.accepted(), stats.dead_lettered()), (2, 1));
//! let manifest = sink.close().await?;
//! assert_eq!(manifest.len(), 2); // one object per class
//! assert!(manifest.objects[0].key.starts_with("ext/bastion-authent-3002/"));
//! assert!(manifest.objects[1].key.starts_with("ext/bastion-ssh-act-4007/"));
//! let letters = read_dead_letters(&dir.path().join("dead-letters.jsonl"))?;
//! assert!(letters[0].reason.contains("ahead of the writer's clock"));
//! # Ok(())
//! # }
//! ```

mod builder;
mod dead_letter;
mod names;
mod registry;
mod stats;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use ocsf_model::OcsfEventEnum;

pub use self::builder::{DestinationResolver, LakeSinkBuilder, Unrouted};
pub use self::dead_letter::{
    DeadLetter, DeadLetterCause, DeadLetterSink, JsonLinesDeadLetters, parse_dead_letters,
    read_dead_letters,
};
pub use self::names::{MAX_SOURCE_NAME_LEN, PrefixDestinations, source_name};
pub use self::registry::ClassInfo;
pub use self::stats::{ClassStats, SinkStats};

use self::registry::{ClassEntry, ClassSink};
use crate::error::{Error, ErrorKind, Result};
use crate::manifest::Manifest;
use crate::writer::WriterConfig;

/// A boxed, sendable future, as [`DeadLetterSink`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the sink knows about a class it has seen.
enum Route<Ev> {
    /// The class's writer is open.
    Open(Box<dyn ClassSink<Ev>>),
    /// The class has no destination.
    Unrouted,
}

/// Writes events of every class of one OCSF version, each class to its own
/// custom source; see the [module documentation](self).
///
/// Like a [`Writer`](crate::Writer), it needs a Tokio runtime and is used
/// from one task (`&mut self`); dropping it without
/// [`close`](Self::close) leaves accepted events in the writers' spools,
/// for the next open to upload.
pub struct LakeSink<Ev: OcsfEventEnum> {
    classes: BTreeMap<i32, ClassEntry<Ev>>,
    destinations: BTreeMap<i32, WriterConfig>,
    unrouted: Unrouted,
    dead_letters: Option<Box<dyn DeadLetterSink>>,
    routes: BTreeMap<i32, Route<Ev>>,
    stats: SinkStats,
    /// Objects of writers flushed by a `flush` that then failed: reported
    /// by the next one.
    pending: Manifest,
}

impl<Ev: OcsfEventEnum> fmt::Debug for LakeSink<Ev> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LakeSink")
            .field("ocsf_version", &Ev::OCSF_VERSION)
            .field("destinations", &self.destinations.keys())
            .field("unrouted", &self.unrouted)
            .field("dead_letters", &self.dead_letters)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<Ev: OcsfEventEnum> LakeSink<Ev> {
    /// A builder: destinations, the [`Unrouted`] policy and the dead-letter
    /// sink.
    pub fn builder() -> LakeSinkBuilder<Ev> {
        LakeSinkBuilder::default()
    }

    pub(crate) fn new(
        classes: BTreeMap<i32, ClassEntry<Ev>>,
        destinations: BTreeMap<i32, WriterConfig>,
        unrouted: Unrouted,
        dead_letters: Option<Box<dyn DeadLetterSink>>,
    ) -> Self {
        Self {
            classes,
            destinations,
            unrouted,
            dead_letters,
            routes: BTreeMap::new(),
            stats: SinkStats::default(),
            pending: Manifest::default(),
        }
    }

    /// The counters per class, with each open writer's own.
    pub fn stats(&self) -> SinkStats {
        let mut stats = self.stats.clone();
        for (uid, route) in &self.routes {
            if let (Route::Open(writer), Some(class)) = (route, stats.classes.get_mut(uid)) {
                class.writer = Some(writer.stats());
            }
        }
        stats
    }

    /// The counters of class `uid`, created on first use.
    fn class_stats(&mut self, uid: i32) -> &mut ClassStats {
        let name = self.classes.get(&uid).map(|c| c.info.name);
        self.stats.classes.entry(uid).or_insert_with(|| ClassStats {
            class_name: name,
            ..ClassStats::default()
        })
    }

    /// Decides the route of class `uid` on its first event: opens its
    /// writer when it has a destination.
    async fn route(&mut self, uid: i32) -> Result<()> {
        if self.routes.contains_key(&uid) {
            return Ok(());
        }
        let Some(entry) = self.classes.get(&uid) else {
            self.routes.insert(uid, Route::Unrouted);
            return Ok(());
        };
        let config = match (self.destinations.get(&uid), &self.unrouted) {
            (Some(config), _) => config.clone(),
            (None, Unrouted::CatchAll(resolver)) => {
                let config = resolver.resolve(&entry.info)?;
                self.check_catch_all(uid, &config)?;
                config
            }
            (None, _) => {
                self.routes.insert(uid, Route::Unrouted);
                return Ok(());
            }
        };
        let location = config.location().to_string();
        let writer = (entry.open)(config).await?;
        self.class_stats(uid).location = Some(location);
        self.routes.insert(uid, Route::Open(writer));
        Ok(())
    }

    /// A catch-all destination must not share a location or spool with
    /// another class's.
    fn check_catch_all(&self, uid: i32, config: &WriterConfig) -> Result<()> {
        let location = config.location().to_string();
        let clash = self
            .destinations
            .iter()
            .filter(|(other, _)| **other != uid)
            .any(|(_, other)| {
                other.location().to_string() == location || other.spool_dir() == config.spool_dir()
            })
            || self.routes.iter().any(|(other, route)| {
                *other != uid
                    && matches!(route, Route::Open(w) if w.location().to_string() == location)
            });
        if clash {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "lake sink: the catch-all destination of class_uid {uid} ({location}, spool {}) is another class's (a custom source holds one class)",
                    config.spool_dir().display()
                ),
            ));
        }
        Ok(())
    }

    /// Keeps a dead letter in the sink's dead-letter sink and counts it under
    /// its class (the sink does this itself for the events its writers
    /// refuse; a caller gives it the events that never became typed events,
    /// such as [`DeadLetter::invalid`] OCSF JSON). Fails when there is no
    /// dead-letter sink.
    ///
    /// ```
    /// use securitylake_source::sink::{DeadLetter, JsonLinesDeadLetters, LakeSink, Unrouted};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let mut sink = LakeSink::<ocsf_model::v1_1_0::Event>::builder()
    ///     .unrouted(Unrouted::Skip)
    ///     .dead_letters(JsonLinesDeadLetters::lazy(dir.path().join("dl.jsonl")))
    ///     .build()?;
    /// let event = serde_json::json!({"class_uid": 3002, "time": 9});
    /// sink.dead_letter(DeadLetter::invalid(event, "activity_id: required")).await?;
    /// assert_eq!(sink.stats().dead_lettered(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn dead_letter(&mut self, letter: DeadLetter) -> Result<()> {
        let uid = letter.class_uid;
        let Some(sink) = self.dead_letters.as_mut() else {
            return Err(letter.into_error());
        };
        sink.put(letter).await?;
        self.class_stats(uid).dead_lettered += 1;
        Ok(())
    }

    /// Handles an event of a class without a writer, by the policy.
    async fn unrouted(&mut self, event: &Ev) -> Result<()> {
        let uid = event.class_uid();
        self.class_stats(uid).unrouted += 1;
        let known = self.classes.contains_key(&uid);
        match (&self.unrouted, known) {
            (Unrouted::Skip, _) => Ok(()),
            (Unrouted::DeadLetter, true) => {
                let reason = format!("no destination for class_uid {uid}");
                let letter = DeadLetter::of_enum(event, DeadLetterCause::Unrouted, reason);
                self.dead_letter(letter).await
            }
            (Unrouted::DeadLetter | Unrouted::CatchAll(_), false) => {
                let reason = format!(
                    "class_uid {uid} is not a class of OCSF {}: no typed writer can hold it",
                    Ev::OCSF_VERSION
                );
                let letter = DeadLetter::of_enum(event, DeadLetterCause::Unrecognized, reason);
                self.dead_letter(letter).await
            }
            _ => Err(Error::new(
                ErrorKind::Config,
                format!(
                    "lake sink: no destination for class_uid {uid} ({}); add one, or choose another Unrouted policy",
                    event.class_name().unwrap_or("not a class of this version")
                ),
            )),
        }
    }

    /// Writes one event to its class's writer (opened on the class's first
    /// event), by reference: it is encoded at once, and the caller keeps it
    /// (and may overwrite it for the next one). An event the writer refuses
    /// as invalid input goes to the dead-letter sink (or fails the call when
    /// there is none); an event of a class without a destination is handled
    /// by the [`Unrouted`] policy. Other errors (the writer's I/O, encoding
    /// or upload errors, a dead-letter sink's error) are returned.
    pub async fn write(&mut self, event: &Ev) -> Result<()> {
        let uid = event.class_uid();
        self.route(uid).await?;
        let outcome = match self.routes.get_mut(&uid) {
            Some(Route::Open(writer)) => writer.write(event).await?,
            _ => return self.unrouted(event).await,
        };
        match outcome {
            None => {
                self.class_stats(uid).accepted += 1;
                Ok(())
            }
            Some(letter) => self.dead_letter(letter).await,
        }
    }

    /// Writes a batch, by reference (a slice or a `Vec` by `&`, or any
    /// iterator of `&Ev`): the events are grouped by class (keeping their
    /// order within a class) and each group goes to its writer's batch
    /// write (one fsync per touched partition). Each event is encoded as it
    /// is written; the caller keeps the events and may render the next ones
    /// into them (see `ocsf_mappers::lines::Mapped::recycle`). Refused
    /// events are dead-lettered one by one and the rest of the batch is
    /// accepted; unrouted ones follow the [`Unrouted`] policy. On an error,
    /// the classes handled before it are accepted (and counted), the rest
    /// of the batch is not.
    pub async fn write_batch<'a, I>(&mut self, events: I) -> Result<()>
    where
        I: IntoIterator<Item = &'a Ev>,
        Ev: 'a,
    {
        let mut groups: BTreeMap<i32, Vec<&Ev>> = BTreeMap::new();
        for event in events {
            groups.entry(event.class_uid()).or_default().push(event);
        }
        for (uid, group) in groups {
            self.route(uid).await?;
            let count = group.len() as u64;
            let letters = match self.routes.get_mut(&uid) {
                Some(Route::Open(writer)) => writer.write_batch(&group).await?,
                _ => {
                    for event in group {
                        self.unrouted(event).await?;
                    }
                    continue;
                }
            };
            self.class_stats(uid).accepted += count - letters.len() as u64;
            for letter in letters {
                self.dead_letter(letter).await?;
            }
        }
        Ok(())
    }

    /// [`Writer::roll_due`](crate::Writer::roll_due) on every open writer;
    /// returns the number of segments rolled by age.
    pub async fn roll_due(&mut self) -> Result<usize> {
        let mut rolled = 0;
        for route in self.routes.values_mut() {
            if let Route::Open(writer) = route {
                rolled += writer.roll_due().await?;
            }
        }
        Ok(rolled)
    }

    /// Flushes every open writer (in `class_uid` order) and the dead-letter
    /// sink; returns one manifest of every object written since the previous
    /// flush, over all classes (each object's key names its source). When a
    /// writer fails, the error is returned and the objects of the writers
    /// flushed before it are reported by the next `flush`.
    pub async fn flush(&mut self) -> Result<Manifest> {
        for route in self.routes.values_mut() {
            if let Route::Open(writer) = route {
                let manifest = writer.flush().await?;
                self.pending.extend(manifest);
            }
        }
        if let Some(sink) = self.dead_letters.as_mut() {
            sink.flush().await?;
        }
        Ok(std::mem::take(&mut self.pending))
    }

    /// Flushes, then releases every writer's spool directory.
    pub async fn close(mut self) -> Result<Manifest> {
        self.flush().await
    }
}

//! The configuration of a [`LakeSink`]: destinations, the policy for
//! classes without one, and the dead-letter sink.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use ocsf_model::OcsfEventEnum;

use super::LakeSink;
use super::dead_letter::DeadLetterSink;
use super::registry::{ClassInfo, registry};
use crate::error::{Error, ErrorKind, Result};
use crate::writer::WriterConfig;

/// Gives the writer configuration of a class: a closure
/// `Fn(&ClassInfo) -> Result<WriterConfig>`, a
/// [`PrefixDestinations`](super::PrefixDestinations), or a type of your own.
pub trait DestinationResolver: Send + Sync {
    /// The writer configuration of `class` (its own location and spool
    /// directory: one class per custom source).
    fn resolve(&self, class: &ClassInfo) -> Result<WriterConfig>;
}

impl<F> DestinationResolver for F
where
    F: Fn(&ClassInfo) -> Result<WriterConfig> + Send + Sync,
{
    fn resolve(&self, class: &ClassInfo) -> Result<WriterConfig> {
        self(class)
    }
}

/// What a [`LakeSink`] does with an event of a class that has no explicit
/// destination. Events of such classes are always counted per class
/// ([`ClassStats::unrouted`](super::ClassStats::unrouted)).
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Unrouted {
    /// Fail the write with [`ErrorKind::Config`] (the default: a
    /// destination is missing from the configuration).
    #[default]
    Error,
    /// Skip the event, counted.
    Skip,
    /// Keep the event in the dead-letter sink (with cause
    /// [`Unrouted`](super::DeadLetterCause::Unrouted)), counted.
    DeadLetter,
    /// Ask the resolver for the class's destination on its first event (a
    /// catch-all: one source per class, as Security Lake wants, for example
    /// derived from a prefix by [`PrefixDestinations`](super::PrefixDestinations)).
    /// Events of a `class_uid` the sink's OCSF version does not define have
    /// no typed writer: they go to the dead-letter sink, or fail the write
    /// when there is none.
    CatchAll(Arc<dyn DestinationResolver>),
}

impl Unrouted {
    /// [`Unrouted::CatchAll`] with `resolver`.
    pub fn catch_all(resolver: impl DestinationResolver + 'static) -> Self {
        Self::CatchAll(Arc::new(resolver))
    }
}

impl fmt::Debug for Unrouted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "Error",
            Self::Skip => "Skip",
            Self::DeadLetter => "DeadLetter",
            Self::CatchAll(_) => "CatchAll(..)",
        })
    }
}

/// Builds a [`LakeSink`]; see [`LakeSink::builder`].
pub struct LakeSinkBuilder<Ev> {
    destinations: BTreeMap<i32, WriterConfig>,
    unrouted: Unrouted,
    dead_letters: Option<Box<dyn DeadLetterSink>>,
    version: PhantomData<fn() -> Ev>,
}

impl<Ev> fmt::Debug for LakeSinkBuilder<Ev> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LakeSinkBuilder")
            .field("destinations", &self.destinations.keys())
            .field("unrouted", &self.unrouted)
            .field("dead_letters", &self.dead_letters)
            .finish()
    }
}

impl<Ev> Default for LakeSinkBuilder<Ev> {
    fn default() -> Self {
        Self {
            destinations: BTreeMap::new(),
            unrouted: Unrouted::default(),
            dead_letters: None,
            version: PhantomData,
        }
    }
}

impl<Ev: OcsfEventEnum> LakeSinkBuilder<Ev> {
    /// Routes the events of class `class_uid` to a writer of `config`
    /// (opened on the class's first event). A later call for the same class
    /// replaces the earlier one.
    pub fn destination(mut self, class_uid: i32, config: WriterConfig) -> Self {
        self.destinations.insert(class_uid, config);
        self
    }

    /// [`destination`](Self::destination) for each pair, e.g. the map of
    /// [`PrefixDestinations::configs`](super::PrefixDestinations::configs).
    pub fn destinations(mut self, map: impl IntoIterator<Item = (i32, WriterConfig)>) -> Self {
        self.destinations.extend(map);
        self
    }

    /// What to do with events of classes without a destination (default
    /// [`Unrouted::Error`]).
    pub fn unrouted(mut self, policy: Unrouted) -> Self {
        self.unrouted = policy;
        self
    }

    /// Where events that cannot be written go, with their reason: events the
    /// class's writer refuses as invalid input, and those the
    /// [`Unrouted`] policy sends there. Without one, such an event fails
    /// the write (nothing is dropped).
    pub fn dead_letters(mut self, sink: impl DeadLetterSink + 'static) -> Self {
        self.dead_letters = Some(Box::new(sink));
        self
    }

    /// Checks the configuration and builds the sink; no writer is opened
    /// yet.
    ///
    /// Fails with [`ErrorKind::Config`] when a destination names a class
    /// the version does not define, when two classes share a source
    /// location or a spool directory (one class per source), or when the
    /// policy is [`Unrouted::DeadLetter`] without a dead-letter sink.
    pub fn build(self) -> Result<LakeSink<Ev>> {
        let classes = registry::<Ev>();
        let mut locations = BTreeSet::new();
        let mut spools = BTreeSet::new();
        for (uid, config) in &self.destinations {
            if !classes.contains_key(uid) {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!(
                        "lake sink: a destination for class_uid {uid}, which OCSF {} does not define",
                        Ev::OCSF_VERSION
                    ),
                ));
            }
            if !locations.insert(config.location().to_string()) {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!(
                        "lake sink: two classes write to {} (a custom source holds one class)",
                        config.location()
                    ),
                ));
            }
            if !spools.insert(config.spool_dir().to_path_buf()) {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!(
                        "lake sink: two classes share the spool directory {}",
                        config.spool_dir().display()
                    ),
                ));
            }
        }
        if matches!(self.unrouted, Unrouted::DeadLetter) && self.dead_letters.is_none() {
            return Err(Error::new(
                ErrorKind::Config,
                "lake sink: the unrouted policy DeadLetter needs a dead-letter sink",
            ));
        }
        Ok(LakeSink::new(
            classes,
            self.destinations,
            self.unrouted,
            self.dead_letters,
        ))
    }
}

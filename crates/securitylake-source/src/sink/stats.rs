//! The counters of a [`LakeSink`](super::LakeSink), per class.

use std::collections::BTreeMap;

use crate::writer::WriterStats;

/// The counters of one class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClassStats {
    /// The class's name in the schema; `None` for a `class_uid` the sink's
    /// OCSF version does not define.
    pub class_name: Option<&'static str>,
    /// The source location the class's writer writes to (`s3://...`), once
    /// it is open.
    pub location: Option<String>,
    /// Events accepted by the class's writer.
    pub accepted: u64,
    /// Events kept in the dead-letter sink (refused by the writer, or
    /// unrouted or unrecognized under a dead-letter policy).
    pub dead_lettered: u64,
    /// Events of the class that had no destination (skipped,
    /// dead-lettered or failed, as the [`Unrouted`](super::Unrouted) policy
    /// says).
    pub unrouted: u64,
    /// The counters of the class's writer, once it is open.
    pub writer: Option<WriterStats>,
}

/// The counters of a [`LakeSink`](super::LakeSink): one [`ClassStats`] per
/// class it has seen an event of, by `class_uid`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SinkStats {
    /// The counters per `class_uid`.
    pub classes: BTreeMap<i32, ClassStats>,
}

impl SinkStats {
    /// Events accepted by the writers, over every class.
    pub fn accepted(&self) -> u64 {
        self.classes.values().map(|c| c.accepted).sum()
    }

    /// Events kept as dead letters, over every class.
    pub fn dead_lettered(&self) -> u64 {
        self.classes.values().map(|c| c.dead_lettered).sum()
    }

    /// Events of classes without a destination, over every class.
    pub fn unrouted(&self) -> u64 {
        self.classes.values().map(|c| c.unrouted).sum()
    }

    /// Events in objects written to the store, over every writer.
    pub fn events_written(&self) -> u64 {
        self.classes
            .values()
            .filter_map(|c| c.writer.as_ref())
            .map(|w| w.events_written)
            .sum()
    }
}

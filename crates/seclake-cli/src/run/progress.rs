//! The counters of `seclake run`, per input, printed to stderr periodically and at exit.

use std::collections::BTreeMap;

use crate::mapping::class_caption;

/// One input's counters.
#[derive(Debug, Default, Clone)]
pub struct Counters {
    /// Lines read (messages, for syslog).
    pub lines: u64,
    /// Events accepted by the writers, per `class_uid`.
    pub classes: BTreeMap<i32, u64>,
    /// Fallback events (lines kept as Base Events, or as a class with fewer attributes).
    pub fallbacks: u64,
    /// Events dead-lettered (refused by a writer, or rejected OCSF JSON).
    pub dead_letters: u64,
    /// OCSF JSON events the validator rejected (among the dead letters).
    pub rejected: u64,
    /// Flushes committed.
    pub flushes: u64,
    /// Pending flushes replayed on start.
    pub replays: u64,
    /// Replays whose lines ended elsewhere than the pending boundary.
    pub replay_mismatches: u64,
    /// RELP messages recognised as retransmissions of committed ones (not written again).
    pub retransmitted: u64,
}

impl Counters {
    /// Events accepted over every class.
    pub fn events(&self) -> u64 {
        self.classes.values().sum()
    }

    /// One line of counters.
    pub fn line(&self, name: &str) -> String {
        let classes: Vec<String> = self
            .classes
            .iter()
            .map(|(uid, n)| format!("{} ({uid}) {n}", class_caption(*uid)))
            .collect();
        let mut line = format!(
            "{name}: {} lines, {} events [{}], {} fallbacks, {} dead letters, {} flushes",
            self.lines,
            self.events(),
            classes.join(", "),
            self.fallbacks,
            self.dead_letters,
            self.flushes
        );
        if self.replays > 0 {
            line.push_str(&format!(
                ", {} replayed ({} ending elsewhere)",
                self.replays, self.replay_mismatches
            ));
        }
        if self.retransmitted > 0 {
            line.push_str(&format!(
                ", {} retransmissions recognised",
                self.retransmitted
            ));
        }
        line
    }
}

//! Counters kept by every mapper.

use std::collections::BTreeMap;
use std::fmt;

/// Why an input became a fallback Base Event instead of a specific class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FallbackReason {
    /// The syslog header did not parse.
    SyslogHeader,
    /// An auditd record did not parse.
    AuditRecord,
    /// A journald entry did not parse or had no `MESSAGE`.
    JournalEntry,
    /// A CEF message did not parse.
    Cef,
    /// A LEEF message did not parse.
    Leef,
    /// A line held neither CEF nor LEEF (Deep Security mapper).
    NotCefOrLeef,
    /// CEF / LEEF from a vendor or product this mapper does not cover.
    UnsupportedProduct,
    /// No mapper for the logging program.
    UnknownProgram,
    /// A known program (or audit record type) with a message this mapper does
    /// not recognize.
    UnrecognizedMessage,
    /// A recognized message whose fields are malformed (bad address, port,
    /// number).
    Malformed,
    /// An audit event whose records do not make one event (e.g. only a
    /// `PROCTITLE` left after the grouping window moved on).
    IncompleteAuditEvent,
    /// A line longer than [`SourceConfig::max_line_len`](crate::SourceConfig::max_line_len).
    LineTooLong,
    /// A recognized record that OCSF has no class for (e.g. captured
    /// keystrokes); `unmapped.fallback.detail` says why.
    NoOcsfClass,
}

impl FallbackReason {
    /// Every reason, in order.
    pub const ALL: &'static [FallbackReason] = &[
        FallbackReason::SyslogHeader,
        FallbackReason::AuditRecord,
        FallbackReason::JournalEntry,
        FallbackReason::Cef,
        FallbackReason::Leef,
        FallbackReason::NotCefOrLeef,
        FallbackReason::UnsupportedProduct,
        FallbackReason::UnknownProgram,
        FallbackReason::UnrecognizedMessage,
        FallbackReason::Malformed,
        FallbackReason::IncompleteAuditEvent,
        FallbackReason::LineTooLong,
        FallbackReason::NoOcsfClass,
    ];

    /// A short snake_case name, as written to `unmapped.fallback.reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            FallbackReason::SyslogHeader => "syslog_header",
            FallbackReason::AuditRecord => "audit_record",
            FallbackReason::JournalEntry => "journal_entry",
            FallbackReason::Cef => "cef",
            FallbackReason::Leef => "leef",
            FallbackReason::NotCefOrLeef => "not_cef_or_leef",
            FallbackReason::UnsupportedProduct => "unsupported_product",
            FallbackReason::UnknownProgram => "unknown_program",
            FallbackReason::UnrecognizedMessage => "unrecognized_message",
            FallbackReason::Malformed => "malformed",
            FallbackReason::IncompleteAuditEvent => "incomplete_audit_event",
            FallbackReason::LineTooLong => "line_too_long",
            FallbackReason::NoOcsfClass => "no_ocsf_class",
        }
    }
}

impl fmt::Display for FallbackReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a mapper has seen and produced.
///
/// `accepted` counts inputs (lines, journal entries); `blank` the blank lines
/// that were skipped (they carry nothing to map); every other input produced
/// at least one event, counted in `mapped` by `class_uid` or in `fallback` by
/// reason. Grouped auditd records make one event from several lines.
///
/// ```
/// use ocsf_mappers::{LinuxMapper, SourceConfig, FallbackReason};
///
/// let mut mapper = LinuxMapper::new(SourceConfig::linux().with_reference_ms(1_718_000_000_000));
/// mapper.map_line("Jun 14 15:16:01 h sshd[1]: Accepted password for bob from 192.0.2.1 port 22 ssh2");
/// mapper.map_line("Jun 14 15:16:02 h myapp[2]: hello");
/// mapper.map_line("");
/// let stats = mapper.stats();
/// assert_eq!(stats.accepted, 3);
/// assert_eq!(stats.blank, 1);
/// assert_eq!(stats.mapped.get(&3002), Some(&1));
/// assert_eq!(stats.fallback.get(&FallbackReason::UnknownProgram), Some(&1));
/// assert_eq!(stats.events(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapperStats {
    /// Inputs accepted (lines or journal entries, including blank ones).
    pub accepted: u64,
    /// Blank lines skipped.
    pub blank: u64,
    /// Events of a specific class produced, by `class_uid`.
    pub mapped: BTreeMap<i32, u64>,
    /// Fallback Base Events produced, by reason.
    pub fallback: BTreeMap<FallbackReason, u64>,
    /// Events of a specific class produced from an input of which part did not
    /// parse (kept in `unmapped.unparsed`), by the reason that part would have
    /// had as a fallback (`cef`, `leef`). These events are also in `mapped`.
    pub recovered: BTreeMap<FallbackReason, u64>,
}

impl MapperStats {
    /// Events of a specific class produced.
    pub fn mapped_total(&self) -> u64 {
        self.mapped.values().sum()
    }

    /// Fallback events produced.
    pub fn fallback_total(&self) -> u64 {
        self.fallback.values().sum()
    }

    /// All events produced.
    pub fn events(&self) -> u64 {
        self.mapped_total() + self.fallback_total()
    }

    /// Adds another mapper's counters to these.
    pub fn merge(&mut self, other: &MapperStats) {
        self.accepted += other.accepted;
        self.blank += other.blank;
        for (k, v) in &other.mapped {
            *self.mapped.entry(*k).or_default() += v;
        }
        for (k, v) in &other.fallback {
            *self.fallback.entry(*k).or_default() += v;
        }
        for (k, v) in &other.recovered {
            *self.recovered.entry(*k).or_default() += v;
        }
    }

    pub(crate) fn count_class(&mut self, class_uid: i32) {
        *self.mapped.entry(class_uid).or_default() += 1;
    }

    pub(crate) fn count_fallback(&mut self, reason: FallbackReason) {
        *self.fallback.entry(reason).or_default() += 1;
    }

    pub(crate) fn count_recovered(&mut self, reason: FallbackReason) {
        *self.recovered.entry(reason).or_default() += 1;
    }
}

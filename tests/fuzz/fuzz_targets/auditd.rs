//! auditd records: the record parser, the bounded grouper (grouping by
//! node, timestamp and serial) and the Linux mapper's audit path.
//!
//! Byte 0 sets the grouper's limits (small windows make every completion
//! path reachable); the rest is split into lines, each parsed and pushed.
//!
//! Invariants: no panic; the grouper never drops or duplicates a record and
//! never holds more than `max_open_events` events or emits more than
//! `max_records_per_event` records in one event; every record of an event
//! has the event's node, time and serial; the mapper yields at least one
//! event for every non-blank line in total, and its counters add up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocsf_mappers::formats::auditd::{self, AuditGrouper, GrouperConfig};
use ocsf_mappers::{LinuxMapper, SourceConfig};

/// Checks the events the grouper emitted; returns how many records they hold.
fn check(events: Vec<auditd::AuditEvent<'_>>, config: &GrouperConfig) -> usize {
    let mut records = 0;
    for ev in events {
        assert!(!ev.records.is_empty(), "empty audit event");
        assert!(ev.records.len() <= config.max_records_per_event);
        for r in &ev.records {
            assert_eq!(r.serial, ev.serial, "record of another serial grouped");
            assert_eq!(r.time_ms, ev.time_ms, "record of another time grouped");
            assert_eq!(r.node, ev.node, "record of another node grouped");
        }
        let first = &ev.records[0].record_type;
        assert!(ev.record(first).is_some());
        records += ev.records.len();
    }
    records
}

fuzz_target!(|data: &[u8]| {
    let Some((&limits, rest)) = data.split_first() else {
        return;
    };
    let config = GrouperConfig {
        max_open_events: usize::from(limits & 0x0f) + 1,
        max_records_per_event: usize::from(limits >> 4) + 1,
    };
    let text = String::from_utf8_lossy(rest);

    // Parser and grouper.
    let mut grouper = AuditGrouper::new(config);
    let mut pushed = 0usize;
    let mut grouped = 0usize;
    for line in text.split('\n') {
        let Ok(rec) = auditd::parse(line) else {
            continue;
        };
        for f in rec.fields.iter().chain(&rec.msg_fields) {
            assert!(rec.field(&f.key).is_some(), "parsed field not found by key");
            let _ = rec.get(&f.key);
            let _ = rec.interpreted(&f.key);
        }
        let _ = rec.is_eoe();
        // Owning a record keeps its content.
        assert_eq!(rec.clone().into_owned(), rec);
        pushed += 1;
        grouped += check(grouper.push(rec), &config);
        assert!(grouper.open_events() <= config.max_open_events);
    }
    grouped += check(grouper.flush(), &config);
    assert_eq!(grouper.open_events(), 0);
    assert_eq!(pushed, grouped, "records lost or duplicated by the grouper");

    // The mapper's audit path (standalone records, grouped events, fallbacks).
    let mut mapper = LinuxMapper::new(
        SourceConfig::linux()
            .with_reference_ms(1_718_000_000_000)
            .with_audit_grouping(config),
    );
    let mut emitted = 0u64;
    let mut non_blank = 0u64;
    for line in text.split('\n') {
        if !line.trim().is_empty() {
            non_blank += 1;
        }
        emitted += mapper.map_line(line).len() as u64;
    }
    emitted += mapper.finish().len() as u64;
    assert!(
        non_blank == 0 || emitted >= 1,
        "{non_blank} lines, no event"
    );
    let stats = mapper.stats();
    assert_eq!(stats.events(), emitted, "counters != events returned");
    assert_eq!(stats.accepted, text.split('\n').count() as u64);
});

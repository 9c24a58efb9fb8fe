//! journald readers: the `journalctl -o export` stream (text and
//! length-prefixed binary fields, resynchronization after errors) and the
//! `-o json` stream, then the Linux mapper's journald path.
//!
//! Byte 0: bit 0 picks export or JSON, bits 1-3 the field/line size limit.
//!
//! Invariants: no panic, no allocation beyond the limits, the readers
//! terminate; every entry's fields are readable through every accessor; the
//! offset of successive entries never decreases; the mapper's stream yields
//! at least one event (specific, fallback or read error) per entry and its
//! counters add up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocsf_mappers::formats::journald::{ExportReader, JournalEntry, JsonReader};
use ocsf_mappers::{Error, LinuxMapper, SourceConfig};

const LIMITS: [usize; 8] = [0, 16, 64, 256, 1024, 4096, 65_536, 1 << 20];

/// Reads every accessor of an entry.
fn touch(entry: &JournalEntry) {
    let mut n = 0;
    for field in entry.fields() {
        n += 1;
        assert!(entry.contains(field.name), "field not found by name");
        assert!(entry.get_all(field.name).count() >= usize::from(field.value.is_some()));
        let _ = entry.get(field.name);
        let _ = entry.get_str(field.name);
    }
    assert_eq!(n, entry.len());
    assert_eq!(entry.is_empty(), n == 0);
    let _ = entry.message();
    let _ = entry.realtime_ms();
    let _ = entry.hostname();
    let _ = entry.syslog_identifier();
    let _ = entry.comm();
    let _ = entry.systemd_unit();
    let _ = entry.pid();
    let _ = entry.uid();
    let _ = entry.priority();
}

/// Drains a reader of entries; returns (entries, errors).
fn drain(reader: impl Iterator<Item = Result<JournalEntry, Error>>) -> (u64, u64) {
    let (mut entries, mut errors) = (0, 0);
    let mut last_offset = 0;
    for item in reader {
        match item {
            Ok(entry) => {
                assert!(entry.offset() >= last_offset, "offsets go backwards");
                last_offset = entry.offset();
                touch(&entry);
                entries += 1;
            }
            Err(e) => {
                let _ = (e.kind(), e.offset(), e.to_string());
                errors += 1;
            }
        }
    }
    (entries, errors)
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let limit = LIMITS[usize::from(selector >> 1) % LIMITS.len()];
    let export = selector & 1 == 0;

    let (entries, errors) = if export {
        drain(ExportReader::new(input).with_max_field_size(limit))
    } else {
        drain(JsonReader::new(input).with_max_line(limit))
    };

    // The default-limit readers through the mapper.
    let mapper = LinuxMapper::new(SourceConfig::linux().with_reference_ms(1_718_000_000_000));
    let mut stream = if export {
        Box::new(mapper.journal_export(input)) as Box<dyn MapperStream>
    } else {
        Box::new(mapper.journal_json(input))
    };
    let mut events = 0u64;
    while let Some(item) = stream.next_event() {
        if item {
            events += 1;
        }
    }
    let stats = stream.stats();
    assert_eq!(stats.events(), events, "counters != events returned");
    // Every entry or read error the mapper accepted made an event (audit
    // records carried by journald may be grouped, so at least one in total).
    assert!(
        stats.accepted == 0 || events >= 1,
        "{} entries accepted, no event",
        stats.accepted
    );
    let _ = (entries, errors);
});

/// The two journald event streams behind one object.
trait MapperStream {
    /// Next item: `Some(true)` for an event, `Some(false)` for an I/O error.
    fn next_event(&mut self) -> Option<bool>;
    /// The mapper's counters.
    fn stats(&self) -> ocsf_mappers::MapperStats;
}

impl<I> MapperStream for ocsf_mappers::linux::JournalEvents<ocsf_mappers::V1_1_0, I>
where
    I: Iterator<Item = Result<JournalEntry, Error>>,
{
    fn next_event(&mut self) -> Option<bool> {
        Iterator::next(self).map(|r| r.is_ok())
    }

    fn stats(&self) -> ocsf_mappers::MapperStats {
        self.mapper().stats().clone()
    }
}

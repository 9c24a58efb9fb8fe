//! LEEF 1.0 / 2.0: the bare parser, the syslog-framed parser, delimiter
//! forms and attribute splitting.
//!
//! Invariants: no panic; a record's `raw` text re-parses to the same record;
//! its header, escaped again, re-parses to the same header; attributes are
//! found by key, have non-empty keys without whitespace.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocsf_mappers::formats::leef::{self, LeefRecord, LeefVersion};
use ocsf_mappers::formats::syslog::SyslogContext;

/// Escapes a header field (`\` and `|`).
fn escape(field: &str) -> String {
    field.replace('\\', "\\\\").replace('|', "\\|")
}

fn check(rec: &LeefRecord<'_>) {
    let again = leef::parse(rec.raw).expect("a record's raw text re-parses");
    assert_eq!(&again, rec, "re-parsing raw changed the record");

    let version = match rec.version {
        LeefVersion::V1 => "1.0",
        LeefVersion::V2 => "2.0",
    };
    let header = format!(
        "LEEF:{version}|{}|{}|{}|{}|",
        escape(&rec.vendor),
        escape(&rec.product),
        escape(&rec.product_version),
        escape(&rec.event_id),
    );
    let h = leef::parse(&header).expect("an escaped header re-parses");
    assert_eq!(
        (
            h.version,
            &h.vendor,
            &h.product,
            &h.product_version,
            &h.event_id
        ),
        (
            rec.version,
            &rec.vendor,
            &rec.product,
            &rec.product_version,
            &rec.event_id
        ),
        "header changed through escaping: {header:?}"
    );

    for a in &rec.attributes {
        assert!(!a.key.is_empty(), "empty attribute key");
        assert!(rec.get(a.key).is_some(), "attribute not found by key");
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let ctx = SyslogContext::new(1_718_000_000_000);
    for line in text.split('\n') {
        if let Ok(rec) = leef::parse(line) {
            check(&rec);
        }
        if let Ok(ev) = leef::parse_framed(line, &ctx) {
            check(&ev.leef);
            if let Some(sys) = &ev.syslog {
                let _ = sys.priority();
            }
        }
    }
});

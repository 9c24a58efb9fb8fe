//! CEF: the bare parser, the syslog-framed parser and the record accessors.
//!
//! Invariants: no panic; a record's `raw` text re-parses to the same record;
//! its header, escaped again, re-parses to the same header; the severity
//! level, when known, is 0-10; every parsed extension is found by its key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocsf_mappers::formats::cef::{self, CefRecord};
use ocsf_mappers::formats::syslog::SyslogContext;

/// Escapes a header field as CEF writes it (`\` and `|`).
fn escape(field: &str) -> String {
    field.replace('\\', "\\\\").replace('|', "\\|")
}

fn check(rec: &CefRecord<'_>) {
    // The raw CEF text is self-contained.
    let again = cef::parse(rec.raw).expect("a record's raw text re-parses");
    assert_eq!(&again, rec, "re-parsing raw changed the record");

    // The header round-trips through escaping.
    let header = format!(
        "CEF:{}|{}|{}|{}|{}|{}|{}|",
        rec.version,
        escape(&rec.device_vendor),
        escape(&rec.device_product),
        escape(&rec.device_version),
        escape(&rec.signature_id),
        escape(&rec.name),
        escape(&rec.severity),
    );
    let h = cef::parse(&header).expect("an escaped header re-parses");
    assert_eq!(
        (
            h.version,
            &h.device_vendor,
            &h.device_product,
            &h.device_version,
            &h.signature_id,
            &h.name,
            &h.severity
        ),
        (
            rec.version,
            &rec.device_vendor,
            &rec.device_product,
            &rec.device_version,
            &rec.signature_id,
            &rec.name,
            &rec.severity
        ),
        "header changed through escaping: {header:?}"
    );
    assert!(h.extensions.is_empty());

    if let Some(level) = rec.severity_level() {
        assert!(level <= 10, "severity level {level}");
    }
    for ext in &rec.extensions {
        assert!(rec.get(ext.key).is_some(), "extension not found by key");
        let _ = rec.label(ext.key);
        let _ = rec.lookup(ext.key);
        let _ = rec.get_labeled(&ext.value);
    }
    for (key, label, value) in rec.labeled_fields() {
        let _ = (key, label, value);
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let ctx = SyslogContext::new(1_718_000_000_000);
    for line in text.split('\n') {
        if let Ok(rec) = cef::parse(line) {
            check(&rec);
        }
        if let Ok(ev) = cef::parse_framed(line, &ctx) {
            check(&ev.cef);
            if let Some(sys) = &ev.syslog {
                let _ = sys.priority();
            }
        }
    }
});

//! The full Trend Micro Deep Security mapper on CEF and LEEF lines, with and
//! without syslog headers.
//!
//! Byte 0 picks how the rest is framed: as is (the fuzzer writes its own
//! framing), or behind a Deep Security CEF or LEEF header of one of the
//! protection modules, so the module mappers are reached quickly.
//!
//! Invariants: no panic; every non-blank line yields exactly one event (a
//! specific class or the fallback Base Event); every event renders to JSON;
//! the counters add up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocsf_mappers::{DeepSecurityMapper, SourceConfig};

/// Header prefixes the rest of the input is appended to (one per module and
/// product, CEF and LEEF).
const PREFIXES: &[&str] = &[
    "",
    "CEF:0|Trend Micro|Deep Security Agent|20.0|4000000|Eicar_test_file|6|",
    "CEF:0|Trend Micro|Deep Security Agent|20.0|1001|Tcp|5|",
    "CEF:0|Trend Micro|Deep Security Agent|20.0|1000001|IPS rule|6|",
    "CEF:0|Trend Micro|Deep Security Agent|20.0|2002779|IM rule|6|",
    "CEF:0|Trend Micro|Deep Security Agent|20.0|3002795|LI rule|6|",
    "CEF:0|Trend Micro|Deep Security Agent|20.0|5000000|WebReputation|6|",
    "CEF:0|Trend Micro|Deep Security Agent|20.0|6001100|AppControl|6|",
    "CEF:0|Trend Micro|Deep Security Agent|20.0|7000000|DeviceControl|6|",
    "CEF:0|Trend Micro|Deep Security Manager|20.0|600|User Signed In|3|",
    "<134>Jun 10 06:13:20 dsm01 CEF:0|Trend Micro|Deep Security Manager|20.0|610|User Signed Out|3|",
    "LEEF:2.0|Trend Micro|Deep Security Agent|20.0|4000000|cat=Anti-Malware\t",
    "LEEF:2.0|Trend Micro|Deep Security Agent|20.0|20|cat=Firewall\t",
    "LEEF:2.0|Trend Micro|Deep Security Agent|20.0|1000001|x09|cat=Intrusion Prevention\t",
    "LEEF:2.0|Trend Micro|Deep Security Manager|20.0|600|cat=System\t",
    "<13>Jun 10 06:13:20 dsa LEEF:1.0|Trend Micro|Deep Security Agent|20.0|3002795|cat=Log Inspection\t",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let prefix = PREFIXES[usize::from(selector) % PREFIXES.len()];
    let text = String::from_utf8_lossy(rest);
    let mut mapper = DeepSecurityMapper::new(
        SourceConfig::deep_security()
            .with_reference_ms(1_718_000_000_000)
            .with_raw_data(selector & 0x80 != 0),
    );
    let mut emitted = 0u64;
    let mut lines = 0u64;
    for part in text.split('\n') {
        let line = format!("{prefix}{part}");
        let events = mapper.map_line(&line);
        lines += 1;
        if line.trim().is_empty() {
            assert!(events.is_empty(), "blank line produced an event");
        } else {
            assert_eq!(events.len(), 1, "line produced {} events", events.len());
        }
        for e in &events {
            let json = e.to_json().expect("event renders to JSON");
            assert_eq!(
                json["class_uid"],
                e.class_uid(),
                "class_uid differs in JSON"
            );
        }
        emitted += events.len() as u64;
    }
    let stats = mapper.stats();
    assert_eq!(stats.accepted, lines);
    assert_eq!(stats.events(), emitted, "counters != events returned");
    assert_eq!(stats.accepted, stats.blank + emitted);
});

//! The OCSF 1.3.0 target: every event the mappers produce from the shared corpora (read in
//! place from `../shared/samples/`) and the golden fixtures, rendered with `V1_3_0`, passes the
//! 1.3.0 validator, converts from 1.1.0 without a single reported loss, and equals the 1.1.0
//! event converted.
#![cfg(feature = "v1_3_0")]

use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use ocsf_mappers::formats::time::days_from_civil;
use ocsf_mappers::render::v1_3_0::from_v1_1_0;
use ocsf_mappers::{DeepSecurityMapper, LinuxMapper, SourceConfig, V1_1_0, V1_3_0, stream};
use ocsf_model::convert::ConversionReport;
use ocsf_model::v1_3_0::Event;
use ocsf_model::validate::validate_value;

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/samples");

fn day_ms(y: i64, m: u32, d: u32) -> i64 {
    days_from_civil(y, m, d) * 86_400_000
}

/// Checks one pair of events: the 1.3.0 rendering equals the 1.1.0 one converted, with an
/// empty report, and is valid OCSF 1.3.0.
fn check(old: ocsf_model::v1_1_0::Event, new: &Event, what: &str) {
    let mut report = ConversionReport::new();
    let converted = from_v1_1_0(old, &mut report);
    assert!(
        report.is_empty(),
        "{what}: losses {:?} in {}",
        report.losses(),
        serde_json::to_value(new).unwrap_or_default()
    );
    assert_eq!(&converted, new, "{what}");
    let json = serde_json::to_value(new).expect("serializes");
    assert_eq!(json["metadata"]["version"], "1.3.0", "{what}");
    let v = validate_value(&json, &ocsf_model::v1_3_0::SCHEMA);
    assert!(
        v.is_valid(),
        "{what}: 1.3.0 validator errors:\n{}\nevent: {json}",
        v.errors()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn linux_file(path: &Path, reference_ms: i64) -> usize {
    let config = SourceConfig::linux().with_reference_ms(reference_ms);
    let open = || BufReader::new(fs::File::open(path).expect("open sample"));
    let old: Vec<_> = stream::events(LinuxMapper::<V1_1_0>::with_target(config.clone()), open())
        .collect::<Result<_, _>>()
        .expect("read");
    let new: Vec<_> = stream::events(LinuxMapper::<V1_3_0>::with_target(config), open())
        .collect::<Result<_, _>>()
        .expect("read");
    assert_eq!(old.len(), new.len());
    let n = old.len();
    for (i, (o, n)) in old.into_iter().zip(&new).enumerate() {
        check(o, n, &format!("{}:{}", path.display(), i + 1));
    }
    n
}

fn sample(sub: &str) -> Option<PathBuf> {
    let p = Path::new(SAMPLES).join(sub);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("note: {} is absent; skipping", p.display());
        None
    }
}

#[test]
fn every_linux_corpus_event_is_valid_1_3_0_without_losses() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/linux.log");
    let mut events = linux_file(&golden, day_ms(2024, 6, 10));
    if let Some(p) = sample("linux/loghub/OpenSSH_2k.log") {
        events += linux_file(&p, day_ms(2018, 1, 5));
    }
    if let Some(p) = sample("linux/loghub/Linux_2k.log") {
        events += linux_file(&p, day_ms(2005, 8, 1));
    }
    if let Some(dir) = sample("linux/openssh-messages") {
        let mut files: Vec<_> = fs::read_dir(&dir)
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let reference = day_ms(2024, 6, 1);
        let config = SourceConfig::linux().with_reference_ms(reference);
        let mut old = LinuxMapper::<V1_1_0>::with_target(config.clone());
        let mut new = LinuxMapper::<V1_3_0>::with_target(config);
        for p in files {
            let v: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(&p).expect("read")).expect("JSON");
            let msg = v["input"]["message"].as_str().expect("message");
            let ctx = ocsf_mappers::MessageContext::new("sshd", reference);
            let (o, n) = (old.map_message(&ctx, msg), new.map_message(&ctx, msg));
            assert_eq!(o.len(), n.len());
            for (o, n) in o.into_iter().zip(&n) {
                check(o, n, &p.display().to_string());
                events += 1;
            }
        }
    }
    eprintln!("{events} Linux events rendered as OCSF 1.3.0");
    assert!(events > 0);
}

#[test]
fn every_deep_security_event_is_valid_1_3_0_without_losses() {
    let config = SourceConfig::deep_security().with_reference_ms(day_ms(2024, 6, 10));
    let mut old = DeepSecurityMapper::<V1_1_0>::with_target(config.clone());
    let mut new = DeepSecurityMapper::<V1_3_0>::with_target(config);
    let mut lines: Vec<(String, String)> = Vec::new();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/deep_security.log");
    for (i, l) in fs::read_to_string(&golden)
        .expect("golden")
        .lines()
        .enumerate()
    {
        lines.push((format!("golden:{}", i + 1), l.to_string()));
    }
    if let Some(dir) = sample("trendmicro/deep-security-cef") {
        let mut files: Vec<_> = fs::read_dir(&dir)
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for p in files {
            let v: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(&p).expect("read")).expect("JSON");
            let msg = v["input"]["message"].as_str().expect("message").to_string();
            lines.push((p.display().to_string(), msg));
        }
    }
    let mut events = 0;
    for (what, line) in &lines {
        let (o, n) = (old.map_line(line), new.map_line(line));
        assert_eq!(o.len(), n.len(), "{what}");
        for (o, n) in o.into_iter().zip(&n) {
            check(o, n, what);
            events += 1;
        }
    }
    eprintln!("{events} Deep Security events rendered as OCSF 1.3.0");
    assert!(events > 10);
}

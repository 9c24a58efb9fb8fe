//! Mapping coverage over the real third-party samples kept outside the
//! repository in `../shared/samples/` (read in place; see its PROVENANCE.md).
//! Each test prints a note and checks nothing when the folder is absent.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::BufReader;
use std::path::Path;

use common::{check, day_ms, sample};
use ocsf_mappers::formats::syslog::{self, SyslogContext};
use ocsf_mappers::{DeepSecurityMapper, LinuxMapper, MessageContext, SourceConfig, stream};
use ocsf_model::v1_1_0::Event;

/// `input.message` of every `*.json` file in `dir`, sorted by file name.
fn json_messages(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .expect("list samples")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).expect("read sample");
            let v: serde_json::Value = serde_json::from_str(&text).expect("sample is JSON");
            let msg = v["input"]["message"]
                .as_str()
                .expect("input.message")
                .to_owned();
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, msg)
        })
        .collect()
}

/// Maps a whole log file through the streaming API; returns the events and
/// the share (percent) of non-blank lines that became a specific class.
fn map_file(path: &Path, config: SourceConfig) -> (Vec<Event>, f64, BTreeMap<String, usize>) {
    let file = fs::File::open(path).expect("open sample");
    let mut events = stream::events(LinuxMapper::new(config), BufReader::new(file));
    let mapped: Vec<Event> = events
        .by_ref()
        .collect::<Result<_, _>>()
        .expect("read sample");
    let stats = events.mapper().stats().clone();
    let inputs = stats.accepted - stats.blank;
    assert_eq!(stats.events(), mapped.len() as u64);
    assert_eq!(stats.events(), inputs, "one event per line");
    let mut misses: BTreeMap<String, usize> = BTreeMap::new();
    for e in &mapped {
        check(e);
        if matches!(e, Event::BaseEvent(_)) {
            let key = e.raw_data().unwrap_or_default();
            let key: String = key
                .split_whitespace()
                .skip(4)
                .take(4)
                .collect::<Vec<_>>()
                .join(" ");
            *misses.entry(key).or_default() += 1;
        }
    }
    let pct = 100.0 * stats.mapped_total() as f64 / inputs.max(1) as f64;
    (mapped, pct, misses)
}

fn report(name: &str, pct: f64, misses: &BTreeMap<String, usize>) {
    println!("{name}: {pct:.2}% of lines mapped to a specific class");
    let mut top: Vec<_> = misses.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    for (k, n) in top.iter().take(8) {
        println!("  fallback x{n}: {k}");
    }
}

#[test]
fn loghub_openssh_at_least_95_percent() {
    let Some(dir) = sample("linux/loghub") else {
        return;
    };
    // The lines run from December into January; read in early January.
    let config = SourceConfig::linux().with_reference_ms(day_ms(2018, 1, 5));
    let (events, pct, misses) = map_file(&dir.join("OpenSSH_2k.log"), config);
    report("OpenSSH_2k.log", pct, &misses);
    assert_eq!(events.len(), 2000);
    assert!(pct >= 95.0, "OpenSSH_2k.log: only {pct:.2}% mapped");
    let mut classes: BTreeMap<i32, usize> = BTreeMap::new();
    for e in &events {
        *classes.entry(e.class_uid()).or_default() += 1;
    }
    println!("  classes: {classes:?}");
    // Counted independently with grep over the file: 524 `Failed password` /
    // `Failed none`, 494 `pam_unix(sshd:auth): authentication failure`, 135
    // `check pass`, 113 `Invalid user`, 113 `input_userauth_request: invalid
    // user`, 10 `PAM N more authentication failures` and 10 `Disconnecting:
    // Too many ...` / `maximum authentication attempts` / `ignoring max
    // retries` lines are authentication failures; 1 `Accepted` and 2 PAM
    // session lines are successes.
    let auth: Vec<serde_json::Value> = events
        .iter()
        .filter(|e| e.class_uid() == 3002)
        .filter_map(|e| serde_json::to_value(e).ok())
        .collect();
    let failures = auth.iter().filter(|j| j["status_id"] == 2).count();
    let successes = auth.iter().filter(|j| j["status_id"] == 1).count();
    assert_eq!((failures, successes), (1399, 3));
}

#[test]
fn loghub_linux_at_least_80_percent() {
    let Some(dir) = sample("linux/loghub") else {
        return;
    };
    let config = SourceConfig::linux().with_reference_ms(day_ms(2005, 8, 1));
    let (events, pct, misses) = map_file(&dir.join("Linux_2k.log"), config);
    report("Linux_2k.log", pct, &misses);
    assert_eq!(events.len(), 2000);
    assert!(pct >= 80.0, "Linux_2k.log: only {pct:.2}% mapped");
    let count = |class: i64, activity: i64| {
        events
            .iter()
            .filter_map(|e| serde_json::to_value(e).ok())
            .filter(|j| j["class_uid"] == class && j["activity_id"] == activity)
            .count()
    };
    // Counted independently with grep: 909 `ftpd[N]: connection from` lines;
    // of the 123 `session opened` lines, the 86 of `su(pam_unix)` are logons
    // (su logs no line of its own); the 36 of `sshd(pam_unix)` and the one
    // of `login(pam_unix)` corroborate a daemon's own line (the login one
    // is the `ROOT LOGIN ON tty2` line beside it). With 2 `ANONYMOUS FTP
    // LOGIN` and 1 `ROOT LOGIN` lines: 89 successful logons, each once.
    assert_eq!(count(4001, 1), 909);
    let logons = events
        .iter()
        .filter_map(|e| serde_json::to_value(e).ok())
        .filter(|j| j["class_uid"] == 3002 && j["activity_id"] == 1 && j["status_id"] == 1)
        .count();
    assert_eq!(logons, 89);
}

#[test]
fn openssh_messages_every_message_to_a_class() {
    let Some(dir) = sample("linux/openssh-messages") else {
        return;
    };
    let ctx = SyslogContext::new(day_ms(2024, 6, 1));
    let mut mapper = LinuxMapper::new(SourceConfig::linux().with_reference_ms(day_ms(2024, 6, 1)));
    let messages = json_messages(&dir);
    assert_eq!(messages.len(), 62);
    let mut classes: BTreeMap<i32, usize> = BTreeMap::new();
    for (name, msg) in &messages {
        // Most samples are bare message bodies; one carries its syslog header.
        let events = match syslog::parse(msg.trim(), &ctx) {
            Ok(rec) if rec.app.is_some() => mapper.map_line(msg.trim()),
            _ => mapper.map_message(&MessageContext::new("sshd", day_ms(2024, 6, 1)), msg),
        };
        assert_eq!(events.len(), 1, "{name}");
        let json = check(&events[0]);
        assert!(
            !matches!(events[0], Event::BaseEvent(_)),
            "{name}: fell back: {json}"
        );
        *classes.entry(events[0].class_uid()).or_default() += 1;
    }
    println!(
        "openssh-messages: 100% of {} messages mapped; classes {classes:?}",
        messages.len()
    );
}

#[test]
fn deep_security_every_message_to_the_module_class() {
    let Some(dir) = sample("trendmicro/deep-security-cef") else {
        return;
    };
    let mut mapper = DeepSecurityMapper::new(
        SourceConfig::deep_security().with_reference_ms(day_ms(2024, 6, 1)),
    );
    let expected: BTreeMap<&str, i32> = [
        ("AgentAntiMalware", 2004),
        ("ApacheDOS", 2004),
        ("ApplicationControl", 1007),
        ("DeviceControl", 1001),
        ("FirewallEventLog", 4001),
        ("IntegrityMonitoring", 2004),
        ("IntrusionPrevention", 2004),
        ("LogInspection", 2004),
        ("SystemEventLog", 3002),
        ("WebReputation", 4001),
    ]
    .into_iter()
    .collect();
    let messages = json_messages(&dir);
    assert_eq!(messages.len(), expected.len());
    for (name, msg) in &messages {
        let events = mapper.map_line(msg);
        assert_eq!(events.len(), 1, "{name}");
        let json = check(&events[0]);
        assert_eq!(
            Some(&events[0].class_uid()),
            expected.get(name.as_str()),
            "{name}: {json}"
        );
    }
    println!(
        "deep-security-cef: 100% of {} messages mapped to their module's class",
        messages.len()
    );
}

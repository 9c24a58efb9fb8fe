//! Scenario tests on the shared corpora (`../shared/samples/`, outside the
//! repository): the counts a detection engineer's queries would compute from
//! the mapped events equal the counts read straight from the log's lines.
//! Each test prints a note and passes without checking anything when the
//! folder is absent.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use ocsf_mappers::{LinuxMapper, SourceConfig, stream};
use serde_json::Value;

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/samples");

/// The lines and mapped events (as JSON) of a loghub file, or `None` when the
/// samples are absent.
fn loghub(name: &str, reference_ms: i64) -> Option<(Vec<String>, Vec<Value>)> {
    let path = Path::new(SAMPLES).join("linux/loghub").join(name);
    let Ok(text) = fs::read_to_string(&path) else {
        eprintln!("note: {} is absent; skipping", path.display());
        return None;
    };
    let mapper = LinuxMapper::new(SourceConfig::linux().with_reference_ms(reference_ms));
    let events = stream::events(mapper, text.as_bytes())
        .map(|e| serde_json::to_value(e.expect("no I/O errors")).expect("serializes"))
        .collect();
    Some((text.lines().map(str::to_owned).collect(), events))
}

/// 2016-01-01T00:00:00Z: after the OpenSSH corpus's December lines.
const OPENSSH_REFERENCE: i64 = 1_451_606_400_000;

/// The message of a `... sshd[PID]: MESSAGE` line, with its pid.
fn sshd_message(line: &str) -> Option<(u32, &str)> {
    let i = line.find(" sshd[")?;
    let rest = &line[i + 6..];
    let (pid, msg) = rest.split_once("]: ")?;
    Some((pid.parse().ok()?, msg))
}

/// `Failed METHOD for [invalid user ]USER from ADDR port N ...`: the address.
fn failed_from(msg: &str) -> Option<&str> {
    let rest = msg.strip_prefix("Failed ")?;
    let (_, rest) = rest.split_once(" for ")?;
    let (_, from) = rest.rsplit_once(" from ")?;
    from.split(' ').next()
}

fn is_logon(e: &Value) -> bool {
    e["class_uid"] == 3002 && e["activity_id"] == 1
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    /// Lines (or events) per key.
    rows: BTreeMap<String, u64>,
    /// Attempts per key (a `message repeated N times` line is N).
    attempts: BTreeMap<String, u64>,
}

/// Failed attempts per source address, read from the log's own lines.
fn failed_attempts_in_log(lines: &[String]) -> Tally {
    let mut t = Tally::default();
    for line in lines {
        let Some((_, msg)) = sshd_message(line) else {
            continue;
        };
        let (msg, n) = match msg
            .strip_prefix("message repeated ")
            .and_then(|r| r.split_once(" times: [ "))
        {
            Some((n, inner)) => (inner.trim_end_matches(']'), n.parse().expect("count")),
            None => (msg, 1),
        };
        if let Some(addr) = failed_from(msg) {
            *t.rows.entry(addr.to_owned()).or_default() += 1;
            *t.attempts.entry(addr.to_owned()).or_default() += n;
        }
    }
    t
}

/// Logon failures per `src_endpoint.ip`, from the mapped events.
fn failed_logons_in_events(events: &[Value]) -> Tally {
    let mut t = Tally::default();
    for e in events.iter().filter(|e| is_logon(e) && e["status_id"] == 2) {
        let addr = e["src_endpoint"]["ip"]
            .as_str()
            .unwrap_or_else(|| panic!("a failed logon without a source address: {e}"))
            .to_owned();
        *t.rows.entry(addr.clone()).or_default() += 1;
        *t.attempts.entry(addr).or_default() += e["count"].as_u64().unwrap_or(1);
    }
    t
}

#[test]
fn openssh_failed_logons_per_source_equal_the_failed_attempts() {
    let Some((lines, events)) = loghub("OpenSSH_2k.log", OPENSSH_REFERENCE) else {
        return;
    };
    let failed_lines = lines
        .iter()
        .filter_map(|l| sshd_message(l))
        .filter(|(_, m)| failed_from(m).is_some())
        .count();
    let invalid_lines = lines
        .iter()
        .filter_map(|l| sshd_message(l))
        .filter(|(_, m)| m.starts_with("Invalid user "))
        .count();
    let failures = events
        .iter()
        .filter(|e| is_logon(e) && e["status_id"] == 2)
        .count();
    eprintln!(
        "OpenSSH_2k.log: {failed_lines} `Failed <method> for` lines, {invalid_lines} `Invalid user` lines, {failures} Logon failure events"
    );
    // The bound: at most 1.05x the `Failed` plus `Invalid user` lines.
    assert!(
        failures as f64 <= 1.05 * (failed_lines + invalid_lines) as f64,
        "{failures} Logon failures for {failed_lines} + {invalid_lines} lines"
    );
    let expected = failed_attempts_in_log(&lines);
    let got = failed_logons_in_events(&events);
    assert_eq!(got.rows, expected.rows, "failed logon events per source");
    assert_eq!(
        got.attempts, expected.attempts,
        "failed attempts per source"
    );
}

#[test]
fn openssh_successes_per_user_equal_the_accepted_logins() {
    let Some((lines, events)) = loghub("OpenSSH_2k.log", OPENSSH_REFERENCE) else {
        return;
    };
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for (_, msg) in lines.iter().filter_map(|l| sshd_message(l)) {
        if let Some(rest) = msg.strip_prefix("Accepted ")
            && let Some((_, rest)) = rest.split_once(" for ")
            && let Some((user, _)) = rest.rsplit_once(" from ")
        {
            *expected.entry(user.to_owned()).or_default() += 1;
        }
    }
    let mut got: BTreeMap<String, u64> = BTreeMap::new();
    for e in events.iter().filter(|e| is_logon(e) && e["status_id"] == 1) {
        let user = e["user"]["name"].as_str().expect("user.name").to_owned();
        *got.entry(user).or_default() += 1;
    }
    eprintln!("OpenSSH_2k.log: accepted logins {expected:?}, Logon successes {got:?}");
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
}

#[test]
fn openssh_each_correlation_uid_groups_one_connection() {
    let Some((lines, events)) = loghub("OpenSSH_2k.log", OPENSSH_REFERENCE) else {
        return;
    };
    // In this corpus every connection has its own sshd process (no pid is
    // reused), so a connection is a pid.
    let pids: BTreeSet<u32> = lines
        .iter()
        .filter_map(|l| sshd_message(l))
        .map(|(p, _)| p)
        .collect();
    assert_eq!(events.len(), lines.len(), "one event per line");
    let mut by_uid: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    let mut by_pid: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for e in &events {
        let uid = e["metadata"]["correlation_uid"]
            .as_str()
            .unwrap_or_else(|| panic!("an sshd event without a correlation_uid: {e}"))
            .to_owned();
        // The daemon's pid is in one attribute whatever the class.
        let pid = e["actor"]["process"]["pid"]
            .as_i64()
            .unwrap_or_else(|| panic!("an sshd event without actor.process.pid: {e}"));
        by_uid.entry(uid.clone()).or_default().insert(pid);
        by_pid.entry(pid).or_default().insert(uid);
    }
    for (uid, p) in &by_uid {
        assert_eq!(p.len(), 1, "{uid} groups the events of pids {p:?}");
    }
    for (pid, u) in &by_pid {
        assert_eq!(u.len(), 1, "pid {pid}'s events carry {u:?}");
    }
    assert_eq!(by_uid.len(), pids.len());
}

#[test]
fn linux_corpus_sshd_pam_lines_are_corroborating() {
    // Linux_2k.log is /var/log/messages of a 2005 host: sshd's own `Failed`
    // lines went to another file, and its `sshd(pam_unix)` lines corroborate
    // them; they carry their own activity so that no attempt counts twice
    // once both files are ingested.
    let Some((_, events)) = loghub("Linux_2k.log", 1_122_854_400_000) else {
        return;
    };
    let pam_sshd: Vec<&Value> = events
        .iter()
        .filter(|e| e["metadata"]["log_provider"] == "sshd" && e["class_uid"] == 3002)
        .collect();
    assert!(
        pam_sshd.len() > 100,
        "{} sshd(pam_unix) events",
        pam_sshd.len()
    );
    for e in pam_sshd {
        assert_eq!(e["activity_id"], 99, "{e}");
        assert!(
            e["activity_name"]
                .as_str()
                .is_some_and(|c| c.starts_with("PAM ")),
            "{e}"
        );
    }
}

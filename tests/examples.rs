//! The root examples, run end to end and checked: each example file is
//! compiled into this test as a module, and its `run` (or `main`) is called.
//! The built-in log lines are deterministic, so the results are known.

#![allow(missing_docs)]
// Each example is a program of its own with its own `mod common`; compiled
// together here, the shared file is loaded once per example, as intended.
#![allow(clippy::duplicate_mod)]

#[path = "../examples/quickstart.rs"]
#[allow(dead_code)]
mod quickstart;

#[path = "../examples/detections.rs"]
#[allow(dead_code)]
mod detections;

#[path = "../examples/linux_syslog_source.rs"]
#[allow(dead_code)]
mod linux_syslog_source;

#[path = "../examples/trend_micro_source.rs"]
#[allow(dead_code)]
mod trend_micro_source;

#[path = "../examples/register_custom_source.rs"]
#[allow(dead_code)]
mod register_custom_source;

#[path = "../examples/https_subscriber.rs"]
#[allow(dead_code)]
mod https_subscriber;

#[path = "../examples/sqs_subscriber.rs"]
#[allow(dead_code)]
mod sqs_subscriber;

#[path = "../examples/common/mod.rs"]
mod common;

use common::{BoxError, SCANNER, STUFFING_SOURCES};
use detections::SlidingWindow;

type TestResult = Result<(), BoxError>;

#[tokio::test]
async fn quickstart_counts_failed_logons_per_address() -> TestResult {
    let dir = tempfile::tempdir()?;
    let s = quickstart::run(dir.path()).await?;

    assert!(s.lines >= 400, "only {} built-in lines", s.lines);
    let auth = s
        .events_by_class
        .get("Authentication")
        .copied()
        .unwrap_or(0);
    assert!(auth >= 300, "{:?}", s.events_by_class);
    // The firewall lines are Network Activity; the unknown program's line
    // is kept as a Base Event.
    assert_eq!(
        s.events_by_class.get("Network Activity").copied(),
        Some((SCANNER.1 + 30) as u64)
    );
    assert_eq!(s.events_by_class.get("Base Event").copied(), Some(1));
    assert_eq!(s.fallbacks, 1);

    // Every class lands, each in its own source, with every event of it (issue 21: only the
    // Authentication events used to be written).
    let total: u64 = s.events_by_class.values().sum();
    assert!(s.events_by_class.len() >= 4, "{:?}", s.events_by_class);
    assert_eq!(s.rows_by_class, s.events_by_class);
    assert_eq!(s.rows_written, total);
    assert_eq!(s.dead_lettered, 0);
    let sources: std::collections::BTreeSet<&String> = s.source_by_class.values().collect();
    assert_eq!(
        sources.len(),
        s.events_by_class.len(),
        "{:?}",
        s.source_by_class
    );
    assert!(
        sources
            .iter()
            .all(|name| name.len() <= 20 && name.starts_with("bastion-"))
    );
    // The Authentication source is read back, typed.
    assert_eq!(s.events_read, auth);
    assert!(s.auth_objects >= 1);
    assert!(s.objects_written > s.auth_objects);
    assert_eq!(s.objects_read, s.auth_objects as u64);

    // The three stuffing addresses lead, with one failed logon per attempt;
    // the rest are the staff's few mistyped passwords.
    let top: Vec<(&str, u64)> = s
        .failed_logons
        .iter()
        .take(3)
        .map(|(ip, n)| (ip.as_str(), *n))
        .collect();
    let expected: Vec<(&str, u64)> = STUFFING_SOURCES
        .iter()
        .map(|(ip, n)| (*ip, *n as u64))
        .collect();
    assert_eq!(top, expected);
    let rest: u64 = s.failed_logons.iter().skip(3).map(|(_, n)| n).sum();
    assert_eq!(rest, 6, "{:?}", s.failed_logons);
    Ok(())
}

#[tokio::test]
async fn quickstart_twice_into_the_same_lake_gives_the_same_result() -> TestResult {
    // Object names are content hashes and puts are conditional: a rerun
    // writes the same objects, and a new subscriber reads them once each.
    let dir = tempfile::tempdir()?;
    let first = quickstart::run(dir.path()).await?;
    let second = quickstart::run(dir.path()).await?;
    assert_eq!(first.failed_logons, second.failed_logons);
    assert_eq!(first.objects_read, second.objects_read);
    Ok(())
}

#[tokio::test]
async fn detections_flag_the_stuffing_burst_and_the_port_scan_only() -> TestResult {
    let dir = tempfile::tempdir()?;
    let alerts = detections::run(dir.path()).await?;

    let mut stuffing: Vec<(String, u64)> = alerts
        .iter()
        .filter(|a| a.rule == "credential stuffing")
        .map(|a| (a.source_ip.clone(), a.events))
        .collect();
    stuffing.sort();
    let mut expected: Vec<(String, u64)> = STUFFING_SOURCES
        .iter()
        .map(|(ip, n)| ((*ip).to_owned(), *n as u64))
        .collect();
    expected.sort();
    assert_eq!(stuffing, expected);
    for a in alerts.iter().filter(|a| a.rule == "credential stuffing") {
        assert!(a.values.len() > 3, "many user names: {a:?}");
        assert!(a.last_ms - a.first_ms < 15 * 60_000, "{a:?}");
    }

    let scans: Vec<_> = alerts.iter().filter(|a| a.rule == "port scan").collect();
    assert_eq!(scans.len(), 1, "{alerts:?}");
    assert_eq!(scans[0].source_ip, SCANNER.0);
    assert_eq!(scans[0].values.len(), SCANNER.1);
    assert_eq!(alerts.len(), 4, "{alerts:?}");
    Ok(())
}

#[test]
fn sliding_window_counts_within_the_window_only() {
    // 5 events a minute apart never fill a 3-event, 90-second window...
    let mut slow = SlidingWindow::count("r", 90_000, 3);
    for i in 0..5 {
        slow.observe("10.0.0.1", i * 60_000, "u");
    }
    assert!(slow.alerts().is_empty());

    // ...while two bursts an hour apart make two alerts, each extended by
    // the events that follow within the window.
    let mut bursts = SlidingWindow::count("r", 90_000, 3);
    for start in [0, 3_600_000] {
        for i in 0..5 {
            bursts.observe("10.0.0.1", start + i * 1_000, &format!("u{i}"));
        }
    }
    bursts.observe("10.0.0.2", 10, "u");
    let alerts = bursts.alerts();
    assert_eq!(alerts.len(), 2);
    assert!(alerts.iter().all(|a| a.events == 5 && a.values.len() == 5));
    assert_eq!(alerts[1].first_ms, 3_600_000);

    // A late event lands at its time in the window.
    let mut late = SlidingWindow::count("r", 10_000, 3);
    late.observe("a", 20_000, "x");
    late.observe("a", 5_000, "x"); // outside the window of 20 000: pruned
    late.observe("a", 15_000, "x");
    assert!(late.alerts().is_empty());
    late.observe("a", 19_000, "x");
    assert_eq!(late.alerts().len(), 1);
    assert_eq!(late.alerts()[0].events, 3);

    // Distinct values: the same port again and again is not a scan.
    let mut ports = SlidingWindow::distinct("scan", 60_000, 3);
    for i in 0..10 {
        ports.observe("b", i * 100, "22");
    }
    assert!(ports.alerts().is_empty());
    ports.observe("b", 1_000, "23");
    ports.observe("b", 1_100, "25");
    assert_eq!(ports.alerts().len(), 1);
}

#[tokio::test]
async fn linux_syslog_source_writes_a_file_and_the_builtin_lines() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("auth.log");
    std::fs::write(
        &file,
        "Jun  9 12:00:00 bastion sshd[4242]: Accepted publickey for alice from 192.0.2.10 port 50022 ssh2: ED25519 SHA256:abc\n\
         Jun  9 12:00:05 bastion sshd[4243]: Failed password for root from 203.0.113.9 port 4022 ssh2\n\
         Jun  9 12:00:06 bastion CRON[77]: (root) CMD (run-parts /etc/cron.hourly)\n\
         garbage\n",
    )?;
    let report = linux_syslog_source::run(Some(&file), &dir.path().join("out")).await?;
    assert_eq!(report.lines, 4);
    assert_eq!(report.fallbacks, 1);
    // Every event lands, each class in its own source.
    let events: u64 = report.by_class.values().sum();
    assert_eq!(report.manifest.rows(), events);
    assert_eq!(report.by_class.get(&3002).copied(), Some(2));
    let mut sources: Vec<&str> = report
        .manifest
        .iter()
        .map(|o| o.key.split('/').nth(1).unwrap_or_default())
        .collect();
    sources.dedup();
    assert_eq!(sources.len(), report.by_class.len(), "{sources:?}");
    assert!(sources.contains(&"linux-authentic-3002"), "{sources:?}");
    for key in report.manifest.iter().map(|o| &o.key) {
        assert!(
            key.contains("/1.0/region=us-east-1/accountId=123456789012/eventDay="),
            "{key}"
        );
        assert!(dir.path().join("out/lake").join(key).is_file());
    }

    let builtin = linux_syslog_source::run(None, &dir.path().join("builtin")).await?;
    assert_eq!(
        builtin.manifest.rows(),
        builtin.by_class.values().sum::<u64>()
    );
    assert!(builtin.manifest.rows() >= 800);
    assert_eq!(builtin.stats.dead_lettered(), 0);
    assert!(
        builtin
            .manifest
            .iter()
            .all(|o| o.key.contains("/eventDay=20240610/"))
    );
    Ok(())
}

#[tokio::test]
async fn trend_micro_source_writes_findings_and_firewall_events() -> TestResult {
    let dir = tempfile::tempdir()?;
    let report = trend_micro_source::run(None, dir.path()).await?;
    // Anti-malware (2), intrusion prevention, log inspection.
    assert_eq!(report.findings.rows(), 4);
    // The firewall sweep (8), the allowed connection and web reputation.
    assert_eq!(report.network.rows(), 10);
    assert_eq!(report.fallbacks, 0);
    // The manager's failed sign-in is Authentication: in a catch-all source of its own.
    assert_eq!(report.others.rows(), 1);
    assert!(
        report.others.objects[0]
            .key
            .starts_with("ext/trend-authentic-3002/1.0/"),
        "{:?}",
        report.others
    );
    assert_eq!(report.stats.classes[&3002].accepted, 1);
    assert_eq!(report.stats.dead_lettered(), 0);
    for key in report
        .findings
        .iter()
        .chain(report.network.iter())
        .chain(report.others.iter())
        .map(|o| &o.key)
    {
        assert!(dir.path().join("lake").join(key).is_file(), "{key}");
        assert!(key.contains("/eventDay=20240610/"), "{key}");
    }
    Ok(())
}

#[test]
fn register_custom_source_runs_against_the_emulator() {
    // The example's own main (it builds its runtime), offline by default.
    if std::env::var_os("SECURITYLAKE_REAL_AWS").is_some() {
        eprintln!(
            "note: SECURITYLAKE_REAL_AWS is set; not running the example against AWS in tests"
        );
        return;
    }
    if let Err(err) = register_custom_source::main() {
        panic!("register_custom_source failed: {err}");
    }
}

#[test]
fn https_subscriber_receives_the_emulators_notifications() {
    if let Err(err) = https_subscriber::main() {
        panic!("https_subscriber failed: {err}");
    }
}

#[test]
fn sqs_subscriber_against_moto() {
    if std::env::var_os("MOTO_SERVER").is_none() {
        if std::env::var_os("SECLAKE_TEST_COMPLETE").is_some() {
            panic!(
                "SECLAKE_TEST_COMPLETE is set but MOTO_SERVER (moto_server) is unset: the sqs_subscriber example cannot run; `cargo xtask test` provisions the peers"
            );
        }
        eprintln!("note: MOTO_SERVER is unset; skipping the sqs_subscriber example");
        return;
    }
    if std::env::var_os("SECURITYLAKE_SQS_QUEUE").is_some() {
        eprintln!("note: SECURITYLAKE_SQS_QUEUE is set; not consuming a real queue in tests");
        return;
    }
    if let Err(err) = sqs_subscriber::main() {
        panic!("sqs_subscriber failed: {err}");
    }
}

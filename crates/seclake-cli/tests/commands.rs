//! `convert`, `validate`, `inspect`, `schema`, `publish --lake`, `lint` of a
//! clean lake, and `subscribe` of a local lake, run as the built binary.

mod common;

use common::{TestResult, fixture, parquet_files, run, run_with, s, seclake};

/// The reference clock of the fixtures: 2024-03-10 (year inference for `Mar  3`).
const REFERENCE: &str = "2024-03-10";

#[test]
fn convert_maps_syslog_to_ocsf_json_lines_with_stats() -> TestResult {
    let auth = fixture("auth.log");
    let out = run(&[
        "convert",
        "--from",
        s(&auth),
        "--reference-time",
        REFERENCE,
        "--tenant-uid",
        "123456789012",
        "--log-name",
        "auth.log",
    ])?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let events = out.json_lines()?;
    assert_eq!(events.len(), 4);
    assert_eq!(events[0]["class_name"], "Authentication");
    assert_eq!(events[0]["activity_name"], "Logon");
    assert_eq!(events[0]["metadata"]["tenant_uid"], "123456789012");
    assert_eq!(events[0]["metadata"]["log_name"], "auth.log");
    // 2024-03-03T08:15:01Z
    assert_eq!(events[0]["time"], 1_709_453_701_000_i64);
    assert_eq!(events[1]["status"], "Failure");
    assert_eq!(
        events[3]["class_uid"], 0,
        "an unknown program falls back to a Base Event"
    );
    assert!(
        out.stderr
            .contains("5 inputs (1 blank) -> 4 events: 3 mapped, 1 fallback"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("unknown_program"), "{}", out.stderr);
    Ok(())
}

/// OCSF JSON input (detected, or `--format ocsf-json`) is written in the version
/// `--to-version` names: the mappers' events taken to 1.3.0 and back read as the 1.1.0 events
/// (the round trip changes nothing), a 1.3.0 attribute 1.1.0 lacks is reported and kept in
/// `unmapped`, and `publish` refuses OCSF JSON (nothing to map).
#[test]
fn convert_targets_a_version_for_ocsf_json_input() -> TestResult {
    let dir = tempfile::tempdir()?;
    let auth = fixture("auth.log");
    let common = ["--reference-time", REFERENCE];
    let direct = run(&[&["convert", "--from", s(&auth)][..], &common[..]].concat())?;
    assert_eq!(direct.code, 0, "{}", direct.stderr);
    let v13 = dir.path().join("events-1.3.0.json");
    let out = run(&[
        &[
            "convert",
            "--from",
            s(&auth),
            "--to-version",
            "1.3.0",
            "--out",
            s(&v13),
        ][..],
        &common[..],
    ]
    .concat())?;
    assert_eq!(out.code, 0, "{}", out.stderr);

    // Detected as OCSF JSON, each event's own metadata.version (1.3.0) read.
    let back = run(&["convert", "--from", s(&v13), "--to-version", "1.1.0"])?;
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert_eq!(back.json_lines()?, direct.json_lines()?);
    assert!(
        back.stderr.contains(
            "4 OCSF JSON events -> 1.1.0 (0 already at that version); 0 values not held in place"
        ),
        "{}",
        back.stderr
    );

    // From stdin with the format named; a 1.3.0-only attribute is reported.
    let mut event = back.json_lines()?.remove(0);
    event["metadata"]["version"] = "1.3.0".into();
    event["user"]["risk_score"] = 80.into();
    let input = format!("[{event}]");
    let down = run_with(
        &mut seclake(),
        &["convert", "--format", "ocsf-json", "--to-version", "1.1.0"],
        Some(input.as_bytes()),
    )?;
    assert_eq!(down.code, 0, "{}", down.stderr);
    let lines = down.json_lines()?;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["metadata"]["version"], "1.1.0");
    assert_eq!(lines[0]["unmapped"]["user.risk_score"], "80");
    assert!(
        down.stderr.contains("1 values not held in place (1 absent"),
        "{}",
        down.stderr
    );

    // Up to 1.8.0 (through 1.3.0), and --from-version for events without one.
    if let Some(m) = event["metadata"].as_object_mut() {
        m.remove("version");
    }
    let input = event.to_string();
    let refused = run_with(
        &mut seclake(),
        &["convert", "--format", "ocsf-json", "--to-version", "1.8.0"],
        Some(input.as_bytes()),
    )?;
    assert_eq!(refused.code, 2, "no version known: {}", refused.stderr);
    let up = run_with(
        &mut seclake(),
        &[
            "convert",
            "--format",
            "ocsf-json",
            "--from-version",
            "1.3.0",
            "--to-version",
            "1.8.0",
        ],
        Some(input.as_bytes()),
    )?;
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert_eq!(up.json_lines()?[0]["metadata"]["version"], "1.8.0");

    let lake = dir.path().join("lake");
    std::fs::create_dir_all(&lake)?;
    let publish = run(&[
        "publish",
        "--from",
        s(&v13),
        "--lake",
        s(&lake),
        "--lake-region",
        "us-east-1",
        "--class",
        "authentication",
        "--source-name",
        "ocsf",
    ])?;
    assert_eq!(publish.code, 2, "{}", publish.stderr);
    assert!(publish.stderr.contains("OCSF JSON"), "{}", publish.stderr);
    Ok(())
}

#[test]
fn convert_to_version_writes_that_version_and_counts_the_report() -> TestResult {
    let auth = fixture("auth.log");
    for (version, line) in [
        ("1.3.0", "OCSF 1.1.0 -> 1.3.0: 0 values not held in place"),
        ("1.8.0", "OCSF 1.1.0 -> 1.8.0: 0 values not held in place"),
    ] {
        let out = run(&[
            "convert",
            "--from",
            s(&auth),
            "--reference-time",
            REFERENCE,
            "--to-version",
            version,
        ])?;
        assert_eq!(out.code, 0, "{}", out.stderr);
        let events = out.json_lines()?;
        assert_eq!(events.len(), 4);
        for e in &events {
            assert_eq!(e["metadata"]["version"], version);
        }
        assert_eq!(events[0]["class_uid"], 3002);
        assert_eq!(events[0]["activity_name"], "Logon");
        assert!(out.stderr.contains(line), "{}", out.stderr);
    }
    let out = run(&["convert", "--from", s(&auth), "--to-version", "1.2.0"])?;
    assert_ne!(out.code, 0, "an unsupported version is refused");
    Ok(())
}

#[test]
fn convert_reads_stdin_applies_the_zone_and_writes_a_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let target = dir.path().join("out.jsonl");
    let line =
        b"Mar  3 10:00:00 h sshd[1]: Accepted password for bob from 192.0.2.1 port 22 ssh2\n";
    let out = run_with(
        &mut seclake(),
        &[
            "convert",
            "--from",
            "-",
            "--zone",
            "+02:00",
            "--reference-time",
            REFERENCE,
            "--out",
            s(&target),
        ],
        Some(line),
    )?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    let written: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&target)?.trim())?;
    // 10:00 at +02:00 is 08:00 UTC.
    assert_eq!(written["time"], 1_709_452_800_000_i64);
    Ok(())
}

#[test]
fn convert_detects_cef_and_journald_export() -> TestResult {
    let cef = run(&[
        "convert",
        "--from",
        s(&fixture("ds.cef")),
        "--reference-time",
        REFERENCE,
    ])?;
    assert_eq!(cef.code, 0, "{}", cef.stderr);
    let events = cef.json_lines()?;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["class_uid"], 2004);
    assert_eq!(
        events[0]["metadata"]["product"]["vendor_name"],
        "Trend Micro"
    );
    assert!(
        cef.stderr.contains("deep-security mapper"),
        "{}",
        cef.stderr
    );

    let journal = run(&["convert", "--from", s(&fixture("journal.export"))])?;
    assert_eq!(journal.code, 0, "{}", journal.stderr);
    let events = journal.json_lines()?;
    assert_eq!(events[0]["class_uid"], 3002);
    assert_eq!(events[0]["device"]["hostname"], "db3");
    assert!(
        journal.stderr.contains("journald-export mapper"),
        "{}",
        journal.stderr
    );

    // Forcing a format: CEF read as Linux syslog is not recognized.
    let forced = run(&[
        "convert",
        "--from",
        s(&fixture("ds.cef")),
        "--format",
        "syslog",
        "--reference-time",
        REFERENCE,
    ])?;
    assert_eq!(forced.code, 0);
    assert_ne!(forced.json_lines()?[0]["class_uid"], 2004);
    Ok(())
}

#[test]
fn convert_reports_bad_input_with_exit_code_2() -> TestResult {
    let missing = run(&["convert", "--from", "/nonexistent/auth.log"])?;
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("no such file: /nonexistent/auth.log"),
        "{}",
        missing.stderr
    );
    let zone = run(&[
        "convert",
        "--from",
        s(&fixture("auth.log")),
        "--zone",
        "Mars/Olympus",
    ])?;
    assert_eq!(zone.code, 2);
    assert!(zone.stderr.contains("fixed UTC offset"), "{}", zone.stderr);
    let usage = run(&["convert", "--format", "xml"])?;
    assert_eq!(usage.code, 2);
    Ok(())
}

fn valid_event() -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    ocsf_model::validate::minimal_event(&ocsf_model::v1_1_0::SCHEMA, "authentication", &[])
        .ok_or_else(|| "no minimal event".into())
}

#[test]
fn validate_accepts_valid_events_and_reports_errors() -> TestResult {
    let dir = tempfile::tempdir()?;
    let good = valid_event()?;
    let mut bad = good.clone();
    bad["severity"] = "Not the caption".into();
    bad["x_extra"] = 1.into();

    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, format!("{good}\n\n{good}\n"))?;
    let ok = run(&["validate", s(&file)])?;
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(
        ok.stdout.contains("2 events: 2 valid, 0 invalid"),
        "{}",
        ok.stdout
    );

    let array = dir.path().join("array.json");
    std::fs::write(
        &array,
        serde_json::to_string_pretty(&serde_json::json!([good, bad]))?,
    )?;
    let found = run(&["validate", s(&array)])?;
    assert_eq!(found.code, 1, "{}", found.stdout);
    assert!(found.stdout.contains("event 2"), "{}", found.stdout);
    assert!(
        found.stdout.contains("sibling-mismatch"),
        "{}",
        found.stdout
    );
    assert!(found.stdout.contains("/x_extra"), "{}", found.stdout);

    let json = run_with(
        &mut seclake(),
        &["validate", "--json", "-"],
        Some(bad.to_string().as_bytes()),
    )?;
    assert_eq!(json.code, 1);
    let report = json.json()?;
    assert_eq!(report["invalid"], 1);
    let codes: Vec<&str> = report["results"][0]["issues"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        codes.contains(&"sibling-mismatch") && codes.contains(&"unknown-attribute"),
        "{codes:?}"
    );

    // Unknown attributes as warnings only.
    let lenient = run_with(
        &mut seclake(),
        &["validate", "--lenient", "--json"],
        Some(
            format!("{{\"a\":1}}\n{}", {
                let mut e = good.clone();
                e["x_extra"] = 1.into();
                e
            })
            .as_bytes(),
        ),
    )?;
    let report = lenient.json()?;
    assert_eq!(report["results"][1]["valid"], true, "{report}");
    Ok(())
}

#[test]
fn validate_applies_profiles() -> TestResult {
    let good = valid_event()?;
    // The cloud profile makes `cloud` required.
    let out = run_with(
        &mut seclake(),
        &["validate", "--profile", "cloud", "--json"],
        Some(good.to_string().as_bytes()),
    )?;
    assert_eq!(out.code, 1, "{}", out.stdout);
    let report = out.json()?;
    let paths: Vec<&str> = report["results"][0]["issues"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["path"].as_str()).collect())
        .unwrap_or_default();
    assert!(paths.contains(&"/cloud"), "{paths:?}");
    Ok(())
}

#[test]
fn validate_rejects_invalid_json_and_unknown_versions() -> TestResult {
    let out = run_with(
        &mut seclake(),
        &["validate"],
        Some(b"{\"class_uid\": 3002}\n{not json}\n"),
    )?;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("invalid JSON in stdin at line 2"),
        "{}",
        out.stderr
    );
    let version = run_with(
        &mut seclake(),
        &["validate", "--version", "9.9.9"],
        Some(b"{}"),
    )?;
    assert_eq!(version.code, 2);
    assert!(
        version.stderr.contains("not compiled into seclake"),
        "{}",
        version.stderr
    );
    let missing = run(&["validate", "/nonexistent/events.json"])?;
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("no such file"),
        "{}",
        missing.stderr
    );
    Ok(())
}

#[test]
fn schema_lists_attributes_and_enums() -> TestResult {
    let text = run(&["schema", "authentication", "--version", "1.1.0"])?;
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout
            .contains("Authentication (authentication) class_uid 3002"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .lines()
            .any(|l| l.starts_with("user ") && l.contains("required")),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("activity_id: 0=Unknown, 1=Logon"),
        "{}",
        text.stdout
    );

    let json = run(&["schema", "3002", "--json"])?;
    assert_eq!(json.code, 0);
    let schema = json.json()?;
    assert_eq!(schema["name"], "authentication");
    let cloud = schema["attributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "cloud"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(cloud["profiles"][0], "cloud");
    assert_eq!(cloud["type"], "object_t");

    let list = run(&["schema", "--list"])?;
    assert!(list.stdout.contains("authentication"));

    let unknown = run(&["schema", "foo"])?;
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("unknown class 'foo' for OCSF 1.1.0; try `seclake schema --list`"),
        "{}",
        unknown.stderr
    );
    Ok(())
}

#[test]
fn inspect_rejects_missing_and_non_parquet_files() -> TestResult {
    let missing = run(&["inspect", "/nonexistent/x.parquet"])?;
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("no such file: /nonexistent/x.parquet"),
        "{}",
        missing.stderr
    );
    let not_parquet = run(&["inspect", s(&fixture("auth.log"))])?;
    assert_eq!(not_parquet.code, 2);
    assert!(
        not_parquet.stderr.contains("not a Parquet file")
            && not_parquet.stderr.contains("magic bytes missing"),
        "{}",
        not_parquet.stderr
    );
    Ok(())
}

/// Converts the auth.log fixture into a lake; returns (lake dir, spool dir guard).
fn lake_from_fixture(dir: &std::path::Path) -> Result<common::Run, std::io::Error> {
    run(&[
        "convert",
        "--from",
        s(&fixture("auth.log")),
        "--reference-time",
        REFERENCE,
        "--lake",
        s(&dir.join("lake")),
        "--class",
        "authentication",
        "--source-name",
        "linuxauth",
        "--source-version",
        "1.0",
        "--lake-region",
        "eu-west-1",
        "--account-id",
        "123456789012",
        "--spool-dir",
        s(&dir.join("spool")),
        "--json",
    ])
}

#[test]
fn a_lake_written_by_the_writer_inspects_lints_clean_and_subscribes() -> TestResult {
    let dir = tempfile::tempdir()?;
    // The lake directory does not exist yet: the command creates it.
    assert!(!dir.path().join("lake").exists());
    let out = lake_from_fixture(dir.path())?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let manifest = out.json()?;
    assert_eq!(manifest["rows"], 3, "{manifest}");
    assert_eq!(manifest["events_skipped"], 1);
    // The mappers' events fit the full schema: nothing was left out.
    assert_eq!(
        manifest["encoding"],
        serde_json::json!({"unknown_attributes": 0, "invalid_datetimes": 0, "out_of_range": 0, "left_out": 0}),
        "{manifest}"
    );
    let objects = manifest["objects"].as_array().cloned().unwrap_or_default();
    assert_eq!(objects.len(), 2, "two event days");
    let key = objects[0]["key"].as_str().unwrap_or_default();
    assert!(
        key.starts_with(
            "ext/linuxauth/1.0/region=eu-west-1/accountId=123456789012/eventDay=20240303/"
        ),
        "{key}"
    );

    let files = parquet_files(&dir.path().join("lake"));
    assert_eq!(files.len(), 2);
    let inspect = run(&["inspect", s(&files[0]), "--rows", "5"])?;
    assert_eq!(inspect.code, 0, "{}", inspect.stderr);
    assert!(
        inspect
            .stdout
            .contains("class:       Authentication (3002)"),
        "{}",
        inspect.stdout
    );
    assert!(
        inspect.stdout.contains("version:     1.1.0"),
        "{}",
        inspect.stdout
    );
    assert!(
        inspect.stdout.contains("rows:        2"),
        "{}",
        inspect.stdout
    );
    assert!(
        inspect.stdout.contains("source:      linuxauth"),
        "{}",
        inspect.stdout
    );
    let rows: Vec<serde_json::Value> = inspect
        .stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["class_name"], "Authentication");
    assert!(
        inspect.stderr.contains("as typed events"),
        "{}",
        inspect.stderr
    );

    let json = run(&["inspect", "--json", s(&files[1])])?;
    let info = json.json()?;
    assert_eq!(info["class_uid"], 3002);
    assert_eq!(info["rows"], 1);
    assert!(info["codecs"].to_string().contains("ZSTD"), "{info}");

    let lint = run(&["lint", s(&dir.path().join("lake"))])?;
    assert_eq!(lint.code, 0, "{}", lint.stdout);
    assert!(
        lint.stdout.contains("2 objects checked: 0 errors"),
        "{}",
        lint.stdout
    );

    let sub = run(&["subscribe", "--lake", s(&dir.path().join("lake")), "--once"])?;
    assert_eq!(sub.code, 0, "{}", sub.stderr);
    let events = sub.json_lines()?;
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e["class_uid"] == 3002));
    assert!(sub.stderr.contains("2 objects processed"), "{}", sub.stderr);

    // --exec pipes each event to a command; --max-objects stops the watch.
    let sink = dir.path().join("sink.jsonl");
    let exec = run(&[
        "subscribe",
        "--lake",
        s(&dir.path().join("lake")),
        "--prefix",
        "ext/linuxauth/",
        "--max-objects",
        "2",
        "--exec",
        &format!("cat >> '{}'", s(&sink)),
    ])?;
    assert_eq!(exec.code, 0, "{}", exec.stderr);
    assert!(exec.stdout.is_empty());
    let piped = std::fs::read_to_string(&sink)?;
    assert_eq!(piped.lines().count(), 3);
    Ok(())
}

/// Every regular file under `dir`, relative, sorted.
fn files_under(dir: &std::path::Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push(rel.display().to_string());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Publishing the same file twice makes the same objects: its frames are cut by the writes
/// alone (`Durability::OnFlush`), never by the clock, so the content-derived keys repeat and a
/// rerun after a failure duplicates nothing. The file is large enough that its publish spans
/// several of the one-second intervals a clock-driven writer would cut frames at.
#[test]
fn publishing_a_file_again_makes_the_same_objects() -> TestResult {
    let dir = tempfile::tempdir()?;
    let log = dir.path().join("auth.log");
    let mut text = String::new();
    for i in 0..60_000 {
        // Times in order (one sorted run per file, whose frames are its row groups' batches).
        let t = i / 20;
        let (m, sec) = (t / 60, t % 60);
        text.push_str(&match i % 3 {
            0 => format!("Jun  9 10:{m:02}:{sec:02} bastion sshd[{i}]: Accepted publickey for u{} from 192.0.2.{} port {i} ssh2\n", i % 97, i % 250),
            1 => format!("Jun  9 10:{m:02}:{sec:02} bastion sshd[{i}]: Failed password for invalid user x{} from 198.51.100.{} port 22 ssh2\n", i % 89, i % 250),
            _ => format!("Jun  9 10:{m:02}:{sec:02} bastion sshd[{i}]: Disconnected from user u{} 192.0.2.{} port {i}\n", i % 97, i % 250),
        });
    }
    std::fs::write(&log, text)?;
    let publish = |lake: &str| {
        run(&[
            "publish",
            "--from",
            s(&log),
            "--reference-time",
            REFERENCE,
            "--lake",
            s(&dir.path().join(lake)),
            "--lake-region",
            "us-east-1",
            "--class",
            "authentication",
            "--max-file-bytes",
            "2000000",
            "--spool-dir",
            s(&dir.path().join(format!("spool-{lake}"))),
            "--json",
        ])
    };
    let first = publish("one")?;
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(first.json()?["rows"], 60_000);
    let second = publish("two")?;
    assert_eq!(second.code, 0, "{}", second.stderr);
    let (one, two) = (
        files_under(&dir.path().join("one"))?,
        files_under(&dir.path().join("two"))?,
    );
    assert!(one.len() > 1, "{one:?}");
    assert_eq!(one, two, "the same file made other objects");
    Ok(())
}

/// `publish --lake` without `--class` writes every class the mapper emitted, each to its own
/// custom source named from the prefix, into directories it creates; `--class` narrows it.
#[test]
fn publish_to_a_local_lake_writes_every_class_to_its_own_source() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake = dir.path().join("new/lake");
    let out = run(&[
        "publish",
        "--from",
        s(&fixture("auth.log")),
        "--reference-time",
        REFERENCE,
        "--lake",
        s(&lake),
        "--lake-region",
        "us-east-1",
        "--source-prefix",
        "bastion",
        "--spool-dir",
        s(&dir.path().join("spool")),
        "--dead-letters",
        s(&dir.path().join("dl/letters.jsonl")),
        "--json",
    ])?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let manifest = out.json()?;
    assert_eq!(manifest["rows"], 4, "{manifest}");
    assert_eq!(manifest["events_skipped"], 0);
    assert_eq!(manifest["events_dead_lettered"], 0);
    // Every class of the mapper has a destination; the two the log holds were written.
    let classes = manifest["classes"].as_array().ok_or("classes")?;
    let written: Vec<(String, u64, u64)> = classes
        .iter()
        .filter(|c| c["events"].as_u64() > Some(0))
        .map(|c| {
            (
                c["location"].as_str().unwrap_or_default().to_owned(),
                c["events"].as_u64().unwrap_or(0),
                c["rows"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        written,
        [
            ("s3://local/ext/bastion-base-event-0/".to_owned(), 1, 1),
            ("s3://local/ext/bastion-authent-3002/".to_owned(), 3, 3),
        ],
        "{manifest}"
    );
    // One source directory per written class, Parquet only, nothing dead-lettered.
    let files = files_under(&lake)?;
    assert!(
        files.iter().all(|f| f.ends_with(".zstd.parquet")),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("ext/bastion-base-event-0/region=us-east-1/"))
    );
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("ext/bastion-authent-3002/region=us-east-1/"))
    );
    assert!(!dir.path().join("dl/letters.jsonl").exists());

    let unknown = run(&[
        "publish",
        "--from",
        s(&fixture("auth.log")),
        "--lake",
        s(dir.path()),
        "--lake-region",
        "us-east-1",
        "--class",
        "foo",
        "--source-name",
        "x",
    ])?;
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown class 'foo'"),
        "{}",
        unknown.stderr
    );
    // One source name cannot hold several classes.
    let two = run(&[
        "publish",
        "--from",
        s(&fixture("auth.log")),
        "--lake",
        s(dir.path()),
        "--lake-region",
        "us-east-1",
        "--source-name",
        "x",
    ])?;
    assert_eq!(two.code, 2);
    assert!(two.stderr.contains("--source-prefix"), "{}", two.stderr);
    let text = run(&[
        "publish",
        "--from",
        s(&fixture("auth.log")),
        "--reference-time",
        REFERENCE,
        "--lake",
        s(dir.path()),
        "--lake-region",
        "us-east-1",
        "--class",
        "Authentication",
        "--source-name",
        "plain",
        "--spool-dir",
        s(&dir.path().join("spool-plain")),
    ])?;
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stdout.contains("2 objects, 3 rows"), "{}", text.stdout);
    assert!(
        text.stdout.contains(
            "authentication (3002)\ts3://local/ext/plain/\t3 events\t2 objects\t0 dead-lettered"
        ),
        "{}",
        text.stdout
    );
    assert!(
        text.stderr.contains("1 events of other classes skipped"),
        "{}",
        text.stderr
    );
    Ok(())
}

/// An event whose time lies far ahead of the clock is dead-lettered with its reason; the rest
/// of the input lands and the command succeeds.
#[test]
fn publish_dead_letters_an_event_from_the_future_and_lands_the_rest() -> TestResult {
    let dir = tempfile::tempdir()?;
    let log = dir.path().join("auth.log");
    let mut text = std::fs::read_to_string(fixture("auth.log"))?;
    text.push_str(
        "<38>1 2099-01-01T00:00:00Z bastion sshd 2400 - - Accepted password for eve from 198.51.100.41 port 40101 ssh2\n",
    );
    std::fs::write(&log, text)?;
    let letters = dir.path().join("letters.jsonl");
    let out = run(&[
        "publish",
        "--from",
        s(&log),
        "--reference-time",
        REFERENCE,
        "--lake",
        s(&dir.path().join("lake")),
        "--lake-region",
        "us-east-1",
        "--class",
        "authentication",
        "--spool-dir",
        s(&dir.path().join("spool")),
        "--dead-letters",
        s(&letters),
        "--json",
    ])?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let manifest = out.json()?;
    assert_eq!(manifest["rows"], 3, "{manifest}");
    assert_eq!(manifest["events_dead_lettered"], 1, "{manifest}");
    assert_eq!(manifest["classes"][0]["dead_lettered"], 1, "{manifest}");
    assert!(out.stderr.contains("dead-lettered to"), "{}", out.stderr);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&letters)?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["cause"], "refused");
    assert_eq!(lines[0]["class_uid"], 3002);
    assert!(
        lines[0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("ahead"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[0]["event"]["user"]["name"], "eve");
    Ok(())
}

#[test]
fn subscribe_and_lint_reject_missing_directories() -> TestResult {
    let out = run(&["subscribe", "--lake", "/nonexistent/lake", "--once"])?;
    assert_eq!(out.code, 2, "{}", out.stderr);
    let lint = run(&["lint", "/nonexistent/lake"])?;
    assert_eq!(lint.code, 2);
    assert!(lint.stderr.contains("no such file"), "{}", lint.stderr);
    Ok(())
}

/// `seclake convert ... | head -1`: the reader closes the pipe after one line; the command ends
/// quietly (exit 0, no error message) instead of failing on the write to the closed pipe.
#[test]
fn a_closed_output_pipe_ends_the_command_quietly() -> TestResult {
    use std::io::{BufRead, Write};
    let dir = tempfile::tempdir()?;
    // Far more JSON than a pipe buffers, so the command is still writing when the pipe closes.
    let log = dir.path().join("auth.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&log)?);
    for i in 0..20_000 {
        writeln!(
            file,
            "Mar  3 08:15:09 bastion sshd[{}]: Failed password for invalid user admin from 203.0.113.77 port {} ssh2",
            1000 + i,
            1024 + i % 60_000
        )?;
    }
    file.flush()?;
    drop(file);
    let mut child = seclake()
        .args(["convert", "--from", s(&log), "--reference-time", REFERENCE])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut first = String::new();
    std::io::BufReader::new(stdout).read_line(&mut first)?;
    // The reader (and the pipe) is gone here.
    let out = child.wait_with_output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(first.starts_with('{'), "{first}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    Ok(())
}

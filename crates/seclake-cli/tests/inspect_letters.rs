//! `seclake inspect` of a dead-letter file written by `seclake publish`: a summary per cause,
//! reason and class with the time range, the first letters with `--rows`, the same as JSON;
//! a file that is neither Parquet nor dead letters is a clear error.

mod common;

use common::{TestResult, fixture, run, s};

/// Publishes the OpenSSH fixture and two logons far ahead of the clock; the dead-letter file.
fn dead_letters(dir: &std::path::Path) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    let log = dir.join("auth.log");
    let mut text = std::fs::read_to_string(fixture("auth.log"))?;
    text.push_str("<38>1 2099-01-01T00:00:00Z bastion sshd 2400 - - Accepted password for eve from 198.51.100.41 port 40101 ssh2\n");
    text.push_str("<38>1 2099-06-01T12:00:00Z bastion sshd 2401 - - Accepted password for mallory from 198.51.100.42 port 40102 ssh2\n");
    std::fs::write(&log, text)?;
    let letters = dir.join("letters.jsonl");
    let out = run(&[
        "publish",
        "--from",
        s(&log),
        "--reference-time",
        "2024-03-10",
        "--lake",
        s(&dir.join("lake")),
        "--lake-region",
        "us-east-1",
        "--spool-dir",
        s(&dir.join("spool")),
        "--dead-letters",
        s(&letters),
    ])?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    Ok(letters)
}

#[test]
fn a_dead_letter_file_is_summarised() -> TestResult {
    let dir = tempfile::tempdir()?;
    let letters = dead_letters(dir.path())?;
    let out = run(&["inspect", s(&letters)])?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    for wanted in [
        "kind:        dead letters",
        "letters:     2",
        "time:        2099-01-01T00:00:00.000Z .. 2099-06-01T12:00:00.000Z",
        "refused        2",
        "Authentication (3002)        2",
        "ahead",
    ] {
        assert!(
            out.stdout.contains(wanted),
            "{wanted:?} not in\n{}",
            out.stdout
        );
    }
    // No letter printed without --rows.
    assert!(!out.stdout.contains("mallory"), "{}", out.stdout);

    let out = run(&["inspect", s(&letters), "--rows", "1"])?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let printed: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(printed.len(), 1, "{}", out.stdout);
    assert_eq!(printed[0]["event"]["user"]["name"], "eve");
    assert!(
        printed[0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("ahead")
    );

    let out = run(&["inspect", s(&letters), "--json", "--rows", "5"])?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let summary = out.json()?;
    assert_eq!(summary["kind"], "dead-letters", "{summary}");
    assert_eq!(summary["letters"], 2, "{summary}");
    assert_eq!(summary["causes"]["refused"], 2, "{summary}");
    assert_eq!(summary["classes"][0]["class_uid"], 3002, "{summary}");
    assert_eq!(summary["classes"][0]["letters"], 2, "{summary}");
    assert_eq!(
        summary["classes"][0]["class_caption"], "Authentication",
        "{summary}"
    );
    assert_eq!(
        summary["first_time"], "2099-01-01T00:00:00.000Z",
        "{summary}"
    );
    assert_eq!(
        summary["last_time"], "2099-06-01T12:00:00.000Z",
        "{summary}"
    );
    let reasons: u64 = summary["reasons"]
        .as_array()
        .ok_or("no reasons")?
        .iter()
        .map(|r| r["letters"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(reasons, 2, "{summary}");
    assert_eq!(summary["rows"].as_array().map(Vec::len), Some(2));
    assert_eq!(summary["rows"][1]["event"]["user"]["name"], "mallory");
    Ok(())
}

#[test]
fn a_file_that_is_neither_parquet_nor_dead_letters_is_a_clear_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "")?;
    let json = dir.path().join("other.jsonl");
    std::fs::write(&json, "{\"class_uid\":3002}\n")?;
    for file in [fixture("auth.log"), empty, json] {
        let out = run(&["inspect", s(&file)])?;
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr
                .contains("not a Parquet file (magic bytes missing) and not a dead-letter file"),
            "{}",
            out.stderr
        );
    }
    Ok(())
}

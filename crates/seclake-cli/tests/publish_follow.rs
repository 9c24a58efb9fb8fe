//! `seclake publish --follow`: a growing file is published continuously by `seclake run`'s
//! machinery; SIGTERM flushes and commits; a restart resumes without repeating; what it does
//! not support is refused with a message. The dead letters it keeps are read by `inspect`.

mod agent;
mod common;

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;

use agent::{Agent, Setup, TestResult, caught_up_in, compare, convert, json_rows, lake_rows};

/// An sshd logon a long way ahead of the clock: its writer refuses it (a dead letter).
const FUTURE: &str = "<38>1 2099-01-01T00:00:00Z bastion sshd 2400 - - Accepted password for eve from 198.51.100.41 port 40101 ssh2\n";

/// Starts `seclake publish --follow` of `log` into the setup's lake (default state directory).
fn follow(setup: &Setup, log: &Path) -> TestResult<Agent> {
    let lake = setup.lake();
    let args: [&OsStr; 12] = [
        "publish".as_ref(),
        "--follow".as_ref(),
        "--from".as_ref(),
        log.as_os_str(),
        "--lake".as_ref(),
        lake.as_os_str(),
        "--lake-region".as_ref(),
        "us-east-1".as_ref(),
        "--format".as_ref(),
        "linux".as_ref(),
        "--source-prefix".as_ref(),
        "app".as_ref(),
    ];
    Agent::spawn(&args)
}

fn append(path: &Path, text: &str) -> TestResult {
    let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// The dead letters as `seclake inspect --json` summarises them.
fn inspect_letters(path: &Path) -> TestResult<serde_json::Value> {
    let run = common::run(&["inspect", common::s(path), "--json", "--rows", "5"])?;
    assert_eq!(run.code, 0, "{}", run.stderr);
    Ok(run.json()?)
}

#[test]
fn a_followed_file_lands_once_and_a_restart_resumes_without_repeating() -> TestResult {
    let setup = Setup::new()?;
    let log = setup.path("app.log");
    let state = setup.lake().join(".seclake/publish-follow");
    let mut text = agent::numbered_lines(0, 300);
    std::fs::write(&log, format!("{text}{FUTURE}"))?;

    let agent = follow(&setup, &log)?;
    agent::wait_for("the first lines to be committed", || {
        caught_up_in(&state, "app.log", &log)
    })?;
    // The file grows while followed.
    let more = agent::numbered_lines(300, 200);
    append(&log, &more)?;
    text.push_str(&more);
    agent::wait_for("the appended lines to be committed", || {
        caught_up_in(&state, "app.log", &log)
    })?;
    let (code, stderr) = agent.terminate()?;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("summary: app.log: 501 lines"), "{stderr}");
    let expected = json_rows(&convert(&setup, &text, &[])?)?;
    let rows = lake_rows(&setup.lake())?;
    assert_eq!(compare(&expected, &rows), (0, 0, 0), "{stderr}");
    // Every class in its own source, named from the prefix.
    let sources: Vec<String> = std::fs::read_dir(setup.lake().join("ext"))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    assert!(sources.len() >= 5, "{sources:?}");
    assert!(sources.iter().all(|s| s.starts_with("app-")), "{sources:?}");
    let letters_file = state.join("inputs/app.log/dead-letters.jsonl");
    let letters = inspect_letters(&letters_file)?;
    assert_eq!(letters["letters"], 1, "{letters}");
    assert_eq!(letters["rows"][0]["event"]["user"]["name"], "eve");

    // Lines written while it was down are published by the next start, and only they.
    let later = agent::numbered_lines(500, 100);
    append(&log, &later)?;
    text.push_str(&later);
    let agent = follow(&setup, &log)?;
    agent::wait_for("the later lines to be committed", || {
        caught_up_in(&state, "app.log", &log)
    })?;
    let (code, stderr) = agent.terminate()?;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("summary: app.log: 100 lines"), "{stderr}");
    let expected = json_rows(&convert(&setup, &text, &[])?)?;
    assert_eq!(
        compare(&expected, &lake_rows(&setup.lake())?),
        (0, 0, 0),
        "{stderr}"
    );
    assert_eq!(inspect_letters(&letters_file)?["letters"], 1);
    Ok(())
}

#[test]
fn what_follow_does_not_support_is_refused_before_anything_runs() -> TestResult {
    let setup = Setup::new()?;
    let log = setup.path("app.log");
    std::fs::write(&log, agent::numbered_lines(0, 8))?;
    let (log, lake) = (common::s(&log), setup.lake());
    let lake = common::s(&lake);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--from", log], "give --lake DIR"),
        (
            vec!["--from", "-", "--lake", lake],
            "stdin cannot be followed",
        ),
        (
            vec!["--from", log, "--lake", lake, "--class", "authentication"],
            "--follow does not take --class",
        ),
        (
            vec!["--from", log, "--lake", lake, "--format", "journald-export"],
            "journald export format is not followed",
        ),
        (
            vec!["--from", log, "--lake", lake, "--location", "s3://b/ext/x/"],
            "cannot be used with",
        ),
    ];
    for (extra, wanted) in cases {
        let mut args = vec!["publish", "--follow", "--lake-region", "us-east-1"];
        args.extend(extra);
        let run = common::run(&args)?;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(wanted),
            "{wanted:?} not in {}",
            run.stderr
        );
        assert!(!setup.lake().exists(), "{args:?}");
    }
    // --state-dir belongs to --follow.
    let run = common::run(&["publish", "--from", log, "--lake", lake, "--state-dir", "x"])?;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--follow"), "{}", run.stderr);
    Ok(())
}

//! `seclake run` killed (SIGKILL) at random points, again and again: after the last restart,
//! ended by SIGTERM, every input line is in the lake exactly once (counted by reading the
//! lake back), for a followed file that grows and rotates and for an OCSF JSON file.

mod agent;
mod common;

use std::io::Write;
use std::time::Duration;

use agent::{
    Agent, Rng, Setup, TestResult, caught_up, compare, convert, json_rows, lake_rows,
    numbered_lines, seed, wait_for,
};
use common::emulator::{emulator_with, var};

const KILLS: u64 = 22;

/// Appends `text` to the file at `path` (created if absent).
fn append(path: &std::path::Path, text: &str) -> TestResult {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

#[test]
fn a_followed_file_that_grows_and_rotates_lands_exactly_once_across_sigkills() -> TestResult {
    followed_file_exactly_once(KILLS, false)
}

#[test]
fn a_followed_file_written_to_s3_lands_exactly_once_across_sigkills() -> TestResult {
    followed_file_exactly_once(5, true)
}

/// A followed file growing and rotating, the agent SIGKILLed `kills` times, then ended by
/// SIGTERM: every line in the lake once. `s3`: the lake is the emulator's bucket (read back
/// from its data directory), else a local directory.
fn followed_file_exactly_once(kills: u64, s3: bool) -> TestResult {
    let mut rng = Rng(seed());
    let setup = Setup::new()?;
    let log = setup.path("logs/app.log");
    std::fs::create_dir_all(setup.path("logs"))?;
    let data = setup.path("s3");
    let (_emulator, env) = if s3 {
        let (guard, env) = emulator_with(Some(&data))?;
        (Some(guard), env)
    } else {
        (None, Vec::new())
    };
    let target = if s3 {
        format!(
            "bucket = \"{}\"\nendpoint_url = \"{}\"",
            var(&env, "SECLAKE_LAKE_BUCKET"),
            var(&env, "AWS_ENDPOINT_URL")
        )
    } else {
        "dir = \"lake\"".to_owned()
    };
    let config = setup.config_in(
        &target,
        "flush_interval_secs = 1\nbatch_lines = 40",
        &format!(
            "[[inputs]]\nname = \"app\"\nkind = \"follow\"\npath = \"{}\"\nformat = \"linux\"\nsource_prefix = \"app\"\n",
            log.display()
        ),
    )?;
    let mut all = String::new();
    let mut next = 0;
    let (mut renames, mut truncations, mut replays) = (0, 0, 0);
    for round in 0..kills {
        let agent = Agent::start_env(&config, &env)?;
        let count = 20 + rng.below(200);
        let text = numbered_lines(next, count);
        next += count;
        all.push_str(&text);
        append(&log, &text)?;
        // A rotation every few rounds, once the agent committed the whole file (as with
        // `tail -F`, what a copy-truncate cuts before it was read is not read).
        if round % 4 == 3 || (kills < 8 && round == 1) {
            wait_for("the agent to catch up", || caught_up(&setup, "app", &log))?;
            if round % 8 == 3 {
                let rotated = setup.path(&format!("logs/app.log.{round}"));
                std::fs::rename(&log, rotated)?;
                renames += 1;
            } else {
                std::fs::copy(&log, setup.path(&format!("logs/app.log.{round}")))?;
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&log)?
                    .set_len(0)?;
                truncations += 1;
            }
            let count = 1 + rng.below(100);
            let text = numbered_lines(next, count);
            next += count;
            all.push_str(&text);
            append(&log, &text)?;
        }
        std::thread::sleep(Duration::from_millis(rng.below(1200)));
        replays += u64::from(agent.kill()?.contains("replaying"));
    }
    // The last restart, ended by SIGTERM once it caught up.
    let agent = Agent::start_env(&config, &env)?;
    wait_for("the agent to catch up", || caught_up(&setup, "app", &log))?;
    let (code, stderr) = agent.terminate()?;
    assert_eq!(code, 0, "{stderr}");

    let expected = json_rows(&convert(&setup, &all, &[])?)?;
    let rows = lake_rows(&if s3 { data.join("_lake") } else { setup.lake() })?;
    let (duplicates, missing, extra) = compare(&expected, &rows);
    eprintln!(
        "{} lake: {next} lines, {} events expected, {} rows in the lake; {kills} SIGKILLs, {replays} runs replayed a pending flush, {renames} renames, {truncations} copy-truncates; duplicates {duplicates}, missing {missing}, unexpected {extra}",
        if s3 { "S3" } else { "local" },
        expected.values().sum::<u64>(),
        rows.values().sum::<u64>()
    );
    assert!(!rows.is_empty());
    if kills >= 8 {
        assert!(renames >= 2 && truncations >= 2);
    }
    assert_eq!((duplicates, missing, extra), (0, 0, 0), "{stderr}");
    Ok(())
}

#[test]
fn an_ocsf_json_file_lands_exactly_once_and_each_refused_event_is_dead_lettered_once() -> TestResult
{
    ocsf_json_exactly_once(KILLS, false)
}

#[test]
fn an_ocsf_json_file_of_arrays_lands_exactly_once_across_sigkills() -> TestResult {
    ocsf_json_exactly_once(8, true)
}

/// JSON lines as top-level arrays of their events: a few events per line, separated by
/// `,` and newlines or spaces (the splitter finds each element, not each line).
fn as_array(lines: &str) -> String {
    let events: Vec<&str> = lines.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut text = String::from("[\n");
    for (i, event) in events.iter().enumerate() {
        text.push_str(event);
        if i + 1 < events.len() {
            text.push_str(if i % 3 == 2 { ",\n  " } else { ", " });
        }
    }
    text.push_str("\n]\n");
    text
}

/// An OCSF JSON file (JSON lines, or `arrays`: top-level arrays and objects) read by an
/// agent SIGKILLed `kills` times, then to its end: every event in the lake once, each
/// refused one in the dead letters once.
fn ocsf_json_exactly_once(kills: u64, arrays: bool) -> TestResult {
    let mut rng = Rng(seed());
    let setup = Setup::new()?;
    // Valid OCSF JSON of several classes, half of it as OCSF 1.3.0, from our own mapper.
    let v110 = convert(&setup, &numbered_lines(0, 600), &[])?;
    let v130 = convert(
        &setup,
        &numbered_lines(600, 600),
        &["--to-version", "1.3.0"],
    )?;
    let invalid =
        r#"{"class_uid": 3002, "metadata": {"version": "1.1.0"}, "raw_data": "the invalid one"}"#;
    // A valid event a writer refuses: its time is far ahead of the clock.
    let mut future: serde_json::Value =
        serde_json::from_str(v110.lines().next().ok_or("no event")?)?;
    future["time"] = 4_102_444_800_000i64.into();
    future["raw_data"] = "the future one".into();
    let (v130_head, v130_tail) = v130.split_at(v130.len() / 2);
    let split = v130_head.rfind('\n').map_or(0, |i| i + 1);
    let (v130_head, v130_tail) = (
        &v130[..split],
        format!("{}{v130_tail}", &v130_head[split..]),
    );
    let mut text = if arrays {
        as_array(&v110)
    } else {
        v110.clone()
    };
    text.push_str(invalid);
    text.push('\n');
    let future = if arrays {
        // The refused event inside an array of its own, the second half of the 1.3.0 events
        // on one line.
        format!("[{future}]\n")
    } else {
        format!("{future}\n")
    };
    if arrays {
        text.push_str(&as_array(v130_head));
        text.push_str(&future);
        text.push_str(&as_array(&v130_tail).replace('\n', " "));
        text.push('\n');
    } else {
        text.push_str(v130_head);
        text.push_str(&future);
        text.push_str(&v130_tail);
    }
    // Where the last event ends: the committed offset at the end.
    let last = text.rfind('}').map_or(0, |i| i as u64 + 1);
    let input = setup.path("events.json");
    std::fs::write(&input, &text)?;
    let config = setup.config(
        "flush_interval_secs = 1\nbatch_lines = 150",
        &format!(
            "[[inputs]]\nname = \"events\"\nkind = \"ocsf-json\"\npath = \"{}\"\nsource_prefix = \"partner\"\n",
            input.display()
        ),
    )?;
    let (mut ended, mut replays) = (0, 0);
    for _ in 0..kills {
        let mut agent = Agent::start(&config)?;
        std::thread::sleep(Duration::from_millis(rng.below(1200)));
        if agent.ended()? {
            ended += 1;
        }
        replays += u64::from(agent.kill()?.contains("replaying"));
    }
    // The last run reads the rest to the end of the file and ends by itself.
    let (code, stderr) = Agent::start(&config)?.wait()?;
    assert_eq!(code, 0, "{stderr}");
    if arrays {
        assert_eq!(
            setup.committed("events")?.map(|(offset, _)| offset),
            Some(last),
            "{stderr}"
        );
    } else {
        assert!(caught_up(&setup, "events", &input)?, "{stderr}");
    }

    let mut expected = json_rows(&v110)?;
    for (key, n) in json_rows(&v130)? {
        *expected.entry(key).or_insert(0) += n;
    }
    let rows = lake_rows(&setup.lake())?;
    let (duplicates, missing, extra) = compare(&expected, &rows);
    let classes: std::collections::BTreeSet<i32> = rows.keys().map(|(c, _)| *c).collect();
    eprintln!(
        "{} {} events expected, {} rows in the lake, classes {classes:?}; {kills} SIGKILLs ({ended} after the run ended, {replays} runs replayed a pending flush); duplicates {duplicates}, missing {missing}, unexpected {extra}",
        if arrays { "arrays:" } else { "lines:" },
        expected.values().sum::<u64>(),
        rows.values().sum::<u64>()
    );
    assert!(classes.len() >= 3, "{classes:?}");
    assert_eq!((duplicates, missing, extra), (0, 0, 0), "{stderr}");
    // Each refused event is dead-lettered exactly once, with its reason.
    let letters = setup.dead_letters("events")?;
    assert_eq!(letters.len(), 2, "{letters:?}");
    let reason = |raw: &str| {
        letters
            .iter()
            .find(|l| l["event"]["raw_data"] == raw)
            .and_then(|l| l["reason"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        reason("the invalid one").contains("activity_id"),
        "{letters:?}"
    );
    assert!(reason("the future one").contains("ahead"), "{letters:?}");
    Ok(())
}

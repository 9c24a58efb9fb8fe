//! `seclake run` with a `kind = "objects"` input (a backfill): plain and gzip objects under a
//! local directory or an S3 prefix (the in-process emulator's bucket) land whole, once, and
//! the run ends by itself; SIGKILLs at random points during the backfill leave every line's
//! events in the lake exactly once.

mod agent;
mod common;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use agent::{
    Agent, Rng, Setup, TestResult, compare, convert, json_rows, lake_rows, numbered_lines, seed,
};
use common::emulator::{emulator_with, var};

const KILLS: u64 = 22;

/// Writes `text` to `dir/key`, gzip-compressed when `gzip`.
fn put(dir: &Path, key: &str, text: &str, gzip: bool) -> TestResult {
    let path = dir.join(key);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    if gzip {
        let mut encoder = flate2::write::GzEncoder::new(
            std::fs::File::create(&path)?,
            flate2::Compression::fast(),
        );
        encoder.write_all(text.as_bytes())?;
        encoder.finish()?.sync_all()?;
    } else {
        std::fs::write(&path, text)?;
    }
    Ok(())
}

/// `count` objects of numbered lines under `dir`, every third gzip (one of them without a
/// `.gz` name, one plain object ending without a line feed), in two "directories".
fn objects(dir: &Path, count: u64, rng: &mut Rng) -> TestResult {
    let mut next = 0;
    for i in 0..count {
        let lines = 20 + rng.below(130);
        let mut text = numbered_lines(next, lines);
        next += lines;
        let gzip = i % 3 == 1;
        let key = match (gzip, i) {
            (true, 4) => format!("host-{}/part-{i:03}.log", i % 2),
            (true, _) => format!("host-{}/part-{i:03}.log.gz", i % 2),
            (false, _) => format!("host-{}/part-{i:03}.log", i % 2),
        };
        if i == 2 {
            text.pop();
        }
        put(dir, &key, &text, gzip)?;
    }
    Ok(())
}

/// The lines of the objects in key order (the order the input reads them in).
fn in_key_order(dir: &Path) -> TestResult<String> {
    let mut keys = Vec::new();
    for sub in std::fs::read_dir(dir)? {
        for file in std::fs::read_dir(sub?.path())? {
            keys.push(file?.path());
        }
    }
    keys.sort();
    let mut all = String::new();
    for key in keys {
        let bytes = std::fs::read(&key)?;
        let mut text = String::new();
        if bytes.starts_with(&[0x1f, 0x8b]) {
            std::io::Read::read_to_string(
                &mut flate2::read::GzDecoder::new(&bytes[..]),
                &mut text,
            )?;
        } else {
            text = String::from_utf8(bytes)?;
        }
        all.push_str(&text);
        if !all.ends_with('\n') {
            all.push('\n');
        }
    }
    Ok(all)
}

/// The committed object position of input `name`: (key, offset).
fn committed_object(setup: &Setup, name: &str) -> TestResult<Option<(String, u64)>> {
    let path = setup.path("state/inputs").join(name).join("state.json");
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(None);
    };
    let state: serde_json::Value = serde_json::from_slice(&bytes)?;
    let committed = &state["committed"];
    Ok(committed["key"]
        .as_str()
        .zip(committed["offset"].as_u64())
        .map(|(key, offset)| (key.to_owned(), offset)))
}

#[test]
fn a_local_directory_of_plain_and_gzip_objects_lands_whole_and_a_rerun_reads_nothing() -> TestResult
{
    let mut rng = Rng(seed());
    let setup = Setup::new()?;
    let dir = setup.path("backfill");
    objects(&dir, 7, &mut rng)?;
    let config = setup.config(
        "flush_interval_secs = 1\nbatch_lines = 100",
        "[[inputs]]\nname = \"backfill\"\nkind = \"objects\"\ndir = \"backfill\"\nformat = \"linux\"\nsource_prefix = \"bastion\"\n",
    )?;
    let (code, stderr) = Agent::start(&config)?.wait()?;
    assert_eq!(code, 0, "{stderr}");
    let all = in_key_order(&dir)?;
    let expected = json_rows(&convert(&setup, &all, &[])?)?;
    let rows = lake_rows(&setup.lake())?;
    assert_eq!(compare(&expected, &rows), (0, 0, 0), "{stderr}");
    let classes: std::collections::BTreeSet<i32> = rows.keys().map(|(c, _)| *c).collect();
    assert!(classes.len() >= 3, "{classes:?}");
    // The last object's end is committed (its last line has no line feed: the offset is the
    // object's length).
    let last = std::fs::read(dir.join("host-1/part-005.log"))?;
    assert_eq!(
        committed_object(&setup, "backfill")?,
        Some(("host-1/part-005.log".to_owned(), last.len() as u64)),
        "{stderr}"
    );

    // Run again: everything is committed, nothing is read twice.
    let (code, stderr) = Agent::start(&config)?.wait()?;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("backfill: 0 lines"), "{stderr}");
    assert_eq!(lake_rows(&setup.lake())?, rows);
    Ok(())
}

#[test]
fn a_corrupt_gzip_object_stops_the_backfill_after_what_came_before_and_a_rerun_goes_on()
-> TestResult {
    let setup = Setup::new()?;
    let dir = setup.path("backfill");
    let (a, c) = (numbered_lines(0, 30), numbered_lines(30, 20));
    put(&dir, "a.log", &a, false)?;
    put(&dir, "c.log", &c, false)?;
    // A gzip object whose data is cut: its CRC and length are missing.
    put(&dir, "b.log.gz", &numbered_lines(100, 50), true)?;
    let path = dir.join("b.log.gz");
    let bytes = std::fs::read(&path)?;
    std::fs::write(&path, &bytes[..bytes.len() - 12])?;
    let config = setup.config(
        "flush_interval_secs = 1",
        "[[inputs]]\nname = \"backfill\"\nkind = \"objects\"\ndir = \"backfill\"\nformat = \"linux\"\n",
    )?;
    let (code, stderr) = Agent::start(&config)?.wait()?;
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("b.log.gz"), "{stderr}");
    assert_eq!(
        committed_object(&setup, "backfill")?,
        Some(("a.log".to_owned(), a.len() as u64))
    );
    let rows = lake_rows(&setup.lake())?;
    let expected = json_rows(&convert(&setup, &a, &[])?)?;
    assert_eq!(compare(&expected, &rows), (0, 0, 0), "{stderr}");

    // Moved away, the backfill goes on after `a.log`.
    std::fs::rename(&path, setup.path("b.log.gz"))?;
    let (code, stderr) = Agent::start(&config)?.wait()?;
    assert_eq!(code, 0, "{stderr}");
    let rows = lake_rows(&setup.lake())?;
    let expected = json_rows(&convert(&setup, &format!("{a}{c}"), &[])?)?;
    assert_eq!(compare(&expected, &rows), (0, 0, 0), "{stderr}");
    Ok(())
}

#[test]
fn a_backfill_lands_exactly_once_across_sigkills() -> TestResult {
    let mut rng = Rng(seed());
    let setup = Setup::new()?;
    let dir = setup.path("backfill");
    objects(&dir, 36, &mut rng)?;
    let config = setup.config(
        "flush_interval_secs = 1\nbatch_lines = 100",
        "[[inputs]]\nname = \"backfill\"\nkind = \"objects\"\ndir = \"backfill\"\nformat = \"linux\"\nsource_prefix = \"bastion\"\n",
    )?;
    let (mut ended, mut replays) = (0, 0);
    for _ in 0..KILLS {
        let mut agent = Agent::start(&config)?;
        std::thread::sleep(Duration::from_millis(rng.below(1200)));
        if agent.ended()? {
            ended += 1;
        }
        replays += u64::from(agent.kill()?.contains("replaying"));
    }
    let (code, stderr) = Agent::start(&config)?.wait()?;
    assert_eq!(code, 0, "{stderr}");
    let all = in_key_order(&dir)?;
    let expected = json_rows(&convert(&setup, &all, &[])?)?;
    let rows = lake_rows(&setup.lake())?;
    let (duplicates, missing, extra) = compare(&expected, &rows);
    eprintln!(
        "objects: {} lines in 36 objects, {} events expected, {} rows in the lake; {KILLS} SIGKILLs ({ended} after the run ended, {replays} runs replayed a pending flush); duplicates {duplicates}, missing {missing}, unexpected {extra}",
        all.lines().count(),
        expected.values().sum::<u64>(),
        rows.values().sum::<u64>()
    );
    assert!(
        ended < KILLS,
        "every run ended before its kill: the test killed nothing"
    );
    assert_eq!((duplicates, missing, extra), (0, 0, 0), "{stderr}");
    Ok(())
}

#[test]
fn objects_under_an_s3_prefix_land_whole() -> TestResult {
    let mut rng = Rng(seed());
    let setup = Setup::new()?;
    let data = setup.path("s3");
    let (_emulator, env) = emulator_with(Some(&data))?;
    let bucket = var(&env, "SECLAKE_LAKE_BUCKET").to_owned();
    // The emulator keeps object `k` of its bucket as the file `<data>/_lake/k`.
    let raw = data.join("_lake").join("raw");
    objects(&raw, 5, &mut rng)?;
    // Another prefix of the bucket, not read.
    put(
        &data.join("_lake"),
        "other/x.log",
        &numbered_lines(9000, 3),
        false,
    )?;
    let config = setup.config(
        "flush_interval_secs = 1",
        &format!(
            "[[inputs]]\nname = \"s3\"\nkind = \"objects\"\nurl = \"s3://{bucket}/raw/\"\nformat = \"linux\"\nsource_prefix = \"bastion\"\n"
        ),
    )?;
    let (code, stderr) = Agent::start_env(&config, &env)?.wait()?;
    assert_eq!(code, 0, "{stderr}");
    let all = in_key_order(&raw)?;
    let expected = json_rows(&convert(&setup, &all, &[])?)?;
    let rows = lake_rows(&setup.lake())?;
    assert_eq!(compare(&expected, &rows), (0, 0, 0), "{stderr}");
    assert_eq!(
        committed_object(&setup, "s3")?.map(|(key, _)| key),
        Some("raw/host-1/part-003.log".to_owned()),
        "{stderr}"
    );
    Ok(())
}

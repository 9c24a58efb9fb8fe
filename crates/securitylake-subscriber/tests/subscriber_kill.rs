//! Kill -9 the subscriber process at random points, many times, while new
//! objects (some of them unreadable) keep arriving in the lake; then let it
//! finish: every readable object was handled at least once with all of its
//! rows, none was lost, the unreadable ones are in the dead-letter file, and
//! a further run handles nothing again.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::PutKey;
use common::*;
use ocsf_model::columnar::ColumnarOptions;
use securitylake_core::store::local_store;
use securitylake_parquet::write_parquet;
use securitylake_subscriber::FileDeadLetterSink;

/// The `subscriber_process` example, which `cargo test` builds next to the
/// test binaries (`target/<profile>/examples/`).
fn child_binary() -> Result<PathBuf, Box<dyn std::error::Error + Send + Sync>> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or("unexpected test binary location")?;
    let path = profile_dir.join("examples").join(format!(
        "subscriber_process{}",
        std::env::consts::EXE_SUFFIX
    ));
    if !path.is_file() {
        return Err(format!(
            "{} is missing: run `cargo test -p securitylake-subscriber` (which builds the examples)",
            path.display()
        )
        .into());
    }
    Ok(path)
}

/// Runs the child; kills it after `kill_after` unless it exited first.
/// Returns whether it was killed, and its stdout when it finished.
fn run_child(
    binary: &Path,
    lake: &Path,
    state: &Path,
    kill_after: Option<Duration>,
) -> Result<(bool, String), Box<dyn std::error::Error + Send + Sync>> {
    let mut child = Command::new(binary)
        .arg(lake)
        .arg(state)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).map(|_| out)
    });
    let deadline = Instant::now() + kill_after.unwrap_or(Duration::from_secs(300));
    let mut status = None;
    while Instant::now() < deadline {
        if let Some(s) = child.try_wait()? {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let killed = match status {
        Some(s) => {
            if !s.success() {
                return Err(format!("subscriber exited with {s}").into());
            }
            false
        }
        None if kill_after.is_some() => {
            child.kill()?; // SIGKILL
            child.wait()?;
            true
        }
        None => {
            child.kill()?;
            child.wait()?;
            return Err("the subscriber did not finish within 300 s".into());
        }
    };
    let out = reader.join().map_err(|_| "stdout reader panicked")??;
    Ok((killed, out))
}

/// The output file: key -> rows of every line (a torn last line, which a
/// single small append cannot produce on a local file system, is ignored).
fn output_lines(
    state: &Path,
) -> Result<BTreeMap<String, Vec<u64>>, Box<dyn std::error::Error + Send + Sync>> {
    let content = match std::fs::read_to_string(state.join("output.jsonl")) {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e.into()),
    };
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for line in content.split_inclusive('\n') {
        if !line.ends_with('\n') {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line)?;
        let key = value["key"].as_str().ok_or("no key")?.to_owned();
        let rows = value["rows"].as_u64().ok_or("no rows")?;
        out.entry(key).or_default().push(rows);
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_loses_nothing() -> TestResult {
    /// Kills to reach (runs that finish before their kill do not count).
    const KILLS: u32 = 24;
    const MAX_RUNS: u32 = 120;
    const PER_RUN: u32 = 4;
    /// The concurrency of the child: at most this many objects are in
    /// flight when it is killed.
    const CONCURRENCY: usize = 2;
    let binary = child_binary()?;
    let lake_dir = tempfile::tempdir()?;
    let state = tempfile::tempdir()?;
    let lake = local_store(lake_dir.path())?;
    let mut rng = fastrand::Rng::with_seed(0x0bad_5eed);
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    let mut unreadable: BTreeSet<String> = BTreeSet::new();
    let mut killed = 0;
    let mut run = 0;
    // The longest run that finished, to aim the kills inside a run.
    let mut longest = Duration::from_millis(100);
    while killed < KILLS && run < MAX_RUNS {
        for i in 0..PER_RUN {
            let rows = 1 + rng.u64(0..400);
            let key = custom_key(&format!("{run:04}-{i}.zstd.parquet"));
            let events = auth_events(i64::try_from(rows)?);
            let bytes = if rng.u32(0..10) == 0 {
                // Every tenth object: 2,000 rows in row groups of 100.
                let events = auth_events(2_000);
                expected.insert(key.clone(), 2_000);
                multi_row_group_parquet(&events, 100, zstd())
            } else {
                expected.insert(key.clone(), rows);
                write_parquet(&events, &ColumnarOptions::default())?
            };
            lake.put_key(&key, bytes.into()).await?;
        }
        if run % 5 == 2 {
            // An unreadable object: a Parquet file cut in half, or not Parquet.
            let key = custom_key(&format!("{run:04}-bad.zstd.parquet"));
            let bytes = if run % 10 == 2 {
                let whole = write_parquet(&auth_events(50), &ColumnarOptions::default())?;
                whole[..whole.len() / 2].to_vec()
            } else {
                b"PAR1 this is not a Parquet file PAR1".to_vec()
            };
            lake.put_key(&key, bytes.into()).await?;
            unreadable.insert(key);
        }
        let started = Instant::now();
        let kill_after = Duration::from_millis(rng.u64(0..=longest.as_millis() as u64));
        let (was_killed, _) = run_child(&binary, lake_dir.path(), state.path(), Some(kill_after))?;
        if was_killed {
            killed += 1;
        } else {
            longest = longest.max(started.elapsed());
        }
        run += 1;
    }
    assert!(killed >= KILLS, "only {killed} kills in {run} runs");

    // A run to the end processes whatever the kills left.
    let (_, out) = run_child(&binary, lake_dir.path(), state.path(), None)?;
    let last: serde_json::Value = serde_json::from_str(out.trim())?;
    assert_eq!(last["unacknowledged"], 0, "{last}");

    let output = output_lines(state.path())?;
    let mut handled_twice = 0;
    for (key, rows) in &expected {
        let seen = output
            .get(key)
            .ok_or_else(|| format!("object {key} was lost"))?;
        assert!(
            seen.iter().all(|r| r == rows),
            "{key}: expected {rows} rows every time, got {seen:?}"
        );
        handled_twice += seen.len() - 1;
    }
    let unknown: Vec<&String> = output
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    assert!(unknown.is_empty(), "unexpected outputs {unknown:?}");
    // Only an object in flight when its process was killed (output written,
    // checkpoint not yet) can be handled again.
    assert!(
        handled_twice <= killed as usize * CONCURRENCY,
        "{handled_twice} repeated handlings for {killed} kills"
    );
    let letters = FileDeadLetterSink::read_all(state.path().join("dead.jsonl"))?;
    let lettered: BTreeSet<String> = letters
        .iter()
        .filter_map(|l| l.object.as_ref().map(|o| o.key.clone()))
        .collect();
    assert_eq!(lettered, unreadable, "{letters:?}");
    assert!(
        letters.iter().all(|l| l.kind == "invalid_object"),
        "{letters:?}"
    );

    // Restarted once more, nothing is handled again: the checkpoint
    // recognises every object (bucket + key + etag).
    let before: usize = output.values().map(Vec::len).sum();
    let (_, out) = run_child(&binary, lake_dir.path(), state.path(), None)?;
    let again: serde_json::Value = serde_json::from_str(out.trim())?;
    assert_eq!(again["objects_processed"], 0, "{again}");
    assert_eq!(again["duplicates"], expected.len(), "{again}");
    let after: usize = output_lines(state.path())?.values().map(Vec::len).sum();
    assert_eq!(before, after);
    eprintln!(
        "{killed} kills in {run} runs; {} objects, {handled_twice} handled twice, {} unreadable",
        expected.len(),
        unreadable.len()
    );
    Ok(())
}

//! Kill -9 the writer process at random points, many times, then recover:
//! every event the child acknowledged is in the lake exactly once. Once with
//! a local lake, once uploading to the emulator's S3 over HTTP (so kills
//! also land in the middle of requests).

mod writer_support;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ocsf_model::v1_1_0::events::Authentication;
use securitylake_core::aws::AwsConfig;
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::{S3StoreBuilder, local_store};
use securitylake_emulator::Emulator;
use securitylake_source::{Writer, WriterConfig};
use writer_support::*;

/// The `spool_writer` example, which `cargo test` builds next to the test
/// binaries (`target/<profile>/examples/`).
fn child_binary() -> BoxResult<PathBuf> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or("unexpected test binary location")?;
    let path = profile_dir
        .join("examples")
        .join(format!("spool_writer{}", std::env::consts::EXE_SUFFIX));
    if !path.is_file() {
        return Err(format!(
            "{} is missing: run `cargo test -p securitylake-source` (which builds the examples)",
            path.display()
        )
        .into());
    }
    Ok(path)
}

/// Where the child writes.
enum Lake<'a> {
    /// A local lake directory.
    Local(&'a std::path::Path),
    /// The emulator's S3, configured through its environment variables.
    Emulator(&'a Emulator),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_loses_and_duplicates_nothing() -> TestResult {
    let lake = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    kill_loop(Lake::Local(lake.path()), store, 0x5eed_cafe).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_uploading_to_the_emulator_loses_and_duplicates_nothing() -> TestResult {
    let emulator = Emulator::builder().lake_id("test").start().await?;
    assert_eq!(emulator.lake_bucket(), BUCKET);
    let (access_key, secret) = emulator.credentials();
    let aws = AwsConfig::builder()
        .region(emulator.region())
        .endpoint_url(emulator.endpoint_url())
        .static_credentials(access_key, secret, None)
        .force_path_style(true)
        .load()
        .await?;
    let store: Arc<dyn ObjectStore> = Arc::new(S3StoreBuilder::new(&aws).bucket(BUCKET).build()?);
    kill_loop(Lake::Emulator(&emulator), store, 0xdead_beef).await?;
    emulator.shutdown().await;
    Ok(())
}

/// Runs the child until it was killed `KILLS` times, then recovers its
/// spool into `store` and checks the lake.
async fn kill_loop(target: Lake<'_>, store: Arc<dyn ObjectStore>, seed: u64) -> TestResult {
    /// Kills to reach (runs that finish before their kill do not count).
    const KILLS: u64 = 24;
    const MAX_RUNS: u64 = 80;
    const PER_RUN: u64 = 1_000;
    let binary = child_binary()?;
    let spool = tempfile::tempdir()?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut acknowledged = Vec::new();
    let started = Instant::now();
    let mut killed = 0;
    let mut run = 0;
    while killed < KILLS && run < MAX_RUNS {
        let mut command = Command::new(&binary);
        match &target {
            Lake::Local(dir) => {
                command.arg(dir);
            }
            Lake::Emulator(emulator) => {
                command.arg("s3").envs(emulator.env_vars());
            }
        }
        let mut child = command
            .arg(spool.path())
            .arg((run * PER_RUN).to_string())
            .arg(PER_RUN.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut stdout = child.stdout.take().ok_or("no stdout")?;
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            stdout.read_to_end(&mut out).map(|_| out)
        });
        // Kill somewhere between start-up (recovery) and the end of the run.
        let delay = Duration::from_millis(rng.u64(0..300));
        let deadline = Instant::now() + delay;
        let mut exited = None;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait()? {
                exited = Some(status);
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if exited.is_none() {
            child.kill()?; // SIGKILL
            killed += 1;
        }
        let status = child.wait()?;
        if exited.is_some() {
            assert!(status.success(), "run {run}: the child failed: {status}");
        }
        let out = reader.join().map_err(|_| "reader thread panicked")??;
        // Only complete lines are acknowledgements.
        let text = String::from_utf8(out)?;
        let complete = match text.rfind('\n') {
            Some(end) => &text[..end],
            None => "",
        };
        for line in complete.lines() {
            acknowledged.push(line.parse::<u64>()?);
        }
        run += 1;
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the kill loop took too long"
        );
    }
    assert!(killed >= KILLS, "only {killed} of {run} runs were killed");

    // Recover what the last child left, and flush.
    let config = WriterConfig::builder()
        .location(location())
        .region("us-east-1")
        .account_id(ACCOUNT)
        .store(store.clone())
        .spool_dir(spool.path())
        .max_file_bytes(32 * 1024)
        .columnar_options(small_columns())
        .build()?;
    let writer = Writer::<Authentication>::open(config).await?;
    writer.close().await?;

    let lake_now = read_lake(store.as_ref()).await?;
    for key in lake_now.keys() {
        assert_key_layout(key)?;
    }
    let counts = seq_counts(&lake_now)?;
    assert!(
        acknowledged.len() > 100,
        "only {} events were acknowledged",
        acknowledged.len()
    );
    for seq in &acknowledged {
        assert_eq!(counts.get(seq), Some(&1), "acknowledged event {seq}");
    }
    eprintln!(
        "{killed} of {run} runs killed; {} events acknowledged, {} in the lake in {} objects",
        acknowledged.len(),
        counts.len(),
        lake_now.len()
    );
    // Unacknowledged events may have made it, but never twice.
    assert!(
        counts.values().all(|&c| c == 1),
        "an event is in the lake twice"
    );
    let spool_files: Vec<_> = std::fs::read_dir(spool.path())?
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .filter(|n| n != "LOCK")
        .collect();
    assert!(spool_files.is_empty(), "spool not drained: {spool_files:?}");
    Ok(())
}

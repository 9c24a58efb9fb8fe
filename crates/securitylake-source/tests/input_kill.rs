//! SIGKILL a process that follows a growing, rotating file and commits its
//! checkpoint after each fsync of its output, many times: after the last
//! restart every line is in the output, in order, and a line is repeated
//! only when it came after the last commit before a kill.

mod input_support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use input_support::{TestResult, append, numbered_bytes};

/// The `follow_checkpoint` example, which `cargo test` builds next to the
/// test binaries (`target/<profile>/examples/`).
fn child_binary() -> Result<PathBuf, Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or("unexpected test binary location")?;
    let path = profile_dir
        .join("examples")
        .join(format!("follow_checkpoint{}", std::env::consts::EXE_SUFFIX));
    if !path.is_file() {
        return Err(format!(
            "{} is missing: run `cargo test -p securitylake-source` (which builds the examples)",
            path.display()
        )
        .into());
    }
    Ok(path)
}

fn spawn(binary: &Path, dir: &Path) -> std::io::Result<Child> {
    Command::new(binary)
        .arg(dir.join("app.log"))
        .arg(dir.join("state").join("checkpoints.json"))
        .arg(dir.join("out.txt"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
}

/// The line numbers in the output so far (complete lines only).
fn output_numbers(dir: &Path) -> Result<Vec<u32>, Box<dyn std::error::Error>> {
    let bytes = match std::fs::read(dir.join("out.txt")) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let text = String::from_utf8(bytes)?;
    let complete = text.rfind('\n').map_or("", |i| &text[..i]);
    complete
        .lines()
        .map(|l| {
            l.strip_prefix("line ")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| format!("unexpected output line {l:?}").into())
        })
        .collect()
}

/// Waits until the output holds line `n` (the child caught up).
fn wait_for_line(dir: &Path, n: u32, child: &mut Child) -> TestResult {
    let guard = Instant::now();
    while !output_numbers(dir)?.contains(&n) {
        if let Some(status) = child.try_wait()? {
            return Err(format!("the child exited ({status}) before line {n}").into());
        }
        if guard.elapsed() > Duration::from_secs(60) {
            return Err(format!("line {n} never reached the output").into());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}

#[test]
fn sigkill_at_random_points_loses_nothing_and_repeats_only_uncommitted_lines() -> TestResult {
    const KILLS: u32 = 24;
    const LINES_PER_RUN: u32 = 300;
    let binary = child_binary()?;
    let dir = tempfile::tempdir()?;
    let dir = dir.path();
    let log = dir.join("app.log");
    let rotated = dir.join("app.log.1");
    let mut rng = fastrand::Rng::with_seed(0x0f11_0e5d);
    let mut written = 0u32;
    for run in 0..KILLS {
        let mut child = spawn(&binary, dir)?;
        if run % 3 == 2 && written > 0 {
            // Rotate once the child has caught up (a file rotated twice
            // before the follower reached it is skipped, as with tail -F):
            // more lines to the renamed file, then a new file.
            wait_for_line(dir, written, &mut child)?;
            std::fs::rename(&log, &rotated)?;
            append(&rotated, &numbered_bytes(written + 1..=written + 10))?;
            written += 10;
        }
        // Half the run's lines now, half while the child may be reading.
        let half = LINES_PER_RUN / 2;
        append(&log, &numbered_bytes(written + 1..=written + half))?;
        written += half;
        std::thread::sleep(Duration::from_millis(rng.u64(0..15)));
        append(&log, &numbered_bytes(written + 1..=written + half))?;
        written += half;
        std::thread::sleep(Duration::from_millis(rng.u64(0..40)));
        child.kill()?; // SIGKILL
        child.wait()?;
    }
    append(&log, b"END\n")?;
    let mut child = spawn(&binary, dir)?;
    let guard = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if guard.elapsed() > Duration::from_secs(120) {
            child.kill()?;
            return Err("the last run never reached END".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "the last run failed: {status}");

    // Every line, first seen in order; a repeat re-reads a suffix after a
    // commit, so it never jumps ahead of the lines seen.
    let numbers = output_numbers(dir)?;
    let mut seen = 0u32;
    let mut repeats = 0usize;
    for &n in &numbers {
        assert!(n <= seen + 1, "line {n} came before line {}", seen + 1);
        if n <= seen {
            repeats += 1;
        }
        seen = seen.max(n);
    }
    assert_eq!(seen, written, "lines lost at the end");
    // A kill repeats at most the child's uncommitted batch (2,048 bytes of
    // lines of at least 7 bytes): resuming from anywhere before the last
    // commit would repeat far more.
    assert!(
        repeats <= KILLS as usize * 2048 / 7,
        "{repeats} lines repeated over {KILLS} kills"
    );
    println!(
        "{KILLS} kills, {written} lines, {} in the output, {repeats} repeated",
        numbers.len()
    );
    Ok(())
}

//! Helpers of the `seclake run` tests: an agent configuration, the agent process, its state
//! and the lake read back.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub mod relp_client;

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// The result type of the tests.
pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// How long a wait for the agent may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A running `seclake run`, its stderr collected by a thread.
pub struct Agent {
    pub child: Child,
    pub stderr: Arc<Mutex<String>>,
}

impl Agent {
    /// Starts `seclake run --config <config>`.
    pub fn start(config: &Path) -> TestResult<Self> {
        Self::spawn(&["run".as_ref(), "--config".as_ref(), config.as_os_str()])
    }

    /// Starts `seclake run --config <config>` with the environment `env` (an emulator's).
    pub fn start_env(config: &Path, env: &[(String, String)]) -> TestResult<Self> {
        Self::spawn_env(
            &["run".as_ref(), "--config".as_ref(), config.as_os_str()],
            env,
        )
    }

    /// Starts `seclake <args>` (a command that runs until a signal, e.g. `publish --follow`).
    pub fn spawn(args: &[&std::ffi::OsStr]) -> TestResult<Self> {
        Self::spawn_env(args, &[])
    }

    /// Starts `seclake <args>` with the environment `env` added.
    pub fn spawn_env(args: &[&std::ffi::OsStr], env: &[(String, String)]) -> TestResult<Self> {
        let mut child = crate::common::emulator::with_env(env)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().ok_or("no stderr")?;
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Ok(mut text) = sink.lock() {
                    text.push_str(&line);
                    text.push('\n');
                }
            }
        });
        Ok(Self { child, stderr })
    }

    /// What the agent printed so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// SIGKILL, and reap; what it printed.
    pub fn kill(mut self) -> TestResult<String> {
        self.child.kill()?;
        self.child.wait()?;
        std::thread::sleep(Duration::from_millis(20));
        Ok(self.stderr())
    }

    /// SIGTERM; the exit code once it ended, and what it printed.
    pub fn terminate(mut self) -> TestResult<(i32, String)> {
        // The agent says it is running (`... inputs into ...`) once its signal handlers are in
        // place; a SIGTERM before that would end it by the default action.
        let start = Instant::now();
        while !self.stderr().contains(" inputs into ") && self.child.try_wait()?.is_none() {
            if start.elapsed() > PATIENCE {
                return Err("the agent never said it was running".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        assert!(status.success(), "kill -TERM failed");
        self.wait()
    }

    /// Waits for the agent to end by itself (bounded by [`PATIENCE`]).
    pub fn wait(mut self) -> TestResult<(i32, String)> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                // Let the stderr thread take the last lines.
                std::thread::sleep(Duration::from_millis(50));
                return Ok((status.code().unwrap_or(-1), self.stderr()));
            }
            if start.elapsed() > PATIENCE {
                let _ = self.child.kill();
                return Err(format!("the agent did not end; stderr:\n{}", self.stderr()).into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the agent ended by itself.
    pub fn ended(&mut self) -> TestResult<bool> {
        Ok(self.child.try_wait()?.is_some())
    }
}

/// Polls `condition` until it holds (bounded by [`PATIENCE`]).
pub fn wait_for(what: &str, mut condition: impl FnMut() -> TestResult<bool>) -> TestResult {
    let start = Instant::now();
    while !condition()? {
        if start.elapsed() > PATIENCE {
            return Err(format!("timed out waiting for {what}").into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// A test's directories and configuration.
pub struct Setup {
    pub dir: tempfile::TempDir,
}

impl Setup {
    /// A fresh directory.
    pub fn new() -> TestResult<Self> {
        Ok(Self {
            dir: tempfile::tempdir()?,
        })
    }

    /// A path in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The lake directory.
    pub fn lake(&self) -> PathBuf {
        self.path("lake")
    }

    /// Writes `agent.toml` with a `[lake]` table (`lake_extra` lines added to it) and the
    /// `inputs` text, and returns its path.
    pub fn config(&self, lake_extra: &str, inputs: &str) -> TestResult<PathBuf> {
        self.config_in("dir = \"lake\"", lake_extra, inputs)
    }

    /// Like [`Setup::config`] with `target` (`dir = ...` or `bucket = ...`) saying where the
    /// lake is.
    pub fn config_in(&self, target: &str, lake_extra: &str, inputs: &str) -> TestResult<PathBuf> {
        let text = format!(
            "[lake]\n{target}\nregion = \"us-east-1\"\nstate_dir = \"state\"\nprogress_interval_secs = 1\n{lake_extra}\n\n{inputs}"
        );
        let path = self.path("agent.toml");
        std::fs::write(&path, text)?;
        Ok(path)
    }

    /// The committed offset of input `name` and the inode it is in, if any.
    pub fn committed(&self, name: &str) -> TestResult<Option<(u64, u64)>> {
        committed_in(&self.path("state"), name)
    }

    /// The dead letters of input `name`.
    pub fn dead_letters(&self, name: &str) -> TestResult<Vec<serde_json::Value>> {
        let path = self
            .path("state/inputs")
            .join(name)
            .join("dead-letters.jsonl");
        let Ok(text) = std::fs::read_to_string(path) else {
            return Ok(Vec::new());
        };
        Ok(text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?)
    }
}

/// The committed offset of input `name` under the state directory `state` and the inode it
/// is in, if any.
pub fn committed_in(state: &Path, name: &str) -> TestResult<Option<(u64, u64)>> {
    let path = state.join("inputs").join(name).join("state.json");
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(None);
    };
    // A state file is replaced atomically: it is whole or absent.
    let state: serde_json::Value = serde_json::from_slice(&bytes)?;
    let committed = &state["committed"];
    Ok(committed["offset"]
        .as_u64()
        .map(|offset| (offset, committed["identity"]["inode"].as_u64().unwrap_or(0))))
}

/// Whether the committed position of input `name` under the state directory `state` is the
/// end of the file at `path`.
pub fn caught_up_in(state: &Path, name: &str, path: &Path) -> TestResult<bool> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path)?;
    Ok(committed_in(state, name)? == Some((meta.len(), meta.ino())))
}

/// Whether the committed position of `name` is the end of the file at `path`.
pub fn caught_up(setup: &Setup, name: &str, path: &Path) -> TestResult<bool> {
    caught_up_in(&setup.path("state"), name, path)
}

/// `(class_uid, raw_data)` of every row of every Parquet object under `lake`, counted.
pub fn lake_rows(lake: &Path) -> TestResult<BTreeMap<(i32, String), u64>> {
    let mut rows = BTreeMap::new();
    for file in crate::common::parquet_files(lake) {
        let reader =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file)?)?.build()?;
        for batch in reader {
            let batch = batch?;
            let classes = batch
                .column_by_name("class_uid")
                .ok_or("no class_uid column")?
                .as_primitive::<Int32Type>()
                .clone();
            let raw = batch
                .column_by_name("raw_data")
                .ok_or("no raw_data column")?;
            let raw = raw.as_string::<i32>();
            for i in 0..batch.num_rows() {
                let key = (classes.value(i), raw.value(i).to_owned());
                *rows.entry(key).or_insert(0) += 1;
            }
        }
    }
    Ok(rows)
}

/// `(class_uid, raw_data)` of every event of OCSF JSON lines, counted.
pub fn json_rows(lines: &str) -> TestResult<BTreeMap<(i32, String), u64>> {
    let mut rows = BTreeMap::new();
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        let event: serde_json::Value = serde_json::from_str(line)?;
        let class = event["class_uid"].as_i64().ok_or("no class_uid")? as i32;
        let raw = event["raw_data"].as_str().ok_or("no raw_data")?.to_owned();
        *rows.entry((class, raw)).or_insert(0) += 1;
    }
    Ok(rows)
}

/// What `seclake convert --format linux` makes of `text`: the OCSF JSON lines.
pub fn convert(setup: &Setup, text: &str, extra: &[&str]) -> TestResult<String> {
    let input = setup.path("convert-input.log");
    std::fs::write(&input, text)?;
    let mut args = vec!["convert", "--format", "linux", "--from"];
    let input = input.to_string_lossy().into_owned();
    args.push(&input);
    args.extend_from_slice(extra);
    let run = crate::common::run(&args)?;
    assert_eq!(run.code, 0, "convert failed: {}", run.stderr);
    Ok(run.stdout)
}

/// Rows seen more than once, and expected rows missing or extra.
pub fn compare(
    expected: &BTreeMap<(i32, String), u64>,
    actual: &BTreeMap<(i32, String), u64>,
) -> (u64, u64, u64) {
    let mut duplicates = 0;
    let mut missing = 0;
    for (key, n) in expected {
        let got = actual.get(key).copied().unwrap_or(0);
        duplicates += got.saturating_sub(*n);
        missing += n.saturating_sub(got);
    }
    let extra = actual
        .iter()
        .filter(|(key, _)| !expected.contains_key(*key))
        .map(|(_, n)| *n)
        .sum();
    (duplicates, missing, extra)
}

/// Lines of several classes, numbered from `from`: sshd logons and failed passwords
/// (Authentication), SSH, sudo, firewall and cron lines, an application line (a Base Event
/// fallback) and an auditd record.
pub fn numbered_lines(from: u64, count: u64) -> String {
    let mut text = String::new();
    for n in from..from + count {
        let (ss, ip, pid) = (n % 60, n % 250 + 1, 1000 + n % 5000);
        let line = match n % 8 {
            0 => format!(
                "Mar  3 08:15:{ss:02} bastion sshd[{pid}]: Accepted password for u{n} from 198.51.100.{ip} port {n} ssh2"
            ),
            1 => format!(
                "Mar  3 08:16:{ss:02} bastion sshd[{pid}]: Connection closed by 203.0.113.{ip} port {n} [preauth]"
            ),
            2 => format!("Mar  3 08:17:{ss:02} bastion myapp[99]: work item {n} done"),
            3 => format!(
                "Mar  3 08:18:{ss:02} bastion sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls /tmp/{n}"
            ),
            4 => format!(
                "Mar  3 08:19:{ss:02} bastion kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.{ip} DST=10.0.0.5 LEN=60 PROTO=TCP SPT={n} DPT=22 WINDOW=1 SYN"
            ),
            5 => format!(
                "Mar  3 08:20:{ss:02} bastion CRON[{pid}]: (root) CMD (run-parts /etc/cron.hourly {n})"
            ),
            6 => format!(
                "Mar  3 08:21:{ss:02} bastion sshd[{pid}]: Failed password for invalid user x{n} from 203.0.113.{ip} port {n} ssh2"
            ),
            _ => format!(
                "type=USER_LOGIN msg=audit(1709453701.{:03}:{n}): pid={pid} uid=0 auid=1000 ses=1 msg='op=login acct=\"u{n}\" exe=\"/usr/sbin/sshd\" hostname=? addr=10.0.0.{ip} terminal=sshd res=success'",
                n % 1000
            ),
        };
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// A small deterministic random generator (xorshift), seeded by the test.
pub struct Rng(pub u64);

impl Rng {
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// A seed from the clock (printed, so that a failure can be repeated with SECLAKE_SEED).
pub fn seed() -> u64 {
    let seed = std::env::var("SECLAKE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
        | 1;
    eprintln!("seed: {seed} (SECLAKE_SEED={seed} repeats it)");
    seed
}

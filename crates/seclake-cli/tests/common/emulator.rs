//! `seclake emulator` as a child process on 127.0.0.1 for the tests that talk to AWS
//! (control plane, S3), and commands run with the environment it prints.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::{Run, run_with, seclake};

/// A child process killed when dropped (the test's own children only).
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Environment variables as `(name, value)` pairs.
pub type Env = Vec<(String, String)>;

/// Starts `seclake emulator` and reads the environment it prints.
pub fn emulator() -> Result<(Guard, Env), Box<dyn std::error::Error>> {
    emulator_with(None)
}

/// Starts `seclake emulator` keeping its S3 data in `data_dir` (object `k` of the lake
/// bucket is the file `<data_dir>/_lake/k`), and reads the environment it prints.
pub fn emulator_with(data_dir: Option<&Path>) -> Result<(Guard, Env), Box<dyn std::error::Error>> {
    let mut cmd = seclake();
    cmd.args(["emulator", "--bind", "127.0.0.1:0"]);
    if let Some(dir) = data_dir {
        cmd.arg("--data-dir").arg(dir);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let guard = Guard(child);
    let mut env = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if let Some(rest) = line.strip_prefix("export ")
            && let Some((name, value)) = rest.split_once('=')
        {
            env.push((name.to_owned(), value.to_owned()));
        }
        if line.starts_with("# press Ctrl-C") {
            break;
        }
    }
    if !env.iter().any(|(n, _)| n == "AWS_ENDPOINT_URL") {
        return Err("the emulator printed no AWS_ENDPOINT_URL".into());
    }
    Ok((guard, env))
}

/// `seclake` with the emulator's environment.
pub fn with_env(env: &[(String, String)]) -> Command {
    let mut cmd = seclake();
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd
}

/// Runs `seclake <args>` with the emulator's environment.
pub fn run_env(env: &[(String, String)], args: &[&str]) -> std::io::Result<Run> {
    run_with(&mut with_env(env), args, None)
}

/// The value of `name` in the environment (empty when absent).
pub fn var<'a>(env: &'a [(String, String)], name: &str) -> &'a str {
    env.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

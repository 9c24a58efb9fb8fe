//! `cargo xtask test`: the README's test command. Provisions the peers the suite needs (the
//! Python venv `.venv-ci` with `moto_server`, pyarrow and DuckDB, from
//! `.ci/python-requirements.txt`, created once), then runs `cargo test --workspace` (plus any
//! further arguments) with `MOTO_SERVER`, `PYTHON` and `SECLAKE_TEST_COMPLETE=1` set, so that
//! a test whose peer is missing fails naming it instead of passing as skipped.

use std::path::Path;
use std::process::Command;

use crate::repo_root;

/// The variable that asks the suite to be complete: a test that needs a peer (moto_server,
/// Python with pyarrow) fails when it is missing instead of printing a note and passing.
pub const COMPLETE_VAR: &str = "SECLAKE_TEST_COMPLETE";

pub fn run(args: &[String]) -> Result<(), String> {
    let root = repo_root();
    let venv = root.join(".venv-ci");
    let python = venv.join("bin/python");
    let moto = venv.join("bin/moto_server");
    if !python.is_file() || !moto.is_file() {
        provision(&root, &venv)?;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(["test", "--workspace"])
        .args(args)
        .env("MOTO_SERVER", &moto)
        .env("PYTHON", &python)
        .env(COMPLETE_VAR, "1")
        .status()
        .map_err(|e| format!("running cargo test: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo test --workspace failed ({status})"))
    }
}

/// Creates the venv and installs the pinned packages (the same list `.ci/run` uses).
fn provision(root: &Path, venv: &Path) -> Result<(), String> {
    let requirements = root.join(".ci/python-requirements.txt");
    eprintln!(
        "xtask test: creating {} with the packages of {} (once)",
        venv.display(),
        requirements.display()
    );
    let python3 = std::env::var("XTASK_PYTHON3").unwrap_or_else(|_| "python3".into());
    run_checked(Command::new(&python3).arg("-m").arg("venv").arg(venv))?;
    run_checked(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements),
    )
}

fn run_checked(command: &mut Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("running {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed ({status})"))
    }
}

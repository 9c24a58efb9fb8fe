//! `cargo xtask`: the project's development tasks.
//!
//! ```text
//! cargo xtask schema [--check] [--source DIR]   resolve ../shared/ocsf-schema into ocsf-schema/
//! cargo xtask codegen [--check]                 generate crates/ocsf-model/src/generated/
//! cargo xtask conformance [--oracle DIR]         compare ocsf-schema/ with the official exports
//! cargo xtask test [ARGS]                       provision .venv-ci, run cargo test --workspace complete
//! ```

mod codegen;
mod conformance;
mod schema;
mod test;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The OCSF versions the SDK supports, oldest first.
pub const VERSIONS: &[&str] = &["1.0.0-rc.2", "1.1.0", "1.3.0", "1.8.0"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("schema") => schema::run(&args[1..]),
        Some("codegen") => codegen::run(&args[1..]),
        Some("conformance") => conformance::run(&args[1..]),
        Some("test") => test::run(&args[1..]),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask <schema [--check] [--source DIR] | codegen [--check] | conformance [--oracle DIR] | test [ARGS]>";

/// The repository root (the parent of `xtask/`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The value of `--name VALUE` in `args`, if present.
pub fn flag_value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// Where the upstream OCSF schema sources are: `--source`, `$OCSF_SCHEMA_SOURCE`, or
/// `../shared/ocsf-schema` beside the repository.
pub fn schema_source(args: &[String]) -> PathBuf {
    flag_value(args, "--source")
        .or_else(|| std::env::var("OCSF_SCHEMA_SOURCE").ok())
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/ocsf-schema"))
}

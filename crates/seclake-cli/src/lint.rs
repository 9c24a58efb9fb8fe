//! `seclake lint`: checks a lake directory or S3 prefix for what breaks
//! Security Lake, Glue and Athena, and prints what it finds.
//!
//! The rules live in the libraries: one file's in the Parquet rule book
//! (`securitylake_parquet::check`), the key layout and cross-file ones in
//! `securitylake_subscriber::lint`, whose documentation lists every code.

use std::io::Write;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget};
use securitylake_subscriber::lint::{LintProgress, Severity, lint_store};

use crate::common::{AwsArgs, print_json, store_for};
use crate::error::{EXIT_FINDINGS, EXIT_OK, Error, Result};

/// Arguments of `seclake lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// A lake directory or s3://bucket/prefix.
    target: String,
    /// Print the findings as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `seclake lint`.
pub async fn run(args: LintArgs, aws: &AwsArgs) -> Result<u8> {
    let (store, prefix) = store_for(&args.target, aws).await?;
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let (count, findings) = lint_store(store.as_ref(), &prefix, |p| match p {
        LintProgress::Listed(n) => bar.set_length(n),
        _ => bar.inc(1),
    })
    .await?;
    bar.finish_and_clear();
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    if args.json {
        print_json(&serde_json::json!({
            "target": args.target,
            "objects": count,
            "errors": errors,
            "warnings": warnings,
            "findings": findings,
        }))?;
    } else {
        let mut out = std::io::stdout().lock();
        let io = |e| Error::io("writing output", e);
        for f in &findings {
            let severity = f.severity.as_str();
            writeln!(out, "{severity:<7} {:<22} {}: {}", f.code, f.key, f.message).map_err(io)?;
        }
        writeln!(
            out,
            "{count} objects checked: {errors} errors, {warnings} warnings"
        )
        .map_err(io)?;
    }
    Ok(if errors > 0 { EXIT_FINDINGS } else { EXIT_OK })
}

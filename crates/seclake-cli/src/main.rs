//! `seclake`: the command line of the securitylake-rs SDK.
//!
//! Every command is a thin layer over the library crates: `convert` and
//! `publish` over ocsf-mappers and securitylake-source, `validate` and
//! `schema` over ocsf-model, `inspect` and `subscribe` over
//! securitylake-subscriber, `source` and `subscriber` over
//! securitylake-control, `emulator` over securitylake-emulator; `run` runs
//! several inputs continuously through securitylake-source's inputs and
//! `LakeSink`, with checkpoints. `lint` checks lake
//! objects against Security Lake's rules.
//!
//! Exit codes: 0 success; 1 findings (validation or lint errors, a drifted
//! registration); 2 usage or input errors (bad flags, missing file, not a
//! Parquet file, invalid JSON, unknown class); 3 failures while running
//! (AWS, store or I/O errors; objects dead-lettered by `subscribe`).

mod common;
mod control;
mod emulator;
mod error;
mod follow;
mod inspect;
mod letters;
mod lint;
mod mapping;
mod ocsf_json;
mod publish;
mod route;
mod rows;
mod run;
mod schema;
mod subscribe;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::common::AwsArgs;

/// Amazon Security Lake from the command line: convert, validate, inspect,
/// lint and publish OCSF data; manage sources and subscribers; subscribe;
/// run the local emulator.
#[derive(Debug, Parser)]
#[command(name = "seclake", version, propagate_version = true)]
struct Cli {
    /// More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Map raw logs (Linux syslog/auth.log/auditd/journald, Deep Security CEF/LEEF) to OCSF JSON lines or a local lake; convert OCSF JSON between versions.
    Convert(publish::ConvertArgs),
    /// Validate OCSF JSON events against a schema version and profiles.
    Validate(validate::ValidateArgs),
    /// Show the class, version, rows, row groups and schema of a Parquet object, or summarise a dead-letter file.
    Inspect(inspect::InspectArgs),
    /// Check a lake directory or S3 prefix for layout and Parquet problems.
    Lint(lint::LintArgs),
    /// Map raw logs and write them into a custom source per class (S3 or a local lake); --follow publishes a growing file continuously.
    Publish(publish::PublishArgs),
    /// Register, list and delete custom sources.
    #[command(subcommand)]
    Source(control::SourceCommand),
    /// Create subscribers and their notifications.
    #[command(subcommand)]
    Subscriber(control::SubscriberCommand),
    /// Run a subscriber and print (or pipe) each event.
    Subscribe(subscribe::SubscribeArgs),
    /// Start the local Security Lake emulator and print its environment.
    Emulator(emulator::EmulatorArgs),
    /// Show the attributes and enums of an OCSF class.
    Schema(schema::SchemaArgs),
    /// Run inputs (files, followed files, stdin, syslog, OCSF JSON) continuously into a local lake, with checkpoints (--config agent.toml).
    Run(run::RunArgs),
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Ignore a second initialisation (there is none in the binary).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn dispatch(cli: Cli) -> error::Result<u8> {
    let aws = cli.aws;
    match cli.command {
        Command::Convert(args) => publish::convert(args).await,
        Command::Validate(args) => validate::run(args),
        Command::Inspect(args) => inspect::run(args, &aws).await,
        Command::Lint(args) => lint::run(args, &aws).await,
        Command::Publish(args) => publish::publish(args, &aws).await,
        Command::Source(command) => control::source(command, &aws).await,
        Command::Subscriber(command) => control::subscriber(command, &aws).await,
        Command::Subscribe(args) => subscribe::run(args, &aws).await,
        Command::Emulator(args) => emulator::run(args).await,
        Command::Schema(args) => schema::run(args),
        Command::Run(args) => run::run(args).await,
    }
}

fn main() -> ExitCode {
    // Before any thread allocates: freed large buffers go back to the system (ADR 0314).
    let threshold =
        securitylake_alloc::fix_mmap_threshold(securitylake_alloc::DEFAULT_MMAP_THRESHOLD);
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    tracing::debug!(?threshold, "glibc mmap threshold");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("seclake: error: cannot start the async runtime: {e}");
            return ExitCode::from(error::EXIT_FAILURE);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => ExitCode::from(code),
        // `| head` closed stdout: what was asked for was read; end quietly.
        Err(err) if err.is_broken_pipe() => ExitCode::from(error::EXIT_OK),
        Err(err) => {
            error::report(&err);
            ExitCode::from(err.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}

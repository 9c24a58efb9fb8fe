//! `seclake run --config agent.toml`: several inputs, each mapped and written continuously
//! into a local or S3 lake (every class to its own custom source, optionally registered
//! first), with durable checkpoints; see the CLI README and ADR 0303.
//!
//! Each input runs as its own task ([`task`]) with its own `LakeSink`, spool, dead-letter
//! file and state file under `<state_dir>/inputs/<name>/`. SIGTERM and Ctrl-C stop the
//! reading; what was read is flushed and committed, and the run exits 0.

pub mod config;
mod json_file;
mod json_split;
mod lines;
mod mapper;
mod progress;
mod routes;
mod state;
pub mod target;
mod task;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::Args;
use tokio::sync::watch;
use tokio::task::JoinSet;

use self::progress::Counters;
use self::task::lock;
use crate::error::{EXIT_FAILURE, EXIT_OK, Error, Result};

/// Arguments of `seclake run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The agent configuration (TOML): a `[lake]` table and `[[inputs]]` (see the README).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

/// Runs `seclake run`.
pub async fn run(args: RunArgs) -> Result<u8> {
    let config = config::load(&args.config)?;
    run_agent(config, "run").await
}

/// Runs the checked configuration `config` until its inputs end, or until SIGTERM or
/// Ctrl-C, then flushes and commits; `command` names the command in the messages (`run`,
/// `publish`). Shared by `seclake run` and `seclake publish --follow`.
pub async fn run_agent(config: config::AgentConfig, command: &str) -> Result<u8> {
    // The signal handlers first: a SIGTERM from now on stops the run cleanly (the line printed
    // below, after them, says the run is ready for one).
    let signals = Signals::listen()?;
    let mut routes = routes::resolve(&config, command).await?.into_iter();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut all: BTreeMap<String, Arc<Mutex<Counters>>> = BTreeMap::new();
    for input in &config.inputs {
        let routes = routes
            .next()
            .ok_or_else(|| Error::input(format!("input {:?} has no destinations", input.name)))?;
        let counters = Arc::new(Mutex::new(Counters::default()));
        all.insert(input.name.clone(), counters.clone());
        let name = input.name.clone();
        let run = task::run_input(
            input.clone(),
            config.lake.clone(),
            routes,
            stop_rx.clone(),
            counters,
        );
        tasks.spawn(async move { (name, run.await) });
    }
    eprintln!(
        "seclake {command}: {} inputs into {} (state in {})",
        config.inputs.len(),
        config.lake.target,
        config.lake.state_dir.display()
    );
    let signals = tokio::spawn(signals.stop_on_signal(stop_tx, command.to_owned()));
    let mut ticker = tokio::time::interval(config.lake.progress_interval);
    ticker.tick().await;
    let mut failed = Vec::new();
    loop {
        tokio::select! {
            done = tasks.join_next() => match done {
                None => break,
                Some(Ok((_, Ok(())))) => {}
                Some(Ok((name, Err(e)))) => {
                    eprintln!("seclake {command}: input {name:?} stopped: {e}");
                    failed.push(name);
                }
                Some(Err(e)) => {
                    eprintln!("seclake {command}: an input task failed: {e}");
                    failed.push("?".to_owned());
                }
            },
            _ = ticker.tick() => print_counters(command, "progress", &all),
        }
    }
    signals.abort();
    print_counters(command, "summary", &all);
    if failed.is_empty() {
        Ok(EXIT_OK)
    } else {
        eprintln!(
            "seclake {command}: {} inputs failed ({}); what they committed is in the lake",
            failed.len(),
            failed.join(", ")
        );
        Ok(EXIT_FAILURE)
    }
}

/// SIGTERM and SIGINT (Ctrl-C), listened for from [`Signals::listen`] on: the default action
/// (ending the process at once) no longer applies.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn listen() -> Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            term: signal(SignalKind::terminate())
                .map_err(|e| Error::io("listening for SIGTERM", e))?,
            int: signal(SignalKind::interrupt())
                .map_err(|e| Error::io("listening for SIGINT", e))?,
        })
    }

    /// Turns `stop` true on the first SIGTERM or SIGINT.
    async fn stop_on_signal(mut self, stop: watch::Sender<bool>, command: String) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        eprintln!("seclake {command}: stopping: draining, flushing and committing what was read");
        let _ = stop.send(true);
    }
}

fn print_counters(command: &str, what: &str, all: &BTreeMap<String, Arc<Mutex<Counters>>>) {
    for (name, counters) in all {
        let line = lock(counters).line(name);
        eprintln!("seclake {command}: {what}: {line}");
    }
}

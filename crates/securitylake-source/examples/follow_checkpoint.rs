//! Follows a log file and copies its lines to an output file, committing the
//! input's checkpoint after each fsync of the output: the commit contract of
//! `securitylake_source::input::Checkpoints` with a file as the durable
//! downstream. Stops after a line `END`. The input kill test runs it and
//! kills it with SIGKILL at random points.
//!
//! ```text
//! cargo run -p securitylake-source --example follow_checkpoint -- app.log checkpoints.json out.txt
//! ```

use std::path::PathBuf;
use std::time::Duration;

use securitylake_source::input::{Checkpoints, FollowInput, LineInput, Position};
use tokio::io::AsyncWriteExt;

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Copied lines are made durable and committed at least this often.
const BATCH_BYTES: usize = 2048;

#[tokio::main(flavor = "current_thread")]
async fn main() -> BoxResult<()> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let (Some(log), Some(state), Some(output)) = (args.next(), args.next(), args.next()) else {
        return Err("usage: follow_checkpoint <log> <checkpoints.json> <output>".into());
    };
    let mut checkpoints = Checkpoints::open(&state).await?;
    let mut out = open_output(&output).await?;
    let mut input = FollowInput::new(&log)
        .poll_interval(Duration::from_millis(2))
        .resume_from(checkpoints.get("log"));
    let mut line = String::new();
    let mut pending = String::new();
    let mut last: Option<Position> = None;
    loop {
        // A timeout drops `next_line` while it waits (it is cancel-safe):
        // the batch is made durable when the input is idle.
        match tokio::time::timeout(Duration::from_millis(10), input.next_line(&mut line)).await {
            Ok(position) => {
                let position = position?.ok_or("a followed file never ends")?;
                if line == "END" {
                    durable(&mut out, &mut pending, &mut checkpoints, Some(position)).await?;
                    return Ok(());
                }
                pending.push_str(&line);
                pending.push('\n');
                last = Some(position);
                if pending.len() >= BATCH_BYTES {
                    durable(&mut out, &mut pending, &mut checkpoints, last.take()).await?;
                }
            }
            Err(_idle) => durable(&mut out, &mut pending, &mut checkpoints, last.take()).await?,
        }
    }
}

/// Opens the output for appending, dropping a torn last line left by a kill
/// in the middle of a write (not yet committed, so it is read again).
async fn open_output(path: &std::path::Path) -> BoxResult<tokio::fs::File> {
    let bytes = match tokio::fs::read(path).await {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await?;
    file.set_len(complete as u64).await?;
    Ok(file)
}

/// Writes and fsyncs the pending lines, then commits the position after the
/// last of them.
async fn durable(
    out: &mut tokio::fs::File,
    pending: &mut String,
    checkpoints: &mut Checkpoints,
    position: Option<Position>,
) -> BoxResult<()> {
    let Some(position) = position else {
        return Ok(());
    };
    out.write_all(pending.as_bytes()).await?;
    out.sync_data().await?;
    pending.clear();
    checkpoints.commit("log", position).await?;
    Ok(())
}

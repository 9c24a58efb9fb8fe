//! A subscriber process for the crash tests (and a small demonstration of a
//! durable subscriber): scans a local lake once, reads every new object as
//! typed OCSF 1.1.0 `Authentication` events, and records each handled object
//! as one JSON line (`key`, `etag`, `rows`) appended and fsynced to
//! `<state dir>/output.jsonl` before the object is checkpointed.
//!
//! ```text
//! cargo run -p securitylake-subscriber --example subscriber_process -- <lake dir> <state dir>
//! ```
//!
//! Processed objects are remembered in `<state dir>/checkpoint.log`;
//! unreadable ones go to `<state dir>/dead.jsonl`. When the scan is over the
//! counters are printed to stdout as one JSON object. Killed at any point and
//! started again, it handles every object at least once: an object whose
//! output line was written but whose checkpoint was not is handled again.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ocsf_model::v1_1_0::events::Authentication;
use securitylake_core::retry::RetryPolicy;
use securitylake_subscriber::checkpoint::FileCheckpoint;
use securitylake_subscriber::{
    FileDeadLetterSink, Handler, HandlerError, LakeObject, LocalSource, Subscriber,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Appends one fsynced line per handled object.
struct RecordRows {
    output: Mutex<std::fs::File>,
}

#[async_trait::async_trait]
impl Handler for RecordRows {
    async fn handle(&self, object: &LakeObject) -> Result<(), HandlerError> {
        let mut rows = 0usize;
        let mut events = object.typed::<Authentication>()?;
        while let Some(batch) = events.try_next().await? {
            rows += batch.len();
        }
        let info = object.info();
        let mut line = serde_json::to_vec(&serde_json::json!({
            "key": info.object.key,
            "etag": info.object.etag,
            "rows": rows,
        }))
        .map_err(|e| HandlerError::permanent(format!("encoding the output line: {e}")))?;
        line.push(b'\n');
        let mut file = self
            .output
            .lock()
            .map_err(|_| HandlerError::permanent("output lock poisoned"))?;
        // One write of the whole line (O_APPEND), then fsync: the line is
        // durable before the subscriber checkpoints the object.
        file.write_all(&line)
            .and_then(|()| file.sync_data())
            .map_err(|e| HandlerError::retryable(format!("appending the output line: {e}")))?;
        Ok(())
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    let [_, lake, state] = args.as_slice() else {
        return Err("usage: subscriber_process <lake dir> <state dir>".into());
    };
    let state = PathBuf::from(state);
    std::fs::create_dir_all(&state)?;
    let output = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(state.join("output.jsonl"))?;
    let subscriber = Subscriber::builder()
        .source(LocalSource::new(lake))
        .handler(RecordRows {
            output: Mutex::new(output),
        })
        .checkpoint(Arc::new(FileCheckpoint::open(
            state.join("checkpoint.log"),
        )?))
        .dead_letter(Arc::new(FileDeadLetterSink::open(
            state.join("dead.jsonl"),
        )?))
        .retry(
            RetryPolicy::new()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(20)),
        )
        .concurrency(2)
        .build()
        .await?;
    let stats = subscriber.run_once().await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}",
        serde_json::json!({
            "notifications": stats.notifications,
            "objects_processed": stats.objects_processed,
            "duplicates": stats.duplicates,
            "dead_lettered": stats.dead_lettered,
            "unacknowledged": stats.unacknowledged,
        })
    )?;
    out.flush()?;
    Ok(())
}

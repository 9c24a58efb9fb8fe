//! Peak RSS of the transform function on one large log object (ignored by default: it writes
//! the object to disk and into the emulator). `SECLAKE_RSS_MB` sets the object's size (default
//! 100), `SECLAKE_RSS_GZIP=1` gzips it. The function runs under `/usr/bin/time -v` (when
//! present) and its peak RSS (`VmHWM` of the process) is printed:
//!
//! ```sh
//! SECLAKE_RSS_MB=100 cargo test -p securitylake-lambda --test rss -- --ignored --nocapture
//! SECLAKE_RSS_MB=1024 cargo test --release -p securitylake-lambda --test rss -- --ignored --nocapture
//! ```

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{RuntimeApi, emulator_env, keys, linux_log, s3_client};
use serde_json::json;
use tokio::process::Command;

const STAGING: &str = "staging";

/// The peak resident set of process `pid`, in KiB (`VmHWM` in `/proc/<pid>/status`).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The function's own process: the child itself, or the child of `/usr/bin/time`.
fn function_pid(child: u32) -> u32 {
    std::fs::read_to_string(format!("/proc/{child}/task/{child}/children"))
        .ok()
        .and_then(|c| c.split_whitespace().next().and_then(|p| p.parse().ok()))
        .unwrap_or(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow: a large object through the transform; run with --ignored --nocapture"]
async fn transform_peak_rss() {
    let mb: u64 = std::env::var("SECLAKE_RSS_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let gzip = std::env::var("SECLAKE_RSS_GZIP").is_ok_and(|v| v == "1");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("big.log");
    {
        let file = std::fs::File::create(&path).expect("file");
        let mut out: Box<dyn Write> = if gzip {
            Box::new(flate2::write::GzEncoder::new(
                std::io::BufWriter::new(file),
                flate2::Compression::fast(),
            ))
        } else {
            Box::new(std::io::BufWriter::new(file))
        };
        let (mut written, mut seed) = (0u64, 0usize);
        while written < mb * 1024 * 1024 {
            let chunk = linux_log(10_000, seed);
            seed += 10_000;
            written += chunk.len() as u64;
            out.write_all(chunk.as_bytes()).expect("write");
        }
        out.flush().expect("flush");
    }
    let object_bytes = std::fs::metadata(&path).expect("meta").len();

    let emulator = securitylake_emulator::Emulator::builder()
        .start()
        .await
        .expect("emulator");
    let s3 = s3_client(&emulator);
    s3.create_bucket()
        .bucket(STAGING)
        .send()
        .await
        .expect("bucket");
    let body = aws_sdk_s3::primitives::ByteStream::from_path(&path)
        .await
        .expect("body");
    s3.put_object()
        .bucket(STAGING)
        .key("raw/big.log")
        .body(body)
        .send()
        .await
        .expect("put");

    let spool = tempfile::tempdir().expect("spool");
    let api = RuntimeApi::start().await;
    let bin = env!("CARGO_BIN_EXE_seclake-lambda-transform");
    let timed = std::path::Path::new("/usr/bin/time").exists();
    let mut command = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-v").arg(bin);
        c
    } else {
        Command::new(bin)
    };
    command
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", "rss")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("RUST_LOG", "warn")
        .env("SECLAKE_LAKE_BUCKET", emulator.lake_bucket())
        .env("SECLAKE_SOURCE_PREFIX", "rss")
        .env("SECLAKE_ACCOUNT_ID", emulator.account_id())
        .env("SECLAKE_REFERENCE_TIME", "1709596800000")
        .env("SECLAKE_SPOOL_DIR", spool.path())
        .kill_on_drop(true);
    for (k, v) in emulator_env(&emulator) {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("function");
    let pid = child.id().expect("pid");
    let started = Instant::now();
    let event = json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": STAGING}, "object": {"key": "raw/big.log"}}}]});
    let report = api
        .invoke(&event, Duration::from_secs(3600))
        .await
        .response();
    let elapsed = started.elapsed();
    let rss = peak_rss_kib(function_pid(pid));
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(function_pid(pid).to_string())
        .status()
        .await;
    let _ = child.wait().await;
    let object = &report["objects"][0];
    assert_eq!(object["status"], "done", "{report}");
    let lake = keys(&s3, emulator.lake_bucket(), "ext/").await;
    println!(
        "transform of a {:.1} MB {} object ({} lines, {} batches, {} lake objects): {:.1} s, peak RSS {} MiB",
        object_bytes as f64 / 1e6,
        if gzip { "gzip" } else { "plain" },
        object["lines"],
        object["batches"],
        lake.len(),
        elapsed.as_secs_f64(),
        rss.map_or("unknown".to_owned(), |k| format!(
            "{:.1}",
            k as f64 / 1024.0
        )),
    );
    if let Some(kib) = rss {
        assert!(kib < 512 * 1024, "peak RSS {kib} KiB is above 512 MiB");
    }
}

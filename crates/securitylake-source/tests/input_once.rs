//! A file read once and a stream (stdin's type) on real bytes.

mod input_support;

use input_support::{TestResult, next, numbered, numbered_bytes};
use securitylake_source::ErrorKind;
use securitylake_source::input::{FileInput, LineInput, ReaderInput};
use tokio::io::AsyncWriteExt;

async fn read_all(
    input: &mut impl LineInput,
) -> Result<Vec<(String, u64)>, Box<dyn std::error::Error>> {
    let mut line = String::new();
    let mut lines = Vec::new();
    while let Some(position) = input.next_line(&mut line).await? {
        lines.push((line.clone(), position.offset()));
    }
    Ok(lines)
}

#[tokio::test]
async fn a_file_is_read_once_to_its_end() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app.log");
    // CRLF, a line that is not UTF-8, an empty line, an unterminated end.
    std::fs::write(&path, b"one\r\nt\xffo\n\nlast")?;
    let mut input = FileInput::open(&path).await?;
    let lines = read_all(&mut input).await?;
    assert_eq!(
        lines,
        [
            ("one".to_owned(), 5),
            ("t\u{fffd}o".to_owned(), 9),
            (String::new(), 10),
            ("last".to_owned(), 14),
        ]
    );
    let stats = input.stats();
    assert_eq!((stats.lines, stats.bytes), (4, 14));
    assert_eq!(stats.invalid_utf8_lines, 1);
    assert_eq!(stats.partial_lines_flushed, 1);
    // The end stays the end.
    assert_eq!(read_all(&mut input).await?, []);
    Ok(())
}

#[tokio::test]
async fn a_large_file_crosses_read_chunks_and_long_lines_are_split() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("big.log");
    let mut bytes = numbered_bytes(1..=20_000);
    bytes.extend_from_slice(&[b'x'; 25]);
    bytes.push(b'\n');
    std::fs::write(&path, &bytes)?;
    let mut input = FileInput::open(&path).await?.max_line_bytes(10);
    let lines = read_all(&mut input).await?;
    let mut expected = numbered(1..=20_000);
    expected.extend(["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
    assert_eq!(
        lines.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(lines.last().map(|(_, o)| *o), Some(bytes.len() as u64));
    assert_eq!(input.stats().long_lines_split, 2);
    Ok(())
}

#[tokio::test]
async fn a_missing_file_is_not_found() -> TestResult {
    let dir = tempfile::tempdir()?;
    let err = FileInput::open(dir.path().join("absent.log"))
        .await
        .err()
        .ok_or("opening a missing file succeeded")?;
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(!err.is_retryable());
    Ok(())
}

#[tokio::test]
async fn a_stream_holds_a_partial_line_until_its_newline_or_its_end() -> TestResult {
    let (mut tx, rx) = tokio::io::duplex(64);
    let mut input = ReaderInput::new(rx);
    tx.write_all(b"a\npar").await?;
    let (line, position) = next(&mut input).await?;
    assert_eq!((line.as_str(), position.offset()), ("a", 2));
    assert!(position.identity().is_none());
    tx.write_all(b"tial\nend").await?;
    assert_eq!(next(&mut input).await?.0, "partial");
    drop(tx);
    assert_eq!(next(&mut input).await?.0, "end");
    assert_eq!(read_all(&mut input).await?, []);
    assert_eq!(input.stats().partial_lines_flushed, 1);
    Ok(())
}

/// Throughput of a file read once: `cargo test -p securitylake-source --test
/// input_once -- --ignored --nocapture` (a figure, not an assertion).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn throughput_of_a_file_read_once() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("big.log");
    let line = "Mar  1 00:00:01 bastion sshd[4242]: Accepted publickey for ec2-user from 203.0.113.7 port 50022 ssh2: RSA SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\n";
    let lines = 1_000_000u64;
    std::fs::write(&path, line.repeat(lines as usize))?;
    let started = std::time::Instant::now();
    let mut input = FileInput::open(&path).await?;
    let mut text = String::new();
    let mut n = 0u64;
    while input.next_line(&mut text).await?.is_some() {
        n += 1;
    }
    let elapsed = started.elapsed();
    assert_eq!(n, lines);
    let bytes = input.stats().bytes as f64;
    println!(
        "{n} lines, {:.1} MB in {elapsed:?}: {:.0} lines/s, {:.1} MB/s",
        bytes / 1e6,
        n as f64 / elapsed.as_secs_f64(),
        bytes / 1e6 / elapsed.as_secs_f64()
    );

    let started = std::time::Instant::now();
    let mut input = securitylake_source::input::FollowInput::new(&path);
    for _ in 0..lines {
        input.next_line(&mut text).await?;
    }
    let elapsed = started.elapsed();
    assert_eq!(input.stats().lines, lines);
    println!(
        "followed: {lines} lines in {elapsed:?}: {:.0} lines/s",
        lines as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

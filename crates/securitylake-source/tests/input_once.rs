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

//! Helpers of the input tests: files in a temporary directory, reading with
//! a guard against hanging, and waiting on the input's own counters.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use securitylake_source::input::{LineInput, Position};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The poll interval of followed files in tests.
pub const POLL: Duration = Duration::from_millis(5);

/// Fails a test that would otherwise hang (a line that never comes); not an
/// assertion on timing.
const GUARD: Duration = Duration::from_secs(30);

pub fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?
        .write_all(bytes)
}

/// The next line and its position; an error when the input ended or no
/// line came within the guard.
pub async fn next(
    input: &mut impl LineInput,
) -> Result<(String, Position), Box<dyn std::error::Error>> {
    let mut line = String::new();
    let position = tokio::time::timeout(GUARD, input.next_line(&mut line))
        .await
        .map_err(|_| "no line came (the input hangs)")??
        .ok_or("the input ended")?;
    Ok((line, position))
}

/// The next `n` lines.
pub async fn take(
    input: &mut impl LineInput,
    n: usize,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut lines = Vec::with_capacity(n);
    for _ in 0..n {
        lines.push(next(input).await?.0);
    }
    Ok(lines)
}

/// Lets the input poll at the end of its file until it has waited `polls`
/// more intervals (it has then seen the file's current state), failing if
/// it returns a line meanwhile. Each call is cancelled after a few poll
/// intervals, which also exercises cancel safety.
pub async fn idle(input: &mut impl LineInput, polls: u64) -> TestResult {
    let target = input.stats().idle_polls + polls;
    let mut line = String::new();
    let mut rounds = 0u32;
    while input.stats().idle_polls < target {
        if let Ok(result) = tokio::time::timeout(POLL * 3, input.next_line(&mut line)).await {
            return Err(format!("expected no line, got {:?} at {:?}", line, result?).into());
        }
        rounds += 1;
        if rounds > 10_000 {
            return Err("the input never polled".into());
        }
    }
    Ok(())
}

pub fn numbered(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range.map(|i| format!("line {i}")).collect()
}

pub fn numbered_bytes(range: std::ops::RangeInclusive<u32>) -> Vec<u8> {
    numbered(range)
        .iter()
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect()
}

//! A followed file (`tail -F`) on real files: appends, partial lines,
//! rotation by rename and by copy-truncate, deletion and re-creation.

mod input_support;

use input_support::{POLL, TestResult, append, idle, next, numbered, numbered_bytes, take};
use securitylake_source::input::{FollowInput, LineInput};

fn follow(path: &std::path::Path) -> FollowInput {
    FollowInput::new(path).poll_interval(POLL)
}

#[tokio::test]
async fn appends_are_read_with_their_offsets() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app.log");
    std::fs::write(&path, "a\n")?;
    let mut input = follow(&path);
    let (line, position) = next(&mut input).await?;
    assert_eq!((line.as_str(), position.offset()), ("a", 2));
    idle(&mut input, 2).await?;
    append(&path, b"bb\nccc\n")?;
    let (line, position) = next(&mut input).await?;
    assert_eq!((line.as_str(), position.offset()), ("bb", 5));
    let (line, position) = next(&mut input).await?;
    assert_eq!((line.as_str(), position.offset()), ("ccc", 9));
    assert_eq!(input.stats().lines, 3);
    assert_eq!(input.stats().bytes, 9);
    Ok(())
}

#[tokio::test]
async fn a_missing_file_is_waited_for() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("later.log");
    let mut input = follow(&path);
    idle(&mut input, 3).await?;
    std::fs::write(&path, numbered_bytes(1..=2))?;
    assert_eq!(take(&mut input, 2).await?, numbered(1..=2));
    Ok(())
}

#[tokio::test]
async fn a_partial_line_is_held_until_its_newline_arrives() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app.log");
    std::fs::write(&path, "a\npar")?;
    let mut input = follow(&path);
    assert_eq!(next(&mut input).await?.0, "a");
    // The input sees "par" at the end of the file several times, and
    // returns nothing.
    idle(&mut input, 3).await?;
    append(&path, b"tial\nb\n")?;
    let (line, position) = next(&mut input).await?;
    assert_eq!((line.as_str(), position.offset()), ("partial", 10));
    assert_eq!(next(&mut input).await?.0, "b");
    assert_eq!(input.stats().partial_lines_flushed, 0);
    Ok(())
}

#[tokio::test]
async fn rename_rotation_loses_and_repeats_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app.log");
    let rotated = dir.path().join("app.log.1");
    std::fs::write(&path, numbered_bytes(1..=3))?;
    let mut input = follow(&path);
    assert_eq!(take(&mut input, 2).await?, numbered(1..=2));
    let (line, old) = next(&mut input).await?;
    assert_eq!(line, "line 3");
    // The input is at the end of the file, to look at it next.
    idle(&mut input, 2).await?;

    // Rotated while the input was not looking: lines appended to the old
    // file after the rename come before the new file's.
    std::fs::rename(&path, &rotated)?;
    append(&rotated, &numbered_bytes(4..=5))?;
    std::fs::write(&path, numbered_bytes(6..=7))?;
    assert_eq!(take(&mut input, 4).await?, numbered(4..=7));
    assert_eq!(input.stats().rotations, 1);
    append(&path, b"line 8\n")?;
    let (line, position) = next(&mut input).await?;
    assert_eq!(line, "line 8");
    assert_ne!(
        position.identity(),
        old.identity(),
        "positions name the new file"
    );
    assert_eq!(position.offset(), std::fs::metadata(&path)?.len());

    // Rotated while the input polls: it keeps reading the old file while
    // the path is empty, and after a new file appeared, until the switch;
    // the old file's unterminated last line is returned at the switch.
    std::fs::rename(&path, &rotated)?;
    idle(&mut input, 3).await?;
    append(&rotated, b"line 9\n")?;
    assert_eq!(next(&mut input).await?.0, "line 9");
    idle(&mut input, 2).await?;
    std::fs::write(&path, b"line 11\n")?;
    append(&rotated, b"line 10\nunterminated")?;
    assert_eq!(
        take(&mut input, 3).await?,
        ["line 10", "unterminated", "line 11"]
    );
    assert_eq!(input.stats().rotations, 2);
    assert_eq!(input.stats().partial_lines_flushed, 1);
    Ok(())
}

#[tokio::test]
async fn copy_truncate_restarts_at_the_start() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app.log");
    std::fs::write(&path, numbered_bytes(1..=3))?;
    let mut input = follow(&path);
    assert_eq!(take(&mut input, 3).await?, numbered(1..=3));
    idle(&mut input, 2).await?;

    // Shrunk below the read offset.
    std::fs::copy(&path, dir.path().join("app.log.1"))?;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)?
        .set_len(0)?;
    append(&path, b"line 4\n")?;
    let (line, position) = next(&mut input).await?;
    assert_eq!((line.as_str(), position.offset()), ("line 4", 7));
    assert_eq!(input.stats().truncations, 1);

    // Truncated and written past the old read offset before the input
    // looked: the first bytes changed.
    idle(&mut input, 2).await?;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)?
        .set_len(0)?;
    append(&path, &numbered_bytes(5..=9))?;
    assert_eq!(take(&mut input, 5).await?, numbered(5..=9));
    assert_eq!(input.stats().truncations, 2);
    assert_eq!(input.stats().rotations, 0);
    Ok(())
}

#[tokio::test]
async fn a_deleted_file_that_comes_back_is_read_from_its_start() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app.log");
    std::fs::write(&path, numbered_bytes(1..=2))?;
    let mut input = follow(&path);
    assert_eq!(take(&mut input, 2).await?, numbered(1..=2));
    std::fs::remove_file(&path)?;
    idle(&mut input, 3).await?;
    std::fs::write(&path, numbered_bytes(3..=4))?;
    assert_eq!(take(&mut input, 2).await?, numbered(3..=4));
    assert_eq!(input.stats().rotations, 1);
    Ok(())
}

#[tokio::test]
async fn a_file_opened_empty_gets_a_fingerprint_as_it_grows() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app.log");
    std::fs::write(&path, b"")?;
    let mut input = follow(&path);
    idle(&mut input, 2).await?;
    append(&path, b"line 1\nline 2\n")?;
    let (_, position) = next(&mut input).await?;
    let identity = position
        .identity()
        .ok_or("a file position has an identity")?;
    assert_eq!(identity.fingerprint_len(), 14);
    Ok(())
}

/// A writer that rotates by rename while it writes, and keeps writing to the
/// renamed file for a while before it opens the new one (as daemons do
/// until they reopen their log): the follower returns every line once, in
/// order. The writer rotates a file only after the follower has read from
/// it (a file rotated twice before the follower reached it is skipped, as
/// with `tail -F`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_written_during_repeated_rotations_arrive_once_in_order() -> TestResult {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    const LINES: u32 = 20_000;
    const ROTATE_EVERY: u32 = 1_000;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app.log");
    let rotated = dir.path().join("app.log.1");
    std::fs::write(&path, b"")?;
    let received = Arc::new(AtomicU32::new(0));
    let writer_path = path.clone();
    let writer_received = Arc::clone(&received);
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        use std::io::Write;
        let open = |p: &std::path::Path| {
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(p)
        };
        let mut file = open(&writer_path)?;
        for i in 1..=LINES {
            writeln!(file, "line {i}")?;
            if i % ROTATE_EVERY == 0 {
                // The follower has read from the current file.
                let first_of_file = (i - ROTATE_EVERY + 11).min(i);
                while writer_received.load(Ordering::Acquire) < first_of_file {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                std::fs::rename(&writer_path, &rotated)?;
            }
            // The renamed file still gets 10 lines.
            if i % ROTATE_EVERY == 10 && i > ROTATE_EVERY {
                file = open(&writer_path)?;
            }
        }
        Ok(())
    });
    let mut input = FollowInput::new(&path).poll_interval(std::time::Duration::from_millis(1));
    let mut lines = Vec::with_capacity(LINES as usize);
    for n in 1..=LINES {
        lines.push(next(&mut input).await?.0);
        received.store(n, Ordering::Release);
    }
    writer.join().map_err(|_| "the writer panicked")??;
    assert_eq!(lines, numbered(1..=LINES));
    assert_eq!(input.stats().rotations, u64::from(LINES / ROTATE_EVERY - 1));
    Ok(())
}

//! Checkpoints on real files: resume after the committed line, restart at 0
//! when the file is another one or shorter, a bad checkpoint file.

mod input_support;

use input_support::{POLL, TestResult, append, next, numbered, numbered_bytes, take};
use securitylake_source::ErrorKind;
use securitylake_source::input::{Checkpoints, FileInput, FollowInput, LineInput};

#[tokio::test]
async fn a_followed_file_resumes_after_the_committed_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app.log");
    let state = dir.path().join("state").join("checkpoints.json");
    std::fs::write(&path, numbered_bytes(1..=10))?;

    let mut checkpoints = Checkpoints::open(&state).await?;
    let mut input = FollowInput::new(&path).poll_interval(POLL);
    assert_eq!(take(&mut input, 2).await?, numbered(1..=2));
    let (line, third) = next(&mut input).await?;
    assert_eq!(line, "line 3");
    checkpoints.commit("app", third).await?;
    // Read but never made durable: must come again.
    assert_eq!(take(&mut input, 2).await?, numbered(4..=5));
    drop(input);
    drop(checkpoints);

    append(&path, &numbered_bytes(11..=12))?;
    let checkpoints = Checkpoints::open(&state).await?;
    assert_eq!(checkpoints.get("app"), Some(third));
    let mut input = FollowInput::new(&path)
        .poll_interval(POLL)
        .resume_from(checkpoints.get("app"));
    assert_eq!(take(&mut input, 9).await?, numbered(4..=12));
    assert_eq!(input.stats().checkpoint_mismatches, 0);
    // Nothing more: the next line is the next one appended.
    append(&path, b"line 13\n")?;
    assert_eq!(next(&mut input).await?.0, "line 13");
    Ok(())
}

#[tokio::test]
async fn a_file_read_once_resumes_after_the_committed_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app.log");
    let state = dir.path().join("checkpoints.json");
    std::fs::write(&path, numbered_bytes(1..=5))?;
    let mut checkpoints = Checkpoints::open(&state).await?;
    let mut input = FileInput::open_at(&path, checkpoints.get("once")).await?;
    let (_, second) = {
        next(&mut input).await?;
        next(&mut input).await?
    };
    checkpoints.commit("once", second).await?;
    checkpoints.commit("other", second).await?;
    drop(input);

    let checkpoints = Checkpoints::open(&state).await?;
    assert_eq!(checkpoints.iter().count(), 2);
    let mut input = FileInput::open_at(&path, checkpoints.get("once")).await?;
    let mut rest = Vec::new();
    let mut line = String::new();
    while input.next_line(&mut line).await?.is_some() {
        rest.push(line.clone());
    }
    assert_eq!(rest, numbered(3..=5));
    Ok(())
}

#[tokio::test]
async fn another_file_at_the_path_is_read_from_its_start() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app.log");
    std::fs::write(&path, numbered_bytes(1..=3))?;
    let mut input = FileInput::open(&path).await?;
    let (_, position) = next(&mut input).await?;
    drop(input);

    // Replaced while stopped (the old file is gone, not renamed within the
    // directory): another inode at the path.
    std::fs::remove_file(&path)?;
    std::fs::write(&path, numbered_bytes(7..=8))?;
    let mut input = FollowInput::new(&path)
        .poll_interval(POLL)
        .resume_from(Some(position));
    assert_eq!(take(&mut input, 2).await?, numbered(7..=8));
    assert_eq!(input.stats().checkpoint_mismatches, 1);
    Ok(())
}

#[tokio::test]
async fn the_same_inode_with_other_bytes_or_shorter_is_read_from_its_start() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app.log");
    std::fs::write(&path, numbered_bytes(1..=3))?;
    let mut input = FileInput::open(&path).await?;
    let (_, position) = next(&mut input).await?;
    drop(input);

    // Rewritten in place (same inode, as when an inode is reused): the
    // first bytes differ, the file is longer than the offset.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)?
        .set_len(0)?;
    append(&path, b"other 1\nother 2\n")?;
    let mut input = FileInput::open_at(&path, Some(position)).await?;
    assert_eq!(next(&mut input).await?.0, "other 1");
    assert_eq!(input.stats().checkpoint_mismatches, 1);
    let (_, beyond) = next(&mut input).await?;
    drop(input);

    // Truncated to less than the checkpoint's offset, first bytes kept.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)?
        .set_len(8)?;
    let mut input = FileInput::open_at(&path, Some(beyond)).await?;
    assert_eq!(next(&mut input).await?.0, "other 1");
    assert_eq!(input.stats().checkpoint_mismatches, 1);
    Ok(())
}

#[tokio::test]
async fn a_bad_checkpoint_file_is_an_error_and_stays() -> TestResult {
    let dir = tempfile::tempdir()?;
    let state = dir.path().join("checkpoints.json");
    std::fs::write(&state, b"{ not json")?;
    let err = Checkpoints::open(&state)
        .await
        .err()
        .ok_or("a bad checkpoint file opened")?;
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(!err.is_retryable());
    assert_eq!(std::fs::read(&state)?, b"{ not json");

    std::fs::write(&state, br#"{"version":99,"inputs":{}}"#)?;
    let err = Checkpoints::open(&state)
        .await
        .err()
        .ok_or("version 99 opened")?;
    assert!(err.message().contains("format version 99"), "{err}");
    Ok(())
}

#[tokio::test]
async fn a_failed_commit_keeps_the_previous_one() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sub = dir.path().join("state");
    let state = sub.join("checkpoints.json");
    let path = dir.path().join("app.log");
    std::fs::write(&path, numbered_bytes(1..=2))?;
    let mut input = FileInput::open(&path).await?;
    let (_, first) = next(&mut input).await?;
    let (_, second) = next(&mut input).await?;
    let mut checkpoints = Checkpoints::open(&state).await?;
    checkpoints.commit("app", first).await?;
    // The directory is gone: the write fails.
    std::fs::remove_dir_all(&sub)?;
    let err = checkpoints
        .commit("app", second)
        .await
        .err()
        .ok_or("a commit into a missing directory succeeded")?;
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(checkpoints.get("app"), Some(first));
    Ok(())
}

#[tokio::test]
async fn a_file_rotated_while_stopped_is_finished_before_the_new_one() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app.log");
    let rotated = dir.path().join("app.log.1");
    std::fs::write(&path, numbered_bytes(1..=5))?;
    let mut input = FollowInput::new(&path).poll_interval(POLL);
    let (_, third) = {
        take(&mut input, 2).await?;
        next(&mut input).await?
    };
    drop(input);

    // While stopped: the file is rotated by rename, gets one more line, and
    // a new file starts at the path.
    std::fs::rename(&path, &rotated)?;
    append(&rotated, &numbered_bytes(6..=6))?;
    std::fs::write(&path, numbered_bytes(7..=8))?;
    let mut input = FollowInput::new(&path)
        .poll_interval(POLL)
        .resume_from(Some(third));
    assert_eq!(take(&mut input, 5).await?, numbered(4..=8));
    let stats = input.stats();
    assert_eq!(stats.checkpoints_in_rotated_files, 1);
    assert_eq!(stats.checkpoint_mismatches, 0);
    assert_eq!(stats.rotations, 1);

    // Renamed and no new file yet: the renamed file is read, the path
    // waited for.
    let (_, last) = {
        append(&path, b"line 9\n")?;
        next(&mut input).await?
    };
    drop(input);
    std::fs::rename(&path, &rotated)?;
    append(&rotated, b"line 10\n")?;
    let mut input = FollowInput::new(&path)
        .poll_interval(POLL)
        .resume_from(Some(last));
    assert_eq!(next(&mut input).await?.0, "line 10");
    std::fs::write(&path, b"line 11\n")?;
    assert_eq!(next(&mut input).await?.0, "line 11");
    Ok(())
}

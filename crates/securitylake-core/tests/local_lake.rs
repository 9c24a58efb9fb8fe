//! `LocalLake` against the shared suite and its own guarantees.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::{assert_kind, object_store_suite, pattern};
use securitylake_core::ErrorKind;
use securitylake_core::store::{LocalLake, ObjectStore, PutOptions};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[tokio::test]
async fn shared_suite() -> TestResult {
    let dir = tempfile::tempdir()?;
    object_store_suite(&LocalLake::new(dir.path())).await?;
    Ok(())
}

#[tokio::test]
async fn objects_are_files_at_the_key_path_and_staging_is_left_clean() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake = LocalLake::new(dir.path().join("lake"));
    let key = "ext/app/region=us-east-1/accountId=external/eventDay=20240101/a.zstd.parquet";
    lake.put(key, Bytes::from_static(b"data"), PutOptions::new())
        .await?;
    let path = dir.path().join("lake").join(key);
    assert_eq!(std::fs::read(&path)?, b"data");
    let staged: Vec<_> = std::fs::read_dir(dir.path().join("lake").join(".staging"))?.collect();
    assert!(
        staged.is_empty(),
        "staging must be empty after a put: {staged:?}"
    );
    // A refused conditional put leaves nothing staged either.
    assert_kind(
        lake.put(
            key,
            Bytes::from_static(b"other"),
            PutOptions::new().if_none_match(true),
        )
        .await,
        ErrorKind::AlreadyExists,
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("lake").join(".staging"))?.count(),
        0
    );
    // The staging directory is neither listed nor addressable.
    let keys: Vec<String> = lake.list("").await?.into_iter().map(|m| m.key).collect();
    assert_eq!(keys, vec![key.to_owned()]);
    assert!(lake.list(".staging/").await?.is_empty());
    assert_kind(lake.get(".staging/x").await, ErrorKind::InvalidInput);
    Ok(())
}

#[tokio::test]
async fn concurrent_conditional_puts_have_exactly_one_winner() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake = Arc::new(LocalLake::new(dir.path()));
    let key = "ext/app/race.parquet";
    let mut tasks = Vec::new();
    for i in 0..16u8 {
        let lake = Arc::clone(&lake);
        tasks.push(tokio::spawn(async move {
            lake.put(key, pattern(4096, i), PutOptions::new().if_none_match(true))
                .await
                .map(|_| i)
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        match task.await? {
            Ok(i) => winners.push(i),
            Err(err) => assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    assert_eq!(lake.get(key).await?, pattern(4096, winners[0]));
    Ok(())
}

#[tokio::test]
async fn object_and_prefix_of_the_same_name_conflict() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake = LocalLake::new(dir.path());
    lake.put("a/b", Bytes::from_static(b"1"), PutOptions::new())
        .await?;
    assert_kind(
        lake.put("a", Bytes::from_static(b"2"), PutOptions::new())
            .await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        lake.put("a/b/c", Bytes::from_static(b"3"), PutOptions::new())
            .await,
        ErrorKind::InvalidInput,
    );
    assert_kind(lake.get("a").await, ErrorKind::NotFound);
    assert_kind(lake.head("a/b/c").await, ErrorKind::NotFound);
    assert_eq!(lake.get("a/b").await?, Bytes::from_static(b"1"));
    Ok(())
}

#[tokio::test]
async fn large_objects_round_trip_and_head_hashes_them() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake = LocalLake::new(dir.path());
    let data = pattern(3 * 1024 * 1024 + 17, 9);
    let put = lake
        .put("big/object", data.clone(), PutOptions::new())
        .await?;
    assert_eq!(lake.head("big/object").await?.etag, Some(put.etag));
    assert_eq!(
        lake.get_range("big/object", 1_048_570..2_097_160).await?,
        data.slice(1_048_570..2_097_160)
    );
    Ok(())
}

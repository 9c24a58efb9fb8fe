//! Bad input and bad configuration give typed errors and write nothing:
//! missing credentials, a location that is not a valid custom source, an
//! event bigger than a file. Values the Parquet schema cannot carry are
//! counted, and their events are written.

mod writer_support;

use std::sync::Arc;

use aws_credential_types::provider::{ProvideCredentials, error::CredentialsError, future};
use ocsf_model::v1_1_0::events::Authentication;
use securitylake_core::aws::AwsConfig;
use securitylake_core::layout::SourceLocation;
use securitylake_core::object_store::ObjectStore;
use securitylake_core::retry::RetryPolicy;
use securitylake_core::store::{S3StoreBuilder, UploadOptions, local_store};
use securitylake_source::writer::ManualClock;
use securitylake_source::{ErrorKind, Writer, WriterConfig};
use writer_support::*;

/// What the SDK's default chain answers when no provider finds anything.
#[derive(Debug)]
struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
            "no providers in chain provided credentials",
        )))
    }
}

fn writer_config(store: Arc<dyn ObjectStore>, spool: &std::path::Path) -> BoxResult<WriterConfig> {
    Ok(
        writer_builder(store, spool, &ManualClock::new(LEAP_DAY + 2 * DAY))
            // Multipart above 1 KiB, so that a half-written upload would show.
            .upload_options(UploadOptions::new().with_multipart_threshold(1024))
            .build()?,
    )
}

/// Every regular file under `dir`.
fn files_under(dir: &std::path::Path) -> BoxResult<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    Ok(out)
}

/// A writer whose S3 client has no credentials fails its upload with a
/// `Config` error that says what to configure; nothing reaches the bucket,
/// the accepted events stay in the spool, and a writer with credentials
/// later uploads each of them exactly once.
#[tokio::test]
async fn missing_credentials_are_a_config_error_and_nothing_is_half_written() -> TestResult {
    let (aws, emulator) = s3_config().await?;
    let good: Arc<dyn ObjectStore> = Arc::new(S3StoreBuilder::new(&aws).bucket(BUCKET).build()?);
    let spools = [tempfile::tempdir()?, tempfile::tempdir()?];

    // The same in-process S3, reached with a configuration whose credentials
    // chain finds nothing, and with one that has no credentials provider.
    let empty_chain = aws.with_credentials_provider(NoCredentials);
    let mut sdk = aws.sdk_config().to_builder();
    sdk.set_credentials_provider(None);
    let no_provider = AwsConfig::from_sdk_config(sdk.build()).with_force_path_style(true);
    let cases = [("empty chain", empty_chain), ("no provider", no_provider)];
    for (n, ((label, config), spool)) in cases.into_iter().zip(&spools).enumerate() {
        let store: Arc<dyn ObjectStore> = Arc::new(
            S3StoreBuilder::new(&config)
                .bucket(BUCKET)
                .retry_policy(RetryPolicy::no_retry())
                .build()?,
        );
        let mut writer =
            Writer::<Authentication>::open(writer_config(store, spool.path())?).await?;
        let first = n as u64 * 100;
        let events: Vec<_> = (first..first + 20)
            .map(|i| event(LEAP_DAY + i as i64, i, 2_000))
            .collect();
        writer.write_batch(&events).await?;
        let err = writer
            .flush()
            .await
            .err()
            .ok_or_else(|| format!("{label}: an upload without credentials succeeded"))?;
        assert_eq!(err.kind(), ErrorKind::Config, "{label}: {err}");
        assert!(!err.is_retryable(), "{label}: {err}");
        let text = err.to_string();
        for hint in ["credentials", "AWS_ACCESS_KEY_ID", "AWS_PROFILE"] {
            assert!(text.contains(hint), "{label}: {hint:?} missing from {text}");
        }
        eprintln!("{label}: {text}");
        assert_eq!(writer.stats().files_written, 0);
        drop(writer);
        // Reopening without credentials fails the same way (the recovered
        // upload) and keeps the spool.
        let store = writer_config(
            Arc::new(S3StoreBuilder::new(&config).bucket(BUCKET).build()?),
            spool.path(),
        )?;
        let err = Writer::<Authentication>::open(store)
            .await
            .err()
            .ok_or("reopened without credentials")?;
        assert_eq!(err.kind(), ErrorKind::Config, "{label}: {err}");
    }
    // Nothing half-written: no object, and no file at all in the bucket's
    // directory (no multipart upload was even created).
    assert!(list_keys(good.as_ref(), PREFIX).await?.is_empty());
    let files = files_under(&emulator.lake_dir())?;
    assert!(files.is_empty(), "{files:?}");

    // With credentials, the spools drain: 2 x 20 accepted events, each once.
    for spool in &spools {
        let writer =
            Writer::<Authentication>::open(writer_config(good.clone(), spool.path())?).await?;
        assert_eq!(writer.stats().events_recovered, 20);
        writer.close().await?;
    }
    let counts = seq_counts(&read_lake(good.as_ref()).await?)?;
    assert_eq!(counts.len(), 40);
    assert!(
        counts.values().all(|&c| c == 1),
        "every accepted event exactly once: {counts:?}"
    );
    Ok(())
}

#[tokio::test]
async fn invalid_locations_and_oversized_events_are_refused() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    // A source name longer than the API allows, or with a character it
    // refuses, is not a location.
    for bad in [
        format!("s3://{BUCKET}/ext/{}/1.0/", "a".repeat(65)),
        format!("s3://{BUCKET}/ext/my app/1.0/"),
        format!("s3://{BUCKET}/aws/CLOUD_TRAIL_MGMT/2.0/"),
    ] {
        let result = SourceLocation::parse(&bad)
            .map_err(securitylake_source::Error::from)
            .and_then(|location| {
                WriterConfig::builder()
                    .location(location)
                    .region("us-east-1")
                    .account_id(ACCOUNT)
                    .store(store.clone())
                    .spool_dir(spool.path())
                    .build()
            });
        let err = result.err().ok_or_else(|| format!("{bad} accepted"))?;
        assert!(
            matches!(err.kind(), ErrorKind::InvalidInput | ErrorKind::Config),
            "{bad}: {err}"
        );
    }
    // An event larger than a whole file.
    let config = WriterConfig::builder()
        .location(location())
        .region("us-east-1")
        .account_id(ACCOUNT)
        .store(store.clone())
        .spool_dir(spool.path())
        .max_file_bytes(64 * 1024)
        .columnar_options(small_columns())
        .clock(Arc::new(ManualClock::new(LEAP_DAY + DAY)))
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    let err = writer
        .write(&event(LEAP_DAY, 1, 100_000))
        .await
        .err()
        .ok_or("an event larger than a file was accepted")?;
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(writer.stats().events_accepted, 0);
    assert!(writer.close().await?.is_empty());
    assert!(list_keys(store.as_ref(), PREFIX).await?.is_empty());
    Ok(())
}

/// Values the Parquet schema cannot carry as given (a `*_dt` that is not a
/// date-time, an attribute the schema version does not define, an attribute
/// the projection leaves out) do not stop their events: the events are
/// written, the values are counted in `WriterStats::encoding`, for segments
/// sealed by `flush` and for segments recovered after a crash alike.
#[tokio::test]
async fn values_the_schema_cannot_carry_are_counted() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let clock = ManualClock::new(LEAP_DAY + DAY);
    // Everything the events populate except `status_detail`.
    let columns = ocsf_model::columnar::ColumnarOptions::default().with_projection([
        "message",
        "time_dt",
        "class_name",
        "category_name",
        "activity_name",
        "type_name",
        "severity",
        "metadata",
        "user",
    ]);
    let config = || {
        writer_builder(store.clone(), spool.path(), &clock)
            .columnar_options(columns.clone())
            .build()
    };
    let events = || {
        let mut bad_time = event(LEAP_DAY, 1, 0);
        bad_time.time_dt = Some("yesterday".into());
        let mut unknown = event(LEAP_DAY, 2, 0);
        unknown
            .unknown
            .insert("x_partner_score".into(), serde_json::json!(7));
        let mut left_out = event(LEAP_DAY, 3, 0);
        left_out.status_detail = Some("not in the projection".into());
        let mut fine = event(LEAP_DAY, 4, 0);
        fine.time_dt = Some("2024-02-29T00:00:00.000Z".into());
        vec![bad_time, unknown, left_out, fine]
    };

    let mut writer = Writer::<Authentication>::open(config()?).await?;
    writer.write_batch(&events()).await?;
    assert_eq!(writer.stats().encoding.total(), 0, "counted before sealing");
    writer.flush().await?;
    let encoding = writer.stats().encoding;
    assert_eq!(
        (
            encoding.invalid_datetimes,
            encoding.unknown_attributes,
            encoding.left_out,
            encoding.out_of_range
        ),
        (1, 1, 1, 0),
        "{encoding:?}"
    );
    writer.close().await?;
    let written = read_lake(store.as_ref()).await?;
    let all: Vec<&Authentication> = written.values().flat_map(|(_, e)| e).collect();
    let mut seqs: Vec<u64> = all.iter().filter_map(|e| seq_of(e)).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, [1, 2, 3, 4], "every event is written");
    for e in &all {
        let expected = (seq_of(e) == Some(4)).then_some("2024-02-29T00:00:00.000Z");
        assert_eq!(e.time_dt.as_deref(), expected, "{:?}", e.message);
        assert_eq!(e.status_detail, None);
    }

    // The same events left in the spool by a crash: the writer that
    // recovers them counts the same values.
    {
        let mut writer = Writer::<Authentication>::open(config()?).await?;
        writer.write_batch(&events()).await?;
        drop(writer);
    }
    let writer = Writer::<Authentication>::open(config()?).await?;
    let stats = writer.stats();
    assert_eq!(stats.events_recovered, 4, "{stats:?}");
    assert_eq!(stats.encoding, encoding, "{stats:?}");
    writer.close().await?;
    Ok(())
}

//! Registration end to end through the Security Lake emulator.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{EXTERNAL_ID, TestResult, config, fast_retries, registrar, spec};
use securitylake_control::{DriftedField, ErrorKind, Outcome, Registrar};
use securitylake_core::aws::{AssumeRoleProvider, AwsConfig};
use securitylake_core::layout::{
    AccountId, Codec, EventDay, LakeSource, ObjectName, ParsedKey, PartitionKey, Region,
    SourceLocation,
};
use securitylake_core::object_store::{ObjectStore, ObjectStoreExt, path::Path as ObjectPath};
use securitylake_core::store::{S3StoreBuilder, UploadOptions, object_path, put_if_absent};
use securitylake_emulator::{Emulator, Fault, Operation};

#[tokio::test]
async fn reconcile_creates_then_is_a_no_op_then_reports_drift() -> TestResult {
    let emulator = Emulator::builder().start().await?;
    let registrar = registrar(&emulator).await?;
    let spec_v1 = spec("partner-app", Some("1.0"))?;

    let created = registrar.reconcile(&spec_v1).await?;
    assert_eq!(created.outcome, Outcome::Created);
    let source = &created.source;
    assert_eq!(source.source_name, "partner-app");
    assert_eq!(source.source_version.as_deref(), Some("1.0"));
    assert_eq!(
        source.provider_role_arn,
        "arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-partner-app-us-east-1"
    );
    assert_eq!(source.location.bucket(), emulator.lake_bucket());
    assert_eq!(source.location.prefix(), "ext/partner-app/1.0/");
    assert!(matches!(source.location.source(), LakeSource::Custom(c) if c.name() == "partner-app"));
    // The location round-trips through the core parser.
    assert_eq!(
        SourceLocation::parse(&source.location.to_string())?,
        source.location
    );
    assert_eq!(
        source.glue_database(),
        Some("amazon_security_lake_glue_db_us_east_1")
    );
    assert_eq!(
        source.glue_table(),
        Some("amazon_security_lake_table_us_east_1_ext_partner_app")
    );
    assert_eq!(source.crawler_name(), Some("partner-app"));

    // The spec reached the API as given.
    let held = emulator.custom_sources();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].event_classes, ["AUTHENTICATION"]);
    assert_eq!(held[0].principal, "210987654321");
    assert_eq!(held[0].external_id, EXTERNAL_ID);
    assert_eq!(held[0].crawler_role_arn, common::CRAWLER_ROLE);

    let again = registrar.reconcile(&spec_v1).await?;
    assert_eq!(again.outcome, Outcome::Unchanged);
    assert_eq!(again.source, created.source);
    assert_eq!(emulator.request_count(Operation::CreateCustomLogSource), 1);

    let spec_v2 = spec("partner-app", Some("2.0"))?;
    let drifted = registrar.reconcile(&spec_v2).await?;
    match &drifted.outcome {
        Outcome::Drifted(drift) => assert_eq!(
            drift.fields(),
            [DriftedField::SourceVersion {
                expected: Some("2.0".to_owned()),
                actual: Some("1.0".to_owned()),
            }]
        ),
        other => return Err(format!("expected drift, got {other:?}").into()),
    }
    // The existing source was left alone.
    assert_eq!(drifted.source, created.source);
    assert_eq!(emulator.request_count(Operation::CreateCustomLogSource), 1);
    assert_eq!(
        emulator.custom_sources()[0].source_version.as_deref(),
        Some("1.0")
    );

    registrar.delete("partner-app").await?;
    registrar.delete("partner-app").await?;
    assert!(registrar.find("partner-app").await?.is_none());
    assert!(emulator.custom_sources().is_empty());
    // Re-registering after the delete creates it again, with the new version.
    let recreated = registrar.reconcile(&spec_v2).await?;
    assert_eq!(recreated.outcome, Outcome::Created);
    assert_eq!(recreated.source.location.prefix(), "ext/partner-app/2.0/");
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn find_reads_every_page() -> TestResult {
    let emulator = Emulator::builder().start().await?;
    let registrar = registrar(&emulator).await?.with_page_size(1);
    for name in ["a-source", "b-source", "c-source", "d-source"] {
        registrar.reconcile(&spec(name, None)?).await?;
    }
    let last = registrar
        .find("d-source")
        .await?
        .ok_or("d-source not found")?;
    assert_eq!(last.location.prefix(), "ext/d-source/");
    assert!(registrar.find("e-source").await?.is_none());
    // 4 reconciles (1 page each while the lake held 0..=3 sources, plus the
    // pages read) — at least one request per page of the final listing.
    assert!(emulator.request_count(Operation::ListLogSources) >= 4 + 4);
    let err = registrar
        .find("bad name")
        .await
        .err()
        .ok_or("bad name accepted")?;
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn objects_written_under_the_location_land_in_the_emulators_s3() -> TestResult {
    let emulator = Emulator::builder().start().await?;
    let source = registrar(&emulator)
        .await?
        .reconcile(&spec("writer-app", Some("1.0"))?)
        .await?
        .source;

    let (access_key, secret) = emulator.credentials();
    let base = AwsConfig::builder()
        .region("us-east-1")
        .endpoint_url(emulator.endpoint_url())
        .static_credentials(access_key, secret, None)
        .force_path_style(true)
        .load()
        .await?;
    // Write as the provider role, assumed with the external id through the
    // emulator's STS.
    let writer = base
        .assume_role(
            AssumeRoleProvider::builder(source.provider_role_arn.clone())
                .external_id(EXTERNAL_ID)
                .session_name("writer-test"),
        )
        .await?;
    let store = S3StoreBuilder::new(&writer)
        .location(&source.location)
        .build()?;
    let partition = PartitionKey::for_event_time(
        Region::new("us-east-1")?,
        AccountId::parse("123456789012")?,
        1_709_251_199_999,
    )?;
    let body = Bytes::from_static(b"PAR1 not really parquet PAR1");
    let key = source
        .location
        .object_key(&partition, &ObjectName::from_content(&body, Codec::Zstd));
    put_if_absent(
        &store,
        &object_path(&key)?,
        body.clone(),
        &UploadOptions::new(),
    )
    .await?;

    // Visible through S3 with the base credentials, and on disk.
    let reader = S3StoreBuilder::new(&base)
        .bucket(emulator.lake_bucket())
        .build()?;
    assert_eq!(reader.get(&object_path(&key)?).await?.bytes().await?, body);
    let prefix = source.location.prefix();
    let listed: Vec<_> = futures::TryStreamExt::try_collect(
        reader.list(Some(&ObjectPath::from(prefix.trim_end_matches('/')))),
    )
    .await?;
    assert_eq!(listed.len(), 1);
    let parsed = ParsedKey::parse(listed[0].location.as_ref())?;
    assert!(parsed.is_conforming());
    assert_eq!(
        parsed.partition().event_day(),
        EventDay::from_ymd(2024, 2, 29)?
    );
    assert!(emulator.lake_dir().join(&key).is_file());

    // The wrong external id is refused by the emulator's STS.
    let refused = base
        .assume_role(
            AssumeRoleProvider::builder(source.provider_role_arn.clone())
                .external_id("wrong")
                .session_name("intruder"),
        )
        .await;
    let refused = match refused {
        Ok(config) => {
            // Credentials are resolved lazily: the first call fails.
            S3StoreBuilder::new(&config)
                .bucket(emulator.lake_bucket())
                .build()?
                .head(&object_path(&key)?)
                .await
                .err()
                .map(securitylake_core::Error::from)
        }
        Err(err) => Some(err),
    };
    assert!(
        refused.is_some(),
        "a wrong external id must not be accepted"
    );
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn conflicts_and_throttling_are_retried() -> TestResult {
    let emulator = Emulator::builder().start().await?;
    let registrar = registrar(&emulator).await?;
    emulator.inject_fault(Operation::CreateCustomLogSource, Fault::conflict().times(2));
    let created = registrar.reconcile(&spec("retry-app", None)?).await?;
    assert_eq!(created.outcome, Outcome::Created);
    assert_eq!(emulator.request_count(Operation::CreateCustomLogSource), 3);
    // Each attempt listed first.
    assert_eq!(emulator.request_count(Operation::ListLogSources), 3);

    // Throttling with Retry-After: 1 s is honoured although the backoff is 5 ms.
    emulator.inject_fault(
        Operation::ListLogSources,
        Fault::throttling().retry_after(Duration::from_secs(1)),
    );
    let started = Instant::now();
    let found = registrar.reconcile(&spec("retry-app", None)?).await?;
    assert_eq!(found.outcome, Outcome::Unchanged);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(emulator.request_count(Operation::ListLogSources), 5);

    // Deletes retry too.
    emulator.inject_fault(
        Operation::DeleteCustomLogSource,
        Fault::throttling().times(1),
    );
    emulator.inject_fault(
        Operation::DeleteCustomLogSource,
        Fault::internal_server_error(),
    );
    registrar.delete("retry-app").await?;
    assert_eq!(emulator.request_count(Operation::DeleteCustomLogSource), 3);
    assert!(emulator.custom_sources().is_empty());
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn exhausted_and_non_retryable_errors_are_typed() -> TestResult {
    let emulator = Emulator::builder().start().await?;
    let registrar = Registrar::new(&config(&emulator).await?).with_retry_policy(fast_retries(3));

    emulator.inject_fault(
        Operation::ListLogSources,
        Fault::throttling()
            .retry_after(Duration::from_secs(0))
            .times(3),
    );
    let err = registrar
        .reconcile(&spec("busy-app", None)?)
        .await
        .err()
        .ok_or("throttling must surface after the last attempt")?;
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert!(err.is_retryable());
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.code(), Some("ThrottlingException"));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(0)));
    assert!(
        std::error::Error::source(&err).is_some(),
        "the SDK error is chained"
    );
    assert_eq!(emulator.request_count(Operation::ListLogSources), 3);

    emulator.inject_fault(Operation::CreateCustomLogSource, Fault::access_denied());
    let err = registrar
        .reconcile(&spec("busy-app", None)?)
        .await
        .err()
        .ok_or("access denied must surface")?;
    assert_eq!(err.kind(), ErrorKind::AccessDenied);
    assert!(!err.is_retryable());
    assert_eq!(emulator.request_count(Operation::CreateCustomLogSource), 1);

    // A name the spec accepts but the emulator refuses (provider role too
    // long in a long region name) comes back as InvalidInput, not retried.
    let long_region = Emulator::builder().region("ap-southeast-7").start().await?;
    let long_registrar =
        Registrar::new(&config(&long_region).await?).with_retry_policy(fast_retries(3));
    let err = long_registrar
        .reconcile(&spec("twenty-characters-xx", None)?)
        .await;
    match err {
        // 28 + 20 + 1 + 14 = 63 characters: within IAM's limit.
        Ok(reconciled) => assert_eq!(reconciled.outcome, Outcome::Created),
        Err(err) => return Err(format!("unexpected {err}").into()),
    }
    assert_eq!(
        long_region.request_count(Operation::CreateCustomLogSource),
        1
    );
    long_region.shutdown().await;

    let err = registrar
        .delete("bad name")
        .await
        .err()
        .ok_or("bad name accepted")?;
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(emulator.request_count(Operation::DeleteCustomLogSource), 0);
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn concurrent_reconciles_create_once() -> TestResult {
    let emulator = Emulator::builder().start().await?;
    let registrar = registrar(&emulator).await?;
    let spec = spec("raced", None)?;
    let (a, b, c) = tokio::join!(
        registrar.reconcile(&spec),
        registrar.reconcile(&spec),
        registrar.reconcile(&spec)
    );
    let outcomes = [a?.outcome, b?.outcome, c?.outcome];
    assert_eq!(
        outcomes.iter().filter(|o| **o == Outcome::Created).count(),
        1
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Outcome::Unchanged)
            .count(),
        2
    );
    assert_eq!(emulator.custom_sources().len(), 1);
    emulator.shutdown().await;
    Ok(())
}

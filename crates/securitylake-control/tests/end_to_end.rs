//! The control plane and the data plane together, through the emulator:
//! a source registered with the `Registrar`, then written by
//! securitylake-source's `Writer` as the provider role (assumed with the
//! external id through the emulator's STS) under the registered location.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use ocsf_model::v1_1_0::events::Authentication;
use securitylake_control::{CustomSource, Registrar};
use securitylake_core::aws::{AssumeRoleProvider, AwsConfig};
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::S3StoreBuilder;
use securitylake_emulator::Emulator;
use securitylake_source::writer::ManualClock;
use securitylake_source::{Writer, WriterConfig};
use support::{DAY, LEAP_DAY, event, get_bytes, list_keys};

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

#[tokio::test]
async fn end_to_end_through_the_emulator_with_the_provider_role() -> TestResult {
    let emulator = Emulator::builder().start().await?;
    let spec = CustomSource::builder("e2e-writer")
        .version("1.0")
        .event_class("AUTHENTICATION")
        .principal("210987654321")
        .external_id("e2e-external-id")
        .crawler_role_arn("arn:aws:iam::123456789012:role/GlueCrawler")
        .build()?;
    let (access_key, secret) = emulator.credentials();
    let base = AwsConfig::builder()
        .region("us-east-1")
        .endpoint_url(emulator.endpoint_url())
        .static_credentials(access_key, secret, None)
        .force_path_style(true)
        .load()
        .await?;
    // The control plane registers; the data plane writes as the provider.
    let source = Registrar::new(&base).reconcile(&spec).await?.source;
    let provider = base
        .assume_role(
            AssumeRoleProvider::builder(source.provider_role_arn.clone())
                .external_id("e2e-external-id")
                .session_name("writer-e2e"),
        )
        .await?;
    let spool = tempfile::tempdir()?;
    let clock = ManualClock::new(LEAP_DAY + 2 * DAY);
    let config = WriterConfig::builder()
        .source(&source)
        .account_id("external")
        .s3(&provider)
        .spool_dir(spool.path())
        .clock(Arc::new(clock))
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    let events: Vec<_> = (0..50u64)
        .map(|i| event(LEAP_DAY + DAY - 25 + i as i64, i, 0))
        .collect();
    writer.write_batch(&events).await?;
    let manifest = writer.close().await?;
    assert_eq!(manifest.len(), 2, "midnight splits the stream");

    let reader: Arc<dyn ObjectStore> = Arc::new(
        S3StoreBuilder::new(&base)
            .bucket(emulator.lake_bucket())
            .build()?,
    );
    let listed = list_keys(reader.as_ref(), &source.location.prefix()).await?;
    let listed_keys: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    let written_keys: BTreeSet<&str> = manifest.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(listed_keys, written_keys);
    let mut rows = 0;
    for entry in &manifest {
        assert!(
            entry.key.starts_with(&format!(
                "{}region={}/accountId=external/eventDay=",
                source.location.prefix(),
                emulator.region()
            )),
            "{}",
            entry.key
        );
        let events: Vec<Authentication> =
            securitylake_parquet::read_parquet(get_bytes(reader.as_ref(), &entry.key).await?)?;
        rows += events.len();
        assert!(emulator.lake_dir().join(&entry.key).is_file());
    }
    assert_eq!(rows, 50);
    emulator.shutdown().await;
    Ok(())
}

//! Registers a custom source and writes to it the way a partner does in
//! production: [`Registrar::reconcile`] creates the source (or finds it
//! unchanged, or reports drift), then the writer assumes the source's
//! provider role with the external id and writes under the returned
//! location.
//!
//! ```text
//! cargo run --example register_custom_source
//! ```
//!
//! By default everything runs against the Security Lake emulator started
//! in-process (loopback only, no AWS account): its Security Lake API, STS
//! and S3. With `SECURITYLAKE_REAL_AWS=1` the same code runs against the
//! account of the default AWS credentials; then also set
//! `SECURITYLAKE_PRINCIPAL` (the account allowed to write),
//! `SECURITYLAKE_EXTERNAL_ID` and `SECURITYLAKE_CRAWLER_ROLE_ARN`. That
//! creates a real custom source (and writes a few events to it).

mod common;

use std::sync::Arc;

use securitylake::control::{CustomSource, Outcome, Registrar};
use securitylake::lake::aws::{AssumeRoleProvider, AwsConfig};
use securitylake::lake::object_store::{ObjectStore, path::Path as ObjectPath};
use securitylake::lake::store::S3StoreBuilder;
use securitylake::mappers::LinuxMapper;
use securitylake::model::v1_1_0::events::Authentication;
use securitylake::source::{Writer, WriterConfig};
use securitylake_emulator::Emulator;

use common::BoxError;

/// The account of the emulated lake and the partner's identity.
const ACCOUNT: &str = "123456789012";
const EXTERNAL_ID: &str = "bastion-example-external-id";

fn env(name: &str) -> Result<String, BoxError> {
    std::env::var(name)
        .map_err(|_| format!("{name} is required with SECURITYLAKE_REAL_AWS=1").into())
}

/// Runs the example (see the module documentation).
#[tokio::main(flavor = "current_thread")]
pub async fn main() -> Result<(), BoxError> {
    let real = std::env::var("SECURITYLAKE_REAL_AWS").is_ok_and(|v| v == "1");
    let temp = tempfile::tempdir()?;

    // 1. The AWS configuration: the emulator's endpoint and keys, or the
    //    default chain.
    let (emulator, base, principal, external_id, crawler_role) = if real {
        let base = AwsConfig::load_defaults().await?;
        (
            None,
            base,
            env("SECURITYLAKE_PRINCIPAL")?,
            env("SECURITYLAKE_EXTERNAL_ID")?,
            env("SECURITYLAKE_CRAWLER_ROLE_ARN")?,
        )
    } else {
        let emulator = Emulator::builder()
            .region("us-east-1")
            .account_id(ACCOUNT)
            .data_dir(temp.path().join("emulator"))
            .start()
            .await?;
        let (access_key, secret) = emulator.credentials();
        let base = AwsConfig::builder()
            .region(emulator.region())
            .endpoint_url(emulator.endpoint_url())
            .static_credentials(access_key, secret, None)
            .force_path_style(true)
            .load()
            .await?;
        println!("emulator listening on {}", emulator.endpoint_url());
        (
            Some(emulator),
            base,
            ACCOUNT.to_owned(),
            EXTERNAL_ID.to_owned(),
            format!("arn:aws:iam::{ACCOUNT}:role/SecurityLakeGlueCrawler"),
        )
    };
    let region = base.region().ok_or("no AWS region configured")?.to_owned();

    // 2. Reconcile the source: created the first time, unchanged after.
    let spec = CustomSource::builder("bastion-auth")
        .version("1.0")
        .event_class("AUTHENTICATION")
        .principal(principal.clone())
        .external_id(external_id.clone())
        .crawler_role_arn(crawler_role)
        .build()?;
    let registrar = Registrar::new(&base);
    let first = registrar.reconcile(&spec).await?;
    let source = first.source;
    println!(
        "reconcile: {:?}\n  location      {}\n  provider role {}",
        first.outcome, source.location, source.provider_role_arn
    );
    let again = registrar.reconcile(&spec).await?;
    println!("reconcile again: {:?}", again.outcome);
    if again.outcome != Outcome::Unchanged {
        return Err(format!("expected the source unchanged, got {:?}", again.outcome).into());
    }

    // 3. Write as the provider role, assumed with the external id.
    let provider = base
        .assume_role(
            AssumeRoleProvider::builder(source.provider_role_arn.clone())
                .external_id(external_id)
                .session_name("bastion-auth-writer"),
        )
        .await?;
    // The bucket and region come from the registration's location.
    let store: Arc<dyn ObjectStore> = Arc::new(
        S3StoreBuilder::new(&provider)
            .location(&source.location)
            .build()?,
    );
    let mut mapper = LinuxMapper::new(common::builtin_config());
    let logons: Vec<Authentication> = common::builtin_lines(7)
        .iter()
        .flat_map(|line| mapper.map_line(line))
        .filter_map(|event| Authentication::try_from(event).ok())
        .collect();
    let config = WriterConfig::builder()
        .source(&source)
        .region(region)
        .account_id(principal)
        .store(store.clone())
        .spool_dir(temp.path().join("spool"))
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    writer.write_batch(&logons).await?;
    let manifest = writer.close().await?;
    println!("wrote {} events:", manifest.rows());
    for object in manifest.iter() {
        println!(
            "  s3://{}/{} ({} bytes)",
            source.location.bucket(),
            object.key,
            object.bytes
        );
    }

    // 4. The objects are in the bucket, under the source's prefix. (Next,
    //    `GluePartitioner::make_queryable` would add the partitions to the
    //    source's Glue table; the emulator serves no Glue API.)
    let prefix = source.location.prefix();
    let listed: Vec<_> = futures::TryStreamExt::try_collect(
        store.list(Some(&ObjectPath::from(prefix.trim_end_matches('/')))),
    )
    .await?;
    println!(
        "{} object(s) listed under {}",
        listed.len(),
        source.location
    );

    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    Ok(())
}

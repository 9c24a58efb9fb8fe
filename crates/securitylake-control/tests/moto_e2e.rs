//! End to end with `moto_server` on 127.0.0.1: a custom source registered
//! through the emulator (`Registrar`), its provider role assumed
//! with the external id through the emulator's STS, the typed writer
//! uploading to S3 on moto with those temporary credentials, and the Glue
//! partitions created on moto (`BatchCreatePartition`) for exactly the
//! partitions written. Skipped with a note when `MOTO_SERVER` (the path of
//! the `moto_server` binary) is unset.

mod common;
mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use aws_sdk_glue::types::{Column, DatabaseInput, SerDeInfo, StorageDescriptor, TableInput};
use common::{BoxResult, TestResult};
use ocsf_model::v1_1_0::events::Authentication;
use securitylake_control::GluePartitioner;
use securitylake_core::aws::{AssumeRoleProvider, AwsConfig};
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::{
    Created, S3StoreBuilder, UploadOptions, object_path, put_if_absent,
};
use securitylake_emulator::Emulator;
use securitylake_source::writer::ManualClock;
use securitylake_source::{Writer, WriterConfig};
use support::{DAY, LEAP_DAY, event, get_bytes, list_keys, seq_of};

struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_moto() -> BoxResult<Option<Moto>> {
    let Some(bin) = std::env::var_os("MOTO_SERVER") else {
        if std::env::var_os("SECLAKE_TEST_COMPLETE").is_some() {
            panic!(
                "SECLAKE_TEST_COMPLETE is set but MOTO_SERVER (moto_server) is unset: the moto end-to-end test cannot run; `cargo xtask test` provisions the peers"
            );
        }
        eprintln!("note: MOTO_SERVER is unset; skipping the moto end-to-end test");
        return Ok(None);
    };
    let mut child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().ok_or("moto_server has no stderr")?;
    // Killed on drop, also when no address shows up.
    let mut moto = Moto {
        child,
        url: String::new(),
    };
    let mut lines = BufReader::new(stderr).lines();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line?;
        if let Some(pos) = line.find("Running on http://127.0.0.1:") {
            let rest = &line[pos + "Running on ".len()..];
            url = Some(
                rest.split_whitespace()
                    .next()
                    .unwrap_or(rest)
                    .trim_end_matches('/')
                    .to_owned(),
            );
            break;
        }
    }
    // Keep draining stderr so that moto never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    moto.url = url.ok_or("moto_server did not print its address")?;
    Ok(Some(moto))
}

const PARQUET_SERDE: &str = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_write_and_partition_on_moto() -> TestResult {
    let Some(moto) = start_moto()? else {
        return Ok(());
    };
    // 1. Register through the emulator's Security Lake API.
    let emulator = Emulator::builder().start().await?;
    let spec = common::spec("moto-e2e", Some("1.0"))?;
    let source = common::registrar(&emulator)
        .await?
        .reconcile(&spec)
        .await?
        .source;
    let database = source.glue_database().ok_or("no database ARN")?.to_owned();
    let table = source.glue_table().ok_or("no table ARN")?.to_owned();
    let bucket = source.location.bucket().to_owned();

    // 2. The provider role's temporary credentials, from the emulator's STS
    //    (which checks the external id), used against S3 on moto.
    let (access_key, secret) = emulator.credentials();
    let at_emulator = AwsConfig::builder()
        .region("us-east-1")
        .endpoint_url(emulator.endpoint_url())
        .static_credentials(access_key, secret, None)
        .load()
        .await?;
    let role = at_emulator
        .assume_role(
            AssumeRoleProvider::builder(source.provider_role_arn.clone())
                .external_id(common::EXTERNAL_ID)
                .session_name("moto-e2e-writer"),
        )
        .await?;
    let as_provider = AwsConfig::from_sdk_config(
        role.sdk_config()
            .to_builder()
            .endpoint_url(moto.url.clone())
            .build(),
    )
    .with_force_path_style(true);

    // The lake account's side on moto: the bucket, and the database and
    // table that the source's crawler creates on its first run.
    let admin = AwsConfig::builder()
        .region("us-east-1")
        .endpoint_url(moto.url.clone())
        .static_credentials("testing", "testing", None)
        .force_path_style(true)
        .load()
        .await?;
    admin
        .s3_client()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await?;
    let glue = aws_sdk_glue::Client::new(admin.sdk_config());
    glue.create_database()
        .database_input(DatabaseInput::builder().name(&database).build()?)
        .send()
        .await?;
    let key = |name: &str| Column::builder().name(name).r#type("string").build();
    glue.create_table()
        .database_name(&database)
        .table_input(
            TableInput::builder()
                .name(&table)
                .table_type("EXTERNAL_TABLE")
                .storage_descriptor(
                    StorageDescriptor::builder()
                        .location(source.location.to_string())
                        .input_format(
                            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                        )
                        .output_format(
                            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                        )
                        .serde_info(
                            SerDeInfo::builder()
                                .serialization_library(PARQUET_SERDE)
                                .build(),
                        )
                        .columns(Column::builder().name("time").r#type("bigint").build()?)
                        .build(),
                )
                .partition_keys(key("region")?)
                .partition_keys(key("accountid")?)
                .partition_keys(key("eventday")?)
                .build()?,
        )
        .send()
        .await?;

    // 3. Write three days of events as the provider.
    let store: Arc<dyn ObjectStore> =
        Arc::new(S3StoreBuilder::new(&as_provider).bucket(&bucket).build()?);
    let spool = tempfile::tempdir()?;
    let config = WriterConfig::builder()
        .source(&source)
        .region("us-east-1")
        .account_id("123456789012")
        .store(store.clone())
        .spool_dir(spool.path())
        .clock(Arc::new(ManualClock::new(LEAP_DAY + 4 * DAY)))
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    let events: Vec<_> = (0..300u64)
        .map(|i| event(LEAP_DAY + (i % 3) as i64 * DAY + i as i64, i, 64))
        .collect();
    writer.write_batch(&events).await?;
    let manifest = writer.close().await?;
    assert_eq!(manifest.rows(), 300);
    let written = manifest.partitions();
    assert_eq!(written.len(), 3, "{written:?}");

    // The objects are in moto's S3, under the registered location.
    let reader: Arc<dyn ObjectStore> =
        Arc::new(S3StoreBuilder::new(&admin).bucket(&bucket).build()?);
    let listed: BTreeSet<String> = list_keys(reader.as_ref(), &source.location.prefix())
        .await?
        .into_iter()
        .collect();
    let manifest_keys: BTreeSet<String> = manifest.iter().map(|e| e.key.clone()).collect();
    assert_eq!(listed, manifest_keys);
    // A replayed upload does not overwrite: moto honours `If-None-Match: *`.
    let first = listed.iter().next().ok_or("no object")?;
    let before = get_bytes(reader.as_ref(), first).await?;
    let replay = put_if_absent(
        store.as_ref(),
        &object_path(first)?,
        bytes::Bytes::from_static(b"replayed bytes"),
        &UploadOptions::new(),
    )
    .await?;
    assert_eq!(replay, Created::AlreadyPresent);
    assert_eq!(get_bytes(reader.as_ref(), first).await?, before);
    let mut seqs = BTreeSet::new();
    for key in &listed {
        let events: Vec<Authentication> =
            securitylake_parquet::read_parquet(get_bytes(reader.as_ref(), key).await?)?;
        for e in &events {
            assert!(seqs.insert(seq_of(e).ok_or("no sequence number")?), "{key}");
        }
    }
    assert_eq!(seqs.len(), 300);

    // 4. Glue partitions on moto: exactly the partitions written.
    let partitioner = GluePartitioner::new(&admin);
    let report = partitioner.make_queryable(&source, &written).await?;
    assert_eq!(report.created, written);
    assert!(report.already_existed.is_empty());
    let again = partitioner.make_queryable(&source, &written).await?;
    assert!(again.created.is_empty());
    assert_eq!(again.already_existed, written);

    let partitions = glue
        .get_partitions()
        .database_name(&database)
        .table_name(&table)
        .send()
        .await?;
    let mut found: Vec<(Vec<String>, String)> = partitions
        .partitions()
        .iter()
        .map(|p| {
            (
                p.values().to_vec(),
                p.storage_descriptor()
                    .and_then(|d| d.location())
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    found.sort();
    let expected: Vec<(Vec<String>, String)> = written
        .iter()
        .map(|p| {
            (
                vec![
                    p.region().as_str().to_owned(),
                    p.account_id().to_string(),
                    p.event_day().to_string(),
                ],
                format!("s3://{bucket}/{}", source.location.partition_prefix(p)),
            )
        })
        .collect();
    assert_eq!(found, expected);
    // Every partition location holds the objects written there.
    for (_, location) in &found {
        let prefix = location
            .strip_prefix(&format!("s3://{bucket}/"))
            .ok_or("partition outside the bucket")?;
        assert!(
            !list_keys(reader.as_ref(), prefix).await?.is_empty(),
            "{location} is empty"
        );
    }
    emulator.shutdown().await;
    Ok(())
}

//! One provider role per custom source, as Security Lake makes them: the sources registered in
//! the emulator (each with its own `AmazonSecurityLake-Provider-<source>-<region>` role and the
//! external id), the transform given `SECLAKE_PROVIDER_ROLE_ARN` with `{source}` in it assumes
//! each one through the emulator's STS and writes every class to its registered location.

mod common;

use std::time::Duration;

use common::{Function, RuntimeApi, emulator_env, keys, linux_log, s3_client};
use ocsf_model::v1_1_0::Event;
use securitylake_control::{CustomSource, OcsfClass, Registrar};
use securitylake_core::aws::AwsConfig;
use securitylake_source::sink::{ClassInfo, source_name};
use serde_json::json;

const EXTERNAL_ID: &str = "lambda-test-external-id";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_source_is_written_as_its_own_provider_role() {
    let emulator = securitylake_emulator::Emulator::builder()
        .start()
        .await
        .expect("emulator");
    let (id, secret) = emulator.credentials();
    let aws = AwsConfig::builder()
        .endpoint_url(emulator.endpoint_url())
        .region(emulator.region().to_owned())
        .static_credentials(id.to_owned(), secret.to_owned(), None)
        .force_path_style(true)
        .load()
        .await
        .expect("aws");
    let registrar = Registrar::new(&aws);
    // The classes the Linux lines of `linux_log` map to.
    let mut names = Vec::new();
    for uid in [0, 1007, 3002] {
        let class = ClassInfo::find::<Event>(uid).expect("class");
        let name = source_name("lambda", &class).expect("name");
        let spec = CustomSource::builder(name.clone())
            .version("1.0")
            .event_class(
                OcsfClass::new(uid, class.name)
                    .expect("class")
                    .event_class(),
            )
            .principal(emulator.account_id().to_owned())
            .external_id(EXTERNAL_ID.to_owned())
            .crawler_role_arn(format!(
                "arn:aws:iam::{}:role/SecurityLakeGlueCrawler",
                emulator.account_id()
            ))
            .build()
            .expect("spec");
        let registered = registrar.reconcile(&spec).await.expect("registered").source;
        assert!(
            registered.provider_role_arn.contains(&name),
            "{}",
            registered.provider_role_arn
        );
        names.push(name);
    }

    let s3 = s3_client(&emulator);
    s3.create_bucket()
        .bucket("staging")
        .send()
        .await
        .expect("bucket");
    s3.put_object()
        .bucket("staging")
        .key("raw/auth.log")
        .body(linux_log(200, 0).into_bytes().into())
        .send()
        .await
        .expect("put");
    let spool = tempfile::tempdir().expect("spool");
    let api = RuntimeApi::start().await;
    let mut env = emulator_env(&emulator);
    env.extend(
        [
            ("SECLAKE_LAKE_BUCKET", emulator.lake_bucket().to_owned()),
            ("SECLAKE_SOURCE_PREFIX", "lambda".to_owned()),
            ("SECLAKE_SOURCE_VERSION", "1.0".to_owned()),
            ("SECLAKE_ACCOUNT_ID", emulator.account_id().to_owned()),
            (
                "SECLAKE_PROVIDER_ROLE_ARN",
                format!(
                    "arn:aws:iam::{}:role/AmazonSecurityLake-Provider-{{source}}-{}",
                    emulator.account_id(),
                    emulator.region()
                ),
            ),
            ("SECLAKE_EXTERNAL_ID", EXTERNAL_ID.to_owned()),
            ("SECLAKE_REFERENCE_TIME", "1709596800000".to_owned()),
            ("SECLAKE_SPOOL_DIR", spool.path().display().to_string()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    let _function = Function::start(env!("CARGO_BIN_EXE_seclake-lambda-transform"), &api, &env);
    let event = json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": "staging"}, "object": {"key": "raw/auth.log"}}}]});
    let report = api
        .invoke(&event, Duration::from_secs(900))
        .await
        .response();
    assert_eq!(report["objects"][0]["status"], "done", "{report}");
    for name in &names {
        let written = keys(&s3, emulator.lake_bucket(), &format!("ext/{name}/1.0/")).await;
        assert!(!written.is_empty(), "nothing in {name}: {report}");
    }
}

//! The subscriber function as Lambda runs it: the `subscriber_function` example's real
//! `lambda_runtime` loop against a Runtime API on 127.0.0.1, reading lake objects from the
//! emulator through a fault-injecting proxy. One object of the batch cannot be read (S3 answers
//! `503 SlowDown` for it every time): exactly its message is in `batchItemFailures`; the others
//! are handled once, also when SQS delivers one of them again; an object that is no Parquet
//! is dead-lettered and its message is not returned.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Function, RuntimeApi, emulator_env, keys, s3_client};
use ocsf_model::columnar::ColumnarOptions;
use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
use securitylake_emulator::{FaultProxy, ProxyFault, ProxyRule};
use serde_json::{Value, json};

const LONG: Duration = Duration::from_secs(15 * 60);

/// The example binary: `cargo test` builds the package's examples next to its tests.
fn example(name: &str) -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_seclake-lambda-transform"));
    let path = bin
        .parent()
        .expect("target dir")
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo test -p securitylake-lambda` (which builds the examples)",
        path.display()
    );
    path
}

fn parquet(n: usize) -> Vec<u8> {
    let events: Vec<Authentication> = (0..n)
        .map(|i| {
            Authentication::new(
                AuthenticationActivityId::Logon,
                Metadata::new(Product::default(), "1.1.0".into()),
                SeverityId::Low,
                1_709_596_800_000 + i as i64,
                User::default(),
            )
        })
        .collect();
    securitylake_parquet::write_parquet(&events, &ColumnarOptions::default()).expect("parquet")
}

fn message(id: &str, bucket: &str, key: &str, etag: &str) -> Value {
    let body = json!({"source": "aws.s3", "time": "2024-03-05T00:00:00Z", "account": "123456789012",
        "region": "us-east-1", "detail-type": "Object Created",
        "detail": {"bucket": {"name": bucket}, "object": {"key": key, "etag": etag}}});
    json!({"messageId": id, "receiptHandle": format!("rh-{id}"), "body": body.to_string(),
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:sub",
        "awsRegion": "us-east-1"})
}

fn handled(function: &Function, key: &str) -> usize {
    function
        .lines()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["handled"] == key)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriber_function_reports_only_the_failed_message() {
    let emulator = securitylake_emulator::Emulator::builder()
        .start()
        .await
        .expect("emulator");
    let s3 = s3_client(&emulator);
    let lake = emulator.lake_bucket().to_owned();
    s3.create_bucket()
        .bucket("letters")
        .send()
        .await
        .expect("bucket");
    let prefix = "ext/app/region=us-east-1/accountId=123456789012/eventDay=20240305/";
    let mut etags = Vec::new();
    for (name, body) in [
        ("one.zstd.parquet", parquet(3)),
        ("two.zstd.parquet", parquet(5)),
        ("three.zstd.parquet", parquet(7)),
        ("four.zstd.parquet", b"not parquet at all".to_vec()),
    ] {
        let put = s3
            .put_object()
            .bucket(&lake)
            .key(format!("{prefix}{name}"))
            .body(body.into())
            .send()
            .await
            .expect("put");
        etags.push(put.e_tag().unwrap_or_default().trim_matches('"').to_owned());
    }
    let proxy = FaultProxy::start(emulator.s3_endpoint_url())
        .await
        .expect("proxy");
    proxy.inject(
        ProxyRule::new(ProxyFault::SlowDown)
            .path_contains("two.zstd.parquet")
            .times(10_000),
    );

    let api = RuntimeApi::start().await;
    let mut env: Vec<(String, String)> = emulator_env(&emulator)
        .into_iter()
        .filter(|(k, _)| k != "AWS_ENDPOINT_URL")
        .collect();
    env.push(("AWS_ENDPOINT_URL".to_owned(), proxy.url()));
    env.push((
        "SECLAKE_DEAD_LETTER_BUCKET".to_owned(),
        "letters".to_owned(),
    ));
    let function = Function::start(
        example("subscriber_function").to_str().expect("path"),
        &api,
        &env,
    );

    let key = |name: &str| format!("{prefix}{name}");
    let batch = json!({"Records": [
        message("m-1", &lake, &key("one.zstd.parquet"), &etags[0]),
        message("m-2", &lake, &key("two.zstd.parquet"), &etags[1]),
        message("m-3", &lake, &key("three.zstd.parquet"), &etags[2]),
        message("m-4", &lake, &key("four.zstd.parquet"), &etags[3]),
    ]});
    let response = api.invoke(&batch, LONG).await.response();
    assert_eq!(
        response,
        json!({"batchItemFailures": [{"itemIdentifier": "m-2"}]})
    );
    assert_eq!(handled(&function, &key("one.zstd.parquet")), 1);
    assert_eq!(handled(&function, &key("two.zstd.parquet")), 0);
    assert_eq!(handled(&function, &key("three.zstd.parquet")), 1);
    assert_eq!(handled(&function, &key("four.zstd.parquet")), 0);
    let letters = keys(&s3, "letters", "seclake-dead-letters/").await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(letters[0].contains("four.zstd.parquet"), "{letters:?}");

    // SQS delivers m-1 again (at least once): dropped as a duplicate (bucket + key + etag).
    let again = json!({"Records": [
        message("m-1", &lake, &key("one.zstd.parquet"), &etags[0]),
    ]});
    let response = api.invoke(&again, LONG).await.response();
    assert_eq!(response, json!({"batchItemFailures": []}));
    assert_eq!(
        handled(&function, &key("one.zstd.parquet")),
        1,
        "a duplicate is not handled again"
    );
    proxy.shutdown().await;
}

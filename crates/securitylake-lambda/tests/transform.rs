//! The transform function as Lambda runs it: the real `lambda_runtime` loop of the
//! `seclake-lambda-transform` binary against a Runtime API on 127.0.0.1, the emulator as S3.
//! Objects dropped into a staging bucket end up as Parquet in each class's custom source
//! (counted per class by the subscriber crate's reader); a replayed invocation writes nothing
//! new; a corrupt gzip object fails alone with nothing of it written; a deadline too near
//! reports the object as remaining, and the resume request finishes it.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use common::{Function, RuntimeApi, emulator_env, keys, linux_log, s3_client};
use ocsf_mappers::lines::{LineFormat, LineMapping, Mapped};
use securitylake_core::store::local_store;
use securitylake_subscriber::ObjectRef;
use securitylake_subscriber::reader::ObjectReader;
use serde_json::{Value, json};

const STAGING: &str = "staging";
/// Small batches, so that objects span several.
const BATCH_BYTES: u64 = 8 * 1024;
/// 2024-03-05T00:00:00Z.
const REFERENCE_MS: i64 = 1_709_596_800_000;
const LONG: Duration = Duration::from_secs(15 * 60);
const MARGIN_SECS: u64 = 120;

fn cef_log(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "CEF:0|Trend Micro|Deep Security Agent|20.0.0|4000000|Eicar_test_file|6|cn1=1 cn1Label=Host ID dvc=10.0.0.{} act=Quarantine filePath=/tmp/eicar{i} msg=Realtime rt=Mar 03 2024 10:00:{:02}\n",
                i % 250,
                i % 60
            )
        })
        .collect()
}

/// OCSF JSON lines: events of the Linux mapper as JSON, and one invalid event.
fn ocsf_json_log() -> String {
    let mut mapper = LineMapping::new(
        LineFormat::Linux,
        LineFormat::Linux
            .default_config()
            .with_reference_ms(REFERENCE_MS),
    );
    let mut mapped = Mapped::default();
    for line in linux_log(40, 7000).lines() {
        mapper.map_line(line, &mut mapped);
    }
    mapper.finish(&mut mapped);
    let mut out: String = mapped
        .events
        .iter()
        .map(|e| format!("{}\n", serde_json::to_string(e).expect("json")))
        .collect();
    out.push_str(
        "{\"class_uid\": 3002, \"metadata\": {\"version\": \"1.1.0\"}, \"time\": \"not a time\"}\n",
    );
    out
}

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).expect("gzip");
    encoder.finish().expect("gzip")
}

/// What the function must write for `text`: batches cut at the first line end at or past each
/// multiple of `BATCH_BYTES`, each mapped by a fresh mapper; events per class and rejections.
fn expected(text: &str, counts: &mut BTreeMap<i32, u64>) -> u64 {
    let format = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(LineFormat::detect)
        .expect("a line");
    let config = || format.default_config().with_reference_ms(REFERENCE_MS);
    let mut mapper = LineMapping::new(format, config());
    let mut mapped = Mapped::default();
    let mut rejected = 0;
    let (mut start, mut end) = (0u64, 0u64);
    let flush = |mapper: &mut LineMapping, mapped: &mut Mapped, counts: &mut BTreeMap<i32, u64>| {
        mapper.finish(mapped);
        for event in mapped.events.drain(..) {
            *counts.entry(event.class_uid()).or_default() += 1;
        }
        let n = mapped.rejected.len() as u64;
        mapped.rejected.clear();
        n
    };
    for line in text.split_inclusive('\n') {
        end += line.len() as u64;
        mapper.map_line(line.trim_end_matches('\n'), &mut mapped);
        if end / BATCH_BYTES > start / BATCH_BYTES {
            rejected += flush(&mut mapper, &mut mapped, counts);
            mapper = LineMapping::new(format, config());
            start = end;
        }
    }
    rejected + flush(&mut mapper, &mut mapped, counts)
}

/// Rows per class in the lake, read back with the subscriber's Parquet reader.
async fn lake_rows(
    emulator: &securitylake_emulator::Emulator,
    keys: &[String],
) -> BTreeMap<i32, u64> {
    let store = local_store(emulator.lake_dir()).expect("store");
    let mut rows = BTreeMap::new();
    for key in keys.iter().filter(|k| k.ends_with(".parquet")) {
        let reader = ObjectReader::open(
            store.clone(),
            &ObjectRef::new(emulator.lake_bucket(), key.clone()),
        )
        .await
        .expect("a Parquet object");
        let class = reader.info().class_uid.expect("one class per object");
        *rows.entry(class).or_default() += reader.info().rows as u64;
    }
    rows
}

fn s3_event(keys: &[&str]) -> Value {
    json!({"Records": keys.iter().map(|k| json!({
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2024-03-05T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": STAGING, "arn": "arn:aws:s3:::staging"},
               "object": {"key": k.replace(' ', "+"), "size": 1}}
    })).collect::<Vec<_>>()})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transform_function_end_to_end() {
    let emulator = securitylake_emulator::Emulator::builder()
        .start()
        .await
        .expect("emulator");
    let s3 = s3_client(&emulator);
    s3.create_bucket()
        .bucket(STAGING)
        .send()
        .await
        .expect("staging bucket");
    let spool = tempfile::tempdir().expect("spool");
    let api = RuntimeApi::start().await;
    let mut env = emulator_env(&emulator);
    env.extend(
        [
            ("SECLAKE_LAKE_BUCKET", emulator.lake_bucket().to_owned()),
            ("SECLAKE_SOURCE_PREFIX", "lambda".to_owned()),
            ("SECLAKE_ACCOUNT_ID", emulator.account_id().to_owned()),
            ("SECLAKE_REFERENCE_TIME", REFERENCE_MS.to_string()),
            ("SECLAKE_BATCH_BYTES", BATCH_BYTES.to_string()),
            ("SECLAKE_DEADLINE_MARGIN_SECS", MARGIN_SECS.to_string()),
            ("SECLAKE_SPOOL_DIR", spool.path().display().to_string()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    let _function = Function::start(env!("CARGO_BIN_EXE_seclake-lambda-transform"), &api, &env);

    // Three objects: plain Linux lines, gzip CEF, OCSF JSON with one invalid event.
    let linux = linux_log(600, 0);
    let cef = cef_log(300);
    let ocsf = ocsf_json_log();
    let put = |key: &'static str, body: Vec<u8>| {
        let s3 = s3.clone();
        async move {
            s3.put_object()
                .bucket(STAGING)
                .key(key)
                .body(body.into())
                .send()
                .await
                .expect("put");
        }
    };
    put("raw/host 1/auth.log", linux.clone().into_bytes()).await;
    put("raw/ds/events.cef.gz", gzip(&cef)).await;
    put("raw/ocsf/events.json", ocsf.clone().into_bytes()).await;
    let mut want = BTreeMap::new();
    let mut rejected = expected(&linux, &mut want);
    rejected += expected(&cef, &mut want);
    rejected += expected(&ocsf, &mut want);
    assert_eq!(rejected, 1);

    let event = s3_event(&[
        "raw/host 1/auth.log",
        "raw/ds/events.cef.gz",
        "raw/ocsf/events.json",
    ]);
    let report = api.invoke(&event, LONG).await.response();
    let objects = report["objects"].as_array().expect("objects");
    assert_eq!(objects.len(), 3, "{report}");
    for object in objects {
        assert_eq!(object["status"], "done", "{object}");
    }
    assert_eq!(objects[0]["mapper"], "linux");
    assert_eq!(objects[1]["mapper"], "deep-security");
    assert_eq!(objects[1]["gzip"], true);
    assert_eq!(objects[2]["mapper"], "ocsf-json");
    assert!(
        objects[0]["batches"].as_u64().expect("batches") > 1,
        "{report}"
    );
    assert_eq!(objects[2]["dead_letters"], 1);
    let letters = keys(&s3, STAGING, "seclake-dead-letters/").await;
    assert_eq!(letters.len(), 1, "{letters:?}");

    let lake = keys(&s3, emulator.lake_bucket(), "ext/").await;
    assert!(
        lake.iter().all(|k| k.starts_with("ext/lambda-")),
        "{lake:?}"
    );
    let rows = lake_rows(&emulator, &lake).await;
    assert_eq!(rows, want, "rows per class in the lake");
    assert!(rows.len() >= 3, "several classes: {rows:?}");
    let reported: BTreeMap<i32, u64> = objects
        .iter()
        .flat_map(|o| o["events"].as_object().expect("events").clone())
        .fold(BTreeMap::new(), |mut acc, (k, v)| {
            *acc.entry(k.parse().expect("uid")).or_default() += v.as_u64().expect("n");
            acc
        });
    assert_eq!(reported, want);

    // The same invocation again (Lambda's retry): the same objects, nothing new.
    let again = api.invoke(&event, LONG).await.response();
    assert_eq!(keys(&s3, emulator.lake_bucket(), "ext/").await, lake);
    for object in again["objects"].as_array().expect("objects") {
        assert_eq!(object["status"], "done", "{object}");
        assert_eq!(object["objects_written"], 0, "{object}");
        assert!(
            object["objects_present"].as_u64().expect("n") > 0,
            "{object}"
        );
    }

    // A corrupt gzip object (its end cut off): an error for that object, nothing of it written,
    // though its first batches are whole.
    let mut corrupt = gzip(&linux_log(2000, 50_000));
    corrupt.truncate(corrupt.len() - 100);
    put("raw/corrupt.log.gz", corrupt).await;
    let error = api
        .invoke(&s3_event(&["raw/corrupt.log.gz"]), LONG)
        .await
        .error();
    assert_eq!(error["errorType"], "incomplete", "{error}");
    let failed: Value =
        serde_json::from_str(error["errorMessage"].as_str().expect("message")).expect("report");
    let object = &failed["objects"][0];
    assert_eq!(object["key"], "raw/corrupt.log.gz");
    assert_eq!(object["status"], "failed", "{object}");
    assert_eq!(object["retryable"], false, "{object}");
    assert!(
        object["error"].as_str().expect("error").contains("corrupt"),
        "{object}"
    );
    assert_eq!(
        failed["remaining"],
        json!([]),
        "a permanent failure is not to be resumed"
    );
    assert_eq!(
        keys(&s3, emulator.lake_bucket(), "ext/").await,
        lake,
        "nothing of it was written"
    );

    // Through SQS: a new object; the response is an SqsBatchResponse with no failures.
    let more = linux_log(100, 90_000);
    put("raw/more.log", more.clone().into_bytes()).await;
    let body = s3_event(&["raw/more.log"]).to_string();
    let sqs = json!({"Records": [{"messageId": "m-1", "receiptHandle": "r", "body": body,
        "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:staging", "awsRegion": "us-east-1"}]});
    let response = api.invoke(&sqs, LONG).await.response();
    assert_eq!(response, json!({"batchItemFailures": []}));
    expected(&more, &mut want);
    let lake = keys(&s3, emulator.lake_bucket(), "ext/").await;
    assert_eq!(lake_rows(&emulator, &lake).await, want);

    // A deadline nearer than the margin: nothing read, the object reported as remaining from
    // offset 0; the resume request finishes it.
    let late = linux_log(200, 120_000);
    put("raw/late.log", late.clone().into_bytes()).await;
    let error = api
        .invoke(
            &s3_event(&["raw/late.log"]),
            Duration::from_secs(MARGIN_SECS / 2),
        )
        .await
        .error();
    let report: Value =
        serde_json::from_str(error["errorMessage"].as_str().expect("message")).expect("report");
    assert_eq!(report["objects"][0]["status"], "remaining", "{report}");
    assert_eq!(
        report["remaining"],
        json!([{"bucket": STAGING, "key": "raw/late.log", "offset": 0}])
    );
    assert_eq!(keys(&s3, emulator.lake_bucket(), "ext/").await, lake);
    let resumed = api
        .invoke(&json!({"resume": report["remaining"].clone()}), LONG)
        .await
        .response();
    assert_eq!(resumed["objects"][0]["status"], "done", "{resumed}");
    expected(&late, &mut want);
    let lake = keys(&s3, emulator.lake_bucket(), "ext/").await;
    assert_eq!(lake_rows(&emulator, &lake).await, want);
}

//! Every Security Lake Parquet sample (native source version 1: OCSF 1.0.0-rc.2, parquet-mr /
//! Avro, GZIP, legacy 2-level lists, `unmapped` as a map) decodes into the typed class its path
//! names, every row, with values equal to what the raw CloudTrail / VPC flow input says.
//! The samples are read in place from `../shared/samples/`.

use std::io::Read;
use std::path::{Path, PathBuf};

use ocsf_model::v1_0_0_rc2::events::{AccountChange, ApiActivity, Authentication, NetworkActivity};
use securitylake_parquet::read_parquet;
use serde_json::Value;

fn root() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/samples/securitylake-parquet/1.0.0-rc.2");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent", dir.display());
        None
    }
}

fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.to_string_lossy().ends_with(".parquet"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn rows<E: ocsf_model::OcsfEvent + ocsf_model::columnar::Columnar>(file: &Path) -> Vec<Value> {
    let bytes = std::fs::read(file).expect("read");
    let events: Vec<E> =
        read_parquet(bytes.into()).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert!(!events.is_empty(), "{}: no rows", file.display());
    events
        .iter()
        .map(|e| serde_json::to_value(e).expect("json"))
        .collect()
}

/// The raw CloudTrail record of a sample (`input/<name>.test.gz`, gzip JSON `{"Records": [..]}`).
fn cloudtrail_input(file: &Path) -> Value {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .trim_end_matches(".parquet");
    let input = file
        .parent()
        .map(|d| d.join("input").join(name))
        .expect("input path");
    let mut text = String::new();
    let raw = std::fs::read(&input).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
    flate2::read::GzDecoder::new(raw.as_slice())
        .read_to_string(&mut text)
        .expect("gunzip");
    let v: Value = serde_json::from_str(&text).expect("json");
    v["Records"][0].clone()
}

fn epoch_ms(rfc3339: &str) -> i64 {
    // `2022-11-10T16:24:34Z`
    ocsf_model::time::parse_rfc3339_ms(rfc3339).expect("RFC 3339")
}

fn check_cloudtrail(file: &Path, event: &Value) {
    let raw = cloudtrail_input(file);
    let what = file.display();
    assert_eq!(event["metadata"]["version"], "1.0.0-rc.2", "{what}");
    assert_eq!(event["metadata"]["product"]["name"], "CloudTrail", "{what}");
    assert_eq!(
        event["time"].as_i64(),
        Some(epoch_ms(raw["eventTime"].as_str().expect("eventTime"))),
        "{what}"
    );
    assert_eq!(event["api"]["operation"], raw["eventName"], "{what}");
    assert_eq!(event["cloud"]["region"], raw["awsRegion"], "{what}");
    if let Some(ip) = event.pointer("/src_endpoint/ip") {
        assert_eq!(ip, &raw["sourceIPAddress"], "{what}");
    }
    if let Some(uid) = event.pointer("/actor/user/uid") {
        let principal = &raw["userIdentity"]["principalId"];
        let arn = &raw["userIdentity"]["arn"];
        assert!(
            uid == principal || uid == arn,
            "{what}: actor.user.uid {uid} vs {principal} / {arn}"
        );
    }
    let type_uid = event["type_uid"].as_i64().expect("type_uid");
    let class_uid = event["class_uid"].as_i64().expect("class_uid");
    let activity = event["activity_id"].as_i64().expect("activity_id");
    assert_eq!(type_uid, class_uid * 100 + activity, "{what}");
}

#[test]
fn cloudtrail_samples_decode_into_their_classes() {
    let Some(root) = root() else { return };
    let mut checked = 0;
    for (dir, class_uid) in [
        ("account_change", 3001),
        ("authentication", 3002),
        ("api_activity(general CT events)", 3005),
    ] {
        let files = parquet_files(&root.join("CLOUD_TRAIL").join(dir));
        assert!(!files.is_empty(), "{dir}: no samples");
        for file in files {
            let rows = match class_uid {
                3001 => rows::<AccountChange>(&file),
                3002 => rows::<Authentication>(&file),
                _ => rows::<ApiActivity>(&file),
            };
            for event in &rows {
                assert_eq!(event["class_uid"], class_uid);
                check_cloudtrail(&file, event);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 21);
    // A specific file: the failed MFA console login.
    let file = root.join("CLOUD_TRAIL/authentication/ConsoleLogin-mfa-failure.test.gz.parquet");
    let event = &rows::<Authentication>(&file)[0];
    assert!(
        event["user"]["name"].as_str().is_some()
            || event["actor"]["user"]["name"].as_str().is_some()
    );
    assert_eq!(event["src_endpoint"]["ip"], "192.0.2.0");
    assert!(
        event.get("unknown").is_none(),
        "the unknown map is flattened, never a member"
    );
}

#[test]
fn vpc_flow_samples_decode_into_network_activity() {
    let Some(root) = root() else { return };
    let dir = root.join("VPC_FLOW");
    let files = parquet_files(&dir);
    assert_eq!(files.len(), 4);
    for (i, file) in files.iter().enumerate() {
        let events = rows::<NetworkActivity>(file);
        let input_name = if i == 3 {
            format!("vpc_flow-input{i}.parquet")
        } else {
            format!("vpc_flow-input{i}.json.parquet")
        };
        let raw_file = dir.join("inputs").join(input_name);
        let raw = raw_rows(&raw_file);
        assert_eq!(events.len(), raw.len(), "{}", file.display());
        for (event, raw) in events.iter().zip(&raw) {
            let what = file.display();
            assert_eq!(event["class_uid"], 4001, "{what}");
            assert_eq!(event["metadata"]["version"], "1.0.0-rc.2", "{what}");
            // The endpoints are the packet-level addresses; a differing interface address is an
            // intermediate hop.
            assert_eq!(event["src_endpoint"]["ip"], raw["pkt_srcaddr"], "{what}");
            assert_eq!(event["dst_endpoint"]["ip"], raw["pkt_dstaddr"], "{what}");
            if raw["srcaddr"] != raw["pkt_srcaddr"] {
                assert_eq!(
                    event["src_endpoint"]["intermediate_ips"][0], raw["srcaddr"],
                    "{what}"
                );
            }
            assert_eq!(
                event["time"].as_i64(),
                raw["start"].as_i64().map(|s| s * 1000),
                "{what}"
            );
            if let Some(port) = raw["dstport"].as_i64() {
                assert_eq!(event["dst_endpoint"]["port"].as_i64(), Some(port), "{what}");
            }
            if let Some(bytes) = raw["bytes"].as_i64() {
                assert_eq!(event["traffic"]["bytes"].as_i64(), Some(bytes), "{what}");
            }
            if let Some(packets) = raw["packets"].as_i64() {
                assert_eq!(
                    event["traffic"]["packets"].as_i64(),
                    Some(packets),
                    "{what}"
                );
            }
        }
    }
}

/// The raw VPC flow input rows, read with our own generic Arrow-to-JSON path through a
/// dynamic read of the Parquet file.
fn raw_rows(file: &Path) -> Vec<Value> {
    use arrow_array::Array;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let bytes = bytes::Bytes::from(std::fs::read(file).expect("read"));
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .expect("parquet")
        .build()
        .expect("reader");
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.expect("batch");
        for row in 0..batch.num_rows() {
            let mut m = serde_json::Map::new();
            for (i, f) in batch.schema().fields().iter().enumerate() {
                let col = batch.column(i);
                let v = match col.data_type() {
                    arrow_schema::DataType::Utf8 => {
                        use arrow_array::cast::AsArray;
                        if col.is_null(row) {
                            Value::Null
                        } else {
                            Value::from(col.as_string::<i32>().value(row))
                        }
                    }
                    arrow_schema::DataType::Int64 => {
                        use arrow_array::cast::AsArray;
                        if col.is_null(row) {
                            Value::Null
                        } else {
                            Value::from(
                                col.as_primitive::<arrow_array::types::Int64Type>()
                                    .value(row),
                            )
                        }
                    }
                    arrow_schema::DataType::Int32 => {
                        use arrow_array::cast::AsArray;
                        if col.is_null(row) {
                            Value::Null
                        } else {
                            Value::from(
                                col.as_primitive::<arrow_array::types::Int32Type>()
                                    .value(row),
                            )
                        }
                    }
                    _ => Value::Null,
                };
                m.insert(f.name().clone(), v);
            }
            out.push(Value::Object(m));
        }
    }
    out
}

//! `seclake lint` catches each Athena-breaking problem in files built here
//! with arrow / parquet directly.

mod common;

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int32Array, Int64Array, NullArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use common::{TestResult, run, s};
use parquet::arrow::ArrowWriter;
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

/// 2024-03-03T00:00:00Z.
const MAR_3: i64 = 1_709_424_000_000;
const HOUR: i64 = 3_600_000;
const PARTITION: &str = "ext/app/1.0/region=us-east-1/accountId=123456789012/eventDay=20240303";
const NAME_A: &str = "0123456789abcdef0123456789abcdef.zstd.parquet";
const NAME_B: &str = "fedcba9876543210fedcba9876543210.zstd.parquet";

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// A batch of `time`, `class_uid` and extra columns.
fn batch(times: &[i64], classes: &[i32], extra: Vec<(Field, ArrayRef)>) -> BoxResult<RecordBatch> {
    let mut fields = vec![
        Field::new("class_uid", DataType::Int32, false),
        Field::new("time", DataType::Int64, false),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from(classes.to_vec())),
        Arc::new(Int64Array::from(times.to_vec())),
    ];
    for (f, c) in extra {
        fields.push(f);
        columns.push(c);
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

fn write(lake: &Path, key: &str, batch: &RecordBatch) -> TestResult {
    let path = lake.join(key);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut writer = ArrowWriter::try_new(std::fs::File::create(path)?, batch.schema(), None)?;
    writer.write(batch)?;
    writer.close()?;
    Ok(())
}

/// Lints `lake` as JSON; returns (exit code, the codes of the errors).
fn lint(lake: &Path) -> BoxResult<(i32, Vec<String>, serde_json::Value)> {
    let out = run(&["lint", "--json", s(lake)])?;
    let report = out.json()?;
    let mut codes: Vec<String> = report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|f| f["severity"] == "error")
                .filter_map(|f| f["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    codes.sort();
    Ok((out.code, codes, report))
}

fn good(hours: &[i64]) -> BoxResult<RecordBatch> {
    let times: Vec<i64> = hours.iter().map(|h| MAR_3 + h * HOUR).collect();
    batch(&times, &vec![3002; times.len()], vec![])
}

#[test]
fn a_clean_hand_built_object_passes() -> TestResult {
    let dir = tempfile::tempdir()?;
    write(
        dir.path(),
        &format!("{PARTITION}/{NAME_A}"),
        &good(&[1, 2, 3])?,
    )?;
    let (code, errors, report) = lint(dir.path())?;
    assert_eq!((code, errors.len()), (0, 0), "{report}");
    assert_eq!(report["objects"], 1);
    Ok(())
}

#[test]
fn lowercase_eventday_is_an_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let key = format!("ext/app/region=us-east-1/accountId=123456789012/eventday=20240303/{NAME_A}");
    write(dir.path(), &key, &good(&[1])?)?;
    let (code, errors, report) = lint(dir.path())?;
    assert_eq!(code, 1);
    assert_eq!(errors, ["partition-case"], "{report}");
    let text = run(&["lint", s(dir.path())])?;
    assert!(
        text.stdout.contains("`eventday=` must be `eventDay=`"),
        "{}",
        text.stdout
    );
    Ok(())
}

#[test]
fn an_event_day_that_does_not_match_the_rows_is_an_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    // Rows of March 5th under eventDay=20240303.
    write(
        dir.path(),
        &format!("{PARTITION}/{NAME_A}"),
        &good(&[48, 50])?,
    )?;
    let (code, errors, report) = lint(dir.path())?;
    assert_eq!(code, 1);
    assert_eq!(errors, ["event-day"], "{report}");
    assert!(report.to_string().contains("20240305"), "{report}");
    Ok(())
}

#[test]
fn two_classes_in_one_object_is_an_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let b = batch(&[MAR_3, MAR_3 + HOUR], &[3002, 4001], vec![])?;
    write(dir.path(), &format!("{PARTITION}/{NAME_A}"), &b)?;
    let (code, errors, report) = lint(dir.path())?;
    assert_eq!(code, 1);
    assert_eq!(errors, ["mixed-classes"], "{report}");
    Ok(())
}

#[test]
fn a_repeated_field_without_list_type_is_an_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(PARTITION).join(NAME_A);
    std::fs::create_dir_all(dir.path().join(PARTITION))?;
    let schema = Arc::new(parse_message_type(
        "message authentication { required int32 class_uid; required int64 time; repeated binary tags (UTF8); }",
    )?);
    let mut writer = SerializedFileWriter::new(
        std::fs::File::create(&path)?,
        schema,
        Arc::new(WriterProperties::builder().build()),
    )?;
    let mut rg = writer.next_row_group()?;
    if let Some(mut col) = rg.next_column()? {
        col.typed::<Int32Type>().write_batch(&[3002], None, None)?;
        col.close()?;
    }
    if let Some(mut col) = rg.next_column()? {
        col.typed::<Int64Type>().write_batch(&[MAR_3], None, None)?;
        col.close()?;
    }
    if let Some(mut col) = rg.next_column()? {
        col.typed::<ByteArrayType>().write_batch(
            &[ByteArray::from("a"), ByteArray::from("b")],
            Some(&[1, 1]),
            Some(&[0, 1]),
        )?;
        col.close()?;
    }
    rg.close()?;
    writer.close()?;
    let (code, errors, report) = lint(dir.path())?;
    assert_eq!(code, 1);
    assert_eq!(errors, ["repeated-without-list"], "{report}");
    Ok(())
}

#[test]
fn a_null_typed_column_is_an_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let b = batch(
        &[MAR_3],
        &[3002],
        vec![(
            Field::new("x_debug", DataType::Null, true),
            Arc::new(NullArray::new(1)) as ArrayRef,
        )],
    )?;
    write(dir.path(), &format!("{PARTITION}/{NAME_A}"), &b)?;
    let (code, errors, report) = lint(dir.path())?;
    assert_eq!(code, 1);
    assert_eq!(errors, ["null-column"], "{report}");
    Ok(())
}

#[test]
fn a_schema_that_differs_from_the_sources_other_files_is_an_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let int = batch(
        &[MAR_3],
        &[3002],
        vec![(
            Field::new("severity_id", DataType::Int32, true),
            Arc::new(Int32Array::from(vec![1])) as ArrayRef,
        )],
    )?;
    let text = batch(
        &[MAR_3 + HOUR],
        &[3002],
        vec![(
            Field::new("severity_id", DataType::Utf8, true),
            Arc::new(StringArray::from(vec!["1"])) as ArrayRef,
        )],
    )?;
    write(dir.path(), &format!("{PARTITION}/{NAME_A}"), &int)?;
    write(dir.path(), &format!("{PARTITION}/{NAME_B}"), &text)?;
    // Another source may have its own schema.
    write(
        dir.path(),
        &format!("ext/other/region=us-east-1/accountId=123456789012/eventDay=20240303/{NAME_A}"),
        &text,
    )?;
    let (code, errors, report) = lint(dir.path())?;
    assert_eq!(code, 1);
    assert_eq!(errors, ["schema-drift"], "{report}");
    assert!(report.to_string().contains("severity_id"), "{report}");
    Ok(())
}

#[test]
fn a_non_parquet_object_and_a_bad_key_are_errors() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join(PARTITION))?;
    std::fs::write(
        dir.path().join(PARTITION).join(NAME_A),
        b"not parquet at all",
    )?;
    write(dir.path(), &format!("loose/{NAME_B}"), &good(&[1])?)?;
    let (code, errors, report) = lint(dir.path())?;
    assert_eq!(code, 1);
    assert_eq!(errors, ["key-layout", "not-parquet"], "{report}");
    Ok(())
}

//! `convert --lake` / `publish --lake` write the mapper's declared projection by default:
//! the Parquet files have the projection's columns (not the class's hundreds), and read back
//! as the same events as a file with every column; `--all-columns` writes the full schema.

mod common;

use std::path::Path;

use bytes::Bytes;
use common::{TestResult, fixture, parquet_files, run, s};
use ocsf_mappers::{LinuxMapper, SourceConfig};
use ocsf_model::columnar::{ColumnarOptions, arrow_schema};
use ocsf_model::v1_1_0::events::Authentication;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use securitylake_parquet::read_parquet;

/// The result of the tests' helpers.
type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The leaf column counts and top-level field names of Parquet files, and their events.
type Files<L, F> = (L, F, Vec<Authentication>);

/// Writes the auth.log fixture into `dir/lake` (with `extra` arguments); returns the
/// manifest printed with `--json`.
fn write_lake(dir: &Path, extra: &[&str]) -> Result<serde_json::Value> {
    let lake = dir.join("lake");
    std::fs::create_dir_all(&lake)?;
    let (from, spool) = (fixture("auth.log"), dir.join("spool"));
    let mut args = vec![
        "convert",
        "--from",
        s(&from),
        "--reference-time",
        "2024-03-10",
        "--lake",
        s(&lake),
        "--class",
        "authentication",
        "--source-name",
        "linuxauth",
        "--lake-region",
        "eu-west-1",
        "--spool-dir",
        s(&spool),
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = run(&args)?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    Ok(out.json()?)
}

/// The leaf columns and top-level fields of a Parquet file, and its events.
fn read(path: &Path) -> Result<Files<usize, Vec<String>>> {
    let bytes = Bytes::from(std::fs::read(path)?);
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes.clone())?;
    let leaves = builder
        .metadata()
        .file_metadata()
        .schema_descr()
        .num_columns();
    let fields = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    Ok((leaves, fields, read_parquet::<Authentication>(bytes)?))
}

/// Every event of every file of a lake, sorted by time, with its leaf and field counts.
fn lake_events(lake: &Path) -> Result<Files<Vec<usize>, Vec<Vec<String>>>> {
    let (mut leaves, mut fields, mut events) = (Vec::new(), Vec::new(), Vec::new());
    for file in parquet_files(lake) {
        let (l, f, e) = read(&file)?;
        leaves.push(l);
        fields.push(f);
        events.extend(e);
    }
    events.sort_by_key(|e| e.time);
    Ok((leaves, fields, events))
}

#[test]
fn a_lake_from_a_mapper_has_the_projection_columns_and_the_same_events() -> TestResult {
    let projected = tempfile::tempdir()?;
    let manifest = write_lake(projected.path(), &[])?;
    assert_eq!(manifest["rows"], 3, "{manifest}");
    // Every value of the mapper's events lies inside its declared projection.
    assert_eq!(manifest["encoding"]["left_out"], 0, "{manifest}");
    let full = tempfile::tempdir()?;
    let manifest = write_lake(full.path(), &["--all-columns"])?;
    assert_eq!(manifest["rows"], 3, "{manifest}");

    let (p_leaves, p_fields, p_events) = lake_events(&projected.path().join("lake"))?;
    let (f_leaves, _, f_events) = lake_events(&full.path().join("lake"))?;
    assert_eq!(p_events.len(), 3);
    // Reading back gives the same events whatever the columns.
    assert_eq!(p_events, f_events);

    // The projected files have exactly the schema of the Linux mapper's declared projection
    // of Authentication; the full files have the class's full schema.
    let projection = LinuxMapper::new(SourceConfig::linux())
        .projection(3002)
        .ok_or("no projection")?;
    let expected = arrow_schema::<Authentication>(
        &ColumnarOptions::default().with_projection(projection.paths()),
    )?;
    let expected: Vec<String> = expected.fields().iter().map(|f| f.name().clone()).collect();
    let full_schema = arrow_schema::<Authentication>(&ColumnarOptions::default())?;
    assert_eq!(p_fields.len(), 2, "two event days, two objects");
    for fields in &p_fields {
        assert_eq!(fields, &expected);
    }
    for (&p, &f) in p_leaves.iter().zip(&f_leaves) {
        assert!(p < 200 && p * 3 < f, "projected {p} leaf columns, full {f}");
    }
    assert!(
        f_leaves.iter().all(|&f| f > 500),
        "full schema: {f_leaves:?} leaf columns ({} top-level fields)",
        full_schema.fields().len()
    );
    println!("leaf columns: projected {p_leaves:?}, --all-columns {f_leaves:?}");
    Ok(())
}

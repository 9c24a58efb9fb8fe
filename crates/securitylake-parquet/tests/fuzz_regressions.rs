//! Inputs found by the `parquet_decode` fuzz target (`tests/fuzz` at the repository root), kept
//! as regression tests: each must be a typed error, never a panic, and never an allocation out
//! of proportion to the input.

use std::alloc::System;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use cap::Cap;
use ocsf_model::columnar::{ColumnarError, ColumnarErrorKind, ColumnarOptions};
use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
use parquet::basic::{Compression, Type as PhysicalType, ZstdLevel};
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaDataReader};
use parquet::schema::types::{SchemaDescriptor, Type as SchemaType};
use securitylake_parquet::{
    DATA_PAGE_ALLOWANCE, DICTIONARY_PAGE_ALLOWANCE, read_parquet, validate_column_chunk,
    validate_pages, write_parquet,
};

mod support;
use support::fuzz_inputs;

/// Counts the live bytes of this test binary. The limit turns a runaway allocation into an
/// allocation failure (the process aborts, the test fails) instead of gigabytes of memory.
#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, 1024 * 1024 * 1024);

/// The most memory a regression input may make the reader hold at once: the inputs are a few
/// kilobytes.
const MAX_LIVE_BYTES: usize = 64 * 1024 * 1024;

/// A file of our own writer with one dictionary page corrupted to declare no values: the
/// `parquet` crate divides by zero in its byte-array dictionary decoder.
#[test]
fn dictionary_page_without_values_is_an_error() {
    let bytes = include_bytes!("fixtures/fuzz/parquet_dict_page_no_values.parquet");
    match read_parquet::<Authentication>(bytes.to_vec().into()) {
        Err(e) if e.kind() == ColumnarErrorKind::Parquet => {
            assert!(e.to_string().contains("corrupt Parquet file"), "{e}");
        }
        Err(other) => panic!("expected a Parquet error, got {other}"),
        Ok(events) => panic!("corrupt file decoded to {} events", events.len()),
    }
}

/// A file whose dictionary page claims ~640 million values: the `parquet` crate sized the
/// dictionary from that claim (a 2.5 GB allocation). It must be rejected from its page headers,
/// with memory bounded by the input.
#[test]
fn dictionary_page_claiming_huge_count_is_rejected_without_allocating() {
    let bytes = fuzz_inputs::dictionary_page_claiming_huge_count(
        write_parquet(
            &[event(
                1_700_000_000_000,
                "root",
                "Accepted publickey for root",
            )],
            &ColumnarOptions::default(),
        )
        .expect("write"),
    );
    // Rejected by the page-header check, not later by the reader.
    let rejected = validate_file(bytes.clone()).expect_err("the page header is refused");
    assert!(rejected.to_string().contains("page header"), "{rejected}");
    let before = ALLOCATOR.allocated();
    let result = read_parquet::<Authentication>(bytes.clone().into());
    // The peak of the whole binary since it started, less what was live before this read (the
    // other test of this binary reads a file of the same size).
    let peak = ALLOCATOR.max_allocated().saturating_sub(before);
    match result {
        Err(e) if e.kind() == ColumnarErrorKind::Parquet => {
            let message = e.to_string();
            assert!(message.contains("corrupt Parquet file"), "{message}");
        }
        Err(other) => panic!("expected a Parquet error, got {other}"),
        Ok(events) => panic!("corrupt file decoded to {} events", events.len()),
    }
    assert!(
        peak < MAX_LIVE_BYTES,
        "reading a {} byte file held {peak} bytes at once",
        bytes.len()
    );
}

fn parquet_files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        if path.is_dir() {
            parquet_files_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
}

fn validate_file(bytes: Vec<u8>) -> Result<(), ColumnarError> {
    let bytes = Bytes::from(bytes);
    let metadata = ParquetMetaDataReader::new()
        .parse_and_finish(&bytes)
        .map_err(ColumnarError::parquet)?;
    validate_pages(&metadata, &bytes)
}

/// The page-header checks accept every Security Lake sample file (parquet-mr, GZIP) read in
/// place from `../shared/samples/`.
#[test]
fn security_lake_samples_pass_the_page_checks() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/samples/securitylake-parquet");
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let mut files = Vec::new();
    parquet_files_under(&dir, &mut files);
    assert!(!files.is_empty(), "no sample under {}", dir.display());
    for file in files {
        let bytes = std::fs::read(&file).expect("read sample");
        if let Err(e) = validate_file(bytes) {
            panic!("{}: {e}", file.display());
        }
    }
}

fn event(time: i64, user: &str, message: &str) -> Authentication {
    let mut product = Product::default();
    product.name = Some("sshd".into());
    let mut actor = User::default();
    actor.name = Some(user.into());
    let mut event = Authentication::new(
        AuthenticationActivityId::Logon,
        Metadata::new(product, "1.1.0".into()),
        SeverityId::Low,
        time,
        actor,
    );
    event.message = Some(message.into());
    event
}

/// The page-header checks accept what this crate's own writer produces, including its most
/// compressible pages (tens of thousands of identical rows) and pages of distinct values.
#[test]
fn own_files_pass_the_page_checks() {
    let identical: Vec<_> = (0..60_000)
        .map(|_| event(1_700_000_000_000, "root", "Accepted publickey for root"))
        .collect();
    let distinct: Vec<_> = (0..60_000)
        .map(|i| {
            event(
                1_700_000_000_000 + i * 7,
                &format!("user{i}"),
                &format!(
                    "Accepted password for user{i} from 10.0.{}.{} port {}",
                    i / 256 % 256,
                    i % 256,
                    1024 + i
                ),
            )
        })
        .collect();
    for events in [identical, distinct] {
        let bytes = write_parquet(&events, &ColumnarOptions::default()).expect("write");
        validate_file(bytes.clone()).expect("own file passes the page checks");
        let back = read_parquet::<Authentication>(bytes.into()).expect("own file reads");
        assert_eq!(back.len(), events.len());
    }
}

/// A ZSTD-compressed INT32 column chunk's metadata, for hand-made page headers.
fn int32_chunk() -> ColumnChunkMetaData {
    let leaf = SchemaType::primitive_type_builder("v", PhysicalType::INT32)
        .build()
        .expect("leaf");
    let root = SchemaType::group_type_builder("schema")
        .with_fields(vec![Arc::new(leaf)])
        .build()
        .expect("root");
    let schema = SchemaDescriptor::new(Arc::new(root));
    ColumnChunkMetaData::builder(schema.column(0))
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build()
        .expect("chunk metadata")
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(out: &mut Vec<u8>, v: i32) {
    varint(out, ((v << 1) ^ (v >> 31)) as u32 as u64);
}

/// A page header in the Thrift compact protocol followed by `compressed` zero bytes: a
/// dictionary page when `dictionary_values` is given, else a v1 data page of 1 value.
fn page(uncompressed: i32, compressed: i32, dictionary_values: Option<i32>) -> Vec<u8> {
    let mut out = Vec::new();
    // Fields 1-3 (i32, each one id after the previous): type, uncompressed and compressed size.
    out.push(0x15);
    zigzag(&mut out, if dictionary_values.is_some() { 2 } else { 0 });
    out.push(0x15);
    zigzag(&mut out, uncompressed);
    out.push(0x15);
    zigzag(&mut out, compressed);
    match dictionary_values {
        Some(values) => {
            // Field 7: DictionaryPageHeader { 1: num_values, 2: encoding PLAIN }.
            out.push(0x4c);
            out.push(0x15);
            zigzag(&mut out, values);
            out.extend([0x15, 0x00, 0x00]);
        }
        None => {
            // Field 5: DataPageHeader { num_values 1, encoding PLAIN, levels RLE, RLE }.
            out.push(0x2c);
            out.push(0x15);
            zigzag(&mut out, 1);
            out.extend([0x15, 0x00, 0x15, 0x06, 0x15, 0x06, 0x00]);
        }
    }
    out.push(0x00);
    out.resize(out.len() + usize::try_from(compressed).unwrap_or(0), 0);
    out
}

fn check(chunk: &[u8]) -> Result<(), String> {
    validate_column_chunk(&int32_chunk(), chunk).map_err(|e| e.to_string())
}

/// Each page-header claim the reader would size a buffer from is checked against the bytes;
/// plausible headers pass.
#[test]
fn page_header_claims_are_checked() {
    // A dictionary of 2 values and a data page, both plausible.
    let mut good = page(8, 8, Some(2));
    good.extend(page(4096, 40, None));
    assert_eq!(check(&good), Ok(()));
    // A highly compressible data page within the fixed allowance.
    let allowance = i32::try_from(DATA_PAGE_ALLOWANCE).expect("fits");
    assert_eq!(check(&page(allowance, 3, None)), Ok(()));

    let err = check(&page(8, 8, Some(1_000_000))).expect_err("dictionary count");
    assert!(err.contains("declares 1000000 values in 8 bytes"), "{err}");
    let err = check(&page(8, 8, Some(-1))).expect_err("negative dictionary count");
    assert!(err.contains("declares -1 values"), "{err}");
    let err = check(&page(i32::MAX, 100, None)).expect_err("compression ratio");
    assert!(
        err.contains("uncompressed bytes from 100 stored bytes"),
        "{err}"
    );
    let dictionary = i32::try_from(DICTIONARY_PAGE_ALLOWANCE).expect("fits") * 2;
    let err = check(&page(dictionary, 8, Some(2))).expect_err("dictionary allowance");
    assert!(err.contains("uncompressed bytes"), "{err}");
    let mut truncated = page(64, 64, None);
    truncated.truncate(truncated.len() - 1);
    let err = check(&truncated).expect_err("page beyond the chunk");
    assert!(err.contains("the column chunk has 63 left"), "{err}");
    let err = check(&page(-1, 8, None)).expect_err("negative size");
    assert!(err.contains("negative size"), "{err}");
    let mut overlong = vec![0x15, 0x04, 0x15];
    overlong.extend([0xff; 11]);
    let err = check(&overlong).expect_err("overlong varint");
    assert!(err.contains("varint"), "{err}");
    let err = check(&[0x15, 0x04]).expect_err("truncated header");
    assert!(err.contains("truncated page header"), "{err}");
    // A structure nested deeper than any page header: field 9 of type struct, over and over.
    let err = check(&[0x9c; 64]).expect_err("deep nesting");
    assert!(err.contains("nested too deeply"), "{err}");
}

//! Inputs found by the `parquet_decode` fuzz target (`tests/fuzz` at the repository root), kept
//! as regression tests: each must be a typed error, never a panic.
#![cfg(all(feature = "arrow", feature = "v1_1_0"))]

use ocsf_model::columnar::{ColumnarError, read_parquet};
use ocsf_model::v1_1_0::events::Authentication;

/// A file of our own writer with one dictionary page corrupted to declare no values: the
/// `parquet` crate divides by zero in its byte-array dictionary decoder.
#[test]
fn dictionary_page_without_values_is_an_error() {
    let bytes = include_bytes!("fixtures/fuzz/parquet_dict_page_no_values.parquet");
    match read_parquet::<Authentication>(bytes.to_vec().into()) {
        Err(ColumnarError::Parquet(e)) => {
            assert!(e.to_string().contains("corrupt Parquet file"), "{e}");
        }
        Err(other) => panic!("expected a Parquet error, got {other}"),
        Ok(events) => panic!("corrupt file decoded to {} events", events.len()),
    }
}

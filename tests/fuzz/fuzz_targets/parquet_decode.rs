//! Arbitrary bytes through ocsf-model's Parquet reader and the typed
//! columnar decoder, for OCSF 1.1.0 Authentication (feature `arrow`).
//!
//! Invariants: no panic, no hang, no unbounded allocation — corrupt files
//! are `ColumnarError`s; events that decode can be written again by our own
//! writer, and read back to the same number of rows.
//!
//! `read_parquet` turns a panic of the `parquet` crate on a corrupt file into
//! an error (`catch_unwind`). libfuzzer-sys installs a panic hook that aborts
//! before any unwinding, which would defeat that guard, so the target puts
//! the default hook back once; a panic that escapes our API still aborts
//! (libfuzzer-sys catches it around the target and aborts).
#![no_main]

use std::sync::Once;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use ocsf_model::columnar::ColumnarOptions;
use securitylake_parquet::{read_parquet, write_parquet};
use ocsf_model::v1_1_0::events::Authentication;

static DEFAULT_HOOK: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    DEFAULT_HOOK.call_once(|| drop(std::panic::take_hook()));
    let Ok(events) = read_parquet::<Authentication>(Bytes::copy_from_slice(data)) else {
        return;
    };
    if events.is_empty() || events.len() > 256 {
        return;
    }
    let bytes = write_parquet(&events, &ColumnarOptions::default())
        .expect("decoded events are written again");
    let back = read_parquet::<Authentication>(bytes.into()).expect("our own file reads");
    assert_eq!(
        back.len(),
        events.len(),
        "row count changed through a rewrite"
    );
});

//! Heap allocations of in-place decoding (`decode_batch_reusing`) in steady state, counted by an
//! instrumented global allocator (`stats_alloc`; this binary holds one test, so nothing else
//! allocates meanwhile).
//!
//! The rows are shaped like a source's: some captions are the enum's own (borrowed), others a
//! source's text for Other (owned: `password`, `publickey`), some absent, changing from row to
//! row. A row must not allocate once the events of an earlier batch are there to decode into.

use std::alloc::System;
use std::borrow::Cow;

use ocsf_model::columnar::{BatchEncoder, ColumnarOptions, decode_batch_reusing};
use ocsf_model::v1_1_0::events::{
    Authentication, AuthenticationActivityId, AuthenticationAuthProtocolId, SeverityId,
};
use ocsf_model::v1_1_0::objects::{Metadata, NetworkEndpoint, Product, User};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Rows per batch, as the subscriber's typed reads decode them.
const ROWS: usize = 1024;

/// The most allocations (and reallocations) per row the steady state may make. 0.22 is
/// measured, all of it per batch (each batch's decoder, its readers and its spares are built
/// anew: about 130 allocations and 90 reallocations per batch of 1,024 rows); 0.97 before owned
/// captions were overwritten in place, when each one was a new string. One allocation per row
/// coming back fails here.
const MAX_PER_ROW: f64 = 0.3;

fn event(i: usize) -> Authentication {
    let mut e = Authentication::new(
        AuthenticationActivityId::Logon,
        Metadata::new(Product::default(), "1.1.0".into()),
        SeverityId::Low,
        1_718_000_000_000 + i as i64,
        User::default(),
    );
    let mut src = NetworkEndpoint::default();
    src.ip = Some(format!("192.0.2.{}", i % 250));
    e.src_endpoint = Some(Box::new(src));
    match i % 4 {
        0 => {
            e.set_auth_protocol_id(AuthenticationAuthProtocolId::Other);
            e.auth_protocol = Some(Cow::Owned("password".into()));
        }
        1 => {
            e.set_auth_protocol_id(AuthenticationAuthProtocolId::Other);
            e.auth_protocol = Some(Cow::Owned("publickey".into()));
            e.status = Some(Cow::Owned("a status of the source's own".into()));
        }
        2 => {
            e.set_auth_protocol_id(AuthenticationAuthProtocolId::Kerberos);
        }
        _ => {}
    }
    e
}

fn batch(offset: usize) -> arrow_array::RecordBatch {
    let mut encoder =
        BatchEncoder::<Authentication>::new(&ColumnarOptions::default()).expect("encoder");
    for i in 0..ROWS {
        encoder.append(&event(offset + i));
    }
    encoder.finish().expect("batch")
}

#[test]
fn decoding_into_the_events_of_an_earlier_batch_allocates_nothing_per_row() {
    // Batches whose rows change shape at different offsets: row k of one batch is decoded over
    // the event of another shape.
    let batches: Vec<_> = (0..4).map(|b| batch(b * 3 + 1)).collect();
    let mut events: Vec<Authentication> = Vec::new();
    for b in &batches {
        decode_batch_reusing(b, &mut events).expect("warm up");
    }
    let region = Region::new(GLOBAL);
    for b in batches.iter().cycle().take(8) {
        decode_batch_reusing(b, &mut events).expect("decode");
    }
    let stats = region.change();
    let per_row = (stats.allocations + stats.reallocations) as f64 / (8 * ROWS) as f64;
    // The last batch decoded is the fourth (offset 3 * 3 + 1).
    assert_eq!(events.len(), ROWS);
    assert_eq!(events[0], event(3 * 3 + 1));
    assert_eq!(events[ROWS - 1], event(3 * 3 + ROWS));
    assert!(
        per_row <= MAX_PER_ROW,
        "{per_row:.3} allocations per row ({} and {} reallocations over {} rows)",
        stats.allocations,
        stats.reallocations,
        8 * ROWS
    );
}

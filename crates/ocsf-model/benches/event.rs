#![allow(missing_docs)] // `criterion_group!` defines undocumented public items.
//! Reading an event's JSON through `v1_1_0::Event` against reading its class directly, and
//! against the strategies `Event` does not use (a `Value` tree first; a scan for `class_uid`
//! then a second parse).
//!
//! `cargo bench -p ocsf-model --bench event`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ocsf_model::OcsfEvent;
use ocsf_model::v1_1_0::Event;
use ocsf_model::v1_1_0::events::{Authentication, ProcessActivity};
use serde::Deserialize;
use serde_json::{Map, Value};

#[path = "../tests/support/sample.rs"]
mod sample;

/// A full sample of class `E` (every attribute, objects nested up to `depth`), as the class
/// writes it (attributes in name order), and with `class_uid` first.
fn texts<E: OcsfEvent>(depth: usize) -> (String, String) {
    let schema = E::schema();
    let class = schema.class(E::CLASS_NAME).expect("class");
    let json = sample::Gen {
        schema,
        full: true,
        max_nesting: depth,
    }
    .event(class);
    let typed: E = serde_json::from_value(json).expect("reads");
    let text = serde_json::to_string(&typed).expect("writes");
    let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(&text) else {
        unreachable!()
    };
    let uid = map.shift_remove("class_uid").expect("class_uid");
    let mut first = Map::new();
    first.insert("class_uid".into(), uid);
    first.extend(map);
    (text, serde_json::to_string(&first).expect("writes"))
}

/// The rejected strategy: the whole event as a `Value`, then the class from it.
fn via_value<E: OcsfEvent + Into<Event>>(text: &str) -> Event {
    let value: Value = serde_json::from_str(text).expect("json");
    E::deserialize(value).expect("reads").into()
}

/// The other rejected strategy: scan the text for `class_uid`, then parse it again as the class.
fn scan_then_parse<E: OcsfEvent + Into<Event>>(text: &str) -> Event {
    #[derive(Deserialize)]
    struct Peek {
        class_uid: i32,
    }
    let peek: Peek = serde_json::from_str(text).expect("json");
    assert_eq!(peek.class_uid, E::CLASS_UID);
    serde_json::from_str::<E>(text).expect("reads").into()
}

fn bench_class<E: OcsfEvent + Into<Event>>(c: &mut Criterion, depth: usize) {
    let (sorted, first) = texts::<E>(depth);
    let mut group = c.benchmark_group(format!("read {} ({} bytes)", E::CLASS_NAME, sorted.len()));
    group.throughput(Throughput::Bytes(sorted.len() as u64));
    group.bench_function("class directly", |b| {
        b.iter(|| serde_json::from_str::<E>(black_box(&sorted)).expect("reads"))
    });
    for (order, text) in [("name order", &sorted), ("class_uid first", &first)] {
        group.bench_with_input(BenchmarkId::new("Event", order), text, |b, text| {
            b.iter(|| serde_json::from_str::<Event>(black_box(text)).expect("reads"))
        });
    }
    group.bench_function("Value, then class (rejected)", |b| {
        b.iter(|| via_value::<E>(black_box(&sorted)))
    });
    group.bench_function("scan for class_uid, then class (rejected)", |b| {
        b.iter(|| scan_then_parse::<E>(black_box(&sorted)))
    });
    group.finish();
}

fn read(c: &mut Criterion) {
    bench_class::<Authentication>(c, 2);
    bench_class::<ProcessActivity>(c, 3);
}

criterion_group!(benches, read);
criterion_main!(benches);

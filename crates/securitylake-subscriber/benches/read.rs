//! Typed events per second read from S3 (an in-process `s3s-fs` server
//! behind the real AWS SDK client): footer, range requests, decoding.
//!
//! ```text
//! CARGO_TARGET_DIR=... cargo bench -p securitylake-subscriber --bench read
//! ```

#![allow(missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use common::PutKey;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ocsf_model::columnar::ColumnarOptions;
use ocsf_model::v1_1_0::events::Authentication;
use securitylake_parquet::write_parquet;
use securitylake_subscriber::reader::ObjectReader;
use securitylake_subscriber::{LakeObject, ObjectRef};

const ROWS: i64 = 100_000;
const BUCKET: &str = "bench-lake";

fn read(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (_fs, store, key) = rt.block_on(async {
        let fs = common::s3s_fs(BUCKET).await.expect("s3s-fs");
        let store = common::s3_store(&fs, BUCKET).expect("store");
        let key = common::custom_key("0123456789abcdef0123456789abcdef.zstd.parquet");
        let bytes = write_parquet(&common::auth_events(ROWS), &ColumnarOptions::default())
            .expect("parquet");
        eprintln!("object: {ROWS} rows, {} bytes", bytes.len());
        store.put_key(&key, bytes.into()).await.expect("put");
        (fs, store, key)
    });
    let object = ObjectRef::new(BUCKET, key);

    let mut group = c.benchmark_group("subscriber_read_s3s_fs");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    group.bench_function("typed_authentication", |b| {
        b.iter(|| {
            rt.block_on(async {
                let reader = ObjectReader::open(store.clone(), &object)
                    .await
                    .expect("open");
                let mut events = reader.typed::<Authentication>().expect("typed");
                let mut rows = 0usize;
                while let Some(batch) = events.try_next().await.expect("batch") {
                    rows += black_box(batch).len();
                }
                assert_eq!(rows as i64, ROWS);
            })
        })
    });
    group.bench_function("typed_authentication_reused", |b| {
        let mut events: Vec<Authentication> = Vec::new();
        b.iter(|| {
            rt.block_on(async {
                let reader = ObjectReader::open(store.clone(), &object)
                    .await
                    .expect("open");
                let mut batches = reader
                    .typed_batches::<Authentication>()
                    .expect("typed batches");
                let mut rows = 0usize;
                while batches.next_into(&mut events).await.expect("batch") {
                    rows += black_box(&events).len();
                }
                assert_eq!(rows as i64, ROWS);
            })
        })
    });
    group.bench_function("events_enum", |b| {
        b.iter(|| {
            rt.block_on(async {
                let reader = ObjectReader::open(store.clone(), &object)
                    .await
                    .expect("open");
                let mut events = LakeObject::new(reader).events().expect("events");
                let mut rows = 0usize;
                while let Some(batch) = events.try_next().await.expect("batch") {
                    rows += black_box(batch).len();
                }
                assert_eq!(rows as i64, ROWS);
            })
        })
    });
    group.bench_function("arrow_batches", |b| {
        b.iter(|| {
            rt.block_on(async {
                let reader = ObjectReader::open(store.clone(), &object)
                    .await
                    .expect("open");
                let mut batches = reader.batches().expect("batches");
                let mut rows = 0usize;
                while let Some(batch) = batches.try_next().await.expect("batch") {
                    rows += black_box(batch).num_rows();
                }
                assert_eq!(rows as i64, ROWS);
            })
        })
    });
    group.bench_function("dynamic_json", |b| {
        b.iter(|| {
            rt.block_on(async {
                let reader = ObjectReader::open(store.clone(), &object)
                    .await
                    .expect("open");
                let mut events = reader.dynamic().expect("dynamic");
                let mut rows = 0usize;
                while let Some(batch) = events.try_next().await.expect("batch") {
                    rows += black_box(batch).len();
                }
                assert_eq!(rows as i64, ROWS);
            })
        })
    });
    group.finish();
}

criterion_group!(benches, read);
criterion_main!(benches);

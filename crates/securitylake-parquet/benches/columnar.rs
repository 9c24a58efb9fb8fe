#![allow(missing_docs)] // `criterion_group!` defines undocumented public items.
//! Typed events -> Parquet bytes and back, next to the limit: arrow-rs alone writing and reading
//! the same prebuilt `RecordBatch` with the same writer properties.
//!
//! `cargo bench -p securitylake-parquet --bench columnar`

use std::hint::black_box;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ocsf_model::OcsfEvent;
use ocsf_model::columnar::{BatchEncoder, ColumnarOptions};
use ocsf_model::v1_1_0::events::{
    Authentication, AuthenticationActivityId, DetectionFinding, DetectionFindingActivityId,
    SeverityId, StatusId,
};
use ocsf_model::v1_1_0::objects::{FindingInfo, Metadata, NetworkEndpoint, Product, User};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use securitylake_parquet::{ParquetRules, read_parquet, read_parquet_into, write_parquet};

const N: usize = 10_000;
const T0: i64 = 1_704_067_200_000;

fn metadata() -> Metadata {
    let mut product = Product::default();
    product.name = Some("bench".into());
    product.vendor_name = Some("securitylake-rs".into());
    Metadata::new(product, "1.1.0".into())
}

fn endpoint(ip: String, port: i32) -> NetworkEndpoint {
    let mut e = NetworkEndpoint::default();
    e.ip = Some(ip);
    e.port = Some(port);
    e
}

fn authentications() -> Vec<Authentication> {
    (0..N)
        .map(|i| {
            let mut user = User::default();
            user.name = Some(format!("user{}", i % 37));
            let mut e = Authentication::new(
                AuthenticationActivityId::Logon,
                metadata(),
                SeverityId::Informational,
                T0 + i as i64 * 1000,
                user,
            );
            e.src_endpoint = Some(
                endpoint(
                    format!("198.51.100.{}", i % 200),
                    40_000 + (i % 1000) as i32,
                )
                .into(),
            );
            e.dst_endpoint = Some(endpoint("10.0.0.5".into(), 22).into());
            e.set_status_id(if i % 5 == 0 {
                StatusId::Failure
            } else {
                StatusId::Success
            });
            e.message = Some(format!(
                "Accepted password for user{} port {}",
                i % 37,
                i % 1000
            ));
            e
        })
        .collect()
}

fn findings() -> Vec<DetectionFinding> {
    (0..N)
        .map(|i| {
            let mut info = FindingInfo::new(
                format!("Suspicious logon burst {}", i % 50),
                format!("finding-{i}"),
            );
            info.types = Some(vec!["TTPs/Credential Access".into()]);
            let mut f = DetectionFinding::new(
                DetectionFindingActivityId::Create,
                info,
                metadata(),
                SeverityId::High,
                T0 + i as i64 * 1000,
            );
            f.risk_score = Some((i % 100) as i32);
            f.message = Some(format!("{} failed logons", i % 300));
            f
        })
        .collect()
}

fn limit_write(batch: &arrow_array::RecordBatch) -> Vec<u8> {
    let options = ArrowWriterOptions::new()
        .with_properties(ParquetRules::new().writer_properties())
        .with_skip_arrow_metadata(true);
    let mut out = Vec::new();
    let mut w =
        ArrowWriter::try_new_with_options(&mut out, batch.schema(), options).expect("writer");
    ParquetRules::new()
        .write_batch(&mut w, batch)
        .expect("write");
    w.close().expect("close");
    out
}

fn limit_read(bytes: &Bytes) -> usize {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes.clone())
        .expect("reader")
        .build()
        .expect("build");
    reader.map(|b| b.map(|b| b.num_rows()).unwrap_or(0)).sum()
}

fn bench_class<E: OcsfEvent>(c: &mut Criterion, name: &str, events: Vec<E>) {
    let options = ColumnarOptions::default();
    let mut encoder = BatchEncoder::<E>::new(&options).expect("encoder");
    for e in &events {
        encoder.append(e);
    }
    let batch = encoder.finish().expect("batch");
    let bytes = Bytes::from(write_parquet(&events, &options).expect("write"));

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(events.len() as u64));
    group.sample_size(20);
    group.bench_function(BenchmarkId::new("encode", "typed->parquet"), |b| {
        b.iter(|| black_box(write_parquet(black_box(&events), &options).expect("write")))
    });
    group.bench_function(BenchmarkId::new("encode", "limit: batch->parquet"), |b| {
        b.iter(|| black_box(limit_write(black_box(&batch))))
    });
    group.bench_function(BenchmarkId::new("decode", "parquet->typed"), |b| {
        b.iter(|| black_box(read_parquet::<E>(black_box(bytes.clone())).expect("read")))
    });
    // A consumer reading file after file into one vector: the events of the previous file are
    // overwritten in place (`read_parquet_into`).
    let mut reused: Vec<E> = read_parquet(bytes.clone()).expect("read");
    group.bench_function(
        BenchmarkId::new("decode", "parquet->typed (reused events)"),
        |b| {
            b.iter(|| {
                read_parquet_into(black_box(bytes.clone()), &mut reused).expect("read");
                black_box(reused.len())
            })
        },
    );
    group.bench_function(BenchmarkId::new("decode", "limit: parquet->batch"), |b| {
        b.iter(|| black_box(limit_read(black_box(&bytes))))
    });
    group.finish();
}

fn columnar(c: &mut Criterion) {
    bench_class(c, "authentication", authentications());
    bench_class(c, "detection_finding", findings());
}

criterion_group!(benches, columnar);
criterion_main!(benches);

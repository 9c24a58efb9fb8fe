//! Criterion benches of the facade crate, each on the generated sshd log of
//! `compare/sshd_log.rs` (or Deep Security CEF lines): mapping, typed ->
//! Parquet, Parquet -> typed, validation, end to end from a log file to a
//! local lake, and the subscriber reading an object from S3 (the emulator's
//! `s3s-fs` server on 127.0.0.1, through the AWS SDK).
//!
//! ```text
//! CARGO_TARGET_DIR=... cargo bench -p securitylake --bench facade
//! ```
//!
//! Measurements are kept short (10 samples, a few seconds each); the
//! figures are printed by criterion and never asserted.

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

#[path = "compare/sshd_log.rs"]
mod sshd_log;

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use securitylake::lake::aws::AwsConfig;
use securitylake::lake::layout::SourceLocation;
use securitylake::lake::object_store::{ObjectStore, ObjectStoreExt, path::Path as ObjectPath};
use securitylake::lake::store::{S3StoreBuilder, local_store};
use securitylake::mappers::{DeepSecurityMapper, LinuxMapper, SourceConfig};
use securitylake::model::OcsfEvent;
use securitylake::model::columnar::ColumnarOptions;
use securitylake::model::v1_1_0::Event;
use securitylake::model::v1_1_0::events::Authentication;
use securitylake::parquet::{read_parquet, write_parquet};
use securitylake::source::{Writer, WriterConfig};
use securitylake::subscriber::ObjectRef;
use securitylake::subscriber::reader::ObjectReader;
use securitylake_emulator::Emulator;

/// Lines of the generated log per iteration of the line-based benches.
const LINES: u64 = 10_000;
/// Events in the object the subscriber reads from S3.
const S3_EVENTS: u64 = 50_000;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Deep Security Agent and Manager events of several protection modules.
const CEF: &[&str] = &[
    "<134>Jun 10 06:13:20 dsm01 CEF:0|Trend Micro|Deep Security Agent|20.0.1-123|4000010|TROJ_FAKEAV.SMX|8|cn1=7 cn1Label=Host ID dvchost=fin-ws-3 dvc=10.1.2.3 filePath=C:\\Users\\kim\\Downloads\\invoice.exe act=Quarantine result=Quarantined msg=Realtime",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|21|Deny SMB from Internet|6|cn1=12 cn1Label=Host ID dvchost=fs01 act=Deny src=203.0.113.51 dst=10.0.0.20 spt=51001 dpt=445 proto=TCP in=60 cs2=0x00 SYN cs2Label=TCP Flags cnt=3",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|1008610|SMB Remote Code Execution (CVE-2017-0144)|9|cn1=12 cn1Label=Host ID dvchost=fs01 src=203.0.113.50 dst=10.0.0.20 spt=51000 dpt=445 proto=TCP act=Reset in=1500",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|2002779|Unix - File attributes changed|5|cn1=4 cn1Label=Host ID dvchost=web1 act=created filePath=/etc/cron.d/job suser=root sproc=/usr/bin/cp msg=created",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|3002836|Unix - Syslog|7|cn1=4 cn1Label=Host ID dvchost=web1 cs1Label=LI Description cs1=Multiple SSH authentication failures fname=/var/log/secure src=198.51.100.77 duser=root msg=sshd: 5 failed logins rt=1718000100000",
    "CEF:0|Trend Micro|Deep Security Manager|20.0.1|602|User Sign-In Failed|6|src=198.51.100.9 suser=admin target=admin msg=Incorrect password",
];

fn linux_mapper() -> LinuxMapper {
    LinuxMapper::new(
        SourceConfig::linux()
            .with_reference_ms(sshd_log::REFERENCE_MS)
            .with_log_name("auth.log"),
    )
}

/// The Authentication events of `log`'s lines.
fn map_log(mapper: &mut LinuxMapper, log: &str) -> Vec<Authentication> {
    let mut out = Vec::new();
    let mut scratch = Vec::with_capacity(4);
    for line in log.lines() {
        scratch.clear();
        mapper.map_line_into(line, &mut scratch);
        out.extend(scratch.drain(..).filter_map(|e| match e {
            Event::Authentication(a) => Some(*a),
            _ => None,
        }));
    }
    out
}

fn writer_config(dir: &Path) -> Result<WriterConfig, BoxError> {
    Ok(WriterConfig::builder()
        .location(SourceLocation::parse(
            "s3://aws-security-data-lake-us-east-1-bench/ext/bastion-sshd/1.0/",
        )?)
        .region("us-east-1")
        .account_id("123456789012")
        .store(local_store(dir.join("lake"))?)
        .spool_dir(dir.join("spool"))
        .build()?)
}

/// Log file -> lines -> mapper -> `Writer` -> a local directory store, closed; the rows
/// that became durable.
async fn log_to_lake(log: &Path, dir: &Path) -> Result<u64, BoxError> {
    let text = tokio::fs::read_to_string(log).await?;
    let mut mapper = linux_mapper();
    let events = map_log(&mut mapper, &text);
    let mut writer = Writer::<Authentication>::open(writer_config(dir)?).await?;
    writer.write_batch(&events).await?;
    Ok(writer.close().await?.rows())
}

/// Reads the whole object as typed events; the number of rows.
async fn read_typed(store: Arc<dyn ObjectStore>, object: &ObjectRef) -> Result<u64, BoxError> {
    let reader = ObjectReader::open(store, object).await?;
    let mut stream = reader.typed::<Authentication>()?;
    let mut rows = 0u64;
    while let Some(batch) = stream.try_next().await? {
        rows += black_box(batch).len() as u64;
    }
    Ok(rows)
}

/// The emulator (its S3 is `s3s-fs`) and an `object_store` S3 store on its lake bucket
/// holding one Parquet object of `events`.
async fn s3_object(
    events: &[Authentication],
    data_dir: &Path,
) -> Result<(Emulator, Arc<dyn ObjectStore>, ObjectRef), BoxError> {
    let emulator = Emulator::builder().data_dir(data_dir).start().await?;
    let (access_key, secret) = emulator.credentials();
    let config = AwsConfig::builder()
        .region(emulator.region())
        .endpoint_url(emulator.s3_endpoint_url())
        .static_credentials(access_key, secret, None)
        .force_path_style(true)
        .load()
        .await?;
    let bucket = emulator.lake_bucket().to_owned();
    let store: Arc<dyn ObjectStore> =
        Arc::new(S3StoreBuilder::new(&config).bucket(&bucket).build()?);
    let key = "ext/bastion-sshd/1.0/region=us-east-1/accountId=123456789012/eventDay=20240610/\
               0123456789abcdef0123456789abcdef.zstd.parquet";
    let bytes = write_parquet(events, &ColumnarOptions::default())?;
    store.put(&ObjectPath::from(key), bytes.into()).await?;
    Ok((emulator, store, ObjectRef::new(bucket, key)))
}

fn bench(c: &mut Criterion) -> Result<(), BoxError> {
    let log = sshd_log::log(LINES);
    let lines: Vec<&str> = log.lines().collect();
    let events = map_log(&mut linux_mapper(), &log);
    if events.len() as u64 != LINES {
        return Err(format!("{} of {LINES} lines mapped to Authentication", events.len()).into());
    }
    let options = ColumnarOptions::default();
    let parquet = Bytes::from(write_parquet(&events, &options)?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;

    let mut group = c.benchmark_group("facade");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));

    group.throughput(Throughput::Elements(LINES));
    let mut mapper = linux_mapper();
    let mut out = Vec::with_capacity(4);
    group.bench_function("map/sshd_lines", |b| {
        b.iter(|| {
            for line in &lines {
                out.clear();
                mapper.map_line_into(black_box(line), &mut out);
                black_box(&out);
            }
        })
    });

    group.throughput(Throughput::Elements(CEF.len() as u64));
    let mut ds = DeepSecurityMapper::new(
        SourceConfig::deep_security().with_reference_ms(sshd_log::REFERENCE_MS),
    );
    group.bench_function("map/deep_security_cef_lines", |b| {
        b.iter(|| {
            for line in CEF {
                out.clear();
                ds.map_line_into(black_box(line), &mut out);
                black_box(&out);
            }
        })
    });

    group.throughput(Throughput::Elements(LINES));
    group.bench_function("columnar/typed_to_parquet", |b| {
        b.iter(|| write_parquet(black_box(&events), &options).map(|v| black_box(v.len())))
    });
    group.bench_function("columnar/parquet_to_typed", |b| {
        b.iter(|| read_parquet::<Authentication>(black_box(parquet.clone())).map(|v| v.len()))
    });
    group.bench_function("validate/authentication", |b| {
        b.iter(|| {
            events
                .iter()
                .map(|e| black_box(e.validate()).issues.len())
                .sum::<usize>()
        })
    });

    // End to end: a log file on disk into a fresh local lake per iteration.
    let dir = tempfile::tempdir()?;
    let log_path = dir.path().join("auth.log");
    std::fs::write(&log_path, &log)?;
    let mut round = 0u32;
    group.bench_function("end_to_end/log_file_to_local_lake", |b| {
        b.iter(|| {
            round += 1;
            let lake = dir.path().join(format!("lake-{round}"));
            let rows = rt.block_on(log_to_lake(&log_path, &lake));
            // Keep the disk use of the bench flat.
            let _ = std::fs::remove_dir_all(&lake);
            match rows {
                Ok(rows) if rows == LINES => {}
                Ok(rows) => eprintln!("end_to_end: {rows} of {LINES} rows written"),
                Err(e) => eprintln!("end_to_end failed: {e}"),
            }
        })
    });

    // The subscriber reading one object from S3 (`s3s-fs` over loopback HTTP).
    let s3_events: Vec<Authentication> = map_log(&mut linux_mapper(), &sshd_log::log(S3_EVENTS));
    let (emulator, store, object) = rt.block_on(s3_object(&s3_events, &dir.path().join("emu")))?;
    drop(s3_events);
    group.throughput(Throughput::Elements(S3_EVENTS));
    group.bench_function("subscriber/read_typed_from_s3s_fs", |b| {
        b.iter(|| match rt.block_on(read_typed(store.clone(), &object)) {
            Ok(rows) if rows == S3_EVENTS => {}
            Ok(rows) => eprintln!("subscriber read: {rows} of {S3_EVENTS} rows"),
            Err(e) => eprintln!("subscriber read failed: {e}"),
        })
    });
    group.finish();
    rt.block_on(emulator.shutdown());
    Ok(())
}

fn facade(c: &mut Criterion) {
    if let Err(e) = bench(c) {
        eprintln!("facade bench failed: {e}");
        std::process::exit(1);
    }
}

criterion_group!(benches, facade);
criterion_main!(benches);

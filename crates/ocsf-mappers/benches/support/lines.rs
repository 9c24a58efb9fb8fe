//! The lines and the bench routine shared by the mapper bench targets. The
//! lines are written for these benches (realistic shapes, no third-party
//! data).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use ocsf_mappers::{DeepSecurityMapper, LinuxMapper, Normalized, SourceConfig, Target};
use ocsf_model::columnar::{BatchEncoder, ColumnarOptions};
use ocsf_model::v1_1_0::Event;
use ocsf_model::v1_1_0::events::Authentication;

#[path = "sample_lines.rs"]
mod sample_lines;
use sample_lines::{CEF, SSHD};

/// 2024-06-10T00:00:00Z.
const REF_MS: i64 = 1_717_977_600_000;

/// A target that keeps only the class and the time of each record: with it,
/// the bench measures framing, recognition and the neutral record without
/// building an OCSF event (the split BENCHMARKS.md reports for issue 6).
struct RecognizeOnly;

impl Target for RecognizeOnly {
    type Event = (i32, i64);
    const VERSION: &'static str = "recognize-only";

    fn render(record: &mut Normalized, _config: &SourceConfig) -> (i32, i64) {
        (record.activity.class_uid(), record.time_ms)
    }
}

/// The mapper benches, shared by the `mappers` and `mappers_mimalloc` targets.
pub fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("mappers");
    group.measurement_time(Duration::from_secs(5));

    group.throughput(Throughput::Elements(SSHD.len() as u64));
    let config = SourceConfig::linux()
        .with_reference_ms(REF_MS)
        .with_log_name("auth.log")
        .with_tenant_uid("123456789012");
    let mut linux = LinuxMapper::new(config);
    let mut out = Vec::with_capacity(4);
    group.bench_function("sshd_auth_lines", |b| {
        b.iter(|| {
            for line in SSHD {
                out.clear();
                linux.map_line_into(black_box(line), &mut out);
                black_box(&out);
            }
        });
    });

    let config = SourceConfig::linux()
        .with_reference_ms(REF_MS)
        .with_log_name("auth.log")
        .with_tenant_uid("123456789012");
    let mut reusing = LinuxMapper::new(config);
    let mut reused = Vec::with_capacity(4);
    group.bench_function("sshd_auth_lines_reusing", |b| {
        b.iter(|| {
            for line in SSHD {
                reusing.map_line_reusing(black_box(line), &mut reused);
                black_box(&reused);
            }
        });
    });

    let config = SourceConfig::linux()
        .with_reference_ms(REF_MS)
        .with_log_name("auth.log")
        .with_tenant_uid("123456789012");
    let mut recognize = LinuxMapper::<RecognizeOnly>::with_target(config);
    let mut facts = Vec::with_capacity(4);
    group.bench_function("sshd_auth_lines_recognize_only", |b| {
        b.iter(|| {
            for line in SSHD {
                facts.clear();
                recognize.map_line_into(black_box(line), &mut facts);
                black_box(&facts);
            }
        });
    });

    // The columnar encoding of the sshd events (mapped once, outside the timing) into the
    // mapper's declared Authentication projection: what the write path does with each event
    // it maps (`EventEncoder`), batches finished every 8,192 rows as the writer's chunks are.
    let mut events = Vec::new();
    let mut mapper = LinuxMapper::new(SourceConfig::linux().with_reference_ms(REF_MS));
    for line in SSHD {
        out.clear();
        mapper.map_line_into(line, &mut out);
        events.extend(out.drain(..).filter_map(|event| match event {
            Event::Authentication(auth) => Some(*auth),
            _ => None,
        }));
    }
    let projection = mapper
        .projection(Authentication::CLASS_UID)
        .expect("the Linux mapper declares an Authentication projection");
    let options = ColumnarOptions::default().with_projection(projection.paths().iter().cloned());
    let mut encoder = BatchEncoder::<Authentication>::new(&options).expect("projected schema");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("sshd_events_encode", |b| {
        b.iter(|| {
            for event in &events {
                black_box(encoder.append_sized(black_box(event)));
            }
            if encoder.len() >= 8192 {
                // As the writer does for each frame.
                black_box(encoder.longest_value());
                black_box(encoder.finish().expect("batch"));
            }
        });
    });

    group.throughput(Throughput::Elements(CEF.len() as u64));
    let config = SourceConfig::deep_security()
        .with_reference_ms(REF_MS)
        .with_tenant_uid("123456789012");
    let mut ds = DeepSecurityMapper::new(config);
    group.bench_function("deep_security_cef_lines", |b| {
        b.iter(|| {
            for line in CEF {
                out.clear();
                ds.map_line_into(black_box(line), &mut out);
                black_box(&out);
            }
        });
    });
    group.finish();
}

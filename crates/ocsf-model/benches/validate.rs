//! Serialize + validate throughput of an OCSF 1.1.0 Authentication event (criterion; events/s).
//!
//! `cargo bench -p ocsf-model --bench validate`
// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

#[cfg(feature = "v1_1_0")]
fn logon() -> ocsf_model::v1_1_0::events::Authentication {
    use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    use ocsf_model::v1_1_0::objects::{
        Cloud, Metadata, NetworkEndpoint, Product, Service, Session, User,
    };

    let mut product = Product::default();
    product.name = Some("sshd".into());
    product.vendor_name = Some("OpenBSD".into());
    product.version = Some("9.6".into());
    let mut metadata = Metadata::new(product, "1.1.0".into());
    metadata.profiles = Some(vec!["cloud".into()]);
    metadata.uid = Some("7b3e2c1a-4f5d-4e6a-9b8c-0d1e2f3a4b5c".into());
    let mut user = User::default();
    user.name = Some("root".into());
    user.uid = Some("0".into());
    let mut event = Authentication::new(
        AuthenticationActivityId::Logon,
        metadata,
        SeverityId::Informational,
        1_700_000_000_000,
        user,
    );
    let mut cloud = Cloud::default();
    cloud.provider = Some("AWS".into());
    cloud.region = Some("eu-west-1".into());
    event.cloud = Some(cloud.into());
    let mut service = Service::default();
    service.name = Some("ssh".into());
    event.service = Some(service.into());
    let mut src = NetworkEndpoint::default();
    src.ip = Some("198.51.100.23".into());
    src.port = Some(51_234);
    src.hostname = Some("bastion.example.com".into());
    event.src_endpoint = Some(src.into());
    let mut dst = NetworkEndpoint::default();
    dst.ip = Some("10.0.4.17".into());
    dst.port = Some(22);
    event.dst_endpoint = Some(dst.into());
    let mut session = Session::default();
    session.uid = Some("s-42".into());
    event.session = Some(session.into());
    event.is_mfa = Some(false);
    event.message = Some("Accepted publickey for root from 198.51.100.23 port 51234".into());
    event
}

#[cfg(feature = "v1_1_0")]
fn bench(c: &mut Criterion) {
    use ocsf_model::OcsfEvent;
    use ocsf_model::validate::validate_value;

    let event = logon();
    let report = event.validate();
    assert!(report.issues.is_empty(), "{report}");
    let json = serde_json::to_value(&event).unwrap_or_default();

    let mut group = c.benchmark_group("authentication");
    group.throughput(Throughput::Elements(1));
    group.bench_function("serialize+validate", |b| {
        b.iter(|| black_box(black_box(&event).validate()))
    });
    group.bench_function("validate (JSON value)", |b| {
        b.iter(|| {
            black_box(validate_value(
                black_box(&json),
                &ocsf_model::v1_1_0::SCHEMA,
            ))
        })
    });
    group.bench_function("serialize (to JSON value)", |b| {
        b.iter(|| black_box(serde_json::to_value(black_box(&event)).is_ok()))
    });
    #[cfg(feature = "jsonschema")]
    {
        // For comparison: the `jsonschema` crate with the class's exported JSON Schema.
        let schema = ocsf_model::json_schema::class_schema(
            &ocsf_model::v1_1_0::SCHEMA,
            "authentication",
            &["cloud"],
        )
        .unwrap_or_default();
        if let Ok(compiled) = ocsf_model::json_schema::CompiledSchema::new(&schema) {
            assert!(compiled.is_valid(&json));
            group.bench_function("jsonschema crate (JSON value, exported schema)", |b| {
                b.iter(|| black_box(compiled.is_valid(black_box(&json))))
            });
        }
    }
    group.finish();
}

#[cfg(not(feature = "v1_1_0"))]
fn bench(_: &mut Criterion) {}

criterion_group!(benches, bench);
criterion_main!(benches);

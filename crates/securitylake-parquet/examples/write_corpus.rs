//! Writes Parquet files of several OCSF 1.1.0 classes with this crate, plus the same events as
//! JSON lines, for independent readers (pyarrow, DuckDB) to check:
//!
//! ```text
//! cargo run -p securitylake-parquet --example write_corpus -- OUT_DIR [AUTH_EVENTS]
//! ```
//!
//! Writes `OUT_DIR/<class>.parquet` and `OUT_DIR/<class>.jsonl` for `authentication`,
//! `network_activity`, `process_activity` and `detection_finding`.

use std::io::Write;
use std::path::Path;

use ocsf_model::OcsfEvent;
use ocsf_model::columnar::ColumnarOptions;
use ocsf_model::v1_1_0::events::{
    Authentication, AuthenticationActivityId, DetectionFinding, DetectionFindingActivityId,
    NetworkActivity, NetworkActivityActivityId, ProcessActivity, ProcessActivityActivityId,
    SeverityId, StatusId,
};
use ocsf_model::v1_1_0::objects::{
    Actor, Device, FindingInfo, Metadata, NetworkEndpoint, Process, Product, User,
};
use securitylake_parquet::write_parquet;

const DAY0: i64 = 1_704_067_200_000; // 2024-01-01T00:00:00Z

fn metadata() -> Metadata {
    let mut product = Product::default();
    product.name = Some("example-writer".into());
    product.vendor_name = Some("securitylake-rs".into());
    Metadata::new(product, "1.1.0".into())
}

fn endpoint(ip: String, port: Option<i32>) -> NetworkEndpoint {
    let mut e = NetworkEndpoint::default();
    e.ip = Some(ip);
    e.port = port;
    e
}

fn write<E: OcsfEvent>(
    dir: &Path,
    name: &str,
    events: &[E],
) -> Result<(), Box<dyn std::error::Error>> {
    let bytes = write_parquet(events, &ColumnarOptions::default())?;
    std::fs::write(dir.join(format!("{name}.parquet")), &bytes)?;
    let mut jsonl =
        std::io::BufWriter::new(std::fs::File::create(dir.join(format!("{name}.jsonl")))?);
    for e in events {
        serde_json::to_writer(&mut jsonl, e)?;
        jsonl.write_all(b"\n")?;
    }
    jsonl.flush()?;
    eprintln!(
        "{name}: {} events, {} bytes of Parquet",
        events.len(),
        bytes.len()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .ok_or("usage: write_corpus OUT_DIR [AUTH_EVENTS]")?;
    let n: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;

    // Authentication: logons over three days from a few source addresses; one address fails a
    // lot (credential stuffing), the others mostly succeed.
    let auth: Vec<Authentication> = (0..n)
        .map(|i| {
            let i64i = i as i64;
            let time = DAY0 + (i64i * 259_200_000) / n.max(1) as i64;
            let mut user = User::default();
            user.name = Some(format!("user{}", i % 37));
            user.uid = Some(format!("{}", 1000 + i % 37));
            let mut e = Authentication::new(
                AuthenticationActivityId::Logon,
                metadata(),
                SeverityId::Informational,
                time,
                user,
            );
            let ip = if i % 5 == 0 {
                "203.0.113.7".to_string()
            } else {
                format!("198.51.100.{}", i % 11)
            };
            e.src_endpoint = Some(endpoint(ip, Some(40_000 + (i % 20_000) as i32)).into());
            e.dst_endpoint = Some(endpoint("10.0.0.5".into(), Some(22)).into());
            let failed = i % 5 == 0 || i % 17 == 0;
            e.set_status_id(if failed {
                StatusId::Failure
            } else {
                StatusId::Success
            });
            if failed {
                e.status_detail = Some("Invalid password".into());
            }
            e.is_remote = Some(true);
            e.message = Some(format!(
                "{} password for user{} from session {i}",
                if failed { "Failed" } else { "Accepted" },
                i % 37
            ));
            let mut unmapped = serde_json::Map::new();
            unmapped.insert(
                "sshd.session".into(),
                serde_json::Value::String(format!("s{i}")),
            );
            e.unmapped = Some(unmapped);
            e.time_dt = Some(time_dt(time));
            e
        })
        .collect();
    write(dir, "authentication", &auth)?;

    let net: Vec<NetworkActivity> = (0..500)
        .map(|i: i64| {
            let mut e = NetworkActivity::new(
                NetworkActivityActivityId::Refuse,
                endpoint("10.0.0.9".into(), Some((i % 1024) as i32 + 1)),
                metadata(),
                SeverityId::Low,
                endpoint(format!("192.0.2.{}", i % 3), Some(50_000)),
                DAY0 + i * 1000,
            );
            e.message = Some("connection refused".into());
            e
        })
        .collect();
    write(dir, "network_activity", &net)?;

    let proc_events: Vec<ProcessActivity> = (0..300)
        .map(|i: i64| {
            let mut process = Process::new();
            process.name = Some("bash".into());
            process.pid = Some(1000 + i as i32);
            process.cmd_line = Some(format!("bash -c 'echo {i}'"));
            let mut parent = Process::new();
            parent.name = Some("sshd".into());
            parent.pid = Some(999);
            process.parent_process = Some(Box::new(parent));
            let mut actor = Actor::default();
            let mut user = User::default();
            user.name = Some("root".into());
            actor.user = Some(user.into());
            let mut device = Device::default();
            device.hostname = Some("web-1".into());
            ProcessActivity::new(
                ProcessActivityActivityId::Launch,
                actor,
                device,
                metadata(),
                process,
                SeverityId::Informational,
                DAY0 + i * 60_000,
            )
        })
        .collect();
    write(dir, "process_activity", &proc_events)?;

    let findings: Vec<DetectionFinding> = (0..50)
        .map(|i: i64| {
            let mut info = FindingInfo::new(
                format!("Credential stuffing from 203.0.113.{i}"),
                format!("finding-{i}"),
            );
            info.types = Some(vec!["TTPs/Credential Access".into()]);
            let mut f = DetectionFinding::new(
                DetectionFindingActivityId::Create,
                info,
                metadata(),
                SeverityId::High,
                DAY0 + i * 3_600_000,
            );
            f.risk_score = Some(80 + (i % 20) as i32);
            f
        })
        .collect();
    write(dir, "detection_finding", &findings)?;
    Ok(())
}

fn time_dt(ms: i64) -> String {
    // RFC 3339 with milliseconds, UTC.
    ocsf_model::time::format_rfc3339_ms(ms).unwrap_or_default()
}

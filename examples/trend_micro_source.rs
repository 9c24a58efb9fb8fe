//! A Trend Micro Deep Security custom source: CEF and LEEF events (as the
//! agents and the manager send them over syslog) are mapped to OCSF and
//! streamed through a `LakeSink` into a local lake, one custom source per
//! class: two named ones, Detection Findings (anti-malware, intrusion
//! prevention, log inspection) and Network Activity (firewall, web
//! reputation), and a catch-all that names a source per further class from a
//! prefix (the manager's failed sign-in is Authentication: `trend-authentic-3002`).
//!
//! ```text
//! cargo run --example trend_micro_source                      # built-in events
//! cargo run --example trend_micro_source -- deepsecurity.log  # one CEF/LEEF event a line
//! ```
//!
//! The lake is written to `target/trend-micro-source/lake/` (spools beside it).

mod common;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use securitylake::lake::object_store::ObjectStore;
use securitylake::lake::store::local_store;
use securitylake::mappers::{DeepSecurityMapper, SourceConfig, V1_1_0, stream};
use securitylake::model::columnar::ColumnarOptions;
use securitylake::model::v1_1_0::Event;
use securitylake::model::v1_1_0::events::{DetectionFinding, NetworkActivity};
use securitylake::source::sink::{
    JsonLinesDeadLetters, LakeSink, PrefixDestinations, SinkStats, Unrouted,
};
use securitylake::source::{Manifest, WriterConfig};

use common::BoxError;

/// 2024-06-10T09:00:00Z.
const BASE_MS: i64 = 1_718_010_000_000;

/// Built-in Deep Security events: agents on two hosts and the manager.
fn builtin_lines() -> Vec<String> {
    let agent = "CEF:0|Trend Micro|Deep Security Agent|20.0.1-9400";
    let mut lines = vec![
        format!(
            "<134>Jun 10 09:00:05 dsm01 {agent}|4000000|Eicar_test_file|6|cn1=1 cn1Label=Host ID dvchost=web1 \
             cs6=ContainsVirus cs6Label=Malware Scan Type filePath=/var/www/uploads/eicar.com act=Quarantine \
             result=Quarantined msg=Realtime TrendMicroDsFileMD5=44D88612FEA8A8F36DE82E1278ABB02F \
             TrendMicroDsFileSHA1=3395856CE81F2B7382DEE72602F798B642F14140 rt={}",
            BASE_MS + 5_000
        ),
        format!(
            "<134>Jun 10 09:02:41 dsm01 {agent}|4000000|TROJ_GEN.R002C0DFA24|8|cn1=7 cn1Label=Host ID dvchost=fin-ws-3 \
             cs6=ContainsVirus cs6Label=Malware Scan Type filePath=C:\\\\Users\\\\carol\\\\Downloads\\\\invoice.exe \
             act=Delete result=Deleted msg=Realtime rt={}",
            BASE_MS + 161_000
        ),
        format!(
            "<134>Jun 10 09:04:10 dsm01 {agent}|1008610|Microsoft Windows SMB Remote Code Execution Vulnerability (CVE-2017-0144)|10|\
             cn1=7 cn1Label=Host ID dvchost=fin-ws-3 dmac=00:50:56:8A:12:34 smac=00:50:56:8A:AB:CD TrendMicroDsFrameType=IP \
             src=203.0.113.50 dst=10.0.7.33 spt=51000 dpt=445 proto=TCP in=1500 cnt=1 act=Reset rt={}",
            BASE_MS + 250_000
        ),
        format!(
            "<134>Jun 10 09:07:30 dsm01 {agent}|3002795|Multiple authentication failures|6|cn1=1 cn1Label=Host ID \
             dvchost=web1 src=198.51.100.77 shost=scanner.example duser=root msg=sshd: 5 failed logins rt={}",
            BASE_MS + 450_000
        ),
    ];
    // The firewall refuses a sweep of ports from one address, and passes
    // some traffic.
    for (k, port) in [23, 135, 139, 445, 1433, 3389, 5900, 8080]
        .iter()
        .enumerate()
    {
        lines.push(format!(
            "<134>Jun 10 09:10:{:02} dsm01 {agent}|20|Log for TCP Port {port}|3|cn1=1 cn1Label=Host ID dvchost=web1 \
             act=Deny src=192.0.2.200 dst=10.0.0.5 spt=40001 dpt={port} proto=TCP TrendMicroDsFrameType=IP \
             cnt=1 rt={}",
            k * 2,
            BASE_MS + 600_000 + k as i64 * 2_000
        ));
    }
    lines.push(format!(
        "LEEF:2.0|Trend Micro|Deep Security Agent|20.0.1|21|^|cat=Firewall^name=Allow HTTPS^sev=1^dvchost=web1^\
         act=Log^src=10.0.4.21^dst=10.0.0.5^srcPort=50022^dstPort=443^proto=TCP^devTime={}",
        BASE_MS + 700_000
    ));
    lines.push(format!(
        "{agent}|5000000|WebReputation|6|cn1=7 cn1Label=Host ID dvchost=fin-ws-3 \
         request=http://malware.example/payload.bin msg=Blocked By Admin rt={}",
        BASE_MS + 760_000
    ));
    // The manager: a failed sign-in (an Authentication event, not written
    // by this example's two sources).
    lines.push(
        "<134>Jun 10 09:15:00 dsm01 CEF:0|Trend Micro|Deep Security Manager|20.0.1|602|User Sign-In Failed|6|\
         src=198.51.100.9 suser=admin target=admin msg=Incorrect password"
            .to_owned(),
    );
    lines
}

/// The writer configuration of the named source `name` of the lake, with `columns`.
fn named(
    store: Arc<dyn ObjectStore>,
    work: &Path,
    name: &str,
    columns: Option<ColumnarOptions>,
) -> Result<WriterConfig, BoxError> {
    let mut config = common::local_writer(
        store,
        common::local_location(name)?,
        work.join(format!("spool-{name}")),
    );
    if let Some(columns) = columns {
        config = config.columnar_options(columns);
    }
    Ok(config.build()?)
}

/// The objects of `manifest` under the source `name`.
fn of_source(manifest: &Manifest, name: &str) -> Manifest {
    Manifest {
        objects: manifest
            .iter()
            .filter(|o| o.key.starts_with(&format!("ext/{name}/")))
            .cloned()
            .collect(),
    }
}

/// What a run did.
#[derive(Debug)]
pub struct Report {
    /// Lines read.
    pub lines: u64,
    /// Lines kept as Base Events.
    pub fallbacks: u64,
    /// The objects of the Detection Finding source.
    pub findings: Manifest,
    /// The objects of the Network Activity source.
    pub network: Manifest,
    /// The objects of the catch-all sources (further classes, a source each).
    pub others: Manifest,
    /// The sink's counters per class.
    pub stats: SinkStats,
}

/// Maps `input` (or the built-in events) and streams every class into its
/// source of the local lake `work/lake`.
pub async fn run(input: Option<&Path>, work: &Path) -> Result<Report, BoxError> {
    let reader: Box<dyn BufRead> = match input {
        Some(path) => Box::new(std::io::BufReader::new(
            std::fs::File::open(path).map_err(|e| format!("opening {}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::Cursor::new(builtin_lines().join("\n"))),
    };
    // Lines without `rt` / `devTime` take the time of the syslog header, or
    // this reference time.
    let reference = match input {
        Some(_) => i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis())?,
        None => BASE_MS + 900_000,
    };
    let mapper = DeepSecurityMapper::new(
        SourceConfig::deep_security()
            .with_tenant_uid("123456789012")
            .with_reference_ms(reference),
    );
    // Each source writes the columns the mapper declares for its class.
    let columns: BTreeMap<i32, ColumnarOptions> = DeepSecurityMapper::<V1_1_0>::CLASSES
        .iter()
        .filter_map(|&uid| {
            let paths = mapper.projection(uid)?;
            Some((
                uid,
                ColumnarOptions::default().with_projection(paths.paths()),
            ))
        })
        .collect();

    let store: Arc<dyn ObjectStore> = local_store(work.join("lake"))?;
    let finding_config = named(
        store.clone(),
        work,
        "deep-security-findings",
        columns.get(&DetectionFinding::CLASS_UID).cloned(),
    )?;
    let network_config = named(
        store.clone(),
        work,
        "deep-security-firewall",
        columns.get(&NetworkActivity::CLASS_UID).cloned(),
    )?;
    let template = WriterConfig::builder()
        .region("us-east-1")
        .account_id("123456789012")
        .store(store);
    let catch_all =
        PrefixDestinations::new("trend", common::LOCAL_BUCKET, work.join("spool"), template)
            .source_version("1.0")
            .columnar_options(move |class| columns.get(&class.class_uid).cloned());
    let mut sink = LakeSink::<Event>::builder()
        .destination(DetectionFinding::CLASS_UID, finding_config)
        .destination(NetworkActivity::CLASS_UID, network_config)
        .unrouted(Unrouted::catch_all(catch_all))
        .dead_letters(JsonLinesDeadLetters::lazy(work.join("dead-letters.jsonl")))
        .build()?;

    let mut events = stream::events(mapper, reader);
    let mut batch = Vec::with_capacity(1024);
    for event in events.by_ref() {
        batch.push(event?);
        if batch.len() == batch.capacity() {
            sink.write_batch(&batch).await?;
            batch.clear();
        }
    }
    sink.write_batch(&batch).await?;
    let stats = events.mapper().stats().clone();
    let sink_stats = sink.stats();
    let manifest = sink.close().await?;
    let findings = of_source(&manifest, "deep-security-findings");
    let network = of_source(&manifest, "deep-security-firewall");
    let mut others = manifest;
    others
        .objects
        .retain(|o| !o.key.starts_with("ext/deep-security-"));
    Ok(Report {
        lines: stats.accepted,
        fallbacks: stats.fallback_total(),
        findings,
        network,
        others,
        stats: sink_stats,
    })
}

/// Runs the example (see the module documentation).
#[tokio::main(flavor = "current_thread")]
pub async fn main() -> Result<(), BoxError> {
    let input = std::env::args_os().nth(1).map(PathBuf::from);
    let work = PathBuf::from("target/trend-micro-source");
    let r = run(input.as_deref(), &work).await?;
    println!(
        "{} lines: {} Detection Findings, {} Network Activity, {} events of other classes, {} fallbacks, {} dead-lettered",
        r.lines,
        r.findings.rows(),
        r.network.rows(),
        r.others.rows(),
        r.fallbacks,
        r.stats.dead_lettered()
    );
    for (source, manifest) in [
        ("deep-security-findings", &r.findings),
        ("deep-security-firewall", &r.network),
        ("(catch-all, one per class)", &r.others),
    ] {
        println!(
            "source {source}: {} rows in {} object(s)",
            manifest.rows(),
            manifest.len()
        );
        for object in manifest.iter() {
            println!("  {}", work.join("lake").join(&object.key).display());
        }
    }
    Ok(())
}

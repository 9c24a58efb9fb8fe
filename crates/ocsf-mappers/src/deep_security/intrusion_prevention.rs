//! Intrusion Prevention: a Detection Finding with the rule, CVEs and endpoints.

use serde_json::{Map, Value};

use super::Module;
use super::common::{connection, endpoint_of, finding, network_action};
use super::record::Ds;
use crate::normalized::{Activity, FindingActivity, Normalized, RuleInfo};
use crate::util::{cve_ids, number};

pub(super) fn intrusion_prevention(ds: &Ds<'_>, n: &mut Normalized) {
    n.activity = Activity::DetectionFinding(FindingActivity::Create);
    let name = ds.name.to_string();
    let mut f = finding(ds, Module::IntrusionPrevention, &name);
    f.rule = Some(RuleInfo {
        uid: Some(ds.sig.to_string()),
        name: Some(name.clone()),
    });
    cve_ids(&name, &mut f.cves);
    let note = ds
        .labeled("Intrusion Prevention Note")
        .or_else(|| ds.labeled("DPI Note"));
    if let Some(note) = note {
        cve_ids(note, &mut f.cves);
        f.desc = Some(note.to_owned());
    }
    n.finding = Some(f);
    n.src = endpoint_of(ds, "src", "spt", "smac", "shost");
    n.dst = endpoint_of(ds, "dst", "dpt", "dmac", "dhost");
    let (conn, traffic) = connection(ds);
    n.connection = Some(conn);
    let mut packet = Map::new();
    if let Some(b) = traffic.bytes_in {
        packet.insert("bytes_in".into(), Value::from(b));
    }
    if let Some(b) = traffic.bytes_out {
        packet.insert("bytes_out".into(), Value::from(b));
    }
    if !packet.is_empty() {
        n.put_value("packet", Value::Object(packet));
    }
    if let Some(act) = ds.get("act") {
        let (d, a) = network_action(act);
        n.disposition = Some(d);
        n.action = a;
        n.status_detail = Some(format!("action: {act}"));
    }
    n.count = ds.get("cnt").and_then(number::<i32>);
}

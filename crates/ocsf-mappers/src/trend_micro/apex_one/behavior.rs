//! Behavior monitoring and attack discovery: Detection Findings with the
//! policy or rule, the process and the target.

use super::{EventType, finding, set_action};
use crate::normalized::{Activity, FindingActivity, Normalized, ProcessInfo, RuleInfo, UserInfo};
use crate::trend_micro::fields::Fields;
use crate::util::basename;

fn process(path: &str) -> ProcessInfo {
    ProcessInfo {
        name: Some(basename(path).to_owned()),
        path: Some(path.to_owned()).filter(|p| p.contains(['\\', '/'])),
        ..ProcessInfo::default()
    }
}

pub(super) fn behavior_monitoring(f: &Fields<'_, '_>, n: &mut Normalized) {
    n.activity = Activity::DetectionFinding(FindingActivity::Create);
    let rec = f.record();
    let policy = f
        .labeled(&["Policy", "Policy ID"])
        .or_else(|| rec.signature_id.split_once(':').map(|(_, p)| p));
    let target = f.get("TMCMLogTarget").or_else(|| f.labeled(&["Target"]));
    let title = target.map_or_else(|| rec.name.to_string(), |t| format!("{}: {t}", rec.name));
    let mut fd = finding(f, EventType::BehaviorMonitoring, &title);
    fd.rule = policy.map(|p| RuleInfo {
        uid: Some(p.to_owned()),
        name: None,
    });
    fd.desc = f
        .labeled(&["Operation", "TranslatedAegisOperation"])
        .map(|o| format!("operation {o}"));
    n.finding = Some(fd);
    if let Some(t) = target {
        n.put("target", t);
    }
    if let Some(r) = f.labeled(&["Risk_Level", "Risk Level"]) {
        n.put("risk_level", r);
    }
    if let Some(e) = f.labeled(&["Event_Type", "Event Type"]) {
        n.put("event_type", e);
    }
    n.process = f.get("sproc").map(process);
    set_action(n, f.get("act"));
    n.actor_user = f.first(&["duser", "suser"]).map(UserInfo::named);
}

pub(super) fn attack_discovery(f: &Fields<'_, '_>, n: &mut Normalized) {
    n.activity = Activity::DetectionFinding(FindingActivity::Create);
    let rec = f.record();
    let rule = f.labeled(&["SLF_RuleID", "Rule ID", "Rule"]);
    let title = rule.map_or_else(|| rec.name.to_string(), |r| format!("{}: {r}", rec.name));
    let mut fd = finding(f, EventType::AttackDiscovery, &title);
    if let Some(uid) = f.get("customerExternalID") {
        fd.uid = uid.to_owned();
    }
    if let Some(stage) = f.get("cat") {
        fd.types.push(stage.to_owned());
    }
    fd.rule = rule.map(|r| RuleInfo {
        uid: Some(r.to_owned()),
        name: f.labeled(&["SLF_RuleName", "Rule Name"]).map(str::to_owned),
    });
    n.finding = Some(fd);
    if let Some(r) = f.labeled(&["SLF_RiskLevel", "Risk Level"]) {
        n.put("risk_level", r);
    }
    n.actor_user = f.first(&["duser", "suser"]).map(UserInfo::named);
    set_action(n, f.get("act"));
}

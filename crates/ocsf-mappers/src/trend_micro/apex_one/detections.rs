//! Virus / malware, spyware / grayware, predictive machine learning and
//! Virtual Analyzer detections: Detection Findings with the malware and file.

use super::{EventType, file, finding, set_action};
use crate::deep_security::malware_class;
use crate::normalized::{
    Activity, FindingActivity, MalwareClass, MalwareInfo, Normalized, ProcessInfo, UserInfo,
};
use crate::trend_micro::fields::Fields;
use crate::util::number;

pub(super) fn malware(f: &Fields<'_, '_>, t: EventType, n: &mut Normalized) {
    n.activity = Activity::DetectionFinding(FindingActivity::Create);
    let rec = f.record();
    let name = match t {
        EventType::Spyware => f.labeled(&["VirusName", "Spyware", "Spyware_Grayware"]),
        EventType::MachineLearning => f.labeled(&["Security Threat", "SecurityThreat"]),
        _ => None,
    }
    .unwrap_or(rec.name.as_ref())
    .to_owned();
    let file = file(f);
    let mut fd = finding(f, t, &name);
    fd.desc = f
        .labeled(&["VLF_FunctionCode", "Scan Type", "ScanType"])
        .map(str::to_owned);
    let class = match t {
        EventType::Spyware => MalwareClass::Spyware,
        _ => malware_class(&name),
    };
    fd.malware = vec![MalwareInfo {
        name,
        path: file.as_ref().and_then(|x| x.path.clone()),
        class,
    }];
    if let Some(p) = f.labeled(&["Probable Threat Type"]).and_then(number::<i64>) {
        n.put("probable_threat_type", p.to_string());
    }
    n.finding = Some(fd);
    n.file = file;
    // AV: the action follows `AV:` in the signature id when `act` is absent.
    let sig_action = rec.signature_id.split_once(':').map(|(_, a)| a);
    let act = f
        .get("act")
        .or_else(|| f.labeled(&["ActionResult", "Action_Result"]))
        .or(sig_action);
    set_action(n, act);
    n.actor_user = f.first(&["duser", "suser"]).map(UserInfo::named);
    if let Some(p) = f.get("sproc") {
        n.process = Some(ProcessInfo {
            name: Some(crate::util::basename(p).to_owned()),
            path: Some(p.to_owned()).filter(|p| p.contains(['\\', '/'])),
            cmd_line: f.labeled(&["Process Command"]).map(str::to_owned),
            ..ProcessInfo::default()
        });
    }
}

pub(super) fn sandbox(f: &Fields<'_, '_>, n: &mut Normalized) {
    n.activity = Activity::DetectionFinding(FindingActivity::Create);
    let rec = f.record();
    let name = f
        .labeled(&[
            "Threat Name",
            "ThreatName",
            "Malware Name",
            "Detection Name",
        ])
        .unwrap_or(rec.name.as_ref())
        .to_owned();
    let file = file(f);
    let mut fd = finding(f, EventType::Sandbox, &name);
    fd.desc = f
        .labeled(&["Risk Level", "RiskLevel", "SLF_RiskLevel"])
        .map(|r| format!("risk level {r}"));
    fd.malware = vec![MalwareInfo {
        path: file.as_ref().and_then(|x| x.path.clone()),
        class: malware_class(&name),
        name,
    }];
    n.finding = Some(fd);
    n.file = file;
    set_action(n, f.get("act"));
    n.actor_user = f.first(&["duser", "suser"]).map(UserInfo::named);
}

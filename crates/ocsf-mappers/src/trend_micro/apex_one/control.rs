//! Device access control (File System Activity), application control
//! (Process Activity) and data loss prevention (Detection Finding).

use serde_json::{Map, Value};

use super::{EventType, file, finding, set_action};
use crate::normalized::{
    Action, Activity, Disposition, FileActivity, FileInfo, FileType, FindingActivity,
    HashAlgorithm, HashInfo, Normalized, Outcome, ProcessActivity, ProcessInfo, RuleInfo, UserInfo,
};
use crate::trend_micro::fields::Fields;
use crate::util::{basename, endpoint};

/// Device types of device access control (`Device_Type`).
fn device_type(code: &str) -> &str {
    match code.trim() {
        "0" => "USB storage device",
        "1" => "Non-storage USB device",
        "2" => "CD/DVD",
        "3" => "Floppy disk",
        "4" => "Network drive",
        other => other,
    }
}

/// Permissions of device access control (`Permission`); `4` blocks.
fn permission(code: &str) -> &str {
    match code.trim() {
        "0" => "Modify",
        "1" => "Read and execute",
        "2" => "Read",
        "3" => "List device content only",
        "4" => "Block",
        other => other,
    }
}

pub(super) fn device_access(f: &Fields<'_, '_>, n: &mut Normalized) {
    n.activity = Activity::FileSystem(FileActivity::Open);
    let path = f.get("fname");
    n.file = Some(path.map_or_else(FileInfo::default, |p| FileInfo::at(p, FileType::Regular)));
    n.actor_process = f.get("sproc").map(|p| ProcessInfo {
        name: Some(basename(p).to_owned()),
        path: Some(p.to_owned()).filter(|p| p.contains(['\\', '/'])),
        ..ProcessInfo::default()
    });
    n.actor_user = f.get("duser").map(UserInfo::named);
    let mut dev = Map::new();
    if let Some(t) = f.labeled(&["Device_Type", "Device Type"]) {
        dev.insert("type".into(), Value::from(device_type(t)));
    }
    if !dev.is_empty() {
        n.put_value("peripheral_device", Value::Object(dev));
    }
    if let Some(p) = f.labeled(&["Permission"]) {
        let p = permission(p);
        n.put("permission", p);
        if p == "Block" {
            n.disposition = Some(Disposition::Blocked);
            n.action = Some(Action::Denied);
            n.outcome = Some(Outcome::Failure);
        } else {
            n.disposition = Some(Disposition::Allowed);
            n.action = Some(Action::Allowed);
            n.outcome = Some(Outcome::Success);
        }
    }
}

pub(super) fn application_control(f: &Fields<'_, '_>, n: &mut Normalized) {
    n.activity = Activity::Process(ProcessActivity::Launch);
    let name = f.get("fname");
    let hashes: Vec<HashInfo> = f
        .get("fileHash")
        .map(|h| HashInfo {
            algorithm: HashAlgorithm::Sha1,
            value: h.to_owned(),
        })
        .into_iter()
        .collect();
    let user = f.first(&["suser", "duser"]).map(UserInfo::named);
    n.process = Some(ProcessInfo {
        name: name.map(|x| basename(x).to_owned()),
        path: name.filter(|p| p.contains(['\\', '/'])).map(str::to_owned),
        cmd_line: f.labeled(&["Command"]).map(str::to_owned),
        hashes,
        user: user.clone(),
        ..ProcessInfo::default()
    });
    n.actor_user = user;
    let rule = f.labeled(&["Rule"]);
    let policy = f.labeled(&["Policy"]);
    if rule.is_some() || policy.is_some() {
        n.put_value(
            "rule",
            serde_json::json!({ "name": rule, "policy": policy }),
        );
    }
    set_action(n, f.get("act"));
    n.outcome = match n.action {
        Some(Action::Denied) => Some(Outcome::Failure),
        Some(_) => Some(Outcome::Success),
        None => None,
    };
    n.status_detail = f.get("act").map(|a| format!("action: {a}"));
}

pub(super) fn dlp(f: &Fields<'_, '_>, n: &mut Normalized) {
    n.activity = Activity::DetectionFinding(FindingActivity::Create);
    let rec = f.record();
    let rule = f.labeled(&["Rule"]);
    let template = f.labeled(&["Template"]);
    let title = rule.map_or_else(|| rec.name.to_string(), |r| format!("{}: {r}", rec.name));
    let mut fd = finding(f, EventType::DataLossPrevention, &title);
    fd.rule = rule.map(|r| RuleInfo {
        uid: f.labeled(&["Policy GUID"]).map(str::to_owned),
        name: Some(r.to_owned()),
    });
    fd.desc = template.map(|t| format!("template {t}"));
    n.finding = Some(fd);
    n.file = file(f);
    n.actor_user = f
        .labeled(&["Incident_Source_(AD_Account)", "Incident Source"])
        .map(UserInfo::named);
    let mut src = f.get("src").and_then(|s| endpoint(s, None));
    if let Some(e) = src.as_mut() {
        e.hostname = f.get("shost").map(str::to_owned);
        e.mac = f.get("smac").map(|m| m.replace('-', ":"));
    }
    n.src = src;
    if let Some(c) = f.labeled(&["Channel"]) {
        n.put("channel", c);
    }
    if let Some(p) = f.labeled(&["Policy"]) {
        n.put("policy", p);
    }
    if let Some(u) = f.get("request") {
        n.url = Some(u.to_owned());
    }
    if let Some(s) = f.get("suser") {
        n.put("email_sender", s);
    }
    if let Some(r) = f.get("duser") {
        n.put("email_recipients", r);
    }
    if let Some(s) = f.get("msg") {
        n.put("subject", s);
    }
    set_action(n, f.get("act"));
}

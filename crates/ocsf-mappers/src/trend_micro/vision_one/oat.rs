//! Observed Attack Techniques detections: a Detection Finding per detection,
//! with the matched filters as the rule and their ATT&CK tactics and
//! techniques, the endpoint, and the process, file and user of the detail.

use serde_json::Value;

use super::{Members, severity, strings, time_of};
use crate::config::SourceConfig;
use crate::normalized::{
    Activity, EndpointInfo, FileInfo, FileType, FindingActivity, FindingData, HashAlgorithm,
    HashInfo, Normalized, ProcessInfo, RuleInfo, Severity, UserInfo,
};
use crate::trend_micro::attack::{attacks, tactic};
use crate::util::{basename, endpoint, fnv_id, ip, is_hostname, port};

fn text(d: &Value, key: &str) -> Option<String> {
    match &d[key] {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) => a.iter().find_map(|v| v.as_str()).map(str::to_owned),
        _ => None,
    }
}

fn user(d: &Value, name_key: &str, domain_key: &str) -> Option<UserInfo> {
    let name = text(d, name_key)?;
    Some(UserInfo {
        name: Some(name),
        domain: text(d, domain_key),
        ..UserInfo::default()
    })
}

fn detail(d: &Value, n: &mut Normalized) {
    let process = ProcessInfo {
        pid: text(d, "processPid").and_then(|p| p.parse().ok()),
        name: text(d, "processName")
            .or_else(|| text(d, "processFilePath").map(|p| basename(&p).to_owned())),
        path: text(d, "processFilePath"),
        cmd_line: text(d, "processCmd"),
        user: user(d, "processUser", "processUserDomain"),
        hashes: text(d, "processFileHashSha256")
            .map(|h| HashInfo {
                algorithm: HashAlgorithm::Sha256,
                value: h,
            })
            .into_iter()
            .collect(),
        ..ProcessInfo::default()
    };
    if process != ProcessInfo::default() {
        n.process = Some(process);
    }
    let mut file = FileInfo {
        path: text(d, "objectFilePath"),
        file_type: FileType::Regular,
        ..FileInfo::default()
    };
    for (key, algorithm) in [
        ("objectFileHashSha256", HashAlgorithm::Sha256),
        ("objectFileHashSha1", HashAlgorithm::Sha1),
        ("objectFileHashMd5", HashAlgorithm::Md5),
    ] {
        if let Some(value) = text(d, key) {
            file.hashes.push(HashInfo { algorithm, value });
        }
    }
    if file.path.is_some() || !file.hashes.is_empty() {
        n.file = Some(file);
    }
    n.actor_user = text(d, "logonUser")
        .map(UserInfo::named)
        .or_else(|| n.process.as_ref().and_then(|p| p.user.clone()));
    let src = text(d, "src").and_then(|s| endpoint(&s, text(d, "spt").and_then(|p| port(&p))));
    let dst = text(d, "dst").and_then(|s| endpoint(&s, text(d, "dpt").and_then(|p| port(&p))));
    n.src = src;
    n.dst = dst;
    if let Some(url) = text(d, "request") {
        n.url = Some(url);
    }
    if n.device.hostname.is_none() {
        n.device.hostname = text(d, "endpointHostName").filter(|h| is_hostname(h));
    }
    if n.device.ip.is_none() {
        n.device.ip = strings(&d["endpointIp"]).find_map(ip);
    }
}

pub(super) fn detection(m: &mut Members, config: &SourceConfig) -> Box<Normalized> {
    let detected = m.string("detectedDateTime");
    let d = m.take("detail").unwrap_or(Value::Null);
    let time = detected
        .as_deref()
        .and_then(time_of)
        .or_else(|| text(&d, "eventTime").as_deref().and_then(time_of))
        .unwrap_or(config.reference_ms);
    let filters = m.array("filters");
    let sev = filters
        .iter()
        .filter_map(|f| f["riskLevel"].as_str())
        .map(severity)
        .max()
        .unwrap_or(Severity::Unknown);
    let mut n = Normalized::new(
        Activity::DetectionFinding(FindingActivity::Create),
        time,
        sev,
    );
    let uuid = m.string("uuid");
    let names: Vec<&str> = filters.iter().filter_map(|f| f["name"].as_str()).collect();
    let mut fd = FindingData {
        uid: uuid.clone().unwrap_or_else(|| {
            fnv_id(&[detected.as_deref().unwrap_or_default(), &names.join(";")])
        }),
        title: names.join("; "),
        desc: filters
            .first()
            .and_then(|f| f["description"].as_str())
            .map(str::to_owned),
        types: vec!["Observed Attack Technique".to_owned()],
        ..FindingData::default()
    };
    if let Some(s) = m.string("source") {
        fd.types.push(s);
    }
    fd.rule = filters.first().map(|f| RuleInfo {
        uid: f["id"].as_str().map(str::to_owned),
        name: f["name"].as_str().map(str::to_owned),
    });
    for f in &filters {
        let tactics: Vec<_> = strings(&f["mitreTacticIds"]).filter_map(tactic).collect();
        for a in attacks(strings(&f["mitreTechniqueIds"]), &tactics) {
            if !fd.attacks.contains(&a) {
                fd.attacks.push(a);
            }
        }
    }
    n.finding = Some(fd);
    n.source.uid = uuid;
    n.message = names.first().map(|s| (*s).to_owned());
    if let Some(mut ep) = m.object("endpoint") {
        n.device.hostname = ep.string("endpointName").filter(|h| is_hostname(h));
        n.device.uid = ep.string("agentGuid");
        n.device.ip = ep
            .array("ips")
            .iter()
            .filter_map(Value::as_str)
            .find_map(ip);
        if !ep.0.is_empty() {
            n.put_value("endpoint", Value::Object(ep.0));
        }
    }
    if n.device.hostname.is_none()
        && let Some(name) = m.string("entityName")
    {
        // `host (10.0.0.1)` or a bare name.
        let host = name.split_whitespace().next().unwrap_or_default();
        if is_hostname(host) {
            n.device.hostname = Some(host.to_owned());
        } else {
            n.put("entity_name", name);
        }
    }
    detail(&d, &mut n);
    if n.src.is_none() && n.dst.is_some() {
        n.src = Some(EndpointInfo {
            ip: n.device.ip.clone(),
            hostname: n.device.hostname.clone(),
            ..EndpointInfo::default()
        });
    }
    if !d.is_null() {
        n.put_value("detail", d);
    }
    n.put_value("filters", Value::Array(filters));
    n
}

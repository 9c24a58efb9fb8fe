//! Workbench alerts: a Detection Finding with the model, matched rules and
//! filters, ATT&CK techniques, impacted hosts and accounts, and indicators.

use serde_json::Value;

use super::{Members, severity, strings, time_of};
use crate::config::SourceConfig;
use crate::normalized::{
    Activity, FileInfo, FileType, FindingActivity, FindingData, HashAlgorithm, HashInfo,
    Normalized, ProcessInfo, RuleInfo, Severity, UserInfo,
};
use crate::trend_micro::attack::attacks;
use crate::util::{fnv_id, ip, is_hostname};

/// The first impacted host and account of `impactScope.entities`.
fn impact_scope(scope: &Members, n: &mut Normalized) {
    let entities = scope.0.get("entities").and_then(Value::as_array);
    for e in entities.into_iter().flatten() {
        let value = &e["entityValue"];
        match e["entityType"].as_str().unwrap_or_default() {
            "host" if n.device.hostname.is_none() && n.device.ip.is_none() => {
                let name = value["name"].as_str().or_else(|| value.as_str());
                n.device.hostname = name.filter(|h| is_hostname(h)).map(str::to_owned);
                n.device.ip = strings(&value["ips"]).find_map(ip);
                n.device.uid = value["guid"].as_str().map(str::to_owned);
            }
            "account" if n.user.is_none() => {
                if let Some(a) = value.as_str().or_else(|| value["name"].as_str()) {
                    let (domain, name) =
                        a.split_once('\\').map_or((None, a), |(d, u)| (Some(d), u));
                    n.user = Some(UserInfo {
                        name: Some(name.to_owned()),
                        domain: domain.map(str::to_owned),
                        ..UserInfo::default()
                    });
                }
            }
            _ => {}
        }
    }
}

/// File and process facts from the indicators.
fn indicators(list: &[Value], n: &mut Normalized) {
    let mut file = FileInfo {
        file_type: FileType::Regular,
        ..FileInfo::default()
    };
    for i in list {
        let value = i["value"].as_str().unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        let hash = |algorithm| HashInfo {
            algorithm,
            value: value.to_owned(),
        };
        match i["type"].as_str().unwrap_or_default() {
            "file_sha256" => file.hashes.push(hash(HashAlgorithm::Sha256)),
            "file_sha1" => file.hashes.push(hash(HashAlgorithm::Sha1)),
            "file_md5" => file.hashes.push(hash(HashAlgorithm::Md5)),
            "fullpath" | "file_path" if file.path.is_none() => file.path = Some(value.to_owned()),
            "command_line" if n.process.is_none() => {
                n.process = Some(ProcessInfo {
                    cmd_line: Some(value.to_owned()),
                    ..ProcessInfo::default()
                });
            }
            _ => {}
        }
    }
    if file.path.is_some() || !file.hashes.is_empty() {
        n.file = Some(file);
    }
}

pub(super) fn alert(m: &mut Members, config: &SourceConfig) -> Box<Normalized> {
    let created = m.string("createdDateTime");
    let time = created
        .as_deref()
        .and_then(time_of)
        .unwrap_or(config.reference_ms);
    let sev = m
        .string("severity")
        .map_or(Severity::Unknown, |s| severity(&s));
    let status = m.string("status");
    let closed = status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("closed"));
    let mut n = Normalized::new(
        Activity::DetectionFinding(if closed {
            FindingActivity::Close
        } else {
            FindingActivity::Create
        }),
        time,
        sev,
    );
    let id = m.string("id");
    let model = m.string("model");
    let mut fd = FindingData {
        uid: id.clone().unwrap_or_else(|| {
            fnv_id(&[
                model.as_deref().unwrap_or_default(),
                created.as_deref().unwrap_or_default(),
            ])
        }),
        title: model.clone().unwrap_or_default(),
        desc: m.string("description"),
        types: vec!["Workbench Alert".to_owned()],
        ..FindingData::default()
    };
    if let Some(p) = m.string("alertProvider") {
        fd.types.push(p);
    }
    let rules = m.array("matchedRules");
    let mut techniques: Vec<String> = Vec::new();
    for r in &rules {
        for filter in r["matchedFilters"].as_array().into_iter().flatten() {
            techniques.extend(strings(&filter["mitreTechniqueIds"]).map(str::to_owned));
        }
    }
    fd.attacks = attacks(techniques.iter().map(String::as_str), &[]);
    fd.rule = rules.first().map(|r| RuleInfo {
        uid: r["id"].as_str().map(str::to_owned),
        name: r["name"].as_str().map(str::to_owned),
    });
    if let Some(score) = m.take("score") {
        n.put_value("score", score);
    }
    n.source.uid = id;
    n.source.event_code = m.string("modelId");
    n.message = model;
    if let Some(scope) = m.object("impactScope") {
        impact_scope(&scope, &mut n);
        n.put_value("impact_scope", Value::Object(scope.0));
    }
    let ind = m.array("indicators");
    indicators(&ind, &mut n);
    if !ind.is_empty() {
        n.put_value("indicators", Value::Array(ind));
    }
    if !rules.is_empty() {
        n.put_value("matched_rules", Value::Array(rules));
    }
    n.status_detail = [
        status,
        m.string("investigationStatus"),
        m.string("investigationResult"),
    ]
    .into_iter()
    .flatten()
    .reduce(|a, b| format!("{a}; {b}"));
    n.actor_user = n.user.take();
    n.finding = Some(fd);
    n
}

//! Integrity Monitoring: a Detection Finding with the rule (and the ATT&CK
//! techniques its name or description cites), the changed file as evidence.

use super::Module;
use super::common::{finding, super_user};
use super::record::Ds;
use crate::normalized::{
    Activity, FileInfo, FileType, FindingActivity, Normalized, ProcessInfo, RuleInfo,
};
use crate::trend_micro::attack::attacks;
use crate::util::basename;

/// The ATT&CK technique ids written in `text` (`T1053`, `T1053.003`).
fn technique_ids(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .map(|w| w.trim_matches('.'))
        .filter(|w| w.len() >= 5 && w.as_bytes()[0].eq_ignore_ascii_case(&b't'))
}

pub(super) fn integrity_monitoring(ds: &Ds<'_>, n: &mut Normalized) {
    n.activity = Activity::DetectionFinding(FindingActivity::Create);
    let name = ds.name.to_string();
    let mut f = finding(ds, Module::IntegrityMonitoring, &name);
    f.rule = Some(RuleInfo {
        uid: Some(ds.sig.to_string()),
        name: Some(name.clone()),
    });
    let desc = ds
        .labeled("IM Description")
        .or_else(|| ds.labeled("Rule Description"));
    f.desc = desc.map(str::to_owned);
    f.attacks = attacks(
        technique_ids(&name).chain(desc.into_iter().flat_map(technique_ids)),
        &[],
    );
    n.finding = Some(f);
    let path = ds.get("filePath").map(str::to_owned);
    n.file = Some(FileInfo {
        name: path
            .as_deref()
            .map(|p| basename(p).to_owned())
            .or_else(|| Some(name.clone())),
        path,
        file_type: FileType::Unknown,
        ..FileInfo::default()
    });
    n.actor_user = ds.get("suser").map(super_user);
    n.actor_process = ds.get("sproc").map(|p| ProcessInfo {
        name: Some(basename(p).to_owned()),
        path: Some(p.to_owned()),
        ..ProcessInfo::default()
    });
    if let Some(act) = ds.get("act") {
        n.put("change", act);
    }
    if let Some(attrs) = ds.get("msg") {
        n.put("changed_attributes", attrs);
        n.status_detail = Some(format!("changed: {attrs}"));
    }
}

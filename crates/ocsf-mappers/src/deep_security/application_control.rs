//! Application Control: Process Activity Launch.

use super::common::super_user;
use super::record::Ds;
use crate::normalized::{
    Action, Activity, Disposition, HashAlgorithm, HashInfo, Normalized, Outcome, ProcessActivity,
    ProcessInfo,
};
use crate::util::{basename, number};

pub(super) fn application_control(ds: &Ds<'_>, n: &mut Normalized) {
    n.activity = Activity::Process(ProcessActivity::Launch);
    let path = ds.get("filePath").map(str::to_owned);
    let mut hashes = Vec::new();
    if let Some(h) = ds.get("fileHash") {
        hashes.push(HashInfo {
            algorithm: HashAlgorithm::Sha256,
            value: h.to_owned(),
        });
    }
    if let Some(h) = ds.labeled("sha1") {
        hashes.push(HashInfo {
            algorithm: HashAlgorithm::Sha1,
            value: h.to_owned(),
        });
    }
    if let Some(h) = ds.labeled("md5") {
        hashes.push(HashInfo {
            algorithm: HashAlgorithm::Md5,
            value: h.to_owned(),
        });
    }
    let user = ds.get("suser").map(|name| {
        let mut u = super_user(name);
        u.uid = ds.get("suid").map(str::to_owned);
        u
    });
    n.process = Some(ProcessInfo {
        name: path.as_deref().map(|p| basename(p).to_owned()),
        path,
        user: user.clone(),
        hashes,
        file_size: ds.get("fsize").and_then(number::<i64>),
        ..ProcessInfo::default()
    });
    n.actor_user = user;
    let act = ds.get("act").unwrap_or_default();
    let a = act.to_ascii_lowercase();
    if a.contains("block") || a.contains("deny") {
        n.disposition = Some(Disposition::Blocked);
        n.action = Some(Action::Denied);
        n.outcome = Some(Outcome::Failure);
    } else if a.contains("detect") {
        n.disposition = Some(Disposition::Detected);
        n.action = Some(Action::Allowed);
        n.outcome = Some(Outcome::Success);
    } else if a.contains("allow") {
        n.disposition = Some(Disposition::Allowed);
        n.action = Some(Action::Allowed);
        n.outcome = Some(Outcome::Success);
    }
    if !act.is_empty() {
        n.put("act", act);
    }
    n.status_detail = ds.labeled("actionReason").map(str::to_owned);
    n.count = ds.get("repeatCount").and_then(number::<i32>);
}

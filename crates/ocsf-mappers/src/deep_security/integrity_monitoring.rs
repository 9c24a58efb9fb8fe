//! Integrity Monitoring: File System Activity.

use super::common::super_user;
use super::record::Ds;
use crate::normalized::{
    Activity, FileActivity, FileInfo, FileType, Normalized, Outcome, ProcessInfo,
};
use crate::util::basename;

pub(super) fn integrity_monitoring(ds: &Ds<'_>, n: &mut Normalized) {
    let act = ds.get("act").unwrap_or_default();
    let activity = match act.to_ascii_lowercase().as_str() {
        "created" | "create" | "added" => FileActivity::Create,
        "updated" | "update" | "modified" | "changed" => FileActivity::Update,
        "deleted" | "delete" | "removed" => FileActivity::Delete,
        "renamed" | "rename" => FileActivity::Rename,
        "" => FileActivity::Other("Change".into()),
        _ => FileActivity::Other(act.to_owned().into()),
    };
    n.activity = Activity::FileSystem(activity);
    n.outcome = Some(Outcome::Success);
    let path = ds.get("filePath").map(str::to_owned);
    n.file = Some(FileInfo {
        name: path
            .as_deref()
            .map(|p| basename(p).to_owned())
            .or_else(|| Some(ds.name.to_string())),
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
    if let Some(attrs) = ds.get("msg") {
        n.put("changed_attributes", attrs);
        n.status_detail = Some(format!("changed: {attrs}"));
    }
    n.put_value(
        "rule",
        serde_json::json!({"uid": ds.sig.as_ref(), "name": ds.name.as_ref()}),
    );
}

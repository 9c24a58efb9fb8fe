//! Device Control: File System Activity Open.

use serde_json::{Map, Value};

use super::common::super_user;
use super::record::Ds;
use crate::normalized::{
    Action, Activity, Disposition, FileActivity, FileInfo, FileType, Normalized, Outcome,
    ProcessInfo,
};
use crate::util::{basename, is_hostname};

pub(super) fn device_control(ds: &Ds<'_>, n: &mut Normalized) {
    n.activity = Activity::FileSystem(FileActivity::Open);
    n.file = ds
        .get("fileName")
        .or_else(|| ds.get("filePath"))
        .map(|p| FileInfo::at(p, FileType::Unknown));
    n.actor_process = ds.get("processName").map(|p| ProcessInfo {
        name: Some(basename(p).to_owned()),
        path: p.contains(['/', '\\']).then(|| p.to_owned()),
        ..ProcessInfo::default()
    });
    n.actor_user = ds.get("suser").map(super_user);
    let mut dev = Map::new();
    for (key, out) in [
        ("device", "name"),
        ("vendor", "vendor_name"),
        ("model", "model"),
        ("serial", "serial_number"),
        ("deviceType", "type"),
    ] {
        if let Some(v) = ds.get(key) {
            dev.insert(out.into(), Value::from(v));
        }
    }
    if !dev.is_empty() {
        n.put_value("peripheral_device", Value::Object(dev));
    }
    // The verdict: `act` (or a textual `permission`): blocked vs allowed
    // USB access is what a detection queries.
    let textual_permission = ds
        .index("permission")
        .is_some_and(|i| !ds.fields[i].1.trim().bytes().all(|b| b.is_ascii_digit()));
    let verdict = ds
        .get("act")
        .or_else(|| textual_permission.then(|| ds.get("permission")).flatten());
    if let Some(act) = verdict {
        let a = act.to_ascii_lowercase();
        let (disposition, action) = if a.contains("block") || a.contains("deny") {
            (Disposition::Blocked, Action::Denied)
        } else if a.contains("allow") || a.contains("full access") {
            (Disposition::Allowed, Action::Allowed)
        } else {
            (
                Disposition::Other(act.to_owned().into()),
                Action::Other(act.to_owned().into()),
            )
        };
        n.outcome = Some(if action == Action::Denied {
            Outcome::Failure
        } else {
            Outcome::Success
        });
        n.disposition = Some(disposition);
        n.action = Some(action);
    }
    if n.device.hostname.is_none() {
        n.device.hostname = ds
            .get("computerName")
            .filter(|h| is_hostname(h))
            .map(str::to_owned);
    }
}

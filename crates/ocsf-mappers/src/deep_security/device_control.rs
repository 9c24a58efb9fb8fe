//! Device Control: File System Activity Open.

use serde_json::{Map, Value};

use super::common::super_user;
use super::record::Ds;
use crate::normalized::{Activity, FileActivity, FileInfo, FileType, Normalized, ProcessInfo};
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
    if n.device.hostname.is_none() {
        n.device.hostname = ds
            .get("computerName")
            .filter(|h| is_hostname(h))
            .map(str::to_owned);
    }
}

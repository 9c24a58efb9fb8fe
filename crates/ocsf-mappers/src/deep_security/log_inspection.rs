//! Log Inspection: a Detection Finding with the rule and description.

use super::Module;
use super::common::{endpoint_of, finding, super_user};
use super::record::Ds;
use crate::normalized::{Activity, FindingActivity, Normalized, RuleInfo};

pub(super) fn log_inspection(ds: &Ds<'_>, n: &mut Normalized) {
    n.activity = Activity::DetectionFinding(FindingActivity::Create);
    let name = ds.name.to_string();
    let title = ds.labeled("LI Description").unwrap_or(&name).to_owned();
    let mut f = finding(ds, Module::LogInspection, &title);
    f.rule = Some(RuleInfo {
        uid: Some(ds.sig.to_string()),
        name: Some(name),
    });
    f.desc = ds.get("msg").map(str::to_owned);
    n.finding = Some(f);
    n.src = endpoint_of(ds, "src", "spt", "smac", "shost");
    n.dst = endpoint_of(ds, "dst", "dpt", "dmac", "dhost");
    n.actor_user = ds
        .get("duser")
        .or_else(|| ds.get("suser"))
        .filter(|u| !u.starts_with('('))
        .map(super_user);
}

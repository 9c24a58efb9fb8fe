//! Firewall: Network Activity (Refuse or Traffic) with the rule and endpoints.

use super::common::{connection, endpoint_of, network_action};
use super::record::Ds;
use crate::normalized::{
    Action, Activity, Disposition, NetworkActivity, Normalized, RuleInfo, TrafficInfo,
};
use crate::util::number;

pub(super) fn firewall(ds: &Ds<'_>, n: &mut Normalized) {
    let act = ds.get("act");
    let (disp, action) = act.map_or((Disposition::Logged, None), network_action);
    let activity = match action {
        Some(Action::Denied) => NetworkActivity::Refuse,
        _ => NetworkActivity::Traffic,
    };
    n.activity = Activity::Network(activity);
    n.disposition = Some(disp);
    n.action = action;
    n.src = endpoint_of(ds, "src", "spt", "smac", "shost");
    n.dst = endpoint_of(ds, "dst", "dpt", "dmac", "dhost");
    let (conn, traffic) = connection(ds);
    n.connection = Some(conn);
    if traffic != TrafficInfo::default() {
        n.traffic = Some(traffic);
    }
    n.firewall_rule = Some(RuleInfo {
        uid: Some(ds.sig.to_string()),
        name: Some(ds.name.to_string()).filter(|s| !s.is_empty()),
    });
    n.count = ds.get("cnt").and_then(number::<i32>);
    if let Some(a) = act {
        n.status_detail = Some(format!("action: {a}"));
    }
}

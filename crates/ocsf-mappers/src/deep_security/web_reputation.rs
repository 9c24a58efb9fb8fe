//! Web Reputation: Network Activity (Refuse) with the URL.

use super::common::{endpoint_of, super_user};
use super::record::Ds;
use crate::normalized::{Action, Activity, Disposition, EndpointInfo, NetworkActivity, Normalized};
use crate::util::endpoint;

pub(super) fn web_reputation(ds: &Ds<'_>, n: &mut Normalized) {
    let msg = ds.get("msg").unwrap_or_default();
    let blocked = msg.to_ascii_lowercase().contains("block") || msg.is_empty();
    n.activity = Activity::Network(if blocked {
        NetworkActivity::Refuse
    } else {
        NetworkActivity::Traffic
    });
    if blocked {
        n.disposition = Some(Disposition::Blocked);
        n.action = Some(Action::Denied);
    } else {
        n.disposition = Some(Disposition::Detected);
        n.action = Some(Action::Allowed);
    }
    if !msg.is_empty() {
        n.status_detail = Some(msg.to_owned());
    }
    let url = ds.get("request").map(str::to_owned);
    let host = url.as_deref().and_then(|u| {
        let rest = u.split_once("://").map_or(u, |(_, r)| r);
        let end = rest.find(['/', '?', '#', ':']).unwrap_or(rest.len());
        endpoint(&rest[..end], None)
    });
    n.dst = host;
    n.url = url;
    n.src = Some(EndpointInfo {
        ip: n.device.ip.clone(),
        hostname: n.device.hostname.clone(),
        ..EndpointInfo::default()
    })
    .filter(|e| e.ip.is_some() || e.hostname.is_some())
    .or_else(|| endpoint_of(ds, "src", "spt", "smac", "shost"));
    n.actor_user = ds.get("suser").map(super_user);
}

//! Web reputation (Network Activity with the URL) and C&C callbacks
//! (Detection Finding with the callback address).

use super::{EventType, finding, set_action};
use crate::normalized::{
    Action, Activity, Disposition, EndpointInfo, FindingActivity, NetworkActivity, Normalized,
    RuleInfo, UserInfo,
};
use crate::trend_micro::fields::Fields;
use crate::util::{endpoint, port};

/// The endpoint a URL names (its host and port).
fn url_endpoint(url: &str, port_hint: Option<u16>) -> Option<EndpointInfo> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest[..end]
        .rsplit_once('@')
        .map_or(&rest[..end], |(_, h)| h);
    let (host, p) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, port(p)),
        _ => (authority, None),
    };
    endpoint(host, p.or(port_hint))
}

/// The protected endpoint: the device the event happened on.
fn local_endpoint(f: &Fields<'_, '_>, n: &Normalized) -> Option<EndpointInfo> {
    Some(EndpointInfo {
        ip: n.device.ip.clone(),
        hostname: n.device.hostname.clone(),
        ..EndpointInfo::default()
    })
    .filter(|e| e.ip.is_some() || e.hostname.is_some())
    .or_else(|| f.get("src").and_then(|s| endpoint(s, None)))
}

pub(super) fn web_reputation(f: &Fields<'_, '_>, n: &mut Normalized) {
    let rec = f.record();
    let sig_action = rec.signature_id.split_once(':').map(|(_, a)| a);
    set_action(n, f.get("act"));
    let blocked = matches!(n.action, Some(Action::Denied));
    n.activity = Activity::Network(if blocked {
        NetworkActivity::Refuse
    } else {
        NetworkActivity::Traffic
    });
    if n.disposition.is_none() {
        n.disposition = Some(Disposition::Detected);
    }
    let url = f.get("request").map(str::to_owned);
    let dpt = f.get("dpt").and_then(port);
    n.dst = url.as_deref().and_then(|u| url_endpoint(u, dpt));
    n.src = local_endpoint(f, n);
    n.url = url;
    n.firewall_rule = Some(RuleInfo {
        uid: sig_action.map(str::to_owned),
        name: Some(rec.name.to_string()).filter(|s| !s.is_empty()),
    });
    if let Some(p) = f.labeled(&["Policy", "SLF_PolicyName"]) {
        n.put("policy", p);
    }
    n.actor_user = f.first(&["duser", "suser"]).map(UserInfo::named);
}

pub(super) fn cnc_callback(f: &Fields<'_, '_>, n: &mut Normalized) {
    n.activity = Activity::DetectionFinding(FindingActivity::Create);
    let rec = f.record();
    let url = f.get("request").map(str::to_owned);
    let title = url
        .as_deref()
        .map_or_else(|| rec.name.to_string(), |u| format!("{}: {u}", rec.name));
    let mut fd = finding(f, EventType::CncCallback, &title);
    fd.rule = f
        .labeled(&["SLF_PolicyName", "Policy Name", "Policy"])
        .map(|p| RuleInfo {
            uid: None,
            name: Some(p.to_owned()),
        });
    fd.desc = f
        .labeled(&["SLF_CCCA_DetectionSource", "C&C List Source"])
        .map(|s| format!("C&C list source {s}"));
    n.finding = Some(fd);
    n.dst = url.as_deref().and_then(|u| url_endpoint(u, None));
    n.src = local_endpoint(f, n);
    n.url = url;
    let sig_action = rec.signature_id.split_once(':').map(|(_, a)| a);
    set_action(n, f.get("act").or(sig_action));
    if let Some(r) = f.labeled(&["SLF_CCCA_RiskLevel", "C&C Risk Level"]) {
        n.put("cc_risk_level", r);
    }
    n.actor_user = f.first(&["duser", "suser"]).map(UserInfo::named);
}

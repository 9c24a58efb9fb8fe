//! System events (Manager): Authentication (sign-in/out), a Detection
//! Finding (alerts, errors, failures) or Entity Management.

use serde_json::Value;

use super::Module;
use super::common::{finding, super_user};
use super::record::Ds;
use crate::normalized::{
    Activity, AuthActivity, EndpointInfo, EntityActivity, EntityInfo, FindingActivity, Normalized,
    Outcome, RuleInfo, UserInfo,
};
use crate::util::{endpoint, ip};

/// The first IP address written in `text` (`User signed in from 10.0.0.7`).
fn ip_in_text(text: &str) -> Option<EndpointInfo> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '"' | '\''))
        .map(|w| w.trim_end_matches('.'))
        .find_map(ip)
        .map(|addr| EndpointInfo {
            ip: Some(addr),
            ..EndpointInfo::default()
        })
}

pub(super) fn system(ds: &Ds<'_>, n: &mut Normalized) {
    let name = ds.name.to_string();
    let lower = name.to_ascii_lowercase();
    let user = ds.get("suser").map(super_user);
    let src = ds.get("src").and_then(|s| endpoint(s, None));
    let signed = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if signed(&[
        "sign in",
        "signed in",
        "sign-in",
        "logged in",
        "log in",
        "signed out",
        "logged out",
        "sign out",
        "timed out",
    ]) {
        let logoff = signed(&["signed out", "logged out", "sign out", "timed out"]);
        let failed = signed(&["fail", "locked", "denied"]);
        n.activity = Activity::Authentication(if logoff {
            AuthActivity::Logoff
        } else {
            AuthActivity::Logon
        });
        n.outcome = Some(if failed {
            Outcome::Failure
        } else {
            Outcome::Success
        });
        n.user = Some(user.unwrap_or_else(|| UserInfo::named(crate::util::UNKNOWN)));
        n.src = src.or_else(|| ds.get("msg").and_then(ip_in_text));
        n.service_name = Some(ds.product.to_string());
        n.status_detail = ds.get("msg").map(str::to_owned);
        if let Some(t) = ds.get("target") {
            n.put("target", t);
        }
        return;
    }
    let alert = signed(&["alert"]);
    if alert || signed(&["error", "failed", "failure"]) {
        let closed = alert && signed(&["ended", "dismissed", "cleared", "resolved"]);
        n.activity = Activity::DetectionFinding(if closed {
            FindingActivity::Close
        } else {
            FindingActivity::Create
        });
        let mut f = finding(ds, Module::System, &name);
        f.rule = Some(RuleInfo {
            uid: Some(ds.sig.to_string()),
            name: Some(name.clone()),
        });
        f.desc = ds.get("msg").map(str::to_owned);
        n.finding = Some(f);
        n.actor_user = user;
        n.src = src;
        if let Some(t) = ds.get("target") {
            n.put("target", t);
        }
        return;
    }
    let act = if signed(&["created", "added", "new "]) {
        EntityActivity::Create
    } else if signed(&["deleted", "removed"]) {
        EntityActivity::Delete
    } else if signed(&["updated", "modified", "changed", "saved", "renamed"]) {
        EntityActivity::Update
    } else if signed(&["viewed", "exported", "downloaded"]) {
        EntityActivity::Read
    } else {
        EntityActivity::Other(name.clone().into())
    };
    n.activity = Activity::EntityManagement(act);
    n.entity = Some(EntityInfo {
        name: ds
            .get("target")
            .map(str::to_owned)
            .or_else(|| Some(name.clone())),
        uid: None,
        kind: None,
    });
    n.actor_user = user;
    n.status_detail = ds.get("msg").map(str::to_owned);
    if let Some(s) = src {
        n.put_value(
            "src_endpoint",
            serde_json::to_value(s).unwrap_or(Value::Null),
        );
    }
}

//! Network configuration daemons: `NetworkManager` and `firewalld`.
//!
//! NetworkManager (`<info>  [1717977600.1234] ` before each message):
//!
//! ```text
//! audit: op="connection-activate" uuid="6a1c..." name="Wired connection 1" pid=2345 uid=1000 result="success"
//! device (eth0): Activation: starting connection 'Wired connection 1' (6a1c...)
//! device (eth0): Activation: successful, device activated.
//! device (eth0): Activation: failed for connection 'Wired connection 1'
//! device (eth0): state change: ip-config -> ip-check (reason 'none', sys-iface-state: 'managed')
//! dhcp4 (eth0): state changed new lease, address=192.0.2.50
//! dhcp4 (eth0):   address 192.0.2.50
//! ```
//!
//! firewalld: `ERROR: COMMAND_FAILED: '/usr/sbin/iptables-restore -w -n' failed: ...`,
//! `WARNING: ALREADY_ENABLED: 'ssh' already in 'public'`.

use super::{MessageContext, Miss, Recognized};
use crate::normalized::{
    Activity, EntityActivity, EntityInfo, Normalized, Outcome, ProcessInfo, Severity, UserInfo,
};
use crate::util::{ip, number, unquote};

/// The value of `key=` in a `k=v` list whose values may be double-quoted with
/// spaces inside (`name="Wired connection 1"`).
fn quoted_kv<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(pos) = text[from..].find(key).map(|p| p + from) {
        let after = &text[pos + key.len()..];
        let starts = pos == 0 || text.as_bytes()[pos - 1] == b' ';
        if starts && let Some(v) = after.strip_prefix('=') {
            return Some(match v.strip_prefix('"') {
                Some(q) => q.find('"').map_or(q, |end| &q[..end]),
                None => v.split(' ').next().unwrap_or(v),
            });
        }
        from = pos + key.len();
    }
    None
}

pub(super) fn handles(program: &str) -> bool {
    matches!(program, "NetworkManager" | "firewalld")
}

pub(super) fn map(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    match ctx.program_name() {
        "firewalld" => firewalld(ctx, msg.trim()),
        _ => network_manager(ctx, strip_level(msg.trim())),
    }
}

/// Strips NetworkManager's `<info>  [1717977600.1234] ` prefix.
fn strip_level(msg: &str) -> &str {
    let mut m = msg;
    if m.starts_with('<')
        && let Some((_, rest)) = m.split_once('>')
    {
        m = rest.trim_start();
    }
    if let Some(rest) = m.strip_prefix('[')
        && let Some((stamp, tail)) = rest.split_once(']')
        && stamp.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        m = tail.trim_start();
    }
    m
}

/// A configuration event of the device (Device Config State, Log).
fn config_event(
    ctx: &MessageContext<'_>,
    outcome: Option<Outcome>,
    severity: Severity,
    message: &str,
) -> Box<Normalized> {
    let mut n = ctx.event(Activity::DeviceConfigState, severity);
    n.outcome = outcome;
    n.message = Some(message.to_owned());
    n.actor_process = Some(ctx.process());
    n
}

fn network_manager(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    if let Some(fields) = msg.strip_prefix("audit: ") {
        return nm_audit(ctx, fields);
    }
    // `device (eth0): ...`, `dhcp4 (eth0): ...`
    let (kind, iface, body) = match msg.split_once(" (").and_then(|(k, r)| {
        let (i, b) = r.split_once("): ")?;
        Some((k, i, b.trim()))
    }) {
        Some(x) => x,
        None => return Err(Miss::Unrecognized),
    };
    match kind {
        "dhcp4" | "dhcp6" => {
            let addr = body
                .strip_prefix("state changed new lease, address=")
                .or_else(|| body.strip_prefix("address "))
                .and_then(|a| ip(a.trim()))
                .ok_or(Miss::Unrecognized)?;
            let mut n = config_event(ctx, Some(Outcome::Success), Severity::Informational, body);
            n.status_detail = Some(format!("{kind} lease"));
            n.device.ip = Some(addr);
            n.device.interface_name = Some(iface.to_owned());
            Ok(n)
        }
        "device" => {
            let (outcome, severity, detail) =
                if let Some(rest) = body.strip_prefix("Activation: starting connection ") {
                    let (name, uuid) = rest.rsplit_once(" (").unwrap_or((rest, ""));
                    let mut n = config_event(ctx, None, Severity::Informational, body);
                    n.status_detail = Some("activation started".into());
                    n.device.interface_name = Some(iface.to_owned());
                    n.put("connection", unquote(name.trim()));
                    n.put("connection_uuid", uuid.trim_end_matches(')'));
                    return Ok(n);
                } else if body.starts_with("Activation: successful") {
                    (
                        Outcome::Success,
                        Severity::Informational,
                        "activation successful",
                    )
                } else if let Some(rest) = body.strip_prefix("Activation: failed") {
                    let mut n = config_event(ctx, Some(Outcome::Failure), Severity::Low, body);
                    n.status_detail = Some("activation failed".into());
                    n.device.interface_name = Some(iface.to_owned());
                    if let Some(name) = rest.trim().strip_prefix("for connection ") {
                        n.put("connection", unquote(name.trim()));
                    }
                    return Ok(n);
                } else if let Some(rest) = body.strip_prefix("state change: ") {
                    let (change, reason) = rest.split_once(" (").unwrap_or((rest, ""));
                    let (from, to) = change.split_once(" -> ").ok_or(Miss::Unrecognized)?;
                    let outcome = match to.trim() {
                        "failed" => Outcome::Failure,
                        _ => Outcome::Success,
                    };
                    let mut n = config_event(
                        ctx,
                        Some(outcome.clone()),
                        if outcome == Outcome::Failure {
                            Severity::Low
                        } else {
                            Severity::Informational
                        },
                        body,
                    );
                    n.status_detail = Some(format!("state {}", to.trim()));
                    n.device.interface_name = Some(iface.to_owned());
                    n.put("old_state", from.trim());
                    n.put("new_state", to.trim());
                    if let Some(r) = reason
                        .strip_prefix("reason ")
                        .and_then(|r| r.split([',', ')']).next())
                    {
                        n.put("reason", unquote(r.trim()));
                    }
                    return Ok(n);
                } else {
                    return Err(Miss::Unrecognized);
                };
            let mut n = config_event(ctx, Some(outcome), severity, body);
            n.status_detail = Some(detail.to_owned());
            n.device.interface_name = Some(iface.to_owned());
            Ok(n)
        }
        _ => Err(Miss::Unrecognized),
    }
}

/// NetworkManager's own audit lines: who changed which connection or device.
/// `op="connection-activate" uuid="..." name="..." pid=N uid=N result="success"`.
fn nm_audit(ctx: &MessageContext<'_>, fields: &str) -> Recognized {
    let get = |k: &str| quoted_kv(fields, k).filter(|v| !v.is_empty());
    let op = get("op").ok_or(Miss::Unrecognized)?;
    let act = if op.contains("add") {
        EntityActivity::Create
    } else if op.contains("delete") {
        EntityActivity::Delete
    } else if op.contains("activate")
        || op.contains("update")
        || op.contains("disconnect")
        || op.contains("manage")
        || op.contains("sleep")
        || op.contains("enable")
    {
        EntityActivity::Update
    } else {
        EntityActivity::Other(op.to_owned().into())
    };
    let outcome = match get("result") {
        Some("success") => Some(Outcome::Success),
        Some(r) if r.starts_with("fail") => Some(Outcome::Failure),
        _ => None,
    };
    let mut n = ctx.event(
        Activity::EntityManagement(act),
        if outcome == Some(Outcome::Failure) {
            Severity::Low
        } else {
            Severity::Informational
        },
    );
    n.outcome = outcome;
    n.status_detail = Some(op.to_owned());
    let interface = get("interface");
    n.entity = Some(EntityInfo {
        name: get("name").or(interface).map(str::to_owned),
        uid: get("uuid").map(str::to_owned),
        kind: Some(
            if get("uuid").is_some() || get("name").is_some() {
                "Network Connection"
            } else {
                "Network Device"
            }
            .into(),
        ),
    });
    n.actor_user = get("uid")
        .filter(|u| number::<u32>(u).is_some())
        .map(UserInfo::with_uid);
    n.actor_process = Some(match get("pid").and_then(number::<u32>) {
        Some(pid) => ProcessInfo {
            pid: Some(pid),
            ..ProcessInfo::default()
        },
        None => ctx.process(),
    });
    if let Some(i) = interface {
        n.device.interface_name = Some(i.to_owned());
    }
    if let Some(reason) = get("reason") {
        n.put("reason", reason);
    }
    if let Some(args) = get("args") {
        n.put("args", args);
    }
    Ok(n)
}

/// `ERROR: CODE: detail` / `WARNING: CODE: detail`: a rule or zone firewalld
/// could not apply (or applied with a warning).
fn firewalld(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    // `/var/log/firewalld` style lines carry their own date first.
    let body = msg
        .find("ERROR: ")
        .or_else(|| msg.find("WARNING: "))
        .map(|i| &msg[i..])
        .ok_or(Miss::Unrecognized)?;
    let (level, rest) = body.split_once(": ").ok_or(Miss::Unrecognized)?;
    let (code, detail) = match rest.split_once(": ") {
        Some((c, d)) if !c.contains(' ') => (Some(c), d),
        _ if !rest.contains(' ') => (Some(rest), ""),
        _ => (None, rest),
    };
    let error = level == "ERROR";
    let mut n = config_event(
        ctx,
        Some(if error {
            Outcome::Failure
        } else {
            Outcome::Other("Warning".into())
        }),
        if error {
            Severity::Medium
        } else {
            Severity::Low
        },
        body,
    );
    n.status_code = code.map(str::to_owned);
    n.status_detail = Some(if detail.is_empty() {
        code.unwrap_or(level).to_owned()
    } else {
        detail.to_owned()
    });
    n.put("setting", "firewall");
    Ok(n)
}

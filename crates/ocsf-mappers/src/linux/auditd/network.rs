//! Socket syscalls with a `SOCKADDR` record: the address a process connected
//! to, bound, accepted from, sent to or received from.
//!
//! | syscall | activity | `SOCKADDR` is |
//! |---|---|---|
//! | `connect` | Open, direction Outbound | `dst_endpoint` |
//! | `accept`, `accept4` | Open, direction Inbound | `src_endpoint` (the peer) |
//! | `bind` | Other `Listen` (OCSF 1.1.0 has no Listen activity) | `dst_endpoint` (the local address served) |
//! | `sendto`, `sendmsg` | Traffic, Outbound | `dst_endpoint` |
//! | `recvfrom`, `recvmsg` | Traffic, Inbound | `src_endpoint` |
//!
//! The address is the raw `saddr` (hex `struct sockaddr`: `AF_INET`,
//! `AF_INET6`, `AF_UNIX`), else the enriched interpretation (`SADDR={
//! fam=inet laddr=192.0.2.1 lport=80 }`). An address that decodes to nothing
//! (cut, another family) leaves the event to the generic syscall mapping,
//! which keeps the record's fields.

use super::orphan::sockaddr;
use super::{AuditEvent, AuditRecord, process, uid_user};
use crate::normalized::{
    Activity, ConnectionInfo, Direction, EndpointInfo, NetworkActivity, Normalized, Severity,
};
use crate::util::{ip, port};

/// The Network Activity of socket syscall `name`, or `None` when it is not
/// one or its address is unknown.
pub(super) fn map(
    ev: &AuditEvent<'_>,
    rec: &AuditRecord<'_>,
    name: &str,
    severity: Severity,
) -> Option<Box<Normalized>> {
    let (act, direction, peer_is_source) = match name {
        "connect" => (NetworkActivity::Open, Direction::Outbound, false),
        "accept" | "accept4" => (NetworkActivity::Open, Direction::Inbound, true),
        "bind" => (
            NetworkActivity::Other("Listen".into()),
            Direction::Inbound,
            false,
        ),
        "sendto" | "sendmsg" | "sendmmsg" => (NetworkActivity::Traffic, Direction::Outbound, false),
        "recvfrom" | "recvmsg" | "recvmmsg" => (NetworkActivity::Traffic, Direction::Inbound, true),
        _ => return None,
    };
    let sa = ev.record("SOCKADDR")?;
    let endpoint = sockaddr(sa).or_else(|| interpreted(sa))?;
    let family = if endpoint.name.is_some() {
        "unix"
    } else if endpoint.ip.as_deref().is_some_and(|a| a.contains(':')) {
        "inet6"
    } else {
        "inet"
    };
    let mut n = Normalized::new(Activity::Network(act), ev.time_ms, severity);
    // The other side is this host, known by the record's node when given.
    let local = EndpointInfo {
        hostname: ev.node.as_deref().map(str::to_owned),
        ..EndpointInfo::default()
    };
    if peer_is_source {
        n.src = Some(endpoint);
        n.dst = Some(local);
    } else {
        n.dst = Some(endpoint);
        n.src = Some(local);
    }
    n.connection = Some(ConnectionInfo {
        direction: Some(direction),
        ..ConnectionInfo::default()
    });
    n.actor_process = Some(process(rec));
    n.actor_user = uid_user(rec, "auid");
    n.put("socket_family", family);
    Some(n)
}

/// The enriched `SADDR={ fam=inet laddr=A lport=P }` / `{ fam=local
/// path=P }` fields of a `SOCKADDR` record without a decodable `saddr`.
fn interpreted(sa: &AuditRecord<'_>) -> Option<EndpointInfo> {
    let get = |k: &str| sa.interpreted(k).or_else(|| sa.get(k));
    if let Some(addr) = get("laddr").and_then(ip) {
        return Some(EndpointInfo {
            ip: Some(addr),
            port: get("lport").and_then(port),
            ..EndpointInfo::default()
        });
    }
    get("path").filter(|p| !p.is_empty()).map(|p| EndpointInfo {
        name: Some(p.to_owned()),
        ..EndpointInfo::default()
    })
}

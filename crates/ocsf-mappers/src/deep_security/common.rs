//! Helpers the protection modules share: the device, findings, endpoints,
//! connections and network actions.

use super::Module;
use super::record::Ds;
use crate::formats::syslog::SyslogRecord;
use crate::normalized::{
    Action, ConnectionInfo, DeviceInfo, Direction, Disposition, EndpointInfo, FindingData,
    TrafficInfo, UserInfo,
};
use crate::util::{endpoint, fnv_id, ip, is_hostname, number, port};

pub(super) fn protocol(name: &str) -> (String, Option<i32>) {
    let lower = name.to_ascii_lowercase();
    let num = match lower.as_str() {
        "icmp" => Some(1),
        "igmp" => Some(2),
        "tcp" => Some(6),
        "udp" => Some(17),
        "gre" => Some(47),
        "icmpv6" => Some(58),
        other => number(other),
    };
    (lower, num)
}

pub(super) fn tcp_flags(s: &str) -> Option<i32> {
    let mut mask = 0;
    for w in s.split_whitespace() {
        mask |= match w {
            "FIN" => 1,
            "SYN" => 2,
            "RST" => 4,
            "PSH" => 8,
            "ACK" => 16,
            "URG" => 32,
            "ECE" => 64,
            "CWR" => 128,
            _ => 0,
        };
    }
    (mask != 0).then_some(mask)
}

pub(super) fn device(ds: &Ds<'_>, syslog: Option<&SyslogRecord<'_>>) -> DeviceInfo {
    let mut d = DeviceInfo {
        uid: ds.labeled("Host ID").map(str::to_owned),
        ..DeviceInfo::default()
    };
    for key in ["dvchost", "dvc"] {
        if let Some(v) = ds.get(key) {
            match ip(v) {
                Some(addr) => d.ip = d.ip.take().or(Some(addr)),
                None if is_hostname(v) => d.hostname = d.hostname.take().or(Some(v.to_owned())),
                None => {}
            }
        }
    }
    if d.hostname.is_none() {
        d.hostname = syslog.and_then(|s| s.hostname).map(str::to_owned);
    }
    d
}

pub(super) fn finding(ds: &Ds<'_>, module: Module, title: &str) -> FindingData {
    FindingData {
        uid: fnv_id(&[ds.raw]),
        title: title.to_owned(),
        types: vec![module.as_str().to_owned()],
        ..FindingData::default()
    }
}

pub(super) fn endpoint_of(
    ds: &Ds<'_>,
    ip_key: &str,
    port_key: &str,
    mac_key: &str,
    host_key: &str,
) -> Option<EndpointInfo> {
    let p = ds.get(port_key).and_then(port);
    let mut e = ds
        .get(ip_key)
        .and_then(|h| endpoint(h, p))
        .or_else(|| ds.get(host_key).and_then(|h| endpoint(h, p)));
    if let Some(e) = e.as_mut() {
        if e.hostname.is_none() {
            e.hostname = ds
                .get(host_key)
                .filter(|h| is_hostname(h))
                .map(str::to_owned);
        }
        e.mac = ds.get(mac_key).map(str::to_owned);
    }
    e
}

pub(super) fn connection(ds: &Ds<'_>) -> (ConnectionInfo, TrafficInfo) {
    let (name, num) = ds.get("proto").map_or((None, None), |p| {
        let (n, num) = protocol(p);
        (Some(n), num)
    });
    let bytes_in = ds.get("in").and_then(number::<i64>);
    let bytes_out = ds.get("out").and_then(number::<i64>);
    let direction = match (bytes_in, bytes_out) {
        (Some(_), None) => Direction::Inbound,
        (None, Some(_)) => Direction::Outbound,
        _ => Direction::Unknown,
    };
    let conn = ConnectionInfo {
        protocol_name: name,
        protocol_num: num,
        direction: Some(direction),
        tcp_flags: ds.labeled("TCP Flags").and_then(tcp_flags),
        session: None,
    };
    let traffic = TrafficInfo {
        bytes: None,
        bytes_in,
        bytes_out,
        packets: None,
    };
    (conn, traffic)
}

/// `act` of the network modules: (disposition, action).
pub(super) fn network_action(act: &str) -> (Disposition, Option<Action>) {
    let a = act.to_ascii_lowercase();
    if a.starts_with("ids:") {
        return (Disposition::Detected, Some(Action::Allowed));
    }
    match a.as_str() {
        "reset" => (Disposition::Reset, Some(Action::Denied)),
        "deny" | "block" | "blocked" => (Disposition::Blocked, Some(Action::Denied)),
        "drop" | "dropped" => (Disposition::Dropped, Some(Action::Denied)),
        "log" | "log only" => (Disposition::Logged, Some(Action::Allowed)),
        "allow" | "force allow" | "bypass" | "pass" => {
            (Disposition::Allowed, Some(Action::Allowed))
        }
        _ => (Disposition::Other(act.to_owned().into()), None),
    }
}

pub(super) fn super_user(name: &str) -> UserInfo {
    crate::linux::user_info(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_flag_masks() {
        assert_eq!(tcp_flags("0x00 ACK PSH"), Some(24));
        assert_eq!(tcp_flags("0x00"), None);
    }
}

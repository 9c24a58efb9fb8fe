//! Kernel messages: netfilter packet logs written by iptables / ip6tables `LOG`,
//! nftables `log` and UFW (`[UFW BLOCK] IN=eth0 OUT= MAC=... SRC=... DST=...`),
//! and the fault lines of a process the kernel killed
//! (`prog[4242]: segfault at 0 ip 00007f... sp 00007ffd... error 4 in libc.so.6[7f...+195000]`,
//! `traps: prog[4242] general protection fault ip:... sp:... error:0 in prog[...]`).
//! Audit records in the kernel log (`audit: type=1400 audit(...): ...`) are
//! routed to the auditd mapping before this module sees them.

use serde_json::{Map, Value};

use super::{MessageContext, Miss, Recognized};
use crate::normalized::{
    Action, Activity, ConnectionInfo, Direction, Disposition, NetworkActivity, Outcome,
    ProcessActivity, ProcessInfo, RuleInfo, Severity, TrafficInfo,
};
use crate::util::{endpoint, number, port};

pub(super) fn handles(program: &str) -> bool {
    program == "kernel"
}

/// Strips a `[ 1234.567890] ` uptime stamp.
pub(super) fn strip_uptime(msg: &str) -> &str {
    if let Some(rest) = msg.strip_prefix('[')
        && let Some((stamp, tail)) = rest.split_once(']')
        && stamp
            .trim()
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.')
    {
        return tail.trim_start();
    }
    msg
}

fn protocol_number(name: &str) -> Option<i32> {
    Some(match name {
        "icmp" => 1,
        "igmp" => 2,
        "tcp" => 6,
        "udp" => 17,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "icmpv6" => 58,
        "sctp" => 132,
        "udplite" => 136,
        _ => return number(name),
    })
}

fn tcp_flag(word: &str) -> Option<i32> {
    Some(match word {
        "FIN" => 1,
        "SYN" => 2,
        "RST" => 4,
        "PSH" => 8,
        "ACK" => 16,
        "URG" => 32,
        "ECE" => 64,
        "CWR" => 128,
        _ => return None,
    })
}

pub(super) fn map(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    let msg = strip_uptime(msg.trim());
    if let Some(n) = fault(ctx, msg) {
        return n;
    }
    let Some(at) = msg.find("IN=") else {
        return Err(Miss::Unrecognized);
    };
    if !(at == 0 || msg[..at].ends_with(' ')) || !msg.contains(" SRC=") {
        return Err(Miss::Unrecognized);
    }
    let prefix = msg[..at].trim().trim_end_matches(':').trim();
    let mut fields: Vec<(&str, &str)> = Vec::new();
    let mut flags: Vec<&str> = Vec::new();
    for tok in msg[at..].split_whitespace() {
        match tok.split_once('=') {
            Some(kv) => fields.push(kv),
            None => flags.push(tok),
        }
    }
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| *v)
            .filter(|v| !v.is_empty())
    };
    let upper = prefix.to_ascii_uppercase();
    let (activity, action, disposition, severity) = if ["BLOCK", "DROP", "REJECT", "DENY", "DENIED"]
        .iter()
        .any(|w| upper.contains(w))
    {
        let disp = if upper.contains("DROP") {
            Disposition::Dropped
        } else {
            Disposition::Blocked
        };
        (
            NetworkActivity::Refuse,
            Some(Action::Denied),
            disp,
            Severity::Low,
        )
    } else if upper.contains("ALLOW") || upper.contains("ACCEPT") {
        (
            NetworkActivity::Traffic,
            Some(Action::Allowed),
            Disposition::Allowed,
            Severity::Informational,
        )
    } else {
        (
            NetworkActivity::Traffic,
            None,
            Disposition::Logged,
            Severity::Informational,
        )
    };
    let src_ip = get("SRC").ok_or_else(|| Miss::Malformed("no SRC".into()))?;
    let dst_ip = get("DST").ok_or_else(|| Miss::Malformed("no DST".into()))?;
    let spt = match get("SPT") {
        Some(p) => Some(port(p).ok_or_else(|| Miss::Malformed("bad SPT".into()))?),
        None => None,
    };
    let dpt = match get("DPT") {
        Some(p) => Some(port(p).ok_or_else(|| Miss::Malformed("bad DPT".into()))?),
        None => None,
    };
    let mut src = endpoint(src_ip, spt).ok_or_else(|| Miss::Malformed("bad SRC".into()))?;
    let mut dst = endpoint(dst_ip, dpt).ok_or_else(|| Miss::Malformed("bad DST".into()))?;
    let inif = get("IN");
    let outif = get("OUT");
    let direction = match (inif, outif) {
        (Some(_), None) => Direction::Inbound,
        (None, Some(_)) => Direction::Outbound,
        _ => Direction::Unknown,
    };
    if let Some(mac) = get("MAC") {
        // destination MAC, source MAC, EtherType
        let parts: Vec<&str> = mac.split(':').collect();
        if parts.len() >= 12 {
            dst.mac = Some(parts[..6].join(":"));
            src.mac = Some(parts[6..12].join(":"));
        }
    }
    match direction {
        Direction::Inbound => dst.interface_name = inif.map(str::to_owned),
        Direction::Outbound => src.interface_name = outif.map(str::to_owned),
        _ => {}
    }
    let proto = get("PROTO").map(str::to_ascii_lowercase);
    let tcp_flags = flags.iter().filter_map(|f| tcp_flag(f)).sum::<i32>();
    let mut n = ctx.event(Activity::Network(activity), severity);
    n.src = Some(src);
    n.dst = Some(dst);
    n.connection = Some(ConnectionInfo {
        protocol_num: proto.as_deref().and_then(protocol_number),
        protocol_name: proto,
        direction: Some(direction),
        tcp_flags: (tcp_flags != 0).then_some(tcp_flags),
        session: None,
    });
    n.traffic = get("LEN").and_then(number::<i64>).map(|len| TrafficInfo {
        bytes: Some(len),
        packets: Some(1),
        ..TrafficInfo::default()
    });
    n.action = action;
    n.disposition = Some(disposition);
    if !prefix.is_empty() {
        n.firewall_rule = Some(RuleInfo {
            uid: None,
            name: Some(prefix.trim_matches(['[', ']']).trim().to_owned()),
        });
    }
    let mut packet = Map::new();
    for (k, v) in &fields {
        if !matches!(*k, "SRC" | "DST" | "SPT" | "DPT" | "MAC" | "PROTO" | "LEN") {
            packet.insert(k.to_ascii_lowercase(), Value::from(*v));
        }
    }
    let other_flags: Vec<Value> = flags
        .iter()
        .filter(|f| tcp_flag(f).is_none())
        .map(|f| Value::from(*f))
        .collect();
    if !other_flags.is_empty() {
        packet.insert("flags".into(), Value::Array(other_flags));
    }
    if !packet.is_empty() {
        n.put_value("packet", Value::Object(packet));
    }
    Ok(n)
}

/// `NAME[PID]` as a process.
fn name_pid(s: &str) -> Option<ProcessInfo> {
    let (name, pid) = s.trim().strip_suffix(']')?.rsplit_once('[')?;
    let pid = number::<u32>(pid)?;
    (!name.is_empty()).then(|| ProcessInfo::named(name, Some(pid)))
}

/// A process the kernel killed for a fault: Process Activity Terminate,
/// failed, with the signal it got and the fault's registers and module.
/// `None` when the message is not a fault line.
fn fault(ctx: &MessageContext<'_>, msg: &str) -> Option<Recognized> {
    // `prog[4242]: segfault at ADDR ip IP sp SP error N in MODULE[BASE+SIZE]`
    // `traps: prog[4242] general protection fault ip:IP sp:SP error:N in MODULE[...]`
    // `traps: prog[4242] trap invalid opcode ip:IP sp:SP error:N in MODULE[...]`
    let (who, what, tail, signal) = if let Some((who, tail)) = msg.split_once(": segfault at ") {
        (who, "segfault", tail, "SIGSEGV")
    } else {
        let rest = msg.strip_prefix("traps: ")?;
        let (who, tail) = rest.split_once("] ")?;
        let who = &rest[..who.len() + 1];
        let (what, signal) = [
            ("general protection fault", "SIGSEGV"),
            ("trap invalid opcode", "SIGILL"),
            ("trap divide error", "SIGFPE"),
            ("trap int3", "SIGTRAP"),
            ("trap stack segment", "SIGBUS"),
        ]
        .into_iter()
        .find(|(w, _)| tail.starts_with(w))?;
        (who, what, tail[what.len()..].trim_start(), signal)
    };
    let Some(process) = name_pid(who) else {
        return Some(Err(Miss::Malformed("fault line without NAME[PID]".into())));
    };
    let mut fault = Map::new();
    let mut words = tail.split_whitespace().peekable();
    if what == "segfault"
        && let Some(addr) = words.next()
    {
        fault.insert("address".into(), Value::from(addr));
    }
    let mut module = None;
    while let Some(w) = words.next() {
        // `ip 7f..` (segfault) or `ip:7f..` (traps)
        let (k, v) = match w.split_once(':') {
            Some((k, v)) if !v.is_empty() => (k, Some(v)),
            _ => (w, None),
        };
        match k {
            "ip" | "sp" | "error" => {
                if let Some(v) = v.or_else(|| words.next()) {
                    fault.insert(k.into(), Value::from(v));
                }
            }
            "in" => module = words.next(),
            _ => {}
        }
    }
    if let Some(m) = module {
        let name = m.split('[').next().unwrap_or(m);
        fault.insert("module".into(), Value::from(name));
        if let Some(range) = m.split_once('[').map(|(_, r)| r.trim_end_matches(']')) {
            fault.insert("module_range".into(), Value::from(range));
        }
    }
    let mut n = ctx
        .event(Activity::Process(ProcessActivity::Terminate), Severity::Low)
        .with_outcome(Outcome::Failure)
        .with_detail(what);
    n.status_code = Some(signal.to_owned());
    n.process = Some(process);
    n.actor_process = Some(ProcessInfo::named("kernel", None));
    n.put_value("fault", Value::Object(fault));
    Some(Ok(n))
}

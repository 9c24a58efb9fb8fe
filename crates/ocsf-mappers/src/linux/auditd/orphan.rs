//! Audit events that hold only auxiliary records (their `SYSCALL` or other
//! primary record was lost, filtered out by rules, or arrived in another file).
//! Each still describes something, so it becomes the event it describes:
//!
//! | records present | event |
//! |---|---|
//! | `EXECVE` (with or without others) | Process Activity Launch, command line from the arguments |
//! | `BPRM_FCAPS` | Process Activity Launch of a program with file capabilities |
//! | `SOCKADDR` | Network Activity Open, `dst_endpoint` from the decoded address |
//! | `PATH` | File System Activity (Create / Delete from `nametype`, else Other "Access") |
//! | `PROCTITLE` | Process Activity Other "Audited Process" with the command line |
//! | `CWD` | File System Activity Other "Access" of the working directory |
//!
//! The first matching row wins; every record's fields are kept in
//! `unmapped.audit.orphan` and the event's `status_detail` says the primary
//! record was missing.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::{command_line, get, path_file};
use crate::formats::auditd::{AuditEvent, AuditRecord, ValueEncoding};
use crate::normalized::{
    Activity, EndpointInfo, FileActivity, FileInfo, FileType, NetworkActivity, Normalized,
    ProcessActivity, ProcessInfo, Severity,
};
use crate::util::basename;

/// Maps an event without a primary record, or `None` when it has none of the
/// records above (e.g. a lone `EOE`).
pub(super) fn map(ev: &AuditEvent<'_>) -> Option<Box<Normalized>> {
    let cwd = ev.record("CWD").and_then(|r| get(r, "cwd"));
    let proctitle = ev.record("PROCTITLE").and_then(|r| get(r, "proctitle"));
    let mut n = if let Some(execve) = ev.record("EXECVE") {
        let mut n = new(ev, Activity::Process(ProcessActivity::Launch));
        let cmd = command_line(execve).or_else(|| proctitle.map(str::to_owned));
        n.process = Some(process_from_cmd(cmd));
        n
    } else if ev.record("BPRM_FCAPS").is_some() {
        let mut n = new(ev, Activity::Process(ProcessActivity::Launch));
        n.process = Some(process_from_cmd(proctitle.map(str::to_owned)));
        n
    } else if let Some(sa) = ev.record("SOCKADDR") {
        let mut n = new(ev, Activity::Network(NetworkActivity::Open));
        n.dst = sockaddr(sa);
        if let Some(p) = proctitle {
            n.actor_process = Some(process_from_cmd(Some(p.to_owned())));
        }
        n
    } else if ev.record("PATH").is_some() {
        let paths: Vec<&AuditRecord<'_>> = ev
            .records
            .iter()
            .filter(|r| r.record_type == "PATH")
            .collect();
        let target = paths
            .iter()
            .find(|r| get(r, "nametype") != Some("PARENT"))
            .or_else(|| paths.first())?;
        let act = match get(target, "nametype") {
            Some("CREATE") => FileActivity::Create,
            Some("DELETE") => FileActivity::Delete,
            _ => FileActivity::Other("Access".into()),
        };
        let mut n = new(ev, Activity::FileSystem(act));
        n.file = Some(
            path_file(target, cwd)
                .unwrap_or_else(|| FileInfo::at(crate::util::UNKNOWN, FileType::Unknown)),
        );
        if let Some(p) = proctitle {
            n.actor_process = Some(process_from_cmd(Some(p.to_owned())));
        }
        n
    } else if let Some(p) = proctitle {
        let mut n = new(
            ev,
            Activity::Process(ProcessActivity::Other("Audited Process".into())),
        );
        n.process = Some(process_from_cmd(Some(p.to_owned())));
        n
    } else {
        let dir = cwd?;
        let mut n = new(
            ev,
            Activity::FileSystem(FileActivity::Other("Access".into())),
        );
        n.file = Some(FileInfo::at(dir, FileType::Folder));
        n
    };
    if let Some(c) = cwd {
        n.put("cwd", c);
    }
    let mut kept = Map::new();
    for r in &ev.records {
        if r.is_eoe() {
            continue;
        }
        kept.insert(r.record_type.to_string(), Value::Object(fields(r)));
    }
    n.put_value("audit_orphan", Value::Object(kept));
    // The record the event was built from, as for events with a primary one.
    n.source.event_code = ev
        .records
        .iter()
        .find(|r| !r.is_eoe())
        .map(|r| r.record_type.to_string());
    Some(n)
}

fn new(ev: &AuditEvent<'_>, activity: Activity) -> Box<Normalized> {
    let mut n = Normalized::new(activity, ev.time_ms, Severity::Informational);
    n.status_detail = Some("primary audit record missing".into());
    n
}

/// A process known only by its command line.
fn process_from_cmd(cmd: Option<String>) -> ProcessInfo {
    let exe = cmd
        .as_deref()
        .and_then(|c| c.split(' ').next())
        .filter(|e| !e.is_empty());
    ProcessInfo {
        name: Some(exe.map_or(crate::util::UNKNOWN, basename).to_owned()),
        path: exe.filter(|e| e.starts_with('/')).map(str::to_owned),
        cmd_line: cmd,
        ..ProcessInfo::default()
    }
}

/// A record's fields as a JSON object: decimal integers as numbers, every
/// other value as its (decoded) text; interpreted values under `interpreted`.
pub(super) fn fields(r: &AuditRecord<'_>) -> Map<String, Value> {
    let mut m = Map::new();
    for f in r.fields.iter().chain(&r.msg_fields) {
        // The `msg='...'` text itself is kept field by field.
        if f.key == "msg" && !r.msg_fields.is_empty() {
            continue;
        }
        m.insert(f.key.to_string(), typed(&f.value, f.encoding));
    }
    if !r.interpreted.is_empty() {
        let i: Map<String, Value> = r
            .interpreted
            .iter()
            .map(|f| (f.key.to_string(), Value::from(f.value.as_ref())))
            .collect();
        m.insert("interpreted".into(), Value::Object(i));
    }
    if !r.words.is_empty() {
        m.insert(
            "words".into(),
            Value::Array(r.words.iter().map(|w| Value::from(w.as_ref())).collect()),
        );
    }
    m
}

/// Keeps every field of a record that has no mapping (an unknown or future
/// type such as `UNKNOWN[1329]`) in `unmapped.audit_record`, with the numeric
/// type when the name carries one.
pub(super) fn keep_unmapped(n: &mut Normalized, rec: &AuditRecord<'_>) {
    let mut m = fields(rec);
    let t = rec.record_type.as_ref();
    let number = t
        .strip_prefix("UNKNOWN[")
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(t)
        .parse::<u32>()
        .ok();
    m.insert("type".into(), Value::from(t));
    if let Some(num) = number {
        m.insert("type_number".into(), Value::from(num));
    }
    n.put_value("audit_record", Value::Object(m));
}

fn typed(v: &str, enc: ValueEncoding) -> Value {
    let plain_int = enc == ValueEncoding::Unquoted
        && !v.is_empty()
        && v.len() <= 18
        && v.bytes().all(|b| b.is_ascii_digit())
        && (v == "0" || !v.starts_with('0'));
    match (plain_int, v.parse::<i64>()) {
        (true, Ok(i)) => Value::from(i),
        _ => Value::from(v),
    }
}

/// Decodes a `SOCKADDR` record's `saddr` (a hex `struct sockaddr`): IPv4 and
/// IPv6 give address and port, `AF_UNIX` the socket path as the endpoint name.
pub(super) fn sockaddr(rec: &AuditRecord<'_>) -> Option<EndpointInfo> {
    let f = rec.field("saddr")?;
    let hex: Cow<'_, str> = if f.encoding == ValueEncoding::Hex {
        Cow::Borrowed(f.raw.as_ref())
    } else {
        Cow::Borrowed(f.value.as_ref())
    };
    let b = unhex(&hex)?;
    let family = u16::from_le_bytes([*b.first()?, *b.get(1)?]);
    let port = |b: &[u8]| Some(u16::from_be_bytes([*b.get(2)?, *b.get(3)?]));
    match family {
        2 => {
            let ip = b.get(4..8)?;
            Some(EndpointInfo {
                ip: Some(format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])),
                port: port(&b),
                ..EndpointInfo::default()
            })
        }
        10 => {
            let a: [u8; 16] = b.get(8..24)?.try_into().ok()?;
            Some(EndpointInfo {
                ip: Some(std::net::Ipv6Addr::from(a).to_string()),
                port: port(&b),
                ..EndpointInfo::default()
            })
        }
        1 => {
            let path = b.get(2..)?;
            // Abstract sockets start with a NUL; show it as '@' like ss(8).
            let (prefix, path) = match path.split_first() {
                Some((0, rest)) => ("@", rest),
                _ => ("", path),
            };
            let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
            let name = format!("{prefix}{}", String::from_utf8_lossy(&path[..end]));
            (name.len() > prefix.len()).then(|| EndpointInfo {
                name: Some(name),
                ..EndpointInfo::default()
            })
        }
        _ => None,
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    hex::decode(s).ok().filter(|b| !b.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::auditd::parse;

    #[test]
    fn sockaddr_families() {
        let r = parse("type=SOCKADDR msg=audit(1.0:1): saddr=02000050C0000201000000000000000000")
            .expect("parses");
        let e = sockaddr(&r).expect("inet");
        assert_eq!((e.ip.as_deref(), e.port), (Some("192.0.2.1"), Some(80)));
        let r = parse("type=SOCKADDR msg=audit(1.0:1): saddr=0A0001BB0000000020010DB8000000000000000000000001")
            .expect("parses");
        let e = sockaddr(&r).expect("inet6");
        assert_eq!((e.ip.as_deref(), e.port), (Some("2001:db8::1"), Some(443)));
        let r = parse("type=SOCKADDR msg=audit(1.0:1): saddr=01002F72756E2F646275732F00")
            .expect("parses");
        assert_eq!(
            sockaddr(&r).and_then(|e| e.name).as_deref(),
            Some("/run/dbus/")
        );
        let r = parse("type=SOCKADDR msg=audit(1.0:1): saddr=0100006162").expect("parses");
        assert_eq!(sockaddr(&r).and_then(|e| e.name).as_deref(), Some("@ab"));
        for bad in ["0200", "02000050C000", "ZZ", "1000AABB", "010000"] {
            let line = format!("type=SOCKADDR msg=audit(1.0:1): saddr={bad}");
            let r = parse(&line).expect("parses");
            assert_eq!(sockaddr(&r), None, "{bad}");
        }
    }

    #[test]
    fn typed_values() {
        assert_eq!(typed("42", ValueEncoding::Unquoted), Value::from(42));
        assert_eq!(typed("042", ValueEncoding::Unquoted), Value::from("042"));
        assert_eq!(typed("42", ValueEncoding::Quoted), Value::from("42"));
        assert_eq!(typed("-1", ValueEncoding::Unquoted), Value::from("-1"));
        assert_eq!(
            typed("99999999999999999999", ValueEncoding::Unquoted),
            Value::from("99999999999999999999")
        );
    }
}

//! Audit records as systemd-journald forwards them to syslog (rsyslog or
//! syslog-ng reading the journal, `journalctl -o short`): `audit[PID]: TYPE
//! fields...`, the record type a bare word, no `type=` and no `audit(...)`
//! stamp (the time is in the syslog header, the serial only in the journal).

mod common;

use common::{LINUX_REF_MS, check, map, map1};
use ocsf_mappers::stats::FallbackReason;
use ocsf_mappers::{LinuxMapper, MessageContext, SourceConfig};
use serde_json::Value;

const USER_AUTH: &str = "Jun 10 12:00:01 web1 audit[2345]: USER_AUTH pid=2345 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='op=PAM:authentication grantors=? acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=203.0.113.9 addr=203.0.113.9 terminal=ssh res=failed'";
const AVC: &str = "Jun 10 12:00:02 web1 audit[812]: AVC apparmor=\"DENIED\" operation=\"open\" profile=\"/usr/sbin/cupsd\" name=\"/etc/shadow\" pid=812 comm=\"cupsd\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0";
const BPF: &str = "Jun 10 12:00:03 web1 audit: BPF prog-id=42 op=LOAD";
const SERVICE_START: &str = "Jun 10 12:00:04 web1 audit[1]: SERVICE_START pid=1 uid=0 auid=4294967295 ses=4294967295 msg='unit=systemd-tmpfiles-clean comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" hostname=? addr=? terminal=? res=success'";

/// 2024-06-10T12:00:00Z.
const NOON_MS: i64 = LINUX_REF_MS + 12 * 3_600_000;

fn mapper() -> LinuxMapper {
    LinuxMapper::new(SourceConfig::linux().with_reference_ms(LINUX_REF_MS))
}

#[test]
fn journald_user_auth_failure_is_a_failed_authentication() {
    let e = map1(USER_AUTH);
    assert_eq!(e["class_uid"], 3002, "{e}");
    assert_eq!(e["status_id"], 2, "{e}");
    assert_eq!(e["metadata"]["event_code"], "USER_AUTH", "{e}");
    assert_eq!(e["user"]["name"], "root", "{e}");
    assert_eq!(e["src_endpoint"]["ip"], "203.0.113.9", "{e}");
    assert_eq!(e["device"]["hostname"], "web1", "{e}");
    assert_eq!(e["time"], NOON_MS + 1_000, "{e}");
    // No serial: the record names no `audit(...)` stamp it does not have.
    assert!(e["metadata"].get("uid").is_none(), "{e}");
}

#[test]
fn journald_avc_bpf_and_service_records_map_as_audit_records() {
    let e = map1(AVC);
    assert_eq!(e["class_uid"], 1001, "{e}");
    assert_eq!(e["status_id"], 2, "{e}");
    assert_eq!(e["disposition_id"], 2, "{e}");
    assert_eq!(e["file"]["path"], "/etc/shadow", "{e}");
    assert_eq!(e["metadata"]["event_code"], "AVC", "{e}");
    assert_eq!(e["time"], NOON_MS + 2_000, "{e}");

    let e = map1(BPF);
    assert_eq!(e["metadata"]["event_code"], "BPF", "{e}");
    assert_eq!(e["device"]["hostname"], "web1", "{e}");
    assert_eq!(e["time"], NOON_MS + 3_000, "{e}");

    let e = map1(SERVICE_START);
    assert_eq!(e["class_uid"], 6002, "{e}");
    assert_eq!(e["activity_id"], 3, "{e}");
    assert_eq!(e["status_id"], 1, "{e}");
    assert_eq!(e["metadata"]["event_code"], "SERVICE_START", "{e}");
}

/// journald prints a type its table lacks as `AUDIT` and the number
/// (`AUDIT1334`); the mapping names the number when it knows it.
#[test]
fn journald_numbered_audit_type_is_named() {
    let e = map1("Jun 10 12:00:03 web1 audit: AUDIT1334 prog-id=42 op=LOAD");
    assert_eq!(e["metadata"]["event_code"], "BPF", "{e}");
    assert_eq!(e["class_uid"], map1(BPF)["class_uid"], "{e}");
}

/// The RFC 5424 / ISO-timestamp header (rsyslog's `RSYSLOG_FileFormat`):
/// the time is the header's, to the millisecond.
#[test]
fn journald_audit_record_with_iso_header() {
    let e = map1(&USER_AUTH.replace("Jun 10 12:00:01", "2024-06-10T12:00:01.123456+00:00"));
    assert_eq!(e["class_uid"], 3002, "{e}");
    assert_eq!(e["status_id"], 2, "{e}");
    assert_eq!(e["time"], NOON_MS + 1_123, "{e}");
    let e = map1(&USER_AUTH.replace("Jun 10 12:00:01", "2024-06-10T14:00:01.5+02:00"));
    assert_eq!(e["time"], NOON_MS + 1_500, "{e}");
}

/// A raw record and its journald form (same host, same second) are the same
/// event.
#[test]
fn journald_audit_record_equals_its_raw_record() {
    let pairs = [
        (
            "node=web1 type=USER_AUTH msg=audit(1718020801.000:77): pid=2345 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='op=PAM:authentication grantors=? acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=203.0.113.9 addr=203.0.113.9 terminal=ssh res=failed'",
            USER_AUTH,
        ),
        (
            "node=web1 type=AVC msg=audit(1718020802.000:78): apparmor=\"DENIED\" operation=\"open\" profile=\"/usr/sbin/cupsd\" name=\"/etc/shadow\" pid=812 comm=\"cupsd\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0",
            AVC,
        ),
        (
            "node=web1 type=BPF msg=audit(1718020803.000:79): prog-id=42 op=LOAD",
            BPF,
        ),
        (
            "node=web1 type=SERVICE_START msg=audit(1718020804.000:80): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='unit=systemd-tmpfiles-clean comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" hostname=? addr=? terminal=? res=success'",
            SERVICE_START,
        ),
    ];
    for (raw, journald) in pairs {
        let (r, j) = (map1(raw), map1(journald));
        for key in [
            "class_uid",
            "activity_id",
            "type_uid",
            "status_id",
            "disposition_id",
            "severity_id",
            "time",
            "device",
            "user",
            "actor",
            "src_endpoint",
            "file",
            "app",
            "process",
        ] {
            assert_eq!(r.get(key), j.get(key), "{key}\n{raw}\n{r}\n{journald}\n{j}");
        }
        assert_eq!(
            r["metadata"]["event_code"], j["metadata"]["event_code"],
            "{raw}"
        );
        assert_eq!(
            r["unmapped"]["audit"]["record_types"], j["unmapped"]["audit"]["record_types"],
            "{raw}"
        );
    }
}

/// Without a serial nothing joins two records: each is its own event, emitted
/// with its line (nothing is left for `finish`), even two of the same second.
#[test]
fn journald_audit_records_of_one_second_stay_apart() {
    let mut m = mapper();
    let other = USER_AUTH
        .replace("[2345]", "[2346]")
        .replace("pid=2345", "pid=2346")
        .replace("res=failed", "res=success");
    let first: Vec<Value> = m.map_line(USER_AUTH).iter().map(check).collect();
    let second: Vec<Value> = m.map_line(&other).iter().map(check).collect();
    let syscall = m.map_line(
        "Jun 10 12:00:01 web1 audit[2345]: SYSCALL arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=2345 auid=1000 uid=0 comm=\"id\" exe=\"/usr/bin/id\"",
    );
    let proctitle = m.map_line("Jun 10 12:00:01 web1 audit: PROCTITLE proctitle=6964002D75");
    assert_eq!((first.len(), second.len()), (1, 1));
    assert_eq!((syscall.len(), proctitle.len()), (1, 1));
    assert_eq!(first[0]["status_id"], 2, "{}", first[0]);
    assert_eq!(second[0]["status_id"], 1, "{}", second[0]);
    assert_eq!(first[0]["actor"]["process"]["pid"], 2345, "{}", first[0]);
    assert_eq!(second[0]["actor"]["process"]["pid"], 2346, "{}", second[0]);
    assert!(m.finish().is_empty());
    // Raw records around them are grouped as before.
    let v = map(&[
        "type=SYSCALL msg=audit(1718020801.000:90): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=4242 auid=1000 uid=0 comm=\"id\" exe=\"/usr/bin/id\"",
        USER_AUTH,
        "type=EXECVE msg=audit(1718020801.000:90): argc=2 a0=\"id\" a1=\"-u\"",
        "type=EOE msg=audit(1718020801.000:90): ",
    ]);
    assert_eq!(v.len(), 2, "{v:#?}");
    assert_eq!(v[0]["class_uid"], 3002, "{}", v[0]);
    assert_eq!(v[1]["process"]["cmd_line"], "id -u", "{}", v[1]);
}

/// A message of `audit` that is not a record keeps its fallback, counted.
#[test]
fn journald_audit_non_records_stay_counted_fallbacks() {
    let lines = [
        "Jun 10 12:00:05 web1 audit[5]: hello world",
        "Jun 10 12:00:06 web1 audit[5]: USER_AUTH",
        "Jun 10 12:00:07 web1 audit[5]: USER_AUTH no fields here",
        "Jun 10 12:00:08 web1 audit[5]: USER_AUTH pid=5 msg='op=PAM:authentication res=failed",
        "Jun 10 12:00:09 web1 audit[5]: user_auth pid=5 res=failed",
        "Jun 10 12:00:10 web1 audit[5]: USER-AUTH pid=5 res=failed",
    ];
    let mut m = mapper();
    for line in lines {
        let v: Vec<Value> = m.map_line(line).iter().map(check).collect();
        assert_eq!(v.len(), 1, "{line}: {v:#?}");
        assert_eq!(v[0]["class_uid"], 0, "{line}: {}", v[0]);
        assert_eq!(
            v[0]["unmapped"]["fallback"]["reason"], "unknown_program",
            "{line}: {}",
            v[0]
        );
        assert_eq!(v[0]["raw_data"], line, "{}", v[0]);
    }
    // A record among them is mapped, and only it.
    assert_eq!(m.map_line(USER_AUTH).len(), 1);
    assert!(m.finish().is_empty());
    let stats = m.stats();
    assert_eq!(
        stats.fallback.get(&FallbackReason::UnknownProgram),
        Some(&(lines.len() as u64))
    );
    assert_eq!(stats.fallback.len(), 1, "{stats:?}");
    assert_eq!(stats.mapped.get(&3002), Some(&1), "{stats:?}");
    assert_eq!(stats.mapped.len(), 1, "{stats:?}");
}

/// The same message in a journald JSON entry that lacks the audit transport's
/// serial (`_AUDIT_ID`): mapped alike, at the entry's time.
#[test]
fn journald_json_audit_message_without_serial_maps_as_a_record() {
    let message = USER_AUTH
        .split_once("audit[2345]: ")
        .map(|(_, m)| m)
        .unwrap_or_default();
    let entry = serde_json::json!({
        "__REALTIME_TIMESTAMP": "1718020801250000",
        "_HOSTNAME": "web1",
        "SYSLOG_IDENTIFIER": "audit",
        "_PID": "2345",
        "MESSAGE": message,
    });
    let e = map1(&entry.to_string());
    assert_eq!(e["class_uid"], 3002, "{e}");
    assert_eq!(e["status_id"], 2, "{e}");
    assert_eq!(e["device"]["hostname"], "web1", "{e}");
    assert_eq!(e["time"], NOON_MS + 1_250, "{e}");
}

/// The message after `audit[2345]: ` in [`USER_AUTH`].
fn user_auth_message() -> &'static str {
    USER_AUTH
        .split_once("audit[2345]: ")
        .map(|(_, m)| m)
        .unwrap_or_default()
}

/// `map_message` routes audit records as a syslog line's message is routed:
/// journald's form is one event at the context's time.
#[test]
fn map_message_maps_a_journald_audit_record() {
    let mut m = mapper();
    let ctx = MessageContext::new("audit", NOON_MS + 1_000)
        .with_hostname("web1")
        .with_pid(2345);
    let v: Vec<Value> = m
        .map_message(&ctx, user_auth_message())
        .iter()
        .map(check)
        .collect();
    assert_eq!(v.len(), 1, "{v:#?}");
    let (e, line) = (&v[0], map1(USER_AUTH));
    for key in [
        "class_uid",
        "activity_id",
        "type_uid",
        "status_id",
        "severity_id",
        "time",
        "device",
        "user",
        "actor",
        "src_endpoint",
        "process",
    ] {
        assert_eq!(e.get(key), line.get(key), "{key}\n{e}\n{line}");
    }
    assert_eq!(e["metadata"]["event_code"], "USER_AUTH", "{e}");
    assert!(m.finish().is_empty());
    assert_eq!(m.stats().mapped.get(&3002), Some(&1));
}

/// The kernel's form keeps its stamp and serial: as through `map_line`, the
/// record waits for the rest of its event and `finish` gives it.
#[test]
fn map_message_groups_a_kernel_audit_record_like_map_line() {
    let message = "audit: type=1400 audit(1718020801.123:456): apparmor=\"DENIED\" operation=\"open\" profile=\"/usr/sbin/cupsd\" name=\"/etc/shadow\" pid=1234 comm=\"cupsd\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0";
    let mut m = mapper();
    let ctx = MessageContext::new("kernel", NOON_MS + 1_000).with_hostname("web1");
    assert!(m.map_message(&ctx, message).is_empty());
    let v: Vec<Value> = m.finish().iter().map(check).collect();
    assert_eq!(v.len(), 1, "{v:#?}");
    let mut by_line = mapper();
    let line = format!("Jun 10 12:00:01 web1 kernel: [ 1234.567890] {message}");
    assert!(by_line.map_line(&line).is_empty());
    let w: Vec<Value> = by_line.finish().iter().map(check).collect();
    assert_eq!(v, w);
    assert_eq!(v[0]["metadata"]["event_code"], "AVC", "{}", v[0]);
    assert_eq!(v[0]["metadata"]["uid"], "1718020801.123:456", "{}", v[0]);
    assert_eq!(v[0]["device"]["hostname"], "web1", "{}", v[0]);
}

/// Messages that are not audit records keep their mapping and fallbacks, and
/// a stamped record that does not parse is the same `audit_record` fallback
/// as through `map_line`.
#[test]
fn map_message_non_records_are_unchanged() {
    let mut m = mapper();
    for (program, message, reason) in [
        ("audit", "hello world", "unknown_program"),
        ("audit", "USER_AUTH", "unknown_program"),
        ("audit", "user_auth pid=5 res=failed", "unknown_program"),
        ("kernel", "audit: type=1400 audit(garbage", "audit_record"),
    ] {
        let ctx = MessageContext::new(program, NOON_MS);
        let v: Vec<Value> = m.map_message(&ctx, message).iter().map(check).collect();
        assert_eq!(v.len(), 1, "{message}: {v:#?}");
        assert_eq!(v[0]["class_uid"], 0, "{}", v[0]);
        assert_eq!(v[0]["unmapped"]["fallback"]["reason"], reason, "{}", v[0]);
        let line = map1(&format!("Jun 10 12:00:00 web1 {program}[5]: {message}"));
        assert_eq!(line["unmapped"]["fallback"]["reason"], reason, "{line}");
    }
    // A kernel message that is not an audit record goes to the kernel mapper.
    let ctx = MessageContext::new("kernel", NOON_MS);
    let v = m.map_message(
        &ctx,
        "[ 2345.678901] nginx[4242]: segfault at 0 ip 00007f3a1c2b3d4e sp 00007ffd5e6f7a80 error 4 in libc.so.6[7f3a1c200000+195000]",
    );
    assert_eq!(check(&v[0])["class_uid"], 1007);
    assert!(m.finish().is_empty());
}

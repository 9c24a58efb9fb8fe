//! Audit events whose primary record is missing still produce the event their
//! auxiliary records describe; unknown record types keep every field.

mod common;

use common::check;
use ocsf_mappers::{LinuxMapper, SourceConfig};
use serde_json::Value;

/// 2024-06-10T00:00:00Z.
const REF_MS: i64 = 1_717_977_600_000;

fn map_all(lines: &[&str]) -> Vec<Value> {
    let mut m = LinuxMapper::new(SourceConfig::linux().with_reference_ms(REF_MS));
    let mut out = Vec::new();
    for l in lines {
        out.extend(m.map_line(l));
    }
    out.extend(m.finish());
    out.iter().map(check).collect()
}

fn map1(lines: &[&str]) -> Value {
    let v = map_all(lines);
    assert_eq!(v.len(), 1, "{lines:?}: {v:?}");
    v.into_iter().next().unwrap_or_default()
}

#[test]
fn orphan_execve_is_a_process_launch_with_its_command_line() {
    let v = map1(&[
        r#"type=EXECVE msg=audit(1717927500.100:601): argc=3 a0="/usr/bin/curl" a1="-s" a2=68747470733A2F2F6578616D706C652E636F6D2F"#,
        "type=EOE msg=audit(1717927500.100:601): ",
    ]);
    assert_eq!(
        (v["class_uid"].clone(), v["activity_id"].clone()),
        (1007.into(), 1.into())
    );
    assert_eq!(
        v["process"]["cmd_line"],
        "/usr/bin/curl -s https://example.com/"
    );
    assert_eq!(v["process"]["name"], "curl");
    assert_eq!(v["process"]["file"]["path"], "/usr/bin/curl");
    assert_eq!(v["time"], 1_717_927_500_100_i64);
    assert_eq!(v["status_detail"], "primary audit record missing");
    assert_eq!(v["unmapped"]["audit_orphan"]["EXECVE"]["argc"], 3);
    assert_eq!(v["metadata"]["event_code"], "EXECVE");
}

#[test]
fn orphan_proctitle_names_the_process() {
    let v = map1(&[
        "type=PROCTITLE msg=audit(1717927500.100:602): proctitle=2F62696E2F7368002D63006964",
    ]);
    assert_eq!(
        (v["class_uid"].clone(), v["activity_id"].clone()),
        (1007.into(), 99.into())
    );
    assert_eq!(v["process"]["cmd_line"], "/bin/sh -c id");
    assert_eq!(v["process"]["name"], "sh");
}

#[test]
fn orphan_sockaddr_is_network_activity_to_the_endpoint() {
    let v = map1(&[
        "type=SOCKADDR msg=audit(1717927500.100:603): saddr=020001BBC6336407000000000000000000",
        "type=PROCTITLE msg=audit(1717927500.100:603): proctitle=6E63",
        "type=EOE msg=audit(1717927500.100:603): ",
    ]);
    assert_eq!(
        (v["class_uid"].clone(), v["activity_id"].clone()),
        (4001.into(), 1.into())
    );
    assert_eq!(v["dst_endpoint"]["ip"], "198.51.100.7");
    assert_eq!(v["dst_endpoint"]["port"], 443);
}

#[test]
fn orphan_path_is_file_system_activity_with_the_file() {
    let v = map1(&[
        r#"type=CWD msg=audit(1717927500.100:604): cwd="/etc""#,
        r#"type=PATH msg=audit(1717927500.100:604): item=0 name="/etc/" inode=2 dev=08:01 mode=040755 ouid=0 ogid=0 rdev=00:00 nametype=PARENT"#,
        r#"type=PATH msg=audit(1717927500.100:604): item=1 name="shadow-" inode=77 dev=08:01 mode=0100640 ouid=0 ogid=42 rdev=00:00 nametype=DELETE"#,
    ]);
    assert_eq!(
        (v["class_uid"].clone(), v["activity_id"].clone()),
        (1001.into(), 4.into())
    );
    assert_eq!(v["file"]["path"], "/etc/shadow-");
    assert_eq!(v["unmapped"]["cwd"], "/etc");
    // Without a nametype that names the change: activity Other, "Access".
    let v = map1(&[
        r#"type=PATH msg=audit(1717927500.100:605): item=0 name="/etc/passwd" inode=5 dev=08:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL"#,
    ]);
    assert_eq!(
        (v["class_uid"].clone(), v["activity_id"].clone()),
        (1001.into(), 99.into())
    );
    assert_eq!(v["activity_name"], "Access");
    assert_eq!(v["file"]["path"], "/etc/passwd");
}

#[test]
fn orphan_cwd_and_bprm_fcaps() {
    let v = map1(&[r#"type=CWD msg=audit(1717927500.100:606): cwd="/srv/app""#]);
    assert_eq!(v["class_uid"], 1001);
    assert_eq!(v["file"]["path"], "/srv/app");
    let v = map1(&[
        "type=BPRM_FCAPS msg=audit(1717927500.100:607): fver=2 fp=0000000000003000 fi=0000000000000000 fe=1 old_pp=0000000000000000 old_pi=0000000000000000 old_pe=0000000000000000 old_pa=0000000000000000 pp=0000000000003000 pi=0000000000000000 pe=0000000000003000 pa=0000000000000000 frootid=0",
        "type=PROCTITLE msg=audit(1717927500.100:607): proctitle=2F7573722F62696E2F70696E67",
    ]);
    assert_eq!(
        (v["class_uid"].clone(), v["activity_id"].clone()),
        (1007.into(), 1.into())
    );
    assert_eq!(v["process"]["cmd_line"], "/usr/bin/ping");
    assert_eq!(
        v["unmapped"]["audit_orphan"]["BPRM_FCAPS"]["pe"],
        "0000000000003000"
    );
}

#[test]
fn lone_eoe_is_still_an_incomplete_event_fallback() {
    let v = map1(&["type=EOE msg=audit(1717927500.100:608): "]);
    assert_eq!(v["class_uid"], 0);
    assert_eq!(
        v["unmapped"]["fallback"]["reason"],
        "incomplete_audit_event"
    );
}

#[test]
fn unknown_types_keep_every_field_and_the_number() {
    let v = map1(&[
        r#"type=UNKNOWN[1399] msg=audit(1717927500.100:609): pid=42 uid=0 op="future-op" res=1 data=414243"#,
    ]);
    assert_eq!(v["class_uid"], 0);
    let r = &v["unmapped"]["audit_record"];
    assert_eq!(r["type"], "UNKNOWN[1399]");
    assert_eq!(r["type_number"], 1399);
    assert_eq!(r["pid"], 42);
    assert_eq!(r["uid"], 0);
    assert_eq!(r["op"], "future-op");
    assert_eq!(r["res"], 1);
    assert!(r["data"].is_string(), "{r}");
    assert!(
        v["raw_data"]
            .as_str()
            .is_some_and(|s| s.contains("UNKNOWN[1399]"))
    );
    // A bare numeric type is kept the same way.
    let v = map1(&["type=2999 msg=audit(1717927500.100:610): a=b"]);
    assert_eq!(v["unmapped"]["audit_record"]["type_number"], 2999);
    assert_eq!(v["unmapped"]["audit_record"]["a"], "b");
}

/// An older audit userspace prints a type its table lacks as `UNKNOWN[n]`
/// (auditd 2.8 on a kernel that logs BPF program loads); journald prints
/// one its table lacks as `AUDITnnnn`. When the number is a type this crate
/// knows, the record maps as that type; the spelling stays in `raw_data`.
#[test]
fn numbered_spellings_of_known_types_map_as_the_type() {
    let v = map1(&[
        "type=UNKNOWN[1334] msg=audit(1717927500.100:612): prog-id=56 op=LOAD",
        "type=EOE msg=audit(1717927500.100:612): ",
    ]);
    assert_eq!(
        (v["class_uid"].clone(), v["activity_id"].clone()),
        (1005.into(), 1.into()),
        "{v}"
    );
    assert_eq!(v["metadata"]["event_code"], "BPF", "{v}");
    assert_eq!(
        v["unmapped"]["audit"]["record_types"],
        serde_json::json!(["BPF", "EOE"]),
        "{v}"
    );
    assert!(
        v["raw_data"]
            .as_str()
            .is_some_and(|s| s.contains("UNKNOWN[1334]")),
        "{v}"
    );
    let v = map1(&[concat!(
        r#"{"__REALTIME_TIMESTAMP":"1717927500200000","_HOSTNAME":"web2","_TRANSPORT":"audit","#,
        r#""_AUDIT_ID":"613","_AUDIT_TYPE":"1334","_AUDIT_TYPE_NAME":"AUDIT1334","#,
        r#""MESSAGE":"AUDIT1334 prog-id=57 op=UNLOAD"}"#
    )]);
    assert_eq!(
        (v["class_uid"].clone(), v["activity_id"].clone()),
        (1005.into(), 2.into()),
        "{v}"
    );
    assert_eq!(v["metadata"]["event_code"], "BPF", "{v}");
    assert_eq!(v["metadata"]["uid"], "1717927500.200:613", "{v}");
    // A number this crate does not know stays a number, kept with its fields.
    let v = map1(&[concat!(
        r#"{"__REALTIME_TIMESTAMP":"1717927500300000","_TRANSPORT":"audit","_AUDIT_ID":"614","#,
        r#""_AUDIT_TYPE":"1399","_AUDIT_TYPE_NAME":"AUDIT1399","MESSAGE":"AUDIT1399 a=b"}"#
    )]);
    assert_eq!(v["class_uid"], 0, "{v}");
    assert_eq!(v["unmapped"]["audit_record"]["type_number"], 1399, "{v}");
    assert_eq!(v["unmapped"]["audit_record"]["a"], "b", "{v}");
}

#[test]
fn companions_the_syscall_mapping_does_not_read_keep_their_fields() {
    let v = map1(&[
        r#"type=SYSCALL msg=audit(1717927500.100:620): arch=c000003e syscall=42 success=yes exit=0 ppid=1 pid=700 auid=1000 uid=1000 comm="curl" exe="/usr/bin/curl""#,
        "type=SOCKADDR msg=audit(1717927500.100:620): saddr=020001BBC6336407000000000000000000",
        "type=OBJ_PID msg=audit(1717927500.100:620): opid=701 oauid=1000 ouid=1000 oses=3 ocomm=\"a\"",
        "type=OBJ_PID msg=audit(1717927500.100:620): opid=702 oauid=1000 ouid=1000 oses=3 ocomm=\"b\"",
        "type=PROCTITLE msg=audit(1717927500.100:620): proctitle=6375726C",
        "type=EOE msg=audit(1717927500.100:620): ",
    ]);
    let c = &v["unmapped"]["audit_companions"];
    assert_eq!(c["SOCKADDR"]["endpoint"], "198.51.100.7:443", "{v}");
    assert_eq!(c["OBJ_PID"][0]["opid"], 701);
    assert_eq!(c["OBJ_PID"][1]["ocomm"], "b");
    // Records the SYSCALL mapping reads are not repeated.
    assert!(c.get("PROCTITLE").is_none(), "{c}");
    let v = map1(&[
        r#"type=SYSCALL msg=audit(1717927500.100:621): arch=c000003e syscall=159 success=yes exit=0 ppid=1 pid=800 auid=4294967295 uid=0 comm="chronyd" exe="/usr/sbin/chronyd""#,
        "type=TIME_ADJNTPVAL msg=audit(1717927500.100:621): op=offset old=0 new=1000",
        "type=EOE msg=audit(1717927500.100:621): ",
    ]);
    assert_eq!(
        v["unmapped"]["audit_companions"]["TIME_ADJNTPVAL"]["new"], 1000,
        "{v}"
    );
}

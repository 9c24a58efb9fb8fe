//! Semantic tests for auditd records: what a detection reads (class,
//! activity, status, user, names) from the shapes auditd and the user-space
//! tools that write through it (shadow-utils, PAM) really log.

mod common;

use common::check;
use ocsf_mappers::{LinuxMapper, SourceConfig};
use serde_json::Value;

/// 2024-06-10T00:00:00Z.
const REF_MS: i64 = 1_717_977_600_000;

fn map(lines: &[&str]) -> Vec<Value> {
    let mut m = LinuxMapper::new(SourceConfig::linux().with_reference_ms(REF_MS));
    let mut out: Vec<Value> = lines
        .iter()
        .flat_map(|l| m.map_line(l))
        .map(|e| check(&e))
        .collect();
    out.extend(m.finish().iter().map(check));
    out
}

fn map1(line: &str) -> Value {
    let v = map(&[line]);
    assert_eq!(v.len(), 1, "{line}");
    v.into_iter().next().unwrap_or_default()
}

/// shadow-utils writes `op=` unquoted with spaces (`audit_log_acct_message`):
/// the whole `changing password` is the operation, so `passwd`'s record is a
/// password change of the account `id` names, not an `Other` "changing".
#[test]
fn auditd_unquoted_op_with_spaces_is_read_whole() {
    let e = map1(concat!(
        "type=USER_CHAUTHTOK msg=audit(1717977600.100:500): pid=4242 uid=0 auid=1000 ses=3 ",
        "msg='op=changing password id=1001 exe=\"/usr/bin/passwd\" hostname=? addr=? ",
        "terminal=pts/0 res=success'",
    ));
    assert_eq!(e["class_uid"], 3001, "{e}");
    assert_eq!(e["activity_id"], 3, "{e}");
    assert_eq!(e["status_id"], 1, "{e}");
    assert_eq!(e["status_detail"], "changing password", "{e}");
    assert_eq!(e["user"]["uid"], "1001", "{e}");
    assert_eq!(
        e["actor"]["process"]["file"]["path"], "/usr/bin/passwd",
        "{e}"
    );
    // The fields after the spaced value are still fields, not words.
    assert_eq!(e["actor"]["session"]["terminal"], "pts/0", "{e}");
}

/// The enriched form's interpreted names (`UID="root" AUID="alice"
/// ID="bob"`) name the users whose ids the record types, after the 0x1D
/// separator or, when a transport replaced it, in the same line.
#[test]
fn auditd_interpreted_names_fill_user_names() {
    for sep in ["\u{1d}", " "] {
        let line = format!(
            "type=USER_CHAUTHTOK msg=audit(1717977600.200:501): pid=4242 uid=0 auid=1000 ses=3 \
             msg='op=changing password id=1001 exe=\"/usr/bin/passwd\" hostname=? addr=? \
             terminal=pts/0 res=success'{sep}UID=\"root\" AUID=\"alice\" ID=\"bob\""
        );
        let e = map1(&line);
        assert_eq!(e["class_uid"], 3001, "{e}");
        assert_eq!(e["activity_id"], 3, "{e}");
        assert_eq!(e["status_id"], 1, "{e}");
        assert_eq!(e["user"]["uid"], "1001", "{e}");
        assert_eq!(e["user"]["name"], "bob", "{e}");
        assert_eq!(e["actor"]["user"]["uid"], "1000", "{e}");
        assert_eq!(e["actor"]["user"]["name"], "alice", "{e}");
        assert_eq!(e["actor"]["process"]["user"]["name"], "root", "{e}");
    }
}

/// An `openat` of `/etc/shadow` with `O_WRONLY|O_CREAT|O_TRUNC` (`a2=241`) on
/// an existing file is a write (Update), not a bare Open; a read-only open
/// (`a2=0`) stays an Open.
#[test]
fn auditd_openat_flags_make_a_write() {
    let ev = |serial: u32, a2: &str| {
        map(&[
            &format!(
                "type=SYSCALL msg=audit(1717977600.300:{serial}): arch=c000003e syscall=257 \
                 success=yes exit=3 a0=ffffff9c a1=7ffd2a a2={a2} a3=1b6 items=1 ppid=900 \
                 pid=4243 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 \
                 tty=pts0 ses=3 comm=\"vi\" exe=\"/usr/bin/vi\" key=\"watch_shadow\""
            ),
            &format!(
                "type=PATH msg=audit(1717977600.300:{serial}): item=0 name=\"/etc/shadow\" \
                 inode=1234 dev=fd:00 mode=0100640 ouid=0 ogid=42 rdev=00:00 nametype=NORMAL"
            ),
            &format!("type=EOE msg=audit(1717977600.300:{serial}):"),
        ])
    };
    let write = ev(600, "241");
    assert_eq!(write.len(), 1, "{write:#?}");
    let e = &write[0];
    assert_eq!(e["class_uid"], 1001, "{e}");
    assert_eq!(e["activity_id"], 3, "{e}");
    assert_eq!(e["status_id"], 1, "{e}");
    assert_eq!(e["file"]["path"], "/etc/shadow", "{e}");
    let read = ev(601, "0");
    assert_eq!(read[0]["activity_id"], 14, "{:#?}", read[0]);
}

/// A syscall other than execve is reported by name from the record's `arch`
/// (aarch64's `ptrace` is 117, x86_64's `memfd_create` 319); an unknown
/// number keeps the number.
#[test]
fn auditd_syscalls_are_named_per_arch() {
    let ev = |serial: u32, arch: &str, nr: u32| {
        let v = map(&[
            &format!(
                "type=SYSCALL msg=audit(1717977600.400:{serial}): arch={arch} syscall={nr} \
                 success=yes exit=0 a0=10 a1=1f2 a2=0 a3=0 items=0 ppid=900 pid=4244 \
                 auid=1000 uid=1000 gid=1000 euid=1000 tty=pts0 ses=3 comm=\"gdb\" \
                 exe=\"/usr/bin/gdb\" key=\"trace\""
            ),
            &format!("type=EOE msg=audit(1717977600.400:{serial}):"),
        ]);
        assert_eq!(v.len(), 1, "{v:#?}");
        v.into_iter().next().unwrap_or_default()
    };
    let e = ev(700, "c00000b7", 117);
    assert_eq!(e["class_uid"], 1007, "{e}");
    assert_eq!(e["activity_id"], 99, "{e}");
    assert_eq!(e["status_id"], 1, "{e}");
    assert_eq!(e["activity_name"], "ptrace", "{e}");
    assert_eq!(e["unmapped"]["syscall"], "ptrace", "{e}");
    assert_eq!(e["actor"]["user"]["uid"], "1000", "{e}");
    let e = ev(701, "c000003e", 319);
    assert_eq!(e["unmapped"]["syscall"], "memfd_create", "{e}");
    let e = ev(702, "c00000b7", 9999);
    assert_eq!(e["unmapped"]["syscall"], "syscall 9999", "{e}");
}

/// One groupadd / groupdel is one Create / Delete of the group (name and
/// gid); shadow-utils' per-file syslog lines only corroborate it under their
/// own caption. (OCSF 1.1.0 Group Management needs a member user or
/// privileges, so a group's own creation is Entity Management.)
#[test]
fn groupadd_and_groupdel_are_one_create_and_one_delete() {
    let added = map(&[
        "Jun  9 10:04:14 web1 groupadd[8006]: group added to /etc/group: name=devs, GID=1003",
        "Jun  9 10:04:14 web1 groupadd[8006]: group added to /etc/gshadow: name=devs",
        "Jun  9 10:04:14 web1 groupadd[8006]: new group: name=devs, GID=1003",
    ]);
    let removed = map(&[
        "Jun  9 10:04:15 web1 groupdel[8007]: group 'devs' removed from /etc/group",
        "Jun  9 10:04:15 web1 groupdel[8007]: group 'devs' removed from /etc/gshadow",
        "Jun  9 10:04:15 web1 groupdel[8007]: group 'devs' removed",
        "Jun  9 10:04:16 web1 groupdel[8009]: removed group 'ops' owned by 'root'",
        "Jun  9 10:04:16 web1 groupdel[8009]: removed shadow group 'ops' owned by 'root'",
    ]);
    for e in added.iter().chain(&removed) {
        assert_eq!(e["class_uid"], 3004, "{e}");
        assert_eq!(e["status_id"], 1, "{e}");
        assert_eq!(e["entity"]["type"], "Group", "{e}");
    }
    let acts = |v: &[Value]| -> Vec<i64> {
        v.iter()
            .map(|e| e["activity_id"].as_i64().unwrap_or(-1))
            .collect()
    };
    assert_eq!(acts(&added), [99, 99, 1]);
    assert_eq!(added[2]["entity"]["name"], "devs");
    assert_eq!(added[2]["entity"]["uid"], "1003");
    assert_eq!(added[0]["activity_name"], "Group File Update");
    assert_eq!(acts(&removed), [99, 99, 4, 4, 99]);
    assert_eq!(removed[2]["entity"]["name"], "devs");
    assert_eq!(removed[3]["entity"]["name"], "ops");
}

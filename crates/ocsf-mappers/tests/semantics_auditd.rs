//! Semantic tests for auditd records: what a detection reads (class,
//! activity, status, user, names) from the shapes auditd and the user-space
//! tools that write through it (shadow-utils, PAM) really log.

mod common;

use common::{map, map1};
use serde_json::Value;

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

/// The keys of the audit rules an event matched are `metadata.labels`, one
/// entry per key: `key="name"`, several keys joined by 0x01 (which auditd
/// writes hex-encoded), `key=(null)` (none). A `CONFIG_CHANGE`'s key names
/// the rule being changed (its entity), not a match, so it is no label.
#[test]
fn auditd_rule_keys_are_metadata_labels() {
    let ev = |serial: u32, key: &str| {
        let v = map(&[
            &format!(
                "type=SYSCALL msg=audit(1717977600.500:{serial}): arch=c000003e syscall=59 \
                 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=1 ppid=900 pid=4250 auid=1000 \
                 uid=1000 gid=1000 euid=1000 egid=1000 tty=pts0 ses=3 comm=\"id\" \
                 exe=\"/usr/bin/id\" key={key}"
            ),
            &format!("type=EOE msg=audit(1717977600.500:{serial}):"),
        ]);
        assert_eq!(v.len(), 1, "{v:#?}");
        v.into_iter().next().unwrap_or_default()
    };
    let e = ev(800, "\"exec_watch\"");
    assert_eq!(
        e["metadata"]["labels"],
        serde_json::json!(["exec_watch"]),
        "{e}"
    );
    assert!(e["unmapped"].get("key").is_none(), "{e}");
    // "identity" 0x01 "other", as auditd writes a multi-key rule.
    let e = ev(801, "6964656E74697479016F74686572");
    assert_eq!(
        e["metadata"]["labels"],
        serde_json::json!(["identity", "other"]),
        "{e}"
    );
    let e = ev(802, "(null)");
    assert!(e["metadata"].get("labels").is_none(), "{e}");

    // The key is on the SYSCALL companion of a kernel module load.
    let v = map(&[
        "type=SYSCALL msg=audit(1717977600.600:803): arch=c000003e syscall=313 success=yes \
         exit=0 ppid=1 pid=1500 auid=0 uid=0 euid=0 ses=1 comm=\"modprobe\" \
         exe=\"/usr/bin/kmod\" key=\"modules\"",
        "type=KERN_MODULE msg=audit(1717977600.600:803): name=\"nf_tables\"",
        "type=EOE msg=audit(1717977600.600:803):",
    ]);
    assert_eq!(v[0]["class_uid"], 1005, "{:#?}", v[0]);
    assert_eq!(v[0]["metadata"]["labels"], serde_json::json!(["modules"]));

    let e = map1(
        "type=CONFIG_CHANGE msg=audit(1717977600.700:804): auid=1000 ses=3 op=add_rule \
         key=\"identity\" list=4 res=1",
    );
    assert_eq!(e["class_uid"], 3004, "{e}");
    assert_eq!(e["entity"]["name"], "identity", "{e}");
    assert!(e["metadata"].get("labels").is_none(), "{e}");
}

/// The enriched trailer's group names (`GID=`, and `ID=` of a group record)
/// name the groups whose gids the record types, after the 0x1D separator or
/// in the same line.
#[test]
fn auditd_interpreted_names_fill_group_names() {
    for (i, sep) in ["\u{1d}", " "].into_iter().enumerate() {
        let v = map(&[
            &format!(
                "type=SYSCALL msg=audit(1717977600.800:{s}): arch=c000003e syscall=59 \
                 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=1 ppid=900 pid=4251 auid=1000 \
                 uid=1000 gid=10 euid=0 egid=10 tty=pts0 ses=3 comm=\"sudo\" \
                 exe=\"/usr/bin/sudo\" key=(null){sep}ARCH=x86_64 SYSCALL=execve \
                 AUID=\"alice\" UID=\"alice\" GID=\"wheel\" EUID=\"root\" EGID=\"wheel\"",
                s = 810 + i
            ),
            &format!("type=EOE msg=audit(1717977600.800:{}):", 810 + i),
        ]);
        let e = &v[0];
        assert_eq!(e["class_uid"], 1007, "{e}");
        assert_eq!(e["process"]["group"]["uid"], "10", "{e}");
        assert_eq!(e["process"]["group"]["name"], "wheel", "{e}");
        assert_eq!(e["process"]["user"]["name"], "alice", "{e}");

        // groupadd (newer shadow-utils) writes the gid as `id`.
        let e = map1(&format!(
            "type=ADD_GROUP msg=audit(1717977600.900:{s}): pid=7010 uid=0 auid=1000 ses=3 \
             msg='op=add-group id=1003 exe=\"/usr/sbin/groupadd\" hostname=web1 addr=? \
             terminal=pts/0 res=success'{sep}UID=\"root\" AUID=\"alice\" ID=\"devs\"",
            s = 820 + i
        ));
        assert_eq!(e["class_uid"], 3004, "{e}");
        assert_eq!(e["activity_id"], 1, "{e}");
        assert_eq!(e["entity"]["name"], "devs", "{e}");
        assert_eq!(e["entity"]["uid"], "1003", "{e}");
        assert_eq!(e["actor"]["user"]["name"], "alice", "{e}");

        // A file's owner (`OUID=`) and owning group (`OGID=`).
        let v = map(&[
            &format!(
                "type=SYSCALL msg=audit(1717977600.950:{s}): arch=c000003e syscall=257                  success=yes exit=3 a0=ffffff9c a1=7ffd2a a2=0 a3=0 items=1 ppid=900 pid=4252                  auid=1000 uid=0 gid=0 euid=0 tty=pts0 ses=3 comm=\"cat\" exe=\"/usr/bin/cat\"",
                s = 825 + i
            ),
            &format!(
                "type=PATH msg=audit(1717977600.950:{s}): item=0 name=\"/etc/shadow\"                  inode=1234 dev=fd:00 mode=0100640 ouid=0 ogid=42 rdev=00:00                  nametype=NORMAL{sep}OUID=\"root\" OGID=\"shadow\"",
                s = 825 + i
            ),
            &format!("type=EOE msg=audit(1717977600.950:{}):", 825 + i),
        ]);
        let e = &v[0];
        assert_eq!(e["class_uid"], 1001, "{e}");
        assert_eq!(e["file"]["owner"]["uid"], "0", "{e}");
        assert_eq!(e["file"]["owner"]["name"], "root", "{e}");
        assert_eq!(
            e["unmapped"]["file_group"],
            serde_json::json!({"uid": "42", "name": "shadow"}),
            "{e}"
        );
    }
}

/// A record's ids belong to different people: the account a record is about
/// is `user`, the one who acted is `actor.user`; `sauid` (the sender's audit
/// uid) is never the changed account's name.
#[test]
fn auditd_sender_auid_is_the_actor_not_the_account() {
    let e = map1(
        "type=ROLE_REMOVE msg=audit(1717977601.000:830): pid=7020 uid=0 auid=1000 ses=3 \
         msg='op=remove-role sauid=1000 old-seuser=staff_u new-seuser=user_u \
         exe=\"/usr/sbin/semanage\" hostname=? addr=? terminal=pts/0 res=success'",
    );
    assert_eq!(e["class_uid"], 3001, "{e}");
    assert_ne!(e["user"]["name"], "1000", "{e}");
    assert!(e["user"].get("uid").is_none(), "{e}");
    assert_eq!(e["actor"]["user"]["uid"], "1000", "{e}");
}

/// A local account change is not from a remote source: libaudit writes the
/// machine's own name and the address it resolves to (`127.0.0.1`,
/// `127.0.1.1`, its own address), or `?`, when the tool gives no peer. Only a
/// remote service's client address (sshd changing an expired password) is a
/// `src_endpoint`.
#[test]
fn auditd_local_account_changes_have_no_source_endpoint() {
    let local = [
        "type=ADD_USER msg=audit(1717977601.100:840): pid=7030 uid=0 auid=1000 ses=3 \
         msg='op=add-user id=1004 exe=\"/usr/sbin/useradd\" hostname=web1 addr=127.0.0.1 \
         terminal=pts/0 res=success'",
        "type=DEL_USER msg=audit(1717977601.200:841): pid=7031 uid=0 auid=1000 ses=3 \
         msg='op=delete-user id=1004 exe=\"/usr/sbin/userdel\" hostname=? addr=? \
         terminal=pts/0 res=success'",
        "node=web1 type=USER_MGMT msg=audit(1717977601.300:842): pid=7032 uid=0 auid=1000 \
         ses=3 msg='op=changing-expiry id=1001 exe=\"/usr/bin/chage\" hostname=web1 \
         addr=192.0.2.20 terminal=pts/0 res=success'",
        "type=USER_CHAUTHTOK msg=audit(1717977601.400:843): pid=7033 uid=0 auid=1000 ses=3 \
         msg='op=PAM:chauthtok grantors=pam_unix acct=\"bob\" exe=\"/usr/bin/passwd\" \
         hostname=web1.example.com addr=192.0.2.20 terminal=pts/0 res=success'",
        "node=web1 type=USER_CHAUTHTOK msg=audit(1717977601.500:844): pid=7034 uid=0 \
         auid=1000 ses=3 msg='op=PAM:chauthtok grantors=pam_unix acct=\"bob\" \
         exe=\"/usr/sbin/sshd\" hostname=web1.example.com addr=192.0.2.20 terminal=ssh \
         res=success'",
        "type=USER_MGMT msg=audit(1717977601.600:845): pid=7035 uid=0 auid=1000 ses=3 \
         msg='op=add-user-to-group grp=\"wheel\" acct=\"bob\" exe=\"/usr/sbin/usermod\" \
         hostname=localhost addr=::1 terminal=pts/0 res=success'",
    ];
    for line in local {
        let e = map1(line);
        assert!(e["class_uid"] == 3001 || e["class_uid"] == 3006, "{e}");
        assert!(e.get("src_endpoint").is_none(), "{line}\n{e}");
        assert!(
            !e["observables"]
                .as_array()
                .is_some_and(|a| a.iter().any(|o| o["type_id"] == 2)),
            "{e}"
        );
    }
    // sshd asks for a new password at logon: the client is the source.
    let e = map1(
        "type=USER_CHAUTHTOK msg=audit(1717977601.700:846): pid=7036 uid=0 auid=1001 ses=9 \
         msg='op=PAM:chauthtok grantors=pam_unix acct=\"bob\" exe=\"/usr/sbin/sshd\" \
         hostname=client7.example.net addr=198.51.100.7 terminal=ssh res=success'",
    );
    assert_eq!(e["activity_id"], 3, "{e}");
    assert_eq!(e["src_endpoint"]["ip"], "198.51.100.7", "{e}");
    assert_eq!(e["src_endpoint"]["hostname"], "client7.example.net", "{e}");
}

/// One membership change is one Add User / Remove User: `useradd -G` and
/// `usermod -aG` log it for /etc/group and again for /etc/gshadow (syslog and
/// auditd `USER_MGMT op=add-user-to-[shadow-]group grp=...`); the gshadow copy
/// corroborates under its own caption, and neither is an account creation.
#[test]
fn one_membership_change_is_one_add_user() {
    let v = map(&[
        "Jun  9 10:04:02 web1 useradd[8000]: add 'carol' to group 'docker'",
        "Jun  9 10:04:02 web1 useradd[8000]: add 'carol' to shadow group 'docker'",
        "type=USER_MGMT msg=audit(1717977601.800:850): pid=8000 uid=0 auid=1000 ses=3 \
         msg='op=add-user-to-group grp=\"docker\" acct=\"carol\" exe=\"/usr/sbin/useradd\" \
         hostname=web1 addr=? terminal=pts/0 res=success'",
        "type=USER_MGMT msg=audit(1717977601.800:851): pid=8000 uid=0 auid=1000 ses=3 \
         msg='op=add-user-to-shadow-group grp=\"docker\" acct=\"carol\" \
         exe=\"/usr/sbin/useradd\" hostname=web1 addr=? terminal=pts/0 res=success'",
        "Jun  9 10:04:03 web1 usermod[8001]: delete 'carol' from group 'docker'",
        "Jun  9 10:04:03 web1 usermod[8001]: delete 'carol' from shadow group 'docker'",
        "type=USER_MGMT msg=audit(1717977601.900:852): pid=8001 uid=0 auid=1000 ses=3 \
         msg='op=delete-user-from-group grp=\"docker\" acct=\"carol\" \
         exe=\"/usr/sbin/usermod\" hostname=web1 addr=? terminal=pts/0 res=success'",
    ]);
    let acts: Vec<(i64, i64)> = v
        .iter()
        .map(|e| {
            (
                e["class_uid"].as_i64().unwrap_or(-1),
                e["activity_id"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        acts,
        [
            (3006, 3),
            (3006, 99),
            (3006, 3),
            (3006, 99),
            (3006, 4),
            (3006, 99),
            (3006, 4)
        ]
    );
    for e in &v {
        assert_eq!(e["user"]["name"], "carol", "{e}");
        assert_eq!(e["group"]["name"], "docker", "{e}");
        assert_eq!(e["status_id"], 1, "{e}");
    }
    assert_eq!(v[1]["activity_name"], "Group File Update");
    assert_eq!(v[3]["activity_name"], "Group File Update");
    assert_eq!(v[2]["actor"]["user"]["uid"], "1000");
}

/// Why a group's own creation stays Entity Management: the same fact laid out
/// as Group Management Create (`activity_id` 6, the group, no member) breaks
/// the class's `at_least_one: [privileges, user]` constraint in OCSF 1.1.0
/// (and 1.3.0), while the Entity Management event passes.
#[test]
fn group_creation_as_group_management_breaks_its_constraint() {
    use ocsf_model::validate::{IssueCode, validate_value};
    let v = map(&["Jun  9 10:04:14 web1 groupadd[8006]: new group: name=devs, GID=1003"]);
    let entity = &v[0];
    assert_eq!(entity["class_uid"], 3004, "{entity}");
    let mut as_group = entity.clone();
    let obj = as_group.as_object_mut().expect("an object");
    for k in [
        "entity",
        "activity_name",
        "type_name",
        "class_name",
        "category_name",
    ] {
        obj.remove(k);
    }
    obj.insert("class_uid".into(), 3006.into());
    obj.insert("activity_id".into(), 6.into());
    obj.insert("type_uid".into(), 300_606.into());
    obj.insert(
        "group".into(),
        serde_json::json!({"name": "devs", "uid": "1003"}),
    );
    let codes = |event: &Value, schema| {
        validate_value(event, schema)
            .errors()
            .map(|i| i.code)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        codes(&as_group, &ocsf_model::v1_1_0::SCHEMA),
        [IssueCode::AtLeastOne]
    );
    #[cfg(feature = "v1_3_0")]
    {
        as_group["metadata"]["version"] = "1.3.0".into();
        assert_eq!(
            codes(&as_group, &ocsf_model::v1_3_0::SCHEMA),
            [IssueCode::AtLeastOne]
        );
    }
}

fn socket_event(serial: u32, syscall: &str, extra: &str, sockaddr: &str) -> Vec<Value> {
    map(&[
        &format!(
            "type=SYSCALL msg=audit(1717977602.000:{serial}): arch=c000003e syscall={syscall} \
             {extra} a0=3 a1=7ffd a2=10 a3=0 items=0 ppid=1 pid=5100 auid=1000 uid=33 gid=33 \
             euid=33 egid=33 tty=(none) ses=4 comm=\"curl\" exe=\"/usr/bin/curl\" key=\"net\""
        ),
        &format!("type=SOCKADDR msg=audit(1717977602.000:{serial}): {sockaddr}"),
        &format!("type=EOE msg=audit(1717977602.000:{serial}):"),
    ])
}

/// `connect` / `bind` / `accept` with a `SOCKADDR` record are Network
/// Activity with the address, the process and the user: IPv4, IPv6 (raw and
/// enriched), `AF_UNIX`; a cut `saddr` stays the generic syscall event with
/// the record's fields kept.
#[test]
fn auditd_socket_syscalls_are_network_activity() {
    // connect(192.0.2.1:80), IPv4.
    let v = socket_event(
        900,
        "42",
        "success=yes exit=0",
        "saddr=02000050C0000201000000000000000000",
    );
    assert_eq!(v.len(), 1, "{v:#?}");
    let e = &v[0];
    assert_eq!(e["class_uid"], 4001, "{e}");
    assert_eq!(e["activity_id"], 1, "{e}");
    assert_eq!(e["status_id"], 1, "{e}");
    assert_eq!(e["dst_endpoint"]["ip"], "192.0.2.1", "{e}");
    assert_eq!(e["dst_endpoint"]["port"], 80, "{e}");
    assert_eq!(e["connection_info"]["direction_id"], 2, "{e}");
    assert_eq!(e["actor"]["process"]["pid"], 5100, "{e}");
    assert_eq!(e["actor"]["process"]["name"], "curl", "{e}");
    assert_eq!(e["actor"]["process"]["user"]["uid"], "33", "{e}");
    assert_eq!(e["actor"]["user"]["uid"], "1000", "{e}");
    assert_eq!(e["unmapped"]["socket_family"], "inet", "{e}");
    assert_eq!(e["metadata"]["labels"], serde_json::json!(["net"]), "{e}");

    // A non-blocking connect: EINPROGRESS is not a failure.
    let v = socket_event(
        901,
        "42",
        "success=no exit=-115",
        "saddr=02000050C0000201000000000000000000",
    );
    assert_eq!(v[0]["class_uid"], 4001, "{}", v[0]);
    assert_eq!(v[0]["status_id"], 99, "{}", v[0]);
    assert_eq!(v[0]["status"], "In Progress", "{}", v[0]);

    // bind([2001:db8::1]:443), IPv6, with the enriched interpretation.
    let v = socket_event(
        902,
        "49",
        "success=yes exit=0",
        "saddr=0A0001BB0000000020010DB800000000000000000000000100000000\u{1d}SADDR={ fam=inet6 laddr=2001:db8::1 lport=443 lflowinfo=0 lscope_id=0 }",
    );
    let e = &v[0];
    assert_eq!(e["class_uid"], 4001, "{e}");
    assert_eq!(e["activity_id"], 99, "{e}");
    assert_eq!(e["activity_name"], "Listen", "{e}");
    assert_eq!(e["dst_endpoint"]["ip"], "2001:db8::1", "{e}");
    assert_eq!(e["dst_endpoint"]["port"], 443, "{e}");
    assert_eq!(e["unmapped"]["socket_family"], "inet6", "{e}");

    // Only the enriched form (a transport kept the interpretation alone).
    let v = socket_event(
        903,
        "288",
        "success=yes exit=5",
        "SADDR={ fam=inet laddr=198.51.100.9 lport=51515 }",
    );
    let e = &v[0];
    assert_eq!(e["class_uid"], 4001, "{e}");
    assert_eq!(e["activity_id"], 1, "{e}");
    assert_eq!(e["src_endpoint"]["ip"], "198.51.100.9", "{e}");
    assert_eq!(e["src_endpoint"]["port"], 51515, "{e}");
    assert_eq!(e["connection_info"]["direction_id"], 1, "{e}");

    // connect to /run/dbus/system_bus_socket, AF_UNIX.
    let v = socket_event(
        904,
        "42",
        "success=yes exit=0",
        "saddr=01002F72756E2F646275732F73797374656D5F6275735F736F636B657400",
    );
    let e = &v[0];
    assert_eq!(e["class_uid"], 4001, "{e}");
    assert_eq!(
        e["dst_endpoint"]["name"], "/run/dbus/system_bus_socket",
        "{e}"
    );
    assert_eq!(e["unmapped"]["socket_family"], "unix", "{e}");

    // A cut saddr: no panic, the generic syscall event with the fields kept.
    for (i, cut) in [
        "saddr=0200",
        "saddr=02000050C000",
        "saddr=0A0001BB00",
        "saddr=01",
    ]
    .into_iter()
    .enumerate()
    {
        let v = socket_event(910 + i as u32, "42", "success=yes exit=0", cut);
        assert_eq!(v.len(), 1, "{v:#?}");
        let e = &v[0];
        assert_eq!(e["class_uid"], 1007, "{e}");
        assert_eq!(e["activity_name"], "connect", "{e}");
        assert!(
            e["unmapped"]["audit_companions"]["SOCKADDR"].is_object(),
            "{e}"
        );
    }
}

/// Any `saddr` length of each family maps without a panic to a valid event.
#[test]
fn auditd_cut_sockaddrs_never_panic() {
    let mut serial = 1000;
    for family in ["0100", "0200", "0A00", "1000", ""] {
        for len in 0..64 {
            let hex: String = "F1".repeat(len / 2) + if len % 2 == 1 { "7" } else { "" };
            serial += 1;
            let v = socket_event(
                serial,
                "42",
                "success=yes exit=0",
                &format!("saddr={family}{hex}"),
            );
            assert_eq!(v.len(), 1, "{family}{hex}: {v:#?}");
        }
    }
}

/// The same holds for the authentication records of local programs (su,
/// sudo, cron, a console login): their `hostname` / `addr` are the machine's
/// own, so a local `su` failure is not a failure "from 127.0.0.1". An sshd
/// logon from localhost is a real connection and keeps its address.
#[test]
fn auditd_local_authentications_have_no_source_endpoint() {
    for line in [
        "type=USER_AUTH msg=audit(1717977603.000:950): pid=7100 uid=1000 auid=1000 ses=3 \
         msg='op=PAM:authentication grantors=? acct=\"root\" exe=\"/usr/bin/su\" \
         hostname=web1 addr=127.0.0.1 terminal=pts/0 res=failed'",
        "type=USER_ACCT msg=audit(1717977603.100:951): pid=7101 uid=0 auid=4294967295 \
         ses=4294967295 msg='op=PAM:accounting grantors=pam_unix acct=\"root\" \
         exe=\"/usr/sbin/cron\" hostname=? addr=? terminal=cron res=success'",
        "node=web1 type=USER_LOGIN msg=audit(1717977603.200:952): pid=7102 uid=0 auid=1000 \
         ses=5 msg='op=login id=1000 exe=\"/usr/bin/login\" hostname=web1 addr=192.0.2.20 \
         terminal=tty1 res=success'",
    ] {
        let e = map1(line);
        assert_eq!(e["class_uid"], 3002, "{e}");
        assert!(e.get("src_endpoint").is_none(), "{line}\n{e}");
    }
    let e = map1(
        "type=USER_LOGIN msg=audit(1717977603.300:953): pid=7103 uid=0 auid=1000 ses=6 \
         msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=localhost addr=127.0.0.1 \
         terminal=ssh res=success'",
    );
    assert_eq!(e["src_endpoint"]["ip"], "127.0.0.1", "{e}");
}

/// shadow-utils hex-encodes a group name that needs escaping (`grp=` as
/// unquoted uppercase hex, like `acct`): the group is named by the decoded
/// text, not by the hex digits. The kernel does the same for an AppArmor
/// profile named with a space.
#[test]
fn auditd_hex_encoded_group_and_profile_names_are_decoded() {
    let e = map1(concat!(
        "type=USER_MGMT msg=audit(1717977601.800:860): pid=8000 uid=0 auid=1000 ses=3 ",
        "msg='op=add-user-to-group grp=646F636B6572207573657273 acct=\"carol\" ",
        "exe=\"/usr/sbin/usermod\" hostname=web1 addr=? terminal=pts/0 res=success'",
    ));
    assert_eq!(e["class_uid"], 3006, "{e}");
    assert_eq!(e["activity_id"], 3, "{e}");
    assert_eq!(e["group"]["name"], "docker users", "{e}");
    assert_eq!(e["user"]["name"], "carol", "{e}");
    let e = map1(concat!(
        "type=AVC msg=audit(1717977601.900:861): apparmor=\"DENIED\" operation=\"open\" ",
        "profile=4D6F6E676F444220436F6D70617373 name=\"/etc/shadow\" pid=4242 ",
        "comm=\"electron\" requested_mask=\"r\" denied_mask=\"r\" fsuid=1000 ouid=0",
    ));
    assert_eq!(e["class_uid"], 1001, "{e}");
    assert_eq!(
        e["unmapped"]["audit_record"]["profile"], "MongoDB Compass",
        "{e}"
    );
}

/// auditd 3's enriched form spells the family `saddr_fam=` (`SADDR={
/// saddr_fam=inet laddr=A lport=P }`, `{ saddr_fam=local path=P }`); with a
/// raw `saddr` too short to decode the interpretation gives the endpoint.
#[test]
fn auditd_enriched_saddr_fam_spelling_gives_the_endpoint() {
    let v = socket_event(
        910,
        "42",
        "success=yes exit=0",
        "saddr=0200\u{1d}SADDR={ saddr_fam=inet laddr=203.0.113.4 lport=22 }",
    );
    let e = &v[0];
    assert_eq!(e["class_uid"], 4001, "{e}");
    assert_eq!(e["dst_endpoint"]["ip"], "203.0.113.4", "{e}");
    assert_eq!(e["dst_endpoint"]["port"], 22, "{e}");
    let v = socket_event(
        911,
        "42",
        "success=yes exit=0",
        "saddr=0100\u{1d}SADDR={ saddr_fam=local path=/run/systemd/private }",
    );
    let e = &v[0];
    assert_eq!(e["class_uid"], 4001, "{e}");
    assert_eq!(e["dst_endpoint"]["name"], "/run/systemd/private", "{e}");
}

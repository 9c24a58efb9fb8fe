//! auditd record types beyond login and syscalls, one realistic fixture line
//! (written for these tests) per type group: the class, activity and key
//! fields each must produce; every event passes the OCSF 1.1.0 validator.

mod common;

use common::check;
use ocsf_mappers::{LinuxMapper, SourceConfig};
use serde_json::{Value, json};

/// 2024-06-10T00:00:00Z.
const REF_MS: i64 = 1_717_977_600_000;

fn map1(lines: &[&str]) -> Value {
    let mut m = LinuxMapper::new(SourceConfig::linux().with_reference_ms(REF_MS));
    let mut out = Vec::new();
    for l in lines {
        out.extend(m.map_line(l));
    }
    out.extend(m.finish());
    assert_eq!(out.len(), 1, "{lines:?}");
    check(&out[0])
}

fn get<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |cur, k| &cur[k])
}

fn expect(lines: &[&str], class_uid: i64, activity_id: i64, fields: &[(&str, Value)]) -> Value {
    let v = map1(lines);
    assert_eq!(v["class_uid"], class_uid, "{v}");
    assert_eq!(v["activity_id"], activity_id, "{v}");
    for (path, want) in fields {
        assert_eq!(get(&v, path), want, "{path} in {v}");
    }
    v
}

#[test]
fn configuration_changes_are_entity_management() {
    // Audit rule added by auditctl (with its SYSCALL companion).
    expect(
        &[
            r#"type=CONFIG_CHANGE msg=audit(1717927600.000:700): auid=1000 ses=3 subj=unconfined op=add_rule key="identity" list=4 res=1"#,
            r#"type=SYSCALL msg=audit(1717927600.000:700): arch=c000003e syscall=44 success=yes exit=1084 ppid=900 pid=901 auid=1000 uid=0 euid=0 ses=3 comm="auditctl" exe="/usr/sbin/auditctl""#,
            "type=EOE msg=audit(1717927600.000:700): ",
        ],
        3004,
        1,
        &[
            ("entity.name", json!("identity")),
            ("entity.type", json!("Audit Configuration")),
            ("actor.process.name", json!("auditctl")),
            ("actor.user.uid", json!("1000")),
            ("metadata.event_code", json!("CONFIG_CHANGE")),
            ("unmapped.audit_record.list", json!(4)),
        ],
    );
    expect(
        &[
            r#"type=CONFIG_CHANGE msg=audit(1717927600.000:701): auid=1000 ses=3 op=remove_rule key="time-change" list=4 res=1"#,
        ],
        3004,
        4,
        &[("entity.name", json!("time-change"))],
    );
    // Audit switched off: the setting names the entity.
    expect(
        &[
            "type=CONFIG_CHANGE msg=audit(1717927600.000:708): op=set audit_enabled=0 old=1 auid=1000 ses=3 subj=unconfined res=1",
        ],
        3004,
        3,
        &[
            ("entity.name", json!("audit_enabled")),
            ("status_id", json!(1)),
        ],
    );
    // An AppArmor profile loaded: `operation`, the profile in `name`.
    expect(
        &[
            r#"type=APPARMOR_STATUS msg=audit(1717927600.000:709): apparmor="STATUS" operation="profile_load" profile="unconfined" name="/usr/sbin/cupsd" pid=900 comm="apparmor_parser""#,
        ],
        3004,
        1,
        &[
            ("entity.name", json!("/usr/sbin/cupsd")),
            ("entity.type", json!("AppArmor Profile")),
        ],
    );
    // Netfilter table replaced (iptables-restore).
    expect(
        &[
            "type=NETFILTER_CFG msg=audit(1717927600.000:702): table=filter family=2 entries=12 op=xt_replace pid=1200 subj=unconfined comm=\"iptables-restor\"",
            "type=EOE msg=audit(1717927600.000:702): ",
        ],
        3004,
        3,
        &[
            ("entity.name", json!("filter")),
            ("entity.type", json!("Netfilter Table")),
            ("unmapped.audit_record.entries", json!(12)),
        ],
    );
    expect(
        &[
            "type=NETFILTER_CFG msg=audit(1717927600.000:703): table=nat:5 family=2 entries=0 op=nft_register_table pid=1 comm=\"nft\"",
        ],
        3004,
        1,
        &[("entity.name", json!("nat:5"))],
    );
    // SELinux mode and policy.
    expect(
        &[
            "type=MAC_STATUS msg=audit(1717927600.000:704): enforcing=0 old_enforcing=1 auid=1000 ses=3 enabled=1 old-enabled=1 lsm=selinux res=1",
        ],
        3004,
        3,
        &[
            ("entity.type", json!("MAC Enforcement")),
            ("severity_id", json!(2)),
        ],
    );
    expect(
        &[
            "type=MAC_POLICY_LOAD msg=audit(1717927600.000:705): auid=4294967295 ses=4294967295 lsm=selinux res=1",
        ],
        3004,
        3,
        &[("entity.type", json!("MAC Policy"))],
    );
    // A NIC entering promiscuous mode.
    expect(
        &[
            "type=ANOM_PROMISCUOUS msg=audit(1717927600.000:706): dev=eth0 prom=256 old_prom=0 auid=1000 uid=0 gid=0 ses=3",
        ],
        3004,
        3,
        &[
            ("entity.name", json!("eth0")),
            ("entity.type", json!("Network Interface")),
        ],
    );
    // IPsec SA added.
    expect(
        &[
            "type=MAC_IPSEC_EVENT msg=audit(1717927600.000:707): op=SAD-add auid=4294967295 ses=4294967295 src=192.0.2.1 dst=198.51.100.2 spi=3520139786(0xd1d1e70a) res=1",
        ],
        3004,
        1,
        &[("entity.type", json!("IPsec SA"))],
    );
}

#[test]
fn kernel_modules_and_bpf_are_module_activity() {
    expect(
        &[
            r#"type=SYSCALL msg=audit(1717927700.000:710): arch=c000003e syscall=313 success=yes exit=0 ppid=1 pid=1500 auid=0 uid=0 euid=0 ses=1 comm="modprobe" exe="/usr/bin/kmod" key="modules""#,
            "type=KERN_MODULE msg=audit(1717927700.000:710): name=\"nf_tables\"",
            "type=EOE msg=audit(1717927700.000:710): ",
        ],
        1005,
        1,
        &[
            ("module.file.name", json!("nf_tables")),
            ("actor.process.name", json!("modprobe")),
            ("status_id", json!(1)),
        ],
    );
    expect(
        &[
            "type=BPF msg=audit(1717927700.000:711): prog-id=42 op=UNLOAD",
            "type=EOE msg=audit(1717927700.000:711): ",
        ],
        1005,
        2,
        &[("unmapped.audit_record.prog-id", json!(42))],
    );
}

#[test]
fn access_decisions_by_object_class() {
    // SELinux file denial, with PATH companion.
    let v = expect(
        &[
            r#"type=AVC msg=audit(1717927800.000:720): avc:  denied  { write } for  pid=2100 comm="httpd" name="index.html" dev="sda1" ino=5501 scontext=system_u:system_r:httpd_t:s0 tcontext=unconfined_u:object_r:user_home_t:s0 tclass=file permissive=0"#,
            r#"type=SYSCALL msg=audit(1717927800.000:720): arch=c000003e syscall=257 success=no exit=-13 ppid=1 pid=2100 auid=4294967295 uid=48 euid=48 ses=4294967295 comm="httpd" exe="/usr/sbin/httpd""#,
            r#"type=CWD msg=audit(1717927800.000:720): cwd="/var/www""#,
            "type=EOE msg=audit(1717927800.000:720): ",
        ],
        1001,
        3,
        &[
            ("file.path", json!("/var/www/index.html")),
            ("status_id", json!(2)),
            ("disposition", json!("Blocked")),
            ("severity_id", json!(3)),
            ("actor.process.file.path", json!("/usr/sbin/httpd")),
            (
                "unmapped.audit_record.tcontext",
                json!("unconfined_u:object_r:user_home_t:s0"),
            ),
        ],
    );
    assert_eq!(v["status_detail"], "denied { write }");
    // Permissive mode: logged as denied, but allowed.
    expect(
        &[
            r#"type=AVC msg=audit(1717927800.000:721): avc:  denied  { read } for  pid=2101 comm="cat" name="shadow" dev="sda1" ino=12 scontext=u:r:t:s0 tcontext=u:o:shadow_t:s0 tclass=file permissive=1"#,
        ],
        1001,
        2,
        &[("status_id", json!(1)), ("disposition", json!("Allowed"))],
    );
    // Socket denial: Network Activity Refuse.
    expect(
        &[
            r#"type=AVC msg=audit(1717927800.000:722): avc:  denied  { name_connect } for  pid=2102 comm="php-fpm" dest=5432 scontext=u:r:httpd_t:s0 tcontext=u:o:postgresql_port_t:s0 tclass=tcp_socket permissive=0"#,
        ],
        4001,
        5,
        &[("dst_endpoint.port", json!(5432))],
    );
    // AppArmor (written as type=AVC on most distributions).
    expect(
        &[
            r#"type=AVC msg=audit(1717927800.000:723): apparmor="DENIED" operation="open" profile="/usr/sbin/cupsd" name="/etc/ssl/private/key.pem" pid=2200 comm="cupsd" requested_mask="r" denied_mask="r" fsuid=0 ouid=0"#,
        ],
        1001,
        14,
        &[
            ("file.path", json!("/etc/ssl/private/key.pem")),
            ("unmapped.audit_record.profile", json!("/usr/sbin/cupsd")),
            ("status_id", json!(2)),
        ],
    );
    // A user-space object manager (systemd) granting a service status check.
    expect(
        &[
            r#"type=USER_AVC msg=audit(1717927800.000:724): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='avc:  granted  { status } for auid=1000 uid=0 gid=0 cmdline="systemctl status sshd" scontext=u:r:t:s0 tcontext=u:r:init_t:s0 tclass=system exe="/usr/lib/systemd/systemd" sauid=0 hostname=? addr=? terminal=?'"#,
        ],
        1007,
        99,
        &[
            ("status_id", json!(1)),
            ("activity_name", json!("Access Check: status")),
        ],
    );
}

#[test]
fn lifecycle_network_and_integrity() {
    expect(
        &[
            r#"type=SOFTWARE_UPDATE msg=audit(1717927900.000:730): pid=3000 uid=0 auid=1000 ses=3 msg='op=install sw="openssl-3.0.7-27.el9.x86_64" sw_type=rpm key_enforce=0 gpg_res=1 root_dir="/" comm="dnf" exe="/usr/bin/python3.9" hostname=? addr=? terminal=pts/0 res=success'"#,
        ],
        6002,
        1,
        &[("app.name", json!("openssl-3.0.7-27.el9.x86_64"))],
    );
    expect(
        &[
            r#"type=VIRT_CONTROL msg=audit(1717927900.000:731): pid=3100 uid=0 auid=4294967295 ses=4294967295 msg='virt=kvm op=start reason=booted vm="web01" uuid=6b1b2c3d-0000-4000-8000-0000000000aa vm-pid=3200 exe="/usr/sbin/libvirtd" hostname=? addr=? terminal=? res=success'"#,
        ],
        6002,
        3,
        &[
            ("app.name", json!("web01")),
            ("app.uid", json!("6b1b2c3d-0000-4000-8000-0000000000aa")),
        ],
    );
    expect(
        &[
            r#"type=VIRT_MACHINE_ID msg=audit(1717927900.000:732): pid=3100 uid=0 auid=4294967295 ses=4294967295 msg='virt=kvm vm="web01" uuid=6b1b2c3d-0000-4000-8000-0000000000aa vm-ctx=+107:+107 img-ctx=+107:+107 model=dac exe="/usr/sbin/libvirtd" hostname=? addr=? terminal=? res=success'"#,
        ],
        3004,
        3,
        &[
            ("entity.name", json!("web01")),
            ("entity.type", json!("Virtual Machine Label")),
        ],
    );
    expect(
        &[
            r#"type=VIRT_RESOURCE msg=audit(1717927900.000:733): pid=3100 uid=0 auid=4294967295 ses=4294967295 msg='virt=kvm resrc=mem reason=start vm="web01" uuid=6b1b2c3d-0000-4000-8000-0000000000aa old-mem=0 new-mem=2097152 exe="/usr/sbin/libvirtd" hostname=? addr=? terminal=? res=success'"#,
        ],
        3004,
        3,
        &[("entity.type", json!("Virtual Machine Resource"))],
    );
    // sshd's crypto session for a remote client.
    expect(
        &[
            r#"type=CRYPTO_SESSION msg=audit(1717927900.000:734): pid=3300 uid=0 auid=4294967295 ses=4294967295 msg='op=start direction=from-server cipher=aes256-gcm@openssh.com ksize=256 mac=<implicit> pfs=curve25519-sha256 spid=3301 suid=74 rport=51000 laddr=192.0.2.10 lport=22 exe="/usr/sbin/sshd" hostname=? addr=198.51.100.20 terminal=? res=success'"#,
        ],
        4001,
        1,
        &[
            ("src_endpoint.ip", json!("198.51.100.20")),
            ("src_endpoint.port", json!(51000)),
            ("dst_endpoint.ip", json!("192.0.2.10")),
            ("dst_endpoint.port", json!(22)),
            (
                "unmapped.audit_record.cipher",
                json!("aes256-gcm@openssh.com"),
            ),
        ],
    );
    expect(
        &[
            "type=NETFILTER_PKT msg=audit(1717927900.000:735): mark=0x0 saddr=203.0.113.9 daddr=192.0.2.10 proto=6 sport=40000 dport=23",
        ],
        4001,
        6,
        &[
            ("src_endpoint.ip", json!("203.0.113.9")),
            ("dst_endpoint.port", json!(23)),
        ],
    );
    expect(
        &[
            r#"type=INTEGRITY_DATA msg=audit(1717927900.000:736): pid=3400 uid=0 auid=0 ses=1 op=appraise_data cause=invalid-hash comm="bash" name="/usr/local/bin/tool" dev="sda1" ino=991 res=0"#,
        ],
        1001,
        99,
        &[
            ("file.path", json!("/usr/local/bin/tool")),
            ("activity_name", json!("Integrity Check")),
            ("status_id", json!(2)),
        ],
    );
    expect(
        &[
            r#"type=INTEGRITY_RULE msg=audit(1717927900.000:737): file="/usr/bin/ls" hash="sha256:00ff" ppid=1 pid=3500 auid=0 uid=0 ses=1 comm="bash" exe="/usr/bin/bash""#,
        ],
        1001,
        99,
        &[
            ("unmapped.audit_record.hash", json!("sha256:00ff")),
            ("file.path", json!("/usr/bin/ls")),
        ],
    );
}

#[test]
fn roles_findings_and_base_events() {
    expect(
        &[
            r#"type=ROLE_ASSIGN msg=audit(1717928000.000:740): pid=3600 uid=0 auid=1000 ses=3 msg='op=login-sename,role,range acct="alice" old-seuser=? old-role=? old-range=? new-seuser=staff_u new-role=staff_r,sysadm_r new-range=s0 exe="/usr/sbin/semanage" hostname=? addr=? terminal=pts/0 res=success'"#,
        ],
        3001,
        99,
        &[
            ("user.name", json!("alice")),
            ("activity_name", json!("Assign Role")),
        ],
    );
    expect(
        &[
            r#"type=ANOM_LOGIN_TIME msg=audit(1717928000.000:741): pid=3700 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct="bob" exe="/usr/sbin/sshd" hostname=? addr=198.51.100.7 terminal=ssh res=failed'"#,
        ],
        2004,
        1,
        &[
            ("finding_info.title", json!("ANOM_LOGIN_TIME")),
            ("severity_id", json!(3)),
        ],
    );
    // Keystrokes: OCSF 1.1.0 has no class; a Base Event that keeps the data.
    let v = expect(
        &[
            "type=TTY msg=audit(1717928000.000:742): tty pid=3800 uid=0 auid=1000 ses=3 major=136 minor=0 comm=\"bash\" data=6C730D",
        ],
        0,
        0,
        &[
            ("unmapped.fallback.reason", json!("no_ocsf_class")),
            ("unmapped.audit_record.data", json!("ls\r")),
            ("unmapped.audit_record.major", json!(136)),
        ],
    );
    assert!(
        v["raw_data"]
            .as_str()
            .is_some_and(|r| r.contains("data=6C730D"))
    );
    expect(
        &[
            r#"type=USER_TTY msg=audit(1717928000.000:743): pid=3801 uid=0 auid=1000 ses=3 data=7375646F207375"#,
        ],
        0,
        0,
        &[("unmapped.fallback.reason", json!("no_ocsf_class"))],
    );
    expect(
        &[
            r#"type=CRYPTO_KEY_USER msg=audit(1717928000.000:744): pid=3900 uid=0 auid=4294967295 ses=4294967295 msg='op=destroy kind=server fp=SHA256:aa:bb direction=? spid=3900 suid=0 exe="/usr/sbin/sshd" hostname=? addr=? terminal=? res=success'"#,
        ],
        0,
        0,
        &[("unmapped.fallback.reason", json!("no_ocsf_class"))],
    );
    expect(
        &[
            r#"type=SELINUX_ERR msg=audit(1717928000.000:745): op=security_compute_sid invalid_context="u:r:bad_t:s0" scontext=u:r:init_t:s0 tcontext=u:o:bin_t:s0 tclass=process"#,
        ],
        0,
        0,
        &[("unmapped.audit_record.op", json!("security_compute_sid"))],
    );
}

#[test]
fn stats_count_no_ocsf_class_as_a_fallback_reason() {
    let mut m = LinuxMapper::new(SourceConfig::linux().with_reference_ms(REF_MS));
    m.map_line("type=TTY msg=audit(1717928000.000:750): tty pid=1 uid=0 auid=1000 ses=3 data=6C73");
    m.finish();
    let stats = m.stats();
    assert_eq!(
        stats
            .fallback
            .get(&ocsf_mappers::FallbackReason::NoOcsfClass),
        Some(&1),
        "{stats:?}"
    );
}

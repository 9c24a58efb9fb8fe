//! Semantic tests for the syslog programs of real hosts that carry security
//! meaning beyond sshd / PAM / sudo: systemd-logind, polkitd, NetworkManager,
//! firewalld, the audit daemon, and the kernel's audit and fault lines. The
//! fixtures follow the programs' own message formats.

mod common;

use common::{LINUX_REF_MS as REF_MS, check, map, map1};
use ocsf_mappers::{FallbackReason, LinuxMapper, SourceConfig};
use serde_json::json;

fn mapper() -> LinuxMapper {
    LinuxMapper::new(SourceConfig::linux().with_reference_ms(REF_MS))
}

#[test]
fn logind_sessions_seats_and_power() {
    let e = map1("Jun  9 10:00:00 web1 systemd-logind[812]: New session 3 of user alice.");
    assert_eq!(e["class_uid"], 3002, "{e}");
    assert_eq!(e["activity_id"], 99, "{e}");
    assert_eq!(e["activity_name"], "Session Created", "{e}");
    assert_eq!(e["user"]["name"], "alice", "{e}");
    assert_eq!(e["session"]["uid"], "3", "{e}");
    let e = map1("Jun  9 10:00:01 web1 systemd-logind[812]: Removed session 3.");
    assert_eq!(e["activity_name"], "Session Removed", "{e}");
    let e = map1("Jun  9 10:00:02 web1 systemd-logind[812]: New seat seat0.");
    assert_eq!(e["class_uid"], 3004, "{e}");
    assert_eq!(e["activity_id"], 1, "{e}");
    assert_eq!(e["entity"], json!({"name": "seat0", "type": "Seat"}), "{e}");
    let e = map1("Jun  9 10:00:03 web1 systemd-logind[812]: Removed seat seat1.");
    assert_eq!(e["activity_id"], 4, "{e}");
    let e = map1("Jun  9 10:00:04 web1 systemd-logind[812]: System is rebooting.");
    assert_eq!(e["class_uid"], 6002, "{e}");
    assert_eq!(e["activity_id"], 4, "{e}");
    assert_eq!(e["app"]["name"], "system", "{e}");
    assert_eq!(e["status_detail"], "Reboot", "{e}");
}

#[test]
fn polkit_authentication_is_one_logon() {
    let e = map1(
        "Jun  9 10:01:00 web1 polkitd[900]: Operator of unix-session:3 successfully authenticated as unix-user:root to gain ONE-SHOT authorization for action org.freedesktop.policykit.exec for unix-process:4242:1234 [pkexec /bin/bash] (owned by unix-user:alice)",
    );
    assert_eq!(e["class_uid"], 3002, "{e}");
    assert_eq!(e["activity_id"], 1, "{e}");
    assert_eq!(e["status_id"], 1, "{e}");
    assert_eq!(e["user"]["name"], "root", "{e}");
    assert_eq!(e["actor"]["user"]["name"], "alice", "{e}");
    assert_eq!(e["session"]["uid"], "3", "{e}");
    assert_eq!(e["logon_type_id"], 9, "{e}");
    assert_eq!(e["service"]["name"], "polkit", "{e}");
    assert_eq!(
        e["unmapped"]["polkit"]["action"],
        "org.freedesktop.policykit.exec"
    );
    assert_eq!(e["unmapped"]["polkit"]["authorization"], "ONE-SHOT");
    assert_eq!(
        e["unmapped"]["polkit"]["subject_cmd_line"],
        "pkexec /bin/bash"
    );
    assert_eq!(e["unmapped"]["polkit"]["subject_pid"], 4242);

    // A failure, and PAM's line for the same attempt corroborates it.
    let v = map(&[
        "Jun  9 10:01:05 web1 polkit-agent-helper-1[4300]: pam_unix(polkit-1:auth): authentication failure; logname= uid=1000 euid=0 tty= ruser=alice rhost=  user=root",
        "Jun  9 10:01:05 web1 polkitd[900]: Operator of unix-session:3 FAILED to authenticate to gain authorization for action org.freedesktop.systemd1.manage-units for system-bus-name::1.95 [systemctl restart nginx] (owned by unix-user:alice)",
    ]);
    assert_eq!(v[0]["activity_id"], 99, "{}", v[0]);
    assert_eq!(v[0]["activity_name"], "PAM Authentication Failure");
    let e = &v[1];
    assert_eq!(e["activity_id"], 1, "{e}");
    assert_eq!(e["status_id"], 2, "{e}");
    assert_eq!(e["actor"]["user"]["name"], "alice", "{e}");
    assert_eq!(e["unmapped"]["polkit"]["subject"], "system-bus-name::1.95");
    assert_eq!(
        e["unmapped"]["polkit"]["subject_cmd_line"],
        "systemctl restart nginx"
    );

    let e = map1(
        "Jun  9 10:01:10 web1 polkitd[900]: Registered Authentication Agent for unix-session:3 (system bus name :1.60 [/usr/bin/gnome-shell], object path /org/freedesktop/PolicyKit1/AuthenticationAgent, locale en_US.UTF-8)",
    );
    assert_eq!(e["class_uid"], 3004, "{e}");
    assert_eq!(e["activity_id"], 1, "{e}");
    assert_eq!(e["entity"]["type"], "Authentication Agent", "{e}");
    assert_eq!(e["entity"]["name"], "unix-session:3", "{e}");
    assert_eq!(
        e["actor"]["process"]["file"]["path"],
        "/usr/bin/gnome-shell"
    );
    let e = map1(
        "Jun  9 10:01:11 web1 polkitd[900]: Unregistered Authentication Agent for unix-session:3 (system bus name :1.60, object path /org/freedesktop/PolicyKit1/AuthenticationAgent, locale en_US.UTF-8) (disconnected from bus)",
    );
    assert_eq!(e["activity_id"], 4, "{e}");
    assert_eq!(e["status_detail"], "disconnected from bus", "{e}");
}

#[test]
fn network_manager_connections_and_addresses() {
    let e = map1(
        "Jun  9 10:02:00 web1 NetworkManager[700]: <info>  [1717927320.1234] audit: op=\"connection-activate\" uuid=\"6a1c7f3e-0b2d-4c7e-9a55-1d2e3f4a5b6c\" name=\"Wired connection 1\" pid=2345 uid=1000 result=\"success\"",
    );
    assert_eq!(e["class_uid"], 3004, "{e}");
    assert_eq!(e["activity_id"], 3, "{e}");
    assert_eq!(e["status_id"], 1, "{e}");
    assert_eq!(e["entity"]["name"], "Wired connection 1", "{e}");
    assert_eq!(e["entity"]["uid"], "6a1c7f3e-0b2d-4c7e-9a55-1d2e3f4a5b6c");
    assert_eq!(e["entity"]["type"], "Network Connection");
    assert_eq!(e["actor"]["user"]["uid"], "1000", "{e}");
    assert_eq!(e["actor"]["process"]["pid"], 2345, "{e}");
    let e = map1(
        "Jun  9 10:02:01 web1 NetworkManager[700]: <info>  [1717927321.0001] audit: op=\"connection-delete\" uuid=\"6a1c7f3e-0b2d-4c7e-9a55-1d2e3f4a5b6c\" name=\"Wired connection 1\" pid=2345 uid=0 result=\"fail\" reason=\"Insufficient privileges\"",
    );
    assert_eq!(e["activity_id"], 4, "{e}");
    assert_eq!(e["status_id"], 2, "{e}");

    let v = map(&[
        "Jun  9 10:02:02 web1 NetworkManager[700]: <info>  [1717927322.1000] device (eth0): Activation: starting connection 'Wired connection 1' (6a1c7f3e-0b2d-4c7e-9a55-1d2e3f4a5b6c)",
        "Jun  9 10:02:02 web1 NetworkManager[700]: <info>  [1717927322.2000] device (eth0): state change: ip-config -> ip-check (reason 'none', sys-iface-state: 'managed')",
        "Jun  9 10:02:02 web1 NetworkManager[700]: <info>  [1717927322.3000] dhcp4 (eth0): state changed new lease, address=192.0.2.50",
        "Jun  9 10:02:02 web1 NetworkManager[700]: <info>  [1717927322.3001] dhcp4 (eth0):   address 192.0.2.50",
        "Jun  9 10:02:03 web1 NetworkManager[700]: <info>  [1717927323.0000] device (eth0): Activation: successful, device activated.",
        "Jun  9 10:02:04 web1 NetworkManager[700]: <warn>  [1717927324.0000] device (wlan0): Activation: failed for connection 'HomeWiFi'",
    ]);
    for e in &v {
        assert_eq!(e["class_uid"], 5002, "{e}");
        assert!(e["device"]["interface_name"].is_string(), "{e}");
    }
    assert_eq!(v[0]["unmapped"]["connection"], "Wired connection 1");
    assert_eq!(v[1]["unmapped"]["new_state"], "ip-check");
    assert_eq!(v[1]["unmapped"]["reason"], "none");
    assert_eq!(v[2]["device"]["ip"], "192.0.2.50", "{}", v[2]);
    assert_eq!(v[2]["device"]["hostname"], "web1");
    assert_eq!(v[3]["device"]["ip"], "192.0.2.50", "{}", v[3]);
    assert_eq!(v[4]["status_id"], 1);
    assert_eq!(v[5]["status_id"], 2);
    assert_eq!(v[5]["device"]["interface_name"], "wlan0");
}

#[test]
fn firewalld_errors_and_warnings() {
    let e = map1(
        "Jun  9 10:03:00 web1 firewalld[650]: ERROR: COMMAND_FAILED: '/usr/sbin/iptables-restore -w -n' failed: iptables-restore: line 3 failed",
    );
    assert_eq!(e["class_uid"], 5002, "{e}");
    assert_eq!(e["status_id"], 2, "{e}");
    assert_eq!(e["severity_id"], 3, "{e}");
    assert_eq!(e["status_code"], "COMMAND_FAILED", "{e}");
    let e = map1(
        "Jun  9 10:03:01 web1 firewalld[650]: WARNING: ALREADY_ENABLED: 'ssh' already in 'public'",
    );
    assert_eq!(e["status_id"], 99, "{e}");
    assert_eq!(e["severity_id"], 2, "{e}");
    assert_eq!(e["status_code"], "ALREADY_ENABLED", "{e}");
    assert_eq!(e["status_detail"], "'ssh' already in 'public'", "{e}");
}

#[test]
fn audit_daemon_messages() {
    let v = map(&[
        "Jun  9 10:04:00 web1 auditd[600]: Init complete, auditd 3.1.2 listening for events (startup state enable)",
        "Jun  9 10:04:01 web1 auditd[600]: Audit daemon rotating log files",
        "Jun  9 10:04:02 web1 auditd[600]: Audit daemon is low on disk space for logging",
        "Jun  9 10:04:03 web1 auditd[600]: Audit daemon is suspending logging due to no space left on logging partition.",
        "Jun  9 10:04:04 web1 auditd[600]: The audit daemon is exiting.",
    ]);
    let got: Vec<(i64, i64, i64, i64)> = v
        .iter()
        .map(|e| {
            (
                e["class_uid"].as_i64().unwrap_or(-1),
                e["activity_id"].as_i64().unwrap_or(-1),
                e["status_id"].as_i64().unwrap_or(-1),
                e["severity_id"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (6002, 3, 1, 1),
            (6002, 99, 1, 1),
            (6002, 99, 2, 3),
            (6002, 99, 2, 4),
            (6002, 4, 1, 1)
        ]
    );
    assert_eq!(v[0]["app"]["version"], "3.1.2");
    assert_eq!(v[2]["activity_name"], "Low Disk Space");
    assert_eq!(v[3]["activity_name"], "Logging Suspended");
    for e in &v {
        assert_eq!(e["app"]["name"], "auditd", "{e}");
    }
}

/// The kernel prints audit records (type numbers, `audit(...)` without
/// `msg=`) when no audit daemon takes them; an AppArmor denial there is the
/// same access decision as in audit.log. audisp-syslog's forwarded records
/// map as records too.
#[test]
fn kernel_and_relayed_audit_records_map_as_audit_records() {
    let e = map1(
        "Jun  9 10:05:00 web1 kernel: [ 1234.567890] audit: type=1400 audit(1717927500.123:456): apparmor=\"DENIED\" operation=\"open\" profile=\"/usr/sbin/cupsd\" name=\"/etc/shadow\" pid=1234 comm=\"cupsd\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0",
    );
    assert_eq!(e["class_uid"], 1001, "{e}");
    assert_eq!(e["status_id"], 2, "{e}");
    assert_eq!(e["disposition_id"], 2, "{e}");
    assert_eq!(e["file"]["path"], "/etc/shadow", "{e}");
    assert_eq!(e["metadata"]["event_code"], "AVC", "{e}");
    assert_eq!(e["metadata"]["uid"], "1717927500.123:456", "{e}");
    assert_eq!(e["device"]["hostname"], "web1", "{e}");
    assert_eq!(e["time"], 1_717_927_500_123_i64, "{e}");

    // The same record from journald's kernel transport.
    let e = map1(
        r#"{"__REALTIME_TIMESTAMP":"1717927500200000","_HOSTNAME":"web2","_TRANSPORT":"kernel","SYSLOG_IDENTIFIER":"kernel","PRIORITY":"5","MESSAGE":"audit: type=1400 audit(1717927500.200:457): apparmor=\"DENIED\" operation=\"exec\" profile=\"snap.app\" name=\"/usr/bin/nc\" pid=2222 comm=\"sh\" requested_mask=\"x\" denied_mask=\"x\" fsuid=1000 ouid=0"}"#,
    );
    assert_eq!(e["metadata"]["event_code"], "AVC", "{e}");
    assert_eq!(e["status_id"], 2, "{e}");
    assert_eq!(e["device"]["hostname"], "web2", "{e}");

    let e = map1(
        "Jun  9 10:05:01 web1 audisp-syslog: type=USER_LOGIN msg=audit(1717927501.000:460): pid=5000 uid=0 auid=1000 ses=4 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=198.51.100.7 addr=198.51.100.7 terminal=ssh res=success'",
    );
    assert_eq!(e["class_uid"], 3002, "{e}");
    assert_eq!(e["activity_id"], 1, "{e}");
    assert_eq!(e["src_endpoint"]["ip"], "198.51.100.7", "{e}");
    assert_eq!(e["device"]["hostname"], "web1", "{e}");
}

#[test]
fn kernel_fault_lines_are_failed_terminations() {
    let e = map1(
        "Jun  9 10:06:00 web1 kernel: [ 2345.678901] nginx[4242]: segfault at 0 ip 00007f3a1c2b3d4e sp 00007ffd5e6f7a80 error 4 in libc.so.6[7f3a1c200000+195000] likely on CPU 1 (core 1, socket 0)",
    );
    assert_eq!(e["class_uid"], 1007, "{e}");
    assert_eq!(e["activity_id"], 2, "{e}");
    assert_eq!(e["status_id"], 2, "{e}");
    assert_eq!(e["process"]["name"], "nginx", "{e}");
    assert_eq!(e["process"]["pid"], 4242, "{e}");
    assert_eq!(e["status_code"], "SIGSEGV", "{e}");
    assert_eq!(e["status_detail"], "segfault", "{e}");
    assert_eq!(e["unmapped"]["fault"]["address"], "0", "{e}");
    assert_eq!(e["unmapped"]["fault"]["error"], "4", "{e}");
    assert_eq!(e["unmapped"]["fault"]["module"], "libc.so.6", "{e}");
    let e = map1(
        "Jun  9 10:06:01 web1 kernel: traps: python3[5151] general protection fault ip:7f0a2b3c4d5e sp:7ffc1a2b3c40 error:0 in libpython3.11.so.1.0[7f0a2b200000+2b0000]",
    );
    assert_eq!(e["activity_id"], 2, "{e}");
    assert_eq!(e["process"]["name"], "python3", "{e}");
    assert_eq!(e["status_detail"], "general protection fault", "{e}");
    assert_eq!(e["unmapped"]["fault"]["ip"], "7f0a2b3c4d5e", "{e}");
    assert_eq!(e["unmapped"]["fault"]["module"], "libpython3.11.so.1.0");
    let e = map1(
        "Jun  9 10:06:02 web1 kernel: traps: a.out[777] trap invalid opcode ip:401136 sp:7ffe0 error:0 in a.out[401000+1000]",
    );
    assert_eq!(e["status_code"], "SIGILL", "{e}");
}

/// Messages of these programs that carry no security meaning stay counted
/// fallbacks (`unrecognized_message`), never silently gone.
#[test]
fn other_messages_of_these_programs_are_counted_fallbacks() {
    let lines = [
        "Jun  9 10:07:00 web1 polkitd[900]: Loading rules from directory /etc/polkit-1/rules.d",
        "Jun  9 10:07:01 web1 NetworkManager[700]: <info>  [1717927621.0000] manager: NetworkManager state is now CONNECTED_GLOBAL",
        "Jun  9 10:07:02 web1 firewalld[650]: firewalld running",
        "Jun  9 10:07:03 web1 auditd[600]: audit dispatcher initialized with q_depth=2000 and 1 active plugins",
        "Jun  9 10:07:04 web1 systemd-logind[812]: Watching system buttons on /dev/input/event0 (Power Button)",
    ];
    let mut m = mapper();
    for l in lines {
        let v = m.map_line(l);
        assert_eq!(v.len(), 1, "{l}");
        let e = check(&v[0]);
        assert_eq!(e["class_uid"], 0, "{e}");
        assert_eq!(
            e["unmapped"]["fallback"]["reason"], "unrecognized_message",
            "{e}"
        );
    }
    assert_eq!(
        m.stats().fallback.get(&FallbackReason::UnrecognizedMessage),
        Some(&5)
    );
}

/// dbus-daemon's service activations carry no actor or decision: like any
/// program without a mapper, they stay counted fallbacks.
#[test]
fn dbus_activations_stay_fallbacks() {
    let e = map1(
        "Jun  9 10:08:00 web1 dbus-daemon[640]: [system] Successfully activated service 'org.freedesktop.hostname1'",
    );
    assert_eq!(e["class_uid"], 0, "{e}");
    assert_eq!(
        e["unmapped"]["fallback"]["reason"], "unknown_program",
        "{e}"
    );
}

/// Every prefix of every fixture line above (a line cut anywhere) maps
/// without a panic to valid events.
#[test]
fn cut_lines_of_these_programs_never_panic() {
    let src = include_str!("semantics_programs.rs");
    let fixtures: Vec<String> = src
        .lines()
        .filter_map(|l| l.trim().strip_prefix("\"Jun  9 "))
        .map(|l| {
            let l = l
                .trim_end_matches(',')
                .trim_end_matches(')')
                .trim_end_matches('"');
            format!("Jun  9 {}", l.replace("\\\"", "\""))
        })
        .collect();
    assert!(fixtures.len() >= 30, "{}", fixtures.len());
    let mut m = mapper();
    for line in &fixtures {
        for (i, _) in line.char_indices().skip(16) {
            for e in m.map_line(&line[..i]) {
                check(&e);
            }
        }
    }
    for e in m.finish() {
        check(&e);
    }
}

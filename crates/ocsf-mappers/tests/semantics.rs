//! Semantic tests: per message kind, what a detection engineer's query reads
//! (class, activity, status, user, endpoints, actor, correlation, severity),
//! asserted explicitly, from the formats' documented shapes and real sample
//! lines. The golden tests pin whole events; these pin meaning.

mod common;

use common::{map, map1};
use serde_json::Value;

fn is_logon(e: &Value) -> bool {
    e["class_uid"] == 3002 && e["activity_id"] == 1
}

/// Whether any observable carries `value`.
fn observed(e: &Value, value: &str) -> bool {
    e["observables"]
        .as_array()
        .is_some_and(|a| a.iter().any(|o| o["value"] == value))
}

/// One sshd password attempt as OpenSSH logs it (loghub `OpenSSH_2k.log`):
/// five lines, one canonical Logon failure; the other four corroborate it
/// under their own captions, and all five share one correlation id.
#[test]
fn one_sshd_attempt_is_one_logon_and_one_connection() {
    let v = map(&[
        "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
        "Dec 10 06:55:46 LabSZ sshd[24200]: input_userauth_request: invalid user webmaster [preauth]",
        "Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): check pass; user unknown",
        "Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 ",
        "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2",
        "Dec 10 06:55:48 LabSZ sshd[24200]: Connection closed by 173.234.31.186 [preauth]",
    ]);
    let logons: Vec<&Value> = v.iter().filter(|e| is_logon(e)).collect();
    assert_eq!(logons.len(), 1, "{v:#?}");
    let failed = logons[0];
    assert_eq!(failed["status_id"], 2);
    assert_eq!(failed["user"]["name"], "webmaster");
    assert_eq!(failed["src_endpoint"]["ip"], "173.234.31.186");
    assert_eq!(failed["src_endpoint"]["port"], 38926);
    assert_eq!(failed["auth_protocol"], "password");
    let captions: Vec<&str> = v[..4]
        .iter()
        .map(|e| {
            assert_eq!(e["class_uid"], 3002, "{e}");
            assert_eq!(e["activity_id"], 99, "{e}");
            e["activity_name"].as_str().unwrap_or_default()
        })
        .collect();
    assert_eq!(
        captions,
        [
            "Invalid User",
            "Invalid User Request",
            "PAM Authentication Failure",
            "PAM Authentication Failure"
        ]
    );
    let uid = &v[0]["metadata"]["correlation_uid"];
    assert!(uid.is_string(), "{}", v[0]);
    for e in &v {
        assert_eq!(&e["metadata"]["correlation_uid"], uid, "{e}");
        // The daemon's pid in one attribute, whatever the class.
        assert_eq!(e["actor"]["process"]["pid"], 24200, "{e}");
        assert!(e.get("logon_process").is_none(), "{e}");
    }
}

/// A pid reused by a later connection gets another correlation id; two
/// connections at once keep theirs.
#[test]
fn correlation_ids_tell_connections_apart() {
    let v = map(&[
        "Jun  9 10:00:00 h sshd[100]: Failed password for root from 192.0.2.1 port 1000 ssh2",
        "Jun  9 10:00:00 h sshd[200]: Failed password for root from 192.0.2.2 port 2000 ssh2",
        "Jun  9 10:00:01 h sshd[100]: Received disconnect from 192.0.2.1: 11: Bye Bye [preauth]",
        "Jun  9 10:00:01 h sshd[100]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.1  user=root",
        "Jun  9 10:00:02 h sshd[200]: Connection closed by 192.0.2.2 [preauth]",
        "Jun  9 11:00:00 h sshd[100]: Failed password for admin from 192.0.2.9 port 3000 ssh2",
        "Jun  9 11:00:00 other sshd[100]: Failed password for admin from 192.0.2.9 port 3001 ssh2",
    ]);
    let uid = |i: usize| {
        v[i]["metadata"]["correlation_uid"]
            .as_str()
            .unwrap_or_default()
    };
    assert_eq!(uid(0), uid(2));
    assert_eq!(uid(0), uid(3), "the PAM summary right after the disconnect");
    assert_eq!(uid(1), uid(4));
    assert_ne!(uid(0), uid(1));
    assert_ne!(uid(0), uid(5), "pid 100 reused an hour later");
    assert_ne!(uid(5), uid(6), "another host");
    assert!(uid(0).contains("sshd[100]"), "{}", uid(0));
}

/// `PAM N more authentication failures` repeats failures already logged:
/// it must not carry `count`, or summing `count` double-counts.
#[test]
fn pam_more_failures_are_not_a_count() {
    let e = map1(
        "Dec 10 07:13:56 LabSZ sshd[24227]: PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om  user=root",
    );
    assert_eq!(e["activity_id"], 99);
    assert!(e.get("count").is_none(), "{e}");
    assert_eq!(e["unmapped"]["more_failures"], 5);
    // `message repeated N times` of a canonical line is N attempts.
    let e = map1(
        "Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]",
    );
    assert!(is_logon(&e));
    assert_eq!(e["count"], 5);
}

/// One login: `Accepted` is the Logon; PAM's and logind's session lines and
/// auditd's `USER_ACCT` (an account check) corroborate it.
#[test]
fn one_login_is_one_successful_logon() {
    let v = map(&[
        "Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2",
        "Dec 10 09:32:20 LabSZ sshd[24680]: pam_unix(sshd:session): session opened for user fztu by (uid=0)",
        "Dec 10 09:32:20 LabSZ systemd-logind[1020]: New session 16 of user fztu.",
        r#"type=USER_ACCT msg=audit(1717927502.300:503): pid=24680 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:accounting grantors=pam_unix acct="fztu" exe="/usr/sbin/sshd" hostname=119.137.62.142 addr=119.137.62.142 terminal=ssh res=success'"#,
    ]);
    let logons: Vec<&Value> = v.iter().filter(|e| is_logon(e)).collect();
    assert_eq!(logons.len(), 1, "{v:#?}");
    assert_eq!(logons[0]["status_id"], 1);
    assert_eq!(logons[0]["user"]["name"], "fztu");
    let captions: Vec<&Value> = v[1..].iter().map(|e| &e["activity_name"]).collect();
    assert_eq!(
        captions,
        ["PAM Session Opened", "Session Created", "Account Check"]
    );
}

/// The key of a key logon is typed: the fingerprint is a `Fingerprint`
/// observable (the pivot for a stolen key), not a string in `unmapped`.
#[test]
fn ssh_key_fingerprint_is_typed() {
    let e = map1(
        "Jun  9 10:00:00 bastion sshd[4242]: Accepted publickey for alice from 192.0.2.10 port 50022 ssh2: RSA SHA256:Zx9pQ0k1nLq3oUu7e2m4W1vX5yB8cD0fG6hJ2kL4mN8",
    );
    assert!(is_logon(&e));
    assert_eq!(e["unmapped"]["ssh_key"]["type"], "RSA");
    let fp = "SHA256:Zx9pQ0k1nLq3oUu7e2m4W1vX5yB8cD0fG6hJ2kL4mN8";
    assert_eq!(e["unmapped"]["ssh_key"]["fingerprint"], fp);
    let obs = e["observables"]
        .as_array()
        .and_then(|a| a.iter().find(|o| o["value"] == fp))
        .unwrap_or_else(|| panic!("no observable for the fingerprint: {e}"));
    assert_eq!(obs["type_id"], 30);
    assert!(e["unmapped"].get("key").is_none());
}

/// Whether the event has a `User Name` observable.
fn has_user_observable(e: &Value) -> bool {
    e["observables"]
        .as_array()
        .is_some_and(|a| a.iter().any(|o| o["type_id"] == 4))
}

/// Placeholders name nobody: no user name from them and no observable. (An
/// Authentication's `user` is required and OCSF's `user` needs a name or uid,
/// so a user nobody names is the schema's `unknown` filler, never observed.)
#[test]
fn placeholder_user_names_are_not_users() {
    let e =
        map1("Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): check pass; user unknown");
    assert_eq!(e["user"]["name"], "unknown", "{e}");
    assert!(!has_user_observable(&e), "{e}");
    let e = map1(
        "Jun  9 10:02:03 web1 login(pam_unix)[6002]: session opened for user root by LOGIN(uid=0)",
    );
    assert!(e["actor"].get("user").is_none(), "{e}");
    assert_eq!(e["actor"]["process"]["user"]["uid"], "0");
    assert!(!observed(&e, "LOGIN"), "{e}");
    let e = map1(
        "Jun  9 10:00:01 h sshd[4243]: Failed password for invalid user ***** from 198.51.100.7 port 40022 ssh2",
    );
    assert_eq!(e["user"]["name"], "unknown", "{e}");
    assert!(!observed(&e, "*****") && !has_user_observable(&e), "{e}");
}

/// `user@domain` is split: `user.name` is the name, `user.domain` the domain.
#[test]
fn user_at_domain_is_split() {
    let e = map1(
        "Jun  9 10:00:00 h sshd[4242]: Accepted password for jdoe@corp.example from 192.0.2.10 port 50022 ssh2",
    );
    assert_eq!(e["user"]["name"], "jdoe");
    assert_eq!(e["user"]["domain"], "corp.example");
}

/// `FAILED LOGIN 1 FROM tty1`: `tty1` is the terminal, not a host.
#[test]
fn a_terminal_is_not_a_host() {
    let e = map1(
        "Jun  9 10:00:00 web1 login[900]: FAILED LOGIN 1 FROM tty1 FOR root, Authentication failure",
    );
    assert!(is_logon(&e), "{e}");
    assert_eq!(e["status_id"], 2);
    assert!(e.get("src_endpoint").is_none(), "{e}");
    assert!(!observed(&e, "tty1"), "{e}");
    assert_eq!(e["session"]["terminal"], "tty1");
    // A remote host stays the source.
    let e = map1(
        "Jun  9 10:00:00 web1 login[900]: FAILED LOGIN 1 FROM 192.0.2.5 FOR root, Authentication failure",
    );
    assert_eq!(e["src_endpoint"]["ip"], "192.0.2.5");
}

/// sshd's reverse-mapping notice is DNS noise: Low, not Medium.
#[test]
fn possible_break_in_notice_is_low_severity() {
    let e = map1(
        "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
    );
    assert_eq!(e["class_uid"], 4007);
    assert_eq!(e["severity_id"], 2);
    assert_eq!(e["src_endpoint"]["ip"], "173.234.31.186");
}

/// auditd account records: `USER_CHAUTHTOK` is a password change only when
/// `op` says so; useradd's `USER_MGMT op=add-home-dir` is not a second
/// account creation.
#[test]
fn auditd_account_changes_read_op() {
    let e = map1(
        r#"type=USER_CHAUTHTOK msg=audit(1717927502.300:600): pid=7000 uid=0 auid=1000 ses=3 msg='op=changing-shell id=1001 exe="/usr/sbin/usermod" hostname=web1 addr=? terminal=pts/0 res=success'"#,
    );
    assert_eq!(e["class_uid"], 3001);
    assert_eq!(e["activity_id"], 99, "{e}");
    assert_eq!(e["activity_name"], "changing-shell");
    let e = map1(
        r#"type=USER_CHAUTHTOK msg=audit(1717927502.400:601): pid=7001 uid=0 auid=1000 ses=3 msg='op=PAM:chauthtok grantors=pam_unix acct="bob" exe="/usr/bin/passwd" hostname=web1 addr=? terminal=pts/0 res=success'"#,
    );
    assert_eq!(e["activity_id"], 3, "Password Change: {e}");
    assert_eq!(e["user"]["name"], "bob");
    let e = map1(
        r#"type=USER_MGMT msg=audit(1717927502.500:602): pid=7002 uid=0 auid=1000 ses=3 msg='op=add-home-dir id=1002 exe="/usr/sbin/useradd" hostname=web1 addr=? terminal=pts/0 res=success'"#,
    );
    assert_eq!(e["class_uid"], 3001);
    assert_ne!(e["activity_id"], 1, "not a second Create: {e}");
    assert_eq!(e["activity_name"], "add-home-dir");
}

/// A failed `sudo` password prompt: the PAM line corroborates sudo's own
/// `incorrect password attempts` line, which is the canonical Logon failure;
/// the run-as user is the target (`user`), the invoker is `actor.user`, and
/// the command sudo was asked to run is typed on `actor.process`.
#[test]
fn sudo_incorrect_password_types_target_and_command() {
    let v = map(&[
        "Jun  9 10:00:01 host sudo: pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice",
        "Jun  9 10:00:09 host sudo:    alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash -i",
    ]);
    assert_eq!(v.len(), 2, "{v:#?}");
    let pam = &v[0];
    assert_eq!(pam["class_uid"], 3002);
    assert_eq!(pam["activity_id"], 99);
    assert_eq!(pam["status_id"], 2);
    assert_eq!(pam["user"]["name"], "alice");
    assert_eq!(pam["actor"]["user"]["name"], "alice");
    let logons: Vec<&Value> = v.iter().filter(|e| is_logon(e)).collect();
    assert_eq!(logons.len(), 1, "{v:#?}");
    let e = logons[0];
    assert_eq!(e["status_id"], 2);
    assert_eq!(e["count"], 3);
    assert_eq!(e["user"]["name"], "root");
    assert_eq!(e["actor"]["user"]["name"], "alice");
    assert_eq!(e["actor"]["process"]["name"], "sudo");
    assert_eq!(e["actor"]["process"]["cmd_line"], "/bin/bash -i");
    assert_eq!(e["logon_type_id"], 9);
    assert_eq!(e["is_remote"], false);
    assert!(e["unmapped"]["command"].is_null(), "{e}");
    assert!(e["unmapped"]["run_as"].is_null(), "{e}");
    assert_eq!(e["unmapped"]["cwd"], "/home/alice");
}

/// A relay that writes its address as the syslog HOSTNAME (RFC 3164 and
/// RFC 5424): the address is the device's IP, never its hostname.
#[test]
fn syslog_hostname_that_is_an_address_is_device_ip() {
    for line in [
        "Jun  9 10:00:01 192.0.2.10 sshd[77]: Accepted password for bob from 198.51.100.2 port 50022 ssh2",
        "<38>1 2024-06-09T10:00:01Z 192.0.2.10 sshd 77 - - Accepted password for bob from 198.51.100.2 port 50022 ssh2",
    ] {
        let v = map(&[line]);
        let logons: Vec<&Value> = v.iter().filter(|e| is_logon(e)).collect();
        assert_eq!(logons.len(), 1, "{v:#?}");
        let e = logons[0];
        assert_eq!(e["status_id"], 1);
        assert_eq!(e["user"]["name"], "bob");
        assert_eq!(e["device"]["ip"], "192.0.2.10", "{e}");
        assert!(e["device"]["hostname"].is_null(), "{e}");
        assert!(e["device"]["name"].is_null(), "{e}");
        assert_eq!(e["dst_endpoint"]["ip"], "192.0.2.10", "{e}");
        assert!(e["dst_endpoint"]["hostname"].is_null(), "{e}");
    }
    let e = map1(
        "Jun  9 10:00:01 10.20.30.40 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
    );
    assert_eq!(e["class_uid"], 1007);
    assert_eq!(e["device"]["ip"], "10.20.30.40", "{e}");
    assert!(e["device"]["hostname"].is_null(), "{e}");
}

/// pam_unix's `by LOGNAME(uid=N)` is two identities: the terminal's login
/// name and the real uid of the process calling PAM (`by alice(uid=0)` under
/// sudo). The name is `actor.user`, the uid the actor process's user; a
/// failure's `uid=` / `euid=` are the calling process's too, never merged into
/// `ruser` (the actor) or `user` (the account tried).
#[test]
fn pam_login_name_and_process_uid_are_not_one_user() {
    let e = map1(
        "Jun  9 10:05:00 web1 sudo[9000]: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=0)",
    );
    assert_eq!(e["user"]["name"], "root", "{e}");
    assert_eq!(e["user"]["uid"], "0", "{e}");
    assert_eq!(e["actor"]["user"]["name"], "alice", "{e}");
    assert!(e["actor"]["user"].get("uid").is_none(), "{e}");
    assert_eq!(e["actor"]["process"]["user"]["uid"], "0", "{e}");
    assert_eq!(e["actor"]["process"]["name"], "sudo", "{e}");

    let e = map1(
        "Jun  9 10:05:01 web1 su[9001]: pam_unix(su:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/1 ruser=alice rhost=  user=root",
    );
    assert!(is_logon(&e), "{e}");
    assert_eq!(e["status_id"], 2, "{e}");
    assert_eq!(e["user"]["name"], "root", "{e}");
    assert!(e["user"].get("uid").is_none(), "{e}");
    assert_eq!(e["actor"]["user"]["name"], "alice", "{e}");
    assert!(e["actor"]["user"].get("uid").is_none(), "{e}");
    assert_eq!(e["actor"]["process"]["user"]["uid"], "1000", "{e}");
    assert_eq!(e["actor"]["process"]["euid"], 0, "{e}");
}

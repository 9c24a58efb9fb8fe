//! Linux mapping: one fixture line (written for these tests) per recognized
//! message type, with the class, activity and key fields it must produce.

mod common;

use common::check;
use ocsf_mappers::formats::time::days_from_civil;
use ocsf_mappers::{FallbackReason, LinuxMapper, MessageContext, SourceConfig};
use serde_json::{Value, json};

/// 2024-06-10T00:00:00Z.
const REF_MS: i64 = 1_717_977_600_000;

fn config() -> SourceConfig {
    SourceConfig::linux()
        .with_reference_ms(REF_MS)
        .with_log_name("syslog")
        .with_tenant_uid("123456789012")
}

/// Maps `lines` (then flushes) and returns every event as checked JSON.
fn map_all(lines: &[&str]) -> Vec<Value> {
    let mut m = LinuxMapper::new(config());
    let mut out = Vec::new();
    for l in lines {
        out.extend(m.map_line(l));
    }
    out.extend(m.finish());
    out.iter().map(check).collect()
}

fn map1(line: &str) -> Value {
    let v = map_all(&[line]);
    assert_eq!(v.len(), 1, "{line}: {v:?}");
    v.into_iter().next().unwrap_or_default()
}

fn get<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |cur, k| match k.parse::<usize>() {
        Ok(i) => &cur[i],
        Err(_) => &cur[k],
    })
}

/// Asserts class, activity and the given `(path, value)` pairs.
fn expect(line: &str, class_uid: i64, activity_id: i64, fields: &[(&str, Value)]) -> Value {
    let v = map1(line);
    assert_eq!(v["class_uid"], class_uid, "{line}: {v}");
    assert_eq!(v["activity_id"], activity_id, "{line}: {v}");
    for (path, want) in fields {
        assert_eq!(get(&v, path), want, "{line}: {path} in {v}");
    }
    v
}

fn ms(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64) -> i64 {
    days_from_civil(y, mo, d) * 86_400_000 + ((h * 60 + mi) * 60 + s) * 1000
}

#[test]
fn sshd_logons_and_failures() {
    let v = expect(
        "Jun  9 10:00:00 bastion sshd[4242]: Accepted publickey for alice from 192.0.2.10 port 50022 ssh2: ED25519 SHA256:k3y",
        3002,
        1,
        &[
            ("status_id", json!(1)),
            ("user.name", json!("alice")),
            ("src_endpoint.ip", json!("192.0.2.10")),
            ("src_endpoint.port", json!(50022)),
            ("dst_endpoint.hostname", json!("bastion")),
            ("dst_endpoint.svc_name", json!("ssh")),
            ("service.name", json!("sshd")),
            ("actor.process.pid", json!(4242)),
            ("logon_type_id", json!(10)),
            ("is_remote", json!(true)),
            ("auth_protocol", json!("publickey")),
            ("auth_protocol_id", json!(99)),
            ("unmapped.ssh_key.type", json!("ED25519")),
            ("unmapped.ssh_key.fingerprint", json!("SHA256:k3y")),
            (
                "metadata.correlation_uid",
                json!("bastion:sshd[4242]:1717927200000"),
            ),
            ("device.hostname", json!("bastion")),
            ("time", json!(ms(2024, 6, 9, 10, 0, 0))),
            ("metadata.log_provider", json!("sshd")),
            ("metadata.log_name", json!("syslog")),
            ("metadata.tenant_uid", json!("123456789012")),
            ("metadata.product.name", json!("Linux")),
        ],
    );
    let obs: Vec<(&str, &str)> = v["observables"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|o| {
                    (
                        o["name"].as_str().unwrap_or(""),
                        o["type"].as_str().unwrap_or(""),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(obs.contains(&("user.name", "User Name")), "{obs:?}");
    assert!(obs.contains(&("src_endpoint.ip", "IP Address")), "{obs:?}");
    assert!(obs.contains(&("device.hostname", "Hostname")), "{obs:?}");
    assert!(
        obs.contains(&("unmapped.ssh_key.fingerprint", "Fingerprint")),
        "{obs:?}"
    );
    assert!(
        obs.contains(&("actor.process.name", "Process Name")),
        "{obs:?}"
    );

    expect(
        "Jun  9 10:00:01 bastion sshd[4243]: Failed password for invalid user admin from 198.51.100.7 port 40022 ssh2",
        3002,
        1,
        &[
            ("status_id", json!(2)),
            ("status_detail", json!("Failed password for invalid user")),
            ("user.name", json!("admin")),
            ("auth_protocol", json!("password")),
            ("severity_id", json!(2)),
        ],
    );
    expect(
        "Jun  9 10:00:02 bastion sshd[4244]: Invalid user oracle from 203.0.113.9 port 51000",
        3002,
        99,
        &[
            ("activity_name", json!("Invalid User")),
            ("status_id", json!(2)),
            ("status_detail", json!("Invalid user")),
            ("user.name", json!("oracle")),
        ],
    );
    expect(
        "Jun  9 10:00:03 bastion sshd[4244]: input_userauth_request: invalid user oracle [preauth]",
        3002,
        99,
        &[
            ("activity_name", json!("Invalid User Request")),
            ("status_id", json!(2)),
            ("unmapped.phase", json!("preauth")),
        ],
    );
    expect(
        "Jun  9 10:00:04 bastion sshd[4245]: Disconnecting invalid user oracle 203.0.113.9 port 51000: Too many authentication failures [preauth]",
        3002,
        99,
        &[
            ("activity_name", json!("Too Many Failures")),
            ("status_id", json!(2)),
            ("severity_id", json!(3)),
            ("src_endpoint.port", json!(51000)),
        ],
    );
    expect(
        "Jun  9 10:00:05 bastion sshd[4246]: error: maximum authentication attempts exceeded for root from 198.51.100.8 port 2222 ssh2 [preauth]",
        3002,
        99,
        &[
            ("activity_name", json!("Attempts Exceeded")),
            ("activity_name", json!("Attempts Exceeded")),
            ("status_id", json!(2)),
            ("user.name", json!("root")),
        ],
    );
    expect(
        "Jun  9 10:00:06 bastion sshd[4247]: User bob from 192.0.2.77 not allowed because not listed in AllowUsers",
        3002,
        99,
        &[
            ("activity_name", json!("User Not Allowed")),
            (
                "status_detail",
                json!("not allowed because not listed in AllowUsers"),
            ),
        ],
    );
    expect(
        "Jun  9 10:00:07 bastion sshd[4248]: Disconnected from user alice 192.0.2.10 port 50022",
        3002,
        2,
        &[("status_id", json!(1)), ("user.name", json!("alice"))],
    );
    expect(
        "Jun  9 10:00:08 bastion sshd[4249]: error: PAM: Authentication failure for illegal user test from 192.0.2.99",
        3002,
        99,
        &[
            ("activity_name", json!("PAM Authentication Failure")),
            ("status_id", json!(2)),
            ("user.name", json!("test")),
            ("src_endpoint.ip", json!("192.0.2.99")),
        ],
    );
    // rsyslog's repeat compression is mapped once with its count.
    expect(
        "Jun  9 10:00:09 bastion sshd[4250]: message repeated 4 times: [ Failed password for root from 198.51.100.9 port 4000 ssh2]",
        3002,
        1,
        &[("count", json!(4)), ("status_id", json!(2))],
    );
}

#[test]
fn sshd_connections() {
    expect(
        "Jun  9 10:01:00 bastion sshd[5000]: Connection from 192.0.2.10 port 50022 on 192.0.2.1 port 22 rdomain \"\"",
        4007,
        1,
        &[
            ("src_endpoint.ip", json!("192.0.2.10")),
            ("dst_endpoint.port", json!(22)),
            ("dst_endpoint.ip", json!("192.0.2.1")),
        ],
    );
    expect(
        "Jun  9 10:01:01 bastion sshd[5001]: Received disconnect from 198.51.100.7 port 40022:11: Bye Bye [preauth]",
        4007,
        2,
        &[
            ("status_code", json!("11")),
            ("status_detail", json!("Bye Bye")),
            ("status_id", json!(1)),
        ],
    );
    expect(
        "Jun  9 10:01:02 bastion sshd[5002]: Received disconnect from 198.51.100.7: 14: No more user authentication methods available. [preauth]",
        4007,
        2,
        &[("status_code", json!("14")), ("status_id", json!(2))],
    );
    expect(
        "Jun  9 10:01:03 bastion sshd[5003]: Connection closed by authenticating user root 198.51.100.7 port 40100 [preauth]",
        4007,
        2,
        &[("actor.user.name", json!("root")), ("status_id", json!(2))],
    );
    expect(
        "Jun  9 10:01:04 bastion sshd[5004]: Connection reset by 198.51.100.7 port 40101 [preauth]",
        4007,
        3,
        &[("src_endpoint.port", json!(40101))],
    );
    expect(
        "Jun  9 10:01:05 bastion sshd[5005]: Did not receive identification string from 198.51.100.7 port 40102",
        4007,
        4,
        &[("status_id", json!(2))],
    );
    expect(
        "Jun  9 10:01:06 bastion sshd[5006]: Unable to negotiate with 198.51.100.7 port 40103: no matching host key type found. Their offer: ssh-dss [preauth]",
        4007,
        5,
        &[
            ("status_detail", json!("no matching host key type found")),
            ("unmapped.client_offer", json!("ssh-dss")),
        ],
    );
    expect(
        "Jun  9 10:01:07 bastion sshd[5007]: error: kex_exchange_identification: read: Connection reset by peer",
        4007,
        3,
        &[("src_endpoint.name", json!("unknown"))],
    );
    expect(
        "Jun  9 10:01:08 bastion sshd[5008]: reverse mapping checking getaddrinfo for host-7.example.net [198.51.100.7] failed - POSSIBLE BREAK-IN ATTEMPT!",
        4007,
        99,
        &[
            ("activity_name", json!("Reverse Mapping Check")),
            ("type_uid", json!(400799)),
            ("severity_id", json!(2)),
            ("src_endpoint.ip", json!("198.51.100.7")),
            ("src_endpoint.hostname", json!("host-7.example.net")),
        ],
    );
    expect(
        "Jun  9 10:01:09 bastion sshd[5009]: Starting session: shell on pts/3 for alice from 192.0.2.10 port 50022 id 0",
        4007,
        1,
        &[
            ("connection_info.session.terminal", json!("pts/3")),
            ("connection_info.session.uid", json!("0")),
        ],
    );
    expect(
        "Jun  9 10:01:10 bastion sshd[1]: Server listening on 0.0.0.0 port 22.",
        6002,
        3,
        &[
            ("app.name", json!("sshd")),
            ("unmapped.listen_port", json!(22)),
        ],
    );
}

#[test]
fn pam_sessions_and_failures() {
    expect(
        "Jun  9 10:02:00 web1 sshd[6000]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
        3002,
        99,
        &[
            ("activity_name", json!("PAM Session Opened")),
            ("user.name", json!("alice")),
            ("user.uid", json!("1000")),
            // `by (uid=0)` is sshd's own uid: the process, not a user.
            ("actor.user", Value::Null),
            ("actor.process.user.uid", json!("0")),
            ("unmapped.pam.module", json!("pam_unix")),
            ("unmapped.pam.type", json!("session")),
        ],
    );
    expect(
        "Jun  9 10:02:01 web1 sshd[6000]: pam_unix(sshd:session): session closed for user alice",
        3002,
        99,
        &[
            ("activity_name", json!("PAM Session Closed")),
            ("user.name", json!("alice")),
            ("status_id", json!(1)),
        ],
    );
    expect(
        "Jun  9 10:02:02 web1 su(pam_unix)[6001]: session opened for user news by (uid=0)",
        3002,
        1,
        &[
            ("service.name", json!("su")),
            ("logon_type_id", json!(9)),
            ("actor.process.name", json!("su")),
        ],
    );
    expect(
        "Jun  9 10:02:03 web1 login(pam_unix)[6002]: session opened for user root by LOGIN(uid=0)",
        3002,
        99,
        &[
            ("activity_name", json!("PAM Session Opened")),
            ("logon_type_id", json!(2)),
            // `LOGIN` is login(1)'s placeholder, not an account.
            ("actor.user", Value::Null),
            ("actor.process.user.uid", json!("0")),
        ],
    );
    expect(
        "Jun  9 10:02:04 web1 CRON[6003]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
        3002,
        1,
        &[("logon_type_id", json!(4)), ("service.name", json!("cron"))],
    );
    expect(
        "Jun  9 10:02:05 web1 systemd[6004]: pam_unix(systemd-user:session): session opened for user alice(uid=1000) by (uid=0)",
        3002,
        1,
        &[("logon_type_id", json!(5))],
    );
    expect(
        "Jun  9 10:02:06 web1 sshd[6005]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.4  user=root",
        3002,
        99,
        &[
            ("activity_name", json!("PAM Authentication Failure")),
            ("status_id", json!(2)),
            ("user.name", json!("root")),
            ("src_endpoint.ip", json!("203.0.113.4")),
            ("session.terminal", json!("ssh")),
            ("unmapped.pam.euid", json!("0")),
        ],
    );
    expect(
        "Jun  9 10:02:07 web1 sshd[6006]: pam_unix(sshd:auth): check pass; user unknown",
        3002,
        99,
        &[
            ("activity_name", json!("PAM Authentication Failure")),
            // A placeholder names nobody: the required user gets OCSF's
            // `unknown` filler (no observable; see tests/semantics.rs).
            ("user.name", json!("unknown")),
            ("status_detail", json!("user unknown")),
        ],
    );
    expect(
        "Jun  9 10:02:08 web1 sshd[6007]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.4  user=root",
        3002,
        99,
        &[
            ("activity_name", json!("PAM Authentication Failure")),
            // Already counted by their own lines: not `count`.
            ("count", Value::Null),
            ("unmapped.more_failures", json!(2)),
            ("user.name", json!("root")),
        ],
    );
    expect(
        "Jun  9 10:02:09 web1 sshd[6008]: pam_faillock(sshd:auth): Consecutive login failures for user carol account temporarily locked",
        3001,
        9,
        &[("user.name", json!("carol")), ("severity_id", json!(3))],
    );
    expect(
        "Jun  9 10:02:10 web1 sshd[6009]: PAM unable to dlopen(/usr/lib/security/pam_x.so): /usr/lib/security/pam_x.so: cannot open shared object file",
        1005,
        1,
        &[
            ("status_id", json!(2)),
            ("module.file.path", json!("/usr/lib/security/pam_x.so")),
        ],
    );
    expect(
        "Jun  9 10:02:11 web1 passwd[6010]: pam_unix(passwd:chauthtok): password changed for carol",
        3001,
        3,
        &[("user.name", json!("carol"))],
    );
    expect(
        "Jun  9 10:02:12 web1 unix_chkpwd[6011]: password check failed for user (carol)",
        3002,
        1,
        &[("status_id", json!(2)), ("user.name", json!("carol"))],
    );
}

#[test]
fn sudo_and_su() {
    let v = map_all(&[
        "Jun  9 10:03:00 web1 sudo[7000]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/tar -czf /tmp/x.tgz",
        "Jun  9 10:03:00 web1 sudo[7000]:    alice : (command continued) /etc/ssh /etc/pam.d",
        "Jun  9 10:03:01 web1 sudo[7001]:    alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/cat /etc/shadow",
        "Jun  9 10:03:02 web1 sudo[7002]:      bob : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash",
    ]);
    assert_eq!(v.len(), 3, "the continuation joins its record: {v:?}");
    assert_eq!(v[0]["class_uid"], 1007);
    assert_eq!(v[0]["activity_id"], 1);
    assert_eq!(
        v[0]["process"]["cmd_line"],
        "/usr/bin/tar -czf /tmp/x.tgz /etc/ssh /etc/pam.d"
    );
    assert_eq!(v[0]["process"]["file"]["path"], "/usr/bin/tar");
    assert_eq!(v[0]["process"]["user"]["name"], "root");
    assert_eq!(v[0]["actor"]["user"]["name"], "alice");
    assert_eq!(v[0]["actor"]["process"]["pid"], 7000);
    assert_eq!(v[0]["actor"]["session"]["terminal"], "pts/0");
    assert_eq!(v[0]["unmapped"]["cwd"], "/home/alice");
    assert_eq!(v[0]["status_id"], 1);
    // No pid for the command: a producer-assigned uid keeps `pid`-or-`uid`.
    assert_eq!(v[0]["process"]["uid"].as_str().map(str::len), Some(16));
    assert_eq!(v[1]["class_uid"], 3002);
    assert_eq!(v[1]["count"], 3);
    assert_eq!(v[1]["actor"]["process"]["cmd_line"], "/bin/cat /etc/shadow");
    assert_eq!(v[1]["user"]["name"], "root");
    assert_eq!(v[2]["class_uid"], 1007);
    assert_eq!(v[2]["status_id"], 2);
    assert_eq!(v[2]["status_detail"], "user NOT in sudoers");
    assert_eq!(v[2]["action_id"], 2);

    expect(
        "Jun  9 10:03:03 web1 su[7003]: (to root) alice on pts/0",
        3002,
        1,
        &[
            ("user.name", json!("root")),
            ("actor.user.name", json!("alice")),
            ("session.terminal", json!("pts/0")),
            ("status_id", json!(1)),
        ],
    );
    expect(
        "Jun  9 10:03:04 web1 su[7004]: FAILED SU (to root) bob on pts/1",
        3002,
        1,
        &[("status_id", json!(2)), ("actor.user.name", json!("bob"))],
    );
    expect(
        "Jun  9 10:03:05 web1 su[7005]: FAILED su for root by bob",
        3002,
        1,
        &[("status_id", json!(2)), ("user.name", json!("root"))],
    );
    expect(
        "Jun  9 10:03:06 web1 su[7006]: + pts/2 alice:root",
        3002,
        1,
        &[
            ("status_id", json!(1)),
            ("session.terminal", json!("pts/2")),
        ],
    );
}

#[test]
fn account_and_group_tools() {
    expect(
        "Jun  9 10:04:00 web1 useradd[8000]: new user: name=carol, UID=1002, GID=1002, home=/home/carol, shell=/bin/bash, from=/dev/pts/0",
        3001,
        1,
        &[
            ("user.name", json!("carol")),
            ("user.uid", json!("1002")),
            ("unmapped.home", json!("/home/carol")),
            ("actor.session.terminal", json!("pts/0")),
        ],
    );
    expect(
        "Jun  9 10:04:01 web1 useradd[8000]: new group: name=carol, GID=1002",
        3004,
        1,
        &[
            ("entity.name", json!("carol")),
            ("entity.uid", json!("1002")),
            ("entity.type", json!("Group")),
        ],
    );
    expect(
        "Jun  9 10:04:02 web1 useradd[8000]: add 'carol' to shadow group 'docker'",
        3006,
        99,
        &[
            ("activity_name", json!("Group File Update")),
            ("user.name", json!("carol")),
            ("group.name", json!("docker")),
        ],
    );
    expect(
        "Jun  9 10:04:03 web1 userdel[8001]: delete user 'dave'",
        3001,
        6,
        &[("user.name", json!("dave"))],
    );
    expect(
        "Jun  9 10:04:04 web1 userdel[8001]: delete 'dave' from group 'docker'",
        3006,
        4,
        &[("user.name", json!("dave"))],
    );
    expect(
        "Jun  9 10:04:05 web1 userdel[8001]: removed group 'dave' owned by 'dave'",
        3004,
        4,
        &[("entity.name", json!("dave"))],
    );
    expect(
        "Jun  9 10:04:06 web1 usermod[8002]: change user 'carol' password",
        3001,
        3,
        &[],
    );
    expect(
        "Jun  9 10:04:07 web1 usermod[8002]: lock user 'carol' password",
        3001,
        9,
        &[],
    );
    expect(
        "Jun  9 10:04:08 web1 usermod[8002]: unlock user 'carol' password",
        3001,
        2,
        &[],
    );
    expect(
        "Jun  9 10:04:09 web1 usermod[8002]: change user name 'carol' to 'caroline'",
        3001,
        99,
        &[
            ("activity_name", json!("Rename")),
            ("user_result.name", json!("caroline")),
        ],
    );
    expect(
        "Jun  9 10:04:10 web1 usermod[8002]: change user 'carol' home from '/home/carol' to '/srv/carol'",
        3001,
        99,
        &[
            ("unmapped.attribute", json!("home")),
            ("unmapped.new_value", json!("/srv/carol")),
        ],
    );
    expect(
        "Jun  9 10:04:11 web1 passwd[8003]: password for 'carol' changed by 'root'",
        3001,
        3,
        &[("actor.user.name", json!("root"))],
    );
    expect(
        "Jun  9 10:04:12 web1 chage[8004]: changed password expiry for carol",
        3001,
        99,
        &[("activity_name", json!("Password Expiry Change"))],
    );
    expect(
        "Jun  9 10:04:13 web1 chfn[8005]: changed user 'carol' information",
        3001,
        99,
        &[("activity_name", json!("Information Change"))],
    );
    expect(
        "Jun  9 10:04:14 web1 groupadd[8006]: group added to /etc/group: name=devs, GID=1003",
        3004,
        99,
        &[("entity.uid", json!("1003"))],
    );
    expect(
        "Jun  9 10:04:15 web1 groupdel[8007]: group 'devs' removed from /etc/gshadow",
        3004,
        99,
        &[
            ("entity.name", json!("devs")),
            ("activity_name", json!("Group File Update")),
        ],
    );
    expect(
        "Jun  9 10:04:16 web1 gpasswd[8008]: user carol added by root to group devs",
        3006,
        3,
        &[
            ("actor.user.name", json!("root")),
            ("group.name", json!("devs")),
        ],
    );
    expect(
        "Jun  9 10:04:17 web1 gpasswd[8008]: user carol removed by root from group devs",
        3006,
        4,
        &[("user.name", json!("carol"))],
    );
}

#[test]
fn cron_systemd_kernel_and_classic_daemons() {
    expect(
        "Jun  9 10:05:00 web1 CRON[9000]: (root) CMD (/usr/local/bin/backup.sh --full)",
        1006,
        6,
        &[
            ("job.cmd_line", json!("/usr/local/bin/backup.sh --full")),
            ("job.file.path", json!("/usr/local/bin/backup.sh")),
            ("job.user.name", json!("root")),
            ("actor.process.pid", json!(9000)),
        ],
    );
    expect(
        "Jun  9 10:05:01 web1 crontab[9001]: (carol) REPLACE (carol)",
        1006,
        2,
        &[("job.user.name", json!("carol"))],
    );
    expect(
        "Jun  9 10:05:02 web1 crontab[9001]: (carol) DELETE (carol)",
        1006,
        3,
        &[],
    );
    expect(
        "Jun  9 10:05:03 web1 anacron[9002]: Job `cron.daily' started",
        1006,
        6,
        &[("job.name", json!("cron.daily"))],
    );
    expect(
        "Jun  9 10:06:00 web1 systemd[1]: Started nginx.service - A high performance web server.",
        6002,
        3,
        &[
            ("app.uid", json!("nginx.service")),
            ("app.name", json!("A high performance web server")),
            ("status_id", json!(1)),
        ],
    );
    expect(
        "Jun  9 10:06:01 web1 systemd[1]: nginx.service: Main process exited, code=exited, status=1/FAILURE",
        6002,
        4,
        &[("status_id", json!(2)), ("status_code", json!("1/FAILURE"))],
    );
    expect(
        "Jun  9 10:06:02 web1 systemd[1]: Failed to start A high performance web server.",
        6002,
        3,
        &[("status_id", json!(2))],
    );
    expect(
        "Jun  9 10:06:03 web1 systemd[1]: nginx.service: Deactivated successfully.",
        6002,
        4,
        &[("status_id", json!(1))],
    );
    expect(
        "Jun  9 10:06:04 web1 systemd-logind[600]: New session 42 of user alice.",
        3002,
        99,
        &[
            ("activity_name", json!("Session Created")),
            ("session.uid", json!("42")),
            ("user.name", json!("alice")),
        ],
    );
    expect(
        "Jun  9 10:06:05 web1 systemd-logind[600]: Removed session 42.",
        3002,
        99,
        &[
            ("activity_name", json!("Session Removed")),
            ("session.uid", json!("42")),
        ],
    );
    expect(
        "Jun  9 10:07:00 web1 kernel: [123456.789012] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.5 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=54321 DF PROTO=TCP SPT=51234 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0",
        4001,
        5,
        &[
            ("src_endpoint.ip", json!("203.0.113.5")),
            ("src_endpoint.mac", json!("52:54:00:65:43:21")),
            ("dst_endpoint.port", json!(22)),
            ("dst_endpoint.interface_name", json!("eth0")),
            ("connection_info.protocol_num", json!(6)),
            ("connection_info.direction_id", json!(1)),
            ("connection_info.tcp_flags", json!(2)),
            ("firewall_rule.name", json!("UFW BLOCK")),
            ("disposition_id", json!(2)),
            ("action_id", json!(2)),
            ("traffic.bytes", json!(60)),
            ("unmapped.packet.ttl", json!("52")),
        ],
    );
    expect(
        "Jun  9 10:07:01 web1 kernel: nft drop out: IN= OUT=eth0 SRC=192.0.2.10 DST=198.51.100.53 LEN=76 TTL=64 ID=999 PROTO=UDP SPT=40000 DPT=53 LEN=56",
        4001,
        5,
        &[
            ("disposition_id", json!(6)),
            ("connection_info.direction_id", json!(2)),
            ("src_endpoint.interface_name", json!("eth0")),
        ],
    );
    expect(
        "Jun  9 10:07:02 web1 kernel: IPTABLES-ACCEPT: IN=eth0 OUT= SRC=2001:db8::1 DST=2001:db8::2 LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=1 SEQ=1",
        4001,
        6,
        &[
            ("action_id", json!(1)),
            ("connection_info.protocol_num", json!(58)),
        ],
    );
    expect(
        "Jun  9 10:08:00 web1 ftpd[9100]: connection from 192.0.2.55 (client.example.org) at Sun Jun  9 10:08:00 2024",
        4001,
        1,
        &[
            ("src_endpoint.hostname", json!("client.example.org")),
            ("dst_endpoint.svc_name", json!("ftp")),
        ],
    );
    expect(
        "Jun  9 10:08:01 web1 klogind[9101]: Authentication failed from 192.0.2.56 (192.0.2.56): Permission denied in replay cache code",
        3002,
        1,
        &[("auth_protocol_id", json!(2)), ("status_id", json!(2))],
    );
    expect(
        "Jun  9 10:08:02 web1 logrotate: ALERT exited abnormally with [1]",
        1007,
        2,
        &[("exit_code", json!(1)), ("status_id", json!(2))],
    );
    expect(
        "Jun  9 10:08:03 web1 cups: cupsd startup succeeded",
        6002,
        3,
        &[("app.name", json!("cupsd"))],
    );
    expect(
        "Jun  9 10:08:04 web1 udev[9102]: creating device node '/udev/vcs7'",
        1001,
        1,
        &[("file.path", json!("/udev/vcs7"))],
    );
    expect(
        "Jun  9 10:08:05 web1 login[9103]: ROOT LOGIN ON tty2",
        3002,
        1,
        &[
            ("user.name", json!("root")),
            ("session.terminal", json!("tty2")),
            ("logon_type_id", json!(2)),
        ],
    );
}

#[test]
fn syslog_framings_and_time() {
    // RFC 5424 with an explicit offset.
    let v = expect(
        "<86>1 2024-06-09T10:04:00.123456+02:00 web1 sshd 4242 - - Accepted keyboard-interactive/pam for erin from 2001:db8::7 port 60000 ssh2",
        3002,
        1,
        &[
            ("src_endpoint.ip", json!("2001:db8::7")),
            ("timezone_offset", json!(120)),
            ("metadata.log_level", json!("info")),
        ],
    );
    assert_eq!(v["time"], ms(2024, 6, 9, 8, 4, 0) + 123);
    // RFC 3339 prefix.
    expect(
        "2024-06-09T10:05:00.000000+00:00 web1 sshd[4243]: Accepted password for root from 198.51.100.9 port 4000 ssh2",
        3002,
        1,
        &[("time", json!(ms(2024, 6, 9, 10, 5, 0)))],
    );
    // RFC 3164: the configured zone, and the year inferred across the roll:
    // a December line read in early January is last year's.
    let january = SourceConfig::linux()
        .with_reference_ms(ms(2024, 1, 2, 0, 0, 0))
        .with_utc_offset_secs(-5 * 3600);
    let mut m = LinuxMapper::new(january);
    let v = m.map_line(
        "Dec 31 23:59:59 web1 sshd[1]: Accepted password for root from 192.0.2.1 port 22 ssh2",
    );
    let j = check(&v[0]);
    assert_eq!(j["time"], ms(2024, 1, 1, 4, 59, 59));
    assert_eq!(j["timezone_offset"], -300);
    // Empty hostname: the configured fallback names the device.
    let mut m = LinuxMapper::new(config().with_hostname_fallback("fallback-host"));
    let v = m.map_line(
        "Jun  9 10:00:00  sshd[1]: Accepted password for root from 192.0.2.1 port 22 ssh2",
    );
    assert_eq!(check(&v[0])["device"]["hostname"], "fallback-host");
    // Octal escapes are decoded before matching.
    expect(
        "Jun  9 10:00:00 web1 sshd[1]: Accepted password for root from 192.0.2.1 port 22 ssh2#011",
        3002,
        1,
        &[],
    );
}

#[test]
fn auditd_grouped_and_standalone() {
    let v = map_all(&[
        r#"type=SYSCALL msg=audit(1717927500.100:501): arch=c000003e syscall=59 success=yes exit=0 a0=55d5 a1=55d6 a2=55d7 a3=0 items=2 ppid=4000 pid=4001 auid=1000 uid=1000 gid=1000 euid=1000 egid=1000 tty=pts0 ses=7 comm="curl" exe="/usr/bin/curl" key="exec""#,
        r#"type=EXECVE msg=audit(1717927500.100:501): argc=3 a0="curl" a1="-s" a2=68747470733A2F2F6578616D706C652E636F6D2F"#,
        r#"type=CWD msg=audit(1717927500.100:501): cwd="/home/alice""#,
        r#"type=PATH msg=audit(1717927500.100:501): item=0 name="/usr/bin/curl" inode=1234 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL"#,
        "type=PROCTITLE msg=audit(1717927500.100:501): proctitle=6375726C002D730068747470733A2F2F6578616D706C652E636F6D2F",
        "type=EOE msg=audit(1717927500.100:501): ",
        r#"node=web1 type=SYSCALL msg=audit(1717927501.200:502): arch=c000003e syscall=82 success=no exit=-13 items=4 ppid=1 pid=4100 auid=1000 uid=1000 euid=1000 ses=7 comm="mv" exe="/usr/bin/mv" key="rename""#,
        r#"node=web1 type=CWD msg=audit(1717927501.200:502): cwd="/srv""#,
        r#"node=web1 type=PATH msg=audit(1717927501.200:502): item=0 name="/srv/" nametype=PARENT mode=040755"#,
        r#"node=web1 type=PATH msg=audit(1717927501.200:502): item=1 name="a.txt" mode=0100644 ouid=1000 nametype=DELETE"#,
        r#"node=web1 type=PATH msg=audit(1717927501.200:502): item=2 name="b.txt" mode=0100644 ouid=1000 nametype=CREATE"#,
        "node=web1 type=EOE msg=audit(1717927501.200:502): ",
        r#"type=USER_AUTH msg=audit(1717927502.400:504): pid=5001 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication grantors=? acct="mallory" exe="/usr/sbin/sshd" hostname=203.0.113.66 addr=203.0.113.66 terminal=ssh res=failed'"#,
        r#"type=USER_CMD msg=audit(1717927502.700:507): pid=5003 uid=1000 auid=1000 ses=7 msg='cwd="/home/alice" cmd=73797374656D63746C2072657374617274206E67696E78 exe="/usr/bin/sudo" terminal=pts/0 res=success'"#,
        r#"type=ADD_GROUP msg=audit(1717927502.750:508): pid=5004 uid=0 auid=1000 ses=7 msg='op=add-group acct="devs" exe="/usr/sbin/groupadd" hostname=web1 addr=? terminal=pts/0 res=success'"#,
        r#"type=SERVICE_STOP msg=audit(1717927502.800:509): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='unit=nginx comm="systemd" exe="/usr/lib/systemd/systemd" hostname=? addr=? terminal=? res=success'"#,
        r#"type=AVC msg=audit(1717927502.900:510): avc:  denied  { read } for  pid=6000 comm="httpd" name="secret" tclass=file"#,
        "type=PROCTITLE msg=audit(1717927503.000:511): proctitle=6C73",
    ]);
    let classes: Vec<i64> = v
        .iter()
        .map(|e| e["class_uid"].as_i64().unwrap_or(-1))
        .collect();
    // Standalone user-space records map at once; grouped ones when their EOE
    // arrives; the AVC and the orphan PROCTITLE wait for `finish`.
    assert_eq!(
        classes,
        [1007, 1001, 3002, 1007, 3004, 6002, 1001, 1007],
        "{v:?}"
    );
    let exec = &v[0];
    assert_eq!(exec["process"]["cmd_line"], "curl -s https://example.com/");
    assert_eq!(exec["process"]["pid"], 4001);
    assert_eq!(exec["process"]["parent_process"]["pid"], 4000);
    assert_eq!(exec["actor"]["user"]["uid"], "1000");
    assert_eq!(exec["unmapped"]["cwd"], "/home/alice");
    assert_eq!(exec["metadata"]["labels"], json!(["exec"]));
    assert!(exec["unmapped"].get("key").is_none());
    assert_eq!(exec["metadata"]["uid"], "1717927500.100:501");
    assert_eq!(exec["metadata"]["event_code"], "SYSCALL");
    assert_eq!(exec["time"], 1_717_927_500_100_i64);
    let rename = &v[1];
    assert_eq!(rename["activity_id"], 5);
    assert_eq!(rename["file"]["path"], "/srv/a.txt");
    assert_eq!(rename["file_result"]["path"], "/srv/b.txt");
    assert_eq!(rename["status_id"], 2);
    assert_eq!(rename["status_code"], "-13");
    assert_eq!(rename["device"]["hostname"], "web1");
    let auth = &v[2];
    assert_eq!(auth["status_id"], 2);
    assert_eq!(auth["user"]["name"], "mallory");
    assert_eq!(auth["src_endpoint"]["ip"], "203.0.113.66");
    assert_eq!(v[3]["process"]["cmd_line"], "systemctl restart nginx");
    assert_eq!(v[4]["entity"]["name"], "devs");
    assert_eq!(v[5]["activity_id"], 4);
    assert_eq!(v[5]["app"]["name"], "nginx");
    // The AVC denial is a File System Activity (see tests/auditd_types.rs).
    assert_eq!(v[6]["disposition"], "Blocked");
    // The orphan PROCTITLE still names its process (see tests/auditd_orphans.rs).
    assert_eq!(v[7]["process"]["cmd_line"], "ls");
}

#[test]
fn journald_json_lines_use_journald_fields() {
    let v = map_all(&[
        r#"{"__REALTIME_TIMESTAMP":"1717927600000000","_HOSTNAME":"web2","SYSLOG_IDENTIFIER":"sshd","_PID":"777","_UID":"0","PRIORITY":"6","_SYSTEMD_UNIT":"ssh.service","MESSAGE":"Accepted publickey for frank from 192.0.2.44 port 51111 ssh2: RSA SHA256:xyz"}"#,
        r#"{"__REALTIME_TIMESTAMP":"1717927601000000","_HOSTNAME":"web2","SYSLOG_IDENTIFIER":"systemd","_PID":"1","UNIT":"cron.service","MESSAGE":"Started Regular background program processing daemon."}"#,
        r#"{"__REALTIME_TIMESTAMP":"1717927602000000","_HOSTNAME":"web2","_TRANSPORT":"audit","_AUDIT_ID":"610","_AUDIT_TYPE_NAME":"USER_LOGOUT","MESSAGE":"USER_LOGOUT pid=800 uid=0 auid=1000 ses=9 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=? addr=? terminal=/dev/pts/3 res=success'"}"#,
        r#"{"__REALTIME_TIMESTAMP":"1717927603000000","_HOSTNAME":"web2","_TRANSPORT":"kernel","MESSAGE":"[UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.5 DST=192.0.2.10 LEN=40 PROTO=TCP SPT=1 DPT=23"}"#,
        r#"{"__REALTIME_TIMESTAMP":"1717927604000000","_HOSTNAME":"web2","SYSLOG_IDENTIFIER":"myapp"}"#,
        r#"{"MESSAGE": "truncated"#,
    ]);
    assert_eq!(v.len(), 6);
    assert_eq!(v[0]["class_uid"], 3002);
    assert_eq!(v[0]["time"], 1_717_927_600_000_i64);
    assert_eq!(v[0]["device"]["hostname"], "web2");
    assert_eq!(v[0]["actor"]["process"]["pid"], 777);
    assert_eq!(v[0]["actor"]["process"]["user"]["uid"], "0");
    assert_eq!(v[0]["unmapped"]["systemd_unit"], "ssh.service");
    assert_eq!(v[0]["metadata"]["log_level"], "info");
    assert_eq!(v[1]["class_uid"], 6002);
    assert_eq!(v[1]["app"]["uid"], "cron.service");
    assert_eq!(v[2]["class_uid"], 3002);
    assert_eq!(v[2]["activity_id"], 2);
    assert_eq!(v[2]["metadata"]["uid"], "1717927602.000:610");
    assert_eq!(v[3]["class_uid"], 4001);
    assert_eq!(v[4]["unmapped"]["fallback"]["reason"], "journal_entry");
    assert_eq!(v[5]["unmapped"]["fallback"]["reason"], "journal_entry");
}

#[test]
fn map_message_for_pre_decoded_transports() {
    let mut m = LinuxMapper::new(config());
    let ctx = MessageContext::new("sshd", REF_MS)
        .with_hostname("h1")
        .with_pid(9);
    let v = m.map_message(
        &ctx,
        "Failed none for invalid user guest from 192.0.2.3 port 1 ssh2",
    );
    let j = check(&v[0]);
    assert_eq!(j["class_uid"], 3002);
    assert_eq!(j["device"]["hostname"], "h1");
    assert_eq!(j["actor"]["process"]["pid"], 9);
}

#[test]
fn nothing_is_dropped_and_reasons_are_counted() {
    let mut m = LinuxMapper::new(config());
    let lines = [
        "Jun  9 10:00:00 web1 sshd[1]: Accepted password for root from 192.0.2.1 port 22 ssh2",
        "Jun  9 10:00:01 web1 sshd[1]: some message sshd never writes",
        "Jun  9 10:00:02 web1 myapp[2]: hello",
        "Jun  9 10:00:03 web1 sshd[1]: Accepted password for root from 192.0.2.1 port 99999 ssh2",
        "this is not syslog",
        "type=SYSCALL msg=audit(x:1): broken",
        "",
    ];
    let mut events = Vec::new();
    for l in lines {
        events.extend(m.map_line(l));
    }
    events.extend(m.finish());
    assert_eq!(events.len(), 6);
    let reasons: Vec<Value> = events
        .iter()
        .map(check)
        .map(|j| j["unmapped"]["fallback"]["reason"].clone())
        .collect();
    assert_eq!(
        reasons,
        [
            Value::Null,
            json!("unrecognized_message"),
            json!("unknown_program"),
            json!("malformed"),
            json!("syslog_header"),
            json!("audit_record"),
        ]
    );
    for (e, line) in events.iter().zip(lines).skip(1) {
        assert_eq!(e.raw_data(), Some(line), "raw_data keeps the input");
        assert_eq!(e.class_uid(), 0);
    }
    let json = check(&events[4]);
    assert_eq!(json["unmapped"]["fallback"]["format"], "syslog");
    assert_eq!(json["unmapped"]["fallback"]["kind"], "invalid timestamp");
    assert_eq!(
        json["time"], REF_MS,
        "unparsable lines take the reference clock"
    );
    let s = m.stats();
    assert_eq!(s.accepted, 7);
    assert_eq!(s.blank, 1);
    assert_eq!(s.mapped.get(&3002), Some(&1));
    for r in [
        FallbackReason::UnrecognizedMessage,
        FallbackReason::UnknownProgram,
        FallbackReason::Malformed,
        FallbackReason::SyslogHeader,
        FallbackReason::AuditRecord,
    ] {
        assert_eq!(s.fallback.get(&r), Some(&1), "{r}");
    }
    assert_eq!(s.events(), 6);
}

#[test]
fn raw_data_can_be_left_out_except_for_fallbacks() {
    let mut m = LinuxMapper::new(config().with_raw_data(false));
    let v = m.map_line(
        "Jun  9 10:00:00 web1 sshd[1]: Accepted password for root from 192.0.2.1 port 22 ssh2",
    );
    assert!(check(&v[0]).get("raw_data").is_none());
    let v = m.map_line("Jun  9 10:00:00 web1 myapp[1]: x");
    assert_eq!(check(&v[0])["raw_data"], "Jun  9 10:00:00 web1 myapp[1]: x");
}

#[test]
fn auditd_enriched_names_and_a_bounded_window() {
    // Enriched format: interpreted fields after 0x1D name the ids.
    let v = map1(
        "type=USER_LOGIN msg=audit(1717927502.300:503): pid=5000 uid=0 auid=1000 ses=8 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=? addr=198.51.100.20 terminal=/dev/pts/2 res=success'\u{1d}UID=\"root\" AUID=\"alice\" ID=\"alice\"",
    );
    assert_eq!(v["class_uid"], 3002);
    assert_eq!(v["user"]["uid"], "1000");
    assert_eq!(v["user"]["name"], "alice");
    assert_eq!(v["actor"]["process"]["user"]["name"], "root");
    // A window of one open event: interleaved events are emitted early, marked.
    let grouping = ocsf_mappers::formats::auditd::GrouperConfig {
        max_open_events: 1,
        max_records_per_event: 8,
    };
    let mut m = LinuxMapper::new(config().with_audit_grouping(grouping));
    let mut out = Vec::new();
    for l in [
        r#"type=SYSCALL msg=audit(1717927600.000:1): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=10 uid=0 comm="a" exe="/bin/a""#,
        r#"type=SYSCALL msg=audit(1717927600.000:2): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=11 uid=0 comm="b" exe="/bin/b""#,
        r#"type=EXECVE msg=audit(1717927600.000:1): argc=1 a0="a""#,
        "type=EOE msg=audit(1717927600.000:2): ",
    ] {
        out.extend(m.map_line(l));
    }
    out.extend(m.finish());
    let v: Vec<Value> = out.iter().map(check).collect();
    let names: Vec<&Value> = v.iter().map(|e| &e["process"]["name"]).collect();
    // Event 1 is pushed out by event 2, event 2 by the late EXECVE of event 1;
    // the EOE of event 2 and that EXECVE then stand alone (the EXECVE still
    // a launch of `a`). Nothing is dropped.
    assert_eq!(
        names,
        [&json!("a"), &json!("b"), &json!(null), &json!("a")],
        "{v:?}"
    );
    assert_eq!(
        v[1]["unmapped"]["audit"]["record_types"],
        json!(["SYSCALL"])
    );
    assert_eq!(
        v[2]["unmapped"]["fallback"]["reason"],
        "incomplete_audit_event"
    );
    assert_eq!(v[3]["class_uid"], 1007);
    assert_eq!(v[2]["unmapped"]["audit"]["record_types"], json!(["EOE"]));
    assert_eq!(v[3]["unmapped"]["audit"]["record_types"], json!(["EXECVE"]));
}

//! Code shared by the examples: the built-in Linux log lines and small
//! helpers. Not an example itself (cargo builds only `examples/*.rs`).
//!
//! The lines are generated, not copied from a real host: a day on a bastion
//! host (`bastion-1`) with key-based logons, sudo, cron and sessions, a
//! credential-stuffing burst (many failed password logons from three
//! addresses), a port scan against the host firewall (many refused
//! connections from one address) and a little background noise. The same
//! seed always gives the same lines, so results can be asserted.

#![allow(dead_code)]

use std::sync::Arc;

use securitylake::lake::layout::SourceLocation;
use securitylake::lake::object_store::ObjectStore;
use securitylake::mappers::SourceConfig;
use securitylake::source::{WriterConfig, WriterConfigBuilder};

/// The error type of the examples.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// 2024-06-10T00:00:00Z: the day of the built-in lines.
pub const DAY_START_MS: i64 = 1_717_977_600_000;

/// The addresses of the credential-stuffing burst and their attempt counts.
pub const STUFFING_SOURCES: [(&str, usize); 3] = [
    ("203.0.113.45", 96),
    ("198.51.100.23", 61),
    ("192.0.2.77", 38),
];

/// The address of the port scan and the number of ports it probes.
pub const SCANNER: (&str, usize) = ("45.33.32.156", 40);

/// Legitimate users of the bastion host, with their workstation addresses.
const STAFF: [(&str, &str); 4] = [
    ("alice", "10.0.4.21"),
    ("bob", "10.0.4.30"),
    ("carol", "10.0.7.12"),
    ("deploy", "10.0.9.5"),
];

/// User names a credential-stuffing list tries.
const STUFFED_USERS: [&str; 12] = [
    "root", "admin", "ubuntu", "oracle", "test", "postgres", "git", "user", "ftpuser", "pi",
    "alice", "support",
];

/// A small deterministic generator (xorshift64*), so the examples need no
/// random-number crate and always produce the same lines.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced, xorshift needs a set bit).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A syslog (RFC 3164) header for a second of the built-in day.
fn header(second_of_day: u32, program: &str, pid: u32) -> String {
    let (h, m, s) = (
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    );
    format!("Jun 10 {h:02}:{m:02}:{s:02} bastion-1 {program}[{pid}]:")
}

/// A kernel line header (no pid).
fn kernel_header(second_of_day: u32) -> String {
    let (h, m, s) = (
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    );
    format!("Jun 10 {h:02}:{m:02}:{s:02} bastion-1 kernel:")
}

/// The built-in lines of `/var/log/auth.log` and the kernel firewall log for
/// 2024-06-10, sorted by time. About 850 lines for any seed.
pub fn builtin_lines(seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    // (second of day, order within the second, line)
    let mut lines: Vec<(u32, usize, String)> = Vec::new();
    let push = |lines: &mut Vec<(u32, usize, String)>, t: u32, line: String| {
        let n = lines.len();
        lines.push((t, n, line));
    };

    // sshd starts in the morning.
    push(
        &mut lines,
        6 * 3600,
        format!(
            "{} Server listening on 0.0.0.0 port 22.",
            header(6 * 3600, "sshd", 812)
        ),
    );
    push(
        &mut lines,
        6 * 3600,
        format!(
            "{} Server listening on :: port 22.",
            header(6 * 3600, "sshd", 812)
        ),
    );

    // Staff sessions through the day: key logon, session, a few sudo
    // commands, logoff.
    let commands = [
        "/usr/bin/systemctl restart nginx",
        "/usr/bin/journalctl -u nginx --since today",
        "/usr/bin/apt-get update",
        "/usr/bin/tail -n 200 /var/log/syslog",
        "/usr/sbin/ufw status verbose",
    ];
    for day_session in 0..40u32 {
        let (user, ip) = *rng.pick(&STAFF);
        let start = 7 * 3600 + day_session * 900 + rng.below(600) as u32;
        let pid = 20_000 + day_session * 37 + rng.below(30) as u32;
        let port = 49_152 + rng.below(16_000) as u32;
        let uid = 1001 + STAFF.iter().position(|(u, _)| *u == user).unwrap_or(0) as u32;
        push(
            &mut lines,
            start,
            format!(
                "{} Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:{:016x}",
                header(start, "sshd", pid),
                rng.next_u64()
            ),
        );
        push(
            &mut lines,
            start,
            format!(
                "{} pam_unix(sshd:session): session opened for user {user}(uid={uid}) by (uid=0)",
                header(start, "sshd", pid)
            ),
        );
        let sudo_count = rng.below(3) as u32;
        for k in 0..sudo_count {
            let t = start + 30 + k * 45 + rng.below(30) as u32;
            let cmd = rng.pick(&commands);
            push(
                &mut lines,
                t,
                format!(
                    "{} {user} : TTY=pts/{} ; PWD=/home/{user} ; USER=root ; COMMAND={cmd}",
                    header(t, "sudo", pid + 10 + k),
                    rng.below(4)
                ),
            );
            push(
                &mut lines,
                t,
                format!(
                    "{} pam_unix(sudo:session): session opened for user root(uid=0) by {user}(uid={uid})",
                    header(t, "sudo", pid + 10 + k)
                ),
            );
            push(
                &mut lines,
                t + 2,
                format!(
                    "{} pam_unix(sudo:session): session closed for user root",
                    header(t + 2, "sudo", pid + 10 + k)
                ),
            );
        }
        let end = start + 300 + rng.below(900) as u32;
        push(
            &mut lines,
            end,
            format!(
                "{} Received disconnect from {ip} port {port}:11: disconnected by user",
                header(end, "sshd", pid)
            ),
        );
        push(
            &mut lines,
            end,
            format!(
                "{} Disconnected from user {user} {ip} port {port}",
                header(end, "sshd", pid)
            ),
        );
        push(
            &mut lines,
            end,
            format!(
                "{} pam_unix(sshd:session): session closed for user {user}",
                header(end, "sshd", pid)
            ),
        );
    }

    // A mistyped password now and then: background failures from staff.
    for k in 0..6u32 {
        let (user, ip) = *rng.pick(&STAFF);
        let t = 8 * 3600 + k * 4000 + rng.below(1000) as u32;
        let port = 49_152 + rng.below(16_000) as u32;
        push(
            &mut lines,
            t,
            format!(
                "{} Failed password for {user} from {ip} port {port} ssh2",
                header(t, "sshd", 30_000 + k)
            ),
        );
    }

    // Cron, every hour.
    for hour in 0..24u32 {
        let t = hour * 3600 + 17 * 60;
        push(
            &mut lines,
            t,
            format!(
                "{} pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
                header(t, "CRON", 40_000 + hour)
            ),
        );
        push(
            &mut lines,
            t + 1,
            format!(
                "{} pam_unix(cron:session): session closed for user root",
                header(t + 1, "CRON", 40_000 + hour)
            ),
        );
    }

    // The credential-stuffing burst: 14:00 to about 14:10, attempts from
    // three addresses interleaved, several per second at the peak.
    let burst = 14 * 3600;
    for (ip, attempts) in STUFFING_SOURCES {
        for k in 0..attempts as u32 {
            let t = burst + k * 6 + rng.below(6) as u32;
            let pid = 50_000 + rng.below(10_000) as u32;
            let port = 32_768 + rng.below(28_000) as u32;
            let user = rng.pick(&STUFFED_USERS);
            let known = STAFF.iter().any(|(u, _)| u == user) || *user == "root";
            if known {
                push(
                    &mut lines,
                    t,
                    format!(
                        "{} Failed password for {user} from {ip} port {port} ssh2",
                        header(t, "sshd", pid)
                    ),
                );
            } else {
                push(
                    &mut lines,
                    t,
                    format!(
                        "{} Failed password for invalid user {user} from {ip} port {port} ssh2",
                        header(t, "sshd", pid)
                    ),
                );
            }
            push(
                &mut lines,
                t + 1,
                format!(
                    "{} Connection closed by {}user {user} {ip} port {port} [preauth]",
                    header(t + 1, "sshd", pid),
                    if known { "authenticating " } else { "invalid " }
                ),
            );
        }
    }

    // The port scan: 02:13, one SYN per port from one address, refused by
    // the host firewall within a minute.
    let (scanner, ports) = SCANNER;
    let scan = 2 * 3600 + 13 * 60;
    let scanned = [
        21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1433, 1521, 1723,
        2049, 3306, 3389, 5432, 5900, 5984, 6379, 8000, 8080, 8443, 8888, 9000, 9090, 9200, 9300,
        10000, 11211, 27017, 50000, 5601, 7001, 2375,
    ];
    for (k, dpt) in scanned.iter().take(ports).enumerate() {
        let t = scan + (k as u32) / 3;
        push(
            &mut lines,
            t,
            format!(
                "{} [UFW BLOCK] IN=eth0 OUT= MAC=02:42:ac:11:00:02:02:42:0a:00:00:01:08:00 SRC={scanner} DST=10.0.0.5 LEN=44 TOS=0x00 PREC=0x00 TTL=45 ID={} PROTO=TCP SPT=61000 DPT={dpt} WINDOW=1024 RES=0x00 SYN URGP=0",
                kernel_header(t),
                20_000 + rng.below(40_000)
            ),
        );
    }
    // Background internet noise: single blocked probes from many addresses.
    for k in 0..30u32 {
        let t = k * 2800 + rng.below(2000) as u32;
        let src = format!("198.18.{}.{}", rng.below(256), 1 + rng.below(254));
        let dpt = *rng.pick(&[23u32, 445, 3389, 8080, 22]);
        push(
            &mut lines,
            t,
            format!(
                "{} [UFW BLOCK] IN=eth0 OUT= MAC=02:42:ac:11:00:02:02:42:0a:00:00:01:08:00 SRC={src} DST=10.0.0.5 LEN=40 TOS=0x00 PREC=0x00 TTL=241 ID={} PROTO=TCP SPT={} DPT={dpt} WINDOW=65535 RES=0x00 SYN URGP=0",
                kernel_header(t),
                rng.below(65_536),
                1024 + rng.below(60_000)
            ),
        );
    }

    // Lines that no mapper understands still become events (Base Events).
    push(
        &mut lines,
        12 * 3600,
        format!(
            "{} Reloading the vendor agent configuration",
            header(12 * 3600, "acme-agent", 901)
        ),
    );

    lines.sort_by_key(|(t, n, _)| (*t, *n));
    lines.into_iter().map(|(_, _, line)| line).collect()
}

/// The mapper configuration for the built-in lines: auth.log of
/// `bastion-1`, UTC clock, year from a reference time on the same day.
pub fn builtin_config() -> SourceConfig {
    SourceConfig::linux()
        .with_log_name("auth.log")
        .with_tenant_uid("123456789012")
        .with_reference_ms(DAY_START_MS + 86_399_000)
}

/// The (emulated) lake bucket of the examples' local lakes.
pub const LOCAL_BUCKET: &str = "aws-security-data-lake-us-east-1-example";

/// The location of a custom source in an (emulated) lake bucket.
pub fn local_location(source_name: &str) -> Result<SourceLocation, BoxError> {
    Ok(SourceLocation::parse(&format!(
        "s3://{LOCAL_BUCKET}/ext/{source_name}/1.0/"
    ))?)
}

/// A writer configuration for a custom source in a local lake: region
/// `us-east-1`, account `123456789012`, the spool beside the lake.
pub fn local_writer(
    store: Arc<dyn ObjectStore>,
    location: SourceLocation,
    spool: impl Into<std::path::PathBuf>,
) -> WriterConfigBuilder {
    WriterConfig::builder()
        .location(location)
        .region("us-east-1")
        .account_id("123456789012")
        .store(store)
        .spool_dir(spool)
}

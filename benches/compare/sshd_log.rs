//! A deterministic, realistic sshd `auth.log`, shared by the facade bench and
//! the side-by-side harness.
//!
//! The lines are generated, not copied from a real host: a bastion host's
//! day with key-based and password logons of staff, failed passwords and
//! invalid users from a credential-stuffing list, spread evenly over one UTC
//! day (2024-06-10). Every line is an sshd message that both our mapper and
//! the Python reference map to one Authentication event, so the two sides
//! write the same number of rows. The same `lines` always give the same log.

#![allow(dead_code)]

use std::fmt::Write as _;

/// 2024-06-10T00:00:00Z: the day of the generated lines.
pub const DAY_START_MS: i64 = 1_717_977_600_000;

/// The reference time for the mapper's year inference: the end of that day.
pub const REFERENCE_MS: i64 = DAY_START_MS + 86_400_000;

const STAFF: [(&str, &str); 5] = [
    ("alice", "10.0.4.21"),
    ("bob", "10.0.4.30"),
    ("carol", "10.0.7.12"),
    ("deploy", "10.0.9.5"),
    ("ansible", "10.0.9.6"),
];

const STUFFED_USERS: [&str; 12] = [
    "root", "admin", "ubuntu", "oracle", "test", "postgres", "git", "user", "ftpuser", "pi",
    "support", "guest",
];

const KEY_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// xorshift64*: no random-number crate, the same sequence on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced: xorshift needs a set bit).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

const MONTH: &str = "Jun";
const DAY: u32 = 10;

/// Appends line `index` of a log of `total` lines (with its newline) to `out`.
pub fn push_line(rng: &mut Rng, index: u64, total: u64, out: &mut String) {
    let second = index * 86_400 / total.max(1);
    let (h, m, s) = (second / 3600, second / 60 % 60, second % 60);
    let pid = 1000 + rng.below(60_000);
    let port = 1024 + rng.below(64_000);
    // Writing into a String cannot fail.
    let _ = write!(
        out,
        "{MONTH} {DAY:>2} {h:02}:{m:02}:{s:02} bastion-1 sshd[{pid}]: "
    );
    let kind = rng.below(100);
    if kind < 20 {
        let (user, ip) = STAFF[rng.below(STAFF.len() as u64) as usize];
        let _ = write!(
            out,
            "Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:"
        );
        for _ in 0..43 {
            out.push(char::from(KEY_CHARS[rng.below(64) as usize]));
        }
    } else if kind < 30 {
        let (user, ip) = STAFF[rng.below(STAFF.len() as u64) as usize];
        let _ = write!(
            out,
            "Accepted password for {user} from {ip} port {port} ssh2"
        );
    } else if kind < 55 {
        let user = STUFFED_USERS[rng.below(STUFFED_USERS.len() as u64) as usize];
        let ip = stuffing_ip(rng);
        let _ = write!(out, "Failed password for {user} from {ip} port {port} ssh2");
    } else if kind < 75 {
        let user = STUFFED_USERS[rng.below(STUFFED_USERS.len() as u64) as usize];
        let ip = stuffing_ip(rng);
        let _ = write!(
            out,
            "Failed password for invalid user {user} from {ip} port {port} ssh2"
        );
    } else {
        let user = STUFFED_USERS[rng.below(STUFFED_USERS.len() as u64) as usize];
        let ip = stuffing_ip(rng);
        let _ = write!(out, "Invalid user {user} from {ip} port {port}");
    }
    out.push('\n');
}

/// An address of the credential-stuffing burst: a few hundred hosts in the
/// documentation ranges.
fn stuffing_ip(rng: &mut Rng) -> String {
    let net = ["203.0.113", "198.51.100", "192.0.2"][rng.below(3) as usize];
    format!("{net}.{}", 1 + rng.below(254))
}

/// The whole log of `total` lines as one string (for benches; the harness
/// streams it to a file with [`push_line`]).
pub fn log(total: u64) -> String {
    let mut rng = Rng::new(0x5EED_55D0);
    let mut out = String::with_capacity(total as usize * 110);
    for i in 0..total {
        push_line(&mut rng, i, total, &mut out);
    }
    out
}

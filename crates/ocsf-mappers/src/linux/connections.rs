//! sshd connections: one `metadata.correlation_uid` on every event of one
//! connection, so that a query can group a connection's lines (the
//! `Invalid user`, PAM, `Failed`, disconnect lines of one attempt).
//!
//! A connection is identified by the host, the daemon and the pid of the
//! sshd process that serves it (each connection has its own), and told apart
//! from a later connection served by a reused pid by its start time: after a
//! line that ends the connection, a line of the same pid more than
//! [`REUSE_GAP_MS`] later (or a `Connection from` line) starts a new one.

use std::collections::HashMap;

use super::{MessageContext, sshd};
use crate::normalized::Normalized;

/// How long after a connection ended its pid's lines still belong to it
/// (sshd logs PAM summaries and a second disconnect line right after the
/// first).
const REUSE_GAP_MS: i64 = 60_000;

/// Open connections kept before closed ones are forgotten.
const MAX_TRACKED: usize = 16_384;

#[derive(Debug, Clone, Copy)]
struct Conn {
    last_ms: i64,
    closed: bool,
    /// The end of the connection's correlation uid (with its start time), written when it
    /// starts.
    tail: Tail,
}

impl Conn {
    fn new(pid: u32, start_ms: i64) -> Self {
        Conn {
            last_ms: start_ms,
            closed: false,
            tail: Tail::new(pid, start_ms),
        }
    }
}

/// `[{pid}]:{start_ms}`, kept inline as ASCII: formatting the two numbers for every line cost
/// about 440 instructions more (callgrind, 3% of mapping an sshd line).
#[derive(Debug, Clone, Copy)]
struct Tail {
    bytes: [u8; Tail::ROOM],
    len: u8,
}

impl Tail {
    /// `[`, 10 digits of a `u32`, `]:`, a sign and 19 digits of an `i64`.
    const ROOM: usize = 33;

    fn new(pid: u32, start_ms: i64) -> Self {
        let mut t = Tail {
            bytes: [0; Tail::ROOM],
            len: 0,
        };
        t.push(b'[');
        t.push_decimal(u64::from(pid));
        t.push(b']');
        t.push(b':');
        if start_ms < 0 {
            t.push(b'-');
        }
        t.push_decimal(start_ms.unsigned_abs());
        t
    }

    fn push(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(usize::from(self.len)) {
            *slot = b;
            self.len += 1;
        }
    }

    fn push_decimal(&mut self, n: u64) {
        let mut digits = [0u8; 20];
        for &d in crate::util::ascii_digits(n, &mut digits) {
            self.push(d);
        }
    }

    fn as_str(&self) -> &str {
        // Only ASCII is pushed, so the bytes are always UTF-8.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

/// The connections seen so far, by host and pid.
#[derive(Debug, Default)]
pub(super) struct Connections {
    // The default (keyed) hasher: the keys come from log lines, and an unkeyed hash would let
    // a crafted log make lookups collide (measured: ~180 instructions per line, 1%).
    by_key: HashMap<(u64, u32), Conn>,
}

fn host_hash(host: &str) -> u64 {
    // FNV-1a: stable and allocation-free.
    host.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Connections {
    /// Sets `metadata.correlation_uid` on an sshd event (`msg` is its message).
    pub(super) fn correlate(&mut self, ctx: &MessageContext<'_>, msg: &str, n: &mut Normalized) {
        let program = ctx.program_name();
        let Some(pid) = ctx.pid.filter(|_| sshd::handles(program)) else {
            return;
        };
        let host = ctx.hostname.unwrap_or_default();
        let t = n.time_ms;
        let ends = sshd::ends_connection(msg);
        let starts = sshd::starts_connection(msg);
        if self.by_key.len() >= MAX_TRACKED {
            self.by_key.retain(|_, c| !c.closed);
            if self.by_key.len() >= MAX_TRACKED {
                self.by_key.clear();
            }
        }
        let conn = self
            .by_key
            .entry((host_hash(host), pid))
            .or_insert_with(|| Conn::new(pid, t));
        let reused = conn.closed && !ends && t.saturating_sub(conn.last_ms) > REUSE_GAP_MS;
        if (starts && conn.last_ms != t) || reused {
            *conn = Conn::new(pid, t);
        }
        conn.last_ms = conn.last_ms.max(t);
        conn.closed |= ends;
        n.source.correlation_uid = Some(correlation_uid(host, program, conn.tail.as_str()));
    }
}

/// `{host}:{program}[{pid}]:{start_ms}`, written piece by piece: `format!`'s machinery
/// cost about 1,000 instructions per line.
fn correlation_uid(host: &str, program: &str, tail: &str) -> String {
    let mut s = crate::strings::buffer(host.len() + 1 + program.len() + tail.len());
    s.push_str(host);
    s.push(':');
    s.push_str(program);
    s.push_str(tail);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_are_written_as_format_would() {
        for (pid, start) in [
            (0, 0),
            (1, 1_717_977_600_000),
            (u32::MAX, i64::MAX),
            (7, -1),
            (u32::MAX, i64::MIN),
        ] {
            assert_eq!(
                Tail::new(pid, start).as_str(),
                format!("[{pid}]:{start}"),
                "{pid} {start}"
            );
        }
    }
}

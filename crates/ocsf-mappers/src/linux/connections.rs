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
    start_ms: i64,
    last_ms: i64,
    closed: bool,
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
        let fresh = Conn {
            start_ms: t,
            last_ms: t,
            closed: false,
        };
        let conn = self.by_key.entry((host_hash(host), pid)).or_insert(fresh);
        let reused = conn.closed && !ends && t.saturating_sub(conn.last_ms) > REUSE_GAP_MS;
        if (starts && conn.last_ms != t) || reused {
            *conn = fresh;
        }
        conn.last_ms = conn.last_ms.max(t);
        conn.closed |= ends;
        n.source.correlation_uid = Some(correlation_uid(host, program, pid, conn.start_ms));
    }
}

/// `{host}:{program}[{pid}]:{start_ms}`, written piece by piece: `format!`'s machinery
/// cost about 1,000 instructions per line.
fn correlation_uid(host: &str, program: &str, pid: u32, start_ms: i64) -> String {
    let mut s = crate::strings::buffer(host.len() + program.len() + 36);
    s.push_str(host);
    s.push(':');
    s.push_str(program);
    s.push('[');
    crate::util::push_decimal(&mut s, i64::from(pid));
    s.push_str("]:");
    crate::util::push_decimal(&mut s, start_ms);
    s
}

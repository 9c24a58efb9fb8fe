//! Recognising retransmissions: the digests of the messages committed most recently, and a
//! per-session rule for when a message may be one.
//!
//! A RELP sender keeps every message it has no `200 OK` for and sends those again, first, on
//! its next session. A receiver that acknowledges only after a message is durable therefore
//! sees again the messages that were durable but whose acknowledgement was lost (the receiver
//! was killed between its commit and the reply, or the connection broke). [`RetransmitFilter`]
//! recognises them: it keeps the digests of the last committed messages (a multiset, oldest
//! evicted first), and a session's messages are looked up there only while the session has
//! sent nothing else (its leading messages: the retransmissions). A match is taken out of the
//! multiset (two identical retransmitted messages need two committed ones), is not written
//! again, and is acknowledged with the next commit.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use sha2::{Digest as _, Sha256};

use super::RelpAck;
use crate::error::{Error, ErrorKind, Result};

/// The default number of committed message digests kept.
pub const DEFAULT_DEDUPE_WINDOW: usize = 4096;

/// A message's digest: the first 8 bytes of the SHA-256 of the sender's IP address and the
/// message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageDigest(u64);

impl MessageDigest {
    /// The digest of `text` from `sender`.
    pub fn of(sender: IpAddr, text: &[u8]) -> Self {
        let mut hash = Sha256::new();
        match sender {
            IpAddr::V4(ip) => hash.update(ip.to_ipv6_mapped().octets()),
            IpAddr::V6(ip) => hash.update(ip.octets()),
        }
        hash.update(text);
        let bytes = hash.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&bytes[..8]);
        Self(u64::from_be_bytes(first))
    }
}

/// A multiset of digests in arrival order.
#[derive(Debug, Default, Clone)]
struct Multiset {
    order: VecDeque<MessageDigest>,
    counts: HashMap<MessageDigest, u32>,
}

impl Multiset {
    fn push(&mut self, digest: MessageDigest) {
        self.order.push_back(digest);
        *self.counts.entry(digest).or_insert(0) += 1;
    }

    /// Takes one `digest` out, if there is one.
    fn take(&mut self, digest: MessageDigest) -> bool {
        let Some(count) = self.counts.get_mut(&digest) else {
            return false;
        };
        *count -= 1;
        if *count == 0 {
            self.counts.remove(&digest);
        }
        // Take the oldest copy out of the order too (the window is short: a linear scan).
        if let Some(i) = self.order.iter().position(|d| *d == digest) {
            self.order.remove(i);
        }
        true
    }

    fn pop_oldest(&mut self) {
        if let Some(digest) = self.order.pop_front()
            && let Some(count) = self.counts.get_mut(&digest)
        {
            *count -= 1;
            if *count == 0 {
                self.counts.remove(&digest);
            }
        }
    }

    fn len(&self) -> usize {
        self.order.len()
    }
}

/// Recognises retransmissions: the digests of the last committed messages (a multiset, oldest
/// evicted first) and of the batch being made durable.
///
/// A RELP sender sends again, first in its next session, every message it has no reply for; a
/// receiver that replies only once a message is durable therefore sees again the messages
/// durable whose reply was lost. A session's messages are looked up only while the session has
/// sent nothing else (its leading messages); a match is taken out of the multiset, is not
/// written again and is acknowledged with the next commit; the first miss ends the session's
/// leading messages. See ADR 0304 for the limits.
#[derive(Debug, Clone)]
pub struct RetransmitFilter {
    capacity: usize,
    committed: Multiset,
    batch: Multiset,
    batch_order: Vec<MessageDigest>,
}

/// What [`RetransmitFilter::admit`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// A new message: write it.
    New,
    /// A retransmission of a message already committed (or in the batch): do not write it;
    /// acknowledge it with the batch.
    Retransmitted,
}

impl RetransmitFilter {
    /// An empty filter that keeps `capacity` committed digests (at least the last batch's).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            committed: Multiset::default(),
            batch: Multiset::default(),
            batch_order: Vec::new(),
        }
    }

    /// Decides on one message of the session of `ack` with `digest`, and adds its digest to
    /// the batch (both kinds are acknowledged with it).
    pub fn admit(&mut self, ack: &RelpAck, digest: MessageDigest) -> Admission {
        let admission = if ack.session.leading() {
            if self.committed.take(digest) || self.batch.take(digest) {
                Admission::Retransmitted
            } else {
                ack.session.end_leading();
                Admission::New
            }
        } else {
            Admission::New
        };
        self.add(digest);
        admission
    }

    /// Adds a digest to the batch (a replayed batch's messages).
    pub fn add(&mut self, digest: MessageDigest) {
        self.batch.push(digest);
        self.batch_order.push(digest);
    }

    /// The batch's digests, in order (to be recorded with a pending flush).
    pub fn batch(&self) -> &[MessageDigest] {
        &self.batch_order
    }

    /// The batch is durable: its digests join the committed window; the oldest beyond the
    /// capacity (but never the batch's own) are evicted.
    pub fn commit(&mut self) {
        let keep = self.capacity.max(self.batch_order.len());
        for digest in self.batch_order.drain(..) {
            self.committed.push(digest);
        }
        self.batch = Multiset::default();
        while self.committed.len() > keep {
            self.committed.pop_oldest();
        }
    }

    /// The committed window as text (16 hex digits per digest, oldest first).
    pub fn committed_hex(&self) -> String {
        digests_hex(self.committed.order.iter())
    }

    /// Replaces the committed window with the one written by [`committed_hex`](Self::committed_hex).
    pub fn restore(&mut self, hex: &str) -> Result<()> {
        self.committed = Multiset::default();
        for digest in parse_digests(hex)? {
            self.committed.push(digest);
        }
        Ok(())
    }

    /// The number of committed digests kept.
    pub fn committed_len(&self) -> usize {
        self.committed.len()
    }
}

/// Digests as text (16 hex digits each).
pub fn digests_hex<'a>(digests: impl Iterator<Item = &'a MessageDigest>) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    for digest in digests {
        let _ = write!(text, "{:016x}", digest.0);
    }
    text
}

/// Digests from text written by [`digests_hex`].
pub fn parse_digests(hex: &str) -> Result<Vec<MessageDigest>> {
    let bad = || Error::new(ErrorKind::InvalidInput, "RELP digests: malformed hex text");
    if !hex.len().is_multiple_of(16) || !hex.is_ascii() {
        return Err(bad());
    }
    (0..hex.len() / 16)
        .map(|i| {
            u64::from_str_radix(&hex[i * 16..i * 16 + 16], 16)
                .map(MessageDigest)
                .map_err(|_| bad())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    const PEER: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    fn digest(text: &str) -> MessageDigest {
        MessageDigest::of(PEER, text.as_bytes())
    }

    #[test]
    fn retransmissions_of_committed_messages_are_recognised_once_each() {
        let mut filter = RetransmitFilter::new(100);
        let old = super::super::session::test_session();
        for text in ["a", "b", "b"] {
            assert_eq!(filter.admit(&old.ack(1), digest(text)), Admission::New);
        }
        filter.commit();
        // A new session sends again what had no reply: a, b, b are recognised, then c is new
        // and ends the session's leading messages: a later a is new.
        let new = super::super::session::test_session();
        let mut seen = Vec::new();
        for text in ["a", "b", "b", "c", "a"] {
            seen.push(filter.admit(&new.ack(2), digest(text)));
        }
        use Admission::{New, Retransmitted};
        assert_eq!(
            seen,
            [Retransmitted, Retransmitted, Retransmitted, New, New]
        );
        // The recognised ones are acknowledged with the batch and stay recognisable (that
        // acknowledgement may be lost too); a message never committed is new.
        filter.commit();
        let third = super::super::session::test_session();
        assert_eq!(filter.admit(&third.ack(3), digest("b")), Retransmitted);
        assert_eq!(filter.admit(&third.ack(4), digest("d")), New);
    }

    #[test]
    fn the_same_text_from_another_sender_is_another_message() {
        let mut filter = RetransmitFilter::new(100);
        let session = super::super::session::test_session();
        filter.admit(&session.ack(1), digest("a"));
        filter.commit();
        let other = MessageDigest::of(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), b"a");
        let new = super::super::session::test_session();
        assert_eq!(filter.admit(&new.ack(2), other), Admission::New);
    }

    #[test]
    fn messages_in_the_uncommitted_batch_are_recognised_too() {
        let mut filter = RetransmitFilter::new(100);
        let old = super::super::session::test_session();
        filter.admit(&old.ack(1), digest("a"));
        let new = super::super::session::test_session();
        assert_eq!(
            filter.admit(&new.ack(2), digest("a")),
            Admission::Retransmitted
        );
        // Both are acknowledged with the batch; both digests are committed.
        assert_eq!(filter.batch().len(), 2);
        filter.commit();
        assert_eq!(filter.committed_len(), 2);
    }

    #[test]
    fn the_window_keeps_the_newest_and_at_least_the_last_batch() {
        let mut filter = RetransmitFilter::new(3);
        let session = super::super::session::test_session();
        for text in ["1", "2", "3", "4", "5"] {
            filter.admit(&session.ack(1), digest(text));
        }
        filter.commit();
        assert_eq!(filter.committed_len(), 5);
        filter.admit(&session.ack(1), digest("6"));
        filter.commit();
        assert_eq!(filter.committed_len(), 3);
        let restored = {
            let mut other = RetransmitFilter::new(3);
            other.restore(&filter.committed_hex()).map(|()| other)
        };
        let Ok(mut restored) = restored else {
            panic!("restore failed")
        };
        let new = super::super::session::test_session();
        use Admission::{New, Retransmitted};
        assert_eq!(restored.admit(&new.ack(2), digest("4")), Retransmitted);
        let new = super::super::session::test_session();
        assert_eq!(restored.admit(&new.ack(2), digest("1")), New);
        assert!(parse_digests("abc").is_err());
        assert!(parse_digests("zzzzzzzzzzzzzzzz").is_err());
    }
}

//! Counters.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of a subscriber's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriberStats {
    /// Notification bodies received (SQS messages, HTTPS requests spooled,
    /// objects found by a local scan).
    pub notifications: u64,
    /// `s3:TestEvent`s ignored.
    pub test_events: u64,
    /// Malformed notification bodies sent to the dead-letter sink.
    pub malformed: u64,
    /// Objects handled successfully.
    pub objects_processed: u64,
    /// Objects skipped as already processed (bucket + key + etag).
    pub duplicates: u64,
    /// Objects skipped by the filters.
    pub filtered: u64,
    /// Handler or read attempts that were retried.
    pub retries: u64,
    /// Dead letters written.
    pub dead_lettered: u64,
    /// Objects left unacknowledged after the retries were used up.
    pub unacknowledged: u64,
    /// Notifications acknowledged (SQS messages deleted, spool entries
    /// removed).
    pub acknowledged: u64,
    /// HTTPS requests refused (bad key, too large, bad method, timeout).
    pub rejected_requests: u64,
}

#[derive(Debug, Default)]
pub(crate) struct StatsCell {
    pub notifications: AtomicU64,
    pub test_events: AtomicU64,
    pub malformed: AtomicU64,
    pub objects_processed: AtomicU64,
    pub duplicates: AtomicU64,
    pub filtered: AtomicU64,
    pub retries: AtomicU64,
    pub dead_lettered: AtomicU64,
    pub unacknowledged: AtomicU64,
    pub acknowledged: AtomicU64,
    pub rejected_requests: AtomicU64,
}

pub(crate) fn inc(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl StatsCell {
    pub fn snapshot(&self) -> SubscriberStats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SubscriberStats {
            notifications: g(&self.notifications),
            test_events: g(&self.test_events),
            malformed: g(&self.malformed),
            objects_processed: g(&self.objects_processed),
            duplicates: g(&self.duplicates),
            filtered: g(&self.filtered),
            retries: g(&self.retries),
            dead_lettered: g(&self.dead_lettered),
            unacknowledged: g(&self.unacknowledged),
            acknowledged: g(&self.acknowledged),
            rejected_requests: g(&self.rejected_requests),
        }
    }
}

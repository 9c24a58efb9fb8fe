//! The record of each HTTPS notification delivery (a leaf module: the state
//! keeps the records, the notifier writes them).

/// The record of one HTTPS notification delivery (see
/// [`Emulator::deliveries`](crate::Emulator::deliveries)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// The subscriber notified.
    pub subscriber_id: String,
    /// The endpoint the notification was sent to.
    pub endpoint: String,
    /// The bucket of the new object.
    pub bucket: String,
    /// The key of the new object (not URL-encoded).
    pub key: String,
    /// How many requests were made.
    pub attempts: u32,
    /// How the delivery ended.
    pub outcome: DeliveryOutcome,
}

/// How a notification delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// The endpoint answered with this 2xx status.
    Delivered {
        /// The HTTP status.
        status: u16,
    },
    /// Every attempt failed, or the endpoint refused with a status that is
    /// not retried; the last error is kept.
    Failed {
        /// The last HTTP status or transport error.
        error: String,
    },
}

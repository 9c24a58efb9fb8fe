//! The Security Lake operations the emulator serves, and injected faults.

use std::fmt;
use std::time::Duration;

/// A Security Lake API operation served by the emulator.
///
/// Used to inject faults ([`Emulator::inject_fault`](crate::Emulator::inject_fault))
/// and to count requests ([`Emulator::request_count`](crate::Emulator::request_count)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /v1/datalake/logsources/custom`
    CreateCustomLogSource,
    /// `DELETE /v1/datalake/logsources/custom/{sourceName}`
    DeleteCustomLogSource,
    /// `POST /v1/datalake/logsources/list`
    ListLogSources,
    /// `POST /v1/subscribers`
    CreateSubscriber,
    /// `GET /v1/subscribers/{subscriberId}`
    GetSubscriber,
    /// `DELETE /v1/subscribers/{subscriberId}`
    DeleteSubscriber,
    /// `POST /v1/subscribers/{subscriberId}/notification`
    CreateSubscriberNotification,
    /// `PUT /v1/subscribers/{subscriberId}/notification`
    UpdateSubscriberNotification,
    /// `DELETE /v1/subscribers/{subscriberId}/notification`
    DeleteSubscriberNotification,
}

impl Operation {
    /// Every operation, in declaration order.
    pub const ALL: [Self; 9] = [
        Self::CreateCustomLogSource,
        Self::DeleteCustomLogSource,
        Self::ListLogSources,
        Self::CreateSubscriber,
        Self::GetSubscriber,
        Self::DeleteSubscriber,
        Self::CreateSubscriberNotification,
        Self::UpdateSubscriberNotification,
        Self::DeleteSubscriberNotification,
    ];

    /// The operation's name in the API model, e.g. `CreateCustomLogSource`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::CreateCustomLogSource => "CreateCustomLogSource",
            Self::DeleteCustomLogSource => "DeleteCustomLogSource",
            Self::ListLogSources => "ListLogSources",
            Self::CreateSubscriber => "CreateSubscriber",
            Self::GetSubscriber => "GetSubscriber",
            Self::DeleteSubscriber => "DeleteSubscriber",
            Self::CreateSubscriberNotification => "CreateSubscriberNotification",
            Self::UpdateSubscriberNotification => "UpdateSubscriberNotification",
            Self::DeleteSubscriberNotification => "DeleteSubscriberNotification",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error response that the emulator returns instead of executing an
/// operation, for testing retries.
///
/// A fault is consumed by the next matching request(s): it answers
/// [`times`](Self::times) requests (default 1), then the operation behaves
/// normally again. Faulted requests change no state.
///
/// ```
/// use std::time::Duration;
/// use securitylake_emulator::Fault;
///
/// let fault = Fault::throttling().retry_after(Duration::from_secs(1)).times(2);
/// assert_eq!(fault.status(), 429);
/// assert_eq!(fault.code(), "ThrottlingException");
/// assert_eq!(fault.remaining(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    status: u16,
    code: &'static str,
    message: String,
    retry_after: Option<Duration>,
    times: u32,
}

impl Fault {
    fn new(status: u16, code: &'static str, message: &str) -> Self {
        Self {
            status,
            code,
            message: message.to_owned(),
            retry_after: None,
            times: 1,
        }
    }

    /// `409 ConflictException`.
    pub fn conflict() -> Self {
        Self::new(409, "ConflictException", "injected conflict")
    }

    /// `429 ThrottlingException` (add a `Retry-After` header with
    /// [`retry_after`](Self::retry_after)).
    pub fn throttling() -> Self {
        Self::new(429, "ThrottlingException", "injected throttling")
    }

    /// `500 InternalServerException`.
    pub fn internal_server_error() -> Self {
        Self::new(500, "InternalServerException", "injected internal error")
    }

    /// `403 AccessDeniedException`.
    pub fn access_denied() -> Self {
        Self::new(403, "AccessDeniedException", "injected access denied")
    }

    /// Sends `Retry-After: <whole seconds>` with the error.
    pub fn retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// Replaces the error message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Answers this many requests (at least 1).
    pub fn times(mut self, times: u32) -> Self {
        self.times = times.max(1);
        self
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The error code (`x-amzn-ErrorType`).
    pub fn code(&self) -> &str {
        self.code
    }

    /// How many more requests this fault answers.
    pub fn remaining(&self) -> u32 {
        self.times
    }

    pub(crate) fn static_code(&self) -> &'static str {
        self.code
    }

    pub(crate) fn error_message(&self) -> &str {
        &self.message
    }

    pub(crate) fn retry_after_delay(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Consumes one use; returns whether uses remain.
    pub(crate) fn consume(&mut self) -> bool {
        self.times = self.times.saturating_sub(1);
        self.times > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_count_down() {
        let mut fault = Fault::conflict().times(2);
        assert!(fault.consume());
        assert!(!fault.consume());
        assert_eq!(Fault::conflict().times(0).remaining(), 1);
        assert_eq!(Fault::internal_server_error().status(), 500);
        assert_eq!(Fault::access_denied().code(), "AccessDeniedException");
        assert_eq!(Fault::conflict().message("m").error_message(), "m");
    }

    #[test]
    fn operation_names() {
        let names: Vec<String> = Operation::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(names[0], "CreateCustomLogSource");
        assert_eq!(names[8], "DeleteSubscriberNotification");
        let unique: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), 9);
    }
}

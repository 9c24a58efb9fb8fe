//! The one retry loop of this crate.
//!
//! Every control-plane call goes through [`run`] (or, for Glue's partial
//! batch retries, [`pause`]): exponential backoff with full jitter from the
//! component's `RetryPolicy`, waiting at least the `Retry-After` the service
//! sent (capped at the policy's maximum backoff). The SDK clients do not
//! retry on their own ([`crate::clients`]).

use std::time::Duration;

use securitylake_core::store::RetryPolicy;

use crate::error::{Error, ErrorKind, Result};

/// Which errors an operation may repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// The call can be repeated safely: every retryable error is retried.
    Idempotent,
    /// The call creates something each time it succeeds (a subscriber): only
    /// errors that prove the request was not carried out (throttling, a
    /// conflict) are retried, never a timeout or a 5xx after which the
    /// resource may exist.
    CreatesOnEachSuccess,
}

impl Idempotency {
    fn allows(self, err: &Error) -> bool {
        match self {
            Self::Idempotent => err.is_retryable(),
            Self::CreatesOnEachSuccess => {
                matches!(err.kind(), ErrorKind::Throttled | ErrorKind::Conflict)
            }
        }
    }
}

/// The delay before retry number `attempt` (1-based) after `err`.
pub(crate) fn delay(policy: &RetryPolicy, attempt: u32, err: &Error) -> Duration {
    let backoff = policy.backoff(attempt, fastrand::f64());
    let ceiling = policy.backoff(u32::MAX, 1.0);
    match err.retry_after() {
        Some(asked) => backoff.max(asked.min(ceiling)),
        None => backoff,
    }
}

/// Sleeps before retry number `attempt` of `operation` after `err`.
pub(crate) async fn pause(policy: &RetryPolicy, operation: &str, attempt: u32, err: &Error) {
    let delay = delay(policy, attempt, err);
    tracing::warn!(
        operation,
        attempt,
        max_attempts = policy.max_attempts(),
        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
        error = %err,
        "retrying control-plane call"
    );
    tokio::time::sleep(delay).await;
}

/// Runs `attempt` until it succeeds, fails with an error `idempotency` does
/// not retry, or the policy's attempts are used up (the last error is
/// returned then).
pub(crate) async fn run<T, F, Fut>(
    policy: &RetryPolicy,
    operation: &str,
    idempotency: Idempotency,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut number = 1;
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(err) if idempotency.allows(&err) && number < policy.max_attempts() => {
                pause(policy, operation, number, &err).await;
                number += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast(attempts: u32) -> RetryPolicy {
        RetryPolicy::new()
            .with_max_attempts(attempts)
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(20))
    }

    #[tokio::test]
    async fn attempts_are_bounded_by_the_policy() {
        let calls = AtomicU32::new(0);
        let result: Result<()> = run(&fast(4), "op", Idempotency::Idempotent, || async {
            calls.fetch_add(1, Ordering::Relaxed);
            Err(Error::new(ErrorKind::Transient, "down"))
        })
        .await;
        assert_eq!(result.map_err(|e| e.kind()), Err(ErrorKind::Transient));
        assert_eq!(calls.load(Ordering::Relaxed), 4);
    }

    #[tokio::test]
    async fn creating_calls_retry_only_what_was_not_carried_out() {
        let calls = AtomicU32::new(0);
        let result: Result<()> = run(
            &fast(4),
            "op",
            Idempotency::CreatesOnEachSuccess,
            || async {
                calls.fetch_add(1, Ordering::Relaxed);
                Err(Error::new(ErrorKind::Transient, "timed out"))
            },
        )
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::Relaxed), 1, "a 5xx is not repeated");

        let calls = AtomicU32::new(0);
        let result = run(
            &fast(4),
            "op",
            Idempotency::CreatesOnEachSuccess,
            || async {
                if calls.fetch_add(1, Ordering::Relaxed) < 2 {
                    Err(Error::new(ErrorKind::Throttled, "slow down"))
                } else {
                    Ok(7)
                }
            },
        )
        .await;
        assert_eq!(result.ok(), Some(7));
        assert_eq!(calls.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_ceiling() {
        let policy = fast(3);
        let asked =
            Error::new(ErrorKind::Throttled, "x").with_retry_after(Duration::from_millis(15));
        assert!(delay(&policy, 1, &asked) >= Duration::from_millis(15));
        let too_long =
            Error::new(ErrorKind::Throttled, "x").with_retry_after(Duration::from_secs(60));
        assert!(delay(&policy, 1, &too_long) <= Duration::from_millis(20));
    }
}

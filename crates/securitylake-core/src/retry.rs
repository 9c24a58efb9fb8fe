//! The one retry policy: bounded attempts, exponential backoff with full
//! jitter, a total time budget.
//!
//! A [`RetryPolicy`] is applied at exactly **one** layer per operation, so
//! that retries never multiply across layers (see `docs/adr/0002`):
//!
//! * object-store requests are retried by `object_store`'s own HTTP retry
//!   loop, configured from the policy ([`RetryPolicy::object_store_config`],
//!   applied by [`S3StoreBuilder`](crate::store::S3StoreBuilder)); writers
//!   and readers above the store do not retry a store call again;
//! * AWS SDK calls are retried by the SDK's standard retry strategy,
//!   configured from the policy ([`RetryPolicy::sdk_config`], applied by
//!   [`AwsConfigBuilder::retry_policy`](crate::aws::AwsConfigBuilder::retry_policy));
//! * everything else (an HTTP notification, a user's handler) is retried
//!   by [`RetryPolicy::run`].

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::Result;

/// How often and how patiently an operation is retried.
///
/// Only errors whose [`Error::is_retryable`](crate::Error::is_retryable) is
/// true are retried. The delay before retry `n` (1-based) is drawn uniformly
/// from `[0, min(max_backoff, initial_backoff * 2^(n-1)))` ("full jitter"),
/// and is at least the `Retry-After` the service sent (itself capped at
/// `max_backoff`).
///
/// No retry starts once [`max_elapsed`](Self::with_max_elapsed) has passed
/// since the first attempt began.
///
/// ```
/// use std::time::Duration;
/// use securitylake_core::retry::RetryPolicy;
///
/// let policy = RetryPolicy::new()
///     .with_max_attempts(4)
///     .with_initial_backoff(Duration::from_millis(100))
///     .with_max_backoff(Duration::from_secs(1));
/// // Ceilings before jitter: 100 ms, 200 ms, 400 ms, then capped at 1 s.
/// assert_eq!(policy.backoff(3, 1.0), Duration::from_millis(400));
/// assert_eq!(policy.backoff(5, 1.0), Duration::from_secs(1));
/// assert_eq!(policy.backoff(3, 0.5), Duration::from_millis(200));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl RetryPolicy {
    /// The default number of attempts, the first one included.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
    /// The default ceiling of the first backoff.
    pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(200);
    /// The default ceiling of any backoff.
    pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(10);
    /// The default total time budget: no retry starts 3 minutes after the
    /// first attempt began.
    pub const DEFAULT_MAX_ELAPSED: Duration = Duration::from_secs(3 * 60);

    /// The default policy: 3 attempts, backoff ceilings from 200 ms up to
    /// 10 s, at most 3 minutes in all.
    pub const fn new() -> Self {
        Self {
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            initial_backoff: Self::DEFAULT_INITIAL_BACKOFF,
            max_backoff: Self::DEFAULT_MAX_BACKOFF,
            max_elapsed: Self::DEFAULT_MAX_ELAPSED,
        }
    }

    /// A policy that makes exactly one attempt.
    pub const fn no_retry() -> Self {
        Self::new().with_max_attempts(1)
    }

    /// Sets the total number of attempts (the first included); 0 counts as 1.
    pub const fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = if attempts == 0 { 1 } else { attempts };
        self
    }

    /// Sets the ceiling of the first backoff.
    pub const fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Sets the ceiling of any backoff.
    pub const fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Sets the total time budget: no retry starts once this much time has
    /// passed since the first attempt began.
    pub const fn with_max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed = budget;
        self
    }

    /// The total number of attempts.
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The ceiling of the first backoff.
    pub const fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The ceiling of any backoff.
    pub const fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The total time budget.
    pub const fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// The policy as `object_store`'s HTTP retry configuration: at most
    /// `max_attempts` requests per call (`max_retries = max_attempts - 1`),
    /// backoffs between the initial and the maximum backoff growing by a
    /// factor of 2, and the total budget as `retry_timeout`.
    ///
    /// `object_store` draws its jitter from `[initial, 2 x previous]`
    /// ("decorrelated jitter") rather than from `[0, ceiling]`; the attempt
    /// budget, the ceilings and the time budget are this policy's.
    ///
    /// ```
    /// use securitylake_core::retry::RetryPolicy;
    ///
    /// let config = RetryPolicy::new().with_max_attempts(4).object_store_config();
    /// assert_eq!(config.max_retries, 3);
    /// ```
    #[cfg(feature = "s3")]
    #[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
    pub fn object_store_config(&self) -> object_store::RetryConfig {
        object_store::RetryConfig {
            backoff: object_store::BackoffConfig {
                init_backoff: self.initial_backoff,
                max_backoff: self.max_backoff.max(self.initial_backoff),
                base: 2.0,
            },
            max_retries: usize::try_from(self.max_attempts.saturating_sub(1)).unwrap_or(0),
            retry_timeout: self.max_elapsed,
        }
    }

    /// The policy as the AWS SDK's standard retry configuration (exponential
    /// backoff with full jitter, the same attempt budget and ceilings).
    #[cfg(feature = "s3")]
    #[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
    pub fn sdk_config(&self) -> aws_config::retry::RetryConfig {
        aws_config::retry::RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(self.initial_backoff)
            .with_max_backoff(self.max_backoff)
    }

    /// The delay before retry number `retry` (1-based) for a jitter fraction
    /// in `[0, 1]` (values outside are clamped). Pure, for testing and for
    /// callers with their own clock.
    pub fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        Duration::try_from_secs_f64(ceiling.as_secs_f64() * jitter)
            .map_or(ceiling, |d| d.min(ceiling))
    }

    /// The delay before retry number `retry` after `error`, honouring the
    /// service's `Retry-After` (capped at the maximum backoff).
    pub fn delay_after(&self, retry: u32, error: &crate::Error, jitter: f64) -> Duration {
        let backoff = self.backoff(retry, jitter);
        match error.retry_after() {
            Some(asked) => backoff.max(asked.min(self.max_backoff)),
            None => backoff,
        }
    }

    /// Runs `attempt` until it succeeds, fails with a non-retryable error, or
    /// the attempts or the time budget are used up; returns the last error
    /// then. The closure gets the 1-based attempt number.
    ///
    /// Use it only for operations that no lower layer retries (a store call
    /// or an SDK call is already retried by its client).
    pub async fn run<T, F, Fut>(&self, operation: &str, attempt: F) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.run_if(operation, attempt, crate::Error::is_retryable, |e| {
            e.retry_after()
        })
        .await
    }

    /// Like [`Self::run`], for any error type: `retryable` says which errors
    /// are retried, `retry_after` the delay a service asked for.
    pub async fn run_if<T, E, F, Fut>(
        &self,
        operation: &str,
        mut attempt: F,
        retryable: impl Fn(&E) -> bool,
        retry_after: impl Fn(&E) -> Option<Duration>,
    ) -> std::result::Result<T, E>
    where
        E: std::fmt::Display,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
    {
        let started = Instant::now();
        let mut number = 1;
        loop {
            match attempt(number).await {
                Ok(value) => return Ok(value),
                Err(err)
                    if retryable(&err)
                        && number < self.max_attempts
                        && started.elapsed() < self.max_elapsed =>
                {
                    let backoff = self.backoff(number, fastrand::f64());
                    let delay = match retry_after(&err) {
                        Some(asked) => backoff.max(asked.min(self.max_backoff)),
                        None => backoff,
                    };
                    tracing::warn!(
                        operation,
                        attempt = number,
                        max_attempts = self.max_attempts,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        error = %err,
                        "retrying after a retryable error"
                    );
                    tokio::time::sleep(delay).await;
                    number += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, ErrorKind};

    #[test]
    fn conversions_keep_the_attempt_budget() {
        let p = RetryPolicy::new()
            .with_max_attempts(4)
            .with_initial_backoff(Duration::from_millis(5))
            .with_max_backoff(Duration::from_millis(50))
            .with_max_elapsed(Duration::from_secs(7));
        let os = p.object_store_config();
        assert_eq!(os.max_retries, 3);
        assert_eq!(os.backoff.init_backoff, Duration::from_millis(5));
        assert_eq!(os.backoff.max_backoff, Duration::from_millis(50));
        assert_eq!(os.retry_timeout, Duration::from_secs(7));
        assert_eq!(RetryPolicy::no_retry().object_store_config().max_retries, 0);
        let sdk = p.sdk_config();
        assert_eq!(sdk.max_attempts(), 4);
        assert_eq!(sdk.initial_backoff(), Duration::from_millis(5));
        assert_eq!(sdk.max_backoff(), Duration::from_millis(50));
    }
    use std::sync::atomic::{AtomicU32, Ordering};

    fn policy() -> RetryPolicy {
        RetryPolicy::new()
            .with_max_attempts(4)
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(3))
    }

    #[test]
    fn backoff_grows_exponentially_and_is_capped() {
        let p = RetryPolicy::new()
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(1000));
        let ceilings: Vec<u128> = (1..=6).map(|n| p.backoff(n, 1.0).as_millis()).collect();
        assert_eq!(ceilings, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.backoff(u32::MAX, 1.0), Duration::from_millis(1000));
        assert_eq!(p.backoff(0, 1.0), Duration::from_millis(100));
    }

    #[test]
    fn jitter_is_bounded() {
        let p = RetryPolicy::new();
        assert_eq!(p.backoff(2, 0.0), Duration::ZERO);
        assert_eq!(p.backoff(2, -3.0), Duration::ZERO);
        assert_eq!(p.backoff(2, f64::NAN), Duration::ZERO);
        assert_eq!(p.backoff(2, 7.0), p.backoff(2, 1.0));
        for _ in 0..1000 {
            let d = p.backoff(3, fastrand::f64());
            assert!(d <= RetryPolicy::DEFAULT_INITIAL_BACKOFF * 4);
        }
    }

    #[test]
    fn retry_after_is_a_floor_capped_at_max_backoff() {
        let p = RetryPolicy::new()
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_secs(2));
        let err = Error::new(ErrorKind::Throttled, "slow").with_retry_after(Duration::from_secs(1));
        assert_eq!(p.delay_after(1, &err, 0.0), Duration::from_secs(1));
        let long =
            Error::new(ErrorKind::Throttled, "slow").with_retry_after(Duration::from_secs(60));
        assert_eq!(p.delay_after(1, &long, 0.0), Duration::from_secs(2));
        let plain = Error::new(ErrorKind::Throttled, "slow");
        assert_eq!(p.delay_after(1, &plain, 0.5), Duration::from_millis(50));
    }

    #[test]
    fn zero_attempts_means_one() {
        assert_eq!(RetryPolicy::new().with_max_attempts(0).max_attempts(), 1);
        assert_eq!(RetryPolicy::no_retry().max_attempts(), 1);
    }

    #[tokio::test]
    async fn run_retries_retryable_errors_until_success() {
        let calls = AtomicU32::new(0);
        let result = policy()
            .run("test", |n| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 3 {
                        Err(Error::new(ErrorKind::Transient, "flaky"))
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(result.ok(), Some(3));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn run_stops_at_non_retryable_errors() {
        let calls = AtomicU32::new(0);
        let result: Result<()> = policy()
            .run("test", |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(Error::new(ErrorKind::AccessDenied, "no")) }
            })
            .await;
        assert_eq!(
            result.err().map(|e| e.kind()),
            Some(ErrorKind::AccessDenied)
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn run_gives_up_after_max_attempts_with_the_last_error() {
        let calls = AtomicU32::new(0);
        let result: Result<()> = policy()
            .run("test", |n| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move { Err(Error::new(ErrorKind::Throttled, format!("attempt {n}"))) }
            })
            .await;
        let err = result.err();
        assert_eq!(err.as_ref().map(|e| e.message()), Some("attempt 4"));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }
}

//! [`ResultStream`]: the one stream type the subscriber hands out (deliveries,
//! Arrow batches, typed and dynamic events), readable with plain inherent
//! `next()` / `try_next()` calls and usable as a `futures::Stream`.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::{Stream, StreamExt};

use crate::error::Result;

/// A stream of `Result<T>` items.
///
/// Read it with the inherent [`next`](Self::next) or [`try_next`](Self::try_next) (no trait
/// import needed), or use it anywhere a [`futures::Stream`] is taken (`futures`' `StreamExt`
/// and `TryStreamExt` combinators work on it).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().expect("rt").block_on(async {
/// use securitylake_subscriber::ResultStream;
///
/// let mut numbers = ResultStream::from_stream(futures::stream::iter([Ok(1), Ok(2)]));
/// assert_eq!(numbers.try_next().await?, Some(1));
/// assert_eq!(numbers.next().await.transpose()?, Some(2));
/// assert_eq!(numbers.try_next().await?, None);
/// # Ok::<(), securitylake_subscriber::Error>(())
/// # }).expect("example");
/// ```
#[must_use = "streams do nothing unless read"]
pub struct ResultStream<T> {
    inner: Pin<Box<dyn Stream<Item = Result<T>> + Send>>,
}

impl<T> ResultStream<T> {
    /// Wraps any `Send` stream of `Result<T>` items.
    pub fn from_stream(stream: impl Stream<Item = Result<T>> + Send + 'static) -> Self {
        Self {
            inner: Box::pin(stream),
        }
    }

    /// The next item, or `None` at the end of the stream.
    pub async fn next(&mut self) -> Option<Result<T>> {
        self.inner.next().await
    }

    /// The next item with its error lifted out: `Ok(None)` at the end of the
    /// stream, so `while let Some(x) = stream.try_next().await? { ... }` reads it all.
    pub async fn try_next(&mut self) -> Result<Option<T>> {
        self.inner.next().await.transpose()
    }
}

impl<T> Stream for ResultStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<T> fmt::Debug for ResultStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultStream")
            .field("item", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

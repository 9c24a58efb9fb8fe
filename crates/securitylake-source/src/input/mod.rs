//! Inputs: where raw logs come from before a mapper turns them into events
//! (input -> mapper (`ocsf-mappers`) -> typed events ->
//! [`Writer`](crate::Writer)). Line inputs with durable checkpoints: a file
//! read once, a followed file (`tail -F`), stdin or any async reader; and a
//! syslog receiver.
//!
//! Every line input implements [`LineInput`]: it fills a reused `String` with
//! the next complete line and returns the line's [`Position`] (the place
//! just after it). [`Checkpoints`] stores positions durably by input name;
//! a position is committed only after every line before it is durable
//! downstream (see [the commit contract](Checkpoints#the-commit-contract)),
//! and an input given its committed position on start resumes just after
//! it when the file is still the same file ([`FileIdentity`]).
//!
//! * [`FileInput`]: a file read once, to its end.
//! * [`FollowInput`]: a file followed by path: appends, rotation by rename
//!   and by copy-truncate, deletion and re-creation; partial last lines
//!   are held until complete.
//! * [`ReaderInput`] / [`StdinInput`]: any [`tokio::io::AsyncRead`].
//! * [`Input`]: any of them, as one type (for inputs chosen by
//!   configuration).
//! * [`syslog`]: a syslog receiver over UDP, TCP and TLS (messages, not
//!   line positions: see its module).
//! * [`relp`]: a RELP receiver (acknowledged syslog: exactly once with a
//!   durable commit before each acknowledgement).
//! * [`journald`]: the systemd journal, followed (`journalctl -o export
//!   --follow`), whole entries with their cursor as the checkpoint.
//! * [`objects`]: the lines of the objects under a prefix of an object store
//!   (plain or gzip), for backfills, resumable by key and offset.
//!
//! Lines are split on `\n` (a `\r` before it is dropped). Bad bytes are
//! never dropped silently: a line that is not UTF-8 is returned with U+FFFD
//! in place of each invalid sequence and counted
//! ([`InputStats::invalid_utf8_lines`]); a line longer than the maximum is
//! returned in pieces and counted ([`InputStats::long_lines_split`]).
//!
//! ```
//! use std::time::Duration;
//! use securitylake_source::input::{Checkpoints, FollowInput, LineInput};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build()?.block_on(async {
//! let dir = tempfile::tempdir()?;
//! let log = dir.path().join("app.log");
//! std::fs::write(&log, "one\ntwo\n")?;
//! let mut checkpoints = Checkpoints::open(dir.path().join("checkpoints.json")).await?;
//!
//! let mut input = FollowInput::new(&log)
//!     .poll_interval(Duration::from_millis(10))
//!     .resume_from(checkpoints.get("app"));
//! let mut line = String::new();
//! let mut last = None;
//! for _ in 0..2 {
//!     last = input.next_line(&mut line).await?;
//!     // ... map the line and write its events ...
//! }
//! // ... after the writer's flush returned Ok:
//! if let Some(position) = last {
//!     checkpoints.commit("app", position).await?;
//! }
//! assert_eq!(checkpoints.get("app").map(|p| p.offset()), Some(8));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod checkpoint;
mod file;
mod follow;
pub mod journald;
mod lines;
pub mod objects;
mod once;
mod position;
mod reader;
pub mod relp;
pub mod syslog;

use std::future::Future;

pub use checkpoint::Checkpoints;
pub use follow::{DEFAULT_POLL_INTERVAL, FollowInput};
pub use lines::{DEFAULT_MAX_LINE_BYTES, InputStats};
pub use once::FileInput;
pub use position::{FINGERPRINT_BYTES, FileIdentity, Position};
pub use reader::{ReaderInput, StdinInput};

use crate::error::Result;

/// An async source of complete lines, each with the [`Position`] just
/// after it.
///
/// ```
/// use securitylake_source::input::{LineInput, ReaderInput};
///
/// /// Counts the lines of any input.
/// async fn count(input: &mut impl LineInput) -> securitylake_source::Result<u64> {
///     let mut line = String::new();
///     let mut n = 0;
///     while input.next_line(&mut line).await?.is_some() {
///         n += 1;
///     }
///     Ok(n)
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// assert_eq!(count(&mut ReaderInput::new(&b"a\nb\nc"[..])).await?, 3);
/// # Ok::<(), securitylake_source::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait LineInput: Send {
    /// Replaces the content of `line` with the next complete line (without
    /// its line terminator) and returns the position just after it;
    /// `Ok(None)` at the end of an input that ends (a followed file never
    /// does). `line`'s allocation is reused.
    fn next_line(
        &mut self,
        line: &mut String,
    ) -> impl Future<Output = Result<Option<Position>>> + Send;

    /// The input's counters so far.
    fn stats(&self) -> InputStats;
}

/// Any of this module's inputs, as one type.
///
/// ```
/// use securitylake_source::input::{Input, LineInput, ReaderInput};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let mut input: Input = Input::Stdin(ReaderInput::stdin());
/// assert_eq!(input.stats().lines, 0);
/// # Ok::<(), securitylake_source::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Input {
    /// A file read once.
    File(FileInput),
    /// A followed file.
    Follow(FollowInput),
    /// Standard input.
    Stdin(StdinInput),
}

impl LineInput for Input {
    async fn next_line(&mut self, line: &mut String) -> Result<Option<Position>> {
        match self {
            Self::File(input) => input.next_line(line).await,
            Self::Follow(input) => input.next_line(line).await,
            Self::Stdin(input) => input.next_line(line).await,
        }
    }

    fn stats(&self) -> InputStats {
        match self {
            Self::File(input) => input.stats(),
            Self::Follow(input) => input.stats(),
            Self::Stdin(input) => input.stats(),
        }
    }
}

impl From<FileInput> for Input {
    fn from(input: FileInput) -> Self {
        Self::File(input)
    }
}

impl From<FollowInput> for Input {
    fn from(input: FollowInput) -> Self {
        Self::Follow(input)
    }
}

impl From<StdinInput> for Input {
    fn from(input: StdinInput) -> Self {
        Self::Stdin(input)
    }
}

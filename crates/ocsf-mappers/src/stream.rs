//! Streaming: events from a reader of lines (sync [`BufRead`], or tokio's
//! `AsyncBufRead` with the `async` feature) through any [`LineMapper`].
//! (journald export streams are read by
//! [`LinuxMapper::journal_export`](crate::LinuxMapper::journal_export).)
//!
//! Lines are read with a bound ([`SourceConfig::max_line_len`](crate::SourceConfig::max_line_len)):
//! a longer line is cut there and becomes a `line_too_long` fallback event, so
//! one huge line cannot exhaust memory. Bytes that are not UTF-8 are replaced
//! (U+FFFD) and the line is mapped. Only I/O errors are returned as errors;
//! after a non-transient one the stream flushes what the mapper buffered and
//! ends.

use std::collections::VecDeque;
use std::io::{self, BufRead};

use crate::error::{Error, Format};
use crate::stats::MapperStats;

/// A mapper that consumes lines: what the stream adapters drive.
pub trait LineMapper {
    /// The event type produced.
    type Event;

    /// Maps one line (without its terminator), appending events to `out`.
    fn map_line_into(&mut self, line: &str, out: &mut Vec<Self::Event>);

    /// Maps one line into `out`, which holds the events of an earlier line: a
    /// mapper that renders in place (the Linux mapper) renders this line into
    /// them, keeping their strings and boxes. Afterwards `out` holds this
    /// line's events only. The default empties `out` and calls
    /// [`map_line_into`](Self::map_line_into).
    fn map_line_reusing(&mut self, line: &str, out: &mut Vec<Self::Event>) {
        out.clear();
        self.map_line_into(line, out);
    }

    /// Flushes buffered state at the end of the input.
    fn finish_into(&mut self, out: &mut Vec<Self::Event>);

    /// The counters so far.
    fn stats(&self) -> &MapperStats;

    /// The longest line accepted, in bytes.
    fn max_line_len(&self) -> usize;

    /// Emits the fallback event for a line of `len` bytes that was cut to
    /// `prefix`.
    fn line_too_long(&mut self, prefix: &str, len: usize, out: &mut Vec<Self::Event>);
}

/// Reads one line into `buf` (without the `\n`), keeping at most `max` bytes;
/// returns the line's full length, or `None` at the end of the input.
fn read_bounded<R: BufRead>(r: &mut R, buf: &mut Vec<u8>, max: usize) -> io::Result<Option<usize>> {
    buf.clear();
    let mut total = 0usize;
    let mut any = false;
    loop {
        let available = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(any.then_some(total));
        }
        any = true;
        let newline = memchr::memchr(b'\n', available);
        let chunk = &available[..newline.unwrap_or(available.len())];
        let room = max.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        total = total.saturating_add(chunk.len());
        let used = newline.map_or(available.len(), |i| i + 1);
        r.consume(used);
        if newline.is_some() {
            return Ok(Some(total));
        }
    }
}

/// Maps one read line (shared by the sync and async readers) into `out`, which holds the
/// events of an earlier line ([`LineMapper::map_line_reusing`]) or nothing.
fn map_read<M: LineMapper>(mapper: &mut M, buf: &[u8], len: usize, out: &mut Vec<M::Event>) {
    let text = String::from_utf8_lossy(buf);
    if len > buf.len() {
        out.clear();
        mapper.line_too_long(&text, len, out);
    } else {
        mapper.map_line_reusing(&text, out);
    }
}

/// A stream that maps its input one unit at a time (a line, a journald entry) into the events
/// it lends: [`lend`] and [`next_owned`] drive it, so that its `next_events` and its
/// [`Iterator`] share one step.
pub(crate) trait Step {
    /// The events mapped.
    type Event;

    /// Maps the next unit into `out` (which holds the previous unit's events or nothing), or
    /// the mapper's buffered events at the end of the input; `None` once those were given.
    fn step(&mut self) -> Option<Result<(), Error>>;

    /// The events of the last step (`out`) and those the iterator has not handed out yet.
    fn buffers(&mut self) -> (&mut Vec<Self::Event>, &mut VecDeque<Self::Event>);
}

/// The next unit's events, lent until the next call (those the iterator left pending first).
pub(crate) fn lend<S: Step>(stream: &mut S) -> Option<Result<&[S::Event], Error>> {
    if !stream.buffers().1.is_empty() {
        let (out, pending) = stream.buffers();
        out.clear();
        out.extend(pending.drain(..));
        return Some(Ok(out));
    }
    match stream.step()? {
        Ok(()) => Some(Ok(stream.buffers().0)),
        Err(e) => Some(Err(e)),
    }
}

/// The next event, owned: [`Step::step`]'s events are handed out one by one.
pub(crate) fn next_owned<S: Step>(stream: &mut S) -> Option<Result<S::Event, Error>> {
    loop {
        if let Some(e) = stream.buffers().1.pop_front() {
            return Some(Ok(e));
        }
        if let Err(e) = stream.step()? {
            return Some(Err(e));
        }
        let (out, pending) = stream.buffers();
        pending.extend(out.drain(..));
    }
}

/// Events from a [`BufRead`] of lines; see [`events`].
#[derive(Debug)]
pub struct Events<M: LineMapper, R> {
    mapper: M,
    reader: R,
    buf: Vec<u8>,
    out: Vec<M::Event>,
    pending: VecDeque<M::Event>,
    offset: u64,
    done: bool,
    finished: bool,
}

/// Streams the events of every line of `reader` through `mapper`, then the
/// events the mapper still buffers at the end.
///
/// ```
/// use ocsf_mappers::{LinuxMapper, SourceConfig, stream};
///
/// let input = "\
/// Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4
/// Jun 14 15:16:02 combo su(pam_unix)[21416]: session opened for user news by (uid=0)
/// not a syslog line
/// ";
/// let mapper = LinuxMapper::new(SourceConfig::linux().with_reference_ms(1_120_000_000_000));
/// let mut events = stream::events(mapper, input.as_bytes());
/// let classes: Vec<i32> = events.by_ref().map(|e| e.map(|e| e.class_uid())).collect::<Result<_, _>>()?;
/// assert_eq!(classes, [3002, 3002, 0]);
/// assert_eq!(events.mapper().stats().accepted, 3);
/// # Ok::<(), ocsf_mappers::Error>(())
/// ```
pub fn events<M: LineMapper, R: BufRead>(mapper: M, reader: R) -> Events<M, R> {
    Events {
        mapper,
        reader,
        buf: Vec::new(),
        out: Vec::new(),
        pending: VecDeque::new(),
        offset: 0,
        done: false,
        finished: false,
    }
}

impl<M: LineMapper, R> Events<M, R> {
    /// The mapper (for its [`stats`](LineMapper::stats)).
    pub fn mapper(&self) -> &M {
        &self.mapper
    }

    /// Gives the mapper back.
    pub fn into_mapper(self) -> M {
        self.mapper
    }
}

impl<M: LineMapper, R: BufRead> Events<M, R> {
    /// The events of the next line, lent until the next call, which renders
    /// the following line into them: a loop that hands each line's events on
    /// by reference (a writer encodes them where they are) builds no new
    /// events once warm with the Linux mapper. A line may have no events (a
    /// blank line, a sudo record waiting for its continuation). At the end of
    /// the input the events the mapper still buffers come as one last slice,
    /// then `None`. Errors are those of [`Iterator::next`], and events that
    /// `next` left pending come first.
    ///
    /// ```
    /// use ocsf_mappers::{LinuxMapper, SourceConfig, stream};
    ///
    /// let input = "\
    /// Mar  3 10:00:00 h sshd[42]: Accepted password for alice from 10.0.0.5 port 5000 ssh2
    /// Mar  3 10:00:01 h sshd[43]: Accepted password for bob from 10.0.0.6 port 5001 ssh2
    /// ";
    /// let mapper = LinuxMapper::new(SourceConfig::linux().with_reference_ms(1_709_460_000_000));
    /// let mut events = stream::events(mapper, input.as_bytes());
    /// let mut users = Vec::new();
    /// while let Some(line) = events.next_events() {
    ///     for event in line? {
    ///         let json = serde_json::to_value(event)?;
    ///         users.push(json["user"]["name"].as_str().unwrap_or_default().to_owned());
    ///     }
    /// }
    /// assert_eq!(users, ["alice", "bob"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_events(&mut self) -> Option<Result<&[M::Event], Error>> {
        lend(self)
    }
}

impl<M: LineMapper, R: BufRead> Step for Events<M, R> {
    type Event = M::Event;

    fn buffers(&mut self) -> (&mut Vec<M::Event>, &mut VecDeque<M::Event>) {
        (&mut self.out, &mut self.pending)
    }

    /// Maps the next line into `out` (into its events, if any), or the mapper's buffered
    /// events at the end of the input; `None` once those were given.
    fn step(&mut self) -> Option<Result<(), Error>> {
        if self.finished {
            return None;
        }
        if !self.done {
            let max = self.mapper.max_line_len();
            match read_bounded(&mut self.reader, &mut self.buf, max) {
                Ok(Some(len)) => {
                    self.offset = self.offset.saturating_add(len as u64 + 1);
                    map_read(&mut self.mapper, &self.buf, len, &mut self.out);
                    return Some(Ok(()));
                }
                Ok(None) => self.done = true,
                Err(e) => {
                    let transient = matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    );
                    self.done = !transient;
                    return Some(Err(Error::io(Format::Lines, self.offset, e)));
                }
            }
        }
        self.out.clear();
        self.mapper.finish_into(&mut self.out);
        self.finished = true;
        Some(Ok(()))
    }
}

impl<M: LineMapper, R: BufRead> Iterator for Events<M, R> {
    type Item = Result<M::Event, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        next_owned(self)
    }
}

#[cfg(feature = "async")]
pub(crate) use self::r#async::read_bounded as read_bounded_async;
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use self::r#async::{AsyncEvents, events_async};

#[cfg(feature = "async")]
mod r#async {
    use std::collections::VecDeque;
    use std::io;

    use tokio::io::{AsyncBufRead, AsyncBufReadExt};

    use super::{LineMapper, map_read};
    use crate::error::{Error, Format};

    /// Reads one line into `buf` (without the `\n`), keeping at most `max`
    /// bytes; returns the line's full length, or `None` at the end.
    pub(crate) async fn read_bounded<R: AsyncBufRead + Unpin>(
        r: &mut R,
        buf: &mut Vec<u8>,
        max: usize,
    ) -> io::Result<Option<usize>> {
        buf.clear();
        let mut total = 0usize;
        let mut any = false;
        loop {
            let available = r.fill_buf().await?;
            if available.is_empty() {
                return Ok(any.then_some(total));
            }
            any = true;
            let newline = memchr::memchr(b'\n', available);
            let chunk = &available[..newline.unwrap_or(available.len())];
            let room = max.saturating_sub(buf.len());
            buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            total = total.saturating_add(chunk.len());
            let used = newline.map_or(available.len(), |i| i + 1);
            r.consume(used);
            if newline.is_some() {
                return Ok(Some(total));
            }
        }
    }

    /// Events from a tokio `AsyncBufRead` of lines; see [`events_async`].
    #[derive(Debug)]
    pub struct AsyncEvents<M: LineMapper, R> {
        mapper: M,
        reader: R,
        buf: Vec<u8>,
        out: Vec<M::Event>,
        pending: VecDeque<M::Event>,
        offset: u64,
        done: bool,
        finished: bool,
    }

    /// Streams the events of every line of an async `reader` through `mapper`
    /// (the async twin of [`events`](super::events)).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    /// # runtime.block_on(async {
    /// use ocsf_mappers::{DeepSecurityMapper, SourceConfig, stream};
    ///
    /// let input: &[u8] = b"CEF:0|Trend Micro|Deep Security Agent|20.0|5000000|WebReputation|5|cn1=1 cn1Label=Host ID dvchost=web1 request=http://example.com/x msg=Blocked By Admin\n";
    /// let mut events = stream::events_async(DeepSecurityMapper::new(SourceConfig::deep_security()), input);
    /// let first = events.next_event().await.transpose()?;
    /// assert_eq!(first.map(|e| e.class_uid()), Some(4001));
    /// assert!(events.next_event().await.is_none());
    /// # Ok::<(), ocsf_mappers::Error>(())
    /// # })?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn events_async<M: LineMapper, R: AsyncBufRead + Unpin>(
        mapper: M,
        reader: R,
    ) -> AsyncEvents<M, R> {
        AsyncEvents {
            mapper,
            reader,
            buf: Vec::new(),
            out: Vec::new(),
            pending: VecDeque::new(),
            offset: 0,
            done: false,
            finished: false,
        }
    }

    impl<M: LineMapper, R: AsyncBufRead + Unpin> AsyncEvents<M, R> {
        /// The next event; `None` at the end (after the mapper's buffered
        /// events are flushed).
        pub async fn next_event(&mut self) -> Option<Result<M::Event, Error>> {
            loop {
                if let Some(e) = self.pending.pop_front() {
                    return Some(Ok(e));
                }
                if self.finished {
                    return None;
                }
                if self.done {
                    self.mapper.finish_into(&mut self.out);
                    self.pending.extend(self.out.drain(..));
                    self.finished = true;
                    continue;
                }
                let max = self.mapper.max_line_len();
                match read_bounded(&mut self.reader, &mut self.buf, max).await {
                    Ok(None) => self.done = true,
                    Ok(Some(len)) => {
                        self.offset = self.offset.saturating_add(len as u64 + 1);
                        map_read(&mut self.mapper, &self.buf, len, &mut self.out);
                        self.pending.extend(self.out.drain(..));
                    }
                    Err(e) => {
                        let transient = matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock
                                | io::ErrorKind::TimedOut
                                | io::ErrorKind::Interrupted
                        );
                        self.done = !transient;
                        return Some(Err(Error::io(Format::Lines, self.offset, e)));
                    }
                }
            }
        }

        /// The mapper (for its stats).
        pub fn mapper(&self) -> &M {
            &self.mapper
        }

        /// Gives the mapper back.
        pub fn into_mapper(self) -> M {
            self.mapper
        }
    }
}

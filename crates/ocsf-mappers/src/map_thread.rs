//! A [`LineMapping`] on a thread of its own, so that mapping runs on one core while the caller
//! encodes and writes the events of earlier lines on another.
//!
//! Lines go in and events come out in chunks ([`LineChunk`]), in order, through bounded queues:
//! at most `depth` chunks are mapped or waiting to be taken, so memory stays bounded and a slow
//! writer slows the reader down. One thread maps every chunk with one mapper, so the events are
//! exactly those of mapping the lines in order on the caller's thread (the mappers keep state
//! across lines: connections, multi-line records, the year of syslog timestamps). A chunk handed
//! back with [`MapThread::recycle`] is reused with its buffers: its text, and its events, which
//! the next lines are rendered into.
//!
//! The caller's side is async (tokio's bounded channels), so it never blocks a runtime thread.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ocsf_mappers::SourceConfig;
//! use ocsf_mappers::lines::{LineFormat, LineMapping};
//! use ocsf_mappers::map_thread::MapThread;
//!
//! let config = SourceConfig::linux().with_reference_ms(1_709_460_000_000);
//! let mut mapper = MapThread::spawn(LineMapping::new(LineFormat::Linux, config), 2)?;
//! let mut events = 0;
//! for user in ["alice", "bob", "carol"] {
//!     let mut chunk = mapper.chunk();
//!     chunk.push_line(&format!(
//!         "Mar  3 10:00:00 h sshd[42]: Accepted password for {user} from 10.0.0.5 port 5000 ssh2"
//!     ));
//!     // Waits for room: the returned chunk, if any, is the oldest one mapped.
//!     if let Some(done) = mapper.submit(chunk).await? {
//!         events += done.mapped.events.len();
//!         mapper.recycle(done);
//!     }
//! }
//! while let Some(done) = mapper.next().await? {
//!     events += done.mapped.events.len();
//!     mapper.recycle(done);
//! }
//! let (_mapping, rest) = mapper.finish().await?;
//! events += rest.mapped.events.len();
//! assert_eq!(events, 3);
//! # Ok(())
//! # }
//! ```

use std::collections::VecDeque;
use std::thread::JoinHandle;

use ocsf_model::v1_1_0::Event;
use tokio::sync::mpsc;

use crate::lines::{LineMapping, Mapped};

/// Lines to map and, once mapped, their events; `T` is what a [taking](MapThread::spawn_taking)
/// thread made of the events it took (nothing, `()`, for [`MapThread::spawn`]).
#[derive(Debug, Default)]
pub struct LineChunk<T = ()> {
    /// The lines, each followed by a `\n`.
    text: String,
    /// Where each line ends in `text` (before the `\n` that follows it): a line may hold `\n`s.
    ends: Vec<usize>,
    /// What the mapper made of the lines (empty before they are mapped), less the events taken.
    pub mapped: Mapped,
    /// What the taking function made of the events it took, in the lines' order (an encoder
    /// holding them as columns, for instance). The caller empties it when it takes the chunk:
    /// a recycled chunk keeps it as it is.
    pub taken: T,
}

impl<T> LineChunk<T> {
    /// An empty chunk whose taken events go to `taken`.
    fn with_taken(taken: T) -> Self {
        Self {
            text: String::new(),
            ends: Vec::new(),
            mapped: Mapped::default(),
            taken,
        }
    }

    /// Appends a line, with or without its line ending (one trailing `\n` is left out). `\n`s
    /// inside it stay: it is mapped as one line.
    pub fn push_line(&mut self, line: &str) {
        self.push_verbatim(line.strip_suffix('\n').unwrap_or(line));
    }

    /// Appends `line` exactly as it is, a trailing `\n` included: it is mapped as one line, as
    /// [`LineMapping::map_line`] maps it (for messages and JSON elements that may hold `\n`s).
    pub fn push_verbatim(&mut self, line: &str) {
        self.text.push_str(line);
        self.ends.push(self.text.len());
        self.text.push('\n');
    }

    /// The number of lines pushed.
    pub fn lines(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of the lines pushed (with their line endings).
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Whether no line was pushed.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Maps the lines with `mapping`, after recycling the events of the chunk's last use. Each
    /// line's events are offered to `take` at once, while they are in this core's cache; those
    /// it takes are recycled for the next line to be rendered into.
    fn map(&mut self, mapping: &mut LineMapping, take: &mut Option<Taker<T>>) {
        self.mapped.recycle();
        let mut from = 0;
        for &end in &self.ends {
            let line = &self.text[from..end];
            from = end + 1;
            let start = self.mapped.events.len();
            mapping.map_line(line, &mut self.mapped);
            if let Some(take) = take {
                let taken = &mut self.taken;
                self.mapped.recycle_from(start, |event| take(event, taken));
            }
        }
    }

    /// Empties the lines, keeping the buffers (the events stay until the next mapping, which
    /// renders into them).
    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }
}

/// The function a taking thread offers each event to.
type Taker<T> = Box<dyn FnMut(&Event, &mut T) -> bool + Send>;

/// What goes to the mapping thread.
enum Job<T> {
    Map(Box<LineChunk<T>>),
    Finish(Box<LineChunk<T>>),
}

/// What comes back from it.
enum Done<T> {
    Mapped(Box<LineChunk<T>>),
    Finished(Box<LineMapping>, Box<LineChunk<T>>),
}

/// The mapping thread stopped (it panicked): the chunks in flight are lost to the caller, who
/// still holds their lines' positions and can map them again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapThreadStopped;

impl std::fmt::Display for MapThreadStopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the mapping thread stopped")
    }
}

impl std::error::Error for MapThreadStopped {}

/// A [`LineMapping`] on its own thread; see the [module](self).
pub struct MapThread<T = ()> {
    jobs: mpsc::Sender<Job<T>>,
    done: mpsc::Receiver<Done<T>>,
    /// Chunks submitted and not taken yet.
    in_flight: usize,
    depth: usize,
    /// Recycled chunks.
    free: VecDeque<Box<LineChunk<T>>>,
    /// Makes the `taken` of a new chunk.
    make: Box<dyn FnMut() -> T + Send>,
    thread: Option<JoinHandle<()>>,
}

impl<T> std::fmt::Debug for MapThread<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapThread")
            .field("in_flight", &self.in_flight)
            .field("depth", &self.depth)
            .field("free", &self.free.len())
            .finish_non_exhaustive()
    }
}

impl MapThread {
    /// Starts a thread mapping with `mapping`, with at most `depth` chunks (at least 1) in
    /// flight: being mapped, or mapped and not taken yet. Every event stays in its chunk's
    /// [`mapped`](LineChunk::mapped).
    pub fn spawn(mapping: LineMapping, depth: usize) -> std::io::Result<Self> {
        Self::start(mapping, depth, Box::new(|| ()), None)
    }
}

impl<T: Send + 'static> MapThread<T> {
    /// Starts a thread mapping with `mapping` like [`MapThread::spawn`], which also offers each
    /// event, as soon as its line is mapped, to `take` with the chunk's
    /// [`taken`](LineChunk::taken): an event `take` returns `true` for was taken (encoded into
    /// columns there, for instance, while it is in the mapping core's cache) and leaves
    /// [`mapped`](LineChunk::mapped), its allocations recycled for the next line; the others stay.
    /// `make` makes the `taken` of each new chunk (at most `depth + 2` chunks are ever made).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ocsf_mappers::SourceConfig;
    /// use ocsf_mappers::lines::{LineFormat, LineMapping};
    /// use ocsf_mappers::map_thread::MapThread;
    /// use ocsf_model::v1_1_0::Event;
    ///
    /// let config = SourceConfig::linux().with_reference_ms(1_709_460_000_000);
    /// // Takes the users of Authentication events; the other events stay in the chunk.
    /// let mut mapper = MapThread::spawn_taking(
    ///     LineMapping::new(LineFormat::Linux, config),
    ///     2,
    ///     Vec::<String>::new,
    ///     |event, users: &mut Vec<String>| match event {
    ///         Event::Authentication(auth) => {
    ///             users.extend(auth.user.as_ref().and_then(|user| user.name.clone()));
    ///             true
    ///         }
    ///         _ => false,
    ///     },
    /// )?;
    /// let mut chunk = mapper.chunk();
    /// chunk.push_line("Mar  3 10:00:00 h sshd[42]: Accepted password for alice from 10.0.0.5 port 5000 ssh2");
    /// chunk.push_line("Mar  3 10:00:01 h kernel: something only a fallback record keeps");
    /// assert!(mapper.submit(chunk).await?.is_none());
    /// let mut done = mapper.next().await?.expect("the chunk, mapped");
    /// assert_eq!(std::mem::take(&mut done.taken), ["alice"]);
    /// assert_eq!(done.mapped.events.len(), 1, "the fallback record");
    /// mapper.recycle(done);
    /// let (_mapping, rest) = mapper.finish().await?;
    /// assert!(rest.taken.is_empty() && rest.mapped.events.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn spawn_taking(
        mapping: LineMapping,
        depth: usize,
        make: impl FnMut() -> T + Send + 'static,
        take: impl FnMut(&Event, &mut T) -> bool + Send + 'static,
    ) -> std::io::Result<Self> {
        Self::start(mapping, depth, Box::new(make), Some(Box::new(take)))
    }

    fn start(
        mapping: LineMapping,
        depth: usize,
        make: Box<dyn FnMut() -> T + Send>,
        take: Option<Taker<T>>,
    ) -> std::io::Result<Self> {
        let depth = depth.max(1);
        let (jobs, mut queue) = mpsc::channel::<Job<T>>(depth);
        let (results, done) = mpsc::channel::<Done<T>>(depth + 1);
        let thread = std::thread::Builder::new()
            .name("ocsf-mapper".into())
            .spawn(move || {
                let mut mapping = mapping;
                let mut take = take;
                while let Some(job) = queue.blocking_recv() {
                    let result = match job {
                        Job::Map(mut chunk) => {
                            chunk.map(&mut mapping, &mut take);
                            Done::Mapped(chunk)
                        }
                        Job::Finish(mut rest) => {
                            rest.mapped.recycle();
                            mapping.finish(&mut rest.mapped);
                            if let Some(take) = &mut take {
                                let taken = &mut rest.taken;
                                rest.mapped.recycle_from(0, |event| take(event, taken));
                            }
                            let _ = results.blocking_send(Done::Finished(Box::new(mapping), rest));
                            return;
                        }
                    };
                    if results.blocking_send(result).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Self {
            jobs,
            done,
            in_flight: 0,
            depth,
            free: VecDeque::new(),
            make,
            thread: Some(thread),
        })
    }

    /// An empty chunk to fill: a recycled one (with its buffers) when there is one.
    pub fn chunk(&mut self) -> LineChunk<T> {
        match self.free.pop_front() {
            Some(chunk) => *chunk,
            None => LineChunk::with_taken((self.make)()),
        }
    }

    /// Hands a chunk that was taken back for reuse (its events are rendered into by later
    /// lines; its [`taken`](LineChunk::taken) is kept as it is).
    pub fn recycle(&mut self, mut chunk: LineChunk<T>) {
        chunk.clear();
        if self.free.len() <= self.depth {
            self.free.push_back(Box::new(chunk));
        }
    }

    /// Chunks submitted and not taken yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Submits a chunk to be mapped. When `depth` chunks are already in flight it first waits
    /// for the oldest one and returns it, mapped; otherwise it returns `None`.
    pub async fn submit(
        &mut self,
        chunk: LineChunk<T>,
    ) -> Result<Option<LineChunk<T>>, MapThreadStopped> {
        let oldest = if self.in_flight >= self.depth {
            self.next().await?
        } else {
            None
        };
        self.jobs
            .send(Job::Map(Box::new(chunk)))
            .await
            .map_err(|_| MapThreadStopped)?;
        self.in_flight += 1;
        Ok(oldest)
    }

    /// The oldest chunk in flight, once mapped; `None` when none is in flight.
    pub async fn next(&mut self) -> Result<Option<LineChunk<T>>, MapThreadStopped> {
        if self.in_flight == 0 {
            return Ok(None);
        }
        match self.done.recv().await {
            Some(Done::Mapped(chunk)) => {
                self.in_flight -= 1;
                Ok(Some(*chunk))
            }
            _ => Err(MapThreadStopped),
        }
    }

    /// Ends the thread after the chunks in flight (which are dropped: take them with
    /// [`next`](Self::next) first) and returns the mapper with what it still held (an open
    /// audit record, a pending sudo line; see [`LineMapping::finish`]) as a last chunk without
    /// lines: its events, less those taken into its `taken`.
    pub async fn finish(mut self) -> Result<(LineMapping, LineChunk<T>), MapThreadStopped> {
        while self.next().await?.is_some() {}
        let rest = Box::new(self.chunk());
        self.jobs
            .send(Job::Finish(rest))
            .await
            .map_err(|_| MapThreadStopped)?;
        let finished = match self.done.recv().await {
            Some(Done::Finished(mapping, rest)) => Ok((*mapping, *rest)),
            _ => Err(MapThreadStopped),
        };
        // The thread has returned (or is returning) after sending: nothing blocks here for long,
        // and the handle is dropped rather than joined, so no runtime thread waits on it.
        self.thread.take();
        finished
    }
}

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
//! events += rest.events.len();
//! assert_eq!(events, 3);
//! # Ok(())
//! # }
//! ```

use std::collections::VecDeque;
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use crate::lines::{LineMapping, Mapped};

/// Lines to map and, once mapped, their events.
#[derive(Debug, Default)]
pub struct LineChunk {
    /// The lines, each ending with `\n`.
    text: String,
    /// The number of lines in `text`.
    lines: usize,
    /// What the mapper made of the lines (empty before they are mapped).
    pub mapped: Mapped,
}

impl LineChunk {
    /// Appends a line (with or without its line ending; a line must not hold another `\n`).
    pub fn push_line(&mut self, line: &str) {
        let line = line.strip_suffix('\n').unwrap_or(line);
        self.text.push_str(line);
        self.text.push('\n');
        self.lines += 1;
    }

    /// The number of lines pushed.
    pub fn lines(&self) -> usize {
        self.lines
    }

    /// The bytes of the lines pushed (with their line endings).
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Whether no line was pushed.
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }

    /// Maps the lines with `mapping`, after recycling the events of the chunk's last use.
    fn map(&mut self, mapping: &mut LineMapping) {
        self.mapped.recycle();
        for line in self.text.split_terminator('\n') {
            mapping.map_line(line, &mut self.mapped);
        }
    }

    /// Empties the lines, keeping the buffers (the events stay until the next mapping, which
    /// renders into them).
    fn clear(&mut self) {
        self.text.clear();
        self.lines = 0;
    }
}

/// What goes to the mapping thread.
enum Job {
    Map(Box<LineChunk>),
    Finish,
}

/// What comes back from it.
enum Done {
    Mapped(Box<LineChunk>),
    Finished(Box<LineMapping>, Mapped),
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
#[derive(Debug)]
pub struct MapThread {
    jobs: mpsc::Sender<Job>,
    done: mpsc::Receiver<Done>,
    /// Chunks submitted and not taken yet.
    in_flight: usize,
    depth: usize,
    /// Recycled chunks.
    free: VecDeque<Box<LineChunk>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Job::Map(chunk) => write!(f, "Map({} lines)", chunk.lines),
            Job::Finish => f.write_str("Finish"),
        }
    }
}

impl std::fmt::Debug for Done {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Done::Mapped(chunk) => write!(f, "Mapped({} lines)", chunk.lines),
            Done::Finished(..) => f.write_str("Finished"),
        }
    }
}

impl MapThread {
    /// Starts a thread mapping with `mapping`, with at most `depth` chunks (at least 1) in
    /// flight: being mapped, or mapped and not taken yet.
    pub fn spawn(mapping: LineMapping, depth: usize) -> std::io::Result<Self> {
        let depth = depth.max(1);
        let (jobs, mut queue) = mpsc::channel::<Job>(depth);
        let (results, done) = mpsc::channel::<Done>(depth + 1);
        let thread = std::thread::Builder::new()
            .name("ocsf-mapper".into())
            .spawn(move || {
                let mut mapping = mapping;
                while let Some(job) = queue.blocking_recv() {
                    let result = match job {
                        Job::Map(mut chunk) => {
                            chunk.map(&mut mapping);
                            Done::Mapped(chunk)
                        }
                        Job::Finish => {
                            let mut rest = Mapped::default();
                            mapping.finish(&mut rest);
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
            thread: Some(thread),
        })
    }

    /// An empty chunk to fill: a recycled one (with its buffers) when there is one.
    pub fn chunk(&mut self) -> LineChunk {
        self.free.pop_front().map(|c| *c).unwrap_or_default()
    }

    /// Hands a chunk that was taken back for reuse (its events are rendered into by later
    /// lines).
    pub fn recycle(&mut self, mut chunk: LineChunk) {
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
        chunk: LineChunk,
    ) -> Result<Option<LineChunk>, MapThreadStopped> {
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
    pub async fn next(&mut self) -> Result<Option<LineChunk>, MapThreadStopped> {
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
    /// audit record, a pending sudo line; see [`LineMapping::finish`]).
    pub async fn finish(mut self) -> Result<(LineMapping, Mapped), MapThreadStopped> {
        while self.next().await?.is_some() {}
        self.jobs
            .send(Job::Finish)
            .await
            .map_err(|_| MapThreadStopped)?;
        let finished = match self.done.recv().await {
            Some(Done::Finished(mapping, rest)) => Ok((*mapping, rest)),
            _ => Err(MapThreadStopped),
        };
        // The thread has returned (or is returning) after sending: nothing blocks here for long,
        // and the handle is dropped rather than joined, so no runtime thread waits on it.
        self.thread.take();
        finished
    }
}

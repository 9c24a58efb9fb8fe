//! An input's mapper in `seclake run`, for one segment (the lines between two commits): text
//! lines are mapped on a thread of their own ([`MapThread`]), in chunks, while the input's task
//! encodes and writes the events of earlier chunks; journald entries are mapped inline, on the
//! task's thread (ADR 0307).
//!
//! Chunks are cut by content only: [`CHUNK_LINES`] lines or [`CHUNK_BYTES`] of text, whichever
//! comes first, and the partial chunk at the segment's flush ([`MappingStage::next_mapped`]).
//! A slow input (a followed file, a syslog receiver) therefore leaves its lines in the partial
//! chunk until the flush: they are durable only after it anyway, and the flush waits for them to
//! be mapped. One mapper maps the segment's lines in order, so the events are those of mapping
//! them one by one on the task's thread, in the same order.

use ocsf_mappers::MapperStats;
use ocsf_mappers::map_thread::{LineChunk, MapThread};

use super::mapper::{LineMapping, Mapped, map_journal_entry};
use crate::error::{Error, Result};

/// Lines per chunk at most.
pub const CHUNK_LINES: usize = 1000;
/// Bytes of text per chunk at most (a chunk of long lines is submitted earlier).
pub const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks in flight (being mapped, or mapped and not taken yet) at most.
const DEPTH: usize = 3;

/// One segment's mapper: inline or on its own thread.
#[derive(Debug)]
pub struct MappingStage {
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    /// Journald entries, mapped on the task's thread (`map_journal_entry` needs the mapper).
    Inline(Box<LineMapping>),
    /// Text lines, mapped on the mapping thread; `chunk` is filling up.
    Threaded {
        thread: MapThread,
        chunk: Box<LineChunk>,
    },
    /// Finished by [`MappingStage::finish`]; the next segment gets a new stage.
    Finished,
}

impl MappingStage {
    /// Starts the stage of a segment mapped by `mapping`: inline when `inline` (a journald
    /// input), else on a new mapping thread.
    pub fn start(mapping: LineMapping, inline: bool) -> Result<Self> {
        let mode = if inline {
            Mode::Inline(Box::new(mapping))
        } else {
            let mut thread = MapThread::spawn(mapping, DEPTH)
                .map_err(|e| Error::io("starting the mapping thread", e))?;
            let chunk = Box::new(thread.chunk());
            Mode::Threaded { thread, chunk }
        };
        Ok(Self { mode })
    }

    /// Whether lines are mapped on the mapping thread.
    #[cfg(test)]
    pub fn is_threaded(&self) -> bool {
        matches!(self.mode, Mode::Threaded { .. })
    }

    /// Maps `line` as it is (`\n`s included): at once when inline; on the thread otherwise,
    /// once its chunk is full. The events (and rejected OCSF JSON) of earlier lines that are
    /// ready are appended to `out`, in order.
    pub async fn push_line(&mut self, line: &str, out: &mut Mapped) -> Result<()> {
        match &mut self.mode {
            Mode::Inline(mapping) => mapping.map_line(line, out),
            Mode::Threaded { thread, chunk } => {
                chunk.push_verbatim(line);
                if chunk.lines() >= CHUNK_LINES || chunk.text_len() >= CHUNK_BYTES {
                    let full = std::mem::replace(&mut **chunk, thread.chunk());
                    if let Some(done) = thread.submit(full).await? {
                        take(thread, done, out);
                    }
                }
            }
            Mode::Finished => return Err(finished()),
        }
        Ok(())
    }

    /// Maps one journald entry (its export bytes) into `out`; only an inline stage takes
    /// entries (a journald input takes nothing else).
    pub fn push_entry(&mut self, entry: &mut Vec<u8>, out: &mut Mapped) -> Result<()> {
        match &mut self.mode {
            Mode::Inline(mapping) => {
                map_journal_entry(mapping, entry, out);
                Ok(())
            }
            Mode::Threaded { .. } => Err(Error::input(
                "a journald entry reached a mapping thread for text lines (a bug)",
            )),
            Mode::Finished => Err(finished()),
        }
    }

    /// Submits the partial chunk, if any, then appends the events of the oldest chunk in
    /// flight to `out`, once it is mapped; `false` when every line pushed so far is in `out`
    /// (always, inline). The flush takes chunk after chunk with it, writing each one's events
    /// while the thread maps the next.
    pub async fn next_mapped(&mut self, out: &mut Mapped) -> Result<bool> {
        let Mode::Threaded { thread, chunk } = &mut self.mode else {
            return Ok(false);
        };
        if !chunk.is_empty() {
            let partial = std::mem::replace(&mut **chunk, thread.chunk());
            if let Some(done) = thread.submit(partial).await? {
                take(thread, done, out);
                return Ok(true);
            }
        }
        match thread.next().await? {
            Some(done) => {
                take(thread, done, out);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Ends the segment: every line pushed is mapped, and what the mapper still holds (an
    /// open audit record, a pending sudo line) is emitted into `out` (on the thread, after the
    /// chunks still in flight, whose events are appended first). Returns the mapper, for its
    /// [`stats`](LineMapping::stats). The stage takes no more lines.
    pub async fn finish(&mut self, out: &mut Mapped) -> Result<LineMapping> {
        while self.next_mapped(out).await? {}
        match std::mem::replace(&mut self.mode, Mode::Finished) {
            Mode::Inline(mut mapping) => {
                mapping.finish(out);
                Ok(*mapping)
            }
            Mode::Threaded { thread, .. } => {
                let (mapping, mut rest) = thread.finish().await?;
                append(&mut rest, out);
                Ok(mapping)
            }
            Mode::Finished => Err(finished()),
        }
    }

    /// The counters of an inline mapper so far; `None` on a thread (its counters come with
    /// [`finish`](Self::finish)) and for OCSF JSON.
    pub fn stats(&self) -> Option<&MapperStats> {
        match &self.mode {
            Mode::Inline(mapping) => mapping.stats(),
            Mode::Threaded { .. } | Mode::Finished => None,
        }
    }
}

/// Appends a mapped chunk's events and rejected records to `out`, then recycles the chunk.
fn take(thread: &mut MapThread, mut done: LineChunk, out: &mut Mapped) {
    append(&mut done, out);
    thread.recycle(done);
}

/// Moves a chunk's events and rejected records to the end of `out`.
fn append(chunk: &mut LineChunk, out: &mut Mapped) {
    out.events.append(&mut chunk.mapped.events);
    out.rejected.append(&mut chunk.mapped.rejected);
}

/// The error of a stage used after its segment ended.
fn finished() -> Error {
    Error::input("the mapping stage of a segment was used after the segment's flush (a bug)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocsf_mappers::SourceConfig;
    use ocsf_mappers::lines::LineFormat;

    fn mapping(format: LineFormat) -> LineMapping {
        let config = match format {
            LineFormat::OcsfJson => format.default_config(),
            _ => SourceConfig::linux().with_reference_ms(1_709_460_000_000),
        };
        LineMapping::new(format, config)
    }

    /// Lines of several kinds: sshd logons and failures, fallbacks, lines holding `\n`s, and a
    /// sudo line last (held by the mapper until `finish`).
    fn lines(count: usize) -> Vec<String> {
        let mut lines: Vec<String> = (0..count)
            .map(|n| match n % 5 {
                0 => format!(
                    "Mar  3 08:15:{:02} bastion sshd[{}]: Accepted password for u{n} from 198.51.100.{} port {n} ssh2",
                    n % 60,
                    1000 + n % 700,
                    n % 250 + 1
                ),
                1 => format!(
                    "Mar  3 08:16:{:02} bastion sshd[{}]: Failed password for invalid user x{n} from 203.0.113.{} port {n} ssh2",
                    n % 60,
                    1000 + n % 700,
                    n % 250 + 1
                ),
                2 => format!("Mar  3 08:17:00 bastion myapp[9]: item {n}\nheld in one message\n"),
                3 => format!(
                    "Mar  3 08:18:00 bastion sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls /tmp/{n}"
                ),
                _ => "x".repeat(n % 7 * 100),
            })
            .collect();
        lines.push(
            "Mar  3 08:19:00 bastion sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id".to_owned(),
        );
        lines
    }

    /// Every event (as JSON) and the mapper's fallbacks of `lines` through a stage; the events
    /// are taken with `next_mapped` every `drain_every` lines too.
    async fn staged(
        format: LineFormat,
        lines: &[String],
        inline: bool,
        drain_every: usize,
    ) -> (Vec<serde_json::Value>, usize, Option<u64>) {
        let mut stage = MappingStage::start(mapping(format), inline).expect("stage");
        assert_eq!(stage.is_threaded(), !inline);
        let mut out = Mapped::default();
        for (i, line) in lines.iter().enumerate() {
            stage.push_line(line, &mut out).await.expect("push");
            if i % drain_every == drain_every - 1 {
                stage.next_mapped(&mut out).await.expect("next");
            }
        }
        let mapper = stage.finish(&mut out).await.expect("finish");
        assert!(stage.push_line("more", &mut out).await.is_err());
        let events = out
            .events
            .iter()
            .map(|e| serde_json::to_value(e).expect("json"));
        (
            events.collect(),
            out.rejected.len(),
            mapper.stats().map(MapperStats::fallback_total),
        )
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_thread_maps_what_the_task_thread_maps() {
        let lines = lines(4 * CHUNK_LINES + 321);
        let inline = staged(LineFormat::Linux, &lines, true, usize::MAX).await;
        assert!(inline.0.len() > lines.len() / 2, "{}", inline.0.len());
        assert!(inline.2.is_some_and(|f| f > 0), "fallbacks: {:?}", inline.2);
        assert!(
            inline
                .0
                .last()
                .is_some_and(|e| e.to_string().contains("/usr/bin/id")),
            "the held sudo record comes last"
        );
        for drain_every in [usize::MAX, 1, 777] {
            let threaded = staged(LineFormat::Linux, &lines, false, drain_every).await;
            assert_eq!(threaded, inline, "drained every {drain_every} lines");
        }
        // OCSF JSON: accepted, rejected, and an element over several lines.
        let json = [
            "{\"class_uid\": 3002, \"time\": 1}".to_owned(),
            "{\n  \"class_uid\": 0,\n  \"category_uid\": 0,\n  \"type_uid\": 0,\n  \"activity_id\": 0,\n  \"time\": 1709460000000,\n  \"severity_id\": 1,\n  \"metadata\": {\"version\": \"1.1.0\", \"product\": {\"name\": \"x\", \"vendor_name\": \"y\"}}\n}".to_owned(),
        ];
        let json: Vec<String> = json.iter().cycle().take(2500).cloned().collect();
        let inline = staged(LineFormat::OcsfJson, &json, true, usize::MAX).await;
        assert_eq!((inline.0.len(), inline.1), (1250, 1250));
        assert_eq!(staged(LineFormat::OcsfJson, &json, false, 3).await, inline);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_chunk_of_long_lines_is_submitted_before_it_has_its_lines() {
        let mut stage = MappingStage::start(mapping(LineFormat::Linux), false).expect("stage");
        let mut out = Mapped::default();
        let long = format!(
            "Mar  3 08:17:00 bastion myapp[9]: {}",
            "y".repeat(64 * 1024)
        );
        // 4 lines fill a chunk; DEPTH chunks in flight, then each push gives back the oldest.
        for _ in 0..4 * (DEPTH + 2) {
            stage.push_line(&long, &mut out).await.expect("push");
        }
        assert_eq!(out.events.len(), 2 * 4, "two chunks came back");
        stage.finish(&mut out).await.expect("finish");
        assert_eq!(out.events.len(), 4 * (DEPTH + 2));
    }
}

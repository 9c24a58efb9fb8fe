//! Streaming journald entries (`journalctl -o export` / `-o json`) through a
//! [`LinuxMapper`], sync and (with the `async` feature) async.

use std::collections::VecDeque;
use std::io::BufRead;

use super::LinuxMapper;
use crate::error::Error;
use crate::formats::journald::JournalEntry;
use crate::render::Target;
use crate::stream::{self, Step};

/// Events from a stream of journald entries; see
/// [`LinuxMapper::journal_export`] and [`LinuxMapper::journal_json`].
#[derive(Debug)]
pub struct JournalEvents<T: Target, I> {
    mapper: LinuxMapper<T>,
    entries: I,
    out: Vec<T::Event>,
    pending: VecDeque<T::Event>,
    finished: bool,
}

impl<T: Target, I> JournalEvents<T, I> {
    /// The mapper (for its stats).
    pub fn mapper(&self) -> &LinuxMapper<T> {
        &self.mapper
    }

    /// Gives the mapper back.
    pub fn into_mapper(self) -> LinuxMapper<T> {
        self.mapper
    }
}

impl<T: Target, I: Iterator<Item = Result<JournalEntry, Error>>> JournalEvents<T, I> {
    /// The events of the next entry, lent until the next call, which renders the following
    /// entry into them (see [`Events::next_events`](crate::stream::Events::next_events)); an
    /// entry may have none. At the end, the events the mapper still buffers come as one last
    /// slice, then `None`. Errors are those of [`Iterator::next`]; events `next` left pending
    /// come first.
    ///
    /// ```
    /// use ocsf_mappers::{LinuxMapper, SourceConfig};
    ///
    /// let export = "\
    /// __REALTIME_TIMESTAMP=1709460000000000
    /// _HOSTNAME=h
    /// SYSLOG_IDENTIFIER=sshd
    /// _PID=42
    /// MESSAGE=Accepted password for alice from 10.0.0.5 port 5000 ssh2
    ///
    /// ";
    /// let mapper = LinuxMapper::new(SourceConfig::linux());
    /// let mut entries = mapper.journal_export(export.as_bytes());
    /// let mut classes = Vec::new();
    /// while let Some(entry) = entries.next_events() {
    ///     classes.extend(entry?.iter().map(|e| e.class_uid()));
    /// }
    /// assert_eq!(classes, [3002]);
    /// # Ok::<(), ocsf_mappers::Error>(())
    /// ```
    pub fn next_events(&mut self) -> Option<Result<&[T::Event], Error>> {
        stream::lend(self)
    }
}

impl<T: Target, I: Iterator<Item = Result<JournalEntry, Error>>> Step for JournalEvents<T, I> {
    type Event = T::Event;

    fn buffers(&mut self) -> (&mut Vec<T::Event>, &mut VecDeque<T::Event>) {
        (&mut self.out, &mut self.pending)
    }

    /// Maps the next entry into `out` (the previous entry's events become the mapper's
    /// spares), or the mapper's buffered events at the end; `None` once those were given.
    fn step(&mut self) -> Option<Result<(), Error>> {
        if self.finished {
            return None;
        }
        self.mapper.take_spares(&mut self.out);
        match self.entries.next() {
            Some(Ok(entry)) => self.mapper.map_journal_entry(&entry, &mut self.out),
            Some(Err(e)) if e.kind() == crate::ErrorKind::Io => return Some(Err(e)),
            Some(Err(e)) => self.mapper.map_journal_error(&e, &mut self.out),
            None => {
                self.mapper.finish_into(&mut self.out);
                self.finished = true;
            }
        }
        Some(Ok(()))
    }
}

impl<T: Target, I: Iterator<Item = Result<JournalEntry, Error>>> Iterator for JournalEvents<T, I> {
    type Item = Result<T::Event, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        stream::next_owned(self)
    }
}

impl<T: Target> LinuxMapper<T> {
    /// Streams the events of a `journalctl -o export` stream.
    ///
    /// ```
    /// use ocsf_mappers::{LinuxMapper, SourceConfig};
    ///
    /// let export = "\
    /// __REALTIME_TIMESTAMP=1700000000000000
    /// _HOSTNAME=web1
    /// SYSLOG_IDENTIFIER=sshd
    /// _PID=812
    /// MESSAGE=Accepted publickey for alice from 192.0.2.10 port 50022 ssh2
    ///
    /// ";
    /// let mapper = LinuxMapper::new(SourceConfig::linux());
    /// let events: Vec<_> = mapper.journal_export(export.as_bytes()).collect::<Result<_, _>>()?;
    /// let json = serde_json::to_value(&events[0])?;
    /// assert_eq!(json["class_uid"], 3002);
    /// assert_eq!(json["device"]["hostname"], "web1");
    /// assert_eq!(json["actor"]["process"]["pid"], 812);
    /// assert_eq!(json["time"], 1_700_000_000_000_i64);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn journal_export<R: BufRead>(
        self,
        reader: R,
    ) -> JournalEvents<T, crate::formats::journald::ExportReader<R>> {
        self.journal_entries(crate::formats::journald::ExportReader::new(reader))
    }

    /// Streams the events of a `journalctl -o json` stream (the same lines
    /// [`map_line`](LinuxMapper::map_line) also accepts one by one).
    pub fn journal_json<R: BufRead>(
        self,
        reader: R,
    ) -> JournalEvents<T, crate::formats::journald::JsonReader<R>> {
        self.journal_entries(crate::formats::journald::JsonReader::new(reader))
    }

    /// Streams the events of any source of journald entries.
    pub fn journal_entries<I: Iterator<Item = Result<JournalEntry, Error>>>(
        self,
        entries: I,
    ) -> JournalEvents<T, I> {
        JournalEvents {
            mapper: self,
            entries,
            out: Vec::new(),
            pending: VecDeque::new(),
            finished: false,
        }
    }
}

#[cfg(feature = "async")]
pub use self::r#async::AsyncJournalExport;

#[cfg(feature = "async")]
mod r#async {
    use std::collections::VecDeque;
    use std::io;

    use tokio::io::{AsyncBufRead, AsyncReadExt};

    use super::LinuxMapper;
    use crate::error::{Error, Format};
    use crate::formats::journald::{DEFAULT_MAX_FIELD_SIZE, ExportReader};
    use crate::render::Target;
    use crate::stream::read_bounded_async as read_bounded;

    /// Events from an async `journalctl -o export` stream: each entry is
    /// framed asynchronously (text fields, length-prefixed binary fields, the
    /// blank separator line) and then parsed by
    /// [`ExportReader`](crate::formats::journald::ExportReader).
    #[derive(Debug)]
    pub struct AsyncJournalExport<T: Target, R> {
        mapper: LinuxMapper<T>,
        reader: R,
        entry: Vec<u8>,
        line: Vec<u8>,
        out: Vec<T::Event>,
        pending: VecDeque<T::Event>,
        offset: u64,
        finished: bool,
    }

    impl<T: Target> LinuxMapper<T> {
        /// Streams the events of an async `journalctl -o export` stream.
        pub fn journal_export_async<R: AsyncBufRead + Unpin>(
            self,
            reader: R,
        ) -> AsyncJournalExport<T, R> {
            AsyncJournalExport {
                mapper: self,
                reader,
                entry: Vec::new(),
                line: Vec::new(),
                out: Vec::new(),
                pending: VecDeque::new(),
                offset: 0,
                finished: false,
            }
        }
    }

    impl<T: Target, R: AsyncBufRead + Unpin> AsyncJournalExport<T, R> {
        /// Reads one entry's bytes into `self.entry`; `false` at the end.
        async fn frame(&mut self) -> io::Result<bool> {
            self.entry.clear();
            loop {
                let Some(len) =
                    read_bounded(&mut self.reader, &mut self.line, DEFAULT_MAX_FIELD_SIZE).await?
                else {
                    return Ok(!self.entry.is_empty());
                };
                self.offset = self.offset.saturating_add(len as u64 + 1);
                if len == 0 {
                    if self.entry.is_empty() {
                        continue;
                    }
                    return Ok(true);
                }
                self.entry.extend_from_slice(&self.line);
                self.entry.push(b'\n');
                if len > self.line.len() || self.line.contains(&b'=') {
                    continue;
                }
                // A binary field: little-endian u64 length, data, newline.
                let mut size = [0u8; 8];
                self.reader.read_exact(&mut size).await?;
                let n = u64::from_le_bytes(size);
                self.entry.extend_from_slice(&size);
                let n = usize::try_from(n)
                    .ok()
                    .filter(|n| *n <= DEFAULT_MAX_FIELD_SIZE)
                    .ok_or_else(|| {
                        io::Error::new(io::ErrorKind::InvalidData, "binary field too large")
                    })?;
                let start = self.entry.len();
                self.entry.resize(start + n + 1, 0);
                self.reader.read_exact(&mut self.entry[start..]).await?;
                self.offset = self.offset.saturating_add(8 + n as u64 + 1);
            }
        }

        /// The next event; `None` at the end.
        pub async fn next_event(&mut self) -> Option<Result<T::Event, Error>> {
            loop {
                if let Some(e) = self.pending.pop_front() {
                    return Some(Ok(e));
                }
                if self.finished {
                    return None;
                }
                match self.frame().await {
                    Ok(true) => {
                        self.entry.push(b'\n');
                        match ExportReader::new(self.entry.as_slice()).next() {
                            Some(Ok(entry)) => self.mapper.map_journal_entry(&entry, &mut self.out),
                            Some(Err(e)) => self.mapper.map_journal_error(&e, &mut self.out),
                            None => {}
                        }
                    }
                    Ok(false) => {
                        self.mapper.finish_into(&mut self.out);
                        self.finished = true;
                    }
                    Err(e) => {
                        self.finished = true;
                        self.mapper.finish_into(&mut self.out);
                        self.pending.extend(self.out.drain(..));
                        return Some(Err(Error::io(Format::JournaldExport, self.offset, e)));
                    }
                }
                self.pending.extend(self.out.drain(..));
            }
        }

        /// The mapper (for its stats).
        pub fn mapper(&self) -> &LinuxMapper<T> {
            &self.mapper
        }
    }
}

//! The systemd journal, followed: `journalctl -o export --follow` run as a child process, its
//! stream cut into entries (the journal export format: `NAME=value` lines, binary fields as
//! `NAME`, a 64-bit little-endian length and the bytes, an empty line after each entry), each
//! handed out whole with its `__CURSOR`, the checkpoint. An input given a committed cursor
//! starts `journalctl` with `--after-cursor`, so nothing before it is read again.
//!
//! The entries are given as the export bytes of one entry: `ocsf-mappers` parses them
//! (`formats::journald::ExportReader`) and maps them (`LinuxMapper::map_journal_entry`).
//!
//! ```no_run
//! # async fn run() -> securitylake_source::Result<()> {
//! use securitylake_source::input::journald::JournaldInput;
//!
//! let mut journal = JournaldInput::builder().arg("--unit=ssh.service").spawn()?;
//! let mut entry = Vec::new();
//! while let Some(cursor) = journal.next_entry(&mut entry).await? {
//!     // ... map `entry` and write its events; after the writer's flush, commit `cursor` ...
//!     let _ = cursor;
//! }
//! # Ok(())
//! # }
//! ```

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use crate::error::{Error, ErrorKind, Result};

/// The default bound on one entry's export bytes: 16 MiB (journald's own field limit is lower).
pub const DEFAULT_MAX_ENTRY_BYTES: usize = 16 * 1024 * 1024;

/// Builds a [`JournaldInput`].
#[derive(Debug, Clone)]
pub struct JournaldInputBuilder {
    command: OsString,
    args: Vec<OsString>,
    after_cursor: Option<String>,
    max_entry_bytes: usize,
    queue: usize,
}

impl Default for JournaldInputBuilder {
    fn default() -> Self {
        Self {
            command: "journalctl".into(),
            args: Vec::new(),
            after_cursor: None,
            max_entry_bytes: DEFAULT_MAX_ENTRY_BYTES,
            queue: 256,
        }
    }
}

impl JournaldInputBuilder {
    /// The `journalctl` program (default: `journalctl` on the `PATH`).
    pub fn command(mut self, program: impl Into<OsString>) -> Self {
        self.command = program.into();
        self
    }

    /// One more argument for `journalctl` (a filter such as `--unit=ssh.service`, or
    /// `--directory=...`); `-o export --follow` and the cursor are given by the input.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Starts after this cursor (a committed checkpoint); without one `journalctl` starts
    /// where its own options say (by default at the start of the journal).
    pub fn after_cursor(mut self, cursor: Option<String>) -> Self {
        self.after_cursor = cursor;
        self
    }

    /// The bound on one entry's export bytes (default [`DEFAULT_MAX_ENTRY_BYTES`]).
    pub fn max_entry_bytes(mut self, bytes: usize) -> Self {
        self.max_entry_bytes = bytes;
        self
    }

    /// Starts `journalctl` and a thread that reads its output (entries wait in a bounded
    /// queue: while it is full, `journalctl`'s output is not read).
    ///
    /// Fails with [`ErrorKind::Config`] when the program cannot be started.
    pub fn spawn(self) -> Result<JournaldInput> {
        let mut command = Command::new(&self.command);
        command.args(["--output=export", "--follow", "--no-pager"]);
        if let Some(cursor) = &self.after_cursor {
            command.arg(format!("--after-cursor={cursor}"));
        }
        command.args(&self.args);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("cannot start {}: {e}", self.command.to_string_lossy()),
            )
            .with_source(e)
        })?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(Error::new(ErrorKind::Io, "journalctl has no output pipes"));
        };
        let child = Arc::new(Mutex::new(child));
        let (tx, rx) = mpsc::channel(self.queue.max(1));
        let max = self.max_entry_bytes;
        let reader_child = child.clone();
        std::thread::Builder::new()
            .name("seclake-journald".into())
            .spawn(move || read_entries(stdout, stderr, max, &tx, &reader_child))
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot start a thread: {e}")))?;
        Ok(JournaldInput {
            rx,
            child,
            entries: 0,
        })
    }
}

/// The journal, followed (see the [module documentation](self)).
///
/// Dropping it stops `journalctl` (a signal; nothing waits).
#[derive(Debug)]
pub struct JournaldInput {
    rx: mpsc::Receiver<Result<(Vec<u8>, String)>>,
    child: Arc<Mutex<Child>>,
    entries: u64,
}

impl JournaldInput {
    /// A builder with the defaults.
    pub fn builder() -> JournaldInputBuilder {
        JournaldInputBuilder::default()
    }

    /// Replaces `entry` with the export bytes of the next entry and returns its cursor; `None`
    /// once `journalctl` ended (with `--follow` it does not, unless it fails or is stopped).
    ///
    /// Fails with [`ErrorKind::InvalidInput`] when the output is not the export format (the
    /// input ends after it), with [`ErrorKind::Io`] when `journalctl` exits with an error
    /// (its message included), and with [`ErrorKind::InvalidInput`] for an entry without
    /// `__CURSOR` (it cannot be checkpointed; the input goes on after it).
    pub async fn next_entry(&mut self, entry: &mut Vec<u8>) -> Result<Option<String>> {
        match self.rx.recv().await {
            None => Ok(None),
            Some(Ok((bytes, cursor))) => {
                *entry = bytes;
                self.entries += 1;
                Ok(Some(cursor))
            }
            Some(Err(e)) => Err(e),
        }
    }

    /// Entries handed out.
    pub fn entries(&self) -> u64 {
        self.entries
    }
}

impl Drop for JournaldInput {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.lock() {
            // A signal: returns at once. The reading thread then sees the pipe end and reaps it.
            let _ = child.kill();
        }
    }
}

type Sender = mpsc::Sender<Result<(Vec<u8>, String)>>;

/// The reading thread: entries to the queue until the output ends, then `journalctl`'s exit.
fn read_entries(
    stdout: impl Read,
    mut stderr: impl Read + Send + 'static,
    max: usize,
    tx: &Sender,
    child: &Mutex<Child>,
) {
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut reader = BufReader::with_capacity(64 * 1024, stdout);
    loop {
        match read_entry(&mut reader, max) {
            Ok(None) => break,
            Ok(Some(entry)) => {
                let item = match cursor_of(&entry) {
                    Some(cursor) => Ok((entry, cursor)),
                    None => Err(Error::invalid_input(
                        "a journal entry without __CURSOR (it cannot be checkpointed)",
                    )),
                };
                if tx.blocking_send(item).is_err() {
                    return;
                }
            }
            Err(message) => {
                let _ = tx.blocking_send(Err(Error::invalid_input(format!(
                    "journalctl output is not the export format: {message}"
                ))));
                if let Ok(mut child) = child.lock() {
                    let _ = child.kill();
                }
                return;
            }
        }
    }
    // Reap `journalctl` without holding the lock while it runs (`Drop` takes it to kill).
    let status = loop {
        let polled = match child.lock() {
            Ok(mut child) => child.try_wait(),
            Err(_) => break None,
        };
        match polled {
            Ok(Some(status)) => break Some(status),
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    let stderr = errors.join().unwrap_or_default();
    if let Some(status) = status
        && !status.success()
    {
        let _ = tx.blocking_send(Err(Error::new(
            ErrorKind::Io,
            format!("journalctl exited with {status}: {}", stderr.trim()),
        )));
    }
}

/// One entry's export bytes (without the empty line that ends it); `Ok(None)` at the end of the
/// stream. The `Err` is why the stream is not the export format.
fn read_entry(
    reader: &mut impl BufRead,
    max: usize,
) -> std::result::Result<Option<Vec<u8>>, String> {
    let mut entry = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("reading: {e}"))?;
        if n == 0 {
            return if entry.is_empty() {
                Ok(None)
            } else {
                Err("the stream ended inside an entry".into())
            };
        }
        if line == b"\n" {
            if entry.is_empty() {
                continue;
            }
            return Ok(Some(entry));
        }
        if line.last() != Some(&b'\n') {
            return Err("the stream ended inside a field".into());
        }
        entry.extend_from_slice(&line);
        if !line.contains(&b'=') {
            // A binary field: its name line, a 64-bit little-endian length, the bytes, `\n`.
            let mut len = [0u8; 8];
            reader
                .read_exact(&mut len)
                .map_err(|e| format!("a binary field's length: {e}"))?;
            let size = u64::from_le_bytes(len);
            let size = usize::try_from(size)
                .ok()
                .filter(|s| entry.len() + s + 9 <= max)
                .ok_or_else(|| format!("an entry larger than {max} bytes"))?;
            entry.extend_from_slice(&len);
            let start = entry.len();
            entry.resize(start + size + 1, 0);
            reader
                .read_exact(&mut entry[start..])
                .map_err(|e| format!("a binary field's bytes: {e}"))?;
            if entry.last() != Some(&b'\n') {
                return Err("a binary field not followed by a line feed".into());
            }
        }
        if entry.len() > max {
            return Err(format!("an entry larger than {max} bytes"));
        }
    }
}

/// The value of the entry's `__CURSOR=` text field.
fn cursor_of(entry: &[u8]) -> Option<String> {
    let mut rest = entry;
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| b == b'\n')?;
        let line = &rest[..end];
        if let Some(value) = line.strip_prefix(b"__CURSOR=") {
            return Some(String::from_utf8_lossy(value).into_owned());
        }
        if !line.contains(&b'=') {
            // Skip a binary field's length and bytes.
            let len = rest.get(end + 1..end + 9)?;
            let size = usize::try_from(u64::from_le_bytes(len.try_into().ok()?)).ok()?;
            rest = rest.get(end + 9 + size + 1..)?;
            continue;
        }
        rest = &rest[end + 1..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary_field(name: &str, value: &[u8]) -> Vec<u8> {
        let mut out = format!("{name}\n").into_bytes();
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        out.extend_from_slice(value);
        out.push(b'\n');
        out
    }

    #[test]
    fn entries_with_binary_fields_and_their_cursors() {
        let mut stream = b"__CURSOR=s=1;i=1\nMESSAGE=one\n\n".to_vec();
        stream.extend(binary_field("MESSAGE", b"two\nlines\n\n"));
        stream.extend_from_slice(b"__CURSOR=s=1;i=2\n\n");
        let mut reader = &stream[..];
        let first = read_entry(&mut reader, 1024).expect("ok").expect("entry");
        assert_eq!(cursor_of(&first).as_deref(), Some("s=1;i=1"));
        let second = read_entry(&mut reader, 1024).expect("ok").expect("entry");
        assert_eq!(cursor_of(&second).as_deref(), Some("s=1;i=2"));
        assert!(second.starts_with(b"MESSAGE\n"));
        assert_eq!(read_entry(&mut reader, 1024), Ok(None));
    }

    #[test]
    fn broken_streams_are_errors() {
        let mut cut: &[u8] = b"__CURSOR=a\nMESSAGE=x";
        assert!(read_entry(&mut cut, 1024).is_err());
        let mut big = binary_field("MESSAGE", &[b'x'; 100]);
        big.push(b'\n');
        assert!(read_entry(&mut &big[..], 50).is_err());
        let mut ended: &[u8] = b"__CURSOR=a\n";
        assert!(read_entry(&mut ended, 1024).is_err());
    }
}

//! Dead letters: events a [`LakeSink`](super::LakeSink) could not write,
//! kept with the reason instead of failing the stream or dropping them.
//!
//! A [`DeadLetter`] holds the event's JSON, its class and why it was set
//! aside ([`DeadLetterCause`]). A [`DeadLetterSink`] keeps them; the crate
//! brings [`JsonLinesDeadLetters`], a local JSON-lines file. Other sinks (an
//! S3 prefix, a queue) implement the trait.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use ocsf_model::{OcsfEvent, OcsfEventEnum};
use serde::{Deserialize, Serialize};

use super::BoxFuture;
use crate::error::{Error, ErrorKind, Result};

/// Why an event became a dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeadLetterCause {
    /// The class's writer refused the event as invalid input (its time is
    /// before 1970 or too far ahead of the clock, it does not fit in one
    /// file, it does not serialize): writing it again would fail again.
    Refused,
    /// No destination was configured for the event's class and the sink's
    /// policy is [`Unrouted::DeadLetter`](super::Unrouted::DeadLetter).
    Unrouted,
    /// The event's `class_uid` is not a class of the sink's OCSF version,
    /// so no typed writer can hold it.
    Unrecognized,
    /// The event failed validation before it became a typed event (OCSF
    /// JSON from another producer; see [`DeadLetter::invalid`]).
    Invalid,
}

impl DeadLetterCause {
    /// A short, stable, lowercase name (`refused`, `unrouted`,
    /// `unrecognized`, `invalid`), as in the JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::Unrouted => "unrouted",
            Self::Unrecognized => "unrecognized",
            Self::Invalid => "invalid",
        }
    }
}

impl fmt::Display for DeadLetterCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event set aside with its reason: one line of a
/// [`JsonLinesDeadLetters`] file.
///
/// ```
/// use securitylake_source::sink::{DeadLetter, DeadLetterCause};
///
/// let line = r#"{"cause":"refused","reason":"event time 9 is too far ahead","class_uid":3002,
///   "class_name":"authentication","time":9,"event":{"class_uid":3002,"time":9}}"#;
/// let letter: DeadLetter = serde_json::from_str(line)?;
/// assert_eq!(letter.cause, DeadLetterCause::Refused);
/// assert_eq!(letter.event["time"], 9);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeadLetter {
    /// Why the event was set aside.
    pub cause: DeadLetterCause,
    /// The reason in words (the writer's error message for a refused event).
    pub reason: String,
    /// The event's `class_uid`.
    pub class_uid: i32,
    /// The class's name in the schema, when the version defines the class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// The event's `time`, epoch milliseconds UTC, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<i64>,
    /// The event as OCSF JSON (`null` when it does not serialize; the
    /// reason then says why).
    pub event: serde_json::Value,
}

impl DeadLetter {
    /// The dead letter of an event its class's writer refused.
    pub(crate) fn refused<E: OcsfEvent>(event: &E, reason: &Error) -> Self {
        let (json, note) = to_json(event);
        Self {
            cause: DeadLetterCause::Refused,
            reason: format!("{}{note}", reason.message()),
            class_uid: E::CLASS_UID,
            class_name: Some(E::CLASS_NAME.to_owned()),
            time: Some(event.time()),
            event: json,
        }
    }

    /// The dead letter of an event of the version's enum (unrouted or
    /// unrecognized).
    pub(crate) fn of_enum<Ev: OcsfEventEnum>(
        event: &Ev,
        cause: DeadLetterCause,
        reason: String,
    ) -> Self {
        let (json, note) = to_json(event);
        Self {
            cause,
            reason: format!("{reason}{note}"),
            class_uid: event.class_uid(),
            class_name: event.class_name().map(str::to_owned),
            time: event.time(),
            event: json,
        }
    }

    /// The dead letter of an event given as JSON that failed validation
    /// (cause [`DeadLetterCause::Invalid`]): its `class_uid` (0 when it has
    /// none) and `time` are read from the JSON.
    ///
    /// ```
    /// use securitylake_source::sink::{DeadLetter, DeadLetterCause};
    ///
    /// let event = serde_json::json!({"class_uid": 3002, "time": 9});
    /// let letter = DeadLetter::invalid(event, "activity_id: required");
    /// assert_eq!(letter.cause, DeadLetterCause::Invalid);
    /// assert_eq!((letter.class_uid, letter.time), (3002, Some(9)));
    /// ```
    pub fn invalid(event: serde_json::Value, reason: impl Into<String>) -> Self {
        let class_uid = event
            .get("class_uid")
            .and_then(serde_json::Value::as_i64)
            .and_then(|uid| i32::try_from(uid).ok())
            .unwrap_or(0);
        Self {
            cause: DeadLetterCause::Invalid,
            reason: reason.into(),
            class_uid,
            class_name: None,
            time: event.get("time").and_then(serde_json::Value::as_i64),
            event,
        }
    }

    /// The error a sink without a dead-letter sink returns for this letter.
    pub(crate) fn into_error(self) -> Error {
        let kind = match self.cause {
            DeadLetterCause::Refused | DeadLetterCause::Unrecognized | DeadLetterCause::Invalid => {
                ErrorKind::InvalidInput
            }
            DeadLetterCause::Unrouted => ErrorKind::Config,
        };
        let class = self.class_name.as_deref().unwrap_or("unrecognized class");
        Error::new(
            kind,
            format!(
                "{} event of {class} ({}): {} (configure a dead-letter sink to keep such events and go on)",
                self.cause, self.class_uid, self.reason
            ),
        )
    }
}

/// The event's JSON, or `null` and a note saying why it has none.
fn to_json<T: Serialize>(event: &T) -> (serde_json::Value, String) {
    match serde_json::to_value(event) {
        Ok(json) => (json, String::new()),
        Err(e) => (
            serde_json::Value::Null,
            format!(" (the event does not serialize as JSON: {e})"),
        ),
    }
}

/// Where a [`LakeSink`](super::LakeSink) keeps its dead letters.
///
/// [`put`](Self::put) must keep the letter at least as durably as the
/// writers keep accepted events before it returns Ok (the sink then counts
/// the event as handled), and return an error otherwise: the sink passes
/// the error on, so that no event is lost silently.
pub trait DeadLetterSink: Send + fmt::Debug {
    /// Keeps one dead letter.
    fn put(&mut self, letter: DeadLetter) -> BoxFuture<'_, Result<()>>;
    /// Makes every letter kept so far durable (called by the sink's
    /// `flush` and `close`).
    fn flush(&mut self) -> BoxFuture<'_, Result<()>>;
}

/// A [`DeadLetterSink`] writing one JSON line per letter to a local file,
/// appended to (created with its parent directories if absent).
///
/// Each letter is written with one `write` call before [`put`] returns (it
/// survives a crash of the process); [`flush`] fsyncs the file (it then
/// survives a crash of the machine).
///
/// [`put`]: DeadLetterSink::put
/// [`flush`]: DeadLetterSink::flush
///
/// ```
/// use securitylake_source::sink::{DeadLetterSink, JsonLinesDeadLetters};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("deep/dead-letters.jsonl");
/// let letters = JsonLinesDeadLetters::open(&path)?;
/// assert_eq!(letters.path(), path);
/// assert_eq!(letters.written(), 0);
/// assert!(path.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct JsonLinesDeadLetters {
    path: PathBuf,
    /// `None` until the first letter when opened lazily.
    file: Option<File>,
    written: u64,
}

impl JsonLinesDeadLetters {
    /// Opens (or creates) the file at `path` for appending, now: a path that
    /// cannot be written fails here.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let mut letters = Self::lazy(path);
        letters.file = Some(letters.open_file()?);
        Ok(letters)
    }

    /// Like [`open`](Self::open), but the file (and its directories) is
    /// created on the first letter only: a run without dead letters leaves
    /// no file behind.
    ///
    /// ```
    /// use securitylake_source::sink::JsonLinesDeadLetters;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let letters = JsonLinesDeadLetters::lazy(dir.path().join("dl.jsonl"));
    /// assert!(!letters.path().exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lazy(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            file: None,
            written: 0,
        }
    }

    fn open_file(&self) -> Result<File> {
        let path = &self.path;
        let io = |what: &str, e: std::io::Error| {
            Error::new(
                ErrorKind::Io,
                format!("dead letters: cannot {what} {}: {e}", path.display()),
            )
            .with_source(e)
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| io("create the directory of", e))?;
        }
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| io("open", e))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The letters written by this instance.
    pub fn written(&self) -> u64 {
        self.written
    }

    fn put_now(&mut self, letter: &DeadLetter) -> Result<()> {
        let mut line = serde_json::to_vec(letter).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("dead letters: encoding a letter: {e}"),
            )
            .with_source(e)
        })?;
        line.push(b'\n');
        if self.file.is_none() {
            self.file = Some(self.open_file()?);
        }
        let Some(file) = self.file.as_mut() else {
            return Err(Error::new(
                ErrorKind::Io,
                "dead letters: the file is not open",
            ));
        };
        file.write_all(&line).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("dead letters: writing {}: {e}", self.path.display()),
            )
            .with_source(e)
        })?;
        self.written += 1;
        Ok(())
    }
}

impl DeadLetterSink for JsonLinesDeadLetters {
    fn put(&mut self, letter: DeadLetter) -> BoxFuture<'_, Result<()>> {
        let result = self.put_now(&letter);
        Box::pin(std::future::ready(result))
    }

    fn flush(&mut self) -> BoxFuture<'_, Result<()>> {
        let Some(file) = &self.file else {
            return Box::pin(std::future::ready(Ok(())));
        };
        let result = file.sync_data().map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("dead letters: syncing {}: {e}", self.path.display()),
            )
            .with_source(e)
        });
        Box::pin(std::future::ready(result))
    }
}

/// Reads a dead-letter file written by [`JsonLinesDeadLetters`] (blank
/// lines are skipped; a line that is not a letter is an
/// [`ErrorKind::Integrity`] error naming its line number).
///
/// ```
/// use securitylake_source::sink::read_dead_letters;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("dl.jsonl");
/// std::fs::write(&path, "{\"cause\":\"unrouted\",\"reason\":\"r\",\"class_uid\":1,\"event\":{}}\n")?;
/// let letters = read_dead_letters(&path)?;
/// assert_eq!(letters[0].class_uid, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_dead_letters(path: &Path) -> Result<Vec<DeadLetter>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("dead letters: reading {}: {e}", path.display()),
        )
        .with_source(e)
    })?;
    parse_dead_letters(&text, &path.display().to_string())
}

/// Parses the text of a dead-letter file (a local file, or an object copied to S3) like
/// [`read_dead_letters`]; `shown` names it in the errors.
///
/// ```
/// use securitylake_source::sink::parse_dead_letters;
///
/// let letters = parse_dead_letters("\n{\"cause\":\"unrouted\",\"reason\":\"r\",\"class_uid\":1,\"event\":{}}\n", "dl")?;
/// assert_eq!(letters.len(), 1);
/// assert!(parse_dead_letters("{}", "dl").is_err());
/// # Ok::<(), securitylake_source::Error>(())
/// ```
pub fn parse_dead_letters(text: &str, shown: &str) -> Result<Vec<DeadLetter>> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).map_err(|e| {
                Error::new(
                    ErrorKind::Integrity,
                    format!("dead letters: {shown} line {}: {e}", n + 1),
                )
                .with_source(e)
            })
        })
        .collect()
}

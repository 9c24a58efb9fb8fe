//! One input's durable state in `seclake run`: its committed checkpoint, the flush boundary
//! being made durable (*pending*), the mapper's reference time and the length of its
//! dead-letter file, in `<state_dir>/inputs/<name>/state.json`, replaced atomically
//! (`securitylake_core::fs::write_atomic`) on every change. See ADR 0303.

use std::path::{Path, PathBuf};

use securitylake_source::input::Position;
use securitylake_source::input::objects::ObjectPosition;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The version of the state file's format.
const FORMAT_VERSION: u32 = 1;

/// Where an input is: the place just after a line, entry or object line. Stored untagged, so
/// that a line position reads as it did before journald and object inputs existed
/// (`{"offset": ..}`, with the file's `identity`), a journald cursor as `{"cursor": ".."}` and
/// an object position as `{"key": "..", "offset": ..}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Checkpoint {
    /// In an object of an objects input (tried first: a line position has no `key`).
    Object(ObjectPosition),
    /// After a journal entry.
    Journal {
        /// The entry's `__CURSOR`.
        cursor: String,
    },
    /// In a file or a stream of lines.
    Line(Position),
}

impl Checkpoint {
    /// Whether `other` is the same place: the same offset for lines (a file's fingerprint
    /// grows with it), the same cursor or object position otherwise.
    pub fn same_place(&self, other: &Checkpoint) -> bool {
        match (self, other) {
            (Checkpoint::Line(a), Checkpoint::Line(b)) => a.offset() == b.offset(),
            (a, b) => a == b,
        }
    }

    /// The kind of place, for messages.
    pub fn what(&self) -> &'static str {
        match self {
            Checkpoint::Object(_) => "an object position",
            Checkpoint::Journal { .. } => "a journald cursor",
            Checkpoint::Line(_) => "a file position",
        }
    }
}

/// A flush boundary recorded before the flush that makes it durable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The place just after the segment's last line or entry.
    pub position: Checkpoint,
    /// The segment's lines (from the committed position).
    pub lines: u64,
}

/// The state of one input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputState {
    version: u32,
    /// The place after the last line or entry whose events are durable in the lake (or dead
    /// letters); `None`: from the start.
    pub committed: Option<Checkpoint>,
    /// The boundary of the flush in progress: every object it writes is rebuilt, byte for
    /// byte, by reading exactly up to it again.
    pub pending: Option<Pending>,
    /// The mapper's reference clock for the lines after `committed`.
    pub reference_ms: i64,
    /// The length of the dead-letter file at the commit (what is after it belongs to
    /// uncommitted lines, which are read again).
    pub dead_letter_bytes: u64,
    /// A RELP input's state (ADR 0304).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relp: Option<RelpState>,
}

/// What a RELP input keeps with its commits (ADR 0304).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelpState {
    /// The digests of the last committed messages (16 hex digits each, oldest first): their
    /// retransmissions are recognised after a restart.
    pub window: String,
    /// A batch is being flushed: its messages are in `relp-pending.json`, to be replayed.
    pub pending: bool,
}

/// A RELP batch recorded before its flush (`relp-pending.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelpBatch {
    /// The messages written, in order.
    pub texts: Vec<String>,
    /// The digests of every message of the batch (written or recognised as retransmitted),
    /// 16 hex digits each.
    pub digests: String,
}

/// The state file of one input.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    /// The current state (as last written).
    pub state: InputState,
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl StateFile {
    /// Opens the state file in `dir` (created with a fresh state, reference time now, when
    /// absent).
    pub async fn open(dir: &Path) -> Result<Self> {
        let path = dir.join("state.json");
        let state = match tokio::fs::read(&path).await {
            Ok(bytes) => {
                let state: InputState = serde_json::from_slice(&bytes).map_err(|e| {
                    Error::input(format!(
                        "{} is not a seclake run state file: {e} (move it away to start the input over)",
                        path.display()
                    ))
                })?;
                if state.version != FORMAT_VERSION {
                    return Err(Error::input(format!(
                        "{}: state format version {} (this seclake reads {FORMAT_VERSION})",
                        path.display(),
                        state.version
                    )));
                }
                state
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut file = Self {
                    path,
                    state: InputState {
                        version: FORMAT_VERSION,
                        committed: None,
                        pending: None,
                        reference_ms: now_ms(),
                        dead_letter_bytes: 0,
                        relp: None,
                    },
                };
                file.save().await?;
                return Ok(file);
            }
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        };
        Ok(Self { path, state })
    }

    /// Writes the state durably (temporary file, fsync, rename, directory fsync).
    pub async fn save(&mut self) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(&self.state)
            .map_err(|e| Error::input(format!("encoding the state: {e}")))?;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || securitylake_core::fs::write_atomic(&path, &bytes))
            .await
            .map_err(std::io::Error::other)
            .and_then(|written| written)
            .map_err(|e| Error::io(format!("writing {}", self.path.display()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_of_every_kind_read_back_as_written() -> Result<()> {
        let decode = |text: &str| {
            serde_json::from_str::<Checkpoint>(text).map_err(|e| Error::input(e.to_string()))
        };
        // A line position as state files before the other kinds hold it.
        let line = decode(
            r#"{"identity":{"device":1,"inode":2,"fingerprint_len":3,"fingerprint":4},"offset":42}"#,
        )?;
        assert!(matches!(&line, Checkpoint::Line(p) if p.offset() == 42 && p.identity().is_some()));
        let cursor = decode(r#"{"cursor":"s=1;i=2"}"#)?;
        assert_eq!(
            cursor,
            Checkpoint::Journal {
                cursor: "s=1;i=2".to_owned()
            }
        );
        let object = decode(r#"{"key":"raw/a.log.gz","offset":7}"#)?;
        assert_eq!(
            object,
            Checkpoint::Object(ObjectPosition::new("raw/a.log.gz", 7))
        );
        for checkpoint in [line, cursor, object] {
            let text =
                serde_json::to_string(&checkpoint).map_err(|e| Error::input(e.to_string()))?;
            assert_eq!(decode(&text)?, checkpoint);
        }
        assert!(
            Checkpoint::Line(Position::stream(3))
                .same_place(&Checkpoint::Line(Position::stream(3)))
        );
        assert!(
            !Checkpoint::Line(Position::stream(3)).same_place(&Checkpoint::Journal {
                cursor: "3".to_owned()
            })
        );
        Ok(())
    }
}

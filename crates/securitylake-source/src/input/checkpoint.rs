//! Durable input checkpoints: one JSON file of positions keyed by input
//! name, replaced atomically on every commit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::position::Position;
use crate::error::{Error, ErrorKind, Result};

/// The version of the checkpoint file's format.
const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct CheckpointFile {
    version: u32,
    inputs: BTreeMap<String, Position>,
}

/// The committed [`Position`] of each input, by input name, in one file
/// written with `securitylake_core::fs::write_atomic` (temporary file,
/// fsync, rename, directory fsync): after a crash it holds the last commit
/// that returned `Ok`, never a torn one.
///
/// # The commit contract
///
/// Commit an input's position only **after every line before it is
/// durable downstream**: the events made from those lines were written and
/// the writer's `flush` (or `close`) returned `Ok` (or they were
/// dead-lettered durably). A position committed earlier can lose lines in a
/// crash; one committed later only repeats lines, which the lake's
/// deterministic object keys make harmless. Commit positions of one input
/// in the order its lines were read.
///
/// On start, give an input its committed position
/// ([`FollowInput::resume_from`](super::FollowInput::resume_from),
/// [`FileInput::open_at`](super::FileInput::open_at)): it resumes just after
/// the last committed line when the file is still the same file, and reads
/// the file at the path from its start otherwise.
///
/// ```
/// use securitylake_source::input::{Checkpoints, FileInput, LineInput};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let dir = tempfile::tempdir()?;
/// let log = dir.path().join("app.log");
/// std::fs::write(&log, "one\ntwo\nthree\n")?;
/// let state = dir.path().join("state/checkpoints.json");
///
/// let mut checkpoints = Checkpoints::open(&state).await?;
/// let mut input = FileInput::open_at(&log, checkpoints.get("app")).await?;
/// let mut line = String::new();
/// let first = input.next_line(&mut line).await?.ok_or("no line")?;
/// // ... write the event of "one", flush the writer, then:
/// checkpoints.commit("app", first).await?;
///
/// // After a restart, the input resumes after "one".
/// let checkpoints = Checkpoints::open(&state).await?;
/// let mut input = FileInput::open_at(&log, checkpoints.get("app")).await?;
/// input.next_line(&mut line).await?;
/// assert_eq!(line, "two");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Checkpoints {
    path: PathBuf,
    inputs: BTreeMap<String, Position>,
}

impl Checkpoints {
    /// Opens the checkpoint file at `path`, creating its directory; a
    /// missing file is an empty store. A file that is not a checkpoint file
    /// of this version fails with [`ErrorKind::InvalidInput`] (it is left
    /// as it is).
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| Error::from_io(format!("creating {}", dir.display()), e))?;
        }
        let inputs = match tokio::fs::read(&path).await {
            Ok(bytes) => parse(&path, &bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(Error::from_io(format!("reading {}", path.display()), e)),
        };
        Ok(Self { path, inputs })
    }

    /// The checkpoint file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The committed position of `input`, if any.
    pub fn get(&self, input: &str) -> Option<Position> {
        self.inputs.get(input).copied()
    }

    /// The committed positions by input name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Position)> {
        self.inputs
            .iter()
            .map(|(name, position)| (name.as_str(), position))
    }

    /// Commits `position` for `input`: durable when this returns `Ok` (the
    /// whole file is replaced atomically, on the blocking pool). On error
    /// the previous commit stays in effect, in the file and here. When the
    /// future is dropped before it completes, the file holds either commit. See the
    /// [commit contract](Self#the-commit-contract).
    pub async fn commit(&mut self, input: &str, position: Position) -> Result<()> {
        let mut inputs = self.inputs.clone();
        inputs.insert(input.to_owned(), position);
        let file = CheckpointFile {
            version: FORMAT_VERSION,
            inputs,
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("encoding checkpoints: {e}"),
            )
        })?;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || securitylake_core::fs::write_atomic(&path, &bytes))
            .await
            .map_err(std::io::Error::other)
            .and_then(|written| written)
            .map_err(|e| Error::from_io(format!("writing {}", self.path.display()), e))?;
        self.inputs = file.inputs;
        Ok(())
    }
}

fn parse(path: &Path, bytes: &[u8]) -> Result<BTreeMap<String, Position>> {
    let invalid = |reason: String| {
        Error::invalid_input(format!(
            "{} is not a checkpoint file: {reason}",
            path.display()
        ))
    };
    let file: CheckpointFile = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    if file.version != FORMAT_VERSION {
        return Err(invalid(format!(
            "format version {} (this library reads {FORMAT_VERSION})",
            file.version
        )));
    }
    Ok(file.inputs)
}

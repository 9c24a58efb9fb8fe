//! Positions in an input and the identity of a file.

use serde::{Deserialize, Serialize};

/// How many leading bytes of a file its [`FileIdentity`] fingerprints.
pub const FINGERPRINT_BYTES: u64 = 1024;

/// Which file a [`Position`] belongs to: the device and inode (on Unix) and a
/// fingerprint of the file's first bytes, which tells a reused inode from
/// the file that had it.
///
/// The fingerprint covers `min(file length, FINGERPRINT_BYTES)` bytes as
/// seen when it was taken; a file *matches* the identity when its device
/// and inode are equal, it is at least that long and its first bytes hash
/// to the same value. A file's fingerprint grows with the file up to
/// [`FINGERPRINT_BYTES`]; an older, shorter fingerprint of the same file
/// still matches.
///
/// ```
/// use securitylake_source::input::{FileIdentity, FINGERPRINT_BYTES};
///
/// let identity = FileIdentity::new(2049, 131_074, b"Mar  1 00:00:01 host sshd[1]: ...\n");
/// assert_eq!(identity.inode(), 131_074);
/// assert!(identity.fingerprint_len() <= FINGERPRINT_BYTES);
/// // The same inode holding other bytes is another file.
/// assert_ne!(identity, FileIdentity::new(2049, 131_074, b"other content\n"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileIdentity {
    device: u64,
    inode: u64,
    fingerprint_len: u64,
    fingerprint: u64,
}

impl FileIdentity {
    /// The identity of the file on `device` with `inode` whose first bytes
    /// are `head` (only the first [`FINGERPRINT_BYTES`] are used).
    pub fn new(device: u64, inode: u64, head: &[u8]) -> Self {
        let head = &head[..head.len().min(FINGERPRINT_BYTES as usize)];
        Self {
            device,
            inode,
            fingerprint_len: head.len() as u64,
            fingerprint: fingerprint(head),
        }
    }

    /// The device holding the file (0 where the platform has none).
    pub fn device(&self) -> u64 {
        self.device
    }

    /// The file's inode (0 where the platform has none).
    pub fn inode(&self) -> u64 {
        self.inode
    }

    /// How many leading bytes the fingerprint covers.
    pub fn fingerprint_len(&self) -> u64 {
        self.fingerprint_len
    }

    /// Whether `other` has the same device and inode (the fingerprints may
    /// differ: a reused inode, or a truncated and rewritten file).
    pub fn same_inode(&self, other: &FileIdentity) -> bool {
        self.device == other.device && self.inode == other.inode
    }

    /// Whether a file on `device` with `inode` whose first bytes are `head`
    /// is this file. `head` must hold at least
    /// [`fingerprint_len`](Self::fingerprint_len) bytes, else the file is
    /// shorter than it was (truncated) and does not match.
    pub fn matches(&self, device: u64, inode: u64, head: &[u8]) -> bool {
        let Ok(len) = usize::try_from(self.fingerprint_len) else {
            return false;
        };
        self.device == device
            && self.inode == inode
            && head.len() >= len
            && fingerprint(&head[..len]) == self.fingerprint
    }
}

/// The first 8 bytes of the SHA-256 of `head`, big-endian: stable across
/// versions and platforms (it is stored in checkpoints).
fn fingerprint(head: &[u8]) -> u64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(head);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// A place in an input, just after a line: committing it (see
/// [`Checkpoints::commit`](super::Checkpoints::commit)) states that every
/// line before it is durable downstream, and an input resumed from it
/// starts with the line after.
///
/// A position is opaque but serializable (serde), so that it can be stored
/// in any checkpoint store; it holds the byte offset after the line and,
/// for files, the file's [`FileIdentity`].
///
/// ```
/// use securitylake_source::input::Position;
///
/// let position = Position::stream(42);
/// assert_eq!(position.offset(), 42);
/// assert!(position.identity().is_none());
/// let json = serde_json::to_string(&position)?;
/// assert_eq!(serde_json::from_str::<Position>(&json)?, position);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Position {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identity: Option<FileIdentity>,
    offset: u64,
}

impl Position {
    /// A position `offset` bytes into a stream that has no identity (stdin,
    /// a pipe): it can be committed but not resumed from.
    pub fn stream(offset: u64) -> Self {
        Self {
            identity: None,
            offset,
        }
    }

    /// A position `offset` bytes into the file `identity`.
    pub fn in_file(identity: FileIdentity, offset: u64) -> Self {
        Self {
            identity: Some(identity),
            offset,
        }
    }

    /// The byte offset just after the line.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The file the position is in, if the input is a file.
    pub fn identity(&self) -> Option<&FileIdentity> {
        self.identity.as_ref()
    }
}

//! Process-level allocator settings for the binaries of securitylake-rs.
//!
//! glibc's `malloc` serves blocks of at least its *mmap threshold* (128 KiB at start) with their
//! own mappings, which `free` returns to the system at once. By default the threshold is
//! dynamic: each time a mapped block larger than it is freed, glibc raises the threshold to that
//! block's size (up to 32 MiB on 64-bit). After the writer frees its first multi-megabyte
//! buffer (a compressed spool frame, a Parquet page or column chunk), later buffers of that size
//! come from the threads' arenas, where freed space stays resident. The write path's peak RSS at
//! 10^7 sshd lines is 217-290 MiB with the dynamic threshold, 187-196 MiB with it fixed at
//! 1 MiB and 155-171 MiB at 128 KiB; the lower the threshold, the more system time goes to
//! mapping, zeroing and unmapping (about 3.5, 5-7 and 8-13 s of a 40 s run; ADR 0314). The
//! SDK's binaries fix it at 2 MiB ([`DEFAULT_MMAP_THRESHOLD`]): Parquet's pages of up to 1 MiB
//! and their compressed copies then come from the arenas, and the same write takes 0.4-0.5
//! million page faults instead of 1.2-1.4 million, with a peak RSS of 204-217 MiB (ADR 0319).
//!
//! [`fix_mmap_threshold`] fixes it. It changes the whole process, so it is for programs to call
//! at the start of `main` (the `seclake` CLI, the Lambda functions, the benchmark harness), never
//! for a library to call on its host's behalf. A threshold the user set in the environment
//! (`MALLOC_MMAP_THRESHOLD_`, or `glibc.malloc.mmap_threshold` in `GLIBC_TUNABLES`) is left as
//! it is. On other platforms and allocators the call does nothing and says so.
//!
//! ```
//! use securitylake_alloc::{fix_mmap_threshold, MmapThreshold, DEFAULT_MMAP_THRESHOLD};
//!
//! match fix_mmap_threshold(DEFAULT_MMAP_THRESHOLD) {
//!     MmapThreshold::Fixed { bytes } => assert_eq!(bytes, 2 << 20),
//!     MmapThreshold::SetByEnvironment | MmapThreshold::Unsupported => {}
//!     other => panic!("unexpected: {other:?}"),
//! }
//! ```

/// The threshold the SDK's binaries fix, 2 MiB: the writer's multi-megabyte buffers are mapped
/// and returned when freed; smaller ones, Parquet's pages of up to 1 MiB and their compressed
/// copies among them, are served and reused from the arenas (ADR 0314, ADR 0319).
///
/// ```
/// assert_eq!(securitylake_alloc::DEFAULT_MMAP_THRESHOLD, 2_097_152);
/// ```
pub const DEFAULT_MMAP_THRESHOLD: usize = 2 << 20;

/// The largest threshold glibc accepts on 64-bit targets (`DEFAULT_MMAP_THRESHOLD_MAX`, 32 MiB).
///
/// ```
/// assert_eq!(securitylake_alloc::MAX_MMAP_THRESHOLD, 32 << 20);
/// ```
pub const MAX_MMAP_THRESHOLD: usize = 32 << 20;

/// What [`fix_mmap_threshold`] did.
///
/// ```
/// use securitylake_alloc::MmapThreshold;
///
/// let outcome = MmapThreshold::Fixed { bytes: 131_072 };
/// assert!(outcome.is_fixed());
/// assert!(!MmapThreshold::Unsupported.is_fixed());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MmapThreshold {
    /// The threshold is fixed at `bytes`; glibc no longer raises it.
    Fixed {
        /// The threshold in bytes.
        bytes: usize,
    },
    /// The environment sets the threshold; it was left as the user set it.
    SetByEnvironment,
    /// Not a glibc target: there is nothing to set.
    Unsupported,
    /// The value is above [`MAX_MMAP_THRESHOLD`], or glibc refused it; nothing changed.
    Rejected {
        /// The threshold asked for, in bytes.
        bytes: usize,
    },
}

impl MmapThreshold {
    /// Whether the threshold is now fixed by this call.
    ///
    /// ```
    /// use securitylake_alloc::MmapThreshold;
    ///
    /// assert!(!MmapThreshold::Rejected { bytes: usize::MAX }.is_fixed());
    /// ```
    pub fn is_fixed(&self) -> bool {
        matches!(self, Self::Fixed { .. })
    }
}

/// Fixes glibc's mmap threshold at `bytes` for the whole process, unless the environment sets
/// it (see the crate documentation).
///
/// Call it once, at the start of `main`, before threads allocate. Blocks of at least `bytes`
/// are then mapped on their own and returned to the system when freed.
///
/// ```
/// use securitylake_alloc::{fix_mmap_threshold, MmapThreshold, MAX_MMAP_THRESHOLD};
///
/// // Too large for glibc: nothing changes.
/// let outcome = fix_mmap_threshold(MAX_MMAP_THRESHOLD + 1);
/// assert!(matches!(
///     outcome,
///     MmapThreshold::Rejected { .. } | MmapThreshold::SetByEnvironment | MmapThreshold::Unsupported
/// ));
/// ```
pub fn fix_mmap_threshold(bytes: usize) -> MmapThreshold {
    if set_by_environment(|name| std::env::var_os(name)) {
        return MmapThreshold::SetByEnvironment;
    }
    if bytes > MAX_MMAP_THRESHOLD {
        return MmapThreshold::Rejected { bytes };
    }
    set(bytes)
}

/// Whether the environment read through `var` sets glibc's mmap threshold.
fn set_by_environment(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    if var("MALLOC_MMAP_THRESHOLD_").is_some() {
        return true;
    }
    var("GLIBC_TUNABLES").is_some_and(|tunables| {
        tunables.to_string_lossy().split(':').any(|tunable| {
            tunable
                .trim_start()
                .starts_with("glibc.malloc.mmap_threshold=")
        })
    })
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set(bytes: usize) -> MmapThreshold {
    let Ok(value) = libc::c_int::try_from(bytes) else {
        return MmapThreshold::Rejected { bytes };
    };
    // SAFETY: `mallopt` only changes the allocator's parameters under its own lock; it reads
    // and writes no memory of ours, and any value is allowed (glibc returns 0 for one it
    // refuses).
    #[allow(unsafe_code)]
    let accepted = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, value) };
    if accepted == 1 {
        MmapThreshold::Fixed { bytes }
    } else {
        MmapThreshold::Rejected { bytes }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set(_bytes: usize) -> MmapThreshold {
    MmapThreshold::Unsupported
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, OsString)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn the_environment_threshold_is_left_alone() {
        assert!(!set_by_environment(env(&[])));
        assert!(set_by_environment(env(&[(
            "MALLOC_MMAP_THRESHOLD_",
            "65536"
        )])));
        assert!(set_by_environment(env(&[(
            "GLIBC_TUNABLES",
            "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=65536"
        )])));
        assert!(!set_by_environment(env(&[(
            "GLIBC_TUNABLES",
            "glibc.malloc.arena_max=2"
        )])));
        assert!(!set_by_environment(env(&[("MALLOC_ARENA_MAX", "2")])));
    }

    #[test]
    fn a_threshold_above_glibcs_limit_is_rejected() {
        let outcome = fix_mmap_threshold(MAX_MMAP_THRESHOLD + 1);
        assert!(!outcome.is_fixed(), "{outcome:?}");
    }
}

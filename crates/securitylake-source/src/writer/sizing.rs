//! How many bytes of the sealed Parquet file an event is expected to take,
//! from the bytes it added to its segment's column buffers (its encoded
//! size, measured once as it is encoded: no second serialization sizes it).
//!
//! Column buffers hold plain values; Parquet stores them dictionary and
//! run-length encoded, then ZSTD compressed, so a file is a fraction of its
//! events' encoded bytes, and the fraction depends on the data. The writer
//! learns it: until a segment of its own was sealed it uses a trial Parquet
//! encoding of its first frames (see [`sample`](super::sample)), starting
//! from 1:1 before the first frame; then the ratio its sealed files really
//! had, the latest file weighing as much as all earlier ones together.

/// The fixed-point scale of a ratio: `ratio * SCALE` stored bytes per
/// encoded byte.
const SCALE: u64 = 1 << 20;
/// The headroom on every estimate, in 1/64ths: 66/64 (about 3%), so that
/// files land just under `max_file_bytes` rather than on it (with the bare
/// learned ratio, files of a 300 MB stream landed within 400 bytes of a
/// 16 MiB limit).
const HEADROOM: u128 = 66;

/// The learned ratio of stored (Parquet) bytes to encoded bytes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sizing {
    /// Stored bytes per encoded byte, times [`SCALE`].
    ratio: u64,
    /// Whether the ratio comes from a sealed file (samples no longer teach it).
    from_files: bool,
}

impl Default for Sizing {
    fn default() -> Self {
        Self {
            ratio: SCALE,
            from_files: false,
        }
    }
}

impl Sizing {
    /// The stored bytes an event of `encoded` bytes counts for (at least 1).
    pub fn stored(&self, encoded: u64) -> u64 {
        let scaled = u128::from(encoded) * u128::from(self.ratio) * HEADROOM;
        u64::try_from(scaled.div_ceil(u128::from(SCALE) * 64))
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// Whether a sealed file taught the ratio.
    pub fn learned_from_files(&self) -> bool {
        self.from_files
    }

    /// Learns from a size sample: `encoded` bytes of events took `stored`
    /// bytes as Parquet (at most 1:1: a small sample is mostly the file's
    /// own overhead). Used only until a sealed file teaches the ratio.
    pub fn sample(&mut self, encoded: u64, stored: u64) {
        if self.from_files || encoded == 0 {
            return;
        }
        self.ratio = ratio(stored, encoded).clamp(1, SCALE);
    }

    /// Learns from a sealed file: events of `encoded` bytes took `stored`
    /// bytes of it (the footer left out). The new ratio weighs as much as
    /// the one learned before.
    pub fn file(&mut self, encoded: u64, stored: u64) {
        if encoded == 0 {
            return;
        }
        let new = ratio(stored, encoded).clamp(1, SCALE * 4);
        self.ratio = if self.from_files {
            (self.ratio + new).div_ceil(2)
        } else {
            new
        };
        self.from_files = true;
    }
}

/// `part / whole` times [`SCALE`].
fn ratio(part: u64, whole: u64) -> u64 {
    let scaled = u128::from(part) * u128::from(SCALE) / u128::from(whole.max(1));
    u64::try_from(scaled).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Before anything is learned an event counts for its encoded bytes;
    /// samples then files teach the ratio, and a file outweighs samples.
    #[test]
    fn the_ratio_is_learned_from_samples_then_files() {
        let mut sizing = Sizing::default();
        // Every estimate carries the headroom: 66/64.
        assert_eq!(sizing.stored(64_000), 66_000);
        assert_eq!(sizing.stored(0), 1, "an event counts for a byte at least");
        sizing.sample(1000, 250);
        assert_eq!(sizing.stored(64_000), 16_500);
        sizing.sample(1000, 2000);
        assert_eq!(
            sizing.stored(64_000),
            66_000,
            "samples never raise it above 1:1"
        );
        assert!(!sizing.learned_from_files());
        sizing.file(10_000, 1000);
        assert!(sizing.learned_from_files());
        assert_eq!(sizing.stored(64_000), 6_600);
        sizing.sample(1000, 900);
        assert_eq!(sizing.stored(64_000), 6_600, "samples no longer count");
        sizing.file(10_000, 3000);
        assert_eq!(
            sizing.stored(64_000),
            13_200,
            "the mean of the last ratio and the new"
        );
    }
}

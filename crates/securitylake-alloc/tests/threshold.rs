//! The threshold is the process's: this binary holds one test.
#![allow(unsafe_code)]

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn a_freed_large_block_no_longer_raises_the_threshold() {
    use securitylake_alloc::{DEFAULT_MMAP_THRESHOLD, MmapThreshold, fix_mmap_threshold};
    use std::hint::black_box;

    /// The blocks glibc has mapped on their own, now.
    fn mapped_blocks() -> usize {
        // SAFETY: `mallinfo2` only reads the allocator's counters under its lock.
        unsafe { libc::mallinfo2() }.hblks
    }
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some()
        || std::env::var_os("GLIBC_TUNABLES").is_some()
    {
        eprintln!("skipped: the environment sets the allocator");
        return;
    }

    // glibc's default: freeing a mapped 4 MiB block raises the threshold to 4 MiB, so a 2 MiB
    // block then grows the arena instead of being mapped.
    drop(black_box(vec![1u8; 4 << 20]));
    let before = mapped_blocks();
    drop(black_box(vec![1u8; 2 << 20]));
    assert_eq!(mapped_blocks(), before, "the default threshold is dynamic");

    assert_eq!(
        fix_mmap_threshold(DEFAULT_MMAP_THRESHOLD),
        MmapThreshold::Fixed {
            bytes: DEFAULT_MMAP_THRESHOLD
        }
    );
    // Larger than the arena's free top (the 2 MiB just freed): mapped on its own, and freeing it
    // no longer raises the threshold, so the next one is mapped too.
    for _ in 0..2 {
        let block = black_box(vec![1u8; 3 << 20]);
        assert_eq!(
            mapped_blocks(),
            before + 1,
            "a 3 MiB block is mapped on its own"
        );
        drop(block);
        assert_eq!(mapped_blocks(), before, "and unmapped when freed");
    }
}

//! The mapper benches of `mappers.rs` with mimalloc as the global allocator.
//! Mapping a line allocates every string of a fresh typed event (about 50
//! allocations per sshd line), so the allocator the application links
//! decides a large share of the throughput; this target measures it with a
//! fast one. The library itself does not choose an allocator.
//!
//! `cargo bench -p ocsf-mappers --bench mappers_mimalloc`

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/lines.rs"]
mod lines;

criterion_group!(benches, lines::bench);
criterion_main!(benches);

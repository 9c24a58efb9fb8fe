//! Mapper throughput on one core: sshd authentication lines (syslog framed)
//! and Trend Micro Deep Security CEF lines, parsed and mapped to typed OCSF
//! 1.1.0 events. The lines are written for this bench (realistic shapes, no
//! third-party data); throughput is reported in lines per second.
//!
//! `cargo bench -p ocsf-mappers --bench mappers`

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main};

#[path = "support/lines.rs"]
mod lines;

criterion_group!(benches, lines::bench);
criterion_main!(benches);

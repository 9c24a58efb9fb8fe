//! Inputs: where raw logs come from before a mapper turns them into events.
//!
//! * [`syslog`]: a syslog receiver over UDP, TCP and TLS.
//! * [`journald`]: the systemd journal, followed (`journalctl -o export --follow`), with its
//!   cursor as the checkpoint.
//! * [`objects`]: the lines of the objects under a prefix of an object store (plain or
//!   gzip), for backfills.
//!
//! The data flow: input -> mapper (`ocsf-mappers`) -> typed events -> [`Writer`](crate::Writer).

pub mod journald;
pub mod objects;
pub mod syslog;

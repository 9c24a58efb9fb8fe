//! Inputs: where raw logs come from before a mapper turns them into events.
//!
//! * [`syslog`]: a syslog receiver over UDP, TCP and TLS.
//!
//! The data flow: input -> mapper (`ocsf-mappers`) -> typed events -> [`Writer`](crate::Writer).

pub mod syslog;

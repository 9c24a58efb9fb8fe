//! Rendering [`Normalized`] records as the typed events of one OCSF version.
//!
//! A [`Target`] is a zero-sized marker type naming an OCSF version; its
//! [`Target::Event`] is that version's typed event (an enum over the classes
//! the mappers produce). The mappers are generic over the target with
//! [`V1_1_0`] as the default, so `LinuxMapper::new(config)` yields OCSF 1.1.0
//! events and a later `LinuxMapper::<V1_3_0>::new(config)` would yield 1.3.0
//! ones from the very same recognizers.

mod keep;
mod paths_v1_1_0;
mod reuse;
pub mod v1_1_0;
#[cfg(feature = "v1_3_0")]
pub mod v1_3_0;

use crate::config::SourceConfig;
use crate::normalized::Normalized;
use crate::projection::Projection;

pub use v1_1_0::V1_1_0;
#[cfg(feature = "v1_3_0")]
pub use v1_3_0::V1_3_0;

/// An OCSF version the mappers can produce.
pub trait Target {
    /// The typed event of this version.
    type Event: serde::Serialize + Clone + std::fmt::Debug + Send + 'static;

    /// The OCSF version, as written to `metadata.version`.
    const VERSION: &'static str;

    /// Lays out one record as an event of this version: the class's required
    /// attributes, the optional ones the record has, `observables` derived from
    /// the typed fields, and everything else in `unmapped`. The facts are
    /// taken out of `record`; the mappers then clear it and reuse its
    /// allocation ([`Normalized::recycle`]).
    fn render(record: &mut Normalized, config: &SourceConfig) -> Self::Event;

    /// [`Target::render`] into an existing event, reusing what it can of `event`'s
    /// allocations (the mappers' `map_line_reusing` passes the events of the previous line).
    /// The result equals `render(record, config)`. The default replaces the event.
    fn render_into(record: &mut Normalized, config: &SourceConfig, event: &mut Self::Event) {
        *event = Self::render(record, config);
    }

    /// Which of `spares` (events of earlier lines kept by a mapper) [`Target::render_into`]
    /// should render `record` into: its index, or `None` for a new event (the spares are then
    /// kept for later records). The default takes the last spare.
    fn pick_spare(record: &Normalized, spares: &[Self::Event]) -> Option<usize> {
        let _ = record;
        spares.len().checked_sub(1)
    }

    /// The attribute paths [`Target::render`] can fill in events of class `class_uid`
    /// (see [`crate::projection`]); `None` when the target declares none for the class (the
    /// default), in which case a writer should use the class's full schema.
    fn projection(class_uid: i32) -> Option<Projection> {
        let _ = class_uid;
        None
    }
}

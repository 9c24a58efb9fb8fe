//! The OCSF 1.3.0 target: [`Normalized`] records as `ocsf_model::v1_3_0` events.
//!
//! The record is laid out as OCSF 1.1.0 by [`V1_1_0`] and converted with the
//! conversion `ocsf-model` generates from the two schemas
//! ([`ocsf_model::convert::v1_1_0_to_v1_3_0`]). OCSF 1.3.0 keeps every attribute of 1.1.0, so
//! the conversion moves every value into a typed field (the corpus tests check that no mapper
//! event reports a loss); were one ever reported, its value would still be in the event's
//! `unmapped` under its path, never dropped.

use ocsf_model::convert::{ConversionReport, IntoVersion};
use ocsf_model::v1_3_0::events as e;
use ocsf_model::v1_3_0::objects::{Metadata, Observable};
use serde::Serialize;
use serde_json::{Map, Value};

use super::Target;
use super::v1_1_0::{Mapped as Mapped110, V1_1_0};
use crate::config::SourceConfig;
use crate::normalized::Normalized;

/// The OCSF 1.3.0 target: `LinuxMapper::<V1_3_0>::with_target(config)`.
///
/// ```
/// use ocsf_mappers::{LinuxMapper, SourceConfig, V1_3_0};
/// use ocsf_mappers::render::v1_3_0::Mapped;
///
/// let config = SourceConfig::linux().with_reference_ms(1_718_000_000_000);
/// let mut mapper = LinuxMapper::<V1_3_0>::with_target(config);
/// let events = mapper.map_line("Jun 14 15:16:01 h sshd[1]: Accepted password for bob from 192.0.2.1 port 2222 ssh2");
/// let Some(Mapped::Authentication(auth)) = events.first() else { panic!("not an authentication") };
/// assert_eq!(auth.metadata.version.as_deref(), Some("1.3.0"));
/// assert_eq!(events[0].type_uid(), 300201);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct V1_3_0;

impl Target for V1_3_0 {
    type Event = Mapped;
    const VERSION: &'static str = "1.3.0";

    fn render(record: &mut Normalized, config: &SourceConfig) -> Mapped {
        let mut report = ConversionReport::new();
        Mapped::from_v1_1_0(<V1_1_0 as Target>::render(record, config), &mut report)
    }
}

macro_rules! mapped {
    ($( $(#[$doc:meta])* $variant:ident($ty:ident), )*) => {
        /// One OCSF 1.3.0 event produced by a mapper: one variant per class the mappers
        /// produce (the classes of [`Mapped110`](super::v1_1_0::Mapped)). Serializes as the
        /// event itself (no tag).
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum Mapped {
            $( $(#[$doc])* $variant(Box<e::$ty>), )*
        }

        impl Mapped {
            /// Converts a mapper's OCSF 1.1.0 event, adding what 1.3.0 could not hold in
            /// place to `report` (and to the event's `unmapped`).
            pub fn from_v1_1_0(event: Mapped110, report: &mut ConversionReport) -> Self {
                match event {
                    $( Mapped110::$variant(x) => Mapped::$variant(Box::new((*x).into_version(report))), )*
                }
            }

            /// The event's `class_uid`.
            pub fn class_uid(&self) -> i32 {
                match self { $( Mapped::$variant(e) => e.class_uid(), )* }
            }

            /// The event's `type_uid`.
            pub fn type_uid(&self) -> i64 {
                match self { $( Mapped::$variant(e) => e.type_uid(), )* }
            }

            /// The event's `time`, epoch milliseconds UTC.
            pub fn time(&self) -> i64 {
                match self { $( Mapped::$variant(e) => e.time, )* }
            }

            /// The event's `unmapped` object.
            pub fn unmapped(&self) -> Option<&Map<String, Value>> {
                match self { $( Mapped::$variant(e) => e.unmapped.as_ref(), )* }
            }

            /// The event's `observables`.
            pub fn observables(&self) -> &[Observable] {
                match self { $( Mapped::$variant(e) => e.observables.as_deref().unwrap_or_default(), )* }
            }

            /// The event's `metadata`.
            pub fn metadata(&self) -> &Metadata {
                match self { $( Mapped::$variant(e) => &e.metadata, )* }
            }
        }
    };
}

mapped! {
    /// File System Activity (1001).
    FileActivity(FileActivity),
    /// Module Activity (1005).
    ModuleActivity(ModuleActivity),
    /// Scheduled Job Activity (1006).
    ScheduledJobActivity(ScheduledJobActivity),
    /// Process Activity (1007).
    ProcessActivity(ProcessActivity),
    /// Detection Finding (2004).
    DetectionFinding(DetectionFinding),
    /// Account Change (3001).
    AccountChange(AccountChange),
    /// Authentication (3002).
    Authentication(Authentication),
    /// Entity Management (3004).
    EntityManagement(EntityManagement),
    /// Group Management (3006).
    GroupManagement(GroupManagement),
    /// Network Activity (4001).
    NetworkActivity(NetworkActivity),
    /// SSH Activity (4007).
    SshActivity(SshActivity),
    /// Device Config State (5002).
    ConfigState(ConfigState),
    /// Application Lifecycle (6002).
    ApplicationLifecycle(ApplicationLifecycle),
    /// Base Event (0): the fallback for unrecognized or malformed input.
    BaseEvent(BaseEvent),
}

impl Mapped {
    /// Whether this is a fallback Base Event.
    pub fn is_fallback(&self) -> bool {
        matches!(self, Mapped::BaseEvent(_))
    }

    /// The event as a JSON value.
    pub fn to_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

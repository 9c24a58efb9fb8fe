//! The OCSF 1.3.0 target: [`Normalized`] records as `ocsf_model::v1_3_0` events.
//!
//! The record is laid out as OCSF 1.1.0 by [`V1_1_0`] and converted with the
//! conversion `ocsf-model` generates from the two schemas
//! ([`ocsf_model::convert::v1_1_0_to_v1_3_0`]). OCSF 1.3.0 keeps every attribute of 1.1.0, so
//! the conversion moves every value into a typed field (the corpus tests check that no mapper
//! event reports a loss); were one ever reported, its value would still be in the event's
//! `unmapped` under its path, never dropped.

use ocsf_model::UnrecognizedEvent;
use ocsf_model::convert::{ConversionReport, IntoVersion, convert_value};
use ocsf_model::v1_1_0::Event as Event110;
use ocsf_model::v1_3_0::Event;
use serde_json::{Map, Value};

use super::Target;
use super::v1_1_0::V1_1_0;
use crate::config::SourceConfig;
use crate::normalized::Normalized;

/// The OCSF 1.3.0 target: `LinuxMapper::<V1_3_0>::with_target(config)`. Its events are the
/// generated [`ocsf_model::v1_3_0::Event`].
///
/// ```
/// use ocsf_mappers::{LinuxMapper, SourceConfig, V1_3_0};
/// use ocsf_model::v1_3_0::Event;
///
/// let config = SourceConfig::linux().with_reference_ms(1_718_000_000_000);
/// let mut mapper = LinuxMapper::<V1_3_0>::with_target(config);
/// let events = mapper.map_line("Jun 14 15:16:01 h sshd[1]: Accepted password for bob from 192.0.2.1 port 2222 ssh2");
/// let Some(Event::Authentication(auth)) = events.first() else { panic!("not an authentication") };
/// assert_eq!(auth.metadata.version.as_deref(), Some("1.3.0"));
/// assert_eq!(events[0].type_uid(), Some(300201));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct V1_3_0;

impl Target for V1_3_0 {
    type Event = Event;
    const VERSION: &'static str = "1.3.0";

    fn render(record: &mut Normalized, config: &SourceConfig) -> Event {
        let mut report = ConversionReport::new();
        from_v1_1_0(<V1_1_0 as Target>::render(record, config), &mut report)
    }
}

macro_rules! typed {
    ($event:expr, $report:expr, $( $variant:ident ),* $(,)?) => {
        match $event {
            $( Event110::$variant(x) => Event::$variant(Box::new((*x).into_version($report))), )*
            other => through_json(other, $report),
        }
    };
}

/// Converts an OCSF 1.1.0 event to 1.3.0, adding what 1.3.0 could not hold in place to
/// `report` (and to the event's `unmapped`).
///
/// The classes the mappers produce are converted typed, field by field (the conversion
/// `ocsf-model` generates from the two schemas). Any other class goes through the same
/// conversion on its JSON; an event whose JSON the conversion cannot take is kept, with every
/// attribute, as [`Event::Unrecognized`].
///
/// ```
/// use ocsf_mappers::{LinuxMapper, SourceConfig};
/// use ocsf_mappers::render::v1_3_0::from_v1_1_0;
/// use ocsf_model::convert::ConversionReport;
///
/// let mut mapper = LinuxMapper::new(SourceConfig::linux().with_reference_ms(1_718_000_000_000));
/// let old = mapper.map_line("Jun 14 15:16:01 h sshd[1]: Accepted password for bob from 192.0.2.1 port 2222 ssh2");
/// let mut report = ConversionReport::new();
/// let new = from_v1_1_0(old[0].clone(), &mut report);
/// assert_eq!(new.class_uid(), 3002);
/// assert_eq!(new.metadata().and_then(|m| m.version.as_deref()), Some("1.3.0"));
/// assert!(report.is_empty());
/// ```
pub fn from_v1_1_0(event: Event110, report: &mut ConversionReport) -> Event {
    typed!(
        event,
        report,
        FileActivity,
        ModuleActivity,
        ScheduledJobActivity,
        ProcessActivity,
        DetectionFinding,
        AccountChange,
        Authentication,
        EntityManagement,
        GroupManagement,
        NetworkActivity,
        SshActivity,
        ConfigState,
        ApplicationLifecycle,
        BaseEvent,
    )
}

/// A class the mappers do not produce: converted on its JSON, or kept as it was.
fn through_json(event: Event110, report: &mut ConversionReport) -> Event {
    let class_uid = event.class_uid();
    let fields = match serde_json::to_value(&event) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    convert_value(Value::Object(fields.clone()), "1.1.0", "1.3.0", report)
        .ok()
        .and_then(|v| serde_json::from_value::<Event>(v).ok())
        .unwrap_or_else(|| keep(fields, class_uid))
}

/// The attributes as an unrecognized event of `class_uid`.
fn keep(mut fields: Map<String, Value>, class_uid: i32) -> Event {
    fields.insert("class_uid".into(), Value::from(class_uid));
    Event::from(
        UnrecognizedEvent::from_fields(fields).expect("an i32 `class_uid` makes a map an event"),
    )
}

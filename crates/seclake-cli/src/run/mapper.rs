//! One input's mapper in `seclake run`: the same mappers as `publish` (Linux, Trend Micro)
//! and ocsf-mappers' `OcsfJson` decoder, line by line.

use ocsf_mappers::ocsf_json::{OcsfJson, Rejected};
use ocsf_mappers::stream::LineMapper;
use ocsf_mappers::{LinuxMapper, MapperStats, SourceConfig, TrendMicroMapper, V1_1_0};
use ocsf_model::columnar::ColumnarOptions;
use ocsf_model::v1_1_0::Event;

use crate::error::Result;
use crate::mapping::{Family, MapArgs};

/// How to make an input's mapper: its family and source configuration.
#[derive(Debug, Clone)]
pub struct MapperSpec {
    family: Family,
    config: Option<SourceConfig>,
}

impl MapperSpec {
    /// The mapper of `family` configured by `map` (checked by the configuration already).
    pub fn new(family: Family, map: &MapArgs) -> Result<Self> {
        let config = match family {
            Family::OcsfJson => None,
            other => Some(map.config(other)?),
        };
        Ok(Self { family, config })
    }

    /// A fresh mapper whose reference clock (year inference, lines without a time) is
    /// `reference_ms`: a replay of the same lines with the same reference maps to the same
    /// events.
    pub fn build(&self, reference_ms: i64) -> LineMapping {
        let config = self
            .config
            .clone()
            .map(|c| c.with_reference_ms(reference_ms));
        match (self.family, config) {
            (Family::DeepSecurity, Some(config)) => {
                LineMapping::DeepSecurity(Box::new(TrendMicroMapper::new(config)))
            }
            (Family::Linux | Family::JournalExport, Some(config)) => {
                LineMapping::Linux(Box::new(LinuxMapper::new(config)))
            }
            _ => LineMapping::OcsfJson(Box::default()),
        }
    }

    /// The classes the mapper can emit (`class_uid`s, 0 for a Base Event fallback); none
    /// for OCSF JSON, which carries any class.
    pub fn classes(family: Family) -> &'static [i32] {
        match family {
            Family::Linux | Family::JournalExport => LinuxMapper::<V1_1_0>::CLASSES,
            Family::DeepSecurity => TrendMicroMapper::<V1_1_0>::CLASSES,
            Family::OcsfJson => &[],
        }
    }

    /// The name of the mapper, for messages.
    pub fn name(&self) -> &'static str {
        match self.family {
            Family::Linux | Family::JournalExport => "linux",
            Family::DeepSecurity => "deep-security",
            Family::OcsfJson => "ocsf-json",
        }
    }

    /// The column options of class `class_uid`: the mapper's declared projection (the
    /// columns it can fill); every column for OCSF JSON and classes it does not declare.
    pub fn columnar_options(&self, class_uid: i32) -> Option<ColumnarOptions> {
        let projection = match self.build(0) {
            LineMapping::Linux(m) => m.projection(class_uid),
            LineMapping::DeepSecurity(m) => m.projection(class_uid),
            LineMapping::OcsfJson(_) => None,
        }?;
        Some(ColumnarOptions::default().with_projection(projection.paths()))
    }
}

/// A mapper turning lines into events (and OCSF JSON lines into events or rejections).
#[derive(Debug)]
pub enum LineMapping {
    /// The Linux mapper.
    Linux(Box<LinuxMapper>),
    /// The Trend Micro mapper (Deep Security CEF / LEEF).
    DeepSecurity(Box<TrendMicroMapper>),
    /// The OCSF JSON decoder.
    OcsfJson(Box<OcsfJson<V1_1_0>>),
}

/// What a mapper made of some lines.
#[derive(Debug, Default)]
pub struct Mapped {
    /// The events.
    pub events: Vec<Event>,
    /// OCSF JSON events refused by the validator, with its reasons.
    pub rejected: Vec<Rejected>,
    /// The OCSF JSON decoder's output for one line (kept for its allocation).
    decoded: Vec<std::result::Result<Event, Rejected>>,
}

impl LineMapping {
    /// Maps one line into `out`.
    pub fn map_line(&mut self, line: &str, out: &mut Mapped) {
        match self {
            LineMapping::Linux(m) => m.map_line_into(line, &mut out.events),
            LineMapping::DeepSecurity(m) => {
                LineMapper::map_line_into(m.as_mut(), line, &mut out.events)
            }
            LineMapping::OcsfJson(d) => {
                d.decode_line(line, &mut out.decoded);
                for item in out.decoded.drain(..) {
                    match item {
                        Ok(event) => out.events.push(event),
                        Err(rejected) => out.rejected.push(rejected),
                    }
                }
            }
        }
    }

    /// Emits what the mapper holds (an open audit record, a pending sudo line) into `out`:
    /// every line mapped so far has its events.
    pub fn finish(&mut self, out: &mut Mapped) {
        match self {
            LineMapping::Linux(m) => m.finish_into(&mut out.events),
            LineMapping::DeepSecurity(m) => LineMapper::finish_into(m.as_mut(), &mut out.events),
            LineMapping::OcsfJson(_) => {}
        }
    }

    /// The mapper's counters (`None` for OCSF JSON, which counts events and rejections).
    pub fn stats(&self) -> Option<&MapperStats> {
        match self {
            LineMapping::Linux(m) => Some(LineMapper::stats(m.as_ref())),
            LineMapping::DeepSecurity(m) => Some(LineMapper::stats(m.as_ref())),
            LineMapping::OcsfJson(_) => None,
        }
    }
}

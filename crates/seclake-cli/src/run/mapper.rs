//! One input's mapper in `seclake run`: the same mappers as `publish` (Linux, Trend Micro)
//! and ocsf-mappers' `OcsfJson` decoder, line by line.

pub use ocsf_mappers::lines::{LineMapping, Mapped};
use ocsf_mappers::{LinuxMapper, SourceConfig, TrendMicroMapper, V1_1_0};
use ocsf_model::columnar::ColumnarOptions;

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
        let config = config.unwrap_or_else(|| self.family.default_config());
        LineMapping::new(self.family, config)
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
        let projection = self.build(0).projection(class_uid)?;
        Some(ColumnarOptions::default().with_projection(projection.paths()))
    }
}

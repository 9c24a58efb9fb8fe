//! One input's mapper in `seclake run`: the same mappers as `publish` (Linux, Trend Micro)
//! and ocsf-mappers' `OcsfJson` decoder, line by line, and the Linux mapper's journald
//! entries.

use ocsf_mappers::formats::journald::ExportReader;
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

/// Maps one journald entry (its export bytes, without the empty line that ends it) with the
/// Linux mapper: an entry that does not parse is a counted fallback event
/// (`map_journal_error`), never dropped. Other mappers take no entries (the configuration
/// gives a journald input the Linux mapper).
pub fn map_journal_entry(mapping: &mut LineMapping, entry: &mut Vec<u8>, out: &mut Mapped) {
    let LineMapping::Linux(mapper) = mapping else {
        return;
    };
    // The reader reads an entry up to its empty line.
    entry.push(b'\n');
    match ExportReader::new(entry.as_slice()).next() {
        Some(Ok(parsed)) => mapper.map_journal_entry(&parsed, &mut out.events),
        Some(Err(e)) => mapper.map_journal_error(&e, &mut out.events),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::Family;
    use ocsf_model::v1_1_0::Event;

    #[test]
    fn journal_entries_map_and_broken_ones_are_counted_fallbacks() {
        let spec = MapperSpec {
            family: Family::JournalExport,
            config: Some(ocsf_mappers::SourceConfig::linux()),
        };
        let mut mapping = spec.build(1_718_000_000_000);
        let mut out = Mapped::default();
        let mut entry = b"__CURSOR=c1\n__REALTIME_TIMESTAMP=1718010000000000\n_HOSTNAME=bastion\nSYSLOG_IDENTIFIER=sshd\n_PID=42\nMESSAGE=Accepted password for alice from 198.51.100.7 port 5000 ssh2\n".to_vec();
        map_journal_entry(&mut mapping, &mut entry, &mut out);
        mapping.finish(&mut out);
        assert!(
            out.events
                .iter()
                .any(|e| matches!(e, Event::Authentication(_))),
            "{:?}",
            out.events
        );
        // An empty field name: a fallback event, counted.
        let before = out.events.len();
        let mut broken = b"__CURSOR=c2\n=x\n".to_vec();
        map_journal_entry(&mut mapping, &mut broken, &mut out);
        mapping.finish(&mut out);
        assert_eq!(out.events.len(), before + 1);
        assert!(matches!(out.events[before], Event::BaseEvent(_)));
        assert_eq!(mapping.stats().map(|s| s.fallback_total()), Some(1));
    }
}

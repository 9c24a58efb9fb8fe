//! One mapper for a stream of lines whose format is named or detected: the Linux mapper, the
//! Trend Micro mapper (Deep Security CEF / LEEF) or the OCSF JSON decoder, into OCSF 1.1.0
//! events. Used by every line-oriented input (`seclake run`, the Lambda transform).
//!
//! ```
//! use ocsf_mappers::SourceConfig;
//! use ocsf_mappers::lines::{LineFormat, LineMapping, Mapped};
//!
//! let line = "Mar  3 10:00:00 bastion sshd[42]: Accepted password for alice from 10.0.0.5 port 5000 ssh2";
//! let format = LineFormat::detect(line);
//! assert_eq!(format, LineFormat::Linux);
//! let config = SourceConfig::linux().with_reference_ms(1_709_460_000_000);
//! let mut mapper = LineMapping::new(format, config);
//! let mut mapped = Mapped::default();
//! mapper.map_line(line, &mut mapped);
//! mapper.finish(&mut mapped);
//! assert!(!mapped.events.is_empty());
//! ```

use std::io::{BufRead, Read};

use ocsf_model::v1_1_0::Event;

use crate::ocsf_json::{OcsfJson, Rejected};
use crate::stream::LineMapper;
use crate::{LinuxMapper, MapperStats, SourceConfig, TrendMicroMapper, V1_1_0};

/// The line formats a [`LineMapping`] reads, each with its mapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineFormat {
    /// Linux lines (syslog, auditd, journald JSON), the Linux mapper.
    Linux,
    /// journald export entries (`journalctl -o export`).
    JournalExport,
    /// CEF / LEEF, the Trend Micro mapper.
    DeepSecurity,
    /// OCSF JSON, decoded and validated.
    OcsfJson,
}

impl LineFormat {
    /// The format's name: the mapper's name (`linux`, `journald-export`, `deep-security`,
    /// `ocsf-json`).
    pub fn name(self) -> &'static str {
        match self {
            LineFormat::Linux => "linux",
            LineFormat::JournalExport => "journald-export",
            LineFormat::DeepSecurity => "deep-security",
            LineFormat::OcsfJson => "ocsf-json",
        }
    }

    /// The format named `name` (one of [`name`](Self::name)'s, `cef` and `leef` too).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "linux" | "syslog" | "auditd" | "journald-json" => LineFormat::Linux,
            "journald-export" => LineFormat::JournalExport,
            "deep-security" | "cef" | "leef" => LineFormat::DeepSecurity,
            "ocsf-json" => LineFormat::OcsfJson,
            _ => return None,
        })
    }

    /// The source configuration the format's mapper starts from (product and vendor).
    pub fn default_config(self) -> SourceConfig {
        match self {
            LineFormat::DeepSecurity => SourceConfig::deep_security(),
            _ => SourceConfig::linux(),
        }
    }

    /// Decides the format from the first non-blank line.
    pub fn detect(line: &str) -> Self {
        let line = line.trim();
        if line.contains("CEF:") || line.contains("LEEF:") {
            return LineFormat::DeepSecurity;
        }
        // Trend Vision One API objects (Workbench alerts, OAT detections, pages).
        if line.starts_with('{')
            && [
                "\"matchedRules\"",
                "\"impactScope\"",
                "\"mitreTechniqueIds\"",
                "\"workbenchLink\"",
            ]
            .iter()
            .any(|k| line.contains(k))
        {
            return LineFormat::DeepSecurity;
        }
        // An OCSF event: a JSON object (or an array of them) with a `class_uid`
        // and `metadata` (journald JSON has neither).
        if line.starts_with(['{', '['])
            && line.contains("\"class_uid\"")
            && line.contains("\"metadata\"")
        {
            return LineFormat::OcsfJson;
        }
        let field = line.split_once('=').map(|(name, _)| name).unwrap_or("");
        let export_field = !field.is_empty()
            && field
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if export_field {
            LineFormat::JournalExport
        } else {
            LineFormat::Linux
        }
    }

    /// Reads `input` into `head` up to its first non-blank line (at most 64 KiB per line)
    /// and decides the format from that line ([`detect`](Self::detect)); Linux lines when
    /// there is none.
    pub fn detect_head(input: &mut impl BufRead, head: &mut Vec<u8>) -> std::io::Result<Self> {
        loop {
            let start = head.len();
            if input.by_ref().take(64 * 1024).read_until(b'\n', head)? == 0 {
                return Ok(LineFormat::Linux);
            }
            let line = String::from_utf8_lossy(&head[start..]);
            if !line.trim().is_empty() {
                return Ok(Self::detect(&line));
            }
        }
    }
}

/// A mapper turning lines into OCSF 1.1.0 events (and OCSF JSON lines into events or
/// rejections).
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
///
/// Lines are rendered into the events of earlier lines that were handed back by
/// [`Mapped::recycle`] (the Linux mapper renders in place, keeping their strings and vectors):
/// a loop that maps a chunk of lines, writes the chunk's events by reference and recycles them
/// allocates no new events once it has warmed up.
///
/// ```
/// use ocsf_mappers::SourceConfig;
/// use ocsf_mappers::lines::{LineFormat, LineMapping, Mapped};
///
/// let config = SourceConfig::linux().with_reference_ms(1_709_460_000_000);
/// let mut mapper = LineMapping::new(LineFormat::Linux, config);
/// let mut mapped = Mapped::default();
/// for user in ["alice", "bob"] {
///     mapped.recycle(); // the previous chunk's events become the next chunk's
///     let line = format!("Mar  3 10:00:00 h sshd[42]: Accepted password for {user} from 10.0.0.5 port 5000 ssh2");
///     mapper.map_line(&line, &mut mapped);
///     let json = serde_json::to_string(&mapped.events)?;
///     assert!(json.contains(user));
/// }
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct Mapped {
    /// The events.
    pub events: Vec<Event>,
    /// OCSF JSON events refused by the validator, with its reasons.
    pub rejected: Vec<Rejected>,
    /// The OCSF JSON decoder's output for one line (kept for its allocation).
    decoded: Vec<Result<Event, Rejected>>,
    /// Events handed back by [`Mapped::recycle`], rendered into by the next lines.
    recycled: Vec<Event>,
    /// The Linux mapper's output for one line; between lines, the events it renders into.
    rendered: Vec<Event>,
}

/// The events [`Mapped::recycle`] may keep beyond the chunk it recycles.
const RECYCLED_MIN: usize = 64;

impl Mapped {
    /// Empties [`events`](Self::events) and [`rejected`](Self::rejected), keeping the events for
    /// the next lines to be rendered into (by the mappers that render in place; the others
    /// drop them as they map). Events moved out of `events` before are simply not reused.
    pub fn recycle(&mut self) {
        // Events appended without rendering (journald entries, a mapper's `finish`) never
        // take recycled ones: the pool keeps at most the last chunk's worth (or a few), so it
        // cannot grow with the stream.
        let keep = self.events.len().max(RECYCLED_MIN);
        self.recycled.append(&mut self.events);
        self.recycled.truncate(keep);
        self.rejected.clear();
    }

    /// Offers the events from index `start` on to `taken`, in order: those it returns `true` for
    /// leave [`events`](Self::events) (the others keep their order) and are recycled at once,
    /// so that the next line is rendered into them.
    #[cfg(feature = "async")]
    pub(crate) fn recycle_from(&mut self, start: usize, mut taken: impl FnMut(&Event) -> bool) {
        let mut kept = start;
        for i in start..self.events.len() {
            if !taken(&self.events[i]) {
                self.events.swap(kept, i);
                kept += 1;
            }
        }
        self.recycled.extend(self.events.drain(kept..));
    }

    /// Moves the events of one line (`rendered`) to `events`, leaving in `rendered` recycled
    /// events in their place for the mapper to render the next line into.
    fn take_rendered(&mut self) {
        let swapped = self.recycled.len().min(self.rendered.len());
        for new in &mut self.rendered[..swapped] {
            if let Some(mut old) = self.recycled.pop() {
                std::mem::swap(new, &mut old);
                self.events.push(old);
            }
        }
        self.events.extend(self.rendered.drain(swapped..));
    }
}

impl LineMapping {
    /// The mapper of `format` with `config` (journald export entries go to the Linux mapper
    /// line by line; OCSF JSON needs no configuration).
    pub fn new(format: LineFormat, config: SourceConfig) -> Self {
        match format {
            LineFormat::DeepSecurity => {
                LineMapping::DeepSecurity(Box::new(TrendMicroMapper::new(config)))
            }
            LineFormat::Linux | LineFormat::JournalExport => {
                LineMapping::Linux(Box::new(LinuxMapper::new(config)))
            }
            LineFormat::OcsfJson => LineMapping::OcsfJson(Box::default()),
        }
    }

    /// Maps one line into `out` (appending to its events; the Linux mapper renders them into
    /// the events [`Mapped::recycle`] kept).
    pub fn map_line(&mut self, line: &str, out: &mut Mapped) {
        match self {
            LineMapping::Linux(m) => {
                m.map_line_reusing(line, &mut out.rendered);
                out.take_rendered();
            }
            LineMapping::DeepSecurity(m) => {
                // This mapper makes new events: recycled ones would only pile up.
                out.recycled.clear();
                LineMapper::map_line_into(m.as_mut(), line, &mut out.events)
            }
            LineMapping::OcsfJson(d) => {
                out.recycled.clear();
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

    /// The attribute paths the mapper can fill in events of class `class_uid` (its declared
    /// projection); `None` for OCSF JSON and for classes it does not emit.
    pub fn projection(&self, class_uid: i32) -> Option<crate::Projection> {
        match self {
            LineMapping::Linux(m) => m.projection(class_uid),
            LineMapping::DeepSecurity(m) => m.projection(class_uid),
            LineMapping::OcsfJson(_) => None,
        }
    }
}

/// Parses a fixed UTC offset into seconds: `UTC`, `GMT`, `Z`, `+02:00`, `-0500`, `+2`;
/// `None` for anything else (hours beyond 18, minutes beyond 59).
///
/// ```
/// use ocsf_mappers::lines::parse_utc_offset;
/// assert_eq!(parse_utc_offset("UTC"), Some(0));
/// assert_eq!(parse_utc_offset("+02:00"), Some(7200));
/// assert_eq!(parse_utc_offset("-0530"), Some(-19800));
/// assert_eq!(parse_utc_offset("Europe/Paris"), None);
/// ```
pub fn parse_utc_offset(text: &str) -> Option<i32> {
    if text.eq_ignore_ascii_case("utc") || text == "Z" || text.eq_ignore_ascii_case("gmt") {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'+') => (1, &text[1..]),
        Some(b'-') => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = if let Some((h, m)) = rest.split_once(':') {
        (h, m)
    } else if rest.len() == 4 && rest.is_char_boundary(2) {
        rest.split_at(2)
    } else {
        (rest, "0")
    };
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if h > 18 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::LineFormat;
    use super::LineFormat as Family;

    fn detect(line: &str) -> LineFormat {
        LineFormat::detect(line)
    }

    /// Events recycled for a mapper that does not render in place are dropped, not kept: a
    /// chunk after chunk of Deep Security lines keeps memory flat.
    #[test]
    fn recycled_events_do_not_pile_up_for_mappers_that_make_new_ones() {
        use super::{LineMapping, Mapped};
        let line = "CEF:0|Trend Micro|Deep Security Agent|20.0.1|21|Deny SMB from Internet|6|cn1=12 cn1Label=Host ID dvc=10.0.0.1 act=deny src=10.0.0.2 dst=10.0.0.3";
        let config = crate::SourceConfig::deep_security().with_reference_ms(1_717_999_200_000);
        let mut mapping = LineMapping::new(Family::DeepSecurity, config);
        let mut mapped = Mapped::default();
        for _ in 0..50 {
            mapped.recycle();
            for _ in 0..20 {
                mapping.map_line(line, &mut mapped);
            }
            assert_eq!(mapped.events.len(), 20);
            assert!(mapped.recycled.is_empty(), "{} kept", mapped.recycled.len());
        }
    }

    /// Events that reach `events` without rendering (journald entries are appended by the
    /// Linux mapper directly) are recycled but never taken back: the pool stays bounded.
    #[test]
    fn recycled_events_stay_bounded_when_events_are_appended_directly() {
        use super::{LineMapping, Mapped, RECYCLED_MIN};
        let line =
            "Mar  3 10:00:00 h sshd[42]: Accepted password for alice from 10.0.0.5 port 5000 ssh2";
        let config = crate::SourceConfig::linux().with_reference_ms(1_709_460_000_000);
        let mut mapping = LineMapping::new(Family::Linux, config);
        let mut mapped = Mapped::default();
        mapping.map_line(line, &mut mapped);
        let event = mapped.events[0].clone();
        for _ in 0..50 {
            mapped.recycle();
            mapped
                .events
                .extend(std::iter::repeat_n(event.clone(), 100));
            assert!(
                mapped.recycled.len() <= 100.max(RECYCLED_MIN),
                "{} kept",
                mapped.recycled.len()
            );
        }
        // Rendered lines still take the kept events.
        mapped.recycle();
        let kept = mapped.recycled.len();
        mapping.map_line(line, &mut mapped);
        assert_eq!(mapped.recycled.len(), kept - 1);
        assert_eq!(mapped.events.len(), 1);
    }

    #[test]
    fn formats_are_detected() {
        assert_eq!(
            detect("Jun  9 12:00:00 h sshd[1]: Accepted password for a from 192.0.2.1 port 1 ssh2"),
            Family::Linux
        );
        assert_eq!(
            detect("type=SYSCALL msg=audit(1.0:1): arch=c000003e"),
            Family::Linux
        );
        assert_eq!(detect("{\"MESSAGE\":\"x\"}"), Family::Linux);
        assert_eq!(
            detect("{\"items\":[{\"id\":\"WB-1\",\"matchedRules\":[]}]}"),
            Family::DeepSecurity
        );
        assert_eq!(detect("__CURSOR=s=abc"), Family::JournalExport);
        assert_eq!(
            detect("{\"class_uid\":3002,\"metadata\":{\"version\":\"1.3.0\"}}"),
            Family::OcsfJson
        );
        assert_eq!(
            detect("{\"MESSAGE\":\"class_uid\",\"__CURSOR\":\"s\"}"),
            Family::Linux
        );
        assert_eq!(
            detect("CEF:0|Trend Micro|Deep Security Agent|20|4000000|Eicar|6|"),
            Family::DeepSecurity
        );
        assert_eq!(
            detect("<134>Jun 1 00:00:00 h LEEF:2.0|Trend Micro|Deep Security Manager|20|x|"),
            Family::DeepSecurity
        );
    }
}

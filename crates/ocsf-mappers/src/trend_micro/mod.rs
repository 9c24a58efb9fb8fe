//! Trend Micro products: one mapper that sends each message to the mapping of
//! the product that wrote it.
//!
//! [`TrendMicroMapper`] reads CEF, LEEF (with or without a syslog header) and
//! Vision One JSON, and dispatches on the header's vendor **and** product
//! ([`identify`]):
//!
//! | product | mapping |
//! |---|---|
//! | Deep Security, Cloud One Workload Security, Vision One Server & Workload Protection | [`crate::DeepSecurityMapper`]'s protection modules |
//! | Apex One / Apex Central | [`apex_one`] |
//! | Vision One Workbench alerts and OAT detections (JSON) | [`vision_one`] |
//!
//! A Trend Micro product the mappers do not know, another vendor, or a known
//! product's log type without a mapping becomes a fallback Base Event with the
//! line in `raw_data` and a counted reason (`unsupported_product`,
//! `unrecognized_message`); it is never mapped as another product's event.
//!
//! A message whose header parses is never a fallback because of its fields:
//! attribute text that does not parse is kept in `unmapped.unparsed` and
//! counted in [`MapperStats::recovered`](crate::MapperStats::recovered).

pub mod apex_one;
pub(crate) mod attack;
mod fields;
pub(crate) mod line;
mod product;
pub mod vision_one;

use serde_json::Value;

pub use self::product::{Edition, Product, identify, is_trend_vendor};

use self::line::{Parsed, keep_unparsed};
use crate::config::SourceConfig;
use crate::deep_security::DeepSecurityMapper;
use crate::normalized::{Activity, Normalized};
use crate::render::{Target, V1_1_0};
use crate::stats::{FallbackReason, MapperStats};
use crate::stream::LineMapper;

/// Maps Trend Micro events of every product line the crate covers (Deep
/// Security and its successors, Apex One, Vision One) to typed OCSF events.
/// Stateless: every line maps on its own; a Vision One API page
/// (`{"items": [...]}`) yields one event per item.
///
/// ```
/// use ocsf_mappers::{SourceConfig, TrendMicroMapper};
///
/// let mut mapper = TrendMicroMapper::new(SourceConfig::trend_micro().with_reference_ms(1_718_000_000_000));
/// let events = mapper.map_line(concat!(
///     "CEF:0|Trend Micro|Apex Central|2019|AV:File quarantined|TROJ_FAKEAV.A|3|",
///     "rt=Jun 10 2024 06:13:20 GMT+00:00 dhost=ws-17 dst=10.1.2.3 duser=kim ",
///     r"filePath=C:\Users\kim\Downloads\ fname=setup.exe act=File quarantined deviceFacility=Apex One",
/// ));
/// let json = serde_json::to_value(&events[0])?;
/// assert_eq!(json["class_uid"], 2004);
/// assert_eq!(json["disposition"], "Quarantined");
/// assert_eq!(json["metadata"]["product"]["name"], "Apex One");
/// assert_eq!(json["evidences"][0]["file"]["path"], r"C:\Users\kim\Downloads\setup.exe");
///
/// // A Trend Micro product without a mapping is a counted fallback.
/// let events = mapper.map_line("CEF:0|Trend Micro|TMES|1.0|300101|AUDIT|4|act=login");
/// assert_eq!(events[0].class_uid(), 0);
/// assert_eq!(mapper.stats().fallback_total(), 1);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug)]
pub struct TrendMicroMapper<T: Target = V1_1_0> {
    deep_security: DeepSecurityMapper<T>,
    stats: MapperStats,
}

impl TrendMicroMapper<V1_1_0> {
    /// A mapper producing OCSF 1.1.0 events.
    pub fn new(config: SourceConfig) -> Self {
        TrendMicroMapper::with_target(config)
    }
}

impl<T: Target> TrendMicroMapper<T> {
    /// A mapper producing events of target `T`.
    pub fn with_target(config: SourceConfig) -> Self {
        TrendMicroMapper {
            deep_security: DeepSecurityMapper::with_target(config),
            stats: MapperStats::default(),
        }
    }

    /// The OCSF classes this mapper emits (`class_uid`; 0 is the Base Event of a fallback).
    pub const CLASSES: &'static [i32] = &[0, 1001, 1007, 2004, 3002, 3004, 4001, 5002];

    /// The attribute paths this mapper can fill in events of class `class_uid` (a
    /// [`Projection`](crate::Projection)): what a source written from this mapper should use as
    /// its columnar projection, `None` for a class it does not emit (or when the target
    /// declares no paths).
    ///
    /// ```
    /// use ocsf_mappers::{TrendMicroMapper, SourceConfig, V1_1_0};
    ///
    /// let mapper = TrendMicroMapper::new(SourceConfig::trend_micro());
    /// for &class in TrendMicroMapper::<V1_1_0>::CLASSES {
    ///     let projection = mapper.projection(class).expect("declared");
    ///     assert!(projection.covers("metadata.version"));
    /// }
    /// ```
    pub fn projection(&self, class_uid: i32) -> Option<crate::Projection> {
        if Self::CLASSES.contains(&class_uid) {
            T::projection(class_uid)
        } else {
            None
        }
    }

    /// The source configuration.
    pub fn config(&self) -> &SourceConfig {
        self.deep_security.config()
    }

    /// The counters so far.
    pub fn stats(&self) -> &MapperStats {
        &self.stats
    }

    /// Moves the reference clock.
    pub fn set_reference_ms(&mut self, reference_ms: i64) {
        self.deep_security.set_reference_ms(reference_ms);
    }

    /// Maps one line; a blank line yields nothing, a Vision One API page one
    /// event per item, anything else exactly one event.
    pub fn map_line(&mut self, line: &str) -> Vec<T::Event> {
        let mut out = Vec::new();
        self.map_line_into(line, &mut out);
        out
    }

    /// [`map_line`](Self::map_line), appending to `out`.
    pub fn map_line_into(&mut self, line: &str, out: &mut Vec<T::Event>) {
        self.stats.accepted += 1;
        let line = line.trim_end_matches(['\r', '\n']);
        let trimmed = line.trim_start_matches([' ', '\t', '\u{feff}']);
        if trimmed.trim().is_empty() {
            self.stats.blank += 1;
            return;
        }
        if trimmed.starts_with('{') {
            self.map_json(line, trimmed, out);
            return;
        }
        let (n, recovered) = self.normalize(line);
        self.emit(n, recovered, out);
    }

    fn emit(
        &mut self,
        mut n: Box<Normalized>,
        recovered: Option<FallbackReason>,
        out: &mut Vec<T::Event>,
    ) {
        match n.activity {
            Activity::Fallback(reason) => self.stats.count_fallback(reason),
            ref a => self.stats.count_class(a.class_uid()),
        }
        if let Some(reason) = recovered {
            self.stats.count_recovered(reason);
        }
        out.push(T::render(&mut n, self.deep_security.config()));
        n.recycle();
    }

    fn normalize(&self, line: &str) -> (Box<Normalized>, Option<FallbackReason>) {
        let ds = &self.deep_security;
        let parsed = match Parsed::parse(line, ds.syslog_context()) {
            Ok(p) => p,
            Err((reason, e)) => return (ds.fallback(line, reason, e.as_ref(), None), None),
        };
        match identify(parsed.vendor(), parsed.product()) {
            Some(Product::DeepSecurity(_)) => ds.map_parsed(line, parsed),
            Some(Product::ApexOne) => {
                let (unparsed, reason) = parsed.unparsed();
                let mapped = match &parsed {
                    Parsed::Cef(ev) => apex_one::map(&ev.cef, ev.syslog.as_ref(), ds.config()),
                    Parsed::Leef(_) => Err((
                        FallbackReason::UnsupportedProduct,
                        "Apex One in LEEF is not covered (Apex Central forwards CEF)".to_owned(),
                    )),
                };
                match mapped {
                    Ok(mut n) => {
                        let recovered = keep_unparsed(unparsed, reason, &mut n);
                        if ds.config().keep_raw_data {
                            n.raw_data = Some(line.to_owned());
                        }
                        (n, recovered)
                    }
                    Err((reason, detail)) => (ds.fallback(line, reason, None, Some(&detail)), None),
                }
            }
            _ => {
                let detail = format!(
                    "vendor {:?} product {:?} has no mapping",
                    parsed.vendor(),
                    parsed.product()
                );
                let reason = FallbackReason::UnsupportedProduct;
                (ds.fallback(line, reason, None, Some(&detail)), None)
            }
        }
    }

    fn map_json(&mut self, line: &str, json: &str, out: &mut Vec<T::Event>) {
        let ds = &self.deep_security;
        let value: Value = match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => {
                let detail = format!("JSON: {e}");
                let n = ds.fallback(
                    line,
                    FallbackReason::UnrecognizedMessage,
                    None,
                    Some(&detail),
                );
                return self.emit(n, None, out);
            }
        };
        let items = match value {
            Value::Object(mut obj) => match obj.remove("items") {
                Some(Value::Array(items)) if !obj.contains_key("id") => items,
                Some(other) => {
                    obj.insert("items".to_owned(), other);
                    vec![Value::Object(obj)]
                }
                None => vec![Value::Object(obj)],
            },
            other => vec![other],
        };
        if items.is_empty() {
            // An empty API page: nothing happened, like a blank line.
            self.stats.blank += 1;
            return;
        }
        for item in items {
            let ds = &self.deep_security;
            let raw = if ds.config().keep_raw_data || !item.is_object() {
                Some(item.to_string())
            } else {
                None
            };
            let n = match item {
                Value::Object(obj) => match vision_one::map(obj, ds.config()) {
                    Ok(mut n) => {
                        n.raw_data = raw;
                        n
                    }
                    Err((reason, detail)) => {
                        ds.fallback(raw.as_deref().unwrap_or(line), reason, None, Some(&detail))
                    }
                },
                _ => ds.fallback(
                    raw.as_deref().unwrap_or(line),
                    FallbackReason::UnrecognizedMessage,
                    None,
                    Some("JSON value is not an object"),
                ),
            };
            self.emit(n, None, out);
        }
    }
}

impl<T: Target> LineMapper for TrendMicroMapper<T> {
    type Event = T::Event;

    fn map_line_into(&mut self, line: &str, out: &mut Vec<T::Event>) {
        TrendMicroMapper::map_line_into(self, line, out);
    }

    fn finish_into(&mut self, _out: &mut Vec<T::Event>) {}

    fn stats(&self) -> &MapperStats {
        &self.stats
    }

    fn max_line_len(&self) -> usize {
        self.deep_security.config().max_line_len
    }

    fn line_too_long(&mut self, prefix: &str, len: usize, out: &mut Vec<T::Event>) {
        self.stats.accepted += 1;
        let detail = format!("line of {len} bytes cut at {}", prefix.len());
        let n =
            self.deep_security
                .fallback(prefix, FallbackReason::LineTooLong, None, Some(&detail));
        self.emit(n, None, out);
    }
}

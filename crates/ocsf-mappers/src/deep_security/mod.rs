//! Trend Micro Deep Security (and Workload Security / Cloud One) events in CEF
//! or LEEF, with or without a syslog header.
//!
//! Each event is attributed to its protection module — from LEEF's `cat`, the
//! Manager product name, the signature id range (1xxxxxx intrusion prevention,
//! 2xxxxxx integrity monitoring, 3xxxxxx log inspection, 4xxxxxx
//! anti-malware, 5xxxxxx web reputation, 6xxxxxx application control,
//! 7xxxxxx device control) or the module's own extension fields — and mapped to
//! the class that fits:
//!
//! | module | class |
//! |---|---|
//! | anti-malware | Detection Finding (malware, file hashes, disposition) |
//! | intrusion prevention | Detection Finding (rule, CVEs, endpoints) |
//! | log inspection | Detection Finding (rule, description) |
//! | firewall | Network Activity (Refuse / Traffic, rule, endpoints) |
//! | web reputation | Network Activity (Refuse, URL) |
//! | integrity monitoring | File System Activity |
//! | application control | Process Activity Launch |
//! | device control | File System Activity Open |
//! | system (Manager) | Authentication (sign-in/out) or Entity Management |
//!
//! Severities 0-10 are normalized: 0 Informational, 1-3 Low, 4-6 Medium, 7-8
//! High, 9-10 Critical. Every extension field the mapping does not consume is
//! kept in `unmapped`, custom fields under their label (`Fragmentation Bits`).
mod anti_malware;
mod application_control;
mod common;
mod device_control;
mod firewall;
mod integrity_monitoring;
mod intrusion_prevention;
mod log_inspection;
mod record;
mod system;
mod web_reputation;

pub(crate) use self::anti_malware::malware_class;

use std::marker::PhantomData;

use serde_json::{Map, Value};

use self::common::device;
use self::record::{Ds, parse_time, severity};
use crate::Error;
use crate::config::SourceConfig;
use crate::formats::syslog::{SyslogContext, SyslogRecord, TimeSource};
use crate::normalized::{Activity, Normalized, Severity};
use crate::render::{Target, V1_1_0};
use crate::stats::{FallbackReason, MapperStats};
use crate::stream::LineMapper;
use crate::trend_micro::line::{Parsed, keep_unparsed};
use crate::trend_micro::{Product, identify};

/// The protection module an event comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Module {
    /// Anti-Malware.
    AntiMalware,
    /// Web Reputation.
    WebReputation,
    /// Firewall.
    Firewall,
    /// Intrusion Prevention (Deep Packet Inspection).
    IntrusionPrevention,
    /// Integrity Monitoring.
    IntegrityMonitoring,
    /// Log Inspection.
    LogInspection,
    /// Application Control.
    ApplicationControl,
    /// Device Control.
    DeviceControl,
    /// System events (Manager, agent status).
    System,
}

impl Module {
    /// The module's name as Deep Security writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Module::AntiMalware => "Anti-Malware",
            Module::WebReputation => "Web Reputation",
            Module::Firewall => "Firewall",
            Module::IntrusionPrevention => "Intrusion Prevention",
            Module::IntegrityMonitoring => "Integrity Monitoring",
            Module::LogInspection => "Log Inspection",
            Module::ApplicationControl => "Application Control",
            Module::DeviceControl => "Device Control",
            Module::System => "System",
        }
    }
}

/// Maps Trend Micro Deep Security CEF / LEEF events to typed OCSF events
/// (OCSF 1.1.0 unless another [`Target`] is chosen). Stateless: every line
/// maps on its own.
///
/// ```
/// use ocsf_mappers::{DeepSecurityMapper, SourceConfig};
///
/// let mut mapper = DeepSecurityMapper::new(SourceConfig::deep_security().with_reference_ms(1_718_000_000_000));
/// let events = mapper.map_line(concat!(
///     "<134>Jun 10 06:13:20 dsa01 CEF:0|Trend Micro|Deep Security Agent|20.0.677|1011466|",
///     "Apache HTTP Server Denial Of Service Vulnerability (CVE-2022-30522)|6|cn1=318 cn1Label=Host ID ",
///     "dvchost=web1 src=198.51.100.2 dst=192.0.2.1 proto=TCP spt=58407 dpt=443 act=IDS:Reset",
/// ));
/// let json = serde_json::to_value(&events[0])?;
/// assert_eq!(json["class_uid"], 2004);
/// assert_eq!(json["severity_id"], 3); // Medium
/// assert_eq!(json["finding_info"]["analytic"]["uid"], "1011466");
/// assert_eq!(json["vulnerabilities"][0]["cve"]["uid"], "CVE-2022-30522");
/// assert_eq!(json["evidences"][0]["src_endpoint"]["ip"], "198.51.100.2");
/// assert_eq!(json["disposition"], "Detected");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug)]
pub struct DeepSecurityMapper<T: Target = V1_1_0> {
    config: SourceConfig,
    syslog_ctx: SyslogContext,
    stats: MapperStats,
    target: PhantomData<fn() -> T>,
}

impl DeepSecurityMapper<V1_1_0> {
    /// A mapper producing OCSF 1.1.0 events.
    pub fn new(config: SourceConfig) -> Self {
        DeepSecurityMapper::with_target(config)
    }
}

impl<T: Target> DeepSecurityMapper<T> {
    /// A mapper producing events of target `T`.
    pub fn with_target(config: SourceConfig) -> Self {
        DeepSecurityMapper {
            syslog_ctx: config.syslog_context(),
            config,
            stats: MapperStats::default(),
            target: PhantomData,
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
    /// use ocsf_mappers::{DeepSecurityMapper, SourceConfig, V1_1_0};
    ///
    /// let mapper = DeepSecurityMapper::new(SourceConfig::deep_security());
    /// for &class in DeepSecurityMapper::<V1_1_0>::CLASSES {
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
        &self.config
    }

    /// The counters so far.
    pub fn stats(&self) -> &MapperStats {
        &self.stats
    }

    /// Moves the reference clock.
    pub fn set_reference_ms(&mut self, reference_ms: i64) {
        self.config.reference_ms = reference_ms;
        self.syslog_ctx = self.config.syslog_context();
    }

    /// Maps one line (CEF or LEEF, optionally behind a syslog header); a
    /// blank line yields nothing, anything else exactly one event. Lines of
    /// another vendor or another Trend Micro product (Apex One, Vision One:
    /// see [`TrendMicroMapper`](crate::TrendMicroMapper)) become fallback
    /// events with reason `unsupported_product`.
    pub fn map_line(&mut self, line: &str) -> Vec<T::Event> {
        let mut out = Vec::new();
        self.map_line_into(line, &mut out);
        out
    }

    /// [`map_line`](Self::map_line), appending to `out`.
    pub fn map_line_into(&mut self, line: &str, out: &mut Vec<T::Event>) {
        self.stats.accepted += 1;
        let line = line.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            self.stats.blank += 1;
            return;
        }
        let (mut n, recovered) = self.normalize(line);
        match n.activity {
            Activity::Fallback(reason) => self.stats.count_fallback(reason),
            ref a => self.stats.count_class(a.class_uid()),
        }
        if let Some(reason) = recovered {
            self.stats.count_recovered(reason);
        }
        out.push(T::render(&mut n, &self.config));
        n.recycle();
    }

    fn normalize(&self, line: &str) -> (Box<Normalized>, Option<FallbackReason>) {
        let parsed = match Parsed::parse(line, &self.syslog_ctx) {
            Ok(p) => p,
            Err((reason, e)) => return (self.fallback(line, reason, e.as_ref(), None), None),
        };
        if !matches!(
            identify(parsed.vendor(), parsed.product()),
            Some(Product::DeepSecurity(_))
        ) {
            let detail = format!(
                "vendor {:?} product {:?}",
                parsed.vendor(),
                parsed.product()
            );
            let n = self.fallback(
                line,
                FallbackReason::UnsupportedProduct,
                None,
                Some(&detail),
            );
            return (n, None);
        }
        self.map_parsed(line, parsed)
    }

    /// Maps a parsed message of the Deep Security family; also returns the
    /// reason to count when part of the message did not parse.
    pub(crate) fn map_parsed(
        &self,
        line: &str,
        parsed: Parsed<'_>,
    ) -> (Box<Normalized>, Option<FallbackReason>) {
        let (unparsed, reason) = parsed.unparsed();
        let unparsed = unparsed.to_vec();
        let (ds, syslog, dev_time) = match parsed {
            Parsed::Cef(ev) => (Ds::from_cef(ev.cef), ev.syslog, None),
            Parsed::Leef(ev) => {
                let t = ev.leef.dev_time_ms(self.config.utc_offset_secs);
                (Ds::from_leef(ev.leef), ev.syslog, t)
            }
        };
        let mut n = self.map_ds(&ds, syslog.as_ref());
        if let Some(t) = dev_time {
            n.time_ms = t;
        }
        let recovered = keep_unparsed(&unparsed, reason, &mut n);
        if self.config.keep_raw_data {
            n.raw_data = Some(line.to_owned());
        }
        (n, recovered)
    }

    pub(crate) fn syslog_context(&self) -> &SyslogContext {
        &self.syslog_ctx
    }

    pub(crate) fn fallback(
        &self,
        line: &str,
        reason: FallbackReason,
        e: Option<&Error>,
        detail: Option<&str>,
    ) -> Box<Normalized> {
        let mut n = Normalized::new(
            Activity::Fallback(reason),
            self.config.reference_ms,
            Severity::Unknown,
        );
        let mut m = Map::new();
        m.insert("reason".into(), Value::from(reason.as_str()));
        if let Some(e) = e {
            m.insert("format".into(), Value::from(e.format().as_str()));
            m.insert("kind".into(), Value::from(e.kind().as_str()));
            if let Some(o) = e.offset() {
                m.insert("offset".into(), Value::from(o));
            }
            m.insert("detail".into(), Value::from(e.detail()));
            n.message = Some(e.to_string());
        }
        if let Some(d) = detail {
            m.insert("detail".into(), Value::from(d));
        }
        n.put_value("fallback", Value::Object(m));
        n.device.hostname = self.config.hostname_fallback.clone();
        n.raw_data = Some(line.to_owned());
        n
    }

    fn map_ds(&self, ds: &Ds<'_>, syslog: Option<&SyslogRecord<'_>>) -> Box<Normalized> {
        let module = ds.module();
        let rt = ds
            .get("rt")
            .and_then(|t| parse_time(t, self.config.utc_offset_secs));
        let time = rt
            .map(|(ms, _)| ms)
            .or_else(|| {
                syslog
                    .filter(|s| s.time_source != TimeSource::Reference)
                    .map(|s| s.time_ms)
            })
            .unwrap_or(self.config.reference_ms);
        let mut n = Normalized::new(Activity::DeviceConfigState, time, severity(ds.severity));
        n.utc_offset_secs = match rt {
            Some((_, zone)) => zone,
            None => syslog.and_then(|s| s.utc_offset_secs),
        };
        n.source.product_name = Some(ds.product.to_string()).filter(|s| !s.is_empty());
        n.source.vendor_name = Some(ds.vendor.to_string()).filter(|s| !s.is_empty());
        n.source.product_version = Some(ds.version.to_string()).filter(|s| !s.is_empty());
        n.source.event_code = Some(ds.sig.to_string()).filter(|s| !s.is_empty());
        n.source.feature = Some(module.as_str().to_owned());
        n.message = Some(ds.name.to_string()).filter(|s| !s.is_empty());
        n.device = device(ds, syslog);
        match module {
            Module::AntiMalware => anti_malware::anti_malware(ds, &mut n),
            Module::IntrusionPrevention => intrusion_prevention::intrusion_prevention(ds, &mut n),
            Module::LogInspection => log_inspection::log_inspection(ds, &mut n),
            Module::Firewall => firewall::firewall(ds, &mut n),
            Module::WebReputation => web_reputation::web_reputation(ds, &mut n),
            Module::IntegrityMonitoring => integrity_monitoring::integrity_monitoring(ds, &mut n),
            Module::ApplicationControl => application_control::application_control(ds, &mut n),
            Module::DeviceControl => device_control::device_control(ds, &mut n),
            Module::System => system::system(ds, &mut n),
        }
        for (k, v) in ds.unused() {
            n.unmapped.insert_if_absent(&k, v);
        }
        n
    }
}

impl<T: Target> LineMapper for DeepSecurityMapper<T> {
    type Event = T::Event;

    fn map_line_into(&mut self, line: &str, out: &mut Vec<T::Event>) {
        DeepSecurityMapper::map_line_into(self, line, out);
    }

    fn finish_into(&mut self, _out: &mut Vec<T::Event>) {}

    fn stats(&self) -> &MapperStats {
        &self.stats
    }

    fn max_line_len(&self) -> usize {
        self.config.max_line_len
    }

    fn line_too_long(&mut self, prefix: &str, len: usize, out: &mut Vec<T::Event>) {
        self.stats.accepted += 1;
        let mut n = self.fallback(
            prefix,
            FallbackReason::LineTooLong,
            None,
            Some(&format!("line of {len} bytes cut at {}", prefix.len())),
        );
        self.stats.count_fallback(FallbackReason::LineTooLong);
        out.push(T::render(&mut n, &self.config));
        n.recycle();
    }
}

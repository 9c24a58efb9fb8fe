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

use std::borrow::Cow;
use std::cell::Cell;
use std::marker::PhantomData;

use serde_json::{Map, Value};

use crate::Error;
use crate::config::SourceConfig;
use crate::formats::syslog::{SyslogContext, SyslogRecord, TimeSource};
use crate::formats::{cef, leef};
use crate::normalized::{
    Action, Activity, AuthActivity, ConnectionInfo, DeviceInfo, Direction, Disposition,
    EndpointInfo, EntityActivity, EntityInfo, FileActivity, FileInfo, FileType, FindingActivity,
    FindingData, HashAlgorithm, HashInfo, MalwareClass, MalwareInfo, NetworkActivity, Normalized,
    Outcome, ProcessActivity, ProcessInfo, RuleInfo, Severity, TrafficInfo, UserInfo,
};
use crate::stats::{FallbackReason, MapperStats};
use crate::stream::LineMapper;
use crate::target::{Target, V1_1_0};
use crate::util::{basename, cve_ids, endpoint, fnv_id, ip, is_hostname, number, port};

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

/// One event's header and fields, CEF or LEEF, with use tracking so the rest
/// can go to `unmapped`.
struct Ds<'a> {
    raw: &'a str,
    vendor: Cow<'a, str>,
    product: Cow<'a, str>,
    version: Cow<'a, str>,
    sig: Cow<'a, str>,
    name: Cow<'a, str>,
    severity: Option<u8>,
    fields: Vec<(&'a str, Cow<'a, str>)>,
    used: Vec<Cell<bool>>,
}

/// LEEF attribute names that Deep Security uses for CEF keys.
const LEEF_ALIASES: &[(&str, &str)] = &[
    ("suser", "usrName"),
    ("spt", "srcPort"),
    ("dpt", "dstPort"),
    ("smac", "srcMAC"),
    ("dmac", "dstMAC"),
    ("rt", "devTime"),
];

impl<'a> Ds<'a> {
    fn from_cef(rec: cef::CefRecord<'a>) -> Self {
        let fields: Vec<_> = rec
            .extensions
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect();
        let severity = {
            let s = rec.severity.trim();
            match number::<u8>(s) {
                Some(n) => Some(n.min(10)),
                None => match s.to_ascii_lowercase().as_str() {
                    "low" => Some(3),
                    "medium" => Some(6),
                    "high" => Some(8),
                    "very-high" | "very high" => Some(10),
                    _ => None,
                },
            }
        };
        Ds {
            raw: rec.raw,
            vendor: rec.device_vendor,
            product: rec.device_product,
            version: rec.device_version,
            sig: rec.signature_id,
            name: rec.name,
            severity,
            used: vec![Cell::new(false); fields.len()],
            fields,
        }
    }

    fn from_leef(rec: leef::LeefRecord<'a>) -> Self {
        let fields: Vec<_> = rec
            .attributes
            .iter()
            .map(|a| (a.key, Cow::Borrowed(a.value)))
            .collect();
        let mut ds = Ds {
            raw: rec.raw,
            vendor: rec.vendor,
            product: rec.product,
            version: rec.product_version,
            sig: rec.event_id,
            name: Cow::Borrowed(""),
            severity: None,
            used: vec![Cell::new(false); fields.len()],
            fields,
        };
        ds.severity = ds.get("sev").and_then(number::<u8>).map(|s| s.min(10));
        if let Some(n) = ds.get("name") {
            ds.name = Cow::Owned(n.to_owned());
        }
        ds
    }

    fn index(&self, key: &str) -> Option<usize> {
        self.fields.iter().position(|(k, _)| *k == key).or_else(|| {
            let alias = LEEF_ALIASES.iter().find(|(c, _)| *c == key)?.1;
            self.fields.iter().position(|(k, _)| *k == alias)
        })
    }

    /// The value of `key` (marking it used); empty and `N/A` values are absent.
    fn get(&self, key: &str) -> Option<&str> {
        let i = self.index(key)?;
        if let Some(u) = self.used.get(i) {
            u.set(true);
        }
        let v = self.fields[i].1.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .unwrap_or(v);
        (!v.is_empty() && v != "N/A").then_some(v)
    }

    /// Whether `key` is present (without marking it used).
    fn has(&self, key: &str) -> bool {
        self.index(key).is_some()
    }

    /// The value of the custom field labelled `label` (marking both used).
    fn labeled(&self, label: &str) -> Option<&str> {
        let li = self.fields.iter().position(|(k, v)| {
            k.strip_suffix("Label").is_some_and(|b| !b.is_empty()) && v.trim() == label
        })?;
        let base = self.fields[li].0.strip_suffix("Label")?;
        let v = self.get(base)?;
        if let Some(u) = self.used.get(li) {
            u.set(true);
        }
        Some(v)
    }

    fn has_label(&self, label: &str) -> bool {
        self.fields
            .iter()
            .any(|(k, v)| k.ends_with("Label") && v.trim() == label)
    }

    /// Every unused field: custom fields under their label, the rest by key.
    fn unused(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for (i, (k, v)) in self.fields.iter().enumerate() {
            if self.used.get(i).is_some_and(Cell::get) || k.ends_with("Label") {
                continue;
            }
            let label = self
                .fields
                .iter()
                .find(|(lk, _)| lk.strip_suffix("Label") == Some(k))
                .map(|(_, lv)| lv.trim());
            let key = label.filter(|l| !l.is_empty()).unwrap_or(k);
            out.insert(key.to_owned(), Value::from(v.trim()));
        }
        for (i, (k, v)) in self.fields.iter().enumerate() {
            if let Some(base) = k.strip_suffix("Label")
                && !self.used.get(i).is_some_and(Cell::get)
                && !self.fields.iter().any(|(b, _)| *b == base)
            {
                out.insert((*k).to_owned(), Value::from(v.trim()));
            }
        }
        out
    }

    fn module(&self) -> Module {
        if let Some(cat) = self.get("cat") {
            let c = cat.to_ascii_lowercase();
            let m = match c.as_str() {
                "anti-malware" | "antimalware" => Some(Module::AntiMalware),
                "web reputation" => Some(Module::WebReputation),
                "firewall" => Some(Module::Firewall),
                "intrusion prevention" | "deep packet inspection" | "dpi" | "payload" => {
                    Some(Module::IntrusionPrevention)
                }
                "integrity monitoring" => Some(Module::IntegrityMonitoring),
                "log inspection" => Some(Module::LogInspection),
                "application control" | "appcontrol" => Some(Module::ApplicationControl),
                "device control" => Some(Module::DeviceControl),
                "system" => Some(Module::System),
                _ => None,
            };
            if let Some(m) = m {
                return m;
            }
        }
        if self.product.contains("Manager") {
            return Module::System;
        }
        if let Some(sig) = number::<u64>(&self.sig) {
            let m = match sig / 1_000_000 {
                1 => Some(Module::IntrusionPrevention),
                2 => Some(Module::IntegrityMonitoring),
                3 => Some(Module::LogInspection),
                4 => Some(Module::AntiMalware),
                5 => Some(Module::WebReputation),
                6 => Some(Module::ApplicationControl),
                7 => Some(Module::DeviceControl),
                _ => None,
            };
            if let Some(m) = m {
                return m;
            }
        }
        if [
            "Intrusion Prevention Note",
            "DPI Note",
            "Intrusion Prevention Packet Position",
            "DPI Packet Position",
        ]
        .iter()
        .any(|l| self.has_label(l))
        {
            return Module::IntrusionPrevention;
        }
        if self.has_label("LI Description") {
            return Module::LogInspection;
        }
        if self.has_label("actionReason") {
            return Module::ApplicationControl;
        }
        if self.has("TrendMicroDsFrameType") || (self.has("proto") && self.has("src")) {
            return Module::Firewall;
        }
        if self.has("filePath") && self.has("act") {
            return Module::IntegrityMonitoring;
        }
        Module::System
    }
}

fn severity(level: Option<u8>) -> Severity {
    match level {
        None => Severity::Unknown,
        Some(0) => Severity::Informational,
        Some(1..=3) => Severity::Low,
        Some(4..=6) => Severity::Medium,
        Some(7 | 8) => Severity::High,
        Some(_) => Severity::Critical,
    }
}

/// `rt` / `devTime`: epoch milliseconds (or seconds), or `MMM dd yyyy HH:mm:ss[.SSS]`
/// in the source's zone.
fn parse_time(s: &str, utc_offset_secs: i32) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let v: i64 = s.parse().ok()?;
        return Some(if s.len() <= 10 {
            v.checked_mul(1000)?
        } else {
            v
        });
    }
    let mut parts = s.split_whitespace();
    let month = crate::formats::time::month_from_abbrev(parts.next()?.as_bytes())?;
    let day: u32 = number(parts.next()?)?;
    let year: i64 = number(parts.next()?)?;
    let time = parts.next()?;
    let b = time.as_bytes();
    let (h, mi, sec, ms, _) = crate::formats::time::parse_hms(b, 0).ok()?;
    if day == 0 || day > crate::formats::time::days_in_month(year, month) {
        return None;
    }
    let local = crate::formats::time::civil_to_epoch_ms(year, month, day, h, mi, sec, ms);
    Some(local - i64::from(utc_offset_secs) * 1000)
}

fn malware_class(name: &str) -> MalwareClass {
    let n = name.to_ascii_uppercase();
    let starts = |p: &[&str]| p.iter().any(|x| n.starts_with(x));
    if starts(&["RANSOM"]) {
        MalwareClass::Ransomware
    } else if starts(&["TROJ", "TROJAN"]) {
        MalwareClass::Trojan
    } else if starts(&["WORM"]) {
        MalwareClass::Worm
    } else if starts(&["BKDR", "BACKDOOR"]) {
        MalwareClass::Backdoor
    } else if starts(&["ADW", "ADWARE"]) {
        MalwareClass::Adware
    } else if starts(&["TSPY", "SPYW", "SPYWARE"]) {
        MalwareClass::Spyware
    } else if starts(&["RTKT", "ROOTKIT"]) {
        MalwareClass::Rootkit
    } else if starts(&["BOT"]) {
        MalwareClass::Bot
    } else if starts(&["PE_", "VIRUS"]) {
        MalwareClass::Virus
    } else {
        MalwareClass::Unknown
    }
}

fn protocol(name: &str) -> (String, Option<i32>) {
    let lower = name.to_ascii_lowercase();
    let num = match lower.as_str() {
        "icmp" => Some(1),
        "igmp" => Some(2),
        "tcp" => Some(6),
        "udp" => Some(17),
        "gre" => Some(47),
        "icmpv6" => Some(58),
        other => number(other),
    };
    (lower, num)
}

fn tcp_flags(s: &str) -> Option<i32> {
    let mut mask = 0;
    for w in s.split_whitespace() {
        mask |= match w {
            "FIN" => 1,
            "SYN" => 2,
            "RST" => 4,
            "PSH" => 8,
            "ACK" => 16,
            "URG" => 32,
            "ECE" => 64,
            "CWR" => 128,
            _ => 0,
        };
    }
    (mask != 0).then_some(mask)
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
/// let json = events[0].to_json()?;
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
    /// blank line yields nothing, anything else exactly one event.
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
        let mut n = self.normalize(line);
        match n.activity {
            Activity::Fallback(reason) => self.stats.count_fallback(reason),
            ref a => self.stats.count_class(a.class_uid()),
        }
        out.push(T::render(&mut n, &self.config));
        n.recycle();
    }

    fn normalize(&self, line: &str) -> Box<Normalized> {
        let (ds, syslog) = if cef::find_marker(line, "CEF:").is_some() {
            match cef::parse_framed(line, &self.syslog_ctx) {
                Ok(ev) => (Ds::from_cef(ev.cef), ev.syslog),
                Err(e) => return self.fallback(line, FallbackReason::Cef, Some(&e), None),
            }
        } else if cef::find_marker(line, "LEEF:").is_some() {
            match leef::parse_framed(line, &self.syslog_ctx) {
                Ok(ev) => (Ds::from_leef(ev.leef), ev.syslog),
                Err(e) => return self.fallback(line, FallbackReason::Leef, Some(&e), None),
            }
        } else {
            return self.fallback(line, FallbackReason::NotCefOrLeef, None, None);
        };
        if !ds.vendor.to_ascii_lowercase().contains("trend micro") {
            return self.fallback(
                line,
                FallbackReason::UnsupportedProduct,
                None,
                Some(&format!("vendor {:?} product {:?}", ds.vendor, ds.product)),
            );
        }
        let mut n = self.map_ds(&ds, syslog.as_ref());
        if self.config.keep_raw_data {
            n.raw_data = Some(line.to_owned());
        }
        n
    }

    fn fallback(
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
        let time = ds
            .get("rt")
            .and_then(|t| parse_time(t, self.config.utc_offset_secs))
            .or_else(|| {
                syslog
                    .filter(|s| s.time_source != TimeSource::Reference)
                    .map(|s| s.time_ms)
            })
            .unwrap_or(self.config.reference_ms);
        let mut n = Normalized::new(Activity::DeviceConfigState, time, severity(ds.severity));
        n.utc_offset_secs = syslog.and_then(|s| s.utc_offset_secs);
        n.source.product_name = Some(ds.product.to_string()).filter(|s| !s.is_empty());
        n.source.vendor_name = Some(ds.vendor.to_string()).filter(|s| !s.is_empty());
        n.source.product_version = Some(ds.version.to_string()).filter(|s| !s.is_empty());
        n.source.event_code = Some(ds.sig.to_string()).filter(|s| !s.is_empty());
        n.source.feature = Some(module.as_str().to_owned());
        n.message = Some(ds.name.to_string()).filter(|s| !s.is_empty());
        n.device = device(ds, syslog);
        match module {
            Module::AntiMalware => anti_malware(ds, &mut n),
            Module::IntrusionPrevention => intrusion_prevention(ds, &mut n),
            Module::LogInspection => log_inspection(ds, &mut n),
            Module::Firewall => firewall(ds, &mut n),
            Module::WebReputation => web_reputation(ds, &mut n),
            Module::IntegrityMonitoring => integrity_monitoring(ds, &mut n),
            Module::ApplicationControl => application_control(ds, &mut n),
            Module::DeviceControl => device_control(ds, &mut n),
            Module::System => system(ds, &mut n),
        }
        for (k, v) in ds.unused() {
            n.unmapped.entry(k).or_insert(v);
        }
        n
    }
}

fn device(ds: &Ds<'_>, syslog: Option<&SyslogRecord<'_>>) -> DeviceInfo {
    let mut d = DeviceInfo {
        uid: ds.labeled("Host ID").map(str::to_owned),
        ..DeviceInfo::default()
    };
    for key in ["dvchost", "dvc"] {
        if let Some(v) = ds.get(key) {
            match ip(v) {
                Some(addr) => d.ip = d.ip.take().or(Some(addr)),
                None if is_hostname(v) => d.hostname = d.hostname.take().or(Some(v.to_owned())),
                None => {}
            }
        }
    }
    if d.hostname.is_none() {
        d.hostname = syslog.and_then(|s| s.hostname).map(str::to_owned);
    }
    d
}

fn finding(ds: &Ds<'_>, module: Module, title: &str) -> FindingData {
    FindingData {
        uid: fnv_id(&[ds.raw]),
        title: title.to_owned(),
        types: vec![module.as_str().to_owned()],
        ..FindingData::default()
    }
}

fn endpoint_of(
    ds: &Ds<'_>,
    ip_key: &str,
    port_key: &str,
    mac_key: &str,
    host_key: &str,
) -> Option<EndpointInfo> {
    let p = ds.get(port_key).and_then(port);
    let mut e = ds
        .get(ip_key)
        .and_then(|h| endpoint(h, p))
        .or_else(|| ds.get(host_key).and_then(|h| endpoint(h, p)));
    if let Some(e) = e.as_mut() {
        if e.hostname.is_none() {
            e.hostname = ds
                .get(host_key)
                .filter(|h| is_hostname(h))
                .map(str::to_owned);
        }
        e.mac = ds.get(mac_key).map(str::to_owned);
    }
    e
}

fn connection(ds: &Ds<'_>) -> (ConnectionInfo, TrafficInfo) {
    let (name, num) = ds.get("proto").map_or((None, None), |p| {
        let (n, num) = protocol(p);
        (Some(n), num)
    });
    let bytes_in = ds.get("in").and_then(number::<i64>);
    let bytes_out = ds.get("out").and_then(number::<i64>);
    let direction = match (bytes_in, bytes_out) {
        (Some(_), None) => Direction::Inbound,
        (None, Some(_)) => Direction::Outbound,
        _ => Direction::Unknown,
    };
    let conn = ConnectionInfo {
        protocol_name: name,
        protocol_num: num,
        direction: Some(direction),
        tcp_flags: ds.labeled("TCP Flags").and_then(tcp_flags),
        session: None,
    };
    let traffic = TrafficInfo {
        bytes: None,
        bytes_in,
        bytes_out,
        packets: None,
    };
    (conn, traffic)
}

/// `act` of the network modules: (disposition, action).
fn network_action(act: &str) -> (Disposition, Option<Action>) {
    let a = act.to_ascii_lowercase();
    if a.starts_with("ids:") {
        return (Disposition::Detected, Some(Action::Allowed));
    }
    match a.as_str() {
        "reset" => (Disposition::Reset, Some(Action::Denied)),
        "deny" | "block" | "blocked" => (Disposition::Blocked, Some(Action::Denied)),
        "drop" | "dropped" => (Disposition::Dropped, Some(Action::Denied)),
        "log" | "log only" => (Disposition::Logged, Some(Action::Allowed)),
        "allow" | "force allow" | "bypass" | "pass" => {
            (Disposition::Allowed, Some(Action::Allowed))
        }
        _ => (Disposition::Other(act.to_owned().into()), None),
    }
}

fn anti_malware(ds: &Ds<'_>, n: &mut Normalized) {
    n.activity = Activity::DetectionFinding(FindingActivity::Create);
    let name = ds.name.to_string();
    let mut f = finding(ds, Module::AntiMalware, &name);
    f.desc = ds.get("msg").map(|m| format!("{m} scan"));
    f.confidence_score = ds
        .get("TrendMicroDsDetectionConfidence")
        .and_then(number::<i32>);
    let path = ds.get("filePath").map(str::to_owned);
    f.malware = vec![MalwareInfo {
        name: name.clone(),
        path: path.clone(),
        class: malware_class(&name),
    }];
    n.finding = Some(f);
    let mut hashes = Vec::new();
    for (key, algorithm) in [
        ("TrendMicroDsFileMD5", HashAlgorithm::Md5),
        ("TrendMicroDsFileSHA1", HashAlgorithm::Sha1),
        ("TrendMicroDsFileSHA256", HashAlgorithm::Sha256),
    ] {
        if let Some(v) = ds.get(key) {
            hashes.push(HashInfo {
                algorithm,
                value: v.to_owned(),
            });
        }
    }
    if path.is_some() || !hashes.is_empty() {
        n.file = Some(FileInfo {
            path,
            file_type: FileType::Regular,
            hashes,
            ..FileInfo::default()
        });
    }
    if let Some(act) = ds.get("act") {
        let a = act.to_ascii_lowercase();
        let (disp, action) = if a.contains("quarantin") {
            (Disposition::Quarantined, Action::Denied)
        } else if a.contains("delet") {
            (Disposition::Deleted, Action::Denied)
        } else if a.contains("clean") {
            (Disposition::Corrected, Action::Denied)
        } else if a.contains("deny") || a.contains("denied") || a.contains("terminat") {
            (Disposition::Blocked, Action::Denied)
        } else if a.contains("pass") {
            (Disposition::Allowed, Action::Allowed)
        } else {
            (
                Disposition::Other(act.to_owned().into()),
                Action::Other(act.to_owned().into()),
            )
        };
        n.disposition = Some(disp);
        n.action = Some(action);
    }
    n.status_detail = ds.get("result").map(|r| format!("result: {r}"));
    n.actor_user = ds.get("suser").map(super_user);
}

fn super_user(name: &str) -> UserInfo {
    crate::linux::user_info(name)
}

fn intrusion_prevention(ds: &Ds<'_>, n: &mut Normalized) {
    n.activity = Activity::DetectionFinding(FindingActivity::Create);
    let name = ds.name.to_string();
    let mut f = finding(ds, Module::IntrusionPrevention, &name);
    f.rule = Some(RuleInfo {
        uid: Some(ds.sig.to_string()),
        name: Some(name.clone()),
    });
    cve_ids(&name, &mut f.cves);
    let note = ds
        .labeled("Intrusion Prevention Note")
        .or_else(|| ds.labeled("DPI Note"));
    if let Some(note) = note {
        cve_ids(note, &mut f.cves);
        f.desc = Some(note.to_owned());
    }
    n.finding = Some(f);
    n.src = endpoint_of(ds, "src", "spt", "smac", "shost");
    n.dst = endpoint_of(ds, "dst", "dpt", "dmac", "dhost");
    let (conn, traffic) = connection(ds);
    n.connection = Some(conn);
    let mut packet = Map::new();
    if let Some(b) = traffic.bytes_in {
        packet.insert("bytes_in".into(), Value::from(b));
    }
    if let Some(b) = traffic.bytes_out {
        packet.insert("bytes_out".into(), Value::from(b));
    }
    if !packet.is_empty() {
        n.put_value("packet", Value::Object(packet));
    }
    if let Some(act) = ds.get("act") {
        let (d, a) = network_action(act);
        n.disposition = Some(d);
        n.action = a;
        n.status_detail = Some(format!("action: {act}"));
    }
    n.count = ds.get("cnt").and_then(number::<i32>);
}

fn log_inspection(ds: &Ds<'_>, n: &mut Normalized) {
    n.activity = Activity::DetectionFinding(FindingActivity::Create);
    let name = ds.name.to_string();
    let title = ds.labeled("LI Description").unwrap_or(&name).to_owned();
    let mut f = finding(ds, Module::LogInspection, &title);
    f.rule = Some(RuleInfo {
        uid: Some(ds.sig.to_string()),
        name: Some(name),
    });
    f.desc = ds.get("msg").map(str::to_owned);
    n.finding = Some(f);
    n.src = endpoint_of(ds, "src", "spt", "smac", "shost");
    n.dst = endpoint_of(ds, "dst", "dpt", "dmac", "dhost");
    n.actor_user = ds
        .get("duser")
        .or_else(|| ds.get("suser"))
        .filter(|u| !u.starts_with('('))
        .map(super_user);
}

fn firewall(ds: &Ds<'_>, n: &mut Normalized) {
    let act = ds.get("act");
    let (disp, action) = act.map_or((Disposition::Logged, None), network_action);
    let activity = match action {
        Some(Action::Denied) => NetworkActivity::Refuse,
        _ => NetworkActivity::Traffic,
    };
    n.activity = Activity::Network(activity);
    n.disposition = Some(disp);
    n.action = action;
    n.src = endpoint_of(ds, "src", "spt", "smac", "shost");
    n.dst = endpoint_of(ds, "dst", "dpt", "dmac", "dhost");
    let (conn, traffic) = connection(ds);
    n.connection = Some(conn);
    if traffic != TrafficInfo::default() {
        n.traffic = Some(traffic);
    }
    n.firewall_rule = Some(RuleInfo {
        uid: Some(ds.sig.to_string()),
        name: Some(ds.name.to_string()).filter(|s| !s.is_empty()),
    });
    n.count = ds.get("cnt").and_then(number::<i32>);
    if let Some(a) = act {
        n.status_detail = Some(format!("action: {a}"));
    }
}

fn web_reputation(ds: &Ds<'_>, n: &mut Normalized) {
    let msg = ds.get("msg").unwrap_or_default();
    let blocked = msg.to_ascii_lowercase().contains("block") || msg.is_empty();
    n.activity = Activity::Network(if blocked {
        NetworkActivity::Refuse
    } else {
        NetworkActivity::Traffic
    });
    if blocked {
        n.disposition = Some(Disposition::Blocked);
        n.action = Some(Action::Denied);
    } else {
        n.disposition = Some(Disposition::Detected);
        n.action = Some(Action::Allowed);
    }
    if !msg.is_empty() {
        n.status_detail = Some(msg.to_owned());
    }
    let url = ds.get("request").map(str::to_owned);
    let host = url.as_deref().and_then(|u| {
        let rest = u.split_once("://").map_or(u, |(_, r)| r);
        let end = rest.find(['/', '?', '#', ':']).unwrap_or(rest.len());
        endpoint(&rest[..end], None)
    });
    n.dst = host;
    n.url = url;
    n.src = Some(EndpointInfo {
        ip: n.device.ip.clone(),
        hostname: n.device.hostname.clone(),
        ..EndpointInfo::default()
    })
    .filter(|e| e.ip.is_some() || e.hostname.is_some())
    .or_else(|| endpoint_of(ds, "src", "spt", "smac", "shost"));
    n.actor_user = ds.get("suser").map(super_user);
}

fn integrity_monitoring(ds: &Ds<'_>, n: &mut Normalized) {
    let act = ds.get("act").unwrap_or_default();
    let activity = match act.to_ascii_lowercase().as_str() {
        "created" | "create" | "added" => FileActivity::Create,
        "updated" | "update" | "modified" | "changed" => FileActivity::Update,
        "deleted" | "delete" | "removed" => FileActivity::Delete,
        "renamed" | "rename" => FileActivity::Rename,
        "" => FileActivity::Other("Change".into()),
        _ => FileActivity::Other(act.to_owned().into()),
    };
    n.activity = Activity::FileSystem(activity);
    n.outcome = Some(Outcome::Success);
    let path = ds.get("filePath").map(str::to_owned);
    n.file = Some(FileInfo {
        name: path
            .as_deref()
            .map(|p| basename(p).to_owned())
            .or_else(|| Some(ds.name.to_string())),
        path,
        file_type: FileType::Unknown,
        ..FileInfo::default()
    });
    n.actor_user = ds.get("suser").map(super_user);
    n.actor_process = ds.get("sproc").map(|p| ProcessInfo {
        name: Some(basename(p).to_owned()),
        path: Some(p.to_owned()),
        ..ProcessInfo::default()
    });
    if let Some(attrs) = ds.get("msg") {
        n.put("changed_attributes", attrs);
        n.status_detail = Some(format!("changed: {attrs}"));
    }
    n.put_value(
        "rule",
        serde_json::json!({"uid": ds.sig.as_ref(), "name": ds.name.as_ref()}),
    );
}

fn application_control(ds: &Ds<'_>, n: &mut Normalized) {
    n.activity = Activity::Process(ProcessActivity::Launch);
    let path = ds.get("filePath").map(str::to_owned);
    let mut hashes = Vec::new();
    if let Some(h) = ds.get("fileHash") {
        hashes.push(HashInfo {
            algorithm: HashAlgorithm::Sha256,
            value: h.to_owned(),
        });
    }
    if let Some(h) = ds.labeled("sha1") {
        hashes.push(HashInfo {
            algorithm: HashAlgorithm::Sha1,
            value: h.to_owned(),
        });
    }
    if let Some(h) = ds.labeled("md5") {
        hashes.push(HashInfo {
            algorithm: HashAlgorithm::Md5,
            value: h.to_owned(),
        });
    }
    let user = ds.get("suser").map(|name| {
        let mut u = super_user(name);
        u.uid = ds.get("suid").map(str::to_owned);
        u
    });
    n.process = Some(ProcessInfo {
        name: path.as_deref().map(|p| basename(p).to_owned()),
        path,
        user: user.clone(),
        hashes,
        file_size: ds.get("fsize").and_then(number::<i64>),
        ..ProcessInfo::default()
    });
    n.actor_user = user;
    let act = ds.get("act").unwrap_or_default();
    let a = act.to_ascii_lowercase();
    if a.contains("block") || a.contains("deny") {
        n.disposition = Some(Disposition::Blocked);
        n.action = Some(Action::Denied);
        n.outcome = Some(Outcome::Failure);
    } else if a.contains("detect") {
        n.disposition = Some(Disposition::Detected);
        n.action = Some(Action::Allowed);
        n.outcome = Some(Outcome::Success);
    } else if a.contains("allow") {
        n.disposition = Some(Disposition::Allowed);
        n.action = Some(Action::Allowed);
        n.outcome = Some(Outcome::Success);
    }
    if !act.is_empty() {
        n.put("act", act);
    }
    n.status_detail = ds.labeled("actionReason").map(str::to_owned);
    n.count = ds.get("repeatCount").and_then(number::<i32>);
}

fn device_control(ds: &Ds<'_>, n: &mut Normalized) {
    n.activity = Activity::FileSystem(FileActivity::Open);
    n.file = ds
        .get("fileName")
        .or_else(|| ds.get("filePath"))
        .map(|p| FileInfo::at(p, FileType::Unknown));
    n.actor_process = ds.get("processName").map(|p| ProcessInfo {
        name: Some(basename(p).to_owned()),
        path: p.contains(['/', '\\']).then(|| p.to_owned()),
        ..ProcessInfo::default()
    });
    n.actor_user = ds.get("suser").map(super_user);
    let mut dev = Map::new();
    for (key, out) in [
        ("device", "name"),
        ("vendor", "vendor_name"),
        ("model", "model"),
        ("serial", "serial_number"),
        ("deviceType", "type"),
    ] {
        if let Some(v) = ds.get(key) {
            dev.insert(out.into(), Value::from(v));
        }
    }
    if !dev.is_empty() {
        n.put_value("peripheral_device", Value::Object(dev));
    }
    if n.device.hostname.is_none() {
        n.device.hostname = ds
            .get("computerName")
            .filter(|h| is_hostname(h))
            .map(str::to_owned);
    }
}

fn system(ds: &Ds<'_>, n: &mut Normalized) {
    let name = ds.name.to_string();
    let lower = name.to_ascii_lowercase();
    let user = ds.get("suser").map(super_user);
    let src = ds.get("src").and_then(|s| endpoint(s, None));
    let signed = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if signed(&[
        "sign in",
        "signed in",
        "sign-in",
        "logged in",
        "log in",
        "signed out",
        "logged out",
        "sign out",
        "timed out",
    ]) {
        let logoff = signed(&["signed out", "logged out", "sign out", "timed out"]);
        let failed = signed(&["fail", "locked", "denied"]);
        n.activity = Activity::Authentication(if logoff {
            AuthActivity::Logoff
        } else {
            AuthActivity::Logon
        });
        n.outcome = Some(if failed {
            Outcome::Failure
        } else {
            Outcome::Success
        });
        n.user = Some(user.unwrap_or_else(|| UserInfo::named(crate::util::UNKNOWN)));
        n.src = src;
        n.service_name = Some(ds.product.to_string());
        n.status_detail = ds.get("msg").map(str::to_owned);
        if let Some(t) = ds.get("target") {
            n.put("target", t);
        }
        return;
    }
    let act = if signed(&["created", "added", "new "]) {
        EntityActivity::Create
    } else if signed(&["deleted", "removed"]) {
        EntityActivity::Delete
    } else if signed(&["updated", "modified", "changed", "saved", "renamed"]) {
        EntityActivity::Update
    } else if signed(&["viewed", "exported", "downloaded"]) {
        EntityActivity::Read
    } else {
        EntityActivity::Other(name.clone().into())
    };
    n.activity = Activity::EntityManagement(act);
    n.entity = Some(EntityInfo {
        name: ds
            .get("target")
            .map(str::to_owned)
            .or_else(|| Some(name.clone())),
        uid: None,
        kind: None,
    });
    n.actor_user = user;
    n.status_detail = ds.get("msg").map(str::to_owned);
    if let Some(s) = src {
        n.put_value(
            "src_endpoint",
            serde_json::to_value(s).unwrap_or(Value::Null),
        );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formats() {
        assert_eq!(parse_time("1718000000000", 0), Some(1_718_000_000_000));
        assert_eq!(parse_time("1718000000", 0), Some(1_718_000_000_000));
        assert_eq!(
            parse_time("Jun 10 2024 06:13:20", 0),
            Some(1_718_000_000_000)
        );
        assert_eq!(
            parse_time("Jun 10 2024 07:13:20", 3600),
            Some(1_718_000_000_000)
        );
        assert_eq!(parse_time("Feb 30 2024 00:00:00", 0), None);
        assert_eq!(parse_time("garbage", 0), None);
    }

    #[test]
    fn severities_and_flags() {
        assert_eq!(severity(Some(0)), Severity::Informational);
        assert_eq!(severity(Some(3)), Severity::Low);
        assert_eq!(severity(Some(6)), Severity::Medium);
        assert_eq!(severity(Some(8)), Severity::High);
        assert_eq!(severity(Some(10)), Severity::Critical);
        assert_eq!(severity(None), Severity::Unknown);
        assert_eq!(tcp_flags("0x00 ACK PSH"), Some(24));
        assert_eq!(tcp_flags("0x00"), None);
        assert_eq!(malware_class("Ransom_CERBER.BZC"), MalwareClass::Ransomware);
        assert_eq!(malware_class("TROJ_GEN.R002C0"), MalwareClass::Trojan);
        assert_eq!(malware_class("Eicar_test_file"), MalwareClass::Unknown);
    }
}

//! Trend Micro Apex One events in CEF, as Apex One or Apex Central (formerly
//! Control Manager) forwards them by syslog.
//!
//! The header's signature id names the log type: `AV:<action>` virus /
//! malware, `Spyware Detected`, `PML:<action>` predictive machine learning,
//! `WB:<filter>` web reputation, `CnC:<action>` C&C callback, `BM:<policy>`
//! behavior monitoring, `EAC:<n>` application control, and numbered types
//! (700106 data loss prevention, 700107 device access control, 700211
//! product logon / logoff, 700220 attack discovery); Virtual Analyzer
//! (sandbox) detections are named by the header's name. Each maps to the class
//! that fits (see [`EventType`]); another Apex Central log type (pattern
//! updates, engine status, ...) becomes a fallback event with reason
//! `unrecognized_message`. Times (`rt`) are `MMM dd yyyy HH:mm:ss GMT+hh:mm`
//! or epoch milliseconds.

mod behavior;
mod control;
mod detections;
mod logon;
mod network;

use crate::config::SourceConfig;
use crate::formats::cef::CefRecord;
use crate::formats::date_pattern;
use crate::formats::syslog::{SyslogRecord, TimeSource};
use crate::normalized::{
    Action, Activity, DeviceInfo, Disposition, FileInfo, FileType, FindingData, HashAlgorithm,
    HashInfo, Normalized, Severity,
};
use crate::stats::FallbackReason;
use crate::trend_micro::fields::Fields;
use crate::util::{fnv_id, ip, is_hostname, number};

/// An Apex One log type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventType {
    /// Virus / malware (`AV:`): Detection Finding.
    Malware,
    /// Spyware / grayware: Detection Finding.
    Spyware,
    /// Predictive machine learning (`PML:`): Detection Finding.
    MachineLearning,
    /// Virtual Analyzer (sandbox) detection: Detection Finding.
    Sandbox,
    /// Web reputation (`WB:`): Network Activity.
    WebReputation,
    /// C&C callback (`CnC:`): Detection Finding.
    CncCallback,
    /// Behavior monitoring (`BM:`): Detection Finding.
    BehaviorMonitoring,
    /// Attack discovery (700220): Detection Finding.
    AttackDiscovery,
    /// Data loss prevention (700106): Detection Finding.
    DataLossPrevention,
    /// Device access control (700107): File System Activity.
    DeviceAccess,
    /// Application control (`EAC:`): Process Activity.
    ApplicationControl,
    /// Managed product logon / logoff (700211): Authentication.
    Logon,
}

impl EventType {
    /// The log type's name, written to `metadata.product.feature.name`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Malware => "Virus/Malware",
            EventType::Spyware => "Spyware/Grayware",
            EventType::MachineLearning => "Predictive Machine Learning",
            EventType::Sandbox => "Virtual Analyzer",
            EventType::WebReputation => "Web Reputation",
            EventType::CncCallback => "C&C Callback",
            EventType::BehaviorMonitoring => "Behavior Monitoring",
            EventType::AttackDiscovery => "Attack Discovery",
            EventType::DataLossPrevention => "Data Loss Prevention",
            EventType::DeviceAccess => "Device Access Control",
            EventType::ApplicationControl => "Application Control",
            EventType::Logon => "Logon/Logoff",
        }
    }

    /// The log type of a header's signature id and name.
    ///
    /// ```
    /// use ocsf_mappers::trend_micro::apex_one::EventType;
    ///
    /// assert_eq!(EventType::of("AV:File quarantined", "TROJ_X"), Some(EventType::Malware));
    /// assert_eq!(EventType::of("700107", "Device Access Control"), Some(EventType::DeviceAccess));
    /// assert_eq!(EventType::of("800101", "Pattern Update Status"), None);
    /// ```
    pub fn of(signature_id: &str, name: &str) -> Option<EventType> {
        let sig = signature_id.trim().to_ascii_uppercase();
        let name = name.to_ascii_lowercase();
        let prefix = sig.split_once(':').map_or("", |(p, _)| p);
        let by_prefix = match prefix {
            "AV" => Some(EventType::Malware),
            "PML" => Some(EventType::MachineLearning),
            "WB" | "WRS" => Some(EventType::WebReputation),
            "CNC" => Some(EventType::CncCallback),
            "BM" => Some(EventType::BehaviorMonitoring),
            "EAC" | "AC" => Some(EventType::ApplicationControl),
            "DLP" => Some(EventType::DataLossPrevention),
            "VA" | "SB" => Some(EventType::Sandbox),
            _ => None,
        };
        if by_prefix.is_some() {
            return by_prefix;
        }
        Some(match sig.as_str() {
            "700106" => EventType::DataLossPrevention,
            "700107" => EventType::DeviceAccess,
            "700211" => EventType::Logon,
            "700220" => EventType::AttackDiscovery,
            _ if sig.contains("SPYWARE") || name.contains("spyware") => EventType::Spyware,
            _ if name.contains("virtual analyzer") || name.contains("sandbox") => {
                EventType::Sandbox
            }
            _ if name.contains("attack discovery") => EventType::AttackDiscovery,
            _ if name.contains("data loss prevention") => EventType::DataLossPrevention,
            _ if name.contains("device access control") => EventType::DeviceAccess,
            _ if name.contains("application control") => EventType::ApplicationControl,
            _ if name.contains("logon/logoff") => EventType::Logon,
            _ => return None,
        })
    }
}

/// Where a log type names the endpoint it happened on: host keys, then IP
/// keys (after `TMCMLogDetectedHost` / `TMCMLogDetectedIP`).
fn device_keys(t: EventType) -> (&'static [&'static str], &'static [&'static str]) {
    match t {
        EventType::Malware
        | EventType::Spyware
        | EventType::MachineLearning
        | EventType::AttackDiscovery
        | EventType::Sandbox => (&["dhost", "dvchost", "shost"], &["dst", "c6a3"]),
        EventType::Logon => (&["shost"], &[]),
        _ => (&["shost", "dvchost"], &["src", "c6a2"]),
    }
}

/// `rt`: epoch milliseconds, or `MMM dd yyyy HH:mm:ss` with an optional zone
/// (`GMT+00:00`); `yyyy-MM-dd HH:mm:ss[.SSS]`.
pub(crate) fn parse_rt(s: &str, utc_offset_secs: i32) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let v: i64 = s.parse().ok()?;
        return if s.len() <= 10 {
            v.checked_mul(1000)
        } else {
            Some(v)
        };
    }
    [
        "MMM dd yyyy HH:mm:ss z",
        "MMM dd yyyy HH:mm:ss",
        "MMM dd yyyy HH:mm:ss.SSS z",
        "yyyy-MM-dd HH:mm:ss.SSS",
        "yyyy-MM-dd HH:mm:ss",
    ]
    .iter()
    .find_map(|p| date_pattern::parse(s, p, utc_offset_secs))
}

pub(crate) fn severity(header: &str) -> Severity {
    match number::<u8>(header.trim()) {
        None => Severity::Unknown,
        Some(0) => Severity::Informational,
        Some(1..=3) => Severity::Low,
        Some(4..=6) => Severity::Medium,
        Some(7 | 8) => Severity::High,
        Some(_) => Severity::Critical,
    }
}

/// An Apex action, words or the numeric code of web and C&C logs (0 unknown,
/// 1 pass, 2 block, 3 monitor, 4 delete, 5 quarantine, 6 warn, 7 warn and
/// continue, 8 override).
pub(crate) fn action(act: &str) -> (Disposition, Option<Action>) {
    let a = act.trim().to_ascii_lowercase();
    let word = match a.as_str() {
        "1" => "pass",
        "2" => "block",
        "3" => "monitor",
        "4" => "delete",
        "5" => "quarantine",
        "6" => "warn",
        "7" => "warn and continue",
        "8" => "override",
        other => other,
    };
    let has = |w: &str| word.contains(w);
    if has("unable") || has("fail") || has("could not") {
        (Disposition::Uncorrected, None)
    } else if has("quarantin") {
        (Disposition::Quarantined, Some(Action::Denied))
    } else if has("delet") {
        (Disposition::Deleted, Some(Action::Denied))
    } else if has("clean") {
        (Disposition::Corrected, Some(Action::Denied))
    } else if has("block")
        || has("denied")
        || has("deny")
        || has("terminat")
        || has("stop")
        || has("prevent")
    {
        (Disposition::Blocked, Some(Action::Denied))
    } else if has("warn and continue") || has("override") || has("pass") || has("allow") {
        (Disposition::Allowed, Some(Action::Allowed))
    } else if has("monitor") || has("log") || has("detect") || has("warn") {
        (Disposition::Detected, Some(Action::Allowed))
    } else if has("renam") {
        (
            Disposition::Other(act.trim().to_owned().into()),
            Some(Action::Denied),
        )
    } else {
        (Disposition::Other(act.trim().to_owned().into()), None)
    }
}

/// Sets disposition and action from `act`, unless absent.
pub(crate) fn set_action(n: &mut Normalized, act: Option<&str>) {
    if let Some(act) = act.filter(|a| a.trim() != "0") {
        let (d, a) = action(act);
        n.disposition = Some(d);
        n.action = a;
    }
}

/// The file of a detection: `filePath` (a folder or the full path) joined with
/// `fname`, and a SHA-1 `fileHash`.
pub(crate) fn file(f: &Fields<'_, '_>) -> Option<FileInfo> {
    let dir = f.first(&["filePath", "filepath"]);
    let name = f.get("fname");
    let path = match (dir, name) {
        (Some(d), Some(n)) if d.ends_with(['\\', '/']) => Some(format!("{d}{n}")),
        (Some(d), _) => Some(d.to_owned()),
        (None, Some(n)) => Some(n.to_owned()),
        (None, None) => None,
    };
    let hashes: Vec<HashInfo> = f
        .get("fileHash")
        .filter(|h| h.len() == 40 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|h| HashInfo {
            algorithm: HashAlgorithm::Sha1,
            value: h.to_owned(),
        })
        .into_iter()
        .collect();
    if path.is_none() && hashes.is_empty() {
        return None;
    }
    Some(FileInfo {
        path,
        name: name
            .filter(|_| dir.is_some())
            .map(|n| crate::util::basename(n).to_owned()),
        file_type: FileType::Regular,
        size: f.get("fsize").and_then(number::<i64>),
        hashes,
        ..FileInfo::default()
    })
}

/// A finding: its uid is the message GUID (`devicePayloadId`) when given.
pub(crate) fn finding(f: &Fields<'_, '_>, t: EventType, title: &str) -> FindingData {
    FindingData {
        uid: f
            .get("devicePayloadId")
            .map_or_else(|| fnv_id(&[f.record().raw]), str::to_owned),
        title: title.to_owned(),
        types: vec![t.as_str().to_owned()],
        ..FindingData::default()
    }
}

fn device(f: &Fields<'_, '_>, t: EventType, syslog: Option<&SyslogRecord<'_>>) -> DeviceInfo {
    let (host_keys, ip_keys) = device_keys(t);
    let mut d = DeviceInfo::default();
    for v in std::iter::once("TMCMLogDetectedHost")
        .chain(host_keys.iter().copied())
        .filter_map(|k| f.get(k))
    {
        match ip(v) {
            Some(addr) if d.ip.is_none() => d.ip = Some(addr),
            None if d.hostname.is_none() && is_hostname(v) => d.hostname = Some(v.to_owned()),
            _ => {}
        }
    }
    if d.ip.is_none() {
        d.ip = std::iter::once("TMCMLogDetectedIP")
            .chain(ip_keys.iter().copied())
            .filter_map(|k| f.get(k))
            .find_map(ip);
    }
    if d.hostname.is_none() {
        d.hostname = syslog.and_then(|s| s.hostname).map(str::to_owned);
    }
    d
}

/// Maps one Apex One message; an error (fallback reason and detail) when its
/// log type is not one the mapper covers (the caller makes the fallback).
pub(crate) fn map(
    rec: &CefRecord<'_>,
    syslog: Option<&SyslogRecord<'_>>,
    config: &SourceConfig,
) -> Result<Box<Normalized>, (FallbackReason, String)> {
    let Some(t) = EventType::of(&rec.signature_id, &rec.name) else {
        return Err((
            FallbackReason::UnrecognizedMessage,
            format!(
                "Apex One / Apex Central log type {:?} ({:?})",
                rec.signature_id, rec.name
            ),
        ));
    };
    let f = Fields::new(rec);
    let time = f
        .get("rt")
        .and_then(|t| parse_rt(t, config.utc_offset_secs))
        .or_else(|| {
            syslog
                .filter(|s| s.time_source != TimeSource::Reference)
                .map(|s| s.time_ms)
        })
        .unwrap_or(config.reference_ms);
    let mut n = Normalized::new(Activity::DeviceConfigState, time, severity(&rec.severity));
    n.utc_offset_secs = syslog.and_then(|s| s.utc_offset_secs);
    let facility = f.get("deviceFacility");
    n.source.product_name = facility
        .or(Some(rec.device_product.as_ref()))
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    n.source.vendor_name = Some(rec.device_vendor.to_string()).filter(|s| !s.is_empty());
    n.source.product_version = Some(rec.device_version.to_string()).filter(|s| !s.is_empty());
    n.source.event_code = Some(rec.signature_id.to_string()).filter(|s| !s.is_empty());
    n.source.feature = Some(t.as_str().to_owned());
    n.source.uid = f.get("devicePayloadId").map(str::to_owned);
    n.message = Some(rec.name.to_string()).filter(|s| !s.is_empty());
    n.device = device(&f, t, syslog);
    n.count = f.get("cnt").and_then(number::<i32>);
    if facility.is_some() && rec.device_product.as_ref() != facility.unwrap_or_default() {
        n.put("forwarded_by", rec.device_product.as_ref());
    }
    match t {
        EventType::Malware | EventType::Spyware | EventType::MachineLearning => {
            detections::malware(&f, t, &mut n)
        }
        EventType::Sandbox => detections::sandbox(&f, &mut n),
        EventType::WebReputation => network::web_reputation(&f, &mut n),
        EventType::CncCallback => network::cnc_callback(&f, &mut n),
        EventType::BehaviorMonitoring => behavior::behavior_monitoring(&f, &mut n),
        EventType::AttackDiscovery => behavior::attack_discovery(&f, &mut n),
        EventType::DataLossPrevention => control::dlp(&f, &mut n),
        EventType::DeviceAccess => control::device_access(&f, &mut n),
        EventType::ApplicationControl => control::application_control(&f, &mut n),
        EventType::Logon => logon::logon(&f, &mut n),
    }
    for (k, v) in f.unused() {
        n.unmapped.insert_if_absent(&k, v);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_actions() {
        assert_eq!(
            parse_rt("Jun 10 2024 06:13:20 GMT+00:00", 3600),
            Some(1_718_000_000_000)
        );
        assert_eq!(
            parse_rt("Jun 10 2024 07:13:20", 3600),
            Some(1_718_000_000_000)
        );
        assert_eq!(parse_rt("1718000000000", 0), Some(1_718_000_000_000));
        assert_eq!(parse_rt("yesterday", 0), None);
        assert_eq!(action("File quarantined").0, Disposition::Quarantined);
        assert_eq!(action("Unable to clean file").0, Disposition::Uncorrected);
        assert_eq!(action("2"), (Disposition::Blocked, Some(Action::Denied)));
        assert_eq!(action("7"), (Disposition::Allowed, Some(Action::Allowed)));
        assert_eq!(action("Access denied").0, Disposition::Blocked);
        assert_eq!(action("File renamed").1, Some(Action::Denied));
        assert!(matches!(action("Something").0, Disposition::Other(_)));
    }
}

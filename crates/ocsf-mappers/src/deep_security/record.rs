//! One Deep Security event's header and fields (CEF or LEEF), which module it
//! comes from, its severity and its time.

use std::borrow::Cow;
use std::cell::Cell;

use serde_json::{Map, Value};

use super::Module;
use crate::formats::{cef, leef};
use crate::normalized::Severity;
use crate::util::number;

/// One event's header and fields, CEF or LEEF, with use tracking so the rest
/// can go to `unmapped`.
pub(super) struct Ds<'a> {
    pub(super) raw: &'a str,
    pub(super) vendor: Cow<'a, str>,
    pub(super) product: Cow<'a, str>,
    pub(super) version: Cow<'a, str>,
    pub(super) sig: Cow<'a, str>,
    pub(super) name: Cow<'a, str>,
    pub(super) severity: Option<u8>,
    pub(super) fields: Vec<(&'a str, Cow<'a, str>)>,
    pub(super) used: Vec<Cell<bool>>,
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
    pub(super) fn from_cef(rec: cef::CefRecord<'a>) -> Self {
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

    pub(super) fn from_leef(rec: leef::LeefRecord<'a>) -> Self {
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

    pub(super) fn index(&self, key: &str) -> Option<usize> {
        self.fields.iter().position(|(k, _)| *k == key).or_else(|| {
            let alias = LEEF_ALIASES.iter().find(|(c, _)| *c == key)?.1;
            self.fields.iter().position(|(k, _)| *k == alias)
        })
    }

    /// The value of `key` (marking it used); empty and `N/A` values are absent.
    pub(super) fn get(&self, key: &str) -> Option<&str> {
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
    pub(super) fn has(&self, key: &str) -> bool {
        self.index(key).is_some()
    }

    /// The value of the custom field labelled `label` (marking both used).
    pub(super) fn labeled(&self, label: &str) -> Option<&str> {
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

    pub(super) fn has_label(&self, label: &str) -> bool {
        self.fields
            .iter()
            .any(|(k, v)| k.ends_with("Label") && v.trim() == label)
    }

    /// Every unused field: custom fields under their label, the rest by key.
    pub(super) fn unused(&self) -> Map<String, Value> {
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

    pub(super) fn module(&self) -> Module {
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

pub(super) fn severity(level: Option<u8>) -> Severity {
    match level {
        None => Severity::Unknown,
        Some(0) => Severity::Informational,
        Some(1..=3) => Severity::Low,
        Some(4..=6) => Severity::Medium,
        Some(7 | 8) => Severity::High,
        Some(_) => Severity::Critical,
    }
}

/// `rt` / `devTime`: epoch milliseconds (or seconds), or `MMM dd yyyy
/// HH:mm:ss[.SSS][ ZONE]`. A zone suffix (`GMT+01:00`, `UTC-05:00`,
/// `+0100`, `GMT`, `UTC`, `Z`) is honored; `utc_offset_secs` (the configured
/// zone) applies only to a value without one. Returns the time (epoch ms
/// UTC) and the offset the value carried.
pub(super) fn parse_time(s: &str, utc_offset_secs: i32) -> Option<(i64, Option<i32>)> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let v: i64 = s.parse().ok()?;
        let ms = if s.len() <= 10 {
            v.checked_mul(1000)?
        } else {
            v
        };
        // An epoch value is UTC by definition and says nothing of the
        // sender's zone.
        return Some((ms, None));
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
    let zone = match parts.next() {
        None => None,
        Some(z) => Some(zone_offset(z)?),
    };
    if parts.next().is_some() {
        return None;
    }
    let local = crate::formats::time::civil_to_epoch_ms(year, month, day, h, mi, sec, ms);
    let offset = zone.unwrap_or(utc_offset_secs);
    Some((local - i64::from(offset) * 1000, zone))
}

/// A zone suffix's UTC offset in seconds: `GMT`, `UTC`, `Z`, optionally
/// followed by (or just) `+HH[:MM]` / `-HHMM`; `None` for anything else (a
/// named zone such as `CET` is ambiguous and makes the value malformed).
fn zone_offset(z: &str) -> Option<i32> {
    let rest = z
        .strip_prefix("GMT")
        .or_else(|| z.strip_prefix("UTC"))
        .unwrap_or(z);
    if rest.is_empty() || rest == "Z" {
        return Some(0);
    }
    let (sign, digits) = match rest.as_bytes()[0] {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    if !digits.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    let (hh, mm) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() == 4 => digits.split_at(2),
        None => (digits, "0"),
    };
    if hh.is_empty() || hh.len() > 2 || mm.len() > 2 {
        return None;
    }
    let (hh, mm): (i32, i32) = (number(hh)?, number(mm)?);
    if hh > 14 || mm > 59 {
        return None;
    }
    Some(sign * (hh * 3600 + mm * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zone_suffix_with_non_ascii_text_is_malformed_not_a_panic() {
        // Four bytes whose second char is two bytes wide: splitting at byte 2 would panic.
        assert_eq!(zone_offset("GMT+1\u{e9}1"), None);
        assert_eq!(zone_offset("+\u{e9}\u{e9}"), None);
        assert_eq!(zone_offset("GMT+0530"), Some(5 * 3600 + 30 * 60));
    }

    #[test]
    fn time_formats() {
        let t = |s, off| parse_time(s, off).map(|(ms, _)| ms);
        assert_eq!(t("1718000000000", 0), Some(1_718_000_000_000));
        assert_eq!(t("1718000000", 0), Some(1_718_000_000_000));
        assert_eq!(t("Jun 10 2024 06:13:20", 0), Some(1_718_000_000_000));
        assert_eq!(t("Jun 10 2024 07:13:20", 3600), Some(1_718_000_000_000));
        assert_eq!(t("Feb 30 2024 00:00:00", 0), None);
        assert_eq!(t("garbage", 0), None);
    }

    #[test]
    fn zone_suffixes_are_honored_and_the_configured_zone_is_not_applied() {
        // 2024-06-10T06:13:20Z, written in several zones; the configured
        // zone (-5 h) must not move any of them.
        for s in [
            "Jun 10 2024 07:13:20 GMT+01:00",
            "Jun 10 2024 01:13:20 GMT-05:00",
            "Jun 10 2024 11:43:20 UTC+05:30",
            "Jun 10 2024 06:13:20 GMT",
            "Jun 10 2024 06:13:20 UTC",
            "Jun 10 2024 06:13:20 Z",
            "Jun 10 2024 08:13:20 +0200",
            "Jun 10 2024 08:13:20 GMT+02",
        ] {
            assert_eq!(
                parse_time(s, -5 * 3600).map(|(ms, _)| ms),
                Some(1_718_000_000_000),
                "{s}"
            );
        }
        assert_eq!(
            parse_time("Jan 18 2022 08:55:12 GMT+01:00", 0),
            Some((1_642_492_512_000, Some(3600)))
        );
        assert_eq!(parse_time("Jun 10 2024 06:13:20 CET", 0), None);
        assert_eq!(parse_time("Jun 10 2024 06:13:20 GMT+25:00", 0), None);
    }

    #[test]
    fn severities() {
        assert_eq!(severity(Some(0)), Severity::Informational);
        assert_eq!(severity(Some(3)), Severity::Low);
        assert_eq!(severity(Some(6)), Severity::Medium);
        assert_eq!(severity(Some(8)), Severity::High);
        assert_eq!(severity(Some(10)), Severity::Critical);
        assert_eq!(severity(None), Severity::Unknown);
    }
}

//! Trend Vision One detections as its public API returns them (JSON, one
//! object per line, or an API page `{"items": [...]}`):
//!
//! * **Workbench alerts** (`/v3.0/workbench/alerts`: `id` `WB-...`, `model`,
//!   `matchedRules[].matchedFilters[].mitreTechniqueIds`, `impactScope`,
//!   `indicators`) → Detection Finding;
//! * **Observed Attack Techniques** (`/v3.0/oat/detections`: `uuid`,
//!   `filters[]` with `mitreTacticIds` / `mitreTechniqueIds` / `riskLevel`,
//!   `endpoint`, `detail`) → Detection Finding.
//!
//! Both put the MITRE ATT&CK techniques they name in `finding_info.attacks`.
//! Every member the mapping does not consume is kept in `unmapped` under its
//! own name.

mod oat;
mod workbench;

use serde_json::{Map, Value};

use crate::config::SourceConfig;
use crate::formats::time::parse_rfc3339;
use crate::normalized::{Normalized, Severity};
use crate::stats::FallbackReason;
use crate::util::number;

/// A Vision One record type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordType {
    /// A Workbench alert.
    WorkbenchAlert,
    /// An Observed Attack Techniques detection.
    ObservedAttackTechnique,
}

impl RecordType {
    /// The record type's name, written to `metadata.product.feature.name`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::WorkbenchAlert => "Workbench",
            RecordType::ObservedAttackTechnique => "Observed Attack Techniques",
        }
    }

    /// The record type of a JSON object, from the members that define it.
    pub fn of(obj: &Map<String, Value>) -> Option<RecordType> {
        let id_wb = obj
            .get("id")
            .and_then(Value::as_str)
            .is_some_and(|id| id.starts_with("WB-"));
        if id_wb || obj.contains_key("matchedRules") || obj.contains_key("impactScope") {
            Some(RecordType::WorkbenchAlert)
        } else if obj.contains_key("filters")
            && (obj.contains_key("detail") || obj.contains_key("detectedDateTime"))
        {
            Some(RecordType::ObservedAttackTechnique)
        } else {
            None
        }
    }
}

/// An object's members, taken out one by one so that the rest can go to
/// `unmapped`.
pub(crate) struct Members(pub(crate) Map<String, Value>);

impl Members {
    pub(crate) fn take(&mut self, key: &str) -> Option<Value> {
        self.0.remove(key).filter(|v| !v.is_null())
    }

    pub(crate) fn string(&mut self, key: &str) -> Option<String> {
        match self.take(key)? {
            Value::String(s) if !s.trim().is_empty() => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::String(_) => None,
            other => {
                self.0.insert(key.to_owned(), other);
                None
            }
        }
    }

    pub(crate) fn array(&mut self, key: &str) -> Vec<Value> {
        match self.take(key) {
            Some(Value::Array(a)) => a,
            Some(other) => {
                self.0.insert(key.to_owned(), other);
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    pub(crate) fn object(&mut self, key: &str) -> Option<Members> {
        match self.take(key)? {
            Value::Object(m) => Some(Members(m)),
            other => {
                self.0.insert(key.to_owned(), other);
                None
            }
        }
    }
}

/// RFC 3339 (`2024-06-10T06:13:20Z`) or epoch milliseconds as text or number.
pub(crate) fn time_of(v: &str) -> Option<i64> {
    let v = v.trim();
    if let Some(ms) = number::<i64>(v) {
        return Some(if v.len() <= 10 {
            ms.checked_mul(1000)?
        } else {
            ms
        });
    }
    parse_rfc3339(v).ok().map(|t| t.epoch_ms)
}

/// Vision One severities and risk levels.
pub(crate) fn severity(s: &str) -> Severity {
    match s.trim().to_ascii_lowercase().as_str() {
        "info" | "informational" => Severity::Informational,
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        _ => Severity::Unknown,
    }
}

/// Strings of a JSON array (others skipped).
pub(crate) fn strings(v: &Value) -> impl Iterator<Item = &str> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str)
}

/// Maps one Vision One object; the error is the fallback reason and detail.
pub(crate) fn map(
    obj: Map<String, Value>,
    config: &SourceConfig,
) -> Result<Box<Normalized>, (FallbackReason, String)> {
    let Some(t) = RecordType::of(&obj) else {
        let keys: Vec<&str> = obj.keys().map(String::as_str).take(8).collect();
        return Err((
            FallbackReason::UnrecognizedMessage,
            format!(
                "JSON object is neither a Vision One Workbench alert nor an OAT detection (members {keys:?})"
            ),
        ));
    };
    let mut m = Members(obj);
    let mut n = match t {
        RecordType::WorkbenchAlert => workbench::alert(&mut m, config),
        RecordType::ObservedAttackTechnique => oat::detection(&mut m, config),
    };
    n.source.vendor_name = Some("Trend Micro".to_owned());
    n.source.product_name = Some("Vision One".to_owned());
    n.source.feature = Some(t.as_str().to_owned());
    for (k, v) in m.0 {
        n.unmapped.insert_if_absent(&k, v);
    }
    Ok(n)
}

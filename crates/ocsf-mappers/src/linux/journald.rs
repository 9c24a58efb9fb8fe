//! journald entries: the transport facts come from journald's own fields.

use serde_json::{Map, Value};

use super::MessageContext;
use crate::config::SourceConfig;
use crate::formats::journald::JournalEntry;
use crate::util::number;

/// The facts of an entry that the program mappers use.
pub(super) struct Fields {
    pub(super) time_ms: i64,
    pub(super) hostname: Option<String>,
    pub(super) program: Option<String>,
    pub(super) pid: Option<u32>,
    pub(super) uid: Option<u32>,
    pub(super) unit: Option<String>,
    pub(super) systemd_unit: Option<String>,
    pub(super) severity: Option<u8>,
}

fn text(entry: &JournalEntry, name: &str) -> Option<String> {
    entry
        .get_str(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn micros_to_ms(entry: &JournalEntry, name: &str) -> Option<i64> {
    text(entry, name)
        .and_then(|v| number::<u64>(&v))
        .map(|us| i64::try_from(us / 1000).unwrap_or(i64::MAX))
}

impl Fields {
    pub(super) fn read(entry: &JournalEntry, config: &SourceConfig) -> Self {
        let kernel = text(entry, "_TRANSPORT").as_deref() == Some("kernel");
        let program = if kernel {
            Some("kernel".to_owned())
        } else {
            text(entry, "SYSLOG_IDENTIFIER").or_else(|| text(entry, "_COMM"))
        };
        Fields {
            time_ms: micros_to_ms(entry, "_SOURCE_REALTIME_TIMESTAMP")
                .or_else(|| micros_to_ms(entry, "__REALTIME_TIMESTAMP"))
                .unwrap_or(config.reference_ms),
            hostname: text(entry, "_HOSTNAME"),
            program,
            pid: text(entry, "SYSLOG_PID")
                .or_else(|| text(entry, "_PID"))
                .and_then(|p| number(&p)),
            uid: text(entry, "_UID").and_then(|u| number(&u)),
            unit: text(entry, "UNIT").or_else(|| text(entry, "USER_UNIT")),
            systemd_unit: text(entry, "_SYSTEMD_UNIT"),
            severity: text(entry, "PRIORITY")
                .and_then(|p| number::<u8>(&p))
                .filter(|p| *p <= 7),
        }
    }

    pub(super) fn context(&self) -> MessageContext<'_> {
        MessageContext {
            time_ms: self.time_ms,
            utc_offset_secs: None,
            hostname: self.hostname.as_deref(),
            program: self.program.as_deref(),
            sub_program: None,
            pid: self.pid,
            uid: self.uid,
            unit: self.unit.as_deref().or(self.systemd_unit.as_deref()),
            severity: self.severity,
        }
    }
}

/// An audit record that journald stored (`_TRANSPORT=audit`), rebuilt as a
/// raw audit line so it is parsed and grouped like one.
pub(super) fn audit_line(entry: &JournalEntry) -> Option<String> {
    if text(entry, "_TRANSPORT").as_deref() != Some("audit") {
        return None;
    }
    let message = entry.message()?;
    let serial = text(entry, "_AUDIT_ID").and_then(|s| number::<u64>(&s))?;
    let ms = micros_to_ms(entry, "_SOURCE_REALTIME_TIMESTAMP")
        .or_else(|| micros_to_ms(entry, "__REALTIME_TIMESTAMP"))?;
    let type_name = text(entry, "_AUDIT_TYPE_NAME");
    let (first, rest) = message.split_once(' ').unwrap_or((&message, ""));
    let (record_type, body) = match &type_name {
        Some(t) if t == first => (t.clone(), rest),
        Some(t) => (t.clone(), message.as_ref()),
        None => (first.to_owned(), rest),
    };
    // The number of a type journald's table lacks (`AUDIT1334`), which the
    // audit mapping names when it knows it.
    let record_type = crate::formats::auditd::journal_type(&record_type);
    let node = text(entry, "_HOSTNAME")
        .map(|h| format!("node={h} "))
        .unwrap_or_default();
    Some(format!(
        "{node}type={record_type} msg=audit({}.{:03}:{serial}): {body}",
        ms.div_euclid(1000),
        ms.rem_euclid(1000)
    ))
}

/// The entry as a JSON object (for `raw_data`); repeated fields become arrays.
pub(super) fn raw_json(entry: &JournalEntry) -> String {
    let mut m = Map::new();
    for f in entry.fields() {
        let v = match f.value {
            Some(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
            None => Value::Null,
        };
        match m.get_mut(f.name) {
            Some(Value::Array(a)) => a.push(v),
            Some(prev) => {
                let first = std::mem::take(prev);
                *prev = Value::Array(vec![first, v]);
            }
            None => {
                m.insert(f.name.to_owned(), v);
            }
        }
    }
    Value::Object(m).to_string()
}

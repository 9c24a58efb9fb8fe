//! `seclake convert --format ocsf-json`: OCSF events given as JSON (lines,
//! concatenated values or arrays) written as JSON lines of a target version,
//! with ocsf-model's generated conversions.

use std::io::{BufRead, Write};

use ocsf_model::convert::{ConversionReport, LossReason, convert_value};
use serde_json::Value;

use crate::common::write_json_line;
use crate::error::{Error, Result};

/// What one run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Converted {
    /// Events read.
    pub events: u64,
    /// Events already at the target version (written unchanged).
    pub unchanged: u64,
}

/// The OCSF version of an event: `from` when given, else its
/// `metadata.version`.
fn version_of<'v>(event: &'v Value, from: Option<&'v str>, index: u64) -> Result<&'v str> {
    if let Some(v) = from {
        return Ok(v);
    }
    event
        .pointer("/metadata/version")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::input(format!(
                "event {index} has no metadata.version; say which OCSF version the input is with --from-version"
            ))
        })
}

/// Reads OCSF JSON events from `input` and writes each as a JSON line of
/// version `to` (its own version when `None`) to `out`; what a version cannot
/// hold goes to the event's `unmapped` and to `report`.
pub fn convert(
    input: Box<dyn BufRead + Send>,
    from: Option<&str>,
    to: Option<&str>,
    out: &mut dyn Write,
    report: &mut ConversionReport,
) -> Result<Converted> {
    let mut done = Converted::default();
    let stream = serde_json::Deserializer::from_reader(input).into_iter::<Value>();
    for value in stream {
        let value = value.map_err(|e| {
            Error::input(format!(
                "invalid OCSF JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            ))
            .with_source(e)
        })?;
        let events = match value {
            Value::Array(events) => events,
            event => vec![event],
        };
        for event in events {
            done.events += 1;
            let source = version_of(&event, from, done.events)?.to_owned();
            let target = to.unwrap_or(&source);
            if source == target {
                done.unchanged += 1;
                write_json_line(out, &event)?;
                continue;
            }
            let converted = convert_value(event, &source, target, report).map_err(|e| {
                Error::input(format!(
                    "event {}: converting OCSF {source} to {target}: {e}",
                    done.events
                ))
                .with_source(e)
            })?;
            write_json_line(out, &converted)?;
        }
    }
    Ok(done)
}

/// The stderr summary of a run.
pub fn summary(done: &Converted, to: Option<&str>, report: &ConversionReport) -> String {
    format!(
        "seclake convert: {} OCSF JSON events -> {} ({} already at that version); {} values not held in place ({} absent, {} type-changed -> unmapped; {} enum values undefined)",
        done.events,
        to.unwrap_or("their own version"),
        done.unchanged,
        report.len(),
        report.count(LossReason::Absent),
        report.count(LossReason::TypeChanged),
        report.count(LossReason::EnumValueUndefined)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(version: &str) -> Value {
        serde_json::json!({
            "class_uid": 3002, "category_uid": 3, "activity_id": 1, "type_uid": 300201,
            "severity_id": 1, "time": 1,
            "metadata": {"version": version, "product": {"name": "p", "vendor_name": "v"}},
            "user": {"name": "bob"},
        })
    }

    fn run(text: &str, from: Option<&str>, to: Option<&str>) -> Result<(Vec<Value>, Converted)> {
        let mut out = Vec::new();
        let mut report = ConversionReport::new();
        let done = convert(
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            from,
            to,
            &mut out,
            &mut report,
        )?;
        let lines = String::from_utf8_lossy(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
            .collect();
        Ok((lines, done))
    }

    #[test]
    fn lines_arrays_and_versions() -> Result<()> {
        let text = format!(
            "{}\n[{}, {}]\n",
            event("1.1.0"),
            event("1.3.0"),
            event("1.1.0")
        );
        let (lines, done) = run(&text, None, Some("1.3.0"))?;
        assert_eq!(
            done,
            Converted {
                events: 3,
                unchanged: 1
            }
        );
        assert!(lines.iter().all(|e| e["metadata"]["version"] == "1.3.0"));
        let (lines, _) = run(&text, None, None)?;
        assert_eq!(lines[1]["metadata"]["version"], "1.3.0");
        assert_eq!(lines[0]["metadata"]["version"], "1.1.0");
        let mut no_version = event("1.1.0");
        if let Some(m) = no_version["metadata"].as_object_mut() {
            m.remove("version");
        }
        assert!(run(&no_version.to_string(), None, Some("1.3.0")).is_err());
        assert!(run(&no_version.to_string(), Some("1.1.0"), Some("1.3.0")).is_ok());
        assert!(run("{oops", None, None).is_err());
        Ok(())
    }
}

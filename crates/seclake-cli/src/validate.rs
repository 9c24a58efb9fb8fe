//! `seclake validate`: OCSF JSON events against a version's schema tables
//! with ocsf-model's validator.

use std::io::Write;

use clap::Args;
use ocsf_model::validate::{ValidateOptions, validate_value_with};
use ocsf_model::{Report, Severity};
use serde_json::Value;

use crate::common::{print_json, read_text};
use crate::error::{EXIT_FINDINGS, EXIT_OK, Error, Result};
use crate::schema::schema_for;

/// Arguments of `seclake validate`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct ValidateArgs {
    /// JSON lines, a JSON array or a single JSON object; - for stdin.
    #[arg(default_value = "-", value_name = "FILE|-")]
    input: String,
    /// The OCSF version to validate against.
    #[arg(long, default_value = "1.1.0")]
    version: String,
    /// A profile to validate with, in addition to those the event lists in
    /// `metadata.profiles` (repeatable).
    #[arg(long = "profile", value_name = "PROFILE")]
    profiles: Vec<String>,
    /// Report missing recommended attributes as warnings.
    #[arg(long)]
    recommended: bool,
    /// Report unknown attributes as warnings instead of errors.
    #[arg(long)]
    lenient: bool,
    /// Print the issues as JSON.
    #[arg(long)]
    json: bool,
}

/// One event read from the input, with the line it starts on.
struct Item {
    line: usize,
    value: Value,
}

/// Reads JSON lines, concatenated JSON values, a JSON array or a single
/// object.
fn read_events(text: &str, source: &str) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let offset = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                // The value starts at the first non-space byte after `offset`.
                let start = text[offset..]
                    .find(|c: char| !c.is_whitespace())
                    .map_or(offset, |i| offset + i);
                let line = text[..start].matches('\n').count() + 1;
                match value {
                    Value::Array(values) => {
                        items.extend(values.into_iter().map(|value| Item { line, value }))
                    }
                    value => items.push(Item { line, value }),
                }
            }
            Some(Err(e)) => {
                return Err(Error::input(format!(
                    "invalid JSON in {source} at line {} column {}: {e}",
                    e.line(),
                    e.column()
                ))
                .with_source(e));
            }
        }
    }
    Ok(items)
}

/// Adds profiles to `metadata.profiles` so the validator applies them.
fn add_profiles(value: &mut Value, profiles: &[String]) {
    if profiles.is_empty() {
        return;
    }
    let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let list = metadata
        .entry("profiles")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = list {
        for p in profiles {
            if !list.iter().any(|v| v.as_str() == Some(p)) {
                list.push(Value::String(p.clone()));
            }
        }
    }
}

/// Runs `seclake validate`.
pub fn run(args: ValidateArgs) -> Result<u8> {
    let schema = schema_for(&args.version)?;
    let text = read_text(&args.input)?;
    let items = read_events(
        &text,
        if args.input == "-" {
            "stdin"
        } else {
            &args.input
        },
    )?;
    let mut options = ValidateOptions::new().with_missing_recommended(args.recommended);
    if args.lenient {
        options = options.with_unknown_attribute_severity(Severity::Warning);
    }
    let reports: Vec<(Item, Report)> = items
        .into_iter()
        .map(|mut item| {
            add_profiles(&mut item.value, &args.profiles);
            let report = validate_value_with(&item.value, schema, &options);
            (item, report)
        })
        .collect();
    let invalid = reports.iter().filter(|(_, r)| !r.is_valid()).count();
    let errors: usize = reports.iter().map(|(_, r)| r.errors().count()).sum();
    let warnings: usize = reports.iter().map(|(_, r)| r.warnings().count()).sum();
    if args.json {
        let events: Vec<Value> = reports
            .iter()
            .enumerate()
            .map(|(i, (item, report))| {
                let issues: Vec<Value> = report
                    .issues
                    .iter()
                    .map(|issue| {
                        serde_json::json!({
                            "code": issue.code.as_str(),
                            "severity": issue.severity.as_str(),
                            "path": issue.path,
                            "message": issue.message,
                        })
                    })
                    .collect();
                serde_json::json!({
                    "index": i,
                    "line": item.line,
                    "class_uid": item.value.get("class_uid"),
                    "valid": report.is_valid(),
                    "issues": issues,
                })
            })
            .collect();
        print_json(&serde_json::json!({
            "version": schema.version,
            "events": reports.len(),
            "valid": reports.len() - invalid,
            "invalid": invalid,
            "errors": errors,
            "warnings": warnings,
            "results": events,
        }))?;
    } else {
        let mut out = std::io::stdout().lock();
        let io = |e| Error::io("writing output", e);
        for (i, (item, report)) in reports.iter().enumerate() {
            for issue in &report.issues {
                writeln!(out, "event {} (line {}): {issue}", i + 1, item.line).map_err(io)?;
            }
        }
        writeln!(
            out,
            "{} events: {} valid, {} invalid ({errors} errors, {warnings} warnings) against OCSF {}",
            reports.len(),
            reports.len() - invalid,
            invalid,
            schema.version
        )
        .map_err(io)?;
    }
    Ok(if invalid > 0 { EXIT_FINDINGS } else { EXIT_OK })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_of_every_shape_are_read() -> Result<()> {
        let lines = read_events("{\"a\":1}\n\n{\"a\":2}\n", "t")?;
        assert_eq!(lines.iter().map(|i| i.line).collect::<Vec<_>>(), [1, 3]);
        let array = read_events("[{\"a\":1},{\"a\":2}]", "t")?;
        assert_eq!(array.len(), 2);
        let single = read_events("{\n \"a\": 1\n}", "t")?;
        assert_eq!(single.len(), 1);
        let bad = read_events("{\"a\":1}\n{oops}\n", "t")
            .err()
            .map(|e| e.to_string());
        assert!(bad.is_some_and(|m| m.contains("line 2")));
        Ok(())
    }
}

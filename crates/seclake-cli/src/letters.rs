//! `seclake inspect` of a dead-letter file (local, or an object in S3): the JSON lines a `LakeSink`'s
//! `JsonLinesDeadLetters` wrote (events refused by a writer, unrouted or unrecognized),
//! summarised per cause, reason and class, with their time range.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use securitylake_source::sink::{DeadLetter, parse_dead_letters, read_dead_letters};

use crate::common::{print_json, write_json_line};
use crate::error::{EXIT_OK, Error, Result};
use crate::mapping::class_caption;

/// Reads `path` as a dead-letter file: every non-blank line a dead letter, at least one.
/// `Err` holds why it is not one, for the caller's message.
pub fn read(path: &Path) -> std::result::Result<Vec<DeadLetter>, String> {
    match read_dead_letters(path) {
        Ok(letters) if letters.is_empty() => Err("it holds no dead letter".to_owned()),
        Ok(letters) => Ok(letters),
        Err(e) => Err(e.to_string()),
    }
}

/// Parses the text of an object as a dead-letter file, like [`read`].
pub fn parse(text: &str, shown: &str) -> std::result::Result<Vec<DeadLetter>, String> {
    match parse_dead_letters(text, shown) {
        Ok(letters) if letters.is_empty() => Err("it holds no dead letter".to_owned()),
        Ok(letters) => Ok(letters),
        Err(e) => Err(e.to_string()),
    }
}

/// Counts of the letters, per key.
type Counts = BTreeMap<String, u64>;

/// The summary of a dead-letter file.
struct Summary {
    causes: Counts,
    reasons: BTreeMap<(String, String), u64>,
    /// Per `class_uid`: the class's name in the letters, and the count.
    classes: BTreeMap<i32, (Option<String>, u64)>,
    first: Option<i64>,
    last: Option<i64>,
    without_time: u64,
}

fn summarise(letters: &[DeadLetter]) -> Summary {
    let mut summary = Summary {
        causes: Counts::new(),
        reasons: BTreeMap::new(),
        classes: BTreeMap::new(),
        first: None,
        last: None,
        without_time: 0,
    };
    for letter in letters {
        let cause = letter.cause.as_str().to_owned();
        *summary.causes.entry(cause.clone()).or_insert(0) += 1;
        *summary
            .reasons
            .entry((cause, letter.reason.clone()))
            .or_insert(0) += 1;
        summary
            .classes
            .entry(letter.class_uid)
            .or_insert((letter.class_name.clone(), 0))
            .1 += 1;
        match letter.time {
            Some(t) => {
                summary.first = Some(summary.first.map_or(t, |f| f.min(t)));
                summary.last = Some(summary.last.map_or(t, |l| l.max(t)));
            }
            None => summary.without_time += 1,
        }
    }
    summary
}

/// An epoch-millisecond time as RFC 3339 UTC (the number itself when out of range).
fn rfc3339(ms: i64) -> String {
    ocsf_model::time::format_rfc3339_ms(ms).unwrap_or_else(|| ms.to_string())
}

/// The caption of class `uid` in OCSF 1.1.0, else the name the letters give it.
fn caption(uid: i32, name: Option<&str>) -> String {
    match (class_caption(uid), name) {
        ("unknown class", Some(name)) => name.to_owned(),
        (caption, _) => caption.to_owned(),
    }
}

/// Prints the summary of the dead letters `letters` read from `shown` (and with `rows`, the
/// first letters whole), as text or JSON.
pub fn print(shown: &str, letters: &[DeadLetter], rows: Option<usize>, json: bool) -> Result<u8> {
    let summary = summarise(letters);
    let first: Vec<&DeadLetter> = letters.iter().take(rows.unwrap_or(0)).collect();
    if json {
        print_json(&serde_json::json!({
            "object": shown,
            "kind": "dead-letters",
            "letters": letters.len(),
            "causes": summary.causes,
            "reasons": summary.reasons.iter().map(|((cause, reason), n)| serde_json::json!({
                "cause": cause, "reason": reason, "letters": n,
            })).collect::<Vec<_>>(),
            "classes": summary.classes.iter().map(|(uid, (name, n))| serde_json::json!({
                "class_uid": uid, "class_name": name, "class_caption": caption(*uid, name.as_deref()),
                "letters": n,
            })).collect::<Vec<_>>(),
            "first_time": summary.first.map(rfc3339),
            "last_time": summary.last.map(rfc3339),
            "without_time": summary.without_time,
            "rows": rows.map(|_| first.clone()),
        }))?;
        return Ok(EXIT_OK);
    }
    let mut out = std::io::stdout().lock();
    let io = |e| Error::io("writing output", e);
    writeln!(out, "object:      {shown}").map_err(io)?;
    writeln!(out, "kind:        dead letters (JSON lines)").map_err(io)?;
    writeln!(out, "letters:     {}", letters.len()).map_err(io)?;
    match (summary.first, summary.last) {
        (Some(first), Some(last)) => {
            writeln!(out, "time:        {} .. {}", rfc3339(first), rfc3339(last))
        }
        _ => writeln!(out, "time:        none"),
    }
    .map_err(io)?;
    if summary.without_time > 0 {
        writeln!(out, "  {} letters without a time", summary.without_time).map_err(io)?;
    }
    writeln!(out, "causes:").map_err(io)?;
    for (cause, n) in &summary.causes {
        writeln!(out, "  {cause:<14} {n}").map_err(io)?;
    }
    writeln!(out, "reasons:").map_err(io)?;
    for ((cause, reason), n) in &summary.reasons {
        writeln!(out, "  {n:>6}  {cause}: {reason}").map_err(io)?;
    }
    writeln!(out, "classes:").map_err(io)?;
    for (uid, (name, n)) in &summary.classes {
        let class = format!("{} ({uid})", caption(*uid, name.as_deref()));
        writeln!(out, "  {class:<28} {n}").map_err(io)?;
    }
    for letter in first {
        write_json_line(&mut out, letter)?;
    }
    Ok(EXIT_OK)
}

//! The extension of one CEF message with use tracking, so that what a mapping
//! does not consume goes to `unmapped` (custom fields under their label).

use std::cell::Cell;

use serde_json::{Map, Value};

use crate::formats::cef::CefRecord;

/// Extension fields of a CEF message; lookups mark what they read.
pub(crate) struct Fields<'r, 'a> {
    rec: &'r CefRecord<'a>,
    used: Vec<Cell<bool>>,
}

/// A label reduced to its letters and digits, lowercase: `Risk_Level`,
/// `Risk Level` and `RiskLevel` compare equal.
fn norm(label: &str) -> String {
    label
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn clean(v: &str) -> Option<&str> {
    let v = v.trim();
    let v = v
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(v);
    (!v.is_empty() && v != "N/A").then_some(v)
}

impl<'r, 'a> Fields<'r, 'a> {
    pub(crate) fn new(rec: &'r CefRecord<'a>) -> Self {
        Fields {
            rec,
            used: vec![Cell::new(false); rec.extensions.len()],
        }
    }

    pub(crate) fn record(&self) -> &'r CefRecord<'a> {
        self.rec
    }

    fn index(&self, key: &str) -> Option<usize> {
        self.rec
            .extensions
            .iter()
            .position(|e| e.key.eq_ignore_ascii_case(key))
    }

    /// The value of `key` (any case), marking it used; empty and `N/A` are
    /// absent.
    pub(crate) fn get(&self, key: &str) -> Option<&'r str> {
        let i = self.index(key)?;
        self.used[i].set(true);
        clean(&self.rec.extensions[i].value)
    }

    /// The first of `keys` that has a value.
    pub(crate) fn first(&self, keys: &[&str]) -> Option<&'r str> {
        keys.iter().find_map(|k| self.get(k))
    }

    /// The value of the custom field whose label is one of `labels`
    /// (compared by letters and digits only), marking field and label used.
    pub(crate) fn labeled(&self, labels: &[&str]) -> Option<&'r str> {
        let wanted: Vec<String> = labels.iter().map(|l| norm(l)).collect();
        let exts = &self.rec.extensions;
        let li = exts.iter().position(|e| {
            e.key.len() > 5 && e.key.ends_with("Label") && wanted.contains(&norm(&e.value))
        })?;
        let base = &exts[li].key[..exts[li].key.len() - 5];
        let v = self.get(base);
        self.used[li].set(true);
        v
    }

    /// Every field not read: custom fields under their label, others by key.
    pub(crate) fn unused(&self) -> Map<String, Value> {
        let exts = &self.rec.extensions;
        let mut out = Map::new();
        for (i, e) in exts.iter().enumerate() {
            if self.used[i].get() || (e.key.ends_with("Label") && e.key.len() > 5) {
                continue;
            }
            let label = exts
                .iter()
                .find(|l| l.key.strip_suffix("Label") == Some(e.key))
                .map(|l| l.value.trim())
                .filter(|l| !l.is_empty());
            out.insert(
                label.unwrap_or(e.key).to_owned(),
                Value::from(e.value.trim()),
            );
        }
        out
    }
}

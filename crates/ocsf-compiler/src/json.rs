//! Reading raw schema JSON and the deep merge the OCSF compiler uses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};

/// A JSON object of the raw schema.
pub(crate) type Obj = Map<String, Value>;

/// Deep merge: `right` wins; objects merge key by key, recursively; a `null` on the right
/// replaces (this is how `"profile": null` overrides an included profile).
pub(crate) fn deep_merge(left: &Obj, right: &Obj) -> Obj {
    let mut out = left.clone();
    for (key, r) in right {
        match (out.get_mut(key), r) {
            (Some(Value::Object(l)), Value::Object(r)) => {
                let merged = deep_merge(l, r);
                *l = merged;
            }
            _ => {
                out.insert(key.clone(), r.clone());
            }
        }
    }
    out
}

/// Reads JSON files, each once.
#[derive(Default)]
pub(crate) struct Files {
    cache: HashMap<PathBuf, Obj>,
}

impl Files {
    /// Reads a file that must hold a JSON object.
    pub(crate) fn read(&mut self, path: &Path) -> Result<&Obj> {
        if !self.cache.contains_key(path) {
            let obj = read_object(path)?;
            self.cache.insert(path.to_path_buf(), obj);
        }
        self.cache.get(path).ok_or_else(|| {
            Error::new(ErrorKind::Io, "file vanished from the cache").with_file(path)
        })
    }
}

/// Reads a file that must hold a JSON object.
pub(crate) fn read_object(path: &Path) -> Result<Obj> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::new(ErrorKind::Io, format!("cannot read: {e}"))
            .with_file(path)
            .with_source(e)
    })?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(obj)) => Ok(obj),
        Ok(_) => {
            Err(Error::new(ErrorKind::Json, "the file does not hold a JSON object").with_file(path))
        }
        Err(e) => Err(Error::new(ErrorKind::Json, format!("invalid JSON: {e}"))
            .with_file(path)
            .with_source(e)),
    }
}

/// The `.json` files below `dir`, recursively, in a stable (sorted) order.
pub(crate) fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot list directory: {e}"))
                .with_file(&d)
                .with_source(e)
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| {
                Error::new(ErrorKind::Io, format!("cannot list directory: {e}"))
                    .with_file(&d)
                    .with_source(e)
            })?;
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A string member of an object.
pub(crate) fn str_of<'a>(obj: &'a Obj, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

/// An object member of an object.
pub(crate) fn obj_of<'a>(obj: &'a Obj, key: &str) -> Option<&'a Obj> {
    obj.get(key).and_then(Value::as_object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Obj {
        match v {
            Value::Object(o) => o,
            _ => Obj::new(),
        }
    }

    #[test]
    fn right_wins_and_objects_merge() {
        let l = obj(json!({"a": 1, "b": {"x": 1, "y": 2}, "p": "host"}));
        let r = obj(json!({"a": 2, "b": {"y": 3, "z": 4}, "p": null}));
        let m = deep_merge(&l, &r);
        assert_eq!(
            Value::Object(m),
            json!({"a": 2, "b": {"x": 1, "y": 3, "z": 4}, "p": null})
        );
    }
}

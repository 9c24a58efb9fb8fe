//! A per-thread pool of cleared string buffers: the strings of an event that is rendered into
//! (its old user name, addresses, `unmapped` keys and values, ...) are handed back here, and
//! the recognizers and renderers of the next lines take their strings from here instead of
//! allocating (issue 20: no allocation per line in steady state).

use std::cell::RefCell;
use std::fmt::Write as _;

use serde_json::{Map, Value};

/// The most buffers the pool keeps (a line's event has a few dozen strings): with
/// [`MAX_KEPT_CAPACITY`], at most 1 MiB per thread.
const MAX_KEPT: usize = 256;

/// How many of the most recently kept buffers [`owned`] looks at for one large enough.
const SEARCH: usize = 8;

/// The most emptied JSON object maps the pool keeps.
const MAX_MAPS: usize = 16;

thread_local! {
    static POOL: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    static MAPS: RefCell<Vec<Map<String, Value>>> = const { RefCell::new(Vec::new()) };
}

/// An empty JSON object map, a kept one (with its allocation) when there is one.
pub(crate) fn map() -> Map<String, Value> {
    MAPS.with(|m| m.borrow_mut().pop()).unwrap_or_default()
}

/// A cleared buffer with room for `len` bytes: a kept one that has the room when the pool has
/// one (among the last few kept), else the last kept buffer or a new one, grown to `len`.
pub(crate) fn buffer(len: usize) -> String {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        let n = p.len();
        let fit = (n.saturating_sub(SEARCH)..n)
            .rev()
            .find(|&i| p[i].capacity() >= len);
        let mut s = match fit {
            Some(i) => p.swap_remove(i),
            None => p.pop().unwrap_or_default(),
        };
        s.clear();
        // One (re)allocation at most, rather than growing by doubling while it is written.
        s.reserve(len);
        s
    })
}

/// `s` as an owned string, in a kept buffer when there is one.
pub(crate) fn owned(s: &str) -> String {
    let mut b = buffer(s.len());
    b.push_str(s);
    b
}

/// `parts` joined, in a kept buffer: for captions and details built from the line's words,
/// cheaper than [`format`] (`core::fmt` cost about 2,000 instructions per call there).
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut b = buffer(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        b.push_str(p);
    }
    b
}

/// The room [`format`] asks for: most formatted values (ids, captions, correlation uids) fit.
const FORMAT_ROOM: usize = 48;

/// [`owned`] for formatted text.
pub(crate) fn format(args: std::fmt::Arguments<'_>) -> String {
    match args.as_str() {
        Some(s) => owned(s),
        None => {
            let mut b = buffer(FORMAT_ROOM);
            let _ = b.write_fmt(args);
            b
        }
    }
}

/// The largest buffer the pool keeps (a long line's copy is freed, not kept for good).
const MAX_KEPT_CAPACITY: usize = 4096;

/// Keeps the buffer of `s` for a later [`owned`].
pub(crate) fn keep(s: String) {
    if s.capacity() == 0 || s.capacity() > MAX_KEPT_CAPACITY {
        return;
    }
    POOL.with(|p| push_kept(&mut p.borrow_mut(), s));
}

/// Adds `s` to the borrowed pool `pool` if [`keep`] would keep it.
fn push_kept(pool: &mut Vec<String>, s: String) {
    if s.capacity() != 0 && s.capacity() <= MAX_KEPT_CAPACITY && pool.len() < MAX_KEPT {
        pool.push(s);
    }
}

/// [`keep`] for several optional strings, with one access to the pool (a record hands back
/// eight; a thread-local access and a borrow each cost about 60 instructions).
pub(crate) fn keep_all<const N: usize>(strings: [Option<String>; N]) {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        strings
            .into_iter()
            .flatten()
            .for_each(|s| push_kept(&mut p, s));
    });
}

/// [`keep`] for an optional string.
pub(crate) fn keep_opt(s: Option<String>) {
    if let Some(s) = s {
        keep(s);
    }
}

/// Takes the string out of `slot` and keeps its buffer.
pub(crate) fn recycle(slot: &mut Option<String>) {
    keep_opt(slot.take());
}

/// Keeps the strings of a JSON value (objects keep their keys and values).
pub(crate) fn keep_value(v: Value) {
    match v {
        Value::String(s) => keep(s),
        Value::Array(a) => a.into_iter().for_each(keep_value),
        Value::Object(m) => keep_map(m),
        _ => {}
    }
}

/// Keeps the strings of `map` and the map itself, empty, for a later [`map`].
pub(crate) fn keep_map(mut map: Map<String, Value>) {
    empty_map(&mut map);
    MAPS.with(|maps| {
        let mut maps = maps.borrow_mut();
        if maps.len() < MAX_MAPS {
            maps.push(map);
        }
    });
}

/// Empties `map`, keeping its keys and string values here and its own allocation in `map`.
pub(crate) fn empty_map(map: &mut Map<String, Value>) {
    if map.is_empty() {
        return;
    }
    // The map is borrowed while its last key is looked at, so the key is copied into one
    // probe buffer (taken once per map, not once per key) to remove its entry by.
    let mut probe = buffer(0);
    // Keys and string values are kept under one borrow of the pool; a value of another kind
    // ends the borrow, as its own strings are kept by `keep_value`, which borrows the pool.
    while let Some(other) = POOL.with(|p| {
        let mut p = p.borrow_mut();
        while let Some(last) = map.keys().next_back() {
            probe.clear();
            probe.push_str(last);
            let Some((k, v)) = map.remove_entry(&probe) else {
                // A map's own last key is always found; never loop if it were not.
                map.clear();
                return None;
            };
            push_kept(&mut p, k);
            match v {
                Value::String(s) => push_kept(&mut p, s),
                other => return Some(other),
            }
        }
        None
    }) {
        keep_value(other);
    }
    keep(probe);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused() {
        let s = owned("a fairly long string to size the buffer");
        let ptr = s.as_ptr();
        keep(s);
        let t = owned("short");
        assert_eq!(t, "short");
        assert_eq!(t.as_ptr(), ptr, "the kept buffer");
        keep(t);
        keep(String::with_capacity(MAX_KEPT_CAPACITY + 1));
        let kept = buffer(0);
        assert_eq!(kept.as_ptr(), ptr, "the large buffer was not kept");
        assert_eq!(buffer(0).capacity(), 0, "the pool is empty");
        let mut m = Map::new();
        m.insert(owned("k"), Value::String(owned("v")));
        empty_map(&mut m);
        assert!(m.is_empty());
        assert_eq!(format(format_args!("{}-{}", 1, "x")), "1-x");
    }
}

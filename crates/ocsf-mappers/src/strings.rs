//! A per-thread pool of cleared string buffers: the strings of an event that is rendered into
//! (its old user name, addresses, `unmapped` keys and values, ...) are handed back here, and
//! the recognizers and renderers of the next lines take their strings from here instead of
//! allocating (issue 20: no allocation per line in steady state).

use std::cell::RefCell;
use std::fmt::Write as _;

use serde_json::{Map, Value};

/// A new buffer has at least this capacity.
const MIN_CAPACITY: usize = 16;

/// The most buffers the pool keeps (a line's event has a few dozen strings): with
/// [`MAX_KEPT_CAPACITY`], at most 1 MiB per thread.
const MAX_KEPT: usize = 256;

/// The most emptied JSON object maps the pool keeps.
const MAX_MAPS: usize = 16;

/// Cleared string buffers, last kept first taken, whatever their capacity: a buffer that
/// is too small for a request grows (and keeps its new capacity), so in steady state the
/// buffers that go round are as large as the strings they serve and a take or a put is a
/// `pop` or a `push`. Size classes (a take searching for a buffer with room) made the sshd
/// mapping bench 4% slower, for no fewer allocations in steady state (ADR 0317).
struct Pool {
    buffers: Vec<String>,
}

impl Pool {
    const fn new() -> Self {
        Pool {
            buffers: Vec::new(),
        }
    }

    /// Keeps `s`'s buffer unless it is empty or too large, or the pool is full.
    #[inline]
    fn put(&mut self, s: String) {
        if keepable(s.capacity()) && self.buffers.len() < MAX_KEPT {
            self.buffers.push(s);
        }
    }
}

/// `kept` cleared, grown to room for `len` bytes when it is too small; a new buffer when there
/// is none. Outside the pool's borrow, so that the thread-local access around the `pop` stays
/// small enough to inline (an access that was not inlined cost about 43 instructions).
#[inline]
fn fit(kept: Option<String>, len: usize) -> String {
    match kept {
        Some(mut s) => {
            s.clear();
            if s.capacity() < len {
                // Rounded up as a new one is, so a buffer grows a few times at most.
                s.reserve(len.next_power_of_two());
            }
            s
        }
        None => new_buffer(len),
    }
}

/// A new buffer with room for `len` bytes (a pool that had none: the first lines).
#[cold]
fn new_buffer(len: usize) -> String {
    String::with_capacity(len.next_power_of_two().max(MIN_CAPACITY))
}

/// Whether the pool keeps a buffer of this capacity.
#[inline]
fn keepable(capacity: usize) -> bool {
    (1..=MAX_KEPT_CAPACITY).contains(&capacity)
}

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool::new()) };
    static MAPS: RefCell<Vec<Map<String, Value>>> = const { RefCell::new(Vec::new()) };
}

/// An empty JSON object map, a kept one (with its allocation) when there is one.
pub(crate) fn map() -> Map<String, Value> {
    MAPS.with(|m| m.borrow_mut().pop()).unwrap_or_default()
}

/// A cleared buffer with room for `len` bytes: the last one kept (grown if it is too small),
/// else a new one.
pub(crate) fn buffer(len: usize) -> String {
    fit(POOL.with(|p| p.borrow_mut().buffers.pop()), len)
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
    if keepable(s.capacity()) {
        POOL.with(|p| p.borrow_mut().put(s));
    }
}

/// [`keep`] for several optional strings, with one access to the pool (a record hands back
/// eight; a thread-local access and a borrow each cost about 60 instructions).
pub(crate) fn keep_all<const N: usize>(strings: [Option<String>; N]) {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        strings.into_iter().flatten().for_each(|s| p.put(s));
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

/// The room of [`empty_map`]'s probe buffer: most keys fit.
const PROBE_ROOM: usize = 64;

/// Empties `map`, keeping its keys and string values here and its own allocation in `map`.
pub(crate) fn empty_map(map: &mut Map<String, Value>) {
    truncate_map(map, 0);
}

/// Removes the entries of `map` after its first `len`, from the last, keeping their keys and
/// string values here and the map's own allocation in `map`.
pub(crate) fn truncate_map(map: &mut Map<String, Value>, len: usize) {
    if map.len() <= len {
        return;
    }
    // The map is borrowed while its last key is looked at, so the key is copied into one
    // probe buffer (taken once per map, not once per key) to remove its entry by.
    // With room for a usual key: a kept buffer of any size would be grown by a longer key.
    let mut probe = buffer(PROBE_ROOM);
    // Keys and string values are kept under one borrow of the pool; a value of another kind
    // ends the borrow, as its own strings are kept by `keep_value`, which borrows the pool.
    while let Some(other) = POOL.with(|p| {
        let mut p = p.borrow_mut();
        while map.len() > len {
            let Some(last) = map.keys().next_back() else {
                break;
            };
            probe.clear();
            probe.push_str(last);
            // The last entry: removing it moves no other (with `preserve_order`).
            let Some((k, v)) = map.remove_entry(&probe) else {
                // A map's own last key is always found; never loop if it were not.
                map.clear();
                return None;
            };
            p.put(k);
            match v {
                Value::String(s) => p.put(s),
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

    impl Pool {
        fn take(&mut self, len: usize) -> String {
            fit(self.buffers.pop(), len)
        }
    }

    #[test]
    fn last_kept_first_taken_and_grown() {
        let mut pool = Pool::new();
        assert_eq!(pool.take(3).capacity(), MIN_CAPACITY, "new: none kept");
        pool.put(String::with_capacity(100));
        pool.put(String::with_capacity(8));
        let small = pool.take(20);
        assert!(small.capacity() >= 20, "the 8-byte buffer, grown");
        assert_eq!(pool.take(50).capacity(), 100);
        pool.put(small);
        let again = pool.take(20);
        assert!(again.capacity() >= 20, "kept with its new capacity");
        // A buffer over MAX_KEPT_CAPACITY is freed; at most MAX_KEPT are kept.
        pool.put(String::with_capacity(MAX_KEPT_CAPACITY + 1));
        assert!(pool.buffers.is_empty());
        for _ in 0..MAX_KEPT + 5 {
            pool.put(String::with_capacity(30));
        }
        assert_eq!(pool.buffers.len(), MAX_KEPT);
    }

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
        assert_eq!(
            buffer(0).capacity(),
            MIN_CAPACITY,
            "the pool is empty: a new buffer"
        );
        let mut m = Map::new();
        m.insert(owned("k"), Value::String(owned("v")));
        empty_map(&mut m);
        assert!(m.is_empty());
        assert_eq!(format(format_args!("{}-{}", 1, "x")), "1-x");
    }
}

//! What a source said that no attribute of its class takes: [`Normalized::unmapped`], written
//! to the event's `unmapped` object by the renderers.
//!
//! A line has a few such facts, put by name. They are kept in a short list rather than a JSON
//! map: putting a fact refills the key and string of an entry an earlier record left (no
//! hashing, no allocation), clearing the record keeps the entries, and a renderer writes them
//! into the event it overwrites in place when the event's `unmapped` has the same keys in the
//! same order (the usual case: the event was picked for having the same shape).
//!
//! [`Normalized::unmapped`]: crate::normalized::Normalized::unmapped

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::strings;

/// The facts of a record that no attribute takes, by name, in the order they were first put.
///
/// ```
/// use ocsf_mappers::normalized::Unmapped;
/// use serde_json::json;
///
/// let mut u = Unmapped::default();
/// u.insert_str("protocol", "ssh2");
/// u.insert("listen_port", json!(22));
/// u.insert_str("protocol", "ssh1"); // a put again keeps its place
/// assert_eq!(u.get("protocol"), Some(&json!("ssh1")));
/// assert_eq!(serde_json::to_value(&u)?, json!({"protocol": "ssh1", "listen_port": 22}));
/// u.clear();
/// assert!(u.is_empty());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Unmapped {
    /// The live entries, then those a cleared record left (their keys and values are refilled
    /// by the next puts).
    entries: Vec<(String, Value)>,
    /// How many entries are live.
    len: usize,
}

impl Unmapped {
    /// How many facts there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The facts, in the order they were first put.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.live().iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The fact named `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.live().iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The fact named `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let len = self.len;
        self.entries[..len]
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Sets `key` to `value` (a new key goes last, a key put before keeps its place).
    pub fn insert(&mut self, key: &str, value: Value) {
        let old = std::mem::replace(self.slot(key), value);
        strings::keep_value(old);
    }

    /// Sets `key` to the string `value`, refilling the string the entry holds.
    pub fn insert_str(&mut self, key: &str, value: &str) {
        set_string(self.slot(key), value);
    }

    /// Sets `key` to an object of the string `members` (in that order), refilling an object of
    /// these members that an earlier put left (records keep one per shape, up to a bound).
    /// Past the bound, the entry's object is refilled: the members it has in the same places
    /// keep their strings, those after them are removed (their strings kept for later puts),
    /// the others are added.
    pub fn insert_strs(&mut self, key: &str, members: &[(&str, &str)]) {
        let slot = self.slot_shaped(key, members);
        if !slot.is_object() {
            strings::keep_value(std::mem::replace(slot, Value::Object(strings::map())));
        }
        let Value::Object(m) = slot else {
            return; // an object now: never taken
        };
        let same = m
            .keys()
            .zip(members)
            .take_while(|(k, (name, _))| k == name)
            .count();
        strings::truncate_map(m, same);
        for (v, (_, value)) in m.values_mut().zip(members) {
            set_string(v, value);
        }
        for (name, value) in &members[same..] {
            m.insert(strings::owned(name), Value::String(strings::owned(value)));
        }
    }

    /// Sets `key` to `value` unless `key` has a value already.
    pub fn insert_if_absent(&mut self, key: &str, value: Value) {
        if self.get(key).is_none() {
            self.insert(key, value);
        }
    }

    /// Removes every fact, keeping the entries' strings for the next puts.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The facts as a JSON object, moved out (the record is left empty).
    pub fn take_map(&mut self) -> Map<String, Value> {
        let len = std::mem::take(&mut self.len);
        self.entries[..len]
            .iter_mut()
            .map(|(k, v)| (std::mem::take(k), std::mem::take(v)))
            .collect()
    }

    /// Writes the facts into `map`, which then holds them and nothing else, in place: the
    /// entries `map` has under the same keys in the same places are refilled (strings refilled,
    /// other values exchanged with this record's), those after them are removed (their strings
    /// kept), and the other facts are moved in.
    pub(crate) fn write_into(&mut self, map: &mut Map<String, Value>) {
        let live = &mut self.entries[..self.len];
        let same = map
            .keys()
            .zip(live.iter())
            .take_while(|(k, (key, _))| *k == key)
            .count();
        strings::truncate_map(map, same);
        for (old, (_, new)) in map.values_mut().zip(live.iter_mut()) {
            refill(old, new);
        }
        for (k, v) in &mut live[same..] {
            map.insert(strings::owned(k), std::mem::take(v));
        }
    }

    fn live(&self) -> &[(String, Value)] {
        &self.entries[..self.len]
    }

    /// The value of `key`: its entry's, or a new entry's. A new entry is one a cleared record
    /// left under the same key when there is one (its value most likely has the shape this
    /// put wants: an object of the same members is refilled, not emptied and rebuilt), else
    /// the first one left (its key refilled), else a new one.
    fn slot(&mut self, key: &str) -> &mut Value {
        let len = self.len;
        let index = match self.live().iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                match self.entries[len..].iter().position(|(k, _)| k == key) {
                    Some(left) => self.entries.swap(len, len + left),
                    None => match self.entries.get_mut(len) {
                        Some((k, _)) => {
                            k.clear();
                            k.push_str(key);
                        }
                        None => self.entries.push((strings::owned(key), Value::Null)),
                    },
                }
                self.len += 1;
                len
            }
        };
        &mut self.entries[index].1
    }
}

/// The most entries a record keeps (live and left), so that the objects of a key's usual
/// shapes are all kept ([`Unmapped::insert_strs`]) without the list growing with odd input.
const MAX_ENTRIES: usize = 32;

impl Unmapped {
    /// [`Unmapped::slot`] for an object of the string `members`: a cleared record's entry under
    /// `key` whose object has these members in this order is taken first (also when `key` is
    /// live in another shape: the entries exchange places). When the entries under `key` all
    /// hold other shapes, a new entry is made (up to [`MAX_ENTRIES`]) and theirs are kept:
    /// records that alternate shapes (PAM's five-member authentication failures and
    /// three-member session lines) then refill their own object, where one object was cut and
    /// grown again each time (a key copied, hashed and removed, then a key hashed and added,
    /// per member: 7% of mapping the bench's sshd lines).
    fn slot_shaped(&mut self, key: &str, members: &[(&str, &str)]) -> &mut Value {
        let len = self.len;
        let same_shape = |v: &Value| {
            matches!(v, Value::Object(m) if m.len() == members.len()
                && m.keys().zip(members).all(|(k, (name, _))| k == name))
        };
        let live = self.live().iter().position(|(k, _)| k == key);
        if let Some(i) = live
            && same_shape(&self.entries[i].1)
        {
            return &mut self.entries[i].1;
        }
        // The live entry keeps its place; a new one goes right after the live ones.
        let at = live.unwrap_or(len);
        let left = &self.entries[len..];
        let other_shape = live.is_some() || left.iter().any(|(k, _)| k == key);
        match left.iter().position(|(k, v)| k == key && same_shape(v)) {
            Some(j) => self.entries.swap(at, len + j),
            None if other_shape && self.entries.len() < MAX_ENTRIES => {
                self.entries.push((strings::owned(key), Value::Null));
                let last = self.entries.len() - 1;
                self.entries.swap(at, last);
            }
            None => return self.slot(key),
        }
        if live.is_none() {
            self.len += 1;
        }
        &mut self.entries[at].1
    }
}

/// `slot` set to the string `value`: a string it holds is refilled, another value is replaced
/// (its strings kept for later puts).
fn set_string(slot: &mut Value, value: &str) {
    match slot {
        Value::String(s) => {
            s.clear();
            s.push_str(value);
        }
        other => {
            let old = std::mem::replace(other, Value::String(strings::owned(value)));
            strings::keep_value(old);
        }
    }
}

/// `old` made equal to `new`: strings refilled, objects of the same keys member by member,
/// anything else exchanged (so `new` keeps an allocation for a later record).
fn refill(old: &mut Value, new: &mut Value) {
    match (old, new) {
        (Value::String(o), Value::String(n)) => {
            o.clear();
            o.push_str(n);
        }
        (Value::Object(o), Value::Object(n))
            if o.len() == n.len() && o.keys().zip(n.keys()).all(|(a, b)| a == b) =>
        {
            for ((_, ov), (_, nv)) in o.iter_mut().zip(n.iter_mut()) {
                refill(ov, nv);
            }
        }
        (old, new) => std::mem::swap(old, new),
    }
}

impl PartialEq for Unmapped {
    fn eq(&self, other: &Self) -> bool {
        self.live() == other.live()
    }
}

impl Serialize for Unmapped {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len))?;
        for (k, v) in self.live() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The `pam` members of an authentication failure.
    const PAM_FAILURE: [(&str, &str); 5] = [
        ("module", "pam_unix"),
        ("service", "sshd"),
        ("type", "auth"),
        ("uid", "0"),
        ("euid", "0"),
    ];

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn facts_are_written_in_place_when_the_shape_is_the_same() {
        let mut u = Unmapped::default();
        u.insert_str("protocol", "ssh2");
        u.insert_strs("pam", &[("module", "pam_unix"), ("service", "sshd")]);
        let mut event = map(
            json!({"protocol": "a much longer old value", "pam": {"module": "x", "service": "y"}}),
        );
        let ptr = event["protocol"].as_str().map(str::as_ptr);
        u.write_into(&mut event);
        assert_eq!(
            Value::Object(event.clone()),
            json!({"protocol": "ssh2", "pam": {"module": "pam_unix", "service": "sshd"}})
        );
        assert_eq!(event["protocol"].as_str().map(str::as_ptr), ptr, "refilled");

        // The same first facts and fewer: the first ones are refilled, the others removed.
        u.clear();
        u.insert_str("protocol", "ssh1");
        u.write_into(&mut event);
        assert_eq!(Value::Object(event.clone()), json!({"protocol": "ssh1"}));
        assert_eq!(event["protocol"].as_str().map(str::as_ptr), ptr, "refilled");
        // More: the new ones are added after them.
        u.insert_strs("pam", &[("module", "pam_unix")]);
        u.write_into(&mut event);
        assert_eq!(
            Value::Object(event.clone()),
            json!({"protocol": "ssh1", "pam": {"module": "pam_unix"}})
        );
        assert_eq!(event["protocol"].as_str().map(str::as_ptr), ptr, "refilled");

        // Another shape: the map is rebuilt with these facts only, in their order.
        u.clear();
        u.insert("listen_port", json!(22));
        u.insert_str("phase", "preauth");
        u.write_into(&mut event);
        assert_eq!(
            Value::Object(event.clone()),
            json!({"listen_port": 22, "phase": "preauth"})
        );
        assert_eq!(event.keys().collect::<Vec<_>>(), ["listen_port", "phase"]);

        // A cleared record refills its left entries, and compares by its live ones.
        u.clear();
        u.insert_str("phase", "auth");
        let mut fresh = Unmapped::default();
        fresh.insert_str("phase", "auth");
        assert_eq!(u, fresh);
        assert_eq!(u.len(), 1);
        assert_eq!(u.iter().count(), 1);
        u.insert_if_absent("phase", json!("other"));
        u.insert_if_absent("more", json!(1));
        assert_eq!(
            serde_json::to_value(&u).ok(),
            Some(json!({"phase": "auth", "more": 1}))
        );
        if let Some(v) = u.get_mut("more") {
            *v = json!(2);
        }
        assert_eq!(u.take_map(), map(json!({"phase": "auth", "more": 2})));
        assert!(u.is_empty());
    }

    #[test]
    fn an_object_of_each_shape_is_kept_and_refilled() {
        let mut u = Unmapped::default();
        let five = PAM_FAILURE;
        u.insert_strs("pam", &five);
        let ptr = |u: &Unmapped| {
            u.get("pam")
                .and_then(|p| p["module"].as_str())
                .map(str::as_ptr)
        };
        let keys = |u: &Unmapped| -> Vec<String> {
            u.get("pam")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        let before = ptr(&u);
        // Another shape: an object of its own (the first is kept for a later put of its shape).
        u.insert_strs("pam", &[("module", "pam_sss"), ("service", "sshd")]);
        assert_eq!(
            u.get("pam"),
            Some(&json!({"module": "pam_sss", "service": "sshd"}))
        );
        assert_ne!(ptr(&u), before, "another object");
        // Other members after the same first one: in order.
        u.insert_strs("pam", &[("module", "pam_unix"), ("type", "session")]);
        assert_eq!(keys(&u), ["module", "type"]);
        assert_eq!(
            u.get("pam"),
            Some(&json!({"module": "pam_unix", "type": "session"}))
        );
        // The first shape again: its object, refilled.
        u.insert_strs("pam", &five);
        assert_eq!(
            u.get("pam"),
            Some(
                &json!({"module": "pam_unix", "service": "sshd", "type": "auth", "uid": "0", "euid": "0"})
            )
        );
        assert_eq!(keys(&u), ["module", "service", "type", "uid", "euid"]);
        assert_eq!(ptr(&u), before, "the first object, kept and refilled");
        // No member in the same first place: all are replaced, in order.
        u.insert_strs("pam", &[("service", "su")]);
        assert_eq!(u.get("pam"), Some(&json!({"service": "su"})));
    }

    #[test]
    fn records_that_alternate_shapes_keep_an_object_of_each() {
        let five = PAM_FAILURE;
        let three = [
            ("module", "pam_unix"),
            ("service", "sshd"),
            ("type", "session"),
        ];
        let module = |u: &Unmapped| {
            u.get("pam")
                .and_then(|p| p["module"].as_str())
                .map(str::as_ptr)
        };
        let mut u = Unmapped::default();
        let mut seen = Vec::new();
        for round in 0..3 {
            for members in [&five[..], &three[..]] {
                u.clear();
                u.insert_str("protocol", "ssh2");
                u.insert_strs("pam", members);
                let expected: Map<String, Value> = members
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), json!(v)))
                    .collect();
                assert_eq!(u.get("pam"), Some(&Value::Object(expected)));
                assert_eq!(
                    u.iter().map(|(k, _)| k).collect::<Vec<_>>(),
                    ["protocol", "pam"]
                );
                if round == 0 {
                    seen.push(module(&u));
                } else {
                    let i = usize::from(members.len() == 3);
                    assert_eq!(module(&u), seen[i], "each shape's own object, refilled");
                }
            }
        }
        assert_ne!(seen[0], seen[1], "two objects");
        // Odd input never grows the record past MAX_ENTRIES.
        for i in 0..100 {
            u.clear();
            let name = i.to_string();
            u.insert_strs("pam", &[(name.as_str(), "x")]);
        }
        assert!(u.entries.len() <= MAX_ENTRIES);
    }

    #[test]
    fn a_value_of_another_kind_is_exchanged() {
        let mut u = Unmapped::default();
        u.insert("k", json!({"a": 1}));
        let mut event = map(json!({"k": "text"}));
        u.write_into(&mut event);
        assert_eq!(Value::Object(event), json!({"k": {"a": 1}}));
        assert_eq!(
            u.get("k"),
            Some(&json!("text")),
            "the record holds the old value"
        );
        u.insert_strs("k", &[("a", "b")]);
        assert_eq!(u.get("k"), Some(&json!({"a": "b"})));
    }
}

//! Small helpers for rendering into an event that is overwritten: strings refilled in their
//! kept buffers, boxes and vectors kept (see `Target::render_into` and ADR 0211).

/// Sets `slot` to `value`, refilling the string it already holds (no allocation when its
/// capacity suffices).
pub(crate) fn set_str(slot: &mut Option<String>, value: &str) {
    match slot {
        Some(buf) => {
            buf.clear();
            buf.push_str(value);
        }
        None => *slot = Some(value.to_owned()),
    }
}

/// [`set_str`] for an optional value: `None` clears the slot.
pub(crate) fn set_opt_str(slot: &mut Option<String>, value: Option<&str>) {
    match value {
        Some(v) => set_str(slot, v),
        None => *slot = None,
    }
}

/// Empties an object's `unknown` members, without a call when it has none (the usual case:
/// `Map::clear` is not inlined and cost about 22 instructions on an empty map).
#[inline]
pub(crate) fn clear_unknown(unknown: &mut serde_json::Map<String, serde_json::Value>) {
    if !unknown.is_empty() {
        unknown.clear();
    }
}

/// A type whose boxes, when an event rendered into drops one, are kept per thread for the
/// next event that needs one ([`set_box`], [`slot_mut`]).
pub(crate) trait Spare: Default + Sized + 'static {
    /// Runs `f` on this type's kept boxes.
    fn spares<R>(f: impl FnOnce(&mut Vec<Box<Self>>) -> R) -> R;
}

/// The most boxes of one type kept.
const MAX_SPARE_BOXES: usize = 8;

macro_rules! spare {
    ($($t:ty => $pool:ident),* $(,)?) => {
        thread_local! {
            $(static $pool: std::cell::RefCell<Vec<Box<$t>>> =
                const { std::cell::RefCell::new(Vec::new()) };)*
        }
        $(impl Spare for $t {
            fn spares<R>(f: impl FnOnce(&mut Vec<Box<Self>>) -> R) -> R {
                $pool.with(|p| f(&mut p.borrow_mut()))
            }
        })*
    };
}

use ocsf_model::v1_1_0::objects as o;
spare!(
    o::Actor => ACTORS,
    o::Device => DEVICES,
    o::NetworkConnectionInfo => CONNECTIONS,
    o::NetworkEndpoint => ENDPOINTS,
    o::Process => PROCESSES,
    o::Session => SESSIONS,
    o::User => USERS,
);

/// Empties `slot`, keeping its box for a later [`set_box`] or [`slot_mut`].
pub(crate) fn clear_box<T: Spare>(slot: &mut Option<Box<T>>) {
    if let Some(b) = slot.take() {
        T::spares(|p| {
            if p.len() < MAX_SPARE_BOXES {
                p.push(b);
            }
        });
    }
}

/// The value in `slot`, in a kept box (with whatever it held) when `slot` is empty.
pub(crate) fn slot_mut<T: Spare>(slot: &mut Option<Box<T>>) -> &mut T {
    slot.get_or_insert_with(|| T::spares(|p| p.pop()).unwrap_or_default())
}

/// `value` in a kept box when there is one.
pub(crate) fn boxed<T: Spare>(value: T) -> Box<T> {
    match T::spares(|p| p.pop()) {
        Some(mut b) => {
            *b = value;
            b
        }
        None => Box::new(value),
    }
}

/// Puts `value` in `slot`, reusing the box `slot` already holds (or a kept one); `None`
/// empties the slot and keeps its box.
pub(crate) fn set_box<T: Spare>(slot: &mut Option<Box<T>>, value: Option<T>) {
    match value {
        Some(v) => *slot_mut(slot) = v,
        None => clear_box(slot),
    }
}

/// Fills the value in `slot` in place (in a kept box when `slot` is empty): it is reset to
/// its default where it is ([`ocsf_model::Reset`]; assigning a default built and moved over it
/// cost about 1,400 instructions per sshd line), then `fill` writes this event's attributes
/// with `value`. A value built elsewhere and moved into the box ([`set_box`]) was copied on the
/// way (`memcpy` of a few hundred bytes per object); `None` empties the slot and keeps its box.
pub(crate) fn fill_box<T: Spare + ocsf_model::Reset, V>(
    slot: &mut Option<Box<T>>,
    value: Option<V>,
    fill: impl FnOnce(V, &mut T),
) {
    match value {
        Some(v) => {
            let out = slot_mut(slot);
            out.reset();
            fill(v, out);
        }
        None => clear_box(slot),
    }
}

/// Sets `slot` to the list `items`, refilling the strings of the elements it already holds
/// (the vector is truncated or extended, not rebuilt); an empty list clears the slot.
pub(crate) fn set_list<'a>(slot: &mut Option<Vec<String>>, items: impl Iterator<Item = &'a str>) {
    let list = slot.get_or_insert_with(Vec::new);
    let mut used = 0;
    for item in items {
        match list.get_mut(used) {
            Some(s) => {
                s.clear();
                s.push_str(item);
            }
            None => list.push(crate::strings::owned(item)),
        }
        used += 1;
    }
    list.drain(used..).for_each(crate::strings::keep);
    if used == 0 {
        *slot = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocsf_model::v1_1_0::objects::Session;

    fn session(uid: &str) -> Session {
        let mut s = Session::default();
        s.uid = Some(uid.to_owned());
        s
    }

    #[test]
    fn strings_are_refilled_in_place() {
        let mut s = Some(String::with_capacity(32));
        let ptr = s.as_ref().map(|b| b.as_ptr());
        set_str(&mut s, "sshd");
        assert_eq!(s.as_deref(), Some("sshd"));
        assert_eq!(s.as_ref().map(|b| b.as_ptr()), ptr, "same buffer");
        set_opt_str(&mut s, None);
        assert_eq!(s, None);
    }

    #[test]
    fn lists_are_truncated_and_extended() {
        let mut l = Some(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]);
        set_list(&mut l, ["x"].into_iter());
        assert_eq!(l, Some(vec!["x".to_owned()]));
        set_list(&mut l, ["y", "z"].into_iter());
        assert_eq!(l, Some(vec!["y".to_owned(), "z".to_owned()]));
        set_list(&mut l, std::iter::empty());
        assert_eq!(l, None);
        let mut b = None;
        set_box(&mut b, Some(session("1")));
        let ptr = b.as_deref().map(std::ptr::from_ref);
        set_box(&mut b, Some(session("2")));
        assert_eq!(b, Some(Box::new(session("2"))));
        set_box::<Session>(&mut b, None);
        assert_eq!(b, None);
        set_box(&mut b, Some(session("3")));
        assert_eq!(b.as_deref().map(std::ptr::from_ref), ptr, "the kept box");
    }
}

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

/// Puts `value` in `slot`, reusing the box `slot` already holds; `None` empties the slot.
pub(crate) fn set_box<T>(slot: &mut Option<Box<T>>, value: Option<T>) {
    match (slot.as_mut(), value) {
        (Some(b), Some(v)) => **b = v,
        (None, Some(v)) => *slot = Some(Box::new(v)),
        (_, None) => *slot = None,
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
            None => list.push(item.to_owned()),
        }
        used += 1;
    }
    list.truncate(used);
    if used == 0 {
        *slot = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        set_box(&mut b, Some(1));
        set_box(&mut b, Some(2));
        assert_eq!(b, Some(Box::new(2)));
        set_box::<i32>(&mut b, None);
        assert_eq!(b, None);
    }
}

//! Values an in-place decoder takes out of the events of a batch, kept for a later row.
//!
//! Decoding a batch into the events of the previous one ([`decode_batch_reusing`]) overwrites
//! their strings, boxed objects, lists and maps. Where a row lacks an attribute the previous
//! event of that slot had (a null string, an absent object, a shorter list, a null map) the
//! value has to leave the event, and where a row has one the slot lacked it has to be built:
//! data whose shape varies from row to row (a `Map` of one or two keys, a list of five or six
//! objects, an attribute null in a quarter of the rows) would free and allocate again for every
//! such change. The decoder of a struct column keeps those values here instead, and takes them
//! back (overwritten) before allocating new ones. A [`BatchDecoder`] keeps each struct column's
//! spares from one batch to the next ([`SpareTree`]), so that a batch does not start without
//! any: the events and the spares together never hold more values than the events held at once.
//!
//! [`decode_batch_reusing`]: super::decode_batch_reusing
//! [`BatchDecoder`]: super::BatchDecoder

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;

/// Spare values of one type, chosen by the first value put (a struct column's decoder only ever
/// holds the values of its own slot type: `T`, `Box<T>` or the elements of a list of `T`).
#[derive(Default)]
pub(crate) struct Spares(RefCell<Option<Box<dyn Any + Send>>>);

impl Spares {
    /// Keeps `value` for a later [`Spares::take`]. A value of another type than the ones kept
    /// already is dropped (no decoder does that; dropping is what decoding did without spares).
    pub(crate) fn put<V: Send + 'static>(&self, value: V) {
        let Ok(mut kept) = self.0.try_borrow_mut() else {
            return;
        };
        match kept.as_mut() {
            None => *kept = Some(Box::new(vec![value])),
            Some(any) => {
                if let Some(values) = any.downcast_mut::<Vec<V>>() {
                    values.push(value);
                }
            }
        }
    }

    /// Keeps every value of `values` (in reverse order: the first is taken back first).
    pub(crate) fn put_all<V: Send + 'static>(&self, values: impl DoubleEndedIterator<Item = V>) {
        for value in values.rev() {
            self.put(value);
        }
    }

    /// A value kept by [`Spares::put`], with the contents of the event it came from: the caller
    /// overwrites all of it.
    pub(crate) fn take<V: Send + 'static>(&self) -> Option<V> {
        self.0
            .try_borrow_mut()
            .ok()?
            .as_mut()?
            .downcast_mut::<Vec<V>>()?
            .pop()
    }
}

/// The spares of one struct column's decoder: strings of any of its attributes, its maps, and
/// values of its own slot type.
#[derive(Default)]
pub(crate) struct StructSpares {
    pub(crate) strings: Spares,
    pub(crate) maps: Spares,
    pub(crate) objects: Spares,
}

/// The spares of every struct column, by the column's path (`""` for the event itself), kept
/// between the batches that one reader decodes.
#[derive(Default)]
pub(crate) struct SpareTree(HashMap<String, StructSpares>);

impl SpareTree {
    /// The spares kept for the struct column at `path` (none at first), taken out of the tree
    /// while a batch's decoder holds them.
    pub(crate) fn take(&mut self, path: &str) -> StructSpares {
        self.0.remove(path).unwrap_or_default()
    }

    /// Gives back the spares of the struct column at `path` once its batch is decoded.
    pub(crate) fn keep(&mut self, path: String, spares: StructSpares) {
        self.0.insert(path, spares);
    }
}

#[cfg(test)]
mod tests {
    use super::{SpareTree, Spares};

    #[test]
    fn values_come_back_last_in_first_out_and_other_types_are_dropped() {
        let spares = Spares::default();
        assert_eq!(spares.take::<String>(), None);
        spares.put(String::from("a"));
        spares.put_all([String::from("b"), String::from("c")].into_iter());
        spares.put(7_u32);
        assert_eq!(spares.take::<u32>(), None);
        assert_eq!(spares.take::<String>().as_deref(), Some("b"));
        assert_eq!(spares.take::<String>().as_deref(), Some("c"));
        assert_eq!(spares.take::<String>().as_deref(), Some("a"));
        assert_eq!(spares.take::<String>(), None);
    }

    #[test]
    fn a_tree_gives_back_what_was_kept_by_path() {
        let mut tree = SpareTree::default();
        let spares = tree.take("actor.user");
        assert_eq!(spares.strings.take::<String>(), None);
        spares.strings.put(String::from("kept"));
        tree.keep("actor.user".to_owned(), spares);
        assert_eq!(tree.take("actor").strings.take::<String>(), None);
        let again = tree.take("actor.user");
        assert_eq!(again.strings.take::<String>().as_deref(), Some("kept"));
        // Taken out of the tree: a second take finds nothing until it is kept again.
        assert_eq!(tree.take("actor.user").strings.take::<String>(), None);
    }
}

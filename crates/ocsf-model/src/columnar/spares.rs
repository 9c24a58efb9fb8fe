//! Values an in-place decoder takes out of the events of a batch, kept for a later row.
//!
//! Decoding a batch into the events of the previous one ([`decode_batch_reusing`]) overwrites
//! their strings, boxed objects, lists and maps. Where a row lacks an attribute the previous
//! event of that slot had (a null string, an absent object, a shorter list, a null map) the
//! value has to leave the event, and where a row has one the slot lacked it has to be built:
//! data whose shape varies from row to row (a `Map` of one or two keys, a list of five or six
//! objects, an attribute null in a quarter of the rows) would free and allocate again for every
//! such change. The decoder of a struct column keeps those values here instead, and takes them
//! back (overwritten) before allocating new ones. The spares live as long as the batch's
//! decoder: a batch's events never hold more than they did before.
//!
//! [`decode_batch_reusing`]: super::decode_batch_reusing

use std::any::Any;
use std::cell::RefCell;

/// Spare values of one type, chosen by the first value put (a struct column's decoder only ever
/// holds the values of its own slot type: `T`, `Box<T>` or the elements of a list of `T`).
#[derive(Default)]
pub(crate) struct Spares(RefCell<Option<Box<dyn Any>>>);

impl Spares {
    /// Keeps `value` for a later [`Spares::take`]. A value of another type than the ones kept
    /// already is dropped (no decoder does that; dropping is what decoding did without spares).
    pub(crate) fn put<V: 'static>(&self, value: V) {
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
    pub(crate) fn put_all<V: 'static>(&self, values: impl DoubleEndedIterator<Item = V>) {
        for value in values.rev() {
            self.put(value);
        }
    }

    /// A value kept by [`Spares::put`], with the contents of the event it came from: the caller
    /// overwrites all of it.
    pub(crate) fn take<V: 'static>(&self) -> Option<V> {
        self.0
            .try_borrow_mut()
            .ok()?
            .as_mut()?
            .downcast_mut::<Vec<V>>()?
            .pop()
    }
}

#[cfg(test)]
mod tests {
    use super::Spares;

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
}

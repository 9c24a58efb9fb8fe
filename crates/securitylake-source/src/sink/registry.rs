//! The classes of one OCSF version, each with a way to open its typed
//! writer behind an object-safe [`ClassSink`]: the type erasure that lets a
//! [`LakeSink`](super::LakeSink) hold one [`Writer<E>`] per class.
//!
//! The registry is built once with the version's
//! [`visit_classes`](OcsfEventEnum::visit_classes): for every class `E` whose
//! `E::Event` is the sink's event enum `Ev` (checked by [`TypeId`] through
//! [`Any`]), it keeps a plain function that opens a `Writer<E>` and boxes it.
//! No per-event dynamic cast happens: the typed writer takes its events out
//! of the enum with [`OcsfEvent::from_event`].

use std::any::{Any, TypeId};
use std::collections::BTreeMap;

use ocsf_model::{ClassVisitor, OcsfEvent, OcsfEventEnum};
use securitylake_core::layout::SourceLocation;

use super::BoxFuture;
use super::dead_letter::DeadLetter;
use crate::error::{Error, ErrorKind, Result};
use crate::manifest::Manifest;
use crate::writer::admit::Admission;
use crate::writer::{Writer, WriterConfig, WriterStats};

/// One event class of a version, as a [`LakeSink`](super::LakeSink)'s
/// destination resolver and statistics see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClassInfo {
    /// The class's `class_uid` (3002).
    pub class_uid: i32,
    /// The class's name in the schema (`authentication`; scoped for
    /// extension classes: `win/registry_key_activity`).
    pub name: &'static str,
    /// The class's caption (`Authentication`).
    pub caption: &'static str,
    /// The OCSF version of the class (`1.1.0`).
    pub ocsf_version: &'static str,
}

impl ClassInfo {
    /// The facts of class `E`.
    ///
    /// ```
    /// use ocsf_model::v1_1_0::events::Authentication;
    /// use securitylake_source::sink::ClassInfo;
    ///
    /// let class = ClassInfo::of::<Authentication>();
    /// assert_eq!((class.class_uid, class.name, class.caption), (3002, "authentication", "Authentication"));
    /// ```
    pub fn of<E: OcsfEvent>() -> Self {
        Self {
            class_uid: E::CLASS_UID,
            name: E::CLASS_NAME,
            caption: E::CLASS_CAPTION,
            ocsf_version: E::OCSF_VERSION,
        }
    }

    /// The class `class_uid` of the version of the event enum `Ev`, if it
    /// has one.
    ///
    /// ```
    /// use ocsf_model::v1_1_0::Event;
    /// use securitylake_source::sink::ClassInfo;
    ///
    /// assert_eq!(ClassInfo::find::<Event>(4007).map(|c| c.name), Some("ssh_activity"));
    /// assert!(ClassInfo::find::<Event>(999_001).is_none());
    /// ```
    pub fn find<Ev: OcsfEventEnum>(class_uid: i32) -> Option<Self> {
        struct Find(i32, Option<ClassInfo>);
        impl ClassVisitor for Find {
            fn visit<E: OcsfEvent>(&mut self) {
                if E::CLASS_UID == self.0 {
                    self.1 = Some(ClassInfo::of::<E>());
                }
            }
        }
        let mut find = Find(class_uid, None);
        Ev::visit_classes(&mut find);
        find.1
    }
}

/// A typed writer of one class behind an object-safe interface that takes
/// the version's event enum `Ev`.
pub(crate) trait ClassSink<Ev>: Send {
    /// Writes one event; a refused event comes back as its dead letter.
    fn write(&mut self, event: Ev) -> BoxFuture<'_, Result<Option<DeadLetter>>>;
    /// Writes a batch of events of this class; the refused ones come back
    /// as dead letters, the others are accepted.
    fn write_batch(&mut self, events: Vec<Ev>) -> BoxFuture<'_, Result<Vec<DeadLetter>>>;
    /// [`Writer::roll_due`].
    fn roll_due(&mut self) -> BoxFuture<'_, Result<usize>>;
    /// [`Writer::flush`].
    fn flush(&mut self) -> BoxFuture<'_, Result<Manifest>>;
    /// [`Writer::stats`].
    fn stats(&self) -> WriterStats;
    /// The source location the writer writes to.
    fn location(&self) -> &SourceLocation;
}

/// The [`ClassSink`] of class `E`.
struct TypedSink<E: OcsfEvent> {
    writer: Writer<E>,
}

impl<E: OcsfEvent> TypedSink<E> {
    /// Takes the typed event out of the enum; an event of another class
    /// here is a routing bug, reported as an error (never dropped).
    fn typed(event: E::Event) -> Result<E> {
        E::from_event(event).map_err(|other| {
            Error::new(
                ErrorKind::Config,
                format!(
                    "an event routed to the writer of {} ({}) is of another class: {other:?}",
                    E::CLASS_NAME,
                    E::CLASS_UID
                ),
            )
        })
    }
}

impl<E: OcsfEvent> ClassSink<E::Event> for TypedSink<E> {
    fn write(&mut self, event: E::Event) -> BoxFuture<'_, Result<Option<DeadLetter>>> {
        Box::pin(async move {
            let event = Self::typed(event)?;
            Ok(match self.writer.admit(event).await? {
                Admission::Accepted => None,
                Admission::Refused(event, reason) => Some(DeadLetter::refused(&event, &reason)),
            })
        })
    }

    fn write_batch(&mut self, events: Vec<E::Event>) -> BoxFuture<'_, Result<Vec<DeadLetter>>> {
        Box::pin(async move {
            let events = events
                .into_iter()
                .map(Self::typed)
                .collect::<Result<Vec<E>>>()?;
            let refused = self.writer.admit_batch(events).await?;
            Ok(refused
                .iter()
                .map(|(event, reason)| DeadLetter::refused(event, reason))
                .collect())
        })
    }

    fn roll_due(&mut self) -> BoxFuture<'_, Result<usize>> {
        Box::pin(self.writer.roll_due())
    }

    fn flush(&mut self) -> BoxFuture<'_, Result<Manifest>> {
        Box::pin(self.writer.flush())
    }

    fn stats(&self) -> WriterStats {
        self.writer.stats()
    }

    fn location(&self) -> &SourceLocation {
        self.writer.config().location()
    }
}

/// Opens the writer of one class, boxed.
pub(crate) type OpenFn<Ev> = fn(WriterConfig) -> BoxFuture<'static, Result<Box<dyn ClassSink<Ev>>>>;

/// Opens a `Writer<E>` behind a [`ClassSink`].
fn open_typed<E: OcsfEvent>(
    config: WriterConfig,
) -> BoxFuture<'static, Result<Box<dyn ClassSink<E::Event>>>> {
    Box::pin(async move {
        let writer = Writer::<E>::open(config).await?;
        Ok(Box::new(TypedSink { writer }) as Box<dyn ClassSink<E::Event>>)
    })
}

/// A class of the registry: its facts and how to open its writer.
pub(crate) struct ClassEntry<Ev> {
    pub(crate) info: ClassInfo,
    pub(crate) open: OpenFn<Ev>,
}

/// Every class of the version of `Ev`, by `class_uid`.
pub(crate) fn registry<Ev: OcsfEventEnum>() -> BTreeMap<i32, ClassEntry<Ev>> {
    struct Collect<Ev>(BTreeMap<i32, ClassEntry<Ev>>);
    impl<Ev: OcsfEventEnum> ClassVisitor for Collect<Ev> {
        fn visit<E: OcsfEvent>(&mut self) {
            if TypeId::of::<E::Event>() != TypeId::of::<Ev>() {
                return;
            }
            let open: Box<dyn Any> = Box::new(open_typed::<E> as OpenFn<E::Event>);
            // The same type (checked above), so the downcast succeeds.
            if let Ok(open) = open.downcast::<OpenFn<Ev>>() {
                self.0.insert(
                    E::CLASS_UID,
                    ClassEntry {
                        info: ClassInfo::of::<E>(),
                        open: *open,
                    },
                );
            }
        }
    }
    let mut collect = Collect(BTreeMap::new());
    Ev::visit_classes(&mut collect);
    collect.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_of_the_version_is_registered_once() {
        let classes = registry::<ocsf_model::v1_1_0::Event>();
        assert_eq!(classes.len(), ocsf_model::v1_1_0::CLASSES.len());
        for (uid, entry) in &classes {
            assert_eq!(*uid, entry.info.class_uid);
            assert_eq!(entry.info.ocsf_version, "1.1.0");
        }
        assert_eq!(classes[&4007].info.name, "ssh_activity");
    }
}

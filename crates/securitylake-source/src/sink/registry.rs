//! The classes of one OCSF version, each with a way to open its typed
//! writer behind an object-safe [`ClassSink`]: the type erasure that lets a
//! [`LakeSink`](super::LakeSink) hold one [`Writer<E>`] per class.
//!
//! The registry is built once with the version's
//! [`visit_classes`](OcsfEventEnum::visit_classes): for every class `E` whose
//! `E::Event` is the sink's event enum `Ev` (checked by [`TypeId`]), it
//! keeps a plain function that opens a `Writer<E>` and boxes it. The typed writer reads its events inside the
//! enum by reference with [`OcsfEventEnum::as_class`] (a type-id compare,
//! no copy).

use std::any::TypeId;
use std::collections::BTreeMap;
use std::marker::PhantomData;

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
/// the version's event enum `Ev`, by reference: the caller keeps its events
/// (and may overwrite them for the next ones).
pub(crate) trait ClassSink<Ev>: Send {
    /// Writes one event; a refused event comes back as its dead letter.
    fn write<'a>(&'a mut self, event: &'a Ev) -> BoxFuture<'a, Result<Option<DeadLetter>>>;
    /// Writes a batch of events of this class; the refused ones come back
    /// as dead letters (in the batch's order), the others are accepted.
    fn write_batch<'a>(
        &'a mut self,
        events: &'a [&'a Ev],
    ) -> BoxFuture<'a, Result<Vec<DeadLetter>>>;
    /// [`Writer::roll_due`].
    fn roll_due(&mut self) -> BoxFuture<'_, Result<usize>>;
    /// [`Writer::flush`].
    fn flush(&mut self) -> BoxFuture<'_, Result<Manifest>>;
    /// [`Writer::stats`].
    fn stats(&self) -> WriterStats;
    /// The source location the writer writes to.
    fn location(&self) -> &SourceLocation;
}

/// The [`ClassSink`] of class `E`, taking it inside the enum `Ev`.
struct TypedSink<E: OcsfEvent, Ev> {
    writer: Writer<E>,
    enum_type: PhantomData<fn(&Ev)>,
}

impl<E: OcsfEvent, Ev: OcsfEventEnum> TypedSink<E, Ev> {
    /// The typed event inside the enum; an event of another class here is a
    /// routing bug, reported as an error (never dropped).
    fn typed(event: &Ev) -> Result<&E> {
        event.as_class::<E>().ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                format!(
                    "an event routed to the writer of {} ({}) is of another class: {event:?}",
                    E::CLASS_NAME,
                    E::CLASS_UID
                ),
            )
        })
    }
}

impl<E: OcsfEvent, Ev: OcsfEventEnum> ClassSink<Ev> for TypedSink<E, Ev> {
    fn write<'a>(&'a mut self, event: &'a Ev) -> BoxFuture<'a, Result<Option<DeadLetter>>> {
        Box::pin(async move {
            let event = Self::typed(event)?;
            Ok(match self.writer.admit(event).await? {
                Admission::Accepted => None,
                Admission::Refused(reason) => Some(DeadLetter::refused(event, &reason)),
            })
        })
    }

    fn write_batch<'a>(
        &'a mut self,
        events: &'a [&'a Ev],
    ) -> BoxFuture<'a, Result<Vec<DeadLetter>>> {
        Box::pin(async move {
            let events = events
                .iter()
                .map(|event| Self::typed(event))
                .collect::<Result<Vec<&E>>>()?;
            let refused = self.writer.admit_batch(&events).await?;
            Ok(refused
                .iter()
                .map(|(i, reason)| DeadLetter::refused(events[*i], reason))
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

/// Opens a `Writer<E>` behind a [`ClassSink`] of the enum `Ev`.
fn open_typed<E: OcsfEvent, Ev: OcsfEventEnum>(
    config: WriterConfig,
) -> BoxFuture<'static, Result<Box<dyn ClassSink<Ev>>>> {
    Box::pin(async move {
        let writer = Writer::<E>::open(config).await?;
        let sink = TypedSink::<E, Ev> {
            writer,
            enum_type: PhantomData,
        };
        Ok(Box::new(sink) as Box<dyn ClassSink<Ev>>)
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
            self.0.insert(
                E::CLASS_UID,
                ClassEntry {
                    info: ClassInfo::of::<E>(),
                    open: open_typed::<E, Ev>,
                },
            );
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

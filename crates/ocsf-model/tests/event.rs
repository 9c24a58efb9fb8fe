//! The generated `Event` enums: every class of every compiled version written and read back
//! through `Event`, classes a version does not define kept whole, and malformed input refused
//! with an error (never a panic).

use std::any::Any;
use std::fmt::Debug;
use std::marker::PhantomData;

use ocsf_model::{ClassVisitor, EventVisitor, OcsfEvent, UnrecognizedEvent};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

#[path = "support/sample.rs"]
mod sample;
use sample::Gen;

/// What these tests use of a version's `Event`.
trait AnyEvent: Serialize + DeserializeOwned + PartialEq + Debug + Clone {
    const SIZE: usize = std::mem::size_of::<Self>();
    fn class_uid(&self) -> i32;
    fn class_caption(&self) -> Option<&'static str>;
    fn class_name(&self) -> Option<&'static str>;
    fn category_uid(&self) -> Option<i32>;
    fn time(&self) -> Option<i64>;
    fn type_uid(&self) -> Option<i64>;
    fn has_metadata(&self) -> bool;
    fn is_unrecognized(&self) -> bool;
    fn visit<V: EventVisitor>(&self, visitor: &mut V) -> V::Output;
}

macro_rules! any_event {
    ($m:ident, $feature:literal) => {
        #[cfg(feature = $feature)]
        impl AnyEvent for ocsf_model::$m::Event {
            fn class_uid(&self) -> i32 {
                self.class_uid()
            }
            fn class_caption(&self) -> Option<&'static str> {
                self.class_caption()
            }
            fn class_name(&self) -> Option<&'static str> {
                self.class_name()
            }
            fn category_uid(&self) -> Option<i32> {
                self.category_uid()
            }
            fn time(&self) -> Option<i64> {
                self.time()
            }
            fn type_uid(&self) -> Option<i64> {
                self.type_uid()
            }
            fn has_metadata(&self) -> bool {
                self.metadata().is_some()
            }
            fn is_unrecognized(&self) -> bool {
                self.is_unrecognized()
            }
            fn visit<V: EventVisitor>(&self, visitor: &mut V) -> V::Output {
                self.visit(visitor)
            }
        }
    };
}

any_event!(v1_0_0_rc2, "v1_0_0_rc2");
any_event!(v1_1_0, "v1_1_0");
any_event!(v1_3_0, "v1_3_0");
any_event!(v1_8_0, "v1_8_0");

/// Checks that `Event::visit` hands over the typed event of class `E`, equal to `want`.
struct Same<'a, E> {
    want: &'a E,
    matched: bool,
}

impl<E: OcsfEvent> EventVisitor for Same<'_, E> {
    type Output = ();
    fn visit<F: OcsfEvent>(&mut self, event: &F) {
        let event: &dyn Any = event;
        self.matched = event.downcast_ref::<E>() == Some(self.want);
    }
    fn visit_unrecognized(&mut self, _: &UnrecognizedEvent) {
        self.matched = false;
    }
}

/// `text` with `class_uid` moved first or last (the replay buffers nothing, or everything).
fn with_class_uid_at(text: &str, first: bool) -> String {
    let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(text) else {
        panic!("an object")
    };
    let uid = map.shift_remove("class_uid").expect("class_uid");
    let mut out = Map::new();
    if first {
        out.insert("class_uid".into(), uid.clone());
    }
    out.extend(map);
    if !first {
        out.insert("class_uid".into(), uid);
    }
    serde_json::to_string(&out).expect("serializes")
}

/// Writes and reads back one full and one minimal event of every class through `Ev`.
struct EveryClass<Ev> {
    classes: usize,
    sizes: Vec<(usize, &'static str)>,
    event: PhantomData<Ev>,
}

impl<Ev> EveryClass<Ev> {
    fn new() -> Self {
        Self {
            classes: 0,
            sizes: Vec::new(),
            event: PhantomData,
        }
    }
}

impl<Ev: AnyEvent> ClassVisitor for EveryClass<Ev> {
    fn visit<E: OcsfEvent>(&mut self) {
        let schema = E::schema();
        let class = schema
            .class_by_uid(i64::from(E::CLASS_UID))
            .expect("the class is in the tables");
        let name = E::CLASS_NAME;
        for full in [true, false] {
            let json = Gen {
                schema,
                full,
                max_nesting: 3,
            }
            .event(class);
            let typed: E = serde_json::from_value(json.clone())
                .unwrap_or_else(|e| panic!("{name}: the sample does not read: {e}"));
            let text = serde_json::to_string(&typed).expect("serializes");

            let event: Ev = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{name}: does not read as Event: {e}"));
            assert!(!event.is_unrecognized(), "{name}");
            assert_eq!(event.class_uid(), E::CLASS_UID, "{name}");
            assert_eq!(event.class_caption(), Some(E::CLASS_CAPTION), "{name}");
            assert_eq!(event.class_name(), Some(E::CLASS_NAME), "{name}");
            assert_eq!(event.category_uid(), Some(E::CATEGORY_UID), "{name}");
            assert_eq!(event.time(), Some(typed.time()), "{name}");
            assert_eq!(event.type_uid(), Some(typed.type_uid()), "{name}");
            assert!(event.has_metadata(), "{name}");
            let mut same = Same {
                want: &typed,
                matched: false,
            };
            event.visit(&mut same);
            assert!(same.matched, "{name}: visit gives the typed event read");
            assert_eq!(
                serde_json::to_string(&event).expect("serializes"),
                text,
                "{name}: Event writes the class's own JSON"
            );

            // Wherever `class_uid` is, and from a `Value` as from text.
            for moved in [true, false] {
                let moved = with_class_uid_at(&text, moved);
                let again: Ev =
                    serde_json::from_str(&moved).unwrap_or_else(|e| panic!("{name}: {e}: {moved}"));
                assert_eq!(again, event, "{name}: {moved}");
            }
            let from_value: Ev = serde_json::from_value(json).expect("reads from a Value");
            assert_eq!(from_value, event, "{name}");
        }
        self.classes += 1;
        self.sizes.push((std::mem::size_of::<E>(), E::CLASS_NAME));
    }
}

fn every_class<Ev: AnyEvent>(visit: fn(&mut EveryClass<Ev>), classes: usize, version: &str) {
    let mut visitor = EveryClass::<Ev>::new();
    visit(&mut visitor);
    assert_eq!(visitor.classes, classes);
    visitor.sizes.sort_unstable();
    eprintln!(
        "{version}: {} classes through Event; size_of::<Event>() = {}; classes from {:?} to {:?} bytes",
        visitor.classes,
        Ev::SIZE,
        visitor.sizes.first(),
        visitor.sizes.last()
    );
    assert_eq!(Ev::SIZE, 16, "every variant is boxed: a tag and a pointer");
}

#[cfg(feature = "v1_1_0")]
#[test]
fn every_1_1_0_class_round_trips_through_event() {
    use ocsf_model::v1_1_0 as v;
    every_class::<v::Event>(v::visit_classes, v::SCHEMA.classes.len(), v::VERSION);
}

#[cfg(feature = "v1_0_0_rc2")]
#[test]
fn every_1_0_0_rc2_class_round_trips_through_event() {
    use ocsf_model::v1_0_0_rc2 as v;
    every_class::<v::Event>(v::visit_classes, v::SCHEMA.classes.len(), v::VERSION);
}

#[cfg(feature = "v1_3_0")]
#[test]
fn every_1_3_0_class_round_trips_through_event() {
    use ocsf_model::v1_3_0 as v;
    every_class::<v::Event>(v::visit_classes, v::SCHEMA.classes.len(), v::VERSION);
}

#[cfg(feature = "v1_8_0")]
#[test]
fn every_1_8_0_class_round_trips_through_event() {
    use ocsf_model::v1_8_0 as v;
    every_class::<v::Event>(v::visit_classes, v::SCHEMA.classes.len(), v::VERSION);
}

#[cfg(feature = "v1_1_0")]
#[test]
fn conversions_to_and_from_each_class() {
    use ocsf_model::v1_1_0::Event;
    use ocsf_model::v1_1_0::events::{
        Authentication, AuthenticationActivityId, DetectionFinding, SeverityId,
    };
    use ocsf_model::v1_1_0::objects::{Metadata, Product, User};

    let mut product = Product::default();
    product.vendor_name = Some("v".into());
    let auth = Authentication::new(
        AuthenticationActivityId::Logon,
        Metadata::new(product, "1.1.0".into()),
        SeverityId::Low,
        1_700_000_000_000,
        User::default(),
    );
    let event = Event::from(auth.clone());
    assert_eq!(event.class_uid(), 3002);
    assert_eq!(event.type_uid(), Some(300_201));
    assert_eq!(event.severity_id(), Some(SeverityId::Low));
    assert_eq!(
        event.metadata().and_then(|m| m.version.as_deref()),
        Some("1.1.0")
    );
    // Another class's conversion gives the event back unchanged.
    let event = DetectionFinding::try_from(event).expect_err("not a finding");
    assert_eq!(Authentication::try_from(event.clone()), Ok(auth.clone()));
    assert_eq!(
        Box::<Authentication>::try_from(event),
        Ok(Box::new(auth.clone()))
    );
    assert_eq!(Event::from(Box::new(auth.clone())), Event::from(auth));
}

#[cfg(feature = "v1_1_0")]
#[test]
fn a_class_the_version_does_not_define_keeps_every_attribute() {
    use ocsf_model::v1_1_0::Event;

    // Attributes before and after class_uid, nested, in the producer's order.
    let text = r#"{"zeta":{"b":[1,2.5,null],"a":"x"},"class_uid":999001,"time":1700000000000,"type_uid":99900101,"category_uid":9,"class_name":"Mine","message":"m","alpha":true}"#;
    let event: Event = serde_json::from_str(text).expect("reads");
    let Event::Unrecognized(u) = &event else {
        panic!("unrecognized: {event:?}")
    };
    assert_eq!(u.class_uid(), 999_001);
    assert_eq!(u.fields().len(), 8);
    assert_eq!(event.class_uid(), 999_001);
    assert_eq!(event.class_caption(), None);
    assert_eq!(event.category_uid(), Some(9));
    assert_eq!(event.time(), Some(1_700_000_000_000));
    assert_eq!(event.type_uid(), Some(99_900_101));
    assert_eq!(event.message(), Some("m"));
    assert!(event.metadata().is_none());
    assert_eq!(serde_json::to_string(&event).expect("writes"), text);
    let from_value: Event =
        serde_json::from_value(serde_json::from_str(text).expect("json")).expect("reads");
    assert_eq!(from_value, event);
}

/// A class of a newer version read through an older version's `Event` is unrecognized, and
/// written back unchanged.
#[cfg(all(feature = "v1_1_0", feature = "v1_8_0"))]
#[test]
fn newer_classes_through_an_older_event_are_kept_whole() {
    use ocsf_model::v1_1_0::{CLASSES, Event};

    let schema = &ocsf_model::v1_8_0::SCHEMA;
    let mut newer = 0;
    for class in schema.classes.iter() {
        if CLASSES.iter().any(|c| c.0 == class.uid) {
            continue;
        }
        let json = Gen {
            schema,
            full: true,
            max_nesting: 2,
        }
        .event(class);
        let text = serde_json::to_string(&json).expect("json");
        let event: Event = serde_json::from_str(&text).expect("reads");
        assert!(event.is_unrecognized(), "{}", class.name);
        assert_eq!(event.class_uid(), class.uid);
        assert_eq!(serde_json::to_string(&event).expect("writes"), text);
        newer += 1;
    }
    assert!(newer > 20, "1.8.0 adds classes: {newer}");
}

#[cfg(feature = "v1_1_0")]
#[test]
fn malformed_input_is_an_error_naming_what_is_wrong() {
    use ocsf_model::v1_1_0::Event;

    let cases: &[(&str, &str)] = &[
        (r#"{"time":1}"#, "needs a `class_uid`"),
        ("{}", "needs a `class_uid`"),
        (r#"{"class_uid":"3002"}"#, "found `\"3002\"`"),
        (r#"{"class_uid":null}"#, "found `null`"),
        (r#"{"class_uid":3002.5}"#, "found `3002.5`"),
        (r#"{"class_uid":4294967296}"#, "found `4294967296`"),
        (r#"{"class_uid":{"a":1}}"#, "an integer (i32)"),
        (
            r#"{"class_uid":3002,"time":"soon"}"#,
            "Authentication (class_uid 3002, OCSF 1.1.0)",
        ),
        (
            r#"{"activity_id":"x","class_uid":3002}"#,
            "Authentication (class_uid 3002, OCSF 1.1.0)",
        ),
        (r#"{"class_uid":3002,"class_uid":3002}"#, "duplicate field"),
        (
            r#"{"class_uid":999001,"a":1,"a":2}"#,
            "duplicate attribute `a`",
        ),
        (
            r#"{"a":1,"class_uid":999001,"a":2}"#,
            "duplicate attribute `a`",
        ),
        (
            r#"{"class_uid":999001,"class_uid":1}"#,
            "duplicate attribute `class_uid`",
        ),
        ("[]", "an OCSF 1.1.0 event"),
        ("[1]", "an OCSF 1.1.0 event"),
        ("3002", "an OCSF 1.1.0 event"),
        (r#""x""#, "an OCSF 1.1.0 event"),
        ("null", "an OCSF 1.1.0 event"),
        ("", "EOF"),
        (r#"{"class_uid":999001"#, "EOF"),
        (r#"{"class_uid":3002,"time":1"#, "EOF"),
        (r#"{"a":"#, "EOF"),
    ];
    for (input, want) in cases {
        let err = serde_json::from_str::<Event>(input).expect_err(input);
        assert!(
            err.to_string().contains(want),
            "{input}: `{err}` does not say `{want}`"
        );
    }
}

/// A small deterministic generator (xorshift), so that the property tests need no dependency
/// and fail the same way every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("small")
    }

    /// Arbitrary JSON, biased towards objects with OCSF attribute names and class uids.
    fn json(&mut self, depth: usize, uids: &[i32]) -> Value {
        const KEYS: &[&str] = &[
            "class_uid",
            "activity_id",
            "time",
            "metadata",
            "severity_id",
            "type_uid",
            "category_uid",
            "user",
            "product",
            "version",
            "name",
            "unmapped",
            "x",
        ];
        match self.below(if depth == 0 { 6 } else { 9 }) {
            0 => Value::Null,
            1 => json!(self.below(2) == 0),
            2 => json!(uids[self.below(uids.len())]),
            3 => json!(i64::from_ne_bytes(self.next().to_ne_bytes())),
            4 => json!(f64::from(u32::try_from(self.next() >> 40).expect("24 bits")) / 7.0),
            5 => json!(["", "x", "1.1.0", "Logon", "\u{0}"][self.below(5)]),
            6 => Value::Array(
                (0..self.below(3))
                    .map(|_| self.json(depth - 1, uids))
                    .collect(),
            ),
            _ => {
                let mut map = Map::new();
                for _ in 0..self.below(7) {
                    let key = KEYS[self.below(KEYS.len())];
                    map.insert(key.into(), self.json(depth - 1, uids));
                }
                if self.below(2) == 0 {
                    map.insert("class_uid".into(), json!(uids[self.below(uids.len())]));
                }
                Value::Object(map)
            }
        }
    }
}

/// Reads `text` as `Ev`; an event that reads writes JSON that reads back as the same event.
fn never_panics_and_round_trips<Ev: AnyEvent>(text: &[u8]) -> bool {
    match serde_json::from_slice::<Ev>(text) {
        Ok(event) => {
            let again = serde_json::to_vec(&event).expect("an event read always writes");
            let back: Ev = serde_json::from_slice(&again).unwrap_or_else(|e| {
                panic!(
                    "{e}: {} -> {}",
                    String::from_utf8_lossy(text),
                    String::from_utf8_lossy(&again)
                )
            });
            assert_eq!(back, event);
            true
        }
        Err(_) => false,
    }
}

#[cfg(feature = "v1_1_0")]
#[test]
fn arbitrary_json_reads_or_fails_without_panicking() {
    use ocsf_model::v1_1_0::{CLASSES, Event};

    let mut uids: Vec<i32> = CLASSES.iter().map(|c| c.0).collect();
    uids.extend([-1, 999_001, i32::MAX]);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut read = 0;
    for _ in 0..20_000 {
        let value = rng.json(4, &uids);
        let text = serde_json::to_vec(&value).expect("json");
        if never_panics_and_round_trips::<Event>(&text) {
            read += 1;
            // What reads through `Event` reads the same from a `Value`.
            let from_value: Event = serde_json::from_value(value).expect("reads from a Value");
            let from_text: Event = serde_json::from_slice(&text).expect("read above");
            assert_eq!(from_value, from_text);
        }
    }
    assert!(read > 100, "some arbitrary objects are events: {read}");
}

#[cfg(feature = "v1_1_0")]
#[test]
fn damaged_events_read_or_fail_without_panicking() {
    use ocsf_model::OcsfEvent as _;
    use ocsf_model::v1_1_0::Event;
    use ocsf_model::v1_1_0::events::Authentication;

    let schema = Authentication::schema();
    let class = schema.class("authentication").expect("class");
    let json = Gen {
        schema,
        full: true,
        max_nesting: 2,
    }
    .event(class);
    let text = serde_json::to_vec(&json).expect("json");
    assert!(never_panics_and_round_trips::<Event>(&text));
    // Every prefix.
    for end in 0..text.len() {
        assert!(!never_panics_and_round_trips::<Event>(&text[..end]));
    }
    // Bytes replaced with JSON punctuation, digits and letters.
    let mut rng = Rng(42);
    const BYTES: &[u8] = b"{}[]\",:0123456789-.eEtrufalsn \\x\xff";
    for _ in 0..20_000 {
        let mut damaged = text.clone();
        for _ in 0..=rng.below(3) {
            let at = rng.below(damaged.len());
            damaged[at] = BYTES[rng.below(BYTES.len())];
        }
        never_panics_and_round_trips::<Event>(&damaged);
    }
}

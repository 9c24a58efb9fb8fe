//! The declared projections against what the mappers emit: every event of the sample corpus
//! (`../shared/samples/`, read in place) and of the golden inputs, encoded into the columnar
//! schema of its class under the mapper's declared projection, leaves no value out
//! (`EncodeStats::left_out == 0`); and every declared path names an attribute of the schema.

mod common;

use common::{day_ms, sample};

use std::collections::BTreeMap;
use std::fs;
use std::io::BufReader;
use std::path::Path;

use ocsf_mappers::{
    DeepSecurityMapper, LinuxMapper, Projection, SourceConfig, TrendMicroMapper, stream,
};
use ocsf_model::OcsfEvent;
use ocsf_model::columnar::{BatchEncoder, Columnar, ColumnarOptions, EncodeStats, arrow_schema};
use ocsf_model::v1_1_0::Event;
use ocsf_model::v1_1_0::events as ev;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
/// 2024-06-10T00:00:00Z, the golden tests' reference time.
const REF_MS: i64 = 1_717_977_600_000;

/// Maps a whole file through the streaming API (which also flushes grouped records).
fn map_file<M>(mapper: M, path: &Path) -> Vec<Event>
where
    M: stream::LineMapper<Event = Event>,
{
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    stream::events(mapper, BufReader::new(file))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `input.message` of every `*.json` file in `dir`.
fn json_messages(dir: &Path) -> Vec<String> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .expect("list samples")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let v: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(p).expect("read sample"))
                    .expect("sample is JSON");
            v["input"]["message"]
                .as_str()
                .expect("input.message")
                .to_owned()
        })
        .collect()
}

/// Encodes the events of class `E` under `projection`; the encoder's counters.
fn encode<E: Columnar + OcsfEvent + TryFrom<Event, Error = Event>>(
    events: &[Event],
    projection: &Projection,
) -> (usize, EncodeStats, usize) {
    let options = ColumnarOptions::default().with_projection(projection.paths());
    let mut encoder = BatchEncoder::<E>::new(&options)
        .unwrap_or_else(|e| panic!("class {}: projection rejected: {e}", E::CLASS_UID));
    let mut n = 0;
    for event in events.iter().filter(|e| e.class_uid() == E::CLASS_UID) {
        let typed = E::try_from(event.clone()).unwrap_or_else(|_| panic!("typed event"));
        encoder.append(&typed);
        n += 1;
    }
    let batch = encoder.finish().expect("batch");
    let full = arrow_schema::<E>(&ColumnarOptions::default()).expect("full schema");
    assert!(
        batch.num_columns() < full.fields().len(),
        "class {}: the projection is not narrower than the full schema",
        E::CLASS_UID
    );
    (n, encoder.stats(), batch.num_columns())
}

/// The counters of encoding `events` of every class `classes` names with `projection_of`.
fn check_events(
    name: &str,
    events: &[Event],
    classes: &[i32],
    projection_of: impl Fn(i32) -> Option<Projection>,
) -> BTreeMap<i32, usize> {
    let mut seen = BTreeMap::new();
    for event in events {
        let class = event.class_uid();
        assert!(
            classes.contains(&class),
            "{name}: class {class} not declared"
        );
        *seen.entry(class).or_insert(0) += 1;
    }
    for &class in classes {
        let projection = projection_of(class).expect("a declared class has a projection");
        assert_eq!(projection.class_uid(), class);
        let (n, stats, columns) = match class {
            0 => encode::<ev::BaseEvent>(events, &projection),
            1001 => encode::<ev::FileActivity>(events, &projection),
            1005 => encode::<ev::ModuleActivity>(events, &projection),
            1006 => encode::<ev::ScheduledJobActivity>(events, &projection),
            1007 => encode::<ev::ProcessActivity>(events, &projection),
            2004 => encode::<ev::DetectionFinding>(events, &projection),
            3001 => encode::<ev::AccountChange>(events, &projection),
            3002 => encode::<ev::Authentication>(events, &projection),
            3004 => encode::<ev::EntityManagement>(events, &projection),
            3006 => encode::<ev::GroupManagement>(events, &projection),
            4001 => encode::<ev::NetworkActivity>(events, &projection),
            4007 => encode::<ev::SshActivity>(events, &projection),
            5002 => encode::<ev::ConfigState>(events, &projection),
            6002 => encode::<ev::ApplicationLifecycle>(events, &projection),
            other => panic!("no typed check for class {other}"),
        };
        println!("{name}: class {class}: {n} events, {columns} top-level columns, {stats:?}");
        assert_eq!(
            stats.left_out, 0,
            "{name}: class {class}: values outside the declared projection"
        );
        assert_eq!(stats.total(), 0, "{name}: class {class}: {stats:?}");
    }
    seen
}

#[test]
fn every_declared_path_names_an_attribute() {
    let schema = &ocsf_model::v1_1_0::SCHEMA;
    let mut classes: Vec<i32> = LinuxMapper::<ocsf_mappers::V1_1_0>::CLASSES.to_vec();
    classes.extend(DeepSecurityMapper::<ocsf_mappers::V1_1_0>::CLASSES);
    let mapper = LinuxMapper::new(SourceConfig::linux());
    let ds = DeepSecurityMapper::new(SourceConfig::deep_security());
    for class in classes {
        let projection = mapper
            .projection(class)
            .or_else(|| ds.projection(class))
            .expect("declared");
        let item = schema
            .class_by_uid(i64::from(class))
            .expect("a class of the schema");
        for path in projection.paths() {
            let mut current = item;
            let mut segments = path.split('.').peekable();
            while let Some(segment) = segments.next() {
                let attribute = current
                    .attribute(segment)
                    .unwrap_or_else(|| panic!("class {class}: `{path}`: no `{segment}`"));
                if segments.peek().is_some() {
                    let object = attribute.object.unwrap_or_else(|| {
                        panic!("class {class}: `{path}`: `{segment}` is no object")
                    });
                    current = schema.object(object).expect("object of the schema");
                }
            }
        }
        // The class's required attributes are declared.
        for a in item.attributes {
            // Attributes a profile requires (`cloud`) are required only with the profile.
            if a.requirement == ocsf_model::schema::Requirement::Required && a.profiles.is_empty() {
                assert!(
                    projection.covers(a.name),
                    "class {class}: required `{}` not declared",
                    a.name
                );
            }
        }
    }
}

#[test]
fn golden_inputs_stay_inside_the_declared_projections() {
    let linux = LinuxMapper::new(SourceConfig::linux().with_reference_ms(REF_MS));
    let classes = LinuxMapper::<ocsf_mappers::V1_1_0>::CLASSES;
    let mut seen = BTreeMap::new();
    for name in ["linux", "auditd_types"] {
        let events = map_file(
            LinuxMapper::new(
                SourceConfig::linux()
                    .with_reference_ms(REF_MS)
                    .with_hostname_fallback("fallback-host"),
            ),
            &Path::new(GOLDEN).join(format!("{name}.log")),
        );
        for (k, v) in check_events(name, &events, classes, |c| linux.projection(c)) {
            *seen.entry(k).or_insert(0) += v;
        }
    }
    // The golden Linux inputs exercise every class the Linux mapper declares but Device Config
    // State (5002), which the encoder checks still runs over (with no events).
    let unseen: Vec<i32> = classes
        .iter()
        .copied()
        .filter(|c| !seen.contains_key(c))
        .collect();
    assert_eq!(unseen, [5002], "classes seen: {seen:?}");
    let ds = DeepSecurityMapper::new(SourceConfig::deep_security());
    let events = map_file(
        DeepSecurityMapper::new(SourceConfig::deep_security().with_reference_ms(REF_MS)),
        &Path::new(GOLDEN).join("deep_security.log"),
    );
    check_events(
        "deep_security",
        &events,
        DeepSecurityMapper::<ocsf_mappers::V1_1_0>::CLASSES,
        |c| ds.projection(c),
    );
    let tm = TrendMicroMapper::new(SourceConfig::trend_micro());
    let events = map_file(
        TrendMicroMapper::new(SourceConfig::trend_micro().with_reference_ms(REF_MS)),
        &Path::new(GOLDEN).join("trend_micro.log"),
    );
    check_events(
        "trend_micro",
        &events,
        TrendMicroMapper::<ocsf_mappers::V1_1_0>::CLASSES,
        |c| tm.projection(c),
    );
}

#[test]
fn sample_corpus_stays_inside_the_declared_projections() {
    let linux = LinuxMapper::new(SourceConfig::linux());
    let classes = LinuxMapper::<ocsf_mappers::V1_1_0>::CLASSES;
    for (file, reference) in [
        ("linux/loghub/OpenSSH_2k.log", day_ms(2018, 1, 5)),
        ("linux/loghub/Linux_2k.log", day_ms(2005, 8, 1)),
    ] {
        let Some(path) = sample(file) else { continue };
        let events = map_file(
            LinuxMapper::new(SourceConfig::linux().with_reference_ms(reference)),
            &path,
        );
        assert_eq!(events.len(), 2000, "{file}");
        check_events(file, &events, classes, |c| linux.projection(c));
    }
    if let Some(dir) = sample("linux/openssh-messages") {
        let mut mapper =
            LinuxMapper::new(SourceConfig::linux().with_reference_ms(day_ms(2024, 6, 1)));
        let ctx = ocsf_mappers::MessageContext::new("sshd", day_ms(2024, 6, 1));
        let mut events = Vec::new();
        for message in json_messages(&dir) {
            let message = message.trim();
            let mut out = mapper.map_line(message);
            if out.iter().all(|e| e.class_uid() == 0) {
                // A bare message body: map it as sshd's.
                out = mapper.map_message(&ctx, message);
            }
            events.extend(out);
        }
        assert!(events.len() >= 62);
        check_events("openssh-messages", &events, classes, |c| {
            linux.projection(c)
        });
    }
    if let Some(dir) = sample("trendmicro/deep-security-cef") {
        let messages = json_messages(&dir);
        let mut ds =
            DeepSecurityMapper::new(SourceConfig::deep_security().with_reference_ms(REF_MS));
        let events: Vec<Event> = messages.iter().flat_map(|m| ds.map_line(m)).collect();
        assert_eq!(events.len(), messages.len());
        check_events(
            "deep-security-cef",
            &events,
            DeepSecurityMapper::<ocsf_mappers::V1_1_0>::CLASSES,
            |c| ds.projection(c),
        );
        let mut tm = TrendMicroMapper::new(SourceConfig::trend_micro().with_reference_ms(REF_MS));
        let events: Vec<Event> = messages.iter().flat_map(|m| tm.map_line(m)).collect();
        check_events(
            "deep-security-cef (trend micro)",
            &events,
            TrendMicroMapper::<ocsf_mappers::V1_1_0>::CLASSES,
            |c| tm.projection(c),
        );
    }
}

//! OCSF JSON decoding: events the mappers produce round-trip through JSON; invalid events are
//! rejected with the validator's reasons; documents and lines of every shape.

mod common;

use ocsf_mappers::ocsf_json::OcsfJson;
use ocsf_mappers::{LinuxMapper, SourceConfig, V1_1_0};
use ocsf_model::v1_1_0::Event;

fn mapped_events() -> Vec<Event> {
    let mut mapper = LinuxMapper::new(SourceConfig::linux().with_reference_ms(1_718_000_000_000));
    let lines = [
        "Jun 10 09:00:01 bastion sshd[811]: Failed password for root from 203.0.113.9 port 4022 ssh2",
        "Jun 10 09:00:07 bastion sshd[812]: Accepted publickey for alice from 10.0.4.21 port 50022 ssh2",
        "Jun 10 09:00:09 bastion sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
        "Jun 10 09:00:11 bastion kernel: [UFW BLOCK] IN=eth0 OUT= MAC= SRC=198.51.100.7 DST=10.0.0.5 LEN=60 PROTO=TCP SPT=51000 DPT=22",
    ];
    lines.iter().flat_map(|l| mapper.map_line(l)).collect()
}

#[test]
fn mapped_events_round_trip_through_json_lines() {
    let events = mapped_events();
    assert!(events.len() >= 4, "{}", events.len());
    let mut decoder = OcsfJson::<V1_1_0>::new();
    let mut out = Vec::new();
    for event in &events {
        let line = serde_json::to_string(event).expect("json");
        decoder.decode_line(&line, &mut out);
    }
    for (i, (got, want)) in out.iter().zip(&events).enumerate() {
        match got {
            Ok(got) => assert_eq!(got, want, "event {i}"),
            Err(rejected) => panic!("event {i} rejected: {:?}", rejected.reasons),
        }
    }
    assert_eq!(decoder.stats().events, events.len() as u64);
    assert_eq!(decoder.stats().rejected, 0);
}

#[test]
fn documents_of_every_shape() {
    let events = mapped_events();
    let pretty = serde_json::to_string_pretty(&events).expect("json");
    let lines: String = events
        .iter()
        .map(|e| serde_json::to_string(e).expect("json") + "\n")
        .collect();
    for doc in [pretty.clone(), lines, format!("{pretty}\n{pretty}")] {
        let mut decoder = OcsfJson::<V1_1_0>::new();
        let got: Vec<Event> = decoder
            .decode_reader(doc.as_bytes())
            .map(|item| item.expect("json").expect("valid"))
            .collect();
        assert_eq!(got.len() % events.len(), 0);
        assert_eq!(&got[..events.len()], &events[..]);
    }
}

#[test]
fn invalid_events_are_rejected_with_reasons_and_the_rest_decodes() {
    let events = mapped_events();
    let mut bad = serde_json::to_value(&events[0]).expect("json");
    bad["severity_id"] = serde_json::json!("high");
    let mut other_version = serde_json::to_value(&events[0]).expect("json");
    other_version["metadata"]["version"] = serde_json::json!("0.9.0");
    let good = serde_json::to_string(&events[1]).expect("json");
    let doc = format!("{bad}\n{other_version}\n42\n{good}\n");
    let mut decoder = OcsfJson::<V1_1_0>::new();
    let items: Vec<_> = decoder
        .decode_reader(doc.as_bytes())
        .map(|item| item.expect("json"))
        .collect();
    assert_eq!(items.len(), 4);
    let reasons = |i: usize| items[i].as_ref().expect_err("rejected").reasons.join("; ");
    assert!(reasons(0).contains("severity_id"), "{}", reasons(0));
    assert!(reasons(1).contains("0.9.0"), "{}", reasons(1));
    assert!(reasons(2).contains("not a JSON object"), "{}", reasons(2));
    assert_eq!(items[0].as_ref().expect_err("rejected").raw, bad);
    assert_eq!(items[0].as_ref().expect_err("rejected").index, 0);
    assert_eq!(items[3].as_ref().expect("valid"), &events[1]);
    assert_eq!((decoder.stats().events, decoder.stats().rejected), (1, 3));
}

#[test]
fn a_document_that_stops_being_json_ends_with_an_error() {
    let events = mapped_events();
    let doc = format!(
        "{}\n{{\"class_uid\": 3002,",
        serde_json::to_string(&events[0]).expect("json")
    );
    let mut decoder = OcsfJson::<V1_1_0>::new();
    let items: Vec<_> = decoder.decode_reader(doc.as_bytes()).collect();
    assert_eq!(items.len(), 2);
    assert!(matches!(items[0], Ok(Ok(_))));
    let error = items[1].as_ref().expect_err("not json");
    assert_eq!(error.kind(), ocsf_mappers::ErrorKind::InvalidJson);
}

#[test]
fn events_without_a_version_take_the_default_or_are_rejected() {
    let events = mapped_events();
    let mut value = serde_json::to_value(&events[0]).expect("json");
    value["metadata"]
        .as_object_mut()
        .expect("metadata")
        .remove("version");
    let mut strict = OcsfJson::<V1_1_0>::new();
    let rejected = strict.decode_value(value.clone()).expect_err("no version");
    assert!(rejected.reasons[0].contains("metadata.version"));
    let mut lenient = OcsfJson::<V1_1_0>::new().with_default_version("1.1.0");
    let decoded = lenient
        .decode_value(value)
        .expect("valid with the default version");
    assert_eq!(decoded, events[0]);
}

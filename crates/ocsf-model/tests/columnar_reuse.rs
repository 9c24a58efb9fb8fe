//! Decoding in place (`decode_batch_reusing`) over events of every other shape equals decoding
//! afresh: no attribute of an event a slot held before (or of a spare value the decoder took out
//! of another row) survives into the new one, and maps keep the order of the row's keys. A
//! caption the enum has is read back borrowed, whatever the slot held before.

use ocsf_model::columnar::{BatchEncoder, ColumnarOptions, decode_batch, decode_batch_reusing};
use std::borrow::Cow;

use ocsf_model::v1_1_0::events::{
    Authentication, AuthenticationActivityId, AuthenticationAuthProtocolId, SeverityId,
};
use ocsf_model::v1_1_0::objects::{Metadata, NetworkEndpoint, Observable, Product, User};
use serde_json::{Map, Value, json};

fn base(time: i64) -> Authentication {
    Authentication::new(
        AuthenticationActivityId::Logon,
        Metadata::new(Product::default(), "1.1.0".into()),
        SeverityId::Low,
        time,
        User::default(),
    )
}

fn endpoint(ip: Option<&str>, hostname: Option<&str>, port: Option<i32>) -> NetworkEndpoint {
    let mut e = NetworkEndpoint::default();
    e.ip = ip.map(str::to_owned);
    e.hostname = hostname.map(str::to_owned);
    e.port = port;
    e
}

fn observable(name: &str, value: Option<&str>) -> Observable {
    let mut o = Observable::default();
    o.name = Some(name.to_owned());
    o.value = value.map(str::to_owned);
    o
}

fn map(value: Value) -> Option<Map<String, Value>> {
    match value {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Events whose strings, boxed objects, lists of objects, string lists and maps are present in
/// some rows and absent in others, with different attributes set when present.
fn events() -> Vec<Authentication> {
    let mut full = base(1);
    full.src_endpoint = Some(Box::new(endpoint(Some("192.0.2.1"), Some("a"), Some(1))));
    full.status_detail = Some("first detail".into());
    full.observables = Some(vec![
        observable("o1", Some("v1")),
        observable("o2", Some("v2")),
        observable("o3", None),
    ]);
    full.metadata.labels = Some(vec!["l1".into(), "l2".into(), "l3".into()]);
    full.unmapped = map(json!({"protocol": "ssh2", "ssh_key": "RSA", "extra": null}));
    // A caption the enum cannot derive (a source's own text for Other) is owned.
    full.set_auth_protocol_id(AuthenticationAuthProtocolId::Other);
    full.auth_protocol = Some(Cow::Owned("password".into()));
    full.status = Some(Cow::Owned("a status of its own".into()));

    let empty = base(2);

    let mut other = base(3);
    other.src_endpoint = Some(Box::new(endpoint(Some("198.51.100.2"), None, None)));
    other.status_detail = Some("x".into());
    other.observables = Some(vec![observable("o4", None)]);
    other.metadata.labels = Some(vec!["m".into()]);
    other.unmapped = map(json!({"ssh_key": "ED25519", "protocol": "ssh2"}));
    other.set_auth_protocol_id(AuthenticationAuthProtocolId::Kerberos);

    let mut third = base(4);
    third.src_endpoint = Some(Box::new(endpoint(None, None, Some(22))));
    third.observables = Some(vec![
        observable("o5", Some("v5")),
        observable("o6", None),
        observable("o7", Some("v7")),
        observable("o8", Some("v8")),
    ]);
    third.metadata.labels = Some(Vec::new());
    third.unmapped = map(json!({"protocol": "ssh1"}));
    third.set_auth_protocol_id(AuthenticationAuthProtocolId::Other);
    third.auth_protocol = Some(Cow::Owned(
        "publickey, a longer caption than the first".into(),
    ));

    let mut fourth = base(5);
    fourth.status_detail = Some(String::new());
    fourth.observables = Some(Vec::new());
    fourth.unmapped = map(json!({}));
    fourth.auth_protocol = Some(Cow::Owned(String::new()));

    vec![full, empty, other, third, fourth]
}

fn batch(events: &[Authentication]) -> arrow_array::RecordBatch {
    let mut encoder =
        BatchEncoder::<Authentication>::new(&ColumnarOptions::default()).expect("encoder");
    for e in events {
        encoder.append(e);
    }
    encoder.finish().expect("batch")
}

/// Whether every caption of `event` that its enum has is borrowed (`Cow` equality does not tell
/// an owned copy from the static caption).
fn static_captions_borrowed(event: &Authentication) -> bool {
    let borrowed = |c: &Option<Cow<'static, str>>| !matches!(c, Some(Cow::Owned(_)));
    let kerberos = event.auth_protocol.as_deref() == Some("Kerberos");
    borrowed(&event.activity_name)
        && borrowed(&event.severity)
        && (!kerberos || borrowed(&event.auth_protocol))
}

/// The events as JSON text: equal events with maps in another key order differ here.
fn text(events: &[Authentication]) -> Vec<String> {
    events
        .iter()
        .map(|e| serde_json::to_string(e).expect("json"))
        .collect()
}

#[test]
fn every_row_decoded_over_every_other_event_equals_the_fresh_one() {
    let events = events();
    let n = events.len();
    // Each row after each other row and over each previous event: the row order of the batch
    // decides which spare values (taken out of earlier rows) later rows get.
    let mut orders: Vec<Vec<usize>> = Vec::new();
    for first in 0..n {
        orders.push((0..n).map(|k| (first + k) % n).collect());
        orders.push((0..n).rev().map(|k| (first + k) % n).collect());
    }
    let mut checked = 0;
    for order in &orders {
        let rows: Vec<Authentication> = order.iter().map(|&i| events[i].clone()).collect();
        let batch = batch(&rows);
        let fresh: Vec<Authentication> = decode_batch(&batch).expect("decode");
        assert_eq!(fresh, rows, "round trip of {order:?}");
        for previous in &orders {
            for shift in 0..n {
                let mut reused: Vec<Authentication> = previous
                    .iter()
                    .map(|&i| events[(i + shift) % n].clone())
                    .collect();
                decode_batch_reusing(&batch, &mut reused).expect("in place");
                assert_eq!(reused, fresh, "{order:?} over {previous:?} shifted {shift}");
                assert_eq!(text(&reused), text(&fresh), "{order:?} over {previous:?}");
                assert!(
                    reused.iter().all(static_captions_borrowed),
                    "{order:?} over {previous:?}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, orders.len() * orders.len() * n);
}

#[test]
fn batch_after_batch_into_one_vector_equals_each_fresh_batch() {
    let events = events();
    let mut reused: Vec<Authentication> = Vec::new();
    // Batches of varying lengths and contents: the vector grows, shrinks and is overwritten.
    for round in 0..12 {
        let len = 1 + (round * 7) % 9;
        let rows: Vec<Authentication> = (0..len)
            .map(|k| events[(round + k * 3) % events.len()].clone())
            .collect();
        let batch = batch(&rows);
        decode_batch_reusing(&batch, &mut reused).expect("in place");
        assert_eq!(reused, rows, "round {round}");
        assert_eq!(text(&reused), text(&rows), "round {round}");
    }
}

//! Typed events -> Arrow -> Parquet -> typed events, for every class of OCSF 1.1.0, with events
//! generated from the schema tables (nested objects, arrays, maps, recursion past the depth
//! limit), and the schema rules a source relies on.

use arrow_schema::DataType;
use ocsf_model::columnar::{
    BatchEncoder, ColumnarOptions, arrow_schema, decode_batch, decode_batch_reusing,
};
use ocsf_model::{ClassVisitor, OcsfEvent};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use securitylake_parquet::{read_parquet, write_parquet};
use serde_json::{Map, Value, json};

#[path = "../../ocsf-model/tests/support/sample.rs"]
mod sample;
use sample::Gen;

struct RoundTrip {
    classes: usize,
    columns: usize,
}

impl ClassVisitor for RoundTrip {
    fn visit<E: OcsfEvent>(&mut self) {
        let schema = E::schema();
        let class = schema
            .class_by_uid(i64::from(E::CLASS_UID))
            .expect("the class is in the tables");
        let full: E = serde_json::from_value(
            Gen {
                schema,
                full: true,
                max_nesting: 4,
            }
            .event(class),
        )
        .unwrap_or_else(|e| {
            panic!(
                "{}: the generated full event does not read: {e}",
                E::CLASS_NAME
            )
        });
        let minimal: E = serde_json::from_value(
            Gen {
                schema,
                full: false,
                max_nesting: 4,
            }
            .event(class),
        )
        .unwrap_or_else(|e| {
            panic!(
                "{}: the generated minimal event does not read: {e}",
                E::CLASS_NAME
            )
        });
        let events = vec![full, minimal];

        let mut encoder = BatchEncoder::<E>::new(&ColumnarOptions::default()).expect("encoder");
        for e in &events {
            encoder.append(e);
        }
        let batch = encoder.finish().expect("batch");
        self.columns += batch.num_columns();
        assert_no_null_types(batch.schema().fields(), E::CLASS_NAME);
        let back: Vec<E> = decode_batch(&batch).expect("decode");
        assert_eq!(back, events, "{}: Arrow round trip", E::CLASS_NAME);
        assert_eq!(encoder.stats().invalid_datetimes, 0);

        // Decoding in place over events of another shape gives the same events: full over
        // minimal (absent -> present), minimal over full (present -> absent), surplus dropped.
        let (full, minimal) = (&events[0], &events[1]);
        let mut reused = vec![minimal.clone(), full.clone(), full.clone()];
        decode_batch_reusing(&batch, &mut reused).expect("decode in place");
        assert_eq!(reused, events, "{}: decoding in place", E::CLASS_NAME);
        encoder.append(minimal);
        encoder.append(full);
        let swapped = encoder.finish().expect("batch");
        decode_batch_reusing(&swapped, &mut reused).expect("decode in place");
        assert_eq!(
            reused,
            [minimal.clone(), full.clone()],
            "{}: decoding in place, swapped",
            E::CLASS_NAME
        );
        let mut growing = vec![minimal.clone()];
        decode_batch_reusing(&batch, &mut growing).expect("decode in place");
        assert_eq!(
            growing,
            events,
            "{}: decoding in place, more rows",
            E::CLASS_NAME
        );

        let bytes = bytes::Bytes::from(
            write_parquet(&events, &ColumnarOptions::default()).expect("parquet"),
        );
        // `read_parquet` reads strings as views; every column read with the plain Arrow types
        // decodes to the same events.
        let plain: Vec<E> = ParquetRecordBatchReaderBuilder::try_new(bytes.clone())
            .expect("footer")
            .build()
            .expect("reader")
            .flat_map(|b| decode_batch::<E>(&b.expect("batch")).expect("decode"))
            .collect();
        let mut from_file: Vec<E> = read_parquet(bytes).expect("read parquet");
        assert_eq!(
            from_file,
            plain,
            "{}: views and plain strings",
            E::CLASS_NAME
        );
        // The file is sorted by time; both events share one time, so the order is kept.
        from_file.sort_by_key(|e| serde_json::to_string(e).map(|s| s.len()).unwrap_or(0));
        let mut expected = events;
        expected.sort_by_key(|e| serde_json::to_string(e).map(|s| s.len()).unwrap_or(0));
        assert_eq!(from_file, expected, "{}: Parquet round trip", E::CLASS_NAME);
        self.classes += 1;
    }
}

fn assert_no_null_types(fields: &arrow_schema::Fields, class: &str) {
    for f in fields {
        match f.data_type() {
            DataType::Null => panic!("{class}: `{}` is Null-typed", f.name()),
            DataType::Struct(children) => {
                assert!(
                    !children.is_empty(),
                    "{class}: `{}` is an empty struct",
                    f.name()
                );
                assert_no_null_types(children, class);
            }
            DataType::List(item) => {
                assert_eq!(item.name(), "element");
                assert_no_null_types(&vec![item.as_ref().clone()].into(), class)
            }
            _ => {}
        }
    }
}

/// A 1.1.0 Authentication event from [`Gen`]: every attribute (`full`) or only the required ones.
fn authentication(full: bool, max_nesting: usize) -> ocsf_model::v1_1_0::events::Authentication {
    let schema = &ocsf_model::v1_1_0::SCHEMA;
    let class = schema.class("authentication").expect("class");
    serde_json::from_value(
        Gen {
            schema,
            full,
            max_nesting,
        }
        .event(class),
    )
    .expect("authentication event")
}

#[test]
fn every_1_1_0_class_round_trips_through_arrow_and_parquet() {
    let mut visitor = RoundTrip {
        classes: 0,
        columns: 0,
    };
    ocsf_model::v1_1_0::visit_classes(&mut visitor);
    assert_eq!(visitor.classes, ocsf_model::v1_1_0::SCHEMA.classes.len());
    eprintln!(
        "{} classes round-tripped, {} top-level columns",
        visitor.classes, visitor.columns
    );
}

#[test]
fn physical_types_follow_security_lake() {
    use ocsf_model::v1_1_0::events::Authentication;
    let schema = arrow_schema::<Authentication>(&ColumnarOptions::default()).expect("schema");
    let ty = |name: &str| {
        schema
            .field_with_name(name)
            .expect(name)
            .data_type()
            .clone()
    };
    assert_eq!(ty("time"), DataType::Int64);
    assert_eq!(ty("activity_id"), DataType::Int32);
    assert_eq!(ty("class_uid"), DataType::Int32);
    assert_eq!(ty("type_uid"), DataType::Int64);
    assert_eq!(ty("severity"), DataType::Utf8);
    assert!(
        matches!(ty("time_dt"), DataType::Timestamp(arrow_schema::TimeUnit::Millisecond, Some(tz)) if &*tz == "UTC")
    );
    assert!(matches!(ty("unmapped"), DataType::Map(_, false)));
    assert!(matches!(ty("observables"), DataType::List(_)));
    let DataType::Struct(src) = ty("src_endpoint") else {
        panic!("struct")
    };
    let port = src.iter().find(|f| f.name() == "port").expect("port");
    assert_eq!(port.data_type(), &DataType::Int32);
    let DataType::Struct(actor) = ty("actor") else {
        panic!("struct")
    };
    let process = actor
        .iter()
        .find(|f| f.name() == "process")
        .expect("process");
    let DataType::Struct(process) = process.data_type() else {
        panic!("struct")
    };
    let parent = process
        .iter()
        .find(|f| f.name() == "parent_process")
        .expect("parent");
    assert_eq!(
        parent.data_type(),
        &DataType::Utf8,
        "beyond the recursion depth: JSON text"
    );
}

#[test]
fn projection_profiles_and_depth_change_the_schema_deterministically() {
    use ocsf_model::v1_1_0::events::Authentication;
    let full = arrow_schema::<Authentication>(&ColumnarOptions::default()).expect("schema");
    let again = arrow_schema::<Authentication>(&ColumnarOptions::default()).expect("schema");
    assert_eq!(full, again);
    let narrow =
        ColumnarOptions::default().with_projection(["user.name", "src_endpoint.ip", "status_id"]);
    let schema = arrow_schema::<Authentication>(&narrow).expect("schema");
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    for required in [
        "activity_id",
        "class_uid",
        "metadata",
        "severity_id",
        "time",
        "type_uid",
        "user",
    ] {
        assert!(names.contains(&required), "{required} in {names:?}");
    }
    assert!(names.contains(&"src_endpoint") && names.contains(&"status_id"));
    assert!(!names.contains(&"dst_endpoint"));
    let DataType::Struct(src) = schema
        .field_with_name("src_endpoint")
        .expect("src")
        .data_type()
        .clone()
    else {
        panic!("struct")
    };
    assert_eq!(src.len(), 1);
    let no_cloud =
        arrow_schema::<Authentication>(&ColumnarOptions::default().with_profiles(["host"]))
            .expect("schema");
    assert!(no_cloud.field_with_name("cloud").is_err());
    assert!(full.field_with_name("cloud").is_ok());
    let deeper =
        arrow_schema::<Authentication>(&ColumnarOptions::default().with_recursion_depth(2))
            .expect("schema");
    assert!(deeper.fields().len() == full.fields().len() && deeper != full);
    assert!(
        arrow_schema::<Authentication>(&ColumnarOptions::default().with_projection(["nope"]))
            .is_err()
    );
    // A required object with no required attribute (`user`) is kept whole when the projection
    // names none of its attributes; one with required attributes (`metadata`) keeps only those.
    let other =
        arrow_schema::<Authentication>(&ColumnarOptions::default().with_projection(["message"]))
            .expect("schema");
    let fields_of = |schema: &arrow_schema::Schema, name: &str| -> Vec<String> {
        match schema.field_with_name(name).expect(name).data_type() {
            DataType::Struct(f) => f.iter().map(|f| f.name().clone()).collect(),
            other => panic!("{name} is {other}"),
        }
    };
    let user = fields_of(&other, "user");
    assert!(
        ["name", "uid", "domain", "type_id"]
            .iter()
            .all(|n| user.iter().any(|u| u == n)),
        "{user:?}"
    );
    assert_eq!(user, fields_of(&full, "user"), "the whole object");
    let metadata = fields_of(&other, "metadata");
    assert!(metadata.iter().any(|n| n == "product") && metadata.iter().any(|n| n == "version"));
    assert!(!metadata.iter().any(|n| n == "log_name"), "{metadata:?}");
}

#[test]
fn projected_writes_keep_the_projected_values() {
    use ocsf_model::v1_1_0::events::Authentication;
    let event = authentication(true, 3);
    let options = ColumnarOptions::default().with_projection(["user.name", "src_endpoint.ip"]);
    let mut encoder = BatchEncoder::<Authentication>::new(&options).expect("encoder");
    encoder.append(&event);
    let batch = encoder.finish().expect("batch");
    let back: Vec<Authentication> = decode_batch(&batch).expect("decode");
    assert_eq!(
        back[0].user.as_ref().and_then(|u| u.name.clone()),
        event.user.as_ref().and_then(|u| u.name.clone())
    );
    assert!(back[0].user.as_ref().is_some_and(|u| u.name.is_some()));
    assert_eq!(
        back[0].src_endpoint.as_ref().and_then(|e| e.ip.clone()),
        event.src_endpoint.as_ref().and_then(|e| e.ip.clone())
    );
    assert!(back[0].dst_endpoint.is_none());
    assert_eq!(back[0].time, event.time);
    // What the projection leaves out is counted, not silently skipped.
    assert!(encoder.stats().left_out > 0);
    let mut full =
        BatchEncoder::<Authentication>::new(&ColumnarOptions::default()).expect("encoder");
    full.append(&event);
    assert_eq!(full.stats().left_out, 0);
    // An event within the projection leaves nothing out; one object outside it counts once.
    let mut projected = BatchEncoder::<Authentication>::new(&options).expect("encoder");
    let mut within = back[0].clone();
    projected.append(&within);
    assert_eq!(projected.stats().left_out, 0);
    within.dst_endpoint = event.dst_endpoint.clone();
    assert!(within.dst_endpoint.is_some());
    projected.append(&within);
    assert_eq!(projected.stats().left_out, 1);
}

#[test]
fn a_batch_of_another_class_is_refused() {
    use ocsf_model::v1_1_0::events::{Authentication, NetworkActivity};
    let event = authentication(false, 2);
    let mut encoder =
        BatchEncoder::<Authentication>::new(&ColumnarOptions::default()).expect("encoder");
    encoder.append(&event);
    let batch = encoder.finish().expect("batch");
    let err = decode_batch::<NetworkActivity>(&batch).expect_err("another class");
    assert!(err.to_string().contains("class_uid 3002"), "{err}");
}

#[test]
fn unmapped_maps_decode_in_place_like_fresh() {
    use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    use ocsf_model::v1_1_0::objects::{Metadata, Product, User};

    let event = |time: i64, unmapped: Value| {
        let mut e = Authentication::new(
            AuthenticationActivityId::Logon,
            Metadata::new(Product::default(), "1.1.0".into()),
            SeverityId::Low,
            time,
            User::default(),
        );
        e.unmapped = match unmapped {
            Value::Object(m) => Some(m),
            _ => None,
        };
        e
    };
    let events = [
        event(1, json!({"a": "1", "b": "x"})),
        event(2, json!({"a": "2", "b": null})),
        event(3, json!({"b": "3", "a": "4"})),
        event(4, json!({"a": "5"})),
        event(5, json!({"a": 7, "b": {"n": true}})),
        event(6, Value::Null),
        event(7, json!({})),
    ];
    let mut encoder =
        BatchEncoder::<Authentication>::new(&ColumnarOptions::default()).expect("encoder");
    for e in &events {
        encoder.append(e);
    }
    let batch = encoder.finish().expect("batch");
    let fresh: Vec<Authentication> = decode_batch(&batch).expect("decode");
    // Non-string values come back as their JSON text.
    assert_eq!(
        fresh[4].unmapped.as_ref().and_then(|m| m.get("a")),
        Some(&json!("7"))
    );
    // Over events of one shape: same keys (in place), other order, fewer keys, none.
    let mut reused = vec![fresh[0].clone(); events.len()];
    decode_batch_reusing(&batch, &mut reused).expect("in place");
    assert_eq!(reused, fresh);
    // Over the same events: every row takes the in-place path.
    decode_batch_reusing(&batch, &mut reused).expect("in place");
    assert_eq!(reused, fresh);
    // Over events without a map, and with maps of other shapes.
    let mut reused: Vec<Authentication> = fresh.iter().rev().cloned().collect();
    decode_batch_reusing(&batch, &mut reused).expect("in place");
    assert_eq!(reused, fresh);
}

#[test]
fn strings_are_read_as_views_in_structs_and_lists_but_not_maps() {
    use bytes::Bytes;
    use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
    use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
    use securitylake_parquet::string_views;

    let mut metadata = Metadata::new(Product::default(), "1.1.0".into());
    metadata.labels = Some(vec!["a".into(), "b".into()]);
    let mut event = Authentication::new(
        AuthenticationActivityId::Logon,
        metadata,
        SeverityId::Low,
        1_000,
        User::default(),
    );
    event.unmapped = Some(serde_json::from_value(json!({"k": "v"})).expect("map"));
    let bytes = Bytes::from(write_parquet(&[event], &ColumnarOptions::default()).expect("write"));
    let plain = ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new()).expect("footer");
    let viewed = string_views(plain.clone());
    let field = |m: &ArrowReaderMetadata, name: &str| {
        m.schema()
            .field_with_name(name)
            .expect("column")
            .data_type()
            .clone()
    };
    assert_eq!(field(&plain, "message"), DataType::Utf8);
    assert_eq!(field(&viewed, "message"), DataType::Utf8View);
    let DataType::Struct(meta) = field(&viewed, "metadata") else {
        panic!("metadata is a struct")
    };
    let labels = meta.find("labels").expect("labels").1;
    let DataType::List(item) = labels.data_type() else {
        panic!("labels is a list")
    };
    assert_eq!(item.data_type(), &DataType::Utf8View);
    let product = meta.find("product").expect("product").1;
    let DataType::Struct(product) = product.data_type() else {
        panic!("product is a struct")
    };
    assert_eq!(
        product.find("name").expect("name").1.data_type(),
        &DataType::Utf8View
    );
    // Map entries keep their declared types.
    assert_eq!(field(&viewed, "unmapped"), field(&plain, "unmapped"));
    // A schema without strings comes back unchanged.
    assert_eq!(viewed.schema(), string_views(viewed.clone()).schema());
}

#[test]
fn reading_only_populated_columns_keeps_empty_objects_and_lists() {
    use bytes::Bytes;
    use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    use ocsf_model::v1_1_0::objects::{Group, Metadata, NetworkEndpoint, Product, User};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use securitylake_parquet::populated_columns;

    let event = |time: i64| {
        let mut product = Product::default();
        product.name = Some("sshd".into());
        let mut user = User::default();
        user.name = Some(format!("user{time}"));
        Authentication::new(
            AuthenticationActivityId::Logon,
            Metadata::new(product, "1.1.0".into()),
            SeverityId::Low,
            time,
            user,
        )
    };
    // Present but empty: an object with no attribute set, an empty list, a list whose only
    // element is an empty object. Their leaves are all null; their presence must survive.
    let mut empty_object = event(1);
    empty_object.dst_endpoint = Some(Box::new(NetworkEndpoint::default()));
    let mut empty_list = event(2);
    empty_list.observables = Some(Vec::new());
    let mut empty_element = event(3);
    if let Some(user) = empty_element.user.as_mut() {
        user.groups = Some(vec![Group::default()]);
    }
    let plain = event(4);
    let events = vec![empty_object, empty_list, empty_element, plain];

    let bytes = Bytes::from(write_parquet(&events, &ColumnarOptions::default()).expect("write"));
    let back: Vec<Authentication> = read_parquet(bytes.clone()).expect("read");
    assert_eq!(back, events);

    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).expect("footer");
    let all = builder
        .metadata()
        .file_metadata()
        .schema_descr()
        .num_columns();
    let mask = populated_columns(builder.metadata());
    let read = (0..all).filter(|&i| mask.leaf_included(i)).count();
    assert!(read < all / 10, "{read} of {all} leaves read");
    // The witnesses: one leaf of dst_endpoint, of observables and of user.groups.
    let schema = builder.metadata().file_metadata().schema_descr();
    let included = |prefix: &str| {
        (0..all)
            .any(|i| mask.leaf_included(i) && schema.column(i).path().string().starts_with(prefix))
    };
    assert!(included("dst_endpoint."));
    assert!(included("observables."));
    assert!(included("user.groups."));
    assert!(!included("src_endpoint."));
}

#[test]
fn batches_of_varying_lengths_share_null_columns_correctly() {
    use ocsf_model::v1_1_0::events::Authentication;
    use parquet::arrow::ArrowWriter;

    let full = authentication(true, 3);
    let minimal = authentication(false, 3);
    // The encoder keeps the all-null arrays of never-written columns from batch to batch and
    // slices them: a long batch, shorter ones, a longer one again, mixing shapes so that a
    // column is null in one batch and written in the next.
    let mut encoder =
        BatchEncoder::<Authentication>::new(&ColumnarOptions::default()).expect("encoder");
    let shapes: [&[&Authentication]; 5] = [
        &[&minimal, &minimal, &minimal, &minimal],
        &[&minimal],
        &[&full, &minimal],
        &[&minimal; 7],
        &[&minimal, &full, &minimal],
    ];
    let mut file = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut file, encoder.schema().clone(), None).expect("w");
    let mut expected = Vec::new();
    for shape in shapes {
        for e in shape {
            encoder.append(e);
        }
        let batch = encoder.finish().expect("batch");
        batch
            .columns()
            .iter()
            .try_for_each(|c| c.to_data().validate_full())
            .expect("valid arrays");
        let back: Vec<Authentication> = decode_batch(&batch).expect("decode");
        let want: Vec<Authentication> = shape.iter().map(|e| (*e).clone()).collect();
        assert_eq!(back, want);
        writer.write(&batch).expect("write");
        expected.extend(want);
    }
    writer.close().expect("close");
    let from_file: Vec<Authentication> = read_parquet(file.into()).expect("read");
    assert_eq!(from_file, expected);
}

#[test]
fn invalid_date_times_and_odd_map_values_are_nulls_and_text() {
    use arrow_array::cast::AsArray;
    use arrow_array::{Array, MapArray};
    use ocsf_model::v1_1_0::events::Authentication;

    let minimal = authentication(false, 3);
    let mut odd = minimal.clone();
    odd.time_dt = Some("not a date".into());
    let mut unmapped = Map::new();
    unmapped.insert("a".into(), Value::Null);
    unmapped.insert("b".into(), json!(1));
    unmapped.insert("c".into(), json!("text"));
    unmapped.insert("d".into(), json!({"x": [true]}));
    odd.unmapped = Some(unmapped);

    let mut encoder =
        BatchEncoder::<Authentication>::new(&ColumnarOptions::default()).expect("encoder");
    for e in [&minimal, &odd, &minimal] {
        encoder.append(e);
    }
    let batch = encoder.finish().expect("batch");
    batch
        .columns()
        .iter()
        .try_for_each(|c| c.to_data().validate_full())
        .expect("valid arrays");
    let time_dt = batch.column_by_name("time_dt").expect("time_dt");
    assert_eq!(time_dt.null_count(), 3);
    let unmapped = batch.column_by_name("unmapped").expect("unmapped");
    let map: &MapArray = unmapped.as_map();
    assert_eq!(map.nulls().map(|n| n.null_count()), Some(2));
    assert!(map.is_valid(1));
    let keys = map.keys().as_string::<i32>();
    let values = map.values().as_string::<i32>();
    assert_eq!(
        (0..keys.len()).map(|i| keys.value(i)).collect::<Vec<_>>(),
        ["a", "b", "c", "d"]
    );
    let values: Vec<Option<&str>> = values.iter().collect();
    assert_eq!(
        values,
        [None, Some("1"), Some("text"), Some(r#"{"x":[true]}"#)]
    );
    let back: Vec<Authentication> = decode_batch(&batch).expect("decode");
    assert_eq!(back[0], minimal);
    assert_eq!(back[1].time_dt, None);
    assert_eq!(back[2], minimal);
    assert_eq!(encoder.stats().invalid_datetimes, 1);

    // The counters add up across batches.
    encoder.append(&odd);
    let batch = encoder.finish().expect("batch");
    assert_eq!(batch.num_rows(), 1);
    assert_eq!(encoder.stats().invalid_datetimes, 2);
}

/// A null element of a float list, which another writer may produce (this crate writes none),
/// reads back as NaN, as a `null` element of a float array in JSON does; other elements keep
/// their values and a null list stays absent.
#[test]
fn a_null_float_list_element_from_another_writer_reads_as_nan() {
    use arrow_array::builder::{Float32Builder, ListBuilder};
    use arrow_array::{ArrayRef, RecordBatch};
    use ocsf_model::v1_1_0::objects::Location;
    use std::sync::Arc;

    let mut coordinates = ListBuilder::new(Float32Builder::new()).with_field(Arc::new(
        arrow_schema::Field::new("element", DataType::Float32, true),
    ));
    coordinates.values().append_value(1.5);
    coordinates.values().append_null();
    coordinates.values().append_value(f32::NEG_INFINITY);
    coordinates.append(true);
    coordinates.append(false);
    let coordinates: ArrayRef = Arc::new(coordinates.finish());
    let batch = RecordBatch::try_from_iter([("coordinates", coordinates)]).expect("batch");
    let back: Vec<Location> = decode_batch(&batch).expect("decode");
    let first = back[0].coordinates.as_deref().expect("a list");
    assert_eq!(first.len(), 3);
    assert_eq!(first[0], 1.5);
    assert!(first[1].is_nan(), "{first:?}");
    assert_eq!(first[2], f64::NEG_INFINITY);
    assert_eq!(back[1].coordinates, None);
}

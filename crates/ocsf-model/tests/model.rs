//! The generated model's contract: constructors derive, enums round-trip, unknown data stays.
#![cfg(feature = "v1_1_0")]

use ocsf_model::v1_1_0::events::{
    Authentication, AuthenticationActivityId, DetectionFinding, DetectionFindingActivityId,
    SeverityId,
};
use ocsf_model::v1_1_0::objects::{FindingInfo, Metadata, Product, User};
use ocsf_model::{OcsfEnum, OcsfEvent};
use serde_json::json;

fn metadata() -> Metadata {
    let mut product = Product::default();
    product.name = Some("sshd".into());
    product.vendor_name = Some("OpenBSD".into());
    Metadata::new(product, "1.1.0".into())
}

fn logon() -> Authentication {
    Authentication::new(
        AuthenticationActivityId::Logon,
        metadata(),
        SeverityId::Informational,
        1_700_000_000_000,
        User::default(),
    )
}

#[test]
fn constructor_derives_uids_and_captions() {
    let e = logon();
    assert_eq!(e.class_uid(), 3002);
    assert_eq!(e.category_uid(), 3);
    assert_eq!(e.type_uid(), 300201);
    assert_eq!(e.class_name(), Some("Authentication"));
    assert_eq!(e.category_name(), Some("Identity & Access Management"));
    assert_eq!(e.type_name(), Some("Authentication: Logon"));
    assert_eq!(e.activity_name.as_deref(), Some("Logon"));
    assert_eq!(e.severity.as_deref(), Some("Informational"));
    assert_eq!(<Authentication as OcsfEvent>::OCSF_VERSION, "1.1.0");
    assert_eq!(e.time(), 1_700_000_000_000);
}

#[test]
fn setters_keep_siblings_consistent_and_keep_source_text_for_other() {
    let mut e = logon();
    e.set_activity_id(AuthenticationActivityId::Logoff);
    assert_eq!(e.type_uid(), 300202);
    assert_eq!(e.activity_name.as_deref(), Some("Logoff"));
    assert_eq!(e.type_name(), Some("Authentication: Logoff"));
    e.activity_name = Some("Session Lock".into());
    e.set_activity_id(AuthenticationActivityId::Other);
    assert_eq!(e.type_uid(), 300299);
    assert_eq!(
        e.activity_name.as_deref(),
        Some("Session Lock"),
        "the source's text stays for Other"
    );
    assert_eq!(e.type_name(), Some("Authentication: Session Lock"));
}

#[test]
fn enums_have_captions_parse_and_keep_unrecognized_values() {
    assert_eq!(SeverityId::High.to_string(), "High");
    assert_eq!("critical".parse::<SeverityId>(), Ok(SeverityId::Critical));
    assert_eq!("4".parse::<SeverityId>(), Ok(SeverityId::High));
    assert!("Apocalyptic".parse::<SeverityId>().is_err());
    let odd = SeverityId::from_id(42);
    assert_eq!(odd, SeverityId::Unrecognized(42));
    assert_eq!(odd.id(), 42);
    assert!(!odd.is_recognized());
    assert_eq!(serde_json::to_value(odd).expect("json"), json!(42));
    assert_eq!(
        serde_json::from_value::<SeverityId>(json!(42)).expect("json"),
        odd
    );
    assert_eq!(OcsfEnum::caption(SeverityId::Low), Some("Low"));
    assert!(SeverityId::ALL.contains(&SeverityId::Fatal));
}

#[test]
fn unknown_and_unmapped_data_survive_a_round_trip() {
    let mut value = serde_json::to_value(logon()).expect("json");
    value["x_vendor_field"] = json!({"nested": [1, 2, 3]});
    value["unmapped"] = json!({"raw.key": "v", "n": "1"});
    value["user"]["x_user_extra"] = json!(true);
    value["severity_id"] = json!(77);
    let e: Authentication = serde_json::from_value(value.clone()).expect("reads");
    assert_eq!(e.unknown["x_vendor_field"], json!({"nested": [1, 2, 3]}));
    assert_eq!(e.severity_id, SeverityId::Unrecognized(77));
    assert_eq!(serde_json::to_value(&e).expect("json"), value);
}

#[test]
fn a_detection_finding_is_built_from_its_required_attributes() {
    let info = FindingInfo::new("Credential stuffing".into(), "finding-1".into());
    let f = DetectionFinding::new(
        DetectionFindingActivityId::Create,
        info,
        metadata(),
        SeverityId::High,
        1_700_000_000_000,
    );
    assert_eq!(f.class_uid(), 2004);
    assert_eq!(f.type_uid(), 200401);
    let json = serde_json::to_value(&f).expect("json");
    assert_eq!(json["finding_info"]["title"], "Credential stuffing");
    assert_eq!(json["severity"], "High");
}

#[test]
fn missing_base_required_attributes_are_refused() {
    let mut value = serde_json::to_value(logon()).expect("json");
    value.as_object_mut().expect("object").remove("time");
    let err = serde_json::from_value::<Authentication>(value).expect_err("time is required");
    assert!(err.to_string().contains("time"), "{err}");
}

#[test]
fn schema_tables_agree_with_the_types() {
    let schema = <Authentication as OcsfEvent>::schema();
    assert_eq!(schema.version, "1.1.0");
    let auth = schema.class("authentication").expect("class");
    assert_eq!(auth.uid, Authentication::CLASS_UID);
    assert_eq!(
        schema.class_by_uid(3002).map(|c| c.name),
        Some("authentication")
    );
    let user = auth.attribute("user").expect("user");
    assert_eq!(user.object, Some("user"));
    assert_eq!(user.requirement, ocsf_model::schema::Requirement::Required);
    let sev = auth
        .attribute("severity_id")
        .and_then(|a| a.enumeration)
        .expect("enum");
    assert_eq!(sev.int_caption(4), Some(SeverityId::High.as_str()));
    assert_eq!(
        auth.attribute("severity_id").and_then(|a| a.sibling),
        Some("severity")
    );
    let chain: Vec<&str> = schema.type_chain("port_t").iter().map(|t| t.name).collect();
    assert_eq!(chain, ["port_t", "integer_t"]);
    assert_eq!(
        schema.data_type("port_t").and_then(|t| t.range),
        Some((0, 65535))
    );
    assert!(
        schema
            .object("user")
            .is_some_and(|u| u.attribute("name").is_some())
    );
}

//! Unit tests of the specification, the registration and drift.

use std::fmt;

use aws_sdk_securitylake::types::CustomLogSourceResource;
use securitylake_core::layout::SourceLocation;

use super::*;

fn builder(name: &str) -> CustomSourceBuilder {
    CustomSource::builder(name)
        .event_class("AUTHENTICATION")
        .principal("123456789012")
        .external_id("ext")
        .crawler_role_arn("arn:aws:iam::123456789012:role/Glue")
}

fn kind<T: fmt::Debug>(result: Result<T>) -> ErrorKind {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(err) => err.kind(),
    }
}

#[test]
fn specs_are_validated() {
    assert!(builder("my-app_1:x.y").build().is_ok());
    assert!(builder(&"a".repeat(20)).build().is_ok());
    assert_eq!(
        kind(builder(&"a".repeat(21)).build()),
        ErrorKind::InvalidInput
    );
    assert_eq!(kind(builder("").build()), ErrorKind::InvalidInput);
    assert_eq!(kind(builder("my app").build()), ErrorKind::InvalidInput);
    assert_eq!(kind(builder("my/app").build()), ErrorKind::InvalidInput);
    assert!(builder("a").version("1.0-rc_2").build().is_ok());
    assert_eq!(
        kind(builder("a").version("").build()),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(builder("a").version("1/0").build()),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(builder("a").version("1".repeat(33)).build()),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(builder("a").event_class("AUTHENTICATION").build()),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(builder("a").event_class(" ").build()),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(
            CustomSource::builder("a")
                .principal("123456789012")
                .external_id("e")
                .crawler_role_arn("arn:aws:iam::123456789012:role/G")
                .build()
        ),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(builder("a").principal("12345").build()),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(builder("a").external_id("").build()),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(
            builder("a")
                .crawler_role_arn("arn:aws:iam::123456789012:user/G")
                .build()
        ),
        ErrorKind::InvalidInput
    );
}

#[test]
fn glue_names_come_from_the_arns() {
    let source = RegisteredSource {
        source_name: "a".into(),
        source_version: None,
        provider_role_arn: "r".into(),
        location: SourceLocation::parse("s3://aws-security-data-lake-us-east-1-x/ext/a/")
            .unwrap_or_else(|e| panic!("{e}")),
        crawler_arn: Some("arn:aws:glue:us-east-1:123456789012:crawler/a".into()),
        database_arn: Some(
            "arn:aws:glue:us-east-1:123456789012:database/amazon_security_lake_glue_db_us_east_1"
                .into(),
        ),
        table_arn: Some(
            "arn:aws:glue:us-east-1:123456789012:table/amazon_security_lake_glue_db_us_east_1/amazon_security_lake_table_us_east_1_ext_a"
                .into(),
        ),
    };
    assert_eq!(source.crawler_name(), Some("a"));
    assert_eq!(
        source.glue_database(),
        Some("amazon_security_lake_glue_db_us_east_1")
    );
    assert_eq!(
        source.glue_table(),
        Some("amazon_security_lake_table_us_east_1_ext_a")
    );
    let bare = RegisteredSource {
        crawler_arn: Some("arn:aws:glue:us-east-1:1:crawler/".into()),
        database_arn: None,
        table_arn: Some("arn:aws:glue:us-east-1:1:table/db".into()),
        ..source
    };
    assert_eq!(bare.crawler_name(), None);
    assert_eq!(bare.glue_database(), None);
    assert_eq!(bare.glue_table(), None);
}

#[test]
fn responses_without_a_usable_location_are_refused() {
    use aws_sdk_securitylake::types::CustomLogSourceProvider;
    let resource = |location: &str| {
        CustomLogSourceResource::builder()
            .source_name("a")
            .provider(
                CustomLogSourceProvider::builder()
                    .role_arn("arn:aws:iam::123456789012:role/R")
                    .location(location)
                    .build(),
            )
            .build()
    };
    assert!(RegisteredSource::from_resource(&resource("s3://bucket-x/ext/a/")).is_ok());
    assert_eq!(
        kind(RegisteredSource::from_resource(&resource(
            "s3://bucket-x/aws/ROUTE53/2.0/"
        ))),
        ErrorKind::Service
    );
    assert_eq!(
        kind(RegisteredSource::from_resource(&resource(
            "https://x/ext/a/"
        ))),
        ErrorKind::Service
    );
    assert_eq!(
        kind(RegisteredSource::from_resource(
            &CustomLogSourceResource::builder().source_name("a").build()
        )),
        ErrorKind::Service
    );
}

#[test]
fn drift_is_reported_per_field() {
    let registered = RegisteredSource {
        source_name: "a".into(),
        source_version: Some("1.0".into()),
        provider_role_arn: "r".into(),
        location: SourceLocation::parse("s3://bucket-x/ext/a/1.0/")
            .unwrap_or_else(|e| panic!("{e}")),
        crawler_arn: None,
        database_arn: None,
        table_arn: None,
    };
    let same = builder("a")
        .version("1.0")
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(drift(&same, &registered), None);
    let other = builder("a")
        .version("2.0")
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let found = drift(&other, &registered).unwrap_or_else(|| panic!("expected drift"));
    assert_eq!(
        found.to_string(),
        "sourceVersion: expected 2.0, registered 1.0"
    );
}

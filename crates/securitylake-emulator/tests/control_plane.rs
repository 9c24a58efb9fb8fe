//! The Security Lake routes, driven by the real `aws-sdk-securitylake`.

mod common;

use std::time::Duration;

use aws_sdk_securitylake::error::ProvideErrorMetadata;
use aws_sdk_securitylake::types::{
    AccessType, AwsLogSourceName, AwsLogSourceResource, CustomLogSourceResource, LogSourceResource,
};
use common::{TestResult, create_source, emulator, raw_request, securitylake};
use securitylake_emulator::{Emulator, Fault, Operation};

async fn custom_names(
    client: &aws_sdk_securitylake::Client,
    page_size: i32,
) -> Result<(Vec<String>, usize), Box<dyn std::error::Error + Send + Sync>> {
    let mut names = Vec::new();
    let mut pages = 0;
    let mut stream = client
        .list_log_sources()
        .max_results(page_size)
        .into_paginator()
        .send();
    while let Some(page) = stream.next().await {
        let page = page?;
        pages += 1;
        for entry in page.sources() {
            assert_eq!(entry.account(), Some("123456789012"));
            assert_eq!(entry.region(), Some("us-east-1"));
            for resource in entry.sources() {
                if let LogSourceResource::CustomLogSource(custom) = resource {
                    names.push(custom.source_name().unwrap_or_default().to_owned());
                }
            }
        }
    }
    Ok((names, pages))
}

#[tokio::test]
async fn custom_sources_are_created_listed_and_deleted() -> TestResult {
    let emulator = emulator().await?;
    let client = securitylake(&emulator);
    let bucket = emulator.lake_bucket().to_owned();
    assert_eq!(bucket, "aws-security-data-lake-us-east-1-emu123456789012");

    let versioned = create_source(&client, "my-app", Some("1.0")).await?;
    assert_eq!(versioned.source_name(), Some("my-app"));
    assert_eq!(versioned.source_version(), Some("1.0"));
    let provider = versioned.provider().ok_or("no provider")?;
    assert_eq!(
        provider.role_arn(),
        Some("arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-my-app-us-east-1")
    );
    assert_eq!(
        provider.location(),
        Some(format!("s3://{bucket}/ext/my-app/1.0/").as_str())
    );
    let attributes = versioned.attributes().ok_or("no attributes")?;
    assert_eq!(
        attributes.crawler_arn(),
        Some("arn:aws:glue:us-east-1:123456789012:crawler/my-app")
    );
    assert_eq!(
        attributes.database_arn(),
        Some("arn:aws:glue:us-east-1:123456789012:database/amazon_security_lake_glue_db_us_east_1")
    );
    assert_eq!(
        attributes.table_arn(),
        Some(
            "arn:aws:glue:us-east-1:123456789012:table/amazon_security_lake_glue_db_us_east_1/\
             amazon_security_lake_table_us_east_1_ext_my_app"
        )
    );

    let plain = create_source(&client, "Other.Src:1", None).await?;
    assert_eq!(plain.source_version(), None);
    assert_eq!(
        plain.provider().and_then(|p| p.location()),
        Some(format!("s3://{bucket}/ext/Other.Src:1/").as_str())
    );
    create_source(&client, "third", None).await?;

    // What the API never returns was still received as sent.
    let snapshots = emulator.custom_sources();
    let snapshot = snapshots
        .iter()
        .find(|s| s.source_name == "my-app")
        .ok_or("my-app not held")?;
    assert_eq!(snapshot.event_classes, ["AUTHENTICATION"]);
    assert_eq!(snapshot.principal, "210987654321");
    assert_eq!(snapshot.external_id, "ext-id");
    assert_eq!(snapshot.crawler_role_arn, common::CRAWLER_ROLE);

    // Two per page: two pages, sorted by name.
    let (names, pages) = custom_names(&client, 2).await?;
    assert_eq!(names, ["Other.Src:1", "my-app", "third"]);
    assert_eq!(pages, 2);
    let (names, pages) = custom_names(&client, 1).await?;
    assert_eq!(names.len(), 3);
    assert_eq!(pages, 3);

    // Filters.
    let filtered = client
        .list_log_sources()
        .sources(LogSourceResource::CustomLogSource(
            CustomLogSourceResource::builder()
                .source_name("third")
                .build(),
        ))
        .send()
        .await?;
    assert_eq!(filtered.sources().len(), 1);
    let elsewhere = client
        .list_log_sources()
        .regions("eu-west-1")
        .send()
        .await?;
    assert!(elsewhere.sources().is_empty());

    // Delete, twice; the version-scoped delete of a wrong version is a no-op.
    client
        .delete_custom_log_source()
        .source_name("my-app")
        .source_version("9.9")
        .send()
        .await?;
    assert_eq!(custom_names(&client, 50).await?.0.len(), 3);
    client
        .delete_custom_log_source()
        .source_name("my-app")
        .send()
        .await?;
    client
        .delete_custom_log_source()
        .source_name("my-app")
        .send()
        .await?;
    client
        .delete_custom_log_source()
        .source_name("Other.Src:1")
        .send()
        .await?;
    let (names, _) = custom_names(&client, 50).await?;
    assert_eq!(names, ["third"]);
    assert_eq!(emulator.request_count(Operation::DeleteCustomLogSource), 4);
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn duplicates_conflict_and_bad_input_is_refused() -> TestResult {
    let emulator = emulator().await?;
    let client = securitylake(&emulator);
    create_source(&client, "dup", None).await?;
    let err = create_source(&client, "dup", Some("2.0"))
        .await
        .err()
        .ok_or("a duplicate must fail")?;
    let service = err
        .downcast_ref::<aws_sdk_securitylake::error::SdkError<
            aws_sdk_securitylake::operation::create_custom_log_source::CreateCustomLogSourceError,
        >>()
        .ok_or("not an SDK error")?;
    assert_eq!(
        service.raw_response().map(|r| r.status().as_u16()),
        Some(409)
    );
    assert!(
        service
            .as_service_error()
            .is_some_and(|e| e.is_conflict_exception())
    );

    for bad in [
        "a".repeat(65),
        "bad/name".to_owned(),
        "bad name".to_owned(),
        "é".to_owned(),
    ] {
        let err = create_source(&client, &bad, None)
            .await
            .err()
            .ok_or("bad name accepted")?;
        let sdk = err
            .downcast_ref::<aws_sdk_securitylake::error::SdkError<
                aws_sdk_securitylake::operation::create_custom_log_source::CreateCustomLogSourceError,
            >>()
            .ok_or("not an SDK error")?;
        assert_eq!(
            sdk.raw_response().map(|r| r.status().as_u16()),
            Some(400),
            "{bad}"
        );
        let service = sdk.as_service_error().ok_or("not a service error")?;
        assert!(service.is_bad_request_exception(), "{bad}: {service:?}");
        assert!(
            service.message().is_some_and(|m| m.contains("sourceName")),
            "{bad}"
        );
    }
    // 27 characters: valid for the pattern, but the provider role name
    // would exceed IAM's 64 characters.
    let err = create_source(&client, &"r".repeat(27), None)
        .await
        .err()
        .ok_or("accepted")?;
    let sdk = err
        .downcast_ref::<aws_sdk_securitylake::error::SdkError<
            aws_sdk_securitylake::operation::create_custom_log_source::CreateCustomLogSourceError,
        >>()
        .ok_or("not an SDK error")?;
    let service = sdk.as_service_error().ok_or("not a service error")?;
    assert!(service.is_bad_request_exception());
    assert!(service.message().is_some_and(|m| m.contains("IAM")));
    assert!(create_source(&client, &"r".repeat(26), None).await.is_ok());

    let bad_version = create_source(&client, "versioned", Some("1/0")).await;
    assert!(bad_version.is_err());

    // Deleting with an invalid name is refused too (the label is decoded).
    let err = client
        .delete_custom_log_source()
        .source_name("bad name")
        .send()
        .await
        .err()
        .ok_or("accepted")?;
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_bad_request_exception())
    );

    // Only dup and the 26-character source exist.
    assert_eq!(emulator.custom_sources().len(), 2);
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn unsigned_requests_and_unknown_routes_are_refused() -> TestResult {
    let emulator = emulator().await?;
    let (status, text) = raw_request(
        emulator.local_addr(),
        "POST /v1/datalake/logsources/list HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    )
    .await?;
    assert_eq!(status, 403);
    assert!(
        text.to_ascii_lowercase()
            .contains("x-amzn-errortype: accessdeniedexception")
    );

    let (status, text) = raw_request(
        emulator.local_addr(),
        "POST /v1/datalake/logsources/list HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    )
    .await?;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"sources\":[]"));

    let (status, text) = raw_request(
        emulator.local_addr(),
        "GET /v1/nothing HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=x\r\nConnection: close\r\n\r\n",
    )
    .await?;
    assert_eq!(status, 404);
    assert!(text.contains("UnknownOperationException"));

    let (status, _) = raw_request(
        emulator.local_addr(),
        "POST /v1/datalake/logsources/custom HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=x\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{nope",
    )
    .await?;
    assert_eq!(status, 400);
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn injected_faults_answer_then_clear() -> TestResult {
    let emulator = emulator().await?;
    let client = securitylake(&emulator);
    emulator.inject_fault(
        Operation::ListLogSources,
        Fault::throttling()
            .retry_after(Duration::from_secs(2))
            .times(2),
    );
    emulator.inject_fault(Operation::ListLogSources, Fault::conflict());
    for _ in 0..2 {
        let err = client
            .list_log_sources()
            .send()
            .await
            .err()
            .ok_or("not throttled")?;
        let service = err.as_service_error().ok_or("not a service error")?;
        assert!(service.is_throttling_exception());
        assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(429));
        if let aws_sdk_securitylake::operation::list_log_sources::ListLogSourcesError::ThrottlingException(t) = service {
            assert_eq!(t.retry_after_seconds(), Some(2));
        } else {
            return Err("expected ThrottlingException".into());
        }
    }
    let err = client
        .list_log_sources()
        .send()
        .await
        .err()
        .ok_or("no conflict")?;
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_conflict_exception())
    );
    client.list_log_sources().send().await?;
    assert_eq!(emulator.request_count(Operation::ListLogSources), 4);

    // A faulted create changes nothing.
    emulator.inject_fault(
        Operation::CreateCustomLogSource,
        Fault::internal_server_error(),
    );
    assert!(create_source(&client, "faulted", None).await.is_err());
    assert!(emulator.custom_sources().is_empty());
    create_source(&client, "faulted", None).await?;
    assert_eq!(emulator.custom_sources().len(), 1);
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn subscribers_are_created_read_and_deleted() -> TestResult {
    let emulator = emulator().await?;
    let client = securitylake(&emulator);
    create_source(&client, "app", Some("1.0")).await?;

    let missing = client
        .create_subscriber()
        .subscriber_name("reader")
        .subscriber_identity(
            aws_sdk_securitylake::types::AwsIdentity::builder()
                .principal("210987654321")
                .external_id("sub-ext")
                .build()?,
        )
        .sources(LogSourceResource::CustomLogSource(
            CustomLogSourceResource::builder()
                .source_name("nope")
                .build(),
        ))
        .access_types(AccessType::S3)
        .send()
        .await
        .err()
        .ok_or("unknown source accepted")?;
    assert!(
        missing
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception())
    );

    let created = client
        .create_subscriber()
        .subscriber_name("reader")
        .subscriber_description("reads app")
        .subscriber_identity(
            aws_sdk_securitylake::types::AwsIdentity::builder()
                .principal("210987654321")
                .external_id("sub-ext")
                .build()?,
        )
        .sources(LogSourceResource::CustomLogSource(
            CustomLogSourceResource::builder()
                .source_name("app")
                .build(),
        ))
        .sources(LogSourceResource::AwsLogSource(
            AwsLogSourceResource::builder()
                .source_name(AwsLogSourceName::Route53)
                .source_version("2.0")
                .build(),
        ))
        .access_types(AccessType::S3)
        .access_types(AccessType::Lakeformation)
        .send()
        .await?;
    let subscriber = created.subscriber().ok_or("no subscriber")?;
    let id = subscriber.subscriber_id().to_owned();
    assert_eq!(id.len(), 36);
    assert_eq!(subscriber.subscriber_name(), "reader");
    assert_eq!(subscriber.subscriber_description(), Some("reads app"));
    assert_eq!(
        subscriber.subscriber_arn(),
        format!("arn:aws:securitylake:us-east-1:123456789012:subscriber/{id}")
    );
    assert_eq!(
        subscriber.s3_bucket_arn(),
        Some(format!("arn:aws:s3:::{}", emulator.lake_bucket()).as_str())
    );
    assert!(
        subscriber
            .role_arn()
            .is_some_and(|r| r.contains(":role/AmazonSecurityLake-"))
    );
    assert!(subscriber.resource_share_arn().is_some());
    assert_eq!(subscriber.sources().len(), 2);
    assert!(subscriber.created_at().is_some());
    let custom = subscriber.sources()[0]
        .as_custom_log_source()
        .map_err(|_| "first source is not custom")?;
    assert_eq!(
        custom.provider().and_then(|p| p.location()),
        Some(format!("s3://{}/ext/app/1.0/", emulator.lake_bucket()).as_str())
    );

    let fetched = client.get_subscriber().subscriber_id(&id).send().await?;
    assert_eq!(
        fetched
            .subscriber()
            .and_then(|s| s.subscriber_identity())
            .map(|i| i.external_id()),
        Some("sub-ext")
    );

    client.delete_subscriber().subscriber_id(&id).send().await?;
    let gone = client
        .get_subscriber()
        .subscriber_id(&id)
        .send()
        .await
        .err()
        .ok_or("deleted subscriber still readable")?;
    assert!(
        gone.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception())
    );
    let again = client.delete_subscriber().subscriber_id(&id).send().await;
    assert!(again.is_err());
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn builder_refuses_bad_settings() {
    let cases = [
        Emulator::builder().region("Mars"),
        Emulator::builder().region("us-east"),
        Emulator::builder().account_id("12345"),
        Emulator::builder().lake_id("UPPER"),
        Emulator::builder().lake_id("x".repeat(21)),
        Emulator::builder().bind_address("0.0.0.0:0".parse().unwrap_or_else(|e| panic!("{e}"))),
        Emulator::builder().credentials("", "x"),
    ];
    for builder in cases {
        let description = format!("{builder:?}");
        match builder.start().await {
            Ok(_) => panic!("accepted {description}"),
            Err(err) => assert_eq!(err.kind(), securitylake_emulator::ErrorKind::Config),
        }
    }
}

#[tokio::test]
async fn a_data_directory_is_created_and_kept() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("lake");
    let emulator = Emulator::builder()
        .data_dir(&data)
        .lake_id("abc")
        .region("eu-west-1")
        .account_id("111122223333")
        .start()
        .await?;
    assert_eq!(
        emulator.lake_bucket(),
        "aws-security-data-lake-eu-west-1-abc"
    );
    assert!(data.join("_lake").is_dir());
    assert_eq!(emulator.lake_dir(), data.join("_lake"));
    assert_eq!(emulator.data_dir(), data.as_path());
    let vars = emulator.env_vars();
    assert_eq!(vars[1], ("AWS_REGION", "eu-west-1".to_owned()));
    emulator.shutdown().await;
    assert!(data.is_dir());
    Ok(())
}

//! Subscriber notifications for objects put through the emulator's S3.

mod common;

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_securitylake::types::{
    AccessType, AwsIdentity, CustomLogSourceResource, HttpMethod, HttpsNotificationConfiguration,
    LogSourceResource, NotificationConfiguration, SqsNotificationConfiguration,
};
use common::{Receiver, TestResult, create_source, emulator, s3, securitylake};
use securitylake_emulator::{DeliveryOutcome, Emulator};

const TARGET_ROLE: &str = "arn:aws:iam::123456789012:role/EventBridgeApiDestination";
const WAIT: Duration = Duration::from_secs(10);
/// How long to wait before concluding that no notification comes.
const QUIET: Duration = Duration::from_millis(500);

async fn subscriber(
    client: &aws_sdk_securitylake::Client,
    source: &str,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let output = client
        .create_subscriber()
        .subscriber_name(format!("{source}-reader"))
        .subscriber_identity(
            AwsIdentity::builder()
                .principal("210987654321")
                .external_id("sub-ext")
                .build()?,
        )
        .sources(LogSourceResource::CustomLogSource(
            CustomLogSourceResource::builder()
                .source_name(source)
                .build(),
        ))
        .access_types(AccessType::S3)
        .send()
        .await?;
    Ok(output
        .subscriber()
        .map(|s| s.subscriber_id().to_owned())
        .ok_or("no subscriber")?)
}

fn https(
    endpoint: &str,
    method: HttpMethod,
) -> Result<NotificationConfiguration, aws_sdk_securitylake::error::BuildError> {
    Ok(NotificationConfiguration::HttpsNotificationConfiguration(
        HttpsNotificationConfiguration::builder()
            .endpoint(endpoint)
            .target_role_arn(TARGET_ROLE)
            .http_method(method)
            .authorization_api_key_name("x-api-key")
            .authorization_api_key_value("s3cr3t")
            .build()?,
    ))
}

async fn put(
    emulator: &Emulator,
    key: &str,
    body: &'static [u8],
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let output = s3(emulator)
        .put_object()
        .bucket(emulator.lake_bucket())
        .key(key)
        .body(ByteStream::from_static(body))
        .send()
        .await?;
    Ok(output
        .e_tag()
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned())
}

#[tokio::test]
async fn https_notifications_carry_the_documented_body() -> TestResult {
    let emulator = emulator().await?;
    let client = securitylake(&emulator);
    let mut receiver = Receiver::start().await?;
    create_source(&client, "app", Some("1.0")).await?;
    create_source(&client, "other", None).await?;
    let id = subscriber(&client, "app").await?;

    let endpoint = client
        .create_subscriber_notification()
        .subscriber_id(&id)
        .configuration(https(&receiver.url("/hook"), HttpMethod::Post)?)
        .send()
        .await?;
    assert_eq!(
        endpoint.subscriber_endpoint(),
        Some(receiver.url("/hook").as_str())
    );
    let second = client
        .create_subscriber_notification()
        .subscriber_id(&id)
        .configuration(https(&receiver.url("/hook"), HttpMethod::Post)?)
        .send()
        .await
        .err()
        .ok_or("a second notification must conflict")?;
    assert!(
        second
            .as_service_error()
            .is_some_and(|e| e.is_conflict_exception())
    );

    // An object of another source and one outside any source: no notification.
    put(
        &emulator,
        "ext/other/region=us-east-1/accountId=123456789012/eventDay=20240229/a.zstd.parquet",
        b"x",
    )
    .await?;
    put(&emulator, "elsewhere/file", b"x").await?;

    let key = "ext/app/1.0/region=us-east-1/accountId=123456789012/eventDay=20240229/0123456789abcdef0123456789abcdef.zstd.parquet";
    let etag = put(&emulator, key, b"hello parquet").await?;
    let received = receiver.next(WAIT).await?;
    assert_eq!(received.method, "POST");
    assert_eq!(received.path, "/hook");
    assert_eq!(
        received.headers.get("x-api-key").map(|v| v.as_bytes()),
        Some(&b"s3cr3t"[..])
    );
    assert_eq!(
        received.headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );
    let body = received.json();
    assert_eq!(body["source"], "aws.s3");
    assert_eq!(body["account"], "123456789012");
    assert_eq!(body["region"], "us-east-1");
    assert_eq!(
        body["resources"][0],
        format!("arn:aws:s3:::{}", emulator.lake_bucket())
    );
    assert_eq!(body["detail"]["bucket"]["name"], emulator.lake_bucket());
    assert_eq!(
        body["detail"]["object"]["key"],
        key.replace('=', "%3D"),
        "keys are URL-encoded like S3 event keys"
    );
    assert_eq!(body["detail"]["object"]["size"], 13);
    assert_eq!(body["detail"]["object"]["etag"], etag.as_str());
    assert_eq!(etag.len(), 32);
    assert_eq!(body["detail"]["requester"], "securitylake.amazonaws.com");
    assert!(body["detail"]["request-id"].is_string());
    assert!(body["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(body["detail-type"], "Object Created");
    assert!(
        tokio::time::timeout(QUIET, receiver.requests.recv())
            .await
            .is_err(),
        "objects outside the subscriber's sources were announced"
    );

    // PUT after an update; nothing after the notification is deleted.
    client
        .update_subscriber_notification()
        .subscriber_id(&id)
        .configuration(https(&receiver.url("/put"), HttpMethod::Put)?)
        .send()
        .await?;
    put(
        &emulator,
        "ext/app/1.0/region=us-east-1/accountId=external/eventDay=20240301/b.zstd.parquet",
        b"12345",
    )
    .await?;
    let received = receiver.next(WAIT).await?;
    assert_eq!(received.method, "PUT");
    assert_eq!(received.path, "/put");
    assert_eq!(received.json()["detail"]["object"]["size"], 5);

    client
        .delete_subscriber_notification()
        .subscriber_id(&id)
        .send()
        .await?;
    put(
        &emulator,
        "ext/app/1.0/region=us-east-1/accountId=external/eventDay=20240302/c.zstd.parquet",
        b"1",
    )
    .await?;
    assert!(
        tokio::time::timeout(QUIET, receiver.requests.recv())
            .await
            .is_err()
    );

    let deliveries = emulator.deliveries();
    assert_eq!(deliveries.len(), 2);
    assert!(
        deliveries
            .iter()
            .all(|d| d.subscriber_id == id && d.attempts == 1)
    );
    assert!(
        deliveries
            .iter()
            .all(|d| matches!(d.outcome, DeliveryOutcome::Delivered { status: 200 }))
    );
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_a_bound() -> TestResult {
    let emulator = Emulator::builder()
        .notification_max_attempts(3)
        .notification_backoff(Duration::from_millis(10))
        .url_encode_notification_keys(false)
        .start()
        .await?;
    let client = securitylake(&emulator);
    let mut receiver = Receiver::start().await?;
    create_source(&client, "app", None).await?;
    let id = subscriber(&client, "app").await?;
    client
        .create_subscriber_notification()
        .subscriber_id(&id)
        .configuration(https(&receiver.url("/"), HttpMethod::Post)?)
        .send()
        .await?;

    // 503 then 429 then 200: delivered on the third attempt.
    receiver.respond_with(&[503, 429]);
    let key = "ext/app/region=us-east-1/accountId=external/eventDay=20240229/a b.zstd.parquet";
    put(&emulator, key, b"abc").await?;
    for _ in 0..3 {
        let received = receiver.next(WAIT).await?;
        assert_eq!(
            received.json()["detail"]["object"]["key"],
            key,
            "verbatim key"
        );
    }
    // Three 500s: given up after three attempts.
    receiver.respond_with(&[500, 500, 500]);
    put(
        &emulator,
        "ext/app/region=us-east-1/accountId=external/eventDay=20240229/b.zstd.parquet",
        b"abc",
    )
    .await?;
    for _ in 0..3 {
        receiver.next(WAIT).await?;
    }
    // 400 is not retried.
    receiver.respond_with(&[400]);
    put(
        &emulator,
        "ext/app/region=us-east-1/accountId=external/eventDay=20240229/c.zstd.parquet",
        b"abc",
    )
    .await?;
    receiver.next(WAIT).await?;
    assert!(
        tokio::time::timeout(QUIET, receiver.requests.recv())
            .await
            .is_err()
    );

    let deadline = tokio::time::Instant::now() + WAIT;
    while emulator.deliveries().len() < 3 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let deliveries = emulator.deliveries();
    assert_eq!(deliveries.len(), 3);
    assert_eq!(deliveries[0].attempts, 3);
    assert_eq!(
        deliveries[0].outcome,
        DeliveryOutcome::Delivered { status: 200 }
    );
    assert_eq!(deliveries[1].attempts, 3);
    assert!(
        matches!(&deliveries[1].outcome, DeliveryOutcome::Failed { error } if error == "HTTP 500")
    );
    assert_eq!(deliveries[2].attempts, 1);
    assert!(
        matches!(&deliveries[2].outcome, DeliveryOutcome::Failed { error } if error == "HTTP 400")
    );
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn multipart_uploads_and_sqs_subscribers_are_notified() -> TestResult {
    let emulator = emulator().await?;
    let client = securitylake(&emulator);
    create_source(&client, "big", None).await?;
    let id = subscriber(&client, "big").await?;
    let endpoint = client
        .create_subscriber_notification()
        .subscriber_id(&id)
        .configuration(NotificationConfiguration::SqsNotificationConfiguration(
            SqsNotificationConfiguration::builder().build(),
        ))
        .send()
        .await?;
    assert_eq!(
        endpoint.subscriber_endpoint(),
        Some(
            format!("arn:aws:sqs:us-east-1:123456789012:AmazonSecurityLake-{id}-Main-Queue")
                .as_str()
        )
    );

    let s3 = s3(&emulator);
    let bucket = emulator.lake_bucket();
    let key = "ext/big/region=us-east-1/accountId=123456789012/eventDay=20240229/f.zstd.parquet";
    let upload = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await?;
    let upload_id = upload.upload_id().ok_or("no upload id")?;
    let part_one = vec![7u8; 5 * 1024 * 1024];
    let mut parts = Vec::new();
    for (number, data) in [(1, part_one), (2, vec![9u8; 1000])] {
        let part = s3
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(data))
            .send()
            .await?;
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(part.e_tag().map(str::to_owned))
                .build(),
        );
    }
    // Parts alone announce nothing.
    tokio::time::sleep(QUIET).await;
    assert!(emulator.take_queued_notifications(&id).is_empty());
    let done = s3
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await?;
    let etag = done
        .e_tag()
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned();
    assert!(etag.ends_with("-2"), "multipart etag {etag}");

    let deadline = tokio::time::Instant::now() + WAIT;
    let mut messages = Vec::new();
    while messages.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        messages = emulator.take_queued_notifications(&id);
    }
    assert_eq!(messages.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&messages[0])?;
    assert_eq!(body["detail"]["object"]["size"], 5 * 1024 * 1024 + 1000);
    assert_eq!(body["detail"]["object"]["etag"], etag.as_str());
    assert_eq!(body["detail"]["reason"], "CompleteMultipartUpload");
    assert!(
        emulator.take_queued_notifications(&id).is_empty(),
        "drained"
    );
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn https_endpoints_and_bad_configurations_are_refused() -> TestResult {
    let emulator = emulator().await?;
    let client = securitylake(&emulator);
    create_source(&client, "app", None).await?;
    let id = subscriber(&client, "app").await?;
    for endpoint in ["https://example.com/hook", "not a url", "/relative"] {
        let err = client
            .create_subscriber_notification()
            .subscriber_id(&id)
            .configuration(https(endpoint, HttpMethod::Post)?)
            .send()
            .await
            .err()
            .ok_or("accepted")?;
        assert!(
            err.as_service_error()
                .is_some_and(|e| e.is_bad_request_exception()),
            "{endpoint}"
        );
    }
    let unknown = client
        .create_subscriber_notification()
        .subscriber_id("no-such-subscriber")
        .configuration(https("http://127.0.0.1:9/", HttpMethod::Post)?)
        .send()
        .await
        .err()
        .ok_or("accepted")?;
    assert!(
        unknown
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception())
    );
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn s3_refuses_unknown_credentials() -> TestResult {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    let emulator = emulator().await?;
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(emulator.s3_endpoint_url())
        .force_path_style(true)
        .credentials_provider(Credentials::new("intruder", "wrong", None, None, "test"))
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let err = client
        .put_object()
        .bucket(emulator.lake_bucket())
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .err()
        .ok_or("unknown credentials accepted")?;
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    // The default credentials work, and ListBuckets sees the lake bucket.
    let buckets = s3(&emulator).list_buckets().send().await?;
    assert!(
        buckets
            .buckets()
            .iter()
            .any(|b| b.name() == Some(emulator.lake_bucket()))
    );
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn realistic_keys_fit_and_overlong_keys_are_refused_cleanly() -> TestResult {
    let emulator = emulator().await?;
    let s3 = s3(&emulator);
    let bucket = emulator.lake_bucket();
    // The longest documented custom-source key: a 20-character name and a
    // 32-character version.
    let longest = format!(
        "ext/{}/{}/region=us-east-1/accountId=123456789012/eventDay=20240229/{}.zstd.parquet",
        "n".repeat(20),
        "v".repeat(32),
        "0".repeat(32)
    );
    assert_eq!(longest.len(), 161);
    put(&emulator, &longest, b"data").await?;
    assert!(emulator.lake_dir().join(&longest).is_file());
    let got = s3.get_object().bucket(bucket).key(&longest).send().await?;
    assert_eq!(got.body.collect().await?.into_bytes().as_ref(), b"data");
    let listed = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix("ext/")
        .send()
        .await?;
    assert_eq!(listed.name(), Some(bucket));
    assert_eq!(listed.contents().len(), 1);

    let too_long = format!("{longest}{}", "x".repeat(10));
    let err = s3
        .put_object()
        .bucket(bucket)
        .key(&too_long)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .err()
        .ok_or("an overlong key was accepted")?;
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
    assert!(
        !emulator.lake_dir().join(&too_long).exists(),
        "nothing written half-way"
    );
    let err = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(&longest)
        .send()
        .await
        .err()
        .ok_or("an overlong multipart key was accepted")?;
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
    emulator.shutdown().await;
    Ok(())
}

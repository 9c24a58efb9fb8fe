//! Subscribers and their notifications through the emulator.

mod common;

use common::{TestResult, config, fast_retries, registrar, spec, subscribers};
use securitylake_control::{
    AccessType, ErrorKind, HttpsNotification, Notification, NotificationMethod, SubscribedSource,
    SubscriberRegistrar, SubscriberSpec,
};
use securitylake_emulator::{Emulator, Fault, Operation};

fn siem(source: &str) -> Result<SubscriberSpec, securitylake_control::Error> {
    SubscriberSpec::builder("siem")
        .principal("210987654321")
        .external_id("siem-external-id")
        .source(SubscribedSource::custom(source, Some("1.0")))
        .source(SubscribedSource::parse_aws("CLOUD_TRAIL_MGMT:2.0")?)
        .description("the SIEM")
        .build()
}

#[tokio::test]
async fn create_a_subscriber_and_its_notifications() -> TestResult {
    let emulator = Emulator::builder().start().await?;
    registrar(&emulator)
        .await?
        .reconcile(&spec("partner-app", Some("1.0"))?)
        .await?;
    let subscribers = subscribers(&emulator).await?;

    let sqs = subscribers.create(&siem("partner-app")?).await?;
    assert_eq!(sqs.subscriber_name, "siem");
    assert!(!sqs.subscriber_id.is_empty());
    assert!(
        sqs.subscriber_arn.ends_with(&sqs.subscriber_id),
        "{}",
        sqs.subscriber_arn
    );
    assert!(sqs.role_arn.is_some(), "S3 access comes with a role");
    assert!(sqs.resource_share_arn.is_none());
    let queue = subscribers
        .create_notification(&sqs.subscriber_id, &Notification::Sqs)
        .await?
        .ok_or("no queue endpoint")?;
    assert!(
        queue.contains("sqs") || queue.starts_with("http"),
        "{queue}"
    );
    // A second notification for the same subscriber exists already: not
    // retried.
    let err = subscribers
        .create_notification(&sqs.subscriber_id, &Notification::Sqs)
        .await
        .err()
        .ok_or("a second notification was accepted")?;
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert!(!err.is_retryable());
    assert_eq!(err.code(), Some("ConflictException"));
    assert_eq!(
        emulator.request_count(Operation::CreateSubscriberNotification),
        2
    );

    let lake_formation = SubscriberSpec::builder("analysts")
        .principal("210987654321")
        .external_id("analysts-id")
        .source(SubscribedSource::custom("partner-app", None))
        .access_type("lakeformation".parse::<AccessType>()?)
        .build()?;
    let query = subscribers.create(&lake_formation).await?;
    assert!(query.resource_share_arn.is_some());
    let https = HttpsNotification::new(
        "http://127.0.0.1:9/notify",
        "arn:aws:iam::123456789012:role/EventBridgeApiDestinations",
    )
    .method("put".parse::<NotificationMethod>()?)
    .api_key("x-api-key", "secret");
    let endpoint = subscribers
        .create_notification(&query.subscriber_id, &Notification::Https(https))
        .await?;
    assert_eq!(endpoint.as_deref(), Some("http://127.0.0.1:9/notify"));

    subscribers.delete(&query.subscriber_id).await?;
    subscribers.delete(&query.subscriber_id).await?;
    assert_eq!(emulator.request_count(Operation::DeleteSubscriber), 2);
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn creates_retry_only_what_was_not_carried_out() -> TestResult {
    let emulator = Emulator::builder().start().await?;
    registrar(&emulator)
        .await?
        .reconcile(&spec("partner-app", Some("1.0"))?)
        .await?;
    let subscribers =
        SubscriberRegistrar::new(&config(&emulator).await?).with_retry_policy(fast_retries(3));

    // Throttling proves the request was not carried out: retried.
    emulator.inject_fault(Operation::CreateSubscriber, Fault::throttling().times(2));
    subscribers.create(&siem("partner-app")?).await?;
    assert_eq!(emulator.request_count(Operation::CreateSubscriber), 3);

    // A 5xx may come after the subscriber was made: not repeated.
    emulator.inject_fault(Operation::CreateSubscriber, Fault::internal_server_error());
    let err = subscribers
        .create(&siem("partner-app")?)
        .await
        .err()
        .ok_or("the 500 was hidden")?;
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert!(err.is_retryable());
    assert_eq!(emulator.request_count(Operation::CreateSubscriber), 4);

    // Notifications are retried on 5xx (they name one subscriber).
    let sub = subscribers.create(&siem("partner-app")?).await?;
    emulator.inject_fault(
        Operation::CreateSubscriberNotification,
        Fault::internal_server_error(),
    );
    subscribers
        .create_notification(&sub.subscriber_id, &Notification::Sqs)
        .await?;
    assert_eq!(
        emulator.request_count(Operation::CreateSubscriberNotification),
        2
    );
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn bad_specs_and_unknown_sources_are_typed() -> TestResult {
    let emulator = Emulator::builder().start().await?;
    let subscribers = subscribers(&emulator).await?;
    let err = subscribers
        .create(&siem("never-registered")?)
        .await
        .err()
        .ok_or("an unknown source was accepted")?;
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(emulator.request_count(Operation::CreateSubscriber), 1);

    let no_source = SubscriberSpec::builder("s")
        .principal("210987654321")
        .external_id("x")
        .build();
    assert_eq!(
        no_source.err().map(|e| e.kind()),
        Some(ErrorKind::InvalidInput)
    );
    let bad_principal = SubscriberSpec::builder("s")
        .principal("12")
        .external_id("x")
        .source(SubscribedSource::aws("ROUTE53", None))
        .build();
    assert_eq!(
        bad_principal.err().map(|e| e.kind()),
        Some(ErrorKind::InvalidInput)
    );
    assert!(SubscriberSpec::builder("x".repeat(65)).build().is_err());
    assert!("ftp".parse::<AccessType>().is_err());
    assert!("GET".parse::<NotificationMethod>().is_err());
    assert_eq!(
        subscribers
            .create_notification("", &Notification::Sqs)
            .await
            .err()
            .map(|e| e.kind()),
        Some(ErrorKind::InvalidInput)
    );
    emulator.shutdown().await;
    Ok(())
}

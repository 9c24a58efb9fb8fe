//! Subscriber notifications for objects created through the S3 endpoint.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderValue, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::delivery::{Delivery, DeliveryOutcome};
use crate::encoding::s3_event_key_encode;
use crate::s3::S3Backend;
use crate::state::{
    DeliveryPolicy, HttpsTarget, NotificationTarget, ObjectCreated, Settings, SharedRef,
};
use crate::util::{UPPER_ALNUM, random_string, rfc3339};

/// The `requester` of the notifications, as in the documented sample.
const REQUESTER: &str = "securitylake.amazonaws.com";

/// The notification body: the documented fields (`source`, `time`,
/// `account`, `region`, `resources`, `detail.bucket.name`,
/// `detail.object.key|size|etag`, `detail.request-id`, `detail.requester`)
/// inside an EventBridge `Object Created` envelope (`version`, `id`,
/// `detail-type`, `detail.version`, `detail.object.sequencer`,
/// `detail.reason`).
pub(crate) fn notification_body(
    settings: &Settings,
    created: &ObjectCreated,
    size: u64,
    etag: &str,
    sequencer: u64,
) -> Value {
    let key = if settings.delivery.encode_keys {
        s3_event_key_encode(&created.key)
    } else {
        created.key.clone()
    };
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": settings.account_id,
        "time": rfc3339(SystemTime::now()),
        "region": settings.region,
        "resources": [format!("arn:aws:s3:::{}", created.bucket)],
        "detail": {
            "version": "0",
            "bucket": { "name": created.bucket },
            "object": {
                "key": key,
                "size": size,
                "etag": etag,
                "sequencer": format!("{sequencer:016X}"),
            },
            "request-id": random_string(UPPER_ALNUM, 16),
            "requester": REQUESTER,
            "reason": created.reason,
        },
    })
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Turns created objects into notifications until shutdown.
pub(crate) async fn run(
    shared: SharedRef,
    backend: Arc<S3Backend>,
    mut events: mpsc::UnboundedReceiver<ObjectCreated>,
    mut shutdown: watch::Receiver<bool>,
) {
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let mut deliveries = JoinSet::new();
    let mut sequencer: u64 = 0;
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            Some(created) = events.recv() => {
                sequencer += 1;
                process(&shared, &backend, &client, &mut deliveries, created, sequencer).await;
            }
            Some(_) = deliveries.join_next(), if !deliveries.is_empty() => {}
        }
    }
    deliveries.shutdown().await;
}

async fn process(
    shared: &SharedRef,
    backend: &S3Backend,
    client: &HttpClient,
    deliveries: &mut JoinSet<()>,
    created: ObjectCreated,
    sequencer: u64,
) {
    let settings = &shared.settings;
    if created.bucket != settings.bucket {
        return;
    }
    let targets: Vec<(String, NotificationTarget)> = {
        let state = shared.state();
        state
            .subscribers
            .values()
            .filter(|s| s.covers(&created.key, &state.sources))
            .filter_map(|s| s.notification.clone().map(|n| (s.id.clone(), n)))
            .collect()
    };
    if targets.is_empty() {
        return;
    }
    let Some((size, etag)) = backend.head(&created.bucket, &created.key).await else {
        tracing::warn!(key = %created.key, "created object vanished before it could be announced");
        return;
    };
    let body = notification_body(settings, &created, size, &etag, sequencer);
    for (subscriber_id, target) in targets {
        match target {
            NotificationTarget::Sqs => {
                shared
                    .state()
                    .queues
                    .entry(subscriber_id)
                    .or_default()
                    .push_back(body.to_string());
            }
            NotificationTarget::Https(target) => {
                let shared = Arc::clone(shared);
                let client = client.clone();
                let body = Bytes::from(body.to_string());
                let (bucket, key) = (created.bucket.clone(), created.key.clone());
                deliveries.spawn(async move {
                    let policy = shared.settings.delivery.clone();
                    let (attempts, outcome) = deliver(&client, &policy, &target, body).await;
                    match &outcome {
                        DeliveryOutcome::Delivered { .. } => {
                            tracing::debug!(%subscriber_id, %key, attempts, "notification delivered");
                        }
                        DeliveryOutcome::Failed { error } => {
                            tracing::warn!(%subscriber_id, %key, attempts, %error, "notification failed");
                        }
                    }
                    shared.state().deliveries.push(Delivery {
                        subscriber_id,
                        endpoint: target.endpoint.to_string(),
                        bucket,
                        key,
                        attempts,
                        outcome,
                    });
                });
            }
        }
    }
}

/// Whether EventBridge API destinations retry a response with this status.
fn is_retried_status(status: u16) -> bool {
    matches!(status, 401 | 407 | 408 | 409 | 429) || status >= 500
}

/// Sends one notification with bounded retries and exponential backoff.
async fn deliver(
    client: &HttpClient,
    policy: &DeliveryPolicy,
    target: &HttpsTarget,
    body: Bytes,
) -> (u32, DeliveryOutcome) {
    let mut backoff = policy.initial_backoff;
    let mut last_error = String::from("no attempt was made");
    let max_attempts = policy.max_attempts.max(1);
    for attempt in 1..=max_attempts {
        let mut request = Request::new(Full::new(body.clone()));
        *request.method_mut() = target.method.clone();
        *request.uri_mut() = target.endpoint.clone();
        let headers = request.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert(
            "user-agent",
            HeaderValue::from_static(concat!("securitylake-emulator/", env!("CARGO_PKG_VERSION"))),
        );
        if let Some((name, value)) = &target.api_key {
            headers.insert(name.clone(), value.clone());
        }
        match tokio::time::timeout(policy.timeout, client.request(request)).await {
            Ok(Ok(response)) => {
                let status = response.status().as_u16();
                // Drain the body so the connection can be reused.
                let _ = response.into_body().collect().await;
                if (200..300).contains(&status) {
                    return (attempt, DeliveryOutcome::Delivered { status });
                }
                last_error = format!("HTTP {status}");
                if !is_retried_status(status) {
                    return (attempt, DeliveryOutcome::Failed { error: last_error });
                }
            }
            Ok(Err(err)) => last_error = format!("request failed: {err}"),
            Err(_) => last_error = format!("timed out after {:?}", policy.timeout),
        }
        if attempt < max_attempts {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(policy.max_backoff);
        }
    }
    (max_attempts, DeliveryOutcome::Failed { error: last_error })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    #[test]
    fn body_has_the_documented_fields() {
        let settings = Settings {
            region: "ca-central-1".to_owned(),
            account_id: "123456789012".to_owned(),
            bucket: "lake".to_owned(),
            data_dir: PathBuf::from("/tmp"),
            delivery: DeliveryPolicy {
                max_attempts: 1,
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(1),
                timeout: Duration::from_secs(1),
                encode_keys: true,
            },
        };
        let created = ObjectCreated {
            bucket: "lake".to_owned(),
            key: "ext/a/region=ca-central-1/x y.parquet".to_owned(),
            reason: "PutObject",
        };
        let body = notification_body(&settings, &created, 5, "b57f", 10);
        assert_eq!(body["source"], "aws.s3");
        assert_eq!(body["account"], "123456789012");
        assert_eq!(body["region"], "ca-central-1");
        assert_eq!(body["resources"][0], "arn:aws:s3:::lake");
        assert_eq!(body["detail"]["bucket"]["name"], "lake");
        assert_eq!(
            body["detail"]["object"]["key"],
            "ext/a/region%3Dca-central-1/x+y.parquet"
        );
        assert_eq!(body["detail"]["object"]["size"], 5);
        assert_eq!(body["detail"]["object"]["etag"], "b57f");
        assert_eq!(body["detail"]["object"]["sequencer"], "000000000000000A");
        assert_eq!(body["detail"]["requester"], REQUESTER);
        assert_eq!(
            body["detail"]["request-id"].as_str().map(str::len),
            Some(16)
        );
        let time = body["time"].as_str().unwrap_or_default();
        assert_eq!(time.len(), "2021-11-12T00:00:00Z".len());
        assert!(time.ends_with('Z'));
    }

    #[test]
    fn retried_statuses_follow_eventbridge() {
        for status in [401, 407, 408, 409, 429, 500, 503] {
            assert!(is_retried_status(status), "{status}");
        }
        for status in [400, 403, 404, 413] {
            assert!(!is_retried_status(status), "{status}");
        }
    }
}

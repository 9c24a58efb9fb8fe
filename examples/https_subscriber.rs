//! A subscriber with an HTTPS notification endpoint (what EventBridge API
//! destinations call), end to end against the in-process emulator, offline:
//!
//! 1. the emulator (Security Lake API, STS, S3) starts on loopback and a
//!    custom source is registered;
//! 2. the subscriber's endpoint starts ([`HttpsSource`], plain HTTP on
//!    loopback here; give it a TLS configuration in production) and a
//!    Security Lake subscriber with an HTTPS notification to it is created
//!    through the control plane (`securitylake::control`);
//! 3. the subscriber runs as the subscriber role, assumed with its external
//!    id; a writer puts objects as the provider role; the emulator POSTs a
//!    notification per object; the handler reads each one as typed events.
//!
//! ```text
//! cargo run --example https_subscriber
//! ```

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use securitylake::control::{
    CustomSource, HttpsNotification, Notification, Registrar, SubscribedSource,
    SubscriberRegistrar, SubscriberSpec,
};
use securitylake::lake::aws::{AssumeRoleProvider, AwsConfig};
use securitylake::lake::store::S3StoreBuilder;
use securitylake::mappers::LinuxMapper;
use securitylake::model::v1_1_0::enums::StatusId;
use securitylake::model::v1_1_0::events::Authentication;
use securitylake::source::{Writer, WriterConfig};
use securitylake::subscriber::{Handler, HandlerError, HttpsSource, LakeObject, Subscriber};
use securitylake_emulator::Emulator;

use common::BoxError;

const ACCOUNT: &str = "123456789012";
const PROVIDER_EXTERNAL_ID: &str = "provider-external-id";
const SUBSCRIBER_EXTERNAL_ID: &str = "subscriber-external-id";
const API_KEY_HEADER: &str = "x-api-key";

/// Counts events and failed logons per object key.
#[derive(Debug, Default, Clone)]
struct Report(Arc<Mutex<BTreeMap<String, (usize, usize)>>>);

#[securitylake::subscriber::async_trait]
impl Handler for Report {
    async fn handle(&self, object: &LakeObject) -> Result<(), HandlerError> {
        let events: Vec<Vec<Authentication>> =
            object.typed::<Authentication>()?.try_collect().await?;
        let events = events.concat();
        let failed = events
            .iter()
            .filter(|e| e.status_id == Some(StatusId::Failure))
            .count();
        self.0
            .lock()
            .map_err(|_| HandlerError::permanent("report poisoned"))?
            .insert(object.info().object.key.clone(), (events.len(), failed));
        Ok(())
    }
}

/// Runs the example (see the module documentation).
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
pub async fn main() -> Result<(), BoxError> {
    let temp = tempfile::tempdir()?;
    let emulator = Emulator::builder()
        .account_id(ACCOUNT)
        .data_dir(temp.path().join("emulator"))
        .start()
        .await?;
    let (access_key, secret) = emulator.credentials();
    let base = AwsConfig::builder()
        .region(emulator.region())
        .endpoint_url(emulator.endpoint_url())
        .static_credentials(access_key, secret, None)
        .force_path_style(true)
        .load()
        .await?;

    // 1. The custom source.
    let source = Registrar::new(&base)
        .reconcile(
            &CustomSource::builder("bastion-auth")
                .version("1.0")
                .event_class("AUTHENTICATION")
                .principal(ACCOUNT)
                .external_id(PROVIDER_EXTERNAL_ID)
                .crawler_role_arn(format!("arn:aws:iam::{ACCOUNT}:role/GlueCrawler"))
                .build()?,
        )
        .await?
        .source;

    // 2. The endpoint, and a subscriber notified there.
    let api_key = format!(
        "{:016x}",
        common::Rng::new(std::process::id().into()).next_u64()
    );
    let https = HttpsSource::builder(temp.path().join("notification-spool"))
        .api_key(API_KEY_HEADER, api_key.clone())
        .bind()
        .await?;
    let endpoint = format!("http://{}/security-lake", https.local_addr());
    let subscribers = SubscriberRegistrar::new(&base);
    let created = subscribers
        .create(
            &SubscriberSpec::builder("bastion-monitor")
                .principal(ACCOUNT)
                .external_id(SUBSCRIBER_EXTERNAL_ID)
                .source(SubscribedSource::custom("bastion-auth", Some("1.0")))
                .build()?,
        )
        .await?;
    let subscriber_id = created.subscriber_id.clone();
    let role = created
        .role_arn
        .clone()
        .ok_or("no subscriber role in the response")?;
    subscribers
        .create_notification(
            &subscriber_id,
            &Notification::Https(
                HttpsNotification::new(
                    &endpoint,
                    format!("arn:aws:iam::{ACCOUNT}:role/EventBridgeApiDestination"),
                )
                .api_key(API_KEY_HEADER, api_key),
            ),
        )
        .await?;
    println!("subscriber {subscriber_id} notified at {endpoint}");

    // 3. Run the subscriber as its role.
    let report = Report::default();
    let subscriber = Subscriber::builder()
        .source(https)
        .aws_config(base.clone())
        .subscriber_role(role, SUBSCRIBER_EXTERNAL_ID)
        .handler(report.clone())
        .build()
        .await?;
    let stats = subscriber.stats_handle();
    let stop = subscriber.shutdown_handle();
    let running = tokio::spawn(subscriber.run());

    // ... while the provider writes (two days, so two objects).
    let provider = base
        .assume_role(
            AssumeRoleProvider::builder(source.provider_role_arn.clone())
                .external_id(PROVIDER_EXTERNAL_ID)
                .session_name("bastion-auth-writer"),
        )
        .await?;
    // The bucket and region come from the registration's location.
    let store = S3StoreBuilder::new(&provider)
        .location(&source.location)
        .build()?;
    let mut mapper = LinuxMapper::new(common::builtin_config());
    let mut logons: Vec<Authentication> = common::builtin_lines(11)
        .iter()
        .flat_map(|line| mapper.map_line(line))
        .filter_map(|event| Authentication::try_from(event).ok())
        .collect();
    // The second day: the same lines a day later.
    let next_day: Vec<Authentication> = logons
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.time += 86_400_000;
            e
        })
        .collect();
    logons.extend(next_day);
    let config = WriterConfig::builder()
        .source(&source)
        .region(emulator.region())
        .account_id(ACCOUNT)
        .store(Arc::new(store))
        .spool_dir(temp.path().join("writer-spool"))
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    writer.write_batch(&logons).await?;
    let manifest = writer.close().await?;
    println!("provider wrote {} object(s)", manifest.len());

    let deadline = Instant::now() + Duration::from_secs(30);
    while stats.get().objects_processed < manifest.len() as u64 {
        if Instant::now() > deadline {
            stop.shutdown();
            return Err(format!("notifications did not arrive: {:?}", stats.get()).into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.shutdown();
    let final_stats = running.await??;

    for (key, (events, failed)) in report.0.lock().map_err(|_| "poisoned")?.iter() {
        println!("notified: {key}\n  {events} events, {failed} failed logons");
    }
    println!(
        "{} notification(s) received, {} object(s) processed, {} acknowledged; {} emulator deliveries",
        final_stats.notifications,
        final_stats.objects_processed,
        final_stats.acknowledged,
        emulator.deliveries().len()
    );
    emulator.shutdown().await;
    Ok(())
}

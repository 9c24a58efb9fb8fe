//! A subscriber fed by an SQS queue: the way Security Lake notifies
//! subscribers with `SQS` notification configuration (S3 object-created
//! events sent to the subscriber's queue).
//!
//! ```text
//! cargo run --example sqs_subscriber
//! ```
//!
//! Three ways to run it:
//!
//! * `MOTO_SERVER=/path/to/moto_server` (offline): starts `moto_server` on
//!   127.0.0.1, creates a lake bucket whose object-created events go to a
//!   queue, writes the built-in Authentication events with the source
//!   writer, and consumes the queue until every object is handled.
//! * `SECURITYLAKE_SQS_QUEUE=<queue URL or ARN>` (a real subscriber): reads
//!   the queue with the default AWS credentials (assuming
//!   `SECURITYLAKE_SUBSCRIBER_ROLE_ARN` with `SECURITYLAKE_EXTERNAL_ID` when
//!   set, as Security Lake's subscriber role asks) until Ctrl-C, printing
//!   each object.
//! * neither: prints these instructions and exits.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use securitylake::lake::aws::AwsConfig;
use securitylake::lake::store::S3StoreBuilder;
use securitylake::mappers::LinuxMapper;
use securitylake::model::v1_1_0::events::Authentication;
use securitylake::source::{Writer, WriterConfig};
use securitylake::subscriber::{Handler, HandlerError, LakeObject, SqsSource, Subscriber};

use common::BoxError;

/// Prints each object and counts the rows of the Authentication objects.
#[derive(Debug, Default, Clone)]
struct PrintObjects {
    rows: Arc<AtomicU64>,
}

#[securitylake::subscriber::async_trait]
impl Handler for PrintObjects {
    async fn handle(&self, object: &LakeObject) -> Result<(), HandlerError> {
        let info = object.info();
        let rows = if info.class_uid == Some(Authentication::CLASS_UID)
            && info.ocsf_version.as_deref() == Some("1.1.0")
        {
            let batches: Vec<Vec<Authentication>> =
                object.typed::<Authentication>()?.try_collect().await?;
            batches.iter().map(Vec::len).sum::<usize>() as u64
        } else {
            // Any other class or version: read it generically.
            let batches = object.batches()?.try_collect::<Vec<_>>().await?;
            batches.iter().map(|b| b.num_rows() as u64).sum()
        };
        self.rows.fetch_add(rows, Ordering::Relaxed);
        println!(
            "s3://{}/{}: class {:?}, OCSF {:?}, {rows} rows",
            info.object.bucket,
            info.object.key,
            info.class_uid,
            info.ocsf_version.as_deref().unwrap_or("?")
        );
        Ok(())
    }
}

/// `moto_server` on a free loopback port, stopped on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_moto(bin: &std::ffi::OsStr) -> Result<Moto, BoxError> {
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    // From here on, dropping `moto` stops the child on every path.
    let mut moto = Moto {
        child,
        url: String::new(),
    };
    let stderr = moto
        .child
        .stderr
        .take()
        .ok_or("no stderr from moto_server")?;
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        let line = line?;
        if let Some(pos) = line.find("Running on http://127.0.0.1:") {
            let rest = &line[pos + "Running on ".len()..];
            if let Some(url) = rest.split_whitespace().next() {
                moto.url = url.trim_end_matches('/').to_owned();
            }
            break;
        }
    }
    if moto.url.is_empty() {
        return Err("moto_server did not print its address".into());
    }
    // Keep draining its output so that it never blocks.
    std::thread::spawn(move || lines.for_each(drop));
    Ok(moto)
}

/// The offline run against moto.
async fn with_moto(bin: &std::ffi::OsStr) -> Result<(), BoxError> {
    let moto = start_moto(bin)?;
    let config = AwsConfig::builder()
        .region("us-east-1")
        .endpoint_url(&moto.url)
        .static_credentials("test", "test", None)
        .force_path_style(true)
        .load()
        .await?;
    let s3 = config.s3_client();
    let sqs = aws_sdk_sqs::Client::new(config.sdk_config());
    let bucket = "aws-security-data-lake-us-east-1-example";
    s3.create_bucket().bucket(bucket).send().await?;
    let queue = sqs
        .create_queue()
        .queue_name("AmazonSecurityLake-bastion-monitor-Main-Queue")
        .send()
        .await?;
    let queue_url = queue.queue_url().ok_or("no queue URL")?.to_owned();
    s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(
            aws_sdk_s3::types::NotificationConfiguration::builder()
                .queue_configurations(
                    aws_sdk_s3::types::QueueConfiguration::builder()
                        .queue_arn("arn:aws:sqs:us-east-1:123456789012:AmazonSecurityLake-bastion-monitor-Main-Queue")
                        .events(aws_sdk_s3::types::Event::S3ObjectCreated)
                        .build()?,
                )
                .build(),
        )
        .send()
        .await?;
    println!("moto at {}, queue {queue_url}", moto.url);

    // The provider writes (two days: two objects).
    let temp = tempfile::tempdir()?;
    let store = S3StoreBuilder::new(&config).bucket(bucket).build()?;
    let mut mapper = LinuxMapper::new(common::builtin_config());
    let mut logons: Vec<Authentication> = common::builtin_lines(3)
        .iter()
        .flat_map(|line| mapper.map_line(line))
        .filter_map(|event| Authentication::try_from(event).ok())
        .collect();
    let day_before: Vec<Authentication> = logons
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.time -= 86_400_000;
            e
        })
        .collect();
    logons.extend(day_before);
    let written = logons.len() as u64;
    let mut writer = Writer::<Authentication>::open(
        WriterConfig::builder()
            .location(securitylake::lake::layout::SourceLocation::parse(
                &format!("s3://{bucket}/ext/bastion-auth/1.0/"),
            )?)
            .region("us-east-1")
            .account_id("123456789012")
            .store(Arc::new(store))
            .spool_dir(temp.path().join("spool"))
            .build()?,
    )
    .await?;
    writer.write_batch(&logons).await?;
    let manifest = writer.close().await?;

    // The subscriber consumes the queue until every object is handled.
    let handler = PrintObjects::default();
    let subscriber = Subscriber::builder()
        .source(SqsSource::new(&queue_url).wait_time(Duration::from_secs(1)))
        .aws_config(config)
        .handler(handler.clone())
        .build()
        .await?;
    let stats = subscriber.stats_handle();
    let stop = subscriber.shutdown_handle();
    let running = tokio::spawn(subscriber.run());
    let deadline = Instant::now() + Duration::from_secs(60);
    while stats.get().objects_processed < manifest.len() as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.shutdown();
    let stats = running.await??;
    println!(
        "{} of {} object(s) handled, {} of {written} rows read, {} message(s) deleted",
        stats.objects_processed,
        manifest.len(),
        handler.rows.load(Ordering::Relaxed),
        stats.acknowledged
    );
    if stats.objects_processed < manifest.len() as u64 {
        return Err("not every object was notified in time".into());
    }
    Ok(())
}

/// A real subscriber queue, until Ctrl-C.
async fn with_queue(queue: String) -> Result<(), BoxError> {
    let mut builder = Subscriber::builder()
        .source(SqsSource::new(queue))
        .aws_config(AwsConfig::load_defaults().await?)
        .handler(PrintObjects::default());
    if let Ok(role) = std::env::var("SECURITYLAKE_SUBSCRIBER_ROLE_ARN") {
        let external_id = std::env::var("SECURITYLAKE_EXTERNAL_ID").map_err(
            |_| "SECURITYLAKE_EXTERNAL_ID is required with SECURITYLAKE_SUBSCRIBER_ROLE_ARN",
        )?;
        builder = builder.subscriber_role(role, external_id);
    }
    let subscriber = builder.build().await?;
    let stop = subscriber.shutdown_handle();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.shutdown();
        }
    });
    println!("reading the queue; Ctrl-C stops after the objects in flight");
    let stats = subscriber.run().await?;
    println!("{stats:?}");
    Ok(())
}

/// Runs the example (see the module documentation).
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
pub async fn main() -> Result<(), BoxError> {
    if let Some(bin) = std::env::var_os("MOTO_SERVER") {
        return with_moto(&bin).await;
    }
    if let Ok(queue) = std::env::var("SECURITYLAKE_SQS_QUEUE") {
        return with_queue(queue).await;
    }
    println!(
        "sqs_subscriber needs a queue. Either\n\
         \x20 MOTO_SERVER=/path/to/moto_server cargo run --example sqs_subscriber\n\
         \x20   (offline: a local moto S3 + SQS, objects written and consumed end to end), or\n\
         \x20 SECURITYLAKE_SQS_QUEUE=<queue URL or ARN> [SECURITYLAKE_SUBSCRIBER_ROLE_ARN=... SECURITYLAKE_EXTERNAL_ID=...] \\\n\
         \x20   cargo run --example sqs_subscriber\n\
         \x20   (a Security Lake subscriber's queue, with the default AWS credentials).\n\
         For a subscriber without AWS, see `cargo run --example https_subscriber`."
    );
    Ok(())
}

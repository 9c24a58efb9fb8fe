//! `Subscriber::deliveries()` against three feeds: the in-memory feed, SQS (`moto_server` on
//! 127.0.0.1; skipped with a note when `MOTO_SERVER` is unset) and the HTTPS endpoint's spool
//! (requests over loopback). For each: ack deletes the notification, nack hands it out again
//! after the delay, an unsettled drop hands it out again after the visibility timeout, and
//! extend keeps a slow object invisible past its timeout. Also: `run(handler)` over a custom
//! feed, and `LakeObject::events()`.

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use bytes::Bytes;
use common::PutKey;
use common::*;
use futures::TryStreamExt;
use http_body_util::{BodyExt, Full};
use ocsf_model::columnar::ColumnarOptions;
use ocsf_model::v1_1_0::Event;
use ocsf_model::v1_1_0::events::Authentication;
use securitylake_core::aws::AwsConfig;
use securitylake_core::object_store::{ObjectStore, ObjectStoreExt};
use securitylake_core::store::local_store;
use securitylake_parquet::write_parquet;
use securitylake_subscriber::{
    Deliveries, Delivery, Handler, HandlerError, HttpsSource, LakeObject, MemoryFeed, ObjectRef,
    SqsSource, Subscriber,
};

/// One feed under test: builds subscribers on it, announces objects, counts what it holds.
#[async_trait::async_trait]
trait Backend: Send + Sync {
    /// The visibility timeout the feed is set up with.
    fn visibility(&self) -> Duration;
    /// A subscriber on the feed (a fresh one per scenario).
    async fn subscriber(&self, heartbeat: bool) -> Result<Subscriber, BoxError>;
    /// Writes an object of `rows` Authentication events and announces it.
    async fn announce(&self, name: &str, rows: i64) -> Result<String, BoxError>;
    /// Notifications not yet acknowledged (visible or not).
    async fn unacked(&self) -> Result<usize, BoxError>;
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn next(deliveries: &mut Deliveries) -> Result<Delivery, BoxError> {
    let d = tokio::time::timeout(Duration::from_secs(30), deliveries.next())
        .await
        .map_err(|_| "no delivery within 30 s")?
        .ok_or("the stream ended")??;
    Ok(d)
}

async fn rows(d: &Delivery) -> Result<usize, BoxError> {
    let batches: Vec<Vec<Authentication>> =
        d.object().typed::<Authentication>()?.try_collect().await?;
    Ok(batches.concat().len())
}

/// The four scenarios, in order, each leaving the feed empty.
async fn scenarios(backend: &dyn Backend) -> TestResult {
    let v = backend.visibility();

    // Ack deletes.
    let subscriber = backend.subscriber(true).await?;
    let mut deliveries: Deliveries = subscriber.deliveries();
    let key = backend.announce("ack.zstd.parquet", 3).await?;
    let d = next(&mut deliveries).await?;
    assert_eq!(d.object_ref().key, key);
    assert_eq!(d.receive_count(), 1);
    assert_eq!(rows(&d).await?, 3);
    assert_eq!(backend.unacked().await?, 1, "in flight until acknowledged");
    d.ack().await?;
    assert_eq!(backend.unacked().await?, 0, "ack deletes");
    assert_eq!(subscriber.stats().objects_processed, 1);
    subscriber.shutdown_handle().shutdown();
    drop(deliveries);

    // Nack hands it out again after the delay.
    let subscriber = backend.subscriber(true).await?;
    let mut deliveries: Deliveries = subscriber.deliveries();
    let key = backend.announce("nack.zstd.parquet", 4).await?;
    let d = next(&mut deliveries).await?;
    assert_eq!(d.object_ref().key, key);
    d.nack(Duration::from_secs(1)).await?;
    let again = next(&mut deliveries).await?;
    assert_eq!(
        again.object_ref().key,
        key,
        "nacked object handed out again"
    );
    assert_eq!(again.receive_count(), 2);
    assert_eq!(rows(&again).await?, 4);
    again.ack().await?;
    assert_eq!(backend.unacked().await?, 0);
    subscriber.shutdown_handle().shutdown();
    drop(deliveries);

    // An unsettled drop is handed out again after the visibility timeout (the heartbeat
    // stops with the last acker).
    let subscriber = backend.subscriber(true).await?;
    let mut deliveries: Deliveries = subscriber.deliveries();
    let key = backend.announce("dropped.zstd.parquet", 5).await?;
    let d = next(&mut deliveries).await?;
    assert_eq!(d.object_ref().key, key);
    drop(d);
    let again = next(&mut deliveries).await?;
    assert_eq!(
        again.object_ref().key,
        key,
        "dropped object handed out again"
    );
    assert_eq!(again.receive_count(), 2);
    again.ack().await?;
    assert_eq!(backend.unacked().await?, 0);
    subscriber.shutdown_handle().shutdown();
    drop(deliveries);

    // Extend keeps a slow object invisible past its timeout (no heartbeat here).
    let subscriber = backend.subscriber(false).await?;
    let mut deliveries: Deliveries = subscriber.deliveries();
    let key = backend.announce("slow.zstd.parquet", 6).await?;
    let d = next(&mut deliveries).await?;
    assert_eq!(d.object_ref().key, key);
    for _ in 0..3 {
        tokio::time::sleep(v / 2).await;
        d.extend(v).await?;
    }
    // 1.5 × the timeout has passed; without the extensions it would be handed out now.
    let early = tokio::time::timeout(v / 2, deliveries.next()).await;
    assert!(early.is_err(), "handed out again while extended");
    d.ack().await?;
    assert_eq!(backend.unacked().await?, 0);
    subscriber.shutdown_handle().shutdown();
    Ok(())
}

/// The in-memory feed over a local lake.
struct Memory {
    feed: Arc<MemoryFeed>,
    lake: Arc<dyn ObjectStore>,
    _dir: tempfile::TempDir,
}

#[async_trait::async_trait]
impl Backend for Memory {
    fn visibility(&self) -> Duration {
        Duration::from_secs(1)
    }
    async fn subscriber(&self, heartbeat: bool) -> Result<Subscriber, BoxError> {
        Ok(Subscriber::builder()
            .feed(self.feed.clone())
            .store(self.lake.clone())
            .visibility_heartbeat(heartbeat)
            .build()
            .await?)
    }
    async fn announce(&self, name: &str, rows: i64) -> Result<String, BoxError> {
        let key = custom_key(name);
        let put = self
            .lake
            .put_key(
                &key,
                write_parquet(&auth_events(rows), &ColumnarOptions::default())?.into(),
            )
            .await?;
        self.feed.push(vec![
            ObjectRef::new("lake", key.clone()).with_etag(put.etag),
        ]);
        Ok(key)
    }
    async fn unacked(&self) -> Result<usize, BoxError> {
        Ok(self.feed.len())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_from_the_memory_feed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let backend = Memory {
        feed: Arc::new(MemoryFeed::new(Duration::from_secs(1))),
        lake: local_store(dir.path())?,
        _dir: dir,
    };
    scenarios(&backend).await
}

/// The HTTPS endpoint (plain HTTP on loopback) and its spool, over a local lake.
struct Https {
    dir: tempfile::TempDir,
    lake: Arc<dyn ObjectStore>,
    addr: std::sync::Mutex<Option<SocketAddr>>,
    spool: std::sync::Mutex<Option<PathBuf>>,
    n: AtomicUsize,
}

const KEY_HEADER: &str = "x-api-key";
const KEY: &str = "deliveries-test-key";

#[async_trait::async_trait]
impl Backend for Https {
    fn visibility(&self) -> Duration {
        Duration::from_secs(1)
    }
    async fn subscriber(&self, heartbeat: bool) -> Result<Subscriber, BoxError> {
        let spool = self
            .dir
            .path()
            .join(format!("spool-{}", self.n.fetch_add(1, Ordering::SeqCst)));
        let source = HttpsSource::builder(&spool)
            .api_key(KEY_HEADER, KEY)
            .visibility_timeout(self.visibility())
            .bind()
            .await?;
        *self.addr.lock().map_err(|_| "lock")? = Some(source.local_addr());
        *self.spool.lock().map_err(|_| "lock")? = Some(spool);
        Ok(Subscriber::builder()
            .source(source)
            .store(self.lake.clone())
            .visibility_heartbeat(heartbeat)
            .build()
            .await?)
    }
    async fn announce(&self, name: &str, rows: i64) -> Result<String, BoxError> {
        let key = custom_key(name);
        let put = self
            .lake
            .put_key(
                &key,
                write_parquet(&auth_events(rows), &ColumnarOptions::default())?.into(),
            )
            .await?;
        let addr = self.addr.lock().map_err(|_| "lock")?.ok_or("no endpoint")?;
        let body = serde_json::json!({
            "source": "aws.s3",
            "detail": {"bucket": {"name": "local"}, "object": {"key": key.replace('=', "%3D"), "etag": put.etag}}
        })
        .to_string();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<Full<Bytes>>();
        let req = http::Request::builder()
            .method("POST")
            .uri(format!("http://{addr}/hook"))
            .header("content-type", "application/json")
            .header(KEY_HEADER, KEY)
            .body(Full::new(Bytes::from(body)))?;
        let resp = client.request(req).await?;
        let status = resp.status().as_u16();
        let _ = resp.into_body().collect().await?;
        assert_eq!(status, 200, "spooled");
        Ok(key)
    }
    async fn unacked(&self) -> Result<usize, BoxError> {
        let spool = self
            .spool
            .lock()
            .map_err(|_| "lock")?
            .clone()
            .ok_or("no spool")?;
        Ok(std::fs::read_dir(spool)?
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .count())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_from_the_https_spool() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake = local_store(dir.path().join("lake"))?;
    let backend = Https {
        dir,
        lake,
        addr: Default::default(),
        spool: Default::default(),
        n: AtomicUsize::new(0),
    };
    scenarios(&backend).await
}

/// An SQS queue and an S3 bucket on moto; notifications are sent to the queue by hand.
struct Sqs {
    config: AwsConfig,
    sqs: aws_sdk_sqs::Client,
    url: String,
    bucket: String,
    lake: Arc<dyn ObjectStore>,
}

#[async_trait::async_trait]
impl Backend for Sqs {
    fn visibility(&self) -> Duration {
        Duration::from_secs(2)
    }
    async fn subscriber(&self, heartbeat: bool) -> Result<Subscriber, BoxError> {
        Ok(Subscriber::builder()
            .source(
                SqsSource::new(&self.url)
                    .client(self.sqs.clone())
                    .wait_time(Duration::from_secs(1))
                    .visibility_timeout(self.visibility()),
            )
            .aws_config(self.config.clone())
            .visibility_heartbeat(heartbeat)
            .build()
            .await?)
    }
    async fn announce(&self, name: &str, rows: i64) -> Result<String, BoxError> {
        let key = custom_key(name);
        let put = self
            .lake
            .put_key(
                &key,
                write_parquet(&auth_events(rows), &ColumnarOptions::default())?.into(),
            )
            .await?;
        let body = serde_json::json!({"Records": [{
            "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": self.bucket}, "object": {"key": key.replace('=', "%3D"), "eTag": put.etag}}
        }]})
        .to_string();
        self.sqs
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await?;
        Ok(key)
    }
    async fn unacked(&self) -> Result<usize, BoxError> {
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await?;
        let get = |n: QueueAttributeName| -> usize {
            out.attributes()
                .and_then(|a| a.get(&n))
                .and_then(|v| v.parse().ok())
                .unwrap_or(usize::MAX)
        };
        Ok(get(QueueAttributeName::ApproximateNumberOfMessages)
            + get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_from_sqs_on_moto() -> TestResult {
    let Some(moto) = common::start_moto("the SQS deliveries test") else {
        return Ok(());
    };
    let config = AwsConfig::builder()
        .region("us-east-1")
        .endpoint_url(&moto.url)
        .static_credentials("test", "test", None)
        .force_path_style(true)
        .load()
        .await?;
    let sqs = aws_sdk_sqs::Client::new(config.sdk_config());
    let bucket = "aws-security-data-lake-us-east-1-deliveries".to_owned();
    config
        .s3_client()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await?;
    let url = sqs
        .create_queue()
        .queue_name("deliveries")
        .send()
        .await?
        .queue_url()
        .ok_or("no queue url")?
        .to_owned();
    let lake: Arc<dyn ObjectStore> = Arc::new(
        securitylake_core::store::S3StoreBuilder::new(&config)
            .bucket(&bucket)
            .build()?,
    );
    let backend = Sqs {
        config,
        sqs,
        url,
        bucket,
        lake,
    };
    scenarios(&backend).await
}

/// Counts rows; owns its counter (no lock needed by the test).
struct CountRows(Arc<AtomicUsize>);

#[async_trait::async_trait]
impl Handler for CountRows {
    async fn handle(&self, object: &LakeObject) -> Result<(), HandlerError> {
        let mut events = object.events()?;
        while let Some(batch) = events.try_next().await? {
            for e in &batch {
                if !matches!(e, Event::Authentication(_)) {
                    return Err(HandlerError::permanent(format!("class {}", e.class_uid())));
                }
            }
            self.0.fetch_add(batch.len(), Ordering::SeqCst);
        }
        Ok(())
    }
}

/// `run(handler)` over a custom feed goes through deliveries: each object handled once, the
/// feed emptied, a duplicate announcement skipped; `LakeObject::events()` reads the rows as
/// `Event`s of their class.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_over_a_custom_feed_and_events() -> TestResult {
    let dir = tempfile::tempdir()?;
    let backend = Memory {
        feed: Arc::new(MemoryFeed::new(Duration::from_secs(5))),
        lake: local_store(dir.path())?,
        _dir: dir,
    };
    let a = backend.announce("a.zstd.parquet", 7).await?;
    backend.announce("b.zstd.parquet", 2).await?;
    let rows = Arc::new(AtomicUsize::new(0));
    let subscriber = Subscriber::builder()
        .feed(backend.feed.clone())
        .store(backend.lake.clone())
        .handler(CountRows(rows.clone()))
        .build()
        .await?;
    let stats = subscriber.run_once().await?;
    assert_eq!(stats.objects_processed, 2);
    assert_eq!(rows.load(Ordering::SeqCst), 9);
    assert!(backend.feed.is_empty());
    // The same object again (same etag): a duplicate, acknowledged without handling.
    let etag = backend
        .lake
        .head(&securitylake_core::object_store::path::Path::from(
            a.as_str(),
        ))
        .await?
        .e_tag
        .unwrap_or_default();
    backend
        .feed
        .push(vec![ObjectRef::new("lake", a).with_etag(etag)]);
    let stats = subscriber.run_once().await?;
    assert_eq!((stats.objects_processed, stats.duplicates), (2, 1));
    assert!(backend.feed.is_empty());
    assert_eq!(rows.load(Ordering::SeqCst), 9);

    // events() gives each row typed by its class.
    let store = backend.lake.clone();
    let key = backend.announce("c.zstd.parquet", 3).await?;
    let reader =
        securitylake_subscriber::reader::ObjectReader::open(store, &ObjectRef::new("lake", key))
            .await?;
    let object = LakeObject::new(reader);
    let events: Vec<Event> = object.events()?.try_collect::<Vec<_>>().await?.concat();
    let expected = auth_events(3);
    assert_eq!(events.len(), 3);
    for (e, want) in events.iter().zip(&expected) {
        let Event::Authentication(got) = e else {
            panic!("not an Authentication: {e:?}");
        };
        assert_eq!(got.user, want.user);
        assert_eq!(got.time, want.time);
        assert_eq!(got.message, want.message);
    }
    Ok(())
}

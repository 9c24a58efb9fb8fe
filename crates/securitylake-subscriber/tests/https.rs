//! The HTTPS endpoint end to end on 127.0.0.1: authentication, limits,
//! duplicates, malformed bodies, restarts from the spool, and the emulator's
//! notifications.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::PutKey;
use common::*;
use futures::TryStreamExt;
use http_body_util::{BodyExt, Full};
use ocsf_model::columnar::ColumnarOptions;
use ocsf_model::v1_1_0::events::Authentication;
use securitylake_core::aws::AwsConfig;
use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::local_store;
use securitylake_emulator::DeliveryOutcome;
use securitylake_parquet::write_parquet;
use securitylake_subscriber::{
    FileDeadLetterSink, Handler, HandlerError, HttpsSource, LakeObject, Subscriber,
    SubscriberStats, checkpoint::FileCheckpoint,
};

const KEY_HEADER: &str = "x-api-key";
const KEY: &str = "s3cr3t-value";

/// Records every object and its typed rows.
#[derive(Default, Clone)]
struct Recorder {
    objects: Arc<Mutex<Vec<(String, usize)>>>,
}

#[async_trait::async_trait]
impl Handler for Recorder {
    async fn handle(&self, object: &LakeObject) -> Result<(), HandlerError> {
        let rows: Vec<Vec<Authentication>> =
            object.typed::<Authentication>()?.try_collect().await?;
        self.objects
            .lock()
            .map_err(|_| HandlerError::permanent("lock"))?
            .push((object.info().object.key.clone(), rows.concat().len()));
        Ok(())
    }
}

impl Recorder {
    fn keys(&self) -> Vec<(String, usize)> {
        let mut k = self.objects.lock().expect("lock").clone();
        k.sort();
        k
    }
}

/// A handler that never finishes (the process is "killed" while it runs).
struct Stuck(Arc<AtomicUsize>);

#[async_trait::async_trait]
impl Handler for Stuck {
    async fn handle(&self, _object: &LakeObject) -> Result<(), HandlerError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        futures::future::pending::<()>().await;
        Ok(())
    }
}

async fn send(
    addr: SocketAddr,
    method: &str,
    key: Option<&str>,
    body: Vec<u8>,
) -> Result<u16, Box<dyn std::error::Error + Send + Sync>> {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let mut req = http::Request::builder()
        .method(method)
        .uri(format!("http://{addr}/hook"))
        .header("content-type", "application/json");
    if let Some(k) = key {
        req = req.header(KEY_HEADER, k);
    }
    let resp = client
        .request(req.body(Full::new(Bytes::from(body)))?)
        .await?;
    let status = resp.status().as_u16();
    let _ = resp.into_body().collect().await?;
    Ok(status)
}

fn body(bucket: &str, key: &str, etag: &str) -> Vec<u8> {
    let encoded = key.replace('=', "%3D");
    serde_json::json!({
        "version": "0", "id": "x", "detail-type": "Object Created", "source": "aws.s3",
        "time": "2023-11-14T00:00:00Z",
        "detail": {"bucket": {"name": bucket}, "object": {"key": encoded, "etag": etag}}
    })
    .to_string()
    .into_bytes()
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) -> Result<(), String> {
    for _ in 0..200 {
        if done() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("timed out waiting for {what}"))
}

async fn put_auth(
    lake: &dyn ObjectStore,
    name: &str,
    rows: i64,
) -> Result<(String, String), Box<dyn std::error::Error + Send + Sync>> {
    let key = custom_key(name);
    let put = lake
        .put_key(
            &key,
            write_parquet(&auth_events(rows), &ColumnarOptions::default())?.into(),
        )
        .await?;
    Ok((key, put.etag))
}

#[tokio::test]
async fn https_endpoint_end_to_end() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = local_store(dir.path().join("lake"))?;
    let (k1, e1) = put_auth(lake.as_ref(), "a.zstd.parquet", 10).await?;
    let (k2, e2) = put_auth(lake.as_ref(), "b.zstd.parquet", 20).await?;
    let truncated = custom_key("t.zstd.parquet");
    lake.put_key(
        &truncated,
        Bytes::from_static(b"PAR1 not really parquet at all PAR1").into(),
    )
    .await?;

    let source = HttpsSource::builder(dir.path().join("spool"))
        .api_key(KEY_HEADER, KEY)
        .max_body_bytes(4096)
        .rescan_interval(Duration::from_millis(100))
        .bind()
        .await?;
    let addr = source.local_addr();
    let recorder = Recorder::default();
    let dead = dir.path().join("dead.jsonl");
    let subscriber = Subscriber::builder()
        .source(source)
        .store(lake.clone())
        .handler(recorder.clone())
        .checkpoint(Arc::new(FileCheckpoint::open(dir.path().join("cp.log"))?))
        .dead_letter(Arc::new(FileDeadLetterSink::open(&dead)?))
        .concurrency(2)
        .build()
        .await?;
    let stats = subscriber.stats_handle();
    let stop = subscriber.shutdown_handle();
    let task = tokio::spawn(subscriber.run());

    // Authentication and limits.
    assert_eq!(
        send(addr, "POST", None, body("local", &k1, &e1)).await?,
        401
    );
    assert_eq!(
        send(addr, "POST", Some("wrong"), body("local", &k1, &e1)).await?,
        401
    );
    assert_eq!(
        send(
            addr,
            "POST",
            Some(&KEY[..KEY.len() - 1]),
            body("local", &k1, &e1)
        )
        .await?,
        401
    );
    assert_eq!(send(addr, "GET", Some(KEY), Vec::new()).await?, 405);
    assert_eq!(send(addr, "POST", Some(KEY), vec![b' '; 8192]).await?, 413);
    // Accepted: POST and PUT, a duplicate, a malformed body, a missing key, a
    // truncated object.
    assert_eq!(
        send(addr, "POST", Some(KEY), body("local", &k1, &e1)).await?,
        200
    );
    assert_eq!(
        send(addr, "PUT", Some(KEY), body("local", &k2, &e2)).await?,
        200
    );
    wait_for("two objects", || stats.get().objects_processed == 2).await?;
    assert_eq!(
        send(addr, "POST", Some(KEY), body("local", &k1, &e1)).await?,
        200
    );
    assert_eq!(
        send(addr, "POST", Some(KEY), b"{\"detail\": {".to_vec()).await?,
        200
    );
    assert_eq!(
        send(
            addr,
            "POST",
            Some(KEY),
            body("local", &custom_key("nope.parquet"), "e")
        )
        .await?,
        200
    );
    assert_eq!(
        send(addr, "POST", Some(KEY), body("local", &truncated, "e")).await?,
        200
    );
    wait_for("dead letters", || {
        stats.get().dead_lettered == 3 && stats.get().duplicates == 1
    })
    .await?;
    wait_for("empty spool", || {
        std::fs::read_dir(dir.path().join("spool"))
            .map(|d| d.count())
            .unwrap_or(1)
            == 0
    })
    .await?;
    stop.shutdown();
    let final_stats: SubscriberStats = task.await??;

    assert_eq!(recorder.keys(), vec![(k1, 10), (k2, 20)]);
    assert_eq!(final_stats.rejected_requests, 5);
    assert_eq!(final_stats.notifications, 6);
    assert_eq!(final_stats.acknowledged, 6);
    assert_eq!(final_stats.malformed, 1);
    let letters = FileDeadLetterSink::read_all(&dead)?;
    let kinds: Vec<&str> = letters.iter().map(|l| l.kind.as_str()).collect();
    assert_eq!(letters.len(), 3, "{letters:?}");
    assert!(
        kinds.contains(&"invalid_notification")
            && kinds.contains(&"not_found")
            && kinds.contains(&"invalid_object"),
        "{kinds:?}"
    );
    assert!(
        letters
            .iter()
            .any(|l| l.body.as_deref() == Some("{\"detail\": {"))
    );
    Ok(())
}

#[tokio::test]
async fn spooled_notifications_survive_a_killed_subscriber() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lake: Arc<dyn ObjectStore> = local_store(dir.path().join("lake"))?;
    let mut objects = Vec::new();
    for i in 0..5 {
        objects.push(put_auth(lake.as_ref(), &format!("{i}.zstd.parquet"), 3 + i).await?);
    }
    let spool = dir.path().join("spool");

    // First run: the handler hangs; the process is "killed" (task aborted).
    let started = Arc::new(AtomicUsize::new(0));
    let source = HttpsSource::builder(&spool)
        .api_key(KEY_HEADER, KEY)
        .bind()
        .await?;
    let addr = source.local_addr();
    let subscriber = Subscriber::builder()
        .source(source)
        .store(lake.clone())
        .handler(Stuck(started.clone()))
        .concurrency(2)
        .build()
        .await?;
    let task = tokio::spawn(subscriber.run());
    for (key, etag) in &objects {
        assert_eq!(
            send(addr, "POST", Some(KEY), body("local", key, etag)).await?,
            200
        );
    }
    wait_for("handlers started", || started.load(Ordering::SeqCst) == 2).await?;
    task.abort();
    let _ = task.await;
    let pending = std::fs::read_dir(&spool)?.count();
    assert_eq!(
        pending, 5,
        "every acknowledged notification is still spooled"
    );

    // Restart on the same spool: everything is processed once.
    let recorder = Recorder::default();
    let source = HttpsSource::builder(&spool)
        .api_key(KEY_HEADER, KEY)
        .bind()
        .await?;
    let subscriber = Subscriber::builder()
        .source(source)
        .store(lake.clone())
        .handler(recorder.clone())
        .build()
        .await?;
    let stats = subscriber.stats_handle();
    let stop = subscriber.shutdown_handle();
    let task = tokio::spawn(subscriber.run());
    wait_for("five objects", || stats.get().objects_processed == 5).await?;
    wait_for("empty spool", || {
        std::fs::read_dir(&spool).map(|d| d.count()).unwrap_or(1) == 0
    })
    .await?;
    stop.shutdown();
    task.await??;
    let mut expected: Vec<(String, usize)> = objects
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.clone(), 3 + i))
        .collect();
    expected.sort();
    assert_eq!(recorder.keys(), expected);
    Ok(())
}

async fn api(
    addr: SocketAddr,
    method: &str,
    path: &str,
    json: serde_json::Value,
) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let req = http::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .header("content-type", "application/json")
        .header("authorization", "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/securitylake/aws4_request, SignedHeaders=host, Signature=00")
        .body(Full::new(Bytes::from(json.to_string())))?;
    let resp = client.request(req).await?;
    let status = resp.status();
    let bytes = resp.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        return Err(format!(
            "{method} {path}: {status}: {}",
            String::from_utf8_lossy(&bytes)
        )
        .into());
    }
    Ok(serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn emulator_https_notifications_reach_the_listener() -> TestResult {
    let dir = tempfile::tempdir()?;
    let emulator = securitylake_emulator::Emulator::builder()
        .data_dir(dir.path().join("emu"))
        .notification_max_attempts(2)
        .notification_backoff(Duration::from_millis(20))
        .start()
        .await?;
    let addr = emulator.local_addr();
    api(
        addr,
        "POST",
        "/v1/datalake/logsources/custom",
        serde_json::json!({
            "sourceName": "app", "sourceVersion": "1.0", "eventClasses": ["AUTHENTICATION"],
            "configuration": {
                "crawlerConfiguration": {"roleArn": "arn:aws:iam::123456789012:role/crawler"},
                "providerIdentity": {"principal": "210987654321", "externalId": "ext-id"}}
        }),
    )
    .await?;
    let created = api(
        addr,
        "POST",
        "/v1/subscribers",
        serde_json::json!({
            "subscriberName": "app-reader",
            "subscriberIdentity": {"principal": "210987654321", "externalId": "sub-ext"},
            "sources": [{"customLogSource": {"sourceName": "app"}}],
            "accessTypes": ["S3"]
        }),
    )
    .await?;
    let id = created["subscriber"]["subscriberId"]
        .as_str()
        .ok_or("no subscriberId")?
        .to_owned();
    let role = created["subscriber"]["roleArn"]
        .as_str()
        .ok_or("no roleArn")?
        .to_owned();

    let source = HttpsSource::builder(dir.path().join("spool"))
        .api_key(KEY_HEADER, KEY)
        .bind()
        .await?;
    let endpoint = format!("http://{}/hook", source.local_addr());
    // First a wrong key, then none: the emulator's deliveries are refused.
    let notification = |key: Option<&str>| {
        let mut config = serde_json::json!({
            "endpoint": endpoint, "targetRoleArn": "arn:aws:iam::123456789012:role/eventbridge",
            "httpMethod": "POST"});
        if let Some(key) = key {
            config["authorizationApiKeyName"] = KEY_HEADER.into();
            config["authorizationApiKeyValue"] = key.into();
        }
        serde_json::json!({"configuration": {"httpsNotificationConfiguration": config}})
    };
    let path = format!("/v1/subscribers/{id}/notification");
    api(addr, "POST", &path, notification(Some("not-the-key"))).await?;

    // The subscriber reads S3 as the subscriber role, assumed through the
    // emulator's STS with the external id.
    let (ak, sk) = emulator.credentials();
    let base = AwsConfig::builder()
        .region(emulator.region())
        .endpoint_url(emulator.endpoint_url())
        .static_credentials(ak, sk, None)
        .force_path_style(true)
        .load()
        .await?;
    let recorder = Recorder::default();
    let subscriber = Subscriber::builder()
        .source(source)
        .aws_config(base.clone())
        .subscriber_role(role, "sub-ext")
        .handler(recorder.clone())
        .build()
        .await?;
    let stats = subscriber.stats_handle();
    let stop = subscriber.shutdown_handle();
    let task = tokio::spawn(subscriber.run());

    // A writer puts two objects into the lake bucket; another source's object
    // is not announced.
    let writer = securitylake_core::store::S3StoreBuilder::new(&base)
        .bucket(emulator.lake_bucket())
        .build()?;
    let refused_wrong = custom_key("00000000000000000000000000000001.zstd.parquet");
    let refused_missing = custom_key("00000000000000000000000000000002.zstd.parquet");
    for (i, key) in [&refused_wrong, &refused_missing].into_iter().enumerate() {
        writer
            .put_key(
                key,
                write_parquet(&auth_events(3), &ColumnarOptions::default())?.into(),
            )
            .await?;
        wait_for("a refused delivery", || {
            emulator.deliveries().len() == i + 1
        })
        .await?;
        if i == 0 {
            api(addr, "PUT", &path, notification(None)).await?;
        }
    }
    let refused = emulator.deliveries();
    for delivery in &refused {
        assert!(
            matches!(&delivery.outcome, DeliveryOutcome::Failed { error } if error == "HTTP 401")
                && delivery.attempts == 2,
            "{delivery:?}"
        );
    }
    assert_eq!(stats.get().rejected_requests, 4, "{:?}", stats.get());
    assert_eq!(stats.get().notifications, 0, "{:?}", stats.get());
    // Now the right key.
    api(addr, "PUT", &path, notification(Some(KEY))).await?;
    let k1 = custom_key("0123456789abcdef0123456789abcdef.zstd.parquet");
    let k2 = custom_key("fedcba9876543210fedcba9876543210.zstd.parquet");
    for (k, n) in [(&k1, 7), (&k2, 9)] {
        writer
            .put_key(
                k,
                write_parquet(&auth_events(n), &ColumnarOptions::default())?.into(),
            )
            .await?;
    }
    wait_for("emulator notifications", || {
        stats.get().objects_processed == 2
    })
    .await?;
    stop.shutdown();
    task.await??;
    assert_eq!(recorder.keys(), vec![(k1, 7), (k2, 9)]);
    let deliveries = emulator.deliveries();
    assert_eq!(deliveries.len(), 4, "{deliveries:?}");
    assert!(
        deliveries[2..]
            .iter()
            .all(|d| matches!(d.outcome, DeliveryOutcome::Delivered { status: 200 })),
        "{deliveries:?}"
    );
    emulator.shutdown().await;
    Ok(())
}

async fn tls_request(
    addr: SocketAddr,
    roots: rustls::RootCertStore,
    request: String,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let mut tls = connector.connect(name, tcp).await?;
    tls.write_all(request.as_bytes()).await?;
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn tls_with_pem_files() -> TestResult {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let dir = tempfile::tempdir()?;
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    // A self-signed server certificate for 127.0.0.1 (an end-entity certificate: not a CA,
    // server authentication only), made in process: the test needs no `openssl` command.
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "127.0.0.1");
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let key_pair = rcgen::KeyPair::generate()?;
    let certificate = params.self_signed(&key_pair)?;
    std::fs::write(&cert, certificate.pem())?;
    std::fs::write(&key, key_pair.serialize_pem())?;
    let source = HttpsSource::builder(dir.path().join("spool"))
        .api_key(KEY_HEADER, KEY)
        .tls_pem_files(&cert, &key)
        .bind()
        .await?;
    let addr = source.local_addr();
    let lake: Arc<dyn ObjectStore> = local_store(dir.path().join("lake"))?;
    let (k, e) = put_auth(lake.as_ref(), "a.zstd.parquet", 3).await?;
    let recorder = Recorder::default();
    let subscriber = Subscriber::builder()
        .source(source)
        .store(lake)
        .handler(recorder.clone())
        .build()
        .await?;
    let stats = subscriber.stats_handle();
    let stop = subscriber.shutdown_handle();
    let task = tokio::spawn(subscriber.run());

    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&cert)? {
        roots.add(c?)?;
    }
    let payload = String::from_utf8(body("local", &k, &e))?;
    let request = |key: &str| {
        format!(
            "POST /hook HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n{KEY_HEADER}: {key}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{payload}",
            payload.len()
        )
    };
    let denied = tls_request(addr, roots.clone(), request("nope")).await?;
    assert!(denied.starts_with("HTTP/1.1 401"), "{denied}");
    let accepted = tls_request(addr, roots, request(KEY)).await?;
    assert!(accepted.starts_with("HTTP/1.1 200"), "{accepted}");
    wait_for("the object over TLS", || stats.get().objects_processed == 1).await?;
    stop.shutdown();
    task.await??;
    assert_eq!(recorder.keys(), vec![(k, 3)]);
    Ok(())
}

#[tokio::test]
async fn slow_bodies_time_out_with_408() -> TestResult {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir()?;
    let source = HttpsSource::builder(dir.path().join("spool"))
        .api_key(KEY_HEADER, KEY)
        .request_timeout(Duration::from_millis(300))
        .bind()
        .await?;
    let addr = source.local_addr();
    let subscriber = Subscriber::builder()
        .source(source)
        .store(local_store(dir.path().join("lake"))?)
        .handler(Recorder::default())
        .build()
        .await?;
    let stats = subscriber.stats_handle();
    let stop = subscriber.shutdown_handle();
    let task = tokio::spawn(subscriber.run());
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let head = format!(
        "POST /hook HTTP/1.1\r\nhost: x\r\n{KEY_HEADER}: {KEY}\r\ncontent-length: 100\r\n\r\n{{\"detail\""
    );
    stream.write_all(head.as_bytes()).await?;
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out)).await??;
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert_eq!(stats.get().rejected_requests, 1);
    assert_eq!(
        std::fs::read_dir(dir.path().join("spool"))?.count(),
        0,
        "nothing spooled"
    );
    stop.shutdown();
    task.await??;
    Ok(())
}

//! Shared helpers: SDK clients wired to an emulator, and a loopback HTTP
//! receiver for notifications.

#![allow(dead_code, missing_docs)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use securitylake_emulator::Emulator;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub const REGION: &str = "us-east-1";
pub const CRAWLER_ROLE: &str = "arn:aws:iam::123456789012:role/GlueCrawler";

pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub async fn emulator() -> Result<Emulator, securitylake_emulator::Error> {
    Emulator::builder()
        .notification_backoff(Duration::from_millis(20))
        .notification_timeout(Duration::from_secs(2))
        .start()
        .await
}

/// A Security Lake client for the emulator with static test credentials
/// and no SDK retries (so the emulator's request counts are exact).
pub fn securitylake(emulator: &Emulator) -> aws_sdk_securitylake::Client {
    use aws_sdk_securitylake::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_securitylake::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(emulator.endpoint_url())
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .retry_config(aws_sdk_securitylake::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_securitylake::Client::from_conf(config)
}

/// A path-style S3 client for the emulator with its credentials.
pub fn s3(emulator: &Emulator) -> aws_sdk_s3::Client {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    let (access_key, secret) = emulator.credentials();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(emulator.s3_endpoint_url())
        .force_path_style(true)
        .credentials_provider(Credentials::new(access_key, secret, None, None, "test"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Registers a custom source and returns its `provider.location`.
pub async fn create_source(
    client: &aws_sdk_securitylake::Client,
    name: &str,
    version: Option<&str>,
) -> Result<
    aws_sdk_securitylake::types::CustomLogSourceResource,
    Box<dyn std::error::Error + Send + Sync>,
> {
    use aws_sdk_securitylake::types::{
        AwsIdentity, CustomLogSourceConfiguration, CustomLogSourceCrawlerConfiguration,
    };
    let output = client
        .create_custom_log_source()
        .source_name(name)
        .set_source_version(version.map(str::to_owned))
        .event_classes("AUTHENTICATION")
        .configuration(
            CustomLogSourceConfiguration::builder()
                .crawler_configuration(
                    CustomLogSourceCrawlerConfiguration::builder()
                        .role_arn(CRAWLER_ROLE)
                        .build()?,
                )
                .provider_identity(
                    AwsIdentity::builder()
                        .principal("210987654321")
                        .external_id("ext-id")
                        .build()?,
                )
                .build(),
        )
        .send()
        .await?;
    output
        .source()
        .cloned()
        .ok_or_else(|| "no source in the response".into())
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// A loopback HTTP server that records requests and answers with queued
/// statuses (200 once the queue is empty).
pub struct Receiver {
    pub address: SocketAddr,
    pub requests: mpsc::UnboundedReceiver<Received>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (tx, requests) = mpsc::unbounded_channel();
        let statuses: Arc<Mutex<VecDeque<u16>>> = Arc::default();
        let queued = Arc::clone(&statuses);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let tx = tx.clone();
                let queued = Arc::clone(&queued);
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                        let tx = tx.clone();
                        let queued = Arc::clone(&queued);
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let _ = tx.send(Received {
                                method: parts.method.to_string(),
                                path: parts.uri.path().to_owned(),
                                headers: parts.headers,
                                body,
                            });
                            let status = queued
                                .lock()
                                .ok()
                                .and_then(|mut q| q.pop_front())
                                .unwrap_or(200);
                            let mut response = Response::new(Full::new(Bytes::from_static(b"{}")));
                            *response.status_mut() =
                                http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            address,
            requests,
            statuses,
            task,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Answers the next requests with these statuses.
    pub fn respond_with(&self, statuses: &[u16]) {
        if let Ok(mut queue) = self.statuses.lock() {
            queue.extend(statuses);
        }
    }

    /// The next request, or an error after `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Result<Received, String> {
        tokio::time::timeout(timeout, self.requests.recv())
            .await
            .map_err(|_| format!("no request within {timeout:?}"))?
            .ok_or_else(|| "receiver closed".to_owned())
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Sends raw HTTP/1.1 bytes to `address` and returns the status code and
/// the response text.
pub async fn raw_request(address: SocketAddr, request: &str) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, text))
}

//! Shared test harness: the backend-independent suite and an in-process S3
//! (s3s-fs behind s3s-aws) with optional fault injection and a fake STS.

#![allow(dead_code, missing_docs)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use aws_sdk_s3::config::RuntimeComponents;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use securitylake_core::aws::AwsConfig;
use securitylake_core::layout::{
    AccountId, Codec, EventDay, ObjectName, ParsedKey, PartitionKey, Region, SourceLocation,
};
use securitylake_core::store::{ObjectStore, PutOptions};
use securitylake_core::{ErrorKind, Result};

pub const ACCESS_KEY: &str = "AKIDTESTBASE";
pub const SECRET_KEY: &str = "secret-base";
pub const BUCKET: &str = "test-lake";

/// Asserts that `result` failed with `kind`.
#[track_caller]
pub fn assert_kind<T: std::fmt::Debug>(result: Result<T>, kind: ErrorKind) {
    match result {
        Ok(value) => panic!("expected a {kind} error, got Ok({value:?})"),
        Err(err) => assert_eq!(err.kind(), kind, "unexpected error: {err}"),
    }
}

/// Deterministic pseudo-random bytes.
pub fn pattern(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed)
        .collect::<Vec<u8>>()
        .into()
}

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn lake_key(account: &str, day: (u16, u8, u8), content: &[u8]) -> Result<String> {
    let location = SourceLocation::parse("s3://test-lake/ext/suite-app/1.0/")?;
    let partition = PartitionKey::new(
        Region::new("us-east-1")?,
        AccountId::parse(account)?,
        EventDay::from_ymd(day.0, day.1, day.2)?,
    );
    Ok(location.object_key(&partition, &ObjectName::from_content(content, Codec::Zstd)))
}

/// The behaviour every [`ObjectStore`] must share. Runs on an empty store.
pub async fn object_store_suite(store: &dyn ObjectStore) -> Result<()> {
    // put / get / head
    let a = pattern(1000, 1);
    let key_a = lake_key("123456789012", (2024, 2, 29), &a)?;
    let put = store.put(&key_a, a.clone(), PutOptions::new()).await?;
    assert_eq!(put.etag, md5_hex(&a), "single-part etag is the hex MD5");
    assert_eq!(store.get(&key_a).await?, a);
    let head = store.head(&key_a).await?;
    assert_eq!(head.key, key_a);
    assert_eq!(head.size, 1000);
    assert_eq!(head.etag.as_deref(), Some(put.etag.as_str()));
    assert!(head.last_modified.is_some());

    // missing objects
    let missing = lake_key("123456789012", (2024, 2, 29), b"missing")?;
    assert_kind(store.get(&missing).await, ErrorKind::NotFound);
    assert_kind(store.head(&missing).await, ErrorKind::NotFound);
    assert_kind(store.get_range(&missing, 0..10).await, ErrorKind::NotFound);

    // unconditional overwrite replaces the content
    let a2 = pattern(700, 2);
    let put2 = store.put(&key_a, a2.clone(), PutOptions::new()).await?;
    assert_eq!(put2.etag, md5_hex(&a2));
    assert_eq!(store.get(&key_a).await?, a2);

    // conditional put refuses an existing key and leaves it untouched
    let refused = store
        .put(
            &key_a,
            pattern(10, 3),
            PutOptions::new().if_none_match(true),
        )
        .await;
    assert_kind(refused, ErrorKind::AlreadyExists);
    assert_eq!(store.get(&key_a).await?, a2);
    let b = pattern(64, 4);
    let key_b = lake_key("external", (2024, 3, 1), &b)?;
    store
        .put(
            &key_b,
            b.clone(),
            PutOptions::new()
                .if_none_match(true)
                .content_type("application/octet-stream"),
        )
        .await?;
    assert_eq!(store.get(&key_b).await?, b);

    // range reads
    assert_eq!(store.get_range(&key_a, 10..20).await?, a2.slice(10..20));
    assert_eq!(store.get_range(&key_a, 0..1).await?, a2.slice(0..1));
    assert_eq!(
        store.get_range(&key_a, 690..10_000).await?,
        a2.slice(690..700),
        "end is clamped"
    );
    assert_kind(
        store.get_range(&key_a, 700..701).await,
        ErrorKind::InvalidInput,
    );
    assert_kind(store.get_range(&key_a, 5..5).await, ErrorKind::InvalidInput);

    // empty objects
    let key_empty = lake_key("external_dc1", (2023, 12, 31), b"")?;
    let put_empty = store
        .put(&key_empty, Bytes::new(), PutOptions::new())
        .await?;
    assert_eq!(put_empty.etag, "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(store.get(&key_empty).await?, Bytes::new());
    assert_eq!(store.head(&key_empty).await?.size, 0);
    assert_kind(
        store.get_range(&key_empty, 0..1).await,
        ErrorKind::InvalidInput,
    );

    // list: sorted, filtered by a plain string prefix, keys parse back
    let all = store.list("").await?;
    let keys: Vec<&str> = all.iter().map(|m| m.key.as_str()).collect();
    let mut expected = vec![key_a.as_str(), key_b.as_str(), key_empty.as_str()];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    for meta in &all {
        let parsed = ParsedKey::parse(&meta.key)?;
        assert!(parsed.is_conforming(), "{}", meta.key);
        assert_eq!(parsed.source().name(), "suite-app");
        let size = if meta.key == key_a {
            700
        } else if meta.key == key_b {
            64
        } else {
            0
        };
        assert_eq!(meta.size, size, "{}", meta.key);
    }
    let accounts = store
        .list("ext/suite-app/1.0/region=us-east-1/accountId=ext")
        .await?;
    let account_keys: Vec<&str> = accounts.iter().map(|m| m.key.as_str()).collect();
    let mut expected_external = vec![key_b.as_str(), key_empty.as_str()];
    expected_external.sort_unstable();
    assert_eq!(account_keys, expected_external);
    let one_day = store
        .list("ext/suite-app/1.0/region=us-east-1/accountId=123456789012/eventDay=20240229/")
        .await?;
    assert_eq!(one_day.len(), 1);
    assert_eq!(one_day[0].key, key_a);
    assert!(store.list("ext/other/").await?.is_empty());
    assert!(store.list("nothing-here").await?.is_empty());

    // invalid keys are rejected before any I/O
    for bad in ["", "/abs", "a//b", "a/../b", "dir/"] {
        assert_kind(
            store
                .put(bad, Bytes::from_static(b"x"), PutOptions::new())
                .await,
            ErrorKind::InvalidInput,
        );
        assert_kind(store.get(bad).await, ErrorKind::InvalidInput);
    }
    assert_kind(store.list("/abs").await, ErrorKind::InvalidInput);

    // delete, and deleting again is fine
    store.delete(&key_a).await?;
    assert_kind(store.get(&key_a).await, ErrorKind::NotFound);
    store.delete(&key_a).await?;
    store.delete(&missing).await?;
    let remaining: Vec<String> = store.list("").await?.into_iter().map(|m| m.key).collect();
    assert_eq!(
        remaining,
        expected_external
            .iter()
            .map(|k| (*k).to_owned())
            .collect::<Vec<_>>()
    );
    // a deleted key can be written conditionally again
    store
        .put(&key_a, a.clone(), PutOptions::new().if_none_match(true))
        .await?;
    assert_eq!(store.get(&key_a).await?, a);
    Ok(())
}

/// A fault that the next S3 request receives instead of reaching the server.
#[derive(Debug, Clone)]
pub struct Fault {
    pub status: u16,
    pub code: &'static str,
    pub retry_after: Option<&'static str>,
    /// Only requests whose `METHOD URI` contains every space-separated word
    /// of this text get the fault.
    pub matching: Option<&'static str>,
    /// Forward the request to the server first and replace its response
    /// (a response lost after the server acted).
    pub after_forwarding: bool,
}

impl Fault {
    /// A fault for the next S3 request, whatever it is.
    pub fn next(status: u16, code: &'static str) -> Self {
        Self {
            status,
            code,
            retry_after: None,
            matching: None,
            after_forwarding: false,
        }
    }

    /// A fault for the next S3 request whose `METHOD URI` contains every
    /// space-separated word of `text`.
    pub fn matching(status: u16, code: &'static str, text: &'static str) -> Self {
        Self {
            status,
            code,
            retry_after: None,
            matching: Some(text),
            after_forwarding: false,
        }
    }
}

/// What the fake STS saw.
#[derive(Debug, Default)]
pub struct StsLog {
    pub requests: Vec<String>,
}

/// Credentials the fake STS hands out.
#[derive(Debug, Clone)]
pub struct StsCredentials {
    pub access_key: String,
    pub secret_key: String,
    pub expiration: String,
}

#[derive(Debug, Default)]
struct State {
    faults: VecDeque<Fault>,
    s3_requests: u32,
    s3_log: Vec<String>,
    sts: StsLog,
    sts_credentials: Option<StsCredentials>,
    sts_error: Option<(u16, &'static str)>,
}

/// An in-process "network": STS `AssumeRole` answered locally, injected S3
/// faults, everything else forwarded to an s3s-fs service.
#[derive(Debug, Clone)]
pub struct Harness {
    s3: s3s_aws::Connector,
    state: Arc<Mutex<State>>,
    _root: Arc<tempfile::TempDir>,
}

impl Harness {
    /// A fresh s3s-fs root accepting the base credentials plus `extra` key pairs.
    pub fn new(extra: &[(&str, &str)]) -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs root");
        let mut auth = s3s::auth::SimpleAuth::new();
        auth.register(ACCESS_KEY.to_owned(), SECRET_KEY.into());
        for (ak, sk) in extra {
            auth.register((*ak).to_owned(), (*sk).into());
        }
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(auth);
        let service = builder.build();
        Self {
            s3: s3s_aws::Connector::from(service),
            state: Arc::new(Mutex::new(State::default())),
            _root: Arc::new(root),
        }
    }

    /// The s3s-fs root directory.
    pub fn root(&self) -> &std::path::Path {
        self._root.path()
    }

    /// Makes the next S3 requests fail with these faults, in order.
    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.lock().expect("lock").faults.extend(faults);
    }

    /// How many S3 requests arrived (faulted ones included).
    pub fn s3_requests(&self) -> u32 {
        self.state.lock().expect("lock").s3_requests
    }

    /// `METHOD URI` of every S3 request received so far.
    pub fn s3_log(&self) -> Vec<String> {
        self.state.lock().expect("lock").s3_log.clone()
    }

    /// Sets the credentials that the fake STS returns.
    pub fn set_sts_credentials(&self, credentials: StsCredentials) {
        self.state.lock().expect("lock").sts_credentials = Some(credentials);
    }

    /// Makes the fake STS refuse with this status and error code.
    pub fn set_sts_error(&self, status: u16, code: &'static str) {
        self.state.lock().expect("lock").sts_error = Some((status, code));
    }

    /// The form bodies of the STS requests received.
    pub fn sts_requests(&self) -> Vec<String> {
        self.state.lock().expect("lock").sts.requests.clone()
    }

    /// An [`AwsConfig`] wired to this harness with the base credentials.
    pub async fn config(&self) -> Result<AwsConfig> {
        AwsConfig::builder()
            .region("us-east-1")
            .endpoint_url("http://127.0.0.1:8014")
            .static_credentials(ACCESS_KEY, SECRET_KEY, None)
            .force_path_style(true)
            .max_attempts(1)
            .http_client(self.clone())
            .load()
            .await
    }

    /// Creates the test bucket.
    pub async fn create_bucket(&self) -> Result<()> {
        let client = self.config().await?.s3_client();
        client
            .create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .map_err(|e| {
                securitylake_core::Error::new(ErrorKind::Service, format!("create bucket: {e:?}"))
            })?;
        Ok(())
    }

    fn sts_response(&self, body: String) -> HttpResponse {
        let mut state = self.state.lock().expect("lock");
        state.sts.requests.push(body);
        let (status, code) = state.sts_error.unwrap_or((403, "AccessDenied"));
        let Some(creds) = state
            .sts_credentials
            .clone()
            .filter(|_| state.sts_error.is_none())
        else {
            return xml_response(
                status,
                format!(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>\
                     <Message>refused</Message></Error><RequestId>r</RequestId></ErrorResponse>"
                ),
                None,
            );
        };
        xml_response(
            200,
            format!(
                "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
                 <AssumedRoleUser><AssumedRoleId>AROATEST:session</AssumedRoleId>\
                 <Arn>arn:aws:sts::123456789012:assumed-role/test/session</Arn></AssumedRoleUser>\
                 <Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
                 <SessionToken>token</SessionToken><Expiration>{}</Expiration></Credentials>\
                 </AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>",
                creds.access_key, creds.secret_key, creds.expiration
            ),
            None,
        )
    }
}

fn xml_response(status: u16, body: String, retry_after: Option<&str>) -> HttpResponse {
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).expect("valid status"),
        SdkBody::from(body),
    );
    response
        .headers_mut()
        .insert("content-type", "application/xml");
    if let Some(value) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", value.to_owned());
    }
    response
}

impl HttpClient for Harness {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for Harness {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        if body.contains("Action=AssumeRole") {
            let response = self.sts_response(body);
            return HttpConnectorFuture::ready(Ok(response));
        }
        let target = format!("{} {}", request.method(), request.uri());
        let fault = {
            let mut state = self.state.lock().expect("lock");
            state.s3_requests += 1;
            state.s3_log.push(target.clone());
            let position = state.faults.iter().position(|f| {
                f.matching
                    .is_none_or(|text| text.split(' ').all(|word| target.contains(word)))
            });
            position.and_then(|i| state.faults.remove(i))
        };
        if let Some(fault) = fault {
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{}</Code><Message>injected</Message>\
                 <RequestId>r</RequestId></Error>",
                fault.code
            );
            let response = xml_response(fault.status, body, fault.retry_after);
            if fault.after_forwarding {
                let forwarded = self.s3.call(request);
                return HttpConnectorFuture::new_boxed(Box::pin(async move {
                    let _ = forwarded.await;
                    Ok(response)
                }));
            }
            return HttpConnectorFuture::ready(Ok(response));
        }
        self.s3.call(request)
    }
}

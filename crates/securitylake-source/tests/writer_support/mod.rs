//! Shared helpers for the writer tests: events with sequence numbers, lake
//! readers, layout checks, the emulator's S3 and a flaky store.

#![allow(dead_code, missing_docs)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures::TryStreamExt;
use futures::stream::BoxStream;
use ocsf_model::columnar::ColumnarOptions;
use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
use securitylake_core::aws::AwsConfig;
use securitylake_core::layout::{EventDay, ParsedKey, SourceLocation};
use securitylake_core::object_store::{
    self, CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload, PutResult,
    path::Path as ObjectPath,
};
use securitylake_core::retry::RetryPolicy;
use securitylake_core::store::S3StoreBuilder;
use securitylake_emulator::Emulator;
use securitylake_parquet::read_parquet;

pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;
pub type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub const BUCKET: &str = "aws-security-data-lake-us-east-1-test";
pub const LOCATION: &str = "s3://aws-security-data-lake-us-east-1-test/ext/partner-app/1.0/";
pub const PREFIX: &str = "ext/partner-app/1.0/";
pub const ACCOUNT: &str = "123456789012";
/// 2024-02-29T00:00:00Z
pub const LEAP_DAY: i64 = 1_709_164_800_000;
pub const DAY: i64 = 86_400_000;

/// A writer configuration for the test source (its location, region and
/// account) over `store` and `spool`, on `clock`.
pub fn writer_builder(
    store: Arc<dyn ObjectStore>,
    spool: &std::path::Path,
    clock: &securitylake_source::writer::ManualClock,
) -> securitylake_source::writer::WriterConfigBuilder {
    securitylake_source::WriterConfig::builder()
        .location(location())
        .region("us-east-1")
        .account_id(ACCOUNT)
        .store(store)
        .spool_dir(spool)
        .clock(Arc::new(clock.clone()))
}

pub fn location() -> SourceLocation {
    SourceLocation::parse(LOCATION).expect("valid location")
}

/// An authentication event whose `message` carries a sequence number
/// (`seq-<n>`), padded to about `pad` extra bytes.
pub fn event(time: i64, seq: u64, pad: usize) -> Authentication {
    let mut product = Product::default();
    product.name = Some("partner-app".into());
    product.vendor_name = Some("Partner".into());
    let mut event = Authentication::new(
        AuthenticationActivityId::Logon,
        Metadata::new(product, "1.1.0".into()),
        SeverityId::Low,
        time,
        User::default(),
    );
    let mut message = format!("seq-{seq}");
    if pad > 0 {
        message.push(' ');
        // Varied text so that it does not compress to nothing.
        let mut x = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        while message.len() < pad {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            message.push(char::from(b'a' + (x % 26) as u8));
        }
    }
    event.message = Some(message);
    event
}

/// The sequence number in an event's message.
pub fn seq_of(event: &Authentication) -> Option<u64> {
    let message = event.message.as_deref()?;
    let first = message.split(' ').next()?;
    first.strip_prefix("seq-")?.parse().ok()
}

/// Columnar options with few columns, so that small test files are mostly
/// data.
pub fn small_columns() -> ColumnarOptions {
    ColumnarOptions::default().with_projection(["message"])
}

/// Every object under the test prefix, decoded, by key.
pub async fn read_lake(
    store: &dyn ObjectStore,
) -> BoxResult<BTreeMap<String, (u64, Vec<Authentication>)>> {
    let mut out = BTreeMap::new();
    for key in list_keys(store, PREFIX).await? {
        let body = get_bytes(store, &key).await?;
        let events: Vec<Authentication> = read_parquet(body.clone())?;
        out.insert(key, (body.len() as u64, events));
    }
    Ok(out)
}

/// Counts each sequence number across the lake.
pub fn seq_counts(
    lake: &BTreeMap<String, (u64, Vec<Authentication>)>,
) -> BoxResult<BTreeMap<u64, u32>> {
    let mut counts = BTreeMap::new();
    for (key, (_, events)) in lake {
        for event in events {
            let seq =
                seq_of(event).ok_or_else(|| format!("{key}: event without a sequence number"))?;
            *counts.entry(seq).or_insert(0u32) += 1;
        }
    }
    Ok(counts)
}

/// Checks one key against the documented pattern, exactly:
/// `<prefix>region=us-east-1/accountId=<ACCOUNT>/eventDay=<YYYYMMDD>/<32 hex>.zstd.parquet`.
pub fn assert_key_layout(key: &str) -> BoxResult<EventDay> {
    let rest = key
        .strip_prefix(PREFIX)
        .ok_or_else(|| format!("{key}: wrong prefix"))?;
    let parts: Vec<&str> = rest.split('/').collect();
    let [region, account, day, file] = parts.as_slice() else {
        return Err(format!("{key}: not four segments after the prefix").into());
    };
    assert_eq!(*region, "region=us-east-1", "{key}");
    assert_eq!(*account, format!("accountId={ACCOUNT}"), "{key}");
    let day = day
        .strip_prefix("eventDay=")
        .ok_or_else(|| format!("{key}: eventDay casing"))?;
    assert!(
        day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()),
        "{key}"
    );
    let hex = file
        .strip_suffix(".zstd.parquet")
        .ok_or_else(|| format!("{key}: not .zstd.parquet"))?;
    assert!(
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{key}: name is not 32 lowercase hex"
    );
    let parsed = ParsedKey::parse(key)?;
    assert!(parsed.is_conforming(), "{key}");
    assert_eq!(parsed.source().name(), "partner-app");
    Ok(EventDay::parse(day)?)
}

/// An S3 store on the emulator's S3 (`s3s-fs` over HTTP on loopback: real
/// SigV4 signing and checksums) whose lake bucket is [`BUCKET`], retrying
/// after 1 ms. Keep the returned emulator alive.
pub async fn s3_store() -> BoxResult<(Arc<dyn ObjectStore>, Emulator)> {
    let (config, emulator) = s3_config().await?;
    let store = S3StoreBuilder::new(&config)
        .bucket(BUCKET)
        .retry_policy(
            RetryPolicy::new()
                .with_initial_backoff(std::time::Duration::from_millis(1))
                .with_max_backoff(std::time::Duration::from_millis(5)),
        )
        .build()?;
    Ok((Arc::new(store), emulator))
}

/// The AWS configuration of the emulator, whose lake bucket is [`BUCKET`]
/// (no SDK retries). Keep the returned emulator alive.
pub async fn s3_config() -> BoxResult<(AwsConfig, Emulator)> {
    let emulator = Emulator::builder().lake_id("test").start().await?;
    let (access_key, secret) = emulator.credentials();
    let config = AwsConfig::builder()
        .region("us-east-1")
        .endpoint_url(emulator.endpoint_url())
        .static_credentials(access_key, secret, None)
        .force_path_style(true)
        .max_attempts(1)
        .load()
        .await?;
    Ok((config, emulator))
}

/// The keys under `prefix`, sorted.
pub async fn list_keys(store: &dyn ObjectStore, prefix: &str) -> BoxResult<Vec<String>> {
    let prefix = prefix.trim_end_matches('/');
    let mut keys: Vec<String> = store
        .list(Some(&ObjectPath::from(prefix)))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await?;
    keys.sort();
    Ok(keys)
}

/// A whole object.
pub async fn get_bytes(store: &dyn ObjectStore, key: &str) -> BoxResult<Bytes> {
    Ok(store.get(&ObjectPath::from(key)).await?.bytes().await?)
}

/// What the flaky store does with the next puts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutFault {
    /// Fail with a retryable error (a 503) without storing.
    Transient,
    /// Store the object, then report a retryable error (a lost response).
    StoreThenFail,
    /// Store the object, then report a non-retryable error.
    StoreThenDeny,
    /// Fail with a non-retryable error (a 403).
    Denied,
}

/// A store that injects faults into puts and forwards everything else. It
/// does not retry (it stands for a store whose retries are used up).
#[derive(Debug)]
pub struct FlakyStore {
    pub inner: Arc<dyn ObjectStore>,
    faults: Mutex<Vec<PutFault>>,
    pub puts: Mutex<u32>,
}

impl std::fmt::Display for FlakyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FlakyStore({})", self.inner)
    }
}

impl FlakyStore {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self {
            inner,
            faults: Mutex::new(Vec::new()),
            puts: Mutex::new(0),
        }
    }

    /// Queues faults for the next puts, in order.
    pub fn inject(&self, faults: &[PutFault]) {
        let mut queue = self.faults.lock().expect("lock");
        for fault in faults.iter().rev() {
            queue.insert(0, *fault);
        }
    }
}

fn injected_503() -> object_store::Error {
    object_store::Error::Generic {
        store: "flaky",
        source: "injected: Server returned non-2xx status code: 503 Service Unavailable".into(),
    }
}

fn injected_403(path: &ObjectPath) -> object_store::Error {
    object_store::Error::PermissionDenied {
        path: path.to_string(),
        source: "injected 403".into(),
    }
}

#[async_trait]
impl ObjectStore for FlakyStore {
    async fn put_opts(
        &self,
        location: &ObjectPath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        *self.puts.lock().expect("lock") += 1;
        let fault = {
            let mut queue = self.faults.lock().expect("lock");
            if queue.is_empty() {
                None
            } else {
                Some(queue.remove(0))
            }
        };
        match fault {
            None => self.inner.put_opts(location, payload, opts).await,
            Some(PutFault::Transient) => Err(injected_503()),
            Some(PutFault::StoreThenFail) => {
                self.inner.put_opts(location, payload, opts).await?;
                Err(injected_503())
            }
            Some(PutFault::StoreThenDeny) => {
                self.inner.put_opts(location, payload, opts).await?;
                Err(injected_403(location))
            }
            Some(PutFault::Denied) => Err(injected_403(location)),
        }
    }

    async fn put_multipart_opts(
        &self,
        location: &ObjectPath,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &ObjectPath,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<ObjectPath>>,
    ) -> BoxStream<'static, object_store::Result<ObjectPath>> {
        self.inner.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&ObjectPath>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&ObjectPath>,
    ) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &ObjectPath,
        to: &ObjectPath,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

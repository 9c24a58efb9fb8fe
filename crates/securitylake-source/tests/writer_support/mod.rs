//! Shared helpers for the writer tests: events with sequence numbers, lake
//! readers, layout checks, an in-process S3 (s3s-fs) and a flaky store.

#![allow(dead_code, missing_docs)]

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use ocsf_model::columnar::{ColumnarOptions, read_parquet};
use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
use securitylake_core::aws::AwsConfig;
use securitylake_core::layout::{EventDay, ParsedKey, SourceLocation};
use securitylake_core::store::{ObjectMeta, ObjectStore, PutOptions, PutResult, S3Store};

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
/// account) over `store` and `spool`, on `clock`, retrying after 1 ms.
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
        .retry_backoff(std::time::Duration::from_millis(1))
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
    for meta in store.list(PREFIX).await? {
        let body = store.get(&meta.key).await?;
        let events: Vec<Authentication> = read_parquet(body.clone())?;
        out.insert(meta.key, (body.len() as u64, events));
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

/// An S3Store on an in-process s3s-fs (real SigV4 signing and checksums),
/// with the lake bucket created. Keep the returned directory alive.
pub async fn s3_store() -> BoxResult<(Arc<S3Store>, tempfile::TempDir)> {
    let (config, root) = s3_config().await?;
    let store = S3Store::builder()
        .client(config.s3_client())
        .bucket(BUCKET)
        .build()?;
    Ok((Arc::new(store), root))
}

/// The AWS configuration of an in-process s3s-fs whose lake bucket exists
/// (credentials `AKIDWRITER`/`writer-secret`, no SDK retries). Keep the
/// returned directory alive.
pub async fn s3_config() -> BoxResult<(AwsConfig, tempfile::TempDir)> {
    let root = tempfile::tempdir()?;
    let fs = s3s_fs::FileSystem::new(root.path()).map_err(|e| format!("s3s-fs: {e:?}"))?;
    let mut auth = s3s::auth::SimpleAuth::new();
    auth.register("AKIDWRITER".to_owned(), "writer-secret".into());
    let mut builder = s3s::service::S3ServiceBuilder::new(fs);
    builder.set_auth(auth);
    let client = s3s_aws::Client::from(builder.build());
    let config = AwsConfig::builder()
        .region("us-east-1")
        .endpoint_url("http://127.0.0.1:8014")
        .static_credentials("AKIDWRITER", "writer-secret", None)
        .force_path_style(true)
        .max_attempts(1)
        .http_client(client)
        .load()
        .await?;
    config
        .s3_client()
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await?;
    Ok((config, root))
}

/// What the flaky store does with the next puts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutFault {
    /// Fail with a retryable error without storing.
    Transient,
    /// Store the object, then report a retryable error (a lost response).
    StoreThenFail,
    /// Fail with a non-retryable error.
    Denied,
}

/// A store that injects faults into puts and forwards everything else.
#[derive(Debug)]
pub struct FlakyStore {
    pub inner: Arc<dyn ObjectStore>,
    faults: Mutex<Vec<PutFault>>,
    pub puts: Mutex<u32>,
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

#[async_trait]
impl ObjectStore for FlakyStore {
    async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        options: PutOptions,
    ) -> securitylake_core::Result<PutResult> {
        *self.puts.lock().expect("lock") += 1;
        let fault = {
            let mut queue = self.faults.lock().expect("lock");
            if queue.is_empty() {
                None
            } else {
                Some(queue.remove(0))
            }
        };
        let transient = || {
            securitylake_core::Error::new(securitylake_core::ErrorKind::Transient, "injected 503")
        };
        match fault {
            None => self.inner.put(key, bytes, options).await,
            Some(PutFault::Transient) => Err(transient()),
            Some(PutFault::StoreThenFail) => {
                self.inner.put(key, bytes, options).await?;
                Err(transient())
            }
            Some(PutFault::Denied) => Err(securitylake_core::Error::new(
                securitylake_core::ErrorKind::AccessDenied,
                "injected 403",
            )),
        }
    }

    async fn get(&self, key: &str) -> securitylake_core::Result<Bytes> {
        self.inner.get(key).await
    }

    async fn get_range(&self, key: &str, range: Range<u64>) -> securitylake_core::Result<Bytes> {
        self.inner.get_range(key, range).await
    }

    async fn head(&self, key: &str) -> securitylake_core::Result<ObjectMeta> {
        self.inner.head(key).await
    }

    async fn list(&self, prefix: &str) -> securitylake_core::Result<Vec<ObjectMeta>> {
        self.inner.list(prefix).await
    }

    async fn delete(&self, key: &str) -> securitylake_core::Result<()> {
        self.inner.delete(key).await
    }
}

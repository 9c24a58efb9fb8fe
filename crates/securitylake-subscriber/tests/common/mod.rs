//! Shared test helpers: events, Parquet files, a counting store, s3s-fs.

#![allow(dead_code, missing_docs)]

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use ocsf_model::columnar::{BatchEncoder, ColumnarOptions, ParquetRules};
use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use securitylake_core::aws::AwsConfig;
use securitylake_core::store::{ObjectMeta, ObjectStore, PutOptions, PutResult};

pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub fn auth_event(i: i64) -> Authentication {
    let mut product = Product::default();
    product.name = Some("sshd".into());
    let mut user = User::default();
    user.name = Some(format!("user-{i}"));
    let mut e = Authentication::new(
        AuthenticationActivityId::Logon,
        Metadata::new(product, "1.1.0".into()),
        SeverityId::Low,
        1_700_000_000_000 + i,
        user,
    );
    e.message = Some(format!("login number {i} {}", "x".repeat(40)));
    e
}

pub fn auth_events(n: i64) -> Vec<Authentication> {
    (0..n).map(auth_event).collect()
}

/// Writes events with small row groups and the given compression.
pub fn multi_row_group_parquet(
    events: &[Authentication],
    rows_per_group: usize,
    compression: Compression,
) -> Vec<u8> {
    let mut encoder =
        BatchEncoder::<Authentication>::new(&ColumnarOptions::default()).expect("encoder");
    let props = ParquetRules::new()
        .writer_properties()
        .into_builder()
        .set_compression(compression)
        .set_max_row_group_row_count(Some(rows_per_group))
        .build();
    let mut out = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut out, encoder.schema().clone(), Some(props)).expect("writer");
    for chunk in events.chunks(rows_per_group) {
        for e in chunk {
            encoder.append(e);
        }
        writer
            .write(&encoder.finish().expect("batch"))
            .expect("write");
        writer.flush().expect("flush");
    }
    writer.close().expect("close");
    out
}

pub fn gzip() -> Compression {
    Compression::GZIP(GzipLevel::default())
}

pub fn zstd() -> Compression {
    Compression::ZSTD(ZstdLevel::default())
}

/// A store that counts and records range requests.
#[derive(Debug)]
pub struct Counting {
    pub inner: Arc<dyn ObjectStore>,
    pub ranges: Mutex<Vec<Range<u64>>>,
    pub whole_gets: AtomicU64,
}

impl Counting {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            ranges: Mutex::new(Vec::new()),
            whole_gets: AtomicU64::new(0),
        })
    }

    pub fn ranges(&self) -> Vec<Range<u64>> {
        self.ranges.lock().expect("lock").clone()
    }

    pub fn reset(&self) {
        self.ranges.lock().expect("lock").clear();
    }

    pub fn whole_gets(&self) -> u64 {
        self.whole_gets.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl ObjectStore for Counting {
    async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        options: PutOptions,
    ) -> securitylake_core::Result<PutResult> {
        self.inner.put(key, bytes, options).await
    }
    async fn get(&self, key: &str) -> securitylake_core::Result<Bytes> {
        self.whole_gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get(key).await
    }
    async fn get_range(&self, key: &str, range: Range<u64>) -> securitylake_core::Result<Bytes> {
        self.ranges.lock().expect("lock").push(range.clone());
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

/// An in-process S3 (s3s-fs) and an AWS configuration wired to it.
pub struct S3Fs {
    pub config: AwsConfig,
    _root: tempfile::TempDir,
}

pub async fn s3s_fs(bucket: &str) -> Result<S3Fs, Box<dyn std::error::Error + Send + Sync>> {
    let root = tempfile::tempdir()?;
    let fs = s3s_fs::FileSystem::new(root.path()).map_err(|e| format!("s3s-fs: {e:?}"))?;
    let mut auth = s3s::auth::SimpleAuth::new();
    auth.register("AKIDTEST".to_owned(), "secret".into());
    let mut builder = s3s::service::S3ServiceBuilder::new(fs);
    builder.set_auth(auth);
    let connector = s3s_aws::Client::from(builder.build());
    let config = AwsConfig::builder()
        .region("us-east-1")
        .endpoint_url("http://127.0.0.1:1")
        .static_credentials("AKIDTEST", "secret", None)
        .force_path_style(true)
        .max_attempts(1)
        .http_client(connector)
        .load()
        .await?;
    config
        .s3_client()
        .create_bucket()
        .bucket(bucket)
        .send()
        .await?;
    Ok(S3Fs {
        config,
        _root: root,
    })
}

pub const CUSTOM_KEY_PREFIX: &str =
    "ext/app/1.0/region=us-east-1/accountId=external/eventDay=20231114/";

pub fn custom_key(name: &str) -> String {
    format!("{CUSTOM_KEY_PREFIX}{name}")
}

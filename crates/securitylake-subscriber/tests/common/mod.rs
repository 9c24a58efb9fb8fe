//! Shared test helpers: events, Parquet files, a counting store, the
//! emulator's S3.

#![allow(dead_code, missing_docs)]

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::stream::BoxStream;
use ocsf_model::columnar::{BatchEncoder, ColumnarOptions};
use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use securitylake_core::aws::AwsConfig;
use securitylake_core::object_store::{
    self, CopyOptions, GetOptions, GetRange, GetResult, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, path::Path,
};
use securitylake_parquet::ParquetRules;

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

impl std::fmt::Display for Counting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Counting({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for Counting {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        if !options.head {
            match &options.range {
                Some(GetRange::Bounded(range)) => {
                    self.ranges.lock().expect("lock").push(range.clone());
                }
                _ => {
                    self.whole_gets.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

/// What [`PutKey::put_key`] stored.
pub struct Put {
    /// The entity tag, without quotes.
    pub etag: String,
}

/// Puts by lake key (tests write fixtures unconditionally).
#[async_trait]
pub trait PutKey {
    async fn put_key(&self, key: &str, payload: PutPayload) -> object_store::Result<Put>;
}

#[async_trait]
impl<T: ObjectStore + ?Sized> PutKey for T {
    async fn put_key(&self, key: &str, payload: PutPayload) -> object_store::Result<Put> {
        let put = self
            .put_opts(&Path::from(key), payload, PutOptions::default())
            .await?;
        Ok(Put {
            etag: put.e_tag.unwrap_or_default().trim_matches('"').to_owned(),
        })
    }
}

/// The emulator's S3 (s3s-fs over HTTP on loopback) with `bucket` created,
/// and an AWS configuration wired to it.
pub struct S3Fs {
    pub config: AwsConfig,
    pub emulator: securitylake_emulator::Emulator,
}

pub async fn s3s_fs(bucket: &str) -> Result<S3Fs, Box<dyn std::error::Error + Send + Sync>> {
    let emulator = securitylake_emulator::Emulator::builder().start().await?;
    let (key, secret) = emulator.credentials();
    let config = AwsConfig::builder()
        .region("us-east-1")
        .endpoint_url(emulator.endpoint_url())
        .static_credentials(key, secret, None)
        .force_path_style(true)
        .max_attempts(1)
        .load()
        .await?;
    if bucket != emulator.lake_bucket() {
        config
            .s3_client()
            .create_bucket()
            .bucket(bucket)
            .send()
            .await?;
    }
    Ok(S3Fs { config, emulator })
}

/// An S3 store of `bucket` on `s3`.
pub fn s3_store(s3: &S3Fs, bucket: &str) -> Result<Arc<dyn ObjectStore>, securitylake_core::Error> {
    Ok(Arc::new(
        securitylake_core::store::S3StoreBuilder::new(&s3.config)
            .bucket(bucket)
            .build()?,
    ))
}

pub const CUSTOM_KEY_PREFIX: &str =
    "ext/app/1.0/region=us-east-1/accountId=external/eventDay=20231114/";

pub fn custom_key(name: &str) -> String {
    format!("{CUSTOM_KEY_PREFIX}{name}")
}

/// A `moto_server` on 127.0.0.1, stopped when dropped.
pub struct Moto {
    child: std::process::Child,
    /// Its endpoint, `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `$MOTO_SERVER` on a free port; `None` (with a note) when the variable is unset,
/// a panic naming the peer when `SECLAKE_TEST_COMPLETE` asks for a complete suite.
pub fn start_moto(test: &str) -> Option<Moto> {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let Some(bin) = std::env::var_os("MOTO_SERVER") else {
        if std::env::var_os("SECLAKE_TEST_COMPLETE").is_some() {
            panic!(
                "SECLAKE_TEST_COMPLETE is set but MOTO_SERVER (moto_server) is unset: {test} cannot run; `cargo xtask test` provisions the peers"
            );
        }
        eprintln!("note: MOTO_SERVER is unset; skipping {test}");
        return None;
    };
    let mut child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start moto_server");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line.expect("moto stderr");
        if let Some(pos) = line.find("Running on http://127.0.0.1:") {
            let rest = &line[pos + "Running on ".len()..];
            url = Some(
                rest.split_whitespace()
                    .next()
                    .unwrap_or(rest)
                    .trim_end_matches('/')
                    .to_owned(),
            );
            break;
        }
    }
    // Keep draining stderr so moto never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Some(Moto {
        child,
        url: url.expect("moto did not print its port"),
    })
}

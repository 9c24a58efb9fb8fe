//! [`Emulator`] and its builder.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::auth::DynamicAuth;
use crate::delivery::Delivery;
use crate::error::{Error, Result};
use crate::fault::{Fault, Operation};
use crate::notify;
use crate::s3::{LAKE_BUCKET_DIR, S3Backend};
use crate::server;
use crate::state::{
    CustomSourceSnapshot, DeliveryPolicy, Settings, Shared, SharedRef, SourceRecord, State,
};

/// The default lake region.
pub const DEFAULT_REGION: &str = "us-east-1";
/// The default lake account id.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// The access key id the S3 endpoint accepts by default.
pub const DEFAULT_ACCESS_KEY_ID: &str = "test";
/// The secret access key of [`DEFAULT_ACCESS_KEY_ID`].
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "test";
/// The default number of requests made per HTTPS notification.
pub const DEFAULT_NOTIFICATION_MAX_ATTEMPTS: u32 = 5;
/// The default delay before the first notification retry (doubled per retry).
pub const DEFAULT_NOTIFICATION_BACKOFF: Duration = Duration::from_millis(200);
/// The longest delay between notification retries.
pub const MAX_NOTIFICATION_BACKOFF: Duration = Duration::from_secs(10);
/// The default timeout of one notification request.
pub const DEFAULT_NOTIFICATION_TIMEOUT: Duration = Duration::from_secs(5);

/// Configures and starts an [`Emulator`].
///
/// ```
/// use securitylake_emulator::Emulator;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), securitylake_emulator::Error> {
/// let emulator = Emulator::builder()
///     .region("eu-west-1")
///     .account_id("111122223333")
///     .start()
///     .await?;
/// assert!(emulator.endpoint_url().starts_with("http://127.0.0.1:"));
/// assert_eq!(emulator.lake_bucket(), "aws-security-data-lake-eu-west-1-emu111122223333");
/// emulator.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    region: String,
    account_id: String,
    lake_id: Option<String>,
    data_dir: Option<PathBuf>,
    bind_address: SocketAddr,
    credentials: Vec<(String, String)>,
    delivery: DeliveryPolicy,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            region: DEFAULT_REGION.to_owned(),
            account_id: DEFAULT_ACCOUNT_ID.to_owned(),
            lake_id: None,
            data_dir: None,
            bind_address: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            credentials: Vec::new(),
            delivery: DeliveryPolicy {
                max_attempts: DEFAULT_NOTIFICATION_MAX_ATTEMPTS,
                initial_backoff: DEFAULT_NOTIFICATION_BACKOFF,
                max_backoff: MAX_NOTIFICATION_BACKOFF,
                timeout: DEFAULT_NOTIFICATION_TIMEOUT,
                encode_keys: true,
            },
        }
    }
}

impl EmulatorBuilder {
    /// The lake's region (default [`DEFAULT_REGION`]).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// The lake's 12-digit account id (default [`DEFAULT_ACCOUNT_ID`]).
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = account_id.into();
        self
    }

    /// The suffix of the lake bucket `aws-security-data-lake-<region>-<lake id>`:
    /// 1 to 20 lowercase letters and digits (default `emu<account id>`, so a
    /// restart over the same data directory finds the same bucket).
    pub fn lake_id(mut self, lake_id: impl Into<String>) -> Self {
        self.lake_id = Some(lake_id.into());
        self
    }

    /// The directory holding the S3 data (one sub-directory per bucket).
    /// Default: a fresh temporary directory removed when the emulator is
    /// dropped. A given directory is created if missing and never removed.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, an ephemeral port).
    /// Only loopback addresses are accepted: the emulator does not verify
    /// Security Lake request signatures.
    pub fn bind_address(mut self, address: SocketAddr) -> Self {
        self.bind_address = address;
        self
    }

    /// Adds an access key pair that the S3 endpoint accepts. When none is
    /// added, [`DEFAULT_ACCESS_KEY_ID`] / [`DEFAULT_SECRET_ACCESS_KEY`] are.
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.credentials
            .push((access_key_id.into(), secret_access_key.into()));
        self
    }

    /// How many requests are made per HTTPS notification, at least 1
    /// (default [`DEFAULT_NOTIFICATION_MAX_ATTEMPTS`]).
    pub fn notification_max_attempts(mut self, attempts: u32) -> Self {
        self.delivery.max_attempts = attempts.max(1);
        self
    }

    /// The delay before the first notification retry, doubled per retry up
    /// to [`MAX_NOTIFICATION_BACKOFF`] (default [`DEFAULT_NOTIFICATION_BACKOFF`]).
    pub fn notification_backoff(mut self, backoff: Duration) -> Self {
        self.delivery.initial_backoff = backoff;
        self
    }

    /// The timeout of one notification request (default
    /// [`DEFAULT_NOTIFICATION_TIMEOUT`]).
    pub fn notification_timeout(mut self, timeout: Duration) -> Self {
        self.delivery.timeout = timeout;
        self
    }

    /// Whether `detail.object.key` is URL-encoded as S3 event notifications
    /// encode keys (`=` as `%3D`, a space as `+`; default `true`), or sent
    /// verbatim.
    pub fn url_encode_notification_keys(mut self, encode: bool) -> Self {
        self.delivery.encode_keys = encode;
        self
    }

    fn validate(&self) -> Result<String> {
        let segments: Vec<&str> = self.region.split('-').collect();
        let region_ok = segments.len() >= 3
            && segments.iter().all(|s| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
            && segments
                .first()
                .is_some_and(|s| s.bytes().all(|b| b.is_ascii_lowercase()))
            && segments
                .last()
                .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()));
        if !region_ok {
            return Err(Error::config(format!(
                "region {:?} is not an AWS region name such as us-east-1",
                self.region
            )));
        }
        if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::config(format!(
                "account id {:?} must be 12 digits",
                self.account_id
            )));
        }
        let lake_id = self
            .lake_id
            .clone()
            .unwrap_or_else(|| format!("emu{}", self.account_id));
        if lake_id.is_empty()
            || lake_id.len() > 20
            || !lake_id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(Error::config(format!(
                "lake id {lake_id:?} must be 1 to 20 lowercase letters and digits"
            )));
        }
        if !self.bind_address.ip().is_loopback() {
            return Err(Error::config(format!(
                "bind address {} is not a loopback address; the emulator does not verify \
                 Security Lake signatures and must not be reachable from other hosts",
                self.bind_address
            )));
        }
        if self
            .credentials
            .iter()
            .any(|(ak, sk)| ak.is_empty() || sk.is_empty())
        {
            return Err(Error::config(
                "access key ids and secrets must not be empty",
            ));
        }
        Ok(format!("aws-security-data-lake-{}-{lake_id}", self.region))
    }

    /// Validates the settings, creates the data directory and the lake
    /// bucket, binds the listener and starts serving on the current Tokio
    /// runtime.
    pub async fn start(self) -> Result<Emulator> {
        let bucket = self.validate()?;
        let (data_dir, temp) = match &self.data_dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("securitylake-emulator-")
                    .tempdir()
                    .map_err(|e| Error::io("creating a temporary data directory", e))?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let bucket_dir = data_dir.join(LAKE_BUCKET_DIR);
        tokio::fs::create_dir_all(&bucket_dir)
            .await
            .map_err(|e| Error::io(format!("creating {}", bucket_dir.display()), e))?;

        let auth = DynamicAuth::default();
        if self.credentials.is_empty() {
            auth.register(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, None);
        }
        for (access_key, secret) in &self.credentials {
            auth.register(access_key, secret, None);
        }
        let backend = S3Backend::new(&data_dir, &bucket, auth.clone())
            .map_err(|e| Error::io(format!("opening {} for S3", data_dir.display()), e))?;
        let backend = Arc::new(backend);

        let listener = TcpListener::bind(self.bind_address)
            .await
            .map_err(|e| Error::io(format!("binding {}", self.bind_address), e))?;
        let address = listener
            .local_addr()
            .map_err(|e| Error::io("reading the bound address", e))?;

        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let shared: SharedRef = Arc::new(Shared {
            settings: Settings {
                region: self.region.clone(),
                account_id: self.account_id.clone(),
                bucket,
                data_dir: data_dir.clone(),
                delivery: self.delivery.clone(),
            },
            state: Mutex::new(State::default()),
            auth,
            events: events_tx,
        });
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(server::serve(
                listener,
                Arc::clone(&shared),
                Arc::clone(&backend),
                shutdown_rx.clone(),
            )),
            tokio::spawn(notify::run(
                Arc::clone(&shared),
                backend,
                events_rx,
                shutdown_rx,
            )),
        ];
        tracing::info!(%address, "Security Lake emulator listening");
        let first_access_key = self.credentials.first().cloned().unwrap_or_else(|| {
            (
                DEFAULT_ACCESS_KEY_ID.to_owned(),
                DEFAULT_SECRET_ACCESS_KEY.to_owned(),
            )
        });
        Ok(Emulator {
            shared,
            address,
            credentials: first_access_key,
            shutdown: shutdown_tx,
            tasks,
            _temp: temp,
        })
    }
}

/// A running emulator: a Security Lake control plane, an STS with
/// `AssumeRole` and an S3 endpoint on one loopback port, over an `s3s-fs`
/// data directory.
///
/// Dropping it stops the server (without waiting); prefer
/// [`shutdown`](Self::shutdown).
#[derive(Debug)]
pub struct Emulator {
    shared: SharedRef,
    address: SocketAddr,
    credentials: (String, String),
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
}

impl Emulator {
    /// A builder with the defaults.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The Security Lake endpoint, `http://127.0.0.1:<port>`: use it as the
    /// `aws-sdk-securitylake` endpoint URL. STS is served there too.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The S3 endpoint (path-style only: set `force_path_style(true)`). It is
    /// the same port as [`endpoint_url`](Self::endpoint_url); use this method
    /// so that code does not rely on that.
    pub fn s3_endpoint_url(&self) -> String {
        self.endpoint_url()
    }

    /// The lake's region.
    pub fn region(&self) -> &str {
        &self.shared.settings.region
    }

    /// The lake's account id.
    pub fn account_id(&self) -> &str {
        &self.shared.settings.account_id
    }

    /// The lake bucket, `aws-security-data-lake-<region>-<lake id>`.
    pub fn lake_bucket(&self) -> &str {
        &self.shared.settings.bucket
    }

    /// The directory holding the S3 data.
    pub fn data_dir(&self) -> &Path {
        &self.shared.settings.data_dir
    }

    /// The directory holding the lake bucket's objects: `<data dir>/_lake`
    /// (a short internal name; see the crate docs on key lengths). Object
    /// `k` of the lake bucket is the file `<lake dir>/k`.
    pub fn lake_dir(&self) -> PathBuf {
        self.shared.settings.data_dir.join(LAKE_BUCKET_DIR)
    }

    /// The access key id and secret that clients should use (the first
    /// configured pair, or the defaults).
    pub fn credentials(&self) -> (&str, &str) {
        (&self.credentials.0, &self.credentials.1)
    }

    /// The environment variables that point the AWS SDKs and CLI at the
    /// emulator: `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), securitylake_emulator::Error> {
    /// let emulator = securitylake_emulator::Emulator::builder().start().await?;
    /// let vars = emulator.env_vars();
    /// assert_eq!(vars[0].0, "AWS_ENDPOINT_URL");
    /// assert_eq!(vars[0].1, emulator.endpoint_url());
    /// # Ok(())
    /// # }
    /// ```
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint_url()),
            ("AWS_REGION", self.region().to_owned()),
            ("AWS_ACCESS_KEY_ID", self.credentials.0.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.credentials.1.clone()),
        ]
    }

    /// Makes the next request(s) of `operation` fail with `fault` (after
    /// faults already queued for it). The request is counted but changes no
    /// state.
    pub fn inject_fault(&self, operation: Operation, fault: Fault) {
        self.shared
            .state()
            .faults
            .entry(operation)
            .or_default()
            .push_back(fault);
    }

    /// How many signed requests of `operation` arrived (faulted ones included).
    pub fn request_count(&self, operation: Operation) -> u64 {
        self.shared
            .state()
            .counts
            .get(&operation)
            .copied()
            .unwrap_or(0)
    }

    /// The registered custom sources, sorted by name, with the request
    /// members the API does not return (event classes, identity, crawler
    /// role).
    pub fn custom_sources(&self) -> Vec<CustomSourceSnapshot> {
        self.shared
            .state()
            .sources
            .values()
            .map(SourceRecord::snapshot)
            .collect()
    }

    /// The HTTPS notification deliveries that have finished, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.state().deliveries.clone()
    }

    /// Removes and returns the notification bodies queued for a subscriber
    /// with an SQS notification (the emulator has no SQS endpoint; the
    /// messages it would have sent are kept here).
    pub fn take_queued_notifications(&self, subscriber_id: &str) -> Vec<String> {
        self.shared
            .state()
            .queues
            .remove(subscriber_id)
            .map(Vec::from)
            .unwrap_or_default()
    }

    /// Stops accepting connections, closes open ones, cancels pending
    /// notification retries and waits for the server tasks to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for task in std::mem::take(&mut self.tasks) {
            if let Err(err) = task.await {
                tracing::warn!(%err, "emulator task ended abnormally");
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

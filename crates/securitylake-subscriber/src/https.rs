//! The HTTPS notification endpoint (an EventBridge API destination) with a
//! durable spool: a request is answered `200` only once its body is fsynced
//! in the spool directory, and spooled notifications are processed (also
//! after a restart) and removed only once handled.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;

use crate::checkpoint::sync_dir;
use crate::error::{Error, Result};
use crate::stats::{StatsCell, inc};

/// The default request-body limit: EventBridge events are at most 256 KiB.
pub const DEFAULT_MAX_BODY: usize = 256 * 1024;

/// The default time to read a request (headers and body).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(4);

/// How long a spool entry received as a notice stays invisible, by default.
pub const DEFAULT_SPOOL_VISIBILITY: Duration = Duration::from_secs(60);

/// A spool directory of notification bodies, one file each.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    counter: AtomicU64,
    /// Entries handed out as notices and not settled: when each becomes visible again, and
    /// how many times it was handed out.
    pub(crate) leases:
        std::sync::Mutex<std::collections::HashMap<PathBuf, (tokio::time::Instant, u32)>>,
    pub(crate) visibility: Duration,
    /// Notified when an entry is written; the feed's empty receive waits on it.
    pub(crate) wake: Arc<Notify>,
    /// How long an empty receive waits for a write before rescanning.
    pub(crate) rescan: Duration,
}

impl Spool {
    /// Opens (or creates) the spool directory and removes temporary files
    /// left by a crash during a write (those were never acknowledged).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // `.tmp-` is the name of temporary files before the one atomic
            // write was shared.
            if securitylake_core::fs::is_temporary(&name) || name.starts_with(".tmp-") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(Self {
            dir,
            counter: AtomicU64::new(0),
            leases: Default::default(),
            visibility: DEFAULT_SPOOL_VISIBILITY,
            wake: Arc::new(Notify::new()),
            rescan: Duration::from_secs(5),
        })
    }

    /// How long an entry received as a [`Notice`](crate::feed::Notice) stays invisible to
    /// other receives (default [`DEFAULT_SPOOL_VISIBILITY`]). The spool is a
    /// [`Feed`](crate::feed::Feed): an entry is removed when acknowledged, and received again
    /// when nacked or when its visibility lapses (leases are kept in memory: after a restart
    /// every entry is visible).
    pub fn with_visibility_timeout(mut self, visibility: Duration) -> Self {
        self.visibility = visibility;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a body durably (temporary file, fsync, rename, directory
    /// fsync) and returns its path.
    pub fn write(&self, body: &[u8]) -> Result<PathBuf> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let name = format!("{nanos:024}-{n:08}-{:08x}.json", fastrand::u32(..));
        let path = self.dir.join(&name);
        securitylake_core::fs::write_atomic(&path, body)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        Ok(path)
    }

    /// The spooled entries, oldest first.
    pub fn pending(&self) -> Result<Vec<PathBuf>> {
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| Error::io(format!("listing {}", self.dir.display()), e))?;
        let mut out: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                !name.starts_with('.') && name.ends_with(".json")
            })
            .map(|e| e.path())
            .collect();
        out.sort();
        Ok(out)
    }

    /// Removes a handled entry durably.
    pub fn remove(&self, path: &Path) -> Result<()> {
        match std::fs::remove_file(path) {
            Ok(()) => sync_dir(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(format!("removing {}", path.display()), e)),
        }
    }
}

/// Builds an [`HttpsSource`].
#[derive(Clone)]
pub struct HttpsSourceBuilder {
    spool_dir: PathBuf,
    addr: SocketAddr,
    api_key: Option<(String, String)>,
    max_body: usize,
    request_timeout: Duration,
    tls: Option<(PathBuf, PathBuf)>,
    rescan: Duration,
    visibility: Duration,
}

impl std::fmt::Debug for HttpsSourceBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The API key value is a secret: only its header name is shown.
        f.debug_struct("HttpsSourceBuilder")
            .field("spool_dir", &self.spool_dir)
            .field("addr", &self.addr)
            .field("api_key_header", &self.api_key.as_ref().map(|(h, _)| h))
            .field("max_body", &self.max_body)
            .field("request_timeout", &self.request_timeout)
            .field("tls", &self.tls)
            .field("rescan", &self.rescan)
            .finish()
    }
}

impl HttpsSourceBuilder {
    /// The address to listen on (default `127.0.0.1:0`).
    pub fn bind_address(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The API-key header (`authorizationApiKeyName`) and its value
    /// (`authorizationApiKeyValue`): requests without it get `401`.
    pub fn api_key(mut self, header: impl Into<String>, value: impl Into<String>) -> Self {
        self.api_key = Some((header.into().to_ascii_lowercase(), value.into()));
        self
    }

    /// The request-body limit in bytes (`413` beyond).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The time allowed to read a request (`408` beyond).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Serves TLS with a certificate chain and a private key in PEM files;
    /// without it the endpoint speaks plain HTTP (behind a TLS proxy).
    pub fn tls_pem_files(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls = Some((cert.into(), key.into()));
        self
    }

    /// How often the spool is rescanned for entries left unacknowledged
    /// (default 5 s).
    pub fn rescan_interval(mut self, interval: Duration) -> Self {
        self.rescan = interval;
        self
    }

    /// How long a spooled notification handed out by
    /// [`Subscriber::deliveries`](crate::Subscriber::deliveries) stays invisible before it is
    /// handed out again unless settled or extended (default [`DEFAULT_SPOOL_VISIBILITY`]).
    pub fn visibility_timeout(mut self, visibility: Duration) -> Self {
        self.visibility = visibility;
        self
    }

    /// Opens the spool, loads the TLS files and binds the listener.
    pub async fn bind(self) -> Result<HttpsSource> {
        if self.api_key.is_none() {
            tracing::warn!("HTTPS endpoint without an API key: every request is accepted");
        }
        let spool =
            Arc::new(Spool::open(&self.spool_dir)?.with_visibility_timeout(self.visibility));
        let tls = match &self.tls {
            Some((cert, key)) => Some(load_tls(cert, key)?),
            None => None,
        };
        let listener = TcpListener::bind(self.addr)
            .await
            .map_err(|e| Error::io(format!("binding {}", self.addr), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the bound address", e))?;
        Ok(HttpsSource {
            listener,
            addr,
            spool,
            tls,
            config: Arc::new(self),
        })
    }
}

fn load_tls(cert: &Path, key: &Path) -> Result<TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls_err = |what: String| {
        move |e: rustls::pki_types::pem::Error| Error::config(format!("{what}: {e}"))
    };
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(tls_err(format!("reading {}", cert.display())))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(tls_err(format!("parsing {}", cert.display())))?;
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(tls_err(format!("reading {}", key.display())))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| Error::config(format!("TLS configuration: {e}")).with_source(e))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A bound HTTPS (or plain HTTP) notification endpoint with its spool.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt").block_on(async {
/// use securitylake_subscriber::HttpsSource;
///
/// let spool = tempfile::tempdir().expect("tempdir");
/// let source = HttpsSource::builder(spool.path()).api_key("x-api-key", "secret").bind().await?;
/// assert!(source.local_addr().ip().is_loopback());
/// # Ok::<(), securitylake_subscriber::Error>(()) }).expect("example");
/// ```
pub struct HttpsSource {
    listener: TcpListener,
    addr: SocketAddr,
    spool: Arc<Spool>,
    tls: Option<TlsAcceptor>,
    config: Arc<HttpsSourceBuilder>,
}

impl std::fmt::Debug for HttpsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpsSource")
            .field("addr", &self.addr)
            .field("spool", &self.spool)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl HttpsSource {
    /// A builder spooling into `spool_dir`.
    pub fn builder(spool_dir: impl Into<PathBuf>) -> HttpsSourceBuilder {
        HttpsSourceBuilder {
            spool_dir: spool_dir.into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: None,
            max_body: DEFAULT_MAX_BODY,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            tls: None,
            rescan: Duration::from_secs(5),
            visibility: DEFAULT_SPOOL_VISIBILITY,
        }
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The spool.
    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    pub(crate) fn spool_arc(&self) -> Arc<Spool> {
        self.spool.clone()
    }
}

fn respond(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *resp.status_mut() = status;
    resp
}

fn key_matches(given: &[u8], expected: &[u8]) -> bool {
    // Hash both so the comparison is constant-time regardless of length.
    let a = Sha256::digest(given);
    let b = Sha256::digest(expected);
    bool::from(a.as_slice().ct_eq(b.as_slice()))
}

async fn handle_request(
    req: Request<Incoming>,
    config: Arc<HttpsSourceBuilder>,
    spool: Arc<Spool>,
    wake: Arc<Notify>,
    stats: Arc<StatsCell>,
) -> std::result::Result<Response<Full<Bytes>>, Infallible> {
    let reject = |status, body| {
        inc(&stats.rejected_requests);
        Ok(respond(status, body))
    };
    if req.method() != Method::POST && req.method() != Method::PUT {
        return reject(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    if let Some((header, value)) = &config.api_key {
        let given = req
            .headers()
            .get(header.as_str())
            .map(|v| v.as_bytes())
            .unwrap_or(b"");
        if !key_matches(given, value.as_bytes()) {
            return reject(StatusCode::UNAUTHORIZED, "unauthorized\n");
        }
    }
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > config.max_body as u64) {
        return reject(StatusCode::PAYLOAD_TOO_LARGE, "payload too large\n");
    }
    let body = Limited::new(req.into_body(), config.max_body);
    let body = match tokio::time::timeout(config.request_timeout, body.collect()).await {
        Err(_) => return reject(StatusCode::REQUEST_TIMEOUT, "request timeout\n"),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return reject(StatusCode::PAYLOAD_TOO_LARGE, "payload too large\n");
        }
        Ok(Err(_)) => return reject(StatusCode::BAD_REQUEST, "unreadable body\n"),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let written = tokio::task::spawn_blocking(move || spool.write(&body)).await;
    match written {
        Ok(Ok(path)) => {
            inc(&stats.notifications);
            tracing::debug!(path = %path.display(), "notification spooled");
            wake.notify_one();
            Ok(respond(StatusCode::OK, "{\"status\":\"spooled\"}\n"))
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "spool write failed");
            Ok(respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "spool unavailable\n",
            ))
        }
        Err(_) => Ok(respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "spool unavailable\n",
        )),
    }
}

async fn serve_connection<S>(
    stream: S,
    config: Arc<HttpsSourceBuilder>,
    spool: Arc<Spool>,
    wake: Arc<Notify>,
    stats: Arc<StatsCell>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let timeout = config.request_timeout;
    let service = service_fn(move |req| {
        handle_request(
            req,
            config.clone(),
            spool.clone(),
            wake.clone(),
            stats.clone(),
        )
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .serve_connection(TokioIo::new(stream), service);
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

pub(crate) async fn accept_loop(
    source: Arc<HttpsSource>,
    stats: Arc<StatsCell>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = source.listener.accept() => a,
            _ = shutdown.wait_for(|s| *s) => return,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let config = source.config.clone();
        let spool = source.spool.clone();
        let (wake, stats) = (source.spool.wake.clone(), stats.clone());
        let tls = source.tls.clone();
        tokio::spawn(async move {
            match tls {
                Some(acceptor) => {
                    match tokio::time::timeout(config.request_timeout, acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls_stream)) => {
                            serve_connection(tls_stream, config, spool, wake, stats).await
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
                None => serve_connection(stream, config, spool, wake, stats).await,
            }
        });
    }
}

//! A fault-injecting HTTP proxy for S3 clients, on loopback.
//!
//! [`FaultProxy`] listens on `127.0.0.1`, forwards every request unchanged
//! (method, path, query, headers — `Host` included, so SigV4 signatures stay
//! valid — and the streamed body) to an upstream `http://` endpoint such as
//! the emulator's S3, an in-process `s3s-fs` served over HTTP, or
//! `moto_server`, and relays the response. Rules ([`ProxyRule`]) pick
//! requests by method, path and query (for example the `UploadPart` requests
//! of a multipart upload: `PUT` with `partNumber=` in the query) and answer
//! them with a fault instead ([`ProxyFault`]):
//!
//! * an S3 error document with status 500 (`InternalError`) or 503
//!   (`ServiceUnavailable`, `SlowDown`), without forwarding;
//! * a connection reset (TCP RST) before forwarding, while the client may
//!   still be sending the body;
//! * a connection reset after forwarding: the upstream executed the request
//!   but the client never sees the response (a lost acknowledgement).
//!
//! Every request is recorded ([`FaultProxy::requests`]) with the fault it
//! got, so tests can check that faults happened where intended.
//!
//! ```
//! use securitylake_emulator::{FaultProxy, ProxyFault, ProxyRule};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Anything listening on loopback; here nothing is, which does not matter
//! // for requests that a rule answers.
//! let proxy = FaultProxy::start("http://127.0.0.1:9").await?;
//! proxy.inject(ProxyRule::new(ProxyFault::SlowDown).method("PUT").times(2));
//! assert!(proxy.url().starts_with("http://127.0.0.1:"));
//! assert_eq!(proxy.pending_rules(), 1);
//! proxy.shutdown().await;
//! # Ok(())
//! # }
//! ```

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode, Uri, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::error::{Error, Result};

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
type ProxyBody = BoxBody<Bytes, BoxError>;

/// What the proxy does to a request that a rule selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProxyFault {
    /// `500 InternalError` (S3 error document); not forwarded.
    InternalError,
    /// `503 ServiceUnavailable`; not forwarded.
    ServiceUnavailable,
    /// `503 SlowDown`; not forwarded.
    SlowDown,
    /// The connection is reset (TCP RST) as soon as the request head is
    /// read; the body may still be in flight and nothing is forwarded.
    ResetBeforeForward,
    /// The request is forwarded and its response read from the upstream,
    /// then the client connection is reset: the operation happened but the
    /// client cannot know.
    ResetAfterForward,
}

impl ProxyFault {
    /// The HTTP status and S3 error code of the error-document faults.
    pub const fn error_response(self) -> Option<(u16, &'static str)> {
        match self {
            Self::InternalError => Some((500, "InternalError")),
            Self::ServiceUnavailable => Some((503, "ServiceUnavailable")),
            Self::SlowDown => Some((503, "SlowDown")),
            Self::ResetBeforeForward | Self::ResetAfterForward => None,
        }
    }
}

impl fmt::Display for ProxyFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InternalError => "500 InternalError",
            Self::ServiceUnavailable => "503 ServiceUnavailable",
            Self::SlowDown => "503 SlowDown",
            Self::ResetBeforeForward => "reset before forwarding",
            Self::ResetAfterForward => "reset after forwarding",
        })
    }
}

/// Selects requests and the fault they get.
///
/// A rule matches a request when every condition set holds (no condition:
/// every request). The first `skip` matching requests pass through; after
/// that the rule fires on matching requests (each with the rule's
/// probability, default 1) until it has fired `times` times (default 1),
/// then it is removed. Rules are checked in the order they were injected;
/// the first one that fires decides.
///
/// ```
/// use securitylake_emulator::{ProxyFault, ProxyRule};
///
/// // The second UploadPart request of any multipart upload gets a reset.
/// let rule = ProxyRule::new(ProxyFault::ResetBeforeForward)
///     .method("PUT")
///     .query_contains("partNumber=")
///     .skip(1);
/// assert_eq!(rule.fault(), ProxyFault::ResetBeforeForward);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyRule {
    fault: ProxyFault,
    method: Option<String>,
    path_contains: Option<String>,
    query_contains: Option<String>,
    skip: u64,
    times: u64,
    probability: f64,
}

impl ProxyRule {
    /// A rule that answers the next request with `fault`.
    pub fn new(fault: ProxyFault) -> Self {
        Self {
            fault,
            method: None,
            path_contains: None,
            query_contains: None,
            skip: 0,
            times: 1,
            probability: 1.0,
        }
    }

    /// Only requests with this method (case-insensitive).
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into().to_ascii_uppercase());
        self
    }

    /// Only requests whose path contains this text.
    pub fn path_contains(mut self, text: impl Into<String>) -> Self {
        self.path_contains = Some(text.into());
        self
    }

    /// Only requests whose query string contains this text (e.g.
    /// `partNumber=` for `UploadPart`, `uploads` for
    /// `CreateMultipartUpload`, `uploadId=` for every request of a multipart
    /// upload after its creation).
    pub fn query_contains(mut self, text: impl Into<String>) -> Self {
        self.query_contains = Some(text.into());
        self
    }

    /// Lets this many matching requests through before firing.
    pub fn skip(mut self, requests: u64) -> Self {
        self.skip = requests;
        self
    }

    /// Fires this many times (at least 1), then is removed.
    pub fn times(mut self, times: u64) -> Self {
        self.times = times.max(1);
        self
    }

    /// Fires on each matching request with this probability (clamped to 0
    /// to 1; the proxy's random numbers come from a fixed seed, see
    /// [`FaultProxy::start_with_seed`]).
    pub fn probability(mut self, probability: f64) -> Self {
        self.probability = if probability.is_nan() {
            0.0
        } else {
            probability.clamp(0.0, 1.0)
        };
        self
    }

    /// The fault this rule injects.
    pub fn fault(&self) -> ProxyFault {
        self.fault
    }

    fn matches(&self, method: &str, path: &str, query: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
            && self
                .query_contains
                .as_deref()
                .is_none_or(|q| query.contains(q))
    }
}

/// A request the proxy received, and the fault it got, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxiedRequest {
    /// The method, e.g. `PUT`.
    pub method: String,
    /// The path, e.g. `/bucket/key`.
    pub path: String,
    /// The query string without `?` (empty when absent).
    pub query: String,
    /// The injected fault; `None` when the request was forwarded normally.
    pub fault: Option<ProxyFault>,
}

#[derive(Debug)]
struct ProxyState {
    rules: Vec<ProxyRule>,
    requests: Vec<ProxiedRequest>,
    rng: fastrand::Rng,
}

#[derive(Debug)]
struct ProxyShared {
    upstream: Uri,
    state: Mutex<ProxyState>,
    faults: AtomicU64,
    client: Client<HttpConnector, Incoming>,
}

impl ProxyShared {
    /// Records the request and decides its fault.
    fn decide(&self, method: &str, path: &str, query: &str) -> Option<ProxyFault> {
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut fired = None;
        let ProxyState { rules, rng, .. } = &mut *state;
        for (index, rule) in rules.iter_mut().enumerate() {
            if !rule.matches(method, path, query) {
                continue;
            }
            if rule.skip > 0 {
                rule.skip -= 1;
                continue;
            }
            if rule.probability < 1.0 && rng.f64() >= rule.probability {
                continue;
            }
            rule.times = rule.times.saturating_sub(1);
            fired = Some((index, rule.fault, rule.times == 0));
            break;
        }
        let fault = fired.map(|(index, fault, spent)| {
            if spent {
                state.rules.remove(index);
            }
            fault
        });
        state.requests.push(ProxiedRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            fault,
        });
        if fault.is_some() {
            self.faults.fetch_add(1, Ordering::SeqCst);
        }
        fault
    }
}

/// A running fault-injecting proxy (see the crate documentation, "Fault
/// proxy", and [`ProxyRule`]).
///
/// Dropping it stops it (without waiting); prefer
/// [`shutdown`](Self::shutdown).
#[derive(Debug)]
pub struct FaultProxy {
    address: SocketAddr,
    shared: Arc<ProxyShared>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on an ephemeral `127.0.0.1` port in front of
    /// `upstream` (`http://host:port`), with random numbers seeded by 0.
    ///
    /// Fails with [`ErrorKind::Config`](crate::ErrorKind::Config) when the
    /// upstream is not an `http://` URL with a host, and with
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when the port cannot be bound.
    pub async fn start(upstream: impl AsRef<str>) -> Result<Self> {
        Self::start_with_seed(upstream, 0).await
    }

    /// [`start`](Self::start) with the seed of the rules' probabilities.
    pub async fn start_with_seed(upstream: impl AsRef<str>, seed: u64) -> Result<Self> {
        let upstream_text = upstream.as_ref().trim_end_matches('/');
        let upstream: Uri = upstream_text
            .parse()
            .map_err(|e| Error::config(format!("upstream {upstream_text:?} is not a URL: {e}")))?;
        if upstream.scheme_str() != Some("http") || upstream.authority().is_none() {
            return Err(Error::config(format!(
                "upstream {upstream_text:?} must be an http:// URL with a host (the proxy has no TLS)"
            )));
        }
        if upstream.path_and_query().is_some_and(|p| p.as_str() != "/") {
            return Err(Error::config(format!(
                "upstream {upstream_text:?} must not have a path"
            )));
        }
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|e| Error::io("binding the proxy on 127.0.0.1", e))?;
        let address = listener
            .local_addr()
            .map_err(|e| Error::io("reading the proxy's bound address", e))?;
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build_http();
        let shared = Arc::new(ProxyShared {
            upstream,
            state: Mutex::new(ProxyState {
                rules: Vec::new(),
                requests: Vec::new(),
                rng: fastrand::Rng::with_seed(seed),
            }),
            faults: AtomicU64::new(0),
            client,
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(serve(listener, Arc::clone(&shared), shutdown_rx));
        tracing::info!(%address, upstream = upstream_text, "fault proxy listening");
        Ok(Self {
            address,
            shared,
            shutdown,
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// `http://127.0.0.1:<port>`, the endpoint to give the client.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Adds a rule after the existing ones.
    pub fn inject(&self, rule: ProxyRule) {
        self.with_state(|state| state.rules.push(rule));
    }

    /// Removes every rule that has not fired its count yet.
    pub fn clear_rules(&self) {
        self.with_state(|state| state.rules.clear());
    }

    /// How many rules are still active.
    pub fn pending_rules(&self) -> usize {
        self.with_state(|state| state.rules.len())
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<ProxiedRequest> {
        self.with_state(|state| state.requests.clone())
    }

    /// How many faults were injected.
    pub fn faults_injected(&self) -> u64 {
        self.shared.faults.load(Ordering::SeqCst)
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut ProxyState) -> T) -> T {
        let mut state = match self.shared.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut state)
    }

    /// Stops accepting connections, closes open ones and waits for the
    /// server task.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take()
            && let Err(err) = task.await
        {
            tracing::warn!(%err, "proxy task ended abnormally");
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn serve(
    listener: TcpListener,
    shared: Arc<ProxyShared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, Arc::clone(&shared)));
                }
                Err(err) => {
                    tracing::warn!(%err, "proxy accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

/// Serves one client connection; a reset fault aborts it with a TCP RST.
async fn connection(stream: TcpStream, shared: Arc<ProxyShared>) {
    let reset = Arc::new(Notify::new());
    let service = {
        let reset = Arc::clone(&reset);
        service_fn(move |request| {
            let shared = Arc::clone(&shared);
            let reset = Arc::clone(&reset);
            async move { handle(&shared, &reset, request).await }
        })
    };
    // Kept to set SO_LINGER 0 (close with RST) when a reset is injected; a
    // duplicate descriptor of the same socket.
    let twin = stream
        .into_std()
        .and_then(|std| Ok((std.try_clone()?, std)))
        .and_then(|(twin, std)| Ok((TcpStream::from_std(twin)?, TcpStream::from_std(std)?)));
    let (twin, stream) = match twin {
        Ok(pair) => pair,
        Err(err) => {
            tracing::warn!(%err, "proxy could not set up a connection");
            return;
        }
    };
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = connection => {
            if let Err(err) = result {
                tracing::debug!(%err, "proxied connection ended with an error");
            }
        }
        () = reset.notified() => {
            if let Err(err) = twin.set_zero_linger() {
                tracing::warn!(%err, "could not arm the connection reset");
            }
            // Dropping the connection and the twin closes the socket: RST.
        }
    }
}

async fn handle(
    shared: &ProxyShared,
    reset: &Notify,
    request: Request<Incoming>,
) -> std::result::Result<Response<ProxyBody>, Infallible> {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let fault = shared.decide(&method, &path, &query);
    if let Some(fault) = fault {
        tracing::debug!(%method, %path, %query, %fault, "injecting a fault");
    }
    match fault {
        Some(ProxyFault::ResetBeforeForward) => {
            reset.notify_one();
            std::future::pending().await
        }
        Some(fault) => {
            if let Some((status, code)) = fault.error_response() {
                // Read the body first so that the client sees the answer, not
                // a broken pipe.
                let _ = request.into_body().collect().await;
                return Ok(error_response(status, code, &path));
            }
            // ResetAfterForward: forward, wait for the complete response,
            // then reset.
            if let Ok(response) = forward(shared, request).await {
                let _ = response.into_body().collect().await;
            }
            reset.notify_one();
            std::future::pending().await
        }
        None => Ok(match forward(shared, request).await {
            Ok(response) => response.map(|body| body.map_err(BoxError::from).boxed()),
            Err(err) => {
                tracing::warn!(%err, "the upstream did not answer");
                error_response(502, "BadGateway", &path)
            }
        }),
    }
}

async fn forward(
    shared: &ProxyShared,
    request: Request<Incoming>,
) -> std::result::Result<Response<Incoming>, BoxError> {
    let (mut parts, body) = request.into_parts();
    let mut uri = http::uri::Parts::from(parts.uri);
    uri.scheme = shared.upstream.scheme().cloned();
    uri.authority = shared.upstream.authority().cloned();
    if uri.path_and_query.is_none() {
        uri.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    parts.uri = Uri::from_parts(uri)?;
    // The client's Host header stays: SigV4 signed it.
    Ok(shared
        .client
        .request(Request::from_parts(parts, body))
        .await?)
}

fn error_response(status: u16, code: &str, resource: &str) -> Response<ProxyBody> {
    static REQUEST_ID: AtomicU64 = AtomicU64::new(1);
    let id = REQUEST_ID.fetch_add(1, Ordering::Relaxed);
    let message = match code {
        "SlowDown" => "Reduce your request rate (injected by the fault proxy).",
        "ServiceUnavailable" => "The service is unavailable (injected by the fault proxy).",
        "BadGateway" => "The fault proxy's upstream did not answer.",
        _ => "An internal error occurred (injected by the fault proxy).",
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>\
         <Resource>{}</Resource><RequestId>FAULTPROXY{id:08}</RequestId></Error>",
        xml_escape(resource)
    );
    let mut response = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never: Infallible| -> BoxError { match never {} })
            .boxed(),
    );
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/xml"),
    );
    if let Ok(value) = header::HeaderValue::from_str(&format!("FAULTPROXY{id:08}")) {
        response.headers_mut().insert("x-amz-request-id", value);
    }
    response
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_skip_and_expire() {
        let rule = ProxyRule::new(ProxyFault::SlowDown)
            .method("put")
            .query_contains("partNumber=");
        assert!(rule.matches("PUT", "/b/k", "partNumber=2&uploadId=x"));
        assert!(!rule.matches("GET", "/b/k", "partNumber=2&uploadId=x"));
        assert!(!rule.matches("PUT", "/b/k", ""));
        assert!(ProxyRule::new(ProxyFault::InternalError).matches("HEAD", "/", ""));
        assert_eq!(ProxyRule::new(ProxyFault::SlowDown).times(0).times, 1);
        assert_eq!(
            ProxyRule::new(ProxyFault::SlowDown)
                .probability(f64::NAN)
                .probability,
            0.0
        );
        assert_eq!(
            ProxyFault::SlowDown.error_response(),
            Some((503, "SlowDown"))
        );
        assert_eq!(ProxyFault::ResetAfterForward.error_response(), None);
        assert_eq!(xml_escape("a<&>'\""), "a&lt;&amp;&gt;&apos;&quot;");
    }

    #[tokio::test]
    async fn bad_upstreams_are_config_errors() {
        for upstream in ["https://127.0.0.1:1", "127.0.0.1:1", "http://h:1/path", ""] {
            let err = FaultProxy::start(upstream).await.err();
            assert_eq!(
                err.map(|e| e.kind()),
                Some(crate::ErrorKind::Config),
                "{upstream}"
            );
        }
    }

    #[tokio::test]
    async fn decisions_follow_the_rules_in_order() -> std::result::Result<(), Error> {
        let proxy = FaultProxy::start("http://127.0.0.1:9").await?;
        proxy.inject(
            ProxyRule::new(ProxyFault::InternalError)
                .method("PUT")
                .skip(1)
                .times(2),
        );
        proxy.inject(ProxyRule::new(ProxyFault::ResetBeforeForward).path_contains("/other"));
        let decide = |m: &str, p: &str| proxy.shared.decide(m, p, "");
        assert_eq!(decide("PUT", "/b/k"), None, "skipped");
        assert_eq!(decide("GET", "/b/k"), None);
        assert_eq!(decide("PUT", "/b/k"), Some(ProxyFault::InternalError));
        assert_eq!(
            decide("PUT", "/b/other"),
            Some(ProxyFault::InternalError),
            "the first rule that fires decides"
        );
        assert_eq!(proxy.pending_rules(), 1);
        assert_eq!(
            decide("PUT", "/b/other"),
            Some(ProxyFault::ResetBeforeForward)
        );
        assert_eq!(decide("PUT", "/b/other"), None);
        assert_eq!(proxy.pending_rules(), 0);
        assert_eq!(proxy.faults_injected(), 3);
        let requests = proxy.requests();
        assert_eq!(requests.len(), 6);
        assert_eq!(requests[2].fault, Some(ProxyFault::InternalError));
        proxy.shutdown().await;
        Ok(())
    }
}

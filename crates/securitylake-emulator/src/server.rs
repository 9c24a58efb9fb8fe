//! The loopback HTTP server: one port for Security Lake, STS and S3.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use s3s::{Body, HttpError};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::api::{self, ApiError};
use crate::s3::S3Backend;
use crate::state::{Shared, SharedRef};
use crate::sts;

/// The largest Security Lake or STS request body accepted.
const MAX_CONTROL_BODY: usize = 1024 * 1024;

/// Accepts connections until shutdown, then closes them all.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: SharedRef,
    backend: Arc<S3Backend>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let shared = Arc::clone(&shared);
                    let backend = Arc::clone(&backend);
                    let service = service_fn(move |request| {
                        let shared = Arc::clone(&shared);
                        let backend = Arc::clone(&backend);
                        async move { route(&shared, &backend, request).await }
                    });
                    connections.spawn(async move {
                        let connection = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service);
                        if let Err(err) = connection.await {
                            tracing::debug!(%err, "connection ended with an error");
                        }
                    });
                }
                Err(err) => {
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

/// Dispatches by path: `/v1/...` is Security Lake, a form `POST /` is STS,
/// everything else is path-style S3 (no S3 bucket can be named `v1`: bucket
/// names have at least three characters).
async fn route(
    shared: &Shared,
    backend: &S3Backend,
    request: Request<Incoming>,
) -> Result<Response<Body>, HttpError> {
    let path = request.uri().path();
    if path == "/v1" || path.starts_with("/v1/") {
        return Ok(security_lake(shared, request).await.map(Body::from));
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if request.method() == Method::POST && path == "/" && is_form {
        return Ok(security_token(shared, request).await.map(Body::from));
    }
    backend.handle(shared, request).await
}

async fn read_body(body: Incoming) -> Result<Bytes, ApiError> {
    Limited::new(body, MAX_CONTROL_BODY)
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .map_err(|err| ApiError::bad_request(format!("the request body could not be read: {err}")))
}

async fn security_token(shared: &Shared, request: Request<Incoming>) -> Response<Bytes> {
    let signed = request.headers().contains_key(header::AUTHORIZATION);
    let body = match read_body(request.into_body()).await {
        Ok(body) => body,
        Err(err) => return err.into_response(),
    };
    if !signed {
        return sts_unsigned();
    }
    sts::handle(shared, &body)
}

fn sts_unsigned() -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(
        b"<ErrorResponse><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code>\
          <Message>Request is missing Authentication Token</Message></Error></ErrorResponse>",
    ));
    *response.status_mut() = http::StatusCode::FORBIDDEN;
    response
}

async fn security_lake(shared: &Shared, request: Request<Incoming>) -> Response<Bytes> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let Some((op, label)) = api::route(&parts.method, path) else {
        return ApiError::unknown_operation(&parts.method, path).into_response();
    };
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(err) => return err.into_response(),
    };
    // SigV4 is accepted without verification: only its presence is checked.
    if !parts.headers.contains_key(header::AUTHORIZATION) {
        return ApiError::access_denied(
            "the request has no Authorization header; Security Lake requests must be SigV4-signed",
        )
        .into_response();
    }
    {
        let mut state = shared.state();
        *state.counts.entry(op).or_default() += 1;
        if let Some(queue) = state.faults.get_mut(&op)
            && let Some(fault) = queue.front_mut()
        {
            let error = ApiError::from_fault(fault);
            if !fault.consume() {
                queue.pop_front();
            }
            tracing::debug!(%op, ?error, "injected fault");
            return error.into_response();
        }
    }
    let result = api::dispatch(shared, op, label, parts.uri.query(), &body);
    match result {
        Ok(value) => {
            tracing::debug!(%op, "ok");
            api::json_response(200, &value)
        }
        Err(error) => {
            tracing::debug!(%op, ?error, "refused");
            error.into_response()
        }
    }
}

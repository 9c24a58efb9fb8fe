//! The test side of a Lambda function: the Runtime API served on 127.0.0.1 (what Lambda's
//! runtime interface is to a `provided.al2023` function), the function binary as a child
//! process pointed at it, and the emulator as S3.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{Notify, mpsc};

/// What the function posted for an invocation.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// `POST .../response`.
    Response(Value),
    /// `POST .../error` (or `init/error`).
    Error(Value),
}

impl Outcome {
    /// The response, or a panic naming the error.
    pub fn response(self) -> Value {
        match self {
            Outcome::Response(v) => v,
            Outcome::Error(e) => panic!("the function failed: {e}"),
        }
    }

    /// The error, or a panic naming the response.
    pub fn error(self) -> Value {
        match self {
            Outcome::Error(e) => e,
            Outcome::Response(v) => panic!("the function succeeded: {v}"),
        }
    }
}

struct Pending {
    id: String,
    payload: Vec<u8>,
    deadline_ms: u64,
}

#[derive(Default)]
struct State {
    queue: Mutex<VecDeque<Pending>>,
    ready: Notify,
}

/// The Runtime API on 127.0.0.1.
pub struct RuntimeApi {
    addr: SocketAddr,
    state: Arc<State>,
    outcomes: tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, Outcome)>>,
    next_id: Mutex<u64>,
}

impl RuntimeApi {
    /// Starts serving.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(State::default());
        let (tx, rx) = mpsc::unbounded_channel();
        let serving = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = serving.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| serve(state.clone(), tx.clone(), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            state,
            outcomes: tokio::sync::Mutex::new(rx),
            next_id: Mutex::new(0),
        }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Queues an invocation with `deadline` from now and waits for what the function posts
    /// (a hang guard of 10 minutes fails the test if it never does).
    pub async fn invoke(&self, payload: &Value, deadline: Duration) -> Outcome {
        let id = {
            let mut next = self.next_id.lock().expect("lock");
            *next += 1;
            format!("req-{next}")
        };
        let deadline_ms = (SystemTime::now() + deadline)
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_millis() as u64;
        self.state.queue.lock().expect("lock").push_back(Pending {
            id: id.clone(),
            payload: serde_json::to_vec(payload).expect("json"),
            deadline_ms,
        });
        self.state.ready.notify_one();
        let mut outcomes = self.outcomes.lock().await;
        loop {
            let next = tokio::time::timeout(Duration::from_secs(600), outcomes.recv())
                .await
                .expect("the function answered within 10 minutes")
                .expect("the Runtime API is serving");
            if next.0 == id || next.0 == "init" {
                return next.1;
            }
        }
    }
}

async fn serve(
    state: Arc<State>,
    tx: mpsc::UnboundedSender<(String, Outcome)>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    if path == "/2018-06-01/runtime/invocation/next" {
        let pending = loop {
            let notified = state.ready.notified();
            if let Some(p) = state.queue.lock().expect("lock").pop_front() {
                break p;
            }
            notified.await;
        };
        let response = Response::builder()
            .status(200)
            .header("Lambda-Runtime-Aws-Request-Id", &pending.id)
            .header(
                "Lambda-Runtime-Deadline-Ms",
                pending.deadline_ms.to_string(),
            )
            .header(
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:us-east-1:123456789012:function:test",
            )
            .header(
                "Lambda-Runtime-Trace-Id",
                "Root=1-00000000-000000000000000000000000",
            )
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(pending.payload)))
            .expect("response");
        return Ok(response);
    }
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let json: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let rest = path.strip_prefix("/2018-06-01/runtime/").unwrap_or("");
    let posted = if rest == "init/error" {
        Some(("init".to_owned(), Outcome::Error(json)))
    } else if let Some(id) = rest
        .strip_prefix("invocation/")
        .and_then(|r| r.strip_suffix("/response"))
    {
        Some((id.to_owned(), Outcome::Response(json)))
    } else {
        rest.strip_prefix("invocation/")
            .and_then(|r| r.strip_suffix("/error"))
            .map(|id| (id.to_owned(), Outcome::Error(json)))
    };
    if let Some(posted) = posted {
        let _ = tx.send(posted);
    }
    Ok(Response::builder()
        .status(202)
        .body(Full::new(Bytes::from_static(b"{}")))
        .expect("response"))
}

/// A function process with its standard output collected line by line.
pub struct Function {
    child: Child,
    pub stdout: Arc<Mutex<Vec<String>>>,
}

impl Function {
    /// Starts `program` against `api` with `env` (and the variables the runtime requires).
    pub fn start(program: &str, api: &RuntimeApi, env: &[(String, String)]) -> Self {
        let mut command = Command::new(program);
        command
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", "test")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("RUST_LOG", "warn")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start the function");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let lines = stdout.clone();
        let out = child.stdout.take().expect("stdout");
        tokio::spawn(async move {
            let mut reader = BufReader::new(out).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                eprintln!("[function] {line}");
                lines.lock().expect("lock").push(line);
            }
        });
        Self { child, stdout }
    }

    /// The lines printed so far.
    pub fn lines(&self) -> Vec<String> {
        self.stdout.lock().expect("lock").clone()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// An S3 client of the emulator.
pub fn s3_client(emulator: &securitylake_emulator::Emulator) -> aws_sdk_s3::Client {
    let (id, secret) = emulator.credentials();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(
            emulator.region().to_owned(),
        ))
        .endpoint_url(emulator.s3_endpoint_url())
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            id, secret, None, None, "test",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The emulator's variables as owned pairs.
pub fn emulator_env(emulator: &securitylake_emulator::Emulator) -> Vec<(String, String)> {
    emulator
        .env_vars()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

/// The keys of every object under `prefix` of `bucket`.
pub async fn keys(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token)
            .send()
            .await
            .expect("list");
        out.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    out.sort();
    out
}

/// `n` Linux lines (sshd failures and logons, sudo, kernel), each unique by `seed + i`.
pub fn linux_log(n: usize, seed: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let s = seed + i;
        let line = match i % 4 {
            0 => format!(
                "Mar  3 10:{:02}:{:02} bastion sshd[{}]: Failed password for invalid user u{s} from 10.0.{}.{} port {} ssh2\n",
                (s / 60) % 60,
                s % 60,
                1000 + s,
                (s / 250) % 250,
                s % 250,
                2000 + s % 60000
            ),
            1 => format!(
                "Mar  3 10:{:02}:{:02} bastion sshd[{}]: Accepted publickey for alice from 10.1.0.{} port {} ssh2: RSA SHA256:abc\n",
                (s / 60) % 60,
                s % 60,
                1000 + s,
                s % 250,
                3000 + s % 60000
            ),
            2 => format!(
                "Mar  3 10:{:02}:{:02} bastion sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id {s}\n",
                (s / 60) % 60,
                s % 60
            ),
            _ => format!(
                "Mar  3 10:{:02}:{:02} bastion kernel: [{s}.000] something happened {s}\n",
                (s / 60) % 60,
                s % 60
            ),
        };
        out.push_str(&line);
    }
    out
}

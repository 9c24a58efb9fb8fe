//! A RELP receiver (the Reliable Event Logging Protocol of rsyslog's `imrelp` and `omrelp`):
//! syslog messages over TCP (or TLS, with the `syslog-tls` feature) that the receiver
//! acknowledges one by one, when the caller says they are durable.
//!
//! # Protocol
//! Frames are `TXNR SP COMMAND SP DATALEN [SP DATA] LF`. A session starts with `open` (the
//! client's offers; the reply `200 OK` names the accepted ones: `relp_version=0`,
//! `commands=syslog`), carries `syslog` commands (one message each) and ends with `close`
//! (answered once every message of the session is acknowledged, followed by `0 serverclose
//! 0`). Every command is answered by a `rsp` frame with its transaction number: `200 OK`, or
//! `500 ...` for a command the receiver does not take. A malformed frame (see the frame
//! grammar in the source) closes its session and is counted; it never stops the receiver.
//!
//! # Acknowledgement
//! Each [`RelpMessage`] carries a [`RelpAck`]: the `200 OK` for its transaction goes out only
//! when [`RelpAck::acknowledge`] is called, after the message is durable. A sender keeps the
//! messages it has no reply for and sends them again after reconnecting; the messages durable
//! but not acknowledged when the receiver died come back, which [`RetransmitFilter`]
//! recognises (see its module and ADR 0304).
//!
//! # Memory
//! Messages wait in one bounded queue; when it is full, sessions stop being read (the
//! senders' TCP windows close). Messages longer than the limit are cut to it and counted, as
//! in the syslog receiver.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt").block_on(async {
//! use securitylake_source::input::relp::RelpReceiver;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let mut receiver = RelpReceiver::builder().tcp("127.0.0.1:0".parse()?).bind().await?;
//! let mut client = tokio::net::TcpStream::connect(receiver.tcp_addr().expect("bound")).await?;
//! client.write_all(b"1 open 15 commands=syslog\n2 syslog 5 hello\n").await?;
//! let message = receiver.recv().await.expect("one message");
//! assert_eq!(message.text, "hello");
//! message.ack.acknowledge(); // once it is durable
//! let mut replies = vec![0u8; 256];
//! let mut got = String::new();
//! while !got.contains("2 rsp 6 200 OK\n") {
//!     let n = client.read(&mut replies).await?;
//!     got.push_str(std::str::from_utf8(&replies[..n])?);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).expect("example");
//! ```

mod frame;
mod session;
mod window;

use std::net::SocketAddr;
#[cfg(feature = "syslog-tls")]
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::error::{Error, ErrorKind, Result};
pub use window::{
    Admission, DEFAULT_DEDUPE_WINDOW, MessageDigest, RetransmitFilter, digests_hex, parse_digests,
};

/// The default bound on a message's size (64 KiB, as the syslog receiver's).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// The default length of the message queue.
pub const DEFAULT_QUEUE: usize = 8192;
/// The default bound on open sessions.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// One received message.
#[derive(Debug)]
#[non_exhaustive]
pub struct RelpMessage {
    /// The sender's address.
    pub peer: SocketAddr,
    /// The message (the `syslog` command's data), bytes that are not UTF-8 replaced with
    /// U+FFFD.
    pub text: String,
    /// Whether the message was longer than the limit and was cut.
    pub truncated: bool,
    /// Its acknowledgement, to be sent once it is durable.
    pub ack: RelpAck,
}

/// The acknowledgement of one message (see [`acknowledge`](Self::acknowledge)).
#[derive(Debug)]
pub struct RelpAck {
    session: Arc<session::Session>,
    txnr: u32,
}

impl RelpAck {
    /// Sends `200 OK` for the message (never blocks; nothing happens when its session is
    /// gone: the sender will send the message again).
    pub fn acknowledge(self) {
        self.session.acknowledge(self.txnr);
    }

    /// The message's transaction number.
    pub fn txnr(&self) -> u32 {
        self.txnr
    }

    /// The number of the session, unique in this receiver.
    pub fn session(&self) -> u64 {
        self.session.id
    }
}

/// The receiver's counters (a snapshot).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RelpStats {
    /// Sessions accepted.
    pub sessions: u64,
    /// Messages put in the queue.
    pub messages: u64,
    /// Messages acknowledged (`200 OK` written).
    pub acknowledged: u64,
    /// Sessions closed for a malformed frame.
    pub malformed_frames: u64,
    /// Commands refused with `500` (unknown, or out of order).
    pub refused_commands: u64,
    /// Sessions that ended by a read error or a failed TLS handshake.
    pub session_errors: u64,
    /// Messages cut to the size limit.
    pub truncated: u64,
    /// Messages with bytes that are not UTF-8 (replaced).
    pub invalid_utf8: u64,
}

#[derive(Debug, Default)]
struct Counters {
    sessions: AtomicU64,
    messages: AtomicU64,
    acknowledged: AtomicU64,
    malformed_frames: AtomicU64,
    refused_commands: AtomicU64,
    session_errors: AtomicU64,
    truncated: AtomicU64,
    invalid_utf8: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> RelpStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        RelpStats {
            sessions: get(&self.sessions),
            messages: get(&self.messages),
            acknowledged: get(&self.acknowledged),
            malformed_frames: get(&self.malformed_frames),
            refused_commands: get(&self.refused_commands),
            session_errors: get(&self.session_errors),
            truncated: get(&self.truncated),
            invalid_utf8: get(&self.invalid_utf8),
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Builds a [`RelpReceiver`]; one listener (TCP or TLS) is required.
#[derive(Debug, Clone)]
pub struct RelpReceiverBuilder {
    tcp: Option<SocketAddr>,
    #[cfg(feature = "syslog-tls")]
    tls: Option<(SocketAddr, PathBuf, PathBuf)>,
    max_message_bytes: usize,
    queue: usize,
    max_connections: usize,
}

impl Default for RelpReceiverBuilder {
    fn default() -> Self {
        Self {
            tcp: None,
            #[cfg(feature = "syslog-tls")]
            tls: None,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            queue: DEFAULT_QUEUE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl RelpReceiverBuilder {
    /// Listens for RELP over TCP on `addr` (port 0: any free port).
    pub fn tcp(mut self, addr: SocketAddr) -> Self {
        self.tcp = Some(addr);
        self
    }

    /// Listens for RELP over TLS on `addr` with the certificate chain and key in the PEM
    /// files `cert` and `key`.
    #[cfg(feature = "syslog-tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "syslog-tls")))]
    pub fn tls(
        mut self,
        addr: SocketAddr,
        cert: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        self.tls = Some((addr, cert.into(), key.into()));
        self
    }

    /// The longest message kept, in bytes (at least 480; default
    /// [`DEFAULT_MAX_MESSAGE_BYTES`]); longer ones are cut and counted.
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes;
        self
    }

    /// The number of messages waiting to be received (at least 1; default
    /// [`DEFAULT_QUEUE`]).
    pub fn queue(mut self, messages: usize) -> Self {
        self.queue = messages;
        self
    }

    /// The bound on open sessions (default [`DEFAULT_MAX_CONNECTIONS`]).
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections;
        self
    }

    /// Binds the listener and starts receiving (on the current tokio runtime).
    ///
    /// Fails with [`ErrorKind::Config`] on a bad setting or no listener, and with
    /// [`ErrorKind::Io`] when the address cannot be bound.
    pub async fn bind(self) -> Result<RelpReceiver> {
        let config = |m: &str| Error::new(ErrorKind::Config, format!("RELP receiver: {m}"));
        if self.max_message_bytes < 480 {
            return Err(config("max_message_bytes must be at least 480"));
        }
        if self.queue == 0 || self.max_connections == 0 {
            return Err(config("queue and max_connections must be at least 1"));
        }
        let (tx, rx) = mpsc::channel(self.queue);
        let shared = Arc::new(Shared {
            tx,
            counters: Counters::default(),
            max_message_bytes: self.max_message_bytes,
            connections: Arc::new(Semaphore::new(self.max_connections)),
            next_session: AtomicU64::new(1),
        });
        let mut receiver = RelpReceiver {
            rx,
            shared: shared.clone(),
            tcp_addr: None,
            tls_addr: None,
            tasks: JoinSet::new(),
        };
        let mut any = false;
        if let Some(addr) = self.tcp {
            let listener = listen(addr)?;
            receiver.tcp_addr = listener.local_addr().ok();
            receiver
                .tasks
                .spawn(session::accept_loop(listener, shared.clone(), None));
            any = true;
        }
        #[cfg(feature = "syslog-tls")]
        if let Some((addr, cert, key)) = self.tls {
            let acceptor = super::syslog::tls::acceptor(&cert, &key)?;
            let listener = listen(addr)?;
            receiver.tls_addr = listener.local_addr().ok();
            receiver.tasks.spawn(session::accept_loop(
                listener,
                shared.clone(),
                Some(acceptor),
            ));
            any = true;
        }
        if !any {
            return Err(config("no listener: give tcp or tls"));
        }
        Ok(receiver)
    }
}

fn listen(addr: SocketAddr) -> Result<TcpListener> {
    super::syslog::listen(addr, super::syslog::DEFAULT_BACKLOG).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("RELP receiver: cannot bind {addr}: {e}"),
        )
        .with_source(e)
    })
}

/// Receives RELP sessions (see the [module documentation](self)).
///
/// Dropping it (or [`close`](Self::close)) ends every listener and session at once;
/// messages not acknowledged by then are sent again by their senders.
#[derive(Debug)]
pub struct RelpReceiver {
    rx: mpsc::Receiver<RelpMessage>,
    shared: Arc<Shared>,
    tcp_addr: Option<SocketAddr>,
    tls_addr: Option<SocketAddr>,
    tasks: JoinSet<()>,
}

impl RelpReceiver {
    /// A builder with the defaults.
    pub fn builder() -> RelpReceiverBuilder {
        RelpReceiverBuilder::default()
    }

    /// The next message (per session, in the order sent). `None` only after
    /// [`close`](Self::close) once the queue is empty.
    pub async fn recv(&mut self) -> Option<RelpMessage> {
        self.rx.recv().await
    }

    /// A message if one is waiting.
    pub fn try_recv(&mut self) -> Option<RelpMessage> {
        self.rx.try_recv().ok()
    }

    /// Stops the listeners and sessions; queued messages can still be received.
    pub fn close(&mut self) {
        self.tasks.abort_all();
        self.rx.close();
    }

    /// The counters.
    pub fn stats(&self) -> RelpStats {
        self.shared.counters.snapshot()
    }

    /// The bound TCP address.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp_addr
    }

    /// The bound TLS address.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }
}

#[derive(Debug)]
struct Shared {
    tx: mpsc::Sender<RelpMessage>,
    counters: Counters,
    max_message_bytes: usize,
    connections: Arc<Semaphore>,
    next_session: AtomicU64,
}

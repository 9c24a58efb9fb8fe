//! A syslog receiver: UDP (RFC 5426), TCP with both RFC 6587 framings (octet counting and line
//! feeds, detected per frame) and, with the `syslog-tls` feature, TLS (RFC 5425) with a
//! certificate and key in PEM files.
//!
//! The receiver hands out each message's text with the sender's address and transport; the
//! syslog header (RFC 3164 or RFC 5424) is left to the mapper, which parses both.
//!
//! # Memory under a flood
//! Messages wait in one bounded queue ([`SyslogReceiverBuilder::queue`] messages of at most
//! [`SyslogReceiverBuilder::max_message_bytes`] each). When it is full, TCP and TLS
//! connections stop being read (the senders' TCP windows close: they wait, nothing is lost),
//! and UDP datagrams are dropped and counted in [`SyslogStats::udp_dropped`] (UDP has no other
//! way to push back). Longer messages are truncated to the limit and counted
//! ([`SyslogStats::truncated`]); bytes that are not UTF-8 are replaced with U+FFFD and counted
//! ([`SyslogStats::invalid_utf8`]).
//!
//! # Acknowledgement
//! Syslog over UDP, TCP and TLS has no application-level acknowledgement: a message is gone
//! from the sender once its transport took it. Messages received but not yet durable in a
//! writer's spool are lost if the process dies; for a checkpoint, the receiver has none to
//! give. For acknowledged delivery use the RELP receiver ([`super::relp`]).
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt").block_on(async {
//! use securitylake_source::input::syslog::{SyslogReceiver, Transport};
//!
//! let mut receiver = SyslogReceiver::builder()
//!     .udp("127.0.0.1:0".parse()?)
//!     .bind()
//!     .await?;
//! let addr = receiver.udp_addr().expect("bound");
//! let sender = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
//! sender.send_to(b"<38>Jun 10 09:00:01 bastion sshd[811]: Accepted publickey for alice", addr).await?;
//!
//! let message = receiver.recv().await.expect("one message");
//! assert_eq!(message.transport, Transport::Udp);
//! assert_eq!(message.peer, sender.local_addr()?);
//! assert!(message.text.ends_with("Accepted publickey for alice"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).expect("example");
//! ```

mod framing;
#[cfg(feature = "syslog-tls")]
pub(crate) mod tls;

use std::net::SocketAddr;
#[cfg(feature = "syslog-tls")]
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncRead, BufReader};
use tokio::net::{TcpListener, TcpSocket, UdpSocket};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::error::{Error, ErrorKind, Result};
use framing::{Frame, read_frame};

/// The default bound on a message's size: 64 KiB (RFC 5425 asks receivers for at least 2,048
/// bytes and recommends 8,192).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// The default length of the message queue.
pub const DEFAULT_QUEUE: usize = 8192;
/// The default bound on open TCP and TLS connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// The default length of the TCP and TLS listen backlogs (connections the kernel completes
/// before they are accepted). The usual default of 128 drops handshakes when hundreds of
/// senders connect at once (measured: 25 to 365 of 1,000 simultaneous connections stalled for
/// over a minute); the kernel caps it at `net.core.somaxconn`.
pub const DEFAULT_BACKLOG: u32 = 4096;

/// How a message arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// A UDP datagram (RFC 5426).
    Udp,
    /// A TCP stream (RFC 6587).
    Tcp,
    /// A TLS stream (RFC 5425).
    Tls,
}

/// One received syslog message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyslogMessage {
    /// The sender's address (the datagram's source, or the connection's peer).
    pub peer: SocketAddr,
    /// How it arrived.
    pub transport: Transport,
    /// The message, header included (`<PRI>...`), without framing; bytes that are not UTF-8
    /// replaced with U+FFFD.
    pub text: String,
    /// Whether the message was longer than the size limit and was cut.
    pub truncated: bool,
}

/// The receiver's counters (a snapshot).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyslogStats {
    /// Messages put in the queue, every transport.
    pub messages: u64,
    /// UDP datagrams read from the socket.
    pub udp_received: u64,
    /// UDP datagrams dropped because the queue was full.
    pub udp_dropped: u64,
    /// TCP and TLS connections accepted.
    pub connections: u64,
    /// Connections closed because their stream could not be framed (it ended inside an
    /// octet-counted frame), failed to read, or failed the TLS handshake.
    pub connection_errors: u64,
    /// Messages cut to the size limit.
    pub truncated: u64,
    /// Messages with bytes that are not UTF-8 (replaced).
    pub invalid_utf8: u64,
}

#[derive(Debug, Default)]
struct Counters {
    messages: AtomicU64,
    udp_received: AtomicU64,
    udp_dropped: AtomicU64,
    connections: AtomicU64,
    connection_errors: AtomicU64,
    truncated: AtomicU64,
    invalid_utf8: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> SyslogStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SyslogStats {
            messages: get(&self.messages),
            udp_received: get(&self.udp_received),
            udp_dropped: get(&self.udp_dropped),
            connections: get(&self.connections),
            connection_errors: get(&self.connection_errors),
            truncated: get(&self.truncated),
            invalid_utf8: get(&self.invalid_utf8),
        }
    }

    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Builds a [`SyslogReceiver`]; at least one listener is required.
#[derive(Debug, Clone)]
pub struct SyslogReceiverBuilder {
    udp: Option<SocketAddr>,
    tcp: Option<SocketAddr>,
    #[cfg(feature = "syslog-tls")]
    tls: Option<(SocketAddr, PathBuf, PathBuf)>,
    max_message_bytes: usize,
    queue: usize,
    max_connections: usize,
    backlog: u32,
}

impl Default for SyslogReceiverBuilder {
    fn default() -> Self {
        Self {
            udp: None,
            tcp: None,
            #[cfg(feature = "syslog-tls")]
            tls: None,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            queue: DEFAULT_QUEUE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            backlog: DEFAULT_BACKLOG,
        }
    }
}

impl SyslogReceiverBuilder {
    /// Listens for UDP datagrams on `addr` (port 0: any free port, see
    /// [`SyslogReceiver::udp_addr`]).
    pub fn udp(mut self, addr: SocketAddr) -> Self {
        self.udp = Some(addr);
        self
    }

    /// Listens for TCP connections on `addr`.
    pub fn tcp(mut self, addr: SocketAddr) -> Self {
        self.tcp = Some(addr);
        self
    }

    /// Listens for TLS connections on `addr` with the certificate chain and private key in the
    /// PEM files `cert` and `key` (read by [`bind`](Self::bind)).
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

    /// The longest message kept, in bytes (at least 480, RFC 3164's minimum;
    /// default [`DEFAULT_MAX_MESSAGE_BYTES`]); longer ones are truncated and counted.
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

    /// The bound on open TCP and TLS connections (default [`DEFAULT_MAX_CONNECTIONS`]); more
    /// wait in the listen backlog.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections;
        self
    }

    /// The length of the TCP and TLS listen backlogs (at least 1; default
    /// [`DEFAULT_BACKLOG`], capped by the kernel at `net.core.somaxconn`).
    pub fn backlog(mut self, connections: u32) -> Self {
        self.backlog = connections;
        self
    }

    /// Binds the listeners and starts receiving (on the current tokio runtime).
    ///
    /// Fails with [`ErrorKind::Config`] on a bad setting or no listener, and with
    /// [`ErrorKind::Io`] when an address cannot be bound (or the TLS files not read).
    pub async fn bind(self) -> Result<SyslogReceiver> {
        let config = |m: &str| Error::new(ErrorKind::Config, format!("syslog receiver: {m}"));
        if self.max_message_bytes < 480 {
            return Err(config("max_message_bytes must be at least 480"));
        }
        if self.queue == 0 || self.max_connections == 0 || self.backlog == 0 {
            return Err(config(
                "queue, max_connections and backlog must be at least 1",
            ));
        }
        #[cfg(feature = "syslog-tls")]
        let any_tls = self.tls.is_some();
        #[cfg(not(feature = "syslog-tls"))]
        let any_tls = false;
        if self.udp.is_none() && self.tcp.is_none() && !any_tls {
            return Err(config("no listener: give udp, tcp or tls"));
        }
        let (tx, rx) = mpsc::channel(self.queue);
        let shared = Arc::new(Shared {
            tx,
            counters: Counters::default(),
            max_message_bytes: self.max_message_bytes,
            connections: Arc::new(Semaphore::new(self.max_connections)),
        });
        let mut tasks = JoinSet::new();
        let mut receiver = SyslogReceiver {
            rx,
            shared: shared.clone(),
            udp_addr: None,
            tcp_addr: None,
            tls_addr: None,
            tasks: JoinSet::new(),
        };
        if let Some(addr) = self.udp {
            let socket = UdpSocket::bind(addr)
                .await
                .map_err(|e| bind_error("UDP", addr, e))?;
            receiver.udp_addr = Some(
                socket
                    .local_addr()
                    .map_err(|e| bind_error("UDP", addr, e))?,
            );
            tasks.spawn(udp_loop(socket, shared.clone()));
        }
        if let Some(addr) = self.tcp {
            let listener = listen(addr, self.backlog).map_err(|e| bind_error("TCP", addr, e))?;
            receiver.tcp_addr = Some(
                listener
                    .local_addr()
                    .map_err(|e| bind_error("TCP", addr, e))?,
            );
            tasks.spawn(accept_loop(listener, shared.clone(), Accept::Plain));
        }
        #[cfg(feature = "syslog-tls")]
        if let Some((addr, cert, key)) = self.tls {
            let acceptor = tls::acceptor(&cert, &key)?;
            let listener = listen(addr, self.backlog).map_err(|e| bind_error("TLS", addr, e))?;
            receiver.tls_addr = Some(
                listener
                    .local_addr()
                    .map_err(|e| bind_error("TLS", addr, e))?,
            );
            tasks.spawn(accept_loop(listener, shared.clone(), Accept::Tls(acceptor)));
        }
        receiver.tasks = tasks;
        Ok(receiver)
    }
}

/// A TCP listener on `addr` with a listen backlog of `backlog` connections.
pub(crate) fn listen(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As `TcpListener::bind` does: a restarted receiver rebinds its port at once.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

fn bind_error(what: &str, addr: SocketAddr, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("syslog receiver: cannot bind {what} {addr}: {e}"),
    )
    .with_source(e)
}

/// Receives syslog messages over UDP, TCP and TLS (see the [module documentation](self)).
///
/// Dropping it stops every listener and connection at once (nothing blocks).
#[derive(Debug)]
pub struct SyslogReceiver {
    rx: mpsc::Receiver<SyslogMessage>,
    shared: Arc<Shared>,
    udp_addr: Option<SocketAddr>,
    tcp_addr: Option<SocketAddr>,
    tls_addr: Option<SocketAddr>,
    tasks: JoinSet<()>,
}

impl SyslogReceiver {
    /// A builder with the defaults.
    pub fn builder() -> SyslogReceiverBuilder {
        SyslogReceiverBuilder::default()
    }

    /// The next message, in the order the queue took them (per connection, the order sent).
    /// `None` only after [`close`](Self::close) once the queue is empty.
    pub async fn recv(&mut self) -> Option<SyslogMessage> {
        self.rx.recv().await
    }

    /// A message if one is waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<SyslogMessage> {
        self.rx.try_recv().ok()
    }

    /// Stops the listeners and connections; the messages already queued can still be
    /// received, then [`recv`](Self::recv) returns `None`.
    pub fn close(&mut self) {
        self.tasks.abort_all();
        self.rx.close();
    }

    /// The counters.
    pub fn stats(&self) -> SyslogStats {
        self.shared.counters.snapshot()
    }

    /// The bound UDP address.
    pub fn udp_addr(&self) -> Option<SocketAddr> {
        self.udp_addr
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
    tx: mpsc::Sender<SyslogMessage>,
    counters: Counters,
    max_message_bytes: usize,
    connections: Arc<Semaphore>,
}

impl Shared {
    fn message(
        &self,
        peer: SocketAddr,
        transport: Transport,
        bytes: &[u8],
        truncated: bool,
    ) -> SyslogMessage {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text.to_owned(),
            Err(_) => {
                Counters::bump(&self.counters.invalid_utf8);
                String::from_utf8_lossy(bytes).into_owned()
            }
        };
        if truncated {
            Counters::bump(&self.counters.truncated);
        }
        SyslogMessage {
            peer,
            transport,
            text,
            truncated,
        }
    }
}

async fn udp_loop(socket: UdpSocket, shared: Arc<Shared>) {
    // One byte more than the limit tells a truncated datagram from one of exactly the limit.
    let mut buf = vec![0u8; shared.max_message_bytes + 1];
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(received) => received,
            // ICMP errors of earlier sends and the like: the socket keeps working.
            Err(_) => continue,
        };
        Counters::bump(&shared.counters.udp_received);
        let truncated = n > shared.max_message_bytes;
        let mut bytes = &buf[..n.min(shared.max_message_bytes)];
        // A trailing line feed is framing some senders add, not message.
        if let Some(stripped) = bytes.strip_suffix(b"\n") {
            bytes = stripped;
        }
        let message = shared.message(peer, Transport::Udp, bytes, truncated);
        match shared.tx.try_send(message) {
            Ok(()) => Counters::bump(&shared.counters.messages),
            Err(mpsc::error::TrySendError::Full(_)) => Counters::bump(&shared.counters.udp_dropped),
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}

enum Accept {
    Plain,
    #[cfg(feature = "syslog-tls")]
    Tls(tokio_rustls::TlsAcceptor),
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, accept: Accept) {
    let mut connections = JoinSet::new();
    loop {
        // Wait for a connection slot first: more connections wait in the backlog.
        let Ok(permit) = shared.connections.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => continue,
            },
            // Reap finished connections while waiting.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        Counters::bump(&shared.counters.connections);
        let shared = shared.clone();
        match &accept {
            Accept::Plain => {
                connections.spawn(async move {
                    read_stream(stream, peer, Transport::Tcp, &shared).await;
                    drop(permit);
                });
            }
            #[cfg(feature = "syslog-tls")]
            Accept::Tls(acceptor) => {
                let acceptor = acceptor.clone();
                connections.spawn(async move {
                    match acceptor.accept(stream).await {
                        Ok(tls) => read_stream(tls, peer, Transport::Tls, &shared).await,
                        Err(_) => Counters::bump(&shared.counters.connection_errors),
                    }
                    drop(permit);
                });
            }
        }
    }
}

/// Reads frames from one connection until it ends, breaks or the receiver is gone. Waiting on
/// the queue stops reading the socket: that is the backpressure on TCP senders.
async fn read_stream<S: AsyncRead + Unpin>(
    stream: S,
    peer: SocketAddr,
    transport: Transport,
    shared: &Shared,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let mut buf = Vec::new();
    loop {
        match read_frame(&mut reader, &mut buf, shared.max_message_bytes).await {
            Ok(Frame::Message { truncated }) => {
                let message = shared.message(peer, transport, &buf, truncated);
                if shared.tx.send(message).await.is_err() {
                    return;
                }
                Counters::bump(&shared.counters.messages);
            }
            Ok(Frame::End) => return,
            Ok(Frame::Broken(_)) | Err(_) => {
                Counters::bump(&shared.counters.connection_errors);
                return;
            }
        }
    }
}

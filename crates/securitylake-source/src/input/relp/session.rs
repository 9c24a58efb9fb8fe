//! One RELP session: a task reading frames and queueing messages, and a writer sending the
//! replies (acknowledgements arrive from the caller through a channel, in any order).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::frame::{Command, FrameError, SERVER_CLOSE, offers, read_frame, response};
use super::{RelpAck, RelpMessage, Shared, bump};

/// What the writer is asked to send.
#[derive(Debug)]
pub(super) enum Out {
    /// `200 OK` for a message.
    Ack(u32),
    /// A reply ready to send (to `open`, or a `500`).
    Reply(Vec<u8>),
    /// `close` received: answer it once every message is acknowledged, then end.
    Close(u32),
    /// End the session now.
    Abort,
}

/// The session's side the acknowledgements use.
#[derive(Debug)]
pub(super) struct Session {
    /// Unique in the receiver.
    pub(super) id: u64,
    out: mpsc::UnboundedSender<Out>,
    /// Nothing but possible retransmissions received so far.
    leading: AtomicBool,
    /// Messages queued and not acknowledged yet.
    outstanding: AtomicU64,
}

impl Session {
    pub(super) fn acknowledge(&self, txnr: u32) {
        let _ = self.out.send(Out::Ack(txnr));
    }

    /// Whether the session has sent only messages that may be retransmissions.
    pub(crate) fn leading(&self) -> bool {
        self.leading.load(Ordering::Relaxed)
    }

    /// The session sent a message that is not a retransmission: the rest are new.
    pub(crate) fn end_leading(&self) {
        self.leading.store(false, Ordering::Relaxed);
    }
}

/// Accepts sessions until aborted (`tls`: the TLS acceptor, else plain TCP).
pub(super) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    #[cfg(feature = "syslog-tls")] tls: Option<tokio_rustls::TlsAcceptor>,
    #[cfg(not(feature = "syslog-tls"))] tls: Option<()>,
) {
    let mut sessions = JoinSet::new();
    loop {
        let Ok(permit) = shared.connections.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => continue,
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => continue,
        };
        bump(&shared.counters.sessions);
        let shared = shared.clone();
        let tls = tls.clone();
        sessions.spawn(async move {
            match tls {
                None => serve(stream, peer, &shared).await,
                #[cfg(feature = "syslog-tls")]
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(stream) => serve(stream, peer, &shared).await,
                    Err(_) => bump(&shared.counters.session_errors),
                },
                #[cfg(not(feature = "syslog-tls"))]
                Some(()) => {}
            }
            drop(permit);
        });
    }
}

/// Serves one session until it ends.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(stream: S, peer: SocketAddr, shared: &Shared) {
    let (read, write) = tokio::io::split(stream);
    let (tx, rx) = mpsc::unbounded_channel();
    let session = Arc::new(Session {
        id: shared.next_session.fetch_add(1, Ordering::Relaxed),
        out: tx,
        leading: AtomicBool::new(true),
        outstanding: AtomicU64::new(0),
    });
    let writer = write_loop(write, rx, session.clone(), shared);
    tokio::pin!(writer);
    tokio::select! {
        () = &mut writer => return,
        () = read_loop(read, peer, session, shared) => {}
    }
    writer.await;
}

/// Reads frames, answers `open` and commands it refuses, queues messages.
async fn read_loop<R: AsyncRead + Unpin>(
    read: R,
    peer: SocketAddr,
    session: Arc<Session>,
    shared: &Shared,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, read);
    let mut buf = Vec::new();
    let mut open = false;
    let refuse = |txnr: u32, why: &str| {
        bump(&shared.counters.refused_commands);
        let _ = session
            .out
            .send(Out::Reply(response(txnr, &format!("500 {why}"))));
    };
    loop {
        let frame = match read_frame(&mut reader, &mut buf, shared.max_message_bytes).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(FrameError::Io(e)) => {
                tracing::debug!(%peer, error = %e, "RELP: read error, session closed");
                bump(&shared.counters.session_errors);
                break;
            }
            Err(e) => {
                bump(&shared.counters.malformed_frames);
                tracing::debug!(%peer, error = e.describe(), "RELP: malformed frame, session closed");
                break;
            }
        };
        match (frame.command, open) {
            (Command::Open, false) => {
                let offered = offers(&buf);
                let syslog = offered
                    .iter()
                    .filter(|(name, _)| name == "commands")
                    .all(|(_, value)| value.split(',').any(|c| c.trim() == "syslog"));
                if !syslog {
                    refuse(frame.txnr, "this server takes only the syslog command");
                    break;
                }
                let reply = format!(
                    "200 OK\nrelp_version=0\nrelp_software=seclake,{}\ncommands=syslog",
                    env!("CARGO_PKG_VERSION")
                );
                let _ = session.out.send(Out::Reply(response(frame.txnr, &reply)));
                open = true;
            }
            (Command::Syslog, true) => {
                let text = match std::str::from_utf8(&buf) {
                    Ok(text) => text.to_owned(),
                    Err(_) => {
                        bump(&shared.counters.invalid_utf8);
                        String::from_utf8_lossy(&buf).into_owned()
                    }
                };
                if frame.truncated {
                    bump(&shared.counters.truncated);
                }
                session.outstanding.fetch_add(1, Ordering::Relaxed);
                let message = RelpMessage {
                    peer,
                    text,
                    truncated: frame.truncated,
                    ack: RelpAck {
                        session: session.clone(),
                        txnr: frame.txnr,
                    },
                };
                // A full queue stops the reading here: the sender's TCP window closes.
                if shared.tx.send(message).await.is_err() {
                    break;
                }
                bump(&shared.counters.messages);
            }
            (Command::Close, true) => {
                let _ = session.out.send(Out::Close(frame.txnr));
                return;
            }
            (Command::Open, true) => {
                refuse(frame.txnr, "the session is already open");
                break;
            }
            (_, false) => {
                refuse(frame.txnr, "open the session first");
                break;
            }
            (Command::Other(name), true) => {
                refuse(frame.txnr, &format!("unknown command {name}"));
            }
        }
    }
    let _ = session.out.send(Out::Abort);
}

/// Writes the replies until the session ends.
async fn write_loop<W: AsyncWrite + Unpin>(
    mut write: W,
    mut rx: mpsc::UnboundedReceiver<Out>,
    session: Arc<Session>,
    shared: &Shared,
) {
    let mut closing = None;
    while let Some(out) = rx.recv().await {
        let written = match out {
            Out::Ack(txnr) => {
                session.outstanding.fetch_sub(1, Ordering::Relaxed);
                bump(&shared.counters.acknowledged);
                write.write_all(&response(txnr, "200 OK")).await
            }
            Out::Reply(bytes) => write.write_all(&bytes).await,
            Out::Close(txnr) => {
                closing = Some(txnr);
                Ok(())
            }
            Out::Abort => break,
        };
        if written.is_err() {
            return;
        }
        if let Some(txnr) = closing
            && session.outstanding.load(Ordering::Relaxed) == 0
        {
            let _ = write.write_all(&response(txnr, "200 OK")).await;
            let _ = write.write_all(SERVER_CLOSE).await;
            break;
        }
        if rx.is_empty() && write.flush().await.is_err() {
            return;
        }
    }
    let _ = write.flush().await;
    let _ = write.shutdown().await;
}

/// A session without a connection, for the filter's tests.
#[cfg(test)]
pub(super) fn test_session() -> TestSession {
    let (out, rx) = mpsc::unbounded_channel();
    TestSession {
        session: Arc::new(Session {
            id: 0,
            out,
            leading: AtomicBool::new(true),
            outstanding: AtomicU64::new(0),
        }),
        _rx: rx,
    }
}

/// See [`test_session`].
#[cfg(test)]
pub(super) struct TestSession {
    session: Arc<Session>,
    _rx: mpsc::UnboundedReceiver<Out>,
}

#[cfg(test)]
impl TestSession {
    /// An acknowledgement of transaction `txnr` in this session.
    pub(super) fn ack(&self, txnr: u32) -> RelpAck {
        RelpAck {
            session: self.session.clone(),
            txnr,
        }
    }
}

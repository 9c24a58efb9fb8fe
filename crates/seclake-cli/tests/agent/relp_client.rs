//! A RELP sender as rsyslog's `omrelp` behaves: numbered messages, a window of messages
//! without a reply, a new session after the receiver went away, and the messages without a
//! reply sent again first (with new transaction numbers).

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// What the sender did, for the test's figures.
#[derive(Debug, Default, Clone, Copy)]
pub struct SenderFigures {
    /// Sessions opened.
    pub sessions: u64,
    /// Messages sent again after a new session.
    pub resent: u64,
    /// Messages acknowledged.
    pub acknowledged: u64,
    /// Sessions the sender broke off itself (without reading the replies).
    pub broken_off: u64,
}

/// One reply frame read from the server.
struct Reply {
    txnr: u32,
    command: String,
    data: Vec<u8>,
}

/// The first complete frame in `buf`, and the bytes it took.
fn parse(buf: &[u8]) -> Option<(Reply, usize)> {
    let mut fields = Vec::new();
    let mut start = 0;
    // TXNR SP COMMAND SP DATALEN
    for (i, b) in buf.iter().enumerate() {
        if *b == b' ' || (*b == b'\n' && fields.len() == 2) {
            fields.push(std::str::from_utf8(&buf[start..i]).ok()?.to_owned());
            start = i + 1;
            if fields.len() == 3 {
                break;
            }
        }
    }
    if fields.len() < 3 {
        return None;
    }
    let txnr = fields[0].parse().ok()?;
    let len: usize = fields[2].parse().ok()?;
    if len == 0 {
        return Some((
            Reply {
                txnr,
                command: fields[1].clone(),
                data: Vec::new(),
            },
            start,
        ));
    }
    if buf.len() < start + len + 1 {
        return None;
    }
    Some((
        Reply {
            txnr,
            command: fields[1].clone(),
            data: buf[start..start + len].to_vec(),
        },
        start + len + 1,
    ))
}

/// Sends `messages[..allowed]` to `addr` until every one is acknowledged and `done` is set
/// (more may be allowed while it runs), reconnecting whenever the server goes away.
pub fn send_all(
    addr: SocketAddr,
    messages: &[String],
    allowed: &AtomicU64,
    done: &AtomicBool,
    window: usize,
    mut seed: u64,
    figures: &std::sync::Mutex<SenderFigures>,
) {
    // Indices of the messages sent and not acknowledged, in the order sent.
    let mut unacked: VecDeque<usize> = VecDeque::new();
    let mut next = 0usize;
    loop {
        if done.load(Ordering::Relaxed) && unacked.is_empty() && next >= messages.len() {
            return;
        }
        let Ok(mut stream) = TcpStream::connect(addr) else {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        if stream
            .set_read_timeout(Some(Duration::from_millis(20)))
            .is_err()
        {
            continue;
        }
        // Some sessions break off after a number of messages, as a broken network does:
        // what was sent in them without a reply is sent again in the next.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let break_after = if seed.is_multiple_of(2) {
            30 + seed % 150
        } else {
            u64::MAX
        };
        let _ = session(
            &mut stream,
            messages,
            (allowed, done),
            window,
            break_after,
            (&mut unacked, &mut next),
            figures,
        );
        if done.load(Ordering::Relaxed) && unacked.is_empty() && next >= messages.len() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One session: open, resend what has no reply, send new messages within the window, read
/// replies; returns when the session breaks, is broken off after `break_after` messages, or
/// everything is acknowledged.
fn session(
    stream: &mut TcpStream,
    messages: &[String],
    (allowed, done): (&AtomicU64, &AtomicBool),
    window: usize,
    break_after: u64,
    (unacked, next): (&mut VecDeque<usize>, &mut usize),
    figures: &std::sync::Mutex<SenderFigures>,
) -> std::io::Result<()> {
    let offers = "relp_version=0\nrelp_software=seclake-test,1\ncommands=syslog";
    stream.write_all(format!("1 open {} {offers}\n", offers.len()).as_bytes())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    // Wait for the reply to open.
    loop {
        if let Some((reply, used)) = parse(&buf) {
            buf.drain(..used);
            if reply.txnr == 1 && reply.command == "rsp" && reply.data.starts_with(b"200") {
                break;
            }
            return Err(std::io::Error::other("open refused"));
        }
        read_some(stream, &mut buf, &mut chunk)?;
    }
    if let Ok(mut f) = figures.lock() {
        f.sessions += 1;
    }
    // txnr -> message index, for this session.
    let mut in_flight: VecDeque<(u32, usize)> = VecDeque::new();
    let mut txnr = 1u32;
    // What had no reply is sent again first; it stays in `unacked` until its reply comes.
    let mut queue: VecDeque<usize> = unacked.iter().copied().collect();
    if let Ok(mut f) = figures.lock() {
        f.resent += queue.len() as u64;
    }
    loop {
        // Send within the window: first what had no reply, then new messages.
        while in_flight.len() < window {
            if u64::from(txnr) > break_after {
                // The network stalls: the replies are not read for longer than a flush
                // interval (the receiver commits and replies meanwhile), then the connection
                // breaks; what was sent is sent again in the next session.
                if let Ok(mut f) = figures.lock() {
                    f.broken_off += 1;
                }
                std::thread::sleep(Duration::from_millis(1500));
                return Err(std::io::Error::other("broken off"));
            }
            let index = if let Some(index) = queue.pop_front() {
                index
            } else if (*next as u64) < allowed.load(Ordering::Relaxed).min(messages.len() as u64) {
                *next += 1;
                unacked.push_back(*next - 1);
                *next - 1
            } else {
                break;
            };
            txnr += 1;
            let text = &messages[index];
            in_flight.push_back((txnr, index));
            stream.write_all(format!("{txnr} syslog {} {text}\n", text.len()).as_bytes())?;
        }
        if done.load(Ordering::Relaxed) && in_flight.is_empty() && *next >= messages.len() {
            let _ = stream.write_all(b"999 close 0\n");
            return Ok(());
        }
        read_some(stream, &mut buf, &mut chunk)?;
        while let Some((reply, used)) = parse(&buf) {
            buf.drain(..used);
            if reply.command == "serverclose" {
                return Err(std::io::Error::other("server closed"));
            }
            if reply.command != "rsp" || !reply.data.starts_with(b"200") {
                return Err(std::io::Error::other("refused"));
            }
            if let Some(i) = in_flight.iter().position(|(t, _)| *t == reply.txnr) {
                let (_, index) = in_flight.remove(i).unwrap_or_default();
                if let Some(j) = unacked.iter().position(|u| *u == index) {
                    unacked.remove(j);
                }
                if let Ok(mut f) = figures.lock() {
                    f.acknowledged += 1;
                }
            }
        }
    }
}

/// Reads what is there (a timeout is not an error); the end of the stream is.
fn read_some(stream: &mut TcpStream, buf: &mut Vec<u8>, chunk: &mut [u8]) -> std::io::Result<()> {
    match stream.read(chunk) {
        Ok(0) => Err(std::io::Error::other("closed")),
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(())
        }
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// A sender thread's handle.
pub struct Sender {
    /// Messages the sender may send so far.
    pub allowed: Arc<AtomicU64>,
    /// No more messages will be allowed: end once all are acknowledged.
    pub done: Arc<AtomicBool>,
    /// The figures.
    pub figures: Arc<std::sync::Mutex<SenderFigures>>,
    /// The thread.
    pub thread: std::thread::JoinHandle<()>,
}

impl Sender {
    /// Starts sending `messages` to `addr` with a window of `window` messages.
    /// Sessions are broken off at random points drawn from `seed`.
    pub fn start(addr: SocketAddr, messages: Vec<String>, window: usize, seed: u64) -> Self {
        let allowed = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let figures = Arc::new(std::sync::Mutex::new(SenderFigures::default()));
        let (a, d, f) = (allowed.clone(), done.clone(), figures.clone());
        let thread =
            std::thread::spawn(move || send_all(addr, &messages, &a, &d, window, seed, &f));
        Self {
            allowed,
            done,
            figures,
            thread,
        }
    }

    /// The figures so far.
    pub fn figures(&self) -> SenderFigures {
        self.figures.lock().map(|f| *f).unwrap_or_default()
    }
}

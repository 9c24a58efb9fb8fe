//! The syslog receiver under a flood, on 127.0.0.1: a thousand TCP connections sending at once
//! and a UDP burst while the consumer is not reading. The queue stays bounded (TCP senders are
//! paused, UDP datagrams beyond it are dropped and counted), every TCP line lands in the lake
//! exactly once, and every UDP datagram the receiver accepted (a second, paced burst while the
//! consumer reads) lands too.
//!
//! One test in its own binary, so that the process's peak resident set size is this test's.

mod writer_support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use ocsf_model::v1_1_0::events::Authentication;
use securitylake_core::store::local_store;
use securitylake_source::Writer;
use securitylake_source::input::syslog::{SyslogReceiver, Transport};
use securitylake_source::writer::ManualClock;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};
use tokio::task::JoinSet;
use writer_support::*;

const CONNECTIONS: usize = 1000;
const LINES_PER_CONNECTION: usize = 40;
const DATAGRAMS: usize = 20_000;
/// Datagrams sent, paced, while the consumer reads.
const PACED_DATAGRAMS: usize = 2_000;
/// The receiver's queue: far fewer messages than the flood.
const QUEUE: usize = 1024;
/// The bound on the test process's peak resident set size.
const MAX_PEAK_RSS: u64 = 256 * 1024 * 1024;

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// The `n`-th line of connection `c`.
fn tcp_line(c: usize, n: usize) -> String {
    format!("<38>Feb 29 09:00:01 bastion app[7]: tcp c={c} n={n}")
}

/// `(connection, line)` of a TCP line, or `None` for another message.
fn tcp_id(text: &str) -> Option<(usize, usize)> {
    let rest = text.split(" tcp c=").nth(1)?;
    let (c, n) = rest.split_once(" n=")?;
    Some((c.parse().ok()?, n.parse().ok()?))
}

/// The peak resident set size of this process (`VmHWM`), in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_connections_and_a_udp_burst_stay_bounded_and_land() -> TestResult {
    let mut receiver = SyslogReceiver::builder()
        .tcp(any_port())
        .udp(any_port())
        .queue(QUEUE)
        .max_connections(CONNECTIONS + 24)
        .bind()
        .await?;
    let tcp = receiver.tcp_addr().ok_or("tcp not bound")?;
    let udp = receiver.udp_addr().ok_or("udp not bound")?;

    // Every connection at once, each sending its lines (newline framing) and closing.
    let mut clients = JoinSet::new();
    for c in 0..CONNECTIONS {
        clients.spawn(async move {
            let mut stream = TcpStream::connect(tcp).await?;
            let mut payload = String::new();
            for n in 0..LINES_PER_CONNECTION {
                payload.push_str(&tcp_line(c, n));
                payload.push('\n');
            }
            stream.write_all(payload.as_bytes()).await?;
            stream.shutdown().await?;
            Ok::<(), std::io::Error>(())
        });
    }
    // The UDP burst, sent once the TCP lines have filled the queue and while nobody reads it.
    let filled = async {
        while receiver.stats().messages < QUEUE as u64 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), filled)
        .await
        .map_err(|_| format!("the queue did not fill: {:?}", receiver.stats()))?;
    let sender = UdpSocket::bind(any_port()).await?;
    for i in 0..DATAGRAMS {
        let datagram = format!("<38>Feb 29 09:00:02 bastion app[8]: udp i={i}");
        sender.send_to(datagram.as_bytes(), udp).await?;
    }

    // A second, paced burst once every TCP line is read: these datagrams find room in the queue.
    let (tcp_done, tcp_done_rx) = tokio::sync::oneshot::channel::<()>();
    let mut tcp_done = Some(tcp_done);
    let paced = tokio::spawn(async move {
        // The consumer drops the sender once the TCP lines are in (or on failure).
        let _ = tcp_done_rx.await;
        for i in DATAGRAMS..DATAGRAMS + PACED_DATAGRAMS {
            let datagram = format!("<38>Feb 29 09:00:03 bastion app[8]: udp i={i}");
            sender.send_to(datagram.as_bytes(), udp).await?;
            if i % 100 == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        Ok::<(), std::io::Error>(())
    });

    // The consumer: writes each message into the lake, as an event whose message is the text.
    let dir = tempfile::tempdir()?;
    let store = local_store(dir.path().join("lake"))?;
    let clock = ManualClock::new(LEAP_DAY + DAY);
    let config = writer_builder(store.clone(), &dir.path().join("spool"), &clock)
        .columnar_options(small_columns())
        .build()?;
    let mut writer = Writer::<Authentication>::open(config).await?;
    let mut seq = 0u64;
    let mut tcp_received = 0usize;
    let mut udp_received = 0u64;
    let mut batch = Vec::with_capacity(512);
    let expected_tcp = CONNECTIONS * LINES_PER_CONNECTION;
    loop {
        // After every TCP line arrived, a quiet second ends the run (the UDP datagrams still
        // in the socket are read by then).
        let wait = if tcp_received == expected_tcp && paced.is_finished() {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(60)
        };
        let message = match tokio::time::timeout(wait, receiver.recv()).await {
            Ok(Some(message)) => message,
            Ok(None) => return Err("the receiver closed".into()),
            Err(_) if tcp_received == expected_tcp && paced.is_finished() => break,
            Err(_) => {
                let mut failed = Vec::new();
                while let Some(client) = clients.try_join_next() {
                    if let Err(e) = client
                        .map_err(|e| e.to_string())
                        .and_then(|r| r.map_err(|e| e.to_string()))
                    {
                        failed.push(e);
                    }
                }
                return Err(format!(
                    "only {tcp_received} of {expected_tcp} TCP lines arrived: {:?}; {} clients still running; failed clients: {failed:?}",
                    receiver.stats(),
                    clients.len()
                )
                .into());
            }
        };
        match message.transport {
            Transport::Tcp => {
                tcp_received += 1;
                if tcp_received == expected_tcp {
                    tcp_done.take();
                }
            }
            Transport::Udp => udp_received += 1,
            other => return Err(format!("unexpected transport {other:?}").into()),
        }
        // The message text goes after the sequence number (`seq-<n> <text>`).
        let mut event = event(LEAP_DAY + 9 * 3_600_000, seq, 0);
        event.message = Some(format!("seq-{seq} {}", message.text));
        seq += 1;
        batch.push(event);
        if batch.len() == batch.capacity() {
            writer.write_batch(&batch).await?;
            batch.clear();
        }
    }
    writer.write_batch(&batch).await?;
    let manifest = writer.close().await?;
    paced.await??;
    while let Some(client) = clients.join_next().await {
        client??;
    }

    let stats = receiver.stats();
    let peak = peak_rss();
    eprintln!(
        "flood: {CONNECTIONS} connections x {LINES_PER_CONNECTION} lines, {DATAGRAMS} datagrams sent; \
         {stats:?}; {} rows in {} object(s); peak RSS {:?} MiB",
        manifest.rows(),
        manifest.len(),
        peak.map(|b| b / (1024 * 1024))
    );

    // The queue bounded the burst: datagrams beyond it were dropped and counted, and every
    // datagram the receiver took from the socket was either queued (and landed) or counted.
    assert!(stats.udp_dropped > 0, "{stats:?}");
    assert!(
        udp_received > 0,
        "no paced datagram was accepted: {stats:?}"
    );
    assert_eq!(stats.udp_received - stats.udp_dropped, udp_received);
    assert_eq!(stats.connections, CONNECTIONS as u64);
    assert_eq!(stats.connection_errors, 0);
    assert_eq!(stats.messages, tcp_received as u64 + udp_received);

    // Everything received is in the lake: every TCP line exactly once, every accepted datagram.
    let lake = read_lake(&*store).await?;
    let mut lines: BTreeMap<(usize, usize), u32> = BTreeMap::new();
    let mut udp_rows = 0u64;
    let mut rows = 0u64;
    for (key, (_, events)) in &lake {
        for event in events {
            rows += 1;
            let text = event
                .message
                .as_deref()
                .ok_or_else(|| format!("{key}: a row without a message"))?;
            match tcp_id(text) {
                Some(id) => *lines.entry(id).or_default() += 1,
                None if text.contains(" udp i=") => udp_rows += 1,
                None => return Err(format!("{key}: an unexpected row {text:?}").into()),
            }
        }
    }
    assert_eq!(rows, manifest.rows());
    assert_eq!(udp_rows, udp_received);
    assert_eq!(lines.len(), expected_tcp, "distinct TCP lines in the lake");
    assert!(lines.values().all(|&n| n == 1), "a TCP line landed twice");
    for c in 0..CONNECTIONS {
        for n in 0..LINES_PER_CONNECTION {
            assert!(
                lines.contains_key(&(c, n)),
                "line {n} of connection {c} is missing"
            );
        }
    }

    let peak = peak.ok_or("no VmHWM in /proc/self/status")?;
    assert!(
        peak <= MAX_PEAK_RSS,
        "peak RSS {} MiB is above {} MiB",
        peak / (1024 * 1024),
        MAX_PEAK_RSS / (1024 * 1024)
    );
    Ok(())
}

//! The RELP receiver against real sockets on 127.0.0.1: the open handshake, frames split
//! across writes, acknowledgements only when asked, the close handshake, malformed frames,
//! commands out of order, long messages and TLS.

use std::net::SocketAddr;
use std::time::Duration;

use securitylake_source::input::relp::{RelpMessage, RelpReceiver};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// `open` as librelp's client sends it (the offers one per line).
const OFFERS: &str = "relp_version=0\nrelp_software=test,1\ncommands=syslog";

fn open_frame() -> Vec<u8> {
    format!("1 open {} {OFFERS}\n", OFFERS.len()).into_bytes()
}

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// The next message, failing after a generous bound (it was sent already).
async fn recv(receiver: &mut RelpReceiver) -> RelpMessage {
    match tokio::time::timeout(Duration::from_secs(30), receiver.recv()).await {
        Ok(Some(message)) => message,
        Ok(None) => panic!("the receiver closed"),
        Err(_) => panic!("no message arrived"),
    }
}

/// Reads until `wanted` was read or the stream ended; what was read.
async fn read_until<S: AsyncRead + Unpin>(stream: &mut S, wanted: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&got).contains(wanted) {
        match tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "nothing more came; so far: {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// Writes `bytes` a few bytes at a time (frames split across reads).
async fn dribble<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> TestResult {
    for chunk in bytes.chunks(3) {
        stream.write_all(chunk).await?;
        stream.flush().await?;
        tokio::task::yield_now().await;
    }
    Ok(())
}

#[tokio::test]
async fn open_messages_acknowledged_when_durable_and_close() -> TestResult {
    let mut receiver = RelpReceiver::builder().tcp(any_port()).bind().await?;
    let mut client = TcpStream::connect(receiver.tcp_addr().ok_or("bound")?).await?;
    dribble(&mut client, &open_frame()).await?;
    let open = read_until(&mut client, "commands=syslog").await;
    assert!(open.starts_with("1 rsp "), "{open}");
    assert!(open.contains("200 OK\nrelp_version=0\n"), "{open}");
    let message = "<13>Jun 10 09:00:01 host app: two\nlines";
    let frames = format!(
        "2 syslog {} {message}\n3 syslog 5 third\n4 close 0\n",
        message.len()
    );
    dribble(&mut client, frames.as_bytes()).await?;
    let first = recv(&mut receiver).await;
    let second = recv(&mut receiver).await;
    assert_eq!(first.text, message);
    assert_eq!(second.text, "third");
    assert_eq!((first.ack.txnr(), second.ack.txnr()), (2, 3));
    // Nothing is acknowledged before the caller says so: the close waits too. Acknowledged
    // out of order, then the close is answered and the server closes.
    second.ack.acknowledge();
    first.ack.acknowledge();
    let rest = read_until(&mut client, "0 serverclose 0\n").await;
    assert!(rest.contains("3 rsp 6 200 OK\n"), "{rest}");
    assert!(rest.contains("2 rsp 6 200 OK\n"), "{rest}");
    assert!(
        rest.ends_with("4 rsp 6 200 OK\n0 serverclose 0\n"),
        "{rest}"
    );
    let stats = receiver.stats();
    assert_eq!(
        (stats.sessions, stats.messages, stats.acknowledged),
        (1, 2, 2)
    );
    Ok(())
}

#[tokio::test]
async fn malformed_frames_close_their_session_only() -> TestResult {
    let mut receiver = RelpReceiver::builder().tcp(any_port()).bind().await?;
    let addr = receiver.tcp_addr().ok_or("bound")?;
    let bad: [&[u8]; 4] = [
        b"x open 0\n",
        b"1 open 0\n2 syslog 3 abcd\n",
        b"1 open 0\n2 syslog 99999999999 a\n",
        b"1 open 0\n2 sys!log 1 a\n",
    ];
    for bytes in bad {
        let mut client = TcpStream::connect(addr).await?;
        client.write_all(bytes).await?;
        // The session ends (the server closes the connection).
        read_until(&mut client, "never").await;
    }
    // Commands before open and unknown commands are answered 500.
    let mut client = TcpStream::connect(addr).await?;
    client.write_all(b"1 syslog 1 a\n").await?;
    let refused = read_until(&mut client, "never").await;
    assert!(
        refused.starts_with("1 rsp ") && refused.contains(" 500 "),
        "{refused}"
    );
    let mut client = TcpStream::connect(addr).await?;
    client.write_all(&open_frame()).await?;
    client.write_all(b"2 starttls 0\n3 syslog 2 ok\n").await?;
    let reply = read_until(&mut client, "2 rsp").await;
    assert!(reply.contains("500 unknown command starttls"), "{reply}");
    // The receiver still works.
    assert_eq!(recv(&mut receiver).await.text, "ok");
    let stats = receiver.stats();
    assert_eq!(stats.malformed_frames, 4, "{stats:?}");
    assert_eq!(stats.refused_commands, 2, "{stats:?}");
    Ok(())
}

#[tokio::test]
async fn long_messages_are_cut_to_the_limit_and_counted() -> TestResult {
    let mut receiver = RelpReceiver::builder()
        .tcp(any_port())
        .max_message_bytes(480)
        .bind()
        .await?;
    let mut client = TcpStream::connect(receiver.tcp_addr().ok_or("bound")?).await?;
    let long = "x".repeat(5000);
    client
        .write_all(
            format!(
                "1 open 0\n2 syslog {} {long}\n3 syslog 4 next\n",
                long.len()
            )
            .as_bytes(),
        )
        .await?;
    let first = recv(&mut receiver).await;
    assert!(first.truncated);
    assert_eq!(first.text.len(), 480);
    assert_eq!(recv(&mut receiver).await.text, "next");
    assert_eq!(receiver.stats().truncated, 1);
    assert!(
        RelpReceiver::builder()
            .tcp(any_port())
            .max_message_bytes(10)
            .bind()
            .await
            .is_err()
    );
    assert!(RelpReceiver::builder().bind().await.is_err());
    Ok(())
}

#[tokio::test]
async fn tls_sessions_work_like_tcp() -> TestResult {
    let dir = tempfile::tempdir()?;
    let key = rcgen::KeyPair::generate()?;
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?.self_signed(&key)?;
    std::fs::write(dir.path().join("cert.pem"), cert.pem())?;
    std::fs::write(dir.path().join("key.pem"), key.serialize_pem())?;
    let mut receiver = RelpReceiver::builder()
        .tls(
            any_port(),
            dir.path().join("cert.pem"),
            dir.path().join("key.pem"),
        )
        .bind()
        .await?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone())?;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = TcpStream::connect(receiver.tls_addr().ok_or("bound")?).await?;
    let mut tls = connector
        .connect(rustls::pki_types::ServerName::try_from("localhost")?, tcp)
        .await?;
    tls.write_all(&open_frame()).await?;
    tls.write_all(b"2 syslog 5 hello\n").await?;
    tls.flush().await?;
    let message = recv(&mut receiver).await;
    assert_eq!(message.text, "hello");
    message.ack.acknowledge();
    let replies = read_until(&mut tls, "2 rsp 6 200 OK\n").await;
    assert!(replies.starts_with("1 rsp "), "{replies}");
    Ok(())
}

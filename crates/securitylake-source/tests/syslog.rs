//! The syslog receiver against real sockets on 127.0.0.1: UDP, TCP with both RFC 6587
//! framings, TLS (RFC 5425), truncation, a broken stream, a UDP flood and TCP backpressure.

use std::net::SocketAddr;
use std::time::Duration;

use securitylake_source::input::syslog::{SyslogMessage, SyslogReceiver, Transport};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Receives `n` messages, failing after a generous bound (the messages are already sent).
async fn recv_n(receiver: &mut SyslogReceiver, n: usize) -> Vec<SyslogMessage> {
    let mut out = Vec::new();
    while out.len() < n {
        match tokio::time::timeout(Duration::from_secs(30), receiver.recv()).await {
            Ok(Some(message)) => out.push(message),
            Ok(None) => panic!("the receiver closed after {} of {n} messages", out.len()),
            Err(_) => panic!("only {} of {n} messages arrived", out.len()),
        }
    }
    out
}

fn texts(messages: &[SyslogMessage]) -> Vec<&str> {
    messages.iter().map(|m| m.text.as_str()).collect()
}

#[tokio::test]
async fn udp_datagrams_keep_their_sender() -> TestResult {
    let mut receiver = SyslogReceiver::builder().udp(any_port()).bind().await?;
    let addr = receiver.udp_addr().expect("udp bound");
    let sender = UdpSocket::bind(any_port()).await?;
    let lines = [
        "<34>1 2024-06-10T09:00:01.003Z bastion sshd 811 - - Failed password for root",
        "<38>Jun 10 09:00:02 bastion sshd[812]: Accepted publickey for alice\n",
        "<13>caf\u{e9} ok",
    ];
    for line in lines {
        sender.send_to(line.as_bytes(), addr).await?;
    }
    let got = recv_n(&mut receiver, 3).await;
    assert_eq!(
        texts(&got),
        [lines[0], lines[1].trim_end_matches('\n'), lines[2]]
    );
    assert!(
        got.iter()
            .all(|m| m.peer == sender.local_addr().expect("addr"))
    );
    assert!(
        got.iter()
            .all(|m| m.transport == Transport::Udp && !m.truncated)
    );
    let stats = receiver.stats();
    assert_eq!(
        (stats.udp_received, stats.messages, stats.udp_dropped),
        (3, 3, 0)
    );
    Ok(())
}

#[tokio::test]
async fn tcp_frames_by_octet_count_and_by_line_feed() -> TestResult {
    let mut receiver = SyslogReceiver::builder().tcp(any_port()).bind().await?;
    let addr = receiver.tcp_addr().expect("tcp bound");
    let mut client = TcpStream::connect(addr).await?;
    let multi_line = "<13>1 2024-06-10T09:00:03Z host app - - - first\nsecond";
    let frame = format!("{} {multi_line}", multi_line.len());
    client.write_all(frame.as_bytes()).await?;
    client
        .write_all(b"<13>Jun 10 09:00:04 host app: by line\r\n<13>Jun 10 09:00:05 host app: last")
        .await?;
    client.shutdown().await?;
    let got = recv_n(&mut receiver, 3).await;
    assert_eq!(
        texts(&got),
        [
            multi_line,
            "<13>Jun 10 09:00:04 host app: by line",
            "<13>Jun 10 09:00:05 host app: last"
        ]
    );
    assert!(got.iter().all(|m| m.transport == Transport::Tcp));
    assert_eq!(got[0].peer, client.local_addr()?);
    Ok(())
}

#[tokio::test]
async fn long_messages_are_cut_and_counted_and_bad_utf8_is_replaced() -> TestResult {
    let mut receiver = SyslogReceiver::builder()
        .tcp(any_port())
        .udp(any_port())
        .max_message_bytes(480)
        .bind()
        .await?;
    let long = "x".repeat(1000);
    let mut client = TcpStream::connect(receiver.tcp_addr().expect("tcp")).await?;
    client
        .write_all(format!("{} {long}<13>{long}\n", long.len()).as_bytes())
        .await?;
    client.write_all(b"<13>bad \xff byte\n").await?;
    client.shutdown().await?;
    let got = recv_n(&mut receiver, 3).await;
    assert_eq!(got[0].text.len(), 480);
    assert!(got[0].truncated && got[1].truncated && !got[2].truncated);
    assert_eq!(got[1].text, format!("<13>{}", &long[..476]));
    assert_eq!(got[2].text, "<13>bad \u{fffd} byte");
    let sender = UdpSocket::bind(any_port()).await?;
    sender
        .send_to(long.as_bytes(), receiver.udp_addr().expect("udp"))
        .await?;
    let udp = recv_n(&mut receiver, 1).await;
    assert!(udp[0].truncated && udp[0].text.len() == 480);
    let stats = receiver.stats();
    assert_eq!((stats.truncated, stats.invalid_utf8), (3, 1));
    Ok(())
}

#[tokio::test]
async fn a_broken_stream_closes_its_connection_only() -> TestResult {
    let mut receiver = SyslogReceiver::builder().tcp(any_port()).bind().await?;
    let addr = receiver.tcp_addr().expect("tcp");
    let mut broken = TcpStream::connect(addr).await?;
    // Promises 100 bytes, sends 5 and closes.
    broken.write_all(b"5 <13>a100 short").await?;
    broken.shutdown().await?;
    let first = recv_n(&mut receiver, 1).await;
    assert_eq!(first[0].text, "<13>a");
    let mut good = TcpStream::connect(addr).await?;
    good.write_all(b"<13>still here\n").await?;
    good.shutdown().await?;
    let second = recv_n(&mut receiver, 1).await;
    assert_eq!(second[0].text, "<13>still here");
    // The broken connection is counted once it has been read to its end.
    for _ in 0..300 {
        if receiver.stats().connection_errors == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(receiver.stats().connection_errors, 1);
    assert_eq!(receiver.stats().connections, 2);
    Ok(())
}

#[tokio::test]
async fn a_udp_flood_is_dropped_and_counted_beyond_the_queue() -> TestResult {
    let mut receiver = SyslogReceiver::builder()
        .udp(any_port())
        .queue(8)
        .bind()
        .await?;
    let addr = receiver.udp_addr().expect("udp");
    let sender = UdpSocket::bind(any_port()).await?;
    for i in 0..200 {
        sender
            .send_to(format!("<13>flood {i}").as_bytes(), addr)
            .await?;
        if i % 20 == 19 {
            // Let the receiver read the socket (its buffer could overflow in the kernel
            // otherwise, and those losses are not ours to count).
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    // Wait until the receiver has read every datagram the kernel kept.
    let mut stable = 0;
    let mut last = 0;
    while stable < 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let read = receiver.stats().udp_received;
        stable = if read == last { stable + 1 } else { 0 };
        last = read;
    }
    let stats = receiver.stats();
    assert_eq!(stats.messages, 8, "{stats:?}");
    assert_eq!(stats.udp_dropped, stats.udp_received - 8, "{stats:?}");
    assert!(stats.udp_received > 8, "{stats:?}");
    let kept = recv_n(&mut receiver, 8).await;
    assert_eq!(kept[0].text, "<13>flood 0");
    assert!(receiver.try_recv().is_none());
    Ok(())
}

#[tokio::test]
async fn tcp_senders_wait_while_the_queue_is_full_and_nothing_is_lost() -> TestResult {
    let mut receiver = SyslogReceiver::builder()
        .tcp(any_port())
        .queue(4)
        .bind()
        .await?;
    let addr = receiver.tcp_addr().expect("tcp");
    const LINES: usize = 200_000;
    let sender = tokio::spawn(async move {
        let mut client = TcpStream::connect(addr).await?;
        let mut batch = String::new();
        for i in 0..LINES {
            batch.push_str(&format!(
                "<13>Jun 10 09:00:00 host app: line {i:07} {}\n",
                "p".repeat(64)
            ));
            if batch.len() > 64 * 1024 {
                client.write_all(batch.as_bytes()).await?;
                batch.clear();
            }
        }
        client.write_all(batch.as_bytes()).await?;
        client.shutdown().await?;
        Ok::<_, std::io::Error>(())
    });
    // Nothing is read yet: about 18 MB cannot fit in the queue and the socket buffers, so the
    // sender is still writing, held back by TCP.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!sender.is_finished(), "the sender was not held back");
    assert_eq!(receiver.stats().messages, 4);
    // Reading lets it finish, with every line in order.
    for i in 0..LINES {
        let message = recv_n(&mut receiver, 1).await;
        let expected = format!("<13>Jun 10 09:00:00 host app: line {i:07} ");
        assert!(
            message[0].text.starts_with(&expected),
            "line {i}: {}",
            message[0].text
        );
    }
    sender.await??;
    assert_eq!(receiver.stats().messages, LINES as u64);
    Ok(())
}

#[cfg(feature = "syslog-tls")]
#[tokio::test]
async fn tls_with_a_certificate_and_octet_counted_frames() -> TestResult {
    use rustls::pki_types::pem::PemObject;
    let dir = tempfile::tempdir()?;
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])?;
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let key_pair = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key_pair)?;
    std::fs::write(&cert_path, cert.pem())?;
    std::fs::write(&key_path, key_pair.serialize_pem())?;

    let mut receiver = SyslogReceiver::builder()
        .tls(any_port(), &cert_path, &key_path)
        .bind()
        .await?;
    let addr = receiver.tls_addr().expect("tls");

    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from_pem_file(
        &cert_path,
    )?)?;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let mut tls = connector.connect(name, tcp).await?;
    let local = tls.get_ref().0.local_addr()?;
    for message in [
        "<165>1 2024-06-10T09:00:06Z host app - - - over tls",
        "<13>two\nlines",
    ] {
        tls.write_all(format!("{} {message}", message.len()).as_bytes())
            .await?;
    }
    tls.shutdown().await?;
    let got = recv_n(&mut receiver, 2).await;
    assert_eq!(
        texts(&got),
        [
            "<165>1 2024-06-10T09:00:06Z host app - - - over tls",
            "<13>two\nlines"
        ]
    );
    assert!(
        got.iter()
            .all(|m| m.transport == Transport::Tls && m.peer == local)
    );

    // A client that does not trust the certificate is refused and counted.
    let mut plain = TcpStream::connect(addr).await?;
    plain.write_all(b"<13>not tls\n").await?;
    plain.shutdown().await?;
    for _ in 0..300 {
        if receiver.stats().connection_errors == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(receiver.stats().connection_errors, 1);
    assert!(receiver.try_recv().is_none());
    Ok(())
}

#[tokio::test]
async fn bad_settings_are_config_errors() {
    use securitylake_source::ErrorKind;
    let none = SyslogReceiver::builder()
        .bind()
        .await
        .expect_err("no listener");
    assert_eq!(none.kind(), ErrorKind::Config);
    let small = SyslogReceiver::builder()
        .udp(any_port())
        .max_message_bytes(100)
        .bind()
        .await
        .expect_err("too small");
    assert_eq!(small.kind(), ErrorKind::Config);
    #[cfg(feature = "syslog-tls")]
    let missing = SyslogReceiver::builder()
        .tls(any_port(), "/nonexistent/cert.pem", "/nonexistent/key.pem")
        .bind()
        .await
        .expect_err("no files");
    #[cfg(feature = "syslog-tls")]
    assert_eq!(missing.kind(), ErrorKind::Config);
}

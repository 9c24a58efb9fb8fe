//! The streaming adapters: sync and async line readers, journald export
//! streams, bounded lines, invalid UTF-8 and I/O errors.

mod common;

use std::io::{self, BufRead, BufReader, Read};

use common::check;
use ocsf_mappers::{
    DeepSecurityMapper, ErrorKind, FallbackReason, LinuxMapper, SourceConfig, stream,
};
use ocsf_model::v1_1_0::Event;

const REF_MS: i64 = 1_718_000_000_000;

fn linux() -> LinuxMapper {
    LinuxMapper::new(SourceConfig::linux().with_reference_ms(REF_MS))
}

const LINES: &str = "\
Jun  9 10:00:00 web1 sshd[1]: Accepted password for root from 192.0.2.1 port 22 ssh2\r
Jun  9 10:00:01 web1 sudo:    alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls

type=SYSCALL msg=audit(1717927500.100:501): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=2 uid=0 comm=\"ls\" exe=\"/bin/ls\"
type=EXECVE msg=audit(1717927500.100:501): argc=1 a0=\"ls\"
Jun  9 10:00:02 web1 myapp[3]: no mapper for this";

#[test]
fn sync_stream_maps_every_line_and_flushes_at_the_end() {
    let mut events = stream::events(linux(), LINES.as_bytes());
    let out: Vec<Event> = events
        .by_ref()
        .collect::<Result<_, _>>()
        .expect("no I/O error");
    let classes: Vec<i32> = out.iter().map(Event::class_uid).collect();
    // The sudo record waits for a possible continuation, the audit event for
    // its end: both arrive before the unrecognized line's fallback, and the
    // audit event (no EOE) at the end of the input.
    assert_eq!(classes, [3002, 1007, 0, 1007], "{out:?}");
    for e in &out {
        check(e);
    }
    let stats = events.mapper().stats();
    assert_eq!(stats.accepted, 6);
    assert_eq!(stats.blank, 1);
    assert_eq!(stats.events(), 4);
    assert_eq!(events.into_mapper().stats().mapped.get(&1007), Some(&2));
}

#[test]
fn long_lines_are_cut_and_invalid_utf8_replaced() {
    let mut data = b"Jun  9 10:00:00 web1 sshd[1]: Accepted password for r\xffot from 192.0.2.1 port 22 ssh2\n".to_vec();
    data.extend(std::iter::repeat_n(b'x', 5000));
    data.extend(
        b"\nJun  9 10:00:01 web1 sshd[1]: Accepted password for root from 192.0.2.1 port 22 ssh2",
    );
    let m = LinuxMapper::new(
        SourceConfig::linux()
            .with_reference_ms(REF_MS)
            .with_max_line_len(200),
    );
    let mut events = stream::events(m, &data[..]);
    let out: Vec<Event> = events
        .by_ref()
        .collect::<Result<_, _>>()
        .expect("no I/O error");
    assert_eq!(out.len(), 3);
    let first = check(&out[0]);
    assert_eq!(first["user"]["name"], "r\u{fffd}ot");
    let long = check(&out[1]);
    assert_eq!(long["unmapped"]["fallback"]["reason"], "line_too_long");
    assert_eq!(long["raw_data"].as_str().map(str::len), Some(200));
    assert_eq!(out[2].class_uid(), 3002);
    assert_eq!(
        events
            .mapper()
            .stats()
            .fallback
            .get(&FallbackReason::LineTooLong),
        Some(&1)
    );
}

/// A reader that fails after its data.
struct Failing<'a>(&'a [u8]);

impl Read for Failing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "gone"));
        }
        let n = self.0.len().min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn io_errors_are_returned_then_the_buffered_events_flushed() {
    let data =
        b"Jun  9 10:00:01 web1 sudo:    alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls\n";
    let reader = BufReader::new(Failing(data));
    let items: Vec<_> = stream::events(linux(), reader).collect();
    assert_eq!(items.len(), 2);
    let err = items[0].as_ref().expect_err("the I/O error comes first");
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(!err.is_retryable());
    assert_eq!(items[1].as_ref().map(Event::class_uid).ok(), Some(1007));
}

#[test]
fn journald_export_stream() {
    let mut export = Vec::new();
    export.extend_from_slice(
        b"__REALTIME_TIMESTAMP=1717927600000000\n_HOSTNAME=web2\nSYSLOG_IDENTIFIER=sshd\n_PID=777\n",
    );
    // MESSAGE in the binary form journald uses for text with control characters.
    let msg = b"Failed password for root from 192.0.2.9 port 4000 ssh2\x07";
    export.extend_from_slice(b"MESSAGE\n");
    export.extend_from_slice(&(msg.len() as u64).to_le_bytes());
    export.extend_from_slice(msg);
    export.extend_from_slice(b"\n\n");
    export.extend_from_slice(b"__REALTIME_TIMESTAMP=1717927601000000\nSYSLOG_IDENTIFIER=systemd-logind\nMESSAGE=New session 4 of user bob.\n\n");
    export.extend_from_slice(b"NOT A FIELD LINE\n\n");
    let out: Vec<Event> = linux()
        .journal_export(&export[..])
        .collect::<Result<_, _>>()
        .expect("no I/O error");
    assert_eq!(out.len(), 3, "{out:?}");
    let a = check(&out[0]);
    assert_eq!(
        (a["class_uid"].as_i64(), a["status_id"].as_i64()),
        (Some(3002), Some(2))
    );
    assert_eq!(a["device"]["hostname"], "web2");
    assert_eq!(a["time"], 1_717_927_600_000_i64);
    let b = check(&out[1]);
    assert_eq!(b["session"]["uid"], "4");
    let c = check(&out[2]);
    assert_eq!(c["unmapped"]["fallback"]["reason"], "journal_entry");
}

#[test]
fn journald_json_stream() {
    let data = concat!(
        r#"{"__REALTIME_TIMESTAMP":"1717927600000000","SYSLOG_IDENTIFIER":"su","MESSAGE":"(to root) alice on pts/0"}"#,
        "\n",
        r#"{"__REALTIME_TIMESTAMP":"1717927600000000","SYSLOG_IDENTIFIER":"su","MESSAGE":[70,65,73,76,69,68,32,83,85,32,40,116,111,32,114,111,111,116,41,32,98,111,98,32,111,110,32,112,116,115,47,49]}"#,
        "\n",
    );
    let out: Vec<Event> = linux()
        .journal_json(data.as_bytes())
        .collect::<Result<_, _>>()
        .expect("no I/O error");
    let status: Vec<i64> = out
        .iter()
        .map(|e| check(e)["status_id"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(status, [1, 2]);
}

#[test]
fn deep_security_through_the_sync_stream() {
    let data = "CEF:0|Trend Micro|Deep Security Agent|20|5000000|WebReputation|5|dvchost=h request=http://x.example/ msg=Blocked By Admin\n\nnot cef\n";
    let m = DeepSecurityMapper::new(SourceConfig::deep_security().with_reference_ms(REF_MS));
    let mut events = stream::events(m, BufReader::with_capacity(7, data.as_bytes()));
    let out: Vec<Event> = events
        .by_ref()
        .collect::<Result<_, _>>()
        .expect("no I/O error");
    assert_eq!(
        out.iter().map(Event::class_uid).collect::<Vec<_>>(),
        [4001, 0]
    );
    assert_eq!(events.mapper().stats().blank, 1);
}

#[test]
fn tiny_buffers_do_not_change_the_result() {
    let whole: Vec<Event> = stream::events(linux(), LINES.as_bytes())
        .collect::<Result<_, _>>()
        .expect("no I/O error");
    let reader: Box<dyn BufRead> = Box::new(BufReader::with_capacity(1, LINES.as_bytes()));
    let tiny: Vec<Event> = stream::events(linux(), reader)
        .collect::<Result<_, _>>()
        .expect("no I/O error");
    assert_eq!(whole, tiny);
}

#[cfg(feature = "async")]
mod asynchronous {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(f)
    }

    #[test]
    fn async_stream_matches_the_sync_one() {
        let sync: Vec<Event> = stream::events(linux(), LINES.as_bytes())
            .collect::<Result<_, _>>()
            .expect("no I/O error");
        let got = block_on(async {
            let reader = tokio::io::BufReader::with_capacity(3, LINES.as_bytes());
            let mut events = stream::events_async(linux(), reader);
            let mut out = Vec::new();
            while let Some(e) = events.next_event().await {
                out.push(e.expect("no I/O error"));
            }
            (out, events.mapper().stats().accepted)
        });
        assert_eq!(got.0, sync);
        assert_eq!(got.1, 6);
    }

    #[test]
    fn async_journald_export() {
        let mut export = Vec::new();
        export
            .extend_from_slice(b"__REALTIME_TIMESTAMP=1717927600000000\nSYSLOG_IDENTIFIER=sshd\n");
        let msg = b"Invalid user x\nfrom 192.0.2.1";
        export.extend_from_slice(b"MESSAGE\n");
        export.extend_from_slice(&(msg.len() as u64).to_le_bytes());
        export.extend_from_slice(msg);
        export
            .extend_from_slice(b"\n\n\nSYSLOG_IDENTIFIER=su\nMESSAGE=FAILED su for root by bob\n");
        let out = block_on(async {
            let mut events = linux().journal_export_async(&export[..]);
            let mut out = Vec::new();
            while let Some(e) = events.next_event().await {
                out.push(e.expect("no I/O error"));
            }
            out
        });
        assert_eq!(out.len(), 2, "{out:?}");
        let a = check(&out[0]);
        assert_eq!(a["class_uid"], 3002);
        assert_eq!(a["time"], 1_717_927_600_000_i64);
        let b = check(&out[1]);
        assert_eq!(b["user"]["name"], "root");
    }
}

/// The lines of [`LINES`], a line cut for its length and a line of invalid UTF-8, and many
/// sshd lines of varied shapes, so that lent events are rendered into over and over.
fn mixed_input() -> Vec<u8> {
    let mut data = LINES.as_bytes().to_vec();
    data.push(b'\n');
    data.extend(std::iter::repeat_n(b'x', 5000));
    data.extend(
        b"\nJun  9 10:00:03 web1 sshd[9]: Failed password for r\xffot from 192.0.2.7 port 1 ssh2\n",
    );
    for i in 0..300 {
        let line = match i % 5 {
            0 => format!(
                "Jun  9 10:01:{:02} web{i} sshd[{i}]: Accepted publickey for u{i} from 192.0.2.{} port {i} ssh2: ED25519 SHA256:abc{i}\n",
                i % 60,
                i % 250
            ),
            1 => format!(
                "Jun  9 10:01:{:02} web1 sshd[{i}]: Failed password for invalid user x{i} from 198.51.100.{} port 22 ssh2\n",
                i % 60,
                i % 250
            ),
            2 => format!(
                "Jun  9 10:01:{:02} web1 sudo:    alice : TTY=pts/{i} ; PWD=/ ; USER=root ; COMMAND=/bin/ls {i}\n",
                i % 60
            ),
            3 => format!(
                "Jun  9 10:01:{:02} web1 sshd[{i}]: pam_unix(sshd:session): session opened for user u{i}(uid={i}) by (uid=0)\n",
                i % 60
            ),
            _ => format!(
                "Jun  9 10:01:{:02} web1 app{i}[{i}]: something else {i}\n",
                i % 60
            ),
        };
        data.extend(line.as_bytes());
    }
    data
}

#[test]
fn lent_events_equal_the_iterators_events() {
    let config = || {
        SourceConfig::linux()
            .with_reference_ms(REF_MS)
            .with_max_line_len(200)
    };
    let data = mixed_input();
    let owned: Vec<serde_json::Value> = stream::events(LinuxMapper::new(config()), &data[..])
        .map(|e| serde_json::to_value(e.expect("no I/O error")).expect("serializes"))
        .collect();
    let mut lent = Vec::new();
    let mut events = stream::events(LinuxMapper::new(config()), &data[..]);
    let mut slices = 0;
    while let Some(line) = events.next_events() {
        slices += 1;
        for e in line.expect("no I/O error") {
            lent.push(serde_json::to_value(e).expect("serializes"));
        }
    }
    assert!(owned.len() > 300, "{}", owned.len());
    assert_eq!(lent, owned);
    // One slice per line (blank ones included) and the mapper's last one.
    let lines = data.split(|&b| b == b'\n').count() - usize::from(data.ends_with(b"\n"));
    assert_eq!(slices, lines + 1);
    assert!(events.next_events().is_none());
    let stats = events.mapper().stats();
    assert_eq!(stats.events() as usize, owned.len());
}

#[test]
fn lent_journal_events_equal_the_iterators_events() {
    let mut export = Vec::new();
    for i in 0..50 {
        export.extend(format!("__REALTIME_TIMESTAMP=17179276{i:02}000000\n_HOSTNAME=web{i}\nSYSLOG_IDENTIFIER=sshd\n_PID={i}\nMESSAGE=Failed password for u{i} from 192.0.2.{i} port 4000 ssh2\n\n").as_bytes());
        export.extend(b"NOT A FIELD LINE\n\n");
    }
    let owned: Vec<serde_json::Value> = linux()
        .journal_export(&export[..])
        .map(|e| serde_json::to_value(e.expect("no I/O error")).expect("serializes"))
        .collect();
    let mut lent = Vec::new();
    let mut entries = linux().journal_export(&export[..]);
    while let Some(entry) = entries.next_events() {
        for e in entry.expect("no I/O error") {
            lent.push(serde_json::to_value(e).expect("serializes"));
        }
    }
    assert!(owned.len() > 50, "{}", owned.len());
    assert_eq!(lent, owned);
}

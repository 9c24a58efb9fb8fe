//! [`MapThread`] maps chunks of lines on its own thread: its events, chunk after chunk with
//! recycled chunks, must equal the events of mapping the same lines in order on one thread,
//! whatever the chunk size and queue depth; and what the mapper still holds at the end (a
//! pending sudo record) comes out of `finish`. Checked over the Linux sample corpora
//! (`../shared/samples/`, read in place) and over built-in lines, so that the test checks
//! something without the samples too.
#![cfg(feature = "async")]

mod common;

use common::{day_ms, sample};
use ocsf_mappers::SourceConfig;
use ocsf_mappers::lines::{LineFormat, LineMapping, Mapped};
use ocsf_mappers::map_thread::MapThread;

/// Built-in lines of several programs and classes, with a multi-line sudo record at the end
/// (held by the mapper until `finish`).
const BUILT_IN: &[&str] = &[
    "Jan  5 10:00:00 bastion sshd[100]: Accepted publickey for alice from 192.0.2.10 port 50022 ssh2: RSA SHA256:abcdef",
    "Jan  5 10:00:01 bastion sshd[101]: Failed password for invalid user admin from 198.51.100.7 port 40000 ssh2",
    "Jan  5 10:00:02 bastion sshd[100]: pam_unix(sshd:session): session opened for user alice by (uid=0)",
    "Jan  5 10:00:03 bastion sshd[102]: Connection closed by 203.0.113.9 port 51515 [preauth]",
    "Jan  5 10:00:04 bastion kernel: [12345.678] audit: something the mapper keeps as a fallback",
    "",
    "Jan  5 10:00:05 bastion sshd[100]: Received disconnect from 192.0.2.10 port 50022:11: disconnected by user",
    "Jan  5 10:00:06 bastion CRON[300]: pam_unix(cron:session): session opened for user root by (uid=0)",
    "Jan  5 10:00:07 bastion sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
];

fn config() -> SourceConfig {
    SourceConfig::linux().with_reference_ms(day_ms(2018, 1, 5))
}

fn lines() -> Vec<String> {
    let mut lines: Vec<String> = BUILT_IN.iter().map(|l| (*l).to_owned()).collect();
    for file in ["linux/loghub/OpenSSH_2k.log", "linux/loghub/Linux_2k.log"] {
        if let Some(p) = sample(file) {
            let text = std::fs::read_to_string(p).expect("read sample");
            lines.extend(text.lines().map(str::to_owned));
        }
    }
    // The sudo line last, so that `finish` has a record to emit.
    lines.push(BUILT_IN[BUILT_IN.len() - 1].to_owned());
    lines
}

/// Every event of `lines` mapped in order on this thread, as JSON.
fn sequential(lines: &[String]) -> Vec<serde_json::Value> {
    let mut mapping = LineMapping::new(LineFormat::Linux, config());
    let mut mapped = Mapped::default();
    for line in lines {
        mapping.map_line(line, &mut mapped);
    }
    mapping.finish(&mut mapped);
    mapped.events.iter().map(json).collect()
}

fn json(event: &ocsf_model::v1_1_0::Event) -> serde_json::Value {
    serde_json::to_value(event).expect("events serialize")
}

/// Every event of `lines` through a [`MapThread`] with `chunk` lines per chunk and `depth`
/// chunks in flight, chunks recycled, as JSON.
async fn threaded(lines: &[String], chunk_lines: usize, depth: usize) -> Vec<serde_json::Value> {
    let mut mapper = MapThread::spawn(LineMapping::new(LineFormat::Linux, config()), depth)
        .expect("spawn the mapping thread");
    let mut out = Vec::new();
    let taken = |done: &ocsf_mappers::map_thread::LineChunk, out: &mut Vec<serde_json::Value>| {
        out.extend(done.mapped.events.iter().map(json));
    };
    for part in lines.chunks(chunk_lines) {
        let mut chunk = mapper.chunk();
        for line in part {
            chunk.push_line(line);
        }
        assert_eq!(chunk.lines(), part.len());
        if let Some(done) = mapper.submit(chunk).await.expect("submit") {
            taken(&done, &mut out);
            mapper.recycle(done);
        }
        assert!(mapper.in_flight() <= depth.max(1));
    }
    while let Some(done) = mapper.next().await.expect("next") {
        taken(&done, &mut out);
        mapper.recycle(done);
    }
    let (_, rest) = mapper.finish().await.expect("finish");
    out.extend(rest.mapped.events.iter().map(json));
    out
}

#[tokio::test(flavor = "current_thread")]
async fn chunks_on_a_thread_equal_mapping_in_order() {
    let lines = lines();
    let expected = sequential(&lines);
    assert!(
        expected.len() >= BUILT_IN.len() - 1,
        "{} events",
        expected.len()
    );
    // The sudo record is emitted by `finish` only.
    assert!(
        expected
            .last()
            .is_some_and(|e| e.to_string().contains("/usr/bin/id")),
        "the last event is the sudo record"
    );
    for (chunk, depth) in [(1, 1), (3, 2), (7, 3), (500, 2), (100_000, 1)] {
        let got = threaded(&lines, chunk, depth).await;
        assert_eq!(
            got.len(),
            expected.len(),
            "chunks of {chunk}, depth {depth}"
        );
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(g, e, "event {i}, chunks of {chunk}, depth {depth}");
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn an_idle_thread_has_nothing_in_flight_and_finishes() {
    let mut mapper = MapThread::spawn(LineMapping::new(LineFormat::Linux, config()), 0)
        .expect("spawn the mapping thread");
    assert_eq!(mapper.in_flight(), 0);
    assert!(mapper.next().await.expect("next").is_none());
    let chunk = mapper.chunk();
    assert!(chunk.is_empty());
    assert!(
        mapper.submit(chunk).await.expect("submit").is_none(),
        "depth 0 is 1"
    );
    let done = mapper.next().await.expect("next").expect("the empty chunk");
    assert!(done.mapped.events.is_empty());
    let (_, rest) = mapper.finish().await.expect("finish");
    assert!(rest.mapped.events.is_empty());
}

/// Whether an event is one a taking thread takes in these tests: the Authentication events, and
/// the sudo record (held until `finish`, so that the last chunk's taking is checked too).
fn taken_class(event: &ocsf_model::v1_1_0::Event) -> bool {
    use ocsf_model::v1_1_0::Event;
    matches!(event, Event::Authentication(_))
        || serde_json::to_string(event).is_ok_and(|t| t.contains("/usr/bin/id"))
}

/// The events of `lines` through a taking [`MapThread`]: those taken (as JSON, in the chunks'
/// `taken`) and those left in the chunks, each in order.
async fn taking(
    lines: &[String],
    chunk_lines: usize,
    depth: usize,
) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    let mut mapper = MapThread::spawn_taking(
        LineMapping::new(LineFormat::Linux, config()),
        depth,
        Vec::new,
        |event, taken: &mut Vec<serde_json::Value>| {
            let take = taken_class(event);
            if take {
                taken.push(json(event));
            }
            take
        },
    )
    .expect("spawn the mapping thread");
    let (mut taken, mut left) = (Vec::new(), Vec::new());
    let mut settle = |done: &mut ocsf_mappers::map_thread::LineChunk<Vec<serde_json::Value>>| {
        taken.append(&mut done.taken);
        left.extend(done.mapped.events.iter().map(json));
    };
    for part in lines.chunks(chunk_lines) {
        let mut chunk = mapper.chunk();
        assert!(chunk.taken.is_empty(), "a recycled chunk was emptied");
        for line in part {
            chunk.push_line(line);
        }
        if let Some(mut done) = mapper.submit(chunk).await.expect("submit") {
            settle(&mut done);
            mapper.recycle(done);
        }
    }
    while let Some(mut done) = mapper.next().await.expect("next") {
        settle(&mut done);
        mapper.recycle(done);
    }
    let (_, mut rest) = mapper.finish().await.expect("finish");
    settle(&mut rest);
    (taken, left)
}

#[tokio::test(flavor = "current_thread")]
async fn a_taking_thread_splits_the_events_in_order() {
    let lines = lines();
    let expected = sequential(&lines);
    let (want_taken, want_left): (Vec<_>, Vec<_>) = expected
        .into_iter()
        .partition(|e| e["class_uid"] == 3002 || e.to_string().contains("/usr/bin/id"));
    assert!(!want_taken.is_empty() && !want_left.is_empty());
    // Events taken are recycled at once and rendered into by the next lines: what a later line
    // renders must not keep anything of them.
    for (chunk, depth) in [(1, 1), (7, 3), (500, 2), (100_000, 1)] {
        let (taken, left) = taking(&lines, chunk, depth).await;
        assert_eq!(taken.len(), want_taken.len(), "chunks of {chunk}");
        assert_eq!(left.len(), want_left.len(), "chunks of {chunk}");
        for (i, (g, e)) in taken.iter().zip(&want_taken).enumerate() {
            assert_eq!(g, e, "taken event {i}, chunks of {chunk}, depth {depth}");
        }
        for (i, (g, e)) in left.iter().zip(&want_left).enumerate() {
            assert_eq!(g, e, "event {i} left, chunks of {chunk}, depth {depth}");
        }
    }
}

/// Lines that hold `\n`s (a pretty-printed OCSF JSON element, a syslog message with a line
/// ending) pushed with `push_verbatim` are mapped as one line each, as `map_line` maps them.
#[tokio::test(flavor = "current_thread")]
async fn lines_holding_newlines_are_mapped_whole() {
    let cases: [(LineFormat, Vec<String>); 2] = [
        (
            LineFormat::OcsfJson,
            vec![
                "{\n  \"class_uid\": 3002,\n  \"category_uid\": 3,\n  \"type_uid\": 300201,\n  \"activity_id\": 1,\n  \"time\": 1709460000000,\n  \"severity_id\": 1,\n  \"service\": {\"name\": \"sshd\"},\n  \"metadata\": {\"version\": \"1.1.0\", \"product\": {\"name\": \"x\", \"vendor_name\": \"y\"}},\n  \"user\": {\"name\": \"alice\"}\n}".to_owned(),
                "{\"class_uid\": 3002, \"activity_id\": \"not a number\"}\n".to_owned(),
                "{\"class_uid\": 3002,\n\"time\": 1}".to_owned(),
            ],
        ),
        (
            LineFormat::Linux,
            vec![
                format!("{}\n", BUILT_IN[0]),
                format!("{}\nand a second line", BUILT_IN[4]),
                BUILT_IN[1].to_owned(),
                "\n".to_owned(),
            ],
        ),
    ];
    for (format, lines) in cases {
        let mut mapping = LineMapping::new(format, config());
        let mut expected = Mapped::default();
        for line in &lines {
            mapping.map_line(line, &mut expected);
        }
        mapping.finish(&mut expected);
        let mut mapper = MapThread::spawn(LineMapping::new(format, config()), 2)
            .expect("spawn the mapping thread");
        let mut chunk = mapper.chunk();
        for line in &lines {
            chunk.push_verbatim(line);
        }
        assert_eq!(chunk.lines(), lines.len());
        assert!(mapper.submit(chunk).await.expect("submit").is_none());
        let done = mapper.next().await.expect("next").expect("the chunk");
        let mut got: Vec<serde_json::Value> = done.mapped.events.iter().map(json).collect();
        let rejected = done.mapped.rejected.len();
        let (_, rest) = mapper.finish().await.expect("finish");
        got.extend(rest.mapped.events.iter().map(json));
        let want: Vec<serde_json::Value> = expected.events.iter().map(json).collect();
        assert!(!want.is_empty(), "{format:?}: {:?}", expected.rejected);
        if format == LineFormat::OcsfJson {
            assert_eq!((want.len(), rejected), (1, 2), "{:?}", expected.rejected);
        }
        assert_eq!(got, want, "{format:?}");
        assert_eq!(rejected, expected.rejected.len(), "{format:?}");
    }
}

//! `seclake run` maps text lines on a thread of its own (ADR 0307): the agent runs an
//! `ocsf-mapper` thread, and a followed file of thousands of Linux lines, cut into several
//! segments by `batch_lines`, lands as the events of mapping each segment's lines in order
//! with a fresh mapper (`LineMapping::map_line`, then `finish`), with the same fallbacks.

mod agent;
mod common;

use std::collections::BTreeMap;

use agent::{Agent, Rng, Setup, TestResult, compare, lake_rows, wait_for};
use ocsf_mappers::SourceConfig;
use ocsf_mappers::lines::{LineFormat, LineMapping, Mapped};

/// Lines in the log (about: a last sudo record may make it one more).
const LINES: usize = 6000;
const BATCH_LINES: usize = 2300;

/// The lines of the log: sshd logons and failures of varied users and addresses, sshd lines the
/// mapper keeps as fallbacks, application lines (Base Event fallbacks), cron, and sudo records
/// of one or two lines; a sudo record begins on the last line of each segment, so that `finish`
/// emits it (the first) or its continuation lands in the next segment (the second).
fn log_lines(rng: &mut Rng) -> Vec<String> {
    let mut lines: Vec<String> = Vec::with_capacity(LINES);
    while lines.len() < LINES {
        let n = lines.len();
        let (ss, pid) = (n % 60, 1000 + rng.below(5000));
        let user = ["alice", "bob", "carol", "dave", "eve", "mallory"][rng.below(6) as usize];
        let ip = format!("198.51.{}.{}", rng.below(256), 1 + rng.below(254));
        let port = 1024 + rng.below(60_000);
        let sudo = |command: &str| {
            format!(
                "Mar  3 08:20:{ss:02} bastion sudo:    {user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; COMMAND=/bin/echo {command}"
            )
        };
        let continued = |rest: &str| {
            format!("Mar  3 08:20:{ss:02} bastion sudo:    {user} : (command continued) {rest}")
        };
        let boundary = |at: usize| (at + 1).is_multiple_of(BATCH_LINES);
        if n + 1 == BATCH_LINES {
            lines.push(sudo("ends the first segment"));
            continue;
        }
        if n + 1 == 2 * BATCH_LINES {
            lines.push(sudo("is continued in the next segment"));
            lines.push(continued("after a flush"));
            continue;
        }
        let line = match rng.below(10) {
            0..=3 => format!(
                "Mar  3 08:15:{ss:02} bastion sshd[{pid}]: Accepted password for {user}{n} from {ip} port {port} ssh2"
            ),
            4 | 5 => format!(
                "Mar  3 08:16:{ss:02} bastion sshd[{pid}]: Failed password for invalid user x{n} from {ip} port {port} ssh2"
            ),
            6 => format!("Mar  3 08:17:{ss:02} bastion sshd[{pid}]: something sshd says {n}"),
            7 => format!("Mar  3 08:18:{ss:02} bastion myapp[99]: work item {n} done"),
            8 => format!(
                "Mar  3 08:19:{ss:02} bastion CRON[{pid}]: (root) CMD (run-parts /etc/cron.hourly {n})"
            ),
            _ if !boundary(n) && !boundary(n + 1) => {
                lines.push(sudo(&format!("a {n}")));
                continued(&format!("b {n}"))
            }
            _ => sudo(&format!("{n}")),
        };
        lines.push(line);
    }
    lines
}

/// `(class_uid, raw_data)` of `events`, counted.
fn rows(events: &[ocsf_model::v1_1_0::Event]) -> TestResult<BTreeMap<(i32, String), u64>> {
    let mut rows = BTreeMap::new();
    for event in events {
        let json = serde_json::to_value(event)?;
        let class = json["class_uid"].as_i64().ok_or("no class_uid")? as i32;
        let raw = json["raw_data"].as_str().ok_or("no raw_data")?.to_owned();
        *rows.entry((class, raw)).or_insert(0) += 1;
    }
    Ok(rows)
}

/// The number after `field` in a counters line (`... 6000 lines, ...` for `" lines"`).
fn counter(line: &str, field: &str) -> Option<u64> {
    let before = &line[..line.find(field)?];
    before.rsplit([' ', '[']).next()?.parse().ok()
}

#[test]
fn lines_are_mapped_on_a_thread_of_their_own_into_the_events_of_each_segment() -> TestResult {
    let setup = Setup::new()?;
    let lines = log_lines(&mut Rng(0x5eed_1a4e));
    let text: String = lines.iter().flat_map(|l| [l.as_str(), "\n"]).collect();
    let log = setup.path("auth.log");
    std::fs::write(&log, &text)?;
    // Segments cut by `batch_lines` only (no timed flush), the last one by the SIGTERM.
    let config = setup.config(
        &format!("flush_interval_secs = 600\nbatch_lines = {BATCH_LINES}"),
        &format!(
            "[[inputs]]\nname = \"auth\"\nkind = \"follow\"\npath = \"{}\"\nformat = \"linux\"\nsource_prefix = \"auth\"\n",
            log.display()
        ),
    )?;
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    let agent = Agent::start(&config)?;
    let read = format!("auth: {} lines", lines.len());
    wait_for("every line to be read", || {
        Ok(agent.stderr().contains(&read))
    })?;
    // The agent maps on a thread of its own.
    let mut threads = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{}/task", agent.child.id()))? {
        threads.push(std::fs::read_to_string(task?.path().join("comm"))?);
    }
    assert!(
        threads.iter().any(|name| name.trim() == "ocsf-mapper"),
        "{threads:?}"
    );
    let (code, stderr) = agent.terminate()?;
    assert_eq!(code, 0, "{stderr}");

    // Each segment mapped in order by a fresh mapper, as `seclake run` did without the thread.
    let config = SourceConfig::linux()
        .with_utc_offset_secs(0)
        .with_reference_ms(started.as_millis() as i64);
    let mut expected = Vec::new();
    let mut fallbacks = 0;
    let segments: Vec<&[String]> = lines.chunks(BATCH_LINES).collect();
    assert_eq!(segments.len(), 3);
    for segment in &segments {
        let mut mapping = LineMapping::new(LineFormat::Linux, config.clone());
        let mut mapped = Mapped::default();
        for line in *segment {
            mapping.map_line(line, &mut mapped);
        }
        mapping.finish(&mut mapped);
        fallbacks += mapping.stats().map_or(0, |s| s.fallback_total());
        expected.append(&mut mapped.events);
    }
    assert!(fallbacks > 0);
    let summary = stderr
        .lines()
        .find(|l| l.contains("summary: auth:"))
        .ok_or_else(|| format!("no summary in {stderr}"))?;
    assert_eq!(
        counter(summary, " events"),
        Some(expected.len() as u64),
        "{summary}"
    );
    assert_eq!(counter(summary, " fallbacks"), Some(fallbacks), "{summary}");
    assert_eq!(
        counter(summary, " flushes"),
        Some(segments.len() as u64),
        "{summary}"
    );
    let landed = lake_rows(&setup.lake())?;
    assert_eq!(landed.values().sum::<u64>(), expected.len() as u64);
    assert_eq!(compare(&rows(&expected)?, &landed), (0, 0, 0), "{stderr}");
    Ok(())
}

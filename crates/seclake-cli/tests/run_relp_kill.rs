//! `seclake run` with a RELP input, killed (SIGKILL) at random points again and again while a
//! RELP sender (as rsyslog's `omrelp`: a window, new sessions, messages without a reply sent
//! again; it also breaks off some sessions itself, as a broken network would) sends numbered
//! lines: after the last restart, ended by SIGTERM, every line is in the
//! lake exactly once (ADR 0304).

mod agent;
mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use agent::relp_client::Sender;
use agent::{Agent, PATIENCE, Rng, Setup, TestResult, compare, convert, json_rows, lake_rows};
use agent::{numbered_lines, seed};

const KILLS: u64 = 22;

#[test]
fn relp_messages_land_exactly_once_across_sigkills() -> TestResult {
    let mut rng = Rng(seed());
    let setup = Setup::new()?;
    // A port for every run of the agent (it rebinds with SO_REUSEADDR).
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let config = setup.config(
        "flush_interval_secs = 1\nbatch_lines = 40",
        &format!(
            "[[inputs]]\nname = \"relp\"\nkind = \"relp\"\nlisten = \"{addr}\"\nformat = \"linux\"\nsource_prefix = \"relp\"\n"
        ),
    )?;
    let total = 3_000u64;
    let all = numbered_lines(0, total);
    let messages: Vec<String> = all.lines().map(str::to_owned).collect();
    let sender = Sender::start(addr, messages, 64, rng.below(u64::MAX) | 1);
    let (mut replays, mut recognised) = (0, 0);
    let mut allowed = 0;
    for _ in 0..KILLS {
        let agent = Agent::start(&config)?;
        allowed = (allowed + 20 + rng.below(100)).min(total);
        sender.allowed.store(allowed, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(rng.below(1200)));
        let stderr = agent.kill()?;
        replays += u64::from(stderr.contains("replaying"));
        recognised += u64::from(stderr.contains("retransmissions recognised"));
    }
    // The last run takes the rest; SIGTERM once the sender has every reply.
    let agent = Agent::start(&config)?;
    sender.allowed.store(total, Ordering::Relaxed);
    sender.done.store(true, Ordering::Relaxed);
    let start = Instant::now();
    while !sender.thread.is_finished() {
        if start.elapsed() > PATIENCE * 4 {
            let figures = sender.figures();
            return Err(format!(
                "the sender did not finish: {figures:?}; agent:\n{}",
                agent.stderr()
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let figures = sender.figures();
    let (code, stderr) = agent.terminate()?;
    assert_eq!(code, 0, "{stderr}");

    let expected = json_rows(&convert(&setup, &all, &[])?)?;
    let rows = lake_rows(&setup.lake())?;
    let (duplicates, missing, extra) = compare(&expected, &rows);
    eprintln!(
        "{total} lines, {} events expected, {} rows in the lake; {KILLS} SIGKILLs, {replays} runs replayed a pending batch, {recognised} runs recognised retransmissions; sender: {} sessions ({} broken off by the sender), {} messages sent again, {} replies; duplicates {duplicates}, missing {missing}, unexpected {extra}",
        expected.values().sum::<u64>(),
        rows.values().sum::<u64>(),
        figures.sessions,
        figures.broken_off,
        figures.resent,
        figures.acknowledged,
    );
    assert!(
        figures.sessions > KILLS / 2 && figures.broken_off >= 2,
        "{figures:?}"
    );
    assert_eq!((duplicates, missing, extra), (0, 0, 0), "{stderr}");
    Ok(())
}

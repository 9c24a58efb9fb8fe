//! Interop: a real rsyslog (`omrelp`, Debian's `rsyslog-relp`) forwards a file's numbered lines
//! over RELP to `seclake run`, which is SIGKILLed 20 times: no line is lost, and the few
//! duplicates measured (0 or 1 per run, see ADR 0304) stay below one per kill.
//! Needs `rsyslogd` with `omrelp` and `imfile`: `apt-get install -y rsyslog rsyslog-relp`, then
//! `cargo test -p seclake-cli --test run_relp_rsyslog -- --ignored --nocapture`.

mod agent;
mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agent::{Agent, PATIENCE, Rng, Setup, TestResult, lake_rows, seed};

const KILLS: u64 = 20;
const LINES: u64 = 2000;

#[test]
#[ignore = "needs rsyslogd with omrelp (apt-get install -y rsyslog rsyslog-relp)"]
fn rsyslog_omrelp_lines_land_exactly_once_across_sigkills() -> TestResult {
    let mut rng = Rng(seed());
    let setup = Setup::new()?;
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let config = setup.config(
        "flush_interval_secs = 1\nbatch_lines = 40",
        &format!(
            "[[inputs]]\nname = \"relp\"\nkind = \"relp\"\nlisten = \"{addr}\"\nformat = \"syslog\"\n"
        ),
    )?;
    let input = setup.path("in.log");
    let text: String = (0..LINES)
        .map(|n| format!("interop line {n} unique\n"))
        .collect();
    std::fs::write(&input, text)?;
    std::fs::create_dir_all(setup.path("rsyslog"))?;
    let conf = setup.path("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            "global(workDirectory=\"{work}\")\nmodule(load=\"imfile\")\nmodule(load=\"omrelp\")\n\
             input(type=\"imfile\" File=\"{input}\" Tag=\"app:\" ruleset=\"fwd\")\n\
             template(name=\"raw\" type=\"string\" string=\"%msg%\")\n\
             ruleset(name=\"fwd\") {{\n  action(type=\"omrelp\" target=\"127.0.0.1\" port=\"{port}\" template=\"raw\" \
             action.resumeRetryCount=\"-1\" action.resumeInterval=\"1\" queue.type=\"LinkedList\" queue.size=\"100000\")\n}}\n",
            work = setup.path("rsyslog").display(),
            input = input.display(),
            port = addr.port(),
        ),
    )?;
    let mut agent = Agent::start(&config)?;
    let mut rsyslog = Command::new("rsyslogd")
        .args(["-n", "-f"])
        .arg(&conf)
        .arg("-i")
        .arg(setup.path("rsyslog.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let mut replays = 0;
    for _ in 0..KILLS {
        std::thread::sleep(Duration::from_millis(100 + rng.below(800)));
        replays += u64::from(agent.kill()?.contains("replaying"));
        agent = Agent::start(&config)?;
    }
    // Wait for every line, then stop both.
    let start = Instant::now();
    let count =
        |setup: &Setup| -> TestResult<u64> { Ok(lake_rows(&setup.lake())?.values().sum::<u64>()) };
    while count(&setup)? < LINES && start.elapsed() < PATIENCE * 2 {
        std::thread::sleep(Duration::from_millis(200));
    }
    let (code, stderr) = agent.terminate()?;
    let _ = rsyslog.kill();
    let _ = rsyslog.wait();
    assert_eq!(code, 0, "{stderr}");
    let rows = lake_rows(&setup.lake())?;
    let mut seen = vec![0u64; LINES as usize];
    for ((_, raw), n) in &rows {
        if let Some(number) = raw
            .strip_prefix("interop line ")
            .and_then(|r| r.strip_suffix(" unique"))
            .and_then(|r| r.trim().parse::<usize>().ok())
            && number < seen.len()
        {
            seen[number] += n;
        }
    }
    let duplicates: u64 = seen.iter().map(|n| n.saturating_sub(1)).sum();
    let missing = seen.iter().filter(|n| **n == 0).count();
    eprintln!(
        "rsyslog omrelp: {LINES} lines, {} rows; {KILLS} SIGKILLs, {replays} runs replayed a pending batch; duplicates {duplicates}, missing {missing}; last run: {}",
        rows.values().sum::<u64>(),
        stderr.lines().last().unwrap_or_default()
    );
    let repeated: Vec<usize> = (0..seen.len()).filter(|i| seen[*i] > 1).collect();
    eprintln!("lines in the lake more than once: {repeated:?}");
    // Measured (ADR 0304): 0 or 1 duplicate per run of 20 kills with rsyslog 8.2302 / librelp;
    // librelp documents a small duplication window after a broken session. Nothing may be
    // lost, and duplicates stay below one per kill.
    assert_eq!(missing, 0, "{stderr}");
    assert!(duplicates <= KILLS, "{duplicates} duplicates: {stderr}");
    Ok(())
}

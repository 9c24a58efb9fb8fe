//! `seclake run` with a `kind = "journald"` input, against a stand-in `journalctl` (a shell
//! script following a file of export entries with `tail -F`, honouring `--after-cursor`), as
//! the library's own journald tests do: the real one is not on every machine. Every entry
//! lands by class; a restart after SIGTERM repeats nothing; SIGKILLs at random points leave
//! every entry in the lake exactly once.
#![cfg(unix)]

mod agent;
mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use agent::{Agent, Rng, Setup, TestResult, compare, json_rows, lake_rows, seed, wait_for};

const KILLS: u64 = 22;

/// A `journalctl` that logs its arguments to `args.log`, then prints the entries of
/// `journal.export` after the `--after-cursor` it was given and follows the file until its
/// parent (the agent) is gone.
fn fake_journalctl(setup: &Setup) -> TestResult<PathBuf> {
    let path = setup.path("journalctl");
    let script = format!(
        r#"#!/bin/sh
echo "$@" >> "{args}"
after=""
for arg in "$@"; do
  case "$arg" in --after-cursor=*) after="${{arg#--after-cursor=}}";; esac
done
awk=awk
# mawk reads a pipe in blocks unless told to read it line by line.
if awk -W version 2>/dev/null | grep -q mawk; then awk="awk -W interactive"; fi
tail -n +1 -F -s 0.1 --pid=$PPID "{journal}" 2>/dev/null | $awk -v after="$after" '
BEGIN {{ emit = (after == "") }}
{{ buf = buf $0 "\n" }}
/^__CURSOR=/ {{ cur = substr($0, 10) }}
$0 == "" {{
  if (buf != "\n") {{
    if (emit) {{ printf "%s", buf; fflush() }}
    if (cur == after) emit = 1
  }}
  buf = ""; cur = ""
}}'
"#,
        args = setup.path("args.log").display(),
        journal = setup.path("journal.export").display(),
    );
    std::fs::write(&path, script)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    Ok(path)
}

/// The cursor of entry `n`.
fn cursor(n: u64) -> String {
    format!("s=fake;i={n}")
}

/// Export entries `from..from + count`: sshd logons and failed passwords (Authentication),
/// firewall drops from the kernel (Network Activity) and an application's messages (Base
/// Event fallbacks), each with its own cursor, time and PID.
fn entries(from: u64, count: u64) -> String {
    let mut text = String::new();
    for n in from..from + count {
        let (ip, pid) = (n % 250 + 1, 1000 + n);
        let (identifier, message) = match n % 4 {
            0 => (
                "sshd",
                format!("Accepted password for u{n} from 198.51.100.{ip} port {n} ssh2"),
            ),
            1 => (
                "sshd",
                format!("Failed password for invalid user x{n} from 203.0.113.{ip} port {n} ssh2"),
            ),
            2 => (
                "kernel",
                format!(
                    "[UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.{ip} DST=10.0.0.5 LEN=60 PROTO=TCP SPT={n} DPT=22 WINDOW=1 SYN"
                ),
            ),
            _ => ("myapp", format!("work item {n} done")),
        };
        text.push_str(&format!(
            "__CURSOR={}\n__REALTIME_TIMESTAMP={}\n_HOSTNAME=bastion\nSYSLOG_IDENTIFIER={identifier}\n_PID={pid}\nMESSAGE={message}\n\n",
            cursor(n),
            1_718_010_000_000_000u64 + n * 1_000_000
        ));
    }
    text
}

/// Appends `text` to the journal file.
fn append(setup: &Setup, text: &str) -> TestResult {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(setup.path("journal.export"))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// The committed cursor of input `name`, if any.
fn committed_cursor(setup: &Setup, name: &str) -> TestResult<Option<String>> {
    let path = setup.path("state/inputs").join(name).join("state.json");
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(None);
    };
    let state: serde_json::Value = serde_json::from_slice(&bytes)?;
    Ok(state["committed"]["cursor"].as_str().map(str::to_owned))
}

/// The agent configuration: one journald input running the stand-in.
fn config(setup: &Setup, program: &Path, batch_lines: u64) -> TestResult<PathBuf> {
    setup.config(
        &format!("flush_interval_secs = 1\nbatch_lines = {batch_lines}"),
        &format!(
            "[[inputs]]\nname = \"journal\"\nkind = \"journald\"\ncommand = \"{}\"\nargs = [\"--unit=ssh.service\"]\nsource_prefix = \"bastion\"\n",
            program.display()
        ),
    )
}

/// What `seclake convert --format journald-export` makes of the entries: `(class, raw_data)`
/// counted.
fn expected(
    setup: &Setup,
    text: &str,
) -> TestResult<std::collections::BTreeMap<(i32, String), u64>> {
    let input = setup.path("convert-input.export");
    std::fs::write(&input, text)?;
    let run = common::run(&[
        "convert",
        "--format",
        "journald-export",
        "--from",
        &input.to_string_lossy(),
    ])?;
    assert_eq!(run.code, 0, "convert failed: {}", run.stderr);
    json_rows(&run.stdout)
}

/// Waits until the input committed entry `last`.
fn wait_committed(setup: &Setup, last: u64) -> TestResult {
    let wanted = cursor(last);
    wait_for("the journal's last cursor to be committed", || {
        Ok(committed_cursor(setup, "journal")?.as_deref() == Some(wanted.as_str()))
    })
}

#[test]
fn journal_entries_land_by_class_and_a_restart_after_sigterm_repeats_nothing() -> TestResult {
    let setup = Setup::new()?;
    let program = fake_journalctl(&setup)?;
    let config = config(&setup, &program, 1000)?;
    let first = entries(0, 40);
    append(&setup, &first)?;

    let agent = Agent::start(&config)?;
    wait_committed(&setup, 39)?;
    let (code, stderr) = agent.terminate()?;
    assert_eq!(code, 0, "{stderr}");
    let rows = lake_rows(&setup.lake())?;
    assert_eq!(
        compare(&expected(&setup, &first)?, &rows),
        (0, 0, 0),
        "{stderr}"
    );
    let classes: std::collections::BTreeSet<i32> = rows.keys().map(|(c, _)| *c).collect();
    assert!(
        classes.contains(&3002) && classes.contains(&4001) && classes.contains(&0),
        "{classes:?}"
    );
    // The application messages are counted as fallbacks, not dropped.
    assert!(stderr.contains("10 fallbacks"), "{stderr}");

    // New entries while the agent is down: the restart starts after the committed cursor.
    let second = entries(40, 30);
    append(&setup, &second)?;
    let agent = Agent::start(&config)?;
    wait_committed(&setup, 69)?;
    let (code, stderr) = agent.terminate()?;
    assert_eq!(code, 0, "{stderr}");
    let all = format!("{first}{second}");
    let rows = lake_rows(&setup.lake())?;
    let (duplicates, missing, extra) = compare(&expected(&setup, &all)?, &rows);
    eprintln!(
        "{} rows in the lake for 70 entries; duplicates {duplicates}, missing {missing}, unexpected {extra}",
        rows.values().sum::<u64>()
    );
    assert_eq!((duplicates, missing, extra), (0, 0, 0), "{stderr}");
    let args = std::fs::read_to_string(setup.path("args.log"))?;
    let runs: Vec<&str> = args.lines().collect();
    assert_eq!(runs.len(), 2, "{args}");
    assert!(!runs[0].contains("--after-cursor"), "{args}");
    assert!(runs[1].contains("--after-cursor=s=fake;i=39"), "{args}");
    assert!(
        runs.iter().all(|r| r.contains("--unit=ssh.service")),
        "{args}"
    );
    Ok(())
}

#[test]
fn a_followed_journal_lands_exactly_once_across_sigkills() -> TestResult {
    let mut rng = Rng(seed());
    let setup = Setup::new()?;
    let program = fake_journalctl(&setup)?;
    let config = config(&setup, &program, 40)?;
    let mut all = String::new();
    let mut next = 0;
    let mut replays = 0;
    for _ in 0..KILLS {
        let agent = Agent::start(&config)?;
        let count = 20 + rng.below(120);
        let text = entries(next, count);
        next += count;
        all.push_str(&text);
        append(&setup, &text)?;
        std::thread::sleep(Duration::from_millis(rng.below(1200)));
        replays += u64::from(agent.kill()?.contains("replaying"));
    }
    // The last restart, ended by SIGTERM once it committed the last entry.
    let agent = Agent::start(&config)?;
    wait_committed(&setup, next - 1)?;
    let (code, stderr) = agent.terminate()?;
    assert_eq!(code, 0, "{stderr}");

    let expected = expected(&setup, &all)?;
    let rows = lake_rows(&setup.lake())?;
    let (duplicates, missing, extra) = compare(&expected, &rows);
    let runs = std::fs::read_to_string(setup.path("args.log"))?
        .lines()
        .count();
    eprintln!(
        "journal: {next} entries, {} events expected, {} rows in the lake; {KILLS} SIGKILLs, {runs} journalctl runs, {replays} runs replayed a pending flush; duplicates {duplicates}, missing {missing}, unexpected {extra}",
        expected.values().sum::<u64>(),
        rows.values().sum::<u64>()
    );
    assert!(!rows.is_empty());
    assert_eq!((duplicates, missing, extra), (0, 0, 0), "{stderr}");
    Ok(())
}

#[test]
fn journalctl_failing_stops_the_input_after_committing_what_came_before() -> TestResult {
    let setup = Setup::new()?;
    // A journalctl that prints three entries, then fails.
    let program = setup.path("journalctl");
    let text = entries(0, 3);
    std::fs::write(setup.path("three.export"), &text)?;
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\ncat \"{}\"\necho 'Failed to open journal: Permission denied' >&2\nexit 1\n",
            setup.path("three.export").display()
        ),
    )?;
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755))?;
    let config = config(&setup, &program, 1000)?;
    let (code, stderr) = Agent::start(&config)?.wait()?;
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("Permission denied") && stderr.contains("input \"journal\" stopped"),
        "{stderr}"
    );
    assert_eq!(committed_cursor(&setup, "journal")?, Some(cursor(2)));
    let rows = lake_rows(&setup.lake())?;
    assert_eq!(
        compare(&expected(&setup, &text)?, &rows),
        (0, 0, 0),
        "{stderr}"
    );
    Ok(())
}

#[test]
fn a_state_of_another_kind_of_input_is_refused_with_the_directory_to_move_away() -> TestResult {
    let setup = Setup::new()?;
    let log = setup.path("app.log");
    std::fs::write(&log, agent::numbered_lines(0, 5))?;
    let file = setup.config(
        "",
        &format!(
            "[[inputs]]\nname = \"journal\"\nkind = \"file\"\npath = \"{}\"\nformat = \"linux\"\n",
            log.display()
        ),
    )?;
    let (code, stderr) = Agent::start(&file)?.wait()?;
    assert_eq!(code, 0, "{stderr}");
    // The same name, now a journald input: its committed file position is no cursor.
    let program = fake_journalctl(&setup)?;
    let journal = config(&setup, &program, 1000)?;
    let (code, stderr) = Agent::start(&journal)?.wait()?;
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("its state holds a file position but it is a journald input")
            && stderr.contains("state/inputs/journal away"),
        "{stderr}"
    );
    Ok(())
}

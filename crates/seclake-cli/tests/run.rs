//! `seclake run --config agent.toml`: bad configurations fail before anything runs; SIGTERM
//! drains, flushes and commits; a restart reads nothing again.

mod agent;
mod common;

use agent::{
    Agent, Setup, TestResult, compare, convert, json_rows, lake_rows, numbered_lines, wait_for,
};

/// Runs `seclake run` on a configuration and returns (exit code, stderr).
fn run_config(setup: &Setup, lake_extra: &str, inputs: &str) -> TestResult<(i32, String)> {
    let config = setup.config(lake_extra, inputs)?;
    let run = common::run(&["run", "--config", &config.to_string_lossy()])?;
    Ok((run.code, run.stderr))
}

#[test]
fn bad_configurations_fail_with_a_message_naming_the_input_and_field() -> TestResult {
    let setup = Setup::new()?;
    let log = setup.path("app.log");
    std::fs::write(&log, "Mar  3 08:15:01 bastion myapp[1]: hello\n")?;
    let log = log.to_string_lossy().into_owned();
    let cases: Vec<(String, &str, Vec<&str>)> = vec![
        (
            format!("[[inputs]]\nname = \"auth\"\nkind = \"file\"\npath = \"{log}\"\nformat = \"linux\"\npaht = \"x\"\n"),
            "",
            vec!["unknown field `paht`"],
        ),
        (
            format!("[[inputs]]\nname = \"auth\"\nkind = \"file\"\npath = \"{log}\"\n"),
            "",
            vec!["input \"auth\"", "field `format`", "missing"],
        ),
        (
            format!("[[inputs]]\nname = \"auth\"\nkind = \"file\"\npath = \"{log}\"\nformat = \"linux\"\n\n[[inputs]]\nname = \"auth\"\nkind = \"follow\"\npath = \"{log}\"\nformat = \"syslog\"\n"),
            "",
            vec!["input \"auth\"", "field `name`", "earlier input"],
        ),
        (
            format!("[[inputs]]\nname = \"auth\"\nkind = \"file\"\npath = \"{log}\"\nformat = \"apache\"\n"),
            "",
            vec!["input \"auth\"", "field `format`", "unknown format \"apache\""],
        ),
        (
            "[[inputs]]\nname = \"gone\"\nkind = \"file\"\npath = \"/nonexistent/seclake/x.log\"\nformat = \"linux\"\n".to_owned(),
            "",
            vec!["input \"gone\"", "field `path`", "cannot read /nonexistent/seclake/x.log"],
        ),
        (
            "[[inputs]]\nname = \"net\"\nkind = \"syslog\"\nlisten = \"localhost\"\nformat = \"syslog\"\n".to_owned(),
            "",
            vec!["input \"net\"", "field `listen`"],
        ),
        (
            format!("[[inputs]]\nname = \"auth\"\nkind = \"tail\"\npath = \"{log}\"\nformat = \"linux\"\n"),
            "",
            vec!["unknown variant `tail`"],
        ),
        (
            format!("[[inputs]]\nname = \"auth\"\nkind = \"file\"\npath = \"{log}\"\nformat = \"linux\"\n"),
            "batch_lines = 0",
            vec!["[lake]", "field `batch_lines`"],
        ),
    ];
    for (inputs, lake_extra, wanted) in cases {
        let (code, stderr) = run_config(&setup, lake_extra, &inputs)?;
        assert_eq!(code, 2, "{inputs}\n{stderr}");
        assert!(stderr.contains("agent.toml"), "{stderr}");
        for want in wanted {
            assert!(stderr.contains(want), "{want:?} not in {stderr}");
        }
        // Nothing ran: no lake, no state.
        assert!(!setup.lake().exists(), "{inputs}");
        assert!(!setup.path("state").exists(), "{inputs}");
    }
    // A missing configuration file.
    let run = common::run(&["run", "--config", "/nonexistent/agent.toml"])?;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("/nonexistent/agent.toml"),
        "{}",
        run.stderr
    );
    Ok(())
}

#[test]
fn sigterm_drains_flushes_and_commits_and_a_restart_reads_nothing_again() -> TestResult {
    let setup = Setup::new()?;
    let log = setup.path("app.log");
    let text = numbered_lines(0, 400);
    std::fs::write(&log, &text)?;
    // Nothing would be flushed before the signal: a long interval and a large batch.
    let config = setup.config(
        "flush_interval_secs = 600\nbatch_lines = 100000",
        &format!(
            "[[inputs]]\nname = \"app\"\nkind = \"follow\"\npath = \"{}\"\nformat = \"linux\"\nsource_prefix = \"app\"\n",
            log.display()
        ),
    )?;
    let agent = Agent::start(&config)?;
    // Every line read (the progress line says so), none committed yet.
    wait_for("the 400 lines to be read", || {
        Ok(agent.stderr().contains("app: 400 lines"))
    })?;
    assert_eq!(setup.committed("app")?, None);
    let (code, stderr) = agent.terminate()?;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("summary: app: 400 lines"), "{stderr}");
    assert!(agent::caught_up(&setup, "app", &log)?, "{stderr}");

    let expected = json_rows(&convert(&setup, &text, &[])?)?;
    let rows = lake_rows(&setup.lake())?;
    assert_eq!(compare(&expected, &rows), (0, 0, 0), "{stderr}");
    // Several classes, each in its own source.
    let sources: Vec<String> = std::fs::read_dir(setup.lake().join("ext"))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    assert!(sources.len() >= 5, "{sources:?}");
    assert!(
        sources
            .iter()
            .any(|s| s.starts_with("app-") && s.ends_with("-3002")),
        "{sources:?}"
    );

    // A restart reads nothing again.
    let agent = Agent::start(&config)?;
    wait_for("a progress line", || {
        Ok(agent.stderr().contains("progress: app:"))
    })?;
    let (code, stderr) = agent.terminate()?;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("summary: app: 0 lines"), "{stderr}");
    assert_eq!(lake_rows(&setup.lake())?, rows);
    Ok(())
}

#[test]
fn a_syslog_input_writes_what_tcp_and_udp_senders_sent() -> TestResult {
    use std::io::Write;
    let setup = Setup::new()?;
    // A free loopback port (UDP and TCP on the same number).
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let config = setup.config(
        "flush_interval_secs = 600",
        &format!(
            "[[inputs]]\nname = \"net\"\nkind = \"syslog\"\nlisten = \"127.0.0.1:{port}\"\nformat = \"syslog\"\nsource_prefix = \"net\"\n"
        ),
    )?;
    let agent = Agent::start(&config)?;
    let mut tcp = None;
    wait_for("the TCP listener", || {
        tcp = std::net::TcpStream::connect(("127.0.0.1", port)).ok();
        Ok(tcp.is_some())
    })?;
    let mut tcp = tcp.ok_or("no connection")?;
    let lines = numbered_lines(0, 64);
    for line in lines.lines().take(48) {
        tcp.write_all(format!("<38>{line}\n").as_bytes())?;
    }
    drop(tcp);
    let udp = std::net::UdpSocket::bind("127.0.0.1:0")?;
    for line in lines.lines().skip(48) {
        udp.send_to(format!("<38>{line}").as_bytes(), ("127.0.0.1", port))?;
    }
    // Loopback UDP may still drop: wait for the TCP lines at least, then stop.
    wait_for("the messages", || {
        Ok(agent.stderr().lines().any(|l| {
            l.contains("progress: net:")
                && l.split("net: ")
                    .nth(1)
                    .and_then(|r| r.split(' ').next())
                    .and_then(|n| n.parse::<u64>().ok())
                    .is_some_and(|n| n >= 48)
        }))
    })?;
    let (code, stderr) = agent.terminate()?;
    assert_eq!(code, 0, "{stderr}");
    let rows = lake_rows(&setup.lake())?;
    let landed: u64 = rows.values().sum();
    assert!((48..=64).contains(&landed), "{landed} rows\n{stderr}");
    assert!(rows.values().all(|n| *n == 1), "{rows:?}");
    Ok(())
}

#[test]
fn an_ocsf_json_array_cut_inside_an_element_commits_what_came_before_and_fails() -> TestResult {
    let setup = Setup::new()?;
    let events = convert(&setup, &numbered_lines(0, 5), &[])?;
    let events: Vec<&str> = events.lines().collect();
    // Two whole elements (one a string with brackets and an escaped quote inside), then an
    // element cut short.
    let mut second: serde_json::Value = serde_json::from_str(events[1])?;
    second["message"] = "a ] } [ { \" inside".into();
    let whole = format!("[ {},\n  {}", events[0], second);
    let text = format!("{whole}, {{\"class_uid\": 3002, \"message\": \"cut [");
    let input = setup.path("cut.json");
    std::fs::write(&input, &text)?;
    let config = setup.config(
        "",
        &format!(
            "[[inputs]]\nname = \"cut\"\nkind = \"ocsf-json\"\npath = \"{}\"\nsource_prefix = \"cut\"\n",
            input.display()
        ),
    )?;
    let run = common::run(&["run", "--config", &config.to_string_lossy()])?;
    // An input that stopped with an error: exit 3.
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("ends inside a JSON element"),
        "{}",
        run.stderr
    );
    // The two whole elements landed and are committed; the cut one is not.
    let rows: u64 = lake_rows(&setup.lake())?.values().sum();
    assert_eq!(rows, 2, "{}", run.stderr);
    assert_eq!(
        setup.committed("cut")?.map(|(offset, _)| offset),
        Some(whole.len() as u64)
    );
    // The rest of the element arrives (the file is completed): a restart reads it only.
    std::fs::write(&input, format!("{whole}, {}]\n", events[2]))?;
    let run = common::run(&["run", "--config", &config.to_string_lossy()])?;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: u64 = lake_rows(&setup.lake())?.values().sum();
    assert_eq!(rows, 3, "{}", run.stderr);
    Ok(())
}

#[test]
fn classes_named_in_sources_go_to_those_sources_and_the_others_to_the_prefix() -> TestResult {
    let setup = Setup::new()?;
    let log = setup.path("app.log");
    let text = numbered_lines(0, 100);
    std::fs::write(&log, &text)?;
    let config = setup.config(
        "source_version = \"2.0\"",
        &format!(
            "[[inputs]]\nname = \"app\"\nkind = \"file\"\npath = \"{}\"\nformat = \"linux\"\nsource_prefix = \"app\"\n[inputs.sources]\nauthentication = \"webauth\"\n",
            log.display()
        ),
    )?;
    let run = common::run(&["run", "--config", &config.to_string_lossy()])?;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ext = setup.lake().join("ext");
    let auth = lake_rows(&ext.join("webauth/2.0"))?;
    assert!(!auth.is_empty(), "{}", run.stderr);
    assert!(auth.keys().all(|(class, _)| *class == 3002), "{auth:?}");
    let sources: Vec<String> = std::fs::read_dir(&ext)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    assert!(!sources.iter().any(|s| s.ends_with("-3002")), "{sources:?}");
    assert!(
        sources.iter().filter(|s| s.starts_with("app-")).count() >= 2,
        "{sources:?}"
    );
    // Every event once, across the named and the derived sources.
    let expected = json_rows(&convert(&setup, &text, &[])?)?;
    assert_eq!(compare(&expected, &lake_rows(&ext)?), (0, 0, 0));
    Ok(())
}

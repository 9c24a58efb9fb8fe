//! The control-plane commands, `publish` to S3, `lint` / `inspect` of S3
//! objects and `subscribe --https`, against `seclake emulator` started as a
//! child process on 127.0.0.1.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::emulator::{Guard, emulator, run_env, var, with_env};
use common::{TestResult, fixture, run_with, s, seclake};

const REGISTER: &[&str] = &[
    "source",
    "register",
    "--name",
    "webauth",
    "--source-version",
    "1.0",
    "--event-class",
    "AUTHENTICATION",
    "--principal",
    "123456789012",
    "--external-id",
    "ext-1",
    "--crawler-role-arn",
    "arn:aws:iam::123456789012:role/GlueCrawler",
];

#[test]
fn control_plane_publish_and_https_subscribe_through_the_emulator() -> TestResult {
    let (_emulator, env) = emulator()?;
    let bucket = var(&env, "SECLAKE_LAKE_BUCKET").to_owned();
    let dir = tempfile::tempdir()?;

    // Register (created, then unchanged), list.
    let mut args = REGISTER.to_vec();
    args.push("--json");
    let created = run_env(&env, &args)?;
    assert_eq!(created.code, 0, "{}", created.stderr);
    let created = created.json()?;
    assert_eq!(created["outcome"], "created");
    assert_eq!(
        created["location"],
        format!("s3://{bucket}/ext/webauth/1.0/")
    );
    let again = run_env(&env, REGISTER)?;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.starts_with("unchanged: webauth"),
        "{}",
        again.stdout
    );
    let list = run_env(&env, &["source", "list", "--json"])?;
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert_eq!(list.json()?["custom"][0]["source_name"], "webauth");

    // A subscriber with an HTTPS notification to `seclake subscribe --https`.
    let sub = run_env(
        &env,
        &[
            "subscriber",
            "create",
            "--name",
            "reader",
            "--principal",
            "210987654321",
            "--external-id",
            "sub-1",
            "--source",
            "webauth:1.0",
            "--json",
        ],
    )?;
    assert_eq!(sub.code, 0, "{}", sub.stderr);
    let id = sub.json()?["subscriber_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!id.is_empty());
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut listener = with_env(&env);
    listener
        .args([
            "subscribe",
            "--https",
            &addr,
            "--spool-dir",
            s(&dir.path().join("https-spool")),
            "--api-key-name",
            "x-api-key",
            "--api-key-value",
            "s3cr3t",
            "--max-objects",
            "2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let listener = Guard(listener.spawn()?);
    let started = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        if started.elapsed() > Duration::from_secs(20) {
            return Err("the HTTPS listener did not start".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let notify = run_env(
        &env,
        &[
            "subscriber",
            "notify",
            "--id",
            &id,
            "--https-endpoint",
            &format!("http://{addr}/"),
            "--target-role-arn",
            "arn:aws:iam::123456789012:role/EventBridge",
            "--api-key-name",
            "x-api-key",
            "--api-key-value",
            "s3cr3t",
        ],
    )?;
    assert_eq!(notify.code, 0, "{}", notify.stderr);
    let conflict = run_env(&env, &["subscriber", "notify", "--id", &id, "--sqs"])?;
    assert_eq!(
        conflict.code, 3,
        "a second notification conflicts: {}",
        conflict.stderr
    );
    assert!(
        conflict.stderr.contains("CreateSubscriberNotification"),
        "{}",
        conflict.stderr
    );

    // Publish through the registration: provider role assumed with the external id.
    let published = run_env(
        &env,
        &[
            "publish",
            "--from",
            s(&fixture("auth.log")),
            "--reference-time",
            "2024-03-10",
            "--class",
            "authentication",
            "--source-name",
            "webauth",
            "--external-id",
            "ext-1",
            "--account-id",
            "123456789012",
            "--spool-dir",
            s(&dir.path().join("spool")),
            "--json",
        ],
    )?;
    assert_eq!(published.code, 0, "{}", published.stderr);
    let manifest = published.json()?;
    assert_eq!(manifest["rows"], 3);
    let key = manifest["objects"][0]["key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        key.starts_with("ext/webauth/1.0/region=us-east-1/accountId=123456789012/eventDay="),
        "{key}"
    );

    // The HTTPS subscriber got both objects and printed their events.
    let output = {
        let mut guard = listener;
        let deadline = Instant::now() + Duration::from_secs(60);
        while guard.0.try_wait()?.is_none() {
            if Instant::now() > deadline {
                return Err("the HTTPS subscriber did not finish".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut stdout = String::new();
        if let Some(mut pipe) = guard.0.stdout.take() {
            std::io::Read::read_to_string(&mut pipe, &mut stdout)?;
        }
        stdout
    };
    let events: Vec<serde_json::Value> = output
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(events.len(), 3, "{output}");
    assert!(events.iter().all(|e| e["class_name"] == "Authentication"));

    // Lint and inspect the S3 objects.
    let lint = run_env(&env, &["lint", &format!("s3://{bucket}/ext/webauth/")])?;
    assert_eq!(lint.code, 0, "{}{}", lint.stdout, lint.stderr);
    assert!(
        lint.stdout.contains("2 objects checked: 0 errors"),
        "{}",
        lint.stdout
    );
    let inspect = run_env(
        &env,
        &["inspect", &format!("s3://{bucket}/{key}"), "--json"],
    )?;
    assert_eq!(inspect.code, 0, "{}", inspect.stderr);
    assert_eq!(inspect.json()?["class_uid"], 3002);
    let missing = run_env(
        &env,
        &[
            "inspect",
            &format!("s3://{bucket}/ext/webauth/nothing.parquet"),
        ],
    )?;
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("no such object"),
        "{}",
        missing.stderr
    );

    // An unregistered source says what to do.
    let unknown = run_env(
        &env,
        &[
            "publish",
            "--from",
            s(&fixture("auth.log")),
            "--class",
            "authentication",
            "--source-name",
            "nosuch",
        ],
    )?;
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("seclake source register"),
        "{}",
        unknown.stderr
    );

    // Delete.
    let deleted = run_env(&env, &["source", "delete", "--name", "webauth"])?;
    assert_eq!(deleted.code, 0, "{}", deleted.stderr);
    let list = run_env(&env, &["source", "list"])?;
    assert!(list.stdout.contains("no log sources"), "{}", list.stdout);
    Ok(())
}

#[test]
fn emulator_refuses_non_loopback_addresses() -> TestResult {
    let out = run_with(&mut seclake(), &["emulator", "--bind", "0.0.0.0:0"], None)?;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("loopback"), "{}", out.stderr);
    Ok(())
}

#[test]
fn control_plane_errors_without_a_reachable_service_exit_3() -> TestResult {
    // Nothing listens on this port: a service failure, not a usage error.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut cmd = seclake();
    cmd.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_MAX_ATTEMPTS", "1");
    let out = run_with(&mut cmd, &["source", "list"], None)?;
    assert_eq!(out.code, 3, "{}", out.stderr);
    Ok(())
}

//! `seclake run` into S3 with `[lake.registration]`, against `seclake emulator` on
//! 127.0.0.1: one custom source reconciled per class of each input, each class's objects
//! under its source's location; `seclake inspect` of a dead-letter object in S3.

mod agent;
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use agent::{Agent, Setup, TestResult, compare, convert, json_rows, lake_rows, numbered_lines};
use common::emulator::{emulator_with, run_env, var};

/// The class_uids of the rows of each source's objects under the emulator's lake bucket
/// directory `lake` (`ext/<source>/...`).
fn classes_per_source(lake: &Path) -> TestResult<BTreeMap<String, BTreeSet<i32>>> {
    let mut sources = BTreeMap::new();
    let ext = lake.join("ext");
    for entry in std::fs::read_dir(&ext)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let classes: BTreeSet<i32> = lake_rows(&entry.path())?
            .keys()
            .map(|(class, _)| *class)
            .collect();
        sources.insert(name, classes);
    }
    Ok(sources)
}

#[test]
fn a_registered_run_writes_each_class_under_its_own_custom_source() -> TestResult {
    let setup = Setup::new()?;
    let data = setup.path("s3");
    let (_emulator, env) = emulator_with(Some(&data))?;
    let bucket = var(&env, "SECLAKE_LAKE_BUCKET").to_owned();
    // Linux lines of several classes, and OCSF JSON (an array) of several classes, of which
    // only Authentication is registered, under the name given in `[inputs.sources]`.
    let log = setup.path("auth.log");
    let lines = numbered_lines(0, 120);
    std::fs::write(&log, &lines)?;
    let events = convert(&setup, &lines, &[])?;
    let mut json = String::from("[");
    let mut other_classes = 0;
    for (i, event) in events.lines().enumerate() {
        if i > 0 {
            json.push_str(",\n");
        }
        json.push_str(event);
        let value: serde_json::Value = serde_json::from_str(event)?;
        other_classes += u64::from(value["class_uid"] != 3002);
    }
    json.push(']');
    let partner = setup.path("partner.json");
    std::fs::write(&partner, &json)?;
    let config = setup.config_in(
        &format!(
            "endpoint_url = \"{}\"\naccount = \"123456789012\"\nsource_version = \"1.0\"",
            var(&env, "AWS_ENDPOINT_URL")
        ),
        "batch_lines = 50\n[lake.registration]\nprincipal = \"123456789012\"\nexternal_id = \"ext-1\"\ncrawler_role_arn = \"arn:aws:iam::123456789012:role/GlueCrawler\"",
        &format!(
            "[[inputs]]\nname = \"auth\"\nkind = \"file\"\npath = \"{}\"\nformat = \"linux\"\nsource_prefix = \"bastion\"\n\n[[inputs]]\nname = \"partner\"\nkind = \"ocsf-json\"\npath = \"{}\"\nsource_prefix = \"partner\"\nclasses = [\"authentication\"]\n[inputs.sources]\nauthentication = \"partner-auth\"\n",
            log.display(),
            partner.display()
        ),
    )?;
    let (code, stderr) = Agent::start_env(&config, &env)?.wait()?;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("custom source bastion-authent-3002: created"),
        "{stderr}"
    );
    assert!(
        stderr.contains("custom source partner-auth: created"),
        "{stderr}"
    );

    // Every registered source is listed, with its location in the lake bucket.
    let list = run_env(&env, &["source", "list", "--json"])?;
    assert_eq!(list.code, 0, "{}", list.stderr);
    let registered: BTreeMap<String, String> = list.json()?["custom"]
        .as_array()
        .ok_or("no custom sources")?
        .iter()
        .map(|s| {
            (
                s["source_name"].as_str().unwrap_or_default().to_owned(),
                s["location"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(registered.len() >= 3, "{registered:?}");
    for (name, location) in &registered {
        assert_eq!(location, &format!("s3://{bucket}/ext/{name}/1.0/"));
    }

    // Each source holds its own class only, and the Linux input reached several sources.
    let sources = classes_per_source(&data.join("_lake"))?;
    let mut linux = 0;
    for (name, classes) in &sources {
        assert!(registered.contains_key(name), "{name} is not registered");
        // The partner's source is named in the configuration; the others end in their uid.
        let uid: i32 = match name.as_str() {
            "partner-auth" => 3002,
            _ => name.rsplit('-').next().unwrap_or_default().parse()?,
        };
        assert_eq!(classes, &BTreeSet::from([uid]), "{name}");
        linux += usize::from(name.starts_with("bastion-"));
    }
    assert!(linux >= 2, "{sources:?}");
    assert!(sources.contains_key("partner-auth"), "{sources:?}");

    // The partner's events of classes without a registered source are dead-lettered.
    let letters = setup.dead_letters("partner")?;
    assert!(other_classes > 0);
    assert_eq!(letters.len() as u64, other_classes, "{letters:?}");
    assert!(
        letters.iter().all(|l| l["cause"] == "unrouted"),
        "{letters:?}"
    );

    // A second start finds the sources registered and the inputs read.
    let (code, stderr) = Agent::start_env(&config, &env)?.wait()?;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("custom source bastion-authent-3002: unchanged"),
        "{stderr}"
    );

    // The dead-letter file copied into the bucket is recognised by `inspect`.
    let key = "dead-letters/partner.jsonl";
    let object = data.join("_lake").join(key);
    std::fs::create_dir_all(object.parent().ok_or("no parent")?)?;
    std::fs::copy(
        setup.path("state/inputs/partner/dead-letters.jsonl"),
        &object,
    )?;
    let url = format!("s3://{bucket}/{key}");
    let inspect = run_env(&env, &["inspect", &url, "--json"])?;
    assert_eq!(inspect.code, 0, "{}", inspect.stderr);
    let summary = inspect.json()?;
    assert_eq!(summary["kind"], "dead-letters");
    assert_eq!(summary["letters"].as_u64(), Some(other_classes));
    assert_eq!(summary["causes"]["unrouted"].as_u64(), Some(other_classes));
    // Neither Parquet nor letters: both named.
    std::fs::write(data.join("_lake/dead-letters/junk.txt"), "hello\n")?;
    let junk = run_env(
        &env,
        &["inspect", &format!("s3://{bucket}/dead-letters/junk.txt")],
    )?;
    assert_eq!(junk.code, 2, "{}", junk.stderr);
    assert!(
        junk.stderr.contains("not a dead-letter file"),
        "{}",
        junk.stderr
    );
    Ok(())
}

/// A run killed after its flush reached S3 and before the commit, made deterministic: the
/// state after a whole run is set back to "flush pending, not committed" (its position and
/// line count), more lines are appended, and the restart must rebuild the same objects (their
/// puts find them present) before it reads on. Without the replay, the restart would cut one
/// segment of old and new lines and write the old lines again.
#[test]
fn a_pending_flush_already_in_s3_is_replayed_onto_the_same_objects() -> TestResult {
    let setup = Setup::new()?;
    let data = setup.path("s3");
    let (_emulator, env) = emulator_with(Some(&data))?;
    let log = setup.path("app.log");
    let first = numbered_lines(0, 90);
    std::fs::write(&log, &first)?;
    let config = setup.config_in(
        &format!(
            "bucket = \"{}\"\nendpoint_url = \"{}\"",
            var(&env, "SECLAKE_LAKE_BUCKET"),
            var(&env, "AWS_ENDPOINT_URL")
        ),
        "batch_lines = 100000\nflush_interval_secs = 600",
        &format!(
            "[[inputs]]\nname = \"app\"\nkind = \"file\"\npath = \"{}\"\nformat = \"linux\"\nsource_prefix = \"app\"\n",
            log.display()
        ),
    )?;
    // The reference clock of the first segment, fixed beforehand so the state can be set
    // back to it.
    let state_dir = setup.path("state/inputs/app");
    std::fs::create_dir_all(&state_dir)?;
    let state_path = state_dir.join("state.json");
    let reference = 1_709_460_000_000i64;
    std::fs::write(
        &state_path,
        serde_json::json!({"version": 1, "committed": null, "pending": null,
            "reference_ms": reference, "dead_letter_bytes": 0})
        .to_string(),
    )?;
    let (code, stderr) = Agent::start_env(&config, &env)?.wait()?;
    assert_eq!(code, 0, "{stderr}");
    let lake = data.join("_lake");
    let objects = common::parquet_files(&lake);
    assert!(objects.len() >= 2, "{stderr}");

    // As if killed after the uploads and before the commit.
    let done: serde_json::Value = serde_json::from_slice(&std::fs::read(&state_path)?)?;
    let position = done["committed"].clone();
    assert!(position.is_object(), "{done}");
    std::fs::write(
        &state_path,
        serde_json::json!({"version": 1, "committed": null,
            "pending": {"position": position, "lines": 90},
            "reference_ms": reference, "dead_letter_bytes": 0})
        .to_string(),
    )?;
    let second = numbered_lines(90, 30);
    let mut file = std::fs::OpenOptions::new().append(true).open(&log)?;
    std::io::Write::write_all(&mut file, second.as_bytes())?;
    drop(file);
    let (code, stderr) = Agent::start_env(&config, &env)?.wait()?;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("replaying"), "{stderr}");

    let expected = json_rows(&convert(&setup, &format!("{first}{second}"), &[])?)?;
    let rows = lake_rows(&lake)?;
    assert_eq!(compare(&expected, &rows), (0, 0, 0), "{stderr}");
    // The replayed flush made no new object: the first run's objects are all there, and
    // every new one holds appended lines only.
    let after = common::parquet_files(&lake);
    assert!(objects.iter().all(|o| after.contains(o)), "{stderr}");
    let fresh = setup.path("fresh");
    std::fs::create_dir_all(&fresh)?;
    for (i, object) in after.iter().filter(|o| !objects.contains(o)).enumerate() {
        std::fs::copy(object, fresh.join(format!("{i}.parquet")))?;
    }
    let new_rows = lake_rows(&fresh)?;
    assert!(!new_rows.is_empty());
    assert!(
        new_rows
            .keys()
            .all(|(_, raw)| second.contains(raw.as_str())),
        "{new_rows:?}"
    );
    Ok(())
}

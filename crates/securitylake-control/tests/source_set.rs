//! One custom source per OCSF class, reconciled as a set through the
//! emulator, and the naming rule over every class of OCSF 1.1.0.

mod common;

use std::collections::BTreeSet;

use common::{CRAWLER_ROLE, EXTERNAL_ID, TestResult, registrar};
use securitylake_control::{
    CustomSource, ErrorKind, OcsfClass, Outcome, SourceSet, SourceSetBuilder, source_name_for,
};
use securitylake_emulator::{Emulator, Fault, Operation};

fn class(uid: i32, name: &str) -> OcsfClass {
    OcsfClass::new(uid, name).unwrap_or_else(|e| panic!("{e}"))
}

fn set(prefix: &str, version: &str) -> SourceSetBuilder {
    SourceSet::builder(prefix)
        .version(version)
        .principal("210987654321")
        .external_id(EXTERNAL_ID)
        .crawler_role_arn(CRAWLER_ROLE)
}

fn three(prefix: &str, version: &str) -> Result<SourceSet, securitylake_control::Error> {
    set(prefix, version)
        .class(class(3002, "authentication"))
        .class(class(4001, "network_activity"))
        .class(class(1007, "process_activity"))
        .build()
}

fn outcomes(done: &[securitylake_control::Reconciliation]) -> Vec<(&str, &Outcome)> {
    done.iter()
        .map(|r| (r.source.source_name.as_str(), &r.outcome))
        .collect()
}

#[tokio::test]
async fn a_set_is_created_then_unchanged_then_one_change_is_seen() -> TestResult {
    let emulator = Emulator::builder().start().await?;
    let registrar = registrar(&emulator).await?;
    let v1 = three("acme", "1.0")?;

    // Create: one listing, one create per class, in class-uid order.
    let created = registrar.reconcile_all(v1.sources()).await?;
    assert_eq!(
        outcomes(&created),
        [
            ("acme-1007-process-ac", &Outcome::Created),
            ("acme-3002-authentica", &Outcome::Created),
            ("acme-4001-network-ac", &Outcome::Created),
        ]
    );
    assert_eq!(emulator.request_count(Operation::ListLogSources), 1);
    assert_eq!(emulator.request_count(Operation::CreateCustomLogSource), 3);
    let held = emulator.custom_sources();
    let classes: BTreeSet<(String, Vec<String>)> = held
        .iter()
        .map(|s| (s.source_name.clone(), s.event_classes.clone()))
        .collect();
    assert!(classes.contains(&(
        "acme-3002-authentica".to_owned(),
        vec!["AUTHENTICATION".to_owned()]
    )));
    assert!(classes.contains(&(
        "acme-4001-network-ac".to_owned(),
        vec!["NETWORK_ACTIVITY".to_owned()]
    )));
    for done in &created {
        let name = &done.source.source_name;
        assert_eq!(done.source.location.prefix(), format!("ext/{name}/1.0/"));
    }

    // Re-run unchanged: one more listing, no create.
    let again = registrar.reconcile_all(v1.sources()).await?;
    assert!(again.iter().all(|r| r.outcome == Outcome::Unchanged));
    let sources = |d: &[securitylake_control::Reconciliation]| {
        d.iter().map(|r| r.source.clone()).collect::<Vec<_>>()
    };
    assert_eq!(sources(&again), sources(&created));
    assert_eq!(emulator.request_count(Operation::ListLogSources), 2);
    assert_eq!(emulator.request_count(Operation::CreateCustomLogSource), 3);

    // One changed (the authentication source at version 2.0), one added.
    let v2 = set("acme", "2.0")
        .class(class(3002, "authentication"))
        .build()?;
    let added = set("acme", "1.0")
        .class(class(6003, "api_activity"))
        .build()?;
    let mut specs: Vec<CustomSource> = v1.sources().to_vec();
    specs[1] = v2.sources()[0].clone();
    specs.push(added.sources()[0].clone());
    let changed = registrar.reconcile_all(&specs).await?;
    let got: Vec<(&str, String)> = changed
        .iter()
        .map(|r| {
            let outcome = match &r.outcome {
                Outcome::Created => "created".to_owned(),
                Outcome::Unchanged => "unchanged".to_owned(),
                Outcome::Drifted(drift) => format!("drifted: {drift}"),
                other => format!("{other:?}"),
            };
            (r.source.source_name.as_str(), outcome)
        })
        .collect();
    assert_eq!(
        got,
        [
            ("acme-1007-process-ac", "unchanged".to_owned()),
            (
                "acme-3002-authentica",
                "drifted: sourceVersion: expected 2.0, registered 1.0".to_owned()
            ),
            ("acme-4001-network-ac", "unchanged".to_owned()),
            ("acme-6003-api-activi", "created".to_owned()),
        ]
    );
    // The drifted source was left alone; only the added one was created.
    assert_eq!(emulator.request_count(Operation::CreateCustomLogSource), 4);
    assert_eq!(emulator.custom_sources().len(), 4);
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_failed_run_is_finished_by_running_again() -> TestResult {
    let emulator = Emulator::builder().start().await?;
    let registrar = registrar(&emulator).await?;
    let sources = three("partial", "1.0")?;
    let first = registrar.reconcile(&sources.sources()[0]).await?;
    assert_eq!(first.outcome, Outcome::Created);
    // The next create (the set's second source) is refused.
    emulator.inject_fault(Operation::CreateCustomLogSource, Fault::access_denied());
    let err = registrar
        .reconcile_all(sources.sources())
        .await
        .err()
        .ok_or("access denied must surface")?;
    assert_eq!(err.kind(), ErrorKind::AccessDenied);
    assert_eq!(emulator.custom_sources().len(), 1);

    let done = registrar.reconcile_all(sources.sources()).await?;
    let got: Vec<&Outcome> = done.iter().map(|r| &r.outcome).collect();
    assert_eq!(
        got,
        [&Outcome::Unchanged, &Outcome::Created, &Outcome::Created]
    );
    assert_eq!(emulator.custom_sources().len(), 3);
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn two_specs_with_one_name_are_refused_before_any_request() -> TestResult {
    let emulator = Emulator::builder().start().await?;
    let registrar = registrar(&emulator).await?;
    let set = three("dup", "1.0")?;
    let twice = [set.sources()[0].clone(), set.sources()[0].clone()];
    let err = registrar
        .reconcile_all(&twice)
        .await
        .err()
        .ok_or("duplicate accepted")?;
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(emulator.request_count(Operation::ListLogSources), 0);
    assert!(registrar.reconcile_all(&[]).await?.is_empty());
    assert_eq!(emulator.request_count(Operation::ListLogSources), 0);
    // A class given twice is refused by the builder.
    let err = set_with_twice()
        .err()
        .ok_or("a class given twice was accepted")?;
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    emulator.shutdown().await;
    Ok(())
}

fn set_with_twice() -> Result<SourceSet, securitylake_control::Error> {
    set("dup", "1.0")
        .class(class(3002, "authentication"))
        .class(class(3002, "authentication"))
        .build()
}

/// Every class of OCSF 1.1.0, from the generated model.
fn all_classes() -> Vec<OcsfClass> {
    ocsf_model::v1_1_0::CLASSES
        .iter()
        .map(|(uid, name, _, _)| class(*uid, name))
        .collect()
}

#[test]
fn every_ocsf_1_1_0_class_gets_a_unique_short_name() -> TestResult {
    let classes = all_classes();
    assert_eq!(classes.len(), 50);
    for prefix in ["a", "acme", "acme-edr", "edr_prod-eu", &"p".repeat(13)] {
        let mut names = BTreeSet::new();
        let mut glue_names = BTreeSet::new();
        for class in &classes {
            let name = source_name_for(prefix, class)?;
            assert!(name.len() <= 20, "{name} is longer than 20");
            assert!(
                name.starts_with(&format!("{prefix}-{}", class.uid())),
                "{name}"
            );
            // The same inputs give the same name.
            assert_eq!(source_name_for(prefix, class)?, name);
            // Glue folds names into table names: still unique.
            assert!(glue_names.insert(name.to_ascii_lowercase().replace('-', "_")));
            assert!(names.insert(name), "{prefix}: a name repeats");
        }
        // Each name is a valid source name with the class's event class.
        let built = set(prefix, "1.0").classes(classes.clone()).build()?;
        assert_eq!(built.sources().len(), 50);
        let auth = built.source_for(3002).ok_or("no authentication source")?;
        assert_eq!(auth.event_classes(), ["AUTHENTICATION"]);
    }
    Ok(())
}

#[test]
fn long_prefixes_are_refused_not_cut() {
    let classes = all_classes();
    // 13 characters fit every 1.1.0 class, the Windows extension's 6-digit
    // uids (205004, ...) included ...
    assert!(
        set(&"p".repeat(13), "1.0")
            .classes(classes.clone())
            .build()
            .is_ok()
    );
    // ... 14 do not, and nothing is silently shortened.
    for prefix in ["p".repeat(14), "a-very-long-company-prefix".to_owned()] {
        let err = set(&prefix, "1.0").classes(classes.clone()).build();
        assert_eq!(
            err.err().map(|e| e.kind()),
            Some(ErrorKind::InvalidInput),
            "{prefix}"
        );
    }
    // The core classes' 4-digit uids leave room for 15; Base Event (uid 0)
    // for 18: a set is checked class by class.
    let core: Vec<OcsfClass> = classes
        .iter()
        .filter(|c| c.uid() < 10_000)
        .cloned()
        .collect();
    assert!(
        set(&"p".repeat(15), "1.0")
            .classes(core.clone())
            .build()
            .is_ok()
    );
    assert!(set(&"p".repeat(16), "1.0").classes(core).build().is_err());
    assert!(source_name_for(&"p".repeat(18), &class(0, "base_event")).is_ok());
    assert!(source_name_for(&"p".repeat(18), &class(3002, "authentication")).is_err());
}

#[tokio::test]
async fn every_ocsf_1_1_0_class_registers_with_the_emulator() -> TestResult {
    let emulator = Emulator::builder().start().await?;
    let registrar = registrar(&emulator).await?;
    let set = set("lake-ops", "1.0").classes(all_classes()).build()?;
    let done = registrar.reconcile_all(set.sources()).await?;
    assert_eq!(done.len(), 50);
    assert!(done.iter().all(|r| r.outcome == Outcome::Created));
    let locations: BTreeSet<String> = done.iter().map(|r| r.source.location.to_string()).collect();
    assert_eq!(locations.len(), 50);
    let again = registrar.reconcile_all(set.sources()).await?;
    assert!(again.iter().all(|r| r.outcome == Outcome::Unchanged));
    assert_eq!(emulator.request_count(Operation::CreateCustomLogSource), 50);
    emulator.shutdown().await;
    Ok(())
}

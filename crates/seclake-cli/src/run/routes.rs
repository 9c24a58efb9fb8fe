//! Where each input's classes go, resolved once before the inputs start: custom sources
//! named in `[inputs.sources]` or from the input's prefix in the lake's bucket (local or
//! S3), or the custom sources `[lake.registration]` reconciles, one per class each input can
//! emit (named the same way).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ocsf_model::v1_1_0::Event;
use securitylake_control::{OcsfClass, Outcome, Registrar};
use securitylake_core::layout::{CustomSource, LakeSource, SourceLocation};
use securitylake_core::object_store::ObjectStore;
use securitylake_source::sink::{ClassInfo, source_name};

use super::config::{AgentConfig, InputConfig};
use super::mapper::MapperSpec;
use super::target::{Registration, S3Lake, Target};
use crate::common::{assume, s3_store};
use crate::error::{Error, Result};
use crate::route::{Destination, registered_destination};

/// The destinations of one input's classes.
pub struct Routes {
    /// Classes with a destination of their own: named in `[inputs.sources]`, or registered.
    pub explicit: BTreeMap<i32, Destination>,
    /// Where the other classes go: the sources the input's prefix names in this bucket
    /// (a catch-all), or, with a registration, `None`: the dead letters.
    pub others: Option<(String, Arc<dyn ObjectStore>)>,
}

/// The routes of a lake bucket: the named classes to their sources there, the others to the
/// prefix's.
fn in_bucket(
    input: &InputConfig,
    version: Option<&String>,
    bucket: &str,
    store: &Arc<dyn ObjectStore>,
) -> Result<Routes> {
    let explicit = input
        .sources
        .iter()
        .map(|(uid, name)| {
            let source = CustomSource::new(name.clone(), version.cloned())?;
            let location = SourceLocation::new(bucket.to_owned(), LakeSource::Custom(source))?;
            let store = store.clone();
            Ok((*uid, Destination { location, store }))
        })
        .collect::<Result<_>>()?;
    Ok(Routes {
        explicit,
        others: Some((bucket.to_owned(), store.clone())),
    })
}

/// The routes of every input, in the configuration's order (registering the custom sources
/// first when the lake has a registration).
pub async fn resolve(config: &AgentConfig, command: &str) -> Result<Vec<Routes>> {
    let version = config.lake.source_version.as_ref();
    let s3 = match &config.lake.target {
        Target::Local(dir) => {
            let store = securitylake_core::store::local_store(dir)?;
            let bucket = securitylake_subscriber::LOCAL_BUCKET;
            return config
                .inputs
                .iter()
                .map(|input| in_bucket(input, version, bucket, &store))
                .collect();
        }
        Target::S3(s3) => s3,
    };
    let base = s3.aws.load().await?;
    match (&s3.registration, &s3.bucket) {
        (Some(registration), _) => register(config, s3, registration, &base, command).await,
        (None, Some(bucket)) => {
            let writer = match &s3.role_arn {
                Some(role) => assume(&base, role, s3.external_id.as_deref()).await?,
                None => base,
            };
            let store = s3_store(&writer, bucket)?;
            config
                .inputs
                .iter()
                .map(|input| in_bucket(input, version, bucket, &store))
                .collect()
        }
        (None, None) => Err(Error::input(
            "[lake]: an S3 lake names its `bucket` or has a [lake.registration]",
        )),
    }
}

/// The classes registered for `input` (`classes`, else the mapper's, and those named in
/// `[inputs.sources]`) with their source names.
fn input_sources(input: &InputConfig) -> Result<BTreeMap<i32, (ClassInfo, String)>> {
    let listed = match &input.classes {
        Some(uids) => uids.as_slice(),
        None => MapperSpec::classes(input.family),
    };
    // The classes named in `[inputs.sources]` are registered too.
    let uids: BTreeSet<i32> = listed.iter().chain(input.sources.keys()).copied().collect();
    uids.into_iter()
        .map(|uid| {
            let class = ClassInfo::find::<Event>(uid).ok_or_else(|| {
                Error::input(format!(
                    "input {:?}: class_uid {uid} is not an OCSF 1.1.0 class",
                    input.name
                ))
            })?;
            let name = match input.sources.get(&uid) {
                Some(name) => name.clone(),
                None => source_name(&input.source_prefix, &class)?,
            };
            Ok((uid, (class, name)))
        })
        .collect()
}

/// Reconciles one custom source per class of every input (sources shared by inputs with
/// the same prefix are registered once), then resolves each input's destinations.
async fn register(
    config: &AgentConfig,
    s3: &S3Lake,
    registration: &Registration,
    base: &securitylake_core::aws::AwsConfig,
    command: &str,
) -> Result<Vec<Routes>> {
    let per_input: Vec<BTreeMap<i32, (ClassInfo, String)>> = config
        .inputs
        .iter()
        .map(input_sources)
        .collect::<Result<_>>()?;
    let mut specs = Vec::new();
    let mut seen = BTreeSet::new();
    for (uid, (class, name)) in per_input.iter().flatten() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let event_class = OcsfClass::new(*uid, class.name)?.event_class();
        let mut spec = securitylake_control::CustomSource::builder(name.clone())
            .event_class(event_class)
            .principal(registration.principal.clone())
            .external_id(registration.external_id.clone())
            .crawler_role_arn(registration.crawler_role_arn.clone());
        if let Some(version) = &config.lake.source_version {
            spec = spec.version(version.clone());
        }
        specs.push(spec.build()?);
    }
    let registrar = Registrar::new(base);
    let mut sources = BTreeMap::new();
    for done in registrar.reconcile_all(&specs).await? {
        let outcome = match &done.outcome {
            Outcome::Created => "created".to_owned(),
            Outcome::Unchanged => "unchanged".to_owned(),
            Outcome::Drifted(drift) => format!("drifted, written as registered ({drift})"),
            other => format!("{other:?}"),
        };
        eprintln!(
            "seclake {command}: custom source {}: {outcome}: {}",
            done.source.source_name, done.source.location
        );
        sources.insert(done.source.source_name.clone(), done.source);
    }
    let external_id = s3
        .external_id
        .as_deref()
        .unwrap_or(&registration.external_id);
    let mut routes = Vec::with_capacity(per_input.len());
    for classes in per_input {
        let mut destinations = BTreeMap::new();
        for (uid, (_, name)) in classes {
            let source = sources
                .get(&name)
                .cloned()
                .ok_or_else(|| Error::input(format!("custom source {name} was not reconciled")))?;
            let destination =
                registered_destination(base, source, s3.role_arn.as_deref(), Some(external_id))
                    .await?;
            destinations.insert(uid, destination);
        }
        routes.push(Routes {
            explicit: destinations,
            others: None,
        });
    }
    Ok(routes)
}

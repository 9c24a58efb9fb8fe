//! A set of custom sources, one per OCSF class, named from one prefix.

use std::collections::BTreeMap;

use super::naming::{OcsfClass, source_name_for};
use super::spec::CustomSource;
use crate::error::{Error, Result};

/// The custom sources of one product: one per OCSF class, named by
/// [`source_name_for`] from a prefix, all with the same version, principal,
/// external id and crawler role. Reconcile it with
/// [`Registrar::reconcile_all`](crate::Registrar::reconcile_all).
///
/// ```
/// use securitylake_control::{OcsfClass, SourceSet};
///
/// let set = SourceSet::builder("acme")
///     .version("1.0")
///     .class(OcsfClass::new(3002, "authentication")?)
///     .class(OcsfClass::new(1007, "process_activity")?)
///     .principal("123456789012")
///     .external_id("acme-external-id")
///     .crawler_role_arn("arn:aws:iam::123456789012:role/GlueCrawler")
///     .build()?;
/// let names: Vec<&str> = set.sources().iter().map(|s| s.name()).collect();
/// assert_eq!(names, ["acme-1007-process-ac", "acme-3002-authentica"]);
/// assert_eq!(set.source_for(3002).map(|s| s.event_classes()), Some(&["AUTHENTICATION".to_owned()][..]));
/// # Ok::<(), securitylake_control::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSet {
    prefix: String,
    /// By class uid, so that the order is stable.
    sources: BTreeMap<i32, (OcsfClass, CustomSource)>,
    ordered: Vec<CustomSource>,
}

impl SourceSet {
    /// A builder for the sources named from `prefix`.
    pub fn builder(prefix: impl Into<String>) -> SourceSetBuilder {
        SourceSetBuilder {
            prefix: prefix.into(),
            version: None,
            classes: Vec::new(),
            principal: None,
            external_id: None,
            crawler_role_arn: None,
        }
    }

    /// The prefix the names were derived from.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The specifications, ordered by class uid.
    pub fn sources(&self) -> &[CustomSource] {
        &self.ordered
    }

    /// The specification of the class with `class_uid`.
    pub fn source_for(&self, class_uid: i32) -> Option<&CustomSource> {
        self.sources.get(&class_uid).map(|(_, spec)| spec)
    }

    /// The classes, ordered by uid.
    pub fn classes(&self) -> impl Iterator<Item = &OcsfClass> {
        self.sources.values().map(|(class, _)| class)
    }
}

/// Builder of a [`SourceSet`]; [`build`](Self::build) validates.
#[derive(Debug, Clone)]
pub struct SourceSetBuilder {
    prefix: String,
    version: Option<String>,
    classes: Vec<OcsfClass>,
    principal: Option<String>,
    external_id: Option<String>,
    crawler_role_arn: Option<String>,
}

impl SourceSetBuilder {
    /// Sets the version of every source.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Adds a class (at least one is required).
    pub fn class(mut self, class: OcsfClass) -> Self {
        self.classes.push(class);
        self
    }

    /// Adds classes.
    pub fn classes(mut self, classes: impl IntoIterator<Item = OcsfClass>) -> Self {
        self.classes.extend(classes);
        self
    }

    /// Sets the principal (AWS account id) that writes the sources (required).
    pub fn principal(mut self, principal: impl Into<String>) -> Self {
        self.principal = Some(principal.into());
        self
    }

    /// Sets the external id of the provider roles (required).
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// Sets the IAM role ARN of the sources' Glue crawlers (required).
    pub fn crawler_role_arn(mut self, arn: impl Into<String>) -> Self {
        self.crawler_role_arn = Some(arn.into());
        self
    }

    /// Derives the names and validates every specification.
    ///
    /// Fails with [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
    /// when no class is given, a class uid is given twice, the prefix does not
    /// fit (see [`source_name_for`]), or a specification is invalid (see
    /// [`CustomSourceBuilder::build`](crate::CustomSourceBuilder::build)).
    pub fn build(self) -> Result<SourceSet> {
        if self.classes.is_empty() {
            return Err(Error::invalid_input(format!(
                "the source set {:?} needs at least one OCSF class",
                self.prefix
            )));
        }
        let mut sources = BTreeMap::new();
        for class in self.classes {
            if sources.contains_key(&class.uid()) {
                return Err(Error::invalid_input(format!(
                    "class_uid {} is given twice",
                    class.uid()
                )));
            }
            let mut spec = CustomSource::builder(source_name_for(&self.prefix, &class)?)
                .event_class(class.event_class());
            if let Some(version) = &self.version {
                spec = spec.version(version.clone());
            }
            if let Some(principal) = &self.principal {
                spec = spec.principal(principal.clone());
            }
            if let Some(external_id) = &self.external_id {
                spec = spec.external_id(external_id.clone());
            }
            if let Some(arn) = &self.crawler_role_arn {
                spec = spec.crawler_role_arn(arn.clone());
            }
            sources.insert(class.uid(), (class, spec.build()?));
        }
        let ordered = sources.values().map(|(_, spec)| spec.clone()).collect();
        Ok(SourceSet {
            prefix: self.prefix,
            sources,
            ordered,
        })
    }
}

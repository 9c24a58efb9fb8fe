//! The specification of one custom source, validated by the API's rules.

use crate::error::{Error, Result};

/// The longest source name accepted: 20 characters, so that the provider
/// role name `AmazonSecurityLake-Provider-<name>-<region>` stays within
/// IAM's 64 characters in every region.
pub const MAX_SOURCE_NAME_LEN: usize = 20;
/// The longest source version accepted.
pub const MAX_SOURCE_VERSION_LEN: usize = 32;

/// The specification of a custom source.
///
/// ```
/// use securitylake_control::CustomSource;
///
/// let spec = CustomSource::builder("my-app")
///     .version("1.0")
///     .event_class("AUTHENTICATION")
///     .principal("123456789012")
///     .external_id("my-external-id")
///     .crawler_role_arn("arn:aws:iam::123456789012:role/GlueCrawler")
///     .build()?;
/// assert_eq!(spec.name(), "my-app");
/// assert_eq!(spec.event_classes(), ["AUTHENTICATION"]);
///
/// let too_long = CustomSource::builder("a-name-longer-than-twenty")
///     .event_class("AUTHENTICATION")
///     .principal("123456789012")
///     .external_id("x")
///     .crawler_role_arn("arn:aws:iam::123456789012:role/GlueCrawler")
///     .build();
/// assert!(too_long.is_err());
/// # Ok::<(), securitylake_control::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomSource {
    name: String,
    version: Option<String>,
    event_classes: Vec<String>,
    principal: String,
    external_id: String,
    crawler_role_arn: String,
}

impl CustomSource {
    /// A builder for a source named `name`.
    pub fn builder(name: impl Into<String>) -> CustomSourceBuilder {
        CustomSourceBuilder {
            name: name.into(),
            version: None,
            event_classes: Vec::new(),
            principal: None,
            external_id: None,
            crawler_role_arn: None,
        }
    }

    /// The source name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The source version, if one is given.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The OCSF event class names (such as `AUTHENTICATION`), passed through
    /// to the API as given.
    pub fn event_classes(&self) -> &[String] {
        &self.event_classes
    }

    /// The principal (AWS account id) allowed to write to the source.
    pub fn principal(&self) -> &str {
        &self.principal
    }

    /// The external id that the provider role requires.
    pub fn external_id(&self) -> &str {
        &self.external_id
    }

    /// The role that the source's Glue crawler runs as.
    pub fn crawler_role_arn(&self) -> &str {
        &self.crawler_role_arn
    }
}

/// Builder of a [`CustomSource`]; [`build`](Self::build) validates.
#[derive(Debug, Clone)]
pub struct CustomSourceBuilder {
    name: String,
    version: Option<String>,
    event_classes: Vec<String>,
    principal: Option<String>,
    external_id: Option<String>,
    crawler_role_arn: Option<String>,
}

impl CustomSourceBuilder {
    /// Sets the source version: 1 to 32 characters of `[A-Za-z0-9\-._]`.
    /// Sources created with a version get the location
    /// `.../ext/<name>/<version>/`.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Adds an OCSF event class name such as `AUTHENTICATION` (required; the
    /// accepted list differs between AWS documents, so names are not
    /// checked against one). Security Lake expects one class per custom
    /// source: register one source per class.
    pub fn event_class(mut self, class: impl Into<String>) -> Self {
        self.event_classes.push(class.into());
        self
    }

    /// Sets the principal (the AWS account id) that writes to the source
    /// (required).
    pub fn principal(mut self, principal: impl Into<String>) -> Self {
        self.principal = Some(principal.into());
        self
    }

    /// Sets the external id required to assume the provider role (required).
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// Sets the IAM role ARN of the source's Glue crawler (required).
    pub fn crawler_role_arn(mut self, arn: impl Into<String>) -> Self {
        self.crawler_role_arn = Some(arn.into());
        self
    }

    /// Validates and builds the specification.
    ///
    /// Fails with [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when the name is not 1 to
    /// [`MAX_SOURCE_NAME_LEN`] characters of `[A-Za-z0-9_\-:.]`, the version
    /// is not 1 to [`MAX_SOURCE_VERSION_LEN`] characters of
    /// `[A-Za-z0-9\-._]`, no event class or an empty or duplicate one is
    /// given, the principal is not a 12-digit account id, the external id is
    /// missing, or the crawler role is not an IAM role ARN.
    pub fn build(self) -> Result<CustomSource> {
        validate_name(&self.name)?;
        if let Some(version) = &self.version {
            validate_version(version)?;
        }
        if self.event_classes.is_empty() {
            return Err(Error::invalid_input(format!(
                "custom source {:?} needs an OCSF event class",
                self.name
            )));
        }
        for (i, class) in self.event_classes.iter().enumerate() {
            if class.is_empty() || class.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(Error::invalid_input(format!(
                    "event class {class:?} is empty or contains whitespace"
                )));
            }
            if self.event_classes[..i].contains(class) {
                return Err(Error::invalid_input(format!(
                    "event class {class:?} is given twice"
                )));
            }
        }
        let principal = self
            .principal
            .ok_or_else(|| Error::invalid_input("the principal (account id) is required"))?;
        if principal.len() != 12 || !principal.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid_input(format!(
                "principal {principal:?} is not a 12-digit AWS account id"
            )));
        }
        let external_id = self
            .external_id
            .filter(|e| !e.is_empty())
            .ok_or_else(|| Error::invalid_input("the external id is required"))?;
        let crawler_role_arn = self
            .crawler_role_arn
            .ok_or_else(|| Error::invalid_input("the Glue crawler role ARN is required"))?;
        validate_role_arn(&crawler_role_arn)?;
        Ok(CustomSource {
            name: self.name,
            version: self.version,
            event_classes: self.event_classes,
            principal,
            external_id,
            crawler_role_arn,
        })
    }
}

fn validate_name(name: &str) -> Result<()> {
    let len = name.chars().count();
    if !(1..=MAX_SOURCE_NAME_LEN).contains(&len) {
        return Err(Error::invalid_input(format!(
            "source name {name:?} must be 1 to {MAX_SOURCE_NAME_LEN} characters, got {len}"
        )));
    }
    validate_api_name(name)
}

/// The API's pattern for source names, `[\w\-_:.]`.
pub(crate) fn validate_api_name(name: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > 64 {
        return Err(Error::invalid_input(format!(
            "source name {name:?} must be 1 to 64 characters"
        )));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.')))
    {
        return Err(Error::invalid_input(format!(
            "source name {name:?} contains {c:?}; allowed are A-Z a-z 0-9 _ - : ."
        )));
    }
    Ok(())
}

fn validate_version(version: &str) -> Result<()> {
    let len = version.chars().count();
    if !(1..=MAX_SOURCE_VERSION_LEN).contains(&len)
        || !version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(Error::invalid_input(format!(
            "source version {version:?} must be 1 to {MAX_SOURCE_VERSION_LEN} characters of \
             A-Z a-z 0-9 - . _"
        )));
    }
    Ok(())
}

fn validate_role_arn(arn: &str) -> Result<()> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = matches!(
        parts.as_slice(),
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty())
    );
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "{arn:?} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
        )))
    }
}

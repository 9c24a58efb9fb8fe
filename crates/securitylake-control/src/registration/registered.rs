//! A custom source as Security Lake registered it.

use aws_sdk_securitylake::types::CustomLogSourceResource;
use securitylake_core::layout::{LakeSource, SourceLocation};

use crate::error::{Error, ErrorKind, Result};

/// A custom source as Security Lake registered it.
///
/// Every value comes from the API response (`CreateCustomLogSource` or
/// `ListLogSources`); writers use [`provider_role_arn`](Self::provider_role_arn)
/// and [`location`](Self::location) as given.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegisteredSource {
    /// The source name.
    pub source_name: String,
    /// The source version, when the source has one.
    pub source_version: Option<String>,
    /// The role writers assume (with the external id) to write objects.
    pub provider_role_arn: String,
    /// Where the source's objects go (`provider.location`).
    pub location: SourceLocation,
    /// The source's Glue crawler ARN, if returned.
    pub crawler_arn: Option<String>,
    /// The Glue database ARN, if returned.
    pub database_arn: Option<String>,
    /// The Glue table ARN, if returned.
    pub table_arn: Option<String>,
}

impl AsRef<SourceLocation> for RegisteredSource {
    /// The location, so that a registration can be handed to anything that
    /// needs only where the source's objects go (such as
    /// `securitylake_source::WriterConfigBuilder::source`).
    fn as_ref(&self) -> &SourceLocation {
        &self.location
    }
}

impl RegisteredSource {
    /// A registration from facts kept elsewhere (a configuration file, the
    /// output of an earlier [`Registrar::reconcile`](crate::Registrar::reconcile)),
    /// without the Glue ARNs; add them with [`with_glue`](Self::with_glue).
    ///
    /// ```
    /// use securitylake_control::RegisteredSource;
    /// use securitylake_core::layout::SourceLocation;
    ///
    /// let source = RegisteredSource::new(
    ///     "my-app",
    ///     "arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-my-app-us-east-1",
    ///     SourceLocation::parse("s3://aws-security-data-lake-us-east-1-abc/ext/my-app/1.0/")?,
    /// )
    /// .with_source_version("1.0")
    /// .with_glue(
    ///     "arn:aws:glue:us-east-1:123456789012:crawler/my-app",
    ///     "arn:aws:glue:us-east-1:123456789012:database/amazon_security_lake_glue_db_us_east_1",
    ///     "arn:aws:glue:us-east-1:123456789012:table/amazon_security_lake_glue_db_us_east_1/amazon_security_lake_table_us_east_1_ext_my_app",
    /// );
    /// assert_eq!(source.location.prefix(), "ext/my-app/1.0/");
    /// assert_eq!(source.crawler_name(), Some("my-app"));
    /// assert_eq!(source.glue_table(), Some("amazon_security_lake_table_us_east_1_ext_my_app"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        source_name: impl Into<String>,
        provider_role_arn: impl Into<String>,
        location: SourceLocation,
    ) -> Self {
        Self {
            source_name: source_name.into(),
            source_version: None,
            provider_role_arn: provider_role_arn.into(),
            location,
            crawler_arn: None,
            database_arn: None,
            table_arn: None,
        }
    }

    /// Sets the source version.
    pub fn with_source_version(mut self, version: impl Into<String>) -> Self {
        self.source_version = Some(version.into());
        self
    }

    /// Sets the Glue crawler, database and table ARNs.
    pub fn with_glue(
        mut self,
        crawler_arn: impl Into<String>,
        database_arn: impl Into<String>,
        table_arn: impl Into<String>,
    ) -> Self {
        self.crawler_arn = Some(crawler_arn.into());
        self.database_arn = Some(database_arn.into());
        self.table_arn = Some(table_arn.into());
        self
    }

    /// Reads a source from the API's `CustomLogSourceResource`.
    ///
    /// Fails with [`ErrorKind::Service`] when the name, the provider role or
    /// the location is missing, or the location is not a custom-source
    /// location (`s3://<bucket>/ext/<name>/[<version>/]`).
    pub(crate) fn from_resource(resource: &CustomLogSourceResource) -> Result<Self> {
        let invalid = |what: &str| {
            Error::new(
                ErrorKind::Service,
                format!("Security Lake returned a custom source without {what}"),
            )
        };
        let source_name = resource
            .source_name()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid("a sourceName"))?
            .to_owned();
        let provider = resource.provider().ok_or_else(|| invalid("a provider"))?;
        let provider_role_arn = provider
            .role_arn()
            .filter(|r| !r.is_empty())
            .ok_or_else(|| invalid("provider.roleArn"))?
            .to_owned();
        let raw_location = provider
            .location()
            .ok_or_else(|| invalid("provider.location"))?;
        let location = SourceLocation::parse(raw_location).map_err(|e| {
            Error::new(
                ErrorKind::Service,
                format!("Security Lake returned an unusable location {raw_location:?}"),
            )
            .with_source(e)
        })?;
        if !matches!(location.source(), LakeSource::Custom(_)) {
            return Err(Error::new(
                ErrorKind::Service,
                format!(
                    "location {raw_location:?} of custom source {source_name} is not under ext/"
                ),
            ));
        }
        let attributes = resource.attributes();
        Ok(Self {
            source_name,
            source_version: resource.source_version().map(str::to_owned),
            provider_role_arn,
            location,
            crawler_arn: attributes.and_then(|a| a.crawler_arn()).map(str::to_owned),
            database_arn: attributes.and_then(|a| a.database_arn()).map(str::to_owned),
            table_arn: attributes.and_then(|a| a.table_arn()).map(str::to_owned),
        })
    }

    /// The Glue database name, from `databaseArn`
    /// (`arn:aws:glue:<region>:<account>:database/<name>`).
    pub fn glue_database(&self) -> Option<&str> {
        arn_resource(self.database_arn.as_deref()?, "database/")
    }

    /// The Glue table name, from `tableArn`
    /// (`arn:aws:glue:<region>:<account>:table/<database>/<table>`).
    pub fn glue_table(&self) -> Option<&str> {
        let rest = arn_resource(self.table_arn.as_deref()?, "table/")?;
        rest.split_once('/')
            .map(|(_, table)| table)
            .filter(|t| !t.is_empty())
    }

    /// The Glue crawler name, from `crawlerArn`
    /// (`arn:aws:glue:<region>:<account>:crawler/<name>`).
    pub fn crawler_name(&self) -> Option<&str> {
        arn_resource(self.crawler_arn.as_deref()?, "crawler/")
    }
}

/// The part of an ARN's resource after `kind` (`database/`, `table/`, ...).
fn arn_resource<'a>(arn: &'a str, kind: &str) -> Option<&'a str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    resource.strip_prefix(kind).filter(|r| !r.is_empty())
}

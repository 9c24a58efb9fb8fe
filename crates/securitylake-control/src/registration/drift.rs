//! How a registered source differs from its specification.

use std::fmt;

use super::{CustomSource, RegisteredSource};

/// One field in which the registered source differs from the specification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriftedField {
    /// The source version differs.
    SourceVersion {
        /// The specification's version.
        expected: Option<String>,
        /// The registered version.
        actual: Option<String>,
    },
}

impl fmt::Display for DriftedField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SourceVersion { expected, actual } => write!(
                f,
                "sourceVersion: expected {}, registered {}",
                expected.as_deref().unwrap_or("none"),
                actual.as_deref().unwrap_or("none")
            ),
        }
    }
}

/// How a registered source differs from its specification. The source was
/// left unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    fields: Vec<DriftedField>,
}

impl Drift {
    /// The differing fields (never empty).
    pub fn fields(&self) -> &[DriftedField] {
        &self.fields
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{field}")?;
        }
        Ok(())
    }
}

/// Compares a registered source with a specification.
///
/// ```
/// use securitylake_control::{CustomSource, DriftedField, RegisteredSource, registration::drift};
/// use securitylake_core::layout::SourceLocation;
///
/// let registered = RegisteredSource::new(
///     "my-app",
///     "arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-my-app-us-east-1",
///     SourceLocation::parse("s3://aws-security-data-lake-us-east-1-abc/ext/my-app/")?,
/// );
/// let spec = CustomSource::builder("my-app")
///     .version("2.0")
///     .event_class("AUTHENTICATION")
///     .principal("123456789012")
///     .external_id("x")
///     .crawler_role_arn("arn:aws:iam::123456789012:role/Glue")
///     .build()?;
/// let drift = drift(&spec, &registered).expect("the versions differ");
/// assert_eq!(
///     drift.fields(),
///     [DriftedField::SourceVersion { expected: Some("2.0".into()), actual: None }]
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn drift(spec: &CustomSource, registered: &RegisteredSource) -> Option<Drift> {
    let mut fields = Vec::new();
    if spec.version() != registered.source_version.as_deref() {
        fields.push(DriftedField::SourceVersion {
            expected: spec.version().map(str::to_owned),
            actual: registered.source_version.clone(),
        });
    }
    (!fields.is_empty()).then_some(Drift { fields })
}

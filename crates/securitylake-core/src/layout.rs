//! The Security Lake object layout: source locations, partition values,
//! partition keys, object names, and the parsing of existing keys.
//!
//! A custom source's objects live at
//! `<location>region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/<file>`,
//! where `<location>` is the `provider.location` that Security Lake returned
//! for the source (`s3://<bucket>/ext/<name>/` or, for sources created with a
//! `sourceVersion`, `s3://<bucket>/ext/<name>/<version>/`). Native (AWS) sources
//! live under `aws/<SOURCE>/<1.0|2.0>/`.
//!
//! Every type here validates its input on construction and never guesses: a
//! location that does not have one of the documented shapes is rejected rather
//! than patched up. The one tolerance is in [`ParsedKey::parse`], which accepts
//! partition names in the wrong case (`accountid=`, `eventday=`, written by
//! some samples) and reports them as [`NonConformity`] flags.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::time::{MILLIS_PER_DAY, civil_from_days, days_from_civil, days_in_month};

/// The URI scheme of a source location.
const S3_SCHEME: &str = "s3://";
/// The first key segment of custom sources.
const CUSTOM_ROOT: &str = "ext";
/// The first key segment of native (AWS) sources.
const NATIVE_ROOT: &str = "aws";
/// The file extension of lake objects.
const PARQUET_SUFFIX: &str = ".parquet";

// ---------------------------------------------------------------------------
// Small validation helpers
// ---------------------------------------------------------------------------

fn check_len(what: &str, value: &str, min: usize, max: usize) -> Result<()> {
    let len = value.len();
    if len < min || len > max {
        return Err(Error::invalid_input(format!(
            "{what} must be {min} to {max} characters long, got {len}: {value:?}"
        )));
    }
    Ok(())
}

fn check_chars(what: &str, value: &str, allowed: impl Fn(char) -> bool, rule: &str) -> Result<()> {
    if let Some(bad) = value.chars().find(|c| !allowed(*c)) {
        return Err(Error::invalid_input(format!(
            "{what} {value:?} contains {bad:?}; allowed: {rule}"
        )));
    }
    if value == "." || value == ".." {
        return Err(Error::invalid_input(format!(
            "{what} must not be {value:?}"
        )));
    }
    Ok(())
}

/// Validates an S3 bucket name (general-purpose bucket rules).
fn validate_bucket(bucket: &str) -> Result<()> {
    check_len("bucket name", bucket, 3, 63)?;
    check_chars(
        "bucket name",
        bucket,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-',
        "a-z 0-9 . -",
    )?;
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge_ok(bucket.chars().next()) || !edge_ok(bucket.chars().last()) || bucket.contains("..") {
        return Err(Error::invalid_input(format!(
            "bucket name {bucket:?} must start and end with a letter or digit and not contain '..'"
        )));
    }
    Ok(())
}

/// Decodes exactly 32 lowercase hex digits (object names never use
/// uppercase, so `ABC...` is not a lake name).
fn decode_hex32(s: &str) -> Option<[u8; 16]> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0u8; 16];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

// ---------------------------------------------------------------------------
// Sources and locations
// ---------------------------------------------------------------------------

/// A custom source: `ext/<name>/` or `ext/<name>/<version>/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomSource {
    name: String,
    version: Option<String>,
}

impl CustomSource {
    /// Creates a custom source from its name and optional source version.
    ///
    /// The name must be 1 to 64 characters of `[A-Za-z0-9_\-:.]` (Security Lake
    /// additionally limits names it registers to 20 characters; names read back
    /// from the lake are accepted up to 64). The version must be 1 to 32
    /// characters of `[A-Za-z0-9\-._]`.
    ///
    /// Prefer [`SourceLocation::parse`] on the `provider.location` that Security
    /// Lake returned: the prefix must never be derived by hand when the API gave
    /// one.
    pub fn new(name: impl Into<String>, version: Option<String>) -> Result<Self> {
        let name = name.into();
        validate_source_name(&name)?;
        if let Some(version) = &version {
            validate_source_version(version)?;
        }
        Ok(Self { name, version })
    }

    /// The source name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The source version, when the location carries one.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

fn validate_source_name(name: &str) -> Result<()> {
    check_len("source name", name, 1, 64)?;
    check_chars(
        "source name",
        name,
        |c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'),
        "A-Z a-z 0-9 _ - : .",
    )
}

fn validate_source_version(version: &str) -> Result<()> {
    check_len("source version", version, 1, 32)?;
    check_chars(
        "source version",
        version,
        |c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'),
        "A-Z a-z 0-9 _ - .",
    )
}

/// The version segment of a native (AWS) source: `1.0` or `2.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NativeVersion {
    /// `1.0`: source version 1 (OCSF 1.0.0-rc.2).
    V1,
    /// `2.0`: source version 2 (OCSF 1.1.0, Iceberg-managed).
    V2,
}

impl NativeVersion {
    /// The key segment, `1.0` or `2.0`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "1.0",
            Self::V2 => "2.0",
        }
    }
}

impl FromStr for NativeVersion {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "1.0" => Ok(Self::V1),
            "2.0" => Ok(Self::V2),
            other => Err(Error::invalid_input(format!(
                "native source version must be 1.0 or 2.0, got {other:?}"
            ))),
        }
    }
}

impl fmt::Display for NativeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A native (AWS) source: `aws/<SOURCE>/<1.0|2.0>/`, for example
/// `aws/CLOUD_TRAIL_MGMT/2.0/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NativeSource {
    name: String,
    version: NativeVersion,
}

impl NativeSource {
    /// Creates a native source. The name must be 1 to 64 characters of
    /// `[A-Z0-9_]` starting with a letter (`ROUTE53`, `VPC_FLOW`, ...); names
    /// outside the currently known list are accepted so that new AWS sources
    /// can be read.
    pub fn new(name: impl Into<String>, version: NativeVersion) -> Result<Self> {
        let name = name.into();
        check_len("native source name", &name, 1, 64)?;
        check_chars(
            "native source name",
            &name,
            |c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_',
            "A-Z 0-9 _",
        )?;
        if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Err(Error::invalid_input(format!(
                "native source name {name:?} must start with an uppercase letter"
            )));
        }
        Ok(Self { name, version })
    }

    /// The source name, for example `VPC_FLOW`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The source version.
    pub fn version(&self) -> NativeVersion {
        self.version
    }
}

/// The source that a location or key belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LakeSource {
    /// A custom source (`ext/...`).
    Custom(CustomSource),
    /// A native AWS source (`aws/...`).
    Native(NativeSource),
}

impl LakeSource {
    /// The source name.
    pub fn name(&self) -> &str {
        match self {
            Self::Custom(s) => s.name(),
            Self::Native(s) => s.name(),
        }
    }

    /// The source version: the custom source version if any, or `1.0`/`2.0`.
    pub fn version(&self) -> Option<&str> {
        match self {
            Self::Custom(s) => s.version(),
            Self::Native(s) => Some(s.version().as_str()),
        }
    }

    /// Whether this is a custom source.
    pub fn is_custom(&self) -> bool {
        matches!(self, Self::Custom(_))
    }

    /// The key prefix of the source inside its bucket, ending in `/`
    /// (`ext/<name>/`, `ext/<name>/<version>/` or `aws/<SOURCE>/<1.0|2.0>/`).
    pub fn prefix(&self) -> String {
        match self {
            Self::Custom(CustomSource {
                name,
                version: Some(version),
            }) => format!("{CUSTOM_ROOT}/{name}/{version}/"),
            Self::Custom(CustomSource {
                name,
                version: None,
            }) => format!("{CUSTOM_ROOT}/{name}/"),
            Self::Native(NativeSource { name, version }) => {
                format!("{NATIVE_ROOT}/{name}/{version}/")
            }
        }
    }
}

/// The bucket name that stands for a local lake directory: a
/// [`local_store`](crate::store::local_store) of the directory holds the keys a
/// bucket of this name would, and readers of a local lake report objects in it.
///
/// ```
/// use securitylake_core::layout::{CustomSource, LakeSource, SourceLocation, LOCAL_BUCKET};
///
/// let source = CustomSource::new("bastion", Some("1.0".into()))?;
/// let loc = SourceLocation::new(LOCAL_BUCKET, LakeSource::Custom(source))?;
/// assert_eq!(loc.to_string(), "s3://local/ext/bastion/1.0/");
/// # Ok::<(), securitylake_core::Error>(())
/// ```
pub const LOCAL_BUCKET: &str = "local";

/// Where a source's objects live: a bucket and the source prefix, parsed from
/// `provider.location`.
///
/// ```
/// use securitylake_core::layout::SourceLocation;
///
/// let loc = SourceLocation::parse("s3://aws-security-data-lake-us-east-1-abc/ext/myapp/1.0/")?;
/// assert_eq!(loc.bucket(), "aws-security-data-lake-us-east-1-abc");
/// assert_eq!(loc.source().name(), "myapp");
/// assert_eq!(loc.source().version(), Some("1.0"));
/// assert_eq!(loc.prefix(), "ext/myapp/1.0/");
/// assert_eq!(loc.to_string(), "s3://aws-security-data-lake-us-east-1-abc/ext/myapp/1.0/");
/// # Ok::<(), securitylake_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceLocation {
    bucket: String,
    source: LakeSource,
}

impl SourceLocation {
    /// Creates a location from a bucket and a source.
    pub fn new(bucket: impl Into<String>, source: LakeSource) -> Result<Self> {
        let bucket = bucket.into();
        validate_bucket(&bucket)?;
        Ok(Self { bucket, source })
    }

    /// Parses `s3://<bucket>/ext/<name>/`, `s3://<bucket>/ext/<name>/<version>/`
    /// or `s3://<bucket>/aws/<SOURCE>/<1.0|2.0>/`.
    ///
    /// The trailing `/` may be omitted (the shape is unambiguous without it).
    /// Anything else (another scheme, extra or missing segments, empty
    /// segments, a partition segment) is rejected with
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput).
    pub fn parse(location: &str) -> Result<Self> {
        let rest = location.strip_prefix(S3_SCHEME).ok_or_else(|| {
            Error::invalid_input(format!(
                "source location {location:?} must start with s3://"
            ))
        })?;
        let (bucket, path) = rest.split_once('/').ok_or_else(|| {
            Error::invalid_input(format!(
                "source location {location:?} has no source prefix after the bucket"
            ))
        })?;
        validate_bucket(bucket)?;
        let path = path.strip_suffix('/').unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        if segments.iter().any(|s| s.is_empty()) {
            return Err(Error::invalid_input(format!(
                "source location {location:?} contains an empty path segment"
            )));
        }
        let source = match segments.as_slice() {
            [CUSTOM_ROOT, name] => LakeSource::Custom(CustomSource::new(*name, None)?),
            [CUSTOM_ROOT, name, version] => {
                LakeSource::Custom(CustomSource::new(*name, Some((*version).to_owned()))?)
            }
            [NATIVE_ROOT, name, version] => {
                LakeSource::Native(NativeSource::new(*name, version.parse()?)?)
            }
            _ => {
                return Err(Error::invalid_input(format!(
                    "source location {location:?} is not of the form s3://<bucket>/ext/<name>/[<version>/] \
                     or s3://<bucket>/aws/<SOURCE>/<1.0|2.0>/"
                )));
            }
        };
        Ok(Self {
            bucket: bucket.to_owned(),
            source,
        })
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The source.
    pub fn source(&self) -> &LakeSource {
        &self.source
    }

    /// The lake's region, read from the bucket name when it is a Security
    /// Lake bucket (`aws-security-data-lake-<region>-<suffix>`); `None` for
    /// other buckets.
    ///
    /// ```
    /// use securitylake_core::layout::SourceLocation;
    ///
    /// let loc = SourceLocation::parse("s3://aws-security-data-lake-eu-west-2-x7k/ext/app/")?;
    /// assert_eq!(loc.lake_region().map(|r| r.as_str().to_owned()).as_deref(), Some("eu-west-2"));
    /// let gov = SourceLocation::parse("s3://aws-security-data-lake-us-gov-west-1-x7k/ext/app/")?;
    /// assert_eq!(gov.lake_region().map(|r| r.as_str().to_owned()).as_deref(), Some("us-gov-west-1"));
    /// assert!(SourceLocation::parse("s3://my-bucket/ext/app/")?.lake_region().is_none());
    /// # Ok::<(), securitylake_core::Error>(())
    /// ```
    pub fn lake_region(&self) -> Option<Region> {
        let rest = self.bucket.strip_prefix("aws-security-data-lake-")?;
        let tokens: Vec<&str> = rest.split('-').collect();
        // A region is letters-...-digits: `us-east-1`, `us-gov-west-1`; a
        // suffix follows it.
        let end = tokens
            .iter()
            .position(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))?;
        if end < 2 || end + 1 >= tokens.len() {
            return None;
        }
        if !tokens[..end]
            .iter()
            .all(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_lowercase()))
        {
            return None;
        }
        Region::new(tokens[..=end].join("-")).ok()
    }

    /// The key prefix inside the bucket, ending in `/`.
    pub fn prefix(&self) -> String {
        self.source.prefix()
    }

    /// The key prefix of one partition inside the bucket, ending in `/`.
    pub fn partition_prefix(&self, partition: &PartitionKey) -> String {
        format!("{}{partition}", self.prefix())
    }

    /// The full object key inside the bucket:
    /// `<prefix>region=<r>/accountId=<a>/eventDay=<d>/<name>`.
    pub fn object_key(&self, partition: &PartitionKey, name: &ObjectName) -> String {
        format!("{}{partition}{name}", self.prefix())
    }
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{S3_SCHEME}{}/{}", self.bucket, self.source.prefix())
    }
}

impl FromStr for SourceLocation {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

// ---------------------------------------------------------------------------
// Partition values
// ---------------------------------------------------------------------------

/// The `region=` partition value: the lake's AWS region, such as `us-east-1`.
///
/// Validated as lowercase, hyphen-separated segments of letters and digits:
/// at least three segments, the first letters only and the last digits only
/// (`us-east-1`, `us-gov-west-1`, `ap-southeast-7`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(String);

impl Region {
    /// Validates and wraps a region name.
    pub fn new(region: impl Into<String>) -> Result<Self> {
        let region = region.into();
        check_len("region", &region, 1, 32)?;
        let segments: Vec<&str> = region.split('-').collect();
        let valid = segments.len() >= 3
            && segments.iter().all(|s| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
            && segments
                .first()
                .is_some_and(|s| s.chars().all(|c| c.is_ascii_lowercase()))
            && segments
                .last()
                .is_some_and(|s| s.chars().all(|c| c.is_ascii_digit()));
        if !valid {
            return Err(Error::invalid_input(format!(
                "region {region:?} is not a region name such as us-east-1"
            )));
        }
        Ok(Self(region))
    }

    /// The region name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Region {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

/// The `accountId=` partition value: the AWS account the records pertain to,
/// or `external` / `external_<id>` for data from outside AWS.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AccountId {
    /// A 12-digit AWS account id.
    Aws(String),
    /// `external`: data from outside AWS.
    External,
    /// `external_<id>`: data from outside AWS, with a caller-chosen id of 1 to
    /// 64 characters of `[A-Za-z0-9_.-]`.
    ExternalWithId(String),
}

impl AccountId {
    /// Parses `<12 digits>`, `external` or `external_<id>`.
    pub fn parse(value: &str) -> Result<Self> {
        if value == "external" {
            return Ok(Self::External);
        }
        if let Some(id) = value.strip_prefix("external_") {
            return Self::external(id);
        }
        Self::aws(value)
    }

    /// A 12-digit AWS account id.
    pub fn aws(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid_input(format!(
                "account id {id:?} must be 12 digits, `external` or `external_<id>`"
            )));
        }
        Ok(Self::Aws(id))
    }

    /// `external_<id>`.
    pub fn external(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        check_len("external account id", &id, 1, 64)?;
        check_chars(
            "external account id",
            &id,
            |c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'),
            "A-Z a-z 0-9 _ - .",
        )?;
        Ok(Self::ExternalWithId(id))
    }

    /// Whether the records come from outside AWS.
    pub fn is_external(&self) -> bool {
        !matches!(self, Self::Aws(_))
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Aws(id) => f.write_str(id),
            Self::External => f.write_str("external"),
            Self::ExternalWithId(id) => write!(f, "external_{id}"),
        }
    }
}

impl FromStr for AccountId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// The `eventDay=` partition value: a UTC calendar day, rendered `%Y%m%d`.
///
/// It is derived from the record's own event time (`time`, epoch milliseconds
/// UTC), never from the write time. Days from year 0001 to 9999 are supported
/// so that the rendering is always eight digits; instants before 1970 are
/// handled with floor division (`-1` ms is 1969-12-31), not rejected.
///
/// ```
/// use securitylake_core::layout::EventDay;
///
/// let day = EventDay::from_epoch_millis(1_709_164_800_000)?; // 2024-02-29T00:00:00Z
/// assert_eq!(day.to_string(), "20240229");
/// assert_eq!(EventDay::from_epoch_millis(-1)?.to_string(), "19691231");
/// # Ok::<(), securitylake_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventDay {
    year: u16,
    month: u8,
    day: u8,
}

impl EventDay {
    /// The first supported year.
    pub const MIN_YEAR: u16 = 1;
    /// The last supported year.
    pub const MAX_YEAR: u16 = 9999;

    /// A validated calendar day.
    pub fn from_ymd(year: u16, month: u8, day: u8) -> Result<Self> {
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year)
            || !(1..=12).contains(&month)
            || day < 1
            || u32::from(day) > days_in_month(i64::from(year), u32::from(month))
        {
            return Err(Error::invalid_input(format!(
                "{year:04}-{month:02}-{day:02} is not a calendar day between 0001-01-01 and 9999-12-31"
            )));
        }
        Ok(Self { year, month, day })
    }

    /// The UTC day that contains `millis` milliseconds since the Unix epoch.
    pub fn from_epoch_millis(millis: i64) -> Result<Self> {
        let days = millis.div_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let (Ok(year), Ok(month), Ok(day)) =
            (u16::try_from(year), u8::try_from(month), u8::try_from(day))
        else {
            return Err(Error::invalid_input(format!(
                "epoch milliseconds {millis} fall outside years 0001 to 9999"
            )));
        };
        Self::from_ymd(year, month, day).map_err(|_| {
            Error::invalid_input(format!(
                "epoch milliseconds {millis} fall outside years 0001 to 9999"
            ))
        })
    }

    /// Parses the eight-digit `YYYYMMDD` form.
    pub fn parse(value: &str) -> Result<Self> {
        let bad =
            || Error::invalid_input(format!("event day {value:?} is not a valid YYYYMMDD date"));
        if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year = value[0..4].parse::<u16>().map_err(|_| bad())?;
        let month = value[4..6].parse::<u8>().map_err(|_| bad())?;
        let day = value[6..8].parse::<u8>().map_err(|_| bad())?;
        Self::from_ymd(year, month, day).map_err(|_| bad())
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1 to 31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Milliseconds since the Unix epoch of this day's first instant (00:00:00.000Z).
    pub fn start_epoch_millis(self) -> i64 {
        days_from_civil(
            i64::from(self.year),
            u32::from(self.month),
            u32::from(self.day),
        ) * MILLIS_PER_DAY
    }

    /// Whether `millis` (epoch milliseconds) falls within this UTC day.
    pub fn contains_epoch_millis(self, millis: i64) -> bool {
        let start = self.start_epoch_millis();
        millis >= start && millis - start < MILLIS_PER_DAY
    }
}

impl fmt::Display for EventDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for EventDay {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// The three partition values of an object, rendered exactly
/// `region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/`.
///
/// ```
/// use securitylake_core::layout::{AccountId, EventDay, PartitionKey, Region};
///
/// let key = PartitionKey::new(
///     Region::new("eu-west-1")?,
///     AccountId::External,
///     EventDay::from_ymd(2024, 1, 31)?,
/// );
/// assert_eq!(key.to_string(), "region=eu-west-1/accountId=external/eventDay=20240131/");
/// # Ok::<(), securitylake_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionKey {
    region: Region,
    account_id: AccountId,
    event_day: EventDay,
}

impl PartitionKey {
    /// Combines the three partition values.
    pub fn new(region: Region, account_id: AccountId, event_day: EventDay) -> Self {
        Self {
            region,
            account_id,
            event_day,
        }
    }

    /// The partition of an event at `event_time_millis` (the event's own time).
    pub fn for_event_time(
        region: Region,
        account_id: AccountId,
        event_time_millis: i64,
    ) -> Result<Self> {
        Ok(Self::new(
            region,
            account_id,
            EventDay::from_epoch_millis(event_time_millis)?,
        ))
    }

    /// Parses the exact form `region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/`
    /// (the trailing `/` optional). Unlike [`ParsedKey::parse`] this is strict
    /// about the casing of the partition names.
    pub fn parse(value: &str) -> Result<Self> {
        let trimmed = value.strip_suffix('/').unwrap_or(value);
        let parts: Vec<&str> = trimmed.split('/').collect();
        let [region, account, day] = parts.as_slice() else {
            return Err(Error::invalid_input(format!(
                "partition {value:?} must have exactly three segments"
            )));
        };
        let (region, _) = parse_partition_segment(region, "region", true)?;
        let (account, _) = parse_partition_segment(account, "accountId", true)?;
        let (day, _) = parse_partition_segment(day, "eventDay", true)?;
        Ok(Self::new(
            Region::new(region)?,
            AccountId::parse(account)?,
            EventDay::parse(day)?,
        ))
    }

    /// The region.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The account id.
    pub fn account_id(&self) -> &AccountId {
        &self.account_id
    }

    /// The event day.
    pub fn event_day(&self) -> EventDay {
        self.event_day
    }
}

impl fmt::Display for PartitionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "region={}/accountId={}/eventDay={}/",
            self.region, self.account_id, self.event_day
        )
    }
}

/// Splits `name=value`, matching `name` exactly (`strict`) or ignoring ASCII
/// case. Returns the value and whether the name's case differed.
fn parse_partition_segment<'a>(
    segment: &'a str,
    name: &str,
    strict: bool,
) -> Result<(&'a str, bool)> {
    let bad = || Error::invalid_input(format!("key segment {segment:?} is not `{name}=<value>`"));
    let (found, value) = segment.split_once('=').ok_or_else(bad)?;
    if found == name {
        Ok((value, false))
    } else if !strict && found.eq_ignore_ascii_case(name) {
        Ok((value, true))
    } else {
        Err(bad())
    }
}

// ---------------------------------------------------------------------------
// Object names
// ---------------------------------------------------------------------------

/// The Parquet compression codec named in an object's file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Codec {
    /// ZSTD, the codec Security Lake recommends: `.zstd.parquet`.
    Zstd,
    /// GZIP, used by native sources: `.gz.parquet`.
    Gzip,
    /// SNAPPY, pyarrow's default: `.snappy.parquet`.
    Snappy,
}

impl Codec {
    /// The infix between the name and `.parquet`: `zstd`, `gz` or `snappy`.
    pub const fn infix(self) -> &'static str {
        match self {
            Self::Zstd => "zstd",
            Self::Gzip => "gz",
            Self::Snappy => "snappy",
        }
    }

    /// The codec for an infix, exactly as [`Codec::infix`] renders it.
    pub fn from_infix(infix: &str) -> Option<Self> {
        match infix {
            "zstd" => Some(Self::Zstd),
            "gz" => Some(Self::Gzip),
            "snappy" => Some(Self::Snappy),
            _ => None,
        }
    }

    /// The codec named by a file name ending in `.<infix>.parquet`.
    pub fn from_file_name(file_name: &str) -> Option<Self> {
        let stem = file_name.strip_suffix(PARQUET_SUFFIX)?;
        let (_, infix) = stem.rsplit_once('.')?;
        Self::from_infix(infix)
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.infix())
    }
}

/// An object's file name: 32 lowercase hex digits, the codec infix and
/// `.parquet`, for example `0123456789abcdef0123456789abcdef.zstd.parquet`.
///
/// Names derived with [`ObjectName::from_content`] are deterministic, so a
/// retried upload of the same bytes lands on the same key (idempotent writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectName {
    digest: [u8; 16],
    codec: Codec,
}

static RANDOM_NAME_COUNTER: AtomicU64 = AtomicU64::new(0);

impl ObjectName {
    /// A name from 16 raw bytes.
    pub fn from_digest(digest: [u8; 16], codec: Codec) -> Self {
        Self { digest, codec }
    }

    /// The deterministic name of `content`: the first 16 bytes of its SHA-256.
    pub fn from_content(content: &[u8], codec: Codec) -> Self {
        let hash = Sha256::digest(content);
        let mut digest = [0u8; 16];
        digest.copy_from_slice(&hash[..16]);
        Self { digest, codec }
    }

    /// A random name: 128 bits hashed from a per-process random seed, the
    /// clock, the process id and a counter, so names never repeat within a
    /// process and collide across processes with negligible probability.
    pub fn random(codec: Codec) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(fastrand::u128(..).to_le_bytes());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        hasher.update(nanos.to_le_bytes());
        hasher.update(std::process::id().to_le_bytes());
        hasher.update(
            RANDOM_NAME_COUNTER
                .fetch_add(1, Ordering::Relaxed)
                .to_le_bytes(),
        );
        let hash = hasher.finalize();
        let mut digest = [0u8; 16];
        digest.copy_from_slice(&hash[..16]);
        Self { digest, codec }
    }

    /// Parses `<32 lowercase hex>.<zstd|gz|snappy>.parquet`.
    pub fn parse(file_name: &str) -> Result<Self> {
        let bad = || {
            Error::invalid_input(format!(
                "object name {file_name:?} is not <32 lowercase hex>.<zstd|gz|snappy>.parquet"
            ))
        };
        let stem = file_name.strip_suffix(PARQUET_SUFFIX).ok_or_else(bad)?;
        let (hex, infix) = stem.split_once('.').ok_or_else(bad)?;
        let codec = Codec::from_infix(infix).ok_or_else(bad)?;
        let digest = decode_hex32(hex).ok_or_else(bad)?;
        Ok(Self { digest, codec })
    }

    /// The 32 lowercase hex digits.
    pub fn hex(&self) -> String {
        hex::encode(self.digest)
    }

    /// The raw 16 bytes.
    pub fn digest(&self) -> [u8; 16] {
        self.digest
    }

    /// The codec.
    pub fn codec(&self) -> Codec {
        self.codec
    }
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}{PARQUET_SUFFIX}", self.hex(), self.codec.infix())
    }
}

impl FromStr for ObjectName {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

// ---------------------------------------------------------------------------
// Parsing existing keys
// ---------------------------------------------------------------------------

/// A deviation from the documented layout that [`ParsedKey::parse`] tolerated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NonConformity {
    /// A partition name in the wrong case, such as `accountid=` for
    /// `accountId=` (a known bug of some samples).
    PartitionNameCase {
        /// The documented name.
        expected: &'static str,
        /// The name as found in the key.
        found: String,
    },
    /// The file name is not `<32 lowercase hex>.<codec>.parquet`. Security Lake
    /// does not specify file names, but native files follow this form and some
    /// subscribers filter on `[0-9a-f]{32}\..*parquet`.
    FileName,
}

/// The parts of an object key of a custom (`ext/...`) or native (`aws/...`)
/// source.
///
/// ```
/// use securitylake_core::layout::{Codec, ParsedKey};
///
/// let key = ParsedKey::parse(
///     "aws/VPC_FLOW/2.0/region=us-east-1/accountId=123456789012/eventDay=20240229/\
///      0123456789abcdef0123456789abcdef.gz.parquet",
/// )?;
/// assert_eq!(key.source().name(), "VPC_FLOW");
/// assert_eq!(key.partition().event_day().to_string(), "20240229");
/// assert_eq!(key.codec(), Some(Codec::Gzip));
/// assert!(key.is_conforming());
///
/// let lax = ParsedKey::parse("ext/app/region=us-east-1/accountid=external/eventday=20240101/x.parquet")?;
/// assert!(!lax.is_conforming());
/// # Ok::<(), securitylake_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedKey {
    source: LakeSource,
    partition: PartitionKey,
    file_name: String,
    non_conformities: Vec<NonConformity>,
}

impl ParsedKey {
    /// Parses an object key (inside the bucket, without a leading `/`).
    ///
    /// Accepted: `ext/<name>/[<version>/]<partition>/<file>` and
    /// `aws/<SOURCE>/<1.0|2.0>/<partition>/<file>` where `<partition>` is
    /// `region=<r>/accountId=<a>/eventDay=<YYYYMMDD>`. Partition names are
    /// matched ignoring ASCII case; each one in the wrong case is reported as
    /// a [`NonConformity::PartitionNameCase`]. Partition values are validated
    /// as strictly as when building keys. The file name may be any non-empty
    /// segment; one that is not `<32 hex>.<codec>.parquet` is reported as
    /// [`NonConformity::FileName`].
    pub fn parse(key: &str) -> Result<Self> {
        let bad_shape = |why: &str| Error::invalid_input(format!("object key {key:?} {why}"));
        let segments: Vec<&str> = key.split('/').collect();
        if segments.iter().any(|s| s.is_empty()) {
            return Err(bad_shape("contains an empty segment (or ends with '/')"));
        }
        let (source, rest) = match segments.as_slice() {
            [CUSTOM_ROOT, name, third, rest @ ..] => {
                let is_partition = third
                    .split_once('=')
                    .is_some_and(|(n, _)| n.eq_ignore_ascii_case("region"));
                if is_partition {
                    let source = CustomSource::new(*name, None)?;
                    (LakeSource::Custom(source), &segments[2..])
                } else {
                    let source = CustomSource::new(*name, Some((*third).to_owned()))?;
                    (LakeSource::Custom(source), rest)
                }
            }
            [NATIVE_ROOT, name, version, rest @ ..] => (
                LakeSource::Native(NativeSource::new(*name, version.parse()?)?),
                rest,
            ),
            _ => {
                return Err(bad_shape(
                    "is not under ext/<name>/ or aws/<SOURCE>/<version>/",
                ));
            }
        };
        let [region, account, day, file_name] = rest else {
            return Err(bad_shape(
                "does not end in region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/<file>",
            ));
        };
        let mut non_conformities = Vec::new();
        let mut segment = |segment: &str, name: &'static str| -> Result<String> {
            let (value, wrong_case) = parse_partition_segment(segment, name, false)?;
            if wrong_case {
                let found = segment.split_once('=').map(|(n, _)| n).unwrap_or(segment);
                non_conformities.push(NonConformity::PartitionNameCase {
                    expected: name,
                    found: found.to_owned(),
                });
            }
            Ok(value.to_owned())
        };
        let region = Region::new(segment(region, "region")?)?;
        let account = AccountId::parse(&segment(account, "accountId")?)?;
        let day = EventDay::parse(&segment(day, "eventDay")?)?;
        if ObjectName::parse(file_name).is_err() {
            non_conformities.push(NonConformity::FileName);
        }
        Ok(Self {
            source,
            partition: PartitionKey::new(region, account, day),
            file_name: (*file_name).to_owned(),
            non_conformities,
        })
    }

    /// The source.
    pub fn source(&self) -> &LakeSource {
        &self.source
    }

    /// The partition values.
    pub fn partition(&self) -> &PartitionKey {
        &self.partition
    }

    /// The file name (the last key segment).
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The codec named by the file name, if it has a known `.<infix>.parquet`.
    pub fn codec(&self) -> Option<Codec> {
        Codec::from_file_name(&self.file_name)
    }

    /// The file name as an [`ObjectName`], if it has that form.
    pub fn object_name(&self) -> Option<ObjectName> {
        ObjectName::parse(&self.file_name).ok()
    }

    /// Whether the file name ends in `.parquet`.
    pub fn is_parquet(&self) -> bool {
        self.file_name.ends_with(PARQUET_SUFFIX)
    }

    /// The deviations from the documented layout that were tolerated.
    pub fn non_conformities(&self) -> &[NonConformity] {
        &self.non_conformities
    }

    /// Whether the key follows the documented layout exactly.
    pub fn is_conforming(&self) -> bool {
        self.non_conformities.is_empty()
    }

    /// The key rebuilt in the documented form (correct partition-name casing).
    pub fn canonical_key(&self) -> String {
        format!(
            "{}{}{}",
            self.source.prefix(),
            self.partition,
            self.file_name
        )
    }
}

impl FromStr for ParsedKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn day(millis: i64) -> String {
        match EventDay::from_epoch_millis(millis) {
            Ok(d) => d.to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn event_day_epoch_and_midnight_boundaries() {
        assert_eq!(day(0), "19700101");
        assert_eq!(day(MILLIS_PER_DAY - 1), "19700101");
        assert_eq!(day(MILLIS_PER_DAY), "19700102");
        // 2024-03-15T00:00:00Z = 1710460800000
        assert_eq!(day(1_710_460_800_000 - 1), "20240314");
        assert_eq!(day(1_710_460_800_000), "20240315");
        // 2023-12-31T23:59:59.999Z -> 2024-01-01T00:00:00Z
        assert_eq!(day(1_704_067_200_000 - 1), "20231231");
        assert_eq!(day(1_704_067_200_000), "20240101");
    }

    #[test]
    fn event_day_leap_years() {
        // 2024-02-28T12:00Z, 2024-02-29T00:00Z, 2024-03-01T00:00Z
        assert_eq!(day(1_709_121_600_000), "20240228");
        assert_eq!(day(1_709_164_800_000), "20240229");
        assert_eq!(day(1_709_251_200_000), "20240301");
        // 2023 is not a leap year: 2023-02-28 is followed by 2023-03-01.
        assert_eq!(day(1_677_628_800_000 - 1), "20230228");
        assert_eq!(day(1_677_628_800_000), "20230301");
        // 2000 is a leap year (divisible by 400), 2100 is not.
        assert_eq!(day(951_782_400_000), "20000229");
        assert_eq!(day(4_107_542_400_000 - 1), "21000228");
        assert_eq!(day(4_107_542_400_000), "21000301");
        assert!(EventDay::from_ymd(2024, 2, 29).is_ok());
        assert!(EventDay::from_ymd(2023, 2, 29).is_err());
        assert!(EventDay::from_ymd(1900, 2, 29).is_err());
        assert!(EventDay::from_ymd(2000, 2, 29).is_ok());
    }

    #[test]
    fn event_day_before_1970_and_limits() {
        assert_eq!(day(-1), "19691231");
        assert_eq!(day(-MILLIS_PER_DAY), "19691231");
        assert_eq!(day(-MILLIS_PER_DAY - 1), "19691230");
        // 1969-07-20T20:17Z
        assert_eq!(day(-14_182_940_000), "19690720");
        // 0001-01-01 and 9999-12-31 are the limits.
        let first = EventDay::from_ymd(1, 1, 1).map(EventDay::start_epoch_millis);
        let last = EventDay::from_ymd(9999, 12, 31).map(EventDay::start_epoch_millis);
        let (Ok(first), Ok(last)) = (first, last) else {
            panic!("limits must be valid days");
        };
        assert_eq!(day(first), "00010101");
        assert_eq!(day(last + MILLIS_PER_DAY - 1), "99991231");
        for out_of_range in [first - 1, last + MILLIS_PER_DAY, i64::MIN, i64::MAX] {
            let err = EventDay::from_epoch_millis(out_of_range).err();
            assert_eq!(
                err.map(|e| e.kind()),
                Some(ErrorKind::InvalidInput),
                "{out_of_range}"
            );
        }
    }

    #[test]
    fn event_day_round_trips_over_a_range_of_days() {
        let mut previous: Option<EventDay> = None;
        for days in -719_162..=2_932_896_i64 {
            if days % 97 != 0 {
                continue;
            }
            let millis = days * MILLIS_PER_DAY;
            let Ok(d) = EventDay::from_epoch_millis(millis) else {
                panic!("day {days} must be valid");
            };
            assert_eq!(d.start_epoch_millis(), millis);
            assert!(d.contains_epoch_millis(millis + MILLIS_PER_DAY - 1));
            assert!(!d.contains_epoch_millis(millis + MILLIS_PER_DAY));
            assert!(!d.contains_epoch_millis(millis - 1));
            assert_eq!(EventDay::parse(&d.to_string()).ok(), Some(d));
            if let Some(p) = previous {
                assert!(p < d);
            }
            previous = Some(d);
        }
    }

    #[test]
    fn event_day_parse_rejects_garbage() {
        for bad in [
            "2024022",
            "202402290",
            "2024-02-",
            "20240230",
            "20241301",
            "00000101",
            "2024a229",
            "+2024022",
        ] {
            assert!(EventDay::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            EventDay::parse("20240229")
                .map(|d| (d.year(), d.month(), d.day()))
                .ok(),
            Some((2024, 2, 29))
        );
    }

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "ap-southeast-7",
            "cn-northwest-1",
            "us-isob-east-1",
        ] {
            assert_eq!(
                Region::new(ok).map(|r| r.to_string()).ok().as_deref(),
                Some(ok)
            );
        }
        for bad in [
            "",
            "US-EAST-1",
            "us-east",
            "us--east-1",
            "us-east-1a",
            "1s-east-1",
            "us_east_1",
            "us-east-1/",
        ] {
            assert!(Region::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn account_ids() {
        assert_eq!(
            AccountId::parse("123456789012").ok(),
            Some(AccountId::Aws("123456789012".into()))
        );
        assert_eq!(AccountId::parse("external").ok(), Some(AccountId::External));
        assert_eq!(
            AccountId::parse("external_onprem-1").ok(),
            Some(AccountId::ExternalWithId("onprem-1".into()))
        );
        assert_eq!(
            AccountId::parse("external_onprem-1")
                .map(|a| a.to_string())
                .ok()
                .as_deref(),
            Some("external_onprem-1")
        );
        assert!(AccountId::External.is_external());
        for bad in [
            "12345678901",
            "1234567890123",
            "12345678901a",
            "external_",
            "External",
            "external_a/b",
            "external_a=b",
            "",
        ] {
            assert!(AccountId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn partition_key_renders_exact_casing() -> Result<()> {
        let key = PartitionKey::for_event_time(
            Region::new("us-east-1")?,
            AccountId::aws("123456789012")?,
            1_709_164_800_000,
        )?;
        assert_eq!(
            key.to_string(),
            "region=us-east-1/accountId=123456789012/eventDay=20240229/"
        );
        assert_eq!(PartitionKey::parse(&key.to_string())?, key);
        assert!(
            PartitionKey::parse("region=us-east-1/accountid=123456789012/eventDay=20240229/")
                .is_err()
        );
        assert!(PartitionKey::parse("region=us-east-1/accountId=123456789012/").is_err());
        Ok(())
    }

    #[test]
    fn source_locations() -> Result<()> {
        let loc = SourceLocation::parse("s3://aws-security-data-lake-us-east-1-xyz/ext/my-app/")?;
        assert_eq!(loc.bucket(), "aws-security-data-lake-us-east-1-xyz");
        assert_eq!(
            loc.source(),
            &LakeSource::Custom(CustomSource::new("my-app", None)?)
        );
        assert_eq!(loc.prefix(), "ext/my-app/");
        assert_eq!(
            loc.to_string(),
            "s3://aws-security-data-lake-us-east-1-xyz/ext/my-app/"
        );

        let versioned = SourceLocation::parse("s3://bucket-1/ext/my_app/2.1.0/")?;
        assert_eq!(versioned.source().version(), Some("2.1.0"));
        assert_eq!(versioned.prefix(), "ext/my_app/2.1.0/");

        let no_slash = SourceLocation::parse("s3://bucket-1/ext/my_app")?;
        assert_eq!(no_slash.prefix(), "ext/my_app/");

        let native = SourceLocation::parse("s3://bucket-1/aws/CLOUD_TRAIL_MGMT/2.0/")?;
        assert!(!native.source().is_custom());
        assert_eq!(native.source().version(), Some("2.0"));
        assert_eq!(native.prefix(), "aws/CLOUD_TRAIL_MGMT/2.0/");

        for bad in [
            "https://bucket-1/ext/app/",
            "s3://bucket-1",
            "s3://bucket-1/",
            "s3://bucket-1/ext/",
            "s3://bucket-1/ext//",
            "s3://bucket-1/ext/app//",
            "s3://bucket-1/ext/app/v1/extra/",
            "s3://bucket-1/ext/app/region=us-east-1/",
            "s3://bucket-1/other/app/",
            "s3://bucket-1/aws/VPC_FLOW/",
            "s3://bucket-1/aws/VPC_FLOW/3.0/",
            "s3://bucket-1/aws/vpc_flow/1.0/",
            "s3://Bucket/ext/app/",
            "s3://b/ext/app/",
            "s3://bucket-1/ext/a b/",
            "s3://bucket-1/ext/../",
        ] {
            let err = SourceLocation::parse(bad).err();
            assert_eq!(
                err.map(|e| e.kind()),
                Some(ErrorKind::InvalidInput),
                "{bad}"
            );
        }
        Ok(())
    }

    #[test]
    fn object_names() -> Result<()> {
        let a = ObjectName::from_content(b"hello", Codec::Zstd);
        let b = ObjectName::from_content(b"hello", Codec::Zstd);
        let c = ObjectName::from_content(b"hello!", Codec::Zstd);
        assert_eq!(a, b);
        assert_ne!(a, c);
        // SHA-256("hello") = 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
        assert_eq!(
            a.to_string(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e.zstd.parquet"
        );
        assert_eq!(ObjectName::parse(&a.to_string())?, a);

        let gz = ObjectName::from_digest([0xab; 16], Codec::Gzip);
        assert_eq!(gz.to_string(), format!("{}.gz.parquet", "ab".repeat(16)));
        assert_eq!(
            ObjectName::from_digest([0; 16], Codec::Snappy).to_string(),
            format!("{}.snappy.parquet", "0".repeat(32))
        );

        let r1 = ObjectName::random(Codec::Zstd);
        let r2 = ObjectName::random(Codec::Zstd);
        assert_ne!(r1, r2);
        assert_eq!(r1.hex().len(), 32);
        assert!(
            r1.hex()
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );

        for bad in [
            "2CF24DBA5FB0A30E26E83B2AC5B9E29E.zstd.parquet",
            "2cf24dba5fb0a30e26e83b2ac5b9e29.zstd.parquet",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e.parquet",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e.lz4.parquet",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e.zstd",
            "2cf24dba5fb0a30e26e83b2ac5b9e29g.zstd.parquet",
        ] {
            assert!(ObjectName::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Codec::from_file_name("x.snappy.parquet"),
            Some(Codec::Snappy)
        );
        assert_eq!(Codec::from_file_name("x.parquet"), None);
        Ok(())
    }

    #[test]
    fn object_key_from_location() -> Result<()> {
        let loc = SourceLocation::parse("s3://bucket-1/ext/app/1/")?;
        let partition = PartitionKey::new(
            Region::new("us-east-1")?,
            AccountId::External,
            EventDay::from_ymd(2024, 1, 2)?,
        );
        let name = ObjectName::from_digest([1; 16], Codec::Zstd);
        let key = loc.object_key(&partition, &name);
        assert_eq!(
            key,
            "ext/app/1/region=us-east-1/accountId=external/eventDay=20240102/01010101010101010101010101010101.zstd.parquet"
        );
        assert_eq!(
            loc.partition_prefix(&partition),
            "ext/app/1/region=us-east-1/accountId=external/eventDay=20240102/"
        );
        let parsed = ParsedKey::parse(&key)?;
        assert_eq!(parsed.source(), loc.source());
        assert_eq!(parsed.partition(), &partition);
        assert_eq!(parsed.object_name(), Some(name));
        assert!(parsed.is_conforming());
        assert_eq!(parsed.canonical_key(), key);
        Ok(())
    }

    #[test]
    fn parsed_keys() -> Result<()> {
        let custom = ParsedKey::parse(
            "ext/my-app/region=eu-west-1/accountId=external_dc1/eventDay=20231231/0123456789abcdef0123456789abcdef.zstd.parquet",
        )?;
        assert_eq!(custom.source().name(), "my-app");
        assert_eq!(custom.source().version(), None);
        assert!(custom.source().is_custom());
        assert_eq!(custom.partition().region().as_str(), "eu-west-1");
        assert_eq!(
            custom.partition().account_id(),
            &AccountId::ExternalWithId("dc1".into())
        );
        assert_eq!(custom.codec(), Some(Codec::Zstd));
        assert!(custom.is_conforming());
        assert!(custom.is_parquet());

        let versioned = ParsedKey::parse(
            "ext/my-app/1.0/region=eu-west-1/accountId=123456789012/eventDay=20231231/a.snappy.parquet",
        )?;
        assert_eq!(versioned.source().version(), Some("1.0"));
        assert_eq!(versioned.codec(), Some(Codec::Snappy));
        assert_eq!(versioned.file_name(), "a.snappy.parquet");
        assert_eq!(versioned.non_conformities(), &[NonConformity::FileName]);

        let native = ParsedKey::parse(
            "aws/ROUTE53/1.0/region=us-east-1/accountId=123456789012/eventDay=20230102/0123456789abcdef0123456789abcdef.gz.parquet",
        )?;
        assert_eq!(native.source().name(), "ROUTE53");
        assert_eq!(native.source().version(), Some("1.0"));
        assert_eq!(native.codec(), Some(Codec::Gzip));
        assert!(native.is_conforming());

        let lax = ParsedKey::parse(
            "ext/app/Region=us-east-1/accountid=123456789012/eventday=20230102/0123456789abcdef0123456789abcdef.gz.parquet",
        )?;
        assert_eq!(
            lax.non_conformities(),
            &[
                NonConformity::PartitionNameCase {
                    expected: "region",
                    found: "Region".into()
                },
                NonConformity::PartitionNameCase {
                    expected: "accountId",
                    found: "accountid".into()
                },
                NonConformity::PartitionNameCase {
                    expected: "eventDay",
                    found: "eventday".into()
                },
            ]
        );
        assert_eq!(
            lax.canonical_key(),
            "ext/app/region=us-east-1/accountId=123456789012/eventDay=20230102/0123456789abcdef0123456789abcdef.gz.parquet"
        );

        for bad in [
            "",
            "ext/app/",
            "ext/app/region=us-east-1/accountId=123456789012/eventDay=20230102/",
            "ext/app/region=us-east-1/accountId=123456789012/eventDay=20230102",
            "ext/app/region=us-east-1/accountId=123456789012/eventDay=20230230/x.parquet",
            "ext/app/region=us-east-1/accountId=12345/eventDay=20230102/x.parquet",
            "ext/app/region=us-east-1/eventDay=20230102/accountId=123456789012/x.parquet",
            "ext/app/v1/v2/region=us-east-1/accountId=123456789012/eventDay=20230102/x.parquet",
            "ext/app/region=us-east-1/accountId=123456789012/eventDay=20230102/sub/x.parquet",
            "aws/VPC_FLOW/region=us-east-1/accountId=123456789012/eventDay=20230102/x.parquet",
            "aws/VPC_FLOW/3.0/region=us-east-1/accountId=123456789012/eventDay=20230102/x.parquet",
            "/ext/app/region=us-east-1/accountId=123456789012/eventDay=20230102/x.parquet",
            "other/app/region=us-east-1/accountId=123456789012/eventDay=20230102/x.parquet",
            "ext/app/region:us-east-1/accountId=123456789012/eventDay=20230102/x.parquet",
        ] {
            let err = ParsedKey::parse(bad).err();
            assert_eq!(
                err.map(|e| e.kind()),
                Some(ErrorKind::InvalidInput),
                "{bad}"
            );
        }
        Ok(())
    }
}

//! Source-level configuration shared by every mapper.

use crate::formats::auditd::GrouperConfig;
use crate::formats::syslog::SyslogContext;

/// How one log source is described and interpreted.
///
/// * **Identity** — `product_name`, `vendor_name`, `product_version`,
///   `log_name` and `tenant_uid` go to every event's `metadata` (a product
///   named by the record itself, such as a CEF header's, takes precedence).
/// * **Time** — `utc_offset_secs` is the fixed UTC offset of the sender's clock,
///   applied to timestamps that carry no zone (RFC 3164 syslog, Deep Security's
///   `rt`); `reference_ms` is the clock against which a missing year is inferred
///   (RFC 3164: a `Dec 31` line read on `Jan 2` belongs to the previous year)
///   and the time of lines whose own time cannot be read. Tests inject both, so
///   mapping is deterministic.
/// * **Hosts** — `hostname_fallback` names the device when a line carries no
///   hostname.
///
/// ```
/// use ocsf_mappers::SourceConfig;
///
/// let config = SourceConfig::new("Linux", "Linux")
///     .with_log_name("auth.log")
///     .with_tenant_uid("123456789012")
///     .with_utc_offset_secs(-5 * 3600)
///     .with_hostname_fallback("web-1")
///     .with_reference_ms(1_718_000_000_000);
/// assert_eq!(config.syslog_context().utc_offset_secs, -18_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceConfig {
    /// `metadata.product.name`.
    pub product_name: String,
    /// `metadata.product.vendor_name`.
    pub vendor_name: String,
    /// `metadata.product.version`.
    pub product_version: Option<String>,
    /// `metadata.log_name` (e.g. `auth.log`, `journal`, `syslog`).
    pub log_name: Option<String>,
    /// `metadata.tenant_uid`: the tenant or account the data belongs to.
    pub tenant_uid: Option<String>,
    /// Fixed UTC offset of the sender's clock in seconds (east positive).
    pub utc_offset_secs: i32,
    /// Hostname used when a line has none.
    pub hostname_fallback: Option<String>,
    /// Reference clock, epoch milliseconds UTC (year inference, missing times).
    pub reference_ms: i64,
    /// Whether events keep the input in `raw_data` (fallback events always do).
    pub keep_raw_data: bool,
    /// The longest line the stream readers accept, in bytes; longer lines are
    /// cut there and become fallback events.
    pub max_line_len: usize,
    /// Bounds of the auditd record grouping window.
    pub audit_grouping: GrouperConfig,
}

impl SourceConfig {
    /// Default [`max_line_len`](Self::max_line_len): 64 KiB.
    pub const DEFAULT_MAX_LINE_LEN: usize = 64 * 1024;

    /// A configuration for a product and vendor, UTC, with the current time as
    /// the reference clock.
    pub fn new(product_name: impl Into<String>, vendor_name: impl Into<String>) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        SourceConfig {
            product_name: product_name.into(),
            vendor_name: vendor_name.into(),
            product_version: None,
            log_name: None,
            tenant_uid: None,
            utc_offset_secs: 0,
            hostname_fallback: None,
            reference_ms: now,
            keep_raw_data: true,
            max_line_len: Self::DEFAULT_MAX_LINE_LEN,
            audit_grouping: GrouperConfig::default(),
        }
    }

    /// The defaults for Linux hosts: product `Linux`, vendor `Linux`.
    pub fn linux() -> Self {
        SourceConfig::new("Linux", "Linux")
    }

    /// The defaults for Deep Security: product `Deep Security`, vendor
    /// `Trend Micro` (each CEF/LEEF header's own product name and version take
    /// precedence).
    pub fn deep_security() -> Self {
        SourceConfig::new("Deep Security", "Trend Micro")
    }

    /// The defaults for the Trend Micro mapper: product and vendor `Trend
    /// Micro` (each message's own product, version and module take
    /// precedence).
    pub fn trend_micro() -> Self {
        SourceConfig::new("Trend Micro", "Trend Micro")
    }

    /// Sets [`product_version`](Self::product_version).
    #[must_use]
    pub fn with_product_version(mut self, version: impl Into<String>) -> Self {
        self.product_version = Some(version.into());
        self
    }

    /// Sets [`log_name`](Self::log_name).
    #[must_use]
    pub fn with_log_name(mut self, log_name: impl Into<String>) -> Self {
        self.log_name = Some(log_name.into());
        self
    }

    /// Sets [`tenant_uid`](Self::tenant_uid).
    #[must_use]
    pub fn with_tenant_uid(mut self, tenant: impl Into<String>) -> Self {
        self.tenant_uid = Some(tenant.into());
        self
    }

    /// Sets [`utc_offset_secs`](Self::utc_offset_secs).
    #[must_use]
    pub fn with_utc_offset_secs(mut self, secs: i32) -> Self {
        self.utc_offset_secs = secs;
        self
    }

    /// Sets [`hostname_fallback`](Self::hostname_fallback).
    #[must_use]
    pub fn with_hostname_fallback(mut self, hostname: impl Into<String>) -> Self {
        self.hostname_fallback = Some(hostname.into());
        self
    }

    /// Sets [`reference_ms`](Self::reference_ms).
    #[must_use]
    pub fn with_reference_ms(mut self, reference_ms: i64) -> Self {
        self.reference_ms = reference_ms;
        self
    }

    /// Sets [`keep_raw_data`](Self::keep_raw_data).
    #[must_use]
    pub fn with_raw_data(mut self, keep: bool) -> Self {
        self.keep_raw_data = keep;
        self
    }

    /// Sets [`max_line_len`](Self::max_line_len) (at least 1).
    #[must_use]
    pub fn with_max_line_len(mut self, max: usize) -> Self {
        self.max_line_len = max.max(1);
        self
    }

    /// Sets [`audit_grouping`](Self::audit_grouping).
    #[must_use]
    pub fn with_audit_grouping(mut self, grouping: GrouperConfig) -> Self {
        self.audit_grouping = grouping;
        self
    }

    /// The syslog parser context for this source (reference clock and offset).
    pub fn syslog_context(&self) -> SyslogContext {
        SyslogContext::new(self.reference_ms).with_utc_offset_secs(self.utc_offset_secs)
    }
}

impl Default for SourceConfig {
    fn default() -> Self {
        SourceConfig::linux()
    }
}

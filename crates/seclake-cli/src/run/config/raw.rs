//! The configuration file as written: the TOML tables before they are checked.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::Kind;
use crate::run::target::RawRegistration;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) lake: RawLake,
    #[serde(default)]
    pub(super) inputs: Vec<RawInput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLake {
    #[serde(default)]
    pub(super) dir: Option<PathBuf>,
    #[serde(default)]
    pub(super) bucket: Option<String>,
    #[serde(default)]
    pub(super) endpoint_url: Option<String>,
    #[serde(default)]
    pub(super) profile: Option<String>,
    #[serde(default)]
    pub(super) role_arn: Option<String>,
    #[serde(default)]
    pub(super) external_id: Option<String>,
    #[serde(default)]
    pub(super) registration: Option<RawRegistration>,
    pub(super) region: String,
    #[serde(default)]
    pub(super) account: Option<String>,
    #[serde(default)]
    pub(super) source_prefix: Option<String>,
    #[serde(default)]
    pub(super) source_version: Option<String>,
    pub(super) state_dir: PathBuf,
    #[serde(default)]
    pub(super) flush_interval_secs: Option<u64>,
    #[serde(default)]
    pub(super) batch_lines: Option<u64>,
    #[serde(default)]
    pub(super) progress_interval_secs: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawInput {
    pub(super) name: String,
    pub(super) kind: Kind,
    #[serde(default)]
    pub(super) path: Option<PathBuf>,
    #[serde(default)]
    pub(super) listen: Option<String>,
    #[serde(default)]
    pub(super) transport: Option<String>,
    #[serde(default)]
    pub(super) format: Option<String>,
    #[serde(default)]
    pub(super) source_prefix: Option<String>,
    #[serde(default)]
    pub(super) zone: Option<String>,
    #[serde(default)]
    pub(super) hostname: Option<String>,
    #[serde(default)]
    pub(super) product: Option<String>,
    #[serde(default)]
    pub(super) vendor: Option<String>,
    #[serde(default)]
    pub(super) log_name: Option<String>,
    #[serde(default)]
    pub(super) tenant_uid: Option<String>,
    #[serde(default)]
    pub(super) raw_data: Option<bool>,
    #[serde(default)]
    pub(super) classes: Option<Vec<String>>,
    #[serde(default)]
    pub(super) sources: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub(super) tls_cert: Option<PathBuf>,
    #[serde(default)]
    pub(super) tls_key: Option<PathBuf>,
    #[serde(default)]
    pub(super) max_message_bytes: Option<usize>,
    #[serde(default)]
    pub(super) dedupe_window: Option<usize>,
    #[serde(default)]
    pub(super) command: Option<PathBuf>,
    #[serde(default)]
    pub(super) args: Option<Vec<String>>,
    #[serde(default)]
    pub(super) url: Option<String>,
    #[serde(default)]
    pub(super) dir: Option<PathBuf>,
}

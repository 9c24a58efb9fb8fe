//! The version-neutral record that every source mapper produces.
//!
//! Recognizing a message (which program, which wording, which fields) is the
//! expensive and source-specific part of mapping; laying the result out as the
//! attributes of one OCSF version is mechanical. The mappers therefore stop at a
//! [`Normalized`] record — *what happened* ([`Activity`]) and *who / what /
//! where* (users, endpoints, process, file, finding, ...) — and a
//! [`Target`](crate::Target) renders it as the typed events of one OCSF version.
//! Adding OCSF 1.3.0 means adding one target, not touching the recognizers.
//!
//! The enums here mirror OCSF's own values (which are stable across versions);
//! `Other` variants carry the source's own caption.

use std::borrow::Cow;
use std::cell::Cell;

use serde::Serialize;
use serde_json::Value;

use crate::stats::FallbackReason;
use crate::strings;
pub use crate::unmapped::Unmapped;

/// A caption for an `Other` value: a static word or the source's own text.
pub type Caption = Cow<'static, str>;

/// What happened: the OCSF class and its activity, independent of the version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum Activity {
    /// File System Activity (1001).
    FileSystem(FileActivity),
    /// Module Activity (1005).
    Module(ModuleActivity),
    /// Scheduled Job Activity (1006).
    ScheduledJob(JobActivity),
    /// Process Activity (1007).
    Process(ProcessActivity),
    /// Detection Finding (2004).
    DetectionFinding(FindingActivity),
    /// Account Change (3001).
    AccountChange(AccountActivity),
    /// Authentication (3002).
    Authentication(AuthActivity),
    /// Entity Management (3004).
    EntityManagement(EntityActivity),
    /// Group Management (3006).
    GroupManagement(GroupActivity),
    /// Network Activity (4001).
    Network(NetworkActivity),
    /// SSH Activity (4007).
    Ssh(NetworkActivity),
    /// Device Config State (5002), activity Log.
    DeviceConfigState,
    /// Application Lifecycle (6002).
    ApplicationLifecycle(AppActivity),
    /// Base Event (0): a line that was not recognized or was malformed.
    Fallback(FallbackReason),
}

impl Activity {
    /// The OCSF `class_uid` of the activity's class (the same in every OCSF
    /// version this crate targets).
    pub fn class_uid(&self) -> i32 {
        match self {
            Activity::FileSystem(_) => 1001,
            Activity::Module(_) => 1005,
            Activity::ScheduledJob(_) => 1006,
            Activity::Process(_) => 1007,
            Activity::DetectionFinding(_) => 2004,
            Activity::AccountChange(_) => 3001,
            Activity::Authentication(_) => 3002,
            Activity::EntityManagement(_) => 3004,
            Activity::GroupManagement(_) => 3006,
            Activity::Network(_) => 4001,
            Activity::Ssh(_) => 4007,
            Activity::DeviceConfigState => 5002,
            Activity::ApplicationLifecycle(_) => 6002,
            Activity::Fallback(_) => 0,
        }
    }
}

/// File System Activity activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FileActivity {
    /// Create.
    Create,
    /// Read.
    Read,
    /// Update.
    Update,
    /// Delete.
    Delete,
    /// Rename.
    Rename,
    /// Set Attributes.
    SetAttributes,
    /// Set Security.
    SetSecurity,
    /// Open.
    Open,
    /// Another value, with its caption.
    Other(Caption),
}

/// Module Activity activities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ModuleActivity {
    /// Load.
    Load,
    /// Unload.
    Unload,
}

/// Scheduled Job Activity activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum JobActivity {
    /// Create.
    Create,
    /// Update.
    Update,
    /// Delete.
    Delete,
    /// Enable.
    Enable,
    /// Disable.
    Disable,
    /// Start.
    Start,
    /// Another value, with its caption.
    Other(Caption),
}

/// Process Activity activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ProcessActivity {
    /// Launch.
    Launch,
    /// Terminate.
    Terminate,
    /// Another value, with its caption.
    Other(Caption),
}

/// Detection Finding activities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FindingActivity {
    /// Create.
    Create,
    /// Update.
    Update,
    /// Close.
    Close,
}

/// Account Change activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AccountActivity {
    /// Create.
    Create,
    /// Enable.
    Enable,
    /// Password Change.
    PasswordChange,
    /// Password Reset.
    PasswordReset,
    /// Disable.
    Disable,
    /// Delete.
    Delete,
    /// Lock.
    Lock,
    /// Another value, with its caption.
    Other(Caption),
}

/// Authentication activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AuthActivity {
    /// Logon.
    Logon,
    /// Logoff.
    Logoff,
    /// Another value, with its caption.
    Other(Caption),
}

/// Entity Management activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum EntityActivity {
    /// Create.
    Create,
    /// Read.
    Read,
    /// Update.
    Update,
    /// Delete.
    Delete,
    /// Another value, with its caption.
    Other(Caption),
}

/// Group Management activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum GroupActivity {
    /// Assign Privileges.
    AssignPrivileges,
    /// Revoke Privileges.
    RevokePrivileges,
    /// Add User.
    AddUser,
    /// Remove User.
    RemoveUser,
    /// Delete.
    Delete,
    /// Create.
    Create,
    /// Another value, with its caption.
    Other(Caption),
}

/// Network Activity / SSH Activity activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum NetworkActivity {
    /// Open.
    Open,
    /// Close.
    Close,
    /// Reset.
    Reset,
    /// Fail.
    Fail,
    /// Refuse.
    Refuse,
    /// Traffic.
    Traffic,
    /// Another value, with its caption.
    Other(Caption),
}

/// Application Lifecycle activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AppActivity {
    /// Install.
    Install,
    /// Remove.
    Remove,
    /// Start.
    Start,
    /// Stop.
    Stop,
    /// Another value, with its caption.
    Other(Caption),
}

/// Normalized event severity (OCSF `severity_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub enum Severity {
    #[default]
    /// Unknown.
    Unknown,
    /// Informational.
    Informational,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
    /// Fatal.
    Fatal,
}

/// The outcome of the activity (OCSF `status_id`); unknown outcomes are `None`
/// in [`Normalized::outcome`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Outcome {
    /// Success.
    Success,
    /// Failure.
    Failure,
    /// Another value, with its caption.
    Other(Caption),
}

/// What a security control did (OCSF `disposition_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Disposition {
    /// Allowed.
    Allowed,
    /// Blocked.
    Blocked,
    /// Quarantined.
    Quarantined,
    /// Isolated.
    Isolated,
    /// Deleted.
    Deleted,
    /// Dropped.
    Dropped,
    /// Corrected.
    Corrected,
    /// Uncorrected.
    Uncorrected,
    /// Detected.
    Detected,
    /// No Action.
    NoAction,
    /// Logged.
    Logged,
    /// Reset.
    Reset,
    /// Another value, with its caption.
    Other(Caption),
}

/// Whether a security control allowed or denied the activity (OCSF `action_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Action {
    /// Allowed.
    Allowed,
    /// Denied.
    Denied,
    /// Another value, with its caption.
    Other(Caption),
}

/// The kind of logon (OCSF `logon_type_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum LogonType {
    /// System.
    System,
    /// Interactive.
    Interactive,
    /// Network.
    Network,
    /// Batch.
    Batch,
    /// Os Service.
    OsService,
    /// New Credentials.
    NewCredentials,
    /// Remote Interactive.
    RemoteInteractive,
    /// Another value, with its caption.
    Other(Caption),
}

/// The authentication protocol or method (OCSF `auth_protocol_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AuthProtocol {
    /// Kerberos.
    Kerberos,
    /// A method OCSF does not enumerate, e.g. SSH's `publickey`.
    Other(Caption),
}

/// The type of a file system object (OCSF `file.type_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum FileType {
    #[default]
    /// Unknown.
    Unknown,
    /// Regular.
    Regular,
    /// Folder.
    Folder,
    /// Character Device.
    CharacterDevice,
    /// Block Device.
    BlockDevice,
    /// Socket.
    Socket,
    /// Named Pipe.
    NamedPipe,
    /// Symbolic Link.
    SymbolicLink,
}

/// A hash algorithm (OCSF `fingerprint.algorithm_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum HashAlgorithm {
    /// MD5.
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-512.
    Sha512,
}

/// Traffic direction (OCSF `connection_info.direction_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Direction {
    /// Unknown.
    Unknown,
    /// Inbound.
    Inbound,
    /// Outbound.
    Outbound,
    /// Lateral.
    Lateral,
}

/// Malware classification (OCSF `malware.classification_ids`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MalwareClass {
    /// Unknown.
    Unknown,
    /// Adware.
    Adware,
    /// Backdoor.
    Backdoor,
    /// Bot.
    Bot,
    /// Ransomware.
    Ransomware,
    /// Rootkit.
    Rootkit,
    /// Spyware.
    Spyware,
    /// Trojan.
    Trojan,
    /// Virus.
    Virus,
    /// Worm.
    Worm,
    /// Other.
    Other,
}

/// Facts about the producer of the event, for OCSF `metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SourceMeta {
    /// Product name from the record itself (a CEF header), overriding the
    /// configured one.
    pub product_name: Option<String>,
    /// Vendor name from the record itself.
    pub vendor_name: Option<String>,
    /// Product version from the record itself.
    pub product_version: Option<String>,
    /// The product feature that produced the event (a Deep Security
    /// protection module): `metadata.product.feature.name`.
    pub feature: Option<String>,
    /// The logging program (syslog tag, journald identifier): `metadata.log_provider`.
    pub log_provider: Option<String>,
    /// The source's own event id or code: `metadata.event_code`.
    pub event_code: Option<String>,
    /// The source's own unique id of the event instance: `metadata.uid`.
    pub uid: Option<String>,
    /// The source's log level (syslog severity name): `metadata.log_level`.
    pub log_level: Option<Caption>,
    /// Groups the events of one connection or transaction (an sshd
    /// connection): `metadata.correlation_uid`.
    pub correlation_uid: Option<String>,
    /// Tags the source attached to the event (the keys of the audit rules an
    /// auditd event matched), one entry each: `metadata.labels`.
    pub labels: Vec<String>,
}

/// The device the event was logged on (OCSF `device`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DeviceInfo {
    /// Hostname.
    pub hostname: Option<String>,
    /// IP address.
    pub ip: Option<String>,
    /// The source's id of the device (e.g. Deep Security's Host ID).
    pub uid: Option<String>,
    /// MAC address.
    pub mac: Option<String>,
    /// The network interface the event is about (NetworkManager's device).
    pub interface_name: Option<String>,
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct UserInfo {
    /// User name as written by the source.
    pub name: Option<String>,
    /// Numeric or opaque user id.
    pub uid: Option<String>,
    /// Domain, e.g. the part after `@` of `jdoe@example.local`.
    pub domain: Option<String>,
}

impl UserInfo {
    /// A user known by name.
    pub fn named(name: impl Into<String>) -> Self {
        UserInfo {
            name: Some(name.into()),
            ..UserInfo::default()
        }
    }

    /// A user known by numeric id.
    pub fn with_uid(uid: impl Into<String>) -> Self {
        UserInfo {
            uid: Some(uid.into()),
            ..UserInfo::default()
        }
    }
}

/// A network endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EndpointInfo {
    /// IP address (only set when it parses as one).
    pub ip: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Hostname.
    pub hostname: Option<String>,
    /// MAC address.
    pub mac: Option<String>,
    /// Network interface name.
    pub interface_name: Option<String>,
    /// Service name (`ssh`, `ftp`).
    pub svc_name: Option<String>,
    /// A name for an endpoint that is neither an address nor a hostname.
    pub name: Option<String>,
}

/// A process.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ProcessInfo {
    /// Process id.
    pub pid: Option<u32>,
    /// Process name (executable base name or `comm`).
    pub name: Option<String>,
    /// Executable path.
    pub path: Option<String>,
    /// Command line.
    pub cmd_line: Option<String>,
    /// The user the process runs as.
    pub user: Option<UserInfo>,
    /// Audit user id (login uid).
    pub auid: Option<i32>,
    /// Effective user id.
    pub euid: Option<i32>,
    /// Effective group id.
    pub egid: Option<i32>,
    /// Group the process runs as.
    pub group: Option<GroupInfo>,
    /// Session (terminal, audit session id).
    pub session: Option<SessionInfo>,
    /// Executable hashes.
    pub hashes: Vec<HashInfo>,
    /// Executable size in bytes.
    pub file_size: Option<i64>,
    /// Parent process.
    pub parent: Option<Box<ProcessInfo>>,
}

impl ProcessInfo {
    /// A process known by name and maybe pid.
    pub fn named(name: impl Into<String>, pid: Option<u32>) -> Self {
        ProcessInfo {
            name: Some(name.into()),
            pid,
            ..ProcessInfo::default()
        }
    }
}

/// A logon session.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SessionInfo {
    /// Session id.
    pub uid: Option<String>,
    /// Terminal (`pts/0`, `ssh`).
    pub terminal: Option<String>,
    /// Whether the session is remote.
    pub is_remote: Option<bool>,
}

impl SessionInfo {
    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.uid.is_none() && self.terminal.is_none() && self.is_remote.is_none()
    }
}

/// A file hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HashInfo {
    /// Algorithm.
    pub algorithm: HashAlgorithm,
    /// Hex digest as written by the source.
    pub value: String,
}

/// A file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FileInfo {
    /// Full path.
    pub path: Option<String>,
    /// Base name (derived from the path when not set).
    pub name: Option<String>,
    /// File type.
    pub file_type: FileType,
    /// Size in bytes.
    pub size: Option<i64>,
    /// Hashes.
    pub hashes: Vec<HashInfo>,
    /// Owner user id.
    pub owner_uid: Option<String>,
    /// Owner user name (auditd's enriched `OUID="root"`).
    pub owner_name: Option<String>,
}

impl FileInfo {
    /// A file known by path.
    pub fn at(path: impl Into<String>, file_type: FileType) -> Self {
        FileInfo {
            path: Some(path.into()),
            file_type,
            ..FileInfo::default()
        }
    }
}

/// A group.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct GroupInfo {
    /// Group name.
    pub name: Option<String>,
    /// Group id.
    pub uid: Option<String>,
}

/// A managed entity (Entity Management `entity`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EntityInfo {
    /// Name.
    pub name: Option<String>,
    /// Identifier.
    pub uid: Option<String>,
    /// What kind of entity (`Group`, `Computer`, ...).
    pub kind: Option<String>,
}

/// A scheduled job.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct JobInfo {
    /// Job name.
    pub name: String,
    /// Command line.
    pub cmd_line: Option<String>,
    /// The job's file (its executable or crontab).
    pub file: FileInfo,
    /// The user the job runs as.
    pub user: Option<UserInfo>,
}

/// An application or service (Application Lifecycle `app`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AppInfo {
    /// Name (unit name, service name, daemon name).
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// Identifier (systemd unit name when the name is a description).
    pub uid: Option<String>,
}

/// Network connection facts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ConnectionInfo {
    /// Transport protocol name, lowercase (`tcp`).
    pub protocol_name: Option<String>,
    /// IANA protocol number.
    pub protocol_num: Option<i32>,
    /// Direction.
    pub direction: Option<Direction>,
    /// TCP flags as a bit mask (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32, ECE 64, CWR 128).
    pub tcp_flags: Option<i32>,
    /// Connection-level session (SSH channel id, terminal).
    pub session: Option<SessionInfo>,
}

/// Traffic counters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TrafficInfo {
    /// Total bytes.
    pub bytes: Option<i64>,
    /// Bytes received.
    pub bytes_in: Option<i64>,
    /// Bytes sent.
    pub bytes_out: Option<i64>,
    /// Packets.
    pub packets: Option<i64>,
}

/// A rule of a security control.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct RuleInfo {
    /// Rule id.
    pub uid: Option<String>,
    /// Rule name.
    pub name: Option<String>,
}

/// A malware detection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MalwareInfo {
    /// Malware name.
    pub name: String,
    /// Path of the infected file.
    pub path: Option<String>,
    /// Classification.
    pub class: MalwareClass,
}

/// A MITRE ATT&CK tactic.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TacticInfo {
    /// Tactic id (`TA0002`).
    pub uid: Option<String>,
    /// Tactic name (`Execution`).
    pub name: Option<String>,
}

/// A MITRE ATT&CK technique the source names, with its tactics.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AttackInfo {
    /// Technique id (`T1548`).
    pub technique_uid: Option<String>,
    /// Technique name.
    pub technique_name: Option<String>,
    /// Sub-technique id (`T1548.002`).
    pub sub_technique_uid: Option<String>,
    /// Tactics.
    pub tactics: Vec<TacticInfo>,
    /// ATT&CK matrix version, when the source gives it.
    pub version: Option<String>,
}

/// The finding of a detection.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FindingData {
    /// Unique id of the finding.
    pub uid: String,
    /// Title.
    pub title: String,
    /// Description.
    pub desc: Option<String>,
    /// Finding types (the detecting module).
    pub types: Vec<String>,
    /// The rule that fired.
    pub rule: Option<RuleInfo>,
    /// Confidence score (0-100).
    pub confidence_score: Option<i32>,
    /// Malware found.
    pub malware: Vec<MalwareInfo>,
    /// CVE ids (`CVE-2022-30522`).
    pub cves: Vec<String>,
    /// MITRE ATT&CK techniques and tactics the source names.
    pub attacks: Vec<AttackInfo>,
}

/// Authentication details.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AuthInfo {
    /// Protocol or method.
    pub protocol: Option<AuthProtocol>,
    /// Logon type.
    pub logon_type: Option<LogonType>,
    /// Whether the logon came from another host.
    pub is_remote: Option<bool>,
    /// The public key's type and fingerprint (`RSA SHA256:...`), for key logons.
    pub key: Option<KeyInfo>,
}

/// A public key named in a logon: its type and fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct KeyInfo {
    /// Key type (`RSA`, `ED25519`, `ECDSA`).
    pub key_type: Option<String>,
    /// Fingerprint as logged (`SHA256:...` or an MD5 `aa:bb:...`).
    pub fingerprint: String,
}

/// One normalized event: what happened and the facts about it.
///
/// Built by the source mappers; rendered by a [`Target`](crate::Target). Every
/// field is optional except the activity, time and severity.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct Normalized {
    /// Class and activity.
    pub activity: Activity,
    /// Event time, epoch milliseconds UTC.
    pub time_ms: i64,
    /// UTC offset of the source's clock, seconds, when known.
    pub utc_offset_secs: Option<i32>,
    /// Severity.
    pub severity: Severity,
    /// Outcome; `None` when unknown.
    pub outcome: Option<Outcome>,
    /// Why the outcome is what it is, in the source's words.
    pub status_detail: Option<String>,
    /// The source's status or result code.
    pub status_code: Option<String>,
    /// Human-readable message.
    pub message: Option<String>,
    /// The raw input.
    pub raw_data: Option<String>,
    /// How many times the event occurred (`message repeated N times`, counters).
    pub count: Option<i32>,
    /// Producer facts for `metadata`.
    pub source: SourceMeta,
    /// The device the event was logged on.
    pub device: DeviceInfo,
    /// The user the activity is about (logged-on user, changed account).
    pub user: Option<UserInfo>,
    /// The account after the change (renames).
    pub user_result: Option<UserInfo>,
    /// The user who performed the activity.
    pub actor_user: Option<UserInfo>,
    /// The process that performed the activity.
    pub actor_process: Option<ProcessInfo>,
    /// The process the activity is about (launched, terminated).
    pub process: Option<ProcessInfo>,
    /// The session of the activity.
    pub session: Option<SessionInfo>,
    /// Source endpoint.
    pub src: Option<EndpointInfo>,
    /// Destination endpoint.
    pub dst: Option<EndpointInfo>,
    /// Connection facts.
    pub connection: Option<ConnectionInfo>,
    /// Traffic counters.
    pub traffic: Option<TrafficInfo>,
    /// The file the activity is about.
    pub file: Option<FileInfo>,
    /// The file after the activity (rename target).
    pub file_result: Option<FileInfo>,
    /// The group the activity is about.
    pub group: Option<GroupInfo>,
    /// The scheduled job.
    pub job: Option<JobInfo>,
    /// A managed entity.
    pub entity: Option<EntityInfo>,
    /// The application or service.
    pub app: Option<AppInfo>,
    /// The service authenticated to (`sshd`, `su`).
    pub service_name: Option<String>,
    /// Authentication details.
    pub auth: Option<AuthInfo>,
    /// A loaded module (path).
    pub module_path: Option<String>,
    /// The finding of a detection.
    pub finding: Option<FindingData>,
    /// What a security control did.
    pub disposition: Option<Disposition>,
    /// Whether a security control allowed or denied.
    pub action: Option<Action>,
    /// The firewall rule that matched.
    pub firewall_rule: Option<RuleInfo>,
    /// The URL requested.
    pub url: Option<String>,
    /// A process exit code.
    pub exit_code: Option<i32>,
    /// Everything else the source said, by name.
    pub unmapped: Unmapped,
}

thread_local! {
    /// One cleared record kept for reuse by [`Normalized::new`].
    static SPARE: Cell<Option<Box<Normalized>>> = const { Cell::new(None) };
}

impl Default for Activity {
    fn default() -> Self {
        Activity::Fallback(FallbackReason::UnrecognizedMessage)
    }
}

impl Normalized {
    /// A record with the given activity, time and severity and nothing else.
    ///
    /// The record is boxed: it is large (every fact any source has) and is
    /// handed from recognizer to target by pointer rather than copied.
    pub fn new(activity: Activity, time_ms: i64, severity: Severity) -> Box<Self> {
        let mut n = SPARE.with(Cell::take).unwrap_or_default();
        n.activity = activity;
        n.time_ms = time_ms;
        n.severity = severity;
        n
    }

    /// Hands a rendered record back: it is cleared and its allocation is
    /// reused by the next [`Normalized::new`] on this thread (a record is a
    /// few kilobytes, and allocating one per line costs more than clearing
    /// it).
    pub fn recycle(mut self: Box<Self>) {
        // The buffers of the record's strings (a renderer that keeps the event's strings
        // hands them back in these fields) and of its `unmapped` map are kept for the next
        // records (`crate::strings`).
        strings::keep_all([
            self.raw_data.take(),
            self.message.take(),
            self.device.hostname.take(),
            self.source.log_provider.take(),
            self.source.correlation_uid.take(),
            self.service_name.take(),
            self.status_detail.take(),
            self.status_code.take(),
        ]);
        self.unmapped.clear();
        self.clear_facts();
        SPARE.with(|spare| spare.set(Some(self)));
    }

    /// Resets every fact but [`unmapped`](Self::unmapped) to its default, field by field:
    /// assigning a whole default record built and copied about 3 KB per line. The
    /// pattern names every field, so a new field must be added here to compile.
    fn clear_facts(&mut self) {
        let Normalized {
            activity,
            time_ms,
            utc_offset_secs,
            severity,
            outcome,
            status_detail,
            status_code,
            message,
            raw_data,
            count,
            source,
            device,
            user,
            user_result,
            actor_user,
            actor_process,
            process,
            session,
            src,
            dst,
            connection,
            traffic,
            file,
            file_result,
            group,
            job,
            entity,
            app,
            service_name,
            auth,
            module_path,
            finding,
            disposition,
            action,
            firewall_rule,
            url,
            exit_code,
            unmapped: _,
        } = self;
        *activity = Activity::default();
        *time_ms = 0;
        *severity = Severity::default();
        *source = SourceMeta::default();
        *device = DeviceInfo::default();
        *utc_offset_secs = None;
        *outcome = None;
        *status_detail = None;
        *status_code = None;
        *message = None;
        *raw_data = None;
        *count = None;
        *user = None;
        *user_result = None;
        *actor_user = None;
        *actor_process = None;
        *process = None;
        *session = None;
        *src = None;
        *dst = None;
        *connection = None;
        *traffic = None;
        *file = None;
        *file_result = None;
        *group = None;
        *job = None;
        *entity = None;
        *app = None;
        *service_name = None;
        *auth = None;
        *module_path = None;
        *finding = None;
        *disposition = None;
        *action = None;
        *firewall_rule = None;
        *url = None;
        *exit_code = None;
    }

    /// `s` as an owned string, in a buffer kept from an earlier record when there is one.
    pub(crate) fn string(&mut self, s: &str) -> String {
        strings::owned(s)
    }

    /// Adds `key = value` to [`unmapped`](Self::unmapped) (skipping empty values).
    pub fn put(&mut self, key: &str, value: impl AsRef<str>) {
        let value = value.as_ref();
        if !value.is_empty() {
            self.unmapped.insert_str(key, value);
        }
    }

    /// Adds a JSON value to [`unmapped`](Self::unmapped).
    pub fn put_value(&mut self, key: &str, value: Value) {
        self.unmapped.insert(key, value);
    }

    /// Sets the outcome.
    pub fn with_outcome(mut self: Box<Self>, outcome: Outcome) -> Box<Self> {
        self.outcome = Some(outcome);
        self
    }

    /// [`Normalized::with_detail`] with an owned string, moved in.
    pub(crate) fn with_detail_owned(mut self: Box<Self>, detail: String) -> Box<Self> {
        self.status_detail = Some(detail);
        self
    }

    /// Sets the status detail.
    pub fn with_detail(mut self: Box<Self>, detail: impl AsRef<str>) -> Box<Self> {
        self.status_detail = Some(strings::owned(detail.as_ref()));
        self
    }
}

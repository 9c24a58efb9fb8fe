//! The OCSF 1.1.0 target: [`Normalized`] records as `ocsf_model::v1_1_0` events.
//!
//! Where OCSF 1.1.0 requires an attribute (or one of a set) that a log does not
//! carry, the renderer writes the string `unknown` rather than guess
//! (`user.name`, an endpoint's `name`, `app.vendor_name`, a file's `name`); a
//! process that has neither `pid` nor `uid` gets a producer-assigned `uid` (a
//! hash of the device, the time and the process's name, path and command line),
//! so that the schema's `pid`-or-`uid` constraint holds without inventing a pid.
//! Neutral facts a class has no attribute for are written to `unmapped` under
//! their neutral name, so nothing recognized is lost.

use std::borrow::Cow;

use ocsf_model::v1_1_0::Event;
use ocsf_model::v1_1_0::enums::{ActionId, DispositionId, SeverityId, StatusId, TypeId};
use ocsf_model::v1_1_0::events::{
    AccountChange, AccountChangeActivityId, ApplicationLifecycle, ApplicationLifecycleActivityId,
    Authentication, AuthenticationActivityId, AuthenticationAuthProtocolId,
    AuthenticationLogonTypeId, BaseEvent, BaseEventActivityId, ConfigState, ConfigStateActivityId,
    DetectionFinding, DetectionFindingActivityId, DetectionFindingStatusId, EntityManagement,
    EntityManagementActivityId, FileActivity, FileActivityActivityId, GroupManagement,
    GroupManagementActivityId, ModuleActivity, ModuleActivityActivityId, NetworkActivity,
    NetworkActivityActivityId, ProcessActivity, ProcessActivityActivityId, ScheduledJobActivity,
    ScheduledJobActivityActivityId, SshActivity, SshActivityActivityId,
};
use ocsf_model::v1_1_0::objects::{
    Actor, Analytic, AnalyticTypeId, Attack, Cve, Device, Evidences, Feature, File, FileTypeId,
    FindingInfo, Fingerprint, FingerprintAlgorithmId, FirewallRule, Group, Job, Malware,
    MalwareClassificationIds, ManagedEntity, Metadata, Module, ModuleLoadTypeId,
    NetworkConnectionInfo, NetworkConnectionInfoDirectionId, NetworkEndpoint, NetworkTraffic,
    Observable, ObservableTypeId, Process, Product, Service, Session, SubTechnique, Tactic,
    Technique, Url, User, Vulnerability,
};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{Target, reuse};
use crate::config::SourceConfig;
use crate::normalized::{
    self as n, Action, Activity, Caption, ConnectionInfo, DeviceInfo, Direction, Disposition,
    EndpointInfo, FileInfo, FileType, HashAlgorithm, LogonType, MalwareClass, Normalized, Outcome,
    ProcessInfo, SessionInfo, Severity, SourceMeta, Unmapped, UserInfo,
};
use crate::util::{UNKNOWN, basename, fnv_id, is_ocsf_hostname, is_ocsf_mac};

/// The OCSF 1.1.0 target (Security Lake source version 2, the default for
/// custom sources). Its events are the generated [`ocsf_model::v1_1_0::Event`]:
/// each mapper's output is one of the classes listed in the crate's `MAPPINGS.md`
/// (a Base Event for input no recognizer understands).
///
/// ```
/// use ocsf_mappers::{LinuxMapper, SourceConfig};
/// use ocsf_model::v1_1_0::Event;
///
/// let mut mapper = LinuxMapper::new(SourceConfig::linux().with_reference_ms(1_718_000_000_000));
/// let events = mapper.map_line("Jun 14 15:16:01 h sshd[1]: Accepted password for bob from 192.0.2.1 port 2222 ssh2");
/// let Some(Event::Authentication(auth)) = events.first() else { panic!("not an authentication") };
/// assert_eq!(auth.user.as_ref().and_then(|u| u.name.as_deref()), Some("bob"));
/// assert_eq!(events[0].type_uid(), Some(300201));
/// let json = serde_json::to_value(&events[0])?;
/// assert_eq!(json["src_endpoint"]["port"], 2222);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct V1_1_0;

impl Target for V1_1_0 {
    type Event = Event;
    const VERSION: &'static str = "1.1.0";

    fn render(record: &mut Normalized, config: &SourceConfig) -> Event {
        render(record, config)
    }

    fn render_into(record: &mut Normalized, config: &SourceConfig, event: &mut Event) {
        into::render_into(record, config, event);
    }

    fn pick_spare(record: &Normalized, spares: &[Event]) -> Option<usize> {
        into::pick_spare(record, spares)
    }

    fn projection(class_uid: i32) -> Option<crate::projection::Projection> {
        super::paths_v1_1_0::projection(class_uid)
    }
}

/// Accumulates observables while typed fields are laid out, and carries what
/// the producer-assigned process uids are derived from.
struct Ctx<'a> {
    config: &'a SourceConfig,
    /// The event's observables: the first `used` are this event's; any after them are kept
    /// from the event rendered into (refilled in place by [`Ctx::observe`], then dropped).
    observables: Vec<Observable>,
    used: usize,
    host: String,
    time_ms: i64,
    /// Whether a `security_control` profile attribute (`action`, `disposition`,
    /// `malware`, `firewall_rule`) was written.
    security_control: bool,
    /// Whether a `linux/linux_users` profile attribute (a process's `auid`,
    /// `euid`, `egid` or `group`) was written.
    linux_users: bool,
    /// Values the record had for a typed field whose OCSF type rejects them
    /// (a hostname with `_`, a cut MAC address), by attribute path; they go
    /// to `unmapped.invalid`.
    invalid: Map<String, Value>,
}

impl Ctx<'_> {
    /// Adds an observable named `path.leaf` unless the value is empty, `unknown` or already observed under
    /// that name. The name is only built for a new observable.
    fn observe(&mut self, path: &str, leaf: &str, type_id: ObservableTypeId, value: &str) {
        if value.is_empty() || value == UNKNOWN {
            return;
        }
        let dup = self.observables[..self.used].iter().any(|o| {
            o.value.as_deref() == Some(value)
                && o.name.as_deref().is_some_and(|n| is_dotted(n, path, leaf))
        });
        if !dup {
            if self.observables.capacity() == 0 {
                // Most events carry a handful: one allocation, no regrowth
                // (and under 1 KiB, which glibc serves from its fast path).
                self.observables.reserve(6);
            }
            if self.used == self.observables.len()
                && let Some(spare) = SPARE_OBSERVABLES.with(|p| p.borrow_mut().pop())
            {
                // One an earlier event had beyond the next's: refilled like the event's own.
                self.observables.push(spare);
            }
            match self.observables.get_mut(self.used) {
                Some(o) => {
                    // Refilled attribute by attribute: taking the old observable (a default
                    // written over it, then moved) cost more than the few fields it has.
                    // Those this crate never writes are reset; `tests/reuse.rs` compares the
                    // events with fresh ones.
                    if o.reputation.is_some() {
                        // Never written here: checked inline rather than a call to drop it.
                        o.reputation = None;
                    }
                    reuse::clear_unknown(&mut o.unknown);
                    set_dotted(&mut o.name, path, leaf);
                    o.type_ = Some(Cow::Borrowed(type_id.as_str()));
                    o.type_id = Some(type_id);
                    reuse::set_str(&mut o.value, value);
                }
                None => {
                    let mut o = Observable::new(dotted(path, leaf), type_id);
                    o.value = Some(value.to_owned());
                    self.observables.push(o);
                }
            }
            self.used += 1;
        }
    }

    /// `value` when OCSF's type accepts it; otherwise `None`, with the value
    /// kept under `unmapped.invalid` at `path.leaf`.
    fn checked(
        &mut self,
        value: Option<String>,
        ok: fn(&str) -> bool,
        path: &str,
        leaf: &str,
    ) -> Option<String> {
        match value {
            Some(v) if !ok(&v) => {
                self.invalid.insert(dotted(path, leaf), Value::String(v));
                None
            }
            other => other,
        }
    }

    /// A hostname OCSF rejects becomes the object's `name` when it has none
    /// (a free-text attribute); otherwise it is kept in `unmapped.invalid`.
    fn hostname_or_name(
        &mut self,
        hostname: Option<String>,
        name: &mut Option<String>,
        path: &str,
    ) -> Option<String> {
        match hostname {
            Some(h) if !is_ocsf_hostname(&h) => {
                if name.is_none() {
                    *name = Some(h);
                } else {
                    self.invalid
                        .insert(dotted(path, "hostname"), Value::String(h));
                }
                None
            }
            other => other,
        }
    }

    fn take_observables(&mut self) -> Option<Vec<Observable>> {
        let mut v = std::mem::take(&mut self.observables);
        if v.len() > self.used {
            // Observables of the event rendered into beyond this event's: kept for the next.
            SPARE_OBSERVABLES.with(|p| {
                let mut p = p.borrow_mut();
                let room = MAX_SPARE_OBSERVABLES.saturating_sub(p.len());
                let end = v.len().min(self.used + room);
                p.extend(v.drain(self.used..end));
            });
            v.truncate(self.used);
        }
        self.used = 0;
        (!v.is_empty()).then_some(v)
    }

    /// Lists the profiles whose attributes the event carries in
    /// `metadata.profiles`, so that the validator (and readers) know them.
    fn add_profiles(&self, m: &mut Metadata) {
        for (on, name) in [
            (self.security_control, SECURITY_CONTROL_PROFILE),
            (self.linux_users, LINUX_USERS_PROFILE),
        ] {
            if on {
                m.profiles
                    .get_or_insert_with(Vec::new)
                    .push(name.to_owned());
            }
        }
    }

    fn user(&mut self, u: UserInfo, path: &str) -> User {
        let mut out = User::new();
        self.fill_user(u, path, &mut out);
        out
    }

    /// [`Ctx::user`] written into `out`, a default `User` (see `reuse::fill_box`).
    fn fill_user(&mut self, u: UserInfo, path: &str, out: &mut User) {
        out.name = u.name.filter(|s| !s.is_empty());
        out.uid = u.uid;
        out.domain = u.domain;
        if out.name.is_none() && out.uid.is_none() {
            out.name = Some(crate::strings::owned(UNKNOWN));
        }
        if let Some(name) = &out.name {
            self.observe(path, "name", ObservableTypeId::UserName, name);
        }
    }

    fn endpoint(&mut self, e: EndpointInfo, path: &str) -> NetworkEndpoint {
        let mut out = NetworkEndpoint::new();
        self.fill_endpoint(e, path, &mut out);
        out
    }

    /// [`Ctx::endpoint`] written into `out`, a default `NetworkEndpoint`.
    fn fill_endpoint(&mut self, e: EndpointInfo, path: &str, out: &mut NetworkEndpoint) {
        out.name = e.name;
        let hostname = self.hostname_or_name(e.hostname, &mut out.name, path);
        let mac = self.checked(e.mac, is_ocsf_mac, path, "mac");
        if let Some(ip) = &e.ip {
            self.observe(path, "ip", ObservableTypeId::IpAddress, ip);
        }
        if let Some(h) = &hostname {
            self.observe(path, "hostname", ObservableTypeId::Hostname, h);
        }
        if let Some(m) = &mac {
            self.observe(path, "mac", ObservableTypeId::MacAddress, m);
        }
        out.ip = e.ip;
        out.port = e.port.map(i32::from);
        out.hostname = hostname;
        out.mac = mac;
        out.interface_name = e.interface_name;
        out.svc_name = e.svc_name;
        if out.ip.is_none()
            && out.hostname.is_none()
            && out.name.is_none()
            && out.svc_name.is_none()
            && out.interface_name.is_none()
        {
            out.name = Some(crate::strings::owned(UNKNOWN));
        }
    }

    fn device(&mut self, d: DeviceInfo) -> Device {
        let mut out = Device::default();
        self.fill_device(d, &mut out);
        out
    }

    /// [`Ctx::device`] written into `out`, a default `Device`.
    fn fill_device(&mut self, d: DeviceInfo, out: &mut Device) {
        // The same object as `Device::new(TypeId::Unknown)` builds.
        out.type_ = Some(Cow::Borrowed(TypeId::Unknown.as_str()));
        out.type_id = Some(TypeId::Unknown);
        let mut hostname = d.hostname.or_else(|| self.config.hostname_fallback.clone());
        out.ip = d.ip;
        // A syslog HOSTNAME (or fallback) that is an address is the device's
        // IP, not its hostname.
        if let Some(addr) = hostname.as_deref().and_then(crate::util::ip) {
            hostname = None;
            match &out.ip {
                None => out.ip = Some(addr),
                Some(known) if *known == addr => {}
                Some(_) => {
                    self.invalid
                        .insert(dotted("device", "hostname"), Value::String(addr));
                }
            }
        }
        out.hostname = self.hostname_or_name(hostname, &mut out.name, "device");
        out.uid = d.uid;
        out.mac = self.checked(d.mac, is_ocsf_mac, "device", "mac");
        out.interface_name = d.interface_name;
        if out.hostname.is_none() && out.ip.is_none() && out.uid.is_none() && out.name.is_none() {
            out.name = Some(crate::strings::owned(UNKNOWN));
        }
        if let Some(h) = &out.hostname {
            self.observe("device", "hostname", ObservableTypeId::Hostname, h);
        }
        if let Some(ip) = &out.ip {
            self.observe("device", "ip", ObservableTypeId::IpAddress, ip);
        }
    }

    /// The record's device, boxed for an event's optional `device`.
    fn device_of(&mut self, n: &mut Normalized) -> Option<Box<Device>> {
        Some(Box::new(self.device(std::mem::take(&mut n.device))))
    }

    fn session(s: SessionInfo) -> Session {
        let mut out = Session::new();
        out.uid = s.uid;
        out.terminal = s.terminal;
        out.is_remote = s.is_remote;
        out
    }

    /// A known session, boxed; `None` for an absent or empty one.
    fn session_of(s: Option<SessionInfo>) -> Option<Box<Session>> {
        s.filter(|s| !s.is_empty())
            .map(Ctx::session)
            .map(reuse::boxed)
    }

    fn file(&mut self, f: FileInfo, path: &str) -> File {
        let name = f
            .name
            .or_else(|| f.path.as_deref().map(|p| basename(p).to_owned()))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| UNKNOWN.to_owned());
        let mut out = File::new(name, file_type_id(f.file_type));
        if let Some(p) = &f.path {
            let trimmed = p.trim_end_matches(['/', '\\']);
            if let Some(i) = trimmed.rfind(['/', '\\']) {
                let parent = trimmed[..i].trim_end_matches(['/', '\\']);
                if !parent.is_empty() {
                    out.parent_folder = Some(parent.to_owned());
                }
            }
        }
        out.path = f.path;
        out.size = f.size;
        if f.owner_uid.is_some() || f.owner_name.is_some() {
            let owner = UserInfo {
                uid: f.owner_uid,
                name: f.owner_name,
                domain: None,
            };
            out.owner = Some(Box::new(self.user(owner, &dotted(path, "owner"))));
        }
        if !f.hashes.is_empty() {
            let mut hashes = Vec::with_capacity(f.hashes.len());
            for h in f.hashes {
                self.observe(path, "hashes.value", ObservableTypeId::Hash, &h.value);
                hashes.push(Fingerprint::new(hash_algorithm(h.algorithm), h.value));
            }
            out.hashes = Some(hashes);
        }
        out
    }

    fn process(&mut self, p: ProcessInfo, path: &str) -> Process {
        let mut out = Process::new();
        self.fill_process(p, path, &mut out);
        out
    }

    /// [`Ctx::process`] written into `out`, a default `Process` (see `reuse::fill_box`).
    fn fill_process(&mut self, p: ProcessInfo, path: &str, out: &mut Process) {
        out.pid = p.pid.and_then(|v| i32::try_from(v).ok());
        out.name = p
            .name
            .or_else(|| {
                p.path
                    .as_deref()
                    .map(|x| crate::strings::owned(basename(x)))
            })
            .filter(|s| !s.is_empty());
        if let Some(name) = &out.name {
            self.observe(path, "name", ObservableTypeId::ProcessName, name);
        }
        if out.pid.is_none() {
            let time = crate::util::decimal(self.time_ms);
            out.uid = Some(fnv_id(&[
                &self.host,
                &time,
                out.name.as_deref().unwrap_or_default(),
                p.path.as_deref().unwrap_or_default(),
                p.cmd_line.as_deref().unwrap_or_default(),
            ]));
            crate::strings::keep(time);
        }
        out.cmd_line = p.cmd_line;
        if p.path.is_some() || !p.hashes.is_empty() || p.file_size.is_some() {
            let fi = FileInfo {
                name: None,
                path: p.path,
                file_type: FileType::Regular,
                size: p.file_size,
                hashes: p.hashes,
                ..FileInfo::default()
            };
            let file_path = dotted(path, "file");
            out.file = Some(Box::new(self.file(fi, &file_path)));
            crate::strings::keep(file_path);
        }
        if p.user.is_some() {
            let user_path = dotted(path, "user");
            reuse::fill_box(&mut out.user, p.user, |u, out| {
                self.fill_user(u, &user_path, out);
            });
            crate::strings::keep(user_path);
        }
        out.auid = p.auid;
        out.euid = p.euid;
        out.egid = p.egid;
        out.group = p.group.map(group).map(Box::new);
        if out.auid.is_some() || out.euid.is_some() || out.egid.is_some() || out.group.is_some() {
            self.linux_users = true;
        }
        out.session = Ctx::session_of(p.session);
        out.parent_process = p
            .parent
            .map(|pp| Box::new(self.process(*pp, &dotted(path, "parent_process"))));
    }

    /// The actor from the record's actor fields; `None` when it has none.
    fn actor(&mut self, n: &mut Normalized) -> Option<Actor> {
        let user = n.actor_user.take();
        let process = n.actor_process.take();
        if user.is_none() && process.is_none() {
            return None;
        }
        let mut a = Actor::new();
        a.user = user.map(|u| self.user(u, "actor.user")).map(Box::new);
        a.process = process
            .map(|p| self.process(p, "actor.process"))
            .map(Box::new);
        Some(a)
    }

    /// The actor with the record's session, for classes where the actor is
    /// optional; `None` (and the session dropped) when the record names no
    /// actor.
    fn optional_actor(&mut self, n: &mut Normalized) -> Option<Box<Actor>> {
        let session = n.session.take();
        self.actor(n).map(|mut a| {
            a.session = Ctx::session_of(session);
            Box::new(a)
        })
    }

    /// An actor for classes that require one, with the record's session:
    /// `invoked_by: unknown` when the record names neither actor nor session.
    fn required_actor(&mut self, n: &mut Normalized) -> Actor {
        let session = n.session.take();
        let mut a = self.actor(n).unwrap_or_default();
        a.session = Ctx::session_of(session);
        if a.user.is_none() && a.process.is_none() && a.session.is_none() {
            a.invoked_by = Some(UNKNOWN.to_owned());
        }
        a
    }
}

/// `path.leaf`, without the formatting machinery.
fn dotted(path: &str, leaf: &str) -> String {
    let mut s = crate::strings::buffer(path.len() + 1 + leaf.len());
    s.push_str(path);
    s.push('.');
    s.push_str(leaf);
    s
}

/// Sets `slot` to `path.leaf`, refilling the string it holds.
fn set_dotted(slot: &mut Option<String>, path: &str, leaf: &str) {
    let s = slot.get_or_insert_with(String::new);
    s.clear();
    s.reserve(path.len() + 1 + leaf.len());
    s.push_str(path);
    s.push('.');
    s.push_str(leaf);
}

/// Whether `name` is `dotted(path, leaf)`.
fn is_dotted(name: &str, path: &str, leaf: &str) -> bool {
    name.len() == path.len() + 1 + leaf.len()
        && name.starts_with(path)
        && name.ends_with(leaf)
        && name.as_bytes()[path.len()] == b'.'
}

fn group(g: n::GroupInfo) -> Group {
    let mut out = Group::new();
    out.name = g.name;
    out.uid = g.uid;
    if out.name.is_none() && out.uid.is_none() {
        out.name = Some(UNKNOWN.to_owned());
    }
    out
}

/// The connection info, its `direction` caption as `NetworkConnectionInfo::new` writes it.
fn connection(c: ConnectionInfo) -> NetworkConnectionInfo {
    let id = match c.direction {
        Some(Direction::Inbound) => NetworkConnectionInfoDirectionId::Inbound,
        Some(Direction::Outbound) => NetworkConnectionInfoDirectionId::Outbound,
        Some(Direction::Lateral) => NetworkConnectionInfoDirectionId::Lateral,
        Some(Direction::Unknown) | None => NetworkConnectionInfoDirectionId::Unknown,
    };
    let mut out = NetworkConnectionInfo::default();
    out.direction = Some(Cow::Borrowed(id.as_str()));
    out.direction_id = Some(id);
    out.protocol_name = c.protocol_name;
    out.protocol_num = c.protocol_num;
    out.tcp_flags = c.tcp_flags;
    out.session = Ctx::session_of(c.session);
    out
}

fn traffic(t: n::TrafficInfo) -> NetworkTraffic {
    let mut out = NetworkTraffic::new();
    out.bytes = t.bytes;
    out.bytes_in = t.bytes_in;
    out.bytes_out = t.bytes_out;
    out.packets = t.packets;
    out
}

fn firewall_rule(r: n::RuleInfo) -> FirewallRule {
    let mut out = FirewallRule::new();
    out.uid = r.uid;
    out.name = r.name;
    out
}

fn file_type_id(t: FileType) -> FileTypeId {
    match t {
        FileType::Unknown => FileTypeId::Unknown,
        FileType::Regular => FileTypeId::RegularFile,
        FileType::Folder => FileTypeId::Folder,
        FileType::CharacterDevice => FileTypeId::CharacterDevice,
        FileType::BlockDevice => FileTypeId::BlockDevice,
        FileType::Socket => FileTypeId::LocalSocket,
        FileType::NamedPipe => FileTypeId::NamedPipe,
        FileType::SymbolicLink => FileTypeId::SymbolicLink,
    }
}

fn hash_algorithm(a: HashAlgorithm) -> FingerprintAlgorithmId {
    match a {
        HashAlgorithm::Md5 => FingerprintAlgorithmId::Md5,
        HashAlgorithm::Sha1 => FingerprintAlgorithmId::Sha1,
        HashAlgorithm::Sha256 => FingerprintAlgorithmId::Sha256,
        HashAlgorithm::Sha512 => FingerprintAlgorithmId::Sha512,
    }
}

fn severity_id(s: Severity) -> SeverityId {
    match s {
        Severity::Unknown => SeverityId::Unknown,
        Severity::Informational => SeverityId::Informational,
        Severity::Low => SeverityId::Low,
        Severity::Medium => SeverityId::Medium,
        Severity::High => SeverityId::High,
        Severity::Critical => SeverityId::Critical,
        Severity::Fatal => SeverityId::Fatal,
    }
}

fn malware_class(c: MalwareClass) -> MalwareClassificationIds {
    match c {
        MalwareClass::Unknown => MalwareClassificationIds::Unknown,
        MalwareClass::Adware => MalwareClassificationIds::Adware,
        MalwareClass::Backdoor => MalwareClassificationIds::Backdoor,
        MalwareClass::Bot => MalwareClassificationIds::Bot,
        MalwareClass::Ransomware => MalwareClassificationIds::Ransomware,
        MalwareClass::Rootkit => MalwareClassificationIds::Rootkit,
        MalwareClass::Spyware => MalwareClassificationIds::Spyware,
        MalwareClass::Trojan => MalwareClassificationIds::Trojan,
        MalwareClass::Virus => MalwareClassificationIds::Virus,
        MalwareClass::Worm => MalwareClassificationIds::Worm,
        MalwareClass::Other => MalwareClassificationIds::Other,
    }
}

fn disposition_id(d: &Disposition) -> DispositionId {
    match d {
        Disposition::Allowed => DispositionId::Allowed,
        Disposition::Blocked => DispositionId::Blocked,
        Disposition::Quarantined => DispositionId::Quarantined,
        Disposition::Isolated => DispositionId::Isolated,
        Disposition::Deleted => DispositionId::Deleted,
        Disposition::Dropped => DispositionId::Dropped,
        Disposition::Corrected => DispositionId::Corrected,
        Disposition::Uncorrected => DispositionId::Uncorrected,
        Disposition::Detected => DispositionId::Detected,
        Disposition::NoAction => DispositionId::NoAction,
        Disposition::Logged => DispositionId::Logged,
        Disposition::Reset => DispositionId::Reset,
        Disposition::Other(_) => DispositionId::Other,
    }
}

fn metadata(src: SourceMeta, config: &SourceConfig, host_profile: bool) -> Metadata {
    let mut product = Product::new(
        src.vendor_name
            .unwrap_or_else(|| config.vendor_name.clone()),
    );
    product.name = Some(
        src.product_name
            .unwrap_or_else(|| config.product_name.clone()),
    );
    product.version = src
        .product_version
        .or_else(|| config.product_version.clone());
    if let Some(name) = src.feature {
        let mut feature = Feature::new();
        feature.name = Some(name);
        product.feature = Some(Box::new(feature));
    }
    let mut m = Metadata::new(product, V1_1_0::VERSION.to_owned());
    m.log_name = config.log_name.clone();
    m.log_provider = src.log_provider;
    m.tenant_uid = config.tenant_uid.clone();
    m.event_code = src.event_code;
    m.uid = src.uid;
    m.correlation_uid = src.correlation_uid;
    if !src.labels.is_empty() {
        m.labels = Some(src.labels);
    }
    m.log_level = src.log_level.map(Cow::into_owned);
    if host_profile {
        m.profiles = Some(vec!["host".to_owned()]);
    }
    m
}

/// The `metadata.profiles` name of the Security Control profile.
const SECURITY_CONTROL_PROFILE: &str = "security_control";
/// The `metadata.profiles` name of the Linux extension's users profile.
const LINUX_USERS_PROFILE: &str = "linux/linux_users";

/// Sets `activity_name` to the source's caption for an `Other` activity
/// (the setter keeps a caption set beforehand).
macro_rules! other_activity {
    ($ev:ident, $id:expr, $caption:expr) => {
        if let Some(c) = $caption {
            $ev.activity_name = Some(c);
            $ev.set_activity_id($id);
        }
    };
}

/// The first steps of every class with an activity caption and a status:
/// the `Other` caption, the common attributes and the outcome.
macro_rules! head {
    ($ev:ident, $n:ident, $id:expr, $caption:expr) => {
        other_activity!($ev, $id, $caption);
        common!($ev, $n);
        outcome!($ev, $n);
    };
}

macro_rules! common {
    ($ev:ident, $n:ident) => {
        $ev.message = $n.message.take();
        $ev.raw_data = $n.raw_data.take();
        $ev.count = $n.count.take();
        $ev.status_detail = $n.status_detail.take();
        $ev.status_code = $n.status_code.take();
        $ev.timezone_offset = $n.utc_offset_secs.map(|s| s / 60);
    };
}

macro_rules! outcome {
    ($ev:ident, $n:ident) => {
        match $n.outcome.take() {
            Some(Outcome::Success) => {
                $ev.set_status_id(StatusId::Success);
            }
            Some(Outcome::Failure) => {
                $ev.set_status_id(StatusId::Failure);
            }
            Some(Outcome::Other(c)) => {
                $ev.status = Some(c);
                $ev.set_status_id(StatusId::Other);
            }
            None => {}
        }
    };
}

/// Writes the Security Control attributes. With the profile on (a
/// disposition, an action, or a malware / firewall rule the caller flagged
/// beforehand) `action_id` is required: without an action from the source it
/// is derived from the disposition ([`action_of`]).
macro_rules! security_control {
    ($ev:ident, $n:ident, $c:ident) => {
        if $n.disposition.is_some() || $n.action.is_some() {
            $c.security_control = true;
        }
        let derived = action_of($n.disposition.as_ref());
        if let Some(d) = $n.disposition.take() {
            if let Disposition::Other(c) = &d {
                $ev.disposition = Some(c.clone());
            }
            $ev.set_disposition_id(disposition_id(&d));
        }
        match $n.action.take() {
            Some(Action::Allowed) => {
                $ev.set_action_id(ActionId::Allowed);
            }
            Some(Action::Denied) => {
                $ev.set_action_id(ActionId::Denied);
            }
            Some(Action::Other(c)) => {
                $ev.action = Some(c);
                $ev.set_action_id(ActionId::Other);
            }
            None if $c.security_control => {
                $ev.set_action_id(derived);
            }
            None => {}
        }
    };
}

/// The action a disposition implies: `Allowed` for allowed / no action,
/// `Denied` where the activity was stopped (blocked, dropped, reset,
/// quarantined, isolated, deleted), `Unknown` otherwise (detected, logged,
/// corrected, ...), as OCSF describes `action_id`.
fn action_of(d: Option<&Disposition>) -> ActionId {
    match d {
        Some(Disposition::Allowed | Disposition::NoAction) => ActionId::Allowed,
        Some(
            Disposition::Blocked
            | Disposition::Dropped
            | Disposition::Reset
            | Disposition::Quarantined
            | Disposition::Isolated
            | Disposition::Deleted,
        ) => ActionId::Denied,
        _ => ActionId::Unknown,
    }
}

macro_rules! finish {
    ($ev:ident, $n:ident, $c:ident) => {{
        spill($n);
        if !$c.invalid.is_empty() {
            let invalid = std::mem::take(&mut $c.invalid);
            $n.unmapped.insert("invalid", Value::Object(invalid));
        }
        if !$n.unmapped.is_empty() {
            $ev.unmapped = Some($n.unmapped.take_map());
        }
        $ev.observables = $c.take_observables();
        $c.add_profiles(&mut $ev.metadata);
    }};
}

fn put<T: Serialize>(unmapped: &mut Unmapped, key: &str, value: Option<T>) {
    if let Some(v) = value
        && let Ok(json) = serde_json::to_value(v)
    {
        unmapped.insert(key, prune(json));
    }
}

/// Drops `null` members and empty arrays from spilled neutral structs.
fn prune(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
                .map(|(k, v)| (k, prune(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(prune).collect()),
        other => other,
    }
}

/// Moves `slot`'s fact into `unmapped` under `key`, if there is one. Checked before it is
/// taken: `Option::take` of each of the 25 (mostly empty, some large) facts copied them. The
/// check is inlined into [`spill`] and the move is not: a call per fact, most of them empty,
/// cost about 150 instructions per line.
#[inline(always)]
fn spill_one<T: Serialize>(unmapped: &mut Unmapped, key: &str, slot: &mut Option<T>) {
    if slot.is_some() {
        spill_taken(unmapped, key, slot.take());
    }
}

/// [`spill_one`]'s move of a present fact.
#[inline(never)]
fn spill_taken<T: Serialize>(unmapped: &mut Unmapped, key: &str, value: Option<T>) {
    put(unmapped, key, value);
}

/// Moves every neutral fact the class did not take into `unmapped`.
fn spill(n: &mut Normalized) {
    let u = &mut n.unmapped;
    spill_one(u, "user", &mut n.user);
    spill_one(u, "user_result", &mut n.user_result);
    spill_one(u, "actor_user", &mut n.actor_user);
    spill_one(u, "actor_process", &mut n.actor_process);
    spill_one(u, "process", &mut n.process);
    spill_one(u, "session", &mut n.session);
    spill_one(u, "src_endpoint", &mut n.src);
    spill_one(u, "dst_endpoint", &mut n.dst);
    spill_one(u, "connection_info", &mut n.connection);
    spill_one(u, "traffic", &mut n.traffic);
    spill_one(u, "file", &mut n.file);
    spill_one(u, "file_result", &mut n.file_result);
    spill_one(u, "group", &mut n.group);
    spill_one(u, "job", &mut n.job);
    spill_one(u, "entity", &mut n.entity);
    spill_one(u, "app", &mut n.app);
    spill_one(u, "auth", &mut n.auth);
    spill_one(u, "module_path", &mut n.module_path);
    spill_one(u, "finding", &mut n.finding);
    spill_one(u, "disposition", &mut n.disposition);
    spill_one(u, "action", &mut n.action);
    spill_one(u, "firewall_rule", &mut n.firewall_rule);
    spill_one(u, "url", &mut n.url);
    spill_one(u, "exit_code", &mut n.exit_code);
    spill_one(u, "outcome", &mut n.outcome);
}

/// The most observables [`SPARE_OBSERVABLES`] keeps.
const MAX_SPARE_OBSERVABLES: usize = 16;

thread_local! {
    /// Observables an event rendered into had beyond those of the new event, refilled by
    /// the next event that has more than the one it is rendered into.
    static SPARE_OBSERVABLES: std::cell::RefCell<Vec<Observable>> =
        const { std::cell::RefCell::new(Vec::new()) };
    /// The buffer of [`Ctx::host`], kept across events.
    static HOST: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
}

impl<'a> Ctx<'a> {
    /// The context of rendering `n`; `observables` are those of an event rendered into.
    fn new(n: &Normalized, config: &'a SourceConfig, observables: Vec<Observable>) -> Self {
        let mut host = HOST.with(std::cell::Cell::take);
        host.clear();
        host.push_str(
            n.device
                .hostname
                .as_deref()
                .or(config.hostname_fallback.as_deref())
                .unwrap_or_default(),
        );
        Ctx {
            config,
            observables,
            used: 0,
            host,
            time_ms: n.time_ms,
            security_control: false,
            linux_users: false,
            invalid: Map::new(),
        }
    }

    /// Hands the host buffer back for the next event.
    fn done(self) {
        HOST.with(|h| h.set(self.host));
    }
}

fn render(n: &mut Normalized, config: &SourceConfig) -> Event {
    let mut c = Ctx::new(n, config, Vec::new());
    let event = render_with(n, &mut c);
    c.done();
    event
}

fn render_with(n: &mut Normalized, c: &mut Ctx<'_>) -> Event {
    let config = c.config;
    let activity = std::mem::take(&mut n.activity);
    let fallback = matches!(activity, Activity::Fallback(_));
    let meta = metadata(std::mem::take(&mut n.source), config, !fallback);
    let sev = severity_id(n.severity);
    let time = n.time_ms;
    match activity {
        Activity::Authentication(a) => authentication(n, c, meta, sev, time, a),
        Activity::AccountChange(a) => account_change(n, c, meta, sev, time, a),
        Activity::GroupManagement(a) => group_management(n, c, meta, sev, time, a),
        Activity::EntityManagement(a) => entity_management(n, c, meta, sev, time, a),
        Activity::Process(a) => process_activity(n, c, meta, sev, time, a),
        Activity::FileSystem(a) => file_activity(n, c, meta, sev, time, a),
        Activity::Module(a) => module_activity(n, c, meta, sev, time, a),
        Activity::ScheduledJob(a) => scheduled_job(n, c, meta, sev, time, a),
        Activity::DetectionFinding(a) => detection_finding(n, c, meta, sev, time, a),
        Activity::Network(a) => network_activity(n, c, meta, sev, time, a),
        Activity::Ssh(a) => ssh_activity(n, c, meta, sev, time, a),
        Activity::DeviceConfigState => config_state(n, c, meta, sev, time),
        Activity::ApplicationLifecycle(a) => app_lifecycle(n, c, meta, sev, time, a),
        Activity::Fallback(_) => base_event(n, c, meta, sev, time),
    }
}

fn authentication(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    meta: Metadata,
    sev: SeverityId,
    time: i64,
    a: n::AuthActivity,
) -> Event {
    let (id, caption) = match a {
        n::AuthActivity::Logon => (AuthenticationActivityId::Logon, None),
        n::AuthActivity::Logoff => (AuthenticationActivityId::Logoff, None),
        n::AuthActivity::Other(t) => (AuthenticationActivityId::Other, Some(t)),
    };
    let user = c.user(n.user.take().unwrap_or_default(), "user");
    let mut e = Authentication::new(id, meta, sev, time, user);
    head!(e, n, id, caption);
    e.device = c.device_of(n);
    e.src_endpoint = n
        .src
        .take()
        .map(|x| c.endpoint(x, "src_endpoint"))
        .map(Box::new);
    e.dst_endpoint = n
        .dst
        .take()
        .map(|x| c.endpoint(x, "dst_endpoint"))
        .map(Box::new);
    let svc = n
        .service_name
        .take()
        .or_else(|| e.metadata.log_provider.clone())
        .or_else(|| e.metadata.product.as_ref().and_then(|p| p.name.clone()))
        .unwrap_or_else(|| UNKNOWN.to_owned());
    let mut service = Service::new();
    service.name = Some(svc);
    e.service = Some(Box::new(service));
    e.session = Ctx::session_of(n.session.take());
    // The logging daemon goes to `actor.process`, as in every other class,
    // so one attribute holds its pid whatever the class.
    let actor_user = n.actor_user.take();
    let actor_process = n.actor_process.take();
    if actor_user.is_some() || actor_process.is_some() {
        let mut actor = Actor::new();
        actor.user = actor_user.map(|u| Box::new(c.user(u, "actor.user")));
        actor.process = actor_process.map(|p| Box::new(c.process(p, "actor.process")));
        e.actor = Some(Box::new(actor));
    }
    if let Some(auth) = n.auth.take() {
        match auth.protocol {
            Some(n::AuthProtocol::Kerberos) => {
                e.set_auth_protocol_id(AuthenticationAuthProtocolId::Kerberos);
            }
            Some(n::AuthProtocol::Other(t)) => {
                e.auth_protocol = Some(t);
                e.set_auth_protocol_id(AuthenticationAuthProtocolId::Other);
            }
            None => {}
        }
        if let Some(lt) = auth.logon_type {
            let (id, caption) = logon_type(lt);
            if let Some(t) = caption {
                e.logon_type = Some(t);
            }
            e.set_logon_type_id(id);
        }
        e.is_remote = auth.is_remote;
        if let Some(key) = auth.key {
            ssh_key(c, &mut n.unmapped, key);
        }
    }
    finish!(e, n, c);
    Event::Authentication(Box::new(e))
}

/// A logon's public key: observed by its fingerprint, kept under `unmapped.ssh_key`.
fn ssh_key(c: &mut Ctx<'_>, unmapped: &mut Unmapped, key: n::KeyInfo) {
    c.observe(
        "unmapped.ssh_key",
        "fingerprint",
        ObservableTypeId::Fingerprint,
        &key.fingerprint,
    );
    // Refilled in place when the record's last key had the same members.
    let fingerprint = ("fingerprint", key.fingerprint.as_str());
    match key.key_type.as_deref() {
        Some(t) => unmapped.insert_strs("ssh_key", &[("type", t), fingerprint]),
        None => unmapped.insert_strs("ssh_key", &[fingerprint]),
    }
    crate::strings::keep_all([key.key_type, Some(key.fingerprint)]);
}

fn logon_type(lt: LogonType) -> (AuthenticationLogonTypeId, Option<Caption>) {
    match lt {
        LogonType::System => (AuthenticationLogonTypeId::System, None),
        LogonType::Interactive => (AuthenticationLogonTypeId::Interactive, None),
        LogonType::Network => (AuthenticationLogonTypeId::Network, None),
        LogonType::Batch => (AuthenticationLogonTypeId::Batch, None),
        LogonType::OsService => (AuthenticationLogonTypeId::OsService, None),
        LogonType::NewCredentials => (AuthenticationLogonTypeId::NewCredentials, None),
        LogonType::RemoteInteractive => (AuthenticationLogonTypeId::RemoteInteractive, None),
        LogonType::Other(t) => (AuthenticationLogonTypeId::Other, Some(t)),
    }
}

fn account_change(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    meta: Metadata,
    sev: SeverityId,
    time: i64,
    a: n::AccountActivity,
) -> Event {
    use n::AccountActivity as A;
    let (id, caption) = match a {
        A::Create => (AccountChangeActivityId::Create, None),
        A::Enable => (AccountChangeActivityId::Enable, None),
        A::PasswordChange => (AccountChangeActivityId::PasswordChange, None),
        A::PasswordReset => (AccountChangeActivityId::PasswordReset, None),
        A::Disable => (AccountChangeActivityId::Disable, None),
        A::Delete => (AccountChangeActivityId::Delete, None),
        A::Lock => (AccountChangeActivityId::Lock, None),
        A::Other(t) => (AccountChangeActivityId::Other, Some(t)),
    };
    let user = c.user(n.user.take().unwrap_or_default(), "user");
    let mut e = AccountChange::new(id, meta, sev, time, user);
    head!(e, n, id, caption);
    e.device = c.device_of(n);
    e.user_result = n
        .user_result
        .take()
        .map(|u| c.user(u, "user_result"))
        .map(Box::new);
    e.src_endpoint = n
        .src
        .take()
        .map(|x| c.endpoint(x, "src_endpoint"))
        .map(Box::new);
    e.actor = c.optional_actor(n);
    finish!(e, n, c);
    Event::AccountChange(Box::new(e))
}

fn group_management(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    meta: Metadata,
    sev: SeverityId,
    time: i64,
    a: n::GroupActivity,
) -> Event {
    use n::GroupActivity as G;
    let (id, caption) = match a {
        G::AssignPrivileges => (GroupManagementActivityId::AssignPrivileges, None),
        G::RevokePrivileges => (GroupManagementActivityId::RevokePrivileges, None),
        G::AddUser => (GroupManagementActivityId::AddUser, None),
        G::RemoveUser => (GroupManagementActivityId::RemoveUser, None),
        G::Delete => (GroupManagementActivityId::Delete, None),
        G::Create => (GroupManagementActivityId::Create, None),
        G::Other(t) => (GroupManagementActivityId::Other, Some(t)),
    };
    let g = group(n.group.take().unwrap_or_default());
    let mut e = GroupManagement::new(id, g, meta, sev, time);
    head!(e, n, id, caption);
    e.device = c.device_of(n);
    e.user = n.user.take().map(|u| c.user(u, "user")).map(Box::new);
    e.actor = c.optional_actor(n);
    finish!(e, n, c);
    Event::GroupManagement(Box::new(e))
}

fn entity_management(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    meta: Metadata,
    sev: SeverityId,
    time: i64,
    a: n::EntityActivity,
) -> Event {
    use n::EntityActivity as E;
    let (id, caption) = match a {
        E::Create => (EntityManagementActivityId::Create, None),
        E::Read => (EntityManagementActivityId::Read, None),
        E::Update => (EntityManagementActivityId::Update, None),
        E::Delete => (EntityManagementActivityId::Delete, None),
        E::Other(t) => (EntityManagementActivityId::Other, Some(t)),
    };
    let info = n.entity.take().unwrap_or_default();
    let mut entity = ManagedEntity::new();
    entity.name = info.name;
    entity.uid = info.uid;
    entity.type_ = info.kind;
    if entity.name.is_none() && entity.uid.is_none() {
        entity.name = Some(UNKNOWN.to_owned());
    }
    let mut e = EntityManagement::new(id, entity, meta, sev, time);
    head!(e, n, id, caption);
    e.device = c.device_of(n);
    e.actor = c.optional_actor(n);
    finish!(e, n, c);
    Event::EntityManagement(Box::new(e))
}

fn process_activity(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    meta: Metadata,
    sev: SeverityId,
    time: i64,
    a: n::ProcessActivity,
) -> Event {
    let (id, caption) = match a {
        n::ProcessActivity::Launch => (ProcessActivityActivityId::Launch, None),
        n::ProcessActivity::Terminate => (ProcessActivityActivityId::Terminate, None),
        n::ProcessActivity::Other(t) => (ProcessActivityActivityId::Other, Some(t)),
    };
    let actor = c.required_actor(n);
    let device = c.device(std::mem::take(&mut n.device));
    let process = c.process(n.process.take().unwrap_or_default(), "process");
    let mut e = ProcessActivity::new(id, actor, device, meta, process, sev, time);
    head!(e, n, id, caption);
    security_control!(e, n, c);
    e.exit_code = n.exit_code.take();
    finish!(e, n, c);
    Event::ProcessActivity(Box::new(e))
}

fn file_activity(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    meta: Metadata,
    sev: SeverityId,
    time: i64,
    a: n::FileActivity,
) -> Event {
    use n::FileActivity as F;
    let (id, caption) = match a {
        F::Create => (FileActivityActivityId::Create, None),
        F::Read => (FileActivityActivityId::Read, None),
        F::Update => (FileActivityActivityId::Update, None),
        F::Delete => (FileActivityActivityId::Delete, None),
        F::Rename => (FileActivityActivityId::Rename, None),
        F::SetAttributes => (FileActivityActivityId::SetAttributes, None),
        F::SetSecurity => (FileActivityActivityId::SetSecurity, None),
        F::Open => (FileActivityActivityId::Open, None),
        F::Other(t) => (FileActivityActivityId::Other, Some(t)),
    };
    let actor = c.required_actor(n);
    let device = c.device(std::mem::take(&mut n.device));
    let file = c.file(n.file.take().unwrap_or_default(), "file");
    let mut e = FileActivity::new(id, actor, device, file, meta, sev, time);
    head!(e, n, id, caption);
    security_control!(e, n, c);
    e.file_result = n
        .file_result
        .take()
        .map(|f| c.file(f, "file_result"))
        .map(Box::new);
    finish!(e, n, c);
    Event::FileActivity(Box::new(e))
}

fn module_activity(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    meta: Metadata,
    sev: SeverityId,
    time: i64,
    a: n::ModuleActivity,
) -> Event {
    let id = match a {
        n::ModuleActivity::Load => ModuleActivityActivityId::Load,
        n::ModuleActivity::Unload => ModuleActivityActivityId::Unload,
    };
    let actor = c.required_actor(n);
    let device = c.device(std::mem::take(&mut n.device));
    let mut module = Module::new(ModuleLoadTypeId::Unknown);
    if let Some(path) = n.module_path.take() {
        module.file = Some(Box::new(
            c.file(FileInfo::at(path, FileType::Regular), "module.file"),
        ));
    }
    let mut e = ModuleActivity::new(id, actor, device, meta, module, sev, time);
    common!(e, n);
    outcome!(e, n);
    security_control!(e, n, c);
    finish!(e, n, c);
    Event::ModuleActivity(Box::new(e))
}

fn scheduled_job(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    meta: Metadata,
    sev: SeverityId,
    time: i64,
    a: n::JobActivity,
) -> Event {
    use n::JobActivity as J;
    let (id, caption) = match a {
        J::Create => (ScheduledJobActivityActivityId::Create, None),
        J::Update => (ScheduledJobActivityActivityId::Update, None),
        J::Delete => (ScheduledJobActivityActivityId::Delete, None),
        J::Enable => (ScheduledJobActivityActivityId::Enable, None),
        J::Disable => (ScheduledJobActivityActivityId::Disable, None),
        J::Start => (ScheduledJobActivityActivityId::Start, None),
        J::Other(t) => (ScheduledJobActivityActivityId::Other, Some(t)),
    };
    let device = c.device(std::mem::take(&mut n.device));
    let info = n.job.take().unwrap_or_default();
    let file = c.file(info.file, "job.file");
    let name = if info.name.is_empty() {
        UNKNOWN.to_owned()
    } else {
        info.name
    };
    let mut job = Job::new(file, name);
    job.cmd_line = info.cmd_line;
    job.user = info.user.map(|u| c.user(u, "job.user")).map(Box::new);
    let mut e = ScheduledJobActivity::new(id, device, job, meta, sev, time);
    head!(e, n, id, caption);
    security_control!(e, n, c);
    e.actor = c.optional_actor(n);
    finish!(e, n, c);
    Event::ScheduledJobActivity(Box::new(e))
}

fn detection_finding(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    meta: Metadata,
    sev: SeverityId,
    time: i64,
    a: n::FindingActivity,
) -> Event {
    let id = match a {
        n::FindingActivity::Create => DetectionFindingActivityId::Create,
        n::FindingActivity::Update => DetectionFindingActivityId::Update,
        n::FindingActivity::Close => DetectionFindingActivityId::Close,
    };
    let f = n.finding.take().unwrap_or_default();
    let title = if f.title.is_empty() {
        UNKNOWN.to_owned()
    } else {
        f.title
    };
    let mut info = FindingInfo::new(title, f.uid);
    info.desc = f.desc;
    info.types = (!f.types.is_empty()).then_some(f.types);
    if let Some(rule) = f.rule {
        let mut an = Analytic::new(AnalyticTypeId::Rule);
        an.uid = rule.uid;
        an.name = rule.name;
        info.analytic = Some(Box::new(an));
    }
    if !f.attacks.is_empty() {
        info.attacks = Some(f.attacks.into_iter().flat_map(attacks).collect());
    }
    let mut e = DetectionFinding::new(id, info, meta, sev, time);
    common!(e, n);
    c.security_control |= !f.malware.is_empty();
    security_control!(e, n, c);
    e.set_status_id(DetectionFindingStatusId::New);
    e.confidence_score = f.confidence_score;
    e.device = c.device_of(n);
    if !f.malware.is_empty() {
        e.malware = Some(
            f.malware
                .into_iter()
                .map(|m| {
                    let class = malware_class(m.class);
                    let mut out = Malware::new(vec![class]);
                    out.classifications = Some(vec![class.as_str().to_owned()]);
                    out.name = Some(m.name);
                    out.path = m.path;
                    out
                })
                .collect(),
        );
    }
    if !f.cves.is_empty() {
        e.vulnerabilities = Some(
            f.cves
                .into_iter()
                .map(|id| {
                    let mut v = Vulnerability::new();
                    v.cve = Some(Box::new(Cve::new(id)));
                    v
                })
                .collect(),
        );
    }
    let mut ev = Evidences::new();
    ev.src_endpoint = (n
        .src
        .take()
        .map(|x| c.endpoint(x, "evidences.src_endpoint")))
    .map(Box::new);
    ev.dst_endpoint = (n
        .dst
        .take()
        .map(|x| c.endpoint(x, "evidences.dst_endpoint")))
    .map(Box::new);
    ev.connection_info = n.connection.take().map(connection).map(Box::new);
    ev.file = n
        .file
        .take()
        .map(|f| c.file(f, "evidences.file"))
        .map(Box::new);
    ev.process = n
        .process
        .take()
        .map(|p| c.process(p, "evidences.process"))
        .map(Box::new);
    ev.actor = c.optional_actor(n);
    if ev.src_endpoint.is_some()
        || ev.dst_endpoint.is_some()
        || ev.connection_info.is_some()
        || ev.file.is_some()
        || ev.process.is_some()
        || ev.actor.is_some()
    {
        e.evidences = Some(vec![ev]);
    }
    finish!(e, n, c);
    Event::DetectionFinding(Box::new(e))
}

/// One OCSF `attack` per tactic of a technique (OCSF 1.1.0 deprecates the
/// `tactics` list in favour of one `tactic` per attack), or one without a
/// tactic when the source names none.
fn attacks(a: n::AttackInfo) -> Vec<Attack> {
    let mut base = Attack::new();
    if a.technique_uid.is_some() || a.technique_name.is_some() {
        let mut t = Technique::new();
        t.uid = a.technique_uid;
        t.name = a.technique_name;
        base.technique = Some(Box::new(t));
    }
    if let Some(uid) = a.sub_technique_uid {
        let mut st = SubTechnique::new();
        st.uid = Some(uid);
        base.sub_technique = Some(Box::new(st));
    }
    base.version = a.version;
    if a.tactics.is_empty() {
        return vec![base];
    }
    a.tactics
        .into_iter()
        .map(|t| {
            let mut tactic = Tactic::new();
            tactic.uid = t.uid;
            tactic.name = t.name;
            let mut out = base.clone();
            out.tactic = Some(Box::new(tactic));
            out
        })
        .collect()
}

fn network_ids(a: n::NetworkActivity) -> (i32, Option<Caption>) {
    use n::NetworkActivity as N;
    match a {
        N::Open => (1, None),
        N::Close => (2, None),
        N::Reset => (3, None),
        N::Fail => (4, None),
        N::Refuse => (5, None),
        N::Traffic => (6, None),
        N::Other(t) => (99, Some(t)),
    }
}

fn network_activity(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    meta: Metadata,
    sev: SeverityId,
    time: i64,
    a: n::NetworkActivity,
) -> Event {
    let (raw, caption) = network_ids(a);
    let id = NetworkActivityActivityId::from_id(raw);
    let src = c.endpoint(n.src.take().unwrap_or_default(), "src_endpoint");
    let dst = c.endpoint(n.dst.take().unwrap_or_default(), "dst_endpoint");
    let mut e = NetworkActivity::new(id, dst, meta, sev, src, time);
    head!(e, n, id, caption);
    c.security_control |= n.firewall_rule.is_some();
    security_control!(e, n, c);
    e.device = c.device_of(n);
    e.connection_info = n.connection.take().map(connection).map(Box::new);
    e.traffic = n.traffic.take().map(traffic).map(Box::new);
    e.firewall_rule = n.firewall_rule.take().map(firewall_rule).map(Box::new);
    if let Some(url) = n.url.take() {
        c.observe("url", "url_string", ObservableTypeId::UrlString, &url);
        let mut u = url_object(url);
        u.hostname = c.checked(u.hostname.take(), is_ocsf_hostname, "url", "hostname");
        e.url = Some(Box::new(u));
    }
    e.app_name = n.app.take().map(|a| a.name);
    e.actor = c.optional_actor(n);
    finish!(e, n, c);
    Event::NetworkActivity(Box::new(e))
}

fn url_object(url: String) -> Url {
    let mut out = Url::new();
    let rest = url
        .split_once("://")
        .map_or(url.as_str(), |(scheme, rest)| {
            out.scheme = Some(scheme.to_ascii_lowercase());
            rest
        });
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..host_end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => {
            out.port = p.parse().ok();
            h
        }
        _ => authority,
    };
    if !host.is_empty() {
        out.hostname = Some(host.to_owned());
    }
    let tail = &rest[host_end..];
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    let path = path.split('#').next().unwrap_or_default();
    out.path = Some(path.to_owned()).filter(|p| !p.is_empty());
    out.query_string = query.map(|q| q.split('#').next().unwrap_or_default().to_owned());
    out.url_string = Some(url);
    out
}

fn ssh_activity(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    meta: Metadata,
    sev: SeverityId,
    time: i64,
    a: n::NetworkActivity,
) -> Event {
    let (raw, caption) = network_ids(a);
    let id = SshActivityActivityId::from_id(raw);
    let src = c.endpoint(n.src.take().unwrap_or_default(), "src_endpoint");
    let dst = c.endpoint(n.dst.take().unwrap_or_default(), "dst_endpoint");
    let mut e = SshActivity::new(id, dst, meta, sev, src, time);
    head!(e, n, id, caption);
    security_control!(e, n, c);
    e.device = c.device_of(n);
    e.connection_info = n.connection.take().map(connection).map(Box::new);
    e.actor = c.optional_actor(n);
    finish!(e, n, c);
    Event::SshActivity(Box::new(e))
}

fn config_state(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    meta: Metadata,
    sev: SeverityId,
    time: i64,
) -> Event {
    let device = c.device(std::mem::take(&mut n.device));
    let mut e = ConfigState::new(ConfigStateActivityId::Log, device, meta, sev, time);
    common!(e, n);
    outcome!(e, n);
    e.actor = c.optional_actor(n);
    finish!(e, n, c);
    Event::ConfigState(Box::new(e))
}

fn app_lifecycle(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    meta: Metadata,
    sev: SeverityId,
    time: i64,
    a: n::AppActivity,
) -> Event {
    use n::AppActivity as A;
    let (id, caption) = match a {
        A::Install => (ApplicationLifecycleActivityId::Install, None),
        A::Remove => (ApplicationLifecycleActivityId::Remove, None),
        A::Start => (ApplicationLifecycleActivityId::Start, None),
        A::Stop => (ApplicationLifecycleActivityId::Stop, None),
        A::Other(t) => (ApplicationLifecycleActivityId::Other, Some(t)),
    };
    let info = n.app.take().unwrap_or_default();
    let mut app = Product::new(UNKNOWN.to_owned());
    app.name = Some(if info.name.is_empty() {
        UNKNOWN.to_owned()
    } else {
        info.name
    });
    app.version = info.version;
    app.uid = info.uid;
    let mut e = ApplicationLifecycle::new(id, app, meta, sev, time);
    head!(e, n, id, caption);
    e.device = c.device_of(n);
    e.actor = c.optional_actor(n);
    finish!(e, n, c);
    Event::ApplicationLifecycle(Box::new(e))
}

fn base_event(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    meta: Metadata,
    sev: SeverityId,
    time: i64,
) -> Event {
    let mut e = BaseEvent::new(BaseEventActivityId::Unknown, meta, sev, time);
    common!(e, n);
    outcome!(e, n);
    let device = std::mem::take(&mut n.device);
    if device != DeviceInfo::default() {
        if let Some(h) = &device.hostname {
            c.observe("unmapped.device", "hostname", ObservableTypeId::Hostname, h);
        }
        put(&mut n.unmapped, "device", Some(device));
    }
    finish!(e, n, c);
    Event::BaseEvent(Box::new(e))
}

#[path = "v1_1_0_into.rs"]
mod into;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split() {
        let u = url_object("https://user@example.com:8443/a/b?x=1#f".to_owned());
        assert_eq!(u.scheme.as_deref(), Some("https"));
        assert_eq!(u.hostname.as_deref(), Some("example.com"));
        assert_eq!(u.port, Some(8443));
        assert_eq!(u.path.as_deref(), Some("/a/b"));
        assert_eq!(u.query_string.as_deref(), Some("x=1"));
        let u = url_object("example.com".to_owned());
        assert_eq!(u.hostname.as_deref(), Some("example.com"));
        assert_eq!(u.path, None);
        assert_eq!(u.scheme, None);
    }

    #[test]
    fn parent_folders_of_odd_paths() {
        let mut c = Ctx {
            config: &SourceConfig::linux(),
            observables: Vec::new(),
            used: 0,
            host: String::new(),
            time_ms: 0,
            security_control: false,
            linux_users: false,
            invalid: Map::new(),
        };
        let parent = |c: &mut Ctx<'_>, p: &str| {
            c.file(FileInfo::at(p, FileType::Regular), "f")
                .parent_folder
        };
        assert_eq!(parent(&mut c, "/tmp/\u{e9}/"), Some("/tmp".to_owned()));
        assert_eq!(parent(&mut c, "/tmp//x"), Some("/tmp".to_owned()));
        assert_eq!(parent(&mut c, r"C:\dir\\f.exe"), Some(r"C:\dir".to_owned()));
        assert_eq!(parent(&mut c, "/x"), None);
        assert_eq!(parent(&mut c, "x"), None);
        assert_eq!(parent(&mut c, "/"), None);
    }

    #[test]
    fn leftovers_are_spilled_to_unmapped() {
        let mut n = Normalized::new(Activity::DeviceConfigState, 1_000, Severity::Informational);
        n.url = Some("http://x".into());
        n.src = crate::util::endpoint("192.0.2.1", Some(1));
        let e = render(&mut n, &SourceConfig::linux());
        let un = e.unmapped().cloned().unwrap_or_default();
        assert_eq!(un.get("url"), Some(&Value::String("http://x".into())));
        assert_eq!(un["src_endpoint"]["ip"], "192.0.2.1");
    }

    #[test]
    fn values_ocsf_rejects_are_kept_aside() {
        let mut n = Normalized::new(Activity::Ssh(n::NetworkActivity::Open), 0, Severity::Low);
        n.src = Some(EndpointInfo {
            hostname: Some("build_box".into()),
            mac: Some("52:54:00:12:34".into()),
            ..EndpointInfo::default()
        });
        n.dst = Some(EndpointInfo {
            hostname: Some("192.".into()),
            name: Some("gateway".into()),
            ..EndpointInfo::default()
        });
        n.device.hostname = Some("-bad-".into());
        let j = serde_json::to_value(render(&mut n, &SourceConfig::linux())).unwrap_or_default();
        assert_eq!(j["src_endpoint"]["name"], "build_box");
        assert_eq!(j["src_endpoint"].get("hostname"), None);
        assert_eq!(j["src_endpoint"].get("mac"), None);
        assert_eq!(j["dst_endpoint"]["name"], "gateway");
        assert_eq!(j["device"]["name"], "-bad-");
        let invalid = &j["unmapped"]["invalid"];
        assert_eq!(invalid["src_endpoint.mac"], "52:54:00:12:34");
        assert_eq!(invalid["dst_endpoint.hostname"], "192.");
        assert_eq!(
            j.get("observables"),
            None,
            "no observable for a rejected value"
        );
    }

    #[test]
    fn profiles_follow_the_attributes_written() {
        let mut n = Normalized::new(
            Activity::Network(n::NetworkActivity::Refuse),
            0,
            Severity::Low,
        );
        n.disposition = Some(Disposition::Blocked);
        let j = serde_json::to_value(render(&mut n, &SourceConfig::linux())).unwrap_or_default();
        assert_eq!(
            j["metadata"]["profiles"],
            serde_json::json!(["host", "security_control"])
        );
        assert_eq!(j["action_id"], 2, "derived from the disposition");

        let mut n = Normalized::new(
            Activity::Network(n::NetworkActivity::Open),
            0,
            Severity::Low,
        );
        n.firewall_rule = Some(n::RuleInfo {
            uid: None,
            name: Some("r".into()),
        });
        let j = serde_json::to_value(render(&mut n, &SourceConfig::linux())).unwrap_or_default();
        assert_eq!(j["action_id"], 0, "no disposition: unknown action");

        let mut n = Normalized::new(
            Activity::Process(n::ProcessActivity::Launch),
            0,
            Severity::Low,
        );
        n.process = Some(ProcessInfo {
            pid: Some(1),
            auid: Some(1000),
            ..ProcessInfo::default()
        });
        let j = serde_json::to_value(render(&mut n, &SourceConfig::linux())).unwrap_or_default();
        assert_eq!(
            j["metadata"]["profiles"],
            serde_json::json!(["host", "linux/linux_users"])
        );
        assert_eq!(j.get("action_id"), None);
    }

    #[test]
    fn required_values_never_missing() {
        let mut n = Normalized::new(Activity::Ssh(n::NetworkActivity::Fail), 0, Severity::Low);
        let j = serde_json::to_value(render(&mut n, &SourceConfig::linux())).unwrap_or_default();
        assert_eq!(j["src_endpoint"]["name"], "unknown");
        let mut n = Normalized::new(
            Activity::Process(n::ProcessActivity::Launch),
            0,
            Severity::Low,
        );
        let j = serde_json::to_value(render(&mut n, &SourceConfig::linux())).unwrap_or_default();
        assert_eq!(j["actor"]["invoked_by"], "unknown");
        assert_eq!(j["process"]["uid"].as_str().map(str::len), Some(16));
    }
}

//! Linux operating-system logs: syslog lines, raw auditd records and journald
//! entries, mapped by the program that logged them.
//!
//! [`LinuxMapper`] accepts, line by line and auto-detected:
//!
//! * syslog lines (RFC 3164, RFC 5424, RFC 3339-prefixed), dispatched by the
//!   program (tag) to the program mappers — `sshd`, PAM modules (any program),
//!   `sudo`, `su`, the shadow-utils account and group tools, `cron`, `systemd`
//!   and `systemd-logind`, `polkitd`, `NetworkManager`, `firewalld`, the
//!   audit daemon, kernel firewall and fault logs, and a few classic daemons;
//!   audit records inside kernel and audisp-syslog messages, and those
//!   journald forwards (`audit[PID]: USER_AUTH ...`, one event each), go to
//!   the auditd mapping;
//!   sudo's `(command continued)` lines are joined to the record they continue;
//! * raw auditd records (`type=...` or `node=... type=...`), grouped by
//!   serial with the bounded [`AuditGrouper`];
//! * journald `-o json` lines (`{...}`), whose `MESSAGE` goes through the same
//!   program mappers with time, host, unit, pid and uid from journald's fields
//!   (`-o export` streams are read with [`LinuxMapper::journal_export`]).
//!
//! The exact table of recognized messages is `MAPPINGS.md` in the crate.

mod accounts;
mod audit_daemon;
mod auditd;
mod connections;
mod cron;
mod journal_stream;
mod journald;
mod kernel;
mod misc;
mod netconfig;
mod pam;
mod polkit;
mod sshd;
mod sudo;
mod systemd;

use std::borrow::Cow;
use std::marker::PhantomData;

use serde_json::{Map, Value};

use crate::Error;
use crate::config::SourceConfig;
use crate::formats::auditd::AuditGrouper;
use crate::formats::journald::JournalEntry;
use crate::formats::syslog::{self, Multiline, SyslogContext, SyslogRecord};
use crate::normalized::{Activity, EndpointInfo, Normalized, ProcessInfo, Severity, UserInfo};
use crate::render::{Target, V1_1_0};
use crate::stats::{FallbackReason, MapperStats};
use crate::stream::LineMapper;
use crate::util::TrimWs;

#[cfg(feature = "async")]
pub use self::journal_stream::AsyncJournalExport;
pub use self::journal_stream::JournalEvents;

pub(crate) use sshd::user as user_info;

/// Why a program mapper did not produce a record.
#[derive(Debug)]
pub(crate) enum Miss {
    /// The message is not one this mapper knows.
    Unrecognized,
    /// The message was recognized but a field is malformed.
    Malformed(Cow<'static, str>),
}

pub(crate) type Recognized = Result<Box<Normalized>, Miss>;

/// Where a message came from: the facts a transport (syslog header, journald
/// fields) gives about it.
///
/// Used with [`LinuxMapper::map_message`] to map a message body whose
/// transport was already decoded elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageContext<'a> {
    /// Event time, epoch milliseconds UTC.
    pub time_ms: i64,
    /// The UTC offset of the sender's clock, seconds, when known.
    pub utc_offset_secs: Option<i32>,
    /// The host that logged the message.
    pub hostname: Option<&'a str>,
    /// The program (syslog tag, journald `SYSLOG_IDENTIFIER`).
    pub program: Option<&'a str>,
    /// A sub-facility, as `pam_unix` in `sshd(pam_unix)[42]:`.
    pub sub_program: Option<&'a str>,
    /// The logging process's id.
    pub pid: Option<u32>,
    /// The logging process's user id (journald `_UID`).
    pub uid: Option<u32>,
    /// The systemd unit the message is about (journald `UNIT`) or from.
    pub unit: Option<&'a str>,
    /// Syslog severity 0-7.
    pub severity: Option<u8>,
}

impl<'a> MessageContext<'a> {
    /// A context for a message of `program` at `time_ms`.
    pub fn new(program: &'a str, time_ms: i64) -> Self {
        MessageContext {
            time_ms,
            program: Some(program),
            ..MessageContext::default()
        }
    }

    /// Sets the hostname.
    #[must_use]
    pub fn with_hostname(mut self, hostname: &'a str) -> Self {
        self.hostname = Some(hostname);
        self
    }

    /// Sets the process id.
    #[must_use]
    pub fn with_pid(mut self, pid: u32) -> Self {
        self.pid = Some(pid);
        self
    }

    fn from_syslog(rec: &'a SyslogRecord<'a>) -> Self {
        MessageContext {
            time_ms: rec.time_ms,
            utc_offset_secs: rec.utc_offset_secs,
            hostname: rec.hostname,
            program: rec.app,
            sub_program: rec.sub_program,
            pid: rec.pid,
            uid: None,
            unit: None,
            severity: rec.severity,
        }
    }

    /// The program's base name (`/usr/sbin/cron` → `cron`).
    pub(crate) fn program_name(&self) -> &'a str {
        base_name(self.program.unwrap_or_default())
    }

    /// A record with the transport's facts filled in.
    pub(crate) fn event(&self, activity: Activity, severity: Severity) -> Box<Normalized> {
        let mut n = Normalized::new(activity, self.time_ms, severity);
        n.utc_offset_secs = self.utc_offset_secs;
        n.device.hostname = self.hostname.map(|h| n.string(h));
        n.source.log_provider = self.program.map(|p| n.string(p));
        n.source.log_level = self.severity.map(|s| Cow::Borrowed(level_name(s)));
        n
    }

    /// The logging process.
    pub(crate) fn process(&self) -> ProcessInfo {
        let mut p = ProcessInfo::named(self.program_name(), self.pid);
        p.user = self.uid.map(|u| UserInfo::with_uid(u.to_string()));
        p
    }

    /// [`MessageContext::process`], its name in a buffer `n` kept ([`Normalized::string`]).
    pub(crate) fn process_for(&self, n: &mut Normalized) -> ProcessInfo {
        let mut p = ProcessInfo {
            name: Some(n.string(self.program_name())),
            pid: self.pid,
            ..ProcessInfo::default()
        };
        p.user = self
            .uid
            .map(|u| UserInfo::with_uid(crate::util::decimal(i64::from(u))));
        p
    }

    /// [`MessageContext::local_endpoint`], its strings in buffers `n` kept
    /// ([`Normalized::string`]).
    pub(crate) fn local_endpoint_for(&self, n: &mut Normalized, svc: &str) -> EndpointInfo {
        let ip = self.hostname.and_then(crate::util::ip);
        EndpointInfo {
            hostname: self.hostname.filter(|_| ip.is_none()).map(|h| n.string(h)),
            ip,
            svc_name: Some(n.string(svc)),
            ..EndpointInfo::default()
        }
    }

    /// This host as the destination of a connection to `svc`.
    pub(crate) fn local_endpoint(&self, svc: &str) -> EndpointInfo {
        // A HOSTNAME field that is an address is this host's IP.
        let ip = self.hostname.and_then(crate::util::ip);
        EndpointInfo {
            hostname: self.hostname.filter(|_| ip.is_none()).map(str::to_owned),
            ip,
            svc_name: Some(svc.to_owned()),
            ..EndpointInfo::default()
        }
    }
}

/// The syslog name of severity `s` (0-7).
pub(crate) fn level_name(s: u8) -> &'static str {
    match s {
        0 => "emerg",
        1 => "alert",
        2 => "crit",
        3 => "err",
        4 => "warning",
        5 => "notice",
        6 => "info",
        _ => "debug",
    }
}

/// Maps Linux logs to typed OCSF events (OCSF 1.1.0 unless another
/// [`Target`] is chosen).
///
/// Feed it lines with [`map_line`](Self::map_line) (or a whole reader with
/// [`events`](crate::stream::events)), then call [`finish`](Self::finish) to
/// flush what is still buffered: a sudo record that may be continued, and audit
/// records waiting for the rest of their event.
///
/// ```
/// use ocsf_mappers::{LinuxMapper, SourceConfig};
///
/// // 2024-06-10T06:13:20Z; RFC 3164 lines are read in UTC-05:00.
/// let config = SourceConfig::linux()
///     .with_reference_ms(1_718_000_000_000)
///     .with_utc_offset_secs(-5 * 3600);
/// let mut mapper = LinuxMapper::new(config);
/// let events = mapper.map_line(
///     "Jun  9 22:00:01 web1 sshd[811]: Failed password for invalid user admin from 198.51.100.7 port 40022 ssh2",
/// );
/// assert_eq!(events.len(), 1);
/// let json = serde_json::to_value(&events[0])?;
/// assert_eq!(json["class_uid"], 3002);
/// assert_eq!(json["status"], "Failure");
/// assert_eq!(json["user"]["name"], "admin");
/// assert_eq!(json["src_endpoint"]["ip"], "198.51.100.7");
/// assert_eq!(json["time"], 1_717_988_401_000_i64); // 2024-06-10T03:00:01Z
///
/// // Audit records are grouped by serial; `finish` flushes the last event.
/// mapper.map_line(r#"type=SYSCALL msg=audit(1718000000.100:77): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=4242 auid=1000 uid=0 comm="id" exe="/usr/bin/id""#);
/// mapper.map_line(r#"type=EXECVE msg=audit(1718000000.100:77): argc=2 a0="id" a1="-u""#);
/// let events = mapper.finish();
/// assert_eq!(events[0].class_uid(), 1007);
/// assert_eq!(serde_json::to_value(&events[0])?["process"]["cmd_line"], "id -u");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug)]
pub struct LinuxMapper<T: Target = V1_1_0> {
    config: SourceConfig,
    syslog_ctx: SyslogContext,
    stats: MapperStats,
    grouper: AuditGrouper<'static>,
    sudo: Multiline,
    connections: connections::Connections,
    /// Events of earlier lines handed back by `map_line_reusing`, rendered into next.
    spare: Vec<T::Event>,
    target: PhantomData<fn() -> T>,
}

/// The most events of earlier lines a mapper keeps for reuse.
const MAX_SPARE_EVENTS: usize = 16;

impl LinuxMapper<V1_1_0> {
    /// A mapper producing OCSF 1.1.0 events.
    pub fn new(config: SourceConfig) -> Self {
        LinuxMapper::with_target(config)
    }
}

impl<T: Target> LinuxMapper<T> {
    /// A mapper producing events of target `T`.
    pub fn with_target(config: SourceConfig) -> Self {
        let syslog_ctx = config.syslog_context();
        LinuxMapper {
            grouper: AuditGrouper::new(config.audit_grouping),
            sudo: Multiline::new(syslog_ctx),
            syslog_ctx,
            config,
            stats: MapperStats::default(),
            connections: connections::Connections::default(),
            spare: Vec::new(),
            target: PhantomData,
        }
    }

    /// The OCSF classes this mapper emits (`class_uid`; 0 is the Base Event of a fallback).
    pub const CLASSES: &'static [i32] = &[
        0, 1001, 1005, 1006, 1007, 2004, 3001, 3002, 3004, 3006, 4001, 4007, 5002, 6002,
    ];

    /// The attribute paths this mapper can fill in events of class `class_uid` (a
    /// [`Projection`](crate::Projection)): what a source written from this mapper should use as
    /// its columnar projection, `None` for a class it does not emit (or when the target
    /// declares no paths).
    ///
    /// ```
    /// use ocsf_mappers::{LinuxMapper, SourceConfig, V1_1_0};
    ///
    /// let mapper = LinuxMapper::new(SourceConfig::linux());
    /// for &class in LinuxMapper::<V1_1_0>::CLASSES {
    ///     let projection = mapper.projection(class).expect("declared");
    ///     assert!(projection.covers("metadata.version"));
    /// }
    /// ```
    pub fn projection(&self, class_uid: i32) -> Option<crate::Projection> {
        if Self::CLASSES.contains(&class_uid) {
            T::projection(class_uid)
        } else {
            None
        }
    }

    /// The source configuration.
    pub fn config(&self) -> &SourceConfig {
        &self.config
    }

    /// The counters so far.
    pub fn stats(&self) -> &MapperStats {
        &self.stats
    }

    /// Moves the reference clock (year inference, missing times), e.g. to the
    /// modification time of the next file.
    pub fn set_reference_ms(&mut self, reference_ms: i64) {
        self.config.reference_ms = reference_ms;
        self.syslog_ctx = self.config.syslog_context();
    }

    /// Maps one input line; returns the events it completes (usually one;
    /// none for a sudo record that may still be continued or an audit record
    /// whose event is still open, and none for a blank line).
    pub fn map_line(&mut self, line: &str) -> Vec<T::Event> {
        let mut out = Vec::new();
        self.map_line_into(line, &mut out);
        out
    }

    /// [`map_line`](Self::map_line) into reused events: the events in `out` (those of the
    /// previous line) are overwritten by this line's, keeping their allocations where the
    /// target can ([`Target::render_into`]), and `out` then holds exactly this line's events.
    /// The events are equal to those [`map_line`](Self::map_line) returns.
    ///
    /// ```
    /// use ocsf_mappers::{LinuxMapper, SourceConfig};
    ///
    /// let mut mapper = LinuxMapper::new(SourceConfig::linux().with_reference_ms(1_718_000_000_000));
    /// let mut fresh = LinuxMapper::new(SourceConfig::linux().with_reference_ms(1_718_000_000_000));
    /// let mut events = Vec::new();
    /// for line in [
    ///     "Jun  9 12:00:00 h sshd[1]: Accepted publickey for alice from 192.0.2.10 port 50022 ssh2",
    ///     "Jun  9 12:00:01 h sshd[2]: Failed password for root from 192.0.2.11 port 50023 ssh2",
    /// ] {
    ///     mapper.map_line_reusing(line, &mut events);
    ///     assert_eq!(
    ///         serde_json::to_value(&events)?,
    ///         serde_json::to_value(fresh.map_line(line))?
    ///     );
    /// }
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn map_line_reusing(&mut self, line: &str, out: &mut Vec<T::Event>) {
        self.take_spares(out);
        self.map_line_into(line, out);
    }

    /// Empties `out`, keeping a few of its events for the next ones to be rendered into (a
    /// line completes one or two: a flushed sudo record).
    pub(crate) fn take_spares(&mut self, out: &mut Vec<T::Event>) {
        let keep = out
            .len()
            .min(MAX_SPARE_EVENTS.saturating_sub(self.spare.len()));
        self.spare.extend(out.drain(..keep));
        out.clear();
    }

    /// [`map_line`](Self::map_line), appending to `out`.
    pub fn map_line_into(&mut self, line: &str, out: &mut Vec<T::Event>) {
        self.stats.accepted += 1;
        let line = line.trim_end_matches(['\r', '\n']);
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            self.stats.blank += 1;
            return;
        }
        if trimmed.starts_with("type=") || trimmed.starts_with("node=") {
            self.flush_sudo(out);
            self.audit_line(line, out);
            return;
        }
        if trimmed.starts_with('{') {
            self.flush_sudo(out);
            self.journal_json_line(line, out);
            return;
        }
        let rec = match syslog::parse(line, &self.syslog_ctx) {
            Ok(rec) => rec,
            Err(e) => {
                self.flush_sudo(out);
                let n = self.parse_fallback(line, FallbackReason::SyslogHeader, &e);
                self.emit(n, out);
                return;
            }
        };
        if rec.app == Some("sudo") {
            match self.sudo.push(line) {
                Ok(Some(joined)) => self.map_joined(joined.text(), out),
                Ok(None) => {}
                Err(e) => {
                    let n = self.parse_fallback(line, FallbackReason::SyslogHeader, &e);
                    self.emit(n, out);
                }
            }
            return;
        }
        self.flush_sudo(out);
        self.map_syslog(&rec, out);
    }

    /// Maps a message body whose transport was decoded elsewhere, dispatched
    /// by `ctx.program` like a syslog line's message.
    ///
    /// Audit records go where a syslog line's would: journald's form (program
    /// `audit`, `USER_AUTH pid=... msg='...'`) is one event at `ctx.time_ms`,
    /// returned at once; a record that keeps its `audit(TIME:SERIAL)` stamp
    /// (program `kernel`, `audit: type=1400 audit(...): ...`, or
    /// `audisp-syslog`) is grouped by serial as [`map_line`](Self::map_line)
    /// groups it, so a record of a multi-record event (`SYSCALL`, `PATH`)
    /// returns nothing and its event comes with a later call or
    /// [`finish`](Self::finish); a stamped record that does not parse is an
    /// `audit_record` fallback. Any other message goes to the program mappers.
    ///
    /// ```
    /// use ocsf_mappers::{LinuxMapper, MessageContext, SourceConfig};
    ///
    /// let mut mapper = LinuxMapper::new(SourceConfig::linux());
    /// let ctx = MessageContext::new("sshd", 1_700_000_000_000).with_pid(42);
    /// let events = mapper.map_message(&ctx, "Invalid user oracle from 203.0.113.9 port 51000");
    /// assert_eq!(events[0].class_uid(), 3002);
    ///
    /// let ctx = MessageContext::new("audit", 1_700_000_001_000).with_hostname("web1");
    /// let events = mapper.map_message(
    ///     &ctx,
    ///     "USER_AUTH pid=7 uid=0 msg='op=PAM:authentication acct=\"root\" exe=\"/usr/sbin/sshd\" addr=203.0.113.9 res=failed'",
    /// );
    /// assert_eq!(events[0].class_uid(), 3002);
    ///
    /// let ctx = MessageContext::new("kernel", 1_700_000_002_000);
    /// let syscall = r#"audit: type=1300 audit(1700000002.000:9): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=8 auid=1000 uid=0 comm="id" exe="/usr/bin/id""#;
    /// assert!(mapper.map_message(&ctx, syscall).is_empty());
    /// assert_eq!(mapper.finish()[0].class_uid(), 1007);
    /// ```
    pub fn map_message(&mut self, ctx: &MessageContext<'_>, message: &str) -> Vec<T::Event> {
        self.stats.accepted += 1;
        let mut out = Vec::new();
        if self.relayed_audit(ctx, message, &mut out) {
            return out;
        }
        let mut n = self.dispatch(ctx, message, message);
        self.connections.correlate(ctx, message.trim_ws(), &mut n);
        self.emit(n, &mut out);
        out
    }

    /// Maps one journald entry (from [`ExportReader`](crate::formats::journald::ExportReader)
    /// or [`JsonReader`](crate::formats::journald::JsonReader)), appending the
    /// events to `out`.
    pub fn map_journal_entry(&mut self, entry: &JournalEntry, out: &mut Vec<T::Event>) {
        self.stats.accepted += 1;
        self.journal_entry(entry, out);
    }

    /// Emits a fallback event for a journald read error (the reader has
    /// resynchronized at the next entry).
    pub fn map_journal_error(&mut self, error: &Error, out: &mut Vec<T::Event>) {
        self.stats.accepted += 1;
        let n = self.parse_fallback("", FallbackReason::JournalEntry, error);
        self.emit(n, out);
    }

    /// Flushes buffered state: the pending sudo record and every open audit
    /// event. Call at the end of the input.
    pub fn finish(&mut self) -> Vec<T::Event> {
        let mut out = Vec::new();
        self.finish_into(&mut out);
        out
    }

    /// [`finish`](Self::finish), appending to `out`.
    pub fn finish_into(&mut self, out: &mut Vec<T::Event>) {
        self.flush_sudo(out);
        for ev in self.grouper.flush() {
            let n = auditd::map_event(&ev, &self.config);
            self.emit(n, out);
        }
    }

    fn flush_sudo(&mut self, out: &mut Vec<T::Event>) {
        if let Some(joined) = self.sudo.finish() {
            self.map_joined(joined.text(), out);
        }
    }

    fn map_joined(&mut self, text: &str, out: &mut Vec<T::Event>) {
        match syslog::parse(text, &self.syslog_ctx) {
            Ok(rec) => self.map_syslog(&rec, out),
            Err(e) => {
                let n = self.parse_fallback(text, FallbackReason::SyslogHeader, &e);
                self.emit(n, out);
            }
        }
    }

    fn map_syslog(&mut self, rec: &SyslogRecord<'_>, out: &mut Vec<T::Event>) {
        let ctx = MessageContext::from_syslog(rec);
        if self.relayed_audit(&ctx, &rec.message, out) {
            return;
        }
        let mut n = self.dispatch(&ctx, &rec.message, rec.raw);
        self.connections
            .correlate(&ctx, rec.message.trim_ws(), &mut n);
        self.emit(n, out);
    }

    /// Maps `message` when it is an audit record that came inside a syslog or
    /// journal message; `false` (nothing done) for any other message.
    ///
    /// * The kernel's `audit: type=1400 audit(...): ...` and audisp-syslog's
    ///   lines carry their stamp: the record is grouped like a raw record (and
    ///   a record that does not parse is an `audit_record` fallback).
    /// * journald's form (`audit[PID]: USER_AUTH pid=... msg='...'`, see
    ///   [`parse_journal_message`](crate::formats::auditd::parse_journal_message))
    ///   has neither time nor serial: the time is the message's, and the record
    ///   is an event by itself, mapped at once. A message of `audit` that is
    ///   not such a record is left to the program mappers, as before.
    ///
    /// Either way the record's type number becomes its name and the message's
    /// host its `node`.
    fn relayed_audit(
        &mut self,
        ctx: &MessageContext<'_>,
        message: &str,
        out: &mut Vec<T::Event>,
    ) -> bool {
        let program = ctx.program_name();
        let node = |rec: &mut crate::formats::auditd::AuditRecord<'_>| {
            if rec.node.is_none() {
                rec.node = ctx.hostname.map(|h| Cow::Owned(h.to_owned()));
            }
        };
        if let Some(body) = audit_record_in(program, message) {
            match crate::formats::auditd::parse(body) {
                Ok(mut rec) => {
                    node(&mut rec);
                    self.audit_record(rec, out);
                }
                Err(e) => {
                    let n = self.parse_fallback(body, FallbackReason::AuditRecord, &e);
                    self.emit(n, out);
                }
            }
            return true;
        }
        if program != "audit" {
            return false;
        }
        let Ok(mut rec) = crate::formats::auditd::parse_journal_message(message.trim_ws()) else {
            return false;
        };
        node(&mut rec);
        rec.time_ms = ctx.time_ms;
        auditd::name_numbered_type(&mut rec);
        let mut n = auditd::map_unstamped(rec, &self.config);
        n.utc_offset_secs = ctx.utc_offset_secs;
        self.emit(n, out);
        true
    }

    fn audit_line(&mut self, line: &str, out: &mut Vec<T::Event>) {
        match crate::formats::auditd::parse(line) {
            Ok(rec) => self.audit_record(rec, out),
            Err(e) => {
                let n = self.parse_fallback(line, FallbackReason::AuditRecord, &e);
                self.emit(n, out);
            }
        }
    }

    fn audit_record(
        &mut self,
        mut rec: crate::formats::auditd::AuditRecord<'_>,
        out: &mut Vec<T::Event>,
    ) {
        auditd::name_numbered_type(&mut rec);
        if auditd::is_standalone(&rec.record_type) {
            let n = auditd::map_single(rec, &self.config);
            self.emit(n, out);
        } else {
            for ev in self.grouper.push(rec.into_owned()) {
                let n = auditd::map_event(&ev, &self.config);
                self.emit(n, out);
            }
        }
    }

    fn journal_json_line(&mut self, line: &str, out: &mut Vec<T::Event>) {
        let mut reader = crate::formats::journald::JsonReader::new(line.as_bytes());
        match reader.next() {
            Some(Ok(entry)) => self.journal_entry(&entry, out),
            Some(Err(e)) => {
                let n = self.parse_fallback(line, FallbackReason::JournalEntry, &e);
                self.emit(n, out);
            }
            None => self.stats.blank += 1,
        }
    }

    fn journal_entry(&mut self, entry: &JournalEntry, out: &mut Vec<T::Event>) {
        if let Some(audit_line) = journald::audit_line(entry) {
            self.audit_line(&audit_line, out);
            return;
        }
        let raw = journald::raw_json(entry);
        let fields = journald::Fields::read(entry, &self.config);
        let Some(message) = entry.message() else {
            let mut n = Normalized::new(
                Activity::Fallback(FallbackReason::JournalEntry),
                fields.time_ms,
                Severity::Unknown,
            );
            n.device.hostname = fields.hostname.clone();
            n.source.log_provider = fields.program.clone();
            put_fallback(
                &mut n,
                FallbackReason::JournalEntry,
                Some("entry has no MESSAGE"),
            );
            n.raw_data = Some(raw);
            self.emit(n, out);
            return;
        };
        let ctx = fields.context();
        if self.relayed_audit(&ctx, &message, out) {
            return;
        }
        let mut n = self.dispatch(&ctx, &message, &raw);
        self.connections.correlate(&ctx, message.trim_ws(), &mut n);
        if let Some(unit) = &fields.systemd_unit {
            n.put("systemd_unit", unit.clone());
        }
        self.emit(n, out);
    }

    /// Runs the program mappers on one message; always returns a record
    /// (a fallback when nothing matched).
    fn dispatch(&self, ctx: &MessageContext<'_>, message: &str, raw: &str) -> Box<Normalized> {
        let result = recognize(ctx, message);
        let mut n = match result {
            Ok(n) => n,
            Err(miss) => {
                let known = ctx.program.is_some_and(is_known_program)
                    || ctx.sub_program.is_some_and(|s| s.starts_with("pam_"));
                let (reason, detail) = match miss {
                    Miss::Malformed(d) => (FallbackReason::Malformed, Some(d)),
                    Miss::Unrecognized if known => (FallbackReason::UnrecognizedMessage, None),
                    Miss::Unrecognized => (FallbackReason::UnknownProgram, None),
                };
                let mut n = ctx.event(Activity::Fallback(reason), Severity::Unknown);
                n.message = Some(crate::strings::owned(message));
                if let Some(p) = ctx.pid {
                    n.put_value("pid", Value::from(p));
                }
                put_fallback(&mut n, reason, detail.as_deref());
                n.raw_data = Some(crate::strings::owned(raw));
                return n;
            }
        };
        if n.device.hostname.is_none() {
            n.device.hostname = self.config.hostname_fallback.clone();
        }
        if self.config.keep_raw_data {
            n.raw_data = Some(n.string(raw));
        }
        n
    }

    fn parse_fallback(&self, raw: &str, reason: FallbackReason, e: &Error) -> Box<Normalized> {
        let mut n = Normalized::new(
            Activity::Fallback(reason),
            self.config.reference_ms,
            Severity::Unknown,
        );
        let mut err = Map::new();
        err.insert("reason".into(), Value::from(reason.as_str()));
        err.insert("format".into(), Value::from(e.format().as_str()));
        err.insert("kind".into(), Value::from(e.kind().as_str()));
        if let Some(o) = e.offset() {
            err.insert("offset".into(), Value::from(o));
        }
        err.insert("detail".into(), Value::from(e.detail()));
        n.put_value("fallback", Value::Object(err));
        n.message = Some(e.to_string());
        n.device.hostname = self.config.hostname_fallback.clone();
        n.raw_data = Some(raw.to_owned());
        n
    }

    fn emit(&mut self, mut n: Box<Normalized>, out: &mut Vec<T::Event>) {
        match n.activity {
            Activity::Fallback(reason) => self.stats.count_fallback(reason),
            ref a => self.stats.count_class(a.class_uid()),
        }
        match T::pick_spare(&n, &self.spare).filter(|&i| i < self.spare.len()) {
            Some(i) => {
                let mut event = self.spare.swap_remove(i);
                T::render_into(&mut n, &self.config, &mut event);
                out.push(event);
            }
            None => out.push(T::render(&mut n, &self.config)),
        }
        n.recycle();
    }
}

impl<T: Target> LineMapper for LinuxMapper<T> {
    type Event = T::Event;

    fn map_line_into(&mut self, line: &str, out: &mut Vec<T::Event>) {
        LinuxMapper::map_line_into(self, line, out);
    }

    fn map_line_reusing(&mut self, line: &str, out: &mut Vec<T::Event>) {
        LinuxMapper::map_line_reusing(self, line, out);
    }

    fn finish_into(&mut self, out: &mut Vec<T::Event>) {
        LinuxMapper::finish_into(self, out);
    }

    fn stats(&self) -> &MapperStats {
        &self.stats
    }

    fn max_line_len(&self) -> usize {
        self.config.max_line_len
    }

    fn line_too_long(&mut self, prefix: &str, len: usize, out: &mut Vec<T::Event>) {
        self.stats.accepted += 1;
        let mut n = Normalized::new(
            Activity::Fallback(FallbackReason::LineTooLong),
            self.config.reference_ms,
            Severity::Unknown,
        );
        put_fallback(
            &mut n,
            FallbackReason::LineTooLong,
            Some(&format!("line of {len} bytes cut at {}", prefix.len())),
        );
        n.raw_data = Some(prefix.to_owned());
        self.emit(n, out);
    }
}

/// Writes `unmapped.fallback = {reason, detail}`.
pub(crate) fn put_fallback(n: &mut Normalized, reason: FallbackReason, detail: Option<&str>) {
    let mut m = Map::new();
    m.insert("reason".into(), Value::from(reason.as_str()));
    if let Some(d) = detail {
        m.insert("detail".into(), Value::from(d));
    }
    n.put_value("fallback", Value::Object(m));
}

/// The part of `path` after its last `/`. A byte loop: program names are short, and
/// `rsplit('/')`'s searcher cost about 150 instructions, several times per line.
fn base_name(path: &str) -> &str {
    match path.bytes().rposition(|b| b == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// Programs with a mapper (an unrecognized message from one of these is
/// `unrecognized_message`, from anything else `unknown_program`).
fn is_known_program(program: &str) -> bool {
    let p = base_name(program);
    sshd::handles(p)
        || sudo::handles(p)
        || accounts::handles(p)
        || cron::handles(p)
        || systemd::handles(p)
        || kernel::handles(p)
        || misc::handles(p)
        || polkit::handles(p)
        || netconfig::handles(p)
        || audit_daemon::handles(p)
}

/// The audit record inside a message of the kernel (`[ 12.3] audit:
/// type=1400 audit(1717977600.123:45): apparmor="DENIED" ...`) or of an audit
/// dispatcher plugin writing to syslog (`audisp-syslog: type=USER_LOGIN
/// msg=audit(...): ...`); `None` for any other message.
fn audit_record_in<'m>(program: &str, message: &'m str) -> Option<&'m str> {
    if !matches!(program, "kernel" | "audispd" | "audisp-syslog" | "audit") {
        return None;
    }
    let m = kernel::strip_uptime(message.trim_ws());
    let m = m.strip_prefix("audit: ").unwrap_or(m);
    let record = m.starts_with("type=") || m.starts_with("node=");
    (record && m.contains("audit(")).then_some(m)
}

/// The program dispatch.
pub(crate) fn recognize(ctx: &MessageContext<'_>, message: &str) -> Recognized {
    let msg = message.trim_ws();
    // rsyslog's repeated-message compression: map the message once, counted.
    if let Some(rest) = msg.strip_prefix("message repeated ")
        && let Some((count, inner)) = rest.split_once(" times: [")
    {
        let inner = inner.strip_suffix(']').unwrap_or(inner);
        let mut n = recognize(ctx, inner)?;
        n.count = crate::util::number(count);
        return Ok(n);
    }
    if let Some(r) = pam::map(ctx, msg) {
        return r;
    }
    let program = ctx.program_name();
    let result = if sshd::handles(program) {
        sshd::map(ctx, msg)
    } else if sudo::handles(program) {
        sudo::map(ctx, msg)
    } else if accounts::handles(program) {
        accounts::map(ctx, msg)
    } else if cron::handles(program) {
        cron::map(ctx, msg)
    } else if systemd::handles(program) {
        systemd::map(ctx, msg)
    } else if kernel::handles(program) {
        kernel::map(ctx, msg)
    } else if polkit::handles(program) {
        polkit::map(ctx, msg)
    } else if netconfig::handles(program) {
        netconfig::map(ctx, msg)
    } else if audit_daemon::handles(program) {
        audit_daemon::map(ctx, msg)
    } else if misc::handles(program) {
        misc::map(ctx, msg)
    } else {
        Err(Miss::Unrecognized)
    };
    match result {
        Err(Miss::Unrecognized) => misc::generic(ctx, msg),
        other => other,
    }
}

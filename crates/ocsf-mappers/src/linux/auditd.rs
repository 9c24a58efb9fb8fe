//! Linux audit events (records grouped by serial) to OCSF.
//!
//! * `SYSCALL` (+ `EXECVE`, `CWD`, `PATH`, `PROCTITLE`): an `execve` becomes a
//!   Process Activity Launch; a file syscall with `PATH` records becomes a File
//!   System Activity (the activity from the syscall, or from the `PATH`
//!   `nametype`); a socket syscall with a `SOCKADDR` record a Network Activity
//!   (see `network`); any other syscall a Process Activity `Other` named after
//!   it. The rule keys (`key=`) become `metadata.labels`.
//! * User-space records: `USER_LOGIN` → Authentication Logon (canonical);
//!   `USER_AUTH` / `USER_ACCT` / `USER_START` / `USER_ERR` / `LOGIN` →
//!   Authentication Other, corroborating, with captions; `USER_LOGOUT` /
//!   `USER_END` → Logoff, `CRED_*` → Authentication Other, `USER_CMD` →
//!   Process Activity Launch, `USER_CHAUTHTOK` / `ADD_USER` / `DEL_USER` /
//!   `USER_MGMT` / `ACCT_LOCK` / `ACCT_UNLOCK` / `ANOM_LOGIN_FAILURES` →
//!   Account Change, `GRP_MGMT` → Group Management (membership) or Entity
//!   Management, `ADD_GROUP` / `DEL_GROUP` / `GRP_CHAUTHTOK` → Entity
//!   Management, `SERVICE_*` / `SYSTEM_*` / `DAEMON_*` → Application
//!   Lifecycle, `LOGIN` → Authentication, `ANOM_ABEND` → Process Terminate.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::put_fallback;
use super::sshd::user;
use crate::config::SourceConfig;
use crate::formats::auditd::{AuditEvent, AuditRecord, Completion};
use crate::normalized::{
    AccountActivity, Activity, AppActivity, AppInfo, AuthActivity, AuthInfo, EntityActivity,
    EntityInfo, FileActivity, FileInfo, FileType, GroupActivity, GroupInfo, LogonType, Normalized,
    Outcome, ProcessActivity, ProcessInfo, SessionInfo, Severity, UserInfo,
};
use crate::stats::FallbackReason;
use crate::util::{basename, endpoint, number, signed};

mod network;
mod orphan;
mod types;

/// Gives a record whose type is a number (the kernel log's `type=1400`, or
/// `UNKNOWN[1334]` from an audit userspace whose table lacks the type) the
/// type's name (`AVC`, `BPF`) when it is in the type table, so it maps and
/// groups like a named record. Other types are left as written.
pub(super) fn name_numbered_type(rec: &mut AuditRecord<'_>) {
    let t = rec.record_type.as_ref();
    let digits = t
        .strip_prefix("UNKNOWN[")
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(t);
    if !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return;
    }
    if let Some(name) = number::<u16>(digits).and_then(types::name_of) {
        rec.record_type = Cow::Borrowed(name);
    }
}

/// Record types that are whole events by themselves (no `EOE` follows), so
/// they are mapped at once instead of waiting in the grouping window.
pub(super) fn is_standalone(record_type: &str) -> bool {
    [
        "USER_", "CRED_", "ADD_", "DEL_", "ACCT_", "SERVICE_", "SYSTEM_", "DAEMON_", "GRP_",
    ]
    .iter()
    .any(|p| record_type.starts_with(p))
        || matches!(record_type, "ANOM_LOGIN_FAILURES" | "USYS_CONFIG")
        || types::is_standalone(record_type)
}

const AUXILIARY: &[&str] = &[
    "EOE",
    "PROCTITLE",
    "CWD",
    "PATH",
    "EXECVE",
    "SOCKADDR",
    "BPRM_FCAPS",
    "OBJ_PID",
    "MMAP",
    "FD_PAIR",
    "IPC",
    "SOCKETCALL",
];

/// Maps one grouped audit event.
pub(super) fn map_event(ev: &AuditEvent<'_>, config: &SourceConfig) -> Box<Normalized> {
    let primary = ev
        .records
        .iter()
        .find(|r| {
            !AUXILIARY.contains(&r.record_type.as_ref())
                && !types::is_auxiliary(&r.record_type)
                && r.record_type != "SYSCALL"
        })
        .or_else(|| ev.record("SYSCALL"));
    let mut n = match primary {
        None => orphan::map(ev).unwrap_or_else(|| {
            fallback(
                ev,
                FallbackReason::IncompleteAuditEvent,
                "no primary record",
            )
        }),
        Some(rec) => match map_record(ev, rec) {
            Some(n) => n,
            None => {
                let mut n = fallback(
                    ev,
                    FallbackReason::UnrecognizedMessage,
                    "audit record type without a mapping",
                );
                orphan::keep_unmapped(&mut n, rec);
                n
            }
        },
    };
    if primary.is_some() {
        types::keep_companions(&mut n, ev);
    }
    n.device.hostname = ev
        .node
        .as_deref()
        .map(str::to_owned)
        .or_else(|| config.hostname_fallback.clone());
    n.source.log_provider = Some("auditd".into());
    n.source.uid = Some(format!(
        "{}.{:03}:{}",
        ev.time_ms.div_euclid(1000),
        ev.time_ms.rem_euclid(1000),
        ev.serial
    ));
    if let Some(p) = primary {
        n.source.event_code = Some(p.record_type.to_string());
    }
    let mut audit = Map::new();
    audit.insert(
        "record_types".into(),
        Value::Array(
            ev.records
                .iter()
                .map(|r| Value::from(r.record_type.as_ref()))
                .collect(),
        ),
    );
    if ev.completion != Completion::EndOfEvent {
        audit.insert(
            "completion".into(),
            Value::from(format!("{:?}", ev.completion)),
        );
    }
    n.put_value("audit", Value::Object(audit));
    if config.keep_raw_data || matches!(n.activity, Activity::Fallback(_)) {
        let raw: Vec<&str> = ev.records.iter().map(|r| r.raw.as_ref()).collect();
        n.raw_data = Some(raw.join("\n"));
    }
    n
}

/// Maps a record that is an event by itself (not waiting for others).
pub(super) fn map_single(rec: AuditRecord<'_>, config: &SourceConfig) -> Box<Normalized> {
    let ev = AuditEvent {
        node: rec.node.clone(),
        time_ms: rec.time_ms,
        serial: rec.serial,
        records: vec![rec],
        completion: Completion::EndOfEvent,
    };
    map_event(&ev, config)
}

/// Maps a record that has no serial (journald's form): an event by itself
/// ([`map_single`]; nothing could join it), without the `source.uid`
/// (`time:serial`) it cannot have.
pub(super) fn map_unstamped(rec: AuditRecord<'_>, config: &SourceConfig) -> Box<Normalized> {
    let mut n = map_single(rec, config);
    n.source.uid = None;
    n
}

fn fallback(ev: &AuditEvent<'_>, reason: FallbackReason, detail: &str) -> Box<Normalized> {
    let mut n = Normalized::new(Activity::Fallback(reason), ev.time_ms, Severity::Unknown);
    put_fallback(&mut n, reason, Some(detail));
    n
}

/// A field value, with `?`, `(none)` and empty treated as absent.
fn get<'r>(rec: &'r AuditRecord<'_>, key: &str) -> Option<&'r str> {
    rec.get(key)
        .filter(|v| !v.is_empty() && *v != "?" && *v != "(none)" && *v != "(null)")
}

/// A user from a uid field (`uid`, `auid`, ...); unset ids are absent. The
/// enriched format's interpreted name (`UID="root"`) is used when present.
fn uid_user(rec: &AuditRecord<'_>, key: &str) -> Option<UserInfo> {
    let v = get(rec, key)?;
    if v == "4294967295" || v == "-1" || v == "unset" {
        return None;
    }
    Some(UserInfo {
        name: interpreted_name(rec, key),
        uid: Some(v.to_owned()),
        domain: None,
    })
}

/// A group from a gid field (`gid`, a group record's `id`), named by the
/// enriched format's interpreted value (`GID="wheel"`, `ID="devs"`).
fn gid_group(rec: &AuditRecord<'_>, key: &str) -> Option<GroupInfo> {
    let v = get(rec, key)?;
    if v == "4294967295" || v == "-1" || v == "unset" {
        return None;
    }
    Some(GroupInfo {
        name: interpreted_name(rec, key),
        uid: Some(v.to_owned()),
    })
}

/// The enriched format's name for id field `key` (`UID="root"` for `uid`).
fn interpreted_name(rec: &AuditRecord<'_>, key: &str) -> Option<String> {
    rec.interpreted(&key.to_ascii_uppercase())
        .filter(|n| !n.is_empty() && *n != "unset" && *n != "?")
        .filter(|n| !n.starts_with("unknown("))
        .map(str::to_owned)
}

fn id(rec: &AuditRecord<'_>, key: &str) -> Option<i32> {
    get(rec, key)
        .filter(|v| *v != "4294967295")
        .and_then(signed::<i32>)
}

fn outcome(rec: &AuditRecord<'_>) -> Option<Outcome> {
    let v = get(rec, "res").or_else(|| get(rec, "success"))?;
    match v {
        "success" | "yes" | "1" => Some(Outcome::Success),
        "failed" | "no" | "0" => Some(Outcome::Failure),
        _ => None,
    }
}

fn session(rec: &AuditRecord<'_>) -> Option<SessionInfo> {
    let s = SessionInfo {
        uid: get(rec, "ses")
            .filter(|v| *v != "4294967295")
            .map(str::to_owned),
        terminal: get(rec, "terminal")
            .or_else(|| get(rec, "tty"))
            .map(str::to_owned),
        is_remote: None,
    };
    (!s.is_empty()).then_some(s)
}

/// The process that wrote the record.
fn process(rec: &AuditRecord<'_>) -> ProcessInfo {
    let exe = get(rec, "exe");
    ProcessInfo {
        pid: get(rec, "pid").and_then(number::<u32>),
        name: get(rec, "comm")
            .map(str::to_owned)
            .or_else(|| exe.map(|e| basename(e).to_owned())),
        path: exe.map(str::to_owned),
        user: uid_user(rec, "uid"),
        auid: id(rec, "auid"),
        euid: id(rec, "euid"),
        egid: id(rec, "egid"),
        group: gid_group(rec, "gid"),
        session: session(rec),
        parent: get(rec, "ppid")
            .and_then(number::<u32>)
            .map(|pid| Box::new(ProcessInfo::named_pid(pid))),
        ..ProcessInfo::default()
    }
}

impl ProcessInfo {
    fn named_pid(pid: u32) -> Self {
        ProcessInfo {
            pid: Some(pid),
            ..ProcessInfo::default()
        }
    }
}

fn base(ev: &AuditEvent<'_>, activity: Activity, severity: Severity) -> Box<Normalized> {
    Normalized::new(activity, ev.time_ms, severity)
}

fn map_record(ev: &AuditEvent<'_>, rec: &AuditRecord<'_>) -> Option<Box<Normalized>> {
    let t = rec.record_type.as_ref();
    let mut n = match t {
        "SYSCALL" => syscall(ev, rec),
        "USER_AUTH" | "USER_ACCT" | "USER_LOGIN" | "USER_START" | "USER_ERR" | "USER_LOGOUT"
        | "USER_END" | "CRED_ACQ" | "CRED_REFR" | "CRED_DISP" | "LOGIN" => {
            authentication(ev, rec, t)
        }
        "USER_CMD" => user_cmd(ev, rec),
        "USER_CHAUTHTOK"
        | "ADD_USER"
        | "DEL_USER"
        | "ACCT_LOCK"
        | "ACCT_UNLOCK"
        | "ANOM_LOGIN_FAILURES" => account(ev, rec, t),
        // shadow-utils' `op=add-user-to-group grp="wheel" acct="bob"`: a
        // membership change, not an account change.
        "USER_MGMT" if get(rec, "grp").is_some() => group(ev, rec, t),
        "USER_MGMT" => account(ev, rec, t),
        "ADD_GROUP" | "DEL_GROUP" | "GRP_MGMT" | "GRP_CHAUTHTOK" => group(ev, rec, t),
        "SERVICE_START" | "SERVICE_STOP" | "SYSTEM_BOOT" | "SYSTEM_SHUTDOWN"
        | "SYSTEM_RUNLEVEL" | "DAEMON_START" | "DAEMON_END" | "DAEMON_ABORT" => {
            lifecycle(ev, rec, t)
        }
        "ANOM_ABEND" => {
            let mut n = base(
                ev,
                Activity::Process(ProcessActivity::Terminate),
                Severity::Medium,
            )
            .with_outcome(Outcome::Failure)
            .with_detail("abnormal end");
            n.process = Some(process(rec));
            n.status_code = get(rec, "sig").map(|s| format!("signal {s}"));
            n.actor_user = uid_user(rec, "auid");
            Some(n)
        }
        _ => types::map(ev, rec),
    }?;
    if let Some(v) = get(rec, "subj") {
        n.put("subj", v);
    }
    // The keys of the rules the event matched. A `CONFIG_CHANGE`'s `key` is
    // the key of the rule being added or removed (its entity), not a match.
    if t != "CONFIG_CHANGE" {
        let key = get(rec, "key").or_else(|| ev.record("SYSCALL").and_then(|s| get(s, "key")));
        n.source.labels.extend(key.into_iter().flat_map(rule_keys));
    }
    if let Some(op) = get(rec, "op") {
        n.put("op", op);
    }
    Some(n)
}

/// The rule keys in an audit `key` value: auditd joins several keys of one
/// rule with 0x01 (and so writes the value hex-encoded, which the parser has
/// decoded); `(null)` is no key.
fn rule_keys(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split('\u{1}')
        .map(str::trim)
        .filter(|k| !k.is_empty() && *k != "(null)")
        .map(str::to_owned)
}

/// Syscall names for the numbers audit writes on x86_64, aarch64 and i386.
fn syscall_name(arch: &str, nr: u32) -> Option<&'static str> {
    let x86_64: &[(u32, &str)] = &[
        (0, "read"),
        (1, "write"),
        (2, "open"),
        (4, "stat"),
        (21, "access"),
        (42, "connect"),
        (43, "accept"),
        (44, "sendto"),
        (45, "recvfrom"),
        (46, "sendmsg"),
        (47, "recvmsg"),
        (49, "bind"),
        (56, "clone"),
        (57, "fork"),
        (58, "vfork"),
        (59, "execve"),
        (62, "kill"),
        (76, "truncate"),
        (77, "ftruncate"),
        (82, "rename"),
        (83, "mkdir"),
        (84, "rmdir"),
        (85, "creat"),
        (86, "link"),
        (87, "unlink"),
        (88, "symlink"),
        (90, "chmod"),
        (91, "fchmod"),
        (92, "chown"),
        (93, "fchown"),
        (94, "lchown"),
        (101, "ptrace"),
        (105, "setuid"),
        (165, "mount"),
        (166, "umount2"),
        (175, "init_module"),
        (176, "delete_module"),
        (188, "setxattr"),
        (189, "lsetxattr"),
        (190, "fsetxattr"),
        (257, "openat"),
        (258, "mkdirat"),
        (260, "fchownat"),
        (263, "unlinkat"),
        (264, "renameat"),
        (265, "linkat"),
        (266, "symlinkat"),
        (268, "fchmodat"),
        (288, "accept4"),
        (313, "finit_module"),
        (316, "renameat2"),
        (322, "execveat"),
        (41, "socket"),
        (50, "listen"),
        (106, "setgid"),
        (113, "setreuid"),
        (114, "setregid"),
        (117, "setresuid"),
        (119, "setresgid"),
        (126, "capset"),
        (155, "pivot_root"),
        (161, "chroot"),
        (170, "sethostname"),
        (246, "kexec_load"),
        (272, "unshare"),
        (308, "setns"),
        (310, "process_vm_readv"),
        (311, "process_vm_writev"),
        (319, "memfd_create"),
        (320, "kexec_file_load"),
        (321, "bpf"),
        (437, "openat2"),
    ];
    let aarch64: &[(u32, &str)] = &[
        (5, "setxattr"),
        (34, "mkdirat"),
        (35, "unlinkat"),
        (36, "symlinkat"),
        (37, "linkat"),
        (38, "renameat"),
        (39, "umount2"),
        (40, "mount"),
        (45, "truncate"),
        (46, "ftruncate"),
        (52, "fchmod"),
        (53, "fchmodat"),
        (54, "fchownat"),
        (55, "fchown"),
        (56, "openat"),
        (63, "read"),
        (64, "write"),
        (105, "init_module"),
        (106, "delete_module"),
        (129, "kill"),
        (200, "bind"),
        (203, "connect"),
        (206, "sendto"),
        (207, "recvfrom"),
        (211, "sendmsg"),
        (212, "recvmsg"),
        (221, "execve"),
        (273, "finit_module"),
        (276, "renameat2"),
        (281, "execveat"),
        (6, "lsetxattr"),
        (7, "fsetxattr"),
        (41, "pivot_root"),
        (51, "chroot"),
        (91, "capset"),
        (97, "unshare"),
        (104, "kexec_load"),
        (117, "ptrace"),
        (143, "setregid"),
        (144, "setgid"),
        (145, "setreuid"),
        (146, "setuid"),
        (147, "setresuid"),
        (149, "setresgid"),
        (161, "sethostname"),
        (198, "socket"),
        (201, "listen"),
        (202, "accept"),
        (220, "clone"),
        (242, "accept4"),
        (268, "setns"),
        (270, "process_vm_readv"),
        (271, "process_vm_writev"),
        (279, "memfd_create"),
        (280, "bpf"),
        (294, "kexec_file_load"),
        (437, "openat2"),
    ];
    let i386: &[(u32, &str)] = &[
        (3, "read"),
        (4, "write"),
        (5, "open"),
        (8, "creat"),
        (10, "unlink"),
        (11, "execve"),
        (15, "chmod"),
        (37, "kill"),
        (38, "rename"),
        (39, "mkdir"),
        (40, "rmdir"),
        (295, "openat"),
        (301, "unlinkat"),
        (302, "renameat"),
    ];
    let table = match arch {
        "c000003e" | "x86_64" => x86_64,
        "c00000b7" | "aarch64" => aarch64,
        "40000003" | "i386" | "i686" => i386,
        _ => return None,
    };
    table.iter().find(|(n, _)| *n == nr).map(|(_, s)| *s)
}

/// Whether an `open` / `openat` asks for write access, from its flags
/// argument (`a1` / `a2`, hex): `O_WRONLY`, `O_RDWR`, `O_TRUNC` or `O_APPEND`
/// (the same values on x86_64, i386 and aarch64). `openat2` passes a
/// pointer, so its flags are unknown.
fn opens_for_write(name: &str, rec: &AuditRecord<'_>) -> bool {
    const O_ACCMODE: u64 = 0o3;
    const O_TRUNC: u64 = 0o1000;
    const O_APPEND: u64 = 0o2000;
    let arg = match name {
        "open" => "a1",
        "openat" => "a2",
        _ => return false,
    };
    get(rec, arg)
        .and_then(|v| u64::from_str_radix(v, 16).ok())
        .is_some_and(|f| f & O_ACCMODE != 0 || f & (O_TRUNC | O_APPEND) != 0)
}

fn file_activity(name: &str, created: bool, writes: bool) -> Option<FileActivity> {
    Some(match name {
        "open" | "openat" | "openat2" if created => FileActivity::Create,
        "open" | "openat" if writes => FileActivity::Update,
        "open" | "openat" | "openat2" => FileActivity::Open,
        "creat" | "mkdir" | "mkdirat" | "link" | "linkat" | "symlink" | "symlinkat" | "mknod"
        | "mknodat" => FileActivity::Create,
        "unlink" | "unlinkat" | "rmdir" => FileActivity::Delete,
        "rename" | "renameat" | "renameat2" => FileActivity::Rename,
        "chmod" | "fchmod" | "fchmodat" | "chown" | "fchown" | "lchown" | "fchownat" => {
            FileActivity::SetSecurity
        }
        "setxattr" | "lsetxattr" | "fsetxattr" | "removexattr" | "lremovexattr"
        | "fremovexattr" | "utimensat" | "utime" | "utimes" => FileActivity::SetAttributes,
        "truncate" | "ftruncate" | "write" | "pwrite64" => FileActivity::Update,
        "read" | "pread64" => FileActivity::Read,
        _ => return None,
    })
}

fn file_type(mode: &str) -> FileType {
    let Ok(m) = u32::from_str_radix(mode, 8) else {
        return FileType::Unknown;
    };
    match m & 0o170_000 {
        0o100_000 => FileType::Regular,
        0o040_000 => FileType::Folder,
        0o120_000 => FileType::SymbolicLink,
        0o020_000 => FileType::CharacterDevice,
        0o060_000 => FileType::BlockDevice,
        0o010_000 => FileType::NamedPipe,
        0o140_000 => FileType::Socket,
        _ => FileType::Unknown,
    }
}

fn path_file(rec: &AuditRecord<'_>, cwd: Option<&str>) -> Option<FileInfo> {
    let name = get(rec, "name")?;
    let path = match cwd {
        Some(dir) if !name.starts_with('/') => {
            format!(
                "{}/{}",
                dir.trim_end_matches('/'),
                name.trim_start_matches("./")
            )
        }
        _ => name.to_owned(),
    };
    Some(FileInfo {
        path: Some(path),
        name: None,
        file_type: get(rec, "mode").map_or(FileType::Unknown, file_type),
        size: None,
        hashes: Vec::new(),
        owner_uid: get(rec, "ouid").map(str::to_owned),
        owner_name: get(rec, "ouid").and_then(|_| interpreted_name(rec, "ouid")),
    })
}

fn syscall(ev: &AuditEvent<'_>, rec: &AuditRecord<'_>) -> Option<Box<Normalized>> {
    let name: Cow<'_, str> = match rec.interpreted("SYSCALL") {
        Some(s) => Cow::Borrowed(s),
        None => {
            let nr = get(rec, "syscall")?;
            match number::<u32>(nr).and_then(|n| syscall_name(get(rec, "arch").unwrap_or(""), n)) {
                Some(s) => Cow::Borrowed(s),
                None => Cow::Owned(format!("syscall {nr}")),
            }
        }
    };
    let cwd = ev.record("CWD").and_then(|r| get(r, "cwd"));
    let outcome = outcome(rec);
    let failed = outcome == Some(Outcome::Failure);
    let severity = if failed {
        Severity::Low
    } else {
        Severity::Informational
    };
    let execve = ev.record("EXECVE");
    let mut n;
    if execve.is_some() || name == "execve" || name == "execveat" {
        n = base(ev, Activity::Process(ProcessActivity::Launch), severity);
        let mut p = process(rec);
        p.cmd_line = execve.and_then(command_line).or_else(|| {
            ev.record("PROCTITLE")
                .and_then(|r| get(r, "proctitle"))
                .map(str::to_owned)
        });
        n.actor_process = p.parent.clone().map(|b| *b);
        n.actor_user = uid_user(rec, "auid");
        n.process = Some(p);
    } else if let Some(net) = network::map(ev, rec, &name, severity) {
        n = net;
    } else {
        let paths: Vec<&AuditRecord<'_>> = ev
            .records
            .iter()
            .filter(|r| r.record_type == "PATH")
            .collect();
        let created = paths.iter().any(|r| get(r, "nametype") == Some("CREATE"));
        let target = paths
            .iter()
            .find(|r| get(r, "nametype") != Some("PARENT"))
            .or_else(|| paths.first());
        match target.and_then(|r| path_file(r, cwd)) {
            Some(file) => {
                let act = file_activity(&name, created, opens_for_write(&name, rec))
                    .or_else(|| {
                        paths.iter().find_map(|r| match get(r, "nametype") {
                            Some("CREATE") => Some(FileActivity::Create),
                            Some("DELETE") => Some(FileActivity::Delete),
                            _ => None,
                        })
                    })
                    .unwrap_or_else(|| FileActivity::Other(name.to_string().into()));
                n = base(ev, Activity::FileSystem(act.clone()), severity);
                if act == FileActivity::Rename {
                    let old = paths.iter().find(|r| get(r, "nametype") == Some("DELETE"));
                    let new = paths.iter().find(|r| get(r, "nametype") == Some("CREATE"));
                    n.file = old.and_then(|r| path_file(r, cwd)).or(Some(file));
                    n.file_result = new.and_then(|r| path_file(r, cwd));
                } else {
                    n.file = Some(file);
                }
                // OCSF 1.1.0's file has an owner but no group: the owning
                // group (`ogid`, named by the enriched `OGID=`) is kept here.
                if let Some(g) = target.and_then(|r| gid_group(r, "ogid")) {
                    let mut m = Map::new();
                    m.insert("uid".into(), Value::from(g.uid));
                    if let Some(name) = g.name {
                        m.insert("name".into(), Value::from(name));
                    }
                    n.put_value("file_group", Value::Object(m));
                }
                n.actor_process = Some(process(rec));
                n.actor_user = uid_user(rec, "auid");
            }
            None => {
                let act = match (name.as_ref(), get(rec, "a1")) {
                    ("kill", Some("9" | "f")) => ProcessActivity::Terminate,
                    _ => ProcessActivity::Other(name.to_string().into()),
                };
                n = base(ev, Activity::Process(act), severity);
                let mut p = process(rec);
                if name == "kill"
                    && let Some(target) =
                        get(rec, "a0").and_then(|a| u32::from_str_radix(a, 16).ok())
                {
                    n.actor_process = Some(p.clone());
                    p = ProcessInfo::named_pid(target);
                }
                n.process = Some(p);
                n.actor_user = uid_user(rec, "auid");
            }
        }
    }
    n.outcome = outcome;
    // A non-blocking connect returns EINPROGRESS (audit: `success=no
    // exit=-115`): started, not failed.
    if name == "connect" && get(rec, "exit") == Some("-115") {
        n.outcome = Some(Outcome::Other("In Progress".into()));
        n.severity = Severity::Informational;
    }
    if let Some(exit) = get(rec, "exit") {
        n.status_code = Some(exit.to_owned());
        if failed {
            n.status_detail = rec.interpreted("EXIT").map(str::to_owned);
        }
    }
    n.put("syscall", name.as_ref());
    if let Some(c) = cwd {
        n.put("cwd", c);
    }
    Some(n)
}

/// `a0 a1 ...` of an `EXECVE` record, joined with spaces.
fn command_line(rec: &AuditRecord<'_>) -> Option<String> {
    let argc = get(rec, "argc").and_then(number::<usize>);
    let mut args = Vec::new();
    for i in 0..argc.unwrap_or(usize::MAX).min(4096) {
        match rec.get(&format!("a{i}")) {
            Some(a) => args.push(a),
            None => break,
        }
    }
    (!args.is_empty()).then(|| args.join(" "))
}

/// Programs that authenticate or change accounts locally and never pass a
/// peer to libaudit, which then writes the machine's own name and address.
fn local_writer(exe: Option<&str>) -> bool {
    exe.map(basename).is_some_and(|b| {
        super::accounts::handles(b)
            || matches!(
                b,
                "su" | "sudo"
                    | "runuser"
                    | "pkexec"
                    | "newgrp"
                    | "sg"
                    | "cron"
                    | "crond"
                    | "atd"
                    | "systemd"
                    | "unix_chkpwd"
                    | "polkit-agent-helper-1"
            )
    })
}

/// Whether `host` is the record's own machine (its `node`).
fn own_host(ev: &AuditEvent<'_>, host: &str) -> bool {
    let short = |x: &str| x.split('.').next().unwrap_or(x).to_ascii_lowercase();
    ev.node
        .as_deref()
        .is_some_and(|node| short(node) == short(host))
}

/// The source endpoint of a user-space authentication record: `addr` /
/// `hostname`, unless a local program wrote them (its own host).
fn remote(ev: &AuditEvent<'_>, rec: &AuditRecord<'_>, n: &mut Normalized) {
    if local_writer(get(rec, "exe")) || get(rec, "hostname").is_some_and(|h| own_host(ev, h)) {
        return;
    }
    let addr = get(rec, "addr").and_then(|a| endpoint(a, None));
    let host = get(rec, "hostname").filter(|h| crate::util::is_hostname(h));
    match (addr, host) {
        (Some(mut e), Some(h)) => {
            if e.hostname.is_none() && !crate::util::is_ip(h) {
                e.hostname = Some(h.to_owned());
            }
            n.src = Some(e);
        }
        (Some(e), None) => n.src = Some(e),
        (None, Some(h)) => n.src = endpoint(h, None),
        (None, None) => {}
    }
}

/// The source of a local account or group change: only a real remote
/// address. libaudit fills `hostname` with the machine's own name when the
/// writer gives none and `addr` with what that resolves to (`127.0.0.1`,
/// `127.0.1.1`, the host's own address), or writes `?`; the shadow-utils tools
/// and `passwd` never pass a peer. A remote service (sshd changing an expired
/// password at logon) passes the client's address.
fn remote_change_source(ev: &AuditEvent<'_>, rec: &AuditRecord<'_>, n: &mut Normalized) {
    let local_tool = local_writer(get(rec, "exe"));
    let Some(addr) =
        get(rec, "addr").and_then(|a| a.trim_matches(['[', ']']).parse::<std::net::IpAddr>().ok())
    else {
        return;
    };
    if local_tool || addr.is_loopback() || addr.is_unspecified() {
        return;
    }
    let host = get(rec, "hostname").filter(|h| crate::util::is_hostname(h));
    let own = |h: &str| {
        h.eq_ignore_ascii_case("localhost")
            || h.to_ascii_lowercase().starts_with("localhost.")
            || own_host(ev, h)
    };
    if host.is_some_and(own) {
        return;
    }
    n.src = endpoint(&addr.to_string(), None).map(|mut e| {
        e.hostname = host.filter(|h| !crate::util::is_ip(h)).map(str::to_owned);
        e
    });
}

fn acct_user(rec: &AuditRecord<'_>) -> Option<UserInfo> {
    match get(rec, "acct") {
        Some(a) => Some(user(a)),
        None => uid_user(rec, "id")
            .or_else(|| get(rec, "id").map(|id| UserInfo::with_uid(id.to_owned()))),
    }
}

fn authentication(ev: &AuditEvent<'_>, rec: &AuditRecord<'_>, t: &str) -> Option<Box<Normalized>> {
    let act = match t {
        "USER_LOGOUT" | "USER_END" => AuthActivity::Logoff,
        "CRED_ACQ" => AuthActivity::Other("Credential Acquire".into()),
        "CRED_REFR" => AuthActivity::Other("Credential Refresh".into()),
        "CRED_DISP" => AuthActivity::Other("Credential Dispose".into()),
        // One logon is several records; `USER_LOGIN` is the canonical Logon,
        // the others corroborate it under their own captions. `USER_ACCT`
        // is PAM's account check (is the account usable), not a logon.
        "USER_AUTH" => AuthActivity::Other("PAM Authentication".into()),
        "USER_ACCT" => AuthActivity::Other("Account Check".into()),
        "USER_START" => AuthActivity::Other("Session Start".into()),
        "USER_ERR" => AuthActivity::Other("Authentication Error".into()),
        "LOGIN" => AuthActivity::Other("Login UID Set".into()),
        _ => AuthActivity::Logon,
    };
    let outcome = outcome(rec);
    let severity = if outcome == Some(Outcome::Failure) || t == "USER_ERR" {
        Severity::Low
    } else {
        Severity::Informational
    };
    let mut n = base(ev, Activity::Authentication(act), severity);
    n.outcome = if t == "USER_ERR" {
        Some(Outcome::Failure)
    } else {
        outcome
    };
    if t == "LOGIN" {
        n.user = uid_user(rec, "auid");
        n.status_detail = Some("login uid set".into());
    } else {
        n.user = acct_user(rec);
        n.status_detail = get(rec, "op").map(str::to_owned);
    }
    remote(ev, rec, &mut n);
    n.session = session(rec);
    let exe = get(rec, "exe");
    n.service_name = exe.map(|e| basename(e).to_owned());
    let mut p = process(rec);
    p.session = None;
    n.actor_process = Some(p);
    let lt = exe.map(basename).and_then(|e| match e {
        "sshd" => Some(LogonType::RemoteInteractive),
        "login" | "gdm-session-worker" | "lightdm" | "sddm" => Some(LogonType::Interactive),
        "su" | "sudo" | "runuser" | "pkexec" => Some(LogonType::NewCredentials),
        "cron" | "crond" | "atd" => Some(LogonType::Batch),
        "systemd" => Some(LogonType::OsService),
        _ => None,
    });
    n.auth = Some(AuthInfo {
        protocol: None,
        is_remote: lt.as_ref().map(|l| *l == LogonType::RemoteInteractive),
        logon_type: lt,
        ..AuthInfo::default()
    });
    Some(n)
}

fn user_cmd(ev: &AuditEvent<'_>, rec: &AuditRecord<'_>) -> Option<Box<Normalized>> {
    let outcome = outcome(rec);
    let mut n = base(
        ev,
        Activity::Process(ProcessActivity::Launch),
        Severity::Informational,
    );
    let cmd = get(rec, "cmd");
    let exe = cmd.and_then(|c| c.split(' ').next());
    n.process = Some(ProcessInfo {
        name: exe.map(|e| basename(e).to_owned()),
        path: exe.filter(|e| e.starts_with('/')).map(str::to_owned),
        cmd_line: cmd.map(str::to_owned),
        parent: Some(Box::new(process(rec))),
        ..ProcessInfo::default()
    });
    n.actor_process = Some(process(rec));
    n.actor_user = uid_user(rec, "auid").or_else(|| uid_user(rec, "uid"));
    n.session = session(rec);
    n.outcome = outcome;
    if let Some(c) = get(rec, "cwd") {
        n.put("cwd", c);
    }
    Some(n)
}

fn account(ev: &AuditEvent<'_>, rec: &AuditRecord<'_>, t: &str) -> Option<Box<Normalized>> {
    let op = get(rec, "op").unwrap_or_default().to_ascii_lowercase();
    let password_op = op.is_empty() || op.contains("password") || op.contains("chauthtok");
    let act = match t {
        // `USER_CHAUTHTOK` is any change of an account's attributes (usermod's
        // `op=changing-shell`, `change-gecos` ...): a password change only
        // when `op` says so.
        "USER_CHAUTHTOK" if password_op => AccountActivity::PasswordChange,
        "USER_CHAUTHTOK" => AccountActivity::Other(Cow::Owned(op.clone())),
        "ADD_USER" => AccountActivity::Create,
        "DEL_USER" => AccountActivity::Delete,
        "ACCT_LOCK" | "ANOM_LOGIN_FAILURES" => AccountActivity::Lock,
        "ACCT_UNLOCK" => AccountActivity::Enable,
        _ if op.contains("delet") => AccountActivity::Delete,
        _ if op.contains("password") || op.contains("chauthtok") => AccountActivity::PasswordChange,
        _ if op.contains("unlock") => AccountActivity::Enable,
        _ if op.contains("lock") => AccountActivity::Lock,
        // useradd's `add-home-dir` (and the like) follows the account's
        // `ADD_USER`: not a second creation.
        _ if op.contains("home") => AccountActivity::Other(Cow::Owned(op.clone())),
        _ if op.contains("add") => AccountActivity::Create,
        _ => AccountActivity::Other(if op.is_empty() {
            Cow::Borrowed("Account Management")
        } else {
            Cow::Owned(op.clone())
        }),
    };
    let outcome = outcome(rec);
    let mut n = base(ev, Activity::AccountChange(act), Severity::Low);
    n.outcome = outcome;
    n.user = acct_user(rec);
    n.actor_user = uid_user(rec, "auid").or_else(|| uid_user(rec, "uid"));
    n.actor_process = Some(process(rec));
    n.session = session(rec);
    remote_change_source(ev, rec, &mut n);
    if t == "ANOM_LOGIN_FAILURES" {
        n.status_detail = Some("login failure limit reached".into());
        n.severity = Severity::Medium;
    } else if !op.is_empty() {
        n.status_detail = get(rec, "op").map(str::to_owned);
    }
    Some(n)
}

/// The caption of the gshadow lines that corroborate a group change (the
/// same as the syslog lines' caption).
const GROUP_FILE_UPDATE: &str = "Group File Update";

fn group(ev: &AuditEvent<'_>, rec: &AuditRecord<'_>, t: &str) -> Option<Box<Normalized>> {
    let op = get(rec, "op").unwrap_or_default().to_ascii_lowercase();
    // A group record's `id` is a gid: the enriched `ID="wheel"` names the
    // group when `grp` does not.
    let gid = gid_group(rec, "id");
    let grp = get(rec, "grp")
        .map(|g| crate::util::unquote(g).to_owned())
        .or_else(|| gid.as_ref().and_then(|g| g.name.clone()));
    let member = get(rec, "acct").map(user);
    let outcome = outcome(rec);
    let membership = if matches!(t, "GRP_MGMT" | "USER_MGMT") && member.is_some() {
        if op.contains("shadow") {
            // The gshadow copy of a membership change logged for /etc/group
            // too: it corroborates that one.
            Some(GroupActivity::Other(GROUP_FILE_UPDATE.into()))
        } else if op.contains("add") {
            Some(GroupActivity::AddUser)
        } else if op.contains("delet") || op.contains("remov") {
            Some(GroupActivity::RemoveUser)
        } else {
            None
        }
    } else {
        None
    };
    let mut n = match membership {
        Some(act) => {
            let mut n = base(ev, Activity::GroupManagement(act), Severity::Low);
            n.group = Some(GroupInfo {
                name: grp,
                uid: gid.and_then(|g| g.uid),
            });
            n.user = member;
            n
        }
        None => {
            let act = match t {
                "ADD_GROUP" => EntityActivity::Create,
                "DEL_GROUP" => EntityActivity::Delete,
                _ => EntityActivity::Update,
            };
            let mut n = base(ev, Activity::EntityManagement(act), Severity::Low);
            n.entity = Some(EntityInfo {
                name: grp.or_else(|| get(rec, "acct").map(str::to_owned)),
                uid: gid.and_then(|g| g.uid),
                kind: Some("Group".into()),
            });
            n
        }
    };
    n.outcome = outcome;
    n.status_detail = get(rec, "op").map(str::to_owned);
    n.actor_user = uid_user(rec, "auid").or_else(|| uid_user(rec, "uid"));
    n.actor_process = Some(process(rec));
    n.session = session(rec);
    Some(n)
}

fn lifecycle(ev: &AuditEvent<'_>, rec: &AuditRecord<'_>, t: &str) -> Option<Box<Normalized>> {
    let act = match t {
        "SERVICE_START" | "SYSTEM_BOOT" | "DAEMON_START" => AppActivity::Start,
        "SERVICE_STOP" | "SYSTEM_SHUTDOWN" | "DAEMON_END" | "DAEMON_ABORT" => AppActivity::Stop,
        _ => AppActivity::Other("Runlevel Change".into()),
    };
    let name = match t {
        "SERVICE_START" | "SERVICE_STOP" => get(rec, "unit").map(str::to_owned),
        "DAEMON_START" | "DAEMON_END" | "DAEMON_ABORT" => Some("auditd".to_owned()),
        _ => Some("system".to_owned()),
    };
    let outcome = if t == "DAEMON_ABORT" {
        Some(Outcome::Failure)
    } else {
        outcome(rec)
    };
    let mut n = base(
        ev,
        Activity::ApplicationLifecycle(act),
        if outcome == Some(Outcome::Failure) {
            Severity::Low
        } else {
            Severity::Informational
        },
    );
    n.outcome = outcome;
    n.app = Some(AppInfo {
        name: name.unwrap_or_else(|| crate::util::UNKNOWN.to_owned()),
        version: get(rec, "ver").map(str::to_owned),
        uid: get(rec, "unit").map(str::to_owned),
    });
    n.actor_process = Some(process(rec));
    n.actor_user = uid_user(rec, "auid");
    if let Some(rl) = get(rec, "new-level") {
        n.put("new_runlevel", rl);
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::auditd::{parse, parse_journal_message};

    const BODY: &str = "pid=1 uid=0 auid=4294967295 msg='unit=cron comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" res=success'";

    /// A record without a serial maps like the stamped one, with no
    /// `time:serial` uid.
    #[test]
    fn unstamped_record_maps_like_the_stamped_one_without_uid() {
        let config = SourceConfig::linux();
        let line = format!("type=SERVICE_START msg=audit(1700000000.250:42): {BODY}");
        let stamped = parse(&line).expect("parses");
        let single = map_single(stamped, &config);
        assert_eq!(single.source.uid.as_deref(), Some("1700000000.250:42"));
        let message = format!("SERVICE_START {BODY}");
        let mut rec = parse_journal_message(&message).expect("parses");
        rec.time_ms = 1_700_000_000_250;
        let unstamped = map_unstamped(rec, &config);
        assert_eq!(unstamped.source.uid, None);
        assert_eq!(unstamped.activity, single.activity);
        assert_eq!(unstamped.outcome, single.outcome);
        assert_eq!(unstamped.time_ms, single.time_ms);
        assert_eq!(unstamped.source.event_code, single.source.event_code);
    }

    #[test]
    fn journald_type_numbers_are_named() {
        let mut rec = parse_journal_message("AUDIT1334 prog-id=42 op=LOAD").expect("parses");
        name_numbered_type(&mut rec);
        assert_eq!(rec.record_type, "BPF");
    }
}

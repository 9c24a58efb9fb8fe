//! The class builders for the record types of the type table: one per
//! `Target` kind, sharing `common` (actor, session, outcome, `op`, every
//! field of the record).

use std::borrow::Cow;

use serde_json::Value;

use super::super::{acct_user, get, orphan, outcome, path_file, process, session, uid_user};
use super::{A, C, Change, T, lookup};
use crate::formats::auditd::{AuditEvent, AuditRecord};
use crate::linux::put_fallback;
use crate::normalized::{
    AccountActivity, Activity, AppActivity, AppInfo, AuthActivity, Disposition, EndpointInfo,
    EntityActivity, EntityInfo, FileActivity, FileInfo, FileType, FindingActivity, FindingData,
    ModuleActivity, NetworkActivity, Normalized, Outcome, ProcessActivity, Severity,
};
use crate::stats::FallbackReason;
use crate::util::{endpoint, number, port};

/// Maps a primary record of a type this module owns; `None` for
/// [`Target::Existing`], [`Target::Auxiliary`] and types not in the table.
pub(in crate::linux::auditd) fn map(
    ev: &AuditEvent<'_>,
    rec: &AuditRecord<'_>,
) -> Option<Box<Normalized>> {
    let (name, _, target) = *lookup(rec.record_type.as_ref())?;
    let syscall = ev.record("SYSCALL");
    let actor_rec = syscall.unwrap_or(rec);
    let res = outcome(rec).or_else(|| syscall.and_then(outcome));
    let failed = res == Some(Outcome::Failure);
    let sev = if failed {
        Severity::Low
    } else {
        Severity::Informational
    };
    let mut n = match target {
        T::Existing | T::Auxiliary => return None,
        T::Entity(change, kind) => entity(ev, rec, name, change, kind, sev),
        T::Module => module(ev, rec, name, sev),
        T::Network => network(ev, rec, name, sev),
        T::Lifecycle => lifecycle(ev, rec, name, sev),
        T::Access => return Some(access(ev, rec, actor_rec)),
        T::File(caption) => {
            let mut n = Normalized::new(
                Activity::FileSystem(FileActivity::Other(caption.into())),
                ev.time_ms,
                if name.starts_with("ANOM_") {
                    Severity::Medium
                } else {
                    sev
                },
            );
            n.file = Some(file_of(ev, rec));
            n
        }
        T::Process(caption) => {
            let mut n = Normalized::new(
                Activity::Process(ProcessActivity::Other(caption.into())),
                ev.time_ms,
                sev,
            );
            n.process = Some(process(actor_rec));
            n
        }
        T::Auth(kind) => {
            let act = match kind {
                A::Logon => AuthActivity::Logon,
                A::Logoff => AuthActivity::Logoff,
                A::Other(c) => AuthActivity::Other(c.into()),
            };
            let mut n = Normalized::new(Activity::Authentication(act), ev.time_ms, sev);
            n.user = user_of(rec);
            n.src = get(rec, "addr").and_then(|a| endpoint(a, get(rec, "rport").and_then(port)));
            n
        }
        T::Account(caption) => {
            let mut n = Normalized::new(
                Activity::AccountChange(AccountActivity::Other(caption.into())),
                ev.time_ms,
                Severity::Low,
            );
            // `sauid` is the audit uid of the sender (who made the change),
            // not the account changed: it types the actor, never the user.
            n.user = user_of(rec);
            n.actor_user = uid_user(rec, "sauid");
            n
        }
        T::Finding => {
            let mut n = Normalized::new(
                Activity::DetectionFinding(FindingActivity::Create),
                ev.time_ms,
                Severity::Medium,
            );
            n.finding = Some(FindingData {
                uid: format!("{}:{}", ev.time_ms, ev.serial),
                title: name.to_owned(),
                types: vec![if name.starts_with("RESP_") {
                    "Audit Response".to_owned()
                } else {
                    "Audit Anomaly".to_owned()
                }],
                ..FindingData::default()
            });
            n.user = user_of(rec);
            n
        }
        T::Base(reason) => {
            let mut n = Normalized::new(
                Activity::Fallback(FallbackReason::NoOcsfClass),
                ev.time_ms,
                Severity::Unknown,
            );
            put_fallback(&mut n, FallbackReason::NoOcsfClass, Some(reason));
            n
        }
    };
    common(&mut n, ev, rec, actor_rec, res);
    Some(n)
}

/// Actor, session, outcome, `op` and every field of the record.
fn common(
    n: &mut Normalized,
    ev: &AuditEvent<'_>,
    rec: &AuditRecord<'_>,
    actor_rec: &AuditRecord<'_>,
    res: Option<Outcome>,
) {
    if n.outcome.is_none() {
        n.outcome = res;
    }
    if n.actor_process.is_none() && n.process.is_none() {
        n.actor_process = Some(process(actor_rec));
    }
    if n.actor_user.is_none() {
        n.actor_user = uid_user(actor_rec, "auid").or_else(|| uid_user(actor_rec, "uid"));
    }
    if n.session.is_none() {
        n.session = session(actor_rec);
    }
    if n.status_detail.is_none() {
        n.status_detail = get(rec, "op").map(str::to_owned);
    }
    if let Some(c) = ev.record("CWD").and_then(|r| get(r, "cwd")) {
        n.put("cwd", c);
    }
    orphan::keep_unmapped(n, rec);
}

fn user_of(rec: &AuditRecord<'_>) -> Option<crate::normalized::UserInfo> {
    acct_user(rec)
}

/// The first of `keys` that has a value.
fn first<'r>(rec: &'r AuditRecord<'_>, keys: &[&str]) -> Option<&'r str> {
    keys.iter().find_map(|k| get(rec, k))
}

fn entity(
    ev: &AuditEvent<'_>,
    rec: &AuditRecord<'_>,
    name: &str,
    change: Change,
    kind: &str,
    sev: Severity,
) -> Box<Normalized> {
    let op = first(rec, &["op", "operation"])
        .unwrap_or_default()
        .to_ascii_lowercase();
    let act = match change {
        C::Create => EntityActivity::Create,
        C::Update => EntityActivity::Update,
        C::Delete => EntityActivity::Delete,
        C::Other(c) => EntityActivity::Other(c.into()),
        C::ByOp
            if ["unregister", "unload", "remove", "del", "destroy"]
                .iter()
                .any(|w| op.contains(w)) =>
        {
            EntityActivity::Delete
        }
        C::ByOp
            if ["add", "register", "create", "load"]
                .iter()
                .any(|w| op.contains(w)) =>
        {
            EntityActivity::Create
        }
        C::ByOp => EntityActivity::Update,
    };
    // Security-relevant configuration of the audit and security modules.
    let sev = if matches!(
        name,
        "CONFIG_CHANGE" | "MAC_STATUS" | "MAC_POLICY_LOAD" | "ANOM_PROMISCUOUS" | "FEATURE_CHANGE"
    ) {
        sev.max(Severity::Low)
    } else {
        sev
    };
    let mut n = Normalized::new(Activity::EntityManagement(act), ev.time_ms, sev);
    // An audit setting (`audit_enabled=0 old=1`) is named by its key.
    let setting = [
        "audit_enabled",
        "audit_failure",
        "audit_pid",
        "audit_backlog_limit",
        "audit_backlog_wait_time",
        "audit_rate_limit",
    ]
    .into_iter()
    .find(|k| rec.get(k).is_some());
    let entity_name = first(
        rec,
        &[
            "key",
            "table",
            "vm",
            "bool",
            "dev",
            "name",
            "profile",
            "sw",
            "resrc",
            "sec_alg",
            "src",
            "list",
            "policy",
            "feature",
            "enforcing",
        ],
    )
    .or(setting)
    .or_else(|| get(rec, "op"))
    .map_or_else(|| name.to_owned(), str::to_owned);
    n.entity = Some(EntityInfo {
        name: Some(entity_name),
        uid: first(rec, &["uuid", "vm-pid", "spi", "ino", "family", "id"]).map(str::to_owned),
        kind: Some(kind.to_owned()),
    });
    n
}

fn module(
    ev: &AuditEvent<'_>,
    rec: &AuditRecord<'_>,
    name: &str,
    sev: Severity,
) -> Box<Normalized> {
    let op = get(rec, "op").unwrap_or_default();
    let act = if op.eq_ignore_ascii_case("unload") {
        ModuleActivity::Unload
    } else {
        ModuleActivity::Load
    };
    let mut n = Normalized::new(Activity::Module(act), ev.time_ms, sev.max(Severity::Low));
    n.module_path = if name == "BPF" {
        get(rec, "prog-id").map(|id| format!("bpf-prog-{id}"))
    } else {
        get(rec, "name").map(str::to_owned)
    };
    n
}

fn network(
    ev: &AuditEvent<'_>,
    rec: &AuditRecord<'_>,
    name: &str,
    sev: Severity,
) -> Box<Normalized> {
    let op = get(rec, "op").unwrap_or_default().to_ascii_lowercase();
    let act = match name {
        "NETFILTER_PKT" => NetworkActivity::Traffic,
        "DAEMON_CLOSE" => NetworkActivity::Close,
        _ if ["destroy", "stop", "close", "disconnect", "del"]
            .iter()
            .any(|w| op.contains(w)) =>
        {
            NetworkActivity::Close
        }
        _ => NetworkActivity::Open,
    };
    let mut n = Normalized::new(Activity::Network(act), ev.time_ms, sev);
    let ep = |host: &str, port_key: &str| {
        get(rec, host).and_then(|h| endpoint(h, get(rec, port_key).and_then(port)))
    };
    n.src = ep("saddr", "sport")
        .or_else(|| ep("addr", "rport"))
        .or_else(|| ep("raddr", "rport"))
        .or_else(|| endpoint_of_daemon(rec));
    n.dst = ep("daddr", "dport").or_else(|| ep("laddr", "lport"));
    if n.src.is_none() && n.dst.is_none() {
        // Network Activity needs an endpoint: the local host.
        n.dst = Some(EndpointInfo {
            name: Some(
                get(rec, "nl-mcgrp")
                    .map_or_else(|| "localhost".to_owned(), |g| format!("netlink group {g}")),
            ),
            ..EndpointInfo::default()
        });
    }
    if let Some(p) = get(rec, "proto").and_then(number::<i32>) {
        n.put("protocol_num", p.to_string());
    }
    n
}

/// `DAEMON_ACCEPT` / `DAEMON_CLOSE`: `addr=ip:port` of a remote-logging peer.
fn endpoint_of_daemon(rec: &AuditRecord<'_>) -> Option<EndpointInfo> {
    let a = get(rec, "addr")?;
    let (host, p) = a.rsplit_once(':').map_or((a, None), |(h, p)| (h, port(p)));
    endpoint(host, p)
}

fn lifecycle(
    ev: &AuditEvent<'_>,
    rec: &AuditRecord<'_>,
    name: &str,
    sev: Severity,
) -> Box<Normalized> {
    let op = get(rec, "op").unwrap_or_default().to_ascii_lowercase();
    let act = match name {
        "DAEMON_RESUME" | "KERNEL" => AppActivity::Start,
        "DAEMON_ROTATE" => AppActivity::Other("Log Rotate".into()),
        "DAEMON_ERR" => AppActivity::Other("Error".into()),
        _ if op.contains("install") => AppActivity::Install,
        _ if op.contains("remove") || op.contains("erase") || op.contains("uninstall") => {
            AppActivity::Remove
        }
        _ if op == "start" || op.contains("resume") => AppActivity::Start,
        _ if op == "stop" || op.contains("destroy") => AppActivity::Stop,
        _ if op.is_empty() => AppActivity::Other("Other".into()),
        _ => AppActivity::Other(Cow::Owned(op.clone())),
    };
    let mut n = Normalized::new(Activity::ApplicationLifecycle(act), ev.time_ms, sev);
    let app_name = match name {
        "SOFTWARE_UPDATE" => get(rec, "sw"),
        "VIRT_CONTROL" => get(rec, "vm"),
        "KERNEL" => Some("audit"),
        _ => Some("auditd"),
    };
    n.app = Some(AppInfo {
        name: app_name.unwrap_or(crate::util::UNKNOWN).to_owned(),
        version: get(rec, "ver").map(str::to_owned),
        uid: get(rec, "uuid").map(str::to_owned),
    });
    if name == "DAEMON_ERR" {
        n.outcome = Some(Outcome::Failure);
    }
    n
}

/// The file a record names (`name`, `path`, relative to `CWD`), else the
/// record's `PATH` companion.
fn file_of(ev: &AuditEvent<'_>, rec: &AuditRecord<'_>) -> FileInfo {
    let cwd = ev.record("CWD").and_then(|r| get(r, "cwd"));
    let named = first(rec, &["path", "name", "file"]).map(|p| match cwd {
        Some(dir) if !p.starts_with('/') => format!("{}/{}", dir.trim_end_matches('/'), p),
        _ => p.to_owned(),
    });
    match named {
        Some(p) => FileInfo::at(p, FileType::Unknown),
        None => ev
            .records
            .iter()
            .filter(|r| r.record_type == "PATH")
            .find_map(|r| path_file(r, cwd))
            .unwrap_or_else(|| FileInfo::at(crate::util::UNKNOWN, FileType::Unknown)),
    }
}

/// The permissions of an access decision: `{ read write }` in SELinux text,
/// else AppArmor's `requested_mask` / `operation`.
fn permissions<'r>(rec: &'r AuditRecord<'_>) -> Option<Cow<'r, str>> {
    let raw = rec.raw.as_ref();
    if let (Some(a), Some(b)) = (raw.find('{'), raw.find('}'))
        && a < b
    {
        let p = raw[a + 1..b].trim();
        if !p.is_empty() {
            return Some(Cow::Borrowed(p));
        }
    }
    first(rec, &["operation", "requested_mask", "denied_mask"]).map(Cow::Borrowed)
}

fn access(
    ev: &AuditEvent<'_>,
    rec: &AuditRecord<'_>,
    actor_rec: &AuditRecord<'_>,
) -> Box<Normalized> {
    let raw = rec.raw.as_ref();
    let apparmor = get(rec, "apparmor").unwrap_or_default();
    let denied = raw.contains(" denied ")
        || raw.contains("avc:  denied")
        || apparmor.eq_ignore_ascii_case("DENIED")
        || rec.record_type == "APPARMOR_DENIED"
        || rec.record_type == "APPARMOR_KILL";
    let permissive = get(rec, "permissive") == Some("1");
    let perms = permissions(rec).unwrap_or(Cow::Borrowed("access"));
    let first_perm = perms
        .split_whitespace()
        .next()
        .unwrap_or("access")
        .to_owned();
    let tclass = get(rec, "tclass").unwrap_or_default();
    let has_file = first(rec, &["path", "name"]).is_some()
        || ev.records.iter().any(|r| r.record_type == "PATH");
    let is_net =
        tclass.ends_with("socket") || get(rec, "daddr").is_some() || get(rec, "dest").is_some();
    let file_class = matches!(
        tclass,
        "file"
            | "dir"
            | "lnk_file"
            | "chr_file"
            | "blk_file"
            | "sock_file"
            | "fifo_file"
            | "filesystem"
    ) || (tclass.is_empty() && has_file);
    let sev = if denied && !permissive {
        Severity::Medium
    } else {
        Severity::Informational
    };
    let mut n = if file_class && has_file {
        let act = match first_perm.as_str() {
            "read" | "r" | "getattr" => FileActivity::Read,
            "write" | "append" | "w" | "a" => FileActivity::Update,
            "create" | "mkdir" | "c" => FileActivity::Create,
            "unlink" | "rmdir" | "d" => FileActivity::Delete,
            "rename" => FileActivity::Rename,
            "setattr" | "relabelfrom" | "relabelto" | "chmod" | "chown" => {
                FileActivity::SetSecurity
            }
            "open" => FileActivity::Open,
            other => FileActivity::Other(Cow::Owned(format!("Access Check: {other}"))),
        };
        let mut n = Normalized::new(Activity::FileSystem(act), ev.time_ms, sev);
        n.file = Some(file_of(ev, rec));
        n
    } else if is_net {
        let act = if denied && !permissive {
            NetworkActivity::Refuse
        } else {
            NetworkActivity::Other(Cow::Owned(format!("Access Check: {first_perm}")))
        };
        let mut n = Normalized::new(Activity::Network(act), ev.time_ms, sev);
        n.dst = get(rec, "daddr")
            .or_else(|| get(rec, "laddr"))
            .and_then(|a| endpoint(a, first(rec, &["dest", "dport", "lport"]).and_then(port)))
            .or_else(|| {
                Some(EndpointInfo {
                    port: first(rec, &["dest", "src"]).and_then(port),
                    name: Some(tclass.to_owned()),
                    ..EndpointInfo::default()
                })
            });
        n.src = get(rec, "saddr").and_then(|a| endpoint(a, get(rec, "src").and_then(port)));
        n
    } else {
        let mut n = Normalized::new(
            Activity::Process(ProcessActivity::Other(Cow::Owned(format!(
                "Access Check: {first_perm}"
            )))),
            ev.time_ms,
            sev,
        );
        n.process = Some(process(actor_rec));
        n
    };
    n.outcome = Some(if denied && !permissive {
        Outcome::Failure
    } else {
        Outcome::Success
    });
    n.disposition = Some(if denied && !permissive {
        Disposition::Blocked
    } else {
        Disposition::Allowed
    });
    n.status_detail = Some(format!(
        "{} {{ {perms} }}",
        if denied { "denied" } else { "granted" }
    ));
    common(&mut n, ev, rec, actor_rec, None);
    if n.process.is_some() && n.actor_process.is_none() {
        n.actor_process = Some(process(actor_rec));
    }
    n.put_value("access_denied", Value::from(denied));
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::auditd::types::TYPES;

    /// Every type of the table, as a minimal user-space style record, maps
    /// to the class its row names and passes the OCSF 1.1.0 validator.
    #[test]
    fn every_type_maps_to_its_class_and_validates() {
        let config = crate::SourceConfig::linux().with_reference_ms(1_718_000_000_000);
        for (i, (name, _, target)) in TYPES.iter().enumerate() {
            let line = format!(
                "type={name} msg=audit(1717927500.000:{i}): pid=100 uid=0 auid=1000 ses=3 \
                 msg='op=test acct=\"alice\" exe=\"/usr/bin/x\" hostname=? \
                 addr=192.0.2.4 terminal=pts/0 res=success'"
            );
            let mut m = crate::LinuxMapper::new(config.clone());
            let mut out = m.map_line(&line);
            out.extend(m.finish());
            assert_eq!(out.len(), 1, "{name}");
            let v = serde_json::to_value(&out[0]).expect("serializes");
            let report = ocsf_model::validate::validate_value(&v, &ocsf_model::v1_1_0::SCHEMA);
            assert!(report.is_valid(), "{name}: {v}");
            let class = v["class_uid"].as_i64().unwrap_or(-1);
            let want: &[i64] = match target {
                T::Existing | T::Auxiliary => continue,
                T::Entity(..) => &[3004],
                T::Module => &[1005],
                T::Network => &[4001],
                T::Lifecycle => &[6002],
                T::Access => &[1001, 4001, 1007],
                T::File(_) => &[1001],
                T::Process(_) => &[1007],
                T::Auth(_) => &[3002],
                T::Account(_) => &[3001],
                T::Finding => &[2004],
                T::Base(reason) => {
                    assert_eq!(
                        v["unmapped"]["fallback"]["reason"], "no_ocsf_class",
                        "{name}"
                    );
                    assert_eq!(v["unmapped"]["fallback"]["detail"], *reason, "{name}");
                    &[0]
                }
            };
            assert!(want.contains(&class), "{name}: class {class}: {v}");
            assert_eq!(v["unmapped"]["audit_record"]["type"], *name, "{name}");
            assert_eq!(v["unmapped"]["audit_record"]["pid"], 100, "{name}");
            assert_eq!(v["metadata"]["event_code"], *name, "{name}");
        }
    }
}

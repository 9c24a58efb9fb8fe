//! The Linux audit record type table (the names and numbers the audit
//! userspace prints) and what each type maps to when it is the primary record
//! of an event.
//!
//! Types mapped by the record-specific code of the parent module (`SYSCALL`,
//! the login / account / service types) are [`Target::Existing`]; records that
//! only accompany a `SYSCALL` are [`Target::Auxiliary`] (alone they map as in
//! [`super::orphan`]); every other type maps here, data-driven, to the OCSF
//! 1.1.0 class that fits, or to a Base Event whose `unmapped.fallback.detail`
//! says why OCSF has no class for it (the class builders are in `classes`).
//! Every record mapped here keeps all its fields in `unmapped.audit_record`.

use serde_json::{Map, Value};

use crate::formats::auditd::AuditEvent;
use crate::normalized::Normalized;

mod classes;

pub(super) use classes::map;

/// How an entity-management type picks its activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Always Create.
    Create,
    /// Always Update.
    Update,
    /// Always Delete.
    Delete,
    /// From `op` (`add` / `register` / `create` → Create, `del` / `remove` /
    /// `unregister` → Delete, else Update).
    ByOp,
    /// Activity Other with this caption.
    Other(&'static str),
}

/// What a record type maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Mapped by the record-specific code in the parent module.
    Existing,
    /// Accompanies a `SYSCALL` (mapped with it; alone see `orphan`).
    Auxiliary,
    /// Entity Management: the change and the managed entity's type.
    Entity(Change, &'static str),
    /// Module Activity (kernel modules, BPF programs).
    Module,
    /// Network Activity (packet, crypto session or SA endpoints).
    Network,
    /// Application Lifecycle (install / remove / start / stop, else Other).
    Lifecycle,
    /// A mandatory or discretionary access decision (SELinux AVC, AppArmor):
    /// File System, Network or Process Activity by the object class.
    Access,
    /// File System Activity Other with this caption (integrity, link checks).
    File(&'static str),
    /// Process Activity Other with this caption.
    Process(&'static str),
    /// Authentication: Logon, Logoff, or Other with this caption.
    Auth(AuthKind),
    /// Account Change Other with this caption (role mappings).
    Account(&'static str),
    /// Detection Finding (user-space anomaly detections and responses).
    Finding,
    /// Base Event: OCSF 1.1.0 has no class; the reason is documented.
    Base(&'static str),
}

/// The Authentication activity of an [`Target::Auth`] type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthKind {
    /// Logon.
    Logon,
    /// Logoff.
    Logoff,
    /// Other with this caption.
    Other(&'static str),
}

use AuthKind as A;
use Change as C;
use Target as T;

const CONTROL: Target = T::Base("an audit netlink control request or reply, not an activity");
const TTY: Target = T::Base("terminal keystrokes: OCSF 1.1.0 has no class for captured input");

/// The audit record types: name, number and target. Names as the audit
/// userspace prints them; `UNKNOWN[n]` and bare numbers are not in the table.
pub(crate) const TYPES: &[(&str, u16, Target)] = &[
    // 1000-1099: kernel audit control.
    ("GET", 1000, CONTROL),
    ("SET", 1001, CONTROL),
    ("LIST", 1002, CONTROL),
    ("ADD", 1003, CONTROL),
    ("DEL", 1004, CONTROL),
    (
        "USER",
        1005,
        T::Base("a generic user-space message without a defined meaning"),
    ),
    ("LOGIN", 1006, T::Existing),
    ("WATCH_INS", 1007, CONTROL),
    ("WATCH_REM", 1008, CONTROL),
    ("WATCH_LIST", 1009, CONTROL),
    ("SIGNAL_INFO", 1010, CONTROL),
    ("ADD_RULE", 1011, CONTROL),
    ("DEL_RULE", 1012, CONTROL),
    ("LIST_RULES", 1013, CONTROL),
    ("TRIM", 1014, CONTROL),
    ("MAKE_EQUIV", 1015, CONTROL),
    ("TTY_GET", 1016, CONTROL),
    ("TTY_SET", 1017, CONTROL),
    ("SET_FEATURE", 1018, CONTROL),
    ("GET_FEATURE", 1019, CONTROL),
    // 1100-1199: user-space trusted applications.
    ("USER_AUTH", 1100, T::Existing),
    ("USER_ACCT", 1101, T::Existing),
    ("USER_MGMT", 1102, T::Existing),
    ("CRED_ACQ", 1103, T::Existing),
    ("CRED_DISP", 1104, T::Existing),
    ("USER_START", 1105, T::Existing),
    ("USER_END", 1106, T::Existing),
    ("USER_AVC", 1107, T::Access),
    ("USER_CHAUTHTOK", 1108, T::Existing),
    ("USER_ERR", 1109, T::Existing),
    ("CRED_REFR", 1110, T::Existing),
    (
        "USYS_CONFIG",
        1111,
        T::Entity(C::Update, "System Configuration"),
    ),
    ("USER_LOGIN", 1112, T::Existing),
    ("USER_LOGOUT", 1113, T::Existing),
    ("ADD_USER", 1114, T::Existing),
    ("DEL_USER", 1115, T::Existing),
    ("ADD_GROUP", 1116, T::Existing),
    ("DEL_GROUP", 1117, T::Existing),
    ("DAC_CHECK", 1118, T::Access),
    ("CHGRP_ID", 1119, T::Auth(A::Other("Change Group ID"))),
    ("TEST", 1120, T::Base("an audit test message")),
    (
        "TRUSTED_APP",
        1121,
        T::Base("a free-form trusted application message"),
    ),
    (
        "USER_SELINUX_ERR",
        1122,
        T::Base(
            "an SELinux error in a user-space object manager: OCSF 1.1.0 has no class for security-module errors",
        ),
    ),
    ("USER_CMD", 1123, T::Existing),
    ("USER_TTY", 1124, TTY),
    ("CHUSER_ID", 1125, T::Auth(A::Other("Change User ID"))),
    ("GRP_AUTH", 1126, T::Auth(A::Logon)),
    ("SYSTEM_BOOT", 1127, T::Existing),
    ("SYSTEM_SHUTDOWN", 1128, T::Existing),
    ("SYSTEM_RUNLEVEL", 1129, T::Existing),
    ("SERVICE_START", 1130, T::Existing),
    ("SERVICE_STOP", 1131, T::Existing),
    ("GRP_MGMT", 1132, T::Existing),
    ("GRP_CHAUTHTOK", 1133, T::Existing),
    ("MAC_CHECK", 1134, T::Access),
    ("ACCT_LOCK", 1135, T::Existing),
    ("ACCT_UNLOCK", 1136, T::Existing),
    ("USER_DEVICE", 1137, T::Entity(C::ByOp, "Device")),
    ("SOFTWARE_UPDATE", 1138, T::Lifecycle),
    // 1200-1299: the audit daemon.
    ("DAEMON_START", 1200, T::Existing),
    ("DAEMON_END", 1201, T::Existing),
    ("DAEMON_ABORT", 1202, T::Existing),
    (
        "DAEMON_CONFIG",
        1203,
        T::Entity(C::Update, "Audit Daemon Configuration"),
    ),
    (
        "DAEMON_RECONFIG",
        1204,
        T::Entity(C::Update, "Audit Daemon Configuration"),
    ),
    ("DAEMON_ROTATE", 1205, T::Lifecycle),
    ("DAEMON_RESUME", 1206, T::Lifecycle),
    ("DAEMON_ACCEPT", 1207, T::Network),
    ("DAEMON_CLOSE", 1208, T::Network),
    ("DAEMON_ERR", 1209, T::Lifecycle),
    // 1300-1399: kernel events.
    ("SYSCALL", 1300, T::Existing),
    ("FS_WATCH", 1301, T::Auxiliary),
    ("PATH", 1302, T::Auxiliary),
    ("IPC", 1303, T::Auxiliary),
    ("SOCKETCALL", 1304, T::Auxiliary),
    (
        "CONFIG_CHANGE",
        1305,
        T::Entity(C::ByOp, "Audit Configuration"),
    ),
    ("SOCKADDR", 1306, T::Auxiliary),
    ("CWD", 1307, T::Auxiliary),
    ("FS_INODE", 1308, T::Auxiliary),
    ("EXECVE", 1309, T::Auxiliary),
    ("IPC_SET_PERM", 1311, T::Auxiliary),
    ("MQ_OPEN", 1312, T::Auxiliary),
    ("MQ_SENDRECV", 1313, T::Auxiliary),
    ("MQ_NOTIFY", 1314, T::Auxiliary),
    ("MQ_GETSETATTR", 1315, T::Auxiliary),
    (
        "KERNEL_OTHER",
        1316,
        T::Base("a kernel record without a defined meaning"),
    ),
    ("FD_PAIR", 1317, T::Auxiliary),
    ("OBJ_PID", 1318, T::Auxiliary),
    ("TTY", 1319, TTY),
    ("EOE", 1320, T::Auxiliary),
    ("BPRM_FCAPS", 1321, T::Auxiliary),
    ("CAPSET", 1322, T::Auxiliary),
    ("MMAP", 1323, T::Auxiliary),
    ("NETFILTER_PKT", 1324, T::Network),
    ("NETFILTER_CFG", 1325, T::Entity(C::ByOp, "Netfilter Table")),
    ("SECCOMP", 1326, T::Process("Seccomp Action")),
    ("PROCTITLE", 1327, T::Auxiliary),
    (
        "FEATURE_CHANGE",
        1328,
        T::Entity(C::Update, "Audit Feature"),
    ),
    (
        "REPLACE",
        1329,
        T::Base("a kernel probe for a replacement audit daemon, not an activity"),
    ),
    ("KERN_MODULE", 1330, T::Module),
    ("FANOTIFY", 1331, T::Auxiliary),
    ("TIME_INJOFFSET", 1332, T::Auxiliary),
    ("TIME_ADJNTPVAL", 1333, T::Auxiliary),
    ("BPF", 1334, T::Module),
    ("EVENT_LISTENER", 1335, T::Network),
    ("URINGOP", 1336, T::Process("io_uring Operation")),
    ("OPENAT2", 1337, T::Auxiliary),
    ("DM_CTRL", 1338, T::Entity(C::ByOp, "Device Mapper Target")),
    (
        "DM_EVENT",
        1339,
        T::Base(
            "a device-mapper integrity event: OCSF 1.1.0 has no class for block-device integrity",
        ),
    ),
    // 1400-1499: SELinux.
    ("AVC", 1400, T::Access),
    (
        "SELINUX_ERR",
        1401,
        T::Base(
            "an SELinux kernel error (invalid context or transition): OCSF 1.1.0 has no class for security-module errors",
        ),
    ),
    ("AVC_PATH", 1402, T::Auxiliary),
    ("MAC_POLICY_LOAD", 1403, T::Entity(C::Update, "MAC Policy")),
    ("MAC_STATUS", 1404, T::Entity(C::Update, "MAC Enforcement")),
    (
        "MAC_CONFIG_CHANGE",
        1405,
        T::Entity(C::Update, "MAC Boolean"),
    ),
    (
        "MAC_UNLBL_ALLOW",
        1406,
        T::Entity(C::Update, "NetLabel Unlabeled Traffic"),
    ),
    (
        "MAC_CIPSOV4_ADD",
        1407,
        T::Entity(C::Create, "NetLabel CIPSO DOI"),
    ),
    (
        "MAC_CIPSOV4_DEL",
        1408,
        T::Entity(C::Delete, "NetLabel CIPSO DOI"),
    ),
    (
        "MAC_MAP_ADD",
        1409,
        T::Entity(C::Create, "NetLabel Domain Mapping"),
    ),
    (
        "MAC_MAP_DEL",
        1410,
        T::Entity(C::Delete, "NetLabel Domain Mapping"),
    ),
    ("MAC_IPSEC_ADDSA", 1411, T::Entity(C::Create, "IPsec SA")),
    ("MAC_IPSEC_DELSA", 1412, T::Entity(C::Delete, "IPsec SA")),
    ("MAC_IPSEC_ADDSPD", 1413, T::Entity(C::Create, "IPsec SP")),
    ("MAC_IPSEC_DELSPD", 1414, T::Entity(C::Delete, "IPsec SP")),
    ("MAC_IPSEC_EVENT", 1415, T::Entity(C::ByOp, "IPsec SA")),
    (
        "MAC_UNLBL_STCADD",
        1416,
        T::Entity(C::Create, "NetLabel Static Label"),
    ),
    (
        "MAC_UNLBL_STCDEL",
        1417,
        T::Entity(C::Delete, "NetLabel Static Label"),
    ),
    (
        "MAC_CALIPSO_ADD",
        1418,
        T::Entity(C::Create, "NetLabel CALIPSO DOI"),
    ),
    (
        "MAC_CALIPSO_DEL",
        1419,
        T::Entity(C::Delete, "NetLabel CALIPSO DOI"),
    ),
    // 1500-1599: AppArmor.
    ("APPARMOR", 1500, T::Access),
    ("APPARMOR_AUDIT", 1501, T::Access),
    ("APPARMOR_ALLOWED", 1502, T::Access),
    ("APPARMOR_DENIED", 1503, T::Access),
    ("APPARMOR_HINT", 1504, T::Access),
    (
        "APPARMOR_STATUS",
        1505,
        T::Entity(C::ByOp, "AppArmor Profile"),
    ),
    (
        "APPARMOR_ERROR",
        1506,
        T::Base("an AppArmor error: OCSF 1.1.0 has no class for security-module errors"),
    ),
    ("APPARMOR_KILL", 1507, T::Access),
    // 1700-1799: kernel anomalies.
    (
        "ANOM_PROMISCUOUS",
        1700,
        T::Entity(C::Update, "Network Interface"),
    ),
    ("ANOM_ABEND", 1701, T::Existing),
    ("ANOM_LINK", 1702, T::File("Link Denied")),
    ("ANOM_CREAT", 1703, T::File("Create Denied")),
    // 1800-1899: integrity (IMA / EVM).
    ("INTEGRITY_DATA", 1800, T::File("Integrity Check")),
    ("INTEGRITY_METADATA", 1801, T::File("Integrity Check")),
    (
        "INTEGRITY_STATUS",
        1802,
        T::Entity(C::Update, "Integrity Subsystem"),
    ),
    ("INTEGRITY_HASH", 1803, T::File("Integrity Hash")),
    ("INTEGRITY_PCR", 1804, T::File("Integrity Measurement")),
    ("INTEGRITY_RULE", 1805, T::File("Integrity Rule Match")),
    ("INTEGRITY_EVM_XATTR", 1806, T::File("Integrity Check")),
    (
        "INTEGRITY_POLICY_RULE",
        1807,
        T::Entity(C::Update, "Integrity Policy Rule"),
    ),
    ("KERNEL", 2000, T::Lifecycle),
    // 2100-2199: user-space anomalies.
    ("ANOM_LOGIN_FAILURES", 2100, T::Existing),
    ("ANOM_LOGIN_TIME", 2101, T::Finding),
    ("ANOM_LOGIN_SESSIONS", 2102, T::Finding),
    ("ANOM_LOGIN_ACCT", 2103, T::Finding),
    ("ANOM_LOGIN_LOCATION", 2104, T::Finding),
    ("ANOM_MAX_DAC", 2105, T::Finding),
    ("ANOM_MAX_MAC", 2106, T::Finding),
    ("ANOM_AMTU_FAIL", 2107, T::Finding),
    ("ANOM_RBAC_FAIL", 2108, T::Finding),
    ("ANOM_RBAC_INTEGRITY_FAIL", 2109, T::Finding),
    ("ANOM_CRYPTO_FAIL", 2110, T::Finding),
    ("ANOM_ACCESS_FS", 2111, T::Finding),
    ("ANOM_EXEC", 2112, T::Finding),
    ("ANOM_MK_EXEC", 2113, T::Finding),
    ("ANOM_ADD_ACCT", 2114, T::Finding),
    ("ANOM_DEL_ACCT", 2115, T::Finding),
    ("ANOM_MOD_ACCT", 2116, T::Finding),
    ("ANOM_ROOT_TRANS", 2117, T::Finding),
    ("ANOM_LOGIN_SERVICE", 2118, T::Finding),
    ("ANOM_LOGIN_ROOT", 2119, T::Finding),
    ("ANOM_ORIGIN_FAILURES", 2120, T::Finding),
    ("ANOM_SESSION", 2121, T::Finding),
    // 2200-2299: responses to anomalies.
    ("RESP_ANOMALY", 2200, T::Finding),
    ("RESP_ALERT", 2201, T::Finding),
    ("RESP_KILL_PROC", 2202, T::Finding),
    ("RESP_TERM_ACCESS", 2203, T::Finding),
    ("RESP_ACCT_REMOTE", 2204, T::Finding),
    ("RESP_ACCT_LOCK_TIMED", 2205, T::Finding),
    ("RESP_ACCT_UNLOCK_TIMED", 2206, T::Finding),
    ("RESP_ACCT_LOCK", 2207, T::Finding),
    ("RESP_TERM_LOCK", 2208, T::Finding),
    ("RESP_SEBOOL", 2209, T::Finding),
    ("RESP_EXEC", 2210, T::Finding),
    ("RESP_SINGLE", 2211, T::Finding),
    ("RESP_HALT", 2212, T::Finding),
    ("RESP_ORIGIN_BLOCK", 2213, T::Finding),
    ("RESP_ORIGIN_BLOCK_TIMED", 2214, T::Finding),
    ("RESP_ORIGIN_UNBLOCK_TIMED", 2215, T::Finding),
    // 2300-2399: roles and labels.
    ("USER_ROLE_CHANGE", 2300, T::Auth(A::Other("Role Change"))),
    ("ROLE_ASSIGN", 2301, T::Account("Assign Role")),
    ("ROLE_REMOVE", 2302, T::Account("Remove Role")),
    (
        "LABEL_OVERRIDE",
        2303,
        T::Entity(C::Other("Override"), "Security Label"),
    ),
    (
        "LABEL_LEVEL_CHANGE",
        2304,
        T::Entity(C::Update, "Security Label"),
    ),
    (
        "USER_LABELED_EXPORT",
        2305,
        T::Base("an export of labeled data (printing): OCSF 1.1.0 has no class for it"),
    ),
    (
        "USER_UNLABELED_EXPORT",
        2306,
        T::Base("an export of unlabeled data: OCSF 1.1.0 has no class for it"),
    ),
    ("DEV_ALLOC", 2307, T::Entity(C::Create, "Device Allocation")),
    (
        "DEV_DEALLOC",
        2308,
        T::Entity(C::Delete, "Device Allocation"),
    ),
    (
        "FS_RELABEL",
        2309,
        T::Entity(C::Update, "File System Labels"),
    ),
    (
        "USER_MAC_POLICY_LOAD",
        2310,
        T::Entity(C::Update, "MAC Policy"),
    ),
    ("ROLE_MODIFY", 2311, T::Account("Modify Role")),
    (
        "USER_MAC_CONFIG_CHANGE",
        2312,
        T::Entity(C::Update, "MAC Configuration"),
    ),
    (
        "USER_MAC_STATUS",
        2313,
        T::Entity(C::Update, "MAC Enforcement"),
    ),
    // 2400-2499: user-space crypto.
    (
        "CRYPTO_TEST_USER",
        2400,
        T::Base("a cryptographic self-test result: OCSF 1.1.0 has no class for it"),
    ),
    (
        "CRYPTO_PARAM_CHANGE_USER",
        2401,
        T::Entity(C::Update, "Crypto Parameters"),
    ),
    ("CRYPTO_LOGIN", 2402, T::Auth(A::Logon)),
    ("CRYPTO_LOGOUT", 2403, T::Auth(A::Logoff)),
    (
        "CRYPTO_KEY_USER",
        2404,
        T::Base(
            "a key-material lifecycle record (negotiated or destroyed): OCSF 1.1.0 has no key-management class",
        ),
    ),
    (
        "CRYPTO_FAILURE_USER",
        2405,
        T::Base("a cryptographic operation failure: OCSF 1.1.0 has no class for it"),
    ),
    ("CRYPTO_REPLAY_USER", 2406, T::Finding),
    ("CRYPTO_SESSION", 2407, T::Network),
    ("CRYPTO_IKE_SA", 2408, T::Network),
    ("CRYPTO_IPSEC_SA", 2409, T::Network),
    // 2500-2599: virtualization.
    ("VIRT_CONTROL", 2500, T::Lifecycle),
    (
        "VIRT_RESOURCE",
        2501,
        T::Entity(C::Update, "Virtual Machine Resource"),
    ),
    (
        "VIRT_MACHINE_ID",
        2502,
        T::Entity(C::Update, "Virtual Machine Label"),
    ),
    (
        "VIRT_INTEGRITY_CHECK",
        2503,
        T::Entity(C::Other("Integrity Check"), "Virtual Machine"),
    ),
    ("VIRT_CREATE", 2504, T::Entity(C::Create, "Virtual Machine")),
    (
        "VIRT_DESTROY",
        2505,
        T::Entity(C::Delete, "Virtual Machine"),
    ),
    (
        "VIRT_MIGRATE_IN",
        2506,
        T::Entity(C::Other("Migrate In"), "Virtual Machine"),
    ),
    (
        "VIRT_MIGRATE_OUT",
        2507,
        T::Entity(C::Other("Migrate Out"), "Virtual Machine"),
    ),
];

/// The table row of `name` (also `KERNEL_MODULE`, a common spelling of
/// `KERN_MODULE`).
pub(crate) fn lookup(name: &str) -> Option<&'static (&'static str, u16, Target)> {
    let name = if name == "KERNEL_MODULE" {
        "KERN_MODULE"
    } else {
        name
    };
    TYPES.iter().find(|(n, _, _)| *n == name)
}

/// The name of the record type numbered `number` (`1400` → `AVC`).
pub(super) fn name_of(number: u16) -> Option<&'static str> {
    TYPES
        .iter()
        .find(|(_, n, _)| *n == number)
        .map(|(name, _, _)| *name)
}

/// Whether `name` only accompanies a `SYSCALL` record.
pub(super) fn is_auxiliary(name: &str) -> bool {
    lookup(name).is_some_and(|(_, _, t)| *t == T::Auxiliary)
}

/// Companion records the `SYSCALL` mapping does not read (`SOCKADDR`,
/// `OBJ_PID`, `MMAP`, `FANOTIFY`, `TIME_ADJNTPVAL`, `OPENAT2`, ...) keep their
/// fields in `unmapped.audit_companions.<TYPE>` (a `SOCKADDR` also its decoded
/// endpoint as `endpoint`), so no record of an event is reduced to `raw_data`.
pub(super) fn keep_companions(n: &mut Normalized, ev: &AuditEvent<'_>) {
    let mut kept = Map::new();
    for r in &ev.records {
        let t = r.record_type.as_ref();
        if !is_auxiliary(t) || matches!(t, "EOE" | "PATH" | "CWD" | "EXECVE" | "PROCTITLE") {
            continue;
        }
        let mut m = super::orphan::fields(r);
        if t == "SOCKADDR"
            && let Some(e) = super::orphan::sockaddr(r)
        {
            let text = match (e.ip, e.port, e.name) {
                (Some(ip), Some(port), _) if ip.contains(':') => format!("[{ip}]:{port}"),
                (Some(ip), Some(port), _) => format!("{ip}:{port}"),
                (Some(ip), None, _) => ip,
                (None, _, Some(name)) => name,
                _ => String::new(),
            };
            if !text.is_empty() {
                m.insert("endpoint".into(), Value::from(text));
            }
        }
        // Several records of one type (e.g. two `OBJ_PID`) become a list.
        match kept.get_mut(t) {
            Some(Value::Array(list)) => list.push(Value::Object(m)),
            Some(first) => {
                let prev = first.take();
                *first = Value::Array(vec![prev, Value::Object(m)]);
            }
            None => {
                kept.insert(t.to_owned(), Value::Object(m));
            }
        }
    }
    if !kept.is_empty() {
        n.put_value("audit_companions", Value::Object(kept));
    }
}

/// Whether records of this type are whole events written by user space (no
/// `EOE` follows): the 1100-1299 and 2100-2999 ranges.
pub(super) fn is_standalone(name: &str) -> bool {
    lookup(name).is_some_and(|(_, n, _)| matches!(n, 1100..=1299 | 2100..=2999))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_and_numbers_are_unique() {
        for (i, (name, num, _)) in TYPES.iter().enumerate() {
            for (other, onum, _) in &TYPES[i + 1..] {
                assert_ne!(name, other);
                assert_ne!(num, onum, "{name} / {other}");
            }
        }
        assert!(TYPES.len() > 200, "{}", TYPES.len());
        assert_eq!(lookup("KERNEL_MODULE").map(|r| r.1), Some(1330));
        assert!(is_auxiliary("PATH") && !is_auxiliary("AVC"));
        assert!(is_standalone("VIRT_CONTROL") && !is_standalone("AVC"));
    }

    /// `MAPPINGS.md` lists every type of the table with its number.
    #[test]
    fn mappings_md_lists_every_type() {
        let doc = include_str!("../../../MAPPINGS.md");
        for (name, num, _) in TYPES {
            assert!(
                doc.contains(&format!("| `{name}` | {num} | ")),
                "MAPPINGS.md lacks {name}"
            );
        }
    }
}

//! Every Linux program parser, through the public [`LinuxMapper`].
//!
//! Byte 0 picks the program (every program the mapper has a parser for, plus
//! path forms and unknown programs for the generic fallback), byte 1 the PAM
//! sub-facility and how the message is delivered: as a bare message with a
//! transport context (`map_message`) or as syslog lines (`map_line`, which
//! also runs sudo's continuation joiner). The rest is the message.
//!
//! Invariants: no panic; every message and every non-blank line yields at
//! least one event (a specific class or the fallback Base Event), except sudo
//! lines, which may be joined, and kernel lines or messages that are stamped
//! audit records, grouped by serial (their events may come with `finish`),
//! but still yield at least one event in total; the counters add up to the
//! events returned.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocsf_mappers::{LinuxMapper, MessageContext, SourceConfig};

const PROGRAMS: &[&str] = &[
    "sshd",
    "sshd-session",
    "sshd-auth",
    "sudo",
    "su",
    "su-l",
    "login",
    "unix_chkpwd",
    "useradd",
    "userdel",
    "usermod",
    "passwd",
    "chpasswd",
    "chage",
    "chfn",
    "chsh",
    "groupadd",
    "groupdel",
    "groupmod",
    "gpasswd",
    "newusers",
    "adduser",
    "deluser",
    "addgroup",
    "delgroup",
    "faillock",
    "cron",
    "CRON",
    "crond",
    "anacron",
    "crontab",
    "/usr/sbin/cron",
    "systemd",
    "init",
    "systemd-logind",
    "kernel",
    "ftpd",
    "in.ftpd",
    "klogind",
    "logrotate",
    "udev",
    "udevd",
    "systemd-udevd",
    "xinetd",
    "snmpd",
    "gdm",
    "gdm-binary",
    "syslogd",
    "rsyslogd",
    "syslog",
    "myapp",
    "",
];

const SUB_PROGRAMS: &[Option<&str>] = &[
    None,
    Some("pam_unix"),
    Some("pam_faillock"),
    Some("pam_sss"),
    Some("pam_systemd"),
    Some("pam_tally2"),
    Some("pam_succeed_if"),
    Some("other"),
];

fuzz_target!(|data: &[u8]| {
    let [program, mode, rest @ ..] = data else {
        return;
    };
    let program = PROGRAMS[usize::from(*program) % PROGRAMS.len()];
    let sub = SUB_PROGRAMS[usize::from(mode & 7) % SUB_PROGRAMS.len()];
    let text = String::from_utf8_lossy(rest);
    let config = SourceConfig::linux()
        .with_reference_ms(1_718_000_000_000)
        .with_hostname_fallback("fallback-host")
        .with_raw_data(mode & 0x40 != 0);
    let mut mapper = LinuxMapper::new(config);
    let mut emitted = 0u64;
    let mut calls = 0u64;

    if mode & 0x80 == 0 {
        // A message whose transport was decoded elsewhere (journald-like).
        let mut ctx = MessageContext::new(program, 1_718_000_000_000).with_pid(4242);
        ctx.sub_program = sub;
        ctx.hostname = (mode & 0x08 != 0).then_some("web1");
        ctx.uid = (mode & 0x10 != 0).then_some(1000);
        ctx.severity = (mode & 0x20 != 0).then_some(mode >> 5);
        let events = mapper.map_message(&ctx, &text);
        calls += 1;
        // An audit record with its `audit(TIME:SERIAL)` stamp (a `kernel` message) is grouped
        // by serial, as from a syslog line: its event may come with `finish`.
        let tail = mapper.finish();
        assert!(
            !events.is_empty() || !tail.is_empty(),
            "map_message produced no event"
        );
        emitted += (events.len() + tail.len()) as u64;
        for e in events.iter().chain(&tail) {
            let _ = e.class_uid();
        }
    } else {
        // Syslog lines carrying the program's messages, one per input line.
        let tag = match sub {
            Some(s) => format!("{program}({s})[77]"),
            None => format!("{program}[77]"),
        };
        let mut lines = 0u64;
        for message in text.split('\n') {
            let line = format!("Jun 10 06:13:20 web1 {tag}: {message}");
            let events = mapper.map_line(&line);
            calls += 1;
            lines += 1;
            // sudo lines may be joined; a kernel line may be a stamped audit record, grouped by
            // serial (its event may come with a later line or `finish`).
            if program != "sudo" && program != "kernel" {
                assert!(!events.is_empty(), "line produced no event: {line:?}");
            }
            emitted += events.len() as u64;
        }
        let tail = mapper.finish();
        emitted += tail.len() as u64;
        assert!(emitted >= 1 && lines >= 1, "no event for {lines} lines");
    }

    let stats = mapper.stats();
    assert_eq!(stats.accepted, calls, "accepted != inputs");
    assert_eq!(stats.events(), emitted, "counters != events returned");
    assert_eq!(stats.mapped_total() + stats.fallback_total(), emitted);
});

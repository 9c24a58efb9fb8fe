//! Corpus tests over real third-party samples kept outside the repository in
//! `../shared/samples/` (see its PROVENANCE.md). Each test prints a note and
//! passes without checking anything when the folder is absent.

mod common;

use common::sample;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;

use ocsf_mappers::formats::cef::{self, CefRecord};
use ocsf_mappers::formats::syslog::{self, SyslogContext, SyslogFormat, TimeSource};
use ocsf_mappers::formats::time::days_from_civil;

const DAY_MS: i64 = 86_400_000;

fn read_lines(path: &Path) -> Vec<String> {
    let f = fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    BufReader::new(f)
        .lines()
        .map(|l| l.unwrap_or_else(|e| panic!("read {}: {e}", path.display())))
        .collect()
}

fn ms(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64) -> i64 {
    days_from_civil(y, mo, d) * DAY_MS + ((h * 60 + mi) * 60 + s) * 1000
}

/// `input.message` of every `*.json` file in `dir`, sorted by file name.
fn json_messages(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("list {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let v: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let msg = v["input"]["message"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: no input.message", p.display()))
                .to_owned();
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, msg)
        })
        .collect()
}

#[test]
fn loghub_linux_every_line_parses_as_syslog() {
    let Some(dir) = sample("linux/loghub") else {
        return;
    };
    let lines = read_lines(&dir.join("Linux_2k.log"));
    // The file's lines are from June and July 2005.
    let ctx = SyslogContext::new(ms(2005, 8, 1, 0, 0, 0));
    let mut parsed = 0;
    let (mut no_app, mut with_pid, mut with_sub) = (0, 0, 0);
    let (mut min_t, mut max_t) = (i64::MAX, i64::MIN);
    for (n, line) in lines.iter().enumerate() {
        let r =
            syslog::parse(line, &ctx).unwrap_or_else(|e| panic!("line {}: {e}: {line:?}", n + 1));
        assert_eq!(r.format, SyslogFormat::Rfc3164);
        assert_eq!(r.time_source, TimeSource::YearInferred);
        assert_eq!(r.hostname, Some("combo"), "line {}", n + 1);
        no_app += usize::from(r.app.is_none());
        with_pid += usize::from(r.pid.is_some());
        with_sub += usize::from(r.sub_program.is_some());
        min_t = min_t.min(r.time_ms);
        max_t = max_t.max(r.time_ms);
        parsed += 1;
    }
    assert_eq!(lines.len(), 2000);
    assert_eq!(parsed, lines.len());
    // Counted independently with a regular expression over the file: 7
    // `syslogd 1.4.1: restart.` lines and one `combo  -- root[2421]:` line have
    // no recognisable tag; 1848 tags carry a pid and 853 a `(pam_unix)` part.
    assert_eq!(no_app, 8);
    assert_eq!(with_pid, 1848);
    assert_eq!(with_sub, 853);
    assert_eq!(min_t, ms(2005, 6, 14, 15, 16, 1));
    assert_eq!(max_t, ms(2005, 7, 27, 14, 42, 0));

    let first = syslog::parse(&lines[0], &ctx).expect("first line");
    assert_eq!(first.app, Some("sshd"));
    assert_eq!(first.sub_program, Some("pam_unix"));
    assert_eq!(first.pid, Some(19939));
    assert!(
        first
            .message
            .starts_with("authentication failure; logname= uid=0")
    );
}

#[test]
fn loghub_openssh_every_line_parses_as_syslog() {
    let Some(dir) = sample("linux/loghub") else {
        return;
    };
    let lines = read_lines(&dir.join("OpenSSH_2k.log"));
    // Read in early January: the December lines belong to the previous year.
    let ctx = SyslogContext::new(ms(2018, 1, 5, 0, 0, 0));
    let mut parsed = 0;
    for (n, line) in lines.iter().enumerate() {
        let r =
            syslog::parse(line, &ctx).unwrap_or_else(|e| panic!("line {}: {e}: {line:?}", n + 1));
        assert_eq!(r.hostname, Some("LabSZ"), "line {}", n + 1);
        assert_eq!(r.app, Some("sshd"), "line {}", n + 1);
        assert!(r.pid.is_some(), "line {}", n + 1);
        assert!(
            r.time_ms >= ms(2017, 12, 10, 0, 0, 0) && r.time_ms < ms(2017, 12, 11, 0, 0, 0),
            "line {}",
            n + 1
        );
        parsed += 1;
    }
    assert_eq!(lines.len(), 2000);
    assert_eq!(parsed, lines.len());
    let r = syslog::parse(&lines[1], &ctx).expect("line 2");
    assert_eq!(r.pid, Some(24200));
    assert_eq!(r.time_ms, ms(2017, 12, 10, 6, 55, 46));
    assert_eq!(r.message, "Invalid user webmaster from 173.234.31.186");
}

#[test]
fn openssh_message_bodies_parse_inside_a_syslog_header() {
    let Some(dir) = sample("linux/openssh-messages") else {
        return;
    };
    let ctx = SyslogContext::new(ms(2024, 4, 1, 0, 0, 0));
    let bodies = json_messages(&dir);
    let mut parsed = 0;
    for (name, body) in &bodies {
        let line = format!("<38>Mar 11 11:26:54 bastion sshd[3296336]: {body}");
        let r = syslog::parse(&line, &ctx).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.app, Some("sshd"), "{name}");
        assert_eq!(r.hostname, Some("bastion"), "{name}");
        assert_eq!(r.pid, Some(3_296_336), "{name}");
        assert_eq!(r.message, body.as_str(), "{name}");
        parsed += 1;
    }
    assert_eq!(bodies.len(), 62);
    assert_eq!(parsed, bodies.len());

    // One sample body is itself a complete syslog line.
    let (_, full) = bodies
        .iter()
        .find(|(n, _)| n == "disconnect_with_header")
        .expect("sample present");
    let r = syslog::parse(full, &ctx).expect("full line");
    assert_eq!(r.hostname, Some("foobar"));
    assert_eq!((r.app, r.pid), (Some("sshd"), Some(3_296_336)));
    assert_eq!(r.time_ms, ms(2024, 3, 11, 11, 26, 54));
    assert_eq!(
        r.message,
        "Received disconnect from 1.1.1.1 port 33980:11: Bye Bye"
    );
}

/// The extension keys found by a naive independent tokenizer: whitespace
/// separated tokens that start with `[A-Za-z0-9_]+=`.
fn naive_keys(ext: &str) -> Vec<&str> {
    ext.split(' ')
        .filter_map(|tok| {
            let (k, _) = tok.split_once('=')?;
            (!k.is_empty() && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'))
                .then_some(k)
        })
        .collect()
}

fn ext_text(msg: &str) -> &str {
    let mut pipes = 0;
    let mut prev_backslash = false;
    for (i, c) in msg.char_indices() {
        if c == '|' && !prev_backslash {
            pipes += 1;
            if pipes == 7 {
                return &msg[i + 1..];
            }
        }
        prev_backslash = c == '\\' && !prev_backslash;
    }
    ""
}

#[test]
fn deep_security_cef_samples_parse() {
    let Some(dir) = sample("trendmicro/deep-security-cef") else {
        return;
    };
    let ctx = SyslogContext::new(ms(2024, 6, 1, 0, 0, 0));
    let samples = json_messages(&dir);
    assert_eq!(samples.len(), 10);
    let mut parsed = 0;
    for (name, msg) in &samples {
        let r = cef::parse(msg).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.version, 0, "{name}");
        assert_eq!(r.device_vendor, "Trend Micro", "{name}");
        let want_product = if name == "SystemEventLog" {
            "Workload Security Manager"
        } else {
            "Deep Security Agent"
        };
        assert_eq!(r.device_product, want_product, "{name}");
        assert!(r.severity_level().is_some(), "{name}");
        let keys: Vec<&str> = r.extensions.iter().map(|e| e.key).collect();
        assert_eq!(keys, naive_keys(ext_text(msg.trim_end())), "{name}");

        // The same message behind RFC 3164 and RFC 5424 headers.
        for framed in [
            format!("<134>May 30 10:00:00 dsm01 {msg}"),
            format!("<134>1 2024-05-30T10:00:00.5+02:00 dsm01 ds_agent 4242 - - {msg}"),
        ] {
            let ev = cef::parse_framed(&framed, &ctx).unwrap_or_else(|e| panic!("{name}: {e}"));
            let s = ev
                .syslog
                .as_ref()
                .unwrap_or_else(|| panic!("{name}: header"));
            assert_eq!(s.hostname, Some("dsm01"), "{name}");
            assert_eq!(ev.cef.extensions, r.extensions, "{name}");
            assert_eq!(ev.cef.name, r.name, "{name}");
        }
        parsed += 1;
    }
    assert_eq!(parsed, samples.len());

    let get = |n: &str| -> CefRecord<'_> {
        let (_, msg) = samples
            .iter()
            .find(|(name, _)| name == n)
            .unwrap_or_else(|| panic!("sample {n}"));
        cef::parse(msg).unwrap_or_else(|e| panic!("{n}: {e}"))
    };

    let r = get("AgentAntiMalware");
    assert_eq!(r.device_version, "<Agent version>");
    assert_eq!(
        (r.signature_id.as_ref(), r.name.as_ref()),
        ("4000000", "Eicar_test_file")
    );
    assert_eq!(r.severity_level(), Some(6));
    assert_eq!(r.get("filePath"), Some(r"C:\Users\trend\Desktop\eicar.exe"));
    assert_eq!(
        r.get_labeled("Container"),
        Some("ContainerImageName | ContainerName | ContainerID")
    );
    assert_eq!(r.get_labeled("Quarantine File Size"), Some("205"));
    assert_eq!(r.get_labeled("Host ID"), Some("1"));
    assert_eq!(
        r.get("TrendMicroDsFileMD5"),
        Some("44D88612FEA8A8F36DE82E1278ABB02F")
    );
    assert_eq!(
        r.get("TrendMicroDsRelevantDetectionNames"),
        Some("Ransom_CERBER.BZC;Ransom_CERBER.C;Ransom_CRYPNISCA.SM")
    );

    let r = get("ApacheDOS");
    assert_eq!(r.device_version, "20.0.677");
    assert_eq!(
        r.name,
        "Apache HTTP Server 'mod_sed' Denial Of Service Vulnerability (CVE-2022-30522)"
    );
    assert_eq!(r.get("cs3"), Some("DF 0"));
    assert_eq!(r.get("cs5Label"), Some("DPI Stream Position"));
    assert_eq!(r.get_labeled("DPI Note"), Some("\"CVE-2022-30522\""));
    assert_eq!(r.get_labeled("DPI Flags"), Some("0"));
    assert_eq!(
        (r.get("act"), r.get("dpt")),
        (Some("IDS:Reset"), Some("443"))
    );

    let r = get("IntegrityMonitoring");
    assert_eq!(r.get("sproc"), Some(r"C:\Windows\System32\notepad.exe"));
    assert_eq!(r.get("filePath"), Some(r"c:\windows\message.dll"));
    assert_eq!(r.get("msg"), Some("lastModified,sha1,size"));

    let r = get("LogInspection");
    assert_eq!(
        r.get_labeled("LI Description"),
        Some("Multiple Windows Logon Failures")
    );
    assert_eq!(r.get("duser"), Some("(no user)"));
    assert_eq!(r.get("shost"), Some("WIN-RM6HM42G65V"));
    assert!(
        r.get("msg")
            .is_some_and(|m| m.starts_with("WinEvtLog Security: AUDIT_FAILURE(4625)")
                && m.ends_with("Subject: .."))
    );

    let r = get("FirewallEventLog");
    assert_eq!(r.severity_level(), Some(0));
    assert_eq!(r.get_labeled("TCP Flags"), Some("0x00 ACK PSH"));
    assert_eq!(r.get_labeled("Fragmentation Bits"), Some("DF MF"));
    assert_eq!(r.get("TrendMicroDsPacketData"), Some("AFB..."));

    let r = get("IntrusionPrevention");
    assert_eq!(
        r.get_labeled("Intrusion Prevention Packet Position"),
        Some("10")
    );
    assert_eq!(r.get_labeled("Intrusion Prevention Flags"), Some("8"));

    let r = get("SystemEventLog");
    assert_eq!(r.device_version, "<Workload Security version>");
    assert_eq!(r.get("msg"), Some("User signed in from 2001:db8::5"));
    assert_eq!(r.get("target"), Some("admin"));

    let r = get("DeviceControl");
    assert_eq!(r.get("serial"), Some("aaaa-bbbb-cccc"));
    assert_eq!(r.get("vendor"), Some("vendorName"));

    let r = get("ApplicationControl");
    assert_eq!(r.get_labeled("actionReason"), Some("notWhitelisted"));
    assert_eq!(
        r.lookup("sha1"),
        Some("0CC9713BA896193A527213D9C94892D41797EB7C")
    );

    let r = get("WebReputation");
    let kv: Vec<_> = r
        .extensions
        .iter()
        .map(|e| (e.key, e.value.as_ref()))
        .collect();
    assert_eq!(
        kv,
        vec![
            ("cn1", "1"),
            ("cn1Label", "Host ID"),
            ("dvchost", "hostname"),
            ("request", "example.com"),
            ("msg", "Blocked By Admin"),
        ]
    );
}

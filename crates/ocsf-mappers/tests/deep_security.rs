//! Deep Security mapping: one fixture event (written for these tests) per
//! protection module, in CEF and LEEF, with and without syslog framing.

mod common;

use common::check;
use ocsf_mappers::{DeepSecurityMapper, FallbackReason, SourceConfig};
use serde_json::{Value, json};

/// 2024-06-10T06:13:20Z.
const REF_MS: i64 = 1_718_000_000_000;

fn map1(line: &str) -> Value {
    let mut m = DeepSecurityMapper::new(
        SourceConfig::deep_security()
            .with_reference_ms(REF_MS)
            .with_tenant_uid("123456789012"),
    );
    let v = m.map_line(line);
    assert_eq!(v.len(), 1, "{line}");
    check(&v[0])
}

fn get<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |cur, k| match k.parse::<usize>() {
        Ok(i) => &cur[i],
        Err(_) => &cur[k],
    })
}

fn expect(line: &str, class_uid: i64, activity_id: i64, fields: &[(&str, Value)]) -> Value {
    let v = map1(line);
    assert_eq!(v["class_uid"], class_uid, "{line}: {v}");
    assert_eq!(v["activity_id"], activity_id, "{line}: {v}");
    for (path, want) in fields {
        assert_eq!(get(&v, path), want, "{line}: {path} in {v}");
    }
    v
}

#[test]
fn anti_malware_is_a_detection_finding() {
    let v = expect(
        concat!(
            r"<134>Jun 10 06:13:20 dsm01 CEF:0|Trend Micro|Deep Security Agent|20.0.1-123|4000010|TROJ_FAKEAV.SMX|8|",
            r"cn1=7 cn1Label=Host ID dvchost=fin-ws-3 dvc=10.1.2.3 filePath=C:\Users\kim\Downloads\invoice.exe ",
            r"act=Quarantine result=Quarantined msg=Manual cn2=4096 cn2Label=Quarantine File Size ",
            r"TrendMicroDsFileSHA256=0D5F5A7C3B2E1F00112233445566778899AABBCCDDEEFF00112233445566778 ",
            r"TrendMicroDsDetectionConfidence=80",
        ),
        2004,
        1,
        &[
            ("severity_id", json!(4)),
            ("finding_info.title", json!("TROJ_FAKEAV.SMX")),
            ("finding_info.types.0", json!("Anti-Malware")),
            ("finding_info.desc", json!("Manual scan")),
            ("malware.0.name", json!("TROJ_FAKEAV.SMX")),
            ("malware.0.classification_ids.0", json!(18)),
            ("malware.0.classifications.0", json!("Trojan")),
            (
                "malware.0.path",
                json!(r"C:\Users\kim\Downloads\invoice.exe"),
            ),
            ("evidences.0.file.name", json!("invoice.exe")),
            ("evidences.0.file.hashes.0.algorithm_id", json!(3)),
            ("disposition_id", json!(3)),
            ("action_id", json!(2)),
            ("confidence_score", json!(80)),
            ("status_detail", json!("result: Quarantined")),
            ("device.hostname", json!("fin-ws-3")),
            ("device.ip", json!("10.1.2.3")),
            ("device.uid", json!("7")),
            ("metadata.product.name", json!("Deep Security Agent")),
            ("metadata.product.vendor_name", json!("Trend Micro")),
            ("metadata.product.version", json!("20.0.1-123")),
            ("metadata.product.feature.name", json!("Anti-Malware")),
            ("metadata.event_code", json!("4000010")),
            ("metadata.tenant_uid", json!("123456789012")),
            ("unmapped.Quarantine File Size", json!("4096")),
        ],
    );
    assert_eq!(v["finding_info"]["uid"].as_str().map(str::len), Some(16));
    let hash_obs = v["observables"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|o| o["type_id"] == 8 && o["name"] == "evidences.file.hashes.value");
    assert!(hash_obs, "{v}");
}

#[test]
fn intrusion_prevention_in_leef_2_with_a_custom_delimiter() {
    expect(
        concat!(
            "LEEF:2.0|Trend Micro|Deep Security Agent|20.0.1|1008610|^|cat=Intrusion Prevention^",
            "name=SMB Remote Code Execution (CVE-2017-0144)^sev=9^cn1=12^cn1Label=Host ID^dvchost=fs01^",
            "src=203.0.113.50^dst=10.0.0.20^srcPort=51000^dstPort=445^proto=TCP^act=Reset^in=1500",
        ),
        2004,
        1,
        &[
            ("severity_id", json!(5)),
            ("finding_info.analytic.uid", json!("1008610")),
            ("finding_info.analytic.type_id", json!(1)),
            ("vulnerabilities.0.cve.uid", json!("CVE-2017-0144")),
            ("evidences.0.src_endpoint.ip", json!("203.0.113.50")),
            ("evidences.0.src_endpoint.port", json!(51000)),
            ("evidences.0.dst_endpoint.port", json!(445)),
            ("evidences.0.connection_info.protocol_num", json!(6)),
            ("evidences.0.connection_info.direction_id", json!(1)),
            ("disposition_id", json!(21)),
            ("action_id", json!(2)),
            ("device.uid", json!("12")),
            (
                "metadata.product.feature.name",
                json!("Intrusion Prevention"),
            ),
        ],
    );
}

#[test]
fn firewall_is_network_activity() {
    expect(
        concat!(
            "CEF:0|Trend Micro|Deep Security Agent|20.0.1|21|Deny SMB from Internet|6|cn1=12 cn1Label=Host ID ",
            "dvchost=fs01 act=Deny src=203.0.113.51 dst=10.0.0.20 spt=51001 dpt=445 proto=TCP in=60 ",
            "cs2=0x00 SYN cs2Label=TCP Flags cs3=DF cs3Label=Fragmentation Bits cnt=3 TrendMicroDsFrameType=IP",
        ),
        4001,
        5,
        &[
            ("firewall_rule.uid", json!("21")),
            ("firewall_rule.name", json!("Deny SMB from Internet")),
            ("disposition_id", json!(2)),
            ("action_id", json!(2)),
            ("connection_info.tcp_flags", json!(2)),
            ("traffic.bytes_in", json!(60)),
            ("count", json!(3)),
            ("src_endpoint.ip", json!("203.0.113.51")),
            ("unmapped.Fragmentation Bits", json!("DF")),
            ("unmapped.TrendMicroDsFrameType", json!("IP")),
        ],
    );
}

/// A relay that sends only `<PRI>` before the CEF text (no timestamp, no host)
/// still gets the event mapped, with the severity of the CEF header.
#[test]
fn cef_after_a_bare_priority_is_mapped() {
    expect(
        concat!(
            "<134>CEF:0|Trend Micro|Deep Security Agent|20.0.1|21|Deny SMB from Internet|6|cn1=12 cn1Label=Host ID ",
            "dvchost=fs01 act=Deny src=203.0.113.51 dst=10.0.0.20 spt=51001 dpt=445 proto=TCP",
        ),
        4001,
        5,
        &[
            ("firewall_rule.uid", json!("21")),
            ("src_endpoint.ip", json!("203.0.113.51")),
            ("device.hostname", json!("fs01")),
        ],
    );
}

#[test]
fn cef_glued_to_a_syslog_tag_is_mapped() {
    let v = expect(
        concat!(
            "<134>Jun 10 06:13:20 dsm01 ds_agent[812]:CEF:0|Trend Micro|Deep Security Agent|20.0.1|21|Deny SMB from Internet|6|",
            "cn1=12 cn1Label=Host ID dvchost=fs01 act=Deny src=203.0.113.51 dst=10.0.0.20 spt=51001 dpt=445 proto=TCP",
        ),
        4001,
        5,
        &[
            ("firewall_rule.uid", json!("21")),
            ("src_endpoint.ip", json!("203.0.113.51")),
            ("device.hostname", json!("fs01")),
        ],
    );
    // The time is the syslog header's (no `rt`), not the reference clock.
    assert_eq!(v["time"], REF_MS);
    let v = expect(
        concat!(
            "<134>Jun  9 22:00:00 dsm01 ds_agent:CEF:0|Trend Micro|Deep Security Agent|20.0.1|21|Deny SMB from Internet|6|",
            "cn1=12 cn1Label=Host ID dvchost=fs01 act=Deny src=203.0.113.51 dst=10.0.0.20 spt=51001 dpt=445 proto=TCP",
        ),
        4001,
        5,
        &[("src_endpoint.ip", json!("203.0.113.51"))],
    );
    assert_eq!(v["time"], REF_MS - (8 * 3600 + 13 * 60 + 20) * 1000);
}

/// Integrity Monitoring is a Detection Finding like the other protection
/// modules: its rule is the analytic, ATT&CK technique ids cited in the rule
/// name become `attacks`, and the changed file and its changer are evidence.
#[test]
fn integrity_monitoring_is_a_detection_finding() {
    expect(
        concat!(
            "<134>1 2024-06-10T06:13:20.500Z dsm01 CEF - - - CEF:0|Trend Micro|Deep Security Agent|20.0.1|2002779|",
            "Unix - Cron jobs modified (ATT&CK T1053.003)|5|cn1=4 cn1Label=Host ID dvchost=web1 act=created filePath=/etc/cron.d/job ",
            "suser=root sproc=/usr/bin/cp msg=created",
        ),
        2004,
        1,
        &[
            ("time", json!(1_718_000_000_500_i64)),
            ("status_id", json!(1)),
            (
                "finding_info.title",
                json!("Unix - Cron jobs modified (ATT&CK T1053.003)"),
            ),
            ("finding_info.types.0", json!("Integrity Monitoring")),
            ("finding_info.analytic.uid", json!("2002779")),
            ("finding_info.analytic.type_id", json!(1)),
            (
                "finding_info.analytic.name",
                json!("Unix - Cron jobs modified (ATT&CK T1053.003)"),
            ),
            ("finding_info.attacks.0.technique.uid", json!("T1053")),
            (
                "finding_info.attacks.0.sub_technique.uid",
                json!("T1053.003"),
            ),
            ("evidences.0.file.path", json!("/etc/cron.d/job")),
            ("evidences.0.file.name", json!("job")),
            ("evidences.0.actor.user.name", json!("root")),
            ("evidences.0.actor.process.name", json!("cp")),
            ("evidences.0.actor.process.file.path", json!("/usr/bin/cp")),
            ("unmapped.change", json!("created")),
            ("unmapped.changed_attributes", json!("created")),
            ("severity_id", json!(3)),
        ],
    );
}

#[test]
fn log_inspection_is_a_detection_finding() {
    expect(
        concat!(
            "CEF:0|Trend Micro|Deep Security Agent|20.0.1|3002836|Unix - Syslog|7|cn1=4 cn1Label=Host ID dvchost=web1 ",
            "cs1Label=LI Description cs1=Multiple SSH authentication failures fname=/var/log/secure ",
            "src=198.51.100.77 shost=attacker.example duser=root msg=sshd: 5 failed logins rt=1718000100000",
        ),
        2004,
        1,
        &[
            ("time", json!(1_718_000_100_000_i64)),
            (
                "finding_info.title",
                json!("Multiple SSH authentication failures"),
            ),
            ("finding_info.analytic.name", json!("Unix - Syslog")),
            ("finding_info.desc", json!("sshd: 5 failed logins")),
            (
                "evidences.0.src_endpoint.hostname",
                json!("attacker.example"),
            ),
            ("evidences.0.actor.user.name", json!("root")),
            ("unmapped.fname", json!("/var/log/secure")),
            ("severity_id", json!(4)),
        ],
    );
}

#[test]
fn web_reputation_is_a_refused_connection_with_its_url() {
    expect(
        concat!(
            "CEF:0|Trend Micro|Deep Security Agent|20.0.1|5000000|WebReputation|6|cn1=7 cn1Label=Host ID dvchost=fin-ws-3 ",
            "request=http://malicious.example/payload.bin?id=3 msg=Blocked By Page Rating",
        ),
        4001,
        5,
        &[
            (
                "url.url_string",
                json!("http://malicious.example/payload.bin?id=3"),
            ),
            ("url.hostname", json!("malicious.example")),
            ("url.path", json!("/payload.bin")),
            ("url.query_string", json!("id=3")),
            ("dst_endpoint.hostname", json!("malicious.example")),
            ("src_endpoint.hostname", json!("fin-ws-3")),
            ("disposition_id", json!(2)),
            ("status_detail", json!("Blocked By Page Rating")),
        ],
    );
}

#[test]
fn application_control_is_a_process_launch() {
    expect(
        concat!(
            "CEF:0|Trend Micro|Deep Security Agent|20.0.1|6001100|AppControl blocked|6|cn1=4 cn1Label=Host ID dvchost=web1 ",
            "fileHash=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08 suser=deploy suid=1001 act=blocked ",
            "filePath=/tmp/miner fsize=123456 cs1=notWhitelisted cs1Label=actionReason repeatCount=2",
        ),
        1007,
        1,
        &[
            ("process.name", json!("miner")),
            ("process.file.path", json!("/tmp/miner")),
            ("process.file.size", json!(123_456)),
            ("process.file.hashes.0.algorithm_id", json!(3)),
            ("process.user.name", json!("deploy")),
            ("process.user.uid", json!("1001")),
            ("actor.user.name", json!("deploy")),
            ("status_id", json!(2)),
            ("status_detail", json!("notWhitelisted")),
            ("disposition_id", json!(2)),
            ("count", json!(2)),
        ],
    );
}

#[test]
fn device_control_in_leef_1() {
    expect(
        "LEEF:1.0|Trend Micro|Deep Security Agent|20.0.1|7000000|cat=Device Control\tname=Device Control\tsev=6\tdvchost=fin-ws-3\tdevice=USB Drive\tprocessName=explorer.exe\tfileName=E:\\report.xlsx\tvendor=Acme\tpermission=2",
        1001,
        14,
        &[
            ("file.name", json!("report.xlsx")),
            ("actor.process.name", json!("explorer.exe")),
            ("unmapped.peripheral_device.name", json!("USB Drive")),
            ("unmapped.peripheral_device.vendor_name", json!("Acme")),
            ("unmapped.permission", json!("2")),
            ("severity_id", json!(3)),
        ],
    );
}

#[test]
fn system_events() {
    expect(
        "CEF:0|Trend Micro|Deep Security Manager|20.0.1|602|User Sign-In Failed|6|src=198.51.100.9 suser=admin target=admin msg=Incorrect password",
        3002,
        1,
        &[
            ("status_id", json!(2)),
            ("user.name", json!("admin")),
            ("src_endpoint.ip", json!("198.51.100.9")),
            ("service.name", json!("Deep Security Manager")),
            ("status_detail", json!("Incorrect password")),
        ],
    );
    expect(
        "CEF:0|Trend Micro|Deep Security Manager|20.0.1|601|User Signed Out|3|suser=admin",
        3002,
        2,
        &[("status_id", json!(1))],
    );
    expect(
        "<134>Jun 10 06:13:20 dsm01 CEF:0|Trend Micro|Deep Security Manager|20.0.1|651|Computer Added|3|src=10.0.0.5 suser=admin target=web9",
        3004,
        1,
        &[
            ("entity.name", json!("web9")),
            ("actor.user.name", json!("admin")),
            ("unmapped.src_endpoint.ip", json!("10.0.0.5")),
            ("device.hostname", json!("dsm01")),
            ("time", json!(REF_MS)),
        ],
    );
    expect(
        "CEF:0|Trend Micro|Deep Security Manager|20.0.1|730|Agent Offline|6|target=web9",
        3004,
        99,
        &[("activity_name", json!("Agent Offline"))],
    );
}

#[test]
fn other_input_falls_back_with_a_reason() {
    let mut m = DeepSecurityMapper::new(SourceConfig::deep_security().with_reference_ms(REF_MS));
    let lines = [
        "CEF:0|Acme|Firewall|1|100|blocked|5|src=192.0.2.1",
        "hello world",
        "CEF:0|Trend Micro|Deep Security Agent",
        "LEEF:9.0|Trend Micro|Deep Security Agent|1|2|x=y",
        "   ",
    ];
    let mut reasons = Vec::new();
    for l in lines {
        for e in m.map_line(l) {
            let j = check(&e);
            assert_eq!(j["raw_data"], l);
            reasons.push(j["unmapped"]["fallback"]["reason"].clone());
        }
    }
    assert_eq!(
        reasons,
        [
            json!("unsupported_product"),
            json!("not_cef_or_leef"),
            json!("cef"),
            json!("leef")
        ]
    );
    let s = m.stats();
    assert_eq!((s.accepted, s.blank, s.fallback_total()), (5, 1, 4));
    assert_eq!(s.fallback.get(&FallbackReason::Cef), Some(&1));
}

#[test]
fn device_control_has_a_disposition() {
    let line = |act: &str| {
        format!(
            "CEF:0|Trend Micro|Deep Security Agent|20.0.1|7000000|Device Control|6|dvchost=fin-ws-3 device=USB Drive processName=explorer.exe fileName=E:\\\\report.xlsx act={act}"
        )
    };
    expect(
        &line("Block"),
        1001,
        14,
        &[
            ("disposition_id", json!(2)),
            ("action_id", json!(2)),
            ("status_id", json!(2)),
            ("metadata.profiles", json!(["host", "security_control"])),
        ],
    );
    expect(
        &line("Allow"),
        1001,
        14,
        &[("disposition_id", json!(1)), ("action_id", json!(1))],
    );
}

/// `rt` and `devTime` with a zone suffix are read in that zone; the
/// configured zone applies only to a value without one.
#[test]
fn times_with_zones_are_honored() {
    let map_with_zone = |line: &str, zone_secs: i32| {
        let mut m = DeepSecurityMapper::new(
            SourceConfig::deep_security()
                .with_reference_ms(REF_MS)
                .with_utc_offset_secs(zone_secs),
        );
        check(&m.map_line(line)[0])
    };
    let cef = |rt: &str| {
        format!(
            "CEF:0|Trend Micro|Deep Security Agent|20.0|5000000|WebReputation|5|dvchost=web1 request=http://example.com/x msg=Blocked By Admin rt={rt}"
        )
    };
    let leef = |t: &str| {
        format!(
            "LEEF:2.0|Trend Micro|Deep Security Agent|20.0|5000000|cat=Web Reputation\tname=WebReputation\tdvchost=web1\trequest=http://example.com/x\tmsg=Blocked By Admin\tdevTime={t}"
        )
    };
    // 2022-01-18T07:55:12Z in several zones, mapped with a configured zone
    // of -5 h that must not move them.
    let want = 1_642_492_512_000_i64;
    for (t, offset_min) in [
        ("Jan 18 2022 08:55:12 GMT+01:00", 60),
        ("Jan 18 2022 02:55:12 GMT-05:00", -300),
        ("Jan 18 2022 13:25:12 GMT+05:30", 330),
        ("Jan 18 2022 07:55:12 GMT", 0),
    ] {
        for line in [cef(t), leef(t)] {
            let v = map_with_zone(&line, -5 * 3600);
            assert_eq!(v["time"], want, "{line}");
            assert_eq!(v["timezone_offset"], offset_min, "{line}");
        }
    }
    // Without a zone the configured one applies.
    let v = map_with_zone(&cef("Jan 18 2022 02:55:12"), -5 * 3600);
    assert_eq!(v["time"], want);
    // Across midnight: 00:30 at UTC+02:00 is the previous day in UTC, so the
    // event lands in the previous `eventDay`.
    const DAY: i64 = 86_400_000;
    for line in [
        cef("Jan 01 2024 00:30:00 GMT+02:00"),
        leef("Jan 01 2024 00:30:00 GMT+02:00"),
    ] {
        let v = map_with_zone(&line, 0);
        let t = v["time"].as_i64().expect("time");
        assert_eq!(t, 1_704_061_800_000, "2023-12-31T22:30:00Z: {line}");
        assert_eq!(t.div_euclid(DAY), 19_722, "eventDay 20231231: {line}");
    }
    // And forward: 23:30 at UTC-05:00 is the next day in UTC.
    let v = map_with_zone(&cef("Dec 31 2023 23:30:00 GMT-05:00"), 0);
    assert_eq!(v["time"], 1_704_083_400_000_i64);
    assert_eq!(v["time"].as_i64().map(|t| t.div_euclid(DAY)), Some(19_723));
}

/// Manager system events by meaning: a sign-in whose address is only in the
/// text is a Logon from that address; alerts and agent errors are findings
/// with the event id as their rule, not entities named after the event.
#[test]
fn system_events_sign_in_address_alerts_and_errors() {
    expect(
        "CEF:0|Trend Micro|Deep Security Manager|20.0.1|600|User Signed In|3|suser=admin target=admin msg=User signed in from 2001:db8::5353",
        3002,
        1,
        &[
            ("status_id", json!(1)),
            ("user.name", json!("admin")),
            ("src_endpoint.ip", json!("2001:db8::5353")),
            ("service.name", json!("Deep Security Manager")),
        ],
    );
    expect(
        "CEF:0|Trend Micro|Deep Security Manager|20.0.1|600|User Signed In|3|suser=admin target=admin msg=User signed in from 192.0.2.44.",
        3002,
        1,
        &[("src_endpoint.ip", json!("192.0.2.44"))],
    );
    let v = expect(
        "CEF:0|Trend Micro|Deep Security Manager|20.0.1|250|Alert Started|6|suser=System target=web9 msg=Alert: Computer Not Communicating",
        2004,
        1,
        &[
            ("finding_info.title", json!("Alert Started")),
            ("finding_info.types.0", json!("System")),
            ("finding_info.analytic.uid", json!("250")),
            (
                "finding_info.desc",
                json!("Alert: Computer Not Communicating"),
            ),
            ("unmapped.target", json!("web9")),
        ],
    );
    assert!(v["entity"].is_null(), "{v}");
    expect(
        "CEF:0|Trend Micro|Deep Security Manager|20.0.1|251|Alert Ended|3|target=web9",
        2004,
        3,
        &[("finding_info.analytic.uid", json!("251"))],
    );
    expect(
        "CEF:0|Trend Micro|Deep Security Manager|20.0.1|700|Agent/Appliance Error|8|target=web9 msg=Engine offline",
        2004,
        1,
        &[
            ("finding_info.title", json!("Agent/Appliance Error")),
            ("finding_info.desc", json!("Engine offline")),
            ("severity_id", json!(4)),
        ],
    );
}

//! Trend Micro beyond the Deep Security modules: LEEF / CEF as vendors send
//! them, product dispatch, Apex One CEF event types and Vision One JSON. Every
//! fixture is written for these tests from the vendors' field definitions.

mod common;

use common::check;
use ocsf_mappers::{DeepSecurityMapper, FallbackReason, SourceConfig, TrendMicroMapper};
use serde_json::{Value, json};

/// 2024-06-10T06:13:20Z.
const REF_MS: i64 = 1_718_000_000_000;

fn config() -> SourceConfig {
    SourceConfig::trend_micro()
        .with_reference_ms(REF_MS)
        .with_tenant_uid("123456789012")
}

fn map_all(line: &str) -> (Vec<Value>, TrendMicroMapper) {
    let mut m = TrendMicroMapper::new(config());
    let v = m.map_line(line).iter().map(check).collect();
    (v, m)
}

fn map1(line: &str) -> Value {
    let (v, _) = map_all(line);
    assert_eq!(v.len(), 1, "{line}");
    v.into_iter().next().unwrap_or_default()
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

fn fallback_reason(v: &Value) -> &str {
    v["unmapped"]["fallback"]["reason"]
        .as_str()
        .unwrap_or_default()
}

// ---------------------------------------------------------------- LEEF / CEF

#[test]
fn leef2_without_delimiter_field_and_labels_with_spaces() {
    // The shape of Deep Security's documented LEEF 2.0 example: no delimiter
    // field, tab-separated, a label and a message containing spaces.
    let line = concat!(
        "LEEF:2.0|Trend Micro|Deep Security Agent|20.0.0|4000123|cat=Anti-Malware\t",
        "name=HEU_TEST_PACKER\tdesc=HEU_TEST_PACKER\tsev=6\tcn1=88\tcn1Label=Host ID\tdvc=10.9.8.7\t",
        "TrendMicroDsTags=prod\tTrendMicroDsTenant=Acme\tTrendMicroDsTenantId=7\t",
        r"filePath=C:\Windows\System32\evil.exe",
        "\tact=Terminate\tmsg=Scheduled\tTrendMicroDsMalwareTarget=N/A",
    );
    expect(
        line,
        2004,
        1,
        &[
            ("finding_info.title", json!("HEU_TEST_PACKER")),
            ("device.uid", json!("88")),
            ("device.ip", json!("10.9.8.7")),
            ("disposition_id", json!(2)),
            ("evidences.0.file.name", json!("evil.exe")),
            ("unmapped.TrendMicroDsTenant", json!("Acme")),
            ("metadata.product.feature.name", json!("Anti-Malware")),
        ],
    );
}

#[test]
fn leef2_delimiters_as_character_and_hex() {
    for delim in ["^", "x5E", "0x5E", "0x5e"] {
        let line = format!(
            "LEEF:2.0|Trend Micro|Deep Security Agent|20.0|1008610|{delim}|cat=Intrusion Prevention^\
             name=SMB Exploit (CVE-2017-0144)^sev=9^cn1=12^cn1Label=Host ID^src=203.0.113.50^\
             dst=10.0.0.20^srcPort=51000^dstPort=445^proto=TCP^act=Reset"
        );
        expect(
            &line,
            2004,
            1,
            &[
                ("vulnerabilities.0.cve.uid", json!("CVE-2017-0144")),
                ("evidences.0.dst_endpoint.port", json!(445)),
                ("device.uid", json!("12")),
            ],
        );
    }
    // A space delimiter in hex: label values hold the delimiter.
    expect(
        concat!(
            "LEEF:2.0|Trend Micro|Deep Security Agent|20.0|4000010|x20|cat=Anti-Malware name=TROJ_X.A ",
            "sev=8 cn1=7 cn1Label=Host ID dvchost=fin-ws-3 act=Quarantine msg=Manual scan of share",
        ),
        2004,
        1,
        &[
            ("device.uid", json!("7")),
            ("device.hostname", json!("fin-ws-3")),
            ("disposition_id", json!(3)),
            ("finding_info.desc", json!("Manual scan of share scan")),
        ],
    );
}

#[test]
fn leef1_tab_and_relayed_tab() {
    for sep in ["\t", "#011"] {
        let line = format!(
            "<134>Jun 10 06:13:20 dsm01 LEEF:1.0|Trend Micro|Deep Security Agent|20.0|21|cat=Firewall{sep}\
             name=Deny{sep}sev=6{sep}src=203.0.113.51{sep}dst=10.0.0.20{sep}srcPort=1{sep}dstPort=445{sep}proto=TCP{sep}act=Deny"
        );
        expect(
            &line,
            4001,
            5,
            &[
                ("src_endpoint.ip", json!("203.0.113.51")),
                ("dst_endpoint.port", json!(445)),
                ("disposition_id", json!(2)),
            ],
        );
    }
}

#[test]
fn leef_dev_time_with_its_format() {
    let v = expect(
        concat!(
            "LEEF:2.0|Trend Micro|Deep Security Agent|20.0|21|^|cat=Firewall^name=Deny^",
            "devTime=10/06/2024 08:13:20.250 +0200^devTimeFormat=dd/MM/yyyy HH:mm:ss.SSS Z^",
            "src=203.0.113.51^dst=10.0.0.20^proto=TCP^act=Deny",
        ),
        4001,
        5,
        &[("time", json!(REF_MS + 250))],
    );
    assert!(v["unmapped"]["unparsed"].is_null(), "{v}");
}

#[test]
fn cef_escapes_newlines_and_spaces() {
    let v = expect(
        concat!(
            r"CEF:0|Trend Micro|Deep Security Manager|20.0|600|User Signed In \| web|3|",
            r"src=10.0.0.5 suser=admin msg=Signed in from\nthe console with a\=b target=C:\\dsm\\ui",
        ),
        3002,
        1,
        &[
            ("user.name", json!("admin")),
            (
                "status_detail",
                json!("Signed in from\nthe console with a=b"),
            ),
            ("unmapped.target", json!(r"C:\dsm\ui")),
            ("message", json!("User Signed In | web")),
        ],
    );
    assert_eq!(v["status_id"], 1);
}

#[test]
fn a_valid_header_keeps_what_parses() {
    let line = "CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|6|stray words src=203.0.113.51 dst=10.0.0.20 proto=TCP act=Deny";
    let (v, m) = map_all(line);
    let v = &v[0];
    assert_eq!(v["class_uid"], 4001, "{v}");
    assert_eq!(v["src_endpoint"]["ip"], "203.0.113.51");
    assert_eq!(
        v["unmapped"]["unparsed"],
        json!({"reason": "cef", "text": ["stray words"]})
    );
    assert_eq!(m.stats().recovered.get(&FallbackReason::Cef), Some(&1));
    assert_eq!(m.stats().fallback_total(), 0);

    let mut ds = DeepSecurityMapper::new(config());
    let e = ds.map_line("LEEF:2.0|Trend Micro|Deep Security Agent|20.0|21|^|junk^cat=Firewall^name=Deny^act=Deny^src=1.2.3.4^proto=TCP");
    let v = check(&e[0]);
    assert_eq!(v["class_uid"], 4001, "{v}");
    assert_eq!(v["unmapped"]["unparsed"]["text"], json!(["junk"]));
    assert_eq!(ds.stats().recovered.get(&FallbackReason::Leef), Some(&1));

    // Only a broken header is a fallback.
    let v = map1("LEEF:2.0|Trend Micro|Deep Security Agent");
    assert_eq!(fallback_reason(&v), "leef");
}

// ------------------------------------------------------------------ dispatch

const APEX_AV: &str = concat!(
    "<134>Jun 10 06:13:25 apexcentral CEF:0|Trend Micro|Apex Central|2019|AV:File quarantined|TROJ_FAKEAV.SMX|3|",
    "deviceExternalId=41 rt=Jun 10 2024 06:13:20 GMT+00:00 cnt=2 dhost=ws-17 dst=10.1.2.3 duser=CORP\\kim ",
    "act=File quarantined cn1Label=VLF_PatternNumber cn1=1912300 cs1Label=VLF_FunctionCode cs1=Real-time Scan ",
    r"filePath=C:\Users\kim\Downloads\ fname=setup.exe fileHash=3F786850E387550FDAB836ED7E6DC881DE23001B ",
    "deviceFacility=Apex One devicePayloadId=5E1A0B2C3D4F-1A2B3C4D-0001-0002-0003",
);

#[test]
fn apex_lines_never_map_as_deep_security() {
    // The Deep Security mapper refuses other Trend Micro products.
    let mut ds = DeepSecurityMapper::new(config());
    let v = check(&ds.map_line(APEX_AV)[0]);
    assert_eq!(v["class_uid"], 0, "{v}");
    assert_eq!(fallback_reason(&v), "unsupported_product");
    assert_eq!(
        ds.stats().fallback.get(&FallbackReason::UnsupportedProduct),
        Some(&1)
    );
    // Unknown Trend Micro products and unknown Apex log types are counted
    // fallbacks in the Trend Micro mapper.
    let mut m = TrendMicroMapper::new(config());
    for (line, reason) in [
        (
            "CEF:0|Trend Micro|Deep Discovery Inspector|6.0|100|Malware URL|8|src=1.2.3.4",
            "unsupported_product",
        ),
        (
            "CEF:0|Trend Micro|Apex Central|2019|800101|Pattern Update Status|3|rt=Jun 10 2024 06:13:20 GMT+00:00 shost=ws-1",
            "unrecognized_message",
        ),
        (
            "CEF:0|Trend Micro|Vision One|1.0|WB-1|Alert|8|src=1.2.3.4",
            "unsupported_product",
        ),
        (
            "CEF:0|Acme|Apex Central|1|AV:x|y|3|a=b",
            "unsupported_product",
        ),
        ("not a trend micro line", "not_cef_or_leef"),
    ] {
        let e = m.map_line(line);
        let v = check(&e[0]);
        assert_eq!(v["class_uid"], 0, "{line}: {v}");
        assert_eq!(fallback_reason(&v), reason, "{line}");
        assert_eq!(v["raw_data"], line);
    }
    assert_eq!(m.stats().fallback_total(), 5);
}

#[test]
fn deep_security_successors_map_like_deep_security() {
    for product in [
        "Deep Security Agent",
        "Workload Security Agent",
        "Cloud One Workload Security",
        "Server & Workload Protection",
    ] {
        let line = format!(
            "CEF:0|Trend Micro|{product}|2024.1|4000010|TROJ_X|8|cn1=7 cn1Label=Host ID dvchost=ws filePath=C:\\x.exe act=Quarantine TrendMicroDsTenant=acme TrendMicroDsTenantId=42"
        );
        expect(
            &line,
            2004,
            1,
            &[
                ("metadata.product.name", json!(product)),
                ("disposition_id", json!(3)),
                ("unmapped.TrendMicroDsTenantId", json!("42")),
            ],
        );
    }
}

// ------------------------------------------------------------------ Apex One

#[test]
fn apex_virus_malware() {
    expect(
        APEX_AV,
        2004,
        1,
        &[
            ("time", json!(REF_MS)),
            ("severity_id", json!(2)),
            ("finding_info.title", json!("TROJ_FAKEAV.SMX")),
            (
                "finding_info.uid",
                json!("5E1A0B2C3D4F-1A2B3C4D-0001-0002-0003"),
            ),
            ("finding_info.types.0", json!("Virus/Malware")),
            ("finding_info.desc", json!("Real-time Scan")),
            ("malware.0.classification_ids.0", json!(18)),
            ("disposition_id", json!(3)),
            ("action_id", json!(2)),
            ("count", json!(2)),
            (
                "evidences.0.file.path",
                json!(r"C:\Users\kim\Downloads\setup.exe"),
            ),
            ("evidences.0.file.name", json!("setup.exe")),
            ("evidences.0.file.hashes.0.algorithm_id", json!(2)),
            ("evidences.0.actor.user.name", json!(r"CORP\kim")),
            ("device.hostname", json!("ws-17")),
            ("device.ip", json!("10.1.2.3")),
            ("metadata.product.name", json!("Apex One")),
            ("metadata.product.feature.name", json!("Virus/Malware")),
            ("metadata.event_code", json!("AV:File quarantined")),
            ("unmapped.VLF_PatternNumber", json!("1912300")),
            ("unmapped.forwarded_by", json!("Apex Central")),
        ],
    );
}

#[test]
fn apex_spyware_and_machine_learning() {
    expect(
        concat!(
            "CEF:0|Trend Micro|Apex Central|2019|Spyware Detected|Spyware Detected|3|rt=Jun 10 2024 06:13:20 GMT+00:00 ",
            "cs1Label=VirusName cs1=ADW_FAKETOOLBAR cs5Label=ActionResult cs5=Unable to clean file dhost=ws-2 dst=10.1.2.4 ",
            r"filePath=D:\tools\bar.dll duser=lee deviceFacility=Apex One",
        ),
        2004,
        1,
        &[
            ("time", json!(REF_MS)),
            ("finding_info.title", json!("ADW_FAKETOOLBAR")),
            ("malware.0.classification_ids.0", json!(17)),
            ("disposition_id", json!(13)),
            ("evidences.0.file.path", json!(r"D:\tools\bar.dll")),
            ("evidences.0.actor.user.name", json!("lee")),
        ],
    );
    expect(
        concat!(
            "CEF:0|Trend Micro|Apex Central|2019|PML:File quarantined|TROJ.Win32.FAKE.A|6|rt=Jun 10 2024 06:13:20 GMT+00:00 ",
            "cs2Label=Security Threat cs2=TROJ.Win32.FAKE.A shost=ws-3 suser=TREND\\User sproc=notepad.exe ",
            r"filePath=D:\ fname=x.exe deviceFacility=Apex One",
        ),
        2004,
        1,
        &[
            ("time", json!(REF_MS)),
            ("finding_info.types.0", json!("Predictive Machine Learning")),
            ("severity_id", json!(3)),
            ("disposition_id", json!(3)),
            ("evidences.0.file.path", json!(r"D:\x.exe")),
            ("evidences.0.process.name", json!("notepad.exe")),
            ("device.hostname", json!("ws-3")),
        ],
    );
}

#[test]
fn apex_web_reputation_and_cnc_callback() {
    expect(
        concat!(
            "CEF:0|Trend Micro|Apex Central|2019|WB:7|Web Reputation Blocked|3|rt=Jun 10 2024 06:13:20 GMT+00:00 ",
            "act=2 src=10.1.2.5 shost=ws-5 dpt=8080 request=http://bad.example.net:8080/dl?x=1 deviceFacility=Apex One",
        ),
        4001,
        5,
        &[
            ("time", json!(REF_MS)),
            ("disposition_id", json!(2)),
            ("action_id", json!(2)),
            ("url.hostname", json!("bad.example.net")),
            ("url.port", json!(8080)),
            ("dst_endpoint.hostname", json!("bad.example.net")),
            ("dst_endpoint.port", json!(8080)),
            ("src_endpoint.ip", json!("10.1.2.5")),
            ("firewall_rule.uid", json!("7")),
        ],
    );
    expect(
        concat!(
            "CEF:0|Trend Micro|Apex Central|2019|CnC:Block|CnC Callback|3|rt=Jun 10 2024 06:13:20 GMT+00:00 ",
            "shost=ws-6 src=10.1.2.6 cs4Label=SLF_PolicyName cs4=C&C URL in reputation database act=Block ",
            "cn1Label=SLF_CCCA_RiskLevel cn1=2 request=http://cc.example.org deviceFacility=Apex One",
        ),
        2004,
        1,
        &[
            ("time", json!(REF_MS)),
            (
                "finding_info.title",
                json!("CnC Callback: http://cc.example.org"),
            ),
            (
                "finding_info.analytic.name",
                json!("C&C URL in reputation database"),
            ),
            ("disposition_id", json!(2)),
            ("evidences.0.dst_endpoint.hostname", json!("cc.example.org")),
            ("evidences.0.src_endpoint.ip", json!("10.1.2.6")),
            ("unmapped.cc_risk_level", json!("2")),
            ("unmapped.url", json!("http://cc.example.org")),
        ],
    );
}

#[test]
fn apex_behavior_monitoring_and_attack_discovery() {
    expect(
        concat!(
            "CEF:0|Trend Micro|Apex Central|2019|BM:1000|Behavior Monitoring|3|rt=Jun 10 2024 06:13:20 GMT+00:00 ",
            r"dvchost=ws-7 cs2Label=Policy cs2=1000 sproc=C:\Windows\SysWOW64\rundll32.exe cs3Label=Event_Type cs3=4 ",
            r"TMCMLogTarget=HKCU\Software\Microsoft\Windows\CurrentVersion\Run\upd act=Deny access shost=ws-7 src=10.1.2.7",
        ),
        2004,
        1,
        &[
            ("time", json!(REF_MS)),
            ("finding_info.analytic.uid", json!("1000")),
            ("evidences.0.process.name", json!("rundll32.exe")),
            ("disposition_id", json!(2)),
            ("device.hostname", json!("ws-7")),
            (
                "unmapped.target",
                json!(r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run\upd"),
            ),
            ("unmapped.event_type", json!("4")),
        ],
    );
    expect(
        concat!(
            "CEF:0|Trend Micro|Apex Central|2019|700220|Attack Discovery Detections|3|rt=Jun 10 2024 06:13:20 GMT+00:00 ",
            "dhost=ws-8 dst=10.1.2.8 duser=pat customerExternalID=3b9d2c71-5a4e-4f0b-9e21-7c4d8a6f1e30 ",
            "cn1Label=SLF_RiskLevel cn1=2 cs1Label=SLF_RuleID cs1=encoded script from office app cat=execution",
        ),
        2004,
        1,
        &[
            ("time", json!(REF_MS)),
            (
                "finding_info.uid",
                json!("3b9d2c71-5a4e-4f0b-9e21-7c4d8a6f1e30"),
            ),
            (
                "finding_info.analytic.uid",
                json!("encoded script from office app"),
            ),
            ("finding_info.types.1", json!("execution")),
            ("evidences.0.actor.user.name", json!("pat")),
            ("device.ip", json!("10.1.2.8")),
        ],
    );
}

#[test]
fn apex_dlp_device_access_and_application_control() {
    expect(
        concat!(
            "CEF:0|Trend Micro|Apex Central|2019|700106|Data Loss Prevention|3|rt=Jun 10 2024 06:13:20 GMT+00:00 ",
            "cs1Label=Policy GUID cs1=0D1E2F30-4152-4637-8899-AABBCCDDEEFF src=10.1.2.9 smac=02-42-AC-11-00-07 shost=ws-9 ",
            "cs4Label=Incident_Source_(AD_Account) cs4=jo suser=jo@example.com duser=x@example.org msg=Quarterly numbers ",
            r"filePath=D:\mail\ fname=numbers.eml fsize=2048 cs5Label=Rule cs5=Card numbers cn3Label=Channel cn3=3",
        ),
        2004,
        1,
        &[
            ("time", json!(REF_MS)),
            ("finding_info.analytic.name", json!("Card numbers")),
            (
                "finding_info.analytic.uid",
                json!("0D1E2F30-4152-4637-8899-AABBCCDDEEFF"),
            ),
            ("evidences.0.file.path", json!(r"D:\mail\numbers.eml")),
            ("evidences.0.file.size", json!(2048)),
            ("evidences.0.src_endpoint.mac", json!("02:42:AC:11:00:07")),
            ("evidences.0.actor.user.name", json!("jo")),
            ("unmapped.email_sender", json!("jo@example.com")),
            ("unmapped.channel", json!("3")),
        ],
    );
    expect(
        concat!(
            "CEF:0|Trend Micro|Apex Central|2019|700107|Device Access Control|3|rt=Jun 10 2024 06:13:20 GMT+00:00 ",
            r"shost=ws-10 duser=corp\\sam dvchost=ws-10 sproc=C:\Windows\explorer.exe fname=E:\autorun.inf ",
            "cn2Label=Device_Type cn2=0 cn3Label=Permission cn3=4 deviceFacility=Apex One",
        ),
        1001,
        14,
        &[
            ("time", json!(REF_MS)),
            ("file.path", json!(r"E:\autorun.inf")),
            ("actor.process.name", json!("explorer.exe")),
            ("actor.user.name", json!(r"corp\sam")),
            ("disposition_id", json!(2)),
            ("status_id", json!(2)),
            (
                "unmapped.peripheral_device.type",
                json!("USB storage device"),
            ),
            ("unmapped.permission", json!("Block")),
        ],
    );
    expect(
        concat!(
            "CEF:0|Trend Micro|Apex Central|2019|EAC:1|Endpoint Application Control Violation Information|3|",
            "rt=Jun 10 2024 06:13:20 GMT+00:00 shost=ws-11 suser=LAB\\\\ops fileHash=9a0364b9e99bb480dd25e1f0284c8555a1a2b3c4 ",
            r"fname=shareit.exe cs3Label=Command cs3=C:\\shareit.exe -x cs4Label=Rule cs4=No file sharing cs5Label=Policy cs5=Lockdown act=Blocked",
        ),
        1007,
        1,
        &[
            ("time", json!(REF_MS)),
            ("process.name", json!("shareit.exe")),
            ("process.cmd_line", json!(r"C:\shareit.exe -x")),
            ("actor.user.name", json!(r"LAB\ops")),
            ("status_id", json!(2)),
            ("disposition_id", json!(2)),
            ("unmapped.rule.name", json!("No file sharing")),
        ],
    );
}

#[test]
fn apex_sandbox_and_logon() {
    expect(
        concat!(
            "CEF:0|Trend Micro|Apex Central|2019|VA:1|Virtual Analyzer Detections|8|rt=Jun 10 2024 06:13:20 GMT+00:00 ",
            "dhost=ws-12 dst=10.1.2.12 cs1Label=Threat Name cs1=VAN_RANSOMWARE.umxx fname=invoice.docm ",
            "fileHash=0123456789ABCDEF0123456789ABCDEF01234567 cn1Label=Risk Level cn1=3",
        ),
        2004,
        1,
        &[
            ("time", json!(REF_MS)),
            ("severity_id", json!(4)),
            ("finding_info.title", json!("VAN_RANSOMWARE.umxx")),
            ("finding_info.types.0", json!("Virtual Analyzer")),
            ("evidences.0.file.name", json!("invoice.docm")),
            (
                "evidences.0.file.hashes.0.value",
                json!("0123456789ABCDEF0123456789ABCDEF01234567"),
            ),
        ],
    );
    let v = expect(
        concat!(
            "CEF:0|Trend Micro|Apex Central|2019|700211|Managed Product Logon/Logoff Events|3|deviceExternalId=11 ",
            "shost=APEX01 deviceFacility=Apex One cs1Label=Product_Version cs1=14 cn1Label=Command_Status cn1=110 ",
            r"msg=Operator logged on to the console; UserName:CORP\\admin, IP address:10.204.1.27, source:web",
        ),
        3002,
        1,
        &[
            ("time", json!(REF_MS)),
            ("user.name", json!(r"CORP\admin")),
            ("src_endpoint.ip", json!("10.204.1.27")),
            ("status_id", json!(1)),
            ("service.name", json!("Apex One")),
            ("device.hostname", json!("APEX01")),
            ("time", json!(REF_MS)),
        ],
    );
    assert_eq!(v["unmapped"]["Product_Version"], "14");
}

// ---------------------------------------------------------------- Vision One

fn workbench_alert() -> Value {
    json!({
        "schemaVersion": "1.12",
        "id": "WB-9002-20240610-00001",
        "investigationStatus": "New",
        "status": "Open",
        "investigationResult": "No Findings",
        "workbenchLink": "https://portal.xdr.example/index.html#/workbench?workbenchId=WB-9002-20240610-00001",
        "alertProvider": "SAE",
        "modelId": "f3ee90b4-0000-4b2c-9a8a-0a0a0a0a0a0a",
        "model": "Registry Hive Saved by Command Line Tool",
        "modelType": "preset",
        "score": 64,
        "severity": "high",
        "createdDateTime": "2024-06-10T06:13:20Z",
        "updatedDateTime": "2024-06-10T06:20:00Z",
        "description": "A registry hive was saved by a command-line tool",
        "impactScope": {
            "desktopCount": 1, "serverCount": 0, "accountCount": 1, "emailAddressCount": 0,
            "entities": [
                {"entityType": "account", "entityValue": "CORP\\kim", "entityId": "CORP\\kim",
                 "relatedEntities": ["35FA11DA-0000-4D1C-9B0A-1C1C1C1C1C1C"], "relatedIndicatorIds": [1], "provenance": ["Alert"]},
                {"entityType": "host", "entityValue": {"guid": "35FA11DA-0000-4D1C-9B0A-1C1C1C1C1C1C", "name": "ws-17", "ips": ["10.1.2.3", "fe80::1"]},
                 "entityId": "35FA11DA-0000-4D1C-9B0A-1C1C1C1C1C1C", "relatedEntities": [], "relatedIndicatorIds": [1, 2], "provenance": ["Alert"]}
            ]
        },
        "matchedRules": [{
            "id": "0a0a0a0a-1111-2222-3333-444444444444",
            "name": "Credential dumping via registry save",
            "matchedFilters": [{
                "id": "5a5a5a5a-1111-2222-3333-444444444444",
                "name": "Dump registry hive with reg.exe",
                "matchedDateTime": "2024-06-10T06:13:19Z",
                "mitreTechniqueIds": ["V9.T1003.002", "T1003", "V9.T1003.002"],
                "matchedEvents": [{"uuid": "e1", "matchedDateTime": "2024-06-10T06:13:19Z", "type": "TELEMETRY_PROCESS"}]
            }]
        }],
        "indicators": [
            {"id": 1, "type": "command_line", "field": "objectCmd", "value": "reg save HKLM\\SAM C:\\t\\sam.save", "relatedEntities": [], "filterIds": [], "provenance": ["Alert"]},
            {"id": 2, "type": "file_sha256", "field": "objectFileHashSha256", "value": "aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44", "relatedEntities": [], "filterIds": [], "provenance": ["Alert"]}
        ]
    })
}

fn oat_detection() -> Value {
    json!({
        "source": "endpointActivityData",
        "uuid": "b1d7c3f0-0000-4c63-9f3e-5a5a5a5a5a5a",
        "detectedDateTime": "2024-06-10T06:13:20Z",
        "ingestedDateTime": "2024-06-10T06:14:00Z",
        "entityType": "endpoint",
        "entityName": "ws-21 (10.1.2.21)",
        "endpoint": {"endpointName": "ws-21", "agentGuid": "c0ffee00-0000-4000-8000-000000000021", "ips": ["10.1.2.21"]},
        "filters": [{
            "id": "F9012",
            "name": "UAC bypass through auto-elevated binary",
            "description": "A registry key used by fodhelper was modified",
            "mitreTacticIds": ["TA0004", "TA0005"],
            "mitreTechniqueIds": ["T1548.002"],
            "highlightedObjects": [{"field": "objectRegistryKeyHandle", "type": "registry_key", "value": "hkcu\\software\\classes\\ms-settings\\shell\\open\\command"}],
            "riskLevel": "medium",
            "type": "preset"
        }, {
            "id": "F1234",
            "name": "Scripted shell launched hidden",
            "mitreTacticIds": ["TA0002"],
            "mitreTechniqueIds": ["T1059.001"],
            "riskLevel": "high",
            "type": "preset"
        }],
        "detail": {
            "eventTime": "1718000000000",
            "endpointHostName": "ws-21",
            "endpointIp": ["10.1.2.21"],
            "processName": "powershell.exe",
            "processFilePath": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "processCmd": "powershell -nop -w hidden",
            "processPid": 4242,
            "processUser": "kim",
            "processUserDomain": "CORP",
            "objectFilePath": "C:\\Windows\\System32\\fodhelper.exe",
            "objectFileHashSha1": "0123456789abcdef0123456789abcdef01234567",
            "logonUser": ["kim"]
        }
    })
}

#[test]
fn vision_one_workbench_alert() {
    let v = expect(
        &workbench_alert().to_string(),
        2004,
        1,
        &[
            ("time", json!(REF_MS)),
            ("severity_id", json!(4)),
            ("finding_info.uid", json!("WB-9002-20240610-00001")),
            (
                "finding_info.title",
                json!("Registry Hive Saved by Command Line Tool"),
            ),
            ("finding_info.types.1", json!("SAE")),
            (
                "finding_info.analytic.name",
                json!("Credential dumping via registry save"),
            ),
            ("finding_info.attacks.0.technique.uid", json!("T1003")),
            (
                "finding_info.attacks.0.sub_technique.uid",
                json!("T1003.002"),
            ),
            ("finding_info.attacks.0.version", json!("9")),
            ("finding_info.attacks.1.technique.uid", json!("T1003")),
            ("device.hostname", json!("ws-17")),
            ("device.ip", json!("10.1.2.3")),
            ("evidences.0.actor.user.name", json!("kim")),
            ("evidences.0.actor.user.domain", json!("CORP")),
            (
                "evidences.0.process.cmd_line",
                json!(r"reg save HKLM\SAM C:\t\sam.save"),
            ),
            ("evidences.0.file.hashes.0.algorithm_id", json!(3)),
            ("metadata.product.name", json!("Vision One")),
            ("metadata.product.feature.name", json!("Workbench")),
            ("metadata.uid", json!("WB-9002-20240610-00001")),
            ("unmapped.score", json!(64)),
            ("unmapped.schemaVersion", json!("1.12")),
        ],
    );
    assert_eq!(
        v["finding_info"]["attacks"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(v["status_detail"], "Open; New; No Findings");
    // A closed alert closes the finding.
    let mut closed = workbench_alert();
    closed["status"] = json!("Closed");
    expect(&closed.to_string(), 2004, 3, &[]);
}

#[test]
fn vision_one_observed_attack_techniques() {
    let v = expect(
        &oat_detection().to_string(),
        2004,
        1,
        &[
            ("time", json!(REF_MS)),
            ("severity_id", json!(4)),
            (
                "finding_info.uid",
                json!("b1d7c3f0-0000-4c63-9f3e-5a5a5a5a5a5a"),
            ),
            (
                "finding_info.title",
                json!("UAC bypass through auto-elevated binary; Scripted shell launched hidden"),
            ),
            ("finding_info.analytic.uid", json!("F9012")),
            (
                "finding_info.attacks.0.sub_technique.uid",
                json!("T1548.002"),
            ),
            ("finding_info.attacks.0.tactic.uid", json!("TA0004")),
            (
                "finding_info.attacks.0.tactic.name",
                json!("Privilege Escalation"),
            ),
            ("finding_info.attacks.1.tactic.uid", json!("TA0005")),
            ("finding_info.attacks.2.technique.uid", json!("T1059")),
            ("finding_info.attacks.2.tactic.name", json!("Execution")),
            ("finding_info.types.1", json!("endpointActivityData")),
            ("device.hostname", json!("ws-21")),
            ("device.ip", json!("10.1.2.21")),
            ("device.uid", json!("c0ffee00-0000-4000-8000-000000000021")),
            ("evidences.0.process.pid", json!(4242)),
            (
                "evidences.0.process.cmd_line",
                json!("powershell -nop -w hidden"),
            ),
            ("evidences.0.process.user.name", json!("kim")),
            ("evidences.0.file.name", json!("fodhelper.exe")),
            ("evidences.0.actor.user.name", json!("kim")),
            (
                "metadata.product.feature.name",
                json!("Observed Attack Techniques"),
            ),
        ],
    );
    assert_eq!(v["unmapped"]["ingestedDateTime"], "2024-06-10T06:14:00Z");
}

#[test]
fn vision_one_api_pages_and_unknown_json() {
    let page = json!({"items": [workbench_alert(), oat_detection()], "count": 2}).to_string();
    let (v, m) = map_all(&page);
    assert_eq!(v.len(), 2);
    assert_eq!(m.stats().mapped.get(&2004), Some(&2));
    assert_eq!(m.stats().accepted, 1);
    let (v, m) = map_all(r#"{"items": []}"#);
    assert!(v.is_empty());
    assert_eq!(m.stats().blank, 1);
    for (line, n) in [
        (r#"{"hello": "world"}"#, 1),
        (r#"{"items": [{"hello": 1}, 2]}"#, 2),
        ("{not json", 1),
    ] {
        let (v, m) = map_all(line);
        assert_eq!(v.len(), n, "{line}");
        for e in &v {
            assert_eq!(fallback_reason(e), "unrecognized_message", "{line}: {e}");
        }
        assert_eq!(m.stats().fallback_total(), n as u64);
    }
}

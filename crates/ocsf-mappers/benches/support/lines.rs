//! The lines and the bench routine shared by the mapper bench targets. The
//! lines are written for these benches (realistic shapes, no third-party
//! data).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use ocsf_mappers::{DeepSecurityMapper, LinuxMapper, Normalized, SourceConfig, Target};

/// 2024-06-10T00:00:00Z.
const REF_MS: i64 = 1_717_977_600_000;

/// A day's worth of typical sshd authentication traffic on a bastion host.
const SSHD: &[&str] = &[
    "Jun  9 10:00:00 bastion sshd[4242]: Accepted publickey for alice from 192.0.2.10 port 50022 ssh2: ED25519 SHA256:Xk3yFq1mR0kU9sQ2b7vW5pA8",
    "Jun  9 10:00:01 bastion sshd[4243]: Failed password for invalid user admin from 198.51.100.7 port 40022 ssh2",
    "Jun  9 10:00:02 bastion sshd[4244]: Failed password for root from 203.0.113.45 port 52311 ssh2",
    "Jun  9 10:00:03 bastion sshd[4245]: Accepted password for bob from 192.0.2.33 port 61000 ssh2",
    "Jun  9 10:00:04 bastion sshd[4246]: Invalid user oracle from 203.0.113.9 port 51000",
    "Jun  9 10:00:05 bastion sshd[4247]: Received disconnect from 198.51.100.7 port 40022:11: Bye Bye [preauth]",
    "Jun  9 10:00:06 bastion sshd[4248]: Disconnected from invalid user admin 198.51.100.7 port 40022 [preauth]",
    "Jun  9 10:00:07 bastion sshd[4249]: Connection closed by authenticating user root 203.0.113.45 port 52311 [preauth]",
    "Jun  9 10:00:08 bastion sshd[4250]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.4  user=root",
    "Jun  9 10:00:09 bastion sshd[4251]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
    "Jun  9 10:00:10 bastion sshd[4252]: Disconnected from user alice 192.0.2.10 port 50022",
    "Jun  9 10:00:11 bastion sshd[4253]: error: maximum authentication attempts exceeded for root from 203.0.113.45 port 52311 ssh2 [preauth]",
];

/// Deep Security Agent and Manager events of every protection module.
const CEF: &[&str] = &[
    "<134>Jun 10 06:13:20 dsm01 CEF:0|Trend Micro|Deep Security Agent|20.0.1-123|4000010|TROJ_FAKEAV.SMX|8|cn1=7 cn1Label=Host ID dvchost=fin-ws-3 dvc=10.1.2.3 filePath=C:\\Users\\kim\\Downloads\\invoice.exe act=Quarantine result=Quarantined msg=Realtime TrendMicroDsFileSHA256=0D5F5A7C3B2E1F00112233445566778899AABBCCDDEEFF0011223344556677",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|21|Deny SMB from Internet|6|cn1=12 cn1Label=Host ID dvchost=fs01 act=Deny src=203.0.113.51 dst=10.0.0.20 spt=51001 dpt=445 proto=TCP in=60 cs2=0x00 SYN cs2Label=TCP Flags cnt=3 TrendMicroDsFrameType=IP",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|1008610|SMB Remote Code Execution (CVE-2017-0144)|9|cn1=12 cn1Label=Host ID dvchost=fs01 src=203.0.113.50 dst=10.0.0.20 spt=51000 dpt=445 proto=TCP act=Reset in=1500",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|2002779|Unix - File attributes changed|5|cn1=4 cn1Label=Host ID dvchost=web1 act=created filePath=/etc/cron.d/job suser=root sproc=/usr/bin/cp msg=created",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|3002836|Unix - Syslog|7|cn1=4 cn1Label=Host ID dvchost=web1 cs1Label=LI Description cs1=Multiple SSH authentication failures fname=/var/log/secure src=198.51.100.77 shost=attacker.example duser=root msg=sshd: 5 failed logins rt=1718000100000",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|5000000|WebReputation|6|cn1=7 cn1Label=Host ID dvchost=fin-ws-3 request=http://malicious.example/payload.bin?id=3 msg=Blocked By Page Rating",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|6001100|AppControl blocked|6|cn1=4 cn1Label=Host ID dvchost=web1 fileHash=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08 suser=deploy suid=1001 act=blocked filePath=/tmp/miner fsize=123456 cs1=notWhitelisted cs1Label=actionReason",
    "CEF:0|Trend Micro|Deep Security Manager|20.0.1|602|User Sign-In Failed|6|src=198.51.100.9 suser=admin target=admin msg=Incorrect password",
];

/// A target that keeps only the class and the time of each record: with it,
/// the bench measures framing, recognition and the neutral record without
/// building an OCSF event (the split BENCHMARKS.md reports for issue 6).
struct RecognizeOnly;

impl Target for RecognizeOnly {
    type Event = (i32, i64);
    const VERSION: &'static str = "recognize-only";

    fn render(record: &mut Normalized, _config: &SourceConfig) -> (i32, i64) {
        (record.activity.class_uid(), record.time_ms)
    }
}

/// The mapper benches, shared by the `mappers` and `mappers_mimalloc` targets.
pub fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("mappers");
    group.measurement_time(Duration::from_secs(5));

    group.throughput(Throughput::Elements(SSHD.len() as u64));
    let config = SourceConfig::linux()
        .with_reference_ms(REF_MS)
        .with_log_name("auth.log")
        .with_tenant_uid("123456789012");
    let mut linux = LinuxMapper::new(config);
    let mut out = Vec::with_capacity(4);
    group.bench_function("sshd_auth_lines", |b| {
        b.iter(|| {
            for line in SSHD {
                out.clear();
                linux.map_line_into(black_box(line), &mut out);
                black_box(&out);
            }
        });
    });

    let config = SourceConfig::linux()
        .with_reference_ms(REF_MS)
        .with_log_name("auth.log")
        .with_tenant_uid("123456789012");
    let mut reusing = LinuxMapper::new(config);
    let mut reused = Vec::with_capacity(4);
    group.bench_function("sshd_auth_lines_reusing", |b| {
        b.iter(|| {
            for line in SSHD {
                reusing.map_line_reusing(black_box(line), &mut reused);
                black_box(&reused);
            }
        });
    });

    let config = SourceConfig::linux()
        .with_reference_ms(REF_MS)
        .with_log_name("auth.log")
        .with_tenant_uid("123456789012");
    let mut recognize = LinuxMapper::<RecognizeOnly>::with_target(config);
    let mut facts = Vec::with_capacity(4);
    group.bench_function("sshd_auth_lines_recognize_only", |b| {
        b.iter(|| {
            for line in SSHD {
                facts.clear();
                recognize.map_line_into(black_box(line), &mut facts);
                black_box(&facts);
            }
        });
    });

    group.throughput(Throughput::Elements(CEF.len() as u64));
    let config = SourceConfig::deep_security()
        .with_reference_ms(REF_MS)
        .with_tenant_uid("123456789012");
    let mut ds = DeepSecurityMapper::new(config);
    group.bench_function("deep_security_cef_lines", |b| {
        b.iter(|| {
            for line in CEF {
                out.clear();
                ds.map_line_into(black_box(line), &mut out);
                black_box(&out);
            }
        });
    });
    group.finish();
}

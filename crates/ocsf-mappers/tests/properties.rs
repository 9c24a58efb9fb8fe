//! Property-style robustness of the mappers: arbitrary bytes, every prefix of
//! real lines and deterministic pseudo-random mutations of them never panic,
//! and every event they produce passes the event checks. The seeds are
//! fixtures written for these tests plus, when present, the third-party
//! corpora in `../shared/samples/` (read in place).

mod common;

use std::path::Path;

use common::check;
use ocsf_mappers::formats::journald::{ExportReader, JsonReader};
use ocsf_mappers::{DeepSecurityMapper, LinuxMapper, SourceConfig, TrendMicroMapper, stream};

const SEEDS: &[&str] = &[
    "Jun  9 10:00:00 bastion sshd[4242]: Accepted publickey for alice from 192.0.2.10 port 50022 ssh2: ED25519 SHA256:k3y",
    "Jun  9 10:00:01 bastion sshd[4243]: Failed password for invalid user admin from 198.51.100.7 port 40022 ssh2",
    "Jun  9 10:01:01 bastion sshd[5001]: Received disconnect from 198.51.100.7 port 40022:11: Bye Bye [preauth]",
    "Jun  9 10:02:06 web1 sshd[6005]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.4  user=root",
    "Jun  9 10:02:02 web1 su(pam_unix)[6001]: session opened for user news by (uid=0)",
    "Jun  9 10:03:00 web1 sudo[7000]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/tar -czf /tmp/x.tgz",
    "Jun  9 10:03:00 web1 sudo[7000]:    alice : (command continued) /etc/ssh",
    "Jun  9 10:04:00 web1 useradd[8000]: new user: name=carol, UID=1002, GID=1002, home=/home/carol, shell=/bin/bash, from=/dev/pts/0",
    "Jun  9 10:04:16 web1 gpasswd[8008]: user carol added by root to group devs",
    "Jun  9 10:05:00 web1 CRON[9000]: (root) CMD (/usr/local/bin/backup.sh --full)",
    "Jun  9 10:06:01 web1 systemd[1]: nginx.service: Main process exited, code=exited, status=1/FAILURE",
    "Jun  9 10:07:00 web1 kernel: [123.4] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.5 DST=192.0.2.10 LEN=60 PROTO=TCP SPT=51234 DPT=22 SYN",
    "<86>1 2024-06-09T10:04:00.123456+02:00 web1 sshd 4242 - - Accepted keyboard-interactive/pam for erin from 2001:db8::7 port 60000 ssh2",
    "type=SYSCALL msg=audit(1717927500.100:501): arch=c000003e syscall=59 success=yes exit=0 ppid=4000 pid=4001 auid=1000 uid=1000 comm=\"curl\" exe=\"/usr/bin/curl\"",
    "type=EXECVE msg=audit(1717927500.100:501): argc=2 a0=\"curl\" a1=68747470733A2F2F",
    "node=web1 type=PATH msg=audit(1717927500.100:501): item=1 name=\"a.txt\" mode=0100644 nametype=DELETE",
    "type=USER_AUTH msg=audit(1717927502.400:504): pid=5001 uid=0 msg='op=PAM:authentication acct=\"mallory\" exe=\"/usr/sbin/sshd\" addr=203.0.113.66 res=failed'",
    "{\"__REALTIME_TIMESTAMP\":\"1717927600000000\",\"_HOSTNAME\":\"web2\",\"SYSLOG_IDENTIFIER\":\"sshd\",\"_PID\":\"777\",\"MESSAGE\":\"Invalid user x from 192.0.2.1\"}",
    "<134>Jun 10 06:13:20 dsm01 CEF:0|Trend Micro|Deep Security Agent|20.0.1|4000010|TROJ_X|8|cn1=7 cn1Label=Host ID dvchost=ws filePath=C:\\x.exe act=Quarantine TrendMicroDsFileSHA1=AB",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|21|Deny|6|act=Deny src=203.0.113.51 dst=10.0.0.20 spt=1 dpt=445 proto=TCP in=60 cs2=0x00 SYN cs2Label=TCP Flags",
    "LEEF:2.0|Trend Micro|Deep Security Agent|20.0.1|1008610|^|cat=Intrusion Prevention^name=X (CVE-2017-0144)^sev=9^src=203.0.113.50^dst=10.0.0.20^srcPort=5^dstPort=445",
    "CEF:0|Trend Micro|Deep Security Manager|20.0.1|602|User Sign-In Failed|6|src=198.51.100.9 suser=admin",
    "LEEF:2.0|Trend Micro|Deep Security Agent|20.0|4000030|x20|cat=Anti-Malware name=HEU_X sev=6 cn1=241 cn1Label=Host ID devTime=10/06/2024 08:13:20 +0200 devTimeFormat=dd/MM/yyyy HH:mm:ss Z",
    "LEEF:1.0|Trend Micro|Deep Security Agent|20.0|21|0x09|cat=Firewall\tname=Deny\tsrc=1.2.3.4\tact=Deny",
    "CEF:0|Trend Micro|Apex Central|2019|AV:File quarantined|TROJ_X|3|rt=Jun 10 2024 06:13:20 GMT+00:00 dhost=ws-17 dst=10.1.2.3 duser=kim filePath=C:\\Users\\ fname=a.exe act=File quarantined",
    "CEF:0|Trend Micro|Apex Central|2019|WB:7|Web Reputation|3|rt=Jun 10 2024 06:13:20 GMT+00:00 act=2 src=10.1.2.5 request=http://bad.example.net:8080/x?y=1",
    "CEF:0|Trend Micro|Apex Central|2019|700107|Device Access Control|3|shost=ws-10 sproc=C:\\x.exe fname=E:\\a.inf cn2Label=Device_Type cn2=0 cn3Label=Permission cn3=4",
    "CEF:0|Trend Micro|Apex Central|2019|700211|Managed Product Logon/Logoff Events|3|shost=A msg=has logged on. UserName:CORP\\admin,IP address:10.204.1.27, EventType:Log in/out",
    "CEF:0|Trend Micro|Apex Central|2019|EAC:1|Endpoint Application Control|3|suser=QA fname=P.exe cs3Label=Command cs3=P.exe -x act=Blocked",
    "{\"id\":\"WB-1\",\"model\":\"M\",\"severity\":\"high\",\"createdDateTime\":\"2024-06-10T06:13:20Z\",\"impactScope\":{\"entities\":[{\"entityType\":\"host\",\"entityValue\":{\"name\":\"ws\",\"ips\":[\"10.0.0.1\"]}}]},\"matchedRules\":[{\"id\":\"r\",\"name\":\"R\",\"matchedFilters\":[{\"mitreTechniqueIds\":[\"V9.T1003.002\"]}]}],\"indicators\":[{\"type\":\"file_sha256\",\"value\":\"ab\"}]}",
    "{\"uuid\":\"u\",\"detectedDateTime\":\"2024-06-10T06:13:20Z\",\"endpoint\":{\"endpointName\":\"ws\",\"ips\":[\"10.0.0.2\"]},\"filters\":[{\"id\":\"F1\",\"name\":\"N\",\"mitreTacticIds\":[\"TA0002\"],\"mitreTechniqueIds\":[\"T1059.001\"],\"riskLevel\":\"high\"}],\"detail\":{\"processPid\":12,\"processName\":\"p.exe\",\"objectFilePath\":\"C:\\\\x\",\"src\":\"10.0.0.3\",\"dpt\":\"443\",\"dst\":\"10.0.0.4\"}}",
];

const SPECIAL: &[&str] = &[
    "|",
    "=",
    "\\",
    "\"",
    "'",
    "[",
    "]",
    "(",
    ")",
    ":",
    " ",
    "  ",
    "#011",
    "\u{1d}",
    "<",
    ">",
    "0",
    "99999",
    "-",
    "port ",
    " from ",
    " for ",
    "user ",
    "invalid user ",
    "\u{e9}",
    "\u{1f600}",
    "\t",
    "CEF:",
    "LEEF:",
    "msg=audit(",
    "type=",
    "{",
    "}",
    "SRC=",
    "IN=",
    "pam_unix(",
    "): ",
    "COMMAND=",
    ";",
    "(to ",
    "%",
    "\0",
    "/",
    "\u{e9}/",
    "filePath=",
    "name=",
    "@",
    "C:\\",
    "..",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n.max(1) as u64)) as usize
    }
}

fn config() -> SourceConfig {
    SourceConfig::linux()
        .with_reference_ms(1_718_000_000_000)
        .with_max_line_len(4096)
}

/// Runs `lines` through both mappers, checking every event.
fn run(lines: &[String]) -> usize {
    let mut linux = LinuxMapper::new(config());
    let mut ds = DeepSecurityMapper::new(config());
    let mut trend = TrendMicroMapper::new(config());
    let mut n = 0;
    for l in lines {
        let events = trend.map_line(l);
        // JSON API pages may hold several (or no) items; every other
        // non-blank line is exactly one event.
        if !l.trim_start().starts_with('{') {
            assert_eq!(events.len(), usize::from(!l.trim().is_empty()), "{l:?}");
        }
        for e in events {
            check(&e);
        }
        for e in linux.map_line(l) {
            check(&e);
            n += 1;
        }
        let events = ds.map_line(l);
        assert_eq!(events.len(), usize::from(!l.trim().is_empty()), "{l:?}");
        for e in events {
            check(&e);
        }
    }
    for e in linux.finish() {
        check(&e);
        n += 1;
    }
    assert_eq!(linux.stats().events(), n as u64);
    let t = trend.stats();
    assert_eq!(t.accepted, lines.len() as u64);
    n
}

/// Seeds plus up to `per_file` lines of each corpus file that is present.
fn seeds(per_file: usize) -> Vec<String> {
    let mut out: Vec<String> = SEEDS.iter().map(|s| (*s).to_owned()).collect();
    let root = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/samples"
    ));
    for f in ["linux/loghub/OpenSSH_2k.log", "linux/loghub/Linux_2k.log"] {
        match std::fs::read_to_string(root.join(f)) {
            Ok(text) => out.extend(text.lines().step_by(41).take(per_file).map(str::to_owned)),
            Err(_) => eprintln!("note: {f} absent; using the built-in seeds only"),
        }
    }
    out
}

#[test]
fn every_prefix_of_every_seed() {
    let mut lines = Vec::new();
    for s in seeds(40) {
        for (i, _) in s.char_indices() {
            lines.push(s[..i].to_owned());
        }
    }
    let n = run(&lines);
    assert!(
        n > lines.len() / 2,
        "{n} events for {} prefixes",
        lines.len()
    );
}

#[test]
fn mutated_seeds() {
    let seeds = seeds(40);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut lines = Vec::new();
    for round in 0..40 {
        for s in &seeds {
            let mut line = s.clone();
            for _ in 0..=(round % 4) {
                let cut = |l: &String, at: usize| {
                    let mut i = at.min(l.len());
                    while !l.is_char_boundary(i) {
                        i -= 1;
                    }
                    i
                };
                let at = cut(&line, rng.below(line.len() + 1));
                match rng.below(4) {
                    0 => line.insert_str(at, SPECIAL[rng.below(SPECIAL.len())]),
                    1 => {
                        let end = cut(&line, at + rng.below(8));
                        line.replace_range(at..end, "");
                    }
                    2 => {
                        let end = cut(&line, at + rng.below(4));
                        line.replace_range(at..end, SPECIAL[rng.below(SPECIAL.len())]);
                    }
                    _ => {
                        let other = &seeds[rng.below(seeds.len())];
                        let from = cut(other, rng.below(other.len() + 1));
                        line.insert_str(at, &other[from..]);
                    }
                }
            }
            lines.push(line);
        }
    }
    run(&lines);
}

#[test]
fn arbitrary_bytes_through_every_reader() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let alphabet: Vec<u8> =
        b"abcCEFLEF:|=\\\"' []()<>0123456789.-\n\n\t#{}type=msg=audit(node=\x00\x1d\xff\xc3\xa9"
            .to_vec();
    for round in 0..300 {
        let len = rng.below(600);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if round % 3 == 0 {
                    (rng.next() & 0xff) as u8
                } else {
                    alphabet[rng.below(alphabet.len())]
                }
            })
            .collect();
        let linux = LinuxMapper::new(config().with_max_line_len(64));
        for e in stream::events(linux, &bytes[..]).flatten() {
            check(&e);
        }
        let ds = DeepSecurityMapper::new(config());
        for e in stream::events(ds, &bytes[..]).flatten() {
            check(&e);
        }
        let trend = TrendMicroMapper::new(config());
        for e in stream::events(trend, &bytes[..]).flatten() {
            check(&e);
        }
        for e in LinuxMapper::new(config())
            .journal_entries(ExportReader::new(&bytes[..]).with_max_field_size(256))
            .flatten()
        {
            check(&e);
        }
        for e in LinuxMapper::new(config())
            .journal_entries(JsonReader::new(&bytes[..]))
            .flatten()
        {
            check(&e);
        }
    }
}

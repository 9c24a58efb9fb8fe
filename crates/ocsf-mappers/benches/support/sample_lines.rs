//! The sshd and Deep Security lines of the mapper benches, written for them (realistic shapes,
//! no third-party data); `tests/allocations.rs` maps the sshd lines too.

/// A day's worth of typical sshd authentication traffic on a bastion host.
pub const SSHD: &[&str] = &[
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
pub const CEF: &[&str] = &[
    "<134>Jun 10 06:13:20 dsm01 CEF:0|Trend Micro|Deep Security Agent|20.0.1-123|4000010|TROJ_FAKEAV.SMX|8|cn1=7 cn1Label=Host ID dvchost=fin-ws-3 dvc=10.1.2.3 filePath=C:\\Users\\kim\\Downloads\\invoice.exe act=Quarantine result=Quarantined msg=Realtime TrendMicroDsFileSHA256=0D5F5A7C3B2E1F00112233445566778899AABBCCDDEEFF0011223344556677",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|21|Deny SMB from Internet|6|cn1=12 cn1Label=Host ID dvchost=fs01 act=Deny src=203.0.113.51 dst=10.0.0.20 spt=51001 dpt=445 proto=TCP in=60 cs2=0x00 SYN cs2Label=TCP Flags cnt=3 TrendMicroDsFrameType=IP",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|1008610|SMB Remote Code Execution (CVE-2017-0144)|9|cn1=12 cn1Label=Host ID dvchost=fs01 src=203.0.113.50 dst=10.0.0.20 spt=51000 dpt=445 proto=TCP act=Reset in=1500",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|2002779|Unix - File attributes changed|5|cn1=4 cn1Label=Host ID dvchost=web1 act=created filePath=/etc/cron.d/job suser=root sproc=/usr/bin/cp msg=created",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|3002836|Unix - Syslog|7|cn1=4 cn1Label=Host ID dvchost=web1 cs1Label=LI Description cs1=Multiple SSH authentication failures fname=/var/log/secure src=198.51.100.77 shost=attacker.example duser=root msg=sshd: 5 failed logins rt=1718000100000",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|5000000|WebReputation|6|cn1=7 cn1Label=Host ID dvchost=fin-ws-3 request=http://malicious.example/payload.bin?id=3 msg=Blocked By Page Rating",
    "CEF:0|Trend Micro|Deep Security Agent|20.0.1|6001100|AppControl blocked|6|cn1=4 cn1Label=Host ID dvchost=web1 fileHash=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08 suser=deploy suid=1001 act=blocked filePath=/tmp/miner fsize=123456 cs1=notWhitelisted cs1Label=actionReason",
    "CEF:0|Trend Micro|Deep Security Manager|20.0.1|602|User Sign-In Failed|6|src=198.51.100.9 suser=admin target=admin msg=Incorrect password",
];

//! Bad input must never panic: every parser is fed every prefix of a set of
//! valid lines plus deterministic pseudo-random mutations built from the
//! formats' special characters and multi-byte UTF-8. Any panic fails the test.

use ocsf_mappers::formats::journald::{ExportReader, JsonReader};
use ocsf_mappers::formats::syslog::{Multiline, SyslogContext};
use ocsf_mappers::formats::{auditd, cef, date_pattern, leef, syslog};

const SEEDS: &[&str] = &[
    "<34>Oct 11 22:14:15 mymachine su(pam_unix)[77]: 'su root' failed#011for lonvick on /dev/pts/8",
    "<165>1 2003-10-11T22:14:15.003Z h\u{e9}st evntslog 12 ID47 [ex@32473 iut=\"3\" src=\"a\\\"b\\]\"][p@1 c=\"\"] \u{feff}An application event",
    "2024-01-02T03:04:05.123456+01:00 host prog[12]: hi \u{1f600} there",
    "Dec  1 00:00:00  sshd: x",
    "<134>Jun  9 12:00:00 dsm01 CEF:0|Trend\\|Micro|Deep \u{e9} Security|1|2|N\\\\|6|a=b\\=c d=e f g=C:\\Windows\\notepad.exe cs1=x cs1Label=Y",
    "<13>1 2024-06-09T12:00:00Z gw qradar - - - LEEF:2.0|V|P|1|E|x5E|a=1^b=\u{e9}^c=3",
    "LEEF:1.0|V|P|1|E|src=1.1.1.1\tdst=2.2.2.2#011usr=b\u{f6}b",
    "LEEF:2.0|V|P|1|E|x20|a=1 b=two words cn1Label=Host ID devTime=Jun 10 2024 06:13:20.5 GMT+01:00 devTimeFormat=MMM dd yyyy HH:mm:ss.S z",
    "CEF:0|V|P|1|2|N|3|lead text msg=line\\nnext a\\=b c=\\\\x",
    "<134>CEF:1|V|P|1|2|N|Very-High|ad.Foo[0]=a b ad.Bar[1]=\u{e9} x[=y",
    "<13>LEEF:1.0|V|P|1|E|ad.x[0]=1\tb[2]=\u{e9}",
    "Jan  5 01:02:03 2001:db8::1 sshd[12]: hi",
    "<187>56: 000052: *Mar  1 18:46:11.351 UTC: %LINK-3-UPDOWN: Interface Fa0/1, changed state to down",
    "<189>5: router1: 000123: 1d02h: %SYS-5-CONFIG_I: Configured from console by admin",
    "<190>sw01: 2017 Jul 28 10:32:11.250 UTC: %ETHPORT-5-IF_UP: Interface Ethernet1/1 is up",
    "Sep 21 11:09:50 172.22.22.45 : 2005 Sep 04 18:18:22 UTC: %AUTHPRIV-3-SYSTEM_MSG: pam_unix(sshd:auth): authentication failure; user=admin - sshd[1234]",
    "Mar  1 18:46:12 10.1.1.1 56: 000052: *Mar  1 18:46:11.351 UTC: %LINK-3-UPDOWN: down",
    "node=n1 type=USER_AUTH msg=audit(1700000000.123:42): pid=1 msg='op=PAM:auth acct=\"r\u{f6}\" exe=\"/x\" res=ok' proctitle=2F62696E00 a0=4142\u{1d}UID=\"root\" AUID=\"\u{e9}\"",
    "type=AVC msg=audit(1.5:3): avc:  denied  { read } for  pid=5 comm=\"x y\" name=2F",
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
    "#",
    "#01",
    "\u{1d}",
    "<",
    ">",
    "0",
    "9",
    "-",
    "T",
    "Z",
    "+",
    "\u{e9}",
    "\u{1f600}",
    "\t",
    "\n",
    "CEF:",
    "LEEF:",
    "msg=audit(",
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
        (self.next() % n as u64) as usize
    }
}

fn char_boundaries(s: &str) -> impl Iterator<Item = usize> + '_ {
    s.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
}

fn mutate(seed: &str, rng: &mut Rng) -> String {
    let mut s = seed.to_owned();
    for _ in 0..1 + rng.below(4) {
        let cuts: Vec<usize> = char_boundaries(&s).collect();
        let at = cuts[rng.below(cuts.len())];
        match rng.below(3) {
            0 => s.insert_str(at, SPECIAL[rng.below(SPECIAL.len())]),
            1 => {
                let end = cuts.iter().copied().find(|&c| c > at).unwrap_or(at);
                s.replace_range(at..end, "");
            }
            _ => {
                let end = cuts.iter().copied().find(|&c| c > at).unwrap_or(at);
                s.replace_range(at..end, SPECIAL[rng.below(SPECIAL.len())]);
            }
        }
    }
    s
}

fn feed_all(line: &str, ctx: &SyslogContext) -> usize {
    let mut ok = 0;
    ok += usize::from(syslog::parse(line, ctx).is_ok());
    ok += usize::from(cef::parse(line).is_ok());
    ok += usize::from(cef::parse_framed(line, ctx).is_ok());
    ok += usize::from(leef::parse(line).is_ok());
    ok += usize::from(leef::parse_framed(line, ctx).is_ok());
    if let Ok(r) = leef::parse(line) {
        ok += usize::from(r.dev_time_ms(0).is_some());
    }
    for pattern in [
        line,
        "MMM dd yyyy HH:mm:ss.SSS z",
        "EEE, d MMMM yy h:mm a XXX",
    ] {
        ok += usize::from(date_pattern::parse(line, pattern, 0).is_some());
    }
    ok += usize::from(auditd::parse(line).is_ok());
    ok += ExportReader::new(line.as_bytes())
        .take(100)
        .filter(Result::is_ok)
        .count();
    ok += JsonReader::new(line.as_bytes())
        .take(100)
        .filter(Result::is_ok)
        .count();
    ok
}

#[test]
fn every_prefix_of_valid_lines_is_handled() {
    let ctx = SyslogContext::new(1_718_000_000_000);
    for seed in SEEDS {
        // Each complete seed parses with at least its own parser.
        assert!(feed_all(seed, &ctx) > 0, "{seed}");
        for cut in char_boundaries(seed) {
            feed_all(&seed[..cut], &ctx);
        }
    }
}

#[test]
fn mutated_lines_are_handled() {
    let ctx = SyslogContext::new(1_718_000_000_000).with_utc_offset_secs(-18_000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut ml = Multiline::new(ctx);
    let mut joined = 0;
    for round in 0..4000 {
        let seed = SEEDS[round % SEEDS.len()];
        let line = mutate(seed, &mut rng);
        feed_all(&line, &ctx);
        if let Ok(Some(j)) = ml.push(&line) {
            joined += j.line_count();
            // A joined line re-parses because each part parsed.
            assert!(j.parse(&ctx).is_ok(), "{:?}", j.text());
        }
    }
    joined += ml.finish().map_or(0, |j| j.line_count());
    assert!(joined > 0);
}

#[test]
fn export_stream_prefixes_and_mutations_are_handled() {
    let mut data = b"__REALTIME_TIMESTAMP=1700000000000000\n_PID=42\nMESSAGE\n".to_vec();
    data.extend_from_slice(&7u64.to_le_bytes());
    data.extend_from_slice(b"a\nb\xffc d\n\nMESSAGE=second\nX=\xc3\xa9\n\n");
    for cut in 0..=data.len() {
        let n = ExportReader::new(&data[..cut]).take(100).count();
        assert!(n <= 4, "cut {cut}: {n} items");
    }
    let mut rng = Rng(42);
    for _ in 0..2000 {
        let mut d = data.clone();
        for _ in 0..3 {
            let i = rng.below(d.len());
            d[i] = [b'\n', b'=', 0, 0xff, b'\\', 1][rng.below(6)];
        }
        let items: Vec<_> = ExportReader::new(&d[..]).take(100).collect();
        assert!(items.len() < 100);
        for e in items.iter().flatten() {
            // Accessors report bad values as errors, never panic.
            let _ = (e.realtime_ms(), e.pid(), e.uid(), e.priority(), e.message());
        }
    }
}

//! Property-style robustness of the auditd record-type and orphan mappings:
//! every prefix of the type-group fixture lines, and deterministic
//! pseudo-random mutations of them, never panic and every event they produce
//! passes the event checks (including the OCSF 1.1.0 validator).

mod common;

use std::path::Path;

use common::check;
use ocsf_mappers::{LinuxMapper, SourceConfig};

/// Tokens the auditd type mappers look at.
const SPECIAL: &[&str] = &[
    "{",
    "}",
    "{ ",
    " }",
    "denied",
    "granted",
    "permissive=1",
    "tclass=file",
    "tclass=tcp_socket",
    "apparmor=\"DENIED\"",
    "name=\"/x\"",
    "path=",
    "saddr=",
    "saddr=0A00",
    "saddr=0100",
    "0200",
    "op=",
    "op=remove",
    "op=install",
    "op=UNLOAD",
    "prog-id=",
    "addr=",
    "rport=",
    "lport=",
    "laddr=",
    "daddr=",
    "dport=",
    "dest=",
    "=",
    "\"",
    "'",
    " ",
    "?",
    "-1",
    "4294967295",
    "99999999999999999999",
    "\u{e9}",
    "\u{1d}",
    "\0",
    "type=",
    "msg=audit(",
    "UNKNOWN[",
    "]",
    "argc=",
    "a0=",
    "proctitle=",
    "nametype=CREATE",
    "cwd=",
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

fn seeds() -> Vec<String> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden"));
    let text = std::fs::read_to_string(dir.join("auditd_types.log")).expect("fixture");
    text.lines().map(str::to_owned).collect()
}

fn run(lines: &[String]) {
    let mut m = LinuxMapper::new(SourceConfig::linux().with_reference_ms(1_718_000_000_000));
    for l in lines {
        for e in m.map_line(l) {
            check(&e);
        }
    }
    for e in m.finish() {
        check(&e);
    }
}

fn char_floor(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[test]
fn every_prefix_of_every_type_group_line() {
    for line in seeds() {
        let prefixes: Vec<String> = (0..=line.len())
            .filter(|&i| line.is_char_boundary(i))
            .map(|i| line[..i].to_owned())
            .collect();
        // Each prefix alone (an event of its own or an orphan) ...
        for p in &prefixes {
            run(std::slice::from_ref(p));
        }
        // ... and all of them in one stream (grouped by serial).
        run(&prefixes);
    }
}

#[test]
fn mutated_type_group_lines() {
    let seeds = seeds();
    let mut rng = Rng(0x5eed_a0d1_7ab1_e001);
    for _ in 0..3000 {
        let mut s = seeds[rng.below(seeds.len())].clone();
        for _ in 0..=rng.below(4) {
            let at = char_floor(&s, rng.below(s.len() + 1));
            match rng.below(3) {
                0 => s.insert_str(at, SPECIAL[rng.below(SPECIAL.len())]),
                1 => {
                    let end = char_floor(&s, (at + rng.below(12)).min(s.len()));
                    s.replace_range(at..end, "");
                }
                _ => {
                    let other = &seeds[rng.below(seeds.len())];
                    let from = char_floor(other, rng.below(other.len() + 1));
                    s.insert_str(at, &other[from..]);
                }
            }
        }
        run(&[s]);
    }
}

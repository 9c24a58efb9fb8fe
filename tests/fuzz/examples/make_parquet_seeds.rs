//! Writes the `parquet_decode` seed corpus: small Security Lake Parquet files
//! of OCSF 1.1.0 Authentication events produced by our own mapper and writer.
//!
//! `cargo run --example make_parquet_seeds -- corpus/parquet_decode`
//! (from `tests/fuzz`).

use std::path::PathBuf;

use ocsf_model::v1_1_0::Event;
use ocsf_mappers::{LinuxMapper, SourceConfig};
use ocsf_model::columnar::ColumnarOptions;
use securitylake_parquet::write_parquet;
use ocsf_model::v1_1_0::events::Authentication;

/// The attribute paths the seed files keep: small files (a few KiB) that
/// still hold structs, lists, maps and every physical type.
const PROJECTION: &[&str] = &[
    "user.name",
    "user.uid",
    "src_endpoint.ip",
    "src_endpoint.port",
    "dst_endpoint.hostname",
    "status",
    "auth_protocol",
    "logon_process.pid",
    "observables",
    "unmapped",
];

/// Seed files: name, how deep objects nest as structs, and the sshd / su
/// lines whose events it holds.
const SEEDS: &[(&str, usize, &[&str])] = &[
    (
        "one_logon.parquet",
        2,
        &[
            "Jun 10 06:13:20 bastion sshd[4242]: Accepted publickey for alice from 192.0.2.10 port 50022 ssh2: ED25519 SHA256:abc",
        ],
    ),
    (
        "mixed.parquet",
        1,
        &[
            "Jun 10 06:13:21 web1 sshd[811]: Failed password for invalid user admin from 198.51.100.7 port 40022 ssh2",
            "Jun 10 06:13:22 web1 sshd[812]: Accepted password for bob from 2001:db8::7 port 22 ssh2",
            "Jun 10 06:13:23 web1 sshd[812]: pam_unix(sshd:session): session opened for user bob(uid=1000) by (uid=0)",
            "Jun 10 06:13:24 web1 su(pam_unix)[900]: session opened for user root by bob(uid=1000)",
            "Jun 10 06:13:25 web1 sshd[812]: Disconnected from user bob 2001:db8::7 port 22",
        ],
    ),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "corpus/parquet_decode".to_owned()),
    );
    std::fs::create_dir_all(&dir)?;
    for (name, nesting, lines) in SEEDS {
        let options = ColumnarOptions::default()
            .with_projection(PROJECTION.iter().copied())
            .with_max_nesting(Some(*nesting));
        let mut mapper =
            LinuxMapper::new(SourceConfig::linux().with_reference_ms(1_718_000_000_000));
        let mut events: Vec<Authentication> = Vec::new();
        for line in *lines {
            for event in mapper.map_line(line) {
                if let Event::Authentication(auth) = event {
                    events.push(*auth);
                }
            }
        }
        if events.is_empty() {
            return Err(format!("{name}: no Authentication event mapped").into());
        }
        let bytes = write_parquet(&events, &options)?;
        let path = dir.join(name);
        std::fs::write(&path, &bytes)?;
        println!(
            "{}: {} events, {} bytes",
            path.display(),
            events.len(),
            bytes.len()
        );
    }
    Ok(())
}

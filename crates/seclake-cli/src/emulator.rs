//! `seclake emulator`: the local Security Lake emulator, until Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use securitylake_emulator::Emulator;

use crate::error::{EXIT_OK, Error, ErrorKind, Result};

/// Arguments of `seclake emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// The lake region.
    #[arg(long = "lake-region", default_value = "us-east-1")]
    region: String,
    /// The lake account id.
    #[arg(long, default_value = "123456789012")]
    account_id: String,
    /// The S3 data directory (default: a temporary directory, removed on exit).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The loopback address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,
    /// The lake bucket suffix (default: `emu<account id>`).
    #[arg(long)]
    lake_id: Option<String>,
}

/// Runs `seclake emulator`.
pub async fn run(args: EmulatorArgs) -> Result<u8> {
    if !args.bind.ip().is_loopback() {
        return Err(Error::input(format!(
            "--bind {}: the emulator does not verify signatures and only listens on loopback addresses",
            args.bind
        )));
    }
    let mut builder = Emulator::builder()
        .region(args.region)
        .account_id(args.account_id)
        .bind_address(args.bind);
    if let Some(dir) = args.data_dir {
        builder = builder.data_dir(dir);
    }
    if let Some(id) = args.lake_id {
        builder = builder.lake_id(id);
    }
    let emulator = builder.start().await.map_err(|e| {
        Error::new(ErrorKind::Service, format!("starting the emulator: {e}")).with_source(e)
    })?;
    {
        let mut out = std::io::stdout().lock();
        let io = |e| Error::io("writing output", e);
        writeln!(
            out,
            "# Security Lake emulator on {} (S3 is path-style only)",
            emulator.local_addr()
        )
        .map_err(io)?;
        writeln!(out, "# lake bucket: {}", emulator.lake_bucket()).map_err(io)?;
        writeln!(out, "# data directory: {}", emulator.data_dir().display()).map_err(io)?;
        for (name, value) in emulator.env_vars() {
            writeln!(out, "export {name}={value}").map_err(io)?;
        }
        writeln!(out, "export SECLAKE_LAKE_BUCKET={}", emulator.lake_bucket()).map_err(io)?;
        writeln!(out, "# press Ctrl-C to stop").map_err(io)?;
        out.flush().map_err(io)?;
    }
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("seclake emulator: waiting for Ctrl-C failed: {e}");
    }
    emulator.shutdown().await;
    Ok(EXIT_OK)
}

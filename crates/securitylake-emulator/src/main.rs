//! `securitylake-emulator`: runs the loopback Security Lake until Ctrl-C and
//! prints the environment variables that point the AWS SDKs at it.

use std::net::SocketAddr;
use std::process::ExitCode;

use securitylake_emulator::Emulator;

const USAGE: &str = "\
usage: securitylake-emulator [options]

  --region <region>        lake region (default us-east-1)
  --account-id <id>        lake account id (default 123456789012)
  --data-dir <dir>         S3 data directory (default: a temporary directory)
  --bind <addr:port>       loopback address to listen on (default 127.0.0.1:0)
  --lake-id <id>           lake bucket suffix (default emu<account id>)
  -h, --help               print this help
";

fn parse_args(args: &[String]) -> Result<Option<securitylake_emulator::EmulatorBuilder>, String> {
    let mut builder = Emulator::builder();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let value = iter
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?
            .clone();
        builder = match flag.as_str() {
            "--region" => builder.region(value),
            "--account-id" => builder.account_id(value),
            "--data-dir" => builder.data_dir(value),
            "--lake-id" => builder.lake_id(value),
            "--bind" => builder.bind_address(
                value
                    .parse::<SocketAddr>()
                    .map_err(|e| format!("--bind {value}: {e}"))?,
            ),
            other => return Err(format!("unknown option {other}")),
        };
    }
    Ok(Some(builder))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let builder = match parse_args(&args) {
        Ok(Some(builder)) => builder,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("securitylake-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let emulator = match builder.start().await {
        Ok(emulator) => emulator,
        Err(err) => {
            eprintln!("securitylake-emulator: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "# Security Lake emulator; S3 is path-style only (set force_path_style on S3 clients)."
    );
    println!("# lake bucket: {}", emulator.lake_bucket());
    println!("# data directory: {}", emulator.data_dir().display());
    for (name, value) in emulator.env_vars() {
        println!("export {name}={value}");
    }
    println!("# press Ctrl-C to stop");
    if let Err(err) = tokio::signal::ctrl_c().await {
        eprintln!("securitylake-emulator: waiting for Ctrl-C failed: {err}");
    }
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn arguments_parse() {
        assert!(matches!(parse_args(&args(&["--help"])), Ok(None)));
        assert!(matches!(
            parse_args(&args(&["--region", "eu-west-1", "--bind", "127.0.0.1:0"])),
            Ok(Some(_))
        ));
        assert!(parse_args(&args(&["--region"])).is_err());
        assert!(parse_args(&args(&["--bind", "nowhere"])).is_err());
        assert!(parse_args(&args(&["--what", "x"])).is_err());
    }
}

//! `seclake subscribe`: run a subscriber and print each event as a JSON line
//! or pipe it to a command.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use clap::Args;
use securitylake_subscriber::{
    Handler, HandlerError, HttpsSource, LakeObject, LocalSource, SqsSource, Subscriber,
    SubscriberStats,
};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use crate::common::AwsArgs;
use crate::error::{EXIT_FAILURE, EXIT_OK, Error, Result};
use crate::rows::batch_json;

/// Arguments of `seclake subscribe`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("from").required(true).args(["lake", "sqs", "https"])))]
pub struct SubscribeArgs {
    /// Watch a local lake directory.
    #[arg(long, value_name = "DIR")]
    lake: Option<PathBuf>,
    /// Only objects under this key prefix (with --lake), e.g. ext/myapp/.
    #[arg(long, requires = "lake")]
    prefix: Option<String>,
    /// Receive from an SQS queue (URL or ARN).
    #[arg(long, value_name = "QUEUE")]
    sqs: Option<String>,
    /// Listen for HTTPS (EventBridge API destination) notifications on this address.
    #[arg(long, value_name = "ADDR:PORT")]
    https: Option<SocketAddr>,
    /// Where received HTTPS notifications are spooled until processed.
    #[arg(long, value_name = "DIR")]
    spool_dir: Option<PathBuf>,
    /// The API-key header that HTTPS notifications must carry.
    #[arg(long, requires = "api_key_value")]
    api_key_name: Option<String>,
    /// The API-key value.
    #[arg(long, requires = "api_key_name")]
    api_key_value: Option<String>,
    /// TLS certificate (PEM) for the HTTPS listener.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) for the HTTPS listener.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Assume this subscriber role (with --external-id) to read.
    #[arg(long, requires = "external_id")]
    role_arn: Option<String>,
    /// The subscriber's external id.
    #[arg(long)]
    external_id: Option<String>,
    /// Pipe each event (JSON on stdin) to this shell command instead of printing it.
    #[arg(long, value_name = "COMMAND")]
    exec: Option<String>,
    /// Process what is available now and exit.
    #[arg(long, conflicts_with = "max_objects")]
    once: bool,
    /// Exit after this many objects were processed.
    #[arg(long, value_name = "N")]
    max_objects: Option<u64>,
    /// Objects processed at once (1 keeps the output in order).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
}

/// Prints or pipes every event of each object.
struct Emit {
    exec: Option<String>,
    lock: Mutex<()>,
}

impl Emit {
    async fn run_command(
        &self,
        command: &str,
        line: &[u8],
    ) -> std::result::Result<(), HandlerError> {
        let mut child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| HandlerError::permanent(format!("cannot run `{command}`: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(line)
                .await
                .map_err(|e| HandlerError::permanent(format!("writing to `{command}`: {e}")))?;
        }
        let status = child
            .wait()
            .await
            .map_err(|e| HandlerError::permanent(format!("waiting for `{command}`: {e}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(HandlerError::permanent(format!(
                "`{command}` exited with {status}"
            )))
        }
    }
}

#[async_trait::async_trait]
impl Handler for Emit {
    async fn handle(&self, object: &LakeObject) -> std::result::Result<(), HandlerError> {
        let info = object.info().clone();
        let mut batches = object.batches()?;
        let _guard = self.lock.lock().await;
        while let Some(batch) = batches.try_next().await? {
            let (rows, _) =
                batch_json(&info, &batch).map_err(|e| HandlerError::permanent(e.to_string()))?;
            for row in rows {
                let mut line = serde_json::to_vec(&row)
                    .map_err(|e| HandlerError::permanent(format!("encoding JSON: {e}")))?;
                line.push(b'\n');
                match &self.exec {
                    Some(command) => self.run_command(command, &line).await?,
                    None => {
                        let mut out = std::io::stdout().lock();
                        out.write_all(&line)
                            .and_then(|()| out.flush())
                            .map_err(|e| HandlerError::permanent(format!("writing stdout: {e}")))?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn print_summary(stats: &SubscriberStats) {
    eprintln!(
        "seclake subscribe: {} notifications, {} objects processed, {} duplicates, {} filtered, {} dead-lettered, {} retries",
        stats.notifications,
        stats.objects_processed,
        stats.duplicates,
        stats.filtered,
        stats.dead_lettered,
        stats.retries
    );
}

/// Runs `seclake subscribe`.
pub async fn run(args: SubscribeArgs, aws: &AwsArgs) -> Result<u8> {
    let handler = Emit {
        exec: args.exec.clone(),
        lock: Mutex::new(()),
    };
    let mut builder = Subscriber::builder()
        .handler(handler)
        .concurrency(args.concurrency);
    if let Some(dir) = &args.lake {
        crate::common::local_store(dir)?;
        let mut source = LocalSource::new(dir.clone()).interval(Duration::from_millis(500));
        if let Some(prefix) = &args.prefix {
            source = source.prefix(prefix.clone());
        }
        builder = builder.source(source);
    } else {
        let config = aws.load().await?;
        builder = builder.aws_config(config);
        if let (Some(role), Some(id)) = (&args.role_arn, &args.external_id) {
            builder = builder.subscriber_role(role.clone(), id.clone());
        }
        if let Some(queue) = &args.sqs {
            builder = builder.source(SqsSource::new(queue.clone()));
        } else if let Some(addr) = args.https {
            let spool = args.spool_dir.clone().ok_or_else(|| {
                Error::input("--spool-dir is required with --https (notifications are kept there until processed)")
            })?;
            let mut https = HttpsSource::builder(spool).bind_address(addr);
            if let (Some(name), Some(value)) = (&args.api_key_name, &args.api_key_value) {
                https = https.api_key(name.clone(), value.clone());
            }
            if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
                https = https.tls_pem_files(cert.clone(), key.clone());
            }
            let source = https.bind().await?;
            eprintln!("seclake subscribe: listening on {}", source.local_addr());
            builder = builder.source(source);
        }
    }
    let subscriber = builder.build().await?;
    if args.once {
        let stats = subscriber.run_once().await?;
        print_summary(&stats);
        return Ok(if stats.dead_lettered > 0 {
            EXIT_FAILURE
        } else {
            EXIT_OK
        });
    }
    let shutdown = subscriber.shutdown_handle();
    let stats_handle = subscriber.stats_handle();
    let limit = args.max_objects;
    let watcher = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = tokio::time::sleep(Duration::from_millis(100)) => {
                    let s = stats_handle.get();
                    if limit.is_some_and(|n| s.objects_processed + s.dead_lettered >= n) {
                        break;
                    }
                }
            }
        }
        shutdown.shutdown();
    });
    let result = subscriber.run().await;
    watcher.abort();
    let stats = result?;
    print_summary(&stats);
    Ok(if stats.dead_lettered > 0 {
        EXIT_FAILURE
    } else {
        EXIT_OK
    })
}

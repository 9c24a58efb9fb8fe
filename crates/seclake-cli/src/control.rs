//! `seclake source` and `seclake subscriber`: printers over
//! securitylake-control's [`Registrar`] and [`SubscriberRegistrar`].

use std::io::Write;

use clap::{Args, Subcommand};
use securitylake_control::{
    AccessType, CustomSource, HttpsNotification, Notification, NotificationMethod, Outcome,
    RegisteredSource, Registrar, SubscribedSource, SubscriberRegistrar, SubscriberSpec,
};

use crate::common::{AwsArgs, print_json};
use crate::error::{EXIT_FINDINGS, EXIT_OK, Error, Result};

/// `seclake source ...`
#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Register a custom source (idempotent: an existing one is reported, and drift exits 1).
    Register(RegisterArgs),
    /// List the log sources (custom and AWS).
    List(ListArgs),
    /// Delete a custom source (its data stays).
    Delete(DeleteArgs),
}

/// Arguments of `seclake source register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// The source name (at most 20 characters of [A-Za-z0-9_-:.]).
    #[arg(long)]
    name: String,
    /// The source version.
    #[arg(long)]
    source_version: Option<String>,
    /// An OCSF event class (e.g. AUTHENTICATION; repeatable).
    #[arg(long = "event-class", required = true)]
    event_classes: Vec<String>,
    /// The AWS account (principal) that writes the source's data.
    #[arg(long)]
    principal: String,
    /// The external id the writer assumes the provider role with.
    #[arg(long)]
    external_id: String,
    /// The IAM role of the source's Glue crawler.
    #[arg(long)]
    crawler_role_arn: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `seclake source list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `seclake source delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The source name.
    #[arg(long)]
    name: String,
}

/// `seclake subscriber ...`
#[derive(Debug, Subcommand)]
pub enum SubscriberCommand {
    /// Create a subscriber.
    Create(CreateSubscriberArgs),
    /// Create the subscriber's notification (SQS queue or HTTPS endpoint).
    Notify(NotifyArgs),
}

/// Arguments of `seclake subscriber create`.
#[derive(Debug, Args)]
pub struct CreateSubscriberArgs {
    /// The subscriber name.
    #[arg(long)]
    name: String,
    /// The subscriber's AWS account (principal).
    #[arg(long)]
    principal: String,
    /// The external id the subscriber assumes its role with.
    #[arg(long)]
    external_id: String,
    /// A custom source to read, NAME or NAME:VERSION (repeatable).
    #[arg(long = "source", value_name = "NAME[:VERSION]")]
    sources: Vec<String>,
    /// An AWS source to read, NAME or NAME:VERSION (e.g. CLOUD_TRAIL_MGMT:2.0; repeatable).
    #[arg(long = "aws-source", value_name = "NAME[:VERSION]")]
    aws_sources: Vec<String>,
    /// Access type: s3 (data access) or lakeformation (query access).
    #[arg(long, default_value = "s3", value_parser = ["s3", "lakeformation"])]
    access_type: String,
    /// A description.
    #[arg(long)]
    description: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `seclake subscriber notify`.
#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// The subscriber id.
    #[arg(long)]
    id: String,
    /// Notify through an SQS queue that Security Lake creates.
    #[arg(
        long,
        conflicts_with = "https_endpoint",
        required_unless_present = "https_endpoint"
    )]
    sqs: bool,
    /// Notify an HTTPS endpoint (an EventBridge API destination).
    #[arg(long, value_name = "URL", requires = "target_role_arn")]
    https_endpoint: Option<String>,
    /// The role EventBridge uses to call the endpoint.
    #[arg(long)]
    target_role_arn: Option<String>,
    /// The HTTP method.
    #[arg(long, default_value = "POST", value_parser = ["POST", "PUT"])]
    method: String,
    /// The API-key header name sent with each notification.
    #[arg(long, requires = "api_key_value")]
    api_key_name: Option<String>,
    /// The API-key header value.
    #[arg(long, requires = "api_key_name")]
    api_key_value: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn source_json(source: &RegisteredSource) -> serde_json::Value {
    serde_json::json!({
        "source_name": source.source_name,
        "source_version": source.source_version,
        "location": source.location.to_string(),
        "provider_role_arn": source.provider_role_arn,
        "crawler_arn": source.crawler_arn,
        "database_arn": source.database_arn,
        "table_arn": source.table_arn,
    })
}

fn out_err(e: std::io::Error) -> Error {
    Error::io("writing output", e)
}

/// Runs `seclake source ...`.
pub async fn source(command: SourceCommand, aws: &AwsArgs) -> Result<u8> {
    let registrar = Registrar::new(&aws.load().await?);
    match command {
        SourceCommand::Register(args) => {
            let mut builder = CustomSource::builder(args.name.clone())
                .principal(args.principal)
                .external_id(args.external_id)
                .crawler_role_arn(args.crawler_role_arn);
            if let Some(v) = args.source_version {
                builder = builder.version(v);
            }
            for class in args.event_classes {
                builder = builder.event_class(class);
            }
            let spec = builder.build()?;
            let done = registrar.reconcile(&spec).await?;
            let (outcome, drift) = match &done.outcome {
                Outcome::Created => ("created", None),
                Outcome::Unchanged => ("unchanged", None),
                Outcome::Drifted(d) => ("drifted", Some(d.to_string())),
                _ => ("unknown", None),
            };
            if args.json {
                let mut value = source_json(&done.source);
                value["outcome"] = outcome.into();
                value["drift"] = drift.clone().into();
                print_json(&value)?;
            } else {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{outcome}: {}", done.source.source_name).map_err(out_err)?;
                writeln!(out, "location: {}", done.source.location).map_err(out_err)?;
                writeln!(out, "provider role: {}", done.source.provider_role_arn)
                    .map_err(out_err)?;
                if let Some(d) = &drift {
                    writeln!(out, "drift: {d}").map_err(out_err)?;
                }
            }
            Ok(if drift.is_some() {
                EXIT_FINDINGS
            } else {
                EXIT_OK
            })
        }
        SourceCommand::List(args) => {
            let sources = registrar.list().await?;
            let custom = &sources.custom;
            let native: Vec<(&str, &str, &str, &str)> = sources
                .aws
                .iter()
                .map(|a| {
                    (
                        a.account.as_deref().unwrap_or_default(),
                        a.region.as_deref().unwrap_or_default(),
                        a.source_name.as_str(),
                        a.source_version.as_deref().unwrap_or_default(),
                    )
                })
                .collect();
            if args.json {
                print_json(&serde_json::json!({
                    "custom": custom.iter().map(source_json).collect::<Vec<_>>(),
                    "aws": native.iter().map(|(account, region, name, version)| serde_json::json!({
                        "account": account, "region": region, "source_name": name, "source_version": version,
                    })).collect::<Vec<_>>(),
                }))?;
            } else {
                let mut out = std::io::stdout().lock();
                for s in custom {
                    writeln!(
                        out,
                        "custom\t{}\t{}\t{}",
                        s.source_name,
                        s.source_version.as_deref().unwrap_or("-"),
                        s.location
                    )
                    .map_err(out_err)?;
                }
                for (account, region, name, version) in &native {
                    writeln!(out, "aws\t{name}\t{version}\t{account}/{region}").map_err(out_err)?;
                }
                if custom.is_empty() && native.is_empty() {
                    writeln!(out, "no log sources").map_err(out_err)?;
                }
            }
            Ok(EXIT_OK)
        }
        SourceCommand::Delete(args) => {
            registrar.delete(&args.name).await?;
            println!("deleted: {} (its data stays in the lake)", args.name);
            Ok(EXIT_OK)
        }
    }
}

/// Runs `seclake subscriber ...`.
pub async fn subscriber(command: SubscriberCommand, aws: &AwsArgs) -> Result<u8> {
    let subscribers = SubscriberRegistrar::new(&aws.load().await?);
    match command {
        SubscriberCommand::Create(args) => {
            if args.sources.is_empty() && args.aws_sources.is_empty() {
                return Err(Error::input(
                    "name at least one source to read: --source NAME[:VERSION] or --aws-source NAME[:VERSION]",
                ));
            }
            let mut spec = SubscriberSpec::builder(args.name)
                .principal(args.principal)
                .external_id(args.external_id)
                .access_type(args.access_type.parse::<AccessType>()?);
            for source in &args.sources {
                spec = spec.source(SubscribedSource::parse_custom(source)?);
            }
            for source in &args.aws_sources {
                spec = spec.source(SubscribedSource::parse_aws(source)?);
            }
            if let Some(description) = args.description {
                spec = spec.description(description);
            }
            let sub = subscribers.create(&spec.build()?).await?;
            if args.json {
                print_json(&serde_json::json!({
                    "subscriber_id": sub.subscriber_id,
                    "subscriber_arn": sub.subscriber_arn,
                    "subscriber_name": sub.subscriber_name,
                    "role_arn": sub.role_arn,
                    "s3_bucket_arn": sub.s3_bucket_arn,
                    "subscriber_endpoint": sub.subscriber_endpoint,
                    "resource_share_arn": sub.resource_share_arn,
                }))?;
            } else {
                let mut out = std::io::stdout().lock();
                writeln!(out, "subscriber id: {}", sub.subscriber_id).map_err(out_err)?;
                writeln!(out, "subscriber arn: {}", sub.subscriber_arn).map_err(out_err)?;
                if let Some(role) = &sub.role_arn {
                    writeln!(out, "role: {role}").map_err(out_err)?;
                }
                if let Some(bucket) = &sub.s3_bucket_arn {
                    writeln!(out, "bucket: {bucket}").map_err(out_err)?;
                }
            }
            Ok(EXIT_OK)
        }
        SubscriberCommand::Notify(args) => {
            let notification = match &args.https_endpoint {
                Some(endpoint) => {
                    let mut https = HttpsNotification::new(
                        endpoint,
                        args.target_role_arn.clone().unwrap_or_default(),
                    )
                    .method(args.method.parse::<NotificationMethod>()?);
                    if let (Some(name), Some(value)) = (&args.api_key_name, &args.api_key_value) {
                        https = https.api_key(name, value);
                    }
                    Notification::Https(https)
                }
                None => Notification::Sqs,
            };
            let endpoint = subscribers
                .create_notification(&args.id, &notification)
                .await?;
            if args.json {
                print_json(&serde_json::json!({
                    "subscriber_id": args.id,
                    "subscriber_endpoint": endpoint,
                }))?;
            } else {
                println!(
                    "notification created for {}: {}",
                    args.id,
                    endpoint.as_deref().unwrap_or("(no endpoint returned)")
                );
            }
            Ok(EXIT_OK)
        }
    }
}

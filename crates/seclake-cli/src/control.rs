//! `seclake source` and `seclake subscriber`: the Security Lake control
//! plane through aws-sdk-securitylake (custom sources through
//! securitylake-source's [`Registrar`]).

use std::io::Write;

use aws_sdk_securitylake::error::DisplayErrorContext;
use aws_sdk_securitylake::types::{
    AccessType, AwsIdentity, AwsLogSourceName, AwsLogSourceResource, CustomLogSourceResource,
    HttpMethod, HttpsNotificationConfiguration, LogSourceResource, NotificationConfiguration,
    SqsNotificationConfiguration,
};
use clap::{Args, Subcommand};
use securitylake_source::{CustomSource, Outcome, RegisteredSource, Registrar};

use crate::common::{AwsArgs, print_json};
use crate::error::{EXIT_FINDINGS, EXIT_OK, Error, ErrorKind, Result};

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

fn sdk_error<E, R>(operation: &str, err: aws_sdk_securitylake::error::SdkError<E, R>) -> Error
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let kind = match &err {
        aws_sdk_securitylake::error::SdkError::ConstructionFailure(_) => ErrorKind::Input,
        _ => ErrorKind::Service,
    };
    Error::new(
        kind,
        format!("{operation} failed: {}", DisplayErrorContext(&err)),
    )
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
    let client = aws.securitylake().await?;
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
            let done = Registrar::new(client).reconcile(&spec).await?;
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
            let mut pages = client.list_log_sources().into_paginator().send();
            let mut custom = Vec::new();
            let mut native = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| sdk_error("ListLogSources", e))?;
                for entry in page.sources() {
                    for resource in entry.sources() {
                        match resource {
                            LogSourceResource::CustomLogSource(c) => {
                                custom.push(RegisteredSource::from_resource(c)?)
                            }
                            LogSourceResource::AwsLogSource(a) => native.push((
                                entry.account().unwrap_or_default().to_owned(),
                                entry.region().unwrap_or_default().to_owned(),
                                a.source_name()
                                    .map(|n| n.as_str().to_owned())
                                    .unwrap_or_default(),
                                a.source_version().unwrap_or_default().to_owned(),
                            )),
                            _ => {}
                        }
                    }
                }
            }
            if args.json {
                print_json(&serde_json::json!({
                    "custom": custom.iter().map(source_json).collect::<Vec<_>>(),
                    "aws": native.iter().map(|(account, region, name, version)| serde_json::json!({
                        "account": account, "region": region, "source_name": name, "source_version": version,
                    })).collect::<Vec<_>>(),
                }))?;
            } else {
                let mut out = std::io::stdout().lock();
                for s in &custom {
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
            Registrar::new(client).delete(&args.name).await?;
            println!("deleted: {} (its data stays in the lake)", args.name);
            Ok(EXIT_OK)
        }
    }
}

fn split_version(spec: &str) -> (&str, Option<&str>) {
    match spec.split_once(':') {
        Some((n, v)) if !v.is_empty() => (n, Some(v)),
        _ => (spec.trim_end_matches(':'), None),
    }
}

/// Runs `seclake subscriber ...`.
pub async fn subscriber(command: SubscriberCommand, aws: &AwsArgs) -> Result<u8> {
    let client = aws.securitylake().await?;
    match command {
        SubscriberCommand::Create(args) => {
            if args.sources.is_empty() && args.aws_sources.is_empty() {
                return Err(Error::input(
                    "name at least one source to read: --source NAME[:VERSION] or --aws-source NAME[:VERSION]",
                ));
            }
            let identity = AwsIdentity::builder()
                .principal(args.principal)
                .external_id(args.external_id)
                .build()
                .map_err(|e| Error::input(format!("subscriber identity: {e}")))?;
            let mut request = client
                .create_subscriber()
                .subscriber_name(args.name)
                .subscriber_identity(identity)
                .access_types(if args.access_type == "s3" {
                    AccessType::S3
                } else {
                    AccessType::Lakeformation
                })
                .set_subscriber_description(args.description);
            for spec in &args.sources {
                let (name, version) = split_version(spec);
                request = request.sources(LogSourceResource::CustomLogSource(
                    CustomLogSourceResource::builder()
                        .source_name(name)
                        .set_source_version(version.map(str::to_owned))
                        .build(),
                ));
            }
            for spec in &args.aws_sources {
                let (name, version) = split_version(spec);
                request = request.sources(LogSourceResource::AwsLogSource(
                    AwsLogSourceResource::builder()
                        .source_name(AwsLogSourceName::from(name))
                        .set_source_version(version.map(str::to_owned))
                        .build(),
                ));
            }
            let output = request
                .send()
                .await
                .map_err(|e| sdk_error("CreateSubscriber", e))?;
            let sub = output
                .subscriber()
                .ok_or_else(|| Error::service("CreateSubscriber returned no subscriber"))?;
            if args.json {
                print_json(&serde_json::json!({
                    "subscriber_id": sub.subscriber_id(),
                    "subscriber_arn": sub.subscriber_arn(),
                    "subscriber_name": sub.subscriber_name(),
                    "role_arn": sub.role_arn(),
                    "s3_bucket_arn": sub.s3_bucket_arn(),
                    "subscriber_endpoint": sub.subscriber_endpoint(),
                    "resource_share_arn": sub.resource_share_arn(),
                }))?;
            } else {
                let mut out = std::io::stdout().lock();
                writeln!(out, "subscriber id: {}", sub.subscriber_id()).map_err(out_err)?;
                writeln!(out, "subscriber arn: {}", sub.subscriber_arn()).map_err(out_err)?;
                if let Some(role) = sub.role_arn() {
                    writeln!(out, "role: {role}").map_err(out_err)?;
                }
                if let Some(bucket) = sub.s3_bucket_arn() {
                    writeln!(out, "bucket: {bucket}").map_err(out_err)?;
                }
            }
            Ok(EXIT_OK)
        }
        SubscriberCommand::Notify(args) => {
            let configuration = match &args.https_endpoint {
                Some(endpoint) => {
                    let mut https = HttpsNotificationConfiguration::builder()
                        .endpoint(endpoint)
                        .target_role_arn(args.target_role_arn.clone().unwrap_or_default())
                        .http_method(HttpMethod::from(args.method.as_str()));
                    if let (Some(name), Some(value)) = (&args.api_key_name, &args.api_key_value) {
                        https = https
                            .authorization_api_key_name(name)
                            .authorization_api_key_value(value);
                    }
                    NotificationConfiguration::HttpsNotificationConfiguration(
                        https
                            .build()
                            .map_err(|e| Error::input(format!("HTTPS notification: {e}")))?,
                    )
                }
                None => NotificationConfiguration::SqsNotificationConfiguration(
                    SqsNotificationConfiguration::builder().build(),
                ),
            };
            let output = client
                .create_subscriber_notification()
                .subscriber_id(&args.id)
                .configuration(configuration)
                .send()
                .await
                .map_err(|e| sdk_error("CreateSubscriberNotification", e))?;
            let endpoint = output.subscriber_endpoint();
            if args.json {
                print_json(&serde_json::json!({
                    "subscriber_id": args.id,
                    "subscriber_endpoint": endpoint,
                }))?;
            } else {
                println!(
                    "notification created for {}: {}",
                    args.id,
                    endpoint.unwrap_or("(no endpoint returned)")
                );
            }
            Ok(EXIT_OK)
        }
    }
}

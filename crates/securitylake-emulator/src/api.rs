//! The Security Lake rest-json routes.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::encoding::percent_decode;
use crate::fault::{Fault, Operation};
use crate::state::{
    HttpsTarget, NotificationTarget, Shared, SourceRecord, SubscribedSource, SubscriberRecord,
};
use crate::util::random_string;

/// The most custom sources one account may have.
pub(crate) const MAX_CUSTOM_SOURCES: usize = 50;
/// The most sources one subscriber may read.
pub(crate) const MAX_SUBSCRIBER_SOURCES: usize = 10;
/// IAM's limit on role names.
const MAX_ROLE_NAME: usize = 64;
/// Page size of `ListLogSources` when the request gives none.
pub(crate) const DEFAULT_PAGE_SIZE: usize = 50;
/// The native (AWS) source names a subscriber may name.
const NATIVE_SOURCES: [&str; 8] = [
    "ROUTE53",
    "VPC_FLOW",
    "SH_FINDINGS",
    "CLOUD_TRAIL_MGMT",
    "LAMBDA_EXECUTION",
    "S3_DATA",
    "EKS_AUDIT",
    "WAF",
];

/// An error answered with the API's error shape.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: u16,
    code: &'static str,
    message: String,
    resource: Option<(String, &'static str)>,
    retry_after: Option<Duration>,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            resource: None,
            retry_after: None,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequestException", message)
    }

    fn not_found(name: &str, kind: &'static str) -> Self {
        Self {
            resource: Some((name.to_owned(), kind)),
            ..Self::new(
                404,
                "ResourceNotFoundException",
                format!("{kind} {name} was not found"),
            )
        }
    }

    fn conflict(name: &str, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            resource: Some((name.to_owned(), kind)),
            ..Self::new(409, "ConflictException", message)
        }
    }

    pub(crate) fn access_denied(message: impl Into<String>) -> Self {
        Self::new(403, "AccessDeniedException", message)
    }

    pub(crate) fn unknown_operation(method: &Method, path: &str) -> Self {
        Self::new(
            404,
            "UnknownOperationException",
            format!("no Security Lake operation is served at {method} {path}"),
        )
    }

    pub(crate) fn from_fault(fault: &Fault) -> Self {
        Self {
            retry_after: fault.retry_after_delay(),
            ..Self::new(fault.status(), fault.static_code(), fault.error_message())
        }
    }

    /// The HTTP response: `x-amzn-ErrorType` plus a JSON body with `message`.
    pub(crate) fn into_response(self) -> Response<Bytes> {
        let mut body = json!({ "message": self.message });
        if let Some(object) = body.as_object_mut() {
            if let Some((name, kind)) = &self.resource {
                object.insert("resourceName".to_owned(), json!(name));
                object.insert("resourceType".to_owned(), json!(kind));
            }
            if let Some(delay) = self.retry_after {
                object.insert("retryAfterSeconds".to_owned(), json!(delay.as_secs()));
            }
        }
        let mut response = json_response(self.status, &body);
        response
            .headers_mut()
            .insert("x-amzn-errortype", HeaderValue::from_static(self.code));
        if let Some(delay) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&delay.as_secs().to_string())
        {
            response.headers_mut().insert("retry-after", value);
        }
        response
    }
}

/// A JSON response with a request id.
pub(crate) fn json_response(status: u16, body: &Value) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body.to_string()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

/// Matches a method and raw path to an operation and its decoded labels.
pub(crate) fn route(method: &Method, path: &str) -> Option<(Operation, Option<String>)> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let label = |raw: &str| percent_decode(raw, false);
    let (op, label) = match (method, segments.as_slice()) {
        (&Method::POST, ["v1", "datalake", "logsources", "custom"]) => {
            (Operation::CreateCustomLogSource, None)
        }
        (&Method::DELETE, ["v1", "datalake", "logsources", "custom", name]) => {
            (Operation::DeleteCustomLogSource, Some(label(name)?))
        }
        (&Method::POST, ["v1", "datalake", "logsources", "list"]) => {
            (Operation::ListLogSources, None)
        }
        (&Method::POST, ["v1", "subscribers"]) => (Operation::CreateSubscriber, None),
        (&Method::GET, ["v1", "subscribers", id]) => (Operation::GetSubscriber, Some(label(id)?)),
        (&Method::DELETE, ["v1", "subscribers", id]) => {
            (Operation::DeleteSubscriber, Some(label(id)?))
        }
        (&Method::POST, ["v1", "subscribers", id, "notification"]) => {
            (Operation::CreateSubscriberNotification, Some(label(id)?))
        }
        (&Method::PUT, ["v1", "subscribers", id, "notification"]) => {
            (Operation::UpdateSubscriberNotification, Some(label(id)?))
        }
        (&Method::DELETE, ["v1", "subscribers", id, "notification"]) => {
            (Operation::DeleteSubscriberNotification, Some(label(id)?))
        }
        _ => return None,
    };
    if label.as_deref().is_some_and(str::is_empty) {
        return None;
    }
    Some((op, label))
}

/// Runs one routed request; `label` is the path label, `query` the raw query.
pub(crate) fn dispatch(
    shared: &Shared,
    op: Operation,
    label: Option<String>,
    query: Option<&str>,
    body: &[u8],
) -> Result<Value, ApiError> {
    let label = label.unwrap_or_default();
    match op {
        Operation::CreateCustomLogSource => create_custom_log_source(shared, parse(body)?),
        Operation::DeleteCustomLogSource => delete_custom_log_source(shared, &label, query),
        Operation::ListLogSources => list_log_sources(shared, parse(body)?),
        Operation::CreateSubscriber => create_subscriber(shared, parse(body)?),
        Operation::GetSubscriber => get_subscriber(shared, &label),
        Operation::DeleteSubscriber => delete_subscriber(shared, &label),
        Operation::CreateSubscriberNotification => {
            set_notification(shared, &label, parse(body)?, true)
        }
        Operation::UpdateSubscriberNotification => {
            set_notification(shared, &label, parse(body)?, false)
        }
        Operation::DeleteSubscriberNotification => delete_notification(shared, &label),
    }
}

fn parse<T: for<'de> Deserialize<'de> + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid: {e}")))
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

fn required<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, ApiError> {
    match value.as_deref() {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(ApiError::bad_request(format!("{field} is required"))),
    }
}

/// `sourceName`: 1-64 characters of `[\w\-_:.]` (`\w` is `[A-Za-z0-9_]`).
pub(crate) fn validate_source_name(name: &str) -> Result<(), ApiError> {
    let len = name.chars().count();
    if !(1..=64).contains(&len) {
        return Err(ApiError::bad_request(format!(
            "sourceName must be 1 to 64 characters long, got {len}"
        )));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.')))
    {
        return Err(ApiError::bad_request(format!(
            "sourceName {name:?} does not match the pattern [\\w\\-_:.]*: {c:?} is not allowed"
        )));
    }
    Ok(())
}

/// `sourceVersion`: 1-32 characters of `[A-Za-z0-9\-._]`.
pub(crate) fn validate_source_version(version: &str) -> Result<(), ApiError> {
    let len = version.chars().count();
    if !(1..=32).contains(&len)
        || !version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(ApiError::bad_request(format!(
            "sourceVersion {version:?} must be 1 to 32 characters of [A-Za-z0-9\\-._]"
        )));
    }
    Ok(())
}

/// `arn:<partition>:iam::<12 digits>:role/<name>`.
fn validate_role_arn(arn: &str, field: &str) -> Result<(), ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = matches!(
        parts.as_slice(),
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty())
    );
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "{field} {arn:?} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
        )))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identity {
    principal: Option<String>,
    external_id: Option<String>,
}

impl Identity {
    fn validate(&self, field: &str) -> Result<(String, String), ApiError> {
        let principal = required(&self.principal, &format!("{field}.principal"))?;
        let external_id = required(&self.external_id, &format!("{field}.externalId"))?;
        Ok((principal.to_owned(), external_id.to_owned()))
    }
}

// ---------------------------------------------------------------------------
// Custom log sources
// ---------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateCustomLogSourceRequest {
    source_name: Option<String>,
    source_version: Option<String>,
    event_classes: Option<Vec<String>>,
    configuration: Option<CustomSourceConfiguration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomSourceConfiguration {
    crawler_configuration: Option<CrawlerConfiguration>,
    provider_identity: Option<Identity>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CrawlerConfiguration {
    role_arn: Option<String>,
}

fn create_custom_log_source(
    shared: &Shared,
    request: CreateCustomLogSourceRequest,
) -> Result<Value, ApiError> {
    let settings = &shared.settings;
    let name = required(&request.source_name, "sourceName")?;
    validate_source_name(name)?;
    let role_name = settings.provider_role_name(name);
    if role_name.len() > MAX_ROLE_NAME {
        return Err(ApiError::bad_request(format!(
            "sourceName {name:?} is too long: the provider role name {role_name:?} would exceed \
             IAM's {MAX_ROLE_NAME} characters"
        )));
    }
    if let Some(version) = &request.source_version {
        validate_source_version(version)?;
    }
    let event_classes = request.event_classes.unwrap_or_default();
    if let Some(bad) = event_classes
        .iter()
        .find(|c| c.is_empty() || c.len() > 128 || c.chars().any(char::is_control))
    {
        return Err(ApiError::bad_request(format!(
            "eventClasses contains an invalid value {bad:?}"
        )));
    }
    let configuration = request
        .configuration
        .ok_or_else(|| ApiError::bad_request("configuration is required"))?;
    let crawler_role_arn = configuration
        .crawler_configuration
        .as_ref()
        .map(|c| required(&c.role_arn, "configuration.crawlerConfiguration.roleArn"))
        .transpose()?
        .ok_or_else(|| ApiError::bad_request("configuration.crawlerConfiguration is required"))?
        .to_owned();
    validate_role_arn(
        &crawler_role_arn,
        "configuration.crawlerConfiguration.roleArn",
    )?;
    let (principal, external_id) = configuration
        .provider_identity
        .as_ref()
        .ok_or_else(|| ApiError::bad_request("configuration.providerIdentity is required"))?
        .validate("configuration.providerIdentity")?;

    let database = settings.glue_database();
    let table = settings.glue_table(name);
    let record = SourceRecord {
        name: name.to_owned(),
        version: request.source_version.clone(),
        event_classes,
        crawler_role_arn,
        principal,
        external_id,
        provider_role_arn: settings.role_arn(&role_name),
        location: String::new(),
        crawler_arn: settings.glue_arn(&format!("crawler/{name}")),
        database_arn: settings.glue_arn(&format!("database/{database}")),
        table_arn: settings.glue_arn(&format!("table/{database}/{table}")),
    };
    let record = SourceRecord {
        location: format!("s3://{}/{}", settings.bucket, record.key_prefix()),
        ..record
    };

    let mut state = shared.state();
    if state.sources.contains_key(name) {
        return Err(ApiError::conflict(
            name,
            "CustomLogSource",
            format!("a custom log source named {name} already exists"),
        ));
    }
    if state.sources.len() >= MAX_CUSTOM_SOURCES {
        return Err(ApiError::bad_request(format!(
            "the account already has the maximum of {MAX_CUSTOM_SOURCES} custom log sources"
        )));
    }
    let json = json!({ "source": record.to_json() });
    state.sources.insert(name.to_owned(), record);
    Ok(json)
}

fn delete_custom_log_source(
    shared: &Shared,
    name: &str,
    query: Option<&str>,
) -> Result<Value, ApiError> {
    validate_source_name(name)?;
    let version = query
        .and_then(crate::encoding::parse_form)
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "sourceVersion")
        .map(|(_, v)| v);
    if let Some(version) = &version {
        validate_source_version(version)?;
    }
    let mut state = shared.state();
    let matches = state
        .sources
        .get(name)
        .is_some_and(|s| version.is_none() || s.version == version);
    if matches {
        state.sources.remove(name);
    }
    // Idempotent: deleting an absent source succeeds. The crawler, its role
    // and the data stay behind, as in the service.
    Ok(json!({}))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListLogSourcesRequest {
    accounts: Option<Vec<String>>,
    regions: Option<Vec<String>>,
    sources: Option<Vec<SourceUnion>>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SourceUnion {
    aws_log_source: Option<NamedSource>,
    custom_log_source: Option<NamedSource>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NamedSource {
    source_name: Option<String>,
    source_version: Option<String>,
}

impl SourceUnion {
    fn resolve(&self) -> Result<SubscribedSource, ApiError> {
        match (&self.aws_log_source, &self.custom_log_source) {
            (Some(aws), None) => Ok(SubscribedSource::Aws {
                name: required(&aws.source_name, "awsLogSource.sourceName")?.to_owned(),
                version: aws.source_version.clone(),
            }),
            (None, Some(custom)) => Ok(SubscribedSource::Custom {
                name: required(&custom.source_name, "customLogSource.sourceName")?.to_owned(),
                version: custom.source_version.clone(),
            }),
            _ => Err(ApiError::bad_request(
                "a log source must set exactly one of awsLogSource and customLogSource",
            )),
        }
    }
}

/// Page tokens are the hex-encoded name of the next source.
fn encode_token(name: &str) -> String {
    hex::encode(name)
}

fn decode_token(token: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::bad_request("nextToken is not valid");
    if token.is_empty() {
        return Err(invalid());
    }
    let bytes = hex::decode(token).map_err(|_| invalid())?;
    String::from_utf8(bytes).map_err(|_| invalid())
}

fn list_log_sources(shared: &Shared, request: ListLogSourcesRequest) -> Result<Value, ApiError> {
    let settings = &shared.settings;
    let page_size = match request.max_results {
        None => DEFAULT_PAGE_SIZE,
        Some(n) if (1..=1000).contains(&n) => usize::try_from(n).unwrap_or(DEFAULT_PAGE_SIZE),
        Some(n) => {
            return Err(ApiError::bad_request(format!(
                "maxResults must be between 1 and 1000, got {n}"
            )));
        }
    };
    let start = request
        .next_token
        .as_deref()
        .map(decode_token)
        .transpose()?;
    let filters = request
        .sources
        .unwrap_or_default()
        .iter()
        .map(SourceUnion::resolve)
        .collect::<Result<Vec<_>, _>>()?;
    let in_scope = request
        .accounts
        .is_none_or(|a| a.is_empty() || a.contains(&settings.account_id))
        && request
            .regions
            .is_none_or(|r| r.is_empty() || r.contains(&settings.region));

    let state = shared.state();
    let mut matching = state
        .sources
        .range(start.unwrap_or_default()..)
        .map(|(_, record)| record)
        .filter(|_| in_scope)
        .filter(|record| {
            filters.is_empty()
                || filters.iter().any(|f| match f {
                    SubscribedSource::Custom { name, version } => {
                        *name == record.name && (version.is_none() || *version == record.version)
                    }
                    SubscribedSource::Aws { .. } => false,
                })
        });
    let page: Vec<Value> = matching
        .by_ref()
        .take(page_size)
        .map(|record| {
            json!({
                "account": settings.account_id,
                "region": settings.region,
                "sources": [{ "customLogSource": record.to_json() }],
            })
        })
        .collect();
    let mut out = json!({ "sources": page });
    if let (Some(next), Some(object)) = (matching.next(), out.as_object_mut()) {
        object.insert("nextToken".to_owned(), json!(encode_token(&next.name)));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Subscribers
// ---------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateSubscriberRequest {
    subscriber_name: Option<String>,
    subscriber_description: Option<String>,
    subscriber_identity: Option<Identity>,
    sources: Option<Vec<SourceUnion>>,
    access_types: Option<Vec<String>>,
}

fn create_subscriber(shared: &Shared, request: CreateSubscriberRequest) -> Result<Value, ApiError> {
    let settings = &shared.settings;
    let name = required(&request.subscriber_name, "subscriberName")?;
    if name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "subscriberName must be 1 to 64 printable characters",
        ));
    }
    let (principal, external_id) = request
        .subscriber_identity
        .as_ref()
        .ok_or_else(|| ApiError::bad_request("subscriberIdentity is required"))?
        .validate("subscriberIdentity")?;
    let sources = request
        .sources
        .unwrap_or_default()
        .iter()
        .map(SourceUnion::resolve)
        .collect::<Result<Vec<_>, _>>()?;
    if sources.is_empty() || sources.len() > MAX_SUBSCRIBER_SOURCES {
        return Err(ApiError::bad_request(format!(
            "sources must list 1 to {MAX_SUBSCRIBER_SOURCES} log sources, got {}",
            sources.len()
        )));
    }
    let access_types = request
        .access_types
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| vec!["S3".to_owned()]);
    if let Some(bad) = access_types
        .iter()
        .find(|t| !matches!(t.as_str(), "S3" | "LAKEFORMATION"))
    {
        return Err(ApiError::bad_request(format!(
            "accessTypes contains {bad:?}; expected S3 or LAKEFORMATION"
        )));
    }

    let mut state = shared.state();
    for source in &sources {
        match source {
            SubscribedSource::Aws { name, version } => {
                if !NATIVE_SOURCES.contains(&name.as_str()) {
                    return Err(ApiError::bad_request(format!(
                        "awsLogSource.sourceName {name:?} is not one of {}",
                        NATIVE_SOURCES.join(", ")
                    )));
                }
                if let Some(v) = version
                    && !matches!(v.as_str(), "1.0" | "2.0")
                {
                    return Err(ApiError::bad_request(format!(
                        "awsLogSource.sourceVersion {v:?} must be 1.0 or 2.0"
                    )));
                }
            }
            SubscribedSource::Custom { name, .. } => {
                if !state.sources.contains_key(name) {
                    return Err(ApiError::not_found(name, "CustomLogSource"));
                }
            }
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = SystemTime::now();
    let lake_formation = access_types.iter().any(|t| t == "LAKEFORMATION");
    let record = SubscriberRecord {
        role_arn: settings.role_arn(&format!("AmazonSecurityLake-{id}")),
        resource_share_arn: lake_formation.then(|| {
            format!(
                "arn:aws:ram:{}:{}:resource-share/{}",
                settings.region,
                settings.account_id,
                uuid::Uuid::new_v4()
            )
        }),
        resource_share_name: lake_formation.then(|| {
            format!(
                "LakeFormation-V3-{}",
                random_string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10)
            )
        }),
        id: id.clone(),
        name: name.to_owned(),
        description: request.subscriber_description.clone(),
        principal,
        external_id,
        sources,
        access_types,
        created_at: now,
        updated_at: now,
        endpoint: None,
        notification: None,
    };
    let json = json!({ "subscriber": record.to_json(settings, &state.sources) });
    state.subscribers.insert(id, record);
    Ok(json)
}

fn get_subscriber(shared: &Shared, id: &str) -> Result<Value, ApiError> {
    let state = shared.state();
    let record = state
        .subscribers
        .get(id)
        .ok_or_else(|| ApiError::not_found(id, "Subscriber"))?;
    Ok(json!({ "subscriber": record.to_json(&shared.settings, &state.sources) }))
}

fn delete_subscriber(shared: &Shared, id: &str) -> Result<Value, ApiError> {
    let mut state = shared.state();
    state
        .subscribers
        .remove(id)
        .ok_or_else(|| ApiError::not_found(id, "Subscriber"))?;
    state.queues.remove(id);
    Ok(json!({}))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NotificationRequest {
    configuration: Option<NotificationConfiguration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NotificationConfiguration {
    sqs_notification_configuration: Option<Value>,
    https_notification_configuration: Option<HttpsConfiguration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpsConfiguration {
    endpoint: Option<String>,
    target_role_arn: Option<String>,
    http_method: Option<String>,
    authorization_api_key_name: Option<String>,
    authorization_api_key_value: Option<String>,
}

fn https_target(config: &HttpsConfiguration) -> Result<HttpsTarget, ApiError> {
    let field = "httpsNotificationConfiguration";
    let endpoint = required(&config.endpoint, &format!("{field}.endpoint"))?;
    let uri: http::Uri = endpoint.parse().map_err(|_| {
        ApiError::bad_request(format!("{field}.endpoint {endpoint:?} is not a valid URL"))
    })?;
    match uri.scheme_str() {
        Some("http") if uri.host().is_some() => {}
        Some("https") => {
            return Err(ApiError::bad_request(format!(
                "{field}.endpoint {endpoint:?}: the emulator delivers notifications over plain \
                 HTTP only; use an http:// endpoint (for example a loopback receiver)"
            )));
        }
        _ => {
            return Err(ApiError::bad_request(format!(
                "{field}.endpoint {endpoint:?} must be an absolute http:// URL"
            )));
        }
    }
    let role = required(&config.target_role_arn, &format!("{field}.targetRoleArn"))?;
    validate_role_arn(role, &format!("{field}.targetRoleArn"))?;
    let method = match config.http_method.as_deref() {
        None | Some("POST") => Method::POST,
        Some("PUT") => Method::PUT,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "{field}.httpMethod {other:?} must be POST or PUT"
            )));
        }
    };
    let api_key = match (
        config.authorization_api_key_name.as_deref(),
        config.authorization_api_key_value.as_deref(),
    ) {
        (None, None) => None,
        (Some(name), Some(value)) => {
            let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ApiError::bad_request(format!(
                    "{field}.authorizationApiKeyName {name:?} is not a valid header name"
                ))
            })?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                ApiError::bad_request(format!(
                    "{field}.authorizationApiKeyValue is not a valid header value"
                ))
            })?;
            Some((name, value))
        }
        _ => {
            return Err(ApiError::bad_request(format!(
                "{field}.authorizationApiKeyName and authorizationApiKeyValue go together"
            )));
        }
    };
    Ok(HttpsTarget {
        endpoint: uri,
        method,
        api_key,
    })
}

fn set_notification(
    shared: &Shared,
    id: &str,
    request: NotificationRequest,
    create: bool,
) -> Result<Value, ApiError> {
    let settings = &shared.settings;
    let configuration = request
        .configuration
        .ok_or_else(|| ApiError::bad_request("configuration is required"))?;
    let (target, endpoint) = match (
        &configuration.sqs_notification_configuration,
        &configuration.https_notification_configuration,
    ) {
        (Some(_), None) => (
            NotificationTarget::Sqs,
            format!(
                "arn:aws:sqs:{}:{}:AmazonSecurityLake-{id}-Main-Queue",
                settings.region, settings.account_id
            ),
        ),
        (None, Some(https)) => {
            let target = https_target(https)?;
            let endpoint = target.endpoint.to_string();
            (NotificationTarget::Https(target), endpoint)
        }
        _ => {
            return Err(ApiError::bad_request(
                "configuration must set exactly one of sqsNotificationConfiguration and \
                 httpsNotificationConfiguration",
            ));
        }
    };
    let mut state = shared.state();
    let record = state
        .subscribers
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(id, "Subscriber"))?;
    if create && record.notification.is_some() {
        return Err(ApiError::conflict(
            id,
            "SubscriberNotification",
            format!("subscriber {id} already has a notification; update or delete it"),
        ));
    }
    record.notification = Some(target);
    record.endpoint = Some(endpoint.clone());
    record.updated_at = SystemTime::now();
    Ok(json!({ "subscriberEndpoint": endpoint }))
}

fn delete_notification(shared: &Shared, id: &str) -> Result<Value, ApiError> {
    let mut state = shared.state();
    let record = state
        .subscribers
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(id, "Subscriber"))?;
    record.notification = None;
    record.endpoint = None;
    record.updated_at = SystemTime::now();
    state.queues.remove(id);
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_the_sdk_paths() {
        assert_eq!(
            route(&Method::POST, "/v1/datalake/logsources/custom"),
            Some((Operation::CreateCustomLogSource, None))
        );
        assert_eq!(
            route(&Method::DELETE, "/v1/datalake/logsources/custom/a%3Ab"),
            Some((Operation::DeleteCustomLogSource, Some("a:b".to_owned())))
        );
        assert_eq!(
            route(&Method::PUT, "/v1/subscribers/x/notification"),
            Some((
                Operation::UpdateSubscriberNotification,
                Some("x".to_owned())
            ))
        );
        assert_eq!(route(&Method::GET, "/v1/datalake/logsources/custom"), None);
        assert_eq!(route(&Method::GET, "/v1/subscribers/"), None);
        // A label that does not decode to UTF-8 matches no route; a
        // malformed escape stays as written (and fails name validation).
        assert_eq!(
            route(&Method::DELETE, "/v1/datalake/logsources/custom/%FF"),
            None
        );
        assert_eq!(
            route(&Method::DELETE, "/v1/datalake/logsources/custom/%zz"),
            Some((Operation::DeleteCustomLogSource, Some("%zz".to_owned())))
        );
    }

    #[test]
    fn source_names_are_validated() {
        assert!(validate_source_name("my-app_1:x.y").is_ok());
        assert!(validate_source_name("").is_err());
        assert!(validate_source_name(&"a".repeat(65)).is_err());
        assert!(validate_source_name(&"a".repeat(64)).is_ok());
        assert!(validate_source_name("bad/name").is_err());
        assert!(validate_source_name("bad name").is_err());
        assert!(validate_source_version("1.0-rc_2").is_ok());
        assert!(validate_source_version("1/0").is_err());
        assert!(validate_source_version(&"1".repeat(33)).is_err());
    }

    #[test]
    fn role_arns_are_validated() {
        assert!(validate_role_arn("arn:aws:iam::123456789012:role/Glue", "f").is_ok());
        assert!(validate_role_arn("arn:aws-us-gov:iam::123456789012:role/a/b", "f").is_ok());
        assert!(validate_role_arn("arn:aws:iam::12345:role/Glue", "f").is_err());
        assert!(validate_role_arn("arn:aws:iam::123456789012:user/Glue", "f").is_err());
        assert!(validate_role_arn("arn:aws:iam::123456789012:role/", "f").is_err());
        assert!(validate_role_arn("not an arn", "f").is_err());
    }

    #[test]
    fn page_tokens_round_trip() {
        let token = encode_token("my-app");
        assert_eq!(decode_token(&token).ok().as_deref(), Some("my-app"));
        assert!(decode_token("zz").is_err());
        assert!(decode_token("abc").is_err());
        assert!(decode_token("").is_err());
    }

    #[test]
    fn errors_carry_type_and_retry_after() {
        let response = ApiError {
            retry_after: Some(Duration::from_secs(3)),
            ..ApiError::new(429, "ThrottlingException", "slow")
        }
        .into_response();
        assert_eq!(response.status(), 429);
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            "ThrottlingException"
        );
        assert_eq!(response.headers()["retry-after"], "3");
        let body: Value = serde_json::from_slice(response.body()).unwrap_or_default();
        assert_eq!(body["message"], "slow");
        assert_eq!(body["retryAfterSeconds"], 3);
    }
}

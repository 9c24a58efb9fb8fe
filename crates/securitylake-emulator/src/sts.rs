//! A minimal STS (`AssumeRole`, `GetCallerIdentity`) so that writers can
//! assume the provider role that the emulator returned, with its external id.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};

use crate::encoding::parse_form;
use crate::state::Shared;
use crate::util::{SECRET_CHARS, UPPER_ALNUM, random_string, rfc3339};

const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const MIN_DURATION: u64 = 900;
const MAX_DURATION: u64 = 43_200;
const DEFAULT_DURATION: u64 = 3600;

/// Answers one STS Query-protocol request.
pub(crate) fn handle(shared: &Shared, body: &[u8]) -> Response<Bytes> {
    let Some(form) = std::str::from_utf8(body).ok().and_then(parse_form) else {
        return error(
            400,
            "InvalidParameterValue",
            "the request body is not a valid form",
        );
    };
    let param = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match param("Action") {
        Some("AssumeRole") => assume_role(
            shared,
            param("RoleArn"),
            param("RoleSessionName"),
            param("ExternalId"),
            param("DurationSeconds"),
        ),
        Some("GetCallerIdentity") => xml(
            200,
            format!(
                "<GetCallerIdentityResponse xmlns=\"{NAMESPACE}\"><GetCallerIdentityResult>\
                 <Arn>arn:aws:iam::{account}:root</Arn><UserId>{account}</UserId>\
                 <Account>{account}</Account></GetCallerIdentityResult>\
                 <ResponseMetadata><RequestId>{id}</RequestId></ResponseMetadata>\
                 </GetCallerIdentityResponse>",
                account = shared.settings.account_id,
                id = uuid::Uuid::new_v4()
            ),
        ),
        Some(other) => error(
            400,
            "InvalidAction",
            &format!("the emulator's STS does not implement {other}"),
        ),
        None => error(400, "MissingAction", "the request has no Action"),
    }
}

/// The external id a role requires: provider roles of registered sources
/// and subscriber roles are known; any other role is refused.
fn expected_external_id(shared: &Shared, role_arn: &str) -> Option<String> {
    let state = shared.state();
    state
        .sources
        .values()
        .find(|s| s.provider_role_arn == role_arn)
        .map(|s| s.external_id.clone())
        .or_else(|| {
            state
                .subscribers
                .values()
                .find(|s| s.role_arn == role_arn)
                .map(|s| s.external_id.clone())
        })
}

fn assume_role(
    shared: &Shared,
    role_arn: Option<&str>,
    session: Option<&str>,
    external_id: Option<&str>,
    duration: Option<&str>,
) -> Response<Bytes> {
    let (Some(role_arn), Some(session)) = (role_arn, session) else {
        return error(
            400,
            "ValidationError",
            "RoleArn and RoleSessionName are required",
        );
    };
    if session.is_empty() || session.len() > 64 {
        return error(
            400,
            "ValidationError",
            "RoleSessionName must be 1 to 64 characters",
        );
    }
    let duration = match duration.map(str::parse::<u64>) {
        None => DEFAULT_DURATION,
        Some(Ok(d)) if (MIN_DURATION..=MAX_DURATION).contains(&d) => d,
        Some(_) => {
            return error(
                400,
                "ValidationError",
                "DurationSeconds must be between 900 and 43200",
            );
        }
    };
    let Some(expected) = expected_external_id(shared, role_arn) else {
        return error(
            403,
            "AccessDenied",
            &format!("role {role_arn} is not a provider or subscriber role of this emulator"),
        );
    };
    if external_id != Some(expected.as_str()) {
        return error(
            403,
            "AccessDenied",
            &format!("the external id does not match the trust policy of {role_arn}"),
        );
    }
    let access_key = format!("ASIA{}", random_string(UPPER_ALNUM, 16));
    let secret_key = random_string(SECRET_CHARS, 40);
    let token = random_string(SECRET_CHARS, 64);
    let expires = SystemTime::now() + Duration::from_secs(duration);
    shared
        .auth
        .register(&access_key, &secret_key, Some(expires));
    let role_name = role_arn.rsplit('/').next().unwrap_or(role_arn);
    let role_id = format!("AROA{}", random_string(UPPER_ALNUM, 17));
    xml(
        200,
        format!(
            "<AssumeRoleResponse xmlns=\"{NAMESPACE}\"><AssumeRoleResult>\
             <AssumedRoleUser><AssumedRoleId>{role_id}:{session}</AssumedRoleId>\
             <Arn>arn:aws:sts::{account}:assumed-role/{role_name}/{session}</Arn></AssumedRoleUser>\
             <Credentials><AccessKeyId>{access_key}</AccessKeyId>\
             <SecretAccessKey>{secret_key}</SecretAccessKey><SessionToken>{token}</SessionToken>\
             <Expiration>{expiration}</Expiration></Credentials></AssumeRoleResult>\
             <ResponseMetadata><RequestId>{id}</RequestId></ResponseMetadata></AssumeRoleResponse>",
            account = shared.settings.account_id,
            session = escape(session),
            role_name = escape(role_name),
            expiration = rfc3339(expires),
            id = uuid::Uuid::new_v4(),
        ),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn xml(status: u16, body: String) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("text/xml"));
    response
}

fn error(status: u16, code: &str, message: &str) -> Response<Bytes> {
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    xml(
        status,
        format!(
            "<ErrorResponse xmlns=\"{NAMESPACE}\"><Error><Type>{kind}</Type><Code>{code}</Code>\
             <Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            escape(message),
            uuid::Uuid::new_v4()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_escaped() {
        assert_eq!(escape("a<b>&\"c"), "a&lt;b&gt;&amp;&quot;c");
        let response = error(403, "AccessDenied", "no <way>");
        assert_eq!(response.status(), 403);
        let body = String::from_utf8_lossy(response.body()).into_owned();
        assert!(body.contains("<Code>AccessDenied</Code>"));
        assert!(body.contains("no &lt;way&gt;"));
    }
}

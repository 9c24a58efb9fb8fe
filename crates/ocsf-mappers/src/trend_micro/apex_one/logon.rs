//! Managed product logon / logoff events: Authentication, with the user and
//! address read from the message text (`UserName:..., IP address:...`).

use crate::normalized::{Activity, AuthActivity, Normalized, Outcome, UserInfo};
use crate::trend_micro::fields::Fields;
use crate::util::{UNKNOWN, endpoint};

/// The value after `label:` in `msg`, up to the next comma.
fn field<'m>(msg: &'m str, label: &str) -> Option<&'m str> {
    let lower = msg.to_ascii_lowercase();
    let at = lower.find(&label.to_ascii_lowercase())? + label.len();
    let rest = msg[at..].trim_start().strip_prefix(':')?;
    let end = rest.find(',').unwrap_or(rest.len());
    Some(rest[..end].trim()).filter(|v| !v.is_empty())
}

pub(super) fn logon(f: &Fields<'_, '_>, n: &mut Normalized) {
    let msg = f.get("msg").unwrap_or_default();
    let lower = msg.to_ascii_lowercase();
    let logoff = lower.contains("logged off") || lower.contains("logged out");
    n.activity = Activity::Authentication(if logoff {
        AuthActivity::Logoff
    } else {
        AuthActivity::Logon
    });
    n.outcome = Some(
        if lower.contains("fail") || lower.contains("denied") || lower.contains("locked") {
            Outcome::Failure
        } else {
            Outcome::Success
        },
    );
    let user = field(msg, "UserName").map(|u| u.replace("\\\\", "\\"));
    n.user = Some(UserInfo::named(user.unwrap_or_else(|| UNKNOWN.to_owned())));
    n.src = field(msg, "IP address").and_then(|a| endpoint(a, None));
    n.service_name = n.source.product_name.clone();
    if !msg.is_empty() {
        n.status_detail = Some(msg.to_owned());
    }
}

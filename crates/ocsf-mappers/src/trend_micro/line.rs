//! One CEF or LEEF line (with or without a syslog header), parsed once and
//! handed to the product mapping its header names.

use serde_json::{Map, Value};

use crate::Error;
use crate::formats::syslog::SyslogContext;
use crate::formats::{cef, leef};
use crate::normalized::Normalized;
use crate::stats::FallbackReason;

/// A parsed CEF or LEEF message.
#[derive(Debug)]
pub(crate) enum Parsed<'a> {
    Cef(cef::CefEvent<'a>),
    Leef(leef::LeefEvent<'a>),
}

impl<'a> Parsed<'a> {
    /// Parses `line`: CEF if it has a `CEF:` marker, else LEEF. The error
    /// carries the fallback reason (`cef`, `leef`, or `not_cef_or_leef`
    /// without an error).
    pub(crate) fn parse(
        line: &'a str,
        ctx: &SyslogContext,
    ) -> Result<Self, (FallbackReason, Option<Error>)> {
        if cef::find_marker(line, "CEF:").is_some() {
            cef::parse_framed(line, ctx)
                .map(Parsed::Cef)
                .map_err(|e| (FallbackReason::Cef, Some(e)))
        } else if cef::find_marker(line, "LEEF:").is_some() {
            leef::parse_framed(line, ctx)
                .map(Parsed::Leef)
                .map_err(|e| (FallbackReason::Leef, Some(e)))
        } else {
            Err((FallbackReason::NotCefOrLeef, None))
        }
    }

    pub(crate) fn vendor(&self) -> &str {
        match self {
            Parsed::Cef(ev) => &ev.cef.device_vendor,
            Parsed::Leef(ev) => &ev.leef.vendor,
        }
    }

    pub(crate) fn product(&self) -> &str {
        match self {
            Parsed::Cef(ev) => &ev.cef.device_product,
            Parsed::Leef(ev) => &ev.leef.product,
        }
    }

    /// The text of the message that did not parse, and the reason to count it
    /// under.
    pub(crate) fn unparsed(&self) -> (&[&'a str], FallbackReason) {
        match self {
            Parsed::Cef(ev) => (&ev.cef.unparsed, FallbackReason::Cef),
            Parsed::Leef(ev) => (&ev.leef.unparsed, FallbackReason::Leef),
        }
    }
}

/// Writes the parts of a message that did not parse to
/// `unmapped.unparsed` {reason, text} and returns the reason to count, or
/// `None` when everything parsed.
pub(crate) fn keep_unparsed(
    unparsed: &[&str],
    reason: FallbackReason,
    n: &mut Normalized,
) -> Option<FallbackReason> {
    if unparsed.is_empty() {
        return None;
    }
    let mut m = Map::new();
    m.insert("reason".into(), Value::from(reason.as_str()));
    m.insert(
        "text".into(),
        Value::Array(unparsed.iter().map(|t| Value::from(*t)).collect()),
    );
    n.put_value("unparsed", Value::Object(m));
    Some(reason)
}

//! One custom source per OCSF class: classes and the source names derived
//! from a prefix.
//!
//! Security Lake expects one event class per custom source, and limits a
//! source name to [`MAX_SOURCE_NAME_LEN`] (20) characters. A product that
//! writes several classes therefore registers several sources; this module
//! names them from one user prefix and each class, by a documented rule:
//!
//! ```text
//! <prefix>-<class_uid>[-<tag>]
//! ```
//!
//! * `prefix`: 1 or more characters of `A-Z a-z 0-9 _ -`, not ending in `-`
//!   or `_`. With the class uid it must fit in 20 characters: for the
//!   4-digit uids of the core OCSF classes, at most 15 characters (13 for
//!   the 6-digit uids of extension classes such as Windows' 205004). A longer
//!   prefix is refused ([`ErrorKind::InvalidInput`]); it is never cut,
//!   because a cut prefix could make two products' names equal.
//! * `class_uid`: the OCSF `class_uid` in decimal. It alone makes the names
//!   of one prefix unique.
//! * `tag`: the class name (its last `/` segment for extension classes, `_`
//!   written as `-`), cut to the characters left, only when at least 3 are
//!   left. It is for people reading the list; nothing depends on it.
//!
//! The rule is deterministic (the same prefix and class give the same name
//! on every run, so reconciling again finds the sources it created) and
//! collision-free within a prefix: the names of one prefix differ in their
//! `class_uid` field, which stays intact also after Glue folds the name into
//! its table name (lowercase, `-` as `_`).
//!
//! ```
//! use securitylake_control::{OcsfClass, source_name_for};
//!
//! let auth = OcsfClass::new(3002, "authentication")?;
//! assert_eq!(source_name_for("acme", &auth)?, "acme-3002-authentica");
//! assert_eq!(source_name_for("acme-edr-prod", &auth)?, "acme-edr-prod-3002");
//! assert_eq!(auth.event_class(), "AUTHENTICATION");
//! // 16 characters leave no room for "-3002".
//! assert!(source_name_for("acme-edr-staging", &auth).is_err());
//! # Ok::<(), securitylake_control::Error>(())
//! ```
//!
//! [`MAX_SOURCE_NAME_LEN`]: super::MAX_SOURCE_NAME_LEN
//! [`ErrorKind::InvalidInput`]: crate::ErrorKind::InvalidInput

use std::fmt;

use super::spec::MAX_SOURCE_NAME_LEN;
use crate::error::{Error, Result};

/// The shortest class tag worth adding to a name.
const MIN_TAG_LEN: usize = 3;

/// An OCSF event class: its `class_uid` and its schema name.
///
/// With `ocsf-model`, take both from the event type:
/// `OcsfClass::new(Authentication::CLASS_UID, Authentication::CLASS_NAME)`.
///
/// ```
/// use securitylake_control::OcsfClass;
///
/// let class = OcsfClass::new(4001, "network_activity")?;
/// assert_eq!(class.uid(), 4001);
/// assert_eq!(class.event_class(), "NETWORK_ACTIVITY");
/// assert!(OcsfClass::new(-1, "x").is_err());
/// assert!(OcsfClass::new(4001, "Network Activity").is_err());
/// # Ok::<(), securitylake_control::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OcsfClass {
    uid: i32,
    name: String,
}

impl OcsfClass {
    /// A class from its `class_uid` (not negative) and its schema name
    /// (`authentication`, or `<extension>/<name>` for extension classes: ASCII
    /// lowercase letters, digits and `_`, starting with a letter).
    pub fn new(uid: i32, name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        if uid < 0 {
            return Err(Error::invalid_input(format!(
                "class_uid {uid} of {name:?} is negative"
            )));
        }
        let valid_segment = |s: &str| {
            s.starts_with(|c: char| c.is_ascii_lowercase())
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        if name.split('/').count() > 2 || !name.split('/').all(valid_segment) {
            return Err(Error::invalid_input(format!(
                "{name:?} is not an OCSF class name (lowercase letters, digits and _, \
                 optionally scoped as extension/name)"
            )));
        }
        Ok(Self { uid, name })
    }

    /// The `class_uid`.
    pub fn uid(&self) -> i32 {
        self.uid
    }

    /// The schema name (`authentication`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name without an extension scope.
    fn short_name(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }

    /// The event class as Security Lake's `eventClasses` names it: the class
    /// name in upper case (`AUTHENTICATION`; an extension's scope is left out).
    pub fn event_class(&self) -> String {
        self.short_name().to_ascii_uppercase()
    }
}

impl fmt::Display for OcsfClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.uid)
    }
}

/// The longest prefix [`source_name_for`] accepts for `class`.
///
/// ```
/// use securitylake_control::{OcsfClass, registration::max_prefix_len};
///
/// assert_eq!(max_prefix_len(&OcsfClass::new(3002, "authentication")?), 15);
/// # Ok::<(), securitylake_control::Error>(())
/// ```
pub fn max_prefix_len(class: &OcsfClass) -> usize {
    MAX_SOURCE_NAME_LEN.saturating_sub(1 + class.uid.to_string().len())
}

/// The custom-source name of `class` under `prefix` (see the [module
/// docs](self) for the rule). Fails with
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for a prefix
/// that is empty, has other characters than `A-Z a-z 0-9 _ -`, ends in `-`
/// or `_`, or is longer than [`max_prefix_len`].
pub fn source_name_for(prefix: &str, class: &OcsfClass) -> Result<String> {
    validate_prefix(prefix)?;
    let uid = class.uid.to_string();
    let max = max_prefix_len(class);
    let len = prefix.chars().count();
    if len > max {
        return Err(Error::invalid_input(format!(
            "source prefix {prefix:?} has {len} characters; with \"-{uid}\" for class {class} \
             the name would exceed {MAX_SOURCE_NAME_LEN}: use at most {max}"
        )));
    }
    let mut name = format!("{prefix}-{uid}");
    let room = MAX_SOURCE_NAME_LEN.saturating_sub(name.len() + 1);
    let tag: String = class
        .short_name()
        .chars()
        .map(|c| if c == '_' { '-' } else { c })
        .take(room)
        .collect();
    let tag = tag.trim_end_matches('-');
    if tag.len() >= MIN_TAG_LEN {
        name.push('-');
        name.push_str(tag);
    }
    Ok(name)
}

fn validate_prefix(prefix: &str) -> Result<()> {
    if prefix.is_empty() {
        return Err(Error::invalid_input("the source prefix is empty"));
    }
    if let Some(c) = prefix
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-')))
    {
        return Err(Error::invalid_input(format!(
            "source prefix {prefix:?} contains {c:?}; allowed are A-Z a-z 0-9 _ -"
        )));
    }
    if prefix.ends_with(['-', '_']) {
        return Err(Error::invalid_input(format!(
            "source prefix {prefix:?} ends in a separator; the rule adds its own"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(uid: i32, name: &str) -> OcsfClass {
        OcsfClass::new(uid, name).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn names_follow_the_rule() -> Result<()> {
        let auth = class(3002, "authentication");
        assert_eq!(source_name_for("a", &auth)?, "a-3002-authenticatio");
        assert_eq!(source_name_for("acme", &auth)?, "acme-3002-authentica");
        assert_eq!(
            source_name_for("acme-edr-p", &auth)?,
            "acme-edr-p-3002-auth"
        );
        // Exactly three characters left: the tag is kept.
        assert_eq!(
            source_name_for("acme-edr-pr", &auth)?,
            "acme-edr-pr-3002-aut"
        );
        // Two left: no tag.
        assert_eq!(source_name_for("acme-edr-pro", &auth)?, "acme-edr-pro-3002");
        // A tag cut at a separator loses the separator.
        let net = class(4001, "network_activity");
        assert_eq!(source_name_for("acme-x", &net)?, "acme-x-4001-network");
        let base = class(0, "base_event");
        assert_eq!(source_name_for("acme", &base)?, "acme-0-base-event");
        let ext = class(201_001, "win/registry_key_activity");
        assert_eq!(source_name_for("acme", &ext)?, "acme-201001-registry");
        assert_eq!(ext.event_class(), "REGISTRY_KEY_ACTIVITY");
        Ok(())
    }

    #[test]
    fn prefixes_are_checked_not_cut() {
        let auth = class(3002, "authentication");
        assert!(source_name_for(&"p".repeat(15), &auth).is_ok());
        assert!(source_name_for(&"p".repeat(16), &auth).is_err());
        let ext = class(201_001, "win/registry_key_activity");
        assert_eq!(max_prefix_len(&ext), 13);
        assert!(source_name_for(&"p".repeat(13), &ext).is_ok());
        assert!(source_name_for(&"p".repeat(14), &ext).is_err());
        for bad in ["", "acme-", "acme_", "ac me", "acme.x", "acme:x", "äcme"] {
            assert!(source_name_for(bad, &auth).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn class_names_are_checked() {
        assert!(OcsfClass::new(1, "a/b/c").is_err());
        assert!(OcsfClass::new(1, "").is_err());
        assert!(OcsfClass::new(1, "_x").is_err());
        assert!(OcsfClass::new(1, "1x").is_err());
        assert!(OcsfClass::new(1, "x-y").is_err());
        assert!(OcsfClass::new(1, "win/x_1").is_ok());
    }
}

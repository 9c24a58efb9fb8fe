//! Audit records as systemd-journald writes them into a message: the type as
//! a bare word, then the fields (`USER_AUTH pid=1 ... msg='...'`).

use std::borrow::Cow;

use super::{AuditRecord, err, read_fields};
use crate::error::{Error, ErrorKind};
use crate::formats::text::trim_eol;

/// Parses an audit record as systemd-journald writes it into a message (and
/// so into syslog when it forwards the journal, `audit[PID]: TYPE ...`): the
/// record type as a bare word, then the fields, with no `node=`, no `type=`
/// and no `audit(...)` stamp (journald keeps the time and serial in journal
/// fields).
///
/// The type is a name (`USER_AUTH`, `AVC`: upper-case letters, digits and
/// `_`, starting with a letter) or, for a type journald's table lacks,
/// `AUDIT` and the number (`AUDIT1334`), kept as the number (`1334`). At least
/// one `key=value` field must follow. The record has no time and no serial
/// (both 0): the caller takes the time from its transport and must not group
/// the record with others by serial.
///
/// ```
/// use ocsf_mappers::formats::auditd;
///
/// let r = auditd::parse_journal_message("USER_AUTH pid=7 msg='op=PAM:authentication acct=\"root\" res=failed'")?;
/// assert_eq!(r.record_type, "USER_AUTH");
/// assert_eq!((r.time_ms, r.serial, r.node.as_deref()), (0, 0, None));
/// assert_eq!(r.get("res"), Some("failed"));
/// assert_eq!(auditd::parse_journal_message("AUDIT1334 prog-id=42 op=LOAD")?.record_type, "1334");
/// assert!(auditd::parse_journal_message("hello world").is_err());
/// # Ok::<(), ocsf_mappers::Error>(())
/// ```
pub fn parse_journal_message(message: &str) -> Result<AuditRecord<'_>, Error> {
    let line = trim_eol(message);
    let type_end = line.find(' ').unwrap_or(line.len());
    let word = &line[..type_end];
    let named = word.starts_with(|c: char| c.is_ascii_uppercase())
        && word
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_');
    if !named {
        return Err(err(ErrorKind::InvalidHeader, 0, "expected a record type"));
    }
    let mut rec = AuditRecord {
        raw: Cow::Borrowed(line),
        node: None,
        record_type: Cow::Borrowed(journal_type(word)),
        time_ms: 0,
        serial: 0,
        fields: Vec::new(),
        msg_fields: Vec::new(),
        interpreted: Vec::new(),
        words: Vec::new(),
    };
    read_fields(&mut rec, line, type_end)?;
    if rec.fields.is_empty() {
        return Err(err(ErrorKind::InvalidHeader, type_end, "no fields"));
    }
    Ok(rec)
}

/// A record type as journald names it: a type its table lacks is `AUDIT` and
/// the number (`AUDIT1334`, `printf("AUDIT%04i")`), given here as the number;
/// any other name as it is.
pub(crate) fn journal_type(name: &str) -> &str {
    match name.strip_prefix("AUDIT") {
        Some(n) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => n,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::auditd::parse;

    #[test]
    fn fields_are_those_of_the_raw_record() {
        let body = "pid=2345 uid=0 auid=4294967295 msg='op=PAM:authentication acct=\"root\" exe=\"/usr/sbin/sshd\" addr=203.0.113.9 res=failed'";
        let message = format!("USER_AUTH {body}");
        let line = format!("type=USER_AUTH msg=audit(1.000:7): {body}");
        let j = parse_journal_message(&message).expect("parses");
        let r = parse(&line).expect("parses");
        assert_eq!(j.record_type, "USER_AUTH");
        assert_eq!((j.time_ms, j.serial, j.node.as_deref()), (0, 0, None));
        assert_eq!(j.fields, r.fields);
        assert_eq!(j.msg_fields, r.msg_fields);
        assert_eq!(j.raw, message);
        // Decoding follows the type: EXECVE arguments are hex there.
        let j = parse_journal_message("EXECVE argc=2 a0=\"id\" a1=2D75").expect("parses");
        assert_eq!(j.get("a1"), Some("-u"));
        // Words (an SELinux AVC) are kept, and the enriched section is read.
        let j = parse_journal_message("AVC avc:  denied  { read } for pid=5 comm=\"x\"")
            .expect("parses");
        assert_eq!(j.words, vec!["avc:", "denied", "{", "read", "}", "for"]);
        let j = parse_journal_message("LOGIN pid=1 uid=0\u{1d}UID=\"root\"").expect("parses");
        assert_eq!(j.interpreted("UID"), Some("root"));
    }

    #[test]
    fn journald_numbers_a_type_it_cannot_name() {
        let j = parse_journal_message("AUDIT1334 prog-id=42 op=LOAD").expect("parses");
        assert_eq!(j.record_type, "1334");
        assert_eq!(journal_type("AUDIT0999"), "0999");
        for name in ["AUDIT", "AUDIT_X", "AUDIT12A", "BPF", "UNKNOWN[1334]"] {
            assert_eq!(journal_type(name), name);
        }
    }

    #[test]
    fn a_message_that_is_not_a_record_is_an_error() {
        for (message, offset) in [
            ("", 0),
            ("hello world", 0),
            ("user_auth pid=1", 0),
            ("USER-AUTH pid=1", 0),
            ("1100 pid=1", 0),
            (" USER_AUTH pid=1", 0),
            ("USER_AUTH", 9),
            ("USER_AUTH no fields here", 9),
            ("USER_AUTH pid=5 msg='op=x res=failed", 20),
        ] {
            let e = parse_journal_message(message).expect_err(message);
            assert_eq!(e.offset(), Some(offset), "{message}: {e}");
        }
    }
}

//! MITRE ATT&CK ids as Trend Micro writes them: `T1059`, `T1059.001`, the
//! versioned `V9.T1003.004` of Vision One, tactic ids `TA0002`.

use crate::normalized::{AttackInfo, TacticInfo};

/// The ATT&CK enterprise tactics by id (facts of the public matrix).
const TACTICS: &[(&str, &str)] = &[
    ("TA0001", "Initial Access"),
    ("TA0002", "Execution"),
    ("TA0003", "Persistence"),
    ("TA0004", "Privilege Escalation"),
    ("TA0005", "Defense Evasion"),
    ("TA0006", "Credential Access"),
    ("TA0007", "Discovery"),
    ("TA0008", "Lateral Movement"),
    ("TA0009", "Collection"),
    ("TA0010", "Exfiltration"),
    ("TA0011", "Command and Control"),
    ("TA0040", "Impact"),
    ("TA0042", "Resource Development"),
    ("TA0043", "Reconnaissance"),
];

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// A tactic from `TA0002` (any case); `None` for anything else.
pub(crate) fn tactic(id: &str) -> Option<TacticInfo> {
    let id = id.trim().to_ascii_uppercase();
    let num = id.strip_prefix("TA")?;
    if !digits(num, 4) {
        return None;
    }
    let name = TACTICS
        .iter()
        .find(|(t, _)| *t == id)
        .map(|(_, n)| (*n).to_owned());
    Some(TacticInfo {
        uid: Some(id),
        name,
    })
}

/// A technique from `T1059`, `T1059.001` or `V9.T1059.001` (the matrix
/// version first); `None` for anything else.
pub(crate) fn technique(id: &str) -> Option<AttackInfo> {
    let id = id.trim().to_ascii_uppercase();
    let (version, rest) = match id.split_once(".T") {
        Some((v, r)) if v.starts_with('V') && digits(&v[1..], v.len() - 1) && v.len() > 1 => {
            (Some(v[1..].to_owned()), format!("T{r}"))
        }
        _ => (None, id.clone()),
    };
    let body = rest.strip_prefix('T')?;
    let (base, sub) = match body.split_once('.') {
        Some((b, s)) => (b, Some(s)),
        None => (body, None),
    };
    if !digits(base, 4) || sub.is_some_and(|s| !digits(s, 3)) {
        return None;
    }
    Some(AttackInfo {
        technique_uid: Some(format!("T{base}")),
        sub_technique_uid: sub.map(|s| format!("T{base}.{s}")),
        version,
        ..AttackInfo::default()
    })
}

/// One [`AttackInfo`] per distinct technique among `ids` (ids that are not
/// techniques are skipped), each with `tactics`.
pub(crate) fn attacks<'a>(
    ids: impl IntoIterator<Item = &'a str>,
    tactics: &[TacticInfo],
) -> Vec<AttackInfo> {
    let mut out: Vec<AttackInfo> = Vec::new();
    for id in ids {
        let Some(mut a) = technique(id) else { continue };
        if out.iter().any(|o| {
            o.technique_uid == a.technique_uid && o.sub_technique_uid == a.sub_technique_uid
        }) {
            continue;
        }
        a.tactics = tactics.to_vec();
        out.push(a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_as_written() {
        let a = technique("V9.T1003.004").expect("versioned");
        assert_eq!(a.technique_uid.as_deref(), Some("T1003"));
        assert_eq!(a.sub_technique_uid.as_deref(), Some("T1003.004"));
        assert_eq!(a.version.as_deref(), Some("9"));
        let a = technique("t1059").expect("plain");
        assert_eq!(
            (a.technique_uid.as_deref(), a.sub_technique_uid),
            (Some("T1059"), None)
        );
        for bad in [
            "",
            "T",
            "T12",
            "T1059.1",
            "TA0002",
            "V.T1059",
            "X1059",
            "T1059.0011",
        ] {
            assert!(technique(bad).is_none(), "{bad}");
        }
        let t = tactic("ta0005").expect("tactic");
        assert_eq!(t.name.as_deref(), Some("Defense Evasion"));
        assert_eq!(tactic("TA9999").and_then(|t| t.name), None);
        assert!(tactic("T1059").is_none());
        let v = attacks(["T1059", "V9.T1059", "T1059.001", "junk"], &[]);
        assert_eq!(v.len(), 2);
    }
}

//! ArcSight Common Event Format (CEF).
//!
//! `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`
//!
//! * Header fields may contain `\|` and `\\` escapes.
//! * The extension is a list of `key=value` pairs separated by spaces. Values may
//!   contain spaces: a value runs until the next ` key=` (a space, a run of key
//!   characters `[A-Za-z0-9_.-]`, optionally with index brackets such as
//!   `ad.Name[0]`, then an unescaped `=`). Trailing spaces of a value are
//!   dropped.
//! * Extension values may contain `\=`, `\\`, `\n`, `\r` (and `\|`) escapes.
//!   Some producers (Trend Micro Deep Security among them) write Windows paths
//!   without escaping backslashes, e.g. `C:\Windows\System32\notepad.exe`; a
//!   value containing any backslash that does not start one of those escapes is
//!   therefore taken verbatim, which keeps such paths intact.
//! * Only the header can make a message unparseable: extension text before the
//!   first `key=` (or that has none) is kept in [`CefRecord::unparsed`], so a
//!   caller keeps what parsed and accounts for the rest.
//!
//! [`parse`] reads a bare CEF message; [`parse_framed`] also accepts a syslog
//! header (RFC 3164 or RFC 5424) in front of it, or a bare `<PRI>` with no
//! timestamp or host (`<134>CEF:0|...`). The message may be glued to the colon
//! of the header's tag (`... host app[1]:CEF:0|...`).

use std::borrow::Cow;

use crate::error::{Error, ErrorKind, Format};
use crate::formats::syslog::{self, SyslogContext, SyslogRecord};
use crate::formats::text::{header_field_end, trim_eol, unescape_header};

/// One `key=value` pair of a CEF extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CefExtension<'a> {
    /// The key, e.g. `src` or `cs1Label`.
    pub key: &'a str,
    /// The value with escapes decoded (see the [module docs](self)).
    pub value: Cow<'a, str>,
}

/// A parsed CEF message: header fields and the ordered extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CefRecord<'a> {
    /// The CEF text from `CEF:` to the end of the line.
    pub raw: &'a str,
    /// The CEF format version (0 or 1 in practice).
    pub version: u8,
    /// Device Vendor.
    pub device_vendor: Cow<'a, str>,
    /// Device Product.
    pub device_product: Cow<'a, str>,
    /// Device Version.
    pub device_version: Cow<'a, str>,
    /// Signature ID (Device Event Class ID).
    pub signature_id: Cow<'a, str>,
    /// Name.
    pub name: Cow<'a, str>,
    /// Severity as written: `0`-`10` or `Unknown`/`Low`/`Medium`/`High`/`Very-High`.
    pub severity: Cow<'a, str>,
    /// The extension pairs in their original order.
    pub extensions: Vec<CefExtension<'a>>,
    /// Extension text that is not `key=value` (text before the first key), as
    /// written; empty for a well-formed message.
    pub unparsed: Vec<&'a str>,
}

impl CefRecord<'_> {
    /// The value of extension `key` (first occurrence).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.as_ref())
    }

    /// The label of a custom field: the value of `{key}Label` (e.g. `cs1` →
    /// the value of `cs1Label`).
    pub fn label(&self, key: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|e| e.key.strip_suffix("Label") == Some(key))
            .map(|e| e.value.as_ref())
    }

    /// The value of the custom field whose label is `label`: finds `xLabel=label`
    /// and returns the value of `x`.
    pub fn get_labeled(&self, label: &str) -> Option<&str> {
        self.extensions.iter().find_map(|e| {
            let base = e.key.strip_suffix("Label")?;
            if e.value == label && !base.is_empty() {
                self.get(base)
            } else {
                None
            }
        })
    }

    /// Looks `name` up as an extension key first, then as a custom-field label.
    ///
    /// ```
    /// let r = ocsf_mappers::formats::cef::parse(
    ///     "CEF:0|V|P|1|100|n|5|cs1=ok cs1Label=Check Result src=10.0.0.1",
    /// )?;
    /// assert_eq!(r.lookup("src"), Some("10.0.0.1"));
    /// assert_eq!(r.lookup("Check Result"), Some("ok"));
    /// assert_eq!(r.lookup("cs1"), Some("ok"));
    /// assert_eq!(r.lookup("missing"), None);
    /// # Ok::<(), ocsf_mappers::Error>(())
    /// ```
    pub fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).or_else(|| self.get_labeled(name))
    }

    /// Every labelled custom field as `(key, label, value)`, in extension order
    /// of the labels. Labels without a value are skipped.
    pub fn labeled_fields(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.extensions.iter().filter_map(|e| {
            let base = e.key.strip_suffix("Label").filter(|b| !b.is_empty())?;
            Some((base, e.value.as_ref(), self.get(base)?))
        })
    }

    /// The severity as a number 0-10. The ArcSight words map to the top of their
    /// bands (`Low` 3, `Medium` 6, `High` 8, `Very-High` 10); `Unknown` and
    /// anything else is `None`.
    pub fn severity_level(&self) -> Option<u8> {
        let s = self.severity.trim();
        if let Ok(n) = s.parse::<u8>() {
            return (n <= 10).then_some(n);
        }
        // Compared without case and without a lower-cased copy.
        [
            ("low", 3),
            ("medium", 6),
            ("high", 8),
            ("very-high", 10),
            ("very high", 10),
        ]
        .into_iter()
        .find_map(|(word, level)| s.eq_ignore_ascii_case(word).then_some(level))
    }
}

/// A CEF message with the syslog header that carried it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CefEvent<'a> {
    /// The syslog header; its `message` is the CEF text.
    pub syslog: Option<SyslogRecord<'a>>,
    /// The CEF message.
    pub cef: CefRecord<'a>,
}

fn err(kind: ErrorKind, offset: usize, detail: impl Into<Cow<'static, str>>) -> Error {
    Error::new(Format::Cef, kind, detail).at(offset)
}

const HEADER_NAMES: [&str; 7] = [
    "Version",
    "Device Vendor",
    "Device Product",
    "Device Version",
    "Signature ID",
    "Name",
    "Severity",
];

/// Parses a bare CEF message (`CEF:...`, leading whitespace and a trailing line
/// terminator allowed).
///
/// ```
/// use ocsf_mappers::formats::cef;
///
/// let r = cef::parse(r"CEF:0|Trend Micro|Deep Security Agent|20.0|4000000|Eicar\|test|6|cn1=1 cn1Label=Host ID msg=Realtime scan filePath=C:\Users\x.exe")?;
/// assert_eq!(r.device_vendor, "Trend Micro");
/// assert_eq!(r.name, "Eicar|test");
/// assert_eq!(r.severity_level(), Some(6));
/// assert_eq!(r.get("msg"), Some("Realtime scan"));
/// assert_eq!(r.get_labeled("Host ID"), Some("1"));
/// assert_eq!(r.get("filePath"), Some(r"C:\Users\x.exe"));
/// # Ok::<(), ocsf_mappers::Error>(())
/// ```
pub fn parse(line: &str) -> Result<CefRecord<'_>, Error> {
    let line = trim_eol(line);
    let start = line.len() - line.trim_start_matches([' ', '\t', '\u{feff}']).len();
    if start == line.len() {
        return Err(err(ErrorKind::Empty, 0, "empty CEF line"));
    }
    if !line[start..].starts_with("CEF:") {
        return Err(err(ErrorKind::InvalidHeader, start, "expected `CEF:`"));
    }
    parse_at(line, start)
}

/// Parses a CEF message that may be preceded by a syslog header (RFC 3164 or
/// RFC 5424); `ctx` resolves the header's timestamp.
///
/// ```
/// use ocsf_mappers::formats::{cef, syslog::SyslogContext};
///
/// let ctx = SyslogContext::new(1_718_000_000_000);
/// let ev = cef::parse_framed("<134>Jun 10 06:13:20 dsm01 CEF:0|Trend Micro|Deep Security Manager|20.0|600|User Signed In|3|src=10.0.0.5 suser=admin", &ctx)?;
/// let sys = ev.syslog.as_ref().expect("has a syslog header");
/// assert_eq!(sys.hostname, Some("dsm01"));
/// assert_eq!(ev.cef.signature_id, "600");
/// assert_eq!(ev.cef.get("suser"), Some("admin"));
/// # Ok::<(), ocsf_mappers::Error>(())
/// ```
pub fn parse_framed<'a>(line: &'a str, ctx: &SyslogContext) -> Result<CefEvent<'a>, Error> {
    let line = trim_eol(line);
    let start = find_marker(line, "CEF:")
        .ok_or_else(|| err(ErrorKind::InvalidHeader, 0, "no `CEF:` marker in line"))?;
    let syslog = if line[..start].trim().is_empty() {
        None
    } else {
        Some(syslog::parse_framing(line, start, ctx)?)
    };
    Ok(CefEvent {
        syslog,
        cef: parse_at(line, start)?,
    })
}

/// Finds the first `marker` at the start of `line`, right after whitespace,
/// right after a `<PRI>` that is all the line has before it (`<134>CEF:0|...`)
/// or right after the colon that ends the line's syslog tag
/// (`... host app[1]:CEF:0|...`, [`syslog::message_glued_to_tag`]), followed by
/// a digit or space (the version). A marker glued to any other colon (inside
/// an extension value, say) is not one.
pub(crate) fn find_marker(line: &str, marker: &str) -> Option<usize> {
    let b = line.as_bytes();
    // Read once, when a marker follows a colon: the line has one tag.
    let mut after_tag: Option<Option<usize>> = None;
    memchr::memmem::find_iter(b, marker.as_bytes()).find(|&p| {
        let before_ok = p == 0
            || matches!(b[p - 1], b' ' | b'\t')
            || line[..p].ends_with('\u{feff}')
            || (b[p - 1] == b'>' && syslog::is_pri_only(&line[..p]))
            || (b[p - 1] == b':'
                && *after_tag.get_or_insert_with(|| syslog::message_glued_to_tag(line)) == Some(p));
        let after_ok = b
            .get(p + marker.len())
            .is_some_and(|c| c.is_ascii_digit() || *c == b' ');
        before_ok && after_ok
    })
}

/// Parses the CEF message starting at `line[start..]` (which begins with `CEF:`).
fn parse_at(line: &str, start: usize) -> Result<CefRecord<'_>, Error> {
    let b = line.as_bytes();
    let mut fields: [&str; 7] = [""; 7];
    let mut pos = start + 4;
    for (n, slot) in fields.iter_mut().enumerate() {
        let end = header_field_end(b, pos).ok_or_else(|| {
            err(
                ErrorKind::Truncated,
                line.len(),
                format!("CEF header ends before the `|` after {}", HEADER_NAMES[n]),
            )
        })?;
        *slot = &line[pos..end];
        pos = end + 1;
    }
    let version = fields[0].trim().parse::<u8>().map_err(|_| {
        err(
            ErrorKind::InvalidVersion,
            start + 4,
            "CEF version is not a number",
        )
    })?;
    let (extensions, unparsed) = parse_extension(&line[pos..]);
    Ok(CefRecord {
        raw: &line[start..],
        version,
        device_vendor: unescape_header(fields[1]),
        device_product: unescape_header(fields[2]),
        device_version: unescape_header(fields[3]),
        signature_id: unescape_header(fields[4]),
        name: unescape_header(fields[5]),
        severity: unescape_header(fields[6]),
        extensions,
        unparsed,
    })
}

pub(crate) fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'[' | b']')
}

/// Whether the brackets of `key` (a run of key bytes) are index pairs after a
/// name: `ad.x[0]` and `a[0][1]` are keys, `[0]`, `a]`, `a[` and `a[b[c]]`
/// are not.
pub(crate) fn brackets_pair_up(key: &[u8]) -> bool {
    let mut open = false;
    for (i, &c) in key.iter().enumerate() {
        match c {
            b'[' if i > 0 && !open => open = true,
            b']' if open => open = false,
            b'[' | b']' => return false,
            _ => {}
        }
    }
    !open
}

/// The next `=` at or after `from` that is not escaped by an odd number of
/// backslashes.
fn find_unescaped_eq(b: &[u8], from: usize) -> Option<usize> {
    let mut pos = from;
    while let Some(rel) = memchr::memchr(b'=', b.get(pos..)?) {
        let i = pos + rel;
        let backslashes = b[..i].iter().rev().take_while(|&&c| c == b'\\').count();
        if backslashes.is_multiple_of(2) {
            return Some(i);
        }
        pos = i + 1;
    }
    None
}

/// If `b[..eq]` ends with ` key` (a space then key bytes) beginning after
/// `value_start`, returns the key's start.
fn key_start_before(b: &[u8], eq: usize, value_start: usize) -> Option<usize> {
    let mut k = eq;
    while k > value_start && is_key_byte(b[k - 1]) {
        k -= 1;
    }
    (k < eq && k > value_start && b[k - 1] == b' ' && brackets_pair_up(&b[k..eq])).then_some(k)
}

/// The first `key=` of `ext`: a run of key bytes at the start or after a
/// space, then an unescaped `=`. Returns (key start, `=` position).
fn first_key(b: &[u8]) -> Option<(usize, usize)> {
    let mut search = 0;
    while let Some(eq) = find_unescaped_eq(b, search) {
        let mut k = eq;
        while k > 0 && is_key_byte(b[k - 1]) {
            k -= 1;
        }
        if k < eq && (k == 0 || b[k - 1] == b' ') && brackets_pair_up(&b[k..eq]) {
            return Some((k, eq));
        }
        search = eq + 1;
    }
    None
}

/// Parses a CEF extension (`key=value key2=value with spaces ...`): the pairs,
/// and the text before the first key if it is not blank.
pub(crate) fn parse_extension(ext: &str) -> (Vec<CefExtension<'_>>, Vec<&str>) {
    let mut out = Vec::new();
    let rest = split_space_pairs(ext, |key, raw| {
        out.push(CefExtension {
            key,
            value: unescape_value(raw),
        });
    });
    (out, rest.into_iter().collect())
}

/// Splits space-separated `key=value` pairs whose values may contain spaces,
/// calling `f(key, raw_value)` for each in order. Returns the text before the
/// first key (all of `ext` when it has none) unless it is blank.
pub(crate) fn split_space_pairs<'a>(
    ext: &'a str,
    mut f: impl FnMut(&'a str, &'a str),
) -> Option<&'a str> {
    let b = ext.as_bytes();
    let Some((mut key_start, mut eq)) = first_key(b) else {
        return Some(ext.trim()).filter(|t| !t.is_empty());
    };
    let lead = ext[..key_start].trim();
    loop {
        let key = &ext[key_start..eq];
        let value_start = eq + 1;
        let mut search = value_start;
        let next = loop {
            match find_unescaped_eq(b, search) {
                None => break None,
                Some(e2) => {
                    if let Some(ks) = key_start_before(b, e2, value_start) {
                        break Some((ks, e2));
                    }
                    search = e2 + 1;
                }
            }
        };
        let value_end = next.map_or(b.len(), |(ks, _)| ks);
        f(key, ext[value_start..value_end].trim_end_matches(' '));
        match next {
            Some((ks, e2)) => {
                key_start = ks;
                eq = e2;
            }
            None => return Some(lead).filter(|t| !t.is_empty()),
        }
    }
}

/// Decodes `\\`, `\=`, `\n`, `\r`, `\|` — unless the value holds a backslash
/// that starts none of these, in which case it is returned verbatim.
fn unescape_value(raw: &str) -> Cow<'_, str> {
    let b = raw.as_bytes();
    if memchr::memchr(b'\\', b).is_none() {
        return Cow::Borrowed(raw);
    }
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if !matches!(b.get(i + 1), Some(b'\\' | b'=' | b'n' | b'r' | b'|')) {
                return Cow::Borrowed(raw);
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::syslog::{SyslogFormat, TimeSource};

    fn kv<'r>(r: &'r CefRecord<'_>) -> Vec<(&'r str, &'r str)> {
        r.extensions
            .iter()
            .map(|e| (e.key, e.value.as_ref()))
            .collect()
    }

    #[test]
    fn header_fields_and_escapes() {
        let r = parse(r"CEF:1|Ven\|dor|Pro\\duct|1.0|sig-1|A \| B|Very-High|").expect("parses");
        assert_eq!(r.version, 1);
        assert_eq!(r.device_vendor, "Ven|dor");
        assert_eq!(r.device_product, r"Pro\duct");
        assert_eq!(r.device_version, "1.0");
        assert_eq!(r.signature_id, "sig-1");
        assert_eq!(r.name, "A | B");
        assert_eq!(r.severity, "Very-High");
        assert_eq!(r.severity_level(), Some(10));
        assert!(r.extensions.is_empty());
        assert!(matches!(r.device_version, Cow::Borrowed(_)));
    }

    #[test]
    fn extension_values_with_spaces_and_empty_values() {
        let r = parse("CEF:0|V|P|1|2|N|3|msg=hello big world act= src=1.2.3.4  cs1=x y  ")
            .expect("parses");
        assert_eq!(
            kv(&r),
            vec![
                ("msg", "hello big world"),
                ("act", ""),
                ("src", "1.2.3.4"),
                ("cs1", "x y")
            ]
        );
    }

    #[test]
    fn extension_escapes() {
        let r = parse(r"CEF:0|V|P|1|2|N|3|a=x\=y b=line1\nline2\r c=back\\slash d=u=v&w=z e=p\|q")
            .expect("parses");
        assert_eq!(r.get("a"), Some("x=y"));
        assert_eq!(r.get("b"), Some("line1\nline2\r"));
        assert_eq!(r.get("c"), Some(r"back\slash"));
        // An unescaped `=` not preceded by ` key` stays in the value.
        assert_eq!(r.get("d"), Some("u=v&w=z"));
        assert_eq!(r.get("e"), Some("p|q"));
        // Unescaped Windows paths are kept verbatim.
        let r =
            parse(r"CEF:0|V|P|1|2|N|3|sproc=C:\Windows\System32\notepad.exe n=1").expect("parses");
        assert_eq!(r.get("sproc"), Some(r"C:\Windows\System32\notepad.exe"));
        assert!(matches!(r.extensions[0].value, Cow::Borrowed(_)));
        // An escaped `=` does not start a new key.
        let r = parse(r"CEF:0|V|P|1|2|N|3|msg=a b\=c").expect("parses");
        assert_eq!(kv(&r), vec![("msg", "a b=c")]);
        // An escaped backslash before `=` does not escape it.
        let r = parse(r"CEF:0|V|P|1|2|N|3|msg=a\\ b=c").expect("parses");
        assert_eq!(kv(&r), vec![("msg", r"a\"), ("b", "c")]);
    }

    #[test]
    fn spec_escapes_in_values_with_spaces() {
        let r = parse(concat!(
            r"CEF:0|Security|threatmanager|1.0|100|detected a \| in message|10|",
            r"src=10.0.0.1 act=blocked a \= dst=1.1.1.1 msg=first line\nsecond\r\nthird ",
            r"cs1=C:\\Program Files\\x.exe cs1Label=Path with spaces"
        ))
        .expect("parses");
        assert_eq!(r.name, "detected a | in message");
        assert_eq!(r.get("act"), Some("blocked a ="));
        assert_eq!(r.get("msg"), Some("first line\nsecond\r\nthird"));
        assert_eq!(r.get("cs1"), Some(r"C:\Program Files\x.exe"));
        assert_eq!(
            r.get_labeled("Path with spaces"),
            Some(r"C:\Program Files\x.exe")
        );
        assert!(r.unparsed.is_empty());
    }

    #[test]
    fn keys_with_bracketed_indexes() {
        let r = parse("CEF:0|V|P|1|2|N|3|ad.Foo[0]=a b ad.Bar[1]=c src=1.1.1.1 x[0][1]=y")
            .expect("parses");
        assert_eq!(
            kv(&r),
            vec![
                ("ad.Foo[0]", "a b"),
                ("ad.Bar[1]", "c"),
                ("src", "1.1.1.1"),
                ("x[0][1]", "y")
            ]
        );
        assert!(r.unparsed.is_empty());
        // Brackets that do not pair up after a name do not make a key.
        let r = parse("CEF:0|V|P|1|2|N|3|msg=x [y]=z list a]=b c[=d e[f[g]]=h").expect("parses");
        assert_eq!(kv(&r), vec![("msg", "x [y]=z list a]=b c[=d e[f[g]]=h")]);
        let r = parse("CEF:0|V|P|1|2|N|3|[0]=a b=c").expect("parses");
        assert_eq!(kv(&r), vec![("b", "c")]);
        assert_eq!(r.unparsed, vec!["[0]=a"]);
    }

    #[test]
    fn text_that_is_not_a_pair_is_kept_aside() {
        let r = parse("CEF:0|V|P|1|2|N|3|just text").expect("parses");
        assert!(r.extensions.is_empty());
        assert_eq!(r.unparsed, vec!["just text"]);
        let r = parse("CEF:0|V|P|1|2|N|3|bad key=1").expect("parses");
        assert_eq!(kv(&r), vec![("key", "1")]);
        assert_eq!(r.unparsed, vec!["bad"]);
        let r = parse("CEF:0|V|P|1|2|N|3|=1 =2").expect("parses");
        assert_eq!(r.unparsed, vec!["=1 =2"]);
        let r = parse("CEF:0|V|P|1|2|N|3|   ").expect("parses");
        assert!(r.unparsed.is_empty() && r.extensions.is_empty());
    }

    #[test]
    fn label_helpers() {
        let r =
            parse("CEF:0|V|P|1|2|N|3|cs1Label=Rule cs1=R-7 cn2=42 cn2Label=Count cs3Label=Orphan")
                .expect("parses");
        assert_eq!(r.label("cs1"), Some("Rule"));
        assert_eq!(r.get_labeled("Rule"), Some("R-7"));
        assert_eq!(r.get_labeled("Count"), Some("42"));
        assert_eq!(r.get_labeled("Orphan"), None);
        assert_eq!(r.lookup("cn2"), Some("42"));
        assert_eq!(r.lookup("Count"), Some("42"));
        let labeled: Vec<_> = r.labeled_fields().collect();
        assert_eq!(
            labeled,
            vec![("cs1", "Rule", "R-7"), ("cn2", "Count", "42")]
        );
    }

    #[test]
    fn severity_levels() {
        let mk = |s: &str| format!("CEF:0|V|P|1|2|N|{s}|");
        for (s, want) in [
            ("0", Some(0)),
            ("10", Some(10)),
            ("11", None),
            ("Low", Some(3)),
            ("medium", Some(6)),
            ("High", Some(8)),
            ("VERY-HIGH", Some(10)),
            ("Very High", Some(10)),
            (" low ", Some(3)),
            ("Lower", None),
            ("Unknown", None),
        ] {
            let line = mk(s);
            let r = parse(&line).expect("parses");
            assert_eq!(r.severity_level(), want, "{s}");
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let cases: &[(&str, ErrorKind, u64)] = &[
            ("", ErrorKind::Empty, 0),
            ("hello", ErrorKind::InvalidHeader, 0),
            ("CEF:0|V|P|1|2|N", ErrorKind::Truncated, 15),
            ("CEF:x|V|P|1|2|N|3|", ErrorKind::InvalidVersion, 4),
        ];
        for (line, kind, off) in cases {
            let e = parse(line).expect_err(line);
            assert_eq!(e.kind(), *kind, "{line}: {e}");
            assert_eq!(e.offset(), Some(*off), "{line}: {e}");
            assert_eq!(e.format(), Format::Cef);
        }
        let e = parse("CEF:0|V|P|1|2|N").expect_err("truncated");
        assert!(e.detail().contains("Name"), "{e}");
    }

    #[test]
    fn framed_by_rfc3164_and_rfc5424() {
        let ctx = SyslogContext::new(1_718_000_000_000);
        let line = "<134>Jun  9 12:00:00 dsm01 CEF:0|V|P|1|2|N|3|src=1.1.1.1\n";
        let ev = parse_framed(line, &ctx).expect("parses");
        let s = ev.syslog.expect("syslog header");
        assert_eq!(s.format, SyslogFormat::Rfc3164);
        assert_eq!((s.hostname, s.app), (Some("dsm01"), None));
        assert_eq!(s.message, "CEF:0|V|P|1|2|N|3|src=1.1.1.1");
        assert_eq!(ev.cef.raw, "CEF:0|V|P|1|2|N|3|src=1.1.1.1");
        assert_eq!(ev.cef.get("src"), Some("1.1.1.1"));

        let line = "<134>1 2024-06-09T12:00:00Z dsm01 dsa 12 - - CEF:0|V|P|1|2|N|3|a=b";
        let ev = parse_framed(line, &ctx).expect("parses");
        let s = ev.syslog.expect("syslog header");
        assert_eq!(s.format, SyslogFormat::Rfc5424);
        assert_eq!((s.app, s.pid), (Some("dsa"), Some(12)));
        assert_eq!(ev.cef.get("a"), Some("b"));

        // Structured data with escapes, then a BOM before the payload.
        let line = concat!(
            r#"<134>1 2024-06-09T12:00:00.123456+02:00 dsm01 dsa - - [a@1 x="q\"\]"][b@2 y="2"] "#,
            "\u{feff}CEF:0|V|P|1|2|N|3|a=b"
        );
        let ev = parse_framed(line, &ctx).expect("parses");
        let s = ev.syslog.expect("syslog header");
        assert_eq!(s.sd_param("a@1", "x"), Some("q\"]"));
        assert_eq!(s.sd_param("b@2", "y"), Some("2"));
        assert_eq!(s.time_ms, 1_717_927_200_123);
        assert_eq!(ev.cef.get("a"), Some("b"));

        // A tag before the payload.
        let line = "Jun  9 12:00:00 fw1 cef-relay[4]: CEF:0|V|P|1|2|N|3|a=b";
        let ev = parse_framed(line, &ctx).expect("parses");
        assert_eq!(ev.syslog.and_then(|s| s.app), Some("cef-relay"));

        // Hosts that are IP addresses.
        for host in ["192.0.2.7", "2001:db8::7"] {
            let line = format!("<134>Jun  9 12:00:00 {host} CEF:0|V|P|1|2|N|3|a=b");
            let ev = parse_framed(&line, &ctx).expect("parses");
            let s = ev.syslog.expect("syslog header");
            assert_eq!((s.hostname, s.app), (Some(host), None), "{line}");
        }

        // No header at all.
        let ev = parse_framed("CEF:0|V|P|1|2|N|3|a=b", &ctx).expect("parses");
        assert!(ev.syslog.is_none());

        // Errors from the header are reported, not skipped.
        let e =
            parse_framed("<999>Jun  9 12:00:00 h CEF:0|V|P|1|2|N|3|", &ctx).expect_err("bad pri");
        assert_eq!(e.kind(), ErrorKind::InvalidPriority);
        let e = parse_framed("no cef here", &ctx).expect_err("no marker");
        assert_eq!(e.kind(), ErrorKind::InvalidHeader);
        // Error offsets are relative to the full line.
        let e = parse_framed("Jun  9 12:00:00 h CEF:0|V|P|1|2|N", &ctx).expect_err("cut");
        assert_eq!(e.offset(), Some(33));
    }

    #[test]
    fn framed_by_a_bare_priority() {
        let ctx = SyslogContext::new(1_718_000_000_000);
        let ev = parse_framed("<134>CEF:0|V|P|1|2|N|3|src=1.1.1.1", &ctx).expect("parses");
        let s = ev.syslog.expect("syslog header");
        assert_eq!((s.facility, s.severity), (Some(16), Some(6)));
        assert_eq!(s.format, SyslogFormat::Rfc3164);
        assert_eq!(s.time_source, TimeSource::Reference);
        assert_eq!((s.time_ms, s.utc_offset_secs), (ctx.reference_ms, None));
        assert_eq!((s.hostname, s.app), (None, None));
        assert_eq!(s.message, "CEF:0|V|P|1|2|N|3|src=1.1.1.1");
        assert_eq!(ev.cef.get("src"), Some("1.1.1.1"));
        let ev = parse_framed("\u{feff}<14>CEF:1|V|P|1|2|N|3|", &ctx).expect("parses");
        assert_eq!(ev.syslog.and_then(|s| s.priority()), Some(14));
        // A bad priority is reported, not skipped.
        let e = parse_framed("<999>CEF:0|V|P|1|2|N|3|", &ctx).expect_err("bad pri");
        assert_eq!(e.kind(), ErrorKind::InvalidPriority);
        // Only a whole `<PRI>` lets the marker follow `>`.
        assert_eq!(find_marker("<13>CEF:0|", "CEF:"), Some(4));
        assert_eq!(find_marker("x<13>CEF:0|", "CEF:"), None);
        assert_eq!(find_marker("<>CEF:0|", "CEF:"), None);
        assert_eq!(find_marker("<1a>CEF:0|", "CEF:"), None);
        assert_eq!(find_marker("a>CEF:0|", "CEF:"), None);
    }

    #[test]
    fn marker_glued_to_a_syslog_tag_colon() {
        // 2024-01-10T00:00:00Z: the January line is from 2024.
        let ctx = SyslogContext::new(1_704_844_800_000);
        let line = "Jan  5 01:02:03 host app:CEF:0|Vendor|Product|1.0|100|name|5|src=1.2.3.4";
        let ev = parse_framed(line, &ctx).expect("parses");
        let s = ev.syslog.expect("syslog header");
        assert_eq!((s.hostname, s.app), (Some("host"), Some("app")));
        assert_eq!(s.time_ms, 1_704_416_523_000); // 2024-01-05T01:02:03Z
        assert_eq!(s.message, "CEF:0|Vendor|Product|1.0|100|name|5|src=1.2.3.4");
        assert_eq!(ev.cef.device_vendor, "Vendor");
        assert_eq!(ev.cef.get("src"), Some("1.2.3.4"));
        let line = "<134>Jan  5 01:02:03 host app[123]:CEF:0|V|P|1|2|N|3|a=b";
        let ev = parse_framed(line, &ctx).expect("parses");
        let s = ev.syslog.expect("syslog header");
        assert_eq!(
            (s.hostname, s.app, s.pid),
            (Some("host"), Some("app"), Some(123))
        );
        assert_eq!(ev.cef.get("a"), Some("b"));
        // Without a hostname, with a sub-program, after an RFC 3339 stamp.
        for (line, host) in [
            ("Jan  5 01:02:03 app:CEF:0|V|P|1|2|N|3|a=b", None),
            (
                "Jan  5 01:02:03 h app(sub)[1]:CEF:0|V|P|1|2|N|3|a=b",
                Some("h"),
            ),
            (
                "2024-01-05T01:02:03Z h app:CEF:1|V|P|1|2|N|3|a=b",
                Some("h"),
            ),
        ] {
            let ev = parse_framed(line, &ctx).expect(line);
            let s = ev.syslog.expect("syslog header");
            assert_eq!((s.hostname, s.app), (host, Some("app")), "{line}");
            assert_eq!(ev.cef.get("a"), Some("b"), "{line}");
        }
    }

    #[test]
    fn marker_glued_to_other_colons_is_not_a_record() {
        // An extension value never starts a record: the real marker is first.
        let line = "Jan  5 01:02:03 host app:CEF:0|V|P|1|2|N|3|msg=see:CEF:0|x";
        assert_eq!(find_marker(line, "CEF:"), Some(25));
        let line = "Jan  5 01:02:03 host CEF:0|V|P|1|2|N|3|msg=see:CEF:0|x";
        assert_eq!(find_marker(line, "CEF:"), Some(21));
        // Only the colon that ends the syslog tag counts.
        for line in [
            "msg=see:CEF:0|x",
            "app:CEF:0|V|P|1|2|N|3|",
            "<13>app:CEF:0|V|P|1|2|N|3|",
            "Jan  5 01:02:03 host app: note=see:CEF:0|x",
            "Jan  5 01:02:03 host app:x:CEF:0|x",
            "Jan  5 01:02:03 host app: x:CEF:0|x",
            "Jan  5 01:02:03 host a b:CEF:0|x",
            "Jan  5 01:02:03 host app[1] x:CEF:0|x",
            "Jan  5 01:02:03: CEF:x:CEF:0|x",
            "<13>1 2024-01-05T01:02:03Z h app - - - app:CEF:0|x",
            "Jan  5 01:02:03 host app:CEFX",
        ] {
            assert_eq!(find_marker(line, "CEF:"), None, "{line}");
        }
        let ctx = SyslogContext::new(1_704_844_800_000);
        let e = parse_framed("Jan  5 01:02:03 host app: x:CEF:0|V|P|1|2|N|3|", &ctx)
            .expect_err("no marker");
        assert_eq!(e.kind(), ErrorKind::InvalidHeader);
    }

    #[test]
    fn marker_must_start_a_token() {
        assert_eq!(find_marker("xCEF:0|", "CEF:"), None);
        assert_eq!(find_marker("a CEF:x CEF:0|", "CEF:"), Some(8));
        assert_eq!(find_marker("CEF: 0|", "CEF:"), Some(0));
    }
}

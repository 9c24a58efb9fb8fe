//! IBM QRadar Log Event Extended Format (LEEF) 1.0 and 2.0.
//!
//! * LEEF 1.0: `LEEF:1.0|Vendor|Product|Version|EventID|` then tab-separated
//!   `key=value` attributes.
//! * LEEF 2.0: `LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|` then
//!   attributes separated by the delimiter, written as a literal character
//!   (`^`), or in hex as `xHH` / `0xHH` (e.g. `x09` for tab). An empty delimiter
//!   field means tab; when the field after EventID already holds an attribute
//!   (contains `=`), the delimiter field was omitted and tab is used.
//!
//! Header fields may escape `|` as `\|`. Attribute values have no escapes and
//! borrow from the line. What vendors really send is accepted:
//!
//! * the delimiter field of LEEF 2.0 may be missing (the attributes follow the
//!   event id; tab is used), empty (tab), a character (`^`), hex (`x09`,
//!   `0x5E`, `X7C`) or the two characters `\t`; LEEF 1.0 lines that carry a
//!   LEEF 2.0 style delimiter field in hex or as one punctuation character are
//!   read the same way;
//! * a value may contain the delimiter: a piece between delimiters that does
//!   not start with `key=` belongs to the value before it (Deep Security
//!   writes `cn1Label=Host ID` with a space delimiter, `msg` with tabs);
//! * a tab delimiter that a syslog relay escaped to `#011` (rsyslog) is split
//!   on that sequence;
//! * attribute text that contains no delimiter at all is split on spaces the
//!   way CEF extensions are (`key=value with spaces key2=...`), which also
//!   covers a single attribute.
//!
//! Only the header can make a message unparseable. Attribute text that is not
//! `key=value` (text before the first key) is kept in
//! [`LeefRecord::unparsed`], so a caller can keep what parsed and account for
//! the rest.
//!
//! `devTime` is read by [`LeefRecord::dev_time_ms`] with the `devTimeFormat`
//! pattern the message names (Java `SimpleDateFormat`, see
//! [`formats::date_pattern`](crate::formats::date_pattern)).
//!
//! [`parse`] reads a bare LEEF message; [`parse_framed`] also accepts a syslog
//! header in front of it, or a bare `<PRI>` (`<13>LEEF:1.0|...`).

use std::borrow::Cow;

use crate::error::{Error, ErrorKind, Format};
use crate::formats::cef::{brackets_pair_up, find_marker, is_key_byte, split_space_pairs};
use crate::formats::date_pattern;
use crate::formats::syslog::{self, SyslogContext, SyslogRecord};
use crate::formats::text::{header_field_end, trim_eol, unescape_header};

/// The LEEF format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeefVersion {
    /// LEEF 1.0 (tab-delimited attributes).
    V1,
    /// LEEF 2.0 (delimiter given in the header).
    V2,
}

/// One `key=value` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeefAttribute<'a> {
    /// The attribute key, e.g. `src` or `devTime`.
    pub key: &'a str,
    /// The attribute value, as written.
    pub value: &'a str,
}

/// A parsed LEEF message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeefRecord<'a> {
    /// The LEEF text from `LEEF:` to the end of the line.
    pub raw: &'a str,
    /// The format version.
    pub version: LeefVersion,
    /// Vendor.
    pub vendor: Cow<'a, str>,
    /// Product.
    pub product: Cow<'a, str>,
    /// Product version.
    pub product_version: Cow<'a, str>,
    /// Event ID.
    pub event_id: Cow<'a, str>,
    /// The attribute delimiter in effect.
    pub delimiter: char,
    /// The attributes in their original order.
    pub attributes: Vec<LeefAttribute<'a>>,
    /// Attribute text that is not `key=value` (text before the first key), as
    /// written; empty for a well-formed message.
    pub unparsed: Vec<&'a str>,
}

impl LeefRecord<'_> {
    /// The value of attribute `key` (first occurrence).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.key == key)
            .map(|a| a.value)
    }

    /// `devTime` read with the message's `devTimeFormat` pattern, in epoch
    /// milliseconds UTC; a value without a zone is at `default_offset_secs`.
    /// `None` when either attribute is missing or the value does not fit the
    /// pattern (other `devTime` forms are the caller's to read).
    ///
    /// ```
    /// let r = ocsf_mappers::formats::leef::parse(
    ///     "LEEF:2.0|V|P|1|E|^|devTime=2024-06-10 08:13:20^devTimeFormat=yyyy-MM-dd HH:mm:ss",
    /// )?;
    /// assert_eq!(r.dev_time_ms(7200), Some(1_718_000_000_000));
    /// # Ok::<(), ocsf_mappers::Error>(())
    /// ```
    pub fn dev_time_ms(&self, default_offset_secs: i32) -> Option<i64> {
        let format = self.get("devTimeFormat")?.trim();
        let value = self.get("devTime")?.trim();
        date_pattern::parse(value, format, default_offset_secs)
    }
}

/// A LEEF message with the syslog header that carried it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeefEvent<'a> {
    /// The syslog header; its `message` is the LEEF text.
    pub syslog: Option<SyslogRecord<'a>>,
    /// The LEEF message.
    pub leef: LeefRecord<'a>,
}

fn err(kind: ErrorKind, offset: usize, detail: impl Into<Cow<'static, str>>) -> Error {
    Error::new(Format::Leef, kind, detail).at(offset)
}

const HEADER_NAMES: [&str; 5] = ["Version", "Vendor", "Product", "Version", "EventID"];

/// Parses a bare LEEF message (`LEEF:...`).
///
/// ```
/// use ocsf_mappers::formats::leef::{self, LeefVersion};
///
/// let r = leef::parse("LEEF:1.0|Acme|Guard|2.1|login_ok|src=10.0.0.1\tusrName=bob\tmsg=signed in")?;
/// assert_eq!(r.version, LeefVersion::V1);
/// assert_eq!(r.event_id, "login_ok");
/// assert_eq!(r.get("usrName"), Some("bob"));
/// assert_eq!(r.get("msg"), Some("signed in"));
///
/// let r = leef::parse("LEEF:2.0|Acme|Guard|2.1|42|x5E|src=10.0.0.1^dst=10.0.0.2")?;
/// assert_eq!(r.delimiter, '^');
/// assert_eq!(r.get("dst"), Some("10.0.0.2"));
/// # Ok::<(), ocsf_mappers::Error>(())
/// ```
pub fn parse(line: &str) -> Result<LeefRecord<'_>, Error> {
    let line = trim_eol(line);
    let start = line.len() - line.trim_start_matches([' ', '\t', '\u{feff}']).len();
    if start == line.len() {
        return Err(err(ErrorKind::Empty, 0, "empty LEEF line"));
    }
    if !line[start..].starts_with("LEEF:") {
        return Err(err(ErrorKind::InvalidHeader, start, "expected `LEEF:`"));
    }
    parse_at(line, start)
}

/// Parses a LEEF message that may be preceded by a syslog header (RFC 3164 or
/// RFC 5424); `ctx` resolves the header's timestamp.
///
/// ```
/// use ocsf_mappers::formats::{leef, syslog::SyslogContext};
///
/// let ctx = SyslogContext::new(1_718_000_000_000);
/// let ev = leef::parse_framed("<13>Jun 10 06:13:20 gw LEEF:1.0|Acme|Guard|2.1|deny|src=10.0.0.1#011proto=TCP", &ctx)?;
/// assert_eq!(ev.syslog.as_ref().and_then(|s| s.hostname), Some("gw"));
/// assert_eq!(ev.leef.get("proto"), Some("TCP"));
/// # Ok::<(), ocsf_mappers::Error>(())
/// ```
pub fn parse_framed<'a>(line: &'a str, ctx: &SyslogContext) -> Result<LeefEvent<'a>, Error> {
    let line = trim_eol(line);
    let start = find_marker(line, "LEEF:")
        .ok_or_else(|| err(ErrorKind::InvalidHeader, 0, "no `LEEF:` marker in line"))?;
    let syslog = if line[..start].trim().is_empty() {
        None
    } else {
        Some(syslog::parse_framing(line, start, ctx)?)
    };
    Ok(LeefEvent {
        syslog,
        leef: parse_at(line, start)?,
    })
}

fn parse_at(line: &str, start: usize) -> Result<LeefRecord<'_>, Error> {
    let b = line.as_bytes();
    let mut fields: [&str; 5] = [""; 5];
    let mut pos = start + 5;
    for (n, slot) in fields.iter_mut().enumerate() {
        let end = header_field_end(b, pos).ok_or_else(|| {
            err(
                ErrorKind::Truncated,
                line.len(),
                format!("LEEF header ends before the `|` after {}", HEADER_NAMES[n]),
            )
        })?;
        *slot = &line[pos..end];
        pos = end + 1;
    }
    let version = match fields[0].trim() {
        "1.0" | "1" => LeefVersion::V1,
        "2.0" | "2" => LeefVersion::V2,
        _ => {
            return Err(err(
                ErrorKind::InvalidVersion,
                start + 5,
                format!("unsupported LEEF version {:?}", fields[0]),
            ));
        }
    };
    let mut delimiter = '\t';
    let end = header_field_end(b, pos);
    let field = &line[pos..end.unwrap_or(line.len())];
    match version {
        LeefVersion::V2 if !field.contains('=') => {
            if !field.is_empty() {
                delimiter = parse_delimiter(field).ok_or_else(|| {
                    err(
                        ErrorKind::InvalidDelimiter,
                        pos,
                        format!("LEEF 2.0 delimiter {field:?} is not a character or xHH"),
                    )
                })?;
            }
            pos = end.map_or(line.len(), |e| e + 1);
        }
        // LEEF 1.0 with a 2.0-style delimiter field: only forms that cannot be
        // the start of an attribute.
        LeefVersion::V1 if end.is_some() && is_explicit_delimiter(field) => {
            if let Some(d) = parse_delimiter(field) {
                delimiter = d;
                pos = end.map_or(line.len(), |e| e + 1);
            }
        }
        _ => {}
    }
    let (attributes, unparsed) = parse_attributes(line, pos, delimiter);
    Ok(LeefRecord {
        raw: &line[start..],
        version,
        vendor: unescape_header(fields[1]),
        product: unescape_header(fields[2]),
        product_version: unescape_header(fields[3]),
        event_id: unescape_header(fields[4]),
        delimiter,
        attributes,
        unparsed,
    })
}

/// A literal single character, or `xHH`/`0xHH` (1-4 hex digits).
fn parse_delimiter(field: &str) -> Option<char> {
    if field == "\\t" {
        return Some('\t');
    }
    let mut chars = field.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(c);
    }
    let hex = field
        .strip_prefix("0x")
        .or_else(|| field.strip_prefix("0X"))
        .or_else(|| field.strip_prefix('x'))
        .or_else(|| field.strip_prefix('X'))?;
    if hex.is_empty() || hex.len() > 4 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let code = u32::from_str_radix(hex, 16).ok()?;
    char::from_u32(code).filter(|c| *c != '\0')
}

/// Whether a LEEF 1.0 field after the event id is a delimiter specification
/// rather than attribute text: hex (`x09`, `0x5E`) or one punctuation
/// character.
fn is_explicit_delimiter(field: &str) -> bool {
    let mut chars = field.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => c.is_ascii_punctuation() || c == '\t',
        _ => {
            !field.contains('=')
                && (field.starts_with(['x', 'X']) || field.starts_with("0x") || field == "\\t")
                && parse_delimiter(field).is_some()
        }
    }
}

/// Whether `seg` starts (after spaces) with `key=`.
fn key_of(seg: &str) -> Option<(&str, usize)> {
    let lead = seg.len() - seg.trim_start_matches([' ', '\t']).len();
    let eq = seg.find('=')?;
    let key = seg.get(lead..eq)?;
    (!key.is_empty() && key.bytes().all(is_key_byte) && brackets_pair_up(key.as_bytes()))
        .then_some((key, eq))
}

/// Splits the attribute text at `line[at..]`: attributes, and the text that is
/// not `key=value`.
fn parse_attributes(line: &str, at: usize, delimiter: char) -> (Vec<LeefAttribute<'_>>, Vec<&str>) {
    let text = &line[at..];
    let mut out = Vec::new();
    let mut unparsed = Vec::new();
    let mut dbuf = [0u8; 4];
    let mut sep: &str = delimiter.encode_utf8(&mut dbuf);
    if !text.contains(sep) {
        if delimiter == '\t' && text.contains("#011") {
            sep = "#011";
        } else {
            if let Some(rest) =
                split_space_pairs(text, |key, value| out.push(LeefAttribute { key, value }))
            {
                unparsed.push(rest);
            }
            return (out, unparsed);
        }
    }
    // (value start, value end) of the last attribute, as offsets into `text`.
    let mut last: Option<(usize, usize)> = None;
    let mut offset = 0;
    for seg in text.split(sep) {
        let seg_at = offset;
        offset += seg.len() + sep.len();
        match key_of(seg) {
            Some((key, eq)) => {
                if let Some((vs, ve)) = last.take()
                    && let Some(a) = out.last_mut()
                {
                    a.value = &text[vs..ve];
                }
                out.push(LeefAttribute {
                    key,
                    value: &seg[eq + 1..],
                });
                last = Some((seg_at + eq + 1, seg_at + seg.len()));
            }
            // Empty pieces (doubled or trailing delimiters) separate nothing.
            None if seg.trim().is_empty() => {}
            None => match last.as_mut() {
                // The delimiter was part of the value.
                Some((_, ve)) => *ve = seg_at + seg.len(),
                None => unparsed.push(seg),
            },
        }
    }
    if let Some((vs, ve)) = last
        && let Some(a) = out.last_mut()
    {
        a.value = &text[vs..ve];
    }
    (out, unparsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv<'r>(r: &'r LeefRecord<'_>) -> Vec<(&'r str, &'r str)> {
        r.attributes.iter().map(|a| (a.key, a.value)).collect()
    }

    #[test]
    fn leef1_tab_delimited() {
        let r = parse("LEEF:1.0|Ven\\|dor|Prod|1.2|EvT|src=1.1.1.1\tdst=2.2.2.2\t\tmsg=a b=c\n")
            .expect("parses");
        assert_eq!(r.version, LeefVersion::V1);
        assert_eq!(r.vendor, "Ven|dor");
        assert_eq!(
            (r.product.as_ref(), r.product_version.as_ref()),
            ("Prod", "1.2")
        );
        assert_eq!(r.delimiter, '\t');
        assert_eq!(
            kv(&r),
            vec![("src", "1.1.1.1"), ("dst", "2.2.2.2"), ("msg", "a b=c")]
        );
        assert_eq!(r.get("missing"), None);
    }

    #[test]
    fn leef2_delimiter_forms() {
        for (spec, want) in [
            ("^", '^'),
            ("x5E", '^'),
            ("0x5e", '^'),
            ("X09", '\t'),
            ("0x09", '\t'),
        ] {
            let d = want.to_string();
            let line = format!("LEEF:2.0|V|P|1|E|{spec}|a=1{d}b=2 3");
            let r = parse(&line).expect("parses");
            assert_eq!(r.version, LeefVersion::V2);
            assert_eq!(r.delimiter, want, "{spec}");
            assert_eq!(kv(&r), vec![("a", "1"), ("b", "2 3")], "{spec}");
        }
        // A literal space as the delimiter field.
        let r = parse("LEEF:2.0|V|P|1|E| |a=1 b=2 3").expect("parses");
        assert_eq!((r.delimiter, kv(&r)), (' ', vec![("a", "1"), ("b", "2 3")]));
        // Empty delimiter field: tab.
        let r = parse("LEEF:2.0|V|P|1|E||a=1\tb=2").expect("parses");
        assert_eq!(r.delimiter, '\t');
        assert_eq!(kv(&r), vec![("a", "1"), ("b", "2")]);
        // Delimiter field omitted.
        let r = parse("LEEF:2.0|V|P|1|E|a=1\tb=2").expect("parses");
        assert_eq!(kv(&r), vec![("a", "1"), ("b", "2")]);
        // Header ends with the delimiter and no attributes.
        let r = parse("LEEF:2|V|P|1|E|^").expect("parses");
        assert_eq!((r.delimiter, r.attributes.len()), ('^', 0));
    }

    #[test]
    fn relayed_and_space_separated_attributes() {
        let r = parse("LEEF:1.0|V|P|1|E|src=1.1.1.1#011dst=2.2.2.2").expect("parses");
        assert_eq!(kv(&r), vec![("src", "1.1.1.1"), ("dst", "2.2.2.2")]);
        let r = parse("LEEF:1.0|V|P|1|E|src=1.1.1.1 msg=two words").expect("parses");
        assert_eq!(kv(&r), vec![("src", "1.1.1.1"), ("msg", "two words")]);
        let r = parse("LEEF:1.0|V|P|1|E|").expect("parses");
        assert!(r.attributes.is_empty());
    }

    #[test]
    fn errors_name_the_problem() {
        let cases: &[(&str, ErrorKind, u64)] = &[
            ("   ", ErrorKind::Empty, 0),
            ("CEF:0|a", ErrorKind::InvalidHeader, 0),
            ("LEEF:1.0|V|P|1|E", ErrorKind::Truncated, 16),
            ("LEEF:3.0|V|P|1|E|", ErrorKind::InvalidVersion, 5),
            ("LEEF:2.0|V|P|1|E|xZZ|a=1", ErrorKind::InvalidDelimiter, 17),
            ("LEEF:2.0|V|P|1|E|x0|a=1", ErrorKind::InvalidDelimiter, 17),
        ];
        for (line, kind, off) in cases {
            let e = parse(line).expect_err(line);
            assert_eq!(e.kind(), *kind, "{line:?}: {e}");
            assert_eq!(e.offset(), Some(*off), "{line:?}: {e}");
            assert_eq!(e.format(), Format::Leef, "{line:?}");
        }
    }

    #[test]
    fn values_that_contain_the_delimiter() {
        // A space delimiter, and labels and messages with spaces in them.
        let r = parse(concat!(
            "LEEF:2.0|Trend Micro|Deep Security Agent|20.0|4000030|x20|cat=Anti-Malware ",
            "name=TROJ_X.A sev=6 cn1=241 cn1Label=Host ID msg=Realtime scan done"
        ))
        .expect("parses");
        assert_eq!(r.delimiter, ' ');
        assert_eq!(
            kv(&r),
            vec![
                ("cat", "Anti-Malware"),
                ("name", "TROJ_X.A"),
                ("sev", "6"),
                ("cn1", "241"),
                ("cn1Label", "Host ID"),
                ("msg", "Realtime scan done"),
            ]
        );
        assert!(r.unparsed.is_empty());
        // Tabs inside a value, doubled and trailing delimiters.
        let r = parse("LEEF:1.0|V|P|1|E|a=1\tnot a pair\t\tb=x^y\t\t").expect("parses");
        assert_eq!(kv(&r), vec![("a", "1\tnot a pair"), ("b", "x^y")]);
        let r = parse("LEEF:1.0|V|P|1|E|a=1\tbad key=2").expect("parses");
        assert_eq!(kv(&r), vec![("a", "1\tbad key=2")]);
    }

    #[test]
    fn keys_with_bracketed_indexes() {
        let r = parse("LEEF:1.0|V|P|1|E|ad.x[0]=1\tb=2\t[1]=3").expect("parses");
        assert_eq!(kv(&r), vec![("ad.x[0]", "1"), ("b", "2\t[1]=3")]);
        let r = parse("LEEF:1.0|V|P|1|E|ad.x[0]=1 ad.y[1]=two words").expect("parses");
        assert_eq!(kv(&r), vec![("ad.x[0]", "1"), ("ad.y[1]", "two words")]);
        assert!(r.unparsed.is_empty());
    }

    #[test]
    fn text_that_is_not_an_attribute_is_kept_aside() {
        let r = parse("LEEF:1.0|V|P|1|E|no pairs here").expect("parses");
        assert!(r.attributes.is_empty());
        assert_eq!(r.unparsed, vec!["no pairs here"]);
        let r = parse("LEEF:2.0|V|P|1|E|^|junk^a=1^b=2").expect("parses");
        assert_eq!(kv(&r), vec![("a", "1"), ("b", "2")]);
        assert_eq!(r.unparsed, vec!["junk"]);
        let r = parse("LEEF:1.0|V|P|1|E|lead text src=1.1.1.1 msg=two words").expect("parses");
        assert_eq!(kv(&r), vec![("src", "1.1.1.1"), ("msg", "two words")]);
        assert_eq!(r.unparsed, vec!["lead text"]);
    }

    #[test]
    fn leef1_with_a_delimiter_field_and_tab_spelled_out() {
        let r = parse("LEEF:1.0|V|P|1|E|^|a=1^b=2").expect("parses");
        assert_eq!((r.delimiter, kv(&r)), ('^', vec![("a", "1"), ("b", "2")]));
        let r = parse("LEEF:1.0|V|P|1|E|x7C|a=1|b=2").expect("parses");
        assert_eq!((r.delimiter, kv(&r)), ('|', vec![("a", "1"), ("b", "2")]));
        let r = parse("LEEF:2.0|V|P|1|E|\\t|a=1\tb=2").expect("parses");
        assert_eq!((r.delimiter, kv(&r)), ('\t', vec![("a", "1"), ("b", "2")]));
        // An attribute right after the event id is not a delimiter field.
        let r = parse("LEEF:1.0|V|P|1|E|a=1|b").expect("parses");
        assert_eq!(kv(&r), vec![("a", "1|b")]);
    }

    #[test]
    fn dev_time_with_its_format() {
        let r = parse(concat!(
            "LEEF:2.0|V|P|1|E|^|devTime=Jun 10 2024 08:13:20.500 CEST^",
            "devTimeFormat=MMM dd yyyy HH:mm:ss.SSS z^src=1.1.1.1"
        ))
        .expect("parses");
        assert_eq!(r.dev_time_ms(0), Some(1_718_000_000_500));
        let r = parse("LEEF:1.0|V|P|1|E|devTime=1718000000000").expect("parses");
        assert_eq!(r.dev_time_ms(0), None);
        let r = parse("LEEF:1.0|V|P|1|E|devTime=10/06/2024\tdevTimeFormat=yyyy").expect("parses");
        assert_eq!(r.dev_time_ms(0), None);
    }

    #[test]
    fn framed_by_syslog() {
        let ctx = SyslogContext::new(1_718_000_000_000);
        let ev = parse_framed(
            "<13>1 2024-06-09T12:00:00Z gw qradar - - - LEEF:2.0|V|P|1|E|^|a=1^b=2",
            &ctx,
        )
        .expect("parses");
        let s = ev.syslog.expect("header");
        assert_eq!((s.hostname, s.app), (Some("gw"), Some("qradar")));
        assert_eq!(s.message, "LEEF:2.0|V|P|1|E|^|a=1^b=2");
        assert_eq!(kv(&ev.leef), vec![("a", "1"), ("b", "2")]);
        let ev = parse_framed("LEEF:1.0|V|P|1|E|a=1", &ctx).expect("parses");
        assert!(ev.syslog.is_none());
        // A bare `<PRI>` in front.
        let ev = parse_framed("<13>LEEF:1.0|V|P|1|E|a=1", &ctx).expect("parses");
        let s = ev.syslog.expect("header");
        assert_eq!((s.priority(), s.hostname), (Some(13), None));
        assert_eq!(s.message, "LEEF:1.0|V|P|1|E|a=1");
        assert_eq!(kv(&ev.leef), vec![("a", "1")]);
        let e = parse_framed("Jun  9 12:00:00 gw nothing", &ctx).expect_err("no marker");
        assert_eq!(e.kind(), ErrorKind::InvalidHeader);
    }

    #[test]
    fn marker_glued_to_a_syslog_tag_colon() {
        let ctx = SyslogContext::new(1_718_000_000_000);
        let ev = parse_framed(
            "Jun  9 12:00:00 gw qradar[9]:LEEF:2.0|V|P|1|E|^|a=1^b=2",
            &ctx,
        )
        .expect("parses");
        let s = ev.syslog.expect("header");
        assert_eq!(
            (s.hostname, s.app, s.pid),
            (Some("gw"), Some("qradar"), Some(9))
        );
        assert_eq!(s.message, "LEEF:2.0|V|P|1|E|^|a=1^b=2");
        assert_eq!(kv(&ev.leef), vec![("a", "1"), ("b", "2")]);
        // Glued to a colon that does not end the tag: not a record.
        let e = parse_framed("Jun  9 12:00:00 gw qradar: x:LEEF:1.0|V|P|1|E|a=1", &ctx)
            .expect_err("no marker");
        assert_eq!(e.kind(), ErrorKind::InvalidHeader);
    }
}

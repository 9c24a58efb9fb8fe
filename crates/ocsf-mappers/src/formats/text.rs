//! Text helpers shared by several parsers.

use std::borrow::Cow;

/// Decodes rsyslog's control-character escapes: `#` followed by exactly three
/// octal digits naming a control character (`#011` tab, `#012` newline, ...).
///
/// Only values below 0x20 and 0x7f are decoded: rsyslog also escapes bytes of
/// invalid UTF-8 this way, and decoding those single bytes would not yield
/// valid text, so they stay as written. Borrows when there is nothing to decode.
pub(crate) fn decode_octal_escapes(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    let Some(first) = find_octal_escape(b, 0) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut at = Some(first);
    while let Some(i) = at {
        out.push_str(&s[copied..i]);
        out.push(char::from(octal_value(b, i)));
        copied = i + 4;
        at = find_octal_escape(b, copied);
    }
    out.push_str(&s[copied..]);
    Cow::Owned(out)
}

fn octal_value(b: &[u8], i: usize) -> u8 {
    let d = |k: usize| b.get(i + k).map_or(0, |c| c.wrapping_sub(b'0'));
    d(1) * 64 + d(2) * 8 + d(3)
}

fn find_octal_escape(b: &[u8], from: usize) -> Option<usize> {
    let mut pos = from;
    while let Some(rel) = memchr::memchr(b'#', b.get(pos..)?) {
        let i = pos + rel;
        let is_octal = |k: usize| b.get(i + k).is_some_and(|c| (b'0'..=b'7').contains(c));
        if is_octal(1) && is_octal(2) && is_octal(3) {
            // Three octal digits can reach 0o777; only control characters count.
            let v = u32::from(b[i + 1] - b'0') * 64
                + u32::from(b[i + 2] - b'0') * 8
                + u32::from(b[i + 3] - b'0');
            if v < 0x20 || v == 0x7f {
                return Some(i);
            }
        }
        pos = i + 1;
    }
    None
}

/// Finds the end of a pipe-delimited header field starting at `start`: the index
/// of the next `|` not escaped by a backslash. Returns `None` if there is none.
pub(crate) fn header_field_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'|' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Unescapes a CEF/LEEF header field: `\|` becomes `|` and `\\` becomes `\`;
/// any other backslash is kept literally.
pub(crate) fn unescape_header(s: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\\', s.as_bytes()).is_none() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('|' | '\\')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Strips trailing `\r` and `\n` characters (line terminators) from `s`.
pub(crate) fn trim_eol(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_escapes_decode_only_control_characters() {
        assert!(matches!(
            decode_octal_escapes("plain"),
            Cow::Borrowed("plain")
        ));
        assert_eq!(decode_octal_escapes("a#011b#012c"), "a\tb\nc");
        assert_eq!(decode_octal_escapes("#011"), "\t");
        assert_eq!(decode_octal_escapes("issue #0123"), "issue \n3");
        // Not three octal digits, or not a control character: kept.
        assert_eq!(decode_octal_escapes("#01 #8 #101 #377"), "#01 #8 #101 #377");
        assert_eq!(decode_octal_escapes("del#177"), "del\u{7f}");
        assert_eq!(decode_octal_escapes("tail#01"), "tail#01");
        assert_eq!(decode_octal_escapes("##011"), "#\t");
    }

    #[test]
    fn header_fields_respect_escaped_pipes() {
        let b = br"a\|b|c\\|d";
        assert_eq!(header_field_end(b, 0), Some(4));
        assert_eq!(header_field_end(b, 5), Some(8));
        assert_eq!(header_field_end(b, 9), None);
        assert_eq!(header_field_end(br"x\", 0), None);
        assert_eq!(unescape_header(r"a\|b"), "a|b");
        assert_eq!(unescape_header(r"c\\"), r"c\");
        assert_eq!(unescape_header(r"C:\temp\"), r"C:\temp\");
        assert!(matches!(unescape_header("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn eol_trimming() {
        assert_eq!(trim_eol("x\r\n"), "x");
        assert_eq!(trim_eol("x\n\n"), "x");
        assert_eq!(trim_eol("x "), "x ");
    }
}

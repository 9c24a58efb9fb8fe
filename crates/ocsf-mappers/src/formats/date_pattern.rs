//! Timestamps written by a Java `SimpleDateFormat` pattern, as LEEF's
//! `devTimeFormat` attribute names them (`MMM dd yyyy HH:mm:ss.SSS zzz`,
//! `yyyy-MM-dd'T'HH:mm:ssXXX`, ...).
//!
//! [`parse`] reads a value by its pattern. Supported letters:
//!
//! | letter | meaning |
//! |---|---|
//! | `y` | year (`yy` is 2000-2099 relative: 00-68 → 20xx, 69-99 → 19xx) |
//! | `M` / `L` | month: `M`, `MM` number; `MMM` and longer a name (`Jun`, `June`) |
//! | `d` | day of month |
//! | `H` / `k` | hour 0-23 / 1-24 |
//! | `h` / `K` | hour 1-12 / 0-11, with `a` (`AM` / `PM`) |
//! | `m`, `s` | minute, second |
//! | `S` | fraction of a second (`S`, `SS`, `SSS`, ... read as a decimal fraction) |
//! | `E`, `u` | day name or number (checked for shape, not used) |
//! | `a` | `AM` / `PM` |
//! | `z`, `Z`, `X` | zone: `Z`, `UTC`, `GMT`, `GMT+hh:mm`, `+hhmm`, `+hh:mm`, `+hh`, and the common abbreviations `EST` `EDT` `CST` `CDT` `MST` `MDT` `PST` `PDT` `CET` `CEST` `BST` `IST` `JST` |
//! | `'text'` | literal text (`''` is a quote) |
//!
//! Any other character must appear as written; a single space in the pattern
//! also matches a run of spaces in the value (syslog relays pad days). A number
//! field of one letter reads as many digits as there are; of two or more
//! letters, when the next pattern item is another number, exactly that many.
//! A value without a zone is in the caller's zone (`default_offset_secs`).

use crate::formats::time::{days_from_civil, days_in_month, month_from_abbrev};

#[derive(Default)]
struct Fields {
    year: Option<i64>,
    month: Option<u32>,
    day: Option<u32>,
    hour: u32,
    hour12: Option<u32>,
    pm: Option<bool>,
    minute: u32,
    second: u32,
    millis: u32,
    offset_secs: Option<i32>,
}

/// One pattern item: a run of one letter, or literal text.
enum Item<'p> {
    Letter(char, usize),
    Literal(std::borrow::Cow<'p, str>),
}

fn items(pattern: &str) -> Option<Vec<Item<'_>>> {
    let mut out = Vec::new();
    let b = pattern.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphabetic() {
            let mut j = i;
            while j < b.len() && b[j] == c {
                j += 1;
            }
            out.push(Item::Letter(char::from(c), j - i));
            i = j;
        } else if c == b'\'' {
            if b.get(i + 1) == Some(&b'\'') {
                out.push(Item::Literal("'".into()));
                i += 2;
                continue;
            }
            let mut text = String::new();
            let mut j = i + 1;
            loop {
                match b.get(j) {
                    None => return None,
                    Some(b'\'') if b.get(j + 1) == Some(&b'\'') => {
                        text.push('\'');
                        j += 2;
                    }
                    Some(b'\'') => break,
                    Some(_) => {
                        let ch = pattern[j..].chars().next()?;
                        text.push(ch);
                        j += ch.len_utf8();
                    }
                }
            }
            out.push(Item::Literal(text.into()));
            i = j + 1;
        } else {
            let ch = pattern[i..].chars().next()?;
            out.push(Item::Literal(pattern[i..i + ch.len_utf8()].into()));
            i += ch.len_utf8();
        }
    }
    Some(out)
}

fn is_number_letter(c: char) -> bool {
    matches!(c, 'y' | 'd' | 'H' | 'k' | 'h' | 'K' | 'm' | 's' | 'S' | 'u')
}

/// Reads digits at `at`: exactly `n` when `fixed`, else 1 to `max`.
fn take_digits(v: &[u8], at: usize, n: usize, fixed: bool, max: usize) -> Option<(u64, usize)> {
    let avail = v[at..].iter().take_while(|c| c.is_ascii_digit()).count();
    let len = if fixed { n } else { avail.min(max) };
    if len == 0 || avail < len {
        return None;
    }
    let mut val: u64 = 0;
    for &c in &v[at..at + len] {
        val = val.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some((val, at + len))
}

const ZONES: &[(&str, i32)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("UT", 0),
    ("Z", 0),
    ("EST", -5 * 3600),
    ("EDT", -4 * 3600),
    ("CST", -6 * 3600),
    ("CDT", -5 * 3600),
    ("MST", -7 * 3600),
    ("MDT", -6 * 3600),
    ("PST", -8 * 3600),
    ("PDT", -7 * 3600),
    ("CEST", 2 * 3600),
    ("CET", 3600),
    ("BST", 3600),
    ("IST", 5 * 3600 + 1800),
    ("JST", 9 * 3600),
];

/// `+hh`, `+hhmm`, `+hh:mm` at `at`; returns (seconds, end).
fn numeric_offset(v: &[u8], at: usize) -> Option<(i32, usize)> {
    let sign = match v.get(at)? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, mut end) = take_digits(v, at + 1, 2, true, 2)?;
    let mut m = 0;
    if v.get(end) == Some(&b':') {
        let (mm, e) = take_digits(v, end + 1, 2, true, 2)?;
        m = mm;
        end = e;
    } else if let Some((mm, e)) = take_digits(v, end, 2, true, 2) {
        m = mm;
        end = e;
    }
    if h > 18 || m > 59 {
        return None;
    }
    Some((sign * (h as i32 * 3600 + m as i32 * 60), end))
}

fn zone(v: &[u8], at: usize) -> Option<(i32, usize)> {
    if let Some(r) = numeric_offset(v, at) {
        return Some(r);
    }
    let rest = &v[at..];
    let (name, base) = ZONES.iter().find(|(n, _)| {
        rest.len() >= n.len() && rest[..n.len()].eq_ignore_ascii_case(n.as_bytes())
    })?;
    let end = at + name.len();
    // `GMT+01:00`, `UTC-5`.
    if matches!(*name, "GMT" | "UTC" | "UT")
        && let Some((off, e)) = numeric_offset(v, end).or_else(|| short_offset(v, end))
    {
        return Some((off, e));
    }
    Some((*base, end))
}

/// `+h` / `-h` (one digit hours, as in `GMT+1`).
fn short_offset(v: &[u8], at: usize) -> Option<(i32, usize)> {
    let sign = match v.get(at)? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, end) = take_digits(v, at + 1, 1, false, 2)?;
    (h <= 18).then_some((sign * h as i32 * 3600, end))
}

/// A month or day name at `at`: returns (month number or 0 for days, end).
fn name_at(v: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let len = v[at..]
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    (len >= 2).then(|| (&v[at..at + len], at + len))
}

const DAY_NAMES: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Parses `value` by the `SimpleDateFormat` `pattern`; returns epoch
/// milliseconds UTC, or `None` when the value does not fit the pattern or
/// names an impossible date. A value without a zone is taken to be at UTC
/// offset `default_offset_secs`.
///
/// ```
/// use ocsf_mappers::formats::date_pattern::parse;
///
/// // 2024-06-10T06:13:20Z
/// assert_eq!(parse("Jun 10 2024 06:13:20", "MMM dd yyyy HH:mm:ss", 0), Some(1_718_000_000_000));
/// assert_eq!(parse("2024-06-10T08:13:20.000+02:00", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", 0), Some(1_718_000_000_000));
/// assert_eq!(parse("10/06/24 7:13:20 AM", "dd/MM/yy h:mm:ss a", 3600), Some(1_718_000_000_000));
/// assert_eq!(parse("Jun 10 2024 06:13:20 GMT+00:00", "MMM dd yyyy HH:mm:ss z", 0), Some(1_718_000_000_000));
/// assert_eq!(parse("Feb 30 2024 06:13:20", "MMM dd yyyy HH:mm:ss", 0), None);
/// ```
pub fn parse(value: &str, pattern: &str, default_offset_secs: i32) -> Option<i64> {
    let items = items(pattern)?;
    let v = value.trim().as_bytes();
    let mut f = Fields::default();
    let mut pos = 0;
    for (idx, item) in items.iter().enumerate() {
        let next_is_number = matches!(
            items.get(idx + 1),
            Some(Item::Letter(c, _)) if is_number_letter(*c) || matches!(c, 'M' | 'L')
        );
        match item {
            Item::Literal(text) => {
                if text.as_ref() == " " {
                    let n = v[pos..].iter().take_while(|c| **c == b' ').count();
                    if n == 0 {
                        return None;
                    }
                    pos += n;
                } else {
                    let t = text.as_bytes();
                    if v.len() < pos + t.len() || !v[pos..pos + t.len()].eq_ignore_ascii_case(t) {
                        return None;
                    }
                    pos += t.len();
                }
            }
            Item::Letter(c, n) => {
                let n = *n;
                let fixed = n >= 2 && next_is_number;
                match c {
                    'y' => {
                        let (y, e) = if n == 2 {
                            take_digits(v, pos, 2, true, 2)?
                        } else {
                            take_digits(v, pos, n.max(4), fixed && n >= 4, 9)?
                        };
                        let y = y as i64;
                        f.year = Some(if n == 2 {
                            if y <= 68 { 2000 + y } else { 1900 + y }
                        } else {
                            y
                        });
                        pos = e;
                    }
                    'M' | 'L' if n <= 2 => {
                        let (m, e) = take_digits(v, pos, n, fixed, 2)?;
                        f.month = Some(m as u32);
                        pos = e;
                    }
                    'M' | 'L' => {
                        let (name, e) = name_at(v, pos)?;
                        let month = month_from_abbrev(name.get(..3)?)?;
                        f.month = Some(month);
                        pos = e;
                    }
                    'd' => {
                        let (d, e) = take_digits(v, pos, n, fixed, 2)?;
                        f.day = Some(d as u32);
                        pos = e;
                    }
                    'H' | 'k' | 'h' | 'K' => {
                        let (h, e) = take_digits(v, pos, n, fixed, 2)?;
                        let h = h as u32;
                        match c {
                            'H' => f.hour = h,
                            'k' => f.hour = h % 24,
                            'h' => f.hour12 = Some(h % 12),
                            _ => f.hour12 = Some(h),
                        }
                        pos = e;
                    }
                    'm' => {
                        let (m, e) = take_digits(v, pos, n, fixed, 2)?;
                        f.minute = m as u32;
                        pos = e;
                    }
                    's' => {
                        let (s, e) = take_digits(v, pos, n, fixed, 2)?;
                        f.second = s as u32;
                        pos = e;
                    }
                    'S' => {
                        let (_, e) = take_digits(v, pos, n, fixed, 9)?;
                        let digits = &v[pos..e];
                        let mut ms = 0;
                        for k in 0..3 {
                            ms = ms * 10 + digits.get(k).map_or(0, |d| u32::from(d - b'0'));
                        }
                        f.millis = ms;
                        pos = e;
                    }
                    'E' => {
                        let (name, e) = name_at(v, pos)?;
                        let lower = name.get(..3)?.to_ascii_lowercase();
                        if !DAY_NAMES.iter().any(|d| d.as_bytes() == lower.as_slice()) {
                            return None;
                        }
                        pos = e;
                    }
                    'u' => {
                        let (_, e) = take_digits(v, pos, 1, false, 1)?;
                        pos = e;
                    }
                    'a' => {
                        let rest = v.get(pos..pos + 2)?;
                        f.pm = Some(if rest.eq_ignore_ascii_case(b"pm") {
                            true
                        } else if rest.eq_ignore_ascii_case(b"am") {
                            false
                        } else {
                            return None;
                        });
                        pos += 2;
                    }
                    'z' | 'Z' | 'X' | 'x' | 'O' => {
                        let (off, e) = zone(v, pos)?;
                        f.offset_secs = Some(off);
                        pos = e;
                    }
                    _ => return None,
                }
            }
        }
    }
    if pos != v.len() {
        return None;
    }
    if let Some(h12) = f.hour12 {
        f.hour = h12 + if f.pm == Some(true) { 12 } else { 0 };
    }
    let (year, month, day) = (f.year?, f.month?, f.day?);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || f.hour > 23
        || f.minute > 59
        || f.second > 60
    {
        return None;
    }
    let local = days_from_civil(year, month, day)
        .checked_mul(86_400_000)?
        .checked_add(
            i64::from(f.hour) * 3_600_000
                + i64::from(f.minute) * 60_000
                + i64::from(f.second) * 1000
                + i64::from(f.millis),
        )?;
    local.checked_sub(i64::from(f.offset_secs.unwrap_or(default_offset_secs)) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_718_000_000_000; // 2024-06-10T06:13:20Z

    #[test]
    fn patterns_vendors_send() {
        let cases: &[(&str, &str, i32, Option<i64>)] = &[
            ("Jun 10 2024 06:13:20", "MMM dd yyyy HH:mm:ss", 0, Some(T)),
            (
                "Jun 10 2024 06:13:20.250",
                "MMM dd yyyy HH:mm:ss.SSS",
                0,
                Some(T + 250),
            ),
            (
                "Jun 10 2024 08:13:20 CEST",
                "MMM dd yyyy HH:mm:ss z",
                0,
                Some(T),
            ),
            (
                "Jun 10 2024 02:13:20 EDT",
                "MMM dd yyyy HH:mm:ss zzz",
                0,
                Some(T),
            ),
            (
                "Jun 10 2024 06:13:20 GMT+00:00",
                "MMM dd yyyy HH:mm:ss z",
                7200,
                Some(T),
            ),
            (
                "Jun 10 2024 07:13:20 GMT+1",
                "MMM dd yyyy HH:mm:ss z",
                0,
                Some(T),
            ),
            ("2024-06-10 06:13:20", "yyyy-MM-dd HH:mm:ss", 0, Some(T)),
            ("2024-06-10 07:13:20", "yyyy-MM-dd HH:mm:ss", 3600, Some(T)),
            (
                "2024-06-10T06:13:20Z",
                "yyyy-MM-dd'T'HH:mm:ssX",
                3600,
                Some(T),
            ),
            (
                "2024-06-10T01:13:20-0500",
                "yyyy-MM-dd'T'HH:mm:ssZ",
                0,
                Some(T),
            ),
            ("20240610061320", "yyyyMMddHHmmss", 0, Some(T)),
            (
                "Mon, 10 June 2024 06:13:20 +0000",
                "EEE, d MMMM yyyy HH:mm:ss Z",
                0,
                Some(T),
            ),
            ("6/10/2024 6:13:20 AM", "M/d/yyyy h:mm:ss a", 0, Some(T)),
            (
                "6/10/2024 12:13:20 PM",
                "M/d/yyyy h:mm:ss a",
                21600,
                Some(T),
            ),
            (
                "Jun  9 2024 06:13:20",
                "MMM d yyyy HH:mm:ss",
                0,
                Some(T - 86_400_000),
            ),
            (
                "at 06:13:20 on 10.06.2024",
                "'at' HH:mm:ss 'on' dd.MM.yyyy",
                0,
                Some(T),
            ),
            (
                "it's 2024-06-10 06:13:20",
                "'it''s' yyyy-MM-dd HH:mm:ss",
                0,
                Some(T),
            ),
            // Wrong shapes.
            ("Jun 10 2024", "MMM dd yyyy HH:mm:ss", 0, None),
            (
                "Jun 10 2024 06:13:20 trailing",
                "MMM dd yyyy HH:mm:ss",
                0,
                None,
            ),
            ("Foo 10 2024 06:13:20", "MMM dd yyyy HH:mm:ss", 0, None),
            ("2024-13-10 06:13:20", "yyyy-MM-dd HH:mm:ss", 0, None),
            ("2024-06-10 24:13:20", "yyyy-MM-dd HH:mm:ss", 0, None),
            (
                "2024-06-10 06:13:20",
                "yyyy-MM-dd HH:mm:ss 'unterminated",
                0,
                None,
            ),
            ("2024-06-10 06:13:20", "yyyy-MM-dd HH:mm:ss Q", 0, None),
            ("06:13:20", "HH:mm:ss", 0, None),
        ];
        for (value, pattern, offset, want) in cases {
            assert_eq!(
                parse(value, pattern, *offset),
                *want,
                "{value:?} as {pattern:?}"
            );
        }
    }

    #[test]
    fn never_panics_on_cut_values() {
        let value = "Mon, 10 June 2024 06:13:20.123 GMT+01:30";
        let pattern = "EEE, d MMMM yyyy HH:mm:ss.SSS z";
        assert!(parse(value, pattern, 0).is_some());
        for cut in 0..value.len() {
            let _ = parse(&value[..cut], pattern, 0);
            let _ = parse(value, &pattern[..cut.min(pattern.len())], 0);
        }
    }
}

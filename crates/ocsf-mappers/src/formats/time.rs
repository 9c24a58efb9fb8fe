//! Timestamp readers shared by the parsers: RFC 3339 with byte offsets in its
//! errors (as syslog needs), `hh:mm:ss[.frac]`, English month names. The day
//! arithmetic comes from the workspace's one time module, [`ocsf_model::time`]
//! (re-exported here); the grammar of [`parse_rfc3339`] is its strict one.

use crate::error::{Error, ErrorKind, Format};

const MS_PER_DAY: i64 = ocsf_model::time::MILLIS_PER_DAY;

// The day arithmetic is the workspace's one time module; these parsers only read their formats.
pub use ocsf_model::time::{civil_from_days, days_from_civil, days_in_month, is_leap_year};

/// Epoch milliseconds of a civil date and wall-clock time in UTC.
pub(crate) use ocsf_model::time::civil_to_epoch_ms;

/// The civil year that contains the UTC instant `epoch_ms` shifted by
/// `offset_secs`.
pub(crate) fn local_year(epoch_ms: i64, offset_secs: i32) -> i64 {
    let local = epoch_ms.saturating_add(i64::from(offset_secs) * 1000);
    civil_from_days(local.div_euclid(MS_PER_DAY)).0
}

/// A parsed RFC 3339 timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339 {
    /// The instant as milliseconds since the Unix epoch, UTC (sub-millisecond
    /// digits are truncated).
    pub epoch_ms: i64,
    /// The UTC offset written in the timestamp, in seconds (`Z` is 0).
    pub offset_secs: i32,
}

/// Parses a complete RFC 3339 timestamp such as `2024-01-02T03:04:05.123456+01:00`.
///
/// ```
/// use ocsf_mappers::formats::time::parse_rfc3339;
/// let t = parse_rfc3339("2024-01-02T03:04:05.123456+01:00")?;
/// assert_eq!(t.epoch_ms, 1_704_161_045_123);
/// assert_eq!(t.offset_secs, 3600);
/// # Ok::<(), ocsf_mappers::Error>(())
/// ```
pub fn parse_rfc3339(s: &str) -> Result<Rfc3339, Error> {
    let (t, used) = parse_rfc3339_prefix(s.as_bytes())?;
    if used != s.len() {
        return Err(Error::new(
            Format::Timestamp,
            ErrorKind::InvalidTimestamp,
            "trailing characters after RFC 3339 timestamp",
        )
        .at(used));
    }
    Ok(t)
}

fn bad(offset: usize, what: &'static str) -> Error {
    Error::new(Format::Timestamp, ErrorKind::InvalidTimestamp, what).at(offset)
}

/// Reads `n` ASCII digits at `b[at..]`.
pub(crate) fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

fn expect(b: &[u8], at: usize, c: u8, what: &'static str) -> Result<(), Error> {
    if b.get(at) == Some(&c) {
        Ok(())
    } else {
        Err(bad(at, what))
    }
}

/// Parses an RFC 3339 timestamp at the start of `b`, returning it and the number
/// of bytes used. Anything may follow.
pub(crate) fn parse_rfc3339_prefix(b: &[u8]) -> Result<(Rfc3339, usize), Error> {
    let year = digits(b, 0, 4).ok_or_else(|| bad(0, "expected 4-digit year"))?;
    expect(b, 4, b'-', "expected '-' after year")?;
    let month = digits(b, 5, 2).ok_or_else(|| bad(5, "expected 2-digit month"))?;
    expect(b, 7, b'-', "expected '-' after month")?;
    let day = digits(b, 8, 2).ok_or_else(|| bad(8, "expected 2-digit day"))?;
    match b.get(10) {
        Some(b'T' | b't') => {}
        _ => return Err(bad(10, "expected 'T' between date and time")),
    }
    let (hour, minute, second, millis, mut i) = parse_hms(b, 11)?;
    let year = i64::from(year);
    if !(1..=12).contains(&month) {
        return Err(bad(5, "month out of range"));
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(bad(8, "day out of range for month"));
    }
    let offset_secs: i32 = match b.get(i) {
        Some(b'Z' | b'z') => {
            i += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, i + 1, 2).ok_or_else(|| bad(i + 1, "expected offset hours"))?;
            expect(b, i + 3, b':', "expected ':' in UTC offset")?;
            let om = digits(b, i + 4, 2).ok_or_else(|| bad(i + 4, "expected offset minutes"))?;
            if oh > 23 || om > 59 {
                return Err(bad(i, "UTC offset out of range"));
            }
            let secs = (oh * 3600 + om * 60) as i32;
            i += 6;
            if sign == b'-' { -secs } else { secs }
        }
        _ => return Err(bad(i, "expected 'Z' or a numeric UTC offset")),
    };
    let local = civil_to_epoch_ms(year, month, day, hour, minute, second, millis);
    Ok((
        Rfc3339 {
            epoch_ms: local - i64::from(offset_secs) * 1000,
            offset_secs,
        },
        i,
    ))
}

/// Parses `hh:mm:ss[.frac]` at `b[at..]`: returns hour, minute, second,
/// milliseconds (fraction truncated) and the index after the time.
pub(crate) fn parse_hms(b: &[u8], at: usize) -> Result<(u32, u32, u32, u32, usize), Error> {
    let hour = digits(b, at, 2).ok_or_else(|| bad(at, "expected 2-digit hour"))?;
    expect(b, at + 2, b':', "expected ':' after hour")?;
    let minute = digits(b, at + 3, 2).ok_or_else(|| bad(at + 3, "expected 2-digit minute"))?;
    expect(b, at + 5, b':', "expected ':' after minute")?;
    let second = digits(b, at + 6, 2).ok_or_else(|| bad(at + 6, "expected 2-digit second"))?;
    if hour > 23 {
        return Err(bad(at, "hour out of range"));
    }
    if minute > 59 {
        return Err(bad(at + 3, "minute out of range"));
    }
    // 60 is a leap second: read as the last millisecond of its minute, as
    // `ocsf_model::time` reads it (below).
    if second > 60 {
        return Err(bad(at + 6, "second out of range"));
    }
    let mut i = at + 8;
    let mut millis = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if i - start < 3 {
                millis = millis * 10 + u32::from(c - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return Err(bad(start, "expected digits after '.'"));
        }
        for _ in n..3 {
            millis *= 10;
        }
    }
    if second == 60 {
        return Ok((hour, minute, 59, 999, i));
    }
    Ok((hour, minute, second, millis, i))
}

/// Month number (1-12) of an English three-letter abbreviation (`Jan`..`Dec`,
/// any case).
pub(crate) fn month_from_abbrev(b: &[u8]) -> Option<u32> {
    let m = [
        b.first()?.to_ascii_lowercase(),
        b.get(1)?.to_ascii_lowercase(),
        b.get(2)?.to_ascii_lowercase(),
    ];
    Some(match &m {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_roundtrip_over_leap_years_and_negative_days() {
        for days in (-800_000i64..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert!((1..=12).contains(&m));
            assert!(d >= 1 && d <= days_in_month(y, m));
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert!(is_leap_year(2000));
        assert!(!is_leap_year(1900));
        assert!(is_leap_year(2024));
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2024, 13), 0);
    }

    #[test]
    fn rfc3339_variants() {
        assert_eq!(
            parse_rfc3339("1970-01-01T00:00:00Z")
                .map(|t| t.epoch_ms)
                .ok(),
            Some(0)
        );
        let t = parse_rfc3339("2003-10-11T22:14:15.003Z").ok();
        assert_eq!(t.map(|t| t.epoch_ms), Some(1_065_910_455_003));
        let t = parse_rfc3339("2003-08-24T05:14:15.000003-07:00").ok();
        assert_eq!(t.map(|t| t.epoch_ms), Some(1_061_727_255_000));
        assert_eq!(t.map(|t| t.offset_secs), Some(-25_200));
        let t = parse_rfc3339("2024-02-29t23:59:59.9z").ok();
        assert_eq!(
            t.map(|t| t.epoch_ms),
            Some(civil_to_epoch_ms(2024, 2, 29, 23, 59, 59, 900))
        );
    }

    #[test]
    fn rfc3339_rejects_bad_parts_with_offsets() {
        let cases: &[(&str, u64)] = &[
            ("2023-02-29T00:00:00Z", 8),
            ("2023-13-01T00:00:00Z", 5),
            ("2023-01-01 00:00:00Z", 10),
            ("2023-01-01T24:00:00Z", 11),
            ("2023-01-01T00:00:00", 19),
            ("2023-01-01T00:00:00.Z", 20),
            ("2023-01-01T00:00:00+0100", 22),
            ("2023-01-01T00:00:00Zjunk", 20),
            ("20x3-01-01T00:00:00Z", 0),
        ];
        for (s, off) in cases {
            let e = parse_rfc3339(s).err();
            assert_eq!(
                e.as_ref().map(Error::kind),
                Some(ErrorKind::InvalidTimestamp),
                "{s}"
            );
            assert_eq!(e.and_then(|e| e.offset()), Some(*off), "{s}");
        }
    }

    #[test]
    fn the_strict_grammar_of_the_time_module() {
        // Every instant the time module formats reads back the same here.
        for ms in [
            0,
            -1,
            1_709_251_199_999,
            253_402_300_799_999,
            -62_167_219_200_000,
        ] {
            let text = ocsf_model::time::format_rfc3339_ms(ms).unwrap_or_default();
            assert_eq!(
                parse_rfc3339(&text).map(|t| t.epoch_ms).ok(),
                Some(ms),
                "{text}"
            );
        }
        // A leap second stays in its minute, as there.
        let leap = "2016-12-31T23:59:60.5Z";
        assert_eq!(
            parse_rfc3339(leap).map(|t| t.epoch_ms).ok(),
            ocsf_model::time::parse_rfc3339_ms(leap)
        );
    }

    #[test]
    fn month_abbreviations() {
        assert_eq!(month_from_abbrev(b"Jan"), Some(1));
        assert_eq!(month_from_abbrev(b"DEC"), Some(12));
        assert_eq!(month_from_abbrev(b"Foo"), None);
        assert_eq!(month_from_abbrev(b"Ju"), None);
    }
}

//! The one civil-date and RFC 3339 module of the workspace: proleptic Gregorian day arithmetic,
//! and date-times to and from epoch milliseconds (UTC), without a calendar dependency.
//!
//! Every crate of the workspace uses it (`securitylake-core` re-exports it as
//! `securitylake_core::time`); the format parsers of `ocsf-mappers` (syslog, CEF, LEEF, ...)
//! read their own formats but take their day arithmetic from here.
//!
//! # Grammar
//!
//! [`parse_rfc3339_ms`] reads RFC 3339 `date-time` (section 5.6), exactly:
//!
//! ```text
//! date-time = YYYY "-" MM "-" DD ("T" / "t") hh ":" mm ":" ss ["." 1*DIGIT] offset
//! offset    = "Z" / "z" / ("+" / "-") hh ":" mm
//! ```
//!
//! - years 0000 to 9999, the day valid for its month (February 29 only in leap years);
//! - hours 00–23, minutes 00–59, seconds 00–60, offsets up to ±23:59;
//! - fractional seconds of any length; digits past milliseconds are truncated (towards the
//!   earlier instant);
//! - **leap seconds**: epoch time has none, so a second of `60` is read as the last
//!   millisecond of its minute (`23:59:60.5Z` is `23:59:59.999Z`): the instant stays in its
//!   minute and its UTC day;
//! - no space for `T`, no missing offset, no surrounding whitespace.
//!
//! [`parse_lenient_ms`] is the one relaxation, explicitly named, for input typed by people
//! (command-line flags) and for OCSF `datetime_t` values (whose schema regex makes the offset
//! optional): it accepts everything [`parse_rfc3339_ms`] accepts, and also a space for `T`, a
//! missing offset (UTC), a missing time (`YYYY-MM-DD`, midnight UTC), and surrounding
//! whitespace.
//!
//! [`format_rfc3339_ms`] writes `YYYY-MM-DDThh:mm:ss.sssZ`, which both parsers read back to
//! the same instant, for every instant in years 0000 to 9999
//! ([`MIN_RFC3339_MS`]..=[`MAX_RFC3339_MS`]); instants outside have no RFC 3339 form.
//!
//! ```
//! use ocsf_model::time::{format_rfc3339_ms, parse_lenient_ms, parse_rfc3339_ms};
//!
//! assert_eq!(parse_rfc3339_ms("2024-02-29T23:59:59.999Z"), Some(1_709_251_199_999));
//! assert_eq!(parse_rfc3339_ms("2024-03-01T01:00:00+01:00"), Some(1_709_251_200_000));
//! assert_eq!(parse_rfc3339_ms("2024-03-01 00:00:00Z"), None);
//! assert_eq!(parse_lenient_ms("2024-03-01 00:00:00"), Some(1_709_251_200_000));
//! assert_eq!(parse_lenient_ms("2024-03-01"), Some(1_709_251_200_000));
//! assert_eq!(format_rfc3339_ms(-1).as_deref(), Some("1969-12-31T23:59:59.999Z"));
//! ```

/// Milliseconds in a UTC day (epoch time has no leap seconds).
pub const MILLIS_PER_DAY: i64 = 86_400_000;

/// The first instant with an RFC 3339 form: 0000-01-01T00:00:00.000Z.
pub const MIN_RFC3339_MS: i64 = -62_167_219_200_000;

/// The last instant with an RFC 3339 form: 9999-12-31T23:59:59.999Z.
pub const MAX_RFC3339_MS: i64 = 253_402_300_799_999;

/// Whether `year` is a leap year of the proleptic Gregorian calendar.
///
/// ```
/// use ocsf_model::time::is_leap_year;
/// assert!(is_leap_year(2000) && is_leap_year(2024) && is_leap_year(0));
/// assert!(!is_leap_year(1900) && !is_leap_year(2023));
/// ```
pub fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The days of `month` (1–12) of `year`; 0 for another month.
///
/// ```
/// use ocsf_model::time::days_in_month;
/// assert_eq!((days_in_month(2024, 2), days_in_month(2023, 2), days_in_month(2023, 13)), (29, 28, 0));
/// ```
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of the proleptic Gregorian date `year-month-day` (negative before).
/// The date is not validated ([`days_in_month`]); any `year` of an `i64` that does not
/// overflow the result works.
///
/// ```
/// use ocsf_model::time::days_from_civil;
/// assert_eq!(days_from_civil(1970, 1, 1), 0);
/// assert_eq!(days_from_civil(2000, 3, 1), 11_017);
/// assert_eq!(days_from_civil(1969, 12, 31), -1);
/// ```
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // H. Hinnant's algorithm: years start on March 1, so the leap day is the last of a year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date `(year, month, day)` of a day count since 1970-01-01 (the
/// inverse of [`days_from_civil`]).
///
/// ```
/// use ocsf_model::time::civil_from_days;
/// assert_eq!(civil_from_days(0), (1970, 1, 1));
/// assert_eq!(civil_from_days(19_782), (2024, 2, 29));
/// assert_eq!(civil_from_days(-1), (1969, 12, 31));
/// ```
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // By construction day is 1..=31 and month 1..=12.
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// Epoch milliseconds of a civil date and a wall-clock time read as UTC (not validated).
///
/// ```
/// use ocsf_model::time::civil_to_epoch_ms;
/// assert_eq!(civil_to_epoch_ms(1970, 1, 2, 0, 0, 1, 5), 86_401_005);
/// ```
pub fn civil_to_epoch_ms(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
) -> i64 {
    days_from_civil(year, month, day) * MILLIS_PER_DAY
        + i64::from(hour) * 3_600_000
        + i64::from(minute) * 60_000
        + i64::from(second) * 1_000
        + i64::from(millis)
}

/// Parses RFC 3339 `date-time` exactly (see the [grammar](self#grammar)) into epoch
/// milliseconds.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    parse(s.as_bytes(), false)
}

/// Parses RFC 3339 with the [lenient](self#grammar) relaxations (a space for `T`, a missing
/// offset or time read as UTC, surrounding whitespace) into epoch milliseconds.
pub fn parse_lenient_ms(s: &str) -> Option<i64> {
    parse(s.trim().as_bytes(), true)
}

/// Reads `n` ASCII digits at `b[at..]`.
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = b.get(at..at.checked_add(n)?)?;
    part.iter().try_fold(0u32, |v, &c| {
        c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0'))
    })
}

fn parse(b: &[u8], lenient: bool) -> Option<i64> {
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let year = i64::from(year);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let date_ms = days_from_civil(year, month, day) * MILLIS_PER_DAY;
    match b.get(10) {
        None if lenient => return Some(date_ms),
        Some(b'T' | b't') => {}
        Some(b' ') if lenient => {}
        _ => return None,
    }
    let (hour, minute, second) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 3 {
                millis = millis * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..3 {
            millis *= 10;
        }
    }
    let offset_secs = match b.get(i) {
        None if lenient => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
            let (oh, om) = (digits(b, i + 1, 2)?, digits(b, i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = i64::from(oh * 3600 + om * 60);
            if sign == b'-' { -o } else { o }
        }
        _ => return None,
    };
    // A leap second is the last millisecond of its minute.
    let (second, millis) = if second == 60 {
        (59, 999)
    } else {
        (second, millis)
    };
    let secs = i64::from(hour * 3600 + minute * 60 + second) - offset_secs;
    Some(date_ms + secs * 1000 + millis)
}

/// Formats epoch milliseconds as `YYYY-MM-DDThh:mm:ss.sssZ`; `None` outside years 0000 to
/// 9999.
pub fn format_rfc3339_ms(ms: i64) -> Option<String> {
    let mut out = String::with_capacity(24);
    write_rfc3339_ms(&mut out, ms).then_some(out)
}

/// Appends epoch milliseconds as `YYYY-MM-DDThh:mm:ss.sssZ` to `out` (no allocation when `out`
/// has room); returns `false`, writing nothing, outside years 0000 to 9999.
pub fn write_rfc3339_ms(out: &mut String, ms: i64) -> bool {
    use std::fmt::Write as _;
    if !(MIN_RFC3339_MS..=MAX_RFC3339_MS).contains(&ms) {
        return false;
    }
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    // Writing into a `String` cannot fail.
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic generator for the property tests (no dependency).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn format_then_parse_round_trips_every_instant_in_range() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let span = (MAX_RFC3339_MS - MIN_RFC3339_MS) as u64 + 1;
        let edges = [
            MIN_RFC3339_MS,
            MAX_RFC3339_MS,
            0,
            -1,
            1,
            951_782_400_000,     // 2000-02-29
            -2_203_891_200_000,  // 1900-03-01 (1900 is not a leap year)
            -62_135_596_800_001, // the last millisecond of year 0
        ];
        let random = (0..200_000).map(|_| MIN_RFC3339_MS + (rng.next() % span) as i64);
        for ms in edges.into_iter().chain(random) {
            let text = format_rfc3339_ms(ms).expect("in range");
            assert_eq!(text.len(), 24, "{text}");
            assert_eq!(parse_rfc3339_ms(&text), Some(ms), "{text}");
            assert_eq!(parse_lenient_ms(&text), Some(ms), "{text}");
        }
        assert_eq!(format_rfc3339_ms(MAX_RFC3339_MS + 1), None);
        assert_eq!(format_rfc3339_ms(MIN_RFC3339_MS - 1), None);
        assert_eq!(
            format_rfc3339_ms(MIN_RFC3339_MS).as_deref(),
            Some("0000-01-01T00:00:00.000Z")
        );
        assert_eq!(
            format_rfc3339_ms(MAX_RFC3339_MS).as_deref(),
            Some("9999-12-31T23:59:59.999Z")
        );
    }

    #[test]
    fn civil_days_round_trip_over_leap_years_and_negative_days() {
        for days in (-800_000i64..3_000_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert!((1..=12).contains(&m));
            assert!(d >= 1 && d <= days_in_month(y, m));
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(0, 1, 1), -719_528);
        assert_eq!(civil_from_days(-719_528), (0, 1, 1));
        assert_eq!(days_from_civil(0, 3, 1) - days_from_civil(0, 2, 28), 2);
    }

    #[test]
    fn the_strict_grammar() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339_ms("1970-01-01t00:00:00z"), Some(0));
        assert_eq!(
            parse_rfc3339_ms("2023-04-21T11:59:04.000-04:00"),
            Some(1_682_092_744_000)
        );
        assert_eq!(parse_rfc3339_ms("1969-12-31T23:59:59.999Z"), Some(-1));
        // Sub-millisecond digits are truncated.
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00.0019999Z"), Some(1));
        // A leap second stays in its minute.
        assert_eq!(
            parse_rfc3339_ms("2016-12-31T23:59:60.5Z"),
            parse_rfc3339_ms("2016-12-31T23:59:59.999Z")
        );
        for bad in [
            "",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:61Z",
            "2024-01-01T00:00:00Q",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0100",
            "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00Zjunk",
            " 2024-01-01T00:00:00Z",
            "2024-01-01",
            "x024-01-01T00:00:00Z",
            "+2024-01-01T00:00:00Z",
            "2024-1-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_lenient_relaxations() {
        assert_eq!(
            parse_lenient_ms("2021-09-23 18:06:56.512000"),
            Some(1_632_420_416_512)
        );
        assert_eq!(parse_lenient_ms(" 1970-01-02 "), Some(MILLIS_PER_DAY));
        assert_eq!(parse_lenient_ms("1970-01-01T01:00:00+01:00"), Some(0));
        for bad in ["2024-02-30", "2024-01-01X", "2024-01-01T00:00", "yesterday"] {
            assert_eq!(parse_lenient_ms(bad), None, "{bad:?}");
        }
    }
}

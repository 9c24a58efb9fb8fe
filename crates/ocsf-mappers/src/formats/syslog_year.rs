//! The year of a BSD syslog timestamp, which has none: inferred from the reader's reference
//! clock ([`SyslogContext`]), and remembered per thread for the day of the last line.

use std::cell::Cell;

use super::syslog::SyslogContext;
use crate::formats::time::{civil_to_epoch_ms, days_in_month, local_year};

const DAY_MS: i64 = 86_400_000;

/// The time of day `hour:minute:second.millis` in milliseconds, as `civil_to_epoch_ms` adds it
/// to a day's first instant (an hour past 23 or a leap second runs past the day).
pub(super) fn time_of_day_ms(hour: u32, minute: u32, second: u32, millis: u32) -> i64 {
    civil_to_epoch_ms(1970, 1, 1, hour, minute, second, millis)
}

/// Outcome of [`infer_year`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Inferred {
    /// The instant, epoch milliseconds UTC.
    At(i64),
    /// The inferred year has no such day (`Feb 29` in a common year).
    NoSuchDay,
}

/// Picks the latest year `Y` (the reference's local year + 1 or earlier) in
/// which the line's month, day and `time` of day (milliseconds, [`time_of_day_ms`]), placed
/// by calendar position (a
/// `Feb 29` of a common year counts as the instant after `Feb 28`), lie at most
/// `max_future_ms` after the reference. Only `Y + 1`, `Y` and `Y - 1` can
/// qualify for any `max_future_ms` below a year; larger tolerances are clamped
/// to the reference year + 1. If `Y` has no such day the result is
/// [`Inferred::NoSuchDay`].
///
/// The answer for a whole day is remembered per thread (the lines of a log come day by day):
/// the year and the day's first instant, when every time of that day gets the same year.
/// Working it out cost about 430 instructions per line (three dates to days, the reference's
/// year from its days), 3% of mapping an sshd line.
pub(super) fn infer_year(month: u32, day: u32, time: i64, ctx: &SyslogContext) -> Inferred {
    let key = DayKey {
        ctx: *ctx,
        month,
        day,
    };
    if (0..DAY_MS).contains(&time) {
        if let Some(known) = LAST_DAY.get().filter(|d| d.key == key) {
            return known.at(time);
        }
        if let Some(known) = whole_day(key) {
            LAST_DAY.set(Some(known));
            return known.at(time);
        }
    }
    infer_year_at(key, time)
}

/// [`infer_year`] worked out for the time of day `time` (milliseconds) of `key`.
fn infer_year_at(key: DayKey, time: i64) -> Inferred {
    key.in_year(key.year_at(time), time)
}

/// The instant of `month`/`day` in a year the line wrote (`Mar  1 2024 12:00:00`) at the time
/// of day `time` (milliseconds), read at the context's UTC offset as an inferred year is;
/// [`Inferred::NoSuchDay`] when that year has no such day (`Feb 29 2023`).
pub(super) fn in_written_year(
    year: i64,
    month: u32,
    day: u32,
    time: i64,
    ctx: &SyslogContext,
) -> Inferred {
    DayKey {
        ctx: *ctx,
        month,
        day,
    }
    .in_year(year, time)
}

/// A day of the year as read in one context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DayKey {
    ctx: SyslogContext,
    month: u32,
    day: u32,
}

impl DayKey {
    /// The day's first instant in `year`, epoch milliseconds UTC.
    fn start(&self, year: i64) -> i64 {
        civil_to_epoch_ms(year, self.month, self.day, 0, 0, 0, 0)
            - i64::from(self.ctx.utc_offset_secs) * 1000
    }

    /// The day at the time of day `time` in `year`, or [`Inferred::NoSuchDay`].
    fn in_year(&self, year: i64, time: i64) -> Inferred {
        if self.day > days_in_month(year, self.month) {
            Inferred::NoSuchDay
        } else {
            Inferred::At(self.start(year) + time)
        }
    }

    /// The year [`infer_year`] picks for the time of day `time`.
    fn year_at(&self, time: i64) -> i64 {
        let ctx = &self.ctx;
        let ref_year = local_year(ctx.reference_ms, ctx.utc_offset_secs);
        let limit = ctx.reference_ms.saturating_add(ctx.max_future_ms.max(0));
        // Each step back moves the instant back by a whole year, so with a
        // non-negative tolerance the reference year - 1 always qualifies.
        (ref_year - 1..=ref_year + 1)
            .rev()
            .find(|&y| self.start(y) + time <= limit)
            .unwrap_or(ref_year - 1)
    }
}

/// What [`infer_year`] answers for every time of a day.
#[derive(Debug, Clone, Copy)]
struct KnownDay {
    key: DayKey,
    /// The day's first instant in the inferred year, epoch milliseconds UTC.
    start_ms: i64,
    /// The inferred year has no such day.
    no_such_day: bool,
}

impl KnownDay {
    fn at(&self, time: i64) -> Inferred {
        if self.no_such_day {
            Inferred::NoSuchDay
        } else {
            Inferred::At(self.start_ms + time)
        }
    }
}

thread_local! {
    /// The day of the last line whose whole day has one answer.
    static LAST_DAY: Cell<Option<KnownDay>> = const { Cell::new(None) };
}

/// The answer for every time of the day `key`, when it is the same; `None` when the limit
/// falls inside the day (the year then depends on the time). A later time picks the same
/// year or an earlier one, so the day's first and last millisecond decide.
fn whole_day(key: DayKey) -> Option<KnownDay> {
    let year = key.year_at(0);
    (key.year_at(DAY_MS - 1) == year).then(|| KnownDay {
        key,
        start_ms: key.start(year),
        no_such_day: key.day > days_in_month(year, key.month),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::time::days_from_civil;

    /// The rule of [`infer_year`] written out for one instant, independently of `DayKey`.
    fn per_instant(
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        millis: u32,
        ctx: &SyslogContext,
    ) -> Inferred {
        let ref_year = local_year(ctx.reference_ms, ctx.utc_offset_secs);
        let limit = ctx.reference_ms.saturating_add(ctx.max_future_ms.max(0));
        let offset_ms = i64::from(ctx.utc_offset_secs) * 1000;
        let at = |y| civil_to_epoch_ms(y, month, day, hour, minute, second, millis) - offset_ms;
        let year = (ref_year - 1..=ref_year + 1)
            .rev()
            .find(|&y| at(y) <= limit)
            .unwrap_or(ref_year - 1);
        if day > days_in_month(year, month) {
            Inferred::NoSuchDay
        } else {
            Inferred::At(at(year))
        }
    }

    /// The remembered answers equal those worked out per instant, around year ends, leap days
    /// and the limit, in several zones and tolerances, with the cache warm and cold.
    #[test]
    fn remembered_days_answer_as_each_instant_would() {
        let references = [
            (2023, 12, 31),
            (2024, 1, 1),
            (2024, 2, 29),
            (2024, 6, 10),
            (2025, 3, 1),
            (1970, 1, 1),
        ];
        let days = [
            (1, 1),
            (2, 28),
            (2, 29),
            (3, 1),
            (6, 10),
            (12, 31),
            (12, 30),
            (4, 31),
        ];
        let times = [
            (0, 0, 0, 0),
            (0, 0, 0, 1),
            (11, 59, 59, 999),
            (12, 0, 0, 0),
            (23, 59, 59, 999),
            (23, 59, 60, 0),
            (24, 0, 0, 0),
        ];
        let mut checked = 0;
        for (y, m, d) in references {
            for ref_time in [0, 1, 43_200_000, DAY_MS - 1] {
                for offset in [0, 3600, -5 * 3600, 14 * 3600, -12 * 3600 - 1800] {
                    for future in [0, 1, DAY_MS, -DAY_MS, 30 * DAY_MS, 400 * DAY_MS] {
                        let ctx = SyslogContext {
                            reference_ms: days_from_civil(y, m, d) * DAY_MS + ref_time,
                            utc_offset_secs: offset,
                            max_future_ms: future,
                        };
                        for (month, day) in days {
                            for _ in 0..2 {
                                for (h, mi, s, ms) in times {
                                    let key = DayKey { ctx, month, day };
                                    let time = time_of_day_ms(h, mi, s, ms);
                                    let remembered = infer_year(month, day, time, &ctx);
                                    assert_eq!(
                                        remembered,
                                        infer_year_at(key, time),
                                        "{ctx:?} {month}-{day} {h}:{mi}:{s}.{ms}"
                                    );
                                    assert_eq!(
                                        remembered,
                                        per_instant(month, day, h, mi, s, ms, &ctx),
                                        "{ctx:?} {month}-{day} {h}:{mi}:{s}.{ms}"
                                    );
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 50_000, "{checked}");
    }

    #[test]
    fn a_day_cut_by_the_limit_is_not_remembered() {
        // The limit at noon of Jan 1 2025 (the reference year + 1 qualifies only before it).
        let ctx = SyslogContext {
            reference_ms: days_from_civil(2024, 12, 31) * DAY_MS + 12 * 3_600_000,
            utc_offset_secs: 0,
            max_future_ms: DAY_MS,
        };
        let key = DayKey {
            ctx,
            month: 1,
            day: 1,
        };
        assert!(whole_day(key).is_none());
        let morning = infer_year(1, 1, 8 * 3_600_000, &ctx);
        let evening = infer_year(1, 1, 20 * 3_600_000, &ctx);
        assert_eq!(
            morning,
            Inferred::At(days_from_civil(2025, 1, 1) * DAY_MS + 8 * 3_600_000)
        );
        assert_eq!(
            evening,
            Inferred::At(days_from_civil(2024, 1, 1) * DAY_MS + 20 * 3_600_000)
        );
        // A whole day is remembered with its answer.
        let june = DayKey {
            ctx,
            month: 6,
            day: 10,
        };
        let known = whole_day(june).map(|k| (k.start_ms, k.no_such_day));
        assert_eq!(known, Some((days_from_civil(2024, 6, 10) * DAY_MS, false)));
    }
}

//! Local wall-clock times in a timezone, read by the one rule of
//! [`crate::model::tz`] (RFC 5545 section 3.3.5): a time that does not
//! exist (clocks jump forward) is taken with the offset in force before the
//! gap; a time that happens twice (clocks fall back) is its first
//! occurrence.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::model::TimeOfDay;
pub use crate::model::tz::{LocalReading, read};

/// The instant of `time` on `date` in `tz` (RFC 5545 reading); `24:00` is
/// midnight at the end of the day.
pub fn at(tz: Tz, date: NaiveDate, time: TimeOfDay) -> DateTime<Utc> {
    let (date, minutes) = if time.minutes >= 24 * 60 {
        (date.succ_opt().unwrap_or(date), 0)
    } else {
        (date, time.minutes)
    };
    let naive = date.and_time(
        NaiveTime::from_num_seconds_from_midnight_opt(u32::from(minutes) * 60, 0)
            .unwrap_or(NaiveTime::MIN),
    );
    read(tz, naive).instant()
}

/// The local date and time of an instant.
pub fn local(tz: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

/// Minutes since local midnight of an instant.
pub fn minutes_of_day(tz: Tz, t: DateTime<Utc>) -> u16 {
    let l = local(tz, t).time();
    (chrono::Timelike::hour(&l) * 60 + chrono::Timelike::minute(&l)) as u16
}

/// Parses `YYYY-MM-DD HH:MM` (or with a `T`), optionally followed by an
/// offset (`+01:00`, `Z`) that picks one of two readings of an ambiguous
/// time, into a reading in `tz`.
pub fn parse(tz: Tz, text: &str) -> Result<LocalReading, String> {
    let s = text.trim();
    let zulu = s.strip_suffix('Z').map(|x| format!("{x}+00:00"));
    let with_offset = zulu.as_deref().unwrap_or(s);
    for fmt in ["%Y-%m-%d %H:%M%:z", "%Y-%m-%dT%H:%M%:z"] {
        if let Ok(t) = DateTime::parse_from_str(with_offset, fmt) {
            return Ok(LocalReading::Single(t.with_timezone(&Utc)));
        }
    }
    for fmt in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(read(tz, n));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(read(tz, d.and_time(NaiveTime::MIN)));
    }
    Err(format!(
        "'{}' is not a date and time, expected YYYY-MM-DD HH:MM (optionally with an offset such as +01:00)",
        crate::sanitize::clean_short(text, 40)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    fn n(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn u(s: &str) -> DateTime<Utc> {
        n(s).and_utc()
    }

    #[test]
    fn half_past_two_on_the_last_sunday_of_march_is_read_after_the_gap() {
        assert_eq!(
            read(Paris, n("2027-03-28 02:30")),
            LocalReading::Missing {
                read_as: u("2027-03-28 01:30")
            }
        );
    }

    #[test]
    fn half_past_two_on_the_last_sunday_of_october_happens_twice() {
        assert_eq!(
            read(Paris, n("2026-10-25 02:30")),
            LocalReading::Twice(u("2026-10-25 00:30"), u("2026-10-25 01:30"))
        );
        assert_eq!(
            read(Paris, n("2026-10-25 02:30")).instant(),
            u("2026-10-25 00:30")
        );
    }

    #[test]
    fn an_offset_picks_the_second_half_past_two() {
        assert_eq!(
            parse(Paris, "2026-10-25 02:30+01:00"),
            Ok(LocalReading::Single(u("2026-10-25 01:30")))
        );
        assert_eq!(
            parse(Paris, "2026-12-02 22:00"),
            Ok(LocalReading::Single(u("2026-12-02 21:00")))
        );
        assert!(parse(Paris, "next wednesday").is_err());
    }

    #[test]
    fn midnight_at_the_end_of_a_day_is_the_next_day() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(
            at(Paris, d, TimeOfDay::new(24, 0).unwrap()),
            u("2026-12-02 23:00")
        );
    }
}

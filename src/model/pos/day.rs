//! A store's day: its opening and closing instants (DST-correct) and the
//! critical periods around them.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};

use serde::{Deserialize, Serialize};

use super::PosSettings;
use crate::model::{DayHours, Site, TimeOfDay};

/// One day's opening in UTC instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreDay {
    pub date: NaiveDate,
    pub open: DateTime<Utc>,
    pub close: DateTime<Utc>,
}

/// Where `now` falls in the store's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Around opening: tills must reach Odoo to open the session.
    Opening,
    /// Open, outside the critical periods: tills work offline.
    Open,
    /// Around closing: tills must reach Odoo to close the session.
    Closing,
    /// Closed: tills may be switched off.
    Closed,
}

impl Period {
    /// A till or uplink down now is critical (DOMAIN: the tills need the
    /// internet when the session opens and closes).
    pub fn is_critical(self) -> bool {
        matches!(self, Period::Opening | Period::Closing)
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::Opening => "opening",
            Period::Open => "open",
            Period::Closing => "closing",
            Period::Closed => "closed",
        }
    }
}

/// The instant a local wall-clock time happens on `date` in the site's
/// timezone. A time skipped by a DST change is taken an hour later (02:30
/// on the spring-forward night is 03:30); a repeated one, the first time.
pub fn local_instant(site: &Site, date: NaiveDate, time: TimeOfDay) -> Option<DateTime<Utc>> {
    let (date, minutes) = if time.minutes >= 24 * 60 {
        (date.checked_add_days(Days::new(1))?, time.minutes - 24 * 60)
    } else {
        (date, time.minutes)
    };
    let naive = date.and_time(NaiveTime::from_hms_opt(
        u32::from(minutes / 60),
        u32::from(minutes % 60),
        0,
    )?);
    let tz = site.timezone;
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + TimeDelta::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

/// Local midnight starting `date` in `tz` (the first instant of the day
/// when midnight is skipped by a DST change).
pub fn local_instant_tz(tz: chrono_tz::Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    tz.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(midnight + TimeDelta::hours(1)))
                .earliest()
        })
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// The store's opening on a local date, if it opens that day.
pub fn day_of(site: &Site, date: NaiveDate) -> Option<StoreDay> {
    match site.hours.on(date.weekday()) {
        DayHours::Closed => None,
        DayHours::Open { open, close } => Some(StoreDay {
            date,
            open: local_instant(site, date, open)?,
            close: local_instant(site, date, close)?,
        }),
    }
}

/// The local date of `now` at the store.
pub fn local_date(site: &Site, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&site.timezone).date_naive()
}

/// Today's opening (local date of `now`), if the store opens today.
pub fn today(site: &Site, now: DateTime<Utc>) -> Option<StoreDay> {
    day_of(site, local_date(site, now))
}

/// The openings of yesterday, today and tomorrow (those that happen).
pub fn days_around(site: &Site, now: DateTime<Utc>) -> Vec<StoreDay> {
    let date = local_date(site, now);
    [date.pred_opt(), Some(date), date.succ_opt()]
        .into_iter()
        .flatten()
        .filter_map(|d| day_of(site, d))
        .collect()
}

fn delta(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// Where `now` falls: in the critical period around an opening or a
/// closing (from `critical_before` before to `critical_after` after),
/// open in between, or closed.
pub fn period(site: &Site, settings: &PosSettings, now: DateTime<Utc>) -> Period {
    let before = delta(settings.critical_before);
    let after = delta(settings.critical_after);
    let days = days_around(site, now);
    let around = |t: DateTime<Utc>| now >= t - before && now <= t + after;
    if days.iter().any(|d| around(d.open)) {
        return Period::Opening;
    }
    if days.iter().any(|d| around(d.close)) {
        return Period::Closing;
    }
    if days.iter().any(|d| now >= d.open && now < d.close) {
        return Period::Open;
    }
    Period::Closed
}

/// The most recent closing at or before `now`.
pub fn last_close(site: &Site, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    days_around(site, now)
        .into_iter()
        .map(|d| d.close)
        .filter(|c| *c <= now)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OpeningHours;

    fn site(tz: chrono_tz::Tz) -> Site {
        let open = DayHours::Open {
            open: TimeOfDay::new(9, 0).unwrap(),
            close: TimeOfDay::new(20, 0).unwrap(),
        };
        let mut days = [open; 7];
        days[6] = DayHours::Closed; // Sunday
        Site {
            id: "s".into(),
            name: "S".into(),
            timezone: tz,
            hours: OpeningHours { days },
            pos: None,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn periods_follow_opening_hours_in_the_site_timezone() {
        let s = site(chrono_tz::Europe::Paris);
        let p = PosSettings::default();
        // 2026-06-10 is a Wednesday; Paris is UTC+2.
        let cases = [
            ("2026-06-10T06:20:00Z", Period::Closed),  // 08:20
            ("2026-06-10T06:30:00Z", Period::Opening), // 08:30
            ("2026-06-10T07:30:00Z", Period::Opening), // 09:30
            ("2026-06-10T07:31:00Z", Period::Open),    // 09:31
            ("2026-06-10T17:29:00Z", Period::Open),    // 19:29
            ("2026-06-10T17:30:00Z", Period::Closing), // 19:30
            ("2026-06-10T18:30:00Z", Period::Closing), // 20:30
            ("2026-06-10T18:31:00Z", Period::Closed),  // 20:31
            ("2026-06-14T07:00:00Z", Period::Closed),  // Sunday 09:00
        ];
        for (now, want) in cases {
            assert_eq!(period(&s, &p, at(now)), want, "at {now}");
        }
    }

    #[test]
    fn opening_and_critical_periods_on_dst_change_days_follow_local_time() {
        let mut s = site(chrono_tz::Europe::Paris);
        s.hours.days[6] = s.hours.days[0]; // open on Sundays too
        let p = PosSettings::default();
        // 2026-03-29 (CET -> CEST at 02:00) and 2026-10-25 (CEST -> CET at 03:00).
        let cases = [
            (
                "2026-03-28T12:00:00Z",
                "2026-03-28T08:00:00Z",
                "2026-03-28T19:00:00Z",
            ),
            (
                "2026-03-29T12:00:00Z",
                "2026-03-29T07:00:00Z",
                "2026-03-29T18:00:00Z",
            ),
            (
                "2026-10-24T12:00:00Z",
                "2026-10-24T07:00:00Z",
                "2026-10-24T18:00:00Z",
            ),
            (
                "2026-10-25T12:00:00Z",
                "2026-10-25T08:00:00Z",
                "2026-10-25T19:00:00Z",
            ),
        ];
        for (now, open, close) in cases {
            let d = today(&s, at(now)).unwrap();
            assert_eq!((d.open, d.close), (at(open), at(close)), "on {now}");
        }
        // 08:40 CEST on the spring-forward day is in the opening period;
        // 08:40 CET the day before (07:40Z) too, but 06:40Z is not.
        assert_eq!(period(&s, &p, at("2026-03-29T06:40:00Z")), Period::Opening);
        assert_eq!(period(&s, &p, at("2026-03-28T06:40:00Z")), Period::Closed);
    }

    #[test]
    fn a_time_skipped_by_dst_is_taken_an_hour_later() {
        let s = site(chrono_tz::Europe::Paris);
        let date = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let t = local_instant(&s, date, TimeOfDay::new(2, 30).unwrap());
        assert_eq!(t, Some(at("2026-03-29T01:30:00Z"))); // 03:30 CEST
    }

    #[test]
    fn closing_after_midnight_belongs_to_the_previous_day() {
        let mut s = site(chrono_tz::Europe::Paris);
        s.hours.days = [DayHours::Open {
            open: TimeOfDay::new(18, 0).unwrap(),
            close: TimeOfDay::new(24, 0).unwrap(),
        }; 7];
        let p = PosSettings::default();
        // 00:20 local on 2026-06-11 is within 30 min after Wednesday's close.
        assert_eq!(period(&s, &p, at("2026-06-10T22:20:00Z")), Period::Closing);
        assert_eq!(
            last_close(&s, at("2026-06-10T22:20:00Z")),
            Some(at("2026-06-10T22:00:00Z"))
        );
    }
}

//! How a ticket's deadline reads, for the console and `vigie tickets`.
//!
//! DOMAIN: deadlines are read at 3 a.m. The due moment and the wall-clock
//! time until it say when to act ("due Tue 08:25, in 12 h 48"); the support
//! time left is true only in support hours, so it is named as such and says
//! when it runs again ("25 min of support time left, from 09:00").

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::model::tickets::Clock;

pub use crate::model::hours::moment;

/// Wall-clock time, in words: `25 min`, `12 h 48`, `2 d 3 h`.
pub fn wall_span(d: TimeDelta) -> String {
    let m = d.num_minutes().max(0);
    match m {
        0..=59 => format!("{m} min"),
        60..=1439 if m % 60 == 0 => format!("{} h", m / 60),
        60..=1439 => format!("{} h {:02}", m / 60, m % 60),
        _ => format!("{} d {} h", m / 1440, (m % 1440) / 60),
    }
}

/// Support time, in words: `25 min`, `4 h 10`, `118 h` (never days: a
/// day of support is nine hours, not twenty-four).
pub fn support_span(d: Duration) -> String {
    let m = d.as_secs() / 60;
    match m {
        0..=59 => format!("{m} min"),
        _ if m % 60 == 0 => format!("{} h", m / 60),
        _ => format!("{} h {:02}", m / 60, m % 60),
    }
}

/// The deadline cell: the due moment (`Tue 08:25`), followed by the
/// wall-clock time until it when `wide` (`Tue 08:25 in 12h48`); `LATE 35m`;
/// `met`; `late` (started after the deadline); `checking` (its history is
/// being read); `-` (no deadline).
pub fn cell(c: &Clock, now: DateTime<Utc>, tz: Tz, wide: bool) -> String {
    match *c {
        Clock::None => "-".into(),
        Clock::Unread { .. } => "checking".into(),
        Clock::Running { due, .. } if wide => format!(
            "{} in {}",
            moment(due, now, tz),
            super::tickets::short_duration((due - now).to_std().unwrap_or_default())
        ),
        Clock::Running { due, .. } => moment(due, now, tz),
        Clock::Breached { over, .. } => {
            format!("LATE {}", super::tickets::short_duration(over))
        }
        Clock::Stopped { met: true, .. } => "met".into(),
        Clock::Stopped { met: false, .. } => "late".into(),
    }
}

/// The deadline in a sentence: `due Tue 08:25, in 12 h 48 · 25 min of
/// support time left, from 09:00`; `was due 08:25, late by 2 h 05`.
pub fn words(c: &Clock, now: DateTime<Utc>, tz: Tz) -> String {
    match *c {
        Clock::None => "no deadline for this priority".into(),
        Clock::Running { due, left, resumes } => {
            let support = match resumes {
                Some(r) => format!(
                    "{} of support time left, from {}",
                    support_span(left),
                    moment(r, now, tz)
                ),
                None => format!("{} of support time left", support_span(left)),
            };
            format!(
                "due {}, in {} · {support}",
                moment(due, now, tz),
                wall_span(due - now)
            )
        }
        Clock::Breached { due, .. } => format!(
            "was due {}, late by {}",
            moment(due, now, tz),
            wall_span(now - due)
        ),
        Clock::Stopped { due, at, met } => format!(
            "started {} (due {}, {})",
            moment(at, now, tz),
            moment(due, now, tz),
            if met { "met" } else { "LATE" }
        ),
        Clock::Unread { due } => format!(
            "due {}: reading the history to know if it was met",
            moment(due, now, tz)
        ),
    }
}

/// The wall-clock time until the deadline, for judging how close it is
/// (`None` when it is not running).
pub fn until_due(c: &Clock, now: DateTime<Utc>) -> Option<TimeDelta> {
    match *c {
        Clock::Running { due, .. } => Some(due - now),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SupportHours;
    use crate::model::tickets::{BusinessCalendar, clock};
    use chrono::{NaiveDateTime, TimeZone};
    use chrono_tz::Europe::Paris;

    fn paris() -> BusinessCalendar {
        BusinessCalendar {
            hours: SupportHours::default(),
            tz: Paris,
            holidays: ["2026-12-25"]
                .iter()
                .filter_map(|d| d.parse().ok())
                .collect(),
        }
    }

    /// A Paris wall time as UTC.
    fn at(s: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        Paris
            .from_local_datetime(&naive)
            .unwrap()
            .with_timezone(&Utc)
    }

    const H: u64 = 3600;

    #[test]
    fn a_deadline_reads_as_wall_clock_time_and_support_time_apart() {
        // (created, target, now, display zone, cell, wide cell, words), Paris
        // wall times; the display zone may differ from the contract's.
        let cases: &[(&str, u64, &str, Tz, &str, &str, &str)] = &[
            // Evening: 25 min of support were left at 18:00; due tomorrow.
            (
                "2026-12-07 16:25",
                2 * H,
                "2026-12-07 19:37",
                Paris,
                "Tue 09:25",
                "Tue 09:25 in 13h48",
                "due Tue 09:25, in 13 h 48 · 25 min of support time left, from Tue 09:00",
            ),
            // In support hours: the support time left runs now.
            (
                "2026-12-08 10:00",
                2 * H,
                "2026-12-08 11:35",
                Paris,
                "12:00",
                "12:00 in 25m",
                "due 12:00, in 25 min · 25 min of support time left",
            ),
            // Friday evening: due Monday, through the weekend.
            (
                "2026-12-11 17:00",
                2 * H,
                "2026-12-12 03:00",
                Paris,
                "Mon 10:00",
                "Mon 10:00 in 2d 7h",
                "due Mon 10:00, in 2 d 7 h · 1 h of support time left, from Mon 09:00",
            ),
            // Christmas Eve at 17:30: the 25th is a holiday, due on the 28th.
            (
                "2026-12-24 17:30",
                2 * H,
                "2026-12-24 20:00",
                Paris,
                "Mon 10:30",
                "Mon 10:30 in 3d 14h",
                "due Mon 10:30, in 3 d 14 h · 1 h 30 of support time left, from Mon 09:00",
            ),
            // The same evening ticket read by an operator in Montreal.
            (
                "2026-12-07 16:25",
                2 * H,
                "2026-12-07 19:37",
                chrono_tz::America::Montreal,
                "Tue 03:25",
                "Tue 03:25 in 13h48",
                "due Tue 03:25, in 13 h 48 · 25 min of support time left, from Tue 03:00",
            ),
        ];
        let cal = paris();
        for &(created, target, now, tz, narrow, wide, said) in cases {
            let now = at(now);
            let c = clock(
                &cal,
                at(created),
                Some(Duration::from_secs(target)),
                None,
                now,
            );
            assert_eq!(cell(&c, now, tz, false), narrow, "{created} at {now}");
            assert_eq!(cell(&c, now, tz, true), wide, "{created} at {now}");
            assert_eq!(words(&c, now, tz), said, "{created} at {now}");
        }
    }

    #[test]
    fn a_breached_deadline_says_how_late_in_wall_clock_time() {
        let cal = paris();
        let now = at("2026-12-08 11:35");
        let c = clock(
            &cal,
            at("2026-12-08 09:00"),
            Some(Duration::from_secs(2 * H)),
            None,
            now,
        );
        assert_eq!(cell(&c, now, Paris, false), "LATE 35m");
        assert_eq!(words(&c, now, Paris), "was due 11:00, late by 35 min");
        assert_eq!(until_due(&c, now), None);
    }

    #[test]
    fn moments_carry_their_day_when_not_today() {
        let now = at("2026-12-07 19:37");
        assert_eq!(moment(at("2026-12-07 08:00"), now, Paris), "08:00");
        assert_eq!(moment(at("2026-12-06 13:30"), now, Paris), "Sun 13:30");
        assert_eq!(moment(at("2026-12-13 13:30"), now, Paris), "Sun 13:30");
        assert_eq!(moment(at("2026-12-14 13:30"), now, Paris), "14 Dec 13:30");
    }

    #[test]
    fn support_time_is_counted_in_hours_never_days() {
        assert_eq!(support_span(Duration::from_secs(118 * H)), "118 h");
        assert_eq!(support_span(Duration::from_secs(4 * H + 600)), "4 h 10");
        assert_eq!(support_span(Duration::from_secs(25 * 60)), "25 min");
    }
}

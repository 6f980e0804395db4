//! Opening hours and support hours: which minutes of a week count.

use chrono::Weekday;

/// A wall-clock time of day, to the minute (`HH:MM` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay {
    pub minutes: u16,
}

impl TimeOfDay {
    pub fn new(hour: u16, minute: u16) -> Option<TimeOfDay> {
        // 24:00 is allowed as the end of a day.
        if (hour < 24 && minute < 60) || (hour == 24 && minute == 0) {
            Some(TimeOfDay {
                minutes: hour * 60 + minute,
            })
        } else {
            None
        }
    }

    /// Parses `HH:MM`.
    pub fn parse(s: &str) -> Option<TimeOfDay> {
        let (h, m) = s.trim().split_once(':')?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return None;
        }
        TimeOfDay::new(h.parse().ok()?, m.parse().ok()?)
    }

    pub fn hour(self) -> u16 {
        self.minutes / 60
    }

    pub fn minute(self) -> u16 {
        self.minutes % 60
    }
}

impl std::fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

/// One day's opening: closed, or open from `open` to `close` (local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayHours {
    Closed,
    Open { open: TimeOfDay, close: TimeOfDay },
}

/// A week of opening hours, Monday first, in the site's timezone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    pub days: [DayHours; 7],
}

impl OpeningHours {
    pub fn always_closed() -> OpeningHours {
        OpeningHours {
            days: [DayHours::Closed; 7],
        }
    }

    pub fn on(&self, day: Weekday) -> DayHours {
        self.days[day.num_days_from_monday() as usize]
    }
}

/// The contract's support hours: the days and the hours in which the
/// intervention clock runs (DOMAIN: Monday-Friday 09:00-18:00 by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportHours {
    pub days: Vec<Weekday>,
    pub start: TimeOfDay,
    pub end: TimeOfDay,
}

impl Default for SupportHours {
    fn default() -> Self {
        SupportHours {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            start: TimeOfDay { minutes: 9 * 60 },
            end: TimeOfDay { minutes: 18 * 60 },
        }
    }
}

/// A moment in `tz` with as much of its day as it needs beside `now`:
/// `08:25` the same day, `Tue 08:25` within six days either side,
/// `15 Dec 08:25` further away (at most 12 characters). Times read at 3 a.m.
/// must not leave the operator guessing which day they mean.
pub fn moment(
    t: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) -> String {
    let (local, today) = (t.with_timezone(&tz), now.with_timezone(&tz).date_naive());
    match (local.date_naive() - today).num_days() {
        0 => local.format("%H:%M").to_string(),
        -6..=6 => local.format("%a %H:%M").to_string(),
        _ => local.format("%-d %b %H:%M").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hh_mm() {
        assert_eq!(TimeOfDay::parse("09:30"), TimeOfDay::new(9, 30));
        assert_eq!(TimeOfDay::parse("24:00").map(|t| t.minutes), Some(1440));
        assert_eq!(TimeOfDay::parse("24:01"), None);
        assert_eq!(TimeOfDay::parse("9h30"), None);
        assert_eq!(TimeOfDay::parse("09:3"), None);
    }
}

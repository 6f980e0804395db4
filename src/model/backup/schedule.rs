//! When a backup is expected: daily around a time of day, or a cron
//! expression (the five classic fields, as in a crontab).

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use crate::model::TimeOfDay;

/// The expected schedule of a backup source (DOMAIN: daily cold backups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every day around this local time.
    Daily(TimeOfDay),
    /// A crontab line's first five fields, in the client's timezone.
    Cron(Cron),
}

impl Schedule {
    /// Whether a backup is expected on this local date.
    pub fn runs_on(&self, date: NaiveDate) -> bool {
        match self {
            Schedule::Daily(_) => true,
            Schedule::Cron(c) => c.runs_on(date),
        }
    }

    /// The first expected local time on a date it runs.
    pub fn time_of_day(&self) -> TimeOfDay {
        match self {
            Schedule::Daily(t) => *t,
            Schedule::Cron(c) => c.first_time(),
        }
    }

    /// The instant a backup is expected on `date`, by the one DST rule of
    /// [`crate::model::tz`] (RFC 5545: a time in the spring gap is read with
    /// the offset before it, an ambiguous one is its first occurrence).
    pub fn expected_at(&self, date: NaiveDate, tz: Tz) -> DateTime<Utc> {
        local_instant(tz, date, self.time_of_day())
    }

    /// How the schedule reads in the pane ("daily 02:00", "cron 0 3 * * 1-5").
    pub fn describe(&self) -> String {
        match self {
            Schedule::Daily(t) => format!("daily {t}"),
            Schedule::Cron(c) => format!("cron {}", c.text),
        }
    }
}

/// A wall-clock time on a date in `tz`, as an instant (the RFC 5545 rule
/// of [`crate::model::tz`]).
pub fn local_instant(tz: Tz, date: NaiveDate, t: TimeOfDay) -> DateTime<Utc> {
    let naive_time = NaiveTime::from_hms_opt(u32::from(t.hour().min(23)), u32::from(t.minute()), 0)
        .unwrap_or(NaiveTime::MIN);
    let mut naive = date.and_time(naive_time);
    if t.hour() >= 24 {
        naive = date.and_time(NaiveTime::MIN) + chrono::TimeDelta::days(1);
    }
    crate::model::tz::instant(tz, naive)
}

/// A parsed cron expression: `minute hour day-of-month month day-of-week`,
/// each field `*`, numbers, ranges `a-b`, lists `a,b` and steps `*/n`;
/// months and weekdays also by name (`jan`, `mon-fri`), and the crontab
/// shorthands `@hourly`, `@daily` (`@midnight`), `@weekly`, `@monthly` and
/// `@yearly` (`@annually`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    pub text: String,
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    /// Whether day-of-month / day-of-week were restricted (cron's rule:
    /// when both are, either one matching is enough).
    dom_star: bool,
    dow_star: bool,
}

impl Cron {
    /// Parses the five fields or a shorthand; the error says which field
    /// is wrong and what is accepted.
    pub fn parse(text: &str) -> Result<Cron, String> {
        let trimmed = text.trim();
        if trimmed.starts_with('@') {
            let Some(expansion) = shorthand(trimmed) else {
                return Err(format!(
                    "cron shorthand '{trimmed}' is not a backup schedule, expected @hourly, @daily, @weekly, @monthly, @yearly or 5 fields (minute hour day month weekday)"
                ));
            };
            let mut cron = Cron::parse(expansion)?;
            cron.text = trimmed.to_string();
            return Ok(cron);
        }
        let fields: Vec<&str> = text.split_whitespace().collect();
        let [min, hour, dom, month, dow] = fields.as_slice() else {
            return Err(format!(
                "cron expression '{text}' has {} fields, expected 5 (minute hour day month weekday)",
                fields.len()
            ));
        };
        let minutes = field(min, 0, 59, "minute", &[])?;
        let hours = field(hour, 0, 23, "hour", &[])?;
        let days = field(dom, 1, 31, "day of month", &[])?;
        let months = field(month, 1, 12, "month", &MONTH_NAMES)?;
        // 7 is Sunday too.
        let mut weekdays = field(dow, 0, 7, "day of week", &WEEKDAY_NAMES)?;
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1;
        }
        Ok(Cron {
            text: fields.join(" "),
            minutes,
            hours: hours as u32,
            days: days as u32,
            months: months as u16,
            weekdays: (weekdays & 0x7f) as u8,
            dom_star: dom.starts_with('*'),
            dow_star: dow.starts_with('*'),
        })
    }

    pub fn runs_on(&self, date: NaiveDate) -> bool {
        if self.months & (1 << date.month()) == 0 {
            return false;
        }
        let dom = self.days & (1 << date.day()) != 0;
        let dow = self.weekdays & (1 << weekday_bit(date.weekday())) != 0;
        // Vixie cron: a field written with `*` (even `*/2`) makes the two
        // day fields both required; two restricted fields are either-or.
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    fn first_time(&self) -> TimeOfDay {
        let h = self.hours.trailing_zeros().min(23) as u16;
        let m = self.minutes.trailing_zeros().min(59) as u16;
        TimeOfDay::new(h, m).unwrap_or(TimeOfDay { minutes: 0 })
    }
}

fn weekday_bit(w: Weekday) -> u32 {
    w.num_days_from_sunday()
}

/// The shorthands crontabs accept, as their five fields (`@reboot` is not
/// a time, so not a schedule).
fn shorthand(s: &str) -> Option<&'static str> {
    Some(match s.to_ascii_lowercase().as_str() {
        "@hourly" => "0 * * * *",
        "@daily" | "@midnight" => "0 0 * * *",
        "@weekly" => "0 0 * * 0",
        "@monthly" => "0 0 1 * *",
        "@yearly" | "@annually" => "0 0 1 1 *",
        _ => return None,
    })
}

/// Names a field accepts, the first being its lowest value.
const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// One cron field as a bit set over `lo..=hi`; `names` (case-insensitive,
/// as cron reads them) stand for `lo`, `lo + 1`...
fn field(s: &str, lo: u32, hi: u32, name: &str, names: &[&str]) -> Result<u64, String> {
    let bad = || {
        let by_name = match (names.first(), names.last()) {
            (Some(a), Some(b)) => format!(" or names {a}-{b}"),
            _ => String::new(),
        };
        format!(
            "cron {name} field '{s}' is not valid, expected *, N, A-B, lists or */N within {lo}-{hi}{by_name}"
        )
    };
    let value = |v: &str| -> Result<u32, String> {
        if let Ok(n) = v.parse::<u32>() {
            return Ok(n);
        }
        names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(v))
            .and_then(|i| u32::try_from(i).ok())
            .map(|i| lo + i)
            .ok_or_else(bad)
    };
    let mut set = 0u64;
    for part in s.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => (r, st.parse::<u32>().map_err(|_| bad())?),
            None => (part, 1),
        };
        if step == 0 {
            return Err(bad());
        }
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let a = value(range)?;
            (a, if part.contains('/') { hi } else { a })
        };
        if a < lo || b > hi || a > b {
            return Err(bad());
        }
        let mut v = a;
        while v <= b {
            set |= 1 << v;
            v += step;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn cron_days_follow_crontab_rules() {
        // (expression, date, runs)
        let cases = [
            ("0 2 * * *", d(2026, 11, 29), true),
            ("0 2 * * 1-5", d(2026, 11, 29), false), // a Sunday
            ("0 2 * * 1-5", d(2026, 11, 30), true),
            ("0 2 * * 0", d(2026, 11, 29), true),
            ("0 2 * * 7", d(2026, 11, 29), true),
            ("0 2 1 * *", d(2026, 11, 1), true),
            ("0 2 1 * *", d(2026, 11, 2), false),
            ("0 2 1 * 1", d(2026, 11, 2), true), // either dom or dow
            ("0 2 * 2 *", d(2026, 11, 2), false),
            ("30 1,13 */2 * *", d(2026, 11, 3), true),
            ("30 1,13 */2 * *", d(2026, 11, 4), false),
        ];
        for (expr, date, runs) in cases {
            let c = Cron::parse(expr).unwrap();
            assert_eq!(c.runs_on(date), runs, "{expr} on {date}");
        }
    }

    #[test]
    fn cron_takes_names_and_crontab_shorthands() {
        // (expression, date, runs, first time)
        let cases = [
            ("0 3 * * mon-fri", d(2026, 11, 29), false, "03:00"), // Sunday
            ("0 3 * * mon-fri", d(2026, 11, 30), true, "03:00"),
            ("0 3 * * Sat,SUN", d(2026, 11, 29), true, "03:00"),
            ("0 3 * jan *", d(2027, 1, 12), true, "03:00"),
            ("0 3 * jan *", d(2027, 2, 12), false, "03:00"),
            ("0 3 * jan-mar/2 *", d(2027, 3, 2), true, "03:00"),
            ("0 3 * jan-mar/2 *", d(2027, 2, 2), false, "03:00"),
            ("@daily", d(2026, 11, 29), true, "00:00"),
            ("@midnight", d(2026, 11, 30), true, "00:00"),
            ("@weekly", d(2026, 11, 29), true, "00:00"), // Sunday
            ("@weekly", d(2026, 11, 30), false, "00:00"),
            ("@monthly", d(2026, 12, 1), true, "00:00"),
            ("@monthly", d(2026, 12, 2), false, "00:00"),
            ("@yearly", d(2027, 1, 1), true, "00:00"),
            ("@annually", d(2027, 1, 2), false, "00:00"),
            ("@hourly", d(2027, 1, 2), true, "00:00"),
        ];
        for (expr, date, runs, first) in cases {
            let c = Cron::parse(expr).unwrap();
            assert_eq!(c.runs_on(date), runs, "{expr} on {date}");
            assert_eq!(c.first_time().to_string(), first, "{expr}");
        }
        assert_eq!(
            Schedule::Cron(Cron::parse("@weekly").unwrap()).describe(),
            "cron @weekly"
        );
    }

    #[test]
    fn refused_cron_forms_say_what_is_accepted() {
        for (expr, needle) in [
            (
                "@reboot",
                "expected @hourly, @daily, @weekly, @monthly, @yearly or 5 fields",
            ),
            ("@fortnightly", "expected @hourly, @daily"),
            ("0 3 * * monday", "within 0-7 or names sun-sat"),
            ("0 3 * janvier *", "within 1-12 or names jan-dec"),
            ("0 3 mon * *", "day of month field 'mon'"),
            ("0 3 * * fri-mon", "day of week"),
        ] {
            let e = Cron::parse(expr).unwrap_err();
            assert!(e.contains(needle), "{expr}: {e}");
        }
    }

    #[test]
    fn cron_first_time_is_the_earliest_hour_and_minute() {
        let c = Cron::parse("30,15 13,1 * * *").unwrap();
        assert_eq!(c.first_time().to_string(), "01:15");
    }

    #[test]
    fn bad_cron_fields_are_named() {
        for (expr, needle) in [
            ("0 2 * *", "4 fields"),
            ("61 2 * * *", "minute"),
            ("0 25 * * *", "hour"),
            ("0 2 0 * *", "day of month"),
            ("0 2 * 13 *", "month"),
            ("0 2 * * 8", "day of week"),
            ("*/0 2 * * *", "minute"),
        ] {
            let e = Cron::parse(expr).unwrap_err();
            assert!(e.contains(needle), "{expr}: {e}");
        }
    }

    #[test]
    fn expected_time_in_the_spring_gap_moves_after_it() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        // 2026-03-29: 02:00 -> 03:00 in Paris. RFC 5545, as maintenance and
        // tickets read it: 02:30 with the offset before the gap, 03:30 CEST.
        let s = Schedule::Daily(TimeOfDay::new(2, 30).unwrap());
        let at = s.expected_at(d(2026, 3, 29), tz);
        assert_eq!(at.to_rfc3339(), "2026-03-29T01:30:00+00:00");
        // Ambiguous autumn time takes its first occurrence (CEST).
        let at = s.expected_at(d(2026, 10, 25), tz);
        assert_eq!(at.to_rfc3339(), "2026-10-25T00:30:00+00:00");
    }
}

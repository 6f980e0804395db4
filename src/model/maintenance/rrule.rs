//! Recurring windows as RFC 5545 recurrence rules (section 3.3.10), the
//! subset a maintenance calendar needs: `FREQ` DAILY, WEEKLY or MONTHLY,
//! `INTERVAL`, `COUNT`, `UNTIL`, `BYDAY` (with an ordinal in a monthly
//! rule: `1MO` is the first Monday, `-1FR` the last Friday), `BYMONTHDAY`
//! and `WKST=MO`. Anything else is refused by name, never ignored, so a rule
//! read back means what it says.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc, Weekday};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freq {
    Daily,
    Weekly,
    Monthly,
}

/// A weekday, with an ordinal in its month for monthly rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByDay {
    pub ordinal: Option<i8>,
    pub day: Weekday,
}

/// The bound `UNTIL` puts on occurrence starts (inclusive), in the form
/// it was written (RFC 5545 section 3.3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// `UNTIL=20271231`: the last local date an occurrence may start on.
    Date(NaiveDate),
    /// `UNTIL=20271231T220000`: a floating local time.
    Local(NaiveDateTime),
    /// `UNTIL=20271231T220000Z`: an instant. After local midnight east of
    /// UTC, its local date is the next day, so the date alone would let one
    /// occurrence too many through.
    Instant(DateTime<Utc>),
}

impl Until {
    /// Whether an occurrence starting at local `start` in `tz` is within.
    fn allows(self, start: NaiveDateTime, tz: Tz) -> bool {
        match self {
            Until::Date(d) => start.date() <= d,
            Until::Local(t) => start <= t,
            Until::Instant(t) => super::local::read(tz, start).instant() <= t,
        }
    }

    fn parse(value: &str) -> Option<Until> {
        if value.len() == 8 {
            return NaiveDate::parse_from_str(value, "%Y%m%d")
                .ok()
                .map(Until::Date);
        }
        if let Some(utc) = value.strip_suffix('Z') {
            return NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
                .ok()
                .map(|t| Until::Instant(t.and_utc()));
        }
        NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S")
            .ok()
            .map(Until::Local)
    }
}

impl fmt::Display for Until {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Until::Date(d) => write!(f, "{}", d.format("%Y%m%d")),
            Until::Local(t) => write!(f, "{}", t.format("%Y%m%dT%H%M%S")),
            Until::Instant(t) => write!(f, "{}", t.format("%Y%m%dT%H%M%SZ")),
        }
    }
}

/// A parsed `RRULE` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RRule {
    pub freq: Freq,
    pub interval: u32,
    pub count: Option<u32>,
    /// The last start an occurrence may have.
    pub until: Option<Until>,
    pub by_day: Vec<ByDay>,
    pub by_month_day: Vec<i8>,
}

const DAYS: [(&str, Weekday); 7] = [
    ("MO", Weekday::Mon),
    ("TU", Weekday::Tue),
    ("WE", Weekday::Wed),
    ("TH", Weekday::Thu),
    ("FR", Weekday::Fri),
    ("SA", Weekday::Sat),
    ("SU", Weekday::Sun),
];

fn day_code(d: Weekday) -> &'static str {
    DAYS[d.num_days_from_monday() as usize].0
}

impl RRule {
    /// Parses the value of an `RRULE` property (`FREQ=MONTHLY;BYDAY=1MO`).
    pub fn parse(text: &str) -> Result<RRule, String> {
        let text = text.trim();
        let text = text.strip_prefix("RRULE:").unwrap_or(text);
        let mut freq = None;
        let mut rule = RRule {
            freq: Freq::Daily,
            interval: 1,
            count: None,
            until: None,
            by_day: Vec::new(),
            by_month_day: Vec::new(),
        };
        for part in text.split(';').filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("'{part}' is not NAME=VALUE"))?;
            match key.to_ascii_uppercase().as_str() {
                "FREQ" => {
                    freq = Some(match value.to_ascii_uppercase().as_str() {
                        "DAILY" => Freq::Daily,
                        "WEEKLY" => Freq::Weekly,
                        "MONTHLY" => Freq::Monthly,
                        other => {
                            return Err(format!(
                                "FREQ={other} is not supported, expected DAILY, WEEKLY or MONTHLY"
                            ));
                        }
                    })
                }
                "INTERVAL" => {
                    rule.interval =
                        value.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                            format!("INTERVAL={value}, expected a whole number >= 1")
                        })?
                }
                "COUNT" => {
                    rule.count =
                        Some(value.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                            format!("COUNT={value}, expected a whole number >= 1")
                        })?)
                }
                "UNTIL" => {
                    rule.until = Some(Until::parse(value).ok_or_else(|| {
                        format!(
                            "UNTIL={value}, expected a date such as 20271231 or 20271231T235959Z"
                        )
                    })?)
                }
                "BYDAY" => {
                    for d in value.split(',') {
                        rule.by_day.push(parse_by_day(d)?);
                    }
                }
                "BYMONTHDAY" => {
                    for d in value.split(',') {
                        let n: i8 = d
                            .parse()
                            .map_err(|_| format!("BYMONTHDAY={d}, expected 1..31 or -31..-1"))?;
                        if n == 0 || !(-31..=31).contains(&n) {
                            return Err(format!("BYMONTHDAY={d}, expected 1..31 or -31..-1"));
                        }
                        rule.by_month_day.push(n);
                    }
                }
                "WKST" if value.eq_ignore_ascii_case("MO") => {}
                other => return Err(format!("{other} is not supported in a maintenance rule")),
            }
        }
        rule.freq = freq.ok_or("FREQ is missing")?;
        if rule.count.is_some() && rule.until.is_some() {
            return Err("COUNT and UNTIL together, RFC 5545 allows one of them".into());
        }
        if rule.freq != Freq::Monthly && rule.by_day.iter().any(|d| d.ordinal.is_some()) {
            return Err("an ordinal BYDAY (1MO) needs FREQ=MONTHLY".into());
        }
        Ok(rule)
    }

    /// Whether the rule puts an occurrence on `date`, ignoring COUNT and
    /// the anchor's phase (see [`RRule::occurrences`]).
    fn matches(&self, date: NaiveDate) -> bool {
        let day_ok = self.by_day.is_empty()
            || self.by_day.iter().any(|b| {
                b.day == date.weekday() && b.ordinal.is_none_or(|n| ordinal_matches(date, n))
            });
        let month_day_ok = self.by_month_day.is_empty()
            || self
                .by_month_day
                .iter()
                .any(|&n| month_day_matches(date, n));
        day_ok && month_day_ok
    }

    /// Occurrence start times (local, in `tz`) from `dtstart` on, in order,
    /// while before `to`. `dtstart` itself anchors the period count and the
    /// time; `tz` places an `UNTIL` given in UTC.
    pub fn occurrences(
        &self,
        dtstart: NaiveDateTime,
        to: NaiveDateTime,
        tz: Tz,
    ) -> Vec<NaiveDateTime> {
        let mut out = Vec::new();
        let start = dtstart.date();
        let time = dtstart.time();
        let mut date = start;
        let mut seen = 0u32;
        while date.and_time(time) < to {
            if self
                .until
                .is_some_and(|u| !u.allows(date.and_time(time), tz))
            {
                break;
            }
            if self.in_period(start, date) && self.matches_default(start, date) {
                seen += 1;
                if self.count.is_some_and(|c| seen > c) {
                    break;
                }
                out.push(date.and_time(time));
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        out
    }

    /// Whether `date` falls in a period counted by INTERVAL from `start`.
    fn in_period(&self, start: NaiveDate, date: NaiveDate) -> bool {
        let n = i64::from(self.interval);
        match self.freq {
            Freq::Daily => (date - start).num_days() % n == 0,
            Freq::Weekly => {
                let monday = |d: NaiveDate| {
                    d - chrono::TimeDelta::days(d.weekday().num_days_from_monday().into())
                };
                ((monday(date) - monday(start)).num_days() / 7) % n == 0
            }
            Freq::Monthly => {
                let months = (date.year() - start.year()) as i64 * 12 + date.month() as i64
                    - start.month() as i64;
                months % n == 0
            }
        }
    }

    /// [`RRule::matches`], with RFC 5545's defaults taken from DTSTART
    /// when no BYxxx part is given.
    fn matches_default(&self, start: NaiveDate, date: NaiveDate) -> bool {
        if self.by_day.is_empty() && self.by_month_day.is_empty() {
            return match self.freq {
                Freq::Daily => true,
                Freq::Weekly => date.weekday() == start.weekday(),
                Freq::Monthly => date.day() == start.day(),
            };
        }
        self.matches(date)
    }
}

fn parse_by_day(d: &str) -> Result<ByDay, String> {
    let d = d.trim();
    let split = d.len().saturating_sub(2);
    let (num, code) = d.split_at(split);
    let day = DAYS
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, w)| *w)
        .ok_or_else(|| format!("BYDAY={d}, expected MO, TU, WE, TH, FR, SA or SU"))?;
    let ordinal = if num.is_empty() {
        None
    } else {
        let n: i8 = num
            .trim_start_matches('+')
            .parse()
            .map_err(|_| format!("BYDAY={d}, expected an ordinal such as 1MO or -1FR"))?;
        if n == 0 || !(-5..=5).contains(&n) {
            return Err(format!("BYDAY={d}, the ordinal must be 1..5 or -5..-1"));
        }
        Some(n)
    };
    Ok(ByDay { ordinal, day })
}

fn days_in_month(date: NaiveDate) -> u32 {
    let (y, m) = (date.year(), date.month());
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).map_or(28, |d| d.day())
}

/// `1MO`: the date is the n-th of its weekday in its month (negative: from
/// the end).
fn ordinal_matches(date: NaiveDate, n: i8) -> bool {
    let d = date.day() as i32;
    if n > 0 {
        (d - 1) / 7 + 1 == n as i32
    } else {
        (days_in_month(date) as i32 - d) / 7 + 1 == -(n as i32)
    }
}

fn month_day_matches(date: NaiveDate, n: i8) -> bool {
    let d = date.day() as i32;
    if n > 0 {
        d == n as i32
    } else {
        days_in_month(date) as i32 + 1 + n as i32 == d
    }
}

impl fmt::Display for RRule {
    /// The canonical text: `FREQ` first, then INTERVAL (when not 1),
    /// COUNT or UNTIL, BYMONTHDAY, BYDAY.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let freq = match self.freq {
            Freq::Daily => "DAILY",
            Freq::Weekly => "WEEKLY",
            Freq::Monthly => "MONTHLY",
        };
        write!(f, "FREQ={freq}")?;
        if self.interval != 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        if let Some(c) = self.count {
            write!(f, ";COUNT={c}")?;
        }
        if let Some(u) = self.until {
            write!(f, ";UNTIL={u}")?;
        }
        if !self.by_month_day.is_empty() {
            let days: Vec<String> = self.by_month_day.iter().map(i8::to_string).collect();
            write!(f, ";BYMONTHDAY={}", days.join(","))?;
        }
        if !self.by_day.is_empty() {
            let days: Vec<String> = self
                .by_day
                .iter()
                .map(|b| {
                    format!(
                        "{}{}",
                        b.ordinal.map_or(String::new(), |n| n.to_string()),
                        day_code(b.day)
                    )
                })
                .collect();
            write!(f, ";BYDAY={}", days.join(","))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::Montreal;
    use chrono_tz::Europe::Paris;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn first_monday_of_each_month_at_22() {
        let r = RRule::parse("FREQ=MONTHLY;BYDAY=1MO").unwrap();
        let got = r.occurrences(dt("2026-01-01 22:00"), dt("2026-05-01 00:00"), Paris);
        assert_eq!(
            got,
            vec![
                dt("2026-01-05 22:00"),
                dt("2026-02-02 22:00"),
                dt("2026-03-02 22:00"),
                dt("2026-04-06 22:00")
            ]
        );
    }

    #[test]
    fn rules_are_written_back_as_read() {
        for text in [
            "FREQ=MONTHLY;BYDAY=1MO",
            "FREQ=MONTHLY;BYDAY=-1FR",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,WE",
            "FREQ=MONTHLY;COUNT=3;BYMONTHDAY=-1",
            "FREQ=DAILY;UNTIL=20271231",
            "FREQ=DAILY;UNTIL=20271231T220000Z",
            "FREQ=DAILY;UNTIL=20271231T220000",
        ] {
            assert_eq!(RRule::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn unsupported_parts_are_refused_by_name() {
        for (text, word) in [
            ("FREQ=YEARLY", "YEARLY"),
            ("FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS"),
            ("BYDAY=MO", "FREQ"),
            ("FREQ=WEEKLY;BYDAY=1MO", "MONTHLY"),
            ("FREQ=DAILY;COUNT=2;UNTIL=20270101", "COUNT"),
            ("FREQ=MONTHLY;BYDAY=XX", "BYDAY"),
        ] {
            let err = RRule::parse(text).unwrap_err();
            assert!(err.contains(word), "{text}: {err}");
        }
    }

    #[test]
    fn every_other_week_counts_from_the_anchor() {
        let r = RRule::parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE").unwrap();
        let got = r.occurrences(dt("2026-12-02 21:00"), dt("2027-01-01 00:00"), Paris);
        assert_eq!(
            got,
            vec![
                dt("2026-12-02 21:00"),
                dt("2026-12-16 21:00"),
                dt("2026-12-30 21:00")
            ]
        );
    }

    #[test]
    fn count_and_last_day_of_month() {
        let r = RRule::parse("FREQ=MONTHLY;COUNT=2;BYMONTHDAY=-1").unwrap();
        let got = r.occurrences(dt("2027-01-01 23:00"), dt("2028-01-01 00:00"), Paris);
        assert_eq!(got, vec![dt("2027-01-31 23:00"), dt("2027-02-28 23:00")]);
        let last_friday = RRule::parse("FREQ=MONTHLY;BYDAY=-1FR").unwrap();
        assert_eq!(
            last_friday.occurrences(dt("2026-11-01 22:00"), dt("2026-12-01 00:00"), Paris),
            vec![dt("2026-11-27 22:00")]
        );
    }

    #[test]
    fn until_in_utc_is_an_instant_not_its_date() {
        // 23:30 in Paris (UTC+1) is 22:30 UTC: an UNTIL at 22:00 UTC on the
        // 31st ends the rule before that evening's occurrence, though the
        // 31st is also UNTIL's date.
        let r = RRule::parse("FREQ=DAILY;UNTIL=20261231T220000Z").unwrap();
        let got = r.occurrences(dt("2026-12-29 23:30"), dt("2027-01-05 00:00"), Paris);
        assert_eq!(got, vec![dt("2026-12-29 23:30"), dt("2026-12-30 23:30")]);
        // Montreal (UTC-5): 22:00 UTC is 17:00 local, the 16:30 start is in.
        let r = RRule::parse("FREQ=DAILY;UNTIL=20261231T220000Z").unwrap();
        let got = r.occurrences(dt("2026-12-30 16:30"), dt("2027-01-05 00:00"), Montreal);
        assert_eq!(got, vec![dt("2026-12-30 16:30"), dt("2026-12-31 16:30")]);
        // West of UTC the instant's date is the day before locally: an
        // UNTIL at 02:00 UTC on the 1st still lets the 31st's 20:00 through.
        let r = RRule::parse("FREQ=DAILY;UNTIL=20270101T020000Z").unwrap();
        let got = r.occurrences(dt("2026-12-30 20:00"), dt("2027-01-05 00:00"), Montreal);
        assert_eq!(got, vec![dt("2026-12-30 20:00"), dt("2026-12-31 20:00")]);
        // A floating local UNTIL and a date bound the local start.
        let r = RRule::parse("FREQ=DAILY;UNTIL=20261231T233000").unwrap();
        let got = r.occurrences(dt("2026-12-30 23:30"), dt("2027-01-05 00:00"), Paris);
        assert_eq!(got, vec![dt("2026-12-30 23:30"), dt("2026-12-31 23:30")]);
        let r = RRule::parse("FREQ=DAILY;UNTIL=20261231").unwrap();
        let got = r.occurrences(dt("2026-12-30 23:30"), dt("2027-01-05 00:00"), Paris);
        assert_eq!(got, vec![dt("2026-12-30 23:30"), dt("2026-12-31 23:30")]);
    }
}

//! Availability over a period from state intervals, and the credit a
//! contract's tiers give for it (DOMAIN: >= 99.9 % nothing, 99.5-99.9 %
//! 10 % of the monthly fee, < 99.5 % 50 %).
//!
//! availability = up / (period - maintenance - unknown - no data), where
//! up counts `Up` and `Degraded` time (the service answered) and `Down`
//! counts against. Time after `now` is not counted at all.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::money::Decimal;
use super::{AvailabilityTier, Status};

/// A check's state from `start` to `end` (`None`: still going).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub status: Status,
}

/// Where the time of a period went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Availability {
    pub up: TimeDelta,
    pub down: TimeDelta,
    pub maintenance: TimeDelta,
    pub unknown: TimeDelta,
    /// Time no state was known (before the first result, gaps).
    pub no_data: TimeDelta,
}

impl Availability {
    /// Percent of the measurable time that was up; `None` when nothing was
    /// measurable (never 100 % by default).
    pub fn percent(&self) -> Option<f64> {
        let measured = (self.up + self.down).num_milliseconds();
        (measured > 0).then(|| 100.0 * self.up.num_milliseconds() as f64 / measured as f64)
    }

    fn add(&mut self, class: Class, d: TimeDelta) {
        match class {
            Class::Up => self.up += d,
            Class::Down => self.down += d,
            Class::Maintenance => self.maintenance += d,
            Class::Unknown => self.unknown += d,
            Class::NoData => self.no_data += d,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Up,
    NoData,
    Unknown,
    Maintenance,
    Down,
}

fn class_of(s: Option<Status>) -> Class {
    match s {
        None => Class::NoData,
        Some(Status::Up | Status::Degraded) => Class::Up,
        Some(Status::Down) => Class::Down,
        Some(Status::Maintenance) => Class::Maintenance,
        Some(Status::Unknown) => Class::Unknown,
    }
}

/// The calendar month `year-month` in `tz`, as UTC instants: from local
/// midnight on the 1st to local midnight on the 1st of the next month (so
/// March is an hour short in Europe/Paris, October an hour long).
pub fn month_range(tz: Tz, year: i32, month: u32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let midnight = |d: NaiveDate| {
        let naive = d.and_hms_opt(0, 0, 0)?;
        // A midnight that does not exist (DST at 00:00) starts an hour later.
        tz.from_local_datetime(&naive)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(naive + TimeDelta::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
    };
    Some((midnight(first)?, midnight(next)?))
}

/// Parses "YYYY-MM".
pub fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    let (year, month) = (y.parse().ok()?, m.parse().ok()?);
    (y.len() == 4 && (1..=12).contains(&month)).then_some((year, month))
}

/// A stretch of one state: [start, end).
type Segment = (DateTime<Utc>, DateTime<Utc>, Status);

/// The state of one check at every instant of [from, to), from its
/// intervals (sorted by start; overlaps resolved by the later start).
fn segments(intervals: &[Interval], from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Segment> {
    let mut sorted: Vec<&Interval> = intervals.iter().collect();
    sorted.sort_by_key(|i| i.start);
    let mut out = Vec::new();
    for (n, i) in sorted.iter().enumerate() {
        let next_start = sorted.get(n + 1).map(|x| x.start);
        let end = match (i.end, next_start) {
            (Some(e), Some(n)) => e.min(n),
            (Some(e), None) => e,
            (None, Some(n)) => n,
            (None, None) => to,
        };
        let (a, b) = (i.start.max(from), end.min(to));
        if a < b {
            out.push((a, b, i.status));
        }
    }
    out
}

/// A check's availability over [from, to), counting nothing after `now`.
pub fn of_check(
    intervals: &[Interval],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Availability {
    of_checks(&[intervals.to_vec()], from, to, now)
}

/// A client's availability over [from, to) from its checks' intervals: down
/// while any check is down; excluded while none is down and any is in
/// maintenance, unknown or without data; up otherwise. Overlapping downs
/// count once.
pub fn of_checks(
    checks: &[Vec<Interval>],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Availability {
    let to = to.min(now);
    let mut out = Availability::default();
    if from >= to || checks.is_empty() {
        return out;
    }
    let segs: Vec<Vec<Segment>> = checks.iter().map(|c| segments(c, from, to)).collect();
    let mut cuts: Vec<DateTime<Utc>> = vec![from, to];
    for s in &segs {
        for (a, b, _) in s {
            cuts.push(*a);
            cuts.push(*b);
        }
    }
    cuts.sort();
    cuts.dedup();
    let mut cursor = vec![0usize; segs.len()];
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let mut class = Class::Up;
        for (c, s) in segs.iter().enumerate() {
            while cursor[c] < s.len() && s[cursor[c]].1 <= a {
                cursor[c] += 1;
            }
            let state = s
                .get(cursor[c])
                .filter(|(start, _, _)| *start <= a)
                .map(|(_, _, st)| *st);
            class = class.max(class_of(state));
        }
        out.add(class, b - a);
    }
    out
}

/// Percent of the monthly fee owed for an availability: the highest credit
/// among the tiers whose `below` exceeds it.
pub fn credit_percent(percent: f64, tiers: &[AvailabilityTier]) -> Decimal {
    tiers
        .iter()
        .filter(|t| percent < t.below)
        .map(|t| t.credit_percent)
        .fold(Decimal::ZERO, Decimal::max)
}

/// The credit owed for a month: its tier's share of the monthly fee,
/// rounded to the cent (none when the month has no figure).
pub fn credit(percent: Option<f64>, tiers: &[AvailabilityTier], monthly_fee: Decimal) -> Decimal {
    percent.map_or(Decimal::ZERO, |p| {
        super::money::percent_of(credit_percent(p, tiers), monthly_fee)
    })
}

/// The availability a contract promises: its best tier's threshold.
pub fn target(tiers: &[AvailabilityTier]) -> Option<f64> {
    tiers.iter().map(|t| t.below).reduce(f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    fn iv(a: DateTime<Utc>, b: Option<DateTime<Utc>>, s: Status) -> Interval {
        Interval {
            start: a,
            end: b,
            status: s,
        }
    }

    #[test]
    fn months_follow_the_clients_timezone_and_dst() {
        let hours = |m| {
            let (a, b) = month_range(Paris, 2026, m).unwrap();
            (b - a).num_hours()
        };
        assert_eq!(hours(3), 743);
        assert_eq!(hours(10), 745);
        assert_eq!(hours(11), 720);
        let (a, _) = month_range(Paris, 2026, 11).unwrap();
        assert_eq!(a, Utc.with_ymd_and_hms(2026, 10, 31, 23, 0, 0).unwrap());
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("2026-02"), Some((2026, 2)));
    }

    #[test]
    fn down_counts_against_maintenance_and_unknown_are_excluded() {
        let ivs = [
            iv(t(1, 0), Some(t(1, 10)), Status::Up),
            iv(t(1, 10), Some(t(1, 11)), Status::Down),
            iv(t(1, 11), Some(t(1, 13)), Status::Maintenance),
            iv(t(1, 13), Some(t(1, 14)), Status::Unknown),
            iv(t(1, 14), None, Status::Degraded),
        ];
        let a = of_check(&ivs, t(1, 0), t(2, 0), t(1, 20));
        assert_eq!(a.up, TimeDelta::hours(16));
        assert_eq!(a.down, TimeDelta::hours(1));
        assert_eq!(a.maintenance, TimeDelta::hours(2));
        assert_eq!(a.unknown, TimeDelta::hours(1));
        assert_eq!(
            a.no_data,
            TimeDelta::zero(),
            "time after now is not counted"
        );
        let p = a.percent().unwrap();
        assert!((p - 100.0 * 16.0 / 17.0).abs() < 1e-9);
    }

    #[test]
    fn nothing_measured_is_no_figure() {
        assert_eq!(of_check(&[], t(1, 0), t(2, 0), t(3, 0)).percent(), None);
        let a = of_check(&[], t(1, 0), t(2, 0), t(3, 0));
        assert_eq!(a.no_data, TimeDelta::hours(24));
    }

    #[test]
    fn a_clients_overlapping_downs_count_once() {
        let web = vec![
            iv(t(1, 0), Some(t(1, 2)), Status::Up),
            iv(t(1, 2), Some(t(1, 4)), Status::Down),
            iv(t(1, 4), None, Status::Up),
        ];
        let db = vec![
            iv(t(1, 0), Some(t(1, 3)), Status::Up),
            iv(t(1, 3), Some(t(1, 5)), Status::Down),
            iv(t(1, 5), None, Status::Up),
        ];
        let a = of_checks(&[web, db], t(1, 0), t(1, 10), t(1, 10));
        assert_eq!(a.down, TimeDelta::hours(3));
        assert_eq!(a.up, TimeDelta::hours(7));
    }

    #[test]
    fn credits_at_the_tier_boundaries() {
        let tiers = [
            AvailabilityTier {
                below: 99.9,
                credit_percent: Decimal::TEN,
            },
            AvailabilityTier {
                below: 99.5,
                credit_percent: Decimal::from(50),
            },
        ];
        assert_eq!(credit_percent(99.95, &tiers), Decimal::ZERO);
        assert_eq!(credit_percent(99.9, &tiers), Decimal::ZERO);
        assert_eq!(credit_percent(99.89, &tiers), Decimal::TEN);
        assert_eq!(credit_percent(99.5, &tiers), Decimal::TEN);
        assert_eq!(credit_percent(99.49, &tiers), Decimal::from(50));
        // 10 % of 0.85 is 0.085: half a cent, rounded up.
        let fee = crate::model::money::parse("0.85").unwrap_or_default();
        assert_eq!(credit(Some(99.8), &tiers, fee).to_string(), "0.09");
        assert_eq!(credit(None, &tiers, fee), Decimal::ZERO);
        assert_eq!(target(&tiers), Some(99.9));
    }
}

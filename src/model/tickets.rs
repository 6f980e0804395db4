//! Tickets and their contract clocks: business-hours arithmetic, the
//! intervention deadline (DOMAIN: the clock starts at ticket creation and
//! runs through support hours; an urgent incident within 2 h), what stops
//! it, the billing of time (per started period, at the client's hourly
//! rate), the diagnosis warning (1 h) and the yearly call quota (24).
//!
//! Pure: the current time is always a parameter.

use std::time::Duration;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::hours::SupportHours;
use super::money::Decimal;

/// How far ahead the calendar looks for support time before giving up
/// (a calendar whose days are all holidays has none).
const HORIZON_DAYS: u64 = 3 * 366;

const DAY_SECS: u64 = 86_400;

/// A client's business calendar: the contract's support hours in the
/// client's timezone, minus public holidays (local dates).
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    pub hours: SupportHours,
    pub tz: Tz,
    pub holidays: super::holidays::Holidays,
}

impl BusinessCalendar {
    /// Whether the clock runs at all on this local date.
    pub fn is_business_day(&self, day: NaiveDate) -> bool {
        self.hours.days.contains(&day.weekday()) && !self.holidays.contains(&day)
    }

    /// The support window of a local date in UTC, if the clock runs that
    /// day. A local time that does not exist (DST gap) is read with the
    /// offset before the gap (RFC 5545); an ambiguous one takes the earlier
    /// instant.
    fn window(&self, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_business_day(day) {
            return None;
        }
        let start = self.local(day, self.hours.start.minutes)?;
        let end = self.local(day, self.hours.end.minutes)?;
        (end > start).then_some((start, end))
    }

    fn local(&self, day: NaiveDate, minutes: u16) -> Option<DateTime<Utc>> {
        let naive: NaiveDateTime =
            day.and_hms_opt(0, 0, 0)? + chrono::Duration::minutes(minutes.into());
        resolve(self.tz, naive)
    }

    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// The instant `work` of support time after `from`. `None` when the
    /// calendar has no support time within three years.
    pub fn add(&self, from: DateTime<Utc>, work: Duration) -> Option<DateTime<Utc>> {
        let mut left = chrono::Duration::from_std(work).ok()?;
        let mut day = self.local_date(from);
        for _ in 0..HORIZON_DAYS {
            if let Some((start, end)) = self.window(day) {
                let begin = start.max(from);
                if begin < end {
                    let available = end - begin;
                    if left <= available {
                        return Some(begin + left);
                    }
                    left -= available;
                }
            }
            day = day.checked_add_days(Days::new(1))?;
        }
        None
    }

    /// The first instant at or after `t` when the clock runs.
    pub fn next_open(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut day = self.local_date(t);
        for _ in 0..HORIZON_DAYS {
            if let Some((start, end)) = self.window(day) {
                if t < end {
                    return Some(start.max(t));
                }
            }
            day = day.checked_add_days(Days::new(1))?;
        }
        None
    }

    /// Support time between `a` and `b` (zero when `b <= a`).
    pub fn elapsed(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        if b <= a {
            return Duration::ZERO;
        }
        let mut total = chrono::Duration::zero();
        let mut day = self.local_date(a);
        let last = self.local_date(b);
        while day <= last {
            if let Some((start, end)) = self.window(day) {
                let (s, e) = (start.max(a), end.min(b));
                if e > s {
                    total += e - s;
                }
            }
            match day.checked_add_days(Days::new(1)) {
                Some(d) => day = d,
                None => break,
            }
        }
        total.to_std().unwrap_or(Duration::ZERO)
    }

    /// `n` business days after `from`: the clock first moves to the next
    /// support instant, then lands on the n-th following business day at the
    /// same local time (DOMAIN: "normal: 1 business day").
    pub fn add_business_days(&self, from: DateTime<Utc>, n: u64) -> Option<DateTime<Utc>> {
        let open = self.next_open(from)?;
        let local = open.with_timezone(&self.tz).naive_local();
        let mut day = local.date();
        let mut counted = 0;
        for _ in 0..HORIZON_DAYS {
            if counted == n {
                return resolve(self.tz, day.and_time(local.time()));
            }
            day = day.checked_add_days(Days::new(1))?;
            if self.is_business_day(day) {
                counted += 1;
            }
        }
        None
    }

    /// The deadline `target` after `created`: whole days (`1d`) count
    /// business days, anything else counts support time.
    pub fn deadline(&self, created: DateTime<Utc>, target: Duration) -> Option<DateTime<Utc>> {
        let secs = target.as_secs();
        if secs > 0 && secs % DAY_SECS == 0 && target.subsec_nanos() == 0 {
            self.add_business_days(created, secs / DAY_SECS)
        } else {
            self.add(created, target)
        }
    }
}

/// A local wall time to UTC by the one rule of [`super::tz`] (RFC 5545:
/// the earlier of an ambiguous pair; a time inside a DST gap read with the
/// offset before it).
fn resolve(tz: Tz, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    Some(super::tz::instant(tz, naive))
}

/// Where a secret comes from: an environment variable or an owner-only
/// file (never the config itself, the store or the screen).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretSource {
    pub env: Option<String>,
    pub file: Option<std::path::PathBuf>,
}

/// The tracker tickets are read from and time is written to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TicketBackendKind {
    /// Vigie's own tracker, in the store (for a team without one).
    #[default]
    Builtin,
    /// Redmine's REST API at `url`.
    Redmine {
        url: String,
        key: SecretSource,
        /// Time-entry activity; `None` uses Redmine's default activity.
        activity_id: Option<u32>,
    },
}

/// `[tickets]`: the tracker, its projects mapped to clients, and what
/// stops the intervention clock.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketSettings {
    pub backend: TicketBackendKind,
    /// Tracker project identifier -> client id.
    pub projects: std::collections::BTreeMap<String, String>,
    pub rules: ClockRules,
    pub sync_interval: Duration,
}

impl Default for TicketSettings {
    fn default() -> Self {
        TicketSettings {
            backend: TicketBackendKind::Builtin,
            projects: std::collections::BTreeMap::new(),
            rules: ClockRules::default(),
            sync_interval: Duration::from_secs(60),
        }
    }
}

/// One entry of a ticket's history: a note, a status change, or both.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Journal {
    pub at: DateTime<Utc>,
    pub author: String,
    /// The note, if the entry carried one (not sanitized: raw text).
    pub notes: Option<String>,
    /// `(from, to)` status names, if the entry changed the status.
    pub status_change: Option<(String, String)>,
}

/// A ticket as the console knows it, whatever tracker it came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ticket {
    /// The tracker's key (a Redmine issue id, a Gitea index, a local id).
    pub id: u64,
    /// The tracker project it belongs to.
    pub project: String,
    /// The client, when the project maps to one in the config.
    pub client: Option<String>,
    pub title: String,
    pub status: String,
    pub closed: bool,
    pub priority: String,
    pub tracker: String,
    pub author: String,
    pub assignee: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// Time recorded on the ticket in the tracker.
    pub spent: Duration,
    /// When the first time entry was made, if the tracker tells.
    pub first_time_entry: Option<DateTime<Utc>>,
    pub journals: Vec<Journal>,
    pub url: Option<String>,
    /// When the team started working, once a sync has seen it: the
    /// intervention clock never restarts, so a tracker need not read this
    /// ticket's history again to judge its deadline.
    #[serde(default)]
    pub intervention: Option<DateTime<Utc>>,
    /// `None` when `journals` are the ticket's whole history; otherwise
    /// the `updated` instant they were read at (the ticket changed since,
    /// and the history is read again when its clock needs it or someone
    /// opens it). A history never read is empty and `created`.
    #[serde(default)]
    pub journals_as_of: Option<DateTime<Utc>>,
}

impl Ticket {
    /// Whether the ticket changed since its history was read, with no
    /// intervention noted yet: a note or status change the console has not
    /// read may have stopped its clock, so the clock's verdict is in doubt.
    /// A ticket never updated since it was opened has no history to read
    /// (as far as the tracker's to-the-second `updated` tells).
    pub fn clock_in_doubt(&self) -> bool {
        self.intervention.is_none() && self.journals_as_of.is_some_and(|at| self.updated > at)
    }
}

/// What stops the intervention clock: someone started working.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClockRules {
    /// The team's user names. Empty: any note by someone other than the
    /// ticket's author counts as the team's.
    pub team: Vec<String>,
    /// Status names whose reaching stops the clock (e.g. "In Progress").
    pub stop_statuses: Vec<String>,
}

impl ClockRules {
    fn is_team(&self, ticket: &Ticket, who: &str) -> bool {
        if self.team.is_empty() {
            who != ticket.author
        } else {
            self.team.iter().any(|t| t.eq_ignore_ascii_case(who))
        }
    }
}

/// The instant someone started working on the ticket (DOMAIN: the
/// intervention): the first time entry, the first note by the team, or the
/// first change to a stop status, whichever came first (or the instant an
/// earlier sync saw, which stays true). `local_start` is a timer started in
/// the console, which counts as a time entry.
pub fn intervention_started(
    ticket: &Ticket,
    rules: &ClockRules,
    local_start: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    let notes = ticket.journals.iter().filter_map(|j| {
        let note = j.notes.as_deref().is_some_and(|n| !n.trim().is_empty());
        (note && rules.is_team(ticket, &j.author)).then_some(j.at)
    });
    let statuses = ticket.journals.iter().filter_map(|j| {
        let (_, to) = j.status_change.as_ref()?;
        rules
            .stop_statuses
            .iter()
            .any(|s| s.eq_ignore_ascii_case(to))
            .then_some(j.at)
    });
    notes
        .chain(statuses)
        .chain(ticket.intervention)
        .chain(ticket.first_time_entry)
        .chain(local_start)
        .min()
}

/// The state of a contract clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The contract sets no time for this priority.
    None,
    /// Running: due at `due` (the wall-clock instant that sorts the board
    /// and is shown), `left` of support time left; `resumes` is when
    /// support time next runs if it is paused now (evening, weekend,
    /// holiday), so "25 min left" is never read as wall-clock time.
    Running {
        due: DateTime<Utc>,
        left: Duration,
        resumes: Option<DateTime<Utc>>,
    },
    /// Past due and nobody started: breached by `over` (wall time).
    Breached { due: DateTime<Utc>, over: Duration },
    /// Stopped at `at`; `met` when that was by the deadline.
    Stopped {
        due: DateTime<Utc>,
        at: DateTime<Utc>,
        met: bool,
    },
    /// Not judged yet: the ticket changed since its history was read, and
    /// what the console knows does not settle the deadline (see
    /// [`Ticket::clock_in_doubt`]); the history is being read.
    Unread { due: DateTime<Utc> },
}

impl Clock {
    /// Sort key: breached first (longest breach first), then running by
    /// nearest deadline, then stopped and clockless tickets.
    pub fn urgency(&self) -> (u8, i64) {
        match *self {
            Clock::Breached { due, .. } => (0, due.timestamp_millis()),
            Clock::Running { due, .. } | Clock::Unread { due } => (1, due.timestamp_millis()),
            Clock::Stopped { due, .. } => (2, due.timestamp_millis()),
            Clock::None => (3, 0),
        }
    }

    /// The due instant, whatever the clock's state (`None`: no deadline).
    pub fn due(&self) -> Option<DateTime<Utc>> {
        match *self {
            Clock::None => None,
            Clock::Running { due, .. }
            | Clock::Breached { due, .. }
            | Clock::Stopped { due, .. }
            | Clock::Unread { due } => Some(due),
        }
    }

    pub fn is_breached(&self) -> bool {
        matches!(
            self,
            Clock::Breached { .. } | Clock::Stopped { met: false, .. }
        )
    }
}

/// A clock that runs from `start` for `target` through the calendar until
/// `stopped` (or `now`).
pub fn clock(
    cal: &BusinessCalendar,
    start: DateTime<Utc>,
    target: Option<Duration>,
    stopped: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Clock {
    let due = target.and_then(|t| cal.deadline(start, t));
    clock_due(cal, due, stopped, now)
}

/// [`clock`] with its deadline already worked out (`None`: no deadline).
pub fn clock_due(
    cal: &BusinessCalendar,
    due: Option<DateTime<Utc>>,
    stopped: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Clock {
    let Some(due) = due else {
        return Clock::None;
    };
    match stopped {
        Some(at) => Clock::Stopped {
            due,
            at,
            met: at <= due,
        },
        None if now > due => Clock::Breached {
            due,
            over: (now - due).to_std().unwrap_or(Duration::ZERO),
        },
        None => Clock::Running {
            due,
            left: cal.elapsed(now, due),
            resumes: cal.next_open(now).filter(|open| *open > now),
        },
    }
}

/// Looks a priority up in a per-priority table, ignoring case (Redmine
/// says "Urgent", a config may say "urgent").
pub fn for_priority(
    table: &std::collections::BTreeMap<String, Duration>,
    priority: &str,
) -> Option<Duration> {
    table
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(priority))
        .map(|(_, d)| *d)
}

/// How worked time is billed: per started period (e.g. 15 min), or exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounding {
    /// Zero: no rounding.
    pub period: Duration,
}

impl Rounding {
    pub const QUARTER_HOUR: Rounding = Rounding {
        period: Duration::from_secs(900),
    };

    /// Time billed for `worked`: every started period counts whole.
    pub fn billed(self, worked: Duration) -> Duration {
        let p = self.period.as_secs();
        let w = worked.as_secs() + u64::from(worked.subsec_nanos() > 0);
        if p == 0 {
            return Duration::from_secs(w);
        }
        Duration::from_secs(w.div_ceil(p) * p)
    }
}

/// Cost of `billed` time at `hourly_rate`, rounded half-up to the cent
/// (one timesheet line).
pub fn cost(billed: Duration, hourly_rate: Decimal) -> Decimal {
    super::money::of_time(billed, hourly_rate)
}

/// DOMAIN: past `threshold` of diagnosis the client must be told and agree
/// on more time.
pub fn diagnosis_warning(spent: Duration, threshold: Duration) -> bool {
    threshold > Duration::ZERO && spent >= threshold
}

/// A client's yearly call quota (DOMAIN: e.g. 24 calls a year).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub used: u32,
    pub allowed: u32,
}

impl Quota {
    /// Warn at 80 % of the quota.
    pub fn warning(&self) -> bool {
        self.allowed > 0 && u64::from(self.used) * 100 >= u64::from(self.allowed) * 80
    }

    pub fn exceeded(&self) -> bool {
        self.used > self.allowed
    }
}

/// Calls counted against the quota in the calendar year (in `tz`) of
/// `now`: tickets created that year.
pub fn calls_this_year<'a>(
    created: impl IntoIterator<Item = &'a DateTime<Utc>>,
    tz: Tz,
    now: DateTime<Utc>,
) -> u32 {
    let year = now.with_timezone(&tz).year();
    let n = created
        .into_iter()
        .filter(|c| c.with_timezone(&tz).year() == year)
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The first instant of the calendar year of `now` in `tz`: the quota's
/// year starts at local midnight on 1 January.
pub fn year_start(tz: Tz, now: DateTime<Utc>) -> DateTime<Utc> {
    let year = now.with_timezone(&tz).year();
    NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|n| resolve(tz, n))
        .unwrap_or(now)
}

/// One recorded piece of work on a ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkEntry {
    pub ticket: u64,
    pub client: Option<String>,
    pub title: String,
    /// The local date the work is booked on.
    pub spent_on: NaiveDate,
    pub worked: Duration,
    pub comment: String,
}

/// One line of a month's timesheet: a ticket's time for a client.
#[derive(Debug, Clone, PartialEq)]
pub struct TimesheetLine {
    pub client: String,
    pub ticket: u64,
    pub title: String,
    pub worked: Duration,
    pub billed: Duration,
    pub cost: Decimal,
}

/// Billing terms of one client, as the timesheet needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct BillingTerms {
    pub hourly_rate: Decimal,
    pub currency: String,
    pub rounding: Rounding,
}

/// The timesheet of `month` (year, month): per client and ticket, the
/// worked time of that month's entries, billed per started period at the
/// client's rate (DOMAIN: time is billed per ticket). Sorted by client then
/// ticket. Entries with no client are left out (nobody to bill).
pub fn timesheet(
    entries: &[WorkEntry],
    month: (i32, u32),
    terms: impl Fn(&str) -> Option<BillingTerms>,
) -> Vec<TimesheetLine> {
    let mut sums: std::collections::BTreeMap<(String, u64), (String, Duration)> =
        std::collections::BTreeMap::new();
    for e in entries {
        if (e.spent_on.year(), e.spent_on.month()) != month {
            continue;
        }
        let Some(client) = &e.client else { continue };
        let slot = sums
            .entry((client.clone(), e.ticket))
            .or_insert_with(|| (e.title.clone(), Duration::ZERO));
        slot.1 += e.worked;
    }
    sums.into_iter()
        .map(|((client, ticket), (title, worked))| {
            let (billed, cost_) = match terms(&client) {
                Some(t) => {
                    let b = t.rounding.billed(worked);
                    (b, cost(b, t.hourly_rate))
                }
                None => (worked, Decimal::ZERO),
            };
            TimesheetLine {
                client,
                ticket,
                title,
                worked,
                billed,
                cost: cost_,
            }
        })
        .collect()
}

/// Hours as a decimal for a tracker (Redmine's `hours`), to the second.
pub fn hours_decimal(d: Duration) -> f64 {
    d.as_secs() as f64 / 3600.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TimeOfDay;
    use chrono::TimeZone;
    use chrono::Weekday;

    fn paris() -> BusinessCalendar {
        BusinessCalendar {
            hours: SupportHours::default(),
            tz: chrono_tz::Europe::Paris,
            holidays: ["2026-12-25", "2027-01-01", "2026-11-11"]
                .iter()
                .filter_map(|d| d.parse().ok())
                .collect(),
        }
    }

    /// A Paris wall time as UTC.
    fn at(s: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        resolve(chrono_tz::Europe::Paris, naive).unwrap()
    }

    const H: u64 = 3600;

    #[test]
    fn deadline_follows_support_hours_weekends_holidays_and_dst() {
        // (opened, target, due) in Paris wall time.
        let cases: &[(&str, Duration, &str)] = &[
            // Within the day.
            (
                "2026-11-24 10:00",
                Duration::from_secs(2 * H),
                "2026-11-24 12:00",
            ),
            // Friday 17:30, urgent 2 h: 30 min Friday, 1 h 30 Monday.
            (
                "2026-11-27 17:30",
                Duration::from_secs(2 * H),
                "2026-11-30 10:30",
            ),
            // Opened Saturday: the clock starts Monday 09:00.
            (
                "2026-11-28 11:00",
                Duration::from_secs(2 * H),
                "2026-11-30 11:00",
            ),
            // Opened before opening time.
            (
                "2026-11-24 07:12",
                Duration::from_secs(2 * H),
                "2026-11-24 11:00",
            ),
            // Opened after closing time.
            (
                "2026-11-24 21:00",
                Duration::from_secs(2 * H),
                "2026-11-25 11:00",
            ),
            // Ending exactly at closing stays that day.
            (
                "2026-11-24 16:00",
                Duration::from_secs(2 * H),
                "2026-11-24 18:00",
            ),
            // Armistice Day (Wednesday 11 Nov 2026) is a holiday.
            (
                "2026-11-10 17:00",
                Duration::from_secs(2 * H),
                "2026-11-12 10:00",
            ),
            // Christmas Friday, then the weekend.
            (
                "2026-12-24 17:00",
                Duration::from_secs(2 * H),
                "2026-12-28 10:00",
            ),
            // DST ends Sunday 25 Oct 2026: Friday 17:30 + 2 h is Monday 10:30 local.
            (
                "2026-10-23 17:30",
                Duration::from_secs(2 * H),
                "2026-10-26 10:30",
            ),
            // DST starts Sunday 28 Mar 2027.
            (
                "2027-03-26 17:00",
                Duration::from_secs(3 * H),
                "2027-03-29 11:00",
            ),
            // Normal: one business day, same local time the next business day.
            (
                "2026-11-24 14:00",
                Duration::from_secs(DAY_SECS),
                "2026-11-25 14:00",
            ),
            (
                "2026-11-27 14:00",
                Duration::from_secs(DAY_SECS),
                "2026-11-30 14:00",
            ),
            (
                "2026-11-28 14:00",
                Duration::from_secs(DAY_SECS),
                "2026-12-01 09:00",
            ),
            (
                "2026-11-10 15:00",
                Duration::from_secs(DAY_SECS),
                "2026-11-12 15:00",
            ),
            // A day across the DST change keeps the local time.
            (
                "2026-10-23 15:00",
                Duration::from_secs(DAY_SECS),
                "2026-10-26 15:00",
            ),
            // Nine hours of support time is a whole support day.
            (
                "2026-11-24 09:00",
                Duration::from_secs(9 * H),
                "2026-11-24 18:00",
            ),
            (
                "2026-11-24 09:01",
                Duration::from_secs(9 * H),
                "2026-11-25 09:01",
            ),
        ];
        let cal = paris();
        for (opened, target, due) in cases {
            assert_eq!(
                cal.deadline(at(opened), *target),
                Some(at(due)),
                "opened {opened}, target {target:?}"
            );
        }
    }

    #[test]
    fn elapsed_support_time_counts_only_open_minutes() {
        let cal = paris();
        let cases: &[(&str, &str, u64)] = &[
            ("2026-11-27 17:30", "2026-11-30 10:30", 2 * 60),
            ("2026-11-28 00:00", "2026-11-29 23:59", 0),
            ("2026-11-24 08:00", "2026-11-24 19:00", 9 * 60),
            ("2026-11-10 09:00", "2026-11-12 09:00", 9 * 60),
            ("2026-10-23 09:00", "2026-10-26 18:00", 18 * 60),
            ("2026-11-24 12:00", "2026-11-24 11:00", 0),
        ];
        for (a, b, minutes) in cases {
            assert_eq!(
                cal.elapsed(at(a), at(b)),
                Duration::from_secs(minutes * 60),
                "{a} -> {b}"
            );
        }
    }

    #[test]
    fn calendar_without_support_days_has_no_deadline() {
        let mut cal = paris();
        cal.hours.days = vec![Weekday::Sat];
        cal.holidays = (0..400)
            .filter_map(|i| NaiveDate::from_ymd_opt(2026, 1, 1)?.checked_add_days(Days::new(i)))
            .filter(|d| d.weekday() == Weekday::Sat)
            .collect();
        // Saturdays are all holidays for 400 days, then they open again.
        let due = cal.deadline(at("2026-11-24 10:00"), Duration::from_secs(H));
        assert_eq!(due, Some(at("2027-02-06 10:00")));
        cal.hours.days.clear();
        assert_eq!(
            cal.deadline(at("2026-11-24 10:00"), Duration::from_secs(H)),
            None
        );
    }

    #[test]
    fn support_hours_that_span_a_dst_gap_resolve_forward() {
        let cal = BusinessCalendar {
            hours: SupportHours {
                days: vec![Weekday::Sun],
                start: TimeOfDay {
                    minutes: 2 * 60 + 30,
                },
                end: TimeOfDay { minutes: 4 * 60 },
            },
            tz: chrono_tz::Europe::Paris,
            holidays: Default::default(),
        };
        // 28 Mar 2027 02:30 does not exist in Paris: read with the offset
        // before the gap (RFC 5545), the window opens at 03:30 CEST.
        let due = cal.add(at("2027-03-27 12:00"), Duration::from_secs(30 * 60));
        assert_eq!(due, Some(at("2027-03-28 04:00")));
    }

    fn ticket(journals: Vec<Journal>) -> Ticket {
        Ticket {
            id: 7,
            project: "coop".into(),
            client: Some("coop".into()),
            title: "POS down".into(),
            status: "New".into(),
            closed: false,
            priority: "Urgent".into(),
            tracker: "Bug".into(),
            author: "client".into(),
            assignee: None,
            created: at("2026-11-27 17:30"),
            updated: at("2026-11-27 17:30"),
            spent: Duration::ZERO,
            first_time_entry: None,
            journals,
            url: None,
            intervention: None,
            journals_as_of: None,
        }
    }

    fn note(when: &str, who: &str, text: &str) -> Journal {
        Journal {
            at: at(when),
            author: who.into(),
            notes: Some(text.into()),
            status_change: None,
        }
    }

    fn status(when: &str, who: &str, to: &str) -> Journal {
        Journal {
            at: at(when),
            author: who.into(),
            notes: None,
            status_change: Some(("New".into(), to.into())),
        }
    }

    #[test]
    fn clock_stops_at_first_team_note_time_entry_or_stop_status() {
        let rules = ClockRules {
            team: vec!["alice".into()],
            stop_statuses: vec!["In Progress".into()],
        };
        let open = ClockRules::default();
        type Case<'a> = (
            &'a str,
            Ticket,
            &'a ClockRules,
            Option<&'a str>,
            Option<&'a str>,
        );
        let cases: Vec<Case> = vec![
            ("nothing happened", ticket(vec![]), &rules, None, None),
            (
                "the client's own note does not count",
                ticket(vec![note("2026-11-30 09:05", "client", "still down")]),
                &rules,
                None,
                None,
            ),
            (
                "a note by the team",
                ticket(vec![
                    note("2026-11-30 09:05", "client", "still down"),
                    note("2026-11-30 09:20", "alice", "looking"),
                ]),
                &rules,
                None,
                Some("2026-11-30 09:20"),
            ),
            (
                "an empty note does not count",
                ticket(vec![note("2026-11-30 09:20", "alice", "  ")]),
                &rules,
                None,
                None,
            ),
            (
                "a status named in the config",
                ticket(vec![status("2026-11-30 09:10", "bob", "in progress")]),
                &rules,
                None,
                Some("2026-11-30 09:10"),
            ),
            (
                "another status does not",
                ticket(vec![status("2026-11-30 09:10", "bob", "Feedback")]),
                &rules,
                None,
                None,
            ),
            (
                "a timer started in the console",
                ticket(vec![note("2026-11-30 10:00", "alice", "done")]),
                &rules,
                Some("2026-11-30 09:01"),
                Some("2026-11-30 09:01"),
            ),
            (
                "without a team list, anyone but the author",
                ticket(vec![note("2026-11-30 09:30", "bob", "on it")]),
                &open,
                None,
                Some("2026-11-30 09:30"),
            ),
        ];
        for (name, t, rules, local, expected) in cases {
            assert_eq!(
                intervention_started(&t, rules, local.map(at)),
                expected.map(at),
                "{name}"
            );
        }
        let mut t = ticket(vec![note("2026-11-30 10:00", "alice", "x")]);
        t.first_time_entry = Some(at("2026-11-30 09:45"));
        assert_eq!(
            intervention_started(&t, &rules, None),
            Some(at("2026-11-30 09:45")),
            "a time entry in the tracker"
        );
    }

    #[test]
    fn clock_is_running_breached_or_stopped() {
        let cal = paris();
        let created = at("2026-11-27 17:30");
        let two = Some(Duration::from_secs(2 * H));
        let due = at("2026-11-30 10:30");
        assert_eq!(
            clock(&cal, created, two, None, at("2026-11-28 12:00")),
            Clock::Running {
                due,
                left: Duration::from_secs(90 * 60),
                resumes: Some(at("2026-11-30 09:00")),
            }
        );
        assert_eq!(
            clock(&cal, created, two, None, at("2026-11-30 11:00")),
            Clock::Breached {
                due,
                over: Duration::from_secs(30 * 60)
            }
        );
        let met = clock(
            &cal,
            created,
            two,
            Some(at("2026-11-30 09:10")),
            at("2026-11-30 12:00"),
        );
        assert!(matches!(met, Clock::Stopped { met: true, .. }));
        assert!(!met.is_breached());
        let late = clock(
            &cal,
            created,
            two,
            Some(at("2026-11-30 10:31")),
            at("2026-11-30 12:00"),
        );
        assert!(late.is_breached());
        assert_eq!(
            clock(&cal, created, None, None, at("2026-11-30 12:00")),
            Clock::None
        );
    }

    #[test]
    fn urgency_puts_breached_first_then_nearest_deadline() {
        let due = |s| at(s);
        let mut clocks = [
            Clock::None,
            Clock::Running {
                due: due("2026-11-30 15:00"),
                left: Duration::ZERO,
                resumes: None,
            },
            Clock::Stopped {
                due: due("2026-11-30 08:00"),
                at: due("2026-11-30 07:00"),
                met: true,
            },
            Clock::Breached {
                due: due("2026-11-30 10:00"),
                over: Duration::ZERO,
            },
            Clock::Running {
                due: due("2026-11-30 11:00"),
                left: Duration::ZERO,
                resumes: None,
            },
            Clock::Breached {
                due: due("2026-11-29 10:00"),
                over: Duration::ZERO,
            },
        ];
        clocks.sort_by_key(Clock::urgency);
        let kinds: Vec<u8> = clocks.iter().map(|c| c.urgency().0).collect();
        assert_eq!(kinds, vec![0, 0, 1, 1, 2, 3]);
        assert!(matches!(clocks[0], Clock::Breached { due: d, .. } if d == at("2026-11-29 10:00")));
        assert!(matches!(clocks[2], Clock::Running { due: d, .. } if d == at("2026-11-30 11:00")));
    }

    #[test]
    fn billing_counts_every_started_period() {
        let q = Rounding::QUARTER_HOUR;
        let cases: &[(u64, u64)] = &[
            (0, 0),
            (1, 15 * 60),
            (15 * 60, 15 * 60),
            (15 * 60 + 1, 30 * 60),
            (61 * 60, 75 * 60),
        ];
        for (worked, billed) in cases {
            assert_eq!(
                q.billed(Duration::from_secs(*worked)),
                Duration::from_secs(*billed),
                "{worked}s"
            );
        }
        let exact = Rounding {
            period: Duration::ZERO,
        };
        assert_eq!(
            exact.billed(Duration::from_millis(1500)),
            Duration::from_secs(2)
        );
        let cents = |secs, rate: u32| {
            crate::model::money::format_cents(cost(Duration::from_secs(secs), rate.into()))
        };
        assert_eq!(cents(75 * 60, 120), "150.00");
        assert_eq!(cents(20 * 60, 100), "33.33");
        assert_eq!(cents(15 * 60, 120), "30.00");
        // 30 s at 1 €/h is 0.00833…; 18 s is exactly half a cent, rounded up.
        assert_eq!(cents(30, 1), "0.01");
        assert_eq!(cents(18, 1), "0.01");
    }

    #[test]
    fn diagnosis_warning_and_call_quota() {
        assert!(!diagnosis_warning(
            Duration::from_secs(59 * 60),
            Duration::from_secs(H)
        ));
        assert!(diagnosis_warning(
            Duration::from_secs(H),
            Duration::from_secs(H)
        ));
        assert!(!diagnosis_warning(
            Duration::from_secs(9 * H),
            Duration::ZERO
        ));
        let q = |used| Quota { used, allowed: 24 };
        assert!(!q(19).warning());
        assert!(q(20).warning(), "20 of 24 is 83 %");
        assert!(!q(24).exceeded());
        assert!(q(25).exceeded());
        assert!(
            !Quota {
                used: 3,
                allowed: 0
            }
            .warning()
        );
        let created = [
            at("2025-12-31 23:30"),
            at("2026-01-01 00:30"),
            at("2026-06-01 10:00"),
        ];
        // 2025-12-31 23:30 Paris is still 2025 locally.
        assert_eq!(
            calls_this_year(&created, chrono_tz::Europe::Paris, at("2026-11-30 10:00")),
            2
        );
    }

    #[test]
    fn the_quota_year_starts_at_local_midnight_on_1_january() {
        let paris = chrono_tz::Europe::Paris;
        assert_eq!(
            year_start(paris, at("2026-11-30 10:00")),
            at("2026-01-01 00:00")
        );
        // 2025-12-31 23:30 UTC is already 2026 in Paris.
        let utc = chrono::Utc
            .with_ymd_and_hms(2025, 12, 31, 23, 30, 0)
            .single()
            .unwrap();
        assert_eq!(
            year_start(paris, utc).to_rfc3339(),
            "2025-12-31T23:00:00+00:00"
        );
    }

    #[test]
    fn timesheet_sums_a_month_per_client_and_ticket() {
        let e = |ticket, client: Option<&str>, day: &str, mins: u64| WorkEntry {
            ticket,
            client: client.map(String::from),
            title: format!("ticket {ticket}"),
            spent_on: day.parse().unwrap(),
            worked: Duration::from_secs(mins * 60),
            comment: String::new(),
        };
        let entries = vec![
            e(2, Some("coop"), "2026-11-03", 10),
            e(2, Some("coop"), "2026-11-20", 10),
            e(1, Some("coop"), "2026-11-04", 60),
            e(3, Some("bio"), "2026-11-04", 50),
            e(3, Some("bio"), "2026-12-01", 50),
            e(4, None, "2026-11-04", 50),
        ];
        let terms = |c: &str| {
            (c == "coop").then(|| BillingTerms {
                hourly_rate: Decimal::from(120),
                currency: "EUR".into(),
                rounding: Rounding::QUARTER_HOUR,
            })
        };
        let lines = timesheet(&entries, (2026, 11), terms);
        let got: Vec<(&str, u64, u64, u64, String)> = lines
            .iter()
            .map(|l| {
                (
                    l.client.as_str(),
                    l.ticket,
                    l.worked.as_secs() / 60,
                    l.billed.as_secs() / 60,
                    crate::model::money::format_cents(l.cost),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("bio", 3, 50, 50, "0.00".to_string()),
                ("coop", 1, 60, 60, "120.00".to_string()),
                ("coop", 2, 20, 30, "60.00".to_string())
            ]
        );
    }
}

/// The contract calendar of a client, if the client and its contract exist.
pub fn calendar_of<'a>(
    fleet: &'a super::Fleet,
    client: &str,
) -> Option<(BusinessCalendar, &'a super::Contract)> {
    let c = fleet.client(client)?;
    let contract = fleet.contracts.get(&c.contract)?;
    Some((
        BusinessCalendar {
            hours: contract.support_hours.clone(),
            tz: c.timezone,
            holidays: contract.holidays.clone(),
        },
        contract,
    ))
}

/// Billing terms of a client from its contract.
pub fn terms_of(fleet: &super::Fleet, client: &str) -> Option<BillingTerms> {
    let (_, contract) = calendar_of(fleet, client)?;
    Some(BillingTerms {
        hourly_rate: contract.hourly_rate,
        currency: contract.currency.clone(),
        rounding: Rounding {
            period: contract.billing_increment,
        },
    })
}

/// Time recorded in Vigie that the tracker does not know yet: queued
/// entries and the running timer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocalTime {
    /// (ticket, worked) of entries not yet accepted by the tracker.
    pub pending: Vec<(u64, Duration)>,
    /// (ticket, started) of the operator's running timer.
    pub timer: Option<(u64, DateTime<Utc>)>,
}

/// One calendar per client, not per ticket.
fn calendars(
    fleet: &super::Fleet,
) -> std::collections::HashMap<&str, (BusinessCalendar, &super::Contract)> {
    fleet
        .clients
        .iter()
        .filter_map(|c| Some((c.id.as_str(), calendar_of(fleet, &c.id)?)))
        .collect()
}

/// A clock as far as the ticket's history read so far can tell: a deadline
/// that history not yet read could still settle is [`Clock::Unread`].
fn judged(t: &Ticket, c: Clock) -> Clock {
    match c {
        Clock::Running { due, .. }
        | Clock::Breached { due, .. }
        | Clock::Stopped {
            due, met: false, ..
        } if t.clock_in_doubt() => Clock::Unread { due },
        c => c,
    }
}

/// The tickets whose history is worth reading for their intervention
/// clock, most pressing first: a clock in doubt whose deadline is still
/// ahead (it may be running), then those in doubt past their deadline
/// (met or breached), latest deadline first; then histories never read
/// whose clock only seems settled (a ticket not updated since it was
/// opened, or one whose first time entry met the deadline), to confirm
/// it. Tickets without an intervention time, or whose clock an earlier
/// read settled, are left for the detail to read on demand.
pub fn histories_to_read(
    tickets: &[Ticket],
    fleet: &super::Fleet,
    rules: &ClockRules,
    now: DateTime<Utc>,
) -> Vec<u64> {
    let calendars = calendars(fleet);
    let mut keyed: Vec<((u8, i64), u64)> = tickets
        .iter()
        .filter(|t| t.intervention.is_none() && t.journals_as_of.is_some())
        .filter_map(|t| {
            let (cal, contract) = calendars.get(t.client.as_deref()?)?;
            let target = for_priority(&contract.intervention, &t.priority);
            let started = intervention_started(t, rules, None);
            let due = match judged(t, clock(cal, t.created, target, started, now)) {
                Clock::None => return None,
                Clock::Unread { due } if due >= now => {
                    return Some(((0, due.timestamp_millis()), t.id));
                }
                Clock::Unread { due } => return Some(((1, -due.timestamp_millis()), t.id)),
                Clock::Running { due, .. }
                | Clock::Breached { due, .. }
                | Clock::Stopped { due, .. } => due,
            };
            Some(((2, -due.timestamp_millis()), t.id))
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, id)| id).collect()
}

/// One ticket on the board, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardRow {
    /// Shared with the view it was judged from.
    pub ticket: std::sync::Arc<Ticket>,
    /// Intervention clock.
    pub clock: Clock,
    /// Restoration clock (until the ticket is closed), if the contract has one.
    pub restoration: Clock,
    /// Tracker time + queued entries + the running timer.
    pub spent: Duration,
    pub billed: Duration,
    pub cost: Decimal,
    pub currency: String,
    /// DOMAIN: past the diagnosis threshold the client must be told.
    pub diagnosis_warning: bool,
    /// Started at, when the operator's timer runs on this ticket.
    pub timer: Option<DateTime<Utc>>,
}

/// The board: every ticket judged against its client's contract, most
/// urgent first (breached, then nearest deadline, then the rest by id).
pub fn board(
    tickets: &[Ticket],
    fleet: &super::Fleet,
    rules: &ClockRules,
    local: &LocalTime,
    now: DateTime<Utc>,
) -> Vec<BoardRow> {
    let shared: Vec<std::sync::Arc<Ticket>> =
        tickets.iter().cloned().map(std::sync::Arc::new).collect();
    board_of(shared.iter(), fleet, rules, local, now, None)
}

/// Each ticket's intervention and restoration deadlines, by id. They depend
/// on the ticket's creation and priority and on its client's contract, not
/// on the time: worked out once per feed, the board looks them up.
pub type Deadlines = std::collections::HashMap<u64, (Option<DateTime<Utc>>, Option<DateTime<Utc>>)>;

/// The deadlines of `tickets` (those without a contract are left out).
pub fn deadlines<'a>(tickets: impl Iterator<Item = &'a Ticket>, fleet: &super::Fleet) -> Deadlines {
    let calendars = calendars(fleet);
    tickets
        .filter_map(|t| {
            let (cal, contract) = calendars.get(t.client.as_deref()?)?;
            let due =
                |table| for_priority(table, &t.priority).and_then(|d| cal.deadline(t.created, d));
            Some((
                t.id,
                (due(&contract.intervention), due(&contract.restoration)),
            ))
        })
        .collect()
}

/// A ticket judged, before it takes its place on the board.
struct Judged {
    clock: Clock,
    restoration: Clock,
    spent: Duration,
    billed: Duration,
    cost: Decimal,
    currency: String,
    diagnosis_warning: bool,
    timer: Option<DateTime<Utc>>,
}

/// [`board`] for some shared tickets (those a filter keeps), with their
/// [`Deadlines`] when known: each is judged and the judgements sorted by
/// urgency; a row shares its ticket.
pub fn board_of<'a>(
    tickets: impl Iterator<Item = &'a std::sync::Arc<Ticket>>,
    fleet: &super::Fleet,
    rules: &ClockRules,
    local: &LocalTime,
    now: DateTime<Utc>,
    known: Option<&Deadlines>,
) -> Vec<BoardRow> {
    let calendars = calendars(fleet);
    // Sized for every ticket: a filter's iterator gives no lower bound, and
    // growing the vector step by step cost a fifth of the board.
    let mut sorted: Vec<((u8, i64), Judged, &std::sync::Arc<Ticket>)> =
        Vec::with_capacity(tickets.size_hint().1.unwrap_or(0));
    sorted.extend(tickets.map(|t| {
        let timer = local.timer.filter(|(id, _)| *id == t.id).map(|(_, at)| at);
        let queued: Duration = local
            .pending
            .iter()
            .filter(|(id, _)| *id == t.id)
            .map(|(_, d)| *d)
            .sum();
        let running = timer
            .and_then(|at| (now - at).to_std().ok())
            .unwrap_or(Duration::ZERO);
        let spent = t.spent + queued + running;
        let cal = t.client.as_deref().and_then(|c| calendars.get(c));
        let j = match cal {
            Some((cal, contract)) => {
                let (cal, contract) = (cal, *contract);
                let started = intervention_started(t, rules, timer);
                let (due, restore_by) = match known.and_then(|k| k.get(&t.id)) {
                    Some(d) => *d,
                    None => {
                        let due = |table| {
                            for_priority(table, &t.priority)
                                .and_then(|d| cal.deadline(t.created, d))
                        };
                        (due(&contract.intervention), due(&contract.restoration))
                    }
                };
                let c = judged(t, clock_due(cal, due, started, now));
                let r = clock_due(cal, restore_by, None, now);
                let rounding = Rounding {
                    period: contract.billing_increment,
                };
                let billed = rounding.billed(spent);
                Judged {
                    clock: c,
                    restoration: r,
                    spent,
                    billed,
                    cost: cost(billed, contract.hourly_rate),
                    currency: contract.currency.clone(),
                    diagnosis_warning: diagnosis_warning(spent, contract.diagnosis_warning),
                    timer,
                }
            }
            None => Judged {
                clock: Clock::None,
                restoration: Clock::None,
                spent,
                billed: spent,
                cost: Decimal::ZERO,
                currency: String::new(),
                diagnosis_warning: false,
                timer,
            },
        };
        (j.clock.urgency(), j, t)
    }));
    // Ids are unique: an unstable sort gives the one order.
    sorted.sort_unstable_by_key(|(key, _, t)| (*key, t.id));
    sorted
        .into_iter()
        .map(|(_, j, t)| BoardRow {
            ticket: std::sync::Arc::clone(t),
            clock: j.clock,
            restoration: j.restoration,
            spent: j.spent,
            billed: j.billed,
            cost: j.cost,
            currency: j.currency,
            diagnosis_warning: j.diagnosis_warning,
            timer: j.timer,
        })
        .collect()
}

#[cfg(test)]
mod board_tests {
    use super::*;
    use crate::model::{Client, Contract, Fleet};
    use chrono::TimeZone;

    fn fleet() -> Fleet {
        let contract = Contract {
            id: "std".into(),
            support_hours: SupportHours::default(),
            intervention: [
                ("urgent".to_string(), Duration::from_secs(7200)),
                ("normal".to_string(), Duration::from_secs(86_400)),
            ]
            .into(),
            restoration: Default::default(),
            calls_per_year: Some(24),
            hourly_rate: Decimal::from(120),
            currency: "EUR".into(),
            monthly_fee: Decimal::ZERO,
            tiers: vec![],
            diagnosis_warning: Duration::from_secs(3600),
            holidays: Default::default(),
            billing_increment: Duration::from_secs(900),
            usage: None,
        };
        Fleet {
            clients: vec![Client {
                id: "coop".into(),
                name: "Coop".into(),
                timezone: chrono_tz::Europe::Paris,
                contract: "std".into(),
                environments: vec![],
                sites: vec![],
                odoo: None,
                maintenance: crate::model::maintenance::ClientRules::new(
                    "coop",
                    "Coop",
                    chrono_tz::Europe::Paris,
                ),
                usage: Default::default(),
            }],
            contracts: [("std".to_string(), contract)].into(),
            ..Fleet::default()
        }
    }

    fn t(id: u64, priority: &str, created: DateTime<Utc>, client: Option<&str>) -> Ticket {
        Ticket {
            id,
            project: "p".into(),
            client: client.map(String::from),
            title: format!("t{id}"),
            status: "New".into(),
            closed: false,
            priority: priority.into(),
            tracker: "Bug".into(),
            author: "client".into(),
            assignee: None,
            created,
            updated: created,
            spent: Duration::ZERO,
            first_time_entry: None,
            journals: vec![],
            url: None,
            intervention: None,
            journals_as_of: None,
        }
    }

    #[test]
    fn board_orders_by_urgency_and_counts_local_time() {
        // Monday 30 Nov 2026, 11:00 Paris.
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap();
        let h = |n: i64| now - chrono::Duration::hours(n);
        let mut spent = t(4, "normal", h(1), Some("coop"));
        spent.spent = Duration::from_secs(50 * 60);
        let tickets = vec![
            t(1, "normal", h(1), Some("coop")),
            t(2, "urgent", h(72), Some("coop")),
            t(3, "urgent", h(1), Some("coop")),
            spent,
            t(5, "urgent", h(1), None),
        ];
        let local = LocalTime {
            pending: vec![(4, Duration::from_secs(5 * 60))],
            timer: Some((4, now - chrono::Duration::minutes(6))),
        };
        let rows = board(&tickets, &fleet(), &ClockRules::default(), &local, now);
        let order: Vec<u64> = rows.iter().map(|r| r.ticket.id).collect();
        // 2 is breached; 3 due at 12:00; 1 due tomorrow 10:00; 4 stopped by
        // its timer; 5 has no client, so no contract clock.
        assert_eq!(order, vec![2, 3, 1, 4, 5]);
        assert!(rows[0].clock.is_breached());
        let four = &rows[3];
        assert_eq!(four.spent, Duration::from_secs(61 * 60));
        assert_eq!(four.billed, Duration::from_secs(75 * 60));
        assert_eq!(four.cost, Decimal::from(150));
        assert!(four.diagnosis_warning);
        assert_eq!(four.timer, Some(now - chrono::Duration::minutes(6)));
        assert!(matches!(four.clock, Clock::Stopped { met: true, .. }));
        assert_eq!(rows[4].clock, Clock::None);
        assert_eq!(rows[4].cost, Decimal::ZERO);
    }

    #[test]
    fn a_clock_history_may_still_settle_is_unread_and_read_first() {
        // Monday 30 Nov 2026, 11:00 Paris.
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap();
        let h = |n: i64| now - chrono::Duration::hours(n);
        let never_read = |mut t: Ticket, updated: DateTime<Utc>| {
            t.updated = updated;
            t.journals_as_of = Some(t.created);
            t
        };
        // 1: urgent, changed since opened, due at 12:00: may be running.
        // 2: urgent, changed, due three days ago: met or breached?
        // 3: urgent, changed, due two days ago.
        // 4: never changed since opened: no history to read, judged as is.
        // 5: changed, but its first time entry met the deadline.
        // 6: changed, its clock settled by an earlier read.
        // 7: changed, no client: no clock, so no need.
        // 8: history read whole.
        let mut five = never_read(t(5, "urgent", h(1), Some("coop")), h(0));
        five.first_time_entry = Some(h(1) + chrono::Duration::minutes(10));
        let mut six = never_read(t(6, "urgent", h(72), Some("coop")), h(0));
        six.intervention = Some(h(4));
        let tickets = vec![
            never_read(t(1, "urgent", h(1), Some("coop")), h(0)),
            never_read(t(2, "urgent", h(100), Some("coop")), h(1)),
            never_read(t(3, "urgent", h(72), Some("coop")), h(1)),
            never_read(t(4, "urgent", h(72), Some("coop")), h(72)),
            five,
            six,
            never_read(t(7, "urgent", h(1), None), h(0)),
            t(8, "urgent", h(2), Some("coop")),
        ];
        let rules = ClockRules::default();
        let rows = board(&tickets, &fleet(), &rules, &LocalTime::default(), now);
        let clock = |id: u64| rows.iter().find(|r| r.ticket.id == id).unwrap().clock;
        for id in [1, 2, 3] {
            assert!(matches!(clock(id), Clock::Unread { .. }), "{id}");
            assert!(!clock(id).is_breached());
        }
        assert!(matches!(clock(4), Clock::Breached { .. }));
        assert!(matches!(clock(5), Clock::Stopped { met: true, .. }));
        assert!(matches!(clock(6), Clock::Stopped { met: false, .. }));
        assert_eq!(clock(7), Clock::None);
        // On the board an unread clock waits among the running ones, by
        // deadline: 4 is breached; 2, 3, 8 and 1 are due Thursday, Friday,
        // now and at noon; 6 and 5 have stopped; 7 has no clock.
        let order: Vec<u64> = rows.iter().map(|r| r.ticket.id).collect();
        assert_eq!(order, vec![4, 2, 3, 8, 1, 6, 5, 7]);

        // Read first: the one that may be running, then those past due
        // (latest deadline first), then the never-read ones that only seem
        // settled, to confirm them.
        let order = histories_to_read(&tickets, &fleet(), &rules, now);
        assert_eq!(order, vec![1, 3, 2, 5, 4]);

        // Deadlines worked out beforehand give the same board.
        let known = deadlines(tickets.iter(), &fleet());
        assert_eq!(known.len(), 7, "all but the ticket without a client");
        let shared: Vec<std::sync::Arc<Ticket>> =
            tickets.iter().cloned().map(std::sync::Arc::new).collect();
        let local = LocalTime::default();
        let with = board_of(shared.iter(), &fleet(), &rules, &local, now, Some(&known));
        assert_eq!(with, rows);
    }
}

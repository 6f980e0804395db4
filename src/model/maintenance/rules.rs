//! `check_window`: every rule a proposed window breaks, in words.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};

use super::local::{self, at};
use super::{ClientRules, Kind, MaintenanceWindow, Proposal, WindowState, day_name, span_words};
use crate::model::{DayHours, TimeOfDay};

/// Which rule a window breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// It ends before it starts.
    Order,
    /// Longer than the policy allows for its kind.
    Duration,
    /// Not enough notice for its kind (or it starts in the past).
    Notice,
    /// A third major change in a year (DOMAIN: at most two).
    MajorLimit,
    /// A day that is forbidden or not among the allowed ones.
    Day,
    /// Before the earliest or after the latest hour.
    Hours,
    /// Within opening hours, or too close to them.
    Opening,
    /// During a closure the client announced.
    Closure,
}

/// One broken rule, for one client, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub client: String,
    pub rule: Rule,
    pub message: String,
}

/// What a window is judged against: the rules of every client it affects
/// (a window on a shared host must satisfy them all) and the windows
/// already planned, each with the clients it affects.
#[derive(Debug, Clone, Default)]
pub struct Scope<'a> {
    pub clients: Vec<&'a ClientRules>,
    pub existing: Vec<(&'a MaintenanceWindow, Vec<String>)>,
}

/// Every rule the proposal breaks, client by client, in the order of the
/// clients and of [`Rule`]. Empty means the window may be planned. `now`
/// is when the clients would be told.
pub fn check_window(scope: &Scope, p: Proposal, now: DateTime<Utc>) -> Vec<Breach> {
    let mut out = Vec::new();
    if p.end <= p.start {
        out.push(Breach {
            client: String::new(),
            rule: Rule::Order,
            message: "the window ends before it starts".into(),
        });
        return out;
    }
    for c in &scope.clients {
        check_client(scope, c, p, now, &mut out);
    }
    out
}

fn check_client(
    scope: &Scope,
    c: &ClientRules,
    p: Proposal,
    now: DateTime<Utc>,
    out: &mut Vec<Breach>,
) {
    let policy = &c.policy;
    let tz = c.timezone;
    let name = c.name.as_str();
    let mut breach = |rule: Rule, message: String| {
        out.push(Breach {
            client: c.client.clone(),
            rule,
            message,
        })
    };
    let length = p.end - p.start;
    if length > policy.max(p.kind) {
        breach(
            Rule::Duration,
            format!(
                "lasts {}, longer than the {} {name} allows for a {} window",
                span_words(length),
                span_words(policy.max(p.kind)),
                p.kind.label()
            ),
        );
    }
    let notice = policy.notice(p.kind);
    if p.start <= now {
        breach(Rule::Notice, "starts in the past".into());
    } else if p.start - now < notice {
        breach(
            Rule::Notice,
            format!(
                "{name} must be told {} before a {} window; it starts in {}",
                span_words(notice),
                p.kind.label(),
                span_words(p.start - now)
            ),
        );
    }
    if p.kind == Kind::Major {
        let year = local::local(tz, p.start).year();
        let count = scope
            .existing
            .iter()
            .filter(|(w, clients)| {
                w.kind == Kind::Major
                    && w.state != WindowState::Cancelled
                    && Some(w.uid.as_str()) != p.uid
                    && clients.contains(&c.client)
                    && local::local(tz, w.start).year() == year
            })
            .count() as u32;
        if count >= policy.major_per_year {
            breach(
                Rule::MajorLimit,
                format!(
                    "would be major change number {} of {year} for {name}, at most {} a year",
                    count + 1,
                    policy.major_per_year
                ),
            );
        }
    }
    if !in_recurring(c, p.start, p.end) {
        check_day_and_hours(c, p, &mut breach);
    }
    for o in &c.opening {
        let first = local::local(o.timezone, p.start).date() - TimeDelta::days(1);
        let last = local::local(o.timezone, p.end).date() + TimeDelta::days(1);
        for d in first.iter_days().take_while(|d| *d <= last) {
            let DayHours::Open { open, close } = o.hours.on(d.weekday()) else {
                continue;
            };
            let a = at(o.timezone, d, open) - policy.margin;
            let b = at(o.timezone, d, close) + policy.margin;
            if p.start < b && a < p.end {
                let margin = if policy.margin > TimeDelta::zero() {
                    format!(", kept free {} either side", span_words(policy.margin))
                } else {
                    String::new()
                };
                breach(
                    Rule::Opening,
                    format!(
                        "overlaps {}'s opening hours ({} {d} {open}-{close}{margin})",
                        o.label,
                        day_name(d.weekday())
                    ),
                );
            }
        }
    }
    for cl in &c.closures {
        let (a, b) = closure_span(c, cl.from, cl.to);
        if p.start < b && a < p.end {
            breach(
                Rule::Closure,
                format!(
                    "falls in {name}'s closure from {} to {} ({})",
                    cl.from, cl.to, cl.reason
                ),
            );
        }
    }
}

/// A closure's instants: local midnight of `from` to local midnight after `to`.
pub(crate) fn closure_span(
    c: &ClientRules,
    from: NaiveDate,
    to: NaiveDate,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let midnight = TimeOfDay { minutes: 0 };
    (
        at(c.timezone, from, midnight),
        at(c.timezone, to, TimeOfDay { minutes: 24 * 60 }),
    )
}

/// The span a window starting on the night of `day` must stay in: from
/// `earliest` to `latest`, past midnight when `latest <= earliest`.
pub(crate) fn night_span(c: &ClientRules, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let p = &c.policy;
    let start = at(c.timezone, day, p.earliest);
    let end = if p.latest <= p.earliest {
        at(c.timezone, day + TimeDelta::days(1), p.latest)
    } else {
        at(c.timezone, day, p.latest)
    };
    (start, end)
}

/// The day whose night a start belongs to: before `latest` on a span past
/// midnight, the day before.
fn night_of(c: &ClientRules, start: DateTime<Utc>) -> NaiveDate {
    let p = &c.policy;
    let l = local::local(c.timezone, start);
    let minutes = local::minutes_of_day(c.timezone, start);
    if p.latest <= p.earliest && minutes < p.latest.minutes {
        l.date() - TimeDelta::days(1)
    } else {
        l.date()
    }
}

fn check_day_and_hours(c: &ClientRules, p: Proposal, breach: &mut impl FnMut(Rule, String)) {
    let policy = &c.policy;
    let name = c.name.as_str();
    let night = night_of(c, p.start);
    let day = night.weekday();
    if policy.forbidden_days.contains(&day) {
        breach(
            Rule::Day,
            format!("{} is a forbidden day for {name}", day_name(day)),
        );
    } else if !policy.allowed_days.contains(&day) {
        let allowed: Vec<&str> = policy.allowed_days.iter().map(|d| day_name(*d)).collect();
        breach(
            Rule::Day,
            format!(
                "{} is not one of {name}'s maintenance days ({})",
                day_name(day),
                allowed.join(", ")
            ),
        );
    }
    let first = local::local(c.timezone, p.start).date();
    let last = local::local(c.timezone, p.end - TimeDelta::milliseconds(1)).date();
    for d in first.iter_days().take_while(|d| *d <= last) {
        if d != night && policy.forbidden_days.contains(&d.weekday()) {
            breach(
                Rule::Day,
                format!(
                    "runs into {} {d}, a forbidden day for {name}",
                    day_name(d.weekday())
                ),
            );
        }
    }
    let (a, b) = night_span(c, night);
    if p.start < a {
        breach(
            Rule::Hours,
            format!(
                "starts at {}, before {}, the earliest {name} allows",
                local::local(c.timezone, p.start).format("%H:%M"),
                policy.earliest
            ),
        );
    }
    if p.end > b {
        breach(
            Rule::Hours,
            format!(
                "ends at {}, after {}, the latest {name} allows",
                local::local(c.timezone, p.end).format("%H:%M"),
                policy.latest
            ),
        );
    }
}

/// Whether [start, end) lies inside one occurrence of an agreed recurring
/// window.
pub(crate) fn in_recurring(c: &ClientRules, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    let from = local::local(c.timezone, start) - TimeDelta::days(2);
    let to = local::local(c.timezone, end) + TimeDelta::days(1);
    c.policy.recurring.iter().any(|r| {
        r.rule
            .occurrences(r.dtstart, to, c.timezone)
            .into_iter()
            .filter(|o| *o >= from)
            .any(|o| {
                let a = local::read(c.timezone, o).instant();
                a <= start && end <= a + r.duration
            })
    })
}

//! `next_slots`: the next windows every affected client accepts, best
//! first (DOMAIN: ideally Wednesday, then as early as possible).

use chrono::{DateTime, Datelike, TimeDelta, Utc};

use super::local::{self, at};
use super::rules::{Scope, check_window, closure_span, night_span};
use super::{ClientRules, Kind, Proposal};
use crate::model::{DayHours, TimeOfDay};

/// A window the slot finder offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// On a preferred day of every client.
    pub preferred: bool,
}

/// [start, end) and whether it lies on a preferred day.
type Span = (DateTime<Utc>, DateTime<Utc>, bool);

/// Slots start on a quarter hour.
const STEP_SECONDS: i64 = 15 * 60;

/// The next `n` windows of `duration` after `after` (and after every
/// client's notice for `kind`, counted from `now`) that break no rule of
/// any client in `scope`, searched over `horizon`; the `n` found first are
/// returned preferred days first, then earliest (an emergency's: earliest
/// only). One slot per free span:
/// the earliest start in it.
pub fn next_slots(
    scope: &Scope,
    now: DateTime<Utc>,
    after: DateTime<Utc>,
    duration: TimeDelta,
    kind: Kind,
    n: usize,
    horizon: TimeDelta,
) -> Vec<Slot> {
    if scope.clients.is_empty() || n == 0 || duration <= TimeDelta::zero() {
        return Vec::new();
    }
    let notice = scope
        .clients
        .iter()
        .map(|c| c.policy.notice(kind))
        .max()
        .unwrap_or_default();
    let from = ceil_step(after.max(now + notice));
    let to = from + horizon;
    let mut free: Option<Vec<Span>> = None;
    for c in &scope.clients {
        let mine = allowed(c, from, to);
        free = Some(match free {
            None => mine,
            Some(f) => intersect(&f, &mine),
        });
    }
    let mut out = Vec::new();
    for (a, b, preferred) in free.unwrap_or_default() {
        let start = ceil_step(a.max(from));
        let end = start + duration;
        if end > b {
            continue;
        }
        let p = Proposal {
            start,
            end,
            kind,
            uid: None,
        };
        // The spans already follow the rules; this catches what they cannot
        // (the yearly count of major changes, the maximum duration).
        if check_window(scope, p, now).is_empty() {
            out.push(Slot {
                start,
                end,
                preferred,
            });
            if out.len() == n {
                break;
            }
        }
    }
    // An emergency is the soonest allowed slot: a preferred day later is
    // no reason to wait. Planned work goes to a preferred day first.
    if kind != Kind::Emergency {
        out.sort_by_key(|s| (!s.preferred, s.start));
    }
    out
}

fn ceil_step(t: DateTime<Utc>) -> DateTime<Utc> {
    let s = t.timestamp();
    let rounded = if s.rem_euclid(STEP_SECONDS) == 0 && t.timestamp_subsec_nanos() == 0 {
        s
    } else {
        s - s.rem_euclid(STEP_SECONDS) + STEP_SECONDS
    };
    DateTime::from_timestamp(rounded, 0).unwrap_or(t)
}

/// The time in [from, to) one client accepts a window in, sorted and
/// disjoint.
fn allowed(c: &ClientRules, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Span> {
    let p = &c.policy;
    let tz = c.timezone;
    let first = local::local(tz, from).date() - TimeDelta::days(1);
    let last = local::local(tz, to).date() + TimeDelta::days(1);
    let days: Vec<_> = first.iter_days().take_while(|d| *d <= last).collect();
    let mut spans: Vec<Span> = days
        .iter()
        .filter(|d| p.allows(d.weekday()))
        .map(|d| {
            let (a, b) = night_span(c, *d);
            (a, b, p.preferred_days.contains(&d.weekday()))
        })
        .collect();
    let midnight = TimeOfDay { minutes: 0 };
    let end_of_day = TimeOfDay { minutes: 24 * 60 };
    let forbidden: Vec<(DateTime<Utc>, DateTime<Utc>)> = days
        .iter()
        .filter(|d| p.forbidden_days.contains(&d.weekday()))
        .map(|d| (at(tz, *d, midnight), at(tz, *d, end_of_day)))
        .collect();
    spans = subtract(&spans, forbidden);
    if !p.recurring.is_empty() {
        let (lf, lt) = (
            local::local(tz, from) - TimeDelta::days(2),
            local::local(tz, to) + TimeDelta::days(1),
        );
        let occurrences: Vec<(DateTime<Utc>, DateTime<Utc>)> = p
            .recurring
            .iter()
            .flat_map(|r| {
                r.rule
                    .occurrences(r.dtstart, lt, tz)
                    .into_iter()
                    .filter(move |o| *o >= lf)
                    .map(move |o| {
                        let a = local::read(tz, o).instant();
                        (a, a + r.duration)
                    })
            })
            .collect();
        spans = subtract(&spans, occurrences.clone());
        spans.extend(occurrences.into_iter().map(|(a, b)| (a, b, false)));
        spans.sort_by_key(|s| s.0);
    }
    let mut blocked: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for o in &c.opening {
        let first = local::local(o.timezone, from).date() - TimeDelta::days(1);
        let last = local::local(o.timezone, to).date() + TimeDelta::days(1);
        for d in first.iter_days().take_while(|d| *d <= last) {
            if let DayHours::Open { open, close } = o.hours.on(d.weekday()) {
                blocked.push((
                    at(o.timezone, d, open) - p.margin,
                    at(o.timezone, d, close) + p.margin,
                ));
            }
        }
    }
    for cl in &c.closures {
        blocked.push(closure_span(c, cl.from, cl.to));
    }
    subtract(&spans, blocked)
        .into_iter()
        .filter_map(|(a, b, pref)| {
            let (a, b) = (a.max(from), b.min(to));
            (a < b).then_some((a, b, pref))
        })
        .collect()
}

/// `spans` (sorted, disjoint) less every interval of `cut`.
fn subtract(spans: &[Span], mut cut: Vec<(DateTime<Utc>, DateTime<Utc>)>) -> Vec<Span> {
    cut.sort();
    let mut out = Vec::with_capacity(spans.len());
    for &(a, b, pref) in spans {
        let mut start = a;
        for &(ca, cb) in cut.iter().skip_while(|(_, cb)| *cb <= a) {
            if ca >= b {
                break;
            }
            if ca > start {
                out.push((start, ca, pref));
            }
            start = start.max(cb);
            if start >= b {
                break;
            }
        }
        if start < b {
            out.push((start, b, pref));
        }
    }
    out
}

/// The time in both lists (each sorted and disjoint); preferred only where
/// both are.
fn intersect(x: &[Span], y: &[Span]) -> Vec<Span> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < x.len() && j < y.len() {
        let (a, b) = (x[i].0.max(y[j].0), x[i].1.min(y[j].1));
        if a < b {
            out.push((a, b, x[i].2 && y[j].2));
        }
        if x[i].1 < y[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

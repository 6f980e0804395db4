//! `[maintenance]` (the fleet's policy) and `[clients.<id>.maintenance]`
//! (a client's overrides, opening hours, closures and agreed recurring
//! windows).

use chrono::{NaiveDate, NaiveDateTime, TimeDelta, Weekday};
use toml::Spanned;

use super::Validator;
use super::client::opening_hours;
use crate::config::raw::{RawMaintenance, RawOpeningHours};
use crate::config::values::{DurationValue, WeekdayValue};
use crate::model::maintenance::{
    ClientRules, Closure, Opening, Policy, RRule, Recurring, day_name,
};
use crate::model::{Client, DayHours};

fn delta(d: &Spanned<DurationValue>) -> TimeDelta {
    TimeDelta::from_std(d.get_ref().0).unwrap_or(TimeDelta::MAX)
}

fn days(list: &Spanned<Vec<Spanned<WeekdayValue>>>) -> Vec<Weekday> {
    list.get_ref().iter().map(|d| d.get_ref().0).collect()
}

/// `base` with the keys `raw` gives, checked together.
fn policy(v: &mut Validator, base: &Policy, raw: &RawMaintenance) -> Policy {
    let mut p = base.clone();
    for (given, slot) in [
        (&raw.allowed_days, &mut p.allowed_days),
        (&raw.preferred_days, &mut p.preferred_days),
        (&raw.forbidden_days, &mut p.forbidden_days),
    ] {
        if let Some(list) = given {
            *slot = days(list);
        }
    }
    for (given, slot) in [
        (&raw.margin, &mut p.margin),
        (&raw.max_duration, &mut p.max_duration),
        (&raw.major_max_duration, &mut p.major_max_duration),
        (&raw.notice.standard, &mut p.notice_standard),
        (&raw.notice.emergency, &mut p.notice_emergency),
        (&raw.notice.major, &mut p.notice_major),
    ] {
        if let Some(d) = given {
            *slot = delta(d);
        }
    }
    if let Some(t) = &raw.earliest {
        p.earliest = t.get_ref().0;
    }
    if let Some(t) = &raw.latest {
        p.latest = t.get_ref().0;
    }
    if let Some(n) = &raw.major_per_year {
        p.major_per_year = *n.get_ref();
    }
    let span_of = |x: &Option<Spanned<Vec<Spanned<WeekdayValue>>>>| x.as_ref().map(Spanned::span);
    let days_span = span_of(&raw.allowed_days)
        .or(span_of(&raw.forbidden_days))
        .or(span_of(&raw.preferred_days));
    if let Some(span) = days_span {
        if p.allowed_days.is_empty() {
            v.error(
                span.clone(),
                "no allowed day, expected at least one of mon..sun",
            );
        }
        for d in &p.allowed_days {
            if p.forbidden_days.contains(d) {
                v.error(
                    span.clone(),
                    format!(
                        "{} is both allowed and forbidden, expected one or the other",
                        day_name(*d)
                    ),
                );
            }
        }
        for d in &p.preferred_days {
            if !p.allowed_days.contains(d) || p.forbidden_days.contains(d) {
                v.error(
                    span.clone(),
                    format!(
                        "preferred day {} is not an allowed day, expected one of allowed_days",
                        day_name(*d)
                    ),
                );
            }
        }
    }
    for d in [&raw.max_duration, &raw.major_max_duration]
        .into_iter()
        .flatten()
    {
        if d.get_ref().0.is_zero() {
            v.error(
                d.span(),
                "a maximum duration of 0s allows no window, expected more",
            );
        }
    }
    p
}

/// The fleet-wide policy, `[maintenance]`.
pub(super) fn fleet_policy(v: &mut Validator, raw: &RawMaintenance) -> Policy {
    for span in [
        raw.hours.as_ref().map(Spanned::span),
        raw.closures.as_ref().map(Spanned::span),
        raw.recurring.as_ref().map(Spanned::span),
    ]
    .into_iter()
    .flatten()
    {
        v.error(
            span,
            "opening hours, closures and recurring windows belong to a client, expected them in [clients.<id>.maintenance]",
        );
    }
    policy(v, &Policy::default(), raw)
}

fn date(v: &mut Validator, s: &Spanned<String>) -> Option<NaiveDate> {
    let d = NaiveDate::parse_from_str(s.get_ref(), "%Y-%m-%d").ok();
    if d.is_none() {
        v.error(
            s.span(),
            format!("invalid date '{}', expected YYYY-MM-DD", s.get_ref()),
        );
    }
    d
}

/// A client's rules: its sites' opening hours (and `hours` for a client
/// without sites), closures, and the fleet's policy with its overrides.
pub(super) fn client_rules(
    v: &mut Validator,
    base: &Policy,
    client: &Client,
    raw: &RawMaintenance,
) -> ClientRules {
    let mut policy = policy(v, base, raw);
    let mut opening: Vec<Opening> = client
        .sites
        .iter()
        .map(|s| Opening {
            label: s.name.clone(),
            timezone: s.timezone,
            hours: s.hours.clone(),
        })
        .collect();
    if let Some(h) = &raw.hours {
        let hours = opening_hours(h.get_ref() as &RawOpeningHours);
        if hours.days.iter().all(|d| *d == DayHours::Closed) {
            v.error(
                h.span(),
                "every day is closed, expected the days the client is open (or no hours key)",
            );
        }
        opening.push(Opening {
            label: client.name.clone(),
            timezone: client.timezone,
            hours,
        });
    }
    let mut closures = Vec::new();
    for c in raw.closures.iter().flat_map(|c| c.get_ref()) {
        let (Some(from), Some(to)) = (date(v, &c.from), date(v, &c.to)) else {
            continue;
        };
        if to < from {
            v.error(
                c.to.span(),
                format!("closure ends {to} before it starts {from}, expected to >= from"),
            );
            continue;
        }
        closures.push(Closure {
            from,
            to,
            reason: c.reason.clone(),
        });
    }
    for r in raw.recurring.iter().flat_map(|r| r.get_ref()) {
        let rule = match RRule::parse(r.rule.get_ref()) {
            Ok(rule) => rule,
            Err(e) => {
                v.error(r.rule.span(), format!("invalid recurrence rule: {e}"));
                continue;
            }
        };
        let Ok(dtstart) = NaiveDateTime::parse_from_str(r.start.get_ref(), "%Y-%m-%d %H:%M") else {
            v.error(
                r.start.span(),
                format!(
                    "invalid start '{}', expected the first occurrence as \"YYYY-MM-DD HH:MM\" (local time)",
                    r.start.get_ref()
                ),
            );
            continue;
        };
        if r.duration.get_ref().0.is_zero() {
            v.error(
                r.duration.span(),
                "a recurring window of 0s, expected a duration",
            );
            continue;
        }
        policy.recurring.push(Recurring {
            rule,
            dtstart,
            duration: delta(&r.duration),
        });
    }
    ClientRules {
        client: client.id.clone(),
        name: client.name.clone(),
        timezone: client.timezone,
        opening,
        closures,
        policy,
    }
}

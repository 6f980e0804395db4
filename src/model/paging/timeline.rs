//! The repeat and escalation timeline: which pages to send now, as a pure
//! function of the open alerts (with their acknowledgements and silences),
//! what was already sent, the routes, the rota and the time.
//!
//! Rules (issue "Wake the right person"):
//! - A new alert is paged (`firing`) to its route's receivers once it has
//!   been seen for the merge window since its first sighting, so what
//!   changes within the window goes out as one message per receiver, and
//!   what clears within it sends nothing.
//! - An unacknowledged critical is sent again (`repeat`) every
//!   `repeat_every` to everyone told so far; after `escalate_after` from
//!   its first page it also goes to the next person of the rota, and after
//!   twice that to the whole team (`escalated`).
//! - An acknowledgement or a silence stops sending (the alert is still
//!   recorded); warnings wait for support hours when routes say so.
//! - A resolved alert sends one `resolved` to every receiver it reached.
//!   Its next return is a new episode.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::rota::Rota;
use super::route::{Routing, Target, environments};
use crate::alerts::page::PageKind;
use crate::model::Fleet;
use crate::model::attention::{Open, Severity};

/// One page decided earlier, as the store keeps it (whether or not it was
/// delivered yet: the queue delivers what was decided).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub alert: String,
    pub receiver: String,
    pub kind: PageKind,
    pub at: DateTime<Utc>,
    /// 0: the route's receivers; 1: escalated to the next person; 2: to
    /// the whole team.
    pub step: u8,
}

/// `[alerts]` repeat and escalation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub repeat_every: Duration,
    pub escalate_after: Duration,
    pub merge_window: Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            repeat_every: Duration::from_secs(15 * 60),
            escalate_after: Duration::from_secs(30 * 60),
            merge_window: Duration::from_secs(30),
        }
    }
}

/// One page to queue: to one receiver, about one or more alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub receiver: String,
    pub kind: PageKind,
    /// Alert ids, in the open list's order.
    pub alerts: Vec<String>,
    /// The rota member this page reaches, when it reaches one.
    pub to: Option<String>,
    pub step: u8,
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// Receivers for targets at `now`, each with the member it reaches.
fn receivers(
    targets: &[Target],
    rota: Option<&Rota>,
    now: DateTime<Utc>,
) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let mut push = |name: &str, to: Option<String>| {
        if !out.iter().any(|(r, _)| r == name) {
            out.push((name.to_string(), to));
        }
    };
    for t in targets {
        match t {
            Target::Receiver(r) => push(r, None),
            Target::OnCall => {
                let Some(rota) = rota else { continue };
                if let Some(s) = rota.on_call(now) {
                    let m = &rota.members[s.member];
                    for r in &m.receivers {
                        push(r, Some(m.name.clone()));
                    }
                }
            }
        }
    }
    out
}

/// The pages to queue at `now`.
pub fn plan(
    fleet: &Fleet,
    open: &[Open],
    sent: &[Sent],
    routing: &Routing,
    rota: Option<&Rota>,
    timing: &Timing,
    now: DateTime<Utc>,
) -> Vec<Planned> {
    // Each alert's current episode: what was sent since its last resolved.
    let mut episodes: BTreeMap<&str, Vec<&Sent>> = BTreeMap::new();
    let mut ordered: Vec<&Sent> = sent.iter().collect();
    ordered.sort_by_key(|s| s.at);
    for s in ordered {
        let e = episodes.entry(s.alert.as_str()).or_default();
        if s.kind == PageKind::Resolved {
            e.clear();
        } else {
            e.push(s);
        }
    }
    let tz = rota.map_or(chrono_tz::UTC, |r| r.timezone);
    // (receiver, kind, to, step) -> alert ids
    let mut out: BTreeMap<(String, PageKind, Option<String>, u8), Vec<String>> = BTreeMap::new();
    let mut add = |receiver: &str, kind: PageKind, to: Option<String>, step: u8, id: &str| {
        let ids = out
            .entry((receiver.to_string(), kind, to, step))
            .or_default();
        if !ids.iter().any(|i| i == id) {
            ids.push(id.to_string());
        }
    };
    let mut open_ids = BTreeSet::new();
    for o in open {
        let a = &o.alert;
        open_ids.insert(a.id.as_str());
        if !o.unattended() || !routing.may_page(a.severity, now, tz) {
            continue;
        }
        let targets = routing.targets(a, &environments(fleet, a));
        let base = receivers(&targets, rota, now);
        let episode = episodes
            .get(a.id.as_str())
            .map_or(&[][..], |e| e.as_slice());
        if episode.is_empty() {
            if now - a.since < delta(timing.merge_window) {
                continue;
            }
            for (r, to) in base {
                add(&r, PageKind::Firing, to, 0, &a.id);
            }
            continue;
        }
        if a.severity != Severity::Critical {
            continue;
        }
        let first = episode.iter().map(|s| s.at).min().unwrap_or(now);
        let last = episode.iter().map(|s| s.at).max().unwrap_or(now);
        let step = episode.iter().map(|s| s.step).max().unwrap_or(0);
        let mut escalated: Vec<(String, Option<String>)> = Vec::new();
        let mut next_step = step;
        if let Some(rota) = rota.filter(|_| targets.contains(&Target::OnCall)) {
            let after = delta(timing.escalate_after);
            let on_call = rota.on_call(now).map(|s| s.member);
            if step == 0 && now - first >= after {
                if let Some(m) = on_call.and_then(|m| rota.after(m)) {
                    let m = &rota.members[m];
                    escalated.extend(
                        m.receivers
                            .iter()
                            .map(|r| (r.clone(), Some(m.name.clone()))),
                    );
                }
                next_step = 1;
            } else if step == 1 && now - first >= after + after {
                for m in &rota.members {
                    escalated.extend(
                        m.receivers
                            .iter()
                            .map(|r| (r.clone(), Some(m.name.clone()))),
                    );
                }
                next_step = 2;
            }
        }
        let told: BTreeSet<&str> = episode.iter().map(|s| s.receiver.as_str()).collect();
        let escalated_to: BTreeSet<String> = escalated
            .iter()
            .filter(|(r, _)| !told.contains(r.as_str()))
            .map(|(r, _)| r.clone())
            .collect();
        for (r, to) in escalated {
            if escalated_to.contains(&r) {
                add(&r, PageKind::Escalated, to, next_step, &a.id);
            }
        }
        if now - last >= delta(timing.repeat_every) {
            let mut again: Vec<(String, Option<String>)> = base;
            for r in &told {
                if !again.iter().any(|(x, _)| x == r) {
                    again.push((r.to_string(), None));
                }
            }
            for (r, to) in again {
                if !escalated_to.contains(&r) {
                    add(&r, PageKind::Repeat, to, step, &a.id);
                }
            }
        }
    }
    for (id, episode) in &episodes {
        if episode.is_empty() || open_ids.contains(id) {
            continue;
        }
        let told: BTreeSet<&str> = episode.iter().map(|s| s.receiver.as_str()).collect();
        for r in told {
            add(r, PageKind::Resolved, None, 0, id);
        }
    }
    out.into_iter()
        .map(|((receiver, kind, to, step), alerts)| Planned {
            receiver,
            kind,
            alerts,
            to,
            step,
        })
        .collect()
}

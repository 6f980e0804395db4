//! Each domain's verdicts said as alerts. Nothing here judges: the rules
//! are the domains' own (the check tracker's states, the store verdict's
//! alerts, the backup evaluation, the ticket clocks and quota, the
//! maintenance rules, the usage quotas); this only names, words and
//! points.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::{Alert, CheckState, Domain, Points, SelfState, Settings, Severity, Subject, View};
use crate::model::backup::Overview;
use crate::model::maintenance::{
    MaintenanceWindow, Proposal, Target, WindowState, check_window, fleet as mfleet, span_words,
};
use crate::model::pos::StoreView;
use crate::model::tickets::{BoardRow, Clock, Quota};
use crate::model::usage::{Meter, NearQuota};
use crate::model::{Check, Fleet, Status};
use crate::sanitize;

fn delta(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// Checks: down is critical, degraded a warning, flapping a warning, and a
/// check whose probes fail before the tracker confirms it down (still up)
/// a warning. Maintenance raises nothing: announced work is excused, and
/// nor does unknown: a failure while Vigie's own network looks cut says
/// nothing about the check (README: unknown never alerts). A check the fleet no longer has is left out.
pub fn check_alerts(fleet: &Fleet, checks: &[CheckState], out: &mut Vec<Alert>) {
    if checks.is_empty() {
        return;
    }
    // A mutualised host concerns each of its clients.
    let mut clients_of: HashMap<&str, Vec<String>> = HashMap::new();
    for c in &fleet.clients {
        for e in &c.environments {
            for h in &e.hosts {
                let v = clients_of.entry(h.as_str()).or_default();
                if !v.contains(&c.id) {
                    v.push(c.id.clone());
                }
            }
        }
    }
    let names: HashMap<&str, (&str, &Check)> = fleet
        .checks()
        .map(|(h, c)| (c.id.as_str(), (h.name.as_str(), c)))
        .collect();
    for s in checks {
        let Some(&(host, check)) = names.get(s.id) else {
            continue;
        };
        let failing = matches!(s.observed, Status::Down | Status::Degraded);
        let (severity, what) = match s.status {
            Status::Down => (Severity::Critical, "down"),
            Status::Degraded => (Severity::Warning, "degraded"),
            Status::Maintenance => continue,
            _ if s.flapping => (Severity::Warning, "flapping"),
            // Judged unknown (Vigie's own network looks cut): no alert.
            Status::Up if failing => (Severity::Warning, "failing, not confirmed yet"),
            _ => continue,
        };
        let what = if s.flapping && severity == Severity::Critical {
            "down, flapping"
        } else {
            what
        };
        let message = sanitize::clean_short(s.message, 80);
        out.push(Alert {
            id: format!("checks:{}", s.id),
            domain: Domain::Checks,
            severity,
            subject: Subject {
                clients: clients_of
                    .get(host)
                    .map(|cs| cs.iter().filter(|c| check.serves(c)).cloned().collect())
                    .unwrap_or_default(),
                host: Some(host.to_string()),
                item: check.name.clone(),
            },
            since: s.since,
            reason: if message.is_empty() {
                what.to_string()
            } else {
                format!("{what}: {message}")
            },
            points: Points {
                view: View::Health,
                row: host.to_string(),
            },
        });
    }
}

/// Point of sale: each store's alerts as its verdict raised them (after
/// their minimum duration, repeats merged), with the store's severity.
pub fn store_alerts(stores: &[&StoreView], out: &mut Vec<Alert>) {
    for v in stores {
        for a in &v.alerts {
            let Some(severity) = Severity::of_status(a.severity) else {
                continue;
            };
            let message = sanitize::clean_short(&a.message, 80);
            let reason = if a.occurrences > 1 {
                format!("{message} ({} times)", a.occurrences)
            } else {
                message
            };
            out.push(Alert {
                id: format!("pos:{}/{}/{}", v.client, v.site, a.key),
                domain: Domain::Pos,
                severity,
                subject: Subject {
                    clients: vec![v.client.clone()],
                    host: None,
                    item: sanitize::clean(&v.name),
                },
                since: a.since,
                reason,
                points: Points {
                    view: View::Pos,
                    row: format!("{}/{}", v.client, v.site),
                },
            });
        }
    }
}

/// Backups: each source the evaluation judged down (error, failed run, day
/// missing, RPO broken) or degraded (suspect point, retention short), with
/// its verdict. Since: when the RPO broke (newest point + RPO) if that is
/// what is wrong, else `now` (the store's lifecycle keeps the first time).
/// What is wrong with a backup source, first: a verdict that begins with
/// "RPO ok" (the pane's line) would hide the broken rule behind it once cut
/// to a header's width.
fn backup_reason(verdict: &str, eval: &crate::model::backup::SourceEval) -> String {
    if !verdict.starts_with("RPO ok") {
        return verdict.to_string();
    }
    let mut wrong = Vec::new();
    if eval.present < eval.required {
        let missing = eval.required - eval.present;
        wrong.push(format!(
            "{missing} day{} without a restore point ({}/{})",
            if missing == 1 { "" } else { "s" },
            eval.present,
            eval.required
        ));
    }
    if eval.suspects > 0 {
        wrong.push(format!(
            "{} suspect point{}",
            eval.suspects,
            if eval.suspects == 1 { "" } else { "s" }
        ));
    }
    if eval.last_run_failed {
        wrong.push("last run failed".to_string());
    }
    if wrong.is_empty() {
        return verdict.to_string();
    }
    format!("{} · {verdict}", wrong.join(", "))
}

pub fn backup_alerts(fleet: &Fleet, o: &Overview, now: DateTime<Utc>, out: &mut Vec<Alert>) {
    for row in &o.sources {
        let Some(severity) = Severity::of_status(row.judged.status) else {
            continue;
        };
        let Some(src) = fleet.backups.get(row.index) else {
            continue;
        };
        let eval = &row.judged.eval;
        let since = match eval.newest {
            Some(newest) if !eval.rpo_ok => (newest + delta(src.policy.rpo)).min(now),
            _ => now,
        };
        out.push(Alert {
            id: format!("backups:{}", src.id),
            domain: Domain::Backups,
            severity,
            subject: Subject {
                clients: vec![src.client.clone()],
                host: None,
                item: sanitize::clean(&src.name),
            },
            since,
            reason: sanitize::clean_short(&backup_reason(&row.judged.verdict, eval), 80),
            points: Points {
                view: View::Backups,
                row: src.id.clone(),
            },
        });
    }
}

/// Tickets: an intervention or restoration deadline passed with the clock
/// running is critical; a running intervention clock due within the lead
/// (wall-clock time, not support time), or a diagnosis past its threshold (the
/// client must be told), a warning. A client at 80 % of its yearly calls is
/// a warning. A clock stopped late is history, not something to do now.
pub fn ticket_alerts(
    rows: &[BoardRow],
    calls: &[(&str, Quota)],
    settings: &Settings,
    now: DateTime<Utc>,
    out: &mut Vec<Alert>,
) {
    for r in rows {
        let t = &r.ticket;
        if t.closed {
            continue;
        }
        let judged = match (r.clock, r.restoration) {
            (Clock::Breached { due, over }, _) => Some((
                Severity::Critical,
                due,
                format!(
                    "intervention deadline passed {} ago, nobody started",
                    span_words(delta(over))
                ),
            )),
            (_, Clock::Breached { due, over }) => Some((
                Severity::Critical,
                due,
                format!(
                    "restoration deadline passed {} ago",
                    span_words(delta(over))
                ),
            )),
            // Wall-clock time to the due moment decides (DOMAIN: "due
            // tomorrow 09:25" is what matters at 3 a.m.); the support time
            // left is said beside it.
            (Clock::Running { due, left, .. }, _) if due - now < delta(settings.ticket_lead) => {
                Some((
                    Severity::Warning,
                    t.created,
                    format!(
                        "due in {}, {} of support time left to start",
                        span_words(due - now),
                        span_words(delta(left))
                    ),
                ))
            }
            _ if r.diagnosis_warning => Some((
                Severity::Warning,
                t.created,
                format!(
                    "diagnosis past its threshold ({} spent): tell the client",
                    span_words(delta(r.spent))
                ),
            )),
            _ => None,
        };
        let Some((severity, since, reason)) = judged else {
            continue;
        };
        out.push(Alert {
            id: format!("tickets:{}", t.id),
            domain: Domain::Tickets,
            severity,
            subject: Subject {
                clients: t.client.iter().cloned().collect(),
                host: None,
                item: format!("#{} {}", t.id, sanitize::clean_short(&t.title, 40)),
            },
            since: since.min(now),
            reason,
            points: Points {
                view: View::Tickets,
                row: t.id.to_string(),
            },
        });
    }
    for (client, q) in calls {
        if !q.warning() {
            continue;
        }
        let reason = if q.exceeded() {
            format!(
                "yearly call quota exceeded: {} of {} calls",
                q.used, q.allowed
            )
        } else {
            format!("{} of {} yearly support calls used", q.used, q.allowed)
        };
        out.push(Alert {
            id: format!("tickets:calls:{client}"),
            domain: Domain::Tickets,
            severity: Severity::Warning,
            subject: Subject {
                clients: vec![client.to_string()],
                host: None,
                item: "yearly calls".into(),
            },
            since: now,
            reason,
            points: Points {
                view: View::Tickets,
                row: client.to_string(),
            },
        });
    }
}

/// Maintenance: a window to come that breaks its clients' rules (judged by
/// `check_window` as of when it was announced, or now while only planned:
/// so a planned window whose notice can no longer be given is one), and a
/// window running without having been announced (its time is not excused).
pub fn maintenance_alerts(
    fleet: &Fleet,
    windows: &[MaintenanceWindow],
    checks: &[CheckState],
    now: DateTime<Utc>,
    out: &mut Vec<Alert>,
) {
    // The windows every rule check compares with, and their clients, made
    // once for the whole list (per window it made the list quadratic in
    // windows times clients); each window's own clients are set in turn.
    let mut scope = mfleet::scope(fleet, &Target::Client(String::new()), windows);
    for w in windows {
        let (severity, since, reason) = match w.state_at(now) {
            WindowState::Done if w.state != WindowState::Done => {
                let Some(reason) = overrun(fleet, w, checks, now) else {
                    continue;
                };
                (Severity::Warning, w.end, reason)
            }
            WindowState::Planned | WindowState::Announced => {
                scope.clients = mfleet::affected_clients(fleet, &w.target)
                    .into_iter()
                    .map(|c| &c.maintenance)
                    .collect();
                let proposal = Proposal {
                    start: w.start,
                    end: w.end,
                    kind: w.kind,
                    uid: Some(&w.uid),
                };
                let breaches = check_window(&scope, proposal, w.announced.unwrap_or(now));
                let Some(first) = breaches.first() else {
                    continue;
                };
                let more = match breaches.len() {
                    1 => String::new(),
                    n => format!(" (+{} more)", n - 1),
                };
                let since = w.announced.unwrap_or(w.stamp).min(now);
                (Severity::Warning, since, format!("{}{more}", first.message))
            }
            WindowState::InProgress if !w.excuses() => (
                Severity::Warning,
                w.start,
                "running without notice: its time counts against availability".to_string(),
            ),
            _ => continue,
        };
        let clients = mfleet::affected_clients(fleet, &w.target)
            .into_iter()
            .map(|c| c.id.clone())
            .collect();
        let host = match &w.target {
            Target::Host(h) => Some(h.clone()),
            Target::Client(_) => None,
        };
        out.push(Alert {
            id: format!("maintenance:{}", w.uid),
            domain: Domain::Maintenance,
            severity,
            subject: Subject {
                clients,
                host,
                item: sanitize::clean_short(&w.title, 40),
            },
            since,
            reason: sanitize::clean_short(&reason, 100),
            points: Points {
                view: View::Maintenance,
                row: w.uid.clone(),
            },
        });
    }
}

/// How long after a window's end a check it covers may take to come back
/// (a probe or two) before the window counts as running past its end.
pub const OVERRUN_GRACE: TimeDelta = TimeDelta::minutes(15);

/// Windows that ended longer ago than this are history, whatever their
/// checks say now (their checks' own alerts remain).
pub const OVERRUN_LOOKBACK: TimeDelta = TimeDelta::hours(24);

/// An announced window still running past its end: it ended (by the
/// calendar) less than [`OVERRUN_LOOKBACK`] ago, and a check it covers
/// went down or degraded during the work (or within [`OVERRUN_GRACE`] of
/// its end) and is not back. Its downtime past the end is no longer
/// excused (DOMAIN: only announced maintenance is excluded), so the client
/// may have to be told. The reason names the first such check.
fn overrun(
    fleet: &Fleet,
    w: &MaintenanceWindow,
    checks: &[CheckState],
    now: DateTime<Utc>,
) -> Option<String> {
    if !w.excuses() || now - w.end > OVERRUN_LOOKBACK {
        return None;
    }
    let mut still: Vec<&CheckState> = checks
        .iter()
        .filter(|c| matches!(c.status, Status::Down | Status::Degraded))
        .filter(|c| c.since >= w.start && c.since <= w.end + OVERRUN_GRACE)
        .filter(|c| {
            c.id.split_once('/')
                .is_some_and(|(host, _)| mfleet::covers(fleet, w, host, c.id))
        })
        .collect();
    still.sort_by(|a, b| b.status.cmp(&a.status).then(a.id.cmp(b.id)));
    let first = still.first()?;
    let more = match still.len() {
        1 => String::new(),
        n => format!(" (+{} more)", n - 1),
    };
    Some(format!(
        "running past its end ({} ago): {} still {}{more}",
        span_words(now - w.end),
        first.id,
        first.status.label()
    ))
}

/// Usage: a client near one of its yearly quotas (as `near_quotas` found
/// it) is information for the invoice, not an emergency.
pub fn usage_alerts(near: &[NearQuota], now: DateTime<Utc>, out: &mut Vec<Alert>) {
    for n in near {
        let q = &n.quota;
        let amount = match q.meter {
            Meter::Documents => format!(
                "{} of {}",
                crate::model::usage::gb(q.used),
                crate::model::usage::gb(q.included)
            ),
            _ => format!("{} of {}", q.used, q.included),
        };
        out.push(Alert {
            id: format!("usage:{}/{}", n.client, q.meter.key()),
            domain: Domain::Usage,
            severity: Severity::Info,
            subject: Subject {
                clients: vec![n.client.clone()],
                host: None,
                item: q.meter.label().to_string(),
            },
            since: now,
            reason: format!(
                "{} at {:.0} % of the yearly quota ({amount})",
                q.meter.label(),
                q.percent()
            ),
            points: Points {
                view: View::Usage,
                row: n.client.clone(),
            },
        });
    }
}

/// Vigie itself: a daemon that wrote a heartbeat and stopped (the console
/// then checks on its own, but pages and webhooks are the daemon's), a
/// tracker that cannot be reached (deadlines are then unknown), store
/// writes failing (history and acknowledgements are lost: critical).
pub fn vigie_alerts(s: &SelfState, settings: &Settings, now: DateTime<Utc>, out: &mut Vec<Alert>) {
    let own = |id: &str, severity, since, reason: String, view| Alert {
        id: format!("vigie:{id}"),
        domain: Domain::Vigie,
        severity,
        subject: Subject {
            clients: Vec::new(),
            host: None,
            item: id.to_string(),
        },
        since,
        reason,
        points: Points {
            view,
            row: String::new(),
        },
    };
    if let Some(beat) = s
        .heartbeat
        .filter(|b| now - *b > delta(settings.heartbeat_stale))
    {
        out.push(own(
            "daemon",
            Severity::Warning,
            beat,
            format!(
                "no daemon heartbeat for {}: webhooks are not sent",
                span_words(now - beat)
            ),
            View::Health,
        ));
    }
    if let Some((cause, since)) = &s.tracker {
        out.push(own(
            "tracker",
            Severity::Warning,
            *since,
            format!(
                "ticket tracker unreachable: {}",
                sanitize::clean_short(cause, 80)
            ),
            View::Tickets,
        ));
    }
    if let Some((cause, since)) = &s.store {
        out.push(own(
            "store",
            Severity::Critical,
            *since,
            format!("store writes failing: {}", sanitize::clean_short(cause, 80)),
            View::Health,
        ));
    }
}

//! What needs the operator now: one list of alerts across every domain.
//!
//! Each domain keeps its own judge (a check's tracker, a store's verdict,
//! a backup source's evaluation, a ticket's clocks, a window's rules, a
//! meter's quota); this module only reads their verdicts and says each
//! problem the same way: a stable identity, a domain, a severity, whom it
//! concerns, since when, why in one line, and where to look. The header,
//! the wall, the CLI and (later) paging all read this one list, so they
//! never contradict one another.

mod domains;
pub mod lifecycle;
#[cfg(test)]
mod lifecycle_tests;
#[cfg(test)]
mod overrun_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::backup::Overview;
use super::maintenance::MaintenanceWindow;
use super::pos::StoreView;
use super::tickets::{BoardRow, Quota};
use super::usage::NearQuota;
use super::{Fleet, Status};

pub use domains::{
    backup_alerts, check_alerts, maintenance_alerts, store_alerts, ticket_alerts, usage_alerts,
    vigie_alerts,
};
pub use lifecycle::{Ack, Open, Record, Silence, round};

/// How urgent an alert is. Ordered so that `max()` is the worst.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, nothing to do tonight (a quota nearly used).
    Info,
    /// Needs someone in support hours (a degraded check, a day missing).
    Warning,
    /// Needs someone now (a prod service down, a breached deadline).
    Critical,
}

impl Severity {
    /// The severity a judged state means: down is critical, degraded a
    /// warning; up, maintenance and unknown raise nothing by themselves.
    pub fn of_status(s: Status) -> Option<Severity> {
        match s {
            Status::Down => Some(Severity::Critical),
            Status::Degraded => Some(Severity::Warning),
            _ => None,
        }
    }

    /// The state the wall and the client dots show for this severity.
    pub fn status(self) -> Status {
        match self {
            Severity::Critical => Status::Down,
            Severity::Warning => Status::Degraded,
            Severity::Info => Status::Up,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// A glyph that reads on a monochrome terminal (the states' glyphs).
    pub fn glyph(self) -> &'static str {
        match self {
            Severity::Critical => "✖",
            Severity::Warning => "▲",
            Severity::Info => "ℹ",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        [Severity::Critical, Severity::Warning, Severity::Info]
            .into_iter()
            .find(|v| v.label().eq_ignore_ascii_case(s))
    }
}

/// Which judge raised an alert.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    Checks,
    Pos,
    Backups,
    Tickets,
    Maintenance,
    Usage,
    /// Vigie itself: its daemon, its tracker, its sources.
    Vigie,
}

impl Domain {
    pub const ALL: [Domain; 7] = [
        Domain::Checks,
        Domain::Pos,
        Domain::Backups,
        Domain::Tickets,
        Domain::Maintenance,
        Domain::Usage,
        Domain::Vigie,
    ];

    /// Also the prefix of the alerts' identities.
    pub fn label(self) -> &'static str {
        match self {
            Domain::Checks => "checks",
            Domain::Pos => "pos",
            Domain::Backups => "backups",
            Domain::Tickets => "tickets",
            Domain::Maintenance => "maintenance",
            Domain::Usage => "usage",
            Domain::Vigie => "vigie",
        }
    }

    pub fn parse(s: &str) -> Option<Domain> {
        Domain::ALL
            .into_iter()
            .find(|d| d.label().eq_ignore_ascii_case(s))
    }
}

/// Where the console shows the problem. The names match the console's
/// panes without depending on the `ui` layer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum View {
    Health,
    Tickets,
    Backups,
    Maintenance,
    Pos,
    Usage,
}

/// Where an alert points: a view and the key of its row there (a host
/// name, a ticket id, a source id, a window UID, `client/site`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Points {
    pub view: View,
    pub row: String,
}

/// Whom and what an alert concerns, for reading and for silences'
/// matchers. A mutualised host concerns each of its clients.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Subject {
    /// Client ids (empty for Vigie's own problems).
    pub clients: Vec<String>,
    /// The host, for checks (and a window on one host).
    pub host: Option<String>,
    /// The check's name, the store, the ticket ("#42"), the source, the
    /// window's title, the meter.
    pub item: String,
}

impl Subject {
    /// "erp-prod/odoo", "#42", "Coop · caisse": short, for one line.
    pub fn text(&self) -> String {
        match &self.host {
            Some(h) if !self.item.is_empty() => format!("{h}/{}", self.item),
            Some(h) => h.clone(),
            None => self.item.clone(),
        }
    }
}

/// One problem that needs (or may need) someone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Alert {
    /// Stable across rounds and restarts: `<domain>:<what>`, e.g.
    /// `checks:erp-prod/odoo`, `tickets:42`, `pos:coop/main/till-down:Caisse 2`.
    pub id: String,
    pub domain: Domain,
    pub severity: Severity,
    pub subject: Subject,
    /// When the problem was first observed, as far as its judge knows
    /// (the store's lifecycle keeps the first sighting across restarts).
    pub since: DateTime<Utc>,
    /// One line, in words.
    pub reason: String,
    pub points: Points,
}

/// What Vigie knows of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelfState {
    /// The daemon's last heartbeat, if a daemon ever wrote one.
    pub heartbeat: Option<DateTime<Utc>>,
    /// The ticket tracker's last failure and since when it fails.
    pub tracker: Option<(String, DateTime<Utc>)>,
    /// Store writes failing: the cause and since when.
    pub store: Option<(String, DateTime<Utc>)>,
}

/// Thresholds of the alert list that are not any one judge's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// A running ticket clock due within this wall-clock time is a
    /// warning (the board's own "due soon" mark).
    pub ticket_lead: Duration,
    /// A daemon heartbeat older than this is stale (the console's own
    /// rule for taking over from a daemon).
    pub heartbeat_stale: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            ticket_lead: Duration::from_secs(30 * 60),
            heartbeat_stale: Duration::from_secs(30),
        }
    }
}

/// A check as its tracker judged it (borrowed from wherever the caller
/// keeps it: the console's live checks, the store's states).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckState<'a> {
    /// `<host>/<check name>`.
    pub id: &'a str,
    pub status: Status,
    /// What the latest probe alone said.
    pub observed: Status,
    pub flapping: bool,
    /// When the current status began.
    pub since: DateTime<Utc>,
    pub message: &'a str,
}

/// Every judge's verdicts at one instant: what [`alerts`] reads.
#[derive(Debug, Clone, Default)]
pub struct Inputs<'a> {
    pub checks: Vec<CheckState<'a>>,
    pub stores: Vec<&'a StoreView>,
    pub backups: Option<&'a Overview>,
    pub tickets: &'a [BoardRow],
    /// Each client's yearly calls against its quota.
    pub calls: Vec<(&'a str, Quota)>,
    pub windows: &'a [MaintenanceWindow],
    pub usage: &'a [NearQuota],
    pub vigie: SelfState,
}

/// The alert list at `now`: every domain's alerts, worst first, then the
/// oldest first, then by identity (so the order is stable).
pub fn alerts(
    fleet: &Fleet,
    inputs: &Inputs,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let mut out = Vec::new();
    check_alerts(fleet, &inputs.checks, &mut out);
    store_alerts(&inputs.stores, &mut out);
    if let Some(o) = inputs.backups {
        backup_alerts(fleet, o, now, &mut out);
    }
    ticket_alerts(inputs.tickets, &inputs.calls, settings, now, &mut out);
    maintenance_alerts(fleet, inputs.windows, &inputs.checks, now, &mut out);
    usage_alerts(inputs.usage, now, &mut out);
    vigie_alerts(&inputs.vigie, settings, now, &mut out);
    sort(&mut out);
    out
}

/// Worst first, then oldest first, then by identity.
pub fn sort(list: &mut [Alert]) {
    list.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.since.cmp(&b.since))
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// How many alerts of each severity (the header's counts).
pub fn counts<'a>(list: impl IntoIterator<Item = &'a Alert>) -> BTreeMap<Severity, usize> {
    let mut out = BTreeMap::new();
    for a in list {
        *out.entry(a.severity).or_insert(0) += 1;
    }
    out
}

/// The worst state each client is in, from the alerts that concern it
/// (the wall's client dots): up when nothing concerns it.
pub fn client_states<'a>(
    fleet: &Fleet,
    list: impl IntoIterator<Item = &'a Alert>,
) -> BTreeMap<String, Status> {
    let mut out: BTreeMap<String, Status> = fleet
        .clients
        .iter()
        .map(|c| (c.id.clone(), Status::Up))
        .collect();
    for a in list {
        for c in &a.subject.clients {
            if let Some(s) = out.get_mut(c) {
                *s = (*s).max(a.severity.status());
            }
        }
    }
    out
}

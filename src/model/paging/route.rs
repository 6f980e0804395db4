//! Routes: which receivers an alert goes to. The first route whose
//! matchers all select the alert wins, unless it says `continue`; an alert
//! no route takes goes to the default route. Typical: prod criticals page
//! the person on call, dev and preprod go to the team's chat room, info
//! goes nowhere but the console.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;

use crate::model::attention::{Alert, Domain, Severity};
use crate::model::{EnvKind, Fleet, SupportHours};

/// Where a route sends.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// A receiver by name.
    Receiver(String),
    /// Whoever the rota says is on call (their receivers).
    OnCall,
}

/// What a route selects; a matcher left empty selects anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matcher {
    pub clients: Vec<String>,
    pub environments: Vec<EnvKind>,
    pub domains: Vec<Domain>,
    pub severities: Vec<Severity>,
    pub hosts: Vec<String>,
    /// Check names (or what an alert's subject names: store, source...).
    pub checks: Vec<String>,
}

/// One `[[alerts.routes]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub matcher: Matcher,
    pub to: Vec<Target>,
    /// Also try the routes after this one.
    pub continue_after: bool,
}

/// The routes, in order, and where the rest goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    pub routes: Vec<Route>,
    /// For alerts no route takes (default: the person on call).
    pub default: Vec<Target>,
    /// Warnings page only within these hours (in the rota's timezone);
    /// criticals page at any hour. `None`: warnings page at any hour.
    pub warnings_in: Option<SupportHours>,
}

impl Default for Routing {
    fn default() -> Routing {
        Routing {
            routes: Vec::new(),
            default: vec![Target::OnCall],
            warnings_in: None,
        }
    }
}

/// The environments an alert concerns: its host's, for each client using
/// the host; none for alerts about no host (a ticket, a store).
pub fn environments(fleet: &Fleet, alert: &Alert) -> Vec<EnvKind> {
    match &alert.subject.host {
        Some(h) => fleet.users_of(h).into_iter().map(|(_, e)| e).collect(),
        None => Vec::new(),
    }
}

impl Matcher {
    /// Whether every matcher given selects the alert (`envs`: the
    /// environments it concerns, see [`environments`]).
    pub fn selects(&self, alert: &Alert, envs: &[EnvKind]) -> bool {
        let any =
            |list: &[String], f: &dyn Fn(&String) -> bool| list.is_empty() || list.iter().any(f);
        any(&self.clients, &|c| alert.subject.clients.contains(c))
            && (self.environments.is_empty() || self.environments.iter().any(|e| envs.contains(e)))
            && (self.domains.is_empty() || self.domains.contains(&alert.domain))
            && (self.severities.is_empty() || self.severities.contains(&alert.severity))
            && any(&self.hosts, &|h| alert.subject.host.as_deref() == Some(h))
            && any(&self.checks, &|k| alert.subject.item == *k)
    }
}

impl Routing {
    /// Where `alert` goes, each target once, in the routes' order.
    pub fn targets(&self, alert: &Alert, envs: &[EnvKind]) -> Vec<Target> {
        let mut out: Vec<Target> = Vec::new();
        let mut taken = false;
        for r in &self.routes {
            if !r.matcher.selects(alert, envs) {
                continue;
            }
            taken = true;
            for t in &r.to {
                if !out.contains(t) {
                    out.push(t.clone());
                }
            }
            if !r.continue_after {
                break;
            }
        }
        if !taken {
            out = self.default.clone();
        }
        out
    }

    /// Whether an alert of `severity` may page at `now` (warnings wait for
    /// support hours when so configured; info never pages by itself but
    /// follows its routes like the rest).
    pub fn may_page(&self, severity: Severity, now: DateTime<Utc>, tz: Tz) -> bool {
        match (&self.warnings_in, severity) {
            (Some(hours), Severity::Warning) => within(hours, now, tz),
            _ => true,
        }
    }
}

/// Whether `now` falls in `hours`, read in `tz`.
pub fn within(hours: &SupportHours, now: DateTime<Utc>, tz: Tz) -> bool {
    let local = now.with_timezone(&tz);
    let minute = (local.hour() * 60 + local.minute()) as u16;
    hours.days.contains(&local.weekday())
        && hours.start.minutes <= minute
        && minute < hours.end.minutes
}

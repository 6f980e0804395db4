//! An alert's life between rounds, as the store keeps it for the daemon and
//! every console: firing, then acknowledged by someone (sticky until it
//! resolves, unless the acknowledgement was given an expiry), then
//! resolved. A problem that clears and returns within the merge window is
//! the same alert again: same first sighting, same acknowledgement.
//! Silences hide what their matchers select for a while.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::{Alert, Domain, Severity};

/// Who took an alert, when, why, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ack {
    /// `[console] operator`, or the user's login.
    pub by: String,
    pub at: DateTime<Utc>,
    pub comment: String,
    /// `None`: until the alert resolves.
    pub expires: Option<DateTime<Utc>>,
}

impl Ack {
    /// Whether it still holds at `now` (an expired one pages again).
    pub fn holds(&self, now: DateTime<Utc>) -> bool {
        self.expires.is_none_or(|e| now < e)
    }
}

/// What the store keeps of one alert identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    /// The first sighting of this problem (of its merged returns).
    pub first_seen: DateTime<Utc>,
    /// Set while the problem is absent: when it cleared.
    pub resolved: Option<DateTime<Utc>>,
    pub ack: Option<Ack>,
}

/// Hides the alerts it matches between `start` and `end`. A matcher left
/// out matches anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Silence {
    pub id: i64,
    pub client: Option<String>,
    pub host: Option<String>,
    /// A check's name (checks), or anything an alert's subject names.
    pub check: Option<String>,
    pub domain: Option<Domain>,
    pub severity: Option<Severity>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub comment: String,
    pub author: String,
}

impl Silence {
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        self.start <= now && now < self.end
    }

    /// Whether every matcher it has selects `a`.
    pub fn matches(&self, a: &Alert) -> bool {
        let client = self
            .client
            .as_ref()
            .is_none_or(|c| a.subject.clients.iter().any(|x| x == c));
        let host = self
            .host
            .as_ref()
            .is_none_or(|h| a.subject.host.as_deref() == Some(h.as_str()));
        let check = self.check.as_ref().is_none_or(|k| a.subject.item == *k);
        let domain = self.domain.is_none_or(|d| a.domain == d);
        let severity = self.severity.is_none_or(|s| a.severity == s);
        client && host && check && domain && severity
    }
}

/// An alert as everyone sees it: its first sighting kept across returns,
/// its acknowledgement, and the silence hiding it, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Open {
    pub alert: Alert,
    pub ack: Option<Ack>,
    pub silenced: Option<i64>,
}

impl Open {
    /// Needs someone: neither acknowledged nor silenced.
    pub fn unattended(&self) -> bool {
        self.ack.is_none() && self.silenced.is_none()
    }
}

/// One round of the lifecycle at `now`: the open alerts with their
/// acknowledgements and silences (unattended first, then worst first), and
/// the records to keep (every record, updated). A record resolved longer
/// than `merge_window` ago is dropped: its problem, if it returns, is new.
pub fn round(
    records: &BTreeMap<String, Record>,
    list: Vec<Alert>,
    silences: &[Silence],
    merge_window: Duration,
    now: DateTime<Utc>,
) -> (Vec<Open>, Vec<Record>) {
    let window = TimeDelta::from_std(merge_window).unwrap_or(TimeDelta::MAX);
    let mut kept: Vec<Record> = Vec::with_capacity(list.len());
    let mut open: Vec<Open> = Vec::with_capacity(list.len());
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    for mut alert in list {
        let same = records
            .get(&alert.id)
            .filter(|r| r.resolved.is_none_or(|at| now - at <= window));
        let (first_seen, ack) = match same {
            Some(r) => (
                r.first_seen.min(alert.since),
                r.ack.clone().filter(|a| a.holds(now)),
            ),
            None => (alert.since, None),
        };
        alert.since = first_seen;
        seen.insert(alert.id.clone());
        kept.push(Record {
            id: alert.id.clone(),
            first_seen,
            resolved: None,
            ack: ack.clone(),
        });
        let silenced = silences
            .iter()
            .find(|s| s.active(now) && s.matches(&alert))
            .map(|s| s.id);
        open.push(Open {
            alert,
            ack,
            silenced,
        });
    }
    for r in records.values() {
        if seen.contains(&r.id) {
            continue;
        }
        let resolved = r.resolved.unwrap_or(now);
        if now - resolved <= window {
            kept.push(Record {
                resolved: Some(resolved),
                ..r.clone()
            });
        }
    }
    open.sort_by(|a, b| {
        b.unattended()
            .cmp(&a.unattended())
            .then(b.alert.severity.cmp(&a.alert.severity))
            .then(a.alert.since.cmp(&b.alert.since))
            .then_with(|| a.alert.id.cmp(&b.alert.id))
    });
    (open, kept)
}

//! Conditions become alerts only once they have lasted a minimum, and an
//! alert that comes back soon after it cleared is the same alert again
//! (repeats merged and counted), so a flapping till makes one line, not
//! twenty.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Status;

/// Something wrong right now, before the minimum duration is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Stable identity ("till-down:Caisse 2"), so repeats are recognised.
    pub key: String,
    /// `Down` (critical) or `Degraded` (warning).
    pub severity: Status,
    pub message: String,
    /// When the condition began, when the data says so (a session left open
    /// since closing plus the allowance): it has lasted since then, not
    /// since it was first observed. `None` for what only observation tells
    /// (a till that stops answering).
    pub began: Option<DateTime<Utc>>,
}

impl Condition {
    pub fn new(key: impl Into<String>, severity: Status, message: impl Into<String>) -> Condition {
        Condition {
            key: key.into(),
            severity,
            message: message.into(),
            began: None,
        }
    }

    /// The same condition, known to have begun at `at`.
    pub fn began_at(self, at: DateTime<Utc>) -> Condition {
        Condition {
            began: Some(at),
            ..self
        }
    }
}

/// An alert the operator sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub key: String,
    pub severity: Status,
    pub message: String,
    /// When the condition first began (of the merged repeats).
    pub since: DateTime<Utc>,
    /// How many times it began within the merge window.
    pub occurrences: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Tracked {
    alert: Alert,
    /// When the current run of the condition began.
    run_since: DateTime<Utc>,
    /// Set while the condition is absent: when it cleared.
    cleared_at: Option<DateTime<Utc>>,
    /// Whether it has been shown (lasted the minimum once).
    raised: bool,
}

/// Tracks conditions over time (one per store).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertTracker {
    tracked: BTreeMap<String, Tracked>,
}

fn delta(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl AlertTracker {
    /// Folds in the conditions seen at `now` and returns the alerts to
    /// show: conditions that have lasted `min` (or came back within
    /// `merge` of a raised alert), worst first.
    pub fn update(
        &mut self,
        now: DateTime<Utc>,
        conditions: &[Condition],
        min: std::time::Duration,
        merge: std::time::Duration,
    ) -> Vec<Alert> {
        let (min, merge) = (delta(min), delta(merge));
        // Forget alerts that cleared longer ago than the merge window.
        self.tracked
            .retain(|_, t| t.cleared_at.is_none_or(|at| now - at < merge));
        for c in conditions {
            match self.tracked.get_mut(&c.key) {
                Some(t) => {
                    if t.cleared_at.take().is_some() {
                        t.run_since = now;
                        t.alert.occurrences = t.alert.occurrences.saturating_add(1);
                    }
                    t.alert.severity = c.severity;
                    t.alert.message.clone_from(&c.message);
                }
                None => {
                    // Known from the data: it has lasted since it began,
                    // so a session left open all night is shown at once.
                    let began = c.began.map_or(now, |b| b.min(now));
                    self.tracked.insert(
                        c.key.clone(),
                        Tracked {
                            alert: Alert {
                                key: c.key.clone(),
                                severity: c.severity,
                                message: c.message.clone(),
                                since: began,
                                occurrences: 1,
                            },
                            run_since: began,
                            cleared_at: None,
                            raised: false,
                        },
                    );
                }
            }
        }
        for (key, t) in self.tracked.iter_mut() {
            if t.cleared_at.is_none() && !conditions.iter().any(|c| &c.key == key) {
                t.cleared_at = Some(now);
            }
        }
        // A blip that never lasted the minimum is forgotten at once.
        self.tracked
            .retain(|_, t| t.cleared_at.is_none() || t.raised);
        let mut out = Vec::new();
        for t in self.tracked.values_mut() {
            if t.cleared_at.is_some() {
                continue;
            }
            if t.raised || now - t.run_since >= min {
                t.raised = true;
                out.push(t.alert.clone());
            }
        }
        out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.since.cmp(&b.since)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_whose_start_is_known_is_an_alert_once_it_has_lasted_the_minimum() {
        let min = std::time::Duration::from_secs(300);
        let merge = std::time::Duration::from_secs(3600);
        let at = |m: i64| t(0) + TimeDelta::minutes(m);
        let mut tr = AlertTracker::default();
        // Left open since 19 h: shown at the first look, dated from then.
        let open = Condition::new("session-left-open:7", Status::Degraded, "left open")
            .began_at(at(-19 * 60));
        let a = tr.update(at(0), std::slice::from_ref(&open), min, merge);
        assert_eq!((a.len(), a[0].since), (1, at(-19 * 60)));
        // Begun a minute ago: still under the minimum.
        let mut tr = AlertTracker::default();
        let recent = open.clone().began_at(at(-1));
        assert!(
            tr.update(at(0), std::slice::from_ref(&recent), min, merge)
                .is_empty()
        );
        assert_eq!(tr.update(at(4), &[recent], min, merge).len(), 1);
        // A start in the future (clock skew) counts from now.
        let mut tr = AlertTracker::default();
        let skewed = open.began_at(at(30));
        assert!(tr.update(at(0), &[skewed], min, merge).is_empty());
    }
    use std::time::Duration;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + min * 60, 0).unwrap()
    }

    /// Each step: minute, condition present?, expected (shown, occurrences).
    fn run(steps: &[(i64, bool, Option<u32>)]) {
        let mut tracker = AlertTracker::default();
        let c = Condition::new("till-down:1", Status::Down, "till 1 down");
        for (minute, present, want) in steps {
            let conds = if *present { vec![c.clone()] } else { vec![] };
            let alerts = tracker.update(
                t(*minute),
                &conds,
                Duration::from_secs(120),
                Duration::from_secs(600),
            );
            let got = alerts.first().map(|a| a.occurrences);
            assert_eq!(got, *want, "minute {minute}");
        }
    }

    #[test]
    fn a_condition_is_an_alert_only_after_the_minimum() {
        run(&[
            (0, true, None),
            (1, true, None),
            (2, true, Some(1)),
            (3, true, Some(1)),
        ]);
    }

    #[test]
    fn a_blip_shorter_than_the_minimum_is_forgotten() {
        run(&[
            (0, true, None),
            (1, false, None),
            (2, true, None),
            (3, true, None),
            (4, true, Some(1)),
        ]);
    }

    #[test]
    fn a_repeat_within_the_merge_window_is_the_same_alert_counted() {
        run(&[
            (0, true, None),
            (2, true, Some(1)),
            (3, false, None),
            (5, true, Some(2)),
            (6, false, None),
            (7, true, Some(3)),
        ]);
    }

    #[test]
    fn a_repeat_after_the_merge_window_is_a_new_alert() {
        run(&[
            (0, true, None),
            (2, true, Some(1)),
            (3, false, None),
            (14, true, None),
            (16, true, Some(1)),
        ]);
    }

    #[test]
    fn the_severity_follows_the_latest_condition() {
        let mut tracker = AlertTracker::default();
        let warn = Condition::new("k", Status::Degraded, "w");
        let crit = Condition::new("k", Status::Down, "c");
        let min = Duration::from_secs(0);
        let merge = Duration::from_secs(60);
        assert_eq!(
            tracker.update(t(0), &[warn], min, merge)[0].severity,
            Status::Degraded
        );
        let a = tracker.update(t(1), &[crit], min, merge);
        assert_eq!((a[0].severity, a[0].since), (Status::Down, t(0)));
    }
}

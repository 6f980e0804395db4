//! From what probes observe to the state a check is in: down only after N
//! failures in a row (failing, a warning, until then), up again after M
//! successes, flapping when it changes too often, unknown when Vigie itself
//! is cut off.
//!
//! Pure: the engine feeds observations with their instants.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::Status;

/// The rules of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub down_after: u32,
    pub up_after: u32,
    pub flap_changes: u32,
    pub flap_window: Duration,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            down_after: 3,
            up_after: 2,
            flap_changes: 5,
            flap_window: Duration::from_secs(3600),
        }
    }
}

/// What the tracker concluded from one observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub status: Status,
    /// The state differs from the one before this observation.
    pub changed: bool,
    pub flapping: bool,
    /// Why the state is not what the probe observed, in words
    /// ("failure 1 of 3", "recovering 1 of 2", "Vigie's network is cut").
    pub note: Option<String>,
    /// Failing but not yet confirmed down: (failures in a row, failures
    /// that confirm). The status is then `Degraded`: a failure is never
    /// shown as up, nor as unknown.
    pub failing: Option<(u32, u32)>,
    /// The first failure of the current run of failures, while failing or
    /// down: a confirmed outage began there, not at its confirmation.
    pub since: Option<DateTime<Utc>>,
}

/// The running state of one check.
#[derive(Debug, Clone)]
pub struct Tracker {
    /// The confirmed state (what flapping counts changes of).
    confirmed: Status,
    /// What the last judgement said (the confirmed state, or failing).
    status: Status,
    failures: u32,
    successes: u32,
    /// The first failure of the current run, kept through a down spell.
    first_failure: Option<DateTime<Utc>>,
    changes: VecDeque<DateTime<Utc>>,
}

impl Default for Tracker {
    fn default() -> Tracker {
        Tracker::new()
    }
}

impl Tracker {
    /// A check not yet seen: unknown.
    pub fn new() -> Tracker {
        Tracker {
            confirmed: Status::Unknown,
            status: Status::Unknown,
            failures: 0,
            successes: 0,
            first_failure: None,
            changes: VecDeque::new(),
        }
    }

    /// Resumes from a state read back from the store (a restart must not
    /// turn a down check up for a round).
    pub fn resume(status: Status) -> Tracker {
        Tracker {
            confirmed: status,
            status,
            ..Tracker::new()
        }
    }

    /// The state as last judged (failing shows as `Degraded`).
    pub fn status(&self) -> Status {
        self.status
    }

    /// Takes one observation. `cut` says Vigie's own network is presumed
    /// cut: a failure then proves nothing about the target.
    pub fn observe(
        &mut self,
        observed: Status,
        at: DateTime<Utc>,
        policy: &Policy,
        cut: bool,
    ) -> Judgement {
        let before = self.confirmed;
        let judged_before = self.status;
        let mut note = None;
        let mut failing = None;
        let confirm = policy.down_after.max(1);
        match observed {
            Status::Down if cut => {
                self.confirmed = Status::Unknown;
                self.first_failure = None;
                note = Some("Vigie's own network looks cut".to_string());
            }
            Status::Down => {
                self.successes = 0;
                self.failures = self.failures.saturating_add(1);
                if self.failures == 1 && self.confirmed != Status::Down {
                    self.first_failure = Some(at);
                }
                if self.failures >= confirm {
                    self.confirmed = Status::Down;
                } else if self.confirmed != Status::Down {
                    failing = Some((self.failures, confirm));
                    note = Some(format!("failure {} of {confirm}", self.failures));
                }
            }
            Status::Up | Status::Degraded => {
                self.failures = 0;
                self.successes = self.successes.saturating_add(1);
                if self.confirmed == Status::Down && self.successes < policy.up_after.max(1) {
                    note = Some(format!(
                        "recovering {} of {}",
                        self.successes,
                        policy.up_after.max(1)
                    ));
                } else {
                    self.confirmed = observed;
                    self.first_failure = None;
                }
            }
            Status::Unknown | Status::Maintenance => {
                self.failures = 0;
                self.successes = 0;
                self.first_failure = None;
                self.confirmed = observed;
            }
        }
        // Failing shows as a warning; flapping counts confirmed changes
        // only, so a single failed probe is not a flap.
        self.status = if failing.is_some() {
            Status::Degraded
        } else {
            self.confirmed
        };
        let since = if failing.is_some() || self.confirmed == Status::Down {
            self.first_failure
        } else {
            None
        };
        let changed = self.status != judged_before;
        if self.confirmed != before {
            self.changes.push_back(at);
        }
        let window = TimeDelta::from_std(policy.flap_window).unwrap_or(TimeDelta::MAX);
        while self
            .changes
            .front()
            .is_some_and(|first| at.signed_duration_since(*first) > window)
        {
            self.changes.pop_front();
        }
        Judgement {
            status: self.status,
            changed,
            flapping: policy.flap_changes > 0 && self.changes.len() >= policy.flap_changes as usize,
            note,
            failing,
            since,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap() + TimeDelta::minutes(min)
    }

    fn run(tracker: &mut Tracker, seq: &[Status]) -> Vec<Status> {
        let p = Policy::default();
        seq.iter()
            .enumerate()
            .map(|(i, s)| tracker.observe(*s, at(i as i64), &p, false).status)
            .collect()
    }

    use Status::*;

    #[test]
    fn down_only_after_three_failures_in_a_row_failing_until_then() {
        let mut t = Tracker::new();
        let got = run(&mut t, &[Up, Down, Down, Up, Down, Down, Down]);
        assert_eq!(got, [Up, Degraded, Degraded, Up, Degraded, Degraded, Down]);
    }

    #[test]
    fn soft_states_table() {
        // (before, observations, last status, last failing, last since as
        // the index of the observation it points at).
        type Case = (
            Status,
            &'static [Status],
            Status,
            Option<(u32, u32)>,
            Option<i64>,
        );
        let cases: &[Case] = &[
            // A first failure of an unseen check: failing, not unknown.
            (Unknown, &[Down], Degraded, Some((1, 3)), Some(0)),
            // A failure of an up check: failing, not up.
            (Up, &[Up, Down], Degraded, Some((1, 3)), Some(1)),
            (Up, &[Down, Down], Degraded, Some((2, 3)), Some(0)),
            // Confirmed: down since the first failure, not the third.
            (Up, &[Up, Down, Down, Down], Down, None, Some(1)),
            // Still down later: the outage still began at the first failure.
            (Up, &[Down, Down, Down, Down, Down], Down, None, Some(0)),
            // Recovering from down, then failing again: down, since kept.
            (Up, &[Down, Down, Down, Up, Down], Down, None, Some(0)),
            // A success clears the failing run.
            (Up, &[Down, Up], Up, None, None),
            // A slow answer is degraded, not failing.
            (Up, &[Degraded], Degraded, None, None),
            // Resumed down after a restart: no failure run known yet.
            (Down, &[Down], Down, None, None),
        ];
        let p = Policy::default();
        for (before, seq, status, failing, since) in cases {
            let mut t = Tracker::resume(*before);
            let mut last = None;
            for (i, s) in seq.iter().enumerate() {
                last = Some(t.observe(*s, at(i as i64), &p, false));
            }
            let j = last.unwrap();
            assert_eq!(j.status, *status, "{before:?} {seq:?}");
            assert_eq!(j.failing, *failing, "{before:?} {seq:?}");
            assert_eq!(j.since, since.map(at), "{before:?} {seq:?}");
        }
    }

    #[test]
    fn single_failed_probes_are_not_flapping() {
        let mut t = Tracker::resume(Up);
        let p = Policy::default();
        let flapping = (0..12).any(|i| {
            let s = if i % 2 == 0 { Down } else { Up };
            t.observe(s, at(i), &p, false).flapping
        });
        assert!(!flapping);
    }

    #[test]
    fn up_again_after_two_successes() {
        let mut t = Tracker::resume(Down);
        let got = run(&mut t, &[Up, Down, Up, Up, Degraded]);
        assert_eq!(got, [Down, Down, Down, Up, Degraded]);
    }

    #[test]
    fn a_first_failure_makes_an_unseen_check_failing_and_says_why() {
        let mut t = Tracker::new();
        let j = t.observe(Down, at(0), &Policy::default(), false);
        assert_eq!(j.status, Degraded);
        assert!(j.changed);
        assert_eq!(j.note.as_deref(), Some("failure 1 of 3"));
    }

    #[test]
    fn a_cut_network_makes_failures_unknown_not_down() {
        let mut t = Tracker::resume(Up);
        let p = Policy::default();
        for i in 0..5 {
            let j = t.observe(Down, at(i), &p, true);
            assert_eq!(j.status, Unknown);
        }
        // Back online, the target answers: up at once (it was never down).
        assert_eq!(t.observe(Up, at(6), &p, false).status, Up);
    }

    #[test]
    fn changing_five_times_within_an_hour_is_flapping() {
        let p = Policy {
            down_after: 1,
            up_after: 1,
            ..Policy::default()
        };
        let mut t = Tracker::resume(Up);
        let mut flapping = Vec::new();
        for i in 0..6 {
            let s = if i % 2 == 0 { Down } else { Up };
            flapping.push(t.observe(s, at(i * 5), &p, false).flapping);
        }
        assert_eq!(flapping, [false, false, false, false, true, true]);
        // Two quiet hours later it is no longer flapping.
        assert!(!t.observe(Up, at(200), &p, false).flapping);
    }
}

//! From what probes observe to the state a check is in: down only after N
//! failures in a row, up again after M successes, flapping when it changes
//! too often, unknown when Vigie itself is cut off.
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
}

/// The running state of one check.
#[derive(Debug, Clone)]
pub struct Tracker {
    status: Status,
    failures: u32,
    successes: u32,
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
            status: Status::Unknown,
            failures: 0,
            successes: 0,
            changes: VecDeque::new(),
        }
    }

    /// Resumes from a state read back from the store (a restart must not
    /// turn a down check up for a round).
    pub fn resume(status: Status) -> Tracker {
        Tracker {
            status,
            ..Tracker::new()
        }
    }

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
        let before = self.status;
        let mut note = None;
        match observed {
            Status::Down if cut => {
                self.status = Status::Unknown;
                note = Some("Vigie's own network looks cut".to_string());
            }
            Status::Down => {
                self.successes = 0;
                self.failures = self.failures.saturating_add(1);
                if self.failures >= policy.down_after.max(1) {
                    self.status = Status::Down;
                } else {
                    note = Some(format!(
                        "failure {} of {}",
                        self.failures,
                        policy.down_after.max(1)
                    ));
                }
            }
            Status::Up | Status::Degraded => {
                self.failures = 0;
                self.successes = self.successes.saturating_add(1);
                if self.status == Status::Down && self.successes < policy.up_after.max(1) {
                    note = Some(format!(
                        "recovering {} of {}",
                        self.successes,
                        policy.up_after.max(1)
                    ));
                } else {
                    self.status = observed;
                }
            }
            Status::Unknown | Status::Maintenance => {
                self.failures = 0;
                self.successes = 0;
                self.status = observed;
            }
        }
        let changed = self.status != before;
        if changed {
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
    fn down_only_after_three_failures_in_a_row() {
        let mut t = Tracker::new();
        let got = run(&mut t, &[Up, Down, Down, Up, Down, Down, Down]);
        assert_eq!(got, [Up, Up, Up, Up, Up, Up, Down]);
    }

    #[test]
    fn up_again_after_two_successes() {
        let mut t = Tracker::resume(Down);
        let got = run(&mut t, &[Up, Down, Up, Up, Degraded]);
        assert_eq!(got, [Down, Down, Down, Up, Degraded]);
    }

    #[test]
    fn a_first_failure_leaves_an_unseen_check_unknown_and_says_why() {
        let mut t = Tracker::new();
        let j = t.observe(Down, at(0), &Policy::default(), false);
        assert_eq!(j.status, Unknown);
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

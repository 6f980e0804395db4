//! Runs the sources on schedules: one task per check, a timeout per probe and
//! a global limit on probes in flight, so a slow or dead target delays
//! nothing else. Probes go to one judge task that turns observations into
//! states (down after N failures, flapping, unknown when Vigie's own network
//! is cut); results leave as [`Event`]s on one channel.

pub mod backups;
mod lateness;
pub mod maintenance;
pub mod pos;
pub mod usage;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;

pub use lateness::Lateness;

use crate::model::tracker::{Policy, Tracker};
use crate::model::{Check, CheckResult, Fleet, HealthSettings, Status};
use crate::sources::{Probe, Sources};

/// What the engine reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Result(CheckResult),
}

/// Probes in flight at once, whatever the size of the fleet. A target that
/// never answers holds its slot for its timeout, so this is generous.
pub const DEFAULT_CONCURRENCY: usize = 512;

/// First-round starts are spread this far apart, check after check (at most
/// over one interval), so a large fleet does not probe everything in the
/// same millisecond every minute.
const SPREAD_STEP: Duration = Duration::from_millis(2);

/// How the engine starts.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// The states checks were in (read back from the store), so a restart
    /// does not turn a down check up for a round.
    pub resume: HashMap<String, Status>,
    /// Probes in flight at once; 0 means [`DEFAULT_CONCURRENCY`].
    pub concurrency: usize,
    /// Checks under announced maintenance (see [`maintenance::watch`]).
    pub silences: maintenance::Silences,
}

/// A running engine. Dropping it stops every check task.
pub struct Engine {
    tasks: JoinSet<()>,
    refresh: Arc<Notify>,
    lateness: Arc<Lateness>,
    checks: usize,
}

/// One observation on its way to the judge.
struct Observation {
    index: usize,
    at: DateTime<Utc>,
    probe: Probe,
}

impl Engine {
    /// Starts one task per check of the fleet and the judge. The first
    /// round starts at once (spread by a few milliseconds per check); each
    /// check then keeps its own schedule.
    pub fn start(fleet: &Fleet, sources: Sources, events: mpsc::Sender<Event>) -> Engine {
        Engine::start_with(fleet, sources, events, EngineOptions::default())
    }

    pub fn start_with(
        fleet: &Fleet,
        sources: Sources,
        events: mpsc::Sender<Event>,
        options: EngineOptions,
    ) -> Engine {
        let concurrency = match options.concurrency {
            0 => DEFAULT_CONCURRENCY,
            n => n,
        };
        let limit = Arc::new(Semaphore::new(concurrency));
        let refresh = Arc::new(Notify::new());
        let lateness = Arc::new(Lateness::default());
        let checks: Vec<Check> = fleet.checks().map(|(_, c)| c.clone()).collect();
        let (obs_tx, obs_rx) = mpsc::channel::<Observation>(checks.len().clamp(64, 8192));
        let mut tasks = JoinSet::new();
        let start = Instant::now();
        for (index, check) in checks.iter().enumerate() {
            let check = check.clone();
            let sources = sources.clone();
            let tx = obs_tx.clone();
            let limit = limit.clone();
            let refresh = refresh.clone();
            let lateness = lateness.clone();
            let offset = spread(index, check.interval);
            tasks.spawn(async move {
                let mut next = start + offset;
                loop {
                    // Lateness is measured when the probe starts, after its
                    // wait for a permit: queueing behind hung probes is
                    // what a late check costs the operator.
                    let due = tokio::select! {
                        _ = tokio::time::sleep_until(next) => Some(next),
                        _ = refresh.notified() => None,
                    };
                    let started = due.map(|due| (lateness.as_ref(), due));
                    let probe = probe_with_retries(&sources, &check, &limit, started).await;
                    let obs = Observation {
                        index,
                        at: Utc::now(),
                        probe,
                    };
                    if tx.send(obs).await.is_err() {
                        return; // nobody listens any more
                    }
                    next += check.interval;
                    let now = Instant::now();
                    if next < now {
                        // Fell behind by more than an interval (a suspended
                        // laptop): skip the missed rounds, keep the phase.
                        let behind = now.duration_since(next).as_nanos();
                        let step = check.interval.as_nanos().max(1);
                        let rounds = u32::try_from(behind / step + 1).unwrap_or(u32::MAX);
                        next += check.interval.saturating_mul(rounds);
                    }
                }
            });
        }
        drop(obs_tx);
        let mut judge = Judge::new(checks, &fleet.health, options.resume);
        judge.silences = options.silences;
        tasks.spawn(judge.run(obs_rx, events));
        Engine {
            checks: tasks.len() - 1,
            tasks,
            refresh,
            lateness,
        }
    }

    /// Runs every check now instead of waiting for its interval.
    pub fn refresh(&self) {
        self.refresh.notify_waiters();
    }

    pub fn check_count(&self) -> usize {
        self.checks
    }

    /// How late checks started against their schedule, so far.
    pub fn lateness(&self) -> Arc<Lateness> {
        self.lateness.clone()
    }

    /// Stops every task now.
    pub fn stop(&mut self) {
        self.tasks.abort_all();
    }
}

fn spread(index: usize, interval: Duration) -> Duration {
    let step = SPREAD_STEP.saturating_mul(u32::try_from(index).unwrap_or(u32::MAX));
    if interval.is_zero() {
        return Duration::ZERO;
    }
    Duration::from_nanos(u64::try_from(step.as_nanos() % interval.as_nanos()).unwrap_or(0))
}

/// One probe, retried at once up to `check.retries` times while it fails.
/// `late`: where to record how late the probe started against when it was
/// due (none for a refresh the operator asked for).
async fn probe_with_retries(
    sources: &Sources,
    check: &Check,
    limit: &Semaphore,
    late: Option<(&Lateness, Instant)>,
) -> Probe {
    // The semaphore is never closed; if it were, probing without a permit
    // is better than not probing.
    let _permit = limit.acquire().await.ok();
    if let Some((lateness, due)) = late {
        lateness.record(Instant::now().saturating_duration_since(due));
    }
    let mut probe = sources.probe(&check.kind, check.timeout).await;
    let mut tries = 0;
    while probe.status == Status::Down && tries < check.retries {
        tries += 1;
        probe = sources.probe(&check.kind, check.timeout).await;
    }
    if tries > 0 && probe.status == Status::Down {
        probe.message = format!("{} (after {} retries)", probe.message, tries);
    }
    probe
}

/// Turns observations into states, with the whole fleet in view: a canary
/// failing, or every check failing at once, means Vigie is cut off.
struct Judge {
    checks: Vec<Check>,
    trackers: Vec<Tracker>,
    policies: Vec<Policy>,
    /// The latest observation of each check (None until its first).
    latest: Vec<Option<Status>>,
    canaries: Vec<usize>,
    all_failing_min: usize,
    silences: maintenance::Silences,
}

impl Judge {
    fn new(checks: Vec<Check>, health: &HealthSettings, resume: HashMap<String, Status>) -> Judge {
        let trackers = checks
            .iter()
            .map(|c| match resume.get(&c.id) {
                Some(s) => Tracker::resume(*s),
                None => Tracker::new(),
            })
            .collect();
        let policies = checks
            .iter()
            .map(|c| Policy {
                down_after: c.down_after,
                up_after: c.up_after,
                flap_changes: health.flap_changes,
                flap_window: health.flap_window,
            })
            .collect();
        let canaries = checks
            .iter()
            .enumerate()
            .filter(|(_, c)| c.canary)
            .map(|(i, _)| i)
            .collect();
        Judge {
            latest: vec![None; checks.len()],
            trackers,
            policies,
            canaries,
            all_failing_min: health.all_failing_min as usize,
            checks,
            silences: maintenance::Silences::default(),
        }
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Observation>, events: mpsc::Sender<Event>) {
        while let Some(obs) = rx.recv().await {
            let result = self.judge(obs);
            if events.send(Event::Result(result)).await.is_err() {
                return;
            }
        }
    }

    fn judge(&mut self, obs: Observation) -> CheckResult {
        let Observation { index, at, probe } = obs;
        if let Some(slot) = self.latest.get_mut(index) {
            *slot = Some(probe.status);
        }
        let cut = self.network_cut();
        let (Some(check), Some(tracker), Some(policy)) = (
            self.checks.get(index),
            self.trackers.get_mut(index),
            self.policies.get(index),
        ) else {
            // Unreachable: indexes come from the same list.
            return CheckResult::observed("?", at, probe.status, probe.latency_ms, probe.message);
        };
        let judgement = tracker.observe(probe.status, at, policy, cut && !check.canary);
        let mut message = match &judgement.note {
            Some(note) => format!("{} ({note})", probe.message),
            None => probe.message,
        };
        // Announced maintenance: shown as such, no alert; the tracker still
        // follows the probes so the real state shows when it ends.
        let mut status = judgement.status;
        if maintenance::silenced(&self.silences, &check.id, at) {
            status = Status::Maintenance;
            message = format!("announced maintenance; {message}");
        }
        CheckResult {
            check_id: check.id.clone(),
            at,
            status,
            observed: probe.status,
            latency_ms: probe.latency_ms,
            message,
            metrics: probe.metrics,
            flapping: judgement.flapping,
            failing: judgement.failing.filter(|_| status != Status::Maintenance),
            first_failure: judgement.since,
        }
    }

    /// Vigie's own network is presumed cut when a canary's latest probe
    /// failed, or when every check (at least `all_failing_min` of them)
    /// failed its latest probe.
    fn network_cut(&self) -> bool {
        let down = |i: &usize| self.latest.get(*i).copied().flatten() == Some(Status::Down);
        if self.canaries.iter().any(down) {
            return true;
        }
        self.latest.len() >= self.all_failing_min.max(2)
            && self.latest.iter().all(|s| *s == Some(Status::Down))
    }
}

/// Runs every check of the fleet once, concurrently, and returns the results
/// in fleet order (for `vigie check` and `vigie snapshot`). No check takes
/// longer than its own timeout (and its retries). Each result's state is what
/// its probe observed: one round cannot apply the down-after-N rule.
pub async fn run_once(fleet: &Fleet, sources: &Sources) -> Vec<CheckResult> {
    let limit = Arc::new(Semaphore::new(DEFAULT_CONCURRENCY));
    let mut set = JoinSet::new();
    for (index, (_, check)) in fleet.checks().enumerate() {
        let check = check.clone();
        let sources = sources.clone();
        let limit = limit.clone();
        set.spawn(async move {
            let probe = probe_with_retries(&sources, &check, &limit, None).await;
            let result = CheckResult {
                check_id: check.id.clone(),
                at: Utc::now(),
                status: probe.status,
                observed: probe.status,
                latency_ms: probe.latency_ms,
                message: probe.message,
                metrics: probe.metrics,
                flapping: false,
                failing: None,
                first_failure: None,
            };
            (index, result)
        });
    }
    let mut results: Vec<(usize, CheckResult)> = Vec::new();
    while let Some(done) = set.join_next().await {
        if let Ok(r) = done {
            results.push(r);
        }
    }
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// How long `run_once` may take at most: the longest timeout of the fleet.
pub fn longest_timeout(fleet: &Fleet) -> Duration {
    fleet
        .checks()
        .map(|(_, c)| c.timeout.saturating_mul(c.retries.saturating_add(1)))
        .max()
        .unwrap_or(Duration::from_secs(1))
}

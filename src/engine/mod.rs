//! Runs the sources on schedules: one task per check, a timeout per probe and
//! a global limit on probes in flight, so a slow or dead target delays
//! nothing else. Results leave as [`Event`]s on one channel.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::model::{Check, CheckResult, Fleet};
use crate::sources::Sources;

/// What the engine reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Result(CheckResult),
}

/// Probes in flight at once, whatever the size of the fleet.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// A running engine. Dropping it stops every check task.
pub struct Engine {
    tasks: JoinSet<()>,
    refresh: Arc<Notify>,
}

impl Engine {
    /// Starts one task per check of the fleet. The first round starts at
    /// once; each check then waits its own interval.
    pub fn start(fleet: &Fleet, sources: Sources, events: mpsc::Sender<Event>) -> Engine {
        let limit = Arc::new(Semaphore::new(DEFAULT_CONCURRENCY));
        let refresh = Arc::new(Notify::new());
        let mut tasks = JoinSet::new();
        for (_, check) in fleet.checks() {
            let check = check.clone();
            let sources = sources.clone();
            let events = events.clone();
            let limit = limit.clone();
            let refresh = refresh.clone();
            tasks.spawn(async move {
                loop {
                    let result = run_check(&sources, &check, &limit).await;
                    if events.send(Event::Result(result)).await.is_err() {
                        return; // nobody listens any more
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(check.interval) => {}
                        _ = refresh.notified() => {}
                    }
                }
            });
        }
        Engine { tasks, refresh }
    }

    /// Runs every check now instead of waiting for its interval.
    pub fn refresh(&self) {
        self.refresh.notify_waiters();
    }

    pub fn check_count(&self) -> usize {
        self.tasks.len()
    }
}

async fn run_check(sources: &Sources, check: &Check, limit: &Semaphore) -> CheckResult {
    // The semaphore is never closed; if it were, probing without a permit
    // is better than not probing.
    let _permit = limit.acquire().await.ok();
    let probe = sources.probe(&check.kind, check.timeout).await;
    CheckResult {
        check_id: check.id.clone(),
        at: Utc::now(),
        status: probe.status,
        observed: probe.status,
        latency_ms: probe.latency_ms,
        message: probe.message,
        metrics: probe.metrics,
        flapping: false,
    }
}

/// Runs every check of the fleet once, concurrently, and returns the results
/// in fleet order (for `vigie check` and `vigie snapshot`). No check takes
/// longer than its own timeout.
pub async fn run_once(fleet: &Fleet, sources: &Sources) -> Vec<CheckResult> {
    let limit = Arc::new(Semaphore::new(DEFAULT_CONCURRENCY));
    let mut set = JoinSet::new();
    for (index, (_, check)) in fleet.checks().enumerate() {
        let check = check.clone();
        let sources = sources.clone();
        let limit = limit.clone();
        set.spawn(async move { (index, run_check(&sources, &check, &limit).await) });
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
        .map(|(_, c)| c.timeout)
        .max()
        .unwrap_or(Duration::from_secs(1))
}

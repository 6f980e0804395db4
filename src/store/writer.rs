//! The one writer of a process: a thread with its own connection, fed by a
//! channel, committing whatever is queued in one transaction per batch.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::fault::{FaultKind, StoreFault, classify};
use super::state::{Run, advance, backdate};
use super::{StoreError, StoreOptions, history, migrations, open, to_ms};
use crate::model::{CheckResult, Retention, Status};

/// Most check results that wait in memory while the disk is full (about
/// ten minutes of 5,000 checks every minute); past it the oldest are lost.
pub const MAX_WAITING_RESULTS: usize = 50_000;

/// How long a check result waits in memory for the disk at most: past it
/// the oldest are lost, so a disk full for hours does not exhaust memory.
pub const MAX_WAIT: Duration = Duration::from_secs(3600);

/// How often the log repeats that the store cannot be written, with a count,
/// rather than a line per failed write.
const SAY_EVERY: Duration = Duration::from_secs(60);

/// How often waiting results are tried again when nothing new arrives.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// Most operations folded into one transaction, so that a producer faster
/// than the disk still sees its flushes answered now and then.
const MAX_BATCH_OPS: usize = 4096;

/// One thing to write. Sent to the [`Writer`], applied in order.
#[derive(Debug)]
pub enum WriteOp {
    /// One probe outcome; also moves the check's latest state.
    Result(CheckResult),
    /// Many outcomes at once (seeding history): one transaction.
    Results(Vec<CheckResult>),
    /// Outcomes older than anything stored for their checks (demo history
    /// written newest week first): they go to raw history, rollups and
    /// closed intervals, and leave the current states alone.
    Backfill(Vec<CheckResult>),
    /// "This process is alive", one row per role (`daemon`, `console`...).
    Heartbeat {
        role: String,
        pid: u32,
        host: String,
        at: DateTime<Utc>,
    },
    /// Who did what, for the audit log.
    Audit {
        at: DateTime<Utc>,
        actor: String,
        action: String,
        detail: String,
    },
    /// Drops raw results older than `before`. Latest states, heartbeats and
    /// the audit log are kept.
    Prune { before: DateTime<Utc> },
    /// Drops raw results, rollups and closed intervals older than the
    /// retention of each (sent by the collector every hour).
    PruneHistory {
        now: DateTime<Utc>,
        retention: Retention,
    },
    /// Usage meter samples (see `store::usage`).
    Usage(Vec<super::usage::UsageSample>),
    /// Backup listings, pings and seeded runs (see `store::backups`).
    Backup(super::backups::BackupWrite),
    /// Creates or changes a maintenance window; a version whose SEQUENCE
    /// is not above the stored one is ignored.
    SaveWindow(crate::model::maintenance::MaintenanceWindow),
    /// A POS store's round: its view, alert tracker and timeline.
    Pos(Box<super::pos::PosWrite>),
    /// The alerts' lifecycle: a round's records, acknowledgements and
    /// silences (with their audit rows).
    Alerts(super::attention::AlertWrite),
    /// Paging's queue: pages decided, delivered, failed.
    Pages(super::pages::PageWrite),
    /// Answered once everything sent before it is committed (or failed).
    Flush(Sender<()>),
}

/// The process's only writer. Dropping it writes what is queued, then stops
/// the thread.
#[derive(Debug)]
pub struct Writer {
    ops: Option<Sender<WriteOp>>,
    thread: Option<JoinHandle<()>>,
    path: PathBuf,
    fault: Arc<Mutex<Option<StoreFault>>>,
}

impl Writer {
    /// Opens the database (creating it if needed), migrates it, then starts
    /// the writer thread. Every problem with the file surfaces here.
    pub fn spawn(path: &Path) -> Result<Writer, StoreError> {
        Writer::spawn_with(path, &StoreOptions::default())
    }

    /// [`Writer::spawn`] with explicit options (a short busy timeout in tests).
    pub fn spawn_with(path: &Path, opts: &StoreOptions) -> Result<Writer, StoreError> {
        let mut conn = open::open_for_writing(path, opts)?;
        open::quick_check(path, opts)?;
        migrations::migrate(&mut conn, path)?;
        let (ops, queue) = mpsc::channel();
        let thread_path = path.to_path_buf();
        let fault = Arc::new(Mutex::new(None));
        let thread_fault = fault.clone();
        let thread = thread::Builder::new()
            .name("vigie-store-writer".into())
            .spawn(move || run(conn, queue, &thread_path, &thread_fault))
            .map_err(|source| StoreError::Thread {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Writer {
            ops: Some(ops),
            thread: Some(thread),
            path: path.to_path_buf(),
            fault,
        })
    }

    /// Why writes fail now, if they do: the daemon publishes it (see
    /// `claim::DaemonClaim::publish`), since the store cannot say it.
    pub fn fault(&self) -> Option<StoreFault> {
        self.fault
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Queues `op` without waiting. Fails only if the writer thread is gone.
    pub fn send(&self, op: WriteOp) -> Result<(), StoreError> {
        let stopped = || StoreError::WriterStopped {
            path: self.path.clone(),
        };
        let ops = self.ops.as_ref().ok_or_else(stopped)?;
        ops.send(op).map_err(|_| stopped())
    }

    /// Blocks until everything sent before is written.
    pub fn flush(&self) -> Result<(), StoreError> {
        let (done, wait) = mpsc::channel();
        self.send(WriteOp::Flush(done))?;
        wait.recv().map_err(|_| StoreError::WriterStopped {
            path: self.path.clone(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A cheap handle other threads and tasks can send through. The writer
    /// stays one: handles only queue operations for its thread.
    pub fn handle(&self) -> WriteHandle {
        WriteHandle {
            ops: self.ops.clone(),
            path: self.path.clone(),
        }
    }
}

/// A clonable sender to the process's one [`Writer`].
#[derive(Debug, Clone)]
pub struct WriteHandle {
    ops: Option<Sender<WriteOp>>,
    path: PathBuf,
}

impl WriteHandle {
    /// Queues `op` without waiting. Fails only if the writer thread is gone.
    pub fn send(&self, op: WriteOp) -> Result<(), StoreError> {
        let stopped = || StoreError::WriterStopped {
            path: self.path.clone(),
        };
        let ops = self.ops.as_ref().ok_or_else(stopped)?;
        ops.send(op).map_err(|_| stopped())
    }

    /// Blocks until everything sent before is written.
    pub fn flush(&self) -> Result<(), StoreError> {
        let (done, wait) = mpsc::channel();
        self.send(WriteOp::Flush(done))?;
        wait.recv().map_err(|_| StoreError::WriterStopped {
            path: self.path.clone(),
        })
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel lets the thread drain the queue and return.
        drop(self.ops.take());
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::warn!(path = %self.path.display(), "the store writer thread panicked");
            }
        }
    }
}

/// What the writer thread keeps between batches while the store fails.
struct Failing<'a> {
    path: &'a Path,
    shared: &'a Mutex<Option<StoreFault>>,
    kind: Option<FaultKind>,
    since: DateTime<Utc>,
    /// SQLite's words for the first failure.
    detail: String,
    /// Check results not yet written, oldest first, with when they began
    /// to wait.
    waiting: VecDeque<(Instant, CheckResult)>,
    /// The waiting instants of the results being tried again, in order.
    retrying: Vec<Instant>,
    lost: u64,
    /// Other operations dropped meanwhile.
    dropped: u64,
    /// When the log last said so, and the failed writes since.
    said: Option<Instant>,
    failures: u64,
}

impl Failing<'_> {
    fn publish(&self) {
        let fault = self.kind.map(|kind| match kind {
            FaultKind::Damaged => StoreFault::Damaged {
                since: self.since,
                detail: self.detail.clone(),
            },
            FaultKind::Full => StoreFault::Full {
                since: self.since,
                waiting: self.waiting.len(),
                lost: self.lost,
            },
        });
        *self.shared.lock().unwrap_or_else(PoisonError::into_inner) = fault;
    }

    /// Records a failed batch: its results wait (bounded), its other
    /// operations (heartbeats, POS rounds...) are dropped. Whether the log
    /// said so this time (once a minute).
    fn failed(
        &mut self,
        kind: FaultKind,
        error: Option<&rusqlite::Error>,
        kept: Vec<CheckResult>,
        others: usize,
    ) -> bool {
        if self.kind.is_none() {
            self.since = Utc::now();
            self.said = None;
        }
        if let Some(e) = error.filter(|_| self.kind != Some(kind)) {
            self.detail = e.to_string();
        }
        // Damaged is final: nothing more is written to that file.
        if self.kind != Some(FaultKind::Damaged) {
            self.kind = Some(kind);
        }
        self.failures += 1;
        self.dropped += others as u64;
        match self.kind {
            Some(FaultKind::Full) => {
                // Results that waited already come back first, with their
                // first failure's instant.
                let now = Instant::now();
                let mut again = std::mem::take(&mut self.retrying).into_iter();
                for r in kept {
                    let since = again.next().unwrap_or(now);
                    self.waiting.push_back((since, r));
                }
                self.bound(now);
            }
            _ => {
                self.lost += (kept.len() + self.waiting.len()) as u64;
                self.waiting.clear();
            }
        }
        if self.said.is_none_or(|t| t.elapsed() >= SAY_EVERY) {
            let path = self.path.display();
            let error = &self.detail;
            match self.kind {
                Some(FaultKind::Damaged) => tracing::error!(
                    %path, %error, failures = self.failures, lost = self.lost,
                    dropped = self.dropped,
                    "store damaged: collecting stopped, the file is left as is; inspect it with `{}`",
                    super::fault::inspect_command(self.path)
                ),
                _ => tracing::error!(
                    %path, %error, failures = self.failures, waiting = self.waiting.len(),
                    lost = self.lost, dropped = self.dropped,
                    "store cannot be written (disk full): results wait in memory"
                ),
            }
            self.said = Some(Instant::now());
            self.failures = 0;
            self.publish();
            return true;
        }
        self.publish();
        false
    }

    /// Drops what waited too long or past the count.
    fn bound(&mut self, now: Instant) {
        while self.waiting.len() > MAX_WAITING_RESULTS
            || self
                .waiting
                .front()
                .is_some_and(|(since, _)| now.duration_since(*since) > MAX_WAIT)
        {
            self.waiting.pop_front();
            self.lost += 1;
        }
    }

    fn recovered(&mut self) {
        if self.kind.take().is_some() {
            tracing::warn!(
                path = %self.path.display(), lost = self.lost,
                "store writable again: waiting results written"
            );
            self.lost = 0;
            self.dropped = 0;
            self.failures = 0;
            self.publish();
        }
    }
}

fn run(
    mut conn: Connection,
    queue: Receiver<WriteOp>,
    path: &Path,
    fault: &Mutex<Option<StoreFault>>,
) {
    let mut failing = Failing {
        path,
        shared: fault,
        kind: None,
        since: Utc::now(),
        detail: String::new(),
        waiting: VecDeque::new(),
        retrying: Vec::new(),
        lost: 0,
        dropped: 0,
        said: None,
        failures: 0,
    };
    loop {
        // While results wait for space, try again now and then even if
        // nothing new comes.
        let first = if failing.waiting.is_empty() {
            match queue.recv() {
                Ok(op) => Some(op),
                Err(_) => break,
            }
        } else {
            match queue.recv_timeout(RETRY_EVERY) {
                Ok(op) => Some(op),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        };
        let mut batch: Vec<WriteOp> = first.into_iter().collect();
        while batch.len() < MAX_BATCH_OPS {
            match queue.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let mut flushes = Vec::new();
        let mut writes: Vec<WriteOp> = Vec::with_capacity(batch.len() + 1);
        if !failing.waiting.is_empty() {
            let (since, results): (Vec<Instant>, Vec<CheckResult>) =
                failing.waiting.drain(..).unzip();
            failing.retrying = since;
            writes.push(WriteOp::Results(results));
        }
        writes.extend(batch.into_iter().filter_map(|op| match op {
            WriteOp::Flush(done) => {
                flushes.push(done);
                None
            }
            op => Some(op),
        }));
        if failing.kind == Some(FaultKind::Damaged) {
            // Writing on would spread the damage: dropped, and counted.
            let dropped = writes.len();
            failing.failed(FaultKind::Damaged, None, Vec::new(), dropped);
        } else if !writes.is_empty() {
            match write_batch(&mut conn, writes, path) {
                Ok(()) => {
                    failing.retrying.clear();
                    failing.recovered();
                }
                Err(f) => {
                    failing.failed(f.kind, Some(&f.error), f.kept, f.others);
                }
            }
        }
        for done in flushes {
            // The flusher may have given up waiting; nothing to do then.
            let _ = done.send(());
        }
    }
    if !failing.waiting.is_empty() {
        tracing::error!(
            path = %path.display(), lost = failing.waiting.len(),
            "store still cannot be written at exit: waiting results lost"
        );
    }
}

/// Why one operation was not written; the rest of the batch still is.
#[derive(Debug, thiserror::Error)]
enum OpError {
    #[error("rejected: {0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// A batch undone because the store itself fails: its check results (to
/// wait for space) and how many other operations were lost.
struct BatchFault {
    kind: FaultKind,
    error: rusqlite::Error,
    kept: Vec<CheckResult>,
    others: usize,
}

/// Writes `writes` in one transaction, a savepoint per operation so a bad
/// one is skipped alone. A damaged file or a full disk undoes the whole
/// batch instead, since every later write would fail the same way.
fn write_batch(conn: &mut Connection, writes: Vec<WriteOp>, path: &Path) -> Result<(), BatchFault> {
    let mut kept: Vec<CheckResult> = Vec::new();
    let mut others = 0usize;
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(error) => {
            let Some(kind) = classify(&error) else {
                let path = path.display();
                tracing::warn!(%path, %error, lost = writes.len(), "store batch not started, dropped");
                return Ok(());
            };
            for op in writes {
                others += keep_results(op, &mut kept);
            }
            return Err(BatchFault {
                kind,
                error,
                kept,
                others,
            });
        }
    };
    let mut ops = writes.into_iter();
    while let Some(op) = ops.next() {
        let kind = op_kind(&op);
        // Results are applied by reference and kept until the commit, so
        // they can wait if the batch is undone.
        let outcome = match op {
            WriteOp::Result(r) => {
                let outcome = in_savepoint(&mut tx, |c| apply_results(c, std::slice::from_ref(&r)));
                kept.push(r);
                outcome
            }
            WriteOp::Results(rs) => {
                let outcome = in_savepoint(&mut tx, |c| apply_results(c, &rs));
                kept.extend(rs);
                outcome
            }
            op => {
                others += 1;
                in_savepoint(&mut tx, |c| apply(c, op))
            }
        };
        match outcome {
            Ok(()) => {}
            Err(OpError::Sqlite(error)) if classify(&error).is_some() => {
                drop(tx);
                for op in ops {
                    others += keep_results(op, &mut kept);
                }
                let kind = classify(&error).unwrap_or(FaultKind::Damaged);
                return Err(BatchFault {
                    kind,
                    error,
                    kept,
                    others,
                });
            }
            Err(e) => {
                let path = path.display();
                tracing::warn!(%path, op = kind, error = %e, "store operation skipped");
            }
        }
    }
    if let Err(error) = tx.commit() {
        if let Some(kind) = classify(&error) {
            return Err(BatchFault {
                kind,
                error,
                kept,
                others,
            });
        }
        let path = path.display();
        tracing::warn!(%path, %error, lost = kept.len() + others, "store batch commit failed, dropped");
    }
    Ok(())
}

/// Runs `f` in a savepoint of `tx`: undone alone if it fails.
fn in_savepoint(
    tx: &mut rusqlite::Transaction<'_>,
    f: impl FnOnce(&Connection) -> Result<(), OpError>,
) -> Result<(), OpError> {
    let sp = tx.savepoint()?;
    f(&sp)?;
    sp.commit()?;
    Ok(())
}

/// Moves `op`'s check results into `kept`; 1 if it held something else.
fn keep_results(op: WriteOp, kept: &mut Vec<CheckResult>) -> usize {
    match op {
        WriteOp::Result(r) => kept.push(r),
        WriteOp::Results(rs) => kept.extend(rs),
        WriteOp::Flush(_) => {}
        _ => return 1,
    }
    0
}

fn op_kind(op: &WriteOp) -> &'static str {
    match op {
        WriteOp::Result(_) => "result",
        WriteOp::Results(_) => "results",
        WriteOp::Backfill(_) => "backfill",
        WriteOp::Heartbeat { .. } => "heartbeat",
        WriteOp::Audit { .. } => "audit",
        WriteOp::Prune { .. } => "prune",
        WriteOp::PruneHistory { .. } => "prune history",
        WriteOp::SaveWindow(_) => "save maintenance window",
        WriteOp::Flush(_) => "flush",
        WriteOp::Backup(_) => "backup",
        WriteOp::Pos(_) => "POS state",
        WriteOp::Usage(_) => "usage",
        WriteOp::Alerts(_) => "alerts",
        WriteOp::Pages(_) => "pages",
    }
}

fn apply(conn: &Connection, op: WriteOp) -> Result<(), OpError> {
    match op {
        WriteOp::Result(result) => apply_results(conn, std::slice::from_ref(&result)),
        WriteOp::Results(results) => apply_results(conn, &results),
        WriteOp::Backfill(results) => backfill(conn, &results),
        WriteOp::Heartbeat {
            role,
            pid,
            host,
            at,
        } => {
            if role.is_empty() {
                return Err(OpError::Invalid("a heartbeat without a role"));
            }
            conn.prepare_cached(
                "INSERT INTO heartbeat (role, pid, host, at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (role) DO UPDATE
                 SET pid = excluded.pid, host = excluded.host, at_ms = excluded.at_ms",
            )?
            .execute(params![role, pid, host, to_ms(at)])?;
            Ok(())
        }
        WriteOp::Audit {
            at,
            actor,
            action,
            detail,
        } => {
            conn.prepare_cached(
                "INSERT INTO audit_log (at_ms, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![to_ms(at), actor, action, detail])?;
            Ok(())
        }
        WriteOp::Prune { before } => {
            let gone = conn
                .prepare_cached("DELETE FROM check_results WHERE at_ms < ?1")?
                .execute([to_ms(before)])?;
            tracing::info!(rows = gone, before = %before, "old check results pruned");
            Ok(())
        }
        WriteOp::PruneHistory { now, retention } => {
            let gone = history::prune(conn, now, &retention)?;
            tracing::info!(rows = gone, "history pruned to its retention");
            Ok(())
        }
        WriteOp::Backup(w) => Ok(super::backups::apply(conn, w)?),
        WriteOp::Pos(w) => Ok(super::pos::apply(conn, *w)?),
        WriteOp::Usage(samples) => Ok(super::usage::apply(conn, samples)?),
        WriteOp::SaveWindow(w) => {
            if w.uid.is_empty() || w.end <= w.start {
                return Err(OpError::Invalid(
                    "a maintenance window without a UID or a duration",
                ));
            }
            if !super::maintenance::save(conn, &w)? {
                tracing::warn!(uid = %w.uid, sequence = w.sequence, "stale maintenance window version ignored");
            }
            Ok(())
        }
        WriteOp::Alerts(w) => {
            if !super::attention::apply(conn, w)? {
                tracing::warn!("alert write named no open alert or silence, ignored");
            }
            Ok(())
        }
        WriteOp::Pages(w) => Ok(super::pages::apply(conn, w)?),
        // Split off before the batch is written.
        WriteOp::Flush(_) => Ok(()),
    }
}

/// Check results as sent: one without a check id is refused (alone) or
/// skipped (among others).
fn apply_results(conn: &Connection, results: &[CheckResult]) -> Result<(), OpError> {
    if !results.iter().any(|r| r.check_id.is_empty()) {
        return insert_results(conn, results);
    }
    if results.len() == 1 {
        return Err(OpError::Invalid("a check result without a check id"));
    }
    let named: Vec<CheckResult> = results
        .iter()
        .filter(|r| !r.check_id.is_empty())
        .cloned()
        .collect();
    tracing::warn!(
        skipped = results.len() - named.len(),
        "check results without a check id skipped"
    );
    insert_results(conn, &named)
}

/// Appends to history, then moves each touched check's state once, from its
/// results in time order.
fn insert_results(conn: &Connection, results: &[CheckResult]) -> Result<(), OpError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO check_results (check_id, at_ms, status, latency_ms, message)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for r in results {
        insert.execute(params![
            r.check_id,
            to_ms(r.at),
            r.status.code(),
            r.latency_ms,
            r.message
        ])?;
    }

    let mut ordered: Vec<&CheckResult> = results.iter().collect();
    // Stable: equal instants keep their arrival order, as the backfill does.
    ordered.sort_by(|a, b| a.check_id.cmp(&b.check_id).then(a.at.cmp(&b.at)));
    for group in ordered.chunk_by(|a, b| a.check_id == b.check_id) {
        update_state(conn, group)?;
    }
    Ok(())
}

fn backfill(conn: &Connection, results: &[CheckResult]) -> Result<(), OpError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO check_results (check_id, at_ms, status, latency_ms, message)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut ordered: Vec<&CheckResult> =
        results.iter().filter(|r| !r.check_id.is_empty()).collect();
    ordered.sort_by(|a, b| a.check_id.cmp(&b.check_id).then(a.at.cmp(&b.at)));
    for group in ordered.chunk_by(|a, b| a.check_id == b.check_id) {
        let key = history::check_key(conn, &group[0].check_id)?;
        for r in group {
            insert.execute(params![
                r.check_id,
                to_ms(r.at),
                r.status.code(),
                r.latency_ms,
                r.message
            ])?;
            history::roll_up(conn, key, r)?;
        }
        history::backfill(conn, key, group)?;
    }
    Ok(())
}

/// `group`: results of one check, oldest first.
fn update_state(conn: &Connection, group: &[&CheckResult]) -> Result<(), OpError> {
    let Some(first) = group.first() else {
        return Ok(());
    };
    let stored: Option<Run> = conn
        .prepare_cached(
            "SELECT status, since_ms, last_at_ms FROM check_state
             WHERE check_id = ?1
               AND status IS NOT NULL AND since_ms IS NOT NULL AND last_at_ms IS NOT NULL",
        )?
        .query_row([&first.check_id], |row| {
            Ok(Run {
                status: row.get(0)?,
                since_ms: row.get(1)?,
                last_at_ms: row.get(2)?,
            })
        })
        .optional()?;

    let key = history::check_key(conn, &first.check_id)?;
    let mut run = stored;
    let mut latest = None;
    for r in group {
        history::roll_up(conn, key, r)?;
        if let Some(mut next) = advance(run, r.status.code(), to_ms(r.at)) {
            if run.is_none_or(|p| p.status != next.status) {
                if r.status == Status::Down {
                    next = backdate(run, next, r.first_failure.map(to_ms));
                }
                history::open_interval(conn, key, next.status, next.since_ms, &r.message)?;
            }
            run = Some(next);
            latest = Some(r);
        }
    }
    let (Some(run), Some(latest)) = (run, latest) else {
        // Only late results: the stored state stands.
        return Ok(());
    };
    conn.prepare_cached(
        "INSERT INTO check_state (check_id, status, since_ms, last_at_ms, latency_ms, message,
                                  observed, flapping, metrics)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (check_id) DO UPDATE
         SET status = excluded.status, since_ms = excluded.since_ms,
             last_at_ms = excluded.last_at_ms, latency_ms = excluded.latency_ms,
             message = excluded.message, observed = excluded.observed,
             flapping = excluded.flapping, metrics = excluded.metrics",
    )?
    .execute(params![
        latest.check_id,
        run.status,
        run.since_ms,
        run.last_at_ms,
        latest.latency_ms,
        latest.message,
        latest.observed.code(),
        latest.flapping,
        metrics_json(&latest.metrics),
    ])?;
    Ok(())
}

/// A result's metrics as stored in `check_state`: {"name": value}.
fn metrics_json(metrics: &[crate::model::Metric]) -> Option<String> {
    if metrics.is_empty() {
        return None;
    }
    let map: serde_json::Map<String, serde_json::Value> = metrics
        .iter()
        .filter(|m| m.value.is_finite())
        .map(|m| (m.name.clone(), serde_json::json!(m.value)))
        .collect();
    Some(serde_json::Value::Object(map).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failing<'a>(shared: &'a Mutex<Option<StoreFault>>) -> Failing<'a> {
        Failing {
            path: Path::new("/srv/vigie/vigie.db"),
            shared,
            kind: None,
            since: Utc::now(),
            detail: String::new(),
            waiting: VecDeque::new(),
            retrying: Vec::new(),
            lost: 0,
            dropped: 0,
            said: None,
            failures: 0,
        }
    }

    fn full() -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL), None)
    }

    fn up(n: usize) -> Vec<CheckResult> {
        (0..n)
            .map(|i| {
                CheckResult::observed(
                    format!("c{i}"),
                    Utc::now(),
                    crate::model::Status::Up,
                    None,
                    "up".to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn a_full_disk_is_logged_once_a_minute_not_per_write() {
        let shared = Mutex::new(None);
        let mut f = failing(&shared);
        let said = (0..100)
            .filter(|_| f.failed(FaultKind::Full, Some(&full()), up(1), 1))
            .count();
        assert_eq!(said, 1);
        assert_eq!(f.waiting.len(), 100);
        match shared.lock().unwrap().clone() {
            Some(StoreFault::Full { waiting, lost, .. }) => assert_eq!((waiting, lost), (100, 0)),
            other => panic!("{other:?}"),
        }
        f.recovered();
        assert_eq!(*shared.lock().unwrap(), None);
    }

    #[test]
    fn results_past_the_bound_are_lost_oldest_first() {
        let shared = Mutex::new(None);
        let mut f = failing(&shared);
        f.failed(FaultKind::Full, Some(&full()), up(MAX_WAITING_RESULTS), 0);
        f.failed(FaultKind::Full, Some(&full()), up(3), 0);
        assert_eq!(f.waiting.len(), MAX_WAITING_RESULTS);
        assert_eq!(f.lost, 3);
        assert_eq!(
            f.waiting.back().map(|(_, r)| r.check_id.as_str()),
            Some("c2")
        );
        // Waited past MAX_WAIT: lost too.
        f.bound(Instant::now() + MAX_WAIT + Duration::from_secs(1));
        assert!(f.waiting.is_empty());
        assert_eq!(f.lost, 3 + MAX_WAITING_RESULTS as u64);
    }

    #[test]
    fn store_writer_send_after_thread_is_gone_is_an_error_not_a_panic() {
        let (ops, queue) = mpsc::channel();
        drop(queue);
        let writer = Writer {
            ops: Some(ops),
            thread: None,
            path: PathBuf::from("/tmp/gone.db"),
            fault: Arc::default(),
        };
        let err = writer.send(WriteOp::Prune { before: Utc::now() });
        assert!(matches!(err, Err(StoreError::WriterStopped { .. })));
        assert!(matches!(
            writer.flush(),
            Err(StoreError::WriterStopped { .. })
        ));
    }
}

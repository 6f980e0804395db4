//! The one writer of a process: a thread with its own connection, fed by a
//! channel, committing whatever is queued in one transaction per batch.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::state::{Run, advance};
use super::{StoreError, StoreOptions, history, migrations, open, to_ms};
use crate::model::{CheckResult, Retention};

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
        migrations::migrate(&mut conn, path)?;
        let (ops, queue) = mpsc::channel();
        let thread_path = path.to_path_buf();
        let thread = thread::Builder::new()
            .name("vigie-store-writer".into())
            .spawn(move || run(conn, queue, &thread_path))
            .map_err(|source| StoreError::Thread {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Writer {
            ops: Some(ops),
            thread: Some(thread),
            path: path.to_path_buf(),
        })
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

fn run(mut conn: Connection, queue: Receiver<WriteOp>, path: &Path) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH_OPS {
            match queue.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let mut flushes = Vec::new();
        let writes: Vec<WriteOp> = batch
            .into_iter()
            .filter_map(|op| match op {
                WriteOp::Flush(done) => {
                    flushes.push(done);
                    None
                }
                op => Some(op),
            })
            .collect();
        if !writes.is_empty() {
            write_batch(&mut conn, writes, path);
        }
        for done in flushes {
            // The flusher may have given up waiting; nothing to do then.
            let _ = done.send(());
        }
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

fn write_batch(conn: &mut Connection, writes: Vec<WriteOp>, path: &Path) {
    let count = writes.len();
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let path = path.display();
            tracing::warn!(%path, error = %e, lost = count, "store batch not started, dropped");
            return;
        }
    };
    for op in writes {
        let kind = op_kind(&op);
        // A savepoint per operation: a bad one is undone alone.
        let outcome = tx.savepoint().map_err(OpError::from).and_then(|sp| {
            apply(&sp, op)?;
            sp.commit()?;
            Ok(())
        });
        if let Err(e) = outcome {
            let path = path.display();
            tracing::warn!(%path, op = kind, error = %e, "store operation skipped");
        }
    }
    if let Err(e) = tx.commit() {
        let path = path.display();
        tracing::warn!(%path, error = %e, lost = count, "store batch commit failed, dropped");
    }
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
    }
}

fn apply(conn: &Connection, op: WriteOp) -> Result<(), OpError> {
    match op {
        WriteOp::Result(result) => {
            if result.check_id.is_empty() {
                return Err(OpError::Invalid("a check result without a check id"));
            }
            insert_results(conn, &[result])
        }
        WriteOp::Results(results) => {
            let before = results.len();
            let results: Vec<CheckResult> = results
                .into_iter()
                .filter(|r| !r.check_id.is_empty())
                .collect();
            if results.len() < before {
                tracing::warn!(
                    skipped = before - results.len(),
                    "check results without a check id skipped"
                );
            }
            insert_results(conn, &results)
        }
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
        // Split off before the batch is written.
        WriteOp::Flush(_) => Ok(()),
    }
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
        if let Some(next) = advance(run, r.status.code(), to_ms(r.at)) {
            if run.is_none_or(|p| p.status != next.status) {
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

    #[test]
    fn store_writer_send_after_thread_is_gone_is_an_error_not_a_panic() {
        let (ops, queue) = mpsc::channel();
        drop(queue);
        let writer = Writer {
            ops: Some(ops),
            thread: None,
            path: PathBuf::from("/tmp/gone.db"),
        };
        let err = writer.send(WriteOp::Prune { before: Utc::now() });
        assert!(matches!(err, Err(StoreError::WriterStopped { .. })));
        assert!(matches!(
            writer.flush(),
            Err(StoreError::WriterStopped { .. })
        ));
    }
}

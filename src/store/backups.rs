//! Backups in the store: the run log (kept after a repository prunes its
//! points, so a pruned day is never shown as missed), the restore points of
//! each source's last listing, and its last listing's time and error.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{Reader, StoreError, from_ms, to_ms};
use crate::model::backup::{BackupRun, RestorePoint, RunOutcome};

/// How long a `/start` ping waits for its end: a later success or failure
/// takes the start within this span as its beginning.
pub const RUN_MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// A backup write, sent to the writer as `WriteOp::Backup`.
#[derive(Debug, Clone)]
pub enum BackupWrite {
    /// A repository was listed: on success its points replace the source's
    /// and each becomes a run in the log; on failure the error is kept and
    /// the last known points stay.
    Listing {
        source: String,
        at: DateTime<Utc>,
        result: Result<Vec<RestorePoint>, String>,
    },
    /// A Healthchecks-style ping (`/start`, success, `/fail`).
    Ping {
        source: String,
        at: DateTime<Utc>,
        outcome: RunOutcome,
    },
    /// A note shown until the source's next listing ("preparing demo
    /// repositories…"); `None` clears it.
    Note {
        source: String,
        note: Option<String>,
    },
    /// Runs written as they are (demo history).
    Runs {
        source: String,
        runs: Vec<BackupRun>,
    },
}

pub(super) fn apply(conn: &Connection, w: BackupWrite) -> rusqlite::Result<()> {
    match w {
        BackupWrite::Listing { source, at, result } => {
            let error = match result {
                Ok(points) => {
                    conn.prepare_cached("DELETE FROM backup_points WHERE source = ?1")?
                        .execute([&source])?;
                    let mut point = conn.prepare_cached(
                        "INSERT OR REPLACE INTO backup_points
                         (source, id, at_ms, size, duration_ms, detail)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?;
                    let mut run = conn.prepare_cached(
                        "INSERT OR IGNORE INTO backup_runs
                         (source, at_ms, origin, outcome, started_ms, size)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?;
                    for p in &points {
                        let size = p.size.and_then(|s| i64::try_from(s).ok());
                        let dur = p.duration.map(|d| d.as_millis() as i64);
                        point.execute(params![source, p.id, to_ms(p.at), size, dur, p.detail])?;
                        let started = dur.map(|d| to_ms(p.at) - d);
                        run.execute(params![
                            source,
                            to_ms(p.at),
                            format!("point:{}", p.id),
                            RunOutcome::Success.code(),
                            started,
                            size
                        ])?;
                    }
                    None
                }
                Err(e) => Some(e),
            };
            conn.prepare_cached(
                "INSERT INTO backup_sources (source, checked_ms, error, note)
                 VALUES (?1, ?2, ?3, NULL)
                 ON CONFLICT (source) DO UPDATE
                 SET checked_ms = excluded.checked_ms, error = excluded.error, note = NULL",
            )?
            .execute(params![source, to_ms(at), error])?;
            Ok(())
        }
        BackupWrite::Ping {
            source,
            at,
            outcome,
        } => {
            let mut started = None;
            if outcome != RunOutcome::Started {
                // The latest open start of this source, within a day.
                let since = to_ms(at) - RUN_MAX_DURATION.as_millis() as i64;
                let mut q = conn.prepare_cached(
                    "SELECT at_ms FROM backup_runs
                     WHERE source = ?1 AND origin = 'ping' AND outcome = 0
                       AND at_ms >= ?2 AND at_ms <= ?3
                     ORDER BY at_ms DESC LIMIT 1",
                )?;
                let mut rows = q.query(params![source, since, to_ms(at)])?;
                if let Some(row) = rows.next()? {
                    let s: i64 = row.get(0)?;
                    started = Some(s);
                }
                drop(rows);
                if let Some(s) = started {
                    conn.prepare_cached(
                        "DELETE FROM backup_runs
                         WHERE source = ?1 AND origin = 'ping' AND outcome = 0 AND at_ms = ?2",
                    )?
                    .execute(params![source, s])?;
                }
            }
            conn.prepare_cached(
                "INSERT OR REPLACE INTO backup_runs
                 (source, at_ms, origin, outcome, started_ms, size)
                 VALUES (?1, ?2, 'ping', ?3, ?4, NULL)",
            )?
            .execute(params![source, to_ms(at), outcome.code(), started])?;
            Ok(())
        }
        BackupWrite::Note { source, note } => {
            conn.prepare_cached(
                "INSERT INTO backup_sources (source, note) VALUES (?1, ?2)
                 ON CONFLICT (source) DO UPDATE SET note = excluded.note",
            )?
            .execute(params![source, note])?;
            Ok(())
        }
        BackupWrite::Runs { source, runs } => {
            let mut ins = conn.prepare_cached(
                "INSERT OR REPLACE INTO backup_runs
                 (source, at_ms, origin, outcome, started_ms, size)
                 VALUES (?1, ?2, 'seed', ?3, ?4, ?5)",
            )?;
            for r in runs {
                ins.execute(params![
                    source,
                    to_ms(r.at),
                    r.outcome.code(),
                    r.started.map(to_ms),
                    r.size.and_then(|s| i64::try_from(s).ok())
                ])?;
            }
            Ok(())
        }
    }
}

/// What the store holds for one source (the model's record of it).
pub type StoredBackup = crate::model::backup::SourceRecord;

impl Reader {
    /// Every source's points, runs since `runs_since`, and listing state,
    /// by source id.
    pub fn backups(
        &self,
        runs_since: DateTime<Utc>,
    ) -> Result<BTreeMap<String, StoredBackup>, StoreError> {
        let conn = self.conn();
        let mut out: BTreeMap<String, StoredBackup> = BTreeMap::new();
        let mut read = || -> rusqlite::Result<()> {
            let mut q = conn.prepare_cached(
                "SELECT source, id, at_ms, size, duration_ms, detail FROM backup_points
                 ORDER BY source, at_ms",
            )?;
            let mut rows = q.query([])?;
            while let Some(r) = rows.next()? {
                let source: String = r.get(0)?;
                let size: Option<i64> = r.get(3)?;
                let dur: Option<i64> = r.get(4)?;
                out.entry(source).or_default().points.push(RestorePoint {
                    id: r.get(1)?,
                    at: from_ms(r.get(2)?),
                    size: size.and_then(|s| u64::try_from(s).ok()),
                    duration: dur
                        .and_then(|d| u64::try_from(d).ok())
                        .map(Duration::from_millis),
                    detail: r.get(5)?,
                });
            }
            let mut q = conn.prepare_cached(
                "SELECT source, at_ms, outcome, started_ms, size FROM backup_runs
                 WHERE at_ms >= ?1 ORDER BY source, at_ms",
            )?;
            let mut rows = q.query([to_ms(runs_since)])?;
            while let Some(r) = rows.next()? {
                let source: String = r.get(0)?;
                let started: Option<i64> = r.get(3)?;
                let size: Option<i64> = r.get(4)?;
                out.entry(source).or_default().runs.push(BackupRun {
                    at: from_ms(r.get(1)?),
                    started: started.map(from_ms),
                    outcome: RunOutcome::from_code(r.get(2)?),
                    size: size.and_then(|s| u64::try_from(s).ok()),
                });
            }
            let mut q =
                conn.prepare_cached("SELECT source, checked_ms, error, note FROM backup_sources")?;
            let mut rows = q.query([])?;
            while let Some(r) = rows.next()? {
                let source: String = r.get(0)?;
                let e = out.entry(source).or_default();
                let checked: Option<i64> = r.get(1)?;
                e.checked = checked.map(from_ms);
                e.error = r.get(2)?;
                e.note = r.get(3)?;
            }
            Ok(())
        };
        read().map_err(|e| self.fail(e))?;
        Ok(out)
    }
}

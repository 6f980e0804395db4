//! Read queries, on a connection of their own that never writes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::history::{self, Bucket, MetricBucket, MinuteSeries, Resolution, StoredInterval};
use super::{SCHEMA_VERSION, StoreError, StoreOptions, from_ms, open, to_ms};
use crate::model::{CheckResult, Metric, Status};

/// Metrics as `check_state` keeps them ({"name": value}); anything else is
/// no metrics, not an error.
fn parse_metrics(text: Option<&str>) -> Vec<Metric> {
    let Some(Ok(serde_json::Value::Object(map))) = text.map(serde_json::from_str) else {
        return Vec::new();
    };
    map.into_iter()
        .filter_map(|(k, v)| Some(Metric::new(k, v.as_f64()?)))
        .collect()
}

/// The latest known state of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckState {
    pub check_id: String,
    pub status: Status,
    /// When the current status began (first result of the current run).
    pub since: DateTime<Utc>,
    /// The latest result.
    pub last_at: DateTime<Utc>,
    pub latency_ms: Option<u32>,
    pub message: String,
    /// What the latest probe alone said.
    pub observed: Status,
    pub flapping: bool,
    /// The latest result's metrics.
    pub metrics: Vec<Metric>,
}

/// The last sign of life of a process in some role (`daemon`...).
#[derive(Debug, Clone, PartialEq)]
pub struct Heartbeat {
    pub pid: u32,
    pub host: String,
    pub at: DateTime<Utc>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// Whether the process behind `hb` should be trusted to be running at `now`:
/// it beat within `max_age`. A beat further than `max_age` in the future is
/// not trusted either (the clock moved), so a console can take over.
pub fn daemon_alive(hb: Option<&Heartbeat>, now: DateTime<Utc>, max_age: TimeDelta) -> bool {
    hb.is_some_and(|hb| {
        let age = now.signed_duration_since(hb.at);
        age <= max_age && -age <= max_age
    })
}

/// A read-only view of the store. One per thread (a connection is not `Sync`).
#[derive(Debug)]
pub struct Reader {
    conn: Connection,
    path: PathBuf,
    opts: StoreOptions,
}

impl Reader {
    /// Opens an existing database at [`SCHEMA_VERSION`]. Creating and
    /// upgrading is the [`super::Writer`]'s job.
    pub fn open(path: &Path) -> Result<Reader, StoreError> {
        Reader::open_with(path, &StoreOptions::default())
    }

    pub fn open_with(path: &Path, opts: &StoreOptions) -> Result<Reader, StoreError> {
        let conn = open::open_for_reading(path, opts)?;
        Ok(Reader {
            conn,
            path: path.to_path_buf(),
            opts: opts.clone(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The read-only connection, for the store's other read modules.
    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(super) fn fail(&self, err: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(&self.path, self.opts.busy_timeout, err)
    }

    /// Every check's latest state, by check id.
    pub fn latest_states(&self) -> Result<Vec<CheckState>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT check_id, status, COALESCE(since_ms, last_at_ms), last_at_ms,
                        latency_ms, COALESCE(message, ''), COALESCE(observed, status),
                        flapping, metrics
                 FROM check_state WHERE last_at_ms IS NOT NULL
                 ORDER BY check_id",
            )
            .map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(CheckState {
                    check_id: row.get(0)?,
                    status: Status::from_code(row.get::<_, Option<i64>>(1)?.unwrap_or(-1)),
                    since: from_ms(row.get(2)?),
                    last_at: from_ms(row.get(3)?),
                    latency_ms: latency(row, 4)?,
                    message: row.get(5)?,
                    observed: Status::from_code(row.get::<_, Option<i64>>(6)?.unwrap_or(-1)),
                    flapping: row.get::<_, Option<bool>>(7)?.unwrap_or(false),
                    metrics: parse_metrics(row.get::<_, Option<String>>(8)?.as_deref()),
                })
            })
            .map_err(|e| self.fail(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.fail(e))
    }

    /// Latency and metric buckets of one check over [from, to).
    pub fn latency_buckets(
        &self,
        check_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        res: Resolution,
    ) -> Result<Vec<Bucket>, StoreError> {
        history::latency_buckets(&self.conn, check_id, from, to, res).map_err(|e| self.fail(e))
    }

    pub fn metric_buckets(
        &self,
        check_id: &str,
        metric: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        res: Resolution,
    ) -> Result<Vec<MetricBucket>, StoreError> {
        history::metric_buckets(&self.conn, check_id, metric, from, to, res)
            .map_err(|e| self.fail(e))
    }

    /// The plugin figures of `check_id` with rollups over [from, to).
    pub fn figure_names(
        &self,
        check_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        res: Resolution,
    ) -> Result<Vec<String>, StoreError> {
        history::figure_names(&self.conn, check_id, from, to, res).map_err(|e| self.fail(e))
    }

    /// Average latency per minute of every check since `since` (one query
    /// for all the sparklines).
    pub fn minute_latencies(
        &self,
        since: DateTime<Utc>,
    ) -> Result<HashMap<String, MinuteSeries>, StoreError> {
        history::minute_latencies(&self.conn, since).map_err(|e| self.fail(e))
    }

    /// State intervals overlapping [from, to) of `check_ids` (all if empty).
    pub fn intervals(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        check_ids: &[String],
    ) -> Result<Vec<StoredInterval>, StoreError> {
        history::intervals(&self.conn, from, to, check_ids).map_err(|e| self.fail(e))
    }

    /// Every maintenance window, by start.
    pub fn maintenance_windows(
        &self,
    ) -> Result<Vec<crate::model::maintenance::MaintenanceWindow>, StoreError> {
        super::maintenance::all(&self.conn).map_err(|e| self.fail(e))
    }

    /// The alerts' lifecycle records, by alert id.
    pub fn alert_records(
        &self,
    ) -> Result<std::collections::BTreeMap<String, crate::model::attention::Record>, StoreError>
    {
        super::attention::records(&self.conn).map_err(|e| self.fail(e))
    }

    /// What paging decided, per alert (the timeline's memory).
    pub fn pages_sent(&self) -> Result<Vec<crate::model::paging::Sent>, StoreError> {
        super::pages::sent(&self.conn).map_err(|e| self.fail(e))
    }

    /// Pages still to deliver whose next try is due at `now`.
    pub fn pages_pending(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<super::pages::Pending>, StoreError> {
        super::pages::pending(&self.conn, now).map_err(|e| self.fail(e))
    }

    /// Since when the oldest page already tried is still undelivered.
    pub fn pages_failing_since(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        super::pages::failing_since(&self.conn).map_err(|e| self.fail(e))
    }

    /// The alert as the newest page about it said it.
    pub fn page_alert(
        &self,
        alert: &str,
    ) -> Result<Option<crate::model::attention::Alert>, StoreError> {
        super::pages::last_paged(&self.conn, alert).map_err(|e| self.fail(e))
    }

    /// Every page about one alert, oldest first.
    pub fn pages_of(&self, alert: &str) -> Result<Vec<super::pages::PageRecord>, StoreError> {
        super::pages::of_alert(&self.conn, alert).map_err(|e| self.fail(e))
    }

    /// Silences not over at `now`.
    pub fn silences(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::model::attention::Silence>, StoreError> {
        super::attention::silences(&self.conn, now).map_err(|e| self.fail(e))
    }

    /// One maintenance window by UID.
    pub fn maintenance_window(
        &self,
        uid: &str,
    ) -> Result<Option<crate::model::maintenance::MaintenanceWindow>, StoreError> {
        super::maintenance::one(&self.conn, uid).map_err(|e| self.fail(e))
    }

    /// Results of `check_id` with `from <= at < to`, oldest first.
    pub fn history(
        &self,
        check_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CheckResult>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT check_id, at_ms, status, latency_ms, message FROM check_results
                 WHERE check_id = ?1 AND at_ms >= ?2 AND at_ms < ?3
                 ORDER BY at_ms, rowid",
            )
            .map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map(params![check_id, to_ms(from), to_ms(to)], |row| {
                Ok(CheckResult::observed(
                    row.get::<_, String>(0)?,
                    from_ms(row.get(1)?),
                    Status::from_code(row.get(2)?),
                    latency(row, 3)?,
                    row.get::<_, String>(4)?,
                ))
            })
            .map_err(|e| self.fail(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.fail(e))
    }

    /// Average latency of `check_id` in each of `buckets` equal slices of
    /// `[from, to)`, oldest first; `None` where no result had a latency.
    /// Feeds sparklines.
    pub fn latency_series(
        &self,
        check_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        buckets: usize,
    ) -> Result<Vec<Option<u32>>, StoreError> {
        let mut series = vec![None; buckets];
        let (from_ms, to_ms) = (to_ms(from), to_ms(to));
        if buckets == 0 || to_ms <= from_ms {
            return Ok(series);
        }
        let n = i64::try_from(buckets).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT (at_ms - ?2) * ?4 / (?3 - ?2) AS bucket, AVG(latency_ms)
                 FROM check_results
                 WHERE check_id = ?1 AND at_ms >= ?2 AND at_ms < ?3 AND latency_ms IS NOT NULL
                 GROUP BY bucket",
            )
            .map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map(params![check_id, from_ms, to_ms, n], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, f64>(1)?))
            })
            .map_err(|e| self.fail(e))?;
        for row in rows {
            let (bucket, avg) = row.map_err(|e| self.fail(e))?;
            let slot = usize::try_from(bucket).ok().and_then(|b| series.get_mut(b));
            if let Some(slot) = slot {
                // Float to int `as` saturates; latencies are far below u32::MAX.
                *slot = Some(avg.round() as u32);
            }
        }
        Ok(series)
    }

    /// The last heartbeat of `role`, if it ever beat.
    pub fn heartbeat(&self, role: &str) -> Result<Option<Heartbeat>, StoreError> {
        self.conn
            .prepare_cached("SELECT pid, host, at_ms FROM heartbeat WHERE role = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([role], |row| {
                    Ok(Heartbeat {
                        pid: u32::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
                        host: row.get(1)?,
                        at: from_ms(row.get(2)?),
                    })
                })
                .optional()
            })
            .map_err(|e| self.fail(e))
    }

    /// The daemon's last heartbeat when that daemon runs at `now`: it beat
    /// within `max_age` (or cannot, having published that the store fails)
    /// and, if it claimed the store (see `claim`), still holds the claim, so
    /// a daemon killed with -9 is seen gone at the next poll rather than
    /// when its heartbeat ages.
    pub fn live_daemon(&self, now: DateTime<Utc>, max_age: TimeDelta) -> Option<Heartbeat> {
        let held = super::claim::daemon_holds(&self.path);
        if held == Some(false) {
            return None;
        }
        let hb = self.heartbeat("daemon").ok().flatten()?;
        let failing = || held == Some(true) && super::claim::published_fault(&self.path).is_some();
        (daemon_alive(Some(&hb), now, max_age) || failing()).then_some(hb)
    }

    /// Changes whenever another connection commits: poll it to follow the
    /// writer without re-running queries for nothing.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA data_version", [], |row| row.get(0))
            .map_err(|e| self.fail(e))
    }

    /// The file's `user_version`; [`SCHEMA_VERSION`] unless the file was
    /// upgraded by a newer Vigie since we opened it.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let v: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| self.fail(e))?;
        u32::try_from(v).map_err(|_| StoreError::NotVigie {
            path: self.path.clone(),
            reason: format!("negative schema version {v} (expected {SCHEMA_VERSION})"),
        })
    }

    /// How many raw results are kept.
    pub fn count_results(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM check_results", [], |row| row.get(0))
            .map_err(|e| self.fail(e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The `n` most recent audit entries, newest first.
    pub fn recent_audit(&self, n: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::try_from(n).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT at_ms, COALESCE(actor, ''), COALESCE(action, ''), COALESCE(detail, '')
                 FROM audit_log WHERE at_ms IS NOT NULL
                 ORDER BY at_ms DESC, rowid DESC LIMIT ?1",
            )
            .map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map([limit], |row| {
                Ok(AuditEntry {
                    at: from_ms(row.get(0)?),
                    actor: row.get(1)?,
                    action: row.get(2)?,
                    detail: row.get(3)?,
                })
            })
            .map_err(|e| self.fail(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.fail(e))
    }
}

/// A latency column; a value that does not fit (hand-edited file) reads as unknown.
fn latency(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<u32>> {
    Ok(row
        .get::<_, Option<i64>>(idx)?
        .and_then(|v| u32::try_from(v).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn beat_at(at: DateTime<Utc>) -> Heartbeat {
        Heartbeat {
            pid: 42,
            host: "vigie-1".into(),
            at,
        }
    }

    #[test]
    fn store_daemon_alive_only_with_a_recent_heartbeat() {
        let now = Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap();
        let max = TimeDelta::seconds(15);
        let cases = [
            (None, false),
            (Some(beat_at(now)), true),
            (Some(beat_at(now - TimeDelta::seconds(15))), true),
            (Some(beat_at(now - TimeDelta::seconds(16))), false),
            (Some(beat_at(now + TimeDelta::seconds(2))), true),
            (Some(beat_at(now + TimeDelta::hours(1))), false),
        ];
        for (hb, want) in cases {
            assert_eq!(daemon_alive(hb.as_ref(), now, max), want, "{hb:?}");
        }
    }
}

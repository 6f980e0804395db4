//! Health history in the store: state intervals and rollups, written by the
//! writer with each result, read by consoles and reports.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{from_ms, to_ms};
use crate::model::availability::Interval;
use crate::model::metric::names;
use crate::model::{CheckResult, Metric, Retention, Status};

/// The rollup resolutions, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    Minute,
    Hour,
    Day,
}

impl Resolution {
    pub const ALL: [Resolution; 3] = [Resolution::Minute, Resolution::Hour, Resolution::Day];

    pub fn seconds(self) -> i64 {
        match self {
            Resolution::Minute => 60,
            Resolution::Hour => 3_600,
            Resolution::Day => 86_400,
        }
    }

    /// The bucket (its start, in ms) an instant falls in. Day buckets are
    /// UTC days; availability is computed from intervals, not from these.
    pub fn bucket(self, at_ms: i64) -> i64 {
        let size = self.seconds() * 1_000;
        at_ms.div_euclid(size) * size
    }
}

/// A plugin's figures charted per result at most (the first ones it
/// prints, which plugins put first because they matter most).
pub const CHARTED_FIGURES: usize = 8;

/// The metrics charted in the detail view (the fullest disk stands for all
/// mounts; a plugin's first figures), so rollups stay small.
pub fn charted(metrics: &[Metric]) -> Vec<(&str, f64)> {
    let mut out = Vec::new();
    for name in [
        names::CPU_BUSY_PCT,
        names::MEM_USED_PCT,
        names::LOAD5_PER_CORE,
    ] {
        if let Some(m) = metrics.iter().find(|m| m.name == name) {
            out.push((name, m.value));
        }
    }
    if let Some(disk) = metrics
        .iter()
        .filter(|m| m.base() == names::DISK_USED_PCT)
        .map(|m| m.value)
        .reduce(f64::max)
    {
        out.push((names::DISK_USED_PCT, disk));
    }
    if let Some(m) = metrics.iter().find(|m| m.name == names::TLS_DAYS_LEFT) {
        out.push((names::TLS_DAYS_LEFT, m.value));
    }
    out.extend(
        metrics
            .iter()
            .filter(|m| names::is_perf(m.base()))
            .take(CHARTED_FIGURES)
            .map(|m| (m.name.as_str(), m.value)),
    );
    // A PostgreSQL server's figures, in the order the source lists them
    // (connections, archive age, replication lag first).
    out.extend(
        metrics
            .iter()
            .filter(|m| names::is_pg(m.base()))
            .take(CHARTED_FIGURES)
            .map(|m| (m.name.as_str(), m.value)),
    );
    out
}

/// The integer key of a check, created on first use.
pub(crate) fn check_key(conn: &Connection, id: &str) -> rusqlite::Result<i64> {
    if let Some(key) = conn
        .prepare_cached("SELECT key FROM checks WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
    {
        return Ok(key);
    }
    conn.prepare_cached("INSERT INTO checks (id) VALUES (?1)")?
        .execute([id])?;
    Ok(conn.last_insert_rowid())
}

/// Adds one result to the three rollup resolutions.
pub(crate) fn roll_up(conn: &Connection, key: i64, r: &CheckResult) -> rusqlite::Result<()> {
    let at = to_ms(r.at);
    let ok = i64::from(matches!(r.observed, Status::Up | Status::Degraded));
    let lat = r.latency_ms.map(f64::from);
    let mut latency = conn.prepare_cached(
        "INSERT INTO rollups (resolution, bucket_ms, check_key, samples, ok, lat_n, lat_sum, lat_min, lat_max)
         VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?7)
         ON CONFLICT (resolution, bucket_ms, check_key) DO UPDATE SET
             samples = samples + 1,
             ok = ok + excluded.ok,
             lat_n = lat_n + excluded.lat_n,
             lat_sum = lat_sum + excluded.lat_sum,
             lat_min = CASE WHEN excluded.lat_min IS NULL THEN lat_min
                            WHEN lat_min IS NULL OR excluded.lat_min < lat_min THEN excluded.lat_min
                            ELSE lat_min END,
             lat_max = CASE WHEN excluded.lat_max IS NULL THEN lat_max
                            WHEN lat_max IS NULL OR excluded.lat_max > lat_max THEN excluded.lat_max
                            ELSE lat_max END",
    )?;
    let mut metric = conn.prepare_cached(
        "INSERT INTO metric_rollups (resolution, bucket_ms, check_key, metric, n, sum, min, max)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5, ?5)
         ON CONFLICT (resolution, bucket_ms, check_key, metric) DO UPDATE SET
             n = n + 1, sum = sum + excluded.sum,
             min = MIN(min, excluded.min), max = MAX(max, excluded.max)",
    )?;
    let charted = charted(&r.metrics);
    for res in Resolution::ALL {
        let bucket = res.bucket(at);
        latency.execute(params![
            res.seconds(),
            bucket,
            key,
            ok,
            i64::from(lat.is_some()),
            lat.unwrap_or(0.0),
            lat
        ])?;
        for (name, value) in &charted {
            if value.is_finite() {
                metric.execute(params![res.seconds(), bucket, key, name, value])?;
            }
        }
    }
    Ok(())
}

/// A new state run began at `at_ms`: closes the open interval, opens one.
pub(crate) fn open_interval(
    conn: &Connection,
    key: i64,
    status: i64,
    at_ms: i64,
    cause: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE state_intervals SET end_ms = ?2 WHERE check_key = ?1 AND end_ms IS NULL",
    )?
    .execute(params![key, at_ms])?;
    conn.prepare_cached(
        "INSERT INTO state_intervals (start_ms, check_key, end_ms, status, cause)
         VALUES (?1, ?2, NULL, ?3, ?4)
         ON CONFLICT (start_ms, check_key) DO UPDATE SET status = excluded.status, cause = excluded.cause, end_ms = NULL",
    )?
    .execute(params![at_ms, key, status, cause])?;
    Ok(())
}

/// History older than everything stored for one check (`results` in time
/// order): its runs become closed intervals ending where the check's stored
/// history begins (the first run joins the stored one when the state is the
/// same). The check's current state is not touched.
pub(crate) fn backfill(
    conn: &Connection,
    key: i64,
    results: &[&CheckResult],
) -> rusqlite::Result<()> {
    if results.is_empty() {
        return Ok(());
    }
    let earliest: Option<(i64, i64)> = conn
        .prepare_cached(
            "SELECT start_ms, status FROM state_intervals WHERE check_key = ?1 ORDER BY start_ms LIMIT 1",
        )?
        .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    // Runs of the backfilled results: (start, status, cause).
    let mut runs: Vec<(i64, i64, &str)> = Vec::new();
    for r in results {
        let at = to_ms(r.at);
        if earliest.is_some_and(|(start, _)| at >= start) {
            break; // overlaps what is stored: not backfill
        }
        if runs.last().is_none_or(|(_, s, _)| *s != r.status.code()) {
            runs.push((at, r.status.code(), &r.message));
        }
    }
    let end_of_all = earliest.map(|(start, _)| start);
    for (i, (start, status, cause)) in runs.iter().enumerate() {
        let end = runs.get(i + 1).map(|r| r.0).or(end_of_all);
        let joins = i + 1 == runs.len() && earliest.is_some_and(|(_, s)| s == *status);
        if joins {
            if let Some((old_start, _)) = earliest {
                conn.prepare_cached(
                    "UPDATE state_intervals SET start_ms = ?1 WHERE check_key = ?2 AND start_ms = ?3",
                )?
                .execute(params![start, key, old_start])?;
            }
            continue;
        }
        conn.prepare_cached(
            "INSERT OR IGNORE INTO state_intervals (start_ms, check_key, end_ms, status, cause)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![start, key, end, status, cause])?;
    }
    Ok(())
}

/// Deletes what is older than the retention: raw results, each rollup
/// resolution, and intervals that ended before the daily rollups' horizon.
pub(crate) fn prune(
    conn: &Connection,
    now: DateTime<Utc>,
    keep: &Retention,
) -> rusqlite::Result<usize> {
    let before =
        |d: std::time::Duration| to_ms(now) - i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2);
    let mut gone = conn
        .prepare_cached("DELETE FROM check_results WHERE at_ms < ?1")?
        .execute([before(keep.raw)])?;
    for (res, d) in [
        (Resolution::Minute, keep.minute),
        (Resolution::Hour, keep.hour),
        (Resolution::Day, keep.day),
    ] {
        for table in ["rollups", "metric_rollups"] {
            gone += conn
                .prepare_cached(&format!(
                    "DELETE FROM {table} WHERE resolution = ?1 AND bucket_ms < ?2"
                ))?
                .execute(params![res.seconds(), before(d)])?;
        }
    }
    gone += conn
        .prepare_cached("DELETE FROM state_intervals WHERE end_ms IS NOT NULL AND end_ms < ?1")?
        .execute([before(keep.day)])?;
    Ok(gone)
}

/// Average latency per minute, oldest first (`None`: no answer).
pub type MinuteSeries = Vec<(DateTime<Utc>, Option<f64>)>;

/// One bucket of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub at: DateTime<Utc>,
    pub samples: u32,
    pub ok: u32,
    pub latency_avg: Option<f64>,
    pub latency_min: Option<f64>,
    pub latency_max: Option<f64>,
}

/// One bucket of a metric series.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricBucket {
    pub at: DateTime<Utc>,
    pub avg: f64,
    pub min: f64,
    pub max: f64,
}

/// A stored state interval with its check id.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredInterval {
    pub check_id: String,
    pub interval: Interval,
    pub cause: String,
}

pub(crate) fn latency_buckets(
    conn: &Connection,
    check_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    res: Resolution,
) -> rusqlite::Result<Vec<Bucket>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.bucket_ms, r.samples, r.ok, r.lat_n, r.lat_sum, r.lat_min, r.lat_max
         FROM rollups AS r JOIN checks AS c ON c.key = r.check_key
         WHERE r.resolution = ?1 AND r.bucket_ms >= ?2 AND r.bucket_ms < ?3 AND c.id = ?4
         ORDER BY r.bucket_ms",
    )?;
    let rows = stmt.query_map(
        params![res.seconds(), res.bucket(to_ms(from)), to_ms(to), check_id],
        |row| {
            let n: i64 = row.get(3)?;
            let sum: f64 = row.get(4)?;
            Ok(Bucket {
                at: from_ms(row.get(0)?),
                samples: u32::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                ok: u32::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                latency_avg: (n > 0).then(|| sum / n as f64),
                latency_min: row.get(5)?,
                latency_max: row.get(6)?,
            })
        },
    )?;
    rows.collect()
}

pub(crate) fn metric_buckets(
    conn: &Connection,
    check_id: &str,
    metric: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    res: Resolution,
) -> rusqlite::Result<Vec<MetricBucket>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.bucket_ms, m.n, m.sum, m.min, m.max
         FROM metric_rollups AS m JOIN checks AS c ON c.key = m.check_key
         WHERE m.resolution = ?1 AND m.bucket_ms >= ?2 AND m.bucket_ms < ?3
           AND c.id = ?4 AND m.metric = ?5
         ORDER BY m.bucket_ms",
    )?;
    let rows = stmt.query_map(
        params![
            res.seconds(),
            res.bucket(to_ms(from)),
            to_ms(to),
            check_id,
            metric
        ],
        |row| {
            let n: i64 = row.get(1)?;
            let sum: f64 = row.get(2)?;
            Ok(MetricBucket {
                at: from_ms(row.get(0)?),
                avg: sum / (n.max(1) as f64),
                min: row.get(3)?,
                max: row.get(4)?,
            })
        },
    )?;
    rows.collect()
}

/// The names of a check's plugin figures rolled up at `res` over
/// [from, to), in name order.
pub(crate) fn figure_names(
    conn: &Connection,
    check_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    res: Resolution,
) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT m.metric
         FROM metric_rollups AS m JOIN checks AS c ON c.key = m.check_key
         WHERE m.resolution = ?1 AND m.bucket_ms >= ?2 AND m.bucket_ms < ?3
           AND c.id = ?4
           AND (m.metric LIKE 'perf%:%' OR m.metric LIKE 'pg!_%' ESCAPE '!')
         ORDER BY m.metric",
    )?;
    let rows = stmt.query_map(
        params![res.seconds(), res.bucket(to_ms(from)), to_ms(to), check_id],
        |row| row.get(0),
    )?;
    rows.collect()
}

/// Average latency per minute of every check since `since`.
pub(crate) fn minute_latencies(
    conn: &Connection,
    since: DateTime<Utc>,
) -> rusqlite::Result<HashMap<String, MinuteSeries>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, r.bucket_ms, r.lat_n, r.lat_sum
         FROM rollups AS r JOIN checks AS c ON c.key = r.check_key
         WHERE r.resolution = 60 AND r.bucket_ms >= ?1
         ORDER BY r.bucket_ms",
    )?;
    let mut out: HashMap<String, MinuteSeries> = HashMap::new();
    let rows = stmt.query_map([Resolution::Minute.bucket(to_ms(since))], |row| {
        let n: i64 = row.get(2)?;
        let sum: f64 = row.get(3)?;
        Ok((
            row.get::<_, String>(0)?,
            from_ms(row.get(1)?),
            (n > 0).then(|| sum / n as f64),
        ))
    })?;
    for row in rows {
        let (id, at, v) = row?;
        out.entry(id).or_default().push((at, v));
    }
    Ok(out)
}

/// Intervals overlapping [from, to), of the given checks (all when empty).
pub(crate) fn intervals(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    check_ids: &[String],
) -> rusqlite::Result<Vec<StoredInterval>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, i.start_ms, i.end_ms, i.status, i.cause
         FROM state_intervals AS i JOIN checks AS c ON c.key = i.check_key
         WHERE i.start_ms < ?2 AND (i.end_ms IS NULL OR i.end_ms > ?1)
         ORDER BY i.start_ms",
    )?;
    let rows = stmt.query_map(params![to_ms(from), to_ms(to)], |row| {
        let end: Option<i64> = row.get(2)?;
        Ok(StoredInterval {
            check_id: row.get(0)?,
            interval: Interval {
                start: from_ms(row.get(1)?),
                end: end.map(from_ms),
                status: Status::from_code(row.get(3)?),
            },
            cause: row.get(4)?,
        })
    })?;
    let mut out = Vec::new();
    for row in rows {
        let r = row?;
        if check_ids.is_empty() || check_ids.contains(&r.check_id) {
            out.push(r);
        }
    }
    Ok(out)
}

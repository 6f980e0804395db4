//! A PostgreSQL server seen from the inside: what one round of the
//! `postgres` check read (a [`Reading`]), and the rules that judge it
//! (issue 25: replicas that stop replaying, a WAL archive that stopped,
//! connections exhausted, transactions held open, blocked queries).
//!
//! Pure: the ages are computed by the server (`now() - ...`), so Vigie's
//! clock and the server's never mix.

use super::Status;
use super::metric::{Metric, Threshold, Thresholds, names};

/// A `postgres` check: a libpq URL (never with a password in it), where its
/// password comes from, how many replicas must stream, and thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct PostgresCheck {
    /// `postgresql://monitor@db1:5432/postgres`, shown as is.
    pub url: String,
    /// Environment variable or owner-only file; `None`: `.pgpass`, then
    /// no password.
    pub password: Option<super::alert::SecretSource>,
    /// On a primary: replicas that must be streaming (0: not checked).
    pub replicas: u32,
    pub thresholds: Thresholds,
}

/// One replica as its primary sees it (`pg_stat_replication`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaRow {
    /// `application_name` (the replica's `cluster_name` by default), or its
    /// address when empty.
    pub name: String,
    /// `streaming`, `catchup`, `startup`, `backup`, `stopping`.
    pub state: String,
    /// WAL bytes the primary has that the replica has not replayed.
    pub lag_bytes: Option<f64>,
    /// `replay_lag`: how long ago the newest replayed change was made.
    pub lag_s: Option<f64>,
}

/// A replication slot (`pg_replication_slots`).
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub name: String,
    pub active: bool,
    /// WAL kept on the primary's disk for it.
    pub retained_bytes: Option<f64>,
}

/// On a replica: its WAL receiver and replay position.
#[derive(Debug, Clone, PartialEq)]
pub struct Receiver {
    /// `pg_stat_wal_receiver.status` (`streaming`), `None` when no receiver
    /// runs (the primary is unreachable, or WAL comes from the archive only).
    pub status: Option<String>,
    /// Received but not yet replayed.
    pub lag_bytes: Option<f64>,
    /// Age of the last replayed transaction, 0 when all received WAL is
    /// replayed (an idle primary makes no new transactions).
    pub lag_s: Option<f64>,
}

/// The WAL archiver (`pg_stat_archiver`), when `archive_mode` is on.
#[derive(Debug, Clone, PartialEq)]
pub struct Archiver {
    pub archived_count: i64,
    pub last_archived_wal: Option<String>,
    /// Seconds since the last segment was archived: the point-in-time
    /// recovery RPO. `None` when nothing was ever archived.
    pub age_s: Option<f64>,
    pub failed_count: i64,
    pub last_failed_wal: Option<String>,
    /// Whether the last failure is newer than the last success: archiving
    /// is failing now.
    pub failing: bool,
}

/// What one round read from the server.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reading {
    /// `pg_is_in_recovery()`.
    pub replica: bool,
    /// Client connections, and those a non-superuser may open
    /// (`max_connections - superuser_reserved_connections`).
    pub connections: u32,
    pub connection_slots: u32,
    pub oldest_xact_s: Option<f64>,
    pub idle_in_xact_s: Option<f64>,
    /// Sessions waiting on another's lock.
    pub blocked: u32,
    pub databases: Vec<(String, f64)>,
    pub replicas: Vec<ReplicaRow>,
    pub slots: Vec<Slot>,
    pub receiver: Option<Receiver>,
    pub archiver: Option<Archiver>,
}

/// Default thresholds of a `postgres` check; `thresholds = {...}` overrides
/// them per metric. The archive age defaults to the one-hour RPO the
/// co-op's offer promises.
pub fn default_thresholds() -> Thresholds {
    use names::*;
    const MIB: f64 = 1024.0 * 1024.0;
    Thresholds(vec![
        Threshold::above(PG_CONNECTIONS_PCT, 80.0, 95.0),
        Threshold::above(PG_OLDEST_XACT_S, 3600.0, 6.0 * 3600.0),
        Threshold::above(PG_IDLE_IN_XACT_S, 300.0, 1800.0),
        Threshold::above(PG_BLOCKED, 3.0, 10.0),
        Threshold::above(PG_REPLICA_LAG_S, 60.0, 300.0),
        Threshold::above(PG_REPLICA_LAG_BYTES, 64.0 * MIB, 1024.0 * MIB),
        Threshold::above(PG_REPLAY_LAG_S, 60.0, 300.0),
        Threshold::above(PG_REPLAY_LAG_BYTES, 64.0 * MIB, 1024.0 * MIB),
        Threshold::above(PG_SLOT_RETAINED_BYTES, 1024.0 * MIB, 10.0 * 1024.0 * MIB),
        Threshold::above(PG_ARCHIVE_AGE_S, 3600.0, 2.0 * 3600.0),
    ])
}

/// The figures of a reading, named per [`names`] (`:subject` for a
/// replica, slot or database).
pub fn metrics(r: &Reading) -> Vec<Metric> {
    use names::*;
    let mut out = Vec::new();
    if r.connection_slots > 0 {
        let pct = f64::from(r.connections) * 100.0 / f64::from(r.connection_slots);
        out.push(Metric::new(PG_CONNECTIONS_PCT, pct));
    }
    out.push(Metric::new(PG_CONNECTIONS, f64::from(r.connections)));
    if let Some(a) = &r.archiver {
        if let Some(age) = a.age_s {
            out.push(Metric::new(PG_ARCHIVE_AGE_S, age));
        }
    }
    for rep in &r.replicas {
        if let Some(b) = rep.lag_bytes {
            out.push(Metric::new(
                format!("{PG_REPLICA_LAG_BYTES}:{}", rep.name),
                b,
            ));
        }
        if let Some(s) = rep.lag_s {
            out.push(Metric::new(format!("{PG_REPLICA_LAG_S}:{}", rep.name), s));
        }
    }
    if let Some(rec) = &r.receiver {
        if let Some(b) = rec.lag_bytes {
            out.push(Metric::new(PG_REPLAY_LAG_BYTES, b));
        }
        if let Some(s) = rec.lag_s {
            out.push(Metric::new(PG_REPLAY_LAG_S, s));
        }
    }
    if let Some(s) = r.oldest_xact_s {
        out.push(Metric::new(PG_OLDEST_XACT_S, s));
    }
    if let Some(s) = r.idle_in_xact_s {
        out.push(Metric::new(PG_IDLE_IN_XACT_S, s));
    }
    out.push(Metric::new(PG_BLOCKED, f64::from(r.blocked)));
    for slot in &r.slots {
        if let Some(b) = slot.retained_bytes {
            out.push(Metric::new(
                format!("{PG_SLOT_RETAINED_BYTES}:{}", slot.name),
                b,
            ));
        }
    }
    for (db, bytes) in &r.databases {
        out.push(Metric::new(format!("{PG_DB_BYTES}:{db}"), *bytes));
    }
    out
}

/// The state of the server and the reason: every finding worse than up,
/// worst first (at most three said), or a summary when all is well.
pub fn judge(r: &Reading, check: &PostgresCheck, metrics: &[Metric]) -> (Status, String) {
    let mut findings: Vec<(Status, String)> = Vec::new();
    if let Some(a) = &r.archiver {
        if a.failing {
            findings.push((
                Status::Down,
                format!(
                    "WAL archiving failing ({} failed, last {})",
                    a.failed_count,
                    a.last_failed_wal.as_deref().unwrap_or("?")
                ),
            ));
        }
    }
    if r.replica {
        match r.receiver.as_ref().and_then(|rec| rec.status.as_deref()) {
            Some("streaming") => {}
            Some(other) => findings.push((
                Status::Down,
                format!("replica not streaming (WAL receiver {other})"),
            )),
            None => findings.push((
                Status::Down,
                "replica not streaming (no WAL receiver)".to_string(),
            )),
        }
    } else {
        let streaming = r.replicas.iter().filter(|x| x.state == "streaming").count();
        if check.replicas > 0 && streaming < check.replicas as usize {
            findings.push((
                Status::Down,
                format!("{streaming} of {} replicas streaming", check.replicas),
            ));
        }
        for rep in r.replicas.iter().filter(|x| x.state != "streaming") {
            findings.push((
                Status::Degraded,
                format!("replica {} {}", rep.name, rep.state),
            ));
        }
        for slot in r.slots.iter().filter(|s| !s.active) {
            findings.push((
                Status::Degraded,
                format!(
                    "slot {} inactive{}",
                    slot.name,
                    slot.retained_bytes
                        .map(|b| format!(", retaining {}", bytes(b)))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    let (_, broken) = check.thresholds.judge(metrics);
    for (s, m, t) in broken {
        let limit = if s == Status::Down { t.crit } else { t.warn };
        let level = if s == Status::Down { "crit" } else { "warn" };
        findings.push((
            s,
            format!(
                "{} {} ({level} {})",
                said(m),
                value(m.base(), m.value),
                value(m.base(), limit)
            ),
        ));
    }
    // Stable: among equals, the order above (structure before figures).
    findings.sort_by_key(|f| std::cmp::Reverse(f.0));
    if let Some((worst, _)) = findings.first() {
        let words: Vec<&str> = findings.iter().take(3).map(|f| f.1.as_str()).collect();
        return (*worst, words.join(" · "));
    }
    (Status::Up, summary(r))
}

/// "primary · 1 replica streaming · archive 2m old · 12/97 connections".
fn summary(r: &Reading) -> String {
    let mut parts = Vec::new();
    if r.replica {
        let lag = r.receiver.as_ref().and_then(|x| x.lag_s).unwrap_or(0.0);
        parts.push(format!("replica streaming, {} behind", seconds(lag)));
    } else {
        parts.push("primary".to_string());
        let n = r.replicas.len();
        if n > 0 {
            parts.push(format!(
                "{n} replica{} streaming",
                if n == 1 { "" } else { "s" }
            ));
        }
    }
    if let Some(age) = r.archiver.as_ref().and_then(|a| a.age_s) {
        parts.push(format!("archive {} old", seconds(age)));
    }
    parts.push(format!(
        "{}/{} connections",
        r.connections, r.connection_slots
    ));
    parts.join(" · ")
}

/// A metric in words: `replica lag db2`, `archive age`.
fn said(m: &Metric) -> String {
    use names::*;
    let what = match m.base() {
        PG_CONNECTIONS_PCT => "connections",
        PG_OLDEST_XACT_S => "oldest transaction",
        PG_IDLE_IN_XACT_S => "idle in transaction",
        PG_BLOCKED => "blocked queries",
        PG_REPLICA_LAG_S | PG_REPLICA_LAG_BYTES => "replica lag",
        PG_REPLAY_LAG_S | PG_REPLAY_LAG_BYTES => "replay lag",
        PG_SLOT_RETAINED_BYTES => "slot retains",
        PG_ARCHIVE_AGE_S => "WAL archive age",
        other => other,
    };
    match m.subject() {
        Some(s) => format!("{what} {s}"),
        None => what.to_string(),
    }
}

fn value(base: &str, v: f64) -> String {
    if base.ends_with("_s") {
        seconds(v)
    } else if base.ends_with("_bytes") {
        bytes(v)
    } else if base.ends_with("_pct") {
        format!("{v:.0}%")
    } else {
        format!("{v:.0}")
    }
}

/// "45s", "12m", "3h05m", "2d04h".
pub fn seconds(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86400, (s % 86400) / 3600),
    }
}

fn bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b.max(0.0);
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(replicas: u32) -> PostgresCheck {
        PostgresCheck {
            url: "postgresql://monitor@db1/postgres".into(),
            password: None,
            replicas,
            thresholds: default_thresholds(),
        }
    }

    fn healthy_primary() -> Reading {
        Reading {
            replica: false,
            connections: 5,
            connection_slots: 97,
            oldest_xact_s: Some(2.0),
            idle_in_xact_s: None,
            blocked: 0,
            databases: vec![("odoo".into(), 1.5e9)],
            replicas: vec![ReplicaRow {
                name: "db2".into(),
                state: "streaming".into(),
                lag_bytes: Some(0.0),
                lag_s: Some(0.1),
            }],
            slots: vec![Slot {
                name: "db2".into(),
                active: true,
                retained_bytes: Some(1e6),
            }],
            receiver: None,
            archiver: Some(Archiver {
                archived_count: 40,
                last_archived_wal: Some("000000010000000000000028".into()),
                age_s: Some(125.0),
                failed_count: 0,
                last_failed_wal: None,
                failing: false,
            }),
        }
    }

    fn judged(r: &Reading, c: &PostgresCheck) -> (Status, String) {
        judge(r, c, &metrics(r))
    }

    #[test]
    fn a_healthy_primary_is_up_with_a_summary() {
        let (s, m) = judged(&healthy_primary(), &check(1));
        assert_eq!(s, Status::Up);
        assert_eq!(
            m,
            "primary · 1 replica streaming · archive 2m old · 5/97 connections"
        );
    }

    #[test]
    fn a_missing_replica_is_down() {
        let mut r = healthy_primary();
        r.replicas.clear();
        r.slots[0].active = false;
        let (s, m) = judged(&r, &check(1));
        assert_eq!(s, Status::Down);
        assert!(m.starts_with("0 of 1 replicas streaming"), "{m}");
        assert!(m.contains("slot db2 inactive, retaining 976.6 KiB"), "{m}");
        // Without an expected count, the lone inactive slot still says it.
        let (s, _) = judged(&r, &check(0));
        assert_eq!(s, Status::Degraded);
    }

    #[test]
    fn a_failing_archiver_is_down_before_its_age_grows() {
        let mut r = healthy_primary();
        if let Some(a) = r.archiver.as_mut() {
            a.failing = true;
            a.failed_count = 3;
            a.last_failed_wal = Some("000000010000000000000029".into());
        }
        let (s, m) = judged(&r, &check(1));
        assert_eq!(s, Status::Down);
        assert_eq!(
            m,
            "WAL archiving failing (3 failed, last 000000010000000000000029)"
        );
    }

    #[test]
    fn an_old_archive_breaks_the_rpo() {
        let mut r = healthy_primary();
        if let Some(a) = r.archiver.as_mut() {
            a.age_s = Some(3.0 * 3600.0);
        }
        let (s, m) = judged(&r, &check(1));
        assert_eq!(s, Status::Down);
        assert_eq!(m, "WAL archive age 3h00m (crit 2h00m)");
    }

    #[test]
    fn exhausted_connections_are_down() {
        let mut r = healthy_primary();
        r.connections = 97;
        let (s, m) = judged(&r, &check(1));
        assert_eq!(s, Status::Down);
        assert_eq!(m, "connections 100% (crit 95%)");
    }

    #[test]
    fn a_replica_that_stopped_receiving_is_down() {
        let r = Reading {
            replica: true,
            connection_slots: 97,
            receiver: Some(Receiver {
                status: None,
                lag_bytes: Some(0.0),
                lag_s: Some(0.0),
            }),
            ..Reading::default()
        };
        let (s, m) = judged(&r, &check(0));
        assert_eq!(s, Status::Down);
        assert_eq!(m, "replica not streaming (no WAL receiver)");
    }

    #[test]
    fn a_lagging_replica_says_its_lag() {
        let r = Reading {
            replica: true,
            connection_slots: 97,
            receiver: Some(Receiver {
                status: Some("streaming".into()),
                lag_bytes: Some(2048.0),
                lag_s: Some(90.0),
            }),
            ..Reading::default()
        };
        let (s, m) = judged(&r, &check(0));
        assert_eq!(s, Status::Degraded);
        assert_eq!(m, "replay lag 1m (warn 1m)");
    }

    #[test]
    fn durations_read_as_operators_say_them() {
        assert_eq!(seconds(0.4), "0s");
        assert_eq!(seconds(59.0), "59s");
        assert_eq!(seconds(3600.0 + 5.0 * 60.0), "1h05m");
        assert_eq!(seconds(2.0 * 86400.0 + 4.0 * 3600.0), "2d04h");
    }
}

//! Figures a probe measures besides latency, and the thresholds that judge
//! them.
//!
//! A metric's name is a base name from [`names`], optionally followed by
//! `:` and what it is about (`disk_used_pct:/var`, `net_rx_bps:eth0`).
//! Thresholds are set per base name.

use super::Status;

/// One figure measured by a probe.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: String,
    pub value: f64,
}

impl Metric {
    pub fn new(name: impl Into<String>, value: f64) -> Metric {
        Metric {
            name: name.into(),
            value,
        }
    }

    /// The base name, without what it is about.
    pub fn base(&self) -> &str {
        base_of(&self.name)
    }

    /// What the metric is about (a mount point, a device), if anything.
    pub fn subject(&self) -> Option<&str> {
        self.name.split_once(':').map(|(_, s)| s)
    }
}

/// The base of a metric name: `disk_used_pct:/var` -> `disk_used_pct`.
pub fn base_of(name: &str) -> &str {
    name.split_once(':').map_or(name, |(b, _)| b)
}

/// The base names Vigie derives. Sources may only emit these (with a
/// `:subject` where the list says so), so thresholds, rollups and the pane
/// agree on spelling.
pub mod names {
    /// Percent of CPU time not idle (and not iowait/steal), over all cores,
    /// between two scrapes.
    pub const CPU_BUSY_PCT: &str = "cpu_busy_pct";
    /// Load averages divided by the number of cores.
    pub const LOAD1_PER_CORE: &str = "load1_per_core";
    pub const LOAD5_PER_CORE: &str = "load5_per_core";
    pub const LOAD15_PER_CORE: &str = "load15_per_core";
    /// Percent of memory used (total - available).
    pub const MEM_USED_PCT: &str = "mem_used_pct";
    /// Percent of a filesystem used, `:<mount point>`.
    pub const DISK_USED_PCT: &str = "disk_used_pct";
    /// Percent of a filesystem's inodes used, `:<mount point>`.
    pub const INODES_USED_PCT: &str = "inodes_used_pct";
    /// Bytes per second read from / written to all disks.
    pub const DISK_READ_BPS: &str = "disk_read_bps";
    pub const DISK_WRITE_BPS: &str = "disk_write_bps";
    /// Bytes per second received / sent on all non-loopback interfaces.
    pub const NET_RX_BPS: &str = "net_rx_bps";
    pub const NET_TX_BPS: &str = "net_tx_bps";
    /// Seconds since boot.
    pub const UPTIME_S: &str = "uptime_s";
    /// systemd units in the failed state (when the exporter exposes them).
    pub const FAILED_UNITS: &str = "failed_units";
    /// Days until the TLS certificate expires (negative: expired).
    pub const TLS_DAYS_LEFT: &str = "tls_days_left";
    /// A Nagios plugin's performance data, `:<label>`, one base per unit
    /// (scaled to it, see [`crate::model::perfdata::Unit`]).
    pub const PERF: &str = "perf";
    pub const PERF_SECONDS: &str = "perf_s";
    pub const PERF_PCT: &str = "perf_pct";
    pub const PERF_BYTES: &str = "perf_bytes";
    pub const PERF_COUNTER: &str = "perf_c";
    /// A PostgreSQL server's figures (`postgres` checks,
    /// [`crate::model::postgres`]): connections (percent of the slots a
    /// non-superuser may take, and a count), transaction ages, blocked
    /// sessions, replication lag per replica (`:<name>`) or on a replica,
    /// WAL retained per slot (`:<slot>`), the WAL archive's age (the
    /// point-in-time RPO), database sizes (`:<database>`).
    pub const PG_CONNECTIONS_PCT: &str = "pg_connections_pct";
    pub const PG_CONNECTIONS: &str = "pg_connections";
    pub const PG_OLDEST_XACT_S: &str = "pg_oldest_xact_s";
    pub const PG_IDLE_IN_XACT_S: &str = "pg_idle_in_xact_s";
    pub const PG_BLOCKED: &str = "pg_blocked";
    pub const PG_REPLICA_LAG_BYTES: &str = "pg_replica_lag_bytes";
    pub const PG_REPLICA_LAG_S: &str = "pg_replica_lag_s";
    pub const PG_REPLAY_LAG_BYTES: &str = "pg_replay_lag_bytes";
    pub const PG_REPLAY_LAG_S: &str = "pg_replay_lag_s";
    pub const PG_SLOT_RETAINED_BYTES: &str = "pg_slot_retained_bytes";
    pub const PG_ARCHIVE_AGE_S: &str = "pg_archive_age_s";
    pub const PG_DB_BYTES: &str = "pg_db_bytes";
    /// Whether a base name is one of a PostgreSQL server's figures.
    pub fn is_pg(base: &str) -> bool {
        base.starts_with("pg_")
    }
    /// Whether a base name is one of a plugin's figures.
    pub fn is_perf(base: &str) -> bool {
        matches!(
            base,
            PERF | PERF_SECONDS | PERF_PCT | PERF_BYTES | PERF_COUNTER
        )
    }
}

/// Which way a metric gets worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Above `warn` is degraded, above `crit` critical (disk used).
    Above,
    /// Below `warn` is degraded, below `crit` critical (certificate days).
    Below,
}

/// Warn and critical levels for one base metric name.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub metric: String,
    pub warn: f64,
    pub crit: f64,
    pub direction: Direction,
}

impl Threshold {
    pub fn above(metric: &str, warn: f64, crit: f64) -> Threshold {
        Threshold {
            metric: metric.to_string(),
            warn,
            crit,
            direction: Direction::Above,
        }
    }

    pub fn below(metric: &str, warn: f64, crit: f64) -> Threshold {
        Threshold {
            metric: metric.to_string(),
            warn,
            crit,
            direction: Direction::Below,
        }
    }

    /// Up, Degraded (warn) or Down (critical) for a value of this metric.
    pub fn judge(&self, value: f64) -> Status {
        let (warn, crit) = match self.direction {
            Direction::Above => (value >= self.warn, value >= self.crit),
            Direction::Below => (value <= self.warn, value <= self.crit),
        };
        if crit {
            Status::Down
        } else if warn {
            Status::Degraded
        } else {
            Status::Up
        }
    }
}

/// The thresholds of one check. Defaults for host metrics come from
/// [`Thresholds::host_defaults`]; the configuration overrides per metric.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Thresholds(pub Vec<Threshold>);

impl Thresholds {
    /// Defaults for node_exporter and Prometheus host checks.
    pub fn host_defaults() -> Thresholds {
        use names::*;
        Thresholds(vec![
            Threshold::above(CPU_BUSY_PCT, 90.0, 98.0),
            Threshold::above(LOAD5_PER_CORE, 1.5, 3.0),
            Threshold::above(MEM_USED_PCT, 90.0, 97.0),
            Threshold::above(DISK_USED_PCT, 85.0, 95.0),
            Threshold::above(INODES_USED_PCT, 85.0, 95.0),
            Threshold::above(FAILED_UNITS, 1.0, f64::INFINITY),
        ])
    }

    pub fn get(&self, base: &str) -> Option<&Threshold> {
        self.0.iter().find(|t| t.metric == base)
    }

    /// Replaces (or adds) the threshold of `t.metric`.
    pub fn set(&mut self, t: Threshold) {
        match self.0.iter_mut().find(|o| o.metric == t.metric) {
            Some(old) => *old = t,
            None => self.0.push(t),
        }
    }

    /// The worst judgement over `metrics`, with the metrics that broke a
    /// threshold (worst first), for the message.
    pub fn judge<'a>(
        &'a self,
        metrics: &'a [Metric],
    ) -> (Status, Vec<(Status, &'a Metric, &'a Threshold)>) {
        let mut broken: Vec<(Status, &Metric, &Threshold)> = metrics
            .iter()
            .filter_map(|m| {
                let t = self.get(m.base())?;
                let s = t.judge(m.value);
                (s != Status::Up).then_some((s, m, t))
            })
            .collect();
        broken.sort_by_key(|b| std::cmp::Reverse(b.0));
        let worst = broken.first().map_or(Status::Up, |b| b.0);
        (worst, broken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_judge_both_directions() {
        let disk = Threshold::above(names::DISK_USED_PCT, 85.0, 95.0);
        assert_eq!(disk.judge(50.0), Status::Up);
        assert_eq!(disk.judge(85.0), Status::Degraded);
        assert_eq!(disk.judge(99.0), Status::Down);
        let cert = Threshold::below(names::TLS_DAYS_LEFT, 21.0, 7.0);
        assert_eq!(cert.judge(60.0), Status::Up);
        assert_eq!(cert.judge(20.0), Status::Degraded);
        assert_eq!(cert.judge(-3.0), Status::Down);
    }

    #[test]
    fn the_worst_broken_threshold_comes_first() {
        let t = Thresholds::host_defaults();
        let metrics = vec![
            Metric::new("disk_used_pct:/", 90.0),
            Metric::new("disk_used_pct:/var", 99.0),
            Metric::new("cpu_busy_pct", 10.0),
        ];
        let (worst, broken) = t.judge(&metrics);
        assert_eq!(worst, Status::Down);
        assert_eq!(broken.len(), 2);
        assert_eq!(broken[0].1.subject(), Some("/var"));
    }
}

//! History the Health pane shows beside the live states: last-hour
//! sparklines, this month's availability, and the detail of one host. Read
//! from the store on the follower thread, never while drawing.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::model::Status;

/// What the list needs from history, refreshed every few seconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealthHistory {
    /// Average latency per minute over the last hour, oldest first, per
    /// check (`None`: no answer that minute).
    pub sparklines: HashMap<String, Vec<Option<f64>>>,
    /// This calendar month's availability in percent, per check and per
    /// client (`None`: nothing measurable yet).
    pub check_month: HashMap<String, Option<f64>>,
    pub client_month: HashMap<String, ClientMonth>,
}

/// A client's month so far, against its contract.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientMonth {
    pub availability: Option<f64>,
    /// The first tier of the contract (e.g. 99.9).
    pub target: f64,
    /// Credit owed if the month ended now, in `currency`, to the cent.
    pub credit: crate::model::money::Decimal,
    pub currency: String,
}

/// The span of the detail charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Period {
    #[default]
    Day,
    Week,
    Month,
}

impl Period {
    pub const ALL: [Period; 3] = [Period::Day, Period::Week, Period::Month];

    pub fn label(self) -> &'static str {
        match self {
            Period::Day => "24 h",
            Period::Week => "7 d",
            Period::Month => "30 d",
        }
    }

    pub fn span(self) -> TimeDelta {
        match self {
            Period::Day => TimeDelta::hours(24),
            Period::Week => TimeDelta::days(7),
            Period::Month => TimeDelta::days(30),
        }
    }

    pub fn longer(self) -> Period {
        match self {
            Period::Day => Period::Week,
            _ => Period::Month,
        }
    }

    pub fn shorter(self) -> Period {
        match self {
            Period::Month => Period::Week,
            _ => Period::Day,
        }
    }
}

/// What the detail of a host asks the follower for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailRequest {
    pub host: String,
    pub period: Period,
}

/// One host's history over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct HostDetail {
    pub request: DetailRequest,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Per check of the host, in configuration order.
    pub checks: Vec<CheckSeries>,
    /// Incidents of the host's checks overlapping the period, newest first.
    pub incidents: Vec<Incident>,
    /// Set when the store could not be read.
    pub error: Option<String>,
}

/// (instant, value) points of a chart.
pub type Points = Vec<(DateTime<Utc>, f64)>;

/// Latency and metric series of one check, as (instant, value) points.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckSeries {
    pub check_id: String,
    pub latency: Points,
    /// Host metrics worth a chart (cpu, memory, fullest disk), by name.
    pub metrics: Vec<(String, Points)>,
    /// A plugin's figures (`nagios` checks), labelled with their unit.
    pub figures: Vec<(String, Points)>,
    /// Availability of the check over the period, in percent.
    pub availability: Option<f64>,
}

/// A time a check was not up.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub check_id: String,
    pub status: Status,
    pub start: DateTime<Utc>,
    /// `None` while it lasts.
    pub end: Option<DateTime<Utc>>,
    pub cause: String,
}

/// Reads the list's history: last-hour sparklines and this month's
/// availability per check and per client (month in the client's timezone).
pub fn read_health(
    reader: &crate::store::Reader,
    fleet: &crate::model::Fleet,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<HealthHistory, crate::store::StoreError> {
    use crate::model::availability;
    use chrono::Datelike;

    let mut out = HealthHistory::default();
    let hour_ago = now - TimeDelta::hours(1);
    let first_minute =
        crate::store::history::Resolution::Minute.bucket(crate::store::to_ms(hour_ago));
    for (id, points) in reader.minute_latencies(hour_ago)? {
        let mut line = vec![None; 60];
        for (at, v) in points {
            let i = (crate::store::to_ms(at) - first_minute) / 60_000;
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| line.get_mut(i)) {
                *slot = v;
            }
        }
        out.sparklines.insert(id, line);
    }
    // The month of each client, and the widest span to read once.
    let month_of = |tz: chrono_tz::Tz| {
        let local = now.with_timezone(&tz);
        availability::month_range(tz, local.year(), local.month())
    };
    let mut from = now;
    for tz in fleet.clients.iter().map(|c| c.timezone).chain([tz]) {
        if let Some((start, _)) = month_of(tz) {
            from = from.min(start);
        }
    }
    let mut by_check: HashMap<String, Vec<availability::Interval>> = HashMap::new();
    for i in reader.intervals(from, now, &[])? {
        by_check.entry(i.check_id).or_default().push(i.interval);
    }
    let empty = Vec::new();
    for (host, check) in fleet.checks() {
        let check_tz = fleet
            .users_of(&host.name)
            .first()
            .map_or(tz, |(c, _)| c.timezone);
        if let Some((start, end)) = month_of(check_tz) {
            let ivs = by_check.get(&check.id).unwrap_or(&empty);
            let a = availability::of_check(ivs, start, end, now);
            out.check_month.insert(check.id.clone(), a.percent());
        }
    }
    for client in &fleet.clients {
        let Some((start, end)) = month_of(client.timezone) else {
            continue;
        };
        let checks: Vec<Vec<availability::Interval>> = client
            .environments
            .iter()
            .filter(|e| e.kind == crate::model::EnvKind::Prod)
            .flat_map(|e| e.hosts.iter())
            .filter_map(|h| fleet.host(h))
            .flat_map(|h| h.checks.iter().filter(|c| c.sla && c.serves(&client.id)))
            .map(|c| by_check.get(&c.id).cloned().unwrap_or_default())
            .collect();
        let Some(contract) = fleet.contracts.get(&client.contract) else {
            continue;
        };
        let Some(target) = availability::target(&contract.tiers) else {
            continue;
        };
        let percent = if checks.is_empty() {
            None
        } else {
            availability::of_checks(&checks, start, end, now).percent()
        };
        let credit = availability::credit(percent, &contract.tiers, contract.monthly_fee);
        out.client_month.insert(
            client.id.clone(),
            ClientMonth {
                availability: percent,
                target,
                credit,
                currency: contract.currency.clone(),
            },
        );
    }
    Ok(out)
}

/// `perf_s:time` -> `time s`: a plugin figure's label and its unit.
fn figure_label(name: &str) -> String {
    use crate::model::metric::{base_of, names};
    if names::is_pg(base_of(name)) {
        // `pg_replica_lag_s:db2` reads `replica_lag_s:db2`: the unit is in
        // the name, the subject after it.
        return crate::sanitize::clean(name.trim_start_matches("pg_"));
    }
    let label = name.split_once(':').map_or(name, |(_, l)| l);
    let unit = match base_of(name) {
        names::PERF_SECONDS => " s",
        names::PERF_PCT => " %",
        names::PERF_BYTES => " B",
        names::PERF_COUNTER => " c",
        _ => "",
    };
    crate::sanitize::clean(&format!("{label}{unit}"))
}

/// Reads one host's history over the requested period.
pub fn read_detail(
    reader: &crate::store::Reader,
    fleet: &crate::model::Fleet,
    request: &DetailRequest,
    now: DateTime<Utc>,
) -> HostDetail {
    use crate::model::availability;
    use crate::model::metric::names;
    use crate::store::history::Resolution;

    let from = now - request.period.span();
    let mut detail = HostDetail {
        request: request.clone(),
        from,
        to: now,
        checks: Vec::new(),
        incidents: Vec::new(),
        error: None,
    };
    let Some(host) = fleet.host(&request.host) else {
        return detail;
    };
    let res = match request.period {
        Period::Day => Resolution::Minute,
        Period::Week | Period::Month => Resolution::Hour,
    };
    let ids: Vec<String> = host.checks.iter().map(|c| c.id.clone()).collect();
    let read = || -> Result<(Vec<CheckSeries>, Vec<Incident>), crate::store::StoreError> {
        let intervals = reader.intervals(from, now, &ids)?;
        let mut series = Vec::new();
        for check in &host.checks {
            let latency = reader
                .latency_buckets(&check.id, from, now, res)?
                .into_iter()
                .filter_map(|b| Some((b.at, b.latency_avg?)))
                .collect();
            let mut metrics = Vec::new();
            for (name, label) in [
                (names::CPU_BUSY_PCT, "cpu"),
                (names::MEM_USED_PCT, "mem"),
                (names::DISK_USED_PCT, "disk"),
            ] {
                let pts: Points = reader
                    .metric_buckets(&check.id, name, from, now, res)?
                    .into_iter()
                    .map(|b| (b.at, b.avg))
                    .collect();
                if !pts.is_empty() {
                    metrics.push((label.to_string(), pts));
                }
            }
            let mut figures = Vec::new();
            for name in reader.figure_names(&check.id, from, now, res)? {
                let pts: Points = reader
                    .metric_buckets(&check.id, &name, from, now, res)?
                    .into_iter()
                    .map(|b| (b.at, b.avg))
                    .collect();
                if !pts.is_empty() {
                    figures.push((figure_label(&name), pts));
                }
            }
            let ivs: Vec<availability::Interval> = intervals
                .iter()
                .filter(|i| i.check_id == check.id)
                .map(|i| i.interval)
                .collect();
            series.push(CheckSeries {
                check_id: check.id.clone(),
                latency,
                metrics,
                figures,
                availability: availability::of_check(&ivs, from, now, now).percent(),
            });
        }
        let mut incidents: Vec<Incident> = intervals
            .into_iter()
            .filter(|i| i.interval.status != Status::Up)
            .map(|i| Incident {
                check_id: i.check_id,
                status: i.interval.status,
                start: i.interval.start,
                end: i.interval.end,
                cause: i.cause,
            })
            .collect();
        incidents.sort_by_key(|i| std::cmp::Reverse(i.start));
        Ok((series, incidents))
    };
    match read() {
        Ok((checks, incidents)) => {
            detail.checks = checks;
            detail.incidents = incidents;
        }
        Err(e) => detail.error = Some(e.to_string()),
    }
    detail
}

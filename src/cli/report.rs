//! `vigie report sla --month YYYY-MM [--client C] [--format md|csv|json]`:
//! availability per client for a calendar month in its timezone, the
//! incidents, the excluded maintenance and unknown time, and the credit its
//! contract's tiers give.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, TimeDelta, Utc};

use super::setup::{self, NoConfig};
use super::{Cli, CliError, check_client, csv_field};
use crate::model::availability::{self, Availability, Interval};
use crate::model::maintenance;
use crate::model::money::{Decimal, format_cents};
use crate::model::{Client, EnvKind, Fleet, Status};
use crate::sanitize;
use crate::store::{Reader, WriteOp, Writer};

/// One client's month.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientReport {
    pub client: String,
    pub name: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub checks: Vec<String>,
    pub time: Availability,
    pub percent: Option<f64>,
    pub target: Option<f64>,
    /// The tier's share of the monthly fee, and that share in money,
    /// rounded to the cent.
    pub credit_percent: Decimal,
    pub credit: Decimal,
    pub currency: String,
    pub incidents: Vec<ReportIncident>,
    /// Each local day of the month with its availability (the same
    /// intervals and rule as the month's figure), for the monthly report's
    /// chart; `None` where nothing was measurable.
    pub days: Vec<(chrono::NaiveDate, Option<f64>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportIncident {
    pub check: String,
    pub status: Status,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub cause: String,
}

/// The checks that count for a client: `sla` checks on its prod hosts.
pub fn sla_checks(fleet: &Fleet, client: &Client) -> Vec<String> {
    client
        .environments
        .iter()
        .filter(|e| e.kind == EnvKind::Prod)
        .flat_map(|e| e.hosts.iter())
        .filter_map(|h| fleet.host(h))
        .flat_map(|h| {
            h.checks
                .iter()
                .filter(|c| c.sla && c.serves(&client.id))
                .map(|c| c.id.clone())
        })
        .collect()
}

/// The spans of the windows that excuse `check_id`'s time: announced
/// before they began, not cancelled, covering the check.
fn excused_time(
    fleet: &Fleet,
    windows: &[maintenance::MaintenanceWindow],
    check_id: &str,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let host = check_id.split_once('/').map_or(check_id, |(h, _)| h);
    windows
        .iter()
        .filter(|w| w.excuses() && maintenance::fleet::covers(fleet, w, host, check_id))
        .map(|w| (w.start, w.end))
        .collect()
}

/// Builds the report of every client (or one) for `year-month`; the time
/// of announced maintenance windows is excluded.
pub fn build(
    reader: &Reader,
    fleet: &Fleet,
    year: i32,
    month: u32,
    only: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<ClientReport>, crate::store::StoreError> {
    let clients: Vec<&Client> = fleet
        .clients
        .iter()
        .filter(|c| only.is_none_or(|o| o == c.id))
        .collect();
    let ranges: Vec<(DateTime<Utc>, DateTime<Utc>)> = clients
        .iter()
        .filter_map(|c| availability::month_range(c.timezone, year, month))
        .collect();
    let (Some(from), Some(to)) = (
        ranges.iter().map(|r| r.0).min(),
        ranges.iter().map(|r| r.1).max(),
    ) else {
        return Ok(Vec::new());
    };
    let windows = reader.maintenance_windows()?;
    let mut by_check: HashMap<String, Vec<(Interval, String)>> = HashMap::new();
    for i in reader.intervals(from, to, &[])? {
        by_check
            .entry(i.check_id)
            .or_default()
            .push((i.interval, i.cause));
    }
    let mut out = Vec::new();
    for client in clients {
        let Some((start, end)) = availability::month_range(client.timezone, year, month) else {
            continue;
        };
        let checks = sla_checks(fleet, client);
        let per_check: Vec<Vec<Interval>> = checks
            .iter()
            .map(|c| {
                let intervals: Vec<Interval> = by_check
                    .get(c)
                    .map(|v| v.iter().map(|(i, _)| *i).collect())
                    .unwrap_or_default();
                // Announced maintenance is left out of availability.
                let excused = excused_time(fleet, &windows, c);
                maintenance::fleet::overlay(&intervals, &excused)
            })
            .collect();
        let time = availability::of_checks(&per_check, start, end, now);
        let days = per_day(client.timezone, year, month)
            .into_iter()
            .map(|(d, from, to)| {
                let p = availability::of_checks(&per_check, from, to, now).percent();
                (d, p)
            })
            .collect();
        let percent = time.percent();
        let contract = fleet.contracts.get(&client.contract);
        let tiers = contract.map(|c| c.tiers.as_slice()).unwrap_or_default();
        let credit_percent =
            percent.map_or(Decimal::ZERO, |p| availability::credit_percent(p, tiers));
        let mut incidents: Vec<ReportIncident> = checks
            .iter()
            .flat_map(|c| {
                by_check
                    .get(c)
                    .into_iter()
                    .flatten()
                    .filter(|(i, _)| {
                        i.status == Status::Down && i.start < end && i.end.is_none_or(|e| e > start)
                    })
                    .map(|(i, cause)| ReportIncident {
                        check: c.clone(),
                        status: i.status,
                        start: i.start,
                        end: i.end,
                        cause: sanitize::clean_short(cause, 120),
                    })
            })
            .collect();
        incidents.sort_by_key(|i| i.start);
        out.push(ClientReport {
            client: client.id.clone(),
            name: client.name.clone(),
            from: start,
            to: end,
            checks,
            time,
            percent,
            target: availability::target(tiers),
            credit_percent,
            credit: availability::credit(
                percent,
                tiers,
                contract.map_or(Decimal::ZERO, |c| c.monthly_fee),
            ),
            currency: contract.map(|c| c.currency.clone()).unwrap_or_default(),
            incidents,
            days,
        });
    }
    Ok(out)
}

/// Each local day of `year-month` in `tz` with its UTC bounds.
fn per_day(
    tz: chrono_tz::Tz,
    year: i32,
    month: u32,
) -> Vec<(chrono::NaiveDate, DateTime<Utc>, DateTime<Utc>)> {
    use chrono::TimeZone;
    let Some(first) = chrono::NaiveDate::from_ymd_opt(year, month, 1) else {
        return Vec::new();
    };
    let midnight = |d: chrono::NaiveDate| {
        // A midnight skipped by a clock change starts the day an hour later.
        tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(d.and_time(chrono::NaiveTime::MIN) + TimeDelta::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
    };
    first
        .iter_days()
        .take_while(|d| chrono::Datelike::month(d) == month)
        .filter_map(|d| Some((d, midnight(d)?, midnight(d.succ_opt()?)?)))
        .collect()
}

/// Writes the demo's history into the store before a report reads it.
pub(super) fn seed_demo(fleet: &Fleet, writer: &Writer) -> Result<(), CliError> {
    let now = Utc::now();
    for (_, check) in fleet.checks() {
        let history =
            crate::demo::seed::history(check, now, crate::demo::SEED_DAYS, crate::demo::SEED_STEP);
        let _ = writer.send(WriteOp::Results(history));
    }
    writer.flush().map_err(|e| CliError::input(e.to_string()))
}

/// "3h05m", "12m", "0s".
fn span(d: TimeDelta) -> String {
    let m = d.num_minutes();
    match (m / 60, m % 60) {
        (0, 0) => format!("{}s", d.num_seconds().max(0)),
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m:02}m"),
    }
}

fn pct(p: Option<f64>) -> String {
    // Floored, never rounded up into a better tier.
    p.map_or("n/a".into(), |p| {
        format!("{:.3}", (p * 1000.0).floor() / 1000.0)
    })
}

/// The month's report in Markdown; incident times in the display zone `tz`,
/// named in the table's heading.
pub fn markdown(reports: &[ClientReport], month: &str, tz: chrono_tz::Tz) -> String {
    let mut out = format!("# Availability, {month}\n\n");
    out.push_str(
        "| Client | Availability | Target | Down | Maintenance | Unknown | No data | Credit |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in reports {
        let _ = writeln!(
            out,
            "| {} | {} % | {} | {} | {} | {} | {} | {} {} ({} %) |",
            sanitize::clean(&r.name),
            pct(r.percent),
            r.target.map_or("-".into(), |t| format!("{t} %")),
            span(r.time.down),
            span(r.time.maintenance),
            span(r.time.unknown),
            span(r.time.no_data),
            format_cents(r.credit),
            sanitize::clean(&r.currency),
            r.credit_percent.normalize()
        );
    }
    for r in reports.iter().filter(|r| !r.incidents.is_empty()) {
        let _ = write!(out, "\n## {} incidents\n\n", sanitize::clean(&r.name));
        let _ = write!(
            out,
            "| Start ({z}) | End ({z}) | Lasted | Check | Cause |\n|---|---|---:|---|---|\n",
            z = tz.name()
        );
        for i in &r.incidents {
            let end = i.end.unwrap_or(r.to.min(Utc::now()));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                i.start.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
                i.end.map_or("ongoing".into(), |e| e
                    .with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()),
                span(end - i.start),
                sanitize::clean(&i.check),
                i.cause.replace('|', "/")
            );
        }
    }
    out
}

pub fn csv(reports: &[ClientReport]) -> String {
    let mut out = String::from(
        "client,name,from,to,availability_pct,target_pct,down_s,maintenance_s,unknown_s,no_data_s,incidents,credit_pct,credit,currency\n",
    );
    for r in reports {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.client),
            csv_field(&sanitize::clean(&r.name)),
            r.from.to_rfc3339(),
            r.to.to_rfc3339(),
            r.percent.map_or(String::new(), |p| format!("{p:.4}")),
            r.target.map_or(String::new(), |t| t.to_string()),
            r.time.down.num_seconds(),
            r.time.maintenance.num_seconds(),
            r.time.unknown.num_seconds(),
            r.time.no_data.num_seconds(),
            r.incidents.len(),
            r.credit_percent.normalize(),
            format_cents(r.credit),
            csv_field(&r.currency)
        );
    }
    out
}

pub fn json(reports: &[ClientReport], month: &str) -> serde_json::Value {
    let clients: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            serde_json::json!({
                "client": r.client,
                "name": r.name,
                "from": r.from.to_rfc3339(),
                "to": r.to.to_rfc3339(),
                "checks": r.checks,
                "availability_pct": r.percent,
                "target_pct": r.target,
                "seconds": {
                    "up": r.time.up.num_seconds(),
                    "down": r.time.down.num_seconds(),
                    "maintenance": r.time.maintenance.num_seconds(),
                    "unknown": r.time.unknown.num_seconds(),
                    "no_data": r.time.no_data.num_seconds(),
                },
                "credit_pct": r.credit_percent.normalize().to_string(),
                "credit": format_cents(r.credit),
                "currency": r.currency,
                "incidents": r.incidents.iter().map(|i| serde_json::json!({
                    "check": i.check,
                    "status": i.status,
                    "start": i.start.to_rfc3339(),
                    "end": i.end.map(|e| e.to_rfc3339()),
                    "cause": i.cause,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({ "month": month, "clients": clients })
}

pub async fn run(
    cli: &Cli,
    month: &str,
    client: Option<&str>,
    format: &str,
) -> Result<u8, CliError> {
    let Some((year, m)) = availability::parse_month(month) else {
        return Err(CliError::input(format!(
            "--month {}: expected a month like 2026-11",
            sanitize::clean_short(month, 20)
        )));
    };
    if !matches!(format, "md" | "csv" | "json") {
        return Err(CliError::input(format!(
            "--format {}: expected md, csv or json",
            sanitize::clean_short(format, 20)
        )));
    }
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let fleet = &setup.config.fleet;
    check_client(fleet, client)?;
    let writer = Writer::spawn(&setup.db).map_err(|e| CliError::input(e.to_string()))?;
    if setup.demo.as_ref().is_some_and(|d| d.private()) {
        // A private demo store's history, written before the report reads
        // it (the shared demo store was seeded once).
        seed_demo(fleet, &writer)?;
    }
    let reader = Reader::open(&setup.db).map_err(|e| CliError::input(e.to_string()))?;
    let reports = build(&reader, fleet, year, m, client, Utc::now())
        .map_err(|e| CliError::input(e.to_string()))?;
    match format {
        "csv" => print!("{}", csv(&reports)),
        "json" => println!("{}", json(&reports, month)),
        _ => print!("{}", markdown(&reports, month, setup.tz)),
    }
    Ok(0)
}

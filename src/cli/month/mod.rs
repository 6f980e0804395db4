//! `vigie report month --client C --month YYYY-MM [--format html|md|json]
//! [--out FILE]` and `--all --out DIR`: one document per client and month
//! for the client, gathered from the functions behind `report sla`,
//! `tickets`, `timesheet`, `backups` and `usage` (never recomputed here, so
//! the client reads the numbers the operator reads).

mod html;
mod markdown;
mod tables;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use super::report::ClientReport;
use super::setup::{self, NoConfig};
use super::tickets::Calls;
use super::{Cli, CliError, check_client};
use crate::model::maintenance::{self, MaintenanceWindow};
use crate::model::money::{format_cents, format_price};
use crate::model::tickets::{self, BillingTerms, BoardRow, Clock, TimesheetLine};
use crate::model::usage::UsageReport;
use crate::model::{Fleet, availability};
use crate::sanitize;
use crate::store::{Reader, Writer};

pub use html::{escape, html};
pub use markdown::markdown;

/// One client's month, as the client is told it.
#[derive(Debug, Clone)]
pub struct MonthReport {
    pub client: String,
    pub name: String,
    pub year: i32,
    pub month: u32,
    pub tz: Tz,
    pub generated: DateTime<Utc>,
    /// `report sla`'s figures for the client (its prod `sla` checks).
    pub sla: ClientReport,
    /// The windows touching the client that overlap the month.
    pub maintenance: Vec<MaintenanceWindow>,
    /// The tickets created in the month, judged as `tickets` judges them.
    pub tickets: Vec<BoardRow>,
    /// The tracker's failure: tickets from the cache, no timesheet.
    pub tracker_error: Option<String>,
    /// `timesheet`'s lines for the client; `None` when the tracker could
    /// not give the month's entries (no bill from partial data).
    pub timesheet: Option<Vec<TimesheetLine>>,
    pub terms: Option<BillingTerms>,
    pub calls: Option<Calls>,
    /// `backups --format json`'s sources of the client, with the month's
    /// calendar.
    pub backups: Vec<Value>,
    /// `usage`'s report of the month's year, to date.
    pub usage: Option<UsageReport>,
}

impl MonthReport {
    pub fn label(&self) -> String {
        format!("{}-{:02}", self.year, self.month)
    }
}

/// How long before its start a window was announced, in days (one
/// decimal); `None` if it never was.
pub fn notice_days(w: &MaintenanceWindow) -> Option<f64> {
    let a = w.announced?;
    Some(((w.start - a).num_minutes() as f64 / 144.0).round() / 10.0)
}

/// A ticket's intervention deadline as the board says it: the state
/// (`met`, `late`, `breached`, `running`, `unread`, `none`) and when due.
pub fn deadline_state(clock: &Clock) -> (&'static str, Option<DateTime<Utc>>) {
    match *clock {
        Clock::None => ("none", None),
        Clock::Running { due, .. } => ("running", Some(due)),
        Clock::Breached { due, .. } => ("breached", Some(due)),
        Clock::Unread { due } => ("unread", Some(due)),
        Clock::Stopped { due, met, .. } => (if met { "met" } else { "late" }, Some(due)),
    }
}

fn hours(d: std::time::Duration) -> String {
    format!("{:.2}", (d.as_secs_f64() / 36.0).round() / 100.0)
}

/// Gathers the month of every client (or `only`) from the store and the
/// tracker and backup sources, as the single-purpose commands do.
pub async fn gather(
    fleet: &Fleet,
    ssh: &crate::config::SshSettings,
    db: &Path,
    demo: bool,
    (year, month): (i32, u32),
    only: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<MonthReport>, CliError> {
    let err = |e: crate::store::StoreError| CliError::input(e.to_string());
    let reader = Reader::open(db).map_err(|e| CliError::input(e.to_string()))?;
    let slas = super::report::build(&reader, fleet, year, month, only, now).map_err(err)?;
    let windows = reader.maintenance_windows().map_err(err)?;
    let usage = super::usage::build(&reader, fleet, year, only, now).map_err(err)?;

    // Tickets, timesheet and calls: as `tickets` and `timesheet` get them.
    let desk = super::tickets::desk(fleet, db)?;
    if let Err(e) = desk.push_pending(now).await {
        tracing::warn!(target: "tickets", "queued time entries not pushed: {e}");
    }
    let view = desk
        .sync(now)
        .await
        .map_err(|e| CliError::input(e.to_string()))?;
    let rows = tickets::board(
        &view.cached.tickets,
        fleet,
        &fleet.tickets.rules,
        &super::tickets::local_time(&view),
        now,
    );
    let counted = super::tickets::count_calls(&desk, fleet, now).await;
    let quotas = super::tickets::quotas(fleet, &view, counted.as_ref(), now);
    let (lines, tracker_error) = match desk.month_entries((year, month), now).await {
        Ok(entries) => (
            Some(tickets::timesheet(&entries, (year, month), |c| {
                tickets::terms_of(fleet, c)
            })),
            view.error.clone(),
        ),
        Err(e) => (None, Some(view.error.clone().unwrap_or(e.to_string()))),
    };

    // Backups: as `backups --month` lists and judges them.
    let mut backup_fleet = fleet.clone();
    if let Some(c) = only {
        backup_fleet.backups.retain(|b| b.client == c);
    }
    let records = super::backups::records(&backup_fleet, ssh, db, demo, true).await;
    let o = crate::model::backup::overview(&backup_fleet, &records, now);
    let backups = super::backups::to_json(&backup_fleet, &records, &o, Some((year, month)), now);
    let sources = backups["sources"].as_array().cloned().unwrap_or_default();

    let mut out = Vec::new();
    for sla in slas {
        let Some(client) = fleet.client(&sla.client) else {
            continue;
        };
        let (from, to) = (sla.from, sla.to);
        let maintenance: Vec<MaintenanceWindow> = windows
            .iter()
            .filter(|w| w.start < to && w.end > from)
            .filter(|w| {
                maintenance::fleet::affected_clients(fleet, &w.target)
                    .iter()
                    .any(|c| c.id == client.id)
            })
            .cloned()
            .collect();
        let tickets: Vec<BoardRow> = rows
            .iter()
            .filter(|r| r.ticket.client.as_deref() == Some(client.id.as_str()))
            .filter(|r| r.ticket.created >= from && r.ticket.created < to)
            .cloned()
            .collect();
        out.push(MonthReport {
            client: client.id.clone(),
            name: client.name.clone(),
            year,
            month,
            tz: client.timezone,
            generated: now,
            maintenance,
            tickets,
            tracker_error: tracker_error.clone(),
            timesheet: lines.as_ref().map(|l| {
                l.iter()
                    .filter(|l| l.client == client.id)
                    .cloned()
                    .collect()
            }),
            terms: tickets::terms_of(fleet, &client.id),
            calls: quotas.iter().find(|q| q.client == client.id).cloned(),
            backups: sources
                .iter()
                .filter(|s| s["client"] == client.id.as_str())
                .cloned()
                .collect(),
            usage: usage.iter().find(|u| u.client == client.id).cloned(),
            sla,
        });
    }
    Ok(out)
}

/// The month as JSON: money as strings, times RFC 3339; the availability,
/// backups and usage parts are those commands' own JSON for the client.
pub fn to_json(r: &MonthReport) -> Value {
    let label = r.label();
    let availability =
        super::report::json(std::slice::from_ref(&r.sla), &label)["clients"][0].clone();
    let usage = r.usage.as_ref().map_or(Value::Null, |u| {
        super::usage::json(std::slice::from_ref(u), r.year)["clients"][0].clone()
    });
    let currency = r.terms.as_ref().map(|t| t.currency.clone());
    let timesheet = r.timesheet.as_ref().map(|lines| {
        let total = lines
            .iter()
            .fold(crate::model::money::Decimal::ZERO, |a, l| a + l.cost);
        json!({
            "hourly_rate": r.terms.as_ref().map(|t| format_price(t.hourly_rate)),
            "currency": currency,
            "total": format_cents(total),
            "lines": lines.iter().map(|l| json!({
                "ticket": l.ticket,
                "title": sanitize::clean(&l.title),
                "worked_hours": hours(l.worked),
                "billed_hours": hours(l.billed),
                "cost": format_cents(l.cost),
            })).collect::<Vec<_>>(),
        })
    });
    json!({
        "client": r.client,
        "name": sanitize::clean(&r.name),
        "month": label,
        "timezone": r.tz.name(),
        "generated": r.generated.to_rfc3339(),
        "availability": availability,
        "days": r.sla.days.iter().map(|(d, p)| json!({"date": d.to_string(), "availability_pct": p})).collect::<Vec<_>>(),
        "maintenance": r.maintenance.iter().map(|w| json!({
            "uid": w.uid,
            "title": sanitize::clean(&w.title),
            "kind": w.kind.label(),
            "state": w.state_at(r.generated).label(),
            "start": w.start.to_rfc3339(),
            "end": w.end.to_rfc3339(),
            "announced": w.announced.map(|a| a.to_rfc3339()),
            "notice_days": notice_days(w),
            "excluded": w.excuses(),
        })).collect::<Vec<_>>(),
        "tickets": r.tickets.iter().map(|row| {
            let (state, due) = deadline_state(&row.clock);
            json!({
                "id": row.ticket.id,
                "title": sanitize::clean(&row.ticket.title),
                "priority": sanitize::clean(&row.ticket.priority),
                "status": sanitize::clean(&row.ticket.status),
                "created": row.ticket.created.to_rfc3339(),
                "due_at": due.map(|d| d.to_rfc3339()),
                "deadline_state": state,
            })
        }).collect::<Vec<_>>(),
        "tracker_error": r.tracker_error.as_deref().map(sanitize::clean),
        "timesheet": timesheet,
        "calls": r.calls.as_ref().map(|c| json!({
            "used": c.quota.used,
            "allowed": c.quota.allowed,
            "complete": c.complete,
        })),
        "backups": r.backups,
        "usage": usage,
    })
}

/// A client id as a file name: anything but letters, digits, `-` and `_`
/// becomes `_`.
pub fn file_stem(client: &str) -> String {
    client
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub fn render(r: &MonthReport, format: &str) -> String {
    match format {
        "json" => serde_json::to_string_pretty(&to_json(r)).unwrap_or_default() + "\n",
        "html" => html(r),
        _ => markdown(r),
    }
}

pub async fn run(
    cli: &Cli,
    client: Option<&str>,
    all: bool,
    month: &str,
    format: &str,
    out: Option<&Path>,
) -> Result<u8, CliError> {
    let Some(ym) = availability::parse_month(month) else {
        return Err(CliError::input(format!(
            "--month {}: expected a month like 2026-11",
            sanitize::clean_short(month, 20)
        )));
    };
    if !matches!(format, "md" | "json" | "html") {
        return Err(CliError::input(format!(
            "--format {}: expected html, md or json",
            sanitize::clean_short(format, 20)
        )));
    }
    match (client, all, out) {
        (Some(_), true, _) | (None, false, _) => {
            return Err(CliError::input(
                "expected either --client C or --all (with --out DIR)",
            ));
        }
        (None, true, None) => {
            return Err(CliError::input(
                "--all writes one file per client: expected --out DIR",
            ));
        }
        _ => {}
    }
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let fleet = &setup.config.fleet;
    check_client(fleet, client)?;
    let now = Utc::now();
    if setup.demo.as_ref().is_some_and(|d| d.private()) {
        // A private demo store's history and usage, written before the
        // report reads them (the shared demo store was seeded once).
        let writer = Writer::spawn(&setup.db).map_err(|e| CliError::input(e.to_string()))?;
        super::report::seed_demo(fleet, &writer)?;
        super::usage::seed_demo(fleet, &setup.db, now)?;
    }
    let reports = gather(
        fleet,
        &setup.config.ssh,
        &setup.db,
        setup.demo.is_some(),
        ym,
        client,
        now,
    )
    .await?;
    let write = |path: &PathBuf, text: &str| {
        std::fs::write(path, text)
            .map_err(|e| CliError::input(format!("cannot write {}: {e}", path.display())))
    };
    if all {
        let Some(dir) = out else { return Ok(2) };
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::input(format!("cannot create {}: {e}", dir.display())))?;
        for r in &reports {
            let path = dir.join(format!("{}-{}.{format}", file_stem(&r.client), r.label()));
            write(&path, &render(r, format))?;
            println!("{}", path.display());
        }
        return Ok(0);
    }
    let Some(r) = reports.first() else {
        return Err(CliError::input(
            "no report: the client has no month in its timezone",
        ));
    };
    match out {
        Some(path) => write(&path.to_path_buf(), &render(r, format))?,
        None => print!("{}", render(r, format)),
    }
    Ok(0)
}

//! `vigie tickets [--client C] [--format md|json]`: open tickets by urgency
//! with their contract deadline, timer, time and cost; `vigie timesheet
//! --month YYYY-MM [--client C] [--format csv|md]`: the month's time per
//! client and ticket, billed per started period, ready for invoicing.
//!
//! Both sync with the tracker first (and push queued time entries); when
//! the tracker cannot be reached, `tickets` shows the cached tickets marked
//! stale and `timesheet` refuses (an invoice is not made from partial data).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::setup::{self, NoConfig};
use super::{Cli, CliError, check_client};
use crate::model::Fleet;
use crate::model::availability::parse_month;
use crate::model::money::{Decimal, format_cents, format_price};
use crate::model::tickets::{self, BoardRow, Clock, LocalTime, Quota, TimesheetLine};
use crate::sanitize;
use crate::sources::tickets::desk::{Desk, DeskView, backend_from};
use crate::sources::tickets::operator;
use crate::store::tickets::TicketStore;

pub(super) fn desk(fleet: &Fleet, db: &std::path::Path) -> Result<Desk, CliError> {
    let who = operator();
    let backend = backend_from(&fleet.tickets, db, &who)
        .map_err(|e| CliError::input(format!("tickets: {e}")))?;
    let store = TicketStore::open(db).map_err(|e| CliError::input(e.to_string()))?;
    Ok(Desk::new(backend, store, &who)
        .with_settings(&fleet.tickets)
        .with_fleet(std::sync::Arc::new(fleet.clone())))
}

/// The local time the board adds to the tracker's.
pub fn local_time(view: &DeskView) -> LocalTime {
    LocalTime {
        pending: view
            .pending
            .iter()
            .map(|e| (e.ticket, e.worked()))
            .collect(),
        timer: view.timer.as_ref().map(|t| (t.ticket, t.started)),
    }
}

/// A client's yearly calls so far against its quota.
#[derive(Debug, Clone, PartialEq)]
pub struct Calls {
    pub client: String,
    pub quota: Quota,
    /// The tracker counted every ticket opened this year; `false`: only
    /// the open tickets Vigie knows were counted (a lower bound).
    pub complete: bool,
}

/// The clients with a call quota and the start of their year.
pub fn quota_years(fleet: &Fleet, now: DateTime<Utc>) -> Vec<(String, DateTime<Utc>)> {
    fleet
        .clients
        .iter()
        .filter(|c| {
            fleet
                .contracts
                .get(&c.contract)
                .is_some_and(|k| k.calls_per_year.is_some())
        })
        .map(|c| (c.id.clone(), tickets::year_start(c.timezone, now)))
        .collect()
}

/// Asks the tracker how many tickets each client with a quota opened this
/// year; `None` (logged) when it cannot say.
pub async fn count_calls(
    desk: &Desk,
    fleet: &Fleet,
    now: DateTime<Utc>,
) -> Option<BTreeMap<String, u32>> {
    let years = quota_years(fleet, now);
    if years.is_empty() {
        return Some(BTreeMap::new());
    }
    match desk.calls_since(&years).await {
        Ok(counted) => Some(counted),
        Err(e) => {
            tracing::warn!(target: "tickets", "calls this year not counted: {e}");
            None
        }
    }
}

/// Yearly calls so far per client with a quota: as the tracker counted
/// them (`counted`), else the tickets created this year among the known
/// ones.
pub fn quotas(
    fleet: &Fleet,
    view: &DeskView,
    counted: Option<&BTreeMap<String, u32>>,
    now: DateTime<Utc>,
) -> Vec<Calls> {
    fleet
        .clients
        .iter()
        .filter_map(|c| {
            let allowed = fleet.contracts.get(&c.contract)?.calls_per_year?;
            if let Some(used) = counted.and_then(|m| m.get(&c.id)) {
                return Some(Calls {
                    client: c.id.clone(),
                    quota: Quota {
                        used: *used,
                        allowed,
                    },
                    complete: true,
                });
            }
            let created = view
                .cached
                .tickets
                .iter()
                .filter(|t| t.client.as_deref() == Some(c.id.as_str()))
                .map(|t| &t.created);
            let used = tickets::calls_this_year(created, c.timezone, now);
            Some(Calls {
                client: c.id.clone(),
                quota: Quota { used, allowed },
                complete: false,
            })
        })
        .collect()
}

/// `1h05`, `3d 4h`, `12m`.
pub fn short_duration(d: Duration) -> String {
    let m = d.as_secs() / 60;
    match m {
        0..=59 => format!("{m}m"),
        60..=1439 => format!("{}h{:02}", m / 60, m % 60),
        _ => format!("{}d {}h", m / 1440, (m % 1440) / 60),
    }
}

fn hours(d: Duration) -> f64 {
    (d.as_secs_f64() / 36.0).round() / 100.0
}

fn stale_note(view: &DeskView, now: DateTime<Utc>) -> Option<String> {
    let err = view.error.as_ref()?;
    let age = view
        .cached
        .synced
        .map(|at| {
            format!(
                "cache from {} ago",
                short_duration((now - at).to_std().unwrap_or_default())
            )
        })
        .unwrap_or_else(|| "nothing cached".into());
    Some(format!("STALE: {} ({age})", sanitize::clean(err)))
}

/// The board in Markdown; every time in the display zone `tz`.
pub fn render_md(
    rows: &[BoardRow],
    quotas: &[Calls],
    stale: Option<&str>,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> String {
    let mut out = String::new();
    if let Some(s) = stale {
        let _ = writeln!(out, "> {s}\n");
    }
    let _ = writeln!(
        out,
        "| id | client | title | priority | status | age | deadline | timer | spent | cost | notes |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let t = &r.ticket;
        let age = short_duration((now - t.created).to_std().unwrap_or_default());
        let timer = r
            .timer
            .map(|at| {
                format!(
                    "running {}",
                    short_duration((now - at).to_std().unwrap_or_default())
                )
            })
            .unwrap_or_default();
        let mut notes = Vec::new();
        if r.diagnosis_warning {
            notes.push("diagnosis over threshold: tell the client");
        }
        if r.restoration.is_breached() {
            notes.push("restoration late");
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {age} | {} | {timer} | {} | {} {} | {} |",
            t.id,
            md(t.client.as_deref().unwrap_or("?")),
            md(&t.title),
            md(&t.priority),
            md(&t.status),
            super::deadline::words(&r.clock, now, tz),
            short_duration(r.spent),
            format_cents(r.cost),
            r.currency,
            notes.join("; ")
        );
    }
    for c in quotas {
        let q = &c.quota;
        let flag = if q.exceeded() {
            " (EXCEEDED)"
        } else if q.warning() {
            " (80 % reached)"
        } else {
            ""
        };
        let partial = if c.complete {
            ""
        } else {
            " (at least: the tracker could not count, open tickets only)"
        };
        let _ = writeln!(
            out,
            "\ncalls this year, {}: {} of {}{flag}{partial}",
            c.client, q.used, q.allowed
        );
    }
    out
}

fn md(s: &str) -> String {
    sanitize::clean(s).replace('|', "\\|")
}

pub fn render_json(
    rows: &[BoardRow],
    quotas: &[Calls],
    view: &DeskView,
    now: DateTime<Utc>,
) -> String {
    let tickets: Vec<_> = rows
        .iter()
        .map(|r| {
            let t = &r.ticket;
            let (state, due) = match r.clock {
                Clock::None => ("none", None),
                Clock::Running { due, .. } => ("running", Some(due)),
                Clock::Breached { due, .. } => ("breached", Some(due)),
                Clock::Unread { due } => ("unread", Some(due)),
                Clock::Stopped { due, met, .. } => (if met { "met" } else { "late" }, Some(due)),
            };
            json!({
                "id": t.id,
                "client": t.client,
                "project": t.project,
                "title": t.title,
                "status": t.status,
                "priority": t.priority,
                "tracker": t.tracker,
                "author": t.author,
                "assignee": t.assignee,
                "created": t.created,
                "updated": t.updated,
                "deadline": due,
                "due_at": due.map(|d| d.to_rfc3339()),
                "deadline_state": state,
                "timer_started": r.timer,
                "spent_hours": hours(r.spent),
                "billed_hours": hours(r.billed),
                "cost": format_cents(r.cost),
                "currency": r.currency,
                "diagnosis_warning": r.diagnosis_warning,
                // Links cached before they were built without credentials
                // may still carry a key.
                "url": t.url.as_deref().map(crate::urls::masked),
            })
        })
        .collect();
    let quotas: Vec<_> = quotas
        .iter()
        .map(|c| {
            json!({
                "client": c.client,
                "used": c.quota.used,
                "allowed": c.quota.allowed,
                "warning": c.quota.warning(),
                "complete": c.complete,
            })
        })
        .collect();
    let out = json!({
        "generated": now,
        "stale": view.error.is_some(),
        "error": view.error,
        "synced": view.cached.synced,
        "queued_time_entries": view.pending.len(),
        "tickets": tickets,
        "quotas": quotas,
    });
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

pub async fn run_tickets(cli: &Cli, client: Option<&str>, format: &str) -> Result<u8, CliError> {
    if !matches!(format, "md" | "json") {
        return Err(CliError::input(format!(
            "--format {}: expected md or json",
            sanitize::clean_short(format, 20)
        )));
    }
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let fleet = &setup.config.fleet;
    check_client(fleet, client)?;
    let desk = desk(fleet, &setup.db)?;
    let now = Utc::now();
    if let Err(e) = desk.push_pending(now).await {
        tracing::warn!(target: "tickets", "queued time entries not pushed: {e}");
    }
    let view = desk
        .sync(now)
        .await
        .map_err(|e| CliError::input(e.to_string()))?;
    let mut rows = tickets::board(
        &view.cached.tickets,
        fleet,
        &fleet.tickets.rules,
        &local_time(&view),
        now,
    );
    let counted = count_calls(&desk, fleet, now).await;
    let mut quotas = quotas(fleet, &view, counted.as_ref(), now);
    if let Some(c) = client {
        rows.retain(|r| r.ticket.client.as_deref() == Some(c));
        quotas.retain(|q| q.client == c);
    }
    let stale = stale_note(&view, now);
    let text = match format {
        "json" => render_json(&rows, &quotas, &view, now),
        _ => render_md(&rows, &quotas, stale.as_deref(), now, setup.tz),
    };
    println!("{text}");
    if let Some(s) = &stale {
        eprintln!("vigie: {s}");
        return Ok(1);
    }
    Ok(0)
}

/// Refuses a change from a read-only invocation (`--read-only`, `--wall`).
fn refuse_read_only(cli: &Cli, what: &str) -> Result<(), CliError> {
    if cli.read_only || cli.wall {
        return Err(CliError::input(crate::ui::guard::refusal(what)));
    }
    Ok(())
}

/// `vigie tickets new --client C --priority P --title T`: opens a ticket
/// in the client's tracker project and prints its id (and page).
pub async fn run_new(
    cli: &Cli,
    client: &str,
    priority: &str,
    title: &str,
    description: &str,
) -> Result<u8, CliError> {
    refuse_read_only(cli, "opening a ticket")?;
    if title.trim().is_empty() {
        return Err(CliError::input("--title: a ticket needs a title"));
    }
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let fleet = &setup.config.fleet;
    check_client(fleet, Some(client))?;
    let desk = desk(fleet, &setup.db)?;
    let id = desk
        .create(client, priority, title, description)
        .await
        .map_err(|e| CliError {
            message: format!("ticket not opened: {e}"),
            code: 1,
        })?;
    match desk.backend().ticket_url(id) {
        Some(url) => println!("#{id} opened for {client}: {url}"),
        None => println!("#{id} opened for {client}"),
    }
    Ok(0)
}

/// `vigie tickets status ID STATUS`.
pub async fn run_status(cli: &Cli, id: u64, status: &str) -> Result<u8, CliError> {
    refuse_read_only(cli, "changing a ticket's status")?;
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let desk = desk(&setup.config.fleet, &setup.db)?;
    desk.set_status(id, status).await.map_err(|e| CliError {
        message: format!("status of #{id} not changed: {e}"),
        code: 1,
    })?;
    println!("#{id} is now {}", sanitize::clean_short(status.trim(), 40));
    Ok(0)
}

pub fn render_timesheet(
    lines: &[TimesheetLine],
    fleet: &Fleet,
    month: (i32, u32),
    format: &str,
) -> String {
    let mut out = String::new();
    let terms = |c: &str| tickets::terms_of(fleet, c);
    if format == "csv" {
        let _ = writeln!(
            out,
            "month,client,ticket,title,worked_hours,billed_hours,hourly_rate,cost,currency"
        );
        for l in lines {
            let t = terms(&l.client);
            let _ = writeln!(
                out,
                "{}-{:02},{},{},{},{:.2},{:.2},{},{},{}",
                month.0,
                month.1,
                csv(&l.client),
                l.ticket,
                csv(&l.title),
                hours(l.worked),
                hours(l.billed),
                t.as_ref()
                    .map_or_else(String::new, |t| format_price(t.hourly_rate)),
                format_cents(l.cost),
                t.map(|t| t.currency).unwrap_or_default()
            );
        }
        return out;
    }
    let _ = writeln!(out, "# Timesheet {}-{:02}\n", month.0, month.1);
    if lines.is_empty() {
        let _ = writeln!(
            out,
            "No time recorded in {}-{:02}{}.",
            month.0,
            month.1,
            if fleet.clients.is_empty() {
                ""
            } else {
                " for any client"
            }
        );
        return out;
    }
    let mut clients: Vec<&str> = lines.iter().map(|l| l.client.as_str()).collect();
    clients.dedup();
    for c in clients {
        let t = terms(c);
        let name = fleet.client(c).map_or(c, |x| x.name.as_str());
        let _ = writeln!(out, "## {} ({})\n", md(name), md(c));
        let _ = writeln!(out, "| ticket | title | worked | billed | cost |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        let (mut worked, mut billed, mut cost) = (Duration::ZERO, Duration::ZERO, Decimal::ZERO);
        let cur = t.as_ref().map(|t| t.currency.clone()).unwrap_or_default();
        for l in lines.iter().filter(|l| l.client == c) {
            worked += l.worked;
            billed += l.billed;
            cost += l.cost;
            let _ = writeln!(
                out,
                "| #{} | {} | {:.2} h | {:.2} h | {} {cur} |",
                l.ticket,
                md(&l.title),
                hours(l.worked),
                hours(l.billed),
                format_cents(l.cost)
            );
        }
        let _ = writeln!(
            out,
            "| **total** | | {:.2} h | {:.2} h | **{} {cur}** |",
            hours(worked),
            hours(billed),
            format_cents(cost)
        );
        if let Some(t) = t {
            let _ = writeln!(
                out,
                "\nRate {} {cur}/h, billed per started {} per ticket.\n",
                format_price(t.hourly_rate),
                short_duration(t.rounding.period)
            );
        }
    }
    out
}

/// A client's text as a CSV field: escapes shown, formulas guarded.
fn csv(s: &str) -> String {
    super::csv_field(&sanitize::clean(s))
}

pub async fn run_timesheet(
    cli: &Cli,
    month: Option<&str>,
    client: Option<&str>,
    format: &str,
) -> Result<u8, CliError> {
    let asked = match month {
        Some(month) => Some(parse_month(month).ok_or_else(|| {
            CliError::input(format!(
                "--month {}: expected a month like 2026-11",
                sanitize::clean_short(month, 20)
            ))
        })?),
        None => None,
    };
    if !matches!(format, "md" | "csv") {
        return Err(CliError::input(format!(
            "--format {}: expected csv or md",
            sanitize::clean_short(format, 20)
        )));
    }
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let m = asked.unwrap_or_else(|| {
        let today = Utc::now().with_timezone(&setup.tz);
        (
            chrono::Datelike::year(&today),
            chrono::Datelike::month(&today),
        )
    });
    let fleet = &setup.config.fleet;
    check_client(fleet, client)?;
    let desk = desk(fleet, &setup.db)?;
    let entries = desk
        .month_entries(m, Utc::now())
        .await
        .map_err(|e| CliError {
            message: format!("timesheet: {e}; no timesheet made from partial data"),
            code: 1,
        })?;
    let mut lines = tickets::timesheet(&entries, m, |c| tickets::terms_of(fleet, c));
    if let Some(c) = client {
        lines.retain(|l| l.client == c);
    }
    print!("{}", render_timesheet(&lines, fleet, m, format));
    Ok(0)
}

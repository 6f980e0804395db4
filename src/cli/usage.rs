//! `vigie usage --year YYYY [--client C] [--format md|csv|json]`: the
//! figures of each client's yearly invoice from its usage meters, one line
//! per billed item (quantity, unit price, amount); days without a reading
//! and counters that went backwards are listed as such.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::setup::{self, NoConfig};
use super::{Cli, CliError, check_client, csv_field};
use crate::model::Fleet;
use crate::model::usage::{UsageReport, fleet_reports};
use crate::sanitize;
use crate::store::{Reader, StoreError, WriteOp, Writer};

/// The reports of every client (or one) that meters usage or whose
/// contract prices it, in configuration order.
pub fn build(
    reader: &Reader,
    fleet: &Fleet,
    year: i32,
    only: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<UsageReport>, StoreError> {
    let mut stored = reader.usage(year)?;
    Ok(fleet_reports(fleet, &mut stored, year, only, now))
}

use crate::model::money::{format_cents as money, format_price as unit};

pub fn markdown(reports: &[UsageReport], year: i32) -> String {
    let mut out = format!("# Usage invoice figures, {year}\n");
    for r in reports {
        let cur = sanitize::clean(&r.currency);
        let _ = write!(
            out,
            "\n## {}\n\n| Item | Quantity | Unit price | Amount | Note |\n|---|---:|---:|---:|---|\n",
            sanitize::clean(&r.client)
        );
        for l in &r.lines {
            let _ = writeln!(
                out,
                "| {} | {} | {} {cur} | {} {cur} | {} |",
                l.item,
                l.quantity,
                unit(l.unit_price),
                money(l.amount),
                l.note.as_deref().unwrap_or("").replace('|', "/")
            );
        }
        let _ = writeln!(out, "| **Total** | | | **{} {cur}** | |", money(r.total));
        let mut notes = Vec::new();
        for m in &r.meters {
            for g in &m.gaps {
                notes.push(format!("- {} gap: {}", m.meter.label(), g.describe()));
            }
            for f in &m.flags {
                notes.push(format!(
                    "- {} counter went backwards on {} ({} to {}): not billed",
                    m.meter.label(),
                    f.day,
                    f.from,
                    f.to
                ));
            }
        }
        if !notes.is_empty() {
            out.push_str("\nDays without a reading and flagged counters:\n\n");
            for n in notes {
                out.push_str(&sanitize::clean(&n).replace('|', "/"));
                out.push('\n');
            }
        }
    }
    out
}

/// One row per billed item; then one row per gap and per flagged counter
/// (kind `gap` or `flag`, no amount).
pub fn csv(reports: &[UsageReport]) -> String {
    let mut out = String::from("client,year,kind,item,quantity,unit_price,amount,currency,note\n");
    for r in reports {
        for l in &r.lines {
            let _ = writeln!(
                out,
                "{},{},line,{},{},{},{},{},{}",
                csv_field(&r.client),
                r.year,
                csv_field(&l.item),
                l.quantity,
                unit(l.unit_price),
                money(l.amount),
                csv_field(&r.currency),
                csv_field(&sanitize::clean(l.note.as_deref().unwrap_or("")))
            );
        }
        for m in &r.meters {
            for g in &m.gaps {
                let _ = writeln!(
                    out,
                    "{},{},gap,{},{},,,{},{}",
                    csv_field(&r.client),
                    r.year,
                    m.meter.key(),
                    g.days(),
                    csv_field(&r.currency),
                    csv_field(&sanitize::clean(&g.describe()))
                );
            }
            for f in &m.flags {
                let _ = writeln!(
                    out,
                    "{},{},flag,{},,,,{},{}",
                    csv_field(&r.client),
                    r.year,
                    m.meter.key(),
                    csv_field(&r.currency),
                    csv_field(&format!(
                        "counter went backwards on {} ({} to {}), not billed",
                        f.day, f.from, f.to
                    ))
                );
            }
        }
    }
    out
}

pub fn json(reports: &[UsageReport], year: i32) -> serde_json::Value {
    let clients: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            serde_json::json!({
                "client": r.client,
                "currency": r.currency,
                "total": money(r.total),
                "lines": r.lines.iter().map(|l| serde_json::json!({
                    "item": l.item,
                    "quantity": l.quantity,
                    "unit_price": unit(l.unit_price),
                    "amount": money(l.amount),
                    "note": l.note.as_deref().map(sanitize::clean),
                })).collect::<Vec<_>>(),
                "active_users": r.users_year,
                "meters": r.meters.iter().map(|m| serde_json::json!({
                    "meter": m.meter.key(),
                    "counted": m.counted,
                    "peak": m.peak,
                    "days": m.days.len(),
                    "gaps": m.gaps.iter().map(|g| serde_json::json!({
                        "from": g.from.to_string(),
                        "to": g.to.to_string(),
                        "cause": g.cause.as_deref().map(sanitize::clean),
                    })).collect::<Vec<_>>(),
                    "backwards": m.flags.iter().map(|f| serde_json::json!({
                        "day": f.day.to_string(), "from": f.from, "to": f.to,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "quotas": r.quotas.iter().map(|q| serde_json::json!({
                    "meter": q.meter.key(),
                    "used": q.used,
                    "included": q.included,
                    "percent": (q.percent() * 10.0).round() / 10.0,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({ "year": year, "clients": clients })
}

/// The demo's year of samples, written before a report reads it.
pub(super) fn seed_demo(
    fleet: &Fleet,
    db: &std::path::Path,
    now: DateTime<Utc>,
) -> Result<(), CliError> {
    let writer = Writer::spawn(db).map_err(|e| CliError::input(e.to_string()))?;
    let _ = writer.send(WriteOp::Usage(crate::demo::usage::samples(fleet, now)));
    writer.flush().map_err(|e| CliError::input(e.to_string()))
}

pub async fn run(
    cli: &Cli,
    year: Option<i32>,
    client: Option<&str>,
    format: &str,
) -> Result<u8, CliError> {
    if !matches!(format, "md" | "csv" | "json") {
        return Err(CliError::input(format!(
            "--format {}: expected csv, md or json",
            sanitize::clean_short(format, 20)
        )));
    }
    if let Some(year) = year.filter(|y| !(2000..=9999).contains(y)) {
        return Err(CliError::input(format!(
            "--year {year}: expected a year like 2026"
        )));
    }
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let year = year.unwrap_or_else(|| chrono::Datelike::year(&Utc::now().with_timezone(&setup.tz)));
    let fleet = &setup.config.fleet;
    check_client(fleet, client)?;
    let now = Utc::now();
    if setup.demo.as_ref().is_some_and(|d| d.private()) {
        // A private demo store's year of samples, written before the
        // report reads it (the shared demo store was seeded once).
        seed_demo(fleet, &setup.db, now)?;
    }
    let reader = Reader::open(&setup.db).map_err(|e| CliError::input(e.to_string()))?;
    let reports =
        build(&reader, fleet, year, client, now).map_err(|e| CliError::input(e.to_string()))?;
    match format {
        "csv" => print!("{}", csv(&reports)),
        "json" => println!("{}", json(&reports, year)),
        _ => print!("{}", markdown(&reports, year)),
    }
    Ok(0)
}

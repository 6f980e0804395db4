//! The monthly report's sections as tables of plain (cleaned, unescaped)
//! text: Markdown and HTML render the same cells, so they cannot disagree.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{MonthReport, deadline_state, hours, notice_days};
use crate::model::money::{Decimal, format_cents, format_price};
use crate::sanitize::{clean, clean_short};

pub struct Table {
    pub title: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    /// Sentences under the table (totals, rates, what is missing).
    pub notes: Vec<String>,
    /// Said instead of an empty table.
    pub empty: &'static str,
}

fn local(r: &MonthReport, t: DateTime<Utc>) -> String {
    t.with_timezone(&r.tz).format("%Y-%m-%d %H:%M").to_string()
}

/// "3h05m", "12m", "0s".
pub fn span(d: chrono::TimeDelta) -> String {
    let m = d.num_minutes();
    match (m / 60, m % 60) {
        (0, 0) => format!("{}s", d.num_seconds().max(0)),
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m:02}m"),
    }
}

/// Floored to three decimals, never rounded up into a better tier (as
/// `report sla` prints it).
pub fn pct(p: Option<f64>) -> String {
    p.map_or("n/a".into(), |p| {
        format!("{:.3} %", (p * 1000.0).floor() / 1000.0)
    })
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => clean_short(s, 120),
        Value::Null => "-".into(),
        v => v.to_string(),
    }
}

fn when(r: &MonthReport, v: &Value) -> String {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map_or("-".into(), |t| local(r, t.with_timezone(&Utc)))
}

pub fn tables(r: &MonthReport) -> Vec<Table> {
    let s = &r.sla;
    let currency = clean(&s.currency);
    let availability = Table {
        title: "Availability",
        headers: vec![
            "Checks counted",
            "Availability",
            "Target",
            "Down",
            "Maintenance (excluded)",
            "Unknown",
            "No data",
            "Credit",
        ],
        rows: vec![vec![
            s.checks.len().to_string(),
            pct(s.percent),
            s.target.map_or("-".into(), |t| format!("{t} %")),
            span(s.time.down),
            span(s.time.maintenance),
            span(s.time.unknown),
            span(s.time.no_data),
            format!(
                "{} {currency} ({} %)",
                format_cents(s.credit),
                s.credit_percent.normalize()
            ),
        ]],
        notes: vec![
            "Production services under the contract; announced maintenance is not counted as unavailability."
                .into(),
        ],
        empty: "",
    };
    let end_of = |e: Option<DateTime<Utc>>| e.unwrap_or(s.to.min(r.generated));
    let incidents = Table {
        title: "Incidents",
        headers: vec!["Start", "End", "Lasted", "Service", "Cause"],
        rows: s
            .incidents
            .iter()
            .map(|i| {
                vec![
                    local(r, i.start),
                    i.end.map_or("ongoing".into(), |e| local(r, e)),
                    span(end_of(i.end) - i.start),
                    clean(&i.check),
                    clean(&i.cause),
                ]
            })
            .collect(),
        notes: Vec::new(),
        empty: "No incident this month.",
    };
    let maintenance = Table {
        title: "Maintenance",
        headers: vec![
            "Window",
            "Kind",
            "Start",
            "End",
            "State",
            "Announced",
            "Excluded",
        ],
        rows: r
            .maintenance
            .iter()
            .map(|w| {
                vec![
                    clean_short(&w.title, 80),
                    w.kind.label().into(),
                    local(r, w.start),
                    local(r, w.end),
                    w.state_at(r.generated).label().into(),
                    notice_days(w).map_or("not announced".into(), |d| format!("{d} days ahead")),
                    if w.excuses() { "yes" } else { "no" }.into(),
                ]
            })
            .collect(),
        notes: Vec::new(),
        empty: "No maintenance this month.",
    };
    let tickets = Table {
        title: "Tickets opened this month",
        headers: vec![
            "Ticket",
            "Title",
            "Priority",
            "Opened",
            "Intervention due",
            "Deadline",
        ],
        rows: r
            .tickets
            .iter()
            .map(|row| {
                let (state, due) = deadline_state(&row.clock);
                vec![
                    format!("#{}", row.ticket.id),
                    clean_short(&row.ticket.title, 80),
                    clean_short(&row.ticket.priority, 20),
                    local(r, row.ticket.created),
                    due.map_or("-".into(), |d| local(r, d)),
                    state.into(),
                ]
            })
            .collect(),
        notes: r
            .tracker_error
            .iter()
            .map(|e| {
                format!(
                    "The tracker could not be read ({}); tickets as last known.",
                    clean_short(e, 120)
                )
            })
            .collect(),
        empty: "No ticket opened this month.",
    };
    let cur = r
        .terms
        .as_ref()
        .map(|t| clean(&t.currency))
        .unwrap_or_default();
    let mut time_notes = Vec::new();
    let time_rows = match &r.timesheet {
        Some(lines) => {
            let total = lines.iter().fold(Decimal::ZERO, |a, l| a + l.cost);
            if !lines.is_empty() {
                time_notes.push(format!("Total billed: {} {cur}.", format_cents(total)));
            }
            if let Some(t) = &r.terms {
                time_notes.push(format!("Rate {} {cur}/h.", format_price(t.hourly_rate)));
            }
            lines
                .iter()
                .map(|l| {
                    vec![
                        format!("#{}", l.ticket),
                        clean_short(&l.title, 80),
                        format!("{} h", hours(l.worked)),
                        format!("{} h", hours(l.billed)),
                        format!("{} {cur}", format_cents(l.cost)),
                    ]
                })
                .collect()
        }
        None => {
            time_notes.push(
                "The tracker could not give this month's time: no figure from partial data.".into(),
            );
            Vec::new()
        }
    };
    if let Some(c) = &r.calls {
        time_notes.push(format!(
            "Support calls this year: {} of {}{}.",
            c.quota.used,
            c.quota.allowed,
            if c.complete { "" } else { " (at least)" }
        ));
    }
    let time = Table {
        title: "Time billed",
        headers: vec!["Ticket", "Title", "Worked", "Billed", "Cost"],
        rows: time_rows,
        notes: time_notes,
        empty: "No time recorded this month.",
    };
    let backups = Table {
        title: "Backups",
        headers: vec![
            "Source",
            "Verdict",
            "RPO",
            "Newest point",
            "Days kept",
            "Days with a point this month",
            "Suspect points",
        ],
        rows: r
            .backups
            .iter()
            .map(|b| {
                let days = b["days"].as_array().map_or(0, |d| {
                    d.iter()
                        .filter(|d| d["points"].as_array().is_some_and(|p| !p.is_empty()))
                        .count()
                });
                vec![
                    text(&b["id"]),
                    text(&b["verdict"]),
                    if b["rpo_ok"] == true {
                        "kept"
                    } else {
                        "broken"
                    }
                    .into(),
                    when(r, &b["newest"]),
                    format!("{}/{}", text(&b["days_present"]), text(&b["days_required"])),
                    days.to_string(),
                    text(&b["suspects"]),
                ]
            })
            .collect(),
        notes: Vec::new(),
        empty: "No backup source for this client.",
    };
    let usage = Table {
        title: "Usage to date",
        headers: vec!["Meter", "Used", "Included", "Share"],
        rows: r
            .usage
            .iter()
            .flat_map(|u| u.quotas.iter())
            .map(|q| {
                vec![
                    q.meter.label().into(),
                    q.used.to_string(),
                    q.included.to_string(),
                    format!("{:.1} %", (q.percent() * 10.0).round() / 10.0),
                ]
            })
            .collect(),
        notes: r
            .usage
            .iter()
            .map(|u| {
                format!(
                    "Invoice figures for {} so far: {} {}.",
                    u.year,
                    format_cents(u.total),
                    clean(&u.currency)
                )
            })
            .collect(),
        empty: "No quota in the contract.",
    };
    vec![
        availability,
        incidents,
        maintenance,
        tickets,
        time,
        backups,
        usage,
    ]
}

//! `vigie backups [--client C] [--month YYYY-MM] [--format md|json]`: every
//! backup source listed now (and the run log from the store), judged; exit
//! codes as `vigie check`: 0 OK, 1 WARNING (a suspect point, a failed run),
//! 2 CRITICAL (an RPO or retention rule broken, a source in error),
//! 3 UNKNOWN (nothing could be judged).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Datelike, Utc};
use serde_json::json;

use super::check::Verdict;
use super::setup::{self, NoConfig};
use super::{Cli, CliError, check_client};
use crate::engine::backups::list_once;
use crate::model::backup::{
    BackupRun, DayState, Overview, RunOutcome, SourceRecord, month_days, overview,
};
use crate::model::{Fleet, Status, availability};
use crate::sanitize::{clean, clean_short};
use crate::sources::backups::BackupLister;
use crate::store::Reader;

/// What is known of every source: the store's run log and last listings,
/// then a listing made now. The demo's repositories not built today are
/// built first when `build` (`vigie --demo backups`), else said to be
/// missing (a snapshot); one whose program is missing says which.
pub async fn records(
    fleet: &Fleet,
    ssh: &crate::config::SshSettings,
    db: &Path,
    demo: bool,
    build: bool,
) -> BTreeMap<String, SourceRecord> {
    let now = Utc::now();
    let mut records = if db.exists() {
        Reader::open(db)
            .ok()
            .and_then(|r| r.backups(now - crate::ui::panes::backups::RUNS_KEPT).ok())
            .unwrap_or_default()
    } else {
        BTreeMap::new()
    };
    // The demo's repositories are built here if need be (waiting for a
    // console building them) when `build`, else only looked at; one whose
    // program is missing says so.
    let mut sources = fleet.backups.clone();
    if demo {
        use crate::demo::backups::{Part, note, prepare_now, status};
        let root = crate::demo::backups::dir();
        let states = if build {
            match tokio::task::spawn_blocking(move || prepare_now(now)).await {
                Ok(result) => result,
                Err(e) => Err(e.to_string()),
            }
        } else {
            Ok(status(now))
        };
        sources.retain(|src| {
            let Some(part) = Part::of(src, &root) else {
                return true;
            };
            let said = match &states {
                Ok(states) => states
                    .iter()
                    .find(|(p, _)| *p == part)
                    .map_or(Some(crate::demo::backups::PREPARING.into()), |(_, s)| {
                        note(s)
                    }),
                Err(e) => Some(format!("demo repositories not built: {e}")),
            };
            match said {
                Some(n) => {
                    records.entry(src.id.clone()).or_default().note = Some(n);
                    false
                }
                None => true,
            }
        });
    }
    let lister = BackupLister::default().with_ssh(std::sync::Arc::new(ssh.options()));
    let listed = list_once(&sources, &lister).await;
    for (id, result) in listed {
        let r = records.entry(id).or_default();
        r.checked = Some(now);
        match result {
            Ok(points) => {
                // Seen now: part of the run log too.
                for p in &points {
                    let seen = r
                        .runs
                        .iter()
                        .any(|x| x.at == p.at && x.outcome == RunOutcome::Success);
                    if !seen {
                        r.runs.push(BackupRun {
                            at: p.at,
                            started: p
                                .duration
                                .and_then(|d| chrono::TimeDelta::from_std(d).ok())
                                .map(|d| p.at - d),
                            outcome: RunOutcome::Success,
                            size: p.size,
                        });
                    }
                }
                r.points = points;
                r.error = None;
            }
            Err(e) => r.error = Some(e),
        }
    }
    records
}

pub async fn run(
    cli: &Cli,
    client: Option<&str>,
    month: Option<&str>,
    format: &str,
) -> Result<u8, CliError> {
    let month = match month {
        Some(m) => Some(availability::parse_month(m).ok_or_else(|| {
            CliError::input(format!(
                "--month {}: expected a month like 2026-11",
                clean_short(m, 20)
            ))
        })?),
        None => None,
    };
    if !matches!(format, "md" | "json") {
        return Err(CliError::input(format!(
            "--format {}: expected md or json",
            clean_short(format, 20)
        )));
    }
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let mut fleet = setup.config.fleet.clone();
    check_client(&fleet, client)?;
    if let Some(c) = client {
        fleet.backups.retain(|b| b.client == c);
    }
    let records = records(
        &fleet,
        &setup.config.ssh,
        &setup.db,
        setup.demo.is_some(),
        true,
    )
    .await;
    let now = Utc::now();
    let o = overview(&fleet, &records, now);
    match format {
        "json" => println!("{}", to_json(&fleet, &records, &o, month, now)),
        _ => print!("{}", markdown(&fleet, &records, &o, month, now)),
    }
    Ok(verdict(&o) as u8)
}

/// The exit code's verdict, as `vigie check` decides it.
pub fn verdict(o: &Overview) -> Verdict {
    match o.worst() {
        None => Verdict::Unknown,
        Some(Status::Unknown) if o.sources.iter().all(|s| s.judged.status == Status::Unknown) => {
            Verdict::Unknown
        }
        Some(Status::Unknown) => Verdict::Ok,
        Some(s) => Verdict::of(s),
    }
}

fn month_of(month: Option<(i32, u32)>, now: DateTime<Utc>, tz: chrono_tz::Tz) -> (i32, u32) {
    month.unwrap_or_else(|| {
        let d = now.with_timezone(&tz).date_naive();
        (d.year(), d.month())
    })
}

fn markdown(
    fleet: &Fleet,
    records: &BTreeMap<String, SourceRecord>,
    o: &Overview,
    month: Option<(i32, u32)>,
    now: DateTime<Utc>,
) -> String {
    let mut out = String::from("# Backups\n\n| client | verdict |\n|---|---|\n");
    for c in &o.clients {
        out.push_str(&format!(
            "| {} | {} {} |\n",
            cell(&c.name),
            c.status.label(),
            cell(&c.line)
        ));
    }
    out.push_str("\n| source | client | kind | status | verdict | newest | oldest | days | size trend |\n|---|---|---|---|---|---|---|---|---|\n");
    for s in &o.sources {
        let src = &fleet.backups[s.index];
        let e = &s.judged.eval;
        let fmt = |t: Option<DateTime<Utc>>| {
            t.map_or("-".into(), |t| {
                t.with_timezone(&s.tz).format("%Y-%m-%d %H:%M").to_string()
            })
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {}/{} | {} |\n",
            cell(&src.id),
            cell(&src.client),
            src.kind.label(),
            s.judged.status.label(),
            cell(&s.judged.verdict),
            fmt(e.newest),
            fmt(e.oldest),
            e.present,
            e.required,
            e.trend
                .map_or("-".into(), |t| format!("{:+.0} %", t.change_pct)),
        ));
    }
    for s in &o.sources {
        let src = &fleet.backups[s.index];
        let (y, m) = month_of(month, now, s.tz);
        let empty = SourceRecord::default();
        let rec = records.get(&src.id).unwrap_or(&empty);
        let days = month_days(
            &src.policy,
            src.kind.evidence(),
            s.tz,
            &rec.points,
            &rec.runs,
            &s.judged.eval,
            y,
            m,
        );
        out.push_str(&format!(
            "\n## {} {y}-{m:02}\n\n```\nMo Tu We Th Fr Sa Su\n",
            clean(&src.id)
        ));
        let lead = days
            .first()
            .map_or(0, |d| d.date.weekday().num_days_from_monday() as usize);
        out.push_str(&"   ".repeat(lead));
        for d in &days {
            out.push_str(&format!("{:>2}{}", d.date.day(), mark(d.state)));
            if d.date.weekday() == chrono::Weekday::Sun {
                out.push('\n');
            }
        }
        out.push_str("\n```\n");
        out.push_str(DayState::LEGEND);
        out.push('\n');
    }
    out
}

fn mark(s: DayState) -> char {
    s.mark()
}

fn cell(s: &str) -> String {
    clean(s).replace('|', "\\|")
}

pub(super) fn to_json(
    fleet: &Fleet,
    records: &BTreeMap<String, SourceRecord>,
    o: &Overview,
    month: Option<(i32, u32)>,
    now: DateTime<Utc>,
) -> serde_json::Value {
    let sources: Vec<serde_json::Value> = o
        .sources
        .iter()
        .map(|s| {
            let src = &fleet.backups[s.index];
            let e = &s.judged.eval;
            let (y, m) = month_of(month, now, s.tz);
            let empty = SourceRecord::default();
            let rec = records.get(&src.id).unwrap_or(&empty);
            let days = month_days(
                &src.policy,
                src.kind.evidence(),
                s.tz,
                &rec.points,
                &rec.runs,
                e,
                y,
                m,
            );
            let days: Vec<serde_json::Value> = days
                .iter()
                .map(|d| {
                    json!({
                        "date": d.date.to_string(),
                        "state": d.state.label(),
                        "points": d.points.iter().map(|&i| {
                            let p = &rec.points[i];
                            json!({
                                "id": clean(&p.id),
                                "at": p.at.to_rfc3339(),
                                "size": p.size,
                                "duration_s": p.duration.map(|d| d.as_secs_f64()),
                            })
                        }).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({
                "id": src.id,
                "client": src.client,
                "kind": src.kind.label(),
                "status": s.judged.status,
                "verdict": clean(&s.judged.verdict),
                "error": rec.error.as_deref().map(clean),
                "rpo_ok": e.rpo_ok,
                "newest": e.newest.map(|t| t.to_rfc3339()),
                "oldest": e.oldest.map(|t| t.to_rfc3339()),
                "days_present": e.present,
                "days_required": e.required,
                "suspects": e.suspects,
                "size_change_pct": e.trend.map(|t| t.change_pct),
                "month": format!("{y}-{m:02}"),
                "days": days,
            })
        })
        .collect();
    let clients: Vec<serde_json::Value> = o
        .clients
        .iter()
        .map(|c| json!({"client": c.client, "name": clean(&c.name), "status": c.status, "verdict": clean(&c.line)}))
        .collect();
    json!({
        "verdict": verdict(o).label(),
        "clients": clients,
        "sources": sources,
    })
}

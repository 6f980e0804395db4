//! `vigie pos [--client C] [--format md|json]`: every store with its tills,
//! lines, session and current alerts, observed once now. Exit code 1 when
//! a store is critical, 0 otherwise (warnings included), 2 on bad usage.

use chrono::Utc;
use serde_json::{Value, json};

use super::setup::{self, NoConfig};
use super::{Cli, CliError, check_client};
use crate::engine;
use crate::model::Status;
use crate::model::pos::StoreView;
use crate::sanitize::clean;
use crate::sources::Sources;
use crate::ui::panes::pos::{line_text, session_text};

pub async fn run(cli: &Cli, client: Option<&str>, format: &str) -> Result<u8, CliError> {
    if !matches!(format, "md" | "json") {
        return Err(CliError::input(format!(
            "--format {format}: expected md or json"
        )));
    }
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let fleet = &setup.config.fleet;
    check_client(fleet, client)?;
    let sources = Sources::new()
        .map_err(|e| CliError::input(format!("cannot build the HTTP client: {e}")))?;
    let mut views: Vec<StoreView> = engine::pos::run_once(fleet, &sources)
        .await
        .into_iter()
        .filter(|v| client.is_none_or(|c| v.client == c))
        .collect();
    views.sort_by(|a, b| b.status.cmp(&a.status).then_with(|| a.name.cmp(&b.name)));
    let text = match format {
        "json" => serde_json::to_string_pretty(
            &json!({ "stores": views.iter().map(to_json).collect::<Vec<_>>() }),
        )
        .map_err(|e| CliError::input(e.to_string()))?,
        _ => markdown(&views, setup.tz),
    };
    println!("{text}");
    Ok(if views.iter().any(StoreView::is_critical) {
        1
    } else {
        0
    })
}

fn verdict(s: Status) -> &'static str {
    match s {
        Status::Down => "critical",
        Status::Degraded => "warning",
        Status::Unknown => "unknown",
        _ => "ok",
    }
}

fn hhmm(v: &StoreView, t: chrono::DateTime<Utc>) -> String {
    t.with_timezone(&v.tz).format("%H:%M").to_string()
}

/// The report as Markdown, worst store first. A store's hours are its own
/// local times, named when its zone is not the display zone `tz`.
pub fn markdown(views: &[StoreView], tz: chrono_tz::Tz) -> String {
    let now = Utc::now();
    let mut out = String::from("# Stores\n");
    if views.is_empty() {
        out.push_str("\nNo stores with tills configured.\n");
    }
    for v in views {
        out.push_str(&format!(
            "\n## {} {} ({}): {}\n\n",
            v.status.glyph(),
            clean(&v.name),
            clean(&v.client),
            verdict(v.status)
        ));
        let hours = v.today.map_or("closed today".into(), |d| {
            format!(
                "{}–{}{}",
                hhmm(v, d.open),
                hhmm(v, d.close),
                crate::ui::panes::pos::zone_label(v, tz)
            )
        });
        out.push_str(&format!("- period: {} ({hours})\n", v.period.label()));
        let session = session_text(v, now).0;
        let session = session.strip_prefix("session ").unwrap_or(&session);
        out.push_str(&format!("- session: {session}\n"));
        let tills: Vec<String> = v
            .tills
            .iter()
            .map(|(n, r)| match r.latency_ms {
                Some(ms) => format!("{} {} {ms} ms", clean(n), r.status.label()),
                None => format!("{} {} ({})", clean(n), r.status.label(), clean(&r.message)),
            })
            .collect();
        out.push_str(&format!(
            "- tills: {}\n",
            if tills.is_empty() {
                "none".into()
            } else {
                tills.join(", ")
            }
        ));
        if let Some(r) = &v.iot {
            out.push_str(&format!("- IoT box: {}\n", r.status.label()));
        }
        if let Some(r) = &v.odoo_health {
            out.push_str(&format!(
                "- Odoo /web/health: {} {}\n",
                r.status.label(),
                clean(&r.message)
            ));
        }
        let lines: Vec<String> = v
            .uplinks
            .iter()
            .map(|(role, r)| format!("{} {}", role.label(), r.status.label()))
            .collect();
        let (using, _) = line_text(v);
        out.push_str(&format!(
            "- lines: {}{}\n",
            if lines.is_empty() {
                "none".into()
            } else {
                lines.join(", ")
            },
            if using.is_empty() {
                String::new()
            } else {
                format!("; {using}")
            }
        ));
        if v.alerts.is_empty() {
            out.push_str("- alerts: none\n");
        } else {
            out.push_str("- alerts:\n");
            for a in &v.alerts {
                out.push_str(&format!(
                    "  - {} {}: {}\n",
                    a.severity.glyph(),
                    verdict(a.severity),
                    clean(&a.message)
                ));
            }
        }
    }
    out
}

/// One store as JSON (times in RFC 3339, UTC).
pub fn to_json(v: &StoreView) -> Value {
    let session = v.current_session().map(|s| {
        json!({"name": s.name, "config": s.config, "state": s.state.label(), "start_at": s.start_at, "stop_at": s.stop_at, "rescue": s.rescue})
    });
    let odoo_problem = match &v.sessions {
        Some(Err(p)) => Some(p.describe()),
        _ => None,
    };
    json!({
        "client": v.client,
        "store": v.site,
        "name": v.name,
        "status": verdict(v.status),
        "period": v.period.label(),
        "opens_at": v.today.map(|d| d.open),
        "closes_at": v.today.map(|d| d.close),
        "tills": v.tills.iter().map(|(n, r)| json!({"name": n, "status": r.status.label(), "latency_ms": r.latency_ms, "message": r.message})).collect::<Vec<_>>(),
        "iot": v.iot.as_ref().map(|r| r.status.label()),
        "odoo_health": v.odoo_health.as_ref().map(|r| r.status.label()),
        "uplinks": v.uplinks.iter().map(|(role, r)| json!({"line": role.label(), "status": r.status.label(), "latency_ms": r.latency_ms})).collect::<Vec<_>>(),
        "line_in_use": match &v.active { Some(Ok(r)) => Some(r.label().to_string()), _ => None },
        "line_problem": match &v.active { Some(Err(e)) => Some(e.clone()), _ => None },
        "session": session,
        "odoo_problem": odoo_problem,
        "alerts": v.alerts.iter().map(|a| json!({"severity": verdict(a.severity), "message": a.message, "since": a.since, "occurrences": a.occurrences})).collect::<Vec<_>>(),
    })
}

//! `vigie alerts`: the console's one alert list, from the same state a
//! frame draws (`snapshot::console_state`), with the acknowledgements and
//! silences the store keeps. Exit status as a Nagios plugin would read it:
//! 0 nothing unattended, 1 warnings, 2 a critical nobody took.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;

use super::{Cli, CliError};
use crate::model::attention::{Open, Severity};
use crate::sanitize;

pub async fn run(cli: &Cli, client: Option<&str>, format: &str) -> Result<u8, CliError> {
    if !matches!(format, "md" | "json") {
        return Err(CliError::input(format!(
            "--format {}: expected md or json",
            sanitize::clean_short(format, 20)
        )));
    }
    let (app, setup) = super::snapshot::console_state(cli).await?;
    if let Some(c) = client {
        if !setup.config.fleet.clients.iter().any(|k| k.id == c) {
            return Err(CliError::input(format!(
                "--client {}: no such client in the configuration",
                sanitize::clean_short(c, 40)
            )));
        }
    }
    let open = crate::ui::attention::open(&app);
    let listed: Vec<&Open> = open
        .iter()
        .filter(|o| client.is_none_or(|c| o.alert.subject.clients.iter().any(|k| k == c)))
        .collect();
    if format == "json" {
        // What paging sent about each alert, when the store has it.
        let reader = setup
            .db
            .exists()
            .then(|| crate::store::Reader::open(&setup.db).ok())
            .flatten();
        let items: Vec<_> = listed
            .iter()
            .map(|o| {
                let pages = reader
                    .as_ref()
                    .and_then(|r| r.pages_of(&o.alert.id).ok())
                    .unwrap_or_default();
                let mut item = to_json(o, setup.tz);
                item["pages"] = pages_json(&pages, setup.tz);
                item
            })
            .collect();
        let text = serde_json::to_string_pretty(&items)
            .map_err(|e| CliError::input(format!("cannot write JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", markdown(&listed, setup.tz, app.data.now));
    }
    Ok(exit_code(&listed))
}

/// 2 when a critical alert is unattended (neither acknowledged nor
/// silenced), else 1 for an unattended warning, else 0.
pub fn exit_code(open: &[&Open]) -> u8 {
    let worst = open
        .iter()
        .filter(|o| o.unattended())
        .map(|o| o.alert.severity)
        .max();
    match worst {
        Some(Severity::Critical) => 2,
        Some(Severity::Warning) => 1,
        _ => 0,
    }
}

fn stamp(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).to_rfc3339()
}

/// The stable JSON form: `id`, `domain`, `severity`, `subject`, `since`
/// (RFC 3339 with the display zone's offset), `reason`, `ack` (null or
/// `{by, at, comment, expires}`), `silenced` (the silence's id or null).
fn to_json(o: &Open, tz: Tz) -> serde_json::Value {
    let a = &o.alert;
    json!({
        "id": a.id,
        "domain": a.domain,
        "severity": a.severity,
        "subject": a.subject,
        "since": stamp(a.since, tz),
        "reason": a.reason,
        "points": a.points,
        "ack": o.ack.as_ref().map(|k| json!({
            "by": k.by,
            "at": stamp(k.at, tz),
            "comment": k.comment,
            "expires": k.expires.map(|e| stamp(e, tz)),
        })),
        "silenced": o.silenced,
    })
}

/// Each page about an alert: `to` (receiver, and the rota member it
/// reached), `kind`, `decided` and `sent` (RFC 3339), `attempts`, and the
/// receiver's `answer` (or the last error while it is still queued).
fn pages_json(pages: &[crate::store::pages::PageRecord], tz: Tz) -> serde_json::Value {
    pages
        .iter()
        .map(|p| {
            json!({
                "receiver": p.receiver,
                "member": p.to,
                "kind": p.kind,
                "decided": stamp(p.decided, tz),
                "sent": p.sent.map(|t| stamp(t, tz)),
                "attempts": p.attempts,
                "answer": p.answer.as_deref().map(|a| sanitize::clean_short(a, 120)),
                "gave_up": p.gave_up,
            })
        })
        .collect()
}

/// One table, unattended first then worst first (the list's own order),
/// times in the display zone, named once in the heading.
pub fn markdown(open: &[&Open], tz: Tz, now: DateTime<Utc>) -> String {
    let mut out = format!("# Alerts ({})\n\n", tz.name());
    if open.is_empty() {
        out.push_str("Nothing needs anyone.\n");
        return out;
    }
    out.push_str("| severity | id | since | reason | taken |\n|---|---|---|---|---|\n");
    let cell = |s: &str| sanitize::clean_short(s, 120).replace('|', "\\|");
    for o in open {
        let a = &o.alert;
        let taken = match (&o.ack, o.silenced) {
            (Some(k), _) if k.comment.is_empty() => format!("ack by {}", k.by),
            (Some(k), _) => format!("ack by {}: {}", k.by, k.comment),
            (None, Some(id)) => format!("silenced (#{id})"),
            (None, None) => String::new(),
        };
        out.push_str(&format!(
            "| {} {} | {} | {} | {} | {} |\n",
            a.severity.glyph(),
            a.severity.label(),
            cell(&a.id),
            crate::model::hours::moment(a.since, now, tz),
            cell(&format!("{}: {}", a.subject.text(), a.reason)),
            cell(&taken),
        ));
    }
    out
}

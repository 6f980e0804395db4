//! A client's status page as HTML, JSON, iCalendar and Atom. Every string
//! shown is escaped for its format; only public names reach it.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{ClientPage, INCIDENT_DAYS};
use crate::cli::month::escape;
use crate::model::Status;
use crate::model::maintenance::ical;

/// The client's words for a state.
fn words(s: Status) -> &'static str {
    match s {
        Status::Up => "operational",
        Status::Down => "outage",
        Status::Maintenance => "maintenance",
        _ => "not known",
    }
}

fn class(s: Status) -> &'static str {
    match s {
        Status::Up => "ok",
        Status::Down => "bad",
        Status::Maintenance => "warn",
        _ => "none",
    }
}

fn local(p: &ClientPage, t: DateTime<Utc>) -> String {
    t.with_timezone(&p.tz).format("%Y-%m-%d %H:%M").to_string()
}

fn pct(p: Option<f64>) -> String {
    // Floored, as the monthly report says it.
    p.map_or("no data".into(), |p| {
        format!("{:.3} %", (p * 1000.0).floor() / 1000.0)
    })
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:48rem;padding:1rem;color:#1b1b1b;line-height:1.4}\
h1{font-size:1.4rem}h2{font-size:1.1rem;border-bottom:1px solid #ccc;margin-top:1.5rem}\
ul{padding-left:1.2rem}.ok{color:#2e7d32}.bad{color:#c62828}.warn{color:#8d6e00}.none{color:#666}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3rem;text-align:left}";

pub fn html(p: &ClientPage) -> String {
    let name = escape(&p.name);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{name} — service status</title><style>{CSS}</style>\
<link rel=\"alternate\" type=\"application/atom+xml\" href=\"incidents.atom\"></head><body>\n\
<h1>{name} — service status</h1>\n<p>Updated {} ({}).</p>\n<h2>Services</h2>\n<ul>\n",
        escape(&local(p, p.generated)),
        escape(p.tz.name())
    );
    for s in &p.services {
        let _ = writeln!(
            out,
            "<li>{}: <strong class=\"{}\">{}</strong>{}</li>",
            escape(&s.name),
            class(s.status),
            words(s.status),
            s.since
                .map(|t| format!(" since {}", escape(&local(p, t))))
                .unwrap_or_default()
        );
    }
    out.push_str("</ul>\n<h2>Maintenance to come</h2>\n");
    if p.maintenance.is_empty() {
        out.push_str("<p>None announced.</p>\n");
    } else {
        out.push_str("<ul>\n");
        for w in &p.maintenance {
            let _ = writeln!(
                out,
                "<li>{}: {} to {}</li>",
                escape(&w.title),
                escape(&local(p, w.start)),
                escape(&local(p, w.end))
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<p><a href=\"maintenance.ics\">Add the maintenance calendar</a></p>\n");
    let _ = writeln!(out, "<h2>Incidents of the last {INCIDENT_DAYS} days</h2>");
    if p.incidents.is_empty() {
        out.push_str("<p>No incident.</p>\n");
    } else {
        out.push_str("<table><tr><th>Service</th><th>Start</th><th>End</th></tr>\n");
        for i in &p.incidents {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&i.service),
                escape(&local(p, i.start)),
                i.end.map_or("ongoing".into(), |e| escape(&local(p, e)))
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("<h2>Availability</h2>\n<table><tr><th>Month</th><th>Availability</th></tr>\n");
    for (m, a) in &p.months {
        let _ = writeln!(out, "<tr><td>{}</td><td>{}</td></tr>", escape(m), pct(*a));
    }
    out.push_str(
        "</table>\n<p><a href=\"incidents.atom\">Incident feed (Atom)</a></p>\n</body></html>\n",
    );
    out
}

pub fn json(p: &ClientPage) -> serde_json::Value {
    json!({
        "client": p.client,
        "name": crate::sanitize::clean(&p.name),
        "generated": p.generated.to_rfc3339(),
        "services": p.services.iter().map(|s| json!({
            "name": crate::sanitize::clean(&s.name),
            "status": words(s.status),
            "since": s.since.map(|t| t.to_rfc3339()),
        })).collect::<Vec<_>>(),
        "maintenance": p.maintenance.iter().map(|w| json!({
            "uid": w.uid,
            "title": w.title,
            "start": w.start.to_rfc3339(),
            "end": w.end.to_rfc3339(),
        })).collect::<Vec<_>>(),
        "incidents": p.incidents.iter().map(|i| json!({
            "service": crate::sanitize::clean(&i.service),
            "start": i.start.to_rfc3339(),
            "end": i.end.map(|t| t.to_rfc3339()),
        })).collect::<Vec<_>>(),
        "availability": p.months.iter().map(|(m, a)| json!({
            "month": m, "availability_pct": a,
        })).collect::<Vec<_>>(),
    })
}

/// The client's announced windows through the `.ics` export every
/// calendar already reads (same UID and SEQUENCE as the operator's
/// export), with neutral titles and descriptions.
pub fn ics(p: &ClientPage) -> String {
    let entries: Vec<ical::Entry> = p
        .maintenance
        .iter()
        .map(|w| ical::Entry {
            window: w,
            timezone: p.tz,
            description: format!("{} for {}", w.title, crate::sanitize::clean(&p.name)),
        })
        .collect();
    ical::calendar(
        &entries,
        &format!("{} maintenance", crate::sanitize::clean(&p.name)),
    )
}

/// An Atom feed (RFC 4287) of the incidents, newest first; ids are stable
/// tag URIs from the client, the service and the start.
pub fn atom(p: &ClientPage) -> String {
    let updated = p
        .incidents
        .iter()
        .map(|i| i.end.unwrap_or(i.start))
        .max()
        .unwrap_or(p.generated);
    let name = escape(&p.name);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
<title>{name} — incidents</title>\n<id>tag:vigie,2026:status:{}</id>\n<updated>{}</updated>\n\
<author><name>{name}</name></author>\n",
        escape(&p.client),
        updated.to_rfc3339()
    );
    for i in &p.incidents {
        let title = match i.end {
            Some(_) => format!("{}: outage (resolved)", i.service),
            None => format!("{}: outage", i.service),
        };
        let summary = match i.end {
            Some(e) => format!("From {} to {}.", local(p, i.start), local(p, e)),
            None => format!("Since {}.", local(p, i.start)),
        };
        let _ = writeln!(
            out,
            "<entry><title>{}</title><id>tag:vigie,2026:incident:{}:{}:{}</id><updated>{}</updated><summary>{}</summary></entry>",
            escape(&title),
            escape(&p.client),
            escape(&crate::cli::month::file_stem(&i.service)),
            i.start.timestamp(),
            i.end.unwrap_or(i.start).to_rfc3339(),
            escape(&summary)
        );
    }
    out.push_str("</feed>\n");
    out
}

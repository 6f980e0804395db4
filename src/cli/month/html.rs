//! The monthly report as one self-contained HTML file: inline CSS (print
//! CSS included), inline SVG charts, no script and no outside resource, so
//! it can be mailed, opened on a phone or printed to PDF
//! (`chromium --headless --print-to-pdf=report.pdf report.html`).

use std::fmt::Write as _;

use super::MonthReport;
use super::tables::{pct, tables};
use crate::sanitize::clean;

/// Outside text for HTML text or a quoted attribute: control characters
/// made visible, then the five markup characters escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1b1b1b;background:#fff;line-height:1.4}\
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin-top:1.6rem;border-bottom:1px solid #ccc}\
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}\
th,td{border:1px solid #ddd;padding:.3rem .45rem;text-align:left;vertical-align:top}th{background:#f2f2f2}\
.muted{color:#555}svg{max-width:100%;height:auto}\
.ok{fill:#2e7d32}.bad{fill:#c62828}.warn{fill:#f9a825}.none{fill:#bdbdbd}\
@media (max-width:600px){body{padding:.5rem}table{font-size:.8rem}}\
@media print{body{max-width:none;padding:0;font-size:10pt}h2{break-after:avoid}table,svg{break-inside:avoid}.scroll{overflow:visible}}";

/// One bar per day: green at or above the target, red below, grey where
/// nothing was measured; the height shows the share up, from 95 % to 100 %.
fn availability_svg(r: &MonthReport) -> String {
    let days = &r.sla.days;
    let target = r.sla.target.unwrap_or(99.0);
    let (w, h) = (12.0_f64, 60.0_f64);
    let mut out = format!(
        "<svg role=\"img\" aria-label=\"Availability per day\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\">",
        days.len() as f64 * w,
        h + 14.0,
        days.len() as f64 * w,
        h + 14.0
    );
    for (i, (d, p)) in days.iter().enumerate() {
        let x = i as f64 * w;
        let (class, bar) = match p {
            None => ("none", 2.0),
            Some(p) => (
                if *p >= target { "ok" } else { "bad" },
                ((p - 95.0).max(0.0) / 5.0 * (h - 4.0)) + 4.0,
            ),
        };
        let _ = write!(
            out,
            "<rect class=\"{class}\" x=\"{x:.0}\" y=\"{:.1}\" width=\"{:.0}\" height=\"{bar:.1}\"><title>{} {}</title></rect>",
            h - bar,
            w - 2.0,
            d,
            pct(*p)
        );
        if chrono::Datelike::day(d) % 5 == 1 {
            let _ = write!(
                out,
                "<text x=\"{x:.0}\" y=\"{}\" font-size=\"9\">{}</text>",
                h + 11.0,
                chrono::Datelike::day(d)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A month calendar per backup source: one square per day, coloured by
/// the day's state as `vigie backups` judges it.
fn backup_svg(source: &serde_json::Value) -> String {
    let Some(days) = source["days"].as_array() else {
        return String::new();
    };
    let size = 18.0_f64;
    let first = days
        .first()
        .and_then(|d| d["date"].as_str())
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let lead = first.map_or(0, |d| chrono::Datelike::weekday(&d).num_days_from_monday()) as usize;
    let weeks = (lead + days.len()).div_ceil(7);
    let mut out = format!(
        "<svg role=\"img\" aria-label=\"Backup calendar\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\">",
        w = 7.0 * size,
        h = weeks as f64 * size
    );
    for (i, d) in days.iter().enumerate() {
        let cell = lead + i;
        let state = d["state"].as_str().unwrap_or("");
        let class = match state {
            "ok" => "ok",
            "suspect" => "warn",
            "failed" | "missing" => "bad",
            _ => "none",
        };
        let _ = write!(
            out,
            "<rect class=\"{class}\" x=\"{:.0}\" y=\"{:.0}\" width=\"{:.0}\" height=\"{:.0}\"><title>{} {}</title></rect>",
            (cell % 7) as f64 * size,
            (cell / 7) as f64 * size,
            size - 2.0,
            size - 2.0,
            escape(d["date"].as_str().unwrap_or("")),
            escape(state)
        );
    }
    out.push_str("</svg>");
    out
}

pub fn html(r: &MonthReport) -> String {
    let name = escape(&r.name);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
    <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
    <title>{name} — {month}</title><style>{CSS}</style></head><body>\n\
    <h1>{name} — monthly report, {month}</h1>\n<p class=\"muted\">Times in {tz}. Generated {gen}.</p>\n",
        month = r.label(),
        tz = escape(r.tz.name()),
        gen = escape(&r.generated.to_rfc3339()),
    );
    for t in tables(r) {
        let _ = writeln!(out, "<section><h2>{}</h2>", escape(t.title));
        if t.title == "Availability" {
            out.push_str("<div class=\"scroll\">");
            out.push_str(&availability_svg(r));
            out.push_str("</div>\n");
        }
        if t.rows.is_empty() {
            let _ = writeln!(out, "<p>{}</p>", escape(t.empty));
        } else {
            out.push_str("<div class=\"scroll\"><table><thead><tr>");
            for h in &t.headers {
                let _ = write!(out, "<th>{}</th>", escape(h));
            }
            out.push_str("</tr></thead><tbody>\n");
            for row in &t.rows {
                out.push_str("<tr>");
                for c in row {
                    let _ = write!(out, "<td>{}</td>", escape(c));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table></div>\n");
        }
        if t.title == "Backups" {
            for s in &r.backups {
                let _ = writeln!(
                    out,
                    "<figure><figcaption>{}</figcaption>{}</figure>",
                    escape(s["id"].as_str().unwrap_or("")),
                    backup_svg(s)
                );
            }
        }
        for n in &t.notes {
            let _ = writeln!(out, "<p>{}</p>", escape(n));
        }
        out.push_str("</section>\n");
    }
    out.push_str("</body></html>\n");
    out
}

//! The monthly report in Markdown, for mails and wikis.

use std::fmt::Write as _;

use super::MonthReport;
use super::tables::tables;
use crate::sanitize::clean;

/// Outside text for Markdown: cleaned, and the characters that would make
/// it a table column, a link or raw HTML in a wiki backslash-escaped (they
/// still read as themselves in a plain-text mail).
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean(s).chars() {
        if matches!(c, '\\' | '|' | '<' | '>' | '&' | '[' | ']' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn markdown(r: &MonthReport) -> String {
    let mut out = format!(
        "# {} — monthly report, {}\n\nTimes in {}. Generated {}.\n",
        cell(&r.name),
        r.label(),
        r.tz.name(),
        r.generated.to_rfc3339()
    );
    for t in tables(r) {
        let _ = write!(out, "\n## {}\n\n", t.title);
        if t.rows.is_empty() {
            let _ = writeln!(out, "{}", t.empty);
        } else {
            let _ = writeln!(out, "| {} |", t.headers.join(" | "));
            let _ = writeln!(out, "|{}", "---|".repeat(t.headers.len()));
            for row in &t.rows {
                let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
        }
        for n in &t.notes {
            let _ = write!(out, "\n{}\n", cell(n));
        }
    }
    out
}

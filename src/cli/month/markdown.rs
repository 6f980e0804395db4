//! The monthly report in Markdown, for mails and wikis.

use std::fmt::Write as _;

use super::MonthReport;
use super::tables::tables;
use crate::sanitize::clean;

/// A cell: cleaned, its pipes escaped so the table keeps its columns.
fn cell(s: &str) -> String {
    clean(s).replace('|', "\\|")
}

pub fn markdown(r: &MonthReport) -> String {
    let mut out = format!(
        "# {} — monthly report, {}\n\nTimes in {}. Generated {}.\n",
        clean(&r.name),
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
            let _ = write!(out, "\n{}\n", clean(n));
        }
    }
    out
}

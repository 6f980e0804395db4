//! `vigie check`: run every check once and report as a Nagios plugin does:
//! a summary line (with performance data), one line per problem, and the
//! exit code 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.

use super::setup::{self, NoConfig};
use super::{Cli, CliError};
use crate::engine;
use crate::model::{CheckResult, Status};
use crate::sanitize;
use crate::sources::Sources;

/// The result `vigie check` adds when the daemon published that its store
/// fails (damaged, disk full).
pub const STORE_CHECK: &str = "vigie/store";

/// Nagios plugin states, in exit-code order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl Verdict {
    pub fn of(status: Status) -> Verdict {
        match status {
            Status::Up | Status::Maintenance => Verdict::Ok,
            Status::Degraded => Verdict::Warning,
            Status::Down => Verdict::Critical,
            Status::Unknown => Verdict::Unknown,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::Warning => "WARNING",
            Verdict::Critical => "CRITICAL",
            Verdict::Unknown => "UNKNOWN",
        }
    }

    /// How bad, for the overall verdict: a problem found (critical, then
    /// warning) outranks a check that could not tell.
    fn rank(self) -> u8 {
        match self {
            Verdict::Ok => 0,
            Verdict::Unknown => 1,
            Verdict::Warning => 2,
            Verdict::Critical => 3,
        }
    }

    /// The overall verdict of several results.
    pub fn overall(results: &[CheckResult]) -> Verdict {
        results
            .iter()
            .map(|r| Verdict::of(r.status))
            .max_by_key(|v| v.rank())
            .unwrap_or(Verdict::Unknown)
    }
}

pub async fn run(cli: &Cli, format: &str) -> Result<u8, CliError> {
    // Bad usage is UNKNOWN (3) for a Nagios plugin, not CRITICAL.
    let unknown = |e: CliError| CliError {
        code: Verdict::Unknown as u8,
        ..e
    };
    if !matches!(format, "text" | "table" | "json") {
        return Err(unknown(CliError::input(format!(
            "--format {format}: expected text, table or json"
        ))));
    }
    let setup = setup::load(cli, false, NoConfig::Refuse)
        .await
        .map_err(unknown)?;
    let sources = Sources::new()
        .map_err(|e| {
            unknown(CliError::input(format!(
                "cannot build the HTTP client: {e}"
            )))
        })?
        .with_ssh(setup.config.ssh.options());
    let mut results = engine::run_once(&setup.config.fleet, &sources).await;
    // The daemon's store failing is a problem of the monitoring itself: it
    // cannot be judged up or down, so UNKNOWN, with what to do.
    if let Some(fault) = crate::store::claim::published_fault(&setup.db) {
        results.push(CheckResult::observed(
            STORE_CHECK,
            chrono::Utc::now(),
            Status::Unknown,
            None,
            fault,
        ));
    }
    let verdict = Verdict::overall(&results);
    match format {
        "json" => println!("{}", json(&results, verdict)),
        "table" => print!("{}", table(&results)),
        _ => print!("{}", nagios(&results, verdict)),
    }
    Ok(verdict as u8)
}

/// The plugin output: `VIGIE CRITICAL - ... | perfdata`, then the problems,
/// worst first.
pub fn nagios(results: &[CheckResult], verdict: Verdict) -> String {
    let count = |v: Verdict| {
        results
            .iter()
            .filter(|r| Verdict::of(r.status) == v)
            .count()
    };
    let mut parts = Vec::new();
    for v in [
        Verdict::Critical,
        Verdict::Warning,
        Verdict::Unknown,
        Verdict::Ok,
    ] {
        let n = count(v);
        if n > 0 {
            parts.push(format!("{n} {}", v.label().to_lowercase()));
        }
    }
    let perf: Vec<String> = results
        .iter()
        .filter_map(|r| {
            r.latency_ms
                .map(|ms| format!("'{}'={ms}ms;;;0", perf_label(&r.check_id)))
        })
        .collect();
    let mut out = format!(
        "VIGIE {} - {} checks: {}",
        verdict.label(),
        results.len(),
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    );
    if !perf.is_empty() {
        out.push_str(" | ");
        out.push_str(&perf.join(" "));
    }
    out.push('\n');
    let mut problems: Vec<&CheckResult> = results
        .iter()
        .filter(|r| Verdict::of(r.status) != Verdict::Ok)
        .collect();
    problems.sort_by_key(|r| std::cmp::Reverse(Verdict::of(r.status).rank()));
    for r in problems {
        out.push_str(&format!(
            "{} {}: {}\n",
            Verdict::of(r.status).label(),
            sanitize::clean(&r.check_id),
            sanitize::clean(&r.message)
        ));
    }
    out
}

/// Nagios perfdata labels may not hold quotes or `=`.
fn perf_label(id: &str) -> String {
    sanitize::clean(id).replace(['\'', '='], "_")
}

fn json(results: &[CheckResult], verdict: Verdict) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            let metrics: serde_json::Map<String, serde_json::Value> = r
                .metrics
                .iter()
                .map(|m| (m.name.clone(), serde_json::json!(m.value)))
                .collect();
            serde_json::json!({
                "check": r.check_id,
                "status": r.status,
                "verdict": Verdict::of(r.status).label(),
                "latency_ms": r.latency_ms,
                "message": r.message,
                "metrics": metrics,
                "at": r.at.to_rfc3339(),
            })
        })
        .collect();
    serde_json::json!({ "verdict": verdict.label(), "checks": rows })
}

fn table(results: &[CheckResult]) -> String {
    let width = results
        .iter()
        .map(|r| r.check_id.chars().count())
        .max()
        .unwrap_or(10)
        .max(10);
    let mut out = format!(
        "{:<9} {:<width$} {:>8}  DETAIL\n",
        "STATE", "CHECK", "LATENCY"
    );
    // Worst first, as the header and `vigie alerts` order them; the
    // configuration's order within a state.
    let mut rows: Vec<&CheckResult> = results.iter().collect();
    rows.sort_by_key(|r| std::cmp::Reverse(Verdict::of(r.status).rank()));
    for r in rows {
        let latency = r
            .latency_ms
            .map(|l| format!("{l} ms"))
            .unwrap_or_else(|| "-".into());
        out.push_str(&format!(
            "{:<9} {:<width$} {:>8}  {}\n",
            r.status.label(),
            sanitize::clean(&r.check_id),
            latency,
            sanitize::clean(&r.message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn r(id: &str, status: Status, msg: &str) -> CheckResult {
        CheckResult::observed(id, Utc::now(), status, Some(12), msg)
    }

    #[test]
    fn the_table_lists_the_worst_first() {
        let t = table(&[
            r("a/up", Status::Up, "200 OK"),
            r("b/slow", Status::Degraded, "slow"),
            r("c/down", Status::Down, "HTTP 503"),
            r("d/up", Status::Up, "200 OK"),
        ]);
        let order: Vec<&str> = t
            .lines()
            .skip(1)
            .filter_map(|l| l.split_whitespace().nth(1))
            .collect();
        assert_eq!(order, ["c/down", "b/slow", "a/up", "d/up"]);
    }

    #[test]
    fn the_worst_problem_sets_the_exit_code() {
        let ok = r("a/web", Status::Up, "200 OK");
        assert_eq!(Verdict::overall(std::slice::from_ref(&ok)), Verdict::Ok);
        let unknown = r("b/ssh", Status::Unknown, "unavailable");
        assert_eq!(
            Verdict::overall(&[ok.clone(), unknown.clone()]),
            Verdict::Unknown
        );
        let warn = r("c/disk", Status::Degraded, "disk / 91 %");
        assert_eq!(
            Verdict::overall(&[ok.clone(), unknown.clone(), warn.clone()]),
            Verdict::Warning
        );
        let crit = r("d/db", Status::Down, "connection refused");
        assert_eq!(
            Verdict::overall(&[ok, unknown, warn, crit]),
            Verdict::Critical
        );
        assert_eq!(Verdict::overall(&[]), Verdict::Unknown);
    }

    #[test]
    fn plugin_output_has_a_summary_perfdata_and_a_line_per_problem() {
        let results = [
            r("a/web", Status::Up, "200 OK"),
            r("c/disk", Status::Degraded, "disk / 91 %"),
            r("d/db", Status::Down, "connection refused\u{1b}[2J"),
        ];
        let out = nagios(&results, Verdict::overall(&results));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "VIGIE CRITICAL - 3 checks: 1 critical, 1 warning, 1 ok | 'a/web'=12ms;;;0 'c/disk'=12ms;;;0 'd/db'=12ms;;;0"
        );
        assert_eq!(lines[1], "CRITICAL d/db: connection refused␛[2J");
        assert_eq!(lines[2], "WARNING c/disk: disk / 91 %");
        assert_eq!(lines.len(), 3);
    }
}

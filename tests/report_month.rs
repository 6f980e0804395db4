//! `vigie report month` on a fixed store: its figures are those of
//! `report sla`, `tickets`, `timesheet`, `backups` and `usage` for the same
//! month; Markdown and JSON golden files; the HTML self-contained and every
//! outside string escaped.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use serde_json::Value;
use vigie::model::{CheckResult, Status};
use vigie::store::tickets::{LocalNew, TicketStore};
use vigie::store::{WriteOp, Writer};

/// A client name and a ticket title an attacker could have typed.
const NAME: &str = "Coop <script>alert(\"n\")</script> 'q' & \u{1b}[2J";
const TITLE: &str = "Caisses <script>alert(1)</script> \"hors\" ligne \u{7}";

fn config_text() -> String {
    format!(
        r#"
[contracts.std]
intervention = {{ urgent = "2h", normal = "8h" }}
hourly_rate = 120
monthly_fee = 300
calls_per_year = 24
tiers = [{{ below = 99.9, credit_percent = 10 }}, {{ below = 99.5, credit_percent = 50 }}]

[clients.coop]
name = "{}"
timezone = "Europe/Paris"
contract = "std"

[clients.coop.environments.prod]
hosts = ["erp"]

[hosts.erp]
address = "10.0.0.5"

[[hosts.erp.checks]]
name = "web"
kind = "http"
url = "https://erp.example.org"
"#,
        NAME.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\u{1b}', "\\u001b")
    )
}

fn paris(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Paris
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// October 2026 in Paris (745 h): one hour down on the 10th, one urgent
/// ticket opened on the 6th with 1h15 worked on it.
fn fixed_store(dir: &Path) -> (PathBuf, PathBuf) {
    let config = dir.join("config.toml");
    std::fs::write(&config, config_text()).unwrap();
    let db = dir.join("vigie.db");
    {
        let writer = Writer::spawn(&db).unwrap();
        let start = Utc.with_ymd_and_hms(2026, 9, 30, 22, 0, 0).unwrap();
        let down = Utc.with_ymd_and_hms(2026, 10, 10, 8, 0, 0).unwrap();
        for (at, st) in [
            (start, Status::Up),
            (down, Status::Down),
            (down + TimeDelta::hours(1), Status::Up),
        ] {
            let r = CheckResult::observed("erp/web", at, st, Some(5), "connection refused");
            writer.send(WriteOp::Result(r)).unwrap();
        }
        writer.flush().unwrap();
    }
    let mut store = TicketStore::open(&db).unwrap();
    let opened = paris(2026, 10, 6, 9);
    let id = store
        .local_create(
            &LocalNew {
                project: "coop",
                client: Some("coop"),
                title: TITLE,
                description: "",
                priority: "urgent",
                author: "alice",
            },
            opened,
        )
        .unwrap();
    store
        .add_entry(
            "builtin",
            id,
            Some("coop"),
            TITLE,
            "alice",
            opened,
            opened + TimeDelta::minutes(75),
            NaiveDate::from_ymd_opt(2026, 10, 6).unwrap(),
            "",
        )
        .unwrap();
    (config, db)
}

fn vigie(dir: &Path, args: &[&str]) -> std::process::Output {
    let config = dir.join("config.toml");
    let db = dir.join("vigie.db");
    let mut all = vec![
        "--config",
        config.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(&all)
        .env("HOME", dir)
        .env("USER", "alice")
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 3),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json_of(dir: &Path, args: &[&str]) -> Value {
    let out = vigie(dir, args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: {e}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn the_month_says_what_report_sla_tickets_timesheet_backups_and_usage_say() {
    let dir = tempfile::tempdir().unwrap();
    fixed_store(dir.path());
    let month = json_of(
        dir.path(),
        &[
            "report", "month", "--client", "coop", "--month", "2026-10", "--format", "json",
        ],
    );
    let sla = json_of(
        dir.path(),
        &[
            "report", "sla", "--client", "coop", "--month", "2026-10", "--format", "json",
        ],
    );
    assert_eq!(month["availability"], sla["clients"][0]);
    assert_eq!(month["availability"]["credit"], "30.00");

    let usage = json_of(
        dir.path(),
        &[
            "usage", "--client", "coop", "--year", "2026", "--format", "json",
        ],
    );
    assert_eq!(
        month["usage"],
        usage["clients"].get(0).cloned().unwrap_or(Value::Null)
    );

    let backups = json_of(
        dir.path(),
        &[
            "backups", "--client", "coop", "--month", "2026-10", "--format", "json",
        ],
    );
    assert_eq!(month["backups"], backups["sources"]);

    let tickets = json_of(
        dir.path(),
        &["tickets", "--client", "coop", "--format", "json"],
    );
    let board = &tickets["tickets"][0];
    let ours = &month["tickets"][0];
    assert_eq!(ours["id"], board["id"]);
    assert_eq!(ours["deadline_state"], board["deadline_state"]);
    assert_eq!(ours["due_at"], board["due_at"]);
    assert_eq!(
        month["calls"]["used"], tickets["quotas"][0]["used"],
        "{month:#}"
    );

    let csv = vigie(
        dir.path(),
        &[
            "timesheet",
            "--client",
            "coop",
            "--month",
            "2026-10",
            "--format",
            "csv",
        ],
    );
    let csv = String::from_utf8(csv.stdout).unwrap();
    let row: Vec<&str> = csv
        .lines()
        .nth(1)
        .expect("a timesheet row")
        .split(',')
        .collect();
    let line = &month["timesheet"]["lines"][0];
    assert_eq!(line["ticket"].to_string(), row[2]);
    assert_eq!(line["billed_hours"], row[5]);
    assert_eq!(line["cost"], row[7], "{csv}");
    assert_eq!(month["timesheet"]["total"], row[7]);
}

/// The fixed store's month gathered at a fixed time.
async fn gathered(dir: &Path) -> vigie::cli::month::MonthReport {
    let (config, db) = fixed_store(dir);
    let config = vigie::config::load(&config).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap();
    let mut reports = vigie::cli::month::gather(
        &config.fleet,
        &config.ssh,
        &db,
        false,
        (2026, 10),
        Some("coop"),
        now,
    )
    .await
    .unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(reports.len(), 1);
    reports.remove(0)
}

#[tokio::test]
async fn the_month_in_markdown_and_json_is_the_golden_one() {
    let dir = tempfile::tempdir().unwrap();
    let r = gathered(dir.path()).await;
    let md = vigie::cli::month::markdown(&r);
    insta::assert_snapshot!("report_month_md", md);
    let json = vigie::cli::month::to_json(&r);
    insta::assert_snapshot!(
        "report_month_json",
        serde_json::to_string_pretty(&json).unwrap()
    );
    // Money as strings, times RFC 3339.
    assert!(json["timesheet"]["total"].is_string());
    assert!(DateTime::parse_from_rfc3339(json["tickets"][0]["created"].as_str().unwrap()).is_ok());
    // Markdown: the title's pipes and escapes cannot break the table.
    assert!(!md.contains('\u{1b}') && !md.contains('\u{7}'), "{md}");
    assert!(
        md.contains("Caisses \\<script\\>alert(1)\\</script\\>"),
        "{md}"
    );
    // Every '<' escaped: none left bare for a wiki to take as HTML.
    assert!(!md.replace("\\<", "").contains('<'), "{md}");
}

#[tokio::test]
async fn the_month_in_html_stands_alone_and_escapes_every_outside_string() {
    let dir = tempfile::tempdir().unwrap();
    let r = gathered(dir.path()).await;
    let html = vigie::cli::month::html(&r);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(html.contains("@media print"));
    assert!(html.contains("@media (max-width:600px)"));
    // Self-contained: no script, nothing fetched.
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "{html}");
    assert!(!lower.contains("src="));
    assert!(!lower.contains("href="));
    assert!(!lower.contains("url("));
    // The attacker's strings are text.
    assert!(
        html.contains("Coop &lt;script&gt;alert(&quot;n&quot;)&lt;/script&gt; &#39;q&#39; &amp;")
    );
    assert!(html.contains("Caisses &lt;script&gt;alert(1)&lt;/script&gt; &quot;hors&quot; ligne"));
    assert!(!html.chars().any(|c| c.is_control() && c != '\n'), "{html}");
    // The availability chart: one bar per day of October, the 10th below
    // the target.
    assert_eq!(html.matches("<svg").count(), 1);
    assert_eq!(html.matches("<rect class=\"bad\"").count(), 1);
    assert_eq!(html.matches("<rect class=").count(), 31);
    assert!(
        html.contains("<title>2026-10-10 95.833 %</title>"),
        "{html}"
    );
    // The figures of the tables.
    assert!(html.contains("<td>99.865 %</td>"));
    assert!(html.contains("<td>30.00 EUR (10 %)</td>"));
    assert!(html.contains("<td>150.00 EUR</td>"), "{html}");
}

#[test]
fn all_clients_are_written_one_file_each_and_bad_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fixed_store(dir.path());
    let out_dir = dir.path().join("reports");
    let out = vigie(
        dir.path(),
        &[
            "report",
            "month",
            "--all",
            "--month",
            "2026-10",
            "--format",
            "html",
            "--out",
            out_dir.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let file = out_dir.join("coop-2026-10.html");
    assert!(std::fs::read_to_string(&file).unwrap().contains("99.865 %"));
    for args in [
        &["report", "month", "--all", "--month", "2026-10"][..],
        &["report", "month", "--month", "2026-10"],
        &["report", "month", "--client", "coop", "--month", "2026-13"],
        &["report", "month", "--client", "nope", "--month", "2026-10"],
        &[
            "report", "month", "--client", "coop", "--month", "2026-10", "--format", "pdf",
        ],
    ] {
        let out = vigie(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    }
}

/// The demo has backup sources and usage meters the fixed store lacks:
/// the month's backups and usage are `backups` and `usage`'s own.
#[test]
fn the_demo_month_has_the_backups_and_usage_of_their_commands() {
    use chrono::Datelike;
    let home = tempfile::tempdir().unwrap();
    let today = Utc::now().with_timezone(&chrono_tz::Europe::Paris);
    let month = format!("{}-{:02}", today.year(), today.month());
    let year = today.year().to_string();
    let run = |args: &[&str]| -> Value {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
            .arg("--demo")
            .args(args)
            .env("HOME", home.path())
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    let ours = run(&[
        "report", "month", "--client", "cagette", "--month", &month, "--format", "json",
    ]);
    let usage = run(&[
        "usage", "--client", "cagette", "--year", &year, "--format", "json",
    ]);
    let backups = run(&[
        "backups", "--client", "cagette", "--month", &month, "--format", "json",
    ]);
    assert!(
        ours["usage"]["quotas"]
            .as_array()
            .is_some_and(|q| !q.is_empty()),
        "{ours:#}"
    );
    assert_eq!(ours["usage"], usage["clients"][0]);
    assert!(
        ours["backups"].as_array().is_some_and(|b| !b.is_empty()),
        "{ours:#}"
    );
    assert_eq!(ours["backups"], backups["sources"]);
}

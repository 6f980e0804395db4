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

/// The PNG's pixels as RGB (8-bit RGB or RGBA, non-interlaced: what
/// Chromium writes), unfiltered per RFC 2083.
fn png_pixels(png: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let (mut at, mut idat) = (8, Vec::new());
    let (mut w, mut h, mut channels) = (0u32, 0u32, 0usize);
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind = &png[at + 4..at + 8];
        let data = &png[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                w = u32::from_be_bytes(data[0..4].try_into().unwrap());
                h = u32::from_be_bytes(data[4..8].try_into().unwrap());
                assert_eq!(data[8], 8, "8 bits per sample");
                channels = match data[9] {
                    2 => 3,
                    6 => 4,
                    c => panic!("colour type {c}"),
                };
                assert_eq!(data[12], 0, "not interlaced");
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        at += 12 + len;
    }
    let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&idat).unwrap();
    let stride = w as usize * channels;
    let mut prev = vec![0u8; stride];
    let mut pixels = Vec::with_capacity((w * h) as usize);
    for row in raw.chunks(stride + 1).take(h as usize) {
        let (filter, line) = (row[0], &row[1..]);
        let mut cur = vec![0u8; stride];
        for i in 0..stride {
            let a = if i >= channels { cur[i - channels] } else { 0 };
            let b = prev[i];
            let c = if i >= channels { prev[i - channels] } else { 0 };
            let pred = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((a as u16 + b as u16) / 2) as u8,
                4 => {
                    let p = a as i16 + b as i16 - c as i16;
                    let (pa, pb, pc) = (
                        (p - a as i16).abs(),
                        (p - b as i16).abs(),
                        (p - c as i16).abs(),
                    );
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                f => panic!("filter {f}"),
            };
            cur[i] = line[i].wrapping_add(pred);
        }
        pixels.extend(cur.chunks(channels).map(|p| [p[0], p[1], p[2]]));
        prev = cur;
    }
    (w, h, pixels)
}

/// The HTML opened in Debian's headless Chromium at phone and desktop
/// widths: each screenshot has text and the charts' colours, and the
/// rendered document's text carries the figures.
#[tokio::test]
async fn the_html_renders_in_chromium_at_phone_and_desktop_widths() {
    let chromium = Path::new("/usr/bin/chromium");
    assert!(
        chromium.exists(),
        "/usr/bin/chromium is missing: install the Debian package chromium (scripts/test does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let r = gathered(dir.path()).await;
    let page = dir.path().join("report.html");
    std::fs::write(&page, vigie::cli::month::html(&r)).unwrap();
    let url = format!("file://{}", page.display());
    let base = |profile: &str| {
        let mut c = std::process::Command::new(chromium);
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join(profile).display()
        ));
        c
    };
    for (width, height) in [(390, 844), (1280, 900)] {
        let shot = dir.path().join(format!("shot-{width}.png"));
        let out = base(&format!("profile-{width}"))
            .arg(format!("--window-size={width},{height}"))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(&url)
            .output()
            .unwrap();
        let png = std::fs::read(&shot).unwrap_or_else(|e| {
            panic!(
                "no screenshot ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let (w, h, pixels) = png_pixels(&png);
        assert_eq!((w, h), (width, height));
        let white = pixels.iter().filter(|p| p.iter().all(|&c| c > 240)).count();
        let dark = pixels.iter().filter(|p| p.iter().all(|&c| c < 80)).count();
        // The availability bars' green (#2e7d32) and the 10th's red.
        let green = pixels.iter().filter(|p| **p == [0x2e, 0x7d, 0x32]).count();
        let red = pixels.iter().filter(|p| **p == [0xc6, 0x28, 0x28]).count();
        assert!(white < pixels.len(), "{width}px: blank");
        assert!(dark > 200, "{width}px: no text ({dark} dark pixels)");
        assert!(
            green > 100 && red > 10,
            "{width}px: chart missing (green {green}, red {red})"
        );
    }
    let out = base("profile-dom")
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    for figure in ["99.865 %", "30.00 EUR (10 %)", "150.00 EUR", "1.25 h"] {
        assert!(dom.contains(figure), "{figure} not rendered: {dom}");
    }
    assert!(!dom.contains("<script>alert"), "{dom}");
}

//! `vigie status-page` on a fixed store: one folder per client with
//! index.html, status.json, maintenance.ics (read back by the `ical` crate)
//! and incidents.atom; public names only, every outside string escaped.

use std::path::Path;

use chrono::{TimeDelta, Utc};
use vigie::model::maintenance::{Kind, MaintenanceWindow, Target, WindowState};
use vigie::model::{CheckResult, Status};
use vigie::store::{WriteOp, Writer};

const NAME: &str = "Coop <script>alert(\"n\")</script> & 'q'";

/// Host and check names, the address and the probe's detail text: what
/// the client must never read.
const SECRETS: [&str; 6] = [
    "erp-internal-7",
    "10.0.0.5",
    "pgsql",
    "erp.example.org",
    "connection refused by pg_hba",
    "swap the RAID disk",
];

fn setup(dir: &Path) {
    std::fs::write(
        dir.join("config.toml"),
        format!(
            r#"
[contracts.std]
intervention = {{ urgent = "2h" }}
hourly_rate = 120
monthly_fee = 300
tiers = [{{ below = 99.9, credit_percent = 10 }}]

[clients.coop]
name = "{}"
timezone = "Europe/Paris"
contract = "std"

[clients.coop.environments.prod]
hosts = ["erp-internal-7"]

[hosts.erp-internal-7]
address = "10.0.0.5"

[[hosts.erp-internal-7.checks]]
name = "web"
kind = "http"
url = "https://erp.example.org"
public_name = "ERP <b>& shop</b>"

[[hosts.erp-internal-7.checks]]
name = "pgsql"
kind = "tcp"
address = "10.0.0.5:5432"
"#,
            NAME.replace('"', "\\\"")
        ),
    )
    .unwrap();
    let writer = Writer::spawn(&dir.join("vigie.db")).unwrap();
    let now = Utc::now();
    let down = now - TimeDelta::days(10);
    for (check, at, st) in [
        ("erp-internal-7/web", now - TimeDelta::days(40), Status::Up),
        (
            "erp-internal-7/pgsql",
            now - TimeDelta::days(40),
            Status::Up,
        ),
        ("erp-internal-7/pgsql", down, Status::Down),
        (
            "erp-internal-7/pgsql",
            down + TimeDelta::hours(1),
            Status::Up,
        ),
        (
            "erp-internal-7/web",
            now - TimeDelta::minutes(5),
            Status::Down,
        ),
    ] {
        let r = CheckResult::observed(check, at, st, Some(5), "connection refused by pg_hba");
        writer.send(WriteOp::Result(r)).unwrap();
    }
    let soon = now + TimeDelta::days(9);
    for (uid, announced) in [("w-announced", Some(now)), ("w-planned", None)] {
        writer
            .send(WriteOp::SaveWindow(MaintenanceWindow {
                uid: uid.into(),
                target: Target::Host("erp-internal-7".into()),
                kind: Kind::Standard,
                start: soon,
                end: soon + TimeDelta::hours(1),
                title: "swap the RAID disk on erp-internal-7".into(),
                state: if announced.is_some() {
                    WindowState::Announced
                } else {
                    WindowState::Planned
                },
                sequence: 2,
                created: now,
                stamp: now,
                announced,
            }))
            .unwrap();
    }
    writer.flush().unwrap();
}

fn status_page(dir: &Path, extra: &[&str]) -> std::process::Output {
    let config = dir.join("config.toml");
    let db = dir.join("vigie.db");
    std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ])
        .arg("status-page")
        .args(extra)
        .env("HOME", dir)
        .output()
        .unwrap()
}

#[test]
fn each_client_gets_a_page_a_json_a_calendar_and_a_feed_in_public_words() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let site = dir.path().join("site");
    let out = status_page(dir.path(), &["--out", site.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |f: &str| std::fs::read_to_string(site.join("coop").join(f)).unwrap();
    let (html, json, ics, atom) = (
        read("index.html"),
        read("status.json"),
        read("maintenance.ics"),
        read("incidents.atom"),
    );
    // Nothing internal, in any file; no staging left behind.
    for text in [&html, &json, &ics, &atom] {
        for secret in SECRETS {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }
    let names: Vec<String> = std::fs::read_dir(&site)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["coop"]);

    // The page: public name escaped, the neutral name for the other check.
    assert!(!html.to_lowercase().contains("<script"), "{html}");
    assert!(!html.contains("<b>"));
    assert!(
        html.contains("ERP &lt;b&gt;&amp; shop&lt;/b&gt;: <strong class=\"bad\">outage</strong>"),
        "{html}"
    );
    assert!(
        html.contains("Service 2: <strong class=\"ok\">operational</strong>"),
        "{html}"
    );
    assert!(
        html.contains("Coop &lt;script&gt;alert(&quot;n&quot;)&lt;/script&gt; &amp; &#39;q&#39;")
    );
    assert!(html.contains("Standard maintenance:"), "{html}");

    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["services"][0]["status"], "outage");
    assert_eq!(json["services"][1]["name"], "Service 2");
    assert_eq!(json["maintenance"].as_array().unwrap().len(), 1, "{json:#}");
    assert_eq!(json["availability"].as_array().unwrap().len(), 3);
    let incidents = json["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 2, "{json:#}");
    assert!(
        incidents[0]["end"].is_null(),
        "newest first: the ongoing one"
    );
    assert_eq!(incidents[1]["service"], "Service 2");

    // The calendar: only the announced window, same UID and SEQUENCE as
    // the operator's export, neutral summary.
    let mut cals = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()));
    let cal = cals.next().expect("a calendar").expect("valid iCalendar");
    assert_eq!(cal.events.len(), 1);
    let value = |name: &str| {
        cal.events[0]
            .properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(value("UID"), "w-announced");
    assert_eq!(value("SEQUENCE"), "2");
    assert_eq!(value("SUMMARY"), "Maintenance: Standard maintenance");

    // The feed: well-formed XML whose text is the escaped names.
    let doc = roxmltree_like_check(&atom);
    assert_eq!(doc, 2, "{atom}");
    assert!(atom.contains("<title>Coop &lt;script&gt;alert(&quot;n&quot;)&lt;/script&gt; &amp; &#39;q&#39; — incidents</title>"), "{atom}");
    assert!(
        atom.contains("<title>ERP &lt;b&gt;&amp; shop&lt;/b&gt;: outage</title>"),
        "{atom}"
    );
}

/// Counts the feed's entries after checking that every `<` opens one of
/// the Atom elements Vigie writes (nothing an outside string slipped in).
fn roxmltree_like_check(atom: &str) -> usize {
    const TAGS: [&str; 8] = [
        "feed", "title", "id", "updated", "author", "name", "entry", "summary",
    ];
    for part in atom.split('<').skip(1) {
        let tag = part
            .trim_start_matches(['/', '?'])
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or("");
        assert!(
            tag == "xml" || TAGS.contains(&tag),
            "unexpected <{tag}> in {atom}"
        );
    }
    atom.matches("<entry>").count()
}

#[test]
fn without_out_or_a_configured_dir_it_says_what_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let out = status_page(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out DIR"));
    // `[status_page] dir` is used when no --out is given.
    let site = dir.path().join("configured");
    let mut text = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    text = format!("[status_page]\ndir = \"{}\"\n{text}", site.display());
    std::fs::write(dir.path().join("config.toml"), text).unwrap();
    let out = status_page(dir.path(), &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(site.join("coop").join("index.html").exists());
}

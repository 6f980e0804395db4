//! `vigie ack`, `unack`, `silence` and `silences` driven as a user would:
//! the store they write is the one consoles read, and the audit log says
//! who did what.

use std::path::Path;
use std::process::{Command, Output};

use vigie::store::Reader;

const CONFIG: &str = include_str!("valid_configs/mutualised.toml");

fn vigie(dir: &Path, args: &[&str]) -> Output {
    let config = dir.join("config.toml");
    if !config.exists() {
        std::fs::write(&config, CONFIG).unwrap();
    }
    let db = dir.join("vigie.db");
    Command::new(env!("CARGO_BIN_EXE_vigie"))
        .arg("--config")
        .arg(&config)
        .arg("--db")
        .arg(&db)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("TZ", "Europe/Paris")
        .env("USER", "camille")
        .output()
        .unwrap()
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn ack_and_unack_an_alert_by_its_id_audited() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ack = vigie(
        d,
        &[
            "ack",
            "checks:shared/coop",
            "--comment",
            "restarting odoo",
            "--expire",
            "2h",
        ],
    );
    assert_eq!(ack.status.code(), Some(0), "{}", out(&ack));
    assert!(
        out(&ack).starts_with("checks:shared/coop acknowledged by camille until "),
        "{}",
        out(&ack)
    );
    let records = Reader::open(&d.join("vigie.db"))
        .unwrap()
        .alert_records()
        .unwrap();
    let taken = records["checks:shared/coop"].ack.clone().unwrap();
    assert_eq!(taken.by, "camille");
    assert_eq!(taken.comment, "restarting odoo");
    let expires = taken.expires.unwrap() - taken.at;
    assert_eq!(expires, chrono::TimeDelta::hours(2));
    let audit = vigie(d, &["audit"]);
    assert!(
        out(&audit).contains(
            "camille      alert.ack    alert=\"checks:shared/coop\" comment=\"restarting odoo\""
        ),
        "{}",
        out(&audit)
    );
    let unack = vigie(d, &["unack", "checks:shared/coop"]);
    assert_eq!(unack.status.code(), Some(0), "{}", out(&unack));
    let again = vigie(d, &["unack", "checks:shared/coop"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        out(&again).contains("checks:shared/coop is not acknowledged"),
        "{}",
        out(&again)
    );
    assert!(out(&vigie(d, &["audit"])).contains("alert.unack"));
}

#[test]
fn bad_ids_durations_and_read_only_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: &[(&[&str], &str)] = &[
        (
            &["ack", "erp/odoo"],
            "is not an alert id: ids begin with their domain",
        ),
        (
            &["ack", "checks:x", "--expire", "soon"],
            "--expire soon: not a duration",
        ),
        (
            &["--read-only", "ack", "checks:x"],
            "acknowledging an alert is not allowed on a read-only console",
        ),
        (
            &["--wall", "silence", "--for", "2h", "--comment", "x"],
            "read-only",
        ),
        (
            &[
                "silence",
                "--client",
                "nobody",
                "--for",
                "2h",
                "--comment",
                "x",
            ],
            "unknown client 'nobody'",
        ),
        (
            &[
                "silence",
                "--domain",
                "dns",
                "--for",
                "2h",
                "--comment",
                "x",
            ],
            "--domain dns: expected one of checks, pos",
        ),
        (
            &[
                "silence",
                "--client",
                "coop",
                "--for",
                "2h",
                "--comment",
                " ",
            ],
            "needs a --comment",
        ),
    ];
    for (args, want) in cases {
        let o = vigie(d, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", out(&o));
        assert!(out(&o).contains(want), "{args:?}: {}", out(&o));
    }
    // Nothing was written by the refusals.
    let silences = vigie(d, &["silences"]);
    assert_eq!(out(&silences).trim(), "no silences");
}

#[test]
fn a_silence_is_listed_until_it_ends_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = vigie(
        d,
        &[
            "silence",
            "--client",
            "coop",
            "--host",
            "shared",
            "--domain",
            "checks",
            "--for",
            "2h",
            "--comment",
            "migration night",
        ],
    );
    assert_eq!(s.status.code(), Some(0), "{}", out(&s));
    assert!(out(&s).starts_with("silenced until "), "{}", out(&s));
    let list = out(&vigie(d, &["silences"]));
    assert!(
        list.contains("client=coop host=shared domain=checks  by camille: migration night"),
        "{list}"
    );
    assert!(out(&vigie(d, &["audit"])).contains("silence.add"));
}

/// A client whose prod database check connects to a loopback port nobody
/// listens on: `vigie alerts` sees it down, as `vigie snapshot` would.
const DOWN: &str = r#"
[contracts.basic]
intervention = { urgent = "2h" }
hourly_rate = 120
monthly_fee = 0

[clients.coop]
name = "La Cagette"
timezone = "Europe/Paris"
contract = "basic"

[clients.coop.environments.prod]
hosts = ["erp"]

[hosts.erp]
address = "127.0.0.1"

[[hosts.erp.checks]]
name = "pg"
kind = "tcp"
address = "127.0.0.1:PORT"
timeout = "1s"

# One that answers, so Vigie does not take itself for cut off.
[[hosts.erp.checks]]
name = "web"
kind = "tcp"
address = "127.0.0.1:OPEN"
timeout = "1s"
"#;

fn closed_port() -> u16 {
    // Bound then dropped: nothing listens there afterwards.
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn alerts_lists_a_down_check_says_critical_and_shows_who_took_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The kernel accepts connections into the backlog while it lives.
    let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let config = DOWN
        .replace("PORT", &closed_port().to_string())
        .replace("OPEN", &open.local_addr().unwrap().port().to_string());
    std::fs::write(d.join("config.toml"), config).unwrap();

    let listed = vigie(d, &["alerts", "--format", "json"]);
    assert_eq!(listed.status.code(), Some(2), "{}", out(&listed));
    let alerts: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let down = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "checks:erp/pg")
        .unwrap_or_else(|| panic!("{alerts:#}"));
    assert_eq!(down["domain"], "checks");
    assert_eq!(down["severity"], "critical");
    assert!(down["ack"].is_null());
    // RFC 3339 in the display zone (Paris in winter: +01:00).
    let since = down["since"].as_str().unwrap();
    assert!(since.ends_with("+01:00"), "{since}");
    assert!(
        chrono::DateTime::parse_from_rfc3339(since).is_ok(),
        "{since}"
    );

    let md = vigie(d, &["alerts"]);
    assert!(out(&md).contains("checks:erp/pg"), "{}", out(&md));
    assert!(out(&md).contains("# Alerts (Europe/Paris)"), "{}", out(&md));

    let ack = vigie(d, &["ack", "checks:erp/pg", "--comment", "on it"]);
    assert_eq!(ack.status.code(), Some(0), "{}", out(&ack));
    let listed = vigie(d, &["alerts", "--format", "json"]);
    let alerts: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let down = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "checks:erp/pg")
        .unwrap_or_else(|| panic!("{alerts:#}"));
    assert_eq!(down["ack"]["by"], "camille");
    assert_eq!(down["ack"]["comment"], "on it");
    // Taken: nothing critical is left unattended.
    assert_ne!(listed.status.code(), Some(2), "{}", out(&listed));

    let other = vigie(d, &["alerts", "--client", "nobody"]);
    assert_eq!(other.status.code(), Some(2), "{}", out(&other));
    assert!(out(&other).contains("no such client"), "{}", out(&other));
}

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
            "read-only: 'acknowledging an alert' is not allowed here",
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

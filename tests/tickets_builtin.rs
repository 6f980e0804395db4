//! The built-in tracker (a team without Redmine): tickets opened, given a
//! status and counted for the yearly quota, through the desk and through
//! `vigie tickets new` / `vigie tickets status`; read-only refuses both.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use vigie::sources::tickets::TrackerError;
use vigie::sources::tickets::builtin::Builtin;
use vigie::sources::tickets::desk::Desk;
use vigie::store::tickets::TicketStore;

fn desk(path: &std::path::Path, projects: &[(&str, &str)]) -> Desk {
    let projects: BTreeMap<String, String> = projects
        .iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect();
    let settings = vigie::model::tickets::TicketSettings {
        projects: projects.clone(),
        ..Default::default()
    };
    Desk::new(
        Box::new(Builtin::new(
            TicketStore::open(path).unwrap(),
            projects,
            "alice".into(),
        )),
        TicketStore::open(path).unwrap(),
        "alice",
    )
    .with_settings(&settings)
}

#[tokio::test]
async fn tickets_are_opened_given_a_status_and_leave_when_closed() {
    let dir = tempfile::tempdir().unwrap();
    let d = desk(&dir.path().join("vigie.db"), &[("coop-support", "coop")]);
    let a = d
        .create("coop", "Urgent", "Caisses hors ligne", "depuis 9h")
        .await
        .unwrap();
    // A client without a configured project gets its own id as project.
    let b = d.create("velo", "normal", "Formulaire", "").await.unwrap();
    let view = d.sync(Utc::now()).await.unwrap();
    let got: Vec<(u64, String, Option<String>, String, String)> = view
        .cached
        .tickets
        .iter()
        .map(|t| {
            (
                t.id,
                t.project.clone(),
                t.client.clone(),
                t.priority.clone(),
                t.status.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                a,
                "coop-support".into(),
                Some("coop".into()),
                "Urgent".into(),
                "New".into()
            ),
            (
                b,
                "velo".into(),
                Some("velo".into()),
                "normal".into(),
                "New".into()
            ),
        ]
    );

    d.set_status(a, "in progress").await.unwrap();
    let view = d.sync(Utc::now()).await.unwrap();
    let t = &view.cached.tickets[0];
    assert_eq!(t.status, "In Progress");
    assert_eq!(
        t.journals.last().and_then(|j| j.status_change.clone()),
        Some(("New".into(), "In Progress".into()))
    );
    assert_eq!(t.journals.last().map(|j| j.author.as_str()), Some("alice"));

    let err = d.set_status(a, "Done-ish").await.unwrap_err();
    assert!(
        matches!(&err, TrackerError::Rejected(m) if m[0].contains("New, In Progress")),
        "{err:?}"
    );
    assert!(matches!(
        d.set_status(9999, "Closed").await,
        Err(TrackerError::NotFound(_))
    ));
    assert!(matches!(
        d.create("coop", "normal", "  ", "").await,
        Err(TrackerError::Rejected(_))
    ));

    d.set_status(b, "Closed").await.unwrap();
    let view = d.sync(Utc::now()).await.unwrap();
    let ids: Vec<u64> = view.cached.tickets.iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![a], "a closed ticket leaves the board");
    // Its history is still there for whoever asks.
    let history = d.backend().history(b).await.unwrap();
    assert_eq!(history.len(), 1);
}

#[tokio::test]
async fn the_call_quota_counts_every_ticket_opened_this_year_closed_ones_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.db");
    let d = desk(&path, &[("coop-a", "coop"), ("coop-b", "coop")]);
    let mut ids = Vec::new();
    for (client, title) in [("coop", "one"), ("coop", "two"), ("velo", "three")] {
        ids.push(d.create(client, "normal", title, "").await.unwrap());
    }
    d.set_status(ids[0], "Closed").await.unwrap();
    let now = Utc::now();
    let year = vigie::model::tickets::year_start(chrono_tz::Europe::Paris, now);
    let counted = d
        .calls_since(&[("coop".into(), year), ("velo".into(), year)])
        .await
        .unwrap();
    assert_eq!(counted.get("coop"), Some(&2), "the closed one counts");
    assert_eq!(counted.get("velo"), Some(&1));
    // Nothing was opened after now.
    let later = d
        .calls_since(&[("coop".into(), now + Duration::hours(1))])
        .await
        .unwrap();
    assert_eq!(later.get("coop"), Some(&0));
}

fn config(dir: &std::path::Path) {
    std::fs::write(
        dir.join("config.toml"),
        r#"
[contracts.std]
intervention = { urgent = "2h", normal = "1d" }
hourly_rate = 120
monthly_fee = 0
calls_per_year = 2

[clients.coop]
name = "La Cagette"
timezone = "Europe/Paris"
contract = "std"

[tickets]
backend = "builtin"
"#,
    )
    .unwrap();
}

fn vigie(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["--config", dir.join("config.toml").to_str().unwrap()])
        .args(["--db", dir.join("vigie.db").to_str().unwrap()])
        .args(["--log", dir.join("vigie.log").to_str().unwrap()])
        .args(args)
        .env("VIGIE_OPERATOR", "alice")
        .output()
        .unwrap()
}

#[test]
fn the_cli_opens_tickets_and_changes_their_status() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path());
    let out = vigie(
        dir.path(),
        &[
            "tickets",
            "new",
            "--client",
            "coop",
            "--priority",
            "urgent",
            "--title",
            "Caisses hors ligne",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "#1 opened for coop"
    );
    vigie(
        dir.path(),
        &[
            "tickets",
            "new",
            "--client",
            "coop",
            "--title",
            "Formulaire",
        ],
    );

    let out = vigie(dir.path(), &["tickets", "status", "2", "Closed"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "#2 is now Closed"
    );

    let out = vigie(dir.path(), &["tickets", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<u64> = v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["id"].as_u64())
        .collect();
    assert_eq!(ids, vec![1]);
    assert_eq!(v["tickets"][0]["priority"], "urgent");
    assert_eq!(v["tickets"][0]["deadline_state"], "running");
    // The due instant, RFC 3339 with its offset, after the ticket's creation.
    let due_at = v["tickets"][0]["due_at"].as_str().unwrap_or_default();
    let due = chrono::DateTime::parse_from_rfc3339(due_at).expect(due_at);
    let created: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(v["tickets"][0]["created"].clone()).unwrap();
    assert!(due > created, "{due_at}");
    // The text says the due moment and the support time apart.
    let out = vigie(dir.path(), &["tickets"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("| due "), "{text}");
    assert!(text.contains("of support time left"), "{text}");
    // Two calls this year, the closed one included: the quota of 2 is reached.
    assert_eq!(v["quotas"][0]["used"], 2);
    assert_eq!(v["quotas"][0]["complete"], true);
    assert_eq!(v["quotas"][0]["warning"], true);

    let out = vigie(dir.path(), &["tickets", "status", "1", "Finished"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no status 'Finished'"), "{err}");

    let out = vigie(
        dir.path(),
        &["tickets", "new", "--client", "nobody", "--title", "x"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown client 'nobody'"));
}

#[test]
fn the_cli_refuses_changes_when_read_only() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path());
    for args in [
        vec![
            "--read-only",
            "tickets",
            "new",
            "--client",
            "coop",
            "--title",
            "x",
        ],
        vec!["--read-only", "tickets", "status", "1", "Closed"],
        vec![
            "--wall", "tickets", "new", "--client", "coop", "--title", "x",
        ],
    ] {
        let out = vigie(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("read-only"),
            "{args:?}"
        );
    }
    let out = vigie(dir.path(), &["tickets", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["tickets"].as_array().map(Vec::len),
        Some(0),
        "nothing opened"
    );
}

/// The built-in tracker lives in Vigie's store: when the store fails, the
/// message says so, not that a tracker is unreachable.
#[tokio::test]
async fn a_failing_store_is_worded_as_a_store_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.db");
    let d = desk(&path, &[("coop-support", "coop")]);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("DROP TABLE local_tickets")
        .unwrap();
    let err = d
        .create("coop", "Urgent", "Caisses hors ligne", "")
        .await
        .unwrap_err();
    assert!(matches!(err, TrackerError::Store(_)), "{err:?}");
    let said = err.to_string();
    assert!(said.contains("store"), "{said}");
    assert!(!said.contains("unreachable"), "{said}");
}

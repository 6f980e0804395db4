//! The Redmine backend against a real Redmine 5.0 (Debian's redmine +
//! redmine-sqlite) on loopback, started by `scripts/redmine-up` (which
//! `scripts/test` runs first; the harness runs it itself otherwise). Each
//! test makes its own project through the REST API with the admin key.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use serde_json::{Value, json};
use vigie::model::tickets::Clock;
use vigie::sources::tickets::desk::Desk;
use vigie::sources::tickets::redmine::Redmine;
use vigie::sources::tickets::{Synced, TicketBackend, TimePush, TrackerError};
use vigie::store::tickets::TicketStore;

struct Server {
    url: String,
    key: String,
}

/// The Redmine the tests share: `VIGIE_REDMINE_URL` + `VIGIE_REDMINE_KEY`
/// when `scripts/test` started it, else started here.
fn redmine() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| {
        if let (Ok(url), Ok(key)) = (
            std::env::var("VIGIE_REDMINE_URL"),
            std::env::var("VIGIE_REDMINE_KEY"),
        ) {
            return Server { url, key };
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/redmine-up");
        let out = std::process::Command::new(script)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
        assert!(
            out.status.success(),
            "{script} failed (it needs root and Debian's redmine packages):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let key = stdout.lines().last().unwrap_or_default().trim().to_string();
        let port = std::env::var("REDMINE_PORT").unwrap_or_else(|_| "3300".into());
        Server {
            url: format!("http://127.0.0.1:{port}"),
            key,
        }
    })
}

/// The admin's REST calls that set the scene.
struct Admin {
    http: reqwest::Client,
    s: &'static Server,
}

impl Admin {
    fn new() -> Admin {
        Admin {
            http: reqwest::Client::new(),
            s: redmine(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.s.url))
            .header("X-Redmine-API-Key", &self.s.key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// A fresh project with issue tracking and time tracking.
    async fn project(&self, tag: &str) -> String {
        let id = format!(
            "vt-{tag}-{}-{}",
            std::process::id(),
            Utc::now().timestamp_micros() % 1_000_000_000
        );
        self.call(
            reqwest::Method::POST,
            "/projects.json",
            Some(json!({"project": {
                "name": id, "identifier": id, "is_public": false,
                "tracker_ids": [1, 2, 3],
                "enabled_module_names": ["issue_tracking", "time_tracking"]
            }})),
        )
        .await;
        id
    }

    async fn issue(&self, project: &str, subject: &str, priority: &str) -> u64 {
        let priorities = self
            .call(
                reqwest::Method::GET,
                "/enumerations/issue_priorities.json",
                None,
            )
            .await;
        let pid = priorities["issue_priorities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == priority)
            .unwrap_or_else(|| panic!("no priority {priority}: {priorities}"))["id"]
            .as_u64()
            .unwrap();
        let v = self
            .call(
                reqwest::Method::POST,
                "/issues.json",
                Some(json!({"issue": {"project_id": project, "subject": subject, "priority_id": pid, "tracker_id": 1}})),
            )
            .await;
        v["issue"]["id"].as_u64().unwrap()
    }

    /// `n` normal issues titled `{prefix} 0`, `{prefix} 1`... in order.
    async fn issues(&self, project: &str, prefix: &str, n: usize) -> Vec<u64> {
        let mut made = Vec::with_capacity(n);
        for i in 0..n {
            made.push(
                self.issue(project, &format!("{prefix} {i}"), "Normal")
                    .await,
            );
        }
        made
    }

    /// A note on each of `ids` a second later, so that Redmine's
    /// `updated_on` (to the second) tells they changed since opened.
    async fn note_a_second_later(&self, ids: &[u64]) {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        for &id in ids {
            self.update(id, json!({"notes": "on it"})).await;
        }
    }

    async fn update(&self, id: u64, issue: Value) {
        self.call(
            reqwest::Method::PUT,
            &format!("/issues/{id}.json"),
            Some(json!({ "issue": issue })),
        )
        .await;
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await
    }
}

/// What a desk adds to a listing: the histories it left unread (of tickets
/// whose clock has not stopped), read.
async fn with_histories(b: &Redmine, mut synced: Synced) -> Synced {
    let ids: Vec<u64> = synced
        .tickets
        .iter()
        .filter(|t| t.intervention.is_none() && t.journals_as_of.is_some())
        .map(|t| t.id)
        .collect();
    for (id, journals) in b.histories(&ids).await {
        let t = synced.tickets.iter_mut().find(|t| t.id == id).unwrap();
        t.journals = journals.unwrap();
        t.journals_as_of = None;
    }
    synced
}

fn backend(project: &str, client: &str) -> Redmine {
    let s = redmine();
    let projects = BTreeMap::from([(project.to_string(), client.to_string())]);
    Redmine::new(
        &s.url,
        s.key.clone(),
        projects,
        None,
        Duration::from_secs(30),
    )
    .unwrap()
}

#[tokio::test]
async fn sync_reads_open_issues_with_status_history_notes_and_time() {
    let admin = Admin::new();
    let project = admin.project("sync").await;
    let urgent = admin
        .issue(&project, "POS down at the Croix-Rousse store", "Urgent")
        .await;
    let normal = admin.issue(&project, "Add a user", "Normal").await;
    let closed = admin.issue(&project, "Old request", "Low").await;
    admin.update(closed, json!({"status_id": 5})).await;
    admin
        .update(
            urgent,
            json!({"notes": "Looking at the till logs", "status_id": 2}),
        )
        .await;
    admin
        .call(
            reqwest::Method::POST,
            "/time_entries.json",
            Some(json!({"time_entry": {"issue_id": normal, "hours": 0.5, "comments": "call"}})),
        )
        .await;

    let b = backend(&project, "coop");
    let listed = b.open_tickets(&[]).await.unwrap();
    assert!(
        listed
            .tickets
            .iter()
            .all(|t| t.journals.is_empty() && t.journals_as_of == Some(t.created)),
        "the listing reads no history: each is marked as never read"
    );
    let synced = with_histories(&b, listed).await;
    assert_eq!(synced.me.as_deref(), Some("admin"));
    let ids: Vec<u64> = synced.tickets.iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![urgent, normal], "open issues only, by id");

    let u = &synced.tickets[0];
    assert_eq!(u.title, "POS down at the Croix-Rousse store");
    assert_eq!(u.priority, "Urgent");
    assert_eq!(u.status, "In Progress");
    assert_eq!(u.tracker, "Bug");
    assert_eq!(u.author, "Redmine Admin");
    assert_eq!(u.client.as_deref(), Some("coop"));
    assert_eq!(u.project, project);
    assert!(u.updated >= u.created);
    assert_eq!(u.url, Some(format!("{}/issues/{urgent}", redmine().url)));
    assert_eq!(u.journals.len(), 1, "{:?}", u.journals);
    assert_eq!(
        u.journals[0].notes.as_deref(),
        Some("Looking at the till logs")
    );
    assert_eq!(
        u.journals[0].status_change,
        Some(("New".to_string(), "In Progress".to_string()))
    );
    assert_eq!(u.first_time_entry, None);

    let n = &synced.tickets[1];
    assert_eq!(n.spent, Duration::from_secs(1800));
    assert!(n.first_time_entry.is_some());
    assert!(n.journals.is_empty());
}

#[tokio::test]
async fn sync_follows_every_page() {
    let admin = Admin::new();
    let project = admin.project("pages").await;
    let made = admin.issues(&project, "ticket", 23).await;
    let synced = backend(&project, "coop")
        .with_page_size(5)
        .open_tickets(&[])
        .await
        .unwrap();
    let ids: Vec<u64> = synced.tickets.iter().map(|t| t.id).collect();
    assert_eq!(ids, made, "5 pages of 5, the last one short");
}

#[tokio::test]
async fn unchanged_tickets_keep_their_history_without_asking_again() {
    let admin = Admin::new();
    let project = admin.project("known").await;
    let id = admin.issue(&project, "slow backups", "Normal").await;
    admin.update(id, json!({"notes": "first"})).await;
    let b = backend(&project, "coop");
    let first = with_histories(&b, b.open_tickets(&[]).await.unwrap()).await;
    assert_eq!(first.tickets[0].journals.len(), 1);
    // A known copy with a different history but the same updated_on is
    // trusted as is; a newer updated_on makes the backend read it again.
    let mut known = first.tickets.clone();
    known[0].journals.clear();
    let again = b.open_tickets(&known).await.unwrap();
    assert!(again.tickets[0].journals.is_empty());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    admin.update(id, json!({"notes": "second"})).await;
    let fresh = b.open_tickets(&known).await.unwrap();
    assert!(fresh.tickets[0].clock_in_doubt(), "changed since: in doubt");
    let fresh = with_histories(&b, fresh).await;
    let notes: Vec<_> = fresh.tickets[0]
        .journals
        .iter()
        .filter_map(|j| j.notes.clone())
        .collect();
    assert_eq!(notes, vec!["first", "second"]);
}

#[tokio::test]
async fn notes_and_time_entries_reach_redmine() {
    let admin = Admin::new();
    let project = admin.project("write").await;
    let id = admin.issue(&project, "mail queue stuck", "High").await;
    let b = backend(&project, "coop");
    b.add_note(id, "Restarted postfix\nqueue draining")
        .await
        .unwrap();
    let remote = b
        .push_time(&TimePush {
            ticket: id,
            worked: Duration::from_secs(45 * 60),
            spent_on: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            comment: "diagnosis and restart".into(),
        })
        .await
        .unwrap();
    let issue = admin
        .get(&format!("/issues/{id}.json?include=journals"))
        .await;
    assert_eq!(
        issue["issue"]["journals"][0]["notes"],
        "Restarted postfix\nqueue draining"
    );
    let entries = admin
        .get(&format!("/time_entries.json?issue_id={id}"))
        .await;
    let e = &entries["time_entries"][0];
    assert_eq!(e["id"].as_u64(), remote);
    assert_eq!(e["hours"], 0.75);
    assert_eq!(e["spent_on"], "2026-11-27");
    assert_eq!(e["comments"], "diagnosis and restart");
}

#[tokio::test]
async fn a_refused_time_entry_stays_queued_with_redmines_reasons() {
    let admin = Admin::new();
    let project = admin.project("queue").await;
    let id = admin.issue(&project, "certificate expiry", "Normal").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.db");
    let desk = Desk::new(
        Box::new(backend(&project, "coop")),
        TicketStore::open(&path).unwrap(),
        "alice",
    );
    let now = Utc::now();
    // A timer on a ticket that does not exist: Redmine answers 422.
    desk.start(999_999_999, now - chrono::Duration::minutes(20))
        .unwrap()
        .unwrap();
    let bad = desk
        .stop(
            "on a wrong ticket",
            now,
            chrono_tz::Europe::Paris,
            "?",
            Some("coop"),
        )
        .unwrap()
        .unwrap();
    desk.start(id, now).unwrap().unwrap();
    let good = desk
        .stop(
            "renewed",
            now + chrono::Duration::minutes(10),
            chrono_tz::Europe::Paris,
            "certificate expiry",
            Some("coop"),
        )
        .unwrap()
        .unwrap();
    let outcomes = desk.push_pending(now).await.unwrap();
    assert_eq!(outcomes.len(), 2);
    match &outcomes[0].result {
        Err(TrackerError::Rejected(msgs)) => {
            assert!(msgs.iter().any(|m| m.contains("Issue")), "{msgs:?}")
        }
        other => panic!("expected a 422 refusal, got {other:?}"),
    }
    assert!(outcomes[1].result.is_ok());
    let view = desk.view(None).unwrap();
    let pending: Vec<i64> = view.pending.iter().map(|e| e.id).collect();
    assert_eq!(pending, vec![bad.id], "the refused entry stays queued");
    assert!(
        view.pending[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("Issue")
    );
    assert_eq!(view.entries.len(), 2, "nothing is dropped");
    let entries = admin
        .get(&format!("/time_entries.json?issue_id={id}"))
        .await;
    assert_eq!(entries["total_count"], 1);
    // Ten minutes, as Redmine shows hours: to two decimals.
    assert_eq!(entries["time_entries"][0]["hours"], 0.17);
    assert_eq!(good.worked(), Duration::from_secs(600));
}

#[tokio::test]
async fn an_unknown_project_is_named_in_the_error() {
    let b = backend("vt-no-such-project", "coop");
    let err = b.open_tickets(&[]).await.unwrap_err();
    assert!(
        matches!(err, TrackerError::NotFound(ref p) if p.contains("vt-no-such-project")),
        "{err:?}"
    );
}

/// The config text that follows `project` on the test Redmine for client
/// `coop` (urgent 2 h, normal 1 business day, 2 calls a year); `tickets`
/// adds lines to `[tickets]`.
fn config_text(project: &str, tickets: &str) -> String {
    format!(
        r#"
[contracts.std]
intervention = {{ urgent = "2h", normal = "1d" }}
hourly_rate = 120
monthly_fee = 0
calls_per_year = 2

[clients.coop]
name = "La Cagette"
timezone = "Europe/Paris"
contract = "std"

[tickets]
backend = "redmine"
url = "{}"
api_key_env = "VIGIE_TEST_REDMINE_KEY"
{tickets}
[tickets.projects]
{project} = "coop"
"#,
        redmine().url
    )
}

/// A config file for the CLI, in `dir`.
fn config_for(dir: &std::path::Path, project: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, config_text(project, "")).unwrap();
    path
}

fn vigie(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["--config", dir.join("config.toml").to_str().unwrap()])
        .args(["--db", dir.join("vigie.db").to_str().unwrap()])
        .args(["--log", dir.join("vigie.log").to_str().unwrap()])
        .args(args)
        .env("VIGIE_TEST_REDMINE_KEY", &redmine().key)
        .env("VIGIE_OPERATOR", "alice")
        .output()
        .unwrap()
}

#[tokio::test]
async fn cli_lists_tickets_and_makes_a_timesheet() {
    let admin = Admin::new();
    let project = admin.project("cli").await;
    let urgent = admin.issue(&project, "Till | offline", "Urgent").await;
    let normal = admin.issue(&project, "New user", "Normal").await;
    let month = Utc::now().format("%Y-%m").to_string();
    let today = Utc::now().format("%Y-%m-%d").to_string();
    for (issue, hours) in [(normal, 0.2), (normal, 0.2), (urgent, 1.0)] {
        admin
            .call(
                reqwest::Method::POST,
                "/time_entries.json",
                Some(json!({"time_entry": {"issue_id": issue, "hours": hours, "spent_on": today}})),
            )
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    config_for(dir.path(), &project);

    let out = vigie(dir.path(), &["tickets", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stale"], false);
    let ids: Vec<u64> = v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    let u = v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == urgent)
        .unwrap();
    assert_eq!(u["spent_hours"], 1.0);
    assert_eq!(u["cost"], "120.00");
    assert_eq!(u["diagnosis_warning"], true);
    assert_eq!(v["quotas"][0]["used"], 2);
    assert_eq!(v["quotas"][0]["warning"], true, "2 of 2 calls");

    let out = vigie(dir.path(), &["tickets"]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("Till \\| offline"), "{md}");
    assert!(md.contains("diagnosis over threshold"), "{md}");

    let out = vigie(
        dir.path(),
        &["timesheet", "--month", &month, "--format", "csv"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    // 24 min on the normal ticket bill as 30 min; 1 h as 1 h.
    assert!(
        csv.contains(&format!(
            "{month},coop,{normal},New user,0.40,0.50,120.00,60.00,EUR"
        )),
        "{csv}"
    );
    assert!(
        csv.contains(&format!(
            "{month},coop,{urgent},Till | offline,1.00,1.00,120.00,120.00,EUR"
        )),
        "{csv}"
    );

    let out = vigie(dir.path(), &["timesheet", "--month", "2026-13"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn a_timesheet_names_tickets_defaults_to_this_month_and_says_when_empty() {
    let admin = Admin::new();
    let project = admin.project("sheet").await;
    let issue = admin.issue(&project, "Printer offline", "Normal").await;
    let today = Utc::now().format("%Y-%m-%d").to_string();
    admin
        .call(
            reqwest::Method::POST,
            "/time_entries.json",
            Some(json!({"time_entry": {"issue_id": issue, "hours": 0.5, "spent_on": today}})),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    config_for(dir.path(), &project);
    // No `vigie tickets` first: this process has never read the board.
    let out = vigie(dir.path(), &["timesheet", "--format", "csv"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    let month = Utc::now().format("%Y-%m").to_string();
    assert!(
        csv.contains(&format!("{month},coop,{issue},Printer offline,0.50")),
        "{csv}"
    );
    let out = vigie(dir.path(), &["timesheet", "--month", "2001-01"]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{md}");
    assert!(md.contains("No time recorded in 2001-01"), "{md}");
}

#[test]
fn cli_marks_the_cache_stale_when_the_tracker_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let project = rt.block_on(async {
        let admin = Admin::new();
        let p = admin.project("stale").await;
        admin.issue(&p, "disk full", "Urgent").await;
        p
    });
    config_for(dir.path(), &project);
    let out = vigie(dir.path(), &["tickets"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Point the config at a port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let cfg = std::fs::read_to_string(dir.path().join("config.toml"))
        .unwrap()
        .replace(&redmine().url, &format!("http://{dead}"));
    std::fs::write(dir.path().join("config.toml"), cfg).unwrap();
    let out = vigie(dir.path(), &["tickets"]);
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("STALE: tracker unreachable"), "{md}");
    assert!(
        md.contains("cache from 0m ago") || md.contains("cache from 1m ago"),
        "{md}"
    );
    assert!(md.contains("disk full"), "{md}");
}

#[tokio::test]
async fn a_sync_from_the_bookmark_sees_notes_closings_new_tickets_and_time() {
    let admin = Admin::new();
    let project = admin.project("delta").await;
    let noted = admin.issue(&project, "slow invoices", "Normal").await;
    let closing = admin.issue(&project, "old printer", "Low").await;
    let timed = admin
        .issue(&project, "VPN for the accountant", "Normal")
        .await;
    let quiet = admin
        .issue(&project, "nothing happens here", "Normal")
        .await;
    // No slack: what changed before the first sync is not asked again
    // (Redmine reads `updated_on>=T` as `> T - 1 s`: two seconds apart).
    let b = backend(&project, "coop").with_slack(Duration::ZERO);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let first = b.sync_tickets(&[], None).await.unwrap();
    assert_eq!(first.tickets.len(), 4);
    let cursor = first.cursor.clone().expect("Redmine gives a bookmark");

    // A known copy that differs from Redmine where Redmine did not change:
    // only a sync that asks for changes keeps it (a full listing would
    // overwrite the title).
    let mut known = first.tickets.clone();
    for t in &mut known {
        if t.id == quiet {
            t.title = "known copy".into();
        }
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    admin
        .update(noted, json!({"notes": "checked the cron"}))
        .await;
    admin.update(closing, json!({"status_id": 5})).await;
    let new = admin
        .issue(&project, "new: disk almost full", "Urgent")
        .await;
    // A time entry does not move the issue's updated_on.
    admin
        .call(
            reqwest::Method::POST,
            "/time_entries.json",
            Some(json!({"time_entry": {"issue_id": timed, "hours": 0.5}})),
        )
        .await;

    let next = with_histories(&b, b.sync_tickets(&known, Some(&cursor)).await.unwrap()).await;
    let by_id: std::collections::HashMap<u64, &vigie::model::tickets::Ticket> =
        next.tickets.iter().map(|t| (t.id, t)).collect();
    let mut ids: Vec<u64> = by_id.keys().copied().collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![noted, timed, quiet, new], "the closed one left");
    assert_eq!(
        by_id[&quiet].title, "known copy",
        "unchanged: not asked again"
    );
    let notes: Vec<_> = by_id[&noted]
        .journals
        .iter()
        .filter_map(|j| j.notes.clone())
        .collect();
    assert_eq!(notes, vec!["checked the cron"]);
    assert_eq!(by_id[&new].priority, "Urgent");
    assert_eq!(by_id[&timed].spent, Duration::from_secs(1800));
    assert!(by_id[&timed].first_time_entry.is_some());
    assert!(next.cursor.is_some());
}

#[tokio::test]
async fn a_deleted_ticket_makes_the_sync_list_everything_again() {
    let admin = Admin::new();
    let project = admin.project("gone").await;
    let kept = admin.issue(&project, "kept", "Normal").await;
    let gone = admin.issue(&project, "deleted by mistake", "Normal").await;
    let b = backend(&project, "coop");
    let first = b.sync_tickets(&[], None).await.unwrap();
    let mut known = first.tickets.clone();
    for t in &mut known {
        t.title = "known copy".into();
    }
    admin
        .call(
            reqwest::Method::DELETE,
            &format!("/issues/{gone}.json"),
            None,
        )
        .await;
    let next = b
        .sync_tickets(&known, first.cursor.as_deref())
        .await
        .unwrap();
    let got: Vec<(u64, &str)> = next
        .tickets
        .iter()
        .map(|t| (t.id, t.title.as_str()))
        .collect();
    // The count of open tickets no longer matched: everything was listed.
    assert_eq!(got, vec![(kept, "kept")]);
}

#[tokio::test]
async fn a_stopped_clock_needs_no_history_until_the_detail_asks() {
    let admin = Admin::new();
    let project = admin.project("settled").await;
    let id = admin.issue(&project, "mail bounces", "Urgent").await;
    admin.update(id, json!({"notes": "on it"})).await;
    let dir = tempfile::tempdir().unwrap();
    let settings = vigie::model::tickets::TicketSettings {
        rules: vigie::model::tickets::ClockRules {
            team: vec!["Redmine Admin".into()],
            stop_statuses: vec![],
        },
        ..Default::default()
    };
    let desk = Desk::new(
        Box::new(backend(&project, "coop")),
        TicketStore::open(&dir.path().join("vigie.db")).unwrap(),
        "alice",
    )
    .with_settings(&settings);
    let view = desk.sync(Utc::now()).await.unwrap();
    let t = &view.cached.tickets[0];
    let stopped = t.intervention.expect("the team's note stopped the clock");
    assert_eq!(t.journals.len(), 1);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    admin.update(id, json!({"notes": "second look"})).await;
    let view = desk.sync(Utc::now()).await.unwrap();
    let t = &view.cached.tickets[0];
    assert_eq!(t.journals.len(), 1, "history not read again");
    assert!(t.journals_as_of.is_some(), "and marked as older");
    assert_eq!(t.intervention, Some(stopped));

    let view = desk.history(id).await.unwrap();
    let t = &view.cached.tickets[0];
    assert_eq!(t.journals.len(), 2);
    assert_eq!(t.journals_as_of, None);
}

/// The fleet of the console: client `coop` on a contract with clocks
/// (urgent 2 h, normal 1 business day), its tickets in `project`.
fn fleet_for(project: &str) -> std::sync::Arc<vigie::model::Fleet> {
    let text = config_text(project, r#"team = ["Redmine Admin"]"#);
    let config = vigie::config::parse(&text, std::path::Path::new("fleet.toml")).unwrap();
    std::sync::Arc::new(config.fleet)
}

/// The console's desk for `project` (store in `dir`), as `fleet_for`'s
/// fleet sets it up: it knows which histories the clocks need.
fn console_desk(
    project: &str,
    dir: &std::path::Path,
) -> (Desk, std::sync::Arc<vigie::model::Fleet>) {
    let fleet = fleet_for(project);
    let desk = Desk::new(
        Box::new(backend(project, "coop")),
        TicketStore::open(&dir.join("vigie.db")).unwrap(),
        "alice",
    )
    .with_settings(&fleet.tickets)
    .with_fleet(fleet.clone());
    (desk, fleet)
}

#[tokio::test]
async fn a_first_sync_shows_tickets_before_reading_their_histories() {
    let admin = Admin::new();
    let project = admin.project("first").await;
    let noted = admin.issue(&project, "till offline", "Urgent").await;
    let quiet = admin.issue(&project, "new user", "Normal").await;
    // The note comes a second later, so Redmine's updated_on (to the
    // second) tells the ticket changed since it was opened.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    admin.update(noted, json!({"notes": "on it"})).await;
    let dir = tempfile::tempdir().unwrap();
    let (desk, fleet) = console_desk(&project, dir.path());

    // A sync out of time for histories: listed, nothing read.
    let now = Utc::now();
    let view = desk
        .sync_until(now, Some(std::time::Instant::now()))
        .await
        .unwrap();
    assert_eq!(view.cached.tickets.len(), 2);
    assert_eq!(view.unread, 2, "both histories are still to read");
    let board = |v: &vigie::sources::tickets::desk::DeskView| {
        vigie::model::tickets::board(
            &v.cached.tickets,
            &fleet,
            &fleet.tickets.rules,
            &Default::default(),
            Utc::now(),
        )
    };
    let clock_of = |rows: &[vigie::model::tickets::BoardRow], id: u64| {
        rows.iter().find(|r| r.ticket.id == id).unwrap().clock
    };
    let rows = board(&view);
    assert!(
        matches!(clock_of(&rows, noted), Clock::Unread { .. }),
        "changed since opened: its clock waits for the history"
    );
    assert!(
        !matches!(clock_of(&rows, quiet), Clock::Unread { .. }),
        "never changed: judged at once"
    );

    // One round reads them (one batch at least, whatever the time).
    let read = desk
        .read_histories(Utc::now(), std::time::Instant::now())
        .await
        .unwrap();
    assert_eq!(read, 2);
    let view = desk.view(None).unwrap();
    assert_eq!(view.unread, 0);
    let t = view.cached.tickets.iter().find(|t| t.id == noted).unwrap();
    assert_eq!(t.journals.len(), 1);
    assert!(
        t.intervention.is_some(),
        "the team's note stopped the clock"
    );
    assert!(matches!(
        clock_of(&board(&view), noted),
        Clock::Stopped { met: true, .. }
    ));
    // The next sync reads no history again.
    let again = desk.sync(Utc::now()).await.unwrap();
    assert_eq!(again.unread, 0);
    assert_eq!(again.cached.tickets, view.cached.tickets);
}

#[tokio::test]
async fn a_sync_reads_a_few_histories_and_leaves_many_to_the_rounds() {
    let admin = Admin::new();
    let project = admin.project("inline").await;
    // More tickets changed since opened than a sync reads inline (16).
    let ids = admin.issues(&project, "till", 17).await;
    admin.note_a_second_later(&ids).await;
    let dir = tempfile::tempdir().unwrap();
    let (desk, _) = console_desk(&project, dir.path());

    // Cold, with all the time in the world: listed at once, none read.
    let generous = || Some(std::time::Instant::now() + Duration::from_secs(600));
    let view = desk.sync_until(Utc::now(), generous()).await.unwrap();
    assert_eq!(view.cached.tickets.len(), 17);
    assert_eq!(view.unread, 17, "every history is left to the rounds");
    assert!(view.cached.tickets.iter().all(|t| t.journals.is_empty()));
    while desk.view(None).unwrap().unread > 0 {
        let read = desk
            .read_histories(Utc::now(), std::time::Instant::now())
            .await
            .unwrap();
        assert!(read > 0, "each round reads something");
    }

    // Warm: two new tickets changed since opened are read by the sync itself.
    let new = admin.issues(&project, "new till", 2).await;
    admin.note_a_second_later(&new).await;
    let view = desk.sync_until(Utc::now(), generous()).await.unwrap();
    assert_eq!(view.cached.tickets.len(), 19);
    assert_eq!(view.unread, 0, "a few histories are read inline");
    for &id in &new {
        let t = view.cached.tickets.iter().find(|t| t.id == id).unwrap();
        assert_eq!(t.journals.len(), 1, "#{id}'s note was read");
        assert!(
            t.intervention.is_some(),
            "the team's note stopped #{id}'s clock"
        );
    }
}

#[tokio::test]
async fn tickets_are_opened_given_a_status_and_counted_for_the_year() {
    let admin = Admin::new();
    let project = admin.project("write2").await;
    let b = backend(&project, "coop");
    let year = vigie::model::tickets::year_start(chrono_tz::Europe::Paris, Utc::now());
    let new = |title: &str, priority: &str| vigie::sources::tickets::NewTicket {
        project: project.clone(),
        client: "coop".into(),
        title: title.into(),
        priority: priority.into(),
        description: "from Vigie".into(),
    };
    let a = b.create(&new("Till 3 frozen", "urgent")).await.unwrap();
    let c = b.create(&new("Printer", "Low")).await.unwrap();
    let issue = admin.get(&format!("/issues/{a}.json")).await;
    assert_eq!(issue["issue"]["priority"]["name"], "Urgent");
    assert_eq!(issue["issue"]["subject"], "Till 3 frozen");
    let err = b.create(&new("x", "whenever")).await.unwrap_err();
    assert!(
        matches!(&err, TrackerError::Rejected(m) if m[0].contains("Urgent")),
        "{err:?}"
    );

    let names: Vec<String> = b
        .statuses()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(names.contains(&"In Progress".to_string()), "{names:?}");
    b.set_status(a, "in progress").await.unwrap();
    let issue = admin.get(&format!("/issues/{a}.json")).await;
    assert_eq!(issue["issue"]["status"]["name"], "In Progress");
    let err = b.set_status(a, "Parked").await.unwrap_err();
    assert!(matches!(&err, TrackerError::Rejected(m) if m[0].contains("no status 'Parked'")));

    b.set_status(c, "Closed").await.unwrap();
    assert_eq!(
        b.opened_since(&project, year).await.unwrap(),
        2,
        "closed ones count"
    );
    let later = Utc::now() + chrono::Duration::hours(1);
    assert_eq!(b.opened_since(&project, later).await.unwrap(), 0);
}

#[test]
fn the_cli_opens_a_ticket_in_redmine_and_closes_it() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let project = rt.block_on(async { Admin::new().project("clinew").await });
    config_for(dir.path(), &project);
    let out = vigie(
        dir.path(),
        &[
            "tickets",
            "new",
            "--client",
            "coop",
            "--priority",
            "High",
            "--title",
            "Backup slow",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    let id: u64 = said
        .trim()
        .strip_prefix('#')
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(
        said.contains(&format!("{}/issues/{id}", redmine().url)),
        "{said}"
    );
    let out = vigie(
        dir.path(),
        &["tickets", "status", &id.to_string(), "Closed"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let issue = rt.block_on(async { Admin::new().get(&format!("/issues/{id}.json")).await });
    assert_eq!(issue["issue"]["status"]["name"], "Closed");
    let out = vigie(dir.path(), &["tickets", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["tickets"].as_array().map(Vec::len), Some(0));
    // The closed ticket still counts as a call of the year.
    assert_eq!(v["quotas"][0]["used"], 1);
    assert_eq!(v["quotas"][0]["complete"], true);
}

/// Performance figure, not a check: a sync of 1,000 open tickets (10 pages
/// of 100, one in three with a note) from the local Redmine: cold (nothing
/// known: every page, and the history of every ticket that has one), warm
/// (the previous sync's tickets and bookmark: only what changed), and a
/// warm full listing (no bookmark; histories reused). Run with
/// `cargo test --release --test tickets_redmine -- --ignored --nocapture sync_of_1000`.
#[tokio::test]
#[ignore]
async fn sync_of_1000_tickets() {
    let admin = Admin::new();
    let project = "vt-bench-1000";
    let exists = admin
        .http
        .get(format!("{}/projects/{project}.json", admin.s.url))
        .header("X-Redmine-API-Key", &admin.s.key)
        .send()
        .await
        .unwrap()
        .status()
        .is_success();
    if !exists {
        admin
            .call(
                reqwest::Method::POST,
                "/projects.json",
                Some(
                    json!({"project": {"name": project, "identifier": project, "tracker_ids": [1],
                    "enabled_module_names": ["issue_tracking", "time_tracking"]}}),
                ),
            )
            .await;
    }
    let have = admin
        .get(&format!(
            "/issues.json?project_id={project}&status_id=open&limit=1"
        ))
        .await["total_count"]
        .as_u64()
        .unwrap_or(0);
    for i in have..1000 {
        let v = admin
            .call(
                reqwest::Method::POST,
                "/issues.json",
                Some(json!({"issue": {"project_id": project, "subject": format!("bench {i}"), "tracker_id": 1}})),
            )
            .await;
        if i % 3 == 0 {
            let id = v["issue"]["id"].as_u64().unwrap();
            admin
                .update(id, json!({"notes": format!("looked at bench {i}")}))
                .await;
        }
    }
    // The console's desk: the fleet's contract gives each ticket a clock
    // (normal: one business day), so it knows which histories matter.
    let dir = tempfile::tempdir().unwrap();
    let (desk, _) = console_desk(project, dir.path());

    // Cold: the listing as the console runs it (a sync with a deadline
    // leaves that many histories to the rounds), then the histories, round
    // after round.
    let t0 = std::time::Instant::now();
    let cold = desk
        .sync_until(Utc::now(), Some(t0 + Duration::from_secs(2)))
        .await
        .unwrap();
    let cold_ms = t0.elapsed().as_millis();
    assert_eq!(cold.cached.tickets.len(), 1000);
    assert!(cold.error.is_none());
    let unread_after_listing = cold.unread;
    let mut rounds = 0;
    let mut view = cold;
    while view.unread > 0 {
        let read = desk
            .read_histories(
                Utc::now(),
                std::time::Instant::now() + Duration::from_secs(1),
            )
            .await
            .unwrap();
        assert!(read > 0, "each round reads something");
        rounds += 1;
        view = desk.view(None).unwrap();
    }
    let histories_ms = t0.elapsed().as_millis() - cold_ms;
    let noted = view
        .cached
        .tickets
        .iter()
        .filter(|t| {
            t.title
                .strip_prefix("bench ")
                .and_then(|i| i.parse::<u32>().ok())
                .is_some_and(|i| i % 3 == 0)
        })
        .count();
    let with_history: Vec<_> = view
        .cached
        .tickets
        .iter()
        .filter(|t| !t.journals.is_empty())
        .collect();
    assert!(
        with_history.len() >= noted,
        "every noted ticket's history was read"
    );
    assert!(
        view.cached
            .tickets
            .iter()
            .all(|t| t.journals_as_of.is_none()),
        "every history read"
    );

    // Warm, from the bookmark; then a full listing (every 30 min).
    let b = backend(project, "coop");
    let t1 = std::time::Instant::now();
    let warm = desk
        .sync_until(Utc::now(), Some(t1 + Duration::from_secs(2)))
        .await
        .unwrap();
    let warm_ms = t1.elapsed().as_millis();
    assert_eq!(warm.cached.tickets, view.cached.tickets);
    assert_eq!(warm.unread, 0);
    let t2 = std::time::Instant::now();
    let full = b.sync_tickets(&warm.cached.tickets, None).await.unwrap();
    let full_ms = t2.elapsed().as_millis();
    assert_eq!(full.tickets, warm.cached.tickets);
    println!(
        "sync of 1000 tickets: listed in {cold_ms} ms with {unread_after_listing} histories \
         left to read; read in {histories_ms} ms more ({rounds} rounds, {} with a history); \
         warm from the bookmark {warm_ms} ms; full listing {full_ms} ms",
        with_history.len()
    );
}

//! The Redmine client against a small local HTTP server for the answers a
//! real Redmine is hard to provoke: a wrong key (401), refusals (422),
//! server errors, garbage, missing fields, titles carrying escape
//! sequences, and a tracker that is not there at all (the desk then shows
//! its cache, marked stale).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{NaiveDate, TimeZone, Utc};
use vigie::sources::tickets::desk::Desk;
use vigie::sources::tickets::redmine::Redmine;
use vigie::sources::tickets::{TicketBackend, TimePush, TrackerError};
use vigie::store::tickets::TicketStore;

/// path (without query) -> (status, body). Requests are recorded with the
/// key header they carried.
/// (uri, key header) of each request.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<BTreeMap<String, (u16, String)>>>,
    seen: Seen,
}

async fn answer(State(s): State<Script>, req: Request) -> impl IntoResponse {
    let path = req.uri().path().to_string();
    let key = req
        .headers()
        .get("X-Redmine-API-Key")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    s.seen.lock().unwrap().push((req.uri().to_string(), key));
    let (status, body) = s
        .answers
        .lock()
        .unwrap()
        .get(&path)
        .cloned()
        .unwrap_or((404, String::new()));
    (StatusCode::from_u16(status).unwrap(), body)
}

async fn serve(script: Script) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(answer).with_state(script);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

const ME: &str = r#"{"user":{"id":3,"login":"alice","admin":false}}"#;
const STATUSES: &str = r#"{"issue_statuses":[{"id":1,"name":"New","is_closed":false},{"id":2,"name":"In Progress","is_closed":false}]}"#;

fn healthy() -> Script {
    let s = Script::default();
    {
        let mut a = s.answers.lock().unwrap();
        a.insert("/users/current.json".into(), (200, ME.into()));
        a.insert("/issue_statuses.json".into(), (200, STATUSES.into()));
        a.insert(
            "/time_entries.json".into(),
            (
                200,
                r#"{"time_entries":[],"total_count":0,"offset":0,"limit":100}"#.into(),
            ),
        );
        a.insert(
            "/issues/7.json".into(),
            (200, r#"{"issue":{"id":7,"journals":[]}}"#.into()),
        );
    }
    s
}

fn set(s: &Script, path: &str, status: u16, body: &str) {
    s.answers
        .lock()
        .unwrap()
        .insert(path.into(), (status, body.into()));
}

fn client(url: &str) -> Redmine {
    Redmine::new(
        url,
        "s3cret-key".into(),
        BTreeMap::from([("coop".to_string(), "coop".to_string())]),
        Some(9),
        Duration::from_secs(5),
    )
    .unwrap()
}

fn push() -> TimePush {
    TimePush {
        ticket: 7,
        worked: Duration::from_secs(900),
        spent_on: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
        comment: "x".into(),
    }
}

#[tokio::test]
async fn a_wrong_key_says_so_and_the_key_travels_only_in_the_header() {
    let s = healthy();
    set(&s, "/users/current.json", 401, "");
    let url = serve(s.clone()).await;
    let err = client(&url).open_tickets(&[]).await.unwrap_err();
    assert_eq!(err, TrackerError::BadKey { status: 401 });
    assert!(err.to_string().contains("check the key"), "{err}");
    assert!(!err.to_string().contains("s3cret"));
    let seen = s.seen.lock().unwrap().clone();
    assert!(!seen.is_empty());
    for (uri, key) in seen {
        assert!(!uri.contains("s3cret"), "{uri}");
        assert_eq!(key.as_deref(), Some("s3cret-key"));
    }
}

#[tokio::test]
async fn a_refusal_carries_redmines_messages() {
    let s = healthy();
    set(
        &s,
        "/time_entries.json",
        422,
        r#"{"errors":["Hours is invalid","Activity cannot be blank"]}"#,
    );
    let url = serve(s).await;
    let err = client(&url).push_time(&push()).await.unwrap_err();
    assert_eq!(
        err,
        TrackerError::Rejected(vec![
            "Hours is invalid".into(),
            "Activity cannot be blank".into()
        ])
    );
    assert_eq!(
        err.to_string(),
        "the tracker refused it: Hours is invalid; Activity cannot be blank"
    );
}

#[tokio::test]
async fn server_errors_and_garbage_become_readable_errors() {
    let s = healthy();
    set(
        &s,
        "/issues.json",
        500,
        "<html>\x1b[2JInternal error</html>",
    );
    let url = serve(s.clone()).await;
    let err = client(&url).open_tickets(&[]).await.unwrap_err();
    match &err {
        TrackerError::Http {
            status: 500,
            excerpt,
        } => {
            assert!(!excerpt.contains('\x1b'), "{excerpt:?}");
            assert!(excerpt.contains("Internal error"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.transient());

    set(&s, "/issues.json", 200, "{\"issues\": [tru");
    let err = client(&url).open_tickets(&[]).await.unwrap_err();
    assert!(
        matches!(err, TrackerError::Garbled(ref m) if m.contains("not JSON")),
        "{err:?}"
    );

    set(&s, "/issues.json", 200, r#"{"tickets": []}"#);
    let err = client(&url).open_tickets(&[]).await.unwrap_err();
    assert!(
        matches!(err, TrackerError::Garbled(ref m) if m.contains("no `issues` list")),
        "{err:?}"
    );
}

#[tokio::test]
async fn missing_fields_get_placeholders_and_escapes_are_harmless() {
    let s = healthy();
    set(
        &s,
        "/issues.json",
        200,
        r#"{"issues":[
            {"id":7,"subject":"\u001b]52;c;ZXZpbA==\u0007 POS \u001b[31mdown\u202e","created_on":"2026-11-27T16:30:00Z",
             "status":{"name":"New"},"priority":{"name":"Urgent"},"author":{"name":"Bob\u001b[2J"}},
            {"subject":"no id","created_on":"2026-11-27T16:30:00Z"},
            {"id":9,"subject":"no creation date"},
            {"id":8,"created_on":"2026-11-27T16:30:00Z"}
        ],"total_count":4,"offset":0,"limit":100}"#,
    );
    set(
        &s,
        "/issues/8.json",
        200,
        r#"{"issue":{"id":8,"journals":[{"user":{"name":"x"}},{"created_on":"2026-11-28T09:00:00Z","notes":"line 1\r\n\u001b[1mline 2"}]}}"#,
    );
    let url = serve(s).await;
    let synced = client(&url).open_tickets(&[]).await.unwrap();
    let ids: Vec<u64> = synced.tickets.iter().map(|t| t.id).collect();
    assert_eq!(
        ids,
        vec![7, 8],
        "issues without id or creation date are left out"
    );
    let t = &synced.tickets[0];
    for text in [&t.title, &t.author] {
        assert!(
            !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{text:?}"
        );
    }
    assert!(t.title.contains("POS") && t.title.contains("down"));
    assert_eq!(t.updated, t.created, "no updated_on: the creation date");
    assert_eq!(t.tracker, "?");
    let u = &synced.tickets[1];
    assert_eq!(u.title, "(no title)");
    assert_eq!(u.status, "?");
    let read = client(&url).histories(&[8]).await;
    let journals = read[0].1.as_ref().unwrap();
    assert_eq!(journals.len(), 1, "a journal without a date is left out");
    assert_eq!(journals[0].author, "?");
    assert_eq!(journals[0].notes.as_deref(), Some("line 1\n␛[1mline 2"));
}

#[tokio::test]
async fn an_unreachable_tracker_leaves_the_cache_marked_stale() {
    let s = healthy();
    set(
        &s,
        "/issues.json",
        200,
        r#"{"issues":[{"id":7,"subject":"backup failed","created_on":"2026-11-27T16:30:00Z","updated_on":"2026-11-27T16:30:00Z"}],"total_count":1,"offset":0,"limit":100}"#,
    );
    let url = serve(s.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.db");
    let t0 = Utc.with_ymd_and_hms(2026, 11, 27, 17, 0, 0).unwrap();
    let desk = Desk::new(
        Box::new(client(&url)),
        TicketStore::open(&path).unwrap(),
        "alice",
    );
    let view = desk.sync(t0).await.unwrap();
    assert_eq!(view.error, None);
    assert_eq!(view.cached.synced, Some(t0));
    assert_eq!(view.cached.tickets.len(), 1);

    // The tracker goes away: a port nobody listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let t1 = t0 + chrono::Duration::minutes(7);
    let desk = Desk::new(
        Box::new(client(&dead)),
        TicketStore::open(&path).unwrap(),
        "alice",
    );
    let view = desk.sync(t1).await.unwrap();
    assert!(
        view.error.as_deref().unwrap_or("").contains("unreachable"),
        "{:?}",
        view.error
    );
    assert_eq!(
        view.cached.tickets.len(),
        1,
        "the cached tickets are still shown"
    );
    assert_eq!(
        view.cached.synced,
        Some(t0),
        "the cache's age is from the last good sync"
    );

    // Time recorded meanwhile is queued, and pushed once the tracker is back.
    desk.start(7, t1).unwrap().unwrap();
    let entry = desk
        .stop(
            "restarted the job",
            t1 + chrono::Duration::minutes(25),
            chrono_tz::Europe::Paris,
            "backup failed",
            Some("coop"),
        )
        .unwrap()
        .unwrap();
    let outcomes = desk.push_pending(t1).await.unwrap();
    assert!(matches!(
        outcomes[0].result,
        Err(TrackerError::Unreachable(_))
    ));
    assert_eq!(desk.view(None).unwrap().pending.len(), 1);
    set(&s, "/time_entries.json", 201, r#"{"time_entry":{"id":41}}"#);
    let back = Desk::new(
        Box::new(client(&url)),
        TicketStore::open(&path).unwrap(),
        "alice",
    );
    let outcomes = back.push_pending(t1).await.unwrap();
    assert_eq!(outcomes[0].entry, entry.id);
    assert_eq!(outcomes[0].result, Ok(Some(41)));
    let view = back.view(None).unwrap();
    assert!(view.pending.is_empty());
    assert_eq!(view.entries[0].attempts, 2);
    let posted = s
        .seen
        .lock()
        .unwrap()
        .iter()
        .any(|(u, _)| u == "/time_entries.json");
    assert!(posted);
}

#[tokio::test]
async fn a_timer_survives_a_restart_and_only_one_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.db");
    let t0 = Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap();
    {
        let mut st = TicketStore::open(&path).unwrap();
        st.start_timer("alice", "redmine", 7, t0).unwrap().unwrap();
        // Dropped without stopping: the process died.
    }
    let mut st = TicketStore::open(&path).unwrap();
    let running = st.running_timer("alice").unwrap().unwrap();
    assert_eq!((running.ticket, running.started), (7, t0));
    let refused = st.start_timer("alice", "redmine", 8, t0).unwrap();
    assert_eq!(refused.unwrap_err().ticket, 7, "one timer per operator");
    assert!(st.start_timer("bob", "redmine", 8, t0).unwrap().is_ok());
    let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let e = st
        .stop_timer(
            "alice",
            t0 + chrono::Duration::minutes(95),
            day,
            "note",
            "t",
            Some("coop"),
        )
        .unwrap()
        .unwrap();
    assert_eq!(e.worked(), Duration::from_secs(95 * 60));
    assert_eq!(st.running_timer("alice").unwrap(), None);
    assert_eq!(st.pending("redmine").unwrap().len(), 1);
}

#[tokio::test]
async fn a_history_the_tracker_cannot_give_leaves_that_ticket_unread_only() {
    let s = healthy();
    let issue = |id: u64| {
        format!(
            r#"{{"id":{id},"subject":"t{id}","created_on":"2026-11-27T16:30:00Z",
                "updated_on":"2026-11-27T17:00:00Z","status":{{"name":"New"}},
                "priority":{{"name":"Urgent"}},"author":{{"name":"Bob"}}}}"#
        )
    };
    set(
        &s,
        "/issues.json",
        200,
        &format!(
            r#"{{"issues":[{},{}],"total_count":2,"offset":0,"limit":100}}"#,
            issue(7),
            issue(8)
        ),
    );
    set(&s, "/issues/7.json", 500, "<h1>Internal error</h1>");
    set(
        &s,
        "/issues/8.json",
        200,
        r#"{"issue":{"id":8,"journals":[{"created_on":"2026-11-27T17:00:00Z","user":{"name":"Alice"},"notes":"on it"}]}}"#,
    );
    let url = serve(s).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::new(
        Box::new(client(&url)),
        TicketStore::open(&dir.path().join("vigie.db")).unwrap(),
        "alice",
    );
    let view = desk.sync(Utc::now()).await.unwrap();
    assert!(
        view.error.is_none(),
        "the listing is fresh: {:?}",
        view.error
    );
    let t = |id: u64| view.cached.tickets.iter().find(|t| t.id == id).unwrap();
    assert_eq!(t(8).journals.len(), 1, "the other history was read");
    assert_eq!(t(8).journals_as_of, None);
    assert!(t(7).clock_in_doubt(), "#7 stays in doubt");
    assert_eq!(view.unread, 1);
}

#[tokio::test]
async fn a_read_history_is_cached_only_over_the_copy_it_was_read_from() {
    let s = healthy();
    set(
        &s,
        "/issues.json",
        200,
        r#"{"issues":[{"id":7,"subject":"t7","created_on":"2026-11-27T16:30:00Z",
            "updated_on":"2026-11-27T17:00:00Z"}],"total_count":1,"offset":0,"limit":100}"#,
    );
    let url = serve(s).await;
    let listed = client(&url).open_tickets(&[]).await.unwrap().tickets;
    let dir = tempfile::tempdir().unwrap();
    let mut store = TicketStore::open(&dir.path().join("vigie.db")).unwrap();
    store
        .save_sync("redmine", &listed, None, Utc::now())
        .unwrap();
    let mut same = listed[0].clone();
    same.title = "read from this copy".into();
    let mut newer = listed[0].clone();
    newer.title = "read from an older copy".into();
    newer.updated += chrono::Duration::minutes(5);
    store.update_cached_unchanged("redmine", &[&newer]).unwrap();
    assert_eq!(store.cached("redmine").unwrap().tickets[0].title, "t7");
    store.update_cached_unchanged("redmine", &[&same]).unwrap();
    assert_eq!(
        store.cached("redmine").unwrap().tickets[0].title,
        "read from this copy"
    );
}

#[tokio::test]
async fn a_key_in_the_url_stays_in_the_query_and_out_of_links_and_errors() {
    // The same Redmine, served under /redmine, configured with its key in
    // the URL's query as some operators write it.
    let s = Script::default();
    for (path, answer) in healthy().answers.lock().unwrap().iter() {
        set(&s, &format!("/redmine{path}"), answer.0, &answer.1);
    }
    set(
        &s,
        "/redmine/issues.json",
        200,
        r#"{"issues":[{"id":7,"subject":"backup failed","created_on":"2026-11-27T16:30:00Z"}],"total_count":1,"offset":0,"limit":100}"#,
    );
    let url = serve(s.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("vigie.db");
    let t0 = Utc.with_ymd_and_hms(2026, 11, 27, 17, 0, 0).unwrap();
    let base = format!("{url}/redmine?key=s3cret-in-url");
    let desk = Desk::new(
        Box::new(client(&base)),
        TicketStore::open(&store).unwrap(),
        "alice",
    );
    let view = desk.sync(t0).await.unwrap();
    assert_eq!(view.error, None);
    // Paths go before the query, never after it.
    let seen = s.seen.lock().unwrap().clone();
    assert!(!seen.is_empty());
    for (uri, _) in &seen {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        assert!(
            path.starts_with("/redmine/") && !path.contains("key"),
            "{uri}"
        );
        assert!(query.contains("key=s3cret-in-url"), "{uri}");
    }
    // The link stored (and printed by `tickets --format json`) has no key.
    let link = view.cached.tickets[0].url.clone();
    assert_eq!(link, Some(format!("{url}/redmine/issues/7")));

    // Unreachable: neither the message shown nor the one stored names it.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "http://{}/redmine?key=s3cret-in-url",
            l.local_addr().unwrap()
        )
    };
    let desk = Desk::new(
        Box::new(client(&dead)),
        TicketStore::open(&store).unwrap(),
        "alice",
    );
    let view = desk.sync(t0).await.unwrap();
    let shown = view.error.unwrap_or_default();
    let stored = view.cached.error.unwrap_or_default();
    assert!(shown.contains("unreachable"), "{shown}");
    for text in [shown, stored] {
        assert!(!text.contains("s3cret"), "{text}");
    }
}

#[test]
fn tickets_json_masks_a_key_left_in_a_cached_link() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            r#"
[contracts.std]
intervention = {{ urgent = "2h", normal = "1d" }}
hourly_rate = 120
monthly_fee = 0

[clients.coop]
name = "La Cagette"
timezone = "Europe/Paris"
contract = "std"

[tickets]
backend = "redmine"
url = "http://127.0.0.1:{port}/redmine"
api_key_env = "VIGIE_TEST_REDMINE_KEY"

[tickets.projects]
coop = "coop"
"#
        ),
    )
    .unwrap();
    // A link cached by an earlier version, built after the key's query.
    let ticket: vigie::model::tickets::Ticket = serde_json::from_value(serde_json::json!({
        "id": 7, "project": "coop", "client": "coop", "title": "caisse", "status": "New",
        "closed": false, "priority": "Normal", "tracker": "Bug", "author": "bob",
        "assignee": null, "created": "2026-11-27T16:30:00Z", "updated": "2026-11-27T16:30:00Z",
        "spent": {"secs": 0, "nanos": 0}, "first_time_entry": null, "journals": [],
        "url": format!("http://127.0.0.1:{port}/redmine?key=s3cret-old/issues/7"),
    }))
    .unwrap();
    let db = dir.path().join("vigie.db");
    TicketStore::open(&db)
        .unwrap()
        .save_sync("redmine", &[ticket], None, Utc::now())
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["--config", dir.path().join("config.toml").to_str().unwrap()])
        .args(["--db", db.to_str().unwrap()])
        .args(["--log", dir.path().join("vigie.log").to_str().unwrap()])
        .args(["tickets", "--format", "json"])
        .env("VIGIE_OPERATOR", "alice")
        .env("VIGIE_TEST_REDMINE_KEY", "k")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout} {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(
        v["tickets"][0]["url"],
        format!("http://127.0.0.1:{port}/redmine?key=***")
    );
    assert!(!stdout.contains("s3cret"), "{stdout}");
}

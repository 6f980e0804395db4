//! The demo's ticket tracker: a small server that answers like Redmine's
//! REST API (the same paths, pagination and JSON shapes), so the demo uses
//! the real Redmine client. Its tickets are made relative to the moment the
//! demo starts, one of each kind: breached, near its deadline, one with a
//! running timer (started by `demo::start` in the store), one past the
//! diagnosis threshold, one whose clock stopped in time, and a title
//! carrying escape sequences.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::model::SupportHours;
use crate::model::tickets::BusinessCalendar;

/// The key the demo tracker accepts (the demo writes it to an owner-only
/// file; it protects nothing).
pub const DEMO_KEY: &str = "demo-tracker-key";

/// The ticket the demo's running timer is on.
pub const TIMER_TICKET: u64 = 4103;

#[derive(Debug, Clone)]
struct Issue {
    id: u64,
    project: &'static str,
    subject: String,
    priority: &'static str,
    status: (u64, &'static str),
    author: &'static str,
    created: DateTime<Utc>,
    /// `None`: as created (or its last journal's instant).
    updated: Option<DateTime<Utc>>,
    journals: Vec<Value>,
}

/// The demo's statuses: id, name, closes the ticket.
const STATUSES: [(u64, &str, bool); 5] = [
    (1, "New", false),
    (2, "In Progress", false),
    (3, "Resolved", false),
    (5, "Closed", true),
    (6, "Rejected", true),
];

/// The demo's priorities, Redmine's defaults.
const PRIORITIES: [(u64, &str); 5] = [
    (1, "Low"),
    (2, "Normal"),
    (3, "High"),
    (4, "Urgent"),
    (5, "Immediate"),
];

/// The projects tickets can be opened in.
const PROJECTS: [&str; 2] = ["cagette-support", "velo-support"];

fn closes(status: u64) -> bool {
    STATUSES.iter().any(|(id, _, c)| *id == status && *c)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn updated(i: &Issue) -> DateTime<Utc> {
    let last = i
        .journals
        .last()
        .and_then(|j| j["created_on"].as_str())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    [Some(i.created), last, i.updated]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(i.created)
}

/// `>=2026-12-01T10:00:00Z` as Redmine's filters write it.
fn at_least(q: &BTreeMap<String, String>, key: &str) -> Option<DateTime<Utc>> {
    let v = q.get(key)?.strip_prefix(">=")?;
    DateTime::parse_from_rfc3339(v)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[derive(Default)]
struct Tracker {
    issues: Vec<Issue>,
    entries: Vec<Value>,
}

type Shared = Arc<Mutex<Tracker>>;

/// The instant `support` of support time before `now` (Paris, Mon-Fri
/// 09:00-18:00), found by bisection on the calendar's elapsed time.
fn support_ago(now: DateTime<Utc>, support: Duration) -> DateTime<Utc> {
    let cal = BusinessCalendar {
        hours: SupportHours::default(),
        tz: chrono_tz::Europe::Paris,
        holidays: Default::default(),
    };
    let (mut lo, mut hi) = (now - chrono::Duration::days(30), now);
    for _ in 0..50 {
        let mid = lo + (hi - lo) / 2;
        if cal.elapsed(mid, now) > support {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

fn seed(now: DateTime<Utc>) -> Tracker {
    let min = |m: i64| chrono::Duration::minutes(m);
    let issue = |id, project, subject: &str, priority, created| Issue {
        id,
        project,
        subject: subject.to_string(),
        priority,
        status: (1, "New"),
        author: "Client contact",
        created,
        updated: None,
        journals: Vec::new(),
    };
    let mut issues = vec![
        issue(
            4101,
            "cagette-support",
            "Caisses hors ligne au Magasin Sud",
            "Urgent",
            now - chrono::Duration::days(4),
        ),
        issue(
            4102,
            "cagette-support",
            "Paiement CB refusé sur la caisse 2",
            "Urgent",
            support_ago(now, Duration::from_secs(95 * 60)),
        ),
        issue(
            TIMER_TICKET,
            "cagette-support",
            "Export comptable du mois en erreur",
            "Normal",
            support_ago(now, Duration::from_secs(3 * 3600)),
        ),
        issue(
            4104,
            "cagette-support",
            "Lenteurs Odoo le samedi matin",
            "High",
            now - chrono::Duration::days(2),
        ),
        issue(
            2201,
            "velo-support",
            "Ajouter un utilisateur bénévole",
            "Normal",
            now - chrono::Duration::days(1),
        ),
        issue(
            2202,
            "velo-support",
            "Site \u{1b}[31mvitrine\u{1b}[0m: formulaire\u{7} muet",
            "Normal",
            support_ago(now, Duration::from_secs(30 * 60)),
        ),
    ];
    let at = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // Over the diagnosis threshold: 1 h 15 recorded, a team note.
    issues[3].status = (2, "In Progress");
    let (c3, c4) = (issues[3].created, issues[4].created);
    issues[3].journals.push(json!({
        "id": 1, "user": {"id": 5, "name": "Alice Martin"}, "notes": "Index manquant sur pos_order; analyse en cours.",
        "created_on": at(c3 + min(40)),
        "details": [{"property": "attr", "name": "status_id", "old_value": "1", "new_value": "2"}]
    }));
    // Clock stopped in time by a team note.
    issues[4].journals.push(json!({
        "id": 2, "user": {"id": 5, "name": "Alice Martin"}, "notes": "Compte créé, mot de passe envoyé.",
        "created_on": at(c4 + min(30)), "details": []
    }));
    let entries = vec![json!({
        "id": 1, "project": {"id": 1, "name": "cagette-support"}, "issue": {"id": 4104},
        "user": {"id": 5, "name": "Alice Martin"}, "activity": {"id": 9, "name": "Development"},
        "hours": 1.25, "comments": "diagnostic", "spent_on": issues[3].created.date_naive().to_string(),
        "created_on": at(issues[3].created + min(35)), "updated_on": at(issues[3].created + min(35))
    })];
    Tracker { issues, entries }
}

fn authorized(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("X-Redmine-API-Key")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|k| k == DEMO_KEY)
}

fn page(q: &BTreeMap<String, String>) -> (usize, usize) {
    let offset = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let limit = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(25)
        .clamp(1, 100);
    (offset, limit)
}

fn spent(t: &Tracker, id: u64) -> f64 {
    t.entries
        .iter()
        .filter(|e| e["issue"]["id"] == id)
        .filter_map(|e| e["hours"].as_f64())
        .sum()
}

fn issue_json(t: &Tracker, i: &Issue, journals: bool) -> Value {
    let at = stamp(i.created);
    let updated = stamp(updated(i));
    let mut v = json!({
        "id": i.id, "project": {"id": 1, "name": i.project},
        "tracker": {"id": 1, "name": "Support"},
        "status": {"id": i.status.0, "name": i.status.1, "is_closed": closes(i.status.0)},
        "priority": {"id": 2, "name": i.priority},
        "author": {"id": 9, "name": i.author},
        "subject": i.subject, "spent_hours": spent(t, i.id),
        "created_on": at, "updated_on": updated
    });
    if journals {
        v["journals"] = Value::Array(i.journals.clone());
    }
    v
}

async fn issues(
    State(s): State<Shared>,
    headers: axum::http::HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> impl IntoResponse {
    if !authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(Value::Null));
    }
    let t = s.lock().unwrap_or_else(|e| e.into_inner());
    let project = q.get("project_id").cloned();
    let ids: Option<Vec<u64>> = q
        .get("issue_id")
        .map(|l| l.split(',').filter_map(|n| n.trim().parse().ok()).collect());
    let status = q.get("status_id").map_or("open", String::as_str);
    let (updated_since, created_since) = (at_least(&q, "updated_on"), at_least(&q, "created_on"));
    let mut all: Vec<&Issue> = t
        .issues
        .iter()
        .filter(|i| project.as_deref().is_none_or(|p| i.project == p))
        .filter(|i| ids.as_ref().is_none_or(|l| l.contains(&i.id)))
        .filter(|i| match status {
            "*" => true,
            "open" => !closes(i.status.0),
            "closed" => closes(i.status.0),
            id => id.parse() == Ok(i.status.0),
        })
        .filter(|i| updated_since.is_none_or(|s| updated(i) >= s))
        .filter(|i| created_since.is_none_or(|s| i.created >= s))
        .collect();
    all.sort_by_key(|i| i.id);
    let (offset, limit) = page(&q);
    let list: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|i| issue_json(&t, i, false))
        .collect();
    (
        StatusCode::OK,
        Json(json!({"issues": list, "total_count": all.len(), "offset": offset, "limit": limit})),
    )
}

async fn issue(
    State(s): State<Shared>,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
) -> impl IntoResponse {
    if !authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(Value::Null));
    }
    let t = s.lock().unwrap_or_else(|e| e.into_inner());
    let id: u64 = id.trim_end_matches(".json").parse().unwrap_or(0);
    match t.issues.iter().find(|i| i.id == id) {
        Some(i) => (
            StatusCode::OK,
            Json(json!({"issue": issue_json(&t, i, true)})),
        ),
        None => (StatusCode::NOT_FOUND, Json(Value::Null)),
    }
}

async fn note(
    State(s): State<Shared>,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED;
    }
    let mut t = s.lock().unwrap_or_else(|e| e.into_inner());
    let id: u64 = id.trim_end_matches(".json").parse().unwrap_or(0);
    let Some(i) = t.issues.iter_mut().find(|i| i.id == id) else {
        return StatusCode::NOT_FOUND;
    };
    let mut details = Vec::new();
    if let Some(new) = body["issue"]["status_id"].as_u64() {
        let Some((sid, name, _)) = STATUSES.iter().find(|(s, _, _)| *s == new) else {
            return StatusCode::UNPROCESSABLE_ENTITY;
        };
        details.push(json!({"property": "attr", "name": "status_id",
            "old_value": i.status.0.to_string(), "new_value": sid.to_string()}));
        i.status = (*sid, name);
    }
    let n = i.journals.len() + 100;
    i.journals.push(json!({
        "id": n, "user": {"id": 1, "name": "Demo operator"},
        "notes": body["issue"]["notes"].as_str().unwrap_or(""),
        "created_on": stamp(Utc::now()), "details": details
    }));
    StatusCode::NO_CONTENT
}

async fn entries(
    State(s): State<Shared>,
    headers: axum::http::HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> impl IntoResponse {
    if !authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(Value::Null));
    }
    let t = s.lock().unwrap_or_else(|e| e.into_inner());
    let project = q.get("project_id").cloned().unwrap_or_default();
    let all: Vec<&Value> = t
        .entries
        .iter()
        .filter(|e| e["project"]["name"] == project.as_str())
        .filter(|e| {
            q.get("from")
                .is_none_or(|f| e["spent_on"].as_str().unwrap_or("") >= f.as_str())
        })
        .filter(|e| {
            q.get("to")
                .is_none_or(|f| e["spent_on"].as_str().unwrap_or("") <= f.as_str())
        })
        .collect();
    let mut all = all;
    if q.get("sort").is_some_and(|s| s == "created_on:desc") {
        all.reverse();
    }
    let (offset, limit) = page(&q);
    let list: Vec<&Value> = all.iter().skip(offset).take(limit).copied().collect();
    (
        StatusCode::OK,
        Json(
            json!({"time_entries": list, "total_count": all.len(), "offset": offset, "limit": limit}),
        ),
    )
}

async fn add_entry(
    State(s): State<Shared>,
    headers: axum::http::HeaderMap,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    if !authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(Value::Null));
    }
    let mut t = s.lock().unwrap_or_else(|e| e.into_inner());
    let te = &body["time_entry"];
    let issue = te["issue_id"].as_u64().unwrap_or(0);
    let Some(project) = t.issues.iter().find(|i| i.id == issue).map(|i| i.project) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"errors": ["Issue is invalid"]})),
        );
    };
    let hours = te["hours"].as_f64().unwrap_or(-1.0);
    if hours <= 0.0 {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"errors": ["Hours is invalid"]})),
        );
    }
    let id = t.entries.len() as u64 + 1;
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let entry = json!({
        "id": id, "project": {"id": 1, "name": project}, "issue": {"id": issue},
        "user": {"id": 1, "name": "Demo operator"}, "activity": {"id": 9, "name": "Development"},
        "hours": hours, "comments": te["comments"].as_str().unwrap_or(""),
        "spent_on": te["spent_on"].as_str().unwrap_or(""), "created_on": now, "updated_on": now
    });
    t.entries.push(entry.clone());
    (StatusCode::CREATED, Json(json!({"time_entry": entry})))
}

async fn me(headers: axum::http::HeaderMap) -> impl IntoResponse {
    if !authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(Value::Null));
    }
    (
        StatusCode::OK,
        Json(json!({"user": {"id": 1, "login": "demo", "admin": false}})),
    )
}

async fn statuses() -> impl IntoResponse {
    let list: Vec<Value> = STATUSES
        .iter()
        .map(|(id, name, closed)| json!({"id": id, "name": name, "is_closed": closed}))
        .collect();
    Json(json!({ "issue_statuses": list }))
}

async fn priorities() -> impl IntoResponse {
    let list: Vec<Value> = PRIORITIES
        .iter()
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect();
    Json(json!({ "issue_priorities": list }))
}

async fn create(
    State(s): State<Shared>,
    headers: axum::http::HeaderMap,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    if !authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(Value::Null));
    }
    let new = &body["issue"];
    let project = PROJECTS
        .iter()
        .find(|p| new["project_id"].as_str() == Some(**p));
    let priority = PRIORITIES
        .iter()
        .find(|(id, _)| new["priority_id"].as_u64() == Some(*id));
    let subject = new["subject"].as_str().unwrap_or("").trim().to_string();
    let (Some(project), Some((_, priority)), false) = (project, priority, subject.is_empty())
    else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"errors": ["Project, priority and subject are required"]})),
        );
    };
    let mut t = s.lock().unwrap_or_else(|e| e.into_inner());
    let id = t.issues.iter().map(|i| i.id).max().unwrap_or(4100) + 1;
    let issue = Issue {
        id,
        project,
        subject,
        priority,
        status: (1, "New"),
        author: "Demo operator",
        created: Utc::now(),
        updated: None,
        journals: Vec::new(),
    };
    let v = issue_json(&t, &issue, false);
    t.issues.push(issue);
    (StatusCode::CREATED, Json(json!({ "issue": v })))
}

/// The tracker's routes, seeded relative to `now`.
pub fn router(now: DateTime<Utc>) -> Router {
    let state: Shared = Arc::new(Mutex::new(seed(now)));
    Router::new()
        .route("/users/current.json", get(me))
        .route("/issue_statuses.json", get(statuses))
        .route("/enumerations/issue_priorities.json", get(priorities))
        .route("/issues.json", get(issues).post(create))
        .route("/issues/{id}", get(issue).put(note))
        .route("/time_entries.json", get(entries).post(add_entry))
        .with_state(state)
}

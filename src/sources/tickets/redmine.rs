//! Redmine's REST API (<https://www.redmine.org/projects/redmine/wiki/Rest_api>):
//! `GET /issues.json` (open issues of each project, paged with
//! offset/limit/total_count), `GET /issues/{id}.json?include=journals` (notes
//! and status history, only for issues changed since the last sync),
//! `GET /time_entries.json` (time recorded, per project), `GET
//! /issue_statuses.json` (status names for journal details), `GET
//! /users/current.json` (checks the key: 401 when it is wrong), `PUT
//! /issues/{id}.json` (a note) and `POST /time_entries.json`. The key goes in
//! the `X-Redmine-API-Key` header, never in a URL.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use futures::future::BoxFuture;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Synced, TicketBackend, TimePush, TrackerError, clean_note};
use crate::model::tickets::{Journal, Ticket, WorkEntry, hours_decimal};
use crate::sanitize::clean;

/// Issues per page (Redmine caps `limit` at 100 by default).
const PAGE: usize = 100;
/// Journal requests in flight at once.
const PARALLEL: usize = 4;
/// Bound on one answer's size.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A Redmine server and the projects Vigie follows on it.
pub struct Redmine {
    base: String,
    key: String,
    /// Project identifier -> client id.
    projects: BTreeMap<String, String>,
    activity_id: Option<u32>,
    http: reqwest::Client,
    page: usize,
}

impl Redmine {
    pub fn new(
        base: &str,
        key: String,
        projects: BTreeMap<String, String>,
        activity_id: Option<u32>,
        timeout: Duration,
    ) -> Result<Redmine, TrackerError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("vigie/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .build()
            .map_err(|e| TrackerError::Unreachable(clean(&e.to_string())))?;
        Ok(Redmine {
            base: base.trim_end_matches('/').to_string(),
            key,
            projects,
            activity_id,
            http,
            page: PAGE,
        })
    }

    /// Issues per page (tests use small pages to exercise paging).
    pub fn with_page_size(mut self, page: usize) -> Redmine {
        self.page = page.clamp(1, PAGE);
        self
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(StatusCode, Vec<u8>), TrackerError> {
        let url = format!("{}{}", self.base, path);
        let mut req = self
            .http
            .request(method, &url)
            .header("X-Redmine-API-Key", &self.key)
            .header("Accept", "application/json");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| {
            // reqwest's message names the URL, which holds no secret.
            TrackerError::Unreachable(clean(&without_source_chain(&e)))
        })?;
        let status = resp.status();
        let mut body = Vec::new();
        let mut resp = resp;
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| TrackerError::Unreachable(clean(&e.to_string())))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(TrackerError::Garbled(format!(
                    "answer larger than {MAX_BODY} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        match status.as_u16() {
            200..=299 => Ok((status, body)),
            401 | 403 => Err(TrackerError::BadKey {
                status: status.as_u16(),
            }),
            404 => Err(TrackerError::NotFound(clean(path))),
            422 => Err(TrackerError::Rejected(errors_of(&body))),
            s => Err(TrackerError::Http {
                status: s,
                excerpt: excerpt(&body),
            }),
        }
    }

    async fn get(&self, path: &str) -> Result<Value, TrackerError> {
        let (_, body) = self.call(Method::GET, path, None).await?;
        serde_json::from_slice(&body).map_err(|e| {
            TrackerError::Garbled(format!("{path}: not JSON ({e}): {}", excerpt(&body)))
        })
    }

    /// Every page of a list endpoint: `key` is the array's name.
    async fn paged(&self, path: &str, key: &str) -> Result<Vec<Value>, TrackerError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut out = Vec::new();
        let mut offset = 0usize;
        loop {
            let page = self
                .get(&format!("{path}{sep}offset={offset}&limit={}", self.page))
                .await?;
            let items = page
                .get(key)
                .and_then(Value::as_array)
                .ok_or_else(|| TrackerError::Garbled(format!("{path}: no `{key}` list")))?;
            let n = items.len();
            out.extend(items.iter().cloned());
            let total = page.get("total_count").and_then(Value::as_u64);
            offset += n;
            match total {
                Some(t) if (offset as u64) < t && n > 0 => continue,
                _ => break,
            }
        }
        Ok(out)
    }

    async fn statuses(&self) -> Result<HashMap<String, (String, bool)>, TrackerError> {
        let v = self.get("/issue_statuses.json").await?;
        let list = v
            .get("issue_statuses")
            .and_then(Value::as_array)
            .ok_or_else(|| TrackerError::Garbled("/issue_statuses.json: no list".into()))?;
        Ok(list
            .iter()
            .filter_map(|s| {
                let id = s.get("id")?.as_u64()?;
                let name = clean(s.get("name")?.as_str()?);
                let closed = s.get("is_closed").and_then(Value::as_bool).unwrap_or(false);
                Some((id.to_string(), (name, closed)))
            })
            .collect())
    }

    async fn sync(&self, known: &[Ticket]) -> Result<Synced, TrackerError> {
        let me = self.get("/users/current.json").await?;
        let me = me.pointer("/user/login").and_then(Value::as_str).map(clean);
        let statuses = self.statuses().await?;
        let mut tickets = Vec::new();
        let mut warnings = Vec::new();
        for (project, client) in &self.projects {
            let path = format!(
                "/issues.json?project_id={}&status_id=open&sort=id",
                urlencode(project)
            );
            for raw in self.paged(&path, "issues").await? {
                match issue(&raw, project, client, &self.base) {
                    Ok(t) => tickets.push(t),
                    Err(w) => warnings.push(w),
                }
            }
        }
        // Time recorded: per project since the oldest open ticket.
        if let Some(oldest) = tickets.iter().map(|t| t.created).min() {
            let from = oldest.date_naive();
            let mut first: HashMap<u64, DateTime<Utc>> = HashMap::new();
            for project in self.projects.keys() {
                let path = format!(
                    "/time_entries.json?project_id={}&from={from}",
                    urlencode(project)
                );
                for e in self.paged(&path, "time_entries").await? {
                    let (Some(id), Some(at)) = (
                        e.pointer("/issue/id").and_then(Value::as_u64),
                        e.get("created_on")
                            .and_then(Value::as_str)
                            .and_then(parse_time),
                    ) else {
                        continue;
                    };
                    let slot = first.entry(id).or_insert(at);
                    *slot = (*slot).min(at);
                }
            }
            for t in &mut tickets {
                t.first_time_entry = first.get(&t.id).copied();
            }
        }
        // Journals: reuse what is known for unchanged tickets.
        let known: HashMap<u64, &Ticket> = known.iter().map(|t| (t.id, t)).collect();
        let mut todo = Vec::new();
        for (i, t) in tickets.iter_mut().enumerate() {
            match known.get(&t.id) {
                Some(k) if k.updated == t.updated => t.journals = k.journals.clone(),
                _ => todo.push((i, t.id)),
            }
        }
        let fetched: Vec<(usize, Result<Vec<Journal>, TrackerError>)> = futures::stream::iter(todo)
            .map(|(i, id)| {
                let statuses = &statuses;
                async move { (i, self.journals(id, statuses).await) }
            })
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        for (i, journals) in fetched {
            match journals {
                Ok(j) => tickets[i].journals = j,
                // A ticket deleted between the list and its journals.
                Err(TrackerError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        for w in &warnings {
            tracing::warn!(target: "tickets", "redmine: {w}");
        }
        Ok(Synced { tickets, me })
    }

    async fn journals(
        &self,
        id: u64,
        statuses: &HashMap<String, (String, bool)>,
    ) -> Result<Vec<Journal>, TrackerError> {
        let v = self
            .get(&format!("/issues/{id}.json?include=journals"))
            .await?;
        let list = v
            .pointer("/issue/journals")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let name = |id: Option<&str>| -> String {
            id.and_then(|i| statuses.get(i))
                .map_or_else(|| clean(id.unwrap_or("?")), |(n, _)| n.clone())
        };
        Ok(list
            .iter()
            .filter_map(|j| {
                let at = j
                    .get("created_on")
                    .and_then(Value::as_str)
                    .and_then(parse_time)?;
                let author = j
                    .pointer("/user/name")
                    .and_then(Value::as_str)
                    .map_or_else(|| "?".into(), clean);
                let notes = j
                    .get("notes")
                    .and_then(Value::as_str)
                    .filter(|n| !n.trim().is_empty())
                    .map(clean_note);
                let status_change = j
                    .get("details")
                    .and_then(Value::as_array)
                    .and_then(|d| {
                        d.iter().find(|x| {
                            x.get("property").and_then(Value::as_str) == Some("attr")
                                && x.get("name").and_then(Value::as_str) == Some("status_id")
                        })
                    })
                    .map(|x| {
                        (
                            name(x.get("old_value").and_then(Value::as_str)),
                            name(x.get("new_value").and_then(Value::as_str)),
                        )
                    });
                Some(Journal {
                    at,
                    author,
                    notes,
                    status_change,
                })
            })
            .collect())
    }
}

impl TicketBackend for Redmine {
    fn name(&self) -> &str {
        "redmine"
    }

    fn open_tickets<'a>(
        &'a self,
        known: &'a [Ticket],
    ) -> BoxFuture<'a, Result<Synced, TrackerError>> {
        Box::pin(self.sync(known))
    }

    fn add_note<'a>(
        &'a self,
        ticket: u64,
        text: &'a str,
    ) -> BoxFuture<'a, Result<(), TrackerError>> {
        Box::pin(async move {
            let body = json!({ "issue": { "notes": text } });
            self.call(Method::PUT, &format!("/issues/{ticket}.json"), Some(body))
                .await
                .map(|_| ())
        })
    }

    fn push_time<'a>(
        &'a self,
        entry: &'a TimePush,
    ) -> BoxFuture<'a, Result<Option<u64>, TrackerError>> {
        Box::pin(async move {
            let mut te = json!({
                "issue_id": entry.ticket,
                "hours": (hours_decimal(entry.worked) * 10_000.0).round() / 10_000.0,
                "spent_on": entry.spent_on.format("%Y-%m-%d").to_string(),
                "comments": entry.comment,
            });
            if let (Some(a), Some(obj)) = (self.activity_id, te.as_object_mut()) {
                obj.insert("activity_id".into(), json!(a));
            }
            let (_, body) = self
                .call(
                    Method::POST,
                    "/time_entries.json",
                    Some(json!({ "time_entry": te })),
                )
                .await?;
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            Ok(v.pointer("/time_entry/id").and_then(Value::as_u64))
        })
    }

    fn ticket_url(&self, ticket: u64) -> Option<String> {
        Some(format!("{}/issues/{ticket}", self.base))
    }

    fn time_entries<'a>(
        &'a self,
        from: NaiveDate,
        to: NaiveDate,
        titles: &'a HashMap<u64, String>,
    ) -> BoxFuture<'a, Result<Vec<WorkEntry>, TrackerError>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for (project, client) in &self.projects {
                let path = format!(
                    "/time_entries.json?project_id={}&from={from}&to={to}",
                    urlencode(project)
                );
                for e in self.paged(&path, "time_entries").await? {
                    let (Some(ticket), Some(hours), Some(day)) = (
                        e.pointer("/issue/id").and_then(Value::as_u64),
                        e.get("hours")
                            .and_then(Value::as_f64)
                            .filter(|h| h.is_finite() && *h >= 0.0),
                        e.get("spent_on")
                            .and_then(Value::as_str)
                            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
                    ) else {
                        continue;
                    };
                    out.push(WorkEntry {
                        ticket,
                        client: Some(client.clone()),
                        title: titles
                            .get(&ticket)
                            .cloned()
                            .unwrap_or_else(|| format!("#{ticket}")),
                        spent_on: day,
                        worked: Duration::from_secs_f64(hours * 3600.0),
                        comment: e
                            .get("comments")
                            .and_then(Value::as_str)
                            .map(clean)
                            .unwrap_or_default(),
                    });
                }
            }
            Ok(out)
        })
    }
}

/// One issue of `/issues.json`. Fields that are missing get a visible
/// placeholder; an issue without an id or a creation date cannot be
/// tracked and is reported instead.
fn issue(v: &Value, project: &str, client: &str, base: &str) -> Result<Ticket, String> {
    let id = v
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("an issue of {} has no id", clean(project)))?;
    let created = v
        .get("created_on")
        .and_then(Value::as_str)
        .and_then(parse_time)
        .ok_or_else(|| format!("issue #{id} has no created_on"))?;
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).map(clean);
    let spent = v
        .get("spent_hours")
        .and_then(Value::as_f64)
        .filter(|h| h.is_finite() && *h >= 0.0)
        .map_or(Duration::ZERO, |h| Duration::from_secs_f64(h * 3600.0));
    Ok(Ticket {
        id,
        project: clean(project),
        client: Some(client.to_string()),
        title: text("/subject").unwrap_or_else(|| "(no title)".into()),
        status: text("/status/name").unwrap_or_else(|| "?".into()),
        closed: v
            .pointer("/status/is_closed")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        priority: text("/priority/name").unwrap_or_else(|| "?".into()),
        tracker: text("/tracker/name").unwrap_or_else(|| "?".into()),
        author: text("/author/name").unwrap_or_else(|| "?".into()),
        assignee: text("/assigned_to/name"),
        created,
        updated: v
            .get("updated_on")
            .and_then(Value::as_str)
            .and_then(parse_time)
            .unwrap_or(created),
        spent,
        first_time_entry: None,
        journals: Vec::new(),
        url: Some(format!("{base}/issues/{id}")),
    })
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Redmine's 422 body: `{"errors": ["Hours is invalid", ...]}`.
fn errors_of(body: &[u8]) -> Vec<String> {
    let parsed: Option<Vec<String>> = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        v.get("errors")?
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).map(clean).collect())
    });
    match parsed {
        Some(list) if !list.is_empty() => list,
        _ => vec![excerpt(body)],
    }
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    crate::sanitize::clean_short(&text, 120)
}

fn without_source_chain(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

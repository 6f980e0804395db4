//! Redmine's REST API (<https://www.redmine.org/projects/redmine/wiki/Rest_api>):
//! `GET /issues.json` (open issues of each project, paged with
//! offset/limit/total_count, the pages after the first asked for together;
//! or only those with `updated_on>=` the last sync's bookmark, checked
//! against the count of open issues; `created_on>=` with `limit=1` counts
//! a year's calls), `GET /issues/{id}.json?include=journals` (notes and
//! status history: only for issues changed since the known copy whose
//! intervention clock still runs, or on demand), `GET /time_entries.json`
//! (time recorded, per project; newest first for what changed), `GET
//! /issue_statuses.json` (status names), `GET /users/current.json` (checks
//! the key: 401 when it is wrong; its `Date` header is the bookmark), `PUT
//! /issues/{id}.json` (a note, a status), `POST /issues.json` and `POST
//! /time_entries.json`. The key goes in the `X-Redmine-API-Key` header,
//! never in a URL.
//!
//! How much asking in parallel gains depends on how Redmine is served: a
//! single process (webrick behind `Rack::Lock`) answers one request at a
//! time, a prefork server (unicorn, Passenger) one per worker. Either way
//! each issue's history is a request of its own, which is why a sync asks
//! for what changed rather than for everything faster.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use futures::future::BoxFuture;
use reqwest::Method;
use serde_json::{Value, json};

use super::{
    Histories, NewTicket, StatusName, Synced, TicketBackend, TimePush, TrackerError, clean_note,
};
use crate::model::tickets::{Journal, Ticket, WorkEntry, hours_decimal};
use crate::sanitize::clean;
use crate::sources::bounded::{self, Over, ReadError};
use crate::urls;

/// Issues per page (Redmine caps `limit` at 100 by default).
const PAGE: usize = 100;
/// Requests in flight at once (pages of a list, histories).
const PARALLEL: usize = 8;
/// A full listing at least this often: what changed since a bookmark
/// cannot show a time entry edited or deleted.
const FULL_EVERY: chrono::Duration = chrono::Duration::minutes(30);
/// The bookmark is the server's time when a sync began, less this, so a
/// change being saved while the sync reads is seen by the next one.
const SLACK: chrono::Duration = chrono::Duration::seconds(10);

/// Where the next sync starts from, in the server's time: changes since
/// `since`; `full` is the last full listing.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Cursor {
    since: DateTime<Utc>,
    full: DateTime<Utc>,
}

/// One page of a list: its items and the total count.
type Page = (Vec<Value>, Option<u64>);

/// A successful answer.
struct Answer {
    body: Vec<u8>,
    /// The server's clock, from its `Date` header.
    date: Option<DateTime<Utc>>,
}

fn parse(path: &str, body: &[u8]) -> Result<Value, TrackerError> {
    serde_json::from_slice(body)
        .map_err(|e| TrackerError::Garbled(format!("{path}: not JSON ({e}): {}", excerpt(body))))
}

/// A Redmine server and the projects Vigie follows on it.
pub struct Redmine {
    /// The API's address as configured (it may carry `?key=`).
    base: reqwest::Url,
    key: String,
    /// Project identifier -> client id.
    projects: BTreeMap<String, String>,
    activity_id: Option<u32>,
    http: reqwest::Client,
    page: usize,
    slack: chrono::Duration,
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
            base: urls::parse_base(base).map_err(TrackerError::Unreachable)?,
            key,
            projects,
            activity_id,
            http,
            page: PAGE,
            slack: SLACK,
        })
    }

    /// Issues per page (tests use small pages to exercise paging).
    pub fn with_page_size(mut self, page: usize) -> Redmine {
        self.page = page.clamp(1, PAGE);
        self
    }

    /// How far before a sync's start the next one looks for changes
    /// (tests that tell "asked again" from "kept" use zero).
    pub fn with_slack(mut self, slack: Duration) -> Redmine {
        self.slack = chrono::Duration::from_std(slack).unwrap_or(SLACK);
        self
    }

    /// One request; the answer's body and the server's clock (its `Date`
    /// header), which bookmarks syncs in the server's own time.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Answer, TrackerError> {
        let mut req = self
            .http
            .request(method, urls::join(&self.base, path))
            .header("X-Redmine-API-Key", &self.key)
            .header("Accept", "application/json");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let mut resp = bounded::send(req)
            .await
            .map_err(|e| TrackerError::Unreachable(clean(&e.to_string())))?;
        let status = resp.status();
        let date = resp
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|d| d.to_str().ok())
            .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
            .map(|d| d.with_timezone(&Utc));
        // The client's timeout covers headers and body.
        let body = match bounded::body(&mut resp, bounded::TRACKER, Over::Refuse).await {
            Ok(b) => b.bytes,
            Err(e @ ReadError::TooLarge { .. }) => {
                return Err(TrackerError::Garbled(e.to_string()));
            }
            Err(e) => return Err(TrackerError::Unreachable(clean(&e.to_string()))),
        };
        match status.as_u16() {
            200..=299 => Ok(Answer { body, date }),
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
        let answer = self.call(Method::GET, path, None).await?;
        parse(path, &answer.body)
    }

    /// Every page of a list endpoint (`key` is the array's name): the
    /// first page says how many there are, the others are asked for
    /// together, `PARALLEL` at a time, and come back in order.
    async fn paged(&self, path: &str, key: &str) -> Result<Vec<Value>, TrackerError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let page = |offset: usize| {
            let url = format!("{path}{sep}offset={offset}&limit={}", self.page);
            async move {
                let v = self.get(&url).await?;
                let items = v
                    .get(key)
                    .and_then(Value::as_array)
                    .cloned()
                    .ok_or_else(|| TrackerError::Garbled(format!("{path}: no `{key}` list")))?;
                let total = v.get("total_count").and_then(Value::as_u64);
                Ok::<_, TrackerError>((items, total))
            }
        };
        let (mut out, total) = page(0).await?;
        let step = out.len();
        let total = usize::try_from(total.unwrap_or(0)).unwrap_or(usize::MAX);
        if step == 0 || total <= step {
            return Ok(out);
        }
        let rest: Vec<Result<Page, TrackerError>> =
            futures::stream::iter((step..total).step_by(step))
                .map(page)
                .buffered(PARALLEL)
                .collect()
                .await;
        for r in rest {
            out.extend(r?.0);
        }
        Ok(out)
    }

    async fn status_table(&self) -> Result<HashMap<String, (String, bool)>, TrackerError> {
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

    /// Open tickets. With a bookmark less than `FULL_EVERY` old, each
    /// project is brought up to date from what changed since (a handful of
    /// requests); without one, or when the changes do not add up to the
    /// project's count of open tickets, its open tickets are listed in
    /// full. A ticket's history is read only when the ticket changed since
    /// the known copy and its intervention clock has not stopped yet.
    async fn sync(&self, known: &[Ticket], cursor: Option<&str>) -> Result<Synced, TrackerError> {
        let me = self.call(Method::GET, "/users/current.json", None).await?;
        let began = me.date.unwrap_or_else(Utc::now);
        let me = parse("/users/current.json", &me.body)?
            .pointer("/user/login")
            .and_then(Value::as_str)
            .map(clean);
        let cursor: Option<Cursor> = cursor.and_then(|c| serde_json::from_str(c).ok());
        let since = cursor
            .as_ref()
            .filter(|c| began - c.full < FULL_EVERY && c.full <= began)
            .map(|c| c.since);
        let mut tickets: BTreeMap<u64, Ticket> = BTreeMap::new();
        let mut entries: HashMap<u64, DateTime<Utc>> = HashMap::new();
        let mut listed_in_full = Vec::new();
        for (project, client) in &self.projects {
            let shown = clean(project);
            let mine: Vec<&Ticket> = known.iter().filter(|t| t.project == shown).collect();
            let changed = match since {
                Some(since) => self.changes(project, client, since, &mine).await?,
                None => None,
            };
            let list = match changed {
                Some((list, made)) => {
                    for (id, at) in made {
                        let slot = entries.entry(id).or_insert(at);
                        *slot = (*slot).min(at);
                    }
                    list
                }
                None => {
                    listed_in_full.push(project.as_str());
                    self.listing(project, client).await?
                }
            };
            tickets.extend(list.into_iter().map(|t| (t.id, t)));
        }
        let known: HashMap<u64, &Ticket> = known.iter().map(|t| (t.id, t)).collect();
        for t in tickets.values_mut() {
            if let Some(k) = known.get(&t.id) {
                t.first_time_entry = t.first_time_entry.or(k.first_time_entry);
                t.intervention = t.intervention.or(k.intervention);
            }
            if let Some(at) = entries.get(&t.id) {
                t.first_time_entry = Some(t.first_time_entry.map_or(*at, |f| f.min(*at)));
            }
        }
        self.first_entries(&listed_in_full, &mut tickets).await?;
        // History: reused when the ticket did not change. Otherwise it is
        // marked as read up to the known copy (or never read): the desk
        // reads the histories a clock needs, most pressing first, so a
        // first sync of many tickets does not wait for each one's history.
        for t in tickets.values_mut() {
            match known.get(&t.id) {
                Some(k) => {
                    t.journals = k.journals.clone();
                    t.journals_as_of = if k.updated == t.updated {
                        k.journals_as_of
                    } else {
                        Some(k.journals_as_of.unwrap_or(k.updated))
                    };
                }
                None => t.journals_as_of = Some(t.created),
            }
        }
        let full = match (&cursor, listed_in_full.len() == self.projects.len()) {
            (_, true) | (None, _) => began,
            (Some(c), false) => c.full,
        };
        let next = Cursor {
            since: began - self.slack,
            full,
        };
        Ok(Synced {
            tickets: tickets.into_values().collect(),
            me,
            cursor: serde_json::to_string(&next).ok(),
        })
    }

    /// Every open ticket of a project (pages asked for together).
    async fn listing(&self, project: &str, client: &str) -> Result<Vec<Ticket>, TrackerError> {
        let path = format!(
            "/issues.json?project_id={}&status_id=open&sort=id",
            urlencode(project)
        );
        let mut out = BTreeMap::new();
        for raw in self.paged(&path, "issues").await? {
            match issue(&raw, project, client, &self.base) {
                // A page boundary that moved while reading may repeat one.
                Ok(t) => {
                    out.insert(t.id, t);
                }
                Err(w) => tracing::warn!(target: "tickets", "redmine: {w}"),
            }
        }
        Ok(out.into_values().collect())
    }

    /// A project's open tickets from the known ones and what changed since
    /// `since` (server time): tickets updated since (closed ones leave),
    /// and tickets that got time entries since (a time entry does not move
    /// a ticket's `updated_on`, but it changes the time spent and may stop
    /// the clock). Also returns, per ticket, the first of those entries.
    /// `None` when the result does not match Redmine's count of open
    /// tickets (one was deleted, moved or hidden): then list them all.
    async fn changes(
        &self,
        project: &str,
        client: &str,
        since: DateTime<Utc>,
        mine: &[&Ticket],
    ) -> Result<Option<(Vec<Ticket>, HashMap<u64, DateTime<Utc>>)>, TrackerError> {
        let p = urlencode(project);
        let stamp = since.format("%Y-%m-%dT%H:%M:%SZ");
        let made = self.entries_since(project, since).await?;
        let mut set: BTreeMap<u64, Ticket> = mine.iter().map(|t| (t.id, (*t).clone())).collect();
        let mut seen = std::collections::HashSet::new();
        let apply = |list: Vec<Value>,
                     set: &mut BTreeMap<u64, Ticket>,
                     seen: &mut std::collections::HashSet<u64>| {
            for raw in list {
                match issue(&raw, project, client, &self.base) {
                    Ok(t) if t.closed => {
                        seen.insert(t.id);
                        set.remove(&t.id);
                    }
                    Ok(t) => {
                        seen.insert(t.id);
                        set.insert(t.id, t);
                    }
                    Err(w) => tracing::warn!(target: "tickets", "redmine: {w}"),
                }
            }
        };
        let updated = self
            .paged(
                &format!(
                    "/issues.json?project_id={p}&status_id=*&updated_on=%3E%3D{stamp}&sort=id"
                ),
                "issues",
            )
            .await?;
        apply(updated, &mut set, &mut seen);
        let timed: Vec<String> = made
            .keys()
            .filter(|id| !seen.contains(*id))
            .map(u64::to_string)
            .collect();
        for ids in timed.chunks(PAGE) {
            let list = self
                .paged(
                    &format!(
                        "/issues.json?issue_id={}&status_id=*&sort=id",
                        ids.join(",")
                    ),
                    "issues",
                )
                .await?;
            apply(list, &mut set, &mut seen);
        }
        let open = self
            .get(&format!(
                "/issues.json?project_id={p}&status_id=open&limit=1"
            ))
            .await?
            .get("total_count")
            .and_then(Value::as_u64);
        if open != Some(set.len() as u64) {
            return Ok(None);
        }
        Ok(Some((set.into_values().collect(), made)))
    }

    /// Time entries made since `since` on a project's tickets, newest
    /// first until one is older: per ticket, the first one's instant.
    async fn entries_since(
        &self,
        project: &str,
        since: DateTime<Utc>,
    ) -> Result<HashMap<u64, DateTime<Utc>>, TrackerError> {
        let mut out: HashMap<u64, DateTime<Utc>> = HashMap::new();
        let mut offset = 0usize;
        loop {
            let v = self
                .get(&format!(
                    "/time_entries.json?project_id={}&sort=created_on:desc&offset={offset}&limit={}",
                    urlencode(project),
                    self.page
                ))
                .await?;
            let items = v
                .get("time_entries")
                .and_then(Value::as_array)
                .ok_or_else(|| TrackerError::Garbled("/time_entries.json: no list".into()))?;
            let mut older = false;
            for e in items {
                let at = e
                    .get("created_on")
                    .and_then(Value::as_str)
                    .and_then(parse_time);
                let Some(at) = at else { continue };
                if at < since {
                    older = true;
                    break;
                }
                if let Some(id) = e.pointer("/issue/id").and_then(Value::as_u64) {
                    let slot = out.entry(id).or_insert(at);
                    *slot = (*slot).min(at);
                }
            }
            offset += items.len();
            let total = v.get("total_count").and_then(Value::as_u64).unwrap_or(0);
            if older || items.is_empty() || offset as u64 >= total {
                return Ok(out);
            }
        }
    }

    /// The first time entry of tickets that have time but whose first
    /// entry is not known yet, in the projects listed in full.
    async fn first_entries(
        &self,
        projects: &[&str],
        tickets: &mut BTreeMap<u64, Ticket>,
    ) -> Result<(), TrackerError> {
        for project in projects {
            let shown = clean(project);
            let Some(oldest) = tickets
                .values()
                .filter(|t| {
                    t.project == shown && t.first_time_entry.is_none() && !t.spent.is_zero()
                })
                .map(|t| t.created)
                .min()
            else {
                continue;
            };
            let path = format!(
                "/time_entries.json?project_id={}&from={}",
                urlencode(project),
                oldest.date_naive()
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
                if let Some(t) = tickets.get_mut(&id) {
                    t.first_time_entry = Some(t.first_time_entry.map_or(at, |f| f.min(at)));
                }
            }
        }
        Ok(())
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

    fn sync_tickets<'a>(
        &'a self,
        known: &'a [Ticket],
        cursor: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Synced, TrackerError>> {
        Box::pin(self.sync(known, cursor))
    }

    fn history<'a>(&'a self, ticket: u64) -> BoxFuture<'a, Result<Vec<Journal>, TrackerError>> {
        Box::pin(async move {
            let statuses = self.status_table().await?;
            self.journals(ticket, &statuses).await
        })
    }

    fn histories<'a>(&'a self, tickets: &'a [u64]) -> BoxFuture<'a, Histories> {
        Box::pin(async move {
            let statuses = match self.status_table().await {
                Ok(s) => s,
                Err(e) => return tickets.iter().map(|id| (*id, Err(e.clone()))).collect(),
            };
            let statuses = &statuses;
            let asked: Vec<_> = tickets
                .iter()
                .map(|id| async move { (*id, self.journals(*id, statuses).await) })
                .collect();
            futures::stream::iter(asked)
                .buffered(PARALLEL)
                .collect()
                .await
        })
    }

    fn create<'a>(&'a self, new: &'a NewTicket) -> BoxFuture<'a, Result<u64, TrackerError>> {
        Box::pin(async move {
            let v = self.get("/enumerations/issue_priorities.json").await?;
            let list = v
                .get("issue_priorities")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let found = list.iter().find(|p| {
                p.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(&new.priority))
            });
            let Some(priority) = found.and_then(|p| p.get("id")).and_then(Value::as_u64) else {
                let names: Vec<String> = list
                    .iter()
                    .filter_map(|p| p.get("name").and_then(Value::as_str).map(clean))
                    .collect();
                return Err(TrackerError::Rejected(vec![format!(
                    "no priority '{}' (Redmine has: {})",
                    clean(&new.priority),
                    names.join(", ")
                )]));
            };
            let body = json!({ "issue": {
                "project_id": new.project,
                "subject": new.title,
                "description": new.description,
                "priority_id": priority,
            }});
            let answer = self.call(Method::POST, "/issues.json", Some(body)).await?;
            parse("/issues.json", &answer.body)?
                .pointer("/issue/id")
                .and_then(Value::as_u64)
                .ok_or_else(|| TrackerError::Garbled("/issues.json: no id in the answer".into()))
        })
    }

    fn statuses<'a>(&'a self) -> BoxFuture<'a, Result<Vec<StatusName>, TrackerError>> {
        Box::pin(async move {
            let mut table: Vec<(u64, StatusName)> = self
                .status_table()
                .await?
                .into_iter()
                .map(|(id, (name, closed))| {
                    (id.parse().unwrap_or(u64::MAX), StatusName { name, closed })
                })
                .collect();
            table.sort_by_key(|(id, _)| *id);
            Ok(table.into_iter().map(|(_, s)| s).collect())
        })
    }

    fn set_status<'a>(
        &'a self,
        ticket: u64,
        status: &'a str,
    ) -> BoxFuture<'a, Result<(), TrackerError>> {
        Box::pin(async move {
            let table = self.status_table().await?;
            let Some(id) = table
                .iter()
                .find(|(_, (name, _))| name.eq_ignore_ascii_case(status.trim()))
                .map(|(id, _)| id.clone())
            else {
                let mut names: Vec<&str> = table.values().map(|(n, _)| n.as_str()).collect();
                names.sort_unstable();
                return Err(TrackerError::Rejected(vec![format!(
                    "no status '{}' (Redmine has: {})",
                    clean(status),
                    names.join(", ")
                )]));
            };
            let body = json!({ "issue": { "status_id": id.parse::<u64>().unwrap_or(0) } });
            self.call(Method::PUT, &format!("/issues/{ticket}.json"), Some(body))
                .await
                .map(|_| ())
        })
    }

    fn opened_since<'a>(
        &'a self,
        project: &'a str,
        since: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<u64, TrackerError>> {
        Box::pin(async move {
            let path = format!(
                "/issues.json?project_id={}&status_id=*&created_on=%3E%3D{}&limit=1",
                urlencode(project),
                since.format("%Y-%m-%dT%H:%M:%SZ")
            );
            self.get(&path)
                .await?
                .get("total_count")
                .and_then(Value::as_u64)
                .ok_or_else(|| TrackerError::Garbled(format!("{path}: no total_count")))
        })
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
            let answer = self
                .call(
                    Method::POST,
                    "/time_entries.json",
                    Some(json!({ "time_entry": te })),
                )
                .await?;
            let v: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
            Ok(v.pointer("/time_entry/id").and_then(Value::as_u64))
        })
    }

    fn ticket_url(&self, ticket: u64) -> Option<String> {
        Some(urls::link(&self.base, &format!("/issues/{ticket}")))
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
fn issue(v: &Value, project: &str, client: &str, base: &reqwest::Url) -> Result<Ticket, String> {
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
        url: Some(urls::link(base, &format!("/issues/{id}"))),
        intervention: None,
        journals_as_of: None,
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

//! Tickets in the store: the last sync of each tracker, timers, queued time
//! entries and the built-in tracker.
//!
//! A [`TicketStore`] holds its own writing connection, separate from the
//! [`super::Writer`] thread, because a timer must be on disk before the key
//! that started it returns (a crash, restart or closed laptop never loses
//! time) and because an operator's time entry is committed before anything
//! tries to push it. SQLite serialises it with the writer (WAL, busy
//! timeout); its writes are single small transactions.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::open::{StoreOptions, open_for_writing, quick_check};
use super::{StoreError, from_ms, migrations, to_ms};
use crate::model::tickets::{Journal, Ticket, WorkEntry};

/// A running timer: who, on which ticket, since when.
#[derive(Debug, Clone, PartialEq)]
pub struct Timer {
    pub operator: String,
    pub backend: String,
    pub ticket: u64,
    pub started: DateTime<Utc>,
}

/// A time entry as stored, with its push state.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    pub id: i64,
    pub backend: String,
    pub ticket: u64,
    pub client: Option<String>,
    pub title: String,
    pub operator: String,
    pub started: DateTime<Utc>,
    pub stopped: DateTime<Utc>,
    pub spent_on: NaiveDate,
    pub comment: String,
    pub pushed: Option<DateTime<Utc>>,
    pub attempts: u32,
    pub last_error: Option<String>,
}

impl StoredEntry {
    pub fn worked(&self) -> Duration {
        (self.stopped - self.started)
            .to_std()
            .unwrap_or(Duration::ZERO)
    }

    pub fn work(&self) -> WorkEntry {
        WorkEntry {
            ticket: self.ticket,
            client: self.client.clone(),
            title: self.title.clone(),
            spent_on: self.spent_on,
            worked: self.worked(),
            comment: self.comment.clone(),
        }
    }
}

/// The cached tickets of a tracker and how fresh they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cached {
    pub tickets: Vec<Ticket>,
    /// The last successful sync.
    pub synced: Option<DateTime<Utc>>,
    /// The last failure, if the last attempt failed.
    pub error: Option<String>,
    /// The tracker's bookmark from the last successful sync.
    pub cursor: Option<String>,
}

/// A ticket to open in the built-in tracker.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalNew<'a> {
    pub project: &'a str,
    pub client: Option<&'a str>,
    pub title: &'a str,
    pub description: &'a str,
    pub priority: &'a str,
    pub author: &'a str,
}

fn journal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Journal> {
    let from: Option<String> = r.get(3)?;
    let to: Option<String> = r.get(4)?;
    Ok(Journal {
        at: from_ms(r.get(0)?),
        author: r.get(1)?,
        notes: r.get(2)?,
        status_change: from.zip(to),
    })
}

/// What a stopped timer became.
#[derive(Debug, Clone, PartialEq)]
pub struct Stopped {
    pub entry: StoredEntry,
}

pub struct TicketStore {
    conn: Connection,
}

fn sql(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |e| StoreError::from_sqlite(path, Duration::from_secs(5), e)
}

impl TicketStore {
    /// Opens (creating and migrating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<TicketStore, StoreError> {
        let opts = StoreOptions::default();
        let mut conn = open_for_writing(path, &opts)?;
        // A damaged file is refused here as by the writer: `vigie tickets`
        // must not answer from it as if all were well.
        quick_check(path, &opts)?;
        migrations::migrate(&mut conn, path)?;
        Ok(TicketStore { conn })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        let path = self.conn.path().map(Path::new).unwrap_or(Path::new(""));
        sql(path)
    }

    // ---- cache ----

    /// Replaces the cached tickets of `backend` with a fresh sync.
    pub fn save_sync(
        &mut self,
        backend: &str,
        tickets: &[Ticket],
        cursor: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let path = self.conn.path().unwrap_or("").to_string();
        let e = sql(Path::new(&path));
        let tx = self.conn.transaction().map_err(&e)?;
        tx.execute("DELETE FROM ticket_cache WHERE backend = ?1", [backend])
            .map_err(&e)?;
        {
            let mut ins = tx
                .prepare("INSERT INTO ticket_cache (backend, id, ticket) VALUES (?1, ?2, ?3)")
                .map_err(&e)?;
            for t in tickets {
                let json = serde_json::to_string(t).unwrap_or_default();
                ins.execute(params![backend, t.id as i64, json])
                    .map_err(&e)?;
            }
        }
        tx.execute(
            "INSERT INTO ticket_sync (backend, synced_ms, tried_ms, error, cursor) VALUES (?1, ?2, ?2, NULL, ?3)
             ON CONFLICT (backend) DO UPDATE SET synced_ms = ?2, tried_ms = ?2, error = NULL, cursor = ?3",
            params![backend, to_ms(at), cursor],
        )
        .map_err(&e)?;
        tx.commit().map_err(&e)
    }

    /// Notes a failed sync; the cached tickets stay.
    pub fn sync_failed(
        &mut self,
        backend: &str,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO ticket_sync (backend, synced_ms, tried_ms, error) VALUES (?1, NULL, ?2, ?3)
                 ON CONFLICT (backend) DO UPDATE SET tried_ms = ?2, error = ?3",
                params![backend, to_ms(at), error],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    pub fn cached(&self, backend: &str) -> Result<Cached, StoreError> {
        let e = self.err();
        let mut stmt = self
            .conn
            .prepare("SELECT ticket FROM ticket_cache WHERE backend = ?1 ORDER BY id")
            .map_err(&e)?;
        let tickets = stmt
            .query_map([backend], |r| r.get::<_, String>(0))
            .map_err(&e)?
            .filter_map(|r| r.ok())
            .filter_map(|j| serde_json::from_str::<Ticket>(&j).ok())
            .collect();
        let (synced, error, cursor) = self
            .conn
            .query_row(
                "SELECT synced_ms, error, cursor FROM ticket_sync WHERE backend = ?1",
                [backend],
                |r| {
                    Ok((
                        r.get::<_, Option<i64>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(&e)?
            .unwrap_or((None, None, None));
        Ok(Cached {
            tickets,
            synced: synced.map(from_ms),
            error,
            cursor,
        })
    }

    // ---- timers ----

    pub fn running_timer(&self, operator: &str) -> Result<Option<Timer>, StoreError> {
        self.conn
            .query_row(
                "SELECT operator, backend, ticket, started_ms FROM timers WHERE operator = ?1",
                [operator],
                |r| {
                    Ok(Timer {
                        operator: r.get(0)?,
                        backend: r.get(1)?,
                        ticket: r.get::<_, i64>(2)? as u64,
                        started: from_ms(r.get(3)?),
                    })
                },
            )
            .optional()
            .map_err(self.err())
    }

    /// Starts a timer. Refused (returns the running one) when the operator
    /// already has one: stop it first, with its comment.
    pub fn start_timer(
        &mut self,
        operator: &str,
        backend: &str,
        ticket: u64,
        at: DateTime<Utc>,
    ) -> Result<Result<Timer, Timer>, StoreError> {
        if let Some(running) = self.running_timer(operator)? {
            return Ok(Err(running));
        }
        self.conn
            .execute(
                "INSERT INTO timers (operator, backend, ticket, started_ms) VALUES (?1, ?2, ?3, ?4)",
                params![operator, backend, ticket as i64, to_ms(at)],
            )
            .map_err(self.err())?;
        Ok(Ok(Timer {
            operator: operator.into(),
            backend: backend.into(),
            ticket,
            started: at,
        }))
    }

    /// Stops the operator's timer and records the time entry, queued for
    /// the tracker, in one transaction. `None` when no timer runs.
    #[allow(clippy::too_many_arguments)]
    pub fn stop_timer(
        &mut self,
        operator: &str,
        at: DateTime<Utc>,
        spent_on: NaiveDate,
        comment: &str,
        title: &str,
        client: Option<&str>,
    ) -> Result<Option<StoredEntry>, StoreError> {
        let Some(timer) = self.running_timer(operator)? else {
            return Ok(None);
        };
        let stopped = at.max(timer.started);
        let path = self.conn.path().unwrap_or("").to_string();
        let e = sql(Path::new(&path));
        let tx = self.conn.transaction().map_err(&e)?;
        tx.execute(
            "INSERT INTO time_entries (backend, ticket, client, title, operator, started_ms, stopped_ms, spent_on, comment)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                timer.backend,
                timer.ticket as i64,
                client,
                title,
                operator,
                to_ms(timer.started),
                to_ms(stopped),
                spent_on.format("%Y-%m-%d").to_string(),
                comment
            ],
        )
        .map_err(&e)?;
        let id = tx.last_insert_rowid();
        tx.execute("DELETE FROM timers WHERE operator = ?1", [operator])
            .map_err(&e)?;
        tx.commit().map_err(&e)?;
        self.entry(id)
    }

    /// Records a time entry directly (time typed in, not timed).
    #[allow(clippy::too_many_arguments)]
    pub fn add_entry(
        &mut self,
        backend: &str,
        ticket: u64,
        client: Option<&str>,
        title: &str,
        operator: &str,
        started: DateTime<Utc>,
        stopped: DateTime<Utc>,
        spent_on: NaiveDate,
        comment: &str,
    ) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO time_entries (backend, ticket, client, title, operator, started_ms, stopped_ms, spent_on, comment)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    backend,
                    ticket as i64,
                    client,
                    title,
                    operator,
                    to_ms(started),
                    to_ms(stopped),
                    spent_on.format("%Y-%m-%d").to_string(),
                    comment
                ],
            )
            .map_err(self.err())?;
        Ok(self.conn.last_insert_rowid())
    }

    // ---- time entries ----

    const ENTRY_COLS: &'static str = "id, backend, ticket, client, title, operator, started_ms, stopped_ms, spent_on, comment, pushed_ms, attempts, last_error";

    fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEntry> {
        let spent_on: String = r.get(8)?;
        Ok(StoredEntry {
            id: r.get(0)?,
            backend: r.get(1)?,
            ticket: r.get::<_, i64>(2)? as u64,
            client: r.get(3)?,
            title: r.get(4)?,
            operator: r.get(5)?,
            started: from_ms(r.get(6)?),
            stopped: from_ms(r.get(7)?),
            spent_on: NaiveDate::parse_from_str(&spent_on, "%Y-%m-%d").unwrap_or_default(),
            comment: r.get(9)?,
            pushed: r.get::<_, Option<i64>>(10)?.map(from_ms),
            attempts: r.get::<_, i64>(11)?.clamp(0, u32::MAX.into()) as u32,
            last_error: r.get(12)?,
        })
    }

    pub fn entry(&self, id: i64) -> Result<Option<StoredEntry>, StoreError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {} FROM time_entries WHERE id = ?1",
                    Self::ENTRY_COLS
                ),
                [id],
                Self::row,
            )
            .optional()
            .map_err(self.err())
    }

    fn entries_where(
        &self,
        cond: &str,
        p: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let e = self.err();
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM time_entries WHERE {cond} ORDER BY id",
                Self::ENTRY_COLS
            ))
            .map_err(&e)?;
        let rows = stmt.query_map(p, Self::row).map_err(&e)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(&e)
    }

    /// Entries the tracker has not accepted yet, oldest first.
    pub fn pending(&self, backend: &str) -> Result<Vec<StoredEntry>, StoreError> {
        self.entries_where("backend = ?1 AND pushed_ms IS NULL", &[&backend])
    }

    /// Every entry of a backend booked in `[from, to]`.
    pub fn entries_between(
        &self,
        backend: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let (f, t) = (
            from.format("%Y-%m-%d").to_string(),
            to.format("%Y-%m-%d").to_string(),
        );
        self.entries_where(
            "backend = ?1 AND spent_on >= ?2 AND spent_on <= ?3",
            &[&backend, &f, &t],
        )
    }

    /// Every entry of a backend (for time spent per ticket).
    pub fn entries(&self, backend: &str) -> Result<Vec<StoredEntry>, StoreError> {
        self.entries_where("backend = ?1", &[&backend])
    }

    pub fn mark_pushed(
        &mut self,
        id: i64,
        remote: Option<u64>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE time_entries SET pushed_ms = ?2, remote_id = ?3, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
                params![id, to_ms(at), remote.map(|r| r as i64)],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    /// A failed push: the entry stays queued with the tracker's reason.
    pub fn mark_failed(&mut self, id: i64, error: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE time_entries SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
                params![id, error],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    // ---- built-in tracker ----

    /// Opens a ticket in the built-in tracker, status `New`.
    pub fn local_create(
        &mut self,
        new: &LocalNew<'_>,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO local_tickets (project, client, title, description, status, priority, author, created_ms, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, 'New', ?5, ?6, ?7, ?7)",
                params![
                    new.project,
                    new.client,
                    new.title,
                    new.description,
                    new.priority,
                    new.author,
                    to_ms(at)
                ],
            )
            .map_err(self.err())?;
        Ok(self.conn.last_insert_rowid() as u64)
    }

    /// Built-in tickets of `project` opened at or after `since`, closed
    /// ones included.
    pub fn local_opened_since(
        &self,
        project: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM local_tickets WHERE project = ?1 AND created_ms >= ?2",
                params![project, to_ms(since)],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(self.err())
    }

    /// A built-in ticket's notes and status changes, oldest first; `None`
    /// when there is no such ticket.
    pub fn local_history(&self, ticket: u64) -> Result<Option<Vec<Journal>>, StoreError> {
        let e = self.err();
        let exists: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM local_tickets WHERE id = ?1",
                [ticket as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(&e)?;
        if exists.is_none() {
            return Ok(None);
        }
        let mut js = self
            .conn
            .prepare("SELECT at_ms, author, notes, status_from, status_to FROM local_journals WHERE ticket = ?1 ORDER BY at_ms")
            .map_err(&e)?;
        let list = js
            .query_map([ticket as i64], journal_row)
            .map_err(&e)?
            .collect::<Result<_, _>>()
            .map_err(&e)?;
        Ok(Some(list))
    }

    /// Replaces one cached ticket (its history read on demand).
    pub fn update_cached(&mut self, backend: &str, ticket: &Ticket) -> Result<(), StoreError> {
        let json = serde_json::to_string(ticket).unwrap_or_default();
        self.conn
            .execute(
                "UPDATE ticket_cache SET ticket = ?3 WHERE backend = ?1 AND id = ?2",
                params![backend, ticket.id as i64, json],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    /// Cached tickets rewritten in one transaction, each only if the cached
    /// copy still has the same `updated` (a sync may have brought a newer
    /// one since these were read).
    pub fn update_cached_unchanged(
        &mut self,
        backend: &str,
        tickets: &[&Ticket],
    ) -> Result<(), StoreError> {
        let path = self.conn.path().unwrap_or("").to_string();
        let e = sql(Path::new(&path));
        let tx = self.conn.transaction().map_err(&e)?;
        {
            let mut up = tx
                .prepare(
                    "UPDATE ticket_cache SET ticket = ?3
                     WHERE backend = ?1 AND id = ?2 AND json_extract(ticket, '$.updated') = ?4",
                )
                .map_err(&e)?;
            for t in tickets {
                let json = serde_json::to_string(t).unwrap_or_default();
                // `updated` as the cached JSON spells it.
                let updated = serde_json::to_value(t.updated)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default();
                up.execute(params![backend, t.id as i64, json, updated])
                    .map_err(&e)?;
            }
        }
        tx.commit().map_err(&e)
    }

    pub fn local_add_note(
        &mut self,
        ticket: u64,
        author: &str,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let path = self.conn.path().unwrap_or("").to_string();
        let e = sql(Path::new(&path));
        let tx = self.conn.transaction().map_err(&e)?;
        let n = tx
            .execute(
                "UPDATE local_tickets SET updated_ms = ?2 WHERE id = ?1",
                params![ticket as i64, to_ms(at)],
            )
            .map_err(&e)?;
        if n == 1 {
            tx.execute(
                "INSERT INTO local_journals (ticket, at_ms, author, notes) VALUES (?1, ?2, ?3, ?4)",
                params![ticket as i64, to_ms(at), author, text],
            )
            .map_err(&e)?;
        }
        tx.commit().map_err(&e)
    }

    /// Gives a built-in ticket a status, with a journal line; `false` when
    /// there is no such ticket.
    pub fn local_set_status(
        &mut self,
        ticket: u64,
        author: &str,
        status: &str,
        closed: bool,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let path = self.conn.path().unwrap_or("").to_string();
        let e = sql(Path::new(&path));
        let tx = self.conn.transaction().map_err(&e)?;
        let old: Option<String> = tx
            .query_row(
                "SELECT status FROM local_tickets WHERE id = ?1",
                [ticket as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(&e)?;
        let found = old.is_some();
        if let Some(old) = old {
            tx.execute(
                "UPDATE local_tickets SET status = ?2, closed = ?3, updated_ms = ?4 WHERE id = ?1",
                params![ticket as i64, status, closed, to_ms(at)],
            )
            .map_err(&e)?;
            tx.execute(
                "INSERT INTO local_journals (ticket, at_ms, author, status_from, status_to) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![ticket as i64, to_ms(at), author, old, status],
            )
            .map_err(&e)?;
        }
        tx.commit().map_err(&e)?;
        Ok(found)
    }

    /// The built-in tracker's open tickets, with notes, status history and
    /// the time recorded on them.
    pub fn local_open_tickets(&mut self) -> Result<Vec<Ticket>, StoreError> {
        let e = self.err();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, project, title, status, priority, author, created_ms, updated_ms, client
                 FROM local_tickets WHERE closed = 0 ORDER BY id",
            )
            .map_err(&e)?;
        let mut tickets: Vec<Ticket> = stmt
            .query_map([], |r| {
                Ok(Ticket {
                    id: r.get::<_, i64>(0)? as u64,
                    project: r.get(1)?,
                    client: r.get(8)?,
                    title: r.get(2)?,
                    status: r.get(3)?,
                    closed: false,
                    priority: r.get(4)?,
                    tracker: "Support".into(),
                    author: r.get(5)?,
                    assignee: None,
                    created: from_ms(r.get(6)?),
                    updated: from_ms(r.get(7)?),
                    spent: Duration::ZERO,
                    first_time_entry: None,
                    journals: Vec::new(),
                    url: None,
                    intervention: None,
                    journals_as_of: None,
                })
            })
            .map_err(&e)?
            .collect::<Result<_, _>>()
            .map_err(&e)?;
        drop(stmt);
        let mut js = self
            .conn
            .prepare("SELECT at_ms, author, notes, status_from, status_to FROM local_journals WHERE ticket = ?1 ORDER BY at_ms")
            .map_err(&e)?;
        let mut te = self
            .conn
            .prepare("SELECT MIN(started_ms), COALESCE(SUM(stopped_ms - started_ms), 0) FROM time_entries WHERE backend = 'builtin' AND ticket = ?1")
            .map_err(&e)?;
        for t in &mut tickets {
            t.journals = js
                .query_map([t.id as i64], journal_row)
                .map_err(&e)?
                .collect::<Result<_, _>>()
                .map_err(&e)?;
            let (first, ms): (Option<i64>, i64) = te
                .query_row([t.id as i64], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(&e)?;
            t.first_time_entry = first.map(from_ms);
            t.spent = Duration::from_millis(ms.max(0) as u64);
        }
        Ok(tickets)
    }
}

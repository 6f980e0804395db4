//! The ticket desk: one tracker plus the store. It syncs open tickets into
//! the cache (keeping the cache, marked stale, when the tracker cannot be
//! reached), runs timers, turns a stopped timer into a queued time entry and
//! pushes the queue until the tracker accepts each entry. Nothing typed by
//! an operator is dropped: an entry leaves the queue only when accepted.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Months, NaiveDate, Utc};
use chrono_tz::Tz;

use super::builtin::Builtin;
use super::redmine::Redmine;
use super::{NewTicket, StatusName, TicketBackend, TimePush, TrackerError, read_secret};
use crate::model::Fleet;
use crate::model::tickets::{
    ClockRules, Ticket, TicketBackendKind, TicketSettings, WorkEntry, histories_to_read,
    intervention_started,
};
use crate::store::StoreError;
use crate::store::tickets::{Cached, StoredEntry, TicketStore, Timer};

/// Time allowed for one call to a tracker.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// Histories asked for together (a tracker that serves one request at a
/// time still gains the round trips; the operator's own calls wait behind
/// at most this many).
const HISTORY_BATCH: usize = 8;

/// Histories a sync with a deadline reads before it saves the listing. A
/// warm sync has a few (tickets that changed) and reads them at once; a cold
/// one has one per open ticket and leaves them all to
/// [`Desk::read_histories`], so the operator sees the tickets as soon as they
/// are listed instead of after the first batches.
const INLINE_HISTORIES: usize = 2 * HISTORY_BATCH;

/// What the desk knows after a sync.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskView {
    pub cached: Cached,
    /// This sync's failure, if it failed (the tickets are then stale).
    pub error: Option<String>,
    pub timer: Option<Timer>,
    /// Entries not yet accepted by the tracker.
    pub pending: Vec<StoredEntry>,
    /// Every entry recorded through Vigie for this tracker.
    pub entries: Vec<StoredEntry>,
    /// Tickets whose history a clock still needs (read a batch at a time,
    /// most pressing first, by [`Desk::read_histories`]).
    pub unread: usize,
}

/// One push of a queued entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PushOutcome {
    pub entry: i64,
    pub result: Result<Option<u64>, TrackerError>,
}

pub struct Desk {
    backend: Box<dyn TicketBackend>,
    store: Mutex<TicketStore>,
    operator: String,
    /// What stops the intervention clock (to note, once, when it stopped).
    rules: ClockRules,
    /// Tracker project -> client.
    projects: BTreeMap<String, String>,
    /// The contracts, to read first the histories of the clocks that matter.
    fleet: Option<Arc<Fleet>>,
}

/// Builds the configured tracker. A missing key is an error the caller
/// shows; it is never fatal to the console.
pub fn backend_from(
    settings: &TicketSettings,
    store_path: &Path,
    operator: &str,
) -> Result<Box<dyn TicketBackend>, TrackerError> {
    match &settings.backend {
        TicketBackendKind::Builtin => {
            let store =
                TicketStore::open(store_path).map_err(|e| TrackerError::Store(e.to_string()))?;
            Ok(Box::new(Builtin::new(
                store,
                settings.projects.clone(),
                operator.to_string(),
            )))
        }
        TicketBackendKind::Redmine {
            url,
            key,
            activity_id,
        } => {
            let key = read_secret(key)?;
            Ok(Box::new(Redmine::new(
                url,
                key,
                settings.projects.clone(),
                *activity_id,
                CALL_TIMEOUT,
            )?))
        }
    }
}

fn store_err(e: StoreError) -> TrackerError {
    TrackerError::Store(e.to_string())
}

impl Desk {
    pub fn new(backend: Box<dyn TicketBackend>, store: TicketStore, operator: &str) -> Desk {
        Desk {
            backend,
            store: Mutex::new(store),
            operator: operator.to_string(),
            rules: ClockRules::default(),
            projects: BTreeMap::new(),
            fleet: None,
        }
    }

    /// The fleet whose contracts set the intervention clocks: histories are
    /// then read for tickets with a clock, the most pressing first. Without
    /// it, every history not read whose clock has not stopped is read, those
    /// in doubt first.
    pub fn with_fleet(mut self, fleet: Arc<Fleet>) -> Desk {
        self.fleet = Some(fleet);
        self
    }

    /// The histories a clock needs, most pressing first.
    fn to_read(&self, tickets: &[Ticket], now: DateTime<Utc>) -> Vec<u64> {
        match &self.fleet {
            Some(f) => histories_to_read(tickets, f, &self.rules, now),
            None => {
                let mut ids: Vec<(bool, u64)> = tickets
                    .iter()
                    .filter(|t| t.intervention.is_none() && t.journals_as_of.is_some())
                    .map(|t| (!t.clock_in_doubt(), t.id))
                    .collect();
                ids.sort();
                ids.into_iter().map(|(_, id)| id).collect()
            }
        }
    }

    /// The configured clock rules and projects (the console and the CLI
    /// pass `[tickets]`; without it, any note by someone other than the
    /// author stops the clock and no project is known).
    pub fn with_settings(mut self, settings: &TicketSettings) -> Desk {
        self.rules = settings.rules.clone();
        self.projects = settings.projects.clone();
        self
    }

    /// The tracker projects of a client: the configured ones; for the
    /// built-in tracker a client without one gets its own id as project.
    pub fn projects_of(&self, client: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .projects
            .iter()
            .filter(|(_, c)| c.as_str() == client)
            .map(|(p, _)| p.clone())
            .collect();
        if out.is_empty() && self.backend.name() == "builtin" {
            out.push(client.to_string());
        }
        out
    }

    pub fn backend(&self) -> &dyn TicketBackend {
        self.backend.as_ref()
    }

    pub fn operator(&self) -> &str {
        &self.operator
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut TicketStore) -> Result<T, StoreError>,
    ) -> Result<T, TrackerError> {
        let mut g = self
            .store
            .lock()
            .map_err(|_| TrackerError::Store("the tickets' store lock is poisoned".into()))?;
        f(&mut g).map_err(store_err)
    }

    /// The store's view without asking the tracker.
    pub fn view(&self, error: Option<String>) -> Result<DeskView, TrackerError> {
        let name = self.backend.name().to_string();
        let mut view = self.with(|s| {
            Ok(DeskView {
                cached: s.cached(&name)?,
                error,
                timer: s.running_timer(&self.operator)?,
                pending: s.pending(&name)?,
                entries: s.entries(&name)?,
                unread: 0,
            })
        })?;
        view.unread = self.to_read(&view.cached.tickets, Utc::now()).len();
        Ok(view)
    }

    /// Asks the tracker for open tickets and reads every history their
    /// clocks need; on failure the cache stays and the view carries the
    /// error.
    pub async fn sync(&self, now: DateTime<Utc>) -> Result<DeskView, TrackerError> {
        self.sync_until(now, None).await
    }

    /// A sync that stops reading histories once `until` has passed (the
    /// listing itself is always whole), and reads none when more than
    /// [`INLINE_HISTORIES`] are needed: the console shows the tickets first
    /// and reads what remains with [`Desk::read_histories`].
    pub async fn sync_until(
        &self,
        now: DateTime<Utc>,
        until: Option<Instant>,
    ) -> Result<DeskView, TrackerError> {
        let name = self.backend.name().to_string();
        let cached = self.with(|s| s.cached(&name))?;
        match self
            .backend
            .sync_tickets(&cached.tickets, cached.cursor.as_deref())
            .await
        {
            Ok(mut synced) => {
                let order = self.to_read(&synced.tickets, now);
                let read = if until.is_some() && order.len() > INLINE_HISTORIES {
                    Ok(0)
                } else {
                    self.read_into(&mut synced.tickets, &order, until).await
                };
                // Once the clock has stopped it stays stopped: noted on the
                // ticket, the next sync need not read its history again. A
                // history not read yet only bounds it, so nothing is noted.
                for t in &mut synced.tickets {
                    t.intervention = settled(t, &self.rules);
                }
                self.with(|s| s.save_sync(&name, &synced.tickets, synced.cursor.as_deref(), now))?;
                // The listing is fresh even when a history could not be
                // read: those stay unread (and in doubt) for the next try.
                if let Err(e) = read {
                    tracing::warn!(target: "tickets", "histories not read: {e}");
                }
                self.view(None)
            }
            Err(e) => {
                // Stored and shown: a URL in it keeps its key hidden.
                let msg = crate::urls::masked_in(&e.to_string());
                self.with(|s| s.sync_failed(&name, &msg, now))?;
                self.view(Some(msg))
            }
        }
    }

    /// Reads, in batches, the cached tickets' histories their clocks need,
    /// most pressing first, until `until` passes (at least one batch).
    /// Returns how many were read; the cache is updated batch by batch.
    pub async fn read_histories(
        &self,
        now: DateTime<Utc>,
        until: Instant,
    ) -> Result<usize, TrackerError> {
        let name = self.backend.name().to_string();
        let mut tickets = self.with(|s| s.cached(&name))?.tickets;
        let order = self.to_read(&tickets, now);
        let mut done = 0;
        for (i, batch) in order.chunks(HISTORY_BATCH).enumerate() {
            if i > 0 && Instant::now() >= until {
                break;
            }
            let read = self.read_batch(&mut tickets, batch).await?;
            // Written unless another sync (the CLI's, on the same store)
            // changed the ticket meanwhile: its history is then in doubt again.
            let fresh: Vec<&Ticket> = tickets.iter().filter(|t| read.contains(&t.id)).collect();
            self.with(|s| s.update_cached_unchanged(&name, &fresh))?;
            done += read.len();
        }
        Ok(done)
    }

    /// Reads the histories of `order` into `tickets`, batch by batch, until
    /// `until` passes (`None`: all). A ticket deleted meanwhile is skipped.
    async fn read_into(
        &self,
        tickets: &mut [Ticket],
        order: &[u64],
        until: Option<Instant>,
    ) -> Result<usize, TrackerError> {
        let mut done = 0;
        for batch in order.chunks(HISTORY_BATCH) {
            if until.is_some_and(|u| Instant::now() >= u) {
                break;
            }
            done += self.read_batch(tickets, batch).await?.len();
        }
        Ok(done)
    }

    /// One batch of histories into `tickets`; the ids read.
    async fn read_batch(
        &self,
        tickets: &mut [Ticket],
        batch: &[u64],
    ) -> Result<Vec<u64>, TrackerError> {
        let mut read = Vec::with_capacity(batch.len());
        for (id, journals) in self.backend.histories(batch).await {
            match journals {
                Ok(j) => {
                    if let Some(t) = tickets.iter_mut().find(|t| t.id == id) {
                        t.journals = j;
                        t.journals_as_of = None;
                        t.intervention = settled(t, &self.rules);
                        read.push(id);
                    }
                }
                // A ticket deleted between the list and its history.
                Err(TrackerError::NotFound(_)) => {}
                // The next ones would fail the same way.
                Err(
                    e @ (TrackerError::Unreachable(_)
                    | TrackerError::BadKey { .. }
                    | TrackerError::Store(_)),
                ) => {
                    return Err(e);
                }
                // One history the tracker cannot give: the others still can;
                // this one stays unread (its deadline shows as checking).
                Err(e) => tracing::warn!(target: "tickets", "history of #{id} not read: {e}"),
            }
        }
        Ok(read)
    }

    /// Pushes every queued entry, oldest first. A refusal (422) or an
    /// unreachable tracker leaves the entry queued with the reason.
    pub async fn push_pending(&self, now: DateTime<Utc>) -> Result<Vec<PushOutcome>, TrackerError> {
        let name = self.backend.name().to_string();
        let pending = self.with(|s| s.pending(&name))?;
        let mut out = Vec::new();
        for e in pending {
            let push = TimePush {
                ticket: e.ticket,
                worked: e.worked(),
                spent_on: e.spent_on,
                comment: e.comment.clone(),
            };
            let result = self.backend.push_time(&push).await;
            match &result {
                Ok(remote) => self.with(|s| s.mark_pushed(e.id, *remote, now))?,
                Err(err) => self.with(|s| s.mark_failed(e.id, &err.to_string()))?,
            }
            let stop = matches!(
                result,
                Err(TrackerError::Unreachable(_)
                    | TrackerError::BadKey { .. }
                    | TrackerError::Store(_))
            );
            out.push(PushOutcome {
                entry: e.id,
                result,
            });
            // The next ones would fail the same way.
            if stop {
                break;
            }
        }
        Ok(out)
    }

    /// Starts a timer on `ticket`, on disk before this returns. `Err(timer)`
    /// when one already runs (stop it first).
    pub fn start(
        &self,
        ticket: u64,
        now: DateTime<Utc>,
    ) -> Result<Result<Timer, Timer>, TrackerError> {
        let name = self.backend.name().to_string();
        self.with(|s| s.start_timer(&self.operator, &name, ticket, now))
    }

    /// Stops the running timer with the operator's comment: the time entry
    /// is committed (queued) before anything tries to push it. The entry is
    /// booked on the local date the timer started, in `tz`.
    pub fn stop(
        &self,
        comment: &str,
        now: DateTime<Utc>,
        tz: Tz,
        title: &str,
        client: Option<&str>,
    ) -> Result<Option<StoredEntry>, TrackerError> {
        self.with(|s| {
            let Some(t) = s.running_timer(&self.operator)? else {
                return Ok(None);
            };
            let day = t.started.with_timezone(&tz).date_naive();
            s.stop_timer(&self.operator, now, day, comment, title, client)
        })
    }

    /// Every piece of work booked in `month`: what the tracker holds plus
    /// entries still queued for it (the tracker is asked first, so a queue
    /// that can be pushed is pushed). Fails when the tracker cannot be read:
    /// an invoice is not made from partial data.
    pub async fn month_entries(
        &self,
        month: (i32, u32),
        now: DateTime<Utc>,
    ) -> Result<Vec<WorkEntry>, TrackerError> {
        let (y, m) = month;
        let from = NaiveDate::from_ymd_opt(y, m, 1)
            .ok_or_else(|| TrackerError::Garbled(format!("no month {y}-{m:02}")))?;
        let to = from
            .checked_add_months(Months::new(1))
            .and_then(|d| d.pred_opt())
            .unwrap_or(from);
        self.push_pending(now).await?;
        let name = self.backend.name().to_string();
        let cached_titles = |desk: &Desk| -> Result<HashMap<u64, String>, TrackerError> {
            Ok(desk
                .with(|s| s.cached(&name))?
                .tickets
                .into_iter()
                .map(|t| (t.id, t.title))
                .collect())
        };
        let mut titles = cached_titles(self)?;
        let mut out = self.backend.time_entries(from, to, &titles).await?;
        // A process that never read the board (the CLI) knows no titles:
        // one sync names them; if the tracker cannot say, the ids stay.
        if out.iter().any(|e| !titles.contains_key(&e.ticket)) && self.sync(now).await.is_ok() {
            titles = cached_titles(self)?;
            for e in &mut out {
                if let Some(t) = titles.get(&e.ticket) {
                    e.title.clone_from(t);
                }
            }
        }
        if name != "builtin" {
            let pending = self.with(|s| s.pending(&name))?;
            out.extend(
                pending
                    .iter()
                    .filter(|e| e.spent_on >= from && e.spent_on <= to)
                    .map(StoredEntry::work),
            );
        }
        Ok(out)
    }

    pub async fn add_note(&self, ticket: u64, text: &str) -> Result<(), TrackerError> {
        self.backend.add_note(ticket, text).await
    }

    /// Opens a ticket for `client` in its (first) project.
    pub async fn create(
        &self,
        client: &str,
        priority: &str,
        title: &str,
        description: &str,
    ) -> Result<u64, TrackerError> {
        let Some(project) = self.projects_of(client).into_iter().next() else {
            return Err(TrackerError::Rejected(vec![format!(
                "no tracker project for client '{}' in [tickets.projects]",
                crate::sanitize::clean_short(client, 40)
            )]));
        };
        let new = NewTicket {
            project,
            client: client.to_string(),
            title: title.trim().to_string(),
            priority: priority.trim().to_string(),
            description: description.to_string(),
        };
        self.backend.create(&new).await
    }

    pub async fn set_status(&self, ticket: u64, status: &str) -> Result<(), TrackerError> {
        self.backend.set_status(ticket, status).await
    }

    pub async fn statuses(&self) -> Result<Vec<StatusName>, TrackerError> {
        self.backend.statuses().await
    }

    /// Reads one ticket's whole history into the cache (a sync skips the
    /// history of tickets whose clock has stopped).
    pub async fn history(&self, ticket: u64) -> Result<DeskView, TrackerError> {
        let journals = self.backend.history(ticket).await?;
        let name = self.backend.name().to_string();
        self.with(|s| {
            let cached = s.cached(&name)?;
            if let Some(mut t) = cached.tickets.into_iter().find(|t| t.id == ticket) {
                t.journals = journals;
                t.journals_as_of = None;
                t.intervention = settled(&t, &self.rules);
                s.update_cached(&name, &t)?;
            }
            Ok(())
        })?;
        self.view(None)
    }

    /// Calls of each client since its `since` (the start of its year): every
    /// ticket opened in its projects, closed ones included, as the tracker
    /// counts them.
    pub async fn calls_since(
        &self,
        clients: &[(String, DateTime<Utc>)],
    ) -> Result<BTreeMap<String, u32>, TrackerError> {
        let mut out = BTreeMap::new();
        for (client, since) in clients {
            let mut n = 0u64;
            for project in self.projects_of(client) {
                n += self.backend.opened_since(&project, *since).await?;
            }
            out.insert(client.clone(), u32::try_from(n).unwrap_or(u32::MAX));
        }
        Ok(out)
    }
}

/// The intervention instant a ticket's data settles: with its whole
/// history, or noted by an earlier read (the clock never restarts). A
/// history not read yet only bounds it from above, so it settles nothing.
fn settled(t: &Ticket, rules: &ClockRules) -> Option<DateTime<Utc>> {
    if t.journals_as_of.is_none() || t.intervention.is_some() {
        intervention_started(t, rules, None)
    } else {
        None
    }
}

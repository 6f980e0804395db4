//! Vigie's own tracker, kept in the store, for a team without one. Its
//! tickets, notes and time live in the `local_tickets`, `local_journals` and
//! `time_entries` tables; pushing time is accepted at once since the store is
//! the record.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use super::{NewTicket, StatusName, Synced, TicketBackend, TimePush, TrackerError};
use crate::model::tickets::{Journal, Ticket};
use crate::store::tickets::{LocalNew, TicketStore};

/// The built-in tracker's statuses (Redmine's defaults), and whether each
/// closes the ticket.
pub const STATUSES: [(&str, bool); 6] = [
    ("New", false),
    ("In Progress", false),
    ("Feedback", false),
    ("Resolved", false),
    ("Closed", true),
    ("Rejected", true),
];

pub struct Builtin {
    store: std::sync::Mutex<TicketStore>,
    /// Project -> client, as configured.
    projects: std::collections::BTreeMap<String, String>,
    operator: String,
}

impl Builtin {
    pub fn new(
        store: TicketStore,
        projects: std::collections::BTreeMap<String, String>,
        operator: String,
    ) -> Builtin {
        Builtin {
            store: std::sync::Mutex::new(store),
            projects,
            operator,
        }
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut TicketStore) -> Result<T, crate::store::StoreError>,
    ) -> Result<T, TrackerError> {
        let mut guard = self.store.lock().map_err(|_| {
            TrackerError::Store("the built-in tracker's store lock is poisoned".into())
        })?;
        f(&mut guard).map_err(|e| TrackerError::Store(crate::sanitize::clean(&e.to_string())))
    }
}

impl TicketBackend for Builtin {
    fn name(&self) -> &str {
        "builtin"
    }

    fn sync_tickets<'a>(
        &'a self,
        _known: &'a [Ticket],
        _cursor: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Synced, TrackerError>> {
        Box::pin(async move {
            let mut tickets = self.with(|s| s.local_open_tickets())?;
            for t in &mut tickets {
                t.client = self.projects.get(&t.project).cloned().or(t.client.take());
            }
            Ok(Synced {
                tickets,
                me: Some(self.operator.clone()),
                cursor: None,
            })
        })
    }

    fn history<'a>(&'a self, ticket: u64) -> BoxFuture<'a, Result<Vec<Journal>, TrackerError>> {
        Box::pin(async move {
            self.with(|s| s.local_history(ticket))?
                .ok_or_else(|| TrackerError::NotFound(format!("ticket #{ticket}")))
        })
    }

    fn create<'a>(&'a self, new: &'a NewTicket) -> BoxFuture<'a, Result<u64, TrackerError>> {
        Box::pin(async move {
            let title = new.title.trim();
            if title.is_empty() {
                return Err(TrackerError::Rejected(vec![
                    "a ticket needs a title".into(),
                ]));
            }
            let now = Utc::now();
            self.with(|s| {
                s.local_create(
                    &LocalNew {
                        project: &new.project,
                        client: Some(&new.client),
                        title,
                        description: &new.description,
                        priority: new.priority.trim(),
                        author: &self.operator,
                    },
                    now,
                )
            })
        })
    }

    fn statuses<'a>(&'a self) -> BoxFuture<'a, Result<Vec<StatusName>, TrackerError>> {
        Box::pin(async {
            Ok(STATUSES
                .iter()
                .map(|(name, closed)| StatusName {
                    name: (*name).to_string(),
                    closed: *closed,
                })
                .collect())
        })
    }

    fn set_status<'a>(
        &'a self,
        ticket: u64,
        status: &'a str,
    ) -> BoxFuture<'a, Result<(), TrackerError>> {
        Box::pin(async move {
            let Some((name, closed)) = STATUSES
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(status.trim()))
            else {
                let names: Vec<&str> = STATUSES.iter().map(|(n, _)| *n).collect();
                return Err(TrackerError::Rejected(vec![format!(
                    "no status '{}' (the built-in tracker has: {})",
                    crate::sanitize::clean_short(status, 40),
                    names.join(", ")
                )]));
            };
            let now = Utc::now();
            let found =
                self.with(|s| s.local_set_status(ticket, &self.operator, name, *closed, now))?;
            if found {
                Ok(())
            } else {
                Err(TrackerError::NotFound(format!("ticket #{ticket}")))
            }
        })
    }

    fn opened_since<'a>(
        &'a self,
        project: &'a str,
        since: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<u64, TrackerError>> {
        Box::pin(async move { self.with(|s| s.local_opened_since(project, since)) })
    }

    fn add_note<'a>(
        &'a self,
        ticket: u64,
        text: &'a str,
    ) -> BoxFuture<'a, Result<(), TrackerError>> {
        Box::pin(async move {
            let now = chrono::Utc::now();
            self.with(|s| s.local_add_note(ticket, &self.operator, text, now))
        })
    }

    fn push_time<'a>(
        &'a self,
        _entry: &'a TimePush,
    ) -> BoxFuture<'a, Result<Option<u64>, TrackerError>> {
        // The entry is already in the store, which is this tracker's record.
        Box::pin(async { Ok(None) })
    }

    fn ticket_url(&self, _ticket: u64) -> Option<String> {
        None
    }

    fn time_entries<'a>(
        &'a self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        _titles: &'a std::collections::HashMap<u64, String>,
    ) -> BoxFuture<'a, Result<Vec<crate::model::tickets::WorkEntry>, TrackerError>> {
        Box::pin(async move {
            let entries = self.with(|s| s.entries_between("builtin", from, to))?;
            Ok(entries.iter().map(|e| e.work()).collect())
        })
    }
}

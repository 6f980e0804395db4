//! Vigie's own tracker, kept in the store, for a team without one. Its
//! tickets, notes and time live in the `local_tickets`, `local_journals` and
//! `time_entries` tables; pushing time is accepted at once since the store is
//! the record.

use futures::future::BoxFuture;

use super::{Synced, TicketBackend, TimePush, TrackerError};
use crate::model::tickets::Ticket;
use crate::store::tickets::TicketStore;

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
            TrackerError::Unreachable("the local tracker's store lock is poisoned".into())
        })?;
        f(&mut guard).map_err(|e| TrackerError::Unreachable(crate::sanitize::clean(&e.to_string())))
    }
}

impl TicketBackend for Builtin {
    fn name(&self) -> &str {
        "builtin"
    }

    fn open_tickets<'a>(
        &'a self,
        _known: &'a [Ticket],
    ) -> BoxFuture<'a, Result<Synced, TrackerError>> {
        Box::pin(async move {
            let mut tickets = self.with(|s| s.local_open_tickets())?;
            for t in &mut tickets {
                t.client = self.projects.get(&t.project).cloned().or(t.client.take());
            }
            Ok(Synced {
                tickets,
                me: Some(self.operator.clone()),
            })
        })
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

//! Ticket trackers behind one trait: [`TicketBackend`] reads open tickets
//! (with their notes and status history) and writes notes and time entries.
//! `redmine.rs` speaks Redmine's REST API; `builtin.rs` is Vigie's own
//! tracker in the store, for a team without one. These two are the only
//! backends; another tracker would implement the same trait
//! ([`TimePush::worked`] is a `Duration`, and each backend converts it to
//! its own unit).
//!
//! Every string that comes from a tracker is passed through
//! [`crate::sanitize::clean`] as it is parsed, so the model only holds text
//! that is harmless on a terminal.

pub mod builtin;
pub mod desk;
pub mod redmine;

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use futures::future::BoxFuture;

use crate::model::tickets::{Journal, SecretSource, Ticket, WorkEntry};

/// Why a tracker call failed, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrackerError {
    /// Could not reach the tracker (DNS, refused, timeout, TLS).
    #[error("tracker unreachable: {0}")]
    Unreachable(String),
    /// 401/403: the API key is wrong or lacks the right.
    #[error("the tracker refused the API key (HTTP {status}): check the key")]
    BadKey { status: u16 },
    /// 422: the tracker refused the content; its own messages.
    #[error("the tracker refused it: {}", .0.join("; "))]
    Rejected(Vec<String>),
    /// 404: the project or ticket does not exist (or is hidden).
    #[error("not found: {0}")]
    NotFound(String),
    /// Any other answer: status and a short, cleaned excerpt.
    #[error("the tracker answered HTTP {status}: {excerpt}")]
    Http { status: u16, excerpt: String },
    /// The answer was not what the API documents.
    #[error("unexpected answer from the tracker: {0}")]
    Garbled(String),
    /// No API key could be read.
    #[error("no API key: {0}")]
    NoKey(String),
    /// Vigie's own store (the tickets' cache, the queue, the built-in
    /// tracker's tickets) failed: a local problem, not the tracker's.
    #[error("Vigie's store failed: {0}")]
    Store(String),
}

impl TrackerError {
    /// Whether trying again later may succeed (the entry stays queued
    /// either way; this only tells the operator what to expect).
    pub fn transient(&self) -> bool {
        matches!(
            self,
            TrackerError::Unreachable(_) | TrackerError::Http { status: 500.., .. }
        )
    }
}

/// A time entry to record on a ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct TimePush {
    pub ticket: u64,
    pub worked: Duration,
    pub spent_on: NaiveDate,
    pub comment: String,
}

/// What one sync brought back.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Synced {
    pub tickets: Vec<Ticket>,
    /// The user the key belongs to (the operator's name in the tracker).
    pub me: Option<String>,
    /// Where the next sync may start from (the backend's own words, kept
    /// in the store with the tickets): a backend that can ask only for
    /// what changed since puts its bookmark here.
    pub cursor: Option<String>,
}

/// Histories read for several tickets: each ticket's id and its answer.
pub type Histories = Vec<(u64, Result<Vec<Journal>, TrackerError>)>;

/// A ticket to open.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTicket {
    /// The tracker project (the client's, from `[tickets.projects]`).
    pub project: String,
    pub client: String,
    pub title: String,
    pub priority: String,
    pub description: String,
}

/// A status a ticket can take, and whether it closes the ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusName {
    pub name: String,
    pub closed: bool,
}

/// A ticket tracker. Object safe: the console holds a `Box<dyn TicketBackend>`.
pub trait TicketBackend: Send + Sync {
    /// Short name for the store and the screen (`redmine`, `builtin`).
    fn name(&self) -> &str;
    /// Open tickets of the configured projects, with notes and status
    /// history. `known` holds the previous sync's tickets and `cursor` its
    /// bookmark: a backend may reuse their history when a ticket has not
    /// changed since, and ask only for what changed after the bookmark.
    /// A backend whose histories cost a call each may leave them unread,
    /// marked with [`Ticket::journals_as_of`]; the desk then reads those a
    /// clock needs through [`TicketBackend::histories`].
    fn sync_tickets<'a>(
        &'a self,
        known: &'a [Ticket],
        cursor: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Synced, TrackerError>>;
    /// Every open ticket, read afresh (history of unchanged known tickets
    /// reused).
    fn open_tickets<'a>(
        &'a self,
        known: &'a [Ticket],
    ) -> BoxFuture<'a, Result<Synced, TrackerError>> {
        self.sync_tickets(known, None)
    }
    /// One ticket's whole history (notes and status changes), for the
    /// detail of a ticket whose history a sync did not need to read.
    fn history<'a>(&'a self, ticket: u64) -> BoxFuture<'a, Result<Vec<Journal>, TrackerError>>;
    /// Several tickets' histories, in the order asked (one answer each).
    fn histories<'a>(&'a self, tickets: &'a [u64]) -> BoxFuture<'a, Histories> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(tickets.len());
            for id in tickets {
                out.push((*id, self.history(*id).await));
            }
            out
        })
    }
    /// Opens a ticket; returns its id.
    fn create<'a>(&'a self, ticket: &'a NewTicket) -> BoxFuture<'a, Result<u64, TrackerError>>;
    /// The statuses a ticket can be given.
    fn statuses<'a>(&'a self) -> BoxFuture<'a, Result<Vec<StatusName>, TrackerError>>;
    /// Gives a ticket a status (by name, as `statuses` lists them).
    fn set_status<'a>(
        &'a self,
        ticket: u64,
        status: &'a str,
    ) -> BoxFuture<'a, Result<(), TrackerError>>;
    /// How many tickets were opened in `project` since `since`, closed ones
    /// included (the yearly call quota counts every call).
    fn opened_since<'a>(
        &'a self,
        project: &'a str,
        since: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<u64, TrackerError>>;
    /// Adds a note to a ticket.
    fn add_note<'a>(
        &'a self,
        ticket: u64,
        text: &'a str,
    ) -> BoxFuture<'a, Result<(), TrackerError>>;
    /// Records time on a ticket; returns the tracker's id of the entry.
    fn push_time<'a>(
        &'a self,
        entry: &'a TimePush,
    ) -> BoxFuture<'a, Result<Option<u64>, TrackerError>>;
    /// The ticket's page for a browser, if the tracker has one.
    fn ticket_url(&self, ticket: u64) -> Option<String>;
    /// Time recorded in the tracker on the configured projects, booked
    /// from `from` to `to` (local dates, both included), for timesheets.
    /// `titles` names tickets the entries may refer to.
    fn time_entries<'a>(
        &'a self,
        from: NaiveDate,
        to: NaiveDate,
        titles: &'a std::collections::HashMap<u64, String>,
    ) -> BoxFuture<'a, Result<Vec<WorkEntry>, TrackerError>>;
}

/// The operator's name for timers: `$VIGIE_OPERATOR`, else `$USER`.
pub fn operator() -> String {
    ["VIGIE_OPERATOR", "USER"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .map(|v| crate::sanitize::clean_short(&v, 40))
        .unwrap_or_else(|| "operator".into())
}

/// Reads a secret from its environment variable, else its file. The file
/// must be owned by the user and unreadable by others (like ssh keys).
pub fn read_secret(src: &SecretSource) -> Result<String, TrackerError> {
    if let Some(var) = &src.env {
        if let Ok(v) = std::env::var(var) {
            let v = v.trim().to_string();
            if !v.is_empty() {
                return Ok(v);
            }
        }
    }
    if let Some(path) = &src.file {
        return crate::secret::read_owner_only(path).map_err(TrackerError::NoKey);
    }
    Err(TrackerError::NoKey(match &src.env {
        Some(var) => format!("${var} is not set"),
        None => "no api_key_env or api_key_file configured".into(),
    }))
}

/// Cleans a multi-line note line by line (a note keeps its line breaks;
/// every other control character becomes visible).
pub fn clean_note(s: &str) -> String {
    s.replace("\r\n", "\n")
        .split('\n')
        .map(crate::sanitize::clean)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn key_file_must_be_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "abc123\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let src = SecretSource {
            env: None,
            file: Some(path.clone()),
        };
        let err = read_secret(&src).unwrap_err();
        assert!(
            err.to_string().contains("readable by group or others"),
            "{err}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_secret(&src).unwrap(), "abc123");
    }

    #[test]
    fn missing_key_names_the_variable() {
        let src = SecretSource {
            env: Some("VIGIE_TEST_SURELY_UNSET_KEY".into()),
            file: None,
        };
        let err = read_secret(&src).unwrap_err();
        assert!(
            err.to_string()
                .contains("$VIGIE_TEST_SURELY_UNSET_KEY is not set")
        );
    }

    #[test]
    fn notes_keep_lines_and_lose_escapes() {
        assert_eq!(clean_note("a\r\nb\x1b[31m"), "a\nb␛[31m");
    }
}

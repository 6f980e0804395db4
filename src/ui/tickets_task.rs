//! The console's ticket task: owns the [`Desk`] (tracker + store), syncs on
//! the configured interval, retries queued time entries, and executes the
//! Tickets pane's commands. It answers with `Msg::Tickets`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::mpsc;

use super::app::Msg;
use super::panes::tickets::{TicketCmd, TicketsFeed};
use crate::model::Fleet;
use crate::sources::tickets::desk::{Desk, backend_from};
use crate::sources::tickets::operator;
use crate::store::tickets::TicketStore;

/// How long a sync may go on reading histories, from when it began (a sync
/// that needs many reads none, see `Desk::sync_until`): a first sync of many
/// tickets shows them as soon as they are listed.
const SYNC_HISTORIES: Duration = Duration::from_secs(2);
/// One round of reading histories between commands.
const HISTORY_ROUND: Duration = Duration::from_secs(1);

/// Starts the task; the sender takes the pane's commands.
pub fn spawn(fleet: Arc<Fleet>, db: PathBuf, tx: mpsc::Sender<Msg>) -> mpsc::Sender<TicketCmd> {
    let (cmd_tx, mut cmd_rx) = mpsc::channel::<TicketCmd>(64);
    tokio::spawn(async move {
        let who = operator();
        let setup = backend_from(&fleet.tickets, &db, &who).and_then(|b| {
            TicketStore::open(&db)
                .map(|s| {
                    Desk::new(b, s, &who)
                        .with_settings(&fleet.tickets)
                        .with_fleet(fleet.clone())
                })
                .map_err(|e| crate::sources::tickets::TrackerError::Store(e.to_string()))
        });
        let desk = match setup {
            Ok(d) => d,
            Err(e) => {
                let feed = TicketsFeed {
                    problem: Some(format!("tickets: {e}")),
                    ..TicketsFeed::default()
                };
                let _ = tx.send(Msg::Tickets(Box::new(feed))).await;
                return;
            }
        };
        let backend = desk.backend().name().to_string();
        let mut statuses = Vec::new();
        let mut calls = None;
        // Histories a clock still needs are read between commands, a round
        // at a time, while the last round made progress.
        let mut reading = false;
        let mut every = tokio::time::interval(fleet.tickets.sync_interval);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let cmd = tokio::select! {
                biased;
                c = cmd_rx.recv() => match c { Some(c) => Some(c), None => return },
                _ = every.tick() => Some(TicketCmd::Sync),
                _ = std::future::ready(()), if reading => None,
            };
            let mut feed = TicketsFeed {
                backend: backend.clone(),
                statuses: statuses.clone(),
                ..TicketsFeed::default()
            };
            let view = match cmd {
                Some(cmd) => {
                    let began = Instant::now();
                    let (notice, returned) = run(&desk, &fleet, cmd).await;
                    let now = Utc::now();
                    let pushed = desk.push_pending(now).await;
                    // The listing, the status names (once) and the calls
                    // this year are independent questions: asked together,
                    // a tracker with several workers answers them at once.
                    let (view, named, counted) = tokio::join!(
                        desk.sync_until(now, Some(began + SYNC_HISTORIES)),
                        async {
                            if statuses.is_empty() {
                                Some(desk.statuses().await.unwrap_or_default())
                            } else {
                                None
                            }
                        },
                        crate::cli::tickets::count_calls(&desk, &fleet, now),
                    );
                    if let Some(named) = named {
                        statuses = named;
                        feed.statuses = statuses.clone();
                    }
                    calls = counted;
                    feed.notice = notice;
                    feed.returned = returned;
                    if let Ok(outcomes) = pushed {
                        if let Some(err) = outcomes.iter().find_map(|o| o.result.as_ref().err()) {
                            if feed.notice.is_none() {
                                feed.notice = Some(format!("time entry kept in the queue: {err}"));
                            }
                        }
                    }
                    reading = true;
                    view
                }
                None => {
                    let read = desk
                        .read_histories(Utc::now(), Instant::now() + HISTORY_ROUND)
                        .await;
                    if let Err(e) = &read {
                        feed.notice = Some(format!("ticket histories not read: {e}"));
                    }
                    reading = matches!(read, Ok(n) if n > 0);
                    desk.view(None)
                }
            };
            feed.calls = calls.clone();
            match view {
                Ok(v) => {
                    reading &= v.unread > 0;
                    feed.view = Some(v);
                }
                Err(e) => {
                    reading = false;
                    feed.problem = Some(e.to_string());
                }
            }
            if tx.send(Msg::Tickets(Box::new(feed))).await.is_err() {
                return;
            }
        }
    });
    cmd_tx
}

/// A note the tracker did not take, handed back to the editor.
type Returned = Option<(u64, String)>;

/// Executes one command; returns what to tell the operator and a note to
/// hand back to the editor when it could not be sent.
async fn run(desk: &Desk, fleet: &Fleet, cmd: TicketCmd) -> (Option<String>, Returned) {
    let now = Utc::now();
    if let TicketCmd::Note { ticket, text } = cmd {
        return match desk.add_note(ticket, &text).await {
            Ok(()) => (Some(format!("note added to #{ticket}")), None),
            Err(e) => (
                Some(format!(
                    "note NOT sent to #{ticket}: {e}; it is back in the editor"
                )),
                Some((ticket, text)),
            ),
        };
    }
    let notice = match cmd {
        TicketCmd::Sync => None,
        TicketCmd::Start(id) => Some(match desk.start(id, now) {
            Ok(Ok(_)) => format!("timer started on #{id}"),
            Ok(Err(t)) => format!("a timer already runs on #{}: stop it first", t.ticket),
            Err(e) => format!("timer not started: {e}"),
        }),
        TicketCmd::Stop {
            comment,
            title,
            client,
            then_start,
        } => {
            let tz = client
                .as_deref()
                .and_then(|c| fleet.client(c))
                .map_or(chrono_tz::UTC, |c| c.timezone);
            let mut msg = match desk.stop(&comment, now, tz, &title, client.as_deref()) {
                Ok(Some(e)) => format!(
                    "timer stopped: {} on #{} recorded",
                    crate::cli::tickets::short_duration(e.worked()),
                    e.ticket
                ),
                Ok(None) => "no timer was running".into(),
                Err(e) => format!("timer NOT stopped: {e}"),
            };
            if let Some(next) = then_start {
                if let Ok(Ok(_)) = desk.start(next, now) {
                    msg.push_str(&format!("; timer started on #{next}"));
                }
            }
            Some(msg)
        }
        TicketCmd::Note { .. } => None,
        TicketCmd::Create {
            client,
            priority,
            title,
            description,
        } => Some(
            match desk.create(&client, &priority, &title, &description).await {
                Ok(id) => format!("ticket #{id} opened for {client}"),
                Err(e) => format!("ticket NOT opened: {e}"),
            },
        ),
        TicketCmd::SetStatus { ticket, status } => {
            Some(match desk.set_status(ticket, &status).await {
                Ok(()) => format!("#{ticket} is now {status}"),
                Err(e) => format!("status of #{ticket} NOT changed: {e}"),
            })
        }
        TicketCmd::History(ticket) => match desk.history(ticket).await {
            Ok(_) => None,
            Err(e) => Some(format!("history of #{ticket} not read: {e}")),
        },
        TicketCmd::Open(url) => Some(open_url(&url)),
    };
    (notice, None)
}

/// xdg-open when there is one (and a display); else the URL to copy.
fn open_url(url: &str) -> String {
    let has_display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if has_display {
        let spawned = std::process::Command::new("xdg-open")
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if spawned.is_ok() {
            return format!("opening {url}");
        }
    }
    format!("no browser here: {url}")
}

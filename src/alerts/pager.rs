//! The daemon's paging: each round, the alert list goes through the
//! lifecycle (`attention::round`, written to the store when the open set
//! changes), `model::paging::plan` decides the pages, and they are queued
//! in the store before anything is sent. One task per receiver delivers
//! its queue in order, retrying with backoff, so a receiver that hangs
//! never blocks another or the engine; a restart (even kill -9) delivers
//! what is still queued.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::Backoff;
use super::page::Page;
use super::receiver::Receiver;
use crate::model::Fleet;
use crate::model::attention::{self, Alert, Open, Record, Silence};
use crate::model::paging::{Paging, Sent, plan};
use crate::store::pages::{NewPage, PageWrite};
use crate::store::{Reader, WriteHandle, WriteOp};

/// How long a cleared alert keeps its identity (the console's rule).
pub const MERGE_WINDOW: Duration = crate::ui::attention::MERGE_WINDOW;

/// Decides and queues pages, round after round.
pub struct Pager {
    fleet: Arc<Fleet>,
    paging: Paging,
    /// What was decided (the store's, then this process's).
    sent: Vec<Sent>,
    /// The open set last written: ids and whether each was resolved.
    written: Option<Vec<(String, bool)>>,
    /// Each alert as last seen open, for the pages about it.
    known: HashMap<String, Alert>,
    reader: Reader,
    writer: WriteHandle,
}

impl Pager {
    /// Starts from what the store says was already decided.
    pub fn start(fleet: Arc<Fleet>, paging: Paging, reader: Reader, writer: WriteHandle) -> Pager {
        let sent = reader.pages_sent().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "pages sent not read; paging starts afresh");
            Vec::new()
        });
        Pager {
            fleet,
            paging,
            sent,
            written: None,
            known: HashMap::new(),
            reader,
            writer,
        }
    }

    /// The lifecycle as stored now: records and silences.
    pub fn lifecycle(&self, now: DateTime<Utc>) -> (BTreeMap<String, Record>, Vec<Silence>) {
        let records = self.reader.alert_records().unwrap_or_default();
        let silences = self.reader.silences(now).unwrap_or_default();
        (records, silences)
    }

    /// One round at `now`: `list` is every domain's alerts;
    /// `maintenance` says which are under an announced window (not paged,
    /// still recorded). Returns how many pages were queued.
    pub fn round(
        &mut self,
        list: Vec<Alert>,
        maintenance: &dyn Fn(&Alert) -> bool,
        now: DateTime<Utc>,
    ) -> usize {
        let (records, silences) = self.lifecycle(now);
        let (open, kept) = attention::round(&records, list, &silences, MERGE_WINDOW, now);
        let key: Vec<(String, bool)> = kept
            .iter()
            .map(|r| (r.id.clone(), r.resolved.is_some()))
            .collect();
        if self.written.as_ref() != Some(&key) {
            let w = attention_round(kept, now);
            if self.writer.send(w).is_err() {
                tracing::warn!("store writer gone: alert round not written");
            }
            self.written = Some(key);
        }
        let paged: Vec<Open> = open
            .into_iter()
            .map(|mut o| {
                self.known.insert(o.alert.id.clone(), o.alert.clone());
                if o.silenced.is_none() && maintenance(&o.alert) {
                    o.silenced = Some(-1);
                }
                o
            })
            .collect();
        let planned = plan(
            &self.fleet,
            &paged,
            &self.sent,
            &self.paging.routing,
            self.paging.rota.as_ref(),
            &self.paging.timing,
            now,
        );
        if planned.is_empty() {
            return 0;
        }
        let mut pages = Vec::with_capacity(planned.len());
        for p in planned {
            let alerts: Vec<Alert> = p
                .alerts
                .iter()
                .filter_map(|id| {
                    self.known
                        .get(id)
                        .cloned()
                        .or_else(|| self.reader.page_alert(id).ok().flatten())
                })
                .collect();
            for id in &p.alerts {
                self.sent.push(Sent {
                    alert: id.clone(),
                    receiver: p.receiver.clone(),
                    kind: p.kind,
                    at: now,
                    step: p.step,
                });
            }
            tracing::info!(receiver = %p.receiver, kind = p.kind.label(), alerts = ?p.alerts, "page queued");
            pages.push(NewPage {
                receiver: p.receiver,
                step: p.step,
                page: Page {
                    kind: p.kind,
                    alerts,
                    at: now,
                    to: p.to,
                },
            });
        }
        let n = pages.len();
        if self
            .writer
            .send(WriteOp::Pages(PageWrite::Queue(pages)))
            .is_err()
        {
            tracing::warn!("store writer gone: pages not queued");
        }
        // Committed before a delivery task looks for it.
        let writer = self.writer.clone();
        let _ = tokio::task::block_in_place(move || writer.flush());
        for id in self.known.keys().cloned().collect::<Vec<_>>() {
            if !key_has(&self.written, &id) {
                self.known.remove(&id);
            }
        }
        n
    }
}

fn key_has(written: &Option<Vec<(String, bool)>>, id: &str) -> bool {
    written
        .as_ref()
        .is_some_and(|k| k.iter().any(|(x, _)| x == id))
}

fn attention_round(records: Vec<Record>, at: DateTime<Utc>) -> WriteOp {
    WriteOp::Alerts(crate::store::attention::AlertWrite::Round { records, at })
}

/// Starts one delivery task per receiver, reading the queue in `db`.
pub fn deliver(
    receivers: Vec<Receiver>,
    db: PathBuf,
    writer: WriteHandle,
    backoff: Backoff,
) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("vigie/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    Ok(receivers
        .into_iter()
        .map(|r| {
            tokio::spawn(run_receiver(
                r,
                client.clone(),
                db.clone(),
                writer.clone(),
                backoff,
            ))
        })
        .collect())
}

/// How often a delivery task looks at its queue.
const POLL: Duration = Duration::from_millis(200);

async fn run_receiver(
    receiver: Receiver,
    client: reqwest::Client,
    db: PathBuf,
    writer: WriteHandle,
    backoff: Backoff,
) {
    let reader = loop {
        match Reader::open(&db) {
            Ok(r) => break r,
            Err(e) => {
                tracing::warn!(receiver = %receiver.name(), error = %e, "queue not readable; retrying");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    };
    // What this task did that the store may not have committed yet.
    let mut done: HashSet<i64> = HashSet::new();
    let mut retry: HashMap<i64, (u32, DateTime<Utc>)> = HashMap::new();
    let give_up = TimeDelta::from_std(backoff.give_up_after).unwrap_or(TimeDelta::MAX);
    loop {
        let now = Utc::now();
        let pending = reader.pages_pending(now).unwrap_or_default();
        for p in pending {
            if p.receiver != receiver.name() || done.contains(&p.id) {
                continue;
            }
            let tried = retry.get(&p.id).copied();
            if tried.is_some_and(|(_, next)| next > now) {
                // Keep the queue's order: nothing after a page that waits.
                break;
            }
            let attempts = p.attempts.max(tried.map_or(0, |(n, _)| n)) + 1;
            if now - p.decided > give_up {
                done.insert(p.id);
                tracing::warn!(receiver = %receiver.name(), id = p.id, "page given up after retrying too long");
                let _ = writer.send(WriteOp::Pages(PageWrite::Failed {
                    id: p.id,
                    error: "given up after retrying too long".into(),
                    attempts,
                    next: None,
                }));
                continue;
            }
            match receiver.send(&client, &p.page).await {
                Ok(answer) => {
                    done.insert(p.id);
                    retry.remove(&p.id);
                    tracing::info!(receiver = %receiver.name(), id = p.id, attempts, answer = %answer, "page delivered");
                    let _ = writer.send(WriteOp::Pages(PageWrite::Delivered {
                        id: p.id,
                        at: Utc::now(),
                        answer,
                        attempts,
                    }));
                }
                Err(e) => {
                    let wait = backoff.delay(attempts);
                    let next = Utc::now() + TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX);
                    retry.insert(p.id, (attempts, next));
                    tracing::warn!(receiver = %receiver.name(), id = p.id, attempts, error = %e, retry_in = ?wait, "page not delivered");
                    let _ = writer.send(WriteOp::Pages(PageWrite::Failed {
                        id: p.id,
                        error: e,
                        attempts,
                        next: Some(next),
                    }));
                    break;
                }
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

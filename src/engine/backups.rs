//! Backup collection: each listed source (restic, borg, dumps) on its own
//! schedule, a few listings at a time (they start child processes), each
//! outcome written to the store; and the Healthchecks-style ping receiver.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::any;
use chrono::Utc;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::model::backup::{BackupKind, BackupSource, RestorePoint, RunOutcome};
use crate::sources::backups::BackupLister;
use crate::store::backups::BackupWrite;
use crate::store::{WriteHandle, WriteOp};

/// Listings running at once: each is a child process on a small machine.
pub const LISTINGS_AT_ONCE: usize = 4;

/// Lists every source on its schedule while alive; dropping it stops the
/// tasks (and kills their children).
pub struct BackupCollector {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for BackupCollector {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl BackupCollector {
    /// Stops every task and waits until they are gone, so none still holds
    /// the store's writer (whose drop waits for every handle).
    pub async fn stop(mut self) {
        for t in &self.tasks {
            t.abort();
        }
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }

    pub fn start(sources: &[BackupSource], lister: BackupLister, writer: WriteHandle) -> Self {
        let gate = Arc::new(Semaphore::new(LISTINGS_AT_ONCE));
        let tasks = sources
            .iter()
            .filter(|s| !matches!(s.kind, BackupKind::Ping { .. }))
            .map(|src| {
                let (src, lister, writer, gate) =
                    (src.clone(), lister.clone(), writer.clone(), gate.clone());
                tokio::spawn(async move {
                    loop {
                        if crate::sources::backups::is_held(&src) {
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            continue;
                        }
                        let result = {
                            let Ok(_slot) = gate.acquire().await else { return };
                            lister.list(&src).await
                        };
                        if let Some(result) = result {
                            if let Err(e) = &result {
                                tracing::info!(source = %src.id, error = %e, "backup listing failed");
                            }
                            let op = WriteOp::Backup(BackupWrite::Listing {
                                source: src.id.clone(),
                                at: Utc::now(),
                                result,
                            });
                            if writer.send(op).is_err() {
                                return;
                            }
                        }
                        tokio::time::sleep(src.every.max(Duration::from_secs(5))).await;
                    }
                })
            })
            .collect();
        BackupCollector { tasks }
    }
}

/// Lists every listed source once, a few at a time (for `vigie backups`).
pub async fn list_once(
    sources: &[BackupSource],
    lister: &BackupLister,
) -> HashMap<String, Result<Vec<RestorePoint>, String>> {
    let gate = Arc::new(Semaphore::new(LISTINGS_AT_ONCE));
    let mut set = tokio::task::JoinSet::new();
    for src in sources
        .iter()
        .filter(|s| !matches!(s.kind, BackupKind::Ping { .. }))
    {
        let (src, lister, gate) = (src.clone(), lister.clone(), gate.clone());
        set.spawn(async move {
            let _slot = gate.acquire().await.ok();
            (src.id.clone(), lister.list(&src).await)
        });
    }
    let mut out = HashMap::new();
    while let Some(done) = set.join_next().await {
        if let Ok((id, Some(r))) = done {
            out.insert(id, r);
        }
    }
    out
}

/// Largest ping body accepted (it is not read; scripts may send logs).
const PING_BODY_LIMIT: usize = 100 * 1024;

#[derive(Clone)]
struct Pings {
    by_uuid: Arc<HashMap<String, String>>,
    writer: WriteHandle,
}

/// The ping routes: `/ping/<uuid>` (success), `/ping/<uuid>/start`,
/// `/ping/<uuid>/fail` and `/ping/<uuid>/<exit status>` (0 is success), GET
/// or POST, as Healthchecks.io accepts them.
pub fn ping_router(sources: &[BackupSource], writer: WriteHandle) -> Router {
    let by_uuid: HashMap<String, String> = sources
        .iter()
        .filter_map(|s| match &s.kind {
            BackupKind::Ping { uuid } => Some((uuid.clone(), s.id.clone())),
            _ => None,
        })
        .collect();
    Router::new()
        .route("/ping/{uuid}", any(ping_success))
        .route("/ping/{uuid}/{event}", any(ping_event))
        .layer(DefaultBodyLimit::max(PING_BODY_LIMIT))
        .with_state(Pings {
            by_uuid: Arc::new(by_uuid),
            writer,
        })
}

async fn ping_success(
    State(p): State<Pings>,
    Path(uuid): Path<String>,
) -> (StatusCode, &'static str) {
    record(&p, &uuid, RunOutcome::Success)
}

async fn ping_event(
    State(p): State<Pings>,
    Path((uuid, event)): Path<(String, String)>,
) -> (StatusCode, &'static str) {
    let outcome = match event.as_str() {
        "start" => RunOutcome::Started,
        "fail" => RunOutcome::Failed,
        "0" => RunOutcome::Success,
        code if code.parse::<u8>().is_ok() => RunOutcome::Failed,
        _ => return (StatusCode::NOT_FOUND, "unknown ping event\n"),
    };
    record(&p, &uuid, outcome)
}

fn record(p: &Pings, uuid: &str, outcome: RunOutcome) -> (StatusCode, &'static str) {
    let Some(source) = p.by_uuid.get(uuid) else {
        return (StatusCode::NOT_FOUND, "not found\n");
    };
    let op = WriteOp::Backup(BackupWrite::Ping {
        source: source.clone(),
        at: Utc::now(),
        outcome,
    });
    match p.writer.send(op) {
        Ok(()) => (StatusCode::OK, "OK\n"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n"),
    }
}

/// Serves pings on `listener` until the task is dropped.
pub fn serve_pings(
    listener: tokio::net::TcpListener,
    sources: &[BackupSource],
    writer: WriteHandle,
) -> JoinHandle<()> {
    let router = ping_router(sources, writer);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::warn!("ping receiver stopped: {e}");
        }
    })
}

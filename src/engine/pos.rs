//! Watches the stores: one task per store probes its tills, IoT box and
//! lines every `interval` (10 s by default) and reads Odoo's sessions every
//! `odoo_interval`, judges the round (model::pos) and sends the store's
//! view. Independent of the check engine, so a slow store never delays a
//! health check.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use futures::future::join_all;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::model::pos::{
    AlertTracker, Observation, OdooProblem, PosSession, Reading, StorePos, StoreView, Timeline,
    judge,
};
use crate::model::{CheckKind, Client, Fleet, HttpCheck, JsonCondition, JsonOp, Site};
use crate::sources::Sources;
use crate::sources::odoo::{self, OdooApi, OdooError};
use crate::store::pos::PosWrite;
use crate::store::{Reader, WriteHandle, WriteOp};

/// Sessions read from Odoo: those not closed, and those started this
/// long ago at most.
pub const SESSIONS_RECENT: TimeDelta = TimeDelta::hours(72);

/// A client's Odoo as the stores see it: a client, or why there is none.
#[derive(Clone)]
pub enum OdooLink {
    None,
    /// The API and the `/web/health` check of the same Odoo.
    Api(Arc<dyn OdooApi>, Arc<CheckKind>),
    Broken(OdooProblem),
}

/// Odoo's `/web/health` read exactly as an `odoo_health` check reads it.
pub fn health_check(url: &str) -> CheckKind {
    let health = match crate::urls::parse_base(url) {
        Ok(base) => crate::urls::join(&base, "/web/health").to_string(),
        // Probed as written: the probe then says what is wrong with it.
        Err(_) => format!("{}/web/health", url.trim_end_matches('/')),
    };
    let mut h = HttpCheck::get(health);
    h.odoo = true;
    h.json = Some(JsonCondition {
        pointer: "/status".into(),
        op: JsonOp::Eq,
        value: serde_json::Value::String("pass".into()),
    });
    CheckKind::Http(h)
}

/// Builds the client's Odoo link (reading its key now).
pub fn odoo_link(client: &Client, sources: &Sources, timeout: std::time::Duration) -> OdooLink {
    let Some(conn) = &client.odoo else {
        return OdooLink::None;
    };
    match odoo::secret::read(&conn.secret) {
        Ok(secret) => OdooLink::Api(
            odoo::connect(sources.http_client(), conn, secret, timeout),
            Arc::new(health_check(&conn.url)),
        ),
        Err(e) => OdooLink::Broken(e.problem()),
    }
}

/// Every watched store of the fleet with its client.
pub fn stores(fleet: &Fleet) -> Vec<(&Client, &Site, &StorePos)> {
    fleet
        .clients
        .iter()
        .flat_map(|c| {
            c.sites
                .iter()
                .filter_map(move |s| s.pos.as_ref().map(|p| (c, s, p)))
        })
        .collect()
}

type OdooReading = (
    Option<Result<Vec<PosSession>, OdooProblem>>,
    Option<Reading>,
);

/// The sessions and `/web/health`, read together.
async fn read(link: &OdooLink, store: &StorePos, sources: &Sources) -> OdooReading {
    match link {
        OdooLink::None => (None, None),
        OdooLink::Broken(p) => (Some(Err(p.clone())), None),
        OdooLink::Api(api, health) => {
            let sessions =
                odoo::read_sessions(api.as_ref(), &store.configs, Utc::now(), SESSIONS_RECENT);
            let (got, probe) =
                tokio::join!(sessions, sources.probe(health, store.settings.timeout));
            let reading = Reading {
                status: probe.status,
                latency_ms: probe.latency_ms,
                message: probe.message,
            };
            (Some(got.map_err(|e: OdooError| e.problem())), Some(reading))
        }
    }
}

async fn observe(
    http: &reqwest::Client,
    store: &StorePos,
    (odoo, odoo_health): OdooReading,
) -> Observation {
    let e = crate::sources::pos::equipment(http, store).await;
    Observation {
        at: Utc::now(),
        tills: e.tills,
        iot: e.iot,
        uplinks: e.uplinks,
        active: e.active,
        odoo,
        odoo_health,
    }
}

/// What a store's task starts from: the state a previous run left in the
/// store (or the demo's earlier day).
#[derive(Debug, Clone, Default)]
pub struct Resume {
    /// Raised alerts and how long each condition has lasted.
    pub tracker: AlertTracker,
    pub timeline: Timeline,
    /// The store's last state (what alerts were last sent about it).
    pub status: Option<crate::model::Status>,
}

/// How the monitor runs.
#[derive(Debug, Default)]
pub struct PosOptions {
    /// Where each round is kept (the collector: the daemon, or a console
    /// while no daemon runs).
    pub writer: Option<WriteHandle>,
    /// Per (client, site).
    pub resume: BTreeMap<(String, String), Resume>,
}

/// What a previous run left in the store at `db`, per (client, site);
/// nothing when the store cannot be read (logged).
pub fn resume_from(db: &std::path::Path) -> BTreeMap<(String, String), Resume> {
    match Reader::open(db).and_then(|r| r.pos_stores(None)) {
        Ok(stored) => stored
            .into_iter()
            .map(|(k, s)| {
                (
                    k,
                    Resume {
                        tracker: s.tracker,
                        status: Some(s.view.status),
                        timeline: s.view.timeline,
                    },
                )
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "stored POS state not read; the stores start afresh");
            BTreeMap::new()
        }
    }
}

/// A running monitor; dropping it stops every store task.
pub struct PosMonitor {
    _tasks: JoinSet<()>,
    pub stores: usize,
}

impl PosMonitor {
    pub fn start(fleet: &Fleet, sources: &Sources, tx: mpsc::Sender<StoreView>) -> PosMonitor {
        PosMonitor::start_with(fleet, sources, tx, PosOptions::default())
    }

    /// Starts every store's task from its `resume` state; each round is
    /// sent on `tx` and, with a writer, kept in the store.
    pub fn start_with(
        fleet: &Fleet,
        sources: &Sources,
        tx: mpsc::Sender<StoreView>,
        mut options: PosOptions,
    ) -> PosMonitor {
        let mut tasks = JoinSet::new();
        let http = sources.http_client();
        let mut count = 0;
        for client in &fleet.clients {
            let sites: Vec<&Site> = client.sites.iter().filter(|s| s.pos.is_some()).collect();
            let Some(first) = sites.first().and_then(|s| s.pos.as_ref()) else {
                continue;
            };
            let link = odoo_link(client, sources, first.settings.timeout);
            for site in sites {
                let Some(store) = site.pos.clone() else {
                    continue;
                };
                count += 1;
                let resume = options
                    .resume
                    .remove(&(client.id.clone(), site.id.clone()))
                    .unwrap_or_default();
                let (client_id, site, link, http, tx) = (
                    client.id.clone(),
                    site.clone(),
                    link.clone(),
                    http.clone(),
                    tx.clone(),
                );
                let sources = sources.clone();
                let writer = options.writer.clone();
                tasks.spawn(async move {
                    let Resume {
                        mut tracker,
                        mut timeline,
                        ..
                    } = resume;
                    let mut sessions = (None, None);
                    let mut odoo_at: Option<Instant> = None;
                    let mut next = Instant::now();
                    loop {
                        tokio::time::sleep_until(next).await;
                        if odoo_at.is_none_or(|t| t.elapsed() >= store.settings.odoo_interval) {
                            odoo_at = Some(Instant::now());
                            sessions = read(&link, &store, &sources).await;
                        }
                        let obs = observe(&http, &store, sessions.clone()).await;
                        let view =
                            judge(&client_id, &site, &store, &obs, &mut tracker, &mut timeline);
                        if let Some(w) = &writer {
                            let kept = PosWrite::new(&view, &tracker)
                                .is_some_and(|op| w.send(WriteOp::Pos(Box::new(op))).is_ok());
                            if !kept {
                                tracing::warn!(site = %site.id, "store writer gone: POS state not kept");
                            }
                        }
                        if tx.send(view).await.is_err() {
                            return;
                        }
                        next += store.settings.interval;
                        let now = Instant::now();
                        while next < now {
                            next += store.settings.interval;
                        }
                    }
                });
            }
        }
        PosMonitor {
            _tasks: tasks,
            stores: count,
        }
    }
}

/// Observes every store once (for `vigie pos`). With no history, every
/// condition is reported at once (no minimum duration).
pub async fn run_once(fleet: &Fleet, sources: &Sources) -> Vec<StoreView> {
    let http = sources.http_client();
    let mut links = Vec::new();
    for client in &fleet.clients {
        let timeout = client
            .sites
            .iter()
            .find_map(|s| s.pos.as_ref())
            .map(|p| p.settings.timeout);
        if let Some(timeout) = timeout {
            links.push((client.id.clone(), odoo_link(client, sources, timeout)));
        }
    }
    let jobs = stores(fleet).into_iter().map(|(client, site, store)| {
        let link = links
            .iter()
            .find(|(id, _)| *id == client.id)
            .map_or(OdooLink::None, |(_, l)| l.clone());
        let http = http.clone();
        async move {
            let mut store = store.clone();
            store.settings.alert_after = std::time::Duration::ZERO;
            let sessions = read(&link, &store, sources).await;
            let obs = observe(&http, &store, sessions).await;
            judge(
                &client.id,
                site,
                &store,
                &obs,
                &mut AlertTracker::default(),
                &mut Timeline::default(),
            )
        }
    });
    join_all(jobs).await
}

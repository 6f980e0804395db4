//! Announced maintenance windows as the judge sees them: per check, the
//! spans during which it shows 'maintenance' and raises no alert. Refreshed
//! from the store, so a window planned from the CLI or another console is
//! followed within [`REFRESH_EVERY`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::Fleet;
use crate::model::maintenance::MaintenanceWindow;
use crate::model::maintenance::fleet::{covers, covers_stores};
use crate::store::Reader;

/// [start, end) spans per check id.
pub type Spans = HashMap<String, Vec<(DateTime<Utc>, DateTime<Utc>)>>;

/// Check id -> [start, end) spans of announced windows covering it.
pub type Silences = Arc<RwLock<Spans>>;

pub const REFRESH_EVERY: Duration = Duration::from_secs(20);

/// The spans of every check covered by a window that excuses its time
/// (announced before it began, not cancelled), and of every POS store
/// (by `model::pos::alert_id`).
pub fn spans(fleet: &Fleet, windows: &[MaintenanceWindow]) -> Spans {
    let mut out: HashMap<String, Vec<_>> = HashMap::new();
    for w in windows.iter().filter(|w| w.excuses()) {
        for (client, site, _) in crate::engine::pos::stores(fleet) {
            if covers_stores(fleet, w, client) {
                out.entry(crate::model::pos::alert_id(&client.id, &site.id))
                    .or_default()
                    .push((w.start, w.end));
            }
        }
        for (host, check) in fleet.checks() {
            if covers(fleet, w, &host.name, &check.id) {
                out.entry(check.id.clone())
                    .or_default()
                    .push((w.start, w.end));
            }
        }
    }
    out
}

/// Whether `check` is under announced maintenance at `at`.
pub fn silenced(silences: &Silences, check: &str, at: DateTime<Utc>) -> bool {
    // A poisoned lock only means a refresh panicked; the last spans stand.
    let map = silences.read().unwrap_or_else(|e| e.into_inner());
    map.get(check)
        .is_some_and(|v| v.iter().any(|(a, b)| *a <= at && at < *b))
}

/// Replaces the spans from the store once.
pub fn refresh(db: &std::path::Path, fleet: &Fleet, silences: &Silences) {
    let windows = match Reader::open(db).and_then(|r| r.maintenance_windows()) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "maintenance windows not read; the last ones stand");
            return;
        }
    };
    let fresh = spans(fleet, &windows);
    let mut map = silences.write().unwrap_or_else(|e| e.into_inner());
    *map = fresh;
}

/// Keeps `silences` in step with the store until the runtime stops.
pub fn watch(db: PathBuf, fleet: Arc<Fleet>, silences: Silences) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(REFRESH_EVERY);
        loop {
            every.tick().await;
            let (db, fleet, silences) = (db.clone(), fleet.clone(), silences.clone());
            let _ = tokio::task::spawn_blocking(move || refresh(&db, &fleet, &silences)).await;
        }
    })
}

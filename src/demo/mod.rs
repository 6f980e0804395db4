//! The embedded default: a small simulated fleet on loopback, probed by the
//! real engine and sources, and a store seeded with months of history.

pub mod backups;
pub mod maintenance;
pub mod odoo;
pub mod pos;
pub mod seed;
pub mod server;
pub mod store;
pub mod tracker;
pub mod usage;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;

use chrono::{DateTime, Duration, Utc};

use crate::config::{self, Config};
use crate::model::Fleet;
use crate::store::{WriteHandle, WriteOp};

/// The demo fleet's configuration; `{ADDR}` becomes the loopback address.
pub const FLEET_TOML: &str = include_str!("fleet.toml");

/// Days of history seeded into a fresh demo store.
pub const SEED_DAYS: i64 = 90;

/// One seeded result per check every this long.
pub const SEED_STEP: Duration = Duration::minutes(5);

/// A running demo: its servers live as long as the async runtime, its keys
/// in a temporary directory removed when this is dropped, its store the
/// user's shared demo store (see [`store`]) or, without a place for it, a
/// private one in that temporary directory.
pub struct Demo {
    pub config: Config,
    pub addr: SocketAddr,
    pub db: PathBuf,
    /// The shared store's lock, held while this process runs.
    pub shared: Option<store::SharedStore>,
    _dir: tempfile::TempDir,
}

impl Demo {
    /// Whether its store is this process's own (each subcommand then
    /// writes the history it reads).
    pub fn private(&self) -> bool {
        self.shared.is_none()
    }

    /// Whether this process found the store to seed.
    pub fn seed_due(&self) -> bool {
        self.shared.as_ref().is_none_or(|s| s.seed_due)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the embedded demo configuration is invalid: {0}")]
    Config(#[from] config::ConfigError),
}

/// Starts the simulated fleet on loopback and returns its configuration,
/// with the shared demo store in `store_dir` (see [`store`]), or a store
/// of its own when there is no such place.
pub async fn start(store_dir: Option<&Path>) -> Result<Demo, DemoError> {
    let addr = server::serve().await?;
    let dir = tempfile::Builder::new().prefix("vigie-demo-").tempdir()?;
    // The demo's Odoo stand-in and its key, in an owner-only file.
    let key_file = dir.path().join("odoo.key");
    write_owner_only(&key_file, pos::DEMO_KEY)?;
    let odoo_db = std::sync::Arc::new(std::sync::Mutex::new(odoo::OdooDb::default()));
    let odoo_addr = odoo::serve(odoo_db.clone()).await?;
    // The demo tracker's key, next to it (see `config_with`).
    write_owner_only(&key_file.with_file_name("tracker.key"), tracker::DEMO_KEY)?;
    let config = config_with(addr, odoo_addr, &key_file)?;
    if let Ok(mut db) = odoo_db.lock() {
        pos::fill_odoo(&mut db, &config.fleet, Utc::now());
        usage::fill_odoo(&mut db, &config.fleet, Utc::now());
    }
    let (db, shared) = match store_dir {
        Some(d) => {
            let (shared, mark) = store::open(d, Utc::now()).map_err(|e| {
                std::io::Error::new(e.kind(), format!("the demo store in {}: {e}", d.display()))
            })?;
            if shared.seed_due {
                store::set_due(mark);
            }
            (shared.db.clone(), Some(shared))
        }
        None => {
            store::set_due(None);
            (dir.path().join("demo.db"), None)
        }
    };
    let seed_due = shared.as_ref().is_none_or(|s| s.seed_due);
    // A timer running on one demo ticket, as if started 25 minutes ago.
    if let Some(mut store) = seed_due
        .then(|| crate::store::tickets::TicketStore::open(&db).ok())
        .flatten()
    {
        let who = crate::sources::tickets::operator();
        let started = Utc::now() - Duration::minutes(25);
        if let Err(e) = store.start_timer(&who, "redmine", tracker::TIMER_TICKET, started) {
            tracing::warn!("demo timer not started: {e}");
        }
    }
    Ok(Demo {
        config,
        addr,
        db,
        shared,
        _dir: dir,
    })
}

/// The demo configuration pointed at `addr` (Odoo too, with no key).
pub fn config_for(addr: SocketAddr) -> Result<Config, config::ConfigError> {
    config_with(addr, addr, Path::new("/nonexistent/vigie-demo-odoo.key"))
}

/// The demo configuration pointed at the fleet at `addr` and the Odoo
/// stand-in at `odoo`, whose key is in `key_file`.
pub fn config_with(
    addr: SocketAddr,
    odoo: SocketAddr,
    key_file: &Path,
) -> Result<Config, config::ConfigError> {
    config::parse(
        &FLEET_TOML
            .replace("{ADDR}", &addr.to_string())
            .replace("{ODOO}", &odoo.to_string())
            .replace("{ODOO_KEY_FILE}", &key_file.display().to_string())
            .replace("{BACKUPS}", &backups::dir().to_string_lossy())
            .replace(
                "{KEYFILE}",
                &key_file.with_file_name("tracker.key").display().to_string(),
            ),
        Path::new("<demo>"),
    )
}

fn write_owner_only(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

/// Seeding in progress. Dropping it stops queueing history, so quitting
/// never waits for months of rows to be written.
pub struct Seeding {
    stop: Arc<AtomicBool>,
    recent: Option<std_mpsc::Receiver<()>>,
    done: Option<std_mpsc::Receiver<()>>,
}

impl Seeding {
    /// Blocks until the most recent week is written (or `limit` passes).
    /// Start the engine after it: a live result written first would make
    /// the store ignore the older rows when it tells how long each check
    /// has been in its state.
    pub fn wait_recent(&mut self, limit: std::time::Duration) {
        if let Some(recent) = self.recent.take() {
            if recent.recv_timeout(limit).is_err() {
                tracing::warn!("demo history still being written; starting the engine anyway");
            }
        }
    }

    /// Blocks until every row is written (or `limit` passes): a `--demo`
    /// subcommand reads the store it seeded right after.
    pub fn wait_done(&mut self, limit: std::time::Duration) -> bool {
        self.wait_recent(limit);
        match self.done.take() {
            Some(done) => done.recv_timeout(limit).is_ok(),
            None => true,
        }
    }

    /// The receiver `wait_recent` waits on, to wait on another thread.
    pub fn take_recent(&mut self) -> Option<std_mpsc::Receiver<()>> {
        self.recent.take()
    }
}

impl Drop for Seeding {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Seeds months of history on a background thread: first the most recent
/// week of every check in one batch (then [`Seeding::wait_recent`] returns),
/// then older weeks a check at a time, waiting for each batch so live
/// results never queue behind months of history and quitting waits for one
/// batch at most. Seeds only once per process, and only when the store
/// needs it (see [`store`]): the shared demo store another process seeded
/// is left as it is.
pub fn seed_in_background(writer: WriteHandle, fleet: Arc<Fleet>, now: DateTime<Utc>) -> Seeding {
    let stop = Arc::new(AtomicBool::new(false));
    let Some(mark) = store::take_due() else {
        return Seeding {
            stop,
            recent: None,
            done: None,
        };
    };
    let stopped = stop.clone();
    let (recent_tx, recent_rx) = std_mpsc::channel();
    let (done_tx, done_rx) = std_mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("vigie-demo-seed".into())
        .spawn(move || {
            let started = std::time::Instant::now();
            for w in maintenance::windows(now) {
                let _ = writer.send(WriteOp::SaveWindow(w));
            }
            let days = SEED_DAYS.min(7);
            let recent: Vec<_> = fleet
                .checks()
                .flat_map(|(_, check)| seed::history(check, now, days, SEED_STEP))
                .collect();
            let mut rows = recent.len();
            if writer.send(WriteOp::Results(recent)).is_err() || writer.flush().is_err() {
                return;
            }
            // A year of usage samples (a few thousand rows), with the week
            // the engine waits for.
            if writer
                .send(WriteOp::Usage(usage::samples(&fleet, now)))
                .is_err()
                || writer.flush().is_err()
            {
                return;
            }
            if let Some(m) = &mark {
                m.share();
            }
            let _ = recent_tx.send(());
            tracing::info!(
                rows,
                ms = started.elapsed().as_millis() as u64,
                "demo history: last week written"
            );
            for week in 1..SEED_DAYS.div_euclid(7) + 1 {
                let end = now - Duration::days(7 * week);
                let days = (SEED_DAYS - 7 * week).min(7);
                if days <= 0 {
                    break;
                }
                for (_, check) in fleet.checks() {
                    if stopped.load(Ordering::Relaxed) {
                        return;
                    }
                    let history = seed::history(check, end, days, SEED_STEP);
                    rows += history.len();
                    if writer.send(WriteOp::Backfill(history)).is_err() || writer.flush().is_err() {
                        return;
                    }
                }
            }
            tracing::info!(
                rows,
                ms = started.elapsed().as_millis() as u64,
                "demo history written"
            );
            if let Some(m) = &mark {
                m.done(now);
            }
            let _ = done_tx.send(());
        });
    if let Err(e) = spawned {
        tracing::warn!("demo history not seeded: {e}");
    }
    Seeding {
        stop,
        recent: Some(recent_rx),
        done: Some(done_rx),
    }
}

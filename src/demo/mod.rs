//! The embedded default: a small simulated fleet on loopback, probed by the
//! real engine and sources, and a store seeded with months of history.

pub mod seed;
pub mod server;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// A running demo: its servers live as long as the async runtime, its store
/// in a temporary directory removed when this is dropped.
pub struct Demo {
    pub config: Config,
    pub addr: SocketAddr,
    pub db: PathBuf,
    _dir: tempfile::TempDir,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the embedded demo configuration is invalid: {0}")]
    Config(#[from] config::ConfigError),
}

/// Starts the simulated fleet on loopback and returns its configuration.
pub async fn start() -> Result<Demo, DemoError> {
    let addr = server::serve().await?;
    let config = config_for(addr)?;
    let dir = tempfile::Builder::new().prefix("vigie-demo-").tempdir()?;
    let db = dir.path().join("demo.db");
    Ok(Demo {
        config,
        addr,
        db,
        _dir: dir,
    })
}

/// The demo configuration pointed at `addr`.
pub fn config_for(addr: SocketAddr) -> Result<Config, config::ConfigError> {
    config::parse(
        &FLEET_TOML.replace("{ADDR}", &addr.to_string()),
        Path::new("<demo>"),
    )
}

/// Seeding in progress. Dropping it stops queueing history, so quitting
/// never waits for months of rows to be written.
pub struct Seeding {
    stop: Arc<AtomicBool>,
}

impl Drop for Seeding {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Seeds months of history on a background thread, a week of one check at a
/// time, newest first; the console does not wait for it.
pub fn seed_in_background(writer: WriteHandle, fleet: Arc<Fleet>, now: DateTime<Utc>) -> Seeding {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let spawned = std::thread::Builder::new()
        .name("vigie-demo-seed".into())
        .spawn(move || {
            let started = std::time::Instant::now();
            let mut rows = 0usize;
            for week in 0..SEED_DAYS.div_euclid(7) + 1 {
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
                    // Waiting for each batch keeps the queue short, so
                    // live results are never stuck behind months of history
                    // and quitting waits for one batch at most.
                    if writer.send(WriteOp::Results(history)).is_err() || writer.flush().is_err() {
                        return;
                    }
                }
            }
            tracing::info!(
                rows,
                ms = started.elapsed().as_millis() as u64,
                "demo history written"
            );
        });
    if let Err(e) = spawned {
        tracing::warn!("demo history not seeded: {e}");
    }
    Seeding { stop }
}

//! The `postgres` check: one kept connection per server (tokio-postgres,
//! as a `pg_monitor` role), a few catalogue queries sent together each
//! round, read into a [`Reading`] that `model::postgres` judges.
//!
//! Every wait is bounded: the connect timeout, a `statement_timeout` and
//! `lock_timeout` set for the session at startup, and the engine's timeout
//! around the whole round. TLS is not spoken: a URL asking for it
//! (`sslmode=require`) is refused by the configuration.

pub mod archive;
pub mod pgpass;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls, Row};

use super::{Probe, elapsed_ms};
use crate::model::postgres::{
    self as pg, Archiver, PostgresCheck, Reading, Receiver, ReplicaRow, Slot,
};
use crate::model::{Metric, Status};
use crate::sanitize;

/// Connections kept between rounds, per check URL: a monitor that
/// reconnects each minute would itself churn the server's backends, and a
/// kept session still reads the server when its slots are exhausted.
pub type Kept = Arc<Mutex<HashMap<String, Arc<Client>>>>;

/// Rows read at most of each list (replicas, slots, databases).
const ROWS: i64 = 32;

/// Queries of one round, sent together (pipelined on the one connection).
pub const QUERIES_PER_ROUND: usize = 5;

const SESSION: &str = "SELECT pg_is_in_recovery(),
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int8,
  current_setting('max_connections')::int8 - current_setting('superuser_reserved_connections')::int8,
  (SELECT extract(epoch FROM max(now() - xact_start))::float8 FROM pg_stat_activity
    WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND xact_start IS NOT NULL),
  (SELECT extract(epoch FROM max(now() - state_change))::float8 FROM pg_stat_activity
    WHERE state LIKE 'idle in transaction%'),
  (SELECT count(*) FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0)::int8,
  current_setting('archive_mode')";

const DATABASES: &str = "SELECT datname::text, pg_database_size(oid)::float8 FROM pg_database
  WHERE datallowconn AND NOT datistemplate ORDER BY datname LIMIT $1";

// On a replica pg_current_wal_lsn() fails: the CASE keeps both queries
// valid on either side (a replica has no replicas of its own here).
const REPLICAS: &str = "SELECT coalesce(nullif(application_name, ''), host(client_addr), 'pid ' || pid),
  coalesce(state, '?'),
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 END,
  extract(epoch FROM replay_lag)::float8
  FROM pg_stat_replication ORDER BY 1 LIMIT $1";

const SLOTS: &str = "SELECT slot_name::text, active,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 END
  FROM pg_replication_slots ORDER BY 1 LIMIT $1";

// Receive and replay positions (replica), and the archiver (primary, or a
// replica with archive_mode = always). Ages come from the server's clock.
const WAL: &str = "SELECT (SELECT status FROM pg_stat_wal_receiver LIMIT 1),
  pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8,
  CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0::float8
    ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END,
  a.archived_count, a.last_archived_wal, extract(epoch FROM now() - a.last_archived_time)::float8,
  a.failed_count, a.last_failed_wal,
  a.failed_count > 0 AND (a.last_archived_time IS NULL OR a.last_failed_time > a.last_archived_time)
  FROM pg_stat_archiver AS a";

/// One round of `check`, within `timeout` (the engine bounds it too).
pub async fn probe(check: &PostgresCheck, kept: &Kept, timeout: Duration) -> Probe {
    let start = Instant::now();
    let client = match client(check, kept, timeout).await {
        Ok(c) => c,
        Err(p) => return p,
    };
    let reading = match read(&client).await {
        Ok(r) => r,
        Err(e) => {
            // A broken session is dropped so the next round reconnects.
            if client.is_closed() {
                forget(kept, &check.url);
            }
            return failure(&e, "query");
        }
    };
    let metrics: Vec<Metric> = pg::metrics(&reading);
    let (status, message) = pg::judge(&reading, check, &metrics);
    Probe {
        status,
        latency_ms: Some(elapsed_ms(start)),
        message: sanitize::clean_short(&message, 160),
        metrics,
    }
}

/// The kept session of `check`, or a new one.
async fn client(
    check: &PostgresCheck,
    kept: &Kept,
    timeout: Duration,
) -> Result<Arc<Client>, Probe> {
    let held = kept.lock().ok().and_then(|k| k.get(&check.url).cloned());
    if let Some(c) = held.filter(|c| !c.is_closed()) {
        return Ok(c);
    }
    let cfg = config(check, timeout, &|k| std::env::var(k).ok())
        .map_err(|e| unknown(sanitize::clean_short(&e, 160)))?;
    let (client, connection) = cfg
        .connect(NoTls)
        .await
        .map_err(|e| failure(&e, "connect"))?;
    // The connection task ends when the client is dropped or the server
    // goes away; the client then reports closed and is replaced.
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "postgres session ended");
        }
    });
    let client = Arc::new(client);
    if let Ok(mut k) = kept.lock() {
        k.insert(check.url.clone(), client.clone());
    }
    Ok(client)
}

fn forget(kept: &Kept, url: &str) {
    if let Ok(mut k) = kept.lock() {
        k.remove(url);
    }
}

/// The connection settings of `check`: its URL, its password (configured,
/// else `.pgpass`), and the bounds on every wait.
pub fn config(
    check: &PostgresCheck,
    timeout: Duration,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, String> {
    config_for(&check.url, check.password.as_ref(), timeout, env)
}

/// [`config`] from a URL and a password's source (a WAL archive's
/// listing uses it too).
pub fn config_for(
    url: &str,
    password: Option<&crate::model::alert::SecretSource>,
    timeout: Duration,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, String> {
    let mut cfg: Config = url
        .parse()
        .map_err(|e| format!("connection URL does not parse: {e}"))?;
    let statement = timeout.mul_f64(0.8).max(Duration::from_millis(100));
    cfg.connect_timeout(timeout.mul_f64(0.8).max(Duration::from_millis(100)))
        .application_name("vigie")
        .options(format!(
            "-c statement_timeout={} -c lock_timeout={} -c idle_in_transaction_session_timeout={}",
            statement.as_millis(),
            (statement / 2).as_millis(),
            statement.as_millis()
        ))
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30));
    match password {
        Some(src) => {
            cfg.password(crate::alerts::read_secret(src, env)?);
        }
        None => {
            let host = match cfg.get_hosts().first() {
                Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
                _ => "localhost".to_string(),
            };
            let user = cfg.get_user().unwrap_or_default().to_string();
            let t = pgpass::Target {
                host: &host,
                port: cfg.get_ports().first().copied().unwrap_or(5432),
                database: cfg.get_dbname().unwrap_or(&user),
                user: &user,
            };
            if let Some(p) = pgpass::read(&t, env)? {
                cfg.password(p);
            }
        }
    }
    Ok(cfg)
}

/// Sends the round's queries together and reads them.
async fn read(client: &Client) -> Result<Reading, tokio_postgres::Error> {
    let (session, databases, replicas, slots, wal) = tokio::try_join!(
        client.query_one(SESSION, &[]),
        client.query(DATABASES, &[&ROWS]),
        client.query(REPLICAS, &[&ROWS]),
        client.query(SLOTS, &[&ROWS]),
        client.query_one(WAL, &[]),
    )?;
    let replica: bool = session.try_get(0)?;
    let archive_mode: String = session.try_get(6)?;
    let archiving = archive_mode == "always" || (archive_mode == "on" && !replica);
    Ok(Reading {
        replica,
        connections: count(&session, 1)?,
        connection_slots: count(&session, 2)?,
        oldest_xact_s: session.try_get(3)?,
        idle_in_xact_s: session.try_get(4)?,
        blocked: count(&session, 5)?,
        databases: databases
            .iter()
            .map(|r| {
                Ok((
                    clean_name(r.try_get(0)?),
                    r.try_get::<_, Option<f64>>(1)?.unwrap_or(0.0),
                ))
            })
            .collect::<Result<_, tokio_postgres::Error>>()?,
        replicas: replicas
            .iter()
            .map(|r| {
                Ok(ReplicaRow {
                    name: clean_name(r.try_get(0)?),
                    state: clean_name(r.try_get(1)?),
                    lag_bytes: r.try_get(2)?,
                    lag_s: r.try_get(3)?,
                })
            })
            .collect::<Result<_, tokio_postgres::Error>>()?,
        slots: slots
            .iter()
            .map(|r| {
                Ok(Slot {
                    name: clean_name(r.try_get(0)?),
                    active: r.try_get(1)?,
                    retained_bytes: r.try_get(2)?,
                })
            })
            .collect::<Result<_, tokio_postgres::Error>>()?,
        receiver: replica
            .then(|| -> Result<Receiver, tokio_postgres::Error> {
                Ok(Receiver {
                    status: wal.try_get::<_, Option<String>>(0)?.map(clean_name),
                    lag_bytes: wal.try_get(1)?,
                    lag_s: wal.try_get(2)?,
                })
            })
            .transpose()?,
        archiver: archiving
            .then(|| -> Result<Archiver, tokio_postgres::Error> {
                Ok(Archiver {
                    archived_count: wal.try_get(3)?,
                    last_archived_wal: wal.try_get::<_, Option<String>>(4)?.map(clean_name),
                    age_s: wal.try_get(5)?,
                    failed_count: wal.try_get(6)?,
                    last_failed_wal: wal.try_get::<_, Option<String>>(7)?.map(clean_name),
                    failing: wal.try_get::<_, Option<bool>>(8)?.unwrap_or(false),
                })
            })
            .transpose()?,
    })
}

fn count(row: &Row, i: usize) -> Result<u32, tokio_postgres::Error> {
    let n: Option<i64> = row.try_get(i)?;
    Ok(u32::try_from(n.unwrap_or(0).max(0)).unwrap_or(u32::MAX))
}

/// Names from the server (databases, replicas, slots) become metric
/// subjects and words on screen: no escapes, no `:`, bounded.
fn clean_name(s: String) -> String {
    sanitize::clean_short(&s.replace(':', "_"), 60)
}

fn unknown(message: String) -> Probe {
    Probe {
        status: Status::Unknown,
        latency_ms: None,
        message,
        metrics: Vec::new(),
    }
}

/// A failed connect or query in words. What the server refuses because of
/// Vigie's own settings (password, privileges) is unknown: it says nothing
/// of the server's health.
/// What the server or the connection said, cleaned and bounded.
fn said(e: &tokio_postgres::Error) -> String {
    let said = match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => std::error::Error::source(e).map_or_else(|| e.to_string(), |s| s.to_string()),
    };
    sanitize::clean_short(&said, 120)
}

fn failure(e: &tokio_postgres::Error, during: &str) -> Probe {
    let said = said(e);
    match e.code() {
        Some(c) if *c == SqlState::TOO_MANY_CONNECTIONS => Probe::down(format!(
            "connections exhausted: the server refused a new session ({said})"
        )),
        Some(c) if *c == SqlState::QUERY_CANCELED => Probe::down(format!(
            "{during} cancelled by its statement timeout ({said})"
        )),
        Some(c)
            if *c == SqlState::INVALID_PASSWORD
                || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
                || *c == SqlState::INSUFFICIENT_PRIVILEGE =>
        {
            unknown(format!(
                "{during} refused: {said} (check the role and its password)"
            ))
        }
        _ => Probe::down(format!("{during} failed: {said}")),
    }
}

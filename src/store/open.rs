//! Opening the file: directory, pragmas, and the checks that keep us from
//! writing into a file that is not ours.

use std::fs;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, MAIN_DB, OpenFlags};

use super::{SCHEMA_VERSION, StoreError};

/// How long a connection waits for another process's lock before giving up.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Marks the file as Vigie's ("VIGI"), set by the first migration. It lets us
/// refuse a SQLite file of another application passed by mistake with --db.
pub const APPLICATION_ID: i32 = 0x5649_4749;

/// Settings shared by the writer and the readers.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How long to wait for a lock held by another connection.
    pub busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
        }
    }
}

/// Opens (creating if needed) the file for the writer: WAL, NORMAL sync,
/// foreign keys. Migrations are not applied here.
///
/// Nothing is written before the file has been recognised as an empty file
/// or a Vigie database of a schema we know.
pub(crate) fn open_for_writing(path: &Path, opts: &StoreOptions) -> Result<Connection, StoreError> {
    let sqlite = |e| StoreError::from_sqlite(path, opts.busy_timeout, e);

    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
            dir: dir.to_path_buf(),
            source,
        })?;
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|source| StoreError::from_sqlite(path, opts.busy_timeout, source))?;
    conn.busy_timeout(opts.busy_timeout).map_err(sqlite)?;

    let version = recognise(&conn, path, opts)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            path: path.to_path_buf(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    // SQLite silently opens a write-protected file read-only.
    if conn.is_readonly(MAIN_DB).map_err(sqlite)? {
        return Err(StoreError::ReadOnly {
            path: path.to_path_buf(),
        });
    }

    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(sqlite)?;
    if !mode.eq_ignore_ascii_case("wal") {
        // Happens on file systems without shared memory (some network mounts):
        // it still works, but consoles will wait on the writer more often.
        tracing::warn!(path = %path.display(), mode, "SQLite refused WAL mode");
    }
    common_pragmas(&conn).map_err(sqlite)?;
    Ok(conn)
}

/// Opens an existing, fully migrated database for reading only.
pub(crate) fn open_for_reading(path: &Path, opts: &StoreOptions) -> Result<Connection, StoreError> {
    let sqlite = |e| StoreError::from_sqlite(path, opts.busy_timeout, e);

    match fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        // Other failures (permissions...) are reported by SQLite below.
        _ => {}
    }
    // Read-write (without create) so that WAL's shared memory can be set up;
    // `query_only` below keeps this connection from changing anything.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(sqlite)?;
    conn.busy_timeout(opts.busy_timeout).map_err(sqlite)?;

    let version = recognise(&conn, path, opts)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            path: path.to_path_buf(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    if version < SCHEMA_VERSION {
        return Err(StoreError::SchemaTooOld {
            path: path.to_path_buf(),
            found: version,
            needs: SCHEMA_VERSION,
        });
    }
    conn.pragma_update(None, "query_only", true)
        .map_err(sqlite)?;
    common_pragmas(&conn).map_err(sqlite)?;
    Ok(conn)
}

/// How long the start-up check may read the file: a store of a few
/// hundred MB is checked whole; a bigger one is checked this far, so a
/// restart never waits on it for long.
pub const QUICK_CHECK_BUDGET: Duration = Duration::from_secs(3);

/// SQLite's `PRAGMA quick_check` on its own connection (so the writer's
/// page cache starts clean), stopped after [`QUICK_CHECK_BUDGET`]. A damaged
/// file is refused and left as it is; a check cut short passes with a log
/// line.
pub(crate) fn quick_check(path: &Path, opts: &StoreOptions) -> Result<(), StoreError> {
    let sqlite = |e| StoreError::from_sqlite(path, opts.busy_timeout, e);
    // Read-write for WAL's shared memory, as readers do; `query_only`
    // keeps the check from changing anything.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(sqlite)?;
    conn.busy_timeout(opts.busy_timeout).map_err(sqlite)?;
    conn.pragma_update(None, "query_only", true)
        .map_err(sqlite)?;
    let interrupt = conn.get_interrupt_handle();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let timer = std::thread::Builder::new()
        .name("vigie-store-check".into())
        .spawn(move || {
            if finished.recv_timeout(QUICK_CHECK_BUDGET)
                == Err(std::sync::mpsc::RecvTimeoutError::Timeout)
            {
                interrupt.interrupt();
            }
        });
    let outcome = conn.prepare("PRAGMA quick_check(5)").and_then(|mut q| {
        q.query_map([], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<String>>>()
    });
    drop(done);
    if let Ok(timer) = timer {
        let _ = timer.join();
    }
    let damaged = |detail: String| StoreError::Damaged {
        path: path.to_path_buf(),
        detail: crate::sanitize::clean_short(&detail, 300),
    };
    match outcome {
        Ok(lines) if lines.iter().all(|l| l == "ok") => Ok(()),
        Ok(lines) => Err(damaged(lines.join("; "))),
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) => {
            tracing::warn!(
                path = %path.display(),
                budget_s = QUICK_CHECK_BUDGET.as_secs(),
                "store quick check not finished in time: the rest of the file is not checked"
            );
            Ok(())
        }
        Err(e) => match super::fault::classify(&e) {
            Some(super::fault::FaultKind::Damaged) => Err(damaged(e.to_string())),
            _ => Err(sqlite(e)),
        },
    }
}

fn common_pragmas(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

/// Reads the header and the schema (which fails on garbage or a damaged
/// file) and returns the schema version if the file is ours or empty.
fn recognise(conn: &Connection, path: &Path, opts: &StoreOptions) -> Result<u32, StoreError> {
    let sqlite = |e| StoreError::from_sqlite(path, opts.busy_timeout, e);
    let not_vigie = |reason: String| StoreError::NotVigie {
        path: path.to_path_buf(),
        reason,
    };

    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(sqlite)?;
    let app_id: i64 = conn
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .map_err(sqlite)?;
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(sqlite)?;

    let version = u32::try_from(version)
        .map_err(|_| not_vigie(format!("negative schema version {version}")))?;
    if version == 0 {
        if app_id != 0 && app_id != i64::from(APPLICATION_ID) {
            return Err(not_vigie(format!(
                "application id {app_id:#x} is not Vigie's"
            )));
        }
        if objects > 0 {
            return Err(not_vigie(format!(
                "it holds {objects} tables or indexes but no Vigie schema"
            )));
        }
    } else if app_id != i64::from(APPLICATION_ID) {
        return Err(not_vigie(format!(
            "schema version {version} without Vigie's application id"
        )));
    }
    Ok(version)
}

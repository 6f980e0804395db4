//! The schema, as an ordered list of steps tracked by `PRAGMA user_version`.
//!
//! Step `n` (1-based) takes the database from version `n - 1` to `n`. To change
//! the schema, append one step to [`MIGRATIONS`]; never edit a shipped one,
//! databases in the field already ran it.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use super::{DEFAULT_BUSY_TIMEOUT, StoreError};

/// Every schema step, oldest first. Adding a migration is adding a line here.
pub const MIGRATIONS: &[&str] = &[
    V1_CHECK_RESULTS,
    V2_CHECK_STATE_AND_AUDIT,
    V3_HEALTH_HISTORY,
    V_TICKETS,
    MAINTENANCE_WINDOWS,
    BACKUP_RUNS_AND_POINTS,
    USAGE_METERS,
    TICKET_SYNC_CURSOR,
    POS_STATE,
    USAGE_MONTHS,
    USAGE_MONTHS_FOR_SQLITE_3_40,
    ALERT_LIFECYCLE,
    PAGES,
];

/// Paging (issue 22): every page decided, queued until its receiver takes
/// it, with its attempts and the receiver's answer or last error, and the
/// alerts it was about. A restart delivers what is still queued.
const PAGES: &str = "
CREATE TABLE pages (
    id         INTEGER PRIMARY KEY,
    receiver   TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    step       INTEGER NOT NULL,
    member     TEXT,
    decided_ms INTEGER NOT NULL,
    page       TEXT    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_ms    INTEGER NOT NULL,
    sent_ms    INTEGER,
    answer     TEXT,
    gave_up    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pages_pending ON pages (receiver, id) WHERE sent_ms IS NULL AND gave_up = 0;
CREATE TABLE page_alerts (
    page_id  INTEGER NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    alert_id TEXT    NOT NULL,
    PRIMARY KEY (alert_id, page_id)
) WITHOUT ROWID;
";

/// The alerts' lifecycle (issue 21): one record per alert identity (its
/// first sighting, when it cleared, who acknowledged it) and silences.
const ALERT_LIFECYCLE: &str = "
CREATE TABLE alert_records (
    id             TEXT PRIMARY KEY,
    first_seen_ms  INTEGER NOT NULL,
    resolved_ms    INTEGER,
    ack_by         TEXT,
    ack_at_ms      INTEGER,
    ack_comment    TEXT,
    ack_expires_ms INTEGER
) WITHOUT ROWID;
CREATE TABLE silences (
    id         INTEGER PRIMARY KEY,
    client     TEXT,
    host       TEXT,
    check_name TEXT,
    domain     TEXT,
    severity   TEXT,
    start_ms   INTEGER NOT NULL,
    end_ms     INTEGER NOT NULL,
    comment    TEXT NOT NULL,
    author     TEXT NOT NULL
);
CREATE INDEX silences_by_end ON silences (end_ms);
";

/// A tracker's bookmark for asking only what changed since the last sync;
/// the client a built-in ticket was opened for, and its description.
const TICKET_SYNC_CURSOR: &str = "
ALTER TABLE ticket_sync ADD COLUMN cursor TEXT;
ALTER TABLE local_tickets ADD COLUMN client TEXT;
ALTER TABLE local_tickets ADD COLUMN description TEXT NOT NULL DEFAULT '';
CREATE INDEX local_tickets_created ON local_tickets (project, created_ms);
";

/// The schema version this binary writes and reads.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Raw samples and the daemon's heartbeat. History queries go per check over
/// a time range, hence the (check_id, at_ms) index.
const V1_CHECK_RESULTS: &str = "
PRAGMA application_id = 1447642953; -- 0x56494749 \"VIGI\", see open::APPLICATION_ID
CREATE TABLE check_results (
    check_id   TEXT    NOT NULL,
    at_ms      INTEGER NOT NULL,
    status     INTEGER NOT NULL,
    latency_ms INTEGER,
    message    TEXT    NOT NULL
);
CREATE INDEX check_results_by_check_time ON check_results (check_id, at_ms);
CREATE TABLE heartbeat (
    role  TEXT PRIMARY KEY,
    pid   INTEGER NOT NULL,
    host  TEXT    NOT NULL,
    at_ms INTEGER NOT NULL
);
";

/// The latest state of each check, so the overview never scans history, and
/// the audit log. `since_ms` is when the current status run began; the
/// backfill finds it as the first sample after the last one with another status.
const V2_CHECK_STATE_AND_AUDIT: &str = "
CREATE TABLE check_state (
    check_id   TEXT PRIMARY KEY,
    status     INTEGER,
    since_ms   INTEGER,
    last_at_ms INTEGER,
    latency_ms INTEGER,
    message    TEXT
);
INSERT INTO check_state (check_id, status, since_ms, last_at_ms, latency_ms, message)
SELECT l.check_id, l.status,
       COALESCE(
           (SELECT MIN(r.at_ms) FROM check_results AS r
             WHERE r.check_id = l.check_id
               AND r.at_ms > IFNULL(
                   (SELECT MAX(o.at_ms) FROM check_results AS o
                     WHERE o.check_id = l.check_id AND o.status <> l.status),
                   l.first_ms - 1)),
           l.at_ms),
       l.at_ms, l.latency_ms, l.message
FROM (SELECT check_id, status, at_ms, latency_ms, message,
             MIN(at_ms) OVER (PARTITION BY check_id) AS first_ms,
             ROW_NUMBER() OVER (PARTITION BY check_id ORDER BY at_ms DESC, rowid DESC) AS rn
        FROM check_results) AS l
WHERE l.rn = 1;
CREATE TABLE audit_log (
    at_ms  INTEGER,
    actor  TEXT,
    action TEXT,
    detail TEXT
);
CREATE INDEX audit_log_by_time ON audit_log (at_ms);
";

/// Health history: a dictionary of checks (so history rows carry a small
/// integer), state intervals (an open one per check has `end_ms` NULL),
/// rollups of latency and of charted metrics per minute, hour and day
/// (`resolution` in seconds). Keys start with time, so pruning is a range
/// delete and writes append. The latest result's observed state, flapping
/// flag and metrics (JSON) join `check_state`.
const V3_HEALTH_HISTORY: &str = "
CREATE TABLE checks (
    key INTEGER PRIMARY KEY,
    id  TEXT NOT NULL UNIQUE
);
CREATE TABLE state_intervals (
    start_ms  INTEGER NOT NULL,
    check_key INTEGER NOT NULL,
    end_ms    INTEGER,
    status    INTEGER NOT NULL,
    cause     TEXT    NOT NULL,
    PRIMARY KEY (start_ms, check_key)
) WITHOUT ROWID;
CREATE INDEX state_intervals_open ON state_intervals (check_key) WHERE end_ms IS NULL;
CREATE TABLE rollups (
    resolution INTEGER NOT NULL,
    bucket_ms  INTEGER NOT NULL,
    check_key  INTEGER NOT NULL,
    samples    INTEGER NOT NULL,
    ok         INTEGER NOT NULL,
    lat_n      INTEGER NOT NULL,
    lat_sum    REAL    NOT NULL,
    lat_min    REAL,
    lat_max    REAL,
    PRIMARY KEY (resolution, bucket_ms, check_key)
) WITHOUT ROWID;
CREATE TABLE metric_rollups (
    resolution INTEGER NOT NULL,
    bucket_ms  INTEGER NOT NULL,
    check_key  INTEGER NOT NULL,
    metric     TEXT    NOT NULL,
    n          INTEGER NOT NULL,
    sum        REAL    NOT NULL,
    min        REAL    NOT NULL,
    max        REAL    NOT NULL,
    PRIMARY KEY (resolution, bucket_ms, check_key, metric)
) WITHOUT ROWID;
ALTER TABLE check_state ADD COLUMN observed INTEGER;
ALTER TABLE check_state ADD COLUMN flapping INTEGER NOT NULL DEFAULT 0;
ALTER TABLE check_state ADD COLUMN metrics TEXT;
";

/// Backups: the run log (every run observed: restore points seen in a
/// listing, pings), kept after the repository prunes them; the restore
/// points that exist now (the last listing's, replaced by each listing);
/// and each source's last listing time and error (or a note such as the
/// demo's \"preparing\" before its first listing).
const BACKUP_RUNS_AND_POINTS: &str = "
CREATE TABLE backup_runs (
    source     TEXT    NOT NULL,
    at_ms      INTEGER NOT NULL,
    origin     TEXT    NOT NULL,
    outcome    INTEGER NOT NULL,
    started_ms INTEGER,
    size       INTEGER,
    PRIMARY KEY (source, at_ms, origin)
) WITHOUT ROWID;
CREATE TABLE backup_points (
    source      TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    at_ms       INTEGER NOT NULL,
    size        INTEGER,
    duration_ms INTEGER,
    detail      TEXT    NOT NULL,
    PRIMARY KEY (source, id)
) WITHOUT ROWID;
CREATE TABLE backup_sources (
    source     TEXT PRIMARY KEY,
    checked_ms INTEGER,
    error      TEXT,
    note       TEXT
);
";

/// The stores' POS state (see `store::pos`): each store's last view and
/// alert tracker as JSON, so a restart neither raises an alert again nor
/// restarts the minimum duration; today's timeline as segments, the last
/// one rewritten each round, older than 48 h deleted. `written` grows with
/// every write (commit order), so a follower reads only what is new.
const POS_STATE: &str = "
CREATE TABLE pos_stores (
    client  TEXT    NOT NULL,
    site    TEXT    NOT NULL,
    at_ms   INTEGER NOT NULL,
    status  INTEGER NOT NULL,
    view    TEXT    NOT NULL,
    tracker TEXT    NOT NULL,
    written INTEGER NOT NULL,
    PRIMARY KEY (client, site)
) WITHOUT ROWID;
CREATE INDEX pos_stores_by_written ON pos_stores (written);
CREATE TABLE pos_timeline (
    client  TEXT    NOT NULL,
    site    TEXT    NOT NULL,
    from_ms INTEGER NOT NULL,
    to_ms   INTEGER NOT NULL,
    status  INTEGER NOT NULL,
    uplink  TEXT,
    PRIMARY KEY (client, site, from_ms)
) WITHOUT ROWID;
";

/// Usage meters: one sample per client, meter and local day (`YYYY-MM-DD`;
/// `kind` `day`/`total`/`level` and `value`, or NULL with the source's
/// `error`), and the distinct users active per client and month
/// (`YYYY-MM`).
const USAGE_METERS: &str = "
CREATE TABLE usage_samples (
    client     TEXT    NOT NULL,
    meter      TEXT    NOT NULL,
    day        TEXT    NOT NULL,
    kind       TEXT,
    value      INTEGER,
    error      TEXT,
    sampled_ms INTEGER NOT NULL,
    PRIMARY KEY (client, meter, day)
) WITHOUT ROWID;
CREATE TABLE usage_users (
    client TEXT NOT NULL,
    month  TEXT NOT NULL,
    user   TEXT NOT NULL,
    PRIMARY KEY (client, month, user)
) WITHOUT ROWID;
";

/// Maintenance windows: one row per UID (the RFC 5545 UID, stable across
/// changes); `sequence` is raised on every change; states are
/// `planned`, `announced`, `in_progress`, `done`, `cancelled`.
const MAINTENANCE_WINDOWS: &str = "
CREATE TABLE maintenance_windows (
    uid          TEXT PRIMARY KEY,
    target_kind  TEXT    NOT NULL,
    target       TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    start_ms     INTEGER NOT NULL,
    end_ms       INTEGER NOT NULL,
    title        TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    sequence     INTEGER NOT NULL,
    created_ms   INTEGER NOT NULL,
    stamp_ms     INTEGER NOT NULL,
    announced_ms INTEGER
);
CREATE INDEX maintenance_windows_by_start ON maintenance_windows (start_ms);
";

/// Brings the database to [`SCHEMA_VERSION`].
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    migrate_to(conn, path, SCHEMA_VERSION)
}

/// Applies the steps up to `target` (at most [`SCHEMA_VERSION`]), each in its
/// own transaction. Used as is by tests and tools that need an older schema.
///
/// The version is re-read under the write lock, so two processes starting at
/// once do not both apply a step.
pub fn migrate_to(conn: &mut Connection, path: &Path, target: u32) -> Result<(), StoreError> {
    // Read back so that a lock error says how long we really waited.
    let waited = conn
        .query_row("PRAGMA busy_timeout", [], |row| row.get::<_, i64>(0))
        .map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
        .unwrap_or(DEFAULT_BUSY_TIMEOUT);
    let sqlite = |e| StoreError::from_sqlite(path, waited, e);
    let target = target.min(SCHEMA_VERSION);
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let current: i64 = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(sqlite)?;
        let current = u32::try_from(current).map_err(|_| StoreError::NotVigie {
            path: path.to_path_buf(),
            reason: format!("negative schema version {current}"),
        })?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                path: path.to_path_buf(),
                found: current,
                known: SCHEMA_VERSION,
            });
        }
        if current >= target {
            return Ok(());
        }
        let Some(step) = MIGRATIONS.get(current as usize) else {
            return Ok(());
        };
        tx.execute_batch(step).map_err(sqlite)?;
        tx.pragma_update(None, "user_version", current + 1)
            .map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        tracing::info!(path = %path.display(), version = current + 1, "database schema upgraded");
    }
}

/// Tickets: the last sync of each tracker (so an unreachable tracker still
/// shows its tickets, marked stale), running timers (one per operator,
/// stored the moment they start), time entries with their push state (an
/// entry is never deleted: `pushed_ms` is set once the tracker accepted it),
/// and the built-in tracker's own tickets and notes.
const V_TICKETS: &str = "
CREATE TABLE ticket_cache (
    backend   TEXT    NOT NULL,
    id        INTEGER NOT NULL,
    ticket    TEXT    NOT NULL,
    PRIMARY KEY (backend, id)
);
CREATE TABLE ticket_sync (
    backend   TEXT    PRIMARY KEY,
    synced_ms INTEGER,
    tried_ms  INTEGER NOT NULL,
    error     TEXT
);
CREATE TABLE timers (
    operator   TEXT    PRIMARY KEY,
    backend    TEXT    NOT NULL,
    ticket     INTEGER NOT NULL,
    started_ms INTEGER NOT NULL
);
CREATE TABLE time_entries (
    id         INTEGER PRIMARY KEY,
    backend    TEXT    NOT NULL,
    ticket     INTEGER NOT NULL,
    client     TEXT,
    title      TEXT    NOT NULL,
    operator   TEXT    NOT NULL,
    started_ms INTEGER NOT NULL,
    stopped_ms INTEGER NOT NULL,
    spent_on   TEXT    NOT NULL,
    comment    TEXT    NOT NULL,
    pushed_ms  INTEGER,
    remote_id  INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX time_entries_pending ON time_entries (backend) WHERE pushed_ms IS NULL;
CREATE TABLE local_tickets (
    id         INTEGER PRIMARY KEY,
    project    TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    priority   TEXT    NOT NULL,
    author     TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    closed     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE local_journals (
    ticket      INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL,
    author      TEXT    NOT NULL,
    notes       TEXT,
    status_from TEXT,
    status_to   TEXT
);
CREATE INDEX local_journals_ticket ON local_journals (ticket, at_ms);
";

/// The `usage_months` columns computed from the `usage_samples` rows of
/// one client, meter and month (the caller adds the `WHERE` and the
/// `GROUP BY client, meter, substr(day, 1, 7)`). Each sample, in day order,
/// is packed as its day of the month (1 byte), its kind (1 byte: 1 day,
/// 2 total, 3 level, 0 no reading) and then either the value (8 bytes,
/// big-endian two's complement) or, for no reading, the cause's length
/// (4 bytes, big-endian) and its UTF-8 bytes. A sample of an unknown kind
/// is left out, as the row-by-row read skipped it.
macro_rules! usage_month_select {
    () => {
        "SELECT client, meter, substr(day, 1, 7),
            coalesce(unhex(group_concat(
                printf('%02X', CAST(substr(day, 9, 2) AS INTEGER)) ||
                CASE WHEN typeof(kind) = 'text' AND typeof(value) = 'integer'
                     THEN CASE kind WHEN 'day' THEN '01' WHEN 'total' THEN '02'
                                    WHEN 'level' THEN '03' END
                          || printf('%016X', value)
                     ELSE '00'
                          || printf('%08X', length(CAST(coalesce(error, 'no reading') AS BLOB)))
                          || hex(coalesce(error, 'no reading'))
                END, '' ORDER BY day)), x''),
            sum(typeof(kind) = 'text' AND kind = 'total' AND typeof(value) = 'integer')
         FROM usage_samples"
    };
}

/// Rebuilds the `usage_months` row of the sample `$row` (`NEW` or `OLD`)
/// from what `usage_samples` holds for its client, meter and month (no row
/// when nothing is left). Rebuilt rather than patched: re-reading a day
/// replaces its sample, it never counts twice.
macro_rules! usage_month_rebuild {
    ($row:literal) => {
        concat!(
            "DELETE FROM usage_months WHERE month = substr(",
            $row,
            ".day, 1, 7)
                AND client = ",
            $row,
            ".client AND meter = ",
            $row,
            ".meter;
             INSERT INTO usage_months (client, meter, month, days, totals) ",
            usage_month_select!(),
            " WHERE client = ",
            $row,
            ".client AND meter = ",
            $row,
            ".meter
                AND day BETWEEN substr(",
            $row,
            ".day, 1, 7) || '-01'
                            AND substr(",
            $row,
            ".day, 1, 7) || '-31'
              GROUP BY client, meter, substr(day, 1, 7);"
        )
    };
}

/// Usage read a month at a time, so a yearly report reads 12 rows per
/// client and meter instead of 365: `usage_months` holds each client's
/// meter samples of a month (`YYYY-MM`) packed in one row (see
/// `usage_month_select`) and how many of them are counter readings
/// (`totals`, so the reading before a year is found without unpacking);
/// `usage_user_months` the distinct users active per client and month, and
/// `usage_year_users` per client and year, so the report counts them
/// without reading every identity. Triggers keep all three in step with
/// `usage_samples` and `usage_users`, whoever writes them; this step fills
/// them from the rows already there. Keyed by period first: a report reads
/// one contiguous range.
const USAGE_MONTHS: &str = concat!(
    "
CREATE TABLE usage_months (
    month  TEXT    NOT NULL,
    client TEXT    NOT NULL,
    meter  TEXT    NOT NULL,
    days   BLOB    NOT NULL,
    totals INTEGER NOT NULL,
    PRIMARY KEY (month, client, meter)
) WITHOUT ROWID;
CREATE INDEX usage_months_counters ON usage_months (client, meter, month) WHERE totals > 0;
INSERT INTO usage_months (client, meter, month, days, totals) ",
    usage_month_select!(),
    " GROUP BY client, meter, substr(day, 1, 7);
CREATE TRIGGER usage_months_insert AFTER INSERT ON usage_samples BEGIN ",
    usage_month_rebuild!("NEW"),
    " END;
CREATE TRIGGER usage_months_update AFTER UPDATE ON usage_samples BEGIN ",
    usage_month_rebuild!("NEW"),
    " END;
CREATE TRIGGER usage_months_update_moved AFTER UPDATE OF client, meter, day ON usage_samples
WHEN OLD.client IS NOT NEW.client OR OLD.meter IS NOT NEW.meter
     OR substr(OLD.day, 1, 7) IS NOT substr(NEW.day, 1, 7) BEGIN ",
    usage_month_rebuild!("OLD"),
    " END;
CREATE TRIGGER usage_months_delete AFTER DELETE ON usage_samples BEGIN ",
    usage_month_rebuild!("OLD"),
    " END;
CREATE TABLE usage_user_months (
    month  TEXT    NOT NULL,
    client TEXT    NOT NULL,
    users  INTEGER NOT NULL,
    PRIMARY KEY (month, client)
) WITHOUT ROWID;
CREATE TABLE usage_year_users (
    year   TEXT NOT NULL,
    client TEXT NOT NULL,
    user   TEXT NOT NULL,
    PRIMARY KEY (year, client, user)
) WITHOUT ROWID;
INSERT INTO usage_user_months (month, client, users)
SELECT month, client, count(*) FROM usage_users GROUP BY client, month;
INSERT OR IGNORE INTO usage_year_users (year, client, user)
SELECT substr(month, 1, 4), client, user FROM usage_users;
CREATE TRIGGER usage_users_insert AFTER INSERT ON usage_users BEGIN
    INSERT OR IGNORE INTO usage_user_months (month, client, users)
    VALUES (NEW.month, NEW.client, 0);
    UPDATE usage_user_months SET users = users + 1
    WHERE month = NEW.month AND client = NEW.client;
    INSERT OR IGNORE INTO usage_year_users (year, client, user)
    VALUES (substr(NEW.month, 1, 4), NEW.client, NEW.user);
END;
CREATE TRIGGER usage_users_delete AFTER DELETE ON usage_users BEGIN
    UPDATE usage_user_months SET users = users - 1
    WHERE month = OLD.month AND client = OLD.client;
    DELETE FROM usage_user_months
    WHERE month = OLD.month AND client = OLD.client AND users <= 0;
    DELETE FROM usage_year_users
    WHERE year = substr(OLD.month, 1, 4) AND client = OLD.client AND user = OLD.user
      AND NOT EXISTS (SELECT 1 FROM usage_users
                      WHERE client = OLD.client AND user = OLD.user
                        AND month BETWEEN substr(OLD.month, 1, 4) || '-01'
                                      AND substr(OLD.month, 1, 4) || '-12');
END;
"
);

/// The `usage_months` rows of the `usage_samples` rows that `$filter` (a
/// `WHERE` clause, or nothing) keeps, one per client, meter and month, in
/// the layout of `usage_month_select` but written as hexadecimal text.
/// Parsed and run by SQLite 3.40 (Debian 12's `sqlite3`): no `ORDER BY`
/// inside an aggregate's arguments (3.44) and no `unhex` (3.41). The day
/// order comes from the window's `ORDER BY`, which SQLite follows when it
/// feeds the window's frame to `group_concat`; every row of a partition
/// carries the whole month, and the first one is kept.
macro_rules! usage_month_rows {
    ($filter:expr) => {
        concat!(
            "SELECT client, meter, month, coalesce(days, ''), totals FROM (
            SELECT client, meter, substr(day, 1, 7) AS month,
                group_concat(
                    printf('%02X', CAST(substr(day, 9, 2) AS INTEGER)) ||
                    CASE WHEN typeof(kind) = 'text' AND typeof(value) = 'integer'
                         THEN CASE kind WHEN 'day' THEN '01' WHEN 'total' THEN '02'
                                        WHEN 'level' THEN '03' END
                              || printf('%016X', value)
                         ELSE '00'
                              || printf('%08X', length(CAST(coalesce(error, 'no reading') AS BLOB)))
                              || hex(coalesce(error, 'no reading'))
                    END, '') OVER month_in_day_order AS days,
                sum(typeof(kind) = 'text' AND kind = 'total' AND typeof(value) = 'integer')
                    OVER month_in_day_order AS totals,
                row_number() OVER month_in_day_order AS nth
             FROM usage_samples ",
            $filter,
            "
             WINDOW month_in_day_order AS (
                PARTITION BY client, meter, substr(day, 1, 7) ORDER BY day
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
         WHERE nth = 1"
        )
    };
}

/// [`usage_month_rebuild`] with [`usage_month_rows`]: the `usage_months`
/// row of the sample `$row` (`NEW` or `OLD`) rebuilt in SQL that SQLite
/// 3.40 parses and runs.
macro_rules! usage_month_rebuild_as_text {
    ($row:literal) => {
        concat!(
            "DELETE FROM usage_months WHERE month = substr(",
            $row,
            ".day, 1, 7) AND client = ",
            $row,
            ".client AND meter = ",
            $row,
            ".meter;
             INSERT INTO usage_months (client, meter, month, days, totals) ",
            usage_month_rows!(concat!(
                "WHERE client = ",
                $row,
                ".client AND meter = ",
                $row,
                ".meter AND day BETWEEN substr(",
                $row,
                ".day, 1, 7) || '-01' AND substr(",
                $row,
                ".day, 1, 7) || '-31'"
            )),
            ";"
        )
    };
}

/// `usage_months` again, in SQL that Debian 12's `sqlite3` (3.40) reads:
/// its triggers used `group_concat(... ORDER BY day)` (3.44) and `unhex`
/// (3.41), so that `sqlite3` refused the whole file as a malformed schema,
/// even for `PRAGMA integrity_check`. `days` now holds the same packing as
/// hexadecimal text. The rows are derived, so they are rebuilt from
/// `usage_samples`; `usage_user_months` and `usage_year_users` stay.
const USAGE_MONTHS_FOR_SQLITE_3_40: &str = concat!(
    "
DROP TRIGGER usage_months_insert;
DROP TRIGGER usage_months_update;
DROP TRIGGER usage_months_update_moved;
DROP TRIGGER usage_months_delete;
DROP TABLE usage_months;
CREATE TABLE usage_months (
    month  TEXT    NOT NULL,
    client TEXT    NOT NULL,
    meter  TEXT    NOT NULL,
    days   TEXT    NOT NULL,
    totals INTEGER NOT NULL,
    PRIMARY KEY (month, client, meter)
) WITHOUT ROWID;
CREATE INDEX usage_months_counters ON usage_months (client, meter, month) WHERE totals > 0;
INSERT INTO usage_months (client, meter, month, days, totals) ",
    usage_month_rows!(""),
    ";
CREATE TRIGGER usage_months_insert AFTER INSERT ON usage_samples BEGIN ",
    usage_month_rebuild_as_text!("NEW"),
    " END;
CREATE TRIGGER usage_months_update AFTER UPDATE ON usage_samples BEGIN ",
    usage_month_rebuild_as_text!("NEW"),
    " END;
CREATE TRIGGER usage_months_update_moved AFTER UPDATE OF client, meter, day ON usage_samples
WHEN OLD.client IS NOT NEW.client OR OLD.meter IS NOT NEW.meter
     OR substr(OLD.day, 1, 7) IS NOT substr(NEW.day, 1, 7) BEGIN ",
    usage_month_rebuild_as_text!("OLD"),
    " END;
CREATE TRIGGER usage_months_delete AFTER DELETE ON usage_samples BEGIN ",
    usage_month_rebuild_as_text!("OLD"),
    " END;
"
);

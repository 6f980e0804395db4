//! Maintenance windows as stored: one row per UID, replaced only by a
//! version with a higher SEQUENCE (so a stale write never undoes a change).

use rusqlite::{Connection, OptionalExtension, params};

use super::{from_ms, to_ms};
use crate::model::maintenance::{Kind, MaintenanceWindow, Target, WindowState};

/// Saves a window; an older or equal SEQUENCE for the same UID is ignored.
/// Returns whether the row changed.
pub(super) fn save(conn: &Connection, w: &MaintenanceWindow) -> rusqlite::Result<bool> {
    let (target_kind, target) = match &w.target {
        Target::Host(h) => ("host", h.as_str()),
        Target::Client(c) => ("client", c.as_str()),
    };
    let n = conn
        .prepare_cached(
            "INSERT INTO maintenance_windows
                 (uid, target_kind, target, kind, start_ms, end_ms, title, state,
                  sequence, created_ms, stamp_ms, announced_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT (uid) DO UPDATE SET
                 target_kind = excluded.target_kind, target = excluded.target,
                 kind = excluded.kind, start_ms = excluded.start_ms,
                 end_ms = excluded.end_ms, title = excluded.title,
                 state = excluded.state, sequence = excluded.sequence,
                 stamp_ms = excluded.stamp_ms, announced_ms = excluded.announced_ms
             WHERE excluded.sequence > maintenance_windows.sequence",
        )?
        .execute(params![
            w.uid,
            target_kind,
            target,
            w.kind.label(),
            to_ms(w.start),
            to_ms(w.end),
            w.title,
            w.state.code(),
            w.sequence,
            to_ms(w.created),
            to_ms(w.stamp),
            w.announced.map(to_ms),
        ])?;
    Ok(n > 0)
}

type Row = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    String,
    u32,
    i64,
    i64,
    Option<i64>,
);

fn window(r: Row) -> Option<MaintenanceWindow> {
    let (uid, tk, target, kind, start, end, title, state, sequence, created, stamp, announced) = r;
    let target = match tk.as_str() {
        "host" => Target::Host(target),
        "client" => Target::Client(target),
        _ => return None,
    };
    Some(MaintenanceWindow {
        uid,
        target,
        kind: Kind::parse(&kind)?,
        start: from_ms(start),
        end: from_ms(end),
        title,
        state: WindowState::from_code(&state)?,
        sequence,
        created: from_ms(created),
        stamp: from_ms(stamp),
        announced: announced.map(from_ms),
    })
}

const COLUMNS: &str = "uid, target_kind, target, kind, start_ms, end_ms, title, state,
                       sequence, created_ms, stamp_ms, announced_ms";

fn row(r: &rusqlite::Row) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

/// Every window, by start. A row this version cannot read (a state or
/// kind written by a newer Vigie) is left out and logged.
pub(super) fn all(conn: &Connection) -> rusqlite::Result<Vec<MaintenanceWindow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM maintenance_windows ORDER BY start_ms, uid"
    ))?;
    let rows = stmt.query_map([], row)?;
    let mut out = Vec::new();
    for r in rows {
        let r = r?;
        let uid = r.0.clone();
        match window(r) {
            Some(w) => out.push(w),
            None => {
                tracing::warn!(%uid, "maintenance window with an unknown kind or state skipped")
            }
        }
    }
    Ok(out)
}

/// One window by UID.
pub(super) fn one(conn: &Connection, uid: &str) -> rusqlite::Result<Option<MaintenanceWindow>> {
    let r = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM maintenance_windows WHERE uid = ?1"
        ))?
        .query_row([uid], row)
        .optional()?;
    Ok(r.and_then(window))
}

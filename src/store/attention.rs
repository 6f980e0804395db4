//! The alerts' lifecycle as stored, shared by the daemon and every
//! console: one record per alert identity (first sighting, when it cleared,
//! its acknowledgement) and the silences. Acknowledgements and silences,
//! made or removed, are written with their audit row in one transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{from_ms, to_ms};
use crate::model::attention::{Ack, Domain, Record, Severity, Silence};

/// A change to the lifecycle, sent through the one writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertWrite {
    /// A round's records (`attention::round`): first sightings and
    /// clearings are kept, acknowledgements are left as stored (one made
    /// meanwhile by another console stays), expired ones are removed, and
    /// records the round dropped (past the merge window) are deleted.
    Round {
        records: Vec<Record>,
        at: DateTime<Utc>,
    },
    /// Acknowledges an alert (recorded if no round has yet).
    Ack { id: String, ack: Ack },
    /// Removes an acknowledgement.
    Unack {
        id: String,
        by: String,
        at: DateTime<Utc>,
    },
    /// A new silence (its `id` is ignored: the store numbers it).
    Silence(Silence),
    /// Ends a silence now.
    Unsilence {
        id: i64,
        by: String,
        at: DateTime<Utc>,
    },
}

fn audit(
    conn: &Connection,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at_ms, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![to_ms(at), actor, action, detail])?;
    Ok(())
}

/// `key="value"` with the value's quotes and backslashes escaped, as the
/// audit log's other details.
fn kv(key: &str, value: &str) -> String {
    let v = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("{key}=\"{v}\"")
}

/// Applies one write; `Ok(false)` when it named nothing that exists (an
/// acknowledgement of an alert that is not open).
pub(super) fn apply(conn: &Connection, w: AlertWrite) -> rusqlite::Result<bool> {
    match w {
        AlertWrite::Round { records, at } => {
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS round_ids (id TEXT PRIMARY KEY)",
                [],
            )?;
            conn.execute("DELETE FROM temp.round_ids", [])?;
            for r in &records {
                conn.prepare_cached(
                    "INSERT INTO alert_records (id, first_seen_ms, resolved_ms)
                     VALUES (?1, ?2, ?3)
                     ON CONFLICT (id) DO UPDATE SET
                         first_seen_ms = min(first_seen_ms, excluded.first_seen_ms),
                         resolved_ms = excluded.resolved_ms",
                )?
                .execute(params![
                    r.id,
                    to_ms(r.first_seen),
                    r.resolved.map(to_ms)
                ])?;
                conn.prepare_cached("INSERT OR IGNORE INTO temp.round_ids (id) VALUES (?1)")?
                    .execute(params![r.id])?;
            }
            conn.execute(
                "DELETE FROM alert_records WHERE id NOT IN (SELECT id FROM temp.round_ids)",
                [],
            )?;
            conn.execute(
                "UPDATE alert_records SET ack_by = NULL, ack_at_ms = NULL,
                     ack_comment = NULL, ack_expires_ms = NULL
                 WHERE ack_expires_ms IS NOT NULL AND ack_expires_ms <= ?1",
                params![to_ms(at)],
            )?;
            Ok(true)
        }
        AlertWrite::Ack { id, ack } => {
            // An alert seen on a screen before any round recorded it can be
            // taken; a round that does not find it open drops the record.
            let n = conn
                .prepare_cached(
                    "INSERT INTO alert_records (id, first_seen_ms, ack_by, ack_at_ms,
                         ack_comment, ack_expires_ms)
                     VALUES (?1, ?3, ?2, ?3, ?4, ?5)
                     ON CONFLICT (id) DO UPDATE SET ack_by = excluded.ack_by,
                         ack_at_ms = excluded.ack_at_ms, ack_comment = excluded.ack_comment,
                         ack_expires_ms = excluded.ack_expires_ms",
                )?
                .execute(params![
                    id,
                    ack.by,
                    to_ms(ack.at),
                    ack.comment,
                    ack.expires.map(to_ms)
                ])?;
            if n > 0 {
                let mut detail = format!("{} {}", kv("alert", &id), kv("comment", &ack.comment));
                if let Some(e) = ack.expires {
                    detail.push_str(&format!(" {}", kv("expires", &e.to_rfc3339())));
                }
                audit(conn, ack.at, &ack.by, "alert.ack", &detail)?;
            }
            Ok(n > 0)
        }
        AlertWrite::Unack { id, by, at } => {
            let n = conn
                .prepare_cached(
                    "UPDATE alert_records SET ack_by = NULL, ack_at_ms = NULL,
                         ack_comment = NULL, ack_expires_ms = NULL
                     WHERE id = ?1 AND ack_by IS NOT NULL",
                )?
                .execute(params![id])?;
            if n > 0 {
                audit(conn, at, &by, "alert.unack", &kv("alert", &id))?;
            }
            Ok(n > 0)
        }
        AlertWrite::Silence(s) => {
            conn.prepare_cached(
                "INSERT INTO silences (client, host, check_name, domain, severity,
                     start_ms, end_ms, comment, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                s.client,
                s.host,
                s.check,
                s.domain.map(|d| d.label()),
                s.severity.map(|v| v.label()),
                to_ms(s.start),
                to_ms(s.end),
                s.comment,
                s.author,
            ])?;
            let id = conn.last_insert_rowid();
            let mut detail = kv("silence", &id.to_string());
            for (k, v) in [
                ("client", s.client.as_deref()),
                ("host", s.host.as_deref()),
                ("check", s.check.as_deref()),
                ("domain", s.domain.map(|d| d.label())),
                ("severity", s.severity.map(|v| v.label())),
            ] {
                if let Some(v) = v {
                    detail.push_str(&format!(" {}", kv(k, v)));
                }
            }
            detail.push_str(&format!(
                " {} {}",
                kv("until", &s.end.to_rfc3339()),
                kv("comment", &s.comment)
            ));
            audit(conn, s.start, &s.author, "silence.add", &detail)?;
            Ok(true)
        }
        AlertWrite::Unsilence { id, by, at } => {
            let n = conn
                .prepare_cached("UPDATE silences SET end_ms = ?2 WHERE id = ?1 AND end_ms > ?2")?
                .execute(params![id, to_ms(at)])?;
            if n > 0 {
                audit(
                    conn,
                    at,
                    &by,
                    "silence.remove",
                    &kv("silence", &id.to_string()),
                )?;
            }
            Ok(n > 0)
        }
    }
}

/// Every record, by alert id.
pub(super) fn records(conn: &Connection) -> rusqlite::Result<BTreeMap<String, Record>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, first_seen_ms, resolved_ms, ack_by, ack_at_ms, ack_comment, ack_expires_ms
         FROM alert_records",
    )?;
    let rows = stmt.query_map([], |row| {
        let id: String = row.get(0)?;
        let by: Option<String> = row.get(3)?;
        let at: Option<i64> = row.get(4)?;
        let ack = match (by, at) {
            (Some(by), Some(at)) => Some(Ack {
                by,
                at: from_ms(at),
                comment: row.get::<_, Option<String>>(5)?.unwrap_or_default(),
                expires: row.get::<_, Option<i64>>(6)?.map(from_ms),
            }),
            _ => None,
        };
        Ok(Record {
            id,
            first_seen: from_ms(row.get(1)?),
            resolved: row.get::<_, Option<i64>>(2)?.map(from_ms),
            ack,
        })
    })?;
    rows.map(|r| r.map(|r| (r.id.clone(), r))).collect()
}

/// Silences not over at `now` (those to come included), oldest first.
pub(super) fn silences(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Vec<Silence>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, client, host, check_name, domain, severity, start_ms, end_ms, comment, author
         FROM silences WHERE end_ms > ?1 ORDER BY start_ms, id",
    )?;
    let rows = stmt.query_map(params![to_ms(now)], |row| {
        Ok(Silence {
            id: row.get(0)?,
            client: row.get(1)?,
            host: row.get(2)?,
            check: row.get(3)?,
            domain: row
                .get::<_, Option<String>>(4)?
                .and_then(|d| Domain::parse(&d)),
            severity: row
                .get::<_, Option<String>>(5)?
                .and_then(|s| Severity::parse(&s)),
            start: from_ms(row.get(6)?),
            end: from_ms(row.get(7)?),
            comment: row.get(8)?,
            author: row.get(9)?,
        })
    })?;
    rows.collect()
}

//! The stores' POS state, so a restart resumes where it was: each store's
//! last view (tills, lines, sessions, alerts, as JSON) with its alert
//! tracker (which alerts were raised, since when a condition lasts), and
//! today's timeline as segments. The daemon writes them every round;
//! consoles follow them; a monitor starts from them.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{Connection, params};

use super::{Reader, StoreError, from_ms, to_ms};
use crate::model::Status;
use crate::model::pos::{AlertTracker, Segment, StoreView, Timeline, UplinkRole};

/// One round of a store, sent to the writer as `WriteOp::Pos`.
#[derive(Debug, Clone)]
pub struct PosWrite {
    pub client: String,
    pub site: String,
    pub at: DateTime<Utc>,
    pub status: Status,
    /// The view without its timeline, as JSON.
    pub view: String,
    /// The alert tracker, as JSON.
    pub tracker: String,
    /// The timeline's last segment (the only one a round changes).
    pub segment: Option<Segment>,
}

impl PosWrite {
    /// What to write after a round; `None` if the view cannot be encoded
    /// (it always can: plain data).
    pub fn new(view: &StoreView, tracker: &AlertTracker) -> Option<PosWrite> {
        Some(PosWrite {
            client: view.client.clone(),
            site: view.site.clone(),
            at: view.at,
            status: view.status,
            view: serde_json::to_string(view).ok()?,
            tracker: serde_json::to_string(tracker).ok()?,
            segment: view.timeline.segments.last().copied(),
        })
    }
}

/// A store as the store file has it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredStore {
    pub at: DateTime<Utc>,
    /// Grows with every write: read with `pos_stores(Some(written))` for
    /// what came after.
    pub written: i64,
    /// With its timeline.
    pub view: StoreView,
    pub tracker: AlertTracker,
}

fn role_code(role: Option<UplinkRole>) -> Option<&'static str> {
    role.map(|r| match r {
        UplinkRole::Main => "main",
        UplinkRole::Backup => "backup",
    })
}

fn role_from(code: Option<String>) -> Option<UplinkRole> {
    match code.as_deref() {
        Some("main") => Some(UplinkRole::Main),
        Some("backup") => Some(UplinkRole::Backup),
        _ => None,
    }
}

pub(super) fn apply(conn: &Connection, w: PosWrite) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO pos_stores (client, site, at_ms, status, view, tracker, written)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6,
                 (SELECT coalesce(max(written), 0) + 1 FROM pos_stores))
         ON CONFLICT (client, site) DO UPDATE SET at_ms = excluded.at_ms,
           status = excluded.status, view = excluded.view, tracker = excluded.tracker,
           written = excluded.written
         WHERE excluded.at_ms >= pos_stores.at_ms",
    )?
    .execute(params![
        w.client,
        w.site,
        to_ms(w.at),
        w.status.code(),
        w.view,
        w.tracker
    ])?;
    if let Some(s) = w.segment {
        conn.prepare_cached(
            "INSERT OR REPLACE INTO pos_timeline (client, site, from_ms, to_ms, status, uplink)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            w.client,
            w.site,
            to_ms(s.from),
            to_ms(s.to),
            s.status.code(),
            role_code(s.uplink)
        ])?;
    }
    conn.prepare_cached("DELETE FROM pos_timeline WHERE client = ?1 AND site = ?2 AND to_ms < ?3")?
        .execute(params![w.client, w.site, to_ms(w.at - Timeline::KEEP)])?;
    Ok(())
}

impl Reader {
    /// The stores written after the write numbered `after` (all with
    /// `None`), with their timelines, by (client, site). A row that does not decode (written
    /// by another version) is left out and logged, never fatal.
    pub fn pos_stores(
        &self,
        after: Option<i64>,
    ) -> Result<BTreeMap<(String, String), StoredStore>, StoreError> {
        let conn = self.conn();
        let mut out = BTreeMap::new();
        let mut read = || -> rusqlite::Result<()> {
            let mut q = conn.prepare_cached(
                "SELECT client, site, at_ms, view, tracker, written FROM pos_stores
                 WHERE written > ?1",
            )?;
            let mut rows = q.query([after.unwrap_or(i64::MIN)])?;
            while let Some(r) = rows.next()? {
                let key: (String, String) = (r.get(0)?, r.get(1)?);
                let at = from_ms(r.get(2)?);
                let view: String = r.get(3)?;
                let tracker: String = r.get(4)?;
                let written: i64 = r.get(5)?;
                match (
                    serde_json::from_str::<StoreView>(&view),
                    serde_json::from_str::<AlertTracker>(&tracker),
                ) {
                    (Ok(view), Ok(tracker)) => {
                        out.insert(
                            key,
                            StoredStore {
                                at,
                                written,
                                view,
                                tracker,
                            },
                        );
                    }
                    (Err(e), _) | (_, Err(e)) => {
                        tracing::warn!(client = %key.0, site = %key.1, error = %e, "stored POS state not readable; starting afresh");
                    }
                }
            }
            let mut q = conn.prepare_cached(
                "SELECT from_ms, to_ms, status, uplink FROM pos_timeline
                 WHERE client = ?1 AND site = ?2 ORDER BY from_ms",
            )?;
            for ((client, site), stored) in out.iter_mut() {
                let mut rows = q.query(params![client, site])?;
                while let Some(r) = rows.next()? {
                    stored.view.timeline.segments.push(Segment {
                        from: from_ms(r.get(0)?),
                        to: from_ms(r.get(1)?),
                        status: Status::from_code(r.get(2)?),
                        uplink: role_from(r.get(3)?),
                    });
                }
                let horizon = stored.at - TimeDelta::hours(48);
                stored.view.timeline.segments.retain(|s| s.to >= horizon);
            }
            Ok(())
        };
        read().map_err(|e| self.fail(e))?;
        Ok(out)
    }
}

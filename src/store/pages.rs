//! Paging's queue: every page decided is written here before it is sent,
//! then marked delivered (with the receiver's answer) or failed (with why,
//! and when to try again). The daemon reads what was decided to know what
//! not to decide twice, and what is still queued to deliver after a
//! restart, even one by kill -9.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::Serialize;

use super::{from_ms, to_ms};
use crate::alerts::page::{Page, PageKind};
use crate::model::paging::Sent;

/// A page to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPage {
    pub receiver: String,
    pub step: u8,
    pub page: Page,
}

/// A change to the queue, sent through the one writer.
#[derive(Debug, Clone, PartialEq)]
pub enum PageWrite {
    /// Pages decided in one round: queued together.
    Queue(Vec<NewPage>),
    /// The receiver took it.
    Delivered {
        id: i64,
        at: DateTime<Utc>,
        answer: String,
        attempts: u32,
    },
    /// It did not: why, and when to try again (`None`: given up).
    Failed {
        id: i64,
        error: String,
        attempts: u32,
        next: Option<DateTime<Utc>>,
    },
}

/// One stored page, as `vigie alerts --format json` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageRecord {
    #[serde(skip)]
    pub id: i64,
    pub receiver: String,
    pub kind: PageKind,
    /// The rota member it reached, if a route named the person on call.
    pub to: Option<String>,
    pub decided: DateTime<Utc>,
    pub sent: Option<DateTime<Utc>>,
    /// The receiver's answer, or the last error.
    pub answer: Option<String>,
    pub attempts: u32,
    pub gave_up: bool,
}

fn kind_of(label: &str) -> PageKind {
    [
        PageKind::Firing,
        PageKind::Repeat,
        PageKind::Escalated,
        PageKind::Resolved,
        PageKind::Test,
    ]
    .into_iter()
    .find(|k| k.label() == label)
    .unwrap_or(PageKind::Firing)
}

pub(super) fn apply(conn: &Connection, w: PageWrite) -> rusqlite::Result<()> {
    match w {
        PageWrite::Queue(pages) => {
            for p in pages {
                let json = serde_json::to_string(&p.page).unwrap_or_default();
                conn.prepare_cached(
                    "INSERT INTO pages (receiver, kind, step, member, decided_ms, page, next_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5)",
                )?
                .execute(params![
                    p.receiver,
                    p.page.kind.label(),
                    p.step,
                    p.page.to,
                    to_ms(p.page.at),
                    json
                ])?;
                let id = conn.last_insert_rowid();
                for a in &p.page.alerts {
                    conn.prepare_cached(
                        "INSERT OR IGNORE INTO page_alerts (page_id, alert_id) VALUES (?1, ?2)",
                    )?
                    .execute(params![id, a.id])?;
                }
            }
            Ok(())
        }
        PageWrite::Delivered {
            id,
            at,
            answer,
            attempts,
        } => {
            conn.prepare_cached(
                "UPDATE pages SET sent_ms = ?2, answer = ?3, attempts = ?4 WHERE id = ?1",
            )?
            .execute(params![id, to_ms(at), answer, attempts])?;
            Ok(())
        }
        PageWrite::Failed {
            id,
            error,
            attempts,
            next,
        } => {
            conn.prepare_cached(
                "UPDATE pages SET answer = ?2, attempts = ?3, next_ms = coalesce(?4, next_ms),
                     gave_up = ?5 WHERE id = ?1 AND sent_ms IS NULL",
            )?
            .execute(params![
                id,
                error,
                attempts,
                next.map(to_ms),
                next.is_none()
            ])?;
            Ok(())
        }
    }
}

/// What was decided, per alert: the timeline's memory.
pub(super) fn sent(conn: &Connection) -> rusqlite::Result<Vec<Sent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.alert_id, p.receiver, p.kind, p.decided_ms, p.step
         FROM page_alerts a JOIN pages p ON p.id = a.page_id ORDER BY p.id",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(Sent {
            alert: row.get(0)?,
            receiver: row.get(1)?,
            kind: kind_of(&row.get::<_, String>(2)?),
            at: from_ms(row.get(3)?),
            step: row.get(4)?,
        })
    })?;
    rows.collect()
}

/// A page still to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub id: i64,
    pub receiver: String,
    pub page: Page,
    pub attempts: u32,
    pub decided: DateTime<Utc>,
}

/// Pages not yet delivered (nor given up) whose next try is due at `now`,
/// oldest first. A page whose stored text no longer reads is skipped.
pub(super) fn pending(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Vec<Pending>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, receiver, page, attempts, decided_ms FROM pages
         WHERE sent_ms IS NULL AND gave_up = 0 AND next_ms <= ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![to_ms(now)], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, u32>(3)?,
            row.get::<_, i64>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (id, receiver, json, attempts, decided) = r?;
        match serde_json::from_str::<Page>(&json) {
            Ok(page) => out.push(Pending {
                id,
                receiver,
                page,
                attempts,
                decided: from_ms(decided),
            }),
            Err(e) => tracing::warn!(id, error = %e, "a queued page does not read; skipped"),
        }
    }
    Ok(out)
}

/// When the oldest page that was tried and is still not delivered (nor
/// given up) was decided: how long delivery has been failing.
pub(super) fn failing_since(conn: &Connection) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let ms: Option<i64> = conn.query_row(
        "SELECT min(decided_ms) FROM pages WHERE sent_ms IS NULL AND gave_up = 0 AND attempts > 0",
        [],
        |row| row.get(0),
    )?;
    Ok(ms.map(from_ms))
}

/// The alert as the newest page about it said it (a resolved message
/// after a restart has nothing else to say it from).
pub(super) fn last_paged(
    conn: &Connection,
    alert: &str,
) -> rusqlite::Result<Option<crate::model::attention::Alert>> {
    let json: Option<String> = conn
        .prepare_cached(
            "SELECT p.page FROM page_alerts a JOIN pages p ON p.id = a.page_id
             WHERE a.alert_id = ?1 ORDER BY p.id DESC LIMIT 1",
        )?
        .query_row(params![alert], |row| row.get(0))
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    Ok(json
        .and_then(|j| serde_json::from_str::<Page>(&j).ok())
        .and_then(|p| p.alerts.into_iter().find(|a| a.id == alert)))
}

/// Every page about `alert`, oldest first.
pub(super) fn of_alert(conn: &Connection, alert: &str) -> rusqlite::Result<Vec<PageRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.receiver, p.kind, p.member, p.decided_ms, p.sent_ms, p.answer,
                p.attempts, p.gave_up
         FROM page_alerts a JOIN pages p ON p.id = a.page_id
         WHERE a.alert_id = ?1 ORDER BY p.id",
    )?;
    let rows = stmt.query_map(params![alert], |row| {
        Ok(PageRecord {
            id: row.get(0)?,
            receiver: row.get(1)?,
            kind: kind_of(&row.get::<_, String>(2)?),
            to: row.get(3)?,
            decided: from_ms(row.get(4)?),
            sent: row.get::<_, Option<i64>>(5)?.map(from_ms),
            answer: row.get(6)?,
            attempts: row.get(7)?,
            gave_up: row.get(8)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::attention::{Alert, Domain, Points, Severity, Subject, View};
    use crate::store::{Reader, WriteOp, Writer};

    fn alert(id: &str) -> Alert {
        Alert {
            id: id.into(),
            domain: Domain::Checks,
            severity: Severity::Critical,
            subject: Subject {
                clients: vec!["coop".into()],
                host: Some("erp".into()),
                item: "odoo".into(),
            },
            since: from_ms(1_000_000),
            reason: "down".into(),
            points: Points {
                view: View::Health,
                row: "erp".into(),
            },
        }
    }

    fn page(receiver: &str, kind: PageKind, at_ms: i64) -> NewPage {
        NewPage {
            receiver: receiver.into(),
            step: 0,
            page: Page {
                kind,
                alerts: vec![alert("checks:erp/odoo")],
                at: from_ms(at_ms),
                to: Some("Alix".into()),
            },
        }
    }

    #[test]
    fn a_queued_page_survives_a_restart_until_delivered() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = dir.path().join("vigie.db");
        {
            let w = Writer::spawn(&db).unwrap_or_else(|e| panic!("{e}"));
            let q = PageWrite::Queue(vec![
                page("alix-phone", PageKind::Firing, 2_000_000),
                page("chat", PageKind::Firing, 2_000_000),
            ]);
            w.send(WriteOp::Pages(q)).unwrap_or_else(|e| panic!("{e}"));
            w.flush().unwrap_or_else(|e| panic!("{e}"));
            // Dropped without delivering: a daemon that stopped.
        }
        let r = Reader::open(&db).unwrap_or_else(|e| panic!("{e}"));
        let pending = r
            .pages_pending(from_ms(2_000_000))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pending.len(), 2);
        assert_eq!(pending[0].page.alerts, vec![alert("checks:erp/odoo")]);
        assert_eq!(pending[0].page.to.as_deref(), Some("Alix"));
        let sent = r.pages_sent().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0].kind, PageKind::Firing);
        assert_eq!(sent[0].alert, "checks:erp/odoo");

        let w = Writer::spawn(&db).unwrap_or_else(|e| panic!("{e}"));
        let ops = [
            PageWrite::Delivered {
                id: pending[0].id,
                at: from_ms(2_001_000),
                answer: "HTTP 200".into(),
                attempts: 1,
            },
            PageWrite::Failed {
                id: pending[1].id,
                error: "connection refused".into(),
                attempts: 1,
                next: Some(from_ms(2_010_000)),
            },
        ];
        for op in ops {
            w.send(WriteOp::Pages(op)).unwrap_or_else(|e| panic!("{e}"));
        }
        w.flush().unwrap_or_else(|e| panic!("{e}"));
        // Not due before its next try; due after; the delivered one never.
        let early = r
            .pages_pending(from_ms(2_005_000))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(early.is_empty());
        let due = r
            .pages_pending(from_ms(2_010_000))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            due.iter().map(|p| p.receiver.as_str()).collect::<Vec<_>>(),
            ["chat"]
        );
        let shown = r
            .pages_of("checks:erp/odoo")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(shown[0].answer.as_deref(), Some("HTTP 200"));
        assert_eq!(shown[0].sent, Some(from_ms(2_001_000)));
        assert_eq!(shown[1].answer.as_deref(), Some("connection refused"));
        assert_eq!(shown[1].sent, None);
    }
}

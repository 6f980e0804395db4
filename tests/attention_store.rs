//! The alerts' lifecycle in a real store: rounds, acknowledgements (kept
//! across rounds, expired, removed), silences, and their audit rows.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use vigie::model::attention::{Ack, Domain, Record, Severity, Silence};
use vigie::store::attention::AlertWrite;
use vigie::store::{Reader, WriteOp, Writer};

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 21, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

fn record(id: &str, first: i64, resolved: Option<i64>) -> Record {
    Record {
        id: id.into(),
        first_seen: t(first),
        resolved: resolved.map(t),
        ack: None,
    }
}

fn send(w: &Writer, write: AlertWrite) {
    w.send(WriteOp::Alerts(write)).unwrap();
    w.flush().unwrap();
}

fn records(path: &std::path::Path) -> BTreeMap<String, Record> {
    Reader::open(path).unwrap().alert_records().unwrap()
}

#[test]
fn acks_survive_rounds_until_they_expire_or_are_removed_and_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.db");
    let w = Writer::spawn(&path).unwrap();
    let round = |records: Vec<Record>, at: i64| AlertWrite::Round { records, at: t(at) };
    send(
        &w,
        round(
            vec![
                record("checks:erp/odoo", 0, None),
                record("backups:db", 1, None),
            ],
            1,
        ),
    );
    send(
        &w,
        AlertWrite::Ack {
            id: "checks:erp/odoo".into(),
            ack: Ack {
                by: "camille".into(),
                at: t(2),
                comment: "restarting \"odoo\"".into(),
                expires: None,
            },
        },
    );
    send(
        &w,
        AlertWrite::Ack {
            id: "backups:db".into(),
            ack: Ack {
                by: "sam".into(),
                at: t(2),
                comment: "disk swap".into(),
                expires: Some(t(30)),
            },
        },
    );
    // An alert no round recorded yet can be taken; the next round that does
    // not find it open drops it.
    send(
        &w,
        AlertWrite::Ack {
            id: "checks:nothing".into(),
            ack: Ack {
                by: "sam".into(),
                at: t(2),
                comment: String::new(),
                expires: None,
            },
        },
    );
    // A round made from records read before the acks (another console's)
    // keeps them: a round never writes acknowledgements.
    send(
        &w,
        round(
            vec![
                record("checks:erp/odoo", 0, None),
                record("backups:db", 1, None),
            ],
            10,
        ),
    );
    let now = records(&path);
    assert_eq!(now.len(), 2, "{now:?}");
    let odoo = &now["checks:erp/odoo"];
    assert_eq!(odoo.first_seen, t(0));
    assert_eq!(odoo.ack.as_ref().map(|a| a.by.as_str()), Some("camille"));
    assert_eq!(
        now["backups:db"].ack.as_ref().and_then(|a| a.expires),
        Some(t(30))
    );
    // Past its expiry the backup's acknowledgement is gone; the check's
    // resolved and is kept (merge window); the backup dropped by the round.
    send(
        &w,
        round(
            vec![
                record("backups:db", 1, None),
                record("checks:erp/odoo", 0, Some(31)),
            ],
            31,
        ),
    );
    let later = records(&path);
    assert!(later["backups:db"].ack.is_none());
    assert_eq!(later["checks:erp/odoo"].resolved, Some(t(31)));
    assert!(
        later["checks:erp/odoo"].ack.is_some(),
        "sticky while in the merge window"
    );
    send(&w, round(vec![record("checks:erp/odoo", 0, Some(31))], 32));
    assert!(!records(&path).contains_key("backups:db"));
    send(
        &w,
        AlertWrite::Unack {
            id: "checks:erp/odoo".into(),
            by: "camille".into(),
            at: t(33),
        },
    );
    assert!(records(&path)["checks:erp/odoo"].ack.is_none());
    let audit = Reader::open(&path).unwrap().recent_audit(10).unwrap();
    let lines: Vec<String> = audit
        .iter()
        .map(|a| format!("{} {} {}", a.actor, a.action, a.detail))
        .collect();
    assert_eq!(
        lines,
        vec![
            "camille alert.unack alert=\"checks:erp/odoo\"".to_string(),
            "sam alert.ack alert=\"checks:nothing\" comment=\"\"".to_string(),
            format!(
                "sam alert.ack alert=\"backups:db\" comment=\"disk swap\" expires=\"{}\"",
                t(30).to_rfc3339()
            ),
            "camille alert.ack alert=\"checks:erp/odoo\" comment=\"restarting \\\"odoo\\\"\""
                .to_string(),
        ]
    );
}

#[test]
fn silences_are_stored_listed_while_not_over_ended_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.db");
    let w = Writer::spawn(&path).unwrap();
    let silence = |client: &str, end: i64| Silence {
        id: 0,
        client: Some(client.into()),
        host: Some("erp".into()),
        check: None,
        domain: Some(Domain::Checks),
        severity: Some(Severity::Warning),
        start: t(0),
        end: t(end),
        comment: "migration night".into(),
        author: "camille".into(),
    };
    send(&w, AlertWrite::Silence(silence("coop", 120)));
    send(&w, AlertWrite::Silence(silence("asso", 10)));
    let reader = Reader::open(&path).unwrap();
    let open = reader.silences(t(5)).unwrap();
    assert_eq!(open.len(), 2);
    assert_eq!(open[0].domain, Some(Domain::Checks));
    assert_eq!(open[0].severity, Some(Severity::Warning));
    assert_eq!(open[0].host.as_deref(), Some("erp"));
    assert_eq!(
        reader.silences(t(10)).unwrap().len(),
        1,
        "the second is over at 10"
    );
    let id = open[0].id;
    send(
        &w,
        AlertWrite::Unsilence {
            id,
            by: "sam".into(),
            at: t(20),
        },
    );
    assert!(reader.silences(t(20)).unwrap().is_empty());
    let audit = reader.recent_audit(10).unwrap();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|a| (a.actor.as_str(), a.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("sam", "silence.remove"),
            ("camille", "silence.add"),
            ("camille", "silence.add"),
        ]
    );
    assert!(
        audit[2]
            .detail
            .contains("client=\"coop\" host=\"erp\" domain=\"checks\""),
        "{}",
        audit[2].detail
    );
}

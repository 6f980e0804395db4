//! Acknowledgements, expiry, the merge window and silences.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;

const MERGE: Duration = Duration::from_secs(600);

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 21, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

fn alert(id: &str, severity: Severity, since: DateTime<Utc>) -> Alert {
    Alert {
        id: id.into(),
        domain: Domain::Checks,
        severity,
        subject: Subject {
            clients: vec!["coop".into()],
            host: Some("erp".into()),
            item: "odoo".into(),
        },
        since,
        reason: "down: timeout".into(),
        points: Points {
            view: View::Health,
            row: "erp".into(),
        },
    }
}

fn ack(by: &str, at: DateTime<Utc>, expires: Option<DateTime<Utc>>) -> Ack {
    Ack {
        by: by.into(),
        at,
        comment: "restarting odoo".into(),
        expires,
    }
}

fn keyed(records: Vec<Record>) -> BTreeMap<String, Record> {
    records.into_iter().map(|r| (r.id.clone(), r)).collect()
}

/// Acks `id` in the records, as the store does.
fn acked(mut records: BTreeMap<String, Record>, id: &str, a: Ack) -> BTreeMap<String, Record> {
    if let Some(r) = records.get_mut(id) {
        r.ack = Some(a);
    }
    records
}

#[test]
fn an_ack_is_sticky_until_the_alert_resolves_and_returns_late() {
    let a = || alert("checks:erp/odoo", Severity::Critical, t(0));
    let (open, kept) = round(&BTreeMap::new(), vec![a()], &[], MERGE, t(1));
    assert!(open[0].unattended());
    let records = acked(keyed(kept), "checks:erp/odoo", ack("camille", t(2), None));
    // Still there two hours later: still acknowledged.
    let (open, kept) = round(&records, vec![a()], &[], MERGE, t(120));
    assert_eq!(open[0].ack.as_ref().map(|a| a.by.as_str()), Some("camille"));
    // Clears at 121, returns at 125 (within the merge window): the same
    // alert, first seen at 0, still acknowledged.
    let (open, kept) = round(&keyed(kept), vec![], &[], MERGE, t(121));
    assert!(open.is_empty());
    assert_eq!(kept[0].resolved, Some(t(121)));
    let back = alert("checks:erp/odoo", Severity::Critical, t(125));
    let (open, kept) = round(&keyed(kept), vec![back.clone()], &[], MERGE, t(125));
    assert_eq!(open[0].alert.since, t(0));
    assert!(open[0].ack.is_some());
    // Clears again; returns after the merge window: a new problem, unacked.
    let (_, kept) = round(&keyed(kept), vec![], &[], MERGE, t(130));
    let (_, kept) = round(&keyed(kept), vec![], &[], MERGE, t(141));
    assert!(
        kept.is_empty(),
        "dropped once past the merge window: {kept:?}"
    );
    let late = alert("checks:erp/odoo", Severity::Critical, t(150));
    let (open, _) = round(&keyed(kept), vec![late], &[], MERGE, t(150));
    assert_eq!(open[0].alert.since, t(150));
    assert!(open[0].unattended());
}

#[test]
fn an_ack_with_an_expiry_lapses() {
    let a = alert("checks:erp/odoo", Severity::Critical, t(0));
    let (_, kept) = round(&BTreeMap::new(), vec![a.clone()], &[], MERGE, t(0));
    let records = acked(keyed(kept), &a.id, ack("camille", t(1), Some(t(61))));
    let (open, kept) = round(&records, vec![a.clone()], &[], MERGE, t(60));
    assert!(open[0].ack.is_some());
    let (open, _) = round(&keyed(kept), vec![a], &[], MERGE, t(61));
    assert!(open[0].ack.is_none(), "expired at 61");
}

fn silence(client: Option<&str>, domain: Option<Domain>, severity: Option<Severity>) -> Silence {
    Silence {
        id: 7,
        client: client.map(String::from),
        host: None,
        check: None,
        domain,
        severity,
        start: t(0),
        end: t(120),
        comment: "migration night".into(),
        author: "camille".into(),
    }
}

#[test]
fn silences_match_by_each_matcher_and_only_while_active() {
    let a = alert("checks:erp/odoo", Severity::Critical, t(0));
    let table: &[(Silence, bool)] = &[
        (silence(None, None, None), true),
        (silence(Some("coop"), None, None), true),
        (silence(Some("asso"), None, None), false),
        (silence(Some("coop"), Some(Domain::Checks), None), true),
        (silence(Some("coop"), Some(Domain::Backups), None), false),
        (silence(None, None, Some(Severity::Warning)), false),
        (
            Silence {
                host: Some("erp".into()),
                check: Some("odoo".into()),
                ..silence(None, None, None)
            },
            true,
        ),
        (
            Silence {
                check: Some("web".into()),
                ..silence(None, None, None)
            },
            false,
        ),
    ];
    for (s, want) in table {
        assert_eq!(s.matches(&a), *want, "{s:?}");
        let (open, _) = round(
            &BTreeMap::new(),
            vec![a.clone()],
            std::slice::from_ref(s),
            MERGE,
            t(60),
        );
        assert_eq!(open[0].silenced.is_some(), *want);
        // After its end it hides nothing.
        let (open, _) = round(
            &BTreeMap::new(),
            vec![a.clone()],
            std::slice::from_ref(s),
            MERGE,
            t(120),
        );
        assert!(open[0].silenced.is_none());
    }
}

#[test]
fn unattended_alerts_come_first_then_the_worst() {
    let crit = alert("checks:a", Severity::Critical, t(0));
    let warn = alert("checks:b", Severity::Warning, t(5));
    let (_, kept) = round(
        &BTreeMap::new(),
        vec![crit.clone(), warn.clone()],
        &[],
        MERGE,
        t(5),
    );
    let records = acked(keyed(kept), "checks:a", ack("camille", t(6), None));
    let (open, _) = round(&records, vec![crit, warn], &[], MERGE, t(7));
    let order: Vec<&str> = open.iter().map(|o| o.alert.id.as_str()).collect();
    assert_eq!(order, vec!["checks:b", "checks:a"]);
}

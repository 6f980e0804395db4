//! An announced window still running past its end: a check it covers went
//! down or degraded during the work and is not back.

use chrono::TimeDelta;

use super::tests::{ago, fleet, now, state, window};
use super::*;
use crate::model::maintenance::WindowState;

#[test]
fn a_window_past_its_end_with_a_covered_check_not_back_is_an_alert() {
    let fleet = fleet();
    // Each case: the window (start minutes ago, hours long, announced?),
    // the check (id, status, since minutes ago), the alert expected.
    struct Case {
        what: &'static str,
        start: i64,
        hours: i64,
        announced: bool,
        check: (&'static str, Status, i64),
        alert: Option<&'static str>,
    }
    let cases = [
        Case {
            what: "ended 30 min ago, odoo down since the work",
            start: 90,
            hours: 1,
            announced: true,
            check: ("erp/odoo", Status::Down, 60),
            alert: Some("running past its end (30m ago): erp/odoo still down"),
        },
        Case {
            what: "went down just after the end (within the grace)",
            start: 90,
            hours: 1,
            announced: true,
            check: ("erp/odoo", Status::Degraded, 25),
            alert: Some("running past its end (30m ago): erp/odoo still degraded"),
        },
        Case {
            what: "down long after the end: another problem",
            start: 180,
            hours: 1,
            announced: true,
            check: ("erp/odoo", Status::Down, 30),
            alert: None,
        },
        Case {
            what: "down before the work began: not the window's doing",
            start: 90,
            hours: 1,
            announced: true,
            check: ("erp/odoo", Status::Down, 120),
            alert: None,
        },
        Case {
            what: "back up",
            start: 90,
            hours: 1,
            announced: true,
            check: ("erp/odoo", Status::Up, 60),
            alert: None,
        },
        Case {
            what: "a check on another host",
            start: 90,
            hours: 1,
            announced: true,
            check: ("shared/disk", Status::Down, 60),
            alert: None,
        },
        Case {
            what: "never announced: nothing was excused",
            start: 90,
            hours: 1,
            announced: false,
            check: ("erp/odoo", Status::Down, 60),
            alert: None,
        },
        Case {
            what: "ended two days ago: history",
            start: 49 * 60,
            hours: 1,
            announced: true,
            check: ("erp/odoo", Status::Down, 48 * 60 + 30),
            alert: None,
        },
        Case {
            what: "still in progress",
            start: 30,
            hours: 1,
            announced: true,
            check: ("erp/odoo", Status::Down, 20),
            alert: None,
        },
    ];
    for c in cases {
        let start = ago(c.start);
        let announced = c.announced.then(|| start - TimeDelta::days(8));
        let w = window("w", start, c.hours, announced);
        let mut check = state(c.check.0, c.check.1, c.check.1, false);
        check.since = ago(c.check.2);
        let mut out = Vec::new();
        maintenance_alerts(&fleet, std::slice::from_ref(&w), &[check], now(), &mut out);
        // A rule broken by the window itself is another alert: keep
        // only what its end says.
        let got: Vec<&str> = out
            .iter()
            .filter(|a| a.reason.starts_with("running past"))
            .map(|a| a.reason.as_str())
            .collect();
        assert_eq!(got, c.alert.into_iter().collect::<Vec<_>>(), "{}", c.what);
        if let Some(a) = out.iter().find(|a| a.reason.starts_with("running past")) {
            assert_eq!(a.id, "maintenance:w", "{}", c.what);
            assert_eq!(a.since, w.end, "{}", c.what);
            assert_eq!(a.severity, Severity::Warning, "{}", c.what);
            assert_eq!(a.subject.host.as_deref(), Some("erp"), "{}", c.what);
        }
    }
}

#[test]
fn a_cancelled_window_never_overruns() {
    let fleet = fleet();
    let start = ago(90);
    let mut w = window("w", start, 1, Some(start - TimeDelta::days(8)));
    w.state = WindowState::Cancelled;
    let mut check = state("erp/odoo", Status::Down, Status::Down, false);
    check.since = ago(60);
    let mut out = Vec::new();
    maintenance_alerts(&fleet, &[w], &[check], now(), &mut out);
    assert!(out.is_empty(), "{out:?}");
}

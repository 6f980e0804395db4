//! Each judge's verdicts become the right alerts, with stable identities.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;
use crate::model::backup::{SourceRecord, overview};
use crate::model::maintenance::{Kind, MaintenanceWindow, Target, WindowState};
use crate::model::pos::{Alert as PosAlert, Period, StoreView, Timeline};
use crate::model::tickets::{ClockRules, LocalTime, Quota, Ticket, board};
use crate::model::usage::{Meter, NearQuota, QuotaUse};

const FLEET: &str = r#"
[contracts.standard]
intervention = { urgent = "2h", normal = "1d" }
restoration = { urgent = "8h" }
hourly_rate = 120
monthly_fee = 250
calls_per_year = 10

[clients.coop]
name = "Coop"
timezone = "Europe/Paris"
contract = "standard"
environments.prod.hosts = ["shared", "erp"]

[clients.asso]
name = "Asso"
timezone = "Europe/Paris"
contract = "standard"
environments.prod.hosts = ["shared"]

[hosts.shared]
address = "10.0.0.9"

[[hosts.shared.checks]]
name = "coop-web"
kind = "http"
url = "https://coop.example.org/"
clients = ["coop"]

[[hosts.shared.checks]]
name = "disk"
kind = "tcp"
address = "10.0.0.9:22"

[hosts.erp]
address = "10.0.0.10"

[[hosts.erp.checks]]
name = "odoo"
kind = "http"
url = "https://erp.example.org/web/health"

[backups.coop-db]
client = "coop"
name = "coop ERP dumps"
kind = "dumps"
directory = "/nonexistent/dumps"
pattern = "odoo_{date}.sql.gz"
at = "02:00"
retention_days = 3
rpo = "26h"

[backups.asso-db]
client = "asso"
name = "asso dumps"
kind = "dumps"
directory = "/nonexistent/asso"
pattern = "odoo_{date}.sql.gz"
at = "02:00"
retention_days = 3
rpo = "26h"
"#;

pub(super) fn fleet() -> Fleet {
    match crate::config::parse(FLEET, Path::new("attention.toml")) {
        Ok(c) => c.fleet,
        Err(e) => panic!("test fleet: {e}"),
    }
}

/// Wednesday 2 December 2026, 21:00 UTC (22:00 in Paris).
pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 21, 0, 0).unwrap()
}

pub(super) fn ago(minutes: i64) -> DateTime<Utc> {
    now() - TimeDelta::minutes(minutes)
}

pub(super) fn state(id: &str, status: Status, observed: Status, flapping: bool) -> CheckState<'_> {
    CheckState {
        id,
        status,
        observed,
        flapping,
        since: ago(10),
        message: "timeout after 5s",
    }
}

fn ids(list: &[Alert]) -> Vec<(&str, Severity)> {
    list.iter().map(|a| (a.id.as_str(), a.severity)).collect()
}

#[test]
fn check_states_become_alerts_by_severity() {
    use Status::*;
    // (status, observed, flapping) -> the alert's severity and reason's start.
    type Case = (Status, Status, bool, Option<(Severity, &'static str)>);
    let table: &[Case] = &[
        (Down, Down, false, Some((Severity::Critical, "down: "))),
        (
            Down,
            Down,
            true,
            Some((Severity::Critical, "down, flapping: ")),
        ),
        (
            Degraded,
            Degraded,
            false,
            Some((Severity::Warning, "degraded: ")),
        ),
        (Up, Up, true, Some((Severity::Warning, "flapping: "))),
        (
            Up,
            Down,
            false,
            Some((Severity::Warning, "failing, not confirmed yet: ")),
        ),
        // A failure judged unknown: Vigie's own network looks cut, which
        // is not a problem of each check (no 2,000 warnings for one uplink).
        (Unknown, Down, false, None),
        (Up, Up, false, None),
        (Unknown, Unknown, false, None),
        (Maintenance, Down, false, None),
    ];
    let fleet = fleet();
    for &(status, observed, flapping, want) in table {
        let mut out = Vec::new();
        check_alerts(
            &fleet,
            &[state("erp/odoo", status, observed, flapping)],
            &mut out,
        );
        let got = out.first().map(|a| (a.severity, a.reason.as_str()));
        match (got, want) {
            (None, None) => {}
            (Some((sev, reason)), Some((want_sev, start))) => {
                assert_eq!(sev, want_sev, "{status:?}/{observed:?}/{flapping}");
                assert!(reason.starts_with(start), "{reason} for {status:?}");
                assert!(reason.ends_with("timeout after 5s"), "{reason}");
            }
            (got, want) => panic!("{status:?}/{observed:?}/{flapping}: {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn a_check_alert_names_its_host_clients_and_row() {
    let fleet = fleet();
    let mut out = Vec::new();
    check_alerts(
        &fleet,
        &[
            state("shared/coop-web", Status::Down, Status::Down, false),
            state("shared/disk", Status::Down, Status::Down, false),
            state("gone/old", Status::Down, Status::Down, false),
        ],
        &mut out,
    );
    assert_eq!(out.len(), 2, "a check the fleet no longer has is left out");
    let web = &out[0];
    assert_eq!(web.id, "checks:shared/coop-web");
    assert_eq!(web.domain, Domain::Checks);
    assert_eq!(web.since, ago(10));
    // On a shared host a check serving one client concerns that client only.
    assert_eq!(web.subject.clients, vec!["coop".to_string()]);
    assert_eq!(web.subject.host.as_deref(), Some("shared"));
    assert_eq!(web.subject.text(), "shared/coop-web");
    assert_eq!(
        web.points,
        Points {
            view: View::Health,
            row: "shared".into()
        }
    );
    // A check for every user of the host concerns them all.
    assert_eq!(out[1].subject.clients, vec!["coop", "asso"]);
}

#[test]
fn identities_are_stable_across_rounds() {
    let fleet = fleet();
    let round = |message: &'static str, at: i64| {
        let mut s = state("erp/odoo", Status::Down, Status::Down, false);
        s.message = message;
        s.since = ago(at);
        let mut out = Vec::new();
        check_alerts(&fleet, &[s], &mut out);
        out
    };
    let (a, b) = (round("timeout after 5s", 10), round("502 Bad Gateway", 10));
    assert_eq!(a[0].id, b[0].id);
    assert_eq!(a[0].since, b[0].since);
    assert_ne!(a[0].reason, b[0].reason);
}

fn store(alerts: Vec<PosAlert>) -> StoreView {
    StoreView {
        client: "coop".into(),
        site: "main".into(),
        name: "Coop main store".into(),
        tz: chrono_tz::Europe::Paris,
        at: now(),
        period: Period::Closing,
        status: Status::Down,
        tills: Vec::new(),
        iot: None,
        uplinks: Vec::new(),
        active: None,
        sessions: None,
        odoo_health: None,
        alerts,
        timeline: Timeline::default(),
        today: None,
    }
}

#[test]
fn store_alerts_keep_the_verdicts_severity_and_since() {
    let pos = |key: &str, severity, occurrences| PosAlert {
        key: key.into(),
        severity,
        message: format!("{key} says so"),
        since: ago(30),
        occurrences,
    };
    let view = store(vec![
        pos("till-down:Caisse 2", Status::Down, 1),
        pos("backup-line", Status::Degraded, 3),
        pos("odd", Status::Unknown, 1),
    ]);
    let mut out = Vec::new();
    store_alerts(&[&view], &mut out);
    assert_eq!(
        ids(&out),
        vec![
            ("pos:coop/main/till-down:Caisse 2", Severity::Critical),
            ("pos:coop/main/backup-line", Severity::Warning),
        ]
    );
    assert_eq!(out[0].since, ago(30));
    assert_eq!(out[0].subject.clients, vec!["coop"]);
    assert_eq!(out[1].reason, "backup-line says so (3 times)");
    assert_eq!(out[0].points.view, View::Pos);
    assert_eq!(out[0].points.row, "coop/main");
}

#[test]
fn backup_verdicts_become_alerts_and_unlisted_sources_do_not() {
    let fleet = fleet();
    let mut records = BTreeMap::new();
    records.insert(
        "coop-db".to_string(),
        SourceRecord {
            checked: Some(ago(5)),
            error: Some("directory not found".into()),
            ..SourceRecord::default()
        },
    );
    let o = overview(&fleet, &records, now());
    let mut out = Vec::new();
    backup_alerts(&fleet, &o, now(), &mut out);
    // asso-db was never listed: unknown, not an alert.
    assert_eq!(ids(&out), vec![("backups:coop-db", Severity::Critical)]);
    assert_eq!(out[0].reason, "error: directory not found");
    assert_eq!(out[0].subject.clients, vec!["coop"]);
    assert_eq!(out[0].points.row, "coop-db");
}

#[test]
fn a_broken_rpo_dates_from_when_the_newest_point_got_too_old() {
    let fleet = fleet();
    let newest = now() - TimeDelta::hours(30);
    let mut records = BTreeMap::new();
    records.insert(
        "coop-db".to_string(),
        SourceRecord {
            checked: Some(ago(1)),
            points: vec![crate::model::backup::RestorePoint {
                id: "odoo_2026-12-01.sql.gz".into(),
                at: newest,
                size: Some(1 << 20),
                duration: None,
                detail: String::new(),
            }],
            ..SourceRecord::default()
        },
    );
    let o = overview(&fleet, &records, now());
    let mut out = Vec::new();
    backup_alerts(&fleet, &o, now(), &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].severity, Severity::Critical);
    assert_eq!(out[0].since, newest + TimeDelta::hours(26));
}

#[test]
fn a_backup_alert_says_the_broken_rule_before_the_rpo_that_holds() {
    let fleet = fleet();
    let mut records = BTreeMap::new();
    // One fresh point: the RPO holds, the days before have none.
    records.insert(
        "coop-db".to_string(),
        SourceRecord {
            checked: Some(ago(1)),
            points: vec![crate::model::backup::RestorePoint {
                id: "odoo_fresh.sql.gz".into(),
                at: now() - TimeDelta::hours(1),
                size: Some(1 << 20),
                duration: None,
                detail: String::new(),
            }],
            ..SourceRecord::default()
        },
    );
    let o = overview(&fleet, &records, now());
    let mut out = Vec::new();
    backup_alerts(&fleet, &o, now(), &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(!out[0].reason.starts_with("RPO ok"), "{}", out[0].reason);
    assert!(
        out[0].reason.contains("without a restore point"),
        "{}",
        out[0].reason
    );
}

fn ticket(id: u64, priority: &str, created: DateTime<Utc>) -> Ticket {
    Ticket {
        id,
        project: "p".into(),
        client: Some("coop".into()),
        title: format!("ticket {id}\x1b[31m"),
        status: "New".into(),
        closed: false,
        priority: priority.into(),
        tracker: "Bug".into(),
        author: "client".into(),
        assignee: None,
        created,
        updated: created,
        spent: Duration::ZERO,
        first_time_entry: None,
        journals: vec![],
        url: None,
        intervention: None,
        journals_as_of: None,
    }
}

#[test]
fn ticket_clocks_become_alerts() {
    let fleet = fleet();
    // Wednesday 2 December, 15:00 UTC (16:00 Paris, in support hours).
    let at = Utc.with_ymd_and_hms(2026, 12, 2, 15, 0, 0).unwrap();
    let h = |n: i64| at - TimeDelta::hours(n);
    let mut diag = ticket(4, "normal", h(1));
    diag.spent = Duration::from_secs(90 * 60);
    let mut closed = ticket(5, "urgent", h(30));
    closed.closed = true;
    let tickets = vec![
        ticket(1, "urgent", h(30)),                        // breached
        ticket(2, "urgent", at - TimeDelta::minutes(100)), // 20 min left
        ticket(3, "normal", h(1)),                         // fine
        diag,                                              // diagnosis
        closed,                                            // closed
    ];
    let rows = board(
        &tickets,
        &fleet,
        &ClockRules::default(),
        &LocalTime::default(),
        at,
    );
    let mut out = Vec::new();
    let calls = [
        (
            "coop",
            Quota {
                used: 8,
                allowed: 10,
            },
        ),
        (
            "asso",
            Quota {
                used: 7,
                allowed: 10,
            },
        ),
    ];
    ticket_alerts(&rows, &calls, &Settings::default(), at, &mut out);
    assert_eq!(
        ids(&out),
        vec![
            ("tickets:1", Severity::Critical),
            ("tickets:2", Severity::Warning),
            ("tickets:4", Severity::Warning),
            ("tickets:calls:coop", Severity::Warning),
        ]
    );
    assert!(
        out[0].reason.starts_with("intervention deadline passed"),
        "{}",
        out[0].reason
    );
    assert_eq!(
        out[1].reason,
        "due in 20m, 20m of support time left to start"
    );
    assert!(
        out[2].reason.starts_with("diagnosis past its threshold"),
        "{}",
        out[2].reason
    );
    assert_eq!(out[3].reason, "8 of 10 yearly support calls used");
    // The title is outside text: its escape is gone.
    assert!(
        !out[0].subject.item.contains('\x1b'),
        "{:?}",
        out[0].subject.item
    );
    assert!(out[0].subject.item.starts_with("#1 ticket 1"));
    assert_eq!(out[0].points.row, "1");
}

pub(super) fn window(
    uid: &str,
    start: DateTime<Utc>,
    hours: i64,
    announced: Option<DateTime<Utc>>,
) -> MaintenanceWindow {
    MaintenanceWindow {
        uid: uid.into(),
        target: Target::Host("erp".into()),
        kind: Kind::Standard,
        start,
        end: start + TimeDelta::hours(hours),
        title: "upgrade".into(),
        state: if announced.is_some() {
            WindowState::Announced
        } else {
            WindowState::Planned
        },
        sequence: 0,
        created: start - TimeDelta::days(20),
        stamp: start - TimeDelta::days(20),
        announced,
    }
}

#[test]
fn maintenance_windows_that_break_rules_or_run_unannounced_are_alerts() {
    let fleet = fleet();
    // Wednesday 9 December 2026, 22:00 Paris (21:00 UTC): an allowed night.
    let next_wed = Utc.with_ymd_and_hms(2026, 12, 9, 21, 0, 0).unwrap();
    let friday = Utc.with_ymd_and_hms(2026, 12, 11, 21, 0, 0).unwrap();
    let windows = vec![
        // Announced 8 days ahead, on a Wednesday night: fine.
        window("ok", next_wed, 1, Some(next_wed - TimeDelta::days(8))),
        // Planned, starts in 2 days: its 7 days' notice can no longer be given.
        window("late", now() + TimeDelta::days(2), 1, None),
        // A Friday.
        window("friday", friday, 1, Some(friday - TimeDelta::days(9))),
        // Running now, never announced.
        window("running", ago(30), 2, None),
        // Running now, announced in time: excused.
        window("excused", ago(30), 2, Some(ago(30) - TimeDelta::days(8))),
    ];
    let mut out = Vec::new();
    maintenance_alerts(&fleet, &windows, &[], now(), &mut out);
    let got: Vec<&str> = out.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        got,
        vec![
            "maintenance:late",
            "maintenance:friday",
            "maintenance:running"
        ]
    );
    assert!(out[0].reason.contains("must be told"), "{}", out[0].reason);
    assert!(out[1].reason.contains("Friday"), "{}", out[1].reason);
    assert_eq!(out[2].since, ago(30));
    assert!(out.iter().all(|a| a.severity == Severity::Warning));
    assert_eq!(out[2].subject.clients, vec!["coop"]);
    assert_eq!(out[2].subject.host.as_deref(), Some("erp"));
    assert_eq!(out[2].points.row, "running");
}

#[test]
fn a_near_quota_is_information() {
    let near = [NearQuota {
        client: "coop".into(),
        quota: QuotaUse {
            meter: Meter::Documents,
            used: 17_000_000_000,
            included: 20_000_000_000,
        },
    }];
    let mut out = Vec::new();
    usage_alerts(&near, now(), &mut out);
    assert_eq!(ids(&out), vec![("usage:coop/documents", Severity::Info)]);
    assert!(
        out[0]
            .reason
            .starts_with("documents at 85 % of the yearly quota"),
        "{}",
        out[0].reason
    );
}

#[test]
fn vigie_alerts_about_itself() {
    let settings = Settings::default();
    let table: &[(SelfState, Vec<(&str, Severity)>)] = &[
        (SelfState::default(), vec![]),
        (
            SelfState {
                heartbeat: Some(now() - TimeDelta::seconds(10)),
                ..SelfState::default()
            },
            vec![],
        ),
        (
            SelfState {
                heartbeat: Some(ago(5)),
                ..SelfState::default()
            },
            vec![("vigie:daemon", Severity::Warning)],
        ),
        (
            SelfState {
                heartbeat: None,
                tracker: Some(("connection refused".into(), ago(3))),
                store: Some(("disk full".into(), ago(1))),
            },
            vec![
                ("vigie:tracker", Severity::Warning),
                ("vigie:store", Severity::Critical),
            ],
        ),
    ];
    for (s, want) in table {
        let mut out = Vec::new();
        vigie_alerts(s, &settings, now(), &mut out);
        assert_eq!(&ids(&out), want, "{s:?}");
        assert!(out.iter().all(|a| a.subject.clients.is_empty()));
    }
}

#[test]
fn the_list_is_worst_first_then_oldest_and_counts_and_client_states_follow_it() {
    let fleet = fleet();
    let view = store(vec![PosAlert {
        key: "session-open".into(),
        severity: Status::Degraded,
        message: "session left open".into(),
        since: ago(100),
        occurrences: 1,
    }]);
    let mut old = state("erp/odoo", Status::Down, Status::Down, false);
    old.since = ago(50);
    let checks = vec![
        state("shared/disk", Status::Down, Status::Down, false),
        old,
        state("shared/coop-web", Status::Up, Status::Up, false),
    ];
    let near = [NearQuota {
        client: "asso".into(),
        quota: QuotaUse {
            meter: Meter::Emails,
            used: 900,
            included: 1000,
        },
    }];
    let inputs = Inputs {
        checks,
        stores: vec![&view],
        usage: &near,
        ..Inputs::default()
    };
    let list = alerts(&fleet, &inputs, &Settings::default(), now());
    assert_eq!(
        ids(&list),
        vec![
            ("checks:erp/odoo", Severity::Critical),
            ("checks:shared/disk", Severity::Critical),
            ("pos:coop/main/session-open", Severity::Warning),
            ("usage:asso/emails", Severity::Info),
        ]
    );
    let counts = counts(&list);
    assert_eq!(counts.get(&Severity::Critical), Some(&2));
    assert_eq!(counts.get(&Severity::Warning), Some(&1));
    assert_eq!(counts.get(&Severity::Info), Some(&1));
    let states = client_states(&fleet, &list[2..]);
    assert_eq!(states.get("coop"), Some(&Status::Degraded));
    // Information does not colour a client.
    assert_eq!(states.get("asso"), Some(&Status::Up));
}

/// At 18:00 in Paris the support day is over: a ticket with 20 minutes of
/// support time left is due tomorrow morning, which is no warning tonight.
#[test]
fn a_ticket_due_tomorrow_morning_is_no_warning_in_the_evening() {
    let fleet = fleet();
    // Wednesday 2 December, 17:00 UTC (18:00 Paris, support hours over).
    let at = Utc.with_ymd_and_hms(2026, 12, 2, 17, 0, 0).unwrap();
    let tickets = vec![ticket(2, "urgent", at - TimeDelta::minutes(100))];
    let rows = board(
        &tickets,
        &fleet,
        &ClockRules::default(),
        &LocalTime::default(),
        at,
    );
    let running = matches!(rows[0].clock, crate::model::tickets::Clock::Running { .. });
    assert!(running, "{:?}", rows[0].clock);
    let mut out = Vec::new();
    ticket_alerts(&rows, &[], &Settings::default(), at, &mut out);
    assert!(out.is_empty(), "{out:?}");
    // Within the lead of its wall-clock due time, it is.
    let due = rows[0].clock.due().unwrap();
    let soon = due - TimeDelta::minutes(20);
    let rows = board(
        &tickets,
        &fleet,
        &ClockRules::default(),
        &LocalTime::default(),
        soon,
    );
    ticket_alerts(&rows, &[], &Settings::default(), soon, &mut out);
    assert_eq!(ids(&out), vec![("tickets:2", Severity::Warning)]);
}

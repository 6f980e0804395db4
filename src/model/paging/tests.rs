//! Table tests: the rota's handovers (DST included) and overrides, route
//! matching, and the repeat and escalation timeline.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc, Weekday};

use super::*;
use crate::alerts::page::PageKind;
use crate::model::attention::{Ack, Alert, Domain, Open, Points, Severity, Subject, View};
use crate::model::{EnvKind, Fleet, SupportHours, TimeOfDay};

const FLEET: &str = r#"
[contracts.standard]
intervention = { urgent = "2h", normal = "1d" }
restoration = { urgent = "8h" }
hourly_rate = 120
monthly_fee = 250

[clients.coop]
name = "Coop"
timezone = "Europe/Paris"
contract = "standard"
environments.prod.hosts = ["erp"]
environments.preprod.hosts = ["erp-test"]

[hosts.erp]
address = "10.0.0.10"

[hosts.erp-test]
address = "10.0.0.11"
"#;

fn fleet() -> Fleet {
    match crate::config::parse(FLEET, Path::new("paging.toml")) {
        Ok(c) => c.fleet,
        Err(e) => panic!("test fleet: {e}"),
    }
}

fn t(s: &str) -> DateTime<Utc> {
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.with_timezone(&Utc),
        Err(e) => panic!("{s}: {e}"),
    }
}

fn day(s: &str) -> NaiveDate {
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) => d,
        Err(e) => panic!("{s}: {e}"),
    }
}

fn member(name: &str) -> Member {
    Member {
        name: name.into(),
        receivers: vec![format!("{}-phone", name.to_lowercase())],
    }
}

/// Alix, Bruno, Camille; handover Monday 09:00 Paris; Alix's first week
/// begins Monday 2 March 2026.
fn rota() -> Rota {
    Rota {
        members: vec![member("Alix"), member("Bruno"), member("Camille")],
        timezone: chrono_tz::Europe::Paris,
        handover_day: Weekday::Mon,
        handover_at: TimeOfDay { minutes: 9 * 60 },
        order: vec![0, 1, 2],
        start: day("2026-03-02"),
        overrides: vec![Override {
            member: 2,
            first: day("2026-12-24"),
            last: day("2026-12-26"),
        }],
    }
}

#[test]
fn the_rota_hands_over_at_the_local_time_across_dst() {
    let r = rota();
    let name = |at: &str| r.on_call(t(at)).map(|s| r.members[s.member].name.clone());
    let cases = [
        // Alix's first week: Mon 2 Mar 09:00 CET = 08:00 UTC.
        ("2026-03-02T07:59:00Z", Some("Camille")),
        ("2026-03-02T08:00:00Z", Some("Alix")),
        ("2026-03-09T07:59:00Z", Some("Alix")),
        ("2026-03-09T08:00:00Z", Some("Bruno")),
        // Clocks go forward Sun 29 Mar: Mon 30 Mar 09:00 CEST = 07:00 UTC.
        ("2026-03-30T06:59:00Z", Some("Alix")),
        ("2026-03-30T07:00:00Z", Some("Bruno")),
        // Clocks go back Sun 25 Oct: Mon 26 Oct 09:00 CET = 08:00 UTC.
        ("2026-10-26T07:30:00Z", Some("Alix")),
        ("2026-10-26T08:00:00Z", Some("Bruno")),
        // Before the start date the order runs backwards all the same.
        ("2026-02-24T12:00:00Z", Some("Camille")),
    ];
    for (at, want) in cases {
        assert_eq!(name(at).as_deref(), want, "at {at}");
    }
    let s = r.on_call(t("2026-03-30T07:00:00Z"));
    assert_eq!(
        s.map(|s| (s.from, s.until)),
        Some((t("2026-03-30T07:00:00Z"), t("2026-04-06T07:00:00Z")))
    );
}

#[test]
fn an_override_covers_whole_local_days_and_shortens_the_turn() {
    let r = rota();
    // Week of Mon 21 Dec 09:00: turn of order[(42 weeks) % 3] = Alix.
    let turn = r.on_call(t("2026-12-22T12:00:00Z"));
    assert_eq!(turn.map(|s| s.member), Some(0));
    // The turn ends where Camille's override begins (24 Dec 00:00 CET).
    assert_eq!(turn.map(|s| s.until), Some(t("2026-12-23T23:00:00Z")));
    let cases = [
        ("2026-12-23T22:59:00Z", 0, false),
        ("2026-12-23T23:00:00Z", 2, true),
        ("2026-12-26T22:59:00Z", 2, true),
        ("2026-12-26T23:00:00Z", 0, false),
    ];
    for (at, who, covering) in cases {
        let s = r.on_call(t(at));
        assert_eq!(
            s.map(|s| (s.member, s.covering)),
            Some((who, covering)),
            "at {at}"
        );
    }
    // Next after Alix on 22 Dec: Camille, from the override.
    let next = r.next(t("2026-12-22T12:00:00Z"));
    assert_eq!(
        next.map(|s| (s.member, s.from)),
        Some((2, t("2026-12-23T23:00:00Z")))
    );
}

#[test]
fn escalation_goes_to_the_next_in_the_order() {
    let r = rota();
    assert_eq!(r.after(0), Some(1));
    assert_eq!(r.after(2), Some(0));
    let alone = Rota {
        order: vec![0],
        ..rota()
    };
    assert_eq!(alone.after(0), None);
    let empty = Rota {
        order: vec![],
        ..rota()
    };
    assert_eq!(empty.on_call(t("2026-03-10T12:00:00Z")), None);
}

fn alert(id: &str, severity: Severity, host: Option<&str>, item: &str, since: &str) -> Alert {
    Alert {
        id: id.into(),
        domain: if host.is_some() {
            Domain::Checks
        } else {
            Domain::Tickets
        },
        severity,
        subject: Subject {
            clients: vec!["coop".into()],
            host: host.map(String::from),
            item: item.into(),
        },
        since: t(since),
        reason: "down".into(),
        points: Points {
            view: View::Health,
            row: item.into(),
        },
    }
}

fn routing() -> Routing {
    let recv = |r: &str| Target::Receiver(r.into());
    Routing {
        routes: vec![
            Route {
                matcher: Matcher {
                    severities: vec![Severity::Info],
                    ..Matcher::default()
                },
                to: vec![],
                continue_after: false,
            },
            Route {
                matcher: Matcher {
                    environments: vec![EnvKind::Preprod, EnvKind::Dev],
                    ..Matcher::default()
                },
                to: vec![recv("chat")],
                continue_after: false,
            },
            Route {
                matcher: Matcher {
                    domains: vec![Domain::Checks],
                    ..Matcher::default()
                },
                to: vec![recv("chat")],
                continue_after: true,
            },
            Route {
                matcher: Matcher {
                    severities: vec![Severity::Critical],
                    ..Matcher::default()
                },
                to: vec![Target::OnCall],
                continue_after: false,
            },
        ],
        default: vec![recv("mail")],
        warnings_in: None,
    }
}

#[test]
fn routes_match_first_unless_continue() {
    let f = fleet();
    let r = routing();
    let recv = |s: &str| Target::Receiver(s.into());
    let cases = [
        (
            alert(
                "a",
                Severity::Info,
                Some("erp"),
                "odoo",
                "2026-03-10T12:00:00Z",
            ),
            vec![],
        ),
        (
            alert(
                "b",
                Severity::Critical,
                Some("erp-test"),
                "odoo",
                "2026-03-10T12:00:00Z",
            ),
            vec![recv("chat")],
        ),
        (
            alert(
                "c",
                Severity::Critical,
                Some("erp"),
                "odoo",
                "2026-03-10T12:00:00Z",
            ),
            vec![recv("chat"), Target::OnCall],
        ),
        // Continued past the checks route, taken by none after: chat only.
        (
            alert(
                "d",
                Severity::Warning,
                Some("erp"),
                "odoo",
                "2026-03-10T12:00:00Z",
            ),
            vec![recv("chat")],
        ),
        (
            alert("e", Severity::Critical, None, "#42", "2026-03-10T12:00:00Z"),
            vec![Target::OnCall],
        ),
        (
            alert("f", Severity::Warning, None, "#42", "2026-03-10T12:00:00Z"),
            vec![recv("mail")],
        ),
    ];
    for (a, want) in cases {
        let envs = route::environments(&f, &a);
        assert_eq!(r.targets(&a, &envs), want, "alert {}", a.id);
    }
}

#[test]
fn warnings_wait_for_support_hours_when_asked() {
    let r = Routing {
        warnings_in: Some(SupportHours::default()),
        ..routing()
    };
    let paris = chrono_tz::Europe::Paris;
    // Tue 10 Mar 2026 10:00 Paris = 09:00 UTC; 22:00 Paris = 21:00 UTC.
    let cases = [
        (Severity::Warning, "2026-03-10T09:00:00Z", true),
        (Severity::Warning, "2026-03-10T21:00:00Z", false),
        (Severity::Critical, "2026-03-10T21:00:00Z", true),
        (Severity::Warning, "2026-03-14T09:00:00Z", false),
    ];
    for (sev, at, want) in cases {
        assert_eq!(r.may_page(sev, t(at), paris), want, "{sev:?} at {at}");
    }
}

fn open(a: Alert) -> Open {
    Open {
        alert: a,
        ack: None,
        silenced: None,
    }
}

fn sent(alert: &str, receiver: &str, kind: PageKind, at: &str, step: u8) -> Sent {
    Sent {
        alert: alert.into(),
        receiver: receiver.into(),
        kind,
        at: t(at),
        step,
    }
}

fn timing() -> Timing {
    Timing {
        repeat_every: Duration::from_secs(15 * 60),
        escalate_after: Duration::from_secs(30 * 60),
        merge_window: Duration::from_secs(30),
    }
}

/// (receiver, kind, alerts, step) of each planned page, sorted.
fn pages(p: Vec<Planned>) -> Vec<(String, PageKind, Vec<String>, u8)> {
    let mut out: Vec<_> = p
        .into_iter()
        .map(|p| (p.receiver, p.kind, p.alerts, p.step))
        .collect();
    out.sort();
    out
}

fn page(r: &str, k: PageKind, ids: &[&str], step: u8) -> (String, PageKind, Vec<String>, u8) {
    (
        r.into(),
        k,
        ids.iter().map(|s| s.to_string()).collect(),
        step,
    )
}

#[test]
fn the_timeline_pages_repeats_escalates_and_resolves() {
    use PageKind::*;
    let f = fleet();
    let routes = routing();
    let r = rota();
    // Week of Mon 9 Mar: Bruno is on call; Camille is next in the order.
    let down = alert(
        "checks:erp/odoo",
        Severity::Critical,
        Some("erp"),
        "odoo",
        "2026-03-10T02:00:00Z",
    );
    let disk = alert(
        "checks:erp/disk",
        Severity::Critical,
        Some("erp"),
        "disk",
        "2026-03-10T02:00:10Z",
    );
    let fired = |who: &str, at: &str| sent("checks:erp/odoo", who, Firing, at, 0);
    type Case<'a> = (
        &'a str,
        Vec<Open>,
        Vec<Sent>,
        &'a str,
        Vec<(String, PageKind, Vec<String>, u8)>,
    );
    let cases: Vec<Case> = vec![
        (
            "held for the merge window from its first sighting",
            vec![open(down.clone())],
            vec![],
            "2026-03-10T02:00:20Z",
            vec![],
        ),
        (
            "two alerts within the window go out as one page per receiver",
            vec![open(down.clone()), open(disk.clone())],
            vec![],
            "2026-03-10T02:00:40Z",
            vec![
                page(
                    "bruno-phone",
                    Firing,
                    &["checks:erp/odoo", "checks:erp/disk"],
                    0,
                ),
                page("chat", Firing, &["checks:erp/odoo", "checks:erp/disk"], 0),
            ],
        ),
        (
            "nothing again before repeat_every",
            vec![open(down.clone())],
            vec![
                fired("bruno-phone", "2026-03-10T02:01:00Z"),
                fired("chat", "2026-03-10T02:01:00Z"),
            ],
            "2026-03-10T02:15:59Z",
            vec![],
        ),
        (
            "repeated to everyone told after repeat_every",
            vec![open(down.clone())],
            vec![
                fired("bruno-phone", "2026-03-10T02:01:00Z"),
                fired("chat", "2026-03-10T02:01:00Z"),
            ],
            "2026-03-10T02:16:00Z",
            vec![
                page("bruno-phone", Repeat, &["checks:erp/odoo"], 0),
                page("chat", Repeat, &["checks:erp/odoo"], 0),
            ],
        ),
        (
            "escalated to the next person after escalate_after",
            vec![open(down.clone())],
            vec![
                fired("bruno-phone", "2026-03-10T02:01:00Z"),
                sent(
                    "checks:erp/odoo",
                    "bruno-phone",
                    Repeat,
                    "2026-03-10T02:16:00Z",
                    0,
                ),
            ],
            "2026-03-10T02:31:00Z",
            vec![
                page("bruno-phone", Repeat, &["checks:erp/odoo"], 0),
                page("chat", Repeat, &["checks:erp/odoo"], 0),
                page("camille-phone", Escalated, &["checks:erp/odoo"], 1),
            ],
        ),
        (
            "then to the whole team",
            vec![open(down.clone())],
            vec![
                fired("bruno-phone", "2026-03-10T02:01:00Z"),
                sent(
                    "checks:erp/odoo",
                    "camille-phone",
                    Escalated,
                    "2026-03-10T02:31:00Z",
                    1,
                ),
                sent(
                    "checks:erp/odoo",
                    "bruno-phone",
                    Repeat,
                    "2026-03-10T02:46:00Z",
                    1,
                ),
                sent(
                    "checks:erp/odoo",
                    "camille-phone",
                    Repeat,
                    "2026-03-10T02:46:00Z",
                    1,
                ),
            ],
            "2026-03-10T03:01:00Z",
            vec![
                page("alix-phone", Escalated, &["checks:erp/odoo"], 2),
                page("bruno-phone", Repeat, &["checks:erp/odoo"], 1),
                page("camille-phone", Repeat, &["checks:erp/odoo"], 1),
                page("chat", Repeat, &["checks:erp/odoo"], 1),
            ],
        ),
        (
            "an acknowledgement stops repeats",
            vec![Open {
                ack: Some(Ack {
                    by: "bruno".into(),
                    at: t("2026-03-10T02:05:00Z"),
                    comment: String::new(),
                    expires: None,
                }),
                ..open(down.clone())
            }],
            vec![fired("bruno-phone", "2026-03-10T02:01:00Z")],
            "2026-03-10T03:00:00Z",
            vec![],
        ),
        (
            "a silence stops sending",
            vec![Open {
                silenced: Some(3),
                ..open(down.clone())
            }],
            vec![],
            "2026-03-10T03:00:00Z",
            vec![],
        ),
        (
            "resolved: one message to everyone told",
            vec![],
            vec![
                fired("bruno-phone", "2026-03-10T02:01:00Z"),
                fired("chat", "2026-03-10T02:01:00Z"),
                sent(
                    "checks:erp/odoo",
                    "camille-phone",
                    Escalated,
                    "2026-03-10T02:31:00Z",
                    1,
                ),
            ],
            "2026-03-10T02:40:00Z",
            vec![
                page("bruno-phone", Resolved, &["checks:erp/odoo"], 0),
                page("camille-phone", Resolved, &["checks:erp/odoo"], 0),
                page("chat", Resolved, &["checks:erp/odoo"], 0),
            ],
        ),
        (
            "resolved once",
            vec![],
            vec![
                fired("bruno-phone", "2026-03-10T02:01:00Z"),
                sent(
                    "checks:erp/odoo",
                    "bruno-phone",
                    Resolved,
                    "2026-03-10T02:40:00Z",
                    0,
                ),
            ],
            "2026-03-10T02:41:00Z",
            vec![],
        ),
        (
            "a return after resolved is a new episode",
            vec![open(alert(
                "checks:erp/odoo",
                Severity::Critical,
                Some("erp"),
                "odoo",
                "2026-03-10T02:00:00Z",
            ))],
            vec![
                fired("bruno-phone", "2026-03-10T02:01:00Z"),
                sent(
                    "checks:erp/odoo",
                    "bruno-phone",
                    Resolved,
                    "2026-03-10T02:40:00Z",
                    0,
                ),
            ],
            "2026-03-10T02:50:00Z",
            vec![
                page("bruno-phone", Firing, &["checks:erp/odoo"], 0),
                page("chat", Firing, &["checks:erp/odoo"], 0),
            ],
        ),
        (
            "a warning is paged once, never repeated",
            vec![open(alert(
                "checks:erp/slow",
                Severity::Warning,
                Some("erp"),
                "slow",
                "2026-03-10T02:00:00Z",
            ))],
            vec![sent(
                "checks:erp/slow",
                "chat",
                Firing,
                "2026-03-10T02:01:00Z",
                0,
            )],
            "2026-03-10T04:00:00Z",
            vec![],
        ),
    ];
    for (what, open, sent, at, want) in cases {
        let got = pages(plan(&f, &open, &sent, &routes, Some(&r), &timing(), t(at)));
        let mut want = want;
        want.sort();
        assert_eq!(got, want, "{what}");
    }
}

#[test]
fn on_call_pages_name_the_member() {
    let f = fleet();
    let down = alert(
        "tickets:42",
        Severity::Critical,
        None,
        "#42",
        "2026-03-10T02:00:00Z",
    );
    let p = plan(
        &f,
        &[open(down)],
        &[],
        &routing(),
        Some(&rota()),
        &timing(),
        t("2026-03-10T02:05:00Z"),
    );
    let to: Vec<_> = p
        .iter()
        .map(|p| (p.receiver.as_str(), p.to.as_deref()))
        .collect();
    assert_eq!(to, vec![("bruno-phone", Some("Bruno"))]);
    // No rota: "oncall" reaches no one (config check refuses such routes).
    let none = plan(
        &f,
        &[open(alert(
            "tickets:42",
            Severity::Critical,
            None,
            "#42",
            "2026-03-10T02:00:00Z",
        ))],
        &[],
        &routing(),
        None,
        &timing(),
        t("2026-03-10T02:05:00Z"),
    );
    assert!(none.is_empty());
    let _ = Utc.timestamp_opt(0, 0);
}

//! The alert list: deriving it from every judge's verdicts for 1,000 hosts
//! (two checks each), 1,000 tickets, 200 backup sources and 50 stores, a
//! tenth of each in trouble, and 100 maintenance windows over two months
//! (five of which ended minutes ago with a check of theirs not back). The judges' own work (the board, the backup
//! overview, the store verdicts) is timed by their benches; this times what
//! the header, the wall and the CLI add on top of them every frame.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use vigie::model::Status;
use vigie::model::attention::{CheckState, Inputs, Settings, alerts};
use vigie::model::backup::{SourceRecord, overview};
use vigie::model::maintenance::{Kind, MaintenanceWindow, Target, WindowState};
use vigie::model::pos::{Alert as PosAlert, Period, StoreView, Timeline};
use vigie::model::tickets::{ClockRules, LocalTime, Quota, Ticket, board};

const CLIENTS: usize = 50;
const HOSTS: usize = 1_000;
const TICKETS: usize = 1_000;
const SOURCES: usize = 200;
const STORES: usize = 50;
const WINDOWS: usize = 100;

/// A window every 14 hours from a month ago, on a host or a client, all
/// announced a week ahead; the last five ended 10 minutes ago on hosts
/// whose web check went down during the work.
fn window(i: usize, now: DateTime<Utc>, troubled: &[&str]) -> MaintenanceWindow {
    let (target, start) = if i >= WINDOWS - 5 {
        (
            Target::Host(troubled[i - (WINDOWS - 5)].to_string()),
            now - TimeDelta::minutes(70),
        )
    } else if i % 2 == 0 {
        (
            Target::Host(format!("h{}", i * 7)),
            now - TimeDelta::days(30) + TimeDelta::hours(14 * i as i64),
        )
    } else {
        (
            Target::Client(format!("c{}", i % CLIENTS)),
            now - TimeDelta::days(30) + TimeDelta::hours(14 * i as i64),
        )
    };
    MaintenanceWindow {
        uid: format!("w{i}@bench"),
        target,
        kind: Kind::Standard,
        start,
        end: start + TimeDelta::hours(1),
        title: format!("window {i}"),
        state: WindowState::Announced,
        sequence: 0,
        created: start - TimeDelta::days(8),
        stamp: start - TimeDelta::days(8),
        announced: Some(start - TimeDelta::days(7)),
    }
}

fn config() -> vigie::config::Config {
    let mut toml = String::from(
        "[contracts.c]\nintervention = { urgent = \"2h\", normal = \"1d\" }\nhourly_rate = 1.0\nmonthly_fee = 1.0\ncalls_per_year = 24\n",
    );
    for c in 0..CLIENTS {
        let hosts: Vec<String> = (0..HOSTS)
            .filter(|h| h % CLIENTS == c)
            .map(|h| format!("\"h{h}\""))
            .collect();
        toml.push_str(&format!(
            "[clients.c{c}]\nname = \"Client {c}\"\ntimezone = \"Europe/Paris\"\ncontract = \"c\"\nenvironments.prod.hosts = [{}]\n",
            hosts.join(", ")
        ));
    }
    for h in 0..HOSTS {
        toml.push_str(&format!(
            "[hosts.h{h}]\naddress = \"10.0.{}.{}\"\n[[hosts.h{h}.checks]]\nname = \"web\"\nkind = \"http\"\nurl = \"https://h{h}.example.org/\"\n[[hosts.h{h}.checks]]\nname = \"ssh\"\nkind = \"tcp\"\naddress = \"10.0.0.1:22\"\n",
            h / 250,
            h % 250
        ));
    }
    for s in 0..SOURCES {
        toml.push_str(&format!(
            "[backups.s{s}]\nclient = \"c{}\"\nkind = \"restic\"\nrepository = \"/srv/restic/{s}\"\npassword_env = \"PW\"\nretention_days = 30\n",
            s % CLIENTS
        ));
    }
    vigie::config::parse(&toml, std::path::Path::new("<bench>")).expect("config")
}

fn ticket(id: usize, now: DateTime<Utc>) -> Ticket {
    let created = now - TimeDelta::hours((id % 72) as i64);
    Ticket {
        id: id as u64,
        project: "p".into(),
        client: Some(format!("c{}", id % CLIENTS)),
        title: format!("ticket {id}"),
        status: "New".into(),
        closed: false,
        priority: if id % 10 == 0 { "urgent" } else { "normal" }.into(),
        tracker: "Bug".into(),
        author: "client".into(),
        assignee: None,
        created,
        updated: created,
        spent: Duration::from_secs((id % 5) as u64 * 1800),
        first_time_entry: None,
        journals: Vec::new(),
        url: None,
        intervention: None,
        journals_as_of: None,
    }
}

fn store(i: usize, now: DateTime<Utc>) -> StoreView {
    let alerts = if i % 10 == 0 {
        vec![PosAlert {
            key: "till-down:Caisse 1".into(),
            severity: Status::Down,
            message: "Caisse 1 does not answer".into(),
            since: now - TimeDelta::minutes(12),
            occurrences: 1,
        }]
    } else {
        Vec::new()
    };
    StoreView {
        client: format!("c{}", i % CLIENTS),
        site: format!("s{i}"),
        name: format!("Store {i}"),
        tz: chrono_tz::Europe::Paris,
        at: now,
        period: Period::Open,
        status: if alerts.is_empty() {
            Status::Up
        } else {
            Status::Down
        },
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

fn bench(c: &mut Criterion) {
    let fleet = config().fleet;
    let now = Utc::now();
    let ids: Vec<String> = fleet.checks().map(|(_, c)| c.id.clone()).collect();
    let checks: Vec<CheckState> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| CheckState {
            id,
            status: match i % 20 {
                0 => Status::Down,
                1 => Status::Degraded,
                _ => Status::Up,
            },
            observed: Status::Up,
            flapping: i % 50 == 7,
            since: now - TimeDelta::minutes(5),
            message: "timeout after 5s",
        })
        .collect();
    let tickets: Vec<Ticket> = (0..TICKETS).map(|i| ticket(i, now)).collect();
    let rows = board(
        &tickets,
        &fleet,
        &ClockRules::default(),
        &LocalTime::default(),
        now,
    );
    let records: BTreeMap<String, SourceRecord> = (0..SOURCES)
        .filter(|s| s % 10 == 0)
        .map(|s| {
            (
                format!("s{s}"),
                SourceRecord {
                    checked: Some(now),
                    error: Some("wrong password".into()),
                    ..SourceRecord::default()
                },
            )
        })
        .collect();
    let backups = overview(&fleet, &records, now);
    let stores: Vec<StoreView> = (0..STORES).map(|i| store(i, now)).collect();
    let mut troubled: Vec<&str> = checks
        .iter()
        .filter(|c| c.status != Status::Up)
        .filter_map(|c| c.id.split_once('/').map(|(h, _)| h))
        .collect();
    troubled.dedup();
    let windows: Vec<MaintenanceWindow> = (0..WINDOWS).map(|i| window(i, now, &troubled)).collect();
    let client_ids: Vec<String> = fleet.clients.iter().map(|c| c.id.clone()).collect();
    let inputs = Inputs {
        checks,
        stores: stores.iter().collect(),
        backups: Some(&backups),
        tickets: &rows,
        calls: client_ids
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    c.as_str(),
                    Quota {
                        used: i as u32,
                        allowed: 24,
                    },
                )
            })
            .collect(),
        windows: &windows,
        ..Inputs::default()
    };
    let settings = Settings::default();
    let list = alerts(&fleet, &inputs, &settings, now);
    let n = list.len();
    assert!(
        n > 100,
        "a tenth in trouble should make over 100 alerts: {n}"
    );
    let overruns = list
        .iter()
        .filter(|a| a.reason.starts_with("running past its end"))
        .count();
    assert_eq!(overruns, 5, "the five windows whose check is not back");
    c.bench_function(
        "alert list: 1000 hosts, 1000 tickets, 200 sources, 50 stores, 100 windows",
        |b| b.iter(|| black_box(alerts(&fleet, black_box(&inputs), &settings, now))),
    );
    // Only the five windows past their end: what the overrun rule costs.
    let past = Inputs {
        windows: &windows[WINDOWS - 5..],
        ..inputs.clone()
    };
    c.bench_function(
        "alert list: 1000 hosts, 1000 tickets, 200 sources, 50 stores, 5 windows past their end",
        |b| b.iter(|| black_box(alerts(&fleet, black_box(&past), &settings, now))),
    );
    // The same without windows: what the windows' rules and overruns add.
    let no_windows = Inputs {
        windows: &[],
        ..inputs.clone()
    };
    c.bench_function(
        "alert list: 1000 hosts, 1000 tickets, 200 sources, 50 stores",
        |b| b.iter(|| black_box(alerts(&fleet, black_box(&no_windows), &settings, now))),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! The alert list: deriving it from every judge's verdicts for 1,000 hosts
//! (two checks each), 1,000 tickets, 200 backup sources and 50 stores, a
//! tenth of each in trouble. The judges' own work (the board, the backup
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
use vigie::model::pos::{Alert as PosAlert, Period, StoreView, Timeline};
use vigie::model::tickets::{ClockRules, LocalTime, Quota, Ticket, board};

const CLIENTS: usize = 50;
const HOSTS: usize = 1_000;
const TICKETS: usize = 1_000;
const SOURCES: usize = 200;
const STORES: usize = 50;

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
        ..Inputs::default()
    };
    let settings = Settings::default();
    let n = alerts(&fleet, &inputs, &settings, now).len();
    assert!(
        n > 100,
        "a tenth in trouble should make over 100 alerts: {n}"
    );
    c.bench_function(
        "alert list: 1000 hosts, 1000 tickets, 200 sources, 50 stores",
        |b| b.iter(|| black_box(alerts(&fleet, black_box(&inputs), &settings, now))),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);

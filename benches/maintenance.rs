//! The slot finder on a host shared by 20 clients: each with its own
//! opening hours (some in another timezone), closures and a recurring
//! window; the next 5 slots over a 90-day horizon.

use std::hint::black_box;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use vigie::model::maintenance::rules::Scope;
use vigie::model::maintenance::{
    ClientRules, Closure, Kind, Opening, Policy, RRule, Recurring, next_slots,
};
use vigie::model::{DayHours, OpeningHours, TimeOfDay};

fn client(i: usize) -> ClientRules {
    let tz = if i % 5 == 4 {
        chrono_tz::Europe::London
    } else {
        chrono_tz::Europe::Paris
    };
    let mut hours = OpeningHours::always_closed();
    for d in 0..6 {
        hours.days[d] = DayHours::Open {
            open: TimeOfDay::new(8 + (i % 3) as u16, 0).unwrap_or(TimeOfDay { minutes: 480 }),
            close: TimeOfDay::new(18 + (i % 4) as u16, 30).unwrap_or(TimeOfDay { minutes: 1110 }),
        };
    }
    let mut policy = Policy::default();
    if i % 7 == 0 {
        policy.recurring.push(Recurring {
            rule: RRule::parse("FREQ=MONTHLY;BYDAY=1MO").unwrap_or_else(|e| panic!("{e}")),
            dtstart: NaiveDateTime::parse_from_str("2026-01-05 22:00", "%Y-%m-%d %H:%M")
                .unwrap_or_default(),
            duration: TimeDelta::hours(1),
        });
    }
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
    ClientRules {
        client: format!("c{i}"),
        name: format!("Client {i}"),
        timezone: tz,
        opening: vec![Opening {
            label: format!("Store {i}"),
            timezone: tz,
            hours,
        }],
        closures: vec![Closure {
            from: day(12, 1 + (i as u32 % 20)),
            to: day(12, 3 + (i as u32 % 20)),
            reason: "closed".into(),
        }],
        policy,
    }
}

fn bench(c: &mut Criterion) {
    let clients: Vec<ClientRules> = (0..20).map(client).collect();
    let scope = Scope {
        clients: clients.iter().collect(),
        existing: Vec::new(),
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
    let slots = next_slots(
        &scope,
        now,
        now,
        TimeDelta::hours(1),
        Kind::Standard,
        5,
        TimeDelta::days(90),
    );
    assert_eq!(slots.len(), 5, "the bench fleet has slots");
    c.bench_function("next 5 slots, host shared by 20 clients, 90 days", |b| {
        b.iter(|| {
            black_box(next_slots(
                black_box(&scope),
                now,
                now,
                TimeDelta::hours(1),
                Kind::Standard,
                5,
                TimeDelta::days(90),
            ))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! The SLA report over a big store: 1,000 checks (200 clients, 5 SLA checks
//! each) with 13 months of history as Vigie keeps it (rollups per minute for
//! 48 h, per hour for 35 days, per day for 13 months; a few incidents per
//! check per month). Prints the store's size, then times the report of one
//! month for every client.
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) the fleet is
//! 50 checks, to keep the harness quick.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use vigie::store::{Reader, Writer};

fn fleet_toml(clients: usize) -> String {
    let mut toml = String::from(
        "[contracts.std]\nintervention = { urgent = \"2h\" }\nhourly_rate = 120\nmonthly_fee = 300\n",
    );
    for c in 0..clients {
        let _ = write!(
            toml,
            "[clients.c{c}]\nname = \"Client {c}\"\ntimezone = \"Europe/Paris\"\ncontract = \"std\"\n\
             [clients.c{c}.environments.prod]\nhosts = [\"h{c}\"]\n\
             [hosts.h{c}]\naddress = \"10.0.0.1\"\n"
        );
        for k in 0..5 {
            let _ = write!(
                toml,
                "[[hosts.h{c}.checks]]\nname = \"s{k}\"\nkind = \"http\"\nurl = \"https://h{c}.example.org/{k}\"\n"
            );
        }
    }
    toml
}

/// Fills the store with SQL (faster than through the writer).
fn fill(db: &Path, checks: usize, now_ms: i64) {
    // The writer creates and migrates the file.
    drop(Writer::spawn(db).expect("store"));
    let conn = rusqlite::Connection::open(db).expect("open");
    let day = 86_400_000_i64;
    let sql = format!(
        "BEGIN;
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last})
         INSERT INTO checks (key, id) SELECT i, 'h' || (i / 5) || '/s' || (i % 5) FROM n;
         -- minute rollups for 48 h
         WITH RECURSIVE m(b) AS (SELECT {now} - 2 * {day} UNION ALL SELECT b + 60000 FROM m WHERE b < {now} - 60000)
         INSERT INTO rollups SELECT 60, m.b, c.key, 6, 6, 6, 240.0, 20.0, 80.0 FROM m, checks AS c;
         -- hourly for 35 days
         WITH RECURSIVE h(b) AS (SELECT {now} - 35 * {day} UNION ALL SELECT b + 3600000 FROM h WHERE b < {now} - 3600000)
         INSERT INTO rollups SELECT 3600, h.b, c.key, 360, 359, 359, 14360.0, 10.0, 400.0 FROM h, checks AS c;
         -- daily for 13 months
         WITH RECURSIVE d(b) AS (SELECT {now} - 396 * {day} UNION ALL SELECT b + {day} FROM d WHERE b < {now} - {day})
         INSERT INTO rollups SELECT 86400, d.b, c.key, 8640, 8630, 8630, 345200.0, 5.0, 900.0 FROM d, checks AS c;
         -- intervals: up, with 4 incidents a month (45 min down) per check
         WITH RECURSIVE k(t) AS (SELECT {now} - 396 * {day} UNION ALL SELECT t + 7 * {day} FROM k WHERE t < {now} - 7 * {day})
         INSERT INTO state_intervals (start_ms, check_key, end_ms, status, cause)
         SELECT k.t + c.key * 1000, c.key, k.t + c.key * 1000 + 2700000, 4, 'HTTP 503 Service Unavailable'
         FROM k, checks AS c
         UNION ALL
         SELECT k.t + c.key * 1000 + 2700000, c.key, k.t + 7 * {day} + c.key * 1000, 0, '200 OK'
         FROM k, checks AS c;
         COMMIT;",
        last = checks - 1,
        now = now_ms,
        day = day,
    );
    conn.execute_batch(&sql).expect("fill");
}

fn sla(c: &mut Criterion) {
    let full = std::env::args().any(|a| a == "--bench");
    let clients = if full { 200 } else { 10 };
    let config = vigie::config::parse(&fleet_toml(clients), Path::new("<bench>")).expect("config");
    let fleet = config.fleet;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vigie.db");
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    fill(&db, clients * 5, now.timestamp_millis());
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.path().join("vigie.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "sla store: {} checks, 13 months of history: {:.1} MB",
        clients * 5,
        size as f64 / 1e6
    );
    let reader = Reader::open(&db).expect("reader");
    let reports = vigie::cli::report::build(&reader, &fleet, 2026, 10, None, now).expect("report");
    assert_eq!(reports.len(), clients);
    assert!(reports.iter().all(|r| r.percent.is_some_and(|p| p < 100.0)));
    c.bench_function("sla_report_one_month_all_clients", |b| {
        b.iter(|| {
            let r = vigie::cli::report::build(&reader, black_box(&fleet), 2026, 10, None, now)
                .expect("report");
            black_box(r)
        })
    });
}

criterion_group!(benches, sla);
criterion_main!(benches);

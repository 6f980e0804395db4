//! The yearly usage report over a big store: 200 clients, each with four
//! meters sampled every day of the year (active users from Odoo with ~30
//! distinct users a month, documents as a level, e-mails per day, SMS as a
//! counter reset once), a few failed days. Times `vigie usage` (the store
//! read and the reports) and the reports alone.
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) the fleet is
//! 10 clients, to keep the harness quick.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use vigie::store::{Reader, Writer};

fn fleet_toml(clients: usize) -> String {
    let mut toml = String::from(
        "[contracts.std]\nintervention = { urgent = \"2h\" }\nhourly_rate = 120\nmonthly_fee = 300\n\
         [contracts.std.usage]\nbase_fee = 1200.0\nper_user = 5.0\nusers_counted = \"month\"\n\
         included_gb = 20\nper_extra_gb = 5.0\nincluded_emails = 20000\nper_extra_email = 0.001\n\
         included_sms = 1000\nper_extra_sms = 0.08\n",
    );
    for c in 0..clients {
        let _ = write!(
            toml,
            "[clients.c{c}]\nname = \"Client {c}\"\ntimezone = \"Europe/Paris\"\ncontract = \"std\"\n\
             [clients.c{c}.odoo]\nurl = \"https://c{c}.example.org\"\ndb = \"c{c}\"\nlogin = \"vigie\"\nkey_env = \"K\"\n\
             [clients.c{c}.usage]\nactive_users = {{ source = \"odoo\" }}\ndocuments = {{ source = \"odoo\" }}\n\
             emails = {{ source = \"odoo\" }}\n\
             sms = {{ source = \"prometheus\", url = \"http://prom:9090\", query = \"sum(sms_sent_total)\" }}\n"
        );
    }
    toml
}

/// Fills the store with SQL (faster than through the writer).
fn fill(db: &Path, clients: usize) {
    drop(Writer::spawn(db).expect("store"));
    let conn = rusqlite::Connection::open(db).expect("open");
    let sql = format!(
        "BEGIN;
         WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < {last}),
              d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 364)
         INSERT INTO usage_samples (client, meter, day, kind, value, error, sampled_ms)
         SELECT 'c' || c.i, m.meter, date('2026-01-01', '+' || d.n || ' days'),
                CASE WHEN (d.n + c.i) % 97 = 5 THEN NULL ELSE m.kind END,
                CASE WHEN (d.n + c.i) % 97 = 5 THEN NULL
                     WHEN m.meter = 'documents' THEN 15000000000 + d.n * 10000000
                     WHEN m.meter = 'sms' THEN (CASE WHEN d.n < 160 THEN 5000 + d.n * 4 ELSE (d.n - 160) * 4 END)
                     ELSE 10 + (d.n * 7 + c.i) % 40 END,
                CASE WHEN (d.n + c.i) % 97 = 5 THEN 'Odoo unreachable: no answer within 30s' END,
                0
         FROM c, d,
              (SELECT 'active_users' AS meter, 'day' AS kind UNION ALL SELECT 'documents', 'level'
               UNION ALL SELECT 'emails', 'day' UNION ALL SELECT 'sms', 'total') AS m;
         WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < {last}),
              mo(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM mo WHERE m < 12),
              u(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM u WHERE k < 30)
         INSERT INTO usage_users (client, month, user)
         SELECT 'c' || c.i, printf('2026-%02d', mo.m), CAST(((u.k + mo.m * 3) % 45) + 3 AS TEXT)
         FROM c, mo, u;
         COMMIT;",
        last = clients - 1,
    );
    conn.execute_batch(&sql).expect("fill");
}

fn usage(c: &mut Criterion) {
    let full = std::env::args().any(|a| a == "--bench");
    let clients = if full { 200 } else { 10 };
    let config = vigie::config::parse(&fleet_toml(clients), Path::new("<bench>")).expect("config");
    let fleet = config.fleet;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vigie.db");
    fill(&db, clients);
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.path().join("vigie.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "usage store: {clients} clients, 4 meters, 365 days: {:.1} MB",
        size as f64 / 1e6
    );
    let now = Utc.with_ymd_and_hms(2027, 1, 5, 12, 0, 0).unwrap();
    let reader = Reader::open(&db).expect("reader");
    let reports = vigie::cli::usage::build(&reader, &fleet, 2026, None, now).expect("report");
    assert_eq!(reports.len(), clients);
    assert!(
        reports
            .iter()
            .all(|r| r.lines.len() == 16 && r.meters.iter().all(|m| m.days.len() == 365))
    );
    assert!(reports.iter().all(|r| {
        r.meter(vigie::model::usage::Meter::Sms)
            .is_some_and(|m| m.flags.len() == 1)
    }));
    c.bench_function("usage_report_year_all_clients", |b| {
        b.iter(|| {
            let r = vigie::cli::usage::build(&reader, black_box(&fleet), 2026, None, now)
                .expect("report");
            black_box(r)
        })
    });
    let stored = reader.usage(2026).expect("usage");
    c.bench_function("usage_reports_only_year_all_clients", |b| {
        b.iter(|| {
            let mut s = stored.clone();
            let r = vigie::model::usage::fleet_reports(black_box(&fleet), &mut s, 2026, None, now);
            black_box(r)
        })
    });
}

criterion_group!(benches, usage);
criterion_main!(benches);

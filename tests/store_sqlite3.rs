//! The store read by the `sqlite3` operators have (Debian 12 ships 3.40):
//! Vigie's own messages tell them to run `sqlite3 FILE 'PRAGMA
//! integrity_check'`, so every schema Vigie writes must parse there.

use std::path::Path;
use std::process::Command;

use chrono::{NaiveDate, TimeZone, Utc};
use rusqlite::Connection;
use vigie::model::usage::{Meter, Reading};
use vigie::model::{CheckResult, Status};
use vigie::store::usage::UsageSample;
use vigie::store::{Reader, SCHEMA_VERSION, WriteOp, Writer, migrations};

/// Runs the system's `sqlite3` (scripts/test installs it) on `path`;
/// its stdout, or its stderr as the error.
fn sqlite3(path: &Path, sql: &str) -> Result<String, String> {
    let out = Command::new("sqlite3")
        .arg("-bail")
        .arg(path)
        .arg(sql)
        .output()
        .expect("the sqlite3 program (Debian package sqlite3) runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn sample(
    client: &str,
    meter: Meter,
    on: NaiveDate,
    outcome: Result<Reading, String>,
) -> UsageSample {
    UsageSample {
        client: client.into(),
        meter,
        day: on,
        outcome,
        at: Utc.with_ymd_and_hms(2026, 6, 1, 3, 0, 0).unwrap(),
        users: Vec::new(),
    }
}

/// A little of everything the tables hold: a result and usage samples of
/// each kind, a failed day among them.
fn write_some(path: &Path) {
    let writer = Writer::spawn(path).unwrap();
    writer
        .send(WriteOp::Result(CheckResult::observed(
            "acme/web",
            Utc.with_ymd_and_hms(2026, 6, 1, 3, 0, 0).unwrap(),
            Status::Up,
            Some(12),
            "up".to_string(),
        )))
        .unwrap();
    writer
        .send(WriteOp::Usage(vec![
            sample("acme", Meter::Emails, day(1, 31), Ok(Reading::Total(40))),
            sample("acme", Meter::Emails, day(2, 2), Ok(Reading::Total(45))),
            sample("acme", Meter::Emails, day(2, 1), Err("Odoo down".into())),
            sample("acme", Meter::Sms, day(2, 3), Ok(Reading::Day(7))),
            sample(
                "acme",
                Meter::Documents,
                day(2, 3),
                Ok(Reading::Level(1 << 40)),
            ),
        ]))
        .unwrap();
    writer.flush().unwrap();
}

/// Every table of the file, as `sqlite3` lists them.
fn tables(path: &Path) -> Vec<String> {
    sqlite3(
        path,
        "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
    )
    .unwrap()
    .lines()
    .map(str::to_string)
    .collect()
}

#[test]
fn the_system_sqlite3_reads_a_store_upgraded_from_every_schema_version() {
    for version in 0..=SCHEMA_VERSION {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vigie.db");
        if version > 0 {
            let mut conn = Connection::open(&path).unwrap();
            migrations::migrate_to(&mut conn, &path, version).unwrap();
        }
        write_some(&path);
        assert_eq!(
            sqlite3(&path, "PRAGMA integrity_check").as_deref(),
            Ok("ok"),
            "from v{version}"
        );
        let tables = tables(&path);
        assert!(tables.contains(&"usage_months".to_string()), "{tables:?}");
        for table in &tables {
            let count = sqlite3(&path, &format!("SELECT count(*) FROM \"{table}\""));
            assert!(
                count.as_ref().is_ok_and(|n| n.parse::<u64>().is_ok()),
                "from v{version}, {table}: {count:?}"
            );
        }
        let months = sqlite3(&path, "SELECT count(*) FROM usage_months");
        assert_eq!(months.as_deref(), Ok("4"), "from v{version}");
    }
}

#[test]
fn usage_written_with_the_system_sqlite3_reaches_the_monthly_rows() {
    let dir = tempfile::tempdir().unwrap();
    // The same samples, one store written by Vigie only, the other partly
    // by an operator's `sqlite3` (its triggers run there).
    let vigie = dir.path().join("vigie.db");
    write_some(&vigie);
    let writer = Writer::spawn(&vigie).unwrap();
    writer
        .send(WriteOp::Usage(vec![sample(
            "acme",
            Meter::Emails,
            day(2, 1),
            Ok(Reading::Total(43)),
        )]))
        .unwrap();
    writer.flush().unwrap();
    drop(writer);

    let mixed = dir.path().join("mixed.db");
    write_some(&mixed);
    sqlite3(
        &mixed,
        "UPDATE usage_samples SET kind = 'total', value = 43, error = NULL
         WHERE client = 'acme' AND meter = 'emails' AND day = '2026-02-01';
         INSERT INTO usage_samples (client, meter, day, kind, value, error, sampled_ms)
         VALUES ('acme', 'sms', '2026-03-09', 'day', 2, NULL, 0);
         DELETE FROM usage_samples WHERE meter = 'sms' AND day = '2026-03-09';",
    )
    .unwrap();

    let expected = Reader::open(&vigie).unwrap().usage(2026).unwrap();
    let acme = &expected["acme"];
    assert_eq!(acme.samples[&Meter::Emails].len(), 3);
    assert_eq!(Reader::open(&mixed).unwrap().usage(2026).unwrap(), expected);
    assert_eq!(
        sqlite3(
            &mixed,
            "SELECT days FROM usage_months WHERE month = '2026-02' AND meter = 'emails'"
        ),
        sqlite3(
            &vigie,
            "SELECT days FROM usage_months WHERE month = '2026-02' AND meter = 'emails'"
        ),
    );
}

/// What SQLite added after 3.40, for a machine whose `sqlite3` is newer
/// than Debian 12's: the test above then proves less, this one still
/// holds. Aggregates with `ORDER BY` in their arguments and these
/// functions are refused or unknown there.
const NEWER_THAN_3_40: &[&str] = &[
    "unhex(",        // 3.41
    "octet_length(", // 3.43
    "timediff(",     // 3.43
    "concat(",       // 3.44
    "concat_ws(",    // 3.44
    "string_agg(",   // 3.44
    "jsonb",         // 3.45
];

/// Whether `sql` has an `ORDER BY` directly inside the parentheses of a
/// function call (`group_concat(x, '' ORDER BY y)`), rather than in a
/// subquery or an `OVER (...)` window.
fn orders_inside_a_call(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    // For each open parenthesis: whether it opens a call's arguments.
    let mut stack: Vec<bool> = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' => {
                let before = upper[..i].trim_end();
                let word: String = before
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
                    .chars()
                    .rev()
                    .collect();
                let keyword = [
                    "OVER", "AS", "IN", "EXISTS", "VALUES", "ON", "KEY", "WHERE", "AND", "OR",
                    "NOT", "FROM", "JOIN", "USING",
                ];
                let call = !word.is_empty()
                    && !keyword.contains(&word.as_str())
                    && !word.chars().all(|c| c.is_ascii_digit());
                stack.push(call);
            }
            b')' => {
                stack.pop();
            }
            _ => {
                if upper[i..].starts_with("ORDER BY") && stack.last() == Some(&true) {
                    return true;
                }
            }
        }
    }
    false
}

#[test]
fn the_check_for_newer_sql_sees_an_ordered_aggregate() {
    assert!(orders_inside_a_call(
        "SELECT group_concat(x, '' ORDER BY day) FROM t"
    ));
    assert!(!orders_inside_a_call(
        "SELECT group_concat(x, '') OVER (PARTITION BY a ORDER BY day) FROM (SELECT x FROM t ORDER BY y)"
    ));
    assert!(!orders_inside_a_call(
        "SELECT 1 WINDOW w AS (PARTITION BY a ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
    ));
}

#[test]
fn the_schema_uses_no_sql_newer_than_sqlite_3_40() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.db");
    write_some(&path);
    let conn = Connection::open(&path).unwrap();
    let mut q = conn
        .prepare("SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL")
        .unwrap();
    let schema: Vec<(String, String)> = q
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(schema.iter().any(|(name, _)| name == "usage_months_insert"));
    for (name, sql) in &schema {
        let lower = sql.to_ascii_lowercase();
        for newer in NEWER_THAN_3_40 {
            // `concat(` but not `group_concat(`.
            let called = lower.match_indices(newer).any(|(i, _)| {
                !lower[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            });
            assert!(!called, "{name} uses {newer}");
        }
        assert!(!orders_inside_a_call(sql), "{name} orders inside a call");
    }
}

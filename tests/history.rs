//! Health history in a real store: intervals follow the judged state,
//! rollups match what was fed, pruning keeps exactly the retention, and
//! availability comes out of what was stored.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use vigie::model::availability::{self, Interval};
use vigie::model::{CheckResult, Metric, Retention, Status};
use vigie::store::history::Resolution;
use vigie::store::{Reader, WriteOp, Writer};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap()
}

fn at(secs: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(secs)
}

/// A result whose judged state may differ from the probe's.
fn judged(
    check: &str,
    secs: i64,
    status: Status,
    observed: Status,
    lat: Option<u32>,
) -> CheckResult {
    let mut r = CheckResult::observed(
        check,
        at(secs),
        status,
        lat,
        format!("{} at {secs}", observed.label()),
    );
    r.observed = observed;
    r
}

fn store() -> (tempfile::TempDir, Writer, Reader) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.db");
    let writer = Writer::spawn(&path).unwrap();
    let reader = Reader::open(&path).unwrap();
    (dir, writer, reader)
}

#[test]
fn intervals_open_and_close_on_judged_state_changes_only() {
    let (_dir, writer, reader) = store();
    use Status::*;
    // Probe fails twice (state stays up), then the third failure is down,
    // then two successes bring it up.
    let seq = [
        (0, Up, Up),
        (60, Up, Down),
        (120, Up, Down),
        (180, Down, Down),
        (240, Down, Up),
        (300, Up, Up),
    ];
    for (s, status, observed) in seq {
        writer
            .send(WriteOp::Result(judged(
                "h/web",
                s,
                status,
                observed,
                Some(10),
            )))
            .unwrap();
    }
    writer.flush().unwrap();
    let ivs = reader.intervals(at(-10), at(1000), &[]).unwrap();
    let got: Vec<(Status, DateTime<Utc>, Option<DateTime<Utc>>)> = ivs
        .iter()
        .map(|i| (i.interval.status, i.interval.start, i.interval.end))
        .collect();
    assert_eq!(
        got,
        [
            (Up, at(0), Some(at(180))),
            (Down, at(180), Some(at(300))),
            (Up, at(300), None)
        ]
    );
    assert_eq!(ivs[1].cause, "down at 180");
    let states = reader.latest_states().unwrap();
    assert_eq!((states[0].status, states[0].observed), (Up, Up));
}

#[test]
fn rollups_match_the_results_fed() {
    let (_dir, writer, reader) = store();
    let lats = [10, 30, 20, 40];
    for (i, l) in lats.iter().enumerate() {
        let mut r = judged("h/web", i as i64 * 15, Status::Up, Status::Up, Some(*l));
        r.metrics = vec![
            Metric::new("cpu_busy_pct", 10.0 * (i + 1) as f64),
            Metric::new("disk_used_pct:/", 50.0),
            Metric::new("disk_used_pct:/var", 70.0),
        ];
        writer.send(WriteOp::Result(r)).unwrap();
    }
    // A failed probe: counted, no latency.
    writer
        .send(WriteOp::Result(judged(
            "h/web",
            70,
            Status::Up,
            Status::Down,
            None,
        )))
        .unwrap();
    writer.flush().unwrap();
    for res in Resolution::ALL {
        let buckets = reader
            .latency_buckets("h/web", at(-3600), at(3600), res)
            .unwrap();
        let samples: u32 = buckets.iter().map(|b| b.samples).sum();
        let ok: u32 = buckets.iter().map(|b| b.ok).sum();
        assert_eq!((samples, ok), (5, 4), "{res:?}");
    }
    let minute = reader
        .latency_buckets("h/web", at(0), at(60), Resolution::Minute)
        .unwrap();
    assert_eq!(minute.len(), 1);
    assert_eq!(minute[0].latency_avg, Some(25.0));
    assert_eq!(
        (minute[0].latency_min, minute[0].latency_max),
        (Some(10.0), Some(40.0))
    );
    let cpu = reader
        .metric_buckets("h/web", "cpu_busy_pct", at(0), at(60), Resolution::Hour)
        .unwrap();
    assert_eq!((cpu[0].avg, cpu[0].min, cpu[0].max), (25.0, 10.0, 40.0));
    // The fullest disk stands for all mounts.
    let disk = reader
        .metric_buckets("h/web", "disk_used_pct", at(0), at(60), Resolution::Day)
        .unwrap();
    assert_eq!(disk[0].max, 70.0);
    let spark = reader.minute_latencies(at(-60)).unwrap();
    assert_eq!(spark["h/web"].len(), 2, "two minutes with samples");
}

#[test]
fn pruning_removes_exactly_what_is_out_of_retention() {
    let (_dir, writer, reader) = store();
    let day = 86_400;
    for d in 0..5 {
        writer
            .send(WriteOp::Result(judged(
                "h/web",
                d * day,
                Status::Up,
                Status::Up,
                Some(5),
            )))
            .unwrap();
    }
    writer.flush().unwrap();
    let retention = Retention {
        raw: Duration::from_secs(2 * day as u64),
        minute: Duration::from_secs(2 * day as u64),
        hour: Duration::from_secs(3 * day as u64),
        day: Duration::from_secs(4 * day as u64),
    };
    // "Now" is day 4 plus an hour.
    let now = at(4 * day + 3600);
    writer
        .send(WriteOp::PruneHistory { now, retention })
        .unwrap();
    writer.flush().unwrap();
    let count = |res| {
        reader
            .latency_buckets("h/web", at(-day), at(10 * day), res)
            .unwrap()
            .len()
    };
    // Kept: buckets starting within the retention before now.
    assert_eq!(count(Resolution::Minute), 2, "days 3 and 4");
    assert_eq!(count(Resolution::Hour), 3, "days 2, 3 and 4");
    assert_eq!(count(Resolution::Day), 4, "days 1 to 4");
    assert_eq!(reader.count_results().unwrap(), 2);
    // The state interval is still open: never pruned.
    assert_eq!(reader.intervals(at(0), now, &[]).unwrap().len(), 1);
}

/// Results judged by the engine's own tracker (default policy: down after
/// three failures, up after two successes) from what the probe saw.
fn tracked(check: &str, probes: &[(i64, Status)]) -> Vec<CheckResult> {
    use vigie::model::tracker::{Policy, Tracker};
    let mut tracker = Tracker::new();
    probes
        .iter()
        .map(|&(secs, observed)| {
            let j = tracker.observe(observed, at(secs), &Policy::default(), false);
            let mut r = judged(check, secs, j.status, observed, Some(10));
            r.failing = j.failing;
            r.first_failure = j.since;
            r
        })
        .collect()
}

fn stored_intervals(reader: &Reader) -> Vec<(Status, DateTime<Utc>, Option<DateTime<Utc>>)> {
    reader
        .intervals(at(-10), at(100_000), &[])
        .unwrap()
        .iter()
        .map(|i| (i.interval.status, i.interval.start, i.interval.end))
        .collect()
}

#[test]
fn a_confirmed_outage_is_stored_from_its_first_failure() {
    let (_dir, writer, reader) = store();
    use Status::*;
    let probes = [
        (0, Up),
        (60, Down),
        (120, Down),
        (180, Down),
        (240, Up),
        (300, Up),
    ];
    for r in tracked("h/web", &probes) {
        writer.send(WriteOp::Result(r)).unwrap();
    }
    writer.flush().unwrap();
    assert_eq!(
        stored_intervals(&reader),
        [
            (Up, at(0), Some(at(60))),
            (Down, at(60), Some(at(300))),
            (Up, at(300), None)
        ]
    );
}

#[test]
fn failing_unconfirmed_is_stored_as_a_warning_then_clears() {
    let (_dir, writer, reader) = store();
    use Status::*;
    let probes = [(0, Up), (60, Down), (120, Down), (180, Up)];
    let results = tracked("h/web", &probes);
    assert_eq!(results[1].failing, Some((1, 3)));
    assert_eq!(results[2].failing, Some((2, 3)));
    for r in results {
        writer.send(WriteOp::Result(r)).unwrap();
    }
    writer.flush().unwrap();
    assert_eq!(
        stored_intervals(&reader),
        [
            (Up, at(0), Some(at(60))),
            (Degraded, at(60), Some(at(180))),
            (Up, at(180), None)
        ]
    );
    let states = reader.latest_states().unwrap();
    assert_eq!((states[0].status, states[0].since), (Up, at(180)));
}

#[test]
fn availability_counts_an_outage_from_its_first_failure() {
    let (_dir, writer, reader) = store();
    use Status::*;
    // Up an hour; failing from 1:00, confirmed at 1:02; back up at 2:01.
    let probes = [
        (0, Up),
        (3600, Down),
        (3660, Down),
        (3720, Down),
        (7200, Up),
        (7260, Up),
    ];
    for r in tracked("h/web", &probes) {
        writer.send(WriteOp::Result(r)).unwrap();
    }
    writer.flush().unwrap();
    let end = at(4 * 3600);
    let ivs: Vec<Interval> = reader
        .intervals(at(0), end, &[])
        .unwrap()
        .into_iter()
        .map(|i| i.interval)
        .collect();
    let a = availability::of_check(&ivs, at(0), end, end);
    assert_eq!(a.down, TimeDelta::seconds(7260 - 3600));
    assert_eq!(a.up, TimeDelta::seconds(4 * 3600 - (7260 - 3600)));
    let states = reader.latest_states().unwrap();
    assert_eq!(states[0].status, Up);
}

#[test]
fn availability_comes_from_stored_intervals() {
    let (_dir, writer, reader) = store();
    use Status::*;
    // Up for 9 h, down 1 h, maintenance 2 h, up again.
    for (s, status) in [
        (0, Up),
        (9 * 3600, Down),
        (10 * 3600, Maintenance),
        (12 * 3600, Up),
    ] {
        writer
            .send(WriteOp::Result(judged("h/web", s, status, status, Some(5))))
            .unwrap();
    }
    writer.flush().unwrap();
    let ivs: Vec<Interval> = reader
        .intervals(at(0), at(24 * 3600), &[])
        .unwrap()
        .into_iter()
        .map(|i| i.interval)
        .collect();
    let a = availability::of_check(&ivs, at(0), at(24 * 3600), at(24 * 3600));
    assert_eq!(a.down, TimeDelta::hours(1));
    assert_eq!(a.maintenance, TimeDelta::hours(2));
    assert_eq!(a.up, TimeDelta::hours(21));
    let p = a.percent().unwrap();
    assert!((p - 100.0 * 21.0 / 22.0).abs() < 1e-9, "{p}");
}

#[test]
fn backfilled_history_joins_what_is_stored_without_moving_the_state() {
    let (_dir, writer, reader) = store();
    use Status::*;
    // The recent part first (as the demo seeds), then older history.
    for (s, st) in [(1000, Up), (1100, Down)] {
        writer
            .send(WriteOp::Result(judged("h/web", s, st, st, Some(5))))
            .unwrap();
    }
    let older = [(0, Up), (100, Down), (200, Up), (900, Up)]
        .into_iter()
        .map(|(s, st)| judged("h/web", s, st, st, Some(5)))
        .collect();
    writer.send(WriteOp::Backfill(older)).unwrap();
    writer.flush().unwrap();
    let got: Vec<(Status, DateTime<Utc>, Option<DateTime<Utc>>)> = reader
        .intervals(at(-10), at(2000), &[])
        .unwrap()
        .iter()
        .map(|i| (i.interval.status, i.interval.start, i.interval.end))
        .collect();
    assert_eq!(
        got,
        [
            (Up, at(0), Some(at(100))),
            (Down, at(100), Some(at(200))),
            (Up, at(200), Some(at(1100))),
            (Down, at(1100), None)
        ]
    );
    assert_eq!(reader.latest_states().unwrap()[0].status, Down);
    assert_eq!(reader.count_results().unwrap(), 6);
}

/// A one-client fleet whose month of October 2026 (745 h in Paris) had one
/// hour down, and the binary's report of it.
fn report(format: &str, extra: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        r#"
[contracts.std]
intervention = { urgent = "2h" }
hourly_rate = 120
monthly_fee = 300
tiers = [{ below = 99.9, credit_percent = 10 }, { below = 99.5, credit_percent = 50 }]

[clients.coop]
name = "Coop"
timezone = "Europe/Paris"
contract = "std"

[clients.coop.environments.prod]
hosts = ["erp"]

[hosts.erp]
address = "10.0.0.5"

[[hosts.erp.checks]]
name = "web"
kind = "http"
url = "https://erp.example.org"

[[hosts.erp.checks]]
name = "node"
kind = "node_exporter"
url = "http://10.0.0.5:9100/metrics"
"#,
    )
    .unwrap();
    let db = dir.path().join("vigie.db");
    {
        let writer = Writer::spawn(&db).unwrap();
        let start = Utc.with_ymd_and_hms(2026, 9, 30, 22, 0, 0).unwrap();
        let down = Utc.with_ymd_and_hms(2026, 10, 10, 8, 0, 0).unwrap();
        for (at, st) in [
            (start, Status::Up),
            (down, Status::Down),
            (down + TimeDelta::hours(1), Status::Up),
        ] {
            let r =
                CheckResult::observed("erp/web", at, st, Some(5), format!("{} then", st.label()));
            writer.send(WriteOp::Result(r)).unwrap();
        }
        // Host metrics do not count for the SLA, even down.
        let r = CheckResult::observed("erp/node", start, Status::Down, None, "disk full");
        writer.send(WriteOp::Result(r)).unwrap();
        writer.flush().unwrap();
    }
    let mut args = vec![
        "--config",
        config.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "report",
        "sla",
        "--format",
        format,
    ];
    args.extend_from_slice(extra);
    std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(&args)
        .env("HOME", dir.path())
        .output()
        .unwrap()
}

#[test]
fn sla_report_gives_availability_incidents_and_credit_in_each_format() {
    let out = report("json", &["--month", "2026-10"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let coop = &json["clients"][0];
    let pct = coop["availability_pct"].as_f64().unwrap();
    assert!((pct - 100.0 * 744.0 / 745.0).abs() < 1e-6, "{pct}");
    assert_eq!(coop["seconds"]["down"], 3600);
    // Money and its rates are strings, amounts with two decimals.
    assert_eq!(coop["credit_pct"], "10");
    assert_eq!(coop["credit"], "30.00");
    assert_eq!(coop["incidents"].as_array().unwrap().len(), 1);
    assert_eq!(coop["incidents"][0]["cause"], "down then");

    let md = String::from_utf8(report("md", &["--month", "2026-10"]).stdout).unwrap();
    assert!(md.contains("| Coop | 99.865 % | 99.9 % | 1h |"), "{md}");
    assert!(md.contains("30.00 EUR (10 %)"), "{md}");
    let csv = String::from_utf8(report("csv", &["--month", "2026-10"]).stdout).unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.starts_with(
            "coop,Coop,2026-09-30T22:00:00+00:00,2026-10-31T23:00:00+00:00,99.8658,99.9,3600,"
        ),
        "{row}"
    );
    // A month with no data has no figure, and no credit.
    let json: serde_json::Value =
        serde_json::from_slice(&report("json", &["--month", "2025-01"]).stdout).unwrap();
    assert!(json["clients"][0]["availability_pct"].is_null());
    assert_eq!(json["clients"][0]["credit"], "0.00");
}

#[test]
fn sla_report_refuses_a_bad_month_or_client_with_exit_2() {
    for extra in [
        &["--month", "2026-13"][..],
        &["--month", "2026-10", "--client", "nope"],
    ] {
        let out = report("md", extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("expected"), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_plugins_first_figures_are_rolled_up_and_read_back_for_its_chart() {
    let (_dir, writer, reader) = store();
    for (i, secs) in [0, 20].into_iter().enumerate() {
        let mut r = judged("h/dns", secs, Status::Up, Status::Up, Some(5));
        // Ten figures: the first eight are charted.
        r.metrics = (0..10)
            .map(|k| Metric::new(format!("perf:f{k}"), k as f64))
            .collect();
        r.metrics[0] = Metric::new("perf_s:time", 0.01 * (i + 1) as f64);
        writer.send(WriteOp::Result(r)).unwrap();
    }
    writer.flush().unwrap();
    let names = reader
        .figure_names("h/dns", at(0), at(60), Resolution::Minute)
        .unwrap();
    assert_eq!(
        names,
        [
            "perf:f1",
            "perf:f2",
            "perf:f3",
            "perf:f4",
            "perf:f5",
            "perf:f6",
            "perf:f7",
            "perf_s:time"
        ]
    );
    let time = reader
        .metric_buckets("h/dns", "perf_s:time", at(0), at(60), Resolution::Minute)
        .unwrap();
    assert!((time[0].avg - 0.015).abs() < 1e-12, "{}", time[0].avg);

    let cfg = vigie::config::parse(
        "[hosts.h]\naddress = \"127.0.0.1\"\n[[hosts.h.checks]]\nname = \"dns\"\nkind = \"nagios\"\n\
         command = [\"/usr/lib/nagios/plugins/check_dns\", \"-H\", \"x\"]\n",
        std::path::Path::new("t.toml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let request = vigie::ui::history::DetailRequest {
        host: "h".into(),
        period: vigie::ui::history::Period::Day,
    };
    let detail = vigie::ui::history::read_detail(&reader, &cfg.fleet, &request, at(60));
    assert_eq!(detail.error, None);
    let labels: Vec<&str> = detail.checks[0]
        .figures
        .iter()
        .map(|(l, _)| l.as_str())
        .collect();
    assert_eq!(labels.len(), 8);
    assert_eq!(labels[7], "time s");
    assert!(detail.checks[0].metrics.is_empty());
}

#[test]
fn a_postgres_servers_figures_are_rolled_up_and_labelled_for_its_chart() {
    let (_dir, writer, reader) = store();
    let mut r = judged("db/pg", 0, Status::Up, Status::Up, Some(3));
    r.metrics = vec![
        Metric::new("pg_connections_pct", 12.0),
        Metric::new("pg_archive_age_s", 90.0),
        Metric::new("pg_replica_lag_bytes:db2", 4096.0),
    ];
    writer.send(WriteOp::Result(r)).unwrap();
    writer.flush().unwrap();
    let names = reader
        .figure_names("db/pg", at(0), at(60), Resolution::Minute)
        .unwrap();
    assert_eq!(
        names,
        [
            "pg_archive_age_s",
            "pg_connections_pct",
            "pg_replica_lag_bytes:db2"
        ]
    );
    let cfg = vigie::config::parse(
        "[hosts.db]\naddress = \"127.0.0.1\"\n[[hosts.db.checks]]\nname = \"pg\"\nkind = \"postgres\"\n\
         url = \"postgresql://monitor@127.0.0.1:5432/postgres\"\n",
        std::path::Path::new("t.toml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let request = vigie::ui::history::DetailRequest {
        host: "db".into(),
        period: vigie::ui::history::Period::Day,
    };
    let detail = vigie::ui::history::read_detail(&reader, &cfg.fleet, &request, at(60));
    assert_eq!(detail.error, None);
    let labels: Vec<&str> = detail.checks[0]
        .figures
        .iter()
        .map(|(l, _)| l.as_str())
        .collect();
    assert_eq!(
        labels,
        ["archive_age_s", "connections_pct", "replica_lag_bytes:db2"]
    );
}

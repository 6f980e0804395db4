use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;

use super::*;
use crate::model::TimeOfDay;
use crate::model::backup::{Cron, Schedule};

fn paris() -> Tz {
    "Europe/Paris".parse().unwrap()
}

/// A local Paris time as an instant.
fn at(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    paris()
        .with_ymd_and_hms(2026, m, d, h, min, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn point(at: DateTime<Utc>, size: u64) -> RestorePoint {
    RestorePoint {
        id: at.to_rfc3339(),
        at,
        size: Some(size),
        duration: None,
        detail: String::new(),
    }
}

fn run(at: DateTime<Utc>, outcome: RunOutcome) -> BackupRun {
    BackupRun {
        at,
        started: None,
        outcome,
        size: None,
    }
}

fn policy() -> BackupPolicy {
    BackupPolicy {
        schedule: Schedule::Daily(TimeOfDay::new(2, 0).unwrap()),
        grace: Duration::from_secs(4 * 3600),
        retention_days: 15,
        rpo: Duration::from_secs(26 * 3600),
        min_size: None,
        suspect_ratio: 0.5,
        suspect_window: 7,
    }
}

/// Points at 02:05 on Nov 10..=29 but the 20th; the 25th is small. Runs
/// were observed from Nov 1 on (older points since pruned).
fn november() -> (Vec<RestorePoint>, Vec<BackupRun>) {
    let mut points = Vec::new();
    let mut runs = Vec::new();
    for d in 1..=29 {
        let t = at(11, d, 2, 5);
        if d == 20 {
            continue;
        }
        runs.push(run(t, RunOutcome::Success));
        if d >= 10 {
            points.push(point(t, if d == 25 { 400 } else { 1000 + u64::from(d) }));
        }
    }
    (points, runs)
}

fn state_of(days: &[DayEval], d: u32) -> DayState {
    days[d as usize - 1].state
}

#[test]
fn calendar_days_follow_points_runs_and_retention() {
    let (points, runs) = november();
    let now = at(11, 29, 10, 0);
    let p = policy();
    let eval = evaluate(&p, Evidence::RestorePoints, paris(), &points, &runs, now);
    let days = month_days(
        &p,
        Evidence::RestorePoints,
        paris(),
        &points,
        &runs,
        &eval,
        2026,
        11,
    );
    assert_eq!(days.len(), 30);
    // (day, state): the month at a glance.
    let cases = [
        (1, DayState::Pruned), // ran, since pruned: never "missed"
        (9, DayState::Pruned),
        (10, DayState::Ok), // older than the window but still there
        (14, DayState::Ok),
        (15, DayState::Ok), // first day of the window
        (20, DayState::Missing),
        (25, DayState::Suspect),
        (29, DayState::Ok),
        (30, DayState::Future),
    ];
    for (d, want) in cases {
        assert_eq!(state_of(&days, d), want, "Nov {d}");
    }
    assert_eq!(eval.window_start, NaiveDate::from_ymd_opt(2026, 11, 15));
    assert_eq!((eval.present, eval.required), (14, 15));
    assert_eq!(eval.suspects, 1);
    assert!(eval.rpo_ok);
    assert_eq!(eval.status, Status::Down);
    assert_eq!(eval.verdict, "RPO ok, last 02:05, 14/15 days, 1 suspect");
    assert_eq!(eval.oldest, Some(at(11, 10, 2, 5)));
}

#[test]
fn an_old_day_vigie_never_saw_run_is_not_kept_not_pruned() {
    let (points, mut runs) = november();
    // Vigie did not watch the source on the 5th and 6th (nor before the 1st).
    runs.retain(|r| ![5, 6].contains(&r.at.with_timezone(&paris()).day()));
    let now = at(11, 29, 10, 0);
    let p = policy();
    let eval = evaluate(&p, Evidence::RestorePoints, paris(), &points, &runs, now);
    let days = month_days(
        &p,
        Evidence::RestorePoints,
        paris(),
        &points,
        &runs,
        &eval,
        2026,
        11,
    );
    let cases = [
        (4, DayState::Pruned), // seen run, point gone
        (5, DayState::NeverSeen),
        (6, DayState::NeverSeen),
        (7, DayState::Pruned),
        (10, DayState::Ok),
    ];
    for (d, want) in cases {
        assert_eq!(state_of(&days, d), want, "Nov {d}");
    }
    assert_eq!(DayState::NeverSeen.label(), "not kept (never seen)");
    assert_eq!(DayState::NeverSeen.status(), Status::Unknown);
    // October: before Vigie watched anything.
    let october = month_days(
        &p,
        Evidence::RestorePoints,
        paris(),
        &points,
        &runs,
        &eval,
        2026,
        10,
    );
    assert!(october.iter().all(|d| d.state == DayState::NeverSeen));
}

#[test]
fn a_failed_run_without_a_point_is_failed_not_missing() {
    let (points, mut runs) = november();
    runs.push(run(at(11, 20, 2, 30), RunOutcome::Failed));
    // A failure long ago, never followed by a success that day.
    runs.retain(|r| r.at.with_timezone(&paris()).day() != 3);
    runs.push(run(at(11, 3, 2, 30), RunOutcome::Failed));
    let now = at(11, 29, 10, 0);
    let p = policy();
    let eval = evaluate(&p, Evidence::RestorePoints, paris(), &points, &runs, now);
    let days = month_days(
        &p,
        Evidence::RestorePoints,
        paris(),
        &points,
        &runs,
        &eval,
        2026,
        11,
    );
    assert_eq!(state_of(&days, 20), DayState::Failed);
    assert_eq!(state_of(&days, 3), DayState::Failed);
    assert_eq!(state_of(&days, 4), DayState::Pruned);
    assert!(!eval.last_run_failed, "the last run (29th) succeeded");
}

#[test]
fn today_is_future_until_the_expected_time_plus_grace() {
    let p = policy();
    // (now, today's state without a point, window ends)
    let cases = [
        (at(11, 29, 5, 59), DayState::Future, 28),
        (at(11, 29, 6, 0), DayState::Missing, 29),
    ];
    for (now, want, last) in cases {
        let points: Vec<RestorePoint> = (1..=28).map(|d| point(at(11, d, 2, 0), 10)).collect();
        let eval = evaluate(&p, Evidence::RestorePoints, paris(), &points, &[], now);
        let days = month_days(
            &p,
            Evidence::RestorePoints,
            paris(),
            &points,
            &[],
            &eval,
            2026,
            11,
        );
        assert_eq!(state_of(&days, 29), want, "at {now}");
        assert_eq!(
            eval.window_start,
            NaiveDate::from_ymd_opt(2026, 11, last - 14),
            "at {now}"
        );
    }
}

#[test]
fn a_backup_that_ran_before_its_expected_time_counts_for_today() {
    // Retention pruned Nov 14 when tonight's backup ran at 01:30, before
    // the expected 02:00 + 4 h: the window is Nov 15..=29, all present.
    let p = policy();
    let points: Vec<RestorePoint> = (15..=29).map(|d| point(at(11, d, 1, 30), 10)).collect();
    let eval = evaluate(
        &p,
        Evidence::RestorePoints,
        paris(),
        &points,
        &[],
        at(11, 29, 3, 0),
    );
    assert_eq!(eval.window_start, NaiveDate::from_ymd_opt(2026, 11, 15));
    assert_eq!(eval.status, Status::Up, "{}", eval.verdict);
    assert!(eval.verdict.ends_with("15/15 days"), "{}", eval.verdict);
}

#[test]
fn rpo_is_broken_when_the_newest_point_is_older_than_allowed() {
    let p = policy();
    // (newest point, now, rpo ok)
    let cases = [
        (at(11, 28, 2, 0), at(11, 29, 3, 59), true),
        (at(11, 28, 2, 0), at(11, 29, 4, 1), false),
    ];
    for (newest, now, ok) in cases {
        let points = vec![point(newest, 10)];
        let eval = evaluate(&p, Evidence::RestorePoints, paris(), &points, &[], now);
        assert_eq!(eval.rpo_ok, ok, "newest {newest}, now {now}");
        assert_eq!(eval.status, Status::Down, "retention 1/15 is broken anyway");
    }
    let eval = evaluate(
        &p,
        Evidence::RestorePoints,
        paris(),
        &[],
        &[],
        at(11, 29, 8, 0),
    );
    assert!(!eval.rpo_ok);
    assert!(
        eval.verdict.starts_with("no restore point"),
        "{}",
        eval.verdict
    );
}

#[test]
fn rpo_broken_verdict_says_how_old_the_newest_point_is() {
    let mut p = policy();
    p.retention_days = 1;
    let points = vec![point(at(11, 27, 2, 0), 10)];
    let eval = evaluate(
        &p,
        Evidence::RestorePoints,
        paris(),
        &points,
        &[],
        at(11, 29, 10, 0),
    );
    assert_eq!(
        eval.verdict,
        "RPO broken, last 27 Nov 02:00 (2d 8h ago), 0/1 days"
    );
}

#[test]
fn days_are_local_dates_across_dst_changes() {
    let p = policy();
    let tz = paris();
    // (instant, local date it counts for)
    let cases = [
        // 23:30 on Oct 24 (CEST) is 21:30 UTC: still the 24th.
        (at(10, 24, 23, 30), 24),
        // 00:30 on Oct 25 (CEST, before the change) is 22:30 UTC on the 24th.
        (at(10, 25, 0, 30), 25),
        // 23:30 on Oct 25 (CET) is 22:30 UTC: the 25th, a 25-hour day.
        (at(10, 25, 23, 30), 25),
        // 00:30 on Mar 29 (CET) is 23:30 UTC on the 28th.
        (at(3, 29, 0, 30), 29),
    ];
    for (instant, day) in cases {
        let points = vec![point(instant, 10)];
        let month = instant.with_timezone(&tz).month();
        let eval = evaluate(
            &p,
            Evidence::RestorePoints,
            tz,
            &points,
            &[],
            at(11, 29, 10, 0),
        );
        let days = month_days(
            &p,
            Evidence::RestorePoints,
            tz,
            &points,
            &[],
            &eval,
            2026,
            month,
        );
        let with_point: Vec<u32> = days
            .iter()
            .filter(|d| !d.points.is_empty())
            .map(|d| d.date.day())
            .collect();
        assert_eq!(with_point, vec![day], "{instant}");
    }
}

#[test]
fn cron_schedule_skips_days_it_does_not_run() {
    let mut p = policy();
    p.schedule = Schedule::Cron(Cron::parse("0 2 * * 1-5").unwrap());
    p.retention_days = 5;
    // Friday's point must last the weekend.
    p.rpo = Duration::from_secs(3 * 86_400);
    // Weekdays of the last week of November 2026 (Mon 23 .. Fri 27).
    let points: Vec<RestorePoint> = (23..=27).map(|d| point(at(11, d, 2, 0), 10)).collect();
    let now = at(11, 29, 10, 0); // a Sunday
    let eval = evaluate(&p, Evidence::RestorePoints, paris(), &points, &[], now);
    let days = month_days(
        &p,
        Evidence::RestorePoints,
        paris(),
        &points,
        &[],
        &eval,
        2026,
        11,
    );
    assert_eq!(state_of(&days, 28), DayState::NotScheduled);
    assert_eq!(state_of(&days, 29), DayState::NotScheduled);
    assert_eq!((eval.present, eval.required), (5, 5));
    assert_eq!(eval.status, Status::Up);
}

#[test]
fn suspiciously_small_points_follow_min_size_and_the_median() {
    // (sizes oldest first, min_size, suspect flags)
    let cases: [(&[u64], Option<u64>, &[bool]); 4] = [
        (&[100, 100, 100, 49], None, &[false, false, false, true]),
        (&[100, 100, 100, 50], None, &[false, false, false, false]),
        (&[100, 100, 100, 60], Some(80), &[false, false, false, true]),
        (&[10, 100, 100, 100], None, &[false, false, false, false]),
    ];
    for (sizes, min_size, want) in cases {
        let mut p = policy();
        p.min_size = min_size;
        let points: Vec<RestorePoint> = sizes
            .iter()
            .enumerate()
            .map(|(i, s)| point(at(11, 20 + i as u32, 2, 0), *s))
            .collect();
        let eval = evaluate(
            &p,
            Evidence::RestorePoints,
            paris(),
            &points,
            &[],
            at(11, 29, 10, 0),
        );
        assert_eq!(eval.suspect, want, "{sizes:?} min {min_size:?}");
    }
}

#[test]
fn size_trend_compares_the_last_point_with_the_median_before_it() {
    let p = policy();
    let points: Vec<RestorePoint> = [100, 110, 90, 150]
        .iter()
        .enumerate()
        .map(|(i, s)| point(at(11, 20 + i as u32, 2, 0), *s))
        .collect();
    let eval = evaluate(
        &p,
        Evidence::RestorePoints,
        paris(),
        &points,
        &[],
        at(11, 29, 10, 0),
    );
    let t = eval.trend.unwrap();
    assert_eq!((t.last, t.median), (150, 100));
    assert!((t.change_pct - 50.0).abs() < 1e-9);
}

#[test]
fn ping_sources_are_judged_by_their_runs() {
    let mut p = policy();
    p.retention_days = 3;
    let runs = vec![
        run(at(11, 26, 2, 10), RunOutcome::Success),
        run(at(11, 27, 2, 10), RunOutcome::Failed),
        run(at(11, 28, 2, 10), RunOutcome::Success),
        run(at(11, 29, 2, 10), RunOutcome::Success),
        run(at(11, 29, 2, 0), RunOutcome::Started),
    ];
    let now = at(11, 29, 10, 0);
    let eval = evaluate(&p, Evidence::Runs, paris(), &[], &runs, now);
    let days = month_days(&p, Evidence::Runs, paris(), &[], &runs, &eval, 2026, 11);
    // A ping keeps no restore point: an old day without a success was
    // never seen, not pruned.
    let cases = [
        (24, DayState::NeverSeen),
        (25, DayState::NeverSeen),
        (26, DayState::Ok),
        (27, DayState::Failed),
        (28, DayState::Ok),
        (29, DayState::Ok),
    ];
    for (d, want) in cases {
        assert_eq!(state_of(&days, d), want, "Nov {d}");
    }
    assert_eq!((eval.present, eval.required), (2, 3));
    assert_eq!(eval.newest, Some(at(11, 29, 2, 10)));
}

#[test]
fn client_verdict_is_the_worst_source_named() {
    // (sources, status, line)
    type Case<'a> = (&'a [(&'a str, Status, &'a str)], Status, &'a str);
    let cases: [Case; 3] = [
        (&[], Status::Unknown, "no backup source"),
        (
            &[("db", Status::Up, "RPO ok, last 06:12, 15/15 days")],
            Status::Up,
            "RPO ok, last 06:12, 15/15 days",
        ),
        (
            &[
                ("db", Status::Up, "RPO ok"),
                ("files", Status::Down, "error: wrong password"),
            ],
            Status::Down,
            "files: error: wrong password (1/2 sources ok)",
        ),
    ];
    for (sources, status, line) in cases {
        let v = client_verdict(sources);
        assert_eq!((v.status, v.line.as_str()), (status, line));
    }
}

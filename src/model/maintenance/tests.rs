//! The rules of maintenance windows, case by case.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc, Weekday};
use chrono_tz::Europe::Paris;
use chrono_tz::Tz;

use super::local;
use super::rules::Scope;
use super::*;
use crate::model::{DayHours, OpeningHours, TimeOfDay};

fn hm(s: &str) -> TimeOfDay {
    TimeOfDay::parse(s).unwrap()
}

fn week(open: &str, close: &str, days: &[usize]) -> OpeningHours {
    let mut h = OpeningHours::always_closed();
    for d in days {
        h.days[*d] = DayHours::Open {
            open: hm(open),
            close: hm(close),
        };
    }
    h
}

fn client(id: &str, tz: Tz, hours: OpeningHours) -> ClientRules {
    ClientRules {
        client: id.into(),
        name: id.into(),
        timezone: tz,
        opening: vec![Opening {
            label: format!("{id} store"),
            timezone: tz,
            hours,
        }],
        closures: Vec::new(),
        policy: Policy::default(),
    }
}

/// A supermarket open 09:00-20:00 Monday to Saturday.
fn shop() -> ClientRules {
    client("coop", Paris, week("09:00", "20:00", &[0, 1, 2, 3, 4, 5]))
}

fn paris(s: &str) -> DateTime<Utc> {
    local::read(
        Paris,
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap(),
    )
    .instant()
}

fn utc(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_utc()
}

fn proposal(start: DateTime<Utc>, hours: f64, kind: Kind) -> Proposal<'static> {
    Proposal {
        start,
        end: start + TimeDelta::minutes((hours * 60.0) as i64),
        kind,
        uid: None,
    }
}

fn rules_broken(c: &[&ClientRules], p: Proposal, now: DateTime<Utc>) -> Vec<Rule> {
    let scope = Scope {
        clients: c.to_vec(),
        existing: Vec::new(),
    };
    check_window(&scope, p, now)
        .into_iter()
        .map(|b| b.rule)
        .collect()
}

#[test]
fn windows_are_judged_rule_by_rule() {
    let c = shop();
    let now = paris("2026-11-20 10:00");
    let cases: &[(&str, &str, f64, Kind, &[Rule])] = &[
        (
            "wednesday night is fine",
            "2026-12-02 22:00",
            1.0,
            Kind::Standard,
            &[],
        ),
        (
            "tuesday after midnight belongs to tuesday's night",
            "2026-12-02 01:00",
            2.0,
            Kind::Standard,
            &[],
        ),
        (
            "friday is forbidden",
            "2026-12-04 22:00",
            1.0,
            Kind::Standard,
            &[Rule::Day],
        ),
        (
            "monday is not an allowed day",
            "2026-11-30 22:00",
            1.0,
            Kind::Standard,
            &[Rule::Day],
        ),
        (
            "thursday night may not run into friday",
            "2026-12-03 23:00",
            2.0,
            Kind::Standard,
            &[Rule::Day],
        ),
        (
            "too close to closing time",
            "2026-12-02 20:30",
            1.0,
            Kind::Standard,
            &[Rule::Opening],
        ),
        (
            "during opening hours",
            "2026-12-02 14:00",
            1.0,
            Kind::Standard,
            &[Rule::Hours, Rule::Opening],
        ),
        (
            "ends after the latest hour",
            "2026-12-03 05:00",
            3.0,
            Kind::Standard,
            &[Rule::Hours],
        ),
        (
            "and into the next opening",
            "2026-12-03 05:00",
            3.5,
            Kind::Standard,
            &[Rule::Hours, Rule::Opening],
        ),
        (
            "longer than four hours",
            "2026-12-02 21:00",
            5.0,
            Kind::Standard,
            &[Rule::Duration],
        ),
        (
            "a week's notice for a standard window",
            "2026-11-25 22:00",
            1.0,
            Kind::Standard,
            &[Rule::Notice],
        ),
        (
            "an emergency needs a day",
            "2026-11-21 22:00",
            1.0,
            Kind::Emergency,
            &[Rule::Day],
        ),
        (
            "an emergency within the day",
            "2026-11-20 22:00",
            1.0,
            Kind::Emergency,
            &[Rule::Notice, Rule::Day],
        ),
        (
            "a major change needs 60 days",
            "2026-12-02 22:00",
            10.0,
            Kind::Major,
            &[Rule::Notice, Rule::Hours],
        ),
        (
            "in the past",
            "2026-11-18 22:00",
            1.0,
            Kind::Standard,
            &[Rule::Notice],
        ),
    ];
    for (name, at, hours, kind, expected) in cases {
        let got = rules_broken(&[&c], proposal(paris(at), *hours, *kind), now);
        assert_eq!(&got, expected, "{name}");
    }
}

#[test]
fn breaches_say_what_is_wrong_in_words() {
    let c = shop();
    let scope = Scope {
        clients: vec![&c],
        existing: Vec::new(),
    };
    let now = paris("2026-11-20 10:00");
    let b = check_window(
        &scope,
        proposal(paris("2026-12-04 19:00"), 5.5, Kind::Standard),
        now,
    );
    let words: Vec<&str> = b.iter().map(|b| b.message.as_str()).collect();
    assert_eq!(
        words,
        [
            "lasts 5h30m, longer than the 4h coop allows for a standard window",
            "Friday is a forbidden day for coop",
            "runs into Saturday 2026-12-05, a forbidden day for coop",
            "starts at 19:00, before 20:00, the earliest coop allows",
            "overlaps coop store's opening hours (Friday 2026-12-04 09:00-20:00, kept free 1h either side)",
        ]
    );
}

#[test]
fn a_closure_overlapping_the_window_is_a_breach() {
    let mut c = shop();
    c.closures.push(Closure {
        from: NaiveDate::from_ymd_opt(2026, 12, 21).unwrap(),
        to: NaiveDate::from_ymd_opt(2027, 1, 3).unwrap(),
        reason: "year-end inventory".into(),
    });
    let now = paris("2026-12-01 10:00");
    // The last Wednesday before the closure is free.
    let into = proposal(paris("2026-12-16 23:00"), 2.0, Kind::Standard);
    assert_eq!(rules_broken(&[&c], into, now), []);
    let wed = proposal(paris("2026-12-23 22:00"), 1.0, Kind::Standard);
    let scope = Scope {
        clients: vec![&c],
        existing: Vec::new(),
    };
    let b = check_window(&scope, wed, now);
    assert_eq!(b.len(), 1);
    assert_eq!(
        b[0].message,
        "falls in coop's closure from 2026-12-21 to 2027-01-03 (year-end inventory)"
    );
    // The night of the 2026-12-21 (a Monday, so Tuesday 22nd) is closed; a
    // window starting the last evening before it and overlapping midnight is too.
    let mut late = c.clone();
    late.policy.allowed_days.push(Weekday::Sun);
    late.policy.forbidden_days.retain(|d| *d != Weekday::Sun);
    late.opening.clear();
    let across = proposal(paris("2026-12-20 23:30"), 1.0, Kind::Standard);
    assert_eq!(rules_broken(&[&late], across, now), [Rule::Closure]);
    // The slot finder skips the whole closure.
    let slots = next_slots(
        &scope,
        now,
        paris("2026-12-18 00:00"),
        TimeDelta::hours(1),
        Kind::Standard,
        1,
        TimeDelta::days(90),
    );
    assert_eq!(slots[0].start, paris("2027-01-05 21:00"));
}

#[test]
fn a_shared_host_must_suit_every_client_on_it() {
    let coop = shop();
    // A bar open until 23:00 on weekdays, and a preference for Tuesday.
    let mut bar = client("bar", Paris, week("11:00", "23:00", &[0, 1, 2, 3, 4]));
    bar.policy.preferred_days = vec![Weekday::Tue];
    let now = paris("2026-11-20 10:00");
    let at_22 = proposal(paris("2026-12-02 22:00"), 1.0, Kind::Standard);
    assert_eq!(rules_broken(&[&coop], at_22, now), []);
    assert_eq!(rules_broken(&[&bar], at_22, now), [Rule::Opening]);
    assert_eq!(rules_broken(&[&coop, &bar], at_22, now), [Rule::Opening]);
    let scope = Scope {
        clients: vec![&coop, &bar],
        existing: Vec::new(),
    };
    let slots = next_slots(
        &scope,
        now,
        now,
        TimeDelta::hours(2),
        Kind::Standard,
        3,
        TimeDelta::days(90),
    );
    // Neither client prefers the same day, so none is preferred; the first
    // three nights after a week's notice, each starting at the bar's
    // closing plus the margin.
    let starts: Vec<_> = slots.iter().map(|s| s.start).collect();
    assert_eq!(
        starts,
        [
            paris("2026-12-02 00:00"),
            paris("2026-12-03 00:00"),
            // Thursday's night would run into Friday; Monday is not allowed.
            paris("2026-12-09 00:00")
        ]
    );
    assert!(slots.iter().all(|s| !s.preferred));
    for s in &slots {
        let p = Proposal {
            start: s.start,
            end: s.end,
            kind: Kind::Standard,
            uid: None,
        };
        assert_eq!(check_window(&scope, p, now), [], "{s:?}");
    }
}

#[test]
fn slots_come_preferred_day_first_then_earliest() {
    let c = shop();
    let scope = Scope {
        clients: vec![&c],
        existing: Vec::new(),
    };
    let now = paris("2026-11-20 10:00");
    let slots = next_slots(
        &scope,
        now,
        now,
        TimeDelta::hours(1),
        Kind::Standard,
        4,
        TimeDelta::days(90),
    );
    let got: Vec<(DateTime<Utc>, bool)> = slots.iter().map(|s| (s.start, s.preferred)).collect();
    assert_eq!(
        got,
        [
            // Closing at 20:00 plus the hour kept free.
            (paris("2026-12-02 21:00"), true),
            // Notice runs out Friday 27th 10:00, after Thursday the 26th.
            (paris("2026-12-01 21:00"), false),
            (paris("2026-12-03 21:00"), false),
            (paris("2026-12-08 21:00"), false),
        ]
    );
}

#[test]
fn an_emergency_takes_the_soonest_slot_even_before_a_preferred_day() {
    let c = shop();
    let scope = Scope {
        clients: vec![&c],
        existing: Vec::new(),
    };
    let now = paris("2026-11-20 10:00");
    let slots = next_slots(
        &scope,
        now,
        now,
        TimeDelta::hours(1),
        Kind::Emergency,
        4,
        TimeDelta::days(90),
    );
    let starts: Vec<DateTime<Utc>> = slots.iter().map(|s| s.start).collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted, "soonest first");
    assert!(slots.iter().any(|s| s.preferred), "{slots:?}");
    assert!(
        !slots[0].preferred,
        "the soonest is not a preferred day here: {slots:?}"
    );
}

#[test]
fn two_major_changes_a_year_at_most() {
    let c = shop();
    let now = paris("2026-11-01 10:00");
    let major = |uid: &str, start: &str, state: WindowState| MaintenanceWindow {
        uid: uid.into(),
        target: Target::Client("coop".into()),
        kind: Kind::Major,
        start: paris(start),
        end: paris(start) + TimeDelta::hours(4),
        title: "upgrade".into(),
        state,
        sequence: 0,
        created: now,
        stamp: now,
        announced: None,
    };
    let a = major("a", "2027-02-03 21:00", WindowState::Announced);
    let b = major("b", "2027-05-05 21:00", WindowState::Planned);
    let x = major("x", "2027-06-02 21:00", WindowState::Cancelled);
    let old = major("old", "2026-12-02 21:00", WindowState::Announced);
    let coop = || vec!["coop".to_string()];
    let scope = Scope {
        clients: vec![&c],
        existing: vec![(&a, coop()), (&b, coop()), (&x, coop()), (&old, coop())],
    };
    let third = proposal(paris("2027-09-01 21:00"), 4.0, Kind::Major);
    let b3 = check_window(&scope, third, now);
    assert_eq!(b3.len(), 1);
    assert_eq!(
        b3[0].message,
        "would be major change number 3 of 2027 for coop, at most 2 a year"
    );
    // Moving one of the two is not a third.
    let moved = Proposal {
        uid: Some("b"),
        ..third
    };
    assert_eq!(check_window(&scope, moved, now), []);
    // Next year starts the count again; the slot finder skips to it.
    let slots = next_slots(
        &scope,
        now,
        paris("2027-09-01 00:00"),
        TimeDelta::hours(4),
        Kind::Major,
        1,
        TimeDelta::days(200),
    );
    assert_eq!(slots[0].start, paris("2028-01-04 21:00"));
}

/// A client that allows any night, from midnight to 06:00.
fn nights_every_day() -> ClientRules {
    let mut c = client("any", Paris, OpeningHours::always_closed());
    c.policy.allowed_days = vec![
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    c.policy.forbidden_days.clear();
    c.policy.preferred_days.clear();
    c.policy.earliest = hm("00:00");
    c.policy.latest = hm("06:00");
    c.policy.max_duration = TimeDelta::hours(8);
    c
}

#[test]
fn the_night_clocks_go_forward_is_an_hour_short() {
    let c = nights_every_day();
    let scope = Scope {
        clients: vec![&c],
        existing: Vec::new(),
    };
    let now = paris("2027-03-01 10:00");
    let find = |hours: i64| {
        next_slots(
            &scope,
            now,
            paris("2027-03-27 12:00"),
            TimeDelta::hours(hours),
            Kind::Standard,
            1,
            TimeDelta::days(5),
        )[0]
    };
    // 00:00 CET to 06:00 CEST is five real hours.
    assert_eq!(find(5).start, utc("2027-03-27 23:00"));
    assert_eq!(find(5).end, utc("2027-03-28 04:00"));
    assert_eq!(find(6).start, paris("2027-03-29 00:00"));
    // 02:30 does not exist that night: read as 03:30 CEST, as RFC 5545 says.
    let missing = NaiveDateTime::parse_from_str("2027-03-28 02:30", "%Y-%m-%d %H:%M").unwrap();
    let start = local::read(Paris, missing).instant();
    assert_eq!(start, utc("2027-03-28 01:30"));
    assert_eq!(
        rules_broken(&[&c], proposal(start, 2.5, Kind::Standard), now),
        []
    );
    assert_eq!(
        rules_broken(&[&c], proposal(start, 3.0, Kind::Standard), now),
        [Rule::Hours]
    );
}

#[test]
fn the_night_clocks_go_back_is_an_hour_long() {
    let c = nights_every_day();
    let scope = Scope {
        clients: vec![&c],
        existing: Vec::new(),
    };
    let now = paris("2026-10-01 10:00");
    let slots = next_slots(
        &scope,
        now,
        paris("2026-10-24 12:00"),
        TimeDelta::minutes(6 * 60 + 30),
        Kind::Standard,
        2,
        TimeDelta::days(5),
    );
    // Only the night of the change holds six and a half hours.
    assert_eq!(slots.len(), 1);
    assert_eq!(slots[0].start, utc("2026-10-24 22:00"));
    // 02:30 happens twice; a window from either must end by 06:00 CET.
    let LocalReading::Twice(first, second) = local::read(
        Paris,
        NaiveDateTime::parse_from_str("2026-10-25 02:30", "%Y-%m-%d %H:%M").unwrap(),
    ) else {
        panic!("02:30 should happen twice on 2026-10-25");
    };
    assert_eq!(second - first, TimeDelta::hours(1));
    assert_eq!(
        rules_broken(&[&c], proposal(first, 4.5, Kind::Standard), now),
        []
    );
    assert_eq!(
        rules_broken(&[&c], proposal(first, 5.0, Kind::Standard), now),
        [Rule::Hours]
    );
    assert_eq!(
        rules_broken(&[&c], proposal(second, 3.5, Kind::Standard), now),
        []
    );
    assert_eq!(
        rules_broken(&[&c], proposal(second, 4.0, Kind::Standard), now),
        [Rule::Hours]
    );
}

use super::local::LocalReading;

#[test]
fn the_agreed_monthly_monday_window_is_allowed() {
    let mut c = shop();
    c.policy.recurring.push(Recurring {
        rule: RRule::parse("FREQ=MONTHLY;BYDAY=1MO").unwrap(),
        dtstart: NaiveDateTime::parse_from_str("2026-01-05 22:00", "%Y-%m-%d %H:%M").unwrap(),
        duration: TimeDelta::hours(1),
    });
    let now = paris("2026-11-20 10:00");
    let first_monday = proposal(paris("2027-01-04 22:00"), 1.0, Kind::Standard);
    assert_eq!(rules_broken(&[&c], first_monday, now), []);
    let too_long = proposal(paris("2027-01-04 22:00"), 1.5, Kind::Standard);
    assert_eq!(rules_broken(&[&c], too_long, now), [Rule::Day]);
    let second_monday = proposal(paris("2027-01-11 22:00"), 1.0, Kind::Standard);
    assert_eq!(rules_broken(&[&c], second_monday, now), [Rule::Day]);
    let scope = Scope {
        clients: vec![&c],
        existing: Vec::new(),
    };
    let slots = next_slots(
        &scope,
        now,
        paris("2027-01-04 12:00"),
        TimeDelta::hours(1),
        Kind::Standard,
        2,
        TimeDelta::days(3),
    );
    let starts: Vec<_> = slots.iter().map(|s| s.start).collect();
    assert_eq!(
        starts,
        [paris("2027-01-04 22:00"), paris("2027-01-05 21:00")]
    );
}

#[test]
fn a_window_s_state_follows_the_clock() {
    let now = paris("2026-12-02 22:30");
    let w = MaintenanceWindow {
        uid: "u".into(),
        target: Target::Host("web1".into()),
        kind: Kind::Standard,
        start: paris("2026-12-02 22:00"),
        end: paris("2026-12-02 23:00"),
        title: "t".into(),
        state: WindowState::Announced,
        sequence: 0,
        created: paris("2026-11-20 10:00"),
        stamp: paris("2026-11-20 10:00"),
        announced: Some(paris("2026-11-20 10:00")),
    };
    assert_eq!(w.state_at(now), WindowState::InProgress);
    assert_eq!(w.state_at(paris("2026-12-02 23:00")), WindowState::Done);
    assert_eq!(
        w.state_at(paris("2026-12-01 23:00")),
        WindowState::Announced
    );
    assert!(w.silences_at(now));
    let planned = MaintenanceWindow {
        state: WindowState::Planned,
        announced: None,
        ..w.clone()
    };
    assert!(
        !planned.silences_at(now),
        "a window nobody was told of excuses nothing"
    );
    let cancelled = MaintenanceWindow {
        state: WindowState::Cancelled,
        ..w.clone()
    };
    assert_eq!(cancelled.state_at(now), WindowState::Cancelled);
    assert!(!cancelled.excuses());
    let next = w.changed(paris("2026-11-21 10:00"));
    assert_eq!((next.uid.as_str(), next.sequence), ("u", 1));
    assert_eq!(next.stamp, paris("2026-11-21 10:00"));
}

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::*;
use crate::model::money::Decimal;

/// An exact amount as a contract writes it.
fn m(s: &str) -> Decimal {
    crate::model::money::parse(s).unwrap()
}

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, day).unwrap()
}

fn ok(day: NaiveDate, r: Reading) -> DaySample {
    DaySample {
        day,
        outcome: Ok(r),
    }
}

fn err(day: NaiveDate, cause: &str) -> DaySample {
    DaySample {
        day,
        outcome: Err(cause.into()),
    }
}

fn figures(y: &MeterYear) -> Vec<DayFigure> {
    y.days.iter().map(|(_, f)| f.clone()).collect()
}

#[test]
fn a_failed_day_is_a_gap_never_a_zero() {
    let samples = [
        ok(d(1, 1), Reading::Day(5)),
        err(d(1, 2), "Odoo unreachable"),
        ok(d(1, 4), Reading::Day(7)),
    ];
    let y = meter_year(Meter::Emails, &samples, 2026, d(1, 4));
    assert_eq!(
        figures(&y),
        vec![
            DayFigure::Counted {
                quantity: 5,
                since: None
            },
            DayFigure::Gap(Some("Odoo unreachable".into())),
            DayFigure::Gap(None),
            DayFigure::Counted {
                quantity: 7,
                since: None
            },
        ]
    );
    assert_eq!(y.counted, 12);
    assert_eq!(y.gap_days(), 2);
    assert_eq!(
        y.gaps.iter().map(GapRun::describe).collect::<Vec<_>>(),
        vec!["2026-01-02: Odoo unreachable", "2026-01-03: not sampled"]
    );
}

#[test]
fn consecutive_gaps_with_one_cause_are_one_run() {
    let samples = [
        err(d(3, 4), "timeout"),
        err(d(3, 5), "timeout"),
        err(d(3, 6), "timeout"),
    ];
    let y = meter_year(Meter::Sms, &samples, 2026, d(3, 6));
    let described: Vec<String> = y.gaps.iter().map(GapRun::describe).collect();
    assert_eq!(
        described,
        vec![
            "2026-01-01 to 2026-03-03 (62 days): not sampled",
            "2026-03-04 to 2026-03-06 (3 days): timeout"
        ]
    );
}

#[test]
fn counters_bill_their_rises_and_flag_going_backwards() {
    // (samples, through, counted, flags, figures of the year's days)
    type Case = (Vec<DaySample>, NaiveDate, u64, Vec<Flag>, Vec<DayFigure>);
    let dec31 = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let cases: Vec<Case> = vec![
        // The reading before the year gives the first day's difference.
        (
            vec![
                ok(dec31, Reading::Total(100)),
                ok(d(1, 1), Reading::Total(130)),
                ok(d(1, 2), Reading::Total(150)),
            ],
            d(1, 2),
            50,
            vec![],
            vec![
                DayFigure::Counted {
                    quantity: 30,
                    since: None,
                },
                DayFigure::Counted {
                    quantity: 20,
                    since: None,
                },
            ],
        ),
        // No earlier reading: the first is a base, not billed.
        (
            vec![
                ok(d(1, 1), Reading::Total(1000)),
                ok(d(1, 2), Reading::Total(1010)),
            ],
            d(1, 2),
            10,
            vec![],
            vec![
                DayFigure::Base(1000),
                DayFigure::Counted {
                    quantity: 10,
                    since: None,
                },
            ],
        ),
        // Backwards: flagged, not billed, the next rise counts from it.
        (
            vec![
                ok(d(1, 1), Reading::Total(500)),
                ok(d(1, 2), Reading::Total(40)),
                ok(d(1, 3), Reading::Total(60)),
            ],
            d(1, 3),
            20,
            vec![Flag {
                day: d(1, 2),
                from: 500,
                to: 40,
            }],
            vec![
                DayFigure::Base(500),
                DayFigure::Backwards { from: 500, to: 40 },
                DayFigure::Counted {
                    quantity: 20,
                    since: None,
                },
            ],
        ),
        // A gap between two readings: the rise spans it and still counts.
        (
            vec![
                ok(d(1, 1), Reading::Total(10)),
                err(d(1, 2), "refused"),
                ok(d(1, 3), Reading::Total(25)),
            ],
            d(1, 3),
            15,
            vec![],
            vec![
                DayFigure::Base(10),
                DayFigure::Gap(Some("refused".into())),
                DayFigure::Counted {
                    quantity: 15,
                    since: Some(d(1, 1)),
                },
            ],
        ),
    ];
    for (i, (samples, through, counted, flags, want)) in cases.into_iter().enumerate() {
        let y = meter_year(Meter::Emails, &samples, 2026, through);
        assert_eq!(y.counted, counted, "case {i}");
        assert_eq!(y.flags, flags, "case {i}");
        assert_eq!(figures(&y), want, "case {i}");
    }
}

#[test]
fn days_after_the_last_complete_day_are_neither_gaps_nor_counted() {
    let samples = [
        ok(d(1, 1), Reading::Level(3)),
        ok(d(1, 5), Reading::Level(99)),
    ];
    let y = meter_year(Meter::Documents, &samples, 2026, d(1, 2));
    assert_eq!(y.days.len(), 2);
    assert_eq!(y.peak, 3);
    assert_eq!(y.gap_days(), 1);
}

fn prices() -> UsagePrices {
    UsagePrices {
        base_fee: m("1200"),
        per_user: m("60"),
        users_counted: UserCount::Year,
        included_gb: 20,
        per_extra_gb: m("5"),
        included_emails: 1000,
        per_extra_email: m("0.002"),
        included_sms: 100,
        per_extra_sms: m("0.08"),
        near_quota_pct: 80,
    }
}

/// The identities a source named per month, counted as the store counts
/// them: distinct per month, and distinct over the months.
fn name_users(u: &mut ClientUsage, by_month: &[(u32, &[&str])]) {
    let mut year = BTreeSet::new();
    for (m, ids) in by_month {
        let distinct: BTreeSet<&str> = ids.iter().copied().collect();
        u.users_by_month.insert(*m, distinct.len() as u64);
        year.extend(distinct);
    }
    u.users_in_year = year.len() as u64;
}

/// A year through 31 March: users per day with identities per month,
/// documents levels, e-mails per day, SMS as a counter.
fn usage() -> ClientUsage {
    let mut u = ClientUsage::default();
    let through = d(3, 31);
    let days: Vec<NaiveDate> = d(1, 1).iter_days().take_while(|x| *x <= through).collect();
    u.samples.insert(
        Meter::ActiveUsers,
        days.iter().map(|x| ok(*x, Reading::Day(2))).collect(),
    );
    name_users(
        &mut u,
        &[(1, &["1", "2", "3"]), (2, &["2", "4"]), (3, &["1"])],
    );
    u.samples.insert(
        Meter::Documents,
        days.iter()
            .enumerate()
            .map(|(i, x)| {
                let level = if i == 40 { 21_500_000_000 } else { 10 * GB };
                ok(*x, Reading::Level(level))
            })
            .collect(),
    );
    // 10 e-mails a day, one day failed.
    u.samples.insert(
        Meter::Emails,
        days.iter()
            .map(|x| {
                if *x == d(2, 14) {
                    err(*x, "Odoo unreachable")
                } else {
                    ok(*x, Reading::Day(10))
                }
            })
            .collect(),
    );
    // SMS counter: +1 a day, reset on 1 March.
    u.samples.insert(
        Meter::Sms,
        days.iter()
            .enumerate()
            .map(|(i, x)| {
                let total = if *x >= d(3, 1) {
                    i as u64 - 59
                } else {
                    1000 + i as u64
                };
                ok(*x, Reading::Total(total))
            })
            .collect(),
    );
    u
}

#[test]
fn yearly_invoice_has_one_line_per_billed_item() {
    let r = yearly_report("coop", &usage(), &prices(), "EUR", 2026, d(3, 31));
    let lines: Vec<(String, u64, Decimal, Decimal)> = r
        .lines
        .iter()
        .map(|l| (l.item.clone(), l.quantity, l.unit_price, l.amount))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("Base fee".to_string(), 1, m("1200.0"), m("1200.0")),
            ("Active users in 2026".to_string(), 4, m("60.0"), m("240.0")),
            // Peak 21.5 GB: 2 started GB beyond 20.
            (
                "Documents beyond 20 GB (peak 21.5 GB)".to_string(),
                2,
                m("5"),
                m("10")
            ),
            // 89 days of 10, one gap.
            (
                "E-mails beyond 1000 (sent 890)".to_string(),
                0,
                m("0.002"),
                m("0.0")
            ),
            // Jan 1 is the base; +1 a day to 28 Feb (58), reset, then +1 a day (30).
            (
                "SMS beyond 100 (sent 88)".to_string(),
                0,
                m("0.08"),
                m("0.0")
            ),
        ]
    );
    assert_eq!(r.total, m("1450"));
    assert_eq!(r.lines[3].note.as_deref(), Some("1 day without a reading"));
    assert_eq!(
        r.lines[4].note.as_deref(),
        Some("counter went backwards on 2026-03-01 (1058 to 0), not billed")
    );
}

#[test]
fn users_per_month_are_distinct_within_each_month() {
    let mut p = prices();
    p.users_counted = UserCount::Month;
    p.per_user = m("5");
    let r = yearly_report("coop", &usage(), &p, "EUR", 2026, d(3, 31));
    let users: Vec<(String, u64, Decimal)> = r
        .lines
        .iter()
        .filter(|l| l.item.starts_with("Active users"))
        .map(|l| (l.item.clone(), l.quantity, l.amount))
        .collect();
    // March has one identity but busier days (2 a day): never fewer than a day.
    assert_eq!(
        users,
        vec![
            ("Active users, January 2026".to_string(), 3, m("15.0")),
            ("Active users, February 2026".to_string(), 2, m("10.0")),
            ("Active users, March 2026".to_string(), 2, m("10.0")),
        ]
    );
}

#[test]
fn an_unmetered_priced_item_is_billed_nothing_and_says_so() {
    let mut u = usage();
    u.samples.remove(&Meter::Sms);
    let r = yearly_report("coop", &u, &prices(), "EUR", 2026, d(3, 31));
    let sms = r.lines.iter().find(|l| l.item.starts_with("SMS")).unwrap();
    assert_eq!((sms.quantity, sms.amount), (0, Decimal::ZERO));
    assert_eq!(sms.note.as_deref(), Some("not metered"));
    assert_eq!(sms.item, "SMS beyond 100 (not measured)");
    assert!(r.quotas.iter().all(|q| q.meter != Meter::Sms));
}

#[test]
fn near_quota_from_the_contract_share_nearest_first() {
    // (client, e-mails sent per day over 90 days, near?)
    let cases = [("a", 9, true), ("b", 11, true), ("c", 8, false)];
    let reports: Vec<UsageReport> = cases
        .iter()
        .map(|(c, per_day, _)| {
            let mut u = ClientUsage::default();
            u.samples.insert(
                Meter::Emails,
                d(1, 1)
                    .iter_days()
                    .take(90)
                    .map(|x| ok(x, Reading::Day(*per_day)))
                    .collect(),
            );
            yearly_report(c, &u, &prices(), "EUR", 2026, d(3, 31))
        })
        .collect();
    for ((c, _, near), r) in cases.iter().zip(&reports) {
        assert_eq!(r.near().next().is_some(), *near, "client {c}");
    }
    let near: Vec<(String, u64)> = near_quotas(&reports)
        .into_iter()
        .map(|n| (n.client, n.quota.percent().round() as u64))
        .collect();
    // 990 and 810 of 1000; 720 is under 80 %.
    assert_eq!(near, vec![("b".to_string(), 99), ("a".to_string(), 81)]);
}

#[test]
fn amounts_are_rounded_to_the_cent() {
    let mut u = ClientUsage::default();
    u.samples
        .insert(Meter::Emails, vec![ok(d(1, 1), Reading::Day(1333))]);
    let mut p = prices();
    p.per_extra_email = m("0.0015");
    let r = yearly_report("coop", &u, &p, "EUR", 2026, d(1, 1));
    let mails = r
        .lines
        .iter()
        .find(|l| l.item.starts_with("E-mails"))
        .unwrap();
    // 333 * 0.0015 = 0.4995
    assert_eq!((mails.quantity, mails.amount), (333, m("0.50")));
}

#[test]
fn seven_extra_sms_at_0_145_bill_1_02_and_the_total_sums_rounded_lines() {
    let mut u = ClientUsage::default();
    u.samples
        .insert(Meter::Sms, vec![ok(d(1, 1), Reading::Day(107))]);
    u.samples
        .insert(Meter::Emails, vec![ok(d(1, 1), Reading::Day(1001))]);
    let mut p = prices();
    p.base_fee = m("1.005");
    p.per_user = Decimal::ZERO;
    p.included_gb = 0;
    p.per_extra_gb = Decimal::ZERO;
    p.per_extra_sms = m("0.145");
    p.per_extra_email = m("0.005");
    let r = yearly_report("coop", &u, &p, "EUR", 2026, d(1, 1));
    let amounts: Vec<(u64, String)> = r
        .lines
        .iter()
        .map(|l| (l.quantity, crate::model::money::format_cents(l.amount)))
        .collect();
    // A binary float said 1.01 for 7 × 0.145 (1.0149999…) and 1.00 for 1.005.
    assert_eq!(
        amounts,
        vec![
            (1, "1.01".to_string()),
            (1, "0.01".to_string()),
            (7, "1.02".to_string())
        ]
    );
    assert_eq!(crate::model::money::format_cents(r.total), "2.04");
}

#[test]
fn due_days_catch_up_only_what_a_source_can_read_again() {
    let odoo = MeterSource::Odoo;
    let cmd = MeterSource::Command {
        host: "web1".into(),
        target: None,
        command: "du -sb /srv".into(),
        reading: ReadingKind::Level,
    };
    let today = d(3, 10);
    let read = |day: NaiveDate| day == d(3, 8);
    // (source, meter, catch-up days, expected)
    let cases: [(&MeterSource, Meter, u64, Vec<NaiveDate>); 4] = [
        // E-mails have their dates in Odoo: the missed days are read again.
        (&odoo, Meter::Emails, 4, vec![d(3, 6), d(3, 7), d(3, 9)]),
        // Odoo keeps only the last login: only the day just over.
        (&odoo, Meter::ActiveUsers, 4, vec![d(3, 9)]),
        // A command reads now: only the day just over.
        (&cmd, Meter::Documents, 4, vec![d(3, 9)]),
        (&odoo, Meter::Sms, 1, vec![d(3, 9)]),
    ];
    for (source, meter, catch_up, want) in cases {
        assert_eq!(
            due_days(source, meter, today, catch_up, read),
            want,
            "{} {meter:?}",
            source.kind()
        );
    }
    // Once read, nothing is due.
    assert!(due_days(&odoo, Meter::Emails, today, 4, |_| true).is_empty());
}

#[test]
fn a_local_day_spans_23_hours_when_clocks_go_forward() {
    let tz = chrono_tz::Europe::Paris;
    let (from, to) = day_span(d(3, 29), tz).unwrap();
    assert_eq!(from.to_rfc3339(), "2026-03-28T23:00:00+00:00");
    assert_eq!((to - from).num_hours(), 23);
    let (from, to) = day_span(d(10, 25), tz).unwrap();
    assert_eq!(from.to_rfc3339(), "2026-10-24T22:00:00+00:00");
    assert_eq!((to - from).num_hours(), 25);
}

//! The demo's usage: a year of daily samples per metered client (with a
//! few failed days and a counter reset, as the field has them), a
//! Prometheus-like `/prom/api/v1/query` answering the same figures, and the
//! Odoo stand-in's users, mails, SMS and attachments for the day just over,
//! which the sampler reads live.

use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc, Weekday};
use serde_json::json;

use super::odoo::{self, OdooDb};
use crate::model::Fleet;
use crate::model::usage::{GB, Meter, MeterSource, Reading, day_span};
use crate::store::usage::UsageSample;

/// Days of samples seeded, ending the day before yesterday (the sampler
/// reads yesterday from the simulated sources).
pub const SEED_DAYS: u64 = 365;

/// The demo's Odoo users who can be active (ids 3 to 47; 2 is Vigie).
const USERS: std::ops::RangeInclusive<i64> = 3..=47;

fn mix(a: u64, b: u64) -> u64 {
    let mut z = a
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(b)
        .wrapping_add(0x632B_E59B_D9B4_E019);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn seed(client: &str, meter: Meter) -> u64 {
    client
        .bytes()
        .chain(meter.key().bytes())
        .fold(17u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b)))
}

fn n(day: NaiveDate) -> u64 {
    day.num_days_from_ce().max(0) as u64
}

fn weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The Odoo users active on `day`.
pub fn active_ids(day: NaiveDate) -> Vec<i64> {
    let share = if weekend(day) { 8 } else { 35 };
    USERS
        .filter(|uid| mix(*uid as u64, n(day)) % 100 < share)
        .collect()
}

/// A day's own figure (users, e-mails, SMS) for a client and meter.
fn daily(client: &str, meter: Meter, day: NaiveDate) -> u64 {
    let r = mix(seed(client, meter), n(day));
    let quiet = weekend(day);
    match (client, meter) {
        ("cagette", Meter::ActiveUsers) => active_ids(day).len() as u64,
        (_, Meter::ActiveUsers) if quiet => 1 + r % 2,
        ("mairie", Meter::ActiveUsers) => 8 + r % 6,
        (_, Meter::ActiveUsers) => 3 + r % 5,
        (_, Meter::Emails) if quiet => 4 + r % 6,
        ("cagette", Meter::Emails) => 60 + r % 50,
        (_, Meter::Emails) => 12 + r % 9,
        (_, Meter::Sms) if quiet => r % 3,
        (_, Meter::Sms) => 3 + r % 5,
        (_, Meter::Documents) => 0,
    }
}

/// Documents held at the end of `day`: growing from a base, so the town
/// hall passes its 20 GB and the coop nears it.
fn level(client: &str, day: NaiveDate) -> u64 {
    let (base, per_day) = match client {
        "cagette" => (12 * GB, 12_000_000),
        "mairie" => (17 * GB, 10_000_000),
        _ => (2 * GB, 2_000_000),
    };
    let start = NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day);
    base + per_day * (day - start).num_days().max(0) as u64
}

/// The mail server's counter was reset when it was reinstalled, every
/// 12 June: a counter going backwards, flagged and not billed.
fn reset_day(day: NaiveDate) -> NaiveDate {
    let this = NaiveDate::from_ymd_opt(day.year(), 6, 12).unwrap_or(day);
    if day >= this {
        this
    } else {
        NaiveDate::from_ymd_opt(day.year() - 1, 6, 12).unwrap_or(day)
    }
}

fn total(client: &str, meter: Meter, day: NaiveDate) -> u64 {
    reset_day(day)
        .iter_days()
        .take_while(|d| *d <= day)
        .map(|d| daily(client, meter, d))
        .sum()
}

/// The figure a source of the demo gives for `day`, read as `source`
/// says; `Err` on the days it failed.
pub fn value(
    client: &str,
    meter: Meter,
    source: &MeterSource,
    day: NaiveDate,
) -> Result<Reading, String> {
    // Three days in March the bike club's Prometheus was down; two days in
    // August the coop's Odoo did not answer.
    if client == "velo" && day.month() == 3 && (10..=12).contains(&day.day()) {
        return Err("prometheus unreachable: connection refused".into());
    }
    if client == "cagette"
        && meter == Meter::Sms
        && day.month() == 8
        && (20..=21).contains(&day.day())
    {
        return Err("Odoo unreachable: no answer within 30s".into());
    }
    Ok(match (meter, source.reading(meter)) {
        (Meter::Documents, _) => Reading::Level(level(client, day)),
        (_, crate::model::usage::ReadingKind::Total) => Reading::Total(total(client, meter, day)),
        (_, crate::model::usage::ReadingKind::Level) => Reading::Level(daily(client, meter, day)),
        (_, crate::model::usage::ReadingKind::Day) => Reading::Day(daily(client, meter, day)),
    })
}

/// The seeded samples: `SEED_DAYS` days per metered client and meter,
/// ending the day before yesterday in the client's zone.
pub fn samples(fleet: &Fleet, now: DateTime<Utc>) -> Vec<UsageSample> {
    let mut out = Vec::new();
    for c in fleet.clients.iter().filter(|c| !c.usage.meters.is_empty()) {
        let today = now.with_timezone(&c.timezone).date_naive();
        let Some(last) = today.checked_sub_days(Days::new(2)) else {
            continue;
        };
        let first = last
            .checked_sub_days(Days::new(SEED_DAYS - 1))
            .unwrap_or(last);
        for (meter, source) in &c.usage.meters {
            for day in first.iter_days().take_while(|d| *d <= last) {
                let users = if *meter == Meter::ActiveUsers && *source == MeterSource::Odoo {
                    active_ids(day).iter().map(i64::to_string).collect()
                } else {
                    Vec::new()
                };
                let at =
                    day_span(day, c.timezone).map_or(now, |(_, end)| end + TimeDelta::minutes(5));
                out.push(UsageSample {
                    client: c.id.clone(),
                    meter: *meter,
                    day,
                    outcome: value(&c.id, *meter, source, day),
                    at,
                    users,
                });
            }
        }
    }
    out
}

/// The Odoo stand-in's records for the usage meters: users with their last
/// login, the mails and SMS of the last weeks (and a few failed ones, which
/// do not count), and attachments adding up to the day's volume.
pub fn fill_odoo(db: &mut OdooDb, fleet: &Fleet, now: DateTime<Utc>) {
    let Some(client) = fleet.clients.iter().find(|c| c.id == "cagette") else {
        return;
    };
    let tz = client.timezone;
    let today = now.with_timezone(&tz).date_naive();
    let Some(yesterday) = today.pred_opt() else {
        return;
    };
    let noon = |d: NaiveDate| day_span(d, tz).map_or(now, |(s, _)| s + TimeDelta::hours(12));
    let mut users = vec![odoo::res_user(2, super::pos::DEMO_LOGIN, Some(now))];
    for uid in USERS {
        // The last day this user was active, up to yesterday.
        let last = (0..60u64)
            .filter_map(|back| yesterday.checked_sub_days(Days::new(back)))
            .find(|d| active_ids(*d).contains(&uid));
        users.push(odoo::res_user(uid, &format!("user{uid}"), last.map(noon)));
    }
    db.models.insert("res.users".into(), users);
    let mut mails = Vec::new();
    let mut sms = Vec::new();
    let mut id = 1000;
    // The days the sampler may catch up, with the seeded figures, so a
    // round that runs before the seeding lands reads the same numbers.
    let first = today
        .checked_sub_days(Days::new(crate::engine::usage::CATCH_UP_DAYS + 1))
        .unwrap_or(today);
    for day in first.iter_days().take_while(|d| *d <= today) {
        let at = noon(day);
        for _ in 0..daily("cagette", Meter::Emails, day) {
            id += 1;
            mails.push(odoo::mail(id, "sent", at));
        }
        for _ in 0..daily("cagette", Meter::Sms, day) {
            id += 1;
            sms.push(odoo::sms(id, "sent", at));
        }
        id += 1;
        mails.push(odoo::mail(id, "exception", at));
        sms.push(odoo::sms(id, "error", at));
    }
    db.models.insert("mail.mail".into(), mails);
    db.models.insert("sms.sms".into(), sms);
    let total = level("cagette", yesterday);
    let parts = 40u64;
    let attachments = (0..parts)
        .map(|i| {
            let size = total / parts + if i == 0 { total % parts } else { 0 };
            let field = (i % 10 == 0).then_some("image_1920");
            odoo::attachment(i as i64 + 1, size, field)
        })
        .collect();
    db.models.insert("ir.attachment".into(), attachments);
}

#[derive(Debug, serde::Deserialize)]
struct PromQuery {
    query: String,
    time: Option<String>,
}

/// `/prom/api/v1/query`: answers `vigie_demo_usage{client="c",meter="m"}`
/// (with `reading="total"` for a counter) at `time` (RFC 3339 or Unix
/// seconds; the instant is the end of the day it stands for).
pub fn routes() -> Router {
    Router::new().route("/prom/api/v1/query", get(prom_query))
}

fn label<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    let start = query.find(&format!("{name}=\""))? + name.len() + 2;
    let rest = &query[start..];
    Some(&rest[..rest.find('"')?])
}

async fn prom_query(Query(q): Query<PromQuery>) -> axum::Json<serde_json::Value> {
    let at = match q.time.as_deref() {
        None => Utc::now(),
        Some(t) => match DateTime::parse_from_rfc3339(t)
            .map(|d| d.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                t.parse::<f64>()
                    .ok()
                    .and_then(|s| DateTime::from_timestamp(s as i64, 0))
            }) {
            Some(at) => at,
            None => {
                return axum::Json(json!({"status": "error", "errorType": "bad_data",
                    "error": format!("invalid parameter \"time\": cannot parse {t:?} to a valid timestamp")}));
            }
        },
    };
    let (Some(client), Some(meter)) = (
        label(&q.query, "client"),
        label(&q.query, "meter").and_then(Meter::from_key),
    ) else {
        return axum::Json(
            json!({"status": "success", "data": {"resultType": "vector", "result": []}}),
        );
    };
    let reading = match label(&q.query, "reading") {
        Some("total") => crate::model::usage::ReadingKind::Total,
        _ => crate::model::usage::ReadingKind::default_for(meter),
    };
    let source = MeterSource::Prometheus {
        url: String::new(),
        query: q.query.clone(),
        reading,
    };
    // The instant just before `at` names the day (a day's end is the next
    // day's midnight).
    let day = (at - TimeDelta::seconds(1))
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let result = match value(client, meter, &source, day) {
        Ok(r) => json!([{
            "metric": {"client": client, "meter": meter.key()},
            "value": [at.timestamp(), r.value().to_string()],
        }]),
        Err(_) => json!([]),
    };
    axum::Json(json!({"status": "success", "data": {"resultType": "vector", "result": result}}))
}

//! Contracts: support hours, intervention and restoration times, billing
//! and availability tiers.

use std::collections::BTreeMap;
use std::time::Duration;

use toml::Spanned;

use super::Validator;
use crate::config::raw::{RawContract, RawSupportHours, RawTier};
use crate::config::values::{DurationValue, HolidayList, OrderedMap};
use crate::model::holidays::{Country, Holidays};
use crate::model::money::Decimal;
use crate::model::{AvailabilityTier, Contract, SupportHours};

/// DOMAIN: a diagnosis longer than one hour must be announced to the client.
const DEFAULT_DIAGNOSIS_WARNING: Duration = Duration::from_secs(3_600);
const DEFAULT_CURRENCY: &str = "EUR";

pub(super) fn contract(v: &mut Validator, id: &str, raw: &RawContract) -> Contract {
    let support_hours = match &raw.support_hours {
        Some(s) => support_hours(v, s),
        None => SupportHours::default(),
    };
    let hourly_rate = v.amount(&raw.hourly_rate, "hourly_rate");
    let monthly_fee = v.amount(&raw.monthly_fee, "monthly_fee");
    Contract {
        id: id.to_string(),
        support_hours,
        intervention: durations(&raw.intervention),
        restoration: durations(&raw.restoration),
        calls_per_year: raw.calls_per_year,
        hourly_rate,
        currency: currency(v, raw.currency.as_ref()),
        monthly_fee,
        tiers: tiers(v, &raw.tiers),
        diagnosis_warning: raw
            .diagnosis_warning
            .map_or(DEFAULT_DIAGNOSIS_WARNING, |d| d.0),
        holidays: holidays(v, raw.holidays.as_ref()),
        billing_increment: raw
            .billing_increment
            .map_or(DEFAULT_BILLING_INCREMENT, |d| d.0),
        usage: raw.usage.as_ref().map(|u| super::usage::prices(v, u)),
    }
}

/// DOMAIN: billed per started quarter hour unless the contract says otherwise.
const DEFAULT_BILLING_INCREMENT: Duration = Duration::from_secs(900);

/// Public holidays: country presets (`FR`, `BE`, `CH`, `CA-QC`) and
/// `YYYY-MM-DD` local dates.
fn holidays(v: &mut Validator, raw: Option<&Spanned<HolidayList>>) -> Holidays {
    let mut out = Holidays::default();
    let Some(raw) = raw else {
        return out;
    };
    for (span, entry) in &raw.get_ref().0 {
        let span = span.clone().unwrap_or_else(|| raw.span());
        if let Some(c) = Country::parse(entry) {
            if !out.countries.contains(&c) {
                out.countries.push(c);
            }
            continue;
        }
        match chrono::NaiveDate::parse_from_str(entry, "%Y-%m-%d") {
            Ok(d) => {
                out.dates.insert(d);
            }
            Err(_) => {
                let codes: Vec<&str> = Country::CODES.iter().map(|(c, _)| *c).collect();
                v.error(
                    span,
                    format!(
                        "invalid holiday '{}', expected a country ({}) or a date like 2026-12-25",
                        crate::sanitize::clean_short(entry, 40),
                        codes.join(", ")
                    ),
                );
            }
        }
    }
    out
}

/// Times per ticket priority.
fn durations(raw: &OrderedMap<String, DurationValue>) -> BTreeMap<String, Duration> {
    raw.iter()
        .map(|(priority, d)| (priority.get_ref().clone(), d.0))
        .collect()
}

fn support_hours(v: &mut Validator, raw: &RawSupportHours) -> SupportHours {
    let mut days = Vec::new();
    if raw.days.get_ref().is_empty() {
        v.error(
            raw.days.span(),
            "no support days, expected at least one of mon, tue, wed, thu, fri, sat, sun",
        );
    }
    for day in raw.days.get_ref() {
        let d = day.get_ref().0;
        if days.contains(&d) {
            v.error(
                day.span(),
                format!("{} is listed twice in the support days", day_name(d)),
            );
        } else {
            days.push(d);
        }
    }
    let (start, end) = (raw.start.get_ref().0, raw.end.get_ref().0);
    if end <= start {
        v.error(
            raw.end.span(),
            format!("support hours end at {end}, expected a time after the start {start}"),
        );
    }
    SupportHours { days, start, end }
}

fn day_name(d: chrono::Weekday) -> &'static str {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][d.num_days_from_monday() as usize]
}

fn currency(v: &mut Validator, raw: Option<&Spanned<String>>) -> String {
    let Some(raw) = raw else {
        return DEFAULT_CURRENCY.to_string();
    };
    let code = raw.get_ref();
    if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
        v.error(
            raw.span(),
            format!("invalid currency '{code}', expected a three-letter ISO 4217 code like EUR"),
        );
    }
    code.clone()
}

/// Tiers go from the best month to the worst: `below` strictly decreasing,
/// and a worse month never earns a smaller credit.
fn tiers(v: &mut Validator, raw: &[RawTier]) -> Vec<AvailabilityTier> {
    let mut out: Vec<AvailabilityTier> = Vec::new();
    for tier in raw {
        let below = *tier.below.get_ref();
        let credit = v.amount(&tier.credit_percent, "credit_percent");
        if !(below > 0.0 && below <= 100.0) {
            v.error(
                tier.below.span(),
                format!("below is {below}, expected a percentage above 0 and at most 100"),
            );
        }
        if credit > Decimal::ONE_HUNDRED {
            v.error(
                tier.credit_percent.span(),
                format!("credit_percent is {credit}, expected 0 to 100"),
            );
        }
        if let Some(previous) = out.last() {
            if below >= previous.below {
                v.error(
                    tier.below.span(),
                    format!(
                        "tiers must be sorted by `below`, highest first: {below} comes after {}",
                        previous.below
                    ),
                );
            } else if credit < previous.credit_percent {
                v.error(
                    tier.credit_percent.span(),
                    format!(
                        "credit_percent is {credit}, expected at least the {} of the better tier before it",
                        previous.credit_percent
                    ),
                );
            }
        }
        out.push(AvailabilityTier {
            below,
            credit_percent: credit,
        });
    }
    out
}

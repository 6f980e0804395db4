//! The usage reports of a fleet: each client's meters priced by its
//! contract, over the days of the year that are over in its timezone.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{ClientUsage, UsagePrices, UsageReport, yearly_report};
use crate::model::Fleet;

/// The last complete day of `year` at `now` in `tz`: 31 December for a
/// past year, yesterday for the current one, none for a future one.
pub fn through(year: i32, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Option<NaiveDate> {
    let today = now.with_timezone(&tz).date_naive();
    match year.cmp(&today.year()) {
        std::cmp::Ordering::Less => NaiveDate::from_ymd_opt(year, 12, 31),
        std::cmp::Ordering::Equal => today.pred_opt().filter(|d| d.year() == year),
        std::cmp::Ordering::Greater => None,
    }
}

/// The reports of every client (or one) that meters usage or whose
/// contract prices it, in configuration order, from what the store holds
/// for `year` (taken out of `stored`).
pub fn fleet_reports(
    fleet: &Fleet,
    stored: &mut BTreeMap<String, ClientUsage>,
    year: i32,
    only: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<UsageReport> {
    let mut out = Vec::new();
    for client in fleet
        .clients
        .iter()
        .filter(|c| only.is_none_or(|o| o == c.id))
    {
        let contract = fleet.contracts.get(&client.contract);
        let prices = contract.and_then(|c| c.usage.as_ref());
        if prices.is_none() && client.usage.meters.is_empty() {
            continue;
        }
        let Some(last) = through(year, client.timezone, now) else {
            continue;
        };
        let mut usage = stored.remove(&client.id).unwrap_or_default();
        // A configured meter with no sample at all is all gaps, not unmetered.
        for (meter, _) in &client.usage.meters {
            usage.samples.entry(*meter).or_default();
        }
        let default = UsagePrices::default();
        out.push(yearly_report(
            &client.id,
            &usage,
            prices.unwrap_or(&default),
            contract.map_or("EUR", |c| c.currency.as_str()),
            year,
            last,
        ));
    }
    out
}

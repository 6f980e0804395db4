//! The contract's usage prices and the yearly invoice built from a client's
//! meters: one line per billed item, and the quotas it is near.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::{ClientUsage, DayFigure, GB, Meter, MeterYear, meter_year};
use crate::model::money::{self, Decimal};

/// How a contract counts active users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserCount {
    /// Distinct users active at least once in the year, at a yearly price.
    #[default]
    Year,
    /// Distinct users active in each month, at a monthly price.
    Month,
}

/// The usage terms of a contract (`[contracts.<id>.usage]`).
#[derive(Debug, Clone, PartialEq)]
pub struct UsagePrices {
    /// Invoiced once a year whatever the usage.
    pub base_fee: Decimal,
    /// Per active user, per year or per month as `users_counted` says.
    pub per_user: Decimal,
    pub users_counted: UserCount,
    /// Document volume included (GB of 10^9 bytes); every started GB beyond
    /// the year's peak volume costs `per_extra_gb`.
    pub included_gb: u64,
    pub per_extra_gb: Decimal,
    /// E-mails sent included in the year, and the price of each beyond.
    pub included_emails: u64,
    pub per_extra_email: Decimal,
    pub included_sms: u64,
    pub per_extra_sms: Decimal,
    /// A client is near a quota from this share of it (percent).
    pub near_quota_pct: u32,
}

impl Default for UsagePrices {
    fn default() -> Self {
        UsagePrices {
            base_fee: Decimal::ZERO,
            per_user: Decimal::ZERO,
            users_counted: UserCount::Year,
            included_gb: 0,
            per_extra_gb: Decimal::ZERO,
            included_emails: 0,
            per_extra_email: Decimal::ZERO,
            included_sms: 0,
            per_extra_sms: Decimal::ZERO,
            near_quota_pct: 80,
        }
    }
}

/// One line of the yearly invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceLine {
    pub item: String,
    pub quantity: u64,
    pub unit_price: Decimal,
    /// `quantity * unit_price`, rounded half-up to the cent.
    pub amount: Decimal,
    /// Gaps, flagged counters, or "not metered": what the figure rests on.
    pub note: Option<String>,
}

/// A meter against its yearly quota.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuotaUse {
    pub meter: Meter,
    /// In the meter's unit (bytes for documents).
    pub used: u64,
    pub included: u64,
}

impl QuotaUse {
    pub fn percent(&self) -> f64 {
        if self.included == 0 {
            return 0.0;
        }
        self.used as f64 * 100.0 / self.included as f64
    }
}

/// A client's usage of a year and the invoice it makes.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageReport {
    pub client: String,
    pub year: i32,
    pub currency: String,
    /// The metered meters, in `Meter::ALL` order.
    pub meters: Vec<MeterYear>,
    /// Distinct active users over the year, if users are metered.
    pub users_year: Option<u64>,
    /// Distinct active users per month (1 to 12) that has a reading.
    pub users_by_month: BTreeMap<u32, u64>,
    pub lines: Vec<InvoiceLine>,
    /// The sum of the rounded lines.
    pub total: Decimal,
    pub quotas: Vec<QuotaUse>,
    pub near_quota_pct: u32,
}

impl UsageReport {
    pub fn meter(&self, meter: Meter) -> Option<&MeterYear> {
        self.meters.iter().find(|m| m.meter == meter)
    }

    /// The quotas at or past the contract's warning share.
    pub fn near(&self) -> impl Iterator<Item = &QuotaUse> {
        self.quotas
            .iter()
            .filter(|q| q.included > 0 && q.percent() >= f64::from(self.near_quota_pct))
    }
}

/// A client near one of its quotas.
#[derive(Debug, Clone, PartialEq)]
pub struct NearQuota {
    pub client: String,
    pub quota: QuotaUse,
}

/// Who is near a quota, nearest (highest share) first.
pub fn near_quotas(reports: &[UsageReport]) -> Vec<NearQuota> {
    let mut out: Vec<NearQuota> = reports
        .iter()
        .flat_map(|r| {
            r.near().map(|q| NearQuota {
                client: r.client.clone(),
                quota: *q,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.quota
            .percent()
            .total_cmp(&a.quota.percent())
            .then_with(|| a.client.cmp(&b.client))
    });
    out
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The yearly invoice of a client: the base fee; the active users (distinct
/// over the year, or per month, as the contract says); the started GB of
/// the year's peak document volume beyond the included volume; the e-mails
/// and SMS sent beyond their quotas. Days up to `through` count; gaps and
/// counters that went backwards are noted on the line they touch and
/// never billed.
pub fn yearly_report(
    client: &str,
    usage: &ClientUsage,
    prices: &UsagePrices,
    currency: &str,
    year: i32,
    through: NaiveDate,
) -> UsageReport {
    let meters: Vec<MeterYear> = Meter::ALL
        .iter()
        .filter_map(|m| {
            usage
                .samples
                .get(m)
                .map(|s| meter_year(*m, s, year, through))
        })
        .collect();
    let users = meters.iter().find(|m| m.meter == Meter::ActiveUsers);
    let users_by_month = users.map(|u| by_month(u, usage)).unwrap_or_default();
    let users_year = users.map(|u| usage.users_in_year.max(u.peak));
    let mut report = UsageReport {
        client: client.to_string(),
        year,
        currency: currency.to_string(),
        users_year,
        users_by_month,
        lines: Vec::new(),
        total: Decimal::ZERO,
        quotas: Vec::new(),
        near_quota_pct: prices.near_quota_pct,
        meters: Vec::new(),
    };
    report
        .lines
        .push(line("Base fee".into(), 1, prices.base_fee, None));
    if prices.per_user > Decimal::ZERO || users.is_some() {
        user_lines(&mut report, users, prices);
    }
    let find = |m: Meter| meters.iter().find(|y| y.meter == m);
    if prices.included_gb > 0 || prices.per_extra_gb > Decimal::ZERO {
        let docs = find(Meter::Documents);
        let included = prices.included_gb.saturating_mul(GB);
        let extra = docs.map_or(0, |d| d.peak.saturating_sub(included).div_ceil(GB));
        let peak = docs.map_or(" (not measured)".to_string(), |d| {
            format!(" (peak {})", gb(d.peak))
        });
        report.lines.push(line(
            format!("Documents beyond {} GB{peak}", prices.included_gb),
            extra,
            prices.per_extra_gb,
            note(docs),
        ));
        if let Some(d) = docs {
            report.quotas.push(QuotaUse {
                meter: Meter::Documents,
                used: d.peak,
                included,
            });
        }
    }
    for (meter, included, price, what) in [
        (
            Meter::Emails,
            prices.included_emails,
            prices.per_extra_email,
            "E-mails",
        ),
        (Meter::Sms, prices.included_sms, prices.per_extra_sms, "SMS"),
    ] {
        if included == 0 && price.is_zero() {
            continue;
        }
        let m = find(meter);
        let sent = m.map_or(0, |m| m.counted);
        // A meter nobody reads is not "sent 0": the invoice says so.
        let told = match m {
            Some(_) => format!("sent {sent}"),
            None => "not measured".to_string(),
        };
        report.lines.push(line(
            format!("{what} beyond {included} ({told})"),
            sent.saturating_sub(included),
            price,
            note(m),
        ));
        if m.is_some() {
            report.quotas.push(QuotaUse {
                meter,
                used: sent,
                included,
            });
        }
    }
    report.total = money::total(report.lines.iter().map(|l| &l.amount));
    report.meters = meters;
    report
}

fn user_lines(report: &mut UsageReport, users: Option<&MeterYear>, prices: &UsagePrices) {
    match prices.users_counted {
        UserCount::Year => {
            let item = format!("Active users in {}", report.year);
            let n = report.users_year.unwrap_or(0);
            report
                .lines
                .push(line(item, n, prices.per_user, note(users)));
        }
        UserCount::Month => {
            let Some(u) = users else {
                let item = format!("Active users per month in {}", report.year);
                report
                    .lines
                    .push(line(item, 0, prices.per_user, note(None)));
                return;
            };
            // Days and days without a reading, per month that has days.
            let mut months = [(0usize, 0usize); 12];
            for (d, f) in &u.days {
                let m = &mut months[d.month0() as usize];
                m.0 += 1;
                m.1 += usize::from(matches!(f, DayFigure::Gap(_)));
            }
            for (m, (days, gaps)) in (1u32..).zip(months).filter(|(_, (days, _))| *days > 0) {
                let item = format!("Active users, {} {}", MONTHS[m as usize - 1], report.year);
                let n = report.users_by_month.get(&m).copied().unwrap_or(0);
                let note = match (gaps, days) {
                    (0, _) => None,
                    (g, all) if g == all => Some("no reading this month".to_string()),
                    (1, _) => Some("1 day without a reading".to_string()),
                    (g, _) => Some(format!("{g} days without a reading")),
                };
                report.lines.push(line(item, n, prices.per_user, note));
            }
        }
    }
}

/// Distinct users per month: the identities where the source names them,
/// never fewer than the month's busiest day.
fn by_month(users: &MeterYear, usage: &ClientUsage) -> BTreeMap<u32, u64> {
    let mut out: BTreeMap<u32, u64> = BTreeMap::new();
    for (day, figure) in &users.days {
        if let Some(v) = figure.value() {
            let e = out.entry(day.month()).or_default();
            *e = (*e).max(v);
        }
    }
    for (m, named) in &usage.users_by_month {
        if users.days.iter().any(|(d, _)| d.month() == *m) {
            let e = out.entry(*m).or_default();
            *e = (*e).max(*named);
        }
    }
    out
}

fn note(meter: Option<&MeterYear>) -> Option<String> {
    let Some(m) = meter else {
        return Some("not metered".into());
    };
    let mut parts = Vec::new();
    let gaps = m.gap_days();
    if gaps > 0 {
        parts.push(format!(
            "{gaps} day{} without a reading",
            if gaps == 1 { "" } else { "s" }
        ));
    }
    for f in &m.flags {
        parts.push(format!(
            "counter went backwards on {} ({} to {}), not billed",
            f.day, f.from, f.to
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn line(item: String, quantity: u64, unit_price: Decimal, note: Option<String>) -> InvoiceLine {
    InvoiceLine {
        item,
        quantity,
        unit_price,
        amount: money::line_amount(quantity, unit_price),
        note,
    }
}

/// Bytes as GB with one decimal.
pub fn gb(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / GB as f64)
}

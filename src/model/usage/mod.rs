//! Usage metering for the yearly invoice (DOMAIN, "The fleet": a base fee,
//! the users active during the year, the document volume beyond a quota,
//! the e-mails and SMS sent beyond a quota).
//!
//! Each meter of a client is sampled once a day. A day whose source failed
//! (or that nobody sampled) is a gap: it is reported as such, never read as
//! zero. A cumulative counter that goes backwards is flagged and not billed.
//!
//! Pure: the last complete day is always a parameter.

mod days;
mod fleet;
mod invoice;
mod source;

use std::collections::BTreeMap;

use chrono::NaiveDate;

pub use days::{DayFigure, Flag, GapRun, MeterYear, meter_year};
pub use fleet::{fleet_reports, through};
pub use invoice::{
    InvoiceLine, NearQuota, QuotaUse, UsagePrices, UsageReport, UserCount, gb, near_quotas,
    yearly_report,
};
pub use source::{MeterSource, ReadingKind, UsageMeters, due_days};

/// What is metered, per client instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Meter {
    /// Distinct users who logged in that day.
    ActiveUsers,
    /// Bytes of documents (attachments, filestore) held at the end of the day.
    Documents,
    /// E-mails sent.
    Emails,
    /// SMS sent.
    Sms,
}

impl Meter {
    /// The key used in the configuration and the store.
    pub fn key(self) -> &'static str {
        match self {
            Meter::ActiveUsers => "active_users",
            Meter::Documents => "documents",
            Meter::Emails => "emails",
            Meter::Sms => "sms",
        }
    }

    pub fn from_key(key: &str) -> Option<Meter> {
        [
            Meter::ActiveUsers,
            Meter::Documents,
            Meter::Emails,
            Meter::Sms,
        ]
        .into_iter()
        .find(|m| m.key() == key)
    }

    /// As the operator reads it.
    pub fn label(self) -> &'static str {
        match self {
            Meter::ActiveUsers => "active users",
            Meter::Documents => "documents",
            Meter::Emails => "e-mails",
            Meter::Sms => "SMS",
        }
    }

    pub const ALL: [Meter; 4] = [
        Meter::ActiveUsers,
        Meter::Documents,
        Meter::Emails,
        Meter::Sms,
    ];
}

/// One day's reading of a meter, as its source gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The day's own figure: Odoo's e-mails sent that day, the users active
    /// that day.
    Day(u64),
    /// A cumulative counter read at the end of the day (a Prometheus
    /// `_total`, a count of every e-mail ever sent): the day's figure is the
    /// difference with the previous reading.
    Total(u64),
    /// A level read at the end of the day (bytes of documents).
    Level(u64),
}

impl Reading {
    pub fn kind(self) -> &'static str {
        match self {
            Reading::Day(_) => "day",
            Reading::Total(_) => "total",
            Reading::Level(_) => "level",
        }
    }

    pub fn value(self) -> u64 {
        match self {
            Reading::Day(v) | Reading::Total(v) | Reading::Level(v) => v,
        }
    }

    pub fn from_parts(kind: &str, value: u64) -> Option<Reading> {
        match kind {
            "day" => Some(Reading::Day(value)),
            "total" => Some(Reading::Total(value)),
            "level" => Some(Reading::Level(value)),
            _ => None,
        }
    }
}

/// A day's sample: the reading, or why there is none (the source's error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySample {
    /// The client's local date the sample stands for.
    pub day: NaiveDate,
    pub outcome: Result<Reading, String>,
}

/// What the store holds for one client over a year (plus the day before it,
/// so a counter's first difference of the year can be taken).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientUsage {
    /// Samples per meter, sorted by day. A meter absent here is not metered.
    pub samples: BTreeMap<Meter, Vec<DaySample>>,
    /// How many distinct user identities were active per month (1 to 12)
    /// of the year, for sources that name them (Odoo's user ids).
    pub users_by_month: BTreeMap<u32, u64>,
    /// How many distinct identities over those months: a user active in
    /// two months counts once.
    pub users_in_year: u64,
}

impl ClientUsage {
    pub fn metered(&self, meter: Meter) -> bool {
        self.samples.contains_key(&meter)
    }
}

/// Bytes in a GB, as invoices count them (SI).
pub const GB: u64 = 1_000_000_000;

#[cfg(test)]
mod tests;

/// A local date as UTC instants: from its midnight to the next, in `tz`
/// (23 or 25 hours on DST days; a midnight that does not exist starts at
/// the first instant that does).
pub fn day_span(
    day: NaiveDate,
    tz: chrono_tz::Tz,
) -> Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    let start = |d: NaiveDate| {
        let naive = d.and_hms_opt(0, 0, 0)?;
        (0..=240).find_map(|m| {
            chrono::TimeZone::from_local_datetime(&tz, &(naive + chrono::Duration::minutes(m)))
                .earliest()
                .map(|t| t.with_timezone(&chrono::Utc))
        })
    };
    Some((start(day)?, start(day.succ_opt()?)?))
}

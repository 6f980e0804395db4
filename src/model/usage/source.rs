//! Where each meter of a client is read (`[clients.<c>.usage]`).

use super::Meter;
use crate::model::ssh::SshTarget;

/// How a command's or a query's number is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadingKind {
    /// The number is the day's own figure.
    Day,
    /// The number is a cumulative counter: the day is the difference.
    Total,
    /// The number is a level (bytes held).
    Level,
}

impl ReadingKind {
    pub fn reading(self, value: u64) -> super::Reading {
        match self {
            ReadingKind::Day => super::Reading::Day(value),
            ReadingKind::Total => super::Reading::Total(value),
            ReadingKind::Level => super::Reading::Level(value),
        }
    }

    /// What a meter's number is unless the configuration says otherwise:
    /// documents are a level, users a day's count, e-mails and SMS a
    /// counter (a `_total`, a count of every message ever sent).
    pub fn default_for(meter: Meter) -> ReadingKind {
        match meter {
            Meter::ActiveUsers => ReadingKind::Day,
            Meter::Documents => ReadingKind::Level,
            Meter::Emails | Meter::Sms => ReadingKind::Total,
        }
    }
}

/// One meter's source.
#[derive(Debug, Clone, PartialEq)]
pub enum MeterSource {
    /// The client's Odoo (`[clients.<c>.odoo]`): users' login dates, mails
    /// and SMS sent by date, attachment sizes. Past days can be read again.
    Odoo,
    /// A command run over SSH on `host` whose output is one number.
    Command {
        host: String,
        /// Resolved from `[hosts]` once the SSH settings are known.
        target: Option<SshTarget>,
        command: String,
        reading: ReadingKind,
    },
    /// A Prometheus instant query answering one number (summed if several
    /// series). Past days are read with the query's `time`.
    Prometheus {
        url: String,
        query: String,
        reading: ReadingKind,
    },
}

impl MeterSource {
    pub fn kind(&self) -> &'static str {
        match self {
            MeterSource::Odoo => "odoo",
            MeterSource::Command { .. } => "command",
            MeterSource::Prometheus { .. } => "prometheus",
        }
    }

    /// What the source's number for `meter` is: Odoo counts by date (a
    /// day's figure) and sums attachments (a level); commands and queries
    /// say so in the configuration.
    pub fn reading(&self, meter: Meter) -> ReadingKind {
        match self {
            MeterSource::Odoo if meter == Meter::Documents => ReadingKind::Level,
            MeterSource::Odoo => ReadingKind::Day,
            MeterSource::Command { reading, .. } | MeterSource::Prometheus { reading, .. } => {
                *reading
            }
        }
    }

    /// Whether a day already past can still be read exactly (missed days
    /// are caught up only then). Odoo's users have only their last login
    /// date and attachments only their current size, so those meters are
    /// read for the day just over; e-mails and SMS have their dates.
    pub fn reads_past_days(&self, meter: Meter) -> bool {
        match self {
            MeterSource::Odoo => matches!(meter, Meter::Emails | Meter::Sms),
            MeterSource::Command { .. } => false,
            MeterSource::Prometheus { .. } => true,
        }
    }
}

/// A client's metered meters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageMeters {
    pub meters: Vec<(Meter, MeterSource)>,
}

/// The local days a meter should be read for at `today`: the day just
/// over, and for a source that reads past days exactly, every day of the
/// last `catch_up` days not read yet (oldest first). Days already read are
/// never read again, so running this twice changes nothing.
pub fn due_days(
    source: &MeterSource,
    meter: Meter,
    today: chrono::NaiveDate,
    catch_up: u64,
    is_read: impl Fn(chrono::NaiveDate) -> bool,
) -> Vec<chrono::NaiveDate> {
    let Some(yesterday) = today.pred_opt() else {
        return Vec::new();
    };
    let first = if source.reads_past_days(meter) {
        yesterday
            .checked_sub_days(chrono::Days::new(catch_up.saturating_sub(1)))
            .unwrap_or(yesterday)
    } else {
        yesterday
    };
    first
        .iter_days()
        .take_while(|d| *d <= yesterday)
        .filter(|d| !is_read(*d))
        .collect()
}

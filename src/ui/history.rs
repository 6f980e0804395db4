//! History the Health pane shows beside the live states: last-hour
//! sparklines, this month's availability, and the detail of one host. Read
//! from the store on the follower thread, never while drawing.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::model::Status;

/// What the list needs from history, refreshed every few seconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealthHistory {
    /// Average latency per minute over the last hour, oldest first, per
    /// check (`None`: no answer that minute).
    pub sparklines: HashMap<String, Vec<Option<f64>>>,
    /// This calendar month's availability in percent, per check and per
    /// client (`None`: nothing measurable yet).
    pub check_month: HashMap<String, Option<f64>>,
    pub client_month: HashMap<String, ClientMonth>,
}

/// A client's month so far, against its contract.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientMonth {
    pub availability: Option<f64>,
    /// The first tier of the contract (e.g. 99.9).
    pub target: f64,
    /// Credit owed if the month ended now, in `currency`.
    pub credit: f64,
    pub currency: String,
}

/// The span of the detail charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Period {
    #[default]
    Day,
    Week,
    Month,
}

impl Period {
    pub const ALL: [Period; 3] = [Period::Day, Period::Week, Period::Month];

    pub fn label(self) -> &'static str {
        match self {
            Period::Day => "24 h",
            Period::Week => "7 d",
            Period::Month => "30 d",
        }
    }

    pub fn span(self) -> TimeDelta {
        match self {
            Period::Day => TimeDelta::hours(24),
            Period::Week => TimeDelta::days(7),
            Period::Month => TimeDelta::days(30),
        }
    }

    pub fn longer(self) -> Period {
        match self {
            Period::Day => Period::Week,
            _ => Period::Month,
        }
    }

    pub fn shorter(self) -> Period {
        match self {
            Period::Month => Period::Week,
            _ => Period::Day,
        }
    }
}

/// What the detail of a host asks the follower for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailRequest {
    pub host: String,
    pub period: Period,
}

/// One host's history over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct HostDetail {
    pub request: DetailRequest,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Per check of the host, in configuration order.
    pub checks: Vec<CheckSeries>,
    /// Incidents of the host's checks overlapping the period, newest first.
    pub incidents: Vec<Incident>,
    /// Set when the store could not be read.
    pub error: Option<String>,
}

/// (instant, value) points of a chart.
pub type Points = Vec<(DateTime<Utc>, f64)>;

/// Latency and metric series of one check, as (instant, value) points.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckSeries {
    pub check_id: String,
    pub latency: Points,
    /// Host metrics worth a chart (cpu, memory, fullest disk), by name.
    pub metrics: Vec<(String, Points)>,
    /// Availability of the check over the period, in percent.
    pub availability: Option<f64>,
}

/// A time a check was not up.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub check_id: String,
    pub status: Status,
    pub start: DateTime<Utc>,
    /// `None` while it lasts.
    pub end: Option<DateTime<Utc>>,
    pub cause: String,
}

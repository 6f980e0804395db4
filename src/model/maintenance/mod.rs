//! Maintenance windows (DOMAIN: "Maintenance windows"): when a host may be
//! touched and who must be told. Application updates happen outside the
//! client's opening hours, never on Friday, preferably Tuesday to Thursday
//! and ideally Wednesday; announced closures are respected; a regular
//! monthly window (Monday 22:00, under an hour) may be agreed; emergencies
//! need 24 h notice, major changes 60 days and at most two a year.
//!
//! Pure: the current time is always a parameter.

pub mod fleet;
pub mod ical;
pub mod local;
pub mod rrule;
pub mod rules;
pub mod slots;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;

use super::{OpeningHours, TimeOfDay};
pub use rrule::RRule;
pub use rules::{Breach, Rule, check_window};
pub use slots::{Slot, next_slots};

/// The kinds of maintenance, each with its own notice (DOMAIN: standard,
/// emergency with 24 h notice, major changes announced 60 days ahead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Standard,
    Emergency,
    Major,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Standard, Kind::Emergency, Kind::Major];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Standard => "standard",
            Kind::Emergency => "emergency",
            Kind::Major => "major",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.label() == s)
    }
}

/// Where a window is in its life. `InProgress` and `Done` follow from the
/// clock for planned and announced windows (see [`MaintenanceWindow::state_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowState {
    Planned,
    Announced,
    InProgress,
    Done,
    Cancelled,
}

impl WindowState {
    pub const ALL: [WindowState; 5] = [
        WindowState::Planned,
        WindowState::Announced,
        WindowState::InProgress,
        WindowState::Done,
        WindowState::Cancelled,
    ];

    pub fn label(self) -> &'static str {
        match self {
            WindowState::Planned => "planned",
            WindowState::Announced => "announced",
            WindowState::InProgress => "in progress",
            WindowState::Done => "done",
            WindowState::Cancelled => "cancelled",
        }
    }

    /// The stored code (never reuse one).
    pub fn code(self) -> &'static str {
        match self {
            WindowState::Planned => "planned",
            WindowState::Announced => "announced",
            WindowState::InProgress => "in_progress",
            WindowState::Done => "done",
            WindowState::Cancelled => "cancelled",
        }
    }

    pub fn from_code(s: &str) -> Option<WindowState> {
        WindowState::ALL.into_iter().find(|w| w.code() == s)
    }
}

/// What a window touches: one host, or every host of one client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Host(String),
    Client(String),
}

impl Target {
    pub fn label(&self) -> String {
        match self {
            Target::Host(h) => format!("host {h}"),
            Target::Client(c) => format!("client {c}"),
        }
    }
}

/// A planned maintenance window, as stored and exported (RFC 5545 VEVENT:
/// `uid` never changes, `sequence` is raised on every change, `stamp` is
/// the DTSTAMP of the last change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceWindow {
    pub uid: String,
    pub target: Target,
    pub kind: Kind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub title: String,
    pub state: WindowState,
    pub sequence: u32,
    pub created: DateTime<Utc>,
    pub stamp: DateTime<Utc>,
    /// When the clients were told; `None` while only planned.
    pub announced: Option<DateTime<Utc>>,
}

impl MaintenanceWindow {
    /// The state at `now`: a planned or announced window is in progress
    /// between its start and end and done after its end.
    pub fn state_at(&self, now: DateTime<Utc>) -> WindowState {
        match self.state {
            WindowState::Cancelled | WindowState::Done => self.state,
            _ if now >= self.end => WindowState::Done,
            _ if now >= self.start => WindowState::InProgress,
            s => s,
        }
    }

    /// Whether checks it covers show 'maintenance' and raise no alert at
    /// `now`: an announced window in progress (DOMAIN: scheduled maintenance
    /// announced in advance is excluded; a window only planned is not an
    /// excuse).
    pub fn silences_at(&self, now: DateTime<Utc>) -> bool {
        self.excuses() && self.start <= now && now < self.end
    }

    /// Whether its time is excluded from availability: announced before
    /// it started, and not cancelled.
    pub fn excuses(&self) -> bool {
        self.state != WindowState::Cancelled && self.announced.is_some_and(|a| a <= self.start)
    }

    pub fn duration(&self) -> TimeDelta {
        self.end - self.start
    }

    /// The next version of this window after a change at `at`: same UID,
    /// SEQUENCE raised, DTSTAMP moved.
    pub fn changed(&self, at: DateTime<Utc>) -> MaintenanceWindow {
        MaintenanceWindow {
            sequence: self.sequence + 1,
            stamp: at,
            ..self.clone()
        }
    }

    pub fn overlaps(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        self.start < to && from < self.end
    }
}

/// A period a client announced during which nothing may be touched
/// (holidays, a launch), whole local days from `from` to `to` inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
}

/// A regular window agreed with the client (DOMAIN: once a month, Monday
/// from 22:00, under an hour), kept as an RFC 5545 rule. Inside one of its
/// occurrences the weekday and hour rules do not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurring {
    pub rule: RRule,
    /// Local DTSTART: the anchor of the rule and the time of day.
    pub dtstart: NaiveDateTime,
    pub duration: TimeDelta,
}

/// Opening hours to stay out of: a site's week in its own timezone.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    /// Who is open ("Main store").
    pub label: String,
    pub timezone: Tz,
    pub hours: OpeningHours,
}

/// A client's maintenance policy (DOMAIN defaults: Tue-Thu allowed,
/// Wednesday preferred, Friday to Sunday forbidden; standard notice 7
/// days, emergency 24 h, major 60 days and at most two a year).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub allowed_days: Vec<Weekday>,
    pub preferred_days: Vec<Weekday>,
    pub forbidden_days: Vec<Weekday>,
    /// Kept free around opening hours on either side.
    pub margin: TimeDelta,
    /// A window starts no earlier than this (local) and ends no later than
    /// `latest`; when `latest <= earliest` the span runs past midnight.
    pub earliest: TimeOfDay,
    pub latest: TimeOfDay,
    pub max_duration: TimeDelta,
    pub major_max_duration: TimeDelta,
    pub notice_standard: TimeDelta,
    pub notice_emergency: TimeDelta,
    pub notice_major: TimeDelta,
    pub major_per_year: u32,
    pub recurring: Vec<Recurring>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            allowed_days: vec![Weekday::Tue, Weekday::Wed, Weekday::Thu],
            preferred_days: vec![Weekday::Wed],
            forbidden_days: vec![Weekday::Fri, Weekday::Sat, Weekday::Sun],
            margin: TimeDelta::hours(1),
            earliest: TimeOfDay { minutes: 20 * 60 },
            latest: TimeOfDay { minutes: 7 * 60 },
            max_duration: TimeDelta::hours(4),
            major_max_duration: TimeDelta::hours(24),
            notice_standard: TimeDelta::days(7),
            notice_emergency: TimeDelta::hours(24),
            notice_major: TimeDelta::days(60),
            major_per_year: 2,
            recurring: Vec::new(),
        }
    }
}

impl Policy {
    /// The notice a kind of window needs.
    pub fn notice(&self, kind: Kind) -> TimeDelta {
        match kind {
            Kind::Standard => self.notice_standard,
            Kind::Emergency => self.notice_emergency,
            Kind::Major => self.notice_major,
        }
    }

    /// The longest window of a kind.
    pub fn max(&self, kind: Kind) -> TimeDelta {
        match kind {
            Kind::Major => self.major_max_duration,
            _ => self.max_duration,
        }
    }

    /// A day a window may start on (its night, for spans past midnight).
    pub fn allows(&self, day: Weekday) -> bool {
        self.allowed_days.contains(&day) && !self.forbidden_days.contains(&day)
    }
}

/// Everything that constrains a window for one client.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientRules {
    pub client: String,
    pub name: String,
    pub timezone: Tz,
    pub opening: Vec<Opening>,
    pub closures: Vec<Closure>,
    pub policy: Policy,
}

impl ClientRules {
    /// The default policy and no opening hours, before the configuration
    /// fills them in.
    pub fn new(client: &str, name: &str, timezone: Tz) -> ClientRules {
        ClientRules {
            client: client.to_string(),
            name: name.to_string(),
            timezone,
            opening: Vec::new(),
            closures: Vec::new(),
            policy: Policy::default(),
        }
    }
}

/// A window being proposed (by the form, `check`, or the slot finder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal<'a> {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub kind: Kind,
    /// The window being moved, left out of the yearly count of major ones.
    pub uid: Option<&'a str>,
}

/// Weekday names for messages.
pub fn day_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// "2h", "1h30m", "7 days".
pub fn span_words(d: TimeDelta) -> String {
    let m = d.num_minutes();
    if m >= 2 * 24 * 60 {
        let (days, hours) = (m / (24 * 60), (m % (24 * 60)) / 60);
        return if hours == 0 {
            format!("{days} days")
        } else {
            format!("{days} days {hours}h")
        };
    }
    match (m / 60, m % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m:02}m"),
    }
}

#[cfg(test)]
mod tests;

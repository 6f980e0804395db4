//! The on-call rota: who is woken this week, in the co-op's own timezone.
//!
//! Members take turns in `order`, one week each, handing over on a weekday
//! at a wall-clock time. Handovers are read with the RFC 5545 rule of
//! `model::tz`, so a handover on a DST Sunday still happens at the local
//! time the team agreed on. Dated overrides ("Camille covers 24-26 Dec")
//! take whole local days from whoever's turn it is.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;

use crate::model::TimeOfDay;

/// One person of the rota and the receivers that reach them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    /// Names of `[[alerts.webhooks]]` (and other receivers).
    pub receivers: Vec<String>,
}

/// A member covering whole local days, first and last included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// Index into [`Rota::members`].
    pub member: usize,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// `[oncall]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rota {
    pub members: Vec<Member>,
    /// The co-op's timezone: handovers and overrides are read in it.
    pub timezone: Tz,
    pub handover_day: Weekday,
    pub handover_at: TimeOfDay,
    /// Indices into `members`: whose turn follows whose. `order[0]` holds
    /// the week that begins at the first handover on or after `start`.
    pub order: Vec<usize>,
    /// The date the rotation counts weeks from.
    pub start: NaiveDate,
    pub overrides: Vec<Override>,
}

/// Who is on call, from when and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shift {
    /// Index into [`Rota::members`].
    pub member: usize,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Covering through a dated override rather than the turn.
    pub covering: bool,
}

impl Rota {
    fn instant(&self, day: NaiveDate, at: TimeOfDay) -> DateTime<Utc> {
        let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        crate::model::tz::instant(
            self.timezone,
            midnight + TimeDelta::minutes(i64::from(at.minutes)),
        )
    }

    /// The first handover date on or after `start`.
    fn first_handover(&self) -> NaiveDate {
        let wanted = self.handover_day.num_days_from_monday();
        let have = self.start.weekday().num_days_from_monday();
        let ahead = (7 + wanted - have) % 7;
        self.start + Days::new(u64::from(ahead))
    }

    /// The turn (by the weekly order alone) at `now`.
    fn turn(&self, now: DateTime<Utc>) -> Option<Shift> {
        if self.order.is_empty() {
            return None;
        }
        let first = self.first_handover();
        let today = now.with_timezone(&self.timezone).date_naive();
        let mut week = (today - first).num_days().div_euclid(7);
        // The handover day itself before the handover time still belongs
        // to the previous week.
        let begins = |w: i64| self.instant(first + TimeDelta::days(7 * w), self.handover_at);
        if begins(week) > now {
            week -= 1;
        }
        let n = self.order.len() as i64;
        Some(Shift {
            member: self.order[week.rem_euclid(n) as usize],
            from: begins(week),
            until: begins(week + 1),
            covering: false,
        })
    }

    /// The override in force at `now`, as a shift of whole local days.
    fn covering(&self, now: DateTime<Utc>) -> Option<Shift> {
        let midnight = TimeOfDay { minutes: 0 };
        self.overrides.iter().find_map(|o| {
            let from = self.instant(o.first, midnight);
            let until = self.instant(o.last + Days::new(1), midnight);
            (from <= now && now < until).then_some(Shift {
                member: o.member,
                from,
                until,
                covering: true,
            })
        })
    }

    /// The header's few words: `on call: Léa`.
    pub fn header_words(&self, now: DateTime<Utc>) -> Option<String> {
        let s = self.on_call(now)?;
        let m = self.members.get(s.member)?;
        Some(format!(
            "on call: {}",
            crate::sanitize::clean_short(&m.name, 16)
        ))
    }

    /// Who is on call at `now`: an override if one covers it, else the turn.
    /// A turn ends early where an override begins.
    pub fn on_call(&self, now: DateTime<Utc>) -> Option<Shift> {
        if let Some(o) = self.covering(now) {
            return Some(o);
        }
        let mut turn = self.turn(now)?;
        let midnight = TimeOfDay { minutes: 0 };
        for o in &self.overrides {
            let from = self.instant(o.first, midnight);
            if from > now && from < turn.until {
                turn.until = from;
            }
        }
        Some(turn)
    }

    /// Who takes over when the current shift ends.
    pub fn next(&self, now: DateTime<Utc>) -> Option<Shift> {
        let current = self.on_call(now)?;
        let mut at = current.until;
        // A shift that ends with the same person (an override by the one
        // whose turn it is) is not a handover: look further.
        for _ in 0..(self.members.len() + self.overrides.len() + 2) {
            let s = self.on_call(at)?;
            if s.member != current.member {
                return Some(s);
            }
            at = s.until;
        }
        None
    }

    /// The one to escalate to: the member after the one on call in the
    /// order (someone else, when the rota has anyone else).
    pub fn after(&self, member: usize) -> Option<usize> {
        let pos = self.order.iter().position(|m| *m == member);
        let n = self.order.len();
        let start = pos.map_or(0, |p| p + 1);
        (0..n)
            .map(|i| self.order[(start + i) % n])
            .find(|m| *m != member)
    }

    pub fn member(&self, name: &str) -> Option<usize> {
        self.members.iter().position(|m| m.name == name)
    }
}

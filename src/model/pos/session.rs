//! Odoo POS sessions (`pos.session`) and the rules on them: a session must
//! be opened every morning and closed every evening (DOMAIN).

use chrono::{DateTime, TimeDelta, Utc};

use serde::{Deserialize, Serialize};

use super::day::{self, Period};
use super::{Condition, PosSettings};
use crate::model::{Site, Status};

/// The states of Odoo's `pos.session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionState {
    OpeningControl,
    Opened,
    ClosingControl,
    Closed,
    /// A state this Vigie does not know (a newer Odoo).
    Other(String),
}

impl SessionState {
    pub fn parse(s: &str) -> SessionState {
        match s {
            "opening_control" => SessionState::OpeningControl,
            "opened" => SessionState::Opened,
            "closing_control" => SessionState::ClosingControl,
            "closed" => SessionState::Closed,
            other => SessionState::Other(other.to_string()),
        }
    }

    pub fn label(&self) -> &str {
        match self {
            SessionState::OpeningControl => "opening_control",
            SessionState::Opened => "opened",
            SessionState::ClosingControl => "closing_control",
            SessionState::Closed => "closed",
            SessionState::Other(s) => s,
        }
    }

    /// Still to be closed.
    pub fn is_open(&self) -> bool {
        !matches!(self, SessionState::Closed)
    }
}

/// One `pos.session` record, as far as Vigie needs it. Odoo writes `false`
/// for an empty date: those are `None` here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosSession {
    pub id: i64,
    pub name: String,
    /// The point of sale (`pos.config`) the session belongs to.
    pub config: String,
    pub state: SessionState,
    pub start_at: Option<DateTime<Utc>>,
    pub stop_at: Option<DateTime<Utc>>,
    /// A rescue session, made by Odoo to keep orders that came in after a
    /// session was closed: someone has to look at it.
    pub rescue: bool,
}

fn delta(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// The severity of a problem: critical in a critical period, a warning
/// otherwise.
pub fn severity(period: Period) -> Status {
    if period.is_critical() {
        Status::Down
    } else {
        Status::Degraded
    }
}

/// The closing an open session has outlived by `left_open_after`: the
/// latest closing at least that long ago that came after the session
/// started. Not only the very last closing, so a session opened 30 h ago is
/// left open even a minute after tonight's closing.
fn left_open_past(
    site: &Site,
    settings: &PosSettings,
    s: &PosSession,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let close = day::last_close(site, now - delta(settings.left_open_after))?;
    s.start_at
        .is_none_or(|start| start < close)
        .then_some(close)
}

/// The session rules for one store: a session still open
/// `left_open_after` past the last closing; no session opened by opening
/// plus `opening_grace` (per point of sale); a session in
/// `closing_control` `closing_stuck_after` past closing; a rescue session
/// not yet closed.
pub fn conditions(
    site: &Site,
    settings: &PosSettings,
    configs: &[String],
    sessions: &[PosSession],
    now: DateTime<Utc>,
) -> Vec<Condition> {
    let period = day::period(site, settings, now);
    let sev = severity(period);
    let mut out = Vec::new();
    let last_close = day::last_close(site, now);
    for s in sessions.iter().filter(|s| s.state.is_open()) {
        let started_before_close = match (s.start_at, last_close) {
            (Some(start), Some(close)) => start < close,
            (None, Some(_)) => true,
            _ => false,
        };
        if let Some(close) = last_close {
            if s.state == SessionState::ClosingControl
                && started_before_close
                && now >= close + delta(settings.closing_stuck_after)
            {
                out.push(
                    Condition::new(
                        format!("session-stuck:{}", s.id),
                        sev,
                        format!("session {} stuck in closing control", s.name),
                    )
                    .began_at(close + delta(settings.closing_stuck_after)),
                );
            } else if let Some(missed) = left_open_past(site, settings, s, now) {
                out.push(
                    Condition::new(
                        format!("session-left-open:{}", s.id),
                        sev,
                        format!(
                            "session {} still open, closing was {}",
                            session_label(s),
                            fmt_local(site, missed, now)
                        ),
                    )
                    .began_at(missed + delta(settings.left_open_after)),
                );
            }
        }
        if s.rescue {
            let rescue = Condition::new(
                format!("session-rescue:{}", s.id),
                sev,
                format!("rescue session {} to check and close", s.name),
            );
            out.push(match s.start_at {
                Some(start) => rescue.began_at(start),
                None => rescue,
            });
        }
    }
    if let Some(today) = day::today(site, now) {
        let due = today.open + delta(settings.opening_grace);
        let since = today.open - delta(settings.critical_before);
        if now >= due && now < today.close {
            let mut names: Vec<&str> = configs.iter().map(String::as_str).collect();
            if names.is_empty() {
                names = sessions.iter().map(|s| s.config.as_str()).collect();
                names.sort_unstable();
                names.dedup();
            }
            for config in names {
                let opened_today = sessions.iter().any(|s| {
                    s.config == config
                        && !s.rescue
                        && s.start_at.is_some_and(|t| t >= since && t <= now)
                });
                if !opened_today {
                    out.push(
                        Condition::new(
                            format!("session-not-opened:{config}"),
                            sev,
                            format!(
                                "no session opened on {config} since {}",
                                fmt_local(site, today.open, now)
                            ),
                        )
                        .began_at(due),
                    );
                }
            }
        }
    }
    out
}

/// A session's name, with its point of sale when the name does not say it
/// ("POS/0007 (Caisse 1)", but "Nord Caisse/00106"): a tile's line is short.
fn session_label(s: &PosSession) -> String {
    if s.name.contains(&s.config) {
        s.name.clone()
    } else {
        format!("{} ({})", s.name, s.config)
    }
}

/// A time in the store's zone, with its day when not the store's today
/// (a session left open on Sunday is read on Monday morning).
fn fmt_local(site: &Site, t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    crate::model::hours::moment(t, now, site.timezone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DayHours, OpeningHours, TimeOfDay};

    fn site() -> Site {
        let open = DayHours::Open {
            open: TimeOfDay::new(9, 0).unwrap(),
            close: TimeOfDay::new(20, 0).unwrap(),
        };
        Site {
            id: "s".into(),
            name: "S".into(),
            timezone: chrono_tz::Europe::Paris,
            hours: OpeningHours { days: [open; 7] },
            pos: None,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn session(state: &str, start: Option<&str>, rescue: bool) -> PosSession {
        PosSession {
            id: 7,
            name: "POS/0007".into(),
            config: "Caisse 1".into(),
            state: SessionState::parse(state),
            start_at: start.map(at),
            stop_at: None,
            rescue,
        }
    }

    fn keys(now: &str, sessions: &[PosSession]) -> Vec<(String, Status)> {
        let configs = vec!["Caisse 1".to_string()];
        conditions(
            &site(),
            &PosSettings::default(),
            &configs,
            sessions,
            at(now),
        )
        .into_iter()
        .map(|c| (c.key, c.severity))
        .collect()
    }

    #[test]
    fn a_session_left_open_says_the_day_of_the_closing_it_missed() {
        let configs = vec!["Caisse 1".to_string()];
        let yesterday = session("opened", Some("2026-06-09T06:50:00Z"), false);
        let message = |now: &str| {
            conditions(
                &site(),
                &PosSettings::default(),
                &configs,
                std::slice::from_ref(&yesterday),
                at(now),
            )
            .into_iter()
            .find(|c| c.key == "session-left-open:7")
            .map(|c| c.message)
        };
        // Read the same evening: the closing is today's.
        assert_eq!(
            message("2026-06-09T19:00:00Z").as_deref(),
            Some("session POS/0007 (Caisse 1) still open, closing was 20:00")
        );
        // Read the next morning (Wednesday): it was Tuesday's closing.
        assert_eq!(
            message("2026-06-10T07:20:00Z").as_deref(),
            Some("session POS/0007 (Caisse 1) still open, closing was Tue 20:00")
        );
        // A name that already says its point of sale is not repeated.
        let mut named = yesterday.clone();
        named.name = "Caisse 1/00106".into();
        let c = conditions(
            &site(),
            &PosSettings::default(),
            &configs,
            &[named],
            at("2026-06-09T19:00:00Z"),
        );
        assert!(
            c.iter()
                .any(|c| c.message == "session Caisse 1/00106 still open, closing was 20:00"),
            "{c:?}"
        );
    }

    #[test]
    fn session_rules_by_time_and_state() {
        use Status::{Degraded, Down};
        // Paris is UTC+2 in June: opening 07:00Z, closing 18:00Z.
        let opened_morning = session("opened", Some("2026-06-10T06:50:00Z"), false);
        let opened_yesterday = session("opened", Some("2026-06-09T06:50:00Z"), false);
        let closing = session("closing_control", Some("2026-06-10T06:50:00Z"), false);
        let closed = session("closed", Some("2026-06-10T06:50:00Z"), false);
        let rescue = session("opened", Some("2026-06-10T09:00:00Z"), true);
        let no_date = session("opened", None, false);
        type Case = (
            &'static str,
            &'static str,
            Vec<PosSession>,
            Vec<(&'static str, Status)>,
        );
        let cases: Vec<Case> = vec![
            (
                "opened this morning, midday",
                "2026-06-10T10:00:00Z",
                vec![opened_morning.clone()],
                vec![],
            ),
            (
                "nothing yet before the grace",
                "2026-06-10T07:10:00Z",
                vec![],
                vec![],
            ),
            (
                "nothing opened after the grace",
                "2026-06-10T07:15:00Z",
                vec![],
                vec![("session-not-opened:Caisse 1", Down)],
            ),
            (
                "a session opened and closed today is fine",
                "2026-06-10T10:00:00Z",
                vec![closed.clone()],
                vec![],
            ),
            (
                "still open 29 min after closing",
                "2026-06-10T18:29:00Z",
                vec![opened_morning.clone()],
                vec![],
            ),
            (
                "still open 30 min after closing",
                "2026-06-10T18:30:00Z",
                vec![opened_morning.clone()],
                vec![("session-left-open:7", Down)],
            ),
            (
                "still open at night is a warning",
                "2026-06-10T23:00:00Z",
                vec![opened_morning.clone()],
                vec![("session-left-open:7", Degraded)],
            ),
            (
                "left open last night, seen next morning",
                "2026-06-10T07:20:00Z",
                vec![opened_yesterday.clone()],
                vec![
                    ("session-left-open:7", Down),
                    ("session-not-opened:Caisse 1", Down),
                ],
            ),
            (
                "opened yesterday, a minute after tonight's closing: left open since yesterday's",
                "2026-06-10T18:01:00Z",
                vec![opened_yesterday.clone()],
                vec![("session-left-open:7", Down)],
            ),
            (
                "stuck in closing control",
                "2026-06-10T18:30:00Z",
                vec![closing.clone()],
                vec![("session-stuck:7", Down)],
            ),
            (
                "closing control just after closing is normal",
                "2026-06-10T18:10:00Z",
                vec![closing],
                vec![],
            ),
            (
                "a rescue session",
                "2026-06-10T12:00:00Z",
                vec![opened_morning.clone(), rescue],
                vec![("session-rescue:7", Degraded)],
            ),
            (
                "a session without start date left open",
                "2026-06-10T19:00:00Z",
                vec![no_date],
                vec![("session-left-open:7", Degraded)],
            ),
        ];
        for (name, now, sessions, want) in cases {
            let want: Vec<(String, Status)> =
                want.into_iter().map(|(k, s)| (k.to_string(), s)).collect();
            assert_eq!(keys(now, &sessions), want, "{name}");
        }
    }
}
